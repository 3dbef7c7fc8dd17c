import json
import os
import subprocess
import sys

import pytest

import anfang.commands.detect as detect_mod
from anfang.cli import build_parser, main
from anfang.commands.detect import DetectorEntry
from anfang.io.jsonl import read_jsonl
from anfang.io.video import write_npz
from anfang.store import EventStore
from test_io_fake import FlashDetector, make_clip

FAKE = DetectorEntry("test_io_fake:FlashDetector", "a fake", lambda p: p.add_argument("--floor", type=int, default=3),
                     lambda a: {"floor": a.floor})


@pytest.fixture
def fake_registry(monkeypatch):
    reg = {"fake": FAKE, "missing": DetectorEntry("anfang_not_here.sub:Nope", "absent", lambda p: None, lambda a: {})}
    monkeypatch.setattr(detect_mod, "REGISTRY", reg)
    return reg


@pytest.fixture
def clip(tmp_path):
    frames, t = make_clip(n=60)
    return write_npz(tmp_path / "gate", frames, t)


HELPS = [["demo"], ["detect"], ["detect", "falling"], ["detect", "lost"], ["detect", "helmet"], ["events"],
         ["events", "query"], ["events", "export"], ["report"], ["batch"]]


@pytest.mark.parametrize("argv", HELPS, ids=" ".join)
def test_every_subcommand_has_help(argv, capsys):
    with pytest.raises(SystemExit) as ex:
        main(argv + ["--help"])
    assert ex.value.code == 0
    assert "usage: anfang " + " ".join(argv) in capsys.readouterr().out


def test_detector_options_appear_in_help(capsys):
    for name, opt in (("falling", "--facade"), ("lost", "--dwell"), ("lost", "--zones"), ("helmet", "--rate-window")):
        with pytest.raises(SystemExit):
            main(["detect", name, "--help"])
        assert opt in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["events", "query"], ["detect"], ["detect", "falling"], ["report"],
                                  ["events", "query", "--db", "x", "--since", "soon"], ["bogus"]])
def test_usage_errors_exit_2(argv):
    with pytest.raises(SystemExit) as ex:
        main(argv)
    assert ex.value.code == 2


def test_detect_missing_detector_module_exits_1(fake_registry, clip, capsys):
    assert main(["detect", "missing", clip]) == 1
    err = capsys.readouterr().err
    assert "not available" in err and "anfang_not_here" in err


def test_detect_writes_jsonl_db_and_evidence(fake_registry, clip, tmp_path):
    out, db, ev = tmp_path / "o.jsonl", tmp_path / "e.sqlite", tmp_path / "ev"
    rc = main(["detect", "fake", clip, "--jsonl", str(out), "--db", str(db), "--evidence", str(ev),
               "--camera-id", "north", "--floor", "9", "--no-progress"])
    assert rc == 0
    got = read_jsonl(out)
    want = FlashDetector(camera_id="north", floor=9).run(zip(*make_clip(n=60)))
    assert got == want
    with EventStore(db) as st:
        rows = st.rows()
    assert [r.event for r in rows] == want
    assert all(r.snapshot_path and os.path.exists(r.clip_path) for r in rows)


def test_detect_to_stdout(fake_registry, clip, capsys):
    assert main(["detect", "fake", clip, "--no-progress"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(s)["camera_id"] for s in lines] == ["gate", "gate"]


def test_detect_truncated_video_exits_1_and_keeps_early_events(fake_registry, tmp_path, capsys):
    pytest.importorskip("av")
    from anfang.io.video import write_mp4

    frames, t = make_clip(n=80, flashes=((3, 6), (70, 74)))
    data = open(write_mp4(tmp_path / "v.mp4", frames, t), "rb").read()
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 2])
    out = tmp_path / "o.jsonl"
    assert main(["detect", "fake", str(tmp_path / "cut.mp4"), "--jsonl", str(out), "--no-progress"]) == 1
    assert "truncated" in capsys.readouterr().err
    assert [(e.frame_start, e.frame_end) for e in read_jsonl(out)] == [(3, 6)]


