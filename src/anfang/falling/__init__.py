"""Falling-object detection from building facades.

* :class:`Facade`: calibration of one camera view (facade polygon, ignore polygons, floors
  and window columns), JSON load/save.
* :mod:`anfang.falling.physics`: robust ballistic fit, the ballistic test, back-tracing of
  the release point to a floor.
* :class:`FallingObjectDetector` (with :class:`FallingConfig`): the detector.

See ``docs/falling.md``.
"""

from anfang.falling.detector import FallingConfig, FallingObjectDetector
from anfang.falling.facade import Facade

__all__ = ["Facade", "FallingConfig", "FallingObjectDetector"]
