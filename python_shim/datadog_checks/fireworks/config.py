"""Turns a conf.d instance into the library's client configuration.

Type and range checks happen in the library, which names the option in its
message; this module only routes options, checks the booleans it reads
itself, resolves the proxy the way the Agent's HTTP wrapper does, and says
which options it does not know.

python_shim/assets/configuration/spec.yaml is the one list of options: the
lists below are what the code reads, and tests/python/test_config_spec.py
fails when they and the spec disagree.
"""
import difflib

# Forwarded to the library's HTTP client.
HTTP_OPTIONS = (
    'openmetrics_endpoint', 'api_key', 'account_id', 'timeout', 'connect_timeout', 'read_timeout',
    'tls_verify', 'tls_ca_cert', 'tls_cert', 'tls_private_key', 'tls_validate_hostname',
    'max_response_bytes', 'max_requests_per_minute', 'max_retry_after',
)
# Forwarded to the library's mapping.
MAPPING_OPTIONS = (
    'quantiles', 'histogram_buckets_as_distributions', 'rates_as_counts', 'metrics', 'exclude_metrics',
    'exclude_labels', 'deployments', 'min_collection_interval',
)
# Forwarded to the library's fleet refresher (Fireworks' REST API).
FLEET_OPTIONS = (
    'collect_inventory', 'collect_usage', 'inventory_interval', 'usage_interval', 'inventory_tags', 'api_endpoint',
    'annotation_tags', 'api_max_requests_per_minute', 'max_deployments', 'api_max_response_bytes',
    'collect_capacity', 'capacity_interval', 'collect_costs', 'cost_interval', 'cost_scope', 'accelerator_prices',
)
# Each collect_* option of the fleet and what it fetches, as a warning names it.
FLEET_COLLECTS = (
    ('collect_inventory', 'the deployments inventory'), ('collect_usage', 'the billing usage'),
    ('collect_capacity', 'the account and its quotas'), ('collect_costs', 'the costs'),
)
# Read here, in Python.
SHIM_INSTANCE_OPTIONS = ('proxy', 'skip_proxy', 'tags', 'service', 'tls_ignore_warning', 'empty_default_hostname',
                         'ready_grace_period')
INSTANCE_OPTIONS = tuple(dict.fromkeys(HTTP_OPTIONS + MAPPING_OPTIONS + FLEET_OPTIONS + SHIM_INSTANCE_OPTIONS))
INIT_CONFIG_OPTIONS = ('proxy', 'skip_proxy', 'use_agent_proxy')

# Options the Agent itself, or datadog_checks_base's AgentCheck, reads from
# any instance, whatever the check: never "unknown". Conservative: only
# what those sources read at instance level (cluster_check, ad_identifiers
# and check_tag_cardinality sit beside init_config, not in an instance).
AGENT_INSTANCE_OPTIONS = {
    # datadog-agent comp/core/autodiscovery/integration/config.go, CommonInstanceConfig
    # (read by pkg/collector/python/check.go Configure; cluster checks inject
    # empty_default_hostname and tags, autodiscovery may set name).
    'min_collection_interval': 'CommonInstanceConfig',
    'empty_default_hostname': 'CommonInstanceConfig',
    'tags': 'CommonInstanceConfig',
    'service': 'CommonInstanceConfig',
    'name': 'CommonInstanceConfig',
    'namespace': 'CommonInstanceConfig',
    'no_index': 'CommonInstanceConfig',
    # datadog-agent pkg/collector (check scheduler), commonInstanceConfig
    'loader': 'collector commonInstanceConfig',
    # datadog_checks_base AgentCheck.__init__ and load_memray_context_manager
    'disable_generic_tags': 'AgentCheck',
    'metric_patterns': 'AgentCheck',
    'max_returned_metrics': 'AgentCheck',
    'debug_metrics': 'AgentCheck',
    'enable_memray': 'AgentCheck',
    'memray_file': 'AgentCheck',
    'memray_native_mode': 'AgentCheck',
    'memray_iteration_count': 'AgentCheck',
}
AGENT_INIT_CONFIG_OPTIONS = {
    'service': 'CommonGlobalConfig',  # datadog-agent comp/core/autodiscovery/integration/config.go
    'loader': 'collector commonInitConfig',
    'use_agent_proxy': 'AgentCheck',
    'debug_metrics': 'AgentCheck',
    'enable_memray': 'AgentCheck',
    'memray_file': 'AgentCheck',
    'memray_native_mode': 'AgentCheck',
    'memray_iteration_count': 'AgentCheck',
}
# Keys of the file's top level, beside init_config and instances.
TOP_LEVEL_OPTIONS = ('cluster_check', 'ad_identifiers', 'ignore_autodiscovery_tags', 'check_tag_cardinality', 'logs')

