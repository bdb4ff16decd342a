# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
import ast
import copy
import inspect
import json
import logging
import os
import traceback

import yaml

from ..log import CheckLoggingAdapter
from ..stubs import aggregator, datadog_agent

# Tags a check may not set without the instance saying so (the base renames them).
GENERIC_TAGS = {'cluster_name', 'clustername', 'cluster', 'clusterid', 'cluster_id', 'env', 'host_name',
                'hostname', 'host', 'service', 'version'}


class _SpecialFloats(ast.NodeTransformer):
    """repr() writes infinities and NaN as the names inf and nan, which
    literal_eval refuses: read them back as floats."""

    def visit_Name(self, node):
        if node.id in ('inf', 'nan'):
            return ast.Constant(value=float(node.id))
        return node


class AgentCheck(object):
    """The parts of datadog_checks.base.AgentCheck a check uses."""

    OK, WARNING, CRITICAL, UNKNOWN = (0, 1, 2, 3)
    __NAMESPACE__ = ''

    def __init__(self, *args, **kwargs):
        # The Agent passes keywords (rtloader getCheck): name, init_config,
        # instances as a tuple of one, and agentConfig when it retries a
        # constructor that failed. Tests often pass the first three by position.
        self.name = kwargs.get('name', args[0] if args else '')
        self.init_config = kwargs.get('init_config', args[1] if len(args) > 1 else {}) or {}
        instances = kwargs.get('instances', args[2] if len(args) > 2 else [])
        self.agentConfig = kwargs.get('agentConfig', {})
        self.instances = instances or []
        self.instance = self.instances[0] if self.instances else None
        # The Agent sets check_id once the constructor has returned: '' here.
        self.check_id = ''
        self.warnings = []
        # Deprecated in the real base, still set: the Agent's hostname.
        self.hostname = datadog_agent.get_hostname()
        self.log = CheckLoggingAdapter(logging.getLogger('datadog_checks.base.checks.base.{}'.format(self.name)), self)
        # The real constructor reads options from both with .get(): anything
        # but a mapping fails here, before the check's own code runs.
        self.init_config.get('debug_metrics')
        self.disable_generic_tags = (self.instance or {}).get('disable_generic_tags', False)

    @staticmethod
    def load_config(yaml_str):
        """What rtloader calls on the check's class for init_config and the
        instance, each a YAML string. The real one runs yaml.safe_load in a
        child interpreter and reads back what it printed (ast.literal_eval,
        with inf and nan restored): what safe_load gives, or the printed
        text itself when it is not a Python literal (a YAML date), which
        rtloader then refuses as "not a dict"."""
        printed = repr(yaml.safe_load(yaml_str))
        try:
            return ast.literal_eval(_SpecialFloats().visit(ast.parse(printed, mode='eval').body))
        except (ValueError, TypeError, SyntaxError):
            return printed

    # -- secrets -------------------------------------------------------------
    def register_secret(self, secret):
        self.__dict__.setdefault('_secrets', set()).add(secret)
        self.log.setup_sanitization(sanitize=self.sanitize)

    def sanitize(self, text):
        for secret in getattr(self, '_secrets', ()):
            text = text.replace(secret, '********')
        return text

    # -- submission --------------------------------------------------------
    def _format_namespace(self, s, raw=False):
        if not raw and self.__NAMESPACE__:
            return '{}.{}'.format(self.__NAMESPACE__, s)
        return s

    def _normalize_tags_type(self, tags, device_name=None, metric_name=None):
        normalized = []
        if device_name:
            normalized.append('device:{}'.format(device_name))
        for tag in tags:
            if tag is None:
                continue
            if isinstance(tag, bytes):
                tag = tag.decode('utf-8', 'replace')
            elif not isinstance(tag, str):
                tag = str(tag)
            normalized.append(tag)
        return normalized

    def _submit_metric(self, mtype, name, value, tags=None, hostname=None, device_name=None, raw=False,
                       flush_first_value=False):
        if value is None:
            return
        tags = self._normalize_tags_type(tags or [], device_name, name)
        if hostname is None:
            hostname = ''
        # As the real base outside the Agent: a value float() refuses with
        # ValueError is an error in tests (in the Agent, a warning); a
        # TypeError goes through either way.
        try:
            value = float(value)
        except ValueError:
            raise ValueError('Metric: {!r} has non float value: {!r}. Only float values can be submitted as '
                             'metrics.'.format(name, value))
        aggregator.submit_metric(self, self.check_id, mtype, self._format_namespace(name, raw), value, tags,
                                 hostname, flush_first_value)

    def gauge(self, name, value, tags=None, hostname=None, device_name=None, raw=False):
        self._submit_metric(aggregator.GAUGE, name, value, tags, hostname, device_name, raw)

    def count(self, name, value, tags=None, hostname=None, device_name=None, raw=False):
        self._submit_metric(aggregator.COUNT, name, value, tags, hostname, device_name, raw)

    def monotonic_count(self, name, value, tags=None, hostname=None, device_name=None, raw=False,
                        flush_first_value=False):
        self._submit_metric(aggregator.MONOTONIC_COUNT, name, value, tags, hostname, device_name, raw,
                            flush_first_value)

    def rate(self, name, value, tags=None, hostname=None, device_name=None, raw=False):
        self._submit_metric(aggregator.RATE, name, value, tags, hostname, device_name, raw)

    def histogram(self, name, value, tags=None, hostname=None, device_name=None, raw=False):
        self._submit_metric(aggregator.HISTOGRAM, name, value, tags, hostname, device_name, raw)

    def historate(self, name, value, tags=None, hostname=None, device_name=None, raw=False):
        self._submit_metric(aggregator.HISTORATE, name, value, tags, hostname, device_name, raw)

    def submit_histogram_bucket(self, name, value, lower_bound, upper_bound, monotonic, hostname, tags, raw=False,
                                flush_first_value=False):
        if value is None:
            return
        tags = self._normalize_tags_type(tags or [], None, name)
        if hostname is None:
            hostname = ''
        # As in the real base: the count is an integer; the rest is passed as given.
        value = int(value)
        aggregator.submit_histogram_bucket(self, self.check_id, self._format_namespace(name, raw), value,
                                           lower_bound, upper_bound, monotonic, hostname, tags, flush_first_value)

    def service_check(self, name, status, tags=None, hostname=None, message=None, raw=False):
        tags = self._normalize_tags_type(tags or [], None, name)
        if hostname is None:
            hostname = ''
        message = self.sanitize('' if message is None else message)
        aggregator.submit_service_check(self, self.check_id, self._format_namespace(name, raw), status, tags,
                                        hostname, message)

    def event(self, event):
        # As the real base: tags normalized when there are some, the
        # timestamp an integer, the namespace as the default source.
        if event.get('tags'):
            event['tags'] = self._normalize_tags_type(event['tags'])
        if event.get('timestamp'):
            event['timestamp'] = int(event['timestamp'])
        if self.__NAMESPACE__:
            event.setdefault('source_type_name', self.__NAMESPACE__)
        aggregator.submit_event(self, self.check_id, event)

    def set_metadata(self, name, value, **options):
        datadog_agent.set_check_metadata(self.check_id, name, value)

    def warning(self, warning_message, *args, **kwargs):
        """Logs and keeps the warning for the Agent's status page
        (get_warnings). As in the real base, the record carries the
        check_id of the moment, '' in __init__."""
        if args:
            warning_message = warning_message % args
        frame = inspect.currentframe().f_back
        self.log.warning(warning_message, extra={'_lineno': frame.f_lineno,
                                                 '_filename': os.path.basename(frame.f_code.co_filename),
                                                 '_check_id': self.check_id})
        self.warnings.append(warning_message)

    def get_warnings(self):
        """What the Agent collects after every run (rtloader getCheckWarnings)."""
        warnings, self.warnings = self.warnings, []
        return warnings

    def cancel(self):
        pass

    def run(self):
        """What the Agent calls (rtloader runCheck): check() on a copy of the
        instance; '' on success, else a JSON list of one object with the
        exception's message and traceback, both sanitized. The Agent shows
        that string as the run's error."""
        try:
            self.check(copy.deepcopy(self.instances[0]))
            return ''
        except Exception as e:
            return json.dumps([{'message': self.sanitize(str(e)), 'traceback': self.sanitize(traceback.format_exc())}])

    def check(self, instance):
        raise NotImplementedError
