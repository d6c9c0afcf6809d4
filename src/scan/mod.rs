//! The whole pipeline for `customs scan`: targets → inventory → matching → triage →
//! policy → one result that every report format renders. [`Scanner`] runs it
//! ([`scanner`]), set up with plain [`ScanOptions`]; the types here are what it produces.
//! Results deserialize too, so a stored run can be rendered again.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::advisory::db::Header;
use crate::inventory::walk::Inventory;
use crate::matching::{Finding, MatchReport, Uncomparable};
use crate::policy::PolicyFinding;

mod checks;
pub mod format;
pub mod gate;
pub mod image;
pub mod options;
mod read;
pub mod scanner;

#[cfg(test)]
mod tests;

pub use format::Format;
pub use gate::{Gate, GateOutcome, Level, Levels, Threshold, Unrated};
pub use image::ImageOptions;
pub use options::{ScanOptions, Target};
pub use scanner::Scanner;

/// What the database behind a scan was, for reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseSummary {
    /// The database file, or the mirror it was built from.
    pub path: String,
    /// Advisory records it holds.
    pub records: usize,
    /// The newest advisory's `modified` time: how fresh the data is.
    pub newest_modified: String,
    /// When the database was compiled.
    pub built_at: String,
    /// Advisories read from local files (`--advisories`, the project's own).
    pub local_advisories: usize,
}

impl DatabaseSummary {
    /// The summary of a database at `path` with its header and the local advisories' count.
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
    /// Packages scanned.
    pub packages: usize,
    /// Vulnerabilities found (informational advisories not included).
    pub vulnerabilities: usize,
    /// Vulnerabilities per rating; `unknown` for advisories without a severity.
    pub by_severity: BTreeMap<String, usize>,
    /// Informational advisories (unmaintained, unsound, notices).
    pub informational: usize,
    /// Package and advisory pairs whose versions could not be compared.
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
    /// What was scanned, as named.
    pub targets: Vec<String>,
    /// The advisory database used, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<DatabaseSummary>,
    /// The counts reports lead with.
    pub summary: Summary,
    /// Advisories that affect a scanned package.
    pub findings: Vec<Finding>,
    /// Package and advisory pairs whose versions could not be compared.
    pub uncomparable: Vec<Uncomparable>,
    /// Policy verdicts (Dockerfile rules), gated together with the vulnerabilities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy: Vec<PolicyFinding>,
    /// What was scanned: packages, skipped declarations, files, errors.
    #[serde(flatten)]
    pub inventory: Inventory,
    /// Remarks on the triage inputs for the person running the scan (ignore entries
    /// that matched nothing); printed, never part of a report.
    #[serde(skip)]
    pub notes: Vec<String>,
}

impl ScanResult {
    /// The result of matching an inventory: counts summed, findings and packages in report order.
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

    /// Unsuppressed vulnerabilities and Dockerfile findings that trip the gate, and
    /// every unmet policy requirement (base images, signatures); see [`Gate`].
    pub fn gating_findings(&self, gate: impl Into<Gate>) -> usize {
        self.gate(gate.into()).tripped_total()
    }

    /// What `gate` decides over this result, counted by severity: what tripped it and
    /// what was reported but let through.
    pub fn gate(&self, gate: Gate) -> GateOutcome {
        let mut outcome = GateOutcome { gate: Some(gate), ..GateOutcome::default() };
        for finding in &self.findings {
            if finding.kind.is_vulnerability() && finding.suppression.is_none() {
                outcome.count(Level::of(finding), gate.gates(finding));
            }
        }
        for policy in &self.policy {
            if crate::policy::is_requirement(policy.rule) {
                outcome.requirements += 1;
            } else {
                outcome.count(Level::Rated(policy.severity), gate.gates_policy(policy));
            }
        }
        outcome
    }

    /// `--severity`: keeps only findings (and Dockerfile findings) at these levels, as
    /// Trivy does: what is filtered out is not reported, not counted in the summary, and
    /// does not gate. Unmet policy requirements (base images, signatures) are not
    /// findings of a severity and always stay.
    pub fn keep_severities(&mut self, levels: Levels) {
        let summary = &mut self.summary;
        self.findings.retain(|f| {
            let level = Level::of(f);
            if levels.contains(level) {
                return true;
            }
            if f.suppression.is_some() {
                summary.suppressed = summary.suppressed.saturating_sub(1);
            } else if f.kind.is_vulnerability() {
                summary.vulnerabilities = summary.vulnerabilities.saturating_sub(1);
                let key = match level {
                    Level::Unknown => "unknown".to_string(),
                    Level::Rated(rating) => rating.to_string(),
                };
                if let Some(n) = summary.by_severity.get_mut(&key) {
                    *n = n.saturating_sub(1);
                    if *n == 0 {
                        summary.by_severity.remove(&key);
                    }
                }
            } else {
                summary.informational = summary.informational.saturating_sub(1);
            }
            false
        });
        let before = self.policy.len();
        self.policy.retain(|p| crate::policy::is_requirement(p.rule) || levels.contains(Level::Rated(p.severity)));
        self.summary.policy = self.summary.policy.saturating_sub(before - self.policy.len());
    }

    /// Adds policy verdicts (Dockerfile rules, base images, signatures) to the result.
    pub fn add_policy(&mut self, findings: Vec<PolicyFinding>) {
        self.summary.policy += findings.len();
        self.policy.extend(findings);
    }
}
