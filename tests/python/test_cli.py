# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
import json
import subprocess
import sys

from conftest import shim_env


def run_cli(*args, stdin=None):
    return subprocess.run(
        [sys.executable, '-m', 'datadog_checks.fireworks'] + list(args),
        input=stdin,
        env=shim_env(),
        capture_output=True,
        timeout=60,
    )


def test_parse_samples_prints_one_json_object_per_sample(tmp_path):
    payload = tmp_path / 'p.prom'
    payload.write_bytes(
        b'# TYPE x gauge\nx{a="q\\"uote",b="\xc3\xa9"} 1e3 1700000000000\ny NaN\nz -Inf\nw +Inf\n'
    )
    r = run_cli('parse', str(payload), '--samples')
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in r.stdout.decode().splitlines()]
    assert lines == [
        {'name': 'x', 'labels': {'a': 'q"uote', 'b': '\u00e9'}, 'value': 1000.0, 'timestamp': 1700000000.0},
        {'name': 'y', 'labels': {}, 'value': 'NaN', 'timestamp': None},
        {'name': 'z', 'labels': {}, 'value': '-Inf', 'timestamp': None},
        {'name': 'w', 'labels': {}, 'value': '+Inf', 'timestamp': None},
    ]
    assert r.stderr == b''


def test_parse_reads_standard_input_and_reports_invalid_lines_on_stderr():
    r = run_cli('parse', '-', '--samples', stdin=b'ok 1\nbad{a="1" 2\nok2 2\nworse 1 2 3\n')
    assert r.returncode == 0
    assert [json.loads(x)['name'] for x in r.stdout.decode().splitlines()] == ['ok', 'ok2']
    assert r.stderr.decode().splitlines() == [
        "line 2: expected ',' or '}' after label at '2'",
        "line 4: unexpected text after sample at '3'",
    ]


def test_parse_reports_how_many_invalid_lines_were_not_listed():
    r = run_cli('parse', '-', '--samples', '--max-errors', '1', stdin=b'a{\nb{\nc{\n')
    assert r.stderr.decode().splitlines()[-1] == '... and 2 more invalid lines'


def test_parse_summary_names_every_metric():
    r = run_cli('parse', '-', '--summary', stdin=b'a 1\na{x="1"} 2\nb 3\n')
    out = r.stdout.decode()
    assert out.splitlines()[0] == '-: 3 series from 3 lines (prometheus format), 0 invalid lines'
    assert [line.split() for line in out.splitlines()[2:]] == [['a', '2'], ['b', '1']]


def test_unreadable_file_is_a_clear_error():
    r = run_cli('parse', '/nonexistent/payload.prom')
    assert r.returncode == 2
    assert r.stderr.decode().strip() == 'cannot read /nonexistent/payload.prom: No such file or directory'


def test_parse_prints_the_submissions_as_json_lines():
    payload = (b'request_counter_total:sum_by_deployment{deployment_id="d1"} 2\n'
               b'latency_overall_ms_bucket:sum_by_deployment{deployment_id="d1",le="10"} 1\n'
               b'latency_overall_ms_bucket:sum_by_deployment{deployment_id="d1",le="+Inf"} 2\n')
    r = run_cli('parse', '-', stdin=payload)
    assert r.returncode == 0, r.stderr
    items = [json.loads(x) for x in r.stdout.decode().splitlines()]
    assert {'kind': 'metric', 'type': 'gauge', 'name': 'fireworks.requests.rate', 'value': 2.0,
            'tags': ['deployment_id:d1']} in items
    # A first run counts the Agent's default interval (15 s) of traffic at 1 and 1 per second.
    assert {'kind': 'histogram_bucket', 'name': 'fireworks.latency.overall', 'value': 15, 'lower': 0.0,
            'upper': 10.0, 'monotonic': False, 'tags': ['deployment_id:d1']} in items
    assert {'kind': 'histogram_bucket', 'name': 'fireworks.latency.overall', 'value': 15, 'lower': 10.0,
            'upper': '+Inf', 'monotonic': False, 'tags': ['deployment_id:d1']} in items
    assert {'kind': 'metric', 'type': 'gauge', 'name': 'fireworks.latency.overall.p50', 'value': 10.0,
            'tags': ['deployment_id:d1']} in items
    assert {'kind': 'metric', 'type': 'gauge', 'name': 'fireworks.scrape.series', 'value': 3.0, 'tags': []} in items


