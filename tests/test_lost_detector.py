"""Behaviour of LostPackageDetector on small generated street scenes with exact truth.

The scenes are drawn here (no external data): a grey road with a fixed texture and sensor
noise, pedestrians as dark rectangles, a package as a bright rectangle, a parked car.
"""

from __future__ import annotations

import numpy as np
import pytest

from anfang.events import ONVIF_TOPICS
from anfang.lost import LostConfig, LostPackageDetector, Zones

FPS = 25.0
H, W = 160, 240
PERSON = (12, 30)  # w, h
PACKAGE = (14, 10)


def _walk(p0, p1, t0, t1, t):
    """Linear position between p0 at t0 and p1 at t1 (clamped)."""
    a = min(max((t - t0) / (t1 - t0), 0.0), 1.0)
    return p0[0] + a * (p1[0] - p0[0]), p0[1] + a * (p1[1] - p0[1])


def scene(seconds=16.0, drop=True, pickup=True, stander=False, car_leaves=False, dropper_stays=False,
          seed=0, fps=FPS):
    """Frames, timestamps and truth of one street scene (positions are box top-left corners).

    - dropper: walks in from the left from t=0, reaches x=100 at t=2, stands 1 s, puts the
      package down at t=2.5 (at its feet, to its right), leaves to the right edge by t=6
      (or, with ``dropper_stays``, steps 22 px past the package and waits there);
    - picker: walks in from the right at t=9, reaches the package at t=11, stands 1 s,
      picks it up at t=11.5 and walks back out to the right edge by t=15;
    - stander: walks in from the left at t=1, stands still at x=40 from t=3 on;
    - car: a 60x28 car parked at (150, 20) from the start, drives off to the right at t=4.
    """
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W]
    road = 100 + 6 * np.sin(xx / 7.0) * np.cos(yy / 9.0)
    n = int(seconds * fps)
    ts = np.arange(n) / fps
    frames = []
    pkg_xy = (100 + PERSON[0] + 2, 100 + PERSON[1] - PACKAGE[1])  # at the dropper's feet
    truth = {"drop_t": 2.5 if drop else None, "pickup_t": 11.5 if (drop and pickup) else None,
             "package_box": (pkg_xy[0], pkg_xy[1], pkg_xy[0] + PACKAGE[0], pkg_xy[1] + PACKAGE[1])}
    boxes = {"dropper": [], "picker": [], "stander": [], "car": []}
    for t in ts:
        img = road.copy()
        if car_leaves:
            cx = 150 if t < 4 else 150 + 60 * (t - 4)
            if cx < W:
                img[20:48, int(cx):int(cx) + 60] = 160
                img[24:30, int(cx) + 6:int(cx) + 54] = 60  # windows: an edge-rich car
            boxes["car"].append((cx, 20, cx + 60, 48))
        # package on the ground
        on_ground = drop and t >= 2.5 and not (pickup and t >= 11.5)
        if on_ground:
            x, y = pkg_xy
            img[y:y + PACKAGE[1], x:x + PACKAGE[0]] = 180
        people = []
        if drop:
            if dropper_stays:  # steps aside and waits beside the package
                p = _walk((-PERSON[0], 100), (100, 100), 0, 2, t) if t < 3 else _walk((100, 100), (150, 100), 3, 4, t)
            else:
                p = _walk((-PERSON[0], 100), (100, 100), 0, 2, t) if t < 3 else _walk((100, 100), (W, 100), 3, 6, t)
            people.append(("dropper", p, t < 2.5))
        if drop and pickup and t >= 9:
            tgt = (pkg_xy[0] + PACKAGE[0] + 1, 100)
            p = _walk((W, 100), tgt, 9, 11, t) if t < 12 else _walk(tgt, (W + 30, 100), 12, 15, t)
            people.append(("picker", p, t >= 11.5))
        if stander and t >= 1:
            people.append(("stander", _walk((-PERSON[0], 60), (40, 60), 1, 3, t), False))
        for name, (px, py), carrying in people:
            x0, y0 = int(round(px)), int(round(py))
            img[max(y0, 0):max(y0 + PERSON[1], 0), max(x0, 0):max(x0 + PERSON[0], 0)] = 40
            if carrying:
                cx0 = x0 + PERSON[0] if name == "dropper" else x0 - PACKAGE[0]
                img[y0 + 8:y0 + 8 + PACKAGE[1], max(cx0, 0):max(cx0 + PACKAGE[0], 0)] = 180
            boxes[name].append((px, py, px + PERSON[0], py + PERSON[1]))
        img = img + rng.normal(0, 1.5, img.shape)
        frames.append(np.clip(img, 0, 255).astype(np.uint8))
    truth["boxes"] = boxes
    return frames, ts, truth


