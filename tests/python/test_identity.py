# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""End to end through `check --json`: whatever exclude_labels, filters and
label orders a user combines, one run never submits the same name + tags
(+ bounds) twice, and merged series carry the right numbers."""
import json
import random

import pytest
from conftest import Endpoint
from test_cli import run_cli

KEY = 'fw-SECRET-3b9e1c77d2a4-identity'


def _line(name, labels, value, rng):
    items = list(labels.items())
    rng.shuffle(items)  # label order is not identity
    return '{}{{{}}} {}\n'.format(name, ','.join('{}="{}"'.format(k, v) for k, v in items), value)


def _payload():
    rng = random.Random(7)
    out = []
    common = {'deployment_id': 'd1', 'deployment': 'accounts/acme/deployments/d1', 'base_model': 'accounts/f/models/m1'}
    for shard, value in (('0', 1.25), ('1', 0.75)):
        out.append(_line('request_counter_total:sum_by_deployment', dict(common, shard=shard), value, rng))
    for code, value in (('500', 0.5), ('429', 0.25)):
        out.append(_line('requests_error_total:sum_by_deployment', dict(common, http_code=code), value, rng))
    for replica, counts in (('a', (1, 3, 4)), ('b', (0, 2, 2))):
        for le, c in zip(('10', '100', '+Inf'), counts):
            out.append(_line('latency_overall_ms_bucket:sum_by_deployment', dict(common, replica=replica, le=le), c,
                             rng))
    for replica, value in (('a', 0.2), ('b', 0.6)):
        out.append(_line('generator_kv_slots_fraction:avg_by_deployment', dict(common, replica=replica), value, rng))
    # An empty value is no tag; an unknown series on a curated name is renamed.
    out.append(_line('request_counter_total:sum_by_deployment', {'deployment_id': 'd2', 'region': ''}, 2, rng))
    out.append(_line('requests_total:sum_by_deployment', {'deployment_id': 'd1'}, 5, rng))
    out.append('# TYPE jobs counter\njobs_total 5\n# TYPE jobs_created gauge\njobs_created 1.7e9\n')
    return ''.join(out)


CONFIGS = [
    {},
    {'exclude_labels': ['http_code']},
    {'exclude_labels': ['replica', 'shard', 'http_code']},
    {'exclude_labels': ['deployment_id', 'deployment', 'base_model'], 'metrics': ['latency_.*', 'request_.*']},
    {'exclude_labels': ['shard', 'replica'], 'rates_as_counts': True, 'exclude_metrics': ['requests_total']},
    {'exclude_labels': ['deployment_id', 'deployment', 'base_model', 'shard', 'replica', 'http_code', 'region'],
     'rates_as_counts': True, 'quantiles': [0.5, 0.999, 0.9999, 1]},
]


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('identity')
    payload = tmp / 'p.prom'
    payload.write_text(_payload())
    endpoint = Endpoint(str(payload), KEY)
    try:
        instances = [dict(c, account_id='identity{}'.format(n), api_key=KEY, openmetrics_endpoint=endpoint.url,
                          tls_ca_cert=endpoint.ca_cert, min_collection_interval=60)
                     for n, c in enumerate(CONFIGS)]
        out = {}
        for n, inst in enumerate(instances):
            conf = tmp / 'conf{}.yaml'.format(n)
            conf.write_text(json.dumps({'init_config': {}, 'instances': [inst]}))
            r = run_cli('check', '-c', str(conf), '--json', '--times', '2', '--interval', '0.1')
            assert r.returncode == 0, r.stderr
            assert b'fw-SECRET' not in r.stdout + r.stderr
            # A run ends with its service check.
            items, per_run = [], []
            for line in r.stdout.decode().splitlines():
                item = json.loads(line)
                items.append(item)
                if item['kind'] == 'service_check':
                    per_run.append(items)
                    items = []
            assert len(per_run) == 2
            out[n] = per_run
        return out
    finally:
        endpoint.stop()


def _key(item):
    return (item['kind'], item.get('type'), item['name'], tuple(sorted(item['tags'])), item.get('lower'),
            item.get('upper'))


@pytest.mark.parametrize('n', range(len(CONFIGS)))
def test_no_run_submits_a_name_and_tags_twice(runs, n):
    for items in runs[n]:
        keys = [_key(i) for i in items]
        assert len(keys) == len(set(keys)), [k for k in keys if keys.count(k) > 1][:3]
        names = {i['name'] for i in items}
        assert 'fireworks.jobs_created' not in names  # a creation time, not a measurement
        assert not any(t.endswith(':') for i in items for t in i['tags'])  # no empty values


def _values(items, name):
    return {tuple(sorted(i['tags'])): i['value'] for i in items if i['name'] == name}


def test_excluded_labels_sum_the_rates(runs):
    first = runs[1][0]
    errors = _values(first, 'fireworks.requests.errors.rate')
    assert list(errors.values()) == [0.75]
    requests = _values(runs[2][0], 'fireworks.requests.rate')
    d1 = [v for tags, v in requests.items() if 'deployment_id:d1' in tags]
    assert d1 == [2.0]  # 1.25 + 0.75 across shards


def test_excluded_labels_merge_histograms_and_average_gauges(runs):
    first = runs[2][0]
    buckets = [i for i in first if i['kind'] == 'histogram_bucket' and 'deployment_id:d1' in i['tags']]
    # Two replicas summed per bound: 1/s below 10, 4/s to 100, 1/s above; 60 s each.
    assert sorted((b['lower'], b['value']) for b in buckets) == [(0, 60), (10, 240), (100, 60)]
    assert list(_values(first, 'fireworks.kv_cache.slots_used').values()) == [pytest.approx(0.4)]


def test_unknown_series_do_not_land_on_curated_names(runs):
    first = runs[0][0]
    assert list(_values(first, 'fireworks.series.requests_total_sum_by_deployment.rate').values()) == [5.0]
    assert 5.0 not in _values(first, 'fireworks.requests.rate').values()


def test_every_exclusion_still_adds_up_to_the_whole(runs):
    # Everything excluded: one tag set; rates add up over both deployments.
    for items in runs[5]:
        rates = _values(items, 'fireworks.requests.rate')
        assert list(rates.values()) == [4.0]  # 1.25 + 0.75 + 2
    names = {i['name'] for i in runs[5][0]}
    assert {'fireworks.latency.overall.p50', 'fireworks.latency.overall.p99_9', 'fireworks.latency.overall.p99_99',
            'fireworks.latency.overall.p100'} <= names


def _run_one(tmp_path, payload, **options):
    payload_file = tmp_path / 'one.prom'
    payload_file.write_text(payload)
    endpoint = Endpoint(str(payload_file), KEY)
    try:
        inst = dict(options, account_id='one', api_key=KEY, openmetrics_endpoint=endpoint.url,
                    tls_ca_cert=endpoint.ca_cert)
        conf = tmp_path / 'one.yaml'
        conf.write_text(json.dumps({'init_config': {}, 'instances': [inst]}))
        return run_cli('check', '-c', str(conf), '--json')
    finally:
        endpoint.stop()


# "What is wrong today" 4: without an interval the first run counts the
# Agent's default 15 s, not 60.
def test_the_first_run_counts_the_agents_default_interval(tmp_path):
    r = _run_one(tmp_path, 'request_counter_total:sum_by_deployment{deployment_id="d1"} 2\n', rates_as_counts=True)
    assert r.returncode == 0, r.stderr
    items = [json.loads(x) for x in r.stdout.decode().splitlines()]
    assert [i['value'] for i in items if i['name'] == 'fireworks.requests.count'] == [30.0]  # 2/s x 15 s


# "What is wrong today" 5: typos are said, with the nearest known name.
def test_typos_are_warned_about_with_the_nearest_name(tmp_path):
    r = _run_one(tmp_path, 'request_counter_total:sum_by_deployment{deployment_id="d1"} 2\n', rates_as_count=True,
                 max_request_per_minute=3, headers={'X': 'y'})
    assert r.returncode == 0, r.stderr
    err = r.stderr.decode()
    assert "unknown option 'rates_as_count' (did you mean 'rates_as_counts'?)" in err
    assert "unknown option 'max_request_per_minute' (did you mean 'max_requests_per_minute'?)" in err
    assert "option 'headers' is not supported by this check and is ignored" in err
    items = [json.loads(x) for x in r.stdout.decode().splitlines()]
    assert not [i for i in items if i['name'] == 'fireworks.requests.count']  # the typo did not turn it on


# "What is wrong today" 6: repeated or out-of-range quantiles are refused.
@pytest.mark.parametrize('quantiles', [[0.5, 0.5], [0], [1.5]])
def test_bad_quantiles_are_a_configuration_error(tmp_path, quantiles):
    r = _run_one(tmp_path, 'x 1\n', quantiles=quantiles)
    assert r.returncode == 1
    assert "option 'quantiles'" in r.stderr.decode()


def _items(r):
    assert r.returncode == 0, r.stderr
    return [json.loads(x) for x in r.stdout.decode().splitlines()]


def _no_repeats(items):
    # The Agent finds a point's series by its sorted tags with repeats dropped.
    keys = [(i['kind'], i['name'], tuple(sorted(set(i['tags']))), i.get('lower'), i.get('upper')) for i in items]
    assert len(keys) == len(set(keys)), [k for k in keys if keys.count(k) > 1][:3]


# Found in review: label sets that differ but give one tag set (a derived
# model tag, a ':' in a label name, an instance tag) are one series.
def test_label_sets_that_give_one_tag_set_are_merged(tmp_path):
    row = 'request_counter_total:sum_by_deployment'
    payload = ('{0}{{base_model="accounts/f/models/llama",model="llama"}} 1\n'
               '{0}{{base_model="accounts/f/models/llama"}} 2\n'
               '{0}{{"deployment_id:x"="y"}} 3\n{0}{{deployment_id="x:y"}} 4\n'
               '{0}{{team="a"}} 5\n{0} 6\n').format(row)
    items = _items(_run_one(tmp_path, payload, tags=['team:a']))
    _no_repeats(items)
    rates = {tuple(sorted(set(i['tags']))): i['value'] for i in items if i['name'] == 'fireworks.requests.rate'}
    assert rates == {('base_model:accounts/f/models/llama', 'model:llama', 'team:a'): 3.0,
                     ('deployment_id:x:y', 'team:a'): 7.0, ('team:a',): 11.0}


def test_a_service_label_equal_to_the_agents_service_tag_is_no_second_series(tmp_path):
    kv = 'generator_kv_slots_fraction:avg_by_deployment'
    payload = '{0}{{deployment_id="d1",service="fw"}} 0.2\n{0}{{deployment_id="d1"}} 0.6\n'.format(kv)
    items = _items(_run_one(tmp_path, payload, service='fw'))
    kv_items = [i for i in items if i['name'] == 'fireworks.kv_cache.slots_used']
    assert [(i['tags'], i['value']) for i in kv_items] == [(['deployment_id:d1'], pytest.approx(0.4))]


def test_le_keeps_non_histogram_series_apart_and_filtered_series_take_no_name(tmp_path):
    payload = 'zz{le="1"} 1\nzz{le="2"} 2\nfoo:sum_by_deployment 1\nfoo 2\n'
    items = _items(_run_one(tmp_path, payload, exclude_metrics=['foo:sum_by_deployment']))
    _no_repeats(items)
    assert sorted((i['tags'], i['value']) for i in items if i['name'] == 'fireworks.zz') == [
        (['le:1'], 1.0), (['le:2'], 2.0)]
    assert [i['value'] for i in items if i['name'] == 'fireworks.foo'] == [2.0]
    assert not [i for i in items if i['name'].startswith('fireworks.series.')]


def test_duplicate_le_is_counted_as_malformed(tmp_path):
    lat = 'latency_overall_ms_bucket:sum_by_deployment'
    payload = '{0}{{le="1"}} 5\n{0}{{le="1.0"}} 5\n{0}{{le="+Inf"}} 10\n'.format(lat)
    items = _items(_run_one(tmp_path, payload))
    _no_repeats(items)
    # Prometheus sums equal bounds: all 10/s at or below 1.
    assert [i['value'] for i in items if i['name'] == 'fireworks.latency.overall.p50'] == [0.5]
    assert [i['value'] for i in items if i['name'] == 'fireworks.scrape.malformed_histograms'] == [1]


# Options brought from Datadog's OpenMetrics check, with its meaning: a
# renamed label is the tag's new name (exclusion names the Fireworks label),
# and extra_metrics widens metrics.
def test_rename_labels_and_extra_metrics_mean_what_they_mean_in_the_openmetrics_check(tmp_path):
    row = 'request_counter_total:sum_by_deployment'
    payload = ('{0}{{deployment_id="d1",replica="a",zone="z"}} 1\n'
               'requests_error_total:sum_by_deployment{{deployment_id="d1",replica="a"}} 2\n'
               'tokens_prompt_total:sum_by_deployment{{deployment_id="d1"}} 3\n').format(row)
    items = _items(_run_one(tmp_path, payload, rename_labels={'replica': 'pod', 'zone': 'zone_renamed'},
                            exclude_labels=['zone'], metrics=['request_counter_total'],
                            extra_metrics=['requests_error_.*']))
    _no_repeats(items)
    tags = {i['name']: sorted(i['tags']) for i in items if i['name'].startswith('fireworks.requests')}
    assert tags == {'fireworks.requests.rate': ['deployment_id:d1', 'pod:a'],
                    'fireworks.requests.errors.rate': ['deployment_id:d1', 'pod:a']}
    assert not [i for i in items if i['name'].startswith('fireworks.tokens')]


@pytest.mark.parametrize('options, said', [
    ({'rename_labels': {'deployment_id': 'dep'}}, "option 'rename_labels.deployment_id' cannot be renamed"),
    ({'rename_labels': {'replica': 'env'}}, "option 'rename_labels.replica' names 'env'"),
    ({'rename_labels': ['replica']}, "option 'rename_labels' must be a mapping"),
    ({'extra_metrics': [{'a': 'b'}]}, "option 'extra_metrics' must be a list of strings, names or patterns"),
])
def test_brought_options_that_would_break_the_check_are_refused_by_name(tmp_path, options, said):
    r = _run_one(tmp_path, 'x 1\n', **options)
    assert r.returncode == 1
    assert said in r.stderr.decode()
