# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Stand-in for datadog_checks.base.stubs.aggregator: records submissions and
offers the stub aggregator's assertions with the real signatures."""
import operator
import os
from collections import defaultdict, namedtuple

GAUGE, RATE, COUNT, MONOTONIC_COUNT, COUNTER, HISTOGRAM, HISTORATE = range(7)
METRIC_ENUM_MAP = {'gauge': GAUGE, 'rate': RATE, 'count': COUNT, 'monotonic_count': MONOTONIC_COUNT,
                   'counter': COUNTER, 'histogram': HISTOGRAM, 'historate': HISTORATE}
METRIC_ENUM_MAP_REV = {v: k for k, v in METRIC_ENUM_MAP.items()}
AGGREGATE_TYPES = {COUNT, COUNTER}

MetricStub = namedtuple('MetricStub', 'name type value tags hostname device flush_first_value')
ServiceCheckStub = namedtuple('ServiceCheckStub', 'check_id name status tags hostname message')
HistogramBucketStub = namedtuple(
    'HistogramBucketStub', 'name value lower_bound upper_bound monotonic hostname tags flush_first_value'
)


def normalize_tags(tags, sort=False):
    if not tags:
        return tags
    tags = [t.decode('utf-8') if isinstance(t, bytes) else t for t in tags]
    return sorted(tags) if sort else tags


def _c_string(s):
    """A "s" argument: a str without NUL that encodes to UTF-8."""
    if not isinstance(s, str):
        raise TypeError('argument must be str, not {}'.format(type(s).__name__))
    if '\0' in s:
        raise ValueError('embedded null character')
    s.encode('utf-8')


# Tag names the real test stub refuses from a check (datadog_checks_base
# stubs/aggregator.py): the Agent sets them itself (service, from the
# instance) or users do (env, version). DDEV_SKIP_GENERIC_TAGS_CHECK turns
# the check off, as there.
GENERIC_TAG_NAMES = {'cluster_name', 'clustername', 'cluster', 'clusterid', 'cluster_id', 'env', 'host_name',
                     'hostname', 'host', 'service', 'version'}


def _check_generic_tags(tags):
    if os.environ.get('DDEV_SKIP_GENERIC_TAGS_CHECK'):
        return
    for tag in tags or ():
        name = tag.split(':', 1)[0] if isinstance(tag, str) else None
        if name in GENERIC_TAG_NAMES:
            raise AssertionError('forbidden tag: {}'.format(tag))


def _c_tags(tags):
    """Tags go through py_tag_to_c: a sequence; items that are not strings are skipped."""
    if not isinstance(tags, (list, tuple)):
        raise TypeError('tags must be a sequence')


def _c_int(v):
    """An "i" (and "L") argument: an integer, or what has __index__ (bool
    does); a float or a string is a TypeError."""
    return operator.index(v)


def _c_double(v):
    """A "d" or "f" argument: a number, or what has __float__; unlike
    float(), a string is a TypeError."""
    if isinstance(v, (str, bytes, bytearray)):
        raise TypeError('must be real number, not {}'.format(type(v).__name__))
    return float(v)


