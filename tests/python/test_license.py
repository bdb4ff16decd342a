# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The license as Datadog's reviewers check it: ddev's license-header rule on
every Python file, the LICENSE files, and the third-party notices that ship
beside the library in the wheel and in the manual-install tarball. None of
these needs a built library."""
import os
import re
import subprocess
import tarfile
import zipfile

import pytest

from conftest import ROOT, SHIM, load_script

# ddev's rule (datadog_checks_dev/.../tooling/license_headers.py): the pattern,
# matched at the very start of the file (re.match, MULTILINE and VERBOSE).
COPYRIGHT_PATTERN = re.compile(
    r"""
    ^(?:\#\ \(C\)\s*.*?\s*)+\n      # copyright holders
    \#\ All\ rights\ reserved\s*\n
    \#\ .*?(?i:license).*?$         # license info
    """,
    re.MULTILINE | re.VERBOSE,
)
HOLDER = 'Fireworks AI'
EXPECTED = ('# (C) {} 2026-present\n# All rights reserved\n'
            '# Licensed under a 3-clause BSD style license (see LICENSE)').format(HOLDER)
# Owned by a concurrent change, which adds its header; remove it from here then.
def license_header(text, shebang_allowed):
    """The header at the top of `text`, as ddev reads it ('' when none).
    Scripts outside the package may keep a shebang line above it."""
    if shebang_allowed and text.startswith('#!'):
        text = text.split('\n', 1)[1] if '\n' in text else ''
    m = COPYRIGHT_PATTERN.match(text)
    return m.group(0) if m else ''


def python_files():
    out = subprocess.run(['git', '-C', ROOT, 'ls-files', '-z', '--cached', '--others', '--exclude-standard', '*.py'],
                         capture_output=True, check=True).stdout.decode()
    return sorted(f for f in set(out.split('\0')) if f and os.path.isfile(os.path.join(ROOT, f)))


def test_the_rule_finds_the_header_and_refuses_a_file_without_it():
    assert license_header(EXPECTED + '\n"""Doc."""\n', False) == EXPECTED
    assert license_header('"""Doc."""\n' + EXPECTED + '\n', False) == ''
    assert license_header('import os\n', False) == ''
    assert license_header('# (C) X 2026-present\n# Licensed under BSD\n', False) == ''  # no "All rights reserved"
    # ddev reads from the first byte: a shebang is allowed only where we allow it.
    assert license_header('#!/usr/bin/env python3\n' + EXPECTED + '\n', False) == ''
    assert license_header('#!/usr/bin/env python3\n' + EXPECTED + '\n', True) == EXPECTED


def test_every_python_file_starts_with_the_license_header():
    files = python_files()
    assert 'python_shim/datadog_checks/fireworks/check.py' in files
    wrong = []
    for rel in files:
        with open(os.path.join(ROOT, rel), encoding='utf-8-sig') as f:
            text = f.read()
        # ddev validates the check's folder with no shebang allowance.
        header = license_header(text, shebang_allowed=not rel.startswith('python_shim/'))
        if header != EXPECTED:
            wrong.append('{}: {}'.format(rel, 'missing license header' if not header else 'not the expected header'))
    assert wrong == []


def test_the_generated_option_table_carries_the_header_from_its_generator():
    gen = load_script(os.path.join(ROOT, 'packaging', 'gen_option_table.py'))
    text = gen.render_py([], [])
    assert license_header(text, False) == EXPECTED


def test_license_files_are_the_same_bsd_3_clause_text():
    with open(os.path.join(ROOT, 'LICENSE')) as f:
        root = f.read()
    with open(os.path.join(SHIM, 'LICENSE')) as f:
        assert f.read() == root
    assert root.startswith('BSD 3-Clause License\n') and 'Copyright (c) 2026-present, {}\n'.format(HOLDER) in root
    assert 'Neither the name of the copyright holder' in root


# -- third-party notices ----------------------------------------------------------

NOTICES = os.path.join(SHIM, 'datadog_checks', 'fireworks', 'THIRD_PARTY_NOTICES')
# What the library compiles or links in, and the license each is taken under.
COMPONENTS = {
    'Boost': 'BSL-1.0', 'Boost.URL': None, 'Boost.Asio': None, 'Boost.Beast': None,
    'RapidJSON': 'MIT', 'zlib': 'Zlib', 'fast_float': 'MIT',
    'libc++': 'Apache-2.0 WITH LLVM-exception', 'libc++abi': None, 'libunwind': None,
    'OpenSSL 3': 'Apache-2.0',
    # libfwm.dll (Windows)
    'mingw-w64 runtime': 'ZPL-2.1', 'mingw-w64 winpthreads': 'MIT',
    'GCC libstdc++ and libgcc': 'GPL-3.0-or-later WITH GCC-exception-3.1',
}


def test_notices_name_each_component_with_its_license_and_text():
    with open(NOTICES) as f:
        text = f.read()
    for name, spdx in COMPONENTS.items():
        assert name in text, name
        if spdx:
            assert re.search(re.escape(name) + r'.*' + re.escape(spdx), text), (name, spdx)
    assert 'Boost 1.81' in text and 'RapidJSON 1.1.0' in text
    assert re.search(r'OpenSSL 3 \(Apache-2\.0\).*\n.*dynamically', text) and 'No OpenSSL code is in' in text
    # The license texts themselves, not only their names.
    for needle in ('Boost Software License - Version 1.0', 'Permission is hereby granted, free of charge',
                   "This software is provided 'as-is'", 'LLVM Exceptions to the Apache 2.0 License',
                   'TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION',
                   'Redistributions in binary form must reproduce the accompanying'):
        assert needle in text, needle


def test_the_wheel_config_ships_the_notices_and_the_license():
    tomllib = pytest.importorskip('tomllib')
    with open(os.path.join(SHIM, 'pyproject.toml'), 'rb') as f:
        project = tomllib.load(f)
    wheel = project['tool']['hatch']['build']['targets']['wheel']
    rel = os.path.relpath(NOTICES, SHIM)
    assert any(rel == p or rel.startswith(p.rstrip('/') + '/') for p in wheel['only-include'])
    excluded = project['tool']['hatch']['build']['exclude']
    assert not any(re.fullmatch(p.replace('.', r'\.').replace('*', '.*'), 'THIRD_PARTY_NOTICES') for p in excluded)
    # No license-files: hatchling's default globs (LICEN[CS]E*) take python_shim/LICENSE,
    # and the table form hatchling 1.12 wants is refused by newer ones.
    assert 'license-files' not in project['project'] and project['project']['license'] == 'BSD-3-Clause'


def test_a_wheel_built_from_the_sources_carries_the_license_and_the_notices(tmp_path, monkeypatch):
    """The wheel as build_wheels.sh builds it, with a stand-in library: the
    Python side of packaging needs no C++ build."""
    wheel_builder = pytest.importorskip('hatchling.builders.wheel')
    lib = tmp_path / 'libfwm.so'
    lib.write_bytes(b'\x7fELF stand-in')
    monkeypatch.setenv('FWM_WHEEL_ARCH', 'x86_64')
    monkeypatch.setenv('FWM_WHEEL_LIBRARY', str(lib))
    builder = wheel_builder.WheelBuilder(SHIM)
    path = next(iter(builder.build(directory=str(tmp_path / 'dist'), versions=['standard'])))
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        notices = z.read('datadog_checks/fireworks/THIRD_PARTY_NOTICES')
        licenses = [n for n in names if re.search(r'\.dist-info/licen[cs]es?(_files)?/LICENSE$', n)]
        assert len(licenses) == 1, sorted(names)
        with open(os.path.join(SHIM, 'LICENSE'), 'rb') as f:
            assert z.read(licenses[0]) == f.read()
        meta = z.read(next(n for n in names if n.endswith('.dist-info/METADATA'))).decode()
    with open(NOTICES, 'rb') as f:
        assert notices == f.read()
    assert re.search(r'^License(-Expression)?: BSD-3-Clause$', meta, re.M)
    assert 'datadog_checks/fireworks/libfwm.so' in names


def test_the_manual_tarball_carries_the_license_the_notices_and_headers(tmp_path):
    tarball = load_script(os.path.join(ROOT, 'packaging', 'manual_tarball.py'))
    lib = tmp_path / 'libfwm.so'
    lib.write_bytes(b'\x7fELF stand-in')
    path = tarball.build(str(lib), 'x86_64', str(tmp_path))
    with tarfile.open(path) as t:
        names = set(t.getnames())
        read = lambda n: t.extractfile(n).read()  # noqa: E731
        assert read('checks.d/datadog_checks/fireworks/THIRD_PARTY_NOTICES') == open(NOTICES, 'rb').read()
        assert read('checks.d/datadog_checks/fireworks/LICENSE') == open(os.path.join(SHIM, 'LICENSE'), 'rb').read()
        for name in sorted(n for n in names if n.endswith('.py')):
            assert license_header(read(name).decode(), False) == EXPECTED, name
