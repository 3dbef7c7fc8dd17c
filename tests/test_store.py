import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading

import pytest

from anfang.events import Event
from anfang.store import SCHEMA_VERSION, EventStore


def ev(i, kind="falling_object", cam="cam-1", **details):
    return Event(kind, float(i), float(i) + 0.5, 25 * i, 25 * i + 12, camera_id=cam,
                 bbox=(1.0 * i, 2.0, 3.0 + i, 4.0), track_id=i, confidence=0.5,
                 details=details or {"origin": {"floor": i % 7}})


@pytest.fixture
def events():
    kinds = ["falling_object", "rider", "package_dropped"]
    return [ev(i, kinds[i % 3], f"cam-{i % 2}") for i in range(30)]


def test_append_query_roundtrip_and_filters(tmp_path, events):
    with EventStore(tmp_path / "e.sqlite") as st:
        ids = [st.append(e) for e in events]
        assert ids == sorted(ids) and len(set(ids)) == 30
        assert st.query() == events
        assert st.query(kind="rider") == [e for e in events if e.kind == "rider"]
        assert st.query(camera_id="cam-1") == [e for e in events if e.camera_id == "cam-1"]
        assert st.query(since=5, until=12) == [e for e in events if 5 <= e.t_start < 12]
        assert st.query(kind="rider", camera_id="cam-0", since=3) == [
            e for e in events if e.kind == "rider" and e.camera_id == "cam-0" and e.t_start >= 3]
        assert st.query(limit=4) == events[:4]
        assert [r.id for r in st.rows(kind="package_dropped")] == [
            i for i, e in zip(ids, events) if e.kind == "package_dropped"]
        assert len(st) == 30


def test_events_without_optional_fields_roundtrip(tmp_path):
    e = Event("rider", 0.0, 0.0, 0, 0)
    with EventStore(tmp_path / "e.sqlite") as st:
        st.append(e)
        got = st.query()[0]
    assert got == e and got.bbox is None and got.track_id is None


def test_schema_version_meta_wal_and_indexes(tmp_path):
    p = tmp_path / "e.sqlite"
    with EventStore(p) as st:
        assert st.schema_version == SCHEMA_VERSION
        assert st.meta()["schema_version"] == str(SCHEMA_VERSION)
    con = sqlite3.connect(p)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    idx = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"events_camera", "events_time", "events_kind"} <= idx
    cols = [r[1] for r in con.execute("PRAGMA table_info(events)")]
    assert cols == ["id", "kind", "camera_id", "t_start", "t_end", "frame_start", "frame_end", "track_id",
                    "confidence", "bbox", "details", "created_at", "snapshot_path", "snapshot_sha256",
                    "clip_path", "clip_sha256"]


def test_newer_schema_is_refused_and_garbage_is_rejected(tmp_path):
    p = tmp_path / "new.sqlite"
    con = sqlite3.connect(p)
    con.execute("PRAGMA user_version = 99")
    con.close()
    with pytest.raises(ValueError, match="schema 99"):
        EventStore(p)
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ValueError, match="not a readable anfang event store"):
        EventStore(bad)
    with pytest.raises(TypeError, match="path"):
        EventStore(3)


def test_reopen_keeps_events_and_does_not_remigrate(tmp_path, events):
    p = tmp_path / "e.sqlite"
    with EventStore(p) as st:
        for e in events[:5]:
            st.append(e)
    with EventStore(p) as st:
        st.append(events[5])
        assert st.query() == events[:6]
        assert st.schema_version == SCHEMA_VERSION


def test_attach_evidence_and_errors(tmp_path):
    with EventStore(tmp_path / "e.sqlite") as st:
        rid = st.append(ev(1))
        st.attach_evidence(rid, snapshot_path="a.png", snapshot_sha256="ab" * 32)
        st.attach_evidence(rid, clip_path="a.mp4", clip_sha256="cd" * 32)
        r = st.get(rid)
        assert (r.snapshot_path, r.snapshot_sha256, r.clip_path, r.clip_sha256) == (
            "a.png", "ab" * 32, "a.mp4", "cd" * 32)
        with pytest.raises(ValueError, match="no event with id 999"):
            st.attach_evidence(999, clip_path="x")
        with pytest.raises(TypeError, match="event"):
            st.append({"kind": "rider"})
        with pytest.raises(ValueError, match="limit"):
            st.query(limit=-1)


