//! Bindings for the tracker: argument checks, GIL release, numpy in and out.
use crate::track::assign;
use crate::track::link;
use crate::track::sweep;
use crate::track::tracker::{Motion, Tracker, TrackerConfig};
use numpy::ndarray::Array2;
use numpy::{
    IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArray3,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

type IdsAndBoxes<'py> = (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray2<f64>>);
type RowsCols<'py> = (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<i64>>);

fn verr(e: String) -> PyErr {
    PyValueError::new_err(e)
}

fn boxes_vec(boxes: &PyReadonlyArray2<'_, f64>) -> PyResult<Vec<f64>> {
    let a = boxes.as_array();
    let (n, c) = a.dim();
    if c != 4 {
        return Err(PyValueError::new_err(format!(
            "boxes: expected shape (N, 4), got ({n}, {c})"
        )));
    }
    Ok(a.iter().copied().collect())
}

/// Multi-object tracker (Kalman CV/CA + two-stage gated optimal assignment).
#[pyclass(module = "anfang._core", name = "Tracker")]
pub struct PyTracker {
    inner: Tracker,
}

#[pymethods]
impl PyTracker {
    #[new]
    #[pyo3(signature = (motion="cv", *, high_thresh=0.5, low_thresh=0.1, min_hits=3, max_age_s=1.0,
        gate=9.21, min_iou=0.3, iou_weight=0.3, history_len=128, process_noise=None,
        meas_noise_px=1.0, meas_noise_rel=0.05, init_vel_std=200.0, init_acc_std=500.0,
        gravity=(0.0, 0.0), size_smoothing=0.5, skip_duplicates=true))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        motion: &str,
        high_thresh: f64,
        low_thresh: f64,
        min_hits: i64,
        max_age_s: f64,
        gate: f64,
        min_iou: f64,
        iou_weight: f64,
        history_len: i64,
        process_noise: Option<f64>,
        meas_noise_px: f64,
        meas_noise_rel: f64,
        init_vel_std: f64,
        init_acc_std: f64,
        gravity: (f64, f64),
        size_smoothing: f64,
        skip_duplicates: bool,
    ) -> PyResult<Self> {
        let m = match motion {
            "cv" => Motion::Cv,
            "ca" => Motion::Ca,
            other => {
                return Err(verr(format!(
                    "motion: expected 'cv' or 'ca', got {other:?}"
                )))
            }
        };
        if !(1..=1_000_000).contains(&min_hits) {
            return Err(verr(format!(
                "min_hits: expected an integer in [1, 1000000], got {min_hits}"
            )));
        }
        if !(1..=10_000_000).contains(&history_len) {
            return Err(verr(format!(
                "history_len: expected an integer in [1, 10000000], got {history_len}"
            )));
        }
        let mut cfg = TrackerConfig::new(m);
        cfg.high_thresh = high_thresh;
        cfg.low_thresh = low_thresh;
        cfg.min_hits = min_hits as u32;
        cfg.max_age_s = max_age_s;
        cfg.gate = gate;
        cfg.min_iou = min_iou;
        cfg.iou_weight = iou_weight;
        cfg.history_len = history_len as usize;
        cfg.process_noise =
            process_noise.unwrap_or_else(|| TrackerConfig::default_process_noise(m));
        cfg.meas_noise_px = meas_noise_px;
        cfg.meas_noise_rel = meas_noise_rel;
        cfg.init_vel_std = init_vel_std;
        cfg.init_acc_std = init_acc_std;
        cfg.gravity = [gravity.0, gravity.1];
        cfg.size_smoothing = size_smoothing;
        cfg.skip_duplicates = skip_duplicates;
        Ok(PyTracker {
            inner: Tracker::new(cfg).map_err(verr)?,
        })
    }

    /// Process one frame; returns one int64 id per box (-1: no confirmed track).
    #[pyo3(signature = (boxes, scores=None, t=None))]
    fn update<'py>(
        &mut self,
        py: Python<'py>,
        boxes: PyReadonlyArray2<'py, f64>,
        scores: Option<PyReadonlyArray1<'py, f64>>,
        t: Option<f64>,
    ) -> PyResult<Bound<'py, PyArray1<i64>>> {
        let b = boxes_vec(&boxes)?;
        let s: Option<Vec<f64>> = scores.map(|s| s.as_array().iter().copied().collect());
        let inner = &mut self.inner;
        let ids = py
            .detach(move || inner.update(&b, s.as_deref(), t))
            .map_err(verr)?;
        Ok(ids.into_pyarray(py))
    }

    /// Predicted (ids, boxes) of the live tracks at time ``t``; no state changes.
    fn predict<'py>(&self, py: Python<'py>, t: f64) -> PyResult<IdsAndBoxes<'py>> {
        let (ids, boxes) = self.inner.predict(t).map_err(verr)?;
        let n = ids.len();
        let b = Array2::from_shape_vec((n, 4), boxes).map_err(|e| verr(e.to_string()))?;
        Ok((ids.into_pyarray(py), b.into_pyarray(py)))
    }

    /// Live tracks as a dict of arrays.
    fn tracks<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let tb = self.inner.table();
        let n = tb.ids.len();
        let d = PyDict::new(py);
        let shape = |v: Vec<f64>, c: usize| {
            Array2::from_shape_vec((n, c), v).map_err(|e| verr(e.to_string()))
        };
        d.set_item("ids", tb.ids.into_pyarray(py))?;
        d.set_item("states", tb.states.into_pyarray(py))?;
        d.set_item("boxes", shape(tb.boxes, 4)?.into_pyarray(py))?;
        d.set_item("velocities", shape(tb.velocities, 2)?.into_pyarray(py))?;
        d.set_item(
            "accelerations",
            shape(tb.accelerations, 2)?.into_pyarray(py),
        )?;
        d.set_item("hits", tb.hits.into_pyarray(py))?;
        d.set_item("age_s", tb.age_s.into_pyarray(py))?;
        d.set_item("time_since_update", tb.time_since_update.into_pyarray(py))?;
        d.set_item("scores", tb.scores.into_pyarray(py))?;
        Ok(d)
    }

    /// History of a live or just-removed track as a dict of arrays, or None.
    fn history<'py>(&self, py: Python<'py>, track_id: i64) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(h) = self.inner.history(track_id) else {
            return Ok(None);
        };
        let n = h.len();
        let mut frame = Vec::with_capacity(n);
        let mut t = Vec::with_capacity(n);
        let mut cols: [Vec<f64>; 6] = Default::default();
        for r in h {
            frame.push(r.frame);
            t.push(r.t);
            for (c, v) in cols.iter_mut().zip(r.bbox) {
                c.push(v);
            }
            cols[4].push(r.cx);
            cols[5].push(r.cy);
        }
        let d = PyDict::new(py);
        d.set_item("frame", frame.into_pyarray(py))?;
        d.set_item("t", t.into_pyarray(py))?;
        for (name, c) in ["x0", "y0", "x1", "y1", "cx", "cy"].iter().zip(cols) {
            d.set_item(*name, c.into_pyarray(py))?;
        }
        Ok(Some(d))
    }

    /// Ids of the tracks removed during the last update.
    fn removed_ids<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i64>> {
        let v: Vec<i64> = self.inner.removed().iter().map(|t| t.id).collect();
        v.into_pyarray(py)
    }

    fn reset(&mut self) {
        self.inner.reset();
    }

    #[getter]
    fn frame_count(&self) -> i64 {
        self.inner.frame_count()
    }

    #[getter]
    fn last_time(&self) -> Option<f64> {
        self.inner.last_time()
    }
}