# The HTTP options of other Datadog checks (datadog_checks_base's
# RequestsWrapper and TLS fields) that this check does not take, and why.
# The spec lists the same names, each with this text as its description.
_AUTH = 'Fireworks authenticates with api_key, sent as a Bearer token'
_HEADERS = 'the check sends its own fixed headers (Authorization, Accept, Accept-Encoding, User-Agent)'
_BASIC = "Fireworks authenticates with api_key; for a proxy's Basic auth use proxy's http://user:password@host"
UNSUPPORTED_OPTIONS = {
    'headers': _HEADERS,
    'extra_headers': _HEADERS,
    'allow_redirects': "redirects are followed within the endpoint's origin only, so the API key never goes elsewhere",
    'auth_type': _AUTH,
    'username': _BASIC,
    'password': _BASIC,
    'use_legacy_auth_encoding': _AUTH,
    'auth_token': 'set api_key instead (an ENC[<handle>] secret handle keeps it out of the file)',
    'ntlm_domain': _AUTH,
    'kerberos_auth': _AUTH,
    'kerberos_cache': _AUTH,
    'kerberos_delegate': _AUTH,
    'kerberos_force_initiate': _AUTH,
    'kerberos_hostname': _AUTH,
    'kerberos_keytab': _AUTH,
    'kerberos_principal': _AUTH,
    'aws_host': _AUTH,
    'aws_region': _AUTH,
    'aws_service': _AUTH,
    'tls_protocols_allowed': 'the check always requires TLS 1.2 or newer',
    'tls_ciphers': "the check uses OpenSSL's default ciphers for TLS 1.2 and newer",
    'tls_use_host_header': "the certificate is always checked against openmetrics_endpoint's host",
    'tls_private_key_password': 'tls_private_key must not be encrypted (the check never asks for a pass phrase)',
    'persist_connections': 'the check already keeps its connection alive between runs',
    'log_requests': 'requests are not logged; the fireworks.scrape.* metrics describe each collection',
    'no_proxy': "the old name of skip_proxy, not read here; use skip_proxy, or proxy's no_proxy list of hosts",
}

# The Agent's interval when the instance sets none
# (datadog-agent pkg/collector/check/defaults DefaultCheckInterval).
DEFAULT_MIN_COLLECTION_INTERVAL = 15
# At most this many option warnings per instance, then a count of the rest.
MAX_OPTION_WARNINGS = 20
MAX_NAME_CHARS = 64


def insecure_settings(instance):
    """Warnings for settings that work but expose the key or the data.
    tls_ignore_warning: true silences the two TLS ones, not the http:// one."""
    out = []
    endpoint = instance.get('openmetrics_endpoint')
    if isinstance(endpoint, str) and endpoint.strip().lower().startswith('http://'):
        out.append('openmetrics_endpoint uses http://: the API key and the metrics travel unencrypted')
    # Left out, the REST API follows openmetrics_endpoint's origin, scheme included.
    api = instance.get('api_endpoint') or endpoint
    fetched = [what for name, what in FLEET_COLLECTS if instance.get(name) is True]
    if isinstance(api, str) and api.strip().lower().startswith('http://') and fetched:
        out.append('api_endpoint uses http://: the API key and {} travel unencrypted'.format(_listed(fetched)))
    if instance.get('tls_ignore_warning') is True:
        return out
    if instance.get('tls_verify') is False:
        out.append("tls_verify is false: the endpoint's certificate is not checked, so anyone on the path "
                   'can read the API key')
    elif instance.get('tls_validate_hostname') is False:
        out.append("tls_validate_hostname is false: any valid certificate is accepted for the endpoint's host")
    return out


def _listed(items):
    return items[0] if len(items) == 1 else '{} and {}'.format(', '.join(items[:-1]), items[-1])


class InvalidConfig(ValueError):
    """A configuration mistake; the message names the option."""


