# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
# As in the real package: the `aggregator` attribute is the stub instance
# that AgentCheck submits to and tests assert with.
from . import datadog_agent
from .aggregator import AggregatorStub

aggregator = AggregatorStub()

__all__ = ['aggregator', 'datadog_agent', 'AggregatorStub']
