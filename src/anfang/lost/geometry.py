"""Small vectorised helpers on boxes and on object-sized patches.

Everything here works on a handful of boxes or on a patch the size of one object, so numpy
is the right tool (no per-pixel Python loop, no per-box Python object).

>>> import numpy as np
>>> box_iou(np.array([[0, 0, 2, 2]], float), np.array([[1, 0, 3, 2], [5, 5, 6, 6]], float))
array([[0.33333333, 0.        ]])
>>> box_gap(np.array([0, 0, 2, 2], float), np.array([[3, 0, 4, 1], [1, 1, 5, 5]], float))
array([1., 0.])
"""

from __future__ import annotations

import numpy as np

__all__ = ["box_inter", "box_iou", "box_gap", "box_cover", "patch_mad", "boundary_edges", "crop"]


def _as_boxes(b: np.ndarray) -> np.ndarray:
    b = np.asarray(b, dtype=np.float64)
    return b.reshape(-1, 4)


def box_inter(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection areas (N, M) of xyxy boxes ``a`` (N, 4) and ``b`` (M, 4)."""
    a, b = _as_boxes(a), _as_boxes(b)
    ix0 = np.maximum(a[:, None, 0], b[None, :, 0])
    iy0 = np.maximum(a[:, None, 1], b[None, :, 1])
    ix1 = np.minimum(a[:, None, 2], b[None, :, 2])
    iy1 = np.minimum(a[:, None, 3], b[None, :, 3])
    return np.clip(ix1 - ix0, 0, None) * np.clip(iy1 - iy0, 0, None)


def box_area(b: np.ndarray) -> np.ndarray:
    b = _as_boxes(b)
    return (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix (N, M) of xyxy boxes ``a`` (N, 4) and ``b`` (M, 4)."""
    a, b = _as_boxes(a), _as_boxes(b)
    inter = box_inter(a, b)
    aa = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    ab = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = aa[:, None] + ab[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def box_cover(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Fraction of box ``a`` (4,) covered by each box of ``b`` (M, 4)."""
    a = np.asarray(a, dtype=np.float64).reshape(4)
    b = _as_boxes(b)
    iw = np.clip(np.minimum(a[2], b[:, 2]) - np.maximum(a[0], b[:, 0]), 0, None)
    ih = np.clip(np.minimum(a[3], b[:, 3]) - np.maximum(a[1], b[:, 1]), 0, None)
    area = max((a[2] - a[0]) * (a[3] - a[1]), 1e-9)
    return iw * ih / area


def box_gap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean gap between box ``a`` (4,) and each box of ``b`` (M, 4); 0 when they touch."""
    a = np.asarray(a, dtype=np.float64).reshape(4)
    b = _as_boxes(b)
    dx = np.maximum(0.0, np.maximum(a[0] - b[:, 2], b[:, 0] - a[2]))
    dy = np.maximum(0.0, np.maximum(a[1] - b[:, 3], b[:, 1] - a[3]))
    return np.hypot(dx, dy)


def crop(img: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """``img[y0:y1, x0:x1]`` for an integer xyxy box (already clipped to the image)."""
    x0, y0, x1, y1 = box
    return img[y0:y1, x0:x1]


def patch_mad(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Mean absolute grey difference of two equal-shape patches (inside ``mask`` if given)."""
    d = np.abs(np.asarray(a).astype(np.int16) - np.asarray(b).astype(np.int16))
    if mask is not None and mask.any():
        return float(d[mask].mean())
    return float(d.mean()) if d.size else 0.0


def _grad_mag(p: np.ndarray) -> np.ndarray:
    f = p.astype(np.float32)
    gx = np.zeros_like(f)
    gy = np.zeros_like(f)
    gx[:, 1:-1] = f[:, 2:] - f[:, :-2]
    gy[1:-1, :] = f[2:, :] - f[:-2, :]
    return np.hypot(gx, gy)


def boundary_edges(
    cur: np.ndarray, bg: np.ndarray, mask: np.ndarray, width: int = 1
) -> tuple[float, float]:
    """Mean gradient magnitude along the outline of ``mask`` in ``cur`` and in ``bg``.

    The outline is the band of pixels within ``width`` pixels of the mask's border (inside
    or outside); a wider band still finds the object's edge when the static mask also
    holds a rim around it (its shadow). A new object has strong edges there in the current frame; a *ghost* (the
    background changed because something that was part of it left) has them in the
    remembered background instead.

    Parameters
    ----------
    cur, bg : (h, w) uint8
        The current frame and the background, cropped to the object plus a margin.
    mask : (h, w) bool
        The object's pixels in the same crop.
    width : int
        Half-width of the outline band (1: dilation XOR erosion with a 3x3 square).

    Returns
    -------
    (float, float)
        Mean edge strength on the outline in ``cur`` and in ``bg``.
    """
    m = np.asarray(mask, bool)
    if m.size == 0 or not m.any() or m.all():
        return 0.0, 0.0
    # Outline = dilation XOR erosion (square of side 2*width+1), by shifts on the small patch.
    r = max(1, int(width))
    pad = np.pad(m, r, mode="edge")
    h, w = m.shape
    dil = np.zeros_like(m)
    ero = np.ones_like(m)
    for dy in range(2 * r + 1):
        for dx in range(2 * r + 1):
            s = pad[dy : dy + h, dx : dx + w]
            dil |= s
            ero &= s
    ring = dil & ~ero
    # Ignore the crop's own border, where the gradient is not defined.
    ring[0, :] = ring[-1, :] = False
    ring[:, 0] = ring[:, -1] = False
    if not ring.any():
        return 0.0, 0.0
    return float(_grad_mag(cur)[ring].mean()), float(_grad_mag(bg)[ring].mean())
