"""Facade scenes: objects falling from a building, with realistic distractors.

Geometry
--------
World coordinates in metres: ``X`` along the facade (0 at its left edge), ``Y`` up (0 at the
ground), ``Z`` out of the facade towards the camera (the facade is the plane ``Z = 0``).
A pinhole camera stands ``D`` metres in front of the facade at eye height, tilted up by
``tilt`` degrees (30-60). Floor ``k`` spans ``Y`` in ``[3k, 3k+3)`` (``floor_height``),
column ``c`` spans ``X`` in ``[c*w, (c+1)*w)``. The homography from facade-plane
``(column, floor)`` coordinates to image pixels is in ``truth["calibration"]``.

Falls are integrated in metres with gravity and quadratic air drag,
``dv/dt = g - k |v| v`` with ``g = (0, -9.81, 0)``, using RK4 steps of at most 2 ms, and
projected through the camera; the truth trajectory is the projected centre at every frame.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from . import _render as R
from ._clip import Clip

G = 9.81
FLOOR_HEIGHT = 3.0

#: Falling-object types: name -> (drag k range in 1/m, typical colours).
FALL_TYPES = {
    "bottle": (0.004, 0.015),
    "flowerpot": (0.002, 0.008),
    "phone": (0.003, 0.010),
    "cigarette": (0.05, 0.15),
    "bag": (0.15, 0.5),
    "paper": (0.4, 1.2),
    "shoe": (0.01, 0.03),
}

DISTRACTORS = ("birds", "leaves", "rain", "insects", "clouds", "branches", "light", "shake")
#: distractors that must be asked for by name (or with ``glare=True``): not part of "default"
#: or "all", so the standard suite (version 1) renders as it did before they existed
EXTRA_DISTRACTORS = ("glare",)


def _rk4(state, k, t_from, t_to, dt_max=0.002):
    """Integrate ``[x, y, z, vx, vy, vz]`` under gravity + quadratic drag from t_from to t_to."""
    def deriv(s):
        v = s[3:]
        sp = math.sqrt(v[0] ** 2 + v[1] ** 2 + v[2] ** 2)
        a = (-k * sp * v[0], -G - k * sp * v[1], -k * sp * v[2])
        return np.array([v[0], v[1], v[2], a[0], a[1], a[2]])

    span = t_to - t_from
    if span <= 0:
        return state
    n = max(1, int(math.ceil(span / dt_max)))
    h = span / n
    s = state
    for _ in range(n):
        k1 = deriv(s)
        k2 = deriv(s + 0.5 * h * k1)
        k3 = deriv(s + 0.5 * h * k2)
        k4 = deriv(s + h * k3)
        s = s + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    return s


class _Camera:
    def __init__(self, W, H, tilt_deg, dist, cam_x, cam_y=1.6, focal=None):
        self.W, self.H = W, H
        th = math.radians(tilt_deg)
        f = focal if focal else 0.9 * W
        self.K = np.array([[f, 0, W / 2.0], [0, f, H / 2.0], [0, 0, 1.0]])
        self.R = np.array(
            [[1.0, 0, 0], [0, -math.cos(th), -math.sin(th)], [0, math.sin(th), -math.cos(th)]]
        )
        self.C = np.array([cam_x, cam_y, dist])
        self.P = self.K @ np.hstack([self.R, (-self.R @ self.C)[:, None]])
        # facade plane Z=0: (X, Y, 1) -> pixels
        self.Hm = self.P[:, [0, 1, 3]]
        self.f = f

    def project(self, X, Y, Z):
        p = self.P @ np.array([X, Y, Z, 1.0])
        return p[0] / p[2], p[1] / p[2]

    def depth(self, X, Y, Z):
        return float((self.R @ (np.array([X, Y, Z]) - self.C))[2])


def _to_plane(Hinv, px, py):
    """Pixel coordinates to facade-plane metres by the inverse homography: ``(X, Y, den)``
    (``den > 0`` in front of the camera)."""
    den = Hinv[2, 0] * px + Hinv[2, 1] * py + Hinv[2, 2]
    X = (Hinv[0, 0] * px + Hinv[0, 1] * py + Hinv[0, 2]) / den
    Y = (Hinv[1, 0] * px + Hinv[1, 1] * py + Hinv[1, 2]) / den
    return X, Y, den


def _glare_sources(rng, cam, geo, cells, night, seconds):
    """Reflections and lights that move or flash on the facade (distractor ``"glare"``).

    By day: a window catching the sun (``"glint"``: its pane brightens to near white and
    back over 0.3-2.5 s, with a halo of blooming around it) or the sun's reflection from a
    window being opened across the street (``"sweep"``: a bright spot that speeds up from
    rest and slows down again along a straight line in any direction, downwards included).
    At night: a car's headlights passing below (``"headlights"``: a large soft patch
    crossing the lower part of the view). Sweeps and headlights are light falling on the
    facade (:func:`_illuminate`: the texture under them stays); a glint replaces the pane.
    """
    W, H = cam.W, cam.H
    cw = geo["col_width"]
    s = W / 640.0
    out = []
    for _ in range(int(rng.integers(1, 4))):
        t0 = float(rng.uniform(-0.5, seconds))
        if night:
            left = rng.random() < 0.5
            v = float(rng.uniform(100, 400)) * s
            sig = float(rng.uniform(25, 60)) * s
            out.append(dict(mode="headlights", t0=t0, x0=-3 * sig if left else W + 3 * sig,
                            vx=v if left else -v, y=float(rng.uniform(0.6, 0.95)) * H, sigma=sig,
                            gain=float(rng.uniform(0.3, 1.0))))
            continue
        if not cells:
            continue
        fl, c = cells[int(rng.integers(len(cells)))]
        if rng.random() < 2.0 / 3.0:
            X0, X1 = (c + 0.25) * cw, (c + 0.75) * cw
            Y0, Y1 = (fl + 0.3) * FLOOR_HEIGHT, (fl + 0.85) * FLOOR_HEIGHT
            quad = np.array([cam.project(X, Y, 0.0) for X, Y in ((X0, Y0), (X1, Y0), (X1, Y1), (X0, Y1))])
            out.append(dict(mode="glint", t0=t0, dur=float(rng.uniform(0.3, 2.5)),
                            peak=float(rng.uniform(0.5, 1.0)), quad=quad,
                            win=(X0, Y0, X1, Y1), Hinv=np.linalg.inv(cam.Hm)))
        else:
            x0, y0 = cam.project((c + 0.5) * cw, fl * FLOOR_HEIGHT + 1.6, 0.0)
            ang = float(rng.uniform(0, 2 * math.pi))
            out.append(dict(mode="sweep", t0=t0, dur=float(rng.uniform(0.5, 2.0)), x0=x0, y0=y0,
                            ux=math.cos(ang), uy=math.sin(ang), vmax=float(rng.uniform(60, 300)) * s,
                            sigma=float(rng.uniform(2, 6)) * s, gain=float(rng.uniform(0.5, 3.0))))
    return out


def _paint_glare(img, gl, tv, wall):
    """Paint one glare source (see :func:`_glare_sources`) at content time ``tv``; its box.
    ``wall``: 1 on the facade, 0 on the sky (light falls on the facade only)."""
    H, W = img.shape[:2]
    tau = tv - gl["t0"]
    if gl["mode"] == "headlights":
        x = gl["x0"] + gl["vx"] * tau
        if tau < 0 or x < -3 * gl["sigma"] - 1 or x > W + 3 * gl["sigma"] + 1:
            return None
        return _illuminate(img, x, gl["y"], gl["sigma"], gl["gain"], wall)
    if not 0 <= tau <= gl["dur"]:
        return None
    u = tau / gl["dur"]
    if gl["mode"] == "glint":
        a = gl["peak"] * math.sin(math.pi * u) ** 2
        q = gl["quad"]
        p = R._patch(img.shape, q[:, 0].min(), q[:, 1].min(), q[:, 0].max() + 1, q[:, 1].max() + 1)
        if p is None or a <= 0:
            return None
        i0, i1, j0, j1 = p
        px = np.arange(j0, j1, dtype=np.float64)[None, :] + 0.5
        py = np.arange(i0, i1, dtype=np.float64)[:, None] + 0.5
        X, Y, _ = _to_plane(gl["Hinv"], px, py)
        X0, Y0, X1, Y1 = gl["win"]
        pane = ((X > X0) & (X < X1) & (Y > Y0) & (Y < Y1)).astype(np.float32)
        R._paint(img, i0, i1, j0, j1, pane, 250.0, a)
        cx, cy = float(q[:, 0].mean()), float(q[:, 1].mean())
        halo = R.blob(img, cx, cy, 0.6 * max(np.ptp(q[:, 0]), np.ptp(q[:, 1]), 1.0), 255.0, 0.4 * a)
        return R.union((float(q[:, 0].min()), float(q[:, 1].min()), float(q[:, 0].max()),
                        float(q[:, 1].max())), halo)
    # sweep: speeds up, then slows down (a window swung open); fades in and out
    d = gl["vmax"] * gl["dur"] / math.pi * (1.0 - math.cos(math.pi * u))
    a = min(1.0, 5.0 * u, 5.0 * (1.0 - u))
    if a <= 0:
        return None
    return _illuminate(img, gl["x0"] + gl["ux"] * d, gl["y0"] + gl["uy"] * d, gl["sigma"],
                       gl["gain"] * a, wall)


def _illuminate(img, cx, cy, sigma, gain, wall, extent=3.0):
    """Light falling on the facade: multiply by ``1 + gain * exp(-r^2 / 2 sigma^2)`` where
    ``wall`` is 1 (the texture under a light stays, brightened; it saturates in the frame's
    8 bits). Returns the box."""
    gs = R.gaussian(img.shape, cx, cy, sigma, extent) if gain > 0 else None
    if gs is None:
        return None
    (i0, i1, j0, j1), w, box = gs
    m = 1.0 + np.float32(gain) * w * wall[i0:i1, j0:j1]
    region = img[i0:i1, j0:j1]
    region *= m[..., None] if img.ndim == 3 else m
    return R._clip_box(img.shape, *box)


def _facade_background(cam, geo, rng, night, color):
    """Static background (facade + sky), RGB float32, 2x2 supersampled."""
    W, H = cam.W, cam.H
    ss = 2
    off = (np.arange(ss) + 0.5) / ss
    xs = (np.arange(W)[:, None] + off[None, :]).reshape(-1)
    ys = (np.arange(H)[:, None] + off[None, :]).reshape(-1)
    Hinv = np.linalg.inv(cam.Hm)
    px = xs[None, :]
    py = ys[:, None]
    X, Y, den = _to_plane(Hinv, px, py)
    cw, nf, nc = geo["col_width"], geo["floors"], geo["columns"]
    on = (den > 0) & (X >= 0) & (X < cw * nc) & (Y >= 0) & (Y < nf * FLOOR_HEIGHT)
    col = np.floor(X / cw)
    flo = np.floor(Y / FLOOR_HEIGHT)
    fx = X / cw - col
    fy = Y / FLOOR_HEIGHT - flo
    # sky: vertical gradient (float32, in-place masked writes: this runs on 4x the pixels)
    g = np.broadcast_to((ys / H).astype(np.float32)[:, None], on.shape)
    if night:
        lo, span = np.array([12, 14, 24], np.float32), np.array([10, 12, 14], np.float32)
    else:
        lo, span = np.array([120, 160, 215], np.float32), np.array([70, 55, 25], np.float32)
    img = lo + g[..., None] * span
    wall_rgb = np.array(geo["wall_rgb"], np.float32) * (0.25 if night else 1.0)
    shade = (1.0 + 0.06 * np.sin(flo[on] * 1.7 + col[on] * 0.3)).astype(np.float32)
    img[on] = wall_rgb * shade[:, None]
    # floor slab lines
    slab = on & (fy < 0.05)
    img[slab] *= 0.75
    # windows
    win = on & (fx > 0.25) & (fx < 0.75) & (fy > 0.3) & (fy < 0.85)
    h = np.sin(col[win] * 12.9898 + flo[win] * 78.233) * 43758.5453
    hash01 = h - np.floor(h)
    if night:
        lit = hash01 > 0.6
        img[win] = np.where(lit[:, None], np.array([230.0, 210, 150], np.float32),
                            np.array([10.0, 12, 16], np.float32))
    else:
        refl = (0.5 + 0.5 * (fy[win] - 0.3) / 0.55).astype(np.float32)[:, None]
        img[win] = np.array([50, 65, 85], np.float32) + refl * np.array([40, 45, 50], np.float32)
    # balconies on some (column, floor) cells
    h2 = np.sin(col * 39.346 + flo * 11.135) * 24634.6345
    has_bal = on & ((h2 - np.floor(h2)) < geo["balcony_rate"]) & (flo >= 1)
    band = has_bal & (fx > 0.1) & (fx < 0.9)
    bal_slab = band & (fy < 0.09)
    rail_band = band & (fy >= 0.09) & (fy < 0.38)
    bars = rail_band & ((np.mod(X * 8.0, 1.0) < 0.25) | (fy > 0.34))
    k_bal = 0.35 if night else 1.0
    img[bal_slab] = np.array([225.0, 222, 215], np.float32) * k_bal
    img[bars] = np.array([60.0, 60, 62], np.float32) * k_bal
    # parapet at the roof
    roof = on & (Y > nf * FLOOR_HEIGHT - 0.6)
    img[roof] *= 0.7
    img = img.reshape(H, ss, W, ss, 3).mean(axis=(1, 3)).astype(np.float32)
    sky_mask = (~on).reshape(H, ss, W, ss).mean(axis=(1, 3)).astype(np.float32)
    if not color:
        img = (0.299 * img[..., 0] + 0.587 * img[..., 1] + 0.114 * img[..., 2]).astype(np.float32)
    return img, sky_mask


VISIBLE_PX = 2
VISIBLE_FRAC = 0.8


def _visibility(vis: dict) -> dict:
    """How visible a fall is, from its noise-free signal per distinct content frame.

    ``frames``: content frames with the object in view; ``visible_frac``: the share of them
    in which at least :data:`VISIBLE_PX` pixels differ from the scene by more than three noise
    sigmas (before compression); ``snr_median``: the median over those frames of the
    matched-filter signal-to-noise ratio (root of the summed squared signal over sigma);
    ``visible``: ``visible_frac >= VISIBLE_FRAC``, the objects a per-pixel detector can be
    expected to find."""
    if not vis:
        return {"frames": 0, "visible_frac": 0.0, "snr_median": 0.0, "visible": False}
    n3 = np.array([v[0] for v in vis.values()])
    e = np.array([v[1] for v in vis.values()])
    frac = float(np.mean(n3 >= VISIBLE_PX))
    return {"frames": int(len(n3)), "visible_frac": round(frac, 4),
            "snr_median": round(float(np.median(e)), 3), "visible": bool(frac >= VISIBLE_FRAC)}


def _pick(rng, value, lo, hi):
    return float(value) if value is not None else float(rng.uniform(lo, hi))


def facade(
    seed: int = 0,
    size: tuple[int, int] = (640, 360),
    fps: float = 25.0,
    seconds: float = 10.0,
    *,
    falls: int | Sequence[dict] = 1,
    distractors: str | Sequence[str] = "default",
    tilt: float | None = None,
    night: bool | None = None,
    noise: float | None = None,
    shake: float | None = None,
    content_fps: float | None = None,
    drop_prob: float = 0.0,
    block_q: float = 0.0,
    n_birds: int | None = None,
    n_leaves: int | None = None,
    n_insects: int | None = None,
    color: bool = False,
    shutter: float = 0.5,
    glare: bool = False,
) -> Clip:
    """Render a facade clip with exact ground truth.

    Parameters
    ----------
    seed : int
        Everything random derives from it; the same arguments give byte-identical frames.
    size : (W, H)
        Frame size in pixels.
    fps, seconds : float
        Container frame rate and duration.
    falls : int or list of dict
        Number of falling objects, or one dict per fall with any of ``floor``, ``column``,
        ``size_px`` (2-40), ``contrast`` (0.05-1), ``type`` (see :data:`FALL_TYPES`),
        ``drag_k`` (1/m), ``t_release`` (s), ``v0`` (m/s, ``[vx, vy, vz]``), ``polarity``
        (``-1`` dark, ``+1`` bright).
    distractors : "default", "all", "none" or a list of names from :data:`DISTRACTORS`
        and :data:`EXTRA_DISTRACTORS`
        ``"default"`` picks a random subset of :data:`DISTRACTORS`; ``"all"`` turns each of
        them on. ``"glare"`` (see :func:`_glare_sources`) is on only when named or with
        ``glare=True``.
    tilt : float
        Camera tilt up in degrees (random in 30-60 if None).
    night : bool
        Night scene (dark, lit windows, more noise). Random (25 %) if None.
    noise : float
        Sensor noise sigma in grey levels (day 1.5-3, night 4-8 if None).
    shake : float
        Camera shake amplitude in px (0 = none; used only when ``"shake"`` is among the
        distractors if None).
    content_fps : float
        Scene rate below ``fps`` repeats frames (e.g. 10 in a 30 fps container).
    drop_prob : float
        Probability that a frame is dropped (a gap in ``t``).
    block_q : float
        8x8 block quantisation step (0 = off; 6-16 looks like strong compression).
    color : bool
        RGB frames instead of grey.
    shutter : float
        Exposure as a fraction of the frame interval (motion blur of falling objects along
        their path; 0 = none). Truth boxes cover the whole streak.
    glare : bool
        Add the ``"glare"`` distractor to the others: glints on window panes and sun
        reflections swept over the wall by day, headlights at night. It draws from a random
        stream of its own: the rest of the clip is the one rendered without it.

    Returns
    -------
    Clip

    Examples
    --------
    >>> clip = facade(seed=1, size=(160, 90), fps=10, seconds=2, distractors="none")
    >>> clip.frames.shape, clip.frames.dtype
    ((20, 90, 160), dtype('uint8'))
    >>> [e["kind"] for e in clip.truth["events"]]
    ['falling_object']
    """
    seed, W, H, fps, seconds = R.check_scene_args(seed, size, fps, seconds, min_side=16)
    ss = np.random.SeedSequence([int(seed), 0xFACADE])
    rg_geo, rg_time, rg_fall, rg_dis, rg_noise, rg_shake, rg_glare = (
        np.random.default_rng(s) for s in ss.spawn(7)
    )
    if distractors == "default":
        pool = [d for d in DISTRACTORS]
        on = {d for d in pool if rg_dis.random() < 0.45}
        on |= {"birds"} if rg_dis.random() < 0.6 else set()
    elif distractors == "all":
        on = set(DISTRACTORS)
    elif distractors in ("none", None):
        on = set()
    else:
        on = set(distractors)
        bad = on - set(DISTRACTORS) - set(EXTRA_DISTRACTORS)
        if bad:
            raise ValueError(f"distractors: unknown names {sorted(bad)}; expected names from "
                             f"{DISTRACTORS + EXTRA_DISTRACTORS}")
    if not isinstance(glare, (bool, np.bool_)):
        raise TypeError(f"glare: expected a bool, got {type(glare).__name__} {glare!r}")
    if glare:
        on.add("glare")
    night = bool(rg_geo.random() < 0.25) if night is None else bool(night)
    tilt = _pick(rg_geo, tilt, 30, 60)
    if not 0 < tilt < 89:
        raise ValueError(f"tilt: expected degrees in (0, 89), got {tilt}")
    dist = float(rg_geo.uniform(16, 30))
    focal = 0.9 * W
    vhalf = math.degrees(math.atan(H / 2.0 / focal))
    el_top = math.radians(tilt + float(rg_geo.uniform(0.35, 0.7)) * vhalf)
    floors = max(3, int(round((1.6 + dist * math.tan(el_top)) / FLOOR_HEIGHT)))
    col_w = float(rg_geo.uniform(2.8, 4.0))
    th = math.radians(tilt)
    z_top = math.sin(th) * (floors * FLOOR_HEIGHT - 1.6) + math.cos(th) * dist
    frac = float(rg_geo.uniform(0.45, 0.7))
    columns = max(3, int(round(frac * W * z_top / focal / col_w)))
    cam_x = columns * col_w / 2 + float(rg_geo.uniform(-0.15, 0.15)) * columns * col_w
    cam = _Camera(W, H, tilt, dist, cam_x, 1.6, focal)
    geo = {
        "col_width": col_w,
        "floors": floors,
        "columns": columns,
        "wall_rgb": [float(v) for v in rg_geo.uniform([150, 140, 120], [215, 205, 195])],
        "balcony_rate": float(rg_geo.uniform(0.15, 0.5)),
    }
    bg, sky_mask = _facade_background(cam, geo, rg_geo, night, color)

    t, tc = R.timeline(rg_time, fps, seconds, content_fps, drop_prob)
    T = len(t)
    sigma = _pick(rg_noise, noise, 4, 8) if night else _pick(rg_noise, noise, 1.5, 3)
    shake_amp = float(shake) if shake is not None else (
        float(rg_dis.choice([0.3, 1.0, 2.5, 5.0])) if "shake" in on else 0.0)

    # visible floor range / window cells inside the image
    def cell_px(floor, col):
        return cam.project((col + 0.5) * col_w, floor * FLOOR_HEIGHT + 1.2, 0.0)

    cells = [
        (fl, c)
        for fl in range(floors)
        for c in range(columns)
        if 0.08 * W < cell_px(fl, c)[0] < 0.92 * W and 0.05 * H < cell_px(fl, c)[1] < 0.75 * H
    ]
    xc = columns * col_w / 2
    vis = [fl for fl in range(floors)
           if cam.project(xc, (fl + 1) * FLOOR_HEIGHT, 0.0)[1] < H
           and cam.project(xc, fl * FLOOR_HEIGHT, 0.0)[1] > 0]
    lowest = min(vis) if vis else 0

    objects: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    next_id = [1]

    def new_obj(kind, **extra):
        o = {"id": next_id[0], "kind": kind, "frames": []}
        o.update(extra)
        next_id[0] += 1
        objects.append(o)
        return o

    # ---------------- falls: simulate in metres, sample at content times
    fall_specs = [dict() for _ in range(falls)] if isinstance(falls, int) else [dict(s) for s in falls]
    falls_sim = []
    for spec in fall_specs:
        if not cells and ("floor" not in spec or "column" not in spec):
            break
        fl, c = cells[int(rg_fall.integers(len(cells)))] if ("floor" not in spec or "column" not in spec) else (0, 0)
        fl = int(spec.get("floor", fl))
        c = int(spec.get("column", c))
        typ = spec.get("type") or str(rg_fall.choice(sorted(FALL_TYPES)))
        if typ not in FALL_TYPES:
            raise ValueError(f"falls: unknown type {typ!r}; expected one of {sorted(FALL_TYPES)}")
        klo, khi = FALL_TYPES[typ]
        k = float(spec.get("drag_k", math.exp(rg_fall.uniform(math.log(klo), math.log(khi)))))
        size_px = float(spec.get("size_px", math.exp(rg_fall.uniform(math.log(2.0), math.log(40.0)))))
        contrast = float(spec.get("contrast", rg_fall.uniform(0.15, 1.0)))
        polarity = int(spec.get("polarity", -1 if rg_fall.random() < 0.7 else 1))
        thrown = rg_fall.random() < 0.4
        v0 = spec.get("v0")
        if v0 is None:
            v0 = [float(rg_fall.uniform(-2.5, 2.5)), float(rg_fall.uniform(0, 2.5)),
                  float(rg_fall.uniform(0.5, 3))] if thrown else [
                  float(rg_fall.uniform(-0.3, 0.3)), 0.0, float(rg_fall.uniform(0.1, 0.8))]
        v0 = [float(v) for v in v0]
        t_max = max(0.2, seconds - 2.5)
        t_rel = float(spec.get("t_release", rg_fall.uniform(0.5, max(0.6, t_max))))
        p0 = [(c + 0.5) * col_w, fl * FLOOR_HEIGHT + 1.2, 0.35]
        aspect = float(rg_fall.uniform(0.3, 1.0))
        omega = float(rg_fall.uniform(2, 15)) * (1 if rg_fall.random() < 0.5 else -1)
        phase = float(rg_fall.uniform(0, 2 * math.pi))
        grey = 25.0 if polarity < 0 else 235.0
        rgb = [grey, grey, grey] if polarity > 0 else [float(v) for v in rg_fall.uniform(10, 90, 3)]
        # sample the state at every distinct content time >= t_rel
        states = {}
        s = np.array(p0 + v0, dtype=np.float64)
        t_prev = t_rel
        landed = False
        for tv in np.unique(tc):
            if tv < t_rel or landed:
                continue
            s = _rk4(s, k, t_prev, float(tv))
            t_prev = float(tv)
            if s[1] <= 0:
                landed = True
                continue
            states[float(tv)] = s.copy()
        obj = new_obj("falling_object", type=typ, size_px=size_px, contrast=contrast)
        falls_sim.append(dict(obj=obj, states=states, size=size_px, aspect=aspect, omega=omega,
                              phase=phase, contrast=contrast, rgb=rgb, floor=fl, column=c, vis={},
                              k=k, p0=p0, v0=v0, t_rel=t_rel, typ=typ))

    # ---------------- distractor objects (pixel-space paths)
    def rnd_n(flag, n, lo, hi):
        if n is not None:
            return int(n)
        return int(rg_dis.integers(lo, hi + 1)) if flag in on else 0

    birds = []
    for _ in range(rnd_n("birds", n_birds, 1, 4)):
        mode = str(rg_dis.choice(["flapping", "gliding", "rising", "horizontal"]))
        sz = float(rg_dis.uniform(5, 18))
        t0 = float(rg_dis.uniform(-1, seconds * 0.7))
        left = rg_dis.random() < 0.5
        vx = float(rg_dis.uniform(40, 160)) * (1 if left else -1) * W / 640
        x0 = -sz * 2 if left else W + sz * 2
        y0 = float(rg_dis.uniform(0.05, 0.7)) * H
        vy = {"flapping": rg_dis.uniform(-15, 15), "gliding": rg_dis.uniform(10, 40),
              "rising": rg_dis.uniform(-60, -20), "horizontal": 0.0}[mode]
        birds.append(dict(obj=new_obj("bird", mode=mode), sz=sz, t0=t0, x0=x0, y0=y0, vx=vx,
                          vy=float(vy), flap=float(rg_dis.uniform(4, 9)),
                          flaps=mode != "gliding", g=float(rg_dis.uniform(20, 45))))
    leaves = []
    for _ in range(rnd_n("leaves", n_leaves, 1, 5)):
        leaves.append(dict(obj=new_obj("leaf"), sz=float(rg_dis.uniform(3, 8)),
                           t0=float(rg_dis.uniform(-2, seconds * 0.8)),
                           x0=float(rg_dis.uniform(0, W)), y0=float(rg_dis.uniform(-0.1, 0.4)) * H,
                           vy=float(rg_dis.uniform(12, 40)) * H / 360,
                           amp=float(rg_dis.uniform(5, 30)), fr=float(rg_dis.uniform(0.3, 1.2)),
                           rgb=[float(v) for v in rg_dis.uniform([90, 60, 20], [170, 130, 60])]))
    insects = []
    for _ in range(rnd_n("insects", n_insects, 1, 2)):
        dur = float(rg_dis.uniform(1.5, 5))
        t0 = float(rg_dis.uniform(0, max(0.1, seconds - dur)))
        n = max(2, int(dur * 8) + 2)
        path = np.cumsum(rg_dis.normal(0, 0.12 * min(W, H), (n, 2)), axis=0)
        path += np.array([rg_dis.uniform(0.2, 0.8) * W, rg_dis.uniform(0.2, 0.8) * H])
        insects.append(dict(obj=new_obj("insect"), t0=t0, dur=dur, path=path,
                            sigma=float(rg_dis.uniform(5, 18)) * W / 640,
                            val=230.0 if night else float(rg_dis.uniform(20, 80)),
                            alpha=float(rg_dis.uniform(0.3, 0.8))))
    branches = []
    if "branches" in on:
        side = -1 if rg_dis.random() < 0.5 else 1
        base_x = 0.0 if side < 0 else float(W)
        nb = int(rg_dis.integers(6, 14))
        obj = new_obj("branch")
        for _ in range(nb):
            branches.append(dict(
                x=base_x - side * float(rg_dis.uniform(0, 0.18)) * W,
                y=float(rg_dis.uniform(0.3, 1.0)) * H,
                a=float(rg_dis.uniform(0.03, 0.08)) * W, b=float(rg_dis.uniform(0.02, 0.05)) * W,
                ang=float(rg_dis.uniform(0, math.pi)), amp=float(rg_dis.uniform(1, 6)),
                fr=float(rg_dis.uniform(0.2, 0.8)), ph=float(rg_dis.uniform(0, 6.3)),
                val=float(rg_dis.uniform(20, 60)) if not night else 8.0))
        branch_obj = obj
    clouds = None
    if "clouds" in on and not night:
        clouds = R.smooth_noise(rg_dis, H, 2 * W, float(rg_dis.uniform(40, 120)) * W / 640)
        cloud_speed = float(rg_dis.uniform(3, 15)) * W / 640
        cloud_k = float(rg_dis.uniform(25, 60))
    light_steps = []
    if "light" in on:
        for _ in range(int(rg_dis.integers(1, 3))):
            light_steps.append((float(rg_dis.uniform(0.05, 0.95)) * seconds,
                                float(rg_dis.uniform(0.6, 1.4))))
        light_steps.sort()
    glares = _glare_sources(rg_glare, cam, geo, cells, night, seconds) if "glare" in on else []
    wall = (1.0 - sky_mask).astype(np.float32) if glares else None
    for gl in glares:
        gl["obj"] = new_obj("glare", mode=gl["mode"])
    rain = "rain" in on
    rain_n = int(rg_dis.integers(40, 200) * W * H / (640 * 360)) if rain else 0
    rain_slant = float(rg_dis.uniform(-0.3, 0.3))
    shake_phase = rg_shake.uniform(0, 6.3, 4)
    shake_fr = rg_shake.uniform(0.5, 4, 2)

    frames = np.empty((T, H, W, 3) if color else (T, H, W), np.uint8)
    shakes = []
    for fi in range(T):
        tv = float(tc[fi])
        img = bg.copy()
        if clouds is not None:
            off = int(tv * cloud_speed) % W
            cl = clouds[:, off:off + W]
            add = cloud_k * cl * sky_mask
            img += add[..., None] if color else add
        boxes = []  # (obj, box)
        vis_now = []  # (fall, content time, its signal patch) to measure once the gain is known
        for fs in falls_sim:
            st = fs["states"].get(tv)
            if st is None:
                continue
            x, y = cam.project(st[0], st[1], st[2])
            ang = fs["phase"] + fs["omega"] * (tv - fs["t_rel"])
            a = fs["size"] / 2.0
            alpha = fs["contrast"] * (0.7 + 0.3 * math.cos(2 * ang))
            bb = a * fs["aspect"]
            if shutter > 0:
                # motion blur: the exposure is centred on the frame time; positions along it
                # from the velocity (a straight line over a few milliseconds)
                half = 0.5 * shutter / fps
                xa, ya = cam.project(*(st[:3] - st[3:] * half))
                xb, yb = cam.project(*(st[:3] + st[3:] * half))
                n = int(min(8, max(1, math.ceil(math.hypot(xb - xa, yb - ya) / max(a, 0.5)))))
            else:
                n, xa, ya, xb, yb = 1, x, y, x, y
            # the painted patch before and after: the object's exact signal (visibility)
            pb = R._patch(img.shape, min(xa, xb, x) - a - 2, min(ya, yb, y) - a - 2,
                          max(xa, xb, x) + a + 2, max(ya, yb, y) + a + 2)
            before = img[pb[0]:pb[1], pb[2]:pb[3]].copy() if pb is not None else None
            if n == 1:
                b = R.ellipse(img, x, y, a, max(0.5, bb), ang, fs["rgb"], alpha)
            else:
                parts = []
                for k in range(n):
                    f_ = k / (n - 1)
                    parts.append(R.ellipse(img, xa + (xb - xa) * f_, ya + (yb - ya) * f_, a,
                                           max(0.5, bb), ang, fs["rgb"], alpha * 1.6 / n))
                b = R.union(*parts)
            if b is not None:
                boxes.append((fs["obj"], b, (x, y)))
                if before is not None and tv not in fs["vis"]:
                    d = img[pb[0]:pb[1], pb[2]:pb[3]] - before
                    vis_now.append((fs, tv, d.mean(axis=2) if d.ndim == 3 else d))
        for bd in birds:
            dt_ = tv - bd["t0"]
            x = bd["x0"] + bd["vx"] * dt_
            y = bd["y0"] + bd["vy"] * dt_ + (3 * math.sin(2 * math.pi * 0.7 * dt_) if bd["flaps"] else 0)
            if dt_ < 0 or x < -50 or x > W + 50:
                continue
            s = bd["sz"]
            flap = math.sin(2 * math.pi * bd["flap"] * dt_) if bd["flaps"] else 0.2
            b1 = R.ellipse(img, x, y, s * 0.35, s * 0.14, 0.0, bd["g"], 1.0)
            wy = y - flap * s * 0.3
            b2 = R.ellipse(img, x - s * 0.28, wy, s * 0.3, s * 0.07, -0.6 * flap, bd["g"], 1.0)
            b3 = R.ellipse(img, x + s * 0.28, wy, s * 0.3, s * 0.07, 0.6 * flap, bd["g"], 1.0)
            b = R.union(b1, b2, b3)
            if b is not None:
                boxes.append((bd["obj"], b, None))
        for lf in leaves:
            dt_ = tv - lf["t0"]
            if dt_ < 0:
                continue
            x = lf["x0"] + lf["amp"] * math.sin(2 * math.pi * lf["fr"] * dt_)
            y = lf["y0"] + lf["vy"] * dt_
            ang = 3 * math.sin(2 * math.pi * lf["fr"] * dt_)
            b = R.ellipse(img, x, y, lf["sz"] / 2, lf["sz"] / 4, ang, lf["rgb"], 0.9)
            if b is not None:
                boxes.append((lf["obj"], b, None))
        if branches:
            bb = []
            for br in branches:
                dx = br["amp"] * math.sin(2 * math.pi * br["fr"] * tv + br["ph"])
                bb.append(R.ellipse(img, br["x"] + dx, br["y"], br["a"], br["b"], br["ang"],
                                    br["val"], 0.95))
            b = R.union(*bb)
            if b is not None:
                boxes.append((branch_obj, b, None))
        for gl in glares:
            b = _paint_glare(img, gl, tv, wall)
            if b is not None:
                boxes.append((gl["obj"], b, None))
        if rain_n:
            rr = np.random.default_rng([int(seed), 7, int(round(tv * 1000))])
            n = rain_n
            L = 12
            xs0 = rr.uniform(0, W, n)
            ys0 = rr.uniform(-L, H, n)
            s_ = np.linspace(0, 1, L)
            px = (xs0[:, None] + rain_slant * L * s_[None, :]).astype(np.intp).ravel()
            py = (ys0[:, None] + L * s_[None, :]).astype(np.intp).ravel()
            ok = (px >= 0) & (px < W) & (py >= 0) & (py < H)
            if color:
                img[py[ok], px[ok]] += 18.0
            else:
                np.add.at(img, (py[ok], px[ok]), 18.0)
        for ins in insects:
            dt_ = tv - ins["t0"]
            if dt_ < 0 or dt_ > ins["dur"]:
                continue
            u = dt_ * 8
            i0 = int(u)
            fr_ = u - i0
            p = ins["path"][i0] * (1 - fr_) + ins["path"][min(i0 + 1, len(ins["path"]) - 1)] * fr_
            b = R.blob(img, float(p[0]), float(p[1]), ins["sigma"], ins["val"], ins["alpha"])
            if b is not None:
                boxes.append((ins["obj"], b, None))
        gain = 1.0
        for ts, gval in light_steps:
            if tv >= ts:
                gain *= gval
        if gain != 1.0:
            img *= gain
        for fs, tv_, d in vis_now:
            # per distinct content frame: pixels whose signal exceeds three noise sigmas
            # (one grey level without noise), and the matched-filter SNR of the whole object
            d = d * gain
            lim = max(3.0 * sigma, 1.0)
            fs["vis"][tv_] = (int((np.abs(d) > lim).sum()),
                              float(np.sqrt((d.astype(np.float64) ** 2).sum())) / max(sigma, 1e-9))
        dx = dy = 0.0
        if shake_amp > 0:
            dx = shake_amp * (0.7 * math.sin(2 * math.pi * shake_fr[0] * tv + shake_phase[0])
                              + 0.3 * math.sin(2 * math.pi * 7.3 * tv + shake_phase[1]))
            dy = shake_amp * (0.7 * math.sin(2 * math.pi * shake_fr[1] * tv + shake_phase[2])
                              + 0.3 * math.sin(2 * math.pi * 5.1 * tv + shake_phase[3]))
            img = R.shift(img, dx, dy)
        shakes.append([round(dx, 4), round(dy, 4)])
        if sigma > 0:
            nz = rg_noise.standard_normal(img.shape[:2], dtype=np.float32) * sigma
            img += nz[..., None] if color else nz
        if block_q > 0:
            img = R.block_quantise(img, block_q)
        R.to_uint8(img, out=frames[fi])
        for obj, b, centre in boxes:
            sb = R._clip_box((H, W), b[0] + dx, b[1] + dy, b[2] + dx, b[3] + dy)
            if sb is None:
                continue
            obj["frames"].append([fi] + [round(v, 3) for v in sb])
            if centre is not None:
                obj.setdefault("_centres", []).append([fi, float(t[fi]), centre[0] + dx, centre[1] + dy])

    # ---------------- events
    for fs in falls_sim:
        o = fs["obj"]
        rows = o["frames"]
        cen = o.pop("_centres", [])
        if len(rows) < 2:
            continue
        f0, f1 = rows[0][0], rows[-1][0]
        box = [min(r[1] for r in rows), min(r[2] for r in rows), max(r[3] for r in rows), max(r[4] for r in rows)]
        ox, oy = cam.project(fs["p0"][0], fs["p0"][1], 0.0)  # the window point on the facade
        samples = sorted((tv, *[float(v) for v in st[:3]]) for tv, st in fs["states"].items())
        a = fs["size"] / 2
        events.append({
            "kind": "falling_object",
            "t_start": float(t[f0]), "t_end": float(t[f1]),
            "frame_start": int(f0), "frame_end": int(f1),
            "camera_id": "synth", "bbox": [round(float(v), 3) for v in box],
            "track_id": o["id"], "confidence": 1.0,
            "origin": {"floor": fs["floor"], "column": fs["column"], "x": round(float(ox), 3),
                       "y": round(float(oy), 3)},
            "size_px": round(fs["size"], 3),
            "area_px": round(math.pi * a * max(0.5, a * fs["aspect"]), 3),
            "contrast": round(fs["contrast"], 4),
            "object_type": fs["typ"],
            "t_release": fs["t_rel"],
            "visibility": _visibility(fs["vis"]),
            "trajectory": [[r[0], r[1], round(float(r[2]), 3), round(float(r[3]), 3)] for r in cen],
            "physics": {"g": G, "drag_k": fs["k"], "p0": fs["p0"], "v0": fs["v0"],
                        "samples": [[round(v, 6) for v in s_] for s_ in samples]},
        })

    Hcf = cam.Hm @ np.diag([col_w, FLOOR_HEIGHT, 1.0])
    Hcf = Hcf / Hcf[2, 2]
    floor_lines = []
    for fl in range(floors + 1):
        x0, y0 = cam.project(0.0, fl * FLOOR_HEIGHT, 0.0)
        x1, y1 = cam.project(columns * col_w, fl * FLOOR_HEIGHT, 0.0)
        floor_lines.append({"floor": fl, "p0": [round(x0, 3), round(y0, 3)], "p1": [round(x1, 3), round(y1, 3)]})
    truth = {
        "version": 1,
        "scene": "facade",
        "seed": int(seed),
        "size": [W, H],
        "fps": float(fps),
        "n_frames": int(T),
        "t": [float(v) for v in t],
        "calibration": {
            "homography": [[float(v) for v in row] for row in Hcf],
            "homography_units": "(column, floor) -> pixel; column c spans [c, c+1), floor k spans [k, k+1)",
            "floors": floors, "columns": columns, "lowest_floor": lowest,
            "floor_height_m": FLOOR_HEIGHT, "column_width_m": col_w,
            "floor_lines": floor_lines,
            "camera": {"K": cam.K.tolist(), "R": cam.R.tolist(), "C": cam.C.tolist(),
                       "tilt_deg": tilt, "distance_m": dist},
        },
        "conditions": {
            "night": night, "noise_sigma": sigma, "distractors": sorted(on),
            "shake_px": shake_amp, "content_fps": content_fps, "drop_prob": drop_prob,
            "block_q": block_q, "shutter": shutter, "rain": rain, "clouds": clouds is not None,
            "light_steps": [[a_, b_] for a_, b_ in light_steps], "color": color,
        },
        "shake": shakes,
        "objects": [o for o in objects if o["frames"]],
        "events": events,
    }
    return Clip(frames=frames, t=t, truth=R.plain(truth))
