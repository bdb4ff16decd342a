#!/usr/bin/env bash
# The README's first command: installs what is needed, builds, then runs the
# real check against a local Fireworks-like HTTPS endpoint (packaging/demo.py),
# or against your account when FIREWORKS_ACCOUNT_ID and FIREWORKS_API_KEY are set.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3

echo "==> installing build dependencies (Debian packages)"
bash packaging/install-deps.sh

echo "==> building libfwm and the local endpoint"
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" --target fwm fwm_test_endpoint >/dev/null
echo "    libfwm $(PYTHONPATH=python_shim $PY -c 'from datadog_checks.fireworks import binding; print(binding.version())')"

exec $PY packaging/demo.py
