//! Helpers every text format shares: UTF-8 checks, line numbers, and structured
//! parsers that report the failing line.

use std::fmt;
use std::marker::PhantomData;
use std::path::Path;

use serde::de::{DeserializeOwned, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::ExtractError;

/// Files larger than this are refused rather than read: no real lockfile comes close,
/// and it bounds what one hostile file can make customs allocate.
pub const MAX_FILE_SIZE: u64 = 256 * 1024 * 1024;

/// Validates UTF-8 (dropping a BOM); an error names the line of the first bad byte.
pub fn utf8<'a>(path: &Path, content: &'a [u8]) -> Result<&'a str, ExtractError> {
    let content = content.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(content);
    std::str::from_utf8(content).map_err(|e| {
        let line = line_of(content, e.valid_up_to());
        ExtractError::new(path, Some(line), "not valid UTF-8 text")
    })
}

/// The 1-based line of a byte offset.
pub fn line_of(content: &[u8], offset: usize) -> u32 {
    let end = offset.min(content.len());
    1 + content[..end].iter().filter(|&&b| b == b'\n').count() as u32
}

/// Maps byte offsets to 1-based line numbers in O(log n) after one pass.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes the starts of the lines of `text`.
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// The 1-based line a byte offset falls on.
    pub fn line(&self, offset: usize) -> u32 {
        match self.starts.binary_search(&offset) {
            Ok(i) => i as u32 + 1,
            Err(i) => i as u32,
        }
    }
}

/// Finds `needle` in `text` at or after `from`; returns its byte offset.
pub fn find_from(text: &str, needle: &str, from: usize) -> Option<usize> {
    text.get(from..)?.find(needle).map(|i| i + from)
}

/// Parses JSON; a syntax or shape error names its line. serde_json refuses nesting
/// deeper than 128 levels, so hostile input cannot exhaust the stack. `T` may borrow
/// from `text` (see `json_lines::Located`).
pub fn json<'a, T: Deserialize<'a>>(path: &Path, text: &'a str) -> Result<T, ExtractError> {
    serde_json::from_str(text).map_err(|e| {
        let line = (e.line() > 0).then_some(e.line() as u32);
        ExtractError::new(path, line, format!("invalid JSON: {}", strip_position(&e.to_string())))
    })
}

/// Parses TOML; errors name their line.
pub fn toml<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, ExtractError> {
    toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text.as_bytes(), s.start));
        ExtractError::new(path, line, format!("invalid TOML: {}", e.message()))
    })
}

/// Parses YAML; errors name their line. The parser limits recursion and alias
/// expansion, so "billion laughs" documents fail instead of exhausting memory.
pub fn yaml<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, ExtractError> {
    if let Some(line) = first_too_deep_line(text) {
        let message = format!("YAML nested more than {MAX_FLOW_DEPTH} levels deep");
        return Err(ExtractError::new(path, Some(line), message));
    }
    serde_yaml_ng::from_str(text).map_err(|e| {
        let line = e.location().map(|l| l.line() as u32);
        ExtractError::new(path, line, format!("invalid YAML: {}", strip_position(&e.to_string())))
    })
}

/// Reads a map (a JSON object, a YAML mapping) as its entries in document order, for
/// the formats whose report order or line pairing follows the file: serde_json's and
/// serde_yaml_ng's map types do not keep it. `expecting` ends the "expected …" of the
/// error for anything that is not a map, so each format can name its own kind of map.
pub fn map_entries<'de, D, K, V>(deserializer: D, expecting: &'static str) -> Result<Vec<(K, V)>, D::Error>
where
    D: Deserializer<'de>,
    K: Deserialize<'de>,
    V: Deserialize<'de>,
{
    struct EntriesVisitor<K, V> {
        expecting: &'static str,
        entries: PhantomData<(K, V)>,
    }

    impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Visitor<'de> for EntriesVisitor<K, V> {
        type Value = Vec<(K, V)>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.expecting)
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            // The hint comes from the input: capped, so a hostile one cannot reserve much.
            let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
            while let Some(entry) = map.next_entry()? {
                entries.push(entry);
            }
            Ok(entries)
        }
    }

    deserializer.deserialize_map(EntriesVisitor { expecting, entries: PhantomData })
}

/// libyaml slows down quadratically as flow collections (`[`, `{`) nest, so deeper
/// nesting than any lockfile has is refused before parsing.
const MAX_FLOW_DEPTH: usize = 64;