def _endpoint_conf(tmp_path, **extra):
    import fireworks_payload
    from conftest import Endpoint

    payload = tmp_path / 'p.prom'
    payload.write_text(fireworks_payload.render(2, seed=3))
    endpoint = Endpoint(str(payload), 'fw-SECRET-3b9e1c77d2a4-cli')
    inst = {'account_id': 'cli%d' % len(str(tmp_path)), 'api_key': 'fw-SECRET-3b9e1c77d2a4-cli',
            'openmetrics_endpoint': endpoint.url, 'tls_ca_cert': endpoint.ca_cert, 'tags': ['team:cli']}
    inst.update(extra)
    conf = tmp_path / 'conf.yaml'
    conf.write_text(json.dumps({'init_config': {}, 'instances': [inst]}))  # JSON is YAML
    return endpoint, conf


def test_check_json_prints_every_submission(tmp_path):
    endpoint, conf = _endpoint_conf(tmp_path)
    try:
        r = run_cli('check', '-c', str(conf), '--json', '--times', '2', '--interval', '0.1')
    finally:
        endpoint.stop()
    assert r.returncode == 0, r.stderr
    items = [json.loads(x) for x in r.stdout.decode().splitlines()]
    kinds = {i['kind'] for i in items}
    assert kinds == {'metric', 'histogram_bucket', 'service_check'}
    checks = [i for i in items if i['kind'] == 'service_check']
    assert [c['status'] for c in checks] == [0, 0]
    assert all(c['name'] == 'fireworks.can_connect' and c['message'] == '' for c in checks)
    assert any(i['name'] == 'fireworks.latency.time_to_first_token.p95' for i in items)
    assert all('team:cli' in i['tags'] for i in items)
    assert b'fw-SECRET' not in r.stdout + r.stderr


def test_check_readable_summary_and_failure_exit_code(tmp_path):
    endpoint, conf = _endpoint_conf(tmp_path, api_key='fw-SECRET-3b9e1c77d2a4-wrong')
    try:
        r = run_cli('check', '-c', str(conf))
    finally:
        endpoint.stop()
    assert r.returncode == 1
    out = r.stdout.decode()
    assert 'service check fireworks.can_connect: CRITICAL - HTTP 401 from localhost:' in out
    assert ': check api_key' in r.stderr.decode()
    assert b'fw-SECRET' not in r.stdout + r.stderr


def test_check_reports_configuration_errors(tmp_path):
    conf = tmp_path / 'conf.yaml'
    conf.write_text('instances:\n  - account_id: a\n')
    r = run_cli('check', '-c', str(conf))
    assert r.returncode == 1
    assert r.stderr.decode().strip() == "instance 0: configuration error: option 'api_key' is required"


def test_check_runs_once_by_default_like_datadog_agent_check(tmp_path):
    endpoint, conf = _endpoint_conf(tmp_path)
    try:
        r = run_cli('check', '-c', str(conf), '--json')
    finally:
        endpoint.stop()
    assert r.returncode == 0, r.stderr
    items = [json.loads(x) for x in r.stdout.decode().splitlines()]
    assert [i['name'] for i in items if i['kind'] == 'service_check'] == ['fireworks.can_connect']


def test_check_prints_configuration_warnings_once_with_the_first_run(tmp_path):
    endpoint, conf = _endpoint_conf(tmp_path, bogus_option=1)
    try:
        r = run_cli('check', '-c', str(conf), '--times', '2', '--interval', '0.1')
    finally:
        endpoint.stop()
    assert r.returncode == 0, r.stderr
    assert r.stderr.decode().splitlines() == ["instance 0: warning: unknown option 'bogus_option'"]


def test_check_readable_output_shows_the_fleet_of_each_run(tmp_path):
    import fireworks_payload
    from conftest import ENDPOINT, Endpoint, require_binary

    require_binary(ENDPOINT)
    payload = tmp_path / 'p.prom'
    payload.write_text(fireworks_payload.render(3, seed=5, account='acme'))
    key = 'fw-SECRET-3b9e1c77d2a4-cli'
    endpoint = Endpoint(str(payload), key, extra=['--fleet', 'acme'])
    inst = {'account_id': 'acme', 'api_key': key, 'openmetrics_endpoint': endpoint.url,
            'tls_ca_cert': endpoint.ca_cert, 'collect_inventory': True, 'collect_usage': True,
            'inventory_interval': 10, 'usage_interval': 10, 'api_endpoint': endpoint.origin}
    conf = tmp_path / 'conf.yaml'
    conf.write_text(json.dumps({'init_config': {}, 'instances': [inst]}))
    try:
        r = run_cli('check', '-c', str(conf), '--times', '4', '--interval', '1')
    finally:
        endpoint.stop()
    assert r.returncode == 0, r.stderr
    runs = r.stdout.decode().split('=== instance 0 (acme), run ')[1:]
    assert len(runs) == 4
    for run in runs:
        # Each run says what it has: the inventory, or that it has not arrived.
        assert ('fleet: 3 deployments in the inventory' in run) != (
            'fleet: no deployments inventory in this run' in run), run
    last = runs[-1]
    assert 'fleet: 3 deployments in the inventory' in last, last
    lines = last.splitlines()
    header = next(line for line in lines if line.strip().startswith('deployment '))
    assert header.split() == ['deployment', 'state', 'replicas', 'ready', 'desired', 'min..max', 'accelerators',
                              'fireworks.deployment.ready']
    rows = lines[lines.index(header) + 1:lines.index(header) + 4]
    assert all(row.split()[1] == 'READY' and row.split()[-1] == 'OK' for row in rows), rows
    assert 'usage today fireworks.usage.prompt_tokens' in last or 'usage: no billing usage in this run' in last
    # The fleet's gauges are in the fleet section, not in the table of the scraped series.
    assert not any(line.split()[0].startswith('fireworks.deployment.') for line in lines if line.startswith('  '))
    assert not any(line.startswith('service check fireworks.deployment.ready') for line in lines)
    assert key.encode() not in r.stdout + r.stderr


