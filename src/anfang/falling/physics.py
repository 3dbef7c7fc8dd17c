"""Physics of a falling object: robust trajectory fit, ballistic test, back-tracing.

A thrown or dropped object moves, in the image, on a parabola: ``y(t) = y0 + vy t + a t²/2``
with ``a`` the projection of gravity (y down, so ``a > 0``) and ``x(t) = x0 + vx t``.
:func:`fit_track` fits that model to a track robustly (iteratively reweighted least squares
with Tukey's biweight, after dropping duplicated samples) and returns a :class:`TrackFit`
with the acceleration, its standard error and the fit quality. :func:`ballistic_verdict`
decides from physics and appearance features whether a track is a falling object (and not
a bird, leaf, insect, raindrop, cloud or swaying branch). :func:`trace_origin` extrapolates
the fitted parabola back to the release point and maps it to a floor and window column,
with a floor range from the fit's covariance.

Example
-------
>>> t = np.arange(12) / 25.0
>>> y = 100 + 20 * t + 0.5 * 400 * t**2
>>> x = 50 + 10 * t
>>> fit = fit_track(t, x, y)
>>> round(fit.accel, 3), round(fit.vy, 3), round(fit.vx, 3)
(400.0, 20.0, 10.0)
>>> v = ballistic_verdict(fit, expected_g=400.0)
>>> v.accepted, v.reasons
(True, ())
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any, Mapping

import numpy as np

__all__ = [
    "TrackFit",
    "fit_track",
    "dedupe_samples",
    "BallisticRules",
    "Verdict",
    "ballistic_verdict",
    "Origin",
    "trace_origin",
    "GRAVITY",
]

try:  # the Rust kernel (numpy reference in anfang.falling._reference)
    from anfang._core import plain_rms as _core_plain_rms
except ImportError:  # pragma: no cover - the extension is part of the package
    _core_plain_rms = None

#: Standard gravity in m/s².
GRAVITY = 9.80665

_RAYLEIGH_MEDIAN = math.sqrt(2.0 * math.log(2.0))  # median of a 2-D Gaussian residual norm / sigma


def dedupe_samples(t: Any, x: Any, y: Any, eps: float = 1e-3) -> np.ndarray:
    """Indices (into the time-sorted order) of samples to keep.

    Drops a sample whose time equals the previous one (kept: the first) and a sample whose
    position equals the previous kept one within ``eps`` pixels although time advanced
    (duplicated content: e.g. 10 fps content in a 30 fps container repeats each frame).
    Returns the indices of the kept samples in the *original* arrays, in time order.

    Examples
    --------
    >>> dedupe_samples([0, .1, .1, .2, .3], [0, 1, 5, 1, 2], [0, 1, 5, 1, 3]).tolist()
    [0, 1, 4]
    """
    t = np.asarray(t, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    order = np.argsort(t, kind="stable")
    ts, xs, ys = t[order], x[order], y[order]
    if len(ts) == 0:
        return order
    keep = np.ones(len(ts), dtype=bool)
    keep[1:] = np.diff(ts) > 0
    idx = order[keep]
    xs, ys = xs[keep], ys[keep]
    # repeated content: same position as the previous sample (a run keeps its first member)
    same = np.zeros(len(idx), dtype=bool)
    same[1:] = (np.abs(np.diff(xs)) <= eps) & (np.abs(np.diff(ys)) <= eps)
    return idx[~same]


@dataclass(frozen=True)
class TrackFit:
    """Result of :func:`fit_track`. Times are relative to ``t0`` (the first kept sample).

    Attributes
    ----------
    t0 : float
        Reference time (seconds, caller's clock).
    px, py : ndarray
        Parameters ``[x0, vx(, ax)]`` and ``[y0, vy, a(, jerk)]`` at ``t0``.
    cov_x, cov_y : ndarray
        Their covariance matrices.
    accel, accel_se : float
        Vertical acceleration (px/s², positive = downwards) and its standard error; with
        the drag terms, the mean acceleration over the observed span.
    rms : float
        RMS of the 2-D residuals of the inliers (px).
    sigma : float
        Robust residual scale (px per axis).
    inlier_frac : float
        Fraction of kept samples with a non-zero final weight.
    n, n_input : int
        Kept samples and samples given.
    duration : float
        Time span of the kept samples (s).
    t, x, y, w : ndarray
        Kept samples (t absolute) and their final robust weights.
    """

    t0: float
    px: np.ndarray
    py: np.ndarray
    cov_x: np.ndarray
    cov_y: np.ndarray
    accel: float
    accel_se: float
    rms: float
    sigma: float
    inlier_frac: float
    n: int
    n_input: int
    duration: float
    t: np.ndarray = field(repr=False)
    x: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    w: np.ndarray = field(repr=False)

    @property
    def vx(self) -> float:
        return float(self.px[1])

    @property
    def vy(self) -> float:
        return float(self.py[1])

    @property
    def accel_x(self) -> float:
        return float(self.px[2]) if len(self.px) > 2 else 0.0

    def position(self, t: Any) -> np.ndarray:
        """Fitted ``(x, y)`` at absolute times ``t`` (shape ``t.shape + (2,)``)."""
        tau = np.asarray(t, dtype=np.float64) - self.t0
        return np.stack([_poly(self.px, tau), _poly(self.py, tau)], axis=-1)

    def velocity(self, t: Any) -> np.ndarray:
        """Fitted ``(vx, vy)`` in px/s at absolute times ``t``."""
        tau = np.asarray(t, dtype=np.float64) - self.t0
        return np.stack([_dpoly(self.px, tau), _dpoly(self.py, tau)], axis=-1)

    @property
    def speed(self) -> float:
        """Speed (px/s) at the last kept sample."""
        v = self.velocity(self.t[-1])
        return float(np.hypot(v[0], v[1]))

    @property
    def direction(self) -> float:
        """Direction of motion at the last sample in degrees: 0 = straight down, +90 = right,
        -90 = left, ±180 = up."""
        v = self.velocity(self.t[-1])
        return float(np.degrees(np.arctan2(v[0], v[1])))


def _design(tau: np.ndarray, order: int) -> np.ndarray:
    """Columns 1, tau, tau²/2, tau³/6 up to ``order``."""
    cols = [np.ones_like(tau)]
    f = 1.0
    for k in range(1, order + 1):
        f *= k
        cols.append(tau**k / f)
    return np.column_stack(cols)


def _poly(p: np.ndarray, tau: np.ndarray) -> np.ndarray:
    out = np.zeros_like(tau, dtype=np.float64)
    f = 1.0
    for k, c in enumerate(p):
        if k:
            f *= k
        out = out + c * tau**k / f
    return out


def _dpoly(p: np.ndarray, tau: np.ndarray) -> np.ndarray:
    out = np.zeros_like(tau, dtype=np.float64)
    f = 1.0
    for k in range(1, len(p)):
        if k > 1:
            f *= k - 1
        out = out + p[k] * tau ** (k - 1) / f
    return out


def _wls(A: np.ndarray, b: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least squares by the normal equations (small systems); returns (p, inv(AtWA))."""
    Aw = A * w[:, None]
    N = A.T @ Aw
    # Scale columns for conditioning.
    d = np.sqrt(np.maximum(np.diag(N), 1e-300))
    Ns = N / d[:, None] / d[None, :]
    try:
        Ninv = np.linalg.inv(Ns) / d[:, None] / d[None, :]
    except np.linalg.LinAlgError:
        Ninv = np.linalg.pinv(Ns) / d[:, None] / d[None, :]
    p = Ninv @ (Aw.T @ b)
    return p, Ninv


def fit_track(
    t: Any,
    x: Any,
    y: Any,
    *,
    drag: bool = False,
    max_iter: int = 10,
    tukey_c: float = 4.685,
    min_sigma: float = 0.25,
    dup_eps: float = 1e-3,
) -> TrackFit:
    """Robust ballistic fit of a track.

    Model: ``y = y0 + vy τ + a τ²/2`` and ``x = x0 + vx τ`` with ``τ = t - t0``; with
    ``drag=True`` a cubic term in ``y`` and a quadratic term in ``x`` absorb air drag and the
    perspective change of an object moving towards or away from the camera (the reported
    ``accel`` is then the mean acceleration over the observed span; ``py[2]`` is the
    acceleration at ``t0``). Duplicated samples are
    dropped first (:func:`dedupe_samples`). The fit is iteratively reweighted least squares
    with Tukey's biweight on the 2-D residual, scale from the residuals' median.

    Parameters
    ----------
    t, x, y : array_like (N,)
        Times in seconds (caller's clock) and image positions in pixels.
    drag : bool
        Add the drag terms.
    max_iter : int
        IRLS iterations.
    tukey_c : float
        Biweight cut-off in units of the robust scale.
    min_sigma : float
        Floor of the robust scale in pixels: the centroid of a binary blob moves in steps of
        a fraction of a pixel, so residuals of a few tenths are noise, not outliers (with a
        smaller floor a near-perfect track rejects such samples and ends "off track").
    dup_eps : float
        Position tolerance (px) for duplicated content.

    Raises
    ------
    ValueError
        Arrays of different lengths, non-finite values, or too few distinct samples.
    """
    ta = np.asarray(t, dtype=np.float64).ravel()
    xa = np.asarray(x, dtype=np.float64).ravel()
    ya = np.asarray(y, dtype=np.float64).ravel()
    if not (len(ta) == len(xa) == len(ya)):
        raise ValueError(f"x, y: expected the length of t ({len(ta)}), got {len(xa)} and {len(ya)}")
    if not (np.all(np.isfinite(ta)) and np.all(np.isfinite(xa)) and np.all(np.isfinite(ya))):
        raise ValueError("t, x, y: expected finite values")
    idx = dedupe_samples(ta, xa, ya, eps=dup_eps)
    oy = 3 if drag else 2
    ox = 2 if drag else 1
    need = oy + 2
    if len(idx) < need:
        raise ValueError(f"t: expected at least {need} distinct samples for the fit, got {len(idx)}")
    ts, xs, ys = ta[idx], xa[idx], ya[idx]
    t0 = float(ts[0])
    tau = ts - t0
    Ay = _design(tau, oy)
    Ax = _design(tau, ox)
    w = np.ones(len(tau))
    sigma = min_sigma
    B = np.column_stack([xs, ys])
    for it in range(max_iter):
        # both coordinates in one solve (the richer y design for x too while reweighting)
        Aw = Ay * w[:, None]
        try:
            P = np.linalg.solve(Ay.T @ Aw, Aw.T @ B)
        except np.linalg.LinAlgError:
            break
        R = B - Ay @ P
        r = np.hypot(R[:, 0], R[:, 1])
        sigma = max(float(np.median(r)) / _RAYLEIGH_MEDIAN, min_sigma)
        u = r / (tukey_c * sigma)
        w_new = np.where(u < 1.0, (1.0 - u**2) ** 2, 0.0)
        if w_new.sum() < need:  # too many rejected: keep the previous weights
            break
        if it > 0 and np.max(np.abs(w_new - w)) < 1e-3:
            w = w_new
            break
        w = w_new
    # final fit: plain least squares over the inliers (efficient once outliers are out)
    w = (w > 0).astype(np.float64)
    pyv, Ny = _wls(Ay, ys, w)
    pxv, Nx = _wls(Ax, xs, w)
    ry = ys - Ay @ pyv
    rx = xs - Ax @ pxv
    inl = w > 0
    sw = float(w.sum())
    dof_y = max(sw - Ay.shape[1], 1.0)
    dof_x = max(sw - Ax.shape[1], 1.0)
    s2y = max(float((w * ry**2).sum()) / dof_y, min_sigma**2)
    s2x = max(float((w * rx**2).sum()) / dof_x, min_sigma**2)
    cov_y = s2y * Ny
    cov_x = s2x * Nx
    if drag:
        # mean vertical acceleration over the observed span: a + jerk * T / 2
        jv = np.array([0.0, 0.0, 1.0, 0.5 * float(tau[-1])])
        accel = float(jv @ pyv)
        accel_var = float(jv @ cov_y @ jv)
    else:
        accel = float(pyv[2])
        accel_var = float(cov_y[2, 2])
    rms = float(np.sqrt(np.mean(rx[inl] ** 2 + ry[inl] ** 2))) if inl.any() else float("inf")
    return TrackFit(
        t0=t0,
        px=pxv,
        py=pyv,
        cov_x=cov_x,
        cov_y=cov_y,
        accel=accel,
        accel_se=float(math.sqrt(max(accel_var, 0.0))),
        rms=rms,
        sigma=sigma,
        inlier_frac=float(inl.mean()),
        n=int(len(idx)),
        n_input=int(len(ta)),
        duration=float(tau[-1]),
        t=ts,
        x=xs,
        y=ys,
        w=w,
    )


# -- the ballistic test -----------------------------------------------------------------------
@dataclass(frozen=True)
class BallisticRules:
    """Thresholds of :func:`ballistic_verdict` (all in scene-independent or pixel units).

    Attributes
    ----------
    min_points : int
        Distinct samples needed.
    min_duration : float
        Seconds of track needed.
    g_band : (float, float)
        Accepted range of ``accel / expected_g`` (air drag lowers it, a perspective error
        changes it both ways).
    drag_g_min : float
        Light objects (paper, bags) slow down in air: a track whose mean acceleration is
        below ``g_band`` but at least ``drag_g_min`` g still passes when its drag fit starts
        within ``g_band`` and the acceleration falls significantly (the signature of air
        drag on an object released at rest; a leaf or a gliding bird never accelerates).
    terminal_speed : (float, float)
        A light object (bag, paper, cigarette) is at its terminal speed a fraction of a second
        after release, and a camera often picks it up only then: it descends steadily, with no
        measurable acceleration. Such a track passes the acceleration rules when its mean
        downward speed lies in this range (m/s; needs ``expected_g``), its acceleration is
        within ``g_band[0]`` g of zero and not significantly negative (nothing falling slows
        down), it moves at most ``terminal_max_slope`` sideways per unit of descent (the
        wind carries a bag sideways; a gliding bird moves more sideways than down) and
        accelerates sideways by at most ``terminal_max_side_accel`` g (drag on the small
        sideways speed; a swaying leaf or a turning bird exceeds it), and it lasts
        ``terminal_min_duration`` seconds. Leaves are slower (about 1-2 m/s) and sway; birds
        fly sideways. ``terminal_min_duration=0`` disables the rule. Being the loosest
        acceptance (no acceleration at all), it also needs ``terminal_min_inlier_frac`` of
        the samples to be inliers of the robust fit: a steady descent fits throughout, while
        a swaying leaf whose silhouette flickers leaves a sixth of its samples off the fit.
    terminal_max_slope, terminal_max_side_accel : float
        See ``terminal_speed``.
    terminal_min_duration, terminal_min_inlier_frac : float
        See ``terminal_speed``.
    terminal_min_steady, terminal_window : float
        A descent at terminal speed is steady: over every ``terminal_window`` seconds of
        the track (its inliers, positions interpolated) it must descend at least
        ``terminal_min_steady`` times what its mean speed gives. A track that rests on
        something for a while (a lit window, a patch of clutter) and then moves on has the
        right mean speed but not this (``terminal_min_steady=0`` disables).
    max_side_accel : float
        Largest sideways acceleration in g, when significant (3 standard errors; fits with
        the drag terms only, 10 or more samples). Air drag slows an object's sideways speed
        by a fraction of g; a swaying leaf, a turning bird or a track that has hopped from
        one object to another curves sideways by g or more.
    min_accel_px : float
        Acceleration floor (px/s²) used when no expected gravity is known.
    min_accel_sigma : float
        ``accel / accel_se`` needed (the acceleration is significant).
    max_rms_px, max_rms_rel : float
        Allowed residual RMS: ``max(max_rms_px, max_rms_rel * size)`` with ``size`` the
        object's typical linear size (sqrt of its median area).
    min_inlier_frac : float
        Fraction of samples the robust fit keeps.
    tail_inliers : int
        The last this many samples must be inliers (a track that has just jumped to another
        object is not following its parabola any more).
    min_descent_frac : float
        Fraction of steps after the apex that go down.
    max_size_cv : float
        Coefficient of variation of the area along the track (tumbling objects vary a bit;
        insects flitting through the light cone a lot).
    max_aspect : float
        Median box elongation (rain streaks are long and thin).
    max_size_floors : float
        Largest linear object size in floor heights (clouds, insects on the lens).
    max_speed_floors : float
        Largest speed in floor heights per second at the last sample (a rain streak crosses
        many floors per frame).
    max_hop_sizes, min_hop_px : float
        An object does not jump. Where the track's residual about the fit changes between
        two consecutive samples by more than ``max_hop_sizes`` object sizes (and
        ``min_hop_px``), with inliers of the fit on both sides, the track has been stitched
        from two things (a bird and a speck below it, a leaf and a flickering block): the
        fit bends through both and is no evidence of a fall (``max_hop_sizes=0`` disables).
    min_fill : float
        Median fraction of its box that a blob fills. A falling object is one compact blob;
        a track stitched together from sparse clusters of pixels (rain streaks, noise
        specks, flickering edges) has boxes that its pixels barely fill. For silhouettes
        (the detector's background motion); the three-frame difference shows a large object
        as edge fragments, and the detector turns the rule off there.
    """

    min_points: int = 6
    min_duration: float = 0.2
    g_band: tuple[float, float] = (0.35, 1.8)
    drag_g_min: float = 0.1
    terminal_speed: tuple[float, float] = (2.5, 20.0)
    terminal_max_slope: float = 0.5
    terminal_max_side_accel: float = 0.25
    terminal_min_duration: float = 1.0
    terminal_min_inlier_frac: float = 0.9
    terminal_min_steady: float = 0.1
    terminal_window: float = 0.4
    max_side_accel: float = 0.5
    min_accel_px: float = 50.0
    min_accel_sigma: float = 4.0
    max_rms_px: float = 1.5
    max_rms_rel: float = 0.35
    min_inlier_frac: float = 0.6
    tail_inliers: int = 2
    min_descent_frac: float = 0.8
    max_size_cv: float = 1.0
    max_aspect: float = 6.0
    max_size_floors: float = 1.0
    max_speed_floors: float = 40.0
    min_fill: float = 0.4
    max_hop_sizes: float = 2.0
    min_hop_px: float = 10.0

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name in ("g_band", "terminal_speed"):
                try:
                    lo, hi = (float(a) for a in v)
                except (TypeError, ValueError):
                    raise ValueError(f"{f.name}: expected a pair (low, high), got {v!r}") from None
                if not (0 < lo < hi):
                    raise ValueError(f"{f.name}: expected 0 < low < high, got {v!r}")
                object.__setattr__(self, f.name, (lo, hi))
                continue
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise ValueError(f"{f.name}: expected a finite number >= 0, got {v!r}")
        if not 0 <= self.min_inlier_frac <= 1 or not 0 <= self.min_descent_frac <= 1 \
                or not 0 <= self.terminal_min_inlier_frac <= 1:
            raise ValueError("min_inlier_frac/min_descent_frac/terminal_min_inlier_frac: "
                             "expected fractions in [0, 1]")

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "BallisticRules":
        unknown = sorted(set(d) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"rules: unknown keys {unknown}")
        kw = dict(d)
        for k in ("g_band", "terminal_speed"):
            if k in kw:
                kw[k] = tuple(kw[k])
        return cls(**kw)


def _steadiness(fit: TrackFit, window: float) -> float:
    """The smallest descent over ``window`` seconds of the track (inlier samples, linear
    interpolation), over the descent its mean speed gives in that time; 1 for a track
    shorter than two windows, 0 when it does not descend."""
    w = np.asarray(fit.w) > 0
    t = np.asarray(fit.t, dtype=np.float64)[w]
    y = np.asarray(fit.y, dtype=np.float64)[w]
    if len(t) < 4 or window <= 0 or t[-1] - t[0] < 2.0 * window:
        return 1.0
    o = np.argsort(t, kind="stable")
    t, y = t[o], y[o]
    rate = float(y[-1] - y[0]) / float(t[-1] - t[0])
    if rate <= 0:
        return 0.0
    s = t[t <= t[-1] - window]
    d = np.interp(s + window, t, y) - np.interp(s, t, y)
    return float(d.min()) / (rate * window)


def _largest_hop(fit: TrackFit, min_side: int = 2) -> tuple[float, float]:
    """The largest change of the residual about the fit between consecutive kept samples
    that have at least ``min_side`` inliers on each side, and the time of the sample after
    it; ``(0, nan)`` when there is no such place. (:func:`fit_track` keeps its samples in
    time order.)"""
    t = np.asarray(fit.t, dtype=np.float64)
    if len(t) < 2 * min_side:
        return 0.0, float("nan")
    tau = t - fit.t0
    rx = np.asarray(fit.x, dtype=np.float64) - _poly(np.asarray(fit.px), tau)
    ry = np.asarray(fit.y, dtype=np.float64) - _poly(np.asarray(fit.py), tau)
    step = np.hypot(np.diff(rx), np.diff(ry))
    inl = np.cumsum(np.asarray(fit.w) > 0)
    before = inl[:-1]  # inliers up to and including sample i (the step is i -> i + 1)
    after = inl[-1] - before
    ok = (before >= min_side) & (after >= min_side)
    if not ok.any():
        return 0.0, float("nan")
    i = int(np.argmax(np.where(ok, step, -1.0)))
    return float(step[i]), float(t[i + 1])


@dataclass(frozen=True)
class Verdict:
    """Outcome of :func:`ballistic_verdict`.

    ``accepted`` is True when every rule passes; ``reasons`` names the failed rules;
    ``score`` in [0, 1] grades how textbook the fall is (used as the event confidence);
    ``features`` holds the measured values.
    """

    accepted: bool
    score: float
    reasons: tuple[str, ...]
    features: Mapping[str, float]


def ballistic_verdict(
    fit: TrackFit,
    *,
    expected_g: float | None = None,
    areas: Any = None,
    widths: Any = None,
    heights: Any = None,
    floor_px: float | None = None,
    rules: BallisticRules | None = None,
) -> Verdict:
    """Is this track a falling object?

    Parameters
    ----------
    fit : TrackFit
        From :func:`fit_track`.
    expected_g : float, optional
        Gravity projected at the track's position in px/s² (e.g. ``9.81 * facade.px_per_m``).
        Without it only a significant positive acceleration of at least
        ``rules.min_accel_px`` is required.
    areas, widths, heights : array_like, optional
        Per-sample blob area and box size (px) for the appearance rules.
    floor_px : float, optional
        Height of one floor in px near the track (scene-relative size and speed limits).
    rules : BallisticRules, optional
        Thresholds; defaults to :class:`BallisticRules()`.

    Returns
    -------
    Verdict
    """
    r = rules or BallisticRules()
    reasons: list[str] = []
    a, se = fit.accel, max(fit.accel_se, 1e-9)
    feats: dict[str, float] = {
        "accel": a,
        "accel_se": fit.accel_se,
        "accel_sigma": a / se,
        "rms": fit.rms,
        "inlier_frac": fit.inlier_frac,
        "n": float(fit.n),
        "duration": fit.duration,
        "speed": fit.speed,
    }
    if fit.n < r.min_points:
        reasons.append("too_few_points")
    if fit.duration < r.min_duration:
        reasons.append("too_short")
    g_ratio = float("nan")
    in_band = drag_ok = terminal = False
    if expected_g is not None and expected_g > 0:
        g_ratio = a / expected_g
        feats["g_ratio"] = g_ratio
        in_band = r.g_band[0] <= g_ratio <= r.g_band[1]
        if not in_band and r.drag_g_min <= g_ratio < r.g_band[0] and len(fit.py) == 4:
            a0 = float(fit.py[2]) / expected_g
            jerk, jse = float(fit.py[3]), math.sqrt(max(float(fit.cov_y[3, 3]), 0.0))
            feats["g_ratio_start"] = a0
            drag_ok = r.g_band[0] <= a0 <= r.g_band[1] and jerk < -3.0 * jse
        if drag_ok:
            feats["drag_limited"] = 1.0
        elif (not in_band and r.terminal_min_duration > 0 and abs(g_ratio) <= r.g_band[0]
              and fit.duration >= r.terminal_min_duration):
            # steady descent at a light object's terminal speed (see BallisticRules)
            span = float(fit.t[-1] - fit.t[0])
            px_per_m = expected_g / GRAVITY
            vy = float(fit.y[-1] - fit.y[0]) / span / px_per_m if span > 0 else 0.0
            vx = float(fit.x[-1] - fit.x[0]) / span / px_per_m if span > 0 else 0.0
            feats["terminal_speed"] = vy
            # nothing falling slows down (a significant deceleration is a leaf or a bird), and
            # a sideways acceleration beyond what drag does to the small sideways speed is a
            # sway (a leaf) or a turn (a bird)
            ax = abs(float(fit.px[2])) if len(fit.px) > 2 else 0.0
            steady = _steadiness(fit, r.terminal_window) if r.terminal_min_steady > 0 else 1.0
            feats["terminal_steadiness"] = steady
            terminal = (r.terminal_speed[0] <= vy <= r.terminal_speed[1]
                        and abs(vx) <= r.terminal_max_slope * vy and a >= -2.0 * se
                        and ax <= r.terminal_max_side_accel * expected_g
                        and fit.inlier_frac >= r.terminal_min_inlier_frac
                        and steady >= r.terminal_min_steady)
            if terminal:
                feats["terminal"] = 1.0
    if not terminal:  # (at terminal speed there is no acceleration to measure)
        if a <= 0:
            reasons.append("not_accelerating_down")
        elif a / se < r.min_accel_sigma:
            reasons.append("accel_not_significant")
    if expected_g is not None and expected_g > 0:
        if not (in_band or drag_ok or terminal):
            reasons.append("accel_not_gravity")
        if len(fit.px) > 2:
            ax, ax_se = abs(float(fit.px[2])), math.sqrt(max(float(fit.cov_x[2, 2]), 0.0))
            feats["side_accel_g"] = ax / expected_g
            if ax > r.max_side_accel * expected_g and ax > 3.0 * ax_se:
                reasons.append("sideways_accel")
    elif a < r.min_accel_px:
        reasons.append("accel_too_small")
    # size / appearance
    size = 1.0
    if areas is not None:
        ar = np.asarray(areas, dtype=np.float64)
        if len(ar):
            med = float(np.median(ar))
            size = math.sqrt(max(med, 1.0))
            cv = float(np.std(ar) / max(np.mean(ar), 1e-9))
            feats["size"] = size
            feats["area_median"] = med
            feats["size_cv"] = cv
            if cv > r.max_size_cv:
                reasons.append("size_unstable")
            if floor_px is not None and floor_px > 0 and size > r.max_size_floors * floor_px:
                reasons.append("too_large")
    if widths is not None and heights is not None:
        wv = np.maximum(np.asarray(widths, dtype=np.float64), 1.0)
        hv = np.maximum(np.asarray(heights, dtype=np.float64), 1.0)
        if len(wv):
            aspect = float(np.median(np.maximum(wv / hv, hv / wv)))
            feats["aspect"] = aspect
            if aspect > r.max_aspect:
                reasons.append("streak_shape")
            if areas is not None:
                ar = np.asarray(areas, dtype=np.float64)
                if len(ar) == len(wv):
                    fill = float(np.median(ar / (wv * hv)))
                    feats["fill"] = fill
                    if fill < r.min_fill:
                        reasons.append("sparse_blobs")
            if areas is None:
                size = math.sqrt(float(np.median(wv * hv)))
            else:
                # a large low-contrast object shows as fragments (its moving edges): their
                # centroids wander over the object's extent, not just the fragments' size
                feats["extent"] = math.sqrt(float(np.median(wv * hv)))
    allowed = max(r.max_rms_px, r.max_rms_rel * max(size, feats.get("extent", 0.0)))
    feats["rms_allowed"] = allowed
    if fit.rms > allowed:
        reasons.append("erratic")
    if fit.inlier_frac < r.min_inlier_frac:
        reasons.append("outliers")
    k = min(r.tail_inliers, fit.n)
    if k and not np.all(fit.w[-k:] > 0):
        reasons.append("tail_off_track")
    if r.max_hop_sizes > 0:
        hop, hop_t = _largest_hop(fit)
        scale = max(size, feats.get("extent", 0.0), 1.0)
        feats["hop_sizes"] = hop / scale
        if hop > max(r.max_hop_sizes * scale, r.min_hop_px):
            feats["hop_t"] = hop_t
            reasons.append("hop")
    if floor_px is not None and floor_px > 0:
        feats["speed_floors"] = fit.speed / floor_px
        if fit.speed > r.max_speed_floors * floor_px:
            reasons.append("too_fast")
    # monotone descent after the apex
    tau = fit.t - fit.t0
    if a > 0:
        t_apex = -fit.vy / a
        after = tau[1:] > t_apex
    else:
        after = np.ones(len(tau) - 1, dtype=bool)
    dy = np.diff(fit.y)[after]
    desc = float(np.mean(dy > 0)) if len(dy) else 0.0
    feats["descent_frac"] = desc
    if desc < r.min_descent_frac:
        reasons.append("not_descending")
    # score
    sig = 1.0 - math.exp(-max(a / se, 0.0) / 6.0)
    fitq = math.exp(-((fit.rms / allowed) ** 2))
    if math.isfinite(g_ratio) and g_ratio > 0:
        gq = math.exp(-0.5 * (math.log(g_ratio) / 0.5) ** 2)
    else:
        gq = 0.7 if a > 0 else 0.0
    npts = min(1.0, fit.n / 10.0)
    q = (sig * fitq * gq * npts * desc) ** 0.25 if a > 0 else 0.0
    accepted = not reasons
    score = 0.5 + 0.5 * q if accepted else 0.5 * q
    return Verdict(accepted, float(min(max(score, 0.0), 1.0)), tuple(reasons), feats)


# -- back-tracing -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Origin:
    """Estimated release point of a falling object.

    Attributes
    ----------
    t : float
        Estimated release time (s, caller's clock).
    x, y : float
        Release point in image pixels.
    x_se, y_se : float
        Standard deviations of the release point (from the fit covariance).
    floor : int or None
        Floor number (``None`` without a facade).
    floor_value : float
        Continuous floor coordinate (see :meth:`Facade.floor_at`).
    floor_range : (int, int) or None
        Floors spanned by the 95 % interval of the release point.
    column : int or None
        0-based window column (``None`` when columns are not calibrated).
    method : str
        ``"first"`` (first observed point), ``"apex"`` (back to zero vertical velocity),
        ``"facade"`` (back to the facade outline) or ``"limit"`` (``max_back`` reached).
    """

    t: float
    x: float
    y: float
    x_se: float
    y_se: float
    floor: int | None
    floor_value: float
    floor_range: tuple[int, int] | None
    column: int | None
    method: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "t": self.t,
            "x": self.x,
            "y": self.y,
            "x_se": self.x_se,
            "y_se": self.y_se,
            "floor": self.floor,
            "floor_value": self.floor_value if math.isfinite(self.floor_value) else None,
            "floor_range": list(self.floor_range) if self.floor_range is not None else None,
            "column": self.column,
            "method": self.method,
        }


