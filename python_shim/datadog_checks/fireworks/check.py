"""FireworksCheck: the Agent check. The library scrapes, parses and maps;
this class hands it the instance and submits what comes back."""
from . import binding
from .config import InvalidConfig, client_config, insecure_settings

try:
    from datadog_checks.base import AgentCheck, ConfigurationError
    from datadog_checks.base.errors import CheckException
except ImportError:  # the command line without datadog_checks_base
    from ._standalone import AgentCheck, CheckException, ConfigurationError

try:
    import datadog_agent  # provided by the Agent's embedded Python
except ImportError:
    try:
        from datadog_checks.base.stubs import datadog_agent
    except ImportError:
        datadog_agent = None

SERVICE_CHECK = 'fireworks.can_connect'


def _agent_proxy():
    try:
        return datadog_agent.get_config('proxy') if datadog_agent else None
    except Exception:
        return None


class FireworksCheck(AgentCheck):
    __NAMESPACE__ = 'fireworks'

    def __init__(self, name, init_config, instances):
        super(FireworksCheck, self).__init__(name, init_config, instances)
        self._cancelled = False
        try:
            self._client_config = client_config(self.instance, self.init_config, _agent_proxy())
        except InvalidConfig as e:
            raise ConfigurationError(str(e))
        try:
            self._client = binding.Client(self._client_config)
        except binding.FwmError as e:
            raise ConfigurationError(str(e))
        # Allowed, but said once per instance.
        self.insecure_warnings = insecure_settings(self.instance)
        for text in self.insecure_warnings:
            self.log.warning(text)

    def check(self, _):
        if self._cancelled:
            return
        try:
            with self._client.collect() as result:
                status, message = result.status, result.message
                raw = result.submissions_json()
        except binding.ClientClosed:
            return  # cancel() came first
        if self._cancelled or status == 'FWM_ERR_CANCELLED':
            # The Agent is unscheduling this check: its sender is going away.
            self.log.debug('collection cancelled: %s', message)
            return
        data = self._decode(raw, status, message)
        self._submit(data)
        sc = data['service_check']
        self.service_check(sc['name'], sc['status'], tags=sc['tags'], message=sc['message'] or None, raw=True)
        for level, text in data['logs']:
            getattr(self.log, level)(text)
        if sc['status'] == self.CRITICAL:
            raise CheckException(sc['message'] or message)
        if sc['status'] == self.WARNING:
            self.warning(sc['message'] or message)

    def _decode(self, raw, status, message):
        """The run's submissions; when the library could not build them (out
        of memory, a bug), a CRITICAL service check with the real message."""
        try:
            data = binding.loads(raw) if raw else None
        except ValueError:
            data = None
        if isinstance(data, dict) and 'service_check' in data:
            return data
        tags = ['fireworks_account:{}'.format(self.instance.get('account_id'))] + list(self.instance.get('tags') or [])
        text = message or 'the library returned no result'
        return {
            'groups': [],
            'check': {'tags': tags, 'gauges': [], 'counts': []},
            'service_check': {
                'name': SERVICE_CHECK,
                'status': self.CRITICAL,
                'message': '{} ({})'.format(text, status),
                'tags': tags,
            },
            'logs': [],
        }

    def _submit(self, data):
        # The hot loop: names are complete (raw=True skips the namespace) and
        # each group's tag list is built once, in the library.
        gauge, count, bucket = self.gauge, self.count, self.submit_histogram_bucket
        for group in data['groups']:
            tags = group['tags']
            for name, value in group['gauges']:
                gauge(name, value, tags, None, None, True)
            counts = group.get('counts')
            if counts:
                for name, value in counts:
                    count(name, value, tags, None, None, True)
            buckets = group.get('buckets')
            if buckets:
                for name, value, lower, upper in buckets:
                    bucket(name, value, lower, upper, False, None, tags, True)
        check = data['check']
        tags = check['tags']
        for name, value in check['gauges']:
            gauge(name, value, tags, None, None, True)
        for name, value in check['counts']:
            count(name, value, tags, None, None, True)

    def cancel(self):
        # Called by the Agent from another thread, maybe while check() runs:
        # it must not block. Freeing the handle ends a running collection at
        # once; the library keeps what that collection still uses.
        self._cancelled = True
        client = getattr(self, '_client', None)
        if client is not None:
            client.close()
