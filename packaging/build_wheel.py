"""Builds the Agent-installable wheel and the manual-install tarball.

    /usr/bin/python3 packaging/build_wheel.py [--lib build/lib/libfwm.so] [--out dist]

The wheel datadog_fireworks-<version>-py3-none-linux_x86_64.whl carries the
library inside the package (one build serves every Python the Agent embeds,
since the binding is ctypes) and installs with
`datadog-agent integration install -t -w <wheel>`. The tarball holds the plain
layout for a manual install: checks.d/ (the package and a fireworks.py entry
point) and conf.d/fireworks.d/conf.yaml.example.
"""
import argparse
import base64
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(ROOT, 'python_shim', 'datadog_checks', 'fireworks')
CONF = os.path.join(ROOT, 'conf.d', 'fireworks.d', 'conf.yaml.example')
DIST_NAME = 'datadog_fireworks'
TAG = 'py3-none-linux_x86_64'


def version():
    about = {}
    with open(os.path.join(PACKAGE, '__about__.py')) as f:
        exec(f.read(), about)
    return about['__version__']


def stripped_library(lib, workdir):
    """The library without debug sections (the build keeps them for profiling)."""
    out = os.path.join(workdir, 'libfwm.so')
    shutil.copyfile(lib, out)
    subprocess.run(['strip', '--strip-debug', '--strip-unneeded', out], check=True)
    return out


def package_files(lib):
    """(archive path under datadog_checks/fireworks, source path) for the package."""
    files = []
    for name in sorted(os.listdir(PACKAGE)):
        if name.endswith('.py'):
            files.append((name, os.path.join(PACKAGE, name)))
    files.append(('libfwm.so', lib))
    files.append(('data/conf.yaml.example', CONF))
    return files


def record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()
    return '{},sha256={},{}'.format(path, digest, len(data))


def build_wheel(lib, out):
    v = version()
    dist_info = '{}-{}.dist-info'.format(DIST_NAME, v)
    path = os.path.join(out, '{}-{}-{}.whl'.format(DIST_NAME, v, TAG))
    entries = []
    for rel, src in package_files(lib):
        with open(src, 'rb') as f:
            entries.append(('datadog_checks/fireworks/' + rel, f.read(), 0o755 if rel.endswith('.so') else 0o644))
    metadata = (
        'Metadata-Version: 2.1\nName: datadog-fireworks\nVersion: {v}\n'
        'Summary: The Fireworks AI check for the Datadog Agent\nLicense: BSD-3-Clause\n'
        'Requires-Python: >=3.8\nKeywords: datadog,datadog agent,datadog check,fireworks\n'
    ).format(v=v)
    wheel = 'Wheel-Version: 1.0\nGenerator: fireworks build_wheel.py\nRoot-Is-Purelib: false\nTag: {}\n'.format(TAG)
    entries.append((dist_info + '/METADATA', metadata.encode(), 0o644))
    entries.append((dist_info + '/WHEEL', wheel.encode(), 0o644))
    entries.append((dist_info + '/top_level.txt', b'datadog_checks\n', 0o644))
    record = [record_line(p, d) for p, d, _ in entries] + [dist_info + '/RECORD,,']
    entries.append((dist_info + '/RECORD', ('\n'.join(record) + '\n').encode(), 0o644))
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = (mode | 0o100000) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return path


def build_manual(lib, out):
    v = version()
    path = os.path.join(out, 'fireworks-check-{}-manual.tar.gz'.format(v))
    with tarfile.open(path, 'w:gz') as t:
        def add_bytes(name, data, mode=0o644):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = mode
            t.addfile(info, io.BytesIO(data))

        add_bytes('checks.d/fireworks.py', (
            '# The Fireworks AI check, as a custom check: the package sits beside this file.\n'
            'from datadog_checks.fireworks import FireworksCheck, __version__  # noqa: F401\n').encode())
        add_bytes('checks.d/datadog_checks/__init__.py',
                  b"__path__ = __import__('pkgutil').extend_path(__path__, __name__)  # type: ignore\n")
        for rel, src in package_files(lib):
            with open(src, 'rb') as f:
                add_bytes('checks.d/datadog_checks/fireworks/' + rel, f.read(), 0o755 if rel.endswith('.so') else 0o644)
        with open(CONF, 'rb') as f:
            add_bytes('conf.d/fireworks.d/conf.yaml.example', f.read())
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--lib', default=os.path.join(ROOT, 'build', 'lib', 'libfwm.so'))
    ap.add_argument('--out', default=os.path.join(ROOT, 'dist'))
    args = ap.parse_args()
    if not os.path.exists(args.lib):
        sys.exit('{} is missing: build first (cmake -S . -B build && cmake --build build)'.format(args.lib))
    os.makedirs(args.out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        lib = stripped_library(args.lib, tmp)
        print(build_wheel(lib, args.out))
        print(build_manual(lib, args.out))


if __name__ == '__main__':
    main()
