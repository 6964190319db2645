#!/usr/bin/env bash
# crosscheck against OMV 0.4.0 on the same tests, in one sitting: the 56 jNeuroML and
# jNeuroML_NEURON tests of the OMV corpus. Not part of the test run: speed is measured here,
# never asserted in tests.
#
#   benches/vs_omv.sh [CORPUS] [ROUNDS]     (defaults: ../shared/corpus/NeuroML2, 2)
#
# OMV runs in a throwaway virtual environment with the pins of crosscheck's managed one
# (osbmodelvalidation==0.4.0, neuron==8.2.7, pyneuroml==1.3.22, numpy<2.4), as its users run
# it: `omv test <file>` for each test, one after another, each in a fresh copy of the corpus.
# crosscheck runs `run --no-cache -j 2` with an empty mechanism cache. Rounds alternate OMV and
# crosscheck, so that both see the machine in the same state; after the last round crosscheck
# runs once more with the mechanism cache it filled (cache warm). Prints each wall time, the
# ratio per round, and whether both give every test the same verdict (exit 1 if not).
#
# Needs what the tests need (Python 3.11, Java 17, the package index); crosscheck's managed
# environment is provisioned (and the warm JVMs' driver built) before any timing.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=$(realpath "${1:-../shared/corpus/NeuroML2}")
rounds=${2:-2}
work=$(mktemp -d "${TMPDIR:-/tmp}/vs-omv.XXXXXX")
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }

echo "== set-up (not timed)"
cargo build --release --quiet
bin=$PWD/target/release/crosscheck
home=$(realpath "${CROSSCHECK_HOME:-.crosscheck}")
"$bin" install jNeuroML_NEURON >/dev/null
python=$(command -v python3.11 || command -v python3)
"$python" -m venv "$work/omv-venv"
"$work/omv-venv/bin/pip" install --quiet --disable-pip-version-check \
  osbmodelvalidation==0.4.0 neuron==8.2.7 pyneuroml==1.3.22 'numpy<2.4'
# `jnml -neuron -run` calls $NEURON_HOME/bin/nrnivmodl itself, bypassing the wrapper pip
# installs, so it needs what that wrapper would set (NEURON's own prefix, compilers).
nrn=$(echo "$work"/omv-venv/lib/python3.*/site-packages/neuron/.data)
omv_env=(env "PATH=$work/omv-venv/bin:$PATH" "HOME=$work/omv-home" "NEURON_HOME=$nrn"
  "NRNHOME=$nrn" "CORENRNHOME=$nrn" "NEURONHOME=$nrn/share/nrn"
  "NRN_PYTHONEXE=$work/omv-venv/bin/python" "CC=${CC:-gcc}" "CXX=${CXX:-g++}")
mkdir -p "$work/omv-home"
"${omv_env[@]}" omv --version 2>/dev/null || true

# The 56 tests, by path relative to the corpus.
mapfile -t tests < <(cd "$corpus" && grep -rlE '^engine: *(jNeuroML|jNeuroML_NEURON) *$' \
  --include='.test.*.omt' . | sed 's|^\./||' | sort)
echo "${#tests[@]} tests (jNeuroML, jNeuroML_NEURON) in $corpus"

# OMV: every test in its own fresh copy, one after another. Writes "<test> pass|fail" lines.
run_omv() {
  local out=$1 test copy
  : >"$out"
  for test in "${tests[@]}"; do
    copy=$(mktemp -d "$work/omv-run.XXXXXX")
    cp -r "$corpus/." "$copy"
    chmod -R u+w "$copy"
    if (cd "$(dirname "$copy/$test")" && "${omv_env[@]}" omv test "$(basename "$test")" \
      >"$copy.log" 2>&1); then
      echo "$test pass" >>"$out"
    else
      echo "$test fail" >>"$out"
    fi
    rm -rf "$copy" "$copy.log"
  done
}

