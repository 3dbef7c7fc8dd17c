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
    speeds=st.lists(st.floats(-150, 150), min_size=12, max_size=12),
    vy=st.floats(-40, 40),
    spacing=st.floats(12, 60),
    fps=st.sampled_from([10.0, 25.0, 30.0]),
    size=st.floats(2, 20),
    motion=st.sampled_from(["cv", "ca"]),
)
def test_non_crossing_constant_velocity_objects_keep_ids(n, speeds, vy, spacing, fps, size, motion):
    # one object per horizontal lane, each with its own constant velocity; lanes drift
    # together vertically, so paths never cross
    tr = Tracker(motion, min_hits=1)
    vx = np.array(speeds[:n])
    first = None
    for k in range(25):
        t = k / fps
        cy = 50 + spacing * np.arange(n) + vy * t
        cx = 400 + vx * t
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


# ---- the compiled core validates on its own (no panic reaches Python) --------------------


def test_core_rejects_bad_input_without_panicking():
    from anfang import _core

    tr = _core.Tracker()
    with pytest.raises(ValueError, match=r"boxes: expected shape \(N, 4\)"):
        tr.update(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="boxes: expected finite"):
        tr.update(np.array([[0, 0, np.inf, 1.0]]))
    with pytest.raises(ValueError, match="boxes: expected x1 >= x0"):
        tr.update(np.array([[3, 0, 1, 1.0]]))
    with pytest.raises(ValueError, match="scores: expected 1 values"):
        tr.update(np.zeros((1, 4)), np.zeros(2))
    with pytest.raises(ValueError, match="scores: expected values in"):
        tr.update(np.zeros((1, 4)), np.array([np.nan]))
    with pytest.raises(TypeError):
        tr.update(np.zeros((1, 4), np.float32))
    tr.update(np.zeros((0, 4)), None, 3.0)
    with pytest.raises(ValueError, match="t: expected a timestamp >="):
        tr.update(np.zeros((0, 4)), None, 2.0)
    with pytest.raises(ValueError, match="t: expected finite"):
        tr.update(np.zeros((0, 4)), None, float("inf"))
    with pytest.raises(ValueError, match="min_hits"):
        _core.Tracker(min_hits=-3)
    with pytest.raises(ValueError, match="history_len"):
        _core.Tracker(history_len=0)
    with pytest.raises(ValueError, match="process_noise"):
        _core.Tracker(process_noise=-1.0)
    # a failed call leaves the tracker usable
    assert tr.update(np.array([[0, 0, 2, 2.0]]), None, 3.5).shape == (1,)


def test_history_is_bounded():
    tr = Tracker(min_hits=1, history_len=5)
    for k in range(12):
        tr.update(np.array([sq(10 + k, 10)]), t=k * 0.1)
    h = tr.history(1)
    assert len(h) == 5
    assert h["frame"].tolist() == [7, 8, 9, 10, 11]
    np.testing.assert_allclose((h["x0"] + h["x1"]) / 2, [17, 18, 19, 20, 21])


def test_trackers_in_threads_agree_with_sequential():
    import threading

    rng = np.random.default_rng(3)
    frames = [np.hstack([p - 3, p + 3]) for p in
              (rng.uniform(0, 500, (200, 2)) + np.arange(30)[:, None, None] * 2.0)]
    frames = [f + rng.normal(0, 0.3, f.shape) for f in frames]

    def run(out, i):
        tr = Tracker(min_hits=1)
        out[i] = [tr.update(f, t=k / 25).tolist() for k, f in enumerate(frames)]

    seq = [None]
    run(seq, 0)
    par = [None] * 3
    th = [threading.Thread(target=run, args=(par, i)) for i in range(3)]
    for x in th:
        x.start()
    for x in th:
        x.join()
    assert all(p == seq[0] for p in par)


@pytest.mark.parametrize("motion", ["cv", "ca"])
def test_duplicated_frames_equal_content_alone(motion):
    # 10 fps content delivered 3 times each (30 fps container) gives exactly the ids of the
    # content fed once per frame
    from anfang.tracking_metrics import make_scene

    for seed in (0, 1):
        sc = make_scene("linear", seed, fps=10.0, n_frames=40)
        dup, once = Tracker(motion, min_hits=1), Tracker(motion, min_hits=1)
        for k, (b, s) in enumerate(zip(sc.boxes, sc.scores)):
            ids_once = once.update(b, s, t=k / 10)
            for j in range(3):
                ids_dup = dup.update(b, s, t=(3 * k + j) / 30)
                assert ids_dup.tolist() == ids_once.tolist()
        np.testing.assert_allclose(dup.tracks.velocities, once.tracks.velocities)


def test_ca_predicts_falling_object_better_than_cv():
    g = 900.0
    errs = {}
    for motion in ("cv", "ca"):
        tr = Tracker(motion, min_hits=1)
        e = []
        for k in range(30):
            t = k / 25
            y = 10 + 0.5 * g * t * t
            if k >= 10:
                _, pb = tr.predict(t)
                e.append(abs((pb[0, 1] + pb[0, 3]) / 2 - y))
            tr.update(np.array([sq(100, y)]), t=t)
        errs[motion] = np.mean(e)
    # one-step prediction: the per-frame displacement grows by g*dt^2 = 1.44 px per frame;
    # CV lags behind, CA follows
    assert errs["ca"] < 0.5, errs
    assert errs["cv"] > 3 * errs["ca"], errs


def test_iou_route_admits_pairs_outside_the_mahalanobis_gate():
    # 40-px boxes moving 8 px per frame with a tiny Mahalanobis gate: only IoU can match them
    for min_iou, expect_tracked in ((0.3, True), (0.0, False)):
        tr = Tracker(min_hits=1, gate=1e-6, min_iou=min_iou)
        ids = [tr.update(np.array([[8.0 * k, 0, 8.0 * k + 40, 40]]), t=k / 25)[0] for k in range(10)]
        assert (len(set(ids)) == 1) == expect_tracked, (min_iou, ids)


def test_stub_tracking_section_matches_compiled_module():
    import ast
    import pathlib

    from anfang import _core

    src = (pathlib.Path(tracking.__file__).parent / "_core.pyi").read_text()
    section = src[src.index("# --- tracking ---"):]
    tree = ast.parse(section)
    names = {n.name for n in tree.body if isinstance(n, (ast.ClassDef, ast.FunctionDef))}
    assert {"Tracker", "linear_sum_assignment"} <= names
    for n in tree.body:
        if isinstance(n, ast.ClassDef):
            for m in n.body:
                if isinstance(m, ast.FunctionDef) and not m.name.startswith("__"):
                    assert hasattr(getattr(_core, n.name), m.name), m.name
        elif isinstance(n, ast.FunctionDef):
            assert callable(getattr(_core, n.name))
