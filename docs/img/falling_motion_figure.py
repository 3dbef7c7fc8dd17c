"""Write docs/img/falling_motion.png: why the falling detector segments against a background.

Run from the repository root (needs Pillow, a dev-only dependency):

    python docs/img/falling_motion_figure.py

A 26 px, low-contrast phone (the standard suite's ``facade_fall_03`` conditions: daylight,
3 px camera shake) rendered by ``anfang.synth.facade``; at one frame of its fall the figure
shows, left to right: the frame, the three-frame difference (pixels that differ from both
previous frames: only the leading and trailing edges of a uniform object moving less than
its own height per frame, broken up by noise), and the silhouette against the running-average
background that the detector uses by default (the whole object). Both masks are after shake
compensation; red marks the true centre.
"""

from __future__ import annotations

import os

import numpy as np
from PIL import Image, ImageDraw

from anfang.falling import Facade, FallingObjectDetector
from anfang.synth._suite import render, suite_spec

OUT = os.path.join(os.path.dirname(__file__), "falling_motion.png")
NAME = "facade_fall_03"
FRAME_AFTER_START = 14  # frames after the object first appears


def masks_at(clip, fac, motion: str, fi: int) -> np.ndarray:
    det = FallingObjectDetector(fac, motion=motion)
    seen = {}
    orig = det._motion.label  # capture the first mask the detector labels at frame fi

    def label(mask):
        if det.frame_index == fi and "mask" not in seen:
            seen["mask"] = mask.copy()
        return orig(mask)

    det._motion.label = label
    for i, (f, t) in enumerate(zip(clip.frames, clip.t)):
        det.update(f, t)
        if i == fi:
            break
    return seen["mask"]


def main() -> None:
    spec = next(c for c in suite_spec() if c["name"] == NAME)
    clip = render(spec)
    fac = Facade.from_calibration(clip.truth["calibration"])
    ev = clip.truth["events"][0]
    traj = np.asarray(ev["trajectory"])
    row = traj[FRAME_AFTER_START]
    fi, x, y = int(row[0]), float(row[2]), float(row[3])
    diff = masks_at(clip, fac, "diff", fi)
    sil = masks_at(clip, fac, "background", fi)
    r = 40
    x0, y0 = int(max(x - r, 0)), int(max(y - r, 0))
    x1, y1 = int(min(x + r, clip.frames.shape[2])), int(min(y + r, clip.frames.shape[1]))
    tiles = []
    grey = clip.frames[fi][y0:y1, x0:x1]
    tiles.append(np.dstack([grey] * 3))
    for m in (diff, sil):
        crop = m[y0:y1, x0:x1]
        t = np.dstack([grey // 2] * 3).astype(np.uint8)
        t[crop] = (255, 255, 255)
        tiles.append(t)
    gap = np.full((y1 - y0, 6, 3), 255, np.uint8)
    img = np.concatenate([tiles[0], gap, tiles[1], gap, tiles[2]], axis=1)
    im = Image.fromarray(img).resize((img.shape[1] * 3, img.shape[0] * 3), Image.NEAREST)
    d = ImageDraw.Draw(im)
    w = (x1 - x0 + 6) * 3
    for k in range(3):
        cx, cy = (x - x0) * 3 + k * w, (y - y0) * 3
        d.line([cx - 6, cy, cx + 6, cy], fill=(255, 0, 0), width=2)
        d.line([cx, cy - 6, cx, cy + 6], fill=(255, 0, 0), width=2)
    labels = ["frame", "three-frame difference", "against the background"]
    canvas = Image.new("RGB", (im.width, im.height + 22), (255, 255, 255))
    canvas.paste(im, (0, 22))
    dc = ImageDraw.Draw(canvas)
    for k, s in enumerate(labels):
        dc.text((k * w + 4, 4), s, fill=(0, 0, 0))
    canvas.save(OUT, optimize=True)
    print(OUT)


if __name__ == "__main__":
    main()
