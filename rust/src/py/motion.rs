//! Bindings for `crate::motion`: argument checks, GIL release, numpy conversion.
//!
//! Input arrays are read through readonly views without copying when C-contiguous; other
//! layouts are copied once into a contiguous buffer. Arrays must not be mutated by another
//! thread while a call runs (the GIL is released around every kernel).

use std::borrow::Cow;

use numpy::ndarray::{Array1, Array2, Array3, Ix2, Ix3};
use numpy::{
    BorrowError, IntoPyArray, PyArray2, PyArrayDyn, PyArrayMethods, PyReadonlyArray2,
    PyReadonlyArrayDyn, PyUntypedArray, PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::motion::background as bg;
use crate::motion::bgstep::{self, BgStepParams};
use crate::motion::bits::{pack, unpack, BitMask};
use crate::motion::label::{Blobs, Labeller};
use crate::motion::morph::Morph;
use crate::motion::stage::{MotionStage as Stage, StageParams};
use crate::motion::{diff, pool, rgb_to_luma, shake};

/// A validated image: contiguous bytes plus (h, w, channels, ndim).
struct Img<'a> {
    data: Cow<'a, [u8]>,
    h: usize,
    w: usize,
    ch: usize,
    shape: Vec<usize>,
}

fn shape_str(s: &[usize]) -> String {
    let parts: Vec<String> = s.iter().map(|v| v.to_string()).collect();
    if parts.len() == 1 {
        format!("({},)", parts[0])
    } else {
        format!("({})", parts.join(", "))
    }
}

fn image<'a>(a: &'a PyReadonlyArrayDyn<'_, u8>, name: &str) -> PyResult<Img<'a>> {
    let shape = a.shape().to_vec();
    let ok = shape.len() == 2 || (shape.len() == 3 && shape[2] == 3);
    if !ok {
        return Err(PyTypeError::new_err(format!(
            "{name}: expected uint8 (H, W) or (H, W, 3), got uint8 {}",
            shape_str(&shape)
        )));
    }
    // `as_slice` also accepts Fortran order, whose element order differs: C order only.
    let slice = if a.is_c_contiguous() {
        a.as_slice().ok()
    } else {
        None
    };
    let data = match slice {
        Some(s) => Cow::Borrowed(s),
        None => {
            // Explicit copy of a non-contiguous view (fixed-rank iteration is fast).
            let v = a.as_array();
            let owned: Vec<u8> = if shape.len() == 2 {
                v.into_dimensionality::<Ix2>()
                    .map_err(|e| PyValueError::new_err(e.to_string()))?
                    .iter()
                    .copied()
                    .collect()
            } else {
                v.into_dimensionality::<Ix3>()
                    .map_err(|e| PyValueError::new_err(e.to_string()))?
                    .iter()
                    .copied()
                    .collect()
            };
            Cow::Owned(owned)
        }
    };
    let ch = if shape.len() == 3 { 3 } else { 1 };
    Ok(Img {
        data,
        h: shape[0],
        w: shape[1],
        ch,
        shape,
    })
}

fn same_shape(a: &Img, b: &Img, name: &str, ref_name: &str) -> PyResult<()> {
    if a.shape != b.shape {
        return Err(PyValueError::new_err(format!(
            "{name}: expected the shape of {ref_name} {}, got {}",
            shape_str(&b.shape),
            shape_str(&a.shape)
        )));
    }
    Ok(())
}

fn threshold(t: i64, name: &str) -> PyResult<u8> {
    if !(0..=255).contains(&t) {
        return Err(PyValueError::new_err(format!(
            "{name}: expected an integer in [0, 255], got {t}"
        )));
    }
    Ok(t as u8)
}

fn conn8(c: i64) -> PyResult<bool> {
    match c {
        4 => Ok(false),
        8 => Ok(true),
        _ => Err(PyValueError::new_err(format!(
            "connectivity: expected 4 or 8, got {c}"
        ))),
    }
}

fn odd_size(s: i64, name: &str) -> PyResult<usize> {
    if s < 1 || s % 2 == 0 || s > 100_001 {
        return Err(PyValueError::new_err(format!(
            "{name}: expected an odd integer >= 1, got {s}"
        )));
    }
    Ok(s as usize)
}

/// Bytes of a bool mask (numpy bools are 0/1 bytes), copied only if not contiguous.
fn mask_bytes<'a>(m: &'a PyReadonlyArray2<'_, bool>) -> (Cow<'a, [u8]>, usize, usize) {
    let sh = m.shape();
    let (h, w) = (sh[0], sh[1]);
    let slice = if m.is_c_contiguous() {
        m.as_slice().ok()
    } else {
        None
    };
    let data = match slice {
        // SAFETY: bool and u8 have the same size and alignment; every bool is a valid u8.
        Some(s) => {
            Cow::Borrowed(unsafe { std::slice::from_raw_parts(s.as_ptr() as *const u8, s.len()) })
        }
        // Explicit copy in C order for any other layout (Fortran order included).
        None => Cow::Owned(m.as_array().iter().map(|&b| b as u8).collect()),
    };
    (data, h, w)
}

fn bool_vec(v: Vec<u8>) -> Vec<bool> {
    debug_assert!(v.iter().all(|&x| x <= 1));
    let mut v = std::mem::ManuallyDrop::new(v);
    // SAFETY: every byte is 0 or 1 (written by our kernels), and bool has u8's layout.
    unsafe { Vec::from_raw_parts(v.as_mut_ptr() as *mut bool, v.len(), v.capacity()) }
}

fn bool_image<'py>(py: Python<'py>, v: Vec<u8>, h: usize, w: usize) -> PyResult<Bound<'py, PyAny>> {
    let a = Array2::from_shape_vec((h, w), bool_vec(v))
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(a.into_pyarray(py).into_any())
}

