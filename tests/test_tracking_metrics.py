"""Tracking metrics, the Rust assignment, and tracker quality on synthetic scenes."""

from __future__ import annotations

import doctest
import itertools

import numpy as np
import pytest
import scipy.optimize as scipy_opt  # dev dependency: the oracle must not be skipped
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import anfang.tracking_metrics as tm
from anfang import _core
from anfang.tracking import Tracker
from anfang.tracking_metrics import SCENES, clear_mot, evaluate, hota, idf1, make_scene, run_tracker


def test_doctests():
    res = doctest.testmod(tm, optionflags=doctest.ELLIPSIS)
    assert res.attempted > 0 and res.failed == 0


# ---- assignment -----------------------------------------------------------------------


def brute_force(cost):
    """Best (count of allowed pairs, total cost) over all partial injections."""
    r, c = cost.shape
    best = (0, 0.0)
    for k in range(min(r, c), 0, -1):
        found = None
        for rows in itertools.combinations(range(r), k):
            for cols in itertools.permutations(range(c), k):
                v = cost[list(rows), list(cols)]
                if np.isfinite(v).all() and (found is None or v.sum() < found - 1e-12):
                    found = v.sum()
        if found is not None:
            return (k, found)
    return best


@settings(max_examples=60, deadline=None)
@given(
    cost=st.tuples(st.integers(0, 5), st.integers(0, 5)).flatmap(
        lambda s: arrays(np.float64, s, elements=st.sampled_from([np.inf, 0.0, 1.0, 2.5, -1.0, 7.0, 3.0]))
    )
)
def test_assignment_matches_brute_force(cost):
    r, c = _core.linear_sum_assignment(cost)
    assert len(set(r.tolist())) == len(r) and len(set(c.tolist())) == len(c)
    assert np.isfinite(cost[r, c]).all()
    k, best = brute_force(cost)
    assert len(r) == k
    assert cost[r, c].sum() == pytest.approx(best)


@settings(max_examples=30, deadline=None)
@given(cost=st.tuples(st.integers(1, 30), st.integers(1, 30)).flatmap(
    lambda s: arrays(np.float64, s, elements=st.floats(-100, 100))))
def test_assignment_matches_scipy(cost):
    r, c = _core.linear_sum_assignment(cost)
    sr, sc = scipy_opt.linear_sum_assignment(cost)
    assert len(r) == len(sr) == min(cost.shape)
    assert cost[r, c].sum() == pytest.approx(cost[sr, sc].sum(), abs=1e-6)


def test_assignment_bad_input():
    with pytest.raises(TypeError):
        _core.linear_sum_assignment(np.zeros((2, 2), np.float32))
    r, c = _core.linear_sum_assignment(np.zeros((0, 3)))
    assert r.shape == (0,) and c.shape == (0,)


# ---- metrics on hand-made cases -------------------------------------------------------


def rows(*r):
    return np.array(r, dtype=np.float64).reshape(-1, 6)


def test_perfect_tracking():
    gt = rows([0, 1, 0, 0, 10, 10], [0, 2, 50, 50, 60, 60], [1, 1, 1, 0, 11, 10], [1, 2, 51, 50, 61, 60])
    hyp = gt.copy()
    hyp[:, 1] += 100
    r = evaluate(gt, hyp, with_hota=True)
    assert r["mota"] == 1.0 and r["idf1"] == 1.0 and r["hota"] == pytest.approx(1.0)
    assert (r["fn"], r["fp"], r["idsw"]) == (0, 0, 0)


def test_fn_fp_and_switch_counts():
    # gt 1 present in 4 frames; hyp: id 7 for frames 0-1, missing frame 2, id 8 in frame 3
    # plus a false positive far away in frame 1
    gt = rows(*[[f, 1, f, 0, f + 10, 10] for f in range(4)])
    hyp = rows([0, 7, 0, 0, 10, 10], [1, 7, 1, 0, 11, 10], [1, 9, 300, 300, 310, 310], [3, 8, 3, 0, 13, 10])
    r = clear_mot(gt, hyp)
    assert (r["fn"], r["fp"], r["idsw"], r["matches"]) == (1, 1, 1, 3)
    assert r["mota"] == pytest.approx(1 - 3 / 4)
    i = idf1(gt, hyp)
    # best identity match: gt1 <-> hyp7 (2 frames); IDF1 = 2*2 / (4 + 4)
    assert i["idtp"] == 2 and i["idf1"] == pytest.approx(0.5)


