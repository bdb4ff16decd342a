# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""FireworksCheck under the contracts of the Agent's embedded-Python bridge
(datadog-agent rtloader and pkg/collector/python), driven by agent_loader.py
as the Agent drives a check: YAML strings in, construct, set check_id,
run(), cancel(), release. One test per contract."""
import json
import logging
import weakref

import pytest

from agent_loader import AGENT_HOSTNAME, AgentLoader, LoadError
from conftest import free_port, payload_endpoint
from datadog_checks.base import AgentCheck
from datadog_checks.base.log import CheckLogFormatter
from datadog_checks.base.stubs.aggregator import AggregatorStub
from datadog_checks.fireworks import FireworksCheck, fleet

SECRET = 'fw-SECRET-3b9e1c77d2a4-rtloader'


@pytest.fixture(scope='module')
def endpoint(tmp_path_factory):
    e = payload_endpoint(tmp_path_factory.mktemp('payload'), SECRET, deployments=2, seed=7)
    yield e
    e.stop()


@pytest.fixture
def loader(aggregator):
    loader = AgentLoader(FireworksCheck)
    yield loader
    if loader.check is not None:
        loader.check.cancel()
    loader.close()


_accounts = iter(range(10**6))


def instance_yaml(endpoint, extra=''):
    """An instance as the Agent holds it: YAML text."""
    return ('account_id: rt{n}\n'
            'api_key: {key}\n'
            'openmetrics_endpoint: {url}\n'
            'tls_ca_cert: {ca}\n'
            'timeout: 5\n'
            'min_collection_interval: 30\n'
            'tags: [team:rt]\n').format(n=next(_accounts), key=SECRET, url=endpoint.url, ca=endpoint.ca_cert) + extra


def submissions(aggregator):
    """Every metric, bucket and service check the stub recorded."""
    out = []
    for store in (aggregator._metrics, aggregator._histogram_buckets, aggregator._service_checks):
        for items in store.values():
            out.extend(items)
    return out


def test_the_instance_arrives_as_yaml_loads_it_and_the_check_reads_its_types(loader, aggregator, endpoint):
    # rtloader getCheck: AgentCheck.load_config() on each YAML string (what
    # yaml.safe_load gives: ints, floats, booleans, None, nested mappings);
    # an empty init_config is None, made {}; the constructor gets keywords
    # and the instances as a tuple.
    text = instance_yaml(endpoint, 'max_requests_per_minute: 6\nrates_as_counts: yes\nquantiles: [0.5, 0.99]\n'
                                   'skip_proxy: false\nproxy:\n  no_proxy: [127.0.0.1]\n'
                                   'deployments:\n  include: [".+"]\nservice: ~\n')
    check = loader.configure(text, '')
    assert check.init_config == {} and isinstance(check.instances, tuple)
    assert check.instance['rates_as_counts'] is True and check.instance['service'] is None
    mapping = check._client_config['mapping']
    assert mapping['rates_as_counts'] is True and mapping['quantiles'] == [0.5, 0.99]
    assert mapping['deployments'] == {'include': ['.+']} and mapping['min_collection_interval'] == 30
    assert check._client_config['max_requests_per_minute'] == 6
    assert loader.run() == ''
    aggregator.assert_service_check('fireworks.can_connect', AgentCheck.OK, count=1)
    assert aggregator.metrics('fireworks.requests.count')  # rates_as_counts: yes took effect


def test_a_yaml_string_where_a_boolean_belongs_fails_the_load_naming_the_option(loader, endpoint):
    # YAML reads "false" in quotes as a string; Python would take it as true.
    with pytest.raises(LoadError) as e:
        loader.configure(instance_yaml(endpoint, 'tls_verify: "false"\n'))
    assert "option 'tls_verify' must be true or false, not a string" in str(e.value)


def test_a_failing_constructor_fails_the_same_way_when_the_agent_retries_it_with_agentConfig(loader, endpoint):
    # check.go calls the constructor a second time, with agentConfig, and
    # shows both errors: both must say what is wrong with the config.
    with pytest.raises(LoadError) as e:
        loader.configure(instance_yaml(endpoint, 'timeout: soon\n'))
    text = str(e.value)
    assert text.count("ConfigurationError: option 'timeout' must be a number, not a string") == 2, text
    assert 'TypeError' not in text and SECRET not in text


def test_check_id_is_set_after_construction_and_every_submission_carries_it(loader, aggregator, endpoint):
    # getCheck sets check_id only after __init__ returned; the Agent finds a
    # submission's sender by it, so anything sent from __init__ (check_id '')
    # would be dropped.
    seen = {}

    class Spy(FireworksCheck):
        def __init__(self, *args, **kwargs):
            super(Spy, self).__init__(*args, **kwargs)
            seen['check_id_in_init'] = self.check_id

    loader.check_class = Spy
    check = loader.configure(instance_yaml(endpoint, 'name: primary\n'))
    assert seen['check_id_in_init'] == ''
    assert check.check_id == loader.check_id and loader.check_id.startswith('fireworks:primary:')
    assert loader.run() == ''
    assert loader.dropped == []
    assert aggregator.metric_names and aggregator._histogram_buckets
    (sc,) = aggregator.service_checks('fireworks.can_connect')
    assert sc.check_id == loader.check_id


def test_a_failed_run_returns_its_error_as_a_json_list_of_message_and_traceback(loader, aggregator, endpoint):
    # rtloader runCheck: run() returns a str; '' is success, anything else is
    # the error the Agent shows for the run (the base writes
    # [{"message": ..., "traceback": ...}], scrubbed of registered secrets).
    loader.configure(instance_yaml(endpoint).replace(SECRET, SECRET + '-wrong'))
    result = loader.run()
    assert isinstance(result, str) and result
    (error,) = json.loads(result)
    assert error['message'].startswith('HTTP 401 from') and error['message'].endswith(': check api_key')
    assert 'CheckException' in error['traceback'] and error['message'] in error['traceback']
    assert SECRET not in result
    (sc,) = aggregator.service_checks('fireworks.can_connect')
    assert sc.status == AgentCheck.CRITICAL and sc.message == error['message']


class AgentLog(logging.Handler):
    """The Agent's log of check records, in its format."""

    def __init__(self):
        super(AgentLog, self).__init__(logging.DEBUG)
        self.setFormatter(CheckLogFormatter())
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))


