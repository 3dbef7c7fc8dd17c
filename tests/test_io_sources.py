import hashlib
import json
import os

import numpy as np
import pytest

from anfang.events import Event
from anfang.frames import to_gray
from anfang.io.jsonl import read_jsonl
from anfang.io.sources import SourceError, open_source
from anfang.io.video import write_mp4, write_npz
from anfang.pipeline import run
from anfang.store import EventStore
from test_io_fake import FlashDetector, make_clip

av = pytest.importorskip("av")  # the video extra


def test_npz_roundtrip_and_metadata(tmp_path):
    frames, t = make_clip(n=12, flashes=())
    p = write_npz(tmp_path / "c", frames, t)
    with open_source(p) as src:
        got = list(src)
        assert (src.kind, src.n_frames, src.size) == ("npz", 12, (64, 48))
        assert src.fps == pytest.approx(25.0)
    assert np.array_equal(np.stack([f for f, _ in got]), frames)
    assert [x for _, x in got] == list(t)


def test_npz_without_t_uses_fps_and_rgb_option(tmp_path):
    rgb = np.random.default_rng(1).integers(0, 255, (4, 5, 6, 3), dtype=np.uint8)
    np.savez(tmp_path / "c.npz", frames=rgb)
    grey = list(open_source(tmp_path / "c.npz", fps=10))
    assert [x for _, x in grey] == [0.0, 0.1, 0.2, 0.3]
    assert np.array_equal(grey[2][0], to_gray(rgb[2]))
    assert np.array_equal(next(iter(open_source(tmp_path / "c.npz", color="rgb")))[0], rgb[0])


def test_image_folder_sorted_with_fps(tmp_path):
    import imageio.v3 as iio

    frames, _ = make_clip(n=5, flashes=())
    for i in (3, 0, 4, 1, 2):  # written out of order
        iio.imwrite(tmp_path / f"f{i:03d}.png", frames[i])
    (tmp_path / "notes.txt").write_text("ignored")
    src = open_source(tmp_path, fps=5)
    got = list(src)
    assert src.kind == "images" and src.n_frames == 5
    assert [x for _, x in got] == [0.0, 0.2, 0.4, 0.6, 0.8]
    assert all(np.array_equal(f, frames[i]) for i, (f, _) in enumerate(got))
    rgb = list(open_source(tmp_path, color="rgb"))[1][0]
    assert rgb.shape == (48, 64, 3) and np.array_equal(rgb[..., 1], frames[1])


def test_mp4_luma_and_presentation_times(tmp_path):
    # smooth content so the lossy codec stays close; irregular times (a dropped frame)
    yy, xx = np.mgrid[0:48, 0:64]
    frames = np.stack([(40 + xx + yy + 5 * i).astype(np.uint8) for i in range(10)])
    t = np.array([0, 0.04, 0.08, 0.12, 0.20, 0.24, 0.28, 0.32, 0.36, 0.40])
    p = write_mp4(tmp_path / "v.mp4", frames, t)
    src = open_source(p)
    got = list(src)
    assert src.kind == "video" and src.n_frames == 10 and src.size == (64, 48)
    assert np.allclose([x for _, x in got], t, atol=1e-3)  # the gap at 0.16 s survives
    dec = np.stack([f for f, _ in got])
    assert dec.dtype == np.uint8 and dec.shape == frames.shape
    assert np.abs(dec.astype(int) - frames).mean() < 3.0
    rgb = list(open_source(p, color="rgb"))
    assert rgb[0][0].shape == (48, 64, 3)


def test_odd_sized_frames_are_padded_for_the_encoder(tmp_path):
    frames = np.full((3, 7, 9), 128, np.uint8)
    p = write_mp4(tmp_path / "odd.mp4", frames, [0, 0.1, 0.2])
    f, _ = next(iter(open_source(p)))
    assert f.shape == (8, 10)


def test_clear_errors(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        open_source(tmp_path / "missing.mp4")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceError, match="holds no images"):
        open_source(tmp_path / "empty")
    np.savez(tmp_path / "x.npz", other=np.zeros(3))
    with pytest.raises(SourceError, match="no 'frames'"):
        open_source(tmp_path / "x.npz")
    with pytest.raises(ValueError, match="color"):
        open_source(tmp_path / "x.npz", color="bgr")
    with pytest.raises(TypeError, match="frames: expected uint8"):
        open_source((np.zeros((2, 3, 3), np.float32), [0, 1]))
    with pytest.raises(ValueError, match="t: expected finite, non-decreasing"):
        open_source((np.zeros((2, 3, 3), np.uint8), [1.0, 0.0]))
    (tmp_path / "junk.mp4").write_bytes(os.urandom(4000))
    with pytest.raises(SourceError, match="cannot open"):
        open_source(tmp_path / "junk.mp4")


