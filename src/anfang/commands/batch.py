"""``anfang batch DIR --detector NAME``: one detector over every video of a folder, in parallel
(process pool or Dask), merged into one event store in a deterministic order."""

from __future__ import annotations

from typing import Any

_EXTS = (".mp4", ".mkv", ".avi", ".mov", ".m4v", ".ts", ".webm", ".mpg", ".mpeg", ".npz")


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("batch", help="run a detector over every video in a folder (process pool or Dask)",
                              description=__doc__.split("\n\n")[0].replace("``", ""))
    p.add_argument("dir", metavar="DIR", help="folder of videos / .npz clips (one camera per file)")
    p.add_argument("--detector", required=True, metavar="NAME",
                   help="falling, lost, helmet, or module:Class")
    p.add_argument("--kwargs", metavar="JSON", default="{}",
                   help='detector keyword arguments as a JSON object, e.g. \'{"dwell_s": 5}\'')
    p.add_argument("--db", metavar="F", default="events.sqlite", help="event store to append to (events.sqlite)")
    p.add_argument("--jsonl", metavar="OUT", help="also write the merged events as JSON Lines")
    p.add_argument("--evidence", metavar="DIR", help="evidence root (shared storage for a remote cluster)")
    p.add_argument("--engine", choices=("process", "dask", "serial"), default="process",
                   help="process pool (default), Dask distributed, or serial")
    p.add_argument("--workers", type=int, default=2, help="worker processes (2)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler address (tcp://host:8786); default: a local cluster")
    p.add_argument("--glob", default=None, metavar="PATTERN",
                   help="only files matching this pattern (default: every video / .npz)")
    p.add_argument("--fps", type=float, help="frame rate for sources without timestamps")
    p.set_defaults(func=_run)


def _run(args) -> int:
    import fnmatch
    import json
    import os
    import sys

    from anfang.cli import UsageError
    from anfang.scale import run_batch

    if not os.path.isdir(args.dir):
        raise UsageError(f"DIR: not a folder: {args.dir!r}")
    if args.workers < 1:
        raise UsageError(f"--workers: expected >= 1, got {args.workers}")
    if args.scheduler and args.engine != "dask":
        raise UsageError("--scheduler needs --engine dask")
    try:
        kwargs = json.loads(args.kwargs)
    except json.JSONDecodeError as exc:
        raise UsageError(f"--kwargs: not JSON: {exc}") from None
    if not isinstance(kwargs, dict):
        raise UsageError(f"--kwargs: expected a JSON object, got {args.kwargs!r}")
    names = sorted(os.listdir(args.dir))
    names = [n for n in names if (fnmatch.fnmatch(n, args.glob) if args.glob else n.lower().endswith(_EXTS))]
    if not names:
        raise ValueError(f"DIR: no videos in {args.dir!r}")
    from anfang.commands.detect import DetectorUnavailable, load_class

    try:
        load_class(args.detector)
    except DetectorUnavailable as exc:
        print(f"anfang batch: error: {exc}", file=sys.stderr)
        return 1
    errors: list = []
    events = run_batch([os.path.join(args.dir, n) for n in names], {"name": args.detector, "kwargs": kwargs},
                       engine=args.engine, store=args.db, workers=args.workers, scheduler=args.scheduler,
                       evidence_dir=args.evidence, fps=args.fps, progress=True, errors=errors)
    if args.jsonl:
        from anfang.io.jsonl import JsonlWriter

        with JsonlWriter(args.jsonl) as w:
            w.write_all(events)
    print(f"anfang batch: {len(names)} sources, {len(events)} events -> {args.db}", file=sys.stderr)
    for src, msg in errors:
        print(f"anfang batch: error in {src}: {msg}", file=sys.stderr)
    return 1 if errors else 0
