# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Writes the manual-install tarball for one architecture: the layout of a
custom check, for hosts where `integration install` is not used.

    /usr/bin/python3 packaging/manual_tarball.py --lib build-release-x86_64/lib/libfwm.so --arch x86_64 [--out dist]

fireworks-check-<version>-manual-<arch>.tar.gz holds checks.d/fireworks.py (the
entry point), checks.d/datadog_checks/fireworks/ (the package and the
library, the license and the third-party notices) and
conf.d/fireworks.d/conf.yaml.example.
"""
import argparse
import io
import os
import runpy
import tarfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(ROOT, 'python_shim', 'datadog_checks', 'fireworks')
CONF = os.path.join(ROOT, 'conf.d', 'fireworks.d', 'conf.yaml.example')
LICENSE = os.path.join(ROOT, 'python_shim', 'LICENSE')
# Beside the library they describe, as in the wheel.
NOTICES = os.path.join(PACKAGE, 'THIRD_PARTY_NOTICES')
PY_LICENSE_HEADER = ('# (C) Fireworks AI 2026-present\n# All rights reserved\n'
                     '# Licensed under a 3-clause BSD style license (see LICENSE)\n')


def build(lib, arch, out):
    version = runpy.run_path(os.path.join(PACKAGE, '__about__.py'))['__version__']
    path = os.path.join(out, 'fireworks-check-{}-manual-{}.tar.gz'.format(version, arch))
    with tarfile.open(path, 'w:gz') as t:
        def add(name, data, mode=0o644):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = mode
            info.mtime = 0
            t.addfile(info, io.BytesIO(data))

        add('checks.d/fireworks.py', (
            PY_LICENSE_HEADER +
            '# The Fireworks AI check, as a custom check: the package sits beside this file.\n'
            'from datadog_checks.fireworks import FireworksCheck, __version__  # noqa: F401\n').encode())
        add('checks.d/datadog_checks/__init__.py', PY_LICENSE_HEADER.encode() +
            b"__path__ = __import__('pkgutil').extend_path(__path__, __name__)  # type: ignore\n")
        for name in sorted(os.listdir(PACKAGE)):
            if name.endswith('.py'):
                with open(os.path.join(PACKAGE, name), 'rb') as f:
                    add('checks.d/datadog_checks/fireworks/' + name, f.read())
        with open(lib, 'rb') as f:
            add('checks.d/datadog_checks/fireworks/libfwm.so', f.read(), 0o755)
        for source, name in ((LICENSE, 'LICENSE'), (NOTICES, 'THIRD_PARTY_NOTICES')):
            with open(source, 'rb') as f:
                add('checks.d/datadog_checks/fireworks/' + name, f.read())
        with open(CONF, 'rb') as f:
            add('conf.d/fireworks.d/conf.yaml.example', f.read())
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--lib', required=True)
    ap.add_argument('--arch', required=True, choices=('x86_64', 'aarch64'))
    ap.add_argument('--out', default=os.path.join(ROOT, 'dist'))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    print(build(args.lib, args.arch, args.out))


if __name__ == '__main__':
    main()
