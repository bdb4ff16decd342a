# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The Fireworks AI check for the Datadog Agent."""
from .__about__ import __version__
from .check import FireworksCheck

__all__ = ['__version__', 'FireworksCheck']
