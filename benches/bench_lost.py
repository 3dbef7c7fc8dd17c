"""Speed of the lost-package detector at 1920x1080 grey, one core, decoding excluded.

Frames: a street package clip of :mod:`anfang.synth` (640x360, lighting drift as slow as in
the 36 s suite package clips) converted to grey and upscaled x3 to 1920x1080 (nearest
neighbour), played forward then backward so the loop has no jump. The whole detector runs (background, moving blobs, tracker, static objects, events);
the detector processes ``frame[::3, ::3]`` internally (``scale`` = 3, chosen from
``max_width=640``) and maps boxes back to full resolution.

Peer: OpenCV's MOG2 background subtractor alone on the same full-resolution frames (what a
typical abandoned-object pipeline runs before doing anything else).

    OMP_NUM_THREADS=1 python benches/bench_lost.py [--frames 300]
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402


def frames_1080p(n_src: int = 48) -> tuple[list[np.ndarray], float]:
    from anfang.frames import to_gray
    from anfang.synth import street

    seconds = n_src / 25.0 + 0.2
    # The synth lighting drift completes one cycle per clip; scale it so that this short
    # clip drifts as slowly as the 36 s suite package clips (amplitude 0.08 there).
    clip = street(seed=3000, size=(640, 360), fps=25.0, seconds=seconds, kind="package",
                  light_drift=0.08 * seconds / 36.0)
    out = []
    for f in clip.frames[:n_src]:
        g = to_gray(f)
        out.append(np.ascontiguousarray(np.repeat(np.repeat(g, 3, 0), 3, 1)))
    return out + out[::-1], 1.0 / 25.0


def bench_lost(frames: list[np.ndarray], dt: float, n: int) -> float:
    from anfang.lost import LostPackageDetector

    det = LostPackageDetector(dwell_s=10.0)
    for i in range(10):  # warm-up: first frame allocations
        det.update(frames[i], i * dt)
    t0 = time.perf_counter()
    for i in range(10, 10 + n):
        det.update(frames[i % len(frames)], i * dt)
    return n / (time.perf_counter() - t0)


def bench_mog2(frames: list[np.ndarray], n: int) -> float | None:
    try:
        import cv2
    except ImportError:
        return None
    cv2.setNumThreads(1)
    sub = cv2.createBackgroundSubtractorMOG2(detectShadows=False)
    for i in range(10):
        sub.apply(frames[i])
    t0 = time.perf_counter()
    for i in range(10, 10 + n):
        sub.apply(frames[i % len(frames)])
    return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=300)
    a = ap.parse_args()
    frames, dt = frames_1080p()
    ours = bench_lost(frames, dt, a.frames)
    peer = bench_mog2(frames, max(a.frames // 3, 30))
    res = {
        "resolution": "1920x1080 grey",
        "frames": a.frames,
        "lost_fps": round(ours, 1),
        "lost_ms_per_frame": round(1000 / ours, 2),
        "mog2_fps": round(peer, 1) if peer else None,
        "ratio_lost_over_mog2": round(ours / peer, 2) if peer else None,
    }
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
