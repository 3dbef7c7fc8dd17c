import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anfang.falling.facade import Facade, apply_homography, homography_dlt


def _hand_homography():
    # A known projective map built by hand: scale, shear, translate and a perspective row.
    return np.array([[0.02, 0.001, -1.5], [0.0005, -0.016, 9.0], [1e-5, 2e-4, 1.0]])


def test_dlt_recovers_hand_built_homography():
    H = _hand_homography()
    src = np.array([[10, 20], [600, 35], [640, 470], [30, 450], [300, 240], [100, 300]], float)
    dst = apply_homography(H, src)
    # independent check of apply_homography on one point, by hand
    x, y = src[0]
    w = H[2, 0] * x + H[2, 1] * y + H[2, 2]
    assert dst[0, 0] == pytest.approx((H[0, 0] * x + H[0, 1] * y + H[0, 2]) / w)
    assert dst[0, 1] == pytest.approx((H[1, 0] * x + H[1, 1] * y + H[1, 2]) / w)
    for n in (4, 6):
        Hf = homography_dlt(src[:n], dst[:n])
        np.testing.assert_allclose(Hf / Hf[2, 2], H / H[2, 2], rtol=1e-6, atol=1e-9)


def test_dlt_rejects_degenerate_and_bad_shapes():
    with pytest.raises(ValueError, match="degenerate"):
        homography_dlt([[0, 0], [1, 1], [2, 2], [3, 3]], [[0, 0], [1, 0], [1, 1], [0, 1]])
    with pytest.raises(ValueError, match="src"):
        homography_dlt([[0, 0], [1, 0], [1, 1]], [[0, 0], [1, 0], [1, 1]])
    with pytest.raises(ValueError, match="dst"):
        homography_dlt([[0, 0], [1, 0], [1, 1], [0, 1]], [[0, 0], [1, 0], [1, 1]])


def test_from_corners_maps_corners_to_grid():
    corners = [[120, 40], [520, 70], [540, 690], [90, 660]]  # a perspective quadrilateral
    fac = Facade.from_corners(corners, floors=12, columns=5, lowest_floor=4)
    uv = fac.to_facade(corners)
    np.testing.assert_allclose(uv, [[0, 12], [5, 12], [5, 0], [0, 0]], atol=1e-9)
    np.testing.assert_allclose(fac.floor_at(np.array(corners, float)), [16, 16, 4, 4], atol=1e-9)
    np.testing.assert_allclose(fac.to_image(uv), corners, atol=1e-7)
    assert fac.floor_index(330.0, 675.0 - 1.0) == 4
    assert fac.column_index(125.0, 60.0) == 0
    assert fac.column_index(515.0, 80.0) == 4


def test_rectangle_facade_floors_columns_and_height():
    # axis-aligned: floors are 50 px, columns 100 px; the floor number is exact arithmetic
    fac = Facade.from_corners([[0, 100], [400, 100], [400, 600], [0, 600]], floors=10, columns=4)
    ys = np.array([599.0, 551.0, 549.0, 101.0])
    np.testing.assert_allclose(fac.floor_at(np.full(4, 200.0), ys), 1 + (600 - ys) / 50)
    np.testing.assert_array_equal(fac.floor_index(200.0, ys), [1, 1, 2, 10])
    np.testing.assert_array_equal(fac.column_index(np.array([1.0, 99.0, 101.0, 399.0]), 300.0), [0, 0, 1, 3])
    np.testing.assert_allclose(fac.floor_height_px(np.array([150.0, 500.0])), [50.0, 50.0])
    assert fac.px_per_m(300.0) == pytest.approx(50.0 / 3.0)


def test_floor_height_grows_towards_the_camera():
    # camera looking up: the top floors are foreshortened (narrow quadrilateral top)
    fac = Facade.from_corners([[200, 50], [440, 50], [560, 700], [80, 700]], floors=20, columns=6)
    h_top = fac.floor_height_px(80.0, 320.0)
    h_bottom = fac.floor_height_px(680.0, 320.0)
    assert h_top < h_bottom
    # one floor above a point maps to the point's floor value + 1
    for y in (100.0, 400.0, 650.0):
        f = fac.floor_at(320.0, y)
        uv = fac.to_facade([[320.0, y]])[0]
        up = fac.to_image([[uv[0], uv[1] + 1.0]])[0]
        assert fac.floor_at(*up) == pytest.approx(f + 1.0)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.floats(-500, 2500), st.floats(-500, 2000)), min_size=1, max_size=20),
)
def test_image_facade_roundtrip(points):
    fac = Facade.from_corners([[300, 80], [1500, 120], [1700, 1000], [200, 1050]], floors=25, columns=9)
    xy = np.array(points, float)
    back = fac.to_image(fac.to_facade(xy))
    np.testing.assert_allclose(back, xy, rtol=1e-7, atol=1e-6)


