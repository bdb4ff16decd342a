# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Turns a conf.d instance into the library's client configuration.

Type and range checks happen in the library, which names the option in its
message; this module only routes options, checks the values it reads
itself, resolves the proxy the way the Agent's HTTP wrapper does, and says
which options it does not know.

python_shim/assets/configuration/spec.yaml is the one list of options: its
generated table (option_table.py) gives each option's section, reader, type,
bounds and default, which the lists below are drawn from.
"""
import difflib
import os
import sys

from .option_table import OPTIONS, UNSUPPORTED_REASONS

_ROWS = {(o.section, o.name): o for o in OPTIONS}
_KNOWN = ('client', 'mapping', 'fleet', 'shim', 'agent')


def _names(section, readers=_KNOWN):
    return tuple(o.name for o in OPTIONS if o.section == section and o.reader in readers)


# Forwarded to the library's HTTP client, to its mapping, and to its fleet
# refresher (Fireworks' REST API).
HTTP_OPTIONS = _names('instances', ('client',))
MAPPING_OPTIONS = _names('instances', ('mapping',))
FLEET_OPTIONS = _names('instances', ('fleet',))
# Read here, in Python.
SHIM_INSTANCE_OPTIONS = _names('instances', ('shim',))
# Every option the spec lists, those the Agent alone reads included.
INSTANCE_OPTIONS = _names('instances')
INIT_CONFIG_OPTIONS = _names('init_config')
# Each collect_* option of the fleet and what it fetches, as a warning names it.
FLEET_COLLECTS = (
    ('collect_inventory', 'the deployments inventory'), ('collect_usage', 'the billing usage'),
    ('collect_capacity', 'the account and its quotas'), ('collect_costs', 'the costs'),
)

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
# RequestsWrapper and TLS fields) that this check does not take, and why:
# the spec's description of each.
UNSUPPORTED_OPTIONS = UNSUPPORTED_REASONS

# The Agent's interval when the instance sets none
# (datadog-agent pkg/collector/check/defaults DefaultCheckInterval).
DEFAULT_MIN_COLLECTION_INTERVAL = _ROWS[('instances', 'min_collection_interval')].default
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


def _boolean(options, name, section='instances', default=None):
    """A boolean read here: YAML's true/false only. A quoted 'false' is a
    string, which Python would take as true. Left out: `default` if given,
    else the spec's."""
    value = options.get(name)
    if value is None:
        return _ROWS[(section, name)].default if default is None else default
    if not isinstance(value, bool):
        raise InvalidConfig("option '{}'{} must be true or false, not {}".format(
            name, ' in init_config' if section == 'init_config' else '', _kind(value)))
    return value


def _proxy(instance, init_config, agent_proxy):
    """Instance proxy, else init_config proxy, else the Agent's (use_agent_proxy); skip_proxy wins."""
    skip = _boolean(init_config, 'skip_proxy', 'init_config')
    use_agent_proxy = _boolean(init_config, 'use_agent_proxy', 'init_config')
    if 'skip_proxy' not in instance and instance.get('no_proxy') is not None:
        # The legacy name, as datadog_checks_base's RequestsWrapper reads it.
        if isinstance(instance['no_proxy'], list):  # meant as proxy's list of hosts
            raise InvalidConfig("option 'no_proxy' is the old name of skip_proxy and must be true or false, not a"
                                " list; hosts that bypass the proxy go in proxy's no_proxy list")
        skip = _boolean(instance, 'no_proxy')
    if _boolean(instance, 'skip_proxy', default=skip):
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


# What a message says an option of each type must be.
_EXPECTED = {'boolean': 'true or false', 'integer': 'a number', 'number': 'a number', 'string': 'a string',
             'array': 'a list', 'object': 'a mapping'}


def _spec_type(name, entries=False):
    """The spec's type of an instance option, or of its entries; None when it gives none."""
    row = _ROWS.get(('instances', name))
    return (row.item if entries else row.type) if row else None


def _check_unicode(name, text):
    """Text the library can read: YAML's "\\ud800" is a lone surrogate, which
    no UTF-8 encodes."""
    try:
        text.encode('utf-8')
    except UnicodeEncodeError:
        raise InvalidConfig("option '{}' holds text that is not valid Unicode (a lone surrogate such as "
                            "\\ud800): write the character itself or its pair".format(name)) from None


