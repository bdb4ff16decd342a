# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""What the deployments inventory, the billing usage, the account and its
quotas, and the costs mean for the check, decided from the summary's "fleet"
member (fwm.h): inventory metrics, the fireworks.deployment.ready and
fireworks.account.status service checks, events for what changed, quota,
spend and cost metrics, usage and cost counts, and which refresh failures to
log. FleetState keeps what must outlive a run; everything else is a pure
function. No Agent, no library."""
import math
from collections import namedtuple

from .option_table import OPTIONS

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3

READY_CHECK = 'fireworks.deployment.ready'
ACCOUNT_CHECK = 'fireworks.account.status'
DEFAULT_READY_GRACE = next(o.default for o in OPTIONS if o.name == 'ready_grace_period')  # spec.yaml's

# (metric, deployment field) submitted as gauges when the field is known.
REPLICA_GAUGES = (
    ('fireworks.deployment.replicas', 'replicas'),
    ('fireworks.deployment.replicas.desired', 'desired_replicas'),
    ('fireworks.deployment.replicas.min', 'min_replicas'),
    ('fireworks.deployment.replicas.max', 'max_replicas'),
    ('fireworks.deployment.replicas.ready', 'ready_replicas'),
    ('fireworks.deployment.replicas.pending_scheduling', 'pending_scheduling_replicas'),
    ('fireworks.deployment.replicas.downloading_model', 'downloading_model_replicas'),
    ('fireworks.deployment.replicas.initializing', 'initializing_replicas'),
)

Point = namedtuple('Point', 'name value tags')
Check = namedtuple('Check', 'status tags message name', defaults=(READY_CHECK,))
Count = namedtuple('Count', 'name value tags flush_first_value')
Outcome = namedtuple('Outcome', 'gauges checks events counts logs')


def _number(v):
    """A finite JSON number (a boolean is not one), else None."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return v if isinstance(v, int) or math.isfinite(v) else None


def _scaled_to_zero(d):
    """True, False or None (unknown); summaries without the field say it by replicas."""
    if d.get('scaled_to_zero') is not None:
        return d['scaled_to_zero'] is True
    return None if d.get('replicas') is None else d['replicas'] == 0


def deployment_tags(d, check_tags):
    """The tags of everything about one deployment: the library's list (its
    id, model and inventory tags, with the rule for which tag wins, as on
    the metrics), then the check's."""
    return [t for t in d.get('tags') or [] if isinstance(t, str)] + list(check_tags)


def inventory_gauges(d, tags, now):
    points = [Point(name, d[field], tags) for name, field in REPLICA_GAUGES if d.get(field) is not None]
    if d.get('replicas') is not None and d.get('accelerator_count') is not None:
        points.append(Point('fireworks.deployment.accelerators', d['replicas'] * d['accelerator_count'], tags))
    if d.get('create_time') is not None:
        points.append(Point('fireworks.deployment.age', max(0.0, now - d['create_time']), tags))
    points.append(Point('fireworks.deployment.state', 1, tags + ['state:' + (d.get('state') or 'STATE_UNSPECIFIED')]))
    zero = _scaled_to_zero(d)
    if zero is not None:
        points.append(Point('fireworks.deployment.scaled_to_zero', 1 if zero else 0, tags))
    # Both estimates come from the same price: say where it came from on each.
    priced = tags + ['price_source:' + d['price_source']] if d.get('price_source') else tags
    for name, field in (('fireworks.deployment.estimated_cost_per_hour', 'estimated_cost_per_hour'),
                        ('fireworks.deployment.estimated_cost_per_million_tokens',
                         'estimated_cost_per_million_tokens')):
        if _number(d.get(field)) is not None:
            points.append(Point(name, d[field], priced))
    return points


def _minutes(seconds):
    return '{:.0f} min'.format(seconds / 60.0) if seconds >= 60 else '{:.0f} s'.format(seconds)


