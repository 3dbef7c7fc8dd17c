"""The falling-object detector.

Pipeline per frame (all state on the instance; ``reset()`` between videos):

1. **Repeated content**: a frame identical to the previous one (checked on a subsample
   first: mean absolute difference below ``duplicate_eps``) repeats it (30 fps container,
   10 fps content) and is skipped for motion.
2. **Noise and light**: the robust noise level of the difference image (MAD on a subsample)
   sets the threshold (``noise_k`` sigmas, clamped). If the median difference is large or
   most of the frame changed (a light switched, auto-exposure, a cloud shadow), the frame
   is skipped and the differencing history restarts from it (tracks are kept).
3. **Shake**: the global shift between frames (``estimate_shift``) is accumulated into a
   camera offset; previous frames are aligned to the current one before differencing and
   track positions are stabilised by the offset.
4. **Motion**: three-frame differencing (pixels that differ from both previous frames: the
   object at its current position, without the ghost a two-frame difference leaves), minus
   the ignore polygons, labelled into blobs with area / box / centroid arrays.
5. **Tracking**: a constant-acceleration tracker associates blobs by predicted position and
   uncertainty (a small object falling tens of pixels per frame never overlaps itself).
6. **Physics**: once a track has fallen ``min_drop_floors`` floors (or ``min_drop_px``
   without a facade), its robust parabola fit must pass the ballistic test
   (:func:`anfang.falling.physics.ballistic_verdict`); then the alarm is raised
   (``t_alarm``), the release point is traced back to a floor and column, and one event is
   emitted per object (when its track ends, or at alarm time with ``emit="alarm"``).

Example
-------
>>> import numpy as np
>>> from anfang.falling import FallingObjectDetector, Facade
>>> fac = Facade.from_corners([[40, 20], [280, 20], [280, 220], [40, 220]], floors=10, columns=4)
>>> det = FallingObjectDetector(fac, camera_id="cam-1")   # alarm after 2 floors (default)
>>> g = 9.81 * fac.px_per_m(120.0)                        # gravity in px/s² on this facade
>>> evs = []
>>> for i in range(50):
...     t = i / 25.0
...     img = np.full((240, 320), 200, np.uint8)
...     if t >= 0.2:                                        # released at y=50: floor 9
...         y = 50 + 0.5 * g * (t - 0.2) ** 2
...         img[int(y):int(y) + 2, 160:162] = 20            # a dark 2x2 object
...     evs += det.update(img, t)
>>> evs += det.finish()
>>> ev = evs[0]
>>> len(evs), ev.kind, ev["origin"]["floor"], ev["origin"]["column"]
(1, 'falling_object', 9, 2)
>>> bool(abs(ev["acceleration"] / g - 1) < 0.15), bool(ev["t_alarm"] < 1.5)
(True, True)
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import statistics
from collections import deque
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Mapping

import numpy as np

from anfang.config import ConfigMixin, check_number
from anfang.detector import Detector
from anfang.events import Event
from anfang.falling import _backend
from anfang.falling.facade import Facade
from anfang.falling.physics import (
    GRAVITY,
    BallisticRules,
    Origin,
    TrackFit,
    Verdict,
    ballistic_verdict,
    fit_track,
    plain_rms,
    trace_origin,
    with_gravity,
)
from anfang.falling.sweep import parabola_sweep
from anfang.frames import to_gray

__all__ = ["FallingConfig", "FallingObjectDetector"]


# the sweep's longest time between a candidate's consecutive samples (see parabola_sweep);
# a held candidate that grows with later sweeps' samples is held to it again before it alarms
_SWEEP_MAX_GAP = 0.4

# seconds an alarmed track is kept after its last sample, for merging tracks of the same
# object into its event (a track that alarms late is compared by the time it began)
_ALARM_MEMORY = 10.0
# the longest gap, in seconds, between an alarmed track's last sample and the start of a
# track that continues it (see FallingObjectDetector._continues and _follows)
_CONTINUE_GAP = 2.0


@dataclass
class FallingConfig(ConfigMixin):
    """Settings of :class:`FallingObjectDetector` (validated; JSON via ``from_dict``/``load``).

    Motion
    ------
    motion : "background" or "diff"
        ``"background"``: silhouettes against a running-average background kept at a fixed
        camera offset (:func:`anfang.motion.background_step`), each kept only when the frame
        difference shows something moving inside its box; ``"diff"``: the frame difference
        alone (edge fragments of large objects).
    bg_alpha : float
        Background update rate per frame (foreground pixels: a tenth of it).
    bg_k : float
        Background threshold in units of the noise threshold scaled to one frame's noise.
    confirm_k : float
        Threshold of the confirming frame difference, as a fraction of the noise threshold.
    slow_frames : int
        The second tracking hypothesis (0 turns it off): silhouettes the frame difference
        does not confirm are tested against the frames ``slow_frames`` and twice that back
        (an object at rest after its release, near the top of a throw, or too large and
        slow to change from frame to frame); those that moved go, with all confirmed blobs,
        to a second tracker whose tracks are judged alike (see docs/falling.md).
    slow_min_area : float
        Smallest silhouette (pixels at the detection resolution) given that test.
    confirm_margin : int
        The confirming difference is labelled only in a window of this many pixels around
        each silhouette's box (:func:`anfang.motion.diff3_blob_in_boxes`; a blob crossing the
        window's border is seen cut). A margin covering the frame gives the full-frame test.
    frame_diff : 2 or 3
        Two- or three-frame differencing.
    noise_k : float
        Threshold in robust noise sigmas of the difference image.
    min_threshold, max_threshold : float
        Clamp of that threshold (grey levels).
    codec_zero_frac, codec_min_threshold : float
        Video through a codec (H.264, H.265) copies static blocks from the previous frame:
        their frame difference is exactly zero, the robust sigma of the difference collapses
        to 0, and the threshold would sit at ``min_threshold`` while the coded blocks
        change by several grey levels along every edge. When the running share of exactly
        zero differences is at least ``codec_zero_frac`` (sensor noise of a grey level or
        more leaves under 40 %), the threshold is at least ``codec_min_threshold``, and the
        light test (``glare_min_corr``) takes the noise as at least
        ``codec_min_threshold / noise_k`` (the coded blocks' error, which the collapsed
        sigma does not show). ``codec_zero_frac=0`` turns this off.
    min_area : int
        Smallest blob (px) kept.
    guide_specks : bool
        Keep a blob smaller than ``min_area`` (a speck: a few-pixel object blurred by its
        speed leaves only one pixel over the threshold) where a live descending track of
        a small object expects it in this frame: within ``max(2 P, size / 2)`` px (P the
        pooling factor) plus a quarter of the track's step of the predicted position (its
        last velocity, under the facade's gravity). Only tracks of 4 samples or more,
        descending, whose recent blobs are at most 12 P² px (the upper median of the last
        four) and not all specks themselves (a track cannot live on specks alone). The
        speck must still pass the motion check. Background motion only.
    max_area_px : int
        Largest blob (px) without a facade; with one, ``max_size_floors`` floor heights
        squared.
    max_size_floors : float
        Largest object (linear size) in floor heights.
    duplicate_eps : float
        A frame whose subsampled mean absolute difference to the previous one is below this
        (grey levels) and which is pixel-identical to it repeats the previous frame.
    light_change_frac : float
        Fraction of changed pixels above which the frame is treated as a global light change.
    shake : bool
        Compensate camera shake.
    shake_min_px : float
        Smaller accumulated shifts are ignored (no warp).
    shake_trigger : float
        The shift is estimated only when more than this fraction of the (subsampled) pixels
        changed; a still camera costs nothing.
    shake_edge_k : float
        On frames aligned for shake, a pixel counts as moving only where its differences beat
        the threshold by this many times the local grey gradient (interpolation and a
        residual misregistration of a fraction of a pixel change edges, not flat areas;
        0 disables).
    shake_crop : int
        Side of the central crop the shift is estimated on.
    streak_aspect : float
        Blobs at least this elongated that are also thin (sparse box, or at most 2 px wide and
        6 px long) are rain streaks and dropped before tracking (0 disables).
    busy_blobs_per_mpx, busy_min_area
        In a frame with more blobs than ``busy_blobs_per_mpx`` per megapixel (rain), blobs
        smaller than ``busy_min_area`` px are dropped.
    busy_min_points : int
        While the scene stays busy (a running mean of more than ``busy_blobs_per_mpx`` blobs
        a frame per megapixel), a track is judged only from this many samples on (6
        otherwise): among many blobs a chance chain of six is likelier. At 1280x720 in rain
        at night two such chains of raindrops alarmed; with 8 they do not, and no fall on
        five sets of 30 clips at 640x360 is lost.
    static_max_frac : float
        An accepted track alarms only if its object has left the places it was seen at:
        of its samples 0.3 s old or more and away from its last position, at most this share
        may still be foreground in the background model (with ``motion="background"``; at
        least three such samples, else no test). A chain of light changes (windows lit one
        after another at night, after a dimming step) stays foreground where it was seen:
        0.7 for the one such false alarm on a 1280x720 set; true falls on two sets of 30
        clips: 0 to 0.25. 0 turns the test off.
    glare_min_corr, glare_min_slope : float
        An accepted track alarms only if what moved is a thing in front of the facade, not
        light falling on it (the sun's reflection swept over the wall by a window being
        opened, a car's headlights at night). Light multiplies the wall's grey levels: the
        changed pixels get brighter and keep the wall's fine texture at full strength. An
        object hides the texture; one seen through motion blur or partly covering its
        pixels keeps a share of it, weakened by the share of the object. For up to
        ``glare_samples`` of the track's latest samples, the pixels that changed in the
        sample's box are compared with the same place in a frame of the track in which the
        object was elsewhere: their fine texture (log grey levels minus their 3x3 mean),
        over the changed pixels that lie on the wall's own texture and are below 240 in
        both frames (see :func:`light_texture`; numpy on small patches, only for tracks
        about to alarm). The track is light when, over at least three such samples, the
        median change is a brightening, the median correlation of the textures is at least
        ``glare_min_corr`` and the median slope of the current texture on the earlier one
        at least ``glare_min_slope`` (light: about 1; a bright object seen partly through:
        about ``1 - opacity`` times its wall's grey over the new grey: 0.74 for the suite's
        faint bright bag ``fall_18``, 0.63 for a paper of the + 90000 set). Judged at the
        alarm and once more, on the whole track, before its event goes out
        (``emit="end"``). Uses the last ``glare_frames`` grey frames (kept by reference,
        not copied). ``glare_min_corr=0`` turns the test off. A bright object fainter
        still (opacity under about 0.15) would look like light.
    glare_samples, glare_frames : int
        See ``glare_min_corr``.
    repeat_hold : float
        After a frame in which nothing moved (repeated content with fresh noise, or a still
        scene) the older reference frame is kept, up to this age in seconds.
    max_blobs : int
        More blobs than this in one frame (rain, foliage): the frame's blobs are not
        associated (tracks are kept, never reset).
    flood_per_mpx, flood_target_per_mpx : float
        Constant false-alarm rate. Block compression makes the difference noise blocky: most
        differences are exactly 0 (a robust sigma near 0.5) while whole blocks flip by many
        grey levels, so the noise threshold floods the frame with blobs. After 5 frames in a
        row with more than ``flood_per_mpx`` blobs per megapixel (of the detection
        resolution) or more than ``max_blobs`` (whichever is fewer: beyond it a frame's blobs
        are all dropped), the threshold is raised by 10 % per frame until a frame has at most
        ``flood_target_per_mpx`` per megapixel (and at most ``max_blobs / 2``); the gain then
        decays slowly while the rate stays below half of that. ``stats["gain"]`` is the
        current gain; ``flood_per_mpx=0`` disables it.
    subsample : int
        Step of the pixel subsample used for noise, light and duplicate statistics.
    pool : int
        Detect on frames mean-pooled in ``pool x pool`` blocks (1 = full resolution, 2 or 4);
        0 chooses from the noise of the stream's first difference image: 2 when
        ``noise_k`` robust sigmas of it exceed ``pool_above`` grey levels (night video),
        else 1. Pooling divides the sensor noise by ``pool`` so faint objects at least
        ``pool`` pixels wide are found; positions, boxes and areas stay in image pixels.
    pool_mode : "box" or "block"
        ``"box"``: means of the ``pool x pool`` box around every pixel (stride 1: the noise
        drops as much, positions keep full resolution); ``"block"``: means of disjoint blocks
        (``pool`` times fewer rows and columns: faster, coarser positions).
    pool_above : float
        Threshold (grey levels, full resolution) above which ``pool=0`` pools.

    Tracking
    --------
    max_gap : float
        Seconds a track may go undetected before it ends.
    link_gap : float
        A track is joined to the earlier fragment of the same object it continues (a track
        that ended at most this many seconds before it started: a faint object, rain,
        compression), when the fragment's end, moved on under gravity, meets the new track's
        start and both lie on one parabola (0 disables).
    link_points : int
        Samples a new track needs before its predecessor is looked for.
    sweep_every : int
        Track-before-detect (0 disables): every this many frames the blobs of the last
        ``sweep_window`` seconds are searched for falls directly (:func:`parabola_sweep`):
        each blob of the frames since the last sweep is paired with the blobs about 0.45,
        0.7 and 0.95 s earlier, and the frames voting for a descending parabola through
        the pair (height on the facade plane, any acceleration up to 1.15 g; x linear) are
        counted. A candidate with ``sweep_min_support`` frames that has fallen nearly
        ``min_drop_floors`` is judged by the same physics as a track. It finds small objects
        seen in only every other frame among noise blobs, which the trackers leave as short
        fragments. Needs a facade or ``px_per_m``.
    sweep_window : float
        Seconds of blob history the sweep searches.
    sweep_min_support : int
        Frames with a blob on the curve a sweep candidate needs (its two anchors included).
    sweep_hold : float
        Seconds an accepted sweep candidate waits before it alarms: when a tracker's track
        alarms on the same object meanwhile, that alarm stands and the candidate is dropped
        (a track's samples are the better evidence and give the better release point).
    sweep_min_inlier_frac : float
        Inlier fraction a sweep candidate's robust fit needs (a track's: the rules'
        ``min_inlier_frac``, 0.6): the sweep picks the best of many curves through the
        blobs, so a slow bird joined by a few unrelated blobs further down can fit one
        with a third of its samples off it.
    sweep_max_blobs : int
        In a busy frame (rain, snow, sensor flicker) the sweep looks at this many of the
        frame's blobs only, the largest: its work grows with the square of the blobs per
        frame (a 1280x720 night clip in rain has some 300 a frame, and the sweep took half a
        second each time). 0: no limit. 40 changed no result on five sets of 30 clips.
    sweep_tol_px : float
        Smallest distance (px, at the detection resolution) of a blob from a candidate
        curve that still supports it; larger blobs get half their linear size.
    base_gate_px : float
        Gate radius floor around a track's prediction.
    max_speed_mps, max_speed_px : float
        Largest plausible speed, in m/s (with a facade) or px/s (without).

    Physics and alarm
    -----------------
    min_drop_floors : float
        Alarm once the object has fallen this many floors (at its position).
    min_drop_px : float
        The same in pixels, used without a facade.
    exit_drop_floors : float
        A track whose object leaves the view through the bottom of the frame before it has
        fallen ``min_drop_floors`` is
        judged once more on everything seen, needing only this many floors (a fall from a
        low floor often leaves the picture first). The pixel distance without a facade is
        scaled alike.
    exit_min_density : float
        That exit judgement needs samples in at least this fraction of the frames the track
        spans (of the frames with new content, at a low content rate): a few blobs strung
        together over gaps by the tracker, ending low in the view, are not a fall (0
        disables).
    px_per_m : float or None
        Scale used for gravity without a facade (None: no gravity band, only a significant
        downward acceleration).
    drag_after : int
        Tracks with at least this many samples are fitted with the drag terms (air drag,
        perspective); shorter ones with the plain parabola. 0 disables the drag terms.
    origin_window : float
        The release point is traced back from a plain parabola fitted to the first
        ``origin_window`` seconds of the track (at least 5 samples).
    max_back : float
        Longest back-extrapolation to the release point (s).
    fit_size_sigma : float
        Floor of the robust fit's residual scale as a fraction of the object's size (the
        median square root of its blob areas; never below 0.25 px): the centroid of a large
        object moves by a few pixels as it turns or loses a part to the threshold, which is no
        outlier. 0 keeps the fixed 0.25 px floor.
    known_g_tol : float
        When that parabola's acceleration is within this fraction of the expected g (or two
        standard errors of it), the back-trace uses g itself (``physics.with_gravity``);
        0 always uses the fitted acceleration.
    first_back_frames : float
        An object still rising when first seen was released at least this many frame
        intervals earlier (detection delay of three-frame differencing).
    require_origin_in_facade : bool
        Reject tracks whose release point is outside the facade polygon.
    rectify : bool
        With a facade, judge the physics on the facade plane (floor coordinates), where the
        acceleration is g at every height, instead of in the image, where perspective makes
        it grow towards the bottom floors.
    rules : dict
        Overrides of :class:`~anfang.falling.physics.BallisticRules`.

    Evidence and events
    -------------------
    pre_seconds, post_seconds : float
        Frames kept for evidence around an event (``recent_frames``).
    keep_frames : bool
        Keep frames at all (the memory is ``(pre + post) * fps`` frames).
    emit : "end" or "alarm"
        Emit the event when the track ends (full trajectory) or at alarm time.
    backend : "auto", "rust" or "reference"
        Motion / tracking implementation.
    """

    frame_diff: int = 3
    noise_k: float = 3.0
    min_threshold: float = 6.0
    max_threshold: float = 80.0
    codec_zero_frac: float = 0.5
    codec_min_threshold: float = 10.0
    min_area: int = 2
    guide_specks: bool = True
    max_area_px: int = 5000
    max_size_floors: float = 1.0
    duplicate_eps: float = 0.05
    light_change_frac: float = 0.3
    shake: bool = True
    shake_min_px: float = 0.2
    shake_trigger: float = 0.01
    shake_crop: int = 384
    shake_edge_k: float = 0.5
    max_blobs: int = 500
    flood_per_mpx: float = 800.0
    flood_target_per_mpx: float = 100.0
    busy_blobs_per_mpx: float = 200.0
    busy_min_area: int = 5
    busy_min_points: int = 8
    streak_aspect: float = 3.0
    subsample: int = 4
    pool: int = 0
    pool_mode: str = "box"
    pool_above: float = 15.0
    repeat_hold: float = 0.5
    motion: str = "background"
    bg_alpha: float = 0.05
    bg_k: float = 1.3
    confirm_k: float = 1.0
    confirm_margin: int = 32
    slow_frames: int = 4
    slow_min_area: float = 2.0
    static_max_frac: float = 0.5
    glare_min_corr: float = 0.85
    glare_min_slope: float = 0.8
    glare_samples: int = 8
    glare_frames: int = 24
    known_g_tol: float = 0.25
    fit_size_sigma: float = 0.05
    max_gap: float = 0.3
    link_gap: float = 0.6
    link_points: int = 4
    sweep_every: int = 3
    sweep_window: float = 2.0
    sweep_min_support: int = 8
    sweep_tol_px: float = 2.0
    sweep_hold: float = 0.4
    sweep_min_inlier_frac: float = 0.8
    sweep_max_blobs: int = 40
    base_gate_px: float = 6.0
    max_speed_mps: float = 35.0
    max_speed_px: float = 1500.0
    min_drop_floors: float = 2.0
    min_drop_px: float = 60.0
    exit_drop_floors: float = 1.0
    exit_min_density: float = 0.5
    px_per_m: float | None = None
    drag_after: int = 10
    origin_window: float = 0.6
    max_back: float = 1.0
    first_back_frames: float = 2.0
    require_origin_in_facade: bool = True
    rectify: bool = True
    rules: dict = field(default_factory=dict)
    pre_seconds: float = 3.0
    post_seconds: float = 2.0
    keep_frames: bool = True
    emit: str = "end"
    backend: str = "auto"

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name in ("shake", "require_origin_in_facade", "keep_frames", "rectify", "guide_specks"):
                if not isinstance(v, bool):
                    raise TypeError(f"{f.name}: expected a bool, got {type(v).__name__} {v!r}")
            elif f.name in ("emit", "backend", "rules", "pool_mode", "motion"):
                continue
            elif f.name == "px_per_m":
                if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))
                                      or not math.isfinite(v) or v <= 0):
                    raise ValueError(f"px_per_m: expected a positive number or None, got {v!r}")
            else:
                check_number(f.name, v, lo=0)
        if self.frame_diff not in (2, 3):
            raise ValueError(f"frame_diff: expected 2 or 3, got {self.frame_diff!r}")
        if self.flood_per_mpx and self.flood_target_per_mpx >= self.flood_per_mpx:
            raise ValueError(f"flood_target_per_mpx: expected < flood_per_mpx ({self.flood_per_mpx}), "
                             f"got {self.flood_target_per_mpx}")
        if self.min_threshold > self.max_threshold:
            raise ValueError(f"min_threshold: expected <= max_threshold ({self.max_threshold}), got {self.min_threshold}")
        if not 0 <= self.codec_zero_frac <= 1:
            raise ValueError(f"codec_zero_frac: expected a fraction in [0, 1], got {self.codec_zero_frac}")
        if not 0 < self.light_change_frac <= 1:
            raise ValueError(f"light_change_frac: expected a fraction in (0, 1], got {self.light_change_frac}")
        if int(self.drag_after) != self.drag_after:
            raise ValueError(f"drag_after: expected an int, got {self.drag_after!r}")
        self.drag_after = int(self.drag_after)
        for name in ("subsample", "max_blobs", "min_area", "max_area_px", "shake_crop",
                     "busy_min_area", "sweep_min_support", "glare_samples", "glare_frames"):
            v = getattr(self, name)
            if int(v) != v or v < 1:
                raise ValueError(f"{name}: expected an int >= 1, got {v!r}")
            setattr(self, name, int(v))
        if isinstance(self.sweep_max_blobs, bool) or int(self.sweep_max_blobs) != self.sweep_max_blobs:
            raise ValueError(f"sweep_max_blobs: expected an int >= 0, got {self.sweep_max_blobs!r}")
        self.sweep_max_blobs = int(self.sweep_max_blobs)
        if isinstance(self.sweep_every, bool) or int(self.sweep_every) != self.sweep_every:
            raise ValueError(f"sweep_every: expected an int >= 0, got {self.sweep_every!r}")
        self.sweep_every = int(self.sweep_every)
        if not 0 <= self.sweep_min_inlier_frac <= 1:
            raise ValueError(f"sweep_min_inlier_frac: expected a fraction in [0, 1], got {self.sweep_min_inlier_frac!r}")
        if self.sweep_min_support < 3:
            raise ValueError(f"sweep_min_support: expected an int >= 3, got {self.sweep_min_support!r}")
        if isinstance(self.slow_frames, bool) or int(self.slow_frames) != self.slow_frames:
            raise ValueError(f"slow_frames: expected an int >= 0, got {self.slow_frames!r}")
        self.slow_frames = int(self.slow_frames)
        if isinstance(self.confirm_margin, bool) or int(self.confirm_margin) != self.confirm_margin:
            raise ValueError(f"confirm_margin: expected an int >= 0, got {self.confirm_margin!r}")
        self.confirm_margin = int(self.confirm_margin)
        if self.pool not in (0, 1, 2, 4):
            raise ValueError(f"pool: expected 0 (auto), 1, 2 or 4, got {self.pool!r}")
        self.pool = int(self.pool)
        if self.motion not in ("diff", "background"):
            raise ValueError(f"motion: expected 'diff' or 'background', got {self.motion!r}")
        if not 0 < self.bg_alpha <= 1:
            raise ValueError(f"bg_alpha: expected a number in (0, 1], got {self.bg_alpha!r}")
        if self.pool_mode not in ("box", "block"):
            raise ValueError(f"pool_mode: expected 'box' or 'block', got {self.pool_mode!r}")
        if self.emit not in ("end", "alarm"):
            raise ValueError(f"emit: expected 'end' or 'alarm', got {self.emit!r}")
        if self.backend not in ("auto", "rust", "reference"):
            raise ValueError(f"backend: expected 'auto', 'rust' or 'reference', got {self.backend!r}")
        if not isinstance(self.rules, Mapping):
            raise TypeError(f"rules: expected a mapping, got {type(self.rules).__name__}")
        self.rules = dict(self.rules)
        self.ballistic_rules  # validate now

    @property
    def ballistic_rules(self) -> BallisticRules:
        return BallisticRules.from_dict(self.rules)


def _diff_hist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Histogram of ``a - b`` (uint8 images): bin ``k`` counts the difference ``k - 255``."""
    d = a.astype(np.int16) - b.astype(np.int16)
    d += 255
    return np.bincount(d.ravel(), minlength=511)


