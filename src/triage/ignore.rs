//! `.customs-ignore.yaml`: the findings a team has looked at and accepted, each with
//! a reason and, ideally, an expiry date so that acceptance is revisited.
//!
//! The file is strict (unknown keys, a missing reason or a malformed date are errors
//! naming the entry and line), because a typo in an ignore file silently widens or
//! narrows what a security gate lets through.

use std::path::Path;

use serde::{Deserialize, Deserializer};

use super::glob;
use super::time::Date;
use crate::matching::Finding;
use crate::model::{display_path, Package};
use crate::purl::Purl;

/// The file `customs scan` reads from the current directory when no `--ignore-file` is given.
pub const DEFAULT_FILE: &str = ".customs-ignore.yaml";

/// A parsed ignore file.
#[derive(Debug, Clone)]
pub struct IgnoreFile {
    /// As shown to users and written into `suppression.source`.
    pub source: String,
    /// The entries, in file order.
    pub entries: Vec<IgnoreEntry>,
    /// Where each entry is in a file of another format (`line 3`); empty for ours,
    /// whose entries are named by their YAML path.
    pub locations: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    ignore: Vec<IgnoreEntry>,
}

/// One `ignore:` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreEntry {
    /// A finding's id or any of its aliases.
    #[serde(deserialize_with = "id")]
    pub id: String,
    /// A package name (compared as the ecosystem normalises names) or a purl prefix.
    #[serde(default, deserialize_with = "package")]
    pub package: Option<String>,
    /// A glob on the location path.
    #[serde(default, deserialize_with = "path")]
    pub path: Option<String>,
    /// Why the finding may be ignored (required).
    #[serde(deserialize_with = "reason")]
    pub reason: String,
    /// The last day the entry suppresses.
    #[serde(default, deserialize_with = "expires")]
    pub expires: Option<Date>,
}

impl IgnoreFile {
    /// Reads an ignore file (`.customs-ignore.yaml`, or another tool's format by its name).
    pub fn load(path: &Path) -> anyhow::Result<IgnoreFile> {
        let text = super::read_text(path)?;
        let raw: RawFile = if super::is_blank_yaml(&text) {
            RawFile { ignore: Vec::new() }
        } else {
            crate::inventory::text::yaml(path, &text)?
        };
        Ok(IgnoreFile { source: display_path(path), entries: raw.ignore, locations: Vec::new() })
    }

    /// How users are told which entry: its YAML path (as parse errors say it) and id.
    pub fn describe(&self, index: usize) -> String {
        match self.locations.get(index) {
            Some(location) => format!("{}: {location} ({})", self.source, self.entries[index].id),
            None => format!("{}: ignore[{index}] ({})", self.source, self.entries[index].id),
        }
    }
}

impl IgnoreEntry {
    /// Whether the entry names this finding at one of `paths` (the location as
    /// reported and as seen from the current directory).
    pub fn matches(&self, finding: &Finding, paths: &[String]) -> bool {
        let id_matches = std::iter::once(&finding.id)
            .chain(&finding.aliases)
            .any(|id| id.trim().eq_ignore_ascii_case(self.id.trim()));
        id_matches
            && self.package.as_deref().is_none_or(|p| package_matches(p, &finding.package))
            && self.path.as_deref().is_none_or(|pattern| paths.iter().any(|path| glob::matches(pattern, path)))
    }

    /// Whether the entry's last day is before `today`.
    pub fn is_expired(&self, today: Date) -> bool {
        self.expires.is_some_and(|last_day| today > last_day)
    }
}

/// A `pkg:` value is a purl prefix that must end at a component boundary
/// (`pkg:npm/lodash` is not `pkg:npm/lodash-es`); anything else is a name compared the
/// way the package's ecosystem compares names (PEP 503 for PyPI, case for NuGet…).
fn package_matches(wanted: &str, package: &Package) -> bool {
    let wanted = wanted.trim();
    if wanted.starts_with("pkg:") {
        // Normalise the prefix as purls are normalised (case, `_` in PyPI names).
        let prefix = Purl::parse(wanted).map(|p| p.to_string()).unwrap_or_else(|_| wanted.to_string());
        let purl = package.purl.to_string();
        return purl
            .strip_prefix(prefix.as_str())
            .is_some_and(|rest| rest.is_empty() || prefix.ends_with('/') || rest.starts_with(['/', '@', '?', '#']));
    }
    package.ecosystem.kind.normalize_name(wanted) == package.match_name()
}

// Field validators. The YAML error path stops at the entry (`ignore[1]`), so each
// message names its field.

fn text<'de, D: Deserializer<'de>>(deserializer: D, field: &str) -> Result<String, D::Error> {
    let s = String::deserialize(deserializer).map_err(|e| serde::de::Error::custom(format!("{field}: {e}")))?;
    if s.trim().is_empty() {
        return Err(serde::de::Error::custom(format!("{field} must not be empty")));
    }
    Ok(s)
}

fn id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    text(deserializer, "id")
}

fn reason<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    text(deserializer, "reason")
}

fn package<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    text(deserializer, "package").map(Some)
}

fn path<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    text(deserializer, "path").map(Some)
}

fn expires<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Date>, D::Error> {
    let s = text(deserializer, "expires")?;
    Date::parse(s.trim()).map(Some).map_err(|e| serde::de::Error::custom(format!("expires: {e}")))
}