def ready_status(d, short_since, now, grace):
    """(status, message) of fireworks.deployment.ready. `short_since` is when
    the deployment was first seen READY with fewer ready replicas than
    desired (None when it is not)."""
    state = d.get('state') or 'STATE_UNSPECIFIED'
    message = d.get('status_message') or ''
    if state == 'FAILED':
        return CRITICAL, 'deployment {} FAILED{}{}'.format(d['id'], ': ' + message if message else '',
                                                        _terminated(d))
    if state in ('CREATING', 'UPDATING'):
        return WARNING, 'deployment {} is {}{}'.format(d['id'], state, ': ' + message if message else '')
    if state == 'READY' and short_since is not None and now - short_since >= grace:
        return WARNING, '{} of {} replicas of deployment {} ready for {} (ready_grace_period {} s)'.format(
            d.get('ready_replicas') or 0, d.get('desired_replicas'), d['id'], _minutes(now - short_since), grace)
    # Idle on purpose, not down: said, so that no monitor pages and no gap shows.
    if state in ('READY', 'STATE_UNSPECIFIED') and _scaled_to_zero(d):
        return OK, 'deployment {} is scaled to zero'.format(d['id'])
    if state != 'READY':
        return UNKNOWN, 'deployment {} is in state {}'.format(d['id'], state)
    return OK, ''


def _terminated(d):
    """Why a FAILED deployment stopped, as Fireworks' termination message says."""
    text = d.get('termination_message') or ''
    return ' (termination message: {})'.format(text) if isinstance(text, str) and text else ''


def _short(d):
    """READY with fewer ready replicas than desired (unknown counts are not short)."""
    desired, ready = d.get('desired_replicas'), d.get('ready_replicas')
    return d.get('state') == 'READY' and desired is not None and ready is not None and ready < desired


def changes(old, new):
    """What changed in one deployment between two inventories, as
    (kind, text) with the old and new values; kind is created, deleted,
    failed, recovered or scaled."""
    if old is None:
        return [('created', 'created ({}, {} on {})'.format(
            new.get('state') or 'no state', new.get('base_model') or 'no model', new.get('accelerator_type') or '?'))]
    if new is None:
        return [('deleted', 'deleted (was {})'.format(old.get('state') or 'no state'))]
    out = []
    if new.get('state') != old.get('state'):
        if new.get('state') == 'FAILED':
            out.append(('failed', 'failed (was {}){}{}'.format(
                old.get('state'), ': ' + new['status_message'] if new.get('status_message') else '',
                _terminated(new))))
        elif old.get('state') == 'FAILED' and new.get('state') == 'READY':
            out.append(('recovered', 'recovered: FAILED -> READY'))
        else:
            out.append(('state', 'state {} -> {}'.format(old.get('state'), new.get('state'))))
    elif new.get('state') == 'FAILED' and _terminated(new) and not _terminated(old):
        # The message is read once the failure is seen: it may come a listing later.
        out.append(('failed', 'termination message: {}'.format(new['termination_message'])))
    for field, what in (('replicas', 'replicas'), ('desired_replicas', 'desired replicas')):
        if old.get(field) is not None and new.get(field) is not None and old[field] != new[field]:
            out.append(('scaled', 'scaled: {} {} -> {}'.format(what, old[field], new[field])))
    return out


_ALERT = {'failed': 'error', 'deleted': 'warning', 'recovered': 'success'}
_ORDER = ('failed', 'recovered', 'deleted', 'created', 'scaled', 'state')


def event(account, d_id, found, tags, now):
    """One event for every change of one deployment in one refresh."""
    lead = min((k for k, _ in found), key=_ORDER.index)
    return {
        'timestamp': int(now),
        'event_type': 'fireworks.deployment',
        'source_type_name': 'fireworks',
        'msg_title': 'Fireworks deployment {}: {}'.format(d_id, ', '.join(text for _, text in found))[:100],
        'msg_text': '\n'.join('- ' + text for _, text in found),
        'alert_type': _ALERT.get(lead, 'info'),
        'aggregation_key': 'fireworks-deployment:{}:{}'.format(account, d_id),
        'tags': tags,
    }