def _hist_stats(hist: np.ndarray) -> tuple[float, float, Any]:
    """Median, robust sigma (1.4826 MAD + 0.5) and a changed-fraction function of a difference
    histogram (bin ``k`` counts the difference ``k - 255``)."""
    n = float(hist.sum())
    cum = np.cumsum(hist)
    med = int(np.searchsorted(cum, 0.5 * n)) - 255
    vals = np.arange(511) - 255
    dev = np.abs(vals - med)
    hd = np.bincount(dev, weights=hist, minlength=512)
    mad = int(np.searchsorted(np.cumsum(hd), 0.5 * n))
    sig = 1.4826 * mad + 0.5

    def changed_at(thr: float) -> float:
        return float(hist[dev > thr].sum()) / n

    return float(med), sig, changed_at


def light_texture(cur: np.ndarray, ref: np.ndarray, box: Any, dx: float = 0.0, dy: float = 0.0,
                  sigma: float = 2.0) -> tuple[float, float, float] | None:
    """Does the change inside ``box`` keep the wall's fine texture, as light does?

    ``cur`` and ``ref`` are grey frames; ``ref`` shows the place without the moving thing,
    read ``(dx, dy)`` pixels further (the camera's move between the two frames; a
    fraction of a pixel is split between the two frames, each read bilinearly half of it
    away, so both are smoothed alike). Over the pixels of ``box`` (``x0, y0, x1, y1``, one
    pixel of margin) that changed by more than 2.5 ``sigma``, are below 240 in both frames
    (saturation compresses) and lie on the wall's texture (the earlier grey minus its 3x3
    mean beyond 2 ``sigma``: an edge, a pane, a slab), with ``t = log(grey + 1)`` minus its
    3x3 mean in each frame, returns ``(corr, slope, change)``: the correlation of the two
    textures, the least-squares slope of the current texture on the earlier one, and the
    median grey-level change. Light falling on a wall multiplies it: about
    ``(1, 1, > 0)``. An opaque object: a correlation near 0. An object seen partly through
    (motion blur, a pixel it covers in part) with opacity ``a`` over grey ``B``: slope
    about ``(1 - a) B / cur``.

    None when fewer than 9 such pixels: a plain wall tells nothing.

    Examples
    --------
    >>> import numpy as np
    >>> wall = np.random.default_rng(0).uniform(40, 160, (30, 30))
    >>> lit = np.clip(wall * 1.5, 0, 255)  # a light on it
    >>> corr, slope, change = light_texture(lit.astype(np.uint8), wall.astype(np.uint8), (5, 5, 25, 25))
    >>> bool(corr > 0.95 and 0.9 < slope < 1.1 and change > 0)
    True
    >>> obj = wall.copy(); obj[8:22, 8:22] = 200.0  # a plain object in front of it
    >>> corr, slope, change = light_texture(obj.astype(np.uint8), wall.astype(np.uint8), (8, 8, 22, 22))
    >>> bool(abs(corr) < 0.3)
    True
    """
    cur = np.asarray(cur)
    ref = np.asarray(ref)
    if cur.ndim != 2 or ref.shape != cur.shape:
        raise ValueError(f"cur, ref: expected two grey frames of one size, got {cur.shape} and {ref.shape}")
    if not (math.isfinite(dx) and math.isfinite(dy)):
        raise ValueError(f"dx, dy: expected finite pixels, got {dx!r}, {dy!r}")
    H, W = cur.shape
    j0, i0 = max(int(math.floor(box[0])) - 1, 2), max(int(math.floor(box[1])) - 1, 2)
    j1, i1 = min(int(math.ceil(box[2])) + 1, W - 2), min(int(math.ceil(box[3])) + 1, H - 2)
    sj, si = int(math.floor(dx)), int(math.floor(dy))
    if (j1 - j0 < 3 or i1 - i0 < 3 or j0 + sj < 2 or i0 + si < 2 or j1 + sj > W - 2
            or i1 + si > H - 2):
        return None
    # the fractional part of the shift split evenly: the current frame read half of it
    # back and the reference half of it on, both bilinear, so that both are smoothed
    # alike (bilinear reading damps fine texture; damping only one side biases the slope)
    fx, fy = 0.5 * (dx - sj), 0.5 * (dy - si)

    def read(img: np.ndarray, i: int, j: int, ox: float, oy: float) -> np.ndarray:
        # rows i-1 .. i1-i0+i and columns j-1 .. j1-j0+j (one more on each side for the
        # 3x3 means), each read at +(ox, oy), |ox|, |oy| < 1, bilinearly
        n, m = i1 - i0 + 2, j1 - j0 + 2
        r0, c0 = i - 1 - int(oy < 0), j - 1 - int(ox < 0)
        a = img[r0:r0 + n + 1, c0:c0 + m + 1].astype(np.float64)
        wy, wx = oy % 1.0, ox % 1.0  # weights of the second row and column
        return ((1 - wy) * ((1 - wx) * a[:-1, :-1] + wx * a[:-1, 1:])
                + wy * ((1 - wx) * a[1:, :-1] + wx * a[1:, 1:]))

    C = read(cur, i0, j0, -fx, -fy)
    B = read(ref, i0 + si, j0 + sj, fx, fy)

    def fine(X: np.ndarray) -> np.ndarray:
        m = sum(X[a:a + X.shape[0] - 2, b:b + X.shape[1] - 2] for a in range(3) for b in range(3))
        return X[1:-1, 1:-1] - m / 9.0

    d = (C - B)[1:-1, 1:-1]
    # changed pixels, not near saturation (it compresses), where the wall has texture
    changed = ((np.abs(d) > 2.5 * sigma) & (C[1:-1, 1:-1] < 240) & (B[1:-1, 1:-1] < 240)
               & (np.abs(fine(B)) > 2.0 * sigma))
    if changed.sum() < 9:
        return None
    tc = fine(np.log(C + 1.0))[changed]
    tb = fine(np.log(B + 1.0))[changed]
    cc, bb = float((tc * tc).sum()), float((tb * tb).sum())
    if cc <= 0 or bb <= 0:
        return None
    cb = float((tc * tb).sum())
    return cb / math.sqrt(cc * bb), cb / bb, float(np.median(d[changed]))


