# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""What the Datadog Agent does with a Python check, in the order it does it,
for tests that want the check under the Agent's contracts rather than called
directly. From datadog-agent:

- pkg/collector/python/check.go Configure: the check id is
  `<name>:<fnv64 hex>` (`<name>:<instance name>:<hex>` when the instance has
  `name` or `namespace`), hashed from the config digest, the instance YAML
  and the init_config YAML (pkg/collector/check/id); then rtloader
  getCheck with the two YAML strings.
- rtloader/three/three.cpp getCheck: `cls.load_config(yaml)` for each
  (init_config None becomes {}, anything but a dict is refused), the
  constructor called with keywords only (`name`, `init_config`, `instances`
  as a tuple of one), and only then `check.check_id = id`. When the
  constructor raises, check.go calls it once more with `agentConfig` too,
  and reports both errors.
- runCheck: `check.run()` must return a str: '' is success, anything else
  is the run's error as the Agent shows it. Then get_warnings().
- Submissions reach the sender registered under their check_id
  (pkg/collector/python/aggregator.go GetSender): one with another id, ''
  included, is dropped with an error log.
- Unscheduling (pkg/collector/collector.go StopCheck): cancel(), then the
  sender is destroyed (later submissions are dropped), and the Python object
  is released later, from a Go finalizer (rtloader decref).
"""
import gc
import struct
import weakref

import yaml

from datadog_checks.base.stubs import aggregator, datadog_agent
from datadog_checks.base.stubs.aggregator import AggregatorStub

_SUBMITTERS = ('submit_metric', 'submit_service_check', 'submit_histogram_bucket', 'submit_event')
AGENT_HOSTNAME = 'agent-host.example'


class LoadError(Exception):
    """What rtloader reports when it cannot give the Agent a check."""


def fnv64(data, h=0xcbf29ce484222325):
    """FNV-1 64 (Go's hash/fnv New64), as check ids are hashed."""
    for byte in data:
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
        h ^= byte
    return h


def build_id(name, instance_yaml, init_config_yaml, digest=0):
    h = fnv64(struct.pack('>Q', digest) + instance_yaml.encode() + init_config_yaml.encode())
    instance = yaml.safe_load(instance_yaml)
    # integration.Data GetNameForInstance: `name`, else `namespace`
    label = (instance.get('name') or instance.get('namespace')) if isinstance(instance, dict) else None
    return '{}:{}:{:x}'.format(name, label, h) if label else '{}:{:x}'.format(name, h)


class AgentLoader(object):
    """One instance of one check class, as the Agent loads, runs, cancels and
    releases it. Submissions are recorded by the stub aggregator as usual;
    those no sender would take are kept in `dropped` instead."""

    def __init__(self, check_class, name='fireworks', hostname=AGENT_HOSTNAME):
        self.check_class = check_class
        self.name = name
        self.check = None
        self.check_id = None
        self.senders = set()
        self.dropped = []  # (submitter, check_id, name) the Agent would have thrown away
        self.events = []  # what happened, in order: configure, run, cancel, release
        self._ref = None
        self._saved = {}
        datadog_agent.set_hostname(hostname)
        for submitter in _SUBMITTERS:
            self._saved[submitter] = getattr(aggregator, submitter)
            setattr(aggregator, submitter, self._through_sender(submitter))

    def _through_sender(self, submitter):
        real = self._saved[submitter]
        scratch = AggregatorStub()

        def submit(check, check_id, *args):
            if check_id in self.senders:
                return real(check, check_id, *args)
            # Converted as the builtin would (a wrong type still raises), then thrown away.
            getattr(scratch, submitter)(check, check_id, *args)
            scratch.reset()
            self.dropped.append((submitter, check_id, args[1] if submitter == 'submit_metric' else args[0]))

        return submit

    def configure(self, instance, init_config=None):
        """Loads the check from YAML text (or from values, dumped to YAML
        first, as the Agent holds the config as YAML)."""
        instance_yaml = instance if isinstance(instance, str) else yaml.safe_dump(instance)
        init_yaml = init_config if isinstance(init_config, str) else yaml.safe_dump(init_config or {})
        self.check_id = build_id(self.name, instance_yaml, init_yaml)
        self.senders.add(self.check_id)
        loaded_init = self.check_class.load_config(init_yaml)
        if loaded_init is None:
            loaded_init = {}
        elif not isinstance(loaded_init, dict):
            raise LoadError("error 'init_config' is not a dict")
        loaded_instance = self.check_class.load_config(instance_yaml)
        if not isinstance(loaded_instance, dict):
            raise LoadError('error instance is not a dict')
        kwargs = {'name': self.name, 'init_config': loaded_init, 'instances': (loaded_instance,)}
        try:
            check = self.check_class(**kwargs)
        except Exception as first:
            try:
                check = self.check_class(agentConfig={}, **kwargs)
            except Exception as second:
                raise LoadError("could not invoke '{}' python check constructor. New constructor API returned:\n"
                                '{}\nDeprecated constructor API returned:\n{}'.format(
                                    self.name, _describe(first), _describe(second)))
        check.check_id = self.check_id
        self.check = check
        self._ref = weakref.ref(check)
        self.events.append('configure')
        return check

    def run(self):
        """One run: '' on success, else the error text the Agent shows."""
        result = self.check.run()
        if not isinstance(result, str):
            raise LoadError("error invoking 'run' method: it returned {}".format(type(result).__name__))
        self.warnings = self.check.get_warnings()
        self.events.append('run')
        return result

    def cancel(self):
        """Unscheduling: cancel(), then the sender is destroyed."""
        self.check.cancel()
        self.events.append('cancel')
        self.senders.discard(self.check_id)

    def release(self):
        """The last reference goes (a Go finalizer, later). True when the
        check object is gone after a garbage collection."""
        self.check = None
        gc.collect()
        self.events.append('release')
        return self._ref() is None

    def close(self):
        for submitter, real in self._saved.items():
            setattr(aggregator, submitter, real)
        datadog_agent.reset_hostname()


def _describe(e):
    return '{}: {}'.format(type(e).__name__, e)
