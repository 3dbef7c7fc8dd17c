"""Behaviour of anfang.tracking.Tracker (Rust core through the Python face)."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import anfang.tracking as tracking
from anfang.tracking import CONFIRMED, LOST, TENTATIVE, Tracker


def sq(cx, cy, r=2.0):
    return [cx - r, cy - r, cx + r, cy + r]


def test_doctests():
    res = doctest.testmod(tracking, optionflags=doctest.ELLIPSIS)
    assert res.attempted > 0 and res.failed == 0


def test_ids_and_lifecycle():
    tr = Tracker(min_hits=3, max_age_s=0.5)
    b = np.array([sq(100, 100, 5)])
    assert tr.update(b, t=0.0).tolist() == [-1]
    assert tr.tracks.states.tolist() == [TENTATIVE]
    assert tr.update(b, t=0.1).tolist() == [-1]
    ids = tr.update(b, t=0.2)
    assert ids.dtype == np.int64 and ids.tolist() == [1]
    assert tr.tracks.states.tolist() == [CONFIRMED]
    tr.update(np.empty((0, 4)), t=0.3)
    assert tr.tracks.states.tolist() == [LOST]
    assert tr.tracks.time_since_update.tolist() == pytest.approx([0.1])
    tr.update(np.empty((0, 4)), t=0.7)
    assert len(tr.tracks) == 1
    tr.update(np.empty((0, 4)), t=0.75)
    assert len(tr.tracks) == 0
    assert tr.removed_ids.tolist() == [1]
    h = tr.history(1)
    assert h.dtype == tracking.HISTORY_DTYPE
    assert h["frame"].tolist() == [0, 1, 2]
    assert h["t"].tolist() == pytest.approx([0.0, 0.1, 0.2])
    assert h["x0"].tolist() == [95.0] * 3
    tr.update(np.empty((0, 4)), t=0.8)
    with pytest.raises(KeyError, match="track_id"):
        tr.history(1)


def test_tracks_table_shapes_and_velocity():
    tr = Tracker(min_hits=1)
    for k in range(20):
        t = k * 0.04
        tr.update(np.array([sq(10 + 100 * t, 50 - 50 * t), sq(300, 300)]), t=t)
    tb = tr.tracks
    assert len(tb) == 2
    assert tb.boxes.shape == (2, 4) and tb.velocities.shape == (2, 2)
    assert tb.ids.dtype == np.int64 and tb.states.dtype == np.uint8
    order = np.argsort(tb.ids)
    np.testing.assert_allclose(tb.velocities[order[0]], [100, -50], atol=3)
    np.testing.assert_allclose(tb.velocities[order[1]], [0, 0], atol=1)
    assert tb.hits.tolist() == [20, 20]
    assert tb.state_names == ["confirmed", "confirmed"]


def test_predict_only_frames_and_predict():
    tr = Tracker(min_hits=1)
    for k in range(10):
        t = k * 0.1
        tr.update(np.array([sq(10 + 100 * t, 20)]), t=t)
    ids, boxes = tr.predict(1.2)
    assert ids.tolist() == [1]
    assert (boxes[0, 0] + boxes[0, 2]) / 2 == pytest.approx(130, abs=2)
    # predict() changed nothing; an empty update advances the filters
    assert (tr.tracks.boxes[0, 0] + tr.tracks.boxes[0, 2]) / 2 == pytest.approx(100, abs=1)
    assert tr.update(np.empty((0, 4)), t=1.2).shape == (0,)
    assert (tr.tracks.boxes[0, 0] + tr.tracks.boxes[0, 2]) / 2 == pytest.approx(130, abs=2)
    assert tr.update(np.array([sq(140, 20)]), t=1.3).tolist() == [1]


def test_tiny_objects_without_overlap_are_tracked():
    # 3-px objects moving 10 px per frame: IoU between frames is 0
    tr = Tracker(min_hits=2)
    out = []
    for k in range(30):
        t = k / 25
        out.append(tr.update(np.array([sq(10 + 250 * t, 40, 1.5), sq(10 + 250 * t, 90, 1.5)]), t=t))
    out = np.array(out[1:])
    assert (out > 0).all()
    assert (out == out[0]).all() and out[0, 0] != out[0, 1]


def test_falling_object_ca_and_gravity_cv_through_occlusion_and_duplicates():
    g = 800.0
    for make in (lambda: Tracker("ca", min_hits=2), lambda: Tracker("cv", min_hits=2, gravity=(0, g))):
        tr = make()
        seen = []
        k = 0
        # 10 fps content in a 30 fps container: every content frame shows 3 times
        for c in range(16):
            tc = c / 10
            y = 10 + 0.5 * g * tc * tc
            occluded = 6 <= c < 9
            for rep in range(3):
                t = k / 30
                k += 1
                boxes = np.empty((0, 4)) if occluded else np.array([sq(200, y, 2)])
                ids = tr.update(boxes, t=t)
                if not occluded and c >= 1:
                    seen.append(int(ids[0]))
        assert set(seen) == {1}, seen


def test_repeated_timestamp_is_harmless():
    tr = Tracker("ca", min_hits=1)
    tr.update(np.array([sq(10, 10)]), t=1.0)
    assert tr.update(np.array([sq(11, 10)]), t=1.0).tolist() == [1]
    assert tr.update(np.array([sq(11, 10)]), t=1.0).tolist() == [1]
    tb = tr.tracks
    assert np.isfinite(tb.boxes).all() and np.isfinite(tb.velocities).all()


def test_t_none_uses_frame_count():
    tr = Tracker(min_hits=1, max_age_s=2.0)
    for k in range(5):
        tr.update(np.array([sq(10 + 3 * k, 10)]))
    assert tr.frame_count == 5
    np.testing.assert_allclose(tr.tracks.velocities[0], [3, 0], atol=0.3)
    assert tr.tracks.age_s.tolist() == [4.0]


def test_two_stage_low_scores():
    tr = Tracker(min_hits=2, high_thresh=0.6, low_thresh=0.2)
    b = np.array([sq(50, 50, 4)])
    tr.update(b, np.array([0.9]), t=0.0)
    (tid,) = tr.update(b, np.array([0.9]), t=0.04)
    assert tid > 0
    assert tr.update(b + 1, np.array([0.3]), t=0.08).tolist() == [tid]
    # weak detection elsewhere never starts a track; below low_thresh is ignored
    assert tr.update(np.array([sq(400, 400, 4)]), np.array([0.3]), t=0.12).tolist() == [-1]
    assert len(tr.tracks) == 1
    assert tr.update(b + 1, np.array([0.1]), t=0.16).tolist() == [-1]


def test_reset():
    tr = Tracker(min_hits=1)
    tr.update(np.array([sq(1, 1)]), t=5.0)
    tr.reset()
    assert len(tr.tracks) == 0 and tr.frame_count == 0
    assert tr.update(np.array([sq(1, 1)]), t=0.0).tolist() == [1]


def test_many_objects_unique_ids():
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 2000, size=(1000, 2))
    v = rng.uniform(-30, 30, size=(1000, 2))
    tr = Tracker(min_hits=1)
    first = None
    for k in range(8):
        t = k / 25
        p = xy + v * t
        ids = tr.update(np.hstack([p - 2, p + 2]), t=t)
        assert len(set(ids.tolist())) == 1000
        if first is None:
            first = ids
        assert (ids == first).mean() > 0.99


# ---- bad inputs -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "boxes, exc, match",
    [
        (np.array([[0, 0, np.nan, 1.0]]), ValueError, "boxes: expected finite"),
        (np.array([[5, 0, 1, 1.0]]), ValueError, r"boxes: expected x1 >= x0"),
        (np.array([[0, 5, 1, 1.0]]), ValueError, r"boxes: expected x1 >= x0"),
        (np.zeros((3, 5)), ValueError, r"boxes: expected shape \(N, 4\)"),
        (np.zeros((2, 2, 4)), ValueError, r"boxes: expected shape \(N, 4\)"),
        (np.zeros(4), ValueError, r"boxes: expected shape \(N, 4\)"),
        (np.zeros((1, 4), complex), TypeError, "boxes: expected an integer or float array"),
        (np.zeros((1, 4), bool), TypeError, "boxes: expected an integer or float array"),
        (np.array([["a", "b", "c", "d"]]), TypeError, "boxes"),
        ("boxes", TypeError, "boxes: expected a numpy array"),
    ],
)
def test_bad_boxes(boxes, exc, match):
    with pytest.raises(exc, match=match):
        Tracker().update(boxes, t=0.0)


@pytest.mark.parametrize(
    "scores, exc, match",
    [
        (np.array([0.5]), ValueError, r"scores: expected shape \(2,\)"),
        (np.array([0.5, 1.5]), ValueError, r"scores: expected values in \[0, 1\]"),
        (np.array([0.5, -0.1]), ValueError, r"scores: expected values in \[0, 1\]"),
        (np.array([0.5, np.nan]), ValueError, "scores"),
        (np.array([[0.5, 0.5]]), ValueError, "scores: expected shape"),
        (np.array(["a", "b"]), TypeError, "scores"),
    ],
)
def test_bad_scores(scores, exc, match):
    with pytest.raises(exc, match=match):
        Tracker().update(np.array([sq(1, 1), sq(9, 9)]), scores, t=0.0)


def test_bad_time_and_params():
    tr = Tracker()
    tr.update(np.empty((0, 4)), t=2.0)
    with pytest.raises(ValueError, match="t: expected a timestamp >= the previous one"):
        tr.update(np.empty((0, 4)), t=1.0)
    with pytest.raises(ValueError, match="t: expected finite"):
        tr.update(np.empty((0, 4)), t=float("nan"))
    with pytest.raises(TypeError, match="t: expected seconds"):
        tr.update(np.empty((0, 4)), t="1.0")
    with pytest.raises(ValueError, match="t: expected a timestamp >= the tracker time"):
        tr.predict(1.0)
    with pytest.raises(ValueError, match="motion"):
        Tracker("kalman")
    with pytest.raises(ValueError, match="low_thresh"):
        Tracker(high_thresh=0.3, low_thresh=0.5)
    with pytest.raises(ValueError, match="min_hits"):
        Tracker(min_hits=0)
    with pytest.raises(TypeError, match="min_hits"):
        Tracker(min_hits=2.5)
    with pytest.raises(ValueError, match="gate"):
        Tracker(gate=-1.0)
    with pytest.raises(ValueError, match="max_age_s"):
        Tracker(max_age_s=float("inf"))
    with pytest.raises(TypeError, match="gravity"):
        Tracker(gravity=9.81)
    with pytest.raises(ValueError, match="iou_weight"):
        Tracker(iou_weight=2.0)


def test_accepts_int_boxes_and_lists():
    tr = Tracker(min_hits=1)
    assert tr.update(np.array([[0, 0, 4, 4]], np.int32), t=0.0).tolist() == [1]
    assert tr.update([[1, 0, 5, 4]], [0.9], t=0.1).tolist() == [1]
    assert tr.update([], t=0.2).shape == (0,)


# ---- properties -----------------------------------------------------------------------

boxes_strategy = st.integers(0, 12).flatmap(
    lambda n: st.lists(
        st.tuples(
            st.floats(0, 500), st.floats(0, 500), st.floats(0, 30), st.floats(0, 30), st.floats(0, 1)
        ),
        min_size=n,
        max_size=n,
    )
)


@settings(max_examples=40, deadline=None)
@given(frames=st.lists(st.tuples(boxes_strategy, st.floats(0, 0.2)), min_size=1, max_size=8),
       motion=st.sampled_from(["cv", "ca"]))
def test_no_id_twice_in_a_frame(frames, motion):
    tr = Tracker(motion, min_hits=1)
    t = 0.0
    for rows, dt in frames:
        t += dt
        a = np.array([[x, y, x + w, y + h] for x, y, w, h, _ in rows]).reshape(-1, 4)
        s = np.array([r[4] for r in rows])
        ids = tr.update(a, s, t=t)
        pos = ids[ids >= 0]
        assert len(set(pos.tolist())) == len(pos)
        assert ((s < tr._params["low_thresh"]) <= (ids == -1)).all()
        tb = tr.tracks
        assert len(set(tb.ids.tolist())) == len(tb)
        assert np.isfinite(tb.boxes).all()


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 12),
    speed=st.floats(-150, 150),
    spacing=st.floats(12, 60),
    fps=st.sampled_from([10.0, 25.0, 30.0]),
    size=st.floats(2, 20),
    motion=st.sampled_from(["cv", "ca"]),
)
def test_parallel_constant_velocity_objects_keep_ids(n, speed, spacing, fps, size, motion):
    # objects on parallel rows moving with the same velocity never cross
    tr = Tracker(motion, min_hits=1)
    first = None
    for k in range(25):
        t = k / fps
        cy = 50 + spacing * np.arange(n)
        cx = 400 + speed * t + np.zeros(n)
        b = np.stack([cx - size / 2, cy - size / 2, cx + size / 2, cy + size / 2], 1)
        ids = tr.update(b, t=t)
        if first is None:
            first = ids
        assert ids.tolist() == first.tolist()


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 8),
    gap=st.integers(1, 5),
    start=st.integers(3, 10),
    which=st.integers(0, 7),
    vx=st.floats(-100, 100),
    motion=st.sampled_from(["cv", "ca"]),
)
def test_short_dropout_keeps_ids(n, gap, start, which, vx, motion):
    fps = 25.0
    max_age_s = 0.5  # 12 frames > gap
    tr = Tracker(motion, min_hits=2, max_age_s=max_age_s)
    which = which % n
    ref = None
    for k in range(start + gap + 6):
        t = k / fps
        cx = 100 + vx * t + 40 * np.arange(n)
        cy = np.full(n, 200.0)
        b = np.stack([cx - 3, cy - 3, cx + 3, cy + 3], 1)
        keep = np.ones(n, bool)
        if start <= k < start + gap:
            keep[which] = False
        ids = tr.update(b[keep], t=t)
        full = np.full(n, -2)
        full[keep] = ids
        if k == start - 1:
            ref = full.copy()
            assert (ref > 0).all()
        elif ref is not None:
            assert (full[keep] == ref[keep]).all()
