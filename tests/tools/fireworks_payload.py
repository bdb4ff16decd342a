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
    """Returns one payload as text. `t` (seconds) moves traffic along a daily curve."""
    rng = random.Random(seed)
    day = 0.6 + 0.4 * math.sin(2 * math.pi * (t % 86400) / 86400.0)
    out = []
    for i in range(deployments):
        _, labels = deployment_labels(i, account)
        rps = max(0.0, rng.lognormvariate(math.log(4.0), 0.8) * day)
        prompt = rps * rng.uniform(600, 1400)
        out.append("request_counter_total:sum_by_deployment{%s} %s\n" % (labels, _fmt(rps)))
        for code in ERROR_CODES:
            share = {"400": 0.004, "429": 0.01, "500": 0.002}[code] * rng.uniform(0.2, 2.0)
            out.append('requests_error_total:sum_by_deployment{%s,http_code="%s"} %s\n' % (labels, code, _fmt(rps * share)))
        out.append("tokens_prompt_total:sum_by_deployment{%s} %s\n" % (labels, _fmt(prompt)))
        out.append("tokens_cached_prompt_total:sum_by_deployment{%s} %s\n" % (labels, _fmt(prompt * rng.uniform(0.1, 0.6))))
        for name, bounds, median, sigma in HISTOGRAMS:
            m = median * rng.uniform(0.7, 1.4)
            for le in bounds:
                out.append('%s:sum_by_deployment{%s,le="%s"} %s\n' % (name, labels, le, _fmt(rps * _cdf(le, m, sigma))))
        out.append("generator_kv_blocks_fraction:avg_by_deployment{%s} %s\n" % (labels, _fmt(rng.uniform(0.2, 0.95))))
        out.append("generator_kv_slots_fraction:avg_by_deployment{%s} %s\n" % (labels, _fmt(rng.uniform(0.1, 0.9))))
        out.append("generator_model_forward_time:avg_by_deployment{%s} %s\n" % (labels, _fmt(rng.uniform(0.01, 0.08))))
        out.append("requests_coordinator_concurrent_count:avg_by_deployment{%s} %s\n" % (labels, _fmt(rps * rng.uniform(0.5, 3))))
        out.append("prefiller_prompt_cache_ttl:avg_by_deployment{%s} %s\n" % (labels, _fmt(rng.uniform(60, 600))))
    return "".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--deployments", "-n", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--account", default="acme-ai")
    ap.add_argument("--time", type=float, default=0.0, help="seconds into the day, moves the traffic curve")
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
