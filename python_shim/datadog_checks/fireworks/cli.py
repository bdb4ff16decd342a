# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Command line of the Fireworks check.

  python3 -m datadog_checks.fireworks check -c conf.yaml [--json] [--times N] [--interval S]
      one run per instance by default, as `datadog-agent check` does: that
      first run is what follows every restart; --times N shows the later ones
  python3 -m datadog_checks.fireworks parse FILE|- [--samples | --summary]
"""
import argparse
import contextlib
import json
import logging
import math
import sys
import time
from collections import Counter, defaultdict

from . import binding, policy
from .__about__ import __version__

SERVICE_CHECK_STATUS = {0: 'OK', 1: 'WARNING', 2: 'CRITICAL', 3: 'UNKNOWN'}


def _read(path):
    if path == '-':
        return sys.stdin.buffer.read()
    with open(path, 'rb') as f:
        return f.read()


def _number(v):
    """JSON has no infinities: they print as the strings Prometheus uses."""
    if isinstance(v, float) and math.isinf(v):
        return '+Inf' if v > 0 else '-Inf'
    return v


def _report_invalid(summary, out):
    for e in summary['errors']:
        out.write('line {}: {}\n'.format(e['line'], e['reason']))
    more = summary['invalid_lines'] - len(summary['errors'])
    if more > 0:
        out.write('... and {} more invalid line{}\n'.format(more, '' if more == 1 else 's'))


class Recorder(object):
    """Stands between the check and the aggregator and keeps what it submits."""

    def __init__(self):
        self.items = []

    def attach(self, check):
        items = self.items

        def metric(kind):
            def submit(name, value, tags=None, hostname=None, device_name=None, raw=False):
                items.append({'kind': 'metric', 'type': kind, 'name': name, 'value': value, 'tags': list(tags or [])})

            return submit

        def bucket(name, value, lower_bound, upper_bound, monotonic, hostname, tags, raw=False,
                   flush_first_value=False):
            items.append({'kind': 'histogram_bucket', 'name': name, 'value': int(value), 'lower': lower_bound,
                          'upper': upper_bound, 'monotonic': monotonic, 'tags': list(tags or [])})

        def service_check(name, status, tags=None, hostname=None, message=None, raw=False):
            items.append({'kind': 'service_check', 'name': name, 'status': status, 'message': message or '',
                          'tags': list(tags or [])})

        def monotonic_count(name, value, tags=None, hostname=None, device_name=None, raw=False,
                            flush_first_value=False):
            items.append({'kind': 'metric', 'type': 'monotonic_count', 'name': name, 'value': value,
                          'tags': list(tags or []), 'flush_first_value': flush_first_value})

        def event(e):
            items.append({'kind': 'event', 'title': e.get('msg_title', ''), 'text': e.get('msg_text', ''),
                          'alert_type': e.get('alert_type', 'info'), 'aggregation_key': e.get('aggregation_key'),
                          'tags': list(e.get('tags') or [])})

        check.gauge = metric('gauge')
        check.count = metric('count')
        check.monotonic_count = monotonic_count
        check.event = event
        check.submit_histogram_bucket = bucket
        check.service_check = service_check

    def take(self):
        items, self.items[:] = list(self.items), []
        return items


def submissions_from_groups(groups, check_gauges=(), check_tags=()):
    """The same JSON-lines form, from the library's groups (parse command)."""
    out = []
    for group in groups:
        tags = group['tags']
        for name, value in group.get('gauges', []):
            out.append({'kind': 'metric', 'type': 'gauge', 'name': name, 'value': value, 'tags': tags})
        for name, value in group.get('counts', []):
            out.append({'kind': 'metric', 'type': 'count', 'name': name, 'value': value, 'tags': tags})
        for name, value, lower, upper in group.get('buckets', []):
            out.append({'kind': 'histogram_bucket', 'name': name, 'value': int(value), 'lower': lower,
                        'upper': upper, 'monotonic': False, 'tags': tags})
    for name, value in check_gauges:
        out.append({'kind': 'metric', 'type': 'gauge', 'name': name, 'value': value, 'tags': list(check_tags)})
    return out


def _print_json(items, out):
    for item in items:
        item = dict(item)
        for key in ('value', 'lower', 'upper'):
            if key in item:
                item[key] = _number(item[key])
        out.write(json.dumps(item, separators=(',', ':')) + '\n')


