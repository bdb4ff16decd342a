#!/usr/bin/env bash
# The README's first command: installs what is needed, builds, starts a local
# Fireworks-like HTTPS endpoint serving a bundled payload (three deployments),
# runs the real check against it through the Python shim, and stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3

echo "==> installing build dependencies (Debian packages)"
bash packaging/install-deps.sh

echo "==> building libfwm and the local endpoint"
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" --target fwm fwm_test_endpoint >/dev/null
echo "    libfwm $(PYTHONPATH=python_shim $PY -c 'from datadog_checks.fireworks import binding; print(binding.version())')"

workdir=build/demo
mkdir -p "$workdir"
key="demo-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
echo "==> starting the local endpoint (HTTPS on 127.0.0.1, Bearer key required)"
coproc ENDPOINT { exec build/tests/fwm_test_endpoint --payload tests/data/fireworks_sample.prom --key "$key" --gzip; }
trap 'exec {ENDPOINT[1]}>&-; wait "$ENDPOINT_PID" 2>/dev/null || true' EXIT
read -r info <&"${ENDPOINT[0]}"
url=$($PY -c 'import json,sys; print(json.loads(sys.argv[1])["url"])' "$info")
ca=$($PY -c 'import json,sys; print(json.loads(sys.argv[1])["ca_cert"])' "$info")
echo "    $url"
cat > "$workdir/conf.yaml" <<YAML
init_config: {}
instances:
  - account_id: acme-ai
    api_key: "$key"
    openmetrics_endpoint: "$url"
    tls_ca_cert: "$ca"
    min_collection_interval: 60
    empty_default_hostname: true
    tags: [env:demo]
YAML

echo "==> running the check twice, as 'datadog-agent check fireworks' would"
PYTHONPATH=python_shim $PY -m datadog_checks.fireworks check -c "$workdir/conf.yaml" --times 2 --interval 1

echo
echo "To point the same check at your account, set account_id and api_key in a conf.yaml (see"
echo "conf.d/fireworks.d/conf.yaml.example) and run:"
echo "  PYTHONPATH=python_shim $PY -m datadog_checks.fireworks check -c conf.yaml"
