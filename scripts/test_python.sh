#!/usr/bin/env bash
# One pass of `make test` on another Python (make test-py312, test-py313): a throw-away venv with the
# pinned requirements and l2lib installed from a wheel (so the wheel must carry its data set), then
# l2lib's tests that need neither the built book nor a browser (unit tests, doctests) and nbval on
# every notebook. Usage: scripts/test_python.sh MAJOR.MINOR PYTHON
# A missing interpreter skips the pass with a message; with CI set it fails instead.
set -euo pipefail
want=$1 python=$2
var=PY${want/./}
cd "$(dirname "$0")/.."

found=$("$python" -c 'import platform; print(platform.python_version())' 2>/dev/null) || found=
if [[ "$found" != "$want".* ]]; then
  why="no Python $want at $var=$python${found:+ (that is Python $found)}"
  if [ -n "${CI:-}" ]; then
    echo "make test: $why; CI runs every pass, so this one FAILED — install Python $want or set $var=/path/to/python$want" >&2
    exit 1
  fi
  echo "make test: $why; the Python $want pass is NOT run — set $var=/path/to/python$want to run it"
  exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/l2book-py$want.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "make test: Python $found pass ($python), throw-away venv in $tmp"
t0=$SECONDS
"$python" -m venv "$tmp/venv"
py=$tmp/venv/bin/python
"$py" -m pip install --quiet --upgrade pip
"$py" -m pip install --quiet -r requirements.txt
mkdir "$tmp/src"                      # build from a copy: no build/ or egg-info left in the clone
cp -r pyproject.toml l2lib "$tmp/src/"
"$py" -m pip install --quiet --no-deps "$tmp/src"
t1=$SECONDS
status=0
PYTHONHASHSEED=0 "$py" -m pytest notebooks tests l2lib benchmarks/test_bench_helpers.py -m "not book and not browser" \
  --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg -q || status=$?
t2=$SECONDS
result=$([ $status = 0 ] && echo passed || echo FAILED)
echo "make test: Python $found pass $result — venv and install $((t1 - t0)) s, tests $((t2 - t1)) s"
exit $status
