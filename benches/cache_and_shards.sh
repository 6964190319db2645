#!/usr/bin/env bash
# The result cache and sharding, measured (never asserted in tests):
#  1. the bundled suites run once with an empty cache, then again with nothing changed
#     (target: the second run well under a second);
#  2. the same suites as 4 hash shards run one after another, then merged: the merged counts
#     must equal the whole run's.
#
#   benches/cache_and_shards.sh [PATH]     (default: suites)
#
# Uses a private cache folder (CROSSCHECK_HOME's environment is shared, its cache is not
# touched: results go to a temporary home linked to the same managed environment).
set -euo pipefail
cd "$(dirname "$0")/.."
path=${1:-suites}
cargo build --release --quiet
bin=$PWD/target/release/crosscheck
home=${CROSSCHECK_HOME:-$PWD/.crosscheck}
"$bin" install --home "$home" >/dev/null
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# A home sharing the environment but with its own cache.
mkdir -p "$scratch/home"
for entry in venv state.json sim-home; do
  [ -e "$home/$entry" ] && ln -s "$home/$entry" "$scratch/home/$entry"
done
export CROSSCHECK_HOME=$scratch/home
seconds() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", b-a}'; }

start=$(date +%s.%N)
"$bin" run "$path" --json "$scratch/first.json" >/dev/null 2>&1 || true
mid=$(date +%s.%N)
"$bin" run "$path" --json "$scratch/second.json" >/dev/null 2>&1 || true
end=$(date +%s.%N)
cached=$(grep -c '"cached": true' "$scratch/second.json" || true)
total=$(grep -c '"engine":' "$scratch/second.json" || true)
echo "first run (empty cache): $(seconds "$start" "$mid") s"
echo "second run (nothing changed): $(seconds "$mid" "$end") s, $cached of $total tests from the cache"

start=$(date +%s.%N)
for m in 1 2 3 4; do
  "$bin" run "$path" --no-cache --partition "hash:$m/4" --json "$scratch/shard-$m.json" >/dev/null 2>&1 || true
done
mid=$(date +%s.%N)
"$bin" merge "$scratch"/shard-{1,2,3,4}.json --json "$scratch/merged.json" >/dev/null || true
end=$(date +%s.%N)
for m in 1 2 3 4; do
  printf 'shard %s: %s tests\n' "$m" "$(grep -c '"engine":' "$scratch/shard-$m.json" || true)"
done
echo "4 shards one after another: $(seconds "$start" "$mid") s; merge: $(seconds "$mid" "$end") s"
python3 - "$scratch/first.json" "$scratch/merged.json" <<'PY'
import json, sys
whole, merged = (json.load(open(p))["summary"] for p in sys.argv[1:])
print("whole run:", whole)
print("merged:   ", merged)
print("merged counts equal the whole run's:", whole == merged)
PY
