"""Command line: python3 -m datadog_checks.fireworks parse FILE|- [--samples]"""
import argparse
import sys
from collections import Counter

from . import binding
from .__about__ import __version__


def _read(path):
    if path == '-':
        return sys.stdin.buffer.read()
    with open(path, 'rb') as f:
        return f.read()


def _report_invalid(summary, out):
    for e in summary['errors']:
        out.write('line {}: {}\n'.format(e['line'], e['reason']))
    more = summary['invalid_lines'] - len(summary['errors'])
    if more > 0:
        out.write('... and {} more invalid line{}\n'.format(more, '' if more == 1 else 's'))


def _print_summary(path, summary, samples, out):
    out.write(
        '{}: {} series from {} lines ({} format), {} invalid line{}\n'.format(
            path,
            summary['samples'],
            summary['lines'],
            summary['format'],
            summary['invalid_lines'],
            '' if summary['invalid_lines'] == 1 else 's',
        )
    )
    names = Counter(s['name'] for s in samples)
    if names:
        width = max(len(n) for n in names)
        out.write('{:<{w}}  series\n'.format('metric', w=width))
        for name, count in sorted(names.items()):
            out.write('{:<{w}}  {:>6}\n'.format(name, count, w=width))


def cmd_parse(args):
    try:
        data = _read(args.file)
    except OSError as e:
        sys.stderr.write('cannot read {}: {}\n'.format(args.file, e.strerror or e))
        return 2
    with binding.parse(data, format=args.format, samples=True, max_errors=args.max_errors) as result:
        summary = result.summary()
        if args.samples:
            sys.stdout.buffer.write(result.samples_json())
            sys.stdout.flush()
        else:
            _print_summary(args.file, summary, result.samples(), sys.stdout)
    _report_invalid(summary, sys.stderr)
    return 0


def build_parser():
    ap = argparse.ArgumentParser(prog='python3 -m datadog_checks.fireworks', description='Fireworks AI check tools')
    ap.add_argument('--version', action='version', version='%(prog)s ' + __version__)
    sub = ap.add_subparsers(dest='command', required=True)
    p = sub.add_parser('parse', help='parse an exposition payload without network')
    p.add_argument('file', help='payload file, or - for standard input')
    p.add_argument('--samples', action='store_true', help='print one JSON object per parsed sample')
    p.add_argument('--format', choices=['auto', 'prometheus', 'openmetrics'], default='auto')
    p.add_argument('--max-errors', type=int, default=8, help='invalid lines reported with their line number')
    p.set_defaults(func=cmd_parse)
    return ap


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except binding.LibraryError as e:
        sys.stderr.write('error: {}\n'.format(e))
        return 3
    except binding.FwmError as e:
        sys.stderr.write('error: {}\n'.format(e))
        return 2