fn blobs_tuple<'py>(py: Python<'py>, b: Blobs) -> PyResult<Bound<'py, PyTuple>> {
    let n = b.area.len();
    let area = Array1::from_vec(b.area).into_pyarray(py);
    let bbox: Vec<i64> = b.bbox.iter().flatten().copied().collect();
    let bbox = Array2::from_shape_vec((n, 4), bbox)
        .expect("n x 4")
        .into_pyarray(py);
    let cen: Vec<f64> = b.centroid.iter().flatten().copied().collect();
    let cen = Array2::from_shape_vec((n, 2), cen)
        .expect("n x 2")
        .into_pyarray(py);
    PyTuple::new(py, [area.into_any(), bbox.into_any(), cen.into_any()])
}

#[pyfunction]
#[pyo3(signature = (prev, cur, threshold))]
fn diff_mask<'py>(
    py: Python<'py>,
    prev: PyReadonlyArrayDyn<'py, u8>,
    cur: PyReadonlyArrayDyn<'py, u8>,
    threshold: i64,
) -> PyResult<Bound<'py, PyAny>> {
    let t = self::threshold(threshold, "threshold")?;
    let a = image(&prev, "prev")?;
    let b = image(&cur, "cur")?;
    same_shape(&b, &a, "cur", "prev")?;
    let (h, w, ch) = (a.h, a.w, a.ch);
    let out = py.detach(|| {
        let mut out = vec![0u8; h * w];
        diff::diff_mask(&a.data, &b.data, ch, t, &mut out);
        out
    });
    bool_image(py, out, h, w)
}

#[pyfunction]
#[pyo3(signature = (prev, cur, nxt, threshold))]
fn diff_mask3<'py>(
    py: Python<'py>,
    prev: PyReadonlyArrayDyn<'py, u8>,
    cur: PyReadonlyArrayDyn<'py, u8>,
    nxt: PyReadonlyArrayDyn<'py, u8>,
    threshold: i64,
) -> PyResult<Bound<'py, PyAny>> {
    let t = self::threshold(threshold, "threshold")?;
    let a = image(&prev, "prev")?;
    let b = image(&cur, "cur")?;
    let c = image(&nxt, "nxt")?;
    same_shape(&b, &a, "cur", "prev")?;
    same_shape(&c, &a, "nxt", "prev")?;
    let (h, w, ch) = (a.h, a.w, a.ch);
    let out = py.detach(|| {
        let mut out = vec![0u8; h * w];
        diff::diff_mask3(&a.data, &b.data, &c.data, ch, t, &mut out);
        out
    });
    bool_image(py, out, h, w)
}

/// A grey (H, W) image (`image` also accepts RGB; this kernel does not).
fn grey_image<'a>(a: &'a PyReadonlyArrayDyn<'_, u8>, name: &str) -> PyResult<Img<'a>> {
    if a.ndim() != 2 {
        return Err(PyTypeError::new_err(format!(
            "{name}: expected uint8 (H, W), got uint8 {}",
            shape_str(a.shape())
        )));
    }
    image(a, name)
}

/// The checked arguments of the three-frame kernels: three grey frames of one shape, a
/// threshold and an edge factor, both finite and >= 0.
#[allow(clippy::type_complexity)]
fn three_frames<'a>(
    p2: &'a PyReadonlyArrayDyn<'_, u8>,
    p1: &'a PyReadonlyArrayDyn<'_, u8>,
    cur: &'a PyReadonlyArrayDyn<'_, u8>,
    threshold: f64,
    edge_k: f64,
) -> PyResult<(Img<'a>, Img<'a>, Img<'a>, f64, f64)> {
    let t = non_negative(threshold, "threshold")?;
    let k = non_negative(edge_k, "edge_k")?;
    let a = grey_image(p2, "p2")?;
    let b = grey_image(p1, "p1")?;
    let c = grey_image(cur, "cur")?;
    same_shape(&a, &c, "p2", "cur")?;
    same_shape(&b, &c, "p1", "cur")?;
    Ok((a, b, c, t, k))
}

fn non_negative(v: f64, name: &str) -> PyResult<f64> {
    if !(v.is_finite() && v >= 0.0) {
        return Err(PyValueError::new_err(format!(
            "{name}: expected a finite number >= 0, got {v}"
        )));
    }
    Ok(v)
}

#[pyfunction]
#[pyo3(signature = (p2, p1, cur, threshold, edge_k))]
fn diff_mask3_edge<'py>(
    py: Python<'py>,
    p2: PyReadonlyArrayDyn<'py, u8>,
    p1: PyReadonlyArrayDyn<'py, u8>,
    cur: PyReadonlyArrayDyn<'py, u8>,
    threshold: f64,
    edge_k: f64,
) -> PyResult<Bound<'py, PyAny>> {
    let (a, b, c, t, k) = three_frames(&p2, &p1, &cur, threshold, edge_k)?;
    let (h, w) = (c.h, c.w);
    let out = py.detach(|| {
        let mut out = vec![0u8; h * w];
        diff::diff_mask3_edge(&a.data, &b.data, &c.data, h, w, t, k, &mut out);
        out
    });
    bool_image(py, out, h, w)
}

/// Boxes as float64 `(N, 4)` rows of finite `x0, y0, x1, y1` (any memory layout).
fn xyxy_boxes(obj: &Bound<'_, PyAny>) -> PyResult<Vec<[f64; 4]>> {
    let arr = obj.cast::<PyArrayDyn<f64>>().map_err(|_| {
        PyTypeError::new_err(format!(
            "boxes: expected a float64 (N, 4) array, got {}",
            describe_obj(obj)
        ))
    })?;
    let ro = arr
        .try_readonly()
        .map_err(|e| PyValueError::new_err(format!("boxes: {e}")))?;
    let shape = ro.shape().to_vec();
    if shape.len() != 2 || shape[1] != 4 {
        return Err(PyValueError::new_err(format!(
            "boxes: expected shape (N, 4), got {}",
            shape_str(&shape)
        )));
    }
    let v = ro
        .as_array()
        .into_dimensionality::<Ix2>()
        .map_err(|e| PyValueError::new_err(format!("boxes: {e}")))?;
    let mut out = Vec::with_capacity(shape[0]);
    for (k, r) in v.outer_iter().enumerate() {
        let b = [r[0], r[1], r[2], r[3]];
        if let Some(bad) = b.iter().find(|x| !x.is_finite()) {
            return Err(PyValueError::new_err(format!(
                "boxes: expected finite coordinates, got {bad} in row {k}"
            )));
        }
        out.push(b);
    }
    Ok(out)
}

