"""Side-by-side benchmark of anfang.motion against OpenCV and scikit-image, one core.

Run:  python benches/bench_motion.py [--reps 15] [--only edge|bgstep]

Frames are 1920x1080 grey, synthetic, made here (no data files):
  empty   two identical textured frames (nothing moves)
  sparse  textured background, sensor noise sigma 2, 40 small moving objects
  noisy   the same with sensor noise sigma 8 (thousands of 1-3 px specks)
  random  a 50 % random mask / uniformly random frames
  shake   (for diff_mask3_edge) the textured background warped by sub-pixel shifts of up to
          0.7 px in the two earlier frames, noise sigma 2, 40 objects in the current frame
Prints median milliseconds per call and the ratio peer / anfang (> 1 means anfang is faster).
``--only edge`` runs just the diff_mask3_edge rows, ``--only bgstep`` just the background_step rows.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from skimage import measure, morphology  # noqa: E402

from anfang import motion  # noqa: E402

cv2.setNumThreads(1)
H, W = 1080, 1920
K3 = np.ones((3, 3), np.uint8)


def timeit(fn, reps: int) -> float:
    fn()  # warm-up
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts)) * 1e3


def texture(rng: np.random.Generator) -> np.ndarray:
    small = rng.integers(40, 216, (H // 8 + 1, W // 8 + 1), dtype=np.uint8)
    return cv2.resize(small, (W, H), interpolation=cv2.INTER_LINEAR)


def scenes(rng: np.random.Generator) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    bg = texture(rng)
    out = {"empty": (bg, bg.copy())}
    for name, sigma in (("sparse", 2.0), ("noisy", 8.0)):
        prev = np.clip(bg + rng.normal(0, sigma, bg.shape), 0, 255).astype(np.uint8)
        cur = np.clip(bg + rng.normal(0, sigma, bg.shape), 0, 255).astype(np.uint8)
        for _ in range(40):
            y, x = int(rng.integers(0, H - 40)), int(rng.integers(0, W - 40))
            s = int(rng.integers(3, 30))
            cur[y : y + s, x : x + s] = rng.integers(0, 30)
        out[name] = (prev, cur)
    out["random"] = (
        rng.integers(0, 256, (H, W), dtype=np.uint8),
        rng.integers(0, 256, (H, W), dtype=np.uint8),
    )
    return out


def row(name: str, ours: float, peers: dict[str, float]) -> str:
    cells = [f"{name:<34}", f"{ours:8.3f}"]
    for pn, pv in peers.items():
        cells.append(f"{pn}: {pv:8.3f} ms ({pv / ours:5.1f}x)")
    return " | ".join(cells)


CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))


def np_diff3_edge(p2: np.ndarray, p1: np.ndarray, cur: np.ndarray, t: float, k: float) -> np.ndarray:
    """numpy equivalent of motion.diff_mask3_edge (int16 differences, float64 limit)."""
    c = cur.astype(np.int16)
    g = np.zeros(c.shape, np.int16)
    dx = np.abs(np.diff(c, axis=1))
    np.maximum(g[:, :-1], dx, out=g[:, :-1])
    np.maximum(g[:, 1:], dx, out=g[:, 1:])
    dy = np.abs(np.diff(c, axis=0))
    np.maximum(g[:-1], dy, out=g[:-1])
    np.maximum(g[1:], dy, out=g[1:])
    lim = t + k * g
    return (np.abs(c - p1) > lim) & (np.abs(c - p2) > lim)


def cv_diff3_edge(p2: np.ndarray, p1: np.ndarray, cur: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """OpenCV equivalent: 4-neighbour gradient from cross dilate/erode, limits by table."""
    g = cv2.max(cv2.subtract(cv2.dilate(cur, CROSS), cur), cv2.subtract(cur, cv2.erode(cur, CROSS)))
    d = cv2.min(cv2.absdiff(cur, p1), cv2.absdiff(cur, p2))
    return cv2.compare(d, cv2.LUT(g, lut), cv2.CMP_GT)


def bench_edge(rng: np.random.Generator, sc: dict, reps: int) -> None:
    """diff_mask3_edge on a shaken scene and on random frames, against numpy and OpenCV."""
    bg = texture(rng)
    shaken = []
    for dx, dy in ((0.6, -0.3), (-0.4, 0.7)):
        M = np.float32([[1, 0, dx], [0, 1, dy]])
        f = cv2.warpAffine(bg, M, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        shaken.append(np.clip(f + rng.normal(0, 2, f.shape), 0, 255).astype(np.uint8))
    cur = np.clip(bg + rng.normal(0, 2, bg.shape), 0, 255).astype(np.uint8)
    obj = np.zeros((H, W), bool)
    for _ in range(40):
        y, x = int(rng.integers(0, H - 40)), int(rng.integers(0, W - 40))
        s = int(rng.integers(3, 30))
        cur[y : y + s, x : x + s] = rng.integers(0, 30)
        obj[y : y + s, x : x + s] = True
    rnd = sc["random"]
    cases = {
        "shake": (shaken[0], shaken[1], cur),
        "random": (rnd[0], rnd[1], rng.integers(0, 256, (H, W), dtype=np.uint8)),
    }
    T, K = 12.5, 0.5
    lut = np.minimum(np.floor(T + K * np.arange(256)), 255).astype(np.uint8)
    print(f"\n## diff_mask3_edge (threshold {T}, edge_k {K}; 1920x1080 grey)")
    for name, (p2, p1, c) in cases.items():
        ours_mask = motion.diff_mask3_edge(p2, p1, c, T, K)
        same_np = np.array_equal(ours_mask, np_diff3_edge(p2, p1, c, T, K))
        same_cv = np.array_equal(ours_mask, cv_diff3_edge(p2, p1, c, lut) > 0)
        plain_mask = motion.diff_mask3(p1, c, p2, int(T))
        print(f"{name}: {int(ours_mask.sum())} px marked (plain diff_mask3: {int(plain_mask.sum())}); "
              f"equal to numpy: {same_np}, to OpenCV: {same_cv}")
        if name == "shake":
            print(f"  object pixels found: {int((ours_mask & obj).sum())} / {int(obj.sum())} "
                  f"(plain: {int((plain_mask & obj).sum())}); marked outside the objects: "
                  f"{int((ours_mask & ~obj).sum())} (plain: {int((plain_mask & ~obj).sum())})")
        ours = timeit(lambda: motion.diff_mask3_edge(p2, p1, c, T, K), reps)
        npt = timeit(lambda: np_diff3_edge(p2, p1, c, T, K), max(3, reps // 3))
        cvt = timeit(lambda: cv_diff3_edge(p2, p1, c, lut), reps)
        d3 = timeit(lambda: motion.diff_mask3(p1, c, p2, int(T)), reps)
        print(row(f"diff_mask3_edge ({name})", ours,
                  {"numpy": npt, "cv dilate/erode+LUT+compare": cvt, "anfang diff_mask3 (no edges)": d3}))


def np_bgstep(B: np.ndarray, frame: np.ndarray, t: float, a: float, s: float, k: float):
    """numpy float32 equivalent of motion.background_step (returns new background and mask)."""
    x = frame.astype(np.float32)
    d = np.abs(x - B)
    if k > 0:
        G = np.zeros(B.shape, np.float32)
        gx = np.abs(np.diff(B, axis=1))
        G[:, :-1] = np.maximum(G[:, :-1], gx)
        G[:, 1:] = np.maximum(G[:, 1:], gx)
        gy = np.abs(np.diff(B, axis=0))
        G[:-1, :] = np.maximum(G[:-1, :], gy)
        G[1:, :] = np.maximum(G[1:, :], gy)
        fg = d > np.float32(t) + np.float32(k) * G
    else:
        fg = d > np.float32(t)
    return B + np.where(fg, np.float32(s * a), np.float32(a)) * (x - B), fg


def cv_bgstep(B: np.ndarray, frame: np.ndarray, t: float, a: float, s: float, k: float) -> np.ndarray:
    """OpenCV: absdiff + threshold (+ cross dilate/erode gradient), two masked accumulateWeighted."""
    x = frame.astype(np.float32)
    d = cv2.absdiff(x, B)
    if k > 0:
        G = cv2.max(cv2.subtract(cv2.dilate(B, CROSS), B), cv2.subtract(B, cv2.erode(B, CROSS)))
        fg = cv2.compare(d, cv2.addWeighted(G, k, G, 0.0, t), cv2.CMP_GT)
    else:
        fg = cv2.compare(d, t, cv2.CMP_GT)
    bgm = cv2.bitwise_not(fg)  # computed before the update, as in the definition
    cv2.accumulateWeighted(x, B, a, mask=bgm)
    if s > 0:
        cv2.accumulateWeighted(x, B, s * a, mask=fg)
    return fg


def bench_bgstep(rng: np.random.Generator, reps: int) -> None:
    """background_step on a textured scene with noise and 40 objects, against numpy and OpenCV."""
    bg = texture(rng)
    cur = np.clip(bg + rng.normal(0, 4, bg.shape), 0, 255).astype(np.uint8)
    for _ in range(40):
        y, x = int(rng.integers(0, H - 40)), int(rng.integers(0, W - 40))
        s = int(rng.integers(3, 30))
        cur[y : y + s, x : x + s] = rng.integers(0, 30)
    T, A, S = 12.5, 0.05, 0.1
    print(f"\n## background_step (threshold {T}, alpha {A}, slow {S}; 1920x1080 float32 background)")
    for K in (0.0, 0.5):
        B0 = bg.astype(np.float32)
        want_B, B1, B2 = B0.copy(), B0.copy(), B0.copy()
        for _ in range(3):  # compare after three steps (non-integer backgrounds)
            want_B, want_m = np_bgstep(want_B, cur, T, A, S, K)
            m = motion.background_step(B1, cur, T, A, S, K)
            cm = cv_bgstep(B2, cur, T, A, S, K) > 0
        print(f"edge_k {K}, step 3: {int(m.sum())} px foreground; equal to numpy: mask "
              f"{np.array_equal(m, want_m)}, background bits {np.array_equal(B1.view(np.uint32), want_B.view(np.uint32))}; "
              f"OpenCV: mask {np.array_equal(m, cm)}, max |background diff| {float(np.abs(B2 - B1).max()):.2e}")
        Bo, Bc = B0.copy(), B0.copy()
        ours = timeit(lambda: motion.background_step(Bo, cur, T, A, S, K), reps)
        npt = timeit(lambda: np_bgstep(B0, cur, T, A, S, K), max(3, reps // 3))
        cvt = timeit(lambda: cv_bgstep(Bc, cur, T, A, S, K), reps)
        print(row(f"background_step (edge_k {K})", ours, {"numpy": npt, "cv absdiff+compare+accumulateWeighted": cvt}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--only", choices=["edge", "bgstep"], default=None, help="run one section only")
    args = ap.parse_args()
    reps = args.reps
    rng = np.random.default_rng(0)
    sc = scenes(rng)
    print(f"# bench_motion  {platform.processor() or platform.machine()}  cv2 {cv2.__version__}  "
          f"threads=1  reps={reps}  1920x1080 grey, median ms, ratio = peer/anfang")
    if args.only == "edge":
        bench_edge(rng, sc, reps)
        return
    if args.only == "bgstep":
        bench_bgstep(rng, reps)
        return
    T = 25
    for name, (prev, cur) in sc.items():
        mask = (rng.random((H, W)) < 0.5) if name == "random" else motion.diff_mask(prev, cur, T)
        m8 = mask.astype(np.uint8)
        print(f"\n## {name}: {int(mask.sum())} foreground px, "
              f"{len(motion.label(mask)[1])} blobs (8-conn)")
        # difference + threshold
        ours = timeit(lambda: motion.diff_mask(prev, cur, T), reps)
        cvt = timeit(lambda: cv2.threshold(cv2.absdiff(prev, cur), T, 1, cv2.THRESH_BINARY), reps)
        npt = timeit(lambda: np.abs(prev.astype(np.int16) - cur) > T, max(3, reps // 3))
        print(row("diff_mask", ours, {"cv absdiff+threshold": cvt, "numpy": npt}))
        # 3x3 opening
        ours = timeit(lambda: motion.opening(mask, 3), reps)
        cvt = timeit(lambda: cv2.morphologyEx(m8, cv2.MORPH_OPEN, K3), reps)
        skt = timeit(lambda: morphology.opening(mask, np.ones((3, 3), bool)), 3)
        print(row("opening 3x3", ours, {"cv morphologyEx": cvt, "skimage": skt}))
        ours = timeit(lambda: motion.opening(mask, 15), reps)
        cvt = timeit(lambda: cv2.morphologyEx(m8, cv2.MORPH_OPEN, np.ones((15, 15), np.uint8)), reps)
        print(row("opening 15x15", ours, {"cv morphologyEx": cvt}))
        # labelling with stats
        ours = timeit(lambda: motion.label(mask), reps)
        cvt = timeit(lambda: cv2.connectedComponentsWithStats(m8, connectivity=8), reps)
        skt = timeit(lambda: measure.label(mask, connectivity=2), 3)
        print(row("label + stats", ours, {"cv CCWithStats": cvt, "skimage label (no stats)": skt}))
        # fused stage
        stage = motion.MotionStage(T, open_size=3, min_area=4)

        def cv_chain() -> None:
            m = cv2.threshold(cv2.absdiff(prev, cur), T, 1, cv2.THRESH_BINARY)[1]
            m = cv2.morphologyEx(m, cv2.MORPH_OPEN, K3)
            n, lab, stats, cen = cv2.connectedComponentsWithStats(m, connectivity=8)
            keep = stats[1:, cv2.CC_STAT_AREA] >= 4
            return stats[1:][keep], cen[1:][keep]

        ours = timeit(lambda: stage(prev, cur), reps)
        cvt = timeit(cv_chain, reps)
        print(row("blobs (diff+open+label+filter)", ours, {"cv chain": cvt}))
    # background models on a sequence
    prev, cur = sc["sparse"]
    frames = [prev, cur] * 4
    print("\n## background models (sparse scene, per frame)")
    results = {}
    for label_, factory in (
        ("SigmaDelta", motion.SigmaDelta),
        ("DualBackground", motion.DualBackground),
        ("RunningAverage", motion.RunningAverage),
    ):
        mdl = factory()
        mdl.apply(prev)
        it = iter(frames * 1000)
        results[label_] = timeit(lambda: mdl.apply(next(it)), reps)
    mog = cv2.createBackgroundSubtractorMOG2()
    mog.apply(prev)
    it = iter(frames * 1000)
    mogt = timeit(lambda: mog.apply(next(it)), max(5, reps // 2))
    acc = prev.astype(np.float32)
    it = iter(frames * 1000)

    def cv_running() -> None:
        f = next(it)
        m = cv2.threshold(cv2.absdiff(f.astype(np.float32), acc), 25, 1, cv2.THRESH_BINARY)[1]
        cv2.accumulateWeighted(f, acc, 0.05)
        return m

    cvr = timeit(cv_running, reps)
    for k, v in results.items():
        peers = {"cv MOG2": mogt}
        if k == "RunningAverage":
            peers["cv accumulateWeighted+absdiff+thr"] = cvr
        print(row(k + ".apply", v, peers))
    # shake
    print("\n## global shift (sparse scene, cur = prev shifted by (3.5, -2.25))")
    M = np.float32([[1, 0, 3.5], [0, 1, -2.25]])
    shifted = cv2.warpAffine(prev, M, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    ours = timeit(lambda: motion.estimate_shift(prev, shifted), reps)
    est = motion.estimate_shift(prev, shifted)
    pf, sf = prev.astype(np.float32), shifted.astype(np.float32)
    cvt = timeit(lambda: cv2.phaseCorrelate(pf, sf), max(3, reps // 3))
    cvest = cv2.phaseCorrelate(pf, sf)[0]
    q = (W // 4, H // 4)
    pq, sq = cv2.resize(pf, q, interpolation=cv2.INTER_AREA), cv2.resize(sf, q, interpolation=cv2.INTER_AREA)
    cvq = timeit(lambda: cv2.phaseCorrelate(pq, sq), reps)
    print(row("estimate_shift", ours, {"cv phaseCorrelate full": cvt, "cv phaseCorrelate 1/4 (no resize)": cvq}))
    print(f"  estimates: anfang ({est[0]:.3f}, {est[1]:.3f})  cv full ({cvest[0]:.3f}, {cvest[1]:.3f})  truth (3.5, -2.25)")
    bench_edge(rng, sc, reps)
    bench_bgstep(rng, reps)


if __name__ == "__main__":
    main()
