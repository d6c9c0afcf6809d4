//! Version schemes: one module per ecosystem family, each a total order faithful to
//! the ecosystem's own tool. Matching never compares version strings itself; it asks
//! [`Scheme::compare`].
//!
//! Every scheme module exposes a `Version` type with `FromStr` (a [`VersionError`] for
//! input the real tool would reject) and `Ord`.

use std::cmp::Ordering;

use crate::model::{Ecosystem, EcosystemKind};

pub mod apk;
pub mod composer;
pub mod cran;
pub mod dpkg;
pub mod go;
pub mod hackage;
pub mod maven;
pub mod nuget;
pub mod pep440;
pub mod rpm;
pub mod rubygems;
pub mod semver;

/// A version string this scheme cannot order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot parse version {version:?}: {reason}")]
pub struct VersionError {
    pub version: String,
    pub reason: String,
}

impl VersionError {
    pub fn new(version: &str, reason: impl Into<String>) -> Self {
        VersionError { version: version.to_string(), reason: reason.into() }
    }
}

/// The version ordering rules of one ecosystem family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    SemVer,
    Go,
    Pep440,
    Maven,
    RubyGems,
    NuGet,
    Composer,
    Cran,
    Hackage,
    Dpkg,
    Rpm,
    Apk,
}

impl Scheme {
    /// The scheme an ecosystem's versions follow, or `None` where customs has none
    /// (those versions are reported as "could not compare", never guessed).
    pub fn for_ecosystem(ecosystem: &Ecosystem) -> Option<Scheme> {
        use EcosystemKind::*;
        Some(match ecosystem.kind {
            CratesIo | Npm | Hex | Pub | SwiftUrl | Bitnami => Scheme::SemVer,
            Go => Scheme::Go,
            PyPI => Scheme::Pep440,
            Maven => Scheme::Maven,
            RubyGems => Scheme::RubyGems,
            NuGet => Scheme::NuGet,
            Packagist => Scheme::Composer,
            Cran => Scheme::Cran,
            Hackage | Ghc => Scheme::Hackage,
            Debian | Ubuntu => Scheme::Dpkg,
            AlmaLinux | RockyLinux | RedHat | Suse | OpenSuse => Scheme::Rpm,
            Alpine | Wolfi | Chainguard => Scheme::Apk,
            ConanCenter | Julia | Opam | Git | OssFuzz => return None,
        })
    }

    /// Orders two versions under this scheme.
    pub fn compare(self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        fn cmp<V: std::str::FromStr<Err = VersionError> + Ord>(a: &str, b: &str) -> Result<Ordering, VersionError> {
            Ok(a.parse::<V>()?.cmp(&b.parse::<V>()?))
        }
        match self {
            Scheme::SemVer => cmp::<semver::Version>(a, b),
            Scheme::Go => cmp::<go::Version>(a, b),
            Scheme::Pep440 => cmp::<pep440::Version>(a, b),
            Scheme::Maven => cmp::<maven::Version>(a, b),
            Scheme::RubyGems => cmp::<rubygems::Version>(a, b),
            Scheme::NuGet => cmp::<nuget::Version>(a, b),
            Scheme::Composer => cmp::<composer::Version>(a, b),
            Scheme::Cran => cmp::<cran::Version>(a, b),
            Scheme::Hackage => cmp::<hackage::Version>(a, b),
            Scheme::Dpkg => cmp::<dpkg::Version>(a, b),
            Scheme::Rpm => cmp::<rpm::Version>(a, b),
            Scheme::Apk => cmp::<apk::Version>(a, b),
        }
    }
}
