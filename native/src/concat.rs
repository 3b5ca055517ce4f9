//! Build per-row `(keys, values)` string lists from several parts, row by row.
//!
//! A part is either one string column under a constant key (an entry where the
//! value is present) or a pair of aligned list columns (keys and values). Row `i`
//! of the result holds, part after part, that part's entries of row `i`. This is
//! `kvpick.concat_lists`' contract; its numpy route stays the reference.

use crate::views::{ViewBuilder, Views};

/// One input part.
pub enum Part<'a> {
    /// A constant key and a nullable string column: an entry where a value is present.
    Constant { key: &'a [u8], values: Views<'a> },
    /// Aligned list columns: `lists` indexes both the keys and the values.
    Lists {
        lists: &'a [i64],
        keys: Views<'a>,
        values: Views<'a>,
    },
}

/// The result: two list arrays of `string_view` sharing `list_offsets`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Lists {
    /// `rows + 1` list offsets.
    pub list_offsets: Vec<i64>,
    /// The keys.
    pub keys: ViewBuilder,
    /// The values.
    pub values: ViewBuilder,
}

fn bounds(lists: &[i64], row: usize) -> Result<(usize, usize), String> {
    let bad = || format!("list offsets out of order or range at {row}");
    let lo = usize::try_from(*lists.get(row).ok_or_else(bad)?).map_err(|_| bad())?;
    let hi = usize::try_from(*lists.get(row + 1).ok_or_else(bad)?).map_err(|_| bad())?;
    if hi < lo {
        return Err(bad());
    }
    Ok((lo, hi))
}

/// Concatenate `parts` row by row for `rows` rows. Fails (never panics) on buffers
/// that do not describe `rows` rows, and on a null inside a list.
pub fn concat(parts: &[Part<'_>], rows: usize) -> Result<Lists, String> {
    for part in parts {
        let ok = match part {
            Part::Constant { values, .. } => values.len() == rows,
            Part::Lists { lists, .. } => lists.len() > rows,
        };
        if !ok {
            return Err(format!("a part does not have {rows} rows"));
        }
    }
    // Room for every entry and byte at most (no growing; pages never written cost nothing).
    let (mut entries, mut keys, mut values) = (0, 0, 0);
    for part in parts {
        match part {
            Part::Constant { key, values: v } => {
                entries += v.len();
                keys += key.len() * v.len();
                values += v.data_len();
            }
            Part::Lists {
                keys: k, values: v, ..
            } => {
                entries += k.len();
                keys += k.data_len();
                values += v.data_len();
            }
        }
    }
    let mut out = Lists {
        list_offsets: Vec::with_capacity(rows + 1),
        keys: ViewBuilder::with_capacity(entries, keys),
        values: ViewBuilder::with_capacity(entries, values),
    };
    out.list_offsets.push(0);
    for row in 0..rows {
        for part in parts {
            match part {
                Part::Constant { key, values } => {
                    if let Some(value) = values.get(row)? {
                        out.keys.push(key)?;
                        out.values.push(value)?;
                    }
                }
                Part::Lists {
                    lists,
                    keys,
                    values,
                } => {
                    let (lo, hi) = bounds(lists, row)?;
                    for i in lo..hi {
                        out.keys.push(keys.get(i)?.ok_or("a null key in a list")?)?;
                        out.values
                            .push(values.get(i)?.ok_or("a null value in a list")?)?;
                    }
                }
            }
        }
        out.list_offsets.push(out.keys.len as i64);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(values: &[Option<&str>]) -> (ViewBuilder, Vec<u8>) {
        let mut b = ViewBuilder::default();
        for v in values {
            match v {
                Some(v) => b.push(v.as_bytes()).unwrap(),
                None => b.push_null(),
            }
        }
        let valid = values.iter().map(|v| u8::from(v.is_some())).collect();
        (b, valid)
    }

    fn strings(b: &ViewBuilder) -> Vec<String> {
        let views = Views::new(&b.views, vec![&b.data], None).unwrap();
        (0..b.len)
            .map(|i| String::from_utf8(views.get(i).unwrap().unwrap().to_vec()).unwrap())
            .collect()
    }

    #[test]
    fn parts_in_order_nulls_skipped() {
        let (x, xv) = build(&[Some("x0"), None, Some("x2 is a longer value")]);
        let (k, _) = build(&[Some("k1"), Some("k2")]);
        let (v, _) = build(&[Some("v1"), Some("v2")]);
        let (y, yv) = build(&[None, Some("y1"), Some("y2")]);
        let parts = [
            Part::Constant {
                key: b"x",
                values: Views::new(&x.views, vec![&x.data], Some(&xv)).unwrap(),
            },
            Part::Lists {
                lists: &[0, 2, 2, 2],
                keys: Views::new(&k.views, vec![&k.data], None).unwrap(),
                values: Views::new(&v.views, vec![&v.data], None).unwrap(),
            },
            Part::Constant {
                key: b"y",
                values: Views::new(&y.views, vec![&y.data], Some(&yv)).unwrap(),
            },
        ];
        let got = concat(&parts, 3).unwrap();
        assert_eq!(got.list_offsets, vec![0, 3, 4, 6]);
        assert_eq!(strings(&got.keys), ["x", "k1", "k2", "y", "x", "y"]);
        assert_eq!(
            strings(&got.values),
            ["x0", "v1", "v2", "y1", "x2 is a longer value", "y2"]
        );
    }

    #[test]
    fn short_or_bad_parts_are_errors() {
        let (x, _) = build(&[Some("a")]);
        let short = Part::Constant {
            key: b"x",
            values: Views::new(&x.views, vec![&x.data], None).unwrap(),
        };
        assert!(concat(&[short], 2).is_err());
        let backwards = Part::Lists {
            lists: &[1, 0],
            keys: Views::new(&x.views, vec![], None).unwrap(),
            values: Views::new(&x.views, vec![], None).unwrap(),
        };
        assert!(concat(&[backwards], 1).is_err());
        assert_eq!(concat(&[], 0).unwrap().list_offsets, vec![0]);
    }
}
