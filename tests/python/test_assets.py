# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
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
CATALOGUE_UNITS = {'millisecond', 'second', 'token', 'request', 'error', 'fraction', 'percent', 'byte', 'item', 'instance', 'device',
                   'response', 'operation', 'hour', 'day', 'dollar'}
TIME_UNITS = {'nanosecond', 'microsecond', 'millisecond', 'second', 'minute', 'hour', 'day', 'week'}


def manifest():
    with open(os.path.join(SHIM, 'manifest.json')) as f:
        return json.load(f)


def normalized_display_name():
    """ddev's Integration.normalized_display_name: metadata.csv's integration column."""
    name = re.sub('[^0-9A-Za-z-]', '_', manifest()['assets']['integration']['source_type_name'])
    return re.sub('_+', '_', name).strip('_').lower()


def test_service_checks_name_the_manifests_display_name():
    with open(os.path.join(SHIM, 'assets', 'service_checks.json')) as f:
        checks = json.load(f)
    required = {'agent_version', 'check', 'description', 'groups', 'integration', 'name', 'statuses'}
    for sc in checks:
        assert required <= set(sc)
        assert sc['integration'] == manifest()['assets']['integration']['source_type_name']


def test_metadata_follows_ddevs_rules():
    with open(os.path.join(SHIM, 'metadata.csv'), newline='') as f:
        text = f.read()
    assert text.splitlines()[0] == HEADER
    with open(os.path.join(SHIM, 'metadata.csv'), newline='') as f:
        rows = list(csv.DictReader(f))
    names = [row['metric_name'] for row in rows]
    assert len(rows) == 95
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
        assert row['integration'] == normalized_display_name()
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


def dashboard():
    with open(os.path.join(SHIM, 'assets', 'dashboards', 'fireworks_overview.json')) as f:
        return json.load(f)


def widgets(items, depth=0):
    """(widget, depth) for every widget, groups included, in order."""
    for w in items:
        yield w, depth
        if w['definition']['type'] == 'group':
            yield from widgets(w['definition']['widgets'], depth + 1)


# The check's own metrics carry fireworks_account; deployment metrics carry
# the label deployment_account (the same account) and deployment_id, model.
ACCOUNT_LEVEL = re.compile(r'fireworks\.(scrape\.|deployments$|inventory\.|usage\.age$|quota\.|spend\.|cost\.)')
# Per model or per API key: a query sums one of the two, never both (each is the whole bill).
RATED = re.compile(r'fireworks\.cost\.rated(_today)?$')
ACCOUNT_CHECKS = ('fireworks.can_connect', 'fireworks.account.status')
FLEET = re.compile(r'fireworks\.(deployment\.|usage\.accelerator_seconds$)')
SERVERLESS = re.compile(r'fireworks\.usage\.(prompt|completion)_tokens$')
FILTER = re.compile(r'^(?:avg|sum|max|min|p\d+):([a-z0-9_.]+)\{([^}]*)\}')


