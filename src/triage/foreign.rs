//! Other scanners' ignore files, read when a project has no `.customs-ignore.yaml`, so
//! that a team coming from Trivy or osv-scanner keeps its accepted findings:
//! `.trivyignore` (one id per line, `#` comments, `exp:YYYY-MM-DD`) and osv-scanner's
//! `osv-scanner.toml` (`[[IgnoredVulns]]` with `id`, `ignoreUntil`, `reason`).
//!
//! Both tools stop ignoring *on* the date they are given (the date is the first
//! moment the finding is back), while customs' `expires` is the last day that still
//! suppresses; each entry's expiry is therefore the day before. osv-scanner's
//! `[[PackageOverrides]]` (ignoring whole packages, overriding licences) are not
//! supported: the note that names the file says so when it has any.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::ignore::{IgnoreEntry, IgnoreFile};
use super::time::Date;
use crate::model::display_path;

/// Trivy's ignore file, read from the current directory.
pub const TRIVY_FILE: &str = ".trivyignore";
/// osv-scanner's configuration, read from the current directory.
pub const OSV_SCANNER_FILE: &str = "osv-scanner.toml";

/// The first of `.trivyignore` and `osv-scanner.toml` present in `dir`, with notes for
/// the person running the scan: which file was used, and what of it was not.
pub fn find(dir: &Path) -> anyhow::Result<Option<(IgnoreFile, Vec<String>)>> {
    let trivy = dir.join(TRIVY_FILE);
    if trivy.exists() {
        return trivyignore(&trivy).map(Some);
    }
    let osv = dir.join(OSV_SCANNER_FILE);
    if osv.exists() {
        return osv_scanner(&osv).map(Some);
    }
    Ok(None)
}

/// Reads a `.trivyignore`: each line an id, optionally `exp:YYYY-MM-DD`; `#` starts a
/// comment. Other words on a line are left out, as Trivy leaves them, with a note.
pub fn trivyignore(path: &Path) -> anyhow::Result<(IgnoreFile, Vec<String>)> {
    let source = display_path(path);
    let text = super::read_text(path)?;
    let mut entries = Vec::new();
    let mut locations = Vec::new();
    let mut notes = vec![format!(
        "suppressing the ids in {source} (Trivy's ignore file; there is no {})",
        super::ignore::DEFAULT_FILE
    )];
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let line = line.split('#').next().unwrap_or_default();
        let mut words = line.split_whitespace();
        let Some(id) = words.next() else { continue };
        let mut expires = None;
        for word in words {
            match word.strip_prefix("exp:") {
                Some(date) => {
                    let stops = Date::parse(date).map_err(|e| anyhow::anyhow!("{source}: line {number}: exp: {e}"))?;
                    expires = Some(day_before(stops));
                }
                None => notes.push(format!(
                    "{source}: line {number}: {:?} is neither an id nor exp:YYYY-MM-DD (left out)",
                    crate::visible::visible(word)
                )),
            }
        }
        locations.push(format!("line {number}"));
        entries.push(entry(id, format!("listed in {source}"), expires));
    }
    Ok((IgnoreFile { source, entries, locations }, notes))
}

#[derive(Debug, Deserialize)]
struct OsvScannerConfig {
    #[serde(rename = "IgnoredVulns", default)]
    ignored: Vec<IgnoredVuln>,
    #[serde(rename = "PackageOverrides", default)]
    package_overrides: Vec<toml::Value>,
    /// Everything else (`GoVersionOverride`, …): named in a note, never applied.
    #[serde(flatten)]
    other: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IgnoredVuln {
    id: String,
    #[serde(default)]
    ignore_until: Option<toml::Value>,
    #[serde(default)]
    reason: Option<String>,
}

/// Reads `osv-scanner.toml`'s `[[IgnoredVulns]]`; its other tables are named in a
/// note and not applied.
pub fn osv_scanner(path: &Path) -> anyhow::Result<(IgnoreFile, Vec<String>)> {
    let source = display_path(path);
    let text = super::read_text(path)?;
    // The parser's own message quotes the whole line, which may be megabytes long.
    let config: OsvScannerConfig = toml::from_str(&text).map_err(|e| {
        let line = e.span().map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
        let at = line.map(|l| format!(":{l}")).unwrap_or_default();
        anyhow::anyhow!("{source}{at}: invalid TOML: {}", e.message().trim())
    })?;
    let mut note = format!(
        "suppressing the [[IgnoredVulns]] of {source} (osv-scanner's configuration; there is no {})",
        super::ignore::DEFAULT_FILE
    );
    let mut unsupported: Vec<String> = config.other.keys().map(|k| crate::visible::visible(k).into_owned()).collect();
    if !config.package_overrides.is_empty() {
        unsupported.insert(0, format!("{} [[PackageOverrides]]", config.package_overrides.len()));
    }
    if !unsupported.is_empty() {
        note.push_str(&format!("; not supported, so not applied: {}", unsupported.join(", ")));
    }
    let mut entries = Vec::new();
    let mut locations = Vec::new();
    for (index, vuln) in config.ignored.into_iter().enumerate() {
        let at = format!("IgnoredVulns[{index}]");
        if vuln.id.trim().is_empty() {
            anyhow::bail!("{source}: {at}: id must not be empty");
        }
        let expires = match &vuln.ignore_until {
            None => None,
            Some(value) => Some(day_before(
                until_date(value).map_err(|e| anyhow::anyhow!("{source}: {at} ({}): ignoreUntil: {e}", vuln.id))?,
            )),
        };
        let reason = vuln.reason.filter(|r| !r.trim().is_empty()).unwrap_or_else(|| format!("listed in {source}"));
        locations.push(at);
        entries.push(entry(&vuln.id, reason, expires));
    }
    Ok((IgnoreFile { source, entries, locations }, vec![note]))
}

/// The day `ignoreUntil` names: a TOML date or date-time, or a string holding one.
fn until_date(value: &toml::Value) -> Result<Date, String> {
    let text = match value {
        toml::Value::Datetime(datetime) => datetime.to_string(),
        toml::Value::String(text) => text.clone(),
        other => return Err(format!("expected a date (2024-12-31), not {}", other.type_str())),
    };
    let day = text.trim().get(..10).unwrap_or(text.trim());
    Date::parse(day)
}

/// The last day an entry still suppresses, for a tool that stops ignoring on `stops`.
fn day_before(stops: Date) -> Date {
    stops.previous_day()
}

fn entry(id: &str, reason: String, expires: Option<Date>) -> IgnoreEntry {
    IgnoreEntry { id: id.trim().to_string(), package: None, path: None, reason, expires }
}

#[cfg(test)]
mod tests;
