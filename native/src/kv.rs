//! Split a `key=value` region into its pair tokens, row by row, over Arrow buffers.
//!
//! A row's tokens tile its region (they cover it from its first byte to its last,
//! in order), as the reference split demands, so the tokens of the accepted rows
//! are the regions themselves, copied once, with cut points as offsets. A row whose
//! region the pair terminal does not tile is *flagged*: the caller sends it to the
//! reference path, which decides (it drops such rows).

use memchr::memchr;
use regex::Regex;

/// How to find one pair token at a position.
pub enum Splitter {
    /// `common.KV_PAIR` (CEF extensions), scanned by hand: see [`cef_token_end`].
    Cef,
    /// Any other pair terminal: its regex, as polars' `extract_all` runs it.
    Regex(Regex),
}

/// Tokens of the accepted rows, as Arrow `large_list<large_string>` buffers.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Split {
    /// One byte per input row: 1 when the row was split, 0 when flagged.
    pub ok: Vec<u8>,
    /// List offsets, one list per accepted row (`accepted + 1` values).
    pub list_offsets: Vec<i64>,
    /// String offsets of the tokens into `data`.
    pub token_offsets: Vec<i64>,
    /// The accepted rows' regions, back to back.
    pub data: Vec<u8>,
}

/// Bytes that may make up a `KV_KEY` (`[A-Za-z0-9_.,\[\]-]`), as a table: one
/// load per byte in the scanner's inner loop.
static KEY_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] =
            c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b',' | b'[' | b']' | b'-');
        b += 1;
    }
    table
};

/// Whether a pair starts at `pos`: key bytes directly followed by `=`.
#[inline]
fn starts_pair(text: &[u8], pos: usize) -> bool {
    let rest = text.get(pos..).unwrap_or_default();
    let key = rest.iter().take_while(|&&b| KEY_BYTES[b as usize]).count();
    key > 0 && rest.get(key) == Some(&b'=')
}

/// End of the `KV_PAIR` token that starts at `pos`, or `None` when none starts there.
///
/// The terminal's regex, read as a scanner: a key and `=`, then the first word (any
/// bytes but a space, possibly none), then words after spaces as long as the word
/// does not start a pair, then the spaces that end the token (or the end of text).
/// Every byte it tests is ASCII, so scanning UTF-8 bytes equals matching chars.
pub fn cef_token_end(text: &[u8], pos: usize) -> Option<usize> {
    if !starts_pair(text, pos) {
        return None;
    }
    let n = text.len();
    let word_end =
        |from: usize| memchr(b' ', text.get(from..).unwrap_or_default()).map_or(n, |i| from + i);
    let eq = pos + text.get(pos..)?.iter().position(|&b| b == b'=')?;
    let mut end = word_end(eq + 1);
    loop {
        let mut next = end;
        while text.get(next) == Some(&b' ') {
            next += 1;
        }
        if next == n || starts_pair(text, next) {
            return Some(next);
        }
        end = word_end(next);
    }
}

/// End of the leftmost `re` match from `pos` when it starts at `pos` and is not empty.
fn regex_token_end(re: &Regex, text: &str, pos: usize) -> Option<usize> {
    re.find_at(text, pos)
        .filter(|m| m.start() == pos && m.end() > pos)
        .map(|m| m.end())
}

/// Cut points (token ends) of `region`, or `None` when its tokens do not tile it.
fn cuts(splitter: &Splitter, region: &[u8], out: &mut Vec<usize>) -> Option<()> {
    let mut pos = 0;
    match splitter {
        Splitter::Cef => {
            while pos < region.len() {
                pos = cef_token_end(region, pos)?;
                out.push(pos);
            }
        }
        Splitter::Regex(re) => {
            let text = std::str::from_utf8(region).ok()?;
            while pos < text.len() {
                pos = regex_token_end(re, text, pos)?;
                out.push(pos);
            }
        }
    }
    Some(())
}

/// Split every row's region: the row's bytes from `offsets[i] + starts[i]` to `offsets[i + 1]`.
///
/// `valid` (one byte per row, 0 = null) flags null rows. Offsets out of order or out
/// of the data flag the row; they never panic.
pub fn split_rows(
    splitter: &Splitter,
    offsets: &[i64],
    data: &[u8],
    starts: &[i64],
    valid: Option<&[u8]>,
) -> Result<Split, String> {
    let rows = offsets.len().checked_sub(1).ok_or("offsets: empty")?;
    if starts.len() != rows {
        return Err(format!("starts: {} values for {rows} rows", starts.len()));
    }
    if valid.is_some_and(|v| v.len() != rows) {
        return Err(format!("valid: wrong length for {rows} rows"));
    }
    let mut out = Split {
        ok: Vec::with_capacity(rows),
        list_offsets: Vec::with_capacity(rows + 1),
        token_offsets: vec![0],
        data: Vec::new(),
    };
    out.list_offsets.push(0);
    let mut ends = Vec::new();
    for row in 0..rows {
        ends.clear();
        let region = region(offsets, data, starts, row);
        let is_valid = valid.is_none_or(|v| v.get(row) != Some(&0));
        let split = match region {
            Some(region) if is_valid => cuts(splitter, region, &mut ends).map(|()| region),
            _ => None,
        };
        let Some(region) = split else {
            out.ok.push(0);
            continue;
        };
        let base = out.data.len() as i64;
        out.data.extend_from_slice(region);
        out.token_offsets
            .extend(ends.iter().map(|&e| base + e as i64));
        out.list_offsets.push(out.token_offsets.len() as i64 - 1);
        out.ok.push(1);
    }
    Ok(out)
}

