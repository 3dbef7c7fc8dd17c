"""Write docs/img/falling_trajectory.png: a detected fall on a synthetic facade.

Run from the repository root (needs Pillow, a dev-only dependency):

    python docs/img/falling_figure.py

It renders ``anfang.synth.facade(seed=4)``, runs :class:`FallingObjectDetector` with the
clip's calibration and draws, on the frame at the alarm: the floor boundaries, the observed
track (dots), the parabola fitted to the track's first 0.6 s and traced back to the release
point (line), the release
point with its floor, and the true release point (cross).
"""

from __future__ import annotations

import os

import numpy as np
from PIL import Image, ImageDraw

from anfang.falling import Facade, FallingObjectDetector
from anfang.falling.physics import fit_track
from anfang.synth import facade

SEED = 4
OUT = os.path.join(os.path.dirname(__file__), "falling_trajectory.png")


def main() -> None:
    clip = facade(seed=SEED, size=(640, 360), fps=25, seconds=6, distractors="none")
    fac = Facade.from_calibration(clip.truth["calibration"])
    det = FallingObjectDetector(fac, camera_id="synth")
    evs = det.run(zip(clip.frames, clip.t))
    if len(evs) != 1:
        raise SystemExit(f"expected one event, got {len(evs)}")
    ev = evs[0]
    traj = np.asarray(ev["trajectory"], dtype=np.float64)
    o = ev["origin"]
    fa = int(ev["frame_alarm"])
    img = Image.fromarray(clip.frames[fa]).convert("RGB")
    d = ImageDraw.Draw(img)
    # floor boundaries across the facade
    cal = clip.truth["calibration"]
    for fl in range(cal["floors"] + 1):
        p = fac.to_image([[0.0, fl], [float(cal["columns"]), fl]])
        d.line([tuple(p[0]), tuple(p[1])], fill=(90, 160, 255), width=1)
        lab = fac.to_image([[0.0, fl + 0.35]])[0]
        if 0 <= lab[1] < img.height:
            d.text((max(lab[0] - 22, 2), lab[1] - 5), f"{fl}", fill=(90, 160, 255))
    # fitted early parabola, traced back to the release time
    early = traj[:, 1] <= traj[0, 1] + 0.6
    fit = fit_track(traj[early, 1], traj[early, 2], traj[early, 3])
    ts = np.linspace(o["t"], traj[early, 1][-1], 80)  # over its window, back to the release
    curve = fit.position(ts)
    d.line([tuple(p) for p in curve], fill=(255, 200, 0), width=2)
    for _, _, x, y in traj:
        d.ellipse([x - 2, y - 2, x + 2, y + 2], fill=(255, 60, 60))
    # release point estimated / true
    d.ellipse([o["x"] - 6, o["y"] - 6, o["x"] + 6, o["y"] + 6], outline=(0, 255, 0), width=2)
    d.text((o["x"] + 9, o["y"] - 14), f"release: floor {o['floor']} (range {o['floor_range']})",
           fill=(0, 255, 0))
    tx, ty = clip.truth["events"][0]["origin"]["x"], clip.truth["events"][0]["origin"]["y"]
    d.line([(tx - 5, ty - 5), (tx + 5, ty + 5)], fill=(255, 255, 255), width=1)
    d.line([(tx - 5, ty + 5), (tx + 5, ty - 5)], fill=(255, 255, 255), width=1)
    d.text((6, 6), f"a = {ev['acceleration']:.0f} px/s^2 ({ev['g_ratio']:.2f} g), "
                   f"alarm at t = {ev['t_alarm']:.2f} s", fill=(255, 255, 255))
    img.convert("P", palette=Image.Palette.ADAPTIVE, colors=256).save(OUT, optimize=True)
    print(OUT, os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()
