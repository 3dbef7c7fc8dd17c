"""Forward pass of the helmet CNN in plain numpy (no deep-learning framework at run time).

The network is a stack of 3x3 "same" convolutions (batch norm already folded into the
weights at export), each followed by ReLU and optionally a 2x2 max pool, then global
average pooling and one dense unit whose logistic gives P(helmet).

Tensors are NHWC ``float32``. Convolutions are computed as im2col + one matrix product
per layer, vectorised over the whole batch.

Weights use the PyTorch layout ``(C_out, C_in, 3, 3)`` (cross-correlation, like
``torch.nn.Conv2d``), so an exported state dict can be used unchanged.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["conv3x3", "relu", "maxpool2", "global_avg_pool", "dense", "forward_logits", "sigmoid"]


def conv3x3(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    """3x3 cross-correlation with zero padding 1 and stride 1.

    Parameters
    ----------
    x : ndarray, shape (N, H, W, C_in)
    weight : ndarray, shape (C_out, C_in, 3, 3)
        PyTorch layout.
    bias : ndarray, shape (C_out,), or None

    Returns
    -------
    ndarray, shape (N, H, W, C_out), dtype of ``x``.

    Examples
    --------
    >>> x = np.zeros((1, 4, 4, 1), np.float32); x[0, 1, 1, 0] = 1
    >>> w = np.arange(9, dtype=np.float32).reshape(1, 1, 3, 3)
    >>> conv3x3(x, w, np.zeros(1, np.float32))[0, :3, :3, 0]
    array([[8., 7., 6.],
           [5., 4., 3.],
           [2., 1., 0.]], dtype=float32)
    """
    n, h, w, cin = x.shape
    cout = weight.shape[0]
    if weight.shape != (cout, cin, 3, 3):
        raise ValueError(f"weight: expected shape ({cout}, {cin}, 3, 3), got {weight.shape}")
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    if cin <= 4:
        # few channels: one strided copy, columns ordered (c_in, ky, kx) = PyTorch's layout
        cols = sliding_window_view(xp, (3, 3), axis=(1, 2)).reshape(n * h * w, cin * 9)
        wmat = weight.reshape(cout, cin * 9).T
    else:
        # many channels: nine slab copies, columns ordered (ky, kx, c_in)
        cols9 = np.empty((n, h, w, 9, cin), dtype=x.dtype)
        for ky in range(3):
            for kx in range(3):
                cols9[:, :, :, ky * 3 + kx, :] = xp[:, ky : ky + h, kx : kx + w, :]
        cols = cols9.reshape(n * h * w, 9 * cin)
        wmat = weight.transpose(2, 3, 1, 0).reshape(9 * cin, cout)
    out = cols @ wmat.astype(x.dtype, copy=False)
    if bias is not None:
        out += bias.astype(x.dtype, copy=False)
    return out.reshape(n, h, w, cout)


def relu(x: np.ndarray) -> np.ndarray:
    """In-place ReLU; returns ``x``."""
    np.maximum(x, 0, out=x)
    return x


def maxpool2(x: np.ndarray) -> np.ndarray:
    """2x2 max pool, stride 2, NHWC; an odd last row/column is dropped (PyTorch's floor mode).

    Examples
    --------
    >>> x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    >>> maxpool2(x)[0, :, :, 0]
    array([[ 5.,  7.],
           [13., 15.]], dtype=float32)
    """
    n, h, w, c = x.shape
    h2, w2 = h // 2, w // 2
    a = np.maximum(x[:, 0 : 2 * h2 : 2, 0 : 2 * w2 : 2], x[:, 0 : 2 * h2 : 2, 1 : 2 * w2 : 2])
    b = np.maximum(x[:, 1 : 2 * h2 : 2, 0 : 2 * w2 : 2], x[:, 1 : 2 * h2 : 2, 1 : 2 * w2 : 2])
    return np.maximum(a, b, out=a)


def global_avg_pool(x: np.ndarray) -> np.ndarray:
    """Mean over H and W: (N, H, W, C) -> (N, C)."""
    return x.mean(axis=(1, 2))


def dense(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """``x @ weight.T + bias`` with PyTorch's ``(out, in)`` weight layout."""
    return x @ weight.T.astype(x.dtype, copy=False) + bias.astype(x.dtype, copy=False)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Numerically stable logistic function."""
    z = np.asarray(z, dtype=np.float64)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def forward_logits(
    x: np.ndarray,
    convs: Sequence[tuple[np.ndarray, np.ndarray, bool]],
    fc_weight: np.ndarray,
    fc_bias: np.ndarray,
) -> np.ndarray:
    """Run the whole network on a normalised NHWC float32 batch.

    Parameters
    ----------
    x : ndarray, shape (N, H, W, 3), float32, already normalised.
    convs : sequence of (weight, bias, pool)
        One entry per conv layer (BN folded); ``pool`` adds a 2x2 max pool after the ReLU.
    fc_weight : ndarray, shape (1, C_last)
    fc_bias : ndarray, shape (1,)

    Returns
    -------
    ndarray, shape (N,)
        Logits (log-odds of the positive class).
    """
    for weight, bias, pool in convs:
        if pool:
            # max pooling commutes with adding a per-channel constant and with ReLU, so
            # pool first and do the bias and ReLU on a quarter of the values (same result)
            x = maxpool2(conv3x3(x, weight, None))
            x += bias.astype(x.dtype, copy=False)
            x = relu(x)
        else:
            x = relu(conv3x3(x, weight, bias))
    feat = global_avg_pool(x)
    return dense(feat, fc_weight, fc_bias)[:, 0]
