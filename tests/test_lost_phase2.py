"""Pickers who stand still to lift a package, parcels dropped from a carrier, the scoring of
pickers, and the package timing of the street generator (long enough for the default dwell).

The scenes are drawn here: a textured grey road with sensor noise, dark boxes for people and
vehicles, a bright box for the package.
"""

from __future__ import annotations

import numpy as np

from anfang.lost import LostPackageDetector
from anfang.lost.detector import _came_down
from anfang.lost.evaluate import _carried, track_match

FPS = 25.0
H, W = 160, 240


def _road():
    yy, xx = np.mgrid[0:H, 0:W]
    return 100 + 6 * np.sin(xx / 7.0) * np.cos(yy / 9.0)


def _lerp(a, b, t0, t1, t):
    s = min(max((t - t0) / (t1 - t0), 0.0), 1.0)
    return a + s * (b - a)


def _run(det, frames, ts):
    ev = []
    for f, t in zip(frames, ts):
        ev += det.update(f, float(t))
    return ev + det.finish()


def _iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - ix * iy
    return ix * iy / u


def carrier_scene(seconds=12.0, seed=1):
    """A 44x20 carrier rides in from the left along the ground line y=130 with a 14x10
    parcel on a rack 20 px above it (a separate blob that travels with it: the same size all
    the way). At t=3 the parcel drops to the ground beside the carrier's rear (0.35 s fall)
    and stays; the carrier rides on and out on the right."""
    rng = np.random.default_rng(seed)
    road = _road()
    ts = np.arange(int(seconds * FPS)) / FPS
    frames = []
    rest = (96, 120, 110, 130)  # x0 y0 x1 y1 of the parcel on the ground
    for t in ts:
        img = road.copy()
        cx = -44 + 40 * t  # carrier left edge, 40 px/s
        x0 = int(round(cx))
        img[110:130, max(x0, 0):max(x0 + 44, 0)] = 40
        if t < 3.0:
            px, py = cx + 15, 80.0
        elif t < 3.35:
            a = (t - 3.0) / 0.35
            x_drop = 3.0 * 40 - 44 + 15  # where it was on the rack when it fell
            px, py = x_drop + a * (rest[0] - x_drop), 80.0 + a * a * (rest[1] - 80.0)
        else:
            px, py = rest[0], rest[1]
        ix, iy = int(round(px)), int(round(py))
        img[iy:iy + 10, max(ix, 0):max(ix + 14, 0)] = 185
        img = img + rng.normal(0, 1.5, img.shape)
        frames.append(np.clip(img, 0, 255).astype(np.uint8))
    return frames, ts, rest


def test_came_down_helper():
    h = 10.0
    walk = np.array([[x, 20, x + 10, 40] for x in range(0, 40, 4)] + [[40, 20, 50, 40]] * 5, float)
    assert not _came_down(walk, 10, h)  # the bottom edge stayed on the ground line
    fall = np.array([[x, 0, x + 10, 10] for x in range(0, 40, 4)] + [[40, 6, 50, 16], [40, 20, 50, 30],
                                                                    [40, 30, 50, 40]] + [[40, 30, 50, 40]] * 5, float)
    assert _came_down(fall, 13, h)  # rode 30 px above, then came down
    assert not _came_down(fall, 0, h) and not _came_down(fall[:0], 0, h)


def test_parcel_dropped_from_a_carrier_is_a_package():
    frames, ts, rest = carrier_scene()
    ev = _run(LostPackageDetector(dwell_s=4.0), frames, ts)
    drops = [e for e in ev if e.kind == "package_dropped"]
    assert len(drops) == 1, [(e.kind, e.bbox, e.details.get("reason")) for e in ev]
    assert _iou(drops[0].bbox, rest) > 0.5
    assert 2.5 <= drops[0].t_start <= 4.0


def picker_scene(seconds=16.0, seed=2):
    """A 14x10 parcel appears on the ground (feet line y=130) at t=1 (put there by nobody in
    view: the detector reports it all the same, without a dropper). The picker (12x30) walks in from the right at t=8,
    reaches it at t=10, stands still 2 s (it fades from the moving mask), lifts it at 11
    and walks off to the left edge with it by t=14.5. A 50x22 van drives left to right
    behind, its bottom at y=96, passing the spot while the picker leaves."""
    rng = np.random.default_rng(seed)
    road = _road()
    ts = np.arange(int(seconds * FPS)) / FPS
    frames = []
    pk = (120, 120, 134, 130)
    boxes = {}
    for i, t in enumerate(ts):
        img = road.copy()
        vx = -50 + 60 * (t - 10.0)  # van left edge
        if -50 < vx < W:
            img[74:96, max(int(vx), 0):max(int(vx) + 50, 0)] = 45
        if 1.0 <= t < 11.0:
            img[pk[1]:pk[3], pk[0]:pk[2]] = 185
        if t >= 8.0:
            if t < 10.0:
                px = _lerp(W, 136, 8.0, 10.0, t)
            elif t < 12.0:
                px = 136.0
            else:
                px = _lerp(136, -14, 12.0, 14.5, t)
            x0 = int(round(px))
            # only the legs show (the coat has the road's grey): its blobs are fragments
            img[116:130, max(x0, 0):max(x0 + 12, 0)] = 35
            img[100:116, max(x0, 0):max(x0 + 12, 0)] = 102
            if t >= 11.0:
                img[108:118, max(x0 - 14, 0):max(x0, 0)] = 185
            boxes[i] = (px, 100, px + 12, 130)
        img = img + rng.normal(0, 1.5, img.shape)
        frames.append(np.clip(img, 0, 255).astype(np.uint8))
    return frames, ts, boxes


