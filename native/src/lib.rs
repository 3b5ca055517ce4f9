//! `shadowlens._native`: the hot kernels of shadowlens, over Arrow buffers.
//!
//! Python stays the package's face; this module holds only kernels. Each one takes a
//! chunk's buffers (as `bytes`), releases the GIL while it runs, and returns new
//! buffers that Python wraps with `pyarrow.Array.from_buffers`.
#![forbid(unsafe_code)]

pub mod concat;
pub mod kv;
pub mod lines;
pub mod pick;
pub mod views;

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

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
    // Written straight into the bytes object: no buffer in between.
    PyBytes::new_with(py, values.len() * 8, |bytes| {
        for (out, v) in bytes.chunks_exact_mut(8).zip(values) {
            out.copy_from_slice(&v.to_le_bytes());
        }
        Ok(())
    })
    .unwrap_or_else(|_| PyBytes::new(py, &[]))
}

fn compiled(pattern: &str) -> PyResult<kv::Splitter> {
    static CACHE: OnceLock<Mutex<HashMap<String, regex_automata::meta::Regex>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache
        .lock()
        .map_err(|_| PyValueError::new_err("regex cache poisoned"))?;
    if let Some(re) = cache.get(pattern) {
        return Ok(kv::Splitter::Regex(re.clone()));
    }
    let re = regex_automata::meta::Regex::new(pattern)
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    cache.insert(pattern.to_owned(), re.clone());
    Ok(kv::Splitter::Regex(re))
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
        compiled(pattern)?
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

/// Pair tokens of each row's key=value region, as views into the texts' buffers.
///
/// `texts` is a `string_view` array (see `ViewArgs`), `starts` (int64 LE) where each
/// row's region starts, in bytes from the row's start. `cef=True` scans
/// `common.KV_PAIR` by hand, else `pattern` is matched as polars' `extract_all`
/// does. Returns `(ok, list_offsets, views)`: `ok` one byte per row (0 = flagged,
/// for the reference path), then the accepted rows' token lists, a `string_view`
/// array over the texts' own data buffers (in the order given) cut by `list_offsets`.
#[pyfunction]
#[pyo3(signature = (pattern, texts, starts, cef=false))]
#[allow(clippy::type_complexity)]
fn split_pair_views<'py>(
    py: Python<'py>,
    pattern: &str,
    texts: ViewArgs<'py>,
    starts: &[u8],
    cef: bool,
) -> PyResult<(
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
)> {
    let starts = le_i64("starts", starts)?;
    let mut texts = views("texts", &texts)?;
    let splitter = if cef {
        kv::Splitter::Cef
    } else {
        compiled(pattern)?
    };
    let split = py
        .allow_threads(|| {
            texts.check_utf8();
            kv::split_views(&splitter, &texts, &starts)
        })
        .map_err(PyValueError::new_err)?;
    Ok((
        PyBytes::new(py, &split.ok),
        i64_bytes(py, &split.list_offsets),
        PyBytes::new(py, &split.views),
    ))
}

/// A `string_view` array from Python: `(views, data_buffers, valid)`, `valid`
/// one byte per row or None.
type ViewArgs<'py> = (
    Bound<'py, PyBytes>,
    Vec<Bound<'py, PyBytes>>,
    Option<Bound<'py, PyBytes>>,
);

fn views<'a>(name: &str, args: &'a ViewArgs<'_>) -> PyResult<views::Views<'a>> {
    let (views, buffers, valid) = args;
    views::Views::new(
        views.as_bytes(),
        buffers.iter().map(|b| b.as_bytes()).collect(),
        valid.as_ref().map(|v| v.as_bytes()),
    )
    .map_err(|e| PyValueError::new_err(format!("{name}: {e}")))
}

/// A built `string_view` array for Python: `(views, data, validity, nulls)`.
type ViewOut<'py> = (
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    usize,
);

fn view_out<'py>(py: Python<'py>, b: &views::ViewBuilder) -> ViewOut<'py> {
    (
        PyBytes::new(py, &b.views),
        PyBytes::new(py, &b.data),
        PyBytes::new(py, &b.validity),
        b.nulls,
    )
}

