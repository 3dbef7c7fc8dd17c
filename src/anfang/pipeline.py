"""The run loop: source -> detector -> sinks (store, JSON Lines, evidence).

Every event is committed the moment the detector returns it: appended to the store in its
own transaction and written to the JSON Lines file with ``flush`` + ``fsync``. If the source
breaks (a corrupt or truncated video), the events found before the damage are already
safe, pending evidence clips are written, and a :class:`~anfang.io.sources.SourceError`
is raised.

Example
-------
>>> import numpy as np
>>> from anfang.detector import Detector
>>> from anfang.events import Event
>>> class Bright(Detector):
...     def _update(self, frame, t):
...         if frame.mean() > 100:
...             return [Event("falling_object", t, t, self.frame_index, self.frame_index)]
...         return []
>>> frames = np.zeros((4, 8, 8), np.uint8); frames[2] = 200
>>> [e.frame_start for e in run((frames, [0.0, 0.1, 0.2, 0.3]), Bright(), camera_id="c1")]
[2]
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Callable, Iterable

from anfang.detector import Detector
from anfang.events import Event
from anfang.io.sources import SourceError, open_source

__all__ = ["run", "SourceError"]


def run(
    source: Any,
    detector: Detector,
    *,
    jsonl: Any = None,
    store: Any = None,
    evidence_dir: str | os.PathLike | None = None,
    camera_id: str | None = None,
    progress: bool = False,
    fps: float | None = None,
    color: str = "gray",
    pre: float = 3.0,
    post: float = 2.0,
    on_event: Callable[[Event, int | None], None] | None = None,
) -> list[Event]:
    """Run ``detector`` over ``source`` and commit every event as it happens.

    Parameters
    ----------
    source : path, URL, FrameSource, clip or (frames, t)
        Anything :func:`anfang.io.sources.open_source` accepts.
    detector : Detector
        Any object with ``update(frame, t)`` and ``finish()``; it is ``reset()`` first.
    jsonl : path or text stream, optional
        JSON Lines sink (one :meth:`Event.to_json` per line, fsync'ed per event).
    store : EventStore or path, optional
        SQLite sink (a path is opened and closed here).
    evidence_dir : path, optional
        Write a snapshot and a pre/post clip per event (needs a store to record their paths
        and hashes; without a store the files are still written).
    camera_id : str, optional
        Set on the detector and filled into events that carry no camera id. Default: the
        detector's own, else the source file's stem.
    progress : bool
        Show a progress bar on stderr.
    fps, color :
        Passed to :func:`open_source`.
    pre, post : float
        Seconds of clip before ``t_start`` and after ``t_end``.
    on_event : callable(event, row_id), optional
        Called after each event is committed.

    Returns
    -------
    list of Event
        Everything committed, in emission order.

    Raises
    ------
    SourceError
        The source broke; all events before the damage are committed first.
    KeyboardInterrupt
        Re-raised after the same flush: stopping a live stream keeps its last events and clips.
    """
    from anfang.io.jsonl import JsonlWriter
    from anfang.store import EventStore

    if not (hasattr(detector, "update") and hasattr(detector, "finish")):
        raise TypeError(f"detector: expected a Detector, got {type(detector).__name__}")
    if store is not None and not isinstance(store, (str, os.PathLike)) and not callable(getattr(store, "append", None)):
        raise TypeError(f"store: expected an EventStore or a path, got {type(store).__name__}")
    src = open_source(source, fps=fps, color=color)
    if camera_id is None:
        camera_id = getattr(detector, "camera_id", "") or (
            os.path.splitext(os.path.basename(src.name.rstrip("/")))[0]
            if src.kind in ("video", "images", "npz") else "")
    camera_id = str(camera_id)
    if hasattr(detector, "camera_id"):
        detector.camera_id = camera_id
    if hasattr(detector, "reset"):
        detector.reset()

    own_store = isinstance(store, (str, os.PathLike))
    st = writer = recorder = None
    try:  # a bad sink argument must not leak the open source or store
        st = EventStore(store) if own_store else store
        writer = JsonlWriter(jsonl) if jsonl is not None else None
        if evidence_dir is not None:
            from anfang.io.evidence import EvidenceRecorder

            recorder = EvidenceRecorder(evidence_dir, pre=pre, post=post)
    except BaseException:
        src.close()
        if writer is not None:
            writer.close()
        if own_store and st is not None:
            st.close()
        raise
    events: list[Event] = []
    row_of: dict[int, int | None] = {}

    def attach(done: Iterable[tuple[Any, dict]]) -> None:
        for key, ev in done:
            rid = row_of.get(key)
            if st is not None and rid is not None and ev:
                st.attach_evidence(rid, **ev)

    def commit(new: Iterable[Event]) -> None:
        for e in new:
            if not isinstance(e, Event):
                raise TypeError(f"detector: returned {type(e).__name__}, expected Event")
            if not e.camera_id and camera_id:
                e = dataclasses.replace(e, camera_id=camera_id)
            rid = st.append(e) if st is not None else None
            if writer is not None:
                writer.write(e)
            events.append(e)
            if recorder is not None:
                key = len(events)
                row_of[key] = rid
                snap = recorder.add(e, key)
                if st is not None and rid is not None and snap:
                    st.attach_evidence(rid, **snap)
            if on_event is not None:
                on_event(e, rid)

    from anfang.progress import Progress

    try:
        with Progress(total=src.n_frames, desc=f"{camera_id or 'frames'}",
                      enabled=None if progress else False) as bar:
            index = -1
            try:
                for frame, t in src:
                    index += 1
                    if recorder is not None:
                        attach(recorder.push(frame, t, index))
                    commit(detector.update(frame, t))
                    bar.update(1)
            except (SourceError, KeyboardInterrupt):
                # a broken source or a stop request (Ctrl-C, SIGTERM in the CLI) ends the
                # stream: flush the detector and the evidence, then re-raise
                commit(detector.finish())
                if recorder is not None:
                    attach(recorder.finish())
                raise
            commit(detector.finish())
            if recorder is not None:
                attach(recorder.finish())
    finally:
        src.close()
        if writer is not None:
            writer.close()
        if own_store:
            st.close()
    return events
