"""Typed surface of the compiled Rust module ``anfang._core``."""

__version__: str

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
