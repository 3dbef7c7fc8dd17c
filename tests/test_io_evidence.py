import numpy as np
import pytest
from skimage.draw import line

from anfang.events import Event
from anfang.io.evidence import (CYAN, RED, YELLOW, EvidenceRecorder, FrameRing, annotate,
                                trajectory_points)


def _mask(img, color):
    return (img == np.array(color, np.uint8)).all(axis=2)


def test_annotate_box_trajectory_origin():
    frame = np.full((60, 80), 100, np.uint8)
    traj = [[0, 0.0, 10.0, 5.0], [1, 0.04, 12.0, 30.0], [2, 0.08, 15.0, 50.0]]
    e = Event("falling_object", 0, 0.08, 0, 2, bbox=(40, 20, 50, 30),
              details={"trajectory": traj, "origin": {"floor": 12, "x": 10, "y": 5}})
    img = annotate(frame, e)
    assert img.shape == (60, 80, 3) and img.dtype == np.uint8
    red = _mask(img, RED)
    # the ring just outside the box: rows 19 and 30, cols 39..50 (skimage.draw.line oracle)
    for r0, c0, r1, c1 in ((19, 39, 19, 50), (30, 39, 30, 50), (19, 39, 30, 39), (19, 50, 30, 50)):
        rr, cc = line(r0, c0, r1, c1)
        assert red[rr, cc].all()
    assert not red[21:29, 41:49].any()  # inside the box untouched
    assert (img[21:29, 41:49] == 100).all()
    yel = _mask(img, YELLOW)
    rr, cc = line(30, 12, 50, 15)
    assert yel[rr, cc].all()
    assert _mask(img, CYAN).sum() > 20  # origin cross + "F12"
    assert (img[55:, 60:] == 100).all()  # far corner untouched
    assert (frame == 100).all()  # input not modified


def test_annotate_survives_out_of_frame_and_odd_details():
    e = Event("falling_object", 0, 1, 0, 1, bbox=(-50, -50, 500, 500),
              details={"trajectory": [[-100, -100], [1000, 800], "junk"], "origin": {"floor": None}})
    img = annotate(np.zeros((1, 1, 3), np.uint8), e)
    assert img.shape == (1, 1, 3)
    assert trajectory_points([[1, 2], {"x": 3, "y": 4}, [0, 0.1, 5, 6], None, [float("nan"), 1]]).tolist() == [
        [1, 2], [3, 4], [5, 6]]


def test_ring_is_time_and_memory_bounded():
    r = FrameRing(keep=1.0, max_bytes=10_000)
    for i in range(100):
        r.push(np.zeros((10, 10), np.uint8), i * 0.1, i)  # 100 bytes each
    assert [t for _, t, _ in r.window(0, 1e9)] == pytest.approx([8.9 + 0.1 * k for k in range(11)])
    small = FrameRing(keep=100.0, max_bytes=1000)
    for i in range(50):
        small.push(np.zeros((10, 10), np.uint8), i * 0.1, i)
    assert len(small) == 10 and small.nbytes == 1000
    with pytest.raises(ValueError, match="max_bytes"):
        FrameRing(max_bytes=0)


def test_recorder_late_event_writes_clip_immediately(tmp_path):
    rec = EvidenceRecorder(tmp_path, pre=0.2, post=0.2, clips=True)
    for i in range(30):
        assert rec.push(np.full((8, 8), i, np.uint8), i * 0.1, i) == []
    # event ended 1 s ago: its post window is already in the ring
    out = rec.add(Event("package_dropped", 1.5, 1.8, 15, 18, camera_id="a/b"), key=1)
    assert set(out) == {"snapshot_path", "snapshot_sha256"}
    assert "a_b_package_dropped" in out["snapshot_path"]
    ((key, clip),) = rec.finish()  # encoded on the helper thread, collected here
    assert key == 1 and set(clip) == {"clip_path", "clip_sha256"} and rec.pending == 0
    from anfang.io.sources import open_source

    ts = [x for _, x in open_source(clip["clip_path"])]
    assert len(ts) == 8  # t = 1.3 .. 2.0 s (1.5 - pre 0.2 .. 1.8 + post 0.2) at 10 fps


def test_recorder_foreground_mode_gives_the_same_clip(tmp_path):
    def go(background, d):
        rec = EvidenceRecorder(d, pre=0.3, post=0.3, background=background)
        done = []
        for i in range(40):
            done += rec.push(np.full((8, 8), 3 * i, np.uint8), i * 0.1, i)
            if i == 12:
                rec.add(Event("rider", 1.0, 1.2, 10, 12), key=7)
        done += rec.finish()
        return done

    (k1, a), = go(True, tmp_path / "a")
    (k2, b), = go(False, tmp_path / "b")
    assert k1 == k2 == 7 and a["clip_sha256"] == b["clip_sha256"]


def test_bad_time_arguments_name_the_argument(tmp_path):
    with pytest.raises(TypeError, match="keep: expected seconds as a number, got str 'a'"):
        FrameRing(keep="a")
    with pytest.raises(TypeError, match="max_bytes: expected an int, got float"):
        FrameRing(max_bytes=1e6)
    with pytest.raises(TypeError, match="pre: expected seconds as a number, got str"):
        EvidenceRecorder(tmp_path, pre="3")
    with pytest.raises(ValueError, match="pre, post: expected seconds >= 0, got 1, -2"):
        EvidenceRecorder(tmp_path, pre=1, post=-2)
