# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Loads python_shim/assets/configuration/spec.yaml and expands its
`template:` entries as integrations-core's loader does
(datadog_checks_dev/.../tooling/configuration/template.py and spec.py's
options_validator), from the copies of Datadog's templates in
packaging/ddev_templates/configuration. Shared by render_conf_example.py and
gen_option_table.py.

The rules ported:
- `template: a/b` loads a/b.yaml; `template: a/b.x.y` then selects key x of a
  mapping, or the element named x of a list, and so on;
- `overrides:` (dotted keys; a first key naming the template itself is
  skipped) are applied to what was loaded; within one section the overrides
  accumulate, each being dropped once applied, and one left unapplied at the
  end of the section is an error;
- the option's own keys then replace the template's (a list template is
  spliced in place, and its first element expanded again if it is a
  template itself);
- the defaults the loader gives every option: hidden (that of the last
  templated option of the section), required false, display_priority 0,
  deprecation {}, metadata_tags [], secret false for a value, multiple and
  multiple_instances_defined false for a section.

Only the standard library and PyYAML.
"""
import copy
import os

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEC = os.path.join(ROOT, 'python_shim', 'assets', 'configuration', 'spec.yaml')
TEMPLATES = os.path.join(ROOT, 'packaging', 'ddev_templates', 'configuration')
EXTENSIONS = ('yaml', 'yml')


class SpecError(ValueError):
    pass


class Templates:
    def __init__(self, path=TEMPLATES):
        self.path = path
        self.cache = {}

    def file_of(self, template):
        """The template file a `template:` reference loads, or None."""
        parts = template.split('/')
        parts.append(parts.pop().split('.')[0])
        for ext in EXTENSIONS:
            candidate = '{}.{}'.format(os.path.join(self.path, *parts), ext)
            if os.path.isfile(candidate):
                return candidate
        return None

    def load(self, template):
        parts = template.split('/')
        branches = parts.pop().split('.')
        parts.append(branches.pop(0))
        path = self.file_of(template)
        if path is None:
            raise SpecError('Template `{}` does not exist'.format('/'.join(parts)))
        if path not in self.cache:
            with open(path, encoding='utf-8') as f:
                self.cache[path] = yaml.safe_load(f)
        data = copy.deepcopy(self.cache[path])
        for i, branch in enumerate(branches):
            if isinstance(data, dict):
                if branch not in data:
                    raise SpecError('Template `{}` has no element `{}`'.format(
                        '/'.join(parts), '.'.join(branches[:i + 1])))
                data = data[branch]
            elif isinstance(data, list):
                data = _named(data, branch)
                if data is None:
                    raise SpecError('Template `{}` has no named element `{}`'.format(
                        '/'.join(parts), '.'.join(branches[:i + 1])))
            else:
                raise SpecError('Template `{}.{}` does not refer to a mapping'.format(
                    '/'.join(parts), '.'.join(branches[:i])))
        return data


def _named(items, name):
    """The entry of a list named `name`, as ddev finds a template's branch
    and an override's key, or None."""
    for item in items:
        if isinstance(item, dict) and item.get('name') == name:
            return item
    return None


def apply_overrides(template, overrides):
    """Applies what it can of overrides to template, removing each applied
    one from overrides; the errors of the others."""
    errors = []
    for override, value in sorted(overrides.items()):
        root = template
        keys = override.split('.')
        final = keys.pop()
        error = ''
        for i, key in enumerate(keys):
            if isinstance(root, dict):
                if i == 0 and root.get('name') == key:
                    continue
                if key in root:
                    root = root[key]
                else:
                    error = 'Template override `{}` has no named mapping `{}`'.format('.'.join(keys[:i]), key)
                    break
            elif isinstance(root, list):
                root = _named(root, key)
                if root is None:
                    error = 'Template override `{}` has no named mapping `{}`'.format('.'.join(keys[:i]), key)
                    break
            else:
                error = 'Template override `{}` does not refer to a mapping'.format('.'.join(keys[:i]))
                break
        if error:
            errors.append(error)
            continue
        if isinstance(root, dict):
            root[final] = value
        elif isinstance(root, list):
            for i, item in enumerate(root):
                if isinstance(item, dict) and item.get('name') == final:
                    root[i] = value
                    break
            else:
                error = 'Template override has no named mapping `{}`'.format('.'.join(keys) if keys else override)
        else:
            error = 'Template override `{}` does not refer to a mapping'.format('.'.join(keys) if keys else override)
        if error:
            errors.append(error)
            continue
        overrides.pop(override)
    return errors


def expand_options(options, templates, where='file'):
    """Expands the templates of one list of options in place, recursively,
    and sets the loader's defaults."""
    overrides = {}
    override_errors = []
    hide_template = False
    index = 0
    while index < len(options):
        option = options[index]
        index += 1
        if not isinstance(option, dict):
            raise SpecError('{}, option #{}: an option must be a mapping'.format(where, index))
        while 'template' in option:
            hide_template = option.get('hidden', False)
            overrides.update(option.pop('overrides', {}))
            template = templates.load(option.pop('template'))
            if 'name' in option:
                template['name'] = option['name']
            errors = apply_overrides(template, overrides)
            if errors:
                override_errors.append((index, errors))
            if isinstance(template, dict):
                template.update(option)
                option = template
                options[index - 1] = template
            elif isinstance(template, list) and template:
                option = template[0]
                options[index - 1:index] = template
                if not isinstance(option, dict):
                    raise SpecError('{}, option #{}: a template option must be a mapping'.format(where, index))
            else:
                raise SpecError('{}, option #{}: the template is empty or not a mapping nor a list'.format(
                    where, index))
        if 'name' not in option:
            raise SpecError('{}, option #{}: every option needs a name'.format(where, index))
        option.setdefault('hidden', hide_template)
        if 'description' not in option:
            raise SpecError('{}, {}: every option needs a description'.format(where, option['name']))
        option.setdefault('required', False)
        option.setdefault('display_priority', 0)
        option.setdefault('deprecation', {})
        option.setdefault('metadata_tags', [])
        if 'value' in option and 'options' in option:
            raise SpecError('{}, {}: both value and options'.format(where, option['name']))
        if 'value' in option:
            option.setdefault('secret', False)
        elif 'options' in option:
            option.setdefault('multiple', False)
            option.setdefault('multiple_instances_defined', False)
            expand_options(option['options'], templates, '{}, {}'.format(where, option['name']))
    if overrides:
        raise SpecError('{}: unused template overrides: {}'.format(
            where, '; '.join('option #{}: {}'.format(i, ' '.join(e)) for i, e in override_errors)
            or ', '.join(sorted(overrides))))
    return options


def expand(spec, templates_dir=TEMPLATES):
    """The spec with its templates expanded (a copy)."""
    spec = copy.deepcopy(spec)
    files = spec.get('files')
    if not isinstance(files, list):
        raise SpecError('the spec needs a list of files')
    templates = Templates(templates_dir)
    for f in files:
        f.setdefault('example_name', 'conf.yaml.example')
        expand_options(f['options'], templates, f.get('name', 'file'))
    return spec


def template_references(options):
    """Every `template:` of a raw (unexpanded) list of options, recursively."""
    out = []
    for option in options:
        if 'template' in option:
            out.append(option['template'])
        out.extend(template_references(option.get('options') or []))
    return out


def load_raw(path=SPEC):
    with open(path, encoding='utf-8') as f:
        return yaml.safe_load(f)


def load(path=SPEC, templates_dir=TEMPLATES):
    """The spec at path, its templates expanded."""
    return expand(load_raw(path), templates_dir)
