"""Behaviour of FallingObjectDetector on scenes rendered here (numpy only).

Scene: 320x240 grey, a textured facade of 5 floors x 4 columns between y=20 and y=220
(40 px per floor, 3 m per floor => 13.3 px/m, gravity 130.8 px/s²), sensor noise.
"""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anfang.events import Event
from anfang.falling import Facade, FallingConfig, FallingObjectDetector

W, H = 320, 240
FPS = 25.0


def facade(**kw):
    return Facade.from_corners([[40, 20], [280, 20], [280, 220], [40, 220]], floors=5, columns=4,
                               **kw)


G = 9.81 * 40 / 3.0


def background(seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W]
    bg = 150 + 25 * np.sin(xx / 7.0) * np.cos(yy / 11.0) + rng.normal(0, 6, (H, W))
    bg[((yy - 20) % 40) < 3] -= 40  # floor slabs
    return bg


def render(n, objects=(), seed=0, noise=2.0, gain=None, shake=None, bg=None, t=None):
    """Frames (n, H, W) uint8 at times t (default n / FPS). objects: callables
    t -> (x, y, radius, value) or None."""
    rng = np.random.default_rng(seed + 1)
    base = background(seed) if bg is None else bg
    yy, xx = np.mgrid[0:H, 0:W]
    frames = np.empty((n, H, W), np.uint8)
    t = np.arange(n) / FPS if t is None else np.asarray(t, float)
    for i in range(n):
        img = base.copy()
        for obj in objects:
            p = obj(t[i])
            if p is None:
                continue
            x, y, r, v = p
            img[(xx - x) ** 2 + (yy - y) ** 2 <= r * r] = v
        if shake is not None:  # the whole view moves, objects included
            dx, dy = shake(t[i])
            img = np.roll(img, (int(dy), int(dx)), axis=(0, 1))
        if gain is not None:
            img = img * gain(t[i])
        img = img + rng.normal(0, noise, (H, W))
        frames[i] = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    return frames, t


def drop(x0, y0, t_rel, vx=0.0, vy=0.0, r=2.5, v=30):
    def f(t):
        if t < t_rel:
            return None
        tau = t - t_rel
        y = y0 + vy * tau + 0.5 * G * tau * tau
        if y > H + 5:
            return None
        return (x0 + vx * tau, y, r, v)
    return f


def run(det, frames, t):
    return det.run(zip(frames, t))


def test_detects_a_drop_and_its_floor():
    # released at y=90 (floor 4 spans y in [60, 100)), column 2 (x in [160, 220))
    frames, t = render(60, [drop(190.0, 90.0, 0.3, vx=6.0)])
    fac = facade(building="B1")
    det = FallingObjectDetector(fac, camera_id="cam-9")
    evs = run(det, frames, t)
    assert len(evs) == 1
    e = evs[0]
    assert e.kind == "falling_object" and e.camera_id == "cam-9"
    o = e["origin"]
    assert o["floor"] == 4 and o["column"] == 2
    assert o["floor_range"][0] <= 4 <= o["floor_range"][1]
    assert abs(o["y"] - 90.0) < 8 and abs(o["x"] - 190.0) < 6
    assert abs(e["acceleration"] / G - 1) < 0.25
    assert e["building"] == "B1"
    # alarm only after two floors (80 px) of fall: sqrt(2 * 80 / G) after release
    assert e["t_alarm"] >= 0.3 + np.sqrt(2 * 80 / G) - 0.1
    assert e["t_alarm"] <= 0.3 + np.sqrt(2 * 80 / G) + 0.5
    assert e.t_start <= e["t_alarm"] <= e.t_end
    traj = np.array(e["trajectory"])
    assert np.all(np.diff(traj[:, 0]) > 0) and traj[0, 0] == e.frame_start and traj[-1, 0] == e.frame_end
    # trajectory points lie on the true path
    true_y = 90.0 + 0.5 * G * (traj[:, 1] - 0.3) ** 2
    assert np.median(np.abs(traj[:, 3] - true_y)) < 3.0
    assert 0.5 < e.confidence <= 1.0
    assert Event.from_dict(json.loads(e.to_json())) == e


def test_no_alarm_for_bird_leaf_branch():
    def bird(t):  # level flight with wing beats
        return (20 + 110 * t, 70 + 3 * np.sin(2 * np.pi * 6 * t), 3.0, 40)

    def glider(t):  # gliding down on a straight line
        return (300 - 60 * t, 40 + 35 * t, 3.0, 40)

    def leaf(t):  # slow descent with sway
        return (120 + 20 * np.sin(2 * np.pi * 0.8 * t), 30 + 30 * t, 2.5, 90)

    def branch(t):  # oscillating, bounded
        return (250 + 6 * np.sin(2 * np.pi * 1.1 * t), 150 + 4 * np.sin(2 * np.pi * 1.1 * t + 1), 5.0, 60)

    frames, t = render(75, [bird, glider, leaf, branch], seed=3)
    det = FallingObjectDetector(facade())
    assert run(det, frames, t) == []
    assert det.stats["tracks"] >= 3  # they were seen and tracked, then rejected by physics