# What the inventory, the usage, the capacity and the costs submit (fleet.py): shown in their own section.
FLEET_PREFIXES = ('fireworks.deployment.', 'fireworks.inventory.', 'fireworks.usage.', 'fireworks.quota.',
                  'fireworks.spend.', 'fireworks.cost.')
READY_CHECK = 'fireworks.deployment.ready'
ACCOUNT_CHECK = 'fireworks.account.status'


def _tag(tags, name):
    return next((t.split(':', 1)[1] for t in tags if t.startswith(name + ':')), '')


def _status(sc):
    return '{}{}'.format(SERVICE_CHECK_STATUS.get(sc['status'], sc['status']),
                         ' - ' + sc['message'] if sc['message'] else '')


def _print_fleet(items, out, instance=None):
    """The inventory (one line per deployment: its fireworks.deployment.*
    gauges and its fireworks.deployment.ready status), the events and the
    usage counts, or, when the instance asks for them, that they have not
    arrived in this run."""
    instance = instance if isinstance(instance, dict) else {}
    by_deployment = defaultdict(dict)
    for i in items:
        if i['kind'] == 'metric' and i['name'].startswith('fireworks.deployment.'):
            d = by_deployment[_tag(i['tags'], 'deployment_id')]
            d[i['name'][len('fireworks.deployment.'):]] = i['value']
            if i['name'] == 'fireworks.deployment.state':
                d['state_name'] = _tag(i['tags'], 'state')
            d.setdefault('accelerator_type', _tag(i['tags'], 'accelerator_type'))
            if i['name'] == 'fireworks.deployment.estimated_cost_per_hour':
                d['price_source'] = _tag(i['tags'], 'price_source')
        elif i['kind'] == 'service_check' and i['name'] == READY_CHECK:
            by_deployment[_tag(i['tags'], 'deployment_id')]['ready_check'] = _status(i)
    if by_deployment:
        age = next((i['value'] for i in items if i['kind'] == 'metric' and i['name'] == 'fireworks.inventory.age'),
                   None)
        _print_inventory(by_deployment, age, out)
    elif instance.get('collect_inventory') is True:
        out.write('fleet: no deployments inventory in this run (collect_inventory: it has not arrived yet)\n')
    for e in (i for i in items if i['kind'] == 'event'):
        out.write('event [{}] {}\n'.format(e['alert_type'], e['title']))
    usage = [m for m in items if m['kind'] == 'metric' and m.get('type') == 'monotonic_count' and
             m['name'].startswith('fireworks.usage.')]
    for m in usage:
        subject = ', '.join(t for t in m['tags'] if t.split(':', 1)[0] in ('deployment_id', 'accelerator_type', 'model'))
        out.write('usage today {} {{{}}} = {:.15g}\n'.format(m['name'], subject, m['value']))
    if not usage and instance.get('collect_usage') is True:
        out.write('usage: no billing usage in this run (collect_usage: it has not arrived yet)\n')
    _print_capacity(items, out, instance)
    _print_costs(items, by_deployment, out, instance)


def _gauges(items, name):
    return [i for i in items if i['kind'] == 'metric' and i['name'] == name]


def _percent(part, whole):
    return ' ({:.0f} %)'.format(100.0 * part / whole) if whole else ''


def _print_capacity(items, out, instance):
    """The account status is a service check line; a line per quota, one for the spend."""
    if instance.get('collect_capacity') is True and not any(
            i['kind'] == 'service_check' and i['name'] == ACCOUNT_CHECK for i in items) and not _gauges(
                items, 'fireworks.quota.usage'):
        out.write('capacity: no account or quotas in this run (collect_capacity: it has not arrived yet)\n')
    quotas = defaultdict(dict)
    for i in items:
        # Per quota only: fireworks.quota.age is the listing's, not a quota's.
        if i['kind'] == 'metric' and i['name'].startswith('fireworks.quota.') and _tag(i['tags'], 'quota'):
            quotas[_tag(i['tags'], 'quota')][i['name'][len('fireworks.quota.'):]] = i['value']
    for q_id in sorted(quotas):
        q = quotas[q_id]
        parts = ['usage {:.15g}'.format(q['usage']) if 'usage' in q else 'usage -']
        if 'limit' in q:
            parts[0] += ' of {:.15g}{}'.format(q['limit'], _percent(q.get('usage', 0), q['limit']))
        if 'max_approved' in q:
            parts.append('max approved {:.15g}'.format(q['max_approved']))
        if 'accelerators_in_use' in q:
            parts.append('{:.15g} accelerators in use'.format(q['accelerators_in_use']))
        out.write('quota {}: {}\n'.format(q_id, ', '.join(parts)))
    spend = {i['name'][len('fireworks.spend.'):]: i['value'] for i in items
             if i['kind'] == 'metric' and i['name'].startswith('fireworks.spend.')}
    if 'month_to_date' in spend:
        out.write('spend this month: {:.2f}{}{}\n'.format(
            spend['month_to_date'],
            ' of {:.2f}{}'.format(spend['limit'], _percent(spend['month_to_date'], spend['limit']))
            if 'limit' in spend else '',
            ', projected {:.2f} at month end'.format(spend['projected_month_end'])
            if 'projected_month_end' in spend else ''))


