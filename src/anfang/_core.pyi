"""Typed surface of the compiled Rust module ``anfang._core``."""

__version__: str

# --- motion (rust/src/py/motion.rs) -------------------------------------------------------
# Frames: uint8 (H, W) or (H, W, 3); masks: bool (H, W). Blob statistics come back as a
# tuple (area int64 (N,), bbox int64 (N, 4) x0 y0 x1 y1 exclusive, centroid float64 (N, 2) x y).

import numpy as _np
import numpy.typing as _npt

_U8 = _npt.NDArray[_np.uint8]
_Bool = _npt.NDArray[_np.bool_]
_Stats = tuple[_npt.NDArray[_np.int64], _npt.NDArray[_np.int64], _npt.NDArray[_np.float64]]

def diff_mask(prev: _U8, cur: _U8, threshold: int) -> _Bool: ...
def diff_mask3(prev: _U8, cur: _U8, nxt: _U8, threshold: int) -> _Bool: ...
def diff_mask3_edge(p2: _U8, p1: _U8, cur: _U8, threshold: float, edge_k: float) -> _Bool: ...
def diff3_count_in_boxes(
    p2: _U8,
    p1: _U8,
    cur: _U8,
    boxes: _npt.NDArray[_np.float64],
    threshold: float,
    edge_k: float = 0.0,
) -> _npt.NDArray[_np.int64]: ...
def diff3_blob_in_boxes(
    p2: _U8,
    p1: _U8,
    cur: _U8,
    boxes: _npt.NDArray[_np.float64],
    threshold: float,
    edge_k: float = 0.0,
    margin: int | None = 16,
    *,
    valid: tuple[int, int, int, int] | None = None,
) -> _Bool: ...
def background_step(
    background: _npt.NDArray[_np.float32],
    frame: _U8,
    threshold: float,
    alpha: float,
    slow: float = 0.1,
    edge_k: float = 0.0,
) -> _Bool: ...
def erode(mask: _Bool, size: int = 3) -> _Bool: ...
def dilate(mask: _Bool, size: int = 3) -> _Bool: ...
def opening(mask: _Bool, size: int = 3) -> _Bool: ...
def closing(mask: _Bool, size: int = 3) -> _Bool: ...
def label(mask: _Bool, connectivity: int = 8) -> tuple[_npt.NDArray[_np.int32], _Stats]: ...
def label_stats(mask: _Bool, connectivity: int = 8) -> _Stats: ...
def blobs(
    prev: _U8,
    cur: _U8,
    threshold: int,
    open_size: int = 3,
    min_area: int = 1,
    max_area: int | None = None,
    connectivity: int = 8,
) -> _Stats: ...
def estimate_shift(prev: _U8, cur: _U8) -> tuple[float, float]: ...
def shift_frame(frame: _U8, dx: float, dy: float, fill: int = 0) -> _U8: ...
def pool_mean(frame: _U8, factor: int) -> _U8: ...
def box_mean(frame: _U8, size: int) -> _U8: ...

class MotionStage:
    def __init__(
        self,
        threshold: int,
        open_size: int = 3,
        min_area: int = 1,
        max_area: int | None = None,
        connectivity: int = 8,
    ) -> None: ...
    def __call__(self, prev: _U8, cur: _U8) -> _Stats: ...
    @property
    def threshold(self) -> int: ...
    @property
    def open_size(self) -> int: ...
    @property
    def min_area(self) -> int: ...
    @property
    def max_area(self) -> int | None: ...
    @property
    def connectivity(self) -> int: ...

class SigmaDelta:
    def __init__(self, amplification: int = 2, update_period: int = 1, vmin: int = 2, vmax: int = 255) -> None: ...
    def apply(self, frame: _U8) -> _Bool: ...
    def reset(self) -> None: ...
    @property
    def background(self) -> _U8 | None: ...
    @property
    def variance(self) -> _U8 | None: ...
    @property
    def frames(self) -> int: ...
    @property
    def amplification(self) -> int: ...
    @property
    def update_period(self) -> int: ...
    @property
    def vmin(self) -> int: ...
    @property
    def vmax(self) -> int: ...

