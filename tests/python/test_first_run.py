# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The first run, as `datadog-agent check fireworks` and every Agent restart
make it: one run against the local endpoint already has the inventory's
tags, the fleet metrics, the deployments' service checks and the usage; with
the REST API slow, hanging, refusing or failing, it still ends within
timeout, with the metrics, and says once what is missing, naming
api_endpoint."""
import socket
import time

import pytest

from conftest import ENDPOINT, payload_endpoint, require_binary
from datadog_checks.fireworks import fleet
from datadog_checks.fireworks.check import FireworksCheck

KEY = 'fw-SECRET-3b9e1c77d2a4-first'


def endpoint(tmp_path, fault=None):
    require_binary(ENDPOINT)
    extra = ['--fleet', 'acme', '--page-size', '2'] + (['--api-fault', fault] if fault else [])
    return payload_endpoint(tmp_path, KEY, extra=extra)


def instance(ep, **extra):
    # No api_endpoint: the REST API follows openmetrics_endpoint's origin.
    inst = {'account_id': 'acme', 'api_key': KEY, 'openmetrics_endpoint': ep.url, 'tls_ca_cert': ep.ca_cert,
            'min_collection_interval': 15, 'empty_default_hostname': True, 'collect_inventory': True,
            'collect_usage': True, 'annotation_tags': {'team': 'team'}}
    inst.update(extra)
    return inst


def one_run(inst):
    check = FireworksCheck('fireworks', {}, [inst])
    try:
        started = time.monotonic()
        error = check.run()
        return time.monotonic() - started, error
    finally:
        check.cancel()


def test_one_run_has_the_tags_the_fleet_metrics_the_service_checks_and_the_usage(tmp_path, aggregator):
    ep = endpoint(tmp_path)
    try:
        seconds, error = one_run(instance(ep))
    finally:
        ep.stop()
    assert error == ''
    rates = aggregator.metrics('fireworks.requests.rate')
    assert rates
    for m in rates:
        assert any(t.startswith('accelerator_type:') for t in m.tags), m.tags
        assert any(t.startswith('deployment_name:Deployment ') for t in m.tags), m.tags
        assert any(t.startswith('team:') for t in m.tags), m.tags
    assert len(aggregator.metrics('fireworks.deployment.replicas')) == 3
    assert aggregator.metrics('fireworks.deployment.accelerators')
    ready = aggregator.service_checks('fireworks.deployment.ready')
    assert len(ready) == 3 and all(c.status == fleet.OK for c in ready)
    assert aggregator.metrics('fireworks.usage.prompt_tokens')
    assert aggregator.metrics('fireworks.usage.accelerator_seconds')
    assert seconds < 10.0


@pytest.mark.parametrize('fault', ['hang', '503', 'refuse'])
def test_a_failing_api_leaves_the_first_run_within_timeout_and_says_so_once(tmp_path, aggregator, caplog, fault):
    ep = endpoint(tmp_path, None if fault == 'refuse' else fault)
    extra = {'timeout': 2, 'collect_usage': False}
    if fault == 'refuse':
        with socket.socket() as s:
            s.bind(('127.0.0.1', 0))
            extra['api_endpoint'] = 'https://127.0.0.1:{}'.format(s.getsockname()[1])  # nothing listens once closed
    caplog.set_level('WARNING')
    check = FireworksCheck('fireworks', {}, [instance(ep, **extra)])
    try:
        started = time.monotonic()
        error = check.run()
        seconds = time.monotonic() - started
        first_run_aggregates = (aggregator.service_checks('fireworks.can_connect'),
                                aggregator.metrics('fireworks.requests.rate'),
                                aggregator.service_checks('fireworks.deployment.ready'))
        check.run()  # a second run says nothing more of the same failure
    finally:
        check.cancel()
        ep.stop()
    assert error == ''
    assert seconds < 2.0 + 1.0, 'the first run took {:.1f} s with timeout 2 s'.format(seconds)
    can_connect, rates, ready = first_run_aggregates
    assert [c.status for c in can_connect] == [fleet.OK]
    assert rates and not any(t.startswith('accelerator_type:') for m in rates for t in m.tags)
    assert ready == []
    # Said once over both runs, with its reason, naming api_endpoint and the API's path.
    said = [r.getMessage() for r in caplog.records if 'deployments inventory' in r.getMessage()]
    assert len(said) == 1, said
    assert 'api_endpoint' in said[0] and 'GET /v1/accounts/acme/deployments' in said[0], said[0]
    reason = {'hang': 'timed out', '503': 'HTTP 503', 'refuse': 'connection refused'}[fault]
    assert reason in said[0], said[0]
    assert all(KEY not in r.getMessage() for r in caplog.records)


def test_a_slow_api_is_waited_for_once(tmp_path, aggregator):
    ep = endpoint(tmp_path, 'slow')
    check = FireworksCheck('fireworks', {}, [instance(ep, timeout=5)])
    try:
        started = time.monotonic()
        assert check.run() == ''
        first = time.monotonic() - started
        assert 1.4 < first < 5.0 + 1.0
        assert len(aggregator.service_checks('fireworks.deployment.ready')) == 3
        aggregator.reset()
        started = time.monotonic()
        assert check.run() == ''
        assert time.monotonic() - started < 1.0  # never again
        assert len(aggregator.service_checks('fireworks.deployment.ready')) == 3
    finally:
        check.cancel()
        ep.stop()


def test_the_first_run_says_what_it_lacks():
    state = fleet.FleetState('acme', ['fireworks_account:acme'])
    outcome = state.assess({'first_run': {'waited_s': 10.0, 'missing': ['inventory', 'usage']},
                            'inventory': {'attempt': None, 'last_good': None},
                            'usage': {'attempt': None, 'last_good': None}}, time.time())
    texts = [text for level, text in outcome.logs if level == 'warning']
    assert len(texts) == 2
    assert 'deployments inventory' in texts[0] and 'api_endpoint' in texts[0] and '10.0 s' in texts[0]
    assert 'billing usage' in texts[1] and 'usage counts' in texts[1]
    # Later runs carry no first_run: nothing more is said.
    later = state.assess({'first_run': None, 'inventory': {'attempt': None, 'last_good': None}}, time.time())
    assert later.logs == []
