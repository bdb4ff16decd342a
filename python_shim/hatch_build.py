# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Wheel build hook: the prebuilt library for one architecture goes into the
package, the example configuration into its data/ folder (where the Agent's
`integration install` copies *.yaml* from into conf.d/fireworks.d/), and the
wheel gets the platform tag of that architecture.

    FWM_WHEEL_ARCH=x86_64|aarch64 FWM_WHEEL_LIBRARY=/path/libfwm.so python3 -m build --wheel --no-isolation

(packaging/build_wheels.sh sets both.)
"""
import os

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

ARCHES = ('x86_64', 'aarch64')
HERE = os.path.dirname(os.path.abspath(__file__))
CONF_EXAMPLE = os.path.join(HERE, '..', 'conf.d', 'fireworks.d', 'conf.yaml.example')


class CustomBuildHook(BuildHookInterface):
    def initialize(self, version, build_data):
        if self.target_name != 'wheel':
            return
        arch = os.environ.get('FWM_WHEEL_ARCH', '')
        library = os.environ.get('FWM_WHEEL_LIBRARY', '')
        if arch not in ARCHES:
            raise ValueError('FWM_WHEEL_ARCH must be one of {}, not {!r}'.format(', '.join(ARCHES), arch))
        if not os.path.isfile(library):
            raise ValueError('FWM_WHEEL_LIBRARY must name the built libfwm.so for {}, not {!r}'.format(arch, library))
        build_data['pure_python'] = False
        build_data['tag'] = 'py3-none-manylinux2014_{}'.format(arch)
        build_data['force_include'][library] = 'datadog_checks/fireworks/libfwm.so'
        build_data['force_include'][os.path.normpath(CONF_EXAMPLE)] = 'datadog_checks/fireworks/data/conf.yaml.example'
