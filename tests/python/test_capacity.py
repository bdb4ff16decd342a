# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The account, its quotas and spend, and the costs: what fleet.py decides
from the summary's "capacity" and "costs" members (the account service
check through each suspend state and back, events only on change, quota and
spend gauges, cost counts across refreshes and midnight with usage's
semantics, scaled-to-zero deployments, the termination message, what is
logged once), then the whole check against the local endpoint."""
import pytest

from conftest import ENDPOINT, Endpoint, require_binary
from datadog_checks.fireworks import fleet
from datadog_checks.fireworks.check import FireworksCheck
from test_fleet import AgentMonotonicCount, dep, inventory

CHECK_TAGS = ['fireworks_account:acme', 'env:test']


def account(suspend='UNSUSPENDED', state='READY', code='OK', message=''):
    # 'suspended' as the library writes it (lib/src/fleet/capacity.cpp, suspended()).
    return {'state': state, 'suspend_state': suspend, 'status_code': code, 'status_message': message,
            'display_name': 'Acme', 'account_type': '',
            'suspended': suspend not in ('', 'UNSUSPENDED', 'SUSPEND_STATE_UNSPECIFIED')}


def capacity(fetched_at=100.0, acct=None, quotas=(), spend=None, attempt_ok=True, message='', envelope=None,
             account_error='', problems=None):
    return {'inventory': None, 'usage': None, 'costs': None, 'capacity': {
        'attempt': {'status_name': 'FWM_OK' if attempt_ok else 'FWM_ERR_HTTP_SERVER', 'message': message,
                    'at': fetched_at, 'sequence': 1},
        'last_good': {'fetched_at': fetched_at, 'account': account() if acct is None else acct,
                      'account_error': account_error, 'quotas': list(quotas), 'spend': spend, 'complete': True,
                      'problems': problems or {'count': 0, 'first': []}},
        'envelope': envelope or {'slowed': False, 'reason': ''}}}


def by_model(model, amount, currency='USD'):
    return {'by': 'model', 'model': model, 'model_tag': model.rsplit('/', 1)[-1], 'api_key_id': '', 'user': '',
            'currency': currency, 'amount': amount}


def by_key(key, amount, user='', currency='USD'):
    return {'by': 'api_key', 'model': '', 'model_tag': '', 'api_key_id': key, 'user': user, 'currency': currency, 'amount': amount}


def costs(day='2026-12-07', fetched_at=100.0, rated=(), day_before=None, billed=(), evaluation_time=None,
          completeness='COMPLETE', scope='ACCOUNT', fallback=False, billing_error='', attempt_ok=True):
    return {'inventory': None, 'usage': None, 'capacity': None, 'costs': {
        'attempt': {'status_name': 'FWM_OK' if attempt_ok else 'FWM_ERR_HTTP_AUTH', 'message': 'HTTP 401 from x',
                    'at': fetched_at, 'sequence': 1},
        'last_good': {'fetched_at': fetched_at, 'scope': scope, 'scope_fallback': fallback, 'day': day,
                      'evaluation_time': evaluation_time, 'attribution_completeness': completeness,
                      'rated': list(rated), 'subtotal': None, 'day_before': day_before, 'billed': list(billed),
                      'billed_from': '2026-12-01', 'billed_to': '2026-12-08', 'billing_error': billing_error,
                      'problems': {'count': 0, 'first': []}}}}


def status_checks(outcome):
    return [c for c in outcome.checks if c.name == fleet.ACCOUNT_CHECK]


def gauges(outcome, name):
    return {tuple(p.tags): p.value for p in outcome.gauges if p.name == name}


# -- fireworks.account.status ----------------------------------------------------

@pytest.mark.parametrize('suspend, message', [
    ('CREDIT_DEPLETED', 'account suspended: CREDIT_DEPLETED (credits used up; API requests are rejected)'),
    ('FAILED_PAYMENTS', 'account suspended: FAILED_PAYMENTS (payments failed; API requests are rejected)'),
    ('MONTHLY_SPEND_LIMIT_EXCEEDED',
     'account suspended: MONTHLY_SPEND_LIMIT_EXCEEDED (the monthly spend limit is reached; API requests are paused)'),
    ('BLOCKED_BY_ABUSE_RULE',
     'account suspended: BLOCKED_BY_ABUSE_RULE (blocked by an abuse rule; API requests are rejected)'),
    ('SUSPENDED_FOR_REVIEW', 'account suspended: SUSPENDED_FOR_REVIEW'),  # unknown: named as it comes
])
def test_each_suspend_state_is_critical_with_its_words_and_back_is_ok(suspend, message):
    state = fleet.FleetState('acme', CHECK_TAGS)
    first = state.assess(capacity(100, account()), 100)
    assert [(c.status, c.message, c.tags) for c in status_checks(first)] == [(fleet.OK, '', CHECK_TAGS)]
    assert first.events == []
    out = state.assess(capacity(400, account(suspend)), 400)
    assert [(c.status, c.message) for c in status_checks(out)] == [(fleet.CRITICAL, message)]
    (e,) = out.events
    assert e['event_type'] == 'fireworks.account' and e['alert_type'] == 'error'
    assert e['msg_title'] == 'Fireworks account acme suspended: ' + suspend
    assert message in e['msg_text'] and e['aggregation_key'] == 'fireworks-account:acme'
    assert e['tags'] == CHECK_TAGS
    # Still suspended: the check stays CRITICAL, no second event.
    for now in (460, 700):
        again = state.assess(capacity(now, account(suspend)), now)
        assert [c.status for c in status_checks(again)] == [fleet.CRITICAL] and again.events == []
    back = state.assess(capacity(1000, account()), 1000)
    assert [(c.status, c.message) for c in status_checks(back)] == [(fleet.OK, '')]
    (e,) = back.events
    assert (e['alert_type'], e['msg_title']) == ('success', 'Fireworks account acme reactivated (was {})'.format(
        suspend))
    assert state.assess(capacity(1300, account()), 1300).events == []


def test_an_account_suspended_at_first_sight_is_critical_without_an_event():
    state = fleet.FleetState('acme', CHECK_TAGS)
    out = state.assess(capacity(100, account('CREDIT_DEPLETED')), 100)
    assert [c.status for c in status_checks(out)] == [fleet.CRITICAL] and out.events == []
    # From one suspension to another: an event naming both.
    (e,) = state.assess(capacity(200, account('FAILED_PAYMENTS')), 200).events
    assert e['msg_title'] == 'Fireworks account acme suspended: FAILED_PAYMENTS (was CREDIT_DEPLETED)'


@pytest.mark.parametrize('acct, status, message', [
    (account(state='UPDATING'), fleet.WARNING, 'account is UPDATING'),
    (account(state='CREATING', message='provisioning'), fleet.WARNING, 'account is CREATING: provisioning'),
    (account(code='FAILED_PRECONDITION', message='payment method missing'), fleet.WARNING,
     'account status FAILED_PRECONDITION: payment method missing'),
    (account(suspend='SUSPEND_STATE_UNSPECIFIED', state='STATE_UNSPECIFIED', code=''), fleet.OK, ''),
    (account(suspend='', state='', code=''), fleet.OK, ''),
    # A suspension outranks the state.
    (account(suspend='CREDIT_DEPLETED', state='UPDATING'), fleet.CRITICAL,
     'account suspended: CREDIT_DEPLETED (credits used up; API requests are rejected)'),
])
def test_the_account_status_follows_state_and_status_code(acct, status, message):
    assert fleet.account_status(acct) == (status, message)


def test_a_state_change_is_an_event_and_unspecified_reads_as_ready():
    state = fleet.FleetState('acme', CHECK_TAGS)
    state.assess(capacity(100, account(state='STATE_UNSPECIFIED', suspend='')), 100)
    assert state.assess(capacity(200, account()), 200).events == []  # unspecified -> READY: no change
    (e,) = state.assess(capacity(300, account(state='UPDATING')), 300).events
    assert (e['alert_type'], e['msg_title']) == ('warning', 'Fireworks account acme state READY -> UPDATING')
    (e,) = state.assess(capacity(400, account()), 400).events
    assert e['alert_type'] == 'success'


def test_an_account_that_could_not_be_read_sends_no_check_and_says_why_once():
    state = fleet.FleetState('acme', CHECK_TAGS)
    state.assess(capacity(100, account()), 100)
    unread = capacity(200, account_error='HTTP 403 from https://api.fireworks.ai/v1/accounts/acme')
    unread['capacity']['last_good']['account'] = None
    out = state.assess(unread, 200)
    assert status_checks(out) == []
    assert out.logs == [('warning', 'reading the account failed: HTTP 403 from https://api.fireworks.ai/v1/accounts/'
                                    'acme; fireworks.account.status is not sent')]
    assert state.assess(unread, 260).logs == []
    # The account read again: no event from the gap, one line that it is back.
    out = state.assess(capacity(300, account()), 300)
    assert out.events == [] and out.logs == [('info', 'the account is read again')]


# -- quotas and spend ------------------------------------------------------------

def quota(id_, limit, usage, accelerator='', region='', max_approved=None, unlimited=False, in_use=None):
    return {'id': id_, 'limit': limit, 'max_approved': max_approved, 'usage': usage, 'unlimited': unlimited,
            'accelerator': accelerator, 'region': region, 'accelerators_in_use': in_use}


def test_quota_gauges_are_tagged_by_quota_accelerator_and_region():
    quotas = [quota('h100-us-iowa-1', 8, 6.0, 'h100', 'us-iowa-1', max_approved=16, in_use=4),
              quota('serverless-inference-rpm', 6000, 10.0),
              quota('h100-us-iowa-1', 99, 99.0, 'h100', 'us-iowa-1')]  # a repeated id counts once
    out = fleet.FleetState('acme', CHECK_TAGS).assess(capacity(100, quotas=quotas), 100)
    gpu = ('quota:h100-us-iowa-1', 'quota_accelerator:h100', 'quota_region:us-iowa-1') + tuple(CHECK_TAGS)
    rpm = ('quota:serverless-inference-rpm',) + tuple(CHECK_TAGS)  # an id not <accelerator>-<region>: untagged
    assert gauges(out, 'fireworks.quota.limit') == {gpu: 8, rpm: 6000}
    assert gauges(out, 'fireworks.quota.max_approved') == {gpu: 16}
    assert gauges(out, 'fireworks.quota.usage') == {gpu: 6.0, rpm: 10.0}
    assert gauges(out, 'fireworks.quota.utilization') == {gpu: 0.75, rpm: pytest.approx(10 / 6000.0)}
    assert gauges(out, 'fireworks.quota.accelerators_in_use') == {gpu: 4}


def test_only_the_instance_that_sends_the_accounts_data_sends_it():
    summary = capacity(100, quotas=[quota('h100-us-iowa-1', 8, 6.0, 'h100', 'us-iowa-1')])
    summary['costs'] = costs(rated=[by_model('m', 1.0)])['costs']
    summary['account_data'] = False
    out = fleet.FleetState('acme', CHECK_TAGS).assess(summary, 100)
    assert (out.gauges, out.checks, out.events, out.counts, out.logs) == ([], [], [], [], [])
    summary['account_data'] = True
    out = fleet.FleetState('acme', CHECK_TAGS).assess(summary, 100)
    assert gauges(out, 'fireworks.quota.usage') and gauges(out, 'fireworks.cost.rated_today')
    assert [c.name for c in out.checks] == [fleet.ACCOUNT_CHECK]


def test_the_quotas_age_says_how_old_a_held_or_kept_listing_is():
    state = fleet.FleetState('acme', CHECK_TAGS)
    summary = capacity(100)
    summary['capacity']['last_good']['quotas_read_at'] = 40.0
    assert gauges(state.assess(summary, 100), 'fireworks.quota.age') == {tuple(CHECK_TAGS): 60.0}
    summary['capacity']['last_good']['quotas_read_at'] = None  # never listed: no age
    assert gauges(state.assess(summary, 160), 'fireworks.quota.age') == {}


def test_utilization_is_left_out_for_unlimited_zero_and_missing_limits():
    quotas = [quota('monthly-spend-usd', 9999999, 10.0, unlimited=True), quota('b200-us-texas-1', 0, 0.0, 'b200',
                                                                                'us-texas-1'),
              quota('training-h100-count', None, 3.0), quota('a100-eu-1', 4, None, 'a100', 'eu-1')]
    out = fleet.FleetState('acme', CHECK_TAGS).assess(capacity(100, quotas=quotas), 100)
    assert gauges(out, 'fireworks.quota.utilization') == {}
    limits = {tags[0]: v for tags, v in gauges(out, 'fireworks.quota.limit').items()}
    assert limits == {'quota:b200-us-texas-1': 0, 'quota:a100-eu-1': 4}  # a sentinel is no limit
    assert sorted(tags[0] for tags in gauges(out, 'fireworks.quota.usage')) == [
        'quota:b200-us-texas-1', 'quota:monthly-spend-usd', 'quota:training-h100-count']


def test_spend_gauges_each_when_known():
    spend = {'month_to_date': 812.5, 'limit': 1000, 'unlimited': False, 'utilization': 0.8125,
             'projected_month_end': 1500.0, 'month': '2026-12'}
    out = fleet.FleetState('acme', CHECK_TAGS).assess(capacity(100, spend=spend), 100)
    assert {p.name: (p.value, p.tags) for p in out.gauges if p.name.startswith('fireworks.spend.')} == {
        'fireworks.spend.month_to_date': (812.5, CHECK_TAGS), 'fireworks.spend.limit': (1000, CHECK_TAGS),
        'fireworks.spend.utilization': (0.8125, CHECK_TAGS),
        'fireworks.spend.projected_month_end': (1500.0, CHECK_TAGS)}
    # The first 24 h of a month have no projection; an unlimited account no limit.
    early = dict(spend, projected_month_end=None, unlimited=True, limit=9999999, utilization=None)
    out = fleet.FleetState('acme', CHECK_TAGS).assess(capacity(100, spend=early), 100)
    assert [p.name for p in out.gauges if p.name.startswith('fireworks.spend.')] == ['fireworks.spend.month_to_date']


# -- costs -------------------------------------------------------------------------

def run_counts(state, snapshots, agent=None):
    """Runs the snapshots through FleetState and the Agent's MonotonicCount,
    a flush per run: ({metric: total counted}, outcomes)."""
    agent = {} if agent is None else agent
    counted, outcomes = {}, []
    for run, snapshot in enumerate(snapshots):
        outcome = state.assess(snapshot, run * 60.0)
        outcomes.append(outcome)
        for c in outcome.counts:
            agent.setdefault((c.name, tuple(c.tags)), AgentMonotonicCount()).add(c.value, c.flush_first_value)
        for (name, tags), ctx in agent.items():
            flushed = ctx.flush()
            if flushed is not None:
                key = (name, next((t for t in tags if t.startswith(('model:', 'api_key_id:'))), ''))
                counted[key] = counted.get(key, 0) + flushed
    return counted, outcomes


def test_cost_counts_across_refreshes_and_midnight_count_every_dollar_once():
    state = fleet.FleetState('acme', CHECK_TAGS)
    m = 'accounts/fireworks/models/llama-v3p1-8b-instruct'
    day1 = [costs('2026-12-06', rated=[by_model(m, a), by_key('key-1', k)])
            for a, k in ((10.0, 1.0), (10.0, 1.0), (12.5, 1.5), (12.25, 1.5), (14.0, 2.0))]
    final = {'day': '2026-12-06', 'rated': [by_model(m, 15.0), by_key('key-1', 2.0)], 'subtotal': None}
    day2 = costs('2026-12-07', rated=[by_model(m, 0.5), by_key('key-1', 2.0)], day_before=final)
    later = costs('2026-12-07', rated=[by_model(m, 0.75), by_key('key-1', 2.5)])
    counted, outcomes = run_counts(state, day1 + [day2, day2, later])
    # After the baseline: 4 more on the first day (a dip is not counted twice), 1 in its last
    # hours, 0.75 on the second; by key 1 + 0 + 2.5 (the same total on both days still counts).
    assert counted[('fireworks.cost.rated', 'model:llama-v3p1-8b-instruct')] == pytest.approx(4 + 1 + 0.75)
    assert counted[('fireworks.cost.rated', 'api_key_id:key-1')] == pytest.approx(1 + 0 + 2.5)
    assert [c.flush_first_value for c in outcomes[0].counts] == [False, False]  # the first reading is a baseline


def test_costs_and_usage_count_apart():
    # Usage seen first must not turn the first cost reading into new dollars.
    from test_fleet import usage

    state = fleet.FleetState('acme', CHECK_TAGS)
    state.assess(usage('2026-12-07', 0, 100, 10), 0)
    out = state.assess(costs(rated=[by_model('accounts/fireworks/models/m1', 40.0)]), 60)
    assert [(c.value, c.flush_first_value) for c in out.counts] == [(40.0, False)]
    # And a new cost day leaves the usage's day alone.
    snap = costs('2026-12-08', rated=[by_model('accounts/fireworks/models/m1', 1.0)])
    snap['usage'] = usage('2026-12-07', 0, 150, 10)['usage']
    out = state.assess(snap, 120)
    assert [(c.name, c.value) for c in out.counts if c.name.startswith('fireworks.usage.')] == [
        ('fireworks.usage.accelerator_seconds', 150), ('fireworks.usage.prompt_tokens', 10),
        ('fireworks.usage.completion_tokens', 7)]
    assert [c.value for c in out.counts if c.name == 'fireworks.cost.rated'] == [0, 1.0]


def test_rated_dollars_are_gauges_at_the_first_run_with_their_tags():
    rated = [by_model('accounts/fireworks/models/kimi-k2', 12.34), by_key('key-1', 3.2, user='users/alice'),
             by_key('key-2', 7.0, currency='EUR'), by_model('accounts/fireworks/models/kimi-k2', 0.66),
             {'by': 'user', 'amount': 5.0}, by_model('accounts/fireworks/models/x', 'NaN')]
    out = fleet.FleetState('acme', CHECK_TAGS).assess(
        costs(rated=rated, completeness='INCOMPLETE', evaluation_time=40.0), 100)
    today = gauges(out, 'fireworks.cost.rated_today')
    mark = ('attribution_completeness:incomplete',)
    assert today == {
        ('cost_by:model', 'model:kimi-k2', 'base_model:accounts/fireworks/models/kimi-k2') + tuple(CHECK_TAGS) + mark:
            pytest.approx(13.0),  # rows that tag alike split one total
        ('cost_by:api_key', 'api_key_id:key-1', 'user:users/alice') + tuple(CHECK_TAGS) + mark: 3.2,
        ('cost_by:api_key', 'api_key_id:key-2', 'currency:EUR') + tuple(CHECK_TAGS) + mark: 7.0,  # not converted
    }
    assert gauges(out, 'fireworks.cost.data_age') == {tuple(CHECK_TAGS) + mark: 60.0}
    # The counts carry the same series without the completeness, which changes within a day.
    assert sorted(tuple(c.tags) for c in out.counts) == sorted(t[:-1] for t in today)


def test_a_change_of_attribution_completeness_does_not_count_the_day_again():
    state = fleet.FleetState('acme', CHECK_TAGS)
    snaps = [costs(rated=[by_model('m', 10.0)], completeness='INCOMPLETE'),
             costs(rated=[by_model('m', 11.0)], completeness='INCOMPLETE'),
             costs(rated=[by_model('m', 11.5)], completeness='COMPLETE')]
    counted, _ = run_counts(state, snaps)
    assert counted[('fireworks.cost.rated', 'model:m')] == pytest.approx(1.5)


def test_billed_lines_are_gauges_with_their_grouping():
    billed = [{'category': 'dedicated', 'grouping_key': 'accelerator_type', 'grouping_value': 'NVIDIA_H100_80GB',
               'secondary_grouping_key': '', 'secondary_grouping_value': '', 'quantity': 10.0,
               'unit_amount': 6.5, 'total': 65.0, 'currency': 'USD'},
              {'category': 'serverless', 'grouping_key': 'model', 'grouping_value': 'kimi-k2',
               'secondary_grouping_key': 'token_type', 'secondary_grouping_value': 'prompt', 'quantity': None,
               'unit_amount': None, 'total': 1.25, 'currency': 'JPY'},
              {'category': 'training', 'total': None}]
    out = fleet.FleetState('acme', CHECK_TAGS).assess(costs(billed=billed), 100)
    assert gauges(out, 'fireworks.cost.billed') == {
        ('billing_category:dedicated', 'grouping_key:accelerator_type', 'grouping_value:NVIDIA_H100_80GB')
        + tuple(CHECK_TAGS): 65.0,
        ('billing_category:serverless', 'grouping_key:model', 'grouping_value:kimi-k2',
         'secondary_grouping_key:token_type', 'secondary_grouping_value:prompt', 'currency:JPY')
        + tuple(CHECK_TAGS): 1.25,
    }


def test_the_self_fallback_and_a_billing_failure_are_logged_once():
    state = fleet.FleetState('acme', CHECK_TAGS)
    logs = []
    for at in (100, 160, 220):
        logs += state.assess(costs(fetched_at=at, scope='SELF', fallback=True, billing_error='HTTP 500 from x'),
                             at).logs
    assert [level for level, _ in logs] == ['warning', 'warning']
    assert 'scope SELF' in logs[0][1] and 'HTTP 403' in logs[0][1]
    assert logs[1][1].startswith('reading the billing summary failed: HTTP 500 from x')
    assert [text for _, text in state.assess(costs(fetched_at=300), 300).logs] == [
        'the costs are read with scope ACCOUNT again', 'the billing summary is read again']


# -- deployments: estimated cost, scaled to zero, termination message ----------------

def test_estimated_costs_and_scaled_to_zero_are_deployment_gauges():
    d = dep('a', estimated_cost_per_hour=112.0, price_source='config', prompt_tokens_per_s=1000.0,
            estimated_cost_per_million_tokens=31.11, scaled_to_zero=False)
    tags = fleet.deployment_tags(d, CHECK_TAGS)
    points = {p.name: p for p in fleet.inventory_gauges(d, tags, 0)}
    assert points['fireworks.deployment.estimated_cost_per_hour'] == (
        'fireworks.deployment.estimated_cost_per_hour', 112.0, tags + ['price_source:config'])
    assert points['fireworks.deployment.estimated_cost_per_million_tokens'].value == 31.11
    assert points['fireworks.deployment.scaled_to_zero'].value == 0
    cold = dep('b', replicas=0, desired=0, estimated_cost_per_hour=None, price_source='',
               estimated_cost_per_million_tokens=None, scaled_to_zero=True)
    names = {p.name: p.value for p in fleet.inventory_gauges(cold, [], 0)}
    assert names['fireworks.deployment.scaled_to_zero'] == 1
    assert 'fireworks.deployment.estimated_cost_per_hour' not in names
    assert 'fireworks.deployment.estimated_cost_per_million_tokens' not in names
    unknown = dep('c', replicas=None, scaled_to_zero=None)
    assert 'fireworks.deployment.scaled_to_zero' not in {p.name for p in fleet.inventory_gauges(unknown, [], 0)}


def test_a_deployment_scaled_to_zero_is_ok_and_says_so():
    grace = 600
    assert fleet.ready_status(dep('a', replicas=0, desired=0, scaled_to_zero=True), None, 0, grace) == (
        fleet.OK, 'deployment a is scaled to zero')
    assert fleet.ready_status(dep('a', 'STATE_UNSPECIFIED', replicas=0, desired=0), None, 0, grace) == (
        fleet.OK, 'deployment a is scaled to zero')
    assert fleet.ready_status(dep('a', 'STATE_UNSPECIFIED', replicas=1), None, 0, grace)[0] == fleet.UNKNOWN
    assert fleet.ready_status(dep('a', 'FAILED', replicas=0), None, 0, grace)[0] == fleet.CRITICAL
    assert fleet.ready_status(dep('a', 'DELETING', replicas=0), None, 0, grace)[0] == fleet.UNKNOWN
    # Asked to scale up from zero and stuck there past the grace period: that is a warning.
    stuck = dep('a', replicas=0, desired=1, ready=0)
    assert fleet.ready_status(stuck, 0, grace, grace)[0] == fleet.WARNING
    state = fleet.FleetState('acme', CHECK_TAGS)
    (check,) = state.assess(inventory(100, dep('a', replicas=0, desired=0)), 100).checks
    assert (check.name, check.status, check.message) == (fleet.READY_CHECK, fleet.OK,
                                                         'deployment a is scaled to zero')


def test_the_termination_message_is_in_the_failed_event_and_the_critical_message():
    state = fleet.FleetState('acme', CHECK_TAGS)
    state.assess(inventory(100, dep('a')), 100)
    failed = dep('a', 'FAILED', status_message='no capacity', termination_message='OOMKilled: exit 137')
    out = state.assess(inventory(200, failed), 200)
    (e,) = out.events
    assert e['msg_text'].startswith('- failed (was READY): no capacity (termination message: OOMKilled: exit 137)')
    (check,) = out.checks
    assert (check.status, check.message) == (
        fleet.CRITICAL, 'deployment a FAILED: no capacity (termination message: OOMKilled: exit 137)')


def test_a_termination_message_read_a_listing_later_gets_its_own_event_once():
    state = fleet.FleetState('acme', CHECK_TAGS)
    state.assess(inventory(100, dep('a')), 100)
    (e,) = state.assess(inventory(200, dep('a', 'FAILED')), 200).events
    assert e['msg_text'] == '- failed (was READY)'
    later = dep('a', 'FAILED', termination_message='image pull failed')
    (e,) = state.assess(inventory(300, later), 300).events
    assert (e['alert_type'], e['msg_text']) == ('error', '- termination message: image pull failed')
    assert state.assess(inventory(400, later), 400).events == []
    assert fleet.ready_status(later, None, 0, 600)[1] == 'deployment a FAILED (termination message: image pull failed)'


# -- what is logged once -----------------------------------------------------------

def test_the_slowed_envelope_is_logged_once_with_its_reason():
    state = fleet.FleetState('acme', CHECK_TAGS)
    slowed = {'slowed': True, 'reason': 'the account is suspended (CREDIT_DEPLETED): 10 requests per minute'}
    logs = []
    for at in (100, 160, 220):
        logs += state.assess(capacity(at, account('CREDIT_DEPLETED'), envelope=slowed), at).logs
    assert logs == [('warning', 'the account is suspended (CREDIT_DEPLETED): 10 requests per minute')]
    # A reason whose words change is the same condition.
    reworded = dict(slowed, reason='no credits')
    assert state.assess(capacity(280, account('CREDIT_DEPLETED'), envelope=reworded), 280).logs == []
    assert [level for level, _ in state.assess(capacity(340), 340).logs] == ['info']
    assert state.assess(capacity(400), 400).logs == []
    assert len(state.assess(capacity(460, envelope=slowed), 460).logs) == 1  # slowed again: said again
    # Without a reason, the condition is still said.
    quiet = fleet.FleetState('acme', CHECK_TAGS)
    assert quiet.assess(capacity(100, envelope={'slowed': True}), 100).logs == [
        ('warning', 'Fireworks limits this account to 10 API requests per minute, all its traffic included: the '
                    'check spaces its own REST calls to fit')]


@pytest.mark.parametrize('kind, what', [('capacity', 'account and quotas'), ('costs', 'costs')])
def test_a_failing_capacity_or_cost_refresh_is_logged_once_and_its_recovery_once(kind, what):
    def snapshot(at):
        return capacity(at) if kind == 'capacity' else costs(fetched_at=at, rated=[by_model('m', 1.0)])

    state = fleet.FleetState('acme', CHECK_TAGS)
    assert state.assess(snapshot(100), 100).logs == []
    failing = snapshot(100)
    failing[kind]['attempt'].update(status_name='FWM_ERR_HTTP_SERVER', message='HTTP 503 from x', at=160)
    assert state.assess(failing, 160).logs == [(
        'warning', 'refreshing the {} failed: HTTP 503 from x (FWM_ERR_HTTP_SERVER); keeping the one fetched 60 s '
                   'ago'.format(what))]
    assert state.assess(failing, 220).logs == []
    # The last good answer still gives its metrics while the refresh fails.
    assert state.assess(failing, 230).gauges or state.assess(failing, 230).checks
    assert state.assess(snapshot(280), 280).logs == [('info', 'the {} refresh again'.format(what))]


def test_a_first_run_without_capacity_or_costs_says_what_it_lacks():
    state = fleet.FleetState('acme', CHECK_TAGS)
    logs = state.assess({'first_run': {'missing': ['capacity', 'costs'], 'waited_s': 2.0}}, 0).logs
    assert [text for _, text in logs] == [
        'first run: no answer from the Fireworks REST API (api_endpoint) for the account and quotas within timeout '
        '(waited 2.0 s); this run has no account service check, quota or spend metrics; later runs use it as soon '
        'as it comes',
        'first run: no answer from the Fireworks REST API (api_endpoint) for the costs within timeout (waited 2.0 s); '
        'this run has no cost metrics; later runs use it as soon as it comes']


def test_garbage_in_capacity_and_costs_never_raises():
    state = fleet.FleetState('acme', CHECK_TAGS)
    for junk in ({'capacity': 'x', 'costs': 5}, {'capacity': {'attempt': 'x', 'last_good': 4, 'envelope': 3}},
                 {'capacity': {'last_good': {'account': 'x', 'quotas': [None, 1, {'id': 5}, {}], 'spend': 'x'}}},
                 {'capacity': {'last_good': {'account': {}, 'quotas': 'x', 'spend': {'limit': True}}}},
                 {'costs': {'last_good': {'rated': [None, {'by': 'model'}, {'by': 'model', 'amount': True}],
                                          'billed': [None, {}], 'day_before': 'x', 'evaluation_time': 'x'}}}):
        outcome = state.assess(junk, 0)
        assert outcome.events == []


# -- the check submits them ----------------------------------------------------------

def test_the_check_submits_each_service_check_under_its_own_name():
    submitted = []

    class Fake:
        log = None

        def service_check(self, name, status, tags=None, message=None, raw=False):
            submitted.append((name, status, message))

    outcome = fleet.Outcome([], [fleet.Check(fleet.CRITICAL, CHECK_TAGS, 'account suspended: X', fleet.ACCOUNT_CHECK),
                                 fleet.Check(fleet.OK, CHECK_TAGS + ['deployment_id:a'], '')], [], [], [])
    FireworksCheck._submit_fleet(Fake(), outcome)
    assert submitted == [('fireworks.account.status', fleet.CRITICAL, 'account suspended: X'),
                         ('fireworks.deployment.ready', fleet.OK, None)]


# -- the whole check against the local endpoint (needs the library's capacity and costs) --

KEY = 'fw-SECRET-3b9e1c77d2a4-capacity'
PRICES = {'NVIDIA_H100_80GB': 7.0, 'NVIDIA_A100_80GB': 4.0, 'NVIDIA_H200_141GB': 9.0, 'AMD_MI300X_192GB': 5.0}


def whole_check(tmp_path, extra=(), **options):
    """The check with inventory, capacity and costs on against the local
    endpoint (its first readings are fixed: tests/server/account_api.cpp,
    cost_api.cpp), and the endpoint."""
    require_binary(ENDPOINT)
    import fireworks_payload

    payload = tmp_path / 'metrics.prom'
    payload.write_text(fireworks_payload.render(3, seed=5, account='acme'))
    ep = Endpoint(str(payload), KEY, extra=['--fleet', 'acme'] + list(extra))
    instance = {'account_id': 'acme', 'api_key': KEY, 'openmetrics_endpoint': ep.url, 'tls_ca_cert': ep.ca_cert,
                'min_collection_interval': 60, 'empty_default_hostname': True, 'api_endpoint': ep.origin,
                'collect_inventory': True, 'collect_capacity': True, 'collect_costs': True, 'timeout': 10,
                'accelerator_prices': PRICES}
    instance.update(options)
    return FireworksCheck('fireworks', {}, [instance]), ep


def values(aggregator, name, prefix):
    """{the tag starting with prefix: value} of one metric's points that have such a tag."""
    out = {}
    for m in aggregator.metrics(name):
        for t in m.tags:
            if t.startswith(prefix):
                out[t] = m.value
    return out