def test_duplicated_frames_content_at_one_third_rate():
    tc = np.arange(20) / 10.0
    frames, _ = render(20, [drop(100.0, 70.0, 0.2)], seed=5, t=tc)
    # 10 fps content in a 30 fps container: every content frame shown 3 times, identically
    content = np.repeat(frames, 3, axis=0)
    t30 = np.arange(60) / 30.0
    det = FallingObjectDetector(facade())
    evs = run(det, content, t30)
    assert det.stats["duplicates"] >= 35
    assert len(evs) == 1
    assert evs[0]["origin"]["floor"] == 4  # y=70 is in floor 4 ([60, 100))
    # trajectory samples are distinct content frames only
    ts = np.array(evs[0]["trajectory"])[:, 1]
    assert np.all(np.abs(ts * 10 - np.round(ts * 10)) < 1e-6)


def test_repeated_content_with_fresh_noise_leaves_no_ghost():
    """10 fps content in a 30 fps stream, new sensor noise on every frame (the repeats are
    not identical): the three-frame difference must not keep the object's previous position."""
    t30 = np.arange(60) / 30.0
    tc = np.floor(np.arange(60) / 3) / 10.0  # content time of each container frame
    frames, _ = render(60, [drop(100.0, 70.0, 0.2)], seed=5, t=tc)
    # the three-frame difference's repeat handling (the background path needs none)
    det = FallingObjectDetector(facade(), motion="diff")
    evs = run(det, frames, t30)
    assert det.stats["duplicates"] == 0 and det.stats["repeats"] >= 20
    assert len(evs) == 1
    traj = np.array(evs[0]["trajectory"])
    # every sample is the object where it is at that content time, never where it was
    tcont = np.floor(np.round(traj[:, 1] * 30) / 3) / 10.0
    true_y = 70.0 + 0.5 * G * (tcont - 0.2) ** 2
    assert np.max(np.abs(traj[:, 3] - true_y)) < 4.0
    # without holding the older reference the ghosts come back
    det0 = FallingObjectDetector(facade(), repeat_hold=0.0, motion="diff")
    run(det0, frames, t30)
    assert det0.stats["repeats"] == 0 and det0.stats["blobs"] > det.stats["blobs"] + 10


def test_light_change_is_not_an_object_and_does_not_break_a_fall():
    gain = lambda t: 1.0 if t < 1.0 else 0.7  # noqa: E731  (a cloud covers the sun)
    frames, t = render(50, [], seed=7, gain=gain)
    det = FallingObjectDetector(facade())
    assert run(det, frames, t) == []
    assert det.stats["light_changes"] >= 1
    frames, t = render(60, [drop(200.0, 90.0, 0.3)], seed=7, gain=gain)
    det.reset()
    evs = run(det, frames, t)
    assert len(evs) == 1 and evs[0]["origin"]["floor"] == 4


def test_camera_shake_compensated():
    rng = np.random.default_rng(11)
    jitter = {round(k / FPS, 6): (int(v[0]), int(v[1])) for k, v in enumerate(rng.integers(-2, 3, (80, 2)))}
    shake = lambda t: jitter[round(t, 6)]  # noqa: E731
    frames, t = render(60, [], seed=9, shake=shake)
    det = FallingObjectDetector(facade())
    assert run(det, frames, t) == []
    blobs_comp = det.stats["blobs"]
    det2 = FallingObjectDetector(facade(), shake=False)
    assert run(det2, frames, t) == []
    assert blobs_comp * 5 < det2.stats["blobs"]  # without compensation the texture "moves"
    frames, t = render(60, [drop(150.0, 90.0, 0.3)], seed=9, shake=shake)
    det.reset()
    evs = run(det, frames, t)
    assert len(evs) == 1 and evs[0]["origin"]["floor"] == 4


def test_ignore_polygon_suppresses():
    frames, t = render(60, [drop(190.0, 90.0, 0.3)], seed=2)
    fac = facade(ignore=[[[170, 0], [215, 0], [215, 240], [170, 240]]])
    assert run(FallingObjectDetector(fac), frames, t) == []


def test_two_objects_two_events():
    frames, t = render(70, [drop(80.0, 50.0, 0.2), drop(240.0, 130.0, 0.6, r=2.0, v=230)], seed=4)
    evs = run(FallingObjectDetector(facade()), frames, t)
    floors = sorted(e["origin"]["floor"] for e in evs)
    assert floors == [3, 5]  # y=130 is floor 1 + (220 - 130) / 40 = 3.25; y=50 is 5.25


