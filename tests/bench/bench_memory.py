# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Peak memory of one check instance over several runs, against the payload
size. Run by hand, after a build:

    /usr/bin/python3 tests/bench/bench_memory.py [--deployments 1000] [--runs 3] [--no-gzip]
                                                 [--tree DIR ...]

A local HTTPS endpoint (build/tests/fwm_test_endpoint) serves a Fireworks-
shaped payload (tests/tools/fireworks_payload.py, about 23 KB per
deployment). For each source tree (default: this one; give --tree more than
once to compare, e.g. a checkout of an older commit with its own build/),
a fresh Python process imports the check, builds one instance, then resets
its peak RSS (/proc/self/clear_refs) and runs check() --runs times, with the
stand-in aggregator (or datadog_checks_base when installed) emptied after
each run as the Agent's sender flushes it. Reported: the peak RSS growth
over the runs, the growth left after them, and both as multiples of the
payload; and what the aggregator itself holds after one run.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'tools'))

import fireworks_payload  # noqa: E402

CHILD = r'''
import gc, json, os, sys, tracemalloc
tree, url, ca, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
sys.path[:0] = [os.path.join(tree, 'python_shim')]
try:
    import datadog_checks.base  # noqa
except ImportError:
    import datadog_checks
    datadog_checks.__path__.append(os.path.join(tree, 'tests', 'python', 'stubs', 'datadog_checks'))
from datadog_checks.base.stubs import aggregator
from datadog_checks.fireworks import FireworksCheck

def rss(field):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1]) * 1024

inst = {'account_id': 'mem', 'api_key': 'bench-key', 'openmetrics_endpoint': url, 'tls_ca_cert': ca,
        'min_collection_interval': 60, 'tags': ['team:bench']}
check = FireworksCheck('fireworks', {}, [inst])
gc.collect()
base = rss('VmRSS')
with open('/proc/self/clear_refs', 'w') as f:
    f.write('5')  # resets VmHWM to the current RSS
held = 0
points = 0
for n in range(runs):
    check.check(inst)
    if n == 0:
        points = sum(len(v) for v in aggregator._metrics.values()) + \
                 sum(len(v) for v in aggregator._histogram_buckets.values())
        gc.collect()
        held = rss('VmRSS') - base  # the aggregator's share, roughly, with what the check keeps
    aggregator.reset()
gc.collect()
print(json.dumps({'peak': rss('VmHWM') - base, 'after': rss('VmRSS') - base, 'after_first_run': held,
                  'points': points}))
check.cancel()
'''


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--deployments', type=int, default=1000)
    ap.add_argument('--runs', type=int, default=3)
    ap.add_argument('--no-gzip', action='store_true')
    ap.add_argument('--tree', action='append', help='a source tree with its own build/ (default: this one)')
    args = ap.parse_args()
    trees = args.tree or [ROOT]

    with tempfile.TemporaryDirectory() as tmp:
        payload = os.path.join(tmp, 'p.prom')
        text = fireworks_payload.render(args.deployments, seed=9)
        with open(payload, 'w') as f:
            f.write(text)
        size = len(text.encode())
        print('payload: {} deployments, {:.1f} MB, gzip {}, {} runs per instance'.format(
            args.deployments, size / 1e6, 'off' if args.no_gzip else 'on', args.runs))
        for tree in trees:
            endpoint = os.path.join(tree, 'build', 'tests', 'fwm_test_endpoint')
            argv = [endpoint, '--payload', payload, '--key', 'bench-key'] + ([] if args.no_gzip else ['--gzip'])
            server = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            info = json.loads(server.stdout.readline())
            try:
                env = dict(os.environ, FWM_LIBRARY=os.path.join(tree, 'python_shim', 'datadog_checks', 'fireworks',
                                                                'libfwm.so'))
                out = subprocess.run([sys.executable, '-c', CHILD, tree, info['url'], info['ca_cert'], str(args.runs)],
                                     capture_output=True, text=True, env=env, check=True, timeout=600)
                r = json.loads(out.stdout.strip().splitlines()[-1])
            finally:
                server.stdin.close()
                server.wait()
            print('{}: peak growth {:.1f} MB = {:.2f}x the payload; {:.1f} MB ({:.2f}x) after the runs; '
                  '{} points per run; after one run (aggregator not yet emptied) {:.1f} MB = {:.2f}x'.format(
                      tree, r['peak'] / 1e6, r['peak'] / size, r['after'] / 1e6, r['after'] / size, r['points'],
                      r['after_first_run'] / 1e6, r['after_first_run'] / size))


if __name__ == '__main__':
    main()
