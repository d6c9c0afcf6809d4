//! Escaping for text that came from the scanned inputs.
//!
//! Paths, package names, versions, advisory ids and texts, VEX statements and
//! Dockerfile lines are written by whoever wrote the repository, the image or the
//! advisory source. Written raw, they can drive the reader's terminal (`ESC[2J`
//! clears it and a fake summary follows), start free Markdown in a pull-request
//! comment (a newline, a backtick that ends a code span, raw HTML), or cut a SARIF
//! URI (`#`, a space). Every report escapes through this one module, per output:
//! [`visible`] for text read by people, [`md_text`] and [`md_code`] for Markdown,
//! [`uri_path`] for SARIF locations and [`http_link`] for link targets.

use std::fmt::Write as _;

pub use crate::visible::{is_hidden, visible, visible_prose};

/// Plain text for Markdown, safe in a table cell and in running text: hidden
/// characters made [`visible`] (so no newline ends the cell), HTML's `<`, `>` and `&`
/// as entities (no raw HTML reaches the page), and the punctuation that starts
/// emphasis, code, links or cells backslash-escaped, so it renders exactly as written.
pub fn md_text(s: &str) -> String {
    let s = visible(s);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// An inline code span for a Markdown table cell. Inside code nothing but the fence
/// has meaning, so the text keeps its characters: the fence is one backtick longer
/// than the longest run of backticks inside; a space pads text that starts or ends
/// with a backtick or space (CommonMark strips one from each side); `|` is written
/// `\|`, which GitHub's tables turn back into `|` inside code; hidden characters are
/// made [`visible`].
pub fn md_code(s: &str) -> String {
    let s = visible(s).replace('|', "\\|");
    if s.is_empty() {
        return "` `".to_string();
    }
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with(['`', ' ']) || s.ends_with(['`', ' ']) { " " } else { "" };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// Characters a path in a URI may carry as they are (RFC 3986 `pchar` without `%`,
/// and the `/` separator).
fn uri_keeps(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b)
}

/// A path as an RFC 3986 relative reference for SARIF's `artifactLocation.uri`: `/`
/// separators kept, every byte that is not a `pchar` percent-encoded (space, `#`,
/// `?`, `%`, controls, and non-ASCII as its UTF-8 bytes), and a `:` before the first
/// `/`, where it would read as a scheme (`oci-archive:…`). Paths are made text before
/// they get here (`to_string_lossy`), so bytes that were not UTF-8 arrive as U+FFFD
/// and are encoded as `%EF%BF%BD`. A leading `//` would name a host, so leading
/// slashes collapse to one.
pub fn uri_path(path: &str) -> String {
    let trimmed = path.trim_start_matches('/');
    let leading = if trimmed.len() < path.len() { "/" } else { "" };
    let mut out = String::with_capacity(path.len() + 8);
    out.push_str(leading);
    let first_segment = trimmed.find('/').unwrap_or(trimmed.len());
    for (i, &b) in trimmed.as_bytes().iter().enumerate() {
        if uri_keeps(b) && !(b == b':' && i < first_segment) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A link target taken from an input (an advisory's references): only `http` and
/// `https`, and with every byte a URI may not hold as it is (space, `<`, `>`, `"`,
/// backtick, controls, non-ASCII) percent-encoded, so it cannot end the link or the
/// Markdown around it. `None` for any other scheme (`javascript:`, `data:`, `file:`).
pub fn http_link(url: &str) -> Option<String> {
    let url = url.trim();
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) || url.len() <= "https://".len() {
        return None;
    }
    let mut out = String::with_capacity(url.len());
    for &b in url.as_bytes() {
        // RFC 3986 reserved and unreserved characters, and `%` of existing escapes.
        if b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_text_cannot_leave_its_cell_or_carry_html() {
        assert_eq!(md_text("lodash"), "lodash");
        assert_eq!(md_text("1.2.3-rc.1"), "1.2.3-rc.1");
        assert_eq!(md_text("a|b"), "a\\|b");
        assert_eq!(md_text("<img src=x onerror=alert(1)>"), "&lt;img src=x onerror=alert(1)&gt;");
        assert_eq!(md_text("x\n## Approved\n"), "x\\\\n## Approved\\\\n");
        assert_eq!(
            md_text("`code` *b* _i_ [l](u) ~s~ &amp;"),
            "\\`code\\` \\*b\\* \\_i\\_ \\[l\\](u) \\~s\\~ &amp;amp;"
        );
        assert_eq!(md_text("\x1b"), "\\\\x1b");
    }

    #[test]
    fn markdown_code_spans_outlast_the_backticks_inside() {
        assert_eq!(md_code("Cargo.lock:29"), "`Cargo.lock:29`");
        assert_eq!(md_code("a`b"), "``a`b``");
        assert_eq!(md_code("a``b`"), "``` a``b` ```");
        assert_eq!(md_code("x|y"), "`x\\|y`");
        assert_eq!(md_code("x\ny"), "`x\\ny`");
        assert_eq!(md_code("<b>"), "`<b>`");
        assert_eq!(md_code(""), "` `");
    }

    #[test]
    fn uri_paths_are_relative_references() {
        assert_eq!(uri_path("svc/go.mod"), "svc/go.mod");
        assert_eq!(uri_path("a b/#1?x%y/Cargo.lock"), "a%20b/%231%3Fx%25y/Cargo.lock");
        assert_eq!(uri_path("c:d/e:f"), "c%3Ad/e:f");
        assert_eq!(uri_path("ghcr.io/org/app:1"), "ghcr.io/org/app:1");
        assert_eq!(uri_path("x\n<y>"), "x%0A%3Cy%3E");
        assert_eq!(uri_path("é/\u{202e}"), "%C3%A9/%E2%80%AE");
        assert_eq!(uri_path("bad\u{fffd}name"), "bad%EF%BF%BDname");
        assert_eq!(uri_path("//host/x"), "/host/x");
        assert_eq!(uri_path("/usr/lib/os-release"), "/usr/lib/os-release");
    }

    #[test]
    fn links_are_http_only_and_cannot_break_out() {
        assert_eq!(http_link("https://example.com/a?b=c#d").as_deref(), Some("https://example.com/a?b=c#d"));
        assert_eq!(http_link("HTTP://x.test/a b>c\n").as_deref(), Some("HTTP://x.test/a%20b%3Ec"));
        assert_eq!(http_link("https://x.test/é").as_deref(), Some("https://x.test/%C3%A9"));
        assert_eq!(http_link("javascript:alert(1)"), None);
        assert_eq!(http_link("data:text/html,<b>"), None);
        assert_eq!(http_link("https://"), None);
    }
}