# What a first run lacks when one kind of answer did not come in time.
FIRST_RUN_MISSING = {
    'inventory': ('deployments inventory', 'inventory tags, fireworks.deployment.* metrics or deployment service checks'),
    'usage': ('billing usage', 'usage counts'),
    'capacity': ('account and quotas', 'account service check, quota or spend metrics'),
    'costs': ('costs', 'cost metrics'),
}
# What each refresh reads, as its log lines name it, and their verb.
REFRESHED = {
    'inventory': ('deployments inventory', 'refreshes'),
    'usage': ('billing usage', 'refreshes'),
    'capacity': ('account and quotas', 'refresh'),
    'costs': ('costs', 'refresh'),
}

# -- the account -------------------------------------------------------------------

# What each suspend state means for the account (reference A5); others are named as they come.
SUSPENDED_WORDS = {
    'FAILED_PAYMENTS': 'payments failed; API requests are rejected',
    'CREDIT_DEPLETED': 'credits used up; API requests are rejected',
    'MONTHLY_SPEND_LIMIT_EXCEEDED': 'the monthly spend limit is reached; API requests are paused',
    'BLOCKED_BY_ABUSE_RULE': 'blocked by an abuse rule; API requests are rejected',
}


def _account_state(account):
    """(state, suspend state) of an account, an unspecified state read as
    READY; whether the suspend state is a suspension is the library's rule
    (its "suspended")."""
    state = account.get('state') or ''
    suspend = account.get('suspend_state') or 'SUSPENDED'
    return ('READY' if state in ('', 'STATE_UNSPECIFIED') else state,
            suspend if account.get('suspended') is True else 'UNSUSPENDED')


def _suspended(suspend):
    words = SUSPENDED_WORDS.get(suspend)
    return 'account suspended: {}{}'.format(suspend, ' ({})'.format(words) if words else '')


def account_status(account):
    """(status, message) of fireworks.account.status."""
    state, suspend = _account_state(account)
    code = account.get('status_code') or ''
    detail = account.get('status_message') or ''
    if suspend != 'UNSUSPENDED':
        return CRITICAL, _suspended(suspend)
    if state != 'READY':
        return WARNING, 'account is {}{}'.format(state, ': ' + detail if detail else '')
    if code not in ('', 'OK'):
        return WARNING, 'account status {}{}'.format(code, ': ' + detail if detail else '')
    return OK, ''


def account_event(account_id, old, new, tags, now):
    """The event for a change of an account's (state, suspend state), or None."""
    (old_state, old_suspend), (state, suspend) = old, new
    lines, alert = [], 'info'
    if suspend != old_suspend:
        if suspend == 'UNSUSPENDED':
            title, alert = 'reactivated (was {})'.format(old_suspend), 'success'
        else:
            title, alert = 'suspended: {}{}'.format(
                suspend, '' if old_suspend == 'UNSUSPENDED' else ' (was {})'.format(old_suspend)), 'error'
        lines.append(_suspended(suspend) if suspend != 'UNSUSPENDED' else 'reactivated: API requests are served again')
    if state != old_state:
        if not lines:
            title, alert = 'state {} -> {}'.format(old_state, state), 'success' if state == 'READY' else 'warning'
        lines.append('state {} -> {}'.format(old_state, state))
    if not lines:
        return None
    return {
        'timestamp': int(now),
        'event_type': 'fireworks.account',
        'source_type_name': 'fireworks',
        'msg_title': 'Fireworks account {} {}'.format(account_id, title)[:100],
        'msg_text': '\n'.join('- ' + line for line in lines),
        'alert_type': alert,
        'aggregation_key': 'fireworks-account:{}'.format(account_id),
        'tags': tags,
    }


# -- quotas, spend and costs ---------------------------------------------------------

