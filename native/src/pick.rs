//! Pick the values of wanted keys out of per-row lists of `key=value` tokens.
//!
//! The input is a `large_list<large_string>` array (a row's tokens in line order).
//! For each wanted key, the value of its **last** token in the row becomes that
//! row's value (null when the key is absent); every other token (keys nobody wants,
//! earlier duplicates) goes to the row's extras, in line order, as a key list and a
//! value list. Values are *undone* on the way: trailing `strip` characters cut,
//! surrounding quotes removed, escapes replaced. This is `kvpick.pick_pairs`'
//! contract, which the Python path keeps as the reference.

use std::collections::HashMap;

use memchr::memmem;

use crate::views::{ViewBuilder, Views};

/// How a raw value becomes a field value.
#[derive(Debug, Clone, Default)]
pub struct Undo {
    /// Characters cut from the end of every value.
    pub strip: Vec<char>,
    /// A value that starts and ends with it (and holds it twice) loses both.
    pub quote: Option<String>,
    /// Escape sequence -> replacement; every sequence has the same byte length, so
    /// the leftmost match at a position is the only one (no overlap rule needed).
    pub escapes: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Undo {
    /// Append the undone `value` to `out`.
    pub fn apply(&self, value: &str, out: &mut Vec<u8>) {
        let mut v = value;
        if !self.strip.is_empty() {
            v = v.trim_end_matches(|c| self.strip.contains(&c));
        }
        if let Some(q) = &self.quote {
            let chars = v.chars().count();
            let qchars = q.chars().count();
            if !q.is_empty()
                && chars >= 2 * qchars
                && v.starts_with(q.as_str())
                && v.ends_with(q.as_str())
            {
                v = &v[q.len()..v.len() - q.len()];
            }
        }
        self.unescape(v.as_bytes(), out);
    }

    fn unescape(&self, v: &[u8], out: &mut Vec<u8>) {
        let width = match self.escapes.first() {
            Some((from, _)) if !from.is_empty() => from.len(),
            _ => {
                out.extend_from_slice(v);
                return;
            }
        };
        let lead = self.escapes[0].0[0];
        let single_lead = self.escapes.iter().all(|(from, _)| from[0] == lead);
        let mut i = 0;
        while i < v.len() {
            // Jump to the next byte that may start an escape.
            let next = if single_lead {
                memchr::memchr(lead, &v[i..]).map_or(v.len(), |k| i + k)
            } else {
                i
            };
            out.extend_from_slice(&v[i..next]);
            i = next;
            if i >= v.len() {
                break;
            }
            let rest = &v[i..];
            match self
                .escapes
                .iter()
                .find(|(from, _)| rest.len() >= width && &rest[..width] == from.as_slice())
            {
                Some((_, to)) => {
                    out.extend_from_slice(to);
                    i += width;
                }
                None => {
                    // Copy one whole character, so a cut never splits UTF-8.
                    let step = utf8_len(v[i]);
                    let end = (i + step).min(v.len());
                    out.extend_from_slice(&v[i..end]);
                    i = end;
                }
            }
        }
    }
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// The picked columns and the extras of every row, as `string_view` arrays.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Picked {
    /// One column per wanted key, in the order asked.
    pub columns: Vec<ViewBuilder>,
    /// `rows + 1` list offsets shared by the extras keys and values.
    pub list_offsets: Vec<i64>,
    /// The extras keys (raw).
    pub keys: ViewBuilder,
    /// The extras values (undone).
    pub values: ViewBuilder,
}

fn get_range(offsets: &[i64], i: usize) -> Result<(usize, usize), String> {
    let bad = || format!("offsets out of order or range at {i}");
    let lo = usize::try_from(*offsets.get(i).ok_or_else(bad)?).map_err(|_| bad())?;
    let hi = usize::try_from(*offsets.get(i + 1).ok_or_else(bad)?).map_err(|_| bad())?;
    if hi < lo {
        return Err(bad());
    }
    Ok((lo, hi))
}

/// Pick `wanted` keys out of the token lists (`list_offsets` into `tokens`). Fails
/// (never panics) on offsets or views that do not describe valid arrays, on a null
/// token and on tokens that are not UTF-8.
pub fn pick(
    list_offsets: &[i64],
    tokens: &Views<'_>,
    wanted: &[String],
    separator: &str,
    undo: &Undo,
) -> Result<Picked, String> {
    let rows = list_offsets
        .len()
        .checked_sub(1)
        .ok_or("list offsets: empty")?;
    let index: HashMap<&[u8], usize> = wanted
        .iter()
        .enumerate()
        .map(|(i, k)| (k.as_bytes(), i))
        .collect();
    let finder = memmem::Finder::new(separator.as_bytes());
    let mut out = Picked {
        columns: (0..wanted.len())
            .map(|_| ViewBuilder::with_capacity(rows))
            .collect(),
        list_offsets: Vec::with_capacity(rows + 1),
        ..Picked::default()
    };
    out.list_offsets.push(0);
    // Per wanted key, the token that gives its value in the current row.
    let mut last: Vec<Option<usize>> = vec![None; wanted.len()];
    let mut row_tokens: Vec<(&str, &str, Option<usize>)> = Vec::new();
    // Producers repeat one key order: the key seen at each position of the previous
    // row, with its slot, answers most lookups without hashing.
    let mut seen: Vec<(&str, Option<usize>)> = Vec::new();
    let mut value = Vec::new();
    for row in 0..rows {
        let (first, end) = get_range(list_offsets, row)?;
        row_tokens.clear();
        last.iter_mut().for_each(|slot| *slot = None);
        for t in first..end {
            let bytes = tokens.get(t)?.ok_or("a token is null")?;
            let token = std::str::from_utf8(bytes).map_err(|_| "a token is not UTF-8")?;
            let (key, raw) = match finder.find(bytes) {
                Some(at) => (&token[..at], &token[at + separator.len()..]),
                None => (token, ""),
            };
            let at = row_tokens.len();
            let slot = match seen.get(at) {
                Some(&(k, slot)) if k == key => slot,
                _ => {
                    let slot = index.get(key.as_bytes()).copied();
                    if at < seen.len() {
                        seen[at] = (key, slot);
                    } else {
                        seen.push((key, slot));
                    }
                    slot
                }
            };
            if let Some(k) = slot {
                last[k] = Some(at);
            }
            row_tokens.push((key, raw, slot));
        }
        for (k, column) in out.columns.iter_mut().enumerate() {
            match last[k] {
                Some(j) => {
                    value.clear();
                    undo.apply(row_tokens[j].1, &mut value);
                    column.push(&value)?;
                }
                None => column.push_null(),
            }
        }
        for (j, &(key, raw, slot)) in row_tokens.iter().enumerate() {
            if slot.is_some_and(|k| last[k] == Some(j)) {
                continue;
            }
            out.keys.push(key.as_bytes())?;
            value.clear();
            undo.apply(raw, &mut value);
            out.values.push(&value)?;
        }
        out.list_offsets.push(out.keys.len as i64);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(rows: &[&[&str]]) -> (Vec<i64>, ViewBuilder) {
        let (mut lists, mut b) = (vec![0], ViewBuilder::default());
        for row in rows {
            for t in *row {
                b.push(t.as_bytes()).unwrap();
            }
            lists.push(b.len as i64);
        }
        (lists, b)
    }

    fn strings(b: &ViewBuilder) -> Vec<Option<String>> {
        let valid: Vec<u8> = (0..b.len)
            .map(|i| (b.validity[i / 8] >> (i % 8)) & 1)
            .collect();
        let views = Views::new(&b.views, vec![&b.data], Some(&valid)).unwrap();
        (0..b.len)
            .map(|i| {
                views
                    .get(i)
                    .unwrap()
                    .map(|v| String::from_utf8(v.to_vec()).unwrap())
            })
            .collect()
    }

    fn cef_undo() -> Undo {
        Undo {
            strip: vec![' '],
            quote: None,
            escapes: vec![
                (b"\\\\".to_vec(), b"\\".to_vec()),
                (b"\\=".to_vec(), b"=".to_vec()),
                (b"\\n".to_vec(), b"\n".to_vec()),
            ],
        }
    }

    fn some(values: &[&str]) -> Vec<Option<String>> {
        values.iter().map(|v| Some((*v).to_owned())).collect()
    }

    #[test]
    fn last_wins_and_extras_keep_line_order() {
        let (l, b) = tokens(&[&["a=1 ", "b=x\\=y ", "a=2 ", "c=3"], &["c=4 ", "q"], &[]]);
        let views = Views::new(&b.views, vec![&b.data], None).unwrap();
        let wanted = vec!["a".to_owned(), "c".to_owned()];
        let p = pick(&l, &views, &wanted, "=", &cef_undo()).unwrap();
        assert_eq!(strings(&p.columns[0]), vec![Some("2".into()), None, None]);
        assert_eq!(
            strings(&p.columns[1]),
            vec![Some("3".into()), Some("4".into()), None]
        );
        assert_eq!(p.list_offsets, vec![0, 2, 3, 3]);
        assert_eq!(strings(&p.keys), some(&["a", "b", "q"]));
        assert_eq!(strings(&p.values), some(&["1", "x=y", ""]));
    }

    #[test]
    fn undo_strips_unquotes_and_unescapes_once() {
        let undo = Undo {
            strip: vec![' '],
            quote: Some("\"".into()),
            escapes: cef_undo().escapes,
        };
        let mut out = Vec::new();
        for (raw, want) in [
            ("\"a b\"  ", "a b"),
            ("\"", "\""),
            ("\"\"", ""),
            ("\\\\=", "\\="),
            ("x\\", "x\\"),
            ("\\é\\n", "\\é\n"),
        ] {
            out.clear();
            undo.apply(raw, &mut out);
            assert_eq!(String::from_utf8(out.clone()).unwrap(), want, "{raw:?}");
        }
    }

    #[test]
    fn bad_offsets_and_null_tokens_are_errors() {
        let (_, b) = tokens(&[&["a"]]);
        let views = Views::new(&b.views, vec![&b.data], None).unwrap();
        assert!(pick(&[0, 2], &views, &[], "=", &Undo::default()).is_err());
        assert!(pick(&[], &views, &[], "=", &Undo::default()).is_err());
        let null = Views::new(&b.views, vec![&b.data], Some(&[0])).unwrap();
        assert!(pick(&[0, 1], &null, &[], "=", &Undo::default()).is_err());
        let mut bad = b.views.clone();
        bad[4] = 0xff; // not UTF-8
        let bad = Views::new(&bad, vec![], None).unwrap();
        assert!(pick(&[0, 1], &bad, &[], "=", &Undo::default()).is_err());
    }
}
