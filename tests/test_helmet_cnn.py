"""Numpy CNN kernels and the crop resize against independent oracles."""

from __future__ import annotations

import cv2  # opencv-python-headless, a dev dependency like scipy: an oracle, never skipped
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import correlate2d

from anfang.helmet import _cnn
from anfang.helmet._resize import resample_matrix, resize_rgb



def conv_oracle(x, w, b):
    """Per image, per output channel: sum over input channels of scipy's 2-D correlation."""
    n, h, wd, cin = x.shape
    cout = w.shape[0]
    out = np.zeros((n, h, wd, cout), np.float64)
    for i in range(n):
        for o in range(cout):
            acc = np.full((h, wd), float(b[o]))
            for c in range(cin):
                acc += correlate2d(x[i, :, :, c].astype(np.float64), w[o, c].astype(np.float64),
                                   mode="same", boundary="fill", fillvalue=0)
            out[i, :, :, o] = acc
    return out


def pool_oracle(x):
    n, h, w, c = x.shape
    out = np.zeros((n, h // 2, w // 2, c), x.dtype)
    for i in range(h // 2):
        for j in range(w // 2):
            out[:, i, j, :] = x[:, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2, :].max(axis=(1, 2))
    return out


def test_conv_hand_computed():
    # a single 1 at (1, 1) spreads the flipped kernel around it; the rest of the map is the bias
    x = np.zeros((1, 3, 3, 1), np.float32)
    x[0, 1, 1, 0] = 1.0
    w = np.arange(1, 10, dtype=np.float32).reshape(1, 1, 3, 3)
    got = _cnn.conv3x3(x, w, np.array([0.5], np.float32))[0, :, :, 0]
    np.testing.assert_array_equal(got, np.array([[9, 8, 7], [6, 5, 4], [3, 2, 1]], np.float32) + 0.5)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(0, 2),
    h=st.integers(1, 7),
    w=st.integers(1, 7),
    cin=st.sampled_from([1, 3, 5]),
    cout=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_conv_matches_scipy(n, h, w, cin, cout, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, h, w, cin)).astype(np.float32)
    wt = rng.standard_normal((cout, cin, 3, 3)).astype(np.float32)
    b = rng.standard_normal(cout).astype(np.float32)
    got = _cnn.conv3x3(x, wt, b)
    assert got.shape == (n, h, w, cout) and got.dtype == np.float32
    np.testing.assert_allclose(got, conv_oracle(x, wt, b), rtol=1e-4, atol=1e-4)


def test_conv_rejects_wrong_weight_shape():
    with pytest.raises(ValueError, match="weight: expected shape"):
        _cnn.conv3x3(np.zeros((1, 4, 4, 3), np.float32), np.zeros((2, 2, 3, 3), np.float32), np.zeros(2))


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 2), h=st.integers(1, 9), w=st.integers(1, 9), c=st.integers(1, 3),
       seed=st.integers(0, 2**16))
def test_maxpool_matches_loops(n, h, w, c, seed):
    x = np.random.default_rng(seed).standard_normal((n, h, w, c)).astype(np.float32)
    got = _cnn.maxpool2(x)
    assert got.shape == (n, h // 2, w // 2, c)
    np.testing.assert_array_equal(got, pool_oracle(x))


def test_maxpool_hand_computed():
    x = np.array([[1, 5, 2], [3, 0, 9], [7, 7, 7]], np.float32).reshape(1, 3, 3, 1)
    np.testing.assert_array_equal(_cnn.maxpool2(x)[0, :, :, 0], [[5.0]])


def test_gap_dense_sigmoid():
    x = np.arange(8, dtype=np.float32).reshape(1, 2, 2, 2)  # channel 0: 0,2,4,6; channel 1: 1,3,5,7
    np.testing.assert_allclose(_cnn.global_avg_pool(x), [[3.0, 4.0]])
    np.testing.assert_allclose(_cnn.dense(np.array([[3.0, 4.0]], np.float32),
                                          np.array([[1.0, -0.5]], np.float32), np.array([0.25], np.float32)),
                               [[1.25]])
    z = np.array([-800.0, -1.0, 0.0, 2.0, 800.0])
    np.testing.assert_allclose(_cnn.sigmoid(z), [0.0, 1 / (1 + np.e), 0.5, 1 / (1 + np.exp(-2.0)), 1.0])


def test_forward_logits_hand_computed():
    # 1 conv (identity kernel on one channel, bias -1) -> ReLU -> pool -> GAP -> dense x2 + 1
    x = np.array([[0, 3], [2, 1]], np.float32).reshape(1, 2, 2, 1)
    w = np.zeros((1, 1, 3, 3), np.float32)
    w[0, 0, 1, 1] = 1.0
    z = _cnn.forward_logits(x, [(w, np.array([-1.0], np.float32), True)],
                            np.array([[2.0]], np.float32), np.array([1.0], np.float32))
    np.testing.assert_allclose(z, [2 * (3 - 1) + 1])


# ------------------------------------------------------------------ resize

def test_resample_matrix_rows_sum_to_one():
    for n_in, n_out in [(1, 1), (1, 5), (7, 3), (3, 7), (32, 32), (100, 32), (5, 32)]:
        m = resample_matrix(n_in, n_out)
        assert m.shape == (n_out, n_in)
        np.testing.assert_allclose(m.sum(axis=1), 1.0, atol=1e-6)
        assert (m >= 0).all()


def test_resample_matrix_rejects_zero():
    with pytest.raises(ValueError, match="sizes >= 1"):
        resample_matrix(0, 3)


@settings(max_examples=25, deadline=None)
@given(h=st.integers(32, 90), w=st.integers(32, 90), seed=st.integers(0, 2**16))
def test_resize_down_matches_opencv_area(h, w, seed):
    img = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    ref = cv2.resize(img.astype(np.float32), (32, 32), interpolation=cv2.INTER_AREA)
    got = resize_rgb(img, 32, 32)
    assert got.shape == (32, 32, 3) and got.dtype == np.float32
    np.testing.assert_allclose(got, ref, atol=2e-3)


@settings(max_examples=25, deadline=None)
@given(h=st.integers(2, 31), w=st.integers(2, 31), seed=st.integers(0, 2**16))
def test_resize_up_matches_opencv_linear(h, w, seed):
    img = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    ref = cv2.resize(img.astype(np.float32), (32, 32), interpolation=cv2.INTER_LINEAR)
    np.testing.assert_allclose(resize_rgb(img, 32, 32), ref, atol=2e-3)


def test_resize_constant_and_1x1():
    img = np.full((1, 1, 3), 200, np.uint8)
    np.testing.assert_array_equal(resize_rgb(img, 32, 32), np.full((32, 32, 3), 200, np.float32))
    img = np.full((57, 13, 3), 7, np.uint8)
    np.testing.assert_allclose(resize_rgb(img, 32, 32), 7.0, atol=1e-4)
