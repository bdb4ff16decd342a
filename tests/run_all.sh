#!/usr/bin/env bash
# Runs every kind of test, each build once:
#   - the C++ suites (release build, GCC), the torture suites time-boxed;
#   - the portable release wheels (Zig, glibc 2.17) for x86_64 and aarch64,
#     audited and installed as the Agent installs them, and the Python suites;
#   - the aarch64 library's C++ suites under qemu-user;
#   - the suites where a sanitizer finds things, under AddressSanitizer +
#     UndefinedBehaviorSanitizer (lifecycle, concurrency, hostile network,
#     the C ABI, and the saved fuzz corpora replayed) and under
#     ThreadSanitizer (concurrency, rate limit, fleet refresh, torture);
#   - a check that the tests' API key appears in no output.
# Ends with where the time went and one summary line.
#
#   bash tests/run_all.sh           # the README's test command, CI's gate
#   bash tests/run_all.sh --full    # adds the long versions (see README)
#
# --full adds: the rate-limit test across a real 65 s window (by default a
# driven clock covers it, and the real-time case runs 3 s); torture suites
# of FWM_TORTURE_SECONDS=60 instead of 10; the parser, mapping and fleet
# suites under ASan + UBSan too; and the libFuzzer targets (clang), which
# replay the corpora and then fuzz each target for FWM_FUZZ_SECONDS (60).
# Compilers go through ccache when it is installed (packaging/install-deps.sh
# installs it), keyed so that fresh clones on one machine share the cache.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc)
PY=/usr/bin/python3
FULL=0
while [ $# -gt 0 ]; do
  case $1 in
    --full) FULL=1; shift ;;
    *) echo "usage: bash tests/run_all.sh [--full]" >&2; exit 2 ;;
  esac
done
if [ $FULL = 1 ]; then
  export FWM_TORTURE_SECONDS=${FWM_TORTURE_SECONDS:-60} FWM_LONG_TESTS=1
else
  export FWM_TORTURE_SECONDS=${FWM_TORTURE_SECONDS:-10}
fi

