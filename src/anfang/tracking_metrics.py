"""Tracking metrics (CLEAR-MOT MOTA/MOTP, IDF1) and synthetic point-track scenes.

Ground truth and hypotheses are ``(M, 6)`` float arrays with one row per object per
frame: ``frame, id, x0, y0, x1, y1`` (the MOTChallenge layout without the extra columns).
Frames are integers, ids non-negative integers; a hypothesis with id ``-1`` should simply
be left out.

Two boxes *can* match when their distance passes a threshold: ``dist="iou"`` (IoU at least
``thresh``) or ``dist="center"`` (centre distance at most ``thresh`` pixels, suited to
objects a few pixels wide whose boxes barely overlap).

* :func:`clear_mot` follows Bernardin & Stiefelhagen (2008) with the usual bookkeeping
  (as in ``motmetrics``): in each frame the previous correspondences that are still valid
  are kept, the rest is matched by minimum total distance (optimal assignment, in Rust);
  an identity switch is counted when an object is matched to a different hypothesis than
  the last one it was matched to. ``MOTA = 1 - (FN + FP + IDSW) / GT``.
* :func:`hota` follows Luiten et al. (IJCV 2021): per localisation threshold alpha in
  0.05, 0.10, ..., 0.95, ``HOTA_a = sqrt(DetA_a * AssA_a)``, averaged over alpha; the
  per-frame matching maximises similarity weighted by a global identity-alignment score,
  as the paper prescribes. Similarity is the IoU (``dist="iou"``) or
  ``max(0, 1 - d / thresh)`` for centre distance ``d`` (``dist="center"``).
* :func:`idf1` follows Ristani et al. (2016): the one-to-one matching between ground-truth
  and hypothesis *identities* that maximises the number of co-occurring valid frames
  (IDTP); ``IDF1 = 2 IDTP / (GT + HYP)``.

No scipy at runtime: the assignments use :func:`anfang._core.linear_sum_assignment`.

>>> import numpy as np
>>> gt = np.array([[0, 1, 0, 0, 10, 10], [1, 1, 1, 0, 11, 10], [2, 1, 2, 0, 12, 10]], float)
>>> hyp = np.array([[0, 7, 0, 0, 10, 10], [1, 7, 1, 0, 11, 10], [2, 8, 2, 0, 12, 10]], float)
>>> r = clear_mot(gt, hyp)
>>> r["mota"], r["idsw"]
(0.666..., 1)
>>> round(idf1(gt, hyp)["idf1"], 3)
0.667
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from anfang import _core

__all__ = ["clear_mot", "idf1", "hota", "similarity", "evaluate", "Scene", "make_scene", "SCENES", "run_tracker"]


def _check(a: np.ndarray, name: str) -> np.ndarray:
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name}: expected a numpy array, got {type(a).__name__}")
    if a.size == 0:
        return np.empty((0, 6), np.float64)
    if a.ndim != 2 or a.shape[1] != 6:
        raise ValueError(f"{name}: expected shape (M, 6) frame,id,x0,y0,x1,y1, got {a.shape}")
    a = np.asarray(a, np.float64)
    if not np.isfinite(a).all():
        raise ValueError(f"{name}: expected finite values")
    return a


def _pair_dist(g: np.ndarray, h: np.ndarray, dist: str, thresh: float) -> np.ndarray:
    """(G, H) distance matrix with +inf where a pair may not match."""
    if dist == "iou":
        ix = np.clip(np.minimum(g[:, None, 2], h[None, :, 2]) - np.maximum(g[:, None, 0], h[None, :, 0]), 0, None)
        iy = np.clip(np.minimum(g[:, None, 3], h[None, :, 3]) - np.maximum(g[:, None, 1], h[None, :, 1]), 0, None)
        inter = ix * iy
        ag = (g[:, 2] - g[:, 0]) * (g[:, 3] - g[:, 1])
        ah = (h[:, 2] - h[:, 0]) * (h[:, 3] - h[:, 1])
        union = ag[:, None] + ah[None, :] - inter
        iou = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        d = 1.0 - iou
        d[iou < thresh] = np.inf
        return d
    if dist == "center":
        cg = (g[:, :2] + g[:, 2:]) / 2
        ch = (h[:, :2] + h[:, 2:]) / 2
        d = np.sqrt(((cg[:, None, :] - ch[None, :, :]) ** 2).sum(-1))
        d[d > thresh] = np.inf
        return d
    raise ValueError(f"dist: expected 'iou' or 'center', got {dist!r}")


def _by_frame(a: np.ndarray) -> dict[int, np.ndarray]:
    out: dict[int, np.ndarray] = {}
    if len(a) == 0:
        return out
    order = np.argsort(a[:, 0], kind="stable")
    a = a[order]
    frames, starts = np.unique(a[:, 0].astype(np.int64), return_index=True)
    ends = np.append(starts[1:], len(a))
    for f, s, e in zip(frames.tolist(), starts.tolist(), ends.tolist()):
        out[f] = a[s:e]
    return out


def clear_mot(gt: np.ndarray, hyp: np.ndarray, *, dist: str = "iou", thresh: float = 0.5) -> dict:
    """CLEAR-MOT metrics: ``mota``, ``motp`` (mean distance of matches), ``fn``, ``fp``,
    ``idsw``, ``matches``, ``num_gt``, ``num_hyp``."""
    gt = _check(gt, "gt")
    hyp = _check(hyp, "hyp")
    gf, hf = _by_frame(gt), _by_frame(hyp)
    last: dict[int, int] = {}  # gt id -> last matched hyp id
    fn = fp = idsw = nmatch = 0
    dsum = 0.0
    for f in sorted(set(gf) | set(hf)):
        g = gf.get(f, np.empty((0, 6)))
        h = hf.get(f, np.empty((0, 6)))
        gid = g[:, 1].astype(np.int64)
        hid = h[:, 1].astype(np.int64)
        if len(g) == 0 or len(h) == 0:
            fn += len(g)
            fp += len(h)
            continue
        d = _pair_dist(g[:, 2:], h[:, 2:], dist, thresh)
        gm = np.zeros(len(g), bool)
        hm = np.zeros(len(h), bool)
        pairs: list[tuple[int, int]] = []
        hpos = {int(x): j for j, x in enumerate(hid.tolist())}
        for i, o in enumerate(gid.tolist()):
            j = hpos.get(last.get(o, -10**18))
            if j is not None and not hm[j] and np.isfinite(d[i, j]):
                gm[i] = hm[j] = True
                pairs.append((i, j))
        gi = np.flatnonzero(~gm)
        hj = np.flatnonzero(~hm)
        if len(gi) and len(hj):
            sub = np.ascontiguousarray(d[np.ix_(gi, hj)])
            r, c = _core.linear_sum_assignment(sub)
            for a, b in zip(r.tolist(), c.tolist()):
                i, j = int(gi[a]), int(hj[b])
                o, hh = int(gid[i]), int(hid[j])
                if o in last and last[o] != hh:
                    idsw += 1
                gm[i] = hm[j] = True
                pairs.append((i, j))
        for i, j in pairs:
            last[int(gid[i])] = int(hid[j])
            dsum += float(d[i, j])
        nmatch += len(pairs)
        fn += int((~gm).sum())
        fp += int((~hm).sum())
    ngt = len(gt)
    return {
        "mota": 1.0 - (fn + fp + idsw) / ngt if ngt else float("nan"),
        "motp": dsum / nmatch if nmatch else float("nan"),
        "fn": fn,
        "fp": fp,
        "idsw": idsw,
        "matches": nmatch,
        "num_gt": ngt,
        "num_hyp": len(hyp),
    }


def idf1(gt: np.ndarray, hyp: np.ndarray, *, dist: str = "iou", thresh: float = 0.5) -> dict:
    """Identity metrics: ``idf1``, ``idp``, ``idr``, ``idtp``, ``idfp``, ``idfn``."""
    gt = _check(gt, "gt")
    hyp = _check(hyp, "hyp")
    gids, ginv = np.unique(gt[:, 1].astype(np.int64), return_inverse=True)
    hids, hinv = np.unique(hyp[:, 1].astype(np.int64), return_inverse=True)
    counts = np.zeros((len(gids), len(hids)), np.float64)
    gf, hf = _by_frame(np.column_stack([gt, ginv])), _by_frame(np.column_stack([hyp, hinv]))
    for f in set(gf) & set(hf):
        g, h = gf[f], hf[f]
        ok = np.isfinite(_pair_dist(g[:, 2:6], h[:, 2:6], dist, thresh))
        gi, hj = np.nonzero(ok)
        np.add.at(counts, (g[gi, 6].astype(np.int64), h[hj, 6].astype(np.int64)), 1.0)
    idtp = 0.0
    if counts.size:
        cost = np.where(counts > 0, -counts, np.inf)
        r, c = _core.linear_sum_assignment(cost)
        idtp = float(counts[r, c].sum())
    ngt, nhyp = len(gt), len(hyp)
    return {
        "idf1": 2 * idtp / (ngt + nhyp) if ngt + nhyp else float("nan"),
        "idp": idtp / nhyp if nhyp else float("nan"),
        "idr": idtp / ngt if ngt else float("nan"),
        "idtp": int(idtp),
        "idfp": int(nhyp - idtp),
        "idfn": int(ngt - idtp),
    }


def similarity(g: np.ndarray, h: np.ndarray, dist: str = "iou", thresh: float = 0.5) -> np.ndarray:
    """(G, H) similarity in [0, 1] between xyxy boxes: IoU, or ``max(0, 1 - d / thresh)``
    for the centre distance ``d`` (``dist="center"``)."""
    if dist == "iou":
        d = _pair_dist(g, h, "iou", 0.0)
        return 1.0 - d
    if dist == "center":
        if not thresh > 0:
            raise ValueError(f"thresh: expected > 0 for dist='center', got {thresh}")
        cg = (g[:, :2] + g[:, 2:]) / 2
        ch = (h[:, :2] + h[:, 2:]) / 2
        d = np.sqrt(((cg[:, None, :] - ch[None, :, :]) ** 2).sum(-1))
        return np.clip(1.0 - d / thresh, 0.0, None)
    raise ValueError(f"dist: expected 'iou' or 'center', got {dist!r}")


def hota(gt: np.ndarray, hyp: np.ndarray, *, dist: str = "iou", thresh: float = 5.0) -> dict:
    """HOTA, DetA and AssA (averaged over alpha = 0.05 ... 0.95), plus the per-alpha arrays.

    ``thresh`` is only used by ``dist="center"`` (distance at which similarity reaches 0).
    """
    gt = _check(gt, "gt")
    hyp = _check(hyp, "hyp")
    alphas = np.arange(0.05, 0.99, 0.05)
    gids, ginv = np.unique(gt[:, 1].astype(np.int64), return_inverse=True)
    hids, hinv = np.unique(hyp[:, 1].astype(np.int64), return_inverse=True)
    ng, nh = len(gids), len(hids)
    if len(gt) == 0 or len(hyp) == 0:
        z = np.zeros(len(alphas))
        return {"hota": 0.0, "deta": 0.0, "assa": 0.0, "alphas": alphas, "hota_alpha": z}
    gf, hf = _by_frame(np.column_stack([gt, ginv])), _by_frame(np.column_stack([hyp, hinv]))
    frames = sorted(set(gf) | set(hf))
    sims = {}
    # pass 1: global alignment score between identities
    potential = np.zeros((ng, nh))
    gcount = np.bincount(ginv.reshape(-1), minlength=ng).astype(np.float64)
    hcount = np.bincount(hinv.reshape(-1), minlength=nh).astype(np.float64)
    for f in frames:
        if f not in gf or f not in hf:
            continue
        g, h = gf[f], hf[f]
        sim = similarity(g[:, 2:6], h[:, 2:6], dist, thresh)
        sims[f] = sim
        denom = sim.sum(0)[None, :] + sim.sum(1)[:, None] - sim
        siou = np.divide(sim, denom, out=np.zeros_like(sim), where=denom > 1e-12)
        gi = g[:, 6].astype(np.int64)
        hj = h[:, 6].astype(np.int64)
        potential[np.ix_(gi, hj)] += siou
    align = potential / (gcount[:, None] + hcount[None, :] - potential)
    na = len(alphas)
    tp = np.zeros(na)
    matches = np.zeros((na, ng, nh))
    for f, sim in sims.items():
        g, h = gf[f], hf[f]
        gi = g[:, 6].astype(np.int64)
        hj = h[:, 6].astype(np.int64)
        score = align[np.ix_(gi, hj)] * sim
        cost = np.where(score > 0, -score, np.inf)
        r, c = _core.linear_sum_assignment(np.ascontiguousarray(cost))
        if len(r) == 0:
            continue
        ms = sim[r, c]
        for a, alpha in enumerate(alphas):
            ok = ms >= alpha - np.finfo(float).eps
            tp[a] += ok.sum()
            np.add.at(matches[a], (gi[r[ok]], hj[c[ok]]), 1.0)
    fn = len(gt) - tp
    fp = len(hyp) - tp
    deta = tp / np.maximum(tp + fn + fp, 1)
    assa = np.zeros(na)
    for a in range(na):
        m = matches[a]
        if tp[a] == 0:
            continue
        ascore = m / np.maximum(gcount[:, None] + hcount[None, :] - m, 1)
        assa[a] = (m * ascore).sum() / tp[a]
    ha = np.sqrt(deta * assa)
    return {"hota": float(ha.mean()), "deta": float(deta.mean()), "assa": float(assa.mean()),
            "alphas": alphas, "hota_alpha": ha}


def evaluate(gt: np.ndarray, hyp: np.ndarray, *, dist: str = "iou", thresh: float = 0.5,
             with_hota: bool = False) -> dict:
    """:func:`clear_mot` and :func:`idf1` (and optionally :func:`hota`, with the same
    ``dist`` and ``thresh``) merged into one dict."""
    out = clear_mot(gt, hyp, dist=dist, thresh=thresh)
    out.update(idf1(gt, hyp, dist=dist, thresh=thresh))
    if with_hota:
        h = hota(gt, hyp, dist=dist, thresh=thresh)
        out.update(hota=h["hota"], deta=h["deta"], assa=h["assa"])
    return out


# ---- synthetic scenes -----------------------------------------------------------------


@dataclass
class Scene:
    """A synthetic scene: ground truth, detections per frame and timestamps.

    ``gt`` rows are ``frame, id, x0, y0, x1, y1`` (true boxes of visible objects);
    ``boxes[k]`` / ``scores[k]`` the detections of frame ``k`` (with noise, dropouts and
    clutter as configured) and ``t[k]`` its timestamp in seconds.
    """

    name: str
    gt: np.ndarray
    boxes: list = field(default_factory=list)
    scores: list = field(default_factory=list)
    t: np.ndarray = field(default_factory=lambda: np.empty(0))


SCENES = ("linear", "crossing", "falling", "duplicated", "dropout", "clutter")


def make_scene(
    name: str,
    seed: int = 0,
    *,
    n_objects: int = 20,
    n_frames: int = 100,
    fps: float = 25.0,
    width: float = 1280.0,
    height: float = 720.0,
) -> Scene:
    """Generate a synthetic point-track scene with exact ground truth.

    ``name`` is one of :data:`SCENES`:

    ``linear``
        objects 4–20 px wide moving with constant velocity (20–200 px/s).
    ``crossing``
        pairs of objects whose straight paths cross mid-sequence.
    ``falling``
        3–6 px objects released at random times, falling under gravity (800 px/s²)
        with a small horizontal drift, each hidden for 3 frames mid-fall.
    ``duplicated``
        ``linear`` motion as 10 fps content in a 30 fps container: every content frame
        is delivered 3 times with increasing timestamps and identical detections.
    ``dropout``
        ``linear`` with 10 % of detections missing at random.
    ``clutter``
        ``linear`` plus on average 5 false detections per frame (scores 0.1–0.7).

    Detections carry 0.5 px Gaussian centre noise and scores in [0.6, 1].
    """
    if name not in SCENES:
        raise ValueError(f"name: expected one of {SCENES}, got {name!r}")
    rng = np.random.default_rng(seed)
    content_fps = 10.0 if name == "duplicated" else fps
    nf = n_frames
    tc = np.arange(nf) / content_fps
    # per object: centre trajectories (nf,) and size
    cx = np.zeros((n_objects, nf))
    cy = np.zeros((n_objects, nf))
    vis = np.ones((n_objects, nf), bool)
    size = rng.uniform(4, 20, n_objects)
    if name == "falling":
        g = 800.0
        size = rng.uniform(3, 6, n_objects)
        x0 = rng.uniform(50, width - 50, n_objects)
        vx = rng.uniform(-20, 20, n_objects)
        t_rel = rng.uniform(0, tc[-1] * 0.6, n_objects)
        for i in range(n_objects):
            dt = tc - t_rel[i]
            cx[i] = x0[i] + vx[i] * dt
            cy[i] = 20 + 0.5 * g * np.clip(dt, 0, None) ** 2
            vis[i] = (dt >= 0) & (cy[i] < height - 5)
            on = np.flatnonzero(vis[i])
            if len(on) > 8:
                k = on[len(on) // 2]
                vis[i, k:k + 3] = False
    elif name == "crossing":
        half = n_objects // 2
        for p in range(half):
            mx, my = rng.uniform(200, width - 200), rng.uniform(150, height - 150)
            ang = rng.uniform(0, np.pi)
            speed = rng.uniform(60, 150)
            tm = tc[nf // 2]
            for s, a in ((0, ang), (1, ang + rng.uniform(0.5, 2.6))):
                i = 2 * p + s
                cx[i] = mx + speed * np.cos(a) * (tc - tm)
                cy[i] = my + speed * np.sin(a) * (tc - tm)
        if n_objects % 2:
            cx[-1] = rng.uniform(0, width) + 50 * tc
            cy[-1] = rng.uniform(0, height)
    else:
        x0 = rng.uniform(0, width, n_objects)
        y0 = rng.uniform(0, height, n_objects)
        sp = rng.uniform(20, 200, n_objects)
        ang = rng.uniform(0, 2 * np.pi, n_objects)
        cx = x0[:, None] + (sp * np.cos(ang))[:, None] * tc[None, :]
        cy = y0[:, None] + (sp * np.sin(ang))[:, None] * tc[None, :]
    vis &= (cx > 0) & (cx < width) & (cy > 0) & (cy < height)
    det_vis = vis.copy()
    if name == "dropout":
        det_vis &= rng.random(vis.shape) > 0.1
    gt_rows, boxes, scores = [], [], []
    for k in range(nf):
        ids = np.flatnonzero(vis[:, k])
        h = size[ids] / 2
        gt_rows.append(np.column_stack([np.full(len(ids), k), ids, cx[ids, k] - h, cy[ids, k] - h,
                                        cx[ids, k] + h, cy[ids, k] + h]))
        d = np.flatnonzero(det_vis[:, k])
        hx = size[d] / 2
        nx = cx[d, k] + rng.normal(0, 0.5, len(d))
        ny = cy[d, k] + rng.normal(0, 0.5, len(d))
        b = np.column_stack([nx - hx, ny - hx, nx + hx, ny + hx])
        s = rng.uniform(0.6, 1.0, len(d))
        if name == "clutter":
            m = rng.poisson(5)
            px, py = rng.uniform(0, width, m), rng.uniform(0, height, m)
            r = rng.uniform(2, 10, m)
            b = np.vstack([b, np.column_stack([px - r, py - r, px + r, py + r])])
            s = np.concatenate([s, rng.uniform(0.1, 0.7, m)])
        perm = rng.permutation(len(b))
        boxes.append(b[perm])
        scores.append(s[perm])
    gt = np.vstack(gt_rows) if gt_rows else np.empty((0, 6))
    t = tc.copy()
    if name == "duplicated":
        rep = 3
        gt = np.vstack([np.column_stack([rep * gt[gt[:, 0] == k][:, :1] * 0 + rep * k + j,
                                         gt[gt[:, 0] == k][:, 1:]])
                        for k in range(nf) for j in range(rep)])
        boxes = [b for b in boxes for _ in range(rep)]
        scores = [s for s in scores for _ in range(rep)]
        t = np.arange(nf * rep) / (content_fps * rep)
    return Scene(name=name, gt=gt, boxes=boxes, scores=scores, t=t)


def run_tracker(tracker, scene: Scene) -> np.ndarray:
    """Feed a :class:`Scene` to a tracker (``update(boxes, scores, t) -> ids``) and return
    hypothesis rows ``frame, id, x0, y0, x1, y1`` for every box given an id ``>= 0``."""
    rows = []
    for k, (b, s, t) in enumerate(zip(scene.boxes, scene.scores, scene.t)):
        ids = np.asarray(tracker.update(b, s, float(t)))
        m = ids >= 0
        if m.any():
            rows.append(np.column_stack([np.full(m.sum(), k), ids[m], b[m]]))
    return np.vstack(rows) if rows else np.empty((0, 6))
