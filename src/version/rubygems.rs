//! RubyGems versions, as `Gem::Version`.
//!
//! Valid strings match `ANCHORED_VERSION_PATTERN`: optional ASCII whitespace around
//! `[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?` — a leading number, dotted
//! alphanumeric segments, and an optional `-` part. (`Gem::Version` also takes an empty or blank
//! string as `0`; a blank version in a lockfile is junk, so here it is an error.)
//!
//! After stripping, every `-` becomes `.pre.` (`1.0-rc1` is `1.0.pre.rc1`). The version is then
//! scanned into segments, each a run of digits (a number of any size) or of letters (a string,
//! case-sensitive): `1.0.a1` is `1, 0, "a", 1`. A string segment makes the version a prerelease.
//!
//! Ordering (`Gem::Version#<=>` on `canonical_segments`): the segments are split at the first
//! string into a numeric part and the rest, trailing zeros are dropped from both (`1.0` == `1`,
//! `1.0.a` == `1.a`), and the results are compared left to right, the shorter padded with `0`:
//! numbers numerically, strings bytewise, and any string < any number (`1.a` < `1` < `1.0.1`).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use super::semver::Num;
use super::VersionError;

/// One segment; variant order makes every string sort before every number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Segment {
    Str(String),
    Num(Num),
}

impl Segment {
    fn is_zero(&self) -> bool {
        matches!(self, Segment::Num(n) if n.is_zero())
    }
}

/// A `Gem::Version`. `Eq` is `cmp == Equal` (`1.0` == `1`).
#[derive(Debug, Clone)]
pub struct Version {
    /// The stripped version with `-` replaced by `.pre.`, as `Gem::Version#version`.
    version: String,
    canonical: Vec<Segment>,
}

/// Ruby's `\s`: ASCII whitespace only.
fn is_ruby_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}

fn check_pattern(s: &str) -> Result<(), String> {
    let (release, pre) = match s.split_once('-') {
        Some((release, pre)) => (release, Some(pre)),
        None => (s, None),
    };
    let mut parts = release.split('.');
    let first = parts.next().unwrap_or_default();
    if first.is_empty() || !first.bytes().all(|b| b.is_ascii_digit()) {
        return Err("a version starts with a number".into());
    }
    if parts.any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_alphanumeric())) {
        return Err("release segments are non-empty [0-9a-zA-Z]+".into());
    }
    if let Some(pre) = pre {
        if pre.split('.').any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')) {
            return Err("prerelease segments are non-empty [0-9A-Za-z-]+".into());
        }
    }
    Ok(())
}

/// Runs of digits or of letters; anything else separates them.
fn scan_segments(version: &str) -> Vec<Segment> {
    let mut segments = Vec::new();
    let mut rest = version;
    while let Some(start) = rest.find(|c: char| c.is_ascii_alphanumeric()) {
        rest = &rest[start..];
        let digits = rest.as_bytes()[0].is_ascii_digit();
        let len = rest
            .find(|c: char| if digits { !c.is_ascii_digit() } else { !c.is_ascii_alphabetic() })
            .unwrap_or(rest.len());
        let run = &rest[..len];
        segments.push(Num::parse(run).map_or_else(|| Segment::Str(run.to_string()), Segment::Num));
        rest = &rest[len..];
    }
    segments
}

/// The numeric part and the rest, each without trailing zeros, joined.
fn canonical_segments(mut segments: Vec<Segment>) -> Vec<Segment> {
    let string_start = segments.iter().position(|s| matches!(s, Segment::Str(_))).unwrap_or(segments.len());
    let mut rest = segments.split_off(string_start);
    for part in [&mut segments, &mut rest] {
        while part.last().is_some_and(Segment::is_zero) {
            part.pop();
        }
    }
    segments.append(&mut rest);
    segments
}

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let s = input.trim_matches(is_ruby_space);
        if s.is_empty() {
            return Err(VersionError::new(input, "empty version"));
        }
        check_pattern(s).map_err(|reason| VersionError::new(input, reason))?;
        let version = s.replace('-', ".pre.");
        let canonical = canonical_segments(scan_segments(&version));
        Ok(Version { version, canonical })
    }
}

