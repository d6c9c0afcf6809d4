//! Pub (Dart) versions, as `pub_semver` and osv.dev order them: SemVer (see [`super::semver`]),
//! except that build metadata counts. Pub follows SemVer 2.0.0-rc.1, where a version with build
//! metadata sorts after the same version without, and build identifiers compare as prerelease
//! identifiers do (numbers numerically and before words, words in ASCII order, a shorter list
//! first): `1.0.0-pre` < `1.0.0-pre+build` < `1.0.0` < `1.0.0+build`, `1.2.3+1` < `1.2.3+2`.
//!
//! osv.dev compares build metadata as one joined string of zero-padded identifiers; customs
//! compares the identifier lists as `pub_semver` does. They differ only for a build identifier
//! holding a `-` next to a `.` (`+a-b` against `+a.b`) or a number longer than eight digits.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use super::semver::{self, Num};
use super::VersionError;

/// A Pub version. Equality follows the ordering (`1.0.0+01` == `1.0.0+1`, `1.0.0` != `1.0.0+1`).
#[derive(Debug, Clone)]
pub struct Version {
    semver: semver::Version,
}

/// One build identifier. Variant order gives numeric < word.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Build<'a> {
    Numeric(Num),
    Word(&'a str),
}

impl Version {
    fn build_key(&self) -> Vec<Build<'_>> {
        let build = self.semver.build();
        build.iter().map(|id| Num::parse(id).map_or(Build::Word(id), Build::Numeric)).collect()
    }
}

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Version { semver: s.parse()? })
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        // No build (an empty list) sorts before any build, as a shorter list does.
        self.semver.cmp(&other.semver).then_with(|| self.build_key().cmp(&other.build_key()))
    }
}

eq_and_partial_ord_from_ord!(Version);

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.semver.fmt(f)
    }
}

#[cfg(test)]
mod tests;
