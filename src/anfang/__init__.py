"""anfang (安防): evidence-grade events from fixed-camera video.

The public API is small and grouped by topic:

- :mod:`anfang.motion`: per-pixel kernels in Rust (differencing, morphology, labelling,
  background models, shake).
- :mod:`anfang.tracking`: the Rust multi-object tracker.
- :mod:`anfang.falling`, :mod:`anfang.helmet`, :mod:`anfang.lost`: the detectors.
- :mod:`anfang.synth`, :mod:`anfang.eval`: scenario generator and metrics.
- :mod:`anfang.store`, :mod:`anfang.pipeline`: the event store and the run loop.

>>> import anfang
>>> anfang.Event("rider", 0.0, 1.0, 0, 25, details={"helmet": True})["helmet"]
True
"""

from anfang._core import __version__ as _core_version
from anfang.detector import Detector
from anfang.events import Event

__version__ = "0.1.0"

__all__ = ["Detector", "Event", "__version__"]
