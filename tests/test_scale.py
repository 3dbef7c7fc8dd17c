import os

import numpy as np
import pytest

from anfang.io.video import write_npz
from anfang.scale import process_source, run_batch
from anfang.store import EventStore
from test_io_fake import make_clip

SPEC = {"name": "test_io_fake:FlashDetector", "kwargs": {"floor": 5}}


@pytest.fixture
def sources(tmp_path):
    paths = []
    for i, flashes in enumerate([((5, 8), (20, 22)), ((2, 3),), (), ((30, 35), (40, 41), (50, 52))]):
        frames, t = make_clip(n=60, flashes=flashes, seed=i)
        paths.append(write_npz(tmp_path / f"cam{i}", frames, t + 100 * i))
    return paths


def _expected(sources):
    # the oracle: serial, per source, in order (no scale machinery)
    from test_io_fake import FlashDetector

    out = []
    for p in sources:
        with np.load(p) as z:
            det = FlashDetector(camera_id=os.path.basename(p)[:-4], floor=5)
            out += det.run(zip(z["frames"], z["t"]))
    return out


def test_process_pool_matches_serial_oracle_and_order(tmp_path, sources):
    db = tmp_path / "p.sqlite"
    events = run_batch(sources, SPEC, engine="process", store=db, workers=2)
    assert events == _expected(sources)
    assert [e.camera_id for e in events] == ["cam0", "cam0", "cam1", "cam3", "cam3", "cam3"]
    with EventStore(db) as st:
        assert [r.event for r in sorted(st.rows(), key=lambda r: r.id)] == events


def test_serial_engine_and_errors_are_reported_not_raised(tmp_path, sources):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00" * 1000)
    errors = []
    events = run_batch([bad] + sources, SPEC, engine="serial", errors=errors)
    assert events == _expected(sources)
    assert len(errors) == 1 and errors[0][0] == str(bad) and "cannot open" in errors[0][1]


def test_process_source_is_a_plain_picklable_task(sources):
    import pickle

    res = pickle.loads(pickle.dumps(process_source(sources[0], SPEC)))
    assert res["camera_id"] == "cam0" and res["error"] is None
    assert [(d["frame_start"], d["frame_end"]) for d in res["events"]] == [(5, 8), (20, 22)]


def test_bad_arguments():
    with pytest.raises(ValueError, match="engine"):
        run_batch(["x"], SPEC, engine="spark")
    with pytest.raises(ValueError, match="workers"):
        run_batch(["x"], SPEC, workers=0)
    with pytest.raises(TypeError, match="detector"):
        run_batch(["x"], {"kwargs": {}})


def test_dask_local_cluster_gives_the_same_events(tmp_path, sources):
    distributed = pytest.importorskip("distributed")  # the dask extra
    with distributed.LocalCluster(n_workers=2, processes=False, threads_per_worker=1,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        db = tmp_path / "d.sqlite"
        by_client = run_batch(sources, SPEC, engine="dask", scheduler=client, store=db)
        by_address = run_batch(list(reversed(sources)), SPEC, engine="dask", scheduler=cluster.scheduler_address)
    want = _expected(sources)
    assert by_client == want
    assert by_address == _expected(list(reversed(sources)))
    proc = run_batch(sources, SPEC, engine="process", workers=2)
    assert by_client == proc
    with EventStore(db) as st:
        assert st.query() == sorted(want, key=lambda e: e.t_start)


def test_registry_entries_turn_json_kwargs_into_constructor_kwargs(monkeypatch, sources):
    import anfang.commands.detect as detect_mod
    from anfang.commands.detect import DetectorEntry

    entry = DetectorEntry("test_io_fake:FlashDetector", "fake", lambda p: None, lambda a: {},
                          from_spec=lambda kw: {"floor": int(kw["floor_name"][1:])})
    monkeypatch.setattr(detect_mod, "REGISTRY", {"fake": entry})
    events = run_batch(sources[:1], {"name": "fake", "kwargs": {"floor_name": "F8"}}, engine="serial")
    assert [e["origin"]["floor"] for e in events] == [8, 8]


def test_sources_must_be_a_sequence_of_paths(sources):
    with pytest.raises(TypeError, match=r"sources: expected a sequence of paths \(wrap a single path in a list\), got str"):
        run_batch(str(sources[0]), SPEC)
    with pytest.raises(TypeError, match="sources: expected a sequence of paths .* got int 5"):
        run_batch(5, SPEC)
    with pytest.raises(TypeError, match=r"sources\[1\]: expected a path \(str or os.PathLike\), got int"):
        run_batch([sources[0], 7], SPEC, engine="serial")