def quota_gauges(quotas, check_tags):
    """fireworks.quota.* per quota, once per id. An "unlimited" sentinel is
    no limit: neither it nor a utilization against it is sent."""
    points, seen = [], set()
    for q in quotas or []:
        if not isinstance(q, dict) or not isinstance(q.get('id'), str) or not q['id'] or q['id'] in seen:
            continue
        seen.add(q['id'])
        tags = ['quota:' + q['id']]
        for tag, field in (('quota_accelerator', 'accelerator'), ('quota_region', 'region')):
            if isinstance(q.get(field), str) and q[field]:
                tags.append('{}:{}'.format(tag, q[field]))
        tags.extend(check_tags)
        unlimited = q.get('unlimited') is True
        limit, usage = _number(q.get('limit')), _number(q.get('usage'))
        if limit is not None and not unlimited:
            points.append(Point('fireworks.quota.limit', limit, tags))
        for name, field in (('fireworks.quota.max_approved', 'max_approved'), ('fireworks.quota.usage', 'usage'),
                            ('fireworks.quota.accelerators_in_use', 'accelerators_in_use')):
            if _number(q.get(field)) is not None:
                points.append(Point(name, q[field], tags))
        if usage is not None and limit is not None and limit > 0 and not unlimited:
            points.append(Point('fireworks.quota.utilization', usage / float(limit), tags))
    return points


SPEND_GAUGES = (
    ('fireworks.spend.month_to_date', 'month_to_date'),
    ('fireworks.spend.limit', 'limit'),
    ('fireworks.spend.utilization', 'utilization'),
    ('fireworks.spend.projected_month_end', 'projected_month_end'),
)


def spend_gauges(spend, check_tags):
    if not isinstance(spend, dict):
        return []
    skip = ('limit', 'utilization') if spend.get('unlimited') is True else ()
    return [Point(name, spend[field], check_tags) for name, field in SPEND_GAUGES
            if field not in skip and _number(spend.get(field)) is not None]


def _currency(row):
    """A currency tag unless the amount is in USD: amounts are never converted."""
    currency = row.get('currency') or 'USD'
    return [] if currency == 'USD' else ['currency:' + str(currency)]


def cost_tags(row):
    """The tags of one rated row (by model or by API key), None for a row of neither."""
    by = row.get('by')
    if by == 'model':
        tags = ['cost_by:model']
        model = str(row.get('model') or '')
        if row.get('model_tag'):
            tags.append('model:' + str(row['model_tag']))
        if model:
            tags.append('base_model:' + model)
    elif by == 'api_key':
        tags = ['cost_by:api_key']
        for name, field in (('api_key_id', 'api_key_id'), ('user', 'user')):
            if row.get(field):
                tags.append('{}:{}'.format(name, row[field]))
    else:
        return None
    return tags + _currency(row)


def billed_gauges(lines, check_tags):
    """fireworks.cost.billed per billing line (month to date); lines that
    tag alike are summed."""
    totals = {}
    for line in lines or []:
        if not isinstance(line, dict) or _number(line.get('total')) is None:
            continue
        tags = []
        for tag, field in (('billing_category', 'category'), ('grouping_key', 'grouping_key'),
                           ('grouping_value', 'grouping_value'), ('secondary_grouping_key', 'secondary_grouping_key'),
                           ('secondary_grouping_value', 'secondary_grouping_value')):
            if line.get(field):
                tags.append('{}:{}'.format(tag, line[field]))
        key = tuple(tags + _currency(line) + list(check_tags))
        totals[key] = totals.get(key, 0) + line['total']
    return [Point('fireworks.cost.billed', value, list(tags)) for tags, value in totals.items()]


