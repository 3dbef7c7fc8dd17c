"""Run one detector over many videos: a process pool or a Dask cluster.

Each video is one task, :func:`process_source` (a top-level, picklable function taking the
source path and a detector *spec*: ``{"name": "falling" | "module:Class", "kwargs": {...}}``).
Tasks run anywhere; their events come back to the caller, which writes them into the store
in a deterministic order (the order of ``sources``, then each video's emission order), so
the same inputs give the same store on either engine and with any number of workers.

Example
-------
>>> run_batch([], {"name": "falling"}, engine="process")
[]
"""

from __future__ import annotations

import os
from typing import Any, Iterable, Sequence

from anfang.events import Event

__all__ = ["run_batch", "process_source", "DetectorSpec", "ENGINES"]

ENGINES = ("process", "dask", "serial")

DetectorSpec = dict  # {"name": str, "kwargs": dict}


def _check_spec(spec: Any) -> dict:
    if isinstance(spec, str):
        spec = {"name": spec}
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise TypeError(f"detector: expected a spec {{'name': str, 'kwargs': dict}} or a name, got {spec!r}")
    kwargs = spec.get("kwargs") or {}
    if not isinstance(kwargs, dict):
        raise TypeError(f"detector: 'kwargs' must be a dict, got {type(kwargs).__name__}")
    return {"name": spec["name"], "kwargs": dict(kwargs)}


def camera_id_for(source: str) -> str:
    """Default camera id of a source: its file name without extension."""
    return os.path.splitext(os.path.basename(os.fspath(source).rstrip("/")))[0]


def process_source(source: str, spec: dict, camera_id: str | None = None,
                   evidence_dir: str | None = None, fps: float | None = None) -> dict:
    """Run the spec'd detector over one source; the unit of work of :func:`run_batch`.

    Returns ``{"source", "camera_id", "events": [event dicts], "evidence": [dict or None],
    "error": str or None}``. A broken source keeps the events found before the damage and
    reports the error instead of raising, so one bad file does not sink a batch.
    """
    from anfang.commands.detect import build_detector
    from anfang.io.sources import SourceError
    from anfang.pipeline import run

    spec = _check_spec(spec)
    cam = camera_id if camera_id is not None else camera_id_for(source)
    det = build_detector(spec["name"], spec["kwargs"], camera_id=cam)
    found: list[tuple[Event, Any]] = []
    evidence: dict[int, dict] = {}

    class _Collect:  # a store stand-in that keeps evidence per event index
        def append(self, e):
            found.append(e)
            return len(found)

        def attach_evidence(self, rid, **kw):
            evidence.setdefault(rid, {}).update(kw)

    error = None
    ev_dir = os.path.join(evidence_dir, cam) if evidence_dir else None
    try:
        run(source, det, store=_Collect(), evidence_dir=ev_dir, camera_id=cam, fps=fps)
    except (SourceError, OSError) as exc:
        error = str(exc)
    return {"source": os.fspath(source), "camera_id": cam,
            "events": [e.to_dict() for e in found],
            "evidence": [evidence.get(i + 1) for i in range(len(found))],
            "error": error}


def _merge(results: list[dict], store: Any) -> list[Event]:
    from anfang.store import EventStore

    own = store is not None and not isinstance(store, EventStore)
    st = EventStore(store) if own else store
    out = []
    try:
        for res in results:
            for d, ev in zip(res["events"], res["evidence"]):
                e = Event.from_dict(d)
                out.append(e)
                if st is not None:
                    rid = st.append(e)
                    if ev:
                        st.attach_evidence(rid, **ev)
    finally:
        if own:
            st.close()
    return out