def test_one_run_has_the_account_quotas_spend_dollars_and_cost_per_hour(tmp_path, aggregator, caplog):
    check, ep = whole_check(tmp_path)
    try:
        check.check(None)  # the first run waits for the first answers
        (status,) = aggregator.service_checks('fireworks.account.status')
        assert (status.status, status.message) == (fleet.OK, '')
        assert 'fireworks_account:acme' in status.tags
        # Every quota, GPU ones with the accelerators the inventory shows running.
        assert values(aggregator, 'fireworks.quota.usage', 'quota:') == {
            'quota:a100-eu-frankfurt-1': 8, 'quota:batch-inference-jobs': 2, 'quota:h100-us-iowa-1': 0,
            'quota:h100-us-virginia-1': 8, 'quota:mi300x-us-iowa-1': 16, 'quota:monthly-spend-usd': 612.4,
            'quota:serverless-inference-rpm': 337, 'quota:training-h100-count': 8}
        assert values(aggregator, 'fireworks.quota.accelerators_in_use', 'quota:') == {
            'quota:a100-eu-frankfurt-1': 8, 'quota:h100-us-iowa-1': 0, 'quota:h100-us-virginia-1': 8,
            'quota:mi300x-us-iowa-1': 16}
        assert [m.value for m in aggregator.metrics('fireworks.spend.month_to_date')] == [612.4]
        assert [m.value for m in aggregator.metrics('fireworks.spend.limit')] == [1000]
        assert [m.value for m in aggregator.metrics('fireworks.spend.utilization')] == [pytest.approx(0.6124)]
        # Dollars today by model and by key, as the endpoint's first answer has them.
        assert values(aggregator, 'fireworks.cost.rated_today', 'model:') == {
            'model:kimi-k2-instruct': pytest.approx(4.12), 'model:llama-v3p1-8b-instruct': pytest.approx(1.375)}
        assert values(aggregator, 'fireworks.cost.rated_today', 'api_key_id:') == {
            'api_key_id:key-1': pytest.approx(3.1), 'api_key_id:key-2': pytest.approx(1.92),
            'api_key_id:key-ci': pytest.approx(0.475)}
        assert all(m.flush_first_value is False for m in aggregator.metrics('fireworks.cost.rated'))
        # $/hour: replicas x accelerators per replica x the configured price.
        assert values(aggregator, 'fireworks.deployment.estimated_cost_per_hour', 'deployment_id:') == {
            'deployment_id:d000000eval': 1 * 8 * 7.0, 'deployment_id:d377a4fprod': 2 * 4 * 4.0,
            'deployment_id:d6ef49eprod': 2 * 8 * 5.0}
        assert all('price_source:config' in m.tags
                   for m in aggregator.metrics('fireworks.deployment.estimated_cost_per_hour'))
        assert not [r for r in caplog.records if r.levelname == 'WARNING']
        assert KEY not in caplog.text
    finally:
        check.cancel()
        ep.stop()


