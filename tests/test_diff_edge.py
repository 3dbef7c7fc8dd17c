"""anfang.motion.diff_mask3_edge: edge-aware three-frame difference against a numpy oracle."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anfang import _core, motion


def oracle(p2: np.ndarray, p1: np.ndarray, cur: np.ndarray, t: float, k: float) -> np.ndarray:
    """The definition in numpy: int16 differences, 4-neighbour max from np.diff, float64 limit."""
    c = cur.astype(np.int16)
    g = np.zeros(c.shape, np.int16)
    dx = np.abs(np.diff(c, axis=1))  # |c[y, x+1] - c[y, x]|, shared by both pixels of the pair
    g[:, :-1] = np.maximum(g[:, :-1], dx)
    g[:, 1:] = np.maximum(g[:, 1:], dx)
    dy = np.abs(np.diff(c, axis=0))
    g[:-1, :] = np.maximum(g[:-1, :], dy)
    g[1:, :] = np.maximum(g[1:, :], dy)
    lim = np.float64(t) + np.float64(k) * g.astype(np.float64)
    d1 = np.abs(c - p1.astype(np.int16))
    d2 = np.abs(c - p2.astype(np.int16))
    return (d1 > lim) & (d2 > lim)


def frames(h: int, w: int, seed: int, density: float, levels: int) -> tuple[np.ndarray, ...]:
    """A quantised scene (strong edges, many exact ties) and two earlier frames that differ
    from it at about ``density`` of the pixels."""
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


shapes = st.one_of(
    st.sampled_from([(1, 1), (1, 9), (9, 1), (0, 5), (5, 0), (0, 0), (2, 2), (3, 7), (7, 3)]),
    st.tuples(st.integers(0, 24), st.integers(0, 40)),
)
thresholds = st.one_of(
    st.integers(0, 255).map(float),
    st.floats(0, 300, allow_nan=False),
    st.sampled_from([0.5, 10.25, 19.999, 254.5, 255.0]),
)
edge_ks = st.sampled_from([0.0, 0.3, 0.5, 1.7])


@settings(max_examples=60, deadline=None)
@given(
    shape=shapes,
    seed=st.integers(0, 2**32 - 1),
    density=st.sampled_from([0.0, 0.05, 0.5, 1.0]),
    levels=st.sampled_from([2, 3, 9, 256]),
    t=thresholds,
    k=edge_ks,
)
def test_matches_numpy_oracle(shape, seed, density, levels, t, k):
    p2, p1, cur = frames(*shape, seed, density, levels)
    got = motion.diff_mask3_edge(p2, p1, cur, t, k)
    assert got.dtype == np.bool_ and got.shape == shape
    np.testing.assert_array_equal(got, oracle(p2, p1, cur, t, k))


@settings(max_examples=40, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**32 - 1), t=st.integers(0, 255), levels=st.sampled_from([2, 9, 256]))
def test_edge_k_zero_equals_diff_mask3(shape, seed, t, levels):
    p2, p1, cur = frames(*shape, seed, 0.5, levels)
    want = motion.diff_mask3(p1, cur, p2, t)
    np.testing.assert_array_equal(motion.diff_mask3_edge(p2, p1, cur, t, 0.0), want)
    np.testing.assert_array_equal(motion.diff_mask3_edge(p2, p1, cur, float(t), 0), want)


@pytest.mark.parametrize("k", [0.0, 0.3, 0.5, 1.7])
@pytest.mark.parametrize("shape", [(241, 323), (1, 1000), (1000, 1)])
def test_larger_odd_frames(shape, k):
    p2, p1, cur = frames(*shape, 7, 0.3, 256)
    np.testing.assert_array_equal(motion.diff_mask3_edge(p2, p1, cur, 12.5, k), oracle(p2, p1, cur, 12.5, k))


@pytest.mark.parametrize("w", [31, 32, 33, 63, 64, 65, 97])
@pytest.mark.parametrize("k", [1.0, 1.7])
def test_lone_changes_at_block_borders(w, k):
    # The kernel works in blocks of 32 pixels and computes gradients only where some pixel can
    # fire: single changed pixels next to block borders need neighbours from the next block.
    # cur takes 100, 130 or 160 (G in {0, 30, 60}), changed pixels differ by 100: whether they
    # fire depends on G.
    rng = np.random.default_rng(w)
    cur = (100 + 30 * rng.integers(0, 3, (3, w))).astype(np.uint8)
    xs = sorted({0, 30, 31, 32, 33, 63, 64, w - 1} & set(range(w)))
    cur[1, xs[-1] - 1 : xs[-1] + 1] = (100, 160)  # at least one changed pixel with G >= 60
    p = cur.copy()
    p[1, xs] -= 100
    p[0, xs[::2]] -= 100
    got = motion.diff_mask3_edge(p, p, cur, 40, k)
    np.testing.assert_array_equal(got, oracle(p, p, cur, 40, k))
    changed = p != cur
    np.testing.assert_array_equal(motion.diff_mask3_edge(p, p, cur, 40, 0.0), changed)
    assert got.any() and (got != changed).any()  # some changes pass, the gradient stops others


def test_shaken_edge_suppressed_object_kept():
    # A vertical step edge shifted right by one pixel between frames (shake) and a 3x3 dark
    # square on the flat bright side. Expected values worked out by hand from the definition.
    p = np.zeros((7, 10), np.uint8)
    p[:, 3:] = 200
    cur = np.zeros((7, 10), np.uint8)
    cur[:, 4:] = 200
    cur[2:5, 6:9] = 50
    plain = motion.diff_mask3_edge(p, p, cur, 20, 0.0)
    assert plain[:, 3].all()  # the moved edge: |0 - 200| = 200 > 20
    assert plain[2:5, 6:9].all()
    assert plain.sum() == 7 + 9
    edge = motion.diff_mask3_edge(p, p, cur, 20, 1.0)
    # Column 3: d = 200, G = 200 (its right neighbour is 200) -> limit 220: suppressed.
    assert not edge[:, 3].any()
    # Only the square's centre has G = 0 (limit 20 < 150); its border pixels have G = 150.
    want = np.zeros_like(edge)
    want[3, 7] = True
    np.testing.assert_array_equal(edge, want)


def test_one_by_one_uses_plain_threshold():
    a = np.array([[0]], np.uint8)
    b = np.array([[30]], np.uint8)
    assert motion.diff_mask3_edge(a, a, b, 29.5, 1.7)[0, 0]
    assert not motion.diff_mask3_edge(a, a, b, 30.0, 1.7)[0, 0]


def test_both_differences_must_exceed():
    cur = np.full((3, 4), 100, np.uint8)
    far = np.full((3, 4), 0, np.uint8)
    near = np.full((3, 4), 95, np.uint8)
    assert motion.diff_mask3_edge(far, far, cur, 10, 0.5).all()
    assert not motion.diff_mask3_edge(far, near, cur, 10, 0.5).any()
    assert not motion.diff_mask3_edge(near, far, cur, 10, 0.5).any()


def test_all_on_all_off_and_huge_limits():
    z = np.zeros((5, 6), np.uint8)
    f = np.full((5, 6), 255, np.uint8)
    assert motion.diff_mask3_edge(z, z, f, 0, 1.7).all()
    assert motion.diff_mask3_edge(z, z, f, 254.9, 1.7).all()
    assert not motion.diff_mask3_edge(z, z, f, 255, 0.0).any()
    assert not motion.diff_mask3_edge(z, z, z, 0, 0.0).any()
    assert not motion.diff_mask3_edge(z, z, f, 1e300, 0.0).any()
    cur = f.copy()
    cur[0, 0] = 0  # creates gradients; edge_k huge silences exactly the pixels with G > 0
    got = motion.diff_mask3_edge(z, z, cur, 0, 1e300)
    np.testing.assert_array_equal(got, oracle(z, z, cur, 0, 1e300))
    assert not got[0, 1] and not got[1, 0] and got[2, 2]


@pytest.mark.parametrize("k", [0.0, 0.5, 1.7])
def test_fortran_and_strided_views(k):
    p2, p1, cur = frames(40, 60, 3, 0.4, 9)
    want = oracle(p2, p1, cur, 9.5, k)
    fort = [np.asfortranarray(a) for a in (p2, p1, cur)]
    assert not fort[0].flags.c_contiguous
    np.testing.assert_array_equal(motion.diff_mask3_edge(*fort, 9.5, k), want)
    big = [np.repeat(np.repeat(a, 2, axis=0), 3, axis=1) for a in (p2, p1, cur)]
    views = [b[::2, ::3] for b in big]
    np.testing.assert_array_equal(views[0], p2)
    np.testing.assert_array_equal(motion.diff_mask3_edge(*views, 9.5, k), want)
    flipped = [a[::-1, ::-1] for a in (p2, p1, cur)]
    np.testing.assert_array_equal(
        motion.diff_mask3_edge(*flipped, 9.5, k), oracle(*[a.copy() for a in flipped], 9.5, k)
    )
    # The same through the compiled function directly (its own non-contiguous path).
    np.testing.assert_array_equal(_core.diff_mask3_edge(*fort, 9.5, k), want)
    np.testing.assert_array_equal(_core.diff_mask3_edge(*views, 9.5, k), want)


def test_inputs_not_modified():
    p2, p1, cur = frames(9, 11, 5, 0.5, 256)
    copies = [a.copy() for a in (p2, p1, cur)]
    motion.diff_mask3_edge(p2, p1, cur, 3, 0.5)
    for a, b in zip((p2, p1, cur), copies):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("shape", [(0, 7), (7, 0), (0, 0)])
def test_empty_shapes(shape):
    e = np.zeros(shape, np.uint8)
    for fn in (motion.diff_mask3_edge, _core.diff_mask3_edge):
        m = fn(e, e, e, 1.5, 0.5)
        assert m.shape == shape and m.dtype == np.bool_


G = np.zeros((6, 8), np.uint8)


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
        motion.diff_mask3_edge(*args, 10, 0.5)


@pytest.mark.parametrize("pos,name", [(0, "p2"), (1, "p1")])
def test_shape_mismatch_names_both_shapes(pos, name):
    args = [G, G, G]
    args[pos] = np.zeros((6, 9), np.uint8)
    pattern = rf"{name}: expected the shape of cur \(6, 8\), got \(6, 9\)"
    with pytest.raises(ValueError, match=pattern):
        motion.diff_mask3_edge(*args, 10, 0.5)
    with pytest.raises(ValueError, match=pattern):
        _core.diff_mask3_edge(*args, 10.0, 0.5)
    args = [G, G, np.zeros((7, 8), np.uint8)]
    with pytest.raises(ValueError, match=r"p2: expected the shape of cur \(7, 8\), got \(6, 8\)"):
        motion.diff_mask3_edge(*args, 10, 0.5)


@pytest.mark.parametrize("name", ["threshold", "edge_k"])
@pytest.mark.parametrize(
    "value,exc",
    [(-1, ValueError), (-0.001, ValueError), (float("nan"), ValueError), (float("inf"), ValueError),
     (10**400, ValueError), (True, TypeError), ("5", TypeError), (None, TypeError)],
)
def test_bad_numbers_name_the_argument(name, value, exc):
    kw = {"threshold": 10.0, "edge_k": 0.5, name: value}
    with pytest.raises(exc, match=name):
        motion.diff_mask3_edge(G, G, G, **kw)


@pytest.mark.parametrize("name", ["threshold", "edge_k"])
@pytest.mark.parametrize("value", [-1.0, float("nan"), float("-inf"), float("inf")])
def test_core_rejects_bad_numbers(name, value):
    kw = {"threshold": 10.0, "edge_k": 0.5, name: value}
    with pytest.raises(ValueError, match=rf"{name}: expected a finite number >= 0"):
        _core.diff_mask3_edge(G, G, G, **kw)


def test_core_rejects_bad_frames():
    with pytest.raises(TypeError, match=r"p1: expected uint8 \(H, W\), got uint8 \(6, 8, 3\)"):
        _core.diff_mask3_edge(G, np.zeros((6, 8, 3), np.uint8), G, 1.0, 0.0)
    with pytest.raises(TypeError):
        _core.diff_mask3_edge(G, G, np.zeros((6, 8)), 1.0, 0.0)


def test_numpy_scalars_accepted():
    p2, p1, cur = frames(8, 9, 11, 0.5, 256)
    got = motion.diff_mask3_edge(p2, p1, cur, np.float32(7.5), np.int64(1))
    np.testing.assert_array_equal(got, oracle(p2, p1, cur, 7.5, 1.0))
