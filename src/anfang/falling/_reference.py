"""TEMPORARY reference path (numpy / scikit-image) for motion and tracking.

*** Not the production path. ***  It exists only so that the falling-object detector can be
built and tested before the Rust core (``anfang.motion``, ``anfang.tracking``) lands. The
detector uses :mod:`anfang.motion` / :mod:`anfang.tracking` whenever they are importable
(see :mod:`anfang.falling._backend`); once they are on main, this module is kept only as a
test oracle. Per-pixel work here is numpy, per-blob work is numpy arrays, and the tracker
is a small Python loop over tracks, none of which meets the speed target.

The functions mirror the Rust core's API:

* :func:`diff_mask` / :func:`diff_mask3`: thresholded absolute frame differences.
* :func:`blobs`: connected components (8-connectivity) with area, bbox (x0, y0, x1, y1,
  exclusive) and centroid (x, y) as numpy arrays.
* :func:`estimate_shift`: global translation with ``cur(x, y) ≈ prev(x - dx, y - dy)``.
* :class:`Tracker`: constant-acceleration prediction, gating by predicted uncertainty.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["diff_mask", "diff_mask3", "blobs", "estimate_shift", "shift_image", "Tracker", "Blobs"]


def diff_mask(prev: np.ndarray, cur: np.ndarray, threshold: float) -> np.ndarray:
    """``|cur - prev| > threshold`` as bool."""
    return np.abs(cur.astype(np.int16) - prev.astype(np.int16)) > threshold


def diff_mask3(prev2: np.ndarray, prev1: np.ndarray, cur: np.ndarray, threshold: float) -> np.ndarray:
    """Pixels that differ from *both* previous frames: the object at its current position."""
    c = cur.astype(np.int16)
    return (np.abs(c - prev1.astype(np.int16)) > threshold) & (np.abs(c - prev2.astype(np.int16)) > threshold)


def _grad4(c: np.ndarray) -> np.ndarray:
    """Largest absolute difference of each pixel to its 4-neighbours (same dtype as ``c``)."""
    gr = np.zeros_like(c)
    dx = np.abs(np.diff(c, axis=1))
    dy = np.abs(np.diff(c, axis=0))
    gr[:, 1:] = dx
    gr[:, :-1] = np.maximum(gr[:, :-1], dx)
    gr[1:] = np.maximum(gr[1:], dy)
    gr[:-1] = np.maximum(gr[:-1], dy)
    return gr


def diff_mask3_edge(prev2: np.ndarray, prev1: np.ndarray, cur: np.ndarray, threshold: float,
                    edge_k: float) -> np.ndarray:
    """:func:`diff_mask3` where each pixel must beat ``threshold + edge_k * G``, ``G`` the
    largest grey difference of ``cur`` to a 4-neighbour (shake compensation residuals)."""
    c = cur.astype(np.int16)
    lim = threshold + edge_k * _grad4(c).astype(np.float64)
    return (np.abs(c - prev1.astype(np.int16)) > lim) & (np.abs(c - prev2.astype(np.int16)) > lim)


def _xyxy(boxes: Any) -> np.ndarray:
    """``boxes`` as a finite float64 (N, 4) array (an empty input gives (0, 4))."""
    b = np.asarray(boxes, dtype=np.float64)
    if b.size == 0:
        b = b.reshape(0, 4)
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"boxes: expected shape (N, 4), got {b.shape}")
    if not np.isfinite(b).all():
        raise ValueError("boxes: expected finite coordinates")
    return b


def diff3_count_in_boxes(prev2: np.ndarray, prev1: np.ndarray, cur: np.ndarray, boxes: Any,
                         threshold: float, edge_k: float = 0.0) -> np.ndarray:
    """Per-box counts of :func:`diff_mask3_edge`: for each xyxy box (exclusive ends) the sum of
    the full-frame mask over columns ``max(0, floor(x0)) .. min(W, ceil(x1))`` and rows likewise
    (0 when empty), read from a summed-area table (no loop over boxes). int64 (N,)."""
    b = _xyxy(boxes)
    m = diff_mask3_edge(prev2, prev1, cur, threshold, edge_k)
    H, W = m.shape
    sat = np.zeros((H + 1, W + 1), np.int64)
    sat[1:, 1:] = m.cumsum(axis=0, dtype=np.int64).cumsum(axis=1)
    c0 = np.clip(np.floor(b[:, 0]), 0, W).astype(np.int64)
    c1 = np.clip(np.ceil(b[:, 2]), 0, W).astype(np.int64)
    r0 = np.clip(np.floor(b[:, 1]), 0, H).astype(np.int64)
    r1 = np.clip(np.ceil(b[:, 3]), 0, H).astype(np.int64)
    c1 = np.maximum(c1, c0)
    r1 = np.maximum(r1, r0)
    return sat[r1, c1] - sat[r0, c1] - sat[r1, c0] + sat[r0, c0]


def diff3_blob_in_boxes(prev2: np.ndarray, prev1: np.ndarray, cur: np.ndarray, boxes: Any,
                        threshold: float, edge_k: float = 0.0, margin: int = 16,
                        valid: tuple[int, int, int, int] | None = None) -> np.ndarray:
    """Per xyxy box (exclusive ends): whether a blob of the full-frame :func:`diff_mask3_edge`
    mask, set to False outside ``valid = (x0, y0, x1, y1)`` (end-exclusive ints >= 0; None is
    the whole image), then cut to the window ``floor(x0) - margin .. ceil(x1) + margin`` (rows
    likewise, clipped to the image) and labelled there with
    ``skimage.measure.label(connectivity=2)``, has its centroid (integer pixel-coordinate
    sums / area) in ``[x0 - 1, x1] x [y0 - 1, y1]``. A loop over boxes (a test oracle).
    bool (N,)."""
    m = diff_mask3_edge(prev2, prev1, cur, threshold, edge_k)
    if valid is not None:
        vx0, vy0, vx1, vy1 = (int(v) for v in valid)
        if min(vx0, vy0, vx1, vy1) < 0 or vx0 > vx1 or vy0 > vy1:
            raise ValueError(f"valid: expected 0 <= x0 <= x1 and 0 <= y0 <= y1, got {tuple(valid)}")
        keep = np.zeros_like(m)
        keep[vy0:vy1, vx0:vx1] = True
        m &= keep
    return blob_in_boxes_of_mask(m, boxes, margin)


def blob_in_boxes_of_mask(m: np.ndarray, boxes: Any, margin: int = 16) -> np.ndarray:
    """The windowing, labelling and centroid test of :func:`diff3_blob_in_boxes` on a given
    bool (H, W) mask ``m``."""
    from skimage.measure import label

    b = _xyxy(boxes)
    H, W = m.shape
    out = np.zeros(len(b), dtype=bool)
    for k, (x0, y0, x1, y1) in enumerate(b.tolist()):
        c0 = min(max(math.floor(x0) - margin, 0), W)
        c1 = min(max(math.ceil(x1) + margin, 0), W)
        r0 = min(max(math.floor(y0) - margin, 0), H)
        r1 = min(max(math.ceil(y1) + margin, 0), H)
        if c0 >= c1 or r0 >= r1:
            continue
        lab = label(m[r0:r1, c0:c1], connectivity=2)
        rr, cc = np.nonzero(lab)
        if not len(rr):
            continue
        ll = lab[rr, cc]
        area = np.bincount(ll)[1:]
        cx = np.bincount(ll, weights=cc + c0)[1:] / area
        cy = np.bincount(ll, weights=rr + r0)[1:] / area
        out[k] = bool(((cx >= x0 - 1) & (cx <= x1) & (cy >= y0 - 1) & (cy <= y1)).any())
    return out


def background_step(B: np.ndarray, frame: np.ndarray, threshold: float, alpha: float,
                    slow: float, edge_k: float) -> np.ndarray:
    """Selective running-average background step (in place on float32 ``B``)."""
    x = frame.astype(np.float32)
    d = np.abs(x - B)
    if edge_k > 0:
        fg = d > threshold + edge_k * _grad4(B)
    else:
        fg = d > threshold
    B += np.where(fg, np.float32(slow * alpha), np.float32(alpha)) * (x - B)
    return fg


@dataclass
class Blobs:
    area: np.ndarray  # (N,) int64
    bbox: np.ndarray  # (N, 4) float64 x0, y0, x1, y1 (exclusive)
    centroid: np.ndarray  # (N, 2) float64 x, y

    def __len__(self) -> int:
        return len(self.area)


def blobs(mask: np.ndarray, min_area: int = 1, max_area: int | None = None) -> Blobs:
    """Connected components of a boolean mask with stats (8-connectivity)."""
    from skimage.measure import label

    lab = label(mask, connectivity=2)
    n = int(lab.max())
    if n == 0:
        return Blobs(np.zeros(0, np.int64), np.zeros((0, 4)), np.zeros((0, 2)))
    rr, cc = np.nonzero(lab)
    ll = lab[rr, cc]
    area = np.bincount(ll, minlength=n + 1)[1:]
    sx = np.bincount(ll, weights=cc, minlength=n + 1)[1:]
    sy = np.bincount(ll, weights=rr, minlength=n + 1)[1:]
    x0 = np.full(n + 1, np.iinfo(np.int64).max)
    y0 = np.full(n + 1, np.iinfo(np.int64).max)
    x1 = np.full(n + 1, -1)
    y1 = np.full(n + 1, -1)
    np.minimum.at(x0, ll, cc)
    np.minimum.at(y0, ll, rr)
    np.maximum.at(x1, ll, cc)
    np.maximum.at(y1, ll, rr)
    bbox = np.column_stack([x0[1:], y0[1:], x1[1:] + 1, y1[1:] + 1]).astype(np.float64)
    cen = np.column_stack([sx / area, sy / area])
    keep = area >= min_area
    if max_area is not None:
        keep &= area <= max_area
    return Blobs(area[keep].astype(np.int64), bbox[keep], cen[keep])


def estimate_shift(prev: np.ndarray, cur: np.ndarray, max_side: int = 256) -> tuple[float, float]:
    """Global translation by phase correlation on a central crop (subpixel by parabola fit)."""
    H, W = prev.shape
    h = min(H, max_side)
    w = min(W, max_side)
    y0 = (H - h) // 2
    x0 = (W - w) // 2
    a = prev[y0:y0 + h, x0:x0 + w].astype(np.float32)
    b = cur[y0:y0 + h, x0:x0 + w].astype(np.float32)
    win = np.outer(np.hanning(h), np.hanning(w)).astype(np.float32)
    A = np.fft.rfft2((a - a.mean()) * win)
    B = np.fft.rfft2((b - b.mean()) * win)
    R = B * np.conj(A)
    R /= np.maximum(np.abs(R), 1e-9)
    r = np.fft.irfft2(R, s=(h, w))
    iy, ix = np.unravel_index(int(np.argmax(r)), r.shape)

    def sub(vm, v0, vp):
        den = vm - 2 * v0 + vp
        return 0.0 if abs(den) < 1e-12 else 0.5 * (vm - vp) / den

    dy = iy + sub(r[iy - 1, ix], r[iy, ix], r[(iy + 1) % h, ix])
    dx = ix + sub(r[iy, ix - 1], r[iy, ix], r[iy, (ix + 1) % w])
    if dy > h / 2:
        dy -= h
    if dx > w / 2:
        dx -= w
    return float(dx), float(dy)


def shift_image(img: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """``out(x, y) = img(x - dx, y - dy)`` with bilinear interpolation, edges clamped; uint8."""
    H, W = img.shape
    f = img.astype(np.float32)
    ix = math.floor(dx)
    iy = math.floor(dy)
    fx = dx - ix
    fy = dy - iy
    xs = np.clip(np.arange(W) - ix, 0, W - 1)
    xs1 = np.clip(np.arange(W) - ix - 1, 0, W - 1)
    ys = np.clip(np.arange(H) - iy, 0, H - 1)
    ys1 = np.clip(np.arange(H) - iy - 1, 0, H - 1)
    top = f[ys][:, xs] * (1 - fx) + f[ys][:, xs1] * fx
    bot = f[ys1][:, xs] * (1 - fx) + f[ys1][:, xs1] * fx
    out = top * (1 - fy) + bot * fy
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


class Tracker:
    """Nearest-neighbour tracker with constant-acceleration prediction and uncertainty gates.

    Each track predicts its position at time ``t`` from its last three (or two, or one)
    points. The gate is ``base_gate + gate_k * |predicted step|`` around the prediction for
    tracks with a velocity; a one-point track accepts a box within ``max_speed * dt``,
    biased downwards (falls go down). Assignment is greedy by normalised distance.
    """

    def __init__(self, max_gap: float = 0.3, base_gate: float = 6.0, gate_k: float = 0.5,
                 max_speed: float = 1500.0, up_frac: float = 0.35) -> None:
        self.max_gap = float(max_gap)
        self.base_gate = float(base_gate)
        self.gate_k = float(gate_k)
        self.max_speed = float(max_speed)
        self.up_frac = float(up_frac)
        self.reset()

    def reset(self) -> None:
        self._next = 1
        self._tracks: dict[int, list[tuple[float, float, float]]] = {}

    @property
    def tracks(self) -> list[int]:
        return list(self._tracks)

    def history(self, track_id: int) -> np.ndarray:
        return np.asarray(self._tracks[track_id], dtype=np.float64)

    def _predict(self, pts: list[tuple[float, float, float]], t: float) -> tuple[float, float, float, float]:
        """Predicted (x, y), gate radius and the last time."""
        tl, xl, yl = pts[-1]
        dt = t - tl
        if len(pts) == 1:
            return xl, yl, self.max_speed * max(dt, 1e-3), tl
        t1, x1, y1 = pts[-2]
        h = max(tl - t1, 1e-6)
        vx = (xl - x1) / h
        vy = (yl - y1) / h
        ax = ay = 0.0
        if len(pts) >= 3:
            t0, x0, y0 = pts[-3]
            h0 = max(t1 - t0, 1e-6)
            ax = (vx - (x1 - x0) / h0) / (0.5 * (h + h0))
            ay = (vy - (y1 - y0) / h0) / (0.5 * (h + h0))
            vx += 0.5 * ax * h
            vy += 0.5 * ay * h
        px = xl + vx * dt + 0.5 * ax * dt * dt
        py = yl + vy * dt + 0.5 * ay * dt * dt
        step = math.hypot(px - xl, py - yl)
        gate = self.base_gate + self.gate_k * step
        return px, py, gate, tl

    def update(self, boxes: Any, scores: Any = None, t: float | None = None) -> np.ndarray:
        b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        if t is None:
            raise ValueError("t: the reference tracker needs timestamps")
        c = np.column_stack([(b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2])
        ids = np.full(len(b), -1, dtype=np.int64)
        # drop stale tracks
        for tid in [k for k, p in self._tracks.items() if t - p[-1][0] > self.max_gap]:
            del self._tracks[tid]
        cands = []
        for tid, pts in self._tracks.items():
            if pts[-1][0] >= t:
                continue
            px, py, gate, tl = self._predict(pts, t)
            if len(b) == 0:
                continue
            dx = c[:, 0] - px
            dy = c[:, 1] - py
            if len(pts) == 1:
                reach = gate
                ok = (dy <= reach) & (dy >= -self.up_frac * reach) & (np.abs(dx) <= 0.5 * reach)
                d = np.hypot(dx, dy) / max(reach, 1e-9)
            else:
                d = np.hypot(dx, dy) / gate
                ok = d <= 1.0
            for j in np.nonzero(ok)[0]:
                # prefer long tracks: a small bonus per point
                cands.append((float(d[j]) - 0.02 * min(len(pts), 10), tid, int(j)))
        cands.sort()
        used_t: set[int] = set()
        for _, tid, j in cands:
            if tid in used_t or ids[j] >= 0:
                continue
            ids[j] = tid
            used_t.add(tid)
            self._tracks[tid].append((t, float(c[j, 0]), float(c[j, 1])))
        for j in np.nonzero(ids < 0)[0]:
            tid = self._next
            self._next += 1
            self._tracks[tid] = [(t, float(c[j, 0]), float(c[j, 1]))]
            ids[j] = tid
        return ids


def pool_mean(img: np.ndarray, f: int) -> np.ndarray:
    """Rounded mean of each ``f x f`` block (remainder rows / columns dropped)."""
    f = int(f)
    oh, ow = img.shape[0] // f, img.shape[1] // f
    s = img[:oh * f, :ow * f].astype(np.int32).reshape(oh, f, ow, f).sum(axis=(1, 3))
    return ((s + (f * f) // 2) // (f * f)).astype(np.uint8)


def box_mean(img: np.ndarray, k: int) -> np.ndarray:
    """Rounded mean of the ``k x k`` box starting at every pixel (stride 1)."""
    k = int(k)
    c = np.pad(img.astype(np.int64).cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    s = c[k:, k:] - c[:-k, k:] - c[k:, :-k] + c[:-k, :-k]
    return ((s + (k * k) // 2) // (k * k)).astype(np.uint8)
