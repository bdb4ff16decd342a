# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
import pytest

from datadog_checks.base import ConfigurationError
from datadog_checks.fireworks import FireworksCheck


@pytest.mark.unit
def test_an_instance_without_account_id_is_refused():
    with pytest.raises(ConfigurationError, match='account_id'):
        FireworksCheck('fireworks', {}, [{'api_key': 'k'}])


@pytest.mark.integration
@pytest.mark.usefixtures('dd_environment')
def test_one_run_against_the_local_endpoint(dd_run_check, aggregator, instance):
    check = FireworksCheck('fireworks', {}, [instance])
    try:
        dd_run_check(check)
    finally:
        check.cancel()
    assert aggregator.metrics('fireworks.requests.rate')
    assert len(aggregator.metrics('fireworks.deployment.replicas')) == 3
    assert aggregator.service_checks('fireworks.can_connect')[-1].status == FireworksCheck.OK