class DayCounter(object):
    """A UTC day's running totals, {(metric, tags): total}, as monotonic
    counts (the Agent sends the increase between two values), with the state
    that must outlive a run: per series, its day, the highest value sent that
    day and whether the day before's final total was sent.

    Only the first reading is a baseline: what came before the check started
    is not any window's; a series that appears later counts from 0 (a 0 goes
    first: the Agent may still hold its last value of an earlier day), and so
    does one that only the day before's final totals hold. Within a day a
    total never goes down (a row skipped once, a revision): the highest one
    is sent again. On a new UTC day, the day before's final totals go first
    (the library reads that day once more), then, in the next run, a 0 and
    the new total: with flush_first_value the Agent reads the 0 as a reset
    and counts the new day from 0, even when its total is not lower than the
    last one of the day before."""

    def __init__(self):
        self.counted = {}  # series -> {day, the highest value sent that day, tail sent}
        self.seen = False

    def counts(self, day, today, finals, before_day):
        """`today`: this reading's totals of `day`; `finals`: the day before's
        final totals ({} or None when the reading has none), of `before_day`."""
        out = []
        baseline = not self.seen
        keys = list(today) + ([k for k in finals if k not in today] if finals and not baseline else [])
        finals = finals or {}
        for key in keys:
            name, tags = key[0], list(key[1])
            value, final = today.get(key), finals.get(key)
            st = self.counted.get(key)
            if st is None:
                if baseline:
                    out.append(Count(name, value, tags, False))
                    self.counted[key] = {'day': day, 'value': value, 'tail': False}
                elif final is not None and before_day and before_day < day:
                    # new in the day before's last hours: its final total, from 0
                    out.extend([Count(name, 0, tags, True), Count(name, final, tags, True)])
                    self.counted[key] = {'day': before_day, 'value': final, 'tail': True}
                elif value is not None:
                    # a 0 first: the Agent may still hold this context's last value of an earlier day
                    out.extend([Count(name, 0, tags, True), Count(name, value, tags, True)])
                    self.counted[key] = {'day': day, 'value': value, 'tail': False}
            elif st['day'] == day:
                if value is not None:
                    st['value'] = max(st['value'], value)
                    out.append(Count(name, st['value'], tags, True))
            else:
                final = final if before_day == st['day'] else None
                if final is not None and final > st['value'] and not st['tail']:
                    st['value'], st['tail'] = final, True  # this run: the last hours of that day
                    out.append(Count(name, final, tags, True))
                elif value is not None:
                    out.append(Count(name, 0, tags, True))
                    out.append(Count(name, value, tags, True))
                    self.counted[key] = {'day': day, 'value': value, 'tail': False}
        self.seen = True
        # Series not seen for more than a day go: the state stays the size of the account.
        for key in [k for k, st in self.counted.items() if st['day'] < day and st['day'] != before_day]:
            del self.counted[key]
        return out


