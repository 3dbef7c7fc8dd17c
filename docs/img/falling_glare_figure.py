"""Write docs/img/falling_glare.png: why a reflection on the wall is not a falling object.

Run from the repository root (needs Pillow, a dev-only dependency):

    python docs/img/falling_glare_figure.py

A generated facade (day, no noise). Left: the same place before (top) and with, below it,
the sun's reflection on the wall (the ``glare`` distractor's light: grey levels multiplied)
and a falling object of the same size (opacity 0.7, as the generator draws it). Right: for
the changed pixels, the fine texture now (log grey minus its 3x3 mean) against the fine
texture before: light keeps it (slope about 1, orange); the object hides most of it (blue).
The numbers are ``light_texture``'s ``(corr, slope, change)``.
"""

from __future__ import annotations

import math
import os

import numpy as np
from PIL import Image, ImageDraw

from anfang.falling.detector import light_texture
from anfang.synth import _render as R
from anfang.synth import facade
from anfang.synth._facade import _illuminate

OUT = os.path.join(os.path.dirname(__file__), "falling_glare.png")
Z = 5  # crop magnification


def _fine_log(x: np.ndarray) -> np.ndarray:
    x = np.log(x.astype(np.float64) + 1.0)
    m = sum(x[a:a + x.shape[0] - 2, b:b + x.shape[1] - 2] for a in range(3) for b in range(3))
    return x[1:-1, 1:-1] - m / 9.0


def main() -> None:
    clip = facade(seed=4, size=(640, 360), fps=10, seconds=1, falls=0, distractors="none",
                  noise=0.0, night=False, tilt=40)
    before = clip.frames[0].astype(np.float32)
    cx, cy, half = 330.0, 200.0, 14
    wall = np.ones_like(before)
    lit = before.copy()
    _illuminate(lit, cx, cy, 5.0, 1.5, wall)
    obj = before.copy()
    R.ellipse(obj, cx, cy, 8.0, 6.0, 0.4, 235.0, 0.7)
    box = (cx - half, cy - half, cx + half, cy + half)
    b8 = np.clip(np.rint(before), 0, 255).astype(np.uint8)
    crops, stats, pts = [], [], []
    i0, i1, j0, j1 = int(cy - half), int(cy + half), int(cx - half), int(cx + half)
    for img in (lit, obj):
        u8 = np.clip(np.rint(img), 0, 255).astype(np.uint8)
        stats.append(light_texture(u8, b8, box))
        C, B = u8[i0 - 1:i1 + 1, j0 - 1:j1 + 1], b8[i0 - 1:i1 + 1, j0 - 1:j1 + 1]
        ch = (np.abs(C.astype(float) - B)[1:-1, 1:-1] > 5.0) & (C[1:-1, 1:-1] < 250)
        pts.append((_fine_log(B)[ch], _fine_log(C)[ch]))
        crops.append(u8[i0:i1, j0:j1])
    size = 2 * half * Z
    Wd, Hd = 3 * size + 60 + 360, 30 + 330 + 45
    fig = Image.new("RGB", (Wd, Hd), "white")
    d = ImageDraw.Draw(fig)
    tiles = [(b8[i0:i1, j0:j1], "before"), (crops[0], "a reflection"), (crops[1], "an object")]
    for k, (c, label) in enumerate(tiles):
        x = 20 + k * (size + 10)
        fig.paste(Image.fromarray(c).resize((size, size), Image.NEAREST).convert("RGB"), (x, 30))
        d.text((x, 10), label, fill="black")
    for k, st in enumerate(stats):
        corr, slope, change = st
        d.text((20 + (k + 1) * (size + 10), 40 + size),
               f"corr {corr:.2f}  slope {slope:.2f}\nchange {change:+.0f} grey", fill="black")
    # scatter: fine texture now against before
    ox, oy, S = 3 * size + 60, 30, 330
    d.rectangle([ox, oy, ox + S, oy + S], outline="black")
    lim = max(float(np.abs(np.concatenate([p[0] for p in pts] + [p[1] for p in pts])).max()), 1e-6)

    def xy(u, v):
        return ox + S / 2 + u / lim * S / 2, oy + S / 2 - v / lim * S / 2

    d.line([xy(-lim, -lim), xy(lim, lim)], fill=(170, 170, 170))
    d.line([xy(-lim, 0), xy(lim, 0)], fill=(220, 220, 220))
    for (u, v), col in zip(pts, [(230, 120, 0), (40, 90, 200)]):
        for a, b in zip(u, v):
            px, py = xy(a, b)
            d.ellipse([px - 2, py - 2, px + 2, py + 2], fill=col)
    d.text((ox, oy + S + 8), "fine texture before (x) and now (y), changed pixels:\n"
                             "orange the reflection, blue the object; grey: slope 1", fill="black")
    fig.save(OUT, optimize=True)
    print(OUT, fig.size, [tuple(round(v, 2) for v in s) for s in stats])


if __name__ == "__main__":
    main()
