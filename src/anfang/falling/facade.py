"""Calibration of one camera view of a building facade.

A :class:`Facade` says where the facade is in the image (a polygon), which parts of the
image to ignore (trees, flags, roads: any number of polygons) and how image positions map
to floors and window columns. The floor mapping is given in one of two ways:

* **floor lines**: one image row (a number ``y``) or one polyline (``[[x, y], ...]``) per
  floor boundary, listed from the lowest visible boundary upwards. The floor between
  boundary ``k`` and ``k + 1`` is floor ``lowest_floor + k``. Optional ``column_lines``
  (x values or polylines, left to right) give window columns.
* **homography**: a 3x3 matrix mapping image ``(x, y)`` to facade coordinates ``(u, v)``,
  where ``u`` runs from 0 (left edge) to ``columns`` (right edge) and ``v`` from 0 (bottom
  boundary of floor ``lowest_floor``) to ``floors`` (top boundary). Build one from the four
  image corners of the window grid with :meth:`Facade.from_corners`.

Floors are numbered like the building (``lowest_floor`` is the number of the lowest visible
floor); columns are 0-based from the left. :meth:`Facade.floor_at` and
:meth:`Facade.column_at` return continuous values; the floor that contains a point is
``floor(floor_at(x, y))``.

Example
-------
>>> fac = Facade.from_corners([[100, 50], [500, 50], [500, 650], [100, 650]],
...                           floors=10, columns=4, lowest_floor=3)
>>> round(float(fac.floor_at(300, 650)), 6), round(float(fac.floor_at(300, 50)), 6)
(3.0, 13.0)
>>> int(fac.floor_index(300, 620)), int(fac.column_index(310, 620))
(3, 2)
>>> round(float(fac.floor_height_px(350.0)), 3)
60.0
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from anfang.config import load_json, save_json

__all__ = ["Facade", "homography_dlt", "apply_homography"]

_FORMAT_VERSION = 1


# -- homography helpers -----------------------------------------------------------------------
def _normalise_points(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hartley normalisation: centroid to the origin, mean distance sqrt(2)."""
    c = p.mean(axis=0)
    d = np.sqrt(((p - c) ** 2).sum(axis=1)).mean()
    s = math.sqrt(2.0) / d if d > 0 else 1.0
    T = np.array([[s, 0.0, -s * c[0]], [0.0, s, -s * c[1]], [0.0, 0.0, 1.0]])
    ph = np.column_stack([p, np.ones(len(p))]) @ T.T
    return ph, T


def homography_dlt(src: Any, dst: Any) -> np.ndarray:
    """Homography ``H`` with ``dst ~ H @ [src, 1]`` by the normalised direct linear transform.

    Parameters
    ----------
    src, dst : array_like, shape (N, 2), N >= 4
        Corresponding points; no three of the first four may be collinear.

    Returns
    -------
    ndarray, shape (3, 3)
        Normalised so that ``H[2, 2] == 1`` (when it is not ~0).

    Examples
    --------
    >>> H = homography_dlt([[0, 0], [1, 0], [1, 1], [0, 1]], [[0, 0], [2, 0], [2, 3], [0, 3]])
    >>> (np.round(H, 6) + 0.0).tolist()
    [[2.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 1.0]]
    """
    src = _as_points(src, "src")
    dst = _as_points(dst, "dst")
    if len(src) != len(dst):
        raise ValueError(f"dst: expected as many points as src ({len(src)}), got {len(dst)}")
    if len(src) < 4:
        raise ValueError(f"src: expected at least 4 point pairs, got {len(src)}")
    sh, Ts = _normalise_points(src)
    dh, Td = _normalise_points(dst)
    n = len(src)
    A = np.zeros((2 * n, 9))
    x, y = sh[:, 0], sh[:, 1]
    u, v = dh[:, 0], dh[:, 1]
    A[0::2, 0:3] = sh
    A[0::2, 6] = -u * x
    A[0::2, 7] = -u * y
    A[0::2, 8] = -u
    A[1::2, 3:6] = sh
    A[1::2, 6] = -v * x
    A[1::2, 7] = -v * y
    A[1::2, 8] = -v
    _, sv, vt = np.linalg.svd(A)
    if sv[-2] < 1e-9 * max(sv[0], 1e-300):
        raise ValueError("src: points are degenerate (three or more collinear); cannot fit a homography")
    Hn = vt[-1].reshape(3, 3)
    H = np.linalg.inv(Td) @ Hn @ Ts
    if abs(H[2, 2]) > 1e-12:
        H = H / H[2, 2]
    return H


