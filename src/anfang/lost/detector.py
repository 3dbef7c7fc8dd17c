"""The lost-package detector: drop, dwell, alarm, then pickup or removal.

Pipeline per frame (per-pixel work in :mod:`anfang.motion`, Rust):

1. the grey frame, sampled with stride ``scale``, feeds a :class:`anfang.motion.DualBackground`
   (long-term + short-term sigma-delta and a static-evidence counter);
2. the moving mask is cleaned (opening, closing), labelled, and its blobs feed an
   :class:`anfang.tracking.Tracker`; the boxes and ids of every frame go into a bounded
   history (small arrays, one entry per frame);
3. the static mask (inside the watch zones) is closed with ``merge_px`` so the fragments of
   one object join, then labelled: each blob is a static *candidate* or evidence for an
   object already known. Candidates are held in the long-term model (never absorbed);
4. a candidate static for ``dwell_s`` seconds (since it landed) is classified: size and
   aspect, size relative to the tracks of the scene, ghost test (edges along the outline in
   the current frame versus the remembered background), stopped-track test (the static
   region is a track's own box after it travelled: a standing person, a stopped vehicle).
   A package raises ``package_dropped`` once, with its dropper (the track near the spot when
   it landed) and whether the dropper stayed near (attended);
5. each confirmed package is compared, on its small patch, to its remembered appearance and
   to the remembered background. When its region shows the background again, the track that
   touched it last is the picker: ``package_picked_up`` is emitted when the picker leaves or
   is lost (or at :meth:`finish`), with the picker's path and exit point; with no track
   around it is ``package_removed``.
"""

from __future__ import annotations

import math
import os
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from anfang.detector import Detector
from anfang.events import ONVIF_TOPICS, Event
from anfang.frames import to_gray
from anfang.lost.config import LostConfig
from anfang.lost.geometry import (
    box_area,
    box_cover,
    box_gap,
    box_inter,
    box_iou,
    boundary_edges,
    patch_mad,
)
from anfang.lost.zones import Zones

__all__ = ["LostPackageDetector"]

_EMPTY_BOXES = np.zeros((0, 4), np.float64)
_EMPTY_IDS = np.zeros(0, np.int64)


def _odd(n: float) -> int:
    k = max(1, int(round(n)))
    return k if k % 2 == 1 else k + 1


def _blob_arrays(res: Any) -> tuple[np.ndarray, np.ndarray]:
    """(area (N,), bbox (N, 4) float xyxy) from whatever ``motion.label`` returned."""
    blobs = res[1]
    if hasattr(blobs, "area"):
        area, bbox = blobs.area, blobs.bbox
    else:
        area, bbox = blobs[0], blobs[1]
    return np.asarray(area, np.float64).reshape(-1), np.asarray(bbox, np.float64).reshape(-1, 4)


def _came_down(tb: np.ndarray, k: int, h: float, frames: int = 15) -> bool:
    """True when the boxes ``tb`` arriving at row ``k`` came down onto their resting line
    from above, by at least half the object height ``h``, in the last ``frames`` rows: a
    parcel riding on a vehicle and then dropped, not a walker or a vehicle (whose bottom edge
    stays on the ground as it arrives)."""
    if k <= 0 or k > len(tb) or h <= 0:
        return False
    rest = float(np.median(tb[k - 1 :, 3]))
    before = tb[max(0, k - frames) : k, 3]
    return bool(len(before)) and float((rest - before).max()) >= 0.5 * h


@dataclass
class _Obj:
    """One static object the detector knows about (a handful at a time)."""

    oid: int
    box: np.ndarray  # internal coords, float xyxy
    area: float  # static pixels (internal)
    first_t: float
    first_frame: int
    last_seen_t: float
    t_land: float
    frame_land: int
    hold: tuple[int, int, int, int]  # integer xyxy region held in the long-term model
    bg_patch: np.ndarray  # long-term background over `hold` when first seen
    state: str = "candidate"  # candidate | confirmed | rejected | gone
    reason: str = ""
    t_alarm: float = math.nan
    frame_alarm: int = -1
    obj_patch: np.ndarray | None = None
    dropper_id: int | None = None
    bg_since: float | None = None  # first time the region looked like the background again
    present_t: float = math.nan  # last time the region looked like the object
    ring: np.ndarray | None = None  # hold region minus the object box (patch coords)
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Pickup:
    obj: _Obj
    picker_id: int
    t_gone: float
    frame_gone: int
    last_t: float
    last_frame: int
    last_box: np.ndarray
    t_touch: float  # last time the picker touched the object
    follow_id: int = -1  # the track followed now (the picker's, or one that continued it)
    ref_wh: tuple = (0.0, 0.0)  # the picker's typical box width and height (internal px)
    ref_bottom: float = math.nan  # where its feet are (bottom edge of its box)
    seen_ids: set = field(default_factory=set)
    path: list = field(default_factory=list)  # (frame, t, box) internal coords

    def __post_init__(self) -> None:
        if self.follow_id < 0:
            self.follow_id = self.picker_id
        self.seen_ids.add(self.picker_id)


