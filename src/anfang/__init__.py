"""anfang: evidence-grade events from fixed-camera video."""

from anfang._core import __version__ as _core_version

__version__ = "0.1.0"

__all__ = ["__version__"]
