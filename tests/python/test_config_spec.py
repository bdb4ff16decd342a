# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""spec.yaml is the one list of options: the example is rendered from it (its
option table too: test_option_table.py), and what is not in it is warned
about once per instance (names only, bounded, never a value)."""
import logging
import os
import re
import subprocess
import sys

import pytest
import yaml

from conftest import load_script, ROOT, free_port, shim_env
from datadog_checks.base import ConfigurationError
from datadog_checks.fireworks import FireworksCheck
from datadog_checks.fireworks import config as cfg

SPEC = os.path.join(ROOT, 'python_shim', 'assets', 'configuration', 'spec.yaml')
EXAMPLE = os.path.join(ROOT, 'conf.d', 'fireworks.d', 'conf.yaml.example')
RENDERER = os.path.join(ROOT, 'packaging', 'render_conf_example.py')
SECRET = 'fw-SECRET-3b9e1c77d2a4-spec'  # the prefix tests/run_all.sh scans the logs for


render_conf_example = load_script(RENDERER)
config_spec = load_script(os.path.join(ROOT, 'packaging', 'config_spec.py'))


def load_spec():
    """The spec as ddev's loader sees it: its templates expanded."""
    return config_spec.load(SPEC)


def load_raw_spec():
    with open(SPEC, encoding='utf-8') as f:
        return yaml.safe_load(f)


def sections():
    (file,) = load_spec()['files']
    return {s['name']: s['options'] for s in file['options']}


def unsupported(option):
    return 'fireworks:unsupported' in (option.get('metadata_tags') or [])


def names(section, visible_only=False):
    return {o['name'] for o in sections()[section]
            if not unsupported(o) and not (visible_only and o.get('hidden'))}


def base_instance(**extra):
    i = {'account_id': 'acme', 'api_key': SECRET}
    i.update(extra)
    return i


def make(instance, init_config=None):
    return FireworksCheck('fireworks', init_config or {}, [instance])


def warnings_for(instance, init_config=None):
    check = make(instance, init_config)
    try:
        return check.option_warnings
    finally:
        check.cancel()


# -- the spec itself -----------------------------------------------------------

def test_spec_has_the_config_spec_schema():
    spec = load_spec()
    assert spec['name'] and isinstance(spec['files'], list) and len(spec['files']) == 1
    (file,) = spec['files']
    assert file['name'] == 'fireworks.yaml'
    assert [s['name'] for s in file['options']] == ['init_config', 'instances']
    assert file['options'][1].get('multiple') is True
    seen = set()

    def walk(option, where):
        assert set(option) <= render_conf_example_allowed_fields(), (where, option['name'])
        assert isinstance(option['name'], str) and option['name'], where
        assert isinstance(option['description'], str) and option['description'].strip(), option['name']
        for line in option['description'].splitlines():
            assert len(line) < 120, (option['name'], line)
        assert ('value' in option) != ('options' in option), option['name']
        if 'options' in option:
            for sub in option['options']:
                walk(sub, option['name'])
            return
        key = (where, option['name'])
        assert key not in seen, key
        seen.add(key)
        value = option['value']
        assert value['type'] in ('string', 'integer', 'number', 'boolean', 'array', 'object'), option['name']
        if value['type'] == 'array':
            assert 'type' in value['items'], option['name']
        if value['type'] == 'boolean' and not unsupported(option):
            assert isinstance(value['example'], bool), option['name']
        if 'default' in value and value['type'] == 'boolean':
            assert isinstance(value['default'], bool), option['name']
        if unsupported(option):
            assert option.get('hidden') is True, option['name']

    for section in file['options']:
        walk(section, 'file')
    required = {o['name'] for o in sections()['instances'] if o.get('required')}
    assert required == {'account_id', 'api_key'}
    assert next(o for o in sections()['instances'] if o['name'] == 'api_key').get('secret') is True


def render_conf_example_allowed_fields():
    # integrations-core's ExampleConsumer ALLOWED_OPTION_FIELDS
    return {'name', 'description', 'required', 'hidden', 'display_priority', 'deprecation', 'multiple',
            'multiple_instances_defined', 'metadata_tags', 'options', 'value', 'secret', 'enabled', 'example',
            'template', 'overrides'}


