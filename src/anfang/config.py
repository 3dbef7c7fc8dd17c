"""Shared loading of configuration and calibration files.

Detector configurations are frozen dataclasses; :class:`ConfigMixin` gives each of them the
same ``from_dict`` (unknown keys are an error: a typo must not pass silently),
``from_json``, ``load``, ``save`` and ``to_dict``. :func:`load_json` reads a JSON file for
any ``from_dict`` and names the file in every error.

>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Demo(ConfigMixin):
...     dwell_s: float = 10.0
>>> Demo.from_json('{"dwell_s": 5}').dwell_s
5
>>> Demo.from_dict({"dwel_s": 5})
Traceback (most recent call last):
...
ValueError: config: unknown keys ['dwel_s']; known keys are ['dwell_s']
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, fields
from typing import Any, Callable, Mapping, TypeVar

import numpy as np

__all__ = ["ConfigMixin", "check_number", "load_json", "save_json"]

T = TypeVar("T")


def check_number(name: str, v: Any, lo: float | None = None, hi: float | None = None, *,
                 lo_open: bool = False, integer: bool = False) -> int | float:
    """Validate one numeric setting and return it as ``int`` (``integer=True``) or ``float``.

    ``lo``/``hi`` bound it (inclusive, or exclusive below with ``lo_open``). A bool or a
    non-number is a ``TypeError``; NaN, infinity, a fraction where an integer is wanted or a
    value out of range is a ``ValueError``; each names the setting.

    >>> check_number("dwell_s", 10, lo=0, lo_open=True)
    10.0
    >>> check_number("open_size", 4.0, 0, 101, integer=True)
    4
    >>> check_number("threshold", 1.5, 0, 1)
    Traceback (most recent call last):
    ...
    ValueError: threshold: expected a number in [0, 1], got 1.5
    """
    what = "an int" if integer else "a number"
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected {what}, got {type(v).__name__} {v!r}")
    if not math.isfinite(float(v)):
        raise ValueError(f"{name}: expected a finite number, got {v!r}")
    if integer and float(v) != int(v):
        raise ValueError(f"{name}: expected an integer, got {v!r}")
    below = lo is not None and (v <= lo if lo_open else v < lo)
    if below or (hi is not None and v > hi):
        left = "(" if lo_open else "["
        rng = (f"in {left}{lo:g}, {hi:g}]" if lo is not None and hi is not None
               else f"<= {hi:g}" if lo is None else f"{'>' if lo_open else '>='} {lo:g}")
        raise ValueError(f"{name}: expected {what} {rng}, got {v!r}")
    return int(v) if integer else float(v)


def load_json(path: str | os.PathLike, build: Callable[[Any], T]) -> T:
    """``build(json.load(path))``; a JSON syntax error or a bad value names the file."""
    with open(path, encoding="utf-8") as fh:
        try:
            d = json.load(fh)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{os.fspath(path)}: not valid JSON ({exc})") from None
    try:
        return build(d)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{os.fspath(path)}: {exc}") from None


def save_json(obj: Any, path: str | os.PathLike) -> None:
    """Write ``obj`` as indented JSON with a final newline."""
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=1)
        fh.write("\n")


class ConfigMixin:
    """``from_dict`` / ``from_json`` / ``load`` / ``save`` / ``to_dict`` for a dataclass."""

    @classmethod
    def from_dict(cls: type[T], d: Mapping[str, Any]) -> T:
        """Build from a mapping; unknown keys raise a ``ValueError`` naming them."""
        if not isinstance(d, Mapping):
            raise TypeError(f"config: expected a mapping, got {type(d).__name__}")
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"config: unknown keys {unknown}; known keys are {sorted(known)}")
        return cls(**dict(d))

    @classmethod
    def from_json(cls: type[T], text: str) -> T:
        """Build from a JSON object string."""
        return cls.from_dict(json.loads(text))  # type: ignore[attr-defined]

    @classmethod
    def load(cls: type[T], path: str | os.PathLike) -> T:
        """Read a JSON object of settings from ``path``."""
        return load_json(path, cls.from_dict)  # type: ignore[attr-defined]

    def save(self, path: str | os.PathLike) -> None:
        """Write the settings as JSON."""
        save_json(self.to_dict(), path)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]
