//! The OSV schema (<https://ossf.github.io/osv-schema/>), as far as customs reads it.
//!
//! Unknown fields are ignored, so newer schema versions still load; what matching
//! depends on is checked by [`Record::validate`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub id: String,
    #[serde(default)]
    pub modified: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_default")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_default")]
    pub upstream: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_default")]
    pub related: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_default")]
    pub severity: Vec<Severity>,
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_default")]
    pub affected: Vec<Affected>,
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_default")]
    pub references: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub database_specific: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Severity {
    #[serde(rename = "type")]
    pub kind: String,
    pub score: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<AffectedPackage>,
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_default")]
    pub severity: Vec<Severity>,
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_default")]
    pub ranges: Vec<Range>,
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_default")]
    pub versions: Vec<String>,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub ecosystem_specific: Value,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub database_specific: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedPackage {
    pub ecosystem: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    #[serde(rename = "type")]
    pub kind: RangeKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub events: Vec<Event>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RangeKind {
    #[serde(rename = "SEMVER")]
    Semver,
    #[serde(rename = "ECOSYSTEM")]
    Ecosystem,
    #[serde(rename = "GIT")]
    Git,
}

/// One event of a range. OSV writes each as an object with exactly one key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

impl Event {
    pub fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    #[serde(rename = "type")]
    pub kind: String,
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
    pub id: String,
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
