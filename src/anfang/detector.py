"""The detector protocol every anfang detector follows.

A detector is a stateful object: ``update(frame, t) -> list[Event]``, ``finish() ->
list[Event]``, ``reset()``. All state lives on the instance, so one worker can process many
cameras one after another (``reset()`` between videos) and many instances can run in
threads. :meth:`Detector.run` is a convenience loop over ``(frame, t)`` pairs.
"""

from __future__ import annotations

from typing import Iterable, Iterator

import numpy as np

from anfang.events import Event
from anfang.frames import check_frame, check_time

__all__ = ["Detector"]


class Detector:
    """Base class: validates frames and timestamps, counts frames, defines ``run``.

    Subclasses implement :meth:`_update` (and optionally :meth:`_finish` and
    :meth:`_reset`). ``self.frame_index`` is the 0-based index of the frame being processed
    and ``self.last_t`` the previous timestamp.
    """

    camera_id: str = ""

    def __init__(self, camera_id: str = "") -> None:
        self.camera_id = str(camera_id)
        self.frame_index = -1
        self.last_t: float | None = None

    # -- public API -------------------------------------------------------------------
    def update(self, frame: np.ndarray, t: float) -> list[Event]:
        """Process one frame taken at ``t`` seconds; return the events it completes."""
        frame = check_frame(frame)
        tf = check_time(t, self.last_t)
        self.frame_index += 1
        events = self._update(frame, tf)
        self.last_t = tf
        return events

    def finish(self) -> list[Event]:
        """End of stream: flush pending events."""
        return self._finish()

    def reset(self) -> None:
        """Forget everything, ready for another video."""
        self.frame_index = -1
        self.last_t = None
        self._reset()

    def run(self, frames: Iterable[tuple[np.ndarray, float]]) -> list[Event]:
        """Process ``(frame, t)`` pairs to the end and return every event."""
        return list(self.iter_events(frames))

    def iter_events(self, frames: Iterable[tuple[np.ndarray, float]]) -> Iterator[Event]:
        """Like :meth:`run` but yields events as soon as they are known."""
        for frame, t in frames:
            yield from self.update(frame, t)
        yield from self.finish()

    # -- for subclasses ---------------------------------------------------------------
    def _update(self, frame: np.ndarray, t: float) -> list[Event]:  # pragma: no cover
        raise NotImplementedError

    def _finish(self) -> list[Event]:
        return []

    def _reset(self) -> None:
        pass
