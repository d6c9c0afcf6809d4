//! SemVer 2.0.0 (npm, crates.io, Hex, Pub, Swift, Bitnami).
//!
//! Precedence follows <https://semver.org/spec/v2.0.0.html> §11:
//! - `major.minor.patch` compare numerically (any length: digit strings, no overflow);
//! - a version with a prerelease sorts before the same version without one;
//! - prerelease identifiers compare left to right: numeric ones numerically, alphanumeric ones
//!   lexically in ASCII order, numeric < alphanumeric, and a shorter list sorts first when it is a
//!   prefix of the longer;
//! - build metadata (`+...`) is kept for display but ignored for ordering *and* equality.
//!
//! Parsing is lenient the way ecosystems publish and OSV normalises (npm's `loose` mode):
//! surrounding whitespace is trimmed; any leading run of `=`, `v` and whitespace is dropped
//! (`=v1.2.3`, `v 1.2.3`); after a full `major.minor.patch` a prerelease starting with a letter
//! may omit its `-` (`1.2.3beta`); leading zeros are tolerated in every numeric part (`01.2.3` is
//! `1.2.3`, `1.0.0-rc.01` is `1.0.0-rc.1`, as npm compares them). Beyond npm, and as OSV
//! normalises, a missing minor or patch is zero (`1.2` is `1.2.0`, `1-rc.1` is `1.0.0-rc.1`), and
//! numbers of any size are accepted (npm stops at 2^53 - 1, the `semver` crate at 2^64 - 1;
//! refusing them would only turn a comparison into "unknown"). Anything else — empty identifiers,
//! characters outside `[0-9A-Za-z-]`, `V1.2.3` — is an error. More than three release numbers
//! (`1.2.3.4`, published on npm and Pub before their registries checked) are kept and compared
//! after the patch, the shorter padded with zeros (`1.2.3` == `1.2.3.0` < `1.2.3.4` < `1.2.4`):
//! npm and osv.dev refuse such a version, which would leave it never matched, not even by itself.
//! npm's regex backtracking accidents (`1.2.3-` as prerelease `-`, `1.0.0101.0` as
//! `1.0.010-1.0`) are deliberately not reproduced.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use super::VersionError;

/// Orders two non-empty ASCII digit strings numerically, whatever their length.
/// Leading zeros are ignored.
pub(crate) fn cmp_numeric(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// A non-negative integer of any size: a digit string without leading zeros (`"0"` for zero),
/// ordered numerically. Shared by the schemes whose numbers may exceed `u64`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Num(String);

impl Num {
    /// Parses a non-empty ASCII digit string; leading zeros are dropped.
    pub(crate) fn parse(s: &str) -> Option<Num> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let trimmed = s.trim_start_matches('0');
        Some(Num(if trimmed.is_empty() { "0".to_string() } else { trimmed.to_string() }))
    }

    pub(crate) fn zero() -> Num {
        Num("0".to_string())
    }

    pub(crate) fn is_zero(&self) -> bool {
        self.0 == "0"
    }
}

impl Ord for Num {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_numeric(&self.0, &other.0)
    }
}

impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One prerelease identifier. Variant order gives numeric < alphanumeric.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Ident {
    Numeric(Num),
    Alpha(String),
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ident::Numeric(n) => n.fmt(f),
            Ident::Alpha(s) => f.write_str(s),
        }
    }
}

