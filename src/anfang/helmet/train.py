"""Training of the helmet CNN (needs PyTorch, the ``train`` extra: ``pip install anfang[train]``).

Only this module imports :mod:`torch`, and only inside functions, so ``import anfang.helmet``
works without it. The trained network is exported with batch norm folded into the
convolution weights, as plain arrays that :mod:`anfang.helmet._cnn` runs in numpy.

Recipe (see ``docs/model-card-helmet.md``):

* geometric augmentation done once, in numpy, with the same resize as inference: ``views``
  jittered windows per head (margin 0.05-0.30, scale +-12 %, shift +-10 % of the box, aspect
  +-10 %), a third of them shrunk to 8-20 px and enlarged back (small, blurry heads);
* photometric augmentation per batch in torch: horizontal flip, brightness, contrast,
  saturation, grey (p = 0.15), 3x3 Gaussian blur (p = 0.25), pixel noise;
* AdamW with weight decay, cosine learning rate, label smoothing 0.05, dropout before the
  dense layer; each epoch shows every head once, as one random view;
* the epoch with the best accuracy on the held-out set (ties: lower log loss) is kept;
* optionally (``synthetic_seeds``, CLI ``--synthetic-seeds A:B``) head crops of synthetic
  street rider clips (:func:`synthetic_heads`, seeds disjoint from the benchmark suite) are
  added to the training heads and augmented the same way; the held-out set stays real.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from typing import Any, Sequence

import numpy as np

from anfang.helmet._resize import resize_rgb
from anfang.helmet.data import DEFAULT_MARGIN

__all__ = ["DEFAULT_ARCH", "require_torch", "central_box", "make_views", "build_torch_model",
           "export_params", "train_cnn", "train_from_yolo", "synthetic_heads", "parse_seed_range",
           "check_synthetic_seeds"]

#: (in channels, out channels, 2x2 max pool after) of each 3x3 conv layer.
DEFAULT_ARCH = ((3, 24, True), (24, 48, True), (48, 64, True), (64, 96, False))
DEFAULT_INPUT = (32, 32)
_CLASS_NAMES = ("no_helmet", "helmet")


def require_torch():
    """Import torch or raise an ImportError that names the ``train`` extra."""
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "training the helmet classifier needs PyTorch, which is not installed; "
            "install the training extra: pip install 'anfang[train]' (or pip install torch)"
        ) from exc
    return torch


def central_box(shape: Sequence[int], margin: float) -> tuple[float, float, float, float]:
    """Head box inside a crop cut with ``margin`` on each side (assuming no clipping)."""
    h, w = shape[:2]
    bw, bh = w / (1 + 2 * margin), h / (1 + 2 * margin)
    x0, y0 = (w - bw) / 2, (h - bh) / 2
    return (x0, y0, x0 + bw, y0 + bh)


def make_views(crops, boxes, n_views: int, size: tuple[int, int], rng: np.random.Generator,
               margin: float = DEFAULT_MARGIN) -> np.ndarray:
    """Jittered head windows resized to ``size``: uint8 (N, n_views, H, W, 3).

    View 0 is the un-jittered crop at ``margin`` (the inference crop).
    """
    H, W = size
    out = np.empty((len(crops), n_views, H, W, 3), dtype=np.uint8)
    for i, (crop, box) in enumerate(zip(crops, boxes)):
        ch, cw = crop.shape[:2]
        x0, y0, x1, y1 = box
        bw, bh = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        for v in range(n_views):
            if v == 0:
                m, s, dx, dy, asp = margin, 1.0, 0.0, 0.0, 1.0
            else:
                m = rng.uniform(0.05, 0.30)
                s = rng.uniform(0.88, 1.12)
                dx, dy = rng.uniform(-0.10, 0.10, size=2)
                asp = rng.uniform(0.9, 1.1)
            hw = bw * s * asp * (1 + 2 * m) / 2
            hh = bh * s / asp * (1 + 2 * m) / 2
            ccx, ccy = cx + dx * bw, cy + dy * bh
            ix0 = int(np.clip(np.floor(ccx - hw), 0, cw - 1))
            iy0 = int(np.clip(np.floor(ccy - hh), 0, ch - 1))
            ix1 = int(np.clip(np.ceil(ccx + hw), ix0 + 1, cw))
            iy1 = int(np.clip(np.ceil(ccy + hh), iy0 + 1, ch))
            win = crop[iy0:iy1, ix0:ix1]
            if v > 0 and rng.random() < 0.33:
                small = int(rng.integers(8, 21))
                win = resize_rgb(win, small, max(1, round(small * win.shape[1] / win.shape[0])))
            img = resize_rgb(win, H, W)
            out[i, v] = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    return out


def build_torch_model(arch=DEFAULT_ARCH, dropout: float = 0.2):
    """The torch twin of the numpy network (conv-BN-ReLU[-pool] blocks, GAP, dense)."""
    torch = require_torch()
    nn = torch.nn
    layers: list[Any] = []
    for cin, cout, pool in arch:
        layers += [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
        if pool:
            layers.append(nn.MaxPool2d(2))
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout), nn.Linear(arch[-1][1], 1)]
    return nn.Sequential(*layers)


def export_params(model) -> dict[str, np.ndarray]:
    """Fold each BatchNorm into its conv and return the numpy arrays of :mod:`._cnn`."""
    torch = require_torch()
    nn = torch.nn
    mods = list(model)
    params: dict[str, np.ndarray] = {}
    i = 0
    for k, mod in enumerate(mods):
        if isinstance(mod, nn.Conv2d):
            bn = mods[k + 1]
            assert isinstance(bn, nn.BatchNorm2d)
            w = mod.weight.detach().double()
            b = mod.bias.detach().double() if mod.bias is not None else torch.zeros(w.shape[0], dtype=torch.float64)
            scale = bn.weight.detach().double() / torch.sqrt(bn.running_var.double() + bn.eps)
            params[f"conv{i}_w"] = (w * scale[:, None, None, None]).float().numpy()
            params[f"conv{i}_b"] = ((b - bn.running_mean.double()) * scale + bn.bias.detach().double()).float().numpy()
            i += 1
        elif isinstance(mod, nn.Linear):
            params["fc_w"] = mod.weight.detach().float().numpy().copy()
            params["fc_b"] = mod.bias.detach().float().numpy().copy()
    return params


def _augment(torch, x, gen):
    """Photometric augmentation of a float batch (N, 3, H, W) in [0, 1]."""
    n = x.shape[0]

    def u(lo, hi):
        return torch.empty(n, 1, 1, 1).uniform_(lo, hi, generator=gen)

    flip = torch.rand(n, generator=gen) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    x = x * u(0.6, 1.4)  # brightness
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - mean) * u(0.6, 1.4) + mean  # contrast
    grey = (0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3])
    sat = u(0.5, 1.5)
    sat = torch.where((torch.rand(n, 1, 1, 1, generator=gen) < 0.15), torch.zeros_like(sat), sat)
    x = grey + (x - grey) * sat  # saturation; 0 = grey
    blur = torch.rand(n, generator=gen) < 0.25
    if bool(blur.any()):
        k = torch.tensor([1.0, 2.0, 1.0])
        k2 = (k[:, None] * k[None, :]) / 16.0
        w = k2.expand(3, 1, 3, 3).contiguous()
        xb = torch.nn.functional.conv2d(torch.nn.functional.pad(x, (1, 1, 1, 1), mode="replicate"), w, groups=3)
        x = torch.where(blur[:, None, None, None], xb, x)
    x = x + torch.randn(x.shape, generator=gen) * u(0.0, 0.03)
    return x.clamp(0.0, 1.0)


def _data_hash(crops, labels) -> str:
    h = hashlib.sha256()
    for c, y in zip(crops, labels):
        h.update(np.asarray(c.shape, np.int64).tobytes())
        h.update(np.ascontiguousarray(c).tobytes())
        h.update(b"1" if y else b"0")
    return h.hexdigest()


def train_cnn(
    crops,
    boxes,
    labels,
    *,
    valid=None,
    margin: float = DEFAULT_MARGIN,
    epochs: int = 90,
    seed: int = 0,
    lr: float = 3e-3,
    weight_decay: float = 0.02,
    batch_size: int = 64,
    views: int = 12,
    patience: int = 40,
    arch=DEFAULT_ARCH,
    input_size: tuple[int, int] = DEFAULT_INPUT,
    threads: int = 1,
    data_sha256: str | None = None,
    verbose: bool = False,
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Train the CNN; returns ``(params, meta)`` for :class:`~anfang.helmet.HelmetClassifier`.

    Parameters
    ----------
    crops : list of uint8 (h, w, 3)
        Source images around each head (may hold more context than ``margin``).
    boxes : list of (x0, y0, x1, y1)
        The head box inside each crop.
    labels : bool array (N,)
        ``True`` = with helmet.
    valid : (list of crops, bool array) or None
        Held-out head crops (cut with ``margin``) for model selection / early stopping.
    """
    torch = require_torch()
    from anfang import __version__

    labels = np.asarray(labels, dtype=bool)
    n = len(crops)
    if n < 2 or labels.all() or not labels.any():
        raise ValueError("labels: need at least one crop of each class to train")
    if epochs < 1:
        raise ValueError(f"epochs: expected >= 1, got {epochs}")
    torch.set_num_threads(int(threads))
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    V = make_views(crops, boxes, views, input_size, rng, margin)  # (N, V, H, W, 3)
    t_views = time.perf_counter() - t0
    flat = V.reshape(-1, 3).astype(np.float64) / 255.0
    mean, std = flat.mean(0), flat.std(0) + 1e-6
    Vt = torch.from_numpy(V).permute(0, 1, 4, 2, 3).contiguous()  # (N, V, 3, H, W) uint8
    yt = torch.from_numpy(labels.astype(np.float32))
    mean_t = torch.tensor(mean, dtype=torch.float32)[None, :, None, None]
    std_t = torch.tensor(std, dtype=torch.float32)[None, :, None, None]

    xv = yv = None
    if valid is not None:
        vcrops, vlab = valid
        H, W = input_size
        xv_np = np.stack([resize_rgb(c, H, W) for c in vcrops]).astype(np.float32) / 255.0
        xv = (torch.from_numpy(xv_np).permute(0, 3, 1, 2) - mean_t) / std_t
        yv = np.asarray(vlab, dtype=bool)

    model = build_torch_model(arch)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    steps_per_epoch = math.ceil(n / batch_size)
    total = epochs * steps_per_epoch
    warm = min(3 * steps_per_epoch, total // 10 + 1)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warm if s < warm else 0.5 * (1 + math.cos(math.pi * (s - warm) / max(1, total - warm)))
    )
    lossf = torch.nn.BCEWithLogitsLoss()
    best = None
    history = []
    since_best = 0
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(n, generator=gen)
        vidx = torch.randint(0, views, (n,), generator=gen)
        tot_loss = 0.0
        for s in range(0, n, batch_size):
            idx = perm[s : s + batch_size]
            xb = Vt[idx, vidx[idx]].float() / 255.0
            xb = (_augment(torch, xb, gen) - mean_t) / std_t
            yb = yt[idx] * 0.95 + 0.025  # label smoothing 0.05
            loss = lossf(model(xb)[:, 0], yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            tot_loss += loss.item() * len(idx)
        rec = {"epoch": epoch + 1, "train_loss": tot_loss / n}
        if xv is not None:
            model.eval()
            with torch.no_grad():
                z = model(xv)[:, 0].double().numpy()
            p = 1 / (1 + np.exp(-z))
            acc = float(((p >= 0.5) == yv).mean())
            ll = float(-np.mean(np.where(yv, np.log(p + 1e-12), np.log(1 - p + 1e-12))))
            rec.update(valid_accuracy=acc, valid_logloss=ll)
            key = (acc, -ll)
            if best is None or key > best[0]:
                best = (key, epoch + 1, {k: v.clone() for k, v in model.state_dict().items()})
                since_best = 0
            else:
                since_best += 1
        history.append(rec)
        if verbose:
            extra = f" valid acc {rec['valid_accuracy']:.3f} loss {rec['valid_logloss']:.3f}" if xv is not None else ""
            print(f"epoch {epoch + 1:3d} train loss {rec['train_loss']:.3f}{extra}", flush=True)
        if xv is not None and since_best >= patience:
            break
    best_epoch = len(history)
    if best is not None:
        model.load_state_dict(best[2])
        best_epoch = best[1]
    model.eval()
    params = export_params(model)
    meta = {
        "convs": [list(map(lambda v: v if isinstance(v, bool) else int(v), c)) for c in arch],
        "input_size": list(input_size),
        "mean": [float(v) for v in mean],
        "std": [float(v) for v in std],
        "class_names": list(_CLASS_NAMES),
        "margin": float(margin),
        "train_data_sha256": data_sha256 or _data_hash(crops, labels),
        "anfang_version": __version__,
        "training": {
            "seed": int(seed), "epochs_run": len(history), "best_epoch": int(best_epoch),
            "epochs": int(epochs), "lr": lr, "weight_decay": weight_decay, "batch_size": batch_size,
            "views": views, "n_train": n, "n_valid": 0 if valid is None else len(valid[0]),
            "valid_accuracy_best": None if best is None else best[0][0],
            "seconds": round(time.perf_counter() - t0, 1), "seconds_views": round(t_views, 1),
            "torch": str(torch.__version__),
        },
    }
    return params, meta


def parse_seed_range(text: str) -> range:
    """``"A:B"`` (B excluded) or ``"A"`` as a :class:`range` of synthetic clip seeds.

    Examples
    --------
    >>> parse_seed_range("10000:10003")
    range(10000, 10003)
    """
    parts = str(text).split(":")
    try:
        if len(parts) == 1:
            a = int(parts[0])
            return range(a, a + 1)
        if len(parts) == 2:
            a, b = int(parts[0]), int(parts[1])
            if b > a:
                return range(a, b)
    except ValueError:
        pass
    raise ValueError(f"synthetic seeds: expected 'A:B' with integers A < B (B excluded), got {text!r}")


def check_synthetic_seeds(seeds) -> list[int]:
    """The seeds as ints; ValueError if any is a seed of the standard suite's street clips.

    Examples
    --------
    >>> check_synthetic_seeds(range(10000, 10002))
    [10000, 10001]
    """
    from anfang.synth._suite import suite_spec

    seeds = [int(s) for s in seeds]
    used = {int(e["seed"]) for e in suite_spec() if e["scene"] == "street"}
    clash = sorted(set(seeds) & used)
    if clash:
        raise ValueError(f"synthetic seeds: {clash[:5]} are seeds of the standard suite's street clips "
                         f"({min(used)}-{max(used)}); use a disjoint range (e.g. 10000:10030)")
    return seeds


def synthetic_heads(seeds, *, per_rider: int = 8, context: float = 0.35, size=(640, 360),
                    fps: float = 25.0, seconds: float = 12.0, min_size: float = 6.0):
    """Labelled head crops from synthetic street rider clips (:func:`anfang.synth.street`).

    For each seed a ``kind="riders"`` clip is rendered (the suite's size, rate and length)
    and ``per_rider`` frames, evenly spaced over each rider's visible head frames (inside
    the image, at least ``min_size`` px), are cut with ``context`` margin around the true
    head box. Seeds of the standard suite's street clips are refused, so a model trained
    here can be scored on the suite honestly.

    Returns ``(crops, boxes, labels)`` as :func:`train_cnn` takes them.
    """
    from anfang.helmet.data import expand_box
    from anfang.synth import street

    seeds = check_synthetic_seeds(seeds)
    if per_rider < 1:
        raise ValueError(f"per_rider: expected >= 1, got {per_rider}")
    crops, boxes, labels = [], [], []
    W, H = size
    for seed in seeds:
        clip = street(seed=seed, size=(W, H), fps=fps, seconds=seconds, kind="riders")
        for o in clip.truth["objects"]:
            if o["kind"] != "rider":
                continue
            rows = [r for r in o["head_frames"]
                    if r[1] > 0 and r[2] > 0 and r[3] < W and r[4] < H and min(r[3] - r[1], r[4] - r[2]) >= min_size]
            if not rows:
                continue
            pick = np.unique(np.linspace(0, len(rows) - 1, min(per_rider, len(rows))).round().astype(int))
            for i in pick:
                f, x0, y0, x1, y1 = rows[int(i)]
                ex0, ey0, ex1, ey1 = expand_box((x0, y0, x1, y1), context, W, H)
                crops.append(np.ascontiguousarray(clip.frames[int(f)][ey0:ey1, ex0:ex1]))
                boxes.append((x0 - ex0, y0 - ey0, x1 - ex0, y1 - ey0))
                labels.append(bool(o["helmet"]))
    return crops, boxes, np.asarray(labels, dtype=bool)


def train_from_yolo(data_dir, *, margin: float = DEFAULT_MARGIN, context: float = 0.35,
                    synthetic_seeds=None, synthetic_per_rider: int = 8, **kwargs):
    """Train on ``DATA/train`` with ``DATA/valid`` for model selection; returns a classifier.

    Heads are cut from the training images with ``context`` margin (more than ``margin``)
    so that the jittered views can reach outside the inference crop. With
    ``synthetic_seeds`` (an iterable of ints), head crops of synthetic street rider clips
    (:func:`synthetic_heads`) are added to the training set; the valid split (real photos
    only) still selects the epoch.
    """
    from pathlib import Path

    from anfang.helmet.classifier import HelmetClassifier
    from anfang.helmet.data import YOLO_HELMET_CLASS, expand_box, folder_sha256, iter_yolo_folder, load_yolo_crops

    data_dir = Path(data_dir)
    tr, va = data_dir / "train", data_dir / "valid"
    crops, boxes, labels = [], [], []
    for item in iter_yolo_folder(tr):
        h, w = item.image.shape[:2]
        for cls, box in item.boxes:
            x0, y0, x1, y1 = expand_box(box, context, w, h)
            crops.append(np.ascontiguousarray(item.image[y0:y1, x0:x1]))
            boxes.append((box[0] - x0, box[1] - y0, box[2] - x0, box[3] - y0))
            labels.append(cls == YOLO_HELMET_CLASS)
    n_real = len(crops)
    syn = None
    if synthetic_seeds is not None:
        seeds = list(synthetic_seeds)
        sc, sb, sl = synthetic_heads(seeds, per_rider=synthetic_per_rider, context=context)
        crops += sc
        boxes += sb
        labels += [bool(v) for v in sl]
        syn = {"generator": "anfang.synth.street(kind='riders', size=(640, 360), fps=25, seconds=12)",
               "seeds": [min(seeds), max(seeds) + 1], "per_rider": int(synthetic_per_rider),
               "n_heads": len(sc), "n_helmet": int(np.sum(sl))}
    valid = load_yolo_crops(va, margin) if (va / "images").is_dir() else None
    sha = folder_sha256(tr, va)
    if syn is not None:
        sha = hashlib.sha256((sha + json.dumps(syn, sort_keys=True)).encode()).hexdigest()
    params, meta = train_cnn(crops, boxes, np.asarray(labels), valid=valid, margin=margin,
                             data_sha256=sha, **kwargs)
    meta["training"]["data"] = json.loads(json.dumps({"train": str(tr.name), "valid": str(va.name),
                                                      "n_real": n_real, "synthetic": syn}))
    return HelmetClassifier(params, meta)