def test_clear_mot_keeps_previous_correspondence():
    # two hypotheses overlap gt equally well in frame 1; the earlier one must be kept
    gt = rows([0, 1, 0, 0, 10, 10], [1, 1, 0, 0, 10, 10])
    hyp = rows([0, 5, 0, 0, 10, 10], [1, 6, 0, 0, 10, 10], [1, 5, 0.5, 0, 10.5, 10])
    r = clear_mot(gt, hyp)
    assert r["idsw"] == 0 and r["fp"] == 1


def test_center_distance_threshold():
    gt = rows([0, 1, 0, 0, 2, 2])
    assert clear_mot(gt, rows([0, 1, 4, 0, 6, 2]), dist="center", thresh=5)["matches"] == 1
    assert clear_mot(gt, rows([0, 1, 6, 0, 8, 2]), dist="center", thresh=5)["matches"] == 0
    # IoU of these tiny boxes is 0: no match under dist="iou"
    assert clear_mot(gt, rows([0, 1, 4, 0, 6, 2]))["matches"] == 0


def test_hota_hand_case():
    # one gt over 2 frames, two hyp ids each covering one frame exactly:
    # DetA = 1, AssA = 1/2 -> HOTA = sqrt(1/2) at every alpha
    gt = rows([0, 1, 0, 0, 10, 10], [1, 1, 0, 0, 10, 10])
    hyp = rows([0, 3, 0, 0, 10, 10], [1, 4, 0, 0, 10, 10])
    h = hota(gt, hyp)
    assert h["deta"] == pytest.approx(1.0)
    assert h["assa"] == pytest.approx(0.5)
    assert h["hota"] == pytest.approx(np.sqrt(0.5))


def test_metric_input_errors():
    with pytest.raises(ValueError, match="gt: expected shape"):
        clear_mot(np.zeros((2, 5)), np.zeros((0, 6)))
    with pytest.raises(TypeError, match="hyp"):
        idf1(np.zeros((1, 6)), [[0, 1, 0, 0, 1, 1]])
    with pytest.raises(ValueError, match="dist"):
        clear_mot(rows([0, 1, 0, 0, 1, 1]), rows([0, 1, 0, 0, 1, 1]), dist="l1")
    with pytest.raises(ValueError, match="name"):
        make_scene("rain")


# ---- cross-checks against reference implementations (the `eval` extra) ------------------


def _mm_distances(g, h, dist, thresh):
    # motmetrics expects nan for forbidden pairs
    d = tm._pair_dist(g[:, 2:6], h[:, 2:6], dist, thresh)
    return np.where(np.isfinite(d), d, np.nan)


@pytest.mark.parametrize("scene", ["crossing", "falling", "dropout", "clutter"])
@pytest.mark.parametrize("dist, thresh", [("center", 5.0), ("iou", 0.5)])
def test_cross_check_motmetrics(scene, dist, thresh):
    mm = pytest.importorskip("motmetrics", reason="cross-check needs the 'eval' extra")
    sc = make_scene(scene, seed=3, n_objects=12, n_frames=60)
    # a deliberately weak tracker configuration so that switches and misses occur
    hyp = run_tracker(Tracker("cv", min_hits=1, gate=3.0, min_iou=0.5), sc)
    acc = mm.MOTAccumulator(auto_id=False)
    for f in range(len(sc.boxes)):
        g = sc.gt[sc.gt[:, 0] == f]
        h = hyp[hyp[:, 0] == f]
        acc.update(g[:, 1].astype(int).tolist(), h[:, 1].astype(int).tolist(), _mm_distances(g, h, dist, thresh), frameid=f)
    ref = mm.metrics.create().compute(
        acc, metrics=["mota", "idf1", "num_switches", "num_misses", "num_false_positives"], name="x")
    ours = evaluate(sc.gt, hyp, dist=dist, thresh=thresh)
    assert ours["mota"] == pytest.approx(float(ref["mota"].iloc[0]), abs=1e-9)
    assert ours["idf1"] == pytest.approx(float(ref["idf1"].iloc[0]), abs=1e-9)
    assert ours["idsw"] == int(ref["num_switches"].iloc[0])
    assert ours["fn"] == int(ref["num_misses"].iloc[0])
    assert ours["fp"] == int(ref["num_false_positives"].iloc[0])


