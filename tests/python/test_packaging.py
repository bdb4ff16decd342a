"""The wheel and the manual layout: built here, installed into a fresh
virtual environment of Debian's Python, and run against the local endpoint."""
import json
import os
import subprocess
import sys
import tarfile
import zipfile

import pytest

import fireworks_payload
from conftest import ROOT, STUBS, Endpoint
from datadog_checks.fireworks.__about__ import __version__

KEY = 'fw-SECRET-3b9e1c77d2a4-wheel'


@pytest.fixture(scope='module')
def dist(tmp_path_factory):
    out = tmp_path_factory.mktemp('dist')
    r = subprocess.run([sys.executable, os.path.join(ROOT, 'packaging', 'build_wheel.py'), '--out', str(out)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    wheel, manual = r.stdout.split()
    return wheel, manual


@pytest.fixture(scope='module')
def endpoint(tmp_path_factory):
    payload = tmp_path_factory.mktemp('payload') / 'p.prom'
    payload.write_text(fireworks_payload.render(2, seed=4))
    e = Endpoint(str(payload), KEY)
    yield e
    e.stop()


def conf(tmp_path, endpoint):
    path = tmp_path / 'conf.yaml'
    path.write_text(json.dumps({'init_config': {}, 'instances': [{
        'account_id': 'wheel%d' % os.getpid(), 'api_key': KEY, 'openmetrics_endpoint': endpoint.url,
        'tls_ca_cert': endpoint.ca_cert}]}))
    return str(path)


def test_wheel_is_a_platform_wheel_with_the_library_inside(dist):
    wheel, _ = dist
    assert os.path.basename(wheel) == 'datadog_fireworks-{}-py3-none-linux_x86_64.whl'.format(__version__)
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        assert 'datadog_checks/fireworks/libfwm.so' in names
        assert 'datadog_checks/fireworks/check.py' in names
        assert 'datadog_checks/fireworks/data/conf.yaml.example' in names
        assert 'datadog_checks/__init__.py' not in names  # the namespace belongs to datadog_checks_base
        wheel_meta = z.read('datadog_fireworks-{}.dist-info/WHEEL'.format(__version__)).decode()
        assert 'Root-Is-Purelib: false' in wheel_meta and 'Tag: py3-none-linux_x86_64' in wheel_meta
        record = z.read('datadog_fireworks-{}.dist-info/RECORD'.format(__version__)).decode().splitlines()
        assert {line.split(',')[0] for line in record} == names


def test_library_needs_only_glibc_and_openssl_and_finds_the_agents(dist, tmp_path):
    wheel, _ = dist
    with zipfile.ZipFile(wheel) as z:
        lib = z.extract('datadog_checks/fireworks/libfwm.so', str(tmp_path))
    r = subprocess.run(['sh', os.path.join(ROOT, 'tests', 'tools', 'check_exports.sh'), lib], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    dynamic = subprocess.run(['readelf', '-d', lib], capture_output=True, text=True, check=True).stdout
    runpath = [line for line in dynamic.splitlines() if '(RUNPATH)' in line]
    assert runpath and '/opt/datadog-agent/embedded/lib' in runpath[0]
    assert '.debug_info' not in subprocess.run(['readelf', '-S', lib], capture_output=True, text=True).stdout


def test_wheel_installs_into_a_fresh_venv_and_runs_the_check(dist, endpoint, tmp_path):
    wheel, _ = dist
    venv = tmp_path / 'venv'
    # Debian's pip comes in through the system site-packages; nothing from an index.
    subprocess.run(['/usr/bin/python3', '-m', 'venv', '--system-site-packages', str(venv)], check=True, timeout=120)
    python = str(venv / 'bin' / 'python')
    r = subprocess.run([python, '-m', 'pip', 'install', '--no-index', '--no-deps', '--disable-pip-version-check', wheel],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    env = {k: v for k, v in os.environ.items() if k not in ('PYTHONPATH', 'FWM_LIBRARY')}
    env['PYTHONPATH'] = STUBS  # the stand-in for datadog_checks_base, which no index can give us here
    where = subprocess.run([python, '-c', 'import datadog_checks.fireworks.binding as b, datadog_checks.base as base;'
                                          'print(b.library_path()); print(base.__file__)'],
                           capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=60)
    lib_path, base_path = where.stdout.split()
    assert lib_path.startswith(str(venv)), where.stderr
    assert base_path.startswith(STUBS)
    r = subprocess.run([python, '-m', 'datadog_checks.fireworks', 'check', '-c', conf(tmp_path, endpoint), '--json'],
                       capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=60)
    assert r.returncode == 0, r.stderr
    items = [json.loads(line) for line in r.stdout.splitlines()]
    assert {'kind': 'service_check', 'name': 'fireworks.can_connect', 'status': 0, 'message': '',
            'tags': ['fireworks_account:wheel%d' % os.getpid()]} in items
    assert any(i['name'] == 'fireworks.latency.overall' and i['kind'] == 'histogram_bucket' for i in items)


def test_manual_layout_runs_as_a_custom_check(dist, endpoint, tmp_path):
    _, manual = dist
    with tarfile.open(manual) as t:
        names = t.getnames()
        t.extractall(str(tmp_path))
    assert 'checks.d/fireworks.py' in names and 'conf.d/fireworks.d/conf.yaml.example' in names
    env = {k: v for k, v in os.environ.items() if k not in ('PYTHONPATH', 'FWM_LIBRARY')}
    env['PYTHONPATH'] = os.pathsep.join([str(tmp_path / 'checks.d'), STUBS])
    code = (
        'import json, sys, yaml, fireworks\n'
        'from datadog_checks.base.stubs import aggregator\n'
        'conf = yaml.safe_load(open(sys.argv[1]))\n'
        'check = fireworks.FireworksCheck("fireworks", conf["init_config"], conf["instances"])\n'
        'check.check(check.instance)\n'
        'print(fireworks.__version__, len(aggregator.metrics("fireworks.requests.rate")),'
        ' aggregator.service_checks("fireworks.can_connect")[0].status)\n'
    )
    r = subprocess.run([sys.executable, '-c', code, conf(tmp_path, endpoint)], capture_output=True, text=True,
                       env=env, cwd=str(tmp_path), timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [__version__, '2', '0']