def plain_rms(t: Any, x: Any, y: Any, dup_eps: float = 1e-3) -> float:
    """RMS of the 2-D residuals of the plain least-squares fit of :func:`fit_track`'s model
    (no drag) to all samples (after :func:`dedupe_samples`); ``inf`` with too few samples.

    When every sample of :func:`fit_track` ends as an inlier, its final fit is this one, so
    ``plain_rms(...) > r`` tells without the robust iterations that no fit with all samples
    inliers has an RMS of at most ``r``.

    Runs in Rust (``anfang._core.plain_rms``; a busy scene calls it thousands of times a
    second); :func:`anfang.falling._reference.plain_rms` is its numpy reference. Raises
    ``ValueError`` for arrays of different lengths or non-finite values.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(8) / 25.0
    >>> y = 5 + 40 * t + 200 * t**2
    >>> round(plain_rms(t, 3 + 10 * t, y), 9), round(fit_track(t, 3 + 10 * t, y).rms, 9)
    (0.0, 0.0)
    """
    ta = np.ascontiguousarray(t, dtype=np.float64).ravel()
    xa = np.ascontiguousarray(x, dtype=np.float64).ravel()
    ya = np.ascontiguousarray(y, dtype=np.float64).ravel()
    if not (len(ta) == len(xa) == len(ya)):
        raise ValueError(f"t, x, y: expected arrays of one length, got {len(ta)}, {len(xa)} "
                         f"and {len(ya)}")
    if _core_plain_rms is not None:
        return float(_core_plain_rms(ta, xa, ya, float(dup_eps)))
    if not (np.isfinite(ta).all() and np.isfinite(xa).all() and np.isfinite(ya).all()):
        raise ValueError("t, x, y: expected finite values, got NaN or infinity")
    from anfang.falling._reference import plain_rms as ref

    return ref(ta, xa, ya, dup_eps)


