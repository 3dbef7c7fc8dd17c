"""AUC, balanced accuracy, Wilson interval and WearingRate against hand-computed values."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anfang.events import Event
from anfang.helmet import WearingRate, balanced_accuracy, roc_auc, wilson_interval
from anfang.helmet.metrics import binary_report
from anfang.helmet.rate import parse_window


def test_auc_hand_computed():
    # positive-negative pairs: (0.35>0.1) (0.35<0.4) (0.8>0.1) (0.8>0.4) -> 3 of 4
    assert roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    # a tie between a positive and a negative counts one half: (0.5=0.5) -> 0.5, others win -> 3.5/4
    assert roc_auc([0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9]) == 0.875
    assert roc_auc([True, False], [0.0, 1.0]) == 0.0
    assert roc_auc([1, 1, 0, 0], [3, 3, 3, 3]) == 0.5
    assert math.isnan(roc_auc([1, 1], [0.2, 0.3]))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 5)), min_size=2, max_size=30))
def test_auc_matches_pair_count(pairs):
    y = np.array([p[0] for p in pairs])
    s = np.array([p[1] for p in pairs], float)  # few distinct values: many ties
    pos, neg = s[y], s[~y]
    if len(pos) == 0 or len(neg) == 0:
        assert math.isnan(roc_auc(y, s))
        return
    wins = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a, b in itertools.product(pos, neg))
    assert roc_auc(y, s) == pytest.approx(wins / (len(pos) * len(neg)), abs=1e-12)


def test_auc_bad_input():
    with pytest.raises(ValueError, match="scores: expected shape"):
        roc_auc([0, 1], [0.1])
    with pytest.raises(ValueError, match="y_true"):
        roc_auc([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="finite"):
        roc_auc([0, 1], [0.1, np.nan])


def test_balanced_accuracy_and_report():
    y = np.array([1, 1, 1, 1, 0, 0], bool)
    pred = np.array([1, 1, 1, 0, 1, 0], bool)  # recall pos 3/4, recall neg 1/2
    assert balanced_accuracy(y, pred) == pytest.approx(0.625)
    rep = binary_report(y, np.where(pred, 0.9, 0.1))
    assert rep["n"] == 6 and rep["accuracy"] == pytest.approx(4 / 6)
    assert rep["precision_helmet"] == pytest.approx(3 / 4)  # 3 of the 4 predicted helmets
    assert rep["recall_no_helmet"] == pytest.approx(1 / 2)
    assert rep["precision_no_helmet"] == pytest.approx(1 / 2)


def test_wilson_hand_computed():
    # 8/10, z = 1.96: centre (0.8 + 0.19207) / 1.38415 = 0.71673, half 0.22658
    lo, hi = wilson_interval(8, 10)
    assert lo == pytest.approx(0.49016, abs=1e-4) and hi == pytest.approx(0.94331, abs=1e-4)
    # 0/10: lower bound 0, upper z^2/n / (1 + z^2/n) = 0.38415 / 1.38415 = 0.27753
    lo, hi = wilson_interval(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.27753, abs=1e-4)
    lo, hi = wilson_interval(3, 3)
    assert lo == pytest.approx(3 / (3 + 3.84146), abs=1e-4) and hi == 1.0
    assert all(math.isnan(v) for v in wilson_interval(0, 0))
    with pytest.raises(ValueError, match="successes <= n"):
        wilson_interval(4, 3)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 500), frac=st.floats(0, 1))
def test_wilson_contains_rate(n, frac):
    k = int(round(frac * n))
    lo, hi = wilson_interval(k, n)
    assert 0.0 <= lo <= k / n + 1e-12 and k / n - 1e-12 <= hi <= 1.0


# ------------------------------------------------------------------ WearingRate

def test_parse_window():
    assert parse_window("15min") == 900.0
    assert parse_window("30s") == 30.0
    assert parse_window("2h") == 7200.0
    assert parse_window(45) == 45.0
    for bad in ("0s", -3, "fifteen", float("inf")):
        with pytest.raises(ValueError, match="window"):
            parse_window(bad)
    with pytest.raises(TypeError, match="window"):
        parse_window(None)


def test_wearing_rate_windows_and_cameras():
    wr = WearingRate(window=60)
    for t, h in [(0, True), (59.9, False), (60, True), (61, True)]:
        wr.add("b", t, h)
    wr.add("a", 5, False)
    rows = wr.table()
    assert [(r["camera_id"], r["window_start"], r["window_end"], r["riders"], r["helmeted"]) for r in rows] == [
        ("a", 0.0, 60.0, 1, 0),
        ("b", 0.0, 60.0, 2, 1),
        ("b", 60.0, 120.0, 2, 2),
    ]
    assert rows[1]["rate"] == 0.5
    # Wilson 1/2 by hand: centre 0.5, half 1.96 * sqrt(0.125 + 3.84146 / 16) / (1 + 3.84146 / 2) = 0.40548
    lo, hi = rows[1]["ci_low"], rows[1]["ci_high"]
    assert lo == pytest.approx(0.0945, abs=1e-3) and hi == pytest.approx(0.9055, abs=1e-3)
    text = wr.format_table()
    assert text.splitlines()[0].split()[:3] == ["camera", "start_s", "end_s"]
    assert "50.0" in text.splitlines()[2] and len(text.splitlines()) == 4


def test_wearing_rate_origin_negative_time_and_confidence():
    wr = WearingRate(window="1min", origin=10.0, min_confidence=0.6)
    wr.add("c", 9.0, True)  # window [-50, 10)
    wr.add("c", 10.0, False, confidence=0.9)
    wr.add("c", 11.0, True, confidence=0.5)  # skipped
    rows = wr.table()
    assert [(r["window_start"], r["riders"], r["helmeted"], r["skipped"]) for r in rows] == [
        (-50.0, 1, 1, 0),
        (10.0, 1, 0, 1),
    ]


def test_wearing_rate_all_skipped_row_has_nan_rate():
    wr = WearingRate(window=10, min_confidence=0.9)
    wr.add("c", 1.0, True, confidence=0.1)
    (row,) = wr.table()
    assert row["riders"] == 0 and math.isnan(row["rate"]) and math.isnan(row["ci_low"])
    assert " - " in wr.format_table().splitlines()[1] + " "


def test_wearing_rate_events():
    wr = WearingRate(window=100)
    rider = Event(kind="rider", t_start=1.0, t_end=3.0, frame_start=0, frame_end=50, camera_id="k",
                  confidence=0.8, details={"helmet": True})
    viol = Event(kind="helmet_violation", t_start=2.0, t_end=3.0, frame_start=0, frame_end=50, camera_id="k")
    wr.add_events([rider, viol])
    (row,) = wr.table()
    assert (row["riders"], row["helmeted"]) == (2, 1)
    with pytest.raises(ValueError, match="details\\['helmet'\\]"):
        wr.add_event(Event(kind="rider", t_start=1.0, t_end=1.0, frame_start=0, frame_end=0))
    with pytest.raises(ValueError, match="kind"):
        wr.add_event(Event(kind="falling_object", t_start=1.0, t_end=1.0, frame_start=0, frame_end=0))
    with pytest.raises(TypeError, match="event: expected anfang.events.Event, got dict"):
        wr.add_event({"kind": "rider", "details": {"helmet": True}})


def test_wearing_rate_bad_input():
    wr = WearingRate()
    with pytest.raises(TypeError, match="camera_id"):
        wr.add(3, 1.0, True)
    with pytest.raises(ValueError, match="t: expected"):
        wr.add("c", float("nan"), True)
    with pytest.raises(TypeError, match="helmet: expected bool"):
        wr.add("c", 1.0, "yes")
    with pytest.raises(ValueError, match="confidence"):
        wr.add("c", 1.0, True, confidence=2.0)
    with pytest.raises(TypeError, match="t: expected a finite number of seconds, got str '1'"):
        wr.add("c", "1", True)
    with pytest.raises(TypeError, match="confidence: expected a number in \\[0, 1\\] or None, got str"):
        wr.add("c", 1.0, True, confidence="high")
    wr.add("c", np.float32(2.0), True, confidence=np.float64(0.5))  # numpy scalars are numbers
    wr.add("c", 1.0, np.bool_(True))
    assert (wr.table()[0]["riders"], wr.table()[0]["helmeted"]) == (2, 2)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 4)), min_size=2, max_size=25))
def test_roc_curve_area_equals_rank_auc(pairs):
    from anfang.helmet._figures import draw_roc, roc_points

    y = np.array([p[0] for p in pairs])
    s = np.array([p[1] for p in pairs], float)
    if y.all() or not y.any():
        return
    fpr, tpr = roc_points(y, s)
    assert fpr[0] == tpr[0] == 0.0 and fpr[-1] == tpr[-1] == 1.0
    area = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))  # trapezoids: ties count 1/2
    assert area == pytest.approx(roc_auc(y, s), abs=1e-12)
    img = draw_roc(fpr, tpr, size=40, pad=4)
    assert img.shape == (48, 48, 3) and img.dtype == np.uint8
