"""anfang.motion.diff3_count_in_boxes / diff3_blob_in_boxes: per-box counts and per-box
"a diff blob's centroid lies in the box" of the edge-aware three-frame difference.

Oracles: numpy slicing of the full-frame mask from the Rust ``diff_mask3_edge`` and from the
independent numpy reference (``anfang.falling._reference``), with the box-to-pixel rule
(floor/ceil, clip to the image) written out here in plain Python integers. For the blob
kernel: the reference's window labelling with ``skimage.measure.label``, the full-frame
``label_stats`` centroids when the window covers the image, and closed-form centroids of
all-on windows. For ``valid=``: the same oracles on the full-frame mask zeroed outside the
rectangle by the test itself.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anfang import _core, motion
from anfang.falling import _reference as ref
from anfang.falling._backend import Motion


def span(lo: float, hi: float, n: int) -> tuple[int, int]:
    a = max(0, math.floor(lo))
    b = min(n, math.ceil(hi))
    return (a, b) if a < b else (0, 0)


def sliced(mask: np.ndarray, boxes) -> np.ndarray:
    """``mask[r0:r1, c0:c1].sum()`` per box, in a Python loop (the test's own oracle)."""
    H, W = mask.shape
    out = []
    for x0, y0, x1, y1 in np.asarray(boxes, np.float64).reshape(-1, 4).tolist():
        c0, c1 = span(x0, x1, W)
        r0, r1 = span(y0, y1, H)
        out.append(int(mask[r0:r1, c0:c1].sum()))
    return np.array(out, np.int64)


def oracles(p2, p1, cur, boxes, t, k) -> tuple[np.ndarray, np.ndarray]:
    rust_full = motion.diff_mask3_edge(p2, p1, cur, t, k)
    numpy_full = ref.diff_mask3_edge(p2, p1, cur, t, k)
    return sliced(rust_full, boxes), sliced(numpy_full, boxes)


def frames(h: int, w: int, seed: int, density: float, levels: int) -> tuple[np.ndarray, ...]:
    """A quantised scene (strong edges, exact ties) and two earlier frames differing from it
    at about ``density`` of the pixels."""
    rng = np.random.default_rng(seed)
    step = 255 // max(levels - 1, 1)
    cur = (rng.integers(0, levels, (h, w)) * step).astype(np.uint8)
    prev = []
    for _ in range(2):
        p = cur.copy()
        hit = rng.random((h, w)) < density
        p[hit] = (rng.integers(0, levels, int(hit.sum())) * step).astype(np.uint8)
        prev.append(p)
    return prev[0], prev[1], cur


def check(p2, p1, cur, boxes, t, k) -> np.ndarray:
    got = motion.diff3_count_in_boxes(p2, p1, cur, boxes, t, k)
    n = np.asarray(boxes, np.float64).reshape(-1, 4).shape[0]
    assert got.dtype == np.int64 and got.shape == (n,)
    a, b = oracles(p2, p1, cur, boxes, t, k)
    np.testing.assert_array_equal(got, a)
    np.testing.assert_array_equal(got, b)
    np.testing.assert_array_equal(ref.diff3_count_in_boxes(p2, p1, cur, boxes, t, k), b)
    return got


shapes = st.one_of(
    st.sampled_from([(1, 1), (1, 9), (9, 1), (0, 5), (5, 0), (0, 0), (2, 2), (3, 7), (7, 3)]),
    st.tuples(st.integers(0, 20), st.integers(0, 70)),
)
thresholds = st.one_of(
    st.integers(0, 255).map(float),
    st.floats(0, 300, allow_nan=False),
    st.sampled_from([0.5, 10.25, 19.999, 254.5, 255.0]),
)
edge_ks = st.sampled_from([0.0, 0.0, 0.3, 0.5, 1.7])
coord = st.one_of(
    st.floats(-8, 80, allow_nan=False),
    st.integers(-8, 80).map(float),
    st.sampled_from([-1e300, 1e300, -0.5, 0.0, 0.999, 31.5, 32.0, 33.0, 64.0]),
)
box = st.tuples(coord, coord, coord, coord)


@st.composite
def box_lists(draw):
    bs = draw(st.lists(box, min_size=0, max_size=8))
    if bs and draw(st.booleans()):
        bs.append(bs[0])  # an exact overlap
    return bs


@settings(max_examples=80, deadline=None)
@given(
    shape=shapes,
    seed=st.integers(0, 2**32 - 1),
    density=st.sampled_from([0.0, 0.05, 0.5, 1.0]),
    levels=st.sampled_from([2, 3, 9, 256]),
    t=thresholds,
    k=edge_ks,
    boxes=box_lists(),
)
def test_counts_equal_sliced_full_frame_masks(shape, seed, density, levels, t, k, boxes):
    p2, p1, cur = frames(*shape, seed, density, levels)
    got = check(p2, p1, cur, np.array(boxes, np.float64).reshape(-1, 4), t, k)
    if boxes and len(boxes) > 1 and boxes[-1] == boxes[0]:
        assert got[-1] == got[0]


@settings(max_examples=30, deadline=None)
@given(shape=shapes, value=st.integers(0, 255), boxes=box_lists(), k=edge_ks, t=thresholds)
def test_all_equal_frames_count_nothing(shape, value, boxes, k, t):
    f = np.full(shape, value, np.uint8)
    got = motion.diff3_count_in_boxes(f, f, f, boxes, t, k)
    np.testing.assert_array_equal(got, np.zeros(len(boxes), np.int64))


@settings(max_examples=30, deadline=None)
@given(shape=shapes, boxes=box_lists(), k=edge_ks, t=st.floats(0, 254.99))
def test_all_different_frames_count_box_areas(shape, boxes, k, t):
    # cur is flat (G = 0 everywhere), so every pixel differs by 255 > t from both earlier frames.
    z = np.zeros(shape, np.uint8)
    f = np.full(shape, 255, np.uint8)
    H, W = shape
    areas = []
    for x0, y0, x1, y1 in boxes:
        c0, c1 = span(x0, x1, W)
        r0, r1 = span(y0, y1, H)
        areas.append((c1 - c0) * (r1 - r0))
    got = motion.diff3_count_in_boxes(z, z, f, boxes, t, k)
    np.testing.assert_array_equal(got, np.array(areas, np.int64))


def test_gradient_uses_neighbours_outside_the_box():
    # A lone change at (2, 5); its right neighbour (2, 6) and the pixel below, (3, 5), lie
    # outside the boxes and are strong edges that raise the limit (G = 155).
    cur = np.zeros((5, 10), np.uint8)
    cur[2, 5] = 100
    cur[2, 6] = 255
    p = np.zeros_like(cur)
    boxes = [[0, 0, 6, 3], [5, 2, 6, 3], [5.2, 2.7, 5.8, 2.9], [6, 2, 7, 3]]
    # edge_k = 0: the change counts, and so does the edge pixel (2, 6) in its own box.
    np.testing.assert_array_equal(motion.diff3_count_in_boxes(p, p, cur, boxes, 50), [1, 1, 1, 1])
    # edge_k = 0.5: limit 50 + 0.5 * 155 = 127.5 > 100 at (2, 5); (2, 6) has G = 255, limit
    # 177.5 < 255, so it still counts.
    np.testing.assert_array_equal(motion.diff3_count_in_boxes(p, p, cur, boxes, 50, 0.5), [0, 0, 0, 1])
    cur2 = cur.copy()
    cur2[2, 6] = 0
    cur2[3, 5] = 200  # the edge is now below the box [5, 2, 6, 3]: G = 100 -> limit 100, d = 100
    np.testing.assert_array_equal(motion.diff3_count_in_boxes(p, p, cur2, boxes[:2], 50, 0.5), [0, 0])
    np.testing.assert_array_equal(motion.diff3_count_in_boxes(p, p, cur2, boxes[:2], 49.5, 0.5), [1, 1])
    check(p, p, cur2, boxes, 49.5, 0.5)


@pytest.mark.parametrize("w", [31, 32, 33, 63, 64, 65, 97])
@pytest.mark.parametrize("k", [0.0, 1.0, 1.7])
def test_boxes_across_block_borders(w, k):
    # The kernel works in 32-pixel blocks starting at each box's left edge; lone changes next
    # to the blocks' ends need neighbours from outside the block and the box.
    rng = np.random.default_rng(w)
    cur = (100 + 30 * rng.integers(0, 3, (4, w))).astype(np.uint8)
    xs = sorted({0, 1, 30, 31, 32, 33, 34, 63, 64, 65, w - 1} & set(range(w)))
    p = cur.copy()
    p[1, xs] -= 100
    p[2, xs[::2]] -= 100
    boxes = [[x0, y0, x0 + bw, y0 + bh] for x0 in (0, 1, 2, 31, 33) for bw in (1, 31, 32, 33, 70)
             for y0, bh in ((0, 4), (1, 1), (2, 2))]
    check(p, p, cur, boxes, 40, k)


def test_one_by_one_and_empty_images():
    a = np.array([[0]], np.uint8)
    b = np.array([[30]], np.uint8)
    boxes = [[0, 0, 1, 1], [-1, -1, 0.5, 0.5], [1, 1, 2, 2], [0, 0, 0, 0]]
    np.testing.assert_array_equal(motion.diff3_count_in_boxes(a, a, b, boxes, 29.5, 1.7), [1, 1, 0, 0])
    np.testing.assert_array_equal(motion.diff3_count_in_boxes(a, a, b, boxes, 30.0, 1.7), [0, 0, 0, 0])
    for shape in [(0, 7), (7, 0), (0, 0)]:
        e = np.zeros(shape, np.uint8)
        for fn in (motion.diff3_count_in_boxes, _core.diff3_count_in_boxes):
            got = fn(e, e, e, np.array([[0, 0, 5, 5], [-1e300, -1e300, 1e300, 1e300]], float), 1.5, 0.5)
            np.testing.assert_array_equal(got, [0, 0])


def test_zero_boxes():
    p2, p1, cur = frames(6, 8, 1, 0.5, 256)
    for boxes in ([], np.zeros((0, 4)), np.zeros((0, 4), np.int32), ()):
        got = motion.diff3_count_in_boxes(p2, p1, cur, boxes, 10)
        assert got.dtype == np.int64 and got.shape == (0,)
    got = _core.diff3_count_in_boxes(p2, p1, cur, np.zeros((0, 4)), 10.0, 0.5)
    assert got.dtype == np.int64 and got.shape == (0,)


def test_degenerate_huge_negative_and_reversed_boxes():
    p2, p1, cur = frames(9, 13, 5, 1.0, 2)
    full = motion.diff_mask3_edge(p2, p1, cur, 0, 0.0)
    boxes = [
        [5, 5, 2, 8],  # x0 > x1
        [2, 8, 5, 5],  # y0 > y1
        [-1e300, -1e300, 1e300, 1e300],  # the whole image
        [-50, -50, -1, -1],  # fully outside, negative (a negative end must not wrap)
        [-3, -3, -0.0, 20],
        [13, 0, 20, 9],  # just right of the image
        [12.0001, 8.5, 1e9, 1e9],  # the last pixel
        [3, 3, 3, 3],
        [3, 3, 3.0001, 3.0001],
    ]
    got = check(p2, p1, cur, boxes, 0, 0.0)
    assert full.sum() > 0
    assert got.tolist() == [0, 0, int(full.sum()), 0, 0, 0, int(full[8, 12]), 0, int(full[3, 3])]


def test_overlapping_boxes_count_their_own_pixels():
    p2, p1, cur = frames(20, 30, 9, 0.5, 9)
    left, right, both = [0, 0, 20, 20], [10, 0, 30, 20], [10, 0, 20, 20]
    whole = [0, 0, 30, 20]
    got = check(p2, p1, cur, [left, right, both, whole, left], 12.5, 0.5)
    assert got[0] + got[1] - got[2] == got[3]
    assert got[0] == got[4]


@pytest.mark.parametrize("k", [0.0, 0.5, 1.7])
def test_fortran_and_strided_views(k):
    p2, p1, cur = frames(40, 60, 3, 0.4, 9)
    boxes = np.array([[0, 0, 60, 40], [3.5, 2.2, 17.9, 30.1], [55, 35, 70, 50], [-4, 10, 8, 12]])
    want = check(p2, p1, cur, boxes, 9.5, k)
    fort = [np.asfortranarray(a) for a in (p2, p1, cur)]
    assert not fort[0].flags.c_contiguous
    big = [np.repeat(np.repeat(a, 2, axis=0), 3, axis=1) for a in (p2, p1, cur)]
    views = [b[::2, ::3] for b in big]
    np.testing.assert_array_equal(views[0], p2)
    # Boxes as a strided, a Fortran-order and an integer array, and as a list.
    big_boxes = np.repeat(boxes, 2, axis=1)[:, ::2]
    assert not big_boxes.flags.c_contiguous
    for frs in (fort, views):
        for fn in (motion.diff3_count_in_boxes, _core.diff3_count_in_boxes):
            np.testing.assert_array_equal(fn(*frs, big_boxes, 9.5, k), want)
            np.testing.assert_array_equal(fn(*frs, np.asfortranarray(boxes), 9.5, k), want)
    np.testing.assert_array_equal(motion.diff3_count_in_boxes(p2, p1, cur, boxes.tolist(), 9.5, k), want)
    ib = np.array([[1, 2, 30, 33], [-5, -5, 100, 100]], np.int64)
    check(p2, p1, cur, ib, 9.5, k)
    flipped = [a[::-1, ::-1] for a in (p2, p1, cur)]
    np.testing.assert_array_equal(
        motion.diff3_count_in_boxes(*flipped, boxes, 9.5, k),
        sliced(ref.diff_mask3_edge(*[a.copy() for a in flipped], 9.5, k), boxes),
    )


def test_inputs_not_modified():
    p2, p1, cur = frames(9, 11, 5, 0.5, 256)
    boxes = np.array([[0.5, 0.5, 7.5, 7.5], [2, 2, 40, 3]])
    copies = [a.copy() for a in (p2, p1, cur, boxes)]
    motion.diff3_count_in_boxes(p2, p1, cur, boxes, 3, 0.5)
    for a, b in zip((p2, p1, cur, boxes), copies):
        np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------------- bad input

G = np.zeros((6, 8), np.uint8)
B = np.array([[0, 0, 4, 4]], np.float64)


@pytest.mark.parametrize("pos,name", [(0, "p2"), (1, "p1"), (2, "cur")])
@pytest.mark.parametrize(
    "bad,msg",
    [
        (np.zeros((6, 8), np.float64), r"expected uint8 \(H, W\), got float64 \(6, 8\)"),
        (np.zeros((6, 8, 3), np.uint8), r"expected uint8 \(H, W\), got uint8 \(6, 8, 3\)"),
        (np.zeros(8, np.uint8), r"expected uint8 \(H, W\), got uint8 \(8,\)"),
        ([[1, 2]], r"expected a numpy uint8 array \(H, W\), got list"),
    ],
)
def test_bad_frames_name_the_argument(pos, name, bad, msg):
    args = [G, G, G]
    args[pos] = bad
    with pytest.raises(TypeError, match=f"{name}: {msg}"):
        motion.diff3_count_in_boxes(*args, B, 10, 0.5)


def test_core_rejects_bad_frames():
    with pytest.raises(TypeError, match=r"p1: expected uint8 \(H, W\), got uint8 \(6, 8, 3\)"):
        _core.diff3_count_in_boxes(G, np.zeros((6, 8, 3), np.uint8), G, B, 1.0, 0.0)
    with pytest.raises(TypeError):
        _core.diff3_count_in_boxes(G, G, np.zeros((6, 8)), B, 1.0, 0.0)


@pytest.mark.parametrize("pos,name", [(0, "p2"), (1, "p1")])
def test_shape_mismatch_names_both_shapes(pos, name):
    args = [G, G, G]
    args[pos] = np.zeros((6, 9), np.uint8)
    pattern = rf"{name}: expected the shape of cur \(6, 8\), got \(6, 9\)"
    with pytest.raises(ValueError, match=pattern):
        motion.diff3_count_in_boxes(*args, B, 10, 0.5)
    with pytest.raises(ValueError, match=pattern):
        _core.diff3_count_in_boxes(*args, B, 10.0, 0.5)


@pytest.mark.parametrize("name", ["threshold", "edge_k"])
@pytest.mark.parametrize(
    "value,exc",
    [(-1, ValueError), (-0.001, ValueError), (float("nan"), ValueError), (float("inf"), ValueError),
     (10**400, ValueError), (True, TypeError), ("5", TypeError), (None, TypeError)],
)
def test_bad_numbers_name_the_argument(name, value, exc):
    kw = {"threshold": 10.0, "edge_k": 0.5, name: value}
    with pytest.raises(exc, match=name):
        motion.diff3_count_in_boxes(G, G, G, B, **kw)


@pytest.mark.parametrize("name", ["threshold", "edge_k"])
@pytest.mark.parametrize("value", [-1.0, float("nan"), float("-inf"), float("inf")])
def test_core_rejects_bad_numbers(name, value):
    kw = {"threshold": 10.0, "edge_k": 0.5, name: value}
    with pytest.raises(ValueError, match=rf"{name}: expected a finite number >= 0, got"):
        _core.diff3_count_in_boxes(G, G, G, B, **kw)


@pytest.mark.parametrize(
    "boxes,msg",
    [
        (np.zeros(4), r"boxes: expected shape \(N, 4\), got \(4,\)"),
        (np.zeros((2, 3)), r"boxes: expected shape \(N, 4\), got \(2, 3\)"),
        (np.zeros((2, 4, 1)), r"boxes: expected shape \(N, 4\), got \(2, 4, 1\)"),
        (np.zeros((0, 3)), r"boxes: expected shape \(N, 4\), got \(0, 3\)"),
        (5.0, r"boxes: expected shape \(N, 4\), got \(\)"),
        ([[0, 0, 1, float("nan")]], r"boxes: expected finite coordinates, got NaN in row 0"),
        ([[0, 0, 1, 1], [0, -np.inf, 1, 1]], r"boxes: expected finite coordinates, got -inf in row 1"),
    ],
)
def test_bad_boxes_value_errors(boxes, msg):
    with pytest.raises(ValueError, match=msg):
        motion.diff3_count_in_boxes(G, G, G, boxes, 10, 0.5)
    with pytest.raises(ValueError, match=msg):
        _core.diff3_count_in_boxes(G, G, G, np.asarray(boxes, np.float64), 10.0, 0.5)


@pytest.mark.parametrize("boxes", [[[0, 0, 1], [0, 0, 1, 1]], [["a", 0, 1, 1]], [[object(), 0, 1, 1]]])
def test_unconvertible_boxes_raise_type_error(boxes):
    with pytest.raises(TypeError, match=r"boxes: expected a float64 \(N, 4\) array-like"):
        motion.diff3_count_in_boxes(G, G, G, boxes, 10, 0.5)


@pytest.mark.parametrize(
    "boxes,msg",
    [
        ([[0.0, 0.0, 1.0, 1.0]], r"boxes: expected a float64 \(N, 4\) array, got list"),
        (np.zeros((1, 4), np.int64), r"boxes: expected a float64 \(N, 4\) array, got int64 \(1, 4\)"),
        (np.zeros((1, 4), np.float32), r"boxes: expected a float64 \(N, 4\) array, got float32 \(1, 4\)"),
    ],
)
def test_core_wants_float64_boxes(boxes, msg):
    with pytest.raises(TypeError, match=msg):
        _core.diff3_count_in_boxes(G, G, G, boxes, 10.0, 0.5)


def test_core_bad_box_values():
    for v in (np.nan, np.inf, -np.inf):
        b = np.array([[0, 0, 1, 1], [0, 0, v, 1]])
        with pytest.raises(ValueError, match=r"boxes: expected finite coordinates, got .* in row 1"):
            _core.diff3_count_in_boxes(G, G, G, b, 10.0, 0.5)
    with pytest.raises(ValueError, match=r"boxes: expected shape \(N, 4\), got \(3,\)"):
        _core.diff3_count_in_boxes(G, G, G, np.zeros(3), 10.0, 0.5)


def test_reference_rejects_bad_boxes():
    with pytest.raises(ValueError, match="boxes: expected finite"):
        ref.diff3_count_in_boxes(G, G, G, [[0, 0, np.nan, 1]], 10, 0.5)
    with pytest.raises(ValueError, match=r"boxes: expected shape \(N, 4\), got \(8,\)"):
        ref.diff3_count_in_boxes(G, G, G, np.zeros(8), 10, 0.5)
    assert ref.diff3_count_in_boxes(G, G, G, [], 10, 0.5).shape == (0,)


def test_numpy_scalars_accepted():
    p2, p1, cur = frames(8, 9, 11, 0.5, 256)
    boxes = np.array([[1, 1, 7, 8]], np.float32)
    got = motion.diff3_count_in_boxes(p2, p1, cur, boxes, np.float32(7.5), np.int64(1))
    np.testing.assert_array_equal(got, sliced(ref.diff_mask3_edge(p2, p1, cur, 7.5, 1.0), boxes))


# =========================================================================== diff3_blob_in_boxes


def full_frame_hits(mask: np.ndarray, boxes) -> np.ndarray:
    """Any centroid of the full-frame blobs (Rust ``label_stats`` and the numpy reference's
    ``blobs``, which must agree) in each box grown by one pixel up and left."""
    cen = motion.label_stats(mask).centroid.reshape(-1, 2)
    if mask.size:  # (the reference's blobs() does not take empty masks)
        np.testing.assert_array_equal(cen, ref.blobs(mask).centroid.reshape(-1, 2))
    out = []
    for x0, y0, x1, y1 in np.asarray(boxes, np.float64).reshape(-1, 4).tolist():
        cx, cy = cen[:, 0], cen[:, 1]
        out.append(bool(((cx >= x0 - 1) & (cx <= x1) & (cy >= y0 - 1) & (cy <= y1)).any()))
    return np.array(out, bool)


def check_blob(p2, p1, cur, boxes, t, k, margin) -> np.ndarray:
    got = motion.diff3_blob_in_boxes(p2, p1, cur, boxes, t, k, margin)
    n = np.asarray(boxes, np.float64).reshape(-1, 4).shape[0]
    assert got.dtype == np.bool_ and got.shape == (n,)
    np.testing.assert_array_equal(got, ref.diff3_blob_in_boxes(p2, p1, cur, boxes, t, k, margin))
    return got


margins = st.one_of(st.sampled_from([0, 1, 2, 16, 200, 10**30]), st.integers(0, 40))

# the cases of the windowed-blob property tests: frames, thresholds, margins and boxes
BLOB_CASES = dict(
    shape=shapes,
    seed=st.integers(0, 2**32 - 1),
    density=st.sampled_from([0.0, 0.02, 0.1, 0.5, 1.0]),
    levels=st.sampled_from([2, 3, 9, 256]),
    t=thresholds,
    k=edge_ks,
    margin=margins,
    boxes=box_lists(),
)


@settings(max_examples=60, deadline=None)
@given(**BLOB_CASES)
def test_blob_equals_window_labelling_reference(shape, seed, density, levels, t, k, margin, boxes):
    p2, p1, cur = frames(*shape, seed, density, levels)
    b = np.array(boxes, np.float64).reshape(-1, 4)
    got = check_blob(p2, p1, cur, b, t, k, margin)
    if len(boxes) > 1 and boxes[-1] == boxes[0]:
        assert got[-1] == got[0]
    # A window covering the whole image (every shape here is at most 20 x 70): exactly the
    # full-frame centroid test.
    if margin >= 200:
        np.testing.assert_array_equal(got, full_frame_hits(motion.diff_mask3_edge(p2, p1, cur, t, k), b))


@settings(max_examples=25, deadline=None)
@given(shape=shapes, value=st.integers(0, 255), boxes=box_lists(), k=edge_ks, t=thresholds,
       margin=margins)
def test_blob_all_equal_frames_find_nothing(shape, value, boxes, k, t, margin):
    f = np.full(shape, value, np.uint8)
    got = motion.diff3_blob_in_boxes(f, f, f, boxes, t, k, margin)
    np.testing.assert_array_equal(got, np.zeros(len(boxes), bool))


def window(lo: float, hi: float, m: int, n: int) -> tuple[int, int]:
    a = min(max(math.floor(lo) - m, 0), n) if lo > -1e18 else 0
    b = min(max(math.ceil(hi) + m, 0), n) if hi < 1e18 else n
    return (a, b) if a < b else (0, 0)


@settings(max_examples=25, deadline=None)
@given(shape=shapes, boxes=box_lists(), k=edge_ks, t=st.floats(0, 254.99), margin=margins)
def test_blob_all_different_frames_one_window_blob(shape, boxes, k, t, margin):
    # Every pixel differs (flat cur, G = 0): each window is one rectangular blob whose centroid
    # is the window's centre ((c0 + c1 - 1) / 2, (r0 + r1 - 1) / 2).
    z = np.zeros(shape, np.uint8)
    f = np.full(shape, 255, np.uint8)
    H, W = shape
    want = []
    for x0, y0, x1, y1 in boxes:
        c0, c1 = window(x0, x1, margin, W)
        r0, r1 = window(y0, y1, margin, H)
        if c0 == c1 or r0 == r1:
            want.append(False)
            continue
        cx, cy = (c0 + c1 - 1) / 2, (r0 + r1 - 1) / 2
        want.append(x0 - 1 <= cx <= x1 and y0 - 1 <= cy <= y1)
    got = motion.diff3_blob_in_boxes(z, z, f, boxes, t, k, margin)
    np.testing.assert_array_equal(got, np.array(want, bool))


def test_blob_box_edges_exactly_on_centroids():
    # Boxes whose edges sit exactly on (or one ulp beside) a blob centroid: the comparisons
    # are inclusive, and the kernel's centroids equal label_stats' bit for bit.
    p2, p1, cur = frames(24, 37, 7, 0.4, 256)
    mask = motion.diff_mask3_edge(p2, p1, cur, 20, 0.3)
    cen = motion.label_stats(mask).centroid
    assert len(cen) > 12 and (cen % 1 != 0).any()
    boxes = []
    for cx, cy in cen[:12].tolist():
        boxes += [
            [cx + 1, cy + 1, cx + 2, cy + 2],  # top-left corner (grown by one) on the centroid
            [cx - 3, cy - 3, cx, cy],  # bottom-right corner on the centroid
            [np.nextafter(cx + 1, np.inf), cy, cx + 2, cy + 1],  # just right of it
            [cx - 3, cy - 3, cx, np.nextafter(cy, -np.inf)],  # just above it
        ]
    for margin in (200, 10**30):
        got = check_blob(p2, p1, cur, boxes, 20, 0.3, margin)
        np.testing.assert_array_equal(got, full_frame_hits(mask, boxes))
        assert got[0::4].all() and got[1::4].all()


def test_blob_cut_by_the_window_border():
    # A bar on row 1, columns 2..7 (centroid x = 4.5).
    p = np.zeros((3, 10), np.uint8)
    cur = p.copy()
    cur[1, 2:8] = 200
    boxes = [[6, 0, 8, 2], [0, 0, 4.5, 2], [5.5, 0, 9, 2], [0, 0, 4.49, 2], [5.51, 0, 9, 2]]
    # margin 0: every window cuts the bar, and each cut piece's centroid lies in its box (the
    # first box's window holds columns 6, 7: centroid 6.5; the fourth's columns 2..4: 3.0).
    np.testing.assert_array_equal(check_blob(p, p, cur, boxes, 10, 0.0, 0), [1, 1, 1, 1, 1])
    # margin >= 4 on [6, 8): the whole bar; its centroid 4.5 is left of 6 - 1.
    for m in (4, 16):
        np.testing.assert_array_equal(check_blob(p, p, cur, boxes, 10, 0.0, m), [0, 1, 1, 0, 0])
    # Diagonal neighbours join (8-connectivity): two pixels meeting at a corner, centroid 1.5;
    # alone, pixel (2, 2) would put a centroid 2.0 into the second box.
    d = np.zeros((4, 4), np.uint8)
    d[1, 1] = d[2, 2] = 99
    z = np.zeros_like(d)
    np.testing.assert_array_equal(check_blob(z, z, d, [[1.6, 1.6, 4, 4], [2.6, 2.6, 4, 4]], 5, 0.0, 3),
                                  [True, False])


def test_blob_gradient_uses_neighbours_outside_the_window():
    # The lone change at (2, 5) sits next to an edge at (2, 6) outside the margin-0 window.
    cur = np.zeros((5, 10), np.uint8)
    cur[2, 5] = 100
    cur[2, 6] = 255
    p = np.zeros_like(cur)
    box = [[5, 2, 6, 3]]
    assert check_blob(p, p, cur, box, 50, 0.0, 0).tolist() == [True]
    assert check_blob(p, p, cur, box, 50, 0.5, 0).tolist() == [False]


def test_blob_one_by_one_empty_images_and_zero_boxes():
    a = np.array([[0]], np.uint8)
    b = np.array([[30]], np.uint8)
    boxes = [[0, 0, 1, 1], [-1, -1, 0.5, 0.5], [1, 1, 2, 2], [0, 0, 0, 0], [0.5, 0.5, 0.5, 0.5]]
    # margin 0: the windows of [1, 1, 2, 2] (outside) and [0, 0, 0, 0] (empty) hold no pixel,
    # though the full-frame centroid (0, 0) lies in both boxes grown up-left; the zero-area
    # box at 0.5 covers pixel 0 (floor 0, ceil 1), as in diff3_count_in_boxes.
    assert check_blob(a, a, b, boxes, 29.5, 1.7, 0).tolist() == [True, True, False, False, True]
    assert check_blob(a, a, b, boxes, 29.5, 1.7, 1).tolist() == [True, True, True, True, True]
    assert not check_blob(a, a, b, boxes, 30.0, 1.7, 5).any()
    for shape in [(0, 7), (7, 0), (0, 0)]:
        e = np.zeros(shape, np.uint8)
        bx = np.array([[0, 0, 5, 5], [-1e300, -1e300, 1e300, 1e300]], float)
        for fn in (motion.diff3_blob_in_boxes, _core.diff3_blob_in_boxes):
            np.testing.assert_array_equal(fn(e, e, e, bx, 1.5, 0.5, 10**30), [False, False])
    p2, p1, cur = frames(6, 8, 1, 0.5, 256)
    for boxes in ([], np.zeros((0, 4)), ()):
        got = motion.diff3_blob_in_boxes(p2, p1, cur, boxes, 10)
        assert got.dtype == np.bool_ and got.shape == (0,)


@pytest.mark.parametrize("k", [0.0, 1.7])
def test_blob_fortran_and_strided_views_and_default_margin(k):
    p2, p1, cur = frames(40, 60, 3, 0.1, 9)
    boxes = np.array([[0, 0, 60, 40], [3.5, 2.2, 17.9, 30.1], [55, 35, 70, 50], [-4, 10, 8, 12],
                      [20, 20, 24, 24], [40.5, 5, 44, 9.5]])
    want = check_blob(p2, p1, cur, boxes, 9.5, k, 16)
    np.testing.assert_array_equal(motion.diff3_blob_in_boxes(p2, p1, cur, boxes, 9.5, k), want)
    np.testing.assert_array_equal(_core.diff3_blob_in_boxes(p2, p1, cur, boxes, 9.5, k), want)
    fort = [np.asfortranarray(a) for a in (p2, p1, cur)]
    big = [np.repeat(np.repeat(a, 2, axis=0), 3, axis=1) for a in (p2, p1, cur)]
    views = [b[::2, ::3] for b in big]
    big_boxes = np.repeat(boxes, 2, axis=1)[:, ::2]
    assert not big_boxes.flags.c_contiguous
    for frs in (fort, views):
        np.testing.assert_array_equal(motion.diff3_blob_in_boxes(*frs, big_boxes, 9.5, k, 16), want)
        np.testing.assert_array_equal(_core.diff3_blob_in_boxes(*frs, boxes, 9.5, k, 16), want)
    np.testing.assert_array_equal(motion.diff3_blob_in_boxes(p2, p1, cur, boxes.tolist(), 9.5, k,
                                                             np.int64(16)), want)


@pytest.mark.parametrize("prefer", ["rust", "reference"])
@pytest.mark.parametrize("k", [0.0, 0.5])
def test_backend_diff3_blob(prefer, k):
    p2, p1, cur = frames(30, 41, 17, 0.05, 256)
    mask = ref.diff_mask3_edge(p2, p1, cur, 12.5, k)
    cen = ref.blobs(mask).centroid
    boxes = np.array([[0, 0, 41, 30], [30, 20, 60, 60], [9, 9, 2, 2]]
                     + [[x - 1.5, y - 1.5, x + 1.5, y + 1.5] for x, y in cen[:6].tolist()])
    m = Motion(prefer)
    got = m.diff3_blob(p2, p1, cur, boxes, 12.5, k, 10**6)
    assert got.dtype == np.bool_
    np.testing.assert_array_equal(got, full_frame_hits(mask, boxes))
    np.testing.assert_array_equal(m.diff3_blob(p2, p1, cur, boxes, 12.5, k, 3),
                                  ref.diff3_blob_in_boxes(p2, p1, cur, boxes, 12.5, k, 3))


@pytest.mark.parametrize("pos,name", [(0, "p2"), (1, "p1"), (2, "cur")])
def test_blob_bad_frames_and_shapes(pos, name):
    args = [G, G, G]
    args[pos] = np.zeros((6, 8), np.float64)
    with pytest.raises(TypeError, match=rf"{name}: expected uint8 \(H, W\), got float64 \(6, 8\)"):
        motion.diff3_blob_in_boxes(*args, B, 10)
    args[pos] = np.zeros((6, 8, 3), np.uint8)
    with pytest.raises(TypeError, match=rf"{name}: expected uint8 \(H, W\), got uint8 \(6, 8, 3\)"):
        _core.diff3_blob_in_boxes(*args, B, 10.0)
    if name != "cur":
        args[pos] = np.zeros((6, 9), np.uint8)
        pattern = rf"{name}: expected the shape of cur \(6, 8\), got \(6, 9\)"
        for fn in (motion.diff3_blob_in_boxes, _core.diff3_blob_in_boxes):
            with pytest.raises(ValueError, match=pattern):
                fn(*args, B, 10.0)


@pytest.mark.parametrize("name", ["threshold", "edge_k"])
@pytest.mark.parametrize("value,exc", [(-1, ValueError), (float("nan"), ValueError),
                                       (10**400, ValueError), (True, TypeError), ("5", TypeError)])
def test_blob_bad_numbers(name, value, exc):
    kw = {"threshold": 10.0, "edge_k": 0.5, name: value}
    with pytest.raises(exc, match=name):
        motion.diff3_blob_in_boxes(G, G, G, B, **kw)
    if exc is ValueError and not isinstance(value, int):
        with pytest.raises(ValueError, match=rf"{name}: expected a finite number >= 0, got"):
            _core.diff3_blob_in_boxes(G, G, G, B, **kw)


@pytest.mark.parametrize(
    "value,exc,msg",
    [
        (-1, ValueError, r"margin: expected an int >= 0, got -1"),
        (-(10**30), ValueError, r"margin: expected an int >= 0, got -1000000000000000000000000000000"),
        (1.5, TypeError, r"margin: expected an integer, got float 1.5"),
        (16.0, TypeError, r"margin: expected an integer, got float"),
        (True, TypeError, r"margin: expected an integer, got bool"),
        ("3", TypeError, r"margin: expected an integer, got str"),
        (None, TypeError, r"margin: expected an integer, got NoneType"),
    ],
)
def test_blob_bad_margin(value, exc, msg):
    with pytest.raises(exc, match=msg):
        motion.diff3_blob_in_boxes(G, G, G, B, 10, 0.5, value)
    if value is not None:
        with pytest.raises(exc, match="margin: expected an int >= 0"):
            _core.diff3_blob_in_boxes(G, G, G, B, 10.0, 0.5, value)


@pytest.mark.parametrize(
    "boxes,exc,msg",
    [
        (np.zeros(4), ValueError, r"boxes: expected shape \(N, 4\), got \(4,\)"),
        (np.zeros((2, 3)), ValueError, r"boxes: expected shape \(N, 4\), got \(2, 3\)"),
        ([[0, 0, 1, float("nan")]], ValueError, r"boxes: expected finite coordinates, got NaN in row 0"),
        ([[0, 0, 1, 1], [0, -np.inf, 1, 1]], ValueError,
         r"boxes: expected finite coordinates, got -inf in row 1"),
        ([["a", 0, 1, 1]], TypeError, r"boxes: expected a float64 \(N, 4\) array-like"),
    ],
)
def test_blob_bad_boxes(boxes, exc, msg):
    with pytest.raises(exc, match=msg):
        motion.diff3_blob_in_boxes(G, G, G, boxes, 10, 0.5)
    if exc is ValueError:
        with pytest.raises(ValueError, match=msg):
            _core.diff3_blob_in_boxes(G, G, G, np.asarray(boxes, np.float64), 10.0, 0.5)
    with pytest.raises(TypeError, match=r"boxes: expected a float64 \(N, 4\) array, got int64 \(1, 4\)"):
        _core.diff3_blob_in_boxes(G, G, G, np.zeros((1, 4), np.int64), 10.0, 0.5)


def test_blob_reference_rejects_bad_boxes_and_inputs_unchanged():
    with pytest.raises(ValueError, match="boxes: expected finite"):
        ref.diff3_blob_in_boxes(G, G, G, [[0, 0, np.nan, 1]], 10, 0.5)
    with pytest.raises(ValueError, match=r"boxes: expected shape \(N, 4\), got \(8,\)"):
        ref.diff3_blob_in_boxes(G, G, G, np.zeros(8), 10, 0.5)
    assert ref.diff3_blob_in_boxes(G, G, G, [], 10, 0.5).shape == (0,)
    p2, p1, cur = frames(9, 11, 5, 0.5, 256)
    boxes = np.array([[0.5, 0.5, 7.5, 7.5], [2, 2, 40, 3]])
    copies = [a.copy() for a in (p2, p1, cur, boxes)]
    motion.diff3_blob_in_boxes(p2, p1, cur, boxes, 3, 0.5, 2)
    for a, b in zip((p2, p1, cur, boxes), copies):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ diff3_blob_in_boxes(valid=)


def zeroed(mask: np.ndarray, valid) -> np.ndarray:
    """The definition of ``valid``: the full-frame mask set to False outside the rectangle
    (clipped to the image in plain Python integers, then an explicit copy)."""
    H, W = mask.shape
    x0, y0, x1, y1 = (min(int(v), n) for v, n in zip(valid, (W, H, W, H)))
    out = np.zeros_like(mask)
    if x0 < x1 and y0 < y1:
        out[y0:y1, x0:x1] = mask[y0:y1, x0:x1]
    return out


vcoord = st.one_of(st.integers(0, 80), st.sampled_from([0, 1, 10**30]))


@st.composite
def valid_rects(draw):
    a, b, c, d = draw(st.tuples(vcoord, vcoord, vcoord, vcoord))
    return (min(a, c), min(b, d), max(a, c), max(b, d))


@settings(max_examples=60, deadline=None)
@given(**BLOB_CASES, valid=valid_rects())
def test_blob_valid_equals_labelling_the_zeroed_mask(shape, seed, density, levels, t, k, margin,
                                                     boxes, valid):
    p2, p1, cur = frames(*shape, seed, density, levels)
    b = np.array(boxes, np.float64).reshape(-1, 4)
    got = motion.diff3_blob_in_boxes(p2, p1, cur, b, t, k, margin, valid=valid)
    assert got.dtype == np.bool_ and got.shape == (len(b),)
    np.testing.assert_array_equal(_core.diff3_blob_in_boxes(p2, p1, cur, b, t, k, margin, valid=valid),
                                  got)
    # Oracle 1: the scikit-image window labelling of the zeroed Rust full-frame mask.
    mz = zeroed(motion.diff_mask3_edge(p2, p1, cur, t, k), valid)
    np.testing.assert_array_equal(got, ref.blob_in_boxes_of_mask(mz, b, margin))
    # Oracle 2: the numpy reference end to end (its own mask, its own zeroing).
    np.testing.assert_array_equal(got, ref.diff3_blob_in_boxes(p2, p1, cur, b, t, k, margin,
                                                               valid=valid))
    H, W = shape
    if valid[0] == 0 and valid[1] == 0 and valid[2] >= W and valid[3] >= H:
        # Covering the image: the old result.
        np.testing.assert_array_equal(got, motion.diff3_blob_in_boxes(p2, p1, cur, b, t, k, margin))
    if min(valid[2], W) <= valid[0] or min(valid[3], H) <= valid[1]:
        # Empty, or outside the image: nothing anywhere.
        assert not got.any()
    if margin >= 200:
        # Windows covering the image: the full-frame label_stats centroid test on the zeroed mask.
        np.testing.assert_array_equal(got, full_frame_hits(mz, b))


def test_blob_valid_cuts_blobs_and_keeps_the_real_gradient():
    # A bar on row 1, columns 2..7 (centroid x = 4.5).
    p = np.zeros((3, 10), np.uint8)
    cur = p.copy()
    cur[1, 2:8] = 200
    boxes = np.array([[0, 0, 3, 2], [5, 0, 9, 2], [0, 0, 10, 3]], np.float64)
    assert check_blob(p, p, cur, boxes, 10, 0.0, 16).tolist() == [False, True, True]
    # Columns 0..4 valid: the bar is columns 2..4, centroid 3.0.
    for fn in (motion.diff3_blob_in_boxes, _core.diff3_blob_in_boxes):
        assert fn(p, p, cur, boxes, 10, 0.0, 16, valid=(0, 0, 5, 3)).tolist() == [True, False, True]
        # Columns 6..: the bar is columns 6, 7 (centroid 6.5).
        assert fn(p, p, cur, boxes, 10, 0.0, 16, valid=[6, 0, 99, 99]).tolist() == [False, True, True]
        # Row 1 excluded, an empty rectangle, one outside the image: nothing.
        for v in [(0, 2, 10, 3), (4, 0, 4, 3), (10, 0, 20, 3), (0, 3, 10, 3)]:
            assert not fn(p, p, cur, boxes, 10, 0.0, 16, valid=v).any(), v
        # None (explicitly) and a covering rectangle: the old answer.
        for v in [None, (0, 0, 10, 3), (0, 0, 10**30, 10**30)]:
            assert fn(p, p, cur, boxes, 10, 0.0, 16, valid=v).tolist() == [False, True, True]
    # The gradient reads neighbours outside `valid`: the edge at column 6 lifts the limit of
    # the lone change at column 5 (as in the full frame).
    cur = np.zeros((5, 10), np.uint8)
    cur[2, 5] = 100
    cur[2, 6] = 255
    p = np.zeros_like(cur)
    box = [[5, 2, 6, 3]]
    for m in (0, 16):
        assert motion.diff3_blob_in_boxes(p, p, cur, box, 50, 0.0, m, valid=(0, 0, 6, 5)).tolist() == [True]
        assert motion.diff3_blob_in_boxes(p, p, cur, box, 50, 0.5, m, valid=(0, 0, 6, 5)).tolist() == [False]


def test_blob_valid_numpy_ints_and_arrays():
    p2, p1, cur = frames(30, 41, 23, 0.1, 256)
    boxes = np.array([[0, 0, 41, 30], [2, 3, 12, 14], [30, 20, 40, 29], [-5, -5, 3, 3]], float)
    want = ref.diff3_blob_in_boxes(p2, p1, cur, boxes, 12.5, 0.5, 4, valid=(3, 2, 35, 27))
    for v in [(3, 2, 35, 27), [3, 2, 35, 27], (np.int64(3), np.uint8(2), np.int32(35), 27),
              np.array([3, 2, 35, 27]), np.array([3, 2, 35, 27], np.uint16)]:
        for fn in (motion.diff3_blob_in_boxes, _core.diff3_blob_in_boxes):
            np.testing.assert_array_equal(fn(p2, p1, cur, boxes, 12.5, 0.5, 4, valid=v), want)


@pytest.mark.parametrize("prefer", ["rust", "reference"])
def test_backend_diff3_blob_valid(prefer):
    p2, p1, cur = frames(30, 41, 17, 0.05, 256)
    v = (4, 3, 37, 26)
    mask = zeroed(ref.diff_mask3_edge(p2, p1, cur, 12.5, 0.5), v)
    cen = ref.blobs(mask).centroid
    boxes = np.array([[0, 0, 41, 30], [0, 0, 3, 30], [9, 9, 2, 2]]
                     + [[x - 1.5, y - 1.5, x + 1.5, y + 1.5] for x, y in cen[:6].tolist()])
    m = Motion(prefer)
    got = m.diff3_blob(p2, p1, cur, boxes, 12.5, 0.5, 10**6, valid=v)
    np.testing.assert_array_equal(got, full_frame_hits(mask, boxes))
    assert got[3:].all() and not got[1]
    np.testing.assert_array_equal(m.diff3_blob(p2, p1, cur, boxes, 12.5, 0.5, 3, valid=v),
                                  ref.blob_in_boxes_of_mask(mask, boxes, 3))


@pytest.mark.parametrize(
    "value,msg",
    [
        ("0123", r"got str"),
        ((0, 0, 4), r"got tuple"),
        ([0, 0, 4, 4, 4], r"got list"),
        ((0, 0, 4.0, 4), r"got tuple"),
        ((0, 0, True, 4), r"got tuple"),
        ((0, 0, "4", 4), r"got tuple"),
        (4, r"got int"),
        (np.array([0.0, 0, 4, 4]), r"got float64 \(4,\)"),
        (np.zeros((2, 2), np.int64), r"got int64 \(2, 2\)"),
    ],
)
def test_blob_bad_valid_type(value, msg):
    pattern = r"valid: expected None or a sequence of 4 ints \(x0, y0, x1, y1\), " + msg
    with pytest.raises(TypeError, match=pattern):
        motion.diff3_blob_in_boxes(G, G, G, B, 10, 0.5, valid=value)
    with pytest.raises(TypeError, match=r"valid: expected None or a sequence of 4 ints"):
        _core.diff3_blob_in_boxes(G, G, G, B, 10.0, 0.5, valid=value)


@pytest.mark.parametrize(
    "value,shown",
    [
        ((-1, 0, 4, 4), r"\(-1, 0, 4, 4\)"),
        ((0, -(10**30), 4, 4), r"\(0, -1000000000000000000000000000000, 4, 4\)"),
        ((5, 0, 4, 4), r"\(5, 0, 4, 4\)"),
        ((0, 5, 4, 4), r"\(0, 5, 4, 4\)"),
        ((10**31, 0, 10**30, 4), r"\(10000000000000000000000000000000, 0, 1000000000000000000000000000000, 4\)"),
    ],
)
def test_blob_bad_valid_value(value, shown):
    pattern = r"valid: expected 0 <= x0 <= x1 and 0 <= y0 <= y1, got " + shown
    with pytest.raises(ValueError, match=pattern):
        motion.diff3_blob_in_boxes(G, G, G, B, 10, 0.5, valid=value)
    with pytest.raises(ValueError, match=pattern):
        _core.diff3_blob_in_boxes(G, G, G, B, 10.0, 0.5, valid=value)
    with pytest.raises(ValueError, match="valid: expected 0 <= x0 <= x1"):
        ref.diff3_blob_in_boxes(G, G, G, B, 10, 0.5, valid=value)
