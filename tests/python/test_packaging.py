# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The release artefacts of packaging/build_wheels.sh, checked the way an
auditor and the Agent would: each wheel's tag, metadata and files, its
library's ELF machine, needed libraries, highest glibc symbol version and
exports; the Agent's local-wheel install emulated step by step (its rules:
../shared/reference/datadog-agent.md), then the check run from that install
against the local endpoint; and the manual-install tarballs."""
import email.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile

import pytest

import fireworks_payload
from conftest import ROOT, STUBS, Endpoint
from datadog_checks.fireworks.__about__ import __version__

KEY = 'fw-SECRET-3b9e1c77d2a4-wheel'
ARCHES = ('x86_64', 'aarch64')
DIST = os.path.join(ROOT, 'dist')
MACHINE = {'x86_64': 'Advanced Micro Devices X86-64', 'aarch64': 'AArch64'}
LOADER = {'x86_64': 'ld-linux-x86-64.so.2', 'aarch64': 'ld-linux-aarch64.so.1'}
# manylinux2014 plus the Agent's own OpenSSL 3.
ALLOWED_NEEDED = {'libc.so.6', 'libm.so.6', 'libpthread.so.0', 'libdl.so.2', 'libssl.so.3', 'libcrypto.so.3'}


def wheel_path(arch):
    return os.path.join(DIST, 'datadog_fireworks-{}-py3-none-manylinux2014_{}.whl'.format(__version__, arch))


def tarball_path(arch):
    return os.path.join(DIST, 'fireworks-check-{}-manual-{}.tar.gz'.format(__version__, arch))


# Needs the release artefacts: tests/run_all.sh builds them first.
pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def dist():
    """The artefacts in dist/. Missing, the tests skip and say how to build
    them (a build takes minutes); under tests/run_all.sh, which builds them
    first and sets FWM_REQUIRE_WHEELS, missing ones are a failure."""
    missing = [p for a in ARCHES for p in (wheel_path(a), tarball_path(a)) if not os.path.exists(p)]
    if missing:
        text = '{} missing: run `bash packaging/build_wheels.sh` first'.format(', '.join(os.path.relpath(p, ROOT) for p in missing))
        if os.environ.get('FWM_REQUIRE_WHEELS'):
            pytest.fail(text)
        pytest.skip(text)
    return DIST


@pytest.fixture(scope='module')
def endpoint(tmp_path_factory):
    payload = tmp_path_factory.mktemp('payload') / 'p.prom'
    payload.write_text(fireworks_payload.render(2, seed=4))
    e = Endpoint(str(payload), KEY)
    yield e
    e.stop()


def conf_instance(endpoint):
    return {'account_id': 'wheel%d' % os.getpid(), 'api_key': KEY, 'openmetrics_endpoint': endpoint.url,
            'tls_ca_cert': endpoint.ca_cert}


def readelf(*args):
    return subprocess.run(['readelf'] + list(args), capture_output=True, text=True, check=True).stdout


def dist_info(z, name):
    return z.read('datadog_fireworks-{}.dist-info/{}'.format(__version__, name)).decode()


# -- the audit, per wheel ------------------------------------------------------

@pytest.mark.parametrize('arch', ARCHES)
def test_wheel_tag_metadata_and_files(dist, arch):
    with zipfile.ZipFile(wheel_path(arch)) as z:
        names = set(z.namelist())
        wheel = email.parser.Parser().parsestr(dist_info(z, 'WHEEL'))
        meta = email.parser.Parser().parsestr(dist_info(z, 'METADATA'))
        record = dist_info(z, 'RECORD').splitlines()
    assert wheel['Tag'] == 'py3-none-manylinux2014_' + arch
    assert wheel['Root-Is-Purelib'] == 'false'
    assert wheel['Generator'].startswith('hatchling ')
    assert meta['Name'] == 'datadog-fireworks' and meta['Version'] == __version__
    assert meta.get_all('Requires-Dist') == ['datadog-checks-base>=16.1.0']
    assert {'datadog_checks/fireworks/libfwm.so', 'datadog_checks/fireworks/check.py',
            'datadog_checks/fireworks/__about__.py', 'datadog_checks/fireworks/data/conf.yaml.example'} <= names
    assert 'datadog_checks/__init__.py' not in names  # the namespace belongs to datadog-checks-base
    assert not [n for n in names if n.endswith('.pyc') or '__pycache__' in n]
    assert {line.split(',')[0] for line in record} == names
    with open(os.path.join(ROOT, 'conf.d', 'fireworks.d', 'conf.yaml.example'), 'rb') as f, \
            zipfile.ZipFile(wheel_path(arch)) as z:
        assert z.read('datadog_checks/fireworks/data/conf.yaml.example') == f.read()


@pytest.mark.parametrize('arch', ARCHES)
def test_wheel_library_loads_on_glibc_2_17_with_the_agents_openssl(dist, arch, tmp_path):
    with zipfile.ZipFile(wheel_path(arch)) as z:
        lib = z.extract('datadog_checks/fireworks/libfwm.so', str(tmp_path))
    assert re.search(r'Machine:\s+' + re.escape(MACHINE[arch]), readelf('-h', lib))
    dynamic = readelf('-d', lib)
    needed = set(re.findall(r'\(NEEDED\)\s+Shared library: \[(.*?)\]', dynamic))
    assert {'libssl.so.3', 'libcrypto.so.3', 'libc.so.6'} <= needed
    assert needed - {LOADER[arch]} <= ALLOWED_NEEDED, needed  # the C++ runtime is linked in
    versions = set(re.findall(r'GLIBC_([0-9.]+)', readelf('-V', '--wide', lib)))
    highest = max(versions, key=lambda v: tuple(int(x) for x in v.split('.')))
    assert tuple(int(x) for x in highest.split('.')) <= (2, 17), highest
    assert not re.search(r'GLIBCXX_|CXXABI_', readelf('-V', '--wide', lib))
    runpath = re.search(r'\(RUNPATH\)\s+Library runpath: \[(.*?)\]', dynamic)
    assert runpath and runpath.group(1).split(':')[0] == '/opt/datadog-agent/embedded/lib'
    # Static TLS cannot be placed by a dlopen() after the process started.
    assert 'STATIC_TLS' not in dynamic
    assert '.debug_info' not in readelf('-S', '--wide', lib)
    r = subprocess.run(['sh', os.path.join(ROOT, 'tests', 'tools', 'check_exports.sh'), lib], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_x86_64_wheels_library_unloads_and_the_process_exits_cleanly(dist, tmp_path):
    """dlclose() then exit(): the library's exit handlers must run at the
    unload, not after it (the aarch64 library runs the same program under
    qemu in its ctest stage)."""
    with zipfile.ZipFile(wheel_path('x86_64')) as z:
        lib = z.extract('datadog_checks/fireworks/libfwm.so', str(tmp_path))
    exe = str(tmp_path / 'unload_then_exit')
    subprocess.run(['cc', '-o', exe, os.path.join(ROOT, 'tests', 'tools', 'unload_then_exit.c'), '-ldl'], check=True)
    r = subprocess.run([exe, lib], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.split('\n')[1] == 'unloaded', (r.returncode, r.stdout, r.stderr)


# -- the Agent's local-wheel install, emulated ---------------------------------------

class Refused(Exception):
    pass


def agent_integration_install(wheel, python, conf_d, constraints):
    """`datadog-agent integration install -w <wheel>` for a local wheel, step by
    step: refuse a wheel that does not require datadog-checks-base, take the
    integration's name from `Name: datadog-<name>`, install it with pip
    (--constraint, --no-cache-dir, --no-index, --no-deps), then copy every
    *.yaml* of datadog_checks/<name>/data/ into conf.d/<name>.d/."""
    with zipfile.ZipFile(wheel) as z:
        meta_name = next(n for n in z.namelist() if n.endswith('.dist-info/METADATA'))
        metadata = z.read(meta_name).decode()
    if not any(line.startswith('Requires-Dist: datadog-checks-base') for line in metadata.splitlines()):
        raise Refused('{} is not an agent check, it will not be installed'.format(os.path.basename(wheel)))
    name = re.search(r'^Name: datadog-(.+)$', metadata, re.M).group(1).replace('-', '_')
    r = subprocess.run([python, '-m', 'pip', 'install', '--constraint', constraints, '--no-cache-dir', '--no-index',
                        '--no-deps', '--disable-pip-version-check', wheel], capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise Refused('pip: ' + r.stdout + r.stderr)
    site = subprocess.run([python, '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'],
                          capture_output=True, text=True, check=True).stdout.strip()
    data = os.path.join(site, 'datadog_checks', name, 'data')
    if not os.path.isdir(data):
        raise Refused('{} has no data folder'.format(data))
    dest = os.path.join(conf_d, name + '.d')
    os.makedirs(dest, exist_ok=True)
    copied = []
    for f in sorted(os.listdir(data)):
        if re.search(r'\.yaml', f):
            shutil.copy(os.path.join(data, f), dest)
            copied.append(os.path.join(dest, f))
    return name, copied


@pytest.fixture
def venv(tmp_path):
    path = tmp_path / 'venv'
    # Debian's pip comes in through the system site-packages; nothing from an index.
    subprocess.run(['/usr/bin/python3', '-m', 'venv', '--system-site-packages', str(path)], check=True, timeout=120)
    constraints = tmp_path / 'agent_requirements.in'
    constraints.write_text('datadog-checks-base==37.19.0\n')
    return str(path / 'bin' / 'python'), str(constraints)


def test_the_agent_refuses_a_wheel_that_does_not_require_the_base(dist, venv, tmp_path):
    python, constraints = venv
    doctored = tmp_path / os.path.basename(wheel_path('x86_64'))
    with zipfile.ZipFile(wheel_path('x86_64')) as src, zipfile.ZipFile(str(doctored), 'w') as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith('/METADATA'):
                data = b''.join(l for l in data.splitlines(True) if not l.startswith(b'Requires-Dist:'))
            dst.writestr(info, data)
    with pytest.raises(Refused, match='is not an agent check'):
        agent_integration_install(str(doctored), python, str(tmp_path / 'conf.d'), constraints)


def test_the_agent_installs_the_wheel_and_the_check_runs_from_there(dist, venv, endpoint, tmp_path):
    python, constraints = venv
    conf_d = tmp_path / 'conf.d'
    name, copied = agent_integration_install(wheel_path('x86_64'), python, str(conf_d), constraints)
    assert name == 'fireworks'
    assert copied == [str(conf_d / 'fireworks.d' / 'conf.yaml.example')]
    # What a user does next: conf.yaml from the example, with their account.
    import yaml
    example = yaml.safe_load((conf_d / 'fireworks.d' / 'conf.yaml.example').read_text())
    instance = dict(example['instances'][0], **conf_instance(endpoint))
    conf = conf_d / 'fireworks.d' / 'conf.yaml'
    conf.write_text(yaml.safe_dump({'init_config': example.get('init_config') or {}, 'instances': [instance]}))
    env = {k: v for k, v in os.environ.items() if k not in ('PYTHONPATH', 'FWM_LIBRARY')}
    env['PYTHONPATH'] = STUBS  # the stand-in for datadog_checks_base, which no index can give us here
    where = subprocess.run([python, '-c', 'import datadog_checks.fireworks.binding as b; print(b.library_path())'],
                           capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=60)
    assert where.stdout.strip().startswith(os.path.dirname(os.path.dirname(python))), where.stderr
    r = subprocess.run([python, '-m', 'datadog_checks.fireworks', 'check', '-c', str(conf), '--json'],
                       capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=60)
    assert r.returncode == 0, r.stderr
    items = [json.loads(line) for line in r.stdout.splitlines()]
    checks = [i for i in items if i['kind'] == 'service_check' and i['name'] == 'fireworks.can_connect']
    assert [c['status'] for c in checks] == [0]
    assert any(i['name'] == 'fireworks.latency.overall' and i['kind'] == 'histogram_bucket' for i in items)
    assert KEY not in r.stdout + r.stderr


def test_pip_takes_the_aarch64_wheel_for_an_arm_host(dist, tmp_path):
    # The Agent's pip on an Arm host: here, the same resolution asked for that platform.
    target = tmp_path / 'site'
    r = subprocess.run(['/usr/bin/python3', '-m', 'pip', 'install', '--no-index', '--no-deps', '--no-cache-dir',
                        '--disable-pip-version-check', '--platform', 'manylinux2014_aarch64', '--only-binary=:all:',
                        '--target', str(target), wheel_path('aarch64')], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    lib = target / 'datadog_checks' / 'fireworks' / 'libfwm.so'
    assert re.search(r'Machine:\s+AArch64', readelf('-h', str(lib)))
    assert (target / 'datadog_checks' / 'fireworks' / 'data' / 'conf.yaml.example').is_file()
    # And an x86_64 host's pip refuses it.
    r = subprocess.run(['/usr/bin/python3', '-m', 'pip', 'install', '--no-index', '--no-deps', '--dry-run',
                        '--disable-pip-version-check', '--target', str(tmp_path / 'x'), wheel_path('aarch64')],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode != 0 and 'is not a supported wheel on this platform' in r.stdout + r.stderr


# -- the manual-install tarballs -----------------------------------------------------

@pytest.mark.parametrize('arch', ARCHES)
def test_manual_tarball_holds_the_custom_check_layout(dist, arch, tmp_path):
    with tarfile.open(tarball_path(arch)) as t:
        names = set(t.getnames())
        t.extractall(str(tmp_path))
    assert {'checks.d/fireworks.py', 'checks.d/datadog_checks/__init__.py',
            'checks.d/datadog_checks/fireworks/check.py', 'checks.d/datadog_checks/fireworks/libfwm.so',
            'conf.d/fireworks.d/conf.yaml.example'} <= names
    lib = str(tmp_path / 'checks.d' / 'datadog_checks' / 'fireworks' / 'libfwm.so')
    assert re.search(r'Machine:\s+' + re.escape(MACHINE[arch]), readelf('-h', lib))
    with zipfile.ZipFile(wheel_path(arch)) as z, open(lib, 'rb') as f:
        assert z.read('datadog_checks/fireworks/libfwm.so') == f.read()  # one library per architecture


def test_manual_layout_runs_as_a_custom_check(dist, endpoint, tmp_path):
    with tarfile.open(tarball_path('x86_64')) as t:
        t.extractall(str(tmp_path))
    env = {k: v for k, v in os.environ.items() if k not in ('PYTHONPATH', 'FWM_LIBRARY')}
    env['PYTHONPATH'] = os.pathsep.join([str(tmp_path / 'checks.d'), STUBS])
    conf = tmp_path / 'conf.yaml'
    conf.write_text(json.dumps({'init_config': {}, 'instances': [conf_instance(endpoint)]}))
    code = (
        'import json, sys, yaml, fireworks\n'
        'from datadog_checks.base.stubs import aggregator\n'
        'conf = yaml.safe_load(open(sys.argv[1]))\n'
        'check = fireworks.FireworksCheck("fireworks", conf["init_config"], conf["instances"])\n'
        'check.check(check.instance)\n'
        'print(fireworks.__version__, len(aggregator.metrics("fireworks.requests.rate")),'
        ' aggregator.service_checks("fireworks.can_connect")[0].status)\n'
    )
    r = subprocess.run([sys.executable, '-c', code, str(conf)], capture_output=True, text=True, env=env,
                       cwd=str(tmp_path), timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [__version__, '2', '0']
