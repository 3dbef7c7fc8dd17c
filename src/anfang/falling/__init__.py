"""Falling-object detection from building facades: calibration, physics, detector."""

from anfang.falling.facade import Facade

__all__ = ["Facade"]
