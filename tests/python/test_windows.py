# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The win_amd64 wheel of packaging/build_wheels.sh, checked as an auditor
and the Windows Agent would: its tag and files; its DLL's machine, exports
(fwm_* only), imports (Windows' own DLLs and the Agent's OpenSSL 3, no MinGW
runtime) and hardening flags; then the DLL loaded from the wheel's layout
under Wine, with the OpenSSL DLLs in a folder of their own as the Agent
keeps them in embedded3\\DLLs, scraping the local TLS endpoint.

No Windows Python runs here: the shim's Windows path (binding.py) is the
same C ABI, loaded with the same LoadLibraryEx flags the probe uses."""
import email.parser
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import tempfile
import time
import zipfile

import pytest

from conftest import ROOT, payload_endpoint
from datadog_checks.fireworks import binding
from datadog_checks.fireworks.__about__ import __version__
from datadog_checks.fireworks.config import client_config

KEY = 'fw-SECRET-8d1f4b2c9e07-windows'
DIST = os.path.join(ROOT, 'dist')
WHEEL = os.path.join(DIST, 'datadog_fireworks-{}-py3-none-win_amd64.whl'.format(__version__))
BUILD = os.path.join(ROOT, 'build-release-windows')
PROBE = os.path.join(BUILD, 'tests', 'fwm_load_probe.exe')
WINE_RUN = os.path.join(ROOT, 'packaging', 'mingw', 'wine-run')
OBJDUMP = 'x86_64-w64-mingw32-objdump'
OPENSSL_DLLS = ('libssl-3-x64.dll', 'libcrypto-3-x64.dll')
# Windows' own DLLs (no MSVC or MinGW runtime but msvcrt, which every Windows has) and the Agent's OpenSSL.
ALLOWED_IMPORTS = {'kernel32.dll', 'msvcrt.dll', 'ws2_32.dll', 'mswsock.dll', 'bcrypt.dll'} | set(OPENSSL_DLLS)

pytestmark = pytest.mark.slow


def fwm_functions():
    """The functions fwm.h declares: what the DLL must export, and all it may."""
    with open(os.path.join(ROOT, 'lib', 'include', 'fwm', 'fwm.h')) as f:
        return set(re.findall(r'^FWM_API [^(]*?\b(fwm_\w+)\(', f.read(), re.M))


@pytest.fixture(scope='module')
def built():
    """The wheel and the Windows build tree. Missing, the tests skip and say
    how to build them; under tests/run_all.sh (FWM_REQUIRE_WHEELS) they fail."""
    missing = [p for p in (WHEEL, PROBE) if not os.path.exists(p)]
    if missing:
        text = '{} missing: run `FWM_RELEASE_TESTS=windows bash packaging/build_wheels.sh` first'.format(
            ', '.join(os.path.relpath(p, ROOT) for p in missing))
        if os.environ.get('FWM_REQUIRE_WHEELS'):
            pytest.fail(text)
        pytest.skip(text)
    with open(os.path.join(BUILD, 'CMakeCache.txt')) as f:
        openssl = re.search(r'^FWM_MINGW_OPENSSL:\w+=(.*)$', f.read(), re.M).group(1)
    return {'openssl_bin': os.path.join(openssl, 'bin')}


@pytest.fixture(scope='module')
def dll(built, tmp_path_factory):
    """libfwm.dll where the wheel puts it, and the OpenSSL DLLs in a folder of
    their own, as the Agent's embedded3\\DLLs."""
    root = tmp_path_factory.mktemp('agent')
    with zipfile.ZipFile(WHEEL) as z:
        path = z.extract('datadog_checks/fireworks/libfwm.dll', str(root / 'site-packages'))
    dlls = root / 'embedded3' / 'DLLs'
    dlls.mkdir(parents=True)
    for name in OPENSSL_DLLS:
        shutil.copy(os.path.join(built['openssl_bin'], name), str(dlls / name))
    return {'path': path, 'openssl_dir': str(dlls)}


def objdump(path):
    return subprocess.run([OBJDUMP, '-p', path], capture_output=True, text=True, check=True).stdout


def windows_path(path):
    """The path as a Windows program sees it under Wine: a drive letter and backslashes."""
    return 'Z:' + path.replace('/', '\\')


def probe(dll_path, openssl_dir, config_file):
    return subprocess.run([WINE_RUN, '--', PROBE, windows_path(dll_path), windows_path(openssl_dir),
                           windows_path(config_file)], capture_output=True, text=True, timeout=300)


# -- the wheel and its DLL -----------------------------------------------------

def test_the_windows_wheel_has_its_tag_the_dll_and_the_example(built):
    with zipfile.ZipFile(WHEEL) as z:
        names = set(z.namelist())
        wheel = email.parser.Parser().parsestr(z.read('datadog_fireworks-{}.dist-info/WHEEL'.format(__version__)).decode())
        example = z.read('datadog_checks/fireworks/data/conf.yaml.example')
    assert wheel['Tag'] == 'py3-none-win_amd64' and wheel['Root-Is-Purelib'] == 'false'
    assert 'datadog_checks/fireworks/libfwm.dll' in names
    assert not [n for n in names if n.endswith('.so')]
    with open(os.path.join(ROOT, 'conf.d', 'fireworks.d', 'conf.yaml.example'), 'rb') as f:
        assert example == f.read()