def test_export_jsonl_is_to_json_per_line(tmp_path, events):
    with EventStore(tmp_path / "e.sqlite") as st:
        for e in events:
            st.append(e)
        n = st.export_jsonl(tmp_path / "out.jsonl", kind="rider")
    lines = (tmp_path / "out.jsonl").read_text().splitlines()
    want = [e.to_json() for e in events if e.kind == "rider"]
    assert n == len(want) and lines == want
    assert [Event.from_dict(json.loads(s)) for s in lines] == [e for e in events if e.kind == "rider"]


def test_threads_share_one_store(tmp_path):
    st = EventStore(tmp_path / "e.sqlite")
    ids: list[int] = []

    def work(k):
        for i in range(25):
            ids.append(st.append(ev(i, cam=f"t{k}")))

    th = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for x in th:
        x.start()
    for x in th:
        x.join()
    assert len(st) == 100 and len(set(ids)) == 100
    assert sorted(e.camera_id for e in st.query()) == sorted([f"t{k}" for k in range(4)] * 25)
    st.close()


_WRITER = r"""
import sys
from anfang.events import Event
from anfang.store import EventStore
st = EventStore(sys.argv[1])
i = 0
while True:
    rid = st.append(Event("rider", float(i), float(i), i, i, camera_id="k", details={"helmet": i % 2 == 0}))
    print(rid, flush=True)
    i += 1
"""


def test_sigkill_loses_no_committed_event(tmp_path):
    p = tmp_path / "k.sqlite"
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(p)], stdout=subprocess.PIPE, text=True)
    printed = []
    try:
        for line in proc.stdout:
            printed.append(int(line))
            if len(printed) >= 40:
                break
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with EventStore(p) as st:
        assert st.integrity_check() == "ok"
        got = {r.id: r.event for r in st.rows()}
    assert set(printed) <= set(got)
    for rid in printed:
        assert got[rid].frame_start == rid - 1 and got[rid]["helmet"] == ((rid - 1) % 2 == 0)


from hypothesis import given, settings
from hypothesis import strategies as hs

_text = hs.text(hs.characters(blacklist_categories=("Cs",)), max_size=12)
_num = hs.floats(-1e6, 1e6, allow_nan=False)


@hs.composite
def _events(draw):
    t0 = draw(_num)
    f0 = draw(hs.integers(0, 10**6))
    bbox = draw(hs.none() | hs.tuples(_num, _num, _num, _num))
    details = draw(hs.dictionaries(_text.filter(lambda k: k not in (
        "kind", "t_start", "t_end", "frame_start", "frame_end", "camera_id", "bbox", "track_id", "confidence")),
        hs.none() | hs.booleans() | hs.integers(-10**9, 10**9) | _num | _text | hs.lists(_num, max_size=3),
        max_size=3))
    return Event(draw(hs.sampled_from(["falling_object", "rider", "package_removed"])), t0,
                 t0 + draw(hs.floats(0, 100)), f0, f0 + draw(hs.integers(0, 100)), camera_id=draw(_text),
                 bbox=bbox, track_id=draw(hs.none() | hs.integers(-2**62, 2**62)),
                 confidence=draw(hs.floats(0, 1)), details=details)


@settings(max_examples=30, deadline=None)
@given(hs.lists(_events(), max_size=6))
def test_property_store_roundtrip_any_events(evs):
    with EventStore(":memory:") as st:
        for e in evs:
            st.append(e)
        got = [r.event for r in sorted(st.rows(), key=lambda r: r.id)]
    assert got == evs


def test_bad_filter_and_id_arguments_name_the_argument(tmp_path):
    with EventStore(tmp_path / "bad.sqlite") as st:
        rid = st.append(Event("x", 1.0, 2.0, 1, 2))
        with pytest.raises(TypeError, match="since: expected seconds as a number or None, got str 'x'"):
            st.rows(since="x")
        with pytest.raises(TypeError, match="until: expected seconds as a number or None, got float nan"):
            st.rows(until=float("nan"))
        with pytest.raises(TypeError, match="limit: expected an int or None, got float 2.5"):
            st.rows(limit=2.5)
        with pytest.raises(TypeError, match="row_id: expected an int, got str 'x'"):
            st.get("x")
        with pytest.raises(KeyError):
            st.get(rid + 1)
        assert st.get(rid).event.kind == "x"
        assert [r.id for r in st.rows(since=1, until=1.5, limit=5)] == [rid]
        assert st.rows(since=1.5) == []
