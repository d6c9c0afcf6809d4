//! Reports of a registry sweep (`customs registry scan | rematch | report`): one
//! [`RunReport`] rendered as a terminal table, customs' JSON, SARIF for GitHub code
//! scanning, or Markdown for an issue or a chat message.
//!
//! What the formats share lives here: which findings count (the run summary's
//! unsuppressed vulnerabilities), how an image is named, its counts per change and
//! severity, and how a partial run is described. Repository names, tags, platforms,
//! digests and failure messages come from the registry, which may be hostile: every
//! format escapes them for its output.
//!
//! `only_new` (`--since-last`) lists only what is new: images without new findings
//! and fixed findings are counted, not listed. SARIF ignores it: GitHub closes every
//! alert of a category that an upload leaves out, so an upload of only the new
//! findings would close the unchanged ones.

use std::fmt;
use std::str::FromStr;

use crate::advisory::cvss::Rating;
use crate::matching::Finding;
use crate::sweep::outcome::{Change, FailureReason, ImageReport, ImageSource, RunKind, RunReport};

pub mod json;
pub mod markdown;
pub mod sarif;
pub mod table;

#[cfg(test)]
pub(crate) mod tests;

/// The formats of `customs registry scan -f`, spelled as `customs scan -f` spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistryFormat {
    /// Per image and finding, for a terminal.
    Table,
    /// The whole run as JSON.
    Json,
    /// SARIF, one run for the registry.
    Sarif,
    /// A Markdown summary.
    Markdown,
}

impl RegistryFormat {
    /// Every format, in the order help lists them.
    pub const ALL: [RegistryFormat; 4] =
        [RegistryFormat::Table, RegistryFormat::Json, RegistryFormat::Sarif, RegistryFormat::Markdown];

    /// The name `-f` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            RegistryFormat::Table => "table",
            RegistryFormat::Json => "json",
            RegistryFormat::Sarif => "sarif",
            RegistryFormat::Markdown => "markdown",
        }
    }
}

impl fmt::Display for RegistryFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RegistryFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RegistryFormat::ALL.into_iter().find(|f| f.as_str().eq_ignore_ascii_case(s)).ok_or_else(|| {
            format!(
                "unknown registry report format {:?}: use table, json, sarif or markdown",
                crate::visible::visible(s)
            )
        })
    }
}

/// How a registry report is drawn.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    /// ANSI colours in the table (a terminal, and `NO_COLOR` unset).
    pub colour: bool,
    /// List only new findings (`--since-last`); counts stay those of the whole run.
    pub only_new: bool,
}

/// A registry run in `format`.
pub fn render(report: &RunReport, format: RegistryFormat, options: &RenderOptions) -> String {
    match format {
        RegistryFormat::Table => table::render(report, options),
        RegistryFormat::Json => json::render(report, options),
        RegistryFormat::Sarif => sarif::render(report),
        RegistryFormat::Markdown => markdown::render(report, options),
    }
}

/// Severities in report order, worst first; `unknown` for findings without one.
pub const SEVERITIES: [&str; 6] = ["critical", "high", "medium", "low", "none", "unknown"];

/// Whether a finding is counted where the run summary counts: an unsuppressed
/// vulnerability (informational advisories and suppressed findings are not).
pub fn counted(finding: &Finding) -> bool {
    finding.kind.is_vulnerability() && finding.suppression.is_none()
}

/// The severity word of a finding: `critical` … `none`, or `unknown`.
pub fn severity_word(finding: &Finding) -> &'static str {
    finding.severity.as_ref().map(|s| s.rating.as_str()).unwrap_or("unknown")
}

/// Where a finding sorts: worst first, unrated ones with the high ones (an unrated
/// vulnerability is not a safe one).
pub fn severity_rank(finding: &Finding) -> Rating {
    finding.severity.as_ref().map(|s| s.rating).unwrap_or(Rating::High)
}

/// Counts per severity, in [`SEVERITIES`] order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BySeverity(pub [usize; 6]);

impl BySeverity {
    /// Counts a finding under its severity.
    pub fn add(&mut self, finding: &Finding) {
        let word = severity_word(finding);
        let at = SEVERITIES.iter().position(|s| *s == word).unwrap_or(5);
        self.0[at] += 1;
    }

    /// Findings counted, all severities.
    pub fn total(&self) -> usize {
        self.0.iter().sum()
    }