def test_a_suspended_account_is_critical_with_its_reason_at_the_first_run(tmp_path, aggregator, caplog):
    check, ep = whole_check(tmp_path, extra=['--suspend-state', 'CREDIT_DEPLETED'])
    try:
        check.check(None)
        (status,) = aggregator.service_checks('fireworks.account.status')
        assert status.status == fleet.CRITICAL
        assert status.message == 'account suspended: CREDIT_DEPLETED (credits used up; API requests are rejected)'
        assert not aggregator.events  # the first sight is the baseline, not a change
        warnings = [r.getMessage() for r in caplog.records if r.levelname == 'WARNING']
        assert len(warnings) == 1 and 'the account is suspended (CREDIT_DEPLETED)' in warnings[0]
        aggregator.reset()
        caplog.clear()
        check.check(None)
        assert aggregator.service_checks('fireworks.account.status')[0].status == fleet.CRITICAL
        assert not [r for r in caplog.records if r.levelname == 'WARNING']  # said once
        # The metrics scrape is untouched.
        assert aggregator.service_checks('fireworks.can_connect')[0].status == fleet.OK
    finally:
        check.cancel()
        ep.stop()


def test_a_failing_rest_api_leaves_the_metrics_and_is_said_once(tmp_path, aggregator, caplog):
    check, ep = whole_check(tmp_path, extra=['--api-fault', '503'], timeout=3)
    try:
        for _ in range(2):
            check.check(None)
        assert aggregator.service_checks('fireworks.can_connect')[-1].status == fleet.OK
        assert aggregator.metrics('fireworks.requests.rate')
        assert not aggregator.service_checks('fireworks.account.status')  # never read: nothing said of it
        warnings = [r.getMessage() for r in caplog.records if r.levelname == 'WARNING']
        for what in ('account and quotas', 'costs'):
            assert len([w for w in warnings if 'refreshing the {} failed'.format(what) in w]) == 1, warnings
        assert KEY not in caplog.text
    finally:
        check.cancel()
        ep.stop()


