# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Parse speed and memory, ours against the parsers users have today, in one run.

    /usr/bin/python3 tests/bench/compare.py [--deployments 1 10 100 1000] [--quick]

For each Fireworks-shaped payload (see tests/tools/fireworks_payload.py) it
runs, on the same file and one after another: our C++ parser (bench_parse,
built here with -DFWM_BUILD_BENCH=ON when missing), Python prometheus_client
(the parser of Datadog's generic OpenMetrics check) and `promtool check
metrics` (Prometheus' Go expfmt parser plus its linter), then prints
throughput and the ratios. Figures are per core: every parser runs
single-threaded. Nothing here is a test: run it by hand on a quiet machine.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'tools'))

import fireworks_payload  # noqa: E402

BENCH = os.path.join(ROOT, 'build-bench', 'tests', 'bench_parse')


def build_bench():
    if os.path.exists(BENCH) and not os.environ.get('FWM_REBUILD'):
        return
    build = os.path.join(ROOT, 'build-bench')
    subprocess.run(
        ['cmake', '-S', ROOT, '-B', build, '-DCMAKE_BUILD_TYPE=RelWithDebInfo', '-DFWM_BUILD_TESTS=OFF',
         '-DFWM_BUILD_BENCH=ON'],
        check=True, stdout=subprocess.DEVNULL,
    )
    subprocess.run(['cmake', '--build', build, '-j', str(os.cpu_count() or 1), '--target', 'bench_parse'], check=True)


def ours(path, min_seconds):
    out = subprocess.run([BENCH, path, '--json', '--min-seconds', str(min_seconds)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def python_client(text, runs):
    from prometheus_client.parser import text_string_to_metric_families

    best, samples = float('inf'), 0
    for _ in range(runs):
        t0 = time.perf_counter()
        samples = sum(len(f.samples) for f in text_string_to_metric_families(text))
        best = min(best, time.perf_counter() - t0)
    return best, samples


def promtool(path, runs):
    best = float('inf')
    for _ in range(runs):
        with open(path, 'rb') as f:
            t0 = time.perf_counter()
            # Lint findings make promtool exit 1; only its time matters here.
            subprocess.run(['promtool', 'check', 'metrics'], stdin=f, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            best = min(best, time.perf_counter() - t0)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--deployments', type=int, nargs='+', default=[1, 10, 100, 1000])
    ap.add_argument('--quick', action='store_true', help='fewer repetitions')
    args = ap.parse_args()
    build_bench()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.deployments:
            text = fireworks_payload.render(n, seed=7)
            path = os.path.join(tmp, 'fw%d.prom' % n)
            with open(path, 'w') as f:
                f.write(text)
            size = len(text.encode())
            runs = 1 if size > 5e6 or args.quick else 3
            mine = ours(path, 0.5 if args.quick else 2.0)
            py_s, py_samples = python_client(text, runs)
            pt_s = promtool(path, runs)
            assert py_samples == mine['samples'], (py_samples, mine['samples'])
            rows.append((n, size, mine, size / py_s / 1e6, size / pt_s / 1e6))
    print('%-11s %9s %9s %11s %12s %9s %9s %9s %8s' % (
        'deployments', 'payload', 'series', 'ours MB/s', 'ns/sample', 'py MB/s', 'promtool', 'vs py', 'vs prom'))
    for n, size, mine, py, pt in rows:
        print('%-11d %8.2fM %9d %11.0f %12.0f %9.1f %9.1f %8.0fx %7.0fx' % (
            n, size / 1e6, mine['samples'], mine['mb_per_s'], 1e9 / mine['samples_per_s'], py, pt,
            mine['mb_per_s'] / py, mine['mb_per_s'] / pt))
    print()
    for n, size, mine, _, _ in rows:
        kb = mine['peak_over_baseline_kb']
        print('peak memory parsing %d deployments (%.2f MB): %.1f MB over baseline = %.2fx the payload' % (
            n, size / 1e6, kb / 1024.0, kb * 1024.0 / size))


if __name__ == '__main__':
    main()
