//! Debian package versions, ordered as `dpkg --compare-versions` orders them (Debian, Ubuntu).
//!
//! Reference: Debian Policy §5.6.12 and dpkg's `lib/dpkg/version.c` (`verrevcmp`) and
//! `lib/dpkg/parsehelp.c` (`parseversion`).
//!
//! Form: `[epoch:]upstream[-revision]`.
//! - Surrounding blanks (space, tab) are trimmed; blanks inside are an error.
//! - The epoch is everything before the *first* `:`; it must be a non-empty run of digits no larger
//!   than `i32::MAX` (dpkg: "epoch in version is empty / not number / too big"). Absent, it is 0.
//! - The revision is everything after the *last* `-` of the rest; a `-` with nothing after it is an
//!   error. Absent, the revision is the empty string, which compares equal to `0` (`1.0` == `1.0-0`).
//! - An empty upstream version is an error.
//!
//! Comparison: epoch numerically, then upstream, then revision, each with `verrevcmp`: the strings
//! are walked as alternating non-digit and digit runs. Non-digit runs compare character by
//! character with `~` before everything (even the end of the string), then the end of the string,
//! then letters (ASCII order), then every other character (ASCII order). Digit runs compare
//! numerically, whatever their length (leading zeros ignored, so `1.01` == `1.1`).
//!
//! Leniency: dpkg only *warns* when the upstream version does not start with a digit or a version
//! holds characters outside `[A-Za-z0-9.+~-:]` (revision: `[A-Za-z0-9.+~]`), and
//! `--compare-versions` still compares them. The security trackers carry a few such versions, so
//! they are accepted and ordered exactly as dpkg orders them. Non-ASCII and control characters are
//! rejected: dpkg's order for bytes above 0x7f depends on the platform's `char` signedness. An
//! epoch with a sign (`+1:2`, which `strtol` would take) is rejected too.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use super::VersionError;

/// A parsed Debian version. Equality follows the ordering (`1.0` == `0:1.00-0`).
#[derive(Debug, Clone)]
pub struct Version {
    epoch: u32,
    upstream: String,
    revision: String,
}

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| VersionError::new(s, reason);
        let blank = |c: char| c == ' ' || c == '\t';
        let text = s.trim_matches(blank);
        if text.is_empty() {
            return Err(err("version string is empty"));
        }
        if text.contains(blank) {
            return Err(err("version string has embedded spaces"));
        }
        if !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(err("version has a non-ASCII or control character"));
        }
        let (epoch, rest) = match text.split_once(':') {
            Some((epoch, rest)) => {
                if epoch.is_empty() {
                    return Err(err("epoch in version is empty"));
                }
                if !epoch.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(err("epoch in version is not number"));
                }
                let epoch = parse_epoch(epoch).ok_or_else(|| err("epoch in version is too big"))?;
                if rest.is_empty() {
                    return Err(err("nothing after colon in version number"));
                }
                (epoch, rest)
            }
            None => (0, text),
        };
        let (upstream, revision) = match rest.rsplit_once('-') {
            Some((_, "")) => return Err(err("revision number is empty")),
            Some((upstream, revision)) => (upstream, revision),
            None => (rest, ""),
        };
        if upstream.is_empty() {
            return Err(err("upstream version is empty"));
        }
        Ok(Version { epoch, upstream: upstream.to_string(), revision: revision.to_string() })
    }
}

/// A digit string as an epoch, `None` past `i32::MAX` (dpkg keeps epochs in an `int`).
fn parse_epoch(digits: &str) -> Option<u32> {
    let digits = digits.trim_start_matches('0');
    if digits.len() > 10 {
        return None;
    }
    let value = if digits.is_empty() { 0 } else { digits.parse::<u64>().ok()? };
    u32::try_from(value).ok().filter(|v| *v <= i32::MAX as u32)
}

/// dpkg's weight of a character inside a non-digit run; `None` is the end of the string.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`, with digit runs compared by length then lexically (no overflow).
fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        while a.get(i).is_some_and(|c| !c.is_ascii_digit()) || b.get(j).is_some_and(|c| !c.is_ascii_digit()) {
            let (x, y) = (order(a.get(i).copied()), order(b.get(j).copied()));
            if x != y {
                return x.cmp(&y);
            }
            // Equal weights outside digits mean the same character on both sides.
            i += 1;
            j += 1;
        }
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let (si, sj) = (i, j);
        while a.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        let (x, y) = (&a[si..i], &b[sj..j]);
        let by_value = x.len().cmp(&y.len()).then_with(|| x.cmp(y));
        if by_value != Ordering::Equal {
            return by_value;
        }
    }
    Ordering::Equal
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(self.upstream.as_bytes(), other.upstream.as_bytes()))
            .then_with(|| verrevcmp(self.revision.as_bytes(), other.revision.as_bytes()))
    }
}

