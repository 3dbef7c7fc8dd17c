"""``anfang detect {falling,lost,helmet} SOURCE``: run one detector over a video, a folder of
images, a ``.npz`` clip or a stream URL; events go out as JSON Lines (stdout or ``--jsonl``),
and optionally into an event store (``--db``) with evidence (``--evidence``).

:data:`REGISTRY` maps a detector name to where its class lives, the options it adds to the
command line and how it is built from them. The detector module is imported only when the
subcommand runs, so a missing detector only breaks its own subcommand (exit code 1).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
from dataclasses import dataclass
from typing import Any, Callable

__all__ = ["REGISTRY", "DetectorEntry", "load_class", "build_detector", "available", "parse_set"]


@dataclass(frozen=True)
class DetectorEntry:
    """How the CLI finds, configures and builds one detector."""

    import_path: str  # "package.module:ClassName"
    help: str
    add_options: Callable[[argparse.ArgumentParser], None]
    kwargs_from_args: Callable[[argparse.Namespace], dict]
    #: turns JSON-able kwargs (paths, numbers) into constructor kwargs, in the worker
    from_spec: Callable[[dict], dict] = dict
    #: "module:Class" of the detector's configuration (a ConfigMixin with ``load``): a
    #: ``config`` given as a path is loaded with it
    config_class: str = ""


def _falling_opts(p: argparse.ArgumentParser) -> None:
    p.add_argument("--facade", metavar="F.json",
                   help="facade calibration (floor lines / homography) written by anfang.falling.Facade.save")
    p.add_argument("--alarms", metavar="OUT",
                   help="also write each alarm here the moment it is raised (JSON Lines, status "
                        "'alarm'), and a 'withdrawn' line if it is taken back; the complete "
                        "event follows in the events output when the object's track ends")


def _falling_kwargs(a: argparse.Namespace) -> dict:
    kw: dict[str, Any] = {"facade": a.facade} if a.facade else {}
    if getattr(a, "alarms", None):
        from anfang.io.jsonl import JsonlWriter

        kw["on_alarm"] = JsonlWriter(a.alarms)  # closed by _run
    return kw


def _falling_from_spec(kw: dict) -> dict:
    kw = dict(kw)
    if isinstance(kw.get("facade"), str):  # a path: load the calibration
        from anfang.falling import Facade

        kw["facade"] = Facade.load(kw["facade"])
    return kw


def _lost_opts(p: argparse.ArgumentParser) -> None:
    p.add_argument("--zones", metavar="Z.json", help="watch / ignore polygons (anfang.lost.Zones JSON)")
    p.add_argument("--dwell", metavar="SECONDS", type=float,
                   help="seconds an object must stay before it counts as dropped")


def _lost_kwargs(a: argparse.Namespace) -> dict:
    kw: dict[str, Any] = {}
    if a.zones:
        kw["zones"] = a.zones
    if a.dwell is not None:
        if not a.dwell > 0:
            raise ValueError(f"--dwell: expected seconds > 0, got {a.dwell}")
        kw["dwell_s"] = a.dwell
    return kw


def _helmet_opts(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rate-window", metavar="WINDOW", default=None,
                   help="window of the helmet-wearing rate: seconds or e.g. 15min, 1h (default 15min)")


def _helmet_kwargs(a: argparse.Namespace) -> dict:
    if a.rate_window is None:
        return {}
    from anfang.helmet.rate import parse_window

    try:
        parse_window(a.rate_window)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"--rate-window: {exc}") from None
    return {"rate_window": a.rate_window}


#: name -> :class:`DetectorEntry`.
REGISTRY: dict[str, DetectorEntry] = {
    "falling": DetectorEntry("anfang.falling:FallingObjectDetector",
                             "objects falling from a building facade", _falling_opts, _falling_kwargs,
                             _falling_from_spec, "anfang.falling:FallingConfig"),
    "lost": DetectorEntry("anfang.lost:LostPackageDetector",
                          "packages left behind, picked up or removed", _lost_opts, _lost_kwargs,
                          config_class="anfang.lost:LostConfig"),
    "helmet": DetectorEntry("anfang.helmet:HelmetDetector",
                            "two-wheeler riders with / without helmet", _helmet_opts, _helmet_kwargs,
                            config_class="anfang.helmet:HelmetDetectorConfig"),
}


def parse_set(items: list[str] | None) -> dict[str, Any]:
    """``--set KEY=VALUE`` options to a dict: VALUE is read as JSON (``1.5``, ``true``,
    ``[0.3, 2]``, ``{"g_band": [0.3, 2]}``) and, when it is not JSON, kept as a string
    (``emit=alarm``). A key given twice keeps its last value.

    >>> parse_set(["min_drop_floors=1.5", "emit=alarm", 'rules={"g_band": [0.3, 2]}'])
    {'min_drop_floors': 1.5, 'emit': 'alarm', 'rules': {'g_band': [0.3, 2]}}
    """
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = str(item).partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise ValueError(f"--set: expected KEY=VALUE with KEY a setting's name, got {item!r}")
        try:
            out[key] = json.loads(raw)
        except ValueError:
            out[key] = raw
    return out


class DetectorUnavailable(ImportError):
    pass


def load_class(name_or_path: str) -> type:
    """The detector class for a registry name or a ``"module:Class"`` path.

    Raises :class:`DetectorUnavailable` (an ImportError) with a readable message when the
    module or class does not exist.
    """
    entry = REGISTRY.get(name_or_path)
    path = entry.import_path if entry is not None else name_or_path
    if ":" not in path:
        raise ValueError(
            f"detector: expected one of {sorted(REGISTRY)} or 'module:Class', got {name_or_path!r}")
    mod_name, cls_name = path.split(":", 1)
    try:
        mod = importlib.import_module(mod_name)
    except ImportError as exc:
        raise DetectorUnavailable(
            f"detector {name_or_path!r} is not available in this installation "
            f"({mod_name} cannot be imported: {exc})") from exc
    try:
        return getattr(mod, cls_name)
    except AttributeError:
        raise DetectorUnavailable(
            f"detector {name_or_path!r} is not available: {mod_name} has no {cls_name}") from None


def build_detector(name_or_path: str, kwargs: dict | None = None, camera_id: str = ""):
    """Instantiate a detector: ``cls(camera_id=camera_id, **kwargs)``.

    For a registry name, ``kwargs`` may be plain JSON values (e.g. ``{"facade": "f.json"}``);
    the entry's ``from_spec`` turns them into constructor arguments.
    """
    cls = load_class(name_or_path)
    kw = dict(kwargs or {})
    entry = REGISTRY.get(name_or_path)
    if entry is not None:
        kw = entry.from_spec(kw)
        cfg = kw.get("config")
        if entry.config_class and isinstance(cfg, (str, os.PathLike)):
            kw["config"] = load_class(entry.config_class).load(cfg)
    return cls(camera_id=camera_id, **kw)


def available() -> dict[str, str | None]:
    """For each registry name: ``None`` if importable, else the reason it is not."""
    out: dict[str, str | None] = {}
    for name in REGISTRY:
        try:
            load_class(name)
            out[name] = None
        except DetectorUnavailable as exc:
            out[name] = str(exc)
    return out


def add_common_source_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--fps", type=float, help="frame rate for image folders / clips without timestamps (default 25)")
    p.add_argument("--color", choices=("gray", "rgb"), default="gray",
                   help="feed the detector grey (default) or RGB frames")


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "detect",
        help="run a detector over a video, image folder, .npz clip or stream",
        description=__doc__.split("\n\n")[0].replace("``", ""),
    )
    dsub = parser.add_subparsers(dest="detector", metavar="DETECTOR", required=True)
    for name, entry in REGISTRY.items():
        p = dsub.add_parser(name, help=entry.help, description=f"Detect {entry.help}.")
        p.add_argument("source", metavar="SOURCE",
                       help="video file, folder of images, .npz clip or rtsp/http URL")
        p.add_argument("--jsonl", metavar="OUT", help="write events as JSON Lines here (default: stdout)")
        p.add_argument("--db", metavar="F", help="also append events to this SQLite event store")
        p.add_argument("--evidence", metavar="DIR",
                       help="write a snapshot PNG and a pre/post clip per event here (recorded in --db)")
        p.add_argument("--camera-id", metavar="C", help="camera id (default: the source's file name)")
        p.add_argument("--pre", type=float, default=3.0, help="seconds of clip before the event (3)")
        p.add_argument("--post", type=float, default=2.0, help="seconds of clip after the event (2)")
        add_common_source_options(p)
        p.add_argument("--no-progress", action="store_true", help="no progress bar")
        p.add_argument("--config", metavar="CFG.json",
                       help="the detector's settings, as written by its config class's save()")
        p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override one setting (VALUE as JSON, else a string), e.g. "
                            "--set min_drop_floors=1.5 --set emit=alarm; repeatable")
        entry.add_options(p)
        p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    entry = REGISTRY[args.detector]
    kwargs = entry.kwargs_from_args(args)
    sinks = [v for v in kwargs.values() if hasattr(v, "close") and hasattr(v, "write")]
    try:
        return _run_with(args, kwargs)
    finally:  # sinks opened for the detector (e.g. --alarms)
        for v in sinks:
            v.close()


def _run_with(args: argparse.Namespace, kwargs: dict) -> int:
    import signal
    import sys

    from anfang.pipeline import run

    if getattr(args, "config", None):
        kwargs["config"] = args.config
    kwargs.update(parse_set(getattr(args, "set", None)))  # --set last: it overrides the rest
    try:
        detector = build_detector(args.detector, kwargs, args.camera_id or "")
    except DetectorUnavailable as exc:
        print(f"anfang detect {args.detector}: error: {exc}", file=sys.stderr)
        return 1

    def _stop(signum, frame):  # SIGTERM (systemd, docker stop) ends a stream like Ctrl-C
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGTERM, _stop)
    except ValueError:  # not the main thread
        pass
    out = args.jsonl if args.jsonl else sys.stdout
    events = run(args.source, detector, jsonl=out, store=args.db, evidence_dir=args.evidence,
                 camera_id=args.camera_id, progress=not args.no_progress, fps=args.fps,
                 color=args.color, pre=args.pre, post=args.post)
    print(f"anfang detect {args.detector}: {len(events)} events", file=sys.stderr)
    rate = getattr(detector, "rate", None)
    if rate is not None and hasattr(rate, "format_table"):
        # the wearing-rate table goes to stderr when the events go to stdout
        print(rate.format_table(), file=sys.stderr if out is sys.stdout else sys.stdout)
    return 0
