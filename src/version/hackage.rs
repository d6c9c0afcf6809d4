//! Hackage (Haskell PVP) versions, as Cabal parses and orders `Distribution.Types.Version` (Hackage,
//! GHC).
//!
//! Reference: Cabal's `Distribution.Types.Version` (`instance Parsec Version`,
//! `versionDigitParser`, `instance Ord Version`) and the Package Versioning Policy.
//!
//! Grammar: one or more non-negative integers separated by `.`. Each is ASCII digits without a
//! redundant leading zero (`0` is fine, `01` is not) and at most nine digits long, as Cabal's
//! parser demands. Tags (`1.0-beta`), deprecated since Cabal 2.0 and only warned about there, are
//! rejected; so are empty components and surrounding spaces.
//!
//! Ordering: the integer lists compare lexicographically, a proper prefix first. Trailing zeros
//! matter, unlike in most schemes: `1.0` < `1.0.0` < `1.0.0.1` < `1.0.1`.

use std::fmt;
use std::str::FromStr;

use super::VersionError;

/// A parsed Cabal version: its integer list, ordered lexicographically.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    components: Vec<u32>,
}

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| VersionError::new(s, reason);
        let components = s
            .split('.')
            .map(|part| {
                if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(err("expected integers separated by `.` (tags are not allowed)"));
                }
                if part.len() > 1 && part.starts_with('0') {
                    return Err(err("version digit with a leading zero"));
                }
                if part.len() > 9 {
                    return Err(err("at most 9 digits are allowed per version number part"));
                }
                part.parse::<u32>().map_err(|_| err("expected integers separated by `.`"))
            })
            .collect::<Result<Vec<u32>, _>>()?;
        Ok(Version { components })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.components.iter().map(u32::to_string).collect();
        f.write_str(&parts.join("."))
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
    fn ordering() {
        testing::assert_increasing::<Version>(&[
            "0", "0.0", "0.0.0", "0.1", "0.9", "0.10", "1", "1.0", "1.0.0", "1.0.0.1", "1.0.1", "1.1", "2",
        ]);
        // Real Hackage release sequences (PVP: A.B.C.D).
        testing::assert_increasing::<Version>(&["1.2.3.0", "1.2.3.1", "1.2.4", "1.3.0.0", "2.0.0.0"]);
        testing::assert_increasing::<Version>(&["0.10.12.1", "0.11.0.0", "0.11.5.3", "0.12.0.0"]);
        testing::assert_increasing::<Version>(&["9.2.8", "9.4.7", "9.4.8", "9.6.1", "9.10.1"]);
        testing::assert_increasing::<Version>(&["1.999999999", "2.0", "999999999"]);
    }

    #[test]
    fn equality_is_exact() {
        assert_eq!(v("1.2.3"), v("1.2.3"));
        assert_ne!(v("1.0"), v("1.0.0"));
        assert_ne!(v("1"), v("1.0"));
        assert_eq!(v("1.2.3").to_string(), "1.2.3");
    }

    #[test]
    fn parse_errors() {
        testing::assert_rejected::<Version>(&[
            "",
            "1.",
            ".1",
            "1..2",
            "...",
            "01",
            "1.02",
            "1.00",
            "1.0-beta",
            "1.0-rc1-x",
            "1.0a",
            "v1.0",
            "1-2",
            "1,2",
            " 1.0",
            "1.0 ",
            "1.0\n",
            "-1",
            "1.1234567890",
            "99999999999999999999999",
            "１.0",
            "1.0.α",
        ]);
    }

    fn version_string() -> impl Strategy<Value = String> {
        prop_oneof![
            // A small alphabet so that equal and near-equal versions occur often.
            "[0-2](\\.[0-2]){0,3}",
            "(0|[1-9][0-9]{0,8})(\\.(0|[1-9][0-9]{0,8})){0,5}",
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
            prop_assert_eq!(v(&s).to_string(), s);
        }

        #[test]
        fn matches_list_order(a in version_string(), b in version_string()) {
            let as_list = |s: &str| s.split('.').map(|p| p.parse::<u64>().unwrap()).collect::<Vec<_>>();
            prop_assert_eq!(v(&a).cmp(&v(&b)), as_list(&a).cmp(&as_list(&b)));
        }
    }
}