def test_without_facade_uses_pixels():
    frames, t = render(60, [drop(190.0, 90.0, 0.3)], seed=6)
    det = FallingObjectDetector(None, min_drop_px=80.0, px_per_m=40 / 3.0)
    evs = run(det, frames, t)
    assert len(evs) == 1
    assert evs[0]["origin"]["floor"] is None and evs[0]["origin"]["floor_range"] is None
    assert abs(evs[0]["g_ratio"] - 1) < 0.25


def test_emit_at_alarm_and_reset_reproducible():
    frames, t = render(60, [drop(190.0, 90.0, 0.3)], seed=8)
    det = FallingObjectDetector(facade(), emit="alarm")
    seen = []
    for i, (f, ti) in enumerate(zip(frames, t)):
        for e in det.update(f, ti):
            seen.append((i, e))
    seen += [(None, e) for e in det.finish()]
    assert len(seen) == 1
    i, e = seen[0]
    assert e.frame_end == i and e.t_end == pytest.approx(e["t_alarm"])
    det.reset()
    again = run(det, frames, t)
    assert again == [e]


def test_recent_frames_ring_buffer():
    frames, t = render(140, [], seed=1)
    det = FallingObjectDetector(facade(), pre_seconds=1.0, post_seconds=0.5, max_gap=0.3)
    run(det, frames, t)
    buf = det.recent_frames(0.0, 100.0)
    span = buf[-1][1] - buf[0][1]
    assert span <= 1.8 + 1e-9 and len(buf) >= 40
    i, ti, f = buf[-1]
    assert i == 139 and ti == pytest.approx(t[-1]) and np.array_equal(f, frames[-1])
    sub = det.recent_frames(t[-10], t[-5])
    assert [r[0] for r in sub] == list(range(130, 136))  # both ends inclusive
    # every buffered frame is the frame of its index (buffers are recycled, not shared)
    assert all(np.array_equal(f, frames[k]) for k, _, f in buf)
    # returned frames are copies: the ring moving on does not change them
    keep = det.recent_frames(t[-1], t[-1])[0][2].copy()
    got = det.recent_frames(t[-1], t[-1])[0][2]
    det = FallingObjectDetector(facade(), pre_seconds=1.0, post_seconds=0.5, max_gap=0.3)
    for f, ti in zip(frames, t):
        det.update(f, ti)
    got = det.recent_frames(t[-1], t[-1])[0][2]
    more, t_more = render(60, [], seed=2)
    for f, ti in zip(more, t_more + t[-1] + 1.0 / 25.0):
        det.update(f, ti)
    assert np.array_equal(got, keep)
    # and the ring reuses its memory instead of growing
    n_bufs = len(det._frames) + len(det._spare)
    assert n_bufs <= len(buf) + 2
    det2 = FallingObjectDetector(facade(), keep_frames=False)
    run(det2, frames[:5], t[:5])
    assert det2.recent_frames(0.0, 1.0) == []


def test_config_validation_and_json(tmp_path):
    with pytest.raises(ValueError, match="frame_diff"):
        FallingConfig(frame_diff=4)
    with pytest.raises(TypeError, match="shake"):
        FallingConfig(shake="yes")
    with pytest.raises(ValueError, match="unknown keys"):
        FallingConfig.from_dict({"threshold": 3})
    with pytest.raises(ValueError, match="g_band"):
        FallingConfig(rules={"g_band": [2, 1]})
    with pytest.raises(ValueError, match="emit"):
        FallingObjectDetector(None, emit="never")
    with pytest.raises(ValueError, match="confirm_margin: expected an int >= 0, got 1.5"):
        FallingConfig(confirm_margin=1.5)
    with pytest.raises(ValueError, match="confirm_margin"):
        FallingConfig(confirm_margin=-1)
    with pytest.raises(ValueError, match="slow_frames: expected an int >= 0, got 2.5"):
        FallingConfig(slow_frames=2.5)
    with pytest.raises(ValueError, match="flood_target_per_mpx: expected < flood_per_mpx"):
        FallingConfig(flood_per_mpx=100.0, flood_target_per_mpx=200.0)
    with pytest.raises(ValueError, match="flood_per_mpx"):
        FallingConfig(flood_per_mpx=-1.0)
    FallingConfig(flood_per_mpx=0.0, flood_target_per_mpx=200.0)  # disabled: no constraint
    with pytest.raises(TypeError, match="facade"):
        FallingObjectDetector({"polygon": []})
    p = tmp_path / "cfg.json"
    p.write_text(json.dumps({"min_drop_floors": 1.5, "rules": {"min_points": 6}}))
    cfg = FallingConfig.load(p)
    assert cfg.min_drop_floors == 1.5 and cfg.ballistic_rules.min_points == 6
    det = FallingObjectDetector(facade(), config=cfg, noise_k=4.0)
    assert det.config.noise_k == 4.0 and det.config.min_drop_floors == 1.5
    assert FallingConfig.from_dict(cfg.to_dict()) == cfg