class _Track:
    """Rows of one track: frame, t, x, y (image), xs, ys (stabilised), area, box."""

    __slots__ = ("tid", "rows", "t_last", "alarm", "n_eval", "emitted", "merged_into", "need",
                 "linked", "swept", "followed", "_l3", "_l3r")

    def __init__(self, tid: int) -> None:
        self.tid = tid
        self.rows: list[tuple] = []
        self.t_last = -math.inf
        self.alarm: dict | None = None
        self.n_eval = 0
        self.emitted = False
        self.merged_into: _Track | None = None
        self.need: float | None = None  # drop (px) needed before the physics test
        self.linked = False  # a predecessor fragment was looked for
        self.swept = False  # found by the sweep (judged with sweep_min_inlier_frac)
        self.followed = False  # its start was prepended from precursor tracks
        self._l3: tuple = ()  # (t, xs, ys) of the last three rows, for the link table
        self._l3r: tuple = ()  # ...and those rows themselves (immutable: the cache's key)

    def last3(self) -> tuple:
        """``(t, xs, ys)`` of the last three rows, oldest first (9 floats), cached while
        those rows stay the same objects."""
        r = self.rows
        a, b, c = r[-3], r[-2], r[-1]
        k = self._l3r
        if not k or k[0] is not a or k[1] is not b or k[2] is not c:
            self._l3r = (a, b, c)
            self._l3 = (a[1], a[4], a[5], b[1], b[4], b[5], c[1], c[4], c[5])
        return self._l3

    def arrays(self) -> dict[str, np.ndarray]:
        a = np.asarray([r[:7] for r in self.rows], dtype=np.float64)
        b = np.asarray([r[7] for r in self.rows], dtype=np.float64)
        return {"frame": a[:, 0].astype(np.int64), "t": a[:, 1], "x": a[:, 2], "y": a[:, 3],
                "xs": a[:, 4], "ys": a[:, 5], "area": a[:, 6], "bbox": b.reshape(-1, 4)}


