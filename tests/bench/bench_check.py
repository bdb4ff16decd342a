# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""CPU cost of a whole check() run per submitted point, against the cost of the
bare submission calls it makes. Run by hand, after a build:

    /usr/bin/python3 tests/bench/bench_check.py [--deployments 100] [--runs 20] [--no-gzip]

A local HTTPS endpoint (build/tests/fwm_test_endpoint) serves a Fireworks-
shaped payload. "check()" is process CPU time (every thread: the library's
I/O thread, TLS, inflation, parsing, mapping, JSON, the Python loop and the
aggregator). "bare calls" replays the very same self.gauge / self.count /
self.submit_histogram_bucket calls with prebuilt arguments. With the
stand-in aggregator when datadog_checks_base is not installed.
"""
import argparse
import json
import os
import subprocess
import tempfile
import time

from bench_setup import ROOT  # noqa: E402 (first: it makes the imports below possible)

import fireworks_payload  # noqa: E402
from datadog_checks.base.stubs import aggregator  # noqa: E402
from datadog_checks.fireworks import FireworksCheck  # noqa: E402

KEY = 'bench-key'


def recorded_calls():
    """The submission calls of the last run, rebuilt from the stub aggregator."""
    calls = []
    for name, stubs in aggregator._metrics.items():
        for m in stubs:
            method = {aggregator.GAUGE: 'gauge', aggregator.COUNT: 'count'}[m.type]
            calls.append((method, (name, m.value, m.tags, None, None, True)))
    for name, stubs in aggregator._histogram_buckets.items():
        for b in stubs:
            calls.append(('submit_histogram_bucket',
                          (name, b.value, b.lower_bound, b.upper_bound, b.monotonic, None, b.tags, True)))
    return calls


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--deployments', type=int, default=100)
    ap.add_argument('--runs', type=int, default=20)
    ap.add_argument('--no-gzip', action='store_true')
    args = ap.parse_args()

    endpoint = os.path.join(ROOT, 'build', 'tests', 'fwm_test_endpoint')
    with tempfile.TemporaryDirectory() as tmp:
        payload = os.path.join(tmp, 'p.prom')
        with open(payload, 'w') as f:
            f.write(fireworks_payload.render(args.deployments, seed=9))
        argv = [endpoint, '--payload', payload, '--key', KEY] + ([] if args.no_gzip else ['--gzip'])
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        info = json.loads(proc.stdout.readline())
        try:
            run(args, info)
        finally:
            proc.stdin.close()
            proc.wait()


def make_check(info, n):
    inst = {'account_id': 'bench%d' % n, 'api_key': KEY, 'openmetrics_endpoint': info['url'],
            'tls_ca_cert': info['ca_cert'], 'min_collection_interval': 60,
            'tags': ['team:bench']}
    return FireworksCheck('fireworks', {}, [inst])


def run(args, info):
    # Every measured run is a first run of a fresh instance, like a run 60 s
    # after the previous one (full distribution counts), and pays its own
    # connection and TLS handshake: the conservative case.
    from datadog_checks.base import AgentCheck

    cpu = bare = shim = 0.0
    points = 0
    from datadog_checks.fireworks import binding

    for n in range(args.runs + 1):
        check = make_check(info, n)
        captured = []
        batches = binding.ParseResult.batches

        def capturing_batches(result):
            for batch in batches(result):
                captured.append(batch)  # kept for the shim-alone figure (decoding not counted there)
                yield batch

        binding.ParseResult.batches = capturing_batches
        aggregator.reset()
        t0 = time.process_time()
        check.check(check.instance)
        spent = time.process_time() - t0
        calls = recorded_calls()
        binding.ParseResult.batches = batches
        # The Python shim alone: submit the same run's decoded batches.
        aggregator.reset()
        t0 = time.process_time()
        check._submit(iter(captured))
        shim_spent = time.process_time() - t0
        aggregator.reset()
        t0 = time.process_time()
        for method, a in calls:
            getattr(AgentCheck, method)(check, *a)
        replay = time.process_time() - t0
        aggregator.reset()
        check.cancel()
        if n == 0:
            continue  # warm-up: imports, first library load
        cpu += spent
        bare += replay
        shim += shim_spent
        points += len(calls)

    print('payload: {} deployments, {} submitted points per run, gzip {}'.format(
        args.deployments, points // args.runs, 'off' if args.no_gzip else 'on'))
    print('check():    {:.2f} us CPU per point ({:.1f} ms per run)'.format(cpu / points * 1e6, cpu / args.runs * 1e3))
    print('bare calls: {:.2f} us CPU per point ({:.1f} ms per run)'.format(
        bare / points * 1e6, bare / args.runs * 1e3))
    print('ratio:      {:.2f}x'.format(cpu / bare))
    print('shim alone (submission loop over the decoded batches, no collection): {:.2f} us per point, {:.2f}x the bare calls'.format(
        shim / points * 1e6, shim / bare))


if __name__ == '__main__':
    main()