/// Minimum-cost rectangular assignment; non-finite costs are forbidden pairs.
/// Returns (rows, cols) int64 arrays, sorted by row.
#[pyfunction]
fn linear_sum_assignment<'py>(
    py: Python<'py>,
    cost: PyReadonlyArray2<'py, f64>,
) -> PyResult<RowsCols<'py>> {
    let a = cost.as_array();
    let (r, c) = a.dim();
    let v: Vec<f64> = a.iter().copied().collect();
    let pairs = py.detach(move || assign::linear_sum_assignment(&v, r, c));
    let rows: Vec<i64> = pairs.iter().map(|p| p.0 as i64).collect();
    let cols: Vec<i64> = pairs.iter().map(|p| p.1 as i64).collect();
    Ok((rows.into_pyarray(py), cols.into_pyarray(py)))
}

type SweepOut<'py> = (
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<f64>>,
);

fn vec1(a: &PyReadonlyArray1<'_, f64>) -> Vec<f64> {
    a.as_array().iter().copied().collect()
}

/// Parabola sweep over a blob window (see `track::sweep`). Returns
/// ``(blob, candidate, support, accel)``: the supporting blob indices with their candidate
/// number (candidates best first), and per candidate its support and acceleration.
#[pyfunction]
#[pyo3(signature = (offsets, ft, x, h, tol_x, tol_h, *, lags, a_min, a_max, n_bins, max_vx,
    v_min, v_max, back, min_support, max_gap, min_density, min_balance, min_drop, end_frames, near_end, max_out))]