def _boolean(options, name, default, where=''):
    """A boolean read here: YAML's true/false only. A quoted 'false' is a
    string, which Python would take as true."""
    value = options.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise InvalidConfig("option '{}'{} must be true or false, not {}".format(name, where, _kind(value)))
    return value


def _proxy(instance, init_config, agent_proxy):
    """Instance proxy, else init_config proxy, else the Agent's (use_agent_proxy); skip_proxy wins."""
    skip = _boolean(init_config, 'skip_proxy', False, ' in init_config')
    use_agent_proxy = _boolean(init_config, 'use_agent_proxy', True, ' in init_config')
    if _boolean(instance, 'skip_proxy', skip):
        return None
    for source in (instance.get('proxy'), init_config.get('proxy')):
        if source is not None:
            return source
    if use_agent_proxy and agent_proxy:
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
            # The mapping's and the fleet's keys are the instance's own option names.
            _check_json('{}.{}'.format(name, key) if name not in ('mapping', 'fleet') else key, item)
        return
    raise InvalidConfig("option '{}' must be {}, not {}".format(
        name, 'a string' if name in ('account_id', 'api_key') else 'a number, a string, a list or a mapping',
        _kind(value)))


def ready_grace_period(instance):
    """Seconds a READY deployment may have fewer ready replicas than desired
    before fireworks.deployment.ready warns."""
    value = instance.get('ready_grace_period')
    if value is None:
        return 600
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 86400:
        raise InvalidConfig("option 'ready_grace_period' must be a number of seconds from 0 to 86400")
    return value


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
        # Every key goes to the library, which refuses one it does not know:
        # a misspelt key must not turn the proxy off unnoticed.
        config['proxy'] = {k: v for k, v in proxy.items() if v is not None}
    for name in ('tls_ignore_warning', 'empty_default_hostname'):
        _boolean(instance, name, False)
    mapping = {k: instance[k] for k in MAPPING_OPTIONS if instance.get(k) is not None}
    mapping['min_collection_interval'] = agent_interval(instance)
    tags = instance.get('tags') or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise InvalidConfig("option 'tags' must be a list of strings")
    tags = list(tags)
    mapping['tags'] = tags
    # The Agent adds service:<name> to everything the check sends (the
    # instance's service, else init_config's): no series may differ by it alone.
    service = instance.get('service') or init_config.get('service')
    if service is not None and not isinstance(service, str):
        raise InvalidConfig("option 'service' must be a string, not {}".format(_kind(service)))
    mapping['agent_tags'] = ['service:' + service] if service else []
    if not isinstance(instance['account_id'], str):
        raise InvalidConfig("option 'account_id' must be a string, not {}".format(_kind(instance['account_id'])))
    mapping['account_id'] = instance['account_id']
    config['mapping'] = mapping
    fleet = {k: instance[k] for k in FLEET_OPTIONS if instance.get(k) is not None}
    if fleet:
        config['fleet'] = fleet
    ready_grace_period(instance)
    for name, value in config.items():
        _check_json(name, value)
    return config


def _shown(name, secret=None):
    """An option name as a warning quotes it: names come from the user or
    from autodiscovery, so at most MAX_NAME_CHARS characters, with control
    and other invisible characters written as escapes (repr-like), and the
    API key, should a name contain it, replaced."""
    if isinstance(name, str):
        text = name
    else:
        try:
            text = repr(name)
        except Exception:
            text = '<{}>'.format(type(name).__name__)
    if isinstance(secret, str) and len(secret) >= 8:
        text = text[:2 * MAX_NAME_CHARS + len(secret)].replace(secret, '<api_key>')
    pieces, size = [], 0
    for ch in text:
        if ch in '\\\'':
            piece = '\\' + ch
        elif ch.isprintable():
            piece = ch
        else:
            piece = repr(ch)[1:-1]
        if size + len(piece) > MAX_NAME_CHARS:
            pieces.append('...')
            break
        pieces.append(piece)
        size += len(piece)
    return ''.join(pieces)


