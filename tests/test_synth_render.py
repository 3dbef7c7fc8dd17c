"""Property tests of the drawing primitives against independent oracles."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anfang.synth import _render as R

SETTINGS = settings(max_examples=40, deadline=None)


@SETTINGS
@given(h=st.integers(1, 40), w=st.integers(1, 40),
       x0=st.floats(-10, 50), y0=st.floats(-10, 50), dw=st.floats(0.01, 30), dh=st.floats(0.01, 30))
def test_rect_coverage_is_the_exact_clipped_area(h, w, x0, y0, dw, dh):
    img = np.zeros((h, w), np.float32)
    box = R.rect(img, x0, y0, x0 + dw, y0 + dh, color=1.0, alpha=1.0)
    cw = max(0.0, min(x0 + dw, w) - max(x0, 0))
    ch = max(0.0, min(y0 + dh, h) - max(y0, 0))
    assert img.sum() == pytest.approx(cw * ch, rel=1e-4, abs=1e-3)
    if cw * ch > 0:
        assert box == pytest.approx((max(x0, 0), max(y0, 0), min(x0 + dw, w), min(y0 + dh, h)))
        ii, jj = np.nonzero(img)
        assert np.all(jj + 1 > box[0]) and np.all(jj < box[2])
        assert np.all(ii + 1 > box[1]) and np.all(ii < box[3])


@SETTINGS
@given(a=st.floats(1.0, 15), b=st.floats(1.0, 15), ang=st.floats(0, math.pi),
       cx=st.floats(-5, 45), cy=st.floats(-5, 45))
def test_ellipse_paint_stays_in_box_and_area_matches(a, b, ang, cx, cy):
    img = np.zeros((40, 40), np.float32)
    box = R.ellipse(img, cx, cy, a, b, ang, color=1.0, alpha=1.0, ss=4)
    ii, jj = np.nonzero(img)
    if box is None:
        assert len(ii) == 0
        return
    assert np.all(jj + 1 > box[0]) and np.all(jj < box[2])
    assert np.all(ii + 1 > box[1]) and np.all(ii < box[3])
    inside = cx - a - b > 0 and cx + a + b < 40 and cy - a - b > 0 and cy + a + b < 40
    if inside:
        # 4x4 sub-sampling: area within a boundary band of the true area
        assert img.sum() == pytest.approx(math.pi * a * b, rel=0.2, abs=2.0)


def test_ellipse_matches_skimage_raster_for_a_large_disc():
    from skimage.draw import disk

    img = np.zeros((60, 60), np.float32)
    R.ellipse(img, 30.0, 30.0, 20.0, 20.0, 0.0, color=1.0, alpha=1.0, ss=1)
    ref = np.zeros((60, 60), bool)
    # skimage uses pixel centres at integer coords; ours are at +0.5
    rr, cc = disk((29.5, 29.5), 20.0, shape=ref.shape)
    ref[rr, cc] = True
    assert np.mean((img > 0.5) != ref) < 0.005


@SETTINGS
@given(dx=st.integers(-5, 5), dy=st.integers(-5, 5), h=st.integers(1, 20), w=st.integers(1, 20))
def test_integer_shift_equals_slicing(dx, dy, h, w):
    rng = np.random.default_rng(h * 31 + w)
    img = rng.random((h, w)).astype(np.float32)
    out = R.shift(img, float(dx), float(dy))
    ys = np.clip(np.arange(h) - dy, 0, h - 1)
    xs = np.clip(np.arange(w) - dx, 0, w - 1)
    assert np.allclose(out, img[ys][:, xs])


def test_block_quantise_against_a_loop_oracle():
    rng = np.random.default_rng(0)
    img = rng.uniform(0, 255, (20, 27)).astype(np.float64)
    out = R.block_quantise(img, 10.0)
    ref = img.copy()
    for by in range(0, 16, 8):
        for bx in range(0, 24, 8):
            blk = img[by:by + 8, bx:bx + 8]
            m = blk.mean()
            ref[by:by + 8, bx:bx + 8] = m + np.round((blk - m) / 10.0) * 10.0
    assert np.allclose(out, ref)
    assert np.array_equal(out[16:], img[16:]) and np.array_equal(out[:, 24:], img[:, 24:])


def test_timeline_repeats_and_drops():
    rng = np.random.default_rng(1)
    t, tc = R.timeline(rng, 30.0, 1.0, content_fps=10.0)
    assert len(t) == 30 and len(np.unique(tc)) == 10
    t, tc = R.timeline(np.random.default_rng(1), 25.0, 4.0, drop_prob=0.3)
    assert t[0] == 0.0 and len(t) < 100 and np.array_equal(t, tc)


def test_mp4_written_when_pyav_is_installed(tmp_path):
    pytest.importorskip("av")
    from anfang.synth import facade

    clip = facade(seed=1, size=(96, 64), fps=10.0, seconds=1.0, distractors="none")
    clip.save(tmp_path / "c", mp4=True)
    import av

    with av.open(str(tmp_path / "c" / "clip.mp4")) as c:
        n = sum(1 for _ in c.decode(video=0))
    assert n == 10