    /// `1 critical, 2 high`; empty when there are none.
    pub fn describe(&self) -> String {
        SEVERITIES
            .iter()
            .zip(self.0)
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| format!("{n} {s}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One image's counted findings by change and severity, and its fixed findings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImageCounts {
    /// Findings that are new since the previous run.
    pub new: BySeverity,
    /// Findings the previous run had too.
    pub unchanged: BySeverity,
    /// Findings of an image carried over from an earlier run, not analysed this time.
    pub stale: BySeverity,
    /// Findings of the previous run that are gone.
    pub fixed: usize,
}

impl ImageCounts {
    /// Whether the image has anything to list: counted findings or fixed ones.
    pub fn any(&self) -> bool {
        self.new.total() + self.unchanged.total() + self.stale.total() + self.fixed > 0
    }
}

impl ImageReport {
    /// How `result.findings[index]` compares with the previous run. A missing entry
    /// (which the sweep never writes) reads as stale for a carried-forward image and
    /// as new otherwise: a report never hides a finding as already known.
    pub fn change(&self, index: usize) -> Change {
        match self.changes.get(index) {
            Some(change) => *change,
            None if self.source == ImageSource::Stale => Change::Stale,
            None => Change::New,
        }
    }

    /// The counted findings with how each compares with the previous run.
    pub fn counted_findings(&self) -> impl Iterator<Item = (&Finding, Change)> {
        self.result.findings.iter().enumerate().filter(|(_, f)| counted(f)).map(|(i, f)| (f, self.change(i)))
    }

    /// The counted findings that are new in this run.
    pub fn new_findings(&self) -> impl Iterator<Item = &Finding> {
        self.counted_findings().filter(|(_, c)| *c == Change::New).map(|(f, _)| f)
    }

    /// The image's findings counted by change and severity.
    pub fn counts(&self) -> ImageCounts {
        let mut counts = ImageCounts { fixed: self.fixed.len(), ..ImageCounts::default() };
        for (finding, change) in self.counted_findings() {
            match change {
                Change::New => counts.new.add(finding),
                Change::Unchanged => counts.unchanged.add(finding),
                Change::Stale => counts.stale.add(finding),
            }
        }
        counts
    }

    /// `repo:tag,tag` with the registry host left out (the report names it once), or
    /// `repo@digest` for an image no tag points at. Raw: each format escapes it.
    pub fn name(&self, registry: &str) -> String {
        let repository = short_repository(&self.repository, registry);
        if self.tags.is_empty() {
            format!("{repository}@{}", short_digest(&self.digest))
        } else {
            format!("{repository}:{}", self.tags.join(","))
        }
    }
}

/// A repository without the registry's `host[:port]/` in front.
pub fn short_repository<'a>(repository: &'a str, registry: &str) -> &'a str {
    repository
        .strip_prefix(registry)
        .and_then(|rest| rest.strip_prefix('/'))
        .filter(|rest| !rest.is_empty())
        .unwrap_or(repository)
}

/// `sha256:` and the first 12 hex digits: enough to tell images apart by eye.
pub fn short_digest(digest: &str) -> &str {
    let end = digest.find(':').map(|colon| colon + 1 + 12).unwrap_or(12);
    digest.get(..end).unwrap_or(digest)
}

/// `repo:tag` for a failure, moved or disappeared tag: the host left out.
pub fn tag_name(repository: &str, tag: Option<&str>, registry: &str) -> String {
    let repository = short_repository(repository, registry);
    match tag {
        Some(tag) => format!("{repository}:{tag}"),
        None => repository.to_string(),
    }
}

/// The word a failure reason is grouped and serialized by (`not-found`).
pub fn reason_word(reason: FailureReason) -> &'static str {
    reason.as_str()
}

/// What the run was: `registry scan` or `registry rematch`.
pub fn kind_word(kind: RunKind) -> &'static str {
    match kind {
        RunKind::Scan => "scan",
        RunKind::Rematch => "rematch",
    }
}

/// Whether the report is not the whole registry: the sweep says so, or something failed.
pub fn is_partial(report: &RunReport) -> bool {
    report.run.partial || !report.failures.is_empty() || report.coverage.repositories_failed > 0
}

/// Why the run is partial, in words (`2 repositories and 1 tag could not be read; 4
/// images are carried forward from earlier runs`); `None` for a complete run.
pub fn partial_reason(report: &RunReport) -> Option<String> {
    if !is_partial(report) {
        return None;
    }
    let unread = unread(report);
    let mut text = if unread.is_empty() {
        "the sweep did not read the whole registry".to_string()
    } else {
        format!("{} could not be read", unread.join(" and "))
    };
    if report.coverage.images_stale > 0 {
        let carried = plural(report.coverage.images_stale, "image is", "images are");
        text.push_str(&format!("; {carried} carried forward from earlier runs, not checked in this one"));
    }
    Some(text)
}

/// What failed, in words: `["2 repositories", "1 tag or image"]`.
pub fn unread(report: &RunReport) -> Vec<String> {
    let repositories =
        report.failures.iter().filter(|f| f.tag.is_none()).count().max(report.coverage.repositories_failed);
    let tags = report.failures.iter().filter(|f| f.tag.is_some()).count();
    let mut unread = Vec::new();
    if repositories > 0 {
        unread.push(plural(repositories, "repository", "repositories"));
    }
    if tags > 0 {
        unread.push(plural(tags, "tag or image", "tags or images"));
    }
    unread
}

/// `1 repository`, `2 repositories` (shared with the scan reports).
pub use super::plural;

/// Bytes for people: `512 B`, `1.5 KiB`, `3.2 GiB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}
