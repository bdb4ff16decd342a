# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""python_shim/ is the check's folder as integrations-extras would hold it:
ddev's hatch.toml and tests/ package beside this suite. Its dd_environment,
run here as plain pytest runs it (without datadog_checks_dev), brings the
local endpoint up, the instance it yields gets metrics from one run of the
check, and the endpoint is stopped when the fixture ends."""
import os
import socket
import subprocess
import sys

import pytest

from conftest import ENDPOINT, ROOT, SHIM, load_script
from datadog_checks.fireworks.check import FireworksCheck

SHIM_TESTS = os.path.join(SHIM, 'tests')


def refused(port):
    with socket.socket() as s:
        s.settimeout(2.0)
        return s.connect_ex(('127.0.0.1', port)) != 0


def test_the_shims_dd_environment_serves_the_check_and_stops_the_endpoint(aggregator):
    if not os.access(ENDPOINT, os.X_OK):
        pytest.skip('{} is missing: cmake -S . -B build && cmake --build build --target fwm fwm_test_endpoint'
                    .format(ENDPOINT))
    shim_conftest = load_script(os.path.join(SHIM_TESTS, 'conftest.py'))
    assert shim_conftest.environment_run is None  # the plain fixture: this process owns the endpoint
    environment = shim_conftest.dd_environment.__wrapped__()  # the fixture's own generator
    instance = next(environment)
    try:
        port = int(instance['openmetrics_endpoint'].split('//', 1)[1].split('/', 1)[0].rsplit(':', 1)[1])
        assert not refused(port)
        check = FireworksCheck('fireworks', {}, [instance])
        try:
            assert check.run() == ''
        finally:
            check.cancel()
        assert aggregator.metrics('fireworks.requests.rate')
        assert len(aggregator.metrics('fireworks.deployment.replicas')) == 3
        assert [c.status for c in aggregator.service_checks('fireworks.can_connect')] == [FireworksCheck.OK]
    finally:
        with pytest.raises(StopIteration):
            next(environment)  # the fixture's teardown
    assert refused(port)
    assert not os.path.exists(os.path.dirname(instance['tls_ca_cert']))  # its PKI went with it


def test_the_main_suite_does_not_collect_the_shims_tests():
    out = subprocess.run([sys.executable, '-m', 'pytest', '--collect-only', '-q', '-p', 'no:cacheprovider',
                          'tests/python'], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert 'python_shim' not in out.stdout
    assert 'test_ddev_layout.py' in out.stdout


def test_pytest_from_the_shims_folder_runs_its_unit_tests_without_the_main_suites_conftest():
    out = subprocess.run([sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', '-m', 'unit', 'tests'],
                         cwd=SHIM, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert '1 passed' in out.stdout, out.stdout


def test_the_shims_folder_has_ddevs_layout():
    with open(os.path.join(SHIM, 'hatch.toml')) as f:
        hatch = f.read()
    assert '[env.collectors.datadog-checks]' in hatch
    assert '[[envs.default.matrix]]' in hatch and 'python = ["3.12"]' in hatch
    assert 'cmake --build build --target fwm fwm_test_endpoint' in hatch
    assert os.path.isfile(os.path.join(SHIM_TESTS, '__init__.py'))
    with open(os.path.join(SHIM_TESTS, 'test_e2e.py')) as f:
        e2e = f.read()
    assert '@pytest.mark.e2e' in e2e and 'dd_agent_check' in e2e


# Found in review: `ddev test` and `ddev env start` install the check
# editable, and the wheel hook refused to build without a library.
def test_an_editable_install_builds_without_a_library(monkeypatch):
    pytest.importorskip('hatchling.builders.hooks.plugin.interface')
    hook_module = load_script(os.path.join(SHIM, 'hatch_build.py'))
    monkeypatch.delenv('FWM_WHEEL_ARCH', raising=False)
    monkeypatch.delenv('FWM_WHEEL_LIBRARY', raising=False)
    hook = hook_module.CustomBuildHook(SHIM, {}, None, None, SHIM, 'wheel')
    build_data = {'force_include': {}, 'pure_python': True}
    hook.initialize('editable', build_data)
    assert build_data == {'force_include': {}, 'pure_python': True}
    # ... while a release wheel still refuses to be built without one.
    with pytest.raises(ValueError, match='FWM_WHEEL_ARCH must be one of x86_64, aarch64, win_amd64'):
        hook.initialize('standard', build_data)
