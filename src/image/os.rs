//! Which distribution an image runs: `/etc/os-release` and friends → the OSV
//! ecosystem of its release. Not yet written.

use super::fs::ImageFs;
use crate::model::Ecosystem;

/// A detected distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsRelease {
    /// `ID` from os-release (`debian`, `alpine`, `almalinux`…).
    pub id: String,
    /// `VERSION_ID` (or the version file's content).
    pub version_id: String,
    /// `PRETTY_NAME`, for reports.
    pub pretty_name: String,
    /// The OSV ecosystem for this release (`Debian:12`, `Alpine:v3.18`…), when customs
    /// knows how to spell it.
    pub ecosystem: Option<Ecosystem>,
}

/// Whether a file is one the OS detection reads (kept while layers stream by).
pub fn wants(path: &str) -> bool {
    matches!(path, "etc/os-release" | "usr/lib/os-release")
}

/// Detects the distribution from the merged image.
pub fn detect(fs: &ImageFs) -> Option<OsRelease> {
    let _ = fs;
    None
}