def test_the_dll_exports_fwm_only_and_imports_windows_and_the_agents_openssl(dll):
    text = objdump(dll['path'])
    assert 'file format pei-x86-64' in text
    exports = set(re.findall(r'^\s*\[\s*\d+\]\s+(\w+)$', text.split('[Ordinal/Name Pointer] Table')[1], re.M))
    assert exports == fwm_functions(), exports ^ fwm_functions()
    imports = {m.lower() for m in re.findall(r'DLL Name: (\S+)', text)}
    assert imports <= ALLOWED_IMPORTS, imports - ALLOWED_IMPORTS
    assert set(OPENSSL_DLLS) <= imports
    assert not [m for m in imports if re.match(r'lib(stdc\+\+|gcc|winpthread)|vcruntime|msvcp|api-ms-win-crt', m)]
    flags = re.search(r'^DllCharacteristics\s+[0-9a-f]+\n((?:\t\t.*\n)*)', text, re.M).group(1)
    for flag in ('HIGH_ENTROPY_VA', 'DYNAMIC_BASE', 'NX_COMPAT'):
        assert flag in flags, flags
    assert not re.search(r'\.debug_', subprocess.run([OBJDUMP, '-h', dll['path']], capture_output=True, text=True,
                                                     check=True).stdout)


# -- loaded as the Agent loads it, under Wine ------------------------------------------

@pytest.fixture(scope='module')
def endpoint(tmp_path_factory):
    e = payload_endpoint(tmp_path_factory.mktemp('payload'), KEY, deployments=2, seed=4)
    yield e
    e.stop()


def write_config(tmp_path, endpoint, **extra):
    instance = {'account_id': 'win%d' % os.getpid(), 'api_key': KEY, 'openmetrics_endpoint': endpoint.url,
                'tls_ca_cert': windows_path(endpoint.ca_cert)}
    instance.update(extra)
    path = tmp_path / 'client.json'
    path.write_text(json.dumps(client_config(instance)))
    return str(path)


def test_the_dll_from_the_wheel_scrapes_the_local_tls_endpoint_under_wine(dll, endpoint, tmp_path):
    r = probe(dll['path'], dll['openssl_dir'], write_config(tmp_path, endpoint))
    out = r.stdout + r.stderr
    assert KEY not in out
    assert r.returncode == 0, out
    assert 'version: {}'.format(__version__) in r.stdout
    assert 'collect: FWM_OK' in r.stdout
    summary = re.search(r'^summary: (.*)$', r.stdout, re.M).group(1)
    assert '"http_status":200' in summary and '"deployments":2' in summary and '"invalid_lines":0' in summary
    assert r.stdout.rstrip().endswith('unloaded')  # FreeLibrary after the client and its threads went


def test_without_the_agents_dll_folder_the_load_fails_and_says_so(dll, endpoint, tmp_path):
    # The OpenSSL DLLs are found only through the folder added for them: not beside libfwm.dll, not on a path.
    empty = tmp_path / 'no-dlls'
    empty.mkdir()
    r = probe(dll['path'], str(empty), write_config(tmp_path, endpoint))
    assert r.returncode == 3, r.stdout + r.stderr
    assert 'LoadLibraryEx' in r.stdout and 'failed with error 126' in r.stdout  # ERROR_MOD_NOT_FOUND


def test_a_ca_bundle_that_does_not_exist_is_refused_naming_the_option(dll, endpoint, tmp_path):
    r = probe(dll['path'], dll['openssl_dir'],
              write_config(tmp_path, endpoint, tls_ca_cert='C:\\ProgramData\\Datadog\\missing ca.pem'))
    assert r.returncode == 1
    assert ("create: FWM_ERR_INVALID_OPTIONS: option 'tls_ca_cert' names a file that cannot be read: "
            "C:\\ProgramData\\Datadog\\missing ca.pem") in r.stdout, r.stdout
    assert KEY not in r.stdout + r.stderr


def test_a_ca_bundle_under_a_non_ascii_path_is_read(dll, endpoint, tmp_path):
    # The path reaches the library as UTF-8; Windows' narrow file names are ANSI.
    folder = tmp_path / 'Donn\u00e9es \u6e2c\u8a66'
    folder.mkdir()
    ca = folder / 'caf\u00e9 ca.pem'
    shutil.copy(endpoint.ca_cert, str(ca))
    r = probe(dll['path'], dll['openssl_dir'], write_config(tmp_path, endpoint, tls_ca_cert=windows_path(str(ca))))
    assert r.returncode == 0 and 'collect: FWM_OK' in r.stdout, r.stdout + r.stderr