#[pyfunction]
#[pyo3(signature = (p2, p1, cur, boxes, threshold, edge_k=0.0))]
#[allow(clippy::too_many_arguments)]
fn diff3_count_in_boxes<'py>(
    py: Python<'py>,
    p2: PyReadonlyArrayDyn<'py, u8>,
    p1: PyReadonlyArrayDyn<'py, u8>,
    cur: PyReadonlyArrayDyn<'py, u8>,
    boxes: &Bound<'py, PyAny>,
    threshold: f64,
    edge_k: f64,
) -> PyResult<Bound<'py, PyAny>> {
    let (a, b, c, t, k) = three_frames(&p2, &p1, &cur, threshold, edge_k)?;
    let bx = xyxy_boxes(boxes)?;
    let (h, w) = (c.h, c.w);
    let out = py.detach(|| {
        let mut out = vec![0i64; bx.len()];
        diff::diff3_count_in_boxes(&a.data, &b.data, &c.data, h, w, t, k, &bx, &mut out);
        out
    });
    Ok(Array1::from_vec(out).into_pyarray(py).into_any())
}

#[pyfunction]
#[pyo3(signature = (p2, p1, cur, boxes, threshold, edge_k=0.0, margin=None, *, valid=None))]
#[allow(clippy::too_many_arguments)]
fn diff3_blob_in_boxes<'py>(
    py: Python<'py>,
    p2: PyReadonlyArrayDyn<'py, u8>,
    p1: PyReadonlyArrayDyn<'py, u8>,
    cur: PyReadonlyArrayDyn<'py, u8>,
    boxes: &Bound<'py, PyAny>,
    threshold: f64,
    edge_k: f64,
    margin: Option<&Bound<'py, PyAny>>,
    valid: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let (a, b, c, t, k) = three_frames(&p2, &p1, &cur, threshold, edge_k)?;
    // Omitted (or None): 16 pixels, the Python default.
    let m = margin.map_or(Ok(16), window_margin)?;
    let v = match valid {
        Some(obj) if !obj.is_none() => Some(valid_rect(obj)?),
        _ => None,
    };
    let bx = xyxy_boxes(boxes)?;
    let (h, w) = (c.h, c.w);
    let out = py.detach(|| {
        let mut out = vec![false; bx.len()];
        let mut scratch = diff::BlobScratch::default();
        diff::diff3_blob_in_boxes(
            &a.data,
            &b.data,
            &c.data,
            h,
            w,
            t,
            k,
            &bx,
            m,
            v,
            &mut scratch,
            &mut out,
        );
        out
    });
    Ok(Array1::from_vec(out).into_pyarray(py).into_any())
}

/// `valid` as `[x0, y0, x1, y1]` pixel indices: a sequence of 4 Python or numpy ints (not
/// bools, not a str), each >= 0, with `x0 <= x1` and `y0 <= y1`; values past `usize`
/// saturate (the kernel clips to the image anyway).
fn valid_rect(obj: &Bound<'_, PyAny>) -> PyResult<[usize; 4]> {
    let type_err = || {
        PyTypeError::new_err(format!(
            "valid: expected None or a sequence of 4 ints (x0, y0, x1, y1), got {}",
            describe_obj(obj)
        ))
    };
    let is_text = obj.is_instance_of::<pyo3::types::PyString>()
        || obj.is_instance_of::<pyo3::types::PyBytes>();
    if is_text || !matches!(obj.len(), Ok(4)) {
        return Err(type_err());
    }
    let mut ints = Vec::with_capacity(4);
    for i in 0..4 {
        let item = obj.get_item(i).map_err(|_| type_err())?;
        // `operator.index`: Python ints and numpy integer scalars; not floats, not bools.
        let idx = match item.call_method0("__index__") {
            Ok(v)
                if !item.is_instance_of::<pyo3::types::PyBool>()
                    && v.is_instance_of::<pyo3::types::PyInt>() =>
            {
                v
            }
            _ => return Err(type_err()),
        };
        ints.push(idx);
    }
    // Compared as Python ints (exact for any size) before saturating to usize.
    let bad = ints
        .iter()
        .try_fold(false, |acc, v| Ok::<_, PyErr>(acc || v.lt(0)?))?
        || ints[0].gt(&ints[2])?
        || ints[1].gt(&ints[3])?;
    if bad {
        let shown: Vec<String> = ints.iter().map(|v| v.to_string()).collect();
        return Err(PyValueError::new_err(format!(
            "valid: expected 0 <= x0 <= x1 and 0 <= y0 <= y1, got ({})",
            shown.join(", ")
        )));
    }
    let mut v = [0usize; 4];
    for (slot, i) in v.iter_mut().zip(&ints) {
        *slot = i.extract::<usize>().unwrap_or(usize::MAX);
    }
    Ok(v)
}

