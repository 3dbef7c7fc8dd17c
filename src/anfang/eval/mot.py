"""MOTChallenge export and tracking scores (HOTA, MOTA, IDF1).

Rows are ``frame, id, left, top, w, h, conf, -1, -1, -1`` with **1-based** frames, the
MOTChallenge text format. Scoring uses established packages from the ``eval`` extra,
imported lazily: ``motmetrics`` (MOTA, IDF1; the ``eval`` extra) and ``trackeval`` (HOTA; the ``hota``
extra, else anfang's own HOTA from :mod:`anfang.tracking_metrics`, cross-checked against
trackeval in the tests).

>>> truth = {"objects": [{"id": 3, "kind": "bird", "frames": [[0, 10, 20, 14, 26]]}]}
>>> truth_mot_rows(truth)
[[1, 3, 10.0, 20.0, 4.0, 6.0, 1.0, -1, -1, -1]]
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np


def truth_mot_rows(truth: Mapping[str, Any], kinds: Iterable[str] | None = None) -> list[list]:
    """MOTChallenge rows of the truth objects (optionally only some ``kinds``)."""
    if not isinstance(truth, Mapping):
        raise TypeError(f"truth: expected a truth.json mapping, got {type(truth).__name__}")
    keep = set(kinds) if kinds is not None else None
    rows = []
    for o in truth.get("objects", []):
        if keep is not None and o["kind"] not in keep:
            continue
        for f, x0, y0, x1, y1 in o["frames"]:
            rows.append([int(f) + 1, int(o["id"]), float(x0), float(y0), float(x1 - x0),
                         float(y1 - y0), 1.0, -1, -1, -1])
    rows.sort(key=lambda r: (r[0], r[1]))
    return rows


def write_mot(rows: Sequence[Sequence], path: str | os.PathLike) -> Path:
    """Write MOTChallenge rows as CSV text."""
    p = Path(path)
    with p.open("w") as fh:
        for r in rows:
            fh.write(f"{int(r[0])},{int(r[1])},{r[2]:.2f},{r[3]:.2f},{r[4]:.2f},{r[5]:.2f},"
                     f"{float(r[6]):.3f},-1,-1,-1\n")
    return p


def read_mot(path: str | os.PathLike) -> list[list]:
    """Read MOTChallenge CSV rows (extra columns ignored)."""
    rows = []
    for n, line in enumerate(Path(path).read_text().splitlines(), 1):
        if not line.strip():
            continue
        v = line.split(",")
        try:
            if len(v) < 7:
                raise ValueError
            rows.append([int(float(v[0])), int(float(v[1]))] + [float(x) for x in v[2:7]] + [-1, -1, -1])
        except ValueError:
            raise ValueError(f"{os.fspath(path)}:{n}: expected a MOTChallenge row "
                             f"'frame,id,left,top,width,height,conf,...', got {line[:80]!r}") from None
    return rows


def _iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of ``left, top, w, h`` boxes, shape (len(a), len(b))."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    ax1, ay1 = a[:, 0] + a[:, 2], a[:, 1] + a[:, 3]
    bx1, by1 = b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]
    iw = np.clip(np.minimum(ax1[:, None], bx1[None]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    ih = np.clip(np.minimum(ay1[:, None], by1[None]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = iw * ih
    union = (a[:, 2] * a[:, 3])[:, None] + (b[:, 2] * b[:, 3])[None] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def _by_frame(rows):
    out: dict[int, list] = {}
    for r in rows:
        out.setdefault(int(r[0]), []).append(r)
    return out


def mot_metrics(gt_rows: Sequence[Sequence], hyp_rows: Sequence[Sequence], iou: float = 0.5,
                hota: bool = True) -> dict[str, float]:
    """MOTA and IDF1 (motmetrics) and HOTA (trackeval) of hypothesis rows against truth rows.

    Requires the ``eval`` extra (``pip install anfang[eval]``). Rows are MOTChallenge rows.
    """
    try:
        import motmetrics as mm  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("mot_metrics needs the 'eval' extra: pip install 'anfang[eval]'") from exc
    gt, hy = _by_frame(gt_rows), _by_frame(hyp_rows)
    frames = sorted(set(gt) | set(hy))
    acc = mm.MOTAccumulator(auto_id=False)
    gt_ids_all = sorted({int(r[1]) for r in gt_rows})
    hy_ids_all = sorted({int(r[1]) for r in hyp_rows})
    gmap = {g: i for i, g in enumerate(gt_ids_all)}
    hmap = {h: i for i, h in enumerate(hy_ids_all)}
    te_gt, te_hy, te_sim = [], [], []
    for f in frames:
        g = np.array([r[2:6] for r in gt.get(f, [])], float).reshape(-1, 4)
        h = np.array([r[2:6] for r in hy.get(f, [])], float).reshape(-1, 4)
        gids = [int(r[1]) for r in gt.get(f, [])]
        hids = [int(r[1]) for r in hy.get(f, [])]
        sim = _iou_matrix(g, h)
        dist = np.where(sim >= iou, 1.0 - sim, np.nan)
        acc.update(gids, hids, dist, frameid=f)
        te_gt.append(np.array([gmap[i] for i in gids], int))
        te_hy.append(np.array([hmap[i] for i in hids], int))
        te_sim.append(sim)
    mh = mm.metrics.create()
    summ = mh.compute(acc, metrics=["mota", "idf1", "num_switches"], name="clip")
    out = {"MOTA": float(summ["mota"].iloc[0]), "IDF1": float(summ["idf1"].iloc[0]),
           "ID_switches": int(summ["num_switches"].iloc[0])}
    if hota:
        try:
            # trackeval prints notes about its optional parts (pycocotools) on stdout when
            # imported: keep stdout for the caller's output (the CLI writes JSON there)
            with contextlib.redirect_stdout(sys.stderr):
                from trackeval.metrics import HOTA  # noqa: PLC0415
        except ImportError:
            # trackeval (the 'hota' extra) pulls in the full opencv-python build; without it,
            # use anfang's own HOTA, which the tests cross-check against trackeval.
            from anfang.tracking_metrics import hota as _own_hota  # noqa: PLC0415

            def _xyxy(rows: Sequence[Sequence]) -> np.ndarray:
                a = np.array([list(r[:6]) for r in rows], float).reshape(-1, 6)
                a[:, 4] += a[:, 2]
                a[:, 5] += a[:, 3]
                return a

            res = _own_hota(_xyxy(gt_rows), _xyxy(hyp_rows), dist="iou")
            out["HOTA"], out["DetA"], out["AssA"] = res["hota"], res["deta"], res["assa"]
            return out
        data = {"num_timesteps": len(frames), "num_gt_ids": len(gt_ids_all),
                "num_tracker_ids": len(hy_ids_all), "num_gt_dets": len(gt_rows),
                "num_tracker_dets": len(hyp_rows), "gt_ids": te_gt, "tracker_ids": te_hy,
                "similarity_scores": te_sim}
        res = HOTA().eval_sequence(data)
        out["HOTA"] = float(np.mean(res["HOTA"]))
        out["DetA"] = float(np.mean(res["DetA"]))
        out["AssA"] = float(np.mean(res["AssA"]))
    return out
