"""Helmet wearing of two-wheeler riders in video: :class:`HelmetDetector`.

Pipeline per frame (see ``docs/helmet-video.md``)::

    frame ─► R, G, B planes strided to ~640 px wide (three small copies)
          ─► sigma-delta background per plane, OR ─► opening ─► closing ─► labelling     (Rust)
          ─► blob boxes (mapped back to full resolution) ─► Tracker        (Rust)
          ─► per track: is it a two-wheeler?  (aspect, size, speed in box heights/s)
          ─► heads: runs of the blob's top rows (one run per rider, a wide run split)
          ─► head crops of all riders ─► one HelmetClassifier call per frame
          ─► per rider: quality-weighted mean log-odds over the track
          ─► one event per rider when its track ends: ``rider`` (helmet) or
             ``helmet_violation`` (none)

The rider localisation is pluggable: ``HelmetDetector(localizer=f)`` with any callable
``f(frame, t)`` returning an ``(N, 4)`` xyxy array (or a ``supervision.Detections``)
replaces the motion stage; each box is then taken as one rider and its head is the top
``head_frac`` of the box.

Example
-------
>>> from anfang.synth import street
>>> clip = street(seed=1, size=(320, 180), fps=15, seconds=6, kind="riders", n_riders=2,
...               n_pedestrians=0, n_cars=0)
>>> det = HelmetDetector(camera_id="gate-1")
>>> events = det.run(zip(clip.frames, clip.t))
>>> {e.kind for e in events} <= {"rider", "helmet_violation"}
True
>>> all(e.track_id in det.head_crops for e in events)
True
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from anfang import motion
from anfang.config import ConfigMixin, check_number
from anfang.detector import Detector
from anfang.events import Event
from anfang.helmet.data import DEFAULT_MARGIN, expand_box
from anfang.helmet.rate import WearingRate
from anfang.tracking import Tracker

__all__ = ["HelmetDetector", "HelmetDetectorConfig"]

_LOGIT_CLIP = 6.0


def _median(values: list[float]) -> float:
    """Median of a short Python list (cheaper than ``np.median`` for a few dozen items)."""
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


@dataclass(frozen=True)
class HelmetDetectorConfig(ConfigMixin):
    """Settings of :class:`HelmetDetector` (validated; loadable from a dict or JSON).

    Parameters
    ----------
    camera_id : str
        Copied onto every event and used as the :attr:`HelmetDetector.rate` key.
    process_width : int
        Motion is computed on a strided view about this many pixels wide (stride =
        ``max(1, round(W / process_width))``); boxes are mapped back to full resolution.
    sd_vmin : int
        Minimum sigma-delta variance (grey levels): the noise floor of the foreground test.
    open_size, close_size : int
        Odd sizes of the opening (removes speckle) and closing (joins rider and vehicle
        parts) at processing resolution; 0 or 1 skips.
    min_area, max_area : float
        Blob area limits as fractions of the frame area.
    min_aspect, max_aspect : float
        Width / height of a two-wheeler blob with its riders (side view: about 0.8-1.3;
        pedestrians are about 0.25, cars about 2.4).
    min_speed : float
        Horizontal speed, in box heights per second, a two-wheeler must reach
        (pedestrians walk at about 0.4-1 heights/s, the synthetic riders ride at 1.5-4).
    min_frames : int
        Frames a track must look like a rider before it is reported.
    head_frac : float
        Height of the head zone as a fraction of the rider box (the top 1/5).
    head_zone : float
        Rows searched for heads, as a fraction of the box height from its top: deep
        enough to reach a pillion rider's head when one rider sits taller, shallow enough
        to stay above the shoulders.
    max_votes : int
        Classifier votes per rider; once reached the rider is no longer classified.
    max_crops_per_frame : int
        Head crops classified per frame (riders with the fewest votes first); bounds the
        per-frame cost when many riders are in view.
    threshold : float
        Decision threshold on the voted P(helmet).
    margin : float
        Head crop margin (see :func:`anfang.helmet.head_crop`).
    max_age_s : float
        A track unseen this long ends (and its riders are decided).
    ghost_size : int
        Background foreground is kept only within this odd window (processing pixels)
        of a frame-to-frame change (``diff_threshold`` grey levels): removes ghosts of
        objects present when the model started; 0 or 1 disables.
    diff_threshold : int
        Grey-level change that counts as motion for ``ghost_size``.
    stitch_s : float
        A new track that starts at most this long after a track ended, where the ended
        one would be by then (same height and ground line, position predicted from its
        speed), continues it, so a rider whose blob broke or merged for a moment is still
        counted once. Ended tracks are decided ``stitch_s + max_age_s`` after their last
        detection.
    height_tol : float
        Frames whose box height differs from the track's recent median by more than this
        fraction (a merge with another object, a broken blob) give no head count or vote.
    max_head_width : float
        A run of the blob's top rows wider than this fraction of the box height is not a
        head (nor two heads side by side); it is ignored.
    min_head_fraction : float
        Fraction of a track's frames that must show usable heads for it to be reported.
    min_votes : int
        Frames with usable heads a track needs before it is reported (fragments of a
        broken track rarely reach it).
    rate_window : float or str
        Window of :attr:`HelmetDetector.rate` (seconds or e.g. ``"15min"``).
    max_head_crops : int
        Evidence crops kept in :attr:`HelmetDetector.head_crops` (oldest dropped first).
    """

    camera_id: str = ""
    process_width: int = 640
    sd_vmin: int = 10
    open_size: int = 3
    close_size: int = 5
    min_area: float = 0.002
    max_area: float = 0.2
    min_aspect: float = 0.55
    max_aspect: float = 1.8
    min_speed: float = 1.2
    min_frames: int = 5
    head_frac: float = 0.2
    head_zone: float = 0.14
    max_votes: int = 16
    max_crops_per_frame: int = 4
    threshold: float = 0.5
    margin: float = DEFAULT_MARGIN
    max_age_s: float = 0.4
    height_tol: float = 0.15
    stitch_s: float = 0.8
    ghost_size: int = 0
    max_head_width: float = 0.55
    min_head_fraction: float = 0.0
    diff_threshold: int = 12
    min_votes: int = 3
    rate_window: Any = "15min"
    max_head_crops: int = 10000

    def __post_init__(self) -> None:
        if not isinstance(self.camera_id, str):
            raise TypeError(f"camera_id: expected str, got {type(self.camera_id).__name__}")
        ints = {"process_width": (16, None), "sd_vmin": (0, 255), "open_size": (0, 101),
                "close_size": (0, 101), "min_frames": (1, None), "max_votes": (1, None),
                "max_crops_per_frame": (1, None), "max_head_crops": (0, None),
                "min_votes": (0, None), "ghost_size": (0, 1001), "diff_threshold": (0, 255)}
        for name, (lo, hi) in ints.items():
            object.__setattr__(self, name, check_number(name, getattr(self, name), lo, hi, integer=True))
        for name in ("open_size", "close_size", "ghost_size"):
            v = getattr(self, name)
            if v > 1 and v % 2 == 0:
                raise ValueError(f"{name}: expected 0, 1 or an odd int, got {v}")
        reals = {"min_area": (0.0, 1.0), "max_area": (0.0, 1.0), "min_aspect": (0.0, None),
                 "max_aspect": (0.0, None), "min_speed": (0.0, None), "head_frac": (0.01, 1.0), "head_zone": (0.01, 1.0),
                 "threshold": (0.0, 1.0), "margin": (0.0, 2.0), "max_age_s": (0.0, None),
                 "height_tol": (0.0, None), "max_head_width": (0.0, None), "stitch_s": (0.0, None),
                 "min_head_fraction": (0.0, 1.0)}
        for name, (lo, hi) in reals.items():
            check_number(name, getattr(self, name), lo, hi)
        if self.max_area <= self.min_area:
            raise ValueError(f"max_area: expected > min_area ({self.min_area}), got {self.max_area}")
        if self.max_aspect <= self.min_aspect:
            raise ValueError(f"max_aspect: expected > min_aspect ({self.min_aspect}), got {self.max_aspect}")
        WearingRate(window=self.rate_window)  # validates the window


class _Rider:
    """Votes and evidence of one rider slot of a track (front rider = slot 0)."""

    __slots__ = ("logit_w", "w", "n", "best_q", "best_box", "best_frame", "best_t", "best_crop",
                 "best_rider_box", "traj")

    def __init__(self) -> None:
        self.logit_w = 0.0
        self.w = 0.0
        self.n = 0
        self.best_q = -1.0
        self.best_box: tuple | None = None
        self.best_frame = -1
        self.best_t = 0.0
        self.best_crop: np.ndarray | None = None
        self.best_rider_box: tuple | None = None
        self.traj: list[list[float]] = []


class _Track:
    __slots__ = ("tid", "t0", "t1", "f0", "f1", "x0", "xs", "ts", "hs", "rider_frames",
                 "count_hist", "slots", "last_box")

    def __init__(self, tid: int, t: float, f: int, cx: float) -> None:
        self.tid = tid
        self.t0 = self.t1 = t
        self.f0 = self.f1 = f
        self.x0 = cx
        self.xs: list[float] = []
        self.ts: list[float] = []
        self.hs: list[float] = []
        self.rider_frames = 0
        self.count_hist = [0, 0, 0]  # frames seen with 1 and 2 heads (index = count)
        self.slots: dict[int, list[_Rider]] = {1: [_Rider()], 2: [_Rider(), _Rider()]}
        self.last_box: tuple | None = None

    def speed_h(self, window: int = 12) -> float:
        """Recent horizontal speed in box heights per second (over the last ``window``
        frames, so that a track that began on a ghost or a merge is judged by what it
        does now); 0 until two frames."""
        k = max(0, len(self.ts) - window)
        if len(self.ts) - k < 2 or self.ts[-1] <= self.ts[k]:
            return 0.0
        v = abs(self.xs[-1] - self.xs[k]) / (self.ts[-1] - self.ts[k])
        return v / max(float(_median(self.hs[k:])), 1.0)


_DEFAULT_CLASSIFIER: Any = None


def _default_classifier() -> Any:
    global _DEFAULT_CLASSIFIER
    if _DEFAULT_CLASSIFIER is None:
        from anfang.helmet.classifier import HelmetClassifier

        _DEFAULT_CLASSIFIER = HelmetClassifier.default()
    return _DEFAULT_CLASSIFIER


def _localizer_boxes(out: Any) -> np.ndarray:
    if hasattr(out, "xyxy"):
        out = out.xyxy
    arr = np.asarray(out, dtype=np.float64) if not isinstance(out, np.ndarray) else out
    if arr.size == 0:
        return np.zeros((0, 4), np.float64)
    if arr.ndim != 2 or arr.shape[1] != 4 or arr.dtype.kind not in "iuf":
        raise ValueError(f"localizer: expected an (N, 4) xyxy array, got {arr.dtype} {tuple(arr.shape)}")
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all() or (arr[:, 2] < arr[:, 0]).any() or (arr[:, 3] < arr[:, 1]).any():
        raise ValueError("localizer: expected finite xyxy boxes with x1 >= x0 and y1 >= y0")
    return arr


class HelmetDetector(Detector):
    """Finds two-wheeler riders in video and decides, once per rider, whether they wear a helmet.

    Parameters
    ----------
    camera_id : str
        Camera name on the events (also accepted as a config key).
    localizer : callable, optional
        ``f(frame, t) -> (N, 4) xyxy array`` or an object with ``.xyxy`` (a
        ``supervision.Detections``): rider boxes in full-resolution pixels. Replaces the
        motion-based localisation; each box is one rider.
    classifier : object, optional
        Anything with ``predict_proba(crops) -> (N,) P(helmet)``; default
        :meth:`HelmetClassifier.default() <anfang.helmet.HelmetClassifier.default>`.
    config : HelmetDetectorConfig or mapping, optional
        Settings; keyword arguments override single fields.
    **kwargs
        Fields of :class:`HelmetDetectorConfig`.

    Attributes
    ----------
    head_crops : dict
        ``{rider track_id: uint8 (h, w, 3) RGB}`` the best head crop of each reported rider
        (evidence for reports; bounded by ``max_head_crops``).
    rate : WearingRate
        Every decided rider, per camera and ``rate_window``.

    Notes
    -----
    Events: exactly one per rider, emitted when the rider's track ends (or at
    :meth:`finish`): ``helmet_violation`` for a rider decided without a helmet, ``rider``
    otherwise (helmet, or ``helmet: None`` when no head crop could be classified). Both
    kinds carry the same details, so a ``helmet_violation`` is a rider with
    ``helmet: False`` (this is how :mod:`anfang.eval` and :class:`WearingRate` read it). ``track_id`` is a rider id unique within the detector run (a
    two-wheeler carrying two riders gives two ids); details: ``helmet`` (bool),
    ``p_helmet``, ``votes``, ``head_box``, ``head_frame``, ``vehicle_track_id``,
    ``rider_index`` (0 = front), ``n_riders`` and ``trajectory`` (``[frame, t, x, y]``
    rows of the rider's centre). ``confidence`` is that of the helmet decision,
    ``max(p, 1 - p)`` of the voted ``p_helmet``.
    """

    def __init__(
        self,
        camera_id: str | None = None,
        *,
        localizer: Callable[[np.ndarray, float], Any] | None = None,
        classifier: Any = None,
        config: HelmetDetectorConfig | Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if config is None:
            base: dict[str, Any] = {}
        elif isinstance(config, HelmetDetectorConfig):
            base = config.to_dict()
        elif isinstance(config, Mapping):
            base = dict(config)
        else:
            raise TypeError(f"config: expected HelmetDetectorConfig or a mapping, got {type(config).__name__}")
        base.update(kwargs)
        if camera_id is not None:
            base["camera_id"] = camera_id
        self.config = HelmetDetectorConfig.from_dict(base)
        if localizer is not None and not callable(localizer):
            raise TypeError(f"localizer: expected a callable f(frame, t) -> (N, 4) boxes, got {type(localizer).__name__}")
        if classifier is not None and not hasattr(classifier, "predict_proba"):
            raise TypeError(f"classifier: expected an object with predict_proba(crops), got {type(classifier).__name__}")
        super().__init__(self.config.camera_id)
        self.localizer = localizer
        self._classifier = classifier
        self.rate = WearingRate(window=self.config.rate_window)
        self.head_crops: OrderedDict[int, np.ndarray] = OrderedDict()
        self._init_state()

    # ------------------------------------------------------------------ state
    def _init_state(self) -> None:
        c = self.config
        self._bg: list[motion.SigmaDelta] = []
        self._tracker = Tracker("cv", min_hits=3, max_age_s=c.max_age_s, min_iou=0.2)
        self._tracks: dict[int, _Track] = {}
        self._pending: list[_Track] = []
        self._next_rider = 1
        self._shape: tuple[int, int] | None = None
        self._prev_small: np.ndarray | None = None

    def _reset(self) -> None:
        self.rate = WearingRate(window=self.config.rate_window)
        self.head_crops = OrderedDict()
        self._init_state()

    @property
    def classifier(self) -> Any:
        if self._classifier is None:
            self._classifier = _default_classifier()
        return self._classifier

    # ------------------------------------------------------------------ localisation
    def _motion_boxes(self, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray, list, np.ndarray]:
        """Blob boxes (full-res float), the same at processing resolution (int),
        ``(label, stride)`` per box, and the label image."""
        c = self.config
        H, W = frame.shape[:2]
        s = max(1, int(round(W / c.process_width)))
        if frame.ndim == 3:
            # one sigma-delta model per colour plane: a blue bike on a grey road has the
            # road's luma, but not its blue
            rows = np.ascontiguousarray(frame[::s]) if s > 1 else frame  # one pass over memory
            planes = [np.ascontiguousarray(rows[:, ::s, k]) for k in range(3)]
        else:
            planes = [np.ascontiguousarray(frame[::s, ::s])]
        if len(self._bg) != len(planes):
            self._bg = [motion.SigmaDelta(amplification=2, vmin=c.sd_vmin) for _ in planes]
        fg = self._bg[0].apply(planes[0])
        for bg, pl in zip(self._bg[1:], planes[1:]):
            fg |= bg.apply(pl)
        small = planes[1] if len(planes) == 3 else planes[0]
        prev, self._prev_small = self._prev_small, small
        if c.ghost_size > 1 and prev is not None and prev.shape == small.shape:
            # keep background-model foreground only near pixels that changed since the
            # previous frame: a ghost (where an object stood when the model started) or a
            # slowly absorbed static object does not change, a moving rider does
            fg &= motion.dilate(motion.diff_mask(prev, small, c.diff_threshold), c.ghost_size)
        if c.open_size > 1:
            fg = motion.opening(fg, c.open_size)
        if c.close_size > 1:
            fg = motion.closing(fg, c.close_size)
        labels, blobs = motion.label(fg)
        h, w = small.shape
        area = blobs.area
        keep = (area >= c.min_area * h * w) & (area <= c.max_area * h * w)
        idx = np.flatnonzero(keep)
        bb = blobs.bbox[idx]
        full = bb.astype(np.float64) * s
        full[:, 2] = np.minimum(full[:, 2], W)
        full[:, 3] = np.minimum(full[:, 3], H)
        return full, bb, [(int(i) + 1, s) for i in idx], labels

    def _heads(self, labels: np.ndarray, lab: int, box: np.ndarray, s: int, W: int, H: int) -> list:
        """Head boxes (full-res xyxy) of a rider blob from the runs of its top rows."""
        c = self.config
        x0, y0, x1, y1 = (int(v) for v in box)
        bh = y1 - y0
        zone = max(2, int(math.ceil(c.head_zone * bh)))
        sub = labels[y0:y0 + zone, x0:x1] == lab
        cols = sub.any(axis=0)
        if not cols.any():
            return []
        d = np.diff(np.concatenate(([0], cols.view(np.int8), [0])))
        starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
        min_w = max(2, 0.06 * bh)
        # a run wider than two heads side by side is not heads (a merge with something)
        runs = [(a, b) for a, b in zip(starts, ends) if min_w <= b - a <= c.max_head_width * bh]
        head_h = c.head_frac * bh
        out = []
        for a, b in runs:
            if (b - a) > 1.45 * head_h:
                # two heads side by side: cut at the valley of the top profile (the
                # column whose first blob row is lowest) in the middle 40 % of the run,
                # the centre when the profile is flat there
                tops = np.argmax(sub[:, a:b], axis=0)
                lo, hi = int(math.floor(0.3 * (b - a))), int(math.ceil(0.7 * (b - a)))
                mid = 0.5 * (b - a)
                win = tops[lo:hi + 1]
                if win.size and int(win.max()) > int(win.min()):
                    cand = lo + np.flatnonzero(win == win.max())
                    cut = float(a + cand[np.argmin(np.abs(cand + 0.5 - mid))] + 0.5)
                else:
                    cut = a + mid
                parts = [(float(a), cut), (cut, float(b))]
            else:
                parts = [(float(a), float(b))]
            for ra, rb in parts:
                rows = sub[:, int(ra):max(int(ra) + 1, int(math.ceil(rb)))].any(axis=1)
                top = int(np.argmax(rows))
                hx0, hx1 = (x0 + ra) * s, (x0 + rb) * s
                hy0 = (y0 + top) * s
                hy1 = hy0 + head_h * s
                out.append((max(0.0, hx0), max(0.0, hy0), min(float(W), hx1), min(float(H), hy1)))
        return out[:2]

    # ------------------------------------------------------------------ per frame
    def _update(self, frame: np.ndarray, t: float) -> list[Event]:
        c = self.config
        H, W = frame.shape[:2]
        if self._shape is None:
            self._shape = (H, W)
        elif self._shape != (H, W):
            raise ValueError(f"frame: expected the shape of the previous frames {self._shape}, got {(H, W)}; "
                             "call reset() between videos")
        fi = self.frame_index
        if self.localizer is not None:
            boxes = _localizer_boxes(self.localizer(frame, t))
            ids = self._tracker.update(boxes, t=t)
            heads_of = [None] * len(boxes)
        else:
            boxes, small_boxes, labs, labels = self._motion_boxes(frame)
            ids = self._tracker.update(boxes, t=t)
            heads_of = list(zip(small_boxes, labs))
        pending = []  # (rider slot, head box, rider box, crop quality, track)
        for j in np.flatnonzero(ids >= 0):
            tid = int(ids[j])
            b = boxes[j]
            bw, bh = float(b[2] - b[0]), float(b[3] - b[1])
            if bh <= 0 or bw <= 0:
                continue
            cx = 0.5 * float(b[0] + b[2])
            tr = self._tracks.get(tid)
            if tr is None:
                t_first, f_first = t, fi
                try:  # the track began before it was confirmed
                    h0 = self._tracker.history(tid)[0]
                    t_first, f_first = float(h0["t"]), int(h0["frame"])
                except (KeyError, IndexError):
                    pass
                tr = self._stitch(b, t, t_first)
                if tr is None:
                    tr = _Track(tid, t, fi, cx)
                    tr.t0, tr.f0 = t_first, f_first
                self._tracks[tid] = tr
            tr.t1 = t
            tr.f1 = fi
            tr.xs.append(cx)
            tr.ts.append(t)
            tr.hs.append(bh)
            if len(tr.ts) > 128:  # only the recent past is used; keep memory bounded
                del tr.xs[:64], tr.ts[:64], tr.hs[:64]
            tr.last_box = tuple(float(v) for v in b)
            if self.localizer is None:
                aspect = bw / bh
                if not (c.min_aspect <= aspect <= c.max_aspect):
                    continue
                if len(tr.ts) >= 3 and tr.speed_h() < c.min_speed:
                    continue
            tr.rider_frames += 1
            at_edge = b[0] <= 2 or b[2] >= W - 2 or b[1] <= 1
            if at_edge:
                continue
            if len(tr.hs) >= 3:
                # a box much taller or shorter than usual: merged with another object or
                # broken up; no head count or vote from it
                med = float(_median(tr.hs[-25:]))
                if abs(bh - med) > c.height_tol * med:
                    continue
            if heads_of[j] is None:
                hh = c.head_frac * bh
                hw = min(bw, 1.1 * hh)
                hx = cx - 0.5 * hw
                heads = [(hx, float(b[1]), hx + hw, float(b[1]) + hh)]
            else:
                sb, (lab, s) = heads_of[j]
                heads = self._heads(labels, lab, sb, s, W, H)
            n = len(heads)
            if n == 0:
                continue
            tr.count_hist[n] += 1
            direction = 1.0 if (tr.xs[-1] - tr.x0) >= 0 else -1.0
            heads.sort(key=lambda hb: -direction * (hb[0] + hb[2]))  # front rider first
            for k, hb in enumerate(heads):
                slot = tr.slots[n][k]
                hcx = 0.5 * (hb[0] + hb[2])
                rb = (hb[0], hb[1], hb[2], hb[1] + 0.8 * bh)
                slot.traj.append([fi, t, round(hcx, 2), round(0.5 * (rb[1] + rb[3]), 2)])
                if slot.n >= c.max_votes:
                    continue
                q = min(1.0, (hb[3] - hb[1]) / 24.0) * min(1.0, (hb[2] - hb[0]) / max(hb[3] - hb[1], 1e-6))
                pending.append((slot, hb, rb, q, tr))
        if pending:
            pending.sort(key=lambda p: p[0].n)
            pending = pending[: c.max_crops_per_frame]
            crops = []
            for slot, hb, rb, q, tr in pending:
                x0, y0, x1, y1 = expand_box(hb, c.margin, W, H)
                crop = frame[y0:y1, x0:x1]
                if crop.ndim == 2:
                    crop = np.repeat(crop[..., None], 3, axis=2)
                crops.append(np.ascontiguousarray(crop))
            p = np.asarray(self.classifier.predict_proba(crops), dtype=np.float64).reshape(-1)
            if p.shape[0] != len(crops):
                raise ValueError(f"classifier: predict_proba returned {p.shape[0]} values for {len(crops)} crops")
            pc = np.clip(p, 1e-6, 1 - 1e-6)
            logits = np.clip(np.log(pc / (1 - pc)), -_LOGIT_CLIP, _LOGIT_CLIP)
            for (slot, hb, rb, q, tr), lg, crop in zip(pending, logits, crops):
                w = max(q, 0.05)
                slot.logit_w += w * float(lg)
                slot.w += w
                slot.n += 1
                if q >= slot.best_q:
                    slot.best_q, slot.best_box, slot.best_frame, slot.best_t = q, hb, fi, t
                    slot.best_crop, slot.best_rider_box = crop, rb
        for tid in self._tracker.removed_ids.tolist():
            tr = self._tracks.pop(int(tid), None)
            if tr is not None:
                self._pending.append(tr)
        events: list[Event] = []
        keep = []
        for tr in self._pending:
            # held for the stitch gap plus the time a new track needs to be confirmed
            if t - tr.t1 > c.stitch_s + c.max_age_s:
                events.extend(self._decide(tr))
            else:
                keep.append(tr)
        self._pending = keep
        return events

    def _stitch(self, box: np.ndarray, t: float, t_first: float) -> _Track | None:
        """A recently ended track that the new track (first seen at ``t_first``, now at
        ``box``) continues: same height and ground line, x where its speed predicts."""
        best, best_d = None, math.inf
        bh = float(box[3] - box[1])
        cx = 0.5 * float(box[0] + box[2])
        for tr in self._pending:
            dt = t - tr.t1
            if t_first - tr.t1 > self.config.stitch_s or tr.last_box is None or len(tr.ts) < 2:
                continue
            med = float(_median(tr.hs[-25:]))
            if abs(bh - med) > 0.35 * med or abs(float(box[3]) - tr.last_box[3]) > 0.25 * med:
                continue
            span = tr.ts[-1] - tr.ts[0]
            v = (tr.xs[-1] - tr.xs[0]) / span if span > 0 else 0.0
            d = abs(cx - (tr.xs[-1] + v * dt))
            if d <= 0.6 * med + 0.25 * abs(v) * dt and d < best_d:
                best, best_d = tr, d
        if best is not None:
            self._pending.remove(best)
        return best

    def _finish(self) -> list[Event]:
        events: list[Event] = []
        live = [self._tracks[tid] for tid in sorted(self._tracks)]
        seen = set()
        for tr in self._pending + live:
            if id(tr) not in seen:  # a stitched track is live under two tracker ids
                seen.add(id(tr))
                events.extend(self._decide(tr))
        self._tracks.clear()
        self._pending = []
        return events

    # ------------------------------------------------------------------ decisions
    def _is_rider(self, tr: _Track) -> bool:
        c = self.config
        if tr.rider_frames < c.min_frames:
            return False
        if sum(tr.count_hist) < max(c.min_votes, c.min_head_fraction * len(tr.ts)):
            return False
        return True

    def _decide(self, tr: _Track) -> list[Event]:
        if not self._is_rider(tr):
            return []
        c = self.config
        n = 2 if tr.count_hist[2] > tr.count_hist[1] else 1
        out: list[Event] = []
        for k, slot in enumerate(tr.slots[n]):
            rid = self._next_rider
            self._next_rider += 1
            if slot.w > 0:
                p = 1.0 / (1.0 + math.exp(-slot.logit_w / slot.w))
                helmet: bool | None = p >= c.threshold
                conf = max(p, 1.0 - p)
            else:
                p, helmet, conf = None, None, 0.0
            bbox = slot.best_rider_box or tr.last_box
            details = {
                "helmet": helmet,
                "p_helmet": None if p is None else round(p, 4),
                "votes": slot.n,
                "head_box": None if slot.best_box is None else [round(v, 1) for v in slot.best_box],
                "head_frame": slot.best_frame if slot.best_box is not None else None,
                "vehicle_track_id": tr.tid,
                "rider_index": k,
                "n_riders": n,
                "trajectory": slot.traj,
            }
            kw = dict(t_start=tr.t0, t_end=tr.t1, frame_start=tr.f0, frame_end=tr.f1,
                      camera_id=self.camera_id, bbox=bbox, track_id=rid, confidence=conf)
            kind = "helmet_violation" if helmet is False else "rider"
            ev = Event(kind=kind, details=details, **kw)
            out.append(ev)
            if helmet is not None:
                self.rate.add_event(ev)
            if slot.best_crop is not None and c.max_head_crops > 0:
                self.head_crops[rid] = slot.best_crop
                while len(self.head_crops) > c.max_head_crops:
                    self.head_crops.popitem(last=False)
        return out
