# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The real datadog_checks_base when it is installed, else the stand-in in
tests/python/stubs (for tests/python and python_shim/tests alike)."""
import os

STUBS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'python', 'stubs')


def load():
    """Makes datadog_checks.base importable; True when it is the stand-in."""
    try:
        import datadog_checks.base  # noqa: F401

        return False
    except ImportError:
        import datadog_checks

        datadog_checks.__path__.append(os.path.join(STUBS, 'datadog_checks'))
        import datadog_checks.base  # noqa: F401

        return True
