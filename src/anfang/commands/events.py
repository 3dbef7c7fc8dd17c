"""``anfang events query|export``: read an event store."""

from __future__ import annotations

import argparse
from typing import Any


def _filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="F", required=True, help="SQLite event store")
    p.add_argument("--kind", help="only this kind (falling_object, rider, package_dropped...)")
    p.add_argument("--camera", metavar="C", help="only this camera id")
    p.add_argument("--since", type=float, metavar="T", help="only events with t_start >= T seconds")
    p.add_argument("--until", type=float, metavar="T", help="only events with t_start < T seconds")
    p.add_argument("--limit", type=int, metavar="N", help="at most N events")


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("events", help="query or export an event store",
                                   description="Query or export the events of an anfang SQLite store.")
    sub = parser.add_subparsers(dest="events_cmd", metavar="ACTION", required=True)
    q = sub.add_parser("query", help="print matching events (a table, or JSON Lines with --jsonl)",
                       description="Print the events matching every filter, ordered by time.")
    _filters(q)
    q.add_argument("--jsonl", action="store_true", help="print JSON Lines instead of a table")
    q.set_defaults(func=_query)
    e = sub.add_parser("export", help="write matching events as JSON Lines",
                       description="Write the events matching every filter as JSON Lines.")
    _filters(e)
    e.add_argument("-o", "--output", metavar="OUT", required=True, help="JSON Lines file ('-' = stdout)")
    e.set_defaults(func=_export)


def _open(args):
    import os

    from anfang.store import EventStore

    if not os.path.exists(args.db):
        raise ValueError(f"--db: no such event store: {args.db!r}")
    return EventStore(args.db)


def _kw(args) -> dict:
    if args.limit is not None and args.limit < 0:
        from anfang.cli import UsageError

        raise UsageError(f"--limit: expected >= 0, got {args.limit}")
    return dict(kind=args.kind, camera_id=args.camera, since=args.since, until=args.until, limit=args.limit)


def _query(args) -> int:
    import sys

    with _open(args) as st:
        rows = st.rows(**_kw(args))
    if args.jsonl:
        for r in rows:
            sys.stdout.write(r.event.to_json() + "\n")
        return 0
    print(f"{'id':>6}  {'kind':<18} {'camera':<14} {'t_start':>10} {'t_end':>10} {'conf':>5}  evidence")
    for r in rows:
        e = r.event
        ev = ", ".join(p for p in (r.snapshot_path, r.clip_path) if p)
        print(f"{r.id:>6}  {e.kind:<18} {e.camera_id:<14} {e.t_start:>10.3f} {e.t_end:>10.3f} "
              f"{e.confidence:>5.2f}  {ev}")
    print(f"{len(rows)} events", file=sys.stderr)
    return 0


def _export(args) -> int:
    import sys

    with _open(args) as st:
        out = sys.stdout if args.output == "-" else args.output
        n = st.export_jsonl(out, **_kw(args))
    print(f"anfang events export: {n} events", file=sys.stderr)
    return 0
