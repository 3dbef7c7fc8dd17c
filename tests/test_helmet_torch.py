"""The numpy forward equals the PyTorch forward of the same network (needs the train extra)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch (the 'train' extra) is not installed")

from anfang.helmet import HelmetClassifier  # noqa: E402
from anfang.helmet import _cnn  # noqa: E402
from anfang.helmet.train import DEFAULT_ARCH, build_torch_model, export_params, train_cnn  # noqa: E402


@pytest.mark.parametrize("arch, size", [(DEFAULT_ARCH, 32), (((3, 4, True), (4, 6, False)), 9)])
def test_numpy_forward_equals_torch(arch, size):
    torch.manual_seed(3)
    model = build_torch_model(arch)
    # non-trivial batch-norm statistics so that folding is exercised
    for m in model:
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.3, 0.3)
    model.eval()
    x = np.random.default_rng(0).standard_normal((5, size, size, 3)).astype(np.float32)
    with torch.no_grad():
        ref = model(torch.from_numpy(x).permute(0, 3, 1, 2))[:, 0].numpy()
    p = export_params(model)
    convs = [(p[f"conv{i}_w"], p[f"conv{i}_b"], pool) for i, (_a, _b, pool) in enumerate(arch)]
    got = _cnn.forward_logits(x, convs, p["fc_w"], p["fc_b"])
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4)


def test_fit_tiny_separable_problem(tmp_path):
    # helmets bright in the top half, bare heads dark: learnable in a few epochs
    rng = np.random.default_rng(0)
    crops, labels = [], []
    for i in range(48):
        h = bool(i % 2)
        c = rng.integers(0, 60, (int(rng.integers(20, 40)), int(rng.integers(20, 40)), 3), dtype=np.uint8)
        if h:
            c[: c.shape[0] // 2] += 180
        crops.append(c)
        labels.append(h)
    clf = HelmetClassifier.fit(crops, np.array(labels), valid_crops=crops[:16],
                               valid_labels=np.array(labels[:16]), epochs=12, views=2, seed=1,
                               arch=((3, 8, True), (8, 8, False)))
    assert (clf.predict(crops) == np.array(labels)).mean() >= 0.9
    path = tmp_path / "tiny.npz"
    clf.save(path)
    np.testing.assert_allclose(HelmetClassifier.load(path).predict_proba(crops), clf.predict_proba(crops))
    # seeded: a second run gives the same weights
    again = HelmetClassifier.fit(crops, np.array(labels), valid_crops=crops[:16],
                                 valid_labels=np.array(labels[:16]), epochs=12, views=2, seed=1,
                                 arch=((3, 8, True), (8, 8, False)))
    np.testing.assert_array_equal(again.predict_proba(crops), clf.predict_proba(crops))
    with pytest.raises(ValueError, match="labels"):
        train_cnn(crops[:4], [(0, 0, 5, 5)] * 4, np.ones(4, bool), epochs=1)
