"""Background models and shake estimation against numpy reference implementations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage as ndi

from anfang import motion
from anfang.frames import to_gray


class NpSigmaDelta:
    """Straight numpy transcription of the sigma-delta update (test oracle)."""

    def __init__(self, n=2, period=1, vmin=2, vmax=255):
        self.n, self.period, self.vmin, self.vmax = n, period, vmin, vmax
        self.m = self.v = None
        self.k = 0

    def apply(self, f, hold=None):
        f = f.astype(np.int32)
        if self.m is None:
            self.m = f.copy()
            self.v = np.full(f.shape, min(self.vmin, self.vmax), np.int32)
            self.k = 1
            return np.zeros(f.shape, bool)
        live = np.full(f.shape, self.k % self.period == 0)
        self.k += 1
        if hold is not None:
            live &= ~hold
        self.m = self.m + live * np.sign(f - self.m)
        d = np.abs(f - self.m)
        nd = np.minimum(d * self.n, 255)
        self.v = np.clip(self.v + live * np.sign(nd - self.v), self.vmin, self.vmax)
        return d > self.v


def sequence(shape, n, seed):
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, shape, dtype=np.uint8)
    out = []
    for _ in range(n):
        f = base.astype(np.int16) + rng.integers(-6, 7, shape)
        if rng.random() < 0.5:
            y, x = rng.integers(0, shape[0]), rng.integers(0, shape[1])
            f[y : y + 3, x : x + 3] += 90
        out.append(np.clip(f, 0, 255).astype(np.uint8))
    return out


@settings(max_examples=40, deadline=None)
@given(
    h=st.integers(1, 20),
    w=st.integers(1, 40),
    n=st.integers(1, 4),
    period=st.integers(1, 4),
    vmin=st.integers(0, 10),
    seed=st.integers(0, 2**31),
)
def test_sigma_delta_matches_numpy(h, w, n, period, vmin, seed):
    sd = motion.SigmaDelta(amplification=n, update_period=period, vmin=vmin, vmax=200)
    ref = NpSigmaDelta(n, period, vmin, 200)
    for f in sequence((h, w), 12, seed):
        np.testing.assert_array_equal(sd.apply(f), ref.apply(f))
    np.testing.assert_array_equal(sd.background, ref.m)
    np.testing.assert_array_equal(sd.variance, ref.v)
    assert sd.frames == 12


def test_sigma_delta_rgb_uses_luma_and_reset():
    frames = sequence((9, 11, 3), 6, 3)
    sd, ref = motion.SigmaDelta(), NpSigmaDelta()
    for f in frames:
        np.testing.assert_array_equal(sd.apply(f), ref.apply(to_gray(f)))
    sd.reset()
    assert sd.background is None and sd.frames == 0
    sd.apply(np.zeros((3, 3), np.uint8))  # any shape after reset
    with pytest.raises(ValueError, match="frame"):
        sd.apply(np.zeros((3, 4), np.uint8))


def test_running_average_matches_numpy():
    ra = motion.RunningAverage(alpha=0.25, threshold=12.5)
    b = None
    for f in sequence((10, 13), 10, 5):
        got = ra.apply(f)
        x = f.astype(np.float32)
        if b is None:
            b = x.copy()
            assert not got.any()
            continue
        d = x - b
        want = np.abs(d) > np.float32(12.5)
        clear = np.abs(np.abs(d) - 12.5) > 1e-3
        np.testing.assert_array_equal(got[clear], want[clear])
        b = b + np.float32(0.25) * d
    np.testing.assert_allclose(ra.background, b, atol=1e-3)
    assert ra.background.dtype == np.float32


def np_dual(frames, long_period, static_frames, hold_at=None, hold_mask=None):
    lt, sh = NpSigmaDelta(period=long_period), NpSigmaDelta(period=1)
    cnt = None
    hold = None
    outs = []
    for i, f in enumerate(frames):
        if hold_at is not None and i == hold_at:
            hold = hold_mask
        lf = lt.apply(f, hold)
        sf = sh.apply(f)
        if cnt is None:
            cnt = np.zeros(f.shape, np.int64)
        if i == 0:
            outs.append((sf, np.zeros(f.shape, bool)))
            continue
        cnt = np.where(lf & ~sf, np.minimum(cnt + 1, 65535), 0)
        outs.append((sf, cnt >= static_frames))
    return outs, lt, cnt


def test_dual_background_matches_numpy_with_hold():
    rng = np.random.default_rng(0)
    bg = rng.integers(40, 200, (12, 16), dtype=np.uint8)
    frames = [bg.copy() for _ in range(5)]
    obj = bg.copy()
    obj[3:7, 4:9] = 250
    frames += [obj.copy() for _ in range(150)]
    hold = np.zeros(bg.shape, bool)
    hold[2:8, 3:10] = True
    db = motion.DualBackground(long_period=8, static_frames=20)
    want, lt, cnt = np_dual(frames, 8, 20, hold_at=40, hold_mask=hold)
    for i, f in enumerate(frames):
        if i == 40:
            db.hold(hold)
        mv, stc = db.apply(f)
        np.testing.assert_array_equal(mv, want[i][0], err_msg=f"moving {i}")
        np.testing.assert_array_equal(stc, want[i][1], err_msg=f"static {i}")
    np.testing.assert_array_equal(db.background, lt.m)
    np.testing.assert_array_equal(db.evidence, cnt)
    # The held object is static and was never absorbed by the long-term model.
    assert stc[3:7, 4:9].all() and not stc[~hold].any()
    assert (db.background[3:7, 4:9] < 250).all()
    np.testing.assert_array_equal(db.held, hold)
    db.release(hold)
    assert not db.held.any()


def test_dual_background_unheld_object_is_absorbed():
    bg = np.full((6, 6), 60, np.uint8)
    obj = bg.copy()
    obj[2:4, 2:4] = 120
    db = motion.DualBackground(long_period=2, static_frames=5)
    for _ in range(3):
        db.apply(bg)
    seen = False
    for _ in range(400):
        mv, stc = db.apply(obj)
        seen |= bool(stc.any())
    assert seen  # was static for a while
    assert not stc.any()  # then absorbed by the long-term model
    assert (db.background[2:4, 2:4] == 120).all()


# ----------------------------------------------------------------------------- shake


def scene(h, w, dx, dy, seed=0):
    """A smooth random texture sampled at (x - dx, y - dy): an exact sub-pixel shift."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    x, y = x - dx, y - dy
    img = np.zeros((h, w))
    for _ in range(12):
        fx, fy = rng.uniform(-0.12, 0.12, 2)
        img += np.sin(fx * x + fy * y + rng.uniform(0, 6.3))
    return img


