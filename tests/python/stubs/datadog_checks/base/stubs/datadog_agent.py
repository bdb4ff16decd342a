"""Stand-in for the Agent's datadog_agent module."""
_config = {}
_metadata = {}


def get_config(key):
    return _config.get(key)


def set_config(key, value):
    _config[key] = value


def get_hostname():
    return 'stubbed.hostname'


def set_check_metadata(check_id, name, value):
    _metadata[(check_id, name)] = value


def reset():
    _config.clear()
    _metadata.clear()
