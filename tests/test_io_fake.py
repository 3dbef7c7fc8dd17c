"""A tiny fake detector and clip maker shared by the main-job tests (store, io, report,
scale, cli). The real detectors land separately; everything here speaks only the Detector
protocol and the Event type.

FlashDetector reports one ``falling_object`` per run of frames holding a bright spot, when
the run ends (one frame late, like a real tracker), with the spot's centroid per frame as
its trajectory.
"""

from __future__ import annotations

import numpy as np
import pytest

from anfang.detector import Detector
from anfang.events import Event


class FlashDetector(Detector):
    def __init__(self, camera_id: str = "", threshold: int = 200, floor: int = 3) -> None:
        super().__init__(camera_id)
        self.threshold, self.floor = threshold, floor
        self._reset()

    def _reset(self) -> None:
        self._run = []  # (frame_index, t, x, y, bbox)

    def _emit(self) -> list[Event]:
        if not self._run:
            return []
        r, self._run = self._run, []
        x0, y0, x1, y1 = r[0][4]
        return [Event("falling_object", r[0][1], r[-1][1], r[0][0], r[-1][0], camera_id=self.camera_id,
                      bbox=(x0, y0, x1, y1), track_id=r[0][0], confidence=0.9,
                      details={"trajectory": [[i, t, x, y] for i, t, x, y, _ in r],
                               "origin": {"floor": self.floor, "x": r[0][2], "y": r[0][3]}})]

    def _update(self, frame: np.ndarray, t: float) -> list[Event]:
        g = frame if frame.ndim == 2 else frame.max(axis=2)
        ys, xs = np.nonzero(g >= self.threshold)
        if len(xs) == 0:
            return self._emit()
        bbox = (float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1))
        self._run.append((self.frame_index, t, float(xs.mean()), float(ys.mean()), bbox))
        return []

    def _finish(self) -> list[Event]:
        return self._emit()


def make_clip(n: int = 60, flashes=((10, 14), (30, 33)), size=(64, 48), fps: float = 25.0, seed: int = 0):
    """Grey frames (noise around 60) with a bright 6x6 square moving down during each
    ``(first, last)`` frame range of ``flashes``; returns ``frames, t``."""
    w, h = size
    rng = np.random.default_rng(seed)
    frames = rng.integers(50, 70, (n, h, w), dtype=np.uint8)
    for a, b in flashes:
        for k, i in enumerate(range(a, b + 1)):
            y = min(4 + 3 * k, h - 6)
            frames[i, y:y + 6, w // 2 - 3:w // 2 + 3] = 240
    return frames, np.arange(n) / fps


def test_fake_detector_finds_each_flash_once():
    frames, t = make_clip()
    events = FlashDetector(camera_id="c").run(zip(frames, t))
    assert [(e.frame_start, e.frame_end) for e in events] == [(10, 14), (30, 33)]
    assert events[0]["trajectory"][0][3] == 4 + 2.5  # centre row of the first square


def test_fake_detector_flushes_a_run_open_at_the_end():
    frames, t = make_clip(n=20, flashes=((15, 19),))
    assert [(e.frame_start, e.frame_end) for e in FlashDetector().run(zip(frames, t))] == [(15, 19)]


def test_run_rejects_bad_sinks_by_name(tmp_path):
    from anfang.pipeline import run

    frames, t = make_clip(n=60)
    with pytest.raises(TypeError, match="store: expected an EventStore or a path, got int"):
        run((frames, t), FlashDetector(), store=5)
    with pytest.raises(TypeError, match="pre: expected seconds as a number, got str"):
        run((frames, t), FlashDetector(), evidence_dir=tmp_path / "ev", pre="1")
    with pytest.raises(TypeError, match="detector: expected a Detector, got str"):
        run((frames, t), "falling")
    # the same call with good arguments works after the failures
    assert [(e.frame_start, e.frame_end) for e in run((frames, t), FlashDetector(), store=tmp_path / "s.sqlite")] \
        == [(e.frame_start, e.frame_end) for e in FlashDetector().run(zip(frames, t))]