def test_floor_lines_numbers_and_polylines_agree():
    rows = [700, 600, 500, 400]  # boundaries from the bottom: floors 7, 8, 9
    a = Facade(polygon=[[0, 350], [640, 350], [640, 720], [0, 720]], floor_lines=rows, lowest_floor=7)
    b = Facade(polygon=[[0, 350], [640, 350], [640, 720], [0, 720]],
               floor_lines=[[[0, r], [640, r]] for r in rows], lowest_floor=7)
    x = np.array([10.0, 300.0, 600.0, 5.0, 320.0])
    y = np.array([699.0, 650.0, 599.0, 450.0, 380.0])
    expect = 7 + (700 - y) / 100  # linear between the rows (exact here)
    np.testing.assert_allclose(a.floor_at(x, y), expect)
    np.testing.assert_allclose(b.floor_at(x, y), expect)
    np.testing.assert_array_equal(a.floor_index(x, y), [7, 7, 8, 9, 10])
    assert a.floors == 3
    # beyond the lines: linear extrapolation with the nearest floor height
    assert a.floor_at(0.0, 300.0) == pytest.approx(11.0)
    assert a.floor_at(0.0, 750.0) == pytest.approx(6.5)
    assert a.floor_height_px(550.0) == pytest.approx(100.0)


def test_floor_lines_sloped_polylines():
    # boundaries slope down to the right by 0.1 px per px
    lines = [[[0, 600 - 100 * k], [1000, 700 - 100 * k]] for k in range(5)]
    fac = Facade(polygon=[[0, 100], [1000, 100], [1000, 700], [0, 700]], floor_lines=lines,
                 column_lines=[0, 250, 500, 750, 1000])
    # point on boundary k=2 at x=500: y = 400 + 50
    assert fac.floor_at(500.0, 450.0) == pytest.approx(3.0)
    assert fac.floor_at(1000.0, 550.0) == pytest.approx(2.5)  # between k=1 (600) and k=2 (500)
    assert fac.column_index(260.0, 300.0) == 1
    assert fac.column_at(625.0, 0.0) == pytest.approx(2.5)
    with pytest.raises(ValueError, match="homography"):
        fac.to_image([[1.0, 1.0]])


def test_contains_ignored_and_mask():
    fac = Facade.from_corners([[10, 10], [90, 10], [90, 90], [10, 90]], floors=4, columns=2,
                              ignore=[[[0, 0], [30, 0], [30, 30], [0, 30]],
                                      [[60, 60], [80, 60], [70, 80]]])
    pts = np.array([[50, 50], [5, 50], [20, 20], [70, 65], [95, 95]], float)
    np.testing.assert_array_equal(fac.contains(pts), [True, False, True, True, False])
    np.testing.assert_array_equal(fac.ignored(pts), [False, False, True, True, False])
    m = fac.ignore_mask((100, 120))
    assert m.shape == (100, 120) and m.dtype == bool
    assert m[20, 20] and not m[50, 50] and m[65, 70] and not m[95, 70]
    # oracle: pixel centres tested with the point-in-polygon test of the facade object
    rr, cc = np.mgrid[0:100, 0:120]
    centres = np.stack([cc.ravel(), rr.ravel()], axis=1).astype(float)
    inside = fac.ignored(centres).reshape(100, 120)
    assert (m != inside).sum() <= 0.02 * inside.sum()  # boundary pixels may differ
    assert fac.ignore_mask((100, 120)) is m  # computed once
    with pytest.raises(ValueError):
        m[0, 0] = True


def test_json_roundtrip(tmp_path):
    fac = Facade.from_corners([[120, 40], [520, 70], [540, 690], [90, 660]], floors=12, columns=5,
                              lowest_floor=2, building="Tower A", camera="cam-7",
                              ignore=[[[0, 0], [50, 0], [50, 50]]], image_size=(640, 720))
    p = tmp_path / "f.json"
    fac.save(p)
    back = Facade.load(p)
    assert back == fac
    assert back.building == "Tower A" and back.camera == "cam-7" and back.image_size == (640, 720)
    np.testing.assert_allclose(back.floor_at(300.0, 300.0), fac.floor_at(300.0, 300.0))
    lines = Facade(polygon=[[0, 0], [10, 0], [10, 10]], floor_lines=[[[0, 9], [10, 9]], [[0, 5], [10, 4]]],
                   column_lines=[0, 5, 10])
    assert Facade.from_dict(json.loads(json.dumps(lines.to_dict()))) == lines