def with_gravity(fit: TrackFit, g: float) -> TrackFit:
    """``fit`` with its vertical acceleration fixed at ``g`` (px/s², down positive): ``y0``
    and ``vy`` refitted by weighted least squares on the fit's samples with its robust
    weights. With the acceleration known, a back-extrapolation no longer carries the
    acceleration's error, which grows with the square of the time extrapolated.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(8) / 25.0
    >>> y = 100 + 20 * t + 0.5 * 400 * t**2 + np.array([0.3, -0.2, 0.1, -0.3, 0.2, 0, -0.1, 0.2])
    >>> f = with_gravity(fit_track(t, np.full(8, 5.0), y), 400.0)
    >>> round(float(f.py[1]), 1), float(f.py[2]), f.accel_se
    (20.0, 400.0, 0.0)
    """
    tau = np.asarray(fit.t, dtype=np.float64) - fit.t0
    w = np.asarray(fit.w, dtype=np.float64)
    if len(np.unique(tau[w > 0])) < 2:
        raise ValueError("fit: expected at least 2 samples at different times with a positive weight")
    A = _design(tau, 1)
    r = np.asarray(fit.y, dtype=np.float64) - 0.5 * g * tau * tau
    coef, Ninv = _wls(A, r, w)
    res = r - A @ coef
    dof = max(float(np.sum(w > 0)) - 2.0, 1.0)
    s2 = max(float(np.sum(w * res * res)) / dof, fit.sigma ** 2)
    cov = np.zeros((len(fit.py), len(fit.py)))
    cov[:2, :2] = s2 * Ninv
    py = np.zeros(len(fit.py))
    py[0], py[1], py[2] = coef[0], coef[1], g
    return replace(fit, py=py, cov_y=cov, accel=float(g), accel_se=0.0)


