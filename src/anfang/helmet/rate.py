"""Helmet-wearing rate per camera and time window, with Wilson 95 % intervals."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from typing import Any, Iterable

import numpy as np

from anfang.events import Event
from anfang.helmet.metrics import wilson_interval

__all__ = ["WearingRate", "parse_window"]

_UNITS = {"s": 1.0, "sec": 1.0, "min": 60.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_window(window) -> float:
    """Window length in seconds from a number or a string like ``"15min"``, ``"30s"``, ``"1h"``.

    Examples
    --------
    >>> parse_window("15min"), parse_window(90), parse_window("1.5 h")
    (900.0, 90.0, 5400.0)
    """
    if isinstance(window, bool):
        raise TypeError(f"window: expected seconds or a string like '15min', got {window!r}")
    if isinstance(window, (int, float)):
        sec = float(window)
    elif isinstance(window, str):
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(s|sec|m|min|h|d)?\s*", window.lower())
        if not m:
            raise ValueError(f"window: expected a number of seconds or e.g. '15min', '30s', '1h', got {window!r}")
        sec = float(m.group(1)) * _UNITS[m.group(2) or "s"]
    else:
        raise TypeError(f"window: expected seconds or a string like '15min', got {type(window).__name__}")
    if not (math.isfinite(sec) and sec > 0):
        raise ValueError(f"window: expected a positive finite length, got {window!r}")
    return sec


class WearingRate:
    """Counts riders and helmeted riders per camera and fixed time window.

    Windows are ``[origin + k * window, origin + (k + 1) * window)`` in the caller's
    seconds. Each decision is one rider (one track, not one frame). Decisions whose
    confidence is below ``min_confidence`` are counted as ``skipped`` and left out of the
    rate.

    Parameters
    ----------
    window : float or str
        Window length: seconds, or a string such as ``"15min"``, ``"30s"``, ``"1h"``.
    origin : float
        Start of window 0 (seconds).
    min_confidence : float
        Decisions with a lower confidence are skipped.

    Examples
    --------
    >>> wr = WearingRate(window="15min")
    >>> for t, h in [(10, True), (20, True), (30, False), (950, True)]:
    ...     wr.add("cam-1", t, h)
    >>> rows = wr.table()
    >>> [(r["window_start"], r["riders"], r["helmeted"], r["rate"]) for r in rows]
    [(0.0, 3, 2, 0.6666666666666666), (900.0, 1, 1, 1.0)]
    >>> round(rows[0]["ci_low"], 3), round(rows[0]["ci_high"], 3)
    (0.208, 0.939)
    """

    def __init__(self, window="15min", *, origin: float = 0.0, min_confidence: float = 0.0) -> None:
        self.window = parse_window(window)
        if not (isinstance(origin, (int, float)) and math.isfinite(origin)):
            raise ValueError(f"origin: expected a finite number of seconds, got {origin!r}")
        if not (isinstance(min_confidence, (int, float)) and 0.0 <= min_confidence <= 1.0):
            raise ValueError(f"min_confidence: expected a number in [0, 1], got {min_confidence!r}")
        self.origin = float(origin)
        self.min_confidence = float(min_confidence)
        # (camera, window index) -> [riders, helmeted, skipped]
        self._counts: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0, 0])

    def add(self, camera_id: str, t: float, helmet: bool, confidence: float | None = None) -> None:
        """Record one rider decision.

        Parameters
        ----------
        camera_id : str
        t : float
            Time of the decision in seconds.
        helmet : bool
            ``True`` if the rider wears a helmet.
        confidence : float, optional
            In [0, 1]; compared with ``min_confidence``.
        """
        if not isinstance(camera_id, str):
            raise TypeError(f"camera_id: expected str, got {type(camera_id).__name__}")
        if isinstance(t, bool) or not isinstance(t, (int, float, np.integer, np.floating)):
            raise TypeError(f"t: expected a finite number of seconds, got {type(t).__name__} {t!r}")
        if not math.isfinite(t):
            raise ValueError(f"t: expected a finite number of seconds, got {t!r}")
        if not isinstance(helmet, (bool, np.bool_)):
            raise TypeError(f"helmet: expected bool, got {type(helmet).__name__}")
        if confidence is not None and (isinstance(confidence, (bool, str)) or not isinstance(confidence, (int, float, np.integer, np.floating))):
            raise TypeError(f"confidence: expected a number in [0, 1] or None, got {type(confidence).__name__}")
        if confidence is not None and not (0.0 <= float(confidence) <= 1.0):
            raise ValueError(f"confidence: expected a number in [0, 1], got {confidence!r}")
        k = int(math.floor((float(t) - self.origin) / self.window))
        c = self._counts[(camera_id, k)]
        if confidence is not None and float(confidence) < self.min_confidence:
            c[2] += 1
            return
        c[0] += 1
        c[1] += int(bool(helmet))

    def add_event(self, event) -> None:
        """Record a rider :class:`~anfang.events.Event`.

        ``kind == "rider"`` events need ``details["helmet"]`` (bool); a
        ``"helmet_violation"`` event counts as a rider without helmet. The time is
        ``t_start`` and the confidence is the event's.
        """
        if not isinstance(event, Event):
            raise TypeError(f"event: expected anfang.events.Event, got {type(event).__name__}")
        if event.kind == "rider":
            if "helmet" not in event.details:
                raise ValueError("event: a 'rider' event needs details['helmet'] (bool)")
            helmet = bool(event.details["helmet"])
        elif event.kind == "helmet_violation":
            helmet = False
        else:
            raise ValueError(f"event: expected kind 'rider' or 'helmet_violation', got {event.kind!r}")
        self.add(event.camera_id, event.t_start, helmet, event.confidence)

    def add_events(self, events: Iterable[Any]) -> None:
        """:meth:`add_event` for each event."""
        for ev in events:
            self.add_event(ev)

    def table(self) -> list[dict[str, Any]]:
        """One row per (camera, window) with at least one decision, sorted by camera then time.

        Keys: ``camera_id``, ``window_start``, ``window_end``, ``riders``, ``helmeted``,
        ``skipped``, ``rate`` (``nan`` if no riders), ``ci_low``, ``ci_high`` (Wilson 95 %).
        """
        rows = []
        for (cam, k), (n, h, skipped) in sorted(self._counts.items()):
            lo, hi = wilson_interval(h, n)
            start = self.origin + k * self.window
            rows.append(
                {
                    "camera_id": cam,
                    "window_start": start,
                    "window_end": start + self.window,
                    "riders": n,
                    "helmeted": h,
                    "skipped": skipped,
                    "rate": h / n if n else float("nan"),
                    "ci_low": lo,
                    "ci_high": hi,
                }
            )
        return rows

    def format_table(self) -> str:
        """The :meth:`table` as aligned text (rates in percent)."""
        head = ("camera", "start_s", "end_s", "riders", "helmeted", "rate_%", "95%_CI")
        lines = []
        for r in self.table():
            ci = "-" if r["riders"] == 0 else f"{100 * r['ci_low']:.1f}-{100 * r['ci_high']:.1f}"
            rate = "-" if r["riders"] == 0 else f"{100 * r['rate']:.1f}"
            lines.append((r["camera_id"], f"{r['window_start']:g}", f"{r['window_end']:g}",
                          str(r["riders"]), str(r["helmeted"]), rate, ci))
        widths = [max(len(x) for x in col) for col in zip(head, *lines)]
        fmt = "  ".join(f"{{:<{w}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
        return "\n".join(fmt.format(*row) for row in (head, *lines))