def test_frame_checks():
    det = FallingObjectDetector(facade(image_size=(W, H)))
    with pytest.raises(ValueError, match="frame: expected 240x320"):
        det.update(np.zeros((100, 100), np.uint8), 0.0)
    with pytest.raises(TypeError, match="frame"):
        det.update(np.zeros((240, 320), np.float32), 0.0)
    det = FallingObjectDetector(facade())
    det.update(np.zeros((240, 320), np.uint8), 0.0)
    with pytest.raises(ValueError, match="frame"):
        det.update(np.zeros((120, 320), np.uint8), 0.04)
    # RGB frames are accepted
    det = FallingObjectDetector(facade())
    assert det.update(np.zeros((240, 320, 3), np.uint8), 0.0) == []


def test_reference_backend_agrees_with_rust():
    frames, t = render(60, [drop(190.0, 90.0, 0.3)], seed=12)
    a = FallingObjectDetector(facade(), backend="reference")
    evs_ref = run(a, frames, t)
    assert a.stats["backend"] == "reference"
    b = FallingObjectDetector(facade())
    evs = run(b, frames, t)
    assert len(evs_ref) == len(evs) == 1
    assert evs_ref[0]["origin"]["floor"] == evs[0]["origin"]["floor"] == 4
    assert abs(evs_ref[0]["t_alarm"] - evs[0]["t_alarm"]) <= 0.1


def test_pooling_finds_a_faint_object_in_night_noise():
    """Contrast 24 against noise sigma 8: a per-pixel threshold (3 sigma of the difference,
    ~34 grey levels) misses most of the object; 2x2 pooling halves the noise and finds it."""
    bg = np.full((H, W), 120.0)
    frames, t = render(60, [drop(150.0, 70.0, 0.3, r=4.0, v=96)], noise=8.0, bg=bg)
    fac = facade()
    auto = FallingObjectDetector(fac)
    evs = run(auto, frames, t)
    assert auto.stats["pool"] == 2
    assert len(evs) == 1
    o = evs[0]["origin"]
    # coarser (pooled: noisy, fragmentary) positions: the floor within one, the truth in the floor range
    assert abs(o["floor"] - 4) <= 1 and o["floor_range"][0] <= 4 <= o["floor_range"][1]
    assert abs(o["x"] - 150.0) < 6
    traj = np.array(evs[0]["trajectory"])
    true_y = 70.0 + 0.5 * G * (traj[:, 1] - 0.3) ** 2
    # positions back in image pixels (a wrong mapping would be off by tens of pixels; the
    # faint, slowly starting object gives fragmentary blobs a few pixels off at first)
    assert np.median(np.abs(traj[:, 3] - true_y)) < 6.0
    assert np.median(np.abs(traj[:, 2] - 150.0)) < 3.0
    # at full resolution the three-frame difference (noise of two frames) misses it ...
    full = FallingObjectDetector(fac, pool=1, motion="diff")
    assert run(full, frames, t) == []
    assert full.stats["pool"] == 1
    # ... while the silhouette against the averaged background (one frame's noise) holds it
    fullbg = run(FallingObjectDetector(fac, pool=1, motion="background"), frames, t)
    assert len(fullbg) == 1 and abs(fullbg[0]["origin"]["floor"] - 4) <= 1
    # disjoint 2x2 blocks (faster, coarser) find it too, positions mapped back to pixels
    blk = run(FallingObjectDetector(fac, pool_mode="block"), frames, t)
    assert len(blk) == 1
    tb = np.array(blk[0]["trajectory"])
    assert np.median(np.abs(tb[:, 3] - (70.0 + 0.5 * G * (tb[:, 1] - 0.3) ** 2))) < 6.0
    # the reference (numpy) motion path pools the same way
    ref = run(FallingObjectDetector(fac, backend="reference"), frames, t)
    assert len(ref) == 1 and abs(ref[0]["origin"]["floor"] - 4) <= 1


def test_pool_auto_stays_full_resolution_on_clean_video():
    frames, t = render(20, [], noise=2.0)
    det = FallingObjectDetector(facade())
    run(det, frames, t)
    assert det.stats["pool"] == 1
    with pytest.raises(ValueError, match="pool"):
        FallingConfig(pool=3)
    with pytest.raises(ValueError, match="pool_mode"):
        FallingConfig(pool_mode="median")