/// `margin` as a pixel count: a Python int >= 0 (not a bool); values past `usize` saturate
/// (a margin beyond `max(h, w)` gives the answers of `max(h, w)`).
fn window_margin(obj: &Bound<'_, PyAny>) -> PyResult<usize> {
    let is_int =
        obj.is_instance_of::<pyo3::types::PyInt>() && !obj.is_instance_of::<pyo3::types::PyBool>();
    if !is_int {
        return Err(PyTypeError::new_err(format!(
            "margin: expected an int >= 0, got {}",
            describe_obj(obj)
        )));
    }
    if obj.lt(0)? {
        return Err(PyValueError::new_err(format!(
            "margin: expected an int >= 0, got {obj}"
        )));
    }
    Ok(obj.extract::<usize>().unwrap_or(usize::MAX))
}

/// How an argument looks in an error message: `float64 (4, 6)` for arrays, else its type.
fn describe_obj(obj: &Bound<'_, PyAny>) -> String {
    match obj.cast::<PyUntypedArray>() {
        Ok(a) => format!("{} {}", a.dtype(), shape_str(a.shape())),
        Err(_) => obj
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "object".into()),
    }
}

#[pyfunction]
#[pyo3(signature = (background, frame, threshold, alpha, slow=0.1, edge_k=0.0))]
#[allow(clippy::too_many_arguments)]
fn background_step<'py>(
    py: Python<'py>,
    background: &Bound<'py, PyAny>,
    frame: &Bound<'py, PyAny>,
    threshold: f64,
    alpha: f64,
    slow: f64,
    edge_k: f64,
) -> PyResult<Bound<'py, PyAny>> {
    let t = non_negative(threshold, "threshold")?;
    let k = non_negative(edge_k, "edge_k")?;
    if !(alpha > 0.0 && alpha <= 1.0) {
        return Err(PyValueError::new_err(format!(
            "alpha: expected a number in (0, 1], got {alpha}"
        )));
    }
    if !(0.0..=1.0).contains(&slow) {
        return Err(PyValueError::new_err(format!(
            "slow: expected a number in [0, 1], got {slow}"
        )));
    }
    let arr = background.cast::<PyArray2<f32>>().map_err(|_| {
        PyTypeError::new_err(format!(
            "background: expected a float32 (H, W) array, got {}",
            describe_obj(background)
        ))
    })?;
    let (h, w) = (arr.shape()[0], arr.shape()[1]);
    if !arr.is_c_contiguous() {
        return Err(PyValueError::new_err(format!(
            "background: expected a C-contiguous float32 array (it is updated in place), \
             got a non-C-contiguous float32 {}",
            shape_str(arr.shape())
        )));
    }
    let frame = frame
        .cast::<PyArrayDyn<u8>>()
        .map_err(|_| {
            PyTypeError::new_err(format!(
                "frame: expected uint8 (H, W), got {}",
                describe_obj(frame)
            ))
        })?
        .try_readonly()
        .map_err(|e| PyValueError::new_err(format!("frame: {e}")))?;
    let img = grey_image(&frame, "frame")?;
    if img.shape != [h, w] {
        return Err(PyValueError::new_err(format!(
            "frame: expected the shape of background {}, got {}",
            shape_str(&[h, w]),
            shape_str(&img.shape)
        )));
    }
    let mut rw = arr.try_readwrite().map_err(|e| match e {
        BorrowError::NotWriteable => PyValueError::new_err(format!(
            "background: expected a writeable array (it is updated in place), got a read-only \
             float32 {}",
            shape_str(&[h, w])
        )),
        BorrowError::AlreadyBorrowed => PyValueError::new_err(
            "background: expected an array that shares no memory with frame, got one that does",
        ),
        other => PyValueError::new_err(format!("background: {other}")),
    })?;
    let buf = rw
        .as_slice_mut()
        .map_err(|e| PyValueError::new_err(format!("background: {e}")))?;
    let p = BgStepParams::new(t, alpha, slow, k);
    let out = py.detach(|| {
        let mut out = vec![0u8; h * w];
        bgstep::background_step(buf, &img.data, h, w, &p, &mut out);
        out
    });
    bool_image(py, out, h, w)
}

#[pyfunction]
#[pyo3(signature = (frame, factor))]
fn pool_mean<'py>(
    py: Python<'py>,
    frame: PyReadonlyArrayDyn<'py, u8>,
    factor: i64,
) -> PyResult<Bound<'py, PyAny>> {
    if !(1..=16).contains(&factor) {
        return Err(PyValueError::new_err(format!(
            "factor: expected an integer in [1, 16], got {factor}"
        )));
    }
    let a = image(&frame, "frame")?;
    if a.ch != 1 {
        return Err(PyTypeError::new_err(format!(
            "frame: expected uint8 (H, W), got uint8 {}",
            shape_str(&a.shape)
        )));
    }
    let f = factor as usize;
    let (h, w) = (a.h, a.w);
    let (oh, ow) = pool::pooled_size(h, w, f);
    let out = py.detach(|| {
        let mut out = vec![0u8; oh * ow];
        pool::pool_mean(&a.data, h, w, f, &mut out);
        out
    });
    Ok(Array2::from_shape_vec((oh, ow), out)
        .expect("oh x ow")
        .into_pyarray(py)
        .into_any())
}

#[pyfunction]
#[pyo3(signature = (frame, size))]
fn box_mean<'py>(
    py: Python<'py>,
    frame: PyReadonlyArrayDyn<'py, u8>,
    size: i64,
) -> PyResult<Bound<'py, PyAny>> {
    if !(1..=16).contains(&size) {
        return Err(PyValueError::new_err(format!(
            "size: expected an integer in [1, 16], got {size}"
        )));
    }
    let a = image(&frame, "frame")?;
    if a.ch != 1 {
        return Err(PyTypeError::new_err(format!(
            "frame: expected uint8 (H, W), got uint8 {}",
            shape_str(&a.shape)
        )));
    }
    let k = size as usize;
    let (h, w) = (a.h, a.w);
    let (oh, ow) = if k > h || k > w {
        (h.saturating_sub(k - 1), w.saturating_sub(k - 1))
    } else {
        (h - k + 1, w - k + 1)
    };
    let out = py.detach(|| {
        let mut out = vec![0u8; oh * ow];
        pool::box_mean(&a.data, h, w, k, &mut out);
        out
    });
    Ok(Array2::from_shape_vec((oh, ow), out)
        .expect("oh x ow")
        .into_pyarray(py)
        .into_any())
}

