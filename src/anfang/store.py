"""SQLite event store: the embedded default sink for :class:`~anfang.events.Event`.

One file, WAL journal, ``synchronous=FULL`` and one transaction per event, so a process that
is killed (even with ``SIGKILL``) loses no event whose :meth:`EventStore.append` returned,
and leaves a database that opens and passes ``PRAGMA integrity_check``.

The schema is versioned twice: ``PRAGMA user_version`` holds the schema number and the
``meta`` table records it with the writing library version. Opening an older file runs the
migrations in :data:`MIGRATIONS`; a file from a newer anfang is refused with a clear error.

Thread safety: one :class:`EventStore` may be shared by threads; every call takes an
internal lock (the connection is opened with ``check_same_thread=False``). Several
*processes* may open the same file: SQLite's WAL serialises their writers. Do not share one
object across ``fork``; open a store per process.

Example
-------
>>> import tempfile, os
>>> from anfang.events import Event
>>> path = os.path.join(tempfile.mkdtemp(), "events.sqlite")
>>> with EventStore(path) as store:
...     rid = store.append(Event("falling_object", 1.0, 2.0, 25, 50, camera_id="cam-1",
...                              details={"origin": {"floor": 7}}))
...     [e["origin"]["floor"] for e in store.query(kind="falling_object")]
[7]
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import numbers
import os
import sqlite3
import threading
from dataclasses import dataclass
from typing import IO, Any, Callable, Iterator

from anfang.events import Event

__all__ = ["EventStore", "StoredEvent", "SCHEMA_VERSION", "MIGRATIONS"]

#: Current schema number (``PRAGMA user_version``).
SCHEMA_VERSION = 1


def _migrate_0_to_1(conn: sqlite3.Connection) -> None:
    conn.execute(
        """
        CREATE TABLE IF NOT EXISTS events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            camera_id TEXT NOT NULL DEFAULT '',
            t_start REAL NOT NULL,
            t_end REAL NOT NULL,
            frame_start INTEGER NOT NULL,
            frame_end INTEGER NOT NULL,
            track_id INTEGER,
            confidence REAL NOT NULL,
            bbox TEXT,
            details TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL,
            snapshot_path TEXT,
            snapshot_sha256 TEXT,
            clip_path TEXT,
            clip_sha256 TEXT
        )
        """
    )
    conn.execute("CREATE INDEX IF NOT EXISTS events_camera ON events(camera_id, t_start)")
    conn.execute("CREATE INDEX IF NOT EXISTS events_time ON events(t_start)")
    conn.execute("CREATE INDEX IF NOT EXISTS events_kind ON events(kind, t_start)")
    conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


#: ``MIGRATIONS[i]`` takes a schema-``i`` database to schema ``i + 1``.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_migrate_0_to_1]

_EVIDENCE_COLS = ("snapshot_path", "snapshot_sha256", "clip_path", "clip_sha256")
_SELECT = (
    "SELECT id, kind, camera_id, t_start, t_end, frame_start, frame_end, track_id, confidence,"
    " bbox, details, created_at, snapshot_path, snapshot_sha256, clip_path, clip_sha256"
    " FROM events"
)


@dataclass(frozen=True)
class StoredEvent:
    """A row of the store: the event plus its row id, insertion time and evidence."""

    id: int
    event: Event
    created_at: str
    snapshot_path: str | None = None
    snapshot_sha256: str | None = None
    clip_path: str | None = None
    clip_sha256: str | None = None


def _row_to_stored(row: tuple) -> StoredEvent:
    (rid, kind, cam, t0, t1, f0, f1, track, conf, bbox, details, created, sp, ss, cp, cs) = row
    ev = Event(
        kind=kind,
        t_start=t0,
        t_end=t1,
        frame_start=f0,
        frame_end=f1,
        camera_id=cam,
        bbox=tuple(json.loads(bbox)) if bbox else None,
        track_id=track,
        confidence=conf,
        details=json.loads(details) if details else {},
    )
    return StoredEvent(rid, ev, created, sp, ss, cp, cs)


class EventStore:
    """Append-only SQLite store of events and their evidence.

    Parameters
    ----------
    path : str or os.PathLike
        Database file; created (with parent directories) if missing. ``":memory:"`` works
        for tests.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path: expected a file path, got {type(path).__name__}")
        self.path = os.fspath(path)
        if self.path != ":memory:":
            parent = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(parent, exist_ok=True)
        self._lock = threading.RLock()
        try:
            self._conn = sqlite3.connect(
                self.path, timeout=30.0, check_same_thread=False, isolation_level=None
            )
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise ValueError(f"path: {self.path!r} is not a readable anfang event store ({exc})") from exc

    # -- schema ------------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        with self._lock:
            return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        from anfang import __version__

        with self._lock:
            version = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise ValueError(
                    f"path: {self.path!r} has schema {version}, newer than this anfang "
                    f"({__version__}) understands ({SCHEMA_VERSION}); upgrade anfang"
                )
            while version < SCHEMA_VERSION:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    MIGRATIONS[version](self._conn)
                    version += 1
                    self._conn.execute(f"PRAGMA user_version = {version}")
                    self._conn.executemany(
                        "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                        [("schema_version", str(version)), ("anfang_version", __version__)],
                    )
                    self._conn.execute("COMMIT")
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise

    def meta(self) -> dict[str, str]:
        """The ``meta`` table as a dict (``schema_version``, ``anfang_version``...)."""
        with self._lock:
            return dict(self._conn.execute("SELECT key, value FROM meta").fetchall())

    # -- writing -----------------------------------------------------------------------
    def append(self, event: Event) -> int:
        """Insert one event in its own committed transaction and return its row id."""
        if not isinstance(event, Event):
            raise TypeError(f"event: expected anfang.events.Event, got {type(event).__name__}")
        created = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds")
        bbox = json.dumps(list(event.bbox)) if event.bbox is not None else None
        # keep only the kind-specific keys in `details`
        d = event.to_dict()
        for k in ("kind", "t_start", "t_end", "frame_start", "frame_end", "camera_id", "bbox",
                  "track_id", "confidence"):
            d.pop(k)
        details = json.dumps(d, sort_keys=True, separators=(",", ":"))
        with self._lock:
            cur = self._conn.execute(
                "INSERT INTO events(kind, camera_id, t_start, t_end, frame_start, frame_end,"
                " track_id, confidence, bbox, details, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (event.kind, event.camera_id, event.t_start, event.t_end, event.frame_start,
                 event.frame_end, event.track_id, event.confidence, bbox, details, created),
            )
            return int(cur.lastrowid)

    def attach_evidence(
        self,
        row_id: int,
        *,
        snapshot_path: str | None = None,
        snapshot_sha256: str | None = None,
        clip_path: str | None = None,
        clip_sha256: str | None = None,
    ) -> None:
        """Record evidence files (and their SHA-256) on an existing row."""
        values = {
            "snapshot_path": snapshot_path,
            "snapshot_sha256": snapshot_sha256,
            "clip_path": clip_path,
            "clip_sha256": clip_sha256,
        }
        values = {k: (os.fspath(v) if v is not None else None) for k, v in values.items()}
        sets = [k for k in _EVIDENCE_COLS if values[k] is not None]
        if not sets:
            return
        with self._lock:
            cur = self._conn.execute(
                f"UPDATE events SET {', '.join(f'{k} = ?' for k in sets)} WHERE id = ?",
                [values[k] for k in sets] + [int(row_id)],
            )
            if cur.rowcount != 1:
                raise ValueError(f"row_id: no event with id {row_id} in {self.path!r}")

    # -- reading -----------------------------------------------------------------------
    def rows(
        self,
        kind: str | None = None,
        camera_id: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int | None = None,
    ) -> list[StoredEvent]:
        """Rows matching every given filter, ordered by ``t_start`` then id.

        ``since``/``until`` compare with ``t_start``: ``since <= t_start < until``.
        """
        where, params = [], []
        if kind is not None:
            where.append("kind = ?")
            params.append(str(kind))
        if camera_id is not None:
            where.append("camera_id = ?")
            params.append(str(camera_id))
        for name, v, op in (("since", since, ">="), ("until", until, "<")):
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or v != v:
                raise TypeError(f"{name}: expected seconds as a number or None, got {type(v).__name__} {v!r}")
            where.append(f"t_start {op} ?")
            params.append(float(v))
        sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY t_start, id"
        if limit is not None:
            if isinstance(limit, bool) or not isinstance(limit, numbers.Integral):
                raise TypeError(f"limit: expected an int or None, got {type(limit).__name__} {limit!r}")
            if limit < 0:
                raise ValueError(f"limit: expected >= 0, got {limit}")
            sql += " LIMIT ?"
            params.append(int(limit))
        with self._lock:
            return [_row_to_stored(r) for r in self._conn.execute(sql, params).fetchall()]

    def query(self, kind=None, camera_id=None, since=None, until=None, limit=None) -> list[Event]:
        """Events matching the filters (see :meth:`rows`, which also gives row ids)."""
        return [r.event for r in self.rows(kind, camera_id, since, until, limit)]

    def get(self, row_id: int) -> StoredEvent:
        """The stored event with id ``row_id`` (``KeyError`` if there is none)."""
        if isinstance(row_id, bool) or not isinstance(row_id, numbers.Integral):
            raise TypeError(f"row_id: expected an int, got {type(row_id).__name__} {row_id!r}")
        with self._lock:
            row = self._conn.execute(_SELECT + " WHERE id = ?", (int(row_id),)).fetchone()
        if row is None:
            raise KeyError(row_id)
        return _row_to_stored(row)

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])

    def __iter__(self) -> Iterator[Event]:
        return iter(self.query())

    def export_jsonl(self, out: str | os.PathLike | IO[str], **filters: Any) -> int:
        """Write the (filtered) events as JSON Lines; return how many were written.

        Each row is exactly :meth:`Event.to_json` (the detector output schema that
        :mod:`anfang.eval` scores); evidence paths stay in the database.
        """
        rows = self.rows(**filters)
        if isinstance(out, (str, os.PathLike)):
            with open(out, "w", encoding="utf-8") as fh:
                return self.export_jsonl(fh, **filters)
        if not isinstance(out, io.IOBase) and not hasattr(out, "write"):
            raise TypeError(f"out: expected a path or a text file, got {type(out).__name__}")
        for r in rows:
            out.write(r.event.to_json() + "\n")
        out.flush()
        return len(rows)

    def integrity_check(self) -> str:
        with self._lock:
            return str(self._conn.execute("PRAGMA integrity_check").fetchone()[0])

    # -- lifetime ----------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None  # type: ignore[assignment]

    def __enter__(self) -> "EventStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"EventStore({self.path!r})"
