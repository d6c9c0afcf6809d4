//! What one sweep run produced, as every registry report renders it and as the store
//! keeps it (so `customs registry report --run ID` renders a past run again).
//!
//! Per image the result is the same [`ScanResult`] `customs scan --image` gives, plus
//! how each finding compares with the previous run: *new*, *unchanged*, or *fixed*
//! (in the previous run, gone now). Images of a repository that could not be read this
//! time are carried forward from the store and marked *stale*: never reported as fixed.

use serde::{Deserialize, Serialize};

use crate::scan::{DatabaseSummary, Gate, GateOutcome, Level, ScanResult};

/// One run of `registry scan` or `registry rematch`.
#[derive(Debug, Serialize, Deserialize)]
pub struct RunReport {
    /// Which run this is, and against what database.
    pub run: RunInfo,
    /// What the run read and what it could not.
    pub coverage: Coverage,
    /// The counts reports lead with.
    pub summary: RunSummary,
    /// One per platform image, ordered by repository, then tags, then platform.
    pub images: Vec<ImageReport>,
    /// Tags that point at another digest than in the previous run.
    pub moved_tags: Vec<MovedTag>,
    /// Tags present in the previous run and gone from the registry now.
    pub disappeared: Vec<Disappeared>,
    /// Repositories, tags or images that could not be read, with why.
    pub failures: Vec<Failure>,
    /// Notes for the person running the sweep (a stale database and the like).
    pub warnings: Vec<String>,
}

/// Which command made a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunKind {
    /// `registry scan`: the registry was read.
    Scan,
    /// `registry rematch`: stored inventories matched again, no registry traffic.
    Rematch,
}

/// Which run a report is of: id, kind, registry, times.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunInfo {
    /// The store's id of this run (`registry report --run ID`).
    pub id: i64,
    /// `scan` or `rematch`.
    pub kind: RunKind,
    /// `host[:port]` as given.
    pub registry: String,
    /// RFC 3339, UTC.
    pub started: String,
    /// RFC 3339, UTC.
    pub finished: String,
    /// The customs version that made the run.
    pub customs_version: String,
    /// The advisory database the images were matched against.
    pub database: Option<DatabaseSummary>,
    /// The run this one is compared with (new/fixed/unchanged); `None` for the first.
    pub compared_with: Option<i64>,
    /// Some repository, tag or image failed: the report is not the whole registry.
    pub partial: bool,
}

/// How much of the registry this run saw, and what it cost.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Coverage {
    /// Repositories discovered (catalog or `--repos-from`) before `--repo`/`--exclude`.
    pub repositories_listed: usize,
    /// Repositories selected for this run.
    pub repositories: usize,
    /// Repositories that failed as a whole (tag list refused, 401, 404…).
    pub repositories_failed: usize,
    /// `repo:tag` pairs selected by `--tags`.
    pub tags: usize,
    /// Platform images reported (an index counts once per selected platform).
    pub images: usize,
    /// Images analysed in this run (a digest the store had not analysed).
    pub images_analysed: usize,
    /// Images whose stored analysis was used (digest unchanged).
    pub images_from_store: usize,
    /// Images carried forward from an earlier run because they could not be read now.
    pub images_stale: usize,
    /// Layers downloaded and read in this run.
    pub layers_downloaded: usize,
    /// Layers whose stored analysis was used.
    pub layers_from_store: usize,
    /// Compressed layer bytes downloaded.
    pub bytes_downloaded: u64,
    /// Requests the registry (or its token service) answered, retries included.
    pub requests: u64,
}

/// Counts over every image, for the summary line, exit codes and notifications.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunSummary {
    /// Unsuppressed vulnerabilities in this run, over all images (a vulnerability in
    /// two images counts twice).
    pub vulnerabilities: usize,
    /// Findings the previous run did not have.
    pub new: usize,
    /// Findings the previous run had too.
    pub unchanged: usize,
    /// Findings of the previous run that are gone.
    pub fixed: usize,
    /// Findings of stale images (carried forward, not checked this run).
    pub stale: usize,
    /// Policy verdicts (signatures, base images) over all images.
    pub policy: usize,
    /// Distinct vulnerability ids over all images.
    pub distinct_vulnerabilities: usize,
}

