# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
import ctypes
import math
import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT, shim_env
from datadog_checks.fireworks import __version__, binding


def test_library_version_matches_package_and_cmake():
    with open(os.path.join(ROOT, 'CMakeLists.txt')) as f:
        cmake_version = re.search(r'project\(fwm VERSION (\S+)', f.read()).group(1)
    assert __version__ == cmake_version
    assert binding.version() == cmake_version


def test_library_is_found_in_the_package_directory():
    assert binding.library_path() == os.path.join(os.path.dirname(binding.__file__), 'libfwm.so')
    assert os.path.exists(binding.library_path())


def run_shim(code, **env):
    return subprocess.run(
        [sys.executable, '-c', code], env=shim_env(**env), capture_output=True, text=True, timeout=60
    )


def test_missing_library_gives_an_actionable_error():
    r = run_shim('from datadog_checks.fireworks import binding; binding.lib()', FWM_LIBRARY='/nonexistent/libfwm.so')
    assert r.returncode != 0
    assert 'LibraryError: the fwm library was not found at /nonexistent/libfwm.so' in r.stderr
    assert 'set FWM_LIBRARY' in r.stderr


def test_unloadable_library_gives_an_actionable_error(tmp_path):
    bogus = tmp_path / 'libfwm.so'
    bogus.write_bytes(b'not an ELF file')
    r = run_shim('from datadog_checks.fireworks import binding; binding.lib()', FWM_LIBRARY=str(bogus))
    assert 'could not be loaded' in r.stderr


def test_library_with_another_major_version_is_refused(tmp_path):
    # Pretend the package is 9.x: the real 0.x library must be refused.
    code = (
        'import datadog_checks.fireworks.binding as b; b.__version__ = "9.0.0"\n'
        'try:\n    b.lib()\nexcept b.LibraryError as e:\n    print(e)\n'
    )
    r = run_shim(code)
    assert 'but this check needs 9.x' in r.stdout


def test_parse_returns_summary_and_samples():
    with binding.parse(b'a{x="1"} 1.5\nb NaN 2000\nbroken{\n', samples=True) as r:
        summary = r.summary()
        samples = r.samples()
    assert summary['samples'] == 2
    assert summary['invalid_lines'] == 1
    assert summary['errors'] == [{'line': 3, 'reason': 'unterminated label set at end of line'}]
    assert samples[0] == {'name': 'a', 'labels': {'x': '1'}, 'value': 1.5, 'timestamp': None}
    assert samples[1]['value'] == 'NaN' and samples[1]['timestamp'] == 2.0


def test_bad_option_raises_with_the_option_name():
    with pytest.raises(binding.FwmError) as e:
        binding.parse(b'a 1\n', format='csv')
    assert e.value.status == 'FWM_ERR_INVALID_OPTIONS'
    assert "option 'format'" in str(e.value)


def test_closed_result_is_not_used():
    r = binding.parse(b'a 1\n')
    r.close()
    r.close()
    with pytest.raises(ValueError):
        r.summary()


def test_datadog_checks_stays_a_namespace_package(tmp_path):
    # A stand-in datadog_checks_base installed elsewhere, shipping the same
    # pkgutil-style __init__.py: both packages must import side by side.
    base = tmp_path / 'site' / 'datadog_checks'
    (base / 'base').mkdir(parents=True)
    (base / '__init__.py').write_text("__path__ = __import__('pkgutil').extend_path(__path__, __name__)\n")
    (base / 'base' / '__init__.py').write_text('MARK = "base"\n')
    code = 'import datadog_checks.base, datadog_checks.fireworks as f; print(datadog_checks.base.MARK, f.__version__)'
    for order in ([str(tmp_path / 'site')], []):
        env = shim_env()
        env['PYTHONPATH'] = os.pathsep.join(order + [env['PYTHONPATH']] + ([] if order else [str(tmp_path / 'site')]))
        r = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True, text=True, timeout=60)
        assert r.stdout.strip() == 'base ' + __version__, r.stderr


def test_infinities_round_trip_through_json():
    with binding.parse(b'a +Inf\nb -Inf\n', samples=True) as r:
        values = [s['value'] for s in r.samples()]
    assert values == ['+Inf', '-Inf']
    assert [float(v.replace('Inf', 'inf')) for v in values] == [math.inf, -math.inf]


HOSTILE_TAGS = ['nul:\x00x', 'crlf:a\r\nb', 'ls:\u2028\u2029', 'ctl:\x01\x1f\x7f', 'q:"\\/', 'emoji:\U0001f600',
                'big:' + '"' * 65536]


def test_hostile_tags_and_names_decode_as_the_check_reads_them():
    # A label value with raw control bytes, an escaped newline, U+2028 and
    # DEL; instance tags with what JSON must escape; a quoted metric name
    # that only a plain derived name can come from.
    label = 'a\x01b\rc\\nd\u2028e\\\\f\\"g\x7f'
    payload = ('generator_kv_slots_fraction:avg_by_deployment{deployment_id="%s"} -0.0\n'
               '{"we\\nird\u2028name",deployment_id="x"} 2\n' % label).encode()
    with binding.parse(payload, mapping={'tags': HOSTILE_TAGS}) as r:
        groups = list(r.groups())
    assert [sorted(g['tags']) for g in groups] == [
        sorted(['deployment_id:a\x01b\rc\nd\u2028e\\f"g\x7f'] + HOSTILE_TAGS),
        sorted(['deployment_id:x'] + HOSTILE_TAGS),
    ]
    assert [g['gauges'] for g in groups] == [[['fireworks.kv_cache.slots_used', 0.0]],
                                             [['fireworks.we_ird___name', 2.0]]]
    assert math.copysign(1, groups[0]['gauges'][0][1]) == -1


def test_a_tag_that_is_not_utf8_is_replaced_not_fatal():
    # The check's own options are ASCII JSON, but a lone surrogate escape
    # there, or raw bytes from another caller, are not UTF-8: the library
    # reads each such byte as U+FFFD, as a strict decoder would.
    with binding.parse(b'up 1\n', mapping={'tags': ['lone:\udc80']}) as r:
        assert [g['tags'] for g in r.groups()] == [['lone:\ufffd\ufffd\ufffd']]
    options = b'{"mapping":{"tags":["bad:\xff\xfe","ok:\xc3\xa9"]}}'
    handle = binding._ResultPtr()
    assert binding.lib().fwm_parse(b'up 1\n', 5, options, ctypes.byref(handle)) == binding.FWM_OK
    with binding.ParseResult(handle) as r:
        assert [g['tags'] for g in r.groups()] == [['bad:\ufffd\ufffd', 'ok:\xe9']]