/// A SemVer 2.0.0 version; `Eq` and `Ord` ignore build metadata.
#[derive(Debug, Clone)]
pub struct Version {
    major: Num,
    minor: Num,
    patch: Num,
    /// Release numbers after the patch (`1.2.3.4`), which SemVer does not allow but published
    /// versions have; compared as if every version had as many, padded with zeros.
    extra: Vec<Num>,
    pre: Vec<Ident>,
    build: Vec<String>,
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

/// Splits `s` on `.` into identifiers, each non-empty and within `[0-9A-Za-z-]`.
fn identifiers<'a>(input: &str, s: &'a str, what: &str) -> Result<Vec<&'a str>, VersionError> {
    s.split('.')
        .map(|id| {
            if id.is_empty() {
                Err(VersionError::new(input, format!("empty {what} identifier")))
            } else if !id.bytes().all(is_ident_char) {
                Err(VersionError::new(input, format!("invalid character in {what} identifier {id:?}")))
            } else {
                Ok(id)
            }
        })
        .collect()
}

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let s = input.trim().trim_start_matches(|c: char| c == 'v' || c == '=' || c.is_whitespace());

        let (rest, build) = match s.split_once('+') {
            Some((rest, build)) => (rest, identifiers(input, build, "build")?),
            None => (s, Vec::new()),
        };
        let (core, tail) = rest.split_at(rest.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(rest.len()));
        let pre = match tail.strip_prefix('-') {
            Some(pre) => identifiers(input, pre, "prerelease")?,
            // npm's loose mode also takes a prerelease without its hyphen: `1.2.3beta`.
            None if tail.starts_with(|c: char| c.is_ascii_alphabetic()) && core.matches('.').count() == 2 => {
                identifiers(input, tail, "prerelease")?
            }
            None if tail.is_empty() => Vec::new(),
            None => return Err(VersionError::new(input, format!("unexpected {tail:?} after the release numbers"))),
        };

        let mut parts = core.split('.');
        let mut next = |required: bool| -> Result<Num, VersionError> {
            match parts.next() {
                None if !required => Ok(Num::zero()),
                Some(p) => {
                    Num::parse(p).ok_or_else(|| VersionError::new(input, format!("release part {p:?} is not a number")))
                }
                None => Err(VersionError::new(input, "missing major version")),
            }
        };
        let (major, minor, patch) = (next(true)?, next(false)?, next(false)?);
        let extra = parts
            .map(|p| {
                Num::parse(p).ok_or_else(|| VersionError::new(input, format!("release part {p:?} is not a number")))
            })
            .collect::<Result<Vec<Num>, _>>()?;

        let pre = pre
            .into_iter()
            .map(|id| Num::parse(id).map_or_else(|| Ident::Alpha(id.to_string()), Ident::Numeric))
            .collect();
        let build = build.into_iter().map(str::to_string).collect();
        Ok(Version { major, minor, patch, extra, pre, build })
    }
}

impl fmt::Display for Version {
    /// The normalised form: `major.minor.patch[-pre][+build]`, no `v`, no leading zeros.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        for n in &self.extra {
            write!(f, ".{n}")?;
        }
        for (i, id) in self.pre.iter().enumerate() {
            write!(f, "{}{id}", if i == 0 { '-' } else { '.' })?;
        }
        if !self.build.is_empty() {
            write!(f, "+{}", self.build.join("."))?;
        }
        Ok(())
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        (&self.major, &self.minor, &self.patch)
            .cmp(&(&other.major, &other.minor, &other.patch))
            .then_with(|| cmp_padded(&self.extra, &other.extra))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.pre.cmp(&other.pre),
            })
    }
}

eq_and_partial_ord_from_ord!(Version);

