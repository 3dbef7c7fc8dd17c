"""Motion kernels against independent oracles (numpy, scikit-image)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from skimage import measure, morphology

from anfang import motion

SETTINGS = settings(max_examples=80, deadline=None)

dims = st.integers(1, 37)
densities = st.sampled_from([0.0, 0.02, 0.2, 0.5, 0.8, 0.97, 1.0])
seeds = st.integers(0, 2**32 - 1)


def rand_mask(h: int, w: int, p: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random((h, w)) < p


def rand_img(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def np_diff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = np.abs(a.astype(np.int16) - b.astype(np.int16))
    return d.max(axis=2) if d.ndim == 3 else d


# ----------------------------------------------------------------------------- diff


@SETTINGS
@given(h=dims, w=dims, rgb=st.booleans(), t=st.integers(0, 255), seed=seeds)
def test_diff_mask_matches_numpy(h, w, rgb, t, seed):
    shape = (h, w, 3) if rgb else (h, w)
    a, b = rand_img(shape, seed), rand_img(shape, seed + 1)
    got = motion.diff_mask(a, b, t)
    assert got.dtype == np.bool_ and got.shape == (h, w)
    np.testing.assert_array_equal(got, np_diff(a, b) > t)


@SETTINGS
@given(h=dims, w=dims, rgb=st.booleans(), t=st.integers(0, 255), seed=seeds)
def test_diff_mask3_matches_numpy(h, w, rgb, t, seed):
    shape = (h, w, 3) if rgb else (h, w)
    a, b, c = rand_img(shape, seed), rand_img(shape, seed + 1), rand_img(shape, seed + 2)
    want = (np_diff(a, b) > t) & (np_diff(b, c) > t)
    np.testing.assert_array_equal(motion.diff_mask3(a, b, c, t), want)


def test_diff_mask_large_frame_simd_path():
    a = rand_img((1080, 1920), 1)
    b = rand_img((1080, 1920), 2)
    np.testing.assert_array_equal(motion.diff_mask(a, b, 100), np_diff(a, b) > 100)


# ----------------------------------------------------------------------------- morphology

SK = {
    "erode": morphology.erosion,
    "dilate": morphology.dilation,
    "opening": morphology.opening,
    "closing": morphology.closing,
}


@SETTINGS
@given(
    h=dims,
    w=st.integers(1, 140),
    p=densities,
    size=st.sampled_from([1, 3, 5, 7, 9, 15, 65]),
    op=st.sampled_from(sorted(SK)),
    seed=seeds,
)
def test_morphology_matches_skimage(h, w, p, size, op, seed):
    m = rand_mask(h, w, p, seed)
    got = getattr(motion, op)(m, size)
    want = SK[op](m, np.ones((size, size), bool))
    assert got.dtype == np.bool_
    np.testing.assert_array_equal(got, want)


def test_morphology_border_does_not_erode():
    m = np.ones((4, 5), bool)
    np.testing.assert_array_equal(motion.erode(m, 3), m)
    np.testing.assert_array_equal(motion.opening(m, 5), m)
    single = np.zeros((5, 5), bool)
    single[0, 0] = True
    d = motion.dilate(single, 3)
    assert d.sum() == 4 and d[:2, :2].all()


def test_morphology_1080p_matches_skimage():
    m = rand_mask(1080, 1920, 0.6, 3)
    fp = np.ones((3, 3), bool)
    np.testing.assert_array_equal(motion.opening(m, 3), morphology.opening(m, fp))


# ----------------------------------------------------------------------------- label


def regionprops_stats(ref: np.ndarray):
    props = measure.regionprops(ref)
    area = np.array([p.area for p in props], dtype=np.int64)
    bbox = np.array([[p.bbox[1], p.bbox[0], p.bbox[3], p.bbox[2]] for p in props]).reshape(-1, 4)
    cen = np.array([[p.centroid[1], p.centroid[0]] for p in props]).reshape(-1, 2)
    return area, bbox, cen


@SETTINGS
@given(h=dims, w=st.integers(1, 140), p=densities, conn=st.sampled_from([4, 8]), seed=seeds)
def test_label_matches_skimage(h, w, p, conn, seed):
    m = rand_mask(h, w, p, seed)
    labels, b = motion.label(m, connectivity=conn)
    ref = measure.label(m, connectivity=2 if conn == 8 else 1)
    assert labels.dtype == np.int32
    np.testing.assert_array_equal(labels, ref)
    area, bbox, cen = regionprops_stats(ref)
    assert len(b) == ref.max()
    np.testing.assert_array_equal(b.area, area)
    np.testing.assert_array_equal(b.bbox, bbox)
    np.testing.assert_allclose(b.centroid, cen, rtol=0, atol=1e-9)


def test_label_snake_merges_late():
    # A U shape whose arms meet only at the bottom: provisional labels must merge.
    m = np.zeros((5, 7), bool)
    m[:, 0] = m[:, 6] = m[4, :] = True
    m[0, 3] = True
    labels, b = motion.label(m)
    np.testing.assert_array_equal(labels, measure.label(m, connectivity=2))
    assert b.area.tolist() == [5 + 5 + 5, 1]


def test_label_sparse_1080p():
    rng = np.random.default_rng(4)
    m = np.zeros((1080, 1920), bool)
    for _ in range(300):
        y, x = rng.integers(0, 1070), rng.integers(0, 1910)
        m[y : y + rng.integers(1, 9), x : x + rng.integers(1, 9)] = True
    labels, b = motion.label(m)
    ref = measure.label(m, connectivity=2)
    np.testing.assert_array_equal(labels, ref)
    assert b.area.sum() == m.sum()


# ----------------------------------------------------------------------------- blobs


@SETTINGS
@given(
    h=dims,
    w=st.integers(1, 100),
    rgb=st.booleans(),
    t=st.integers(0, 255),
    open_size=st.sampled_from([0, 1, 3, 5]),
    min_area=st.integers(0, 6),
    max_area=st.one_of(st.none(), st.integers(6, 60)),
    conn=st.sampled_from([4, 8]),
    seed=seeds,
)
def test_blobs_equals_chain_and_skimage(h, w, rgb, t, open_size, min_area, max_area, conn, seed):
    shape = (h, w, 3) if rgb else (h, w)
    a, b = rand_img(shape, seed), rand_img(shape, seed + 7)
    got = motion.blobs(a, b, t, open_size, min_area, max_area, conn)
    # 1) the chain of public calls
    m = motion.diff_mask(a, b, t)
    if open_size > 1:
        m = motion.opening(m, open_size)
    _, chain = motion.label(m, conn)
    keep = (chain.area >= min_area) & (chain.area <= (max_area if max_area is not None else 1 << 62))
    chain = chain[keep]
    np.testing.assert_array_equal(got.area, chain.area)
    np.testing.assert_array_equal(got.bbox, chain.bbox)
    np.testing.assert_array_equal(got.centroid, chain.centroid)
    # 2) an independent numpy + scikit-image chain
    m2 = np_diff(a, b) > t
    if open_size > 1:
        m2 = morphology.opening(m2, np.ones((open_size, open_size), bool))
    area, bbox, cen = regionprops_stats(measure.label(m2, connectivity=2 if conn == 8 else 1))
    sel = (area >= min_area) & (area <= (max_area if max_area is not None else 1 << 62))
    np.testing.assert_array_equal(got.area, area[sel])
    np.testing.assert_array_equal(got.bbox, bbox[sel])
    np.testing.assert_allclose(got.centroid, cen[sel], atol=1e-9)


def test_motion_stage_reuse_across_sizes():
    stage = motion.MotionStage(threshold=20, min_area=2)
    for shape, seed in [((30, 40), 1), ((30, 40, 3), 2), ((7, 300), 3), ((30, 40), 4)]:
        a, b = rand_img(shape, seed), rand_img(shape, seed + 1)
        want = motion.blobs(a, b, 20, min_area=2)
        got = stage(a, b)
        np.testing.assert_array_equal(got.bbox, want.bbox)
        np.testing.assert_array_equal(got.area, want.area)


# ----------------------------------------------------------------------------- Blobs


def test_blobs_selection_and_xyxy():
    m = np.zeros((6, 10), bool)
    m[0:2, 0:2] = True
    m[4, 3:9] = True
    m[2, 9] = True
    _, b = motion.label(m)
    assert len(b) == 3 and b.area.tolist() == [4, 1, 6]
    big = b[b.area > 3]
    assert isinstance(big, motion.Blobs) and big.area.tolist() == [4, 6]
    assert b[-1].bbox.tolist() == [[3, 4, 9, 5]]
    assert b[[2, 0]].area.tolist() == [6, 4]
    assert b[1:].area.tolist() == [1, 6]
    assert b.xyxy.dtype == np.float64 and b.xyxy[2].tolist() == [3.0, 4.0, 9.0, 5.0]
    assert b.centroid[2].tolist() == [5.5, 4.0]
    assert len(b[np.zeros(3, bool)]) == 0
    with pytest.raises(IndexError):
        b[3]
    with pytest.raises(IndexError):
        b[np.ones(2, bool)]
    with pytest.raises(ValueError):
        b.area[0] = 7  # read-only arrays
    assert len(motion.Blobs.empty()) == 0


def test_threads_give_serial_results():
    # The kernels release the GIL; concurrent calls on separate inputs must not interfere.
    from concurrent.futures import ThreadPoolExecutor

    pairs = [(rand_img((120, 170), s), rand_img((120, 170), s + 50)) for s in range(8)]
    serial = [motion.blobs(a, b, 200, open_size=1) for a, b in pairs]
    with ThreadPoolExecutor(4) as ex:
        par = list(ex.map(lambda ab: motion.blobs(ab[0], ab[1], 200, open_size=1), pairs))
    for s, p in zip(serial, par):
        np.testing.assert_array_equal(s.bbox, p.bbox)
        np.testing.assert_array_equal(s.centroid, p.centroid)