def run_batch(
    sources: Sequence[str | os.PathLike],
    detector: dict | str,
    *,
    engine: str = "process",
    store: Any = None,
    workers: int = 2,
    scheduler: Any = None,
    evidence_dir: str | os.PathLike | None = None,
    fps: float | None = None,
    progress: bool = False,
    errors: list | None = None,
) -> list[Event]:
    """Run a detector over every source in parallel and merge the events into ``store``.

    Parameters
    ----------
    sources : sequence of paths
        Videos, image folders or ``.npz`` clips; the camera id of each is its file stem.
    detector : dict or str
        ``{"name": ..., "kwargs": {...}}``: a registry name (``falling``, ``lost``,
        ``helmet``) or ``"module:Class"``, built as ``cls(camera_id=..., **kwargs)`` inside
        the worker. It must be importable there.
    engine : {"process", "dask", "serial"}
        ``process``: a :class:`concurrent.futures.ProcessPoolExecutor` with ``workers``
        processes. ``dask``: ``dask.distributed`` (the ``dask`` extra) on ``scheduler``
        (an address such as ``"tcp://10.0.0.5:8786"`` or a ``Client``), or a local cluster of
        ``workers`` single-threaded processes when it is None. ``serial``: in this process.
    store : EventStore or path, optional
        Where the merged events go.
    evidence_dir : path, optional
        Evidence root (one sub-folder per camera); must be shared storage for a remote cluster.
    errors : list, optional
        Receives ``(source, message)`` for each source that broke (its earlier events are kept).

    Returns
    -------
    list of Event
        In merge order.
    """
    if isinstance(sources, (str, bytes, os.PathLike)) or not isinstance(sources, Iterable):
        raise TypeError(f"sources: expected a sequence of paths (wrap a single path in a list), "
                        f"got {type(sources).__name__} {sources!r}")
    spec = _check_spec(detector)
    if engine not in ENGINES:
        raise ValueError(f"engine: expected one of {ENGINES}, got {engine!r}")
    if int(workers) < 1:
        raise ValueError(f"workers: expected >= 1, got {workers!r}")
    srcs = []
    for i, s in enumerate(sources):
        try:
            srcs.append(os.fspath(s))
        except TypeError:
            raise TypeError(f"sources[{i}]: expected a path (str or os.PathLike), got {type(s).__name__}") from None
    ev_dir = os.fspath(evidence_dir) if evidence_dir is not None else None
    args = [(s, spec, camera_id_for(s), ev_dir, fps) for s in srcs]
    from anfang.progress import Progress

    results: list[dict] = [None] * len(args)  # type: ignore[list-item]
    with Progress(total=len(args), desc="videos", enabled=None if progress else False) as bar:
        if not args:
            pass
        elif engine == "serial":
            for i, a in enumerate(args):
                results[i] = process_source(*a)
                bar.update(1)
        elif engine == "process":
            from concurrent.futures import ProcessPoolExecutor, as_completed

            with ProcessPoolExecutor(max_workers=min(int(workers), len(args))) as pool:
                futs = {pool.submit(process_source, *a): i for i, a in enumerate(args)}
                for f in as_completed(futs):
                    results[futs[f]] = f.result()
                    bar.update(1)
        else:
            results = _run_dask(args, scheduler, int(workers), bar)
    for r in results:
        if r["error"] and errors is not None:
            errors.append((r["source"], r["error"]))
    return _merge(results, store)


def _run_dask(args: list, scheduler: Any, workers: int, bar: Any) -> list[dict]:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as exc:
        raise ImportError(
            "engine='dask' needs dask.distributed; install the extra: pip install 'anfang[dask]'"
        ) from exc
    cluster = client = None
    own = False
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client, own = Client(cluster), True
    elif isinstance(scheduler, str):
        client, own = Client(scheduler), True
    else:
        client = scheduler
    try:
        futs = [client.submit(process_source, *a, pure=False) for a in args]
        index = {f.key: i for i, f in enumerate(futs)}
        results: list[dict] = [None] * len(futs)  # type: ignore[list-item]
        for f in as_completed(futs):
            results[index[f.key]] = f.result()
            bar.update(1)
        return results
    finally:
        if own:
            client.close()
        if cluster is not None:
            cluster.close()
