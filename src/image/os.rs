//! Which distribution an image runs: `/etc/os-release` and friends → the OSV
//! ecosystem of its release. Not yet written.

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
