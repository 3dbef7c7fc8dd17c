"""Track-before-detect for falls: a parabola sweep over recent blobs.

A small object seen in only every other frame among noise blobs leaves a tracker with
short fragments, yet its blobs still lie on one descending curve. :func:`parabola_sweep`
looks for such curves in a window of blobs directly. Each blob of the newest
``end_frames`` frames (the end anchor *c*) is paired with the blobs of the frames about
``lags`` seconds earlier (the start anchor *b*). With the height ``h`` (up positive) and an
acceleration ``a`` (downward), a fall through both anchors is

    h(t) = L(t) + a (t - t_b)(t_c - t) / 2

where ``L`` is the chord between the anchors, and ``x`` moves linearly. Every other frame
of the window from ``back`` seconds before *b* votes, per bin of ``a`` in
``[a_min, a_max]``, when it holds a blob within tolerance of that curve. The best bin's
count plus the two anchors is the pair's *support*. Per end anchor the best pair is kept,
and candidates come out best first (most support, then the smallest squared residual in
tolerances), without those sharing more than half their blobs with a better one.

The detector (``FallingObjectDetector``, ``sweep_every``) judges each candidate with the
same physics as a track; the sweep itself only proposes.

>>> import numpy as np
>>> t = np.arange(20) * 0.04                      # 25 frames/s
>>> h = 30.0 - 0.5 * 9.81 * t**2                  # a fall from 30 m
>>> x = 100.0 + 0 * t
>>> offsets = np.arange(21)                       # one blob per frame
>>> tol = np.full(20, 0.1)
>>> blob, cand, support, accel = parabola_sweep(offsets, t, x, h, tol, tol, lags=(0.5,),
...     a_min=0.0, a_max=12.0, n_bins=12, min_support=8, min_drop=1.0)
>>> int(support[0]), round(float(accel[0]), 1)   # 20 frames, less 3 too close to the start anchor
(17, 9.8)
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

__all__ = ["parabola_sweep"]


def _vec(name: str, v: Any, dtype: Any) -> np.ndarray:
    if isinstance(v, (str, bytes)) or v is None:
        raise TypeError(f"{name}: expected a 1-D array of numbers, got {type(v).__name__}")
    a = np.asarray(v)
    if a.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array, got shape {a.shape}")
    if a.size and not (np.issubdtype(a.dtype, np.number) and not np.issubdtype(a.dtype, np.complexfloating)):
        raise TypeError(f"{name}: expected numbers, got dtype {a.dtype}")
    if dtype is np.int64 and a.size and not np.issubdtype(a.dtype, np.integer):
        raise TypeError(f"{name}: expected integers, got dtype {a.dtype}")
    return np.ascontiguousarray(a, dtype=dtype)


def _int(name: str, v: Any, lo: int) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"{name}: expected an int, got {type(v).__name__} {v!r}")
    if v < lo:
        raise ValueError(f"{name}: expected an int >= {lo}, got {v}")
    return int(v)


def _num(name: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a number, got {type(v).__name__} {v!r}")
    return float(v)


def _check(off: np.ndarray, ft: np.ndarray, arrs: list, kw: dict) -> None:
    """The checks of the Rust core, for both backends (the same messages)."""
    k, n = len(ft), len(arrs[0])
    if len(off) != k + 1:
        raise ValueError(f"offsets: expected {k + 1} entries (frames + 1), got {len(off)}")
    for name, a in zip(("h", "tol_x", "tol_h"), arrs[1:]):
        if len(a) != n:
            raise ValueError(f"{name}: expected {n} values (as x), got {len(a)}")
    if off[0] != 0 or off[-1] != n:
        raise ValueError(f"offsets: expected to run from 0 to {n} (the blob count), got {off[0]} to {off[-1]}")
    if np.any(np.diff(off) < 0):
        raise ValueError("offsets: expected non-decreasing values")
    if not np.all(np.isfinite(ft)) or np.any(np.diff(ft) <= 0):
        raise ValueError("ft: expected finite, strictly increasing frame times")
    for name, a in zip(("x", "h"), arrs[:2]):
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name}: expected finite values")
    for name, a in zip(("tol_x", "tol_h"), arrs[2:]):
        if not np.all(np.isfinite(a) & (a >= 0)):
            raise ValueError(f"{name}: expected finite values >= 0")
    lags = kw["lags"]
    if not lags or not all(math.isfinite(v) and v > 0 for v in lags):
        raise ValueError(f"lags: expected one or more finite values > 0, got {lags}")
    if not (math.isfinite(kw["a_min"]) and math.isfinite(kw["a_max"]) and kw["a_min"] < kw["a_max"]):
        raise ValueError(f"a_min, a_max: expected finite values with a_min < a_max, got {kw['a_min']} and {kw['a_max']}")
    if not 1 <= kw["n_bins"] <= 32:
        raise ValueError(f"n_bins: expected 1 to 32, got {kw['n_bins']}")
    if not kw["max_vx"] >= 0 or math.isnan(kw["max_vx"]):
        raise ValueError(f"max_vx: expected a value >= 0, got {kw['max_vx']}")
    if not (math.isfinite(kw["v_min"]) and math.isfinite(kw["v_max"]) and kw["v_min"] <= kw["v_max"]):
        raise ValueError(f"v_min, v_max: expected finite values with v_min <= v_max, got {kw['v_min']} and {kw['v_max']}")
    for name in ("back",):
        if not (math.isfinite(kw[name]) and kw[name] >= 0):
            raise ValueError(f"{name}: expected a finite value >= 0, got {kw[name]}")
    if not (math.isfinite(kw["max_gap"]) and kw["max_gap"] > 0):
        raise ValueError(f"max_gap: expected a finite value > 0, got {kw['max_gap']}")
    for name in ("min_density", "min_balance"):
        if not (math.isfinite(kw[name]) and 0 <= kw[name] <= 1):
            raise ValueError(f"{name}: expected a fraction in [0, 1], got {kw[name]}")
    if not math.isfinite(kw["min_drop"]):
        raise ValueError(f"min_drop: expected a finite value, got {kw['min_drop']}")


def parabola_sweep(offsets: Any, ft: Any, x: Any, h: Any, tol_x: Any, tol_h: Any, *,
                   lags: Sequence[float] = (0.45, 0.7, 0.95), a_min: float = 0.0,
                   a_max: float = 11.3, n_bins: int = 12, max_vx: float = math.inf,
                   v_min: float = -4.0, v_max: float = 35.0, back: float = 0.6,
                   min_support: int = 8, max_gap: float = 0.4, min_density: float = 0.4,
                   min_balance: float = 0.5, min_drop: float = 0.0, end_frames: int = 1,
                   near_end: int = 3, max_out: int = 4, backend: str = "auto"
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Search a window of blobs for descending parabolas (see the module docstring).

    Parameters
    ----------
    offsets : int array (K + 1,)
        Frame ``k`` holds blobs ``offsets[k]:offsets[k + 1]``; from 0 to the blob count.
    ft : float array (K,)
        Frame times, strictly increasing (s).
    x, h : float arrays (N,)
        Blob x (px; linear in time) and height (any unit, up positive).
    tol_x, tol_h : float arrays (N,)
        Per blob, how far (px, height units) it may lie from a curve and still support it.
        The larger anchor tolerance adds to every other frame's, growing by itself per
        anchor span of back-extrapolation.
    lags : sequence of float
        Seconds from the end anchor back to the start anchor frames (nearest frame each).
    a_min, a_max, n_bins
        Acceleration range (height units / s², downward positive) and its bins (1–32).
    max_vx : float
        Largest horizontal speed (px/s).
    v_min, v_max : float
        Range of the downward speed at the start anchor (negative: rising).
    back : float
        Seconds before the start anchor that still vote.
    min_support : int
        Frames a candidate needs (anchors included; at least 2).
    max_gap : float
        Longest time (s) between consecutive supporting frames: a candidate is the run of
        its supporting blobs that ends at the end anchor without a longer gap.
    min_density : float
        Least fraction of the window's frames within a candidate's span that support it.
    min_balance : float
        The later half of a candidate's span must be supported at least this fraction as
        densely as the earlier half: something slow and densely detected, joined by a few
        unrelated blobs further down, is not a fall (a falling object is seen as often
        when it is fast).
    min_drop : float
        Height its first supporting blob must lie above its end anchor.
    end_frames : int
        End anchors come from the last ``end_frames`` frames.
    near_end : int
        A pair is counted only if one of the ``near_end`` frames before its end anchor
        (after its start anchor) holds a blob on it (0: no such check): a cheap test that
        most chance pairs fail before the whole window is searched.
    max_out : int
        Most candidates returned.
    backend : "auto", "rust" or "reference"

    Returns
    -------
    blob, candidate : int64 arrays (M,)
        The supporting blob indices, in time order within each candidate, and their
        candidate number (0 is the best).
    support : int64 array (C,)
        Frames supporting each candidate.
    accel : float array (C,)
        Each candidate's acceleration, refined by least squares on its blobs (clamped to
        the range).
    """
    off = _vec("offsets", offsets, np.int64)
    ft = _vec("ft", ft, np.float64)
    arrs = [_vec(n, v, np.float64) for n, v in (("x", x), ("h", h), ("tol_x", tol_x), ("tol_h", tol_h))]
    if isinstance(lags, (str, bytes)) or not hasattr(lags, "__len__"):
        raise TypeError(f"lags: expected a sequence of numbers, got {type(lags).__name__}")
    lag = [_num("lags", v) for v in lags]
    kw = dict(lags=lag, a_min=_num("a_min", a_min), a_max=_num("a_max", a_max),
              n_bins=_int("n_bins", n_bins, 1), max_vx=_num("max_vx", max_vx),
              v_min=_num("v_min", v_min), v_max=_num("v_max", v_max), back=_num("back", back),
              min_support=_int("min_support", min_support, 2),
              max_gap=_num("max_gap", max_gap), min_density=_num("min_density", min_density),
              min_balance=_num("min_balance", min_balance), min_drop=_num("min_drop", min_drop), end_frames=_int("end_frames", end_frames, 1),
              near_end=_int("near_end", near_end, 0),
              max_out=_int("max_out", max_out, 0))
    _check(off, ft, arrs, kw)
    if kw["max_vx"] == math.inf:
        kw["max_vx"] = 1e300
    if backend not in ("auto", "rust", "reference"):
        raise ValueError(f"backend: expected 'auto', 'rust' or 'reference', got {backend!r}")
    core = None
    if backend != "reference":
        try:
            from anfang import _core as core  # type: ignore[no-redef]
        except ImportError:
            core = None
        if core is not None and not hasattr(core, "parabola_sweep"):
            core = None
        if backend == "rust" and core is None:
            raise ImportError("backend: 'rust' requested but anfang._core.parabola_sweep is not available")
    if core is not None:
        b, c, s, a = core.parabola_sweep(off, ft, *arrs, **kw)
        return np.asarray(b), np.asarray(c), np.asarray(s), np.asarray(a)
    from anfang.falling._reference import parabola_sweep as ref

    return ref(off, ft, *arrs, **kw)
