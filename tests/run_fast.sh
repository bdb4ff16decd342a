#!/usr/bin/env bash
# The inner loop: builds the reused tree build/ (with ccache when present)
# and runs the C++ suites labelled `fast` (all but the torture suites) and
# the Python suites not marked slow, against that tree's library. The
# README's test command (tests/run_all.sh) adds the torture suites, the
# 65 s rate-limit window, the portable wheels and aarch64 under qemu, the
# sanitizers, the fuzz corpora and the slow Python tests.
#
#   bash tests/run_fast.sh                 # everything fast
#   bash tests/run_fast.sh --suite NAME    # one ctest entry (client.fleet_refresh)
#                                          # or one pytest file (test_first_run)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
JOBS=$(nproc)
suite=
while [ $# -gt 0 ]; do
  case $1 in
    --suite) suite=${2:?--suite needs a name}; shift 2 ;;
    *) echo "usage: bash tests/run_fast.sh [--suite NAME]" >&2; exit 2 ;;
  esac
done

started=$(date +%s)
bash packaging/install-deps.sh >/dev/null
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # Keyed as tests/run_all.sh keys them: its build/ and this one share compilations.
  export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
fi
cmake -S . -B build -DFWM_WERROR=ON -DCMAKE_UNITY_BUILD=OFF "${launcher[@]}" >/dev/null
if ! cmake --build build -j"$JOBS" >build/run_fast_build.log 2>&1; then
  tail -n 40 build/run_fast_build.log
  exit 1
fi
built=$(date +%s)

# The build staged build/lib/libfwm.so into the package, where the shim looks.
status=0
if [ -n "$suite" ]; then
  if [ -f "tests/python/$suite.py" ] || [ -f "tests/python/$suite" ]; then
    $PY -m pytest -q -p no:cacheprovider "tests/python/${suite%.py}.py" || status=$?
  else
    ctest --test-dir build --output-on-failure --no-tests=error -R "^${suite}\$" || status=$?
  fi
else
  ctest --test-dir build --output-on-failure -j"$JOBS" -L fast --timeout 300 || status=$?
  $PY -m pytest -q -p no:cacheprovider -m "not slow" tests/python || status=$?
fi
ended=$(date +%s)
echo "run_fast: build $((built - started)) s, tests $((ended - built)) s"
exit $status