def test_dashboard_layout_follows_the_style_guide():
    dash = dashboard()
    assert {'description', 'template_variables', 'widgets'} <= set(dash)  # ddev's REQUIRED_ATTRIBUTES
    assert dash['layout_type'] == 'ordered' and '-' not in dash['title']
    top = dash['widgets']
    assert all(w['definition']['type'] == 'group' for w in top), 'every widget sits in a group'
    assert [w['definition']['title'] for w in top[:2]] == ['About', 'Overview']
    ids = [w['id'] for w, _ in widgets(top)]
    assert all(isinstance(i, int) and 0 < i < 2 ** 63 for i in ids) and len(set(ids)) == len(ids)
    for g in top:
        gl = g['layout']
        assert gl['x'] >= 0 and gl['x'] + gl['width'] <= 12
        title = g['definition']['title']
        assert title == title.title() or title.replace(' and ', ' And ') == title.title(), title  # title case
        cells = set()
        for w in g['definition']['widgets']:
            d, lay = w['definition'], w['layout']
            assert lay['x'] >= 0 and lay['x'] + lay['width'] <= gl['width'], (title, d.get('title'))
            assert lay['y'] + lay['height'] < gl['height'], (title, d.get('title'))
            own = {(x, y) for x in range(lay['x'], lay['x'] + lay['width'])
                   for y in range(lay['y'], lay['y'] + lay['height'])}
            assert not cells & own, 'widgets overlap in ' + title
            cells |= own
            if d['type'] == 'timeseries':
                assert lay['width'] >= 4 and d['legend_layout'] == 'auto'
            if d['type'] == 'query_value':
                assert d['timeseries_background']['type'] in ('bars', 'area')
            if 'title' in d and d['type'] != 'note':
                t = d['title']
                assert t[0].isupper() or t[0].isdigit() or t[:3] in ('p99', 'p95', 'p50'), t  # sentence case
    # Overview: the service check, key numbers and the monitor summary.
    kinds = [w['definition']['type'] for w in top[1]['definition']['widgets']]
    assert 'check_status' in kinds and 'manage_status' in kinds and kinds.count('query_value') >= 4
    summary = next(w['definition'] for w in top[1]['definition']['widgets']
                   if w['definition']['type'] == 'manage_status')
    assert summary['summary_type'] == 'monitors' and summary['query'] == 'tag:(integration:fireworks)'
    about = json.dumps(top[0]).lower()
    assert 'percentiles' in about and 'enabled' in about  # the note on distribution percentiles


def test_dashboard_queries_are_formulas_over_listed_metrics_and_honour_every_variable():
    dash = dashboard()
    assert [(v['name'], v['prefix'], v['default']) for v in dash['template_variables']] == [
        ('fireworks_account', 'fireworks_account', '*'), ('deployment_id', 'deployment_id', '*'),
        ('model', 'model', '*')]
    assert '"q":' not in json.dumps(dash), 'legacy q requests'
    meta, found, percentiles = metadata(), set(), set()
    for w, _ in widgets(dash['widgets']):
        d = w['definition']
        if d['type'] == 'check_status':
            assert d['check'] in service_checks()
            assert d['tags'] == (['$fireworks_account'] if d['check'] in ACCOUNT_CHECKS
                                 else ['$fireworks_account', '$deployment_id', '$model'])
        for r in d.get('requests', []):
            assert r['response_format'] in ('timeseries', 'scalar') and r['formulas']
            names = {q['name'] for q in r['queries']}
            for f in r['formulas']:
                assert set(re.findall(r'query\d+', f['formula'])) <= names, f
            for q in r['queries']:
                assert q['data_source'] == 'metrics'
                m = FILTER.match(q['query'])
                assert m, q['query']
                name, scope = m.group(1), m.group(2).split(',')
                assert name in meta, '{} is not in metadata.csv'.format(name)
                found.add(name)
                if q['query'].startswith('p'):
                    percentiles.add(name)
                    assert '(distribution)' in meta[name]['description'], name
                if ACCOUNT_LEVEL.match(name):
                    assert '$fireworks_account' in scope, q['query']
                    if RATED.match(name):
                        assert len([s for s in scope if s.startswith('cost_by:')]) == 1, q['query']
                        found.add(next(s for s in scope if s.startswith('cost_by:')))
                elif SERVERLESS.match(name):  # per model, not per deployment
                    assert {'$fireworks_account', '$model'} <= set(scope), q['query']
                elif FLEET.match(name):  # from the check, tagged like its own metrics plus the deployment
                    assert {'$fireworks_account', '$deployment_id', '$model'} <= set(scope), q['query']
                else:
                    assert {'deployment_account:$fireworks_account.value', '$deployment_id', '$model'} <= set(scope), \
                        q['query']
    assert percentiles == {'fireworks.latency.' + n for n in (
        'overall', 'time_to_first_token', 'generation_per_token', 'prefill', 'generation_queue', 'prefill_queue')} | {
        'fireworks.tokens.generated_per_request', 'fireworks.tokens.prompt_per_request'}
    for name in ('fireworks.requests.rate', 'fireworks.requests.errors.rate', 'fireworks.requests.concurrent',
                 'fireworks.kv_cache.blocks_used', 'fireworks.tokens.prompt.rate', 'fireworks.deployments',
                 'fireworks.scrape.duration', 'fireworks.scrape.rate_limited',
                 # Capacity & Cost: headroom, spend against the limit, dollars by model and key, cost per deployment.
                 'fireworks.quota.limit', 'fireworks.quota.usage', 'fireworks.quota.accelerators_in_use',
                 'fireworks.spend.month_to_date', 'fireworks.spend.limit', 'fireworks.spend.projected_month_end',
                 'cost_by:model', 'cost_by:api_key', 'fireworks.deployment.estimated_cost_per_hour'):
        assert name in found, name


