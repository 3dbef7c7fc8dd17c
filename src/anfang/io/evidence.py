"""Evidence for each event: an annotated PNG snapshot and a pre/post clip, with SHA-256.

:class:`FrameRing` keeps the most recent frames (time-based, bounded in bytes).
:class:`EvidenceRecorder` turns an event into

* ``<stem>.png``: the frame nearest the event's end with overlays drawn by
  :func:`annotate`: the box (red), the ``trajectory`` polyline (yellow, points are the
  last two numbers of each row: ``[x, y]``, ``[t, x, y]`` or ``[frame, t, x, y]``), the
  ``origin`` point (cyan cross) and its floor as text (``F12``) in a tiny built-in bitmap font;
* ``<stem>.mp4`` (PyAV installed) or ``<stem>.npz``: the frames from ``pre`` seconds before
  ``t_start`` (as far as the ring still holds them) to ``post`` seconds after ``t_end``.

The snapshot is written as soon as the event arrives; the clip once the post-event frames
have been seen (or at end of stream). Everything is drawn with :mod:`skimage.draw` and
written with :mod:`imageio` (no OpenCV).

Example
-------
>>> import numpy as np
>>> from anfang.events import Event
>>> ev = Event("falling_object", 0.0, 1.0, 0, 25, bbox=(4, 4, 12, 12),
...            details={"trajectory": [[6, 2], [7, 8], [8, 20]], "origin": {"floor": 3, "x": 6, "y": 2}})
>>> img = annotate(np.zeros((32, 32), np.uint8), ev)
>>> img.shape, img[3, 8].tolist()  # the red box ring just outside the bbox
((32, 32, 3), [255, 40, 40])
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from anfang.events import Event

__all__ = ["FrameRing", "EvidenceRecorder", "annotate", "sha256_file", "trajectory_points"]

RED = (255, 40, 40)
YELLOW = (255, 220, 0)
CYAN = (0, 220, 255)

# 3x5 bitmap glyphs, rows top to bottom, bit 2 = left column.
_FONT = {
    "0": (7, 5, 5, 5, 7), "1": (2, 6, 2, 2, 7), "2": (7, 1, 7, 4, 7), "3": (7, 1, 7, 1, 7),
    "4": (5, 5, 7, 1, 1), "5": (7, 4, 7, 1, 7), "6": (7, 4, 7, 5, 7), "7": (7, 1, 1, 1, 1),
    "8": (7, 5, 7, 5, 7), "9": (7, 5, 7, 1, 7), "-": (0, 0, 7, 0, 0), " ": (0, 0, 0, 0, 0),
    "F": (7, 4, 6, 4, 4), "C": (7, 4, 4, 4, 7), "T": (7, 2, 2, 2, 2), "I": (7, 2, 2, 2, 7),
    "D": (6, 5, 5, 5, 6), ":": (0, 2, 0, 2, 0), ".": (0, 0, 0, 0, 2), "#": (5, 7, 5, 7, 5),
}


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def trajectory_points(traj: Any) -> np.ndarray:
    """``(N, 2)`` float array of x, y from a ``trajectory`` detail (last two numbers per row,
    or ``{"x":..,"y":..}`` rows); empty if there is none or it cannot be read."""
    pts = []
    for row in traj or ():
        try:
            if isinstance(row, Mapping):
                pts.append((float(row["x"]), float(row["y"])))
            elif len(row) >= 2:
                pts.append((float(row[-2]), float(row[-1])))
        except (KeyError, TypeError, ValueError):
            continue
    arr = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
    return arr[np.all(np.isfinite(arr), axis=1)]


def _put(img: np.ndarray, rr: np.ndarray, cc: np.ndarray, color) -> None:
    h, w = img.shape[:2]
    ok = (rr >= 0) & (rr < h) & (cc >= 0) & (cc < w)
    img[rr[ok], cc[ok]] = color


def draw_text(img: np.ndarray, text: str, x: int, y: int, color=CYAN, scale: int = 2) -> None:
    """Draw ``text`` (digits and a few capitals) with its top-left corner at ``(x, y)``."""
    cx = int(x)
    for ch in text.upper():
        glyph = _FONT.get(ch)
        if glyph is None:
            cx += 4 * scale
            continue
        rows, cols = [], []
        for r, bits in enumerate(glyph):
            for c in range(3):
                if bits & (4 >> c):
                    for dy in range(scale):
                        for dx in range(scale):
                            rows.append(int(y) + r * scale + dy)
                            cols.append(cx + c * scale + dx)
        _put(img, np.asarray(rows, int), np.asarray(cols, int), color)
        cx += 4 * scale


def annotate(frame: np.ndarray, event: Event) -> np.ndarray:
    """An RGB copy of ``frame`` with the event's box, trajectory and origin drawn on it."""
    from skimage.draw import line

    img = np.asarray(frame)
    img = np.repeat(img[:, :, None], 3, axis=2) if img.ndim == 2 else img.copy()
    h, w = img.shape[:2]
    pts = trajectory_points(event.get("trajectory"))
    for (x0, y0), (x1, y1) in zip(pts[:-1], pts[1:]):
        rr, cc = line(int(round(y0)), int(round(x0)), int(round(y1)), int(round(x1)))
        _put(img, rr, cc, YELLOW)
    if event.bbox is not None:
        x0, y0, x1, y1 = event.bbox
        r0, c0 = int(np.floor(y0)), int(np.floor(x0))
        r1, c1 = int(np.ceil(y1)), int(np.ceil(x1))
        for g in (0, 1):  # two pixels wide, just outside the box
            a, b, c, d = r0 - 1 - g, c0 - 1 - g, r1 + g, c1 + g
            for (ra, ca), (rb, cb) in (((a, b), (a, d)), ((a, d), (c, d)), ((c, d), (c, b)), ((c, b), (a, b))):
                rr, cc = line(ra, ca, rb, cb)
                _put(img, rr, cc, RED)
    origin = event.get("origin")
    if isinstance(origin, Mapping):
        ox, oy = origin.get("x"), origin.get("y")
        if ox is None and len(pts):
            ox, oy = pts[0]
        if ox is not None and oy is not None:
            ox, oy = int(round(float(ox))), int(round(float(oy)))
            for d in range(-4, 5):
                _put(img, np.array([oy, oy + d]), np.array([ox + d, ox]), CYAN)
            if origin.get("floor") is not None:
                label = f"F{origin['floor']}"
                tx = min(max(ox + 6, 0), max(w - 8 * len(label), 0))
                draw_text(img, label, tx, max(oy - 12, 0))
    return img


