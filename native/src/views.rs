//! Arrow `string_view` arrays in and out: the layout polars keeps strings in.
//!
//! Reading a polars column as `string_view` and handing one back costs no
//! conversion (a `large_string` costs a copy each way, more than most kernels).
//! A view is 16 bytes: the length (u32 LE), then the bytes themselves when they fit
//! in 12, else a 4-byte prefix, the data buffer's index and the offset in it.

/// A `string_view` array read from its buffers; every access is bounds-checked.
pub struct Views<'a> {
    views: &'a [u8],
    buffers: Vec<&'a [u8]>,
    /// One byte per row (0 = null), when the array has nulls.
    valid: Option<&'a [u8]>,
    /// Per data buffer, whether it is UTF-8 as a whole (see [`Views::check_utf8`]).
    utf8: Vec<bool>,
}

/// Whether `at` is a character boundary of `bytes` (its end counts as one).
pub fn is_boundary(bytes: &[u8], at: usize) -> bool {
    bytes.get(at).is_none_or(|&b| (b as i8) >= -0x40)
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 4)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

impl<'a> Views<'a> {
    /// The array of `views` (16 bytes per row) over `buffers`.
    pub fn new(
        views: &'a [u8],
        buffers: Vec<&'a [u8]>,
        valid: Option<&'a [u8]>,
    ) -> Result<Self, String> {
        if !views.len().is_multiple_of(16) {
            return Err("views: not a multiple of 16 bytes".into());
        }
        if valid.is_some_and(|v| v.len() != views.len() / 16) {
            return Err("valid: one byte per row expected".into());
        }
        Ok(Self {
            views,
            buffers,
            valid,
            utf8: Vec::new(),
        })
    }

    /// Validate every data buffer once, so that [`Views::get_utf8`] checks a long value
    /// by its two ends instead of all its bytes (a buffer that is not UTF-8 as a whole,
    /// which Arrow allows, keeps the full check for its values).
    pub fn check_utf8(&mut self) {
        self.utf8 = self
            .buffers
            .iter()
            .map(|b| std::str::from_utf8(b).is_ok())
            .collect();
    }

    /// Bytes in the data buffers.
    pub fn data_len(&self) -> usize {
        self.buffers.iter().map(|b| b.len()).sum()
    }

    /// Rows in the array.
    pub fn len(&self) -> usize {
        self.views.len() / 16
    }

    /// Whether the array has no rows.
    pub fn is_empty(&self) -> bool {
        self.views.is_empty()
    }

    /// Row `i`'s bytes as [`Views::get`], and an error when they are not UTF-8.
    ///
    /// A slice of a UTF-8 buffer is UTF-8 when it starts and ends at character
    /// boundaries: after [`Views::check_utf8`] that is all a long value costs.
    #[inline]
    pub fn get_utf8(&self, i: usize) -> Result<Option<&'a [u8]>, String> {
        Ok(self.locate_utf8(i)?.map(|(bytes, _)| bytes))
    }

    /// [`Views::get_utf8`] with the value's place as [`Views::locate`] gives it.
    #[allow(clippy::type_complexity)]
    #[inline]
    pub fn locate_utf8(
        &self,
        i: usize,
    ) -> Result<Option<(&'a [u8], Option<(usize, usize)>)>, String> {
        let Some((bytes, buffer)) = self.locate(i)? else {
            return Ok(None);
        };
        let whole = match buffer {
            Some((index, offset)) if self.utf8.get(index) == Some(&true) => {
                let data = self.buffers[index];
                is_boundary(data, offset) && is_boundary(data, offset + bytes.len())
            }
            _ => bytes.is_ascii() || std::str::from_utf8(bytes).is_ok(),
        };
        if !whole {
            return Err(format!("value {i} is not UTF-8"));
        }
        Ok(Some((bytes, buffer)))
    }

    /// Row `i`'s bytes (`Ok(None)` when null); an error when the view points outside.
    pub fn get(&self, i: usize) -> Result<Option<&'a [u8]>, String> {
        Ok(self.locate(i)?.map(|(bytes, _)| bytes))
    }

    /// Row `i`'s bytes and, for a long value, its (buffer, offset).
    #[allow(clippy::type_complexity)]
    #[inline]
    pub fn locate(&self, i: usize) -> Result<Option<(&'a [u8], Option<(usize, usize)>)>, String> {
        if self.valid.is_some_and(|v| v.get(i) == Some(&0)) {
            return Ok(None);
        }
        let view = self
            .views
            .get(i * 16..i * 16 + 16)
            .ok_or("row out of range")?;
        let len = u32_at(view, 0).ok_or("bad view")? as usize;
        if len <= 12 {
            return Ok(Some((&view[4..4 + len], None)));
        }
        let buffer = u32_at(view, 8).ok_or("bad view")? as usize;
        let offset = u32_at(view, 12).ok_or("bad view")? as usize;
        self.buffers
            .get(buffer)
            .and_then(|b| b.get(offset..offset.checked_add(len)?))
            .map(|bytes| Some((bytes, Some((buffer, offset)))))
            .ok_or_else(|| format!("view {i} points outside its data buffer"))
    }
}