def run(det, frames, ts):
    ev = []
    for f, t in zip(frames, ts):
        ev += det.update(f, float(t))
    ev += det.finish()
    return ev


def _box_iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - ix * iy
    return ix * iy / u


CFG = dict(dwell_s=4.0)


def test_drop_then_pickup_chain():
    frames, ts, truth = scene()
    ev = run(LostPackageDetector(camera_id="cam-1", **CFG), frames, ts)
    kinds = [e.kind for e in ev]
    assert kinds == ["package_dropped", "package_picked_up"], kinds
    drop, pick = ev
    assert _box_iou(drop.bbox, truth["package_box"]) > 0.6
    assert drop.camera_id == "cam-1"
    assert drop["topic"] == ONVIF_TOPICS["package_dropped"] == "tns1:RuleEngine/ObjectAbandoned"
    # landed around 2.5 s (the dropper was over the spot from ~1.8 s), alarm after the dwell
    assert 1.5 <= drop.t_start <= 3.0
    assert drop["t_alarm"] >= drop.t_start + CFG["dwell_s"]
    assert drop["t_alarm"] < 2.5 + CFG["dwell_s"] + 3.0
    # The dropper walked away to the right: unattended, and its path goes left to right.
    assert drop["dropper_id"] is not None and drop["dropper_id"] >= 0
    assert drop["attended"] is False
    path = np.array(drop["dropper_trajectory"])
    assert path.shape[1] == 4 and path[0, 2] < 100 < path[-1, 2]  # rows: frame, t, x, y
    # Pickup: a different track, seen leaving at the right edge.
    assert pick["topic"] == ONVIF_TOPICS["package_picked_up"]
    assert pick["picker_id"] != drop["dropper_id"]
    assert 11.0 <= pick.t_start <= 13.5
    ex, ey = pick["exit_point"]
    assert ex == W and 100 <= ey <= 130 and pick["exit"] == "frame_edge"
    ppath = np.array(pick["picker_trajectory"])
    assert ppath[-1, 2] > ppath[0, 2]  # moved right, towards the exit
    assert _box_iou(pick.bbox, truth["package_box"]) > 0.6


def test_attended_when_dropper_stays():
    frames, ts, _ = scene(seconds=10, pickup=False, dropper_stays=True)
    ev = run(LostPackageDetector(**CFG), frames, ts)
    drops = [e for e in ev if e.kind == "package_dropped"]
    assert len(drops) == 1 and drops[0]["attended"] is True


def test_one_alarm_per_object_and_no_absorption():
    # The package stays 40 s: far longer than the long-term model needs to absorb it unheld.
    frames, ts, _ = scene(seconds=40, pickup=False)
    det = LostPackageDetector(**CFG)
    ev = run(det, frames, ts)
    assert [e.kind for e in ev] == ["package_dropped"]
    states = [o["state"] for o in det.objects()]
    assert states.count("confirmed") == 1