#[allow(clippy::too_many_arguments)]
fn parabola_sweep<'py>(
    py: Python<'py>,
    offsets: PyReadonlyArray1<'py, i64>,
    ft: PyReadonlyArray1<'py, f64>,
    x: PyReadonlyArray1<'py, f64>,
    h: PyReadonlyArray1<'py, f64>,
    tol_x: PyReadonlyArray1<'py, f64>,
    tol_h: PyReadonlyArray1<'py, f64>,
    lags: Vec<f64>,
    a_min: f64,
    a_max: f64,
    n_bins: i64,
    max_vx: f64,
    v_min: f64,
    v_max: f64,
    back: f64,
    min_support: i64,
    max_gap: f64,
    min_density: f64,
    min_balance: f64,
    min_drop: f64,
    end_frames: i64,
    near_end: i64,
    max_out: i64,
) -> PyResult<SweepOut<'py>> {
    let off: Vec<i64> = offsets.as_array().iter().copied().collect();
    if off.iter().any(|&v| v < 0) {
        return Err(verr("offsets: expected values >= 0".into()));
    }
    for (name, v) in [("n_bins", n_bins), ("min_support", min_support), ("end_frames", end_frames), ("near_end", near_end), ("max_out", max_out)] {
        if v < 0 {
            return Err(verr(format!("{name}: expected an integer >= 0, got {v}")));
        }
    }
    let off: Vec<usize> = off.into_iter().map(|v| v as usize).collect();
    let (ft, x, h, tx, th) = (vec1(&ft), vec1(&x), vec1(&h), vec1(&tol_x), vec1(&tol_h));
    let p = sweep::SweepParams {
        lags,
        a_min,
        a_max,
        n_bins: n_bins as usize,
        max_vx,
        v_min,
        v_max,
        back,
        min_support: min_support as usize,
        max_gap,
        min_density,
        min_balance,
        min_drop,
        end_frames: end_frames as usize,
        near_end: near_end as usize,
        max_out: max_out as usize,
    };
    let res = py.detach(move || {
        let w = sweep::Window { offsets: &off, ft: &ft, x: &x, h: &h, tol_x: &tx, tol_h: &th };
        sweep::sweep(&w, &p)
    });
    let cands = res.map_err(verr)?;
    let mut blob = Vec::new();
    let mut cid = Vec::new();
    let mut sup = Vec::new();
    let mut acc = Vec::new();
    for (i, c) in cands.iter().enumerate() {
        blob.extend(c.blobs.iter().map(|&j| j as i64));
        cid.extend(std::iter::repeat_n(i as i64, c.blobs.len()));
        sup.push(c.support as i64);
        acc.push(c.accel);
    }
    Ok((blob.into_pyarray(py), cid.into_pyarray(py), sup.into_pyarray(py), acc.into_pyarray(py)))
}

/// RMS of the plain least-squares fit (x linear, y quadratic in time) to the samples left
/// after dropping repeated times and repeated positions (see `track::link::plain_rms`).
#[pyfunction]
#[pyo3(signature = (t, x, y, dup_eps=1e-3))]
fn plain_rms(
    t: PyReadonlyArray1<'_, f64>,
    x: PyReadonlyArray1<'_, f64>,
    y: PyReadonlyArray1<'_, f64>,
    dup_eps: f64,
) -> PyResult<f64> {
    let (n, nx, ny) = (t.len(), x.len(), y.len());
    if nx != n || ny != n {
        return Err(verr(format!(
            "t, x, y: expected arrays of one length, got {n}, {nx} and {ny}"
        )));
    }
    if !(dup_eps >= 0.0) {
        return Err(verr(format!("dup_eps: expected a number >= 0, got {dup_eps}")));
    }
    let (t, x, y) = (vec1(&t), vec1(&x), vec1(&y));
    if t.iter().chain(x.iter()).chain(y.iter()).any(|v| !v.is_finite()) {
        return Err(verr("t, x, y: expected finite values, got NaN or infinity".into()));
    }
    Ok(link::plain_rms(&t, &x, &y, dup_eps))
}

