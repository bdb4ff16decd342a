# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""FireworksCheck: the Agent check. The library scrapes, parses and maps;
this class hands it the instance and submits what comes back."""
import time

from . import binding, fleet, policy
from .config import (InvalidConfig, client_config, insecure_settings, option_warnings, ready_grace_period,
                     without_secret)

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

    def __init__(self, name, init_config, instances, agentConfig=None):
        # agentConfig: when a constructor raises, the Agent calls it once more
        # with that keyword too (pkg/collector/python/check.go). Taking it
        # means the second call fails with the same ConfigurationError, not
        # with a TypeError about the keyword that hides the first.
        # AgentCheck reads both with .get(): say what is wrong before it fails on them.
        if init_config is not None and not isinstance(init_config, dict):
            raise ConfigurationError('init_config must be a mapping of options')
        if instances and not isinstance(instances[0], dict):
            raise ConfigurationError('the instance must be a mapping of options')
        super(FireworksCheck, self).__init__(name, init_config, instances)
        self._cancelled = False
        # A value echoed in an error (a pattern, a label) may be the key pasted in the wrong place.
        try:
            self._client_config = client_config(self.instance, self.init_config, _agent_proxy())
        except InvalidConfig as e:
            raise ConfigurationError(without_secret(str(e), self.instance)) from None
        try:
            self._client = binding.Client(self._client_config)
        except binding.FwmError as e:
            raise ConfigurationError(without_secret(str(e), self.instance)) from None
        register_secret = getattr(self, 'register_secret', None)
        if register_secret and isinstance(self.instance.get('api_key'), str):
            register_secret(self.instance['api_key'])  # the base scrubs it from every message it reports
        mapping = self._client_config['mapping']
        self._check_tags = ['fireworks_account:{}'.format(mapping['account_id'])] + list(mapping['tags'])
        self._fleet = fleet.FleetState(mapping['account_id'], self._check_tags, ready_grace_period(self.instance))
        # Allowed, but said once per instance, at its first run: the Agent
        # sets check_id only after __init__ returns, and its log names the
        # instance by it ("unknown | ..." for a line logged here).
        self.insecure_warnings = insecure_settings(self.instance)
        self.option_warnings = option_warnings(self.instance, self.init_config)
        self._config_warnings_logged = False

    def check(self, _):
        if self._cancelled:
            return
        self._log_config_warnings()
        try:
            with self._client.collect() as result:
                status, message = result.status, result.message
                if self._cancelled or result.cancelled:
                    # The Agent is unscheduling this check: its sender is going away.
                    self.log.debug('collection cancelled: %s', message)
                    return
                summary = result.summary_or_none()
                report = policy.assess(status, message, summary)
                # The check's own metrics first: a max_returned_metrics limit
                # cuts the series, never the health of the collection.
                self._submit_own(report)
                self._submit_fleet(self._fleet.assess((summary or {}).get('fleet'), time.time()))
                # Pulled batch by batch: the run never exists whole in Python.
                self._submit(result.batches())
        except binding.ClientClosed:
            return  # cancel() came first
        if self._cancelled:
            return
        self._report(report)

    def _log_config_warnings(self):
        if not self._config_warnings_logged:
            self._config_warnings_logged = True
            for text in self.insecure_warnings + self.option_warnings:
                self.log.warning('%s', text)

    def _submit(self, batches):
        # The hot loop: names are complete (raw=True skips the namespace),
        # each group's tag list is built once, in the library, and the values
        # come as one list of floats that the groups consume in order (fwm.h;
        # zip() takes from `it` only while the names last).
        gauge, count, bucket = self.gauge, self.count, self.submit_histogram_bucket
        for batch, values in batches:
            if self._cancelled:
                return
            names = batch['names']
            it = iter(values)
            for tags, gauge_names, count_names, bucket_names in batch['groups']:
                for n, value in zip(gauge_names, it):
                    gauge(names[n], value, tags, None, None, True)
                if count_names:
                    for n, value in zip(count_names, it):
                        count(names[n], value, tags, None, None, True)
                if bucket_names:
                    for n, value, lower, upper in zip(bucket_names, it, it, it):
                        bucket(names[n], value, lower, upper, False, None, tags, True)

    def _submit_own(self, report):
        tags = self._check_tags
        for name, value in report.gauges:
            self.gauge(name, value, tags, None, None, True)
        for name, value in report.counts:
            self.count(name, value, tags, None, None, True)

    def _submit_fleet(self, outcome):
        """The inventory, the usage, the account and quotas, and the costs
        (fleet.py decides what they mean)."""
        for name, value, tags in outcome.gauges:
            self.gauge(name, value, tags, None, None, True)
        for status, tags, message, name in outcome.checks:
            self.service_check(name, status, tags=tags, message=message or None, raw=True)
        for e in outcome.events:
            self.event(e)
        for name, value, tags, flush_first_value in outcome.counts:
            self.monotonic_count(name, value, tags, None, None, True, flush_first_value)
        for level, text in outcome.logs:
            getattr(self.log, level)(text)

    def _report(self, report):
        """What the run means for the check (policy.py decides it from the
        facts the library reports): the service check and the log lines."""
        tags = self._check_tags
        code = {policy.OK: self.OK, policy.WARNING: self.WARNING, policy.CRITICAL: self.CRITICAL}[report.status]
        self.service_check(SERVICE_CHECK, code, tags=tags, message=report.message or None, raw=True)
        for level, text in report.logs:
            getattr(self.log, level)(text)
        if report.status == policy.CRITICAL:
            raise CheckException(report.message)
        if report.status == policy.WARNING:
            self.warning(report.message)

    def cancel(self):
        # Called by the Agent from another thread, maybe while check() runs:
        # it must not block. Freeing the handle ends a running collection at
        # once; the library keeps what that collection still uses.
        self._cancelled = True
        client = getattr(self, '_client', None)
        if client is not None:
            client.close()
