//! NuGet versions, as `NuGetVersion.TryParse` and `VersionComparer.Default` (NuGet.Versioning).
//!
//! Syntax (surrounding whitespace trimmed): `N(.N){0,3}[-label(.label)*][+meta(.meta)*]`. One to
//! four numbers, missing ones being `0` (`1` == `1.0` == `1.0.0.0`); numbers may have leading
//! zeros and are compared at any size. Labels and metadata parts are non-empty `[0-9A-Za-z-]`;
//! an all-digit label has no leading zero (`1.0.0-01` is invalid), metadata parts may. No leading
//! `v` (NuGet rejects `v1.0.0`).
//!
//! Ordering: major, minor, patch, revision numerically; a release sorts after its prereleases;
//! labels compare left to right, a shorter list first when it is a prefix of the longer. A label
//! that is a 32-bit integer (`int.TryParse`, so `-1` is minus one and `99999999999` is not a
//! number) compares numerically and before any other label; other labels compare ordinally,
//! ignoring case (`1.0.0-BETA` == `1.0.0-beta`). Build metadata is ignored for ordering and
//! equality.
//!
//! Two departures, both on strings nuget.org cannot hold: NuGet 6's parser reads an empty number
//! (`1..2`, `1.`, `.1`) as `0` and lets numbers above 2^31 - 1 wrap around; here the first is an
//! error and the second compares exactly.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use super::semver::Num;
use super::VersionError;

/// A NuGet version. `Eq` is `cmp == Equal`: metadata and label case are ignored.
#[derive(Debug, Clone)]
pub struct Version {
    /// Major, minor, patch, revision.
    numbers: [Num; 4],
    labels: Vec<String>,
    metadata: Option<String>,
}

fn is_label_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

/// `IsValidPart`: non-empty, `[0-9A-Za-z-]`, and (for labels) no leading zero on a number.
fn valid_part(part: &str, allow_leading_zeros: bool) -> bool {
    let leading_zero = part.len() > 1 && part.starts_with('0') && part.bytes().all(|b| b.is_ascii_digit());
    !part.is_empty() && part.bytes().all(is_label_char) && (allow_leading_zeros || !leading_zero)
}

fn parse(s: &str) -> Result<Version, String> {
    // The version ends at the first `-` or `+`; labels run from a `-` to the next `+`.
    let (version, labels, metadata) = match s.find(['-', '+']) {
        Some(i) if s.as_bytes()[i] == b'+' => (&s[..i], None, Some(&s[i + 1..])),
        Some(i) => match s[i + 1..].split_once('+') {
            Some((labels, metadata)) => (&s[..i], Some(labels), Some(metadata)),
            None => (&s[..i], Some(&s[i + 1..]), None),
        },
        None => (s, None, None),
    };

    let parts: Vec<&str> = version.split('.').collect();
    if parts.len() > 4 {
        return Err("more than four version numbers".into());
    }
    let mut numbers: [Num; 4] = std::array::from_fn(|_| Num::zero());
    for (slot, part) in numbers.iter_mut().zip(&parts) {
        *slot = Num::parse(part).ok_or_else(|| format!("version part {part:?} is not a number"))?;
    }

    let labels: Vec<String> = labels.map_or_else(Vec::new, |l| l.split('.').map(str::to_string).collect());
    if let Some(bad) = labels.iter().find(|l| !valid_part(l, false)) {
        return Err(format!("invalid release label {bad:?}"));
    }
    if let Some(meta) = metadata {
        if !meta.split('.').all(|p| valid_part(p, true)) {
            return Err(format!("invalid build metadata {meta:?}"));
        }
    }
    Ok(Version { numbers, labels, metadata: metadata.map(str::to_string) })
}

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        parse(input.trim()).map_err(|reason| VersionError::new(input, reason))
    }
}