class LostPackageDetector(Detector):
    """Detect packages left behind, their dropper, and who picks them up.

    Parameters
    ----------
    zones : Zones, path, mapping or None
        Watch/ignore polygons (:class:`anfang.lost.Zones`); a path is read with
        :meth:`Zones.load`.
    camera_id : str
        Copied into every event.
    config : LostConfig or path, optional
        Full configuration; keyword arguments override its fields.
    **overrides
        Any :class:`LostConfig` field, e.g. ``dwell_s=10``.

    Examples
    --------
    A bright box is put down on a plain grey scene and left there; with a 2 s dwell the drop
    is reported once, with the time it landed and the time of the alarm:

    >>> import numpy as np
    >>> det = LostPackageDetector(dwell_s=2.0, min_object_px=50)
    >>> events = []
    >>> for i in range(150):
    ...     f = np.full((120, 160), 90, np.uint8)
    ...     if i >= 20:
    ...         f[50:70, 60:84] = 200
    ...     events += det.update(f, i / 25)
    >>> events += det.finish()
    >>> [(e.kind, e.bbox) for e in events]
    [('package_dropped', (60.0, 50.0, 84.0, 70.0))]
    >>> ev = events[0]
    >>> ev["topic"], ev.t_start < ev["t_alarm"]
    ('tns1:RuleEngine/ObjectAbandoned', True)
    """

    def __init__(
        self,
        zones: Zones | str | os.PathLike | dict | None = None,
        camera_id: str = "",
        config: LostConfig | str | os.PathLike | None = None,
        **overrides: Any,
    ) -> None:
        super().__init__(camera_id=camera_id)
        if config is None:
            cfg = LostConfig()
        elif isinstance(config, LostConfig):
            cfg = config
        elif isinstance(config, (str, os.PathLike)):
            cfg = LostConfig.load(config)
        else:
            raise TypeError(f"config: expected a LostConfig, a path or None, got {type(config).__name__}")
        self.config = cfg.replace(**overrides) if overrides else cfg
        if zones is None:
            zones = Zones()
        elif isinstance(zones, (str, os.PathLike)):
            zones = Zones.load(zones)
        elif isinstance(zones, dict):
            zones = Zones.from_dict(zones)
        elif not isinstance(zones, Zones):
            raise TypeError(f"zones: expected a Zones, a path, a mapping or None, got {type(zones).__name__}")
        self.zones = zones
        self._reset()

    # -- state ----------------------------------------------------------------------
    def _reset(self) -> None:
        self._bg = None
        self._tracker = None
        self._scale = 0
        self._shape: tuple[int, int] | None = None  # internal (h, w)
        self._full: tuple[int, int] | None = None  # input (H, W)
        self._hist: deque = deque()  # (frame, t, ids (K,), boxes (K, 4)) internal coords
        self._objs: list[_Obj] = []
        self._pickups: list[_Pickup] = []
        self._next_oid = 1
        self._ghost_zones: list[tuple[np.ndarray, float]] = []  # (box, remember until t)
        self._t0: float | None = None
        self._warm_ids: set[int] = set()
        self._warm: list[tuple[int, np.ndarray, float]] = []  # (track id, first box, until)
        self._last_static_t = -math.inf
        self._static_mask: np.ndarray | None = None
        self._small: np.ndarray | None = None

    def _setup(self, full_hw: tuple[int, int]) -> None:
        from anfang import motion
        from anfang.tracking import Tracker

        c = self.config
        H, W = full_hw
        s = c.scale or max(1, math.ceil(W / c.max_width))
        self._scale = s
        self._full = (H, W)
        self._shape = ((H + s - 1) // s, (W + s - 1) // s)
        self._bg = motion.DualBackground(
            long_period=c.long_update_period,
            short_period=c.short_update_period,
            static_frames=c.static_frames,
            vmin=c.vmin,
        )
        self._tracker = Tracker(motion=c.track_motion)
        a = s * s
        self._min_area = c.min_object_px / a
        self._max_area = c.max_object_px / a
        self._moving_min = c.moving_min_px / a
        self._open = _odd(c.moving_open_px / s) if c.moving_open_px > 1 else 0
        self._close = _odd(c.moving_close_px / s) if c.moving_close_px > 1 else 0
        self._merge = _odd(c.merge_px / s) if c.merge_px > 1 else 0
        self._sopen = _odd(c.static_open_px / s) if c.static_open_px > 1 else 0
        self._zone = self.zones.mask(self._shape, s)
        self._motion = motion

    # -- helpers --------------------------------------------------------------------
    def _to_full(self, box: np.ndarray) -> tuple[float, float, float, float]:
        s = self._scale
        H, W = self._full
        b = np.asarray(box, np.float64) * s
        b[[0, 2]] = np.clip(b[[0, 2]], 0, W)
        b[[1, 3]] = np.clip(b[[1, 3]], 0, H)
        return tuple(float(v) for v in b)

    def _label(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _blob_arrays(self._motion.label(mask, 8))

    def _region(self, box: np.ndarray, margin: float) -> tuple[int, int, int, int]:
        h, w = self._shape
        x0 = max(0, int(math.floor(box[0] - margin)))
        y0 = max(0, int(math.floor(box[1] - margin)))
        x1 = min(w, int(math.ceil(box[2] + margin)))
        y1 = min(h, int(math.ceil(box[3] + margin)))
        return x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)

    def _set_hold(self, region: tuple[int, int, int, int], on: bool) -> None:
        m = np.zeros(self._shape, bool)
        x0, y0, x1, y1 = region
        m[y0:y1, x0:x1] = True
        (self._bg.hold if on else self._bg.release)(m)

    def _track_arrays(self, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Concatenated (frame, t, id, box) of confirmed tracks with t0 <= t <= t1."""
        fr, ts, ids, bx = [], [], [], []
        for f, t, i, b in self._hist:
            if t0 <= t <= t1 and len(i):
                keep = i >= 0
                if keep.any():
                    n = int(keep.sum())
                    fr.append(np.full(n, f, np.int64))
                    ts.append(np.full(n, t))
                    ids.append(i[keep])
                    bx.append(b[keep])
        if not ids:
            return _EMPTY_IDS, np.zeros(0), _EMPTY_IDS, _EMPTY_BOXES
        return np.concatenate(fr), np.concatenate(ts), np.concatenate(ids), np.concatenate(bx)

    def _trajectory(
        self, tid: int, t0: float, t1: float, exclude: np.ndarray | None = None
    ) -> list[list[float]]:
        """``[[frame, t, x, y], ...]`` centre path of track ``tid`` (and the tracks stitched to it)
        in full-resolution pixels; tracks that are the object ``exclude`` itself are left out."""
        fr, ts, ids, bx = self._track_arrays(t0, t1)
        if exclude is not None and len(ids):
            keep = self._not_object(exclude, bx)
            fr, ts, ids, bx = fr[keep], ts[keep], ids[keep], bx[keep]
        g = self._groups(ts, ids, bx)
        sel = ids == tid
        if sel.any():
            sel = g == g[np.flatnonzero(sel)[0]]
        if not sel.any():
            return []
        b = bx[sel] * self._scale
        cx = (b[:, 0] + b[:, 2]) / 2
        cy = (b[:, 1] + b[:, 3]) / 2
        pts = np.stack([fr[sel], ts[sel], cx, cy], axis=1)
        if len(pts) > 300:  # keep events small: at most ~300 points
            pts = pts[np.linspace(0, len(pts) - 1, 300).round().astype(int)]
        rows = np.round(pts, 3).tolist()
        for r in rows:
            r[0] = int(r[0])
        return rows

    def _groups(self, ts: np.ndarray, ids: np.ndarray, bx: np.ndarray) -> np.ndarray:
        """Stitch tracks that continue one another: a track that starts, near where another
        ended, within ``lost_track_s`` of its end (an id switch when blobs split or merge).
        Returns, per row, the id of the first track of its chain."""
        if not len(ids):
            return ids
        uniq = np.unique(ids)
        first_t = np.array([ts[ids == u].min() for u in uniq])
        last_t = np.array([ts[ids == u].max() for u in uniq])
        first_b = np.stack([bx[ids == u][0] for u in uniq])
        last_b = np.stack([bx[ids == u][-1] for u in uniq])
        root = {int(u): int(u) for u in uniq}
        taken: set[int] = set()
        for i in np.argsort(last_t):  # each track's end may continue into one later track
            size = max(last_b[i, 2] - last_b[i, 0], last_b[i, 3] - last_b[i, 1])
            dt = first_t - last_t[i]
            ok = (dt > -0.3) & (dt <= self.config.lost_track_s) & (first_t > first_t[i])
            ok &= box_gap(last_b[i], first_b) <= 0.5 * size
            for j in np.flatnonzero(ok)[np.argsort(first_t[ok])]:
                if int(uniq[j]) not in taken:
                    taken.add(int(uniq[j]))
                    root[int(uniq[j])] = root[int(uniq[i])]
                    break
        return np.array([root[int(v)] for v in ids], np.int64)

    @staticmethod
    def _not_object(box: np.ndarray, bx: np.ndarray) -> np.ndarray:
        """Rows of ``bx`` that are not the object ``box`` itself (its own blob, or the hole
        it leaves): a track box that mostly is the object says nothing about people."""
        if not len(bx):
            return np.zeros(0, bool)
        iou = box_iou(bx, box[None, :])[:, 0]
        inside = box_inter(bx, box[None, :])[:, 0] >= 0.8 * np.maximum(box_area(bx), 1e-9)
        return (iou < 0.3) & ~inside

    def _self_tracks(self, box: np.ndarray, ids: np.ndarray, bx: np.ndarray) -> set[int]:
        """Ids of tracks that are the object itself (born on it, never left it)."""
        if not len(ids):
            return set()
        out = set()
        iou = box_iou(bx, box[None, :])[:, 0]
        bh = max(box[3] - box[1], 1e-9)
        for tid in np.unique(ids):
            sel = ids == tid
            # Mostly on it, and not much taller: a person standing over it (their legs and
            # the object in one blob) is taller than what they stand at.
            if np.median(iou[sel]) >= 0.3 and np.median(bx[sel, 3] - bx[sel, 1]) <= 1.5 * bh:
                out.add(int(tid))
        return out

    # -- per frame ------------------------------------------------------------------
    def _update(self, frame: np.ndarray, t: float) -> list[Event]:
        gray = to_gray(frame)
        if self._bg is None:
            self._setup(gray.shape)
        elif gray.shape != self._full:
            raise ValueError(f"frame: expected shape {self._full} like the first frame, got {gray.shape}")
        s = self._scale
        small = np.ascontiguousarray(gray[::s, ::s]) if s > 1 else gray
        self._small = small
        mo = self._motion
        moving, static = self._bg.apply(small)

        # Moving blobs -> tracker.
        if self._open:
            moving = mo.opening(moving, self._open)
        if self._close:
            moving = mo.closing(moving, self._close)
        area, boxes = self._label(moving)
        keep = area >= self._moving_min
        boxes = boxes[keep]
        ids = np.asarray(self._tracker.update(boxes, t=t), np.int64).reshape(-1)
        fi = self.frame_index
        if self._t0 is None:
            self._t0 = t
        if t - self._t0 <= self.config.warmup_s and len(ids):
            # Whatever moves off in the first seconds was in the first frame, from which the
            # long-term model started: the place it leaves is a ghost (its first box).
            for k in np.flatnonzero((ids >= 0) & ~np.isin(ids, list(self._warm_ids))):
                self._warm_ids.add(int(ids[k]))
                self._warm.append((int(ids[k]), boxes[k].copy(), t + self.config.ghost_memory_s))
        self._hist.append((fi, t, ids, boxes))
        horizon = t - self.config.history_s
        while self._hist and self._hist[0][1] < horizon:
            self._hist.popleft()

        events: list[Event] = []
        if t - self._last_static_t >= self.config.static_period_s:
            self._last_static_t = t
            self._static_step(static, t)
        events += self._confirm_step(t)
        events += self._watch_step(t, ids, boxes)
        events += self._follow_step(t, ids, boxes)
        return events

    # -- static objects ---------------------------------------------------------------
    def _static_step(self, static: np.ndarray, t: float) -> None:
        if self._zone is not None:
            static = static & self._zone
        if self._sopen > 1:
            static = self._motion.opening(static, self._sopen)
        if self._merge:
            static = self._motion.closing(static, self._merge)
        self._static_mask = static
        area, boxes = self._label(static)
        keep = area >= 0.5 * self._min_area
        area, boxes = area[keep], boxes[keep]
        objs = [o for o in self._objs if o.state != "gone"]
        claimed = np.zeros(len(boxes), bool)
        if len(boxes) and objs:
            ob = np.stack([o.box for o in objs])
            inter = box_inter(boxes, ob)
            ab, ao = box_area(boxes), box_area(ob)
            iou = inter / np.maximum(ab[:, None] + ao[None, :] - inter, 1e-9)
            # A blob belongs to an object when they overlap enough, or when one lies
            # (mostly) inside the other.
            match = (
                (iou >= self.config.match_iou)
                | (inter >= 0.6 * ab[:, None])
                | (inter >= 0.6 * ao[None, :])
            )
            for j, o in enumerate(objs):
                sel = match[:, j] & ~claimed
                if not sel.any():
                    continue
                claimed |= sel
                o.last_seen_t = t
                if o.state == "candidate":
                    nb = np.array(
                        [boxes[sel, 0].min(), boxes[sel, 1].min(), boxes[sel, 2].max(), boxes[sel, 3].max()]
                    )
                    na = float(area[sel].sum())
                    if na < 0.5 * o.area and box_iou(nb[None], o.box[None])[0, 0] < 0.5:
                        # Most of it left (a vehicle drove off, leaving something behind):
                        # what stays is a new object that landed when the rest was there.
                        o.first_t, o.first_frame = t, self.frame_index
                    o.box, o.area = nb, na
                    self._grow_hold(o)
        for k in np.flatnonzero(~claimed):
            if area[k] > self._max_area * 4:
                continue  # e.g. a global illumination change: not an object
            self._new_candidate(boxes[k], float(area[k]), t)
        # Forget candidates and rejected objects that are no longer static.
        grace = self.config.candidate_grace_s
        alive = []
        for o in self._objs:
            if o.state in ("candidate", "rejected") and t - o.last_seen_t > grace:
                if o.state == "candidate":
                    self._set_hold(o.hold, False)
                continue
            if o.state == "gone" and t - o.last_seen_t > grace:
                continue
            alive.append(o)
        self._objs = alive

    def _grow_hold(self, o: _Obj) -> None:
        reg = self._region(o.box, 2)
        x0, y0, x1, y1 = o.hold
        if reg[0] >= x0 and reg[1] >= y0 and reg[2] <= x1 and reg[3] <= y1:
            return
        new = (min(x0, reg[0]), min(y0, reg[1]), max(x1, reg[2]), max(y1, reg[3]))
        bg = self._bg.background
        patch = bg[new[1] : new[3], new[0] : new[2]].copy()
        # Keep what was remembered for the old part (the model there is frozen anyway).
        patch[y0 - new[1] : y1 - new[1], x0 - new[0] : x1 - new[0]] = o.bg_patch
        o.hold, o.bg_patch = new, patch
        self._set_hold(new, True)

    def _new_candidate(self, box: np.ndarray, area: float, t: float) -> None:
        reg = self._region(box, 2)
        bg = self._bg.background
        t_land, f_land = self._landing(box, t)
        o = _Obj(
            oid=self._next_oid,
            box=box.astype(np.float64),
            area=area,
            first_t=t,
            first_frame=self.frame_index,
            last_seen_t=t,
            t_land=t_land,
            frame_land=f_land,
            hold=reg,
            bg_patch=bg[reg[1] : reg[3], reg[0] : reg[2]].copy(),
        )
        self._next_oid += 1
        self._objs.append(o)
        self._set_hold(reg, True)

    def _landing(self, box: np.ndarray, t: float) -> tuple[float, int]:
        """When the object arrived: the start of the run of frames, just before its static
        evidence began, in which moving blobs covered it (looked back at most 20 s)."""
        # Between the end of the moving evidence and the first static candidate: the static
        # counter, plus the cleaning, labelling and the static step period.
        c = self.config
        gap_allow = c.static_frames * max(1, c.short_update_period) + 15
        hist = [h for h in self._hist if h[1] >= t - 20.0]
        if not hist:
            return t, self.frame_index
        n = np.array([len(h[3]) for h in hist])
        cov = np.zeros(len(hist), bool)
        if n.sum():
            allb = np.concatenate([h[3] for h in hist if len(h[3])])
            ok = box_cover(box, allb) >= 0.5
            row = np.repeat(np.arange(len(hist)), n)
            cov[np.unique(row[ok])] = True
        idx = np.flatnonzero(cov)
        if not len(idx):
            return t, self.frame_index
        # Newest covered frame, if recent enough; then back while the gaps stay short.
        last = idx[-1]
        if len(hist) - 1 - last > gap_allow + max(0.0, c.static_period_s) * 30:
            return t, self.frame_index
        k = len(idx) - 1
        while k > 0 and idx[k] - idx[k - 1] <= 4:
            k -= 1
        f0, t0 = hist[idx[k]][0], hist[idx[k]][1]
        return float(t0), int(f0)

    # -- confirmation -----------------------------------------------------------------
    def _confirm_step(self, t: float) -> list[Event]:
        out = []
        c = self.config
        for o in self._objs:
            if o.state != "candidate" or t - o.t_land < c.dwell_s:
                continue
            # The landing time comes from moving coverage, which busy spots stretch back;
            # the static evidence itself must also have lasted a while.
            if t - o.first_t < c.min_static_frac * c.dwell_s:
                continue
            if t - o.last_seen_t > 0.5 * c.candidate_grace_s + c.static_period_s:
                continue
            reason = self._classify(o, t)
            if reason:
                o.state, o.reason = "rejected", reason
                self._set_hold(o.hold, False)
                continue
            out.append(self._confirm(o, t))
        return out

    def _classify(self, o: _Obj, t: float) -> str:
        """'' for a package, else why it is not one."""
        c = self.config
        s2 = self._scale**2
        _, ts, ids, bx = self._track_arrays(o.t_land - c.owner_lookback_s, t)
        ids = self._groups(ts, ids, bx)  # a stitched chain counts as one track
        if not self._split_stopped(o, ids, bx):
            return "stopped_track"
        w = o.box[2] - o.box[0]
        h = o.box[3] - o.box[1]
        area_full = o.area * s2
        if area_full < c.min_object_px:
            return "too_small"
        if w * h * s2 > c.max_object_px:
            return "too_large"
        if max(w / max(h, 1e-9), h / max(w, 1e-9)) > c.max_aspect:
            return "aspect"
        mine = self._self_tracks(o.box, ids, bx)
        others = ~np.isin(ids, list(mine)) if mine else np.ones(len(ids), bool)
        if others.any():
            # Typical size of the things that move here: the median over tracks (seen at
            # least 10 times) of each track's median box area.
            areas = (bx[others, 2] - bx[others, 0]) * (bx[others, 3] - bx[others, 1])
            oid = ids[others]
            per = [float(np.median(areas[oid == u])) for u in np.unique(oid) if (oid == u).sum() >= 10]
            # The upper quartile: fragments (legs, a far walker's head) are numerous tracks
            # too and must not make an ordinary parcel look large.
            if per and w * h > c.max_rel_track_area * float(np.percentile(per, 75)):
                return "large_for_scene"
        # Ghost: the outline's edges are in the remembered background, not in the frame.
        x0, y0, x1, y1 = o.hold
        cur = self._small[y0:y1, x0:x1]
        if self._static_mask is not None:
            m = self._static_mask[y0:y1, x0:x1]
        else:  # pragma: no cover - static step always ran before confirmation
            m = np.zeros(cur.shape, bool)
        if int(m.sum()) < 0.5 * self._min_area:
            return "faded"  # its static evidence is gone: nothing left to judge
        # A package is still once it is down; a person standing there fidgets: moving blobs
        # keep covering the region after its static evidence began.
        recent = [h[3] for h in self._hist if h[1] >= o.first_t]
        if len(recent) >= 5:
            n = np.array([len(b) for b in recent])
            if n.sum():
                allb = np.concatenate([b for b in recent if len(b)])
                hit = box_cover(o.box, allb) >= 0.3
                rows = np.unique(np.repeat(np.arange(len(recent)), n)[hit])
                if len(rows) > c.fidget_frac * len(recent):
                    return "fidgets"
        # Inside a place something parked left from: more of the same ghost.
        for tid, wb, w_until in self._warm:
            # Only if that early track then moved off its first box (a thing that merely
            # appeared early, and stays, is no ghost).
            if w_until < t or box_cover(o.box, wb[None, :])[0] < 0.5:
                continue
            _, _, wids, wbx = self._track_arrays(-math.inf, t)
            tb = wbx[wids == tid]
            if len(tb):
                cx = (tb[:, 0] + tb[:, 2]) / 2
                cy = (tb[:, 1] + tb[:, 3]) / 2
                if np.hypot(cx - cx[0], cy - cy[0]).max() >= wb[2] - wb[0]:
                    self._ghost_zones.append((wb, w_until))
        live = [zb for zb, z_until in self._ghost_zones if z_until >= t]
        if live:
            zb = np.stack(live)
            pad = 0.25 * np.maximum(zb[:, 2] - zb[:, 0], zb[:, 3] - zb[:, 1])[:, None]
            zb = zb + np.concatenate([-pad, -pad, pad, pad], axis=1)
            if float(box_cover(o.box, zb).sum()) >= 0.5:  # the ghost's pieces together
                return "ghost_zone"
        e_cur, e_bg = boundary_edges(cur, o.bg_patch, m, width=c.ghost_band_px)
        o.details["edge_current"], o.details["edge_background"] = round(e_cur, 2), round(e_bg, 2)
        if e_bg > c.ghost_ratio * e_cur:
            self._ghost_zones.append((o.box.copy(), t + c.ghost_memory_s))
            return "ghost"
        # Departed: a track born (within 1.5 s of the landing) on a box that holds this
        # region, which then drove or walked off: what appeared is the place it left.
        raw = self._track_arrays(o.t_land - 3.0, t)
        if len(raw[2]):
            rts, rids, rbx = raw[1], raw[2], raw[3]
            for tid in np.unique(rids):
                sel = rids == tid
                tts, tb = rts[sel], rbx[sel]
                if abs(tts[0] - o.t_land) > 1.5 or box_cover(o.box, tb[:1])[0] < 0.8:
                    continue
                if box_area(tb[:1])[0] > c.departed_max_rel_area * w * h:
                    continue  # much larger than the object: its carrier, riding on
                # Where it ended up (not one stray box: the object's own blob can merge with
                # a passer-by for a frame or two).
                end = np.median(tb[-3:], axis=0)
                dx = (end[0] + end[2] - tb[0, 0] - tb[0, 2]) / 2
                dy = (end[1] + end[3] - tb[0, 1] - tb[0, 3]) / 2
                if math.hypot(dx, dy) >= tb[0, 2] - tb[0, 0]:
                    self._ghost_zones.append((tb[0].copy(), t + c.ghost_memory_s))
                    o.details["departed_track_id"] = int(tid)
                    return "ghost_departed"
        # Stopped track: a track that travelled, then sat on this very box.
        diag = math.hypot(w, h)
        for tid in np.unique(ids):
            sel = ids == tid
            tb = bx[sel]
            iou = box_iou(tb, o.box[None, :])[:, 0]
            on = np.flatnonzero(iou >= c.stopped_iou)
            if not len(on):
                continue
            cx = (tb[:, 0] + tb[:, 2]) / 2
            cy = (tb[:, 1] + tb[:, 3]) / 2
            k = on[0]
            dist = np.hypot(cx - cx[k], cy - cy[k])
            away = dist >= c.stopped_travel * diag
            # Same size as the object while it moved: it *was* the object.
            ta = (tb[:, 2] - tb[:, 0]) * (tb[:, 3] - tb[:, 1])
            same = (ta >= 0.5 * w * h) & (ta <= 2.0 * w * h)
            before, after = away[: k + 1], away[k:]

            def was_it(part: np.ndarray, sz: np.ndarray) -> bool:
                # Mostly the object's size while away from the spot (not a moment of a
                # blob split), seen over a few frames.
                n = int(part.sum())
                return n >= 3 and int((part & sz).sum()) >= 0.6 * n

            # It moved in and then sat on this box for the rest of its life (unless it came
            # down onto the spot: a parcel carried on a vehicle, then dropped).
            if was_it(before, same[: k + 1]) and not after.any() and not _came_down(tb, k, h):
                o.details["stopped_track_id"] = int(tid)
                return "stopped_track"
            if was_it(after, same[k:]) and not before.any() and after[-3:].all() and int(tid) not in mine:
                return "ghost_departed"
        return ""

    def _split_stopped(self, o: _Obj, ids: np.ndarray, bx: np.ndarray) -> bool:
        """Cut out of the object the tracks that walked (drove) in and stopped on it.

        A person standing still next to their bag makes one static region of both. Tracks
        that travelled with a steady box size and whose last box lies on the region are
        stopped movers: their last boxes are removed from the region's static mask and the
        largest rest becomes the object. False when nothing is left (it was only them).
        """
        if not len(ids) or self._static_mask is None:
            return True
        c = self.config
        cut = []
        for tid in np.unique(ids):
            tb = bx[ids == tid]
            if len(tb) < 5:
                continue
            # Where it stopped: the median of its last boxes (the very last ones are often
            # fragments, as the short-term model absorbs the still body).
            last = np.median(tb[-10:], axis=0)
            if box_cover(last, o.box[None, :])[0] < 0.5:
                continue
            ta = (tb[:, 2] - tb[:, 0]) * (tb[:, 3] - tb[:, 1])
            la = (last[2] - last[0]) * (last[3] - last[1])
            cx = (tb[:, 0] + tb[:, 2]) / 2
            cy = (tb[:, 1] + tb[:, 3]) / 2
            diag = math.hypot(last[2] - last[0], last[3] - last[1])
            away = np.hypot(cx - cx[-1], cy - cy[-1]) >= c.stopped_travel * diag
            same = (ta >= 0.5 * la) & (ta <= 2.0 * la)
            n = int(away.sum())
            k = int(np.flatnonzero(away)[-1]) + 1 if n else 0
            if n >= 3 and int((away & same).sum()) >= 0.6 * n and not _came_down(tb, k, last[3] - last[1]):
                # ... and it is still there: its stopped box is largely static now (a track
                # that merely ended there, by an id switch, leaves most of its box empty).
                r = self._region(last, 0)
                fill = float(self._static_mask[r[1] : r[3], r[0] : r[2]].mean())
                if fill >= 0.35:
                    cut.append(last)
        if not cut:
            return True
        x0, y0, x1, y1 = o.hold
        m = self._static_mask[y0:y1, x0:x1].copy()
        for b in cut:
            m[
                max(0, int(b[1]) - 1 - y0) : max(0, int(math.ceil(b[3])) + 1 - y0),
                max(0, int(b[0]) - 1 - x0) : max(0, int(math.ceil(b[2])) + 1 - x0),
            ] = False
        area, boxes = self._label(np.ascontiguousarray(m))
        if not len(area) or area.max() < self._min_area:
            return False
        k = int(np.argmax(area))
        o.box = boxes[k] + np.array([x0, y0, x0, y0], np.float64)
        o.area = float(area[k])
        o.details["split_from_tracks"] = len(cut)
        return True

    def _confirm(self, o: _Obj, t: float) -> Event:
        c = self.config
        o.state, o.t_alarm, o.frame_alarm = "confirmed", t, self.frame_index
        x0, y0, x1, y1 = o.hold
        o.obj_patch = self._small[y0:y1, x0:x1].copy()
        dropper, attended = self._find_dropper(o, t)
        o.dropper_id = dropper
        details = {
            "topic": ONVIF_TOPICS["package_dropped"],
            "t_alarm": t,
            "frame_alarm": self.frame_index,
            "dropper_id": dropper,
            "dropper_trajectory": (
                self._trajectory(dropper, o.t_land - c.owner_lookback_s, t, o.box)
                if dropper is not None
                else []
            ),
            "attended": attended,
            "object_id": o.oid,
            "dwell_s": round(t - o.t_land, 3),
        }
        details.update(o.details)
        return Event(
            kind="package_dropped",
            t_start=o.t_land,
            t_end=t,
            frame_start=o.frame_land,
            frame_end=self.frame_index,
            camera_id=self.camera_id,
            bbox=self._to_full(o.box),
            track_id=dropper,
            confidence=1.0 if dropper is not None else 0.8,
            details=details,
        )

    def _find_dropper(self, o: _Obj, t: float) -> tuple[int | None, bool]:
        c = self.config
        s = self._scale
        _, ts, ids, bx = self._track_arrays(o.t_land - c.owner_lookback_s, o.first_t)
        if not len(ids):
            return None, False
        mine = self._self_tracks(o.box, ids, bx)
        gap = box_gap(o.box, bx)
        ok = (gap <= c.owner_radius_px / s) & ~np.isin(ids, list(mine)) & self._not_object(o.box, bx)
        if not ok.any():
            return None, False
        # The dropper is the track closest to the spot around the moment it landed: rank by
        # gap, by how far in time from the landing, and by how far its feet are from the
        # object's bottom line.
        # The dropper stands (rides) on the ground beside it: its bottom edge is near the
        # object's; a thing whose bottom is well above is behind it (e.g. a car passing in
        # the far lane at that moment).
        score = gap[ok] + 10.0 * np.abs(ts[ok] - o.t_land) + np.abs(bx[ok, 3] - o.box[3])
        k = int(np.argmin(score))
        tid = int(ids[ok][k])
        # Attended: the dropper (or the track that continued it) is within attended_factor
        # object widths now, either still tracked or standing still where it stopped.
        _, ts2, ids2, bx2 = self._track_arrays(o.t_land - c.owner_lookback_s, t)
        keep = self._not_object(o.box, bx2)
        ts2, ids2, bx2 = ts2[keep], ids2[keep], bx2[keep]
        g = self._groups(ts2, ids2, bx2)
        sel = g == g[np.flatnonzero(ids2 == tid)[0]] if (ids2 == tid).any() else ids2 == tid
        attended = False
        if sel.any():
            last_t = float(ts2[sel][-1])
            last = np.median(bx2[sel][-10:], axis=0)
            near = box_gap(o.box, last[None, :])[0] <= c.attended_factor * (o.box[2] - o.box[0])
            if last_t >= t - c.lost_track_s:
                attended = bool(near)
            elif near and self._static_mask is not None:
                r = self._region(last, 0)
                attended = float(self._static_mask[r[1] : r[3], r[0] : r[2]].mean()) >= 0.35
        return tid, attended

    # -- confirmed objects: still there? ----------------------------------------------
    def _watch_step(self, t: float, ids: np.ndarray, boxes: np.ndarray) -> list[Event]:
        out = []
        c = self.config
        for o in self._objs:
            if o.state != "confirmed":
                continue
            x0, y0, x1, y1 = o.hold
            cur = self._small[y0:y1, x0:x1].astype(np.int16)
            # Lighting drifts while the package waits: remove the offset measured on the
            # ring around the object (the hold margin, ground in both patches).
            ring = o.ring
            if ring is None:
                ring = np.ones(cur.shape, bool)
                bx0, by0 = int(math.floor(o.box[0])) - x0, int(math.floor(o.box[1])) - y0
                bx1, by1 = int(math.ceil(o.box[2])) - x0, int(math.ceil(o.box[3])) - y0
                ring[max(by0, 0) : max(by1, 0), max(bx0, 0) : max(bx1, 0)] = False
                o.ring = ring
            if ring.sum() >= 8:
                off_o = int(np.median(cur[ring] - o.obj_patch[ring]))
                off_b = int(np.median(cur[ring] - o.bg_patch[ring]))
            else:
                off_o = off_b = 0
            d_obj = patch_mad(cur - off_o, o.obj_patch)
            d_bg = patch_mad(cur - off_b, o.bg_patch)
            looks_bg = d_bg < c.patch_thresh and d_bg < 0.5 * d_obj
            if not looks_bg:
                o.bg_since = None
                if d_obj < c.patch_thresh:
                    o.last_seen_t = t
                    o.present_t = t
                continue
            if o.bg_since is None:
                o.bg_since = t
                o.details["frame_gone"] = self.frame_index
            if t - o.bg_since < c.removal_s:
                continue
            out += self._gone(o, t)
        return out

    def _gone(self, o: _Obj, t: float) -> list[Event]:
        c = self.config
        o.state = "gone"
        o.last_seen_t = t
        self._set_hold(o.hold, False)
        # What shows up on that spot soon after is the trace of the package, not a new one.
        self._ghost_zones.append((o.box.copy(), t + c.ghost_memory_s))
        t_gone = float(o.bg_since)
        f_gone = int(o.details.get("frame_gone", self.frame_index))
        _, ts, ids, bx = self._track_arrays(t_gone - c.pickup_window_s, t)
        picker = None
        if len(ids):
            # Tracks on the object itself (its own blob, or the hole it left) are not pickers.
            mine = self._self_tracks(o.box, ids, bx)
            # Within reach: touching it, or (a flat object, or a picker whose blob has a gap
            # at the object's height) within most of its size, and standing on the same
            # ground (its bottom not above the object's top: not something passing behind;
            # nor far below the object's bottom: not someone passing in front).
            osize = float(max(o.box[2] - o.box[0], o.box[3] - o.box[1]))
            oh = float(o.box[3] - o.box[1])
            below = bx[:, 3] - o.box[3]  # a walker passing in front has its feet well below
            reach = (box_gap(o.box, bx) <= max(2.0, 0.75 * osize)) & (bx[:, 3] >= o.box[1])
            front = below > np.maximum(max(2.0 * oh, 1.5 * osize), 0.6 * (bx[:, 3] - bx[:, 1]))
            if (reach & ~front).any():
                reach &= ~front
            reach &= ~np.isin(ids, list(mine)) & self._not_object(o.box, bx)
            # The picker was over the object while it went from "there" to "gone": the
            # track touching it most in that interval (a passer-by crosses in a moment).
            t_a = o.present_t if math.isfinite(o.present_t) else t_gone - c.pickup_window_s
            during = (ts >= min(t_a, t_gone) - 0.5) & (ts <= t_gone + 0.2)
            if (reach & during).any():
                reach = reach & during
            if reach.any():
                k = np.flatnonzero(reach)
                u, cnt = np.unique(ids[k], return_counts=True)
                picker = int(u[np.argmax(cnt)])
                mine_k = k[ids[k] == picker]
                t_touch = float(ts[mine_k].min())
        if picker is None:
            return [
                Event(
                    kind="package_removed",
                    t_start=t_gone,
                    t_end=t,
                    frame_start=f_gone,
                    frame_end=self.frame_index,
                    camera_id=self.camera_id,
                    bbox=self._to_full(o.box),
                    track_id=None,
                    confidence=0.8,
                    details={
                        "topic": ONVIF_TOPICS["package_removed"],
                        "object_id": o.oid,
                        "t_alarm": o.t_alarm,
                    },
                )
            ]
        fr = self._track_arrays(t_gone - c.pickup_window_s, t)[0]
        sel = (ids == picker) & (ts >= min(t_touch, t_gone)) & self._not_object(o.box, bx)
        if not sel.any():
            sel = ids == picker
        pk = _Pickup(o, picker, t_gone, f_gone, float(ts[sel][-1]), int(fr[sel][-1]), bx[sel][-1], t_touch)
        # The picker's rows up to the moment it was chosen, then replay the frames since (the
        # object had to look like the background for removal_s first).
        # Start following from the picker's box nearest the moment the object went (its
        # earlier boxes may be merged with passers-by); the path keeps its rows since it
        # touched the object.
        rows = np.flatnonzero(sel)
        first = int(rows[np.argmin(np.abs(ts[rows] - t_gone))])
        # The picker's typical size: its boxes while it walked in (not the fragments of its
        # stand-still, nor blobs that are the object).
        _, hts, hids, hbx = self._track_arrays(t_gone - c.owner_lookback_s, t)
        hsel = (hids == picker) & self._not_object(o.box, hbx)
        walk = hsel & (hts <= t_touch)
        allp = hbx[walk] if walk.sum() >= 5 else hbx[hsel] if hsel.any() else bx[ids == picker]
        pk.ref_wh = (
            float(np.percentile(allp[:, 2] - allp[:, 0], 75)),
            float(np.percentile(allp[:, 3] - allp[:, 1], 75)),
        )
        pk.ref_bottom = float(np.percentile(allp[-25:, 3], 75))
        pk.path = [(int(fr[r]), float(ts[r]), bx[r]) for r in rows if r <= first]
        pk.last_t, pk.last_frame, pk.last_box = float(ts[first]), int(fr[first]), bx[first]
        for f, tt, hid, hbx in self._hist:
            if f > pk.last_frame:
                self._follow_one(pk, f, tt, hid, hbx)
        self._pickups.append(pk)
        return []

    # -- pickers: follow until they leave -----------------------------------------------
    def _follow_one(self, p: _Pickup, frame: int, t: float, ids: np.ndarray, boxes: np.ndarray) -> None:
        """Follow the picker's box, not only its id: trackers switch ids when a walker's blob
        splits or merges, and a picker standing still to lift the package fades from the
        moving mask for a moment. The picker's own track is kept while it is near the
        predicted place; otherwise the box nearest the prediction, of a size compatible with
        the picker's typical box (a fragment down to a tenth: legs, or the carried package),
        is taken, within a radius that grows by two picker heights per second since it was
        last seen (it may have started walking again). Never the object's own blob. A much
        larger box (the picker merged with a passing vehicle) keeps the picker "seen" at its
        predicted place."""
        if frame <= p.last_frame or not len(boxes):
            return
        lb = p.last_box
        dt = t - p.last_t
        pred = lb
        if len(p.path) >= 3:
            f0, t0, b0 = p.path[max(0, len(p.path) - 8)]
            dtp = p.last_t - t0
            if dtp > 0:
                v = ((lb[0] + lb[2]) - (b0[0] + b0[2])) / 2 / dtp
                w = ((lb[1] + lb[3]) - (b0[1] + b0[3])) / 2 / dtp
                pred = lb + np.array([v, w, v, w]) * min(dt, 1.0)
        # The picker is at least about twice the size of what it lifts (its moving blobs
        # may be mere fragments: feet, the carried package).
        rw, rh = p.ref_wh
        ob = p.obj.box
        osize = max(ob[2] - ob[0], ob[3] - ob[1])
        rsize = max(rw, rh, 2.0 * osize, 1.0)
        ref_area = max(rw * rh, 4.0 * float(box_area(ob[None, :])[0]), 1.0)
        pcx, pcy = (pred[0] + pred[2]) / 2, (pred[1] + pred[3]) / 2
        cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
        dist = np.hypot(cx - pcx, cy - pcy)
        radius = rsize * (0.5 + 2.0 * min(dt, 2.0 if not self._at_edge(lb) else 0.25))
        iou = box_iou(boxes, pred[None, :])[:, 0]
        ar = box_area(boxes) / ref_area
        near = ((dist <= radius) | (iou > 0.05)) & (ar >= 0.1) & self._not_object(p.obj.box, boxes)
        if not near.any():
            return
        # Feet stay on the ground: the bottom edge moves smoothly (a blob whose bottom jumps
        # up by a third of the picker's height is something behind it, e.g. a passing car).
        rh_eff = max(rh, 2.0 * osize)
        if math.isfinite(p.ref_bottom):
            near &= np.abs(boxes[:, 3] - p.ref_bottom) <= 0.35 * rh_eff
            if not near.any():
                return
        fits = near & (ar <= 5.0)
        if not fits.any():
            # Merged into something much larger: still there, keep the predicted box.
            p.last_t, p.last_frame, p.last_box = t, frame, pred
            return
        own = np.flatnonzero(fits & (ids == p.follow_id) & (p.follow_id >= 0))
        if len(own):
            j = int(own[0])
        else:
            k = np.flatnonzero(fits)
            cost = dist[k] / rsize + 0.5 * np.abs(np.log(np.maximum(ar[k], 1e-9))) - iou[k]
            j = int(k[np.argmin(cost)])
        if ids[j] >= 0:
            p.follow_id = int(ids[j])
            p.seen_ids.add(p.follow_id)
        p.last_t, p.last_frame, p.last_box = t, frame, boxes[j]
        p.path.append((frame, t, self._whole(boxes, j, p.obj.box, rh_eff)))
        if math.isfinite(p.ref_bottom):
            p.ref_bottom += 0.3 * (float(boxes[j, 3]) - p.ref_bottom)

    def _whole(self, boxes: np.ndarray, j: int, obj_box: np.ndarray, rh: float) -> np.ndarray:
        """The picker's box for its path: the chosen blob joined with the blobs stacked on it
        (a walker whose coat has the ground's grey shows as legs, torso and head apart):
        those overlapping it in x by half the narrower width, above it, at most 3 ``rh`` (``rh``
        the picker's reference height, often that of a fragment) from its bottom edge to their
        top, and at most 2.5 times as wide (not a car passing behind). The follower itself keeps to the
        chosen blob."""
        b = boxes[j].copy()
        if len(boxes) < 2:
            return b
        ox = np.minimum(boxes[:, 2], b[2]) - np.maximum(boxes[:, 0], b[0])
        narrow = np.minimum(boxes[:, 2] - boxes[:, 0], b[2] - b[0])
        wide = boxes[:, 2] - boxes[:, 0] <= 2.5 * max(b[2] - b[0], 1.0)  # not a car behind
        stack = (ox >= 0.5 * narrow) & (boxes[:, 3] <= b[3] + 2) & (b[3] - boxes[:, 1] <= 3.0 * rh) & wide
        stack &= self._not_object(obj_box, boxes)
        stack[j] = False
        if stack.any():
            sb = boxes[stack]
            b = np.array([min(b[0], sb[:, 0].min()), min(b[1], sb[:, 1].min()),
                          max(b[2], sb[:, 2].max()), max(b[3], sb[:, 3].max())])
        return b

    def _follow_step(self, t: float, ids: np.ndarray, boxes: np.ndarray) -> list[Event]:
        out = []
        c = self.config
        keep = []
        for p in self._pickups:
            self._follow_one(p, self.frame_index, t, ids, boxes)
            # At the frame border it has left (or is leaving): no long wait there, or the
            # follower would take the next walker coming in.
            wait = c.lost_track_s if self._at_edge(p.last_box) else c.picker_wait_s
            if t - p.last_t > wait or t - p.t_gone > c.max_follow_s:
                out.append(self._pickup_event(p))
            else:
                keep.append(p)
        self._pickups = keep
        return out

    def _at_edge(self, box: np.ndarray) -> bool:
        """Whether an internal box touches the frame border (within ``edge_margin_px``)."""
        H, W = self._full
        b = box * self._scale
        m = self.config.edge_margin_px
        return bool(b[0] <= m or b[1] <= m or b[2] >= W - m or b[3] >= H - m)

    def _pickup_event(self, p: _Pickup) -> Event:
        c = self.config
        s = self._scale
        H, W = self._full
        b = p.last_box * s
        cx, cy = float((b[0] + b[2]) / 2), float((b[1] + b[3]) / 2)
        m = c.edge_margin_px
        at_edge = b[0] <= m or b[1] <= m or b[2] >= W - m or b[3] >= H - m
        if at_edge:
            # Where it left: the centre pushed to the nearest frame border.
            d = [cx, cy, W - cx, H - cy]
            side = int(np.argmin(d))
            cx, cy = [(0.0, cy), (cx, 0.0), (float(W), cy), (cx, float(H))][side]
        return Event(
            kind="package_picked_up",
            t_start=p.t_gone,
            t_end=max(p.last_t, p.t_gone),
            frame_start=p.frame_gone,
            frame_end=max(p.last_frame, p.frame_gone),
            camera_id=self.camera_id,
            bbox=self._to_full(p.obj.box),
            track_id=p.picker_id,
            confidence=1.0,
            details={
                "topic": ONVIF_TOPICS["package_picked_up"],
                "picker_id": p.picker_id,
                # Its path from when it took the object until it left or was lost.
                "picker_trajectory": [
                    [f, round(tt, 3), round(float(b[0] + b[2]) * s / 2, 2), round(float(b[1] + b[3]) * s / 2, 2)]
                    for f, tt, b in p.path[:: max(1, len(p.path) // 300 + 1)]
                ],
                "picker_boxes": [
                    [f] + [round(float(v) * s, 2) for v in b] for f, _tt, b in p.path[:: max(1, len(p.path) // 300 + 1)]
                ],
                "picker_track_ids": sorted(p.seen_ids),
                "exit_point": [round(cx, 2), round(cy, 2)],
                "exit": "frame_edge" if at_edge else "lost",
                "object_id": p.obj.oid,
                "dropper_id": p.obj.dropper_id,
                "t_alarm": p.obj.t_alarm,
            },
        )

    def _finish(self) -> list[Event]:
        out = [self._pickup_event(p) for p in self._pickups]
        self._pickups = []
        return out

    # -- introspection ----------------------------------------------------------------
    @property
    def scale(self) -> int:
        """Processing stride (0 before the first frame)."""
        return self._scale

    def track_boxes(self, track_ids: Any) -> tuple[np.ndarray, np.ndarray]:
        """Frames and full-resolution boxes of the given tracks still in the bounded history
        (``history_s`` seconds): ``(frame (N,), boxes (N, 4))``, in time order."""
        want = np.atleast_1d(np.asarray(track_ids, np.int64))
        fr, _, ids, bx = self._track_arrays(-math.inf, math.inf)
        sel = np.isin(ids, want)
        return fr[sel], bx[sel] * max(self._scale, 1)

    def objects(self) -> list[dict[str, Any]]:
        """The static objects currently remembered (for debugging and pictures)."""
        return [
            {
                "object_id": o.oid,
                "state": o.state,
                "reason": o.reason,
                "bbox": self._to_full(o.box),
                "t_land": o.t_land,
                "dropper_id": o.dropper_id,
            }
            for o in self._objs
        ]
