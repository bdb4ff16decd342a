"""What the deployments inventory and the billing usage mean for the check,
decided from the summary's "fleet" member (fwm.h): inventory metrics, the
fireworks.deployment.ready service check, events for what changed, usage
counts, and which refresh failures to log. FleetState keeps what must
outlive a run; everything else is a pure function. No Agent, no library."""
from collections import namedtuple

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3

READY_CHECK = 'fireworks.deployment.ready'
DEFAULT_READY_GRACE = 600

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
Check = namedtuple('Check', 'status tags message')
Count = namedtuple('Count', 'name value tags flush_first_value')
Outcome = namedtuple('Outcome', 'gauges checks events counts logs')


def _last_segment(name):
    return name.rstrip('/').rsplit('/', 1)[-1] if name else ''


def _name(tag):
    return tag.split(':', 1)[0]


def deployment_tags(d, check_tags):
    """The tags of everything about one deployment: its id, the derived model
    (as the metrics derive it), the inventory's tags, the instance's. As on
    the metrics, a tag name the instance gives is not given again."""
    own = {_name(t) for t in check_tags}
    tags = ['deployment_id:' + d['id']]
    model = _last_segment(d.get('base_model') or '')
    if model and 'model' not in own:
        tags.append('model:' + model)
    for t in d.get('tags') or []:
        if isinstance(t, str) and _name(t) not in own:
            own.add(_name(t))
            tags.append(t)
    tags.extend(check_tags)
    return tags


def inventory_gauges(d, tags, now):
    points = [Point(name, d[field], tags) for name, field in REPLICA_GAUGES if d.get(field) is not None]
    if d.get('replicas') is not None and d.get('accelerator_count') is not None:
        points.append(Point('fireworks.deployment.accelerators', d['replicas'] * d['accelerator_count'], tags))
    if d.get('create_time') is not None:
        points.append(Point('fireworks.deployment.age', max(0.0, now - d['create_time']), tags))
    points.append(Point('fireworks.deployment.state', 1, tags + ['state:' + (d.get('state') or 'STATE_UNSPECIFIED')]))
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
        return CRITICAL, 'deployment {} FAILED{}'.format(d['id'], ': ' + message if message else '')
    if state in ('CREATING', 'UPDATING'):
        return WARNING, 'deployment {} is {}{}'.format(d['id'], state, ': ' + message if message else '')
    if state != 'READY':
        return UNKNOWN, 'deployment {} is in state {}'.format(d['id'], state)
    if short_since is not None and now - short_since >= grace:
        return WARNING, '{} of {} replicas of deployment {} ready for {} (ready_grace_period {} s)'.format(
            d.get('ready_replicas') or 0, d.get('desired_replicas'), d['id'], _minutes(now - short_since), grace)
    return OK, ''


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
            out.append(('failed', 'failed (was {}){}'.format(
                old.get('state'), ': ' + new['status_message'] if new.get('status_message') else '')))
        elif old.get('state') == 'FAILED' and new.get('state') == 'READY':
            out.append(('recovered', 'recovered: FAILED -> READY'))
        else:
            out.append(('state', 'state {} -> {}'.format(old.get('state'), new.get('state'))))
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
}


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
    deployment started being short of ready replicas, which usage series
    have a first value (and its day), and the refresh failures already logged."""

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
        self.logged = {'inventory': None, 'usage': None}

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
        usage = fleet.get('usage')
        if isinstance(usage, dict):
            self._attempt('usage', usage.get('attempt'), usage.get('last_good'), logs)
            good = usage.get('last_good')
            if isinstance(good, dict):
                self._problems('billing usage', good.get('problems') or {}, logs)
                gauges.append(Point('fireworks.usage.age', max(0.0, now - good.get('fetched_at', now)),
                                    self.check_tags))
                counts.extend(self._usage(good))
        return Outcome(gauges, checks, events, counts, logs)

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
        what = 'deployments inventory' if kind == 'inventory' else 'billing usage'
        if failed:
            kept = 'keeping the one fetched {:.0f} s ago'.format(attempt.get('at', 0) - good['fetched_at']) \
                if isinstance(good, dict) else 'none fetched yet'
            logs.append(('warning', 'refreshing the {} failed: {} ({}); {}'.format(
                what, attempt.get('message'), attempt.get('status_name'), kept)))
        elif self.logged[kind] is not None:
            logs.append(('info', 'the {} refreshes again'.format(what)))
        self.logged[kind] = key

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
            tags = tuple(['model:' + _last_segment(model), 'base_model:' + model] + self.check_tags)
            for metric, field in (('fireworks.usage.prompt_tokens', 'prompt'),
                                  ('fireworks.usage.completion_tokens', 'completion')):
                if number(row.get(field)) is not None:
                    totals[(metric, tags)] = row[field]
        return totals
