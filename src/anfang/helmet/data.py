"""Head crops from images and YOLO-format folders.

A *head crop* is a labelled (or detected) head box grown by ``margin`` times its width on
the left and right and ``margin`` times its height on the top and bottom, then clipped to
the image. :data:`DEFAULT_MARGIN` (0.15) is what the shipped model was trained and
measured with.

YOLO layout: ``DIR/images/*.jpg`` and ``DIR/labels/<same stem>.txt``, one box per line
``class cx cy w h`` normalised to [0, 1]; class 0 = with helmet, 1 = without helmet
(the classes of the training data set, see ``docs/model-card-helmet.md``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

__all__ = [
    "DEFAULT_MARGIN",
    "YOLO_HELMET_CLASS",
    "head_crop",
    "expand_box",
    "read_image",
    "read_yolo_labels",
    "iter_yolo_folder",
    "load_yolo_crops",
    "folder_sha256",
]

#: Margin (fraction of box width/height added on each side) of the documented head crop.
DEFAULT_MARGIN = 0.15
#: YOLO class id meaning "with helmet" in the training data; any other class is "no helmet".
YOLO_HELMET_CLASS = 0

_IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp")


def expand_box(box, margin: float, width: int, height: int) -> tuple[int, int, int, int]:
    """Grow an ``x0, y0, x1, y1`` box by ``margin`` on each side and clip it to the image.

    Returns integer pixel bounds ``(x0, y0, x1, y1)`` usable as slices, at least 1 px wide
    and high.

    Examples
    --------
    >>> expand_box((10, 10, 30, 50), 0.15, 100, 100)
    (7, 4, 33, 56)
    >>> expand_box((0, 0, 10, 10), 0.5, 8, 8)
    (0, 0, 8, 8)
    """
    try:
        x0, y0, x1, y1 = (float(v) for v in box)
    except (TypeError, ValueError):
        raise TypeError(f"box: expected 4 numbers x0, y0, x1, y1, got {box!r}") from None
    if not all(np.isfinite(v) for v in (x0, y0, x1, y1)) or x1 < x0 or y1 < y0:
        raise ValueError(f"box: expected finite x0 <= x1, y0 <= y1, got {tuple(box)!r}")
    if not (np.isfinite(margin) and margin >= 0):
        raise ValueError(f"margin: expected a finite number >= 0, got {margin!r}")
    bw, bh = x1 - x0, y1 - y0
    ix0 = int(np.floor(x0 - margin * bw))
    iy0 = int(np.floor(y0 - margin * bh))
    ix1 = int(np.ceil(x1 + margin * bw))
    iy1 = int(np.ceil(y1 + margin * bh))
    ix0, iy0 = max(0, min(ix0, width - 1)), max(0, min(iy0, height - 1))
    ix1, iy1 = max(ix0 + 1, min(ix1, width)), max(iy0 + 1, min(iy1, height))
    return ix0, iy0, ix1, iy1


def head_crop(image: np.ndarray, box, margin: float = DEFAULT_MARGIN) -> np.ndarray:
    """Cut the head crop of ``box`` (pixel ``x0, y0, x1, y1``) out of an RGB image.

    Parameters
    ----------
    image : ndarray, uint8, shape (H, W, 3)
    box : 4 numbers, pixel xyxy (x right, y down)
    margin : float
        Fraction of the box width (height) added left and right (top and bottom).

    Returns
    -------
    ndarray, uint8, shape (h, w, 3)
        A view into ``image``.

    Examples
    --------
    >>> img = np.zeros((100, 100, 3), np.uint8)
    >>> head_crop(img, (10, 10, 30, 50)).shape
    (52, 26, 3)
    """
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        got = f"{getattr(image, 'dtype', type(image).__name__)} {getattr(image, 'shape', '')}"
        raise TypeError(f"image: expected uint8 (H, W, 3), got {got}")
    h, w = image.shape[:2]
    if h == 0 or w == 0:
        raise ValueError(f"image: expected a non-empty image, got shape {image.shape}")
    x0, y0, x1, y1 = expand_box(box, margin, w, h)
    return image[y0:y1, x0:x1]


def read_image(path) -> np.ndarray:
    """Read an image file as uint8 RGB (grey is replicated, alpha dropped)."""
    from skimage import io

    img = np.asarray(io.imread(str(path)))
    if img.dtype != np.uint8:
        raise ValueError(f"{path}: expected an 8-bit image, got {img.dtype}")
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    elif img.ndim == 3 and img.shape[2] == 4:
        img = img[:, :, :3]
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"{path}: expected a grey, RGB or RGBA image, got shape {img.shape}")
    return np.ascontiguousarray(img)


def read_yolo_labels(path, width: int, height: int) -> list[tuple[int, tuple[float, float, float, float]]]:
    """Parse one YOLO label file into ``(class, (x0, y0, x1, y1))`` pixel boxes."""
    out = []
    for lineno, line in enumerate(Path(path).read_text().splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 5:
            raise ValueError(f"{path}:{lineno}: expected 'class cx cy w h', got {line!r}")
        cls = int(float(parts[0]))
        cx, cy, bw, bh = (float(p) for p in parts[1:])
        out.append(
            (
                cls,
                ((cx - bw / 2) * width, (cy - bh / 2) * height, (cx + bw / 2) * width, (cy + bh / 2) * height),
            )
        )
    return out


@dataclass(frozen=True)
class YoloImage:
    """One image of a YOLO folder with its pixel boxes."""

    path: Path
    image: np.ndarray
    boxes: list  # list of (class, (x0, y0, x1, y1))


def _yolo_dirs(folder) -> tuple[Path, Path]:
    folder = Path(folder)
    images, labels = folder / "images", folder / "labels"
    if not images.is_dir() or not labels.is_dir():
        raise ValueError(f"yolo folder: expected {folder}/images and {folder}/labels directories")
    return images, labels


def iter_yolo_folder(folder, *, skip_empty: bool = True) -> Iterator[YoloImage]:
    """Yield the images of a YOLO folder (sorted by name) with their boxes.

    Images without a label file or with an empty one are skipped when ``skip_empty``.
    """
    images, labels = _yolo_dirs(folder)
    for img_path in sorted(p for p in images.iterdir() if p.suffix.lower() in _IMAGE_EXTS):
        lab = labels / (img_path.stem + ".txt")
        if not lab.exists() or not lab.read_text().strip():
            if skip_empty:
                continue
            image = read_image(img_path)
            yield YoloImage(img_path, image, [])
            continue
        image = read_image(img_path)
        h, w = image.shape[:2]
        yield YoloImage(img_path, image, read_yolo_labels(lab, w, h))


def load_yolo_crops(folder, margin: float = DEFAULT_MARGIN) -> tuple[list[np.ndarray], np.ndarray]:
    """All head crops of a YOLO folder and their labels (``True`` = with helmet).

    Examples
    --------
    >>> crops, helmet = load_yolo_crops("/work/shared/data/helmet/valid")  # doctest: +SKIP
    >>> len(crops), helmet.mean()  # doctest: +SKIP
    (206, 0.485...)
    """
    crops, labels = [], []
    for item in iter_yolo_folder(folder):
        for cls, box in item.boxes:
            crops.append(np.ascontiguousarray(head_crop(item.image, box, margin)))
            labels.append(cls == YOLO_HELMET_CLASS)
    return crops, np.asarray(labels, dtype=bool)


def folder_sha256(*folders) -> str:
    """SHA-256 over the relative paths and bytes of every image and label of YOLO folders."""
    h = hashlib.sha256()
    for folder in folders:
        folder = Path(folder)
        for sub in ("images", "labels"):
            d = folder / sub
            if not d.is_dir():
                continue
            for p in sorted(d.iterdir()):
                h.update(f"{folder.name}/{sub}/{p.name}\n".encode())
                h.update(p.read_bytes())
    return h.hexdigest()