/// Compares two lists of numbers as if the shorter had zeros appended.
fn cmp_padded(a: &[Num], b: &[Num]) -> Ordering {
    let zero = Num::zero();
    (0..a.len().max(b.len()))
        .map(|i| a.get(i).unwrap_or(&zero).cmp(b.get(i).unwrap_or(&zero)))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

impl Version {
    /// The build metadata identifiers (`+build.1` → `["build", "1"]`), which SemVer ignores but
    /// Pub orders by.
    pub(crate) fn build(&self) -> &[String] {
        &self.build
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
    fn native_vectors() {
        assert!(testing::check_native_vectors::<Version>("semver", &[]) > 2700);
    }

    #[test]
    fn spec_precedence_examples() {
        // semver.org §11, in order.
        testing::assert_increasing::<Version>(&["1.0.0", "2.0.0", "2.1.0", "2.1.1"]);
        testing::assert_increasing::<Version>(&[
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
        ]);
    }

    #[test]
    fn increasing_sequence() {
        testing::assert_increasing::<Version>(&[
            "0.0.0-0",
            "0.0.0-0.0",
            "0.0.0-1",
            "0.0.0--",
            "0.0.0-A",
            "0.0.0-Z",
            "0.0.0-a",
            "0.0.0",
            "0.0.1",
            "0.0.9",
            "0.0.10",
            "0.1.0-rc.9",
            "0.1.0-rc.10",
            "0.1.0",
            "0.9.99999999999999999999",
            "0.10.0",
            "1.0.0-2",
            "1.0.0-10",
            "1.0.0-1a",
            "1.0.0-alpha",
            "1.0.0-alpha.0",
            "1.0.0-alpha.0.0",
            "1.0.0-alpha.1",
            "1.0.0-alpha.-1",
            "1.0.0-alpha.a",
            "1.0.0-alpha-1",
            "1.0.0-alphaa",
            "1.0.0",
            "1.2.3",
            "10.0.0",
            "99999999999999999999.0.0",
            "100000000000000000000.0.0",
        ]);
    }

    /// More than three release numbers: equal to itself, ordered after the patch, zero-padded.
    #[test]
    fn more_than_three_release_numbers() {
        testing::assert_equal::<Version>("1.2.3.4", "1.2.3.4");
        testing::assert_equal::<Version>("1.2.3", "1.2.3.0.0");
        testing::assert_increasing::<Version>(&[
            "1.2.3-rc.1",
            "1.2.3.4-rc.1",
            "1.2.3.4",
            "1.2.3.4.1",
            "1.2.3.5",
            "1.2.3.10",
            "1.2.4-alpha",
            "1.2.4",
        ]);
        assert_eq!(v("v1.2.3.04-beta+b").to_string(), "1.2.3.4-beta+b");
    }

    #[test]
    fn equalities() {
        let equal = [
            ("1.2.3", "v1.2.3"),
            ("1.2.3", "=1.2.3"),
            ("1.2.3", "=v1.2.3"),
            ("1.2.3", "= v1.2.3"),
            ("1.2.3", "  1.2.3\n"),
            ("1.2.3", "vv1.2.3"),
            ("1.2.3", "v=v \t1.2.3"),
            ("1.2.3-beta", "1.2.3beta"),
            ("1.2.3-beta.1", "v1.2.3beta.1"),
            ("1.2.0-rc", "1.2-rc"),
            ("1.2.0", "1.2"),
            ("1.0.0", "1"),
            ("1.0.0-rc.1", "1-rc.1"),
            ("1.2.3", "01.002.0003"),
            ("1.2.3-rc.1", "1.2.3-rc.01"),
            ("1.2.3", "1.2.3+build.5"),
            ("1.2.3+a", "1.2.3+b"),
            ("1.2.3-rc.1+x", "1.2.3-rc.1+y.z"),
            ("00000000000000000000000000001.0.0", "1.0.0"),
        ];
        testing::assert_equal_pairs::<Version>(&equal);
    }

    #[test]
    fn parse_errors() {
        testing::assert_rejected::<Version>(&[
            "",
            " ",
            "v",
            "=",
            "...",
            "1..2",
            "1.2.",
            ".1.2",
            "1.2.3-",
            "1.2.3+",
            "1.2.3-alpha..1",
            "1.2.3-alpha.",
            "1.2.3+build..1",
            "1.2.3-al_pha",
            "1.2.3_beta",
            "1.2.beta",
            "1.2rc",
            "0a.0.10",
            "1.0rc.0",
            "V1.2.3",
            "1.2.3.beta",
            "1.2.x",
            "1.2.*",
            "a.b.c",
            "-1.2.3",
            "1.-2.3",
            "1.2.3-β",
            "１.2.3",
            "1.2.3 4",
            "latest",
            "1.2.3+build+more",
        ]);
    }

    #[test]
    fn display_is_normalised() {
        assert_eq!(v("=v01.2").to_string(), "1.2.0");
        assert_eq!(v("1.2.3-rc.01+b.7").to_string(), "1.2.3-rc.1+b.7");
        assert_eq!(v("99999999999999999999.0.0").to_string(), "99999999999999999999.0.0");
    }

    #[test]
    fn cmp_numeric_handles_any_length() {
        assert_eq!(cmp_numeric("0099", "100"), Ordering::Less);
        assert_eq!(cmp_numeric("000", "0"), Ordering::Equal);
        assert_eq!(cmp_numeric("18446744073709551616", "18446744073709551615"), Ordering::Greater);
    }

    fn version_string() -> impl Strategy<Value = String> {
        // A small alphabet so that equal and near-equal versions occur often.
        "[v=]?0{0,1}[0-2](\\.0?[0-2]){0,2}(-([0-2]|0[0-2]|[ab-]{1,2})(\\.([0-2]|[ab-]{1,2})){0,2})?(\\+[0-9a-z]{1,2})?"
    }

    testing::order_properties!(Version, version_string());

    proptest! {
        #[test]
        fn reflexive_and_roundtrip(s in version_string()) {
            testing::check_round_trip::<Version>(&s)?;
        }
    }
}
