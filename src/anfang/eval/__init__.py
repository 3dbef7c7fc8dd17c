"""Score detector events against ground truth.

Events on both sides use the flat schema of :meth:`anfang.events.Event.to_dict` (the truth
events of :mod:`anfang.synth` use it too). Matching is per kind, one-to-one, greedy by score
(see ``docs/benchmark.md``):

* a pair is a *candidate* when the time spans overlap once both are widened by
  ``time_tol`` seconds, and the spatial distance is at most ``dist_tol[kind]`` pixels;
* spatial distance: the mean distance between the two ``trajectory`` tracks at their common
  frames when both carry one, else the gap between the boxes (0 when they overlap);
* score = temporal IoU + (1 - distance / dist_tol); the highest-scoring candidate pairs are
  taken first, each truth and each detection at most once.

>>> truth = {"events": [{"kind": "falling_object", "t_start": 1.0, "t_end": 2.0,
...          "frame_start": 25, "frame_end": 50, "bbox": [10, 10, 20, 60]}],
...          "t": [i / 25 for i in range(250)], "fps": 25.0}
>>> m = evaluate(truth, truth["events"])
>>> m["kinds"]["falling_object"]["f1"]
1.0
>>> evaluate(truth, [])["kinds"]["falling_object"]["recall"]
0.0
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from .mot import mot_metrics, read_mot, truth_mot_rows, write_mot

__all__ = [
    "evaluate",
    "evaluate_suite",
    "match",
    "load_events",
    "format_table",
    "truth_mot_rows",
    "write_mot",
    "read_mot",
    "mot_metrics",
    "DIST_TOL",
]

#: Default spatial tolerance in pixels per kind.
DIST_TOL = {"falling_object": 30.0, "rider": 40.0, "package_dropped": 40.0, "package_picked_up": 40.0}
#: Detector kinds scored as another truth kind.
ALIASES = {"package_removed": "package_picked_up"}
TRUTH_KINDS = ("falling_object", "package_dropped", "package_picked_up", "rider")
#: Kinds always reported for a scene (so that a clip with nothing to find still counts
#: towards that kind's hours and false alarms).
SCENE_KINDS = {"facade": ("falling_object",),
               "street": ("rider", "package_dropped", "package_picked_up")}


def load_events(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Read JSON Lines (one event per line) or a JSON list of events; validated by ``Event``."""
    from anfang.events import Event

    text = Path(path).read_text()
    s = text.lstrip()
    if s.startswith("["):
        rows = json.loads(s)
    else:
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    out = []
    for i, r in enumerate(rows):
        try:
            out.append(Event.from_dict(r).to_dict())
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{path}: event {i + 1}: {exc}") from None
    return out


def _as_dict(e: Any) -> dict[str, Any]:
    if isinstance(e, Mapping):
        return dict(e)
    if hasattr(e, "to_dict"):
        return e.to_dict()
    raise TypeError(f"events: expected mappings or Event objects, got {type(e).__name__}")


def _box_gap(a, b) -> float:
    if a is None or b is None:
        return math.inf
    dx = max(0.0, max(a[0], b[0]) - min(a[2], b[2]))
    dy = max(0.0, max(a[1], b[1]) - min(a[3], b[3]))
    return math.hypot(dx, dy)


def _traj_dist(a, b) -> float | None:
    if not a or not b:
        return None
    pa = {int(r[0]): (r[2], r[3]) for r in a}
    ds = [math.hypot(pa[int(r[0])][0] - r[2], pa[int(r[0])][1] - r[3]) for r in b if int(r[0]) in pa]
    if not ds:
        return None
    return sum(ds) / len(ds)


def _point_box(x, y, b) -> float:
    return math.hypot(max(b[0] - x, 0.0, x - b[2]), max(b[1] - y, 0.0, y - b[3]))


def _traj_box(traj, box, f0=None, f1=None) -> float | None:
    """Smallest distance from the trajectory points (within frames f0..f1 if any) to a box."""
    if not traj or box is None:
        return None
    pts = [r for r in traj if f0 is None or f0 <= r[0] <= f1] or list(traj)
    return min(_point_box(r[2], r[3], box) for r in pts)