/// How a finding compares with the previous run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// The previous run did not have it.
    New,
    /// The previous run had it too.
    Unchanged,
    /// Carried forward from an earlier run: this run could not check it.
    Stale,
}

/// One platform image, reached through one or more `repo:tag`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ImageReport {
    /// `host[:port]/repository`.
    pub repository: String,
    /// The tags that point at this image (through its index, for multi-platform ones).
    pub tags: Vec<String>,
    /// The manifest digest of the platform image.
    pub digest: String,
    /// The index the image was reached through, for multi-platform tags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_digest: Option<String>,
    /// `linux/amd64`.
    pub platform: String,
    /// Whether this run analysed it, took it from the store, or carried it forward.
    pub source: ImageSource,
    /// When the store first saw this digest (RFC 3339).
    pub first_seen: String,
    /// As `customs scan --image host/repo@digest` reports it.
    pub result: ScanResult,
    /// For each of `result.findings`, in the same order: new, unchanged, or stale
    /// (every finding of a stale image).
    pub changes: Vec<Change>,
    /// Findings of the previous run that this image no longer has.
    pub fixed: Vec<FixedFinding>,
}

/// Where an image's result came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImageSource {
    /// Analysed in this run.
    Analysed,
    /// The same digest's stored inventory, matched again.
    Store,
    /// Could not be read this run: an earlier run's result, carried forward.
    Stale,
}

/// A finding of the previous run that is gone: enough to say what was fixed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixedFinding {
    /// The advisory id.
    pub id: String,
    /// The package name.
    pub package: String,
    /// The version the previous run saw.
    pub version: String,
    /// The package's ecosystem.
    pub ecosystem: String,
    /// Where the package was in the image (`/var/lib/dpkg/status`).
    pub path: String,
    /// The rating the finding had (`critical`…), when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
}

/// A tag that points at another digest than in the previous run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovedTag {
    /// The repository.
    pub repository: String,
    /// The tag.
    pub tag: String,
    /// The digest it pointed at before.
    pub from: String,
    /// The digest it points at now.
    pub to: String,
}

/// A tag the previous run saw that the registry no longer has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disappeared {
    /// The repository.
    pub repository: String,
    /// The tag.
    pub tag: String,
    /// The digest it last pointed at.
    pub digest: String,
}

/// Why something could not be read, as a word reports and scripts can group by
/// (`unauthorized`, `not-found`, `rate-limited`, `server-error`, `network`, `invalid`):
/// the image code's own classification of its errors.
pub use crate::image::source::FailureKind as FailureReason;

/// Something the sweep could not read: a repository, a tag or an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// The repository.
    pub repository: String,
    /// The tag, when only one tag or image of the repository failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Why, as a word to group by.
    pub reason: FailureReason,
    /// The error as customs would print it (never credentials).
    pub message: String,
}

impl RunReport {
    /// What makes the run exit 1: over every image, the findings and policy verdicts
    /// `customs scan --fail-on` counts; with `only_new`, only vulnerabilities new since
    /// the previous run. Stale images count: a finding not checked again is not gone.
    pub fn gating_findings(&self, gate: impl Into<Gate>, only_new: bool) -> usize {
        self.gate(gate.into(), only_new).tripped_total()
    }

    /// What `gate` decides over every image, counted by severity (see
    /// [`crate::scan::ScanResult::gate`]); with `only_new`, only vulnerabilities new
    /// since the previous run are counted.
    pub fn gate(&self, gate: Gate, only_new: bool) -> GateOutcome {
        let mut outcome = GateOutcome { gate: Some(gate), ..GateOutcome::default() };
        for image in &self.images {
            if only_new {
                let findings = image.result.findings.iter().zip(&image.changes);
                for (finding, _) in findings.filter(|(f, change)| **change == Change::New && f.suppression.is_none()) {
                    if finding.kind.is_vulnerability() {
                        outcome.count(Level::of(finding), gate.gates(finding));
                    }
                }
            } else {
                outcome.merge(&image.result.gate(gate));
            }
        }
        outcome
    }
}