def test_picker_standing_still_is_followed_not_the_van_behind():
    frames, ts, boxes = picker_scene()
    ev = _run(LostPackageDetector(dwell_s=3.0), frames, ts)
    picks = [e for e in ev if e.kind == "package_picked_up"]
    assert len(picks) == 1, [e.kind for e in ev]
    p = picks[0]
    # The followed path after the pickup stays on the picker's feet line and ends at the
    # left frame edge, where the picker left (the van went right).
    rows = [r for r in p["picker_boxes"] if r[0] * 1.0 / FPS > 12.1]
    assert rows, p["picker_boxes"]
    assert all(abs(r[4] - 130) <= 12 for r in rows), rows
    assert p["exit"] == "frame_edge" and p["exit_point"][0] == 0.0, (p["exit"], p["exit_point"])
    hit = [_iou(r[1:], boxes[r[0]]) for r in rows if r[0] in boxes]
    assert np.mean(hit) > 0.3


def test_carried_package_counts_as_the_picker():
    objects = [
        {"id": 1, "kind": "package", "frames": [[f, 10, 50, 20, 60] for f in range(0, 10)]
         + [[f, 20 - 2 * (f - 10), 40, 30 - 2 * (f - 10), 50] for f in range(10, 16)]},
        {"id": 2, "kind": "pedestrian", "frames": [[f, 30 - 2 * (f - 8), 20, 40 - 2 * (f - 8), 60]
                                                   for f in range(8, 16)]},
    ]
    events = [{"kind": "package_picked_up", "frame_start": 10, "track_id": 1, "picker_id": 2}]
    out = {o["id"]: o for o in _carried(objects, events)}
    assert [r[0] for r in out[1]["frames"]] == list(range(10))  # resting part only
    f12 = next(r for r in out[2]["frames"] if r[0] == 12)
    assert f12[1:] == [16, 20, 32, 60]  # union of picker (22..32) and package (16..26)
    assert objects[1]["frames"][4][1:] == [22, 20, 32, 60]  # the input is not changed
    # A follower that kept to the carried package is matched to the picker.
    fr = np.arange(10, 16)
    pk = np.array([[20 - 2 * (f - 10), 40, 30 - 2 * (f - 10), 50] for f in fr], float)
    assert track_match(fr, pk, objects)[0] == 1
    assert track_match(fr, pk, _carried(objects, events))[0] == 2


def test_ghost_band_reaches_the_edge_past_a_shadow_rim():
    from anfang.lost.geometry import boundary_edges

    bg = np.full((30, 30), 100, np.uint8)
    cur = bg.copy()
    cur[10:20, 10:20] = 180  # the object
    mask = np.zeros((30, 30), bool)
    mask[7:23, 7:23] = True  # static mask 3 px wider: a rim (its shadow) with no edge
    thin = boundary_edges(cur, bg, mask, width=1)
    wide = boundary_edges(cur, bg, mask, width=3)
    assert thin == (0.0, 0.0)  # the 1-px outline lies on flat ground in both
    assert wide[0] > 0 and wide[1] == 0.0  # the band reaches the object's edge
    # an exact object mask sees the edge with either width
    m2 = np.zeros((30, 30), bool)
    m2[10:20, 10:20] = True
    assert boundary_edges(cur, bg, m2, width=1)[0] > 0 and boundary_edges(cur, bg, m2, width=2)[0] > 0


def test_picker_path_box_joins_stacked_fragments_not_a_car_behind():
    det = LostPackageDetector()
    boxes = np.array([[10, 80, 20, 100],  # legs (followed)
                      [8, 40, 22, 70],  # torso above them
                      [0, 30, 100, 60],  # a car behind: much wider
                      [60, 40, 75, 100],  # another walker beside: no x overlap
                      [30, 90, 40, 100]], float)  # the object itself
    got = det._whole(boxes, 0, boxes[4], rh=20.0)
    assert got.tolist() == [8.0, 40.0, 22.0, 100.0]
    # too far above for the picker's height: not joined
    assert det._whole(boxes, 0, boxes[4], rh=10.0).tolist() == [10.0, 80.0, 20.0, 100.0]
    assert det._whole(boxes[:1], 0, boxes[4], rh=20.0).tolist() == [10.0, 80.0, 20.0, 100.0]