@pytest.fixture
def agent_log():
    handler = AgentLog()
    logger = logging.getLogger('datadog_checks')
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def test_configuration_warnings_are_logged_at_the_first_run_under_the_instances_check_id(loader, endpoint,
                                                                                          agent_log):
    loader.configure(instance_yaml(endpoint, 'bogus_option: 1\nrates_as_count: true\ntls_validate_hostname: false\n'))
    assert agent_log.lines == []  # nothing from __init__: it would read "unknown | ..."
    for _ in range(2):
        assert loader.run() == ''
    said = [line for line in agent_log.lines if 'option' in line or 'tls_validate_hostname' in line]
    assert len(said) == 3, agent_log.lines
    assert all(line.startswith(loader.check_id + ' | ') for line in said), said
    assert any("unknown option 'bogus_option'" in line for line in said)
    assert any("unknown option 'rates_as_count' (did you mean 'rates_as_counts'?)" in line for line in said)
    assert any('tls_validate_hostname is false' in line for line in said)
    # What a line logged from __init__ would have looked like.
    early = FireworksCheck('fireworks', {}, [{'account_id': 'a', 'api_key': SECRET}])
    early.log.warning('from __init__')
    assert agent_log.lines[-1].startswith('unknown | ') and agent_log.lines[-1].endswith('| from __init__')
    early.cancel()


