"""Frame sources: one iterator of ``(frame, t)`` for files, folders, clips and streams.

:func:`open_source` accepts

* a video file (``.mp4``, ``.mkv``, ``.avi``... anything FFmpeg reads) or an ``rtsp://`` /
  ``http(s)://`` / ``rtmp://`` URL, decoded by PyAV (the ``video`` extra). Grey frames are the
  decoder's luma plane itself (no colour conversion); timestamps are the stream's
  presentation times (``frame.time``), so dropped or repeated frames keep their real times;
  grey levels are full range 0-255 whatever the stream's range (a full-range stream's luma
  plane is copied as is, a studio-range 16-235 one is expanded by FFmpeg's swscale);
* a folder of images (``.png``, ``.jpg``, ``.bmp``, ``.tif``), read in sorted name order with
  :mod:`imageio` (installed with scikit-image), timestamps ``i / fps``;
* a ``.npz`` clip with ``frames`` (T, H, W[, 3]) uint8 and ``t`` (T,) seconds (as written by
  :func:`anfang.io.video.write_npz` or ``anfang synth``);
* an in-memory clip: an object with ``.frames`` and ``.t`` (an :mod:`anfang.synth` clip) or a
  ``(frames, t)`` pair.

A damaged video raises :class:`SourceError` (a :class:`ValueError`) *while iterating*, after
every good frame before the damage has been yielded, so a pipeline keeps the events it
already found.

Example
-------
>>> import numpy as np
>>> src = open_source((np.zeros((3, 4, 5), np.uint8), [0.0, 0.04, 0.08]))
>>> src.n_frames, src.size, [t for _, t in src]
(3, (5, 4), [0.0, 0.04, 0.08])
"""

from __future__ import annotations

import os
from typing import Any, Iterator

import numpy as np

from anfang.frames import to_gray

__all__ = ["FrameSource", "SourceError", "open_source", "IMAGE_EXTENSIONS", "VIDEO_EXTENSIONS"]

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
VIDEO_EXTENSIONS = (".mp4", ".mkv", ".avi", ".mov", ".m4v", ".ts", ".webm", ".mpg", ".mpeg", ".h264")
_URL_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://", "udp://", "tcp://")
# full-range formats whose first plane already is the 0-255 grey image
_LUMA_FORMATS = {"yuvj420p", "yuvj422p", "yuvj444p", "gray"}


class SourceError(ValueError):
    """The source could not be opened or broke while being read (corrupt, truncated)."""


def _convert(img: np.ndarray, color: str, what: str) -> np.ndarray:
    img = np.asarray(img)
    if img.dtype != np.uint8:
        if img.dtype == np.uint16:
            img = (img >> 8).astype(np.uint8)
        elif img.dtype == bool:
            img = img.astype(np.uint8) * 255
        else:
            raise SourceError(f"{what}: expected 8-bit images, got {img.dtype}")
    if img.ndim == 3 and img.shape[2] == 4:
        img = img[..., :3]
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[..., 0]
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] != 3):
        raise SourceError(f"{what}: expected (H, W) or (H, W, 3) images, got shape {img.shape}")
    if color == "gray":
        return to_gray(np.ascontiguousarray(img))
    if img.ndim == 2:
        return np.repeat(img[:, :, None], 3, axis=2)
    return np.ascontiguousarray(img)


class FrameSource:
    """An iterable of ``(frame, t)`` with metadata.

    Attributes
    ----------
    name : str
        Path or URL (``"<array>"`` for in-memory clips).
    kind : str
        ``"video"``, ``"url"``, ``"images"``, ``"npz"`` or ``"array"``.
    fps : float or None
        Nominal frame rate (the container's average rate for videos).
    size : tuple (width, height) or None
    n_frames : int or None
        Frame count if the container knows it.
    color : str
        ``"gray"`` (H, W) or ``"rgb"`` (H, W, 3) frames.
    """

    def __init__(self, name: str, kind: str, color: str, fps, size, n_frames, iterator_factory):
        self.name, self.kind, self.color = name, kind, color
        self.fps = float(fps) if fps else None
        self.size = size
        self.n_frames = n_frames
        self._factory = iterator_factory
        self._closers: list = []

    def __iter__(self) -> Iterator[tuple[np.ndarray, float]]:
        return self._factory()

    def close(self) -> None:
        for c in self._closers:
            try:
                c()
            except Exception:  # pragma: no cover - closing a broken container
                pass
        self._closers.clear()

    def __enter__(self) -> "FrameSource":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"FrameSource({self.name!r}, kind={self.kind!r}, fps={self.fps}, size={self.size},"
                f" n_frames={self.n_frames}, color={self.color!r})")


