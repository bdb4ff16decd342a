#!/usr/bin/env python3
# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Renders conf.d/fireworks.d/conf.yaml.example (and its copy in the package's data/) from
python_shim/assets/configuration/spec.yaml.

    python3 packaging/render_conf_example.py           # (re)writes the example
    python3 packaging/render_conf_example.py --check   # exits 1 when it is stale

The rendering follows integrations-core's ExampleConsumer
(datadog_checks_dev/.../configuration/consumers/example.py), which
`ddev validate config --sync` uses, so the file reads like every other
Agent example: `## @param name - type - required|optional - default: x`,
the description, `#`, then the example, uncommented when the option is
required or `enabled`. The spec is read through packaging/config_spec.py,
which expands its `template:` entries and sets the loader's defaults as ddev
does; the example of a value without one is `<NAME>`, as ddev's gives it.
Hidden options (among them those tagged `fireworks:unsupported`, the HTTP
options of other Datadog checks that this check ignores, with a warning) are
not written, as in ddev's.

Only the standard library and PyYAML.
"""
import argparse
import os
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import config_spec  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEC = os.path.join(ROOT, 'python_shim', 'assets', 'configuration', 'spec.yaml')
EXAMPLE = os.path.join(ROOT, 'conf.d', 'fireworks.d', 'conf.yaml.example')
PACKAGE_DATA = os.path.join(ROOT, 'python_shim', 'datadog_checks', 'fireworks', 'data')

LINE_LIMIT = 120

SpecError = config_spec.SpecError


def load_spec(path=SPEC):
    """The spec, its templates expanded."""
    return config_spec.load(path)


def _fill_defaults(option):
    """What the integrations-core producer sets on every option."""
    option.setdefault('required', False)
    option.setdefault('hidden', False)
    option.setdefault('display_priority', 0)
    option.setdefault('deprecation', None)
    option.setdefault('multiple', False)
    option.setdefault('metadata_tags', [])
    if 'value' in option:
        value = option['value']
        if 'example' not in value:
            if value.get('type') == 'boolean':
                raise SpecError("option '{}': a boolean needs an example".format(option['name']))
            value['example'] = '<{}>'.format(option['name'].upper())
    for sub in option.get('options', []):
        _fill_defaults(sub)
    return option


def _yaml(obj, **kwargs):
    kwargs.setdefault('default_flow_style', False)
    return yaml.safe_dump(obj, sort_keys=False, **kwargs)


def _type_string(value):
    if 'anyOf' in value:
        return ' or '.join(_type_string(t) for t in value['anyOf'])
    kind = value['type']
    if kind == 'object':
        return 'mapping'
    if kind == 'array':
        items = value['items']
        if 'anyOf' in items:
            return '(list of {})'.format(_type_string(items))
        if items['type'] == 'object':
            return 'list of mappings'
        if items['type'] == 'array':
            return 'list of lists'
        return 'list of {}s'.format(items['type'])
    return kind


def _enabled(option):
    if 'enabled' in option:
        return bool(option['enabled'])
    return option['required']


class _Writer:
    def __init__(self):
        self.parts = []
        self.errors = []

    def write(self, *strings):
        self.parts.extend(strings)

    def text(self):
        return ''.join(self.parts)


def _description(option, w, indent):
    text = option['description']
    if option['deprecation']:
        text += '\n\n<<< DEPRECATED >>>\n\n'
        for key, info in option['deprecation'].items():
            head = '{}: '.format(key)
            for i, line in enumerate(info.splitlines()):
                text += (' ' * len(head) if i else head) + line + '\n'
    for line in text.splitlines():
        if line:
            line = '{}## {}'.format(indent, line)
            if len(line) > LINE_LIMIT:
                w.errors.append("description line of '{}' is {} characters, over {}".format(
                    option['name'], len(line), LINE_LIMIT))
            w.write(line)
        else:
            w.write(indent, '##')
        w.write('\n')


def _default_part(value):
    example = value.get('example')
    if 'display_default' in value:
        default = value['display_default']
        if default is None or str(default).lower() == 'none':
            return ''
        if isinstance(default, bool):
            return ' - default: ' + ('true' if default else 'false')
        if isinstance(default, str):
            return ' - default: ' + default
        return ' - default: ' + repr(default)
    if isinstance(example, bool):
        return ' - default: ' + ('true' if example else 'false')
    if isinstance(example, (int, float)):
        return ' - default: ' + str(example)
    if isinstance(example, str) and example and not (example[0] == '<' and example[-1] == '>'):
        return ' - default: ' + example
    return ''


def _option(option, w, indent='', start_list=False):
    name = option['name']
    if 'value' not in option:
        _section(option, w, indent)
        return
    value = option['value']
    w.write(indent, '## @param ', name, ' - ', _type_string(value), ' - ',
            'required' if option['required'] else 'optional')
    if not option['required']:
        w.write(_default_part(value))
    w.write('\n')
    _description(option, w, indent)
    w.write(indent, '#\n')
    example = value.get('example')
    if start_list:
        text = _yaml([{name: example}])
        indent = indent[:-2]
    elif value.get('compact_example') and isinstance(example, list):
        lines = ['{}:'.format(name)]
        for item in example:
            if isinstance(item, str):
                item = _yaml(item, default_flow_style=True, default_style='"')
            else:
                item = _yaml(item, default_flow_style=True, width=float('inf'))
            lines.append('- {}'.format(item.strip()))
        text = '\n'.join(lines)
    else:
        text = _yaml({name: example})
    example_indent = '  ' if isinstance(example, list) and example else ''
    for i, line in enumerate(text.splitlines()):
        w.write(indent)
        if not _enabled(option):
            w.write('# ')
        if i > 0:
            w.write(example_indent)
        w.write(line, '\n')


def _section(option, w, indent):
    _description(option, w, indent)
    w.write(indent, '#\n')
    if not _enabled(option):
        w.write(indent, '# ', option['name'], ':', '\n')
    else:
        w.write(indent, option['name'], ':', '\n')
    if option.get('multiple') and option.get('multiple_instances_defined'):
        raise SpecError('multiple_instances_defined is not supported by this renderer')
    _sub_options(option, w, indent, option['multiple'])


def _sub_options(option, w, indent, multiple):
    options = sorted(option['options'], key=lambda o: -o['display_priority'])
    next_indent = indent + '    '
    if not options and multiple:
        w.write('\n', next_indent[:-2], '- {}\n')
        return
    for i, opt in enumerate(options):
        if opt['hidden']:
            continue
        w.write('\n')
        if i == 0 and multiple:
            if _enabled(opt):
                _option(opt, w, next_indent, start_list=True)
            else:
                w.write(next_indent[:-2], '-\n')
                _option(opt, w, next_indent)
        else:
            _option(opt, w, next_indent)


def render(spec):
    """The example file's text for the spec's single file, and the errors found."""
    files = spec.get('files') or []
    if len(files) != 1:
        raise SpecError('the spec must have exactly one file')
    w = _Writer()
    options = [_fill_defaults(dict(o)) for o in _copy(files[0]['options'])]
    for i, option in enumerate(options, 1):
        if option['hidden']:
            continue
        _option(option, w)
        if i != len(options):
            w.write('\n')
    return w.text(), w.errors


def _copy(obj):
    # A deep copy through YAML's own types (the spec is plain data).
    if isinstance(obj, dict):
        return {k: _copy(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_copy(v) for v in obj]
    return obj


def example_paths(spec):
    """Where the example goes: conf.d/fireworks.d/ (this repository's layout)
    and the package's data/ folder (where ddev looks, and what the wheel ships)."""
    name = spec['files'][0].get('example_name', 'conf.yaml.example')
    return [os.path.join(os.path.dirname(EXAMPLE), name), os.path.join(PACKAGE_DATA, name)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--spec', default=SPEC)
    parser.add_argument('--output', help='where to write (default: conf.d/fireworks.d/<example_name>)')
    parser.add_argument('--check', action='store_true', help='exit 1 if the example differs, write nothing')
    args = parser.parse_args(argv)
    spec = load_spec(args.spec)
    text, errors = render(spec)
    for e in errors:
        sys.stderr.write('error: {}\n'.format(e))
    if errors:
        return 1
    outputs = [args.output] if args.output else example_paths(spec)
    if args.check:
        stale = []
        for out in outputs:
            try:
                with open(out, encoding='utf-8', newline='') as f:
                    current = f.read()
            except OSError:
                current = None
            if current != text:
                stale.append(out)
        for out in stale:
            sys.stderr.write('{} is stale: run python3 packaging/render_conf_example.py\n'.format(out))
        return 1 if stale else 0
    for out in outputs:
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, 'w', encoding='utf-8', newline='\n') as f:
            f.write(text)
    return 0

if __name__ == '__main__':
    sys.exit(main())