#[derive(Clone, Copy)]
enum MorphOp {
    Erode,
    Dilate,
    Open,
    Close,
}

fn morph_call<'py>(
    py: Python<'py>,
    mask: PyReadonlyArray2<'py, bool>,
    size: i64,
    op: MorphOp,
) -> PyResult<Bound<'py, PyAny>> {
    let size = odd_size(size, "size")?;
    let (data, h, w) = mask_bytes(&mask);
    let out = py.detach(|| {
        let mut bm = BitMask::default();
        pack(&data, h, w, &mut bm);
        let mut mo = Morph::new();
        match op {
            MorphOp::Erode => mo.erode(&mut bm, size),
            MorphOp::Dilate => mo.dilate(&mut bm, size),
            MorphOp::Open => mo.open(&mut bm, size),
            MorphOp::Close => mo.close(&mut bm, size),
        }
        let mut out = vec![0u8; h * w];
        unpack(&bm, &mut out);
        out
    });
    bool_image(py, out, h, w)
}

#[pyfunction]
#[pyo3(signature = (mask, size=3))]
fn erode<'py>(
    py: Python<'py>,
    mask: PyReadonlyArray2<'py, bool>,
    size: i64,
) -> PyResult<Bound<'py, PyAny>> {
    morph_call(py, mask, size, MorphOp::Erode)
}

#[pyfunction]
#[pyo3(signature = (mask, size=3))]
fn dilate<'py>(
    py: Python<'py>,
    mask: PyReadonlyArray2<'py, bool>,
    size: i64,
) -> PyResult<Bound<'py, PyAny>> {
    morph_call(py, mask, size, MorphOp::Dilate)
}

#[pyfunction]
#[pyo3(signature = (mask, size=3))]
fn opening<'py>(
    py: Python<'py>,
    mask: PyReadonlyArray2<'py, bool>,
    size: i64,
) -> PyResult<Bound<'py, PyAny>> {
    morph_call(py, mask, size, MorphOp::Open)
}

#[pyfunction]
#[pyo3(signature = (mask, size=3))]
fn closing<'py>(
    py: Python<'py>,
    mask: PyReadonlyArray2<'py, bool>,
    size: i64,
) -> PyResult<Bound<'py, PyAny>> {
    morph_call(py, mask, size, MorphOp::Close)
}

/// Returns (labels int32 (H, W), (area, bbox, centroid)).
#[pyfunction]
#[pyo3(signature = (mask, connectivity=8))]
fn label<'py>(
    py: Python<'py>,
    mask: PyReadonlyArray2<'py, bool>,
    connectivity: i64,
) -> PyResult<Bound<'py, PyTuple>> {
    let c8 = conn8(connectivity)?;
    let (data, h, w) = mask_bytes(&mask);
    let labels = PyArray2::<i32>::zeros(py, [h, w], false);
    let blobs = {
        // SAFETY: `labels` was created just above and no other reference to it exists.
        let buf: &mut [i32] =
            unsafe { labels.as_slice_mut() }.map_err(|e| PyValueError::new_err(e.to_string()))?;
        py.detach(|| {
            let mut bm = BitMask::default();
            pack(&data, h, w, &mut bm);
            let mut b = Blobs::default();
            Labeller::new().label(&bm, c8, Some(buf), &mut b);
            b
        })
    };
    let stats = blobs_tuple(py, blobs)?;
    PyTuple::new(py, [labels.into_any(), stats.into_any()])
}

/// Returns (area, bbox, centroid) only: no label image is written.
#[pyfunction]
#[pyo3(signature = (mask, connectivity=8))]
fn label_stats<'py>(
    py: Python<'py>,
    mask: PyReadonlyArray2<'py, bool>,
    connectivity: i64,
) -> PyResult<Bound<'py, PyTuple>> {
    let c8 = conn8(connectivity)?;
    let (data, h, w) = mask_bytes(&mask);
    let blobs = py.detach(|| {
        let mut bm = BitMask::default();
        pack(&data, h, w, &mut bm);
        let mut b = Blobs::default();
        Labeller::new().label(&bm, c8, None, &mut b);
        b
    });
    blobs_tuple(py, blobs)
}

fn stage_params(
    threshold: i64,
    open_size: i64,
    min_area: i64,
    max_area: Option<i64>,
    connectivity: i64,
) -> PyResult<StageParams> {
    let t = self::threshold(threshold, "threshold")?;
    if open_size < 0 || (open_size > 1 && open_size % 2 == 0) || open_size > 100_001 {
        return Err(PyValueError::new_err(format!(
            "open_size: expected 0, 1 or an odd integer >= 3, got {open_size}"
        )));
    }
    if min_area < 0 {
        return Err(PyValueError::new_err(format!(
            "min_area: expected an integer >= 0, got {min_area}"
        )));
    }
    let max_area = max_area.unwrap_or(i64::MAX);
    if max_area < min_area {
        return Err(PyValueError::new_err(format!(
            "max_area: expected an integer >= min_area ({min_area}), got {max_area}"
        )));
    }
    Ok(StageParams {
        threshold: t,
        open_size: open_size as usize,
        min_area,
        max_area,
        conn8: conn8(connectivity)?,
    })
}

/// Fused motion stage owning its scratch buffers.
#[pyclass(module = "anfang._core")]
struct MotionStage {
    p: StageParams,
    stage: Stage,
    out: Blobs,
}

