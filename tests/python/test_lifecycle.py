# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The check under the Agent's lifecycle and hostile input: cancel() from
another thread while check() runs, statuses the library reports when it
fails itself, insecure settings, an encrypted key on a terminal, invalid
UTF-8 and newlines in a payload, proxy passwords, and filters read as
Python's re reads them."""
import json
import logging
import os
import pty
import random
import re
import select
import socket
import subprocess
import sys
import threading
import time

import pytest

from conftest import ROOT, Endpoint, payload_endpoint, shim_env
from datadog_checks.base import AgentCheck, ConfigurationError
from datadog_checks.base.errors import CheckException
from datadog_checks.fireworks import FireworksCheck, binding

SECRET = 'fw-SECRET-3b9e1c77d2a4-lifecycle'
PEM = os.path.join(ROOT, 'build', 'lifecycle-pki')


class SilentServer(object):
    """A TCP server on 127.0.0.1 that accepts and never says anything: an
    endpoint that hangs in the TLS handshake."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()


@pytest.fixture
def silent():
    s = SilentServer()
    yield s
    s.close()


@pytest.fixture(scope='module')
def endpoint(tmp_path_factory):
    e = payload_endpoint(tmp_path_factory.mktemp('payload'), SECRET, seed=1)
    yield e
    e.stop()


_accounts = iter(range(10**6))


def instance(url, **extra):
    i = {
        'account_id': 'life%d' % next(_accounts),
        'api_key': SECRET,
        'openmetrics_endpoint': url,
        'min_collection_interval': 15,
        'timeout': 5,
    }
    i.update(extra)
    return i


def run_in_thread(check):
    box = {}

    def target():
        try:
            check.check(check.instance)
        except Exception as e:  # reported to the test, not swallowed
            box['error'] = e

    t = threading.Thread(target=target)
    t.start()
    return t, box


def test_cancel_while_check_runs_returns_at_once_and_submits_nothing(aggregator, silent):
    check = FireworksCheck('fireworks', {}, [instance('https://127.0.0.1:%d/m' % silent.port, timeout=10)])
    t, box = run_in_thread(check)
    time.sleep(0.3)  # the collection is waiting on the handshake
    started = time.monotonic()
    check.cancel()
    cancel_took = time.monotonic() - started
    t.join(5)
    assert not t.is_alive()
    assert time.monotonic() - started < 1.0
    assert cancel_took < 0.1
    assert 'error' not in box, box
    assert aggregator.service_checks('fireworks.can_connect') == []
    assert not aggregator.metric_names
    check.check(check.instance)  # a late run after cancel does nothing, and does not raise


def test_cancel_storm_from_other_threads(aggregator, endpoint, silent):
    rng = random.Random(5)
    urls = [endpoint.url, 'https://127.0.0.1:%d/m' % silent.port]
    outcomes = {'finished': 0, 'cancelled_early': 0}
    for n in range(60):
        check = FireworksCheck('fireworks', {}, [instance(rng.choice(urls), tls_ca_cert=endpoint.ca_cert,
                                                          timeout=2)])
        t, box = run_in_thread(check)
        time.sleep(rng.random() * 0.05)
        check.cancel()
        t.join(5)
        assert not t.is_alive(), 'check() did not return after cancel()'
        if 'error' in box:
            # A run that finished before the cancel may fail on its own terms, never on ours.
            assert isinstance(box['error'], CheckException), repr(box['error'])
        outcomes['finished'] += 1
    assert outcomes['finished'] == 60


class _FakeResult(object):
    def __init__(self, status, message):
        self.status = status
        self.message = message
        self.ok = False

    cancelled = False

    def summary_or_none(self):
        return None  # the library had no memory for one

    def batches(self):
        return iter(())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize('status,message', [
    ('FWM_ERR_OUT_OF_MEMORY', 'out of memory in fwm_client_collect'),
    ('FWM_ERR_INTERNAL', 'fwm_client_collect: vector::_M_range_check'),
])
def test_a_failure_inside_the_library_still_gives_the_service_check(aggregator, endpoint, monkeypatch, status,
                                                                     message):
    check = FireworksCheck('fireworks', {}, [instance(endpoint.url, tls_ca_cert=endpoint.ca_cert)])
    monkeypatch.setattr(check._client, 'collect', lambda: _FakeResult(status, message))
    with pytest.raises(CheckException) as e:
        check.check(check.instance)
    assert message in str(e.value)
    sc = aggregator.service_checks('fireworks.can_connect')
    assert len(sc) == 1 and sc[0].status == AgentCheck.CRITICAL
    assert message in sc[0].message and status in sc[0].message


def test_the_library_reports_its_own_failures_as_facts_and_the_check_decides(aggregator, endpoint, monkeypatch):
    # Options the library refuses (from a caller's bug): a status and a
    # message naming the option, no submissions; the check turns that into
    # a CRITICAL service check.
    with binding.Client({'account_id': 'x', 'api_key': SECRET, 'openmetrics_endpoint': endpoint.url,
                         'tls_ca_cert': endpoint.ca_cert}) as client:
        with client.collect(max_errors=10**6) as r:
            assert r.status == 'FWM_ERR_INVALID_OPTIONS'
            assert "option 'max_errors'" in r.message
            assert list(r.batches()) == []
    check = FireworksCheck('fireworks', {}, [instance(endpoint.url, tls_ca_cert=endpoint.ca_cert)])
    collect = check._client.collect
    monkeypatch.setattr(check._client, 'collect', lambda: collect(max_errors=10**6))
    with pytest.raises(CheckException) as e:
        check.check(check.instance)
    assert "option 'max_errors'" in str(e.value)
    sc = aggregator.service_checks('fireworks.can_connect')
    assert len(sc) == 1 and sc[0].status == AgentCheck.CRITICAL
    assert "option 'max_errors'" in sc[0].message


def test_insecure_settings_warn_once_per_instance(caplog, endpoint):
    caplog.set_level(logging.WARNING)
    http_url = endpoint.url.replace('https://', 'http://')
    cases = [
        (instance(http_url), 'openmetrics_endpoint uses http://'),
        (instance(endpoint.url, tls_verify=False), 'tls_verify is false'),
        (instance(endpoint.url, tls_ca_cert=endpoint.ca_cert, tls_validate_hostname=False),
         'tls_validate_hostname is false'),
    ]
    for inst, text in cases:
        caplog.clear()
        check = FireworksCheck('fireworks', {}, [inst])
        for _ in range(2):
            try:
                check.check(inst)
            except CheckException:
                pass  # http:// against a TLS server fails; the warning is what is tested
        warnings = [r.getMessage() for r in caplog.records if text in r.getMessage()]
        assert len(warnings) == 1, (text, [r.getMessage() for r in caplog.records])
        assert SECRET not in warnings[0]
        check.cancel()
    check = FireworksCheck('fireworks', {}, [instance(endpoint.url, tls_ca_cert=endpoint.ca_cert)])
    assert check.insecure_warnings == []


def test_the_check_command_prints_insecure_settings(tmp_path, endpoint):
    import yaml

    conf = tmp_path / 'conf.yaml'
    conf.write_text(yaml.safe_dump({'instances': [instance(endpoint.url, tls_verify=False)]}))
    r = subprocess.run([sys.executable, '-m', 'datadog_checks.fireworks', 'check', '-c', str(conf)],
                       env=shim_env(), capture_output=True, text=True, timeout=60)
    assert 'instance 0: warning: tls_verify is false' in r.stderr
    assert SECRET not in r.stdout + r.stderr


@pytest.fixture(scope='module')
def encrypted_key(tmp_path_factory):
    d = tmp_path_factory.mktemp('pki')
    key, cert = str(d / 'key.pem'), str(d / 'cert.pem')
    subprocess.run(['openssl', 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-aes256',
                    '-pass', 'pass:hunter2', '-out', key], check=True, capture_output=True)
    subprocess.run(['openssl', 'req', '-new', '-x509', '-key', key, '-passin', 'pass:hunter2', '-subj', '/CN=client',
                    '-days', '1', '-out', cert], check=True, capture_output=True)
    return cert, key


def test_an_encrypted_private_key_fails_without_asking_on_the_terminal(encrypted_key):
    cert, key = encrypted_key
    code = (
        'from datadog_checks.fireworks import FireworksCheck\n'
        'try:\n'
        '    FireworksCheck("fireworks", {}, [{"account_id": "a", "api_key": "k", "tls_cert": %r, '
        '"tls_private_key": %r}])\n'
        '    print("ACCEPTED")\n'
        'except Exception as e:\n'
        '    print("REFUSED:", e)\n' % (cert, key)
    )
    # A real terminal, as when the Agent runs in the foreground: OpenSSL's
    # default would prompt on it and wait.
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update(shim_env())
        os.execv(sys.executable, [sys.executable, '-c', code])
    out = b''
    end = time.monotonic() + 20
    while time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        pytest.fail('the check waited on the terminal: {!r}'.format(out))
    text = out.decode('utf-8', 'replace')
    assert 'pass phrase' not in text.lower()
    assert "REFUSED: option 'tls_private_key': cannot load the private key" in text, text
    assert 'an encrypted key is not supported' in text


def test_invalid_utf8_and_newlines_in_a_payload_never_break_the_check(aggregator, caplog, tmp_path):
    name = '\u00e9' * 40
    payload = (
        '# HELP "{n}" first\n# HELP "{n}" again\n'.format(n=name).encode()
        + b'bad{l="\xff\xfe"} 1\n'
        + b'\xff\x1b[31m junk\r\n'
        + b'request_counter_total:sum_by_deployment{deployment_id="d1",l="a\\nb"} 1.5\n'
    )
    path = tmp_path / 'p.prom'
    path.write_bytes(payload)
    e = Endpoint(str(path), SECRET)
    try:
        caplog.set_level(logging.DEBUG)
        check = FireworksCheck('fireworks', {}, [instance(e.url, tls_ca_cert=e.ca_cert)])
        check.check(check.instance)
    finally:
        e.stop()
    sc = aggregator.service_checks('fireworks.can_connect')
    assert [s.status for s in sc] == [AgentCheck.OK]
    aggregator.assert_metric('fireworks.requests.rate', value=1.5)
    aggregator.assert_metric('fireworks.scrape.invalid_lines', value=3)
    for record in caplog.records:
        text = record.getMessage()
        assert '\n' not in text and '\x1b' not in text and '\r' not in text, repr(text)
    assert any('invalid lines skipped' in r.getMessage() for r in caplog.records)


def test_a_proxy_password_never_reaches_the_configuration_error():
    with pytest.raises(ConfigurationError) as e:
        FireworksCheck('fireworks', {}, [{'account_id': 'a', 'api_key': SECRET,
                                          'proxy': {'https': 'http://u:S3CR/T0P#Q9Z?x@proxy:99999'}}])
    message = str(e.value)
    assert "option 'proxy.https' has an invalid port" in message
    for fragment in ('S3CR', 'T0P', 'Q9Z'):
        assert fragment not in message


def test_control_bytes_in_the_endpoint_name_the_option():
    with pytest.raises(ConfigurationError) as e:
        FireworksCheck('fireworks', {}, [{'account_id': 'a', 'api_key': SECRET,
                                          'openmetrics_endpoint': 'https://h/m\r\nX-Smuggled: 1'}])
    assert "option 'openmetrics_endpoint' contains a space or a control character" in str(e.value)


# Filters: the library must decide as Python's re.fullmatch does.
PATTERNS = [
    r'd.*', r'.*-canary', r'prod-\d+', r'(?i)PROD.*', r'[a-c]+', r'[^x]*', r'a{,3}', r'x{abc}', r'[[:alpha:]]+',
    r'(?P<p>ab)(?P=p)', r'a$', r'a\Z', r'a.b', r'(?s)a.b', r'^$', r'', r'(?:x|y)+z?', r'\w+-\w+', r'\s', r'.',
    r'[\b]', r'a|b|', r'(?i:A)b', r'caf.', r'\.', r'a++b', r'(?>a+)b', r'[^a]', r'..', r'na.ve', '[\u00e9]+',
    '\u00e9{2}', r'\xe9', r'dep\<1', r'x\>', r'\`a', r"a\'", r'a\-b', r'(a)\1', r'(?s:a.)b', r'(?-s:a.)b',
    r'a$\n', r'(?m)a$\nb', r'(?m)a\n^b', r'(?s)a$.', r'x*?', r'a{2}+', r'(?i)[a-z]+', r'(?i)[0-9_]+',
]
SUBJECTS = [
    'd1', 'prod-12', 'PROD-x', 'abc', 'aaa', 'aaaa', 'x{abc}', 'a:', 'a]', 'abab', 'a', 'a\nb', 'a\n', '',
    'xyz', 'xyxz', 'my-dep-canary', 'foo_bar-baz', ' ', '\b', 'ab', 'aB', 'caf\u00e9', '.', 'aab', 'b', '\t',
    'na\u00efve', '\u00fc', '\u00e9\u00e9', '\u00e9', 'dep<1', 'x>', '`a', "a'", 'a-b', 'a\rb', 'a\u2028b',
    'a\x0cb', 'a\x85b', 'a\nb', 'aa', 'AbC', 'x', 'xx', 'a_1',
]


def _escape(v):
    return v.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')


def _kept(payload, pattern):
    with binding.parse(payload, mapping={'deployments': {'include': [pattern]}}) as r:
        groups = list(r.groups())
    kept = set()
    for group in groups:
        for tag in group['tags']:
            if tag.startswith('i:'):
                kept.add(int(tag[2:]))
    return kept


def _payload(subjects):
    return ''.join(
        'generator_kv_blocks_fraction:avg_by_deployment{{deployment_id="{}",i="{}"}} 1\n'.format(_escape(s), n)
        for n, s in enumerate(subjects)
    ).encode('utf-8')


@pytest.mark.filterwarnings('ignore::FutureWarning')  # Python's own note on '[[' in a set
def test_filters_decide_as_python_re_fullmatch():
    payload = _payload(SUBJECTS)
    mismatches = []
    for pattern in PATTERNS:
        kept = _kept(payload, pattern)
        expected = {n for n, s in enumerate(SUBJECTS) if re.fullmatch(pattern, s)}
        if kept != expected:
            mismatches.append((pattern, sorted(SUBJECTS[i] for i in kept ^ expected)))
    assert mismatches == []


@pytest.mark.parametrize('pattern', [r'(a)\10', r'[a-\d]', r'[\d-z]', r'(?P=x)(?P<x>a)', r'(?(2)a|b)', r'(a\1)',
                                     r'a**', r'a*?+', r'a{2}*', r'\b*', r'^*', r'(?i)*a'])
def test_patterns_python_refuses_are_refused_with_the_option(pattern):
    with pytest.raises(re.error):
        re.compile(pattern)
    with pytest.raises(binding.FwmError) as e:
        binding.parse(b'x 1\n', mapping={'deployments': {'include': [pattern]}})
    assert str(e.value).startswith("option 'deployments.include' holds the pattern")


@pytest.mark.parametrize('pattern', [r'(?i)[A-z]+', r'(?i)[0-Z]', r'(?=a)*a'])
def test_patterns_this_engine_would_read_otherwise_are_refused(pattern):
    re.compile(pattern)  # Python takes them
    with pytest.raises(binding.FwmError) as e:
        binding.parse(b'x 1\n', mapping={'deployments': {'include': [pattern]}})
    assert str(e.value).startswith("option 'deployments.include' holds the pattern")


def test_word_classes_and_case_folding_are_ascii():
    # The one documented difference from Python: \w, \d, \s and (?i) know
    # only ASCII. Fireworks names and deployment ids are ASCII.
    payload = _payload(['caf\u00e9', '\u00e9'])
    assert re.fullmatch(r'\w+', 'caf\u00e9') and _kept(payload, r'\w+') == set()
    assert re.fullmatch('(?i)\u00c9', '\u00e9') and _kept(payload, '(?i)\u00c9') == set()


def test_infinite_and_huge_values_never_break_the_check(aggregator, tmp_path):
    # submit_histogram_bucket() calls int() on the count, and the Agent takes
    # it as a C long long: an infinite count, or one of 1e20 * 60 s, would
    # raise OverflowError inside check().
    payload = (
        b'latency_overall_ms_bucket:sum_by_deployment{deployment_id="d1",le="10"} 1\n'
        b'latency_overall_ms_bucket:sum_by_deployment{deployment_id="d1",le="+Inf"} +Inf\n'
        b'latency_prefill_ms_bucket:sum_by_deployment{deployment_id="d1",le="10"} 1e308\n'
        b'latency_prefill_ms_bucket:sum_by_deployment{deployment_id="d1",le="+Inf"} 1.7e308\n'
        b'tokens_generated_per_request_bucket:sum_by_deployment{deployment_id="d1",le="+Inf"} 1e20\n'
        b'request_counter_total:sum_by_deployment{deployment_id="d1"} 1.7e308\n'
    )
    path = tmp_path / 'p.prom'
    path.write_bytes(payload)
    e = Endpoint(str(path), SECRET)
    try:
        check = FireworksCheck('fireworks', {}, [instance(e.url, tls_ca_cert=e.ca_cert, rates_as_counts=True)])
        check.check(check.instance)
    finally:
        e.stop()
    assert [s.status for s in aggregator.service_checks('fireworks.can_connect')] == [AgentCheck.OK]
    aggregator.assert_metric('fireworks.scrape.malformed_histograms', value=1)  # the +Inf count; 1e308 is finite


@pytest.mark.parametrize('override,message', [
    ({'account_id': __import__('datetime').date(2024, 1, 1)}, "option 'account_id' must be a string"),
    ({'api_key': b'bytes'}, "option 'api_key' must be a string"),
    ({'timeout': float('nan')}, "option 'timeout' must be a finite number"),
    ({'quantiles': [float('inf')]}, "option 'quantiles' must be a finite number"),
    ({'tags': ['a', 1]}, "option 'tags' must be a list of strings"),
])
def test_values_yaml_or_autodiscovery_give_are_configuration_errors(override, message):
    # Whatever the config holds, __init__ raises ConfigurationError naming the option, never a TypeError.
    inst = {'account_id': 'a', 'api_key': SECRET}
    inst.update(override)
    with pytest.raises(ConfigurationError) as e:
        FireworksCheck('fireworks', {}, [inst])
    assert message in str(e.value)
    assert SECRET not in str(e.value)


def test_init_config_that_is_not_a_mapping_is_a_configuration_error():
    with pytest.raises(ConfigurationError) as e:
        FireworksCheck('fireworks', ['not', 'a', 'mapping'], [{'account_id': 'a', 'api_key': SECRET}])
    assert 'init_config must be a mapping' in str(e.value)


@pytest.mark.parametrize('content,message', [
    (b'- just\n- a list\n', 'must be a mapping with init_config and instances'),
    (b'42\n', 'must be a mapping with init_config and instances'),
    (b'instances:\n  account_id: a\n', 'instances must be a list'),
    (b'instances:\n  - account_id: "\xff"\n', 'is not UTF-8 text'),
])
def test_the_check_command_explains_a_broken_conf_file(tmp_path, content, message):
    conf = tmp_path / 'conf.yaml'
    conf.write_bytes(content)
    r = subprocess.run([sys.executable, '-m', 'datadog_checks.fireworks', 'check', '-c', str(conf)],
                       env=shim_env(), capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert message in r.stderr
    assert 'Traceback' not in r.stderr
