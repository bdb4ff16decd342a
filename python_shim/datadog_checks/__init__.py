# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
# A namespace shared with datadog_checks_base and every other integration:
# this file is the one they all ship, so any of them can be installed first.
__path__ = __import__('pkgutil').extend_path(__path__, __name__)  # type: ignore
