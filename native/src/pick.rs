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

/// A nullable `large_string` column being built.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct StringColumn {
    /// `rows + 1` offsets into `data`.
    pub offsets: Vec<i64>,
    /// The values back to back.
    pub data: Vec<u8>,
    /// Arrow validity bitmap (LSB first), one bit per row.
    pub validity: Vec<u8>,
    /// Rows that are null.
    pub nulls: usize,
}

impl StringColumn {
    fn with_rows(rows: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        Self {
            offsets,
            data: Vec::new(),
            validity: vec![0; rows.div_ceil(8)],
            nulls: 0,
        }
    }

    fn close_row(&mut self, row: usize, valid: bool) {
        if valid {
            self.validity[row / 8] |= 1 << (row % 8);
        } else {
            self.nulls += 1;
        }
        self.offsets.push(self.data.len() as i64);
    }
}

/// The picked columns and the extras of every row.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Picked {
    /// One column per wanted key, in the order asked.
    pub columns: Vec<StringColumn>,
    /// `rows + 1` list offsets shared by the extras keys and values.
    pub list_offsets: Vec<i64>,
    /// Offsets and data of the extras keys (raw).
    pub key_offsets: Vec<i64>,
    /// The extras keys back to back.
    pub key_data: Vec<u8>,
    /// Offsets of the extras values (undone).
    pub value_offsets: Vec<i64>,
    /// The extras values back to back.
    pub value_data: Vec<u8>,
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

/// Pick `wanted` keys out of the token lists (`list_offsets` into the tokens,
/// `token_offsets` + `data` the tokens). Fails (never panics) on offsets that do
/// not describe valid arrays, and on tokens that are not UTF-8.
pub fn pick(
    list_offsets: &[i64],
    token_offsets: &[i64],
    data: &[u8],
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
            .map(|_| StringColumn::with_rows(rows))
            .collect(),
        list_offsets: Vec::with_capacity(rows + 1),
        key_offsets: vec![0],
        value_offsets: vec![0],
        ..Picked::default()
    };
    out.list_offsets.push(0);
    // Per wanted key, the token that gives its value in the current row.
    let mut last: Vec<Option<usize>> = vec![None; wanted.len()];
    let mut tokens: Vec<(&str, &str, Option<usize>)> = Vec::new();
    // Producers repeat one key order: the key seen at each position of the previous
    // row, with its slot, answers most lookups without hashing.
    let mut seen: Vec<(&str, Option<usize>)> = Vec::new();
    let text = std::str::from_utf8(data).map_err(|_| "tokens are not UTF-8")?;
    for row in 0..rows {
        let (first, end) = get_range(list_offsets, row)?;
        tokens.clear();
        last.iter_mut().for_each(|slot| *slot = None);
        for t in first..end {
            let (lo, hi) = get_range(token_offsets, t)?;
            let token = text
                .get(lo..hi)
                .ok_or("token outside the data or not UTF-8")?;
            let (key, value) = match finder.find(token.as_bytes()) {
                Some(at) => (&token[..at], &token[at + separator.len()..]),
                None => (token, ""),
            };
            let at = tokens.len();
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
            tokens.push((key, value, slot));
        }
        for (k, column) in out.columns.iter_mut().enumerate() {
            match last[k] {
                Some(j) => {
                    undo.apply(tokens[j].1, &mut column.data);
                    column.close_row(row, true);
                }
                None => column.close_row(row, false),
            }
        }
        for (j, &(key, value, slot)) in tokens.iter().enumerate() {
            if slot.is_some_and(|k| last[k] == Some(j)) {
                continue;
            }
            out.key_data.extend_from_slice(key.as_bytes());
            out.key_offsets.push(out.key_data.len() as i64);
            undo.apply(value, &mut out.value_data);
            out.value_offsets.push(out.value_data.len() as i64);
        }
        out.list_offsets.push(out.key_offsets.len() as i64 - 1);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists(rows: &[&[&str]]) -> (Vec<i64>, Vec<i64>, Vec<u8>) {
        let (mut lists, mut offs, mut data) = (vec![0], vec![0], Vec::new());
        for row in rows {
            for t in *row {
                data.extend_from_slice(t.as_bytes());
                offs.push(data.len() as i64);
            }
            lists.push(offs.len() as i64 - 1);
        }
        (lists, offs, data)
    }

    fn column(c: &StringColumn, rows: usize) -> Vec<Option<String>> {
        (0..rows)
            .map(|r| {
                (c.validity[r / 8] >> (r % 8) & 1 == 1).then(|| {
                    String::from_utf8(
                        c.data[c.offsets[r] as usize..c.offsets[r + 1] as usize].to_vec(),
                    )
                    .unwrap()
                })
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

    #[test]
    fn last_wins_and_extras_keep_line_order() {
        let (l, o, d) = lists(&[&["a=1 ", "b=x\\=y ", "a=2 ", "c=3"], &["c=4 ", "q"], &[]]);
        let wanted = vec!["a".to_owned(), "c".to_owned()];
        let p = pick(&l, &o, &d, &wanted, "=", &cef_undo()).unwrap();
        assert_eq!(column(&p.columns[0], 3), vec![Some("2".into()), None, None]);
        assert_eq!(
            column(&p.columns[1], 3),
            vec![Some("3".into()), Some("4".into()), None]
        );
        assert_eq!(p.list_offsets, vec![0, 2, 3, 3]);
        let keys: Vec<_> = p
            .key_offsets
            .windows(2)
            .map(|w| &p.key_data[w[0] as usize..w[1] as usize])
            .collect();
        assert_eq!(keys, vec![&b"a"[..], b"b", b"q"]);
        let values: Vec<_> = p
            .value_offsets
            .windows(2)
            .map(|w| &p.value_data[w[0] as usize..w[1] as usize])
            .collect();
        assert_eq!(values, vec![&b"1"[..], b"x=y", b""]);
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
    fn bad_offsets_are_errors() {
        assert!(pick(&[0, 2], &[0, 1], b"a", &[], "=", &Undo::default()).is_err());
        assert!(pick(&[0, 1], &[0, 9], b"a", &[], "=", &Undo::default()).is_err());
        assert!(pick(&[0, 1], &[0, 2], &[0xff, 0xfe], &[], "=", &Undo::default()).is_err());
        assert!(pick(&[], &[0], b"", &[], "=", &Undo::default()).is_err());
    }
}