def test_long_fall_seen_in_two_pieces_is_one_event():
    # alarm after one floor (40 px); the object is hidden for 0.4 s after its alarm (longer
    # than max_gap: the first track ends) and falls on, long enough to alarm on its own
    # (without the merge: 3 events, the edge fragment of the first piece included)
    base = drop(180.0, 30.0, 0.2, r=3.0)

    def hidden(t):
        return None if 1.15 <= t < 1.55 else base(t)

    frames, t = render(56, [hidden])
    det = FallingObjectDetector(facade(), min_drop_floors=1.0, max_gap=0.2, link_gap=0.0)
    evs = run(det, frames, t)
    assert det.stats["alarms"] == 1
    assert len(evs) == 1
    assert evs[0]["origin"]["floor"] == 5  # y=30: the top floor, [20, 60)


@pytest.mark.parametrize("motion", ["diff", "background"])
def test_low_frame_rate_content_among_clutter_suite_clip(motion):
    # the standard suite's facade_fall_04: a flowerpot, content at 8.3 fps in a 25 fps
    # stream, among insects, branches and clouds. Its early detections go to clutter tracks;
    # the fall's own track (4 samples before it leaves the image) gathers them back
    from anfang.synth import suite_spec
    from anfang.synth._suite import render as render_suite

    spec = next(c for c in suite_spec() if c["name"] == "facade_fall_04")
    clip = render_suite(spec)
    fac = Facade.from_calibration(clip.truth["calibration"])
    det = FallingObjectDetector(fac, motion=motion)
    evs = det.run(zip(clip.frames, clip.t))
    if motion == "diff":  # the fall's track gathers its early detections back
        assert det.stats["gathered"] >= 1
    assert len(evs) == 1
    truth = clip.truth["events"][0]
    assert evs[0]["origin"]["floor"] == truth["origin"]["floor"]
    assert truth["t_release"] < evs[0]["t_alarm"] < truth["t_release"] + 3.0


def test_a_busy_scene_needs_longer_tracks(monkeypatch):
    # the same clear drop judged as in a quiet scene and as in a busy one (many blobs a
    # frame): busy, the alarm waits for busy_min_points samples
    frames, t = render(60, [drop(160.0, 40.0, 0.2, vx=5.0, vy=150.0)])
    quiet = FallingObjectDetector(facade(), min_drop_floors=0.5)
    e0 = run(quiet, frames, t)
    busy = FallingObjectDetector(facade(), min_drop_floors=0.5)
    monkeypatch.setattr(busy, "_busy", lambda: True)
    e1 = run(busy, frames, t)
    assert len(e0) == len(e1) == 1
    d0, d1 = e0[0].to_dict(), e1[0].to_dict()

    def samples_at_alarm(d):
        return sum(1 for r in d["trajectory"] if r[0] <= d["frame_alarm"])

    assert samples_at_alarm(d0) < 8 <= samples_at_alarm(d1)
    assert d1["frame_alarm"] > d0["frame_alarm"]
    # off: as quiet
    off = FallingObjectDetector(facade(), min_drop_floors=0.5, busy_min_points=0)
    monkeypatch.setattr(off, "_busy", lambda: True)
    assert run(off, frames, t)[0].to_dict()["frame_alarm"] == d0["frame_alarm"]


def test_busy_is_a_running_blob_density():
    det = FallingObjectDetector()
    assert not det._busy()  # before any frame
    det._full_shape = (360, 640)  # 0.23 megapixels: busy above 46 blobs a frame
    det._nb = 50.0
    assert det._busy()
    det._nb = 40.0
    assert not det._busy()


def test_the_blob_density_is_kept_without_the_flood_gain():
    # _busy reads the running blob count; it is kept with the constant false-alarm rate off too
    frames, t = render(30, [drop(160.0, 40.0, 0.2, vx=5.0, vy=150.0)])
    for flood in (800.0, 0.0):
        det = FallingObjectDetector(facade(), flood_per_mpx=flood)
        run(det, frames, t)
        assert det._nb > 0.0


def _windows_bg(seed=0):
    """A facade with fine texture: 6x8 px window panes every 12 x 16 px, plus grain."""
    bg = background(seed)
    yy, xx = np.mgrid[0:H, 0:W]
    bg[((xx % 12) < 6) & ((yy % 16) < 8)] -= 60
    return np.clip(bg, 10, 240)


def _render_light(n, path, sigma=5.0, gain=1.2, seed=0, noise=2.0):
    """Frames with light (a Gaussian spot multiplying the wall) moving along ``path``."""
    rng = np.random.default_rng(seed + 1)
    base = _windows_bg(seed)
    yy, xx = np.mgrid[0:H, 0:W]
    t = np.arange(n) / FPS
    frames = np.empty((n, H, W), np.uint8)
    for i in range(n):
        img = base.copy()
        p = path(t[i])
        if p is not None:
            img *= 1 + gain * np.exp(-((xx - p[0]) ** 2 + (yy - p[1]) ** 2) / (2 * sigma**2))
        img = img + rng.normal(0, noise, (H, W))
        frames[i] = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    return frames, t


