"""Write docs/motion.png: frame, difference mask, opened mask, labelled blobs with boxes.

Run:  python docs/make_motion_figure.py      (needs pillow; synthetic data, no files read)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from anfang import motion

H, W = 180, 320


def frames(seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:H, 0:W]
    facade = 110 + 40 * ((x // 40 + y // 30) % 2) + 10 * np.sin(x * 0.3)
    prev = np.clip(facade + rng.normal(0, 4, (H, W)), 0, 255)
    cur = np.clip(facade + rng.normal(0, 4, (H, W)), 0, 255)
    # three moving objects (falling box, small ball, a person-sized bar) plus sensor specks
    for (y0, x0, h, w, v) in [(30, 60, 14, 10, 20), (100, 200, 6, 6, 240), (70, 120, 40, 12, 30)]:
        cur[y0 : y0 + h, x0 : x0 + w] = v
        prev[y0 - 8 : y0 - 8 + h, x0 : x0 + w] = v
    specks = rng.random((H, W)) < 0.002
    cur[specks] = 255
    return prev.astype(np.uint8), cur.astype(np.uint8)


def main() -> None:
    prev, cur = frames()
    raw = motion.diff_mask(prev, cur, 30)
    opened = motion.opening(raw, 3)
    labels, blobs = motion.label(opened)
    palette = np.random.default_rng(1).integers(60, 256, (labels.max() + 1, 3)).astype(np.uint8)
    palette[0] = 0
    panels = [
        Image.fromarray(cur).convert("RGB"),
        Image.fromarray(raw.astype(np.uint8) * 255).convert("RGB"),
        Image.fromarray(opened.astype(np.uint8) * 255).convert("RGB"),
        Image.fromarray(palette[labels]),
    ]
    draw = ImageDraw.Draw(panels[0])
    for x0, y0, x1, y1 in blobs.bbox.tolist():
        draw.rectangle([x0, y0, x1 - 1, y1 - 1], outline=(255, 40, 40))
    titles = ["cur + blobs.bbox", "diff_mask(prev, cur, 30)", "opening(mask, 3)", "label(mask)"]
    pad = 18
    sheet = Image.new("RGB", (2 * W + 10, 2 * (H + pad) + 5), (255, 255, 255))
    for i, (p, t) in enumerate(zip(panels, titles)):
        ox, oy = (i % 2) * (W + 10), (i // 2) * (H + pad + 5)
        ImageDraw.Draw(sheet).text((ox + 4, oy + 3), t, fill=(0, 0, 0))
        sheet.paste(p, (ox, oy + pad))
    out = Path(__file__).with_name("motion.png")
    sheet.save(out, optimize=True)
    print(f"{out}: {len(blobs)} blobs, {out.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