def test_removed_without_anyone_around():
    frames, ts, truth = scene(seconds=14, pickup=False)
    # The package vanishes at t=10 s with nobody near: removed, not picked up.
    x0, y0, x1, y1 = truth["package_box"]
    bg = scene(seconds=0.04, drop=False, pickup=False)[0][0]
    for i, t in enumerate(ts):
        if t >= 10:
            frames[i][y0:y1, x0:x1] = bg[y0:y1, x0:x1]
    ev = run(LostPackageDetector(**CFG), frames, ts)
    assert [e.kind for e in ev] == ["package_dropped", "package_removed"]
    rem = ev[1]
    assert rem["topic"] == ONVIF_TOPICS["package_removed"] and rem.track_id is None
    assert 10.0 <= rem.t_start <= 11.0


def test_no_alarm_from_standing_person_or_leaving_car():
    frames, ts, _ = scene(seconds=16, drop=False, stander=True, car_leaves=True)
    det = LostPackageDetector(**CFG)
    ev = run(det, frames, ts)
    assert ev == []


def test_ignore_zone_suppresses():
    frames, ts, truth = scene(seconds=10, pickup=False)
    x0, y0, x1, y1 = truth["package_box"]
    z = Zones(ignore=[[(x0 - 5, y0 - 5), (x1 + 5, y0 - 5), (x1 + 5, y1 + 5), (x0 - 5, y1 + 5)]])
    assert run(LostPackageDetector(zones=z, **CFG), frames, ts) == []


def test_reset_and_rerun_give_the_same_events():
    frames, ts, _ = scene(seconds=10, pickup=False)
    det = LostPackageDetector(**CFG)
    a = run(det, frames, ts)
    det.reset()
    b = run(det, frames, ts)
    assert a == b and len(a) == 1


def test_strided_processing_maps_boxes_back():
    frames, ts, truth = scene(seconds=10, pickup=False)
    big = [np.repeat(np.repeat(f, 2, 0), 2, 1) for f in frames]
    det = LostPackageDetector(scale=2, **CFG)
    ev = run(det, big, ts)
    assert det.scale == 2
    assert [e.kind for e in ev] == ["package_dropped"]
    tb = [2 * v for v in truth["package_box"]]
    assert _box_iou(ev[0].bbox, tb) > 0.5


def test_constructor_arguments(tmp_path):
    p = tmp_path / "z.json"
    p.write_text('{"watch": [[[0, 0], [10, 0], [10, 10]]]}')
    det = LostPackageDetector(zones=str(p), dwell_s=7)
    assert det.config.dwell_s == 7.0 and len(det.zones.watch) == 1
    assert LostPackageDetector(config=LostConfig(dwell_s=3)).config.dwell_s == 3.0
    with pytest.raises(ValueError, match="dwell_s"):
        LostPackageDetector(dwell_s=0)
    with pytest.raises(TypeError, match="zones"):
        LostPackageDetector(zones=5)
    with pytest.raises(ValueError, match="bogus"):
        LostPackageDetector(bogus=1)


def test_bad_frames_are_named():
    det = LostPackageDetector()
    det.update(np.zeros((20, 30), np.uint8), 0.0)
    with pytest.raises(ValueError, match="frame"):
        det.update(np.zeros((21, 30), np.uint8), 0.1)
    with pytest.raises(TypeError, match="frame"):
        det.update(np.zeros((20, 30), np.float32), 0.2)
    with pytest.raises(ValueError, match="t"):
        det.update(np.zeros((20, 30), np.uint8), -1.0)


def test_fragmented_bag_is_one_object():
    # A bag whose static mask comes in three pieces (dark straps split it): one alarm, one
    # box around all pieces.
    rng = np.random.default_rng(3)
    frames, ts = [], []
    for i in range(160):
        f = np.full((120, 160), 100.0) + rng.normal(0, 1.5, (120, 160))
        if i >= 10:
            for x0 in (60, 70, 80):
                f[50:66, x0:x0 + 7] = 170
        frames.append(np.clip(f, 0, 255).astype(np.uint8))
        ts.append(i / FPS)
    ev = run(LostPackageDetector(dwell_s=3.0), frames, ts)
    assert [e.kind for e in ev] == ["package_dropped"]
    assert _box_iou(ev[0].bbox, (60, 50, 87, 66)) > 0.8
