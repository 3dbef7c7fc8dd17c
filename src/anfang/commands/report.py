"""``anfang report --db F -o report.html``: one self-contained HTML page of an event store."""

from __future__ import annotations

from typing import Any


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "report", help="write a self-contained HTML report of an event store",
        description="Write one HTML file (inline CSS, images and SVG charts; nothing fetched from "
                    "the web) with the event table, snapshots, fall trajectories and the helmet "
                    "wearing rate with Wilson intervals.")
    p.add_argument("--db", metavar="F", required=True, help="SQLite event store")
    p.add_argument("-o", "--output", metavar="OUT", default="report.html", help="HTML file (report.html)")
    p.add_argument("--title", default="anfang events", help="page title")
    p.add_argument("--kind", help="only this kind")
    p.add_argument("--camera", metavar="C", help="only this camera id")
    p.add_argument("--rate-window", type=float, default=60.0, metavar="SECONDS",
                   help="window of the helmet-rate chart (60)")
    p.add_argument("--max-images", type=int, default=200, metavar="N",
                   help="embed at most N snapshots (200); later rows name the file")
    p.set_defaults(func=_run)


def _run(args) -> int:
    import sys

    from anfang.cli import UsageError
    from anfang.io.report import write_report

    if args.max_images < 0:
        raise UsageError(f"--max-images: expected >= 0, got {args.max_images}")
    if not args.rate_window > 0:
        raise UsageError(f"--rate-window: expected seconds > 0, got {args.rate_window}")
    path = write_report(args.db, args.output, title=args.title, kind=args.kind,
                        camera_id=args.camera, rate_window=args.rate_window,
                        max_images=args.max_images)
    print(f"anfang report: wrote {path}", file=sys.stderr)
    return 0