def test_light_swept_down_the_wall_like_a_fall_does_not_alarm():
    """A reflection of the sun sliding down the facade exactly as a dropped object would:
    physics cannot tell them apart, the wall's texture under it can."""
    path = drop(170.0, 50.0, 0.3)
    frames, t = _render_light(45, path)
    det = FallingObjectDetector(facade())
    assert run(det, frames, t) == []
    assert det.stats["glare"] >= 1
    # the same frames alarm with the test off: it is what refuses them
    off = FallingObjectDetector(facade(), glare_min_corr=0)
    assert len(run(off, frames, t)) == 1 and off.stats["glare"] == 0
    # an object on the same path in front of the same wall alarms
    obj_frames, t2 = render(45, [drop(170.0, 50.0, 0.3, r=5.0, v=235)], bg=_windows_bg())
    det2 = FallingObjectDetector(facade())
    assert len(run(det2, obj_frames, t2)) == 1 and det2.stats["glare"] == 0


def test_light_texture_tells_light_from_objects():
    from anfang.falling.detector import light_texture

    rng = np.random.default_rng(5)
    wall = rng.uniform(30, 170, (40, 40))
    w8 = np.rint(wall).astype(np.uint8)
    box = (10, 10, 30, 30)
    # light: the texture kept at full strength, brighter
    corr, slope, change = light_texture(np.clip(np.rint(wall * 1.4), 0, 255).astype(np.uint8), w8, box)
    assert corr > 0.95 and 0.9 < slope < 1.1 and change > 0
    # an opaque object hides it
    obj = wall.copy()
    obj[9:31, 9:31] = 210.0 + rng.normal(0, 2, (22, 22))
    corr, slope, change = light_texture(np.rint(obj).astype(np.uint8), w8, box)
    assert abs(corr) < 0.3 and abs(slope) < 0.3
    # an object seen partly through (opacity a): the texture weakened by about (1 - a) B / C
    a = 0.5
    half = (1 - a) * wall + a * 235.0
    corr, slope, change = light_texture(np.rint(half).astype(np.uint8), w8, box)
    inner = (slice(10, 30), slice(10, 30))
    expect = float(np.median((1 - a) * wall[inner] / half[inner]))
    assert corr > 0.9 and abs(slope - expect) < 0.12 and slope < 0.7
    # the camera moved between the frames: the reference is read further by (dx, dy)
    big = rng.uniform(30, 170, (60, 60))
    cur = np.clip(np.rint(big[5:45, 7:47] * 1.4), 0, 255).astype(np.uint8)
    ref = np.zeros((40, 40), np.uint8)
    ref[:35, :33] = np.rint(big[:35, :33]).astype(np.uint8)  # ref[i, j] = big[i, j]
    corr, slope, _ = light_texture(cur, ref, (5, 5, 20, 20), dx=7, dy=5)
    assert corr > 0.95 and 0.9 < slope < 1.1
    # a fractional shift: both frames are read with the same bilinear damping, so light
    # still has slope 1 (band-limited texture, sampled exactly at the shifted places)
    rs = np.random.default_rng(1)
    waves = [(rs.uniform(0.3, 1.2), rs.uniform(0.3, 1.2), rs.uniform(0, 6)) for _ in range(6)]
    yy, xx = np.mgrid[0:80, 0:80].astype(float)

    def tex(x, y):
        return 100 + sum(12 * np.sin(a * x + b * y + p) for a, b, p in waves)

    for dx, dy in [(0.3, 0.0), (-0.4, 0.25), (1.5, -2.7), (0.5, 0.5)]:
        now = np.rint(1.3 * tex(xx + dx, yy + dy)).astype(np.uint8)
        corr, slope, change = light_texture(now, np.rint(tex(xx, yy)).astype(np.uint8),
                                            (20, 20, 50, 50), dx, dy)
        assert corr > 0.98 and abs(slope - 1) < 0.05 and change > 0, (dx, dy)
    # nothing to tell: a plain wall, too few changed pixels, a box off the frame
    flat = np.full((40, 40), 120, np.uint8)
    assert light_texture(np.full((40, 40), 170, np.uint8), flat, box) is None
    assert light_texture(w8, w8, box) is None
    assert light_texture(w8, w8, (-20, -20, -5, -5)) is None
    with pytest.raises(ValueError, match="cur, ref"):
        light_texture(w8, w8[:10], box)
    with pytest.raises(ValueError, match="dx, dy"):
        light_texture(w8, w8, box, dx=float("nan"))


@settings(max_examples=60, deadline=None)
@given(h=st.integers(0, 12), w=st.integers(0, 12), x0=st.floats(-20, 20), y0=st.floats(-20, 20),
       bw=st.floats(0, 30), bh=st.floats(0, 30), dx=st.floats(-8, 8), dy=st.floats(-8, 8),
       fill=st.sampled_from(["random", "on", "off"]))
