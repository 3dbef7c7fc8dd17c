"""Per-fall diagnosis of the falling-object detector on the standard suite's facade clips.

Usage::

    python benches/diag_falling.py [--only facade_fall_0] [--snr]

For every true fall: its size, area, contrast, night / noise / content fps / block_q / rain,
the object's signal (peak and summed absolute grey change against the same clip rendered
without the fall and without noise; with ``--snr``), and where the detector lost it:

* ``mask``: fraction of the frames where the object is visible that have a blob within
  ``max(4, size)`` px of the true centre;
* ``track``: the longest detector track that follows the object (samples within that
  distance) and its length;
* ``verdicts``: the physics rules that rejected that track (last evaluation), or ``alarm``.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections import Counter, defaultdict

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402


def main(argv=None) -> int:
    from anfang.synth._suite import suite_spec

    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default=None)
    ap.add_argument("--snr", action="store_true")
    ap.add_argument("--fp", action="store_true", help="also list false alarms")
    ap.add_argument("--suite", default=None, help="a saved suite directory (faster than rendering)")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=JSON",
                    help="detector setting, e.g. --set 'motion=\"diff\"'")
    a = ap.parse_args(argv)
    spec = [c for c in suite_spec() if c["scene"] == "facade" and (not a.only or a.only in c["name"])]
    if a.jobs > 1:
        import multiprocessing

        with multiprocessing.Pool(a.jobs) as pool:
            for out in pool.imap(_diag_clip, [(c, a) for c in spec]):
                print(out, end="", flush=True)
    else:
        for c in spec:
            print(_diag_clip((c, a)), end="", flush=True)
    return 0


def _diag_clip(job) -> str:
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        _diag_one(*job)
    return buf.getvalue()


def _diag_one(c, a) -> None:
    from anfang.eval import evaluate
    from anfang.falling import Facade, FallingObjectDetector
    from anfang.synth import Clip
    from anfang.synth._suite import render

    if True:
        clip = Clip.load(os.path.join(a.suite, c["name"])) if a.suite else render(c)
        truth = clip.truth
        fac = Facade.from_calibration(truth["calibration"])
        import json

        det = FallingObjectDetector(fac, camera_id=c["name"],
                                    **{k: json.loads(v) for k, v in (kv.split("=", 1) for kv in a.set)})
        blobs: dict[int, np.ndarray] = {}
        verdicts: dict[int, list] = defaultdict(list)
        orig_label = det._motion.label
        state = {"fi": -1}

        def label(mask):
            area, bbox, cen = orig_label(mask)
            P = det._scale()  # block pooling: detection pixels are P x P image pixels
            blobs[state["fi"]] = (np.column_stack([(cen + 0.5) * P - 0.5, area * P * P]) if len(area)
                                  else np.zeros((0, 3)))
            return area, bbox, cen

        det._motion.label = label
        orig_eval = det._evaluate

        def evaluate_(arr, *rest):
            res = orig_eval(arr, *rest)
            if res is not None:
                verdicts[state["tid"]].append((len(arr["t"]), res[1].reasons, res[1].features))
            return res

        det._evaluate = evaluate_
        orig_consider = det._consider

        def consider(tr, t, fi, leaving=False, dry=False):
            state["tid"] = tr.tid
            return orig_consider(tr, t, fi, leaving, dry)

        det._consider = consider
        all_tracks = {}

        class Rec(dict):
            def __setitem__(self, k, v):
                all_tracks[k] = v
                super().__setitem__(k, v)

        det._tracks = Rec()
        evs = []
        for fi, (f, t) in enumerate(zip(clip.frames, clip.t)):
            state["fi"] = fi
            evs += det.update(f, t)
        evs += det.finish()
        tracks = {tid: tr.rows for tid, tr in all_tracks.items()}
        k = evaluate(truth, [e.to_dict() for e in evs])["kinds"].get("falling_object", {})
        cond = truth["conditions"]
        print(f"== {c['name']} night={cond['night']} noise={cond['noise_sigma']:.1f} "
              f"cfps={cond['content_fps']} q={cond['block_q']} shake={cond['shake_px']} "
              f"rain={cond['rain']} dis={','.join(cond['distractors'])} thr={det.stats['threshold']:.1f} "
              f"truth={k.get('n_truth')} det={k.get('n_det')} tp={k.get('tp')}")
        if a.snr and truth["events"]:
            p = dict(c["params"])
            p["size"] = tuple(p["size"])
            from anfang.synth._facade import facade
            clean = facade(seed=c["seed"], **{**p, "noise": 0.0, "block_q": 0.0}).frames.astype(np.int16)
            nofall = facade(seed=c["seed"], **{**p, "noise": 0.0, "block_q": 0.0, "falls": 0}).frames.astype(np.int16)
            sig = np.abs(clean - nofall)
        for ev in truth["events"]:
            traj = np.asarray(ev["trajectory"], dtype=np.float64)
            size = ev["size_px"]
            tol = max(4.0, size)
            hit = 0
            for fi, t, x, y in traj:
                b = blobs.get(int(fi))
                if b is not None and len(b) and np.min(np.hypot(b[:, 0] - x, b[:, 1] - y)) <= tol:
                    hit += 1
            s = ""
            if a.snr:
                pk = [int(sig[int(fi)].max()) for fi in traj[:, 0]]
                sm = [int(sig[int(fi)].sum()) for fi in traj[:, 0]]
                s = f" peak={np.median(pk):.0f} sum={np.median(sm):.0f}"
            o = ev["origin"]
            print(f"  fall id={ev['track_id']} type={ev['object_type']} size={size:.1f} area={ev['area_px']:.1f} "
                  f"contrast={ev['contrast']:.2f} floor={o['floor']} y0={o['y']:.0f} "
                  f"frames={len(traj)} t={ev['t_start']:.2f}-{ev['t_end']:.2f} in_mask={hit}/{len(traj)}{s}")
            # tracks following it
            best = None
            for tid, rows in (tracks or {}).items():
                rr = np.asarray([(r[0], r[2], r[3]) for r in rows])
                m = 0
                for fi, x, y in rr:
                    j = np.nonzero(traj[:, 0] == fi)[0]
                    if len(j) and math.hypot(traj[j[0], 2] - x, traj[j[0], 3] - y) <= tol:
                        m += 1
                if m and (best is None or m > best[1]):
                    best = (tid, m, len(rr))
                if m >= 3 and verdicts.get(tid):
                    vv = verdicts[tid][-1]
                    print(f"    track {tid}: {m} on-object of {len(rr)} rows, last eval n={vv[0]} {vv[1]} "
                          f"g={vv[2].get('g_ratio', float('nan')):.2f} rms={vv[2]['rms']:.2f}/{vv[2]['rms_allowed']:.2f}")
            if best:
                vs = verdicts.get(best[0], [])
                last = vs[-1] if vs else None
                print(f"    best track {best[0]}: {best[1]} on-object of {best[2]} rows; "
                      f"evals={len(vs)} last={last[1] if last else None} "
                      + (f"g={last[2].get('g_ratio', float('nan')):.2f} rms={last[2]['rms']:.2f}/{last[2]['rms_allowed']:.2f} "
                         f"asig={last[2]['accel_sigma']:.1f} inl={last[2]['inlier_frac']:.2f} steady={last[2].get('steady_mps')} dur={last[2]['duration']:.2f}" if last else ""))
                allr = Counter(r for _, rs, _ in vs for r in rs)
                if allr:
                    print(f"    all reasons on it: {dict(allr)}")
        if a.fp or not truth["events"]:
            for e in evs:
                d = e.to_dict()
                print(f"  det t={d['t_start']:.2f}-{d['t_end']:.2f} alarm={d.get('t_alarm')} "
                      f"floor={d['origin']['floor']} size={d['size']:.0f} g={d.get('g_ratio')}")


if __name__ == "__main__":
    sys.exit(main())