class Tinyproxy(object):
    """Debian's tinyproxy on 127.0.0.1 (a Linux program: Wine's programs share the host's network)."""

    def __init__(self):
        # Its own folder under /tmp: it drops to nobody, who cannot reach pytest's folders, and writes its log here.
        directory = pathlib.Path(tempfile.mkdtemp(prefix='fwm-tinyproxy-'))
        directory.chmod(0o777)
        self.directory = directory
        with socket.socket() as s:
            s.bind(('127.0.0.1', 0))
            self.port = s.getsockname()[1]
        self.log = directory / 'tinyproxy.log'
        conf = directory / 'tinyproxy.conf'
        conf.write_text('User nobody\nGroup nogroup\nPort {}\nListen 127.0.0.1\nTimeout 30\nLogFile "{}"\n'
                        'LogLevel Info\nMaxClients 16\nAllow 127.0.0.1\n'.format(self.port, self.log))
        self.proc = subprocess.Popen(['/usr/bin/tinyproxy', '-d', '-c', str(conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(('127.0.0.1', self.port)) == 0:
                    return
            time.sleep(0.05)
        self.stop()
        pytest.fail('tinyproxy did not start on port {}'.format(self.port))

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.text = self.log.read_text() if self.log.exists() else ''
        shutil.rmtree(str(self.directory), ignore_errors=True)


def test_the_dll_scrapes_through_a_real_proxy_under_wine(dll, endpoint, tmp_path):
    if not os.access('/usr/bin/tinyproxy', os.X_OK):
        pytest.fail('/usr/bin/tinyproxy is missing: run packaging/install-deps.sh')
    proxy = Tinyproxy()
    try:
        r = probe(dll['path'], dll['openssl_dir'],
                  write_config(tmp_path, endpoint, proxy={'https': 'http://127.0.0.1:{}'.format(proxy.port)}))
    finally:
        proxy.stop()
    assert r.returncode == 0 and 'collect: FWM_OK' in r.stdout, r.stdout + r.stderr
    authority = endpoint.url.split('//', 1)[1].split('/', 1)[0]
    assert re.search(r'Request .*: CONNECT {} HTTP/1\.1'.format(re.escape(authority)), proxy.text), proxy.text[-2000:]
    assert KEY not in proxy.text  # the key went inside the tunnel


# -- the shim's Windows paths, decided in Python (no Windows Python here) ---------------

def test_on_windows_the_agents_ca_bundle_is_used_where_tls_ca_cert_is_not_set(tmp_path):
    from datadog_checks.fireworks.config import default_ca_bundle
    embedded3 = tmp_path / 'embedded3'
    assert default_ca_bundle('nt', [str(embedded3)]) is None  # no bundle there: OpenSSL's own paths
    (embedded3 / 'ssl' / 'certs').mkdir(parents=True)
    (embedded3 / 'ssl' / 'certs' / 'cacert.pem').write_text('')
    assert default_ca_bundle('nt', ['', str(embedded3)]) == str(embedded3 / 'ssl' / 'certs' / 'cacert.pem')
    assert default_ca_bundle('posix', [str(embedded3)]) is None  # Linux: the Agent's OpenSSL finds its own
    assert 'tls_ca_cert' not in client_config({'account_id': 'a', 'api_key': KEY})  # this host is not Windows


def test_on_windows_the_openssl_dlls_are_looked_for_in_the_embedded_pythons_dlls(tmp_path):
    (tmp_path / 'embedded3' / 'DLLs').mkdir(parents=True)
    found = binding.openssl_dll_directories([str(tmp_path / 'embedded3'), str(tmp_path / 'embedded3'),
                                             str(tmp_path / 'nowhere'), ''])
    assert found == [str(tmp_path / 'embedded3' / 'DLLs')]  # once, and only what exists


def test_on_windows_the_shim_adds_the_dll_folder_and_loads_the_full_path_with_the_search_flags(tmp_path, monkeypatch):
    """binding._open's Windows branch, with Windows' calls recorded (no Windows Python here)."""
    (tmp_path / 'embedded3' / 'DLLs').mkdir(parents=True)
    calls = []
    monkeypatch.setattr(binding.os, 'name', 'nt')
    monkeypatch.setattr(binding.os, 'add_dll_directory', lambda d: calls.append(('add_dll_directory', d)),
                        raising=False)
    monkeypatch.setattr(binding.sys, 'exec_prefix', str(tmp_path / 'embedded3'))
    monkeypatch.setattr(binding.sys, 'base_exec_prefix', str(tmp_path / 'embedded3'))
    monkeypatch.setattr(binding.ctypes, 'CDLL', lambda path, **kw: calls.append(('CDLL', path, kw)) or 'lib')
    monkeypatch.chdir(tmp_path)
    assert binding._open(os.path.join('site-packages', 'libfwm.dll')) == 'lib'
    assert calls == [('add_dll_directory', str(tmp_path / 'embedded3' / 'DLLs')),
                     ('CDLL', str(tmp_path / 'site-packages' / 'libfwm.dll'), {'winmode': 0x1000 | 0x100})]
