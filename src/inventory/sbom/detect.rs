//! Which SBOM format a document is, and parsing it into the fields customs reads:
//! the top-level `bomFormat`/`specVersion`/`spdxVersion` decide, and every syntax or
//! shape error names its line.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use super::{CYCLONEDX_VERSIONS, NOT_AN_SBOM, SPDX_VERSIONS};
use crate::inventory::text;
use crate::inventory::{ExtractError, Input};

pub(super) enum Format {
    CycloneDx,
    Spdx,
}

/// The top-level fields that tell the format; everything else is skipped unread.
#[derive(Deserialize)]
struct Probe {
    #[serde(rename = "bomFormat")]
    bom_format: Option<Value>,
    #[serde(rename = "specVersion")]
    spec_version: Option<Value>,
    #[serde(rename = "spdxVersion")]
    spdx_version: Option<Value>,
}

pub(super) fn detect(input: &Input<'_>, content: &str) -> Result<Format, ExtractError> {
    let probe: Probe = serde_json::from_str(content).map_err(|e| {
        if e.classify() == serde_json::error::Category::Data && !content.trim_start().starts_with('{') {
            input.error(None, NOT_AN_SBOM)
        } else {
            json_error(input, "invalid JSON", &e)
        }
    })?;
    let key_line = |key: &str| content.find(&format!("\"{key}\"")).map(|at| text::line_of(content.as_bytes(), at));
    if let Some(Value::String(format)) = &probe.bom_format {
        if format.eq_ignore_ascii_case("CycloneDX") {
            let version = match &probe.spec_version {
                Some(Value::String(s)) => s.trim().to_string(),
                Some(Value::Number(n)) => n.to_string(),
                _ => return Err(input.error(key_line("bomFormat"), "CycloneDX document without a specVersion")),
            };
            if !CYCLONEDX_VERSIONS.contains(&version.as_str()) {
                let message = format!("CycloneDX specVersion {version:?} is not supported (1.2 to 1.6 are)");
                return Err(input.error(key_line("specVersion"), message));
            }
            return Ok(Format::CycloneDx);
        }
    }
    match &probe.spdx_version {
        Some(Value::String(version)) if SPDX_VERSIONS.contains(&version.trim()) => Ok(Format::Spdx),
        Some(version) => {
            let message = format!("SPDX version {version} is not supported (SPDX-2.2 and SPDX-2.3 JSON are)");
            Err(input.error(key_line("spdxVersion"), message))
        }
        None => Err(input.error(None, NOT_AN_SBOM)),
    }
}

/// Parses the document into the fields this module reads; a field of the wrong type
/// is an error naming its line.
pub(super) fn parse<T: DeserializeOwned>(input: &Input<'_>, content: &str, format: &str) -> Result<T, ExtractError> {
    serde_json::from_str(content).map_err(|e| json_error(input, &format!("invalid {format} document"), &e))
}

fn json_error(input: &Input<'_>, what: &str, e: &serde_json::Error) -> ExtractError {
    let line = (e.line() > 0).then_some(e.line() as u32);
    let message = e.to_string();
    let message = match message.rfind(" at line ") {
        Some(i) => &message[..i],
        None => &message,
    };
    input.error(line, format!("{what}: {message}"))
}