def _check_seconds(v: Any, name: str) -> None:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected seconds as a number, got {type(v).__name__} {v!r}")


class FrameRing:
    """The last ``keep`` seconds of frames, never more than ``max_bytes``.

    Parameters
    ----------
    keep : float
        Seconds of history kept before the newest frame.
    max_bytes : int
        Memory bound; the oldest frames go first when it is exceeded.
    """

    def __init__(self, keep: float = 8.0, max_bytes: int = 256 << 20) -> None:
        _check_seconds(keep, "keep")
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, (int, np.integer)):
            raise TypeError(f"max_bytes: expected an int, got {type(max_bytes).__name__} {max_bytes!r}")
        if not keep >= 0:
            raise ValueError(f"keep: expected seconds >= 0, got {keep!r}")
        if int(max_bytes) <= 0:
            raise ValueError(f"max_bytes: expected > 0, got {max_bytes!r}")
        self.keep, self.max_bytes = float(keep), int(max_bytes)
        self._buf: deque[tuple[int, float, np.ndarray]] = deque()
        self.nbytes = 0

    def push(self, frame: np.ndarray, t: float, index: int) -> None:
        self._buf.append((int(index), float(t), frame))
        self.nbytes += frame.nbytes
        while self._buf and (self._buf[0][1] < t - self.keep or self.nbytes > self.max_bytes):
            if len(self._buf) == 1:
                break
            self.nbytes -= self._buf.popleft()[2].nbytes

    def window(self, t0: float, t1: float) -> list[tuple[int, float, np.ndarray]]:
        return [item for item in self._buf if t0 <= item[1] <= t1]

    def nearest(self, t: float) -> tuple[int, float, np.ndarray] | None:
        if not self._buf:
            return None
        return min(self._buf, key=lambda item: abs(item[1] - t))

    def __len__(self) -> int:
        return len(self._buf)


class _Done:
    """An already-finished stand-in for a Future (clips written on the calling thread)."""

    def __init__(self, value: dict) -> None:
        self.value = value

    def done(self) -> bool:
        return True

    def result(self) -> dict:
        return self.value


@dataclass
class _Pending:
    key: Any
    event: Event
    stem: str
    deadline: float
    frames: list = field(default_factory=list)


