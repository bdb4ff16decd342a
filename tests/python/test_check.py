# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""FireworksCheck end to end: the real shim against the local HTTPS endpoint,
asserted with the stub aggregator's own assertions."""
import csv
import os
import socket

import pytest

import fireworks_payload
from conftest import ROOT, Endpoint
from datadog_checks.base import AgentCheck, ConfigurationError
from datadog_checks.base.errors import CheckException
from datadog_checks.fireworks import FireworksCheck
from datadog_checks.fireworks.config import client_config

SECRET = 'fw-SECRET-3b9e1c77d2a4-check'
DEPLOYMENTS = 4
INTERVAL = 30


def metadata():
    with open(os.path.join(ROOT, 'python_shim', 'metadata.csv')) as f:
        return {row['metric_name']: row for row in csv.DictReader(f)}


@pytest.fixture(scope='module')
def payload(tmp_path_factory):
    path = tmp_path_factory.mktemp('payload') / 'metrics.prom'
    path.write_text(fireworks_payload.render(DEPLOYMENTS, seed=5, account='acme'))
    return path


@pytest.fixture(scope='module')
def endpoint(payload):
    e = Endpoint(str(payload), SECRET, gzip=True)
    yield e
    e.stop()


_accounts = iter(range(10**6))


def instance(endpoint, **extra):
    i = {
        'account_id': 'acme%d' % next(_accounts),
        'api_key': SECRET,
        'openmetrics_endpoint': endpoint.url,
        'tls_ca_cert': endpoint.ca_cert,
        'min_collection_interval': INTERVAL,
        'tags': ['team:test'],
        'timeout': 5,
    }
    i.update(extra)
    return i


def run(check):
    check.check(check.instance)


def deployment_tags(payload_text, index):
    dep_id, labels = fireworks_payload.deployment_labels(index, 'acme')
    tags = [kv.replace('="', ':').rstrip('"') for kv in labels.split('",')]
    tags = [t if t.count(':') else t for t in tags]
    model = [t for t in tags if t.startswith('base_model:')][0].rsplit('/', 1)[1]
    return sorted(tags + ['model:' + model, 'team:test']), dep_id


def sample_value(payload_text, name, dep_id, extra=''):
    for line in payload_text.splitlines():
        if line.startswith(name + '{') and 'deployment_id="%s"' % dep_id in line and extra in line:
            return float(line.rsplit(' ', 1)[1])
    raise AssertionError('no {} for {}'.format(name, dep_id))


FLEET_PREFIXES = ('fireworks.deployment.', 'fireworks.inventory.', 'fireworks.usage.', 'fireworks.quota.',
                  'fireworks.spend.', 'fireworks.cost.')


def test_every_metadata_metric_is_submitted_and_nothing_else(aggregator, endpoint):
    check = FireworksCheck('fireworks', {}, [instance(endpoint, rates_as_counts=True)])
    run(check)
    # The inventory, usage, capacity and cost metrics need the REST API: test_fleet.py and
    # test_capacity.py cover them.
    meta = {n: r for n, r in metadata().items() if not n.startswith(FLEET_PREFIXES)}
    for name, row in meta.items():
        if '(distribution)' in row['description']:  # listed as gauge, as Datadog lists distributions
            aggregator.assert_histogram_bucket(name, None, None, None, False, None, None)
        else:
            aggregator.assert_metric(name, metric_type=aggregator.METRIC_ENUM_MAP[row['metric_type']])
    aggregator.assert_all_metrics_covered()
    aggregator.assert_metrics_using_metadata(meta)  # distributions are histogram buckets, not in _metrics
    for name in aggregator._histogram_buckets:
        assert name in meta, name
    aggregator.assert_no_duplicate_metrics()


