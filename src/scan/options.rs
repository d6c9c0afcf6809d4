//! What a [`super::Scanner`] is set up with, and what it scans: plain values, no
//! command-line types. `customs scan` builds them from its flags and `customs.yaml`;
//! the registry sweep builds them from its own settings.

use std::path::PathBuf;

use super::image::ImageOptions;
use crate::inventory::walk::WalkOptions;
use crate::policy::signature::policy::ResolvedRule;
use crate::policy::BaseImagePolicy;
use crate::triage::TriageOptions;

/// The database's newest record may be this many days old before a scan warns.
pub const DEFAULT_MAX_DB_AGE_DAYS: u64 = 7;

/// Everything a scanner needs besides the targets.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Where the default database, compiled `--db` sources and layer analyses are kept.
    pub cache_dir: PathBuf,
    /// Advisories instead of the default database (a database file, OSV folder, zip
    /// or mirror; compiled on first use); `None`: the default database under `cache_dir`.
    pub db: Option<PathBuf>,
    /// Folders of OSV advisories merged into every scan (an organisation's own).
    pub advisories: Vec<PathBuf>,
    /// Accept a database without a single record (otherwise an error: every package
    /// would pass unchecked).
    pub allow_empty_db: bool,
    /// Never reach a registry: registry images are refused, and so is every policy
    /// check that would have to ask one (those fail closed).
    pub offline: bool,
    /// Warn when the newest advisory is older than this many days; 0: never warn.
    pub max_db_age_days: u64,
    /// The ignore file, VEX documents and `--ignore-unfixed`.
    pub triage: TriageOptions,
    /// Keep suppressed findings in results (otherwise only counted).
    pub show_suppressed: bool,
    /// A Dockerfile checked with the Dockerfile rules on every scan.
    pub dockerfile: Option<PathBuf>,
    /// `policy: base-images:`; image scans and the Dockerfile's FROMs are checked.
    pub base_images: Option<BaseImagePolicy>,
    /// `policy: signatures:`, already resolved; image scans are checked.
    pub signatures: Vec<ResolvedRule>,
    /// How images are read: credentials, network, caches, limits.
    pub image: ImageOptions,
    /// Which files a directory scan reads, and whether a target with nothing to scan
    /// (no lockfile, an SBOM without components) is accepted.
    pub walk: WalkOptions,
}

impl ScanOptions {
    /// The defaults of `customs scan` without flags or `customs.yaml`: the default
    /// database under `cache_dir`, no triage, no policy, a warning past
    /// [`DEFAULT_MAX_DB_AGE_DAYS`].
    pub fn new(cache_dir: PathBuf) -> ScanOptions {
        ScanOptions {
            cache_dir,
            db: None,
            advisories: Vec::new(),
            allow_empty_db: false,
            offline: false,
            max_db_age_days: DEFAULT_MAX_DB_AGE_DAYS,
            triage: TriageOptions::default(),
            show_suppressed: false,
            dockerfile: None,
            base_images: None,
            signatures: Vec::new(),
            image: ImageOptions::default(),
            walk: WalkOptions::default(),
        }
    }
}

/// What one scan reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Directories, lockfiles or SBOM files (told by their content); with several,
    /// locations are prefixed by their path.
    Paths(Vec<PathBuf>),
    /// A CycloneDX or SPDX JSON SBOM.
    Sbom(PathBuf),
    /// A container image reference (`host/repo:tag`, `oci:DIR`, `docker-archive:PATH`…).
    Image(String),
}
