"""Draw docs/img/helmet_video.png: HelmetDetector on a synthetic street clip.

Top: one frame with the head boxes the detector classified in that frame and each
reported rider's centre (green: voted helmet, red: voted no helmet) and the true head boxes
(thin white).
Bottom: the best head crop of each reported rider (what ``detector.head_crops`` keeps),
labelled with the voted P(helmet) and the truth.

    python docs/helmet_video_figure.py
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from anfang.eval import match  # noqa: E402
from anfang.helmet.detector import HelmetDetector  # noqa: E402
from anfang.synth._suite import render, suite_spec  # noqa: E402

OUT = Path(__file__).parent / "img" / "helmet_video.png"


def main() -> None:
    entry = next(e for e in suite_spec() if e["name"] == "street_riders_05")
    clip = render(entry)
    det = HelmetDetector(camera_id=entry["name"])
    events = det.run(zip(clip.frames, clip.t))
    riders = [e for e in events if e.kind in ("rider", "helmet_violation")]
    truth = [e for e in clip.truth["events"] if e["kind"] == "rider"]
    pairs = {j: i for i, j, _ in match(truth, [e.to_dict() for e in riders], 0.5, 40.0)}
    # the frame with the most riders' best heads nearby in time
    fi = int(np.median([e["head_frame"] for e in riders if e["head_frame"] is not None]))
    img = Image.fromarray(clip.frames[fi]).convert("RGB")
    d = ImageDraw.Draw(img)
    for o in clip.truth["objects"]:
        if o["kind"] == "rider":
            for r in o["head_frames"]:
                if r[0] == fi:
                    d.rectangle(r[1:], outline=(255, 255, 255))
    for e in riders:
        traj = {int(r[0]): r for r in e["trajectory"]}
        if fi in traj:
            x, y = traj[fi][2], traj[fi][3]
            col = (40, 220, 60) if e["helmet"] else (230, 40, 40)
            d.ellipse([x - 3, y - 3, x + 3, y + 3], outline=col, width=2)
    for e in riders:
        if e["head_frame"] is not None and abs(e["head_frame"] - fi) <= 0:
            col = (40, 220, 60) if e["helmet"] else (230, 40, 40)
            d.rectangle(e["head_box"], outline=col, width=2)
    # crop strip
    tile = 64
    strip = Image.new("RGB", (img.width, tile + 28), (255, 255, 255))
    sd = ImageDraw.Draw(strip)
    x = 4
    for j, e in enumerate(riders):
        crop = det.head_crops.get(e.track_id)
        if crop is None or x + tile > img.width:
            continue
        strip.paste(Image.fromarray(crop).resize((tile, tile), Image.NEAREST), (x, 0))
        truth_h = truth[pairs[j]]["helmet"] if j in pairs else None
        col = (0, 140, 0) if e["helmet"] else (200, 0, 0)
        sd.text((x, tile + 2), f"p={e['p_helmet']:.2f}", fill=col)
        sd.text((x, tile + 14), {True: "T:helmet", False: "T:none", None: "T:-"}[truth_h], fill=(0, 0, 0))
        x += tile + 6
    out = Image.new("RGB", (img.width, img.height + strip.height), (255, 255, 255))
    out.paste(img, (0, 0))
    out.paste(strip, (0, img.height))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    out.quantize(128).save(OUT, optimize=True)
    print(OUT, OUT.stat().st_size, "bytes; frame", fi)


if __name__ == "__main__":
    main()