def _items(outcome):
    """An Outcome as the Recorder keeps what the check submits."""
    items = [{'kind': 'metric', 'type': 'gauge', 'name': n, 'value': v, 'tags': list(t)} for n, v, t in outcome.gauges]
    items += [{'kind': 'service_check', 'name': c.name, 'status': c.status, 'message': c.message,
               'tags': list(c.tags)} for c in outcome.checks]
    items += [{'kind': 'metric', 'type': 'monotonic_count', 'name': c.name, 'value': c.value, 'tags': list(c.tags),
               'flush_first_value': c.flush_first_value} for c in outcome.counts]
    return items


def test_check_readable_output_has_a_line_for_the_account_quotas_spend_and_dollars():
    import io

    from datadog_checks.fireworks import cli, fleet
    from test_capacity import account, by_key, by_model, capacity, costs, quota
    from test_fleet import dep, inventory

    snapshot = capacity(100, account('CREDIT_DEPLETED'), quotas=[
        quota('h100-us-iowa-1', 8, 6.0, 'h100', 'us-iowa-1', max_approved=16, in_use=4)], spend={
        'month_to_date': 812.5, 'limit': 1000, 'unlimited': False, 'utilization': 0.8125,
        'projected_month_end': 1500.0, 'month': '2026-12'})
    snapshot['capacity']['last_good']['quotas_read_at'] = 90.0  # fireworks.quota.age: no quota of its own
    snapshot['costs'] = costs(rated=[by_model('accounts/fireworks/models/kimi-k2', 12.34),
                                     by_key('key-1', 3.2, user='users/alice', currency='EUR')])['costs']
    snapshot['inventory'] = inventory(100, dep('a', estimated_cost_per_hour=112.0, price_source='billing',
                                               estimated_cost_per_million_tokens=31.11))['inventory']
    out = io.StringIO()
    cli._print_readable(_items(fleet.FleetState('acme', ['fireworks_account:acme']).assess(snapshot, 100)), out)
    lines = out.getvalue().splitlines()
    for line in ('service check fireworks.account.status: CRITICAL - account suspended: CREDIT_DEPLETED (credits '
                 'used up; API requests are rejected)',
                 'quota h100-us-iowa-1: usage 6 of 8 (75 %), max approved 16, 4 accelerators in use',
                 'spend this month: 812.50 of 1000.00 (81 %), projected 1500.00 at month end',
                 'dollars today by api_key key-1 (users/alice) = 3.20 EUR',
                 'dollars today by model kimi-k2 = 12.34 USD',
                 'estimated cost of a: 112.00 USD/hour (billing), 31.11 USD per million prompt tokens'):
        assert line in lines, out.getvalue()
    assert [line for line in lines if line.startswith('quota ')] == [
        'quota h100-us-iowa-1: usage 6 of 8 (75 %), max approved 16, 4 accelerators in use']
    # Dollars are not usage, and the fleet's gauges stay out of the table of scraped series.
    assert not any(line.startswith('usage today fireworks.cost.') for line in lines)
    assert not any(line.split()[0].startswith(('fireworks.quota.', 'fireworks.cost.', 'fireworks.spend.'))
                   for line in lines if line.startswith('  '))
    # Asked for and not come yet: said.
    out = io.StringIO()
    cli._print_readable([], out, None, {'collect_capacity': True, 'collect_costs': True})
    assert 'capacity: no account or quotas in this run' in out.getvalue()
    assert 'costs: no rated dollars in this run' in out.getvalue()