#[pymethods]
impl MotionStage {
    #[new]
    #[pyo3(signature = (threshold, open_size=3, min_area=1, max_area=None, connectivity=8))]
    fn new(
        threshold: i64,
        open_size: i64,
        min_area: i64,
        max_area: Option<i64>,
        connectivity: i64,
    ) -> PyResult<Self> {
        Ok(MotionStage {
            p: stage_params(threshold, open_size, min_area, max_area, connectivity)?,
            stage: Stage::new(),
            out: Blobs::default(),
        })
    }

    /// Returns (area, bbox, centroid) of the moving blobs between `prev` and `cur`.
    fn __call__<'py>(
        &mut self,
        py: Python<'py>,
        prev: PyReadonlyArrayDyn<'py, u8>,
        cur: PyReadonlyArrayDyn<'py, u8>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let a = image(&prev, "prev")?;
        let b = image(&cur, "cur")?;
        same_shape(&b, &a, "cur", "prev")?;
        let (h, w, ch) = (a.h, a.w, a.ch);
        let (p, stage, out) = (&self.p, &mut self.stage, &mut self.out);
        py.detach(|| stage.run(&a.data, &b.data, h, w, ch, p, out));
        blobs_tuple(py, self.out.clone())
    }

    #[getter]
    fn threshold(&self) -> u8 {
        self.p.threshold
    }
    #[getter]
    fn open_size(&self) -> usize {
        self.p.open_size
    }
    #[getter]
    fn min_area(&self) -> i64 {
        self.p.min_area
    }
    #[getter]
    fn max_area(&self) -> Option<i64> {
        (self.p.max_area != i64::MAX).then_some(self.p.max_area)
    }
    #[getter]
    fn connectivity(&self) -> i64 {
        if self.p.conn8 {
            8
        } else {
            4
        }
    }
}

#[pyfunction]
#[pyo3(signature = (prev, cur, threshold, open_size=3, min_area=1, max_area=None, connectivity=8))]
#[allow(clippy::too_many_arguments)]
fn blobs<'py>(
    py: Python<'py>,
    prev: PyReadonlyArrayDyn<'py, u8>,
    cur: PyReadonlyArrayDyn<'py, u8>,
    threshold: i64,
    open_size: i64,
    min_area: i64,
    max_area: Option<i64>,
    connectivity: i64,
) -> PyResult<Bound<'py, PyTuple>> {
    let mut st = MotionStage::new(threshold, open_size, min_area, max_area, connectivity)?;
    st.__call__(py, prev, cur)
}

/// Shape bookkeeping shared by the background models.
#[derive(Default)]
struct FrameShape {
    shape: Option<Vec<usize>>,
    grey: Vec<u8>,
}

impl FrameShape {
    fn check(&mut self, img: &Img) -> PyResult<()> {
        match &self.shape {
            Some(s) if *s != img.shape => Err(PyValueError::new_err(format!(
                "frame: expected shape {} (the first frame), got {}",
                shape_str(s),
                shape_str(&img.shape)
            ))),
            Some(_) => Ok(()),
            None => {
                self.shape = Some(img.shape.clone());
                Ok(())
            }
        }
    }

    fn hw(&self) -> Option<(usize, usize)> {
        self.shape.as_ref().map(|s| (s[0], s[1]))
    }
}

/// Luma of `img` into `grey` when RGB; returns the grey bytes to use.
fn grey_of<'b>(img: &'b Img, grey: &'b mut Vec<u8>) -> &'b [u8] {
    if img.ch == 3 {
        grey.resize(img.h * img.w, 0);
        rgb_to_luma(&img.data, grey);
        grey
    } else {
        &img.data
    }
}

fn sd_params(
    amplification: i64,
    update_period: i64,
    vmin: i64,
    vmax: i64,
    prefix: &str,
) -> PyResult<bg::SigmaDeltaParams> {
    if !(1..=255).contains(&amplification) {
        return Err(PyValueError::new_err(format!(
            "{prefix}amplification: expected an integer in [1, 255], got {amplification}"
        )));
    }
    if !(1..=1_000_000).contains(&update_period) {
        return Err(PyValueError::new_err(format!(
            "{prefix}update_period: expected an integer in [1, 1000000], got {update_period}"
        )));
    }
    if !(0..=255).contains(&vmin) {
        return Err(PyValueError::new_err(format!(
            "vmin: expected an integer in [0, 255], got {vmin}"
        )));
    }
    if !(vmin..=255).contains(&vmax) {
        return Err(PyValueError::new_err(format!(
            "vmax: expected an integer in [vmin={vmin}, 255], got {vmax}"
        )));
    }
    Ok(bg::SigmaDeltaParams {
        amplification: amplification as u8,
        update_period: update_period as u32,
        vmin: vmin as u8,
        vmax: vmax as u8,
    })
}

fn u8_image<'py>(
    py: Python<'py>,
    v: &[u8],
    hw: Option<(usize, usize)>,
) -> Option<Bound<'py, PyAny>> {
    let (h, w) = hw?;
    if v.len() != h * w {
        return None;
    }
    Some(
        Array2::from_shape_vec((h, w), v.to_vec())
            .ok()?
            .into_pyarray(py)
            .into_any(),
    )
}

/// Sigma-delta background estimator.
#[pyclass(module = "anfang._core")]
struct SigmaDelta {
    m: bg::SigmaDelta,
    fs: FrameShape,
}

#[pymethods]
impl SigmaDelta {
    #[new]
    #[pyo3(signature = (amplification=2, update_period=1, vmin=2, vmax=255))]
    fn new(amplification: i64, update_period: i64, vmin: i64, vmax: i64) -> PyResult<Self> {
        Ok(SigmaDelta {
            m: bg::SigmaDelta::new(sd_params(amplification, update_period, vmin, vmax, "")?),
            fs: FrameShape::default(),
        })
    }

