"""anfang.motion.label_stats: the statistics of label() without the label image."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from skimage.measure import label as sk_label
from skimage.measure import regionprops

from anfang import motion


@settings(max_examples=60, deadline=None)
@given(h=st.integers(0, 23), w=st.integers(0, 29), density=st.floats(0, 1),
       seed=st.integers(0, 2**16), conn=st.sampled_from([4, 8]))
def test_label_stats_equals_label_and_skimage(h, w, density, seed, conn):
    m = np.random.default_rng(seed).random((h, w)) < density
    b = motion.label_stats(m, connectivity=conn)
    _, full = motion.label(m, connectivity=conn)
    assert np.array_equal(b.area, full.area)
    assert np.array_equal(b.bbox, full.bbox) and np.array_equal(b.centroid, full.centroid)
    # independent oracle: scikit-image
    props = regionprops(sk_label(m, connectivity=1 if conn == 4 else 2)) if m.size else []
    assert b.area.tolist() == [int(p.area) for p in props]
    if props:
        want = np.array([[p.bbox[1], p.bbox[0], p.bbox[3], p.bbox[2]] for p in props], float)
        assert np.array_equal(b.bbox, want)
        np.testing.assert_allclose(b.centroid, [[p.centroid[1], p.centroid[0]] for p in props])


def test_label_stats_edge_cases_and_bad_input():
    assert len(motion.label_stats(np.ones((1, 1), bool))) == 1
    assert len(motion.label_stats(np.zeros((5, 0), bool))) == 0
    assert motion.label_stats(np.ones((3, 4), bool)).area.tolist() == [12]
    f = np.asfortranarray(np.eye(5, dtype=bool))
    assert motion.label_stats(f, connectivity=8).area.tolist() == [5]
    assert motion.label_stats(f, connectivity=4).area.tolist() == [1] * 5
    with pytest.raises((TypeError, ValueError), match="mask"):
        motion.label_stats(np.zeros((3, 3, 2), bool))
    with pytest.raises(ValueError, match="connectivity"):
        motion.label_stats(np.zeros((3, 3), bool), connectivity=6)
