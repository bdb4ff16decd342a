# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Fireworks-shaped metrics payloads for tests, benchmarks and the demo.

The shape follows Fireworks' documented endpoint: recording-rule series named
``<metric>:sum_by_deployment`` / ``:avg_by_deployment``, the common labels
``base_model``, ``deployment``, ``deployment_account``, ``deployment_id``
(sorted, as Prometheus writes recording-rule output), no ``# TYPE`` lines,
rates per second over a 1-minute window, and cumulative histogram buckets.
About 100 series and 23 KB per deployment.
"""

import argparse
import math
import random
import sys

MODELS = [
    "accounts/fireworks/models/deepseek-v3",
    "accounts/fireworks/models/llama-v3p1-70b-instruct",
    "accounts/fireworks/models/qwen2p5-coder-32b-instruct",
    "accounts/fireworks/models/mixtral-8x22b-instruct",
    "accounts/fireworks/models/llama-v3p3-70b-instruct",
]

LATENCY_BOUNDS_MS = ["10", "25", "50", "100", "250", "500", "1000", "2500", "5000", "10000", "+Inf"]
PER_TOKEN_BOUNDS_MS = ["1", "2.5", "5", "10", "15", "20", "30", "50", "75", "100", "+Inf"]
TOKEN_BOUNDS = ["16", "32", "64", "128", "256", "512", "1024", "2048", "4096", "8192", "+Inf"]

# (series, bucket bounds, median, spread as a log-normal sigma)
HISTOGRAMS = [
    ("latency_overall_ms_bucket", LATENCY_BOUNDS_MS, 900.0, 0.8),
    ("latency_to_first_token_ms_bucket", LATENCY_BOUNDS_MS, 180.0, 0.7),
    ("latency_generation_per_token_ms_bucket", PER_TOKEN_BOUNDS_MS, 12.0, 0.5),
    ("latency_generation_queue_ms_bucket", LATENCY_BOUNDS_MS, 15.0, 1.2),
    ("latency_prefill_ms_bucket", LATENCY_BOUNDS_MS, 60.0, 0.8),
    ("latency_prefill_queue_ms_bucket", LATENCY_BOUNDS_MS, 8.0, 1.2),
    ("tokens_generated_per_request_bucket", TOKEN_BOUNDS, 220.0, 0.9),
    ("tokens_prompt_per_request_bucket", TOKEN_BOUNDS, 900.0, 1.0),
]

ERROR_CODES = ["400", "429", "500"]


def _fmt(value):
    """Formats a float the way Prometheus does: shortest repr, no trailing .0 noise."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _cdf(bound, median, sigma):
    if bound == "+Inf":
        return 1.0
    x = float(bound)
    return 0.5 * (1.0 + math.erf((math.log(x) - math.log(median)) / (sigma * math.sqrt(2.0))))


def deployment_labels(index, account):
    dep_id = "d%06x%s" % (index * 2654435761 % 0xFFFFFF, "prod" if index % 3 else "eval")
    model = MODELS[index % len(MODELS)]
    return dep_id, (
        'base_model="%s",deployment="accounts/%s/deployments/%s",deployment_account="%s",deployment_id="%s"'
        % (model, account, dep_id, account, dep_id)
    )


def render(deployments, seed=1, account="acme-ai", t=0.0):
    """Returns one payload as text.

    Each deployment keeps its own traffic level and model (from `seed`); `t`
    (seconds since the epoch) moves everything the way the real endpoint
    does: values change every 30 s window, traffic follows the time of day,
    latency medians drift, and now and then a deployment has a burst of 5xx
    errors.
    """
    rng = random.Random(seed)
    window = int(t // 30)
    day = 0.6 + 0.4 * math.sin(2 * math.pi * ((t % 86400) / 86400.0 - 0.25))
    out = []
    for i in range(deployments):
        _, labels = deployment_labels(i, account)
        base_rps = rng.lognormvariate(math.log(4.0), 0.8)
        noise = random.Random(seed * 1000003 + window * 7919 + i)
        rps = max(0.0, base_rps * day * noise.uniform(0.85, 1.15))
        prompt = rps * rng.uniform(600, 1400)
        burst = noise.random() < 0.05  # an error burst in this window
        out.append("request_counter_total:sum_by_deployment{%s} %s\n" % (labels, _fmt(rps)))
        for code in ERROR_CODES:
            share = {"400": 0.004, "429": 0.01, "500": 0.002}[code] * rng.uniform(0.2, 2.0)
            if burst and code == "500":
                share *= 25
            out.append('requests_error_total:sum_by_deployment{%s,http_code="%s"} %s\n' % (labels, code, _fmt(rps * share)))
        out.append("tokens_prompt_total:sum_by_deployment{%s} %s\n" % (labels, _fmt(prompt)))
        out.append("tokens_cached_prompt_total:sum_by_deployment{%s} %s\n" % (labels, _fmt(prompt * rng.uniform(0.1, 0.6))))
        drift = 1.0 + 0.3 * math.sin(window / 7.0 + i)
        for name, bounds, median, sigma in HISTOGRAMS:
            m = median * rng.uniform(0.7, 1.4) * (drift if "latency" in name else 1.0) * (1.8 if burst else 1.0)
            for le in bounds:
                out.append('%s:sum_by_deployment{%s,le="%s"} %s\n' % (name, labels, le, _fmt(rps * _cdf(le, m, sigma))))
        load = min(0.98, rng.uniform(0.2, 0.8) * day * noise.uniform(0.9, 1.2))
        out.append("generator_kv_blocks_fraction:avg_by_deployment{%s} %s\n" % (labels, _fmt(load)))
        out.append("generator_kv_slots_fraction:avg_by_deployment{%s} %s\n" % (labels, _fmt(load * rng.uniform(0.6, 1.0))))
        out.append("generator_model_forward_time:avg_by_deployment{%s} %s\n" % (labels, _fmt(rng.uniform(0.01, 0.08) * drift)))
        out.append("requests_coordinator_concurrent_count:avg_by_deployment{%s} %s\n" % (labels, _fmt(rps * rng.uniform(0.5, 3))))
        out.append("prefiller_prompt_cache_ttl:avg_by_deployment{%s} %s\n" % (labels, _fmt(rng.uniform(60, 600))))
    return "".join(out)


def serve_updates(path, deployments, seed, account, stop, period=30.0):
    """Rewrites `path` with the payload of each 30 s window until `stop` is set
    (a threading.Event): what a local endpoint serving the file shows."""
    import os
    import time

    while True:
        now = time.time()
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(render(deployments, seed, account, now))
        os.replace(tmp, path)
        if stop.wait(period - (now % period)):
            return


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--deployments", "-n", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--account", default="acme-ai")
    ap.add_argument("--time", type=float, default=0.0, help="seconds since the epoch: the 30 s window and time of day")
    ap.add_argument("--output", "-o", default="-")
    args = ap.parse_args(argv)
    text = render(args.deployments, args.seed, args.account, args.time)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
