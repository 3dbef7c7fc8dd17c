"""Quality and speed of :class:`anfang.helmet.detector.HelmetDetector`.

Quality: the rider clips of the standard suite (``street_riders_00..09``: seeds 4000-4009,
640x360, 25 fps, 12 s, ``kind="riders"``), scored with :func:`anfang.eval.evaluate_suite`
semantics (per-kind matching, micro-averaged over clips)::

    python benches/bench_helmet.py --quality            # all 10 clips
    python benches/bench_helmet.py --quality --clips 3  # a quick subset

It also reports the *oracle* helmet accuracy: the same classifier and vote on the true
head boxes of every rider (every 3rd frame), which separates classifier errors from
localisation errors.

Calibration (``--calibrate``): accuracy of the vote over true head boxes against the
decision threshold, on seeds 100-107 (not in the suite); ``--threshold P`` then scores the
detector on the suite with that threshold.

Speed: ten riders in view on a 1920x1080 RGB clip (synthetic street, 10 two-wheelers
placed to be in view together), milliseconds per frame of ``update`` (decoding excluded;
the clip is rendered in memory first)::

    python benches/bench_helmet.py --speed

BLAS threads: the classifier is a numpy CNN; on a loaded machine OpenBLAS threads make
one small batch 50x slower, so this script pins ``OPENBLAS_NUM_THREADS=1`` (as a
deployment should when many detectors share the cores).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from anfang.eval import _raw, _summarise  # noqa: E402
from anfang.helmet import HelmetClassifier, head_crop  # noqa: E402
from anfang.helmet.detector import HelmetDetector  # noqa: E402
from anfang.synth import street  # noqa: E402
from anfang.synth._suite import render, suite_spec  # noqa: E402


def rider_clips(n: int):
    spec = [e for e in suite_spec() if e["name"].startswith("street_riders_")][:n]
    for entry in spec:
        yield entry["name"], render(entry)


def oracle_accuracy(clip, clf) -> list[bool]:
    """Per-rider correctness of the vote over true head boxes (every 3rd frame, inside the frame)."""
    W = clip.frames.shape[2]
    out = []
    for o in clip.truth["objects"]:
        if o["kind"] != "rider":
            continue
        rows = [r for r in o["head_frames"][::3] if r[1] > 2 and r[3] < W - 2 and r[3] - r[1] >= 4]
        if not rows:
            continue
        p = np.clip(clf.predict_proba([head_crop(clip.frames[r[0]], r[1:]) for r in rows]), 1e-6, 1 - 1e-6)
        lg = float(np.mean(np.clip(np.log(p / (1 - p)), -6, 6)))
        out.append((lg >= 0) == bool(o["helmet"]))
    return out


def calibrate(seeds=range(100, 108), model: str | None = None) -> dict:
    """Helmet accuracy of the vote over true head boxes vs the decision threshold.

    On street rider clips with seeds 100-107 (disjoint from the suite's 4000-4009), so a
    threshold chosen here can be scored on the suite without peeking.
    """
    clf = HelmetClassifier.load(model) if model else HelmetClassifier.default()
    logits, labels = [], []
    for seed in seeds:
        clip = street(seed=seed, size=(640, 360), fps=25.0, seconds=12.0, kind="riders")
        W = clip.frames.shape[2]
        for o in clip.truth["objects"]:
            if o["kind"] != "rider":
                continue
            rows = [r for r in o["head_frames"][::3] if r[1] > 2 and r[3] < W - 2 and r[3] - r[1] >= 4]
            if not rows:
                continue
            p = np.clip(clf.predict_proba([head_crop(clip.frames[r[0]], r[1:]) for r in rows]), 1e-6, 1 - 1e-6)
            logits.append(float(np.mean(np.clip(np.log(p / (1 - p)), -6, 6))))
            labels.append(bool(o["helmet"]))
    lg, y = np.asarray(logits), np.asarray(labels)
    table = {}
    for p_thr in (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6):
        pred = lg >= math.log(p_thr / (1 - p_thr))
        table[f"{p_thr:.2f}"] = {"accuracy": float((pred == y).mean()), "rate": float(pred.mean())}
    return {"riders": len(y), "true_rate": float(y.mean()), "by_threshold": table}


def quality(n_clips: int, verbose: bool, threshold: float = 0.5, model: str | None = None) -> dict:
    clf = HelmetClassifier.load(model) if model else HelmetClassifier.default()
    raws, oracle, per = [], [], {}
    t_run = n_frames = 0.0
    for name, clip in rider_clips(n_clips):
        det = HelmetDetector(camera_id=name, threshold=threshold, classifier=clf)
        t0 = time.perf_counter()
        events = det.run(zip(clip.frames, clip.t))
        t_run += time.perf_counter() - t0
        n_frames += len(clip.t)
        raw = _raw(clip.truth, events, 0.5, None)
        raws.append(raw)
        r = _summarise([raw])["kinds"]["rider"]
        orc = oracle_accuracy(clip, clf)
        oracle += orc
        per[name] = {k: r[k] for k in ("n_truth", "n_det", "tp", "helmet_accuracy", "wearing_rate_error_pp")}
        if verbose:
            print(name, json.dumps(per[name]), f"oracle_acc={np.mean(orc):.3f}")
    m = _summarise(raws)["kinds"]["rider"]
    n_truth, n_det = m["n_truth"], m["n_det"]
    res = {
        "clips": len(raws),
        "riders_truth": n_truth,
        "riders_detected": n_det,
        "matched": m["tp"],
        "recall": m["recall"],
        "precision": m["precision"],
        "count_error_pct": 100.0 * (n_det - n_truth) / n_truth if n_truth else None,
        "helmet_accuracy_matched": m["helmet_accuracy"],
        "helmet_accuracy_oracle_heads": float(np.mean(oracle)) if oracle else None,
        "wearing_rate_truth": m["wearing_rate_truth"],
        "wearing_rate_detected": m["wearing_rate_detected"],
        "wearing_rate_error_pp": m["wearing_rate_error_pp"],
        "ms_per_frame_640x360": 1e3 * t_run / max(n_frames, 1),
        "per_clip": per,
    }
    return res


def speed(repeats: int = 3) -> dict:
    """ms per 1920x1080 frame with ten riders in view."""
    W, H, fps = 1920, 1080, 25.0
    # a clip where ten two-wheelers cross together: short crossing offsets
    clip = street(seed=7, size=(W, H), fps=fps, seconds=3.0, kind="riders", n_riders=10,
                  n_pedestrians=2, n_cars=0)
    # count riders in view per frame from the truth
    in_view = np.zeros(len(clip.t), int)
    for o in clip.truth["objects"]:
        if o["kind"] == "two_wheeler":
            for r in o["frames"]:
                if r[1] >= 0 and r[3] <= W:
                    in_view[r[0]] += 1
    best = math.inf
    for _ in range(repeats):
        det = HelmetDetector()
        ts = []
        n_events = 0
        for f, t in zip(clip.frames, clip.t):
            t0 = time.perf_counter()
            n_events += len(det.update(f, t))
            ts.append(time.perf_counter() - t0)
        n_events += len(det.finish())
        ts_arr = np.asarray(ts[5:]) * 1e3
        best = min(best, float(np.median(ts_arr)))
        p95 = float(np.percentile(ts_arr, 95))
    return {"frame": f"{W}x{H}", "frames": len(clip.t), "two_wheelers_in_view_median": float(np.median(in_view)),
            "two_wheelers_in_view_max": int(in_view.max()), "ms_per_frame_median": best, "ms_per_frame_p95_last": p95,
            "rider_events": n_events, "riders_truth": sum(e["kind"] == "rider" for e in clip.truth["events"])}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quality", action="store_true")
    ap.add_argument("--speed", action="store_true")
    ap.add_argument("--calibrate", action="store_true", help="threshold sweep on seeds 100-107 (true heads)")
    ap.add_argument("--threshold", type=float, default=0.5, help="decision threshold on P(helmet)")
    ap.add_argument("--clips", type=int, default=10)
    ap.add_argument("--model", default=None, help="classifier .npz for --quality/--calibrate (default: shipped)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    if not (a.quality or a.speed or a.calibrate):
        a.quality = a.speed = True
    out = {}
    if a.calibrate:
        out["calibrate"] = calibrate(model=a.model)
    if a.quality:
        out["quality"] = quality(a.clips, a.verbose, a.threshold, a.model)
    if a.speed:
        out["speed"] = speed()
    if a.json:
        print(json.dumps(out, indent=1))
    else:
        for k, v in out.items():
            print(f"== {k}")
            for kk, vv in v.items():
                if isinstance(vv, dict) and kk != "per_clip":
                    for k3, v3 in vv.items():
                        print(f"  {kk} {k3}: {v3}")
                elif kk != "per_clip":
                    print(f"  {kk}: {vv:.3f}" if isinstance(vv, float) else f"  {kk}: {vv}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
