//! Split a `key=value` region into its pair tokens, row by row, over Arrow buffers.
//!
//! A row's tokens tile its region (they cover it from its first byte to its last,
//! in order), as the reference split demands, so the tokens of the accepted rows
//! are the regions themselves, copied once, with cut points as offsets. A row whose
//! region the pair terminal does not tile is *flagged*: the caller sends it to the
//! reference path, which decides (it drops such rows).

use memchr::memchr;
use regex_automata::meta::{Cache, Regex};
use regex_automata::{Anchored, Input};

use crate::views::{is_boundary, view_of, Views};

/// How to find one pair token at a position.
pub enum Splitter {
    /// `common.KV_PAIR` (CEF extensions), scanned by hand: see [`cef_token_end`].
    Cef,
    /// Any other pair terminal: its regex, as polars' `extract_all` runs it.
    Regex(Regex),
}

impl Splitter {
    /// The regex splitter of `pattern` (the `regex` crate's syntax and semantics).
    pub fn regex(pattern: &str) -> Result<Self, String> {
        Regex::new(pattern)
            .map(Splitter::Regex)
            .map_err(|e| e.to_string())
    }

    fn cache(&self) -> Option<Cache> {
        match self {
            Splitter::Cef => None,
            Splitter::Regex(re) => Some(re.create_cache()),
        }
    }
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

/// Where the `=` of a pair that starts at `pos` is (key bytes directly followed by
/// `=`), or `Err` with the count of key bytes read when no pair starts there.
#[inline]
fn pair_at(text: &[u8], pos: usize) -> Result<usize, usize> {
    let rest = text.get(pos..).unwrap_or_default();
    let key = rest.iter().take_while(|&&b| KEY_BYTES[b as usize]).count();
    match rest.get(key) {
        Some(b'=') if key > 0 => Ok(pos + key),
        _ => Err(key),
    }
}

/// End of the `KV_PAIR` token that starts at `pos`, or `None` when none starts there.
///
/// The terminal's regex, read as a scanner: a key and `=`, then the first word (any
/// bytes but a space, possibly none), then words after spaces as long as the word
/// does not start a pair, then the spaces that end the token (or the end of text).
/// Every byte it tests is ASCII, so scanning UTF-8 bytes equals matching chars.
pub fn cef_token_end(text: &[u8], pos: usize) -> Option<usize> {
    let n = text.len();
    let word_end =
        |from: usize| memchr(b' ', text.get(from..).unwrap_or_default()).map_or(n, |i| from + i);
    let eq = pair_at(text, pos).ok()?;
    let mut end = word_end(eq + 1);
    loop {
        let mut next = end;
        while text.get(next) == Some(&b' ') {
            next += 1;
        }
        if next == n {
            return Some(n);
        }
        match pair_at(text, next) {
            Ok(_) => return Some(next),
            // The key bytes read are no spaces: the word's end is after them.
            Err(key) => end = word_end(next + key),
        }
    }
}

/// End of the `re` match that starts at `pos` when there is one and it is not empty.
///
/// The leftmost match from `pos`, when it starts at `pos`, is the anchored match at
/// `pos` (same leftmost-first preference), which the search finds without looking
/// further; look-around still sees the whole text.
fn regex_token_end(re: &Regex, cache: &mut Cache, text: &[u8], pos: usize) -> Option<usize> {
    let input = Input::new(text).range(pos..).anchored(Anchored::Yes);
    re.search_with(cache, &input)
        .filter(|m| m.start() == pos && m.end() > pos)
        .map(|m| m.end())
}

/// Cut points (token ends) of `region`, or `None` when its tokens do not tile it.
/// `utf8`: the region is known to be UTF-8 (else the regex route checks it).
fn cuts(
    splitter: &Splitter,
    cache: &mut Option<Cache>,
    region: &[u8],
    utf8: bool,
    out: &mut Vec<usize>,
) -> Option<()> {
    let mut pos = 0;
    match (splitter, cache) {
        (Splitter::Regex(re), Some(cache)) => {
            if !utf8 {
                std::str::from_utf8(region).ok()?;
            }
            while pos < region.len() {
                pos = regex_token_end(re, cache, region, pos)?;
                out.push(pos);
            }
        }
        _ => {
            while pos < region.len() {
                pos = cef_token_end(region, pos)?;
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
    let mut cache = splitter.cache();
    for row in 0..rows {
        ends.clear();
        let region = region(offsets, data, starts, row);
        let is_valid = valid.is_none_or(|v| v.get(row) != Some(&0));
        let split = match region {
            Some(region) if is_valid => {
                cuts(splitter, &mut cache, region, false, &mut ends).map(|()| region)
            }
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

/// Tokens of the accepted rows as `string_view` views into the texts' own buffers.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SplitViews {
    /// One byte per input row: 1 when the row was split, 0 when flagged.
    pub ok: Vec<u8>,
    /// List offsets, one list per accepted row (`accepted + 1` values).
    pub list_offsets: Vec<i64>,
    /// 16 bytes per token: inline, or pointing into the texts' data buffers, which
    /// the caller passes on unchanged as the tokens' buffers (no byte is copied).
    pub views: Vec<u8>,
}

/// [`split_rows`] over a `string_view` array: row `i`'s region is its text from byte
/// `starts[i]`. A null row, a view that points outside its buffer, text that is not
/// UTF-8 and a start that is not a character boundary inside the text flag the row.
pub fn split_views(
    splitter: &Splitter,
    texts: &Views<'_>,
    starts: &[i64],
) -> Result<SplitViews, String> {
    let rows = texts.len();
    if starts.len() != rows {
        return Err(format!("starts: {} values for {rows} rows", starts.len()));
    }
    let mut out = SplitViews {
        ok: Vec::with_capacity(rows),
        list_offsets: Vec::with_capacity(rows + 1),
        // A token takes 16 bytes of views and most are longer than that: room for
        // all without growing (pages never written are never touched).
        views: Vec::with_capacity(texts.data_len() + 16 * rows),
    };
    out.list_offsets.push(0);
    let mut ends = Vec::new();
    let mut tokens = 0;
    let mut cache = splitter.cache();
    for row in 0..rows {
        ends.clear();
        let Some((region, at)) = view_region(texts, starts, row)
            .filter(|(region, _)| cuts(splitter, &mut cache, region, true, &mut ends).is_some())
        else {
            out.ok.push(0);
            continue;
        };
        let mut from = 0;
        for &end in &ends {
            let token = region.get(from..end).ok_or("token out of its region")?;
            let view = match at {
                Some((buffer, offset)) => {
                    let buffer = u32::try_from(buffer).map_err(|_| "buffer index")?;
                    view_of(token, buffer, offset + from)?
                }
                None => view_of(token, 0, 0)?,
            };
            out.views.extend_from_slice(&view);
            from = end;
        }
        tokens += ends.len() as i64;
        out.list_offsets.push(tokens);
        out.ok.push(1);
    }
    Ok(out)
}

/// Row `row`'s region and, when its text lies in a data buffer, (buffer, offset of
/// the region); None when the row is flagged.
#[allow(clippy::type_complexity)]
fn view_region<'a>(
    texts: &Views<'a>,
    starts: &[i64],
    row: usize,
) -> Option<(&'a [u8], Option<(usize, usize)>)> {
    let (text, at) = texts.locate_utf8(row).ok()??;
    let start = usize::try_from(*starts.get(row)?).ok()?;
    if start > text.len() || !is_boundary(text, start) {
        return None;
    }
    Some((
        &text[start..],
        at.map(|(buffer, offset)| (buffer, offset + start)),
    ))
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
    use crate::views::ViewBuilder;

    /// `common.KV_PAIR` as the plan compiler lowers it (the regex polars runs).
    const KV_PAIR: &str = r"(?:[A-Za-z0-9_.,\[\]-]+=[^ ]*(?: +(?:=[^ ]*|[A-Za-z0-9_.,\[\]-]*[^A-Za-z0-9_.,\[\]= -][^ ]*|[A-Za-z0-9_.,\[\]-]+))*(?: +|$))";

    /// The reference: `extract_all` tokens, kept only when they tile the text.
    fn kv_pair() -> &'static regex::Regex {
        static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
        RE.get_or_init(|| regex::Regex::new(KV_PAIR).unwrap())
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
        let re = Splitter::regex(KV_PAIR).unwrap();
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

    /// `split_views` gives the tokens `split_rows` gives, as views into the texts.
    #[test]
    fn views_split_as_offsets_do() {
        let alphabet: Vec<char> = "ab1_.=\\ \t\"[]-,é中".chars().collect();
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let splitters = [Splitter::Cef, Splitter::regex(KV_PAIR).unwrap()];
        for _ in 0..400 {
            let mut texts = ViewBuilder::default();
            let (mut starts, mut want) = (Vec::new(), Vec::new());
            for _ in 0..8 {
                let len = (next() % 40) as usize;
                let body: String = (0..len)
                    .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                    .collect();
                let head = ["", "CEF:0|", "é|"][(next() % 3) as usize];
                let text = format!("{head}{body}");
                texts.push(text.as_bytes()).unwrap();
                starts.push(head.len() as i64);
                want.push(body);
            }
            let views = Views::new(&texts.views, vec![&texts.data], None).unwrap();
            for splitter in &splitters {
                let got = split_views(splitter, &views, &starts).unwrap();
                let tokens = Views::new(&got.views, vec![&texts.data], None).unwrap();
                let mut accepted = 0;
                for (row, body) in want.iter().enumerate() {
                    let expect = split_one(splitter, body, 0);
                    assert_eq!(got.ok[row] == 1, expect.is_some(), "{body:?}");
                    let Some(expect) = expect else { continue };
                    let (lo, hi) = (got.list_offsets[accepted], got.list_offsets[accepted + 1]);
                    let tokens: Vec<String> = (lo..hi)
                        .map(|t| {
                            let bytes = tokens.get(t as usize).unwrap().unwrap();
                            String::from_utf8(bytes.to_vec()).unwrap()
                        })
                        .collect();
                    assert_eq!(tokens, expect, "{body:?}");
                    accepted += 1;
                }
            }
        }
    }

    #[test]
    fn views_flag_nulls_bad_starts_and_bad_views() {
        let mut texts = ViewBuilder::default();
        for text in ["a=1", "é=1 b=2 and more", "x=1", "a=1 b=2 c=3 d=4"] {
            texts.push(text.as_bytes()).unwrap();
        }
        let valid = [1, 1, 0, 1];
        let views = Views::new(&texts.views, vec![&texts.data], Some(&valid)).unwrap();
        // start inside `é`, a null row, a start past the end
        let got = split_views(&Splitter::Cef, &views, &[0, 1, 0, 99]).unwrap();
        assert_eq!(got.ok, vec![1, 0, 0, 0]);
        assert!(split_views(&Splitter::Cef, &views, &[0]).is_err());
        let mut outside = texts.views.clone();
        outside[16 + 12] = 200; // row 1's offset past the data
        let views = Views::new(&outside, vec![&texts.data], None).unwrap();
        let got = split_views(&Splitter::Cef, &views, &[0; 4]).unwrap();
        assert_eq!(got.ok, vec![1, 0, 1, 1]);
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
