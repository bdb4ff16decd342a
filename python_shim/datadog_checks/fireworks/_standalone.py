# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Just enough of datadog_checks.base for the command line when the real
package is not installed: AgentCheck's submission methods, recording
nothing (the command line wraps them). In the Agent the real one is used."""
import logging


class ConfigurationError(Exception):
    pass


class CheckException(Exception):
    pass


class AgentCheck(object):
    OK, WARNING, CRITICAL, UNKNOWN = (0, 1, 2, 3)
    __NAMESPACE__ = ''

    def __init__(self, name, init_config, instances):
        self.name = name
        self.init_config = init_config or {}
        self.instances = instances or []
        self.instance = self.instances[0] if self.instances else None
        self.check_id = ''
        self.log = logging.getLogger('datadog_checks.{}'.format(name))

    def gauge(self, name, value, tags=None, hostname=None, device_name=None, raw=False):
        pass

    def count(self, name, value, tags=None, hostname=None, device_name=None, raw=False):
        pass

    def submit_histogram_bucket(self, name, value, lower_bound, upper_bound, monotonic, hostname, tags, raw=False,
                                flush_first_value=False):
        pass

    def service_check(self, name, status, tags=None, hostname=None, message=None, raw=False):
        pass

    def warning(self, warning_message, *args, **kwargs):
        self.log.warning(warning_message, *args, **kwargs)
