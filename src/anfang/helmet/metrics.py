"""Classification metrics and the Wilson score interval, in numpy only.

Examples
--------
>>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
0.75
>>> lo, hi = wilson_interval(8, 10)
>>> round(lo, 4), round(hi, 4)
(0.4902, 0.9433)
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["roc_auc", "balanced_accuracy", "wilson_interval", "binary_report"]


def _binary(y, name: str) -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array, got shape {arr.shape}")
    if arr.dtype != bool:
        if arr.size and not np.isin(arr, (0, 1)).all():
            raise ValueError(f"{name}: expected booleans or 0/1 values")
        arr = arr.astype(bool)
    return arr


def _rankdata_average(x: np.ndarray) -> np.ndarray:
    """1-based ranks with ties given the mean of their ranks."""
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    n = len(x)
    # start of each run of equal values
    starts = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]])
    ends = np.r_[starts[1:], n]
    avg = (starts + ends + 1) / 2.0  # mean of ranks start+1 .. end
    ranks_sorted = np.repeat(avg, ends - starts)
    ranks = np.empty(n, dtype=np.float64)
    ranks[order] = ranks_sorted
    return ranks


def roc_auc(y_true, scores) -> float:
    """Area under the ROC curve by the rank-sum (Mann-Whitney U) formula; ties count 1/2.

    Returns ``nan`` when one class is absent.
    """
    y = _binary(y_true, "y_true")
    s = np.asarray(scores, dtype=np.float64)
    if s.shape != y.shape:
        raise ValueError(f"scores: expected shape {y.shape}, got {s.shape}")
    if not np.isfinite(s).all():
        raise ValueError("scores: expected finite values")
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = _rankdata_average(s)
    u = ranks[y].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def balanced_accuracy(y_true, y_pred) -> float:
    """Mean of the recalls of the two classes (``nan`` for an absent class is skipped)."""
    y = _binary(y_true, "y_true")
    p = _binary(y_pred, "y_pred")
    if p.shape != y.shape:
        raise ValueError(f"y_pred: expected shape {y.shape}, got {p.shape}")
    recalls = [float((p[m] == y[m]).mean()) for m in (y, ~y) if m.any()]
    return float(np.mean(recalls)) if recalls else float("nan")


def wilson_interval(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (default 95 %).

    ``(nan, nan)`` when ``n == 0``.
    """
    for name, v in (("successes", successes), ("n", n)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{name}: expected an integer count, got {type(v).__name__} {v!r}")
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"successes, n: expected 0 <= successes <= n, got successes={successes}, n={n}")
    if n == 0:
        return float("nan"), float("nan")
    p = successes / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def binary_report(y_true, proba, threshold: float = 0.5) -> dict:
    """Accuracy, balanced accuracy, AUC and per-class precision/recall for P(positive)."""
    y = _binary(y_true, "y_true")
    p = np.asarray(proba, dtype=np.float64)
    pred = p >= threshold
    out = {
        "n": int(len(y)),
        "n_helmet": int(y.sum()),
        "n_no_helmet": int((~y).sum()),
        "accuracy": float((pred == y).mean()) if len(y) else float("nan"),
        "balanced_accuracy": balanced_accuracy(y, pred) if len(y) else float("nan"),
        "auc": roc_auc(y, p) if len(y) else float("nan"),
        "threshold": float(threshold),
    }
    for name, pos_true, pos_pred in (("helmet", y, pred), ("no_helmet", ~y, ~pred)):
        tp = int((pos_true & pos_pred).sum())
        out[f"precision_{name}"] = tp / int(pos_pred.sum()) if pos_pred.any() else float("nan")
        out[f"recall_{name}"] = tp / int(pos_true.sum()) if pos_true.any() else float("nan")
    return out
