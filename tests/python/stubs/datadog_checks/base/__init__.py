# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""A stand-in for datadog_checks_base (37.x), for tests where the real package
cannot be installed. Only what the Fireworks check and its tests use, with
the real names, signatures and behaviours (see shared/reference/datadog-agent.md).
Put on sys.path only when the real package is absent."""
from .checks import AgentCheck
from .errors import CheckException, ConfigurationError

__version__ = '0.0.0-standin'
__all__ = ['AgentCheck', 'CheckException', 'ConfigurationError']