class RunningAverage:
    def __init__(self, alpha: float = 0.05, threshold: float = 25.0) -> None: ...
    def apply(self, frame: _U8) -> _Bool: ...
    def reset(self) -> None: ...
    @property
    def background(self) -> _npt.NDArray[_np.float32] | None: ...
    @property
    def alpha(self) -> float: ...
    @property
    def threshold(self) -> float: ...
    @property
    def frames(self) -> int: ...

class DualBackground:
    def __init__(
        self,
        long_period: int = 32,
        short_period: int = 1,
        amplification: int = 2,
        vmin: int = 2,
        vmax: int = 255,
        static_frames: int = 30,
    ) -> None: ...
    def apply(self, frame: _U8) -> tuple[_Bool, _Bool]: ...
    def hold(self, mask: _Bool) -> None: ...
    def release(self, mask: _Bool) -> None: ...
    def reset(self) -> None: ...
    @property
    def background(self) -> _U8 | None: ...
    @property
    def short_background(self) -> _U8 | None: ...
    @property
    def evidence(self) -> _npt.NDArray[_np.uint16] | None: ...
    @property
    def held(self) -> _Bool | None: ...
    @property
    def static_frames(self) -> int: ...
    @property
    def long_period(self) -> int: ...
    @property
    def short_period(self) -> int: ...
    @property
    def frames(self) -> int: ...

# --- tracking ---
import numpy as np
import numpy.typing as npt

class Tracker:
    """Rust multi-object tracker; use :class:`anfang.tracking.Tracker` (validated face)."""

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
    ) -> None: ...
    def update(
        self,
        boxes: npt.NDArray[np.float64],
        scores: npt.NDArray[np.float64] | None = None,
        t: float | None = None,
    ) -> npt.NDArray[np.int64]: ...
    def predict(self, t: float) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]: ...
    def tracks(self) -> dict[str, np.ndarray]: ...
    def history(self, track_id: int) -> dict[str, np.ndarray] | None: ...
    def removed_ids(self) -> npt.NDArray[np.int64]: ...
    def reset(self) -> None: ...
    @property
    def frame_count(self) -> int: ...
    @property
    def last_time(self) -> float | None: ...

def linear_sum_assignment(
    cost: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]: ...

def parabola_sweep(
    offsets: npt.NDArray[np.int64],
    ft: npt.NDArray[np.float64],
    x: npt.NDArray[np.float64],
    h: npt.NDArray[np.float64],
    tol_x: npt.NDArray[np.float64],
    tol_h: npt.NDArray[np.float64],
    *,
    lags: list[float],
    a_min: float,
    a_max: float,
    n_bins: int,
    max_vx: float,
    v_min: float,
    v_max: float,
    back: float,
    min_support: int,
    max_gap: float,
    min_density: float,
    min_balance: float,
    min_drop: float,
    end_frames: int,
    near_end: int,
    max_out: int,
) -> tuple[
    npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]
]: ...

def plain_rms(
    t: npt.NDArray[np.float64],
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    dup_eps: float = 1e-3,
) -> float:
    """RMS of x linear and y quadratic in time, fitted by least squares after dropping
    repeated times and positions; ``inf`` with fewer than four samples left."""

def near_any(
    points: npt.NDArray[np.float64],
    circles: npt.NDArray[np.float64],
) -> npt.NDArray[np.bool_]:
    """Whether each point of ``points`` (N, 2: ``x, y``) lies within some circle of
    ``circles`` (M, 3: ``x, y, radius``): ``hypot(x - cx, y - cy) <= radius``, as the
    all-pairs test answers (NaN and infinities by the IEEE rules). A grid of cells as wide
    as the largest finite radius; the falling detector's expected-speck search."""

def link_candidates(
    last3: npt.NDArray[np.float64],
    ended: npt.NDArray[np.bool_],
    t0: float,
    x0: float,
    y0: float,
    g: float,
    tol: float,
    link_gap: float,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """The fragments (rows of ``last3``, shape (N, 3, 3): ``(t, x, y)`` of each one's last
    three samples) a new track starting at ``(t0, x0, y0)`` may continue, nearest first:
    ``(row, distance, shared)``."""