# Each stage's wall time, printed at the end: where the time goes.
stage_names=()
stage_seconds=()
stage_started=$(date +%s)
all_started=$stage_started
stage_end() {
  if [ ${#stage_names[@]} -gt 0 ]; then
    stage_seconds+=($(($(date +%s) - stage_started)))
  fi
  stage_started=$(date +%s)
}
step() {
  stage_end
  stage_names+=("$1")
  printf '\n==> %s\n' "$*"
}
passed=0
count_ctest() { # the number of passed entries in a ctest log
  local n
  n=$(sed -n 's/.*tests passed, 0 tests failed out of \([0-9]*\).*/\1/p' "$1")
  if [ -z "$n" ]; then
    echo "run_all: no passing ctest summary in $1" >&2
    exit 1
  fi
  passed=$((passed + n))
}
ccache_counts() { # compilations served from the cache, and compiled
  ccache --print-stats | awk '$1 == "direct_cache_hit" || $1 == "preprocessed_cache_hit" { h += $2 }
                              $1 == "cache_miss" { m += $2 } END { print h + 0, m + 0 }'
}

step "Dependencies (Debian packages)"
bash packaging/install-deps.sh
cached=0
if command -v ccache >/dev/null; then
  # Every configure below (build_wheels.sh's too) takes the launcher from
  # the environment. Paths under the clone are hashed relative to it, so a
  # fresh clone reuses what an earlier one compiled (build_wheels.sh keys
  # the Zig wrappers by the Zig they run).
  export CMAKE_C_COMPILER_LAUNCHER=ccache CMAKE_CXX_COMPILER_LAUNCHER=ccache
  export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
  read -r hits_before misses_before < <(ccache_counts)
  cached=1
fi

step "C++ build and tests (RelWithDebInfo; torture suites ${FWM_TORTURE_SECONDS} s each)"
cmake -S . -B build -DFWM_WERROR=ON -DCMAKE_UNITY_BUILD=OFF >/dev/null
cmake --build build -j"$JOBS"
ctest --test-dir build --output-on-failure -j"$JOBS" --timeout 300 | tee build/ctest.log
grep -h -E '^(.*)(fault|rate limit|driven rate window|concurrency|flood|torture|free during|slow resolver|never-answering resolver|churn|long subjects|fork\(\) during): ' \
  build/Testing/Temporary/LastTest.log | sed 's/\x1b\[[0-9;]*m//g' || true
count_ctest build/ctest.log

step "Release build: manylinux2014 wheels and tarballs for x86_64 and aarch64 (Zig, glibc 2.17), the win_amd64 wheel (mingw-w64)"
FWM_RELEASE_TESTS="aarch64 windows" bash packaging/build_wheels.sh

step "Python tests (pytest, Debian's python3; the wheels audited and installed as the Agent does)"
FWM_REQUIRE_WHEELS=1 $PY -m pytest -q -p no:cacheprovider tests/python | tee build/pytest.log
py_passed=$(sed -n 's/^\([0-9]*\) passed.*/\1/p' build/pytest.log | tail -1)
[ -n "$py_passed" ] || { echo "run_all: no pytest summary in build/pytest.log" >&2; exit 1; }
passed=$((passed + py_passed))

step "The aarch64 library's C++ suites under qemu-user (parser, mapping, fleet, ABI and unload, client against the local TLS server, torture through the shared library)"
ctest --test-dir build-release-aarch64 --output-on-failure -j"$JOBS" --timeout 900 -R '^(parser|mapping|fleet|abi|client|torture)\.' \
  | tee build-release-aarch64/ctest.log
count_ctest build-release-aarch64/ctest.log

step "The Windows DLL's C++ suites under Wine (parser, mapping, fleet, ABI, client against the local TLS server, torture, fuzz corpora)"
ctest --test-dir build-release-windows --output-on-failure -j"$JOBS" --timeout 900 -R '^(parser|mapping|fleet|abi|client|torture|fuzz)\.' \
  | tee build-release-windows/ctest.log
count_ctest build-release-windows/ctest.log

# ASan + UBSan: the lifecycle, concurrency and hostile-network suites, the C
# ABI, and every saved fuzz input (the parser's, the mapping's and the REST
# readers') through the fuzz targets' code. --full adds the other suites.
asan_targets=(fwm client_tests torture_tests abi_tests option_table_tests
  fuzz_parse_replay fuzz_map_replay fuzz_fleet_replay)
asan_tests='^(client|torture|abi|fuzz)\.'
if [ $FULL = 1 ]; then
  asan_targets=(all)
  asan_tests='.'
fi
step "C++ tests under AddressSanitizer + UndefinedBehaviorSanitizer (${asan_tests})"
cmake -S . -B build-asan -DFWM_SANITIZE=address,undefined -DFWM_WERROR=ON -DCMAKE_BUILD_TYPE=Debug -DCMAKE_UNITY_BUILD=ON >/dev/null
cmake --build build-asan -j"$JOBS" --target "${asan_targets[@]}"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$JOBS" --timeout 600 -R "$asan_tests" | tee build-asan/ctest.log
count_ctest build-asan/ctest.log

step "Client concurrency, rate-limit, feature, proxy, hostile-network, fleet refresh and torture tests under ThreadSanitizer"
cmake -S . -B build-tsan -DFWM_SANITIZE=thread -DFWM_WERROR=ON -DCMAKE_UNITY_BUILD=ON >/dev/null
cmake --build build-tsan -j"$JOBS" --target client_tests torture_tests fwm
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
  ctest --test-dir build-tsan --output-on-failure -j"$JOBS" --timeout 600 \
  -R '^(client\.(client_(concurrency|rate_limit|features|proxy|hostile)|fleet_(capacity|refresh(_day)?|scale))|torture\..*)$' | tee build-tsan/ctest.log
count_ctest build-tsan/ctest.log

if [ $FULL = 1 ]; then
  step "libFuzzer targets (clang, ASan + UBSan): the corpora replayed, then ${FWM_FUZZ_SECONDS:-60} s of fuzzing each"
  cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DFWM_BUILD_TESTS=OFF \
    -DFWM_BUILD_FUZZ=ON -DFWM_SANITIZE=address,undefined -DFWM_WERROR=ON -DCMAKE_UNITY_BUILD=ON >/dev/null
  cmake --build build-fuzz -j"$JOBS" --target fuzz_parse fuzz_map fuzz_fleet
  for target in parse map fleet; do
    dir=tests/fuzz/corpus
    [ $target = fleet ] && dir=tests/fuzz/corpus_fleet
    build-fuzz/tests/fuzz_$target -runs=0 $dir 2>&1 | tail -1
    # New inputs go to a scratch directory: the saved corpora change only by hand.
    scratch=$(mktemp -d)
    build-fuzz/tests/fuzz_$target -max_total_time="${FWM_FUZZ_SECONDS:-60}" "$scratch" $dir 2>&1 | tail -1
    rm -rf "$scratch"
    passed=$((passed + 1))
    echo "fuzz_$target: $(find $dir -type f | wc -l) saved inputs replayed, then fuzzed without a finding"
  done
fi

step "The API key used by the tests appears in no test output"
secret=fw-SECRET-3b9e1c77d2a4
if grep -rl -- "$secret" build*/Testing/Temporary/ build/pytest.log 2>/dev/null; then
  echo "the test API key leaked into the files above" >&2
  exit 1
fi
echo "no leak in $(ls build*/Testing/Temporary/*.log build/pytest.log | wc -l) logs"
passed=$((passed + 1))

stage_end
printf '\nwhere the time went:\n'
for i in "${!stage_names[@]}"; do
  printf '  %5d s  %s\n' "${stage_seconds[$i]}" "${stage_names[$i]:0:100}"
done
printf '  %5d s  in all\n' $(($(date +%s) - all_started))
if [ $cached = 1 ]; then
  read -r hits misses < <(ccache_counts)
  printf '  ccache: %d compilations from the cache, %d compiled\n' $((hits - hits_before)) $((misses - misses_before))
fi

printf '\ntests: %d passed, 0 failed\n' "$passed"
