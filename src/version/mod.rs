//! Version schemes: one module per ecosystem family, each a total order faithful to
//! the ecosystem's own tool. Matching never compares version strings itself; it asks
//! [`Scheme::compare`].
//!
//! Every scheme module exposes a `Version` type with `FromStr` (a [`VersionError`] for
//! input the real tool would reject) and `Ord`.

use std::cmp::Ordering;

use crate::model::{Ecosystem, EcosystemKind};

/// `PartialOrd`, `PartialEq` and `Eq` from a type's `Ord`: versions that compare equal
/// are equal (`1.0` and `1.0.0` in several schemes), which a derive would get wrong.
macro_rules! eq_and_partial_ord_from_ord {
    ($type:ty) => {
        impl PartialOrd for $type {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl PartialEq for $type {
            fn eq(&self, other: &Self) -> bool {
                self.cmp(other) == std::cmp::Ordering::Equal
            }
        }

        impl Eq for $type {}
    };
}

pub mod apk;
pub mod composer;
pub mod cran;
pub mod dpkg;
pub mod go;
pub mod hackage;
pub mod maven;
pub mod nuget;
pub mod pep440;
pub mod pub_semver;
pub mod rpm;
pub mod rubygems;
pub mod semver;
#[cfg(test)]
pub(crate) mod testing;

/// A version string this scheme cannot order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot parse version {version:?}: {reason}")]
pub struct VersionError {
    /// The version, as given.
    pub version: String,
    /// Why the scheme cannot read it.
    pub reason: String,
}

impl VersionError {
    /// `version` cannot be ordered, for `reason`.
    pub fn new(version: &str, reason: impl Into<String>) -> Self {
        VersionError { version: version.to_string(), reason: reason.into() }
    }
}

/// The version ordering rules of one ecosystem family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Semantic Versioning 2.0 (crates.io, npm, Hex, SwiftURL).
    SemVer,
    /// SemVer with build metadata ordered (Pub).
    Pub,
    /// Go module versions (semver with `+incompatible` and pseudo-versions).
    Go,
    /// PEP 440 (PyPI).
    Pep440,
    /// Maven's ComparableVersion.
    Maven,
    /// RubyGems' Gem::Version.
    RubyGems,
    /// NuGet's (semver with a fourth number, case-insensitive labels).
    NuGet,
    /// Composer's (Packagist).
    Composer,
    /// R's package_version (CRAN).
    Cran,
    /// Haskell's Data.Version (Hackage, GHC).
    Hackage,
    /// Debian's (dpkg), epochs and tildes.
    Dpkg,
    /// rpm's (rpmvercmp), epochs and tildes.
    Rpm,
    /// Alpine's apk-tools.
    Apk,
}

impl Scheme {
    /// The scheme an ecosystem's versions follow, or `None` where customs has none
    /// (those versions are reported as "could not compare", never guessed).
    pub fn for_ecosystem(ecosystem: &Ecosystem) -> Option<Scheme> {
        use EcosystemKind::*;
        Some(match ecosystem.kind {
            CratesIo | Npm | Hex | SwiftUrl | Bitnami => Scheme::SemVer,
            Pub => Scheme::Pub,
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
        Ok(self.parse(a)?.cmp(&self.parse(b)?))
    }

    /// Parses a version once, for many comparisons.
    pub fn parse(self, s: &str) -> Result<Parsed, VersionError> {
        Ok(match self {
            Scheme::SemVer => Parsed::SemVer(s.parse()?),
            Scheme::Pub => Parsed::Pub(s.parse()?),
            Scheme::Go => Parsed::Go(s.parse()?),
            Scheme::Pep440 => Parsed::Pep440(s.parse()?),
            Scheme::Maven => Parsed::Maven(s.parse()?),
            Scheme::RubyGems => Parsed::RubyGems(s.parse()?),
            Scheme::NuGet => Parsed::NuGet(s.parse()?),
            Scheme::Composer => Parsed::Composer(s.parse()?),
            Scheme::Cran => Parsed::Cran(s.parse()?),
            Scheme::Hackage => Parsed::Hackage(s.parse()?),
            Scheme::Dpkg => Parsed::Dpkg(s.parse()?),
            Scheme::Rpm => Parsed::Rpm(s.parse()?),
            Scheme::Apk => Parsed::Apk(s.parse()?),
        })
    }
}

/// A version parsed under one scheme. Versions of one scheme form a total order;
/// [`Scheme::parse`] is the only way to make one, so comparing versions of two
/// schemes cannot happen by accident (it orders by scheme, never by string).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Parsed {
    /// A semantic version.
    SemVer(semver::Version),
    /// A Pub version (build metadata ordered).
    Pub(pub_semver::Version),
    /// A Go module version.
    Go(go::Version),
    /// A PEP 440 version.
    Pep440(pep440::Version),
    /// A Maven version.
    Maven(maven::Version),
    /// A RubyGems version.
    RubyGems(rubygems::Version),
    /// A NuGet version.
    NuGet(nuget::Version),
    /// A Composer version.
    Composer(composer::Version),
    /// A CRAN version.
    Cran(cran::Version),
    /// A Hackage version.
    Hackage(hackage::Version),
    /// A Debian version.
    Dpkg(dpkg::Version),
    /// An rpm version.
    Rpm(rpm::Version),
    /// An Alpine version.
    Apk(apk::Version),
}
