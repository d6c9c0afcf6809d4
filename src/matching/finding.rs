//! What matching reports: one finding per package and vulnerability, with the
//! advisories that describe the same vulnerability merged into it.

use serde::{Deserialize, Serialize};

use crate::advisory::cvss::{self, Rating};
use crate::advisory::osv::Record;
use crate::model::{Package, Suppression};

/// A vulnerability, or an informational advisory (RustSec's unmaintained, unsound
/// and notice advisories), kept apart so gates can treat them differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingKind {
    /// A known vulnerability: what gates count.
    Vulnerability,
    /// RustSec: the crate is no longer maintained.
    Unmaintained,
    /// RustSec: the crate has unsound APIs.
    Unsound,
    /// Any other informational advisory.
    Notice,
}

impl FindingKind {
    /// Whether gates count it (informational advisories are shown, not counted).
    pub fn is_vulnerability(self) -> bool {
        self == FindingKind::Vulnerability
    }

    /// The kind a record declares (RustSec writes `informational` in
    /// `database_specific` of the record or of an affected entry).
    pub fn of(record: &Record) -> FindingKind {
        let informational = std::iter::once(&record.database_specific)
            .chain(record.affected.iter().map(|a| &a.database_specific))
            .find_map(|v| v.get("informational").and_then(|i| i.as_str()));
        match informational {
            Some("unmaintained") => FindingKind::Unmaintained,
            Some("unsound") => FindingKind::Unsound,
            Some(_) => FindingKind::Notice,
            None => FindingKind::Vulnerability,
        }
    }
}

/// How bad a finding is, and where that came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Severity {
    /// The qualitative rating gates compare.
    pub rating: Rating,
    /// CVSS base score, when a vector gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// The CVSS vector the score came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vector: Option<String>,
    /// `CVSS_V3`, `CVSS_V4`, `CVSS_V2`, or the advisory field a word came from.
    pub source: String,
}

/// One advisory matched to one package, with what reports show of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The advisory id findings are known by: the ecosystem's own (RUSTSEC, PYSEC,
    /// GO, DSA…) when there is one, else GHSA, else CVE.
    pub id: String,
    /// Every other id of the same vulnerability (CVE, GHSA, merged advisories).
    pub aliases: Vec<String>,
    /// A vulnerability or an informational advisory.
    pub kind: FindingKind,
    /// The affected package, where it was declared.
    pub package: Package,
    /// The highest severity the advisories give, when any does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// Versions that fix it, in version order. Empty: no fix published.
    pub fixed_versions: Vec<String>,
    /// The advisory's one-line summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The advisory's full description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// Links from the advisory (fixes, reports).
    pub references: Vec<String>,
    /// When the advisory was first published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// When the advisory last changed.
    pub modified: String,
    /// The advisory records merged into this finding.
    pub advisories: Vec<String>,
    /// Set by triage (ignore file, VEX, `--ignore-unfixed`): the finding is known and
    /// accepted, shown only with `--show-suppressed` and never failing a build.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppression: Option<Suppression>,
}

/// The highest severity any of the records states. CVSS vectors (newest version
/// first) beat words; a vector that does not parse is passed over.
pub fn severity_of(records: &[&Record]) -> Option<Severity> {
    let mut best: Option<Severity> = None;
    let mut consider = |candidate: Severity| {
        let better = match &best {
            None => true,
            Some(b) => (candidate.rating, candidate.score.unwrap_or(-1.0)) > (b.rating, b.score.unwrap_or(-1.0)),
        };
        if better {
            best = Some(candidate);
        }
    };
    for record in records {
        let vectors = record.severity.iter().chain(record.affected.iter().flat_map(|a| a.severity.iter()));
        let mut had_vector = false;
        for s in vectors {
            if let Ok(parsed) = cvss::parse(&s.score) {
                had_vector = true;
                consider(Severity {
                    rating: parsed.rating(),
                    score: Some(parsed.base_score()),
                    vector: Some(parsed.vector()),
                    source: s.kind.clone(),
                });
            }
        }
        if had_vector {
            continue;
        }
        // Ecosystem words: GHSA's database_specific.severity, AlmaLinux and others'.
        let word = std::iter::once(&record.database_specific)
            .chain(record.affected.iter().map(|a| &a.ecosystem_specific))
            .chain(record.affected.iter().map(|a| &a.database_specific))
            .find_map(|v| v.get("severity").and_then(|s| s.as_str()));
        if let Some(rating) = word.and_then(|w| w.parse::<Rating>().ok()) {
            consider(Severity { rating, score: None, vector: None, source: "database_specific.severity".into() });
        } else if let Some(rating) = summary_rating(record) {
            consider(Severity { rating, score: None, vector: None, source: "summary".into() });
        }
    }
    best
}

/// Red Hat-derived advisories (AlmaLinux, Rocky) carry their rating only as the
/// summary's first word: `Moderate: openssl security update`.
fn summary_rating(record: &Record) -> Option<Rating> {
    let (word, _) = record.summary.as_deref()?.split_once(':')?;
    match word.trim() {
        w @ ("Critical" | "Important" | "Moderate" | "Low") => w.parse().ok(),
        _ => None,
    }
}

/// Orders advisory ids by how well they name a finding: ecosystem ids first, then
/// GHSA, then CVE, then alphabetically (merging breaks ties within a kind by the
/// newest `modified` first).
pub fn id_preference(id: &str) -> (u8, &str) {
    let class = if id.starts_with("CVE-") {
        2
    } else if id.starts_with("GHSA-") {
        1
    } else {
        0
    };
    (class, id)
}
