#!/usr/bin/env bash
# Fuzzes every parser a user's files reach, for a bounded time each, and prints a table:
# executions and crashes per target. Not part of `cargo test` (which replays past crashes and
# a few thousand generated inputs per parser: tests/fuzz_regressions.rs).
#
#   benches/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]      (default 60 s, every target)
#
# Needs the nightly toolchain (rustup) and cargo-fuzz (`cargo install cargo-fuzz`). Seeds come
# from the project's own files; a crash is saved by libFuzzer under fuzz/artifacts/<target>/:
# copy it to fuzz/regressions/<target>/ with the fix, so `cargo test` keeps replaying it.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(native_suite omt_and_mep data_file reference results_json quantity)
fi
command -v cargo-fuzz >/dev/null || { echo "cargo-fuzz missing: cargo install cargo-fuzz" >&2; exit 2; }

seed() { # target folder...
    local target="$1"; shift
    mkdir -p "fuzz/corpus/$target"
    for dir in "$@"; do
        find "$dir" -type f ! -name '*.provenance.json' -size -64k -print0 |
            xargs -0 -r -I{} sh -c 'cp "$1" "fuzz/corpus/$2/seed-$(sha256sum "$1" | cut -c1-16)"' _ {} "$target"
    done
}
seed native_suite suites tests/fixtures
seed omt_and_mep suites/omv tests/fixtures/omv
seed data_file reference-data
seed reference reference-data
mkdir -p fuzz/corpus/results_json fuzz/corpus/quantity
printf '%s' '-65 mV' > fuzz/corpus/quantity/seed-mv
printf '%s' '0.7 nS/mV' > fuzz/corpus/quantity/seed-ns-per-mv

echo "building the fuzz targets (nightly, sanitizers; several minutes the first time)" >&2
cargo +nightly fuzz build -O >&2

printf '%-14s %12s %10s %8s\n' target executions exec/s crashes
for target in "${targets[@]}"; do
    log="fuzz/artifacts/$target.log"
    mkdir -p "fuzz/artifacts/$target"
    before=$(find "fuzz/artifacts/$target" -type f -name 'crash-*' | wc -l)
    # -rss_limit_mb: a parser must not need gigabytes for a small input.
    cargo +nightly fuzz run -O "$target" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log" 2>&1 || true
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    after=$(find "fuzz/artifacts/$target" -type f -name 'crash-*' | wc -l)
    runs="${runs:-0}"
    printf '%-14s %12s %10s %8s\n' "$target" "$runs" "$((runs / seconds))" "$((after - before))"
done