def _distance(tr: Mapping, de: Mapping) -> float:
    d = _traj_dist(tr.get("trajectory"), de.get("trajectory"))
    if d is not None:
        return d
    if tr.get("trajectory") and de.get("bbox") is not None and not de.get("trajectory"):
        d = _traj_box(tr["trajectory"], de["bbox"], de.get("frame_start"), de.get("frame_end"))
        if d is not None:
            return min(d, _box_gap(tr.get("bbox"), de["bbox"]))
    return _box_gap(tr.get("bbox"), de.get("bbox"))


def _t_iou(a, b) -> float:
    inter = min(a["t_end"], b["t_end"]) - max(a["t_start"], b["t_start"])
    union = max(a["t_end"], b["t_end"]) - min(a["t_start"], b["t_start"])
    if union <= 0:
        return 1.0 if inter >= 0 else 0.0
    return max(0.0, inter) / union


def match(truth_events: Sequence[Mapping], det_events: Sequence[Mapping], time_tol: float = 0.5,
          dist_tol: float = 30.0) -> list[tuple[int, int, float]]:
    """One-to-one greedy matching of same-kind events; returns ``(truth_i, det_i, score)``.

    >>> a = {"t_start": 0.0, "t_end": 1.0, "bbox": [0, 0, 10, 10]}
    >>> b = {"t_start": 0.2, "t_end": 1.0, "bbox": [2, 2, 12, 12]}
    >>> far = {"t_start": 0.2, "t_end": 1.0, "bbox": [200, 2, 212, 12]}
    >>> [(i, j) for i, j, _ in match([a], [far, b])]
    [(0, 1)]
    """
    time_tol = _check_tol(time_tol, "time_tol", positive=False)
    dist_tol = _check_tol(dist_tol, "dist_tol", positive=True)
    cands = []
    for i, tr in enumerate(truth_events):
        for j, de in enumerate(det_events):
            if de["t_start"] > tr["t_end"] + time_tol or de["t_end"] < tr["t_start"] - time_tol:
                continue
            d = _distance(tr, de)
            if not d <= dist_tol:
                continue
            cands.append((_t_iou(tr, de) + 1.0 - d / dist_tol, i, j))
    cands.sort(key=lambda c: (-c[0], c[1], c[2]))
    used_t, used_d, out = set(), set(), []
    for score, i, j in cands:
        if i in used_t or j in used_d:
            continue
        used_t.add(i)
        used_d.add(j)
        out.append((i, j, score))
    return sorted(out)


def _duration(truth: Mapping) -> float:
    t = truth.get("t") or []
    fps = float(truth.get("fps") or 25.0)
    if len(t) >= 1:
        return float(t[-1]) - float(t[0]) + 1.0 / fps
    return float(truth.get("n_frames", 0)) / fps


def _median(v):
    if not v:
        return None
    s = sorted(v)
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


def _mean(v):
    return sum(v) / len(v) if v else None


