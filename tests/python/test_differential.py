# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Our parser against Python prometheus_client, the parser of Datadog's generic
OpenMetrics check, on real payloads: the /metrics of Debian's node exporter
and Prometheus server, started here on 127.0.0.1, and Fireworks-shaped
payloads. Where we deliberately differ, a named test below says why.
"""
import math
import os
import tempfile

import pytest
from prometheus_client.parser import text_string_to_metric_families

import fireworks_payload
from conftest import Server, free_port, require_binary
from datadog_checks.fireworks import binding


def ours(text):
    with binding.parse(text.encode('utf-8'), samples=True) as r:
        summary = r.summary()
        samples = r.samples()
    return summary, samples


def theirs(text):
    out = []
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            name = s.name
            # prometheus_client renames counter samples that lack _total
            # (test_counter_without_total_suffix_keeps_its_name).
            if family.type == 'counter' and name.endswith('_total') and not _declared(text, name):
                name = name[: -len('_total')]
            out.append((name, dict(s.labels), s.value))
    return out


def _declared(text, name):
    return ('\n' + name + ' ') in text or ('\n' + name + '{') in text or text.startswith(name)


def _value(v):
    if isinstance(v, str):
        return {'NaN': math.nan, '+Inf': math.inf, '-Inf': -math.inf}[v]
    return v


def _key(name, labels):
    return (name, tuple(sorted(labels.items())))


def assert_same_samples(text):
    summary, mine = ours(text)
    assert summary['invalid_lines'] == 0, summary['errors']
    reference = theirs(text)
    assert len(mine) == len(reference)
    ref = {}
    for name, labels, value in reference:
        ref[_key(name, labels)] = value
    assert len(ref) == len(reference), 'the payload repeats a series'
    for s in mine:
        key = _key(s['name'], s['labels'])
        assert key in ref, 'prometheus_client has no sample {}'.format(key)
        a, b = _value(s['value']), ref[key]
        assert (math.isnan(a) and math.isnan(b)) or a == b, '{}: {} != {}'.format(key, a, b)
    return len(mine)


@pytest.fixture(scope='module')
def node_exporter():
    require_binary('/usr/bin/prometheus-node-exporter')
    port = free_port()
    server = Server(
        ['/usr/bin/prometheus-node-exporter', '--web.listen-address=127.0.0.1:%d' % port],
        'http://127.0.0.1:%d/metrics' % port,
    )
    yield server
    server.stop()


@pytest.fixture(scope='module')
def prometheus_server():
    require_binary('/usr/bin/prometheus')
    port = free_port()
    with tempfile.TemporaryDirectory() as d:
        config = os.path.join(d, 'prometheus.yml')
        with open(config, 'w') as f:
            f.write('global:\n  scrape_interval: 1h\nscrape_configs: []\n')
        server = Server(
            [
                '/usr/bin/prometheus',
                '--config.file=' + config,
                '--storage.tsdb.path=' + os.path.join(d, 'data'),
                '--web.listen-address=127.0.0.1:%d' % port,
            ],
            'http://127.0.0.1:%d/metrics' % port,
            cwd=d,
        )
        yield server
        server.stop()


def test_agrees_on_node_exporter_metrics(node_exporter):
    from conftest import fetch

    text = fetch(node_exporter.url).decode('utf-8')
    assert assert_same_samples(text) > 200


def test_agrees_on_prometheus_server_metrics(prometheus_server):
    from conftest import fetch

    text = fetch(prometheus_server.url).decode('utf-8')
    # Prometheus' own metrics hold histograms, summaries and label escapes.
    assert '_bucket{' in text and 'quantile=' in text
    assert assert_same_samples(text) > 200


@pytest.mark.parametrize('deployments,seed', [(1, 1), (7, 2), (60, 3)])
def test_agrees_on_fireworks_payloads(deployments, seed):
    text = fireworks_payload.render(deployments, seed=seed)
    assert assert_same_samples(text) == deployments * 99


# ---- where we deliberately differ ---------------------------------------


def test_exemplar_is_not_a_timestamp():
    text = 'rpc_total{a="b"} 5 # {trace_id="abc"} 0.5 1700000000.5\n'
    _, mine = ours(text)
    assert mine[0]['labels'] == {'a': 'b'}
    assert mine[0]['value'] == 5.0 and mine[0]['timestamp'] is None
    assert mine[0]['exemplar'] == {'labels': {'trace_id': 'abc'}, 'value': 0.5, 'timestamp': 1700000000.5}
    # prometheus_client's text parser reads up to the exemplar's brace as
    # labels, the exemplar's value as the value and its timestamp as ours.
    (sample,) = [s for f in text_string_to_metric_families(text) for s in f.samples]
    assert sample.value == 0.5
    assert sample.timestamp == pytest.approx(1700000.0005)
    assert '} 5 # {trace_id' in sample.labels


def test_counter_without_total_suffix_keeps_its_name():
    text = '# TYPE requests counter\nrequests 7\n'
    _, mine = ours(text)
    assert mine[0]['name'] == 'requests'
    # prometheus_client renames the sample: a series that is not on the wire.
    (family,) = text_string_to_metric_families(text)
    assert family.samples[0].name == 'requests_total'


def test_malformed_line_is_skipped_not_fatal():
    text = 'good 1\nbad{a="1" 2\nalso_good 3\n'
    summary, mine = ours(text)
    assert [s['name'] for s in mine] == ['good', 'also_good']
    assert summary['errors'][0]['line'] == 2
    # prometheus_client gives up on the whole payload.
    with pytest.raises(ValueError):
        list(text_string_to_metric_families(text))


def test_duplicate_series_keeps_the_first():
    text = 'temp{room="a"} 1\ntemp{room="a"} 2\n'
    summary, mine = ours(text)
    assert [s['value'] for s in mine] == [1.0]
    assert summary['invalid_lines'] == 1
    # prometheus_client hands both on, and a check would submit both.
    assert [s.value for f in text_string_to_metric_families(text) for s in f.samples] == [1.0, 2.0]


def test_digit_separators_are_not_numbers():
    text = 'big 1_000\n'
    summary, mine = ours(text)
    assert mine == [] and summary['invalid_lines'] == 1
    # Python's float() accepts "1_000"; Prometheus' Go parser does not.
    assert [s.value for f in text_string_to_metric_families(text) for s in f.samples] == [1000.0]


def test_quoted_utf8_metric_names():
    text = '{"my.metric", "service.name"="api"} 1\n'
    _, mine = ours(text)
    assert mine == [{'name': 'my.metric', 'labels': {'service.name': 'api'}, 'value': 1.0, 'timestamp': None}]
    # prometheus_client 0.16 predates Prometheus 3 names.
    with pytest.raises(ValueError):
        list(text_string_to_metric_families(text))
