# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The option table generated from spec.yaml (packaging/gen_option_table.py):
both forms are current and hold every option of the spec, the generator
refuses what it cannot carry and skips templates, and the shim's lists and
defaults are the table's. test_option_values.py holds configurations to it."""
import copy
import os
import subprocess
import sys

import pytest
import yaml

from conftest import load_script, ROOT
from datadog_checks.fireworks import config as cfg
from datadog_checks.fireworks.option_table import OPTIONS

GENERATOR = os.path.join(ROOT, 'packaging', 'gen_option_table.py')


gen = load_script(GENERATOR)


def minimal_spec(*options, section='instances'):
    """A spec of one file whose `section` holds `options`."""
    return {'name': 'x', 'files': [{'name': 'x.yaml', 'options': [
        {'name': section, 'description': 'd', 'options': list(options)}]}]}


def option(name='opt', **value):
    return {'name': name, 'description': 'd', 'metadata_tags': ['fireworks:client'], 'value': value}


# -- both forms are the spec's, byte for byte ------------------------------------

def test_the_generated_tables_are_current():
    files = gen.outputs(gen.load_spec())
    for path, text in files.items():
        with open(path, encoding='utf-8', newline='') as f:
            assert f.read() == text, '{} is stale: run python3 packaging/gen_option_table.py'.format(path)
    r = subprocess.run([sys.executable, GENERATOR, '--check'], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def test_the_check_mode_sees_a_stale_table(tmp_path):
    cpp, py = tmp_path / 'table.gen.hpp', tmp_path / 'option_table.py'
    argv = [sys.executable, GENERATOR, '--cpp', str(cpp), '--py', str(py)]
    assert subprocess.run(argv, capture_output=True, timeout=60).returncode == 0
    assert subprocess.run(argv + ['--check'], capture_output=True, timeout=60).returncode == 0
    py.write_text(py.read_text().replace("'instances', 'timeout', 'client', 'number', None, 0.001, 3600,",
                                         "'instances', 'timeout', 'client', 'number', None, 0.001, 7200,"))
    r = subprocess.run(argv + ['--check'], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and 'option_table.py stale' in r.stderr


def test_every_option_of_the_spec_has_its_row():
    spec = gen.load_spec()
    (file,) = spec['files']
    listed = [(s['name'], o['name']) for s in file['options'] for o in s['options']]
    assert [(o.section, o.name) for o in OPTIONS] == listed
    rows = {(o.section, o.name): o for o in OPTIONS}
    for section in file['options']:
        for opt in section['options']:
            row, value = rows[(section['name'], opt['name'])], opt['value']
            assert row.type == value['type'] and row.default == value.get('default'), opt['name']


def test_an_option_only_the_agent_reads_is_one_it_does_read():
    """An option with no reader tag is left to the Agent: it must be one the
    Agent does read, or a setting of the check was mistagged and is ignored."""
    for row in OPTIONS:
        if row.reader == 'agent':
            known = cfg.AGENT_INSTANCE_OPTIONS if row.section == 'instances' else cfg.AGENT_INIT_CONFIG_OPTIONS
            assert row.name in known, row


# -- the generator ------------------------------------------------------------------

def test_templates_are_skipped_and_named_and_sections_resolved():
    spec = {'name': 'x', 'files': [{'name': 'x.yaml', 'options': [
        {'template': 'init_config', 'options': [{'template': 'init_config/default'}]},
        {'template': 'instances', 'options': [
            option('account_id', type='string'), {'template': 'instances/http'}, {'template': 'instances/default'},
        ]},
    ]}]}
    rows, skipped = gen.rows(spec)
    assert [(r.section, r.name) for r in rows] == [('instances', 'account_id')]
    assert skipped == ['init_config/default', 'instances/http', 'instances/default']
    for text in gen.outputs(spec).values():
        assert 'Option templates skipped (not resolved here): init_config/default, instances/http' in text


@pytest.mark.parametrize('spec, words', [
    (minimal_spec(option(type='integer', minimum=10, default=5)), "option 'opt': its default"),
    (minimal_spec(option(type='integer', maximum=10, default=2.5)), "option 'opt': its default"),
    (minimal_spec(option(type='number', minimum=float('nan'))), "option 'opt': minimum must be a finite"),
    (minimal_spec(option(type='number', maximum=True)), "option 'opt': maximum must be a finite"),
    (minimal_spec(option(type='number', minimum=5, maximum=1)), "option 'opt': minimum above maximum"),
    (minimal_spec(option(type='string', maximum=5)), "option 'opt': bounds on a value of type string"),
    (minimal_spec(option(type='array', items={'type': 'number'}, maximum=5)),
     "option 'opt': bounds on a value of type array"),
    (minimal_spec(option(type='array', items={'type': 'number', 'maximum': 1}, default=[0.5, 2])),
     "option 'opt': an entry of its default"),
    (minimal_spec(option(anyOf=[{'type': 'string'}, {'type': 'integer'}])), "option 'opt': value keys not read"),
    (minimal_spec(option(type='float')), "option 'opt': type 'float'"),
    (minimal_spec(option(type='object', default={'a': 1})), "option 'opt': only a list of numbers"),
    (minimal_spec(option(type='string'), option(type='string')), "option 'opt' twice in instances"),
    (minimal_spec(dict(option(type='string'), metadata_tags=['fireworks:client', 'fireworks:shim'])),
     'name no one reader'),
    (minimal_spec(dict(option(type='string'), metadata_tags=['fireworks:unsupported'])), 'tagged unsupported'),
    (minimal_spec(option(type='string'), section='instance'), 'a section must be init_config or instances'),
])
def test_the_generator_refuses_what_the_table_cannot_carry(spec, words):
    with pytest.raises(gen.SpecError) as e:
        gen.outputs(spec)
    assert words in str(e.value)


def test_the_generator_reports_a_bad_spec_and_writes_nothing(tmp_path):
    spec = copy.deepcopy(gen.load_spec())
    timeout = next(o for o in spec['files'][0]['options'][1]['options'] if o['name'] == 'timeout')
    timeout['value']['default'] = 7200  # above its maximum
    path = tmp_path / 'spec.yaml'
    path.write_text(yaml.safe_dump(spec))
    cpp, py = tmp_path / 'a.hpp', tmp_path / 'b.py'
    r = subprocess.run([sys.executable, GENERATOR, '--spec', str(path), '--cpp', str(cpp), '--py', str(py)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "option 'timeout': its default" in r.stderr
    assert not cpp.exists() and not py.exists()


# -- the shim's lists and defaults come from the table ------------------------------

def test_the_shims_lists_are_the_tables():
    by_reader = {}
    for row in OPTIONS:
        if row.section == 'instances':
            by_reader.setdefault(row.reader, []).append(row.name)
    assert list(cfg.HTTP_OPTIONS) == by_reader['client']
    assert list(cfg.MAPPING_OPTIONS) == by_reader['mapping']
    assert list(cfg.FLEET_OPTIONS) == by_reader['fleet']
    assert list(cfg.SHIM_INSTANCE_OPTIONS) == by_reader['shim']
    assert set(cfg.UNSUPPORTED_OPTIONS) == set(by_reader['unsupported'])
    assert not set(cfg.UNSUPPORTED_OPTIONS) & set(cfg.INSTANCE_OPTIONS)


def test_the_shims_defaults_are_the_tables():
    instance = {'account_id': 'acme', 'api_key': 'k'}
    assert cfg.client_config(instance)['mapping']['min_collection_interval'] == cfg.DEFAULT_MIN_COLLECTION_INTERVAL
    assert cfg.DEFAULT_MIN_COLLECTION_INTERVAL == 15 and cfg.ready_grace_period({}) == 600
    agent = {'https': 'http://agent:3128'}
    # use_agent_proxy: true, skip_proxy: false
    assert cfg.client_config(instance, {}, agent)['proxy'] == agent