class AggregatorStub(object):
    GAUGE, RATE, COUNT, MONOTONIC_COUNT, COUNTER, HISTOGRAM, HISTORATE = range(7)
    METRIC_ENUM_MAP = METRIC_ENUM_MAP
    METRIC_ENUM_MAP_REV = METRIC_ENUM_MAP_REV

    def __init__(self):
        self.reset()

    @staticmethod
    def is_aggregate(mtype):
        return mtype in AGGREGATE_TYPES

    # -- what the check calls ---------------------------------------------
    # The Agent's rtloader converts each argument with PyArg_ParseTuple
    # (datadog-agent rtloader/common/builtins/aggregator.c): these raise as
    # its conversions would, so that a value the real Agent refuses fails here.
    # The argument order is the builtins' own; what the Agent then does with
    # a submission whose check_id has no sender (it is dropped) is up to the
    # test (agent_loader.py).
    def submit_metric(self, check, check_id, mtype, name, value, tags, hostname, flush_first_value=False):
        # "OsisdOs|i"
        _c_string(check_id), _c_int(mtype), _c_string(name), _c_double(value), _c_string(hostname), _c_tags(tags)
        _c_int(flush_first_value)
        _check_generic_tags(tags)
        self._metrics[name].append(MetricStub(name, mtype, value, tags, hostname, None, flush_first_value))

    def submit_service_check(self, check, check_id, name, status, tags, hostname, message):
        # "OssiOss": the message is a str, never None (the base turns None into '')
        _c_string(check_id), _c_string(name), _c_int(status), _c_tags(tags), _c_string(hostname), _c_string(message)
        _check_generic_tags(tags)
        if status == 0 and message:
            raise Exception('Expected empty message on OK service check')
        self._service_checks[name].append(
            ServiceCheckStub(check_id, name, status, normalize_tags(tags), hostname, message)
        )

    def submit_histogram_bucket(self, check, check_id, name, value, lower_bound, upper_bound, monotonic, hostname,
                                tags, flush_first_value=False):
        # "OssLffisO|b"
        _c_string(check_id), _c_string(name)
        value = _c_int(value)
        if not -2**63 <= value < 2**63:
            raise OverflowError('Python int too large to convert to C long long')
        _c_double(lower_bound), _c_double(upper_bound), _c_int(monotonic), _c_string(hostname), _c_tags(tags)
        if not 0 <= _c_int(flush_first_value) <= 255:
            raise OverflowError('unsigned byte integer is out of range')
        _check_generic_tags(tags)
        self._histogram_buckets[name].append(
            HistogramBucketStub(name, value, lower_bound, upper_bound, monotonic, hostname, tags, flush_first_value)
        )

    def submit_event(self, check, check_id, event):
        # "OsO", then: a dict, and its tags, when the key is there, a
        # sequence (None is not one). Fields that are not strings reach the
        # Agent empty.
        _c_string(check_id)
        if not isinstance(event, dict):
            raise TypeError('event must be a dict')
        if 'tags' in event:
            _c_tags(event['tags'])
        self._events.append(event)

    # -- accessors ----------------------------------------------------------
    def metrics(self, name):
        return [MetricStub(m.name, m.type, m.value, normalize_tags(m.tags), m.hostname, m.device,
                           m.flush_first_value) for m in self._metrics.get(name, [])]

    def histogram_bucket(self, name):
        return [HistogramBucketStub(b.name, b.value, b.lower_bound, b.upper_bound, b.monotonic, b.hostname,
                                    normalize_tags(b.tags), b.flush_first_value)
                for b in self._histogram_buckets.get(name, [])]

    def service_checks(self, name):
        return list(self._service_checks.get(name, []))

    @property
    def metric_names(self):
        return list(self._metrics)

    @property
    def events(self):
        return list(self._events)

    def reset(self):
        self._metrics = defaultdict(list)
        self._asserted = set()
        self._service_checks = defaultdict(list)
        self._histogram_buckets = defaultdict(list)
        self._events = []

    # -- assertions ---------------------------------------------------------
    def assert_metric(self, name, value=None, tags=None, count=None, at_least=1, hostname=None, metric_type=None,
                      device=None, flush_first_value=None):
        self._asserted.add(name)
        expected_tags = normalize_tags(tags, sort=True)
        candidates = []
        for metric in self.metrics(name):
            if value is not None and not self.is_aggregate(metric.type) and value != metric.value:
                continue
            if expected_tags and expected_tags != sorted(metric.tags):
                continue
            if hostname is not None and hostname != metric.hostname:
                continue
            if metric_type is not None and metric_type != metric.type:
                continue
            if flush_first_value is not None and flush_first_value != metric.flush_first_value:
                continue
            candidates.append(metric)
        expected = 'metric {} value={} tags={} type={}'.format(name, value, expected_tags, metric_type)
        if value is not None and candidates and all(self.is_aggregate(m.type) for m in candidates):
            got = sum(m.value for m in candidates)
            assert value == got, 'expected {}, got sum {}'.format(expected, got)
        if count is not None:
            assert len(candidates) == count, 'expected {} {} times, got {}; submitted: {}'.format(
                expected, count, len(candidates), self.metrics(name))
        else:
            assert len(candidates) >= at_least, 'expected {} at least {} times, got {}; submitted: {}'.format(
                expected, at_least, len(candidates), self.metrics(name)[:5])

    def assert_histogram_bucket(self, name, value, lower_bound, upper_bound, monotonic, hostname, tags, count=None,
                                at_least=1, flush_first_value=None):
        expected_tags = normalize_tags(tags, sort=True)
        candidates = []
        for bucket in self.histogram_bucket(name):
            if value is not None and value != bucket.value:
                continue
            if expected_tags and expected_tags != sorted(bucket.tags):
                continue
            if hostname and hostname != bucket.hostname:
                continue
            if monotonic != bucket.monotonic:
                continue
            if lower_bound is not None and lower_bound != bucket.lower_bound:
                continue
            if upper_bound is not None and upper_bound != bucket.upper_bound:
                continue
            if flush_first_value is not None and flush_first_value != bucket.flush_first_value:
                continue
            candidates.append(bucket)
        expected = 'bucket {} value={} [{}, {}] monotonic={} tags={}'.format(
            name, value, lower_bound, upper_bound, monotonic, expected_tags)
        if count is not None:
            assert len(candidates) == count, 'expected {} {} times, got {}'.format(expected, count, len(candidates))
        else:
            assert len(candidates) >= at_least, 'expected {}, got {}; submitted: {}'.format(
                expected, len(candidates), self.histogram_bucket(name)[:5])

    def assert_service_check(self, name, status=None, tags=None, count=None, at_least=1, hostname=None,
                             message=None):
        expected_tags = normalize_tags(tags, sort=True)
        candidates = []
        for sc in self.service_checks(name):
            if status is not None and status != sc.status:
                continue
            if expected_tags and expected_tags != sorted(sc.tags):
                continue
            if hostname is not None and hostname != sc.hostname:
                continue
            if message is not None and message != sc.message:
                continue
            candidates.append(sc)
        expected = 'service check {} status={} tags={} message={!r}'.format(name, status, expected_tags, message)
        if count is not None:
            assert len(candidates) == count, 'expected {} {} times, got {}: {}'.format(
                expected, count, len(candidates), self.service_checks(name))
        else:
            assert len(candidates) >= at_least, 'expected {}, got {}'.format(expected, self.service_checks(name))

    @property
    def metrics_asserted_pct(self):
        names = set(self._metrics)
        if not names:
            return 100.0
        return 100.0 * len(names & self._asserted) / len(names)

    @property
    def not_asserted(self):
        return sorted(set(self._metrics) - self._asserted)

    def assert_all_metrics_covered(self):
        assert self.metrics_asserted_pct >= 100.0, 'metrics not asserted: {}'.format(self.not_asserted)

    def assert_metrics_using_metadata(self, metadata_metrics, check_metric_type=True, check_submission_type=False,
                                      exclude=None):
        exclude = exclude or []
        errors = set()
        for name, stubs in self._metrics.items():
            if name in exclude:
                continue
            if name not in metadata_metrics:
                errors.add("Expect `{}` to be in metadata.csv.".format(name))
                continue
            for stub in stubs:
                actual = METRIC_ENUM_MAP_REV[stub.type]
                expected = metadata_metrics[name]['metric_type']
                if check_submission_type and actual in ('histogram', 'historate'):
                    actual = 'gauge'
                if check_metric_type and expected != actual:
                    errors.add("Expect `{}` to have type `{}` but got `{}`.".format(name, expected, actual))
        assert not errors, 'Metadata assertion errors using metadata.csv:\n' + '\n'.join(sorted(errors))

    def assert_no_duplicate_metrics(self):
        seen, duplicates = set(), []
        for name, stubs in self._metrics.items():
            for m in stubs:
                key = (m.name, m.type, tuple(sorted(m.tags)), m.hostname)
                if key in seen:
                    duplicates.append(key)
                seen.add(key)
        assert not duplicates, 'duplicate metrics: {}'.format(duplicates[:10])