fn region<'a>(offsets: &[i64], data: &'a [u8], starts: &[i64], row: usize) -> Option<&'a [u8]> {
    let lo = usize::try_from(*offsets.get(row)?).ok()?;
    let hi = usize::try_from(*offsets.get(row + 1)?).ok()?;
    let start = lo.checked_add(usize::try_from(*starts.get(row)?).ok()?)?;
    data.get(start..hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `common.KV_PAIR` as the plan compiler lowers it (the regex polars runs).
    const KV_PAIR: &str = r"(?:[A-Za-z0-9_.,\[\]-]+=[^ ]*(?: +(?:=[^ ]*|[A-Za-z0-9_.,\[\]-]*[^A-Za-z0-9_.,\[\]= -][^ ]*|[A-Za-z0-9_.,\[\]-]+))*(?: +|$))";

    /// The reference: `extract_all` tokens, kept only when they tile the text.
    fn kv_pair() -> &'static Regex {
        static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
        RE.get_or_init(|| Regex::new(KV_PAIR).unwrap())
    }

    fn reference(text: &str) -> Option<Vec<String>> {
        let re = kv_pair();
        let tokens: Vec<String> = re.find_iter(text).map(|m| m.as_str().to_owned()).collect();
        (tokens.iter().map(String::len).sum::<usize>() == text.len()).then_some(tokens)
    }

    fn split_one(splitter: &Splitter, text: &str, start: usize) -> Option<Vec<String>> {
        let offsets = [0, text.len() as i64];
        let split = split_rows(splitter, &offsets, text.as_bytes(), &[start as i64], None).unwrap();
        if split.ok[0] == 0 {
            return None;
        }
        let cuts = &split.token_offsets;
        let data = String::from_utf8(split.data.clone()).unwrap();
        Some(
            cuts.windows(2)
                .map(|w| data[w[0] as usize..w[1] as usize].to_owned())
                .collect(),
        )
    }

    fn check(text: &str) {
        let want = reference(text);
        assert_eq!(
            split_one(&Splitter::Cef, text, 0),
            want,
            "cef scanner on {text:?}"
        );
        let re = Splitter::Regex(kv_pair().clone());
        assert_eq!(split_one(&re, text, 0), want, "regex on {text:?}");
    }

    #[test]
    fn cases() {
        for text in [
            "",
            "a=1",
            "a=1 b=2",
            "a=1  b=x y  ",
            "a= b=",
            "a=b=c d=e",
            r"a=x\=y b=\\= c=3",
            r"a\=b=1",
            " a=1",
            "junk",
            "a=1 =2 b",
            "msg=hello world user=bob",
            "k=\u{e9}t\u{e9} \u{4e2d}=1 x=\u{1f600}",
            "a=1 b c=2 d",
            "a=1 b\tc=2",
            "[x].y,-_=1 z=2",
            "a=1\nb=2",
            "a=1 b",
            "a=1 b ",
        ] {
            check(text);
        }
    }

    /// Deterministic mutation run (no extra crates): random texts over a small alphabet.
    #[test]
    fn random_texts_match_regex() {
        let alphabet: Vec<char> = "ab1_.=\\ \t\"[]-,é中".chars().collect();
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let len = (next() % 24) as usize;
            let text: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            check(&text);
        }
    }

    #[test]
    fn starts_nulls_and_bad_offsets_flag_rows() {
        let data = b"CEF:0|a=1 b=2xyz";
        let offsets = [0, 13, 16, 16, 99];
        let starts = [6, 0, 0, 0];
        let valid = [1, 1, 0, 1];
        let split = split_rows(&Splitter::Cef, &offsets, data, &starts, Some(&valid)).unwrap();
        assert_eq!(split.ok, vec![1, 0, 0, 0]);
        assert_eq!(split.list_offsets, vec![0, 2]);
        assert_eq!(split.token_offsets, vec![0, 4, 7]);
        assert_eq!(split.data, b"a=1 b=2");
        assert!(split_rows(&Splitter::Cef, &[0, 1], b"a", &[], None).is_err());
        let start_past_end = split_rows(&Splitter::Cef, &[0, 3], b"a=1", &[4], None).unwrap();
        assert_eq!(start_past_end.ok, vec![0]);
    }
}
