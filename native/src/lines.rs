//! Cut a chunk of bytes into lines: Arrow `string_view`s over the chunk itself.
//!
//! A line ends at LF, CRLF or a lone CR; the view covers the line without its
//! end, so no line text is copied (the chunk's bytes are the data buffer).
//! `engine.lines.to_line_chunk` keeps its numpy/polars route as the reference and
//! for chunks that are not valid UTF-8.

/// Per line: its view, where it starts, and flags.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Cut {
    /// 16 bytes per line (`string_view` layout, buffer 0 = the chunk).
    pub views: Vec<u8>,
    /// Byte offset of each line's first byte in the chunk.
    pub starts: Vec<i64>,
    /// Per line, the offset of the last byte of its end (the LF of a CRLF), or the
    /// chunk's length for an open last line (as `engine.lines._ends` gives them).
    pub ends: Vec<i64>,
    /// One byte per line: 1 when it holds only blanks (space, tab, NUL, VT, FF).
    pub blank: Vec<u8>,
    /// Lines that are not valid UTF-8, by index.
    pub bad_utf8: Vec<i64>,
}

fn is_blank(line: &[u8]) -> bool {
    line.iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\0' | 0x0b | 0x0c))
}

/// Cut `data` into lines. Fails when `data` is 4 GiB or more (view offsets are u32).
pub fn cut(data: &[u8]) -> Result<Cut, String> {
    if u32::try_from(data.len()).is_err() {
        return Err("chunk of 4 GiB or more".into());
    }
    let lines = memchr::memchr2_iter(b'\n', b'\r', data).count() + 1;
    let mut out = Cut {
        views: Vec::with_capacity(lines * 16),
        starts: Vec::with_capacity(lines),
        ends: Vec::with_capacity(lines),
        blank: Vec::with_capacity(lines),
        bad_utf8: Vec::new(),
    };
    let mut start = 0usize;
    let mut ends = memchr::memchr2_iter(b'\n', b'\r', data).peekable();
    while start < data.len() {
        // The line's text ends at `stop`; the next line starts at `next`.
        let (stop, next) = loop {
            match ends.next() {
                None => break (data.len(), data.len()),
                Some(at) if at < start => continue, // the LF of a CRLF already taken
                Some(at) => {
                    let crlf = data[at] == b'\r' && data.get(at + 1) == Some(&b'\n');
                    break (at, if crlf { at + 2 } else { at + 1 });
                }
            }
        };
        let text = &data[start..stop];
        if std::str::from_utf8(text).is_err() {
            out.bad_utf8.push(out.starts.len() as i64);
        }
        out.views
            .extend_from_slice(&crate::views::view_of(text, 0, start)?);
        out.starts.push(start as i64);
        out.ends
            .push(if stop == data.len() { stop } else { next - 1 } as i64);
        out.blank.push(u8::from(is_blank(text)));
        start = next;
    }
    Ok(out)
}

/// Line ends in `data` (LF, CRLF and a lone CR each count once), counting stops
/// past `limit`: `(count, cut)`, `count` at most `limit + 1` and `cut` the index just
/// after the `limit`-th end (`data.len()` when there are fewer).
pub fn scan_ends(data: &[u8], limit: usize) -> (usize, usize) {
    let mut count = 0;
    let mut cut = data.len();
    for at in memchr::memchr2_iter(b'\n', b'\r', data) {
        if data[at] == b'\n' && at > 0 && data[at - 1] == b'\r' {
            continue; // the LF of a CRLF: its CR was counted
        }
        count += 1;
        if count == limit {
            let crlf = data[at] == b'\r' && data.get(at + 1) == Some(&b'\n');
            cut = if crlf { at + 2 } else { at + 1 };
        } else if count > limit {
            break;
        }
    }
    (count, cut)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::Views;

    fn texts(data: &[u8]) -> Vec<Vec<u8>> {
        let cut = cut(data).unwrap();
        let views = Views::new(&cut.views, vec![data], None).unwrap();
        (0..views.len())
            .map(|i| views.get(i).unwrap().unwrap().to_vec())
            .collect()
    }

    #[test]
    fn every_line_end_counts_once() {
        let data = b"a\nbb\r\nccc\rdddd\r\r\nlong line of many bytes\n\nlast";
        let got = texts(data);
        let want: Vec<&[u8]> = vec![
            b"a",
            b"bb",
            b"ccc",
            b"dddd",
            b"",
            b"long line of many bytes",
            b"",
            b"last",
        ];
        assert_eq!(got, want);
        let cut = cut(data).unwrap();
        assert_eq!(cut.starts, vec![0, 2, 6, 10, 15, 17, 41, 42]);
        assert_eq!(cut.ends, vec![1, 5, 9, 14, 16, 40, 41, 46]);
        assert_eq!(cut.blank, vec![0, 0, 0, 0, 1, 0, 1, 0]);
    }

    #[test]
    fn a_final_line_end_opens_no_line() {
        assert_eq!(texts(b"x\n"), vec![b"x".to_vec()]);
        assert_eq!(texts(b"x\r"), vec![b"x".to_vec()]);
        assert_eq!(texts(b""), Vec::<Vec<u8>>::new());
    }

    #[test]
    fn line_ends_are_counted_up_to_a_limit() {
        let data = b"a\nb\r\nc\rd";
        assert_eq!(scan_ends(data, 100), (3, data.len()));
        assert_eq!(scan_ends(data, 2), (3, 5));
        assert_eq!(scan_ends(data, 1), (2, 2));
        assert_eq!(scan_ends(b"\r\n\r", 1), (2, 2));
        assert_eq!(scan_ends(b"", 1), (0, 0));
    }

    #[test]
    fn blanks_and_bad_utf8_are_flagged() {
        let cut = cut(b" \t\0\n\xff\xfe ok\n\xc3\xa9\n").unwrap();
        assert_eq!(cut.blank, vec![1, 0, 0]);
        assert_eq!(cut.bad_utf8, vec![1]);
    }
}
