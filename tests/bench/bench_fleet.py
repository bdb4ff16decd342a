# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""What the inventory and the usage cost: requests per hour and CPU per run,
with and without them, for one account. Run by hand, after a build:

    /usr/bin/python3 tests/bench/bench_fleet.py [--deployments 100] [--runs 6] [--spacing 12]

A local HTTPS endpoint (build/tests/fwm_test_endpoint --fleet) serves the
metrics of N deployments and the deployments and billingUsage APIs for the
same deployments (pages of 200, as Fireworks). The check runs `runs` times,
`spacing` seconds apart, in four ways: metrics only; inventory and usage on
but refreshed only at the first run (what every run costs: their metrics,
service checks and counts); the inventory refreshed at every run; the usage
refreshed at every run. CPU is process CPU time (every thread, the refresh
thread included) from the start of check() to half a second after it, by
when the refresh it started has ended. The hourly figures combine them at
the defaults: one run a minute, a listing every 300 s, a usage reading
every 900 s. With the stand-in aggregator when datadog_checks_base is not
installed.
"""
import argparse
import json
import os
import resource
import subprocess
import tempfile
import time

from bench_setup import ROOT  # noqa: E402 (first: it makes the imports below possible)

import fireworks_payload  # noqa: E402
from datadog_checks.base.stubs import aggregator  # noqa: E402
from datadog_checks.fireworks import FireworksCheck  # noqa: E402

KEY = 'bench-key'
DEFAULTS = {'min_collection_interval': 60, 'inventory_interval': 300, 'usage_interval': 900}


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def measure(endpoint, runs, spacing, fleet=None):
    instance = {'account_id': 'acme', 'api_key': KEY, 'openmetrics_endpoint': endpoint['url'],
                'tls_ca_cert': endpoint['ca_cert'], 'min_collection_interval': spacing, 'empty_default_hostname': True}
    if fleet:
        instance.update({'collect_inventory': True, 'collect_usage': True,
                         'api_endpoint': endpoint['url'].split('/v1/', 1)[0]}, **fleet)
    check = FireworksCheck('fireworks', {}, [instance])
    per_run, points = [], 0
    try:
        for run in range(runs):
            if run:
                time.sleep(spacing)
            aggregator.reset()
            before = cpu()
            check.check(None)
            time.sleep(0.5)
            per_run.append(cpu() - before)
            points = sum(len(v) for v in aggregator._metrics.values())
    finally:
        check.cancel()
    # The first run (TLS handshake, the first listing) is not a steady one.
    steady = sorted(per_run[1:])
    return steady[len(steady) // 2], points


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--deployments', type=int, default=100)
    ap.add_argument('--runs', type=int, default=6)
    ap.add_argument('--spacing', type=float, default=12.0,
                    help='seconds between runs (12 or more keeps under the 5 requests a minute of the metrics)')
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        payload = os.path.join(tmp, 'metrics.prom')
        with open(payload, 'w') as f:
            f.write(fireworks_payload.render(args.deployments, seed=3, account='acme'))

        def way(fleet=None):
            # An endpoint of its own: the request limiter is per host, port and account.
            proc = subprocess.Popen([os.path.join(ROOT, 'build', 'tests', 'fwm_test_endpoint'), '--payload', payload,
                                     '--key', KEY, '--gzip', '--fleet', 'acme', '--page-size', '200'],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            try:
                return measure(json.loads(proc.stdout.readline()), args.runs, args.spacing, fleet)
            finally:
                proc.stdin.close()
                proc.wait(timeout=10)

        every = max(10, int(args.spacing))
        base, points = way()
        idle, idle_points = way({'inventory_interval': 86400, 'usage_interval': 86400})
        inventory, _ = way({'inventory_interval': every, 'usage_interval': 86400})
        usage, _ = way({'inventory_interval': 86400, 'usage_interval': every})
    listing, reading = inventory - idle, usage - idle
    print('deployments: {}, runs: {} per way, {:.0f} s apart; medians of the steady runs'.format(
        args.deployments, args.runs, args.spacing))
    print('CPU per run: metrics only {:.1f} ms ({} points); with inventory and usage on {:.1f} ms ({} points, '
          '{:.2f}x)'.format(base * 1e3, points, idle * 1e3, idle_points, idle / base))
    print('CPU of one refresh: a listing {:.1f} ms, a usage reading {:.1f} ms'.format(listing * 1e3, reading * 1e3))
    pages = (args.deployments + 199) // 200
    runs_h = 3600 / DEFAULTS['min_collection_interval']
    listings_h = 3600 / DEFAULTS['inventory_interval']
    readings_h = 3600 / DEFAULTS['usage_interval']
    print('at the defaults, per hour: requests {:.0f} without, {:.0f} with ({:.0f} metrics, {:.0f} listing pages, '
          '{:.0f} usage readings)'.format(runs_h, runs_h + listings_h * pages + readings_h, runs_h,
                                          listings_h * pages, readings_h))
    print('at the defaults, CPU per hour: {:.2f} s without, {:.2f} s with ({:.2f}x)'.format(
        runs_h * base, runs_h * idle + listings_h * listing + readings_h * reading,
        (runs_h * idle + listings_h * listing + readings_h * reading) / (runs_h * base)))


if __name__ == '__main__':
    main()
