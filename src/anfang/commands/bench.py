"""``anfang bench``: the standard benchmark suite and the helmet benchmark."""

from __future__ import annotations

from .synth import _size


def add_parser(sub) -> None:
    p = sub.add_parser("bench", help="benchmark suite generation and scoring helpers")
    bs = p.add_subparsers(dest="bench_command", metavar="BENCH")
    s = bs.add_parser("suite", help="generate the fixed standard suite with a manifest",
                      description="Generate the standard suite (30 facade clips, 10 of them "
                                  "distractors only; 20 street clips: 10 package, 10 riders) "
                                  "into DIR/<clip>/ with DIR/suite.json.")
    s.add_argument("--out", required=True)
    s.add_argument("--size", type=_size, default=(640, 360))
    s.add_argument("--fps", type=float, default=25.0)
    s.add_argument("--only", default=None, help="only clips whose name contains this text")
    s.add_argument("--mp4", action="store_true", help="also write clip.mp4 files (needs PyAV)")
    s.add_argument("--glare", action="store_true",
                   help="the glare stress variant: every facade clip also gets the glare "
                        "distractor (the rest of each clip is unchanged)")
    s.add_argument("--crf", type=int, default=None, metavar="N",
                   help="the codec variant: every facade clip passed through H.264 at this "
                        "constant rate factor (0-51; 23 is x264's default; needs PyAV)")
    s.set_defaults(func=run_suite)
    h = bs.add_parser("helmet", help="helmet classifier benchmark on a YOLO-format data set")
    h.add_argument("--yolo", required=True, help="YOLO data set directory")
    h.add_argument("--model", default=None, help="model file")
    h.add_argument("--json", action="store_true")
    h.set_defaults(func=run_helmet)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def run_suite(args) -> int:
    import json
    import time

    from anfang.synth import suite

    t0 = time.monotonic()
    path = suite(args.out, size=args.size, fps=args.fps, only=args.only, mp4=args.mp4,
                 progress=True, glare=args.glare, crf=args.crf)
    m = json.loads(path.read_text())
    print(f"{path}: {len(m['clips'])} clips in {time.monotonic() - t0:.1f} s")
    return 0


def run_helmet(args) -> int:
    from anfang.helmet.bench import main as run

    return run(args)
