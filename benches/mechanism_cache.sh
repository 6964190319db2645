#!/usr/bin/env bash
# Time saved by the cache of compiled NEURON mechanisms: the OMV corpus's jNeuroML_NEURON tests
# (26 jobs, each compiling the mechanisms jNeuroML exports) run with an empty cache, then again
# with the cache the first run filled. Not part of the test run: speed is measured here, never
# asserted in tests (tests/engines.rs asserts that the second run compiles nothing).
#
#   benches/mechanism_cache.sh [PATH] [ENGINE] [JOBS]
#       (defaults: ../shared/corpus/NeuroML2, jNeuroML_NEURON, 2)
#
# Prints the wall time and the number of nrnivmodl runs of both runs, and the time saved.
# CROSSCHECK_BIN=path uses that binary instead of building a release one (the time is spent in
# nrnivmodl, java and python, so a debug build measures the same saving).
set -euo pipefail
cd "$(dirname "$0")/.."
path=${1:-../shared/corpus/NeuroML2}
engine=${2:-jNeuroML_NEURON}
jobs=${3:-2}
if [ -n "${CROSSCHECK_BIN:-}" ]; then
  bin=$CROSSCHECK_BIN
else
  cargo build --release --quiet
  bin=${CARGO_TARGET_DIR:-target}/release/crosscheck
fi
# Provision first, so the timings measure runs, not installation.
"$bin" install "$engine" >/dev/null
cache=$(mktemp -d)
results=$(mktemp -d)
trap 'rm -rf "$cache" "$results"' EXIT
export CROSSCHECK_MECHANISM_CACHE=$cache
# Both runs must run every job: the result cache would answer the second from the first.
export CROSSCHECK_NO_CACHE=1

compiles() {
  python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
print(sum(1 for t in r["tests"] for c in t["commands"] if c["argv"][0].endswith("nrnivmodl")))' "$1"
}

declare -A wall
for run in cold warm; do
  start=$(date +%s.%N)
  summary=$("$bin" run "$path" --engine "$engine" -j "$jobs" --json "$results/$run.json" 2>/dev/null | tail -n 1) || true
  end=$(date +%s.%N)
  wall[$run]=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b-a}')
  printf '%s cache: wall=%ss nrnivmodl runs=%s  %s\n' "$run" "${wall[$run]}" "$(compiles "$results/$run.json")" "$summary"
done
awk -v c="${wall[cold]}" -v w="${wall[warm]}" \
  'BEGIN{printf "saved: %.1fs (%.0f%% of the cold run)\n", c-w, 100*(c-w)/c}'
