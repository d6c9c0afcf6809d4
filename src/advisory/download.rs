//! `customs db update`: bringing a local copy of an OSV mirror up to date.
//! Not yet written.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;

/// osv.dev's public bucket.
pub const DEFAULT_MIRROR: &str = "https://osv-vulnerabilities.storage.googleapis.com";

#[derive(Debug, Clone)]
pub struct UpdateOptions {
    /// `https://…`, `http://…` (allowed: it is the user's explicit choice), `file://…` or a path.
    pub mirror: String,
    /// OSV ecosystem folder names (`PyPI`, `Debian`…).
    pub ecosystems: Vec<String>,
    /// Draw a progress bar (only when stderr is a terminal).
    pub progress: bool,
    pub timeout: Duration,
    pub retries: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Updated { bytes: u64 },
    Unchanged,
    NotOnMirror,
    Failed { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EcosystemStatus {
    pub ecosystem: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error("{0}")]
    Other(String),
}

/// Brings `<dest>/<Ecosystem>/all.zip` up to date from the mirror, one ecosystem at a
/// time; a failure leaves that ecosystem's previous file in place.
pub fn fetch_mirror(options: &UpdateOptions, dest: &Path) -> Result<Vec<EcosystemStatus>, DownloadError> {
    let _ = (options, dest);
    Err(DownloadError::Other("not written yet".into()))
}
