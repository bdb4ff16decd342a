# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""python_shim/pyproject.toml as ddev's check template and `ddev validate
package` want it, the datadog-checks-base minimum it pins kept honest against
what the check calls, and the towncrier-managed changelog."""
import ast
import glob
import inspect
import json
import os
import re
from email.headerregistry import Address

import pytest

from conftest import ROOT, SHIM, load_script

tomllib = pytest.importorskip('tomllib')


def pyproject():
    with open(os.path.join(SHIM, 'pyproject.toml'), 'rb') as f:
        return tomllib.load(f)


def base_minimum():
    deps = pyproject()['project']['dependencies']
    (pin,) = [d for d in deps if d.startswith('datadog-checks-base')]
    m = re.fullmatch(r'datadog-checks-base>=(\d+\.\d+\.\d+)', pin)
    assert m, pin
    return m.group(1)


def version_tuple(text):
    return tuple(int(x) for x in text.split('.'))


def test_project_has_the_fields_of_ddevs_template_and_passes_validate_package():
    project = pyproject()['project']
    assert project['name'] == 'datadog-fireworks'  # datadog-<folder of the check>
    assert pyproject()['tool']['hatch']['version']['path'] == 'datadog_checks/fireworks/__about__.py'
    assert project['readme'] == 'README.md' and os.path.isfile(os.path.join(SHIM, project['readme']))
    assert project['license'] == 'BSD-3-Clause'
    assert project['authors'] and all(a['name'] for a in project['authors'])
    for author in project['authors']:
        if 'email' in author:
            Address(addr_spec=author['email'])  # raises as ddev's _validate_emails finds it invalid
    assert project['urls']['Source'].startswith('https://github.com/')
    classifiers = project['classifiers']
    for c in ('License :: OSI Approved :: BSD License', 'Private :: Do Not Upload', 'Topic :: System :: Monitoring',
              'Intended Audience :: System Administrators'):
        assert c in classifiers, c


def test_python_classifiers_match_requires_python_and_the_shim_parses_as_the_oldest():
    project = pyproject()['project']
    oldest = re.fullmatch(r'>=3\.(\d+)', project['requires-python'])
    assert oldest, project['requires-python']
    minors = sorted(int(c.rsplit('.', 1)[1]) for c in project['classifiers']
                    if re.fullmatch(r'Programming Language :: Python :: 3\.\d+', c))
    assert minors[0] == int(oldest.group(1)) and minors == list(range(minors[0], minors[-1] + 1))
    for path in glob.glob(os.path.join(SHIM, 'datadog_checks', '**', '*.py'), recursive=True):
        with open(path) as f:
            ast.parse(f.read(), path, feature_version=(3, minors[0]))


def test_supported_os_is_what_the_wheels_are_built_for_everywhere_it_is_said():
    """The tile, the classifiers and the wheel tags agree."""
    pytest.importorskip('hatchling.builders.hooks.plugin.interface')
    hook = load_script(os.path.join(SHIM, 'hatch_build.py'))
    systems = {'Linux' if tag.startswith('py3-none-manylinux2014_') else 'Windows' if tag == 'py3-none-win_amd64'
               else tag for tag, _ in hook.PLATFORMS.values()}
    classifier = {'Linux': 'Operating System :: POSIX :: Linux', 'Windows': 'Operating System :: Microsoft :: Windows'}
    with open(os.path.join(SHIM, 'manifest.json')) as f:
        manifest = json.load(f)
    tags = manifest['tile']['classifier_tags']
    assert sorted(t for t in tags if t.startswith('Supported OS::')) == sorted('Supported OS::' + s for s in systems)
    assert sorted(manifest['tile'].get('supported_os', [s.lower() for s in systems])) == sorted(s.lower() for s in systems)
    assert sorted(c for c in pyproject()['project']['classifiers'] if c.startswith('Operating System ::')) == sorted(
        classifier[s] for s in systems)


# -- the datadog-checks-base minimum ----------------------------------------------

# Every base API the check uses, with the datadog-checks-base release that
# first has it in the form used (datadog_checks_base/CHANGELOG.md); None for
# what every Agent 7 base has. register_secret is looked up with getattr: optional.
BASE_API_SINCE = {
    'gauge': None, 'count': None, 'event': None, 'warning': None, 'log': None,
    'instance': None, 'init_config': None, 'OK': None, 'WARNING': None, 'CRITICAL': None,
    'service_check': None,  # raw=
    'monotonic_count': '15.6.0',  # flush_first_value (#7901)
    'submit_histogram_bucket': '16.1.0',  # raw=, namespacing fixed (#8390)
}
# The call forms the check depends on, checked against the stand-in's signatures.
KEYWORDS = {'monotonic_count': 'flush_first_value', 'submit_histogram_bucket': 'raw', 'service_check': 'raw'}


def base_api_used_by_the_check():
    """self.<name> read in FireworksCheck that the class neither defines nor assigns."""
    with open(os.path.join(SHIM, 'datadog_checks', 'fireworks', 'check.py')) as f:
        tree = ast.parse(f.read())
    (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == 'FireworksCheck']
    defined = {n.name for n in cls.body if isinstance(n, ast.FunctionDef)}
    defined |= {t.id for n in cls.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    stored, read = set(), set()
    for n in ast.walk(cls):
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == 'self':
            (stored if isinstance(n.ctx, ast.Store) else read).add(n.attr)
    return read - stored - defined


def test_every_base_api_the_check_uses_is_listed_and_in_the_stand_in():
    used = base_api_used_by_the_check()
    assert used - set(BASE_API_SINCE) == set(), 'add the new base API, with its first release, to BASE_API_SINCE'
    from datadog_checks.base import AgentCheck
    check = AgentCheck('fireworks', {}, [{}])
    for name in sorted(used):
        assert hasattr(check, name), name
    for name, keyword in KEYWORDS.items():
        assert keyword in inspect.signature(getattr(AgentCheck, name)).parameters, (name, keyword)


def test_the_pinned_base_minimum_is_the_newest_api_the_check_needs():
    needed = max(version_tuple(v) for v in BASE_API_SINCE.values() if v)
    assert version_tuple(base_minimum()) == needed


def test_both_readmes_state_the_supported_agent_and_the_same_base_minimum():
    for readme in (os.path.join(ROOT, 'README.md'), os.path.join(SHIM, 'README.md')):
        with open(readme) as f:
            text = f.read()
        assert 'Supported: Datadog Agent 7.26.0 and later on Linux' in text, readme
        assert set(re.findall(r'datadog-checks-base>=([\d.]+)', text)) == {base_minimum()}, readme


# -- the towncrier-managed changelog ----------------------------------------------

# ddev's changelog entry types, in the order a release lists them (ddev/release/constants.py).
ENTRY_TYPES = ('removed', 'changed', 'security', 'deprecated', 'added', 'fixed')


def towncrier():
    return pyproject()['tool']['towncrier']


def test_towncrier_config_is_datadogs():
    tc = towncrier()
    assert [t['directory'] for t in tc['type']] == list(ENTRY_TYPES)
    assert all(t['name'] == t['directory'].title() and t['showcontent'] for t in tc['type'])
    assert tc['filename'] == 'CHANGELOG.md' and os.path.isfile(os.path.join(SHIM, tc['filename']))
    assert tc['directory'] == 'changelog.d' and os.path.isdir(os.path.join(SHIM, tc['directory']))
    assert tc['start_string'] == '<!-- towncrier release notes start -->\n'
    assert tc['underlines'] == ['', '', '']
    # A release heading as the changelog already writes them (test_assets checks those).
    heading = tc['title_format'].format(version='1.2.3', project_date='2027-01-31')
    assert re.fullmatch(r'## (\d+)\.(\d+)\.(\d+) / (\d{4})-(\d{2})-(\d{2})', heading)
    assert tc['issue_format'].format(issue=42).startswith('([#42](https://')
    with open(os.path.join(SHIM, tc['template'])) as f:
        template = f.read()
    assert "***{{ definitions[category]['name'] }}***:" in template  # the sections' '***Added***:' form


def test_changelog_has_the_towncrier_header_once_above_every_release():
    with open(os.path.join(SHIM, 'CHANGELOG.md')) as f:
        text = f.read()
    start = towncrier()['start_string']
    assert text.count(start) == 1 and text.startswith('# CHANGELOG - Fireworks AI\n\n' + start)
    assert text.index(start) < text.index('\n## ')


def test_changelog_fragments_are_named_pr_dot_type():
    names = os.listdir(os.path.join(SHIM, 'changelog.d'))
    assert 'README.md' in names  # says how to name them; towncrier skips it
    for name in names:
        if name in ('README.md', '.gitkeep'):
            continue
        assert re.fullmatch(r'\d+\.(?:{})'.format('|'.join(ENTRY_TYPES)), name), name