@pytest.mark.parametrize("scene", ["linear", "falling", "dropout"])
def test_cross_check_trackeval_hota(scene):
    te = pytest.importorskip("trackeval", reason="cross-check needs trackeval")
    sc = make_scene(scene, seed=2, n_objects=10, n_frames=50)
    hyp = run_tracker(Tracker("cv", min_hits=1, gate=3.0), sc)
    gt = sc.gt
    gids = {v: i for i, v in enumerate(np.unique(gt[:, 1]).tolist())}
    hids = {v: i for i, v in enumerate(np.unique(hyp[:, 1]).tolist())}
    data = dict(num_gt_dets=len(gt), num_tracker_dets=len(hyp), num_gt_ids=len(gids),
                num_tracker_ids=len(hids), gt_ids=[], tracker_ids=[], similarity_scores=[])
    for f in range(len(sc.boxes)):
        g, h = gt[gt[:, 0] == f], hyp[hyp[:, 0] == f]
        data["gt_ids"].append(np.array([gids[v] for v in g[:, 1].tolist()], int))
        data["tracker_ids"].append(np.array([hids[v] for v in h[:, 1].tolist()], int))
        data["similarity_scores"].append(tm.similarity(g[:, 2:6], h[:, 2:6], "center", 5.0))
    ref = te.metrics.HOTA().eval_sequence(data)
    ours = hota(gt, hyp, dist="center", thresh=5.0)
    assert ours["hota"] == pytest.approx(float(ref["HOTA"].mean()), abs=1e-9)
    assert ours["assa"] == pytest.approx(float(ref["AssA"].mean()), abs=1e-9)


# ---- tracker quality on synthetic scenes ------------------------------------------------


@pytest.mark.parametrize("scene", ["linear", "crossing", "duplicated", "clutter"])
def test_clean_scenes_idf1(scene):
    for seed in (0, 1):
        sc = make_scene(scene, seed)
        r = evaluate(sc.gt, run_tracker(Tracker("cv"), sc), dist="center", thresh=5.0)
        assert r["idf1"] >= 0.9, (scene, seed, r)
        assert r["idsw"] <= 5, (scene, seed, r)


@pytest.mark.parametrize("make", [lambda: Tracker("ca"), lambda: Tracker("cv", gravity=(0.0, 800.0))])
def test_falling_objects_keep_ids_through_occlusion(make):
    for seed in (0, 1, 2):
        sc = make_scene("falling", seed)
        r = evaluate(sc.gt, run_tracker(make(), sc), dist="center", thresh=5.0)
        assert r["idsw"] == 0, r
        assert r["idf1"] >= 0.9, r
        # every object keeps exactly one id: the hypothesis ids map 1:1 to objects
        assert r["idtp"] == r["matches"]


def test_falling_objects_in_duplicated_frames_keep_ids():
    # falling scene whose frames are each delivered 3 times (30 fps container, 10 fps content)
    sc = make_scene("falling", 4, n_frames=40, fps=10.0)
    rep = 3
    sc.boxes = [b for b in sc.boxes for _ in range(rep)]
    sc.scores = [s for s in sc.scores for _ in range(rep)]
    sc.t = np.arange(len(sc.boxes)) / 30.0
    sc.gt = np.vstack([np.column_stack([np.full((sc.gt[:, 0] == k).sum(), rep * k + j), sc.gt[sc.gt[:, 0] == k][:, 1:]])
                       for k in range(40) for j in range(rep)])
    r = evaluate(sc.gt, run_tracker(Tracker("ca"), sc), dist="center", thresh=5.0)
    assert r["idsw"] == 0 and r["idf1"] >= 0.9, r


def test_scenes_are_deterministic_and_well_formed():
    for name in SCENES:
        a, b = make_scene(name, 5, n_frames=20), make_scene(name, 5, n_frames=20)
        assert np.array_equal(a.gt, b.gt)
        assert len(a.boxes) == len(a.scores) == len(a.t)
        assert np.all(np.diff(a.t) > 0)
        for bx, s in zip(a.boxes, a.scores):
            assert bx.shape == (len(s), 4) and ((s >= 0) & (s <= 1)).all()


# ---- supervision adapter (optional dependency) -------------------------------------------


def test_supervision_adapter():
    sv = pytest.importorskip("supervision")
    from anfang.tracking import from_supervision, to_supervision

    tr = Tracker(min_hits=1)
    det = sv.Detections(xyxy=np.array([[0, 0, 4, 4], [50, 50, 60, 60]], np.float32),
                        confidence=np.array([0.9, 0.8], np.float32))
    out = tr.update_detections(det, t=0.0)
    assert out.tracker_id.tolist() == [1, 2]
    boxes, scores = from_supervision(out)
    assert boxes.shape == (2, 4) and scores.tolist() == pytest.approx([0.9, 0.8])
    d2 = to_supervision(boxes, scores, out.tracker_id)
    assert isinstance(d2, sv.Detections) and d2.tracker_id.tolist() == [1, 2]
