//! RPM package versions, ordered as rpm ≥ 4.15 orders EVRs (AlmaLinux, Rocky Linux, Red Hat, SUSE,
//! openSUSE).
//!
//! Reference: rpm's `rpmio/rpmvercmp.c` (`rpmvercmp`), `rpmio/rpmver.c` (`parseEVR`, `rpmverCmp`,
//! which is what `rpm.vercmp()` and `rpm.ver` compare with), and `build/parsePreamble.c` for which
//! characters a Version or Release may hold.
//!
//! Form: `[epoch:]version[-release]`. The epoch is a run of digits before the first `:` (empty means
//! 0; absent means 0). The release is everything after the last `-`.
//!
//! `rpmvercmp` on each part: characters other than ASCII letters, digits, `~` and `^` only separate
//! segments; segments are maximal runs of digits or of letters, and are compared in turn:
//! - `~` sorts before everything, the end of the string included (`1.0~rc1` < `1.0`);
//! - `^` sorts after the end of the string but before any further segment (`1.0` < `1.0^git1` <
//!   `1.0.1`);
//! - a numeric segment is newer than an alphabetic one; numeric segments compare as numbers of any
//!   length (leading zeros ignored), alphabetic ones byte-wise (`A` < `a`);
//! - when one side runs out of segments, the side with segments left is newer.
//!
//! EVRs compare by epoch (numerically), then version, then release. A release missing on *one*
//! side: rpm's dependency-range check (`rpmverOverlap`) ignores it, which is no order (`1.0` would
//! equal both `1.0-1` and `1.0-2`). customs uses `rpmverCmp`, rpm's own total order, instead: a
//! version without release sorts before the same version with any release (`1.0` < `1.0-0`).
//! OSV's fixed versions for these distributions always carry a release, so this only orders
//! sentinels like `introduced: "0"`.
//!
//! Any non-empty string is a version, as for librpm (`rpm.vercmp`, dnf): rpmbuild would refuse
//! `a:1.0`, `1.0-` or `1.0%{dist}` in a spec file, but advisories and package databases hold what
//! they hold, and librpm orders them all. So the epoch is there only when digits (or nothing) come
//! before the first `:` (`a:1.0` is a version with a `:` separator in it, `1:a:1.0` has epoch 1
//! and version `a:1.0`); the release is whatever follows the last `-`, even nothing (`1.0-`), and
//! the version may be empty (`-1`).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use super::VersionError;

/// A parsed EVR. Equality follows the ordering (`1.0` == `0:1.00`).
#[derive(Debug, Clone)]
pub struct Version {
    /// Digits without leading zeros; empty for epoch 0.
    epoch: String,
    version: String,
    release: Option<String>,
}

impl FromStr for Version {
    type Err = VersionError;

    /// Splits as librpm's `rpmverParse` does, accepting whatever it accepts: only the empty
    /// string is refused (`rpm.vercmp` refuses it too).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(VersionError::new(s, "empty version"));
        }
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        let (epoch, rest) = match s[digits..].strip_prefix(':') {
            Some(rest) => (s[..digits].trim_start_matches('0'), rest),
            None => ("", s),
        };
        let (version, release) = match rest.rsplit_once('-') {
            Some((version, release)) => (version, Some(release)),
            None => (rest, None),
        };
        Ok(Version { epoch: epoch.to_string(), version: version.to_string(), release: release.map(str::to_string) })
    }
}

