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
* :func:`parabola_sweep`: the falling detector's search of the blob history.
* :func:`plain_rms`, :func:`link_candidates`: the falling detector's fragment linking.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["diff_mask", "diff_mask3", "blobs", "estimate_shift", "shift_image", "Tracker", "Blobs",
           "parabola_sweep", "plain_rms", "link_candidates"]


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


def parabola_sweep(offsets: np.ndarray, ft: np.ndarray, x: np.ndarray, h: np.ndarray,
                   tol_x: np.ndarray, tol_h: np.ndarray, *, lags: list, a_min: float,
                   a_max: float, n_bins: int, max_vx: float, v_min: float, v_max: float,
                   back: float, min_support: int, max_gap: float, min_density: float,
                   min_balance: float, min_drop: float,
                   end_frames: int, near_end: int, max_out: int) -> tuple:
    """Reference of :func:`anfang.falling.sweep.parabola_sweep` (inputs already checked):
    the same search with numpy over all blobs of a frame per pair (the Rust core narrows
    them by x first)."""
    nf = len(ft)
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    if nf < 2:
        return empty
    frame_of = np.repeat(np.arange(nf), np.diff(offsets))
    wbin = (a_max - a_min) / n_bins
    centres = a_min + (np.arange(n_bins) + 0.5) * wbin
    # bin b covers [a_min + b w, a_min + (b + 1) w), the last one closed: an interval [p, q]
    # overlaps bin b when floor((p - a_min) / w) <= b <= floor((q - a_min) / w), clamped

    def bins_of(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        lo = np.maximum(lo, a_min)
        hi = np.minimum(hi, a_max)
        ok = lo <= hi
        b0 = np.clip(np.floor((lo - a_min) / wbin), 0, n_bins - 1)
        b1 = np.clip(np.floor((hi - a_min) / wbin), 0, n_bins - 1)
        idx = np.arange(n_bins)
        return ok[:, None] & (idx[None, :] >= b0[:, None]) & (idx[None, :] <= b1[:, None])

    def votes(b: int, c: int, k: int) -> tuple:
        """Frame k's blob indices, their supported bins (bool (n, bins)), and the pair's
        chord, q, predicted x, growth and the blobs' height and x tolerances there."""
        tb, tc = ft[frame_of[b]], ft[frame_of[c]]
        tau = ft[k]
        s = (tau - tb) / (tc - tb)
        L = h[b] + (h[c] - h[b]) * s
        q = 0.5 * (tau - tb) * (tc - tau)
        xp = x[b] + (x[c] - x[b]) * s
        grow = 1.0 + (-s if s < 0 else 0.0)
        j = np.arange(offsets[k], offsets[k + 1])
        tx = tol_x[j] + grow * max(tol_x[b], tol_x[c])
        th = tol_h[j] + grow * max(tol_h[b], tol_h[c])
        near = np.abs(x[j] - xp) <= tx
        for a in (b, c):
            near &= ~((np.abs(x[j] - x[a]) <= tol_x[j] + tol_x[a])
                      & (np.abs(h[j] - h[a]) <= tol_h[j] + tol_h[a]))
        r = h[j] - L
        if abs(q) < 1e-12:
            m = np.repeat((near & (np.abs(r) <= th))[:, None], n_bins, axis=1)
        else:
            a1, a2 = (r - th) / q, (r + th) / q
            m = near[:, None] & bins_of(np.minimum(a1, a2), np.maximum(a1, a2))
        return j, m, L, q, xp, grow, th, tx

    cands = []
    for kc in range(max(nf - end_frames, 0), nf):
        tc = ft[kc]
        kbs = sorted({int(np.argmin(np.abs(ft - (tc - lag)))) for lag in lags})  # (ties: earlier)
        kbs = [k for k in kbs if k < kc]
        for c in range(offsets[kc], offsets[kc + 1]):
            best = None
            for kb in kbs:
                tb = ft[kb]
                d = tc - tb
                for b in range(offsets[kb], offsets[kb + 1]):
                    if abs(x[c] - x[b]) > max_vx * d + tol_x[b] + tol_x[c]:
                        continue
                    fall = h[b] - h[c]
                    if fall <= 0:
                        continue
                    if fall / d - 0.5 * a_min * d < v_min or fall / d - 0.5 * a_max * d > v_max:
                        continue
                    k0 = int(np.searchsorted(ft, tb - back, side="left"))
                    near = range(max(kb + 1, kc - near_end), kc)
                    if near_end > 0 and len(near) and not any(votes(b, c, k)[1].any() for k in near):
                        continue
                    per_frame = {}
                    counts = np.zeros(n_bins, np.int64)
                    for k in range(k0, kc):
                        if k == kb:
                            continue
                        vv = votes(b, c, k)
                        per_frame[k] = vv
                        counts += vv[1].any(axis=0)
                    v_at = fall / d - 0.5 * centres * d
                    allowed = (v_at >= v_min) & (v_at <= v_max)
                    if not allowed.any():
                        continue
                    top = counts[allowed].max()
                    # the first run of bins holding the most votes: its middle one
                    okb = np.nonzero(allowed & (counts == top))[0]
                    run_end = okb[0]
                    while run_end + 1 in okb:
                        run_end += 1
                    bi = (okb[0] + run_end) // 2
                    if top + 2 < min_support or (best is not None and top + 2 < best[1]):
                        continue
                    a = centres[bi]
                    picks, costs = [], []
                    for k in range(k0, kc + 1):
                        if k == kb:
                            picks.append(b)
                            costs.append(0.0)
                            continue
                        if k == kc:
                            picks.append(c)
                            costs.append(0.0)
                            continue
                        j, m, L, q, xp, grow, th, tx = per_frame[k]
                        sel = np.nonzero(m[:, bi])[0]
                        if not len(sel):
                            continue
                        e = ((h[j[sel]] - L - a * q) / np.maximum(th[sel], 1e-9)) ** 2 \
                            + ((x[j[sel]] - xp) / np.maximum(tx[sel], 1e-9)) ** 2
                        i = int(np.argmin(e))
                        picks.append(int(j[sel[i]]))
                        costs.append(float(e[i]))
                    tp = ft[frame_of[picks]]
                    gaps = np.diff(tp)
                    cut = np.nonzero(gaps > max_gap)[0]
                    if len(cut):
                        picks, costs = picks[cut[-1] + 1:], costs[cut[-1] + 1:]
                    cost = float(sum(costs))
                    if len(picks) < min_support or h[picks[0]] - h[c] < min_drop:
                        continue
                    tp = ft[frame_of[picks]]
                    span = ft[(ft >= tp[0]) & (ft <= tp[-1])]
                    mid = 0.5 * (tp[0] + tp[-1])
                    n1, n2 = int(np.sum(span <= mid)), int(np.sum(span > mid))
                    s1, s2 = int(np.sum(tp <= mid)), int(np.sum(tp > mid))
                    if len(picks) < min_density * max(len(span), 1) or s2 * n1 < min_balance * s1 * n2:
                        continue
                    # refined acceleration
                    tau = ft[frame_of[picks]]
                    s = (tau - tb) / d
                    L = h[b] + (h[c] - h[b]) * s
                    q = 0.5 * (tau - tb) * (tc - tau)
                    grow = 1.0 + np.where(s < 0, -s, 0.0)
                    th = np.maximum(tol_h[picks] + grow * max(tol_h[b], tol_h[c]), 1e-9)
                    sqq = float(np.sum(q * q / th**2))
                    if sqq > 0:
                        a = float(np.clip(np.sum(q * (h[picks] - L) / th**2) / sqq, a_min, a_max))
                    cand = (picks, len(picks), a, cost)
                    if best is None or cand[1] > best[1] or (cand[1] == best[1] and cand[3] < best[3]):
                        best = cand
            if best is not None:
                cands.append(best)
    order = sorted(range(len(cands)), key=lambda i: (-cands[i][1], cands[i][3]))
    taken = np.zeros(len(x), bool)
    out = []
    for i in order:
        if len(out) >= max_out:
            break
        picks = cands[i][0]
        if 2 * int(taken[picks].sum()) > len(picks):
            continue
        taken[picks] = True
        out.append(cands[i])
    if not out:
        return empty
    blob = np.concatenate([np.asarray(c[0], np.int64) for c in out])
    cid = np.concatenate([np.full(len(c[0]), i, np.int64) for i, c in enumerate(out)])
    return blob, cid, np.array([c[1] for c in out], np.int64), np.array([c[2] for c in out])


def plain_rms(t: np.ndarray, x: np.ndarray, y: np.ndarray, dup_eps: float = 1e-3) -> float:
    """Reference of :func:`anfang.falling.physics.plain_rms` (inputs already float64 1-D
    arrays of one length)."""
    from anfang.falling.physics import _design, _wls, dedupe_samples

    idx = dedupe_samples(t, x, y, eps=dup_eps)
    if len(idx) < 4:
        return float("inf")
    tau = t[idx] - t[idx][0]
    ones = np.ones(len(idx))
    py = _wls(_design(tau, 2), y[idx], ones)[0]
    px = _wls(_design(tau, 1), x[idx], ones)[0]
    ry = y[idx] - _design(tau, 2) @ py
    rx = x[idx] - _design(tau, 1) @ px
    return float(np.sqrt(np.mean(rx**2 + ry**2)))


def near_any(points: np.ndarray, circles: np.ndarray) -> np.ndarray:
    """Reference of the Rust ``near_any``: for each point ``(x, y)`` of ``points`` (N, 2),
    whether ``hypot(x - cx, y - cy) <= r`` for some circle ``(cx, cy, r)`` of ``circles``
    (M, 3); all pairs at once (N x M distances)."""
    P = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    C = np.asarray(circles, dtype=np.float64).reshape(-1, 3)
    if not len(P) or not len(C):
        return np.zeros(len(P), dtype=bool)
    with np.errstate(invalid="ignore"):
        d = np.hypot(P[:, None, 0] - C[None, :, 0], P[:, None, 1] - C[None, :, 1])
        return (d <= C[None, :, 2]).any(axis=1)


def link_candidates(last3: np.ndarray, ended: np.ndarray, t0: float, x0: float, y0: float,
                    g: float, tol: float, link_gap: float
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reference of the Rust ``link_candidates`` (the falling detector's search for the
    fragment a new track continues): ``last3`` (N, 3, 3) holds per fragment its last three
    samples ``(t, x, y)``, oldest first; ``ended`` (N,) whether it has ended. Returns the
    qualifying rows nearest first (a stable sort), their distances, and whether the
    fragment's last sample is at ``t0`` (then its end is the sample before)."""
    R = np.asarray(last3, dtype=np.float64).reshape(-1, 3, 3)
    last_t = R[:, 2, 0]
    ok = np.asarray(ended, dtype=bool) | (last_t <= t0)
    shift = last_t == t0
    r1 = np.where(shift[:, None], R[:, 0], R[:, 1])
    r2 = np.where(shift[:, None], R[:, 1], R[:, 2])
    dt = t0 - r2[:, 0]
    span = r2[:, 0] - r1[:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        ok &= (dt > 0) & (dt <= link_gap) & (span > 0)
        k = np.nonzero(ok)[0]
        r1, r2, dt, span = r1[k], r2[k], dt[k], span[k]
        vx = (r2[:, 1] - r1[:, 1]) / span
        vy = (r2[:, 2] - r1[:, 2]) / span
        fall = 0.5 * g * dt * dt
        px = r2[:, 1] + vx * dt
        py = r2[:, 2] + vy * dt + fall
        d = np.hypot(px - x0, py - y0)
        near = d <= tol + fall
    k, d, sh = k[near], d[near], shift[k][near]
    o = np.argsort(d, kind="stable")
    return k[o].astype(np.int64), d[o], sh[o]
