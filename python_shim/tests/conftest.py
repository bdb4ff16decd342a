# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""ddev's fixtures for this check: dd_environment runs the project's local
Fireworks-like endpoint (build/tests/fwm_test_endpoint, the demo's) and yields
an instance that points the check at it.

With datadog_checks_dev (ddev's test environments) it goes through
environment_run, so that `ddev env start` leaves the endpoint serving after
its pytest ends and `ddev env stop` stops it. Without it (plain pytest, and
tests/python/test_ddev_layout.py) the fixture owns the endpoint: it starts it,
yields, and stops it. Either way the endpoint must come up within
STARTUP_DEADLINE_S seconds, or the fixture fails saying so.

The library and the endpoint are built first, from the repository's top:
    cmake -S . -B build && cmake --build build --target fwm fwm_test_endpoint
"""
import copy
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLS = os.path.join(ROOT, 'tests', 'tools')
if TOOLS not in sys.path:
    sys.path.insert(0, TOOLS)

import fireworks_payload  # noqa: E402
import local_endpoint  # noqa: E402
import standin_base  # noqa: E402

standin_base.load()  # datadog_checks_base when installed (as with ddev), else the repository's stand-in

try:
    from datadog_checks.dev.env import environment_run
except ImportError:  # plain pytest, without ddev's plugin
    environment_run = None

ACCOUNT = 'acme-ai'
STARTUP_DEADLINE_S = 30.0
WORKDIR = os.path.join(ROOT, 'build', 'e2e')
STATE_FILE = os.path.join(WORKDIR, 'endpoint.json')


def start_endpoint(detach):
    """The endpoint serving three deployments of `ACCOUNT` and its REST APIs."""
    os.makedirs(WORKDIR, exist_ok=True)
    payload = os.path.join(WORKDIR, 'metrics.prom')
    with open(payload, 'w') as f:
        f.write(fireworks_payload.render(3, seed=11, account=ACCOUNT))
    key = 'e2e-' + os.urandom(8).hex()
    try:
        return local_endpoint.start(payload, key, ['--gzip', '--fleet', ACCOUNT], deadline_s=STARTUP_DEADLINE_S,
                                    detach_to=STATE_FILE if detach else None), key
    except local_endpoint.EndpointError as e:
        pytest.fail(str(e), pytrace=False)


def endpoint_instance(endpoint, key):
    # As packaging/demo.py configures the check against the same endpoint; no
    # env: tag, a generic tag ddev's aggregator refuses.
    return {'account_id': ACCOUNT, 'api_key': key, 'openmetrics_endpoint': endpoint.url,
            'api_endpoint': endpoint.origin, 'tls_ca_cert': endpoint.ca_cert,
            'min_collection_interval': 15, 'empty_default_hostname': True, 'tags': ['test_environment:e2e'],
            'collect_inventory': True, 'collect_usage': True}


class _StartDetached(object):
    def __call__(self):
        return endpoint_instance(*start_endpoint(detach=True))


def _stop_recorded():
    local_endpoint.stop_recorded(STATE_FILE)


@pytest.fixture(scope='session')
def dd_environment():
    if environment_run is None:
        endpoint, key = start_endpoint(detach=False)
        try:
            yield endpoint_instance(endpoint, key)
        finally:
            endpoint.stop()
        return
    local_endpoint.stop_recorded(STATE_FILE)  # one left by an interrupted `ddev env start`
    with environment_run(up=_StartDetached(), down=_stop_recorded, attempts=1) as instance:
        # The Agent's container (host network) reads the CA where the instance says it is.
        ca_dir = os.path.dirname(instance['tls_ca_cert'])
        yield instance, {'docker_volumes': ['{0}:{0}:ro'.format(ca_dir)]}


@pytest.fixture
def instance(dd_environment):
    # The instance dd_environment yielded (with ddev, its config half).
    config = dd_environment[0] if isinstance(dd_environment, tuple) else dd_environment
    return copy.deepcopy(config)


if environment_run is None:

    @pytest.fixture
    def dd_run_check():
        """ddev's dd_run_check, as far as these tests use it: one run, failing with the check's error."""

        def run_check(check):
            error = check.run()
            if error:
                raise Exception(error)
            return ''

        return run_check

    @pytest.fixture
    def dd_agent_check():
        pytest.skip('Not running E2E tests (the Agent runs them under `ddev env test`)')

    @pytest.fixture
    def aggregator():
        from datadog_checks.base.stubs import aggregator as stub

        stub.reset()
        return stub

    def pytest_configure(config):
        for marker in ('unit', 'integration', 'e2e'):
            config.addinivalue_line('markers', '{}: as ddev marks its tests'.format(marker))
