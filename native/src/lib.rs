//! `shadowlens._native`: the hot kernels of shadowlens, over Arrow buffers.
//!
//! Python stays the package's face; this module holds only kernels. Each one takes a
//! chunk's buffers (as `bytes`), releases the GIL while it runs, and returns new
//! buffers that Python wraps with `pyarrow.Array.from_buffers`.
#![forbid(unsafe_code)]

pub mod kv;

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use regex::Regex;

fn le_i64(name: &str, bytes: &[u8]) -> PyResult<Vec<i64>> {
    if !bytes.len().is_multiple_of(8) {
        return Err(PyValueError::new_err(format!(
            "{name}: not a buffer of int64"
        )));
    }
    Ok(bytes
        .chunks_exact(8)
        .map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .collect())
}

fn i64_bytes<'py>(py: Python<'py>, values: &[i64]) -> Bound<'py, PyBytes> {
    let mut bytes = Vec::with_capacity(values.len() * 8);
    for v in values {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    PyBytes::new(py, &bytes)
}

fn compiled(pattern: &str) -> PyResult<Regex> {
    static CACHE: OnceLock<Mutex<HashMap<String, Regex>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache
        .lock()
        .map_err(|_| PyValueError::new_err("regex cache poisoned"))?;
    if let Some(re) = cache.get(pattern) {
        return Ok(re.clone());
    }
    let re = Regex::new(pattern).map_err(|e| PyValueError::new_err(e.to_string()))?;
    cache.insert(pattern.to_owned(), re.clone());
    Ok(re)
}

/// Pair tokens of each row's key=value region.
///
/// `offsets` (int64 LE, rows + 1) and `data` are a large_string array's buffers;
/// `starts` (int64 LE) is where each row's region starts, in bytes from the row's
/// start; `valid` has one byte per row (0 = null). `cef=True` scans `common.KV_PAIR`
/// by hand, else `pattern` is matched as polars' `extract_all` does.
///
/// Returns `(ok, list_offsets, token_offsets, data)`: `ok` one byte per row (0 =
/// flagged, for the reference path), then the `large_list<large_string>` buffers of
/// the accepted rows' tokens.
#[pyfunction]
#[pyo3(signature = (pattern, offsets, data, starts, valid=None, cef=false))]
#[allow(clippy::type_complexity)]
fn split_pairs<'py>(
    py: Python<'py>,
    pattern: &str,
    offsets: &[u8],
    data: &[u8],
    starts: &[u8],
    valid: Option<&[u8]>,
    cef: bool,
) -> PyResult<(
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
)> {
    let offsets = le_i64("offsets", offsets)?;
    let starts = le_i64("starts", starts)?;
    let splitter = if cef {
        kv::Splitter::Cef
    } else {
        kv::Splitter::Regex(compiled(pattern)?)
    };
    let split = py
        .allow_threads(|| kv::split_rows(&splitter, &offsets, data, &starts, valid))
        .map_err(PyValueError::new_err)?;
    Ok((
        PyBytes::new(py, &split.ok),
        i64_bytes(py, &split.list_offsets),
        i64_bytes(py, &split.token_offsets),
        PyBytes::new(py, &split.data),
    ))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(split_pairs, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
