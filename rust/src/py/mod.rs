//! PyO3 bindings: argument checks, GIL release, numpy conversion.
use pyo3::prelude::*;

pub mod motion;
pub mod track;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    motion::register(m)?;
    track::register(m)?;
    Ok(())
}
