"""Event types shared by every detector, the store, the evaluator and the report.

An :class:`Event` is a frozen dataclass. Its JSON form (:meth:`Event.to_dict`) is the
*detector output schema* of ``docs/benchmark.md``: one flat object per event with the same
keys as the ground-truth events of :mod:`anfang.synth` plus ``confidence`` and
``camera_id``. Anything that writes this schema, a vendor's system included, can be scored
by :mod:`anfang.eval`.

Example
-------
>>> ev = Event(kind="falling_object", t_start=1.0, t_end=2.2, frame_start=25, frame_end=55,
...            camera_id="cam-3", bbox=(10.0, 20.0, 14.0, 24.0), track_id=7, confidence=0.9,
...            details={"origin": {"floor": 12, "column": 3}})
>>> d = ev.to_dict()
>>> d["kind"], d["origin"]["floor"], d["camera_id"]
('falling_object', 12, 'cam-3')
>>> Event.from_dict(d) == ev
True
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

__all__ = ["Event", "EVENT_KINDS", "ONVIF_TOPICS"]

#: Kinds of event the library emits or scores.
EVENT_KINDS = (
    "falling_object",
    "package_dropped",
    "package_picked_up",
    "package_removed",
    "rider",
    "helmet_violation",
)

#: ONVIF rule-engine topics carried by the lost-package events.
ONVIF_TOPICS = {
    "package_dropped": "tns1:RuleEngine/ObjectAbandoned",
    "package_picked_up": "tns1:RuleEngine/ObjectRemoved",
    "package_removed": "tns1:RuleEngine/ObjectRemoved",
}

_CORE_KEYS = (
    "kind",
    "t_start",
    "t_end",
    "frame_start",
    "frame_end",
    "camera_id",
    "bbox",
    "track_id",
    "confidence",
)


def _jsonable(value: Any) -> Any:
    """Convert numpy scalars/arrays, tuples and mappings into plain JSON values."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return _jsonable(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    raise TypeError(f"details: value of type {type(value).__name__} is not JSON-serialisable")


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


@dataclass(frozen=True)
class Event:
    """One detected (or ground-truth) event.

    Parameters
    ----------
    kind : str
        One of :data:`EVENT_KINDS`.
    t_start, t_end : float
        Caller's timestamps in seconds (``t_end >= t_start``).
    frame_start, frame_end : int
        0-based frame indices of the same span.
    camera_id : str
        Which camera produced it.
    bbox : tuple of 4 floats or None
        ``x0, y0, x1, y1`` pixel box (x right, y down).
    track_id : int or None
        Id of the track the event is about.
    confidence : float
        In ``[0, 1]``.
    details : mapping
        Kind-specific keys (``trajectory``, ``origin``, ``dropper_id``, ``helmet``...), merged
        into the flat JSON form.
    """

    kind: str
    t_start: float
    t_end: float
    frame_start: int
    frame_end: int
    camera_id: str = ""
    bbox: tuple[float, float, float, float] | None = None
    track_id: int | None = None
    confidence: float = 1.0
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.kind, str) or not self.kind:
            raise TypeError(f"kind: expected a non-empty str, got {self.kind!r}")
        for name in ("t_start", "t_end"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
                raise ValueError(f"{name}: expected a finite number of seconds, got {v!r}")
            object.__setattr__(self, name, float(v))
        if self.t_end < self.t_start:
            raise ValueError(f"t_end: expected >= t_start ({self.t_start}), got {self.t_end}")
        for name in ("frame_start", "frame_end"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) and not hasattr(v, "__index__"):
                raise TypeError(f"{name}: expected int, got {type(v).__name__}")
            object.__setattr__(self, name, int(v))
        if self.frame_end < self.frame_start:
            raise ValueError(
                f"frame_end: expected >= frame_start ({self.frame_start}), got {self.frame_end}"
            )
        if self.bbox is not None:
            b = tuple(float(x) for x in self.bbox)
            if len(b) != 4 or not all(math.isfinite(x) for x in b):
                raise ValueError(f"bbox: expected 4 finite numbers x0, y0, x1, y1, got {self.bbox!r}")
            object.__setattr__(self, "bbox", b)
        if self.track_id is not None:
            object.__setattr__(self, "track_id", int(self.track_id))
        c = float(self.confidence)
        if not (0.0 <= c <= 1.0):
            raise ValueError(f"confidence: expected a number in [0, 1], got {self.confidence!r}")
        object.__setattr__(self, "confidence", c)
        object.__setattr__(self, "camera_id", str(self.camera_id))
        if not isinstance(self.details, Mapping):
            raise TypeError(f"details: expected a mapping, got {type(self.details).__name__}")
        clash = set(self.details) & set(_CORE_KEYS)
        if clash:
            raise ValueError(f"details: keys {sorted(clash)} clash with the event's own fields")
        object.__setattr__(self, "details", _freeze(_jsonable(self.details)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Event):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(self.to_json())

    def __getitem__(self, key: str) -> Any:
        """``event["origin"]``: a core field or a details key."""
        if key in _CORE_KEYS:
            return getattr(self, key)
        return self.details[key]

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def to_dict(self) -> dict[str, Any]:
        """The flat JSON object of the detector output schema."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "t_start": self.t_start,
            "t_end": self.t_end,
            "frame_start": self.frame_start,
            "frame_end": self.frame_end,
            "camera_id": self.camera_id,
            "bbox": list(self.bbox) if self.bbox is not None else None,
            "track_id": self.track_id,
            "confidence": self.confidence,
        }
        out.update(_jsonable(self.details))
        return out

    def to_json(self) -> str:
        """One JSON Lines row (no trailing newline)."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Event":
        """Inverse of :meth:`to_dict`; unknown keys go to ``details``."""
        if not isinstance(d, Mapping):
            raise TypeError(f"d: expected a mapping, got {type(d).__name__}")
        missing = [k for k in ("kind", "t_start", "t_end", "frame_start", "frame_end") if k not in d]
        if missing:
            raise ValueError(f"d: missing required keys {missing}")
        details = {k: v for k, v in d.items() if k not in _CORE_KEYS}
        bbox = d.get("bbox")
        return cls(
            kind=d["kind"],
            t_start=d["t_start"],
            t_end=d["t_end"],
            frame_start=d["frame_start"],
            frame_end=d["frame_end"],
            camera_id=d.get("camera_id", "") or "",
            bbox=tuple(bbox) if bbox is not None else None,
            track_id=d.get("track_id"),
            confidence=d.get("confidence", 1.0) if d.get("confidence") is not None else 1.0,
            details=details,
        )