def _truncated_mp4(tmp_path, frames, t):
    p = write_mp4(tmp_path / "full.mp4", frames, t)
    data = open(p, "rb").read()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    return cut


def test_truncated_mp4_yields_good_frames_then_raises(tmp_path):
    frames, t = make_clip(n=80, flashes=())
    cut = _truncated_mp4(tmp_path, frames, t)
    seen = []
    with pytest.raises(SourceError, match="truncated|corrupt"):
        for f, x in open_source(cut):
            seen.append(x)
    assert 5 < len(seen) < 80
    assert np.allclose(seen, t[: len(seen)], atol=1e-3)


def test_pipeline_commits_events_before_the_damage(tmp_path):
    frames, t = make_clip(n=80, flashes=((3, 6), (70, 74)))
    cut = _truncated_mp4(tmp_path, frames, t)
    db, out = tmp_path / "e.sqlite", tmp_path / "e.jsonl"
    with pytest.raises(SourceError):
        run(cut, FlashDetector(), store=db, jsonl=out, camera_id="roof")
    with EventStore(db) as st:
        got = st.query()
    assert [(e.frame_start, e.frame_end, e.camera_id) for e in got] == [(3, 6, "roof")]
    assert read_jsonl(out) == got


def test_pipeline_streams_each_event_as_it_happens(tmp_path):
    frames, t = make_clip(n=50)
    db = tmp_path / "e.sqlite"
    seen_in_store = []
    with EventStore(db) as st:
        def check(e, rid):  # when an event is reported, it is already committed and fsync'ed
            seen_in_store.append((st.get(rid).event == e, len(read_jsonl(tmp_path / "o.jsonl"))))

        events = run((frames, t), FlashDetector(), store=st, jsonl=tmp_path / "o.jsonl", on_event=check)
    assert seen_in_store == [(True, 1), (True, 2)]
    assert [e.camera_id for e in events] == ["", ""]


def test_pipeline_camera_id_from_file_name_and_detector_check(tmp_path):
    frames, t = make_clip(n=40)
    p = write_npz(tmp_path / "gate-7", frames, t)
    events = run(p, FlashDetector())
    assert {e.camera_id for e in events} == {"gate-7"}
    with pytest.raises(TypeError, match="detector"):
        run(p, object())


def test_pipeline_evidence_snapshot_and_clip_with_hashes(tmp_path):
    frames, t = make_clip(n=150, flashes=((90, 95),))  # 3.6 s .. 3.8 s
    db = tmp_path / "e.sqlite"
    run((frames, t), FlashDetector(), store=db, evidence_dir=tmp_path / "ev", camera_id="c", pre=1.0, post=0.8)
    with EventStore(db) as st:
        (r,) = st.rows()
    for path, sha in ((r.snapshot_path, r.snapshot_sha256), (r.clip_path, r.clip_sha256)):
        assert os.path.exists(path)
        assert hashlib.sha256(open(path, "rb").read()).hexdigest() == sha
    import imageio.v3 as iio

    snap = iio.imread(r.snapshot_path)
    assert snap.shape == (48, 64, 3)
    assert (snap == [255, 220, 0]).all(axis=2).any()  # the trajectory polyline
    clip = list(open_source(r.clip_path))
    # frames from t_start - pre to t_end + post: 2.6 s .. 4.6 s at 25 fps
    want = [x for x in t if 3.6 - 1.0 - 1e-9 <= x <= 3.8 + 0.8 + 1e-9]
    assert len(clip) == len(want)
    assert clip[-1][1] - clip[0][1] == pytest.approx(want[-1] - want[0], abs=1e-3)


def test_jsonl_reader_reports_bad_lines(tmp_path):
    p = tmp_path / "x.jsonl"
    p.write_text(Event("rider", 0, 0, 0, 0).to_json() + "\n\n{\"kind\": 3}\n")
    with pytest.raises(ValueError, match="line 3"):
        read_jsonl(p)
    assert json.loads(p.read_text().splitlines()[0])["kind"] == "rider"


def test_interrupt_flushes_detector_and_evidence(tmp_path):
    from anfang.io.sources import FrameSource

    frames, t = make_clip(n=60, flashes=((10, 14), (30, 40)))

    def gen():
        for i in range(35):  # stopped in the middle of the second flash
            yield frames[i], float(t[i])
        raise KeyboardInterrupt

    src = FrameSource("<live>", "url", "gray", 25.0, (64, 48), None, gen)
    db = tmp_path / "e.sqlite"
    with pytest.raises(KeyboardInterrupt):
        run(src, FlashDetector(), store=db, evidence_dir=tmp_path / "ev", camera_id="live")
    with EventStore(db) as st:
        rows = st.rows()
    assert [(r.event.frame_start, r.event.frame_end) for r in rows] == [(10, 14), (30, 34)]
    assert all(r.clip_sha256 and os.path.exists(r.clip_path) for r in rows)
