#!/usr/bin/env python3
# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Generates the option table from python_shim/assets/configuration/spec.yaml,
in the two forms its readers use:

    lib/src/options/table.gen.hpp                        the library's option readers
    python_shim/datadog_checks/fireworks/option_table.py the shim's config.py

    python3 packaging/gen_option_table.py           # (re)writes both
    python3 packaging/gen_option_table.py --check   # exits 1 when either is stale

One row per option and section: its name, its reader (the spec's
`fireworks:<reader>` metadata tag: client, mapping, fleet or shim; agent when
it has none; unsupported for `fireworks:unsupported`), its type, its entries'
type for a list or a mapping, its bounds (JSON-schema `minimum`, `maximum` and
`exclusiveMinimum` under `value`, or under `items` / `additionalProperties`
for a list's or a mapping's entries) and its default (`value.default`).

Both files are checked in, so that neither the C++ build (also a Zig cross
build) nor the wheel needs Python or PyYAML; tests/python/test_option_table.py
fails when they are stale.

The spec is read through packaging/config_spec.py, which expands its
`template:` entries (Datadog's templates, copied in packaging/ddev_templates)
as ddev's loader does, so an option selected from a template is a row like
any other.

Only the standard library and PyYAML.
"""
import argparse
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import config_spec  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEC = os.path.join(ROOT, 'python_shim', 'assets', 'configuration', 'spec.yaml')
CPP = os.path.join(ROOT, 'lib', 'src', 'options', 'table.gen.hpp')
PY = os.path.join(ROOT, 'python_shim', 'datadog_checks', 'fireworks', 'option_table.py')

SECTIONS = ('init_config', 'instances')
TYPES = ('boolean', 'integer', 'number', 'string', 'array', 'object')
READERS = ('client', 'mapping', 'fleet', 'shim')
UNSUPPORTED_TAG = 'fireworks:unsupported'
# What a value may hold besides its type: the renderer's keys and the bounds
# read here. Anything else (anyOf, exclusiveMaximum, ...) is refused rather
# than left out of the table unnoticed.
VALUE_KEYS = {'type', 'example', 'default', 'display_default', 'compact_example', 'properties', 'items',
              'additionalProperties', 'minimum', 'maximum', 'exclusiveMinimum'}
BOUND_KEYS = ('minimum', 'maximum', 'exclusiveMinimum')


SpecError = config_spec.SpecError


class Row:
    """One option of one section, as both files write it."""

    def __init__(self, section, name, reader, type_, item=None, minimum=None, maximum=None,
                 exclusive_minimum=False, default=None, reason=None):
        self.section, self.name, self.reader, self.type, self.item = section, name, reader, type_, item
        self.minimum, self.maximum, self.exclusive_minimum = minimum, maximum, exclusive_minimum
        self.default, self.reason = default, reason


def load_spec(path=SPEC):
    """The spec, its templates expanded."""
    return config_spec.load(path)


def _is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _bounds(name, schema):
    """minimum, maximum, exclusive minimum of a value or of its entries."""
    for key in BOUND_KEYS:
        if key in schema and not _is_number(schema[key]):
            raise SpecError("option '{}': {} must be a finite number".format(name, key))
    if 'minimum' in schema and 'exclusiveMinimum' in schema:
        raise SpecError("option '{}': minimum and exclusiveMinimum together".format(name))
    has = any(k in schema for k in BOUND_KEYS)
    if has and schema.get('type') not in ('integer', 'number'):
        raise SpecError("option '{}': bounds on a value of type {}".format(name, schema.get('type')))
    low = schema.get('minimum', schema.get('exclusiveMinimum'))
    high = schema.get('maximum')
    if low is not None and high is not None and low > high:
        raise SpecError("option '{}': minimum above maximum".format(name))
    return low, high, 'exclusiveMinimum' in schema


def _entries(name, value):
    """The schema of a list's items or a mapping's values, if the spec gives one."""
    if value['type'] == 'array':
        return value.get('items')
    if value['type'] == 'object' and isinstance(value.get('additionalProperties'), dict):
        return value['additionalProperties']
    if 'items' in value or 'additionalProperties' in value:
        raise SpecError("option '{}': entries given for a {}".format(name, value['type']))
    return None


def _fits(value, type_, bounds):
    """Whether a default (or one of a list's entries) is of its type and in its bounds."""
    checks = {'boolean': lambda v: isinstance(v, bool), 'string': lambda v: isinstance(v, str),
              'integer': lambda v: _is_number(v) and v == int(v), 'number': _is_number,
              'array': lambda v: isinstance(v, list), 'object': lambda v: isinstance(v, dict)}
    if not checks[type_](value):
        return False
    low, high, exclusive = bounds
    if low is not None and (value <= low if exclusive else value < low):
        return False
    return high is None or value <= high


def _default(name, value, item, item_bounds, bounds):
    if 'default' not in value:
        return None
    default = value['default']
    if default is None or not _fits(default, value['type'], bounds):
        raise SpecError("option '{}': its default is not of its type or out of its bounds".format(name))
    if value['type'] == 'object' or (value['type'] == 'array' and item not in ('integer', 'number')):
        raise SpecError("option '{}': only a list of numbers may have a default list".format(name))
    if value['type'] == 'array' and not all(_fits(x, item, item_bounds) for x in default):
        raise SpecError("option '{}': an entry of its default is out of its bounds".format(name))
    return default


def _reader(option):
    tags = [t for t in option.get('metadata_tags') or [] if str(t).startswith('fireworks:')]
    if tags == [UNSUPPORTED_TAG]:
        if not option.get('hidden'):
            raise SpecError("option '{}' is tagged unsupported but not hidden".format(option['name']))
        return 'unsupported'
    readers = [t.split(':', 1)[1] for t in tags]
    if len(readers) > 1 or not set(readers) <= set(READERS):
        raise SpecError("option '{}': metadata tags {} name no one reader of {}".format(
            option['name'], tags, ', '.join(READERS)))
    return readers[0] if readers else 'agent'


def _row(section, option):
    name, value = option['name'], option['value']
    if not set(value) <= VALUE_KEYS:
        raise SpecError("option '{}': value keys not read here: {}".format(name, sorted(set(value) - VALUE_KEYS)))
    if value.get('type') not in TYPES:
        raise SpecError("option '{}': type {!r} is not one of {}".format(name, value.get('type'), TYPES))
    entries = _entries(name, value)
    item = None
    item_bounds = (None, None, False)
    if entries is not None:
        item = entries.get('type')
        if item not in TYPES:
            raise SpecError("option '{}': entries of type {!r}".format(name, item))
        item_bounds = _bounds(name, entries)
    bounds = _bounds(name, value)  # refused on a list or a mapping itself
    low, high, exclusive = item_bounds if entries is not None else bounds
    reader = _reader(option)
    reason = ' '.join(option['description'].split()) if reader == 'unsupported' else None
    return Row(section, name, reader, value['type'], item, low, high, exclusive,
               _default(name, value, item, item_bounds, bounds), reason)


def rows(spec):
    """The table's rows in the spec's order (templates expanded), and the
    option templates left unexpanded (none once the spec is loaded by
    load_spec)."""
    files = spec.get('files') or []
    if len(files) != 1:
        raise SpecError('the spec must have exactly one file')
    out, skipped, seen = [], [], set()
    for section in files[0].get('options') or []:
        name = section.get('name') or section.get('template')
        if name not in SECTIONS:
            raise SpecError('a section must be init_config or instances, not {!r}'.format(name))
        for option in section.get('options') or []:
            if 'template' in option:
                skipped.append(option['template'])
                continue
            if (name, option['name']) in seen:
                raise SpecError("option '{}' twice in {}".format(option['name'], name))
            seen.add((name, option['name']))
            out.append(_row(name, option))
    return out, skipped


def _cpp_number(x):
    text = repr(float(x))
    return text if text not in ('inf', '-inf', 'nan') else None


def _cpp_string(s):
    if not s.isascii() or not s.isprintable() or '"' in s or '\\' in s:
        raise SpecError('{!r}: only printable ASCII without quotes or backslashes in the C++ table'.format(s))
    return '"{}"'.format(s)


def _cpp_fields(row):
    fields = ['.name = ' + _cpp_string(row.name), '.section = Section::' + row.section,
              '.reader = Reader::' + row.reader, '.type = Type::' + row.type]
    if row.item:
        fields.append('.item = Type::' + row.item)
    if row.minimum is not None:
        fields.append('.min = ' + _cpp_number(row.minimum))
    if row.maximum is not None:
        fields.append('.max = ' + _cpp_number(row.maximum))
    if row.exclusive_minimum:
        fields.append('.min_exclusive = true')
    if row.default is not None:
        fields.append('.has_default = true')
        if row.type == 'boolean':
            fields.append('.flag = ' + ('true' if row.default else 'false'))
        elif row.type in ('integer', 'number'):
            fields.append('.number = ' + _cpp_number(row.default))
        elif row.type == 'string':
            fields.append('.text = ' + _cpp_string(row.default))
        else:
            fields.append('.numbers = ' + _cpp_list_name(row))
    return fields


def _cpp_list_name(row):
    return 'k{}_{}'.format(row.section.title().replace('_', ''), row.name)


def _wrapped(fields, indent, limit=120):
    lines, line = [], indent + '{'
    for i, field in enumerate(fields):
        piece = field + (', ' if i + 1 < len(fields) else '},')
        if len(line) + len(piece.rstrip()) > limit:
            lines.append(line.rstrip())
            line = indent + '    '
        line += piece
    lines.append(line)
    return lines


def _heading(skipped, comment):
    lines = ['Generated by packaging/gen_option_table.py from python_shim/assets/configuration/spec.yaml:',
             'do not edit; run /usr/bin/python3 packaging/gen_option_table.py.']
    if skipped:
        lines.append('Option templates skipped (not resolved here): {}.'.format(', '.join(skipped)))
    return [comment + ' ' + line for line in lines]


def render_cpp(table, skipped):
    out = _heading(skipped, '//') + ['#pragma once', '', '#include "options/spec.hpp"', '',
                                     'namespace fwm::options {', '']
    for row in table:
        if row.type == 'array' and row.default is not None:
            out.append('inline constexpr double {}[] = {{{}}};'.format(
                _cpp_list_name(row), ', '.join(_cpp_number(x) for x in row.default)))
    out += ['', '// Every option of spec.yaml, in its order.', 'inline constexpr OptionSpec kTable[] = {']
    for row in table:
        out += _wrapped(_cpp_fields(row), '    ')
    out += ['};', '', '} // namespace fwm::options', '']
    return '\n'.join(out)


# The project's license header (ddev validate license-headers), first in the generated module.
PY_LICENSE_HEADER = ['# (C) Fireworks AI 2026-present', '# All rights reserved',
                     '# Licensed under a 3-clause BSD style license (see LICENSE)']


def render_py(table, skipped):
    out = PY_LICENSE_HEADER + ['"""The option table: every option of spec.yaml, in its order.', '']
    out += [line[2:] for line in _heading(skipped, '#')]
    out += ['"""', 'from collections import namedtuple', '',
            "Option = namedtuple('Option', 'section name reader type item minimum maximum exclusive_minimum default')",
            '', 'OPTIONS = (']
    for row in table:
        args = (row.section, row.name, row.reader, row.type, row.item, row.minimum, row.maximum,
                row.exclusive_minimum, row.default)
        text = '    Option({}),'.format(', '.join(repr(a) for a in args))
        if len(text) > 120:
            text = '    Option({},\n           {}),'.format(', '.join(repr(a) for a in args[:5]),
                                                          ', '.join(repr(a) for a in args[5:]))
        out.append(text)
    out += [')', '', '# Why the check ignores each unsupported option: its description in the spec.',
            'UNSUPPORTED_REASONS = {']
    for row in table:
        if row.reason:
            out.append('    {!r}:\n        {!r},'.format(row.name, row.reason))
    out += ['}', '']
    return '\n'.join(out)


def outputs(spec, cpp=CPP, py=PY):
    table, skipped = rows(spec)
    return {cpp: render_cpp(table, skipped), py: render_py(table, skipped)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--spec', default=SPEC)
    parser.add_argument('--cpp', default=CPP, help='the C++ table (default: %(default)s)')
    parser.add_argument('--py', default=PY, help='the Python table (default: %(default)s)')
    parser.add_argument('--check', action='store_true', help='exit 1 if a file differs, write nothing')
    args = parser.parse_args(argv)
    try:
        files = outputs(load_spec(args.spec), args.cpp, args.py)
    except SpecError as e:
        sys.stderr.write('error: {}\n'.format(e))
        return 1
    stale = []
    for path, text in files.items():
        try:
            with open(path, encoding='utf-8', newline='') as f:
                current = f.read()
        except OSError:
            current = None
        if current == text:
            continue
        if args.check:
            stale.append(os.path.relpath(path, ROOT))
        else:
            with open(path, 'w', encoding='utf-8', newline='\n') as f:
                f.write(text)
    if stale:
        sys.stderr.write('{} stale: run python3 packaging/gen_option_table.py\n'.format(', '.join(stale)))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