def _print_costs(items, by_deployment, out, instance):
    """Today's rated dollars per model and per API key, and each deployment's estimate."""
    rated = _gauges(items, 'fireworks.cost.rated_today')
    for m in sorted(rated, key=lambda m: (_tag(m['tags'], 'cost_by'), -m['value'])):
        by = _tag(m['tags'], 'cost_by')
        who = _tag(m['tags'], 'model') if by == 'model' else _tag(m['tags'], 'api_key_id')
        user = _tag(m['tags'], 'user')
        out.write('dollars today by {} {}{} = {:.2f} {}\n'.format(
            by, who or '(none)', ' ({})'.format(user) if user else '', m['value'],
            _tag(m['tags'], 'currency') or 'USD'))
    if not rated and instance.get('collect_costs') is True:
        out.write('costs: no rated dollars in this run (collect_costs: they have not arrived yet)\n')
    for d_id in sorted(by_deployment):
        d = by_deployment[d_id]
        if 'estimated_cost_per_hour' in d:
            out.write('estimated cost of {}: {:.2f} USD/hour ({}){}\n'.format(
                d_id, d['estimated_cost_per_hour'], d.get('price_source') or '?',
                ', {:.4g} USD per million prompt tokens'.format(d['estimated_cost_per_million_tokens'])
                if 'estimated_cost_per_million_tokens' in d else ''))


def _print_inventory(by_deployment, age, out):
    def number(d, key):
        v = d.get(key)
        return '-' if v is None else '{:.0f}'.format(v)

    width = max(len('deployment'), *(len(k) for k in by_deployment))
    out.write('fleet: {} deployment{} in the inventory{}\n'.format(
        len(by_deployment), '' if len(by_deployment) == 1 else 's',
        '' if age is None else ' (fetched {:.0f} s ago)'.format(age)))
    out.write('  {:<{w}}  {:<9}  {:>8}  {:>5}  {:>7}  {:>8}  {:>12}  {}\n'.format(
        'deployment', 'state', 'replicas', 'ready', 'desired', 'min..max', 'accelerators', READY_CHECK, w=width))
    for d_id in sorted(by_deployment):
        d = by_deployment[d_id]
        bounds = '{}..{}'.format(number(d, 'replicas.min'), number(d, 'replicas.max'))
        out.write('  {:<{w}}  {:<9}  {:>8}  {:>5}  {:>7}  {:>8}  {:>12}  {}\n'.format(
            d_id, d.get('state_name') or '-', number(d, 'replicas'), number(d, 'replicas.ready'),
            number(d, 'replicas.desired'), bounds, number(d, 'accelerators'), d.get('ready_check', '-'), w=width))