def test_values_and_tags_match_the_payload(aggregator, endpoint, payload):
    text = payload.read_text()
    account = 'acme-values'
    check = FireworksCheck('fireworks', {}, [instance(endpoint, account_id=account)])
    run(check)
    for index in range(DEPLOYMENTS):
        tags, dep_id = deployment_tags(text, index)
        aggregator.assert_metric('fireworks.requests.rate',
                                 value=sample_value(text, 'request_counter_total:sum_by_deployment', dep_id),
                                 tags=tags, count=1, metric_type=aggregator.GAUGE)
        aggregator.assert_metric('fireworks.requests.errors.rate',
                                 value=sample_value(text, 'requests_error_total:sum_by_deployment', dep_id,
                                                    'http_code="500"'),
                                 tags=sorted(tags + ['http_code:500']), count=1)
        aggregator.assert_metric('fireworks.kv_cache.blocks_used',
                                 value=sample_value(text, 'generator_kv_blocks_fraction:avg_by_deployment', dep_id),
                                 tags=tags, count=1)
        # The first bucket's count: its rate over the first interval (30 s), whole.
        first = sample_value(text, 'latency_overall_ms_bucket:sum_by_deployment', dep_id, 'le="10"')
        second = sample_value(text, 'latency_overall_ms_bucket:sum_by_deployment', dep_id, 'le="25"')
        if int((second - first) * INTERVAL) >= 1:
            aggregator.assert_histogram_bucket('fireworks.latency.overall', int((second - first) * INTERVAL), 10.0,
                                               25.0, False, None, tags, count=1)
        inf_buckets = [b for b in aggregator.histogram_bucket('fireworks.latency.overall')
                       if sorted(b.tags) == tags and b.upper_bound == float('inf')]
        assert all(b.lower_bound == 10000.0 for b in inf_buckets)
        aggregator.assert_metric('fireworks.latency.overall.p50', tags=tags, count=1)
        aggregator.assert_metric('fireworks.latency.overall.p99', tags=tags, count=1)
    check_tags = ['fireworks_account:' + account, 'team:test']
    aggregator.assert_metric('fireworks.deployments', value=DEPLOYMENTS, tags=check_tags, count=1)
    aggregator.assert_metric('fireworks.scrape.series', value=DEPLOYMENTS * 99, tags=check_tags)
    aggregator.assert_metric('fireworks.scrape.invalid_lines', value=0, tags=check_tags)
    aggregator.assert_metric('fireworks.scrape.cache_hits', value=0, tags=check_tags)
    aggregator.assert_service_check('fireworks.can_connect', AgentCheck.OK, tags=check_tags, count=1)


def test_quantiles_follow_the_buckets(aggregator, endpoint, payload):
    text = payload.read_text()
    check = FireworksCheck('fireworks', {}, [instance(endpoint, quantiles=[0.5])])
    run(check)
    tags, dep_id = deployment_tags(text, 0)
    bounds = ['10', '25', '50', '100', '250', '500', '1000', '2500', '5000', '10000', '+Inf']
    cum = [sample_value(text, 'latency_overall_ms_bucket:sum_by_deployment', dep_id, 'le="%s"' % b) for b in bounds]
    rank = 0.5 * cum[-1]
    i = next(k for k, c in enumerate(cum) if c >= rank)
    lower = 0.0 if i == 0 else float(bounds[i - 1])
    below = 0.0 if i == 0 else cum[i - 1]
    expected = lower + (float(bounds[i]) - lower) * (rank - below) / (cum[i] - below)
    (got,) = [m.value for m in aggregator.metrics('fireworks.latency.overall.p50') if sorted(m.tags) == tags]
    assert got == pytest.approx(expected, rel=1e-12)
    assert aggregator.metrics('fireworks.latency.overall.p90') == []


def test_distribution_counts_keep_remainders_across_runs(aggregator, endpoint):
    check = FireworksCheck('fireworks', {}, [instance(endpoint, max_requests_per_minute=6)])
    for _ in range(3):
        run(check)
    buckets = aggregator.histogram_bucket('fireworks.tokens.prompt_per_request')
    assert buckets and all(b.value >= 1 and float(b.value).is_integer() and b.monotonic is False for b in buckets)


def failing(endpoint, **extra):
    return FireworksCheck('fireworks', {}, [instance(endpoint, max_attempts=1, **extra)])


def assert_critical(aggregator, check, message):
    with pytest.raises(CheckException) as e:
        run(check)
    assert message in str(e.value), str(e.value)
    assert SECRET not in str(e.value)
    (sc,) = aggregator.service_checks('fireworks.can_connect')
    assert sc.status == AgentCheck.CRITICAL and message in sc.message and SECRET not in sc.message
    aggregator.assert_metric('fireworks.scrape.duration', count=1)


def test_wrong_key_is_critical_with_advice_and_no_key(aggregator, endpoint):
    assert_critical(aggregator, failing(endpoint, api_key=SECRET + '-wrong'), ': check api_key')


def test_unknown_ca_is_critical_and_names_tls_ca_cert(aggregator, endpoint):
    inst = dict(instance(endpoint, max_attempts=1))
    del inst['tls_ca_cert']  # the test CA is not in the system store
    check = FireworksCheck('fireworks', {}, [inst])
    assert_critical(aggregator, check, 'certificate verify failed')
    assert 'check tls_ca_cert' in aggregator.service_checks('fireworks.can_connect')[0].message


