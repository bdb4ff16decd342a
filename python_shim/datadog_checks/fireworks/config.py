"""Turns a conf.d instance into the library's client configuration.

Type and range checks happen in the library, which names the option in its
message; this module only routes options and resolves the proxy the way the
Agent's HTTP wrapper does.
"""

HTTP_OPTIONS = (
    'openmetrics_endpoint', 'api_key', 'account_id', 'timeout', 'connect_timeout', 'read_timeout',
    'tls_verify', 'tls_ca_cert', 'tls_cert', 'tls_private_key', 'tls_validate_hostname',
    'max_response_bytes', 'max_requests_per_minute', 'max_retry_after',
)
MAPPING_OPTIONS = (
    'quantiles', 'histogram_buckets_as_distributions', 'rates_as_counts', 'metrics', 'exclude_metrics',
    'exclude_labels', 'deployments', 'min_collection_interval',
)
DEFAULT_MIN_COLLECTION_INTERVAL = 60


def insecure_settings(instance):
    """Warnings for settings that work but expose the key or the data."""
    out = []
    endpoint = instance.get('openmetrics_endpoint')
    if isinstance(endpoint, str) and endpoint.strip().lower().startswith('http://'):
        out.append('openmetrics_endpoint uses http://: the API key and the metrics travel unencrypted')
    if instance.get('tls_verify') is False:
        out.append("tls_verify is false: the endpoint's certificate is not checked, so anyone on the path "
                   'can read the API key')
    elif instance.get('tls_validate_hostname') is False:
        out.append("tls_validate_hostname is false: any valid certificate is accepted for the endpoint's host")
    return out


class InvalidConfig(ValueError):
    """A configuration mistake; the message names the option."""


def _proxy(instance, init_config, agent_proxy):
    """Instance proxy, else init_config proxy, else the Agent's (use_agent_proxy); skip_proxy wins."""
    if instance.get('skip_proxy', init_config.get('skip_proxy', False)):
        return None
    for source in (instance.get('proxy'), init_config.get('proxy')):
        if source is not None:
            return source
    if init_config.get('use_agent_proxy', True) and agent_proxy:
        return agent_proxy
    return None


def _kind(value):
    for t, text in ((bool, 'a boolean'), (int, 'a number'), (float, 'a number'), (str, 'a string'),
                    (list, 'a list'), (dict, 'a mapping')):
        if isinstance(value, t):
            return text
    return 'a value of type ' + type(value).__name__


def _check_json(name, value):
    """Values the library can be given: what YAML or autodiscovery may hand
    over beyond JSON (dates, bytes, NaN) is refused with the option's name."""
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, float):
        if value != value or value in (float('inf'), float('-inf')):
            raise InvalidConfig("option '{}' must be a finite number".format(name))
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            _check_json(name, item)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidConfig("option '{}' has a key that is not a string: {!r}".format(name, key)[:200])
            _check_json('{}.{}'.format(name, key) if name != 'mapping' else key, item)
        return
    raise InvalidConfig("option '{}' must be {}, not {}".format(
        name, 'a string' if name in ('account_id', 'api_key') else 'a number, a string, a list or a mapping',
        _kind(value)))


def client_config(instance, init_config=None, agent_proxy=None):
    if init_config is None:
        init_config = {}
    if not isinstance(init_config, dict):
        raise InvalidConfig('init_config must be a mapping of options')
    if not isinstance(instance, dict):
        raise InvalidConfig('the instance must be a mapping of options')
    for required in ('account_id', 'api_key'):
        if instance.get(required) in (None, ''):
            raise InvalidConfig("option '{}' is required".format(required))
    config = {k: instance[k] for k in HTTP_OPTIONS if instance.get(k) is not None}
    proxy = _proxy(instance, init_config, agent_proxy)
    if proxy is not None:
        if not isinstance(proxy, dict):
            raise InvalidConfig("option 'proxy' must be a mapping with http, https and no_proxy")
        config['proxy'] = {k: proxy[k] for k in ('http', 'https', 'no_proxy') if proxy.get(k)}
    mapping = {k: instance[k] for k in MAPPING_OPTIONS if instance.get(k) is not None}
    mapping.setdefault(
        'min_collection_interval', init_config.get('min_collection_interval', DEFAULT_MIN_COLLECTION_INTERVAL)
    )
    tags = instance.get('tags') or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise InvalidConfig("option 'tags' must be a list of strings")
    tags = list(tags)
    if instance.get('service'):
        tags.append('service:{}'.format(instance['service']))
    mapping['tags'] = tags
    if not isinstance(instance['account_id'], str):
        raise InvalidConfig("option 'account_id' must be a string, not {}".format(_kind(instance['account_id'])))
    mapping['account_id'] = instance['account_id']
    config['mapping'] = mapping
    for name, value in config.items():
        _check_json(name, value)
    return config
