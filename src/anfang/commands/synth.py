"""``anfang synth {facade,street}``: render one clip with exact ground truth."""

from __future__ import annotations

import argparse


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = text.lower().split("x")
        return int(w), int(h)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--size: expected WxH like 640x360, got {text!r}") from None


def add_parser(sub) -> None:
    p = sub.add_parser("synth", help="render a synthetic clip with exact ground truth",
                       description="Render a seeded synthetic clip: frames.npz (frames, t), "
                                   "truth.json and, with --mp4 and PyAV, clip.mp4.")
    p.add_argument("scene", choices=["facade", "street"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--size", type=_size, default=(640, 360), help="WxH (default 640x360)")
    p.add_argument("--fps", type=float, default=25.0)
    p.add_argument("--seconds", type=float, default=None, help="default 10 (facade), 12 (street)")
    p.add_argument("--mp4", action="store_true", help="also write clip.mp4 (needs PyAV)")
    g = p.add_argument_group("facade options")
    g.add_argument("--falls", type=int, default=1, help="number of falling objects")
    g.add_argument("--distractors-only", action="store_true", help="no falls, every distractor on")
    g.add_argument("--distractors", default="default",
                   help="'default', 'all', 'none' or a comma list of "
                        "birds,leaves,rain,insects,clouds,branches,light,shake,glare")
    g.add_argument("--glare", action="store_true",
                   help="add glare (window glints, swept sun reflections; headlights at night)")
    g.add_argument("--night", action="store_true")
    g.add_argument("--tilt", type=float, default=None, help="camera tilt in degrees (30-60)")
    g.add_argument("--shake", type=float, default=None, help="shake amplitude in px")
    g.add_argument("--content-fps", type=float, default=None, help="repeat frames: scene rate")
    g.add_argument("--drop-prob", type=float, default=0.0, help="probability of a dropped frame")
    g.add_argument("--block-q", type=float, default=0.0, help="8x8 block quantisation step")
    g.add_argument("--color", action="store_true", help="RGB facade frames (default grey)")
    g.add_argument("--shutter", type=float, default=0.5,
                   help="exposure as a fraction of the frame interval (motion blur; 0 = off)")
    s = p.add_argument_group("street options")
    s.add_argument("--kind", choices=["riders", "package", "mixed"], default="mixed")
    s.add_argument("--riders", type=int, default=None, help="number of two-wheelers")
    s.add_argument("--helmet-rate", type=float, default=None)
    p.set_defaults(func=run)


def run(args) -> int:
    from anfang.cli import UsageError

    try:
        clip = _render(args)
    except (TypeError, ValueError) as exc:  # the generators only raise these for bad arguments
        raise UsageError(str(exc)) from exc
    out = clip.save(args.out, mp4=args.mp4)
    kinds: dict[str, int] = {}
    for e in clip.truth["events"]:
        kinds[e["kind"]] = kinds.get(e["kind"], 0) + 1
    print(f"{out}: {len(clip)} frames {args.size[0]}x{args.size[1]}, events {kinds or '{}'}, "
          f"objects {len(clip.truth['objects'])}")
    return 0


def _render(args):
    from anfang.synth import facade, street

    if args.scene == "facade":
        d = args.distractors
        if args.distractors_only:
            falls, d = 0, "all"
        else:
            falls = args.falls
            if d not in ("default", "all", "none"):
                d = [x.strip() for x in d.split(",") if x.strip()]
        clip = facade(seed=args.seed, size=args.size, fps=args.fps,
                      seconds=10.0 if args.seconds is None else args.seconds, falls=falls, distractors=d,
                      night=True if args.night else None, tilt=args.tilt, shake=args.shake,
                      content_fps=args.content_fps, drop_prob=args.drop_prob,
                      block_q=args.block_q, color=args.color, shutter=args.shutter,
                      glare=args.glare)
    else:
        clip = street(seed=args.seed, size=args.size, fps=args.fps, seconds=12.0 if args.seconds is None else args.seconds,
                      kind=args.kind, n_riders=args.riders, helmet_rate=args.helmet_rate,
                      content_fps=args.content_fps, drop_prob=args.drop_prob)
    return clip
