#!/usr/bin/env bash
# Runs every test: the C++ suites (release build), the Python suites, the C++
# suites again under AddressSanitizer + UndefinedBehaviorSanitizer, and the
# saved fuzz corpus through the libFuzzer build. Ends with one summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc)
PY=/usr/bin/python3

step() { printf '\n==> %s\n' "$*"; }
passed=0

bash packaging/install-deps.sh

step "C++ build and tests (RelWithDebInfo)"
cmake -S . -B build -DFWM_WERROR=ON >/dev/null
cmake --build build -j"$JOBS"
ctest --test-dir build --output-on-failure --timeout 300 | tee build/ctest.log
passed=$((passed + $(sed -n 's/.*tests passed, 0 tests failed out of \([0-9]*\).*/\1/p' build/ctest.log)))

step "Python tests (pytest, Debian's python3)"
$PY -m pytest -q -p no:cacheprovider tests/python | tee build/pytest.log
passed=$((passed + $(sed -n 's/^\([0-9]*\) passed.*/\1/p' build/pytest.log | tail -1)))

step "C++ tests under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -DFWM_SANITIZE=address,undefined -DFWM_WERROR=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$JOBS"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure --timeout 600 | tee build-asan/ctest.log
passed=$((passed + $(sed -n 's/.*tests passed, 0 tests failed out of \([0-9]*\).*/\1/p' build-asan/ctest.log)))

step "Fuzz corpus through the libFuzzer target (clang, ASan + UBSan)"
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DFWM_BUILD_TESTS=OFF \
  -DFWM_BUILD_FUZZ=ON -DFWM_SANITIZE=address,undefined -DFWM_WERROR=ON >/dev/null
cmake --build build-fuzz -j"$JOBS" --target fuzz_parse
corpus=$(find tests/fuzz/corpus -type f | wc -l)
build-fuzz/tests/fuzz_parse -runs=0 tests/fuzz/corpus 2>&1 | tail -2
passed=$((passed + 1))
echo "fuzz corpus: $corpus inputs replayed without a finding"

printf '\ntests: %d passed, 0 failed\n' "$passed"