def test_light_texture_never_fails_on_odd_shapes_and_boxes(h, w, x0, y0, bw, bh, dx, dy, fill):
    from anfang.falling.detector import light_texture

    rng = np.random.default_rng(h * 13 + w)
    if fill == "random":
        a = rng.integers(0, 256, (h, w)).astype(np.uint8)
        b = rng.integers(0, 256, (h, w)).astype(np.uint8)
    else:
        a = np.full((h, w), 255 if fill == "on" else 0, np.uint8)
        b = np.zeros((h, w), np.uint8)
    r = light_texture(a, b, (x0, y0, x0 + bw, y0 + bh), dx, dy)
    assert r is None or (len(r) == 3 and all(np.isfinite(v) for v in r) and -1.0 - 1e-9 <= r[0] <= 1.0 + 1e-9)


def test_light_test_takes_the_coded_blocks_noise_in_coded_video():
    """In coded video the robust sigma collapses (most differences are exactly 0), while
    the codec requantises textured blocks by a few grey levels: with the collapsed sigma
    that keeps the wall's texture and looks like light; the light test takes the noise
    the threshold floor assumes instead."""
    from anfang.falling.detector import light_texture

    rng = np.random.default_rng(8)
    wall = rng.uniform(40, 170, (40, 40))
    ref = np.rint(wall).astype(np.uint8)
    # the textured blocks coded again a little brighter (4 % more: +2 to +7 levels)
    requant = np.clip(np.rint(wall * 1.04), 0, 255).astype(np.uint8)
    box = (10, 10, 30, 30)
    corr, slope, change = light_texture(requant, ref, box, sigma=0.5)
    assert corr > 0.95 and slope > 0.9 and change > 0  # "light" at the collapsed sigma
    assert light_texture(requant, ref, box, sigma=10.0 / 3.0) is None  # nothing to tell
    # the detector takes that noise once it has recognised coded video, not before
    frames, t = render(40, [drop(190.0, 90.0, 0.3, vx=6.0)], noise=1.5)
    coded = FallingObjectDetector(facade())
    run(coded, _skip_blocks(frames, 0.2), t)
    assert coded.stats["codec"] is True and coded._sigma < 1.0
    assert coded._light_sigma() == pytest.approx(10.0 / coded.config.noise_k)
    plain = FallingObjectDetector(facade())
    run(plain, frames, t)
    assert plain.stats["codec"] is False and plain._light_sigma() == pytest.approx(plain._sigma)


def test_camera_move_in_the_frame_of_a_light_change_is_measured():
    """A light change restarts the differencing; the camera's move in that same frame must
    still be measured (the brightness matched first), or every later position is off by
    it and the fall's trajectory bends."""
    for seed in range(3):
        jit = np.random.default_rng(seed).integers(-2, 3, (60, 2))
        jit[20] = jit[19] + (2, -2)  # the camera moves in the frame the light changes
        frames, t = render(60, [drop(190.0, 80.0, 0.3, vx=6.0)], seed=9,
                           shake=lambda ti: tuple(jit[int(round(ti * FPS))]),
                           gain=lambda ti: 1.0 if ti < 20 / FPS - 1e-9 else 0.7)
        det = FallingObjectDetector(facade())
        pos, events = [], []
        for f, ti in zip(frames, t):
            events += det.update(f, ti)
            pos.append(det._pos)
        events += det.finish()
        assert det.stats["light_changes"] >= 1
        err = np.asarray(pos) - jit
        assert np.abs(err - err[-1]).max() < 0.5, seed  # one offset throughout
        assert len(events) == 1 and events[0]["origin"]["floor"] == 4
        assert events[0]["fit_rms"] < 0.25


def test_light_is_judged_again_on_the_whole_track_before_its_event_goes_out():
    """At the alarm the test may not tell yet (few samples in the kept frames); the event
    waits for the track's end (emit="end"), and is dropped if the whole track is light;
    an on_alarm callback is told the alarm, then its withdrawal."""
    frames, t = _render_light(45, drop(170.0, 50.0, 0.3))
    got = []
    det = FallingObjectDetector(facade(), on_alarm=got.append)
    real = det._lit
    calls = []

    def undecided_at_the_alarm(rows):
        calls.append(len(rows))
        return None if len(calls) == 1 else real(rows)

    det._lit = undecided_at_the_alarm
    assert run(det, frames, t) == []
    assert det.stats["alarms"] == 1 and det.stats["glare"] >= 1
    assert len(calls) >= 2 and max(calls[1:]) > calls[0]  # the alarmed track, grown
    assert [n.details["status"] for n in got] == ["alarm", "withdrawn"]
    assert got[1].details["reason"] == "light" and got[0].track_id == got[1].track_id
    assert got[1].frame_end > got[0].frame_end  # judged on the whole track
    # with the event out at the alarm, nothing is taken back (the log keeps what it wrote)
    det2 = FallingObjectDetector(facade(), emit="alarm")
    real2 = det2._lit
    det2._lit = lambda rows: None if len(rows) < 40 else real2(rows)
    assert len(run(det2, frames, t)) == 1


