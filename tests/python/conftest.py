# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHIM = os.path.join(ROOT, 'python_shim')
TOOLS = os.path.join(ROOT, 'tests', 'tools')
STUBS = os.path.join(ROOT, 'tests', 'python', 'stubs')
ENDPOINT = os.path.join(ROOT, 'build', 'tests', 'fwm_test_endpoint')
for path in (SHIM, TOOLS):
    if path not in sys.path:
        sys.path.insert(0, path)

import standin_base  # noqa: E402

USING_STANDIN = standin_base.load()


def pytest_configure(config):
    config.addinivalue_line('markers', 'slow: needs built wheels or runs for tens of seconds; '
                                       'tests/run_fast.sh leaves it out (-m "not slow")')


def load_script(path):
    """A project script (packaging/*.py) as a module, without running its main."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(os.path.splitext(os.path.basename(path))[0], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def shim_env(**extra):
    """Environment for a child `python3 -m datadog_checks.fireworks`."""
    env = dict(os.environ)
    env['PYTHONPATH'] = SHIM + os.pathsep + env.get('PYTHONPATH', '')
    env.update(extra)
    return env


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def fetch(url, timeout=5.0):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read()


class Server:
    """A real server process on 127.0.0.1, stopped when the test ends."""

    def __init__(self, argv, url, deadline_s=30.0, cwd=None):
        self.url = url
        self.log = open(os.devnull, 'wb')
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, cwd=cwd)
        end = time.monotonic() + deadline_s
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError('{} exited with {} before serving'.format(argv[0], self.proc.returncode))
            try:
                fetch(url, timeout=1.0)
                return
            except OSError:
                if time.monotonic() > end:
                    self.stop()
                    raise RuntimeError('{} did not serve {} within {}s'.format(argv[0], url, deadline_s))
                time.sleep(0.1)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def require_binary(path):
    if not os.access(path, os.X_OK):
        pytest.fail('{} is missing: run packaging/install-deps.sh'.format(path))


def Endpoint(payload_path, key, gzip=False, extra=()):
    """fwm_test_endpoint (the C++ test server) serving a payload file over HTTPS
    (tests/tools/local_endpoint.py starts it; .stop() ends it)."""
    import local_endpoint

    try:
        return local_endpoint.start(payload_path, key, (['--gzip'] if gzip else []) + list(extra))
    except local_endpoint.EndpointError as e:
        pytest.fail(str(e))


def payload_endpoint(directory, key, deployments=3, seed=5, account='acme', extra=()):
    """An Endpoint serving a generated Fireworks payload of `deployments`,
    written into `directory` (a pathlib folder of the test's own)."""
    import fireworks_payload

    payload = directory / 'metrics.prom'
    payload.write_text(fireworks_payload.render(deployments, seed=seed, account=account))
    return Endpoint(str(payload), key, extra=extra)


@pytest.fixture
def aggregator():
    from datadog_checks.base.stubs import aggregator as stub

    stub.reset()
    return stub
