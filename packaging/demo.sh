#!/usr/bin/env bash
# The README's first command: installs what is needed, builds the library and
# runs the main job on the embedded default. For now the default is a bundled
# Fireworks-shaped payload (three deployments): the parser's view of it is
# what the check will map and submit.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> installing build dependencies (Debian packages)"
bash packaging/install-deps.sh

echo "==> building libfwm"
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" --target fwm >/dev/null
echo "    $(ls python_shim/datadog_checks/fireworks/libfwm.so) ($(PYTHONPATH=python_shim /usr/bin/python3 -c 'from datadog_checks.fireworks import binding; print("version", binding.version())'))"

sample=tests/data/fireworks_sample.prom
echo "==> parsing the bundled sample payload $sample"
PYTHONPATH=python_shim /usr/bin/python3 -m datadog_checks.fireworks parse "$sample"

echo "==> first samples, as JSON (parse --samples)"
PYTHONPATH=python_shim /usr/bin/python3 -m datadog_checks.fireworks parse "$sample" --samples > build/sample.jsonl
head -n 3 build/sample.jsonl
