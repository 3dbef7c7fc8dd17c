"""Street scenes: riders with and without helmets, lost packages, ghosts and loiterers.

Layout (fractions of the height): a shop-front wall at the top, a far pavement, a two-lane
road and a near pavement. Actors stand on a baseline (their feet / wheels) and are scaled
with the baseline's depth (``scale`` grows towards the bottom of the frame). Everything is
drawn with the vectorised primitives of :mod:`anfang.synth._render`; each actor is a few
ellipses and rectangles per frame.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import _render as R
from ._clip import Clip

HELMET_COLOURS = [(20, 20, 22), (235, 235, 232), (200, 30, 30), (30, 60, 170), (240, 200, 30),
                  (120, 120, 125), (20, 120, 60), (240, 120, 20)]
HAIR_COLOURS = [(25, 20, 18), (60, 40, 25), (110, 75, 40), (180, 150, 90), (90, 90, 90)]
SKIN_COLOURS = [(240, 200, 170), (210, 160, 120), (170, 120, 85), (120, 80, 55), (90, 60, 40)]
CLOTH = [(40, 40, 45), (200, 200, 205), (30, 70, 140), (150, 30, 40), (60, 110, 60),
         (210, 180, 60), (110, 80, 60), (80, 80, 140)]
CAR = [(180, 20, 20), (230, 230, 235), (20, 20, 25), (60, 90, 150), (140, 140, 145),
       (40, 100, 60), (220, 190, 60)]

LANES = {"far_pavement": 0.36, "far_lane": 0.52, "near_lane": 0.70, "near_pavement": 0.93}


def _scale(yb, H):
    return (0.35 + 0.85 * yb / H) * H / 360.0


def _col(rng, pal):
    c = np.asarray(pal[int(rng.integers(len(pal)))], np.float64)
    return [float(v) for v in np.clip(c + rng.normal(0, 8, 3), 0, 255)]


def _draw_head(img, cx, cy, r, look, helmet, hcol, skin, hair, shiny):
    """Head of radius ``r`` at (cx, cy); returns the head box."""
    if helmet:
        # shell: rounded, uniform, a bit larger than the head, covering the hair line
        b1 = R.ellipse(img, cx, cy + 0.05 * r, r * 1.0, r * 1.0, 0.0, skin)  # chin/face below
        b2 = R.ellipse(img, cx - 0.05 * r * look, cy - 0.12 * r, r * 1.22, r * 1.12, 0.0, hcol)
        # visor / face opening on the looking side
        R.ellipse(img, cx + 0.55 * r * look, cy + 0.25 * r, r * 0.45, r * 0.35, 0.0,
                  [v * 0.35 for v in hcol] if shiny else skin, 0.9)
        if shiny:
            R.ellipse(img, cx - 0.25 * r * look, cy - 0.62 * r, r * 0.38, r * 0.16, -0.4 * look,
                      (255, 255, 255), 0.85)
        return R.union(b1, b2)
    b1 = R.ellipse(img, cx, cy, r * 0.85, r, 0.0, skin)
    # hair: cap on top and back of the head, with an uneven fringe
    b2 = R.ellipse(img, cx - 0.2 * r * look, cy - 0.35 * r, r * 0.92, r * 0.72, 0.0, hair)
    R.ellipse(img, cx - 0.55 * r * look, cy - 0.05 * r, r * 0.4, r * 0.6, 0.0, hair)
    R.ellipse(img, cx + 0.45 * r * look, cy + 0.05 * r, r * 0.12, r * 0.12, 0.0,
              [v * 0.5 for v in skin], 0.8)  # eye
    return R.union(b1, b2)


class _Pedestrian:
    def __init__(self, rng, oid, H, lane, x_of_t, t0, t1, still=False):
        self.id, self.H, self.yb, self.x_of_t = oid, H, LANES[lane] * H, x_of_t
        self.t0, self.t1, self.still = t0, t1, still
        self.s = _scale(self.yb, H) * float(rng.uniform(0.85, 1.1))
        self.shirt, self.pants = _col(rng, CLOTH), _col(rng, CLOTH)
        self.skin, self.hair = _col(rng, SKIN_COLOURS), _col(rng, HAIR_COLOURS)
        self.step = float(rng.uniform(1.6, 2.2))
        self.carry = None

    def draw(self, img, tv):
        if not (self.t0 <= tv <= self.t1):
            return None
        x, moving = self.x_of_t(tv)
        s, yb = self.s, self.yb
        ph = math.sin(2 * math.pi * self.step * tv) if moving else 0.0
        look = 1.0 if moving >= 0 else -1.0
        leg = 38 * s
        b = [R.rect(img, x - 5 * s + ph * 5 * s, yb - leg, x - 0.5 * s + ph * 5 * s, yb, self.pants),
             R.rect(img, x + 0.5 * s - ph * 5 * s, yb - leg, x + 5 * s - ph * 5 * s, yb, self.pants),
             R.ellipse(img, x, yb - leg - 15 * s, 8 * s, 18 * s, 0.0, self.shirt)]
        hb = _draw_head(img, x, yb - leg - 38 * s, 6.5 * s, look, False, None, self.skin, self.hair, False)
        b.append(hb)
        if self.carry is not None:
            self.carry.hold_at(x + 9 * s * look, yb - leg - 8 * s)
        return {"box": R.union(*b)}


class _TwoWheeler:
    """A motorcycle / scooter with one or two riders."""

    def __init__(self, rng, ids, H, W, lane, direction, t0, speed, helmets, cargo=False):
        self.H, self.W = H, W
        self.yb = LANES[lane] * H + float(rng.uniform(-0.03, 0.03)) * H
        self.s = _scale(self.yb, H) * float(rng.uniform(0.9, 1.1))
        self.dir, self.t0, self.speed = direction, t0, speed
        self.body = _col(rng, CAR)
        self.ids = ids  # vehicle id, rider ids...
        self.riders = []
        for h in helmets:
            self.riders.append(dict(helmet=h, hcol=_col(rng, HELMET_COLOURS), shiny=bool(rng.random() < 0.7),
                                    skin=_col(rng, SKIN_COLOURS), hair=_col(rng, HAIR_COLOURS),
                                    shirt=_col(rng, CLOTH), rscale=float(rng.uniform(0.9, 1.12))))
        self.cargo = cargo
        self.x_start = -120 * self.s if direction > 0 else W + 120 * self.s

    def x(self, tv):
        return self.x_start + self.dir * self.speed * (tv - self.t0)

    def draw(self, img, tv):
        if tv < self.t0:
            return None
        x, yb, s, d = self.x(tv), self.yb, self.s, self.dir
        if x < -200 * s or x > self.W + 200 * s:
            return None
        wr = 11 * s
        out = {}
        parts = [R.ellipse(img, x - 24 * s * d, yb - wr, wr, wr, 0, (25, 25, 25)),
                 R.ellipse(img, x + 24 * s * d, yb - wr, wr, wr, 0, (25, 25, 25))]
        if self.cargo:
            parts.append(R.ellipse(img, x - 24 * s * d, yb - wr, wr, wr, 0, (25, 25, 25)))
            parts.append(R.rect(img, min(x + 8 * s * d, x + 40 * s * d), yb - 42 * s,
                                max(x + 8 * s * d, x + 40 * s * d), yb - 14 * s, (150, 110, 60)))
        parts.append(R.rect(img, x - 20 * s, yb - 24 * s, x + 20 * s, yb - 14 * s, self.body))
        parts.append(R.ellipse(img, x + 2 * s * d, yb - 26 * s, 14 * s, 6 * s, 0, self.body))
        out["vehicle"] = R.union(*parts)
        for k, rd in enumerate(self.riders):
            rs = s * rd["rscale"]
            rx = x - (4 + 16 * k) * s * d
            seat = yb - 28 * s
            R.rect(img, rx - 3 * rs, seat - 4 * rs, rx + 10 * rs * d if d > 0 else rx + 3 * rs,
                   seat + 12 * rs, (40, 40, 60))
            torso = R.ellipse(img, rx, seat - 16 * rs, 7 * rs, 17 * rs, 0.15 * d, rd["shirt"])
            hb = _draw_head(img, rx + 3 * rs * d, seat - 40 * rs, 6.5 * rs, d, rd["helmet"],
                            rd["hcol"], rd["skin"], rd["hair"], rd["shiny"])
            out[f"rider{k}"] = R.union(torso, hb, (rx - 3 * rs, seat - 4 * rs, rx + 3 * rs, seat + 12 * rs))
            out[f"head{k}"] = hb
        return out


class _Car:
    def __init__(self, rng, oid, H, W, lane, x_of_t):
        self.id, self.W = oid, W
        self.yb = LANES[lane] * H + float(rng.uniform(-0.02, 0.02)) * H
        self.s = _scale(self.yb, H)
        self.col = _col(rng, CAR)
        self.x_of_t = x_of_t

    def draw(self, img, tv):
        x = self.x_of_t(tv)
        if x is None:
            return None
        s, yb = self.s, self.yb
        L, Hh = 150 * s, 40 * s
        if x < -L or x > self.W + L:
            return None
        parts = [R.rect(img, x - L / 2, yb - Hh, x + L / 2, yb - 8 * s, self.col),
                 R.rect(img, x - L * 0.3, yb - Hh - 22 * s, x + L * 0.25, yb - Hh + 1, self.col),
                 R.rect(img, x - L * 0.26, yb - Hh - 18 * s, x + L * 0.21, yb - Hh - 2 * s, (50, 60, 70)),
                 R.ellipse(img, x - L * 0.32, yb - 10 * s, 10 * s, 10 * s, 0, (20, 20, 20)),
                 R.ellipse(img, x + L * 0.32, yb - 10 * s, 10 * s, 10 * s, 0, (20, 20, 20))]
        return {"box": R.union(*parts)}


class _Package:
    def __init__(self, rng, oid, s, W):
        self.id, self.s = oid, s
        self.w, self.h = 20 * s * float(rng.uniform(0.8, 1.3)), 15 * s * float(rng.uniform(0.8, 1.2))
        self.col = _col(rng, [(160, 115, 65), (190, 150, 90), (120, 85, 50)])
        self.pos = None  # centre-bottom
        self.visible = True

    def hold_at(self, x, y):
        self.pos = (x, y + self.h / 2)

    def draw(self, img, tv):
        if self.pos is None or not self.visible:
            return None
        x, yb = self.pos
        b = R.rect(img, x - self.w / 2, yb - self.h, x + self.w / 2, yb, self.col)
        R.rect(img, x - self.w / 2, yb - self.h * 0.6, x + self.w / 2, yb - self.h * 0.45, (200, 190, 150))
        return {"box": b}


def _background(rng, W, H):
    ys = (np.arange(H, dtype=np.float32) + 0.5)[:, None] / H
    xs = (np.arange(W, dtype=np.float32) + 0.5)[None, :] / W
    img = np.empty((H, W, 3), np.float32)
    walls = [(185, 170, 150), (150, 150, 155), (205, 195, 180), (170, 120, 100)]
    wall = np.array(walls[int(rng.integers(len(walls)))], np.float32) + float(rng.normal(0, 8))
    pave = np.array([165, 160, 150], np.float32)
    road = np.array([85, 85, 90], np.float32)
    y_wall, y_road0, y_road1 = 0.30, 0.40, 0.78
    img[:] = wall
    shop = (ys < y_wall) & (np.mod(xs * 5, 1.0) > 0.15) & (np.mod(xs * 5, 1.0) < 0.75) & (ys > 0.08)
    img[np.broadcast_to(shop, (H, W))] = np.array([70, 85, 100], np.float32)
    m = np.broadcast_to((ys >= y_wall) & (ys < y_road0), (H, W))
    img[m] = pave
    tiles = (np.mod(xs * 24, 1.0) < 0.04) | (np.mod(ys * 40, 1.0) < 0.06)
    img[np.broadcast_to((ys >= y_wall) & (ys < y_road0), (H, W)) & tiles] *= 0.9
    img[np.broadcast_to((ys >= y_road0) & (ys < y_road1), (H, W))] = road
    dash = (np.abs(ys - 0.61) < 0.006) & (np.mod(xs * 6, 1.0) < 0.5)
    img[np.broadcast_to(dash, (H, W))] = np.array([220, 220, 210], np.float32)
    img[np.broadcast_to((ys >= y_road1), (H, W))] = pave
    img[np.broadcast_to((ys >= y_road1) & (ys < y_road1 + 0.015), (H, W))] = np.array([200, 200, 195], np.float32)
    img[np.broadcast_to((ys >= y_road1) & tiles, (H, W))] *= 0.9
    tex = R.smooth_noise(rng, H, W, 6.0 * W / 640)
    img *= (0.94 + 0.12 * tex)[..., None]
    return img


LONG_REST_S = 36.0  # package clips this long leave the package 15-25 s


def street(
    seed: int = 0,
    size: tuple[int, int] = (640, 360),
    fps: float = 25.0,
    seconds: float = 12.0,
    *,
    kind: str = "mixed",
    n_riders: int | None = None,
    helmet_rate: float | None = None,
    n_pedestrians: int | None = None,
    n_cars: int | None = None,
    ghost: bool | None = None,
    loiterer: bool | None = None,
    noise: float = 2.0,
    light_drift: float | None = None,
    content_fps: float | None = None,
    drop_prob: float = 0.0,
) -> Clip:
    """Render an RGB street clip with exact ground truth.

    Parameters
    ----------
    seed, size, fps, seconds
        As in :func:`anfang.synth.facade`.
    kind : {"riders", "package", "mixed"}
        ``"riders"``: two-wheelers with riders (helmet or not) plus traffic; ``"package"``:
        a delivery tricycle drops a package that stays, later a pedestrian picks it up and
        leaves, a parked car drives away (a ghost for naive background models) and a person
        stands still; ``"mixed"``: both.
    n_riders : int
        Two-wheelers crossing (default 4-8 for riders clips, 1-3 otherwise).
    helmet_rate : float
        Probability that a rider wears a helmet (default random 0.3-0.9).
    ghost, loiterer : bool
        Parked car leaving / person standing still (default on for package clips).
        In a package clip of at least 36 s the package lands 2.7-5.2 s in and rests 15-25 s
        before the pickup; in shorter clips the drop and the pickup are placed at 15-30 % and
        50-60 % of the clip.
    noise : float
        Sensor noise sigma.
    light_drift : float
        Relative amplitude of the slow lighting drift (default 0.08).

    Examples
    --------
    >>> clip = street(seed=2, size=(320, 180), fps=10, seconds=3, kind="riders", n_riders=2)
    >>> clip.frames.shape
    (30, 180, 320, 3)
    >>> sorted({e["kind"] for e in clip.truth["events"]})
    ['rider']
    """
    if kind not in ("riders", "package", "mixed"):
        raise ValueError(f"kind: expected 'riders', 'package' or 'mixed', got {kind!r}")
    seed, W, H, fps, seconds = R.check_scene_args(seed, size, fps, seconds, min_side=32)
    ss = np.random.SeedSequence([int(seed), 0x57EE7])
    rg_bg, rg_time, rg, rg_noise = (np.random.default_rng(s) for s in ss.spawn(4))
    bg = _background(rg_bg, W, H)
    t, tc = R.timeline(rg_time, fps, seconds, content_fps, drop_prob)
    T = len(t)
    S = float(seconds)
    u = W / 640.0
    riders_on = kind in ("riders", "mixed")
    package_on = kind in ("package", "mixed")
    helmet_rate = float(rg.uniform(0.3, 0.9)) if helmet_rate is None else float(helmet_rate)
    ghost = package_on if ghost is None else bool(ghost)
    loiterer = package_on if loiterer is None else bool(loiterer)
    drift = 0.08 if light_drift is None else float(light_drift)

    objects: list[dict[str, Any]] = []
    actors: list[tuple[Any, dict]] = []  # (actor, {part -> obj})
    next_id = [1]

    def new_obj(kind_, **extra):
        o = {"id": next_id[0], "kind": kind_, "frames": []}
        o.update(extra)
        next_id[0] += 1
        objects.append(o)
        return o

    def walker(x0, v, t0):
        return lambda tv: (x0 + v * (tv - t0), v)

    # traffic: cars
    nc = int(rg.integers(1, 4)) if n_cars is None else int(n_cars)
    for _ in range(nc):
        lane = "far_lane" if rg.random() < 0.5 else "near_lane"
        d = 1 if rg.random() < 0.5 else -1
        v = float(rg.uniform(120, 260)) * u
        t0 = float(rg.uniform(-1, S * 0.8))
        x0 = -100 * u if d > 0 else W + 100 * u
        car = _Car(rg, 0, H, W, lane, (lambda x0, d, v, t0: lambda tv: x0 + d * v * (tv - t0))(x0, d, v, t0))
        o = new_obj("car")
        actors.append((car, {"box": o}))
    # pedestrians
    npd = int(rg.integers(1, 4)) if n_pedestrians is None else int(n_pedestrians)
    for _ in range(npd):
        lane = "far_pavement" if rg.random() < 0.5 else "near_pavement"
        d = 1 if rg.random() < 0.5 else -1
        v = float(rg.uniform(35, 70)) * u * d
        t0 = float(rg.uniform(-4, S * 0.8))
        x0 = -20 * u if d > 0 else W + 20 * u
        p = _Pedestrian(rg, 0, H, lane, walker(x0, v, t0), t0, t0 + (W + 60 * u) / abs(v))
        actors.append((p, {"box": new_obj("pedestrian")}))
    # two-wheelers with riders
    rider_units = []
    nr = (int(rg.integers(4, 9)) if riders_on else int(rg.integers(0, 2))) if n_riders is None else int(n_riders)
    for i in range(nr):
        lane = "far_lane" if rg.random() < 0.5 else "near_lane"
        d = 1 if rg.random() < 0.5 else -1
        speed = float(rg.uniform(110, 240)) * u
        cross = (W + 240 * u) / speed
        t0 = float(rg.uniform(-0.3 * cross, max(0.1, S - 0.7 * cross)))
        n_on = 2 if rg.random() < 0.25 else 1
        helmets = [bool(rg.random() < helmet_rate) for _ in range(n_on)]
        tw = _TwoWheeler(rg, None, H, W, lane, d, t0, speed, helmets)
        parts = {"vehicle": new_obj("two_wheeler")}
        for k in range(n_on):
            parts[f"rider{k}"] = new_obj("rider", helmet=helmets[k], vehicle_id=parts["vehicle"]["id"],
                                         head_frames=[])
            parts[f"head{k}"] = parts[f"rider{k}"]
        actors.append((tw, parts))
        rider_units.append((tw, parts))
    pkg_info = None
    if package_on:
        # the delivery tricycle rides the near lane and drops a package near the kerb
        d = 1 if rg.random() < 0.5 else -1
        speed = float(rg.uniform(70, 120)) * u
        # Clips of at least LONG_REST_S seconds leave the package on the ground 15-25 s (long
        # enough for a detector's default 10 s dwell); shorter clips scale the timing to fit.
        long_rest = S >= LONG_REST_S
        t_drop = float(rg.uniform(0.15, 0.3)) * (16.0 if long_rest else S)
        x_drop = float(rg.uniform(0.3, 0.7)) * W
        tri = _TwoWheeler(rg, None, H, W, "near_lane", d, 0.0, speed, [bool(rg.random() < 0.5)], cargo=True)
        tri.yb = LANES["near_lane"] * H
        tri.t0 = t_drop - (x_drop - tri.x_start) * d / speed
        parts = {"vehicle": new_obj("delivery_tricycle")}
        parts["rider0"] = new_obj("rider", helmet=tri.riders[0]["helmet"], vehicle_id=parts["vehicle"]["id"],
                                  head_frames=[])
        parts["head0"] = parts["rider0"]
        actors.append((tri, parts))
        rider_units.append((tri, parts))
        pk = _Package(rg, 0, tri.s, W)
        pobj = new_obj("package")
        rest_y = 0.765 * H
        x_rest = x_drop + d * 25 * tri.s  # lands just behind/beside the cargo box
        t_land = t_drop + 0.35
        f_pick = float(rg.uniform(0.5, 0.6))
        t_pick = t_land + 15.0 + 100.0 * (f_pick - 0.5) if long_rest else f_pick * S
        # the picker walks along the road edge to the package, picks it up and carries on
        # to the nearer image edge (so that it leaves the frame before the clip ends)
        pd = -1 if x_rest < W / 2 else 1
        pv = float(rg.uniform(70, 100)) * u
        x_in = -30 * u if pd > 0 else W + 30 * u
        t_arrive = t_pick - 0.8
        t_in = t_arrive - abs(x_rest - x_in) / pv
        t_leave = t_pick + 0.4
        x_exit = W + 40 * u if pd > 0 else -40 * u
        t_out = t_leave + abs(x_exit - x_rest) / pv

        def picker_x(tv, x_in=x_in, x_rest=x_rest, x_exit=x_exit):
            if tv < t_arrive:
                return x_in + (x_rest - x_in) * (tv - t_in) / (t_arrive - t_in), pd
            if tv < t_leave:
                return x_rest - pd * 6 * u, 0.0
            return x_rest + (x_exit - x_rest) * (tv - t_leave) / (t_out - t_leave), pd

        picker = _Pedestrian(rg, 0, H, "near_pavement", picker_x, t_in, t_out)
        picker.yb = rest_y + 0.05 * H
        pk_obj = pobj
        picker_obj = new_obj("pedestrian")

        class _PkgDriver:
            """Moves the package: on the cargo box, falling, resting, carried."""

            def draw(self, img, tv):
                if tv < t_drop:
                    x = tri.x(tv) + d * 24 * tri.s
                    pk.pos = (x, tri.yb - 42 * tri.s)
                elif tv < t_land:
                    f = (tv - t_drop) / (t_land - t_drop)
                    y0 = tri.yb - 42 * tri.s
                    x0 = tri.x(t_drop) + d * 24 * tri.s
                    pk.pos = (x0 + (x_rest - x0) * f, y0 + (rest_y - y0) * f * f)
                elif tv < t_pick:
                    pk.pos = (x_rest, rest_y)
                else:
                    picker.carry = pk
                    return None  # drawn by the picker's hold, then below
                return None

        actors.insert(0, (_PkgDriver(), {}))
        actors.append((picker, {"box": picker_obj}))
        actors.append((pk, {"box": pk_obj}))
        pkg_info = dict(t_drop=t_drop, t_land=t_land, t_pick=t_pick, t_out=t_out, pd=pd,
                        x_exit=x_exit, rest_y=rest_y, x_rest=x_rest, pk=pk_obj, picker=picker_obj,
                        dropper=parts["vehicle"], picker_actor=picker)
    if ghost:
        t_go = float(rg.uniform(0.3, 0.6)) * S
        dgo = 1 if rg.random() < 0.5 else -1
        x_park = float(rg.uniform(0.2, 0.8)) * W

        def park_x(tv, t_go=t_go, x_park=x_park, dgo=dgo):
            if tv < t_go:
                return x_park
            return x_park + dgo * 0.5 * 80 * u * (tv - t_go) ** 2
        car = _Car(rg, 0, H, W, "far_lane", park_x)
        car.yb = 0.45 * H
        car.s = _scale(car.yb, H)
        actors.append((car, {"box": new_obj("car", parked_until=t_go)}))
    if loiterer:
        xs_ = float(rg.uniform(0.1, 0.9)) * W
        p = _Pedestrian(rg, 0, H, "far_pavement", lambda tv, xs_=xs_: (xs_ + 1.5 * u * math.sin(tv), 0.0),
                        -1.0, S + 1)
        actors.append((p, {"box": new_obj("pedestrian", standing=True)}))

    # draw far (small baseline) first
    def depth(a):
        return getattr(a[0], "yb", 0.0) if not isinstance(a[0], _Package) else LANES["near_lane"] * H + 1
    order = sorted(range(len(actors)), key=lambda i: (depth(actors[i]), i))
    drift_ph = float(rg.uniform(0, 6.3))
    frames = np.empty((T, H, W, 3), np.uint8)
    for fi in range(T):
        tv = float(tc[fi])
        img = bg.copy()
        for i in order:
            actor, parts = actors[i]
            res = actor.draw(img, tv)
            if not res:
                continue
            for key, b in res.items():
                if b is None or key not in parts:
                    continue
                o = parts[key]
                row = [fi] + [round(float(v), 3) for v in b]
                if key.startswith("head"):
                    o["head_frames"].append(row)
                else:
                    o["frames"].append(row)
        gain = 1.0 + drift * math.sin(2 * math.pi * tv / max(S, 1.0) + drift_ph)
        if gain != 1.0:
            img *= np.float32(gain)
        if noise > 0:
            nz = rg_noise.standard_normal((H, W), dtype=np.float32)
            nz *= np.float32(noise)
            img += nz[..., None]
        R.to_uint8(img, out=frames[fi])

    events: list[dict[str, Any]] = []
    for tw, parts in rider_units:
        for k in range(len(tw.riders)):
            o = parts[f"rider{k}"]
            rows = o["frames"]
            if len(rows) < 2:
                continue
            f0, f1 = rows[0][0], rows[-1][0]
            mid = rows[len(rows) // 2]
            traj = [[r[0], float(t[r[0]]), round((r[1] + r[3]) / 2, 3), round((r[2] + r[4]) / 2, 3)] for r in rows]
            events.append({"kind": "rider", "t_start": float(t[f0]), "t_end": float(t[f1]),
                           "frame_start": f0, "frame_end": f1, "camera_id": "synth",
                           "bbox": mid[1:], "track_id": o["id"], "confidence": 1.0,
                           "helmet": bool(o["helmet"]), "vehicle_id": o["vehicle_id"],
                           "trajectory": traj})
    if pkg_info:
        pk = pkg_info["pk"]
        rows = {r[0]: r for r in pk["frames"]}
        land_f = next((i for i in range(T) if tc[i] >= pkg_info["t_land"]), None)
        pick_f = next((i for i in range(T) if tc[i] >= pkg_info["t_pick"]), None)
        picker = pkg_info["picker"]
        pr = picker["frames"]
        out_f = pr[-1][0] if pr else None
        rest_box = rows[land_f][1:] if land_f in rows else None
        dropper = pkg_info["dropper"]
        if land_f is not None and rest_box is not None:
            drow = dropper["frames"]
            d_exit = drow[-1] if drow else None
            end_f = (pick_f - 1) if pick_f is not None else T - 1
            events.append({"kind": "package_dropped", "t_start": float(t[land_f]), "t_end": float(t[end_f]),
                           "frame_start": land_f, "frame_end": end_f, "camera_id": "synth",
                           "bbox": rest_box, "track_id": pk["id"], "confidence": 1.0,
                           "dropper_id": dropper["id"],
                           "exit_point": ([round((d_exit[1] + d_exit[3]) / 2, 3), round(d_exit[4], 3)]
                                          if d_exit else None)})
            if pick_f is not None and out_f is not None and out_f >= pick_f:
                last = pr[-1]
                events.append({"kind": "package_picked_up", "t_start": float(t[pick_f]), "t_end": float(t[out_f]),
                               "frame_start": pick_f, "frame_end": out_f, "camera_id": "synth",
                               "bbox": rest_box, "track_id": pk["id"], "confidence": 1.0,
                               "picker_id": picker["id"],
                               "exit_point": [round((last[1] + last[3]) / 2, 3), round(last[4], 3)]})
    events.sort(key=lambda e: (e["frame_start"], e["kind"]))
    truth = {
        "version": 1, "scene": "street", "seed": int(seed), "size": [W, H], "fps": float(fps),
        "n_frames": int(T), "t": [float(v) for v in t],
        "calibration": {"lanes": {k: v * H for k, v in LANES.items()}, "road": [0.40 * H, 0.78 * H]},
        "conditions": {"kind": kind, "helmet_rate": helmet_rate, "ghost": ghost, "loiterer": loiterer,
                       "noise_sigma": noise, "light_drift": drift, "content_fps": content_fps,
                       "drop_prob": drop_prob, "color": True},
        "objects": [o for o in objects if o["frames"]],
        "events": events,
    }
    return Clip(frames=frames, t=t, truth=R.plain(truth))


def head_samples(clip, every: int = 1, pad: float = 0.15, min_size: float = 6.0,
                 inside_only: bool = True) -> list[dict[str, Any]]:
    """Rider head crops with their helmet label, for evaluating a helmet classifier.

    Parameters
    ----------
    clip : Clip
        A street clip.
    every : int
        Keep every n-th frame of each rider.
    pad : float
        Margin added around the head box, as a fraction of its size.
    min_size : float
        Skip heads whose box is smaller than this many pixels across.
    inside_only : bool
        Skip heads cut by the image border.

    Returns
    -------
    list of dict
        ``{"frame", "rider_id", "helmet", "box" (xyxy head box), "crop" (uint8 array)}``.

    Examples
    --------
    >>> from anfang.synth import street
    >>> clip = street(seed=1, size=(320, 180), fps=5, seconds=3, kind="riders", n_riders=2)
    >>> s = head_samples(clip)
    >>> all(x["crop"].ndim == 3 for x in s) and {type(x["helmet"]) for x in s} <= {bool}
    True
    """
    W, H = clip.truth["size"]
    out = []
    for o in clip.truth["objects"]:
        if o["kind"] != "rider":
            continue
        for k, (f, x0, y0, x1, y1) in enumerate(o.get("head_frames", [])):
            if k % max(1, int(every)):
                continue
            w, h = x1 - x0, y1 - y0
            if min(w, h) < min_size:
                continue
            if inside_only and (x0 <= 0 or y0 <= 0 or x1 >= W or y1 >= H):
                continue
            px, py = pad * w, pad * h
            j0, i0 = max(0, int(math.floor(x0 - px))), max(0, int(math.floor(y0 - py)))
            j1, i1 = min(W, int(math.ceil(x1 + px))), min(H, int(math.ceil(y1 + py)))
            out.append({"frame": int(f), "rider_id": int(o["id"]), "helmet": bool(o["helmet"]),
                        "box": [x0, y0, x1, y1], "crop": clip.frames[int(f)][i0:i1, j0:j1].copy()})
    return out
