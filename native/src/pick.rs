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
    ///
    /// Works on the bytes of a UTF-8 `value`: UTF-8 is self-synchronizing, so a
    /// value ends with a character's encoding exactly when that is its last
    /// character, and a quote found at both ends leaves UTF-8 between them (it
    /// holds the quote twice when it has twice its bytes).
    pub fn apply(&self, value: &[u8], out: &mut Vec<u8>) {
        let mut v = value;
        if !self.strip.is_empty() {
            v = self.trim_end(v);
        }
        if let Some(q) = &self.quote {
            let q = q.as_bytes();
            let n = v.len();
            if !q.is_empty()
                && n >= 2 * q.len()
                && same(&v[..q.len()], q)
                && same(&v[n - q.len()..], q)
            {
                v = &v[q.len()..v.len() - q.len()];
            }
        }
        self.unescape(v, out);
    }

    fn trim_end<'v>(&self, mut v: &'v [u8]) -> &'v [u8] {
        if let [c] = self.strip[..] {
            if c.is_ascii() {
                while let [rest @ .., last] = v {
                    if *last != c as u8 {
                        break;
                    }
                    v = rest;
                }
                return v;
            }
        }
        let mut buf = [0u8; 4];
        'cut: loop {
            for c in &self.strip {
                let c = c.encode_utf8(&mut buf).as_bytes();
                if v.len() >= c.len() && same(&v[v.len() - c.len()..], c) {
                    v = &v[..v.len() - c.len()];
                    continue 'cut;
                }
            }
            return v;
        }
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
            // Jump to the next byte that may start an escape (short values, most of
            // them, by a plain loop: cheaper than memchr's set-up).
            let next = if single_lead {
                let rest = &v[i..];
                let found = if rest.len() < 32 {
                    rest.iter().position(|&b| b == lead)
                } else {
                    memchr::memchr(lead, rest)
                };
                found.map_or(v.len(), |k| i + k)
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
                .find(|(from, _)| rest.len() >= width && same(&rest[..width], from))
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

/// Byte equality without a `memcmp` call: keys and escapes are a few bytes long, and
/// the call costs more than the compare (it was a fifth of the kernel's time).
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut x, mut y) = (a.chunks_exact(8), b.chunks_exact(8));
    let word = |c: &[u8]| u64::from_ne_bytes(c.try_into().unwrap_or([0; 8]));
    for (p, q) in x.by_ref().zip(y.by_ref()) {
        if word(p) != word(q) {
            return false;
        }
    }
    x.remainder().iter().zip(y.remainder()).all(|(p, q)| p == q)
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
    let total = list_offsets
        .last()
        .and_then(|&n| usize::try_from(n).ok())
        .map_or(0, |n| n.min(tokens.len()));
    let mut picker = Picker::new(wanted, separator, undo, rows, total, tokens.data_len());
    for row in 0..rows {
        let (first, end) = get_range(list_offsets, row)?;
        for t in first..end {
            picker.token(tokens.get_utf8(t)?.ok_or("a token is null")?);
        }
        picker.end_row()?;
    }
    Ok(picker.finish())
}

/// Picks row by row from tokens fed one at a time (so that a kernel which finds the
/// tokens itself, as the fused split + pick does, needs no token list in between).
pub struct Picker<'w, 't> {
    index: HashMap<&'w [u8], usize>,
    separator: &'w [u8],
    finder: memmem::Finder<'w>,
    undo: &'w Undo,
    out: Picked,
    /// Per wanted key, the token that gives its value in the current row.
    last: Vec<Option<usize>>,
    /// The current row's tokens: key, raw value, wanted slot.
    row: Vec<(&'t [u8], &'t [u8], Option<usize>)>,
    /// Producers repeat one key order: the key seen at each position of the previous
    /// row, with its slot, answers most lookups without hashing.
    seen: Vec<(&'t [u8], Option<usize>)>,
}

impl<'w, 't> Picker<'w, 't> {
    /// A picker of `wanted` for `rows` rows, about `tokens` tokens of `data` bytes in
    /// all (for capacities).
    pub fn new(
        wanted: &'w [String],
        separator: &'w str,
        undo: &'w Undo,
        rows: usize,
        tokens: usize,
        data: usize,
    ) -> Self {
        let extras = tokens.saturating_sub(rows * wanted.len() / 2);
        // Room for the values' bytes without growing: `data` is what the tokens hold
        // in all; pages reserved and never written cost nothing.
        let share = data / wanted.len().max(1);
        let mut out = Picked {
            columns: (0..wanted.len())
                .map(|_| ViewBuilder::with_capacity(rows, share))
                .collect(),
            list_offsets: Vec::with_capacity(rows + 1),
            keys: ViewBuilder::with_capacity(extras, 0),
            values: ViewBuilder::with_capacity(extras, data / 2),
        };
        out.list_offsets.push(0);
        Self {
            index: wanted
                .iter()
                .enumerate()
                .map(|(i, k)| (k.as_bytes(), i))
                .collect(),
            separator: separator.as_bytes(),
            finder: memmem::Finder::new(separator.as_bytes()),
            undo,
            out,
            last: vec![None; wanted.len()],
            row: Vec::new(),
            seen: Vec::new(),
        }
    }

    /// Feed the next token (UTF-8) of the current row.
    #[inline]
    pub fn token(&mut self, bytes: &'t [u8]) {
        // The separator is UTF-8, so its first occurrence starts at a character
        // boundary and the key and raw value are UTF-8 too.
        let at = match self.separator {
            // Most tokens are short: a plain loop beats memchr's set-up there.
            [one] if bytes.len() < 32 => bytes.iter().position(|b| b == one),
            [one] => memchr::memchr(*one, bytes),
            _ => self.finder.find(bytes),
        };
        let (key, raw) = match at {
            Some(at) => (&bytes[..at], &bytes[at + self.separator.len()..]),
            None => (bytes, &bytes[bytes.len()..]),
        };
        let at = self.row.len();
        let slot = match self.seen.get(at) {
            Some(&(k, slot)) if same(k, key) => slot,
            _ => {
                let slot = self.index.get(key).copied();
                if at < self.seen.len() {
                    self.seen[at] = (key, slot);
                } else {
                    self.seen.push((key, slot));
                }
                slot
            }
        };
        if let Some(k) = slot {
            self.last[k] = Some(at);
        }
        self.row.push((key, raw, slot));
    }

    /// Close the current row: its picked values and extras.
    pub fn end_row(&mut self) -> Result<(), String> {
        let undo = self.undo;
        for (k, column) in self.out.columns.iter_mut().enumerate() {
            match self.last[k] {
                Some(j) => column.push_with(|data| undo.apply(self.row[j].1, data))?,
                None => column.push_null(),
            }
        }
        for (j, &(key, raw, slot)) in self.row.iter().enumerate() {
            if slot.is_some_and(|k| self.last[k] == Some(j)) {
                continue;
            }
            self.out.keys.push(key)?;
            self.out.values.push_with(|data| undo.apply(raw, data))?;
        }
        self.out.list_offsets.push(self.out.keys.len as i64);
        self.row.clear();
        self.last.iter_mut().for_each(|slot| *slot = None);
        Ok(())
    }

    /// The picked columns and extras of the rows so far.
    pub fn finish(self) -> Picked {
        self.out
    }
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
            .map(|i| b.validity.get(i / 8).map_or(1, |v| (v >> (i % 8)) & 1))
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
            undo.apply(raw.as_bytes(), &mut out);
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
