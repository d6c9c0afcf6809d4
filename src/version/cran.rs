//! CRAN (R package) versions, ordered as R's `package_version` comparison operators order them.
//!
//! Reference: R's `base/R/version.R` (`.make_numeric_version`, `.encode_numeric_version`,
//! `Ops.numeric_version`) and `.standard_regexps()`.
//!
//! Grammar: non-negative integers separated by single `.` or `-` (`1.2-3`, which is `1.2.3`),
//! ASCII digits only: no letters, no empty components, no surrounding spaces. Components compare
//! numerically (`1.02` == `1.2`).
//!
//! Padding: R compares versions through an encoding that right-pads the shorter version with zero
//! components, so `1.0` == `1.0.0` and `1.0` < `1.0.1` (R: `package_version("1.0") ==
//! "1.0.0"` is `TRUE`). `utils::compareVersion()` differs here (it calls `1.0` older than
//! `1.0.0`), but it is not what R, `install.packages` or CRAN's incoming checks use to order
//! versions, and since CRAN refuses `1.0.0` after `1.0` the two spellings only meet when an advisory
//! spells a release differently from the package.
//!
//! Leniency and limits: a single component (`1`, and OSV's `0`) is accepted as `numeric_version`
//! accepts it, although `package_version` wants two. A component above 2^31 - 1 is rejected: R
//! reads components with `as.integer`, which turns them into `NA`, and then cannot order them.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use super::VersionError;

/// A parsed R version. Equality follows the ordering (`1.0` == `1-0-0` == `1.00`).
#[derive(Debug, Clone)]
pub struct Version {
    text: String,
    components: Vec<u32>,
}

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| VersionError::new(s, reason);
        let components = s
            .split(['.', '-'])
            .map(|part| {
                if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(err("invalid version specification: expected integers separated by `.` or `-`"));
                }
                let digits = part.trim_start_matches('0');
                // R's integers stop at 2^31 - 1; beyond, as.integer() gives NA.
                let value = match digits.len() {
                    0 => Some(0),
                    1..=10 => digits.parse::<u64>().ok(),
                    _ => None,
                };
                value
                    .filter(|v| *v <= i32::MAX as u64)
                    .map(|v| v as u32)
                    .ok_or_else(|| err("component too large for R (above 2147483647)"))
            })
            .collect::<Result<Vec<u32>, _>>()?;
        Ok(Version { text: s.to_string(), components })
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let len = self.components.len().max(other.components.len());
        let at = |v: &Version, k: usize| v.components.get(k).copied().unwrap_or(0);
        (0..len).map(|k| at(self, k).cmp(&at(other, k))).find(|o| o.is_ne()).unwrap_or(Ordering::Equal)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v(s: &str) -> Version {
        s.parse().unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
    }

    fn assert_increasing(list: &[&str]) {
        for pair in list.windows(2) {
            let (a, b) = (v(pair[0]), v(pair[1]));
            assert_eq!(a.cmp(&b), Ordering::Less, "{} < {}", pair[0], pair[1]);
            assert_eq!(b.cmp(&a), Ordering::Greater, "{} > {}", pair[1], pair[0]);
            assert_ne!(a, b);
        }
    }

    fn assert_all_equal(list: &[&str]) {
        for b in list {
            assert_eq!(v(list[0]).cmp(&v(b)), Ordering::Equal, "{} == {b}", list[0]);
            assert_eq!(v(list[0]), v(b), "{} == {b}", list[0]);
        }
    }

    #[test]
    fn ordering() {
        assert_increasing(&[
            "0", "0.0.1", "0.1", "0.9", "0.9-1", "0.10", "1.0", "1.0-1", "1.0-2", "1.0-10", "1.1", "2.0",
        ]);
        // Real CRAN release sequences.
        assert_increasing(&["1.3-4", "1.4-0", "1.4-1", "1.5-1", "1.6-0", "1.6-1.1", "1.6-2", "1.6-5"]);
        assert_increasing(&["0.9.5", "0.9.5.1", "0.9.6", "1.0.0", "1.0.0.9000", "1.0.1"]);
        assert_increasing(&["3.3.6", "3.4.0", "3.4.4", "3.5.0"]);
        assert_increasing(&["2022.10.1", "2023.1.0", "2023.11.30"]);
        assert_increasing(&["1.2147483646", "1.2147483647"]);
    }

    #[test]
    fn equalities() {
        assert_all_equal(&["1.0", "1.0.0", "1-0", "1-0-0", "1.00", "01.0.0.0", "1"]);
        assert_all_equal(&["1.2-3", "1.2.3", "1-2-3", "1.02.03", "1.2.3.0"]);
        assert_all_equal(&["0", "0.0", "0-0-0-0"]);
    }

    #[test]
    fn parse_errors() {
        for bad in [
            "",
            "1.",
            ".1",
            "1..2",
            "1.-2",
            "-1",
            "1-",
            "...",
            "1.a",
            "1.0a",
            "1.0-rc1",
            "v1.0",
            "1_0",
            "1,0",
            " 1.0",
            "1.0 ",
            "1.0\n",
            "1.2147483648",
            "1.99999999999999999999",
            "99999999999999999999999",
            "１.0",
            "1.0-β",
        ] {
            assert!(bad.parse::<Version>().is_err(), "{bad:?} should be rejected");
        }
        v("1.0000000000002147483647");
    }

    fn version_string() -> impl Strategy<Value = String> {
        prop_oneof![
            // A small alphabet so that equal and near-equal versions occur often.
            "0?[0-2]([.-]0?[0-2]){0,3}",
            "[0-9]{1,4}([.-][0-9]{1,4}){0,4}",
        ]
    }

    proptest! {
        #[test]
        fn generated_versions_parse(s in version_string()) {
            prop_assert!(s.parse::<Version>().is_ok(), "{s:?}");
        }

        #[test]
        fn never_panics(s in "\\PC{0,20}") {
            let _ = s.parse::<Version>();
        }

        #[test]
        fn never_panics_on_version_like_input(s in "[0-9.-]{0,24}") {
            let _ = s.parse::<Version>();
        }

        #[test]
        fn reflexive_and_roundtrip(s in version_string()) {
            let a = v(&s);
            prop_assert_eq!(a.cmp(&a), Ordering::Equal);
            prop_assert_eq!(&a, &a.clone());
            prop_assert_eq!(v(&a.to_string()), a);
        }

        #[test]
        fn antisymmetric_and_eq_consistent(a in version_string(), b in version_string()) {
            let (a, b) = (v(&a), v(&b));
            prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
            prop_assert_eq!(a == b, a.cmp(&b) == Ordering::Equal);
            prop_assert_eq!(a.partial_cmp(&b), Some(a.cmp(&b)));
        }

        #[test]
        fn transitive(a in version_string(), b in version_string(), c in version_string()) {
            let vs = [v(&a), v(&b), v(&c)];
            for x in &vs {
                for y in &vs {
                    for z in &vs {
                        if x <= y && y <= z {
                            prop_assert!(x <= z, "{x} <= {y} <= {z}");
                        }
                        if x == y && y == z {
                            prop_assert!(x == z);
                        }
                    }
                }
            }
        }
    }
}
