"""``anfang helmet``: train, score and inspect the helmet classifier."""

from __future__ import annotations


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("helmet", help="helmet classifier: train, score, info",
                              description="Helmet / no-helmet classifier for rider head crops.")
    sub = p.add_subparsers(dest="helmet_command", metavar="ACTION")

    t = sub.add_parser("train", help="train the CNN on a YOLO data set (needs the 'train' extra: torch)")
    t.add_argument("--data", required=True, help="folder with train/ and valid/ (YOLO layout)")
    t.add_argument("--out", required=True, help="output model .npz")
    t.add_argument("--epochs", type=int, default=90, help="maximum epochs (default 90)")
    t.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    t.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    t.add_argument("--synthetic-seeds", default=None, metavar="A:B",
                   help="also train on head crops of synthetic street rider clips with seeds A..B-1 "
                        "(must not overlap the standard suite's street seeds 3000-3009, 4000-4009)")
    t.add_argument("--synthetic-per-rider", type=int, default=8, metavar="N",
                   help="head crops per synthetic rider, evenly spaced over its track (default 8)")
    t.add_argument("--quiet", action="store_true", help="no per-epoch lines")
    t.set_defaults(func=_train)

    s = sub.add_parser("score", help="score a model on the labelled heads of a YOLO folder")
    s.add_argument("--yolo", required=True, help="folder with images/ and labels/")
    s.add_argument("--model", default=None, help="model .npz (default: the shipped model)")
    s.add_argument("--margin", type=float, default=None, help="crop margin (default 0.15)")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.set_defaults(func=_score)

    i = sub.add_parser("info", help="print a model's metadata")
    i.add_argument("--model", default=None, help="model .npz (default: the shipped model)")
    i.set_defaults(func=_info)

    sp = sub.add_parser("speed", help="time numpy inference on a batch of random crops")
    sp.add_argument("--model", default=None, help="model .npz (default: the shipped model)")
    sp.add_argument("--batch", type=int, default=10, help="crops per call (default 10)")
    sp.add_argument("--size", type=int, default=48, help="crop side in pixels (default 48)")
    sp.add_argument("--repeat", type=int, default=200, help="timed calls (default 200)")
    sp.set_defaults(func=_speed)

    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _train(args) -> int:
    import sys

    from anfang.helmet.train import (DEFAULT_ARCH, check_synthetic_seeds, parse_seed_range, require_torch,
                                     train_from_yolo)

    seeds = None
    if args.synthetic_seeds is not None:
        from anfang.cli import UsageError

        try:
            seeds = check_synthetic_seeds(parse_seed_range(args.synthetic_seeds))
        except ValueError as exc:
            raise UsageError(f"--synthetic-seeds: {exc}") from None
        if args.synthetic_per_rider < 1:
            raise UsageError(f"--synthetic-per-rider: expected >= 1, got {args.synthetic_per_rider}")
    try:
        require_torch()
    except ImportError as exc:
        print(f"anfang helmet train: error: {exc}", file=sys.stderr)
        return 1
    if args.epochs < 1:
        from anfang.cli import UsageError

        raise UsageError(f"--epochs: expected >= 1, got {args.epochs}")
    clf = train_from_yolo(args.data, epochs=args.epochs, seed=args.seed, threads=args.threads,
                          arch=DEFAULT_ARCH, verbose=not args.quiet, synthetic_seeds=seeds,
                          synthetic_per_rider=args.synthetic_per_rider)
    clf.save(args.out)
    tr = clf.metadata["training"]
    print(f"wrote {args.out}: {clf!r}, best epoch {tr['best_epoch']} of {tr['epochs_run']}, "
          f"valid accuracy {tr['valid_accuracy_best']}, {tr['seconds']} s")
    return 0


def _score(args) -> int:
    from anfang.helmet.bench import main

    return main(args)


def _info(args) -> int:
    import json

    from anfang.helmet.classifier import HelmetClassifier

    clf = HelmetClassifier.load(args.model) if args.model else HelmetClassifier.default()
    print(repr(clf))
    print(json.dumps(clf.metadata, indent=2, sort_keys=True))
    return 0


def _speed(args) -> int:
    import time

    import numpy as np

    from anfang.helmet.classifier import HelmetClassifier

    clf = HelmetClassifier.load(args.model) if args.model else HelmetClassifier.default()
    rng = np.random.default_rng(0)
    crops = [rng.integers(0, 256, (args.size, args.size, 3), dtype=np.uint8) for _ in range(args.batch)]
    clf.predict_proba(crops)  # warm-up (resize matrices are cached)
    x = clf.preprocess(crops)
    rows = []
    for name, fn in (("predict_proba", lambda: clf.predict_proba(crops)),
                     ("resize+normalise", lambda: clf.preprocess(crops)),
                     ("network", lambda: clf.forward_normalised(x))):
        c0, w0 = time.process_time(), time.perf_counter()
        for _ in range(args.repeat):
            fn()
        c1, w1 = time.process_time(), time.perf_counter()
        rows.append((name, 1e3 * (c1 - c0) / args.repeat, 1e3 * (w1 - w0) / args.repeat))
    print(f"{clf!r}: batch of {args.batch} crops {args.size}x{args.size}, {args.repeat} calls")
    for name, cpu, wall in rows:
        print(f"  {name:<17} {cpu:7.2f} ms CPU  {wall:7.2f} ms wall per batch")
    return 0
