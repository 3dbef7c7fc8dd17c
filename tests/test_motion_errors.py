"""Bad input: clear TypeError/ValueError naming the argument, or correct results."""

from __future__ import annotations

import numpy as np
import pytest

from anfang import _core, motion

G = np.zeros((6, 8), np.uint8)
M = np.zeros((6, 8), bool)


@pytest.mark.parametrize(
    "bad,exc,msg",
    [
        (np.zeros((6, 8), np.float64), TypeError, r"prev: expected uint8 \(H, W\) or \(H, W, 3\), got float64 \(6, 8\)"),
        (np.zeros((6, 8, 4), np.uint8), TypeError, r"prev: expected .* got uint8 \(6, 8, 4\)"),
        (np.zeros(8, np.uint8), TypeError, r"prev: expected .* got uint8 \(8,\)"),
        (np.zeros((2, 6, 8), np.uint8), TypeError, r"prev: .*\(2, 6, 8\)"),
        ([[1, 2]], TypeError, r"prev: expected a numpy uint8 array .* got list"),
    ],
)
def test_bad_frames(bad, exc, msg):
    for fn in (
        lambda p: motion.diff_mask(p, G, 10),
        lambda p: motion.diff_mask3(p, G, G, 10),
        lambda p: motion.blobs(p, G, 10),
        lambda p: motion.estimate_shift(p, G),
        lambda p: motion.MotionStage(10)(p, G),
    ):
        with pytest.raises(exc, match=msg):
            fn(bad)


def test_mismatched_shapes():
    with pytest.raises(ValueError, match=r"cur: expected the shape of prev \(6, 8\), got \(6, 9\)"):
        motion.diff_mask(G, np.zeros((6, 9), np.uint8), 3)
    with pytest.raises(ValueError, match=r"nxt: expected the shape of prev"):
        motion.diff_mask3(G, G, np.zeros((6, 8, 3), np.uint8), 3)
    with pytest.raises(ValueError, match="cur"):
        motion.blobs(G, np.zeros((7, 8), np.uint8), 3)
    with pytest.raises(ValueError, match="cur"):
        motion.estimate_shift(G, np.zeros((7, 8), np.uint8))


@pytest.mark.parametrize("t,exc", [(-1, ValueError), (256, ValueError), (3.5, TypeError), (True, TypeError), ("5", TypeError)])
def test_threshold_range(t, exc):
    with pytest.raises(exc, match="threshold"):
        motion.diff_mask(G, G, t)
    with pytest.raises(exc, match="threshold"):
        motion.blobs(G, G, t)


def test_numpy_integer_threshold_ok():
    assert not motion.diff_mask(G, G, np.uint8(3)).any()


def test_bad_masks_and_sizes():
    with pytest.raises(TypeError, match=r"mask: expected a bool array \(H, W\), got uint8 \(6, 8\)"):
        motion.erode(G)
    with pytest.raises(TypeError, match=r"mask: .*got bool \(6, 8, 1\)"):
        motion.label(M[..., None])
    for size in (0, 2, -3):
        with pytest.raises(ValueError, match=r"size: expected an odd integer >= 1"):
            motion.dilate(M, size)
    with pytest.raises(ValueError, match=r"connectivity: expected 4 or 8, got 6"):
        motion.label(M, 6)
    with pytest.raises(ValueError, match="open_size"):
        motion.blobs(G, G, 3, open_size=4)
    with pytest.raises(ValueError, match="min_area"):
        motion.blobs(G, G, 3, min_area=-1)
    with pytest.raises(ValueError, match="max_area"):
        motion.blobs(G, G, 3, min_area=5, max_area=4)


def test_core_layer_also_validates():
    # Direct calls into the compiled module never reach a panic.
    with pytest.raises(TypeError):
        _core.diff_mask(np.zeros((3, 3)), np.zeros((3, 3)), 1)
    with pytest.raises(TypeError, match="prev"):
        _core.diff_mask(np.zeros((3, 3, 2), np.uint8), np.zeros((3, 3, 2), np.uint8), 1)
    with pytest.raises(ValueError, match="cur"):
        _core.diff_mask(np.zeros((3, 3), np.uint8), np.zeros((3, 4), np.uint8), 1)
    with pytest.raises(ValueError, match="threshold"):
        _core.blobs(np.zeros((3, 3), np.uint8), np.zeros((3, 3), np.uint8), 999)
    with pytest.raises(ValueError, match="size"):
        _core.erode(np.zeros((3, 3), bool), 4)
    with pytest.raises(ValueError, match="connectivity"):
        _core.label(np.zeros((3, 3), bool), 5)
    with pytest.raises(ValueError, match="frame"):
        sd = _core.SigmaDelta()
        sd.apply(np.zeros((3, 3), np.uint8))
        sd.apply(np.zeros((3, 4), np.uint8))
    with pytest.raises(ValueError, match="mask"):
        _core.DualBackground().hold(np.zeros((3, 3), bool))
    with pytest.raises(ValueError, match="dx"):
        _core.shift_frame(np.zeros((3, 3), np.uint8), float("nan"), 0.0)


