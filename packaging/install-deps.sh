#!/usr/bin/env bash
# Installs, from Debian 12's own archive, everything the build, the demo and
# the tests need. Safe to run again: it only calls apt when something is missing.
set -euo pipefail

PACKAGES=(
  # build
  g++ make cmake binutils pkg-config ccache
  libboost1.81-dev libboost-test1.81-dev libssl-dev rapidjson-dev libfast-float-dev zlib1g-dev
  # libFuzzer and sanitizer runtimes for clang
  clang libclang-rt-14-dev
  # Python side: Debian's interpreter and packages (PyPI is not used)
  python3 python3-pytest python3-yaml python3-prometheus-client python3-pip python3-venv
  # real peers for the tests
  openssl ca-certificates tinyproxy prometheus prometheus-node-exporter
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} Debian packages present"
  exit 0
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root (or install sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Services from these packages (prometheus, tinyproxy, node exporter) are not
# wanted running: the tests start their own on free loopback ports.
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
