"""Block mean-pooling (anfang.motion.pool_mean) against numpy and scikit-image oracles."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from skimage.measure import block_reduce

from anfang import motion


def np_pool(img: np.ndarray, f: int) -> np.ndarray:
    """Independent oracle: integer block sums, round half up."""
    oh, ow = img.shape[0] // f, img.shape[1] // f
    blocks = img[: oh * f, : ow * f].astype(np.int64).reshape(oh, f, ow, f)
    s = blocks.sum(axis=(1, 3))
    return ((s + (f * f) // 2) // (f * f)).astype(np.uint8)


@settings(max_examples=60, deadline=None)
@given(h=st.integers(0, 40), w=st.integers(0, 40), f=st.integers(1, 7),
       fill=st.sampled_from(["random", "zeros", "full", "checker"]), seed=st.integers(0, 2**32 - 1))
def test_pool_matches_numpy(h, w, f, fill, seed):
    rng = np.random.default_rng(seed)
    if fill == "random":
        img = rng.integers(0, 256, (h, w), dtype=np.uint8)
    elif fill == "zeros":
        img = np.zeros((h, w), np.uint8)
    elif fill == "full":
        img = np.full((h, w), 255, np.uint8)
    else:
        img = ((np.indices((h, w)).sum(axis=0) % 2) * 255).astype(np.uint8)
    out = motion.pool_mean(img, f)
    assert out.dtype == np.uint8
    assert out.shape == (h // f, w // f)
    np.testing.assert_array_equal(out, np_pool(img, f))


def test_pool_matches_skimage_mean_within_rounding():
    img = np.random.default_rng(3).integers(0, 256, (64, 96), dtype=np.uint8)
    for f in (2, 3, 4, 8):
        ref = block_reduce(img.astype(np.float64), (f, f), np.mean)[: 64 // f, : 96 // f]
        out = motion.pool_mean(img, f).astype(np.float64)
        assert np.max(np.abs(out - ref)) <= 0.5 + 1e-9


def test_pool_factor_16_and_identity():
    img = np.random.default_rng(5).integers(0, 256, (33, 35), dtype=np.uint8)
    np.testing.assert_array_equal(motion.pool_mean(img, 1), img)
    assert motion.pool_mean(img, 16).shape == (2, 2)
    np.testing.assert_array_equal(motion.pool_mean(img, 16), np_pool(img, 16))


def test_pool_non_contiguous_view():
    img = np.random.default_rng(7).integers(0, 256, (40, 50), dtype=np.uint8)
    view = img[::2, 1::3]
    np.testing.assert_array_equal(motion.pool_mean(view, 2), np_pool(np.ascontiguousarray(view), 2))


def test_pool_reduces_noise():
    """Averaging 2x2 blocks halves independent noise (the reason to pool)."""
    rng = np.random.default_rng(11)
    a = np.clip(128 + rng.normal(0, 8, (200, 200)), 0, 255).astype(np.uint8)
    s1 = float(a.std())
    s2 = float(motion.pool_mean(a, 2).std())
    assert 0.4 < s2 / s1 < 0.6


@pytest.mark.parametrize("bad, err, msg", [
    (np.zeros((4, 4), np.float32), TypeError, "frame: expected uint8"),
    (np.zeros((4, 4, 3), np.uint8), TypeError, "frame: expected uint8 (H, W)"),
    (np.zeros(4, np.uint8), TypeError, "frame: expected uint8"),
])
def test_pool_bad_frame(bad, err, msg):
    with pytest.raises(err, match=msg.replace("(", r"\(").replace(")", r"\)")):
        motion.pool_mean(bad, 2)


@pytest.mark.parametrize("f, err", [(0, ValueError), (17, ValueError), (2.0, TypeError),
                                    (True, TypeError), (-1, ValueError)])
def test_pool_bad_factor(f, err):
    with pytest.raises(err, match="factor"):
        motion.pool_mean(np.zeros((4, 4), np.uint8), f)


def np_box(img: np.ndarray, k: int) -> np.ndarray:
    """Independent oracle: explicit sum of the k*k shifted views, round half up."""
    h, w = img.shape
    oh, ow = max(h - k + 1, 0), max(w - k + 1, 0)
    s = np.zeros((oh, ow), np.int64)
    for a in range(k):
        for b in range(k):
            s += img[a:a + oh, b:b + ow]
    return ((s + (k * k) // 2) // (k * k)).astype(np.uint8)


@settings(max_examples=60, deadline=None)
@given(h=st.integers(0, 40), w=st.integers(0, 40), k=st.integers(1, 6),
       fill=st.sampled_from(["random", "zeros", "full"]), seed=st.integers(0, 2**32 - 1))
def test_box_matches_numpy(h, w, k, fill, seed):
    rng = np.random.default_rng(seed)
    img = {"random": lambda: rng.integers(0, 256, (h, w), dtype=np.uint8),
           "zeros": lambda: np.zeros((h, w), np.uint8),
           "full": lambda: np.full((h, w), 255, np.uint8)}[fill]()
    out = motion.box_mean(img, k)
    assert out.shape == (max(h - k + 1, 0), max(w - k + 1, 0))
    np.testing.assert_array_equal(out, np_box(img, k))


def test_box_matches_scipy_uniform_filter_within_rounding():
    from scipy.ndimage import uniform_filter

    img = np.random.default_rng(2).integers(0, 256, (50, 70), dtype=np.uint8)
    ref = uniform_filter(img.astype(np.float64), size=2, origin=(-1, -1))[:49, :69]
    assert np.max(np.abs(motion.box_mean(img, 2).astype(np.float64) - ref)) <= 0.5 + 1e-9


def test_box_bad_args():
    with pytest.raises(TypeError, match="frame: expected uint8"):
        motion.box_mean(np.zeros((4, 4, 3), np.uint8), 2)
    with pytest.raises(ValueError, match="size"):
        motion.box_mean(np.zeros((4, 4), np.uint8), 0)