eq_and_partial_ord_from_ord!(Version);

impl fmt::Display for Version {
    /// The version as dpkg prints it; the epoch is kept when the upstream part needs it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.epoch != 0 || self.upstream.contains(':') {
            write!(f, "{}:", self.epoch)?;
        }
        f.write_str(&self.upstream)?;
        if !self.revision.is_empty() {
            write!(f, "-{}", self.revision)?;
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
    fn tilde_sorts_before_everything_even_the_end() {
        // Debian Policy's own example, each on an upstream of `1.0`.
        testing::assert_increasing::<Version>(&["1.0~~", "1.0~~a", "1.0~", "1.0", "1.0a"]);
        testing::assert_increasing::<Version>(&["2.0~beta1", "2.0~rc1", "2.0~rc2", "2.0", "2.0.1~rc1", "2.0.1"]);
    }

    #[test]
    fn letters_sort_before_other_characters() {
        // After `1.0`: end < `A` < `Z` < `a` < `z` < `+` < `.` < `_` (ASCII among non-letters).
        testing::assert_increasing::<Version>(&["1.0", "1.0A", "1.0Z", "1.0a", "1.0z", "1.0+", "1.0.", "1.0_"]);
        testing::assert_increasing::<Version>(&["1.0+b1", "1.0.1", "1.0_rc1"]);
        testing::assert_increasing::<Version>(&["1a", "1+", "1."]);
        // A trailing zero run weighs nothing: `1.0.` and `1.0.0` are the same version.
        testing::assert_equal::<Version>("1.0.", "1.0.0");
    }

    #[test]
    fn digit_runs_compare_numerically() {
        testing::assert_increasing::<Version>(&["1.2", "1.9", "1.10", "1.100", "2"]);
        testing::assert_increasing::<Version>(&[
            "1.99999999999999999999",
            "1.100000000000000000000",
            "1.100000000000000000001",
        ]);
        testing::assert_increasing::<Version>(&["0.9", "1", "1.0", "1.0.0", "1.0.0.0"]);
        testing::assert_increasing::<Version>(&["1a1", "1a2", "1a10", "1b", "1.0"]);
    }

    #[test]
    fn epoch_then_upstream_then_revision() {
        testing::assert_increasing::<Version>(&["99.9-9", "1:0.1", "1:0.1-1", "1:2.0", "2:0", "10:0", "2147483647:0"]);
        testing::assert_increasing::<Version>(&["1.0-1", "1.0-2", "1.0-10", "1.0-10.1", "1.0a-1", "1.0.1-0"]);
        // Upstream is compared first, whatever the revisions.
        testing::assert_increasing::<Version>(&["1.0-99", "1.0+dfsg-1"]);
        // The last `-` separates the revision.
        testing::assert_increasing::<Version>(&["1.0-rc1-1", "1.0-rc1-2", "1.0-rc2-1"]);
    }

    #[test]
    fn real_tracker_versions() {
        // Shapes from the Debian and Ubuntu security trackers.
        testing::assert_increasing::<Version>(&[
            "2.30+dfsg-1~deb10u1",
            "2.30+dfsg-1",
            "2.30+dfsg-1+deb10u1",
            "2.30+dfsg-1+deb10u2",
            "2.30+dfsg-1.1",
            "2.30+dfsg1-1",
            "2.31-1",
        ]);
        testing::assert_increasing::<Version>(&[
            "1.1.1n-0+deb11u4",
            "1.1.1n-0+deb11u5",
            "1.1.1w-0+deb11u1",
            "3.0.11-1~deb12u1",
            "3.0.11-1~deb12u2",
            "3.0.11-1",
        ]);
        testing::assert_increasing::<Version>(&[
            "2.7.4-0ubuntu1",
            "2.7.4-0ubuntu1.1",
            "2.7.4-0ubuntu1.2",
            "2.7.4-1",
            "1:2.7.4-0ubuntu1",
        ]);
        testing::assert_increasing::<Version>(&["7.88.1-10+deb12u5", "7.88.1-10+deb12u12", "8.5.0-2"]);
        testing::assert_increasing::<Version>(&["5.10.0-1~bpo10+1", "5.10.0-1"]);
    }

    #[test]
    fn equalities() {
        testing::assert_equal::<Version>("1.0", "0:1.0");
        testing::assert_equal::<Version>("1.0", "00:1.0");
        testing::assert_equal::<Version>("1.0", "1.0-0");
        testing::assert_equal::<Version>("1.0", "1.0-00");
        testing::assert_equal::<Version>("1.0", "1.00");
        testing::assert_equal::<Version>("1.01", "1.1");
        testing::assert_equal::<Version>("0:0", "0");
        testing::assert_equal::<Version>("0:0-0", "0:0");
        testing::assert_equal::<Version>("0:0.0-0.0", "0.0-0.0");
        testing::assert_equal::<Version>("1.0-1", "1.0-01");
        testing::assert_equal::<Version>("  \t0:0-1 ", "0-1");
        testing::assert_equal::<Version>("1.000000000000000000000002", "1.2");
    }

    #[test]
    fn components_split_like_dpkg() {
        let x = v("0:0-0-0");
        assert_eq!((x.epoch, x.upstream.as_str(), x.revision.as_str()), (0, "0-0", "0"));
        let x = v("0:0:0:0-0");
        assert_eq!((x.epoch, x.upstream.as_str(), x.revision.as_str()), (0, "0:0:0", "0"));
        let x = v("0:0-0:0-0");
        assert_eq!((x.epoch, x.upstream.as_str(), x.revision.as_str()), (0, "0-0:0", "0"));
        let x = v("0:09azAZ.-+~:-0");
        assert_eq!((x.epoch, x.upstream.as_str(), x.revision.as_str()), (0, "09azAZ.-+~:", "0"));
        let x = v("5:1");
        assert_eq!((x.epoch, x.upstream.as_str(), x.revision.as_str()), (5, "1", ""));
    }

    #[test]
    fn parse_errors() {
        testing::assert_rejected::<Version>(&[
            "",
            "  ",
            "\t",
            ":1.0",
            "0:",
            "1.0-",
            "-0",
            "0:-0",
            "-1:0-1",
            "+1:0",
            "a:0-0",
            "A:0-0",
            "1a:2",
            "999999999999999999999999:0-1",
            "2147483648:1",
            "0:0 0-1",
            "1.0 -1",
            "1.0\n",
            "1.\u{0}",
            "1.0é",
            "１.0",
            "1.0-β",
        ]);
    }

    #[test]
    fn dpkg_warnings_are_accepted() {
        // dpkg only warns about these and still compares them.
        testing::assert_increasing::<Version>(&["0:abc3-0", "0:abd-0"]);
        v("0:0-0:0");
        v("...");
        v("1..2");
        v("1.0%7e");
        v("99999999999999999999999");
        // A non-digit start sorts by its characters: `~` first, then digits, then letters.
        testing::assert_increasing::<Version>(&["~1", "1", "a1"]);
    }

    #[test]
    fn display_round_trips() {
        for s in ["1.0", "1:1.0-1", "0:1:2-3", "2.30+dfsg-1~deb10u1", "1.0-rc1-1"] {
            assert_eq!(v(&v(s).to_string()), v(s));
        }
        assert_eq!(v("0:1.0-1").to_string(), "1.0-1");
        assert_eq!(v("0:1:2-3").to_string(), "0:1:2-3");
    }

    fn version_string() -> impl Strategy<Value = String> {
        prop_oneof![
            // A small alphabet so that equal and near-equal versions occur often.
            "([0-1]:)?[0-1][0-1a~.+]{0,5}(-[0-1a~+]{1,3})?",
            // Wider: any character dpkg accepts, upper case and other punctuation included.
            "([0-9]{1,3}:)?[0-9A-Za-z][0-9A-Za-z.+~_%]{0,8}(-[0-9A-Za-z.+~]{1,6})?",
        ]
    }

    testing::order_properties!(Version, version_string());

    proptest! {
        #[test]
        fn never_panics_on_version_like_input(s in "[0-9a-z:.+~ -]{0,12}") {
            testing::check_no_panic::<Version>(&s);
        }

        #[test]
        fn reflexive_and_roundtrip(s in version_string()) {
            testing::check_round_trip::<Version>(&s)?;
        }
    }
}