def test_json_corners_form(tmp_path):
    d = {"corners": [[0, 100], [400, 100], [400, 600], [0, 600]], "floors": 10, "columns": 4,
         "lowest_floor": 5, "building": "B"}
    fac = Facade.from_dict(d)
    assert fac.floor_at(10.0, 600.0) == pytest.approx(5.0)
    np.testing.assert_allclose(fac.polygon, d["corners"])


@pytest.mark.parametrize(
    "d, exc, word",
    [
        ({"polygon": [[0, 0], [1, 0]], "floor_lines": [1, 2]}, ValueError, "polygon"),
        ({"polygon": [[0, 0], [1, 0], [1, 1]]}, ValueError, "floor_lines/homography"),
        ({"polygon": [[0, 0], [1, 0], [1, 1]], "floor_lines": [5]}, ValueError, "floor_lines"),
        ({"polygon": [[0, 0], [1, 0], [1, 1]], "floor_lines": [5, 5]}, ValueError, "distinct"),
        ({"polygon": [[0, 0], [1, 0], [1, 1]], "floor_lines": [[[0, 1], [1, 1]], [[0, 5], [1, 5]]]},
         ValueError, "bottom to top"),
        ({"polygon": [[0, 0], [1, 0], [1, 1]], "floor_lines": [1, 2], "flors": 3}, ValueError, "flors"),
        ({"polygon": [[0, 0], [1, 0], [1, 1]], "homography": [[1, 0], [0, 1]], "floors": 1,
          "columns": 1}, ValueError, "homography"),
        ({"polygon": [[0, 0], [1, 0], [1, 1]], "homography": np.eye(3).tolist()}, ValueError, "floors"),
        ({"polygon": [[0, 0], [1, 0], [1, 1]], "floor_lines": [1, 2], "lowest_floor": "3"},
         TypeError, "lowest_floor"),
        ({"polygon": [[0, 0], [1, 0], [1, float("nan")]], "floor_lines": [1, 2]}, ValueError, "finite"),
        ({"polygon": [[0, 0], [1, 0], [1, 1]], "floor_lines": [1, 2], "ignore": [[[0, 0]]]},
         ValueError, r"ignore\[0\]"),
        ({"polygon": [[0, 0], [1, 0], [1, 1]], "floor_lines": [1, 2], "floor_height_m": 0},
         ValueError, "floor_height_m"),
        ({"polygon": [[0, 0], [1, 0], [1, 1]], "floor_lines": [1, 2], "version": 9}, ValueError, "version"),
    ],
)
def test_validation_names_the_field(d, exc, word):
    with pytest.raises(exc, match=word):
        Facade.from_dict(d)


def test_load_reports_path_and_bad_json(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text("{not json")
    with pytest.raises(ValueError, match="bad.json"):
        Facade.load(p)
    p.write_text(json.dumps({"polygon": [[0, 0], [1, 0], [1, 1]]}))
    with pytest.raises(ValueError, match="bad.json.*floor_lines"):
        Facade.load(p)


def test_from_grid_homography_and_calibration_dict():
    # grid (column, floor) -> pixel, built by hand: 50 px per column, 40 px per floor, floor 0
    # at the bottom (y = 500), plus a mild perspective term
    G = np.array([[50.0, 4.0, 100.0], [0.0, -40.0, 500.0], [0.0, 0.004, 1.0]])
    cal = {"homography": G.tolist(), "floors": 10, "columns": 6, "floor_height_m": 3.0}
    fac = Facade.from_calibration(cal)
    cells = np.array([[0.5, 0.4], [3.5, 7.4], [5.9, 9.9]])
    pix = apply_homography(G, cells)
    np.testing.assert_allclose(fac.floor_at(pix), cells[:, 1], atol=1e-9)
    np.testing.assert_array_equal(fac.floor_index(pix), [0, 7, 9])
    np.testing.assert_array_equal(fac.column_index(pix), [0, 3, 5])
    # default polygon: the image of the whole grid
    np.testing.assert_allclose(fac.polygon, apply_homography(G, [[0, 10], [6, 10], [6, 0], [0, 0]]))
    assert fac.contains(pix).all()
    with pytest.raises(ValueError, match="homography"):
        Facade.from_calibration({"floors": 3, "columns": 2})


@settings(max_examples=200, deadline=None)
@given(st.floats(-200, 900), st.floats(-200, 700), st.integers(-2, 5))
def test_floor_height_one_point_equals_the_array_path(x, y, lowest):
    # the scalar fast path (plain floats) and the array path agree to the last bit
    fac = Facade.from_corners([[40, 30], [600, 60], [620, 470], [20, 450]], floors=9, columns=6,
                              lowest_floor=lowest)
    one = fac.floor_height_px(y, x)
    arr = fac.floor_height_px(np.array([y]), np.array([x]))[0]
    assert (one == arr) or (np.isnan(one) and np.isnan(arr))
    assert isinstance(one, float)
