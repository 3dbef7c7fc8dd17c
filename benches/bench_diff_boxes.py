"""Per-box three-frame difference counts: full-frame mask + slicing vs the box kernel.

Run:  python benches/bench_diff_boxes.py [--reps 30] [--ring 8]

1920x1080 grey, synthetic (made here): a smooth textured background with sensor noise
sigma 2, the two earlier frames shifted by a sub-pixel amount, 40 dark squares moving in the
current frame, and 5 boxes of 40x40 pixels (two on squares, three on background).
  (a) ``motion.diff_mask3_edge(p2, p1, cur, T, K)[r0:r1, c0:c1].sum()`` per box
  (b) ``motion.diff3_count_in_boxes(p2, p1, cur, boxes, T, K)``
"hot": the same three frames every call (in cache). "cold": a ring of ``--ring`` different
frame triples (``--ring`` x 6 MB, more than the CPU cache), as in a detector loop where each
frame is new. Prints median microseconds per call and the ratio (a) / (b); checks that both
give the same counts.
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


if __name__ == "__main__":
    main()