def test_not_found_and_refused_and_timeout(aggregator, endpoint):
    base = endpoint.url.rsplit('/v1/', 1)[0]
    cases = [
        ({'openmetrics_endpoint': base + '/status/404'}, ': check account_id and openmetrics_endpoint'),
        ({'openmetrics_endpoint': 'https://127.0.0.1:%d/m' % _free_port()},
         'connection refused: check openmetrics_endpoint, the proxy and the network'),
    ]
    silent = socket.socket()
    silent.bind(('127.0.0.1', 0))
    silent.listen(1)
    cases.append(({'openmetrics_endpoint': 'https://127.0.0.1:%d/m' % silent.getsockname()[1], 'timeout': 1},
                  'the endpoint is slow or unreachable; check the network or raise timeout'))
    for extra, message in cases:
        aggregator.reset()
        assert_critical(aggregator, failing(endpoint, **extra), message)
    silent.close()


def test_rate_limited_is_a_warning_not_an_error(aggregator, endpoint):
    base = endpoint.url.rsplit('/v1/', 1)[0]
    check = failing(endpoint, openmetrics_endpoint=base + '/status/429')
    run(check)  # does not raise
    aggregator.assert_service_check('fireworks.can_connect', AgentCheck.WARNING, count=1)
    (sc,) = aggregator.service_checks('fireworks.can_connect')
    assert 'HTTP 429' in sc.message and 'not asking again for 30 s (Retry-After)' in sc.message
    aggregator.assert_metric('fireworks.scrape.rate_limited', value=1)


def test_served_from_cache_under_the_rate_limit(aggregator, endpoint):
    check = FireworksCheck('fireworks', {}, [instance(endpoint, max_requests_per_minute=1)])
    run(check)
    aggregator.reset()
    run(check)
    aggregator.assert_service_check('fireworks.can_connect', AgentCheck.OK, count=1)
    aggregator.assert_metric('fireworks.scrape.cache_hits', value=1)
    aggregator.assert_metric('fireworks.requests.rate', at_least=DEPLOYMENTS)


def _free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.parametrize('inst, message', [
    ({'api_key': SECRET}, "option 'account_id' is required"),
    ({'account_id': 'a'}, "option 'api_key' is required"),
    ({'account_id': 'a', 'api_key': SECRET, 'timeout': 'soon'}, "option 'timeout' must be a number, not a string"),
    ({'account_id': 'a', 'api_key': SECRET, 'quantiles': [2]}, "option 'quantiles' must be a list of numbers"),
    ({'account_id': 'a', 'api_key': SECRET, 'tls_ca_cert': '/nonexistent.pem'},
     "option 'tls_ca_cert' names a file that cannot be read"),
    ({'account_id': 'a', 'api_key': SECRET, 'metrics': ['(']}, "option 'metrics' holds the pattern '(', which has an unclosed group"),
    ({'account_id': 'a', 'api_key': SECRET, 'max_requests_per_minute': 10},
     "option 'max_requests_per_minute' must be between 1 and 6"),
    ({'account_id': 'a', 'api_key': SECRET, 'tags': 'env:prod'}, "option 'tags' must be a list of strings"),
    ({'account_id': 'a', 'api_key': SECRET, 'proxy': {'https': 'ftp://x'}}, "option 'proxy.https'"),
])
def test_config_errors_name_the_option(inst, message):
    with pytest.raises(ConfigurationError) as e:
        FireworksCheck('fireworks', {}, [inst])
    assert message in str(e.value)
    assert SECRET not in str(e.value)


def test_proxy_resolution_follows_the_agent():
    agent = {'https': 'http://agent:3128'}
    inst = {'account_id': 'a', 'api_key': 'k'}
    assert client_config(dict(inst, proxy={'https': 'http://i:1'}), {'proxy': {'https': 'http://ic:2'}},
                         agent)['proxy'] == {'https': 'http://i:1'}
    assert client_config(inst, {'proxy': {'https': 'http://ic:2'}}, agent)['proxy'] == {'https': 'http://ic:2'}
    assert client_config(inst, {}, agent)['proxy'] == agent
    assert 'proxy' not in client_config(inst, {'use_agent_proxy': False}, agent)
    assert 'proxy' not in client_config(dict(inst, skip_proxy=True, proxy={'https': 'http://i:1'}), {}, agent)
    cfg = client_config(dict(inst, service='llm', tags=['env:prod']), {'min_collection_interval': 45})
    # service: the Agent itself tags every submission of a Python check with it (SetCheckService).
    assert cfg['mapping']['tags'] == ['env:prod']
    assert cfg['mapping']['min_collection_interval'] == 15  # the Agent ignores init_config's for Python checks
    assert cfg['mapping']['account_id'] == 'a'