/// `VersionComparer.CompareRelease`: 32-bit integers numerically and first, the rest ignoring case.
fn cmp_label(a: &str, b: &str) -> Ordering {
    match (a.parse::<i32>(), b.parse::<i32>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        (Err(_), Err(_)) => a.bytes().map(|c| c.to_ascii_lowercase()).cmp(b.bytes().map(|c| c.to_ascii_lowercase())),
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.numbers.cmp(&other.numbers).then_with(|| match (self.labels.is_empty(), other.labels.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => self
                .labels
                .iter()
                .zip(&other.labels)
                .map(|(a, b)| cmp_label(a, b))
                .find(|o| o.is_ne())
                .unwrap_or_else(|| self.labels.len().cmp(&other.labels.len())),
        })
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
    /// `ToNormalizedString`: three numbers, a fourth only when non-zero, then labels and metadata.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [major, minor, patch, revision] = &self.numbers;
        write!(f, "{major}.{minor}.{patch}")?;
        if !revision.is_zero() {
            write!(f, ".{revision}")?;
        }
        if !self.labels.is_empty() {
            write!(f, "-{}", self.labels.join("."))?;
        }
        if let Some(meta) = &self.metadata {
            write!(f, "+{meta}")?;
        }
        Ok(())
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
            "0.0.0-0",
            "0.0.1",
            "0.9.9.9",
            "1.0.0-alpha",
            "1.0.0-alpha.-1",
            "1.0.0-alpha.1",
            "1.0.0-alpha.2147483647",
            "1.0.0-alpha.-",
            "1.0.0-alpha.2147483648",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.0.1-alpha",
            "1.0.0.1",
            "1.0.0.10",
            "1.0.1-0",
            "1.0.1-1",
            "1.0.1-a",
            "1.0.1",
            "1.2",
            "1.10",
            "2147483648.0",
            "99999999999999999999999",
        ]);
    }

    #[test]
    fn equalities() {
        testing::assert_equal_pairs::<Version>(&[
            ("1", "1.0.0"),
            ("1.0", "1.0.0.0"),
            ("1.0.0", " 1.0.0 \t"),
            ("1.0.0", "01.00.000"),
            ("1.0.0", "1.0.0+build.5"),
            ("1.0.0+a", "1.0.0+b"),
            ("1.0.0-BETA", "1.0.0-beta"),
            ("1.0.0-Beta.X", "1.0.0-bEtA.x+meta"),
            ("1.0.0-a.-0", "1.0.0-a.0"),
            ("1.0.0-a.-1", "1.0.0-a.-01"),
        ]);
    }

    #[test]
    fn display_is_normalised() {
        for (input, normal) in [
            ("1", "1.0.0"),
            ("1.0.0.0", "1.0.0"),
            ("01.2.3.4", "1.2.3.4"),
            ("1.0-Beta.1+Meta", "1.0.0-Beta.1+Meta"),
            (" 2.0+b-c ", "2.0.0+b-c"),
        ] {
            assert_eq!(v(input).to_string(), normal, "{input}");
        }
    }

    #[test]
    fn parse_errors() {
        testing::assert_rejected::<Version>(&[
            "",
            "  ",
            "v1.0.0",
            "V1.0",
            "a.b",
            "...",
            "1..2",
            "1.",
            ".1",
            "1.0.0.0.0",
            "1.0.0-",
            "1.0.0+",
            "1.0.0-+b",
            "1.0.0-a+",
            "1.0.0-01",
            "1.0.0-a.00",
            "1.0.0-beta..1",
            "1.0.0-beta_1",
            "1.0.0+a+b",
            "1.0.0+a..b",
            "1. 0",
            "-1.0",
            "+1.0",
            "1.0.0-ü",
            "１.0",
            "1.0.x",
        ]);
        testing::assert_accepted::<Version>(&["1.0.0-0", "1.0.0-0a", "1.0.0+001", "1.0.0-a-b--c", "1.0.0+b-c.0d"]);
    }

    fn version_string() -> impl Strategy<Value = String> {
        "0?[0-2](\\.0?[0-2]){0,3}(-([0-2]|-[0-2]|[aAbB]{1,2}|-)(\\.([0-2]|[aAbB]{1,2})){0,2})?(\\+[0-9a-z]{1,2})?"
    }

    testing::order_properties!(Version, version_string());

    proptest! {
        #[test]
        fn reflexive_and_display_round_trips(s in version_string()) {
            testing::check_round_trip::<Version>(&s)?;
        }
    }
}
