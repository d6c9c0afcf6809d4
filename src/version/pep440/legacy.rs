//! Versions that are not PEP 440, ordered as pip's `packaging` (up to 21.3) ordered them with
//! `LegacyVersion`, and as osv.dev still does (`packaging.version.parse`). PyPI's history holds
//! such releases (`0.1-bulbasaur`, `0.4m1`, `2013-01-21T20:33:09+0100`); an advisory listing one
//! must still compare, not fail.
//!
//! Every legacy version sorts before every PEP 440 version (its epoch is -1). Among themselves
//! they compare by a key of strings built from the lowercased text:
//! - the text splits into runs of digits, runs of `a`-`z`, single `.` and single `-`, and
//!   whatever lies between those (kept as one piece); empty pieces and `.` are dropped;
//! - `pre`, `preview` and `rc` become `c`, `dev` becomes `@`, `-` becomes `final-`;
//! - a digit run is left-padded with zeros to eight characters (longer runs stay as they are,
//!   so they compare as text: `123456789` < `99999999`); anything else gets a `*` in front;
//! - `*final` ends the list;
//! - while building, a `*` piece first removes trailing `00000000` pieces (trailing zeros of a
//!   number series) and, when it sorts before `*final`, trailing `*final-` pieces before them.
//!
//! Keys compare piece by piece as strings (code point order), a prefix first.

use std::cmp::Ordering;

/// One legacy version: its text as given, and its comparison key (all that `Ord` and `Eq` see,
/// so `1.0-Final` equals `1.0-final`).
#[derive(Debug, Clone)]
pub(super) struct Legacy {
    key: Vec<String>,
    text: String,
}

impl Ord for Legacy {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

eq_and_partial_ord_from_ord!(Legacy);

/// What one piece of the text is, before renaming and padding.
fn pieces(lower: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut between = 0;
    let mut rest = lower;
    let mut offset = 0;
    while let Some(c) = rest.chars().next() {
        let len = if c.is_ascii_digit() {
            rest.bytes().take_while(u8::is_ascii_digit).count()
        } else if c.is_ascii_lowercase() {
            rest.bytes().take_while(u8::is_ascii_lowercase).count()
        } else if c == '.' || c == '-' {
            1
        } else {
            rest = &rest[c.len_utf8()..];
            offset += c.len_utf8();
            continue;
        };
        out.push(&lower[between..offset]);
        out.push(&lower[offset..offset + len]);
        offset += len;
        between = offset;
        rest = &lower[offset..];
    }
    out.push(&lower[between..]);
    out
}

impl Legacy {
    pub(super) fn new(text: &str) -> Legacy {
        let lower = text.to_lowercase();
        let renamed = pieces(&lower).into_iter().filter(|p| !p.is_empty() && *p != ".").map(|piece| match piece {
            "pre" | "preview" | "rc" => "*c".to_string(),
            "dev" => "*@".to_string(),
            "-" => "*final-".to_string(),
            p if p.starts_with(|c: char| c.is_ascii_digit()) => format!("{p:0>8}"),
            p => format!("*{p}"),
        });
        let mut key: Vec<String> = Vec::new();
        for piece in renamed.chain(std::iter::once("*final".to_string())) {
            if piece.starts_with('*') {
                if piece.as_str().cmp("*final") == Ordering::Less {
                    while key.last().is_some_and(|p| p == "*final-") {
                        key.pop();
                    }
                }
                while key.last().is_some_and(|p| p == "00000000") {
                    key.pop();
                }
            }
            key.push(piece);
        }
        Legacy { key, text: text.to_string() }
    }

    pub(super) fn text(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Vec<String> {
        Legacy::new(s).key
    }

    #[test]
    fn keys_as_packaging_builds_them() {
        assert_eq!(key("0.4m1"), ["00000000", "00000004", "*m", "00000001", "*final"]);
        assert_eq!(key("1.0-foo"), ["00000001", "*final-", "*foo", "*final"]);
        assert_eq!(key("2.0-rc1-x"), ["00000002", "*c", "00000001", "*final-", "*x", "*final"]);
        assert_eq!(key("1.0DEV"), ["00000001", "*@", "*final"]);
        assert_eq!(key("1+ü:2"), ["00000001", "*+ü:", "00000002", "*final"]);
        assert_eq!(key("123456789"), ["123456789", "*final"]);
    }
}
