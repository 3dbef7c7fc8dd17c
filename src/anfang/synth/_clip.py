"""The :class:`Clip` container: frames, timestamps and ground truth, saved as npz + JSON."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Clip"]


def _write_npz(path: Path, arrays: dict[str, np.ndarray], compress: bool) -> None:
    """An ``.npz`` (readable by ``np.load``) written with fast deflate level 1.

    ``np.savez_compressed`` uses zlib's default level, which takes several times longer on
    noisy frames for a few percent smaller files.
    """
    import zipfile

    mode = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", compression=mode, compresslevel=1 if compress else None) as zf:
        for name, arr in arrays.items():
            with zf.open(name + ".npy", "w", force_zip64=True) as fh:
                np.lib.format.write_array(fh, np.ascontiguousarray(arr), allow_pickle=False)


@dataclass
class Clip:
    """A rendered clip with exact ground truth.

    Attributes
    ----------
    frames : ndarray
        uint8 ``(T, H, W)`` grey or ``(T, H, W, 3)`` RGB.
    t : ndarray
        float64 ``(T,)`` timestamps in seconds (may have gaps where frames were dropped).
    truth : dict
        The ``truth.json`` document (see ``docs/benchmark.md``).
    """

    frames: np.ndarray
    t: np.ndarray
    truth: dict[str, Any]

    def __len__(self) -> int:
        return int(self.frames.shape[0])

    def events(self):
        """Truth events as :class:`anfang.events.Event` objects."""
        from anfang.events import Event

        return [Event.from_dict(e) for e in self.truth["events"]]

    def save(self, out: str | os.PathLike, mp4: bool = False, compress: bool = True) -> Path:
        """Write ``frames.npz`` (keys ``frames``, ``t``), ``truth.json`` and ``gt.txt`` (every
        truth object's boxes as MOTChallenge rows) into directory ``out``.

        With ``mp4=True`` and PyAV installed a ``clip.mp4`` is written too (lossy, for viewing).
        Returns the directory.
        """
        d = Path(out)
        d.mkdir(parents=True, exist_ok=True)
        _write_npz(d / "frames.npz", {"frames": self.frames, "t": self.t}, compress)
        (d / "truth.json").write_text(json.dumps(self.truth, separators=(",", ":")))
        from anfang.eval.mot import truth_mot_rows, write_mot

        write_mot(truth_mot_rows(self.truth), d / "gt.txt")
        if mp4:
            self.write_mp4(d / "clip.mp4")
        return d

    def write_mp4(self, path: str | os.PathLike) -> bool:
        """Write an H.264 mp4 (:func:`anfang.io.video.write_mp4`: the clip's timestamps,
        odd sizes padded) if PyAV is installed; return False when it is not."""
        from anfang.io.video import have_av, write_mp4

        if not have_av():
            return False
        write_mp4(path, self.frames, self.t)
        return True

    @classmethod
    def load(cls, d: str | os.PathLike) -> "Clip":
        """Read a directory written by :meth:`save`."""
        d = Path(d)
        with np.load(d / "frames.npz", allow_pickle=False) as z:
            frames, t = z["frames"], z["t"]
        truth = json.loads((d / "truth.json").read_text())
        return cls(frames=frames, t=t, truth=truth)
