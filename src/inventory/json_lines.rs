//! Lines for what JSON lockfiles declare. serde_json reports no positions, so the
//! extractors get them in one of two ways:
//!
//! - [`Located`]: a string serde_json lent straight from the document, which it does
//!   for strings without escapes. Its address gives its offset, so its line comes out of
//!   the parse itself, for values and keys alike; an escaped string has no line.
//! - [`KeyLines`]: one more pass over text serde_json has already accepted, finding the
//!   keys of the objects a caller selects by path, escaped ones included. Read through
//!   [`Object`], the same objects come out of serde in the same document order, so the
//!   n-th entry pairs with the n-th key.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer};
use serde::Deserialize;

use super::text::{self, LineIndex};

/// A JSON string that remembers where it sits in the document when serde_json could
/// lend it from there (it can for strings without escapes), which gives its line
/// exactly and without a search.
pub(super) struct Located<'a> {
    pub(super) value: Cow<'a, str>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Located<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrVisitor;
        impl<'de> de::Visitor<'de> for StrVisitor {
            type Value = Cow<'de, str>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(value))
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
                Ok(Cow::Owned(value.to_string()))
            }
        }
        deserializer.deserialize_str(StrVisitor).map(|value| Located { value })
    }
}

impl Located<'_> {
    /// The line of the string in `document`, if it was lent from there.
    pub(super) fn line(&self, document: &str, lines: &LineIndex) -> Option<u32> {
        let Cow::Borrowed(value) = &self.value else {
            return None;
        };
        let start = (value.as_ptr() as usize).checked_sub(document.as_ptr() as usize)?;
        (start + value.len() <= document.len()).then(|| lines.line(start))
    }
}

/// A JSON object read as its entries in document order: serde_json's map type would
/// sort them, and the order is what pairs entries with their [`KeyLines`].
pub(super) struct Object<V>(pub(super) Vec<(String, V)>);

impl<V> Default for Object<V> {
    fn default() -> Self {
        Object(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Object<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        text::map_entries(deserializer, "an object").map(Object)
    }
}

/// The lines of the keys of the objects a caller selected, in document order.
pub(super) struct KeyLines<'t> {
    keys: Vec<(u32, Cow<'t, str>)>,
}

impl<'t> KeyLines<'t> {
    /// Finds the keys of the objects `select` accepts; see `object_keys`.
    pub(super) fn scan(text: &'t str, select: impl Fn(&[Cow<'t, str>]) -> bool) -> Self {
        KeyLines { keys: object_keys(text, select) }
    }

    /// The line of the `index`-th key, if it is indeed `key` (a mismatch would mean the
    /// two readings disagree: better no line than a wrong one).
    pub(super) fn line(&self, index: usize, key: &str) -> Option<u32> {
        self.keys.get(index).filter(|(_, k)| k == key).map(|(line, _)| *line)
    }

    /// The lines of the keys spelled `key`, in document order.
    pub(super) fn lines_of<'k>(&'k self, key: &'k str) -> impl Iterator<Item = u32> + 'k {
        self.keys.iter().filter(move |(_, k)| k == key).map(|(line, _)| *line)
    }
}

/// The 1-based lines and text of the object keys whose enclosing object `select`
/// accepts, in document order. `select` sees the path of keys from the top-level value
/// to that object (`["packages"]`; `"[]"` stands for an array element). One linear pass
/// that only tracks nesting, meant for text serde_json has already accepted (where no
/// string holds a raw newline); on anything else it returns less, never panics.
fn object_keys<'t>(text: &'t str, select: impl Fn(&[Cow<'t, str>]) -> bool) -> Vec<(u32, Cow<'t, str>)> {
    struct Container {
        is_object: bool,
        selected: bool,
    }
    let bytes = text.as_bytes();
    let mut containers: Vec<Container> = Vec::new();
    let mut path: Vec<Cow<'t, str>> = Vec::new();
    let mut last_key: Option<Cow<'t, str>> = None;
    let mut expect_key = false;
    let mut line = 1;
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let in_object = containers.last().is_some_and(|c| c.is_object);
        match bytes[i] {
            b'\n' => line += 1,
            b'"' => {
                let end = string_end(bytes, i);
                if in_object && expect_key {
                    let key = unescape(text.get(i..=end).unwrap_or_default());
                    if containers.last().is_some_and(|c| c.selected) {
                        found.push((line, key.clone()));
                    }
                    last_key = Some(key);
                    expect_key = false;
                }
                i = end + 1;
                continue;
            }
            open @ (b'{' | b'[') => {
                if !containers.is_empty() {
                    let label = if in_object { last_key.take().unwrap_or_default() } else { Cow::Borrowed("[]") };
                    path.push(label);
                }
                let is_object = open == b'{';
                containers.push(Container { is_object, selected: is_object && select(&path) });
                expect_key = is_object;
            }
            b'}' | b']' => {
                containers.pop();
                if !containers.is_empty() {
                    path.pop();
                }
            }
            b',' => expect_key = in_object,
            _ => {}
        }
        i += 1;
    }
    found
}

/// Index of the quote closing the string that opens at `start` (or the end of input).
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut j = start + 1;
    while j < bytes.len() {
        match bytes[j] {
            b'\\' => j += 2,
            b'"' => return j,
            _ => j += 1,
        }
    }
    bytes.len().saturating_sub(1).max(start)
}

/// The value of a quoted JSON string; borrowed unless it has escapes.
fn unescape(quoted: &str) -> Cow<'_, str> {
    let inner = quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or_default();
    if inner.contains('\\') {
        Cow::Owned(serde_json::from_str(quoted).unwrap_or_default())
    } else {
        Cow::Borrowed(inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_keys_skips_strings_that_look_like_structure() {
        let text = r#"{"packages": {"a": "}{\"b\": [", "c": {"d": 1}, "e\"f": []}, "x": {"packages": {"g": 1}}}"#;
        let keys: Vec<_> = object_keys(text, |p| p == ["packages"]).into_iter().map(|(_, k)| k.into_owned()).collect();
        assert_eq!(keys, ["a", "c", "e\"f"]);
        assert!(object_keys("{\"a\": \"unterminated", |_| true).len() <= 1);
        assert!(object_keys("}]\"", |_| true).is_empty());
    }

    #[test]
    fn key_lines_pair_by_position_and_spelling() {
        let text = "{\"t\": {\n\"a\": 1,\n\"b\": {\"a\": 2}}, \"u\": {\"a\": 3,\n\"b\": 4}}";
        let keys = KeyLines::scan(text, |p| p.len() == 1);
        assert_eq!((keys.line(0, "a"), keys.line(1, "b"), keys.line(3, "b")), (Some(2), Some(3), Some(4)));
        assert_eq!((keys.line(1, "a"), keys.line(4, "a")), (None, None));
        assert_eq!(keys.lines_of("a").collect::<Vec<_>>(), [2, 3]);
    }

    #[test]
    fn located_strings_have_lines_unless_escaped() {
        let text = "[\"a\",\n\"b\\u0021\",\n\"c\"]";
        let strings: Vec<Located> = serde_json::from_str(text).unwrap();
        let lines = LineIndex::new(text);
        let found: Vec<_> = strings.iter().map(|s| (s.value.as_ref(), s.line(text, &lines))).collect();
        assert_eq!(found, [("a", Some(1)), ("b!", None), ("c", Some(3))]);
        assert_eq!(strings[0].line("elsewhere", &lines), None);
    }
}
