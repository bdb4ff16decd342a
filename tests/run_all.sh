#!/usr/bin/env bash
# Runs every test: the C++ suites (release build), the portable release
# wheels (built, audited, installed as the Agent does), the Python suites,
# the aarch64 library's suites under qemu, the C++
# suites again under AddressSanitizer + UndefinedBehaviorSanitizer, the
# collector's concurrency, hostile-network and torture suites under
# ThreadSanitizer, and the saved fuzz corpora through the libFuzzer targets
# (parser, mapping, the REST answers' readers). Ends with one summary line. The torture suites run for
# FWM_TORTURE_SECONDS each (20 s unless set).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc)
PY=/usr/bin/python3

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

step "Dependencies (Debian packages)"
bash packaging/install-deps.sh

step "C++ build and tests (RelWithDebInfo; the rate-limit test runs past one 60 s window)"
cmake -S . -B build -DFWM_WERROR=ON >/dev/null
cmake --build build -j"$JOBS"
FWM_LONG_TESTS=1 ctest --test-dir build --output-on-failure --timeout 300 | tee build/ctest.log
grep -h -E '^(.*)(fault|rate limit|concurrency|flood|torture|free during|slow resolver|never-answering resolver|churn|long subjects): ' \
  build/Testing/Temporary/LastTest.log | sed 's/\x1b\[[0-9;]*m//g' || true
passed=$((passed + $(sed -n 's/.*tests passed, 0 tests failed out of \([0-9]*\).*/\1/p' build/ctest.log)))

step "Portable release build: manylinux2014 wheels and tarballs for x86_64 and aarch64 (Zig, glibc 2.17)"
release_started=$(date +%s)
FWM_RELEASE_TESTS=aarch64 bash packaging/build_wheels.sh
echo "release build (both architectures, with the aarch64 test programs): $(( $(date +%s) - release_started )) s"

step "Python tests (pytest, Debian's python3; the wheels audited and installed as the Agent does)"
FWM_REQUIRE_WHEELS=1 $PY -m pytest -q -p no:cacheprovider tests/python | tee build/pytest.log
passed=$((passed + $(sed -n 's/^\([0-9]*\) passed.*/\1/p' build/pytest.log | tail -1)))

step "The aarch64 library's C++ suites under qemu-user (parser, mapping, fleet, ABI and unload, client against the local TLS server, torture through the shared library)"
ctest --test-dir build-release-aarch64 --output-on-failure --timeout 900 -R '^(parser|mapping|fleet|abi|client|torture)\.' \
  | tee build-release-aarch64/ctest.log
passed=$((passed + $(sed -n 's/.*tests passed, 0 tests failed out of \([0-9]*\).*/\1/p' build-release-aarch64/ctest.log)))

step "C++ tests under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -DFWM_SANITIZE=address,undefined -DFWM_WERROR=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$JOBS"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure --timeout 600 | tee build-asan/ctest.log
passed=$((passed + $(sed -n 's/.*tests passed, 0 tests failed out of \([0-9]*\).*/\1/p' build-asan/ctest.log)))

step "Client concurrency, rate-limit, feature, proxy, hostile-network, fleet refresh and torture tests under ThreadSanitizer"
cmake -S . -B build-tsan -DFWM_SANITIZE=thread -DFWM_WERROR=ON >/dev/null
cmake --build build-tsan -j"$JOBS" --target client_tests torture_tests fwm
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
  ctest --test-dir build-tsan --output-on-failure --timeout 600 \
  -R '^(client\.(client_(concurrency|rate_limit|features|proxy|hostile)|fleet_(capacity|refresh(_day)?|scale))|torture\..*)$' | tee build-tsan/ctest.log
passed=$((passed + $(sed -n 's/.*tests passed, 0 tests failed out of \([0-9]*\).*/\1/p' build-tsan/ctest.log)))

step "Fuzz corpus through the libFuzzer target (clang, ASan + UBSan)"
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DFWM_BUILD_TESTS=OFF \
  -DFWM_BUILD_FUZZ=ON -DFWM_SANITIZE=address,undefined -DFWM_WERROR=ON >/dev/null
cmake --build build-fuzz -j"$JOBS" --target fuzz_parse fuzz_map fuzz_fleet
for target in parse map fleet; do
  dir=tests/fuzz/corpus
  [ $target = fleet ] && dir=tests/fuzz/corpus_fleet
  build-fuzz/tests/fuzz_$target -runs=0 $dir 2>&1 | tail -1
  passed=$((passed + 1))
  echo "fuzz_$target: $(find $dir -type f | wc -l) inputs replayed without a finding"
done

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

printf '\ntests: %d passed, 0 failed\n' "$passed"