def to_u8(img, noise, seed):
    rng = np.random.default_rng(seed)
    img = 128 + 30 * img + rng.normal(0, noise, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


@settings(max_examples=25, deadline=None)
@given(
    dx=st.one_of(st.integers(-8, 8), st.floats(-8, 8)),
    dy=st.one_of(st.integers(-8, 8), st.floats(-8, 8)),
    noise=st.sampled_from([0.0, 2.0, 5.0]),
    seed=st.integers(0, 1000),
)
def test_estimate_shift_recovers_synthetic_shift(dx, dy, noise, seed):
    h, w = 240, 320
    prev = to_u8(scene(h, w, 0, 0, seed), noise, 1)
    cur = to_u8(scene(h, w, dx, dy, seed), noise, 2)
    ex, ey = motion.estimate_shift(prev, cur)
    assert abs(ex - dx) < 0.15 and abs(ey - dy) < 0.15, (dx, dy, ex, ey)


@pytest.mark.parametrize("dx,dy", [(5, -3), (-7.5, 2.25)])
def test_estimate_shift_1080p_rgb(dx, dy):
    h, w = 1080, 1920
    prev = to_u8(scene(h, w, 0, 0, 9), 3.0, 1)
    cur = to_u8(scene(h, w, dx, dy, 9), 3.0, 2)
    ex, ey = motion.estimate_shift(np.dstack([prev] * 3), np.dstack([cur] * 3))
    assert abs(ex - dx) < 0.2 and abs(ey - dy) < 0.2, (ex, ey)


def test_estimate_shift_flat_frames_give_zero():
    f = np.full((50, 60), 77, np.uint8)
    assert motion.estimate_shift(f, f) == (0.0, 0.0)
    assert motion.estimate_shift(f[:4, :4], f[:4, :4]) == (0.0, 0.0)


def test_shift_frame_matches_numpy_and_scipy():
    rng = np.random.default_rng(1)
    f = rng.integers(0, 256, (20, 30), dtype=np.uint8)
    out = motion.shift_frame(f, 3, -2, fill=7)
    want = np.full_like(f, 7)
    want[0:18, 3:30] = f[2:20, 0:27]
    np.testing.assert_array_equal(out, want)
    rgb = np.dstack([f, f[::-1], 255 - f])
    np.testing.assert_array_equal(motion.shift_frame(rgb, 3, -2, fill=7)[..., 0], want)
    sub = motion.shift_frame(f, 1.25, 0.5).astype(float)
    ref = ndi.shift(f.astype(float), (0.5, 1.25), order=1, mode="constant", cval=0)
    inner = (slice(2, -2), slice(3, -3))
    assert np.abs(sub[inner] - ref[inner]).max() <= 0.5 + 1e-9


def test_shift_compensation_roundtrip():
    prev = to_u8(scene(200, 260, 0, 0, 4), 0, 1)
    cur = to_u8(scene(200, 260, 4.5, -2.0, 4), 0, 1)
    dx, dy = motion.estimate_shift(prev, cur)
    back = motion.shift_frame(cur, -dx, -dy)
    inner = (slice(10, -10), slice(10, -10))
    err = np.abs(back[inner].astype(int) - prev[inner]).mean()
    raw = np.abs(cur[inner].astype(int) - prev[inner]).mean()
    assert err < 0.15 * raw


@pytest.mark.parametrize("dx,dy", [(15.5, -12.0), (-16.0, 0.25)])
def test_estimate_shift_large_shifts(dx, dy):
    prev = to_u8(scene(240, 320, 0, 0, 3), 2.0, 1)
    cur = to_u8(scene(240, 320, dx, dy, 3), 2.0, 2)
    ex, ey = motion.estimate_shift(prev, cur)
    assert abs(ex - dx) < 0.15 and abs(ey - dy) < 0.15, (ex, ey)


def test_estimate_shift_small_frames():
    prev = to_u8(scene(32, 36, 0, 0, 5), 0.0, 1)
    cur = to_u8(scene(32, 36, 1.5, -2.0, 5), 0.0, 1)
    ex, ey = motion.estimate_shift(prev, cur)
    assert abs(ex - 1.5) < 0.2 and abs(ey + 2.0) < 0.2, (ex, ey)


@settings(max_examples=40, deadline=None)
@given(
    h=st.integers(1, 16),
    w=st.integers(1, 30),
    long_period=st.integers(1, 6),
    static_frames=st.integers(1, 8),
    hold_at=st.integers(1, 15),
    seed=st.integers(0, 2**31),
)
def test_dual_background_property(h, w, long_period, static_frames, hold_at, seed):
    frames = sequence((h, w), 16, seed)
    hold = np.random.default_rng(seed).random((h, w)) < 0.3
    want, lt, cnt = np_dual(frames, long_period, static_frames, hold_at=hold_at, hold_mask=hold)
    db = motion.DualBackground(long_period=long_period, static_frames=static_frames)
    for i, f in enumerate(frames):
        if i == hold_at:
            db.hold(hold)
        mv, stc = db.apply(f)
        np.testing.assert_array_equal(mv, want[i][0])
        np.testing.assert_array_equal(stc, want[i][1])
    np.testing.assert_array_equal(db.background, lt.m)
    np.testing.assert_array_equal(db.evidence, cnt)


@settings(max_examples=60, deadline=None)
@given(
    h=st.integers(1, 25),
    w=st.integers(1, 25),
    rgb=st.booleans(),
    dx=st.integers(-30, 30),
    dy=st.integers(-30, 30),
    fill=st.integers(0, 255),
    seed=st.integers(0, 2**31),
)
def test_shift_frame_integer_property(h, w, rgb, dx, dy, fill, seed):
    shape = (h, w, 3) if rgb else (h, w)
    f = np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)
    want = np.full_like(f, fill)
    ys, xs = slice(max(dy, 0), min(h + dy, h)), slice(max(dx, 0), min(w + dx, w))
    ys0, xs0 = slice(max(-dy, 0), min(h - dy, h)), slice(max(-dx, 0), min(w - dx, w))
    if ys.start < ys.stop and xs.start < xs.stop:
        want[ys, xs] = f[ys0, xs0]
    np.testing.assert_array_equal(motion.shift_frame(f, dx, dy, fill=fill), want)


@settings(max_examples=40, deadline=None)
@given(
    h=st.integers(1, 16),
    w=st.integers(1, 30),
    alpha=st.floats(0.01, 1.0),
    threshold=st.floats(0.0, 100.0),
    seed=st.integers(0, 2**31),
)
def test_running_average_property(h, w, alpha, threshold, seed):
    ra = motion.RunningAverage(alpha=alpha, threshold=threshold)
    a32, t32 = np.float32(alpha), np.float32(threshold)
    b = None
    for f in sequence((h, w), 8, seed):
        got = ra.apply(f)
        x = f.astype(np.float32)
        if b is None:
            b = x.copy()
            assert not got.any()
            continue
        d = x - b
        clear = np.abs(np.abs(d) - t32) > 1e-3  # skip pixels within rounding of the threshold
        np.testing.assert_array_equal(got[clear], (np.abs(d) > t32)[clear])
        b = b + a32 * d
        np.testing.assert_allclose(ra.background, b, atol=1e-3)