def monitors():
    for path in sorted(glob.glob(os.path.join(SHIM, 'assets', 'monitors', '*.json'))):
        with open(path) as f:
            yield os.path.basename(path), json.load(f)


@pytest.mark.parametrize('name,monitor', list(monitors()))
def test_monitor_is_a_version_2_recommended_monitor(name, monitor):
    assert set(monitor) == {'version', 'created_at', 'last_updated_at', 'title', 'description', 'tags', 'definition'}
    assert monitor['version'] == 2 and monitor['tags'] == ['integration:fireworks']
    assert re.fullmatch(r'\d{4}-\d{2}-\d{2}', monitor['created_at']) and monitor['last_updated_at'] >= monitor['created_at']
    title, description = monitor['title'], monitor['description']
    assert title.startswith('Fireworks ') and '{{' not in title and '$' not in title  # no template variables
    assert re.search(r' (is|are) ', title), 'active voice: an object followed by a verb: ' + title
    assert description and description.lower() != title.lower() and len(description) <= 400 and description.isascii()
    definition = monitor['definition']
    assert 'id' not in definition and 'on_missing_data' not in definition['options']  # ddev drops both
    assert set(definition) >= {'name', 'type', 'query', 'message', 'tags', 'options'}
    assert definition['tags'] == ['integration:fireworks'] and 'fireworks' in definition['name'].lower()
    assert definition['type'] in ('query alert', 'service check')
    assert 'critical' in definition['options']['thresholds']
    if definition['type'] == 'service check':
        assert re.match(r'^"([a-z_.]+)"\.over\(', definition['query']).group(1) in service_checks()
    else:
        names = METRIC_IN_QUERY.findall(definition['query'])
        assert names and all(n in metadata() for n in names), definition['query']
        assert float(definition['query'].rsplit(' ', 1)[1]) == definition['options']['thresholds']['critical']


# Enough of Datadog's metric monitor evaluation to read our queries: select
# the series matching a scope (tag globs), sum them by the group tag at each
# timestamp, combine the two sides point by point, then reduce the window.
MONITOR = re.compile(r'^(avg|sum|max|min)\(last_(\d+)m\):(.+) ([<>]=?) ([-\d.]+)$')
SIDE = re.compile(r'^sum:([a-z0-9_.]+)\{([^}]*)\} by \{([a-z_]+)\}$')


