//! RubyGems Gem::Version. Not yet written: compares as plain strings.

use std::cmp::Ordering;
use std::str::FromStr;

use super::VersionError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version(String);

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(VersionError::new(s, "empty version"));
        }
        Ok(Version(s.to_string()))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp(&other.0)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
