"""Write the sample-frame pictures of docs/benchmark.md into docs/img/.

Run from the repository root:  python docs/make_benchmark_figures.py
Needs anfang and Pillow. Every picture is a frame of a seeded clip with its truth boxes
drawn on top (green: falling object / helmet, red: bare head, yellow: distractor or other
object, cyan: package).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from anfang.synth import facade, street

OUT = Path(__file__).resolve().parent / "img"
COLOURS = {"falling_object": (0, 255, 0), "package": (0, 255, 255), "rider": (255, 0, 255)}


def _boxes(truth, frame):
    for o in truth["objects"]:
        for r in o["frames"]:
            if r[0] == frame:
                yield o, r[1:]


def _save(frames_rgb, name, draw_fn=None, scale=0.75):
    img = Image.fromarray(frames_rgb)
    if draw_fn is not None:
        draw_fn(ImageDraw.Draw(img))
    if scale != 1.0:
        img = img.resize((int(img.width * scale), int(img.height * scale)), Image.LANCZOS)
    img = img.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    p = OUT / name
    img.save(p, optimize=True)
    kb = p.stat().st_size / 1024
    print(f"{p.name}: {img.width}x{img.height}, {kb:.0f} KB")
    assert kb < 200, f"{p} is {kb:.0f} KB"


def _rgb(f):
    return np.repeat(f[..., None], 3, axis=2) if f.ndim == 2 else f


def facade_figure(name, frame_offset=12, **kw):
    clip = facade(**kw)
    ev = clip.truth["events"]
    f = ev[0]["frame_start"] + frame_offset if ev else len(clip) // 2
    f = min(f, len(clip) - 1)

    def draw(d):
        for o, b in _boxes(clip.truth, f):
            col = COLOURS.get(o["kind"], (255, 200, 0))
            d.rectangle([b[0] - 2, b[1] - 2, b[2] + 2, b[3] + 2], outline=col)
        for e in ev:
            pts = [(r[2], r[3]) for r in e["trajectory"] if r[0] <= f]
            if len(pts) > 1:
                d.line(pts, fill=(0, 255, 0))
            o = e["origin"]
            d.ellipse([o["x"] - 3, o["y"] - 3, o["x"] + 3, o["y"] + 3], outline=(255, 0, 0))
        for fl in clip.truth["calibration"]["floor_lines"]:
            d.line([tuple(fl["p0"]), tuple(fl["p1"])], fill=(255, 120, 0))

    _save(_rgb(clip.frames[f]), name, draw)


def street_figure(name, kind, which, **kw):
    clip = street(kind=kind, **kw)
    ev = [e for e in clip.truth["events"] if e["kind"] == which]
    if which == "rider":
        # the frame where most riders are fully inside the image
        W = clip.truth["size"][0]
        best, f = -1, len(clip) // 2
        for k in range(0, len(clip), 5):
            n = sum(1 for o, b in _boxes(clip.truth, k) if o["kind"] == "rider" and b[0] > 1 and b[2] < W - 1)
            if n > best:
                best, f = n, k
    else:
        f = min(ev[0]["frame_start"] + 10, len(clip) - 1)

    def draw(d):
        for o, b in _boxes(clip.truth, f):
            if o["kind"] == "rider":
                for r in o["head_frames"]:
                    if r[0] == f:
                        col = (0, 255, 0) if o["helmet"] else (255, 0, 0)
                        d.rectangle([r[1] - 1, r[2] - 1, r[3] + 1, r[4] + 1], outline=col)
            elif o["kind"] == "package":
                d.rectangle([b[0] - 2, b[1] - 2, b[2] + 2, b[3] + 2], outline=(0, 255, 255))

    _save(clip.frames[f], name, draw)


def head_crops(name):
    """Grid of rider head crops: top row helmets, bottom row bare heads (4x enlarged)."""
    tiles = {True: [], False: []}
    for seed in range(40, 60):
        clip = street(seed=seed, kind="riders", seconds=3.0, fps=10.0, n_pedestrians=0, n_cars=0)
        for o in clip.truth["objects"]:
            if o["kind"] != "rider" or len(tiles[o["helmet"]]) >= 8:
                continue
            rows = [r for r in o["head_frames"] if r[1] > 2 and r[3] < clip.truth["size"][0] - 2]
            if not rows:
                continue
            r = rows[len(rows) // 2]
            x0, y0, x1, y1 = (int(round(v)) for v in r[1:])
            crop = clip.frames[r[0]][max(0, y0 - 3):y1 + 3, max(0, x0 - 3):x1 + 3]
            tiles[o["helmet"]].append(np.asarray(Image.fromarray(crop).resize((48, 48), Image.NEAREST)))
        if len(tiles[True]) >= 8 and len(tiles[False]) >= 8:
            break
    pad = np.full((48, 4, 3), 255, np.uint8)
    rows = []
    for k in (True, False):
        t = tiles[k][:8]
        rows.append(np.concatenate([np.concatenate([x, pad], 1) for x in t], 1))
    w = min(r.shape[1] for r in rows)
    grid = np.concatenate([rows[0][:, :w], np.full((4, w, 3), 255, np.uint8), rows[1][:, :w]], 0)
    _save(grid, name, scale=1.0)


def main() -> None:
    OUT.mkdir(exist_ok=True)
    facade_figure("facade_day.png", seed=1003, night=False, distractors=["birds", "branches", "clouds"],
                  falls=[{"size_px": 10.0, "contrast": 0.9}])
    facade_figure("facade_night.png", seed=1001, night=True, distractors=["insects", "rain"],
                  falls=[{"size_px": 6.0, "contrast": 0.9, "polarity": 1}], n_insects=1)
    facade_figure("facade_distractors.png", frame_offset=0, seed=2001, falls=0, distractors="all",
                  n_birds=4, n_leaves=4)
    street_figure("street_riders.png", "riders", "rider", seed=4002)
    street_figure("street_package.png", "package", "package_dropped", seed=3001, seconds=16.0)
    head_crops("rider_heads.png")


if __name__ == "__main__":
    main()
