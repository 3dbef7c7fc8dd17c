"""Multi-object tracking: the Python face of the Rust tracker.

:class:`Tracker` follows boxes from frame to frame. Per track it runs a Kalman filter on
the box centre, either constant velocity (``motion="cv"``, optionally with a known
acceleration prior ``gravity``) or constant acceleration (``motion="ca"``, for falling
objects whose displacement per frame grows). Association is two-stage as in ByteTrack
(confident detections first, then weak ones), gated by the Mahalanobis distance of the
centre under the predicted innovation covariance *or* by box IoU (IoU is never required,
so 3-pixel objects that do not overlap between frames are tracked) and solved optimally
(rectangular linear assignment) per connected component of the gating graph, in Rust,
outside the GIL.

Units are pixels and the caller's timestamps in seconds. See ``docs/tracking.md``.

>>> import numpy as np
>>> from anfang.tracking import Tracker
>>> tr = Tracker(min_hits=2)
>>> for k in range(4):
...     ids = tr.update(np.array([[10.0 + 5 * k, 10.0, 14.0 + 5 * k, 14.0]]), t=k / 25)
>>> ids
array([1])
>>> tr.tracks.state_names
['confirmed']
>>> tr.history(1)["cx"].round()
array([12., 17., 22., 27.])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from anfang import _core
from anfang.frames import check_time

__all__ = [
    "Tracker",
    "Tracks",
    "STATE_NAMES",
    "TENTATIVE",
    "CONFIRMED",
    "LOST",
    "HISTORY_DTYPE",
    "from_supervision",
    "to_supervision",
]

TENTATIVE = 0
CONFIRMED = 1
LOST = 2
#: State code -> name. Removed tracks are no longer listed in :attr:`Tracker.tracks`.
STATE_NAMES = {TENTATIVE: "tentative", CONFIRMED: "confirmed", LOST: "lost"}

#: dtype of :meth:`Tracker.history`.
HISTORY_DTYPE = np.dtype(
    [
        ("frame", np.int64),
        ("t", np.float64),
        ("x0", np.float64),
        ("y0", np.float64),
        ("x1", np.float64),
        ("y1", np.float64),
        ("cx", np.float64),
        ("cy", np.float64),
    ]
)


@dataclass(frozen=True)
class Tracks:
    """Snapshot of the live tracks, one row per track (struct of numpy arrays).

    Attributes
    ----------
    ids : (K,) int64
    states : (K,) uint8
        ``0`` tentative, ``1`` confirmed, ``2`` lost (see :data:`STATE_NAMES`).
    boxes : (K, 4) float64
        Filtered (or, for lost tracks, predicted) xyxy box at the tracker's time.
    velocities : (K, 2) float64
        Centre velocity in pixels per second.
    accelerations : (K, 2) float64
        Centre acceleration in px/s² (``motion="ca"``), else the ``gravity`` prior.
    hits : (K,) int64
        Number of frames with a matched detection.
    age_s : (K,) float64
        Seconds since the track started.
    time_since_update : (K,) float64
        Seconds since the last matched detection.
    scores : (K,) float64
        Score of the last matched detection.
    """

    ids: np.ndarray
    states: np.ndarray
    boxes: np.ndarray
    velocities: np.ndarray
    accelerations: np.ndarray
    hits: np.ndarray
    age_s: np.ndarray
    time_since_update: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    @property
    def state_names(self) -> list[str]:
        """State of each track as a name."""
        return [STATE_NAMES[int(s)] for s in self.states]

    @property
    def confirmed(self) -> np.ndarray:
        """Boolean mask of confirmed tracks."""
        return self.states == CONFIRMED


def _as_real_array(x: Any, name: str) -> np.ndarray:
    arr = x if isinstance(x, np.ndarray) else None
    if arr is None:
        if isinstance(x, (list, tuple)):
            try:
                arr = np.asarray(x)
            except ValueError as e:  # ragged
                raise ValueError(f"{name}: expected a rectangular array, got {e}") from None
        else:
            raise TypeError(f"{name}: expected a numpy array, got {type(x).__name__}")
    if arr.dtype == np.bool_ or arr.dtype.kind not in "iuf":
        if not (arr.size == 0 and arr.dtype.kind in "iufbO" and isinstance(x, (list, tuple))):
            raise TypeError(f"{name}: expected an integer or float array, got {arr.dtype}")
    return arr


def _check_boxes(boxes: Any) -> np.ndarray:
    arr = _as_real_array(boxes, "boxes")
    if arr.size == 0 and arr.ndim == 1:
        return np.empty((0, 4), np.float64)
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise ValueError(f"boxes: expected shape (N, 4) xyxy, got {tuple(arr.shape)}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if not np.isfinite(arr).all():
        bad = int(np.flatnonzero(~np.isfinite(arr).all(axis=1))[0])
        raise ValueError(f"boxes: expected finite coordinates, row {bad} is {arr[bad].tolist()}")
    inverted = (arr[:, 2] < arr[:, 0]) | (arr[:, 3] < arr[:, 1])
    if inverted.any():
        bad = int(np.flatnonzero(inverted)[0])
        raise ValueError(
            f"boxes: expected x1 >= x0 and y1 >= y0 (xyxy), row {bad} is {arr[bad].tolist()}"
        )
    return arr


def _check_scores(scores: Any, n: int) -> np.ndarray | None:
    if scores is None:
        return None
    arr = _as_real_array(scores, "scores")
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"scores: expected shape ({n},) (one per box), got {tuple(arr.shape)}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    ok = np.isfinite(arr) & (arr >= 0.0) & (arr <= 1.0)
    if not ok.all():
        bad = int(np.flatnonzero(~ok)[0])
        raise ValueError(f"scores: expected values in [0, 1], score {bad} is {arr[bad]}")
    return arr


def _check_t(t: Any, last: float | None) -> float | None:
    """``None`` (no timestamps) or a timestamp validated by :func:`anfang.frames.check_time`."""
    return None if t is None else check_time(t, last)


class Tracker:
    """Multi-object tracker with Kalman motion models and two-stage optimal assignment.

    Parameters
    ----------
    motion : {"cv", "ca"}, default "cv"
        Centre motion model: constant velocity or constant acceleration.
    high_thresh : float, default 0.5
        Detections with ``score >= high_thresh`` are confident: they are matched first
        (to every track) and may start new tracks.
    low_thresh : float, default 0.1
        Detections with ``low_thresh <= score < high_thresh`` are weak: they only extend
        confirmed tracks left unmatched by the first stage. Lower scores are ignored.
    min_hits : int, default 3
        Matched frames (the first included) after which a tentative track is confirmed
        and its id reported. A tentative track that misses one frame is deleted.
    max_age_s : float, default 1.0
        A track not matched for more than this many seconds is removed. With ``t=None``
        time is the frame count, so this is then a number of frames.
    gate : float, default 9.21
        Gate on the squared Mahalanobis distance of the detection centre under the
        predicted innovation covariance; a chi-square quantile with 2 degrees of freedom
        (5.99 is the 95 % quantile, 9.21 the 99 %, 13.8 the 99.9 %).
    min_iou : float, default 0.3
        A pair outside the Mahalanobis gate is still admissible when its box IoU reaches
        this value (``0`` disables the IoU route). IoU is never required.
    iou_weight : float, default 0.3
        Cost of a pair = ``(1 - iou_weight) * min(d2 / gate, 2) + iou_weight * (1 - IoU)``.
    history_len : int, default 128
        Entries kept per track in :meth:`history` (oldest dropped first).
    process_noise : float or None, default None
        Spectral density of the white-noise acceleration (CV, px²/s³) or jerk (CA,
        px²/s⁵). ``None`` picks 3e3 for CV and 3e4 for CA.
    meas_noise_px, meas_noise_rel : float, default 1.0 and 0.05
        Standard deviation of a measured centre coordinate:
        ``meas_noise_px + meas_noise_rel * box size`` (pixels).
    init_vel_std : float, default 200.0
        Prior standard deviation of a new track's velocity (px/s).
    init_acc_std : float, default 500.0
        Prior standard deviation of a new track's acceleration (px/s², CA only).
    gravity : (float, float), default (0, 0)
        Known acceleration (px/s², y down): a control input for CV, the initial
        acceleration for CA. E.g. ``gravity=(0, 9.81 * pixels_per_metre)``.
    size_smoothing : float, default 0.5
        Box width/height follow ``size += (1 - size_smoothing) * (measured - size)``.
    skip_duplicates : bool, default True
        A frame whose boxes and scores equal the previous frame's exactly (a duplicated
        frame, e.g. 10 fps content in a 30 fps container) is not fed to the filters:
        the tracks it touches are refreshed (hits, time of last update, history) but the
        motion state keeps the time of the original frame, so the next real frame gets
        the true interval.

    Notes
    -----
    Timestamps: ``dt`` is taken from the caller's ``t``; equal timestamps mean no time
    passed (no division by ``dt`` anywhere). ``t=None`` uses the frame count
    (0, 1, 2, ...) as seconds, so velocities and noise are then per frame.

    A call to :meth:`update` holds no Python objects per box or track; the Rust kernel
    runs without the GIL. Do not mutate the input arrays from another thread during the
    call.

    Examples
    --------
    A falling object (gravity 600 px/s²) hidden for 3 frames keeps its id:

    >>> import numpy as np
    >>> tr = Tracker("ca", min_hits=2)
    >>> seen = set()
    >>> for k in range(30):
    ...     t = k / 25
    ...     y = 20 + 300 * t * t
    ...     boxes = np.empty((0, 4)) if 10 <= k < 13 else np.array([[98, y - 2, 102, y + 2]])
    ...     seen.update(tr.update(boxes, t=t).tolist())
    >>> sorted(seen)
    [-1, 1]
    """

    def __init__(
        self,
        motion: str = "cv",
        *,
        high_thresh: float = 0.5,
        low_thresh: float = 0.1,
        min_hits: int = 3,
        max_age_s: float = 1.0,
        gate: float = 9.21,
        min_iou: float = 0.3,
        iou_weight: float = 0.3,
        history_len: int = 128,
        process_noise: float | None = None,
        meas_noise_px: float = 1.0,
        meas_noise_rel: float = 0.05,
        init_vel_std: float = 200.0,
        init_acc_std: float = 500.0,
        gravity: tuple[float, float] = (0.0, 0.0),
        size_smoothing: float = 0.5,
        skip_duplicates: bool = True,
    ) -> None:
        if motion not in ("cv", "ca"):
            raise ValueError(f"motion: expected 'cv' or 'ca', got {motion!r}")
        for name, v in (("min_hits", min_hits), ("history_len", history_len)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise TypeError(f"{name}: expected an int, got {type(v).__name__}")
        floats = {
            "high_thresh": high_thresh,
            "low_thresh": low_thresh,
            "max_age_s": max_age_s,
            "gate": gate,
            "min_iou": min_iou,
            "iou_weight": iou_weight,
            "meas_noise_px": meas_noise_px,
            "meas_noise_rel": meas_noise_rel,
            "init_vel_std": init_vel_std,
            "init_acc_std": init_acc_std,
            "size_smoothing": size_smoothing,
        }
        if process_noise is not None:
            floats["process_noise"] = process_noise
        for name, v in floats.items():
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
                raise TypeError(f"{name}: expected a number, got {type(v).__name__}")
        try:
            gx, gy = gravity
            gravity_f = (float(gx), float(gy))
        except (TypeError, ValueError):
            raise TypeError(f"gravity: expected a pair of numbers (gx, gy), got {gravity!r}") from None
        self.motion = motion
        self._params = dict(floats, min_hits=int(min_hits), history_len=int(history_len),
                            gravity=gravity_f, skip_duplicates=bool(skip_duplicates),
                            process_noise=process_noise)
        self._core = _core.Tracker(
            motion,
            high_thresh=float(high_thresh),
            low_thresh=float(low_thresh),
            min_hits=int(min_hits),
            max_age_s=float(max_age_s),
            gate=float(gate),
            min_iou=float(min_iou),
            iou_weight=float(iou_weight),
            history_len=int(history_len),
            process_noise=None if process_noise is None else float(process_noise),
            meas_noise_px=float(meas_noise_px),
            meas_noise_rel=float(meas_noise_rel),
            init_vel_std=float(init_vel_std),
            init_acc_std=float(init_acc_std),
            gravity=gravity_f,
            size_smoothing=float(size_smoothing),
            skip_duplicates=bool(skip_duplicates),
        )

    def __repr__(self) -> str:
        return f"Tracker(motion={self.motion!r}, frames={self.frame_count}, tracks={len(self.tracks)})"

    def update(self, boxes: Any, scores: Any = None, t: float | None = None) -> np.ndarray:
        """Feed one frame of detections and return each box's track id.

        Parameters
        ----------
        boxes : (N, 4) array of float
            xyxy boxes in pixels (``N`` may be 0: a predict-only frame).
        scores : (N,) array of float in [0, 1], optional
            Detection confidences; ``None`` means all 1.0.
        t : float, optional
            Frame time in seconds, never decreasing. ``None`` uses the frame count.

        Returns
        -------
        ids : (N,) int64 array
            Track id of each box; ``-1`` when the box belongs to no confirmed track
            (tentative, weak and unmatched, or below ``low_thresh``).
        """
        b = _check_boxes(boxes)
        s = _check_scores(scores, b.shape[0])
        tf = _check_t(t, self._core.last_time)
        return self._core.update(b, s, tf)

    def predict(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """Predicted ``(ids, boxes)`` of all live tracks at time ``t`` without changing state.

        To advance the tracker itself through a frame without detections, call
        ``update(np.empty((0, 4)), t=t)``; :attr:`tracks` then holds the predictions.
        """
        tf = _check_t(t, None)
        if tf is None:
            raise TypeError("t: expected seconds as a number, got None")
        return self._core.predict(tf)

    @property
    def tracks(self) -> Tracks:
        """The live tracks (tentative, confirmed and lost) as a :class:`Tracks`."""
        return Tracks(**self._core.tracks())

    @property
    def removed_ids(self) -> np.ndarray:
        """Ids of the tracks removed by the last :meth:`update` (history still readable)."""
        return self._core.removed_ids()

    @property
    def frame_count(self) -> int:
        """Number of frames seen since construction or :meth:`reset`."""
        return int(self._core.frame_count)

    def history(self, track_id: int) -> np.ndarray:
        """Bounded history of a live (or just removed) track, oldest first.

        Returns a structured array of :data:`HISTORY_DTYPE`: ``frame`` (index of the
        update call), ``t``, the measured box ``x0, y0, x1, y1`` and the filtered centre
        ``cx, cy``. One row per frame in which the track was matched.

        Raises
        ------
        KeyError
            If no live or just-removed track has this id.
        """
        if isinstance(track_id, bool) or not isinstance(track_id, (int, np.integer)):
            raise TypeError(f"track_id: expected an int, got {type(track_id).__name__}")
        d = self._core.history(int(track_id))
        if d is None:
            raise KeyError(f"track_id: no live or just-removed track {int(track_id)}")
        out = np.empty(d["frame"].shape[0], HISTORY_DTYPE)
        for name in HISTORY_DTYPE.names:
            out[name] = d[name]
        return out

    def reset(self) -> None:
        """Forget all tracks, the frame count and the time; ids restart at 1."""
        self._core.reset()

    # --- optional supervision adapter -------------------------------------------------

    def update_detections(self, detections: Any, t: float | None = None) -> Any:
        """Track a ``supervision.Detections`` and return it with ``tracker_id`` set.

        Needs the optional ``supervision`` package. Boxes without a confirmed track get
        ``tracker_id == -1``.
        """
        boxes, scores = from_supervision(detections)
        ids = self.update(boxes, scores, t)
        detections.tracker_id = ids
        return detections


def from_supervision(detections: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """``(boxes, scores)`` from a ``supervision.Detections`` (scores may be None)."""
    boxes = np.asarray(detections.xyxy, dtype=np.float64).reshape(-1, 4)
    conf = getattr(detections, "confidence", None)
    scores = None if conf is None else np.clip(np.asarray(conf, dtype=np.float64), 0.0, 1.0)
    return boxes, scores


def to_supervision(boxes: Any, scores: Any = None, ids: Any = None) -> Any:
    """Build a ``supervision.Detections`` from boxes, optional scores and track ids."""
    try:
        import supervision as sv
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("to_supervision needs the optional 'supervision' package") from e
    b = _check_boxes(boxes)
    s = _check_scores(scores, b.shape[0])
    tid = None if ids is None else np.asarray(ids, dtype=np.int64).reshape(-1)
    return sv.Detections(xyxy=b, confidence=s, tracker_id=tid)