def _safe(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", s)[:40] or "cam"


class EvidenceRecorder:
    """Collects frames and writes each event's snapshot and pre/post clip into ``out_dir``.

    Use: call :meth:`push` for every frame *before* handing it to the detector, :meth:`add`
    for every event (returns the snapshot evidence), and collect finished clips from the
    return values of :meth:`push` and :meth:`finish` (lists of ``(key, evidence)``, where
    evidence is a dict of ``clip_path``/``clip_sha256``). With ``background=True`` (the
    default) clips are encoded on one helper thread so the frame loop does not stall;
    :meth:`finish` waits for them. Frames handed to :meth:`push` must not be modified
    afterwards (the ring keeps references, not copies).
    """

    def __init__(self, out_dir: str | os.PathLike, pre: float = 3.0, post: float = 2.0,
                 keep: float | None = None, max_bytes: int = 256 << 20, clips: bool = True,
                 background: bool = True) -> None:
        for name, v in (("pre", pre), ("post", post)):
            _check_seconds(v, name)
        if not (pre >= 0 and post >= 0):
            raise ValueError(f"pre, post: expected seconds >= 0, got {pre!r}, {post!r}")
        self.out_dir = os.path.abspath(os.fspath(out_dir))  # rows stay valid from any cwd
        os.makedirs(self.out_dir, exist_ok=True)
        self.pre, self.post, self.clips = float(pre), float(post), bool(clips)
        self.ring = FrameRing(keep if keep is not None else pre + 5.0, max_bytes)
        self._pending: list[_Pending] = []
        self._n = 0
        self._last_t: float | None = None
        self.background = bool(background)
        self._pool = None
        self._writing: list = []  # (key, future) of clips being encoded

    def push(self, frame: np.ndarray, t: float, index: int) -> list[tuple[Any, dict]]:
        self.ring.push(frame, t, index)
        self._last_t = float(t)
        for p in list(self._pending):
            if t <= p.deadline:
                p.frames.append((index, t, frame))
            else:
                self._pending.remove(p)
                self._submit(p)
        return self._collect(wait=False)

    def add(self, event: Event, key: Any = None) -> dict:
        """Write the snapshot now and start collecting the clip; returns snapshot evidence."""
        self._n += 1
        key = self._n if key is None else key
        stem = os.path.join(self.out_dir, f"{_safe(event.camera_id)}_{_safe(event.kind)}_{key:06d}"
                            if isinstance(key, int) else f"{_safe(event.camera_id)}_{_safe(str(key))}")
        out: dict = {}
        item = self.ring.nearest(event.t_end)
        if item is not None:
            import imageio.v3 as iio

            path = stem + ".png"
            iio.imwrite(path, annotate(item[2], event))
            out = {"snapshot_path": path, "snapshot_sha256": sha256_file(path)}
        if self.clips:
            pre = self.ring.window(event.t_start - self.pre, float("inf"))
            p = _Pending(key, event, stem, event.t_end + self.post, list(pre))
            if self._last_t is not None and self._last_t >= p.deadline:
                p.frames = self.ring.window(event.t_start - self.pre, p.deadline)
                self._submit(p)
            else:
                self._pending.append(p)
        return out

    def finish(self) -> list[tuple[Any, dict]]:
        """End of stream: write every clip still waiting for post-event frames."""
        for p in self._pending:
            self._submit(p)
        self._pending.clear()
        done = self._collect(wait=True)
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        return done

    def _submit(self, p: _Pending) -> None:
        if not self.background:
            self._writing.append((p.key, _Done(self._write_clip(p))))
            return
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="anfang-clip")
        self._writing.append((p.key, self._pool.submit(self._write_clip, p)))

    def _collect(self, wait: bool) -> list[tuple[Any, dict]]:
        done, keep = [], []
        for key, fut in self._writing:
            if wait or fut.done():
                done.append((key, fut.result()))
            else:
                keep.append((key, fut))
        self._writing = keep
        return done

    @property
    def pending(self) -> int:
        """Clips still collecting post-event frames or being encoded."""
        return len(self._pending) + len(self._writing)

    def _write_clip(self, p: _Pending) -> dict:
        if not p.frames:
            return {}
        from anfang.io.video import write_clip

        frames = np.stack([f for _, _, f in p.frames])
        ts = np.array([t for _, t, _ in p.frames])
        path = write_clip(p.stem, frames, ts)
        return {"clip_path": path, "clip_sha256": sha256_file(path)}