def test_non_contiguous_views_work():
    rng = np.random.default_rng(0)
    big = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    big2 = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    views = [
        (big[::2, ::3], big2[::2, ::3]),
        (big[..., 1], big2[..., 1]),
        (big[:, :, 0].T, big2[:, :, 0].T),
        (np.asfortranarray(big[..., 0]), np.asfortranarray(big2[..., 0])),  # F-contiguous
    ]
    for a, b in views:
        assert not a.flags.c_contiguous
        np.testing.assert_array_equal(motion.diff_mask(a, b, 50), motion.diff_mask(a.copy(), b.copy(), 50))
        got = motion.blobs(a, b, 50, open_size=1)
        want = motion.blobs(a.copy(), b.copy(), 50, open_size=1)
        np.testing.assert_array_equal(got.bbox, want.bbox)
        assert motion.estimate_shift(a, b) == motion.estimate_shift(a.copy(), b.copy())
    m = rng.random((30, 50)) < 0.5
    for v in (m[::2], m.T, np.asfortranarray(m), m[:, ::-1]):
        np.testing.assert_array_equal(motion.opening(v), motion.opening(v.copy()))
        np.testing.assert_array_equal(motion.label(v)[0], motion.label(v.copy())[0])
    sd1, sd2 = motion.SigmaDelta(), motion.SigmaDelta()
    for k in range(3):
        f = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
        np.testing.assert_array_equal(sd1.apply(f[:, ::-1]), sd2.apply(f[:, ::-1].copy()))


def test_zero_size_inputs_return_empty():
    for shape in [(0, 5), (5, 0), (0, 0)]:
        e = np.zeros(shape, np.uint8)
        mask = motion.diff_mask(e, e, 3)
        assert mask.shape == shape and mask.dtype == np.bool_
        assert motion.diff_mask3(e, e, e, 3).shape == shape
        em = np.zeros(shape, bool)
        for fn in (motion.erode, motion.dilate, motion.opening, motion.closing):
            assert fn(em, 3).shape == shape
        labels, b = motion.label(em)
        assert labels.shape == shape and labels.dtype == np.int32 and len(b) == 0
        assert b.bbox.shape == (0, 4) and b.centroid.shape == (0, 2)
        assert len(motion.blobs(e, e, 3)) == 0
    # Background models and shift estimation need a real image.
    with pytest.raises(ValueError, match=r"frame: expected a non-empty image"):
        motion.SigmaDelta().apply(np.zeros((0, 4), np.uint8))
    with pytest.raises(ValueError, match="prev"):
        motion.estimate_shift(np.zeros((0, 4), np.uint8), np.zeros((0, 4), np.uint8))


@pytest.mark.parametrize("model", [motion.SigmaDelta, motion.RunningAverage, motion.DualBackground])
def test_models_reject_shape_change_and_bad_frames(model):
    m = model()
    m.apply(np.zeros((4, 5), np.uint8))
    with pytest.raises(ValueError, match=r"frame: expected shape \(4, 5\) \(the first frame\), got \(4, 5, 3\)"):
        m.apply(np.zeros((4, 5, 3), np.uint8))
    with pytest.raises(TypeError, match=r"frame: expected uint8 .*got int64"):
        m.apply(np.zeros((4, 5), np.int64))
    assert m.background is not None
    m.reset()
    assert m.background is None and m.frames == 0


def test_model_parameters_validated():
    with pytest.raises(ValueError, match="amplification"):
        motion.SigmaDelta(amplification=0)
    with pytest.raises(ValueError, match="update_period"):
        motion.SigmaDelta(update_period=0)
    with pytest.raises(ValueError, match="vmax"):
        motion.SigmaDelta(vmin=10, vmax=5)
    with pytest.raises(ValueError, match="alpha"):
        motion.RunningAverage(alpha=0)
    with pytest.raises(TypeError, match="alpha"):
        motion.RunningAverage(alpha="x")
    with pytest.raises(ValueError, match="threshold"):
        motion.RunningAverage(threshold=300)
    with pytest.raises(ValueError, match="long_period"):
        motion.DualBackground(long_period=1, short_period=4)
    with pytest.raises(ValueError, match="static_frames"):
        motion.DualBackground(static_frames=0)
    db = motion.DualBackground()
    with pytest.raises(ValueError, match="mask"):
        db.hold(np.zeros((3, 3), bool))  # no frame yet
    db.apply(np.zeros((3, 3), np.uint8))
    with pytest.raises(ValueError, match=r"mask: expected bool \(3, 3\), got bool \(3, 4\)"):
        db.hold(np.zeros((3, 4), bool))
    with pytest.raises(TypeError, match="mask"):
        db.release(np.zeros((3, 3), np.uint8))
