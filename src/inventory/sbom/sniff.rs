//! Telling an SBOM by its content, for a file named as a scan target whose name no
//! lockfile extractor knows (`customs scan bom.cdx.json`): SBOM file names follow no
//! convention, so only the document itself says what it is.

use std::fmt;

use serde::de::IgnoredAny;
use serde::Deserialize;

/// The SBOM formats customs reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SbomKind {
    /// CycloneDX JSON (1.2 to 1.6).
    CycloneDx,
    /// SPDX JSON (2.2, 2.3).
    Spdx,
}

impl SbomKind {
    /// `a CycloneDX`, `an SPDX`.
    pub fn with_article(self) -> &'static str {
        match self {
            SbomKind::CycloneDx => "a CycloneDX",
            SbomKind::Spdx => "an SPDX",
        }
    }

    /// The id reports give the file that was read as this kind.
    pub fn extractor_id(self) -> &'static str {
        match self {
            SbomKind::CycloneDx => "sbom/cyclonedx",
            SbomKind::Spdx => "sbom/spdx",
        }
    }
}

impl fmt::Display for SbomKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SbomKind::CycloneDx => "CycloneDX",
            SbomKind::Spdx => "SPDX",
        })
    }
}

/// How far into a document that is not valid JSON the format keys are looked for.
const HEAD: usize = 64 * 1024;

/// The top-level keys that tell the format; everything else is skipped unread.
#[derive(Deserialize)]
struct Probe {
    #[serde(rename = "bomFormat")]
    bom_format: Option<serde_json::Value>,
    #[serde(rename = "spdxVersion")]
    spdx_version: Option<IgnoredAny>,
}

/// What kind of SBOM `content` is: a JSON object with `"bomFormat": "CycloneDX"` or an
/// `spdxVersion`. A document that is not valid JSON still counts when one of those keys
/// appears near its start, so a truncated or broken SBOM gets the SBOM reader's error
/// (with its line) rather than "not a file format customs reads".
pub fn sniff(content: &[u8]) -> Option<SbomKind> {
    let content = content.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(content);
    let start = content.iter().position(|b| !b.is_ascii_whitespace())?;
    if content[start] != b'{' {
        return None;
    }
    match serde_json::from_slice::<Probe>(content) {
        Ok(probe) => match probe.bom_format {
            Some(serde_json::Value::String(format)) if format.eq_ignore_ascii_case("CycloneDX") => {
                Some(SbomKind::CycloneDx)
            }
            _ if probe.spdx_version.is_some() => Some(SbomKind::Spdx),
            _ => None,
        },
        Err(_) => {
            let head = &content[..content.len().min(HEAD)];
            let has = |key: &[u8]| head.windows(key.len()).any(|w| w == key);
            if has(b"\"bomFormat\"") {
                Some(SbomKind::CycloneDx)
            } else if has(b"\"spdxVersion\"") {
                Some(SbomKind::Spdx)
            } else {
                None
            }
        }
    }
}

/// A hint for an SBOM in a form customs does not read (CycloneDX XML, SPDX tag-value),
/// told from the start of `content`.
pub fn unread_form(content: &[u8]) -> Option<&'static str> {
    let head = String::from_utf8_lossy(&content[..content.len().min(HEAD)]);
    let head = head.trim_start_matches('\u{feff}').trim_start();
    if head.starts_with('<') && head.contains("cyclonedx.org/schema/bom") {
        Some(
            "a CycloneDX XML document; customs reads CycloneDX as JSON: convert it with `cyclonedx convert \
             --input-file FILE --output-file FILE.json`",
        )
    } else if head.starts_with("SPDXVersion:") {
        Some(
            "an SPDX tag-value document; customs reads SPDX as JSON: convert it with `pyspdxtools -i FILE -o \
             FILE.spdx.json`",
        )
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cyclonedx_and_spdx_are_told_by_their_keys() {
        assert_eq!(sniff(br#"{"bomFormat": "CycloneDX", "specVersion": "1.6"}"#), Some(SbomKind::CycloneDx));
        assert_eq!(sniff(b"\xEF\xBB\xBF\n {\"bomFormat\": \"cyclonedx\"}"), Some(SbomKind::CycloneDx));
        assert_eq!(sniff(br#"{"spdxVersion": "SPDX-2.3", "packages": []}"#), Some(SbomKind::Spdx));
        // An unsupported version is still an SBOM: the reader says which versions it reads.
        assert_eq!(sniff(br#"{"spdxVersion": 7}"#), Some(SbomKind::Spdx));
    }

    #[test]
    fn other_json_and_other_text_are_not_sboms() {
        assert_eq!(sniff(br#"{"name": "app", "dependencies": {}}"#), None);
        assert_eq!(sniff(br#"{"bomFormat": "Other"}"#), None);
        assert_eq!(sniff(br#"["bomFormat"]"#), None);
        assert_eq!(sniff(b"bomFormat = 1\n"), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b" \n\t"), None);
    }

    #[test]
    fn a_broken_document_with_a_format_key_is_still_an_sbom() {
        assert_eq!(sniff(b"{\"bomFormat\": \"CycloneDX\", \"components\": [\n"), Some(SbomKind::CycloneDx));
        assert_eq!(sniff(b"{\"spdxVersion\": \"SPDX-2.3\",,}"), Some(SbomKind::Spdx));
        assert_eq!(sniff(b"{\"name\": \"x\",,}"), None);
    }

    #[test]
    fn xml_and_tag_value_sboms_get_a_conversion_hint() {
        let xml = b"<?xml version=\"1.0\"?>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\">";
        assert!(unread_form(xml).unwrap().starts_with("a CycloneDX XML document"));
        assert!(unread_form(b"SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n")
            .unwrap()
            .starts_with("an SPDX tag-value"));
        assert_eq!(unread_form(b"<html></html>"), None);
    }
}
