"""Score the lost-package detector on street package clips of :mod:`anfang.synth`.

Run ``python -m anfang.lost.evaluate --suite DIR`` on a suite written by
``anfang bench suite --out DIR --only street_package`` (or without ``--suite``, to render
the ten package clips of the standard suite in memory). It prints, and with ``--json``
writes:

- drop and pickup recall / precision from :func:`anfang.eval.evaluate` (``package_removed``
  counts as a pickup there);
- **picker id**: for every matched pickup, the boxes of the detector's picker track (and
  the tracks stitched to it, as followed by the detector: ``picker_boxes``) are compared
  with every truth object's boxes (mean IoU over the followed frames, 0 where the object has
  no box); the pickup is "correct" when the truth picker is the best match with a mean IoU of at
  least ``MIN_IOU`` = 0.1 (from the pickup on, the carried package counts as part of the
  picker: its box is merged into the picker's);
- **dropper id**: the same check for the dropper track of every matched drop, on the frames
  from 3 s before the landing to the alarm (a rider of the delivery tricycle counts as the
  tricycle);
- **false alarms** on the parked car that drives off (ghost) and on the person standing
  still: drops whose box overlaps those objects' boxes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from anfang.lost.detector import LostPackageDetector

__all__ = ["score_clip", "track_match", "figure", "main"]


#: Least mean IoU between the detector's picker (dropper) boxes and the truth object's boxes.
#: Moving blobs of a walker are often fragments (legs, torso) of the full-body truth box, so
#: a correct track scores 0.1-0.5; the identity test is that the truth picker is the *best*
#: matching truth object.
MIN_IOU = 0.1


def _truth_boxes(obj: dict) -> dict[int, np.ndarray]:
    return {int(r[0]): np.asarray(r[1:5], float) for r in obj.get("frames", [])}


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / u if u > 0 else 0.0


def _carried(objects: list[dict], events: list[dict]) -> list[dict]:
    """Truth objects for the picker check: from the pickup on, the package is in the picker's
    hands, so the picker's box there is the union of both and the package has no box of its
    own (a blob of the carried package is a blob of the picker)."""
    out = [dict(o) for o in objects]
    by_id = {o["id"]: o for o in out}
    for e in events:
        if e["kind"] != "package_picked_up":
            continue
        pk, pp = by_id.get(e.get("track_id")), by_id.get(e.get("picker_id"))
        if pk is None or pp is None:
            continue
        f0 = int(e["frame_start"])
        carried = {int(r[0]): r[1:5] for r in pk.get("frames", []) if int(r[0]) >= f0}
        rows = []
        for r in pp.get("frames", []):
            b = carried.get(int(r[0]))
            if b is not None:
                r = [r[0], min(r[1], b[0]), min(r[2], b[1]), max(r[3], b[2]), max(r[4], b[3])]
            rows.append(r)
        pp["frames"] = rows
        pk["frames"] = [r for r in pk.get("frames", []) if int(r[0]) < f0]
    return out


def track_match(frames: np.ndarray, boxes: np.ndarray, objects: Iterable[dict]) -> tuple[int | None, float]:
    """Best truth object for a detector track: (object id, mean IoU over the track's frames).

    Frames where the object has no box count as IoU 0, so an object that shares only a few
    frames with the track (e.g. a package it stood over for a moment) does not win on them.
    """
    best, best_iou = None, 0.0
    n = max(len(frames), 1)
    for obj in objects:
        tb = _truth_boxes(obj)
        ious = [_iou(b, tb[int(f)]) for f, b in zip(frames, boxes) if int(f) in tb]
        if len(ious) >= 3:
            m = float(np.sum(ious)) / n
            if m > best_iou:
                best, best_iou = int(obj["id"]), m
    return best, best_iou


def score_clip(clip: Any, **config: Any) -> dict[str, Any]:
    """Run the detector over one clip and score it (see the module docstring)."""
    from anfang.eval import evaluate, match

    det = LostPackageDetector(camera_id="synth", **config)
    events = []
    t0 = time.perf_counter()
    for f, t in zip(clip.frames, clip.t):
        events += det.update(f, float(t))
    events += det.finish()
    elapsed = time.perf_counter() - t0
    dets = [e.to_dict() for e in events]
    truth = clip.truth
    objects = truth.get("objects", [])
    m = evaluate(truth, dets)
    out: dict[str, Any] = {
        "metrics": {k: {kk: v.get(kk) for kk in ("tp", "fp", "fn")} for k, v in m["kinds"].items()},
        "events": dets,
        "seconds": elapsed,
        "frames": len(clip.t),
    }
    tev = truth.get("events", [])
    fps = float(truth.get("fps") or 25.0)

    def ids_check(kind: str, det_kinds: tuple[str, ...], truth_key: str, det_key: str,
                  objs: list[dict] = objects) -> list[dict]:
        tr = [e for e in tev if e["kind"] == kind]
        de = [d for d in dets if d["kind"] in det_kinds]
        norm = [dict(d, kind=kind) for d in de]
        res = []
        for i, j, _ in match(tr, norm, 0.5, 40.0):
            tid = de[j].get(det_key)
            want = tr[i].get(truth_key)
            if tid is None:
                res.append({"truth": want, "track": None, "ok": False, "iou": 0.0})
                continue
            rows = de[j].get(det_key.replace("_id", "_boxes"))
            if rows:  # the path the detector followed (pickups)
                arr = np.asarray(rows, float)
                fr, bx = arr[:, 0].astype(int), arr[:, 1:5]
            else:  # the dropper's track, from 3 s before the landing up to the alarm
                fr, bx = det.track_boxes([tid])
                lo = de[j]["frame_start"] - 3 * fps
                hi = de[j].get("frame_alarm", de[j]["frame_end"])
                keep = (fr >= lo) & (fr <= hi)
                fr, bx = fr[keep], bx[keep]
            got, iou = track_match(fr, bx, objs)
            # A rider on the delivery tricycle is part of the dropper.
            same = {want} | {o["id"] for o in objects if o.get("vehicle_id") == want}
            res.append({"truth": want, "track": tid, "matched_object": got, "iou": round(iou, 3),
                        "ok": got in same and iou >= MIN_IOU})
        return res

    out["pickers"] = ids_check("package_picked_up", ("package_picked_up",), "picker_id", "picker_id",
                               _carried(objects, tev))
    out["droppers"] = ids_check("package_dropped", ("package_dropped",), "dropper_id", "dropper_id")
    # False alarms on the leaving parked car and on the person standing still.
    distractors = [o for o in objects if o.get("parked_until") is not None or o.get("standing")]
    fa = 0
    for d in dets:
        if d["kind"] != "package_dropped":
            continue
        for o in distractors:
            tb = _truth_boxes(o)
            if tb and any(_iou(np.asarray(d["bbox"]), b) > 0.1 for b in tb.values()):
                fa += 1
                break
    out["distractor_alarms"] = fa
    return out


def _draw_box(img: np.ndarray, box: Any, color: tuple[int, int, int], width: int = 2) -> None:
    h, w = img.shape[:2]
    x0, y0, x1, y1 = (int(round(float(v))) for v in box)
    x0, x1 = max(0, x0 - width), min(w, x1 + width)
    y0, y1 = max(0, y0 - width), min(h, y1 + width)
    img[y0 : y0 + width, x0:x1] = color
    img[max(y1 - width, 0) : y1, x0:x1] = color
    img[y0:y1, x0 : x0 + width] = color
    img[y0:y1, max(x1 - width, 0) : x1] = color


def _draw_path(img: np.ndarray, rows: list, color: tuple[int, int, int]) -> None:
    from skimage.draw import disk, line

    h, w = img.shape[:2]
    pts = [(int(round(r[3])), int(round(r[2]))) for r in rows]  # rows: frame, t, x, y
    for (ya, xa), (yb, xb) in zip(pts, pts[1:]):
        rr, cc = line(ya, xa, yb, xb)
        ok = (rr >= 0) & (rr < h) & (cc >= 0) & (cc < w)
        img[rr[ok], cc[ok]] = color
        img[np.clip(rr[ok] + 1, 0, h - 1), cc[ok]] = color
    if pts:
        rr, cc = disk(pts[-1], 4, shape=(h, w))
        img[rr, cc] = color


def figure(clip: Any, events: list[dict], out: str, width: int = 420) -> Path:
    """Two panels: the frame of the drop alarm (package box, dropper path) and the frame
    where the picker leaves (picker path, exit point); PNG written with scikit-image."""
    from skimage.io import imsave
    from skimage.transform import resize

    from anfang.frames import to_gray

    panels = []
    drop = next((e for e in events if e["kind"] == "package_dropped"), None)
    pick = next((e for e in events if e["kind"] in ("package_picked_up", "package_removed")), None)
    for ev, path_key, color in ((drop, "dropper_trajectory", (255, 140, 0)), (pick, "picker_trajectory", (0, 170, 255))):
        if ev is None:
            continue
        f = int(ev.get("frame_alarm", ev["frame_end"])) if ev is drop else int(ev["frame_end"])
        g = to_gray(clip.frames[min(f, len(clip.frames) - 1)])
        img = np.repeat(g[..., None], 3, axis=2).copy()
        _draw_path(img, ev.get(path_key) or [], color)
        _draw_box(img, ev["bbox"], (255, 40, 40))
        if ev.get("exit_point"):
            from skimage.draw import disk

            x, y = ev["exit_point"]
            rr, cc = disk((y, x), 7, shape=img.shape[:2])
            img[rr, cc] = (60, 220, 60)
        panels.append(img)
    if not panels:
        raise ValueError("events: no package_dropped / package_picked_up event to draw")
    h, w = panels[0].shape[:2]
    hh = int(round(h * width / w))
    small = [(resize(p, (hh, width), order=1, anti_aliasing=True, preserve_range=True)).astype(np.uint8) for p in panels]
    sep = np.full((hh, 4, 3), 255, np.uint8)
    canvas = small[0]
    for p in small[1:]:
        canvas = np.concatenate([canvas, sep, p], axis=1)
    outp = Path(out)
    outp.parent.mkdir(parents=True, exist_ok=True)
    imsave(outp, canvas, check_contrast=False)
    return outp


def _clips(suite: str | None, only: str = "") -> Iterable[tuple[str, Any]]:
    if suite:
        from anfang.synth import Clip

        for d in sorted(Path(suite).iterdir()):
            if d.is_dir() and d.name.startswith("street_package") and only in d.name:
                yield d.name, Clip.load(d)
        return
    from anfang.synth._suite import render, suite_spec

    for entry in suite_spec():
        if entry["name"].startswith("street_package") and only in entry["name"]:
            yield entry["name"], render(entry)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m anfang.lost.evaluate", description=__doc__.split("\n")[0])
    ap.add_argument("--suite", help="suite directory (anfang bench suite --only street_package)")
    ap.add_argument("--only", default="", help="only clips whose name contains this text")
    ap.add_argument("--dwell", type=float, default=None,
                    help="dwell_s (default: the LostConfig default, 10 s; the suite's packages rest 15-25 s)")
    ap.add_argument("--config", help="LostConfig JSON")
    ap.add_argument("--json", help="write the full results here")
    ap.add_argument("--figure", help="write a PNG of the drop and pickup of the first clip here")
    a = ap.parse_args(argv)
    cfg: dict[str, Any] = {} if a.dwell is None else {"dwell_s": a.dwell}
    if a.config:
        cfg["config"] = a.config
    tot = {"drop": [0, 0, 0], "pick": [0, 0, 0]}
    pickers, droppers, fa, frames, secs = [], [], 0, 0, 0.0
    per = {}
    for name, clip in _clips(a.suite, a.only):
        r = score_clip(clip, **cfg)
        per[name] = r
        if a.figure:
            figure(clip, r["events"], a.figure)
            print(f"wrote {a.figure}")
            a.figure = None
        for key, kind in (("drop", "package_dropped"), ("pick", "package_picked_up")):
            mk = r["metrics"].get(kind, {"tp": 0, "fp": 0, "fn": 0})
            for i, f in enumerate(("tp", "fp", "fn")):
                tot[key][i] += mk[f] or 0
        pickers += r["pickers"]
        droppers += r["droppers"]
        fa += r["distractor_alarms"]
        frames += r["frames"]
        secs += r["seconds"]
        print(f"{name}: drop tp/fp/fn {r['metrics'].get('package_dropped')} "
              f"pickup {r['metrics'].get('package_picked_up')} pickers {[p['ok'] for p in r['pickers']]} "
              f"droppers {[p['ok'] for p in r['droppers']]} distractor alarms {r['distractor_alarms']}",
              flush=True)

    def pr(v: list[int]) -> tuple[float, float]:
        tp, fp, fn = v
        return tp / max(tp + fn, 1), tp / max(tp + fp, 1)

    summary = {
        "drop_recall": pr(tot["drop"])[0], "drop_precision": pr(tot["drop"])[1],
        "pickup_recall": pr(tot["pick"])[0], "pickup_precision": pr(tot["pick"])[1],
        "picker_correct": sum(p["ok"] for p in pickers) / max(len(pickers), 1),
        "n_pickups_matched": len(pickers),
        "dropper_correct": sum(p["ok"] for p in droppers) / max(len(droppers), 1),
        "distractor_alarms": fa,
        "fps_including_grey_conversion": frames / max(secs, 1e-9),
        "config": cfg,
    }
    print(json.dumps(summary, indent=1))
    if a.json:
        Path(a.json).write_text(json.dumps({"summary": summary, "clips": per}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
