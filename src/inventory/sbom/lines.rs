//! Where things are in the document: the line of every purl value and element id,
//! found in one pass over the text (serde_json keeps no positions), so packages and
//! skipped entries can name their line.

use std::collections::HashMap;

/// The first line of every purl value (`"purl"`, `"referenceLocator"`) and element id
/// (`"bom-ref"`, `"SPDXID"`) of the document, found in one pass over the text.
#[derive(Default)]
pub(super) struct DocumentLines {
    purls: HashMap<String, u32>,
    ids: HashMap<String, u32>,
}

#[derive(Clone, Copy)]
enum Slot {
    Purl,
    Id,
}

impl DocumentLines {
    /// Scans valid JSON: each string is a key when a `:` follows it, else a value; a
    /// value string right after a purl or id key is recorded.
    pub(super) fn index(content: &str) -> DocumentLines {
        let bytes = content.as_bytes();
        let mut lines = DocumentLines::default();
        let mut line = 1u32;
        let mut pending: Option<Slot> = None;
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => line += 1,
                b'{' | b'}' | b'[' | b']' | b',' => pending = None,
                b'"' => {
                    let start = i;
                    let mut escaped = false;
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' {
                        if bytes[i] == b'\\' {
                            escaped = true;
                            i += 1;
                        }
                        i += 1;
                    }
                    if i >= bytes.len() {
                        break;
                    }
                    // `start` and `i` are ASCII quotes, so the slice is on char boundaries.
                    let quoted = &content[start..=i];
                    let value = || -> Option<String> {
                        if escaped {
                            serde_json::from_str(quoted).ok()
                        } else {
                            Some(quoted[1..quoted.len() - 1].to_string())
                        }
                    };
                    let next = bytes[i + 1..].iter().find(|b| !b.is_ascii_whitespace());
                    if next == Some(&b':') {
                        pending = match value().as_deref() {
                            Some("purl" | "referenceLocator") => Some(Slot::Purl),
                            Some("bom-ref" | "SPDXID") => Some(Slot::Id),
                            _ => None,
                        };
                    } else if let Some(slot) = pending.take() {
                        if let Some(value) = value() {
                            let map = match slot {
                                Slot::Purl => &mut lines.purls,
                                Slot::Id => &mut lines.ids,
                            };
                            map.entry(value).or_insert(line);
                        }
                    }
                }
                _ => {}
            }
            i += 1;
        }
        lines
    }

    pub(super) fn purl(&self, purl: &str) -> Option<u32> {
        self.purls.get(purl).copied()
    }

    pub(super) fn id(&self, id: Option<&str>) -> Option<u32> {
        id.and_then(|id| self.ids.get(id).copied())
    }
}