    fn apply<'py>(
        &mut self,
        py: Python<'py>,
        frame: PyReadonlyArrayDyn<'py, u8>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let img = image(&frame, "frame")?;
        self.fs.check(&img)?;
        let (h, w) = (img.h, img.w);
        let (m, grey) = (&mut self.m, &mut self.fs.grey);
        let out = py.detach(|| {
            let g = grey_of(&img, grey);
            let mut out = vec![0u8; h * w];
            m.apply(g, &[], &mut out);
            out
        });
        bool_image(py, out, h, w)
    }

    fn reset(&mut self) {
        self.m.reset();
        self.fs = FrameShape::default();
    }

    /// Mean image M (uint8 copy), or None before the first frame.
    #[getter]
    fn background<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        u8_image(py, &self.m.m, self.fs.hw())
    }

    /// Variance image V (uint8 copy), or None before the first frame.
    #[getter]
    fn variance<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        u8_image(py, &self.m.v, self.fs.hw())
    }

    #[getter]
    fn frames(&self) -> u64 {
        self.m.frames
    }
    #[getter]
    fn amplification(&self) -> u8 {
        self.m.p.amplification
    }
    #[getter]
    fn update_period(&self) -> u32 {
        self.m.p.update_period
    }
    #[getter]
    fn vmin(&self) -> u8 {
        self.m.p.vmin
    }
    #[getter]
    fn vmax(&self) -> u8 {
        self.m.p.vmax
    }
}

/// Running-average background.
#[pyclass(module = "anfang._core")]
struct RunningAverage {
    m: bg::RunningAverage,
    fs: FrameShape,
}

#[pymethods]
impl RunningAverage {
    #[new]
    #[pyo3(signature = (alpha=0.05, threshold=25.0))]
    fn new(alpha: f64, threshold: f64) -> PyResult<Self> {
        if !(alpha > 0.0 && alpha <= 1.0) {
            return Err(PyValueError::new_err(format!(
                "alpha: expected a number in (0, 1], got {alpha}"
            )));
        }
        if !(0.0..=255.0).contains(&threshold) {
            return Err(PyValueError::new_err(format!(
                "threshold: expected a number in [0, 255], got {threshold}"
            )));
        }
        Ok(RunningAverage {
            m: bg::RunningAverage::new(alpha as f32, threshold as f32),
            fs: FrameShape::default(),
        })
    }

    fn apply<'py>(
        &mut self,
        py: Python<'py>,
        frame: PyReadonlyArrayDyn<'py, u8>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let img = image(&frame, "frame")?;
        self.fs.check(&img)?;
        let (h, w) = (img.h, img.w);
        let (m, grey) = (&mut self.m, &mut self.fs.grey);
        let out = py.detach(|| {
            let g = grey_of(&img, grey);
            let mut out = vec![0u8; h * w];
            m.apply(g, &mut out);
            out
        });
        bool_image(py, out, h, w)
    }

    fn reset(&mut self) {
        self.m.reset();
        self.fs = FrameShape::default();
    }

    /// Background image B (float32 copy), or None before the first frame.
    #[getter]
    fn background<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        let (h, w) = self.fs.hw()?;
        if self.m.b.len() != h * w {
            return None;
        }
        Some(
            Array2::from_shape_vec((h, w), self.m.b.clone())
                .ok()?
                .into_pyarray(py)
                .into_any(),
        )
    }

    #[getter]
    fn alpha(&self) -> f32 {
        self.m.alpha
    }
    #[getter]
    fn threshold(&self) -> f32 {
        self.m.threshold
    }
    #[getter]
    fn frames(&self) -> u64 {
        self.m.frames
    }
}

/// Long-term + short-term sigma-delta with a static-evidence counter.
#[pyclass(module = "anfang._core")]
struct DualBackground {
    m: bg::DualBackground,
    fs: FrameShape,
}

impl DualBackground {
    fn check_mask(&self, mask: &PyReadonlyArray2<'_, bool>) -> PyResult<()> {
        let sh = mask.shape();
        match self.fs.hw() {
            None => Err(PyValueError::new_err(
                "mask: expected a mask of the frame shape, but no frame has been applied yet",
            )),
            Some((h, w)) if (sh[0], sh[1]) != (h, w) => Err(PyValueError::new_err(format!(
                "mask: expected bool ({h}, {w}), got bool {}",
                shape_str(sh)
            ))),
            _ => Ok(()),
        }
    }
}

#[pymethods]
impl DualBackground {
    #[new]
    #[pyo3(signature = (long_period=32, short_period=1, amplification=2, vmin=2, vmax=255, static_frames=30))]
    fn new(
        long_period: i64,
        short_period: i64,
        amplification: i64,
        vmin: i64,
        vmax: i64,
        static_frames: i64,
    ) -> PyResult<Self> {
        let long = sd_params(amplification, long_period, vmin, vmax, "long_")?;
        let short = sd_params(amplification, short_period, vmin, vmax, "short_")?;
        if !(1..=65535).contains(&static_frames) {
            return Err(PyValueError::new_err(format!(
                "static_frames: expected an integer in [1, 65535], got {static_frames}"
            )));
        }
        if long.update_period < short.update_period {
            return Err(PyValueError::new_err(format!(
                "long_period: expected >= short_period ({}), got {}",
                short.update_period, long.update_period
            )));
        }
        Ok(DualBackground {
            m: bg::DualBackground::new(long, short, static_frames as u16),
            fs: FrameShape::default(),
        })
    }

