"""Pick the motion and tracking implementation: the Rust core when present, else the
temporary numpy reference (:mod:`anfang.falling._reference`).

Every function here takes and returns numpy arrays, so the detector does not care which
implementation runs. ``backend_name()`` says which one is active (for logs and tests).
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

from anfang.falling import _reference as ref


def _try(modname: str) -> Any:
    try:
        return importlib.import_module(modname)
    except ImportError:
        return None


class Motion:
    """Motion kernels: Rust (:mod:`anfang.motion`) where available, else the reference."""

    def __init__(self, prefer: str = "auto") -> None:
        if prefer not in ("auto", "rust", "reference"):
            raise ValueError(f"backend: expected 'auto', 'rust' or 'reference', got {prefer!r}")
        m = None if prefer == "reference" else _try("anfang.motion")
        needed = ("diff_mask", "diff_mask3", "label", "estimate_shift", "shift_frame")
        if m is not None and not all(hasattr(m, n) for n in needed):
            m = None
        if prefer == "rust" and m is None:
            raise ImportError("backend: 'rust' requested but anfang.motion is not available")
        self._m = m
        self.name = "rust" if m is not None else "reference"
        core = None if m is None else _try("anfang._core")
        self._link = getattr(core, "link_candidates", None) or ref.link_candidates
        self._near = getattr(core, "near_any", None) or ref.near_any

    def link_candidates(self, last3: np.ndarray, ended: np.ndarray, t0: float, x0: float,
                        y0: float, g: float, tol: float, link_gap: float
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The fragments a new track may continue, nearest first: ``(row, distance,
        shared)`` (see :func:`anfang.falling._reference.link_candidates`)."""
        return self._link(last3, ended, float(t0), float(x0), float(y0), float(g), float(tol),
                          float(link_gap))

    def near_any(self, points: np.ndarray, circles: np.ndarray) -> np.ndarray:
        """Whether each point ``(x, y)`` lies within some circle ``(x, y, radius)`` (see
        :func:`anfang.falling._reference.near_any`)."""
        return self._near(np.ascontiguousarray(points, dtype=np.float64).reshape(-1, 2),
                          np.ascontiguousarray(circles, dtype=np.float64).reshape(-1, 3))

    def diff3(self, p2: np.ndarray, p1: np.ndarray, cur: np.ndarray, thr: float) -> np.ndarray:
        """Pixels of ``cur`` that differ from both ``p1`` and ``p2`` (object now, no ghost)."""
        if self._m is not None:
            # anfang.motion.diff_mask3(prev, cur, nxt) marks |cur - prev| & |nxt - cur|
            return self._m.diff_mask3(p1, cur, p2, int(round(thr)))
        return ref.diff_mask3(p2, p1, cur, thr)

    def diff3_edge(self, p2: np.ndarray, p1: np.ndarray, cur: np.ndarray, thr: float,
                   k: float) -> np.ndarray:
        """:meth:`diff3` with the threshold raised by ``k`` times the local gradient of ``cur``."""
        if self._m is not None and hasattr(self._m, "diff_mask3_edge"):
            return self._m.diff_mask3_edge(p2, p1, cur, float(thr), float(k))
        return ref.diff_mask3_edge(p2, p1, cur, thr, k)

    def diff3_blob(self, p2: np.ndarray, p1: np.ndarray, cur: np.ndarray, boxes: Any,
                   thr: float, edge_k: float = 0.0, margin: int = 16,
                   valid: tuple[int, int, int, int] | None = None) -> np.ndarray:
        """Per box (bool (N,)): whether a blob of :meth:`diff3_edge`, labelled (8-connectivity)
        in the box grown by ``margin`` pixels, has its centroid in the box grown by one pixel
        up and left; no full-frame mask on the Rust path. ``valid = (x0, y0, x1, y1)``
        (end-exclusive ints, or None for the whole image): the mask counts as off outside it
        (e.g. the invalid border strips of frames aligned for camera shake)."""
        if self._m is not None and hasattr(self._m, "diff3_blob_in_boxes"):
            return self._m.diff3_blob_in_boxes(p2, p1, cur, boxes, float(thr), float(edge_k),
                                               int(margin), valid=valid)
        return ref.diff3_blob_in_boxes(p2, p1, cur, boxes, thr, edge_k, int(margin), valid=valid)

    def bg_step(self, B: np.ndarray, frame: np.ndarray, thr: float, alpha: float, slow: float,
                edge_k: float) -> np.ndarray:
        """Selective running-average step on the float32 background ``B`` (in place):
        foreground where ``|frame - B| > thr + edge_k * G`` (``G``: largest difference of ``B``
        to a 4-neighbour); ``B`` moves toward the frame by ``alpha`` (``slow * alpha`` there)."""
        if self._m is not None and hasattr(self._m, "background_step"):
            return self._m.background_step(B, frame, float(thr), float(alpha), float(slow), float(edge_k))
        return ref.background_step(B, frame, thr, alpha, slow, edge_k)

    def diff2(self, p1: np.ndarray, cur: np.ndarray, thr: float) -> np.ndarray:
        if self._m is not None:
            return self._m.diff_mask(p1, cur, int(round(thr)))
        return ref.diff_mask(p1, cur, thr)

    def label(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(area (N,), bbox (N, 4) xyxy exclusive float, centroid (N, 2) xy)."""
        if self._m is not None:
            b = self._m.label_stats(mask) if hasattr(self._m, "label_stats") else self._m.label(mask)[1]
            return (np.asarray(b.area, dtype=np.int64), np.asarray(b.bbox, dtype=np.float64),
                    np.asarray(b.centroid, dtype=np.float64))
        b = ref.blobs(mask)
        return b.area, b.bbox, b.centroid

    def pool(self, img: np.ndarray, f: int) -> np.ndarray:
        """Rounded ``f x f`` block means (the remainder rows / columns dropped)."""
        if self._m is not None and hasattr(self._m, "pool_mean"):
            return self._m.pool_mean(img, int(f))
        return ref.pool_mean(img, f)

    def box(self, img: np.ndarray, k: int) -> np.ndarray:
        """Rounded ``k x k`` box means at stride 1, shape ``(H - k + 1, W - k + 1)``."""
        if self._m is not None and hasattr(self._m, "box_mean"):
            return self._m.box_mean(img, int(k))
        return ref.box_mean(img, k)

    def shift(self, prev: np.ndarray, cur: np.ndarray) -> tuple[float, float]:
        if self._m is not None:
            dx, dy = self._m.estimate_shift(prev, cur)
            return float(dx), float(dy)
        return ref.estimate_shift(prev, cur)

    def warp(self, img: np.ndarray, dx: float, dy: float) -> np.ndarray:
        """``out(x, y) = img(x - dx, y - dy)``; the uncovered border repeats the edge."""
        if self._m is not None:
            out = self._m.shift_frame(img, float(dx), float(dy))
            # fill the uncovered border from the original (no spurious edge differences)
            H, W = img.shape[:2]
            bx = min(int(np.ceil(abs(dx))) + 1, W)
            by = min(int(np.ceil(abs(dy))) + 1, H)
            if dx > 0:
                out[:, :bx] = img[:, :bx]
            elif dx < 0:
                out[:, W - bx:] = img[:, W - bx:]
            if dy > 0:
                out[:by] = img[:by]
            elif dy < 0:
                out[H - by:] = img[H - by:]
            return out
        return ref.shift_image(img, dx, dy)


def make_tracker(prefer: str = "auto", *, max_gap: float = 0.3, base_gate: float = 6.0,
                 max_speed: float = 1500.0, gravity: float = 0.0) -> Any:
    """The Rust constant-acceleration tracker if available, else the reference one.

    ``max_gap`` (s) ends a track; ``max_speed`` (px/s) sizes a new track's velocity prior;
    ``gravity`` (px/s², y down) is a new track's initial acceleration.
    """
    tr = None if prefer == "reference" else _try("anfang.tracking")
    if prefer == "rust" and tr is None:
        raise ImportError("backend: 'rust' requested but anfang.tracking is not available")
    if tr is not None and hasattr(tr, "Tracker"):
        return tr.Tracker(
            "ca",
            min_hits=1,  # every blob gets an id at once: the physics test does the filtering
            max_age_s=float(max_gap),
            gate=13.8,
            min_iou=0.0,
            meas_noise_px=1.0,
            meas_noise_rel=0.1,
            init_vel_std=max(float(max_speed) / 3.0, 50.0),
            init_acc_std=max(2.0 * float(gravity), 500.0),
            gravity=(0.0, float(gravity)),
        )
    return ref.Tracker(max_gap=max_gap, base_gate=base_gate, max_speed=max_speed)
