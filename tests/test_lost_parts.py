"""Parts of the lost-package detector that need no video: config, zones, box and patch helpers."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anfang.lost.config import LostConfig
from anfang.lost.geometry import box_cover, box_gap, box_iou, boundary_edges, patch_mad
from anfang.lost.zones import Zones


# -- config -------------------------------------------------------------------------------
def test_config_defaults_and_json(tmp_path):
    p = tmp_path / "lost.json"
    p.write_text(json.dumps({"dwell_s": 4, "attended_factor": 3.0, "track_motion": "ca"}))
    cfg = LostConfig.load(p)
    assert cfg.dwell_s == 4.0 and isinstance(cfg.dwell_s, float)
    assert cfg.attended_factor == 3.0 and cfg.track_motion == "ca"
    assert LostConfig.from_dict(cfg.to_dict()) == cfg
    assert LostConfig().dwell_s == 10.0


@pytest.mark.parametrize(
    "kw, exc, word",
    [
        ({"dwell_s": 0}, ValueError, "dwell_s"),
        ({"dwell_s": float("nan")}, ValueError, "dwell_s"),
        ({"dwell_s": "10"}, TypeError, "dwell_s"),
        ({"scale": 1.5}, ValueError, "scale"),
        ({"track_motion": "kalman"}, ValueError, "track_motion"),
        ({"min_object_px": 500, "max_object_px": 100}, ValueError, "max_object_px"),
        ({"static_frames": True}, TypeError, "static_frames"),
    ],
)
def test_config_rejects_bad_values(kw, exc, word):
    with pytest.raises(exc, match=word):
        LostConfig(**kw)


def test_config_unknown_key_is_named():
    with pytest.raises(ValueError, match="dwel_s"):
        LostConfig.from_dict({"dwel_s": 3})


# -- zones --------------------------------------------------------------------------------
def test_zones_rectangles_match_slices(tmp_path):
    p = tmp_path / "z.json"
    p.write_text(json.dumps({"watch": [[[10, 5], [40, 5], [40, 30], [10, 30]]],
                             "ignore": [[[20, 10], [30, 10], [30, 20], [20, 20]]]}))
    z = Zones.load(p)
    m = z.mask((50, 60))
    ref = np.zeros((50, 60), bool)
    ref[5:31, 10:41] = True  # pixel centres on the outline are inside
    ref[10:21, 20:31] = False
    np.testing.assert_array_equal(m, ref)
    assert z.mask((50, 60)) is m  # rasterised once per size


def test_zones_scaled_mask_samples_full_resolution():
    z = Zones(watch=[[(0, 0), (39, 0), (39, 19), (0, 19)]])
    full = z.mask((40, 80), 1)
    half = z.mask((20, 40), 2)
    np.testing.assert_array_equal(half, full[::2, ::2])


def test_zones_empty_and_errors():
    assert Zones().mask((4, 4)) is None
    assert Zones.from_dict({}).empty
    with pytest.raises(ValueError, match="watch\\[0\\]"):
        Zones(watch=[[(0, 0), (1, 1)]])
    with pytest.raises(ValueError, match="unknown keys"):
        Zones.from_dict({"watc": []})
    with pytest.raises(TypeError, match="ignore"):
        Zones(ignore="nope")


# -- boxes --------------------------------------------------------------------------------
def _raster(b, size=24):
    m = np.zeros((size, size), bool)
    m[b[1]:b[3], b[0]:b[2]] = True
    return m


int_box = st.tuples(st.integers(0, 20), st.integers(0, 20), st.integers(0, 4), st.integers(0, 4)).map(
    lambda v: (v[0], v[1], v[0] + v[2], v[1] + v[3])
)


@settings(max_examples=60, deadline=None)
@given(st.lists(int_box, min_size=0, max_size=4), st.lists(int_box, min_size=1, max_size=4))
def test_box_iou_and_cover_match_rasterised_oracle(a, b):
    A = np.array(a, float).reshape(-1, 4)
    B = np.array(b, float).reshape(-1, 4)
    iou = box_iou(A, B)
    assert iou.shape == (len(a), len(b))
    for i, ba in enumerate(a):
        ma = _raster(ba)
        for j, bb in enumerate(b):
            mb = _raster(bb)
            u = (ma | mb).sum()
            expect = (ma & mb).sum() / u if u else 0.0
            assert iou[i, j] == pytest.approx(expect)
        if ma.any():
            cov = box_cover(A[i], B)
            for j, bb in enumerate(b):
                assert cov[j] == pytest.approx((ma & _raster(bb)).sum() / ma.sum())


def test_box_gap():
    a = np.array([10, 10, 20, 20], float)
    b = np.array([[25, 10, 30, 20], [23, 24, 30, 30], [0, 0, 12, 12], [10, 10, 20, 20]], float)
    np.testing.assert_allclose(box_gap(a, b), [5.0, 5.0, 0.0, 0.0])
    assert box_gap(a, np.zeros((0, 4))).shape == (0,)


# -- patches --------------------------------------------------------------------------------
def test_patch_mad():
    a = np.full((4, 5), 100, np.uint8)
    b = a.copy()
    b[0, :] = 90
    assert patch_mad(a, b) == pytest.approx(10 * 5 / 20)
    m = np.zeros((4, 5), bool)
    m[0] = True
    assert patch_mad(a, b, m) == pytest.approx(10.0)


def _scene(seed=0):
    rng = np.random.default_rng(seed)
    road = (100 + rng.normal(0, 2, (40, 40))).clip(0, 255).astype(np.uint8)
    obj = road.copy()
    obj[12:28, 10:30] = 190
    mask = np.zeros((40, 40), bool)
    mask[12:28, 10:30] = True
    return road, obj, mask


def test_boundary_edges_new_object_vs_ghost():
    road, obj, mask = _scene()
    # New object: the frame shows it, the background is the road.
    e_cur, e_bg = boundary_edges(obj, road, mask)
    assert e_cur > 5 * e_bg
    # Ghost: the background held a parked thing that left; the frame shows the road.
    e_cur, e_bg = boundary_edges(road, obj, mask)
    assert e_bg > 5 * e_cur


@pytest.mark.parametrize("shape", [(0, 0), (1, 1), (3, 1), (5, 7)])
def test_boundary_edges_degenerate(shape):
    z = np.zeros(shape, np.uint8)
    assert boundary_edges(z, z, np.zeros(shape, bool)) == (0.0, 0.0)
    assert boundary_edges(z, z, np.ones(shape, bool)) == (0.0, 0.0)


rect = st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(1, 25), st.integers(1, 25))


@settings(max_examples=40, deadline=None)
@given(st.lists(rect, min_size=1, max_size=3), st.lists(rect, max_size=2), st.integers(1, 4),
       st.integers(1, 48), st.integers(1, 48))
def test_zones_rectangles_property(watch, ignore, scale, h, w):
    """Axis-aligned rectangles against a slicing oracle, at any stride and size (1x1 too)."""
    def poly(r):
        x, y, dw, dh = r
        return [(x, y), (x + dw, y), (x + dw, y + dh), (x, y + dh)]

    z = Zones(watch=[poly(r) for r in watch], ignore=[poly(r) for r in ignore])
    full_h, full_w = h * scale, w * scale
    ref = np.zeros((full_h, full_w), bool)
    for x, y, dw, dh in watch:
        ref[y : y + dh + 1, x : x + dw + 1] = True
    for x, y, dw, dh in ignore:
        ref[y : y + dh + 1, x : x + dw + 1] = False
    m = z.mask((h, w), scale)
    np.testing.assert_array_equal(m, ref[::scale, ::scale][:h, :w])


def test_track_match_picks_the_overlapping_object():
    from anfang.lost.evaluate import track_match

    objs = [
        {"id": 3, "frames": [[f, 10 + f, 0, 20 + f, 30] for f in range(10)]},
        {"id": 4, "frames": [[f, 100, 0, 110, 30] for f in range(10)]},
    ]
    fr = np.arange(2, 8)
    bx = np.array([[10 + f, 5, 20 + f, 30] for f in fr], float)
    got, iou = track_match(fr, bx, objs)
    assert got == 3 and iou == pytest.approx(25 / 30)
    assert track_match(fr[:2], bx[:2], objs) == (None, 0.0)  # fewer than 3 shared frames
