# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""What every bench script needs first: the shim and the payload generator
importable, and datadog_checks.base (the real one when installed, else the
tests' stand-in)."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path[:0] = [os.path.join(ROOT, 'python_shim'), os.path.join(ROOT, 'tests', 'tools')]
try:
    import datadog_checks.base  # noqa: F401
except ImportError:
    import datadog_checks

    datadog_checks.__path__.append(os.path.join(ROOT, 'tests', 'python', 'stubs', 'datadog_checks'))