def _check_json(name, value, kind=None):
    """Values the library can be given: what YAML or autodiscovery may hand
    over beyond JSON (dates, bytes, NaN, an integer past a double's range)
    is refused with the option's name, and the type the spec gives it (kind)."""
    if isinstance(value, str):
        _check_unicode(name, value)
        return
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        if value != value or not -sys.float_info.max <= value <= sys.float_info.max:
            raise InvalidConfig("option '{}' must be a finite number".format(name))
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            _check_json(name, item, kind and _spec_type(name, entries=True))
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidConfig("option '{}' has a key that is not a string: {!r}".format(name, key)[:200])
            _check_unicode(name, key)
            # The mapping's and the fleet's keys are the instance's own option names.
            if name in ('mapping', 'fleet'):
                _check_json(key, item, _spec_type(key))
            else:
                _check_json('{}.{}'.format(name, key), item, kind and _spec_type(name, entries=True))
        return
    raise InvalidConfig("option '{}' must be {}, not {}".format(
        name, _EXPECTED.get(kind, 'a number, a string, a list or a mapping'), _kind(value)))


def ready_grace_period(instance):
    """Seconds a READY deployment may have fewer ready replicas than desired
    before fireworks.deployment.ready warns: a whole number within the spec's bounds."""
    row = _ROWS[('instances', 'ready_grace_period')]
    value = instance.get(row.name)
    if value is None:
        return row.default
    bounds = 'seconds from {} to {}'.format(row.minimum, row.maximum)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not row.minimum <= value <= row.maximum:
        raise InvalidConfig("option '{}' must be a number of {}".format(row.name, bounds))
    if value != int(value):
        raise InvalidConfig("option '{}' must be a whole number of {}".format(row.name, bounds))
    return value


def default_ca_bundle(system=None, prefixes=None):
    """The CA bundle where tls_ca_cert is not set. On Linux, None: OpenSSL's
    own paths (the Agent's embedded/ssl, or the host's). On Windows, the
    Agent's embedded3\\ssl\\certs\\cacert.pem (omnibus' cacerts software puts
    curl's bundle there), found from the embedded Python's prefix: OpenSSL's
    compiled-in folder holds only where the Agent was installed by default."""
    if (system or os.name) != 'nt':
        return None
    for prefix in prefixes if prefixes is not None else (sys.exec_prefix, sys.base_exec_prefix):
        path = os.path.join(prefix, 'ssl', 'certs', 'cacert.pem')
        if prefix and os.path.isfile(path):
            return path
    return None


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
    for name in ('metrics', 'extra_metrics'):
        metrics = instance.get(name)
        if isinstance(metrics, list) and any(isinstance(m, dict) for m in metrics):
            # The shape of Datadog's OpenMetrics check, which renames: say so (the library's type rule refuses it too).
            raise InvalidConfig("option '{}' must be a list of strings, names or patterns of Fireworks series: an"
                                " entry cannot rename a series as a mapping does in Datadog's OpenMetrics check (the"
                                " names are fixed, fireworks.*)".format(name))
    config = {k: instance[k] for k in HTTP_OPTIONS if instance.get(k) is not None}
    if 'tls_ca_cert' not in config and instance.get('tls_verify') is not False:
        bundle = default_ca_bundle()
        if bundle:
            config['tls_ca_cert'] = bundle
    proxy = _proxy(instance, init_config, agent_proxy)
    if proxy is not None:
        if not isinstance(proxy, dict):
            raise InvalidConfig("option 'proxy' must be a mapping with http, https and no_proxy")
        # Every key goes to the library, which refuses one it does not know:
        # a misspelt key must not turn the proxy off unnoticed.
        config['proxy'] = {k: v for k, v in proxy.items() if v is not None}
    for row in OPTIONS:
        if row.section == 'instances' and row.reader == 'shim' and row.type == 'boolean':
            _boolean(instance, row.name)
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
        _check_json(name, value, _spec_type(name))
    return config


# Shorter "keys" (tests, placeholders) are not replaced: "k" would mangle every word.
MIN_SECRET_CHARS = 8


def without_secret(text, instance):
    """A configuration error as it may be shown: the instance's API key, should
    an option's value or key have carried it, replaced."""
    secret = instance.get('api_key') if isinstance(instance, dict) else None
    if isinstance(secret, str) and len(secret) >= MIN_SECRET_CHARS and isinstance(text, str):
        return text.replace(secret, '<api_key>')
    return text


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
    if isinstance(secret, str) and len(secret) >= MIN_SECRET_CHARS:
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


def _openmetrics_meaning_warnings(instance):
    """Options that Datadog's OpenMetrics check reads with another meaning:
    a value only that check would want says what it does here."""
    out = []
    namespace = instance.get('namespace')
    # Other values have Agent meanings (network devices' namespace): only a metric prefix is warned about.
    if isinstance(namespace, str) and namespace.lower().startswith('fireworks'):
        out.append("option 'namespace' does not prefix metric names here as in Datadog's OpenMetrics check: "
                   'they are always fireworks.*; the Agent only uses it in the instance\'s check ID')
    return out


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
        out.extend(_openmetrics_meaning_warnings(instance))
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
