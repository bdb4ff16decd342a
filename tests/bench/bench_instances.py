# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""What many instances cost in one process (the Agent's, or a Cluster Agent
check runner's): threads, descriptors, memory and CPU per run, with the
inventory and usage on. Run by hand, after a build:

    /usr/bin/python3 tests/bench/bench_instances.py [--runs 3] [--library PATH ...]

For each library given (default: build/lib/libfwm.so), each case runs in a
fresh child process: 1, 50 and 200 instances of one account, and 200
instances over 20 accounts (20 local endpoints, 10 instances each). Every
instance runs `runs` times (the first run of each waits for its account's
first inventory and usage); then the child reports its threads, open
descriptors, resident memory (now and peak) and CPU per run, frees the
instances, and reports threads and descriptors again, and how many refresh
failures the instances logged. Local HTTPS endpoints
(build/tests/fwm_test_endpoint --fleet) serve the metrics and the REST API
for 3 deployments. Several --library options put builds side by side in
one table.
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
CASES = [(1, 1), (50, 1), (200, 1), (200, 20)]  # (instances, accounts)


def proc_count(path):
    return len(os.listdir(path))


def status_kib(field):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    return 0


def start_endpoint(payload):
    argv = [os.path.join(ROOT, 'build', 'tests', 'fwm_test_endpoint'), '--payload', payload, '--key', KEY,
            '--fleet', 'acme', '--page-size', '200']
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    return proc, json.loads(proc.stdout.readline())


def child(instances, accounts, runs, payload):
    """One case, in this process: prints one JSON line."""
    from datadog_checks.base.stubs import aggregator
    from datadog_checks.fireworks import FireworksCheck

    endpoints = [start_endpoint(payload) for _ in range(accounts)]
    threads0, fds0 = proc_count('/proc/self/task'), proc_count('/proc/self/fd')
    checks = []
    for i in range(instances):
        info = endpoints[i % accounts][1]
        checks.append(FireworksCheck('fireworks', {}, [{
            'account_id': 'acme', 'api_key': KEY, 'openmetrics_endpoint': info['url'], 'tls_ca_cert': info['ca_cert'],
            'min_collection_interval': 60, 'empty_default_hostname': True, 'collect_inventory': True,
            'collect_usage': True, 'max_requests_per_minute': 6}]))
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    first_wall = 0.0
    for run in range(runs):
        for check in checks:
            aggregator.reset()
            t = time.monotonic()
            check.check(None)
            if run == 0:
                first_wall = max(first_wall, time.monotonic() - t)
    wall = time.monotonic() - started
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    time.sleep(0.5)
    out = {'instances': instances, 'accounts': accounts, 'runs': runs,
           'threads': proc_count('/proc/self/task') - threads0, 'fds': proc_count('/proc/self/fd') - fds0,
           'rss_mib': status_kib('VmRSS') / 1024.0, 'peak_rss_mib': status_kib('VmHWM') / 1024.0,
           'cpu_ms_per_run': 1000.0 * ((r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)) / (instances * runs),
           'wall_s': wall, 'slowest_first_run_s': first_wall}
    for check in checks:
        check.cancel()
    del checks
    import gc

    gc.collect()
    time.sleep(1.0)
    out['threads_after_free'] = proc_count('/proc/self/task') - threads0
    out['fds_after_free'] = proc_count('/proc/self/fd') - fds0
    for proc, _ in endpoints:
        proc.stdin.close()
        proc.wait(timeout=10)
    print(json.dumps(out))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--library', action='append', help='a libfwm.so to measure (repeatable)')
    parser.add_argument('--child', nargs=3, type=int, help=argparse.SUPPRESS)
    parser.add_argument('--payload', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child, payload=args.payload)
        return
    import fireworks_payload

    libraries = args.library or [os.path.join(ROOT, 'build', 'lib', 'libfwm.so')]
    with tempfile.TemporaryDirectory() as tmp:
        payload = os.path.join(tmp, 'metrics.prom')
        with open(payload, 'w') as f:
            f.write(fireworks_payload.render(3, seed=5, account='acme'))
        print('{:<28} {:>9} {:>8} {:>8} {:>5} {:>8} {:>9} {:>10} {:>9} {:>11} {:>14}'.format(
            'library', 'instances', 'accounts', 'threads', 'fds', 'RSS MiB', 'peak MiB', 'CPU ms/run',
            'after free', 'first run s', 'failed refresh'))
        for library in libraries:
            for instances, accounts in CASES:
                env = dict(os.environ, FWM_LIBRARY=library)
                done = subprocess.run([sys.executable, __file__, '--child', str(instances), str(accounts),
                                       str(args.runs), '--payload', payload], env=env, text=True,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
                r = json.loads(done.stdout.strip().splitlines()[-1])
                # What the check logged: a failed refresh (the old per-instance
                # refreshes ran out of the account's budget) shows here.
                failed = sum('failed' in line for line in done.stderr.splitlines())
                print('{:<28} {:>9} {:>8} {:>8} {:>5} {:>8.1f} {:>9.1f} {:>10.2f} {:>4}t {:>3}fd {:>11.2f} {:>14}'.format(
                    os.path.relpath(library, ROOT)[-28:], instances, accounts, r['threads'], r['fds'], r['rss_mib'],
                    r['peak_rss_mib'], r['cpu_ms_per_run'], r['threads_after_free'], r['fds_after_free'],
                    r['slowest_first_run_s'], failed), flush=True)


if __name__ == '__main__':
    main()
