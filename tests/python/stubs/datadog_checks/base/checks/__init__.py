import logging

from ..stubs import aggregator, datadog_agent

# Tags a check may not set without the instance saying so (the base renames them).
GENERIC_TAGS = {'cluster_name', 'clustername', 'cluster', 'clusterid', 'cluster_id', 'env', 'host_name',
                'hostname', 'host', 'service', 'version'}


class AgentCheck(object):
    """The parts of datadog_checks.base.AgentCheck a check uses."""

    OK, WARNING, CRITICAL, UNKNOWN = (0, 1, 2, 3)
    __NAMESPACE__ = ''

    def __init__(self, *args, **kwargs):
        self.name = kwargs.get('name', args[0] if args else '')
        self.init_config = kwargs.get('init_config', args[1] if len(args) > 1 else {}) or {}
        instances = kwargs.get('instances', args[2] if len(args) > 2 else [])
        self.instances = instances or []
        self.instance = self.instances[0] if self.instances else None
        self.check_id = ''
        self.log = logging.getLogger('datadog_checks.base.checks.base.{}'.format(self.name))
        # The real constructor reads options from both with .get(): anything
        # but a mapping fails here, before the check's own code runs.
        self.init_config.get('debug_metrics')
        self.disable_generic_tags = (self.instance or {}).get('disable_generic_tags', False)

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
        try:
            value = float(value)
        except (ValueError, TypeError):
            self.warning('Metric: %r has non float value: %r', name, value)
            return
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
        # As in the real base: the count is an integer.
        value = int(value)
        aggregator.submit_histogram_bucket(self, self.check_id, self._format_namespace(name, raw), value,
                                           float(lower_bound), float(upper_bound), monotonic, hostname, tags,
                                           flush_first_value)

    def service_check(self, name, status, tags=None, hostname=None, message=None, raw=False):
        tags = self._normalize_tags_type(tags or [], None, name)
        if hostname is None:
            hostname = ''
        if message is None:
            message = ''
        aggregator.submit_service_check(self, self.check_id, self._format_namespace(name, raw), status, tags,
                                        hostname, message)

    def event(self, event):
        aggregator.submit_event(self, self.check_id, event)

    def set_metadata(self, name, value, **options):
        datadog_agent.set_check_metadata(self.check_id, name, value)

    def warning(self, warning_message, *args, **kwargs):
        self.log.warning(warning_message, *args, **kwargs)

    def run(self):
        """Runs check() once as the Agent does: '' on success, the error text on failure."""
        try:
            self.check(self.instance)
            return ''
        except Exception as e:
            return '[{"message": %r, "traceback": ""}]' % str(e)

    def check(self, instance):
        raise NotImplementedError
