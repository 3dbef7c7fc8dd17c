"""Tests of the scenario generator: determinism, truth vs pixels, physics, timing."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from anfang.events import Event
from anfang.synth import Clip, facade, street, suite_spec

SMALL = dict(size=(200, 120), fps=20.0)


def _in_boxes(mask, rows, pad=0.0):
    """Boolean image: pixels intersecting any of the boxes (pixel j covers [j, j+1))."""
    H, W = mask.shape
    cover = np.zeros_like(mask)
    jj = np.arange(W)
    ii = np.arange(H)
    for x0, y0, x1, y1 in rows:
        cx = (jj + 1 > x0 - pad) & (jj < x1 + pad)
        cy = (ii + 1 > y0 - pad) & (ii < y1 + pad)
        cover |= cy[:, None] & cx[None, :]
    return cover


def _boxes_at(truth, frame, key="frames"):
    out = []
    for o in truth["objects"]:
        for r in o.get(key, []):
            if r[0] == frame:
                out.append(r[1:])
    return out


def test_same_seed_same_bytes_and_different_seed_differs():
    a = facade(seed=11, seconds=1.5, distractors="all", **SMALL)
    b = facade(seed=11, seconds=1.5, distractors="all", **SMALL)
    c = facade(seed=12, seconds=1.5, distractors="all", **SMALL)
    assert a.frames.tobytes() == b.frames.tobytes()
    assert json.dumps(a.truth) == json.dumps(b.truth)
    assert a.frames.tobytes() != c.frames.tobytes()
    s1 = street(seed=5, seconds=2.0, kind="mixed", **SMALL)
    s2 = street(seed=5, seconds=2.0, kind="mixed", **SMALL)
    assert s1.frames.tobytes() == s2.frames.tobytes()
    assert s1.frames.shape == (40, 120, 200, 3) and s1.frames.dtype == np.uint8


@pytest.mark.parametrize("shake", [0.0, 2.3])
def test_facade_truth_boxes_cover_rendered_pixels(shake):
    kw = dict(seed=21, seconds=3.0, noise=0.0, shake=shake, night=False, **SMALL)
    scene = facade(falls=[{"size_px": 6.0, "contrast": 1.0, "t_release": 0.2}],
                   distractors=["birds", "leaves"], n_birds=2, n_leaves=2, **kw)
    empty = facade(falls=0, distractors="none", **kw)
    pad = 1.0 if shake else 0.0
    changed_total = 0
    for f in range(len(scene)):
        diff = np.any(scene.frames[f] != empty.frames[f], axis=-1) if scene.frames.ndim == 4 else (
            scene.frames[f] != empty.frames[f])
        boxes = _boxes_at(scene.truth, f)
        cover = _in_boxes(diff, boxes, pad)
        assert not np.any(diff & ~cover), f"frame {f}: painted pixels outside every truth box"
        changed_total += int(diff.sum())
    assert changed_total > 0
    # every box of the (full contrast) falling object holds changed pixels
    fall = next(o for o in scene.truth["objects"] if o["kind"] == "falling_object")
    for f, *box in fall["frames"]:
        diff = scene.frames[f] != empty.frames[f]
        assert np.any(diff & _in_boxes(diff, [box], pad)), f"frame {f}: empty fall box"


def test_street_truth_boxes_and_head_boxes_cover_pixels():
    kw = dict(seed=8, seconds=3.0, noise=0.0, light_drift=0.0, kind="riders", n_pedestrians=0,
              n_cars=0, **SMALL)
    scene = street(n_riders=3, **kw)
    empty = street(n_riders=0, **kw)
    assert np.array_equal(empty.frames[0], empty.frames[-1])  # nothing moves, no drift
    for f in range(0, len(scene), 3):
        diff = np.any(scene.frames[f] != empty.frames[f], axis=-1)
        cover = _in_boxes(diff, _boxes_at(scene.truth, f))
        assert not np.any(diff & ~cover)
    riders = [o for o in scene.truth["objects"] if o["kind"] == "rider"]
    assert riders and all("helmet" in o for o in riders)
    for o in riders:
        heads = {r[0]: r[1:] for r in o["head_frames"]}
        body = {r[0]: r[1:] for r in o["frames"]}
        for f, hb in heads.items():
            bb = body[f]
            assert bb[0] <= hb[0] + 1e-6 and bb[1] <= hb[1] + 1e-6
            assert hb[2] <= bb[2] + 1e-6 and hb[3] <= bb[3] + 1e-6
            diff = np.any(scene.frames[f] != empty.frames[f], axis=-1)
            if hb[2] - hb[0] > 3 and 0 < hb[0] and hb[2] < SMALL["size"][0]:
                assert np.any(diff & _in_boxes(diff, [hb]))


def test_helmet_and_bare_heads_differ_in_look():
    """A helmet is a uniform shell over the hair line; a bare head shows hair and skin."""
    kw = dict(seed=3, seconds=2.0, noise=0.0, light_drift=0.0, kind="riders", n_pedestrians=0,
              n_cars=0, n_riders=6, size=(640, 360), fps=10.0)
    on = street(helmet_rate=1.0, **kw)
    off = street(helmet_rate=0.0, **kw)
    assert all(e["helmet"] for e in on.truth["events"])
    assert not any(e["helmet"] for e in off.truth["events"])
    assert on.frames.tobytes() != off.frames.tobytes()


def test_fall_physics_matches_gravity_and_drag():
    clip = facade(seed=5, size=(320, 180), fps=100.0, seconds=3.0, distractors="none", noise=0,
                  falls=[{"type": "bag", "drag_k": 0.4, "t_release": 0.3, "v0": [1.0, 1.5, 1.0]}])
    ev = clip.truth["events"][0]
    ph = ev["physics"]
    s = np.array(ph["samples"])
    t, p = s[:, 0], s[:, 1:4]
    dt = np.diff(t)
    assert np.allclose(dt, 0.01, atol=1e-9)
    v = (p[2:] - p[:-2]) / 0.02
    a = (p[2:] - 2 * p[1:-1] + p[:-2]) / 0.01**2
    speed = np.linalg.norm(v, axis=1)
    expected = np.array([0.0, -9.81, 0.0]) - 0.4 * speed[:, None] * v
    assert np.max(np.abs(a - expected)) < 0.05  # m/s^2, finite-difference error only
    # drag slows the fall: it is below free fall after 1 s
    assert -np.min(v[:, 1]) < 9.81 * (t[-1] - 0.3)


def test_drag_free_fall_is_a_parabola_and_pixels_follow_the_camera():
    clip = facade(seed=9, size=(320, 180), fps=25.0, seconds=4.0, distractors="none", noise=0,
                  falls=[{"drag_k": 0.0, "t_release": 0.5, "v0": [0.0, 0.0, 0.5]}])
    ev = clip.truth["events"][0]
    s = np.array(ev["physics"]["samples"])
    tt = s[:, 0] - 0.5
    coef = np.polyfit(tt, s[:, 2], 2)
    assert coef[0] == pytest.approx(-9.81 / 2, abs=1e-4)
    assert coef[1] == pytest.approx(0.0, abs=1e-3)
    cam = clip.truth["calibration"]["camera"]
    K, Rm, C = (np.array(cam[k]) for k in ("K", "R", "C"))
    by_t = {round(r[0], 6): r[1:] for r in ev["physics"]["samples"]}
    for f, tf, x, y in ev["trajectory"]:
        X = np.array(by_t[round(tf, 6)])
        q = K @ (Rm @ (X - C))
        assert q[0] / q[2] == pytest.approx(x, abs=2e-3)
        assert q[1] / q[2] == pytest.approx(y, abs=2e-3)
    # calibration homography maps the window point (column + 0.5, floor + 0.4) to the origin
    Hcf = np.array(clip.truth["calibration"]["homography"])
    o = ev["origin"]
    q = Hcf @ np.array([o["column"] + 0.5, o["floor"] + 1.2 / 3.0, 1.0])
    assert q[0] / q[2] == pytest.approx(o["x"], abs=2e-3)
    assert q[1] / q[2] == pytest.approx(o["y"], abs=2e-3)
    # trajectory moves down the image and the event span matches its rows
    ys = [r[3] for r in ev["trajectory"]]
    assert ys[-1] > ys[0]
    assert ev["frame_start"] == ev["trajectory"][0][0]
    assert ev["frame_end"] == ev["trajectory"][-1][0]


def test_duplicated_and_dropped_frames():
    dup = facade(seed=2, size=(160, 90), fps=30.0, seconds=2.0, content_fps=10.0, noise=0,
                 distractors=["birds"], n_birds=2)
    f = dup.frames
    assert len(f) == 60
    for k in range(0, 60, 3):
        assert np.array_equal(f[k], f[k + 1]) and np.array_equal(f[k], f[k + 2])
    assert np.all(np.diff(dup.t) > 0)
    drop = facade(seed=2, size=(160, 90), fps=25.0, seconds=4.0, drop_prob=0.2, distractors="none")
    gaps = np.diff(drop.t)
    assert len(drop.t) == len(drop.frames) == drop.truth["n_frames"] < 100
    assert gaps.max() > 1.5 / 25 and gaps.min() == pytest.approx(1 / 25)


def test_block_artefacts_are_blockwise():
    a = facade(seed=4, size=(160, 96), fps=10.0, seconds=0.3, block_q=12.0, noise=3.0,
               distractors="none", falls=0)
    b = a.frames[0].astype(float).reshape(12, 8, 20, 8)
    dev = b - b.mean(axis=(1, 3), keepdims=True)
    # deviations from the block mean cluster on steps of 12 (up to uint8 rounding)
    r = np.abs(dev / 12.0 - np.round(dev / 12.0)) * 12.0
    assert np.median(r) < 1.0


def test_save_load_roundtrip_and_schema(tmp_path):
    clip = street(seed=1, size=(160, 90), fps=10.0, seconds=8.0, kind="package")
    d = clip.save(tmp_path / "c")
    back = Clip.load(d)
    assert np.array_equal(back.frames, clip.frames) and np.array_equal(back.t, clip.t)
    tr = back.truth
    for k in ("version", "scene", "seed", "size", "fps", "n_frames", "t", "calibration",
              "objects", "events"):
        assert k in tr
    kinds = [e["kind"] for e in tr["events"]]
    assert "package_dropped" in kinds and "package_picked_up" in kinds
    drop = next(e for e in tr["events"] if e["kind"] == "package_dropped")
    pick = next(e for e in tr["events"] if e["kind"] == "package_picked_up")
    assert drop["frame_end"] < pick["frame_start"] and drop["dropper_id"] != pick["picker_id"]
    assert pick["exit_point"] is not None
    for e in tr["events"]:
        ev = Event.from_dict(e)
        assert ev.t_start == pytest.approx(tr["t"][e["frame_start"]])
        assert ev.t_end == pytest.approx(tr["t"][e["frame_end"]])
    # the package rests: its box is the same over the dropped span
    pkg = next(o for o in tr["objects"] if o["id"] == drop["track_id"])
    rest = [r[1:] for r in pkg["frames"] if drop["frame_start"] <= r[0] <= drop["frame_end"]]
    assert rest and all(r == rest[0] for r in rest)



@pytest.mark.parametrize("seed", [0, 7])
def test_long_package_clips_rest_long_enough_for_a_10s_dwell(seed):
    # Clips of at least LONG_REST_S seconds (the suite's package clips) leave the package on
    # the ground 15-25 s; the picker still leaves the frame before the clip ends.
    from anfang.synth._street import LONG_REST_S

    clip = street(seed=seed, size=(96, 54), fps=4.0, seconds=LONG_REST_S, kind="package", noise=0.0)
    ev = {e["kind"]: e for e in clip.truth["events"]}
    drop, pick = ev["package_dropped"], ev["package_picked_up"]
    assert 2.6 <= drop["t_start"] <= 5.5
    assert 15.0 - 0.3 <= pick["t_start"] - drop["t_start"] <= 25.0 + 0.3
    assert pick["t_end"] < LONG_REST_S - 0.2
    assert drop["frame_end"] == pick["frame_start"] - 1
    # a shorter clip keeps the old fractional timing (the pickup within the clip)
    short = street(seed=seed, size=(96, 54), fps=4.0, seconds=12.0, kind="package", noise=0.0)
    sp = next(e for e in short.truth["events"] if e["kind"] == "package_picked_up")
    assert 0.5 * 12.0 - 0.3 <= sp["t_start"] <= 0.6 * 12.0 + 0.3

def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="size"):
        facade(size=(4, 4))
    with pytest.raises(ValueError, match="distractors"):
        facade(distractors=["dragons"], **SMALL)
    with pytest.raises(ValueError, match="kind"):
        street(kind="bikes")
    with pytest.raises(ValueError, match="fps"):
        street(fps=0)


def test_suite_spec_is_fixed_and_complete():
    spec = suite_spec()
    assert spec == suite_spec()
    fac = [c for c in spec if c["scene"] == "facade"]
    st = [c for c in spec if c["scene"] == "street"]
    assert len(fac) >= 30 and len([c for c in fac if c["params"].get("falls") == 0]) >= 10
    assert len([c for c in st if c["params"]["kind"] == "package"]) >= 10
    assert len([c for c in st if c["params"]["kind"] == "riders"]) >= 10
    assert len({c["name"] for c in spec}) == len(spec)
    assert len({(c["scene"], c["seed"]) for c in spec}) == len(spec)


def test_distractor_only_clip_has_objects_but_no_events():
    clip = facade(seed=6, size=(200, 120), fps=10.0, seconds=3.0, falls=0, distractors="all",
                  n_birds=2, n_insects=1)
    assert clip.truth["events"] == []
    kinds = {o["kind"] for o in clip.truth["objects"]}
    assert {"bird", "insect"} <= kinds
    assert math.isclose(clip.truth["conditions"]["shake_px"] > 0, True)


def test_head_samples_carry_labels_and_crops(tmp_path):
    from anfang.synth import head_samples

    clip = street(seed=3, size=(640, 360), fps=5.0, seconds=4.0, kind="riders", n_riders=4,
                  n_pedestrians=0, n_cars=0, noise=0.0)
    s = head_samples(clip)
    assert s and {x["helmet"] for x in s} <= {True, False}
    riders = {o["id"]: o["helmet"] for o in clip.truth["objects"] if o["kind"] == "rider"}
    for x in s:
        assert riders[x["rider_id"]] == x["helmet"]
        assert x["crop"].shape[0] >= 6 and x["crop"].shape[2] == 3
    clip.save(tmp_path / "c")
    rows = (tmp_path / "c" / "gt.txt").read_text().splitlines()
    assert len(rows) == sum(len(o["frames"]) for o in clip.truth["objects"])
    assert min(int(r.split(",")[0]) for r in rows) >= 1


@pytest.mark.parametrize("gen", [facade, street])
def test_bad_scene_arguments_name_the_argument(gen):
    with pytest.raises(TypeError, match="seed: expected an integer >= 0, got str 'a'"):
        gen(seed="a")
    with pytest.raises(ValueError, match="seed: expected an integer >= 0, got int -1"):
        gen(seed=-1)
    with pytest.raises(TypeError, match=r"size: expected \(width, height\) integers, got int 5"):
        gen(size=5)
    with pytest.raises(TypeError, match=r"size: expected \(width, height\) integers, got tuple \(64.5, 64\)"):
        gen(size=(64.5, 64))
    with pytest.raises(ValueError, match="size: expected at least"):
        gen(size=(8, 64))
    with pytest.raises(TypeError, match="fps: expected a positive number, got str"):
        gen(fps="25")
    with pytest.raises(ValueError, match="fps, seconds: expected positive numbers, got nan"):
        gen(fps=float("nan"))
    with pytest.raises(ValueError, match="fps, seconds: expected positive numbers, got 25.0, 0"):
        gen(fps=25.0, seconds=0)


@pytest.mark.parametrize("gen", [facade, street])
def test_truth_in_memory_is_plain_json(gen):
    # the in-memory truth must equal its JSON round trip (no numpy scalars leaking out)
    clip = gen(seed=4, size=(96, 64), fps=10, seconds=2)

    def no_numpy(x):
        if isinstance(x, dict):
            return all(isinstance(k, str) and no_numpy(v) for k, v in x.items())
        if isinstance(x, list):
            return all(no_numpy(v) for v in x)
        return x is None or type(x) in (bool, int, float, str)

    assert no_numpy(clip.truth)
    assert json.loads(json.dumps(clip.truth)) == clip.truth


def test_synth_command_bad_values_are_usage_errors(tmp_path, capsys):
    from anfang.cli import main

    # --seconds 0 used to fall back silently to the 10 s default
    assert main(["synth", "facade", "--out", str(tmp_path / "a"), "--seconds", "0"]) == 2
    assert "fps, seconds: expected positive numbers, got 25.0, 0.0" in capsys.readouterr().err
    assert main(["synth", "street", "--out", str(tmp_path / "b"), "--size", "20x20"]) == 2
    assert "size: expected at least 32x32 pixels, got 20x20" in capsys.readouterr().err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    assert main(["synth", "facade", "--out", str(tmp_path / "c"), "--size", "64x48", "--fps", "5",
                 "--seconds", "0.6", "--distractors", "none"]) == 0
    with np.load(tmp_path / "c" / "frames.npz") as z:
        assert z["frames"].shape == (3, 48, 64)


def _signal_oracle(seed, noise, spec, **kw):
    """The fall's exact signal: a noise-free render minus the same render with the object
    transparent (contrast 0: every random draw stays the same)."""
    a = facade(seed=seed, noise=0.0, falls=[spec], **kw)
    b = facade(seed=seed, noise=0.0, falls=[{**spec, "contrast": 0.0}], **kw)
    d = a.frames.astype(np.float64) - b.frames.astype(np.float64)
    o = [o for o in a.truth["objects"] if o["kind"] == "falling_object"][0]
    n3, seen = [], set()
    for r in o["frames"]:
        f = int(r[0])
        if a.t[f] in seen:
            continue
        seen.add(float(a.t[f]))
        x0, y0, x1, y1 = r[1:]
        s = d[f, max(int(y0) - 2, 0):int(y1) + 3, max(int(x0) - 2, 0):int(x1) + 3]
        n3.append(int((np.abs(s) > max(3 * noise, 1.0)).sum()))
    return np.array(n3)


@pytest.mark.parametrize("spec, noise, visible", [
    ({"size_px": 12.0, "contrast": 0.9, "polarity": -1, "t_release": 0.4}, 2.0, True),
    ({"size_px": 2.0, "contrast": 0.15, "polarity": -1, "t_release": 0.4}, 8.0, False),
])
def test_fall_visibility_matches_a_noise_free_oracle(spec, noise, visible):
    kw = dict(size=(320, 180), fps=25.0, seconds=3.0, distractors="none", night=False)
    clip = facade(seed=21, noise=noise, falls=[spec], **kw)
    v = clip.truth["events"][0]["visibility"]
    n3 = _signal_oracle(21, noise, spec, **kw)
    assert v["visible"] is visible
    assert v["visible_frac"] >= 0.8 if visible else v["visible_frac"] < 0.8
    # the generator measures before rounding to bytes, the oracle after: allow a frame or two
    assert v["frames"] == pytest.approx(len(n3), abs=2)
    assert v["visible_frac"] == pytest.approx(float(np.mean(n3 >= 2)), abs=0.1)
    assert v["snr_median"] > 0


@pytest.mark.parametrize("night", [False, True])
def test_glare_changes_only_its_own_boxes_and_only_brightens(night):
    """Glare draws from a stream of its own: the clip without it is the same clip, and the
    pixels it changes lie in its truth boxes and only get brighter (light falling on the
    facade or a pane catching the sun)."""
    kw = dict(seed=31, size=(320, 180), fps=10.0, seconds=6.0, noise=0.0, shake=0.0,
              night=night, falls=[{"size_px": 8.0, "t_release": 0.5}],
              distractors=["birds"], n_birds=1)
    plain = facade(**kw)
    lit = facade(glare=True, **kw)
    assert lit.truth["events"] == plain.truth["events"]
    assert "glare" in lit.truth["conditions"]["distractors"]
    assert "glare" not in plain.truth["conditions"]["distractors"]
    glare = [o for o in lit.truth["objects"] if o["kind"] == "glare"]
    assert glare
    modes = {o["mode"] for o in glare}
    assert modes <= ({"headlights"} if night else {"glint", "sweep"})
    others = [o for o in lit.truth["objects"] if o["kind"] != "glare"]
    assert json.dumps(others) == json.dumps(plain.truth["objects"])
    changed = 0
    for f in range(len(lit)):
        a = lit.frames[f].astype(np.int16)
        b = plain.frames[f].astype(np.int16)
        diff = a != b
        boxes = [r[1:] for o in glare for r in o["frames"] if r[0] == f]
        assert not np.any(diff & ~_in_boxes(diff, boxes)), f"frame {f}: glare outside its boxes"
        assert np.all(a >= b), f"frame {f}: glare darkened a pixel"
        changed += int(diff.sum())
    assert changed > 0


def test_swept_light_multiplies_the_wall_it_falls_on():
    """``_illuminate`` against a numpy oracle: the image times 1 + gain * Gaussian within
    3 sigma where ``wall`` is 1; untouched on the sky (``wall`` 0) and outside."""
    from anfang.synth._facade import _illuminate

    rng = np.random.default_rng(3)
    img = rng.uniform(20, 120, (40, 50)).astype(np.float32)
    wall = np.ones((40, 50), np.float32)
    wall[:, :10] = 0.0
    out = img.copy()
    box = _illuminate(out, 20.3, 17.6, 4.0, 1.5, wall)
    jj, ii = np.meshgrid(np.arange(50) + 0.5, np.arange(40) + 0.5)
    d2 = (jj - 20.3) ** 2 + (ii - 17.6) ** 2
    expect = img * (1 + 1.5 * np.exp(-0.5 * d2 / 16.0) * (d2 <= 144.0) * wall)
    np.testing.assert_allclose(out, expect, rtol=1e-5)
    assert np.array_equal(out[:, :10], img[:, :10])
    assert box == (20.3 - 12, 17.6 - 12, 20.3 + 12, 17.6 + 12)
    # off the image or without gain: nothing painted, no box
    out2 = img.copy()
    assert _illuminate(out2, -50.0, -50.0, 4.0, 1.5, wall) is None
    assert _illuminate(out2, 20.0, 20.0, 4.0, 0.0, wall) is None
    assert np.array_equal(out2, img)


def test_glare_is_asked_for_by_name_and_checked():
    kw = dict(seed=8, size=(160, 90), fps=10.0, seconds=2.0, falls=0)
    assert "glare" not in facade(distractors="all", **kw).truth["conditions"]["distractors"]
    assert "glare" in facade(distractors=["glare"], **kw).truth["conditions"]["distractors"]
    with pytest.raises(TypeError, match="glare"):
        facade(glare="yes", **kw)


def test_glare_suite_variant_adds_glare_to_every_facade_clip_only():
    base, gl = suite_spec(), suite_spec(glare=True)
    assert [c["name"] for c in base] == [c["name"] for c in gl]
    for a, b in zip(base, gl):
        if a["scene"] == "facade":
            assert b["params"] == {**a["params"], "glare": True}
        else:
            assert b == a


def test_glare_on_the_command_line(tmp_path):
    from anfang.cli import main

    out = tmp_path / "g"
    assert main(["synth", "facade", "--out", str(out), "--size", "160x90", "--fps", "10",
                 "--seconds", "2", "--falls", "0", "--distractors", "none", "--glare"]) == 0
    truth = json.loads((out / "truth.json").read_text())
    assert truth["conditions"]["distractors"] == ["glare"]
    assert main(["synth", "facade", "--out", str(tmp_path / "h"), "--size", "160x90",
                 "--fps", "10", "--seconds", "2", "--distractors", "glare,birds"]) == 0
    assert main(["bench", "suite", "--out", str(tmp_path / "s"), "--size", "96x64", "--fps", "5",
                 "--only", "facade_distractors_00", "--glare"]) == 0
    m = json.loads((tmp_path / "s" / "suite.json").read_text())
    assert m["glare"] is True and [c["params"]["glare"] for c in m["clips"]] == [True]
    truth = json.loads((tmp_path / "s" / "facade_distractors_00" / "truth.json").read_text())
    assert "glare" in truth["conditions"]["distractors"]


def test_codec_suite_variant_marks_every_facade_clip_only():
    base, cv = suite_spec(), suite_spec(crf=23)
    assert [c["name"] for c in base] == [c["name"] for c in cv]
    for a, b in zip(base, cv):
        if a["scene"] == "facade":
            assert b == {**a, "codec": {"name": "h264", "crf": 23, "preset": "veryfast"}}
        else:
            assert b == a
    for bad in (-1, 52, 23.0, "23", True):
        with pytest.raises(ValueError, match="crf: expected an integer in"):
            suite_spec(crf=bad)


def test_codec_variant_renders_through_h264_with_the_truth_unchanged():
    pytest.importorskip("av")
    from anfang.synth._suite import render

    entry = {"name": "x", "scene": "facade", "seed": 7,
             "params": {"size": [160, 90], "fps": 10.0, "seconds": 2.0, "falls": 1,
                        "content_fps": 10.0 / 3.0}}
    plain = render(entry)
    coded = render({**entry, "codec": {"name": "h264", "crf": 23, "preset": "veryfast"}})
    assert coded.frames.shape == plain.frames.shape and coded.frames.dtype == np.uint8
    np.testing.assert_array_equal(coded.t, plain.t)
    truth = dict(coded.truth)
    assert truth.pop("conditions")["codec"] == {"name": "h264", "crf": 23, "preset": "veryfast"}
    assert {k: v for k, v in plain.truth.items() if k != "conditions"} == truth
    diff = coded.frames.astype(int) - plain.frames
    assert 0 < np.abs(diff).mean() < 6 and abs(diff.mean()) < 1.0  # lossy, no shift of the grey levels
    # what a detector meets in real footage: static blocks copied from the previous frame
    # (exact zero differences), where the rendered clip has fresh sensor noise every frame
    d = np.abs(np.diff(coded.frames.astype(int), axis=0))
    assert (d == 0).mean() > 2 * (np.abs(np.diff(plain.frames.astype(int), axis=0)) == 0).mean()
    with pytest.raises(ValueError, match="codec: expected name 'h264'"):
        render({**entry, "codec": {"name": "vp9", "crf": 23}})


def test_h264_roundtrip_checks_its_arguments():
    pytest.importorskip("av")
    from anfang.io.video import h264_roundtrip

    f = np.zeros((3, 16, 16), np.uint8)
    with pytest.raises(ValueError, match="t: expected 3 timestamps"):
        h264_roundtrip(f, [0.0, 0.1])
    for bad in (60, -1, True, 2.5):
        with pytest.raises(ValueError, match="crf: expected an integer in"):
            h264_roundtrip(f, [0.0, 0.1, 0.2], crf=bad)
    with pytest.raises(TypeError, match="frames: expected uint8"):
        h264_roundtrip(f.astype(float), [0.0, 0.1, 0.2])
    odd = np.random.default_rng(0).integers(0, 255, (4, 15, 17)).astype(np.uint8)
    assert h264_roundtrip(odd, np.arange(4) / 25.0, crf=0).shape == odd.shape


def test_codec_variant_on_the_command_line(tmp_path):
    pytest.importorskip("av")
    from anfang.cli import main

    assert main(["bench", "suite", "--out", str(tmp_path / "s"), "--size", "96x64", "--fps", "5",
                 "--only", "facade_distractors_00", "--crf", "30"]) == 0
    m = json.loads((tmp_path / "s" / "suite.json").read_text())
    assert m["codec"] == {"name": "h264", "crf": 30, "preset": "veryfast"}
    assert [c["codec"]["crf"] for c in m["clips"]] == [30]
    truth = json.loads((tmp_path / "s" / "facade_distractors_00" / "truth.json").read_text())
    assert truth["conditions"]["codec"]["crf"] == 30
    assert main(["bench", "suite", "--out", str(tmp_path / "t"), "--only", "x", "--crf", "99"]) == 1