/// The view of `value` when it is inline (12 bytes or fewer) or else lies at `offset`
/// of data buffer `buffer`: for views into buffers that already hold the bytes.
pub fn view_of(value: &[u8], buffer: u32, offset: usize) -> Result<[u8; 16], String> {
    let len = u32::try_from(value.len()).map_err(|_| "value longer than 4 GiB")?;
    let mut view = [0u8; 16];
    view[..4].copy_from_slice(&len.to_le_bytes());
    if value.len() <= 12 {
        view[4..4 + value.len()].copy_from_slice(value);
    } else {
        let offset = u32::try_from(offset).map_err(|_| "string data past 4 GiB")?;
        view[4..8].copy_from_slice(&value[..4]);
        view[8..12].copy_from_slice(&buffer.to_le_bytes());
        view[12..].copy_from_slice(&offset.to_le_bytes());
    }
    Ok(view)
}

/// Builds a `string_view` array (one data buffer, a validity bitmap).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ViewBuilder {
    /// 16 bytes per row.
    pub views: Vec<u8>,
    /// The values longer than 12 bytes, back to back.
    pub data: Vec<u8>,
    /// Arrow validity bitmap (LSB first); empty until the first null (then every
    /// value so far is marked valid), as a column without nulls needs none.
    pub validity: Vec<u8>,
    /// Rows so far.
    pub len: usize,
    /// Null rows so far.
    pub nulls: usize,
}

impl ViewBuilder {
    /// An empty builder with room for `rows` and `data` bytes of long values.
    pub fn with_capacity(rows: usize, data: usize) -> Self {
        Self {
            views: Vec::with_capacity(rows * 16),
            data: Vec::with_capacity(data),
            ..Self::default()
        }
    }

    #[inline]
    fn mark(&mut self, valid: bool) {
        if self.nulls == 0 && valid {
            self.len += 1;
            return;
        }
        if self.nulls == 0 {
            // The first null: the bitmap of the values so far, all valid.
            self.validity = vec![0xff; self.len / 8];
            if !self.len.is_multiple_of(8) {
                self.validity.push((1u8 << (self.len % 8)) - 1);
            }
        }
        let bit = self.len % 8;
        if bit == 0 {
            self.validity.push(0);
        }
        if valid {
            if let Some(last) = self.validity.last_mut() {
                *last |= 1 << bit;
            }
        } else {
            self.nulls += 1;
        }
        self.len += 1;
    }

    /// Append a value. Fails when the data would pass 4 GiB (offsets are u32).
    pub fn push(&mut self, value: &[u8]) -> Result<(), String> {
        let view = view_of(value, 0, self.data.len())?;
        if value.len() > 12 {
            self.data.extend_from_slice(value);
        }
        self.views.extend_from_slice(&view);
        self.mark(true);
        Ok(())
    }

    /// Append the value that `write` appends to a byte vector (no copy in between).
    ///
    /// Fails, leaving the builder as it was, when the data would pass 4 GiB.
    #[inline]
    pub fn push_with(&mut self, write: impl FnOnce(&mut Vec<u8>)) -> Result<(), String> {
        let start = self.data.len();
        write(&mut self.data);
        let value = self.data.get(start..).unwrap_or_default();
        let mut view = [0u8; 16];
        let Ok(len) = u32::try_from(value.len()) else {
            self.data.truncate(start);
            return Err("value longer than 4 GiB".into());
        };
        view[..4].copy_from_slice(&len.to_le_bytes());
        if value.len() <= 12 {
            view[4..4 + value.len()].copy_from_slice(value);
            self.data.truncate(start);
        } else {
            let Ok(offset) = u32::try_from(start) else {
                self.data.truncate(start);
                return Err("string data past 4 GiB".into());
            };
            view[4..8].copy_from_slice(&value[..4]);
            view[12..].copy_from_slice(&offset.to_le_bytes());
        }
        self.views.extend_from_slice(&view);
        self.mark(true);
        Ok(())
    }

