"""anfang.motion.background_step: selective running-average update against a numpy float32 oracle."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anfang import _core, motion


def oracle(bg: np.ndarray, frame: np.ndarray, t: float, alpha: float, slow: float, k: float):
    """The definition in numpy float32: returns (new background, mask); ``bg`` is not touched."""
    B = bg.astype(np.float32)
    x = frame.astype(np.float32)
    d = np.abs(x - B)
    G = np.zeros(B.shape, np.float32)
    gx = np.abs(np.diff(B, axis=1))  # |B[y, x+1] - B[y, x]|, shared by both pixels of the pair
    G[:, :-1] = np.maximum(G[:, :-1], gx)
    G[:, 1:] = np.maximum(G[:, 1:], gx)
    gy = np.abs(np.diff(B, axis=0))
    G[:-1, :] = np.maximum(G[:-1, :], gy)
    G[1:, :] = np.maximum(G[1:, :], gy)
    fg = d > np.float32(t) + np.float32(k) * G
    B_new = B + np.where(fg, np.float32(slow * alpha), np.float32(alpha)) * (x - B)
    return B_new, fg


def check_step(bg, frame, t, alpha, slow, k):
    """One step of the kernel against the oracle: exact mask, bit-identical background."""
    want_bg, want_mask = oracle(bg, frame, t, alpha, slow, k)
    got = motion.background_step(bg, frame, t, alpha, slow, k)
    assert got.dtype == np.bool_ and got.shape == bg.shape
    np.testing.assert_array_equal(got, want_mask)
    assert bg.dtype == np.float32 and bg.flags.c_contiguous
    np.testing.assert_array_equal(bg.view(np.uint32), want_bg.view(np.uint32))


def scene(h: int, w: int, seed: int, kind: str) -> tuple[np.ndarray, list[np.ndarray]]:
    """A background (quantised: strong edges and exact ties with integer thresholds, or
    arbitrary float32 values) and three frames of the given kind."""
    rng = np.random.default_rng(seed)
    if rng.random() < 0.5:
        bg = (rng.integers(0, 6, (h, w)) * 50).astype(np.float32)
    else:
        bg = (rng.random((h, w)) * 255).astype(np.float32)
    frames = []
    for _ in range(3):
        if kind == "random":
            f = rng.integers(0, 256, (h, w))
        elif kind == "flat":
            f = np.full((h, w), rng.integers(0, 256))
        elif kind == "all-changed":
            f = np.where(bg < 128, 255, 0)
        else:  # "near": the background plus small noise, a few pixels changed strongly
            f = np.clip(np.rint(bg) + rng.integers(-12, 13, (h, w)), 0, 255)
            hit = rng.random((h, w)) < 0.1
            f[hit] = rng.integers(0, 256, int(hit.sum()))
        frames.append(f.astype(np.uint8))
    return bg, frames


shapes = st.one_of(
    st.sampled_from([(1, 1), (1, 9), (9, 1), (0, 5), (5, 0), (0, 0), (2, 2), (3, 7), (7, 3)]),
    st.tuples(st.integers(0, 23), st.integers(0, 41)),
)
thresholds = st.one_of(
    st.sampled_from([0.0, 10.0, 25.0, 50.0, 0.5, 12.25, 19.999, 254.5, 255.0]),
    st.floats(0, 300, allow_nan=False),
)


@settings(max_examples=60, deadline=None)
@given(
    shape=shapes,
    seed=st.integers(0, 2**32 - 1),
    kind=st.sampled_from(["random", "flat", "all-changed", "near"]),
    t=thresholds,
    alpha=st.one_of(st.sampled_from([1.0, 0.5, 0.05, 0.013]), st.floats(1e-4, 1.0)),
    slow=st.sampled_from([0.0, 0.1, 0.37, 1.0]),
    k=st.sampled_from([0.0, 0.3, 0.5, 1.7]),
)
def test_matches_numpy_oracle_over_steps(shape, seed, kind, t, alpha, slow, k):
    bg, frames = scene(*shape, seed, kind)
    for f in frames:  # state carried from step to step
        check_step(bg, f, t, alpha, slow, k)


@pytest.mark.parametrize("k", [0.0, 0.5, 1.7])
@pytest.mark.parametrize("shape", [(241, 323), (1, 1000), (1000, 1)])
def test_larger_odd_frames(shape, k):
    bg, frames = scene(*shape, 11, "near")
    for f in frames:
        check_step(bg, f, 12.5, 0.05, 0.1, k)


@pytest.mark.parametrize(
    "view",
    [
        lambda a: a[::2, ::3],
        lambda a: a[::-1, 1:],
        lambda a: np.asfortranarray(a[:9, :13]),
        lambda a: a[:13, :9].T,
    ],
)
@pytest.mark.parametrize("k", [0.0, 0.5])
def test_non_contiguous_frames(view, k):
    rng = np.random.default_rng(5)
    big = rng.integers(0, 256, (20, 30)).astype(np.uint8)
    f = view(big)
    assert not f.flags.c_contiguous
    bg = (rng.random(f.shape) * 255).astype(np.float32)
    check_step(bg, f, 20.0, 0.2, 0.1, k)


def test_selective_update_and_edge_by_hand():
    # Background: a step edge 0 | 200 over columns 0-1 | 2-5; the frame darkens pixel (0, 1)
    # by 60 next to the edge and pixel (0, 4) by 60 in the flat bright part.
    bg = np.array([[0, 0, 200, 200, 200, 200]], np.float32)
    frame = np.array([[0, 60, 200, 200, 140, 200]], np.uint8)
    b0 = bg.copy()
    m = motion.background_step(b0, frame, threshold=10, alpha=0.5, slow=0.0)
    assert m.tolist() == [[False, True, False, False, True, False]]
    assert b0.tolist() == bg.tolist()  # slow = 0: foreground frozen, the rest already equal
    # edge_k = 0.5: pixel 1 has G = 200 (limit 110 > 60), pixel 4 has G = 0 (limit 10).
    b1 = bg.copy()
    m = motion.background_step(b1, frame, threshold=10, alpha=0.5, slow=0.0, edge_k=0.5)
    assert m.tolist() == [[False, False, False, False, True, False]]
    assert b1.tolist() == [[0, 30, 200, 200, 200, 200]]
    # slow = 1: everything moves by alpha, mask still reported.
    b2 = bg.copy()
    m = motion.background_step(b2, frame, threshold=10, alpha=0.5, slow=1.0)
    assert m.sum() == 2
    assert b2.tolist() == [[0, 30, 200, 200, 170, 200]]
    # alpha = 1 on background pixels copies the frame exactly.
    b3 = bg.copy()
    motion.background_step(b3, frame, threshold=255, alpha=1.0)
    assert b3.tolist() == frame.astype(np.float32).tolist()


def test_gradient_uses_old_background_in_every_row():
    # Row 0 sits on an edge (G = 200, limit 110) and is not foreground (d = 100), so alpha = 1
    # moves it to 100 this step. Pixel (1, 0) must still see the OLD row 0: G = 200, limit 110,
    # d = 80 -> background. Against the updated row 0 it would get G = 100, limit 60 -> wrongly
    # foreground (and frozen by slow = 0).
    bg = np.array([[200, 200], [0, 0], [0, 0]], np.float32)
    frame = np.array([[100, 100], [80, 0], [0, 0]], np.uint8)
    want_bg, want_mask = oracle(bg, frame, 10, 1.0, 0.0, 0.5)
    m = motion.background_step(bg, frame, threshold=10, alpha=1.0, slow=0.0, edge_k=0.5)
    assert not m.any() and not want_mask.any()
    assert bg.tolist() == want_bg.tolist() == [[100, 100], [80, 0], [0, 0]]


def test_empty_shapes_return_empty_masks():
    for shape in [(0, 5), (5, 0), (0, 0)]:
        bg = np.zeros(shape, np.float32)
        m = motion.background_step(bg, np.zeros(shape, np.uint8), 10, 0.5, edge_k=1.0)
        assert m.shape == shape and m.dtype == np.bool_


def _good():
    return np.full((4, 5), 100, np.float32), np.zeros((4, 5), np.uint8)


def _ro_bg():
    a = np.full((4, 5), 100, np.float32)
    a.setflags(write=False)
    return a


@pytest.mark.parametrize("fn", [motion.background_step, _core.background_step])
@pytest.mark.parametrize(
    "make, kwargs, exc, pattern",
    [
        (lambda: (np.full((4, 5), 100.0), None), {}, TypeError, r"background: expected a float32 \(H, W\).*float64 \(4, 5\)"),
        (lambda: (np.full((4, 5, 1), 100, np.float32), None), {}, TypeError, r"background: .*float32 \(4, 5, 1\)"),
        (lambda: (np.full((4, 5), 100, np.uint8), None), {}, TypeError, r"background: expected a float32.*uint8"),
        (lambda: (np.asfortranarray(np.full((4, 5), 100, np.float32)), None), {}, ValueError, r"background: expected a C-contiguous"),
        (lambda: (np.full((4, 10), 100, np.float32)[:, ::2], None), {}, ValueError, r"background: expected a C-contiguous"),
        (lambda: (_ro_bg(), None), {}, ValueError, r"background: expected a writeable.*read-only"),
        (lambda: (None, np.zeros((5, 4), np.uint8)), {}, ValueError, r"frame: expected the shape of background \(4, 5\), got \(5, 4\)"),
        (lambda: (None, np.zeros((4, 5), np.float32)), {}, TypeError, r"frame: expected uint8 \(H, W\)"),
        (lambda: (None, np.zeros((4, 5, 3), np.uint8)), {}, TypeError, r"frame: expected uint8 \(H, W\)"),
        (lambda: (None, None), {"threshold": float("nan")}, ValueError, r"(?i)threshold: expected a finite number.*got nan"),
        (lambda: (None, None), {"threshold": -1.0}, ValueError, r"threshold: expected a finite number >= 0"),
        (lambda: (None, None), {"alpha": 0.0}, ValueError, r"alpha: expected a number in \(0, 1\], got 0"),
        (lambda: (None, None), {"alpha": 1.5}, ValueError, r"alpha: expected a number in \(0, 1\], got 1.5"),
        (lambda: (None, None), {"alpha": float("nan")}, ValueError, r"alpha: expected"),
        (lambda: (None, None), {"slow": -0.1}, ValueError, r"slow: expected a number in \[0, 1\]"),
        (lambda: (None, None), {"slow": 1.1}, ValueError, r"slow: expected a number in \[0, 1\]"),
        (lambda: (None, None), {"edge_k": float("inf")}, ValueError, r"edge_k: expected a finite number.*got inf"),
        (lambda: (None, None), {"edge_k": -0.5}, ValueError, r"edge_k: expected a finite number >= 0"),
    ],
)
def test_bad_input(fn, make, kwargs, exc, pattern):
    bg, frame = make()
    gbg, gframe = _good()
    bg = gbg if bg is None else bg
    frame = gframe if frame is None else frame
    before = bg.copy()
    args = {"threshold": 10.0, "alpha": 0.5, "slow": 0.1, "edge_k": 0.0} | kwargs
    with pytest.raises(exc, match=pattern):
        fn(bg, frame, **args)
    np.testing.assert_array_equal(bg, before)  # nothing written on error


def test_bad_python_types():
    bg, frame = _good()
    with pytest.raises(TypeError, match=r"background: expected a float32 \(H, W\) array, got list"):
        motion.background_step([[1.0]], frame, 10, 0.5)
    with pytest.raises(TypeError, match=r"alpha: expected a number, got str"):
        motion.background_step(bg, frame, 10, "0.5")
    with pytest.raises(ValueError, match=r"alpha: expected a number in \(0, 1\]"):
        motion.background_step(bg, frame, 10, 10**400)


def test_frame_sharing_background_memory_is_refused():
    bg = np.full((3, 8), 100, np.float32)
    frame = bg.view(np.uint8)[:, :8]  # bytes of the background itself
    with pytest.raises(ValueError, match=r"background: expected an array that shares no memory with frame"):
        motion.background_step(bg, frame, 10, 0.5)
    assert (bg == 100).all()