def test_every_submission_passes_the_builtins_argument_conversions(loader, aggregator, endpoint):
    # rtloader aggregator.c converts with PyArg_ParseTuple: submit_metric
    # "OsisdOs|i", submit_service_check "OssiOss", submit_histogram_bucket
    # "OssLffisO|b", submit_event "OsO" and a dict whose tags, if present,
    # are a sequence. A wrong type raises TypeError inside check().
    check = loader.configure(instance_yaml(endpoint, 'rates_as_counts: true\n'))
    assert loader.run() == ''
    assert aggregator.metric_names and aggregator._histogram_buckets and aggregator.service_checks(
        'fireworks.can_connect')
    # The fleet part: what FleetState makes of two inventories and a usage
    # reading, submitted by the check (gauges, ready checks, an event, counts).
    state = fleet.FleetState('acme', check._check_tags)
    d = {'id': 'd1', 'state': 'READY', 'replicas': 1, 'desired_replicas': 1, 'ready_replicas': 1,
         'accelerator_count': 8, 'create_time': 0.0, 'base_model': 'accounts/f/models/m',
         'model_tag': 'm', 'tags': []}
    usage = {'last_good': {'fetched_at': 10.0, 'day': '2025-01-01', 'tokens': [{'model': 'm', 'model_tag': 'm', 'prompt': 5}],
                           'accelerator_seconds': [{'deployment_id': 'd1', 'value': 3600}]}}
    state.assess({'inventory': {'last_good': {'fetched_at': 10.0, 'deployments': [d]}}}, 10.0)
    outcome = state.assess({'inventory': {'last_good': {'fetched_at': 20.0, 'deployments': [dict(d, replicas=2)]}},
                            'usage': usage}, 20.0)
    assert outcome.events and outcome.counts and outcome.checks
    check._submit_fleet(outcome)
    assert len(aggregator.events) == 1 and aggregator.service_checks(fleet.READY_CHECK)
    assert aggregator.metrics('fireworks.usage.prompt_tokens')
    # And the conversions are strict: what PyArg_ParseTuple refuses raises.
    strict = AggregatorStub()
    for call in (lambda: strict.submit_service_check(check, 'id', 'n', 0, [], '', None),
                 lambda: strict.submit_metric(check, 'id', 0, 'n', '1.5', [], ''),
                 lambda: strict.submit_histogram_bucket(check, 'id', 'n', 1.5, 0, 1, False, '', []),
                 lambda: strict.submit_event(check, 'id', {'msg_title': 't', 'tags': None})):
        with pytest.raises(TypeError):
            call()


def test_cancel_frees_the_client_before_release_and_nothing_is_sent_after_it(loader, aggregator, endpoint):
    # StopCheck: cancel(), then the sender is destroyed; the Python object is
    # released later, whenever a Go finalizer runs. So cancel() is where the
    # library's client must go, and a run still scheduled sends nothing.
    check = loader.configure(instance_yaml(endpoint))
    assert loader.run() == ''
    client = weakref.ref(check._client)
    loader.cancel()
    assert check._client._handle is None  # freed by cancel(), not left to garbage collection
    aggregator.reset()
    assert loader.run() == ''  # a run after cancel: no error, nothing sent
    assert submissions(aggregator) == [] and loader.dropped == []
    del check
    assert loader.release() and client() is None
    assert loader.events == ['configure', 'run', 'cancel', 'run', 'release']


def test_a_check_released_without_cancel_frees_its_client(loader, endpoint):
    # Agent shutdown does not call cancel(): releasing the object must be enough.
    check = loader.configure(instance_yaml(endpoint))
    assert loader.run() == ''
    client = weakref.ref(check._client)
    del check
    assert loader.release() and client() is None


def test_submissions_leave_the_hostname_to_the_agent(loader, aggregator, endpoint):
    # The check sends hostname '' (the base turns None into ''): the Agent
    # then puts its own hostname, or none with empty_default_hostname. The
    # Agent's hostname (datadog_agent.get_hostname) is never sent by the check.
    check = loader.configure(instance_yaml(endpoint, 'empty_default_hostname: true\n'))
    assert check.hostname == AGENT_HOSTNAME
    assert loader.run() == ''
    sent = submissions(aggregator)
    assert sent and {s.hostname for s in sent} == {''}
    state = fleet.FleetState('acme', check._check_tags)
    d = {'id': 'd1', 'state': 'READY', 'replicas': 1}
    state.assess({'inventory': {'last_good': {'fetched_at': 1.0, 'deployments': [d]}}}, 1.0)
    check._submit_fleet(state.assess({'inventory': {'last_good': {'fetched_at': 2.0,
                                                                  'deployments': [dict(d, state='FAILED')]}}}, 2.0))
    assert aggregator.events and all('host' not in e for e in aggregator.events)


def test_a_run_of_a_check_that_cannot_connect_is_an_error_not_an_exception(loader, aggregator):
    # runCheck treats an exception escaping run() (or a non-str result) as a
    # bridge failure; the check's own failures must come back as run()'s text.
    loader.configure({'account_id': 'rt-down', 'api_key': SECRET, 'timeout': 1,
                      'openmetrics_endpoint': 'https://127.0.0.1:%d/m' % free_port()})
    result = loader.run()
    assert 'connection refused' in json.loads(result)[0]['message']
    assert [s.status for s in aggregator.service_checks('fireworks.can_connect')] == [AgentCheck.CRITICAL]
