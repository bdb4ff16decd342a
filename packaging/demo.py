# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The main job of the README's first command, after install and build.

Without FIREWORKS_ACCOUNT_ID/FIREWORKS_API_KEY: starts the local Fireworks-
like HTTPS endpoint (three deployments, data that changes every 30 s, the
Bearer key and the 6-per-minute limit enforced, and the REST APIs: a
deployment that scales, one that fails with a termination message, a canary
that comes and goes, billing usage; an account that runs out of credits for
two readings and recovers, its quotas with the monthly spend climbing toward
its limit and GPU quotas following the fleet; rated dollars by model and API
key and the month's billed lines), runs the real check six times through the
Python shim with the inventory, usage, capacity and costs on, prints what
would reach Datadog (the joined tags, the deployments' service checks,
events, usage, the account's status, quotas, spend and dollars), and stops
everything. With both set: runs the same check once against your account.
"""
import json
import os
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, 'python_shim'), os.path.join(ROOT, 'tests', 'tools')]

from datadog_checks.fireworks import cli  # noqa: E402

RUNS, INTERVAL = 6, 12


def say(text):
    print('==> ' + text, flush=True)


def write_conf(path, instance):
    with open(path, 'w') as f:
        json.dump({'init_config': {}, 'instances': [instance]}, f, indent=2)  # JSON is YAML


def real_account(workdir):
    say('collecting from your Fireworks account {}'.format(os.environ['FIREWORKS_ACCOUNT_ID']))
    conf = os.path.join(workdir, 'conf.yaml')
    write_conf(conf, {'account_id': os.environ['FIREWORKS_ACCOUNT_ID'], 'api_key': os.environ['FIREWORKS_API_KEY'],
                      'min_collection_interval': 60, 'empty_default_hostname': True})
    return cli.main(['check', '-c', conf])


def local_endpoint(workdir):
    import fireworks_payload
    import local_endpoint

    payload = os.path.join(workdir, 'metrics.prom')
    stop = threading.Event()
    fireworks_payload_thread = threading.Thread(
        target=fireworks_payload.serve_updates, args=(payload, 3, 11, 'acme-ai', stop), daemon=True)
    fireworks_payload_thread.start()
    while not os.path.exists(payload):
        time.sleep(0.05)
    key = 'demo-' + os.urandom(8).hex()
    say('starting the local Fireworks-like endpoint (HTTPS on 127.0.0.1, Bearer key, 6 requests per minute)')
    endpoint = local_endpoint.start(payload, key, ['--gzip', '--rate-limit', '6', '--fleet', 'acme-ai'])
    try:
        info = {'url': endpoint.url, 'ca_cert': endpoint.ca_cert}
        print('    {} serving 3 deployments; the data changes every 30 s; the REST APIs (deployments, usage, '
              'account, quotas, costs) change on every reading'.format(info['url']))
        conf = os.path.join(workdir, 'conf.yaml')
        write_conf(conf, {'account_id': 'acme-ai', 'api_key': key, 'openmetrics_endpoint': info['url'],
                          'tls_ca_cert': info['ca_cert'], 'min_collection_interval': INTERVAL,
                          'empty_default_hostname': True, 'tags': ['env:demo'],
                          'collect_inventory': True, 'collect_usage': True, 'inventory_interval': 10,
                          'usage_interval': 10, 'collect_capacity': True, 'capacity_interval': 10,
                          'collect_costs': True, 'cost_interval': 10,
                          # four refreshes every 10 s over 2-item pages: about 72 REST requests a minute
                          'api_max_requests_per_minute': 120,
                          'api_endpoint': info['url'].split('/v1/', 1)[0], 'annotation_tags': {'team': 'team'}})
        say('running the check {} times, {} s apart, as the Agent would (python3 -m datadog_checks.fireworks '
            'check -c {})'.format(RUNS, INTERVAL, os.path.relpath(conf, ROOT)))
        return cli.main(['check', '-c', conf, '--times', str(RUNS), '--interval', str(INTERVAL)])
    finally:
        stop.set()
        endpoint.stop()
        say('stopped the local endpoint')


def main():
    workdir = os.path.join(ROOT, 'build', 'demo')
    os.makedirs(workdir, exist_ok=True)
    if os.environ.get('FIREWORKS_ACCOUNT_ID') and os.environ.get('FIREWORKS_API_KEY'):
        rc = real_account(workdir)
    else:
        rc = local_endpoint(workdir)
        print()
        print('To run the same check against your real account instead:')
        print('  FIREWORKS_ACCOUNT_ID=<account-id> FIREWORKS_API_KEY=<api-key> bash packaging/demo.sh')
    return rc


if __name__ == '__main__':
    sys.exit(main())