def _array_source(frames: Any, t: Any, name: str, kind: str, color: str, fps) -> FrameSource:
    arr = np.asarray(frames)
    if arr.dtype != np.uint8 or arr.ndim not in (3, 4) or (arr.ndim == 4 and arr.shape[3] != 3):
        raise TypeError(
            f"frames: expected uint8 (T, H, W) or (T, H, W, 3), got {arr.dtype} {arr.shape}"
        )
    if t is None:
        rate = fps or 25.0
        tt = np.arange(arr.shape[0]) / rate
    else:
        tt = np.asarray(t, dtype=np.float64)
        if tt.shape != (arr.shape[0],):
            raise ValueError(f"t: expected shape ({arr.shape[0]},), got {tt.shape}")
        if len(tt) and (not np.all(np.isfinite(tt)) or np.any(np.diff(tt) < 0)):
            raise ValueError("t: expected finite, non-decreasing seconds")
    if fps is None and len(tt) > 1 and tt[-1] > tt[0]:
        fps = (len(tt) - 1) / (tt[-1] - tt[0])

    def gen():
        for i in range(arr.shape[0]):
            yield _convert(arr[i], color, name), float(tt[i])

    size = (int(arr.shape[2]), int(arr.shape[1]))
    return FrameSource(name, kind, color, fps, size, int(arr.shape[0]), gen)


def _images_source(folder: str, color: str, fps) -> FrameSource:
    files = sorted(
        os.path.join(folder, f) for f in os.listdir(folder) if f.lower().endswith(IMAGE_EXTENSIONS)
    )
    if not files:
        raise SourceError(f"source: folder {folder!r} holds no images ({', '.join(IMAGE_EXTENSIONS)})")
    rate = float(fps) if fps else 25.0
    import imageio.v3 as iio

    def read(p):
        try:
            return iio.imread(p)
        except Exception as exc:
            raise SourceError(f"source: cannot read image {p!r}: {exc}") from exc

    first = read(files[0])

    def gen():
        for i, p in enumerate(files):
            img = first if i == 0 else read(p)
            yield _convert(img, color, p), i / rate

    size = (int(first.shape[1]), int(first.shape[0]))
    return FrameSource(folder, "images", color, rate, size, len(files), gen)


def _luma(frame) -> np.ndarray:
    if frame.format.name in _LUMA_FORMATS:
        p = frame.planes[0]
        buf = np.frombuffer(p, np.uint8).reshape(p.height, p.line_size)
        return buf[:, : p.width].copy()
    return frame.to_ndarray(format="gray")


