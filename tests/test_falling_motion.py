"""The falling detector's motion front end and physics frame: shake measured against a
reference frame, the edge-aware threshold on aligned frames, background silhouettes, the
rectified (facade-plane) physics and judging tracks that leave the picture."""

import dataclasses
from collections import deque

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anfang import motion
from anfang.falling import Facade, FallingObjectDetector
from anfang.falling import _reference as ref
from anfang.falling.physics import GRAVITY
from anfang.synth import facade as render_facade

W, H = 320, 240


def flat_facade():
    # 5 floors of 40 px between y=20 and y=220, 3 m each: 13.3 px/m, g = 130.8 px/s²
    return Facade.from_corners([[40, 20], [280, 20], [280, 220], [40, 220]], floors=5, columns=4)


def scene(n, disc=None, noise=2.0, seed=0):
    """Frames of a textured wall; ``disc(t) -> (x, y, r, value)`` or None draws an object."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W]
    bg = 150 + 25 * np.sin(xx / 7.0) * np.cos(yy / 11.0)
    bg[((yy - 20) % 40) < 3] -= 40
    t = np.arange(n) / 25.0
    out = np.empty((n, H, W), np.uint8)
    for i in range(n):
        img = bg.copy()
        p = disc(t[i]) if disc is not None else None
        if p is not None:
            x, y, r, v = p
            img[(xx - x) ** 2 + (yy - y) ** 2 <= r * r] = v
        out[i] = np.clip(np.rint(img + rng.normal(0, noise, (H, W))), 0, 255).astype(np.uint8)
    return out, t


def falling_disc(x0, y0, t0, r, value, g=9.81 * 40 / 3.0):
    def f(t):
        if t < t0:
            return None
        y = y0 + 0.5 * g * (t - t0) ** 2
        return None if y > H + r else (x0, y, r, value)
    return f


# -- shake -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def shaky_clip():
    # sub-pixel shake of 3 px amplitude over a facade with 1-px balcony railings, no fall
    return render_facade(seed=7, seconds=3.0, falls=0, distractors=["shake"], shake=3.0,
                         night=False, noise=2.0)


def test_shake_offset_follows_the_camera_without_drift(shaky_clip):
    clip = shaky_clip
    fac = Facade.from_calibration(clip.truth["calibration"])
    det = FallingObjectDetector(fac)
    sh = np.asarray(clip.truth["shake"], dtype=np.float64)
    err = []
    for i, (f, t) in enumerate(zip(clip.frames, clip.t)):
        assert det.update(f, t) == []
        if i >= 2:
            err.append(np.hypot(*(np.asarray(det._pos) - (sh[i] - sh[0]))))
    err = np.asarray(err)
    # measured against a reference frame, the offset does not drift over the clip
    assert np.median(err) < 0.2 and err.max() < 0.6
    assert np.median(err[-20:]) < 0.25


def test_edge_aware_threshold_on_aligned_frames(shaky_clip):
    clip = shaky_clip
    fac = Facade.from_calibration(clip.truth["calibration"])
    counts = {}
    for k in (0.0, 0.5):
        det = FallingObjectDetector(fac, shake_edge_k=k, motion="diff")
        assert det.run(zip(clip.frames, clip.t)) == []
        counts[k] = det.stats["blobs"]
    # resampled railings and window edges are not motion
    assert counts[0.5] * 10 < counts[0.0]


# -- background silhouettes ----------------------------------------------------------------
def test_background_gives_the_whole_silhouette_of_a_large_faint_object():
    r = 12.0  # a 24 px object at contrast 14 against noise 2.5
    frames, t = scene(45, falling_disc(150.0, 40.0, 0.3, r, 164), noise=2.5, seed=3)
    fac = flat_facade()
    evs = FallingObjectDetector(fac).run(zip(frames, t))
    assert len(evs) == 1
    ev = evs[0]
    assert ev["origin"]["floor"] == 5 and ev["origin"]["floor_range"][0] <= 5
    # the blobs are whole discs (area pi r^2 = 452 px), not edge slivers
    assert ev["size"] > 0.6 * np.pi * r * r
    traj = np.asarray(ev["trajectory"])
    true_y = 40.0 + 0.5 * (9.81 * 40 / 3.0) * (traj[:, 1] - 0.3) ** 2
    assert np.median(np.abs(traj[:, 3] - true_y)) < 2.0
    # the three-frame difference sees slivers of it
    d = FallingObjectDetector(fac, motion="diff")
    evd = d.run(zip(frames, t))
    assert len(evd) == 1 and evd[0]["size"] < 0.2 * np.pi * r * r


def test_background_ignores_a_parked_change_and_repeated_frames():
    # a bright square appears and stays (a window lit at night): no alarm, and 8 fps
    # content in a 25 fps stream (each content shown 3 times with fresh noise) still alarms once
    def lit(t):
        return (250.0, 100.0, 8.0, 250) if t > 0.4 else None

    frames, t = scene(60, lit, seed=5)
    assert FallingObjectDetector(flat_facade()).run(zip(frames, t)) == []
    fall = falling_disc(150.0, 60.0, 0.2, 3.0, 30)
    slow = lambda tt: fall(np.floor(tt * 25.0 / 3.0) * 3.0 / 25.0)  # noqa: E731
    frames, t = scene(45, slow, seed=6)
    det = FallingObjectDetector(flat_facade())
    evs = det.run(zip(frames, t))
    assert len(evs) == 1 and abs(evs[0]["origin"]["floor"] - 4) <= 1


# -- rectified physics ------------------------------------------------------------------------
def test_physics_on_the_facade_plane_under_perspective():
    # a steep view: 12 floors whose image height shrinks fourfold from bottom to top
    fac = Facade.from_corners([[260, 20], [380, 20], [520, 460], [120, 460]], floors=12,
                              columns=4)
    t = np.arange(0, 1.6, 0.04)
    v = 11.5 - 0.5 * GRAVITY * t**2 / fac.floor_height_m  # floors, released at rest
    xy = fac.to_image(np.column_stack([np.full_like(t, 2.0), v - fac.lowest_floor]))
    n = len(t)
    a = {"frame": np.arange(n), "t": t, "x": xy[:, 0], "y": xy[:, 1], "xs": xy[:, 0],
         "ys": xy[:, 1], "area": np.full(n, 9.0),
         "bbox": np.column_stack([xy[:, 0] - 1.5, xy[:, 1] - 1.5, xy[:, 0] + 1.5, xy[:, 1] + 1.5])}
    flat = FallingObjectDetector(fac, rectify=False)._evaluate(a)[1]
    rect = FallingObjectDetector(fac)._evaluate(a)[1]
    # in the image the acceleration grows along the fall; on the plane it is g
    assert abs(rect.features["g_ratio"] - 1.0) < 0.05, rect.features
    assert flat.features["g_ratio"] > 1.25
    assert rect.accepted, rect.reasons


# -- leaving the picture ----------------------------------------------------------------------
def test_a_fall_leaving_the_picture_before_two_floors_is_judged_when_it_leaves():
    # released at y=170 (floor 2): the frame ends 70 px (1.75 floors) below
    frames, t = scene(40, falling_disc(150.0, 170.0, 0.2, 3.0, 30), seed=8)
    fac = flat_facade()
    evs = FallingObjectDetector(fac).run(zip(frames, t))
    assert len(evs) == 1 and evs[0]["origin"]["floor"] == 2
    assert FallingObjectDetector(fac, exit_drop_floors=2.0).run(zip(frames, t)) == []


def test_motion_settings_are_checked():
    with pytest.raises(ValueError, match="motion"):
        FallingObjectDetector(motion="optical-flow")
    with pytest.raises(ValueError, match="bg_alpha"):
        FallingObjectDetector(bg_alpha=0.0)
    with pytest.raises(ValueError, match="bg_k"):
        FallingObjectDetector(bg_k=-1.0)
    with pytest.raises(TypeError, match="rectify"):
        FallingObjectDetector(rectify="yes")


# -- kernels: the numpy reference path against the Rust one -----------------------------------
@settings(max_examples=40, deadline=None)
@given(h=st.integers(0, 9), w=st.integers(0, 11), seed=st.integers(0, 2**16),
       thr=st.floats(0, 40), k=st.sampled_from([0.0, 0.3, 0.5, 1.7]))
def test_reference_diff3_edge_matches_rust(h, w, seed, thr, k):
    rng = np.random.default_rng(seed)
    p2, p1, cur = (rng.integers(0, 256, (h, w), dtype=np.uint8) for _ in range(3))
    assert np.array_equal(ref.diff_mask3_edge(p2, p1, cur, thr, k),
                          motion.diff_mask3_edge(p2, p1, cur, thr, k))


@settings(max_examples=40, deadline=None)
@given(h=st.integers(0, 9), w=st.integers(0, 11), seed=st.integers(0, 2**16),
       thr=st.floats(0, 40), alpha=st.floats(0.01, 1.0), k=st.sampled_from([0.0, 0.5]))
def test_reference_background_step_matches_rust(h, w, seed, thr, alpha, k):
    rng = np.random.default_rng(seed)
    b0 = rng.uniform(0, 255, (h, w)).astype(np.float32)
    f = rng.integers(0, 256, (h, w), dtype=np.uint8)
    b1, b2 = b0.copy(), b0.copy()
    m1 = ref.background_step(b1, f, thr, alpha, 0.1, k)
    m2 = motion.background_step(b2, f, thr, alpha, 0.1, k)
    assert np.array_equal(m1, m2)
    np.testing.assert_allclose(b1, b2, rtol=0, atol=1e-3)


@pytest.fixture(scope="module")
def shaky_fall_clip():
    # a fall among birds and insects in 2 px of shake (aligned frames, invalid border strips)
    return render_facade(seed=11, seconds=4.0, falls=1, distractors=["shake", "birds", "insects"],
                         shake=2.0, night=False, noise=2.0)


def test_windowed_confirmation_matches_the_full_frame_one(shaky_fall_clip):
    # silhouettes are confirmed by the frame difference labelled in a window around each box;
    # with a window covering the frame this is exactly the full-frame test (the kernel's own
    # tests), so the detector's blobs, tracks and events must not change with the default one
    clip = shaky_fall_clip
    fac = Facade.from_calibration(clip.truth["calibration"])
    runs = []
    for margin in (32, 10**6):
        det = FallingObjectDetector(fac, confirm_margin=margin)
        evs = det.run(zip(clip.frames, clip.t))
        runs.append((det.stats["blobs"], det.stats["tracks"],
                     [(e.frame_start, e.frame_end, e.details["origin"]["floor"]) for e in evs]))
    assert runs[0][2], "the fall must be found"
    assert runs[0] == runs[1]


def test_windowed_confirmation_ignores_the_alignment_strips():
    # the strips the alignment uncovers hold no valid difference: a silhouette box at the
    # border is confirmed only by motion inside the valid region
    m = FallingObjectDetector()._motion
    rng = np.random.default_rng(3)
    a = rng.integers(0, 256, (40, 60), dtype=np.uint8)
    b, c = a.copy(), a.copy()
    c[10:20, 0:3] = 255 - a[10:20, 0:3]  # a change only inside a 3 px left strip
    b[10:20, 0:3] = 128
    box = np.array([[0.0, 8.0, 6.0, 22.0]])
    assert m.diff3_blob(b, a, c, box, 20.0, 0.0, 32, None)[0]
    assert not m.diff3_blob(b, a, c, box, 20.0, 0.0, 32, (3, 0, 57, 40))[0]


def test_release_traced_back_on_the_facade_plane():
    # seen only from 0.45 s after its release at floor 10.5 of a steep view: the back-trace
    # on the plane finds the release time and floor
    fac = Facade.from_corners([[260, 20], [380, 20], [520, 460], [120, 460]], floors=12,
                              columns=4)
    t_rel, v_rel = 0.2, 10.5
    t = np.arange(t_rel + 0.45, t_rel + 1.3, 0.04)
    v = v_rel - 0.5 * GRAVITY * (t - t_rel) ** 2 / fac.floor_height_m
    xy = fac.to_image(np.column_stack([np.full_like(t, 1.5), v - fac.lowest_floor]))
    n = len(t)
    a = {"frame": np.arange(n), "t": t, "x": xy[:, 0], "y": xy[:, 1], "xs": xy[:, 0],
         "ys": xy[:, 1], "area": np.full(n, 9.0),
         "bbox": np.column_stack([xy[:, 0] - 1.5, xy[:, 1] - 1.5, xy[:, 0] + 1.5, xy[:, 1] + 1.5])}
    det = FallingObjectDetector(fac)
    fit, _ = det._evaluate(a)
    o = det._origin(a, fit)
    assert o.method.endswith("-plane")
    assert abs(o.t - t_rel) < 0.03
    assert o.floor == int(v_rel) and o.floor_range[0] <= int(v_rel) <= o.floor_range[1]
    assert o.column == 1
    p = fac.to_image([[1.5, v_rel - fac.lowest_floor]])[0]
    assert np.hypot(o.x - p[0], o.y - p[1]) < 2.0


def _late_track(fac, rng, t_rel=0.2, v_rel=10.5, after=0.7, span=0.9, noise=0.6):
    # seen from ``after`` s after its release at floor ``v_rel``, positions with pixel noise
    t = np.arange(t_rel + after, t_rel + after + span, 0.04)
    v = v_rel - 0.5 * GRAVITY * (t - t_rel) ** 2 / fac.floor_height_m
    xy = fac.to_image(np.column_stack([np.full_like(t, 1.5), v - fac.lowest_floor]))
    xy = xy + rng.normal(0, noise, xy.shape)
    n = len(t)
    return {"frame": np.arange(n), "t": t, "x": xy[:, 0], "y": xy[:, 1], "xs": xy[:, 0],
            "ys": xy[:, 1], "area": np.full(n, 9.0),
            "bbox": np.column_stack([xy[:, 0] - 1.5, xy[:, 1] - 1.5, xy[:, 0] + 1.5, xy[:, 1] + 1.5])}


def test_back_trace_with_the_known_g_is_closer_for_late_tracks():
    # a heavy object first seen 0.7 s after its release, positions with 0.6 px noise: with the
    # acceleration fixed at g (it is consistent with g) the extrapolated release height is
    # several times closer than with the fitted acceleration
    fac = Facade.from_corners([[260, 20], [380, 20], [520, 460], [120, 460]], floors=12,
                              columns=4)
    rng = np.random.default_rng(5)
    err = {0.25: [], 0.0: []}
    for _ in range(30):
        a = _late_track(fac, rng)
        for tol in err:
            det = FallingObjectDetector(fac, known_g_tol=tol)
            fit, _ = det._evaluate(a)
            err[tol].append(abs(det._origin(a, fit).floor_value - 10.5))
    known, free = np.median(err[0.25]), np.median(err[0.0])
    assert known < 0.15 and known < 0.5 * free, (known, free)


def test_with_gravity_fixes_the_acceleration_and_refits_the_rest():
    from anfang.falling.physics import fit_track, with_gravity

    t = np.arange(12) / 25.0
    y = 40 + 30 * t + 0.5 * 300 * t**2
    f = with_gravity(fit_track(t, np.zeros(12), y + 5 * t**3), 300.0)  # a biased free fit
    assert f.accel == 300.0 and f.accel_se == 0.0 and f.py[2] == 300.0
    assert f.cov_y[2, 2] == 0.0 and f.cov_y[0, 0] > 0
    g = with_gravity(fit_track(t, np.zeros(12), y), 300.0)
    np.testing.assert_allclose(g.py[:2], [40.0, 30.0], atol=1e-6)
    one = fit_track(t[:6], np.zeros(6), y[:6])
    with pytest.raises(ValueError, match="fit"):
        with_gravity(dataclasses.replace(one, t=one.t[:1], y=one.y[:1], w=one.w[:1]), 300.0)


def test_the_event_keeps_the_alarm_release_point():
    # emitted at the end of the track, the event reports the release point found at the
    # alarm when the track's start is unchanged (the whole, longer track's robust fit may
    # reject its early samples); it is traced again only when a fragment joined in front
    fac = flat_facade()
    frames, t = scene(45, falling_disc(150, 40, 0.2, 3, 40))
    det = FallingObjectDetector(fac, slow_frames=0)
    for f, tt in zip(frames, t):
        det.update(f, tt)
        if det.stats["alarms"]:
            break
    tr = det._alarmed[0]
    traced = []
    trace = det._origin
    det._origin = lambda a, fit, v=None, followed=False: traced.append(int(a["frame"][0])) or trace(a, fit, v, followed)

    import copy
    same = copy.copy(tr)
    same.rows = list(tr.rows)
    ev = det._close(same)
    assert traced == []
    want = tr.alarm["origin"]
    got = ev.details["origin"]
    assert (got["t"], got["floor"], got["floor_value"], got["x"], got["y"]) == \
        (want.t, want.floor, want.floor_value, want.x, want.y)

    grown = copy.copy(tr)
    r0 = tr.rows[0]
    grown.rows = [(r0[0] - 1, r0[1] - 0.04) + r0[2:]] + list(tr.rows)
    grown.emitted = False
    det._close(grown)
    assert traced == [r0[0] - 1]


# -- the second hypothesis: slowly moving silhouettes on a tracker of their own ---------------
def test_slow_silhouettes_are_found_and_still_ones_are_not():
    # a disc creeping at 0.2 px per frame shows no frame-to-frame difference, but has moved
    # against the frames 4 and 8 back; a disc that appears and stays never moves
    def creeping(t):
        return (160, 100 + 5.0 * t, 5, 60)

    def parked(t):
        return (160, 100, 5, 60) if t >= 0.8 else None

    n = 50
    slow = {}
    for name, disc in (("creeping", creeping), ("parked", parked)):
        frames, t = scene(n, disc, noise=2.0, seed=4)
        det = FallingObjectDetector(flat_facade(), slow_frames=4)
        det.run(zip(frames, t))
        slow[name] = det.stats["slow"]
    assert slow["creeping"] >= n // 2
    # an appearance differs from both older frames only during its first 4 frames
    assert slow["parked"] <= 4
    det = FallingObjectDetector(flat_facade(), slow_frames=0)
    frames, t = scene(n, creeping, noise=2.0, seed=4)
    det.run(zip(frames, t))
    assert det.stats["slow"] == 0


def test_second_hypothesis_adds_no_duplicate_and_no_repeated_judgement():
    # a clean fall: both trackers follow it with the same samples; one event, and the twin
    # tracks of the second tracker are not judged again (same number of fits)
    frames, t = scene(45, falling_disc(150, 40, 0.2, 3, 40, g=9.81 * 40 / 3.0))
    out = {}
    for sf in (0, 4):
        det = FallingObjectDetector(flat_facade(), slow_frames=sf)
        evs = det.run(zip(frames, t))
        out[sf] = ([(e.frame_start, e.details["origin"]["floor"]) for e in evs], det.stats["fits"])
    assert len(out[4][0]) == 1 and out[4][0] == out[0][0]
    assert out[4][1] == out[0][1]


# -- compressed video: a constant false-alarm rate ---------------------------------------------
def test_threshold_gain_holds_the_blob_rate_on_compressed_video():
    # strong 8x8 block quantisation: most frame differences are exactly 0 (robust sigma ~0.5)
    # while whole blocks flip by many grey levels. Without the gain the blob count floods
    # (every frame over max_blobs, the fall lost); with it the fall is found
    clip = render_facade(seed=0, size=(480, 270), seconds=5.0, distractors="none",
                         falls=[{"size_px": 12, "contrast": 0.8, "type": "bottle", "t_release": 1.5}],
                         block_q=10.0, night=False, noise=2.0)
    fac = Facade.from_calibration(clip.truth["calibration"])
    truth = clip.truth["events"][0]
    out = {}
    for flood in (800.0, 0.0):  # the gain alone (without the codec floor)
        det = FallingObjectDetector(fac, flood_per_mpx=flood, codec_zero_frac=0)
        evs = det.run(zip(clip.frames, clip.t))
        out[flood] = (evs, det)
    evs, det = out[800.0]
    assert [e.details["origin"]["floor"] for e in evs] == [truth["origin"]["floor"]]
    assert det.stats["gain"] > 1.2 and det.stats["busy"] <= 10
    evs0, det0 = out[0.0]
    assert det0.stats["gain"] == 1.0 and det0.stats["busy"] > 100
    assert det0.stats["blobs"] > 5 * det.stats["blobs"]
    # with the codec floor (the default) this stream counts as coded: the threshold starts
    # at 10 grey levels, no flood builds up and the fall is found all the same
    det_c = FallingObjectDetector(fac)
    evs_c = det_c.run(zip(clip.frames, clip.t))
    assert det_c.stats["codec"] is True and det_c.stats["busy"] <= 10
    assert [e.details["origin"]["floor"] for e in evs_c] == [truth["origin"]["floor"]]


def test_threshold_gain_stays_off_on_clean_video():
    clip = render_facade(seed=3, size=(480, 270), seconds=3.0, distractors="none", falls=1,
                         night=False, noise=2.0)
    det = FallingObjectDetector(Facade.from_calibration(clip.truth["calibration"]))
    det.run(zip(clip.frames, clip.t))
    assert det.stats["gain"] == 1.0


# -- terminal speed: a bag seen only once it sinks steadily ------------------------------------
def test_terminal_speed_track_alarms_with_its_release_above_its_first_point():
    fac = flat_facade()  # 13.3 px/m
    v_px = 5.0 * 40 / 3.0  # 5 m/s

    def sinking(t):
        return (150, 45 + v_px * (t - 0.2), 4, 60) if t >= 0.2 else None

    frames, t = scene(70, sinking, noise=2.0, seed=5)
    det = FallingObjectDetector(fac)
    evs = det.run(zip(frames, t))
    assert len(evs) == 1
    o = evs[0].details["origin"]
    assert o["method"] == "terminal"
    first = np.asarray(evs[0].details["trajectory"])[0]
    assert abs(first[3] - 45) < 3 * v_px / 25.0  # picked up within three frames
    # seen at full speed from its first point: released above it, by the distance to reach
    # 95 % of 5 m/s under drag (the cap); the range reaches one floor above that
    rise = 5.0**2 / (2 * 9.81) * np.log(1 / (1 - 0.95**2))
    f_first = float(fac.floor_at(first[2], first[3]))
    assert o["floor_value"] == pytest.approx(f_first + rise / 3.0, abs=0.15)
    assert o["floor"] == int(np.floor(o["floor_value"]))
    assert tuple(o["floor_range"]) == (int(np.floor(f_first)), o["floor"] + 1)
    # the same object without the terminal-speed rule is not a fall
    det = FallingObjectDetector(fac, rules={"terminal_min_duration": 0})
    assert det.run(zip(frames, t)) == []


def test_terminal_release_point_follows_the_early_speed():
    # a light object judged steady (terminal speed vt): seen from its release it was slow
    # at first, so its release is near its first point; seen only at full speed, it was
    # released higher, by the distance to reach 95 % of vt under quadratic drag
    from anfang.falling.physics import Verdict

    fac = flat_facade()  # 13.3 px/m, floors 40 px
    s = 40 / 3.0
    vt, k = 4.0, 9.81 / 4.0**2
    tau = np.arange(0, 2.0, 0.04)
    fallen = np.log(np.cosh(np.sqrt(9.81 * k) * tau)) / k  # metres, from rest
    det = FallingObjectDetector(fac)
    v = Verdict(True, 0.5, (), {"terminal": 1.0, "terminal_speed": vt})
    out = {}
    for name, start in (("from_release", 0), ("late", 20)):
        y = 40 + s * fallen[start:]
        n = len(y)
        a = {"t": tau[start:], "x": np.full(n, 150.0), "y": y, "xs": np.full(n, 150.0),
             "ys": y, "area": np.full(n, 12.0), "frame": np.arange(start, start + n),
             "bbox": np.column_stack([np.full(n, 148.0), y - 2, np.full(n, 152.0), y + 2])}
        out[name] = det._origin_terminal(a, v)
    release = float(fac.floor_at(150, 40))
    early = out["from_release"]
    assert early.method == "terminal" and abs(early.floor_value - release) < 0.1
    late = out["late"]  # first seen 0.8 s after release, 0.99 vt
    first = float(fac.floor_at(150, 40 + s * fallen[20]))
    rise95 = vt**2 / (2 * 9.81) * np.log(1 / (1 - 0.95**2)) / 3.0  # floors
    assert late.floor_value == pytest.approx(first + rise95, abs=1e-3)
    assert late.floor_range == (int(np.floor(first)), int(np.floor(first + rise95)) + 1)
    assert late.floor_range[0] <= int(np.floor(release)) <= late.floor_range[1]


@given(vt=st.floats(2.5, 9.0), start=st.integers(0, 40), n=st.integers(4, 40),
       y0=st.floats(0.0, 50.0))
@settings(max_examples=60, deadline=None)
def test_drag_fit_recovers_the_distance_fallen_before_the_first_sample(vt, start, n, y0):
    # samples of a fall from rest under quadratic drag (25 frames/s), the first one
    # start / 25 s after the release: the fit finds how far it had fallen by then
    tau = np.arange(start, start + n) * 0.04
    fallen = vt * vt / GRAVITY * np.log(np.cosh(GRAVITY * tau / vt))
    got = FallingObjectDetector._drag_fallen(tau + 3.0, y0 + fallen, vt)
    # the release time is found on a 20 ms grid: a metre-scale error only at full speed
    assert got == pytest.approx(fallen[0], abs=0.02 * vt + 1e-6)


def test_drag_fit_needs_four_samples_and_a_speed():
    t = np.array([0.0, 0.04, 0.08])
    assert FallingObjectDetector._drag_fallen(t, t * 5.0, 5.0) == 0.0
    t = np.arange(6) * 0.04
    assert FallingObjectDetector._drag_fallen(t, t * 5.0, 0.0) == 0.0


def test_terminal_object_whose_start_other_tracks_followed_gets_its_release_floor():
    # the standard suite's facade_fall_16: a sheet of paper (28 px, drag) released from
    # floor 12 in compressed video. Its slow first second is followed by other tracks (one
    # of them the second tracker's slow silhouettes); the track that reaches its terminal
    # speed and alarms begins about 2.5 s after the release, two floors lower. Its
    # precursors are prepended, so the trajectory starts at the release and the floor is
    # the true one (without them: floor 10). (Without the specks of guide_specks: with them
    # another track of the paper alarms a second earlier, itself early enough to trace.)
    from anfang.synth import suite_spec
    from anfang.synth._suite import render

    spec = next(c for c in suite_spec() if c["name"] == "facade_fall_16")
    clip = render(spec)
    truth = clip.truth["events"][0]
    assert truth["object_type"] == "paper" and truth["origin"]["floor"] == 12
    fac = Facade.from_calibration(clip.truth["calibration"])
    det = FallingObjectDetector(fac, guide_specks=False)
    evs = det.run(zip(clip.frames, clip.t))
    assert len(evs) == 1 and det.stats["precursors"] >= 1
    e = evs[0]
    assert e["origin"]["method"] == "terminal"
    assert e["origin"]["floor"] == 12
    assert e.t_start <= truth["t_start"] + 0.2
    tr = np.asarray(truth["trajectory"])
    # the prepended samples lie on the object
    traj = np.asarray(e["trajectory"])
    early = traj[traj[:, 1] <= truth["t_start"] + 1.5]
    assert len(early) >= 10
    for f, _, x, y in early:
        row = tr[tr[:, 0] == f]
        assert len(row) and np.hypot(row[0, 2] - x, row[0, 3] - y) < 20


def _track_rows(tid, ys, x=150.0, area=3.0, t0=1.0, dt=0.04):
    from anfang.falling.detector import _Track

    tr = _Track(tid)
    for k, y in enumerate(ys):
        a = area[k] if np.ndim(area) else area
        tr.rows.append((k, t0 + k * dt, x, y, x, y, float(a), (x - 1, y - 1, x + 1, y + 1)))
    tr.t_last = tr.rows[-1][1]
    return tr


def test_specks_are_kept_only_where_a_small_descending_track_expects_its_object():
    fac = flat_facade()
    det = FallingObjectDetector(fac)
    det._pool = 1
    ys = [100.0, 104.0, 109.0, 115.0, 122.0]  # descending, 7 px a frame at the end
    det._tracks = {1: _track_rows(1, ys)}
    t = 1.0 + 5 * 0.04  # the next frame: expected near (150, 129)
    cen = np.array([[150.5, 129.5], [150.0, 140.0], [300.0, 129.0], [151.0, 128.0]])
    small = np.array([True, True, True, False])
    assert det._expected_specks(cen, small, t).tolist() == [True, False, False, False]
    # a larger object does not shrink to a speck
    det._tracks = {1: _track_rows(1, ys, area=40.0)}
    assert not det._expected_specks(cen, small, t).any()
    # a rising track (a bird taking off) expects nothing
    det._tracks = {1: _track_rows(1, ys[::-1])}
    assert not det._expected_specks(np.array([[150.0, 93.0]]), np.array([True]), t).any()
    # a track whose recent samples are all specks is not extended by more
    det._tracks = {1: _track_rows(1, ys, area=[3, 3, 1, 1, 1])}
    assert not det._expected_specks(cen, small, t).any()
    # too long unseen (over 0.2 s)
    det._tracks = {1: _track_rows(1, ys)}
    assert not det._expected_specks(cen, small, t + 0.3).any()


def test_a_track_lost_just_above_the_bottom_while_falling_fast_has_left_the_view():
    fac = flat_facade()
    det = FallingObjectDetector(fac)
    det._full_shape = (300, 400)
    fast = _track_rows(1, [200.0, 210.0, 221.0, 233.0, 246.0])  # 13 px a frame, 54 px above
    t_end = fast.t_last + det.config.max_gap + 0.04
    assert not det._leaving(fast)  # its last box, one step on, is still inside
    assert det._leaving(fast, t_end)  # moved on at its speed it is past the bottom by then
    slow = _track_rows(2, [200.0, 201.0, 202.0, 203.0, 204.0])
    assert not det._leaving(slow, t_end)
    near = _track_rows(3, [270.0, 280.0, 291.0])  # one step from the bottom: left anyway
    assert det._leaving(near)


def _fall_rows(tid, frames, y0=200.0, x=150.0, g=9.81 * 40 / 3.0, fps=25.0):
    """Rows of a clean free fall from rest at frame 0 (flat_facade: 13.3 px/m)."""
    from anfang.falling.detector import _Track

    tr = _Track(tid)
    for f in frames:
        t = f / fps
        y = y0 + 0.5 * g * t * t
        tr.rows.append((f, t, x, y, x, y, 9.0, (x - 1.5, y - 1.5, x + 1.5, y + 1.5)))
    tr.t_last = tr.rows[-1][1]
    return tr


def test_the_exit_judgement_needs_a_track_seen_in_most_of_its_frames():
    # a fall seen in every third frame, ending low in the view after 1.3 floors: the
    # one-floor exit drop applies only to a track seen in half its frames or more
    fac = flat_facade()
    sparse = list(range(0, 24, 3))  # 8 samples over 22 frames
    for density, want in ((0.5, False), (0.0, True)):
        det = FallingObjectDetector(fac, exit_min_density=density)
        tr = _fall_rows(1, sparse)
        det._tracks[1] = tr
        det._consider(tr, tr.t_last + 0.4, sparse[-1] + 10, leaving=True)
        assert (tr.alarm is not None) == want
    det = FallingObjectDetector(fac)  # the same fall seen in every frame: judged and alarmed
    tr = _fall_rows(1, list(range(22)))
    det._consider(tr, tr.t_last + 0.4, 31, leaving=True)
    assert tr.alarm is not None


def test_a_light_object_seen_again_after_a_long_gap_is_the_same_event():
    # a light object alarmed on, lost for 1.2 s, then seen again at its terminal speed: the
    # new piece is judged on its own and alarms, but it is the same object (one event).
    # Over the gap its speed went from the host's 20 px/s to the new piece's 60 px/s, so it
    # starts 48 px below where the host was lost: further than the host's own speed carries
    # it (24 px), within what the two speeds allow (24-72 px)
    from anfang.falling.detector import _Track
    from anfang.falling.physics import fit_track

    fac = flat_facade()  # 40 px a floor
    det = FallingObjectDetector(fac)

    def rows(frames, y0, vy, x=150.0, f0=0):
        return [(f, f / 25.0, x, y0 + vy * (f - f0) / 25.0, x, y0 + vy * (f - f0) / 25.0, 30.0,
                 (x - 3, y0 - 3, x + 3, y0 + 3)) for f in frames]

    host = _Track(1)
    host.rows = rows(range(0, 50), 60.0, 20.0)
    host.t_last = host.rows[-1][1]
    a_h = host.arrays()
    host.alarm = {"fit": fit_track(a_h["t"], a_h["xs"], a_h["ys"]), "frame": 40}

    def piece(dx, dy):
        last = host.rows[-1]
        f0 = 49 + 30  # 1.2 s after the host's last sample
        tr = _Track(2)
        tr.rows = rows(range(f0, f0 + 25), last[5] + dy, 60.0, x=last[4] + dx, f0=f0)
        return tr.arrays()

    t = 81 / 25.0 + 1.0
    det._alarmed = [host]
    assert det._continues(piece(0.0, 48.0), t, terminal=True) is host
    assert det._continues(piece(0.0, 48.0), t, terminal=False) is None  # (gap > link_gap)
    assert det._continues(piece(40.0, 48.0), t, terminal=True) is None  # another object
    assert det._continues(piece(0.0, 110.0), t, terminal=True) is None  # too far down
    # a piece starting more than 2 s after the host was lost is not its continuation
    far = piece(0.0, 48.0)
    far["t"] = far["t"] + 1.0
    assert det._continues(far, t + 1.0, terminal=True) is None


def test_a_fall_whose_track_jumps_onto_something_else_is_judged_before_the_jump():
    # a clean fall of 30 frames (1.2 s, 94 px: more than the two floors needed), then 15
    # samples of something 40 px to its side: the whole track is refused (its last samples
    # are off the fit, and it jumps with inliers on both sides), and the part before the
    # jump alarms on its own; without the jump rule nothing alarms
    from anfang.falling.detector import _Track

    fac = flat_facade()
    g = 9.81 * 40 / 3.0
    for hop_rule, want in ((2.0, True), (0.0, False)):
        det = FallingObjectDetector(fac, rules={"max_hop_sizes": hop_rule})
        tr = _Track(1)
        for f in range(45):
            t = f / 25.0
            y = 200 + 0.5 * g * t * t
            x = 150.0 + (40.0 if f >= 30 else 0.0)
            tr.rows.append((f, t, x, y, x, y, 9.0, (x - 1.5, y - 1.5, x + 1.5, y + 1.5)))
        tr.t_last = tr.rows[-1][1]
        v = det._evaluate(tr.arrays())[1]
        assert not v.accepted and "tail_off_track" in v.reasons
        assert ("hop" in v.reasons) == (hop_rule > 0)
        det._tracks[1] = tr
        det._consider(tr, tr.t_last + 0.04, 45)
        assert (tr.alarm is not None) == want
        if want:
            assert tr.alarm["fit"].t[-1] < 30 / 25.0  # judged on the fall alone


def test_a_held_sweep_candidate_grown_across_a_gap_does_not_alarm():
    # later sweeps add their samples to a held candidate; if that leaves a gap the sweep
    # itself rejects (0.6 s here), the candidate is dropped when its hold runs out
    fac = flat_facade()
    for frames, want in ((list(range(0, 16)) + list(range(31, 41)), 0), (list(range(0, 36)), 1)):
        det = FallingObjectDetector(fac)
        tr = _fall_rows((2 << 40) + 1, frames)
        tr.swept = tr.linked = True
        det._pending = [(tr.t_last + 0.1, tr)]
        evs = det._flush_pending(tr.t_last + 0.2, frames[-1] + 5, final=True)
        evs += det._finish()
        assert len(evs) == want


def test_specks_carry_a_small_fast_object_to_the_bottom_of_the_view():
    # the standard suite's facade_fall_17: a 3 px shoe released from floor 5 that leaves the
    # view 1.9 floors lower (too short for the two-floor alarm). Blurred by its speed, it is
    # a single pixel over the threshold in most of its last 15 frames, and the tracks lose it
    # 50 px above the bottom. With the specks its track follows it further, and, lost just
    # above the bottom while falling fast, it counts as leaving the view: judged on the
    # one-floor exit drop, it alarms with its floor
    from anfang.synth import suite_spec
    from anfang.synth._suite import render

    spec = next(c for c in suite_spec() if c["name"] == "facade_fall_17")
    clip = render(spec)
    truth = clip.truth["events"][0]
    assert truth["area_px"] >= 3 and truth["origin"]["floor"] == 5
    fac = Facade.from_calibration(clip.truth["calibration"])
    off = FallingObjectDetector(fac, guide_specks=False).run(zip(clip.frames, clip.t))
    assert off == []
    det = FallingObjectDetector(fac)
    evs = det.run(zip(clip.frames, clip.t))
    assert det.stats["specks"] > 0
    assert len(evs) == 1 and evs[0]["origin"]["floor"] == 5
    tr = np.asarray(truth["trajectory"])
    for f, _, x, y in evs[0]["trajectory"]:
        row = tr[tr[:, 0] == f]
        assert len(row) and np.hypot(row[0, 2] - x, row[0, 3] - y) < 5


def test_threshold_gain_also_starts_when_frames_are_lost_to_max_blobs():
    # at 1080p the flood level per megapixel lies above the absolute max_blobs: frames over
    # max_blobs are dropped whole, and that also starts the gain (here: a small max_blobs
    # on a small frame, with the per-megapixel level out of reach)
    clip = render_facade(seed=0, size=(480, 270), seconds=2.0, distractors="none", falls=0,
                         block_q=10.0, night=False, noise=2.0)
    fac = Facade.from_calibration(clip.truth["calibration"])
    # (the gain alone: without the codec floor, which would keep this stream from flooding)
    det = FallingObjectDetector(fac, flood_per_mpx=1e6, flood_target_per_mpx=10.0, max_blobs=60,
                                codec_zero_frac=0)
    det.run(zip(clip.frames, clip.t))
    assert det.stats["gain"] > 1.2
    off = FallingObjectDetector(fac, flood_per_mpx=0.0, max_blobs=60, codec_zero_frac=0)
    off.run(zip(clip.frames, clip.t))
    assert off.stats["busy"] > 3 * det.stats["busy"]


# -- fragment links from a live track ----------------------------------------------------------
def test_a_fragment_is_linked_from_a_live_track_that_stopped_where_this_one_began():
    # at a low content rate a track is ended only max_gap after its last blob: the object's
    # first track is still live when its second one looks for a predecessor, and both took
    # the blob of the frame where the second began. The live track is prepended (without
    # that shared sample); a live track still moving on is not
    from anfang.falling.detector import _Track

    fac = flat_facade()
    g = 9.81 * 40 / 3.0
    det = FallingObjectDetector(fac)

    def row(i):
        t = 0.12 * i
        y = 40 + 0.5 * g * t * t
        return (3 * i, t, 150.0, y, 150.0, y, 12.0, (148.0, y - 2, 152.0, y + 2))

    first, second, other = _Track(1), _Track(2), _Track(3)
    first.rows = [row(i) for i in range(6)]  # frames 0..15, the last one shared
    second.rows = [row(i) for i in range(5, 10)]
    other.rows = [(r[0], r[1], 300.0, r[3], 300.0, r[5], r[6], r[7]) for r in
                  [row(i) for i in range(3, 9)]]  # live and still moving on past the start
    det._tracks = {1: first, 2: second, 3: other}
    assert len(det._ended) == 0  # nothing has ended yet
    assert det._link(second)
    assert [r[0] for r in second.rows] == [3 * i for i in range(10)]
    assert first.merged_into is second and other.merged_into is None


def test_the_link_table_holds_every_fragments_last_samples_in_a_busy_scene():
    # the table of fragments a new track may continue keeps the ended tracks' last three
    # samples in an array as they end (their rows never change): it must equal the tracks'
    # own samples after every frame, while hundreds of short tracks end, grow the array
    # past its first size, and leave it again (link_gap)
    rng = np.random.default_rng(4)
    n = 90
    frames, t = scene(n, noise=1.5, seed=4)
    frames = frames.astype(np.int16)
    for k in range(n):  # 12 new dark specks a frame, each falling for 4 frames
        for _ in range(12):
            x, y = rng.uniform(45, 275), rng.uniform(25, 180)
            for j in range(4):
                if k + j < n:
                    yy = int(y + 6 * j)
                    frames[k + j, yy:yy + 3, int(x):int(x) + 3] = 40
    frames = np.clip(frames, 0, 255).astype(np.uint8)
    det = FallingObjectDetector(flat_facade(), sweep_every=0)
    most = 0
    for f, ti in zip(frames, t):
        det.update(f, ti)
        det._ltab = None
        cs, R, ended = det._link_table()
        # (from the rows themselves, not from the tracks' own cache)
        want = np.array([[(r[1], r[4], r[5]) for r in c.rows[-3:]] for c in cs],
                        dtype=np.float64).reshape(len(cs), 3, 3)
        np.testing.assert_array_equal(R, want)
        assert list(cs[: int(ended.sum())]) == list(det._ended) and not ended[int(ended.sum()):].any()
        most = max(most, len(det._ended))
    assert most > 64 and det.stats["tracks"] > 300  # past the array's first size


def test_fit_scale_grows_with_the_object():
    # a falling object whose centroid moves 2 px off the parabola in five of 16 samples
    # (the last one among them), as a large object does while it turns
    t = np.arange(16) / 25.0
    rng = np.random.default_rng(3)
    wob = np.zeros(16)
    wob[[3, 7, 9, 12, 15]] = [2.0, -2.2, 2.4, -2.0, 2.1]
    xs = 100 + 20 * t + wob + rng.normal(0, 0.1, 16)
    ys = 40 + 60 * t + 300 * t**2 + rng.normal(0, 0.1, 16)

    def arrays(half):
        return dict(t=t, xs=xs, ys=ys, x=xs, y=ys, area=np.full(16, (2 * half) ** 2),
                    bbox=np.column_stack([xs - half, ys - half, xs + half, ys + half]),
                    frame=np.arange(16))

    big, small = arrays(12.0), arrays(1.5)
    # 24 px wide: 2 px is within the scale floor (0.05 x 24 = 1.2 px), all samples inliers
    fit, v = FallingObjectDetector()._evaluate(big)
    assert v.accepted and fit.inlier_frac == 1.0
    # with the fixed 0.25 px floor the same track ends "off track"
    fit, v = FallingObjectDetector(fit_size_sigma=0.0)._evaluate(big)
    assert not v.accepted and "tail_off_track" in v.reasons
    # a 3 px object jumping 2 px has left its track, whatever the setting
    fit, v = FallingObjectDetector()._evaluate(small)
    assert not v.accepted and fit.inlier_frac < 0.7


def test_an_object_must_leave_the_places_it_was_seen_at():
    # a track's earlier positions: background again for a falling object, still
    # foreground for a chain of light changes (lit windows stay lit)
    det = FallingObjectDetector()
    det._pool = 1
    t = np.arange(12) / 25.0
    xs = np.full(12, 100.0)
    ys = 20.0 + 300.0 * t**2 + 40.0 * t
    a = dict(t=t, xs=xs, ys=ys, area=np.full(12, 9.0))
    mask = np.zeros((200, 200), dtype=bool)
    det._fg_now = (mask, (0.0, 0.0))
    assert det._left_behind(a) is True  # nothing left behind: an object passing
    old = (t <= t[-1] - 0.3) & (np.abs(ys - ys[-1]) > 11.0)
    assert old.sum() >= 3
    ii, jj = np.rint(ys[old]).astype(int), np.rint(xs[old]).astype(int)
    mask[ii, jj] = True
    assert det._left_behind(a) is False  # every earlier place still foreground
    mask[ii[: len(ii) // 2 + 1], jj[: len(ii) // 2 + 1]] = False
    assert det._left_behind(a) is True  # at most half of them: no verdict against it
    # the camera moved by (3, -2) detection pixels since: the places move with it
    mask[:] = False
    det._pos = (3.0, -2.0)
    mask[ii - 2, jj + 3] = True
    assert det._left_behind(a) is False
    # too few old samples to tell, or no background model, or off
    short = {k: v[-5:] for k, v in a.items()}
    assert det._left_behind(short) is None
    det._fg_now = None
    assert det._left_behind(a) is None
    det2 = FallingObjectDetector(static_max_frac=0.0)
    det2._fg_now = (mask, (0.0, 0.0))
    assert det2._left_behind(a) is None