def test_the_example_is_the_rendered_spec_byte_for_byte():
    text, errors = render_conf_example.render(render_conf_example.load_spec(SPEC))
    assert errors == []
    # conf.d/ (this repository's layout) and the package's data/ (where ddev looks; what the wheel ships)
    for path in (EXAMPLE, os.path.join(ROOT, 'python_shim', 'datadog_checks', 'fireworks', 'data', 'conf.yaml.example')):
        with open(path, encoding='utf-8', newline='') as f:
            committed = f.read()
        assert committed == text, '{} is stale: run python3 packaging/render_conf_example.py'.format(path)
    r = subprocess.run([sys.executable, RENDERER, '--check'], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def test_the_renderer_check_mode_sees_a_stale_example(tmp_path):
    stale = tmp_path / 'conf.yaml.example'
    stale.write_text('init_config:\ninstances: []\n')
    r = subprocess.run([sys.executable, RENDERER, '--check', '--output', str(stale)], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 1 and 'stale' in r.stderr


def example_params():
    with open(EXAMPLE, encoding='utf-8') as f:
        text = f.read()
    head, tail = re.split(r'^instances:$', text, maxsplit=1, flags=re.M)
    return (set(re.findall(r'^ *## @param (\w+) ', head, re.M)),
            set(re.findall(r'^ *## @param (\w+) ', tail, re.M)), tail)


def test_the_params_of_each_section_are_the_specs_options():
    init_params, instance_params, _ = example_params()
    assert init_params == names('init_config', visible_only=True)
    assert instance_params == names('instances', visible_only=True)


def test_every_description_line_of_the_example_fits():
    with open(EXAMPLE, encoding='utf-8') as f:
        for line in f:
            if line.lstrip().startswith('## ') and '@param' not in line:
                assert len(line.rstrip('\n')) <= 120, line


def test_the_example_loads_into_a_check_without_warnings():
    with open(EXAMPLE, encoding='utf-8') as f:
        conf = yaml.safe_load(f)
    (instance,) = conf['instances']
    assert instance['account_id'] == '<ACCOUNT_ID>' and instance['min_collection_interval'] == 60
    assert cfg.option_warnings(instance, conf['init_config'] or {}) == []


def test_the_renderer_writes_nothing_for_hidden_options():
    """As ddev's ExampleConsumer: a hidden option (the unsupported ones among
    them) leaves no line in the example: the spec without its hidden options
    renders the same text, and no hidden option has a @param."""
    spec = load_spec()
    (file,) = spec['files']
    hidden = {o['name'] for s in file['options'] for o in s['options'] if o['hidden']}
    assert set(cfg.UNSUPPORTED_OPTIONS) <= hidden
    text, errors = render_conf_example.render(spec)
    assert not errors
    for section in file['options']:
        section['options'] = [o for o in section['options'] if not o['hidden']]
    assert render_conf_example.render(spec) == (text, [])
    for name in hidden:
        assert '@param {} '.format(name) not in text, name
    assert 'Not supported' not in text


def test_every_template_of_the_spec_resolves_in_the_copied_templates():
    raw = load_raw_spec()
    (file,) = raw['files']
    refs = config_spec.template_references(file['options'])
    assert refs, 'the spec selects its standard options from Datadog templates'
    templates = config_spec.Templates()
    for ref in refs:
        path = templates.file_of(ref)
        assert path and path.startswith(config_spec.TEMPLATES + os.sep), ref
        assert templates.load(ref), ref
    config_spec.expand(raw)  # every override applied, every option complete


def test_the_raw_spec_uses_only_config_spec_fields():
    def walk(option):
        assert set(option) <= render_conf_example_allowed_fields(), option.get('name', option.get('template'))
        for sub in option.get('options') or []:
            walk(sub)
    for section in load_raw_spec()['files'][0]['options']:
        walk(section)


def test_the_example_says_the_interval_default_is_15_and_not_in_init_config():
    init_params, _, _ = example_params()
    assert 'min_collection_interval' not in init_params
    with open(EXAMPLE, encoding='utf-8') as f:
        text = f.read()
    assert '## @param min_collection_interval - number - optional - default: 15\n' in text
    assert text.count('@param min_collection_interval') == 1


# -- the shim's option lists are the spec's (its generated table: test_option_table.py) --

def test_the_spec_documents_the_options_every_agent_instance_may_carry():
    assert {'min_collection_interval', 'empty_default_hostname', 'tags', 'service', 'name'} <= \
        names('instances') & set(cfg.AGENT_INSTANCE_OPTIONS)
    assert 'min_collection_interval' not in names('init_config')


def test_the_unsupported_options_and_reasons_are_the_specs():
    spec = {o['name']: ' '.join(o['description'].split()) for o in sections()['instances'] if unsupported(o)}
    assert spec == cfg.UNSUPPORTED_OPTIONS
    assert not set(spec) & (set(cfg.INSTANCE_OPTIONS) | set(cfg.AGENT_INSTANCE_OPTIONS))
    assert {'headers', 'extra_headers', 'allow_redirects', 'auth_type', 'username', 'password',
            'tls_protocols_allowed', 'tls_use_host_header', 'kerberos_auth', 'aws_region', 'ntlm_domain',
            'persist_connections', 'log_requests', 'auth_token', 'use_legacy_auth_encoding',
            'tls_ciphers'} <= set(spec)


def test_the_specs_defaults_are_the_codes():
    by_name = {o['name']: o for o in sections()['instances']}
    assert by_name['min_collection_interval']['value']['default'] == cfg.DEFAULT_MIN_COLLECTION_INTERVAL == 15
    assert by_name['min_collection_interval']['value']['display_default'] == 15


# -- unknown options: one warning each, with the closest name ---------------------

def test_rates_as_count():
    assert warnings_for(base_instance(rates_as_count='value-never-shown')) == [
        "unknown option 'rates_as_count' (did you mean 'rates_as_counts'?)"]


def test_max_request_per_minute():
    assert warnings_for(base_instance(max_request_per_minute=4)) == [
        "unknown option 'max_request_per_minute' (did you mean 'max_requests_per_minute'?)"]


def test_histogram_bucket_as_distributions():
    assert warnings_for(base_instance(histogram_bucket_as_distributions=False)) == [
        "unknown option 'histogram_bucket_as_distributions' (did you mean 'histogram_buckets_as_distributions'?)"]


def test_an_unknown_option_far_from_every_name_has_no_hint():
    assert warnings_for(base_instance(frobnicate=1)) == ["unknown option 'frobnicate'"]


def test_a_typo_in_init_config_is_warned_with_the_init_config_names():
    assert cfg.option_warnings(base_instance(), {'use_agent_proxi': False}) == [
        "unknown option 'use_agent_proxi' in init_config (did you mean 'use_agent_proxy'?)"]


def test_headers():
    assert warnings_for(base_instance(headers={'Authorization': 'Bearer other'})) == [
        "option 'headers' is not supported by this check and is ignored: the check sends its own fixed headers "
        '(Authorization, Accept, Accept-Encoding, User-Agent)']


def test_extra_headers():
    (text,) = warnings_for(base_instance(extra_headers={'X-Team': 'value-never-shown'}))
    assert text == "option 'extra_headers' is not supported by this check and is ignored: " + \
        cfg.UNSUPPORTED_OPTIONS['extra_headers']
    assert 'X-Team' not in text and 'value-never-shown' not in text


def test_allow_redirects():
    assert warnings_for(base_instance(allow_redirects=False)) == [
        "option 'allow_redirects' is not supported by this check and is ignored: redirects are followed within "
        "the endpoint's origin only, so the API key never goes elsewhere"]


def test_an_unsupported_option_in_init_config_is_warned():
    assert cfg.option_warnings(base_instance(), {'log_requests': True}) == [
        "option 'log_requests' in init_config is not supported by this check and is ignored: " +
        cfg.UNSUPPORTED_OPTIONS['log_requests']]


def test_a_valid_full_config_has_no_warning():
    instance = base_instance(
        openmetrics_endpoint='https://api.fireworks.ai/v1/accounts/acme/metrics', min_collection_interval=60,
        empty_default_hostname=True, tags=['env:prod'], service='inference', name='acme',
        max_requests_per_minute=5, max_retry_after=600, histogram_buckets_as_distributions=True,
        quantiles=[0.5, 0.99], rates_as_counts=True, metrics=['latency_.*'], exclude_metrics=['x'],
        exclude_labels=['deployment'], deployments={'include': ['prod-.*'], 'exclude': ['.*-canary']},
        timeout=10, connect_timeout=5, read_timeout=5, max_response_bytes=1 << 27, tls_verify=True,
        tls_validate_hostname=True, tls_ignore_warning=False, proxy={'https': 'http://proxy.internal:3128'},
        skip_proxy=False,
    )
    init_config = {'proxy': {'https': 'http://proxy.internal:3128'}, 'skip_proxy': False, 'use_agent_proxy': True,
                   'service': 'llm'}
    check = make(instance, init_config)
    assert check.option_warnings == [] and check.insecure_warnings == []
    check.cancel()
    # Every option of the spec, with its example value, is known too.
    everything = {o['name']: o['value'].get('example') for o in sections()['instances'] if not unsupported(o)}
    assert cfg.option_warnings(everything, {o['name']: 1 for o in sections()['init_config']}) == []


def test_the_cluster_check_example_has_no_warning():
    with open(os.path.join(ROOT, 'packaging', 'kubernetes', 'cluster-checks-values.yaml')) as f:
        values = yaml.safe_load(f)
    conf = yaml.safe_load(values['clusterAgent']['confd']['fireworks.yaml'])
    for instance in conf['instances']:
        assert warnings_for(instance, conf['init_config']) == []


@pytest.mark.parametrize('option, value', [
    ('min_collection_interval', 30), ('empty_default_hostname', True), ('tags', ['env:prod']),
    ('service', 'inference'), ('name', 'acme'), ('namespace', 'default'), ('no_index', False),
    ('disable_generic_tags', True), ('metric_patterns', {'exclude': ['fireworks.scrape.*']}),
    ('max_returned_metrics', 20000), ('loader', 'python'),
])
def test_options_every_agent_instance_may_carry_are_not_warned(option, value):
    assert warnings_for(base_instance(**{option: value})) == []


def test_generic_options_are_not_warned():
    assert warnings_for(base_instance(min_collection_interval=30, empty_default_hostname=True, tags=['a:b'],
                                      service='s', name='n')) == []


def test_options_in_the_wrong_place_say_where_they_belong():
    assert cfg.option_warnings(base_instance(use_agent_proxy=False)) == [
        "option 'use_agent_proxy' is read from init_config only and is ignored in an instance"]
    (text,) = cfg.option_warnings(base_instance(cluster_check=True))
    assert text.startswith("option 'cluster_check' is ignored in an instance: it belongs at the top level")
    assert cfg.option_warnings(base_instance(), {'timeout': 5}) == [
        "option 'timeout' in init_config is ignored: it is read from each instance; set it there"]


def test_init_config_min_collection_interval_gets_its_own_warning():
    check = make(base_instance(), {'min_collection_interval': 60})
    assert check.option_warnings == [
        "option 'min_collection_interval' in init_config is ignored: for Python checks the Agent reads it only "
        'from each instance; set it there (default 15 s)']
    assert check._client_config['mapping']['min_collection_interval'] == 15
    check.cancel()


# -- hostile names ---------------------------------------------------------------

def test_a_hostile_option_name_gives_a_bounded_clean_warning():
    key = 'x\x00\x1b[31m\n\u202e' + 'A' * 10000
    (text,) = warnings_for(base_instance(**{key: SECRET}))
    assert len(text) < 120, text
    assert text.isprintable() and '\x1b' not in text and '\n' not in text
    assert "unknown option 'x\\x00\\x1b[31m\\n\\u202eAAA" in text and "...'" in text
    assert SECRET not in text


def test_names_are_shown_never_values_nor_the_api_key():
    instance = base_instance(tokn=SECRET, headers={'Authorization': 'Bearer ' + SECRET})
    instance.update({'key-' + SECRET: 1, 7: SECRET, None: SECRET})  # YAML keys need not be strings
    texts = cfg.option_warnings(instance, {'passwd': SECRET})
    assert len(texts) == 6, texts
    joined = '\n'.join(texts)
    assert SECRET not in joined and 'Bearer' not in joined
    assert "unknown option 'key-<api_key>'" in joined
    assert "unknown option '7'" in joined and "unknown option 'None'" in joined
    assert "unknown option 'passwd' in init_config" in joined


def test_a_quote_in_a_name_cannot_end_the_quoting():
    (text,) = cfg.option_warnings(base_instance(**{"a' is fine, 'b": 1}))
    assert text == "unknown option 'a\\' is fine, \\'b'"


def test_many_unknown_options_are_counted_not_listed():
    instance = base_instance(**{'opt%d' % i: i for i in range(5000)})
    texts = cfg.option_warnings(instance)
    assert len(texts) == cfg.MAX_OPTION_WARNINGS + 1
    assert texts[-1] == '{} more option warnings not shown'.format(5000 - cfg.MAX_OPTION_WARNINGS)


def test_option_warnings_are_logged_once_at_the_first_run_not_at_construction(caplog):
    # The Agent sets check_id after the constructor: only a line logged from
    # a run names the instance (test_rtloader_contracts.py shows the prefix).
    caplog.set_level(logging.WARNING)
    check = make(base_instance(rates_as_count=True, headers={'a': 'b'}, timeout=1,
                               openmetrics_endpoint='https://127.0.0.1:%d/m' % free_port()))

    def logged():
        return [r.getMessage() for r in caplog.records if 'option' in r.getMessage()]

    assert logged() == []
    for _ in range(2):
        check.run()  # fails (nothing listens): the warnings are logged all the same
    assert logged() == check.option_warnings and len(logged()) == 2
    check.cancel()


def test_the_check_command_prints_option_warnings(tmp_path):
    conf = tmp_path / 'conf.yaml'
    conf.write_text(yaml.safe_dump({
        'init_config': {'min_collection_interval': 60},
        'instances': [base_instance(openmetrics_endpoint='https://127.0.0.1:%d/m' % free_port(), timeout=1,
                                    rates_as_count=True)],
    }))
    r = subprocess.run([sys.executable, '-m', 'datadog_checks.fireworks', 'check', '-c', str(conf)],
                       env=shim_env(), capture_output=True, text=True, timeout=60)
    assert "instance 0: warning: unknown option 'rates_as_count' (did you mean 'rates_as_counts'?)" in r.stderr
    assert "instance 0: warning: option 'min_collection_interval' in init_config is ignored" in r.stderr
    assert SECRET not in r.stdout + r.stderr


# -- booleans are booleans --------------------------------------------------------

@pytest.mark.parametrize('value, kind', [('false', 'a string'), ('true', 'a string'), (1, 'a number')])
def test_skip_proxy_must_be_a_boolean(value, kind):
    with pytest.raises(ConfigurationError) as e:
        make(base_instance(skip_proxy=value))
    assert str(e.value) == "option 'skip_proxy' must be true or false, not {}".format(kind)
    with pytest.raises(ConfigurationError) as e:
        make(base_instance(), {'skip_proxy': value})
    assert str(e.value) == "option 'skip_proxy' in init_config must be true or false, not {}".format(kind)


@pytest.mark.parametrize('value, kind', [('false', 'a string'), ('true', 'a string'), (1, 'a number')])
def test_use_agent_proxy_must_be_a_boolean(value, kind):
    with pytest.raises(ConfigurationError) as e:
        make(base_instance(), {'use_agent_proxy': value})
    assert str(e.value) == "option 'use_agent_proxy' in init_config must be true or false, not {}".format(kind)


@pytest.mark.parametrize('option', ['tls_ignore_warning', 'empty_default_hostname'])
@pytest.mark.parametrize('value', ['true', 'false', 0, [True]])
def test_other_booleans_read_in_python_must_be_booleans(option, value):
    with pytest.raises(ConfigurationError) as e:
        make(base_instance(**{option: value}))
    assert "option '{}' must be true or false, not ".format(option) in str(e.value)


def test_a_quoted_false_skip_proxy_no_longer_means_true():
    agent = {'https': 'http://agent:3128'}
    with pytest.raises(cfg.InvalidConfig):
        cfg.client_config(base_instance(skip_proxy='false'), {}, agent)
    assert cfg.client_config(base_instance(skip_proxy=False), {}, agent)['proxy'] == agent
    assert 'proxy' not in cfg.client_config(base_instance(skip_proxy=True), {}, agent)
    assert 'proxy' not in cfg.client_config(base_instance(), {'skip_proxy': True}, agent)
    assert cfg.client_config(base_instance(skip_proxy=False), {'skip_proxy': True}, agent)['proxy'] == agent


def test_a_boolean_forwarded_to_the_library_is_strict_there():
    with pytest.raises(ConfigurationError) as e:
        make(base_instance(tls_verify='false'))
    assert "option 'tls_verify' must be true or false, not a string" in str(e.value)
    assert SECRET not in str(e.value)


# -- tls_ignore_warning ------------------------------------------------------------

def test_tls_ignore_warning_silences_the_tls_warnings(caplog):
    caplog.set_level(logging.WARNING)
    loud = make(base_instance(tls_verify=False))
    assert [t for t in loud.insecure_warnings if t.startswith('tls_verify is false')]
    loud.cancel()
    caplog.clear()
    quiet = make(base_instance(tls_verify=False, tls_ignore_warning=True))
    assert quiet.insecure_warnings == [] and quiet.option_warnings == []
    assert not [r for r in caplog.records if 'tls_verify' in r.getMessage()]
    quiet.cancel()
    assert cfg.insecure_settings(base_instance(tls_validate_hostname=False, tls_ignore_warning=True)) == []
    # Not the http:// one: that is not about TLS.
    assert cfg.insecure_settings(base_instance(openmetrics_endpoint='http://gw/m', tls_ignore_warning=True)) == [
        'openmetrics_endpoint uses http://: the API key and the metrics travel unencrypted']


# -- the interval ----------------------------------------------------------------------

def test_the_first_run_interval_is_the_instances_else_15():
    assert cfg.client_config(base_instance())['mapping']['min_collection_interval'] == 15
    assert cfg.client_config(base_instance(), {'min_collection_interval': 45})['mapping'][
        'min_collection_interval'] == 15
    assert cfg.client_config(base_instance(min_collection_interval=60), {'min_collection_interval': 45})[
        'mapping']['min_collection_interval'] == 60
    check = make(base_instance(), {'min_collection_interval': 45})
    assert check._client_config['mapping']['min_collection_interval'] == 15
    check.cancel()


# -- the interval the Agent uses, and the proxy's keys ------------------------------

@pytest.mark.parametrize('value, used', [(None, 15), (30, 30), (45.9, 45), (0.5, 15), (0, 15), (-5, 15)])
def test_the_interval_is_read_as_the_agent_reads_it(value, used):
    instance = base_instance() if value is None else base_instance(min_collection_interval=value)
    check = make(instance)
    try:
        assert check._client_config['mapping']['min_collection_interval'] == used
        said = [w for w in check.option_warnings if 'min_collection_interval' in w]
        if value is None or value == used:
            assert said == []
        else:
            assert said == ["option 'min_collection_interval' is {!r}, which the Agent reads as {}: it runs this "
                            'instance every {} s'.format(value, int(value), used)]
    finally:
        check.cancel()


@pytest.mark.parametrize('value', ['30', True, [30], float('nan')])
def test_an_interval_that_is_not_a_number_is_refused(value):
    with pytest.raises(ConfigurationError, match="option 'min_collection_interval'"):
        make(base_instance(min_collection_interval=value))


def test_a_misspelt_proxy_key_is_refused_not_dropped():
    with pytest.raises(ConfigurationError, match=r"proxy\.htps.*unknown \(expected http, https or no_proxy\)"):
        make(base_instance(proxy={'htps': 'http://proxy.example:3128'}))
    check = make(base_instance(proxy={'https': 'http://proxy.example:3128', 'http': None}))
    assert check._client_config['proxy'] == {'https': 'http://proxy.example:3128'}
    check.cancel()


def test_the_example_shows_each_options_real_default():
    """ddev shows the example value as the default unless display_default
    says otherwise: an option whose default differs from its example must
    say so, or the example misleads (collect_inventory is off by default)."""
    (file,) = load_spec()['files']
    with open(EXAMPLE, encoding='utf-8') as f:
        shown = dict(re.findall(r'## @param (\w+) - [^\n]*? - default: ([^\n]+)', f.read()))
    checked = 0
    for section in file['options']:
        for option in section.get('options', []):
            value = option.get('value') or {}
            if 'default' not in value or option['name'] not in shown or isinstance(value['default'], (dict, list)):
                continue
            default = value['default']
            text = ('true' if default else 'false') if isinstance(default, bool) else str(default)
            assert shown[option['name']] == text, (option['name'], shown[option['name']], text)
            checked += 1
    assert checked >= 20


# -- the capacity and cost options (forwarded in "fleet", checked by the library) --

CAPACITY_AND_COSTS = {'collect_capacity': True, 'capacity_interval': 600, 'collect_costs': True,
                      'cost_interval': 1800, 'cost_scope': 'SELF',
                      'accelerator_prices': {'NVIDIA_H100_80GB': 7.0, 'AMD_MI300X_192GB': 3}}


def test_the_capacity_and_cost_options_travel_in_the_fleet_object():
    config = cfg.client_config(base_instance(**CAPACITY_AND_COSTS))
    assert config['fleet'] == CAPACITY_AND_COSTS
    assert not set(CAPACITY_AND_COSTS) & (set(config) | set(config['mapping']))
    # Left out, they are not sent: the library's defaults apply.
    assert 'fleet' not in cfg.client_config(base_instance())


def test_the_spec_gives_the_capacity_and_cost_defaults_and_bounds():
    by_name = {o['name']: o for o in sections()['instances']}
    assert {n: by_name[n]['value'].get('default') for n in CAPACITY_AND_COSTS} == {
        'collect_capacity': False, 'capacity_interval': 300, 'collect_costs': False, 'cost_interval': 3600,
        'cost_scope': 'ACCOUNT', 'accelerator_prices': None}
    for name in ('capacity_interval', 'cost_interval'):
        assert '(10 to 86400)' in ' '.join(by_name[name]['description'].split()), name
    for name, words in (('collect_capacity', ('free of charge', '10', '2 requests per capacity_interval')),
                        ('collect_costs', ('free of charge', '3 requests per cost_interval', 'never converted')),
                        ('cost_scope', ('ACCOUNT', 'SELF', '403')),
                        ('accelerator_prices', ('USD per accelerator-hour', 'price_source:config',
                                                'price_source:billing', 'no price list'))):
        text = ' '.join(by_name[name]['description'].split())
        for w in words:
            assert w in text, (name, w)


def test_a_price_that_is_not_a_finite_number_names_its_accelerator():
    with pytest.raises(cfg.InvalidConfig) as e:
        cfg.client_config(base_instance(accelerator_prices={'NVIDIA_H100_80GB': float('inf')}))
    assert str(e.value) == "option 'accelerator_prices.NVIDIA_H100_80GB' must be a finite number"
    with pytest.raises(cfg.InvalidConfig) as e:
        cfg.client_config(base_instance(accelerator_prices={8: 7.0}))
    assert str(e.value) == "option 'accelerator_prices' has a key that is not a string: 8"


@pytest.mark.parametrize('option, words', [
    ('collect_capacity', 'the account and its quotas'), ('collect_costs', 'the costs'),
    ('collect_usage', 'the billing usage'), ('collect_inventory', 'the deployments inventory'),
])
def test_an_http_api_endpoint_names_what_would_travel_in_clear(option, words):
    instance = base_instance(api_endpoint='http://gateway.internal:8080', **{option: True})
    assert cfg.insecure_settings(instance) == [
        'api_endpoint uses http://: the API key and {} travel unencrypted'.format(words)]
    both = base_instance(api_endpoint='http://gw', collect_capacity=True, collect_costs=True, collect_usage=True)
    assert cfg.insecure_settings(both) == [
        'api_endpoint uses http://: the API key and the billing usage, the account and its quotas and the costs '
        'travel unencrypted']


def test_every_fleet_option_at_its_example_is_taken_by_the_library():
    """The library reads the "fleet" object and refuses a name it does not
    know: the shim's list, the spec and the library's reader agree."""
    by_name = {o['name']: o for o in sections()['instances']}
    for name in cfg.FLEET_OPTIONS:
        example = by_name[name]['value']['example']
        if name == 'api_endpoint':
            example = 'https://127.0.0.1:9'  # nothing is asked of it here
        check = make(base_instance(**{name: example}))
        assert check._client_config['fleet'] == {name: example}
        check.cancel()


@pytest.mark.parametrize('option, value', [
    ('collect_capacity', 'true'), ('collect_costs', 1),
    ('capacity_interval', 9), ('capacity_interval', 86401), ('capacity_interval', 30.5), ('capacity_interval', '300'),
    ('cost_interval', 5), ('cost_interval', 100000),
    ('cost_scope', 'account'), ('cost_scope', 'ALL'), ('cost_scope', 7),
    ('accelerator_prices', [7.0]), ('accelerator_prices', {'NVIDIA_H100_80GB': 0}),
    ('accelerator_prices', {'NVIDIA_H100_80GB': -1}), ('accelerator_prices', {'NVIDIA_H100_80GB': 1000001}),
    ('accelerator_prices', {'NVIDIA_H100_80GB': '7'}), ('accelerator_prices', {'h100': 7.0}),
])
def test_a_wrong_capacity_or_cost_value_is_refused_naming_the_option(option, value):
    with pytest.raises(ConfigurationError) as e:
        make(base_instance(**{option: value}))
    # Refused for its value, by the reader that knows it: not as an unknown name.
    assert "option '{}".format(option) in str(e.value) and 'unknown option' not in str(e.value), str(e.value)
    assert SECRET not in str(e.value)


# -- options brought from Datadog's other checks ---------------------------------

def test_a_legacy_no_proxy_true_skips_the_proxy_as_datadogs_base_reads_it():
    # RequestsWrapper remaps an instance's no_proxy to skip_proxy unless skip_proxy is set.
    agent = {'https': 'http://agent:3128'}
    own = {'https': 'http://i:1'}
    assert 'proxy' not in cfg.client_config(base_instance(no_proxy=True), {}, agent)
    assert 'proxy' not in cfg.client_config(base_instance(no_proxy=True, proxy=own), {}, agent)
    assert cfg.client_config(base_instance(no_proxy=False), {'skip_proxy': True}, agent)['proxy'] == agent
    assert cfg.client_config(base_instance(no_proxy=True, skip_proxy=False), {}, agent)['proxy'] == agent
    assert 'proxy' not in cfg.client_config(base_instance(no_proxy=None), {'skip_proxy': True}, agent)
    assert cfg.client_config(base_instance(no_proxy=None), {}, agent)['proxy'] == agent
    check = make(base_instance(no_proxy=True))  # read, so no "not supported" warning
    assert not [w for w in check.warnings if 'no_proxy' in w]


def test_a_legacy_no_proxy_list_is_refused_naming_the_list_it_was_meant_for():
    with pytest.raises(ConfigurationError) as e:
        make(base_instance(no_proxy=['10.0.0.0/8']))
    assert str(e.value) == ("option 'no_proxy' is the old name of skip_proxy and must be true or false, not a list;"
                            " hosts that bypass the proxy go in proxy's no_proxy list")
    with pytest.raises(ConfigurationError) as e:
        make(base_instance(no_proxy='true'))
    assert str(e.value) == "option 'no_proxy' must be true or false, not a string"


def test_an_openmetrics_namespace_is_said_to_prefix_nothing_here():
    warning = ("option 'namespace' does not prefix metric names here as in Datadog's OpenMetrics check: they are"
               " always fireworks.*; the Agent only uses it in the instance's check ID")
    assert warnings_for(base_instance(namespace='fireworks')) == [warning]
    assert warnings_for(base_instance(namespace='Fireworks_AI')) == [warning]
    assert warnings_for(base_instance(namespace='default')) == []  # an Agent meaning: not warned


def test_an_openmetrics_renaming_entry_in_metrics_is_refused_saying_names_are_fixed():
    for metrics in ([{'request_counter_total': 'requests'}], ['latency_.*', {'a': {'name': 'b', 'type': 'gauge'}}]):
        with pytest.raises(ConfigurationError) as e:
            make(base_instance(metrics=metrics))
        assert str(e.value) == (
            "option 'metrics' must be a list of strings, names or patterns of Fireworks series: an entry cannot"
            " rename a series as a mapping does in Datadog's OpenMetrics check (the names are fixed, fireworks.*)")
    assert warnings_for(base_instance(metrics=['latency_.*'])) == []


def test_hostile_values_of_the_brought_options_are_refused_or_ignored_by_name():
    with pytest.raises(ConfigurationError) as e:
        make(base_instance(no_proxy={'hosts': ['a']}))
    assert str(e.value) == "option 'no_proxy' must be true or false, not a mapping"
    huge = 'fireworks' + 'x' * (4 << 20) + '\r\n\udcff'
    assert warnings_for(base_instance(namespace=huge)) == [
        "option 'namespace' does not prefix metric names here as in Datadog's OpenMetrics check: they are always"
        " fireworks.*; the Agent only uses it in the instance's check ID"]  # the value never appears
    assert warnings_for(base_instance(namespace=7)) == []
    with pytest.raises(ConfigurationError, match="option 'metrics' must be a list of strings, names or patterns"):
        make(base_instance(metrics=['x'] * 100000 + [{}]))


# Found in review: the key pasted where a pattern or a label goes was
# echoed by the refusal, which is raised before the base scrubs anything.
@pytest.mark.parametrize('option', [
    {'metrics': [SECRET + '(']}, {'extra_metrics': [SECRET + '(']}, {'exclude_metrics': [SECRET + '[']},
    {'deployments': {'include': [SECRET + '(']}}, {'rename_labels': {'replica': SECRET}},
    {'rename_labels': {SECRET: 'pod'}}, {'tls_ca_cert': '/nonexistent/' + SECRET},
])
def test_a_refused_value_holding_the_api_key_never_shows_it(option):
    with pytest.raises(ConfigurationError) as e:
        make(base_instance(**option))
    text = str(e.value)
    assert SECRET not in text and "option '" in text
    assert e.value.__cause__ is None and e.value.__suppress_context__  # the traceback shows no earlier message


@pytest.mark.parametrize('option, name', [
    ({'rename_labels': {'\ud800': 'pod'}}, 'rename_labels'),
    ({'rename_labels': {'replica': 'p\udcff'}}, 'rename_labels.replica'),
    ({'tags': ['team:\ud800']}, 'tags'),
    ({'metrics': ['a\udfff']}, 'metrics'),
])
def test_a_lone_surrogate_is_refused_naming_its_option(option, name):
    with pytest.raises(ConfigurationError) as e:
        make(base_instance(**option))
    assert str(e.value).startswith("option '{}' holds text that is not valid Unicode".format(name)), str(e.value)


# Found in review: the closest-name hint sent include_labels to exclude_labels, its opposite.
def test_openmetrics_options_without_an_equivalent_say_what_to_use_instead():
    said = warnings_for(base_instance(include_labels=['replica'], labels_mapper={'a': 'b'},
                                      exclude_metrics_by_labels={'replica': True}))
    assert said == [
        "option 'include_labels' is not supported by this check and is ignored: every Fireworks label becomes a tag;"
        " list those to drop in exclude_labels",
        "option 'labels_mapper' is not supported by this check and is ignored: the old name of rename_labels in"
        " Datadog's OpenMetrics check; use rename_labels",
        "option 'exclude_metrics_by_labels' is not supported by this check and is ignored: filter deployments with"
        " the deployments option, series with exclude_metrics"]
    assert not [w for w in said if 'did you mean' in w]
