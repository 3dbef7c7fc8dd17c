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
import os
from dataclasses import asdict, fields
from typing import Any, Callable, Mapping, TypeVar

__all__ = ["ConfigMixin", "load_json", "save_json"]

T = TypeVar("T")


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
