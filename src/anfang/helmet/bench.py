"""``anfang bench helmet``: score a helmet classifier on the labelled heads of a YOLO folder.

Every labelled head box is cut with the documented margin (:data:`DEFAULT_MARGIN`),
classified, and compared with its label (YOLO class 0 = with helmet).
"""

from __future__ import annotations

import json
import math
import time

import numpy as np

from anfang.helmet.data import DEFAULT_MARGIN, load_yolo_crops
from anfang.helmet.metrics import binary_report

__all__ = ["score_yolo_folder", "format_report", "main"]


def score_yolo_folder(path, classifier, margin: float = DEFAULT_MARGIN, threshold: float = 0.5) -> dict:
    """Accuracy, balanced accuracy, AUC and per-class precision/recall on a YOLO folder.

    Parameters
    ----------
    path : path-like
        Folder with ``images/`` and ``labels/``.
    classifier : HelmetClassifier (or anything with ``predict_proba(crops)``)
    margin : float
        Crop margin around each labelled head box.
    threshold : float
        P(helmet) at or above which a crop is called "helmet".

    Returns
    -------
    dict
        ``n``, ``n_helmet``, ``n_no_helmet``, ``accuracy``, ``balanced_accuracy``, ``auc``,
        ``precision_helmet``, ``recall_helmet``, ``precision_no_helmet``,
        ``recall_no_helmet``, ``threshold``, ``margin``, ``ms_per_crop``.
    """
    crops, labels = load_yolo_crops(path, margin)
    t0 = time.perf_counter()
    proba = classifier.predict_proba(crops) if crops else np.zeros(0)
    dt = time.perf_counter() - t0
    out = binary_report(labels, proba, threshold)
    out["margin"] = float(margin)
    out["ms_per_crop"] = 1000.0 * dt / len(crops) if crops else float("nan")
    return out


def format_report(rep: dict, path="") -> str:
    """Human-readable lines of a :func:`score_yolo_folder` report."""

    def f(v):
        return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3f}"

    return "\n".join(
        [
            f"helmet classifier on {path}" if path else "helmet classifier",
            f"  heads              {rep['n']} ({rep['n_helmet']} helmet, {rep['n_no_helmet']} no helmet)",
            f"  accuracy           {f(rep['accuracy'])}",
            f"  balanced accuracy  {f(rep['balanced_accuracy'])}",
            f"  ROC AUC            {f(rep['auc'])}",
            f"  helmet     precision {f(rep['precision_helmet'])}  recall {f(rep['recall_helmet'])}",
            f"  no helmet  precision {f(rep['precision_no_helmet'])}  recall {f(rep['recall_no_helmet'])}",
            f"  margin {rep['margin']:g}, threshold {rep['threshold']:g}, {f(rep['ms_per_crop'])} ms per crop",
        ]
    )


def main(args) -> int:
    """Handler of ``anfang bench helmet --yolo DIR [--model M] [--json]``."""
    from anfang.helmet.classifier import HelmetClassifier

    model = getattr(args, "model", None)
    clf = HelmetClassifier.load(model) if model else HelmetClassifier.default()
    margin = getattr(args, "margin", None)
    rep = score_yolo_folder(args.yolo, clf, margin=DEFAULT_MARGIN if margin is None else float(margin))
    if getattr(args, "json", False):
        print(json.dumps({k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in rep.items()}))
    else:
        print(format_report(rep, args.yolo))
    return 0
