"""Write docs/img/falling_terminal.png: the terminal-speed rule's sideways bound and its
steadiness test.

Run from the repository root (needs Pillow, a dev-only dependency):

    python docs/img/falling_terminal_figure.py

Left: the image path of the held-out clip ``facade_fall_02`` (seed + 70000), a light object
of 139 px at its terminal speed in a 5 px shake, drifting 0.49 px sideways per px of descent;
the detector's event (blue dots) and the true path (green), with the old sideways bound of
0.25 per unit of descent (grey) and the new one of 0.5 (black) from its first sample.
Right: image height against time of a false alarm that the wider bound let through on
+ 50000 ``facade_fall_05`` (the track the tests keep as a fixture): it rests 0.64 s on a lit
window and moves on; its mean speed (grey line) looks like a bag's, but over its slowest
0.4 s (red) it descends 1 % of what that speed gives. The steadiness test needs 10 %.
"""

from __future__ import annotations

import os

import numpy as np
from PIL import Image, ImageDraw

from anfang.falling import Facade, FallingObjectDetector
from anfang.synth._suite import render, suite_spec

OUT = os.path.join(os.path.dirname(__file__), "falling_terminal.png")
NAME, OFFSET = "facade_fall_02", 70000
W, H, M = 420, 420, 50

# the fixture of tests/test_falling_physics.py (frames, image y)
STALL_F = np.r_[np.arange(81, 109), np.arange(111, 115)]
STALL_Y = np.array([157.58, 160.14, 161.37, 162.56, 163.98, 165.32, 166.43, 167.81, 169.08,
                    170.38, 171.72, 172.77, 183.56, 183.7, 183.93, 184.27, 184.26, 184.29,
                    183.54, 184.05, 184.04, 184.05, 183.98, 183.96, 184.33, 184.46, 184.65,
                    184.72, 197.63, 199.09, 200.31, 202.82])


def _frame(d: ImageDraw.ImageDraw, x0: int, title: str) -> None:
    d.rectangle([x0 + M, M, x0 + W - M // 2, H - M], outline="black")
    d.text((x0 + M, 15), title, fill="black")


def left(d: ImageDraw.ImageDraw) -> None:
    spec = next(c for c in suite_spec() if c["name"] == NAME)
    clip = render({**spec, "seed": spec["seed"] + OFFSET})
    fac = Facade.from_calibration(clip.truth["calibration"])
    tr = np.asarray(clip.truth["events"][0]["trajectory"], dtype=np.float64)
    events = FallingObjectDetector(fac).run(zip(clip.frames, clip.t))
    ev = np.asarray(events[0].details["trajectory"], dtype=np.float64) if events else tr[:0]
    pts = np.r_[tr[:, 2:4], ev[:, 2:4]] if len(ev) else tr[:, 2:4]
    y_end = float(pts[:, 1].max())
    if len(ev):  # the bounds' ends at the lowest point, inside the picture
        x0, y0 = ev[0, 2], ev[0, 3]
        pts = np.r_[pts, [[x0 - 0.5 * (y_end - y0), y_end], [x0 + 0.5 * (y_end - y0), y_end]]]
    lo, hi = pts.min(axis=0) - 10, pts.max(axis=0) + 10
    scale = min(W - 1.5 * M, H - 2 * M) / float(max(hi - lo))  # (one scale: true angles)

    def px(x: float, y: float) -> tuple[float, float]:
        return (M + (x - lo[0]) * scale, M + (y - lo[1]) * scale)

    _frame(d, 0, f"{NAME} + {OFFSET}: image path (y down)")
    if len(ev):
        x0, y0 = ev[0, 2], ev[0, 3]
        for slope, col in ((0.25, (170, 170, 170)), (0.5, "black")):
            for s in (-slope, slope):
                d.line([px(x0, y0), px(x0 + s * (y_end - y0), y_end)], fill=col, width=1)
        d.line([px(x, y) for x, y in ev[:, 2:4]], fill=(60, 90, 220), width=1)
        for x, y in ev[:, 2:4]:
            cx, cy = px(x, y)
            d.ellipse([cx - 2, cy - 2, cx + 2, cy + 2], fill=(60, 90, 220))
    d.line([px(x, y) for x, y in tr[:, 2:4]], fill=(40, 160, 60), width=2)
    d.text((M + 5, H - M + 8), "grey: sideways 0.25 x descent; black: 0.5", fill="black")
    d.text((M + 5, H - M + 22), "blue: the event; green: the truth", fill="black")


def right(d: ImageDraw.ImageDraw, x0: int) -> None:
    t = STALL_F / 25.0
    y = STALL_Y
    t_lo, t_hi = t[0] - 0.05, t[-1] + 0.05
    y_lo, y_hi = y.min() - 5, y.max() + 5

    def px(tt: float, yy: float) -> tuple[float, float]:
        return (x0 + M + (tt - t_lo) / (t_hi - t_lo) * (W - 1.5 * M),
                M + (yy - y_lo) / (y_hi - y_lo) * (H - 2 * M))

    _frame(d, x0, "a false alarm: y (down) against t")
    d.line([px(t[0], y[0]), px(t[-1], y[-1])], fill=(170, 170, 170), width=1)
    win = 0.4
    s = t[t <= t[-1] - win]
    drop = np.interp(s + win, t, y) - np.interp(s, t, y)
    k = int(np.argmin(drop))
    a, b = s[k], s[k] + win
    d.rectangle([px(a, y_lo)[0], M + 1, px(b, y_lo)[0], H - M - 1], outline=(220, 60, 60))
    for tt, yy in zip(t, y):
        cx, cy = px(tt, yy)
        d.ellipse([cx - 2, cy - 2, cx + 2, cy + 2], fill=(60, 90, 220))
    rate = (y[-1] - y[0]) / (t[-1] - t[0])
    d.text((x0 + M + 5, H - M + 8), f"mean {rate:.0f} px/s; slowest 0.4 s (red):", fill="black")
    d.text((x0 + M + 5, H - M + 22), f"{drop[k]:.1f} px of {rate * win:.1f} "
           f"({drop[k] / (rate * win):.0%}): not terminal", fill="black")


def main() -> None:
    img = Image.new("RGB", (2 * W, H), "white")
    d = ImageDraw.Draw(img)
    left(d)
    right(d, W)
    img.save(OUT, optimize=True)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
