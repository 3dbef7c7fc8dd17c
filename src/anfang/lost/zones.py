"""Watch and ignore polygons for the lost-package detector.

A zone file is JSON: ``{"watch": [[[x, y], ...], ...], "ignore": [[[x, y], ...], ...]}``,
polygon vertices in full-resolution pixel coordinates (x right, y down). Both keys are
optional. With watch polygons, only their inside is watched; ignore polygons are always cut
out. The mask is rasterised once per frame size and processing stride, then cached.

>>> z = Zones(watch=[[(0, 0), (4, 0), (4, 4), (0, 4)]], ignore=[[(0, 0), (2, 0), (2, 2), (0, 2)]])
>>> m = z.mask((6, 6))  # pixel centres on the outline count as inside: 5x5 - 3x3
>>> int(m.sum()), bool(m[3, 3]), bool(m[0, 0]), bool(m[5, 5])
(16, True, False, False)
>>> Zones().mask((3, 3)) is None
True
"""

from __future__ import annotations

import os
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from anfang.config import load_json

__all__ = ["Zones"]


def _polygons(value: Any, name: str) -> tuple[np.ndarray, ...]:
    if value is None:
        return ()
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"{name}: expected a list of polygons [[x, y], ...], got {type(value).__name__}")
    out = []
    for i, poly in enumerate(value):
        try:
            arr = np.asarray(poly, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{name}[{i}]: expected a list of [x, y] pairs, got {poly!r}") from None
        if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] < 3:
            raise ValueError(
                f"{name}[{i}]: expected at least 3 [x, y] vertices, got shape {tuple(arr.shape)}"
            )
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name}[{i}]: expected finite coordinates")
        out.append(arr)
    return tuple(out)


class Zones:
    """Polygons to watch and to ignore.

    Parameters
    ----------
    watch : list of polygons, optional
        Each polygon a sequence of ``(x, y)`` vertices. Empty or None: the whole frame.
    ignore : list of polygons, optional
        Areas never reported.
    """

    def __init__(
        self,
        watch: Sequence[Sequence[Sequence[float]]] | None = None,
        ignore: Sequence[Sequence[Sequence[float]]] | None = None,
    ) -> None:
        self.watch = _polygons(watch, "watch")
        self.ignore = _polygons(ignore, "ignore")
        self._cache: dict[tuple[int, int, int], np.ndarray | None] = {}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Zones":
        if not isinstance(d, Mapping):
            raise TypeError(f"zones: expected a JSON object, got {type(d).__name__}")
        unknown = sorted(set(d) - {"watch", "ignore"})
        if unknown:
            raise ValueError(f"zones: unknown keys {unknown}; expected 'watch' and/or 'ignore'")
        return cls(watch=d.get("watch"), ignore=d.get("ignore"))

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Zones":
        """Read a zone file (JSON, see the module docstring)."""
        return load_json(path, cls.from_dict)

    def to_dict(self) -> dict[str, list]:
        return {"watch": [p.tolist() for p in self.watch], "ignore": [p.tolist() for p in self.ignore]}

    @property
    def empty(self) -> bool:
        return not self.watch and not self.ignore

    def mask(self, shape: tuple[int, int], scale: int = 1) -> np.ndarray | None:
        """Boolean mask of watched pixels for an image of ``shape`` = (H, W) sampled with
        stride ``scale`` from the full-resolution frame; None when nothing is excluded.

        Pixel ``(r, c)`` of the mask stands for full-resolution point
        ``(c * scale, r * scale)``.
        """
        h, w = int(shape[0]), int(shape[1])
        key = (h, w, int(scale))
        if key in self._cache:
            return self._cache[key]
        if self.empty:
            self._cache[key] = None
            return None
        from skimage.draw import polygon as _fill

        def raster(polys: tuple[np.ndarray, ...]) -> np.ndarray:
            m = np.zeros((h, w), bool)
            for p in polys:
                # Vertex coordinates to the sampled grid: pixel centre (c*scale, r*scale).
                rr, cc = _fill(p[:, 1] / scale, p[:, 0] / scale, shape=(h, w))
                m[rr, cc] = True
            return m

        m = raster(self.watch) if self.watch else np.ones((h, w), bool)
        if self.ignore:
            m &= ~raster(self.ignore)
        self._cache[key] = m
        return m

    def __repr__(self) -> str:
        return f"Zones(watch={len(self.watch)} polygons, ignore={len(self.ignore)} polygons)"