/// rpm's `rpmvercmp`, comparing digit segments by length then lexically (no overflow).
fn rpmvercmp(a: &[u8], b: &[u8]) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let separator = |c: &u8| !c.is_ascii_alphanumeric() && *c != b'~' && *c != b'^';
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        while a.get(i).is_some_and(separator) {
            i += 1;
        }
        while b.get(j).is_some_and(separator) {
            j += 1;
        }
        let (x, y) = (a.get(i).copied(), b.get(j).copied());
        if x == Some(b'~') || y == Some(b'~') {
            if x != Some(b'~') {
                return Ordering::Greater;
            }
            if y != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if x == Some(b'^') || y == Some(b'^') {
            match (x, y) {
                (None, _) => return Ordering::Less,
                (_, None) => return Ordering::Greater,
                (Some(x), _) if x != b'^' => return Ordering::Greater,
                (_, Some(y)) if y != b'^' => return Ordering::Less,
                _ => {}
            }
            i += 1;
            j += 1;
            continue;
        }
        let (Some(x), Some(_)) = (x, y) else { break };
        let numeric = x.is_ascii_digit();
        let in_segment = |c: &u8| if numeric { c.is_ascii_digit() } else { c.is_ascii_alphabetic() };
        let end_a = i + a[i..].iter().take_while(|c| in_segment(c)).count();
        let end_b = j + b[j..].iter().take_while(|c| in_segment(c)).count();
        if end_b == j {
            // Segments of different kinds: the numeric one is newer.
            return if numeric { Ordering::Greater } else { Ordering::Less };
        }
        let (sa, sb) = (&a[i..end_a], &b[j..end_b]);
        let by_value = if numeric {
            let sa = trim_zeros(sa);
            let sb = trim_zeros(sb);
            sa.len().cmp(&sb.len()).then_with(|| sa.cmp(sb))
        } else {
            sa.cmp(sb)
        };
        if by_value != Ordering::Equal {
            return by_value;
        }
        i = end_a;
        j = end_b;
    }
    match (i >= a.len(), j >= b.len()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let zeros = digits.iter().take_while(|c| **c == b'0').count();
    &digits[zeros..]
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let epoch = self.epoch.len().cmp(&other.epoch.len()).then_with(|| self.epoch.cmp(&other.epoch));
        epoch.then_with(|| rpmvercmp(self.version.as_bytes(), other.version.as_bytes())).then_with(|| {
            match (&self.release, &other.release) {
                (Some(a), Some(b)) => rpmvercmp(a.as_bytes(), b.as_bytes()),
                (a, b) => a.is_some().cmp(&b.is_some()),
            }
        })
    }
}

eq_and_partial_ord_from_ord!(Version);