impl Version {
    /// True when any segment is a string (`Gem::Version#prerelease?`).
    pub fn is_prerelease(&self) -> bool {
        self.version.bytes().any(|b| b.is_ascii_alphabetic())
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let zero = Segment::Num(Num::zero());
        let len = self.canonical.len().max(other.canonical.len());
        (0..len)
            .map(|i| self.canonical.get(i).unwrap_or(&zero).cmp(other.canonical.get(i).unwrap_or(&zero)))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Version {}

impl fmt::Display for Version {
    /// `Gem::Version#to_s`: the stripped input with `-` as `.pre.`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::testing;
    use proptest::prelude::*;

    fn v(s: &str) -> Version {
        testing::parse(s)
    }

    #[test]
    fn increasing_sequence() {
        testing::assert_increasing_pairwise::<Version>(&[
            "0.0.beta",
            "0.beta.1",
            "0.1",
            "1.0.0.a",
            "1.0.a1",
            "1.0.a2",
            "1.0.a9",
            "1.0.a10",
            "1.0.b1",
            "1.0.0-rc1",
            "1.0.rc1",
            "1.0.rc1.1",
            "1.0.rc2",
            "1.0",
            "1.0.0.1",
            "1.0.1",
            "1.1.pre",
            "1.1",
            "1.9.3",
            "1.10",
            "5.a",
            "5.0.0.rc2",
            "5.x",
            "5",
            "18446744073709551616",
            "99999999999999999999999.1",
        ]);
        // Strings compare bytewise: upper case before lower case.
        testing::assert_increasing_pairwise::<Version>(&["1.0.RC1", "1.0.a", "1.0.rc1"]);
    }

    #[test]
    fn equalities() {
        testing::assert_equal_pairs::<Version>(&[
            ("1.0", "1"),
            ("1.0", "1.0.0"),
            ("1.0", " 1.0\n"),
            ("1.0", "\t1.0 "),
            ("01.02", "1.2"),
            ("0.beta.1", "0.0.beta.1"),
            ("1.a", "1.0.a"),
            ("1.0.a", "1.0.a0"),
            ("1.0.a.0.0", "1.0.a"),
            ("1.0a", "1.0.a"),
            ("1.0-rc1", "1.0.pre.rc1"),
            ("1-1", "1.pre.1"),
            ("1.0.0.a1", "1.a.1"),
            ("0", "0.0.0"),
        ]);
    }

    #[test]
    fn prerelease_and_display() {
        assert!(v("1.0.a").is_prerelease());
        assert!(v("1.0-1").is_prerelease());
        assert!(!v("1.0.0").is_prerelease());
        assert_eq!(v(" 1.0-rc1 ").to_string(), "1.0.pre.rc1");
    }

    #[test]
    fn parse_errors() {
        testing::assert_rejected::<Version>(&[
            "",
            "   ",
            "junk",
            "a.1",
            "v1.0",
            ".1",
            "1.",
            "1..2",
            "...",
            "1a",
            "1.0-",
            "1.0-a..b",
            "1.0-a.",
            "1.0_1",
            "1.0 1",
            "1.0\n2.0",
            "1.0+build",
            "-1",
            "1.ü",
            "１.0",
            "1.0\u{a0}",
            "2.3422222.222.222222222.22222.ads0as.dasd0.ddd2222.2.qd3e.",
        ]);
        testing::assert_accepted::<Version>(&["1.0-a-b", "1.0-a-", "1.0--", "1.0.a-1.b", "1.2.3.4.5.6"]);
    }

    fn version_string() -> impl Strategy<Value = String> {
        "[0-2]{1,2}(\\.([0-2]|00|[aAbz]{1,2}|a[0-2]|0a)){0,4}(-([0-2]|[ab]|b-1)(\\.([0-2]|[ab])){0,2})?"
    }

    testing::order_properties!(Version, version_string());

    proptest! {
        #[test]
        fn reflexive_and_display_round_trips(s in version_string()) {
            testing::check_round_trip::<Version>(&s)?;
        }
    }
}