def evaluate(query, series, now):
    """series: {(metric, frozenset(tags)): {timestamp: value}} -> {group: (value, fires)}."""
    reducer, minutes, expr, op, threshold = MONITOR.match(query).groups()
    lhs, rhs = expr.split(' / ')

    def side(text):
        text = text.strip()
        zero = text.startswith('default_zero(') and text.endswith(')')
        if zero:  # gaps of a series in the window read as 0 instead of no point
            text = text[len('default_zero('):-1]
        metric, scope, by = SIDE.match(text).groups()
        wanted = [s for s in scope.split(',') if s != '*']
        out = {}
        for (m, tags), points in series.items():
            if m != metric or not all(any(re.fullmatch(w.replace('*', '.*'), t) for t in tags) for w in wanted):
                continue
            group = next(t for t in tags if t.startswith(by + ':'))
            for ts, v in points.items():
                if now - int(minutes) * 60 < ts <= now:
                    out.setdefault(group, {}).setdefault(ts, 0.0)
                    out[group][ts] += v
        return out, zero

    (num, num_zero), (den, _) = side(lhs), side(rhs)
    result = {}
    for group, points in num.items():
        if num_zero:
            points = {ts: points.get(ts, 0.0) for ts in den.get(group, {})}
        ratios = [v / den[group][ts] for ts, v in points.items() if den.get(group, {}).get(ts)]
        value = {'avg': sum(ratios) / len(ratios), 'sum': sum(ratios), 'max': max(ratios), 'min': min(ratios)}[reducer]
        result[group] = (value, value > float(threshold) if op == '>' else value >= float(threshold))
    return result


