//! The whole pipeline for `customs scan`: targets → inventory → matching → triage →
//! policy → one result that every report format renders. [`Scanner`] runs it
//! ([`scanner`]), set up with plain [`ScanOptions`]; the types here are what it produces.
//! Results deserialize too, so a stored run can be rendered again.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::advisory::cvss::Rating;
use crate::advisory::db::Header;
use crate::inventory::walk::Inventory;
use crate::matching::{Finding, MatchReport, Uncomparable};
use crate::policy::PolicyFinding;

mod checks;
pub mod format;
pub mod image;
pub mod options;
mod read;
pub mod scanner;

#[cfg(test)]
mod tests;

pub use format::Format;
pub use image::ImageOptions;
pub use options::{ScanOptions, Target};
pub use scanner::Scanner;

/// What the database behind a scan was, for reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseSummary {
    pub path: String,
    pub records: usize,
    pub newest_modified: String,
    pub built_at: String,
    pub local_advisories: usize,
}

impl DatabaseSummary {
    pub fn new(path: String, header: &Header, local_advisories: usize) -> Self {
        DatabaseSummary {
            path,
            records: header.records,
            newest_modified: header.newest_modified.clone(),
            built_at: header.built_at.clone(),
            local_advisories,
        }
    }
}

/// Counts for the summary line and for CI outputs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub packages: usize,
    pub vulnerabilities: usize,
    /// Vulnerabilities per rating; `unknown` for advisories without a severity.
    pub by_severity: BTreeMap<String, usize>,
    pub informational: usize,
    pub uncomparable: usize,
    /// Findings triage suppressed (ignore file, VEX, `--ignore-unfixed`); not counted above.
    pub suppressed: usize,
    /// Policy findings (Dockerfile rules).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub policy: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Everything one scan produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanResult {
    pub targets: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<DatabaseSummary>,
    pub summary: Summary,
    pub findings: Vec<Finding>,
    pub uncomparable: Vec<Uncomparable>,
    /// Policy verdicts (Dockerfile rules), gated together with the vulnerabilities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy: Vec<PolicyFinding>,
    #[serde(flatten)]
    pub inventory: Inventory,
    /// Remarks on the triage inputs for the person running the scan (ignore entries
    /// that matched nothing); printed, never part of a report.
    #[serde(skip)]
    pub notes: Vec<String>,
}

impl ScanResult {
    pub fn new(
        targets: Vec<String>,
        inventory: Inventory,
        matches: MatchReport,
        database: Option<DatabaseSummary>,
    ) -> Self {
        let mut summary = Summary { packages: inventory.packages.len(), ..Summary::default() };
        for f in &matches.findings {
            if f.suppression.is_some() {
                summary.suppressed += 1;
            } else if f.kind.is_vulnerability() {
                summary.vulnerabilities += 1;
                let rating = f.severity.as_ref().map(|s| s.rating.to_string()).unwrap_or_else(|| "unknown".into());
                *summary.by_severity.entry(rating).or_default() += 1;
            } else {
                summary.informational += 1;
            }
        }
        summary.uncomparable = matches.uncomparable.len();
        let mut inventory = inventory;
        if matches.git_only > 0 {
            inventory.warnings.push(format!(
                "{} advisories name a scanned package but give only GIT commit ranges; customs cannot place a version in those",
                matches.git_only
            ));
        }
        ScanResult {
            targets,
            database,
            summary,
            findings: matches.findings,
            uncomparable: matches.uncomparable,
            policy: Vec::new(),
            inventory,
            notes: Vec::new(),
        }
    }

    /// Leaves suppressed findings out of the report (without `--show-suppressed`);
    /// the summary has counted them already.
    pub fn hide_suppressed(&mut self) {
        self.findings.retain(|f| f.suppression.is_none());
    }

    /// Unsuppressed vulnerabilities and Dockerfile findings at or above the threshold,
    /// and every unmet policy requirement (base images, signatures). Findings without a
    /// severity count as meeting every threshold: an unrated vulnerability is not a
    /// safe one. Suppressed findings never count: triage accepted them.
    pub fn gating_findings(&self, threshold: Threshold) -> usize {
        let vulnerabilities = self.findings.iter().filter(|f| threshold.gates(f)).count();
        let policy = self
            .policy
            .iter()
            .filter(|p| match threshold {
                _ if crate::policy::is_requirement(p.rule) => true,
                Threshold::Any => true,
                Threshold::AtLeast(min) => p.severity >= min,
            })
            .count();
        vulnerabilities + policy
    }

    /// Adds policy verdicts (Dockerfile rules, base images, signatures) to the result.
    pub fn add_policy(&mut self, findings: Vec<PolicyFinding>) {
        self.summary.policy += findings.len();
        self.policy.extend(findings);
    }
}

/// `--fail-on`: which findings make the exit code 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threshold {
    /// Every vulnerability, whatever its severity.
    Any,
    AtLeast(Rating),
}

impl Threshold {
    /// Whether this finding fails the gate: an unsuppressed vulnerability at or above
    /// the threshold, or without a severity (an unrated vulnerability is not a safe one).
    pub fn gates(self, finding: &Finding) -> bool {
        finding.kind.is_vulnerability()
            && finding.suppression.is_none()
            && match (self, &finding.severity) {
                (Threshold::Any, _) | (_, None) => true,
                (Threshold::AtLeast(min), Some(s)) => s.rating >= min,
            }
    }
}

impl std::str::FromStr for Threshold {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "any" => Ok(Threshold::Any),
            other => other
                .parse::<Rating>()
                .map(Threshold::AtLeast)
                .map_err(|_| format!("unknown severity {s:?}: use any, low, medium, high or critical")),
        }
    }
}
