"""``anfang eval``: score detector events (JSON Lines) against ground truth."""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser("eval", help="score detector events against ground truth",
                       description="Match detected events to truth events and print precision, "
                                   "recall, F1, floor accuracy, origin error, time to alarm, "
                                   "false alarms per hour and helmet accuracy per kind.")
    p.add_argument("--truth", required=True,
                   help="truth.json of one clip, or a suite directory holding suite.json")
    p.add_argument("--tracks", default=None,
                   help="MOTChallenge file of tracks to score against the truth objects "
                        "(HOTA, MOTA, IDF1; needs the 'eval' extra)")
    p.add_argument("--track-kinds", default=None,
                   help="comma list of truth object kinds scored with --tracks (default all)")
    p.add_argument("--events", default=None,
                   help="events JSON Lines file, or (suite) a directory of <clip>.jsonl files")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    p.add_argument("--time-tol", type=float, default=0.5, help="seconds (default 0.5)")
    p.add_argument("--dist-tol", type=float, default=None,
                   help="spatial tolerance in px for every kind (default per kind)")
    p.add_argument("--per-clip", action="store_true", help="suite: also print one table per clip")
    p.set_defaults(func=run)


def run(args) -> int:
    import json
    from pathlib import Path

    from anfang.eval import DIST_TOL, evaluate, evaluate_suite, format_table, load_events

    from anfang.cli import UsageError

    if not args.events and not args.tracks:
        raise UsageError("--events: required (unless --tracks is given)")
    tol = {k: args.dist_tol for k in DIST_TOL} if args.dist_tol else None
    tp = Path(args.truth)
    if not tp.exists():
        raise ValueError(f"--truth: {tp} does not exist")
    if args.tracks:
        from anfang.eval import mot_metrics, read_mot, truth_mot_rows

        if tp.is_dir():
            raise UsageError("--tracks: expected --truth to be one clip's truth.json")
        kinds = args.track_kinds.split(",") if args.track_kinds else None
        gt = truth_mot_rows(json.loads(tp.read_text()), kinds)
        s = mot_metrics(gt, read_mot(args.tracks))
        print(json.dumps(s, indent=1) if args.json else
              "  ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in s.items()))
        if not args.events:
            return 0
    if tp.is_dir():
        if not (tp / "suite.json").exists():
            raise ValueError(f"--truth: directory {tp} has no suite.json")
        m = evaluate_suite(tp, args.events, time_tol=args.time_tol, dist_tol=tol)
    else:
        truth = json.loads(tp.read_text())
        ev = Path(args.events)
        events = load_events(ev) if ev.is_file() else []
        if not ev.exists():
            raise ValueError(f"--events: {ev} does not exist")
        m = evaluate(truth, events, time_tol=args.time_tol, dist_tol=tol)
    if args.json:
        print(json.dumps(m, indent=1))
    else:
        print(format_table(m))
        if args.per_clip and "clips" in m:
            for name, cm in m["clips"].items():
                print(f"\n[{name}]")
                print(format_table(cm))
    return 0
