# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Stand-in for the Agent's datadog_agent module."""
_config = {}
_metadata = {}
_hostname = ['stubbed.hostname']


def get_config(key):
    return _config.get(key)


def set_config(key, value):
    _config[key] = value


def get_hostname():
    # The Agent's canonical hostname (rtloader datadog_agent.c get_hostname).
    return _hostname[0]


def set_hostname(hostname):
    _hostname[0] = hostname


def reset_hostname():
    _hostname[0] = 'stubbed.hostname'


def set_check_metadata(check_id, name, value):
    _metadata[(check_id, name)] = value


def reset():
    _config.clear()
    _metadata.clear()