def error_series(minutes, interval, requests, errors_5xx, errors_4xx=0.0):
    """Per-second gauges, one point per check run, for deployment d1 with two models;
    errors_5xx returning None means no 5xx series at that time."""
    points = {}
    for i in range(minutes * 60 // interval):
        ts = (i + 1) * interval
        for model, share in (('a', 0.75), ('b', 0.25)):
            tags = frozenset({'deployment_id:d1', 'model:' + model})
            req = requests(ts) * share
            points.setdefault(('fireworks.requests.rate', tags), {})[ts] = req
            if errors_5xx(ts) is not None:
                points.setdefault(('fireworks.requests.errors.rate', tags | {'http_code:500'}), {})[ts] = \
                    req * errors_5xx(ts)
            points.setdefault(('fireworks.requests.errors.rate', tags | {'http_code:429'}), {})[ts] = req * errors_4xx
    return points


def test_error_ratio_monitor_threshold_means_a_share_of_requests():
    query = dict(monitors())['error_ratio.json']['definition']['query']
    steady = lambda ts: 200.0  # noqa: E731
    # A steady 1% of 5xx (and 10% of 429s, which are not server errors): 0.01, below 0.05.
    value, fires = evaluate(query, error_series(10, 30, steady, lambda ts: 0.01, 0.10), 600)['deployment_id:d1']
    assert value == pytest.approx(0.01) and not fires
    # 6% fires, 4% does not, at any check interval.
    for interval in (15, 30, 60):
        assert evaluate(query, error_series(10, interval, steady, lambda ts: 0.06), 600)['deployment_id:d1'][1]
        assert not evaluate(query, error_series(10, interval, steady, lambda ts: 0.04), 600)['deployment_id:d1'][1]
    # Five minutes at 10% and five at 0%: the window's average is 5%, not above it.
    half = error_series(10, 30, steady, lambda ts: 0.10 if ts <= 300 else 0.0)
    assert evaluate(query, half, 600)['deployment_id:d1'] == (pytest.approx(0.05), False)
    # The 5xx series stops (the errors ended) while requests go on: the
    # missing points count as 0, so the monitor recovers instead of staying
    # at its last ratio.
    stopped = error_series(15, 30, steady, lambda ts: 0.10 if ts <= 300 else None)
    assert evaluate(query, stopped, 600)['deployment_id:d1'] == (pytest.approx(0.05), False)
    assert 'deployment_id:d1' not in evaluate(query, stopped, 900)  # no 5xx series left in the window
    without = query.replace('default_zero(', '', 1).replace('}) /', '} /', 1)
    assert evaluate(without, stopped, 600)['deployment_id:d1'] == (pytest.approx(0.10), True)
    # The old form summed one ratio per point: 1% over 20 points read as 20%.
    old = query.replace('avg(last_10m)', 'sum(last_10m)')
    value, fires = evaluate(old, error_series(10, 30, steady, lambda ts: 0.01), 600)['deployment_id:d1']
    assert value == pytest.approx(0.20) and fires


def spend_series(minutes, interval, projected, limit=1000.0):
    """The spend gauges of account acme, one point per refresh: projected(ts) is the
    month-end projection at ts (None: not sent, as in a month's first day)."""
    points = {}
    tags = frozenset({'fireworks_account:acme'})
    for i in range(minutes * 60 // interval):
        ts = (i + 1) * interval
        points.setdefault(('fireworks.spend.limit', tags), {})[ts] = limit
        if projected(ts) is not None:
            points.setdefault(('fireworks.spend.projected_month_end', tags), {})[ts] = projected(ts)
    return points


def test_the_spend_projection_monitor_fires_on_a_projection_over_the_limit_for_an_hour():
    query = dict(monitors())['spend_projected_over_limit.json']['definition']['query']
    group = 'fireworks_account:acme'
    assert evaluate(query, spend_series(60, 300, lambda ts: 1200.0), 3600)[group] == (pytest.approx(1.2), True)
    # Over the limit for the last half hour only: one busy morning is not yet a trend.
    late = spend_series(60, 300, lambda ts: 1200.0 if ts > 1800 else 900.0)
    assert evaluate(query, late, 3600)[group] == (pytest.approx(0.9), False)
    assert evaluate(query, spend_series(60, 300, lambda ts: 950.0), 3600)[group][1] is False
    # No projection (the first 24 h of a month): nothing to judge.
    assert group not in evaluate(query, spend_series(60, 300, lambda ts: None), 3600)


def test_the_capacity_monitors_watch_the_right_series_and_thresholds():
    found = dict(monitors())
    suspended = found['account_suspended.json']['definition']
    assert suspended['type'] == 'service check' and suspended['query'].startswith('"fireworks.account.status"')
    assert suspended['options']['thresholds']['critical'] == 1
    near = found['spend_near_limit.json']['definition']
    assert near['query'].startswith('max(last_15m):max:fireworks.spend.utilization{*} by {fireworks_account} >= ')
    assert near['options']['thresholds'] == {'critical': 0.9, 'warning': 0.8}  # Fireworks e-mails at 80 %
    gpu = found['gpu_quota_utilization.json']['definition']
    # Only the <accelerator>-<region> quotas carry quota_accelerator: not the spend or rate quotas.
    assert 'fireworks.quota.utilization{quota_accelerator:*} by {fireworks_account,quota} >= 0.9' in gpu['query']
    assert gpu['options']['thresholds']['critical'] == 0.9


def test_manifest_v2_has_every_mandatory_field_and_points_at_existing_assets():
    with open(os.path.join(SHIM, 'manifest.json')) as f:
        manifest = json.load(f)
    assert manifest['manifest_version'] == '2.0.0' and manifest['app_id'] == 'fireworks'
    assert re.fullmatch(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', manifest['app_uuid'])
    assert isinstance(manifest['display_on_public_website'], bool)
    tile = manifest['tile']
    assert isinstance(tile['media'], list) and len(tile['media']) <= 8 and isinstance(tile['classifier_tags'], list)
    assert 0 < len(tile['description']) <= 80 and 0 < len(tile['title']) <= 50
    assert 'Category::Log Collection' not in tile['classifier_tags']  # the check sends no logs
    author = manifest['author']
    for key in ('homepage', 'name', 'sales_email', 'support_email'):
        assert author[key] and 'example' not in author[key] and 'invalid' not in author[key], key
    assert re.fullmatch(r'[^@\s]+@[^@\s]+\.[a-z]+', author['support_email'])
    assert re.fullmatch(r'[^@\s]+@[^@\s]+\.[a-z]+', author['sales_email'])
    assert author['homepage'].startswith('https://')
    integration = manifest['assets']['integration']
    assert integration['source_type_name'] and isinstance(integration['events']['creates_events'], bool)
    metrics = integration['metrics']
    assert metrics['prefix'] == 'fireworks.' and metrics['check'] in metadata()
    assert integration['configuration']['spec'] == 'assets/configuration/spec.yaml'
    paths = [metrics['metadata_path'], integration['service_checks']['metadata_path'],
             integration['configuration']['spec']]
    paths += list(manifest['assets']['dashboards'].values()) + list(manifest['assets']['monitors'].values())
    for p in paths:
        assert os.path.exists(os.path.join(SHIM, p)), p
    listed = sorted(os.path.basename(p) for p in manifest['assets']['monitors'].values())
    assert listed == sorted(name for name, _ in monitors())
    assert all(re.fullmatch(r'[a-z0-9_]+', k) for k in manifest['assets']['monitors'])
    assert os.path.exists(os.path.join(SHIM, tile['changelog']))


def test_manifest_passes_ddevs_v2_rules_for_an_integrations_extras_check():
    """ddev's manifest validators as they run for integrations-extras
    (datadog_checks_dev/.../manifest_validator/v2/validator.py, common/validator.py),
    and the author block its `create` writes for an extras check."""
    m = manifest()
    # DisplayOnPublicValidator: a boolean, and false only warns that no documentation is published.
    assert m['display_on_public_website'] is True
    # The extras author block: exactly these four, ASCII (MaintainerValidator's rule; its
    # help@datadoghq.com is for integrations-core only). vendor_id and pricing are Marketplace's.
    assert set(m['author']) == {'support_email', 'name', 'homepage', 'sales_email'}
    assert all(v.isascii() for v in m['author'].values())
    assert m['author']['support_email'] != 'help@datadoghq.com'
    assert 'pricing' not in m and 'terms' not in m
    # The template's placeholders are all filled in, every tag is Key::Value of a known key.
    tags = m['tile']['classifier_tags']
    assert not [t for t in tags if '<' in t or 'FILL IN' in t]
    keys = {'Supported OS', 'Category', 'Offering', 'Queried Data Type', 'Submitted Data Type'}
    assert all(t.split('::', 1)[0] in keys and t.split('::', 1)[1] for t in tags), tags
    assert len(tags) == len(set(tags))
    # Linux and Windows wheels ship (test_pyproject.py holds the classifiers and the wheel tags to it).
    assert [t for t in tags if t.startswith('Supported OS::')] == ['Supported OS::Linux', 'Supported OS::Windows']
    # ChangelogValidator: the tile's changelog is a file in the check's own folder.
    assert m['tile']['changelog'] in os.listdir(SHIM)
    # LogsCategoryValidator: no log collection, so no Log Collection category (above too).
    assert not any(t == 'Category::Log Collection' for t in tags)
    # MetricToCheckValidator: metadata.csv exists, so the check metric is set and listed.
    assert m['assets']['integration']['metrics']['check'] in metadata()


def anchors(markdown):
    """GitHub's heading anchors: lowercased, punctuation dropped, spaces to hyphens."""
    return {re.sub(r'[^\w\- ]', '', line.lstrip('#').strip().lower()).replace(' ', '-')
            for line in markdown.splitlines() if line.startswith('#')}


def test_tile_links_and_readme_links_reach_existing_sections():
    with open(os.path.join(SHIM, 'manifest.json')) as f:
        tile = json.load(f)['tile']
    # The tile's links are relative to the manifest's folder.
    for key in ('overview', 'configuration', 'support'):
        page, _, section = tile[key].partition('#')
        with open(os.path.join(SHIM, page)) as f:
            assert section.lower() in anchors(f.read()), tile[key]
    for readme in (os.path.join(SHIM, 'README.md'), os.path.join(ROOT, 'README.md')):
        with open(readme) as f:
            text = f.read()
        for link in re.findall(r'\]\(#([^)]+)\)', text):
            assert link in anchors(text), (readme, link)
        for target in re.findall(r'^\[\d+\]: (?!https://)(\S+)$', text, re.M) + \
                re.findall(r'\]\((?!https?://|#)([^)#]+)', text):
            assert os.path.exists(os.path.join(os.path.dirname(readme), target)), (readme, target)


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


def test_no_file_holds_a_merge_conflict_marker():
    # CMake reads a left-over marker as an include path and builds anyway.
    import subprocess
    files = subprocess.run(['git', '-C', ROOT, 'ls-files', '-z'], capture_output=True, check=True).stdout
    marked = []
    for name in filter(None, files.decode().split('\0')):
        path = os.path.join(ROOT, name)
        if not os.path.isfile(path) or os.path.getsize(path) > 4 << 20:
            continue
        with open(path, 'rb') as f:
            for number, line in enumerate(f, 1):
                if line.startswith((b'<<<<<<< ', b'>>>>>>> ')) or line.rstrip(b'\r\n') == b'=======':
                    marked.append('{}:{}'.format(name, number))
    assert marked == []


# ddev validate readmes (datadog_checks_dev/.../commands/validate/readmes.py),
# without its Markdown parser: headings and images are read outside code blocks.
def _readme_lines_outside_code(text):
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith('```'):
            fenced = not fenced
        elif not fenced:
            yield line


def readme_problems(text, images_dir, repo='integrations-extras', integration='fireworks'):
    problems = ['line {}: a character past U+0100'.format(n) for n, line in enumerate(text.splitlines(), 1)
                if any(ord(c) > 256 for c in line)]  # ddev's ASCII rule: ord() > 256
    lines = list(_readme_lines_outside_code(text))
    for header in ('Overview', 'Setup'):
        at = [i for i, line in enumerate(lines) if line.strip() == '## ' + header]
        if not at:
            problems.append('no ## {} section'.format(header))
            continue
        following = [line for line in lines[at[0] + 1:] if line.strip()]
        if not following or following[0].startswith('## '):
            problems.append('an empty ## {} section'.format(header))
    prefix = 'https://raw.githubusercontent.com/DataDog/{}/master/{}/images/'.format(repo, integration)
    for line in lines:
        for src in re.findall(r'!\[[^\]]*\]\(([^)\s]+)[^)]*\)|<img[^>]*\bsrc="([^"]+)"', line):
            src = src[0] or src[1]
            if not src.startswith(prefix):
                problems.append('image {} is not under {}'.format(src, prefix))
            elif not os.path.exists(os.path.join(images_dir, src[len(prefix):])):
                problems.append('image {} does not exist'.format(src))
    return problems


def test_the_readme_passes_ddevs_readme_rules():
    with open(os.path.join(ROOT, 'python_shim', 'README.md'), encoding='utf-8') as f:
        assert readme_problems(f.read(), os.path.join(ROOT, 'python_shim', 'images')) == []


def test_the_readme_rules_catch_what_ddev_refuses(tmp_path):
    good = '## Overview\n\nText.\n\n## Setup\n\nSteps.\n'
    assert readme_problems(good, str(tmp_path)) == []
    assert readme_problems(good + 'h100 \u2194 H100\n', str(tmp_path)) == ['line 8: a character past U+0100']
    assert readme_problems('## Overview\n\n## Setup\n\nSteps.\n', str(tmp_path)) == ['an empty ## Overview section']
    assert readme_problems('## Overview\n\nText.\n```\n## Setup\n```\n', str(tmp_path)) == ['no ## Setup section']
    assert readme_problems(good + '![d](images/d.png)\n', str(tmp_path)) == [
        'image images/d.png is not under '
        'https://raw.githubusercontent.com/DataDog/integrations-extras/master/fireworks/images/']
    src = 'https://raw.githubusercontent.com/DataDog/integrations-extras/master/fireworks/images/d.png'
    assert readme_problems(good + '![d]({})\n'.format(src), str(tmp_path)) == ['image {} does not exist'.format(src)]
    (tmp_path / 'd.png').write_bytes(b'png')
    assert readme_problems(good + '<img src="{}">\n'.format(src), str(tmp_path)) == []