# crosscheck on the same tests, mechanism cache in $2. Writes "<test> pass|fail" lines.
run_crosscheck() {
  local out=$1 cache=$2
  CROSSCHECK_MECHANISM_CACHE=$cache "$bin" run "$corpus" --no-cache -j 2 \
    --engine jNeuroML --engine jNeuroML_NEURON --json "$out.json" >"$out.log" 2>&1 || true
  "$python" - "$out.json" >"$out" <<'EOF'
import json, sys
for t in json.load(open(sys.argv[1]))["tests"]:
    print(t["id"], "pass" if t["status"] == "pass" else "fail")
EOF
}

same=1
compare() {
  if diff <(sort "$1") <(sort "$2") >"$work/verdicts.diff"; then
    echo "   verdicts: the same on all $(wc -l <"$1") tests ($(grep -c ' pass$' "$1") pass)"
  else
    echo "   verdicts DIFFER (< OMV, > crosscheck):"
    sed 's/^/     /' "$work/verdicts.diff"
    same=0
  fi
}

for round in $(seq 1 "$rounds"); do
  echo "== round $round"
  start=$(now)
  run_omv "$work/omv-$round"
  omv_s=$(since "$start")
  echo "   OMV 0.4.0 (omv test, one after another):       ${omv_s} s"
  rm -rf "$work/mechanisms-$round"
  start=$(now)
  run_crosscheck "$work/cc-$round" "$work/mechanisms-$round"
  cc_s=$(since "$start")
  echo "   crosscheck run --no-cache -j 2 (cache empty):  ${cc_s} s"
  awk -v o="$omv_s" -v c="$cc_s" 'BEGIN{printf "   ratio: %.2fx\n", o/c}'
  compare "$work/omv-$round" "$work/cc-$round"
done

start=$(now)
run_crosscheck "$work/cc-warm" "$work/mechanisms-$rounds"
echo "== crosscheck again with the mechanism cache filled: $(since "$start") s"
compare "$work/omv-$rounds" "$work/cc-warm"
start=$(now)
CROSSCHECK_NO_WARM_JVM=1 run_crosscheck "$work/cc-cold" "$work/mechanisms-cold"
echo "== crosscheck with --no-warm-jvm (cache empty): $(since "$start") s"
compare "$work/omv-$rounds" "$work/cc-cold"

# Where the time goes: every command's wall time, by kind, in the round-1 run (warm JVMs) and
# the --no-warm-jvm run; then the fixed cost of each kind, measured alone.
echo "== where the time goes (sums of command wall times; 2 run at once)"
"$python" - "$work/cc-1.json" "$work/cc-cold.json" <<'EOF'
import json, sys
def kind(c):
    name = c["argv"][0].rsplit("/", 1)[-1]
    if name == "java":
        return "jNeuroML, " + (c.get("jvm") or "cold") + " JVM"
    if "nrnivmodl" in name:
        return "nrnivmodl"
    return "simulation in NEURON (python)"
for label, path in (("warm JVMs", sys.argv[1]), ("--no-warm-jvm", sys.argv[2])):
    results = json.load(open(path))
    jobs = results["tests"]
    sums = {}
    for t in jobs:
        for c in t["commands"]:
            n, s = sums.get(kind(c), (0, 0.0))
            sums[kind(c)] = (n + 1, s + c["duration_s"])
    warm = sum(1 for t in jobs if t.get("jvm") == "warm")
    print(f"   {label}: run {results['duration_s']:.1f} s, {warm} of {len(jobs)} jobs warm")
    for k, (n, s) in sorted(sums.items()):
        print(f"     {k:32s} {n:3d} commands {s:7.1f} s  ({s / n:.2f} s each)")
EOF
jar=$(echo "$home"/venv/lib/python3.*/site-packages/pyneuroml/lib/jNeuroML-*-jar-with-dependencies.jar)
mean_of() { # mean wall seconds of 5 runs of a command
  local start i
  start=$(now)
  for i in 1 2 3 4 5; do "$@" >/dev/null 2>&1 || true; done
  awk -v a="$start" -v b="$(now)" 'BEGIN{printf "%.2f", (b-a)/5}'
}
echo "   fixed costs, one at a time (mean of 5):"
echo "     bare JVM start (jNeuroML -v, no model read): $(mean_of java -jar "$jar" -v) s"
echo "     python + import neuron:                 $(mean_of "$home/venv/bin/python" -c 'import neuron') s"
[ "$same" = 1 ]
