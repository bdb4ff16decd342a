# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""What a run means for the check, decided from the facts the library
reports (the summary's "collection" and "mapping" members, fwm.h): the
fireworks.can_connect status and message, the check's own metrics, and what
is logged at which level. Pure functions: no Agent, no library."""
from collections import namedtuple

OK, WARNING, CRITICAL = 0, 1, 2

Report = namedtuple('Report', 'status message gauges counts logs')


def _plural(n, word):
    return '{} {}{}'.format(n, word, '' if n == 1 else 's')


def status_of(status):
    """OK when the collection worked (a cached response included); WARNING
    when only the rate limit stopped it; CRITICAL for everything else."""
    if status == 'FWM_OK':
        return OK
    if status == 'FWM_ERR_RATE_LIMITED':
        return WARNING
    return CRITICAL


def assess(status, message, summary):
    """The Report of one collection. `summary` is the result's summary, or
    None when the library could not build one (out of memory, a bug)."""
    readable = isinstance(summary, dict)
    summary = summary if readable else {}
    collection = summary.get('collection') or {}
    mapping = summary.get('mapping')
    level = status_of(status)
    text = '' if level == OK else (message or 'the collection failed ({})'.format(status))
    if level == OK and not readable:
        # Never silent: the run's own metrics, the fleet and the usage go with it.
        level = WARNING
        text = ('the library returned no readable summary for this run (out of memory, or a bug to report): '
                'the check\'s own metrics, the inventory and the usage are not sent this run')
    if level != OK and not collection:
        text = '{} ({})'.format(text, status)  # the library failed before reporting anything
    gauges, counts = [], []
    if collection:
        gauges.append(('fireworks.scrape.duration', collection.get('duration_s', 0)))
        counts.append(('fireworks.scrape.cache_hits', 1 if collection.get('from_cache') else 0))
        counts.append(('fireworks.scrape.rate_limited', 1 if collection.get('rate_limited') else 0))
    if mapping is not None:
        if collection:
            gauges.append(('fireworks.scrape.response_bytes', collection.get('body_bytes', 0)))
        gauges.extend(payload_gauges(summary))
    logs = payload_logs(summary)
    if collection.get('from_cache'):
        logs.append(('debug', 'served the response fetched {:.0f} s ago instead of a request (rate limit)'.format(
            collection.get('cache_age_s') or 0)))
    return Report(level, text, gauges, counts, logs)


def payload_gauges(summary):
    """The check's gauges about one mapped payload."""
    mapping = summary.get('mapping') or {}
    return [
        ('fireworks.scrape.series', summary.get('samples', 0)),
        ('fireworks.scrape.invalid_lines', summary.get('invalid_lines', 0)),
        ('fireworks.scrape.malformed_histograms', mapping.get('malformed_histograms', 0)),
        ('fireworks.deployments', mapping.get('deployments', 0)),
    ]


def payload_logs(summary):
    """(level, text) lines about one payload: problems worth a warning, the
    rest at info or debug."""
    logs = []
    invalid = summary.get('invalid_lines', 0)
    if invalid:
        text = '{} skipped in the payload'.format(_plural(invalid, 'invalid line'))
        errors = summary.get('errors') or []
        if errors:
            text += '; first: line {}: {}'.format(errors[0].get('line'), errors[0].get('reason'))
        logs.append(('warning', text))
    mapping = summary.get('mapping')
    if not mapping:
        return logs
    malformed = mapping.get('malformed_histograms')
    if malformed:
        logs.append(('info', '{} {} malformed (no +Inf bucket, an le missing, repeated or out of order, or a NaN or '
                             'infinite count) and used where possible'.format(
                                 _plural(malformed, 'histogram group'), 'was' if malformed == 1 else 'were')))
    gave_up = mapping.get('filter_gave_up')
    if gave_up:
        text = '{} series {} skipped in this run: '.format(gave_up, 'was' if gave_up == 1 else 'were')
        costly = mapping.get('costly_pattern')
        if costly:
            text += ("the pattern '{}' of option '{}' is too costly for the regular expression engine on them "
                     '(nested repeats such as (a+)+ backtrack without end), or they are longer than 256 bytes: '
                     'simplify it').format(costly.get('pattern'), costly.get('option'))
        if mapping.get('filter_over_budget'):
            text += '{}the filters used up their time for this run ({} ms); the rest are judged in the next runs'.format(
                '; and ' if costly else '', mapping.get('filter_budget_ms'))
        logs.append(('warning', text))
    if mapping.get('over_name_cap'):
        logs.append(('warning', '{} skipped: the payload has more than {} distinct metric names, which is not what a '
                                'Fireworks endpoint sends: check openmetrics_endpoint'.format(
                                    _plural(mapping['over_name_cap'], 'series'), mapping.get('max_names'))))
    if mapping.get('renamed'):
        logs.append(('info', "{} not in the check's table would have taken a name the check reserves, or one another "
                             'series uses: submitted as fireworks.series.<series name>'.format(
                                 _plural(mapping['renamed'], 'series name'))))
    if mapping.get('merged'):
        logs.append(('debug', '{} merged into another of the same name and tags (exclude_labels, empty label '
                              'values)'.format(_plural(mapping['merged'], 'sample'))))
    return logs
