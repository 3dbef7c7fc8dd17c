"""Speed and quality of the falling-object detector.

Usage::

    python benches/bench_falling.py                 # speed at 1920x1080 grey, one core
    python benches/bench_falling.py --size 640x360  # another frame size
    python benches/bench_falling.py --quality       # detection quality on the standard suite's
                                                    # facade clips (rendered in memory)
    python benches/bench_falling.py --quality --only facade_fall_0
    python benches/bench_falling.py --quality --suite SUITE --jobs 2   # saved clips, in parallel
    python benches/bench_falling.py --quality --seed-offset 50000 --jobs 2  # held-out seeds
    python benches/bench_falling.py --quality --glare --jobs 2  # the glare stress variant
    python benches/bench_falling.py --quality --crf 23 --jobs 2  # the codec variant (H.264)

Speed: a 1920x1080 grey scene made here (a textured facade with floor slabs and windows,
sensor noise sigma 2, one object falling under gravity, two birds) is fed frame by frame;
the first ``--warmup`` frames are not timed; the median and mean per-frame times are
reported, throughput (frames/s) from the mean (frames with a physics fit included). Peers on the same frames, one thread each:

* ``opencv-3diff``: the bare motion step of a typical OpenCV falling-object detector
  (two ``cv2.absdiff``, two ``cv2.threshold``, ``cv2.bitwise_and``,
  ``cv2.connectedComponentsWithStats``): no noise estimate, no shake, no tracking, no physics.
* ``anfang-reference``: this detector on its temporary numpy / scikit-image motion path.

The target of the issue is >= 200 frames/s for ``anfang`` at 1920x1080 on one core.
``--rain N`` adds N rain streaks a frame (new positions every frame), a busy scene whose
blobs the trackers and the sweep must sort through: the cost then lies in tracking, not in
the pixels.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("RAYON_NUM_THREADS", "1")

import numpy as np  # noqa: E402


def scene(W: int, H: int, n: int, seed: int = 0, noise: float = 2.0,
          rain: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    s = W / 640.0
    bg = 160 + 20 * np.sin(xx / (9 * s)) * np.cos(yy / (13 * s))
    floor_h = 60 * s
    bg[(yy % floor_h) < 3 * s] -= 45
    win = ((xx % (80 * s)) > 25 * s) & ((xx % (80 * s)) < 55 * s) & ((yy % floor_h) > 18 * s) & \
          ((yy % floor_h) < 48 * s)
    bg[win] = 70
    bg = bg.astype(np.float32)
    frames = np.empty((n, H, W), np.uint8)
    t = np.arange(n) / 25.0
    g = 9.81 * floor_h / 3.0
    for i in range(n):
        img = bg.copy()
        tau = t[i] - 0.2
        if tau >= 0:
            x, y = 0.5 * W + 20 * s * tau, 0.2 * H + 0.5 * g * tau * tau
            r = 3 * s
            if y < H - r:
                img[int(y - r):int(y + r), int(x - r):int(x + r)] = 30
        for k in range(2):
            bx = (0.1 + 0.3 * k) * W + 150 * s * t[i]
            by = (0.3 + 0.2 * k) * H + 3 * s * np.sin(2 * np.pi * 6 * t[i])
            img[int(by):int(by + 4 * s), int(bx):int(bx + 12 * s)] = 50
        if rain:  # streaks 12 px long (at 640 px wide), 18 grey levels brighter, new every frame
            L = max(int(round(12 * s)), 2)
            x0 = rng.uniform(0, W, rain)
            y0 = rng.uniform(-L, H, rain)
            k = np.arange(L)
            px = (x0[:, None] + 0.2 * k[None, :]).astype(np.intp).ravel()
            py = (y0[:, None] + k[None, :]).astype(np.intp).ravel()
            ok = (px >= 0) & (px < W) & (py >= 0) & (py < H)
            np.add.at(img, (py[ok], px[ok]), 18.0)
        img += rng.normal(0, noise, (H, W)).astype(np.float32)
        frames[i] = np.clip(img, 0, 255).astype(np.uint8)
    return frames, t


def time_loop(step, frames, t, warmup: int) -> tuple[float, float]:
    """(median, mean) seconds per frame after ``warmup`` frames."""
    times = []
    for i, (f, ti) in enumerate(zip(frames, t)):
        t0 = time.perf_counter()
        step(f, ti)
        dt = time.perf_counter() - t0
        if i >= warmup:
            times.append(dt)
    return statistics.median(times), statistics.fmean(times)


def speed(W: int, H: int, n: int, warmup: int, peers: bool, noise: float = 2.0,
          overrides: dict | None = None, rain: int = 0) -> None:
    from anfang.falling import Facade, FallingObjectDetector

    frames, t = scene(W, H, n, noise=noise, rain=rain)
    fac = Facade.from_corners([[0.05 * W, 0.02 * H], [0.95 * W, 0.02 * H], [0.95 * W, 0.98 * H],
                               [0.05 * W, 0.98 * H]], floors=int(round(0.96 * H / (60 * W / 640))),
                              columns=8)
    rows = []
    det = FallingObjectDetector(fac, keep_frames=False, **(overrides or {}))
    events = []
    med = time_loop(lambda f, ti: events.extend(det.update(f, ti)), frames, t, warmup)
    rows.append(("anfang", med, det.stats["backend"]))
    n_events = len(events) + len(det.finish())
    if peers:
        try:
            import cv2

            cv2.setNumThreads(1)
            state = {"p2": None, "p1": None}

            def cv_step(f, _t):
                p2, p1 = state["p2"], state["p1"]
                if p2 is not None:
                    d1 = cv2.absdiff(f, p1)
                    d2 = cv2.absdiff(f, p2)
                    _, m1 = cv2.threshold(d1, 15, 255, cv2.THRESH_BINARY)
                    _, m2 = cv2.threshold(d2, 15, 255, cv2.THRESH_BINARY)
                    m = cv2.bitwise_and(m1, m2)
                    cv2.connectedComponentsWithStats(m, connectivity=8)
                state["p2"], state["p1"] = p1, f

            rows.append(("opencv-3diff", time_loop(cv_step, frames, t, warmup), f"cv2 {cv2.__version__}"))
        except ImportError:
            pass
        m = min(n, warmup + 10)
        det_ref = FallingObjectDetector(fac, keep_frames=False, backend="reference")
        rows.append(("anfang-reference", time_loop(det_ref.update, frames[:m], t[:m], warmup), "numpy/skimage"))
    print(f"falling-object detector, {W}x{H} grey, noise sigma {noise}, {rain} rain streaks a frame, "
          f"{n} frames ({warmup} warm-up), detection pool {det.stats['pool']}, "
          f"{det.stats['blobs'] / max(det.stats['frames'], 1):.0f} blobs a frame")
    print(f"{'implementation':<18} {'median ms':>9} {'mean ms':>8} {'frames/s (mean)':>16}  note")
    for name, (med, mean), note in rows:
        print(f"{name:<18} {med * 1e3:9.2f} {mean * 1e3:8.2f} {1.0 / mean:16.1f}  {note}")
    base = rows[0][1][1]
    for name, (med, mean), _ in rows[1:]:
        print(f"anfang / {name}: {mean / base:.2f}x the throughput")
    print(f"events: {n_events} (the scene has one fall)")


def _quality_clip(job: tuple) -> tuple:
    """Run the detector on one facade clip: (name, metrics, after-2-floors delays, fps)."""
    from anfang.eval import DIST_TOL, evaluate, match
    from anfang.falling import Facade, FallingObjectDetector
    from anfang.synth import Clip
    from anfang.synth._suite import render

    c, suite, overrides = job
    clip = Clip.load(os.path.join(suite, c["name"])) if suite else render(c)
    fac = Facade.from_calibration(clip.truth["calibration"])
    det = FallingObjectDetector(fac, camera_id=c["name"], **(overrides or {}))
    t0 = time.perf_counter()
    evs = det.run(zip(clip.frames, clip.t))
    dt = time.perf_counter() - t0
    dets = [e.to_dict() for e in evs]
    kinds = evaluate(clip.truth, dets)["kinds"]
    # the bar counts objects of 3 px area or more: which true falls of that size were found
    tf = [e for e in clip.truth["events"] if e["kind"] == "falling_object"]
    found = {i for i, _, _ in match(tf, dets, 0.5, DIST_TOL["falling_object"])}
    # (3 px or more, found, visible: see anfang.synth's ground truth "visibility", None when
    # the clips predate it)
    big = [(float(e.get("area_px", math.inf)) >= 3.0, i in found,
            (e.get("visibility") or {}).get("visible")) for i, e in enumerate(tf)]
    k = kinds.get("falling_object") or {"n_truth": 0, "n_det": len(evs), "tp": 0, "fp": len(evs),
                                        "fn": 0, "floor_exact": None, "floor_within_1": None,
                                        "time_to_alarm_mean_s": None}
    return c["name"], k, _after_two_floors(clip.truth, evs, fac), len(clip.t) / dt, big


def quality(only: str | None, overrides: dict | None = None, suite: str | None = None,
            jobs: int = 1, seed_offset: int = 0, glare: bool = False,
            crf: int | None = None) -> None:
    from anfang.synth._suite import suite_spec

    if suite:  # clips saved by `anfang bench suite --out DIR` (faster than rendering)
        import json

        with open(os.path.join(suite, "suite.json")) as fh:
            spec = json.load(fh)["clips"]
    else:
        spec = suite_spec(glare=glare, crf=crf)
    spec = [c for c in spec if c["name"].startswith("facade") and (not only or only in c["name"])]
    if seed_offset:  # held-out clips: the suite's conditions with other seeds
        spec = [{**c, "seed": c["seed"] + seed_offset} for c in spec]
    tot = {"n_truth": 0, "n_det": 0, "tp": 0, "fp": 0, "fn": 0}
    floors_exact = floors_1 = 0.0
    alarm = []
    fa_clips = 0
    after2: list[float] = []
    work = [(c, suite, overrides) for c in spec]
    if jobs > 1:
        import multiprocessing

        with multiprocessing.Pool(jobs) as pool:
            results = pool.map(_quality_clip, work, chunksize=1)
    else:
        results = map(_quality_clip, work)
    n3 = f3 = nv = fv = 0
    hours = 0.0
    for name, k, a2, fps, big in results:
        hours += k["hours"] or 0.0
        after2.extend(a2)
        n3 += sum(b for b, _, _ in big)
        f3 += sum(b and f for b, f, _ in big)
        nv += sum(bool(v) for _, _, v in big)
        fv += sum(bool(v) and f for _, f, v in big)
        for key in tot:
            tot[key] += k[key]
        if k["tp"]:
            floors_exact += (k["floor_exact"] or 0) * k["tp"]
            floors_1 += (k["floor_within_1"] or 0) * k["tp"]
            if k["time_to_alarm_mean_s"] is not None:
                alarm.append(k["time_to_alarm_mean_s"])
        if k["n_truth"] == 0 and k["n_det"]:
            fa_clips += 1
        print(f"{name:<24} truth={k['n_truth']} det={k['n_det']} tp={k['tp']} "
              f"floor_exact={k['floor_exact']} alarm={k['time_to_alarm_mean_s']} "
              f"{fps:.0f} fps", flush=True)
    p = tot["tp"] / max(tot["n_det"], 1)
    r = tot["tp"] / max(tot["n_truth"], 1)
    print(f"clips={len(spec)} truth={tot['n_truth']} det={tot['n_det']} tp={tot['tp']} "
          f"precision={p:.3f} recall={r:.3f} distractor clips with alarms={fa_clips}")
    print(f"recall for objects of 3 px area or more (the bar): {f3}/{n3} = {f3 / max(n3, 1):.3f}")
    if hours > 0:  # the rate an operator lives with (these clips are dense with distractors)
        print(f"false alarms: {tot['fp']} in {hours * 60:.1f} min of video = "
              f"{tot['fp'] / hours:.1f} per hour")
    if nv:
        print(f"recall for visible objects (2 px over 3 noise sigmas in 80 % of their frames): "
              f"{fv}/{nv} = {fv / nv:.3f}")
    if tot["tp"]:
        print(f"floor exact={floors_exact / tot['tp']:.3f} within 1={floors_1 / tot['tp']:.3f} "
              f"median time to alarm={statistics.median(alarm):.2f} s")
    if after2:
        print(f"alarm after the object had fallen 2 floors (truth): median {statistics.median(after2):.2f} s, "
              f"max {max(after2):.2f} s, within 1 s {sum(a <= 1.0 for a in after2)}/{len(after2)}")


def _after_two_floors(truth: dict, evs: list, fac) -> list[float]:
    """For each detection matched to a true fall (same frames, within 30 px), the time from
    the moment the true object had fallen two floors below its release to the alarm."""
    out = []
    for ev in truth["events"]:
        traj = np.asarray(ev["trajectory"], dtype=np.float64)
        if len(traj) < 2:
            continue
        f0 = float(fac.floor_at(ev["origin"]["x"], ev["origin"]["y"]))
        fl = np.asarray(fac.floor_at(traj[:, 2], traj[:, 3]), dtype=np.float64)
        below = np.nonzero(fl <= f0 - 2.0)[0]
        if not len(below):
            continue
        t2 = float(traj[below[0], 1])
        for d in evs:
            dt = np.asarray(d["trajectory"], dtype=np.float64)
            common, ia, ib = np.intersect1d(dt[:, 0], traj[:, 0], return_indices=True)
            if len(common) and np.median(np.hypot(dt[ia, 2] - traj[ib, 2], dt[ia, 3] - traj[ib, 3])) <= 30:
                out.append(float(d["t_alarm"]) - t2)
                break
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--noise", type=float, default=2.0,
                    help="sensor noise sigma of the speed scene (6: night, detection on 2x2 box means)")
    ap.add_argument("--rain", type=int, default=0,
                    help="rain streaks a frame in the speed scene (a busy scene: 1000 at 1920x1080)")
    ap.add_argument("--quality", action="store_true")
    ap.add_argument("--only", default=None)
    ap.add_argument("--suite", default=None,
                    help="for --quality: a suite directory from `anfang bench suite --out DIR` "
                         "(default: render the clips in memory)")
    ap.add_argument("--jobs", type=int, default=1, help="for --quality: clips run in parallel")
    ap.add_argument("--crf", type=int, default=None, metavar="N",
                    help="for --quality without --suite: the codec variant (every facade clip "
                         "through H.264 at this constant rate factor; needs PyAV)")
    ap.add_argument("--glare", action="store_true",
                    help="for --quality without --suite: the glare stress variant (every facade "
                         "clip with the glare distractor added)")
    ap.add_argument("--seed-offset", type=int, default=0,
                    help="for --quality without --suite: render the suite's facade clips with "
                         "their seeds moved by this much (held-out clips, same conditions)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=JSON",
                    help="detector setting, e.g. --set pool=1 --set 'rules={\"g_band\": [0.3, 2]}'")
    a = ap.parse_args(argv)
    import json

    overrides = {k: json.loads(v) for k, v in (kv.split("=", 1) for kv in a.set)}
    if a.quality:
        quality(a.only, overrides, a.suite, a.jobs, a.seed_offset, a.glare, a.crf)
        return 0
    W, H = (int(v) for v in a.size.lower().split("x"))
    speed(W, H, a.frames, a.warmup, not a.no_peers, a.noise, overrides, a.rain)
    return 0


if __name__ == "__main__":
    sys.exit(main())
