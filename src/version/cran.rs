//! CRAN (R package) versions, ordered as R's `package_version` comparison operators order them.
//!
//! Reference: R's `base/R/version.R` (`.make_numeric_version`, `.encode_numeric_version`,
//! `Ops.numeric_version`) and `.standard_regexps()`.
//!
//! Grammar: non-negative integers separated by single `.` or `-` (`1.2-3`, which is `1.2.3`),
//! ASCII digits only: no letters, no empty components, no surrounding spaces. Components compare
//! numerically (`1.02` == `1.2`).
//!
//! Length: where one version's components are a prefix of the other's, the shorter is older
//! (`1.8` < `1.8.0` < `1.8.0.0`), as `utils::compareVersion()` has it ("components optionally
//! missing, in which case the version number is older") and as the CRAN vectors of osv-scanner and
//! osv.dev's own issue tracker expect. R's `package_version` operators instead pad with zeros and call
//! `1.8 == 1.8.0`; CRAN refuses `1.8.0` after `1.8`, so the two spellings only meet when an
//! advisory spells a release differently from the package, and then the stricter reading (the
//! short spelling is the older release) reports rather than hides.
//!
//! Leniency and limits: a single component (`1`, and OSV's `0`) is accepted as `numeric_version`
//! accepts it, although `package_version` wants two. A component above 2^31 - 1 is rejected: R
//! reads components with `as.integer`, which turns them into `NA`, and then cannot order them.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use super::VersionError;

/// A parsed R version. Equality follows the ordering (`1.0` == `1-0` == `1.00`, but `1.0` < `1.0.0`).
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
        self.components.cmp(&other.components)
    }
}

eq_and_partial_ord_from_ord!(Version);

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
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
        assert!(testing::check_native_vectors::<Version>("cran", &[]) > 1200);
    }

    #[test]
    fn ordering() {
        testing::assert_increasing::<Version>(&[
            "0", "0.0.1", "0.1", "0.9", "0.9-1", "0.10", "1.0", "1.0-1", "1.0-2", "1.0-10", "1.1", "2.0",
        ]);
        // Real CRAN release sequences.
        testing::assert_increasing::<Version>(&[
            "1.3-4", "1.4-0", "1.4-1", "1.5-1", "1.6-0", "1.6-1.1", "1.6-2", "1.6-5",
        ]);
        testing::assert_increasing::<Version>(&["0.9.5", "0.9.5.1", "0.9.6", "1.0.0", "1.0.0.9000", "1.0.1"]);
        testing::assert_increasing::<Version>(&["3.3.6", "3.4.0", "3.4.4", "3.5.0"]);
        testing::assert_increasing::<Version>(&["2022.10.1", "2023.1.0", "2023.11.30"]);
        testing::assert_increasing::<Version>(&["1.2147483646", "1.2147483647"]);
    }

    #[test]
    fn equalities() {
        testing::assert_all_equal::<Version>(&["1.0", "1-0", "1.00", "01.0"]);
        testing::assert_all_equal::<Version>(&["1.2-3", "1.2.3", "1-2-3", "1.02.03"]);
        testing::assert_all_equal::<Version>(&["0.0", "0-0", "00.00"]);
        // A shorter version is older than the same numbers with more components after them.
        testing::assert_increasing::<Version>(&["1", "1.0", "1.0.0", "1.0.0.0", "1.0.1", "1.8", "1.8.0", "1.8.0.0"]);
    }

    #[test]
    fn parse_errors() {
        testing::assert_rejected::<Version>(&[
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
        ]);
        v("1.0000000000002147483647");
    }

    fn version_string() -> impl Strategy<Value = String> {
        prop_oneof![
            // A small alphabet so that equal and near-equal versions occur often.
            "0?[0-2]([.-]0?[0-2]){0,3}",
            "[0-9]{1,4}([.-][0-9]{1,4}){0,4}",
        ]
    }

    testing::order_properties!(Version, version_string());

    proptest! {
        #[test]
        fn never_panics_on_version_like_input(s in "[0-9.-]{0,24}") {
            testing::check_no_panic::<Version>(&s);
        }

        #[test]
        fn reflexive_and_roundtrip(s in version_string()) {
            testing::check_round_trip::<Version>(&s)?;
        }
    }
}