def _back_tau(vy: np.ndarray, a: np.ndarray, max_back: float) -> np.ndarray:
    """Relative release time: back to vy == 0 for an object already moving down, else 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        tb = np.where((a > 0) & (vy > 0), -vy / a, 0.0)
    return np.clip(tb, -max_back, 0.0)


def trace_origin(
    fit: TrackFit,
    facade: Any = None,
    *,
    max_back: float = 1.0,
    min_back: float = 0.0,
    n_samples: int = 200,
    seed: int = 0,
) -> Origin:
    """Extrapolate the fitted trajectory back to its release point.

    The release point is the first observed point or, for an object already moving down
    when first seen, the point further back along the fitted parabola where its vertical
    velocity was zero (a drop starts at rest), but never more than ``max_back`` seconds
    back and never beyond where the back-extrapolated path leaves the facade polygon.
    The floor range comes from ``n_samples`` draws of the fit parameters from their
    covariance (seeded: the answer is reproducible).

    Parameters
    ----------
    fit : TrackFit
    facade : Facade, optional
        Maps the release point to floor and column.
    max_back : float
        Longest back-extrapolation in seconds.
    min_back : float
        For an object still going up when first seen (method ``"first"``), extrapolate back
        this long anyway: a detector sees an object only some frames after it was released
        (e.g. two frame intervals for three-frame differencing). 0 keeps the first point.
    n_samples : int
        Monte Carlo draws for the floor range (0 disables it).
    seed : int
        Seed of those draws.
    """
    py, px = fit.py, fit.px
    tb = float(_back_tau(np.array(py[1]), np.array(py[2]), max_back))
    method = "first" if tb == 0.0 else ("limit" if tb <= -max_back else "apex")
    if method == "first" and min_back > 0:
        # moving up (tossed) when first seen: it left the hand at least min_back earlier
        tb = -min(min_back, max_back)
    if facade is not None and tb < 0:
        taus = np.linspace(0.0, tb, 33)
        pts = np.stack([_poly(px, taus), _poly(py, taus)], axis=-1)
        inside = np.asarray(facade.contains(pts), dtype=bool)
        if inside[0] and not inside.all():
            first_out = int(np.argmin(inside))
            tb = float(taus[first_out - 1])
            method = "facade"
    x0 = float(_poly(px, np.array(tb)))
    y0 = float(_poly(py, np.array(tb)))
    # Monte Carlo over the parameters
    xs = ys = None
    if n_samples > 0:
        rng = np.random.default_rng(seed)
        Py = rng.multivariate_normal(py, _psd(fit.cov_y), size=n_samples, method="eigh")
        Px = rng.multivariate_normal(px, _psd(fit.cov_x), size=n_samples, method="eigh")
        # the same back-tracing rule per draw (a draw may well say "already moving down")
        tbs = _back_tau(Py[:, 1], Py[:, 2], max_back)
        if min_back > 0:
            tbs = np.where(tbs == 0.0, -min(min_back, max_back), tbs)
        if method == "facade":
            tbs = np.maximum(tbs, tb)
        xs = _poly_rows(Px, tbs)
        ys = _poly_rows(Py, tbs)
        x_se = float(np.std(xs))
        y_se = float(np.std(ys))
    else:
        x_se = float(math.sqrt(max(fit.cov_x[0, 0], 0.0)))
        y_se = float(math.sqrt(max(fit.cov_y[0, 0], 0.0)))
    floor = column = None
    floor_value = float("nan")
    floor_range = None
    if facade is not None:
        floor_value = float(facade.floor_at(x0, y0))
        floor = int(math.floor(floor_value)) if math.isfinite(floor_value) else None
        if facade.has_columns:
            cv = float(facade.column_at(x0, y0))
            column = int(math.floor(cv)) if math.isfinite(cv) else None
        if xs is not None and floor is not None:
            fv = np.asarray(facade.floor_at(xs, ys), dtype=np.float64)
            fv = fv[np.isfinite(fv)]
            if len(fv):
                lo, hi = np.percentile(fv, [2.5, 97.5])
                floor_range = (min(int(math.floor(lo)), floor), max(int(math.floor(hi)), floor))
        elif floor is not None:
            floor_range = (floor, floor)
    return Origin(
        t=fit.t0 + tb,
        x=x0,
        y=y0,
        x_se=x_se,
        y_se=y_se,
        floor=floor,
        floor_value=floor_value,
        floor_range=floor_range,
        column=column,
        method=method,
    )


def _psd(c: np.ndarray) -> np.ndarray:
    c = 0.5 * (c + c.T)
    w, v = np.linalg.eigh(c)
    return (v * np.maximum(w, 0.0)) @ v.T


def _poly_rows(P: np.ndarray, tau: np.ndarray) -> np.ndarray:
    """Evaluate one polynomial per row of ``P`` at the matching ``tau``."""
    out = np.zeros(len(P))
    f = 1.0
    for k in range(P.shape[1]):
        if k:
            f *= k
        out += P[:, k] * tau**k / f
    return out