def _print_readable(items, out, elapsed=None, instance=None):
    metrics = [i for i in items if i['kind'] == 'metric']
    buckets = [i for i in items if i['kind'] == 'histogram_bucket']
    checks = [i for i in items if i['kind'] == 'service_check' and i['name'] != READY_CHECK]
    scrape = {m['name']: m['value'] for m in metrics if m['name'].startswith('fireworks.scrape.')}
    deployments = [m['value'] for m in metrics if m['name'] == 'fireworks.deployments']
    for sc in checks:
        out.write('service check {}: {}\n'.format(sc['name'], _status(sc)))
    _print_fleet(items, out, instance)
    joined = next((m['tags'] for m in metrics if m['name'] == 'fireworks.requests.rate' and
                   any(t.startswith('accelerator_type:') for t in m['tags'])), None)
    if joined:
        out.write('tags of a deployment\'s metrics: {}\n'.format(', '.join(joined)))
    if 'fireworks.scrape.series' in scrape:
        out.write('collected {:.0f} series from {:.0f} deployments in {:.0f} ms ({:.0f} KB){}\n'.format(
            scrape['fireworks.scrape.series'], deployments[0] if deployments else 0,
            scrape.get('fireworks.scrape.duration', 0) * 1000, scrape.get('fireworks.scrape.response_bytes', 0) / 1024,
            ', served from the last response (rate limit)' if scrape.get('fireworks.scrape.cache_hits') else ''))
    out.write('{} metric points and {} distribution buckets would be sent{}\n'.format(
        len(metrics), len(buckets), '' if elapsed is None else ' ({:.0f} ms for the whole run)'.format(elapsed * 1000)))
    quantile_suffixes = ('.p50', '.p90', '.p95', '.p99')
    by_name = defaultdict(list)
    for m in metrics:
        if not m['name'].startswith(('fireworks.scrape.',) + FLEET_PREFIXES) and \
                not m['name'].endswith(quantile_suffixes):
            by_name[m['name']].append(m['value'])
    if by_name:
        width = max(len(n) for n in by_name)
        out.write('  {:<{w}}  {:>6}  {:>10}  {:>10}\n'.format('gauge', 'series', 'min', 'max', w=width))
        for name in sorted(by_name):
            values = by_name[name]
            out.write('  {:<{w}}  {:>6}  {:>10.4g}  {:>10.4g}\n'.format(name, len(values), min(values), max(values),
                                                                      w=width))
    quantiles = defaultdict(list)
    for m in metrics:
        if m['name'].endswith(quantile_suffixes):
            quantiles[m['name']].append(m['value'])
    observations = Counter()
    for b in buckets:
        observations[b['name']] += b['value']
    names = sorted(set(observations) | {q.rsplit('.', 1)[0] for q in quantiles})
    if names:
        width = max(len(n) for n in names)
        out.write('  {:<{w}}  {:>12}  {:>17}  {:>17}  {:>17}\n'.format(
            'distribution', 'observations', 'p50 (min..max)', 'p95 (min..max)', 'p99 (min..max)', w=width))
        for name in names:
            cells = []
            for q in ('p50', 'p95', 'p99'):
                v = quantiles.get(name + '.' + q)
                cells.append('{:.4g}..{:.4g}'.format(min(v), max(v)) if v else '-')
            out.write('  {:<{w}}  {:>12}  {:>17}  {:>17}  {:>17}\n'.format(name, observations.get(name, 0), *cells,
                                                                         w=width))


class _StderrHandler(logging.Handler):
    def __init__(self, prefix):
        super(_StderrHandler, self).__init__(logging.WARNING)
        self.prefix = prefix

    def emit(self, record):
        sys.stderr.write('{}{}: {}\n'.format(self.prefix, record.levelname.lower(), record.getMessage()))


@contextlib.contextmanager
def _warnings_to_stderr(prefix):
    """What the check logs at warning and above during a run, as the Agent's
    log would show it, named by instance (the configuration warnings come
    with the first run, as in the Agent)."""
    logger = logging.getLogger('datadog_checks')
    handler = _StderrHandler(prefix)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def cmd_check(args):
    import yaml

    from .check import FireworksCheck

    try:
        with open(args.config, encoding='utf-8') as f:
            conf = yaml.safe_load(f) or {}
    except OSError as e:
        sys.stderr.write('cannot read {}: {}\n'.format(args.config, e.strerror or e))
        return 2
    except UnicodeDecodeError as e:
        sys.stderr.write('{} is not UTF-8 text: {}\n'.format(args.config, e))
        return 2
    except yaml.YAMLError as e:
        sys.stderr.write('{} is not valid YAML: {}\n'.format(args.config, e))
        return 2
    if not isinstance(conf, dict):
        sys.stderr.write('{} must be a mapping with init_config and instances\n'.format(args.config))
        return 2
    instances = conf.get('instances') or []
    if not isinstance(instances, list):
        sys.stderr.write('{}: instances must be a list\n'.format(args.config))
        return 2
    if not instances:
        sys.stderr.write('{} has no instances\n'.format(args.config))
        return 2
    failed = False
    for n, instance in enumerate(instances):
        try:
            check = FireworksCheck('fireworks', conf.get('init_config') or {}, [instance])
        except Exception as e:
            sys.stderr.write('instance {}: configuration error: {}\n'.format(n, e))
            failed = True
            continue
        recorder = Recorder()
        recorder.attach(check)
        for run in range(args.times):
            if run:
                time.sleep(args.interval)
            started = time.monotonic()
            error = None
            try:
                with _warnings_to_stderr('instance {}: '.format(n)):
                    check.check(instance)
            except Exception as e:
                error = str(e)
                failed = True
            items = recorder.take()
            if args.json:
                _print_json(items, sys.stdout)
            else:
                sys.stdout.write('=== instance {} ({}), run {}/{}\n'.format(
                    n, instance.get('account_id', '?'), run + 1, args.times))
                _print_readable(items, sys.stdout, time.monotonic() - started, instance)
            if error:
                sys.stderr.write('instance {} run {}: {}\n'.format(n, run + 1, error))
            sys.stdout.flush()
        check.cancel()
    return 1 if failed else 0


