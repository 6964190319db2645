#!/usr/bin/env bash
# Soak test: thousands of short jobs through the `command` engine, more at once than there are
# cores, and what is left afterwards. Prints jobs per second, crosscheck's peak memory, its
# open file descriptors early in the run and at the end, processes left carrying a step's tag,
# and whether every job has exactly one result. Not part of `cargo test`.
#
#   benches/soak.sh [JOBS] [PARALLEL]      (default 2000 jobs, -j 8)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="${1:-2000}"
parallel="${2:-8}"
cargo build --release --quiet
bin="$PWD/target/release/crosscheck"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Each job: a script that writes one spike time; a tenth also leave a background child behind
# and a twentieth fail their check, so clean-up and failure paths are soaked too.
mkdir -p "$work/tests"
printf 'system: soak\nexperiments:\n  e:\n    expected:\n      spike times: [1]\n' > "$work/tests/soak.mep"
for i in $(seq 1 "$jobs"); do
    body="printf '1\\n' > out.dat"
    if [ $((i % 10)) -eq 0 ]; then body="sleep 30 & $body"; fi
    if [ $((i % 20)) -eq 0 ]; then body="printf '2\\n' > out.dat"; fi
    printf '#!/bin/sh\n%s\n' "$body" > "$work/tests/job$i.sh"
    chmod +x "$work/tests/job$i.sh"
    printf 'target: job%s.sh\nengine: command\nmep: soak.mep\nexperiments:\n  e:\n    observables:\n      spike times:\n        file: {path: out.dat, columns: [0]}\n        tolerance: 0.1\n' \
        "$i" > "$work/tests/.test.job$i.omt"
done

start=$(date +%s.%N)
CROSSCHECK_HOME="$work/home" CROSSCHECK_NO_CACHE=1 "$bin" run "$work/tests" -j "$parallel" \
    --json "$work/r.json" >"$work/out.log" 2>&1 &
pid=$!
peak_kb=0; fds_early=""; fds_last=0
while kill -0 "$pid" 2>/dev/null; do
    if hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null); then
        [ -n "$hwm" ] && [ "$hwm" -gt "$peak_kb" ] && peak_kb=$hwm
    fi
    if n=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l) && [ "$n" -gt 0 ]; then
        fds_last=$n
        [ -z "$fds_early" ] && fds_early=$n
    fi
    sleep 0.05
done
wait "$pid" || true
end=$(date +%s.%N)

left=0
for p in /proc/[0-9]*; do
    if { tr '\0' '\n' < "$p/environ"; } 2>/dev/null | grep -q '^CROSSCHECK_STEP_TAG='; then left=$((left + 1)); fi
done
python3 - "$work/r.json" "$jobs" "$start" "$end" "$peak_kb" "${fds_early:-0}" "$fds_last" "$left" "$parallel" <<'EOF'
import json, sys
path, jobs, start, end, peak, fds_early, fds_last, left, parallel = sys.argv[1:]
report = json.load(open(path))
ids = [t["id"] for t in report["tests"]]
expected = {f".test.job{i}.omt" for i in range(1, int(jobs) + 1)}
statuses = {}
for t in report["tests"]:
    statuses[t["status"]] = statuses.get(t["status"], 0) + 1
seconds = float(end) - float(start)
print(f"jobs                 {jobs} (-j {parallel})")
print(f"wall time            {seconds:.1f} s")
print(f"jobs per second      {int(jobs) / seconds:.1f}")
print(f"peak memory          {int(peak) / 1024:.1f} MiB")
print(f"open fds early/end   {fds_early} / {fds_last}")
print(f"tagged processes left {left}")
print(f"statuses             {statuses}")
one_each = len(ids) == len(set(ids)) and set(ids) == expected
print(f"one result per job   {'yes' if one_each else 'NO'}")
sys.exit(0 if one_each and int(left) == 0 else 1)
EOF
