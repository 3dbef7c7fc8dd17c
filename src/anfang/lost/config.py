"""Configuration of the lost-package detector: a validated, JSON-loadable dataclass.

Sizes are in pixels of the *input* frame (full resolution); the detector converts them to
its internal processing scale. Times are in seconds of the caller's timestamps.

>>> cfg = LostConfig(dwell_s=5.0)
>>> cfg.dwell_s, cfg.attended_factor
(5.0, 2.0)
>>> LostConfig.from_dict({"dwell_s": 3}).dwell_s
3.0
>>> LostConfig(dwell_s=-1)
Traceback (most recent call last):
...
ValueError: dwell_s: expected a number > 0, got -1
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from anfang.config import ConfigMixin, check_number

__all__ = ["LostConfig"]

# name -> (kind, lower bound, strict lower bound?)
_RULES: dict[str, tuple[type, float, bool]] = {
    "dwell_s": (float, 0.0, True),
    "scale": (int, 0, False),
    "max_width": (int, 16, False),
    "static_frames": (int, 1, False),
    "long_update_period": (int, 1, False),
    "short_update_period": (int, 1, False),
    "vmin": (int, 1, False),
    "static_open_px": (int, 0, False),
    "static_period_s": (float, 0.0, False),
    "min_object_px": (float, 1.0, False),
    "max_object_px": (float, 1.0, False),
    "max_aspect": (float, 1.0, False),
    "max_rel_track_area": (float, 0.0, True),
    "merge_px": (int, 0, False),
    "moving_open_px": (int, 0, False),
    "moving_close_px": (int, 0, False),
    "moving_min_px": (float, 0.0, False),
    "track_motion": (str, 0, False),
    "stopped_iou": (float, 0.0, True),
    "stopped_travel": (float, 0.0, False),
    "ghost_ratio": (float, 0.0, True),
    "ghost_band_px": (int, 1, False),
    "ghost_memory_s": (float, 0.0, False),
    "departed_max_rel_area": (float, 0.0, False),
    "warmup_s": (float, 0.0, False),
    "fidget_frac": (float, 0.0, True),
    "min_static_frac": (float, 0.0, False),
    "owner_radius_px": (float, 0.0, False),
    "owner_lookback_s": (float, 0.0, True),
    "attended_factor": (float, 0.0, False),
    "match_iou": (float, 0.0, True),
    "candidate_grace_s": (float, 0.0, False),
    "patch_thresh": (float, 0.0, True),
    "removal_s": (float, 0.0, False),
    "pickup_window_s": (float, 0.0, False),
    "lost_track_s": (float, 0.0, True),
    "max_follow_s": (float, 0.0, True),
    "picker_wait_s": (float, 0.0, True),
    "edge_margin_px": (float, 0.0, False),
    "history_s": (float, 0.0, True),
}


@dataclass(frozen=True)
class LostConfig(ConfigMixin):
    """Thresholds of :class:`anfang.lost.LostPackageDetector`.

    Parameters
    ----------
    dwell_s : float
        Seconds an object must stay static (from when it landed) before the drop alarm.
    scale : int
        Internal processing stride: the detector works on ``frame[::scale, ::scale]``. 0 picks
        the smallest stride that brings the width to at most ``max_width``.
    max_width : int
        Target processing width when ``scale`` is 0.
    static_frames : int
        Consecutive frames a pixel must be foreground to the long-term model and background
        to the short-term one before it counts as static evidence.
    long_update_period, short_update_period : int
        The long-term and short-term sigma-delta models update once every so many frames.
    vmin : int
        Smallest sigma-delta deviation (grey levels) that can count as foreground: above
        the sensor noise, below the contrast of the smallest package to find.
    static_open_px : int
        Opening size (full-resolution pixels) that removes static speckle before merging.
    static_period_s : float
        Static objects are re-extracted at most this often (0: every frame).
    min_object_px, max_object_px : float
        Area limits of a package, in full-resolution pixels.
    max_aspect : float
        Largest ``max(w/h, h/w)`` of a package box.
    max_rel_track_area : float
        A static object larger than this times the typical track box area of the scene (the
        median over tracks of each track's median area) is not a package (a car, a group).
    merge_px : int
        Closing size (full-resolution pixels) that merges static fragments into one object.
    moving_open_px, moving_close_px, moving_min_px : int, int, float
        Cleaning of the moving mask before labelling and tracking.
    track_motion : str
        Motion model of the tracker: ``"cv"`` or ``"ca"``.
    stopped_iou : float
        A static object that a track's own box covered (IoU at least this) after the track
        travelled is that track, stopped (standing person, stopped vehicle).
    stopped_travel : float
        How far (in object diagonals) a track must have travelled before stopping to count as
        "moved in and stopped"; while travelling its box must have had about the object's
        size (within a factor of 2 in area), i.e. it *was* that object.
    ghost_ratio : float
        Ghost when the boundary edges of the remembered background exceed the current
        frame's boundary edges times this ratio.
    ghost_band_px : int
        Half-width (internal pixels) of the outline band on which the ghost test measures
        edges: wide enough to reach the object's edge when the static mask also holds its
        shadow rim.
    ghost_memory_s : float
        How long a ghost's region (or the start box of a track that left from there) stays
        known: new static blobs inside it are more of the same ghost.
    departed_max_rel_area : float
        A track born on the region at the landing time that then left makes the region a
        ghost (the place it left) only if its first box is at most this many times the
        region's box; a much larger one is the vehicle that carried the parcel and rode on.
    warmup_s : float
        Tracks that appear in the first seconds moved off from the first frame, which the
        long-term model started from: the place each leaves is remembered as a ghost zone.
    fidget_frac : float
        Not a package when moving blobs cover the region in more than this fraction of the
        frames since its static evidence began (a person standing there sways).
    min_static_frac : float
        Besides ``dwell_s`` since the landing, the static evidence itself must have lasted
        this fraction of ``dwell_s`` (the landing estimate stretches back on busy spots).
    owner_radius_px : float
        Dropper search radius around the object (full-resolution pixels).
    owner_lookback_s : float
        How far back before landing to search for the dropper.
    attended_factor : float
        Attended when the dropper is within this many object widths at alarm time.
    match_iou : float
        IoU above which a static blob is the same object as a remembered one.
    candidate_grace_s : float
        An unconfirmed candidate unseen for this long is forgotten.
    patch_thresh : float
        Mean absolute grey difference under which a patch "matches" (object or background).
    removal_s : float
        The object's region must look like the remembered background this long to count as
        gone.
    pickup_window_s : float
        A track touching the object this many seconds before it went is its picker.
    lost_track_s : float
        A track unseen for this long is considered lost (the picker's path ends).
    picker_wait_s : float
        The picker is given up (``exit: "lost"``, or where it left the frame) after it has
        not been seen for this long: a picker standing still to lift the package fades from
        the moving mask for a second or two.
    max_follow_s : float
        A pickup is emitted at the latest this long after it happened.
    edge_margin_px : float
        A path ending within this distance of the frame edge left the frame there.
    history_s : float
        Length of the per-frame track history kept for dropper/picker search.
    """

    dwell_s: float = 10.0
    scale: int = 0
    max_width: int = 640
    static_frames: int = 8
    long_update_period: int = 4
    short_update_period: int = 1
    vmin: int = 8
    static_open_px: int = 0
    static_period_s: float = 0.2
    min_object_px: float = 30.0
    max_object_px: float = 40000.0
    max_aspect: float = 10.0
    max_rel_track_area: float = 2.0
    merge_px: int = 12
    moving_open_px: int = 4
    moving_close_px: int = 12
    moving_min_px: float = 120.0
    track_motion: str = "cv"
    stopped_iou: float = 0.5
    stopped_travel: float = 1.0
    ghost_ratio: float = 0.5
    ghost_band_px: int = 2
    ghost_memory_s: float = 60.0
    departed_max_rel_area: float = 2.5
    warmup_s: float = 2.0
    fidget_frac: float = 0.4
    min_static_frac: float = 0.5
    owner_radius_px: float = 80.0
    owner_lookback_s: float = 30.0
    attended_factor: float = 2.0
    match_iou: float = 0.3
    candidate_grace_s: float = 1.5
    patch_thresh: float = 12.0
    removal_s: float = 1.0
    pickup_window_s: float = 3.0
    lost_track_s: float = 1.0
    picker_wait_s: float = 2.5
    max_follow_s: float = 60.0
    edge_margin_px: float = 24.0
    history_s: float = 60.0

    def __post_init__(self) -> None:
        for f in fields(self):
            kind, lo, strict = _RULES[f.name]
            v = getattr(self, f.name)
            if kind is str:
                if not isinstance(v, str) or v not in ("cv", "ca"):
                    raise ValueError(f"{f.name}: expected 'cv' or 'ca', got {v!r}")
                continue
            object.__setattr__(self, f.name,
                               check_number(f.name, v, lo, lo_open=strict, integer=kind is int))
        if self.max_object_px < self.min_object_px:
            raise ValueError(
                f"max_object_px: expected >= min_object_px ({self.min_object_px}), "
                f"got {self.max_object_px}"
            )

    # -- loading ------------------------------------------------------------------
    def replace(self, **changes: Any) -> "LostConfig":
        d = self.to_dict()
        d.update(changes)
        return LostConfig.from_dict(d)