def test_on_alarm_gets_the_alarm_at_once_and_the_event_follows_with_the_same_id():
    frames, t = render(60, [drop(190.0, 90.0, 0.3, vx=6.0), drop(80.0, 70.0, 0.5)])
    got = []
    det = FallingObjectDetector(facade(), on_alarm=lambda ev: got.append((det.frame_index, ev)))
    events = []
    for f, ti in zip(frames, t):
        new = det.update(f, ti)
        assert not new or len(got) == 2  # both alarms came before the first complete event
        events += new
    events += det.finish()
    assert len(events) == 2 and len(got) == 2
    by_id = {e.track_id: e for e in events}
    for frame_now, note in got:
        d = note.to_dict()
        assert d["status"] == "alarm" and "reason" not in d
        # handed over during the frame of the alarm, with the trajectory so far
        assert frame_now == d["frame_alarm"] == d["frame_end"] and d["t_end"] == d["t_alarm"]
        final = by_id[note.track_id].to_dict()
        assert "status" not in final and final["t_alarm"] == d["t_alarm"]
        assert final["frame_end"] > d["frame_end"]
        # the complete track holds what was seen by the alarm (and may have gained
        # fragments merged in since)
        assert {tuple(r) for r in d["trajectory"]} <= {tuple(r) for r in final["trajectory"]}
        assert final["origin"]["floor"] == d["origin"]["floor"]
    # the events themselves are those of a detector without the callback (ids aside)
    plain = run(FallingObjectDetector(facade()), frames, t)
    strip = lambda e: {k: v for k, v in e.to_dict().items() if k != "track_id"}  # noqa: E731
    assert sorted(map(json.dumps, map(strip, plain))) == sorted(map(json.dumps, map(strip, events)))
    # with emit="alarm" the returned event is the notice's, without the status
    got.clear()
    det = FallingObjectDetector(facade(), emit="alarm", on_alarm=lambda ev: got.append((det.frame_index, ev)))
    out = run(det, frames, t)
    assert [e.track_id for e in out] == [n.track_id for _, n in got]
    for e, (_, n) in zip(out, got):
        assert {**e.to_dict(), "status": "alarm"} == n.to_dict()
    with pytest.raises(TypeError, match="on_alarm: expected a callable"):
        FallingObjectDetector(facade(), on_alarm="print")


def _skip_blocks(frames, keep_frac, seed=0, block=16):
    """Frames as a codec that copies static blocks delivers them: in each frame only
    ``keep_frac`` of the 16x16 blocks are new, the others repeat the previous frame."""
    rng = np.random.default_rng(seed)
    out = frames.copy()
    H_, W_ = frames.shape[1:]
    for k in range(1, len(frames)):
        new = rng.random(((H_ + block - 1) // block, (W_ + block - 1) // block)) < keep_frac
        m = np.kron(new, np.ones((block, block), bool))[:H_, :W_]
        out[k] = np.where(m, frames[k], out[k - 1])
    return out


def test_coded_video_gets_the_codec_threshold_floor():
    frames, t = render(40, [drop(190.0, 90.0, 0.3, vx=6.0)], noise=1.5)
    plain = FallingObjectDetector(facade())
    ev_plain = run(plain, frames, t)
    assert plain.stats["codec"] is False and len(ev_plain) == 1
    # the same stream with most blocks copied from the previous frame, as a codec skips
    # them: the robust sigma of the difference collapses, the floor holds the threshold
    coded = _skip_blocks(frames, 0.2)
    zero = float((np.diff(coded[:, ::2, ::2].astype(int), axis=0) == 0).mean())
    assert zero > 0.6
    det = FallingObjectDetector(facade())
    run(det, coded, t)
    assert det.stats["codec"] is True and det.stats["threshold"] >= 10.0
    off = FallingObjectDetector(facade(), codec_zero_frac=0)
    run(off, coded, t)
    assert off.stats["codec"] is False and off.stats["threshold"] < 10.0
    lower = FallingObjectDetector(facade(), codec_min_threshold=7.5)
    run(lower, coded, t)
    assert lower.stats["codec"] is True and 7.5 <= lower.stats["threshold"] < 10.0
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="codec_zero_frac"):
            FallingObjectDetector(facade(), codec_zero_frac=bad)


def test_h264_video_is_recognised_as_coded():
    pytest.importorskip("av")
    from anfang.io.video import h264_roundtrip

    frames, t = render(30, [drop(190.0, 90.0, 0.3, vx=6.0)], noise=1.5)
    det = FallingObjectDetector(facade())
    run(det, h264_roundtrip(frames, t, crf=23), t)
    assert det.stats["codec"] is True