/// The line where flow brackets first nest deeper than [`MAX_FLOW_DEPTH`]. Brackets
/// inside quoted strings count too: lockfiles hold no such strings, and a false alarm
/// could only hit a file built to look like one.
fn first_too_deep_line(document: &str) -> Option<u32> {
    let mut depth = 0usize;
    let mut line = 1;
    for byte in document.bytes() {
        match byte {
            b'\n' => line += 1,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_FLOW_DEPTH {
                    return Some(line);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Removes the " at line N column M" tail parsers append, since the error carries
/// the line itself.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// Turns JSON-with-comments-and-trailing-commas (bun.lock, tsconfig style) into
/// plain JSON, keeping every newline so line numbers stay right.
pub fn strip_jsonc(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let c = bytes[i];
        if in_string {
            if c == b'\\' && i + 1 < bytes.len() {
                out.push_str(&text[i..i + 2 + utf8_extra(bytes[i + 1])]);
                i += 2 + utf8_extra(bytes[i + 1]);
                continue;
            }
            if c == b'"' {
                in_string = false;
            }
            let len = 1 + utf8_extra(c);
            out.push_str(&text[i..i + len]);
            i += len;
            continue;
        }
        match c {
            b'"' => {
                in_string = true;
                out.push('"');
                i += 1;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    if bytes[i] == b'\n' {
                        out.push('\n');
                    }
                    i += 1;
                }
                i += 2;
            }
            b',' => {
                // A comma followed (past whitespace and comments) by '}' or ']' is dropped.
                let mut j = i + 1;
                loop {
                    while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                        j += 1;
                    }
                    if bytes.get(j) == Some(&b'/') && bytes.get(j + 1) == Some(&b'/') {
                        while j < bytes.len() && bytes[j] != b'\n' {
                            j += 1;
                        }
                        continue;
                    }
                    if bytes.get(j) == Some(&b'/') && bytes.get(j + 1) == Some(&b'*') {
                        j += 2;
                        while j < bytes.len() && !(bytes[j] == b'*' && bytes.get(j + 1) == Some(&b'/')) {
                            j += 1;
                        }
                        j += 2;
                        continue;
                    }
                    break;
                }
                if !matches!(bytes.get(j), Some(b'}') | Some(b']')) {
                    out.push(',');
                }
                i += 1;
            }
            _ => {
                let len = 1 + utf8_extra(c);
                out.push_str(&text[i..(i + len).min(text.len())]);
                i += len;
            }
        }
    }
    out
}

/// How many continuation bytes follow a UTF-8 lead byte.
fn utf8_extra(lead: u8) -> usize {
    match lead {
        0xF0..=0xF7 => 3,
        0xE0..=0xEF => 2,
        0xC0..=0xDF => 1,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_maps_offsets() {
        let idx = LineIndex::new("a\nbc\n\nd");
        assert_eq!(idx.line(0), 1);
        assert_eq!(idx.line(2), 2);
        assert_eq!(idx.line(3), 2);
        assert_eq!(idx.line(5), 3);
        assert_eq!(idx.line(6), 4);
    }

    #[test]
    fn jsonc_drops_comments_and_trailing_commas_keeping_lines() {
        let src = "{\n  // c\n  \"a\": [1, 2,],\n  \"s\": \"x // not, a comment,]\", /* b\n */\n}";
        let plain = strip_jsonc(src);
        assert_eq!(plain.lines().count(), src.lines().count());
        let v: serde_json::Value = serde_json::from_str(&plain).unwrap();
        assert_eq!(v["a"], serde_json::json!([1, 2]));
        assert_eq!(v["s"], "x // not, a comment,]");
    }

    #[test]
    fn utf8_error_names_line() {
        let err = utf8(Path::new("f"), b"ok\nok\n\xff").unwrap_err();
        assert_eq!(err.line, Some(3));
    }

    #[test]
    fn yaml_flow_nesting_is_bounded_before_parsing() {
        assert_eq!(first_too_deep_line(&"{".repeat(MAX_FLOW_DEPTH)), None);
        assert_eq!(first_too_deep_line(&format!("a\n{}", "[".repeat(MAX_FLOW_DEPTH + 1))), Some(2));
        assert_eq!(first_too_deep_line(&"[]".repeat(10_000)), None);
        let err = yaml::<serde_yaml_ng::Value>(Path::new("x.yaml"), &"[".repeat(100)).unwrap_err();
        assert_eq!(err.line, Some(1));
    }

    #[test]
    fn deep_json_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        let err = json::<serde_json::Value>(Path::new("deep.json"), &deep).unwrap_err();
        assert!(err.message.contains("recursion limit"), "{}", err.message);
    }
}
