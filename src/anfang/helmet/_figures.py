"""Draw the ROC curve of a helmet model on a YOLO folder as a small PNG (no plotting library).

``python -m anfang.helmet._figures --yolo DIR --out docs/helmet-roc.png [--model M]``
"""

from __future__ import annotations

import argparse

import numpy as np


def roc_points(y, scores) -> tuple[np.ndarray, np.ndarray]:
    """False- and true-positive rates at every distinct threshold (from (0, 0) to (1, 1))."""
    y = np.asarray(y, bool)
    s = np.asarray(scores, float)
    order = np.argsort(-s, kind="mergesort")
    ys, ss = y[order], s[order]
    last = np.r_[ss[1:] != ss[:-1], True]  # end of each run of equal scores
    tp = np.cumsum(ys)[last]
    fp = np.cumsum(~ys)[last]
    return np.r_[0.0, fp / max(1, (~y).sum())], np.r_[0.0, tp / max(1, y.sum())]


def draw_roc(fpr, tpr, size: int = 240, pad: int = 20) -> np.ndarray:
    """RGB uint8 image: axes box, chance diagonal (grey) and the ROC curve (blue)."""
    from skimage.draw import line

    img = np.full((size + 2 * pad, size + 2 * pad, 3), 255, np.uint8)

    def px(x, y):
        return int(round(pad + (1 - y) * size)), int(round(pad + x * size))

    def seg(p, q, colour):
        rr, cc = line(*px(*p), *px(*q))
        img[rr, cc] = colour

    for p, q in (((0, 0), (1, 0)), ((1, 0), (1, 1)), ((1, 1), (0, 1)), ((0, 1), (0, 0))):
        seg(p, q, (0, 0, 0))
    for t in np.linspace(0, 1, 6):  # ticks every 0.2
        seg((t, 0), (t, 0.02), (0, 0, 0))
        seg((0, t), (0.02, t), (0, 0, 0))
    seg((0, 0), (1, 1), (170, 170, 170))
    for i in range(len(fpr) - 1):
        for d in (-1, 0, 1):  # 3 px wide
            a, b = px(fpr[i], tpr[i]), px(fpr[i + 1], tpr[i + 1])
            rr, cc = line(a[0] + d, a[1], b[0] + d, b[1])
            ok = (rr >= 0) & (rr < img.shape[0])
            img[rr[ok], cc[ok]] = (30, 80, 200)
    return img


def main(argv=None) -> int:
    from skimage import io

    from anfang.helmet.classifier import HelmetClassifier
    from anfang.helmet.data import load_yolo_crops
    from anfang.helmet.metrics import roc_auc

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--yolo", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--model", default=None)
    a = ap.parse_args(argv)
    clf = HelmetClassifier.load(a.model) if a.model else HelmetClassifier.default()
    crops, y = load_yolo_crops(a.yolo)
    p = clf.predict_proba(crops)
    fpr, tpr = roc_points(y, p)
    io.imsave(a.out, draw_roc(fpr, tpr), check_contrast=False)
    print(f"wrote {a.out}: ROC of {len(y)} heads, AUC {roc_auc(y, p):.3f}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
