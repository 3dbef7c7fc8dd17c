"""Tests of matching and metrics on hand-built truth/detection pairs (expected values by hand)."""

from __future__ import annotations

import copy
import json

import pytest

from anfang.cli import main
from anfang.eval import evaluate, evaluate_suite, load_events, match, read_mot, truth_mot_rows, write_mot
from anfang.events import Event


def _fall(t0, t1, f0, f1, box, floor=4, x=50.0, y=40.0):
    return {"kind": "falling_object", "t_start": t0, "t_end": t1, "frame_start": f0,
            "frame_end": f1, "bbox": box, "track_id": 1,
            "origin": {"floor": floor, "column": 2, "x": x, "y": y}}


def _rider(t0, t1, box, helmet, tid):
    return {"kind": "rider", "t_start": t0, "t_end": t1, "frame_start": int(t0 * 10),
            "frame_end": int(t1 * 10), "bbox": box, "track_id": tid, "helmet": helmet}


# 10 s at 10 fps -> duration 10.0 s exactly (t[-1] - t[0] + 1/fps)
TRUTH = {
    "scene": "facade", "fps": 10.0, "t": [i / 10 for i in range(100)],
    "events": [
        _fall(1.0, 2.0, 10, 20, [40, 40, 60, 120]),
        _fall(6.0, 7.0, 60, 70, [300, 40, 320, 120], floor=7, x=310.0, y=42.0),
        _rider(0.0, 3.0, [0, 200, 40, 260], True, 11),
        _rider(2.0, 5.0, [300, 200, 340, 260], True, 12),
        _rider(5.0, 8.0, [0, 300, 40, 360], False, 13),
        _rider(6.0, 9.0, [400, 300, 440, 360], False, 14),
    ],
}


def _kind(m, k):
    return m["kinds"][k]


def test_perfect_detections_score_one():
    m = evaluate(TRUTH, TRUTH["events"])
    f = _kind(m, "falling_object")
    assert (f["tp"], f["fp"], f["fn"]) == (2, 0, 0)
    assert f["precision"] == f["recall"] == f["f1"] == 1.0
    assert f["floor_exact"] == 1.0 and f["origin_error_mean_px"] == 0.0
    assert f["time_to_alarm_mean_s"] == 0.0 and f["false_alarms_per_hour"] == 0.0
    r = _kind(m, "rider")
    assert r["helmet_accuracy"] == 1.0 and r["wearing_rate_error_pp"] == 0.0


def test_empty_detections():
    m = evaluate(TRUTH, [])
    f = _kind(m, "falling_object")
    assert (f["tp"], f["fp"], f["fn"]) == (0, 0, 2)
    assert f["recall"] == 0.0 and f["precision"] == 0.0 and f["f1"] == 0.0
    assert f["time_to_alarm_mean_s"] is None


def test_shifted_detection_is_a_false_alarm_and_a_miss():
    d = copy.deepcopy(TRUTH["events"][0])
    d["bbox"] = [140, 40, 160, 120]  # 80 px right of the truth box, tolerance 30 px
    m = evaluate(TRUTH, [d, TRUTH["events"][1]])
    f = _kind(m, "falling_object")
    assert (f["tp"], f["fp"], f["fn"]) == (1, 1, 1)
    assert f["precision"] == 0.5 and f["recall"] == 0.5
    # one false alarm in 10 s = 360 per hour
    assert f["false_alarms_per_hour"] == pytest.approx(360.0)
    # the same box shifted by 25 px (gap 5 px) still matches
    d["bbox"] = [85, 40, 105, 120]
    assert _kind(evaluate(TRUTH, [d]), "falling_object")["tp"] == 1


def test_time_shift_beyond_tolerance_misses():
    d = copy.deepcopy(TRUTH["events"][0])
    d["t_start"], d["t_end"] = 2.6, 3.0  # 0.6 s after the truth ends; tolerance 0.5 s
    assert _kind(evaluate(TRUTH, [d]), "falling_object")["tp"] == 0
    d["t_start"] = 2.4
    assert _kind(evaluate(TRUTH, [d]), "falling_object")["tp"] == 1


def test_duplicated_detection_counts_once():
    e = TRUTH["events"][0]
    m = evaluate(TRUTH, [e, copy.deepcopy(e)])
    f = _kind(m, "falling_object")
    assert (f["tp"], f["fp"], f["fn"]) == (1, 1, 1)
    # P = 1/2, R = 1/2, F1 = 0.5
    assert f["f1"] == pytest.approx(0.5)
    m = evaluate(TRUTH, [e, copy.deepcopy(e), TRUTH["events"][1]])
    f = _kind(m, "falling_object")
    # P = 2/3, R = 1, F1 = 2 * (2/3) / (5/3) = 0.8
    assert f["precision"] == pytest.approx(2 / 3) and f["f1"] == pytest.approx(0.8)