def apply_homography(H: np.ndarray, xy: Any) -> np.ndarray:
    """Map points ``(..., 2)`` through the 3x3 homography ``H``; returns ``(..., 2)`` floats."""
    p = np.asarray(xy, dtype=np.float64)
    if p.shape[-1:] != (2,):
        raise ValueError(f"xy: expected shape (..., 2), got {p.shape}")
    w = p[..., 0] * H[2, 0] + p[..., 1] * H[2, 1] + H[2, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        u = (p[..., 0] * H[0, 0] + p[..., 1] * H[0, 1] + H[0, 2]) / w
        v = (p[..., 0] * H[1, 0] + p[..., 1] * H[1, 1] + H[1, 2]) / w
    return np.stack([u, v], axis=-1)


# -- validation helpers -----------------------------------------------------------------------
def _as_points(p: Any, name: str, min_points: int = 1) -> np.ndarray:
    try:
        a = np.asarray(p, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a list of [x, y] points, got {p!r:.80}") from None
    if a.ndim != 2 or a.shape[1] != 2:
        raise ValueError(f"{name}: expected a list of [x, y] points (shape (N, 2)), got shape {a.shape}")
    if len(a) < min_points:
        raise ValueError(f"{name}: expected at least {min_points} points, got {len(a)}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name}: expected finite coordinates, got non-finite values")
    return a


def _as_polygon(p: Any, name: str) -> np.ndarray:
    return _as_points(p, name, min_points=3)


def _as_int(v: Any, name: str, minimum: int | None = None) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        else:
            raise TypeError(f"{name}: expected an int, got {type(v).__name__} {v!r}")
    v = int(v)
    if minimum is not None and v < minimum:
        raise ValueError(f"{name}: expected an int >= {minimum}, got {v}")
    return v


def _xy_args(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    if y is None:
        p = np.asarray(x, dtype=np.float64)
        if p.shape[-1:] != (2,):
            raise ValueError(f"xy: expected shape (..., 2) when y is omitted, got {p.shape}")
        return p[..., 0], p[..., 1]
    xa = np.asarray(x, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    xa, ya = np.broadcast_arrays(xa, ya)
    return xa, ya


def _scalar_or_array(a: np.ndarray) -> Any:
    return a[()] if a.ndim == 0 else a


class _Lines:
    """An ordered family of boundary lines, each a constant or a polyline.

    ``axis`` is 1 for floor lines (value = y as a function of x) and 0 for column lines
    (value = x as a function of y). ``descending`` means the value decreases with the index
    (floors: lines go up the image as the index grows).
    """

    def __init__(self, lines: Sequence[Any], name: str, axis: int, descending: bool) -> None:
        if not isinstance(lines, (list, tuple, np.ndarray)) or len(lines) < 2:
            raise ValueError(f"{name}: expected a list of at least 2 boundary lines, got {lines!r:.80}")
        self.name = name
        self.axis = axis
        self.scalar = all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                          for v in lines)
        if self.scalar:
            vals = np.asarray(lines, dtype=np.float64)
            if not np.all(np.isfinite(vals)):
                raise ValueError(f"{name}: expected finite numbers, got {list(lines)!r}")
            vals = np.sort(vals)[::-1] if descending else np.sort(vals)
            if np.any(np.diff(vals) == 0):
                raise ValueError(f"{name}: expected distinct boundary values, got {list(lines)!r}")
            self.values = vals
            self.polylines: list[np.ndarray] = []
        else:
            polys = []
            for i, line in enumerate(lines):
                if isinstance(line, (int, float)):
                    raise ValueError(f"{name}: expected all numbers or all polylines, got a mix")
                pl = _as_points(line, f"{name}[{i}]", min_points=2)
                order = np.argsort(pl[:, 1 - axis], kind="stable")
                pl = pl[order]
                if np.any(np.diff(pl[:, 1 - axis]) == 0):
                    raise ValueError(f"{name}[{i}]: polyline must not double back along its length")
                polys.append(pl)
            means = np.array([p[:, axis].mean() for p in polys])
            d = np.diff(means)
            if not (np.all(d < 0) if descending else np.all(d > 0)):
                direction = "bottom to top (decreasing y)" if axis == 1 else "left to right (increasing x)"
                raise ValueError(f"{name}: expected polylines ordered {direction}")
            self.polylines = polys
            self.values = means
        self.descending = descending

    def __len__(self) -> int:
        return len(self.values)

    def at(self, along: np.ndarray) -> np.ndarray:
        """Line values ``(K, ...)`` at positions ``along`` (x for floor lines, y for columns)."""
        if self.scalar:
            return np.broadcast_to(self.values.reshape((-1,) + (1,) * along.ndim),
                                   (len(self.values),) + along.shape)
        out = np.empty((len(self.polylines),) + along.shape)
        other = 1 - self.axis
        for k, pl in enumerate(self.polylines):
            xs, vs = pl[:, other], pl[:, self.axis]
            # linear interpolation inside, linear extrapolation outside the polyline
            val = np.interp(along, xs, vs)
            lo = along < xs[0]
            hi = along > xs[-1]
            if np.any(lo):
                s = (vs[1] - vs[0]) / (xs[1] - xs[0])
                val = np.where(lo, vs[0] + s * (along - xs[0]), val)
            if np.any(hi):
                s = (vs[-1] - vs[-2]) / (xs[-1] - xs[-2])
                val = np.where(hi, vs[-1] + s * (along - xs[-1]), val)
            out[k] = val
        return out

    def position(self, along: np.ndarray, value: np.ndarray) -> np.ndarray:
        """Continuous index of ``value`` among the lines (linear between, extrapolated outside)."""
        L = self.at(along)  # (K, ...)
        K = L.shape[0]
        if self.descending:
            j = (L > value[None]).sum(axis=0)  # number of lines below the point
        else:
            j = (L < value[None]).sum(axis=0)
        j = np.clip(j, 1, K - 1)
        a = np.take_along_axis(L, (j - 1)[None], axis=0)[0]
        b = np.take_along_axis(L, j[None], axis=0)[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = (value - a) / (b - a)
        return (j - 1) + frac

    def to_json(self) -> list:
        if self.scalar:
            return [float(v) for v in self.values]
        return [p.tolist() for p in self.polylines]


@dataclass
class Facade:
    """Calibration of one camera view of one facade.

    Parameters
    ----------
    polygon : array_like (N, 2)
        Outline of the facade in image pixels (x right, y down), N >= 3.
    floor_lines : list, optional
        Floor boundaries from the lowest visible one upwards: numbers (image rows) or
        polylines ``[[x, y], ...]``. Numbers may come in any order; polylines must be ordered
        bottom to top. Either this or ``homography`` is required.
    homography : array_like (3, 3), optional
        Image ``(x, y)`` to facade ``(u, v)`` (u: columns from the left edge, v: floors from
        the bottom boundary of ``lowest_floor``).
    floors, columns : int, optional
        Number of floors / window columns covered by the homography grid (``floors`` is
        informational for floor lines: it is ``len(floor_lines) - 1``).
    column_lines : list, optional
        Window column boundaries left to right (numbers = image columns, or polylines).
    lowest_floor : int
        Building floor number of the lowest calibrated floor.
    ignore : list of polygons
        Image regions where motion is ignored.
    building, camera : str
        Names, copied into events.
    floor_height_m : float
        Storey height in metres, used to turn gravity into pixels.
    image_size : (W, H), optional
        Frame size the calibration was drawn on (checked by the detector if given).
    """

    polygon: Any
    floor_lines: Any = None
    homography: Any = None
    floors: int | None = None
    columns: int | None = None
    column_lines: Any = None
    lowest_floor: int = 1
    ignore: Any = field(default_factory=list)
    building: str = ""
    camera: str = ""
    floor_height_m: float = 3.0
    image_size: Any = None

    def __post_init__(self) -> None:
        self.polygon = _as_polygon(self.polygon, "polygon")
        if not isinstance(self.ignore, (list, tuple)):
            raise TypeError(f"ignore: expected a list of polygons, got {type(self.ignore).__name__}")
        self.ignore = [_as_polygon(p, f"ignore[{i}]") for i, p in enumerate(self.ignore)]
        self.lowest_floor = _as_int(self.lowest_floor, "lowest_floor")
        self.building = str(self.building)
        self.camera = str(self.camera)
        fh = self.floor_height_m
        if isinstance(fh, bool) or not isinstance(fh, (int, float)) or not (math.isfinite(fh) and fh > 0):
            raise ValueError(f"floor_height_m: expected a positive number of metres, got {fh!r}")
        self.floor_height_m = float(fh)
        if self.image_size is not None:
            sz = tuple(self.image_size)
            if len(sz) != 2:
                raise ValueError(f"image_size: expected (width, height), got {self.image_size!r}")
            self.image_size = (_as_int(sz[0], "image_size[0]", 1), _as_int(sz[1], "image_size[1]", 1))
        if (self.floor_lines is None) == (self.homography is None):
            raise ValueError("floor_lines/homography: expected exactly one of them, got "
                             + ("both" if self.floor_lines is not None else "neither"))
        self._floor_lines: _Lines | None = None
        self._column_lines: _Lines | None = None
        self._H: np.ndarray | None = None
        self._Hinv: np.ndarray | None = None
        if self.homography is not None:
            H = np.asarray(self.homography, dtype=np.float64)
            if H.shape != (3, 3) or not np.all(np.isfinite(H)):
                raise ValueError(f"homography: expected a finite 3x3 matrix, got shape {H.shape}")
            if abs(np.linalg.det(H)) < 1e-15 * max(np.abs(H).max(), 1e-300) ** 3:
                raise ValueError("homography: matrix is singular")
            if self.floors is None or self.columns is None:
                raise ValueError("floors/columns: required with a homography")
            self.floors = _as_int(self.floors, "floors", 1)
            self.columns = _as_int(self.columns, "columns", 1)
            if self.column_lines is not None:
                raise ValueError("column_lines: only allowed with floor_lines (a homography gives columns)")
            self.homography = H
            self._H = H
            self._Hinv = np.linalg.inv(H)
        else:
            self._floor_lines = _Lines(self.floor_lines, "floor_lines", axis=1, descending=True)
            self.floor_lines = self._floor_lines.to_json()
            n = len(self._floor_lines) - 1
            if self.floors is not None and _as_int(self.floors, "floors", 1) != n:
                raise ValueError(f"floors: expected {n} (one less than the number of floor_lines), got {self.floors}")
            self.floors = n
            if self.column_lines is not None:
                self._column_lines = _Lines(self.column_lines, "column_lines", axis=0, descending=False)
                self.column_lines = self._column_lines.to_json()
                nc = len(self._column_lines) - 1
                if self.columns is not None and _as_int(self.columns, "columns", 1) != nc:
                    raise ValueError(f"columns: expected {nc} (one less than the number of column_lines), got {self.columns}")
                self.columns = nc
            elif self.columns is not None:
                raise ValueError("columns: with floor_lines, give column_lines instead")
        self._mask_cache: dict[tuple[int, int], np.ndarray] = {}

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def from_corners(cls, corners: Any, floors: int, columns: int, lowest_floor: int = 1,
                     **kwargs: Any) -> "Facade":
        """Facade from the image corners of its window grid.

        Parameters
        ----------
        corners : array_like (4, 2)
            Image points of the grid's top-left, top-right, bottom-right and bottom-left
            corners (top = top boundary of the highest calibrated floor, bottom = bottom
            boundary of ``lowest_floor``).
        floors, columns : int
            Floors and window columns between those corners.
        lowest_floor : int
            Number of the lowest floor in the grid.
        **kwargs
            Other :class:`Facade` fields (``ignore``, ``building``, ``polygon``...). The
            polygon defaults to the four corners.
        """
        c = _as_points(corners, "corners")
        if len(c) != 4:
            raise ValueError(f"corners: expected 4 points (TL, TR, BR, BL), got {len(c)}")
        floors = _as_int(floors, "floors", 1)
        columns = _as_int(columns, "columns", 1)
        dst = np.array([[0, floors], [columns, floors], [columns, 0], [0, 0]], dtype=np.float64)
        H = homography_dlt(c, dst)
        kwargs.setdefault("polygon", c)
        return cls(homography=H, floors=floors, columns=columns, lowest_floor=lowest_floor, **kwargs)

    @classmethod
    def from_grid_homography(cls, H_grid_to_image: Any, floors: int, columns: int,
                             lowest_floor: int = 0, **kwargs: Any) -> "Facade":
        """Facade from a homography mapping *absolute* facade ``(column, floor)`` to pixels.

        This is the form of ``truth["calibration"]["homography"]`` written by
        :func:`anfang.synth.facade`: floor ``k`` spans ``[k, k + 1)`` (0 = ground floor),
        column ``c`` spans ``[c, c + 1)``. The polygon defaults to the image of the whole grid
        (floors ``0..floors``, columns ``0..columns``), which may extend beyond the frame.
        Floor numbers follow the grid (``lowest_floor`` is 0).
        """
        G = np.asarray(H_grid_to_image, dtype=np.float64)
        if G.shape != (3, 3) or not np.all(np.isfinite(G)):
            raise ValueError(f"H_grid_to_image: expected a finite 3x3 matrix, got shape {G.shape}")
        floors = _as_int(floors, "floors", 1)
        columns = _as_int(columns, "columns", 1)
        # image -> (u, v) with v counted from the bottom of floor 0 (grid floor numbers)
        Hinv = np.linalg.inv(G)
        if "polygon" not in kwargs:
            kwargs["polygon"] = apply_homography(G, [[0, floors], [columns, floors], [columns, 0], [0, 0]])
        return cls(homography=Hinv / Hinv[2, 2], floors=floors, columns=columns, lowest_floor=0, **kwargs)

    @classmethod
    def from_calibration(cls, cal: Mapping[str, Any], **kwargs: Any) -> "Facade":
        """Facade from a synth ``truth["calibration"]`` dict (see :meth:`from_grid_homography`)."""
        if not isinstance(cal, Mapping):
            raise TypeError(f"cal: expected a mapping, got {type(cal).__name__}")
        for k in ("homography", "floors", "columns"):
            if k not in cal:
                raise ValueError(f"cal: missing key {k!r}")
        kwargs.setdefault("floor_height_m", float(cal.get("floor_height_m", 3.0)))
        return cls.from_grid_homography(cal["homography"], cal["floors"], cal["columns"], **kwargs)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Facade":
        """Build from the JSON form (see :meth:`to_dict`); unknown keys are an error."""
        if not isinstance(d, Mapping):
            raise TypeError(f"facade: expected a JSON object, got {type(d).__name__}")
        d = dict(d)
        version = d.pop("version", _FORMAT_VERSION)
        if version != _FORMAT_VERSION:
            raise ValueError(f"version: expected {_FORMAT_VERSION}, got {version!r}")
        corners = d.pop("corners", None)
        allowed = {f for f in cls.__dataclass_fields__}
        unknown = sorted(set(d) - allowed)
        if unknown:
            raise ValueError(f"facade: unknown keys {unknown}; allowed: {sorted(allowed | {'corners', 'version'})}")
        if "polygon" not in d and corners is None:
            raise ValueError("polygon: required (or give corners)")
        if corners is not None:
            if d.get("homography") is not None or d.get("floor_lines") is not None:
                raise ValueError("corners: give corners or homography/floor_lines, not both")
            if "floors" not in d or "columns" not in d:
                raise ValueError("floors/columns: required with corners")
            floors = d.pop("floors")
            columns = d.pop("columns")
            lowest = d.pop("lowest_floor", 1)
            return cls.from_corners(corners, floors, columns, lowest, **d)
        return cls(**d)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; ``Facade.from_dict(f.to_dict())`` reproduces ``f``."""
        out: dict[str, Any] = {
            "version": _FORMAT_VERSION,
            "building": self.building,
            "camera": self.camera,
            "polygon": self.polygon.tolist(),
            "ignore": [p.tolist() for p in self.ignore],
            "lowest_floor": self.lowest_floor,
            "floor_height_m": self.floor_height_m,
        }
        if self.image_size is not None:
            out["image_size"] = list(self.image_size)
        if self._H is not None:
            out["homography"] = self._H.tolist()
            out["floors"] = self.floors
            out["columns"] = self.columns
        else:
            out["floor_lines"] = self._floor_lines.to_json()  # type: ignore[union-attr]
            if self._column_lines is not None:
                out["column_lines"] = self._column_lines.to_json()
        return out

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Facade":
        """Read a calibration JSON file."""
        return load_json(path, cls.from_dict)

    def save(self, path: str | os.PathLike) -> None:
        """Write the calibration as JSON."""
        save_json(self.to_dict(), path)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Facade):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    # -- geometry -------------------------------------------------------------------------
    @property
    def has_homography(self) -> bool:
        return self._H is not None

    @property
    def has_columns(self) -> bool:
        return self._H is not None or self._column_lines is not None

    def to_facade(self, xy: Any) -> np.ndarray:
        """Image ``(..., 2)`` points to facade ``(u, v)`` (columns, floors above the lowest boundary).

        With floor lines, ``v`` is interpolated between the lines and ``u`` between the column
        lines (NaN without column lines).
        """
        x, y = _xy_args(xy, None)
        if self._H is not None:
            return apply_homography(self._H, np.stack([x, y], axis=-1))
        v = self._floor_lines.position(x, y)  # type: ignore[union-attr]
        u = self._column_lines.position(y, x) if self._column_lines is not None else np.full(x.shape, np.nan)
        return np.stack([u, v], axis=-1)

    def to_image(self, uv: Any) -> np.ndarray:
        """Facade ``(u, v)`` points back to image ``(x, y)`` (homography calibrations only)."""
        if self._Hinv is None:
            raise ValueError("to_image: needs a homography calibration (this facade uses floor_lines)")
        return apply_homography(self._Hinv, uv)

    def floor_at(self, x: Any, y: Any = None) -> Any:
        """Continuous floor coordinate: ``lowest_floor`` on the lowest boundary, +1 per floor.

        Accepts scalars, arrays (broadcast) or one ``(..., 2)`` array of points.
        """
        xa, ya = _xy_args(x, y)
        if self._H is not None:
            v = apply_homography(self._H, np.stack([xa, ya], axis=-1))[..., 1]
        else:
            v = self._floor_lines.position(xa, ya)  # type: ignore[union-attr]
        return _scalar_or_array(self.lowest_floor + v)

    def floor_index(self, x: Any, y: Any = None) -> Any:
        """Number of the floor containing the point: ``floor(floor_at)`` as int."""
        f = np.floor(np.asarray(self.floor_at(x, y), dtype=np.float64))
        return _scalar_or_array(np.where(np.isfinite(f), f, 0).astype(np.int64))

    def column_at(self, x: Any, y: Any = None) -> Any:
        """Continuous column coordinate from the left edge (0-based); NaN if not calibrated."""
        xa, ya = _xy_args(x, y)
        if self._H is not None:
            u = apply_homography(self._H, np.stack([xa, ya], axis=-1))[..., 0]
        elif self._column_lines is not None:
            u = self._column_lines.position(ya, xa)
        else:
            u = np.full(xa.shape, np.nan)
        return _scalar_or_array(u)

    def column_index(self, x: Any, y: Any = None) -> Any:
        """0-based window column containing the point (-1 if columns are not calibrated)."""
        c = np.floor(np.asarray(self.column_at(x, y), dtype=np.float64))
        return _scalar_or_array(np.where(np.isfinite(c), c, -1).astype(np.int64))

    def floor_height_px(self, y: Any, x: Any = None) -> Any:
        """Local image height (pixels, along the image vertical) of one floor at ``(x, y)``.

        ``x`` defaults to the horizontal centre of the facade polygon. Used to express a
        drop of "two floors" as a pixel distance and gravity in pixels per second squared.
        """
        if (self._H is not None and isinstance(y, (float, int)) and isinstance(x, (float, int))
                and not isinstance(x, bool) and not isinstance(y, bool)):
            # one point (the detector asks per track): plain float arithmetic, the same
            # operations in the same order as the array path below, some 40 times faster
            H = self._H
            try:
                v = []
                for yy in (y - 0.5, y + 0.5):
                    w = x * H[2, 0] + yy * H[2, 1] + H[2, 2]
                    v.append(self.lowest_floor + (x * H[1, 0] + yy * H[1, 1] + H[1, 2]) / w)
                return float(1.0 / abs(v[1] - v[0]))
            except ZeroDivisionError:
                pass
        ya = np.asarray(y, dtype=np.float64)
        xa = np.asarray(self.polygon[:, 0].mean() if x is None else x, dtype=np.float64)
        xa, ya = np.broadcast_arrays(xa, ya)
        h = 0.5
        f0 = np.asarray(self.floor_at(xa, ya - h), dtype=np.float64)
        f1 = np.asarray(self.floor_at(xa, ya + h), dtype=np.float64)
        with np.errstate(divide="ignore"):
            out = 2 * h / np.abs(f1 - f0)
        return _scalar_or_array(out)

    def px_per_m(self, y: Any, x: Any = None) -> Any:
        """Pixels per metre along the image vertical at ``(x, y)`` (from ``floor_height_m``)."""
        return np.asarray(self.floor_height_px(y, x)) / self.floor_height_m

    def contains(self, xy: Any) -> Any:
        """Whether image points ``(..., 2)`` lie inside the facade polygon."""
        from skimage.measure import points_in_poly

        p = np.asarray(xy, dtype=np.float64)
        if p.shape[-1:] != (2,):
            raise ValueError(f"xy: expected shape (..., 2), got {p.shape}")
        flat = p.reshape(-1, 2)
        r = points_in_poly(flat, self.polygon).reshape(p.shape[:-1])
        return _scalar_or_array(r)

    def ignored(self, xy: Any) -> Any:
        """Whether image points ``(..., 2)`` lie inside any ignore polygon."""
        from skimage.measure import points_in_poly

        p = np.asarray(xy, dtype=np.float64)
        if p.shape[-1:] != (2,):
            raise ValueError(f"xy: expected shape (..., 2), got {p.shape}")
        flat = p.reshape(-1, 2)
        r = np.zeros(len(flat), dtype=bool)
        for poly in self.ignore:
            r |= points_in_poly(flat, poly)
        return _scalar_or_array(r.reshape(p.shape[:-1]))

    def ignore_mask(self, shape: tuple[int, int]) -> np.ndarray:
        """Boolean ``(H, W)`` mask of the ignore polygons, rasterised once per frame size.

        A pixel ``(row, col)`` is ignored when its centre ``(x=col, y=row)`` is inside a polygon.
        The returned array is shared: do not modify it.
        """
        from skimage.draw import polygon as draw_polygon

        H, W = (_as_int(shape[0], "shape[0]", 1), _as_int(shape[1], "shape[1]", 1))
        key = (H, W)
        m = self._mask_cache.get(key)
        if m is None:
            m = np.zeros(key, dtype=bool)
            for poly in self.ignore:
                rr, cc = draw_polygon(poly[:, 1], poly[:, 0], shape=key)
                m[rr, cc] = True
            m.setflags(write=False)
            self._mask_cache[key] = m
        return m

    def facade_mask(self, shape: tuple[int, int]) -> np.ndarray:
        """Boolean ``(H, W)`` mask of the facade polygon (not cached)."""
        from skimage.draw import polygon as draw_polygon

        m = np.zeros((int(shape[0]), int(shape[1])), dtype=bool)
        rr, cc = draw_polygon(self.polygon[:, 1], self.polygon[:, 0], shape=m.shape)
        m[rr, cc] = True
        return m