def cmd_parse(args):
    try:
        data = _read(args.file)
    except OSError as e:
        sys.stderr.write('cannot read {}: {}\n'.format(args.file, e.strerror or e))
        return 2
    mapping = None if (args.samples or args.summary) else {}
    with binding.parse(data, format=args.format, samples=args.samples or args.summary, max_errors=args.max_errors,
                       mapping=mapping) as result:
        summary = result.summary()
        if args.samples:
            sys.stdout.buffer.write(result.samples_json())
            sys.stdout.flush()
        elif args.summary:
            _print_summary(args.file, summary, result.samples(), sys.stdout)
        else:
            _print_json(submissions_from_groups(result.groups(), policy.payload_gauges(summary)), sys.stdout)
    _report_invalid(summary, sys.stderr)
    return 0


def _print_summary(path, summary, samples, out):
    out.write('{}: {} series from {} lines ({} format), {} invalid line{}\n'.format(
        path, summary['samples'], summary['lines'], summary['format'], summary['invalid_lines'],
        '' if summary['invalid_lines'] == 1 else 's'))
    names = Counter(s['name'] for s in samples)
    if names:
        width = max(len(n) for n in names)
        out.write('{:<{w}}  series\n'.format('metric', w=width))
        for name, count in sorted(names.items()):
            out.write('{:<{w}}  {:>6}\n'.format(name, count, w=width))


def _count(text):
    n = int(text)
    if n < 1:
        raise argparse.ArgumentTypeError('must be 1 or more, not {}'.format(text))
    return n


def _seconds(text):
    s = float(text)
    if not 0 <= s <= 86400:  # also refuses nan
        raise argparse.ArgumentTypeError('must be between 0 and 86400 seconds, not {}'.format(text))
    return s


def build_parser():
    ap = argparse.ArgumentParser(prog='python3 -m datadog_checks.fireworks', description='Fireworks AI check tools')
    ap.add_argument('--version', action='version', version='%(prog)s ' + __version__)
    sub = ap.add_subparsers(dest='command', required=True)

    c = sub.add_parser('check', help='run the check like `datadog-agent check fireworks`')
    c.add_argument('-c', '--config', required=True, help='a conf.yaml with init_config and instances')
    c.add_argument('--json', action='store_true', help='one JSON object per submission')
    c.add_argument('--times', type=_count, default=1,
                   help='runs per instance (default 1, the first run, as datadog-agent check does)')
    c.add_argument('--interval', type=_seconds, default=15.0, help='seconds between runs')
    c.set_defaults(func=cmd_check)

    p = sub.add_parser('parse', help='parse and map a payload without network')
    p.add_argument('file', help='payload file, or - for standard input')
    mode = p.add_mutually_exclusive_group()
    mode.add_argument('--samples', action='store_true', help='print one JSON object per parsed sample')
    mode.add_argument('--summary', action='store_true', help='print the series found, by name')
    p.add_argument('--format', choices=['auto', 'prometheus', 'openmetrics'], default='auto')
    p.add_argument('--max-errors', type=int, default=8, help='invalid lines reported with their line number')
    p.set_defaults(func=cmd_parse)
    return ap


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # `... | head`: the reader has all it wanted
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except binding.LibraryError as e:
        sys.stderr.write('error: {}\n'.format(e))
        return 3
    except binding.FwmError as e:
        sys.stderr.write('error: {}\n'.format(e))
        return 2
