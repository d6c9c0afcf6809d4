//! The OSV schema (<https://ossf.github.io/osv-schema/>), as far as customs reads it.
//!
//! Unknown fields are ignored, so newer schema versions still load; what matching
//! depends on is checked by [`Record::validate`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One OSV advisory (schema 1.x), with the fields matching and reports use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The advisory's id (`GHSA-…`, `RUSTSEC-…`, `DSA-…`).
    pub id: String,
    /// When it last changed (RFC 3339).
    #[serde(default)]
    pub modified: String,
    /// When it was first published (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// Set when the advisory was withdrawn: it then matches nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<String>,
    /// Other ids of the same vulnerability (`CVE-…`).
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_default")]
    pub aliases: Vec<String>,
    /// Ids of the advisories this one was derived from.
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_default")]
    pub upstream: Vec<String>,
    /// Ids of related but different vulnerabilities.
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_default")]
    pub related: Vec<String>,
    /// A one-line description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The full description (Markdown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// Severity scores for the whole advisory (CVSS vectors, Ubuntu priorities).
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_default")]
    pub severity: Vec<Severity>,
    /// The packages it affects, each with its versions.
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_default")]
    pub affected: Vec<Affected>,
    /// Links: fixes, reports, articles.
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_default")]
    pub references: Vec<Reference>,
    /// The database's own fields, read for severities some databases keep there.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub database_specific: Value,
}

/// One `severity[]` entry: a scoring system and its score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Severity {
    /// The scoring system (`CVSS_V3`, `CVSS_V4`, `Ubuntu`).
    #[serde(rename = "type")]
    pub kind: String,
    /// The score in that system (a vector, or a word).
    pub score: String,
}

/// One `affected[]` entry: a package and the versions of it that are affected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    /// The package, by ecosystem and name (and purl).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<AffectedPackage>,
    /// Severities for this package only, overriding the advisory's.
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_default")]
    pub severity: Vec<Severity>,
    /// Affected version ranges.
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_default")]
    pub ranges: Vec<Range>,
    /// Affected versions listed one by one.
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_default")]
    pub versions: Vec<String>,
    /// The ecosystem's own fields (affected functions, imports).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub ecosystem_specific: Value,
    /// The database's own fields for this package (severities of some databases).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub database_specific: Value,
}

/// The package an `affected[]` entry is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedPackage {
    /// The OSV ecosystem, with any release (`Debian:12`).
    pub ecosystem: String,
    /// The name as the ecosystem spells it.
    pub name: String,
    /// The package URL, when the database gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
}

/// One `ranges[]` entry: events over one version order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    /// Which order the events' versions follow.
    #[serde(rename = "type")]
    pub kind: RangeKind,
    /// The repository, for `GIT` ranges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// Introduced/fixed/last_affected/limit events.
    #[serde(default, deserialize_with = "null_as_default")]
    pub events: Vec<Event>,
}

/// The version order of a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RangeKind {
    /// Semantic Versioning 2.0, whatever the ecosystem.
    #[serde(rename = "SEMVER")]
    Semver,
    /// The ecosystem's own version order.
    #[serde(rename = "ECOSYSTEM")]
    Ecosystem,
    /// Commit hashes of a repository (not matched against package versions).
    #[serde(rename = "GIT")]
    Git,
}

/// One event of a range. OSV writes each as an object with exactly one key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Versions from this one on are affected (`0` for all).
    Introduced(String),
    /// This version fixes it: it and later ones are not affected.
    Fixed(String),
    /// The last affected version; later ones are not.
    LastAffected(String),
    /// An upper bound the range stops at, whatever else it says.
    Limit(String),
}

impl Event {
    /// The event's version, whatever its kind.
    pub fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }
}

/// One `references[]` link of an advisory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// What the link is (`ADVISORY`, `FIX`, `WEB`).
    #[serde(rename = "type")]
    pub kind: String,
    /// Where it points.
    pub url: String,
}

/// `null` where a list is expected reads as an empty list (RustSec writes
/// `"affected_functions": null`, others `"aliases": null`).
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Why a record cannot be used for matching.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("advisory {id}: {reason}")]
pub struct InvalidRecord {
    /// The advisory's id.
    pub id: String,
    /// What is wrong with it.
    pub reason: String,
}

impl Record {
    /// Parses one OSV JSON document; errors carry the id when it could be read.
    pub fn from_json(bytes: &[u8]) -> Result<Record, InvalidRecord> {
        let record: Record = serde_json::from_slice(bytes).map_err(|e| {
            let id = serde_json::from_slice::<Value>(bytes)
                .ok()
                .and_then(|v| v.get("id").and_then(Value::as_str).map(str::to_string))
                .unwrap_or_else(|| "(unknown id)".into());
            InvalidRecord { id, reason: format!("not a valid OSV record: {e}") }
        })?;
        record.validate()?;
        Ok(record)
    }

    /// The checks matching relies on: an id, a `modified` time, and ranges whose
    /// events can be evaluated.
    pub fn validate(&self) -> Result<(), InvalidRecord> {
        let invalid = |reason: String| Err(InvalidRecord { id: self.id.clone(), reason });
        if self.id.trim().is_empty() {
            return invalid("empty id".into());
        }
        if self.modified.is_empty() {
            return invalid("no \"modified\" time".into());
        }
        for affected in &self.affected {
            if let Some(p) = &affected.package {
                if p.ecosystem.is_empty() || p.name.is_empty() {
                    return invalid("affected package without ecosystem or name".into());
                }
            }
            for range in &affected.ranges {
                if range.kind != RangeKind::Git && !range.events.iter().any(|e| matches!(e, Event::Introduced(_))) {
                    return invalid(format!("a {:?} range without an \"introduced\" event", range.kind));
                }
                if range.kind == RangeKind::Git && range.repo.is_none() {
                    return invalid("a GIT range without \"repo\"".into());
                }
            }
        }
        Ok(())
    }

    /// Whether the record has been withdrawn and must not be reported.
    pub fn is_withdrawn(&self) -> bool {
        self.withdrawn.as_deref().is_some_and(|w| !w.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_rustsec_record_with_nulls() {
        let json = r#"{"id":"RUSTSEC-2019-0009","modified":"2026-07-17T15:52:38Z","aliases":["CVE-2019-15551"],
            "related":null,"affected":[{"package":{"ecosystem":"crates.io","name":"smallvec"},
            "ecosystem_specific":{"affected_functions":null},
            "ranges":[{"type":"SEMVER","events":[{"introduced":"0.6.5"},{"fixed":"0.6.10"}]}],"versions":[]}]}"#;
        let r = Record::from_json(json.as_bytes()).unwrap();
        assert_eq!(r.affected[0].ranges[0].events, [Event::Introduced("0.6.5".into()), Event::Fixed("0.6.10".into())]);
        assert!(r.related.is_empty());
    }

    #[test]
    fn invalid_records_name_their_id() {
        let err = Record::from_json(br#"{"id":"X-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"fixed":"1"}]}]}]}"#).unwrap_err();
        assert_eq!(err.id, "X-1");
        assert!(err.reason.contains("introduced"));
        let err = Record::from_json(br#"{"id":"X-2","modified":"2024-01-01T00:00:00Z","affected":[{"ranges":[{"type":"ECOSYSTEM","events":[{"bogus":"1"}]}]}]}"#).unwrap_err();
        assert_eq!(err.id, "X-2");
        let err = Record::from_json(b"{not json").unwrap_err();
        assert_eq!(err.id, "(unknown id)");
    }
}