    /// Append a null.
    pub fn push_null(&mut self) {
        self.views.extend_from_slice(&[0; 16]);
        self.mark(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_short_long_and_null() {
        let mut b = ViewBuilder::with_capacity(4, 0);
        b.push(b"short").unwrap();
        b.push(b"a value longer than twelve").unwrap();
        b.push_null();
        b.push(b"").unwrap();
        assert_eq!((b.len, b.nulls), (4, 1));
        assert_eq!(b.validity, vec![0b1011]);
        let valid: Vec<u8> = (0..4).map(|i| (b.validity[0] >> i) & 1).collect();
        let views = Views::new(&b.views, vec![&b.data], Some(&valid)).unwrap();
        let got: Vec<_> = (0..4).map(|i| views.get(i).unwrap()).collect();
        assert_eq!(
            got,
            vec![
                Some(&b"short"[..]),
                Some(&b"a value longer than twelve"[..]),
                None,
                Some(&b""[..])
            ]
        );
    }

    #[test]
    fn validity_starts_at_the_first_null() {
        for before in [0, 3, 8, 9, 16] {
            let mut b = ViewBuilder::default();
            for _ in 0..before {
                b.push(b"v").unwrap();
            }
            assert!(b.validity.is_empty());
            b.push_null();
            b.push(b"w").unwrap();
            let bits: Vec<u8> = (0..b.len)
                .map(|i| (b.validity[i / 8] >> (i % 8)) & 1)
                .collect();
            let mut want = vec![1; before];
            want.extend([0, 1]);
            assert_eq!(bits, want, "{before} values before the null");
            assert_eq!(b.validity.len(), (before + 2).div_ceil(8));
        }
    }

    #[test]
    fn views_pointing_outside_are_errors() {
        let mut view = vec![0u8; 16];
        view[0] = 20; // long value
        view[12] = 250; // offset past the buffer
        let views = Views::new(&view, vec![b"0123456789"], None).unwrap();
        assert!(views.get(0).is_err());
        assert!(views.get(1).is_err());
        assert!(Views::new(&[0; 15], vec![], None).is_err());
        let missing_buffer = Views::new(&view, vec![], None).unwrap();
        assert!(missing_buffer.get(0).is_err());
    }

    fn long_view(len: u32, offset: u32) -> Vec<u8> {
        let mut view = vec![0u8; 16];
        view[..4].copy_from_slice(&len.to_le_bytes());
        view[12..].copy_from_slice(&offset.to_le_bytes());
        view
    }

    #[test]
    fn utf8_checked_by_the_ends_of_a_valid_buffer() {
        let buffer = "0123456789ab\u{e9}0123456789ab".as_bytes(); // é at bytes 12..14
        let mut views = long_view(13, 0); // ends inside é
        views.extend(long_view(14, 0)); // ends after it
        views.extend(long_view(14, 13)); // starts inside it
        let mut v = Views::new(&views, vec![buffer], None).unwrap();
        v.check_utf8();
        assert!(v.get_utf8(0).is_err());
        assert_eq!(v.get_utf8(1).unwrap(), Some(&buffer[..14]));
        assert!(v.get_utf8(2).is_err());
        // A buffer that is not UTF-8 as a whole: every value is checked in full.
        let mut bad = buffer.to_vec();
        bad.push(0xff);
        let mut v = Views::new(&views, vec![&bad], None).unwrap();
        v.check_utf8();
        assert!(v.get_utf8(0).is_err());
        assert_eq!(v.get_utf8(1).unwrap(), Some(&buffer[..14]));
        // Unchecked buffers, and short values inside the view, are checked in full.
        let v = Views::new(&views, vec![buffer], None).unwrap();
        assert!(v.get_utf8(0).is_err());
        let mut short = vec![0u8; 16];
        short[0] = 2;
        short[4..6].copy_from_slice(&[0xc3, 0x28]);
        let v = Views::new(&short, vec![], None).unwrap();
        assert!(v.get_utf8(0).is_err());
    }

    #[test]
    fn push_with_writes_in_place_short_and_long() {
        let mut b = ViewBuilder::with_capacity(2, 16);
        b.push_with(|d| d.extend_from_slice(b"short")).unwrap();
        b.push_with(|d| d.extend_from_slice(b"a value longer than twelve"))
            .unwrap();
        let mut want = ViewBuilder::default();
        want.push(b"short").unwrap();
        want.push(b"a value longer than twelve").unwrap();
        assert_eq!(b.views, want.views);
        assert_eq!(b.data, want.data);
        assert_eq!((b.len, b.nulls, b.validity.clone()), (2, 0, vec![]));
    }
}
