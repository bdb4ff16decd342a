"""The Fireworks AI check for the Datadog Agent."""
from .__about__ import __version__
from .check import FireworksCheck

__all__ = ['__version__', 'FireworksCheck']
