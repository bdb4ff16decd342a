"""FireworksCheck: the Agent check. The library scrapes, parses and maps;
this class hands it the instance and submits what comes back."""
import json

from . import binding
from .config import InvalidConfig, client_config

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


def _agent_proxy():
    try:
        return datadog_agent.get_config('proxy') if datadog_agent else None
    except Exception:
        return None


class FireworksCheck(AgentCheck):
    __NAMESPACE__ = 'fireworks'

    def __init__(self, name, init_config, instances):
        super(FireworksCheck, self).__init__(name, init_config, instances)
        try:
            self._client_config = client_config(self.instance, self.init_config, _agent_proxy())
        except InvalidConfig as e:
            raise ConfigurationError(str(e))
        try:
            self._client = binding.Client(self._client_config)
        except binding.FwmError as e:
            raise ConfigurationError(str(e))

    def check(self, _):
        with self._client.collect() as result:
            data = json.loads(result.submissions_json())
            message = result.message
        self._submit(data)
        sc = data['service_check']
        self.service_check(sc['name'], sc['status'], tags=sc['tags'], message=sc['message'] or None, raw=True)
        for level, text in data['logs']:
            getattr(self.log, level)(text)
        if sc['status'] == self.CRITICAL:
            raise CheckException(message)
        if sc['status'] == self.WARNING:
            self.warning(message)

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
        self._client.close()
