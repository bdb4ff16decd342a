# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The collector through the Python binding, against the C++ test endpoint."""
import json
import os
import subprocess
import sys
import threading
import time

import pytest

from conftest import ROOT
from datadog_checks.fireworks import binding

ENDPOINT = os.path.join(ROOT, 'build', 'tests', 'fwm_test_endpoint')
SECRET = 'fw-SECRET-3b9e1c77d2a4-py'


@pytest.fixture(scope='module')
def endpoint():
    if not os.access(ENDPOINT, os.X_OK):
        pytest.fail('{} is missing: build the tests first (tests/run_all.sh)'.format(ENDPOINT))
    proc = subprocess.Popen([ENDPOINT, '--key', SECRET, '--deployments', '4', '--gzip'], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    info = json.loads(proc.stdout.readline())
    yield info
    proc.stdin.close()
    proc.wait(timeout=10)


_accounts = iter(range(10**6))


def config(endpoint, **extra):
    c = {
        'openmetrics_endpoint': endpoint['url'],
        'api_key': SECRET,
        'account_id': 'py%d' % next(_accounts),
        'tls_ca_cert': endpoint['ca_cert'],
        'timeout': 5,
    }
    c.update(extra)
    return c


def test_collects_and_parses(endpoint):
    with binding.Client(config(endpoint)) as client, client.collect(samples=True) as r:
        assert r.ok, r.message
        c = r.collection()
        assert c['status'] == 'FWM_OK' and c['http_status'] == 200
        assert c['encoding'] == 'gzip' and c['wire_bytes'] < c['body_bytes']
        assert r.summary()['samples'] == 4 * 11 == len(r.samples())


def test_wrong_key_is_a_401_without_the_key(endpoint):
    with binding.Client(config(endpoint, api_key=SECRET + '-wrong')) as client, client.collect() as r:
        assert not r.ok
        assert r.status == 'FWM_ERR_HTTP_UNAUTHORIZED'
        assert r.message.endswith(': check api_key')
        assert SECRET not in r.message and SECRET not in json.dumps(r.summary())


def test_bad_config_names_the_option_and_not_the_key():
    with pytest.raises(binding.FwmError) as e:
        binding.Client({'api_key': SECRET, 'account_id': 'a', 'timeout': -1})
    assert e.value.status == 'FWM_ERR_INVALID_OPTIONS'
    assert "option 'timeout'" in str(e.value)
    assert SECRET not in str(e.value)


def test_collect_releases_the_gil(endpoint):
    # A slow collection (a port that never answers) must not stall Python.
    import socket

    silent = socket.socket()
    silent.bind(('127.0.0.1', 0))
    silent.listen(1)
    port = silent.getsockname()[1]
    cfg = config(endpoint, openmetrics_endpoint='https://127.0.0.1:%d/m' % port, timeout=1.0, max_attempts=1)
    ticks = []
    done = threading.Event()

    def tick():
        while not done.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.01)

    t = threading.Thread(target=tick)
    t.start()
    with binding.Client(cfg) as client:
        started = time.monotonic()
        with client.collect() as r:
            elapsed = time.monotonic() - started
    done.set()
    t.join()
    silent.close()
    assert r.status == 'FWM_ERR_TIMEOUT'
    assert elapsed < 2.5
    assert len([x for x in ticks if started <= x <= started + elapsed]) > 20
