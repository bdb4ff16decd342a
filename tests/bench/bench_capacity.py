# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""What the capacity and cost collection costs one instance: CPU of its first
run (which waits for the first answers of every REST call turned on) and of
later runs, with the REST calls off, with the inventory and usage, and with
everything on; and the management requests each refresh makes, as requests
per hour per account at the default intervals. Run by hand, after a build:

    /usr/bin/python3 tests/bench/bench_capacity.py [--runs 50]

Each case runs in a fresh child process against a local HTTPS endpoint
(build/tests/fwm_test_endpoint --fleet, pages of 200) serving 3 deployments.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

from bench_setup import ROOT  # noqa: E402 (first: it makes the imports below possible)

KEY = 'bench-key'
# The defaults of spec.yaml (and of the library's FleetOptions), in seconds.
DEFAULT_INTERVALS = {'inventory': 300, 'usage': 900, 'capacity': 300, 'costs': 3600}
CASES = [
    ('metrics only', {}),
    ('inventory + usage', {'collect_inventory': True, 'collect_usage': True}),
    ('everything on', {'collect_inventory': True, 'collect_usage': True, 'collect_capacity': True,
                       'collect_costs': True, 'accelerator_prices': {'AMD_MI300X_192GB': 4.99}}),
]


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def child(case, runs, payload):
    """One case, in this process: prints one JSON line."""
    from datadog_checks.base.stubs import aggregator
    from datadog_checks.fireworks import FireworksCheck

    argv = [os.path.join(ROOT, 'build', 'tests', 'fwm_test_endpoint'), '--payload', payload, '--key', KEY,
            '--fleet', 'acme', '--page-size', '200']
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    info = json.loads(proc.stdout.readline())
    instance = {'account_id': 'acme', 'api_key': KEY, 'openmetrics_endpoint': info['url'],
                'tls_ca_cert': info['ca_cert'], 'min_collection_interval': 60, 'empty_default_hostname': True,
                'max_requests_per_minute': 6}
    instance.update(dict(CASES)[case])
    check = FireworksCheck('fireworks', {}, [instance])
    c0 = cpu()
    check.check(None)
    first = cpu() - c0
    c1 = cpu()
    for _ in range(runs):
        aggregator.reset()
        check.check(None)
    later = (cpu() - c1) / runs
    # The requests each kind of refresh made (its attempt in the summary).
    with check._client.collect() as result:
        fleet = (result.summary_or_none() or {}).get('fleet') or {}
    requests = {}
    for kind in DEFAULT_INTERVALS:
        attempt = (fleet.get(kind) or {}).get('attempt')
        if isinstance(attempt, dict):
            requests[kind] = attempt['requests']
    check.cancel()
    proc.stdin.close()
    proc.wait(timeout=10)
    print(json.dumps({'first_ms': 1000 * first, 'later_ms': 1000 * later, 'requests': requests}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=50)
    parser.add_argument('--child', help=argparse.SUPPRESS)
    parser.add_argument('--payload', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.runs, args.payload)
        return
    import fireworks_payload

    with tempfile.TemporaryDirectory() as tmp:
        payload = os.path.join(tmp, 'metrics.prom')
        with open(payload, 'w') as f:
            f.write(fireworks_payload.render(3, seed=5, account='acme'))
        print('{:<18} {:>14} {:>18} {:>40} {:>14}'.format('case', 'first run ms', 'later runs ms/run',
                                                           'requests per refresh', 'requests/hour'))
        for case, _ in CASES:
            done = subprocess.run([sys.executable, __file__, '--child', case, '--runs', str(args.runs),
                                   '--payload', payload], text=True, stdout=subprocess.PIPE, check=True)
            r = json.loads(done.stdout.strip().splitlines()[-1])
            per_hour = sum(n * 3600.0 / DEFAULT_INTERVALS[k] for k, n in r['requests'].items())
            print('{:<18} {:>14.1f} {:>18.2f} {:>40} {:>14.0f}'.format(
                case, r['first_ms'], r['later_ms'], ' '.join('{}={}'.format(k, n) for k, n in r['requests'].items())
                or '-', per_hour), flush=True)


if __name__ == '__main__':
    main()