def _check_tol(value: Any, name: str, positive: bool) -> float:
    """A finite ``>= 0`` (or ``> 0``) tolerance, else a ValueError/TypeError naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name}: expected a number, got {type(value).__name__} {value!r}")
    v = float(value)
    if not (math.isfinite(v) and (v > 0 if positive else v >= 0)):
        raise ValueError(f"{name}: expected a finite number {'> 0' if positive else '>= 0'}, got {value!r}")
    return v


def _check_dist_tol(dist_tol: Any) -> dict[str, float]:
    tol = dict(DIST_TOL)
    if dist_tol is None:
        return tol
    if not isinstance(dist_tol, Mapping):
        raise TypeError(f"dist_tol: expected a mapping kind -> pixels, got {type(dist_tol).__name__}")
    for k, v in dist_tol.items():
        tol[k] = _check_tol(v, f"dist_tol[{k!r}]", positive=True)
    return tol


def _raw(truth: Mapping, detections: Iterable, time_tol: float, dist_tol: Mapping | None) -> dict:
    """Per-kind counts and lists for one clip (summed across clips by evaluate_suite)."""
    if not isinstance(truth, Mapping) or not isinstance(truth.get("events"), list):
        got = type(truth).__name__ if not isinstance(truth, Mapping) else f"keys {sorted(truth)}"
        raise TypeError(f"truth: expected a truth.json mapping with an 'events' list, got {got}")
    _check_tol(time_tol, "time_tol", positive=False)
    tol = _check_dist_tol(dist_tol)
    dets = [_as_dict(e) for e in detections]
    for d in dets:
        d["kind"] = ALIASES.get(d["kind"], d["kind"])
        if d["kind"] == "helmet_violation":
            d["kind"], d["helmet"] = "rider", False
    tev = [_as_dict(e) for e in truth.get("events", [])]
    raw: dict[str, Any] = {"duration_s": _duration(truth), "kinds": {}}
    kinds = sorted({e["kind"] for e in tev} | {e["kind"] for e in dets}
                   | set(SCENE_KINDS.get(truth.get("scene"), ())))
    for kind in kinds:
        tr = [e for e in tev if e["kind"] == kind]
        de = [e for e in dets if e["kind"] == kind]
        pairs = match(tr, de, time_tol, tol.get(kind, 40.0))
        r = {"hours": raw["duration_s"] / 3600.0, "n_truth": len(tr), "n_det": len(de), "tp": len(pairs), "fp": len(de) - len(pairs),
             "fn": len(tr) - len(pairs), "tta": [], "floor_exact": [], "floor_within1": [],
             "origin_err": [], "helmet_ok": [], "truth_helmet": [], "det_helmet": []}
        for i, j, _ in pairs:
            a, b = tr[i], de[j]
            t_alarm = b.get("t_alarm")
            t_alarm = b["t_start"] if t_alarm is None else float(t_alarm)
            r["tta"].append(t_alarm - a["t_start"])
            oa, ob = a.get("origin"), b.get("origin")
            if isinstance(oa, Mapping) and isinstance(ob, Mapping):
                if ob.get("floor") is not None and oa.get("floor") is not None:
                    df = abs(int(ob["floor"]) - int(oa["floor"]))
                    r["floor_exact"].append(df == 0)
                    r["floor_within1"].append(df <= 1)
                if ob.get("x") is not None and oa.get("x") is not None:
                    r["origin_err"].append(math.hypot(ob["x"] - oa["x"], ob["y"] - oa["y"]))
            if kind == "rider" and b.get("helmet") is not None and a.get("helmet") is not None:
                r["helmet_ok"].append(bool(b["helmet"]) == bool(a["helmet"]))
        # objects the ground truth marks visible (see anfang.synth: a per-pixel detector can
        # be expected to find them): were they found?
        hit = {i for i, _, _ in pairs}
        r["visible_found"] = [i in hit for i, e in enumerate(tr)
                              if isinstance(e.get("visibility"), Mapping) and e["visibility"].get("visible")]
        if kind == "rider":
            r["truth_helmet"] = [bool(e["helmet"]) for e in tr if e.get("helmet") is not None]
            r["det_helmet"] = [bool(e["helmet"]) for e in de if e.get("helmet") is not None]
        raw["kinds"][kind] = r
    return raw


def _summarise(raws: Sequence[dict]) -> dict[str, Any]:
    hours = sum(r["duration_s"] for r in raws) / 3600.0
    acc: dict[str, dict] = {}
    for raw in raws:
        for kind, r in raw["kinds"].items():
            a = acc.setdefault(kind, {k: (0 if isinstance(v, (int, float)) else []) for k, v in r.items()})
            for k, v in r.items():
                a[k] = a[k] + v
    out: dict[str, Any] = {"hours": hours, "n_clips": len(raws), "kinds": {}}
    for kind, a in acc.items():
        tp, fp, fn, kh = a["tp"], a["fp"], a["fn"], a["hours"]
        p = tp / (tp + fp) if tp + fp else (1.0 if fn == 0 else 0.0)
        rc = tp / (tp + fn) if tp + fn else (1.0 if fp == 0 else 0.0)
        f1 = 2 * p * rc / (p + rc) if p + rc else 0.0
        m = {"n_truth": a["n_truth"], "n_det": a["n_det"], "tp": tp, "fp": fp, "fn": fn,
             "precision": p, "recall": rc, "f1": f1,
             "hours": kh, "false_alarms_per_hour": fp / kh if kh > 0 else None,
             "time_to_alarm_mean_s": _mean(a["tta"]), "time_to_alarm_median_s": _median(a["tta"])}
        if a["visible_found"]:
            m["n_visible"] = len(a["visible_found"])
            m["recall_visible"] = _mean([float(x) for x in a["visible_found"]])
        if kind == "falling_object":
            m["floor_exact"] = _mean([float(x) for x in a["floor_exact"]])
            m["floor_within_1"] = _mean([float(x) for x in a["floor_within1"]])
            m["origin_error_mean_px"] = _mean(a["origin_err"])
            m["origin_error_median_px"] = _median(a["origin_err"])
        if kind == "rider":
            m["helmet_accuracy"] = _mean([float(x) for x in a["helmet_ok"]])
            tr_rate = _mean([float(x) for x in a["truth_helmet"]])
            de_rate = _mean([float(x) for x in a["det_helmet"]])
            m["wearing_rate_truth"] = tr_rate
            m["wearing_rate_detected"] = de_rate
            m["wearing_rate_error_pp"] = (100.0 * (de_rate - tr_rate)
                                          if tr_rate is not None and de_rate is not None else None)
        out["kinds"][kind] = m
    return out


def evaluate(truth: Mapping, detections: Iterable, *, time_tol: float = 0.5,
             dist_tol: Mapping[str, float] | None = None) -> dict[str, Any]:
    """Metrics of one clip: ``{"hours", "n_clips", "kinds": {kind: {...}}}``.

    Parameters
    ----------
    truth : dict
        A ``truth.json`` document (needs ``events``; ``t``/``fps`` give the duration).
    detections : iterable of dict or Event
        Detector output in the event schema.
    time_tol : float
        Seconds by which the time spans may miss each other and still match.
    dist_tol : dict
        Per-kind spatial tolerance in px, overriding :data:`DIST_TOL`.

    Per kind: ``precision``, ``recall``, ``f1``, ``false_alarms_per_hour`` and time to alarm
    (``t_alarm`` of the detection, or its ``t_start`` when absent, minus the truth
    ``t_start``); where the truth marks objects ``visibility.visible`` (the facade generator
    does), ``recall_visible`` over those and their count ``n_visible``; for falls
    ``floor_exact``, ``floor_within_1``, ``origin_error_*_px``; for riders ``helmet_accuracy`` (matched riders) and ``wearing_rate_error_pp`` (detected rate
    over all detected riders minus the true rate, in percentage points).
    """
    return _summarise([_raw(truth, detections, time_tol, dist_tol)])


def _events_for(events: Any, name: str) -> list[dict]:
    if isinstance(events, Mapping):
        return list(events.get(name, []))
    p = Path(events)
    if p.is_dir():
        f = p / f"{name}.jsonl"
        if not f.exists():
            f = p / name / "events.jsonl"
        return load_events(f) if f.exists() else []
    return [e for e in load_events(p) if e.get("clip", e.get("camera_id")) == name]


def evaluate_suite(suite_dir: str | os.PathLike, events: Any, *, time_tol: float = 0.5,
                   dist_tol: Mapping[str, float] | None = None) -> dict[str, Any]:
    """Score a whole suite directory (``suite.json`` + one folder per clip).

    ``events``: a directory holding ``<clip>.jsonl`` (or ``<clip>/events.jsonl``), one JSON
    Lines file whose rows carry ``clip`` (or ``camera_id``) equal to the clip name, or a
    dict ``{clip name: [events]}``. A clip without detections counts as no detections.
    Counts are summed over clips (micro-averaged); the per-clip results are in ``clips``.
    """
    d = Path(suite_dir)
    manifest = json.loads((d / "suite.json").read_text())
    raws, per_clip = [], {}
    for entry in manifest["clips"]:
        name = entry["name"]
        truth = json.loads((d / name / "truth.json").read_text())
        raw = _raw(truth, _events_for(events, name), time_tol, dist_tol)
        raws.append(raw)
        per_clip[name] = _summarise([raw])
    out = _summarise(raws)
    out["clips"] = per_clip
    return out


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def format_table(metrics: Mapping[str, Any]) -> str:
    """A plain-text table of :func:`evaluate` output, one row per kind."""
    cols = ["n_truth", "n_det", "tp", "fp", "fn", "precision", "recall", "f1",
            "false_alarms_per_hour", "time_to_alarm_median_s"]
    head = ["kind", "truth", "det", "tp", "fp", "fn", "P", "R", "F1", "FA/h", "TTA s"]
    rows = [head]
    extra = []
    for kind, m in sorted(metrics["kinds"].items()):
        rows.append([kind] + [_fmt(m.get(c)) for c in cols])
        for k in ("recall_visible", "floor_exact", "floor_within_1", "origin_error_median_px",
                  "helmet_accuracy", "wearing_rate_truth", "wearing_rate_detected", "wearing_rate_error_pp"):
            if k in m:
                extra.append(f"  {kind}.{k} = {_fmt(m[k])}")
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in rows]
    lines.append(f"clips: {metrics.get('n_clips', 1)}  hours: {metrics['hours']:.4f}")
    return "\n".join(lines + extra)
