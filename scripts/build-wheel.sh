#!/usr/bin/env bash
# Builds crosscheck's Python wheel (pyproject.toml: maturin, `bindings = "bin"`): the crosscheck
# binary packed so that `pip install crosscheck-*.whl` puts it on a venv's PATH, for machines
# that have Python but should not need a Rust toolchain. maturin itself comes from PyPI at a
# pinned version, into a tools venv under target/ that is made once and reused.
#
# Prints the path of the wheel it wrote on stdout (and nothing else there: maturin's and cargo's
# output goes to stderr), so `wheel=$(scripts/build-wheel.sh)` works.
set -euo pipefail

# The pinned maturin (pyproject.toml's build-system accepts >=1.9,<2 for builds that pip starts).
readonly MATURIN_VERSION=1.16.0

usage() {
    cat <<'EOF'
Usage: scripts/build-wheel.sh [-o DIR] [--profile NAME] [DIR]

Builds the crosscheck wheel with maturin (pinned, installed once into target/wheel-tools) and
prints the path of the wheel. Works from any current directory.

  -o, --out DIR    where to write the wheel (default: target/wheels of the repository);
                   a bare DIR argument means the same
  --profile NAME   build with this Cargo profile instead of `release`, e.g. `dev` to reuse what
                   `cargo build`/`cargo test` already compiled (tests/wheel.rs does); such a
                   wheel is for testing, not for shipping
  -h, --help       this help

Environment: PYTHON (default python3) makes the tools venv.
EOF
}

# The repository is the folder above this script's, wherever the script is called from.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/target/wheels"
profile=""

while (($# > 0)); do
    case "$1" in
        -h | --help)
            usage
            exit 0
            ;;
        -o | --out)
            [[ $# -ge 2 ]] || { echo "build-wheel.sh: $1 needs a folder" >&2; exit 2; }
            out="$2"
            shift 2
            ;;
        --out=*)
            out="${1#--out=}"
            shift
            ;;
        --profile)
            [[ $# -ge 2 ]] || { echo "build-wheel.sh: --profile needs a name" >&2; exit 2; }
            profile="$2"
            shift 2
            ;;
        --profile=*)
            profile="${1#--profile=}"
            shift
            ;;
        -*)
            echo "build-wheel.sh: unknown option $1 (see --help)" >&2
            exit 2
            ;;
        *)
            out="$1"
            shift
            ;;
    esac
done

# The output folder as an absolute path, taken relative to the caller's current directory
# (before the cd below).
mkdir -p "$out"
out="$(cd "$out" && pwd)"

# The tools venv: made once, remade when its maturin is not the pinned one. The lock keeps two
# builds started at once (a test and a person) from making it together.
tools="$root/target/wheel-tools"
maturin="$tools/bin/maturin"
mkdir -p "$root/target"
exec 9>"$root/target/wheel-tools.lock"
flock 9
if [[ "$("$maturin" --version 2>/dev/null || true)" != "maturin $MATURIN_VERSION" ]]; then
    echo "build-wheel.sh: installing maturin $MATURIN_VERSION into $tools" >&2
    rm -rf "$tools"
    "${PYTHON:-python3}" -m venv "$tools"
    "$tools/bin/python" -m pip install --quiet "maturin==$MATURIN_VERSION" >&2
fi
exec 9>&- # closing the lock file releases the lock

# Cargo's --release and --profile exclude each other: exactly one of them.
if [[ -n "$profile" ]]; then
    build_profile=(--profile "$profile")
else
    build_profile=(--release)
fi

# A stamp older than the wheel this build writes: the wheel is the crosscheck-*.whl newer than
# it (maturin names the wheel by version and platform tag, and DIR may hold older ones).
stamp="$(mktemp "$out/.build-wheel.XXXXXX")"
trap 'rm -f "$stamp"' EXIT
sleep 1 # mtimes of coarse file systems: the wheel must come out strictly newer

cd "$root"
# --locked: Cargo.lock's versions, as for every build of crosscheck; --strip: no symbol table
# in the shipped binary (the release profile already drops the debug information).
"$maturin" build "${build_profile[@]}" --locked --strip -o "$out" >&2

wheel="$(find "$out" -maxdepth 1 -name 'crosscheck-*.whl' -newer "$stamp" -print -quit)"
if [[ -z "$wheel" ]]; then
    echo "build-wheel.sh: maturin finished but wrote no crosscheck-*.whl into $out" >&2
    exit 1
fi
echo "$wheel"
