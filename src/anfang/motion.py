"""Motion kernels: frame differencing, binary morphology, labelling, background models, shake.

Every call runs in Rust (``anfang._core``) with the GIL released; this module validates the
arguments (clear ``TypeError``/``ValueError`` naming the argument) and defines :class:`Blobs`,
the one blob type: numpy arrays of areas, boxes and centroids, never a Python object per blob.

Conventions: pixel coordinates are x right, y down; ``bbox`` rows are ``x0, y0, x1, y1`` with
exclusive ends (``x1 - x0`` is the width); ``centroid`` rows are ``x, y``. Frames are numpy
``uint8`` arrays, ``(H, W)`` grey or ``(H, W, 3)`` RGB. Input arrays are read in place when
C-contiguous (other layouts are copied once); do not mutate an input from another thread while
a call runs.

>>> import numpy as np
>>> from anfang import motion
>>> prev = np.zeros((6, 8), np.uint8)
>>> cur = prev.copy(); cur[1:4, 2:5] = 200
>>> b = motion.blobs(prev, cur, threshold=30)
>>> len(b), b.area.tolist(), b.bbox.tolist(), b.centroid.tolist()
(1, [9], [[2, 1, 5, 4]], [[3.0, 2.0]])
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from anfang import _core
from anfang.frames import describe

__all__ = [
    "Blobs",
    "diff_mask",
    "diff_mask3",
    "diff_mask3_edge",
    "diff3_count_in_boxes",
    "diff3_blob_in_boxes",
    "background_step",
    "erode",
    "dilate",
    "opening",
    "closing",
    "label",
    "label_stats",
    "blobs",
    "MotionStage",
    "SigmaDelta",
    "RunningAverage",
    "DualBackground",
    "estimate_shift",
    "shift_frame",
    "pool_mean",
    "box_mean",
]


# --------------------------------------------------------------------------- validation


def _image(a: object, name: str, allow_empty: bool = True) -> np.ndarray:
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name}: expected a numpy uint8 array (H, W) or (H, W, 3), got {describe(a)}")
    ok = a.ndim == 2 or (a.ndim == 3 and a.shape[2] == 3)
    if a.dtype != np.uint8 or not ok:
        raise TypeError(f"{name}: expected uint8 (H, W) or (H, W, 3), got {describe(a)}")
    if not allow_empty and (a.shape[0] == 0 or a.shape[1] == 0):
        raise ValueError(f"{name}: expected a non-empty image, got shape {tuple(a.shape)}")
    return a


def _same(a: np.ndarray, ref: np.ndarray, name: str, ref_name: str) -> None:
    if a.shape != ref.shape:
        raise ValueError(
            f"{name}: expected the shape of {ref_name} {tuple(ref.shape)}, got {tuple(a.shape)}"
        )


def _mask(m: object, name: str = "mask") -> np.ndarray:
    if not isinstance(m, np.ndarray) or m.dtype != np.bool_ or m.ndim != 2:
        raise TypeError(f"{name}: expected a bool array (H, W), got {describe(m)}")
    return m


def _int(v: object, name: str, lo: int, hi: int | None = None, what: str | None = None) -> int:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{name}: expected an integer, got {type(v).__name__} {v!r}")
    iv = int(v)
    if iv < lo or (hi is not None and iv > hi):
        rng = what or (f"an integer in [{lo}, {hi}]" if hi is not None else f"an integer >= {lo}")
        raise ValueError(f"{name}: expected {rng}, got {iv}")
    return iv


def _threshold(t: object, name: str = "threshold") -> int:
    return _int(t, name, 0, 255)


def _odd(size: object, name: str = "size") -> int:
    s = _int(size, name, 1, 100_001, "an odd integer >= 1")
    if s % 2 == 0:
        raise ValueError(f"{name}: expected an odd integer >= 1, got {s}")
    return s


def _connectivity(c: object) -> int:
    ci = _int(c, "connectivity", 4, 8, "4 or 8")
    if ci not in (4, 8):
        raise ValueError(f"connectivity: expected 4 or 8, got {ci}")
    return ci


def _real(v: object, name: str) -> float:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
        raise TypeError(f"{name}: expected a number, got {type(v).__name__} {v!r}")
    f = float(v)
    if not math.isfinite(f):
        raise ValueError(f"{name}: expected a finite number, got {f}")
    return f


# --------------------------------------------------------------------------- Blobs


def _ro(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Blobs:
    """Connected blobs as parallel numpy arrays, in label order.

    Attributes
    ----------
    area : ndarray of int64, shape (N,)
        Pixel count of each blob.
    bbox : ndarray of int64, shape (N, 4)
        ``x0, y0, x1, y1`` with exclusive ends.
    centroid : ndarray of float64, shape (N, 2)
        Mean ``x, y`` of the blob's pixels.

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((5, 9), bool); m[1:3, 1:3] = True; m[4, 6:9] = True
    >>> labels, b = label(m)
    >>> len(b), b.area.tolist()
    (2, [4, 3])
    >>> b[b.area > 3].bbox.tolist()
    [[1, 1, 3, 3]]
    >>> b.xyxy[1].tolist()
    [6.0, 4.0, 9.0, 5.0]
    """

    area: np.ndarray
    bbox: np.ndarray
    centroid: np.ndarray

    def __post_init__(self) -> None:
        area = np.asarray(self.area, dtype=np.int64).reshape(-1)
        bbox = np.asarray(self.bbox, dtype=np.int64).reshape(-1, 4)
        cen = np.asarray(self.centroid, dtype=np.float64).reshape(-1, 2)
        if not (len(area) == len(bbox) == len(cen)):
            raise ValueError(
                f"Blobs: expected equal lengths, got area {len(area)}, bbox {len(bbox)}, "
                f"centroid {len(cen)}"
            )
        object.__setattr__(self, "area", _ro(area))
        object.__setattr__(self, "bbox", _ro(bbox))
        object.__setattr__(self, "centroid", _ro(cen))

    @classmethod
    def empty(cls) -> Blobs:
        """No blobs."""
        return cls(np.zeros(0, np.int64), np.zeros((0, 4), np.int64), np.zeros((0, 2)))

    @classmethod
    def _from_core(cls, t: tuple[Any, Any, Any]) -> Blobs:
        return cls(t[0], t[1], t[2])

    def __len__(self) -> int:
        return int(self.area.shape[0])

    def __getitem__(self, idx: Any) -> Blobs:
        """Select blobs by int, slice, integer array or boolean mask; always a Blobs."""
        if isinstance(idx, (numbers.Integral, np.integer)) and not isinstance(idx, (bool, np.bool_)):
            n = len(self)
            i = int(idx)
            if not -n <= i < n:
                raise IndexError(f"idx: expected an index in [{-n}, {n}), got {i}")
            idx = slice(i % n, i % n + 1)
        elif not isinstance(idx, slice):
            idx = np.asarray(idx)
            if idx.dtype == np.bool_:
                if idx.shape != (len(self),):
                    raise IndexError(
                        f"idx: expected a bool mask of shape ({len(self)},), got {idx.shape}"
                    )
            elif idx.size and not np.issubdtype(idx.dtype, np.integer):
                raise IndexError(f"idx: expected int, slice, int array or bool mask, got {idx.dtype}")
            else:
                idx = idx.astype(np.intp).reshape(-1)
        return Blobs(self.area[idx], self.bbox[idx], self.centroid[idx])

    @property
    def xyxy(self) -> np.ndarray:
        """Boxes as float64 (N, 4) ``x0, y0, x1, y1`` (exclusive ends)."""
        return self.bbox.astype(np.float64)

    def __repr__(self) -> str:
        return f"Blobs(n={len(self)})"


# --------------------------------------------------------------------------- kernels


def diff_mask(prev: np.ndarray, cur: np.ndarray, threshold: int) -> np.ndarray:
    """Pixels that changed: ``|cur - prev| > threshold``.

    Parameters
    ----------
    prev, cur : ndarray of uint8, (H, W) or (H, W, 3)
        Two frames of the same shape. For RGB the largest channel difference counts.
    threshold : int in [0, 255]

    Returns
    -------
    ndarray of bool, (H, W)

    Examples
    --------
    >>> import numpy as np
    >>> diff_mask(np.array([[0, 10, 200]], np.uint8), np.array([[5, 40, 0]], np.uint8), 10)
    array([[False,  True,  True]])
    """
    t = _threshold(threshold)
    prev = _image(prev, "prev")
    cur = _image(cur, "cur")
    _same(cur, prev, "cur", "prev")
    return _core.diff_mask(prev, cur, t)


def diff_mask3(prev: np.ndarray, cur: np.ndarray, nxt: np.ndarray, threshold: int) -> np.ndarray:
    """Three-frame difference: ``|cur - prev| > threshold`` and ``|nxt - cur| > threshold``.

    Marks where the object is in ``cur`` without the ghost it leaves behind.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[0, 0, 0]], np.uint8)
    >>> b = np.array([[90, 90, 0]], np.uint8)
    >>> c = np.array([[0, 90, 90]], np.uint8)
    >>> diff_mask3(a, b, c, 20)
    array([[ True, False, False]])
    """
    t = _threshold(threshold)
    prev = _image(prev, "prev")
    cur = _image(cur, "cur")
    nxt = _image(nxt, "nxt")
    _same(cur, prev, "cur", "prev")
    _same(nxt, prev, "nxt", "prev")
    return _core.diff_mask3(prev, cur, nxt, t)


def _grey(a: object, name: str) -> np.ndarray:
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name}: expected a numpy uint8 array (H, W), got {describe(a)}")
    if a.dtype != np.uint8 or a.ndim != 2:
        raise TypeError(f"{name}: expected uint8 (H, W), got {describe(a)}")
    return a


def _non_negative(v: object, name: str) -> float:
    try:
        f = _real(v, name)
    except OverflowError:  # an int too large for a float
        raise ValueError(f"{name}: expected a finite number >= 0, got {v!r}") from None
    if f < 0:
        raise ValueError(f"{name}: expected a finite number >= 0, got {f}")
    return f


def diff_mask3_edge(
    p2: np.ndarray, p1: np.ndarray, cur: np.ndarray, threshold: float, edge_k: float
) -> np.ndarray:
    """Three-frame difference whose threshold rises on edges (camera-shake compensation).

    With ``G`` the largest absolute grey difference between a pixel of ``cur`` and its
    4-neighbours inside the image (0 for a 1x1 image), a pixel is marked when
    ``|cur - p1| > threshold + edge_k * G`` and ``|cur - p2| > threshold + edge_k * G``
    (computed exactly as in float64). A slight shake moves strong edges by a pixel, which the
    plain three-frame difference reports as motion; there ``G`` is large, so the raised
    limit suppresses them, while flat regions keep the plain ``threshold``.

    Parameters
    ----------
    p2, p1, cur : ndarray of uint8, (H, W)
        Grey frames of one shape: two frames back, one frame back and the current frame.
        Any memory layout (non-contiguous views are copied once).
    threshold : float
        Finite, >= 0.
    edge_k : float
        Finite, >= 0. With ``edge_k = 0`` and an integer ``threshold`` the result equals
        ``diff_mask3(p1, cur, p2, threshold)``.

    Returns
    -------
    ndarray of bool, (H, W)
        Empty (of the input shape) for a 0 x W or H x 0 input.

    Raises
    ------
    TypeError
        A frame that is not a uint8 (H, W) array, or a non-numeric ``threshold``/``edge_k``.
    ValueError
        Frames of different shapes, or a negative or non-finite ``threshold``/``edge_k``.

    Examples
    --------
    An edge that moved by one pixel (column 1) and a dark object in a flat region
    (columns 3-5):

    >>> import numpy as np
    >>> p = np.array([[0, 200, 200, 200, 200, 200, 200]], np.uint8)
    >>> cur = np.array([[0, 0, 200, 50, 50, 50, 200]], np.uint8)
    >>> diff_mask3_edge(p, p, cur, 20, 0.0).astype(int)
    array([[0, 1, 0, 1, 1, 1, 0]])
    >>> diff_mask3_edge(p, p, cur, 20, 1.0).astype(int)
    array([[0, 0, 0, 0, 1, 0, 0]])
    """
    p2, p1, cur, t, k = _three_frames(p2, p1, cur, threshold, edge_k)
    return _core.diff_mask3_edge(p2, p1, cur, t, k)


def _three_frames(p2: object, p1: object, cur: object, threshold: object,
                  edge_k: object) -> tuple:
    """The checked arguments of the three-frame kernels: three grey frames of one shape,
    a threshold and an edge factor, both finite and >= 0."""
    t = _non_negative(threshold, "threshold")
    k = _non_negative(edge_k, "edge_k")
    p2 = _grey(p2, "p2")
    p1 = _grey(p1, "p1")
    cur = _grey(cur, "cur")
    _same(p2, cur, "p2", "cur")
    _same(p1, cur, "p1", "cur")
    return p2, p1, cur, t, k


def _boxes(boxes: object) -> np.ndarray:
    """``boxes`` as a float64 (N, 4) array (an empty sequence is N = 0)."""
    try:
        b = np.asarray(boxes, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise TypeError(
            f"boxes: expected a float64 (N, 4) array-like of x0, y0, x1, y1, got {describe(boxes)} ({e})"
        ) from None
    if b.shape == (0,):
        b = b.reshape(0, 4)
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"boxes: expected shape (N, 4), got {tuple(b.shape)}")
    return b  # NaN / inf coordinates: ValueError from the compiled function


def diff3_count_in_boxes(
    p2: np.ndarray,
    p1: np.ndarray,
    cur: np.ndarray,
    boxes: Any,
    threshold: float,
    edge_k: float = 0.0,
) -> np.ndarray:
    """Per-box pixel counts of :func:`diff_mask3_edge`, without a full-frame pass.

    Box ``k`` (a row ``x0, y0, x1, y1`` of ``boxes``, pixel coordinates, exclusive ends like
    :attr:`Blobs.bbox`) covers the integer columns ``c0 = max(0, floor(x0))`` to
    ``c1 = min(W, ceil(x1))`` (exclusive) and rows ``r0 = max(0, floor(y0))`` to
    ``r1 = min(H, ceil(y1))``. The result is exactly ::

        diff_mask3_edge(p2, p1, cur, threshold, edge_k)[r0:r1, c0:c1].sum()

    for each box (0 for an empty or fully outside box), including box borders: the gradient
    ``G`` of ``cur`` uses the 4-neighbours inside the whole image, not inside the box. The
    same limit table as :func:`diff_mask3_edge` decides each pixel. Only the boxes' pixels
    (and, for ``G``, a one-pixel ring around them) are read, so confirming motion inside
    a few candidate boxes costs a tiny fraction of the full-frame mask. Overlapping boxes
    each count their own pixels.

    Parameters
    ----------
    p2, p1, cur : ndarray of uint8, (H, W)
        Grey frames of one shape: two frames back, one frame back and the current frame.
        Read in place when C-contiguous; any other layout is copied once (whole frame).
    boxes : array-like of float, (N, 4)
        ``x0, y0, x1, y1`` per box, finite. ``N`` may be 0 (an empty list is accepted).
        Boxes may extend past the image, be fractional, empty (``x1 <= x0``) or overlap.
    threshold : float
        Finite, >= 0.
    edge_k : float, default 0.0
        Finite, >= 0 (see :func:`diff_mask3_edge`).

    Returns
    -------
    ndarray of int64, (N,)

    Raises
    ------
    TypeError
        A frame that is not a uint8 (H, W) array, ``boxes`` not convertible to float64, or a
        non-numeric ``threshold``/``edge_k``.
    ValueError
        Frames of different shapes, ``boxes`` not of shape (N, 4) or with a NaN/inf
        coordinate, or a negative or non-finite ``threshold``/``edge_k``.

    Examples
    --------
    A dark object at columns 3-5 and a moved edge at column 1 (as in
    :func:`diff_mask3_edge`):

    >>> import numpy as np
    >>> p = np.array([[0, 200, 200, 200, 200, 200, 200]], np.uint8)
    >>> cur = np.array([[0, 0, 200, 50, 50, 50, 200]], np.uint8)
    >>> boxes = [[0, 0, 2, 1], [2.5, 0, 7, 1], [5, 0, 99, 9], [9, 0, 12, 1]]
    >>> diff3_count_in_boxes(p, p, cur, boxes, 20)
    array([1, 3, 1, 0])
    >>> diff3_count_in_boxes(p, p, cur, boxes, 20, edge_k=1.0)
    array([0, 1, 0, 0])
    """
    p2, p1, cur, t, k = _three_frames(p2, p1, cur, threshold, edge_k)
    return _core.diff3_count_in_boxes(p2, p1, cur, _boxes(boxes), t, k)


def _valid(v: object) -> tuple[int, int, int, int] | None:
    """``valid``: None, or 4 ints ``(x0, y0, x1, y1)`` (numpy ints too), >= 0, x0 <= x1, y0 <= y1."""
    if v is None:
        return None
    bad = TypeError(
        f"valid: expected None or a sequence of 4 ints (x0, y0, x1, y1), got {describe(v)}"
    )
    if isinstance(v, (str, bytes)) or not hasattr(v, "__len__") or not hasattr(v, "__getitem__"):
        raise bad
    try:
        items = [v[i] for i in range(4)] if len(v) == 4 else None
    except (TypeError, IndexError, KeyError):
        items = None
    if items is None or any(
        isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Integral) for x in items
    ):
        raise bad
    x0, y0, x1, y1 = (int(x) for x in items)
    if min(x0, y0, x1, y1) < 0 or x0 > x1 or y0 > y1:
        raise ValueError(
            f"valid: expected 0 <= x0 <= x1 and 0 <= y0 <= y1, got ({x0}, {y0}, {x1}, {y1})"
        )
    return x0, y0, x1, y1


def diff3_blob_in_boxes(
    p2: np.ndarray,
    p1: np.ndarray,
    cur: np.ndarray,
    boxes: Any,
    threshold: float,
    edge_k: float = 0.0,
    margin: int = 16,
    *,
    valid: tuple[int, int, int, int] | None = None,
) -> np.ndarray:
    """Per box, whether a blob of :func:`diff_mask3_edge` labelled around it has its centroid
    in the box, without a full-frame pass.

    For box ``k`` (a row ``x0, y0, x1, y1`` of ``boxes``, pixel coordinates, exclusive ends
    like :attr:`Blobs.bbox`):

    1. the window is columns ``max(0, floor(x0) - margin)`` to ``min(W, ceil(x1) + margin)``
       (exclusive) and rows ``max(0, floor(y0) - margin)`` to ``min(H, ceil(y1) + margin)``:
       the box's pixel span of :func:`diff3_count_in_boxes` grown by ``margin`` pixels on
       every side, clipped to the image;
    2. on the window, the mask is exactly ``diff_mask3_edge(p2, p1, cur, threshold, edge_k)``
       there (the gradient ``G`` uses the 4-neighbours in the whole image), set to ``False``
       outside ``valid`` (in practice the window is intersected with ``valid``);
    3. the window mask is labelled on its own with 8-connectivity, so a blob crossing the
       window border is cut there (the accepted approximation; see below);
    4. the result is ``True`` iff some blob's centroid ``(cx, cy)`` (mean x and y of its pixels,
       pixel centres at integer image coordinates, as :func:`label_stats` computes it)
       satisfies ``x0 - 1 <= cx <= x1 and y0 - 1 <= cy <= y1`` with the box's original float
       coordinates (the box grown by one pixel up and left). An empty window gives ``False``.

    In other words: the result is that of the same windowing and labelling applied to the
    full-frame mask ``M = diff_mask3_edge(...)`` after ``M[outside valid] = False``.

    With ``margin >= max(H, W)`` the answer equals the full-frame test "any centroid of
    ``label_stats(M)`` in the grown box" exactly, for every box (the window
    of a box that the grown test can reach covers the whole image; other boxes are ``False``
    both ways). With a smaller margin a blob crossing the window border is seen only in part
    and its cut piece's centroid decides, so the answer can differ from the full-frame one;
    blobs lying entirely inside the window are seen exactly.

    Parameters
    ----------
    p2, p1, cur : ndarray of uint8, (H, W)
        Grey frames of one shape: two frames back, one frame back and the current frame.
        Read in place when C-contiguous; any other layout is copied once (whole frame).
    boxes : array-like of float, (N, 4)
        ``x0, y0, x1, y1`` per box, finite. ``N`` may be 0. Boxes may extend past the image,
        be fractional, empty or overlap; each box is decided on its own window.
    threshold : float
        Finite, >= 0.
    edge_k : float, default 0.0
        Finite, >= 0 (see :func:`diff_mask3_edge`).
    margin : int, default 16
        Pixels added on every side of the box's span to form the window, >= 0. Values beyond
        ``max(H, W)`` give the same answers as ``max(H, W)``.
    valid : sequence of 4 int, optional (keyword only)
        ``(x0, y0, x1, y1)`` pixel indices, end-exclusive: the region where the difference is
        meaningful (e.g. the overlap of frames aligned for camera shake, whose borders hold
        invalid strips). Pixels outside it are off in the mask: they join no blob and move no
        centroid. The gradient ``G`` still reads the real neighbours, inside ``valid`` or not.
        Values past the image are clipped; a rectangle not meeting the image (or empty) gives
        ``False`` for every box. ``None`` (default): the whole image.

    Returns
    -------
    ndarray of bool, (N,)

    Raises
    ------
    TypeError
        A frame that is not a uint8 (H, W) array, ``boxes`` not convertible to float64, a
        non-numeric ``threshold``/``edge_k``, a ``margin`` that is not an integer, or a
        ``valid`` that is not None or a sequence of 4 integers.
    ValueError
        Frames of different shapes, ``boxes`` not of shape (N, 4) or with a NaN/inf
        coordinate, a negative or non-finite ``threshold``/``edge_k``, a negative
        ``margin``, or a ``valid`` with a negative value, ``x0 > x1`` or ``y0 > y1``.

    Examples
    --------
    A bar of six changed pixels on row 1, columns 2-7 (centroid x = 4.5, y = 1):

    >>> import numpy as np
    >>> p = np.zeros((3, 10), np.uint8)
    >>> cur = p.copy()
    >>> cur[1, 2:8] = 200
    >>> boxes = [[0, 0, 4.5, 2], [5.5, 0, 9, 2], [6, 0, 8, 2]]
    >>> diff3_blob_in_boxes(p, p, cur, boxes, 10)
    array([ True,  True, False])

    The first box's right edge and the second box's left edge minus one touch the centroid.
    With ``margin=0`` the third box's window (columns 6-7) cuts the bar, and the cut piece's
    centroid (x = 6.5) lies in the box:

    >>> diff3_blob_in_boxes(p, p, cur, boxes, 10, margin=0)
    array([ True,  True,  True])

    With only columns 0-4 valid (as after aligning a shaken frame), the bar is columns 2-4
    (centroid x = 3): the first box still holds it, the other two see nothing:

    >>> diff3_blob_in_boxes(p, p, cur, boxes, 10, valid=(0, 0, 5, 3))
    array([ True, False, False])
    """
    p2, p1, cur, t, k = _three_frames(p2, p1, cur, threshold, edge_k)
    m = _int(margin, "margin", 0, what="an int >= 0")
    v = _valid(valid)
    return _core.diff3_blob_in_boxes(p2, p1, cur, _boxes(boxes), t, k, m, valid=v)


def _unit(v: object, name: str, lo_open: bool) -> float:
    lo = "(0" if lo_open else "[0"
    try:
        f = _real(v, name)
    except OverflowError:  # an int too large for a float
        raise ValueError(f"{name}: expected a number in {lo}, 1], got {v!r}") from None
    if (f <= 0.0 if lo_open else f < 0.0) or f > 1.0:
        raise ValueError(f"{name}: expected a number in {lo}, 1], got {f}")
    return f


def background_step(
    background: np.ndarray,
    frame: np.ndarray,
    threshold: float,
    alpha: float,
    slow: float = 0.1,
    edge_k: float = 0.0,
) -> np.ndarray:
    """Selective running-average background update, in place; returns the foreground mask.

    With ``B`` the background before the call, ``x`` the frame and ``G`` the largest absolute
    difference between a pixel of ``B`` and its 4-neighbours inside the image (0 for a 1x1
    image), a pixel is foreground when ``|x - B| > threshold + edge_k * G``; then
    ``B += r * (x - B)`` with ``r = slow * alpha`` on foreground and ``alpha`` elsewhere, so a
    passing object barely leaks into the background while the scene keeps adapting.
    Everything is evaluated in float32 in the order numpy float32 arithmetic uses, so the
    result equals the numpy expression bit for bit (for a finite background); ``G`` always
    comes from the old background, never from already-updated neighbours.

    Parameters
    ----------
    background : ndarray of float32, (H, W)
        C-contiguous and writeable; updated in place. Keep it finite (e.g. start from
        ``frame.astype(np.float32)``).
    frame : ndarray of uint8, (H, W)
        Grey frame of the background's shape, any memory layout (copied once if not
        C-contiguous). Must not share memory with ``background``.
    threshold : float
        Finite, >= 0.
    alpha : float
        Learning rate in (0, 1].
    slow : float, default 0.1
        Factor in [0, 1] on ``alpha`` for foreground pixels (0 freezes them, 1 makes the
        update non-selective).
    edge_k : float, default 0.0
        Finite, >= 0: how much the limit rises on background edges (shake suppression).

    Returns
    -------
    ndarray of bool, (H, W)
        The foreground mask (computed before the update). Empty for a 0 x W or H x 0 input.

    Raises
    ------
    TypeError
        ``background`` not a float32 (H, W) array, ``frame`` not a uint8 (H, W) array, or a
        non-numeric parameter.
    ValueError
        ``background`` not C-contiguous or read-only, shapes that differ, or a parameter out
        of range (negative or non-finite ``threshold``/``edge_k``, ``alpha`` outside (0, 1],
        ``slow`` outside [0, 1]).

    Examples
    --------
    >>> import numpy as np
    >>> bg = np.full((1, 4), 100, np.float32)
    >>> frame = np.array([[100, 104, 180, 180]], np.uint8)
    >>> background_step(bg, frame, threshold=10, alpha=0.5, slow=0.0).astype(int)
    array([[0, 0, 1, 1]])
    >>> bg  # background pixels move half way, foreground pixels stay (slow = 0)
    array([[100., 102., 100., 100.]], dtype=float32)
    """
    if not isinstance(background, np.ndarray) or background.dtype != np.float32 or background.ndim != 2:
        raise TypeError(f"background: expected a float32 (H, W) array, got {describe(background)}")
    if not background.flags.c_contiguous:
        raise ValueError(
            "background: expected a C-contiguous float32 array (it is updated in place), "
            f"got a non-C-contiguous {describe(background)}"
        )
    if not background.flags.writeable:
        raise ValueError(
            "background: expected a writeable array (it is updated in place), "
            f"got a read-only {describe(background)}"
        )
    frame = _grey(frame, "frame")
    _same(frame, background, "frame", "background")
    t = _non_negative(threshold, "threshold")
    a = _unit(alpha, "alpha", lo_open=True)
    s = _unit(slow, "slow", lo_open=False)
    k = _non_negative(edge_k, "edge_k")
    return _core.background_step(background, frame, t, a, s, k)


def erode(mask: np.ndarray, size: int = 3) -> np.ndarray:
    """Binary erosion with a square ``size x size`` footprint (odd ``size``).

    Identical to ``skimage.morphology.erosion(mask, np.ones((size, size), bool))``: pixels
    outside the image are ignored, so the image border neither erodes nor dilates from
    outside. Bit-packed separable passes: the cost grows only logarithmically with ``size``.

    Parameters
    ----------
    mask : ndarray of bool, (H, W)
    size : odd int >= 1
        Side of the square footprint; 1 returns a copy.

    Returns
    -------
    ndarray of bool, (H, W)

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((5, 5), bool); m[1:4, 1:4] = True; m[0, 0] = True
    >>> erode(m, 3).astype(int)
    array([[0, 0, 0, 0, 0],
           [0, 0, 0, 0, 0],
           [0, 0, 1, 0, 0],
           [0, 0, 0, 0, 0],
           [0, 0, 0, 0, 0]])
    """
    return _core.erode(_mask(mask), _odd(size))


def dilate(mask: np.ndarray, size: int = 3) -> np.ndarray:
    """Binary dilation with a square ``size x size`` footprint (odd ``size``).

    Identical to ``skimage.morphology.dilation(mask, np.ones((size, size), bool))``: pixels
    outside the image are ignored, so the image border neither erodes nor dilates from
    outside. Bit-packed separable passes: the cost grows only logarithmically with ``size``.

    Parameters
    ----------
    mask : ndarray of bool, (H, W)
    size : odd int >= 1
        Side of the square footprint; 1 returns a copy.

    Returns
    -------
    ndarray of bool, (H, W)

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((5, 5), bool); m[1:4, 1:4] = True; m[0, 0] = True
    >>> dilate(m, 3).astype(int)
    array([[1, 1, 1, 1, 1],
           [1, 1, 1, 1, 1],
           [1, 1, 1, 1, 1],
           [1, 1, 1, 1, 1],
           [1, 1, 1, 1, 1]])
    """
    return _core.dilate(_mask(mask), _odd(size))


def opening(mask: np.ndarray, size: int = 3) -> np.ndarray:
    """Binary opening with a square ``size x size`` footprint (odd ``size``).

    Identical to ``skimage.morphology.opening(mask, np.ones((size, size), bool))``: pixels
    outside the image are ignored, so the image border neither erodes nor dilates from
    outside. Bit-packed separable passes: the cost grows only logarithmically with ``size``.

    Parameters
    ----------
    mask : ndarray of bool, (H, W)
    size : odd int >= 1
        Side of the square footprint; 1 returns a copy.

    Returns
    -------
    ndarray of bool, (H, W)

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((5, 5), bool); m[1:4, 1:4] = True; m[0, 0] = True
    >>> opening(m, 3).astype(int)
    array([[0, 0, 0, 0, 0],
           [0, 1, 1, 1, 0],
           [0, 1, 1, 1, 0],
           [0, 1, 1, 1, 0],
           [0, 0, 0, 0, 0]])
    """
    return _core.opening(_mask(mask), _odd(size))


def closing(mask: np.ndarray, size: int = 3) -> np.ndarray:
    """Binary closing with a square ``size x size`` footprint (odd ``size``).

    Identical to ``skimage.morphology.closing(mask, np.ones((size, size), bool))``: pixels
    outside the image are ignored, so the image border neither erodes nor dilates from
    outside. Bit-packed separable passes: the cost grows only logarithmically with ``size``.

    Parameters
    ----------
    mask : ndarray of bool, (H, W)
    size : odd int >= 1
        Side of the square footprint; 1 returns a copy.

    Returns
    -------
    ndarray of bool, (H, W)

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((5, 5), bool); m[1:4, 1:4] = True; m[0, 0] = True
    >>> closing(m, 3).astype(int)
    array([[1, 1, 1, 1, 1],
           [1, 1, 1, 1, 1],
           [1, 1, 1, 1, 1],
           [1, 1, 1, 1, 1],
           [1, 1, 1, 1, 1]])
    """
    return _core.closing(_mask(mask), _odd(size))


def label(mask: np.ndarray, connectivity: int = 8) -> tuple[np.ndarray, Blobs]:
    """Connected components of a bool mask with their statistics.

    Parameters
    ----------
    mask : ndarray of bool, (H, W)
    connectivity : {8, 4}
        8 joins diagonal neighbours (``skimage.measure.label(connectivity=2)``), 4 does not
        (``connectivity=1``).

    Returns
    -------
    labels : ndarray of int32, (H, W)
        0 for background, 1..N numbered in raster order of each blob's first pixel
        (identical to ``skimage.measure.label``).
    blobs : Blobs
        Area, box and centroid of label ``i + 1`` at index ``i`` (equal to ``regionprops``).

    Examples
    --------
    >>> import numpy as np
    >>> m = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 0]], bool)
    >>> label(m)[0]
    array([[1, 0, 0],
           [0, 1, 0],
           [0, 0, 0]], dtype=int32)
    >>> label(m, connectivity=4)[1].area.tolist()
    [1, 1]
    """
    labels, stats = _core.label(_mask(mask), _connectivity(connectivity))
    return labels, Blobs._from_core(stats)


def label_stats(mask: np.ndarray, connectivity: int = 8) -> Blobs:
    """The statistics of :func:`label` without the label image (faster when only the
    blobs' areas, boxes and centroids are wanted).

    Examples
    --------
    >>> import numpy as np
    >>> m = np.array([[1, 1, 0], [0, 0, 0], [0, 0, 1]], bool)
    >>> b = label_stats(m)
    >>> b.area.tolist(), b.bbox.tolist()
    ([2, 1], [[0, 0, 2, 1], [2, 2, 3, 3]])
    """
    return Blobs._from_core(_core.label_stats(_mask(mask), _connectivity(connectivity)))


def _stage_args(
    threshold: object, open_size: object, min_area: object, max_area: object, connectivity: object
) -> tuple[int, int, int, int | None, int]:
    t = _threshold(threshold)
    o = _int(open_size, "open_size", 0, 100_001, "0, 1 or an odd integer >= 3")
    if o > 1 and o % 2 == 0:
        raise ValueError(f"open_size: expected 0, 1 or an odd integer >= 3, got {o}")
    lo = _int(min_area, "min_area", 0)
    hi = None if max_area is None else _int(max_area, "max_area", lo, None, f"an integer >= min_area ({lo})")
    return t, o, lo, hi, _connectivity(connectivity)


def blobs(
    prev: np.ndarray,
    cur: np.ndarray,
    threshold: int,
    open_size: int = 3,
    min_area: int = 1,
    max_area: int | None = None,
    connectivity: int = 8,
) -> Blobs:
    """The fused motion stage: difference, threshold, opening, labelling, area filter.

    Same result as ``label(opening(diff_mask(prev, cur, threshold), open_size),
    connectivity)[1]`` filtered to ``min_area <= area <= max_area``, in one Rust call
    with no intermediate mask. ``open_size`` 0 or 1 skips the opening. Use
    :class:`MotionStage` in a frame loop to reuse the scratch buffers.

    Examples
    --------
    >>> import numpy as np
    >>> prev = np.zeros((20, 20), np.uint8)
    >>> cur = prev.copy(); cur[2:6, 2:6] = 255; cur[10, 10] = 255
    >>> blobs(prev, cur, 40).bbox.tolist()      # the single pixel is opened away
    [[2, 2, 6, 6]]
    >>> len(blobs(prev, cur, 40, open_size=1, min_area=2))
    1
    """
    args = _stage_args(threshold, open_size, min_area, max_area, connectivity)
    prev = _image(prev, "prev")
    cur = _image(cur, "cur")
    _same(cur, prev, "cur", "prev")
    return Blobs._from_core(_core.blobs(prev, cur, *args))


class MotionStage:
    """Reusable fused motion stage (see :func:`blobs`); owns its scratch buffers.

    Examples
    --------
    >>> import numpy as np
    >>> stage = MotionStage(threshold=30, min_area=4)
    >>> a = np.zeros((10, 10), np.uint8); b = a.copy(); b[3:6, 3:6] = 99
    >>> stage(a, b).area.tolist()
    [9]
    """

    def __init__(
        self,
        threshold: int,
        open_size: int = 3,
        min_area: int = 1,
        max_area: int | None = None,
        connectivity: int = 8,
    ) -> None:
        self._core = _core.MotionStage(*_stage_args(threshold, open_size, min_area, max_area, connectivity))

    def __call__(self, prev: np.ndarray, cur: np.ndarray) -> Blobs:
        """Blobs that moved between ``prev`` and ``cur``."""
        prev = _image(prev, "prev")
        cur = _image(cur, "cur")
        _same(cur, prev, "cur", "prev")
        return Blobs._from_core(self._core(prev, cur))

    def __repr__(self) -> str:
        c = self._core
        return (
            f"MotionStage(threshold={c.threshold}, open_size={c.open_size}, min_area={c.min_area}, "
            f"max_area={c.max_area}, connectivity={c.connectivity})"
        )


# --------------------------------------------------------------------------- backgrounds


class _Model:
    _core: Any

    def _frame(self, frame: object) -> np.ndarray:
        return _image(frame, "frame", allow_empty=False)

    def reset(self) -> None:
        """Forget everything; the next frame initialises the model (any shape)."""
        self._core.reset()

    @property
    def background(self) -> np.ndarray | None:
        """Background image (a copy), or None before the first frame."""
        return self._core.background

    @property
    def frames(self) -> int:
        """Frames applied since creation or :meth:`reset`."""
        return int(self._core.frames)


class SigmaDelta(_Model):
    """Sigma-delta background estimation (Manzanera & Richefeu 2004), integer only.

    Per pixel: the mean ``M`` steps by +-1 toward the frame, ``D = |I - M|``, the variance
    ``V`` steps by +-1 toward ``amplification * D`` and is clamped to ``[vmin, vmax]``; ``M``
    and ``V`` move on one frame in ``update_period``. Foreground where ``D > V``. RGB frames
    are converted to BT.601 luma first. The first frame initialises ``M = I``, ``V = vmin``
    and returns an empty mask.

    Examples
    --------
    >>> import numpy as np
    >>> sd = SigmaDelta()
    >>> bg = np.full((4, 4), 100, np.uint8)
    >>> for _ in range(5): _ = sd.apply(bg)
    >>> f = bg.copy(); f[1, 2] = 180
    >>> np.argwhere(sd.apply(f)).tolist()
    [[1, 2]]
    """

    def __init__(self, amplification: int = 2, update_period: int = 1, vmin: int = 2, vmax: int = 255) -> None:
        self._core = _core.SigmaDelta(
            _int(amplification, "amplification", 1, 255),
            _int(update_period, "update_period", 1, 1_000_000),
            _int(vmin, "vmin", 0, 255),
            _int(vmax, "vmax", int(vmin), 255),
        )

    def apply(self, frame: np.ndarray) -> np.ndarray:
        """Update with ``frame`` and return its foreground mask (bool (H, W))."""
        return self._core.apply(self._frame(frame))

    @property
    def variance(self) -> np.ndarray | None:
        """The variance image ``V`` (uint8 copy), or None before the first frame."""
        return self._core.variance

    def __repr__(self) -> str:
        c = self._core
        return f"SigmaDelta(amplification={c.amplification}, update_period={c.update_period}, vmin={c.vmin}, vmax={c.vmax})"


class RunningAverage(_Model):
    """Running-average background ``B <- B + alpha (I - B)``; foreground ``|I - B| > threshold``.

    The test uses ``B`` before the update. ``background`` is float32. RGB frames are
    converted to luma.

    Examples
    --------
    >>> import numpy as np
    >>> ra = RunningAverage(alpha=0.5, threshold=10)
    >>> _ = ra.apply(np.zeros((1, 2), np.uint8))
    >>> ra.apply(np.array([[100, 5]], np.uint8))
    array([[ True, False]])
    >>> ra.background
    array([[50. ,  2.5]], dtype=float32)
    """

    def __init__(self, alpha: float = 0.05, threshold: float = 25.0) -> None:
        a = _real(alpha, "alpha")
        if not 0.0 < a <= 1.0:
            raise ValueError(f"alpha: expected a number in (0, 1], got {a}")
        t = _real(threshold, "threshold")
        if not 0.0 <= t <= 255.0:
            raise ValueError(f"threshold: expected a number in [0, 255], got {t}")
        self._core = _core.RunningAverage(a, t)

    def apply(self, frame: np.ndarray) -> np.ndarray:
        """Update with ``frame`` and return its foreground mask (bool (H, W))."""
        return self._core.apply(self._frame(frame))

    def __repr__(self) -> str:
        return f"RunningAverage(alpha={self._core.alpha:g}, threshold={self._core.threshold:g})"


class DualBackground(_Model):
    """Long-term and short-term sigma-delta models with a static-evidence counter.

    After Porikli, Ivanov & Haga (2008). Both models are :class:`SigmaDelta` with the same
    ``amplification``/``vmin``/``vmax``; the long-term one updates on one frame in
    ``long_period`` (slow), the short-term one on one frame in ``short_period``. A pixel that
    is foreground to the long-term model but background to the short-term one is a static
    candidate; its counter (:attr:`evidence`) grows by one per consecutive such frame and
    resets to 0 otherwise. ``apply`` returns ``(moving, static)``: short-term foreground,
    and counter ``>= static_frames``. :meth:`hold` freezes the long-term model under a mask
    so a detected object is never absorbed; :meth:`release` undoes it.

    Examples
    --------
    >>> import numpy as np
    >>> db = DualBackground(long_period=64, static_frames=10)
    >>> empty = np.full((8, 8), 50, np.uint8)
    >>> for _ in range(3): _ = db.apply(empty)
    >>> scene = empty.copy(); scene[2:4, 2:4] = 200      # an object is left behind
    >>> for _ in range(200): moving, static = db.apply(scene)
    >>> int(static.sum()), int(moving.sum())
    (4, 0)
    """

    def __init__(
        self,
        long_period: int = 32,
        short_period: int = 1,
        amplification: int = 2,
        vmin: int = 2,
        vmax: int = 255,
        static_frames: int = 30,
    ) -> None:
        sp = _int(short_period, "short_period", 1, 1_000_000)
        self._core = _core.DualBackground(
            _int(long_period, "long_period", sp, 1_000_000, f"an integer in [short_period={sp}, 1000000]"),
            sp,
            _int(amplification, "amplification", 1, 255),
            _int(vmin, "vmin", 0, 255),
            _int(vmax, "vmax", int(vmin), 255),
            _int(static_frames, "static_frames", 1, 65535),
        )

    def apply(self, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Update with ``frame``; return ``(moving, static)`` bool (H, W) masks."""
        return self._core.apply(self._frame(frame))

    def _hold_mask(self, mask: object) -> np.ndarray:
        return _mask(mask)

    def hold(self, mask: np.ndarray) -> None:
        """Freeze the long-term model where ``mask`` is True (keeps an object from being absorbed)."""
        self._core.hold(self._hold_mask(mask))

    def release(self, mask: np.ndarray) -> None:
        """Let the long-term model update again where ``mask`` is True."""
        self._core.release(self._hold_mask(mask))

    @property
    def short_background(self) -> np.ndarray | None:
        """Short-term background (uint8 copy), or None before the first frame."""
        return self._core.short_background

    @property
    def evidence(self) -> np.ndarray | None:
        """Per-pixel static-evidence counter (uint16 copy), or None before the first frame."""
        return self._core.evidence

    @property
    def held(self) -> np.ndarray | None:
        """Pixels currently held (bool copy), or None before the first frame."""
        return self._core.held

    def __repr__(self) -> str:
        c = self._core
        return f"DualBackground(long_period={c.long_period}, short_period={c.short_period}, static_frames={c.static_frames})"


# --------------------------------------------------------------------------- shake


def estimate_shift(prev: np.ndarray, cur: np.ndarray) -> tuple[float, float]:
    """Global translation ``(dx, dy)`` of ``cur`` relative to ``prev``, sub-pixel.

    Convention: ``cur(x, y) ~= prev(x - dx, y - dy)`` (a scene moving right gives dx > 0).
    Coarse-to-fine Lucas-Kanade for a translation on a 2x2-averaged pyramid, finishing at
    the first level with at most ~300k pixels (quarter resolution at 1080p); handles
    shifts up to about +-16 px (less on frames under ~100 px a side: a quarter of the
    side). Returns ``(0.0, 0.0)`` for frames smaller than 14x14 or without texture. RGB
    frames are converted to luma.

    Examples
    --------
    >>> import numpy as np
    >>> y, x = np.mgrid[0:120, 0:160]
    >>> scene = lambda dx, dy: (128 + 60 * np.sin((x - dx) * 0.2) * np.cos((y - dy) * 0.15)).astype(np.uint8)
    >>> dx, dy = estimate_shift(scene(0, 0), scene(2.5, -1))
    >>> round(dx, 1), round(dy, 1)
    (2.5, -1.0)
    """
    prev = _image(prev, "prev", allow_empty=False)
    cur = _image(cur, "cur", allow_empty=False)
    _same(cur, prev, "cur", "prev")
    dx, dy = _core.estimate_shift(prev, cur)
    return float(dx), float(dy)


def shift_frame(frame: np.ndarray, dx: float, dy: float, fill: int = 0) -> np.ndarray:
    """Translate a frame: ``out(x, y) = frame(x - dx, y - dy)``, bilinear, ``fill`` outside.

    ``shift_frame(cur, -dx, -dy)`` with ``(dx, dy) = estimate_shift(prev, cur)`` aligns
    ``cur`` back onto ``prev`` (camera-shake compensation).

    Examples
    --------
    >>> import numpy as np
    >>> shift_frame(np.array([[1, 2, 3]], np.uint8), 1, 0, fill=9)
    array([[9, 1, 2]], dtype=uint8)
    """
    frame = _image(frame, "frame")
    return _core.shift_frame(frame, _real(dx, "dx"), _real(dy, "dy"), _int(fill, "fill", 0, 255))


def pool_mean(frame: np.ndarray, factor: int) -> np.ndarray:
    """Block mean-pooling of a grey frame: the rounded mean of each ``factor x factor`` block.

    The output is ``(H // factor, W // factor)`` (the last ``H % factor`` rows and
    ``W % factor`` columns are dropped). Averaging ``factor²`` pixels divides independent
    sensor noise by ``factor``: differencing pooled frames finds faint objects at least
    ``factor`` pixels wide that a per-pixel threshold misses in noisy (night) video.

    Examples
    --------
    >>> import numpy as np
    >>> pool_mean(np.array([[0, 2, 9], [4, 6, 9]], np.uint8), 2)
    array([[3]], dtype=uint8)
    """
    frame = _image(frame, "frame")
    if frame.ndim != 2:
        raise TypeError(f"frame: expected uint8 (H, W), got {describe(frame)}")
    return _core.pool_mean(frame, _int(factor, "factor", 1, 16))


def box_mean(frame: np.ndarray, size: int) -> np.ndarray:
    """Box mean at stride 1: the rounded mean of the ``size x size`` block starting at each
    pixel, shape ``(H - size + 1, W - size + 1)`` (empty when ``size`` exceeds a side).

    Like :func:`pool_mean` it divides independent noise by ``size``, but keeps full positional
    resolution: output pixel ``(i, j)`` is centred on ``(i + (size-1)/2, j + (size-1)/2)``.

    Examples
    --------
    >>> import numpy as np
    >>> box_mean(np.array([[0, 2, 9], [4, 6, 9]], np.uint8), 2)
    array([[3, 7]], dtype=uint8)
    """
    frame = _image(frame, "frame")
    if frame.ndim != 2:
        raise TypeError(f"frame: expected uint8 (H, W), got {describe(frame)}")
    return _core.box_mean(frame, _int(size, "size", 1, 16))