def test_detect_missing_source_exits_1(fake_registry, tmp_path, capsys):
    assert main(["detect", "fake", str(tmp_path / "nope.mp4")]) == 1
    assert "no such file" in capsys.readouterr().err


def test_events_query_export_and_report(fake_registry, clip, tmp_path, capsys):
    db = tmp_path / "e.sqlite"
    assert main(["detect", "fake", clip, "--db", str(db), "--jsonl", str(tmp_path / "o.jsonl")]) == 0
    capsys.readouterr()
    assert main(["events", "query", "--db", str(db), "--jsonl", "--since", "1.0"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(s)["frame_start"] for s in lines] == [30]
    assert main(["events", "query", "--db", str(db), "--camera", "gate", "--kind", "falling_object"]) == 0
    table = capsys.readouterr().out
    assert table.count("falling_object") == 2
    assert main(["events", "export", "--db", str(db), "-o", str(tmp_path / "x.jsonl")]) == 0
    assert read_jsonl(tmp_path / "x.jsonl") == read_jsonl(tmp_path / "o.jsonl")
    assert main(["report", "--db", str(db), "-o", str(tmp_path / "r.html")]) == 0
    assert open(tmp_path / "r.html").read().count('<tr class="event"') == 2
    assert main(["events", "query", "--db", str(tmp_path / "none.sqlite")]) == 1
    assert main(["events", "query", "--db", str(db), "--limit", "-3"]) == 2


def test_batch_command(fake_registry, tmp_path, capsys):
    d = tmp_path / "videos"
    d.mkdir()
    for i in range(3):
        write_npz(d / f"cam{i}", *make_clip(n=40, flashes=((5 + i, 8 + i),)))
    db = tmp_path / "b.sqlite"
    rc = main(["batch", str(d), "--detector", "test_io_fake:FlashDetector", "--kwargs", '{"floor": 2}',
               "--engine", "serial", "--db", str(db)])
    assert rc == 0
    with EventStore(db) as st:
        assert [(e.camera_id, e.frame_start, e["origin"]["floor"]) for e in st.query()] == [
            ("cam0", 5, 2), ("cam1", 6, 2), ("cam2", 7, 2)]
    assert main(["batch", str(d), "--detector", "missing", "--db", str(db)]) == 1
    assert main(["batch", str(d), "--detector", "fake", "--kwargs", "[1]"]) == 2
    assert main(["batch", str(d), "--detector", "fake", "--scheduler", "tcp://x:1"]) == 2
    assert main(["batch", str(tmp_path / "nodir"), "--detector", "fake"]) == 2


def test_demo_without_any_detector(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(detect_mod, "REGISTRY", {"missing": DetectorEntry("anfang_not_here:X", "", lambda p: None, lambda a: {})})
    assert main(["demo", "--out", str(tmp_path / "d"), "--seconds", "1"]) == 0
    out = capsys.readouterr().out
    assert "no detector is installed" in out
    for f in ("events.sqlite", "report.html"):
        assert os.path.exists(tmp_path / "d" / f)
    assert os.path.isdir(tmp_path / "d" / "evidence")  # the folder the summary names
    with EventStore(tmp_path / "d" / "events.sqlite") as st:
        assert len(st) == 0


def test_demo_with_the_fake_detector(fake_registry, tmp_path, capsys):
    import anfang.commands.demo as demo

    # the fake sees bright spots: force the built-in generator with a bright faller
    monkey_scene = demo.builtin_scene("facade", seconds=3)
    frames = monkey_scene[0].copy()
    frames[40:44, 10:16, 20:26] = 250
    demo_make = lambda kind, seed, seconds: (frames, monkey_scene[1], monkey_scene[2], "test")  # noqa: E731
    orig = demo.make_scene
    demo.make_scene = demo_make
    try:
        assert main(["demo", "--out", str(tmp_path / "d"), "--seconds", "3"]) == 0
    finally:
        demo.make_scene = orig
    out = capsys.readouterr().out
    assert "fake" in out and "missing" in out and "not installed" in out
    with EventStore(tmp_path / "d" / "events.sqlite") as st:
        rows = st.rows()
    assert [(r.event.frame_start, r.event.frame_end) for r in rows] == [(40, 43)]
    assert os.path.exists(rows[0].snapshot_path)
    assert open(tmp_path / "d" / "report.html").read().count('<tr class="event"') == 1
    # a re-run replaces the store and the demo's own evidence, and leaves other files alone
    ev = tmp_path / "d" / "evidence"
    (ev / "demo-facade_falling_object_000099.png").write_bytes(b"stale")
    (ev / "mine.txt").write_text("keep")
    demo.make_scene = demo_make
    try:
        assert main(["demo", "--out", str(tmp_path / "d"), "--seconds", "3"]) == 0
    finally:
        demo.make_scene = orig
    assert not (ev / "demo-facade_falling_object_000099.png").exists() and (ev / "mine.txt").exists()
    with EventStore(tmp_path / "d" / "events.sqlite") as st:
        assert len(st) == 1 and os.path.exists(st.rows()[0].snapshot_path)


def test_demo_with_the_installed_detectors(tmp_path):
    # whatever detectors this installation has (possibly none): must succeed
    r = subprocess.run([sys.executable, "-m", "anfang", "demo", "--out", str(tmp_path / "d"), "--seconds", "3"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "report   ->" in r.stdout
    assert os.path.getsize(tmp_path / "d" / "report.html") > 500
    lines = r.stdout.splitlines()
    for name in detect_mod.REGISTRY:  # one summary line per registered detector
        assert sum(ln.split()[:1] == [name] for ln in lines) == 1, (name, r.stdout)
    with EventStore(tmp_path / "d" / "events.sqlite") as st:
        n = len(st)
        html_rows = open(tmp_path / "d" / "report.html").read().count('<tr class="event"')
    assert f"  {n} events -> " in r.stdout and html_rows == n


def test_parser_builds_with_all_commands():
    sub = [a for a in build_parser()._actions if a.dest == "command"][0]
    assert {"demo", "detect", "events", "report", "batch"} <= set(sub.choices)


def test_batch_command_on_a_dask_scheduler(fake_registry, tmp_path):
    distributed = pytest.importorskip("distributed")  # the dask extra
    d = tmp_path / "videos"
    d.mkdir()
    for i in range(2):
        write_npz(d / f"cam{i}", *make_clip(n=40, flashes=((5 + i, 8 + i),)))
    with distributed.LocalCluster(n_workers=1, processes=False, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        rc = main(["batch", str(d), "--detector", "fake", "--engine", "dask", "--scheduler",
                   cluster.scheduler_address, "--db", str(tmp_path / "b.sqlite"), "--evidence", str(tmp_path / "ev")])
    assert rc == 0
    with EventStore(tmp_path / "b.sqlite") as st:
        rows = st.rows()
    assert [(r.event.camera_id, r.event.frame_start) for r in rows] == [("cam0", 5), ("cam1", 6)]
    assert all(os.path.isabs(r.snapshot_path) and os.path.exists(r.clip_path) for r in rows)


def test_demo_runs_the_falling_detector_calibrated():
    # the facade scene's truth carries the generator's calibration: the demo must use it
    # (floors in the events), not silently fall back to an uncalibrated detector
    from anfang.commands.demo import _detector_kwargs
    from anfang.falling import Facade
    from anfang.synth import facade

    truth = facade(seed=2, seconds=0.2).truth
    kw = _detector_kwargs("falling", truth)
    assert isinstance(kw.get("facade"), Facade)
    assert kw["facade"] == Facade.from_calibration(truth["calibration"])


@pytest.fixture(scope="module")
def fall_clip(tmp_path_factory):
    """A facade clip with one bottle dropped, saved as .npz, and its calibration."""
    from anfang.falling import Facade
    from anfang.synth import facade

    d = tmp_path_factory.mktemp("fall")
    c = facade(seed=3, seconds=3.5, distractors="none",
               falls=[{"type": "bottle", "size_px": 30, "contrast": 1.0, "t_release": 0.5}])
    clip_path = write_npz(d / "fall", c.frames, c.t)
    fac = d / "facade.json"
    Facade.from_calibration(c.truth["calibration"]).save(fac)
    return str(clip_path), str(fac), d


def _detect_falling(fall_clip, *extra):
    clip_path, fac, d = fall_clip
    out = d / f"out{len(list(d.glob('out*')))}.jsonl"
    code = main(["detect", "falling", clip_path, "--facade", fac, "--jsonl", str(out), "--no-progress",
                 *extra])
    return code, (list(read_jsonl(out)) if out.exists() else [])


def test_detect_config_file_and_set_overrides(fall_clip, capsys):
    from anfang.falling import FallingConfig

    code, ev = _detect_falling(fall_clip)
    assert code == 0 and len(ev) == 1
    assert ev[0]["t_end"] > ev[0]["t_alarm"]  # by default the event waits for the track's end
    # --set emit=alarm (a plain string): the event goes out at the alarm
    code, ev = _detect_falling(fall_clip, "--set", "emit=alarm")
    assert code == 0 and len(ev) == 1 and ev[0]["t_end"] == ev[0]["t_alarm"]
    # a settings file that asks for 5-6 g: the bottle is refused
    cfg = fall_clip[2] / "strict.json"
    FallingConfig(rules={"g_band": [5.0, 6.0]}).save(cfg)
    code, ev = _detect_falling(fall_clip, "--config", str(cfg))
    assert code == 0 and ev == []
    # --set (JSON) overrides the file
    code, ev = _detect_falling(fall_clip, "--config", str(cfg), "--set", 'rules={"g_band": [0.35, 1.8]}')
    assert code == 0 and len(ev) == 1
    capsys.readouterr()
    code, ev = _detect_falling(fall_clip, "--set", "nonsense=1")
    assert code == 1 and "unknown keys ['nonsense']" in capsys.readouterr().err
    code, ev = _detect_falling(fall_clip, "--set", "min_drop_floors")
    assert code == 1 and "--set: expected KEY=VALUE" in capsys.readouterr().err
    code, ev = _detect_falling(fall_clip, "--config", str(cfg) + ".missing")
    assert code == 1 and "strict.json.missing" in capsys.readouterr().err


def test_parse_set():
    from anfang.commands.detect import parse_set

    assert parse_set(["a=1", "b=x y", "c=[1, 2]", "a=2", "d=", "e=null"]) == {
        "a": 2, "b": "x y", "c": [1, 2], "d": "", "e": None}
    assert parse_set(None) == {} and parse_set([]) == {}
    for bad in ("=1", "1a=2", "no_value", "a b=1"):
        with pytest.raises(ValueError, match="--set: expected KEY=VALUE"):
            parse_set([bad])


def test_build_detector_loads_each_detectors_config_file(tmp_path):
    from anfang.commands.detect import build_detector
    from anfang.helmet import HelmetDetectorConfig
    from anfang.lost import LostConfig

    LostConfig(dwell_s=12.0, merge_px=7).save(tmp_path / "lost.json")
    d = build_detector("lost", {"config": str(tmp_path / "lost.json")})
    assert d.config.dwell_s == 12.0 and d.config.merge_px == 7
    d = build_detector("lost", {"config": tmp_path / "lost.json", "dwell_s": 5.0})
    assert d.config.dwell_s == 5.0 and d.config.merge_px == 7
    HelmetDetectorConfig(min_votes=9).save(tmp_path / "helmet.json")
    d = build_detector("helmet", {"config": str(tmp_path / "helmet.json")})
    assert d.config.min_votes == 9


def test_detect_falling_alarms_go_out_at_once(fall_clip):
    alarms = fall_clip[2] / "alarms.jsonl"
    code, ev = _detect_falling(fall_clip, "--alarms", str(alarms))
    assert code == 0 and len(ev) == 1
    notes = list(read_jsonl(alarms))
    assert len(notes) == 1
    n, e = notes[0].to_dict(), ev[0].to_dict()
    assert n["status"] == "alarm" and "status" not in e
    assert n["track_id"] == e["track_id"] and n["t_alarm"] == e["t_alarm"] == n["t_end"] < e["t_end"]
    # a detector that fails to build leaves the sink closed and nothing half-written
    code, _ = _detect_falling(fall_clip, "--alarms", str(alarms), "--set", "nonsense=1")
    assert code == 1 and len(list(read_jsonl(alarms))) == 1