/// Values of `wanted` keys out of per-row `key=value` token lists, and the extras.
///
/// `list_offsets` (int64 LE) index `tokens`, a `string_view` array (see
/// `ViewArgs`). Values are undone: trailing `strip` characters cut, `quote`
/// removed, `escapes` (all of one byte length) replaced. Returns `(columns,
/// list_offsets, keys, values)`: a `string_view` array per wanted key, then the
/// extras keys and values, two `string_view` arrays that `list_offsets` cut into rows.
#[pyfunction]
#[pyo3(signature = (list_offsets, tokens, wanted, separator, strip="", quote=None, escapes=Vec::new()))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn pick_pairs<'py>(
    py: Python<'py>,
    list_offsets: &[u8],
    tokens: ViewArgs<'py>,
    wanted: Vec<String>,
    separator: &str,
    strip: &str,
    quote: Option<String>,
    escapes: Vec<(String, String)>,
) -> PyResult<(
    Vec<ViewOut<'py>>,
    Bound<'py, PyBytes>,
    ViewOut<'py>,
    ViewOut<'py>,
)> {
    let lists = le_i64("list_offsets", list_offsets)?;
    let mut tokens = views("tokens", &tokens)?;
    if separator.is_empty() {
        return Err(PyValueError::new_err("separator: empty"));
    }
    let width = escapes.first().map_or(0, |(from, _)| from.len());
    if escapes
        .iter()
        .any(|(from, _)| from.len() != width || from.is_empty())
    {
        return Err(PyValueError::new_err(
            "escapes: all sequences must have one byte length",
        ));
    }
    let undo = pick::Undo {
        strip: strip.chars().collect(),
        quote,
        escapes: escapes
            .into_iter()
            .map(|(from, to)| (from.into_bytes(), to.into_bytes()))
            .collect(),
    };
    let picked = py
        .allow_threads(|| {
            tokens.check_utf8();
            pick::pick(&lists, &tokens, &wanted, separator, &undo)
        })
        .map_err(PyValueError::new_err)?;
    let columns = picked.columns.iter().map(|c| view_out(py, c)).collect();
    Ok((
        columns,
        i64_bytes(py, &picked.list_offsets),
        view_out(py, &picked.keys),
        view_out(py, &picked.values),
    ))
}

/// One part of `concat_pairs`: `("constant", key, values, None)` or
/// `("lists", list_offsets, keys, values)`, the columns as `ViewArgs`.
type PartArgs<'py> = (
    String,
    Bound<'py, PyBytes>,
    ViewArgs<'py>,
    Option<ViewArgs<'py>>,
);

/// Per-row `(keys, values)` lists made of several parts, in part order.
///
/// A part is `("constant", key, values, None)`: an entry under `key` where a value
/// is present, or `("lists", list_offsets, keys, values)`: aligned lists. Returns
/// `(list_offsets, keys, values)`, two `string_view` arrays cut into rows.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn concat_pairs<'py>(
    py: Python<'py>,
    parts: Vec<PartArgs<'py>>,
    rows: usize,
) -> PyResult<(Bound<'py, PyBytes>, ViewOut<'py>, ViewOut<'py>)> {
    let mut lists = Vec::with_capacity(parts.len());
    for (kind, first, _, _) in &parts {
        lists.push(match kind.as_str() {
            "lists" => le_i64("list_offsets", first.as_bytes())?,
            _ => Vec::new(),
        });
    }
    let mut views_in = Vec::with_capacity(parts.len());
    for ((kind, first, a, b), offsets) in parts.iter().zip(&lists) {
        views_in.push(match (kind.as_str(), b) {
            ("constant", None) => concat::Part::Constant {
                key: first.as_bytes(),
                values: views("values", a)?,
            },
            ("lists", Some(b)) => concat::Part::Lists {
                lists: offsets,
                keys: views("keys", a)?,
                values: views("values", b)?,
            },
            _ => return Err(PyValueError::new_err(format!("unknown part {kind:?}"))),
        });
    }
    let out = py
        .allow_threads(|| concat::concat(&views_in, rows))
        .map_err(PyValueError::new_err)?;
    Ok((
        i64_bytes(py, &out.list_offsets),
        view_out(py, &out.keys),
        view_out(py, &out.values),
    ))
}

/// Lines of a chunk: `(views, starts, ends, blank, bad_utf8)`.
///
/// `views` are `string_view`s over `data` itself (buffer 0), without the line
/// ends (LF, CRLF, lone CR); `starts` and `ends` (int64 LE) are where each line
/// begins and the last byte of its end; `blank` one byte per line (1 = blanks
/// only); `bad_utf8` the indices of lines that are not valid UTF-8.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn cut_lines<'py>(
    py: Python<'py>,
    data: &[u8],
) -> PyResult<(
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
)> {
    let cut = py
        .allow_threads(|| lines::cut(data))
        .map_err(PyValueError::new_err)?;
    Ok((
        PyBytes::new(py, &cut.views),
        i64_bytes(py, &cut.starts),
        i64_bytes(py, &cut.ends),
        PyBytes::new(py, &cut.blank),
        i64_bytes(py, &cut.bad_utf8),
    ))
}

/// Line ends of `data` (LF, CRLF, lone CR), counted up to `limit + 1`: `(count, cut)`,
/// `cut` just after the `limit`-th end (`len(data)` when there are fewer).
#[pyfunction]
fn scan_line_ends(py: Python<'_>, data: &[u8], limit: usize) -> (usize, usize) {
    py.allow_threads(|| lines::scan_ends(data, limit))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(split_pairs, m)?)?;
    m.add_function(wrap_pyfunction!(split_pair_views, m)?)?;
    m.add_function(wrap_pyfunction!(pick_pairs, m)?)?;
    m.add_function(wrap_pyfunction!(concat_pairs, m)?)?;
    m.add_function(wrap_pyfunction!(cut_lines, m)?)?;
    m.add_function(wrap_pyfunction!(scan_line_ends, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
