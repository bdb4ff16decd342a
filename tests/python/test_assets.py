"""Datadog assets: every query names a metric that metadata.csv lists, the
JSON files have the structure Datadog expects, and the documented
configurations (conf.yaml.example, cluster checks) load into the check."""
import csv
import glob
import json
import os
import re

import pytest
import yaml

from conftest import ROOT
from datadog_checks.fireworks import FireworksCheck
from datadog_checks.fireworks.config import HTTP_OPTIONS, MAPPING_OPTIONS

SHIM = os.path.join(ROOT, 'python_shim')
METRIC_IN_QUERY = re.compile(r'\b(?:avg|sum|max|min|count|p\d+):([A-Za-z0-9_.]+)\{')


def metadata():
    with open(os.path.join(SHIM, 'metadata.csv')) as f:
        return {row['metric_name']: row for row in csv.DictReader(f)}


def service_checks():
    with open(os.path.join(SHIM, 'assets', 'service_checks.json')) as f:
        return {sc['check'] for sc in json.load(f)}


def queries(node):
    """Every metric query string in a dashboard or monitor."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ('q', 'query') and isinstance(value, str):
                yield value
            else:
                yield from queries(value)
    elif isinstance(node, list):
        for item in node:
            yield from queries(item)


def test_metadata_rows_are_well_formed():
    rows = metadata()
    assert len(rows) == 61
    for name, row in rows.items():
        assert name.startswith('fireworks.')
        assert row['metric_type'] in ('gauge', 'count', 'rate', 'distribution'), name
        assert row['orientation'] in ('0', '1', '-1'), name
        assert row['integration'] == 'fireworks'
        assert row['description'] and row['short_name'], name


def test_dashboard_queries_name_listed_metrics():
    with open(os.path.join(SHIM, 'assets', 'dashboards', 'fireworks_overview.json')) as f:
        dash = json.load(f)
    assert dash['layout_type'] == 'ordered' and dash['title']
    assert [v['name'] for v in dash['template_variables']] == ['deployment_id', 'model', 'deployment_account']
    meta = metadata()
    found = set()
    for q in queries(dash):
        names = METRIC_IN_QUERY.findall(q)
        assert names, 'no metric in query {!r}'.format(q)
        for name in names:
            assert name in meta, '{} (in {!r}) is not in metadata.csv'.format(name, q)
            found.add(name)
    # The overview covers what the issue asks for.
    for name in ('fireworks.requests.rate', 'fireworks.requests.errors.rate', 'fireworks.latency.overall',
                 'fireworks.latency.time_to_first_token.p99', 'fireworks.latency.generation_per_token',
                 'fireworks.latency.generation_queue.p95', 'fireworks.latency.prefill_queue.p95',
                 'fireworks.tokens.generated_per_request', 'fireworks.kv_cache.blocks_used',
                 'fireworks.requests.concurrent'):
        assert name in found, name
    checks = [w for w in json.dumps(dash).split('"check": ')[1:]]
    assert all(c.split('"')[1] in service_checks() for c in checks)


@pytest.mark.parametrize('path', sorted(glob.glob(os.path.join(SHIM, 'assets', 'monitors', '*.json'))))
def test_monitor_is_valid(path):
    with open(path) as f:
        monitor = json.load(f)
    assert set(monitor) >= {'name', 'type', 'query', 'message', 'options', 'tags'}
    assert monitor['type'] in ('query alert', 'service check')
    assert 'critical' in monitor['options']['thresholds']
    if monitor['type'] == 'service check':
        assert re.match(r'^"([a-z_.]+)"\.over\(', monitor['query']).group(1) in service_checks()
    else:
        names = METRIC_IN_QUERY.findall(monitor['query'])
        assert names and all(n in metadata() for n in names), monitor['query']


def test_manifest_points_at_existing_assets():
    with open(os.path.join(SHIM, 'manifest.json')) as f:
        manifest = json.load(f)
    assets = manifest['assets']
    paths = [assets['integration']['metrics']['metadata_path'], assets['integration']['service_checks']['metadata_path']]
    paths += list(assets['dashboards'].values()) + list(assets['monitors'].values())
    for p in paths:
        assert os.path.exists(os.path.join(SHIM, p)), p
    assert len(assets['monitors']) == 6
    assert assets['integration']['metrics']['check'] in metadata()
    assert os.path.exists(os.path.join(SHIM, 'CHANGELOG.md'))


def test_conf_example_documents_every_option():
    path = os.path.join(ROOT, 'conf.d', 'fireworks.d', 'conf.yaml.example')
    text = open(path).read()
    documented = set(re.findall(r'## @param (\w+) ', text))
    expected = set(HTTP_OPTIONS) - {'openmetrics_endpoint'} | set(MAPPING_OPTIONS) | {
        'openmetrics_endpoint', 'proxy', 'skip_proxy', 'use_agent_proxy', 'tags', 'service', 'empty_default_hostname'}
    assert expected <= documented, expected - documented
    conf = yaml.safe_load(text)
    assert conf['instances'][0]['account_id'] == '<ACCOUNT_ID>'


def test_cluster_check_config_loads_one_instance_per_account():
    with open(os.path.join(ROOT, 'packaging', 'kubernetes', 'cluster-checks-values.yaml')) as f:
        values = yaml.safe_load(f)
    conf = yaml.safe_load(values['clusterAgent']['confd']['fireworks.yaml'])
    assert conf['cluster_check'] is True and values['datadog']['clusterChecks']['enabled'] is True
    accounts = [i['account_id'] for i in conf['instances']]
    assert len(accounts) == len(set(accounts)), 'two instances for one account would break the limit'
    for instance in conf['instances']:
        assert instance['max_requests_per_minute'] <= 5  # the margin for a check that moves
        check = FireworksCheck('fireworks', conf['init_config'], [instance])
        assert check._client_config['mapping']['account_id'] == instance['account_id']
        check.cancel()
