import html
import math
import os
import shutil
import subprocess

import numpy as np
import pytest

from anfang.events import Event
from anfang.io.report import helmet_rates, render_report, wilson_interval, write_report
from anfang.pipeline import run
from anfang.store import EventStore
from test_io_fake import FlashDetector, make_clip


@pytest.mark.parametrize("k,n,lo,hi", [
    # Newcombe (1998), Statistics in Medicine 17:857, Table I, method 3 (Wilson score)
    (81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718),
])
def test_wilson_matches_published_values(k, n, lo, hi):
    a, b = wilson_interval(k, n)
    assert a == pytest.approx(lo, abs=6e-5) and b == pytest.approx(hi, abs=6e-5)


def test_wilson_edges():
    assert all(math.isnan(v) for v in wilson_interval(0, 0))
    lo, hi = wilson_interval(20, 20)
    assert hi == 1.0 and 0.8 < lo < 0.85
    with pytest.raises(ValueError, match="successes <= n"):
        wilson_interval(3, 2)
    with pytest.raises(ValueError, match="successes <= n"):
        wilson_interval(-1, 2)
    with pytest.raises(TypeError, match="successes: expected an integer count, got float"):
        wilson_interval(2.5, 10)
    with pytest.raises(TypeError, match="n: expected an integer count, got str"):
        wilson_interval(2, "10")


def _riders():
    out = []
    for i in range(10):  # cam A, window 0: 7/10 helmets
        out.append(Event("rider", i * 5.0, i * 5.0 + 1, i, i, camera_id="A", details={"helmet": i < 7}))
    for i in range(4):  # cam A, window 1 (60..120 s): 1/4
        out.append(Event("rider", 60 + i, 61 + i, 0, 0, camera_id="A", details={"helmet": "yes" if i == 0 else "no"}))
    out.append(Event("rider", 3, 4, 0, 0, camera_id="B", details={"helmet": True}))
    out.append(Event("rider", 3, 4, 0, 0, camera_id="B", details={}))  # no decision: not counted
    out.append(Event("helmet_violation", 3, 4, 0, 0, camera_id="B"))
    return out


def test_helmet_rates_per_camera_and_window():
    rows = helmet_rates(_riders(), window=60)
    assert [(r["camera_id"], r["t0"], r["k"], r["n"]) for r in rows] == [
        ("A", 0, 7, 10), ("A", 60, 1, 4), ("B", 0, 1, 2)]  # B: the violation is a bare head
    assert (rows[0]["lo"], rows[0]["hi"]) == wilson_interval(7, 10)


def test_report_escapes_text_and_is_self_contained(tmp_path):
    evil = '<script>alert("x")</script>'
    events = _riders() + [Event("falling_object", 1, 2, 25, 50, camera_id=evil, bbox=(1, 2, 3, 4),
                                details={"note": "<b>bold</b>", "trajectory": [[0, 0.0, 5, 5], [1, 0.1, 6, 20]],
                                         "origin": {"floor": 4}})]
    page = render_report(events, title="T <i>")
    assert "<script" not in page.lower()
    assert html.escape(evil) in page and "&lt;b&gt;bold&lt;/b&gt;" in page and "T &lt;i&gt;" in page
    assert 'src="http' not in page and "<link" not in page
    assert page.count('<tr class="event"') == len(events)
    assert page.count('<g class="bar">') == 3  # three helmet-rate bars
    assert '<polyline points="' in page  # the fall's trajectory


def _store_with_evidence(tmp_path):
    frames, t = make_clip(n=60)
    db = tmp_path / "e.sqlite"
    with EventStore(db) as st:
        run((frames, t), FlashDetector(), store=st, evidence_dir=tmp_path / "ev", camera_id="roof-1")
        for e in _riders():
            st.append(e)
    return db


def test_write_report_embeds_snapshots(tmp_path):
    db = _store_with_evidence(tmp_path)
    out = write_report(db, tmp_path / "r.html")
    page = open(out).read()
    assert page.count("<img class=\"snap\" alt=\"snapshot 1\" src=\"data:image/png;base64,") == 1
    assert page.count("<img class=\"snap\"") == 2 and page.count("<image href=\"data:image/png;base64,") == 2
    with EventStore(db) as st:
        shas = [r.snapshot_sha256 for r in st.rows(kind="falling_object")]
    assert all(s and s in page for s in shas)
    capped = open(write_report(db, tmp_path / "c.html", max_images=1)).read()
    assert capped.count("data:image/png;base64,") == 1
    assert "roof-1_falling_object_000002.png</code>" in capped
    with pytest.raises(ValueError, match="no such event store"):
        write_report(tmp_path / "missing.sqlite", tmp_path / "x.html")


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium (apt-get install chromium)")
def test_report_renders_in_headless_chromium(tmp_path):
    import imageio.v3 as iio

    db = _store_with_evidence(tmp_path)
    out = os.path.abspath(write_report(db, tmp_path / "r.html"))
    shot = tmp_path / "shot.png"
    base = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}"]
    subprocess.run(base + [f"--screenshot={shot}", "--window-size=1200,900", f"file://{out}"],
                   check=True, capture_output=True, timeout=120)
    img = iio.imread(shot)[..., :3].astype(float)
    assert img.shape[:2] == (900, 1200)
    assert img.std() > 10  # not blank
    band = img[10:50, 10:1190].reshape(-1, 3).mean(axis=0)  # header band #1b4f8a
    assert np.allclose(band, [0x1B, 0x4F, 0x8A], atol=25)
    assert img[300:900].std() > 10  # content below the header
    dom = subprocess.run(base + ["--dump-dom", f"file://{out}"], check=True, capture_output=True,
                         text=True, timeout=120).stdout
    assert dom.count('<tr class="event"') == 2 + len(_riders())
    assert "roof-1" in dom and "<svg" in dom


from hypothesis import given, settings
from hypothesis import strategies as hs


@settings(max_examples=60, deadline=None)
@given(hs.integers(1, 10**6).flatmap(lambda n: hs.tuples(hs.integers(0, n), hs.just(n))))
def test_property_wilson_contains_the_estimate(kn):
    k, n = kn
    lo, hi = wilson_interval(k, n)
    assert 0.0 <= lo <= k / n + 1e-12 and k / n - 1e-12 <= hi <= 1.0
    lo2, hi2 = wilson_interval(n - k, n)  # symmetric in k <-> n - k
    assert lo2 == pytest.approx(1 - hi, abs=1e-12) and hi2 == pytest.approx(1 - lo, abs=1e-12)


def test_header_without_source_and_wide_charts_scroll():
    assert "<p>generated " in render_report([], title="t")
    assert "<p>a.sqlite &middot; generated " in render_report([], title="t", source="a.sqlite")
    riders = [Event("rider", 60.0 * i, 60.0 * i + 1, i, i, camera_id="camera-with-a-long-name",
                    details={"helmet": i % 2 == 0}) for i in range(30)]
    page = render_report(riders, title="t")
    assert page.count('<g class="bar">') == 30
    assert "overflow-x:auto" in page  # 30 windows are wider than the page: the section scrolls
    assert page.count("camera-with-\u2026</text>") == 30  # cut label, full name in each <title>
    assert page.count("<title>camera-with-a-long-name ") == 30
