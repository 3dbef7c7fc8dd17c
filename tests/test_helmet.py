"""HelmetClassifier, head crops, YOLO scoring, the CLI and the shipped model's accuracy."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from anfang.cli import main as cli_main
from anfang.helmet import DEFAULT_MARGIN, HelmetClassifier, head_crop
from anfang.helmet.bench import main as bench_main
from anfang.helmet.bench import score_yolo_folder
from anfang.helmet.data import expand_box, read_yolo_labels

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "helmet"


@pytest.fixture(scope="module")
def clf():
    return HelmetClassifier.default()


def _crops(seed=0, n=5):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (int(rng.integers(1, 70)), int(rng.integers(1, 70)), 3), dtype=np.uint8)
            for _ in range(n)]


# ------------------------------------------------------------------ crops

def test_expand_box_margin_and_clipping():
    # 20 x 40 box, 15 %: 3 px left/right, 6 px top/bottom
    assert expand_box((10, 10, 30, 50), 0.15, 100, 100) == (7, 4, 33, 56)
    assert expand_box((0, 0, 10, 10), 0.5, 8, 8) == (0, 0, 8, 8)
    assert expand_box((5, 5, 5, 5), 0.15, 10, 10) == (5, 5, 6, 6)  # empty box -> 1 px
    with pytest.raises(ValueError, match="box"):
        expand_box((5, 5, 1, 1), 0.1, 10, 10)
    with pytest.raises(ValueError, match="margin"):
        expand_box((0, 0, 1, 1), -0.1, 10, 10)
    with pytest.raises(TypeError, match=r"box: expected 4 numbers x0, y0, x1, y1, got \(1, 2, 3\)"):
        expand_box((1, 2, 3), 0.1, 10, 10)
    with pytest.raises(TypeError, match="box: expected 4 numbers"):
        expand_box(None, 0.1, 10, 10)


def test_head_crop_content_and_errors():
    img = np.zeros((100, 100, 3), np.uint8)
    img[10:50, 10:30] = 255
    crop = head_crop(img, (10, 10, 30, 50), margin=0.15)
    assert crop.shape == (52, 26, 3)
    assert crop[6:46, 3:23].min() == 255 and crop[:6].max() == 0
    with pytest.raises(TypeError, match=r"image: expected uint8 \(H, W, 3\), got float64"):
        head_crop(img.astype(float), (0, 0, 5, 5))


def test_read_yolo_labels(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("0 0.5 0.5 0.2 0.4\n\n1 0.1 0.1 0.2 0.2")
    assert read_yolo_labels(p, 200, 100) == [(0, (80.0, 30.0, 120.0, 70.0)), (1, (0.0, 0.0, 40.0, 20.0))]
    p.write_text("0 0.5 0.5\n")
    with pytest.raises(ValueError, match="a.txt:1"):
        read_yolo_labels(p, 10, 10)


# ------------------------------------------------------------------ classifier

def test_predict_shapes_and_list_vs_array(clf):
    crops = _crops()
    p = clf.predict_proba(crops)
    assert p.shape == (5,) and p.dtype == np.float64 and ((p >= 0) & (p <= 1)).all()
    same = [np.ascontiguousarray(np.broadcast_to(c[:1, :1], (40, 30, 3))) for c in crops]
    np.testing.assert_allclose(clf.predict_proba(np.stack(same)), clf.predict_proba(same), rtol=1e-6)
    assert clf.predict_proba([]).shape == (0,)
    assert clf.predict_proba(np.zeros((0, 8, 8, 3), np.uint8)).shape == (0,)
    np.testing.assert_array_equal(clf.predict(crops, threshold=0.3), p >= 0.3)


def test_batch_independence(clf):
    crops = _crops(1, 6)
    together = clf.predict_proba(crops)
    alone = np.array([clf.predict_proba([c])[0] for c in crops])
    np.testing.assert_allclose(together, alone, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    "bad, exc, msg",
    [
        (np.zeros((4, 8, 8, 3), np.float32), TypeError, r"crops: expected uint8 \(N, h, w, 3\)"),
        (np.zeros((8, 8, 3), np.uint8), TypeError, r"got uint8 \(8, 8, 3\)"),
        ([np.zeros((8, 8), np.uint8)], TypeError, r"crops\[0\]: expected uint8 \(h, w, 3\), got uint8 \(8, 8\)"),
        ([np.zeros((0, 8, 3), np.uint8)], ValueError, r"crops\[0\]: expected a non-empty crop"),
        ("x", TypeError, "crops: expected"),
    ],
)
def test_bad_crops(clf, bad, exc, msg):
    with pytest.raises(exc, match=msg):
        clf.predict_proba(bad)


def test_bad_threshold(clf):
    with pytest.raises(ValueError, match="threshold"):
        clf.predict(_crops(), threshold=1.5)


def test_metadata(clf):
    assert clf.input_size == (32, 32)
    assert clf.class_names == ("no_helmet", "helmet")
    assert clf.margin == DEFAULT_MARGIN
    md = clf.metadata
    assert len(md["train_data_sha256"]) == 64 and md["training"]["seed"] == 0
    assert 20_000 <= clf.n_params <= 150_000


def test_save_load_roundtrip(clf, tmp_path):
    path = tmp_path / "m.npz"
    clf.save(path)
    again = HelmetClassifier.load(path)
    crops = _crops(2)
    np.testing.assert_array_equal(again.predict_proba(crops), clf.predict_proba(crops))
    assert again.metadata == clf.metadata


def _rewrite(src, dst, **changes):
    with np.load(src, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    for k, v in changes.items():
        if v is None:
            arrays.pop(k)
        else:
            arrays[k] = v
    np.savez(dst, **arrays)


@pytest.mark.parametrize(
    "changes, msg",
    [
        ({"format": np.array("something-else")}, "expected format"),
        ({"format_version": np.array(99)}, "format_version 99"),
        ({"conv1_w": None}, "missing key 'conv1_w'"),
        ({"conv0_w": np.zeros((24, 3, 5, 5), np.float32)}, r"conv0_w expected shape \(24, 3, 3, 3\)"),
        ({"fc_b": np.array([np.nan], np.float32)}, "non-finite"),
        ({"std": np.array([1.0, 0.0, 1.0], np.float32)}, "std"),
        ({"arch": np.array("not json")}, "malformed 'arch'"),
    ],
)
def test_load_validates(clf, tmp_path, changes, msg):
    good = tmp_path / "good.npz"
    clf.save(good)
    bad = tmp_path / "bad.npz"
    _rewrite(good, bad, **changes)
    with pytest.raises(ValueError, match=msg):
        HelmetClassifier.load(bad)


def test_load_not_npz(tmp_path):
    p = tmp_path / "x.npz"
    p.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="cannot read"):
        HelmetClassifier.load(p)


def test_fit_without_torch_names_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes "import torch" raise ImportError
    with pytest.raises(ImportError, match=r"anfang\[train\]"):
        HelmetClassifier.fit(_crops(), np.array([True, False, True, False, True]))


# ------------------------------------------------------------------ scoring a YOLO folder

class _FakeClassifier:
    """P(helmet) = mean red value / 255 of the crop."""

    def predict_proba(self, crops):
        return np.array([c[..., 0].mean() / 255.0 for c in crops])


def _make_yolo(root: Path):
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    from skimage import io

    img = np.zeros((100, 200, 3), np.uint8)
    img[:, :100, 0] = 250  # left half red
    io.imsave(root / "images" / "a.png", img, check_contrast=False)
    # helmet on red (right), no helmet on black (right), helmet on black (wrong), no helmet on red (wrong)
    (root / "labels" / "a.txt").write_text(
        "0 0.25 0.5 0.1 0.2\n1 0.75 0.5 0.1 0.2\n0 0.75 0.25 0.1 0.2\n1 0.25 0.25 0.05 0.1\n"
    )
    io.imsave(root / "images" / "b.png", img, check_contrast=False)
    (root / "labels" / "b.txt").write_text("")  # negative image: no heads


def test_score_yolo_folder_hand_computed(tmp_path):
    _make_yolo(tmp_path)
    rep = score_yolo_folder(tmp_path, _FakeClassifier())
    assert rep["n"] == 4 and rep["n_helmet"] == 2
    assert rep["accuracy"] == 0.5 and rep["balanced_accuracy"] == 0.5
    # scores: helmet {0.98, 0}, no helmet {0, 0.98} -> pairs: win, tie(0.5), loss, tie(0.5) -> 0.5
    assert rep["auc"] == 0.5
    assert rep["precision_helmet"] == 0.5 and rep["recall_no_helmet"] == 0.5


def test_bench_main_json(tmp_path, capsys):
    _make_yolo(tmp_path)

    class Args:
        yolo = str(tmp_path)
        model = None
        json = True

    assert bench_main(Args()) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n"] == 4 and {"accuracy", "balanced_accuracy", "auc"} <= set(out)


def test_cli_helmet_score_and_info(tmp_path, capsys):
    _make_yolo(tmp_path)
    assert cli_main(["helmet", "score", "--yolo", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "heads              4 (2 helmet, 2 no helmet)" in text
    assert cli_main(["helmet", "info"]) == 0
    assert "HelmetClassifier(convs=" in capsys.readouterr().out
    assert cli_main(["helmet", "score", "--yolo", str(tmp_path / "nope")]) == 1


def test_score_empty_folder_and_cli_train_without_torch(tmp_path, capsys, monkeypatch):
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    rep = score_yolo_folder(tmp_path, _FakeClassifier())
    assert rep["n"] == 0 and np.isnan(rep["accuracy"]) and np.isnan(rep["auc"])
    assert cli_main(["helmet", "score", "--yolo", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["auc"] is None
    monkeypatch.setitem(sys.modules, "torch", None)
    assert cli_main(["helmet", "train", "--data", str(tmp_path), "--out", str(tmp_path / "m.npz")]) == 1
    assert "anfang[train]" in capsys.readouterr().err


# ------------------------------------------------------------------ the shipped model on real data

@pytest.mark.skipif(not (DATA / "valid" / "labels").is_dir(), reason=f"helmet data set not found at {DATA}")
def test_shipped_model_accuracy_on_valid_split(clf):
    rep = score_yolo_folder(DATA / "valid", clf)
    assert rep["n"] == 359
    assert rep["accuracy"] >= 0.90
    assert rep["auc"] >= 0.93


def test_batched_array_preprocess_matches_per_crop_resize(clf):
    # the (N, h, w, 3) array path resizes the whole batch at once; the list path one crop at
    # a time with resize_rgb (itself checked against OpenCV INTER_AREA / INTER_LINEAR)
    from anfang.helmet._resize import resize_rgb

    rng = np.random.default_rng(5)
    for shape in [(3, 41, 29, 3), (2, 7, 90, 3), (1, 1, 1, 3)]:
        arr = rng.integers(0, 256, shape, dtype=np.uint8)
        h, w = clf.input_size
        want = np.stack([resize_rgb(c, h, w) for c in arr])
        want = (want / np.float32(255) - clf._mean) / clf._std
        np.testing.assert_allclose(clf.preprocess(arr), want, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(clf.preprocess(arr), clf.preprocess(list(arr)), rtol=1e-5, atol=1e-5)
        assert clf.preprocess(arr).flags.c_contiguous and clf.preprocess(arr).dtype == np.float32
# ------------------------------------------------------------------ synthetic training heads

def test_parse_seed_range_and_suite_seeds_refused():
    from anfang.helmet.train import check_synthetic_seeds, parse_seed_range

    assert parse_seed_range("10000:10030") == range(10000, 10030)
    assert parse_seed_range("7") == range(7, 8)
    for bad in ("5:5", "9:3", "a:b", "1:2:3", ""):
        with pytest.raises(ValueError, match="synthetic seeds"):
            parse_seed_range(bad)
    assert check_synthetic_seeds(range(10000, 10003)) == [10000, 10001, 10002]
    with pytest.raises(ValueError, match=r"\[4000, 4001\]"):
        check_synthetic_seeds(range(3990, 4002))


def test_synthetic_heads_match_the_truth():
    from anfang.helmet.train import central_box, synthetic_heads
    from anfang.synth import street

    kw = dict(size=(320, 180), fps=10.0, seconds=4.0)
    crops, boxes, labels = synthetic_heads([11, 12], per_rider=3, min_size=4.0, **kw)
    assert len(crops) == len(boxes) == len(labels) > 0 and labels.dtype == bool
    truth = []
    for seed in (11, 12):
        clip = street(seed=seed, kind="riders", **kw)
        truth += [bool(o["helmet"]) for o in clip.truth["objects"] if o["kind"] == "rider" and o["head_frames"]]
    # at most per_rider crops per rider, labels drawn from the riders' labels
    assert len(crops) <= 3 * len(truth) and set(labels.tolist()) <= set(truth)
    for c, b in zip(crops, boxes):
        assert c.dtype == np.uint8 and c.ndim == 3 and c.shape[2] == 3
        x0, y0, x1, y1 = b
        assert 0 <= x0 < x1 <= c.shape[1] and 0 <= y0 < y1 <= c.shape[0]
        # context 0.35 on each side unless clipped: the box sits inside, about centred
        cx0, cy0, cx1, cy1 = central_box(c.shape, 0.35)
        assert abs((x0 + x1) / 2 - (cx0 + cx1) / 2) <= 1.5 and abs((y0 + y1) / 2 - (cy0 + cy1) / 2) <= 1.5
    with pytest.raises(ValueError, match="suite"):
        synthetic_heads([4003], **kw)


def test_cli_train_rejects_bad_synthetic_seeds(tmp_path, capsys):
    out = str(tmp_path / "m.npz")
    assert cli_main(["helmet", "train", "--data", str(tmp_path), "--out", out, "--synthetic-seeds", "x"]) == 2
    assert "--synthetic-seeds" in capsys.readouterr().err
    assert cli_main(["helmet", "train", "--data", str(tmp_path), "--out", out,
                     "--synthetic-seeds", "4000:4010"]) == 2
    assert "suite" in capsys.readouterr().err
    assert cli_main(["helmet", "train", "--data", str(tmp_path), "--out", out,
                     "--synthetic-seeds", "10000:10002", "--synthetic-per-rider", "0"]) == 2
