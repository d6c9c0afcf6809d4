//! Text from inputs made visible before anyone reads it.
//!
//! Paths, package names, versions, advisory texts and configuration values are written
//! by whoever wrote the repository, the image or the advisory source. Shown raw, a
//! control character drives the reader's terminal (`ESC[2J` clears it and a fake
//! summary follows), and an invisible one (a bidi override, a zero-width or no-break
//! space) makes two different strings look the same. Every message and report shows
//! such text through [`visible`]; the reports' format-specific escaping
//! (`report::escape`) builds on it.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Characters that change how text is shown without being seen: controls (C0, DEL,
/// C1), whitespace other than the plain space (no-break, em, ideographic spaces…),
/// line and paragraph separators, and Unicode format characters (bidi overrides
/// and isolates, zero-width spaces and joiners, the BOM, soft hyphen, tags).
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || (c.is_whitespace() && c != ' ')
        || matches!(
            c as u32,
            0x00AD
                | 0x0600..=0x0605
                | 0x061C
                | 0x06DD
                | 0x070F
                | 0x0890..=0x0891
                | 0x08E2
                | 0x180E
                | 0x200B..=0x200F
                | 0x2028..=0x202E
                | 0x2060..=0x2064
                | 0x2066..=0x206F
                | 0xFEFF
                | 0xFFF9..=0xFFFB
                | 0x110BD
                | 0x110CD
                | 0x13430..=0x1343F
                | 0x1BCA0..=0x1BCA3
                | 0x1D173..=0x1D17A
                | 0xE0001
                | 0xE0020..=0xE007F
        )
}

/// The text with every hidden character written out: `\n`, `\r`, `\t`, `\x1b` for
/// the other ASCII controls, `\u{202e}` for the rest. Everything else, backslashes
/// included, is left as it is, so ordinary text reads unchanged.
pub fn visible(s: &str) -> Cow<'_, str> {
    written_out(s, |_| true)
}

/// Like [`visible`], but line breaks, tabs and spaces of other widths (no-break, em…) stay: for prose that is meant to span
/// lines (advisory details), where only the other hidden characters deceive.
pub fn visible_prose(s: &str) -> Cow<'_, str> {
    written_out(s, |c| {
        !(c == '\n' || c == '\t' || (c.is_whitespace() && !c.is_control() && !matches!(c, '\u{2028}' | '\u{2029}')))
    })
}

/// Writes out the hidden characters `escape` selects.
fn written_out(s: &str, escape: impl Fn(char) -> bool) -> Cow<'_, str> {
    let escaped = |c: char| is_hidden(c) && escape(c);
    if !s.chars().any(escaped) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            c if !escaped(c) => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;

    #[test]
    fn visible_writes_out_controls_bidi_and_invisible_formatting() {
        assert_eq!(visible("Cargo.lock"), "Cargo.lock");
        assert!(matches!(visible("a/b c\\d"), Cow::Borrowed(_)));
        assert_eq!(visible("a\nb\r\tc"), "a\\nb\\r\\tc");
        assert_eq!(visible("\x1b[2J0 vulnerabilities"), "\\x1b[2J0 vulnerabilities");
        assert_eq!(visible("\x00\x7f"), "\\x00\\x7f");
        assert_eq!(visible("\u{9b}"), "\\u{9b}");
        assert_eq!(visible("evil\u{202e}kcol.oi"), "evil\\u{202e}kcol.oi");
        assert_eq!(visible("a\u{200b}b\u{2066}c\u{feff}\u{2028}"), "a\\u{200b}b\\u{2066}c\\u{feff}\\u{2028}");
        assert_eq!(visible("naïve 日本"), "naïve 日本");
        assert_eq!(visible("9.5.0\u{a0} x"), "9.5.0\\u{a0} x");
    }

    #[test]
    fn prose_keeps_its_lines() {
        assert_eq!(visible_prose("a\n\tb"), "a\n\tb");
        assert_eq!(visible_prose("a\r\n\x1b[2Jb\u{202e}"), "a\\r\n\\x1b[2Jb\\u{202e}");
    }
}
