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


# ddev's metadata validator (ddev/cli/validate/metadata_utils.py and
# metadata.py), as ../shared/reference/datadog-integration-assets.md gives it.
HEADER = ('metric_name,metric_type,interval,unit_name,per_unit_name,description,orientation,integration,'
          'short_name,curated_metric,sample_tags')
VALID_TYPES = {'count', 'gauge', 'rate'}
# The units used here, each in Datadog's units catalogue.
CATALOGUE_UNITS = {'millisecond', 'second', 'token', 'request', 'error', 'fraction', 'percent', 'byte', 'item',
                   'response', 'operation', 'hour', 'day'}
TIME_UNITS = {'nanosecond', 'microsecond', 'millisecond', 'second', 'minute', 'hour', 'day', 'week'}


def test_metadata_follows_ddevs_rules():
    with open(os.path.join(SHIM, 'metadata.csv'), newline='') as f:
        text = f.read()
    assert text.splitlines()[0] == HEADER
    with open(os.path.join(SHIM, 'metadata.csv'), newline='') as f:
        rows = list(csv.DictReader(f))
    names = [row['metric_name'] for row in rows]
    assert len(rows) == 61
    assert names == sorted(names), 'metadata.csv must be sorted by metric_name'
    assert len(set(names)) == len(names)
    for row in rows:
        name = row['metric_name']
        assert name.startswith('fireworks.') and re.fullmatch(r'[a-z0-9_.]+', name) and '..' not in name, name
        assert row['metric_type'] in VALID_TYPES, name
        assert row['unit_name'] in CATALOGUE_UNITS | {''}, name
        assert row['per_unit_name'] in CATALOGUE_UNITS | {''}, name
        assert not (row['unit_name'] in TIME_UNITS and row['per_unit_name'] in TIME_UNITS), name  # use fraction
        assert row['interval'] == '' or row['interval'].isdigit(), name
        assert row['orientation'] in ('0', '1', '-1'), name
        assert row['integration'] == 'fireworks'
        assert row['curated_metric'] in ('', 'cpu', 'memory'), name
        d = row['description']
        assert d and d.isascii() and '|' not in d and len(d) <= 400, name
        assert row['short_name'], name


def test_distributions_are_listed_as_gauges_marked_distribution():
    rows = metadata()
    distributions = {n for n, r in rows.items() if '(distribution)' in r['description']}
    assert distributions == {'fireworks.latency.' + n for n in (
        'overall', 'time_to_first_token', 'generation_per_token', 'generation_queue', 'prefill', 'prefill_queue')} | {
        'fireworks.tokens.generated_per_request', 'fireworks.tokens.prompt_per_request'}
    assert {rows[n]['metric_type'] for n in distributions} == {'gauge'}


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


def test_changelog_headings_are_versions_with_dates_newest_first():
    with open(os.path.join(SHIM, 'CHANGELOG.md')) as f:
        headings = [line.rstrip('\n') for line in f if line.startswith('## ')]
    assert headings
    versions = []
    for h in headings:
        m = re.fullmatch(r'## (\d+)\.(\d+)\.(\d+) / (\d{4})-(\d{2})-(\d{2})', h)
        assert m, 'heading without a version and a date: ' + h
        versions.append(tuple(int(x) for x in m.groups()[:3]))
    assert versions == sorted(versions, reverse=True)
    from datadog_checks.fireworks.__about__ import __version__
    assert versions[0] == tuple(int(x) for x in __version__.split('.'))