impl fmt::Display for Version {
    /// `epoch:version-release`, the epoch only when it is not 0 or the version would read as one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.version.bytes().take_while(u8::is_ascii_digit).count();
        if !self.epoch.is_empty() || self.version[digits..].starts_with(':') {
            write!(f, "{}:", if self.epoch.is_empty() { "0" } else { &self.epoch })?;
        }
        f.write_str(&self.version)?;
        if let Some(release) = &self.release {
            write!(f, "-{release}")?;
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

    /// `rpmvercmp` on raw strings, as rpm's test suite calls it.
    fn vercmp(a: &str, b: &str) -> i32 {
        rpmvercmp(a.as_bytes(), b.as_bytes()) as i32
    }

    #[test]
    fn native_vectors() {
        assert!(testing::check_native_vectors::<Version>("rpm", &[]) > 2900);
    }

    #[test]
    fn rpmvercmp_reference_cases() {
        // (a, b, rpmvercmp(a, b)) in the spirit of rpm's tests/rpmvercmp.at.
        let cases = [
            ("1.0", "1.0", 0),
            ("1.0", "2.0", -1),
            ("2.0.1", "2.0", 1),
            ("2.0.1a", "2.0.1", 1),
            ("5.5p1", "5.5p2", -1),
            ("5.5p1", "5.5p10", -1),
            ("10xyz", "10.1xyz", -1),
            ("xyz10", "xyz10.1", -1),
            ("xyz.4", "8", -1),
            ("xyz.4", "2", -1),
            ("5.5p2", "5.6p1", -1),
            ("6.0.rc1", "6.0", 1),
            ("10b2", "10a1", 1),
            ("1.0a", "1.0aa", -1),
            ("10.0001", "10.1", 0),
            ("10.0001", "10.0039", -1),
            ("4.999.9", "5.0", -1),
            ("20101121", "20101122", -1),
            ("2_0", "2.0", 0),
            ("a+", "a_", 0),
            ("+a", "_a", 0),
            ("_+", "+_", 0),
            ("+", "_", 0),
            ("1.0~rc1", "1.0", -1),
            ("1.0~rc1", "1.0~rc2", -1),
            ("1.0~rc1~git123", "1.0~rc1", -1),
            ("1.0^", "1.0", 1),
            ("1.0^git1", "1.0", 1),
            ("1.0^git1", "1.0^git2", -1),
            ("1.0^git1", "1.01", -1),
            ("1.0^20160101", "1.0.1", -1),
            ("1.0^20160101^git1", "1.0^20160102", -1),
            ("1.0~rc1^git1", "1.0~rc1", 1),
            ("1.0^git1~pre", "1.0^git1", -1),
            // rpm's documented oddities: a letter segment is older than a further dot segment ...
            ("1b.fc17", "1.fc17", -1),
            ("1g.fc17", "1.fc17", 1),
            // ... and non-ASCII bytes are mere separators.
            ("1.1.α", "1.1.β", 0),
            ("1.1.αα", "1.1.α", 0),
        ];
        for (a, b, want) in cases {
            assert_eq!(vercmp(a, b), want, "rpmvercmp({a:?}, {b:?})");
            assert_eq!(vercmp(b, a), -want, "rpmvercmp({b:?}, {a:?})");
        }
    }

    #[test]
    fn tilde_and_caret() {
        testing::assert_increasing::<Version>(&[
            "1.0~~",
            "1.0~rc1",
            "1.0~rc1^git1",
            "1.0~rc2",
            "1.0",
            "1.0^",
            "1.0^git1~pre",
            "1.0^git1",
            "1.0^git2",
            "1.0^git2^1",
            "1.0.0",
            "1.0.1",
        ]);
    }

    #[test]
    fn segments() {
        testing::assert_increasing::<Version>(&[
            "1", "1.A", "1.A.1", "1.Z", "1.a", "1.a.1", "1.z", "1.0", "1.1", "1.9", "1.10", "1.100",
        ]);
        testing::assert_increasing::<Version>(&["2.0", "2.0.1", "2.0.1a", "2.0.1b", "2.0.2"]);
        testing::assert_increasing::<Version>(&[
            "99999999999999999999",
            "100000000000000000000",
            "100000000000000000000.1",
        ]);
        testing::assert_increasing::<Version>(&["xyz.4", "2", "8", "10xyz", "10.1xyz"]);
    }

    #[test]
    fn epoch_version_release() {
        testing::assert_increasing::<Version>(&[
            "0",
            "1.0",
            "1.0-0",
            "1.0-1",
            "1.0-1.el8",
            "1.0-2",
            "1.0-10",
            "1.1-1",
            "1:0.1",
            "2:0",
        ]);
        testing::assert_increasing::<Version>(&["1.0-1~rc1", "1.0-1", "1.0-1^1", "1.0-1.1"]);
        // A missing release sorts first, even before a release starting with `~` (rpmverCmp).
        testing::assert_increasing::<Version>(&["1.0", "1.0-~1", "1.0-0"]);
        // Real distribution EVRs.
        testing::assert_increasing::<Version>(&[
            "0:4.18.0-348.el8",
            "0:4.18.0-348.7.1.el8_5",
            "4.18.0-348.12.2.el8_5",
            "0:4.18.0-372.9.1.el8",
            "0:5.14.0-70.13.1.el9_0",
        ]);
        testing::assert_increasing::<Version>(&[
            "3.6.8-38.module_el8.5.0+2569+5c5719bc",
            "3.6.8-38.module+el8.5.0+12207+5c5719bc",
            "3.6.8-39.module+el8.4.0+9999+aaaaaaaa",
        ]);
        testing::assert_increasing::<Version>(&[
            "1.1.1l-150400.7.28.1",
            "1.1.1l-150400.7.60.2",
            "1.1.1w-150600.5.3.1",
            "3.1.4-150600.5.3.1",
        ]);
        testing::assert_increasing::<Version>(&["1:1.0-1", "1:1.1-1", "2:0.1-1"]);
    }

    #[test]
    fn equalities() {
        testing::assert_equal::<Version>("1.0", "0:1.0");
        testing::assert_equal::<Version>("1.0", ":1.0");
        testing::assert_equal::<Version>("1.0", "000:1.0");
        testing::assert_equal::<Version>("1:1.0", "01:1.0");
        testing::assert_equal::<Version>("1.0-1", "1.00-01");
        testing::assert_equal::<Version>("1.0", "1_0");
        testing::assert_equal::<Version>("1.0", "1+0");
        testing::assert_equal::<Version>("1.0.", "1.0");
        testing::assert_equal::<Version>("1a", "1.a");
        testing::assert_equal::<Version>("10.0001", "10.1");
        testing::assert_equal::<Version>("1.0-1.el8", "1.0-1_el8");
    }

    #[test]
    fn components() {
        let x = v("2:1.2.3-4.el8");
        assert_eq!((x.epoch.as_str(), x.version.as_str(), x.release.as_deref()), ("2", "1.2.3", Some("4.el8")));
        let x = v("1.2.3");
        assert_eq!((x.epoch.as_str(), x.version.as_str(), x.release.as_deref()), ("", "1.2.3", None));
        let x = v("0:1.2.3-4");
        assert_eq!((x.epoch.as_str(), x.version.as_str(), x.release.as_deref()), ("", "1.2.3", Some("4")));
    }

    #[test]
    fn anything_librpm_takes_parses() {
        testing::assert_rejected::<Version>(&[""]);
        testing::assert_accepted::<Version>(&[
            "-1",
            "1:",
            "1:-1",
            "1.0-",
            "1-2-3",
            "1:2:3",
            "a:1.0",
            "1.0:1",
            "1..2",
            "...",
            "1.0 1",
            "1.0%{?dist}",
            "1.0é",
            "１.0",
            "~1",
            "^1",
            "_1",
            "1.0+git.1^20200101.abc",
            "99999999999999999999999",
            "99999999999999999999999:1",
        ]);
        let x = v("1:a:1.0");
        assert_eq!((x.epoch.as_str(), x.version.as_str(), x.release.as_deref()), ("1", "a:1.0", None));
        let x = v("-1:1.0");
        assert_eq!((x.epoch.as_str(), x.version.as_str(), x.release.as_deref()), ("", "", Some("1:1.0")));
    }

    #[test]
    fn display_round_trips() {
        for s in ["1.0", "1:1.0-1", "0:4.18.0-348.el8", "1.0^git1~pre-0.1", "0:5:3", "-1:1.0", "1.0-"] {
            assert_eq!(v(&v(s).to_string()), v(s));
        }
        assert_eq!(v("0:1.0-1").to_string(), "1.0-1");
        assert_eq!(v("007:1.0").to_string(), "7:1.0");
        assert_eq!(v("0:5:3").to_string(), "0:5:3");
    }

    fn version_string() -> impl Strategy<Value = String> {
        prop_oneof![
            // A small alphabet so that equal and near-equal versions occur often.
            "([0-1]{0,2}:)?[0-2a~^][0-2aB~^._+]{0,5}(-[0-2a~^][0-2a~^._]{0,3})?",
            "([0-9]{1,3}:)?[0-9][0-9A-Za-z._+~^]{0,10}(-[0-9][0-9A-Za-z._+~^]{0,8})?",
        ]
        .prop_filter("rpmbuild rejects `..`", |s| !s.contains(".."))
    }

    testing::order_properties!(Version, version_string());

    proptest! {
        #[test]
        fn never_panics_on_version_like_input(s in "[0-9a:.~^_+ -]{0,12}") {
            testing::check_no_panic::<Version>(&s);
        }

        #[test]
        fn rpmvercmp_is_antisymmetric_on_any_bytes(a in "\\PC{0,8}", b in "[0-9a~^.]{0,8}") {
            prop_assert_eq!(vercmp(&a, &b), -vercmp(&b, &a));
        }

        #[test]
        fn reflexive_and_roundtrip(s in version_string()) {
            testing::check_round_trip::<Version>(&s)?;
        }
    }
}
