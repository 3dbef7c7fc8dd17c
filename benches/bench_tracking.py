"""Speed and quality of anfang.tracking.Tracker against Python trackers.

Baselines:
* ``sort-numpy``: a SORT-style tracker written here in plain numpy (one 8-state constant
  velocity Kalman filter per track, IoU cost, scipy ``linear_sum_assignment``).
* ``sv-bytetrack``: ``supervision.ByteTrack`` when supervision (< 0.27) is installed.

Usage::

    python benches/bench_tracking.py              # speed: per-frame medians, 10/100/1000 objects
    python benches/bench_tracking.py --eval       # MOTA / IDF1 on the synthetic scenes

Speed is measured on a scene of N boxes (8-20 px) moving with constant velocities at
25 fps; every tracker sees the same frames, the first ``warmup`` frames are not timed.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
from scipy.optimize import linear_sum_assignment

from anfang import _core
from anfang.tracking import Tracker
from anfang.tracking_metrics import SCENES, evaluate, make_scene, run_tracker


# ---- numpy SORT baseline ----------------------------------------------------------------


class _KF:
    """Constant-velocity Kalman filter on (cx, cy, w, h) with velocities (8 states)."""

    F = np.eye(8)
    H = np.eye(4, 8)

    def __init__(self, z, dt):
        self.x = np.zeros(8)
        self.x[:4] = z
        self.P = np.diag([4.0, 4.0, 4.0, 4.0, 1e4, 1e4, 1e2, 1e2])
        self.dt = dt

    def predict(self, dt):
        F = np.eye(8)
        F[0, 4] = F[1, 5] = F[2, 6] = F[3, 7] = dt
        q = 3e3
        Q = np.zeros((8, 8))
        for i in range(4):
            Q[i, i] = dt**3 / 3 * q
            Q[i, i + 4] = Q[i + 4, i] = dt**2 / 2 * q
            Q[i + 4, i + 4] = dt * q
        self.x = F @ self.x
        self.P = F @ self.P @ F.T + Q

    def update(self, z):
        H = self.H
        S = H @ self.P @ H.T + np.eye(4)
        K = self.P @ H.T @ np.linalg.inv(S)
        self.x = self.x + K @ (z - H @ self.x)
        self.P = (np.eye(8) - K @ H) @ self.P

    def box(self):
        cx, cy, w, h = self.x[:4]
        return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])


def _iou(a, b):
    ix = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    iy = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = ix * iy
    aa = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    ab = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(aa[:, None] + ab[None, :] - inter, 1e-12)


class SortNumpy:
    """SORT (Bewley et al. 2016) style: predict, IoU >= 0.3 Hungarian, min_hits, max_age."""

    def __init__(self, min_hits=3, max_age_s=1.0, iou_thresh=0.3):
        self.tracks = []  # dicts: kf, id, hits, t_last
        self.next_id = 1
        self.t = None
        self.min_hits, self.max_age_s, self.iou_thresh = min_hits, max_age_s, iou_thresh

    def update(self, boxes, scores=None, t=0.0):
        dt = 0.0 if self.t is None else t - self.t
        self.t = t
        for tr in self.tracks:
            tr["kf"].predict(dt)
        self.tracks = [tr for tr in self.tracks if t - tr["t_last"] <= self.max_age_s]
        ids = np.full(len(boxes), -1, np.int64)
        matched_d = set()
        if self.tracks and len(boxes):
            pred = np.array([tr["kf"].box() for tr in self.tracks])
            iou = _iou(pred, boxes)
            r, c = linear_sum_assignment(-iou)
            for i, j in zip(r, c):
                if iou[i, j] >= self.iou_thresh:
                    tr = self.tracks[i]
                    b = boxes[j]
                    tr["kf"].update(np.array([(b[0] + b[2]) / 2, (b[1] + b[3]) / 2, b[2] - b[0], b[3] - b[1]]))
                    tr["hits"] += 1
                    tr["t_last"] = t
                    matched_d.add(j)
                    if tr["hits"] >= self.min_hits:
                        ids[j] = tr["id"]
        for j in range(len(boxes)):
            if j not in matched_d:
                b = boxes[j]
                z = np.array([(b[0] + b[2]) / 2, (b[1] + b[3]) / 2, b[2] - b[0], b[3] - b[1]])
                self.tracks.append({"kf": _KF(z, 0.0), "id": self.next_id, "hits": 1, "t_last": t})
                if self.min_hits <= 1:
                    ids[j] = self.next_id
                self.next_id += 1
        return ids


class SvByteTrack:
    def __init__(self, fps=25):
        import supervision as sv

        self.sv = sv
        self.bt = sv.ByteTrack(frame_rate=fps, minimum_consecutive_frames=3)

    def update(self, boxes, scores=None, t=0.0):
        sv = self.sv
        n = len(boxes)
        conf = np.ones(n) if scores is None else np.asarray(scores, np.float64)
        det = sv.Detections(xyxy=boxes.astype(np.float32), confidence=conf.astype(np.float32),
                            class_id=np.zeros(n, int))
        det.data["idx"] = np.arange(n)
        out = self.bt.update_with_detections(det)
        ids = np.full(n, -1, np.int64)
        if len(out):
            ids[out.data["idx"]] = out.tracker_id
        return ids


def _baselines():
    out = {"sort-numpy": SortNumpy}
    try:
        import supervision as sv

        if hasattr(sv, "ByteTrack"):
            out["sv-bytetrack"] = SvByteTrack
    except ImportError:
        pass
    return out


# ---- speed --------------------------------------------------------------------------------


def speed_frames(n, n_frames, seed=0):
    rng = np.random.default_rng(seed)
    side = max(400.0, 40.0 * np.sqrt(n))  # density ~ one object per 40x40 px
    xy = rng.uniform(0, side, (n, 2))
    v = rng.uniform(-60, 60, (n, 2))
    size = rng.uniform(8, 20, (n, 1))
    frames = []
    for k in range(n_frames):
        p = xy + v * (k / 25) + rng.normal(0, 0.5, (n, 2))
        b = np.hstack([p - size / 2, p + size / 2])
        frames.append((b[rng.permutation(n)], k / 25))
    return frames


def time_tracker(make, frames, warmup):
    tr = make()
    ts = []
    ids = None
    for i, (b, t) in enumerate(frames):
        t0 = time.perf_counter()
        ids = tr.update(b, None, t)
        if i >= warmup:
            ts.append(time.perf_counter() - t0)
    # sanity: the tracker really tracks (most boxes carry an id at the end)
    assert (np.asarray(ids) >= 0).mean() > 0.9, f"{make}: only {(np.asarray(ids) >= 0).mean():.2f} tracked"
    return statistics.median(ts)


def bench_speed(sizes, frames_per_size):
    contenders = {
        "anfang": lambda: Tracker(),
        "anfang-core": lambda: _core.Tracker(),
    }
    base = {k: v for k, v in _baselines().items()}
    print(f"{'objects':>8} {'tracker':>14} {'median ms/frame':>16} {'anfang speed-up':>16}")
    for n in sizes:
        nf = frames_per_size.get(n, 30)
        frames = speed_frames(n, nf)
        res = {name: time_tracker(mk, frames, 5) for name, mk in contenders.items()}
        for name, cls in base.items():
            res[name] = time_tracker(cls, frames, 5)
        for name, sec in res.items():
            ratio = sec / res["anfang"]
            print(f"{n:>8} {name:>14} {sec * 1e3:>16.3f} {ratio:>15.1f}x")


# ---- quality ------------------------------------------------------------------------------


def bench_eval(seeds):
    trackers = {
        "anfang cv": lambda: Tracker("cv"),
        "anfang cv+gravity": lambda: Tracker("cv", gravity=(0.0, 800.0)),
        "anfang ca": lambda: Tracker("ca"),
    }
    for name, cls in _baselines().items():
        trackers[name] = cls
    print(f"{'scene':>11} {'tracker':>18} {'MOTA':>7} {'IDF1':>7} {'HOTA':>7} {'IDSW':>5} {'FN':>6} {'FP':>5}"
          "  (match: centre <= 5 px)")
    for scene in SCENES:
        for name, mk in trackers.items():
            if name == "anfang cv+gravity" and scene != "falling":
                continue  # a gravity prior is only meant for falling objects
            acc = []
            for seed in seeds:
                sc = make_scene(scene, seed)
                hyp = run_tracker(mk(), sc)
                acc.append(evaluate(sc.gt, hyp, dist="center", thresh=5.0, with_hota=True))
            mota = np.mean([a["mota"] for a in acc])
            idf = np.mean([a["idf1"] for a in acc])
            hot = np.mean([a["hota"] for a in acc])
            sw = sum(a["idsw"] for a in acc)
            fn = sum(a["fn"] for a in acc)
            fp = sum(a["fp"] for a in acc)
            print(f"{scene:>11} {name:>18} {mota:>7.3f} {idf:>7.3f} {hot:>7.3f} {sw:>5} {fn:>6} {fp:>5}")


def main():
    warnings.simplefilter("ignore")  # deprecation warnings per call would distort timings
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--eval", action="store_true", help="quality on synthetic scenes instead of speed")
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    ap.add_argument("--seeds", type=int, default=3)
    a = ap.parse_args()
    if a.eval:
        bench_eval(range(a.seeds))
    else:
        bench_speed(a.sizes, {10: 60, 100: 40, 1000: 15})


if __name__ == "__main__":
    main()
