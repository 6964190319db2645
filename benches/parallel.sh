#!/usr/bin/env bash
# Wall time of the OMV corpus (jNeuroML + jNeuroML_NEURON, 56 jobs) run one job at a time and
# in parallel. Not part of the test run: speed is measured here, never asserted in tests.
#
#   benches/parallel.sh [CORPUS] [JOBS...]     (defaults: ../shared/corpus/NeuroML2, 1 2)
#
# Prints one line per setting: jobs, wall seconds, and the crosscheck summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-../shared/corpus/NeuroML2}
shift || true
settings=("$@")
[ ${#settings[@]} -gt 0 ] || settings=(1 2)
cargo build --release --quiet
bin=target/release/crosscheck
# Provision first, so the timings measure runs, not installation.
"$bin" install jNeuroML_NEURON >/dev/null
for jobs in "${settings[@]}"; do
  start=$(date +%s.%N)
  summary=$("$bin" run "$corpus" --no-cache --engine jNeuroML --engine jNeuroML_NEURON -j "$jobs" 2>/dev/null | tail -n 1) || true
  end=$(date +%s.%N)
  printf 'jobs=%s wall=%.1fs  %s\n' "$jobs" "$(awk -v a="$start" -v b="$end" 'BEGIN{print b-a}')" "$summary"
done
