//! anfang-core: pure Rust kernels (motion, tracking) with an optional PyO3 layer.
//!
//! Everything below `motion` and `track` is plain Rust and tested with `cargo test`;
//! the bindings live in `py` and are compiled only with the `python` feature.

pub mod motion;
pub mod track;

#[cfg(feature = "python")]
mod py;

#[cfg(feature = "python")]
use pyo3::prelude::*;

#[cfg(feature = "python")]
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    py::register(m)
}