def test_a_key_without_the_account_scope_gets_its_own_costs_and_says_so_once(tmp_path, aggregator, caplog):
    check, ep = whole_check(tmp_path, extra=['--costs-scope', 'self-only'])
    try:
        check.check(None)
        check.check(None)
        assert values(aggregator, 'fireworks.cost.rated_today', 'api_key_id:') == {
            'api_key_id:key-2': pytest.approx(1.92)}
        said = [r.getMessage() for r in caplog.records if 'SELF' in r.getMessage()]
        assert len(said) == 1, said
    finally:
        check.cancel()
        ep.stop()


def test_every_capacity_and_cost_metric_of_metadata_csv_comes_with_its_type():
    import csv
    import os

    from conftest import ROOT

    with open(os.path.join(ROOT, 'python_shim', 'metadata.csv')) as f:
        listed = {r['metric_name']: r['metric_type'] for r in csv.DictReader(f)
                  if r['metric_name'].startswith(('fireworks.quota.', 'fireworks.spend.', 'fireworks.cost.'))
                  or r['metric_name'] in ('fireworks.deployment.scaled_to_zero',
                                          'fireworks.deployment.estimated_cost_per_hour',
                                          'fireworks.deployment.estimated_cost_per_million_tokens')}
    snapshot = capacity(100, quotas=[quota('h100-us-iowa-1', 8, 6.0, 'h100', 'us-iowa-1', max_approved=16,
                                           in_use=4)],
                        spend={'month_to_date': 1.0, 'limit': 2, 'unlimited': False, 'utilization': 0.5,
                               'projected_month_end': 3.0, 'month': '2026-12'})
    snapshot['capacity']['last_good']['quotas_read_at'] = 90.0
    snapshot['costs'] = costs(rated=[by_model('m', 1.0)], evaluation_time=50.0,
                              billed=[{'category': 'dedicated', 'total': 2.0}])['costs']
    snapshot['inventory'] = inventory(100, dep('a', estimated_cost_per_hour=1.0, price_source='config',
                                               estimated_cost_per_million_tokens=2.0))['inventory']
    out = fleet.FleetState('acme', CHECK_TAGS).assess(snapshot, 100)
    sent = {p.name: 'gauge' for p in out.gauges}
    sent.update({c.name: 'count' for c in out.counts})
    assert {n: sent.get(n) for n in listed} == listed
    assert len(listed) == 17