def test_floor_origin_and_time_to_alarm():
    d0 = copy.deepcopy(TRUTH["events"][0])
    d0["origin"] = {"floor": 5, "column": 2, "x": 53.0, "y": 44.0}  # one floor up, 5 px off
    d0["t_alarm"] = 1.8
    d1 = copy.deepcopy(TRUTH["events"][1])
    d1["t_start"] = 6.3  # no t_alarm: t_start counts
    m = _kind(evaluate(TRUTH, [d0, d1]), "falling_object")
    assert m["floor_exact"] == 0.5 and m["floor_within_1"] == 1.0
    assert m["origin_error_mean_px"] == pytest.approx(2.5)
    assert m["time_to_alarm_mean_s"] == pytest.approx((0.8 + 0.3) / 2)


def test_helmet_accuracy_and_wearing_rate():
    riders = [e for e in TRUTH["events"] if e["kind"] == "rider"]
    dets = copy.deepcopy(riders)
    dets[1]["helmet"] = False  # one wrong; detected rate 1/4, true rate 2/4
    m = _kind(evaluate(TRUTH, dets), "rider")
    assert m["helmet_accuracy"] == pytest.approx(0.75)
    assert m["wearing_rate_truth"] == 0.5 and m["wearing_rate_detected"] == 0.25
    assert m["wearing_rate_error_pp"] == pytest.approx(-25.0)
    # helmet_violation events are riders without a helmet
    hv = {k: v for k, v in riders[2].items() if k != "helmet"}
    hv["kind"] = "helmet_violation"
    m = _kind(evaluate(TRUTH, [hv]), "rider")
    assert m["tp"] == 1 and m["helmet_accuracy"] == 1.0


def test_trajectory_distance_beats_box_when_both_have_tracks():
    tr = {"t_start": 0.0, "t_end": 1.0, "bbox": [0, 0, 100, 100],
          "trajectory": [[0, 0.0, 10.0, 10.0], [1, 0.1, 10.0, 20.0]]}
    near = {"t_start": 0.0, "t_end": 1.0, "bbox": [0, 0, 100, 100],
            "trajectory": [[0, 0.0, 13.0, 14.0], [1, 0.1, 10.0, 20.0]]}  # mean 2.5 px
    far = {"t_start": 0.0, "t_end": 1.0, "bbox": [0, 0, 100, 100],
           "trajectory": [[0, 0.0, 90.0, 10.0], [1, 0.1, 90.0, 20.0]]}  # 80 px
    assert [(i, j) for i, j, _ in match([tr], [far, near], dist_tol=30)] == [(0, 1)]
    assert match([tr], [far], dist_tol=30) == []


def test_synth_truth_against_itself_and_degraded(tmp_path):
    from anfang.synth import facade, street

    clips = {"f1": facade(seed=31, size=(200, 120), fps=10.0, seconds=4.0, distractors="none",
                          falls=2),
             "s1": street(seed=32, size=(200, 120), fps=10.0, seconds=8.0, kind="mixed", n_riders=3)}
    manifest = {"version": 1, "clips": []}
    for name, c in clips.items():
        c.save(tmp_path / "suite" / name)
        manifest["clips"].append({"name": name})
    (tmp_path / "suite" / "suite.json").write_text(json.dumps(manifest))
    perfect = {n: c.truth["events"] for n, c in clips.items()}
    m = evaluate_suite(tmp_path / "suite", perfect)
    n_truth = sum(k["n_truth"] for k in m["kinds"].values())
    assert n_truth == sum(len(v) for v in perfect.values()) >= 4
    for k in m["kinds"].values():
        assert k["f1"] == 1.0
    # drop one event from each clip and displace another: scores drop
    worse = {}
    for n, evs in perfect.items():
        evs = copy.deepcopy(evs)[1:]
        e = evs[0]
        e["bbox"] = [v + 500 for v in e["bbox"]]
        if e.get("trajectory"):
            e["trajectory"] = [[r[0], r[1], r[2] + 500, r[3]] for r in e["trajectory"]]
        worse[n] = evs
    m2 = evaluate_suite(tmp_path / "suite", worse)
    tp = sum(k["tp"] for k in m2["kinds"].values())
    fp = sum(k["fp"] for k in m2["kinds"].values())
    assert tp == n_truth - 4 and fp == 2
    # the CLI reads a directory of <clip>.jsonl files
    evdir = tmp_path / "events"
    evdir.mkdir()
    for n, evs in perfect.items():
        (evdir / f"{n}.jsonl").write_text("".join(Event.from_dict(e).to_json() + "\n" for e in evs))
    assert main(["eval", "--truth", str(tmp_path / "suite"), "--events", str(evdir), "--json"]) == 0
    ev = load_events(evdir / "f1.jsonl")
    assert len(ev) == len(perfect["f1"])