class FallingObjectDetector(Detector):
    """Detect objects falling from a facade and trace them back to a floor.

    Parameters
    ----------
    facade : Facade, optional
        Calibration of the camera view (floors, columns, ignore polygons). Without one,
        distances are in pixels (``min_drop_px``) and no floor is reported.
    camera_id : str
        Copied into events (defaults to the facade's camera name).
    config : FallingConfig or mapping, optional
        Settings; individual settings may also be passed as keyword arguments.
    on_alarm : callable, optional
        ``on_alarm(event)`` is called at the moment of each alarm, whatever ``emit`` is,
        with the event so far (trajectory up to the alarm) and ``status`` ``"alarm"``; and
        again with ``status`` ``"withdrawn"`` (``reason`` ``"light"``) if the object is
        refused when its whole track is judged at its end. With the default
        ``emit="end"`` a live application so gets the alarm at once and the complete event
        (same ``track_id``) when the track ends. Exceptions it raises propagate.

    Notes
    -----
    Events have kind ``falling_object`` with ``trajectory`` (``[frame, t, x, y]`` rows in
    image pixels), ``origin`` (``x``, ``y``, ``t``, ``floor``, ``column``,
    ``floor_range``, ``method``), ``acceleration`` / ``acceleration_se`` (px/s²),
    ``g_ratio`` (fitted over expected gravity), ``speed`` (px/s at the last sample),
    ``size`` (median blob area, px), ``drop_px``, ``t_alarm`` and ``frame_alarm``.
    """

    def __init__(self, facade: Facade | None = None, camera_id: str = "",
                 config: FallingConfig | Mapping[str, Any] | None = None, *,
                 on_alarm: Callable[[Event], Any] | None = None, **kwargs: Any) -> None:
        if facade is not None and not isinstance(facade, Facade):
            raise TypeError(f"facade: expected a Facade or None, got {type(facade).__name__}")
        if on_alarm is not None and not callable(on_alarm):
            raise TypeError(f"on_alarm: expected a callable f(event) or None, got "
                            f"{type(on_alarm).__name__}")
        self.on_alarm = on_alarm
        if config is None:
            cfg = FallingConfig.from_dict(kwargs)  # (unknown keys: a ValueError naming them)
        elif isinstance(config, FallingConfig):
            cfg = FallingConfig(**{**config.to_dict(), **kwargs})
        elif isinstance(config, Mapping):
            cfg = FallingConfig.from_dict({**dict(config), **kwargs})
        else:
            raise TypeError(f"config: expected FallingConfig, a mapping or None, got {type(config).__name__}")
        super().__init__(camera_id or (facade.camera if facade is not None else ""))
        self.facade = facade
        self.config = cfg
        self._rules = cfg.ballistic_rules
        self._motion = _backend.Motion(cfg.backend)
        self._reset()

    # -- state ------------------------------------------------------------------------------
    def _reset(self) -> None:
        cfg = self.config
        g0 = 0.0
        if self.facade is not None:
            c = self.facade.polygon.mean(axis=0)
            g0 = self._expected_g(float(c[0]), float(c[1]))[0] or 0.0
        elif cfg.px_per_m is not None:
            g0 = GRAVITY * cfg.px_per_m
        self._tracker = _backend.make_tracker(cfg.backend, max_gap=cfg.max_gap,
                                              base_gate=cfg.base_gate_px,
                                              max_speed=self._max_speed_px(), gravity=g0)
        self._tracker2 = None
        self._last_rows: dict = {}
        if cfg.slow_frames > 0 and cfg.motion == "background":  # (slow silhouettes only there)
            self._tracker2 = _backend.make_tracker(cfg.backend, max_gap=cfg.max_gap,
                                                   base_gate=cfg.base_gate_px,
                                                   max_speed=self._max_speed_px(), gravity=g0)
        self._tracker_name = type(self._tracker).__module__
        self._hist: deque = deque(maxlen=2)  # (grey, camera offset x, y)
        self._slow: deque = deque(maxlen=2 * max(cfg.slow_frames, 1))  # the same, further back
        self._hist_t: deque = deque(maxlen=2)  # their times
        self._pos = (0.0, 0.0)
        self._bg: np.ndarray | None = None
        self._bg_pos = (0.0, 0.0)
        self._bg_n = 0
        self._ref: tuple | None = None  # (grey, camera offset, t) the offset is measured against
        self._shaky_until = -math.inf
        self._sigma: float | None = None
        self._zero = 0.0  # running share of exactly zero frame differences (a codec's skips)
        self._gain = 1.0  # threshold gain after a flood of blobs (compression artefacts)
        self._nb = 0.0  # running mean of the blobs per frame
        self._flood = False
        self._n_over = 0  # consecutive frames with a flood of blobs
        self._pool: int | None = None if self.config.pool == 0 else self.config.pool
        self._full_shape: tuple[int, int] | None = None
        self._ign: dict = {}
        self._tracks: dict[int, _Track] = {}
        self._frames: deque = deque()
        self._spare: list = []  # buffers of frames that left the ring, for reuse
        self._alarmed: list[_Track] = []
        self._ended: deque = deque()  # recently ended tracks without an alarm (fragments)
        # the last three (t, xs, ys) of each track in _ended, in its order: rows
        # _eR[_e_lo:_e_hi] (an ended track's rows never change; see _link_table)
        self._eR = np.empty((64, 9), dtype=np.float64)
        self._e_lo = self._e_hi = 0
        self._ltab: tuple | None = None  # see _link_table
        self._fg_now: tuple | None = None  # this frame's foreground mask and its offset
        self._grey: dict[int, np.ndarray] = {}  # recent full-size grey frames (light test)
        # recent frames' blobs: (frame, t, x, y, xs, ys, area, bbox, height, tolerances)
        self._blobs: deque = deque()
        self._swept = -1  # last frame index the sweep has used as an end frame
        self._pending: list = []  # sweep candidates on hold: (deadline, track)
        self._n_swept = 0
        self._next_event = 1
        self.stats = {"frames": 0, "duplicates": 0, "light_changes": 0, "busy": 0, "blobs": 0,
                      "repeats": 0, "slow": 0, "tracks": 0, "links": 0, "precursors": 0, "specks": 0, "gathered": 0, "sweeps": 0, "candidates": 0, "held": 0, "swept": 0, "fits": 0, "alarms": 0, "glare": 0, "threshold": float("nan"), "gain": 1.0, "codec": False,
                      "backend": self._motion.name, "tracker": self._tracker_name,
                      "pool": self._pool}

    def _max_speed_px(self) -> float:
        if self.facade is not None:
            ys = self.facade.polygon[:, 1]
            H = self.facade.image_size[1] if self.facade.image_size else None
            y = float(np.clip(ys.max(), 0, H - 1)) if H else float(ys.max())
            ppm = float(self.facade.px_per_m(y))
            if math.isfinite(ppm) and ppm > 0:
                return self.config.max_speed_mps * ppm
        return self.config.max_speed_px

    # -- evidence ---------------------------------------------------------------------------
    def recent_frames(self, t0: float, t1: float) -> list[tuple[int, float, np.ndarray]]:
        """Buffered ``(frame_index, t, frame)`` with ``t0 <= t <= t1`` (oldest first); the
        frames are copies (the buffer reuses its memory)."""
        return [(i, t, f.copy()) for i, t, f in self._frames if t0 <= t <= t1]

    # -- per frame --------------------------------------------------------------------------
    def _update(self, frame: np.ndarray, t: float) -> list[Event]:
        cfg = self.config
        fi = self.frame_index
        self.stats["frames"] += 1
        if self.facade is not None and self.facade.image_size is not None:
            W, H = self.facade.image_size
            if frame.shape[:2] != (H, W):
                raise ValueError(f"frame: expected {H}x{W} pixels (the facade calibration's image_size), "
                                 f"got {frame.shape[0]}x{frame.shape[1]}")
        if cfg.keep_frames:
            # copy into a recycled buffer: a fresh 6 MB allocation per 1080p RGB frame (and
            # its release) costs more than the copy, and slows every other allocation
            buf = None
            while self._spare and buf is None:
                b = self._spare.pop()
                if b.shape == frame.shape and b.dtype == frame.dtype:
                    buf = b
            if buf is None:
                buf = np.empty_like(frame)
            np.copyto(buf, frame)
            self._frames.append((fi, t, buf))
            horizon = cfg.pre_seconds + cfg.post_seconds + cfg.max_gap
            while self._frames and self._frames[0][1] < t - horizon:
                self._spare.append(self._frames.popleft()[2])
        g = to_gray(frame)
        if cfg.glare_min_corr > 0:
            self._grey[fi] = g
            if len(self._grey) > cfg.glare_frames:
                del self._grey[next(iter(self._grey))]
        events: list[Event] = []
        if self._full_shape is None:
            self._full_shape = g.shape
        elif g.shape != self._full_shape:
            raise ValueError(f"frame: expected the stream's size {self._full_shape}, got {g.shape[:2]}")
        P = self._pool or 1
        S = self._scale()
        if P > 1:
            g = self._work(g)
        if not self._hist:
            self._hist.append((g, self._pos))
            self._hist_t.append(t)
            return self._end_stale(t)
        prev = self._hist[-1][0]
        s = max(cfg.subsample, int(math.sqrt(g.size / 40000.0)))
        gs = g[::s, ::s]
        hist = _diff_hist(gs, prev[::s, ::s])
        if float((np.abs(np.arange(511) - 255) * hist).sum()) / gs.size < cfg.duplicate_eps \
                and np.array_equal(g, prev):
            self.stats["duplicates"] += 1
            return self._end_stale(t)
        med, sig, changed_at = _hist_stats(hist)
        quiet = self._sigma if self._sigma is not None else sig
        thr_q = float(np.clip(cfg.noise_k * quiet, cfg.min_threshold, cfg.max_threshold))
        # shake: only looked for when the difference is wider than the usual noise
        if cfg.shake and (self._sigma is None or sig > 1.3 * quiet or t <= self._shaky_until
                          or changed_at(thr_q) > cfg.shake_trigger):
            # the camera position is measured against a reference frame (not accumulated
            # frame to frame, where the small errors of every step would add up and bend
            # the stabilised trajectories)
            if self._ref is None or self._ref[0].shape != g.shape:
                self._ref = (prev, self._hist[-1][1], self._hist_t[-1])
            ref, (rx, ry), rt = self._ref
            dx, dy = self._shift_crop(ref, g)
            if math.hypot(dx, dy) > 0.25 * min(g.shape):
                return self._restart(g, t, "light_changes")
            step = math.hypot(rx + dx - self._pos[0], ry + dy - self._pos[1])
            if step >= cfg.shake_min_px and self._shift_explains(
                    ref, g, dx, dy, (self._pos[0] - rx, self._pos[1] - ry)):
                self._pos = (rx + dx, ry + dy)
                self._shaky_until = t + 2.0
            if t - rt > 5.0:  # keep the reference's lighting close to the scene's
                self._ref = (g, self._pos, t)
        aligned = []
        bx = by = 0
        for img, (px, py) in self._hist:
            ox, oy = self._pos[0] - px, self._pos[1] - py
            if math.hypot(ox, oy) >= cfg.shake_min_px:
                img = self._motion.warp(img, ox, oy)
                bx = max(bx, int(math.ceil(abs(ox))) + 1)
                by = max(by, int(math.ceil(abs(oy))) + 1)
            aligned.append(img)
        if aligned[-1] is not prev:  # statistics of the aligned difference
            med, sig, changed_at = _hist_stats(_diff_hist(gs, aligned[-1][::s, ::s]))
        if self._pool is None:  # pool=0: decided on the first (aligned) difference's noise
            self._pool = 2 if cfg.noise_k * sig > cfg.pool_above else 1
            self.stats["pool"] = self._pool
            if self._pool > 1:  # continue on pooled frames, restarting the differencing
                S = self._scale()
                self._pos = (self._pos[0] / S, self._pos[1] / S)
                self._hist.clear()
                self._slow.clear()
                self._hist.append((self._work(g), self._pos))
                self._hist_t.clear()
                self._hist_t.append(t)
                return self._end_stale(t)
        self._sigma = sig if self._sigma is None else 0.8 * self._sigma + 0.2 * sig
        thr = float(np.clip(cfg.noise_k * self._sigma, cfg.min_threshold, cfg.max_threshold))
        if cfg.codec_zero_frac > 0:
            self._zero = 0.8 * self._zero + 0.2 * float(hist[255]) / max(float(hist.sum()), 1.0)
            if self._zero >= cfg.codec_zero_frac:  # coded video: skipped blocks
                thr = min(max(thr, cfg.codec_min_threshold), cfg.max_threshold)
                self.stats["codec"] = True
        thr = min(thr * self._gain, cfg.max_threshold)
        self.stats["threshold"] = thr
        self.stats["gain"] = self._gain
        if changed_at(thr) > cfg.light_change_frac or abs(med) > 0.5 * thr:
            return self._restart(g, t, "light_changes")
        off = (0.0, 0.0)
        fgmask = None
        guided = None  # specks kept where a track expects its object (background motion)
        if cfg.motion == "background":
            fgmask, off = self._bg_mask(g, thr)
            self._fg_now = (fgmask, off)
            thr = thr * cfg.confirm_k  # the difference below only confirms motion
        # aligned frames differ at edges (interpolation, residual misregistration): there a
        # pixel must beat the threshold by shake_edge_k times the local gradient
        edge_k = cfg.shake_edge_k if (bx or by) else 0.0
        # the second reference (the first one again: a two-frame difference)
        p2 = aligned[0] if cfg.frame_diff == 3 else aligned[-1]
        mask = None
        if fgmask is None:
            if edge_k > 0:
                mask = self._motion.diff3_edge(p2, aligned[-1], g, thr, edge_k)
            elif len(aligned) == 2 and cfg.frame_diff == 3:
                mask = self._motion.diff3(aligned[0], aligned[1], g, thr)
            else:
                mask = self._motion.diff2(aligned[-1], g, thr)
        older = (self._hist[0], self._hist_t[0]) if len(self._hist) == 2 else None
        slow = list(self._slow)  # earlier frames, oldest first (this one not yet among them)
        self._hist.append((g, self._pos))
        self._hist_t.append(t)
        if cfg.slow_frames > 0:
            self._slow.append((g, self._pos))
        slow_blobs = None
        if mask is not None and (bx or by):  # strips uncovered by the alignment: no valid difference
            mask[:, :bx] = False
            mask[:, mask.shape[1] - bx:] = False
            mask[:by] = False
            mask[mask.shape[0] - by:] = False
        if mask is not None and self.facade is not None and self.facade.ignore:
            mask &= ~self._ignore_mask(g.shape)
        if fgmask is None:
            area, bbox, cen = self._motion.label(mask)
        else:
            # whole silhouettes from the background, kept where the frame difference shows
            # the object moving now (a repeated frame or a parked change shows nothing)
            if self.facade is not None and self.facade.ignore:
                fgmask &= ~self._ignore_mask(g.shape)
            area, bbox, cen = self._motion.label(fgmask)
            if off != (0.0, 0.0):  # background coordinates to the current frame's
                cen = cen + np.array(off)
                bbox = bbox + np.array([off[0], off[1], off[0], off[1]])
            big = area >= cfg.min_area  # specks go before the motion check (cheaper)
            if cfg.guide_specks and len(area) and not big.all():
                guided = self._expected_specks(cen, ~big, t)
                big |= guided
            area, bbox, cen = area[big], bbox[big], cen[big]
            if guided is not None:
                guided = guided[big]
            if len(area):
                # moving: a blob of the frame difference is centred in the box (labelled
                # in a window around each box only: at 1080p a full-frame pass is bound by
                # memory bandwidth)
                t_c = thr if edge_k > 0 else float(round(thr))  # the plain kernels' integer threshold
                H, W = g.shape  # strips uncovered by the alignment hold no valid difference
                valid = (bx, by, W - bx, H - by)
                moving = self._motion.diff3_blob(p2, aligned[-1], g, bbox, t_c, edge_k,
                                                 cfg.confirm_margin, valid)
                k = cfg.slow_frames
                if k > 0 and len(slow) >= 2 * k and np.any(~moving & (area >= cfg.slow_min_area)):
                    # a slow object (at rest just after its release, near the top of a
                    # throw, a large object moving less than its blurred edge per frame)
                    # shows no frame-to-frame difference: the same test against the frames
                    # k and 2k back. These blobs go to the second tracker only (see below)
                    # (not specks: a slow object is seen whole, and sensor noise makes many)
                    rest = np.nonzero(~moving & (area >= cfg.slow_min_area))[0]
                    far = []
                    ek = edge_k
                    for img, (px, py) in (slow[-2 * k], slow[-k]):
                        ox, oy = self._pos[0] - px, self._pos[1] - py
                        if math.hypot(ox, oy) >= cfg.shake_min_px:
                            img = self._motion.warp(img, ox, oy)
                            ek = cfg.shake_edge_k
                        far.append(img)
                    tk = thr if ek > 0 else float(round(thr))
                    sm = self._motion.diff3_blob(far[0], far[1], g, bbox[rest], tk, ek,
                                                 cfg.confirm_margin, valid)
                    rest = rest[sm]
                    slow_blobs = (area[rest], bbox[rest], cen[rest])
                    self.stats["slow"] += len(rest)
                area, bbox, cen = area[moving], bbox[moving], cen[moving]
                if guided is not None:
                    guided = guided[moving]
                    self.stats["specks"] += int(guided.sum())
        area, bbox, cen = self._blob_filter(area, bbox, cen, guided)
        if slow_blobs is not None and len(slow_blobs[0]):
            slow_blobs = self._blob_filter(*slow_blobs)
        if (not len(area) and older is not None and cfg.frame_diff == 3
                and t - older[1] <= cfg.repeat_hold):
            # nothing moved: the same content with fresh noise (a 10 fps camera in a 30 fps
            # stream) or a still scene. Keep the older frame as the second reference, so the
            # next change is differenced against two *different* earlier contents (with two
            # copies of one content the three-frame difference would keep the ghost)
            self._hist[0], self._hist_t[0] = older
            self.stats["repeats"] += 1
        if len(area) > cfg.busy_blobs_per_mpx * g.size * S * S / 1e6:
            # a busy frame (rain, snow, sensor flicker): only blobs that are not specks
            big = area >= cfg.busy_min_area
            area, bbox, cen = area[big], bbox[big], cen[big]
        self._nb = 0.8 * self._nb + 0.2 * len(area)  # (for the flood gain and _busy)
        if cfg.flood_per_mpx > 0:
            # constant false-alarm rate: compressed video's difference noise is blocky, not
            # Gaussian, and its robust sigma far too low; when the blob count floods, the
            # threshold gain rises until the count is back at an ordinary level
            mpx = g.size * S * S / 1e6
            high = min(cfg.flood_per_mpx * mpx, cfg.max_blobs)  # (beyond max_blobs: all lost)
            target = min(cfg.flood_target_per_mpx * mpx, 0.5 * cfg.max_blobs)
            self._n_over = self._n_over + 1 if len(area) > high else 0
            if self._n_over >= 5:  # a sustained flood (not one frame of a light change)
                self._flood = True
            if self._flood:
                if len(area) > target:
                    self._gain = min(self._gain * 1.1, 16.0)
                else:
                    self._flood = False
            elif self._gain > 1.0 and self._nb < 0.5 * target:
                self._gain = max(1.0, self._gain * 0.98)
        self.stats["blobs"] += len(area)
        if len(area) > cfg.max_blobs:
            self.stats["busy"] += 1
            area, bbox, cen = area[:0], bbox[:0], cen[:0]
            slow_blobs = None
        elif slow_blobs is not None and len(area) + len(slow_blobs[0]) > \
                cfg.busy_blobs_per_mpx * g.size * S * S / 1e6:
            big = slow_blobs[0] >= cfg.busy_min_area
            slow_blobs = tuple(v[big] for v in slow_blobs)
        if len(area) and (cfg.link_gap > 0 or cfg.sweep_every > 0):
            # kept for gathering a track's missed start and for the sweep
            xs, ys = cen[:, 0] - S * self._pos[0], cen[:, 1] - S * self._pos[1]
            self._blobs.append((fi, t, cen[:, 0].copy(), cen[:, 1].copy(), xs, ys,
                                area.astype(np.float64), bbox.astype(np.float64))
                               + self._heights(xs, ys, area))
            keep = max(2.0 * cfg.link_gap, cfg.sweep_window if cfg.sweep_every > 0 else 0.0)
            while self._blobs and self._blobs[0][1] < t - keep:
                self._blobs.popleft()
        events.extend(self._track(self._tracker, 0, area, bbox, cen, fi, t))
        if self._tracker2 is not None:
            # the second hypothesis: the same blobs and the slowly moving silhouettes, on a
            # tracker of its own (one falsely confirmed blob can take a track over; a fall
            # one tracker loses the other may keep). Its tracks are judged alike; a track
            # following an object the other already alarmed on is merged into that alarm
            if slow_blobs is not None and len(slow_blobs[0]):
                a2 = np.concatenate([area, slow_blobs[0]])
                b2 = np.concatenate([bbox, slow_blobs[1]])
                c2 = np.concatenate([cen, slow_blobs[2]])
            else:
                a2, b2, c2 = area, bbox, cen
            events.extend(self._track(self._tracker2, 1 << 40, a2, b2, c2, fi, t))
        if cfg.sweep_every > 0 and self.stats["frames"] % cfg.sweep_every == 0:
            self._sweep(t, fi)
        if self._pending:
            events.extend(self._flush_pending(t, fi))
        events.extend(self._end_stale(t))
        return events

    # -- track-before-detect ----------------------------------------------------------------
    def _heights(self, xs: np.ndarray, ys: np.ndarray, area: np.ndarray) -> tuple:
        """Per blob: height on the facade plane (m, up positive; or -y / px_per_m), the
        height tolerance (m) and the x tolerance (px) of the sweep; three Nones without a
        scale (no facade and no ``px_per_m``)."""
        cfg = self.config
        tol_px = np.maximum(cfg.sweep_tol_px * (self._pool or 1), 0.5 * np.sqrt(area))
        if self.facade is not None:
            fac = self.facade
            h = np.asarray(fac.floor_at(xs, ys), dtype=np.float64) * fac.floor_height_m
            ppm = np.asarray(fac.px_per_m(ys, xs), dtype=np.float64)
        elif cfg.px_per_m is not None:
            h = -ys / cfg.px_per_m
            ppm = np.full(len(ys), float(cfg.px_per_m))
        else:
            return (None, None, None)
        ok = np.isfinite(h) & np.isfinite(ppm) & (ppm > 0)
        if not ok.all():  # outside the mapping: left out of the sweep (NaN height)
            h = np.where(ok, h, np.nan)
            ppm = np.where(ok, ppm, 1.0)
        return (h, tol_px / ppm, tol_px)

    def _sweep(self, t: float, fi: int) -> None:
        """Search the recent blobs for falls the trackers missed (see ``sweep_every``); the
        accepted candidates are put on hold (:meth:`_flush_pending` alarms them)."""
        cfg = self.config
        wins = [b for b in self._blobs if b[8] is not None]
        new = sum(1 for b in wins if b[0] > self._swept)
        if new == 0 or len(wins) < cfg.sweep_min_support:
            return
        self._swept = wins[-1][0]
        self.stats["sweeps"] += 1
        h = np.concatenate([b[8] for b in wins])
        ok = np.isfinite(h)
        K = cfg.sweep_max_blobs
        if K > 0 and any(len(b[8]) > K for b in wins):
            # a busy scene (rain, snow, sensor flicker): the sweep's work grows with the
            # square of the blobs per frame; it looks at the K largest of each frame only
            sel = []
            for b in wins:
                m = np.isfinite(b[8])
                if m.sum() > K:
                    top = np.argsort(-np.where(m, b[6], -np.inf), kind="stable")[:K]
                    m = np.zeros(len(m), dtype=bool)
                    m[top] = True
                sel.append(m)
            ok = np.concatenate(sel)
        counts = np.array([len(b[8]) for b in wins])
        # blobs outside the facade mapping are left out
        fidx = np.repeat(np.arange(len(wins)), counts)[ok]
        offsets = np.zeros(len(wins) + 1, dtype=np.int64)
        np.cumsum(np.bincount(fidx, minlength=len(wins)), out=offsets[1:])
        cat = {k: np.concatenate([b[i] for b in wins])[ok] for k, i in
               (("x", 2), ("y", 3), ("xs", 4), ("ys", 5), ("area", 6), ("tol_h", 9), ("tol_x", 10))}
        bbox = np.concatenate([b[7] for b in wins])[ok]
        ft = np.array([b[1] for b in wins])
        fr = np.array([b[0] for b in wins])
        if self.facade is not None:
            drop = cfg.min_drop_floors * self.facade.floor_height_m
        else:
            drop = cfg.min_drop_px / float(cfg.px_per_m or 1.0)
        vx = 8.0 / cfg.max_speed_mps * self._max_speed_px()
        blob, cid, support, _acc = parabola_sweep(
            offsets, ft, cat["xs"], h[ok], cat["tol_x"], cat["tol_h"], lags=(0.45, 0.7, 0.95),
            a_min=0.0, a_max=1.15 * GRAVITY, n_bins=12, max_vx=vx, v_min=-4.0,
            v_max=cfg.max_speed_mps, back=0.3, min_support=cfg.sweep_min_support, max_gap=_SWEEP_MAX_GAP,
            min_drop=0.8 * drop, end_frames=new, max_out=4)
        if not len(support):
            return
        self.stats["candidates"] += len(support)
        fk = np.repeat(np.arange(len(wins)), np.diff(offsets))
        for c in range(len(support)):
            idx = blob[cid == c]
            rows = [(int(fr[fk[j]]), float(ft[fk[j]]), float(cat["x"][j]), float(cat["y"][j]),
                     float(cat["xs"][j]), float(cat["ys"][j]), float(cat["area"][j]),
                     tuple(float(v) for v in bbox[j])) for j in idx]
            rows = self._one_object(rows)
            if len(rows) < cfg.sweep_min_support:
                continue
            tr = _Track((2 << 40) + self._n_swept)
            tr.rows = rows
            tr.t_last = rows[-1][1]
            tr.linked = True
            tr.swept = True
            a = tr.arrays()
            host = self._continues(a, t)
            if host is not None:
                # the same object found again: a swept host grows with the new samples
                if host.tid >= (2 << 40) and not host.emitted:
                    self._add_rows(host, rows)
                continue
            if self._near_alarm(a):
                continue  # (edge fragments of a large object alarmed on: no second event)
            pend = next((p for p in self._pending if self._shares(p[1], a)), None)
            if pend is not None:  # found again before its hold ran out
                self._add_rows(pend[1], rows)
                continue
            if not self._consider(tr, t, fi, dry=True):
                continue
            # on hold: the trackers come first (the candidate alarms only if no track of
            # theirs has alarmed on the same object within sweep_hold seconds), and the
            # samples later sweeps find on it join it and are judged with it (a bird's slow
            # path joined by a few blobs below changes with every sweep; a fall's grows)
            self._n_swept += 1
            self.stats["held"] += 1
            self._pending.append((t + cfg.sweep_hold, tr))

    def _flush_pending(self, t: float, fi: int, final: bool = False) -> list[Event]:
        """Alarm the sweep candidates whose hold has run out (all when ``final``), unless a
        tracker's alarm has covered the object meanwhile."""
        out = []
        keep = []
        for deadline, tr in self._pending:
            if not final and t < deadline:
                keep.append((deadline, tr))
                continue
            te = min(t, deadline)
            a = tr.arrays()
            if self._continues(a, te) is not None or self._near_alarm(a):
                continue  # a tracker alarmed on it: its event stands
            if len(a["t"]) > 1 and float(np.diff(a["t"]).max()) > _SWEEP_MAX_GAP:
                continue  # grown by later sweeps into pieces with a gap the sweep itself rejects
            tr.n_eval = 0
            ev = self._consider(tr, te, fi)
            if tr.alarm is not None:
                self._tracks[tr.tid] = tr
                self.stats["swept"] += 1
                if ev is not None:
                    out.append(ev)
        self._pending = keep
        return out

    def _near_alarm(self, a: dict[str, np.ndarray]) -> bool:
        """Whether an alarmed track was within one floor height (or 30 px) of the candidate
        at their common frames (median distance): the sweep looks for missed objects, and a
        large object's leading and trailing edges (``motion="diff"``) are two curves."""
        for h in self._alarmed:
            ha = h.arrays()
            common, ia, ib = np.intersect1d(a["frame"], ha["frame"], return_indices=True)
            if not len(common):
                continue
            _, fh = self._expected_g(float(np.median(ha["xs"])), float(np.median(ha["ys"])))
            tol = max(fh or 0.0, 30.0)
            if float(np.median(np.hypot(a["xs"][ia] - ha["xs"][ib], a["ys"][ia] - ha["ys"][ib]))) <= tol:
                return True
        return False

    @staticmethod
    def _add_rows(tr: _Track, rows: list[tuple]) -> None:
        have = {r[0] for r in tr.rows}
        add = [r for r in rows if r[0] not in have]
        if add:
            tr.rows.extend(add)
            tr.rows.sort(key=lambda r: r[1])
            tr.t_last = max(tr.t_last, tr.rows[-1][1])

    @staticmethod
    def _shares(tr: _Track, a: dict[str, np.ndarray]) -> bool:
        """Whether ``a`` holds at least two of ``tr``'s samples (same frame and position)."""
        have = {(r[0], r[2], r[3]) for r in tr.rows}
        n = sum((int(f), float(x), float(y)) in have for f, x, y in zip(a["frame"], a["x"], a["y"]))
        return n >= 2

    @staticmethod
    def _one_object(rows: list[tuple]) -> list[tuple]:
        """A sweep candidate's rows without blobs unlike the others in size (more than 5
        times off the median area: noise specks along a large object's curve, or a large
        thing along a small one's); none at all when the earlier and later halves differ
        in median area by more than 4 times (one object at rest, another falling)."""
        ar = np.array([r[6] for r in rows])
        med = float(np.median(ar))
        keep = (ar >= med / 5.0) & (ar <= med * 5.0)
        rows = [r for r, k in zip(rows, keep) if k]
        if len(rows) < 4:
            return []
        ar = np.array([r[6] for r in rows])
        h = len(ar) // 2
        m1, m2 = float(np.median(ar[:h])), float(np.median(ar[h:]))
        if max(m1, m2) > 4.0 * min(m1, m2):
            return []
        return rows

    def _track(self, tracker: Any, offset: int, area: np.ndarray, bbox: np.ndarray,
               cen: np.ndarray, fi: int, t: float) -> list[Event]:
        """Feed one frame's blobs to ``tracker`` (ids shifted by ``offset``) and judge the
        tracks they extend."""
        S = self._scale()
        events: list[Event] = []
        # the tracker works in stabilised coordinates (camera shake removed)
        sb = bbox
        if self._pos != (0.0, 0.0) and len(bbox):
            ox, oy = S * self._pos[0], S * self._pos[1]
            sb = bbox - np.array([ox, oy, ox, oy])
        ids = np.asarray(tracker.update(sb, t=t), dtype=np.int64)
        self._ltab = None  # the tracks change: the link table is built anew
        touched = []
        for j in np.nonzero(ids >= 0)[0]:
            tid = int(ids[j]) + offset
            tr = self._tracks.get(tid)
            if tr is None:
                tr = self._tracks[tid] = _Track(tid)
                self.stats["tracks"] += 1
            x, y = float(cen[j, 0]), float(cen[j, 1])
            tr.rows.append((fi, t, x, y, x - S * self._pos[0], y - S * self._pos[1], float(area[j]),
                            tuple(float(v) for v in bbox[j])))
            tr.t_last = t
            host = tr.merged_into
            if host is not None and not host.emitted and host.rows[-1][0] != fi:
                host.rows.append(tr.rows[-1])
                host.t_last = t
            touched.append(tr)
        if offset == 0:
            self._last_rows = {tr.rows[-1]: tr for tr in touched}
        for tr in touched:
            if offset:
                # a track of the second tracker holding exactly the samples of a track of
                # the first one would only repeat its judgement
                twin = self._last_rows.get(tr.rows[-1])
                n = len(tr.rows)
                if twin is not None and len(twin.rows) >= n and twin.rows[-n:] == tr.rows:
                    continue
            ev = self._consider(tr, t, fi)
            if ev is not None:
                events.append(ev)
        return events

    def _image_cen(self, cen: np.ndarray) -> np.ndarray:
        """Blob centres at the detection resolution in image pixels."""
        P = self._pool or 1
        S = self._scale()
        if P > 1:
            if S > 1:  # blocks
                return (cen + 0.5) * S - 0.5
            return cen + 0.5 * (P - 1)  # box means at stride 1: centred (P - 1) / 2 further
        return cen

    def _expected_specks(self, cen: np.ndarray, small: np.ndarray, t: float) -> np.ndarray:
        """Which of the ``small`` blobs (centres ``cen`` at the detection resolution, in
        the current frame) lie where a live descending track expects its object at ``t``
        (see ``guide_specks``)."""
        out = np.zeros(len(cen), dtype=bool)
        P = self._pool or 1
        S = self._scale()
        px, py = S * self._pos[0], S * self._pos[1]
        speck = self.config.min_area * S * S  # (image px)
        exp = []
        for tr in self._tracks.values():
            rows = tr.rows
            if len(rows) < 4 or tr.merged_into is not None:
                continue
            r2, r3 = rows[-2], rows[-1]
            dt = t - r3[1]
            if not 0.0 < dt <= 0.2 or r3[1] <= r2[1]:
                continue
            vy = (r3[5] - r2[5]) / (r3[1] - r2[1])
            if vy <= 0.0 or r3[5] - rows[0][5] < 2.0:
                continue  # not descending
            if sorted(r[6] for r in rows[-4:])[2] > 12.0 * P * P:
                continue  # a larger object does not shrink to a speck
            if all(r[6] < speck for r in rows[-3:]):
                continue  # specks only extend a track that still has blobs of its own
            vx = (r3[4] - r2[4]) / (r3[1] - r2[1])
            g = self._expected_g(r3[4], r3[5])[0] or 0.0
            step = math.hypot(vx, vy) * dt
            tol = max(2.0 * P, 0.5 * math.sqrt(r3[6])) + 0.25 * step
            exp.append((r3[4] + vx * dt + px, r3[5] + vy * dt + 0.5 * g * dt * dt + py, tol))
        if not exp:
            return out
        idx = np.nonzero(small)[0]
        c = self._image_cen(cen[idx])
        # (a grid search in the core: rain makes a thousand specks and hundreds of places)
        out[idx[self._motion.near_any(c, np.asarray(exp))]] = True
        return out

    def _blob_filter(self, area: np.ndarray, bbox: np.ndarray, cen: np.ndarray,
                     guided: np.ndarray | None = None) -> tuple:
        """Blobs at the detection resolution back to image pixels, without specks (but the
        ``guided`` ones, see ``guide_specks``), blobs too large for a falling object and
        rain streaks."""
        cfg = self.config
        P = self._pool or 1
        S = self._scale()
        if P > 1:  # back to image pixels
            if S > 1:  # blocks
                area = area * (S * S)
                bbox = bbox * S
            else:  # box means at stride 1
                bbox = bbox + np.array([0.0, 0.0, P - 1.0, P - 1.0])
            cen = self._image_cen(cen)
        small_ok = (area >= cfg.min_area) if guided is None else ((area >= cfg.min_area) | guided)
        keep = small_ok & (area <= self._max_area(cen))
        if cfg.streak_aspect > 0 and len(area):
            # rain: thin streaks (long and narrow, or long with a sparse box)
            bw = bbox[:, 2] - bbox[:, 0]
            bh = bbox[:, 3] - bbox[:, 1]
            lo = np.minimum(bw, bh)
            hi = np.maximum(bw, bh)
            streak = (hi >= cfg.streak_aspect * lo) & (
                (area <= 0.5 * bw * bh) | ((lo <= 2) & (hi >= 6)))
            keep &= ~streak
        return area[keep], bbox[keep], cen[keep]

    def _bg_mask(self, g: np.ndarray, thr: float) -> tuple[np.ndarray, tuple[float, float]]:
        """Foreground against a running-average background kept at a fixed camera offset.

        The frame is aligned to the background's offset (no resampling of the background
        itself, so it never blurs); returns the mask in the background's coordinates and the
        offset to add to positions found in it to get the current frame's coordinates."""
        cfg = self.config
        B = self._bg
        if B is None or B.shape != g.shape:
            self._bg = g.astype(np.float32)
            self._bg_pos = self._pos
            self._bg_n = 1
            return np.zeros(g.shape, dtype=bool), (0.0, 0.0)
        ox, oy = self._pos[0] - self._bg_pos[0], self._pos[1] - self._bg_pos[1]
        shifted = math.hypot(ox, oy) >= cfg.shake_min_px
        gb = self._motion.warp(g, -ox, -oy) if shifted else g
        a = cfg.bg_alpha
        self._bg_n += 1
        # the background's own noise: one frame at the start, then alpha / (2 - alpha)
        var_b = max(a / (2.0 - a), 1.0 / self._bg_n)
        lim = cfg.bg_k * thr / math.sqrt(2.0) * math.sqrt(1.0 + var_b)
        # selective update: foreground pixels are absorbed ten times more slowly (a parked
        # object becomes background after a while, a passing one never does)
        fg = self._motion.bg_step(B, gb, lim, a, 0.1, cfg.shake_edge_k if shifted else 0.0)
        if shifted:
            m = int(math.ceil(max(abs(ox), abs(oy)))) + 1
            fg[:m] = False
            fg[fg.shape[0] - m:] = False
            fg[:, :m] = False
            fg[:, fg.shape[1] - m:] = False
        return fg, (ox, oy)

    def _scale(self) -> int:
        """Image pixels per detection pixel (the block size when block-pooling, else 1)."""
        P = self._pool or 1
        return P if self.config.pool_mode == "block" else 1

    def _work(self, g: np.ndarray) -> np.ndarray:
        """The frame at the detection resolution (``pool`` > 1)."""
        if self.config.pool_mode == "block":
            return self._motion.pool(g, self._pool)
        return self._motion.box(g, self._pool)

    def _ignore_mask(self, shape: tuple[int, int]) -> np.ndarray:
        """The facade's ignore mask at the detection resolution (a pooled block is ignored
        when at least half of it is)."""
        m = self._ign.get(shape)
        if m is None:
            P = self._pool or 1
            full = self.facade.ignore_mask(self._full_shape)  # type: ignore[union-attr]
            if P > 1:
                m = self._work(full.astype(np.uint8) * 255) >= 128
            else:
                m = full
            self._ign[shape] = m
        return m

    def _restart(self, g: np.ndarray, t: float, reason: str) -> list[Event]:
        """Skip this frame for motion and restart differencing from it (tracks are kept)."""
        self.stats[reason] += 1
        self._ref = None
        self._bg = None
        self._fg_now = None
        self._hist.clear()
        self._slow.clear()
        self._hist.append((g, self._pos))
        self._hist_t.clear()
        self._hist_t.append(t)
        return self._end_stale(t)

    def _shift_crop(self, prev: np.ndarray, cur: np.ndarray) -> tuple[float, float]:
        """Global shift estimated on a central crop of at most ``shake_crop`` pixels a side."""
        H, W = cur.shape
        c = self.config.shake_crop
        h, w = min(H, c), min(W, c)
        y0, x0 = (H - h) // 2, (W - w) // 2
        return self._motion.shift(prev[y0:y0 + h, x0:x0 + w], cur[y0:y0 + h, x0:x0 + w])

    def _shift_explains(self, prev: np.ndarray, cur: np.ndarray, dx: float, dy: float,
                        base: tuple[float, float] = (0.0, 0.0)) -> bool:
        """Accept a global shift only if it explains the frame: aligning a central crop must
        lower the mean absolute difference clearly (a moving object on a plain background
        can pull a phase correlation towards its own motion; that must not move the camera).
        Across a global light change (the crops' means differ by over 5 %) the earlier crop
        is first matched to the current one's mean and standard deviation."""
        H, W = cur.shape
        h, w = min(H, 256), min(W, 256)
        y0, x0 = (H - h) // 2, (W - w) // 2
        a = prev[y0:y0 + h, x0:x0 + w]
        b = cur[y0:y0 + h, x0:x0 + w].astype(np.int16)
        m = int(math.ceil(max(abs(dx), abs(dy), abs(base[0]), abs(base[1])))) + 1
        if h <= 2 * m or w <= 2 * m:
            return False
        inner = (slice(m, h - m), slice(m, w - m))
        a0 = (self._motion.warp(a, base[0], base[1]) if base != (0.0, 0.0) else a)[inner]
        a1 = self._motion.warp(a, dx, dy)[inner]
        bi = b[inner]
        ma, mb = float(a0.mean()), float(bi.mean())
        if abs(mb - ma) > 0.05 * max(ma, 1.0):
            # a global light change in the same frame (the camera may move in it too): the
            # earlier crop brought to the current one's brightness and contrast first
            sa, sb = float(a0.std()), float(bi.std())
            k = sb / sa if sa > 0 else 1.0
            e0 = float(np.abs(bi - ((a0 - ma) * k + mb)).mean())
            e1 = float(np.abs(bi - ((a1 - ma) * k + mb)).mean())
        else:
            e0 = float(np.abs(bi - a0.astype(np.int16)).mean())
            e1 = float(np.abs(bi - a1.astype(np.int16)).mean())
        if base != (0.0, 0.0):  # a correction of an offset already measured
            return e1 < 0.97 * e0
        return e1 < 0.8 * e0 and e0 - e1 > 0.25

    def _max_area(self, cen: np.ndarray) -> np.ndarray:
        if self.facade is None or len(cen) == 0:
            return np.full(len(cen), float(self.config.max_area_px))
        fh = np.asarray(self.facade.floor_height_px(cen[:, 1], cen[:, 0]), dtype=np.float64)
        fh = np.where(np.isfinite(fh), fh, 0.0)
        side = self.config.max_size_floors * fh
        return np.maximum(side * side, 16.0)

    # -- physics per track ------------------------------------------------------------------
    def _drop_needed(self, x: float, y: float) -> float:
        if self.facade is not None:
            fh = float(self.facade.floor_height_px(y, x))
            if math.isfinite(fh) and fh > 0:
                return self.config.min_drop_floors * fh
        return self.config.min_drop_px

    def _expected_g(self, x: float, y: float) -> tuple[float | None, float | None]:
        if self.facade is not None:
            fh = float(self.facade.floor_height_px(y, x))
            if math.isfinite(fh) and fh > 0:
                return GRAVITY * fh / self.facade.floor_height_m, fh
        if self.config.px_per_m is not None:
            return GRAVITY * self.config.px_per_m, None
        return None, None

    def _evaluate(self, a: dict[str, np.ndarray], swept: bool = False) -> tuple[TrackFit, Verdict] | None:
        n = len(a["t"])
        drag = 0 < self.config.drag_after <= n
        # the robust scale's floor grows with the object: the centroid of a large blob moves
        # by a few pixels as it turns or loses a part, which is no outlier
        ms = max(0.25, self.config.fit_size_sigma * float(np.median(np.sqrt(a["area"]))))
        try:
            fit = fit_track(a["t"], a["xs"], a["ys"], drag=drag, min_sigma=ms)
        except ValueError:
            return None
        self.stats["fits"] += 1
        xm, ym = float(np.median(a["xs"])), float(np.median(a["ys"]))
        eg, fh = self._expected_g(xm, ym)
        judged = fit
        rect = self._rectify(a, xm, ym)
        if rect is not None:
            # judge the physics on the facade plane: under a steep perspective the image
            # acceleration of a falling object grows several-fold from the top floors to the
            # bottom ones; on the plane it is g (coordinates in pixels at the track's median
            # position, so the pixel rules keep their meaning)
            try:
                judged = fit_track(a["t"], rect[0], rect[1], drag=drag, min_sigma=ms)
            except ValueError:
                judged = fit
        b = a["bbox"]
        rules = self._rules
        P = self._pool or 1
        extra = 0.0
        if self._low_rate() and float(np.median(np.diff(a["frame"]))) >= 2:
            # low frame rate content (8 fps in a 25 fps stream): the object moves far per
            # sample and its blob (motion blur, three-frame difference against far-apart
            # contents) is less exactly placed: allow 5 % of the median step
            extra = 0.05 * float(np.median(np.hypot(np.diff(a["xs"]), np.diff(a["ys"]))))
        if P > 1 or extra:  # faint objects in noise: fragmentary blobs, coarser positions
            rules = dataclasses.replace(rules, max_rms_px=rules.max_rms_px * P + extra)
        if self.config.motion == "diff":  # edge fragments fill their boxes sparsely
            rules = dataclasses.replace(rules, min_fill=0.0)
        if swept:  # the best of many curves through the blobs: fewer outliers allowed
            rules = dataclasses.replace(rules, min_inlier_frac=max(
                rules.min_inlier_frac, self.config.sweep_min_inlier_frac))
        v = ballistic_verdict(judged, expected_g=eg, areas=a["area"], widths=b[:, 2] - b[:, 0],
                              heights=b[:, 3] - b[:, 1], floor_px=fh, rules=rules)
        return fit, v

    def _origin_on_plane(self, a: dict[str, np.ndarray], early: np.ndarray, dt: float) -> Any:
        """The back-trace on the facade plane (homography calibrations): the release time
        from a parabola fitted to the rectified early samples (under perspective the image
        parabola's apex is biased), the release floor from its height there, the column from
        the samples' column coordinate moved on linearly. None when not applicable."""
        fac = self.facade
        if fac is None or not self.config.rectify or not fac.has_homography:
            return None
        sub = {k: v[early] for k, v in a.items()}
        xm, ym = float(np.median(sub["xs"])), float(np.median(sub["ys"]))
        rect = self._rectify(sub, xm, ym)
        if rect is None:
            return None
        try:
            fr = fit_track(sub["t"], rect[0], rect[1])
        except ValueError:
            return None
        if fr.accel <= 0:
            return None
        s0 = float(fac.px_per_m(ym, xm))
        fr = self._known_g(fr, GRAVITY * s0)
        orr = trace_origin(fr, None, max_back=self.config.max_back,
                           min_back=self.config.first_back_frames * dt)
        fm = float(fac.floor_at(xm, ym))
        per_floor = fac.floor_height_m * s0  # rectified px per floor
        fv = fm - (orr.y - ym) / per_floor
        uv = np.asarray(fac.to_facade(np.column_stack([sub["xs"], sub["ys"]])), dtype=np.float64)
        if not np.all(np.isfinite(uv)) or not math.isfinite(fv):
            return None
        tt = sub["t"] - sub["t"][0]
        cu = np.polyfit(tt, uv[:, 0], 1) if len(tt) > 1 and np.ptp(tt) > 0 else np.array([0.0, uv[0, 0]])
        u = float(np.polyval(cu, orr.t - sub["t"][0]))
        xy = np.asarray(fac.to_image([[u, fv - fac.lowest_floor]]), dtype=np.float64).reshape(2)
        if not np.all(np.isfinite(xy)) or not bool(fac.contains([xy])[0]):
            return None
        half = 1.96 * orr.y_se / per_floor
        floor = int(math.floor(fv))
        rng = (min(int(math.floor(fv - half)), floor), max(int(math.floor(fv + half)), floor))
        col = int(math.floor(u)) if fac.has_columns else None
        return Origin(t=orr.t, x=float(xy[0]), y=float(xy[1]), x_se=orr.x_se,
                      y_se=orr.y_se, floor=floor, floor_value=fv, floor_range=rng, column=col,
                      method=orr.method + "-plane")

    def _known_g(self, fit: TrackFit, g: float) -> TrackFit:
        """``fit`` with its acceleration fixed at the expected ``g`` when the fitted one is
        consistent with it (within ``known_g_tol`` of g or two standard errors): a heavy
        object's back-trace then carries no acceleration error. Drag-limited objects keep
        their fitted acceleration."""
        tol = self.config.known_g_tol
        if tol <= 0 or not (g > 0) or abs(fit.accel - g) > max(tol * g, 2.0 * fit.accel_se):
            return fit
        try:
            return with_gravity(fit, g)
        except ValueError:
            return fit

    def _rectify(self, a: dict[str, np.ndarray], xm: float, ym: float) -> tuple | None:
        """The track's stabilised positions on the facade plane, in pixels of the scale at
        ``(xm, ym)``: vertical from the continuous floor coordinate, horizontal from the
        image column scaled by the local pixels per metre. None without a facade or where
        the mapping is not finite."""
        fac = self.facade
        if fac is None or not self.config.rectify:
            return None
        s0 = float(fac.px_per_m(ym, xm))
        if not math.isfinite(s0) or s0 <= 0:
            return None
        fl = np.asarray(fac.floor_at(a["xs"], a["ys"]), dtype=np.float64)
        si = np.asarray(fac.px_per_m(a["ys"], a["xs"]), dtype=np.float64)
        if not (np.all(np.isfinite(fl)) and np.all(np.isfinite(si)) and np.all(si > 0)):
            return None
        fm = float(fac.floor_at(xm, ym))
        Y = ym - (fl - fm) * fac.floor_height_m * s0
        X = xm + (a["xs"] - xm) * (s0 / si)
        return X, Y

    def _origin(self, a: dict[str, np.ndarray], fit: TrackFit, verdict: Verdict | None = None,
                followed: bool = False) -> Any:
        """Back-trace from a plain parabola over the first ``origin_window`` seconds (after
        any leading samples the whole track's robust fit rejects: a track that took other
        blobs before the object appeared). A track seen only at its terminal speed has no
        parabola to trace: see :meth:`_origin_terminal` (``followed``: its start was
        followed by precursor tracks)."""
        if verdict is not None and verdict.features.get("terminal"):
            o = self._origin_terminal(a, verdict, followed)
            if o is not None:
                return o
        w = np.asarray(fit.w)
        if len(w) == len(fit.t) and len(w) and w[0] == 0 and np.any(w > 0):
            t_ok = float(fit.t[int(np.argmax(w > 0))])
            keep = a["t"] >= t_ok
            if keep.sum() >= 5:
                a = {k: v[keep] for k, v in a.items()}
        early = a["t"] <= a["t"][0] + self.config.origin_window
        if early.sum() < 5:
            early = np.arange(len(a["t"])) < 5
        try:
            f0 = fit_track(a["t"][early], a["xs"][early], a["ys"][early])
        except ValueError:
            f0 = fit
        if f0.accel <= 0:
            f0 = fit
        eg, _ = self._expected_g(float(np.median(a["xs"][early])), float(np.median(a["ys"][early])))
        if eg and not (self.facade is not None and self.config.rectify and self.facade.has_homography):
            f0 = self._known_g(f0, eg)  # (under a homography the plane's back-trace does this)
        dt = float(np.median(np.diff(a["t"]))) if len(a["t"]) > 1 else 0.0
        o = trace_origin(f0, self.facade, max_back=self.config.max_back,
                         min_back=self.config.first_back_frames * dt)
        if o.method != "facade":
            o = self._origin_on_plane(a, early, dt) or o
        # floor and column come from the stabilised position (the calibration's frame); the
        # reported point is in raw image pixels like the trajectory (camera offset at the
        # track's first sample)
        ox, oy = float(a["x"][0] - a["xs"][0]), float(a["y"][0] - a["ys"][0])
        if ox or oy:
            o = dataclasses.replace(o, x=o.x + ox, y=o.y + oy)
        return o

    def _origin_terminal(self, a: dict[str, np.ndarray], verdict: Verdict,
                         followed: bool = False) -> Origin | None:
        """Release point of a track judged at its terminal speed (method ``"terminal"``).

        Released from rest, an object under quadratic drag with terminal speed ``vt`` has
        fallen ``vt² / 2g * ln(1 / (1 - (v / vt)²))`` when its speed is ``v``. With ``vt`` the
        track's steady speed and ``v`` its speed over its first 0.3 s (capped at 95 % of
        ``vt``), that is how far above its first observed point it was released. When the
        start of the path was ``followed`` by precursor tracks (:meth:`_precursors`), the
        distance is the smaller of that and a fit of the fall from rest under quadratic
        drag to the path's first 1.5 s (:meth:`_drag_fallen`): a centroid jumping where one
        track's silhouette of the object hands over to another's makes either too large,
        the early speed more so on a short start, the fit more so on a sparse one. The floor
        range runs from the first point's floor to one floor above the 95 % distance. The
        reported point is the first observed one (the column is taken there)."""
        fac = self.facade
        vt = float(verdict.features.get("terminal_speed", 0.0))
        x0, y0 = float(a["xs"][0]), float(a["ys"][0])
        ox, oy = float(a["x"][0] - x0), float(a["y"][0] - y0)
        floor = column = None
        floor_value = float("nan")
        rng = None
        if fac is not None and vt > 0:
            xm, ym = float(np.median(a["xs"])), float(np.median(a["ys"]))
            rect = self._rectify(a, xm, ym)
            s0 = float(fac.px_per_m(ym, xm))
            first = float(fac.floor_at(x0, y0))
            if rect is None or not (s0 > 0) or not math.isfinite(first):
                return None
            tt = a["t"] - a["t"][0]
            early = tt <= max(0.3, float(tt[min(3, len(tt) - 1)]))
            v1 = float(np.polyfit(tt[early], rect[1][early], 1)[0]) / s0 if early.sum() >= 2 else vt
            ratio = min(max(v1 / vt, 0.0), 0.95)

            def rise(r: float) -> float:  # metres fallen from rest to r * vt
                return vt * vt / (2.0 * GRAVITY) * math.log(1.0 / (1.0 - r * r))

            fallen = rise(ratio)
            if followed:
                fallen = min(self._drag_fallen(tt, rect[1] / s0, vt), fallen)
            floor_value = first + fallen / fac.floor_height_m
            floor = int(math.floor(floor_value))
            top = int(math.floor(first + rise(0.95) / fac.floor_height_m)) + 1
            rng = (int(math.floor(first)), max(top, floor))
            if fac.has_columns:
                cv = float(fac.column_at(x0, y0))
                column = int(math.floor(cv)) if math.isfinite(cv) else None
        return Origin(t=float(a["t"][0]), x=x0 + ox, y=y0 + oy, x_se=0.0, y_se=0.0, floor=floor,
                      floor_value=floor_value, floor_range=rng, column=column, method="terminal")

    @staticmethod
    def _drag_fallen(t: np.ndarray, y: np.ndarray, vt: float) -> float:
        """Metres fallen before the first sample, from a fit of a fall from rest under
        quadratic drag with terminal speed ``vt`` (m/s) to the samples of the first 1.5 s
        (``t`` in s, ``y`` in m, down positive): ``y(t) = y_r + vt²/g ln cosh(g (t - t_r) / vt)``
        for ``t >= t_r``. The release time ``t_r`` is searched on a 20 ms grid up to 3 s
        before the first sample, ``y_r`` is the median offset, and the grid point with the
        least absolute residual wins."""
        keep = t <= t[0] + 1.5
        tt, yy = t[keep], y[keep]
        if len(tt) < 4 or vt <= 0:
            return 0.0
        grid = np.arange(tt[0] - 3.0, tt[0] + 1e-9, 0.02)  # candidate release times
        tau = np.maximum(tt[None, :] - grid[:, None], 0.0)
        f = vt * vt / GRAVITY * np.log(np.cosh(np.minimum(GRAVITY * tau / vt, 50.0)))
        yr = np.median(yy[None, :] - f, axis=1)
        cost = np.abs(yy[None, :] - yr[:, None] - f).sum(axis=1)
        return float(f[int(np.argmin(cost)), 0])

    def _consider(self, tr: _Track, t: float, fi: int, leaving: bool = False,
                  dry: bool = False) -> Any:
        """Judge a track; ``leaving``: it has just left the view (or the stream ended), so it
        is judged once more on all that was seen, with the shorter ``exit_drop_floors``.
        ``dry``: only whether it would alarm (True / None), nothing recorded."""
        if tr.alarm is not None or tr.merged_into is not None:
            return None
        if not tr.linked and len(tr.rows) >= self.config.link_points:
            tr.linked = True
            if self.config.link_gap > 0:
                if not self._link(tr) and self._low_rate():
                    self._gather(tr)
        n = len(tr.rows)
        if n < self._rules.min_points or (not leaving and n < tr.n_eval + 1 + tr.n_eval // 8):
            return None  # re-test a rejected track only once it has grown
        if n < self.config.busy_min_points and self._busy():
            return None  # among many blobs a chance chain of a few is likelier
        first, last = tr.rows[0], tr.rows[-1]
        if tr.need is None:
            tr.need = self._drop_needed(first[4], first[5])
        need = tr.need
        if leaving:
            need *= self.config.exit_drop_floors / max(self.config.min_drop_floors, 1e-9)
        if last[5] - first[5] < need:
            return None
        if leaving and self.config.exit_min_density > 0:
            # the looser exit drop only for a track seen in most of its frames (of the
            # stream's distinct contents, at a low content rate)
            content = max(self._content_fraction(), 0.1) if self._low_rate() else 1.0
            if n < self.config.exit_min_density * content * (last[0] - first[0] + 1):
                return None
        a = tr.arrays()
        tr.n_eval = n
        res = self._evaluate(a, tr.swept)
        if res is None:
            return None
        fit, v = res
        if not v.accepted and "tail_off_track" in v.reasons:
            # the track has just hopped onto something else (clutter, a fragment): judge
            # the part before that
            for k in (1, 2, 3):
                res = self._judge_before(a, n - k, need, tr.swept)
                if res is False:
                    break
                if res is not None:
                    fit, v = res
                    break
        if not v.accepted and "hop" in v.reasons:
            # stitched from two things: judge the part before the jump
            res = self._judge_before(a, int(np.searchsorted(a["t"], v.features["hop_t"])),
                                     need, tr.swept)
            if res:
                fit, v = res
        if not v.accepted:
            return None
        if self._left_behind(a) is False:
            return None
        if self._lit(tr.rows):
            self.stats["glare"] += 1
            return None
        origin = self._origin(a, fit, v)
        if (self.facade is not None and self.config.require_origin_in_facade
                and not bool(self.facade.contains([[origin.x, origin.y]])[0])):
            return None
        if dry:
            return True
        if v.features.get("terminal") and self._precursors(tr):
            # a light object seen at its terminal speed: its slow start was followed by
            # other tracks; the release point is traced on the whole path
            a = tr.arrays()
            origin = self._origin(a, fit, v, tr.followed)
        # one event per object: a track that continues an alarmed one is merged into it
        host = self._continues(a, t, terminal=bool(v.features.get("terminal")))
        if host is not None:
            tr.merged_into = host
            if not host.emitted:
                have = {r[0] for r in host.rows}
                host.rows.extend(r for r in tr.rows if r[0] not in have)
                host.rows.sort(key=lambda r: r[1])
                host.t_last = max(host.t_last, tr.t_last)
            return None
        tr.alarm = {"t": t, "frame": fi, "fit": fit, "verdict": v, "origin": origin,
                    "first": int(a["frame"][0])}
        self.stats["alarms"] += 1
        self._alarmed.append(tr)
        ev = None
        if self.on_alarm is not None:
            tr.alarm["eid"] = self._new_id()  # the notice and the final event share it
            ev = self._event(tr, a, fit, v, origin)
            self._notify(ev, "alarm")
        if self.config.emit == "alarm":
            tr.emitted = True
            return ev if ev is not None else self._event(tr, a, fit, v, origin)
        return None

    def _judge_before(self, a: dict[str, np.ndarray], m: int, need: float,
                      swept: bool) -> tuple[TrackFit, Verdict] | bool | None:
        """The fit and verdict of the track's first ``m`` samples judged on their own, if
        accepted; ``False`` when they are too few or have not fallen ``need`` px by
        themselves (a shorter part will not either); ``None`` when refused."""
        if m < self._rules.min_points or a["ys"][m - 1] - a["ys"][0] < need:
            return False
        res = self._evaluate({key: val[:m] for key, val in a.items()}, swept)
        return res if res is not None and res[1].accepted else None

    def _new_id(self) -> int:
        eid = self._next_event
        self._next_event += 1
        return eid

    def _notify(self, ev: Event, status: str, reason: str | None = None) -> None:
        """Hand ``ev`` to ``on_alarm`` with ``status`` (and ``reason``) in its details."""
        extra: dict[str, Any] = {"status": status}
        if reason is not None:
            extra["reason"] = reason
        self.on_alarm(dataclasses.replace(ev, details={**ev.details, **extra}))

    def _link(self, tr: _Track) -> bool:
        """Prepend the fragment this track continues, if any (see ``link_gap``)."""
        cfg = self.config
        t0 = tr.rows[0][1]
        while self._ended and self._ended[0].t_last < t0 - 2.0 * cfg.link_gap:
            self._ended.popleft()
            self._e_lo += 1
        head = tr.rows[: cfg.link_points]
        x0, y0 = head[0][4], head[0][5]
        g, fh = self._expected_g(x0, y0)
        g = g or 0.0
        tol = max(10.0, 0.5 * fh) if fh else 15.0
        # ended fragments, and live tracks that have not moved on since this one began (a
        # track is ended only max_gap after its last blob; at a low content rate the object
        # is far away by then). A sample both share (one blob split between two tracks)
        # stays with this track. Judged on arrays of their last three samples, built once
        # per tracker step (a busy scene has a thousand live tracks, and most new ones try)
        cs, R, ended = self._link_table()
        if not cs:
            return False
        k, d, sh = self._motion.link_candidates(R, ended, t0, x0, y0, g, tol, cfg.link_gap)
        cands = []
        for j, dj, shj in zip(k.tolist(), d.tolist(), sh.tolist()):  # nearest first
            c = cs[j]
            if c is tr or c.merged_into is not None or c.alarm is not None:
                continue
            cands.append((dj, c, c.rows[:-1] if shj else c.rows))
            if len(cands) == 3:
                break
        if not cands:
            return False
        P = self._pool or 1
        best = None
        for _, c, crow in cands:
            rows = crow[-10:] + head
            tt = np.array([r[1] for r in rows])
            xx = np.array([r[4] for r in rows])
            yy = np.array([r[5] for r in rows])
            # (statistics.median: np.median costs 25 µs on a short list, and busy scenes
            # make thousands of these checks)
            size = math.sqrt(max(float(statistics.median([r[6] for r in rows])), 1.0))
            allowed = max(self._rules.max_rms_px * P, self._rules.max_rms_rel * size)
            if plain_rms(tt, xx, yy) > allowed:
                continue  # (every sample must be an inlier: then the robust fit is this one)
            try:
                fit = fit_track(tt, xx, yy)
            except ValueError:
                continue
            # one smooth path (the sign of the acceleration is left to the physics test: a
            # light object at its terminal speed does not accelerate)
            if fit.rms > allowed or not np.all(fit.w > 0):
                continue
            if best is None or fit.rms < best[0]:
                best = (fit.rms, c, crow)
        if best is None:
            return False
        c, crow = best[1], best[2]
        tr.rows = list(crow) + tr.rows
        tr.need = None
        tr.n_eval = 0
        c.merged_into = tr
        self.stats["links"] += 1
        return True

    def _left_behind(self, a: dict[str, np.ndarray]) -> bool | None:
        """Whether the track's object has left the places it was seen at: a falling object's
        earlier positions are background again, while a chain of light changes (windows
        switching on at night, one after the other) stays in the foreground where it was
        seen. False when more than ``static_max_frac`` of the earlier samples (0.3 s old or
        more, away from the last position by more than twice the object's size) are still
        foreground; None when it cannot be told (fewer than three such samples, no
        background model)."""
        cfg = self.config
        if cfg.static_max_frac <= 0 or self._fg_now is None:
            return None
        mask, off = self._fg_now
        t = a["t"]
        size = float(np.median(np.sqrt(a["area"])))
        far = np.hypot(a["xs"] - a["xs"][-1], a["ys"] - a["ys"][-1]) > 2.0 * size + 5.0
        old = (t <= t[-1] - 0.3) & far
        if old.sum() < 3:
            return None
        S = self._scale()
        P = self._pool or 1
        x = a["xs"][old] + S * self._pos[0]  # where those places are in the current frame
        y = a["ys"][old] + S * self._pos[1]
        if P > 1:
            if S > 1:
                x, y = (x + 0.5) / S - 0.5, (y + 0.5) / S - 0.5
            else:
                x, y = x - 0.5 * (P - 1), y - 0.5 * (P - 1)
        j = np.rint(x - off[0]).astype(np.int64)
        i = np.rint(y - off[1]).astype(np.int64)
        H, W = mask.shape
        inside = (i >= 0) & (i < H) & (j >= 0) & (j < W)
        if inside.sum() < 3:
            return None
        still = mask[i[inside], j[inside]]
        return not float(still.mean()) > cfg.static_max_frac

    def _lit(self, rows: list[tuple]) -> bool | None:
        """Whether the track is light moving over the facade rather than an object in front
        of it (see ``glare_min_corr``); None when it cannot be told (fewer than three of its
        samples in the kept frames with textured wall behind them)."""
        cfg = self.config
        if cfg.glare_min_corr <= 0 or not self._grey:
            return None
        have = [r for r in rows if r[0] in self._grey]
        if len(have) < 4:
            return None
        sig = self._light_sigma()
        got = []
        for r in have[::-1]:
            if len(got) >= cfg.glare_samples:
                break
            x0, y0, x1, y1 = r[7]
            ox, oy = r[2] - r[4], r[3] - r[5]  # this sample's camera offset
            # the nearest frame of the track in which its object was clear of this box
            ref = None
            for q in sorted(have, key=lambda q: abs(q[1] - r[1])):
                dx, dy = (q[2] - q[4]) - ox, (q[3] - q[5]) - oy
                qx0, qy0, qx1, qy1 = q[7][0] - dx, q[7][1] - dy, q[7][2] - dx, q[7][3] - dy
                if qx1 < x0 - 1 or qx0 > x1 + 1 or qy1 < y0 - 1 or qy0 > y1 + 1:
                    ref = (q[0], dx, dy)
                    break
            if ref is None:
                continue
            c = light_texture(self._grey[r[0]], self._grey[ref[0]], (x0, y0, x1, y1),
                              ref[1], ref[2], sig)
            if c is not None:
                got.append(c)
        if len(got) < 3:
            return None
        corr, slope, change = np.median(np.asarray(got), axis=0)
        return bool(change > 0 and corr >= cfg.glare_min_corr and slope >= cfg.glare_min_slope)

    def _light_sigma(self) -> float:
        """The noise sigma of a full-size frame difference, as the light test takes it: the
        measured one; in coded video at least the coded blocks' error that the threshold
        floor assumes (the robust sigma collapses there, and requantised texture would pass
        as light)."""
        cfg = self.config
        sig = self._sigma or 2.0
        if self.stats["codec"]:
            sig = max(sig, cfg.codec_min_threshold / cfg.noise_k)
        return sig * (self._pool or 1)

    def _link_table(self) -> tuple[list, np.ndarray, np.ndarray]:
        """The fragments a new track may continue (see :meth:`_link`): the recently ended
        tracks and the live ones of three or more samples, with ``(t, xs, ys)`` of their
        last three samples (oldest first) and whether each has ended. Built once per
        tracker step."""
        tab = self._ltab
        if tab is None:
            live = [c for c in self._tracks.values() if len(c.rows) >= 3]
            cs = list(self._ended) + live
            R = np.empty((len(cs), 9), dtype=np.float64)
            ne = len(self._ended)
            R[:ne] = self._eR[self._e_lo:self._e_hi]  # (the ended tracks' rows are fixed)
            R[ne:] = np.fromiter(itertools.chain.from_iterable([c.last3() for c in live]),
                                 dtype=np.float64, count=9 * len(live)).reshape(len(live), 9)
            ended = np.arange(len(cs)) < ne
            tab = self._ltab = (cs, R.reshape(len(cs), 3, 3), ended)
        return tab

    def _push_ended(self, tr: _Track) -> None:
        """Keep ``tr.last3()`` for the link table, as ``tr`` joins ``_ended``."""
        if self._e_hi == len(self._eR):
            n = self._e_hi - self._e_lo
            buf = self._eR if 2 * n <= len(self._eR) else np.empty((2 * len(self._eR), 9))
            buf[:n] = self._eR[self._e_lo:self._e_hi]
            self._eR, self._e_lo, self._e_hi = buf, 0, n
        self._eR[self._e_hi] = tr.last3()
        self._e_hi += 1

    def _precursors(self, tr: _Track) -> int:
        """Prepend the earlier path of an object alarmed at its terminal speed.

        A bag or a sheet of paper leaves its window slowly: for its first second it moves
        less than its own size per frame, the frame difference barely shows it, and its
        start is followed by other tracks (often the second tracker's slow silhouettes)
        than the one that reaches the terminal speed and alarms. Back-tracing a steady
        descent cannot say how long it had been falling, so the release floor would come
        out too low. Here the tracks that carried the same object before this one began
        are found and their earlier samples prepended, up to four links back:

        * the earlier track starts at least 0.2 s before this one and has at least 4
          samples before it;
        * it descends (its last sample before the join is not above its first, within the
          object's size) and moves at most ``terminal_max_slope`` sideways per unit of
          descent;
        * at the frames both tracks hold it is within the object's size of this one
          (median), or, ending before, its last sample moved on at its last velocity
          meets this track's first within that distance (and at most ``link_gap`` later);
        * its descent over its last samples before the join is at most 1.5 times this
          track's over its first ones (plus the object's size over that time): a light
          object only speeds up to its terminal speed.

        Of the earlier tracks that qualify, the one starting first is taken; it is marked
        merged into this one.

        Returns how many samples were prepended."""
        cfg = self.config
        slope = self._rules.terminal_max_slope
        added = 0
        for _ in range(4):
            t0 = tr.rows[0][1]
            x0, y0 = tr.rows[0][4], tr.rows[0][5]
            size = math.sqrt(max(float(np.median([r[6] for r in tr.rows])), 1.0))
            tol = max(8.0 * (self._pool or 1), 0.75 * size)
            head = tr.rows[: max(5, min(15, len(tr.rows)))]
            hd = {r[0]: r for r in head}
            if len(head) >= 2 and head[-1][1] > t0:
                v_head = (head[-1][5] - y0) / (head[-1][1] - t0)
            else:
                v_head = math.inf
            best = None
            for c in list(self._ended) + list(self._tracks.values()):
                if c is tr or c.alarm is not None or c.merged_into is not None:
                    continue
                if len(c.rows) < 5 or c.rows[0][1] > t0 - 0.2:
                    continue
                before = [r for r in c.rows if r[1] < t0]
                if len(before) < 4:
                    continue
                b0, b1 = before[0], before[-1]
                dy = b1[5] - b0[5]
                if dy < -tol or abs(b1[4] - b0[4]) > slope * max(dy, 0.0) + tol:
                    continue
                common = [(r, hd[r[0]]) for r in c.rows if r[0] in hd]
                if common:
                    d = float(np.median([math.hypot(r[4] - q[4], r[5] - q[5]) for r, q in common]))
                else:
                    gap = t0 - b1[1]
                    if gap > cfg.link_gap:
                        continue
                    k = max(0, len(before) - 4)
                    bt = before[k]
                    if b1[1] <= bt[1]:
                        continue
                    vx = (b1[4] - bt[4]) / (b1[1] - bt[1])
                    vy = (b1[5] - bt[5]) / (b1[1] - bt[1])
                    d = math.hypot(b1[4] + vx * gap - x0, b1[5] + vy * gap - y0)
                if d > tol:
                    continue
                k = max(0, len(before) - 6)
                if b1[1] > before[k][1]:
                    v_end = (b1[5] - before[k][5]) / (b1[1] - before[k][1])
                    if v_end > 1.5 * v_head + tol / max(b1[1] - before[k][1], 1e-6):
                        continue
                if best is None or b0[1] < best[0]:
                    best = (b0[1], c, before)
            if best is None:
                break
            _, c, before = best
            have = {r[0] for r in tr.rows}
            new = [r for r in before if r[0] not in have]
            if not new:
                break
            tr.rows = new + tr.rows
            c.merged_into = tr
            added += len(new)
            tr.followed = True
            self.stats["precursors"] += 1
        return added

    def _busy(self) -> bool:
        """Whether the scene is busy: on average more blobs a frame than ``busy_blobs_per_mpx``
        (rain, snow, sensor flicker)."""
        if self._full_shape is None:
            return False
        mpx = self._full_shape[0] * self._full_shape[1] / 1e6
        return self._nb > self.config.busy_blobs_per_mpx * mpx

    def _low_rate(self) -> bool:
        """Whether the stream's content changes at most every other frame (identical or
        motionless repeats: 8 fps content in a 25 fps stream)."""
        return self.stats["frames"] >= 10 and self._content_fraction() <= 0.6

    def _content_fraction(self) -> float:
        """Share of the frames so far that brought new content (not identical or motionless
        repeats)."""
        st = self.stats
        return 1.0 - (st["repeats"] + st["duplicates"]) / max(st["frames"], 1)

    def _gather(self, tr: _Track) -> None:
        """Prepend the object's earlier detections that other tracks took or that started
        tracks of their own (low frame rate content among clutter: the object moves far per
        step, and its detections go to insects' and branches' tracks): from the new track's
        first ``link_points`` samples the parabola is traced back, frame by frame with blobs,
        taking the nearest blob close to it and refitting; kept when at least two samples were
        gathered and every sample is an inlier of one parabola."""
        k = self.config.link_points
        rows = list(tr.rows[:k])
        t0 = rows[0][1]
        if rows[-1][5] <= rows[0][5]:  # not going down
            return
        size = math.sqrt(max(float(np.median([r[6] for r in rows])), 1.0))
        P = self._pool or 1
        ext = math.sqrt(max(float(np.median([(r[7][2] - r[7][0]) * (r[7][3] - r[7][1]) for r in rows])), 1.0))
        # as the ballistic test's residual allowance, with slack: that test decides later
        allowed = 1.5 * max(self._rules.max_rms_px * P, self._rules.max_rms_rel * max(size, ext))
        tol = max(6.0, 2.0 * size)
        g, _ = self._expected_g(rows[0][4], rows[0][5])
        if not g:
            return

        def predictor(rs: list[tuple]) -> Any:
            # x linear, y under the projected gravity: stable from a few noisy samples
            tt = np.array([r[1] for r in rs]) - t0
            A = np.column_stack([np.ones_like(tt), tt])
            cx = np.linalg.lstsq(A, np.array([r[4] for r in rs]), rcond=None)[0]
            cy = np.linalg.lstsq(A, np.array([r[5] for r in rs]) - 0.5 * g * tt * tt, rcond=None)[0]
            return (lambda tb: (cx[0] + cx[1] * (tb - t0),
                                cy[0] + cy[1] * (tb - t0) + 0.5 * g * (tb - t0) ** 2)), \
                float(np.hypot(cx[1], cy[1]))

        pred, speed = predictor(rows)
        got: list[tuple] = []
        for fb, tb, x, y, xs, ys, ar, bb, *_ in reversed(self._blobs):
            if tb >= t0:
                continue
            first_t = got[-1][1] if got else t0
            if first_t - tb > self.config.max_gap:
                break
            p = pred(tb)
            d = np.hypot(xs - p[0], ys - p[1])
            m = int(np.argmin(d))
            # the projected gravity and the head's speed are known to some 30 % and 10 %
            dtau = first_t - tb
            if d[m] > tol + 0.3 * g * dtau * dtau + 0.1 * speed * dtau:
                continue
            got.append((fb, tb, float(x[m]), float(y[m]), float(xs[m]), float(ys[m]), float(ar[m]),
                        tuple(float(v) for v in bb[m])))
            cand = got[::-1] + rows
            try:
                f2 = fit_track(np.array([r[1] for r in cand]), np.array([r[4] for r in cand]),
                               np.array([r[5] for r in cand]))
            except ValueError:
                got.pop()
                continue
            if f2.accel <= 0 or f2.rms > allowed or not np.all(f2.w > 0):
                got.pop()
                continue
            pred, speed = predictor(cand)
        if len(got) < 2:
            return
        tr.rows = got[::-1] + tr.rows
        tr.need = None
        tr.n_eval = 0
        self.stats["gathered"] += 1

    def _continues(self, a: dict[str, np.ndarray], t: float,
                   terminal: bool = False) -> _Track | None:
        """An alarmed track this one belongs to: a fragment of the same blob (overlapping in
        time, close at common frames) or its continuation after a gap of up to 2 s (on its
        trajectory). ``terminal``: this track descends at its terminal speed, so the host's
        last velocity carries over a longer gap (see :meth:`_follows`)."""
        self._alarmed = [h for h in self._alarmed if t - h.t_last < _ALARM_MEMORY]
        _, fh = self._expected_g(float(a["xs"][0]), float(a["ys"][0]))
        t0 = float(a["t"][0])
        for h in self._alarmed:
            if t0 - h.t_last >= _CONTINUE_GAP:
                continue  # (a track alarming long after it began is judged by its start)
            ha = h.arrays()
            common, ia, ib = np.intersect1d(a["frame"], ha["frame"], return_indices=True)
            if len(common):
                size = math.sqrt(max(float(np.median(ha["area"])), 1.0))
                hb = ha["bbox"]
                ext = math.sqrt(float(np.median((hb[:, 2] - hb[:, 0]) * (hb[:, 3] - hb[:, 1]))))
                tol = max(3.0 * size, 1.5 * ext, 0.3 * fh if fh else 10.0, 6.0)
                dist = np.hypot(a["xs"][ia] - ha["xs"][ib], a["ys"][ia] - ha["ys"][ib])
                if float(np.median(dist)) <= tol:
                    return h
                continue
            fit: TrackFit = h.alarm["fit"]  # type: ignore[index]
            p = fit.position(a["t"][:3])
            err = np.hypot(p[:, 0] - a["xs"][:3], p[:, 1] - a["ys"][:3])
            tol = max(4.0 * fit.sigma + 3.0, 0.5 * fh if fh else 15.0)
            if float(err.max()) <= tol:
                return h
            if self._on_parabola(h, a) or self._follows(h, a, fh, terminal):
                return h
        return None

    def _follows(self, h: _Track, a: dict[str, np.ndarray], fh: float | None,
                 terminal: bool = False) -> bool:
        """Whether a new track starts where the host's last samples, moved on at their
        velocity (and the host's fitted acceleration), would be after a short gap (a drag-
        limited object is not on one parabola over a long span, yet moves smoothly).
        A new track at its terminal speed (``terminal``) may start up to 2 s after the host
        ended: a light object seen in pieces (a long gap, then a piece judged on its own) is
        one object, one event. Over such a gap its speed moves on from the host's last one
        towards the new track's first one, so the new track must start where some speed
        between the two (10 samples each) would have carried the object."""
        rows = h.rows[-5:]
        if len(rows) < 3:
            return False
        gap = float(a["t"][0]) - rows[-1][1]
        if not 0 < gap <= (_CONTINUE_GAP if terminal else self.config.link_gap):
            return False
        if gap > self.config.link_gap:  # (a terminal-speed track after a long gap)
            return self._bridges(h.rows[-10:], a, gap, fh)
        tt = np.array([r[1] for r in rows])
        if tt[-1] <= tt[0]:
            return False
        vx = float(np.polyfit(tt, [r[4] for r in rows], 1)[0])
        vy = float(np.polyfit(tt, [r[5] for r in rows], 1)[0])
        acc = max(float(h.alarm["fit"].accel), 0.0)  # type: ignore[index]
        px = rows[-1][4] + vx * gap
        py = rows[-1][5] + vy * gap + 0.5 * acc * gap * gap
        tol = self._join_tol(rows, fh) + 0.25 * math.hypot(vx, vy) * gap
        return math.hypot(float(a["xs"][0]) - px, float(a["ys"][0]) - py) <= tol

    @staticmethod
    def _join_tol(rows: list[tuple], fh: float | None) -> float:
        """Base distance (px) within which a new track's first sample continues the host
        whose latest samples are ``rows``: two object sizes, 0.3 floor heights (``fh``; 10 px
        without), at least 6 px."""
        size = math.sqrt(max(float(np.median([r[6] for r in rows])), 1.0))
        return max(2.0 * size, 0.3 * fh if fh else 10.0, 6.0)

    @staticmethod
    def _bridges(rows: list[tuple], a: dict[str, np.ndarray], gap: float,
                 fh: float | None) -> bool:
        """Whether the step from the host's last sample (``rows``: its latest) to the new
        track's first one, over ``gap`` seconds, lies within ``tol`` of the segment between
        the host's last velocity and the new track's first velocity times ``gap`` (linear
        fits of up to 10 samples each; ``tol`` as in :meth:`_follows`, its speed term at
        0.15 of the faster speed)."""
        k = min(len(a["t"]), 10)
        th = np.array([r[1] for r in rows])
        if len(rows) < 3 or k < 3 or th[-1] <= th[0] or a["t"][k - 1] <= a["t"][0]:
            return False
        vh = np.array([np.polyfit(th, [r[4] for r in rows], 1)[0],
                       np.polyfit(th, [r[5] for r in rows], 1)[0]])
        ta = a["t"][:k]
        vn = np.array([np.polyfit(ta, a["xs"][:k], 1)[0], np.polyfit(ta, a["ys"][:k], 1)[0]])
        p, q = vh * gap, vn * gap
        step = np.array([float(a["xs"][0]) - rows[-1][4], float(a["ys"][0]) - rows[-1][5]])
        pq = q - p
        u = float(np.clip(np.dot(step - p, pq) / max(float(np.dot(pq, pq)), 1e-12), 0.0, 1.0))
        tol = FallingObjectDetector._join_tol(rows, fh) + \
            0.15 * max(float(np.hypot(*vh)), float(np.hypot(*vn))) * gap
        return float(np.hypot(*(step - (p + u * pq)))) <= tol

    def _on_parabola(self, h: _Track, a: dict[str, np.ndarray]) -> bool:
        """Whether a later track continues the alarmed track ``h`` after a gap: the last
        samples of ``h`` up to its alarm (a track may hop onto clutter after it) and the new
        track's first ``link_points`` samples lie on one parabola: the new samples all
        inliers, the fit's inlier fraction as the ballistic test asks.
        The alarm fit's own extrapolation misses when its drag terms (or a hopped tail)
        carry it off over a long gap (a long fall split in two)."""
        k = self.config.link_points
        if len(a["t"]) < k:
            return False
        f_al = h.alarm["frame"]  # type: ignore[index]
        rows = [r for r in h.rows if r[0] <= f_al][-10:]
        if len(rows) < 4 or a["t"][0] - rows[-1][1] > 1.0:
            # the alarm came long before: the host's latest samples instead
            rows = h.rows[-10:]
            if len(rows) < 4 or a["t"][0] - rows[-1][1] > 1.0:
                return False
        t = np.concatenate([[r[1] for r in rows], a["t"][:k]])
        x = np.concatenate([[r[4] for r in rows], a["xs"][:k]])
        y = np.concatenate([[r[5] for r in rows], a["ys"][:k]])
        try:
            fit = fit_track(t, x, y)
        except ValueError:
            return False
        P = self._pool or 1
        size = math.sqrt(max(float(np.median([r[6] for r in rows])), 1.0))
        allowed = max(self._rules.max_rms_px * P, self._rules.max_rms_rel * size)
        w = fit.w > 0
        return bool(fit.accel > 0 and fit.rms <= allowed and w[-k:].all()
                    and w.mean() >= self._rules.min_inlier_frac)

    def _event(self, tr: _Track, a: dict[str, np.ndarray], fit: TrackFit, v: Verdict,
               origin: Any) -> Event:
        b = a["bbox"]
        box = (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max()))
        traj = [[int(f), float(tt), round(float(x), 3), round(float(y), 3)]
                for f, tt, x, y in zip(a["frame"], a["t"], a["x"], a["y"])]
        al = tr.alarm or {}
        details = {
            "trajectory": traj,
            "origin": origin.to_dict(),
            "acceleration": fit.accel,
            "acceleration_se": fit.accel_se,
            "g_ratio": v.features.get("g_ratio"),
            "speed": fit.speed,
            "size": float(np.median(a["area"])),
            "drop_px": float(a["ys"][-1] - a["ys"][0]),
            "t_alarm": al.get("t"),
            "frame_alarm": al.get("frame"),
            "t_release": origin.t,
            "fit_rms": fit.rms,
        }
        if self.facade is not None and self.facade.building:
            details["building"] = self.facade.building
        eid = al.get("eid")
        if eid is None:
            eid = self._new_id()
        return Event(kind="falling_object", t_start=float(a["t"][0]), t_end=float(a["t"][-1]),
                     frame_start=int(a["frame"][0]), frame_end=int(a["frame"][-1]),
                     camera_id=self.camera_id, bbox=box, track_id=eid, confidence=v.score,
                     details=details)

    def _close(self, tr: _Track) -> Event | None:
        if tr.alarm is None or tr.emitted:
            return None
        tr.emitted = True
        a = tr.arrays()
        fit, v, origin = tr.alarm["fit"], tr.alarm["verdict"], tr.alarm["origin"]
        if self._lit(tr.rows):
            # light after all, on the whole track (the test at the alarm could not tell
            # yet): no event (with emit="alarm" it has already gone out), and the alarm
            # is withdrawn
            self.stats["glare"] += 1
            if self.on_alarm is not None:
                self._notify(self._event(tr, a, fit, v, origin), "withdrawn", "light")
            return None
        res = self._evaluate(a)
        if res is not None and res[1].accepted:
            fit, v = res
        # the release point is traced again only when the track has grown at its beginning
        # (a fragment seen before the alarmed part merged into it); the start is the same
        # otherwise, and the robust fit of the whole, longer track (drag) may reject its
        # early samples as outliers
        if int(a["frame"][0]) != tr.alarm.get("first"):
            origin = self._origin(a, fit, v, tr.followed)
        return self._event(tr, a, fit, v, origin)

    def _leaving(self, tr: _Track, t: float | None = None) -> bool:
        """Whether the track's object has left the view through the bottom of the frame:
        its last box, moved on by one more step, reaches past the last row; or, at time
        ``t`` (the track unseen since its last sample), moved on at its last speed under
        the facade's gravity, it would be past the last row by then (a small object
        blurred by its speed near the bottom of the view is often not seen there)."""
        if len(tr.rows) < 2 or self._full_shape is None:
            return False
        r1, r2 = tr.rows[-2], tr.rows[-1]
        step = max(r2[3] - r1[3], 0.0)
        bottom = self._full_shape[0] - 2
        if r2[7][3] + step >= bottom:
            return True
        if t is None or r2[1] <= r1[1]:
            return False
        dt = min(t - r2[1], self.config.max_gap)
        vy = step / (r2[1] - r1[1])
        g = self._expected_g(r2[4], r2[5])[0] or 0.0
        return r2[7][3] + vy * dt + 0.5 * g * dt * dt >= bottom

    def _end_stale(self, t: float) -> list[Event]:
        out = []
        for tid in [k for k, tr in self._tracks.items() if t - tr.t_last > self.config.max_gap]:
            tr = self._tracks.pop(tid)
            self._ltab = None
            if tr.alarm is None and tr.merged_into is None and self._leaving(tr, t):
                ev = self._consider(tr, t, self.frame_index, leaving=True)
                if ev is not None:
                    out.append(ev)
            if tr.alarm is None and tr.merged_into is None and len(tr.rows) >= 3:
                self._ended.append(tr)
                self._push_ended(tr)
                self._ltab = None
            ev = self._close(tr)
            if ev is not None:
                out.append(ev)
        return out

    def _finish(self) -> list[Event]:
        out = self._flush_pending(math.inf, self.frame_index, final=True)
        for tid in list(self._tracks):  # an object leaving the view in the last frames
            tr = self._tracks[tid]
            if tr.alarm is None and tr.merged_into is None and self._leaving(tr):
                ev = self._consider(tr, tr.t_last, self.frame_index, leaving=True)
                if ev is not None:
                    out.append(ev)
        for tid in list(self._tracks):
            ev = self._close(self._tracks.pop(tid))
            if ev is not None:
                out.append(ev)
        return out
