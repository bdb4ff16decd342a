# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Wheel build hook: the prebuilt library for one platform goes into the
package (beside data/conf.yaml.example, which the Agent's `integration
install` copies into conf.d/fireworks.d/), and the wheel gets the platform
tag of that platform.

    FWM_WHEEL_ARCH=x86_64|aarch64|win_amd64 FWM_WHEEL_LIBRARY=/path/libfwm.so python3 -m build --wheel --no-isolation

(win_amd64 takes libfwm.dll.)

(packaging/build_wheels.sh sets both.)
"""
import os

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

# platform -> (wheel tag, the library's name in the package)
PLATFORMS = {
    'x86_64': ('py3-none-manylinux2014_x86_64', 'libfwm.so'),
    'aarch64': ('py3-none-manylinux2014_aarch64', 'libfwm.so'),
    'win_amd64': ('py3-none-win_amd64', 'libfwm.dll'),
}


class CustomBuildHook(BuildHookInterface):
    def initialize(self, version, build_data):
        # An editable install (`ddev test`, `pip install -e`) loads the library
        # CMake stages in the package, or $FWM_LIBRARY: nothing to add.
        if self.target_name != 'wheel' or version == 'editable':
            return
        arch = os.environ.get('FWM_WHEEL_ARCH', '')
        library = os.environ.get('FWM_WHEEL_LIBRARY', '')
        if arch not in PLATFORMS:
            raise ValueError('FWM_WHEEL_ARCH must be one of {}, not {!r}'.format(', '.join(PLATFORMS), arch))
        tag, name = PLATFORMS[arch]
        if not os.path.isfile(library):
            raise ValueError('FWM_WHEEL_LIBRARY must name the built {} for {}, not {!r}'.format(name, arch, library))
        build_data['pure_python'] = False
        build_data['tag'] = tag
        build_data['force_include'][library] = 'datadog_checks/fireworks/' + name
