"""Per-box three-frame difference kernels against their full-frame peers.

Run:  python benches/bench_diff_boxes.py [--reps 30] [--ring 8] [--margin 16]

1920x1080 grey, synthetic (made here): a smooth textured background with sensor noise
sigma 2, the two earlier frames shifted by a sub-pixel amount, 40 dark squares moving in the
current frame, and 5 boxes of 40x40 pixels (two on squares, three on background).
  (a) ``motion.diff_mask3_edge(p2, p1, cur, T, K)[r0:r1, c0:c1].sum()`` per box
  (b) ``motion.diff3_count_in_boxes(p2, p1, cur, boxes, T, K)``
"hot": the same three frames every call (in cache). "cold": a ring of ``--ring`` different
frame triples (``--ring`` x 6 MB, more than the CPU cache), as in a detector loop where each
frame is new. Prints median microseconds per call and the ratio (a) / (b); checks that both
give the same counts.

Second table, "a diff blob's centroid lies in the box" (the falling detector's confirmation):
  (c) ``motion.diff_mask3_edge`` + ``motion.label_stats`` + a vectorised test of every
      centroid against every box grown by one pixel up and left (full frame)
  (d) ``motion.diff3_blob_in_boxes(p2, p1, cur, boxes, T, K, margin)`` (windows only)
Checks that (d) with a margin covering the frame equals (c) and prints how many of the boxes
agree between (c) and (d) at ``--margin`` (windows cut blobs, so they may differ).
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

from anfang import motion

H, W = 1080, 1920
T = 12.5


def textured(rng: np.random.Generator) -> np.ndarray:
    small = rng.uniform(40, 215, (H // 8 + 2, W // 8 + 2))
    # bilinear upsampling by 8 in numpy (no OpenCV needed)
    ys = np.arange(H) / 8.0
    xs = np.arange(W) / 8.0
    y0, x0 = ys.astype(int), xs.astype(int)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    a = small[y0][:, x0]
    b = small[y0][:, x0 + 1]
    c = small[y0 + 1][:, x0]
    d = small[y0 + 1][:, x0 + 1]
    return (a * (1 - fy) * (1 - fx) + b * (1 - fy) * fx + c * fy * (1 - fx) + d * fy * fx)


def triple(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    bg = textured(rng)

    def noisy(img: np.ndarray) -> np.ndarray:
        return np.clip(img + rng.normal(0, 2.0, img.shape), 0, 255).astype(np.uint8)

    shifted = np.roll(bg, 1, axis=1) * 0.4 + bg * 0.6  # a 0.4 px shift
    p2, p1 = noisy(shifted), noisy(bg)
    cur = bg.copy()
    boxes = []
    for i in range(40):
        y, x = int(rng.integers(50, H - 90)), int(rng.integers(50, W - 90))
        s = int(rng.integers(6, 30))
        cur[y : y + s, x : x + s] = 15
        if i < 2:
            boxes.append([x - 5.5, y - 5.5, x + 34.5, y + 34.5])
    for _ in range(3):
        y, x = float(rng.integers(0, H - 40)), float(rng.integers(0, W - 40))
        boxes.append([x, y, x + 40, y + 40])
    return p2, p1, noisy(cur), np.array(boxes, np.float64)


def full_then_slice(p2, p1, cur, boxes, k):
    m = motion.diff_mask3_edge(p2, p1, cur, T, k)
    out = np.empty(len(boxes), np.int64)
    for i, (x0, y0, x1, y1) in enumerate(boxes.tolist()):
        c0, c1 = max(0, int(np.floor(x0))), min(W, int(np.ceil(x1)))
        r0, r1 = max(0, int(np.floor(y0))), min(H, int(np.ceil(y1)))
        out[i] = m[r0:r1, c0:c1].sum() if c0 < c1 and r0 < r1 else 0
    return out


def full_then_centroids(p2, p1, cur, boxes, k):
    cen = motion.label_stats(motion.diff_mask3_edge(p2, p1, cur, T, k)).centroid
    cx, cy = cen[None, :, 0], cen[None, :, 1]
    return ((cx >= boxes[:, 0:1] - 1) & (cx <= boxes[:, 2:3])
            & (cy >= boxes[:, 1:2] - 1) & (cy <= boxes[:, 3:4])).any(axis=1)


def median_us(fn, data, reps: int) -> float:
    fn(*data[0])  # warm-up
    ts = []
    for i in range(reps):
        args = data[i % len(data)]
        t0 = time.perf_counter()
        fn(*args)
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts)) * 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--ring", type=int, default=8)
    ap.add_argument("--margin", type=int, default=16)
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    ring = [triple(rng) for _ in range(a.ring)]
    print(f"# {platform.processor() or platform.machine()}, numpy {np.__version__}, 1920x1080, "
          f"5 boxes of 40x40, threshold {T}, median of {a.reps}")
    print(f"{'case':<22} | {'(a) full+slice us':>17} | {'(b) boxes us':>12} | ratio a/b | counts")
    for k in (0.0, 0.5):
        for name, data in (("hot", ring[:1]), ("cold", ring)):
            for p2, p1, cur, boxes in data:
                want = full_then_slice(p2, p1, cur, boxes, k)
                got = motion.diff3_count_in_boxes(p2, p1, cur, boxes, T, k)
                assert np.array_equal(want, got), (want, got)
            ta = median_us(lambda p2, p1, c, b, k=k: full_then_slice(p2, p1, c, b, k), data, a.reps)
            tb = median_us(lambda p2, p1, c, b, k=k: motion.diff3_count_in_boxes(p2, p1, c, b, T, k),
                           data, a.reps)
            counts = motion.diff3_count_in_boxes(*data[0], T, k).tolist()
            print(f"edge_k {k:<3} {name:<11} | {ta:17.1f} | {tb:12.1f} | {ta / tb:8.1f}x | {counts}")
    m = a.margin
    print(f"\n{'case':<22} | {'(c) full+label us':>17} | {'(d) windows us':>14} | ratio c/d | "
          f"agree (margin {m}) | (d)")
    for k in (0.0, 0.5):
        for name, data in (("hot", ring[:1]), ("cold", ring)):
            agree = 0
            for p2, p1, cur, boxes in data:
                want = full_then_centroids(p2, p1, cur, boxes, k)
                whole = motion.diff3_blob_in_boxes(p2, p1, cur, boxes, T, k, max(H, W))
                assert np.array_equal(want, whole), (want, whole)
                agree += int((motion.diff3_blob_in_boxes(p2, p1, cur, boxes, T, k, m) == want).sum())
            tc = median_us(lambda p2, p1, c, b, k=k: full_then_centroids(p2, p1, c, b, k), data, a.reps)
            td = median_us(lambda p2, p1, c, b, k=k: motion.diff3_blob_in_boxes(p2, p1, c, b, T, k, m),
                           data, a.reps)
            hits = motion.diff3_blob_in_boxes(*data[0], T, k, m).astype(int).tolist()
            n = sum(len(d[3]) for d in data)
            print(f"edge_k {k:<3} {name:<11} | {tc:17.1f} | {td:14.1f} | {tc / td:8.1f}x | "
                  f"{agree:>8} / {n:<8} | {hits}")


if __name__ == "__main__":
    main()
