# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
import pytest

from datadog_checks.base import AgentCheck


@pytest.mark.e2e
def test_the_agent_runs_the_check_against_the_local_endpoint(dd_agent_check):
    # The Agent's check command with the instance dd_environment gave `ddev env start`.
    aggregator = dd_agent_check()
    aggregator.assert_service_check('fireworks.can_connect', AgentCheck.OK)
    aggregator.assert_metric('fireworks.deployment.replicas', count=3)
    assert aggregator.metrics('fireworks.requests.rate')