def test_cli_single_clip(tmp_path, capsys):
    assert main(["synth", "facade", "--seed", "3", "--out", str(tmp_path / "c"), "--size", "160x90",
                 "--fps", "10", "--seconds", "3"]) == 0
    truth = json.loads((tmp_path / "c" / "truth.json").read_text())
    (tmp_path / "ev.jsonl").write_text("\n".join(json.dumps(e) for e in truth["events"]))
    capsys.readouterr()
    assert main(["eval", "--truth", str(tmp_path / "c" / "truth.json"),
                 "--events", str(tmp_path / "ev.jsonl"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["kinds"]["falling_object"]["f1"] == 1.0


def test_mot_rows_roundtrip_and_scores(tmp_path):
    truth = {"objects": [
        {"id": 1, "kind": "bird", "frames": [[0, 0, 0, 10, 10], [1, 1, 0, 11, 10], [2, 2, 0, 12, 10]]},
        {"id": 2, "kind": "leaf", "frames": [[0, 50, 50, 60, 60], [1, 50, 51, 60, 61]]},
    ]}
    rows = truth_mot_rows(truth)
    assert rows[0] == [1, 1, 0.0, 0.0, 10.0, 10.0, 1.0, -1, -1, -1]
    assert len(truth_mot_rows(truth, kinds=["leaf"])) == 2
    back = read_mot(write_mot(rows, tmp_path / "gt.txt"))
    assert back == rows
    pytest.importorskip("motmetrics")
    from anfang.eval import mot_metrics

    s = mot_metrics(rows, rows)
    assert s["MOTA"] == 1.0 and s["IDF1"] == 1.0 and s["HOTA"] == pytest.approx(1.0)
    # drop one of five boxes: MOTA = 1 - 1/5
    s = mot_metrics(rows, rows[1:])
    assert s["MOTA"] == pytest.approx(0.8)
    # swap the bird's id on its last frame: one switch, IDF1 below 1
    swapped = [r if not (r[1] == 1 and r[0] == 3) else [3, 9] + r[2:] for r in rows]
    s = mot_metrics(rows, swapped)
    assert s["ID_switches"] == 1 and s["IDF1"] < 1.0 and s["HOTA"] < 1.0


def test_false_alarm_hours_count_only_clips_of_the_kinds_scene():
    facade_truth = {"scene": "facade", "fps": 10.0, "t": [i / 10 for i in range(100)], "events": []}
    street_truth = {"scene": "street", "fps": 10.0, "t": [i / 10 for i in range(200)], "events": []}
    from anfang.eval import _raw, _summarise

    fa = _fall(1.0, 2.0, 10, 20, [0, 0, 10, 10])
    m = _summarise([_raw(facade_truth, [fa], 0.5, None), _raw(street_truth, [], 0.5, None)])
    f = m["kinds"]["falling_object"]
    # one false alarm in the 10 s of facade video (the 20 s street clip does not count)
    assert f["fp"] == 1 and f["false_alarms_per_hour"] == pytest.approx(360.0)
    assert m["kinds"]["rider"]["hours"] == pytest.approx(20.0 / 3600)


def test_box_only_detection_matches_a_truth_trajectory_at_its_frames():
    tr = {"kind": "rider", "t_start": 0.0, "t_end": 3.0, "frame_start": 0, "frame_end": 30,
          "bbox": [290, 0, 310, 20], "helmet": True,
          "trajectory": [[f, f / 10, 10.0 * f, 10.0] for f in range(31)]}
    truth = {"scene": "street", "fps": 10.0, "t": [i / 10 for i in range(40)], "events": [tr]}
    # the detector reports the rider's box around frame 5 only (x about 50)
    det = {"kind": "rider", "t_start": 0.4, "t_end": 0.6, "frame_start": 4, "frame_end": 6,
           "bbox": [40, 0, 60, 20], "helmet": True}
    assert evaluate(truth, [det])["kinds"]["rider"]["tp"] == 1
    det["bbox"] = [140, 0, 160, 20]  # 80 px from where the rider was at frames 4-6
    assert evaluate(truth, [det])["kinds"]["rider"]["tp"] == 0


def test_cli_scores_tracks(tmp_path, capsys):
    pytest.importorskip("motmetrics")
    from anfang.synth import facade

    clip = facade(seed=5, size=(200, 120), fps=10.0, seconds=2.0, distractors=["birds"], n_birds=2)
    d = clip.save(tmp_path / "c")
    capsys.readouterr()
    assert main(["eval", "--truth", str(d / "truth.json"), "--tracks", str(d / "gt.txt"), "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["MOTA"] == 1.0 and s["IDF1"] == 1.0


def test_bad_arguments_name_the_argument():
    from anfang.eval import evaluate, match

    truth = {"events": [], "t": [0.0, 0.04], "fps": 25.0}
    with pytest.raises(TypeError, match="truth: expected a truth.json mapping with an 'events' list, got NoneType"):
        evaluate(None, [])
    with pytest.raises(TypeError, match=r"truth: .* got keys \['fps'\]"):
        evaluate({"fps": 25.0}, [])
    with pytest.raises(ValueError, match="time_tol: expected a finite number >= 0, got -1"):
        match([], [], time_tol=-1)
    with pytest.raises(ValueError, match="dist_tol: expected a finite number > 0, got 0"):
        match([], [], dist_tol=0)
    with pytest.raises(TypeError, match="time_tol: expected a number, got str"):
        evaluate(truth, [], time_tol="0.5")
    with pytest.raises(ValueError, match=r"dist_tol\['rider'\]: expected a finite number > 0, got nan"):
        evaluate(truth, [], dist_tol={"rider": float("nan")})
    with pytest.raises(TypeError, match="dist_tol: expected a mapping"):
        evaluate(truth, [], dist_tol=5.0)
    assert match([], [], time_tol=0, dist_tol=1) == []


def test_eval_command_usage_and_missing_files(tmp_path, capsys):
    truth = tmp_path / "truth.json"
    truth.write_text(json.dumps({"events": [], "t": [0.0, 0.04], "fps": 25.0}))
    assert main(["eval", "--truth", str(truth)]) == 2  # neither --events nor --tracks
    assert "--events: required" in capsys.readouterr().err
    assert main(["eval", "--truth", str(tmp_path / "missing.json"), "--events", str(truth)]) == 1
    assert "--truth: " in capsys.readouterr().err
    assert main(["eval", "--truth", str(tmp_path), "--tracks", str(truth)]) == 2
    assert "--tracks: expected --truth to be one clip's truth.json" in capsys.readouterr().err


def test_read_mot_names_the_bad_line(tmp_path):
    p = tmp_path / "t.txt"
    p.write_text("1,1,0,0,10,10,1,-1,-1,-1\n\n2,1,bad,0,10,10,1\n")
    with pytest.raises(ValueError, match=r"t.txt:3: expected a MOTChallenge row .* got '2,1,bad,0,10,10,1'"):
        read_mot(p)
    p.write_text("1,1,0,0\n")
    with pytest.raises(ValueError, match=r"t.txt:1: expected a MOTChallenge row"):
        read_mot(p)
    p.write_text("1,1,0,0,10,10,1,-1,-1,-1\n\n3,2,5.5,6,7,8,0.5\n")
    assert read_mot(p) == [[1, 1, 0.0, 0.0, 10.0, 10.0, 1.0, -1, -1, -1], [3, 2, 5.5, 6.0, 7.0, 8.0, 0.5, -1, -1, -1]]
    with pytest.raises(TypeError, match="truth: expected a truth.json mapping, got NoneType"):
        truth_mot_rows(None)


def test_recall_over_the_objects_marked_visible():
    truth = copy.deepcopy(TRUTH)
    truth["events"][0]["visibility"] = {"visible": True, "visible_frac": 1.0}
    truth["events"][1]["visibility"] = {"visible": False, "visible_frac": 0.1}
    f = _kind(evaluate(truth, [truth["events"][0]]), "falling_object")
    assert f["recall"] == 0.5 and f["recall_visible"] == 1.0 and f["n_visible"] == 1
    f = _kind(evaluate(truth, [truth["events"][1]]), "falling_object")
    assert f["recall"] == 0.5 and f["recall_visible"] == 0.0
    # the table prints it
    from anfang.eval import format_table

    assert "falling_object.recall_visible = 0.000" in format_table(evaluate(truth, [truth["events"][1]]))
    # without visibility marks there is no such figure
    assert "recall_visible" not in _kind(evaluate(TRUTH, TRUTH["events"]), "falling_object")