def agent_interval(instance):
    """The interval the Agent runs an instance at: it reads the instance's
    min_collection_interval (never init_config's) into an integer, dropping
    any fraction, and uses its default, 15 s, for a value of 0 or less
    (datadog-agent pkg/collector/python/check.go, CommonInstanceConfig)."""
    value = instance.get('min_collection_interval')
    if value is None:
        return DEFAULT_MIN_COLLECTION_INTERVAL
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidConfig("option 'min_collection_interval' must be a number of seconds, not {}".format(
            _kind(value)))
    if value != value or value in (float('inf'), float('-inf')):
        raise InvalidConfig("option 'min_collection_interval' must be a finite number of seconds")
    seconds = int(value)
    return seconds if seconds > 0 else DEFAULT_MIN_COLLECTION_INTERVAL


def _interval_warning(instance):
    value = instance.get('min_collection_interval')
    try:
        used = agent_interval(instance)
    except InvalidConfig:
        return None  # refused with its reason when the check starts
    if value is None or value == used:
        return None
    return ("option 'min_collection_interval' is {!r}, which the Agent reads as {}: it runs this instance "
            'every {} s').format(value, int(value), used)


def _did_you_mean(name, known):
    """The known option closest to a misspelt one, if one is close."""
    if not isinstance(name, str) or len(name) > 2 * max(len(k) for k in known):
        return ''
    lowered = {k.lower(): k for k in known}
    match = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.75)
    return " (did you mean '{}'?)".format(lowered[match[0]]) if match else ''


def _instance_option_warning(key, secret, suggest=True):
    if key in INSTANCE_OPTIONS or key in AGENT_INSTANCE_OPTIONS:
        return None
    name = _shown(key, secret)
    if key in UNSUPPORTED_OPTIONS:
        return "option '{}' is not supported by this check and is ignored: {}".format(name, UNSUPPORTED_OPTIONS[key])
    if key in INIT_CONFIG_OPTIONS or key in AGENT_INIT_CONFIG_OPTIONS:
        return "option '{}' is read from init_config only and is ignored in an instance".format(name)
    if key in TOP_LEVEL_OPTIONS:
        return ("option '{}' is ignored in an instance: it belongs at the top level of the file, beside "
                'init_config and instances').format(name)
    known = INSTANCE_OPTIONS + tuple(AGENT_INSTANCE_OPTIONS)
    return "unknown option '{}'{}".format(name, _did_you_mean(key, known) if suggest else '')


def _init_config_option_warning(key, secret, suggest=True):
    if key in INIT_CONFIG_OPTIONS or key in AGENT_INIT_CONFIG_OPTIONS:
        return None
    name = _shown(key, secret)
    if key == 'min_collection_interval':
        return ("option 'min_collection_interval' in init_config is ignored: for Python checks the Agent reads "
                'it only from each instance; set it there (default {} s)').format(DEFAULT_MIN_COLLECTION_INTERVAL)
    if key in UNSUPPORTED_OPTIONS:
        return "option '{}' in init_config is not supported by this check and is ignored: {}".format(
            name, UNSUPPORTED_OPTIONS[key])
    if key in INSTANCE_OPTIONS or key in AGENT_INSTANCE_OPTIONS:
        return "option '{}' in init_config is ignored: it is read from each instance; set it there".format(name)
    if key in TOP_LEVEL_OPTIONS:
        return ("option '{}' is ignored in init_config: it belongs at the top level of the file, beside "
                'init_config and instances').format(name)
    known = INIT_CONFIG_OPTIONS + tuple(AGENT_INIT_CONFIG_OPTIONS)
    return "unknown option '{}' in init_config{}".format(name, _did_you_mean(key, known) if suggest else '')


def option_warnings(instance, init_config=None):
    """What to warn about, once, for an instance's and init_config's option
    names: unknown ones (with the closest known name), the unsupported HTTP
    options of other Datadog checks, and options in the wrong section.
    Names only: a value never appears."""
    secret = instance.get('api_key') if isinstance(instance, dict) else None
    keys = []
    if isinstance(instance, dict):
        keys.extend((_instance_option_warning, k) for k in instance)
    if isinstance(init_config, dict):
        keys.extend((_init_config_option_warning, k) for k in init_config)
    out, more = [], 0
    if isinstance(instance, dict):
        interval = _interval_warning(instance)
        if interval:
            out.append(interval)
    for judge, key in keys:
        if len(out) < MAX_OPTION_WARNINGS:
            text = judge(key, secret)
            if text:
                out.append(text)
        elif judge(key, secret, suggest=False):
            more += 1  # counted, not described: a hostile config costs no more than this
    if more:
        out.append('{} more option warnings not shown'.format(more))
    return out
