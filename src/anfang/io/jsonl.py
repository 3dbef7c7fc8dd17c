"""JSON Lines for events: one :meth:`Event.to_json` object per line.

:class:`JsonlWriter` flushes and ``fsync``s after every event, so a crash loses nothing that
was written.

>>> import io
>>> from anfang.events import Event
>>> buf = io.StringIO()
>>> w = JsonlWriter(buf)
>>> w.write(Event("rider", 0.0, 1.0, 0, 25, details={"helmet": True}))
>>> [e["helmet"] for e in read_jsonl(io.StringIO(buf.getvalue()))]
[True]
"""

from __future__ import annotations

import json
import os
from typing import IO, Iterable

from anfang.events import Event

__all__ = ["JsonlWriter", "read_jsonl"]


class JsonlWriter:
    """Append events to a path (opened for append) or to an open text stream."""

    def __init__(self, out: str | os.PathLike | IO[str], *, fsync: bool = True) -> None:
        if isinstance(out, (str, os.PathLike)):
            parent = os.path.dirname(os.path.abspath(os.fspath(out)))
            os.makedirs(parent, exist_ok=True)
            self._fh: IO[str] = open(out, "a", encoding="utf-8")
            self._owns = True
        elif hasattr(out, "write"):
            self._fh = out
            self._owns = False
        else:
            raise TypeError(f"out: expected a path or a text stream, got {type(out).__name__}")
        self.fsync = fsync
        self.count = 0

    def write(self, event: Event) -> None:
        if not isinstance(event, Event):
            raise TypeError(f"event: expected anfang.events.Event, got {type(event).__name__}")
        self._fh.write(event.to_json() + "\n")
        self._fh.flush()
        if self.fsync:
            try:
                os.fsync(self._fh.fileno())
            except (AttributeError, OSError, ValueError):
                pass  # not a real file (StringIO, a pipe to a terminal)
        self.count += 1

    def __call__(self, event: Event) -> None:
        """Same as :meth:`write`: a writer can be a detector's ``on_alarm`` sink."""
        self.write(event)

    def write_all(self, events: Iterable[Event]) -> None:
        for e in events:
            self.write(e)

    def close(self) -> None:
        if self._owns:
            self._fh.close()

    def __enter__(self) -> "JsonlWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_jsonl(src: str | os.PathLike | IO[str]) -> list[Event]:
    """Read events written by :class:`JsonlWriter` (blank lines are skipped)."""
    if isinstance(src, (str, os.PathLike)):
        with open(src, encoding="utf-8") as fh:
            return read_jsonl(fh)
    out = []
    for n, line in enumerate(src, 1):
        line = line.strip()
        if not line:
            continue
        try:
            out.append(Event.from_dict(json.loads(line)))
        except (json.JSONDecodeError, TypeError, ValueError) as exc:
            raise ValueError(f"src: line {n} is not an event ({exc})") from exc
    return out