    /// Returns (moving, static) bool masks.
    fn apply<'py>(
        &mut self,
        py: Python<'py>,
        frame: PyReadonlyArrayDyn<'py, u8>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let img = image(&frame, "frame")?;
        self.fs.check(&img)?;
        let (h, w) = (img.h, img.w);
        let (m, grey) = (&mut self.m, &mut self.fs.grey);
        let (mv, st) = py.detach(|| {
            let g = grey_of(&img, grey);
            let mut mv = vec![0u8; h * w];
            let mut st = vec![0u8; h * w];
            m.apply(g, &mut mv, &mut st);
            (mv, st)
        });
        PyTuple::new(py, [bool_image(py, mv, h, w)?, bool_image(py, st, h, w)?])
    }

    /// Freeze the long-term model where `mask` is True.
    fn hold(&mut self, mask: PyReadonlyArray2<'_, bool>) -> PyResult<()> {
        self.check_mask(&mask)?;
        let (data, h, w) = mask_bytes(&mask);
        self.m.set_hold(&data, true, h * w);
        Ok(())
    }

    /// Let the long-term model update again where `mask` is True.
    fn release(&mut self, mask: PyReadonlyArray2<'_, bool>) -> PyResult<()> {
        self.check_mask(&mask)?;
        let (data, h, w) = mask_bytes(&mask);
        self.m.set_hold(&data, false, h * w);
        Ok(())
    }

    fn reset(&mut self) {
        self.m.reset();
        self.fs = FrameShape::default();
    }

    /// Long-term background (uint8 copy), or None before the first frame.
    #[getter]
    fn background<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        u8_image(py, &self.m.long.m, self.fs.hw())
    }

    /// Short-term background (uint8 copy), or None before the first frame.
    #[getter]
    fn short_background<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        u8_image(py, &self.m.short.m, self.fs.hw())
    }

    /// Static-evidence counter (uint16 copy), or None before the first frame.
    #[getter]
    fn evidence<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        let (h, w) = self.fs.hw()?;
        if self.m.counter.len() != h * w {
            return None;
        }
        Some(
            Array2::from_shape_vec((h, w), self.m.counter.clone())
                .ok()?
                .into_pyarray(py)
                .into_any(),
        )
    }

    /// Held pixels (bool copy), or None before the first frame.
    #[getter]
    fn held<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        let (h, w) = self.fs.hw()?;
        if self.m.held.len() != h * w {
            return None;
        }
        bool_image(py, self.m.held.clone(), h, w).ok()
    }

    #[getter]
    fn static_frames(&self) -> u16 {
        self.m.static_frames
    }
    #[getter]
    fn long_period(&self) -> u32 {
        self.m.long.p.update_period
    }
    #[getter]
    fn short_period(&self) -> u32 {
        self.m.short.p.update_period
    }
    #[getter]
    fn frames(&self) -> u64 {
        self.m.short.frames
    }
}

#[pyfunction]
#[pyo3(signature = (prev, cur))]
fn estimate_shift(
    py: Python<'_>,
    prev: PyReadonlyArrayDyn<'_, u8>,
    cur: PyReadonlyArrayDyn<'_, u8>,
) -> PyResult<(f64, f64)> {
    let a = image(&prev, "prev")?;
    let b = image(&cur, "cur")?;
    same_shape(&b, &a, "cur", "prev")?;
    let (h, w) = (a.h, a.w);
    Ok(py.detach(|| {
        let (mut ga, mut gb) = (Vec::new(), Vec::new());
        let pa = grey_of(&a, &mut ga);
        let pb = grey_of(&b, &mut gb);
        shake::estimate_shift(pa, pb, h, w)
    }))
}

#[pyfunction]
#[pyo3(signature = (frame, dx, dy, fill=0))]
fn shift_frame<'py>(
    py: Python<'py>,
    frame: PyReadonlyArrayDyn<'py, u8>,
    dx: f64,
    dy: f64,
    fill: i64,
) -> PyResult<Bound<'py, PyAny>> {
    let img = image(&frame, "frame")?;
    for (v, n) in [(dx, "dx"), (dy, "dy")] {
        if !v.is_finite() || v.abs() > 1e6 {
            return Err(PyValueError::new_err(format!(
                "{n}: expected a finite shift in pixels, got {v}"
            )));
        }
    }
    let fill = threshold(fill, "fill")?;
    let (h, w, ch) = (img.h, img.w, img.ch);
    let out = py.detach(|| {
        let mut out = vec![0u8; h * w * ch];
        shake::shift_frame(&img.data, h, w, ch, dx, dy, fill, &mut out);
        out
    });
    if ch == 3 {
        Ok(Array3::from_shape_vec((h, w, 3), out)
            .expect("h w 3")
            .into_pyarray(py)
            .into_any())
    } else {
        Ok(Array2::from_shape_vec((h, w), out)
            .expect("h w")
            .into_pyarray(py)
            .into_any())
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(diff_mask, m)?)?;
    m.add_function(wrap_pyfunction!(label_stats, m)?)?;
    m.add_function(wrap_pyfunction!(diff_mask3, m)?)?;
    m.add_function(wrap_pyfunction!(diff_mask3_edge, m)?)?;
    m.add_function(wrap_pyfunction!(diff3_count_in_boxes, m)?)?;
    m.add_function(wrap_pyfunction!(diff3_blob_in_boxes, m)?)?;
    m.add_function(wrap_pyfunction!(background_step, m)?)?;
    m.add_function(wrap_pyfunction!(erode, m)?)?;
    m.add_function(wrap_pyfunction!(dilate, m)?)?;
    m.add_function(wrap_pyfunction!(opening, m)?)?;
    m.add_function(wrap_pyfunction!(closing, m)?)?;
    m.add_function(wrap_pyfunction!(label, m)?)?;
    m.add_function(wrap_pyfunction!(blobs, m)?)?;
    m.add_function(wrap_pyfunction!(estimate_shift, m)?)?;
    m.add_function(wrap_pyfunction!(shift_frame, m)?)?;
    m.add_function(wrap_pyfunction!(pool_mean, m)?)?;
    m.add_function(wrap_pyfunction!(box_mean, m)?)?;
    m.add_class::<MotionStage>()?;
    m.add_class::<SigmaDelta>()?;
    m.add_class::<RunningAverage>()?;
    m.add_class::<DualBackground>()?;
    Ok(())
}
