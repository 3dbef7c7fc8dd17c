"""Helmet / no-helmet classifier for head crops: a small CNN run in numpy.

Training needs PyTorch (the ``train`` extra); inference only numpy, from weights stored in
an ``.npz`` file (loaded with ``allow_pickle=False``). See ``docs/helmet.md``.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from anfang.frames import describe
from anfang.helmet import _cnn
from anfang.helmet._resize import resample_matrix, resize_rgb
from anfang.helmet.data import DEFAULT_MARGIN

__all__ = ["HelmetClassifier", "MODEL_FORMAT", "MODEL_FORMAT_VERSION"]

MODEL_FORMAT = "anfang-helmet-cnn"
MODEL_FORMAT_VERSION = 1
CLASS_NAMES = ("no_helmet", "helmet")
_DEFAULT_RESOURCE = "helmet_cnn.npz"


def _as_crop_list(crops: Any, name: str = "crops") -> list[np.ndarray]:
    """Validate crops: a list of uint8 (h, w, 3) arrays or a uint8 (N, h, w, 3) array."""
    if isinstance(crops, np.ndarray):
        if crops.dtype != np.uint8 or crops.ndim != 4 or crops.shape[3] != 3:
            raise TypeError(
                f"{name}: expected uint8 (N, h, w, 3) array or a list of uint8 (h, w, 3) arrays, "
                f"got {describe(crops)}"
            )
        if crops.shape[0] and (crops.shape[1] == 0 or crops.shape[2] == 0):
            raise ValueError(f"{name}: expected non-empty crops, got shape {crops.shape}")
        return list(crops)
    if not isinstance(crops, (list, tuple)):
        raise TypeError(
            f"{name}: expected uint8 (N, h, w, 3) array or a list of uint8 (h, w, 3) arrays, "
            f"got {describe(crops)}"
        )
    out = []
    for i, c in enumerate(crops):
        if not isinstance(c, np.ndarray) or c.dtype != np.uint8 or c.ndim != 3 or c.shape[2] != 3:
            raise TypeError(f"{name}[{i}]: expected uint8 (h, w, 3), got {describe(c)}")
        if c.shape[0] == 0 or c.shape[1] == 0:
            raise ValueError(f"{name}[{i}]: expected a non-empty crop, got shape {c.shape}")
        out.append(c)
    return out


class HelmetClassifier:
    """Says whether a rider's head crop shows a helmet.

    A crop is an RGB uint8 image of the head with some margin around it (the shipped model
    was trained on labelled head boxes grown by :data:`~anfang.helmet.data.DEFAULT_MARGIN`
    = 15 % of the box size on each side, see :func:`anfang.helmet.head_crop`). Any size is
    accepted; crops are resized internally (area averaging) to the model's input size.

    Build one with :meth:`default` (the shipped weights), :meth:`load` (an ``.npz``
    written by :meth:`save`) or :meth:`fit` (trains; needs PyTorch).

    Examples
    --------
    >>> clf = HelmetClassifier.default()
    >>> rng = np.random.default_rng(0)
    >>> crops = [rng.integers(0, 256, (40, 30, 3), dtype=np.uint8),
    ...          rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)]
    >>> p = clf.predict_proba(crops)
    >>> p.shape, bool(((p >= 0) & (p <= 1)).all())
    ((2,), True)
    >>> clf.predict(crops).dtype
    dtype('bool')
    >>> clf.input_size, clf.class_names
    ((32, 32), ('no_helmet', 'helmet'))
    """

    def __init__(self, params: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        self._params = params
        self._meta = dict(meta)
        convs = self._meta["convs"]
        self._convs = [
            (
                np.ascontiguousarray(params[f"conv{i}_w"], dtype=np.float32),
                np.ascontiguousarray(params[f"conv{i}_b"], dtype=np.float32),
                bool(pool),
            )
            for i, (_cin, _cout, pool) in enumerate(convs)
        ]
        self._fc_w = np.ascontiguousarray(params["fc_w"], dtype=np.float32)
        self._fc_b = np.ascontiguousarray(params["fc_b"], dtype=np.float32)
        self._mean = np.asarray(self._meta["mean"], dtype=np.float32).reshape(3)
        self._std = np.asarray(self._meta["std"], dtype=np.float32).reshape(3)

    # ------------------------------------------------------------------ properties
    @property
    def input_size(self) -> tuple[int, int]:
        """(height, width) the crops are resized to."""
        h, w = self._meta["input_size"]
        return int(h), int(w)

    @property
    def class_names(self) -> tuple[str, str]:
        """Names of class 0 and class 1; :meth:`predict_proba` gives P(class 1 = helmet)."""
        return tuple(self._meta["class_names"])  # type: ignore[return-value]

    @property
    def margin(self) -> float:
        """Crop margin (fraction of the head box on each side) the model was trained with."""
        return float(self._meta["margin"])

    @property
    def metadata(self) -> dict[str, Any]:
        """A copy of the model's metadata (architecture, normalisation, training info)."""
        return json.loads(json.dumps(self._meta))

    @property
    def n_params(self) -> int:
        """Number of weights and biases."""
        return int(sum(v.size for v in self._params.values()))

    # ------------------------------------------------------------------ inference
    def preprocess(self, crops) -> np.ndarray:
        """Resize and normalise crops into the network's (N, H, W, 3) float32 input."""
        items = _as_crop_list(crops)
        h, w = self.input_size
        if isinstance(crops, np.ndarray) and len(items):
            # one (N, h, w, 3) batch: two batched matrix products, no per-crop Python work
            ry = resample_matrix(crops.shape[1], h)
            rx = resample_matrix(crops.shape[2], w)
            x = np.ascontiguousarray(np.moveaxis(ry @ np.moveaxis(crops, 3, 1).astype(np.float32) @ rx.T, 1, 3))
        else:  # crops of different sizes: one resize each
            x = np.empty((len(items), h, w, 3), dtype=np.float32)
            for i, c in enumerate(items):
                x[i] = resize_rgb(c, h, w)
        x *= np.float32(1.0 / 255.0)
        x -= self._mean
        x /= self._std
        return x

    def decision_function(self, crops) -> np.ndarray:
        """Logits (log-odds of helmet), shape (N,) float64."""
        x = self.preprocess(crops)
        if x.shape[0] == 0:
            return np.zeros(0, dtype=np.float64)
        return self.forward_normalised(x)

    def forward_normalised(self, x: np.ndarray) -> np.ndarray:
        """Logits for an already resized and normalised (N, H, W, 3) float32 batch."""
        return _cnn.forward_logits(x, self._convs, self._fc_w, self._fc_b).astype(np.float64)

    def predict_proba(self, crops) -> np.ndarray:
        """P(helmet) for each crop, shape (N,) float64 in [0, 1].

        Parameters
        ----------
        crops : list of uint8 (h, w, 3) arrays of any sizes, or uint8 (N, h, w, 3) array
        """
        return _cnn.sigmoid(self.decision_function(crops))

    def predict(self, crops, threshold: float = 0.5) -> np.ndarray:
        """``True`` where P(helmet) >= ``threshold``; shape (N,) bool."""
        if not (isinstance(threshold, (int, float)) and 0.0 <= float(threshold) <= 1.0):
            raise ValueError(f"threshold: expected a number in [0, 1], got {threshold!r}")
        return self.predict_proba(crops) >= float(threshold)

    # ------------------------------------------------------------------ training
    @classmethod
    def fit(
        cls,
        crops,
        labels,
        *,
        valid_crops=None,
        valid_labels=None,
        margin: float = DEFAULT_MARGIN,
        **kwargs: Any,
    ) -> "HelmetClassifier":
        """Train a new classifier on head crops (needs PyTorch: ``pip install anfang[train]``).

        Parameters
        ----------
        crops : list of uint8 (h, w, 3) arrays or uint8 (N, h, w, 3)
            Head crops cut with ``margin`` around the head box.
        labels : array-like of bool, shape (N,)
            ``True`` = with helmet.
        valid_crops, valid_labels : optional
            A held-out set used for early stopping (model selection).
        margin : float
            The margin the crops were cut with; used to place geometric augmentation.
        **kwargs
            Passed to :func:`anfang.helmet.train.train_cnn` (``epochs``, ``seed``, ``lr``,
            ``weight_decay``, ``views``, ``verbose``...).

        Returns
        -------
        HelmetClassifier
        """
        from anfang.helmet import train as _train  # imports torch lazily

        items = _as_crop_list(crops)
        y = np.asarray(labels)
        if y.shape != (len(items),):
            raise ValueError(f"labels: expected shape ({len(items)},), got {y.shape}")
        boxes = [_train.central_box(c.shape, margin) for c in items]
        valid = None
        if valid_crops is not None:
            vitems = _as_crop_list(valid_crops, "valid_crops")
            vy = np.asarray(valid_labels)
            if vy.shape != (len(vitems),):
                raise ValueError(f"valid_labels: expected shape ({len(vitems)},), got {vy.shape}")
            valid = (vitems, vy.astype(bool))
        params, meta = _train.train_cnn(items, boxes, y.astype(bool), valid=valid, margin=margin, **kwargs)
        return cls(params, meta)

    # ------------------------------------------------------------------ persistence
    def save(self, path) -> None:
        """Write the model to an ``.npz`` file (arrays and strings only, no pickle)."""
        arrays: dict[str, np.ndarray] = {k: np.asarray(v, dtype=np.float32) for k, v in self._params.items()}
        meta = self._meta
        arrays["format"] = np.array(MODEL_FORMAT)
        arrays["format_version"] = np.array(MODEL_FORMAT_VERSION, dtype=np.int64)
        arrays["arch"] = np.array(json.dumps({"convs": meta["convs"], "head": "gap-dense-sigmoid"}))
        arrays["input_size"] = np.asarray(meta["input_size"], dtype=np.int64)
        arrays["mean"] = np.asarray(meta["mean"], dtype=np.float32)
        arrays["std"] = np.asarray(meta["std"], dtype=np.float32)
        arrays["class_names"] = np.array(list(meta["class_names"]))
        arrays["margin"] = np.array(float(meta["margin"]))
        arrays["train_data_sha256"] = np.array(str(meta.get("train_data_sha256", "")))
        arrays["anfang_version"] = np.array(str(meta.get("anfang_version", "")))
        arrays["training"] = np.array(json.dumps(meta.get("training", {}), sort_keys=True))
        with open(path, "wb") as fh:
            np.savez_compressed(fh, **arrays)

    @classmethod
    def load(cls, path) -> "HelmetClassifier":
        """Read a model written by :meth:`save`; raises ``ValueError`` if it is not one."""
        try:
            with np.load(path, allow_pickle=False) as z:
                data = {k: z[k] for k in z.files}
        except (OSError, ValueError, EOFError) as exc:
            raise ValueError(f"model: cannot read {path} as an .npz file ({exc})") from exc
        return cls._from_arrays(data, str(path))

    @classmethod
    def default(cls) -> "HelmetClassifier":
        """The shipped model (trained on the CC BY 4.0 data credited in the model card)."""
        ref = resources.files("anfang.helmet").joinpath(_DEFAULT_RESOURCE)
        with resources.as_file(ref) as p:
            return cls.load(p)

    @classmethod
    def _from_arrays(cls, data: dict[str, np.ndarray], where: str) -> "HelmetClassifier":
        def need(key: str) -> np.ndarray:
            if key not in data:
                raise ValueError(f"model {where}: missing key {key!r}; not an {MODEL_FORMAT} file")
            return data[key]

        fmt = str(need("format"))
        if fmt != MODEL_FORMAT:
            raise ValueError(f"model {where}: expected format {MODEL_FORMAT!r}, got {fmt!r}")
        ver = int(need("format_version"))
        if ver != MODEL_FORMAT_VERSION:
            raise ValueError(
                f"model {where}: format_version {ver} is not supported (this anfang reads {MODEL_FORMAT_VERSION})"
            )
        try:
            arch = json.loads(str(need("arch")))
            convs = [(int(a), int(b), bool(p)) for a, b, p in arch["convs"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"model {where}: malformed 'arch' ({exc})") from exc
        if not convs or convs[0][0] != 3:
            raise ValueError(f"model {where}: first conv must take 3 input channels, got {convs[:1]}")
        input_size = tuple(int(v) for v in need("input_size").reshape(-1))
        if len(input_size) != 2 or min(input_size) < 1:
            raise ValueError(f"model {where}: input_size must be 2 positive ints, got {input_size}")
        mean, std = need("mean").astype(np.float32), need("std").astype(np.float32)
        if mean.shape != (3,) or std.shape != (3,) or not (std > 0).all():
            raise ValueError(f"model {where}: mean/std must be 3 values (std > 0), got {mean}, {std}")
        class_names = tuple(str(s) for s in need("class_names").reshape(-1))
        if len(class_names) != 2:
            raise ValueError(f"model {where}: expected 2 class names, got {class_names}")
        params: dict[str, np.ndarray] = {}
        prev = 3
        for i, (cin, cout, _pool) in enumerate(convs):
            if cin != prev:
                raise ValueError(f"model {where}: conv{i} takes {cin} channels, previous layer gives {prev}")
            for key, shape in ((f"conv{i}_w", (cout, cin, 3, 3)), (f"conv{i}_b", (cout,))):
                arr = need(key)
                if arr.shape != shape:
                    raise ValueError(f"model {where}: {key} expected shape {shape}, got {arr.shape}")
                params[key] = arr
            prev = cout
        for key, shape in (("fc_w", (1, prev)), ("fc_b", (1,))):
            arr = need(key)
            if arr.shape != shape:
                raise ValueError(f"model {where}: {key} expected shape {shape}, got {arr.shape}")
            params[key] = arr
        for k, v in params.items():
            if not np.isfinite(v).all():
                raise ValueError(f"model {where}: {k} holds non-finite values")
        meta = {
            "convs": [list(c) for c in convs],
            "input_size": list(input_size),
            "mean": mean.tolist(),
            "std": std.tolist(),
            "class_names": list(class_names),
            "margin": float(data.get("margin", np.array(DEFAULT_MARGIN))),
            "train_data_sha256": str(data.get("train_data_sha256", np.array(""))),
            "anfang_version": str(data.get("anfang_version", np.array(""))),
            "training": json.loads(str(data.get("training", np.array("{}")))),
        }
        return cls(params, meta)

    def __repr__(self) -> str:
        chans = "-".join(str(c[1]) for c in self._meta["convs"])
        h, w = self.input_size
        return f"HelmetClassifier(convs={chans}, input={h}x{w}, params={self.n_params})"