type LinkOut<'py> = (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<bool>>);

/// The fragments a new track may continue, nearest first (see `track::link::link_candidates`):
/// ``(index, distance, shared)``.
#[pyfunction]
#[pyo3(signature = (last3, ended, t0, x0, y0, g, tol, link_gap))]
#[allow(clippy::too_many_arguments)]
fn link_candidates<'py>(
    py: Python<'py>,
    last3: PyReadonlyArray3<'py, f64>,
    ended: PyReadonlyArray1<'py, bool>,
    t0: f64,
    x0: f64,
    y0: f64,
    g: f64,
    tol: f64,
    link_gap: f64,
) -> PyResult<LinkOut<'py>> {
    let a = last3.as_array();
    let (n, r, c) = a.dim();
    if r != 3 || c != 3 {
        return Err(verr(format!("last3: expected shape (N, 3, 3), got ({n}, {r}, {c})")));
    }
    let ne = ended.len();
    if ne != n {
        return Err(verr(format!(
            "ended: expected {n} values (one per row of last3), got {ne}"
        )));
    }
    // no copies for the usual C-contiguous arrays (the table is rebuilt once per frame
    // but searched once per new track)
    let c_order = last3.is_c_contiguous();
    let got = match (last3.as_slice(), ended.as_slice()) {
        (Ok(v), Ok(e)) if c_order => link::link_candidates(v, e, t0, x0, y0, g, tol, link_gap),
        _ => {
            let v: Vec<f64> = a.iter().copied().collect();
            let e: Vec<bool> = ended.as_array().iter().copied().collect();
            link::link_candidates(&v, &e, t0, x0, y0, g, tol, link_gap)
        }
    };
    let idx: Vec<i64> = got.iter().map(|k| k.index as i64).collect();
    let d: Vec<f64> = got.iter().map(|k| k.distance).collect();
    let sh: Vec<bool> = got.iter().map(|k| k.shared).collect();
    Ok((idx.into_pyarray(py), d.into_pyarray(py), sh.into_pyarray(py)))
}

/// Whether each point lies within some circle (see `track::link::near_any`): ``points``
/// (N, 2) ``x, y``; ``circles`` (M, 3) ``x, y, radius``; returns (N,) bool.
#[pyfunction]
#[pyo3(signature = (points, circles))]
fn near_any<'py>(
    py: Python<'py>,
    points: PyReadonlyArray2<'py, f64>,
    circles: PyReadonlyArray2<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<bool>>> {
    let p = points.as_array();
    let c = circles.as_array();
    let (n, pc) = p.dim();
    let (m, cc) = c.dim();
    if pc != 2 {
        return Err(verr(format!("points: expected shape (N, 2), got ({n}, {pc})")));
    }
    if cc != 3 {
        return Err(verr(format!("circles: expected shape (M, 3), got ({m}, {cc})")));
    }
    let px: Vec<f64> = p.column(0).iter().copied().collect();
    let py_: Vec<f64> = p.column(1).iter().copied().collect();
    let cx: Vec<f64> = c.column(0).iter().copied().collect();
    let cy: Vec<f64> = c.column(1).iter().copied().collect();
    let r: Vec<f64> = c.column(2).iter().copied().collect();
    let out = py.detach(|| link::near_any(&px, &py_, &cx, &cy, &r));
    Ok(out.into_pyarray(py))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyTracker>()?;
    m.add_function(wrap_pyfunction!(plain_rms, m)?)?;
    m.add_function(wrap_pyfunction!(link_candidates, m)?)?;
    m.add_function(wrap_pyfunction!(near_any, m)?)?;
    m.add_function(wrap_pyfunction!(parabola_sweep, m)?)?;
    m.add_function(wrap_pyfunction!(linear_sum_assignment, m)?)?;
    Ok(())
}