def _video_source(src: str, kind: str, color: str, fps) -> FrameSource:
    try:
        import av
    except ImportError as exc:
        raise SourceError(
            f"source: reading {src!r} needs PyAV; install the video extra: pip install 'anfang[video]'"
        ) from exc
    options = {"rtsp_transport": "tcp"} if src.startswith(("rtsp://", "rtsps://")) else {}
    try:
        container = av.open(src, options=options, timeout=10.0 if kind == "url" else None)
    except (av.error.FFmpegError, OSError) as exc:
        hint = "" if kind == "url" else " (corrupt or truncated file?)"
        raise SourceError(f"source: cannot open {src!r}{hint}: {exc}") from exc
    if not container.streams.video:
        container.close()
        raise SourceError(f"source: {src!r} has no video stream")
    stream = container.streams.video[0]
    rate = float(stream.average_rate) if stream.average_rate else None
    n_frames = int(stream.frames) if stream.frames and kind == "video" else None
    cc = stream.codec_context
    size = (int(cc.width), int(cc.height)) if cc.width else None
    source = FrameSource(src, kind, color, fps or rate, size, n_frames, lambda: gen())
    first = [container]
    source._closers.append(container.close)  # closed even if never iterated
    dt_default = 1.0 / (fps or rate or 25.0)

    def gen():
        # the first iteration uses the container opened for the metadata; later ones reopen
        c = first.pop() if first else av.open(src, options=options)
        source._closers.append(c.close)
        st = c.streams.video[0]
        st.thread_type = "AUTO"
        n, last_t = 0, None
        try:
            for frame in c.decode(st):
                t = frame.time
                if t is None:
                    t = n * dt_default if last_t is None else last_t + dt_default
                t = float(t)
                if last_t is not None and t < last_t:
                    t = last_t  # never go back in time (broken pts)
                img = _luma(frame) if color == "gray" else frame.to_ndarray(format="rgb24")
                last_t = t
                n += 1
                yield img, t
        except av.error.FFmpegError as exc:
            where = f"after frame {n}" + (f" (t={last_t:.3f} s)" if last_t is not None else "")
            raise SourceError(f"source: {src!r} is corrupt or truncated {where}: {exc}") from exc
        finally:
            c.close()
        if n_frames and n < n_frames:
            raise SourceError(
                f"source: {src!r} is truncated: the container lists {n_frames} frames, "
                f"only {n} could be decoded"
            )

    return source


def open_source(src: Any, *, fps: float | None = None, color: str = "gray") -> FrameSource:
    """Open a video file, stream URL, image folder, ``.npz`` clip or in-memory clip.

    Parameters
    ----------
    src : str, os.PathLike, clip object or (frames, t)
        What to read (see the module docstring).
    fps : float, optional
        Frame rate for sources without timestamps (image folders, ``.npz`` without ``t``);
        default 25. For videos it only sets :attr:`FrameSource.fps`; times still come from
        the stream.
    color : {"gray", "rgb"}
        Frame layout produced.

    Returns
    -------
    FrameSource
        Iterable of ``(frame, t)``; use it as a context manager to close files.

    Raises
    ------
    SourceError
        The source cannot be opened, or (while iterating) is corrupt or truncated.
    """
    if color not in ("gray", "rgb"):
        raise ValueError(f"color: expected 'gray' or 'rgb', got {color!r}")
    if fps is not None and (not np.isfinite(fps) or fps <= 0):
        raise ValueError(f"fps: expected a positive number, got {fps!r}")
    if isinstance(src, FrameSource):
        return src
    if hasattr(src, "frames") and hasattr(src, "t"):
        return _array_source(src.frames, src.t, "<clip>", "array", color, fps)
    if isinstance(src, tuple) and len(src) == 2:
        return _array_source(src[0], src[1], "<array>", "array", color, fps)
    if not isinstance(src, (str, os.PathLike)):
        raise TypeError(f"src: expected a path, URL, clip or (frames, t), got {type(src).__name__}")
    s = os.fspath(src)
    if s.lower().startswith(_URL_SCHEMES):
        return _video_source(s, "url", color, fps)
    if os.path.isdir(s):
        return _images_source(s, color, fps)
    if not os.path.exists(s):
        raise SourceError(f"source: no such file or folder: {s!r}")
    if s.lower().endswith(".npz"):
        try:
            with np.load(s, allow_pickle=False) as z:
                if "frames" not in z:
                    raise SourceError(f"source: {s!r} has no 'frames' array (keys: {list(z.keys())})")
                frames = z["frames"]
                t = z["t"] if "t" in z else None
        except (OSError, ValueError, EOFError) as exc:
            if isinstance(exc, SourceError):
                raise
            raise SourceError(f"source: cannot read clip {s!r}: {exc}") from exc
        return _array_source(frames, t, s, "npz", color, fps)
    if s.lower().endswith(IMAGE_EXTENSIONS):
        raise SourceError(f"source: {s!r} is a single image; give the folder of images instead")
    return _video_source(s, "video", color, fps)