class FleetState(object):
    """Per instance, between runs: the inventory last compared, when each
    deployment started being short of ready replicas, the usage's and the
    costs' day counters, the account's last state (for its events), and
    what was already logged."""

    def __init__(self, account, check_tags, ready_grace_period=DEFAULT_READY_GRACE):
        self.account = account
        self.check_tags = list(check_tags)
        self.grace = ready_grace_period
        self.compared_at = None  # fetched_at of the inventory last compared
        self.previous = None  # {id: deployment} of that inventory
        self.previous_complete = False  # it came from a listing that held every deployment
        self.problems_logged = {}  # what kind -> the problems last logged
        self.short_since = {}
        self.usage_counter = DayCounter()
        self.cost_counter = DayCounter()  # its own series and days: costs and usage refresh apart
        self.account_seen = None  # (state, suspend state) of the account last read
        self.slowed = False  # the account's 10-per-minute envelope, as last logged
        self.said = {}  # what kind -> the text last logged for a condition that lasts
        self.logged = {'inventory': None, 'usage': None, 'capacity': None, 'costs': None}

    def assess(self, fleet, now):
        """The Outcome of one run from the summary's "fleet" member."""
        gauges, checks, events, counts, logs = [], [], [], [], []
        if not isinstance(fleet, dict):
            return Outcome(gauges, checks, events, counts, logs)
        self._first_run(fleet.get('first_run'), logs)
        inventory = fleet.get('inventory')
        if isinstance(inventory, dict):
            self._attempt('inventory', inventory.get('attempt'), inventory.get('last_good'), logs)
            good = inventory.get('last_good')
            if isinstance(good, dict):
                self._inventory(good, now, gauges, checks, events, logs)
        gauges.extend(self._metrics_replicas(fleet.get('metrics_replicas')))
        if fleet.get('account_data') is False:
            # Another instance of this account sends the account's own data
            # (usage, quotas, spend, costs, its state): sent twice, it would count twice.
            return Outcome(gauges, checks, events, counts, logs)
        usage = fleet.get('usage')
        if isinstance(usage, dict):
            self._attempt('usage', usage.get('attempt'), usage.get('last_good'), logs)
            good = usage.get('last_good')
            if isinstance(good, dict):
                self._problems('billing usage', good.get('problems') or {}, logs)
                gauges.append(Point('fireworks.usage.age', max(0.0, now - good.get('fetched_at', now)),
                                    self.check_tags))
                counts.extend(self._usage(good))
        capacity = fleet.get('capacity')
        if isinstance(capacity, dict):
            self._attempt('capacity', capacity.get('attempt'), capacity.get('last_good'), logs)
            self._envelope(capacity.get('envelope'), logs)
            good = capacity.get('last_good')
            if isinstance(good, dict):
                self._capacity(good, now, gauges, checks, events, logs)
        costs = fleet.get('costs')
        if isinstance(costs, dict):
            self._attempt('costs', costs.get('attempt'), costs.get('last_good'), logs)
            good = costs.get('last_good')
            if isinstance(good, dict):
                self._costs(good, now, gauges, counts, logs)
        return Outcome(gauges, checks, events, counts, logs)

    def _metrics_replicas(self, rows):
        """Deployments the inventory does not hold (or with no inventory)
        whose metrics carry Fireworks' undocumented deployment_replicas
        gauge: 0 replicas means scaled to zero (cold), not down."""
        points = []
        for row in rows if isinstance(rows, list) else []:
            if not isinstance(row, dict) or not row.get('deployment_id'):
                continue
            replicas = _number(row.get('replicas'))
            if replicas is not None:
                points.append(Point('fireworks.deployment.scaled_to_zero', 1 if replicas == 0 else 0,
                                    ['deployment_id:' + str(row['deployment_id'])] + self.check_tags))
        return points

    def _first_run(self, first, logs):
        """The first run waits for the first inventory and usage within its
        timeout; says what did not come (a failure that ends it is logged
        by _attempt when it comes)."""
        if not isinstance(first, dict):
            return
        for kind in first.get('missing') or []:
            what, lacking = FIRST_RUN_MISSING.get(kind, (kind, 'it'))
            logs.append(('warning', 'first run: no answer from the Fireworks REST API (api_endpoint) for the {} '
                                    'within timeout (waited {:.1f} s); this run has no {}; later runs use it as soon '
                                    'as it comes'.format(what, first.get('waited_s', 0.0), lacking)))

    def _attempt(self, kind, attempt, good, logs):
        """Logs a refresh's failure once (until it changes or recovers)."""
        if not isinstance(attempt, dict):
            return
        failed = attempt.get('status_name') != 'FWM_OK'
        # By status, not message: a 429's wait or a day in a URL changes the text, not the fault.
        key = attempt.get('status_name') if failed else None
        if key == self.logged[kind]:
            return
        what, verb = REFRESHED[kind]
        if failed:
            kept = 'keeping the one fetched {:.0f} s ago'.format(attempt.get('at', 0) - good['fetched_at']) \
                if isinstance(good, dict) else 'none fetched yet'
            logs.append(('warning', 'refreshing the {} failed: {} ({}); {}'.format(
                what, attempt.get('message'), attempt.get('status_name'), kept)))
        elif self.logged[kind] is not None:
            logs.append(('info', 'the {} {} again'.format(what, verb)))
        self.logged[kind] = key

    def _say(self, kind, text, logs, level='warning', cleared=None):
        """Logs a lasting condition once, when its text changes; `cleared`
        once when it ends."""
        if text == self.said.get(kind, ''):
            return
        if text:
            logs.append((level, text))
        elif cleared:
            logs.append(('info', cleared))
        self.said[kind] = text

    def _envelope(self, envelope, logs):
        """Said once while the account is held to 10 requests per minute, by
        the flag, not the words: a reason that names a wait changes each time."""
        if not isinstance(envelope, dict):
            return
        slowed = envelope.get('slowed') is True
        if slowed and not self.slowed:
            # The library's reason is the whole sentence (why, and how the calls are spaced).
            logs.append(('warning', envelope.get('reason') or 'Fireworks limits this account to 10 API requests '
                                    'per minute, all its traffic included: the check spaces its own REST calls '
                                    'to fit'))
        elif self.slowed and not slowed:
            logs.append(('info', "the account's request envelope is back to normal: the REST calls keep their "
                                 'intervals again'))
        self.slowed = slowed

    def _capacity(self, good, now, gauges, checks, events, logs):
        self._problems('account and quotas', good.get('problems') or {}, logs)
        error = good.get('account_error') or ''
        account = good.get('account')
        self._say('account', 'reading the account failed: {}{}'.format(
            error, '' if isinstance(account, dict) else '; fireworks.account.status is not sent') if error else '',
            logs, cleared='the account is read again')
        if isinstance(account, dict):
            status, message = account_status(account)
            checks.append(Check(status, self.check_tags, message, ACCOUNT_CHECK))
            seen = _account_state(account)
            if self.account_seen is not None and seen != self.account_seen:  # the first sight is no change
                e = account_event(self.account, self.account_seen, seen, self.check_tags, now)
                if e:
                    events.append(e)
            self.account_seen = seen
        gauges.extend(quota_gauges(good.get('quotas'), self.check_tags))
        if _number(good.get('quotas_read_at')) is not None:  # quotas are kept while a listing fails or is held
            gauges.append(Point('fireworks.quota.age', max(0.0, now - good['quotas_read_at']), self.check_tags))
        gauges.extend(spend_gauges(good.get('spend'), self.check_tags))

    def _costs(self, good, now, gauges, counts, logs):
        self._problems('costs', good.get('problems') or {}, logs)
        self._say('scope', 'the costs are read with scope SELF: Fireworks refused scope ACCOUNT (HTTP 403: the API '
                           "key is not an account administrator's), so they cover this key's principal only"
                  if good.get('scope_fallback') is True else '', logs,
                  cleared='the costs are read with scope {} again'.format(good.get('scope') or 'ACCOUNT'))
        error = good.get('billing_error') or ''
        self._say('billing', 'reading the billing summary failed: {}; fireworks.cost.billed and prices from '
                             'billing keep their last values'.format(error) if error else '', logs,
                  cleared='the billing summary is read again')
        completeness = good.get('attribution_completeness')
        marked = ['attribution_completeness:' + completeness.lower()] \
            if isinstance(completeness, str) and completeness else []
        today = self._cost_totals(good)
        for (_, tags), value in today.items():
            gauges.append(Point('fireworks.cost.rated_today', value, list(tags) + marked))
        if _number(good.get('evaluation_time')) is not None:
            gauges.append(Point('fireworks.cost.data_age', max(0.0, now - good['evaluation_time']),
                                self.check_tags + marked))
        gauges.extend(billed_gauges(good.get('billed'), self.check_tags))
        before = good.get('day_before') if isinstance(good.get('day_before'), dict) else None
        counts.extend(self.cost_counter.counts(good.get('day') or '', today,
                                               self._cost_totals(before) if before else None,
                                               before.get('day') if before else None))

    def _cost_totals(self, good):
        """{('fireworks.cost.rated', tags): the day's running total}. Rows
        that tag alike are summed: they split one total. attribution_completeness
        is not among the tags: it changes within a day, and a count whose tags
        change is a new series that would count the day again."""
        totals = {}
        for row in good.get('rated') or []:
            if not isinstance(row, dict) or _number(row.get('amount')) is None or row['amount'] < 0:
                continue
            tags = cost_tags(row)
            if tags is None:
                continue
            key = ('fireworks.cost.rated', tuple(tags + self.check_tags))
            totals[key] = totals.get(key, 0) + row['amount']
        return totals

    def _problems(self, what, problems, logs):
        """Logs what a refresh could not use, when it differs from what was last logged."""
        key = (problems.get('count'), tuple(problems.get('first') or [])) if problems.get('count') else None
        if key != self.problems_logged.get(what):
            if key:
                logs.append(('info', 'the {} had {} unusable field(s), entries or reads; first: {}'.format(
                    what, problems['count'], '; '.join(problems.get('first') or []))))
            self.problems_logged[what] = key

    def _inventory(self, good, now, gauges, checks, events, logs):
        deployments = [d for d in good.get('deployments') or [] if isinstance(d, dict) and d.get('id')]
        current = {d['id']: d for d in deployments}
        gauges.append(Point('fireworks.inventory.deployments', len(current), self.check_tags))
        gauges.append(Point('fireworks.inventory.age', max(0.0, now - good.get('fetched_at', now)), self.check_tags))
        problems = good.get('problems') or {}
        complete = good.get('complete', True) is not False
        if good.get('fetched_at') != self.compared_at:
            self._problems('deployments inventory', problems, logs)
            if self.previous is not None:  # the first inventory is the baseline: no creation flood
                # A listing that was cut says nothing of what it does not hold: no deletions from it.
                # A deployment is new only against a listing that held everything.
                ids = set(self.previous) & set(current)
                if complete:
                    ids |= set(self.previous)
                if self.previous_complete:
                    ids |= set(current)
                for d_id in sorted(ids):
                    found = changes(self.previous.get(d_id), current.get(d_id))
                    if found:
                        d = current.get(d_id) or self.previous[d_id]
                        tags = deployment_tags(d, self.check_tags)
                        events.append(event(self.account, d_id, found, tags, now))
                        if d_id not in current:  # its service check would otherwise stay as it last was
                            checks.append(Check(OK, tags, ''))  # no message on OK: the event says why
            if complete or self.previous is None:
                self.previous, self.previous_complete = current, complete
            else:  # what the cut listing holds, over what was known
                self.previous = dict(self.previous, **current)
            self.compared_at = good.get('fetched_at')
        for d_id in list(self.short_since):
            gone = d_id not in current and complete
            if gone or (d_id in current and not _short(current[d_id])):
                del self.short_since[d_id]
        for d_id, d in sorted(current.items()):
            if _short(d):
                self.short_since.setdefault(d_id, now)
            tags = deployment_tags(d, self.check_tags)
            gauges.extend(inventory_gauges(d, tags, now))
            status, message = ready_status(d, self.short_since.get(d_id), now, self.grace)
            checks.append(Check(status, tags, message))

    def _usage(self, good):
        """The day's usage totals as monotonic counts (DayCounter)."""
        before = good.get('day_before') if isinstance(good.get('day_before'), dict) else None
        return self.usage_counter.counts(good.get('day') or '', self._totals(good),
                                         self._totals(before) if before else None,
                                         before.get('day') if before else None)

    def _totals(self, good):
        """{(metric, tags): running total} of one day's usage (numbers only)."""
        totals = {}

        def number(v):
            return v if isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 else None

        for row in good.get('accelerator_seconds') or []:
            if not isinstance(row, dict):
                continue
            tags = ['deployment_id:' + str(row.get('deployment_id', ''))]
            if row.get('accelerator_type'):
                tags.append('accelerator_type:' + str(row['accelerator_type']))
            if number(row.get('value')) is not None:
                totals[('fireworks.usage.accelerator_seconds', tuple(tags + self.check_tags))] = row['value']
        for row in good.get('tokens') or []:
            if not isinstance(row, dict):
                continue
            model = str(row.get('model', ''))
            tags = tuple((['model:' + str(row['model_tag'])] if row.get('model_tag') else []) +
                         ['base_model:' + model] + self.check_tags)
            for metric, field in (('fireworks.usage.prompt_tokens', 'prompt'),
                                  ('fireworks.usage.completion_tokens', 'completion')):
                if number(row.get(field)) is not None:
                    totals[(metric, tags)] = row[field]
        return totals
