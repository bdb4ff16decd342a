import json
import subprocess
import sys

from conftest import shim_env


def run_cli(*args, stdin=None):
    return subprocess.run(
        [sys.executable, '-m', 'datadog_checks.fireworks'] + list(args),
        input=stdin,
        env=shim_env(),
        capture_output=True,
        timeout=60,
    )


def test_parse_samples_prints_one_json_object_per_sample(tmp_path):
    payload = tmp_path / 'p.prom'
    payload.write_bytes(
        b'# TYPE x gauge\nx{a="q\\"uote",b="\xc3\xa9"} 1e3 1700000000000\ny NaN\nz -Inf\nw +Inf\n'
    )
    r = run_cli('parse', str(payload), '--samples')
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in r.stdout.decode().splitlines()]
    assert lines == [
        {'name': 'x', 'labels': {'a': 'q"uote', 'b': '\u00e9'}, 'value': 1000.0, 'timestamp': 1700000000.0},
        {'name': 'y', 'labels': {}, 'value': 'NaN', 'timestamp': None},
        {'name': 'z', 'labels': {}, 'value': '-Inf', 'timestamp': None},
        {'name': 'w', 'labels': {}, 'value': '+Inf', 'timestamp': None},
    ]
    assert r.stderr == b''


def test_parse_reads_standard_input_and_reports_invalid_lines_on_stderr():
    r = run_cli('parse', '-', '--samples', stdin=b'ok 1\nbad{a="1" 2\nok2 2\nworse 1 2 3\n')
    assert r.returncode == 0
    assert [json.loads(x)['name'] for x in r.stdout.decode().splitlines()] == ['ok', 'ok2']
    assert r.stderr.decode().splitlines() == [
        "line 2: expected ',' or '}' after label at '2'",
        "line 4: unexpected text after sample at '3'",
    ]


def test_parse_reports_how_many_invalid_lines_were_not_listed():
    r = run_cli('parse', '-', '--samples', '--max-errors', '1', stdin=b'a{\nb{\nc{\n')
    assert r.stderr.decode().splitlines()[-1] == '... and 2 more invalid lines'


def test_parse_summary_names_every_metric():
    r = run_cli('parse', '-', stdin=b'a 1\na{x="1"} 2\nb 3\n')
    out = r.stdout.decode()
    assert out.splitlines()[0] == '-: 3 series from 3 lines (prometheus format), 0 invalid lines'
    assert [line.split() for line in out.splitlines()[2:]] == [['a', '2'], ['b', '1']]


def test_unreadable_file_is_a_clear_error():
    r = run_cli('parse', '/nonexistent/payload.prom')
    assert r.returncode == 2
    assert r.stderr.decode().strip() == 'cannot read /nonexistent/payload.prom: No such file or directory'