def test_cancel_during_a_first_run_waiting_on_a_rest_api_that_never_answers(tmp_path, aggregator):
    """The Agent cancels from another thread while three instances' first
    runs wait for capacity and costs from an API that never answers: each
    run ends at once, none raises."""
    import threading
    import time

    check, ep = whole_check(tmp_path, extra=['--api-fault', 'hang'], timeout=20)
    checks = [check] + [whole_check_instance(check) for _ in range(2)]
    ended, errors = [], []

    def run(c):
        try:
            c.check(None)
        except Exception as e:  # noqa: BLE001 (what the Agent would log)
            errors.append(e)
        ended.append(time.monotonic())

    try:
        threads = [threading.Thread(target=run, args=(c,)) for c in checks]
        for t in threads:
            t.start()
        time.sleep(0.5)  # all three wait for the REST answers
        cancelled = time.monotonic()
        for c in checks:
            c.cancel()
        for t in threads:
            t.join(10)
        assert not any(t.is_alive() for t in threads)
        assert errors == []
        assert max(ended) - cancelled < 2.0, 'a run waited out its timeout after cancel()'
    finally:
        for c in checks:
            c.cancel()
        ep.stop()


def whole_check_instance(check):
    """Another instance of `check`'s account and options."""
    return FireworksCheck('fireworks', {}, [dict(check.instance)])
