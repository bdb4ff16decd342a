"""The Fireworks AI check for the Datadog Agent."""
from .__about__ import __version__

__all__ = ['__version__']
