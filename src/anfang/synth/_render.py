"""Vectorised drawing primitives for the scenario generator.

All drawing works on float32 canvases ``(H, W)`` or ``(H, W, 3)`` in grey levels 0..255.
Pixel ``(row i, column j)`` covers the square ``[j, j+1) x [i, i+1)``; coverage is
estimated with ``ss x ss`` sub-samples per pixel, evaluated as one numpy expression over
the object's patch (no Python loop over pixels). Every primitive returns the analytic
``x0, y0, x1, y1`` box of the shape clipped to the canvas, or ``None`` when nothing of it
lies inside; a pixel that receives any paint always intersects that box.
"""

from __future__ import annotations

import math

import numpy as np


def check_scene_args(seed, size, fps, seconds, min_side: int) -> tuple[int, int, int, float, float]:
    """Validate the common generator arguments: ``(seed, W, H, fps, seconds)``.

    Raises TypeError/ValueError naming the argument, what was expected and what was given.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise (ValueError if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) else TypeError)(
            f"seed: expected an integer >= 0, got {type(seed).__name__} {seed!r}")
    if (not isinstance(size, (tuple, list, np.ndarray)) or len(size) != 2
            or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in size)):
        raise TypeError(f"size: expected (width, height) integers, got {type(size).__name__} {size!r}")
    W, H = int(size[0]), int(size[1])
    if W < min_side or H < min_side:
        raise ValueError(f"size: expected at least {min_side}x{min_side} pixels, got {W}x{H}")
    out = []
    for name, v in (("fps", fps), ("seconds", seconds)):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise TypeError(f"{name}: expected a positive number, got {type(v).__name__} {v!r}")
        if not (math.isfinite(float(v)) and v > 0):
            raise ValueError(f"fps, seconds: expected positive numbers, got {fps}, {seconds}")
        out.append(float(v))
    return int(seed), W, H, out[0], out[1]


def plain(x):
    """``x`` with numpy scalars/arrays and tuples turned into Python floats/ints/lists (JSON-ready)."""
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    if isinstance(x, np.ndarray):
        return plain(x.tolist())
    if isinstance(x, np.generic):
        return x.item()
    return x


def _patch(shape, x0, y0, x1, y1):
    H, W = shape[:2]
    j0, i0 = max(int(math.floor(x0)), 0), max(int(math.floor(y0)), 0)
    j1, i1 = min(int(math.ceil(x1)), W), min(int(math.ceil(y1)), H)
    if j1 <= j0 or i1 <= i0:
        return None
    return i0, i1, j0, j1


def _subgrid(i0, i1, j0, j1, ss):
    off = (np.arange(ss, dtype=np.float32) + 0.5) / ss
    ys = (np.arange(i0, i1, dtype=np.float32)[:, None] + off[None, :]).reshape(-1)
    xs = (np.arange(j0, j1, dtype=np.float32)[:, None] + off[None, :]).reshape(-1)
    return xs, ys


def _paint(img, i0, i1, j0, j1, cov, color, alpha):
    """Blend ``color`` into ``img[i0:i1, j0:j1]`` with weight ``alpha * cov``."""
    w = (alpha * cov).astype(np.float32)
    region = img[i0:i1, j0:j1]
    if img.ndim == 3:
        c = np.asarray(color, np.float32).reshape(1, 1, -1)
        region += w[..., None] * (c - region)
    else:
        c = float(np.mean(color)) if np.ndim(color) else float(color)
        region += w * (c - region)


def _clip_box(shape, x0, y0, x1, y1):
    H, W = shape[:2]
    bx0, by0, bx1, by1 = max(x0, 0.0), max(y0, 0.0), min(x1, float(W)), min(y1, float(H))
    if bx1 <= bx0 or by1 <= by0:
        return None
    return (bx0, by0, bx1, by1)


def ellipse(img, cx, cy, a, b, angle=0.0, color=0.0, alpha=1.0, ss=None):
    """Anti-aliased filled ellipse (semi-axes ``a`` along ``angle`` radians, ``b`` across).

    ``ss`` sub-samples per pixel side default to 4 for small shapes, fewer for large ones.
    """
    a, b = max(float(a), 1e-3), max(float(b), 1e-3)
    if ss is None:
        m = max(a, b)
        ss = 4 if m < 8 else (2 if m < 24 else 1)
    ca, sa = math.cos(angle), math.sin(angle)
    hx = math.sqrt((a * ca) ** 2 + (b * sa) ** 2)
    hy = math.sqrt((a * sa) ** 2 + (b * ca) ** 2)
    box = (cx - hx, cy - hy, cx + hx, cy + hy)
    p = _patch(img.shape, *box)
    if p is None:
        return None
    i0, i1, j0, j1 = p
    xs, ys = _subgrid(i0, i1, j0, j1, ss)
    dx = xs[None, :] - cx
    dy = ys[:, None] - cy
    u = (dx * ca + dy * sa) / a
    v = (-dx * sa + dy * ca) / b
    inside = (u * u + v * v) <= 1.0
    cov = inside.reshape(i1 - i0, ss, j1 - j0, ss).mean(axis=(1, 3))
    if not cov.any():
        return None
    _paint(img, i0, i1, j0, j1, cov, color, alpha)
    return _clip_box(img.shape, *box)


def rect(img, x0, y0, x1, y1, color=0.0, alpha=1.0):
    """Axis-aligned rectangle with exact fractional edge coverage."""
    if x1 <= x0 or y1 <= y0:
        return None
    p = _patch(img.shape, x0, y0, x1, y1)
    if p is None:
        return None
    i0, i1, j0, j1 = p
    jj = np.arange(j0, j1, dtype=np.float32)
    ii = np.arange(i0, i1, dtype=np.float32)
    cx = np.clip(np.minimum(jj + 1, x1) - np.maximum(jj, x0), 0, 1)
    cy = np.clip(np.minimum(ii + 1, y1) - np.maximum(ii, y0), 0, 1)
    cov = cy[:, None] * cx[None, :]
    _paint(img, i0, i1, j0, j1, cov, color, alpha)
    return _clip_box(img.shape, x0, y0, x1, y1)


def gaussian(shape, cx, cy, sigma, extent=3.0):
    """A Gaussian of height 1 centred at ``(cx, cy)``, cut at ``extent`` sigma, over the
    pixels it reaches: ``(patch, weights, box)`` with ``patch = (i0, i1, j0, j1)``, or
    None when it misses the image."""
    r = extent * sigma
    box = (cx - r, cy - r, cx + r, cy + r)
    p = _patch(shape, *box)
    if p is None:
        return None
    i0, i1, j0, j1 = p
    xs = np.arange(j0, j1, dtype=np.float32) + 0.5 - cx
    ys = np.arange(i0, i1, dtype=np.float32) + 0.5 - cy
    d2 = ys[:, None] ** 2 + xs[None, :] ** 2
    return p, np.exp(-0.5 * d2 / sigma**2) * (d2 <= r * r), box


def blob(img, cx, cy, sigma, color=0.0, alpha=1.0, extent=3.0):
    """Gaussian blob (a defocused object), cut at ``extent`` sigma."""
    gs = gaussian(img.shape, cx, cy, sigma, extent)
    if gs is None:
        return None
    (i0, i1, j0, j1), cov, box = gs
    _paint(img, i0, i1, j0, j1, cov, color, alpha)
    return _clip_box(img.shape, *box)


def union(*boxes):
    bs = [b for b in boxes if b is not None]
    if not bs:
        return None
    return (min(b[0] for b in bs), min(b[1] for b in bs), max(b[2] for b in bs), max(b[3] for b in bs))


def shift(img, dx, dy):
    """Translate the whole image by ``(dx, dy)`` pixels (bilinear, edge-replicated)."""
    H, W = img.shape[:2]
    ix, fx = int(math.floor(dx)), np.float32(dx - math.floor(dx))
    iy, fy = int(math.floor(dy)), np.float32(dy - math.floor(dy))
    xa = np.clip(np.arange(W) - ix, 0, W - 1)
    xb = np.clip(np.arange(W) - ix - 1, 0, W - 1)
    ya = np.clip(np.arange(H) - iy, 0, H - 1)
    yb = np.clip(np.arange(H) - iy - 1, 0, H - 1)
    # output(x) = img(x - dx) = (1 - fx) * img[x - ix] + fx * img[x - ix - 1]
    cols = img[:, xa] * (1 - fx) + img[:, xb] * fx
    return cols[ya] * (1 - fy) + cols[yb] * fy


def block_quantise(img, q):
    """8x8 block artefacts: keep each block's mean, quantise deviations to steps of ``q``."""
    if q <= 0:
        return img
    H, W = img.shape[:2]
    h8, w8 = H - H % 8, W - W % 8
    core = img[:h8, :w8]
    shp = (h8 // 8, 8, w8 // 8, 8) + img.shape[2:]
    blocks = core.reshape(shp)
    mean = blocks.mean(axis=(1, 3), keepdims=True)
    blocks = mean + np.round((blocks - mean) / q) * q
    out = img.copy()
    out[:h8, :w8] = blocks.reshape(core.shape)
    return out


def smooth_noise(rng, h, w, scale):
    """Smooth random field in [0, 1] (bilinear upsampled coarse noise)."""
    gh, gw = max(2, int(h / scale) + 2), max(2, int(w / scale) + 2)
    g = rng.random((gh, gw)).astype(np.float32)
    ys = np.linspace(0, gh - 1.001, h, dtype=np.float32)
    xs = np.linspace(0, gw - 1.001, w, dtype=np.float32)
    y0, x0 = ys.astype(np.intp), xs.astype(np.intp)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    top = g[y0][:, x0] * (1 - fx) + g[y0][:, x0 + 1] * fx
    bot = g[y0 + 1][:, x0] * (1 - fx) + g[y0 + 1][:, x0 + 1] * fx
    f = top * (1 - fy) + bot * fy
    # smoothstep for softer edges
    return f * f * (3 - 2 * f)


def timeline(rng, fps, seconds, content_fps=None, drop_prob=0.0):
    """Frame timestamps and the scene time each frame shows.

    ``content_fps < fps`` repeats frames (a 30 fps container carrying 10 fps content: the
    scene time is held, so consecutive frames are identical); ``drop_prob`` removes frames,
    leaving gaps in the timestamps.
    """
    n = max(1, int(round(seconds * fps)))
    t = np.arange(n, dtype=np.float64) / fps
    if drop_prob > 0:
        keep = rng.random(n) >= drop_prob
        keep[0] = True
        t = t[keep]
    if content_fps and content_fps < fps:
        tc = np.floor(t * content_fps + 1e-9) / content_fps
    else:
        tc = t.copy()
    return t, tc


def to_uint8(img, out=None):
    """Round and clip a float canvas into uint8 (in place on ``img``; writes ``out`` if given)."""
    np.rint(img, out=img)
    np.clip(img, 0, 255, out=img)
    if out is None:
        return img.astype(np.uint8)
    out[...] = img
    return out
