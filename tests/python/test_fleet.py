# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The deployments inventory and the billing usage: what fleet.py decides
(service check states and grace period, events once per change, usage
counts across refreshes and a day boundary, failures logged once), then the
whole check against the local endpoint serving the REST API."""
import os
import time

import pytest

from conftest import ROOT, Endpoint, require_binary
from datadog_checks.fireworks import fleet
from datadog_checks.fireworks.check import FireworksCheck
from conftest import ENDPOINT

CHECK_TAGS = ['fireworks_account:acme', 'env:test']


def dep(id_, state='READY', replicas=2, desired=2, ready=None, **extra):
    d = {'id': id_, 'display_name': id_.upper(), 'state': state, 'status_message': extra.pop('status_message', ''),
         'accelerator_type': 'NVIDIA_H100_80GB', 'region': 'US_IOWA_1', 'base_model': 'accounts/fireworks/models/m1',
         'model_tag': 'm1', 'replicas': replicas, 'desired_replicas': desired, 'min_replicas': 1, 'max_replicas': 4,
         'accelerator_count': 8, 'ready_replicas': replicas if ready is None else ready,
         'pending_scheduling_replicas': 0, 'downloading_model_replicas': 0, 'initializing_replicas': 0,
         'create_time': 1000.0}
    inventory_tags = extra.pop('tags', ['accelerator_type:NVIDIA_H100_80GB', 'deployment_name:' + id_.upper()])
    d.update(extra)
    # As the library writes them: the id, the model tag (when there is one), the inventory's.
    d['tags'] = ['deployment_id:' + id_] + (['model:' + d['model_tag']] if d['model_tag'] else []) + inventory_tags
    return d


def inventory(fetched_at, *deployments, attempt_ok=True, message=''):
    return {'inventory': {
        'attempt': {'status_name': 'FWM_OK' if attempt_ok else 'FWM_ERR_HTTP_SERVER', 'message': message,
                    'at': fetched_at, 'sequence': 1},
        'last_good': {'fetched_at': fetched_at, 'pages': 1, 'skipped': 0, 'problems': {'count': 0, 'first': []},
                      'deployments': list(deployments)}}, 'usage': None}


# -- the service check ---------------------------------------------------------

def test_ready_status_follows_the_state_and_the_grace_period():
    grace = 600
    assert fleet.ready_status(dep('a'), None, 0, grace) == (fleet.OK, '')
    status, message = fleet.ready_status(dep('a', 'FAILED', status_message='no capacity'), None, 0, grace)
    assert status == fleet.CRITICAL and message == 'deployment a FAILED: no capacity'
    assert fleet.ready_status(dep('a', 'CREATING'), None, 0, grace)[0] == fleet.WARNING
    assert fleet.ready_status(dep('a', 'UPDATING'), None, 0, grace)[0] == fleet.WARNING
    assert fleet.ready_status(dep('a', 'DELETING'), None, 0, grace)[0] == fleet.UNKNOWN
    short = dep('a', replicas=1, desired=3, ready=1)
    assert fleet.ready_status(short, 100, 100 + grace - 1, grace)[0] == fleet.OK  # within the grace period
    status, message = fleet.ready_status(short, 100, 100 + grace, grace)
    assert status == fleet.WARNING and message.startswith('1 of 3 replicas of deployment a ready for 10 min')


def test_the_grace_period_starts_when_a_deployment_falls_short_and_ends_when_it_recovers():
    state = fleet.FleetState('acme', CHECK_TAGS, ready_grace_period=600)

    def status_at(now, d):
        (check,) = state.assess(inventory(now, d), now).checks
        return check.status

    assert status_at(0, dep('a', replicas=2, desired=3, ready=2)) == fleet.OK
    assert status_at(599, dep('a', replicas=2, desired=3, ready=2)) == fleet.OK
    assert status_at(600, dep('a', replicas=2, desired=3, ready=2)) == fleet.WARNING
    assert status_at(700, dep('a', replicas=3, desired=3, ready=3)) == fleet.OK  # caught up
    assert status_at(800, dep('a', replicas=3, desired=4, ready=3)) == fleet.OK  # short again: a new grace period
    assert status_at(1399, dep('a', replicas=3, desired=4, ready=3)) == fleet.OK
    assert status_at(1400, dep('a', replicas=3, desired=4, ready=3)) == fleet.WARNING


# -- events ----------------------------------------------------------------------

def test_events_once_per_change_aggregated_per_deployment_with_old_and_new_values():
    state = fleet.FleetState('acme', CHECK_TAGS)
    first = state.assess(inventory(100, dep('a'), dep('b')), 100)
    assert first.events == []  # the first inventory is the baseline
    # The same inventory on the next runs: nothing new.
    assert state.assess(inventory(100, dep('a'), dep('b')), 160).events == []
    out = state.assess(inventory(400, dep('a', replicas=3, desired=3),
                                 dep('b', 'FAILED', replicas=0, status_message='no capacity'), dep('c')), 400)
    by_id = {e['aggregation_key'].rsplit(':', 1)[1]: e for e in out.events}
    assert sorted(by_id) == ['a', 'b', 'c']
    assert by_id['a']['msg_text'] == '- scaled: replicas 2 -> 3\n- scaled: desired replicas 2 -> 3'
    assert by_id['a']['alert_type'] == 'info'
    assert by_id['b']['alert_type'] == 'error'
    assert by_id['b']['msg_text'] == '- failed (was READY): no capacity\n- scaled: replicas 2 -> 0'
    assert by_id['c']['msg_text'].startswith('- created (READY')
    assert by_id['b']['aggregation_key'] == 'fireworks-deployment:acme:b'
    assert 'deployment_id:b' in by_id['b']['tags'] and 'fireworks_account:acme' in by_id['b']['tags']
    assert all(e['source_type_name'] == 'fireworks' and e['event_type'] == 'fireworks.deployment'
               for e in out.events)
    # Not repeated while the inventory stays the same.
    for now in (460, 520, 580):
        assert state.assess(inventory(400, dep('a', replicas=3, desired=3),
                                      dep('b', 'FAILED', replicas=0), dep('c')), now).events == []
    out = state.assess(inventory(700, dep('a', replicas=3, desired=3), dep('b')), 700)
    kinds = {e['aggregation_key'].rsplit(':', 1)[1]: (e['alert_type'], e['msg_text']) for e in out.events}
    assert kinds['b'] == ('success', '- recovered: FAILED -> READY\n- scaled: replicas 0 -> 2')
    assert kinds['c'] == ('warning', '- deleted (was READY)')


# -- usage -----------------------------------------------------------------------

class AgentMonotonicCount:
    """The Agent's MonotonicCount (pkg/metrics/monotonic_count.go), one
    context, line by line."""

    def __init__(self):
        self.previous = self.current = self.value = 0.0
        self.sampled = self.has_previous = self.flush_first = False

    def add(self, value, flush_first_value):
        if not self.sampled:
            self.current, self.sampled = value, True
        else:
            self.previous, self.current, self.has_previous = self.current, value, True
        self.flush_first = flush_first_value
        diff = self.current - self.previous
        if (self.has_previous or self.flush_first) and diff >= 0:
            self.value += diff
        elif self.flush_first:
            self.value = self.current

    def flush(self):
        if not self.sampled or not (self.has_previous or self.flush_first):
            return None
        value = self.value
        self.previous, self.current, self.value = self.current, 0.0, 0.0
        self.has_previous, self.sampled, self.flush_first = True, False, False
        return value


def usage(day, fetched_at, seconds, prompt):
    return {'inventory': None, 'usage': {
        'attempt': {'status_name': 'FWM_OK', 'message': '', 'at': fetched_at, 'sequence': 1},
        'last_good': {'day': day, 'fetched_at': fetched_at, 'rows': 2, 'skipped': 0,
                      'problems': {'count': 0, 'first': []},
                      'accelerator_seconds': [{'deployment_id': 'd1', 'accelerator_type': 'NVIDIA_H100_80GB',
                                               'value': seconds}],
                      'tokens': [{'model': 'accounts/fireworks/models/kimi-k2', 'model_tag': 'kimi-k2', 'prompt': prompt, 'completion': 7}]}}}


def test_usage_totals_count_every_increment_once_across_refreshes_and_a_day_boundary():
    state = fleet.FleetState('acme', CHECK_TAGS)
    agent = {}
    # One run a minute; a refresh every 15 minutes; UTC midnight between runs 5 and 6.
    readings = [('2026-11-27', 1000, 100), ('2026-11-27', 1000, 100), ('2026-11-27', 1600, 130),
                ('2026-11-27', 1600, 130), ('2026-11-27', 2500, 190),
                ('2026-11-28', 300, 20), ('2026-11-28', 300, 20), ('2026-11-28', 900, 50)]
    counted = {}
    for run, (day, seconds, prompt) in enumerate(readings):
        outcome = state.assess(usage(day, run * 60.0, seconds, prompt), run * 60.0)
        if run == 0:
            assert [c.flush_first_value for c in outcome.counts] == [False] * 3  # the first value is a baseline
        elif run == 5:  # the new day: a 0, then the total, for each series
            assert [(c.value, c.flush_first_value) for c in outcome.counts] == [
                (0, True), (300, True), (0, True), (20, True), (0, True), (7, True)]
        else:
            assert [c.flush_first_value for c in outcome.counts] == [True] * 3
        for c in outcome.counts:  # one run's samples, then the Agent's flush
            agent.setdefault((c.name, tuple(c.tags)), AgentMonotonicCount()).add(c.value, c.flush_first_value)
        for (name, _), ctx in agent.items():
            flushed = ctx.flush()
            if flushed is not None:
                counted[name] = counted.get(name, 0) + flushed
    # Usage seen after the first reading: 2500 - 1000 on the first day, 900 on the second.
    assert counted['fireworks.usage.accelerator_seconds'] == (2500 - 1000) + 900
    assert counted['fireworks.usage.prompt_tokens'] == (190 - 100) + 50
    # The same total on both days (7): without the 0 the Agent would see no change.
    assert counted['fireworks.usage.completion_tokens'] == 7
    tags = {c.name: c.tags for c in outcome.counts}
    assert tags['fireworks.usage.prompt_tokens'][:2] == ['model:kimi-k2', 'base_model:accounts/fireworks/models/kimi-k2']
    assert 'accelerator_type:NVIDIA_H100_80GB' in tags['fireworks.usage.accelerator_seconds']


def agent_counts(state, snapshots):
    """Runs the snapshots through FleetState and the Agent's MonotonicCount,
    a flush per run: {metric: total counted}."""
    agent, counted = {}, {}
    for run, snapshot in enumerate(snapshots):
        for c in state.assess(snapshot, run * 60.0).counts:
            agent.setdefault((c.name, tuple(c.tags)), AgentMonotonicCount()).add(c.value, c.flush_first_value)
        for (name, _), ctx in agent.items():
            flushed = ctx.flush()
            if flushed is not None:
                counted[name] = counted.get(name, 0) + flushed
    return counted


def test_a_total_that_goes_down_within_a_day_is_not_counted_twice():
    # A row skipped once, or doubles summed in another order: the total dips.
    readings = [1000, 1000, 2000.0000000001, 2000.0, 1500, 2600]
    counted = agent_counts(fleet.FleetState('acme', CHECK_TAGS),
                           [usage('2026-11-28', 0, v, 100) for v in readings])
    assert counted['fireworks.usage.accelerator_seconds'] == pytest.approx(1600.0000000001)


def test_a_series_that_appears_after_the_first_reading_counts_from_zero():
    state = fleet.FleetState('acme', CHECK_TAGS)
    first = usage('2026-11-28', 0, 1000, 100)
    later = usage('2026-11-28', 60, 1000, 100)
    later['usage']['last_good']['accelerator_seconds'].append(
        {'deployment_id': 'd2', 'accelerator_type': 'NVIDIA_A100_80GB', 'value': 500})
    counted = agent_counts(state, [first, later, later])
    assert counted['fireworks.usage.accelerator_seconds'] == 500  # d1 is a baseline; d2 is new usage


def test_the_last_hours_of_a_day_are_counted_from_its_final_totals():
    day1 = [usage('2026-11-27', 0, 1000, 10), usage('2026-11-27', 0, 1500, 10)]
    day2 = usage('2026-11-28', 0, 200, 5)
    day2['usage']['last_good']['day_before'] = usage('2026-11-27', 0, 1800, 12)['usage']['last_good']
    state = fleet.FleetState('acme', CHECK_TAGS)
    counted = agent_counts(state, day1 + [day2, day2, day2])
    # 500 on the first day after the baseline, 300 after its last reading, 200 on the second day.
    assert counted['fireworks.usage.accelerator_seconds'] == 1000
    assert counted['fireworks.usage.prompt_tokens'] == 2 + 5
    # Without the day before's totals the new day still counts from 0.
    counted = agent_counts(fleet.FleetState('acme', CHECK_TAGS), day1 + [usage('2026-11-28', 0, 200, 5)] * 2)
    assert counted['fireworks.usage.accelerator_seconds'] == 700


def test_non_numbers_in_the_usage_are_skipped():
    state = fleet.FleetState('acme', CHECK_TAGS)
    bad = usage('2026-11-28', 0, 'x', 100)
    bad['usage']['last_good']['tokens'][0]['completion'] = True
    names = [c.name for c in state.assess(bad, 0).counts]
    assert names == ['fireworks.usage.prompt_tokens']


def test_token_counts_past_two_to_the_53_reach_the_count_as_integers():
    state = fleet.FleetState('acme', CHECK_TAGS)
    big = 2 ** 60 + 1
    (seconds, prompt, completion) = state.assess(usage('2026-11-28', 0, 1, big), 0).counts
    assert completion.value == 7
    assert prompt.value == big and isinstance(prompt.value, int)


# -- failures ----------------------------------------------------------------------

def test_a_failing_refresh_is_logged_once_and_its_recovery_once():
    state = fleet.FleetState('acme', CHECK_TAGS)
    good = inventory(100, dep('a'))
    assert state.assess(good, 100).logs == []
    failing = inventory(100, dep('a'), attempt_ok=False, message='listing deployments: HTTP 503 from x')
    failing['inventory']['attempt']['at'] = 160
    logs = state.assess(failing, 160).logs
    assert logs == [('warning', 'refreshing the deployments inventory failed: listing deployments: HTTP 503 from x '
                                '(FWM_ERR_HTTP_SERVER); keeping the one fetched 60 s ago')]
    assert state.assess(failing, 220).logs == []
    outcome = state.assess(inventory(280, dep('a')), 280)
    assert outcome.logs == [('info', 'the deployments inventory refreshes again')]
    # The last good inventory still gives the metrics and the service check while it fails.
    assert [c.status for c in state.assess(failing, 300).checks] == [fleet.OK]


def test_a_listing_that_was_cut_creates_and_deletes_nothing():
    state = fleet.FleetState('acme', CHECK_TAGS)
    state.assess(inventory(100, dep('a'), dep('b'), dep('c')), 100)
    cut = inventory(200, dep('a', replicas=3))
    cut['inventory']['last_good']['complete'] = False
    out = state.assess(cut, 200)
    assert [e['msg_text'] for e in out.events] == ['- scaled: replicas 2 -> 3']
    # The next full listing: b and c were there all along.
    assert state.assess(inventory(300, dep('a', replicas=3), dep('b'), dep('c')), 300).events == []


def test_a_cut_first_listing_is_no_baseline_for_creations_and_a_new_deployment_in_a_cut_one_is_created():
    state = fleet.FleetState('acme', CHECK_TAGS)
    cut = inventory(100, dep('a'))
    cut['inventory']['last_good']['complete'] = False
    state.assess(cut, 100)
    assert state.assess(inventory(200, dep('a'), dep('b'), dep('c')), 200).events == []  # b, c were there
    cut = inventory(300, dep('a'), dep('n'))
    cut['inventory']['last_good']['complete'] = False
    (created,) = state.assess(cut, 300).events
    assert created['aggregation_key'].endswith(':n') and created['msg_text'].startswith('- created')
    assert state.assess(inventory(400, dep('a'), dep('b'), dep('c'), dep('n')), 400).events == []


def test_a_deployment_missing_from_a_cut_listing_keeps_its_grace_period():
    state = fleet.FleetState('acme', CHECK_TAGS, ready_grace_period=600)
    short = dep('a', replicas=2, desired=3, ready=2)
    state.assess(inventory(0, short, dep('b')), 0)
    cut = inventory(300, dep('b'))
    cut['inventory']['last_good']['complete'] = False
    state.assess(cut, 300)
    checks = state.assess(inventory(600, short, dep('b')), 600).checks
    assert [c.status for c in checks if 'deployment_id:a' in c.tags] == [fleet.WARNING]


def test_problems_are_logged_when_they_change_not_at_every_refresh():
    state = fleet.FleetState('acme', CHECK_TAGS)
    logs = []
    for at in (100, 200, 300):
        snapshot = inventory(at, dep('a'))
        snapshot['inventory']['last_good']['problems'] = {'count': 1, 'first': ['more than 5000 deployments']}
        logs += state.assess(snapshot, at).logs
    assert len(logs) == 1 and 'more than 5000 deployments' in logs[0][1]
    u = usage('2026-11-28', 0, 1, 1)
    u['usage']['last_good']['problems'] = {'count': 1, 'first': ['the final totals of 2026-11-27 could not be read']}
    assert [text for _, text in state.assess(u, 400).logs] == [
        'the billing usage had 1 unusable field(s), entries or reads; first: the final totals of 2026-11-27 could '
        'not be read']


def test_usage_of_series_that_come_and_go_around_midnight():
    state = fleet.FleetState('acme', CHECK_TAGS)
    d1 = usage('2026-11-27', 0, 1000, 10)
    with_b = usage('2026-11-27', 0, 1000, 10)
    with_b['usage']['last_good']['accelerator_seconds'].append(
        {'deployment_id': 'b', 'accelerator_type': 'A', 'value': 500})
    d2 = usage('2026-11-28', 0, 100, 1)  # b was deleted at 23:45: absent today
    final = usage('2026-11-27', 0, 1000, 10)['usage']['last_good']
    final['accelerator_seconds'].append({'deployment_id': 'b', 'accelerator_type': 'A', 'value': 600})
    final['accelerator_seconds'].append({'deployment_id': 'c', 'accelerator_type': 'A', 'value': 60})  # 23:50
    d2['usage']['last_good']['day_before'] = final
    counted = agent_counts(state, [d1, with_b, d2, d2, d2])
    # b: 500 new + 100 in its last hours; c: 60 seen only in the final totals; d1: 100 on the new day.
    assert counted['fireworks.usage.accelerator_seconds'] == 500 + 100 + 60 + 100


def test_a_deleted_deployment_gets_a_last_ok_so_its_monitor_resolves():
    state = fleet.FleetState('acme', CHECK_TAGS)
    state.assess(inventory(100, dep('a'), dep('b', 'FAILED', status_message='x')), 100)
    out = state.assess(inventory(200, dep('a')), 200)
    resolved = [c for c in out.checks if 'deployment_id:b' in c.tags]
    assert [(c.status, c.message) for c in resolved] == [(fleet.OK, '')]  # the Agent wants no message on OK
    assert [e['msg_text'] for e in out.events] == ['- deleted (was FAILED)']
    assert state.assess(inventory(200, dep('a')), 260).checks == [fleet.Check(fleet.OK, fleet.deployment_tags(
        dep('a'), CHECK_TAGS), '')]


def test_unknown_ready_replicas_never_warn():
    state = fleet.FleetState('acme', CHECK_TAGS, ready_grace_period=600)
    d = dep('a', replicas=2, desired=2)
    d['ready_replicas'] = None
    for now in (0, 700, 1400):
        (check,) = state.assess(inventory(now, d), now).checks
        assert check.status == fleet.OK


def test_a_fault_whose_message_changes_is_still_logged_once():
    state = fleet.FleetState('acme', CHECK_TAGS)
    logs = []
    for at, message in ((100, 'HTTP 429 from x: rate limited; not asking again for 120 s (Retry-After)'),
                        (160, 'rate limited by x (HTTP 429): not asking again for 60 s'),
                        (220, 'rate limited by x (HTTP 429): not asking again for 1 s')):
        snapshot = inventory(50, dep('a'), attempt_ok=False, message=message)
        snapshot['inventory']['attempt'].update(at=at, status_name='FWM_ERR_RATE_LIMITED')
        logs += state.assess(snapshot, at).logs
    assert len([level for level, _ in logs if level == 'warning']) == 1


def test_deployment_tags_are_the_librarys_then_the_checks():
    # Which tag wins is the library's rule (tests/cpp: fleet report); the
    # shim adds the check's tags and drops what is not a string.
    d = dict(dep('a'), tags=['deployment_id:a', 'region:US_IOWA_1', 7, None])
    assert fleet.deployment_tags(d, ['fireworks_account:acme', 'region:mine']) == [
        'deployment_id:a', 'region:US_IOWA_1', 'fireworks_account:acme', 'region:mine']
    assert fleet.deployment_tags(dict(d, tags=None), ['x:y']) == ['x:y']


def test_inventory_gauges_and_their_tags():
    d = dep('a', replicas=3, accelerator_count=4, base_model='accounts/fireworks/models/llama-v3',
            model_tag='llama-v3')
    points = {p.name: p for p in fleet.inventory_gauges(d, fleet.deployment_tags(d, CHECK_TAGS), 1000 + 3600)}
    assert points['fireworks.deployment.accelerators'].value == 12
    assert points['fireworks.deployment.age'].value == 3600
    assert points['fireworks.deployment.replicas.ready'].value == 3
    assert 'state:READY' in points['fireworks.deployment.state'].tags
    assert points['fireworks.deployment.replicas'].tags[:3] == ['deployment_id:a', 'model:llama-v3',
                                                                'accelerator_type:NVIDIA_H100_80GB']
    unknown = dep('b', replicas=None, create_time=None)
    names = {p.name for p in fleet.inventory_gauges(unknown, [], 0)}
    assert 'fireworks.deployment.replicas' not in names and 'fireworks.deployment.accelerators' not in names
    assert 'fireworks.deployment.age' not in names


def test_garbage_in_the_fleet_member_never_raises():
    state = fleet.FleetState('acme', CHECK_TAGS)
    for junk in (None, 3, 'x', [], {'inventory': 'x', 'usage': 5}, {'inventory': {'attempt': 'x', 'last_good': 4}},
                 {'inventory': {'last_good': {'deployments': [None, 1, {'id': ''}, {}]}}}):
        outcome = state.assess(junk, 0)
        assert outcome.events == [] and outcome.checks == []


# -- the whole check against the local endpoint ---------------------------------

@pytest.fixture
def fleet_endpoint(tmp_path):
    require_binary(ENDPOINT)
    payload = tmp_path / 'metrics.prom'
    import subprocess
    import sys
    sys.path.insert(0, os.path.join(ROOT, 'tests', 'tools'))
    import fireworks_payload

    payload.write_text(fireworks_payload.render(3, seed=5, account='acme'))
    ep = Endpoint(str(payload), 'fw-SECRET-3b9e1c77d2a4-fleet', extra=['--fleet', 'acme', '--page-size', '2'])
    yield ep
    ep.stop()
    del subprocess


def fleet_instance(ep, **extra):
    instance = {'account_id': 'acme', 'api_key': 'fw-SECRET-3b9e1c77d2a4-fleet', 'openmetrics_endpoint': ep.url,
                'tls_ca_cert': ep.ca_cert, 'min_collection_interval': 10, 'empty_default_hostname': True,
                'collect_inventory': True, 'collect_usage': True, 'inventory_interval': 10, 'usage_interval': 10,
                'api_endpoint': ep.origin, 'annotation_tags': {'team': 'team'}}
    instance.update(extra)
    return instance


def run_until(check, aggregator, predicate, seconds=30):
    deadline = time.monotonic() + seconds
    while True:
        aggregator.reset()
        check.check(None)
        if predicate():
            return
        assert time.monotonic() < deadline, 'not within {} s'.format(seconds)
        time.sleep(0.5)


@pytest.mark.slow  # five listings, 10 s apart
def test_the_check_joins_inventory_tags_and_reports_the_fleet(fleet_endpoint, aggregator):
    check = FireworksCheck('fireworks', {}, [fleet_instance(fleet_endpoint)])
    try:
        # The inventory and the usage are refreshed one after the other, beside the scrapes.
        run_until(check, aggregator, lambda: aggregator.service_checks('fireworks.deployment.ready') and
                  aggregator.metrics('fireworks.usage.prompt_tokens'))
        rates = aggregator.metrics('fireworks.requests.rate')
        assert rates
        for m in rates:  # every metric of every deployment carries its accelerator and name
            assert any(t.startswith('accelerator_type:') for t in m.tags), m.tags
            assert any(t.startswith('deployment_name:Deployment ') for t in m.tags), m.tags
            assert any(t.startswith('team:') for t in m.tags), m.tags
            assert any(t.startswith('fireworks_annotation_cost-center:') for t in m.tags), m.tags
        checks = aggregator.service_checks('fireworks.deployment.ready')
        assert len(checks) == 3 and all(c.status == fleet.OK for c in checks)
        assert aggregator.metrics('fireworks.deployment.accelerators')
        counts = aggregator.metrics('fireworks.usage.prompt_tokens')
        assert counts and all(m.type == 3 and m.flush_first_value is False for m in counts)  # monotonic_count
        # The third listing: the canary appears and the second deployment fails.
        run_until(check, aggregator, lambda: any(e['msg_title'].startswith('Fireworks deployment canary: created')
                                                 for e in aggregator.events), seconds=45)
        titles = sorted(e['msg_title'] for e in aggregator.events)
        assert any(': failed (was READY)' in t for t in titles), titles
        failed = [c for c in aggregator.service_checks('fireworks.deployment.ready') if c.status == fleet.CRITICAL]
        assert len(failed) == 1 and 'capacity' in failed[0].message
        assert all(m.flush_first_value for m in aggregator.metrics('fireworks.usage.prompt_tokens'))
        # Until the next listing, no event repeats.
        aggregator.reset()
        check.check(None)
        assert aggregator.events == []
        # The fourth listing: the second deployment recovers; the fifth: the canary goes.
        run_until(check, aggregator, lambda: any(e['msg_title'].startswith('Fireworks deployment canary: deleted')
                                                 for e in aggregator.events), seconds=45)
        (gone,) = [c for c in aggregator.service_checks('fireworks.deployment.ready') if 'deployment_id:canary' in c.tags]
        assert gone.status == fleet.OK and not gone.message
        # Every inventory and usage metric in metadata.csv came, with its type (the
        # estimated costs need prices: accelerator_prices or collect_costs).
        import csv
        with open(os.path.join(ROOT, 'python_shim', 'metadata.csv')) as f:
            listed = {r['metric_name']: r for r in csv.DictReader(f)
                      if r['metric_name'].startswith(('fireworks.deployment.', 'fireworks.inventory.',
                                                      'fireworks.usage.'))
                      and not r['metric_name'].startswith('fireworks.deployment.estimated_cost')}
        assert len(listed) == 18
        for name, row in listed.items():
            submitted = aggregator.metrics(name)
            assert submitted, name
            kinds = {m.type for m in submitted}
            assert kinds == ({aggregator.MONOTONIC_COUNT} if row['metric_type'] == 'count' else {aggregator.GAUGE}), name
        fleet_names = {n for n in aggregator.metric_names if n.startswith(('fireworks.deployment.', 'fireworks.inventory.',
                                                                          'fireworks.usage.'))}
        assert fleet_names == set(listed)
    finally:
        check.cancel()


def test_an_unreachable_api_leaves_the_metrics_and_says_so_once(fleet_endpoint, aggregator, caplog):
    import socket

    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        closed = s.getsockname()[1]  # nothing listens once the socket closes
    check = FireworksCheck('fireworks', {}, [fleet_instance(
        fleet_endpoint, api_endpoint='https://127.0.0.1:{}'.format(closed))])
    try:
        caplog.set_level('WARNING')
        for _ in range(6):
            aggregator.reset()
            check.check(None)
            time.sleep(0.2)
        (can_connect,) = aggregator.service_checks('fireworks.can_connect')
        assert can_connect.status == fleet.OK
        assert aggregator.metrics('fireworks.requests.rate')
        assert aggregator.service_checks('fireworks.deployment.ready') == []
        warnings = [r.getMessage() for r in caplog.records if 'deployments inventory failed' in r.getMessage()]
        assert len(warnings) == 1 and 'connection refused' in warnings[0].lower(), warnings
        assert all('fw-SECRET' not in r.getMessage() for r in caplog.records)
    finally:
        check.cancel()


def test_an_http_api_endpoint_is_warned_about():
    from datadog_checks.fireworks.config import insecure_settings

    base = {'account_id': 'a', 'api_key': 'k', 'api_endpoint': 'http://proxy.internal:8080'}
    assert insecure_settings(dict(base, collect_inventory=True)) == [
        'api_endpoint uses http://: the API key and the deployments inventory travel unencrypted']
    assert insecure_settings(base) == []  # not used


def test_the_cost_tags_take_the_librarys_model_tag_and_none_when_it_derives_none():
    # The library derives the model tag (util/model_tag): a base model ending
    # in '/' gives none, on the cost rows as on the metrics.
    tags = fleet.cost_tags({'by': 'model', 'model': 'accounts/fireworks/models/', 'model_tag': ''})
    assert tags == ['cost_by:model', 'base_model:accounts/fireworks/models/']
