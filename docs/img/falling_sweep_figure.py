"""Write docs/img/falling_sweep.png: what the parabola sweep finds that the trackers miss.

Run from the repository root (needs Pillow, a dev-only dependency):

    python docs/img/falling_sweep_figure.py

The held-out suite clip ``facade_fall_17`` (seed + 50000): a bag of 6 px area by day, among
rain and birds in a shaking view, seen in most of its frames but in pieces. (Until session 10
the figure showed ``facade_fall_15``, a bag at night; the trackers now keep that one whole.)
Height on the facade (floors) against time, for the blobs within 60 px of the bag's column:
grey, every blob the detector kept; blue, the samples of the trackers' tracks that follow the
bag (fragments, none passing the physics alone); red, the samples of the sweep's event;
green, the true path.
"""

from __future__ import annotations

import os

import numpy as np
from PIL import Image, ImageDraw

from anfang.falling import Facade, FallingObjectDetector
from anfang.synth._suite import render, suite_spec

OUT = os.path.join(os.path.dirname(__file__), "falling_sweep.png")
NAME, OFFSET = "facade_fall_17", 50000
W, H, M = 760, 420, 50


def main() -> None:
    spec = next(c for c in suite_spec() if c["name"] == NAME)
    clip = render({**spec, "seed": spec["seed"] + OFFSET})
    fac = Facade.from_calibration(clip.truth["calibration"])
    truth = clip.truth["events"][0]
    tr = np.asarray(truth["trajectory"], dtype=np.float64)
    det = FallingObjectDetector(fac)
    seen: dict = {}
    tracks: dict = {}
    events = []
    for f, t in zip(clip.frames, clip.t):
        events += det.update(f, t)
        if det._blobs and det._blobs[-1][0] == det.frame_index:
            b = det._blobs[-1]
            seen[b[0]] = (b[1], b[2], b[3])
        tracks.update({k: v for k, v in det._tracks.items() if k < (2 << 40)})
    events += det.finish()
    t0, t1 = truth["t_start"] - 0.4, truth["t_end"] + 0.1
    xc = float(np.median(tr[:, 2]))

    def floor(x, y):
        return np.asarray(fac.floor_at(x, y), dtype=np.float64)

    f_lo, f_hi = float(floor(tr[-1, 2], tr[-1, 3])) - 0.3, float(floor(tr[0, 2], tr[0, 3])) + 0.6

    def px(t, fl):
        return (M + (t - t0) / (t1 - t0) * (W - 2 * M), H - M - (fl - f_lo) / (f_hi - f_lo) * (H - 2 * M))

    img = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(img)
    d.rectangle([M, M, W - M, H - M], outline=(0, 0, 0))
    for fl in range(int(np.ceil(f_lo)), int(np.floor(f_hi)) + 1):
        y = px(t0, fl)[1]
        d.line([M, y, W - M, y], fill=(225, 225, 225))
        d.text((8, y - 6), f"{fl}", fill=(0, 0, 0))
    for k in range(int(np.ceil(t0 * 2)), int(np.floor(t1 * 2)) + 1):
        x = px(k / 2, f_lo)[0]
        d.text((x - 8, H - M + 6), f"{k / 2:.1f}", fill=(0, 0, 0))
    d.text((W // 2 - 20, H - 22), "time (s)", fill=(0, 0, 0))
    d.text((8, 18), "height (floor)", fill=(0, 0, 0))
    for t, x, y in seen.values():
        keep = (np.abs(x - xc) < 60) & (t >= t0) & (t <= t1)
        for fl in floor(x[keep], y[keep]):
            a, b = px(t, float(fl))
            if M <= b <= H - M:
                d.ellipse([a - 1.5, b - 1.5, a + 1.5, b + 1.5], fill=(170, 170, 170))
    p = [px(r[1], float(floor(r[2], r[3]))) for r in tr]
    d.line(p, fill=(0, 160, 0), width=2)
    shades = [(40, 90, 220), (0, 170, 200), (120, 60, 200)]
    n_frag = 0
    for trk in tracks.values():
        rows = [r for r in trk.rows if t0 <= r[1] <= t1]
        at = {int(r[0]): r for r in tr}
        on = [r for r in rows if r[0] in at and np.hypot(at[r[0]][2] - r[2], at[r[0]][3] - r[3]) < 6]
        if len(on) >= 2 and len(on) >= 0.8 * len(rows):
            q = [px(r[1], float(floor(r[2], r[3]))) for r in on]
            col = shades[n_frag % 3]
            n_frag += 1
            d.line(q, fill=col, width=2)
            for a, b in q:
                d.ellipse([a - 3, b - 3, a + 3, b + 3], outline=col, width=2)
    for e in events:
        for _, t, x, y in e["trajectory"]:
            a, b = px(t, float(floor(x, y)))
            d.ellipse([a - 5, b - 5, a + 5, b + 5], outline=(220, 30, 30), width=2)
    d.text((M + 10, M + 8), "grey: blobs near the bag   blue/cyan/violet: tracker tracks on it   "
           "red: the sweep's event   green: true path", fill=(0, 0, 0))
    img.save(OUT, optimize=True)
    print(OUT, len(events), "event(s),", det.stats["swept"], "from the sweep,", n_frag,
          "tracker tracks on the bag")


if __name__ == "__main__":
    main()
