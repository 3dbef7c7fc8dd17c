"""Frame validation and conversion shared by every detector.

Frames are numpy ``uint8`` arrays, ``(H, W)`` grey or ``(H, W, 3)`` RGB; timestamps are
the caller's seconds.

>>> import numpy as np
>>> check_frame(np.zeros((4, 6), np.uint8)).shape
(4, 6)
>>> to_gray(np.full((2, 2, 3), 200, np.uint8))[0, 0]
np.uint8(200)
>>> check_frame(np.zeros((4, 6, 4), np.float64))
Traceback (most recent call last):
...
TypeError: frame: expected uint8 (H, W) or (H, W, 3), got float64 (4, 6, 4)
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["check_frame", "to_gray", "check_time", "describe"]


def describe(a: object) -> str:
    """How an argument looks in an error message: ``"float64 (4, 6, 4)"`` for arrays, else its type."""
    if isinstance(a, np.ndarray):
        return f"{a.dtype} {tuple(a.shape)}"
    return type(a).__name__


def check_frame(frame: object, name: str = "frame") -> np.ndarray:
    """Return ``frame`` as a uint8 (H, W) or (H, W, 3) array or raise a clear error."""
    if not isinstance(frame, np.ndarray):
        raise TypeError(f"{name}: expected a numpy uint8 array, got {type(frame).__name__}")
    ok_shape = frame.ndim == 2 or (frame.ndim == 3 and frame.shape[2] == 3)
    if frame.dtype != np.uint8 or not ok_shape:
        raise TypeError(
            f"{name}: expected uint8 (H, W) or (H, W, 3), got {frame.dtype} {tuple(frame.shape)}"
        )
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise ValueError(f"{name}: expected a non-empty image, got shape {tuple(frame.shape)}")
    return frame


def to_gray(frame: np.ndarray) -> np.ndarray:
    """Luma (BT.601 integer weights) of an RGB frame; a grey frame is returned as is."""
    frame = check_frame(frame)
    if frame.ndim == 2:
        return frame
    f = frame.astype(np.uint16)
    y = (77 * f[..., 0] + 150 * f[..., 1] + 29 * f[..., 2] + 128) >> 8
    return y.astype(np.uint8)


def check_time(t: object, last: float | None, name: str = "t") -> float:
    """Validate a timestamp: finite seconds, never decreasing relative to ``last``."""
    if isinstance(t, bool) or not isinstance(t, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected seconds as a number, got {type(t).__name__}")
    tf = float(t)
    if not math.isfinite(tf):
        raise ValueError(f"{name}: expected finite seconds, got {t!r}")
    if last is not None and tf < last:
        raise ValueError(f"{name}: expected a timestamp >= the previous one ({last}), got {tf}")
    return tf
