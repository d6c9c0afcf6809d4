//! Go module versions and Go toolchain (`stdlib`) versions.
//!
//! **Module versions** follow `golang.org/x/mod/semver`: `vMAJOR[.MINOR[.PATCH[-PRE][+BUILD]]]`, where
//! the shorthands `v1` and `v1.2` mean `v1.0.0` and `v1.2.0` and take no prerelease or build; numbers
//! and numeric prerelease identifiers have no leading zeros; identifiers are non-empty `[0-9A-Za-z-]`.
//! The `v` is optional here because OSV writes Go versions without it. Ordering is SemVer 2.0.0
//! precedence (see [`super::semver`]); build metadata, and so `+incompatible`, is ignored for
//! ordering and equality (`v2.0.0+incompatible` == `v2.0.0`, as `semver.Compare` says).
//!
//! Pseudo-versions need no special rule: they are prereleases and SemVer precedence already orders
//! them as `go` does. `v0.0.0-20191109021931-daa7c04131f5` (no tag yet) is one alphanumeric
//! identifier whose fixed-width timestamp sorts chronologically; `vX.Y.(Z+1)-0.TIMESTAMP-REV` sorts
//! after `vX.Y.Z` and before every real prerelease of `vX.Y.(Z+1)`; `vX.Y.Z-pre.0.TIMESTAMP-REV`
//! sorts after `vX.Y.Z-pre` and before `vX.Y.Z-pre.1`.
//!
//! **Toolchain versions** (`go1.21.3`, `1.21rc1`, `go1.21beta2`, `1.21`) are mapped to SemVer the
//! way the Go vulnerability database does before publishing to OSV (`GoTagToSemver`):
//! `MAJOR.MINOR[.PATCH][(alpha|beta|rc)N]` → `MAJOR.MINOR.PATCH[-kind.N]`, a missing patch being
//! `0`. So `1.21beta2 < 1.21rc1 < 1.21.0`, and **`1.21` == `1.21.0`**. This departs from the
//! toolchain's own `go/version` order, where the language version `1.21` sorts *before* `1.21rc1`;
//! we follow OSV because the `stdlib` ranges we match against are written in that SemVer space.
//! A `go` prefix selects the toolchain grammar, a `v` prefix the module grammar; a bare string is
//! tried as a module version first, then as a toolchain version (the two agree where both apply).

use std::fmt;
use std::str::FromStr;

use super::semver;
use super::VersionError;

/// A Go module or toolchain version, ordered by SemVer precedence.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(semver::Version);

/// A decimal number without leading zeros, as `x/mod/semver` requires.
fn is_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'))
}

fn check_identifiers(s: &str, what: &str, numbers_canonical: bool) -> Result<(), String> {
    for id in s.split('.') {
        if id.is_empty() {
            return Err(format!("empty {what} identifier"));
        }
        if !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(format!("invalid character in {what} identifier {id:?}"));
        }
        if numbers_canonical && id.bytes().all(|b| b.is_ascii_digit()) && !is_number(id) {
            return Err(format!("numeric {what} identifier {id:?} has a leading zero"));
        }
    }
    Ok(())
}

/// Checks the `x/mod/semver` grammar (without the `v`).
fn check_module(s: &str) -> Result<(), String> {
    let (rest, build) = match s.split_once('+') {
        Some((rest, build)) => (rest, Some(build)),
        None => (s, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (rest, None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() > 3 {
        return Err("more than three release parts".into());
    }
    if let Some(bad) = parts.iter().find(|p| !is_number(p)) {
        return Err(format!("release part {bad:?} is not a number without leading zeros"));
    }
    if parts.len() < 3 && (pre.is_some() || build.is_some()) {
        return Err("a shorthand version (v1, v1.2) cannot have a prerelease or build".into());
    }
    if let Some(pre) = pre {
        check_identifiers(pre, "prerelease", true)?;
    }
    if let Some(build) = build {
        check_identifiers(build, "build", false)?;
    }
    Ok(())
}

/// Maps a toolchain version (without `go`) to SemVer: `1.21rc1` → `1.21.0-rc.1`.
fn toolchain_to_semver(s: &str) -> Result<String, String> {
    let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
    let (release, suffix) = s.split_at(split);
    let parts: Vec<&str> = release.split('.').collect();
    if parts.len() > 3 || !parts.iter().all(|p| is_number(p)) {
        return Err(format!("{release:?} is not a Go release number"));
    }
    if parts.len() == 1 && !suffix.is_empty() {
        return Err("a prerelease needs MAJOR.MINOR".into());
    }
    let mut out = format!("{}.{}.{}", parts[0], parts.get(1).unwrap_or(&"0"), parts.get(2).unwrap_or(&"0"));
    if !suffix.is_empty() {
        let kind = ["alpha", "beta", "rc"]
            .into_iter()
            .find(|k| suffix.strip_prefix(k).is_some_and(is_number))
            .ok_or_else(|| format!("{suffix:?} is not alphaN, betaN or rcN"))?;
        out = format!("{out}-{kind}.{}", &suffix[kind.len()..]);
    }
    Ok(out)
}

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let semver_text = if let Some(rest) = input.strip_prefix("go") {
            toolchain_to_semver(rest)
        } else if let Some(rest) = input.strip_prefix('v') {
            check_module(rest).map(|()| rest.to_string())
        } else {
            check_module(input).map(|()| input.to_string()).or_else(|e| toolchain_to_semver(input).map_err(|_| e))
        }
        .map_err(|reason| VersionError::new(input, reason))?;
        semver_text.parse().map(Version)
    }
}

impl fmt::Display for Version {
    /// The canonical module form, `vMAJOR.MINOR.PATCH[-PRE][+BUILD]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.0)
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
    fn module_versions_increase() {
        testing::assert_increasing::<Version>(&[
            "v0.0.0-20191109021931-daa7c04131f5",
            "v0.0.0-20200101000000-000000000000",
            "v0.0.0",
            "v0.0.1-0.20200101000000-abcdefabcdef",
            "v0.0.1-0.20200202000000-000000000000",
            "v0.0.1-alpha",
            "v0.0.1-alpha.0.20200101000000-abcdefabcdef",
            "v0.0.1-alpha.1",
            "v0.0.1",
            "v1.0.0-alpha",
            "v1.0.0-alpha.1",
            "v1.0.0-alpha.beta",
            "v1.0.0-beta",
            "v1.0.0-beta.2",
            "v1.0.0-beta.11",
            "v1.0.0-rc.1",
            "v1.0.0",
            "v1.2.0",
            "v1.2.3-456",
            "v1.2.3-456.789",
            "v1.2.3-456-789",
            "v1.2.3-456a",
            "v1.2.3-pre",
            "v1.2.3-pre.1",
            "v1.2.3-zzz",
            "v1.2.3",
            "v1.2.4-0.20191109021931-daa7c04131f5",
            "v1.2.4",
            "v1.10.0",
            "v1.19",
            "v2.0.0+incompatible",
            "v2.0.1",
            "v18446744073709551616.0.0",
        ]);
    }

    #[test]
    fn equalities() {
        testing::assert_equal_pairs::<Version>(&[
            ("v1", "v1.0.0"),
            ("v1.0", "v1.0.0"),
            ("v1.2", "1.2.0"),
            ("1.2.3", "v1.2.3"),
            ("v1.2.3+meta", "v1.2.3"),
            ("v1.2.3-pre+meta", "v1.2.3-pre"),
            ("v2.0.0+incompatible", "v2.0.0"),
            ("2.0.0+incompatible", "v2.0.0"),
            ("v0.0.0-20191109021931-daa7c04131f5", "0.0.0-20191109021931-daa7c04131f5"),
        ]);
    }

    #[test]
    fn toolchain_versions_follow_osv() {
        testing::assert_increasing::<Version>(&[
            "go1",
            "go1.0.1",
            "go1.9.2rc2",
            "go1.9.2",
            "go1.20",
            "go1.20.1",
            "1.20.14",
            "1.21alpha1",
            "go1.21beta1",
            "1.21beta2",
            "go1.21rc1",
            "1.21rc2",
            "1.21rc10",
            "1.21.0",
            "go1.21.3",
            "1.21.10",
            "go1.22rc1",
            "1.22",
            "go1.100",
        ]);
        testing::assert_equal_pairs::<Version>(&[
            ("1.21", "1.21.0"),
            ("go1.21", "go1.21.0"),
            ("go1.21", "v1.21.0"),
            ("go1.21.3", "1.21.3"),
            ("go1.21rc1", "1.21.0-rc.1"),
            ("1.21beta2", "v1.21.0-beta.2"),
            ("go1", "1.0.0"),
        ]);
    }

    #[test]
    fn parse_errors() {
        testing::assert_rejected::<Version>(&[
            "",
            "v",
            "go",
            "bad",
            "...",
            "1..2",
            "v1.2.3.4",
            "v01.2.3",
            "v1.02.3",
            "v1.2.03",
            "v1.2.3-01",
            "v1.2.3-pre.01",
            "v1-pre",
            "v1+meta",
            "v1.2-pre",
            "v1.2+meta",
            "v1.2-pre+meta",
            "v1.2.3-",
            "v1.2.3+",
            "v1.2.3-pre..1",
            "v1.2.3+incompatible+x",
            "v1.2.3-pre_1",
            "V1.2.3",
            "=1.2.3",
            " v1.2.3",
            "v1.2.3 ",
            "vv1.2.3",
            "v1.21rc1",
            "go1.21.x",
            "go1rc1",
            "go1.21rc",
            "go1.21rc01",
            "go1.21gamma1",
            "go1.21-rc.1",
            "gov1.21.0",
            "go1.2.3.4",
            "v1.2.3-ü",
            "v１.2.3",
            "devel go1.22-abcdef",
        ]);
        // Build metadata identifiers may have leading zeros.
        assert!("v1.2.3+01".parse::<Version>().is_ok());
    }

    #[test]
    fn display_is_canonical() {
        assert_eq!(v("1.2").to_string(), "v1.2.0");
        assert_eq!(v("go1.21rc1").to_string(), "v1.21.0-rc.1");
        assert_eq!(v("2.0.0+incompatible").to_string(), "v2.0.0+incompatible");
    }

    fn version_string() -> impl Strategy<Value = String> {
        prop_oneof![
            "v?[0-2](\\.[0-2]){0,2}",
            "v?[0-2]\\.[0-2]\\.[0-2](-([0-2]|[ab-]{1,2}|0\\.2019010[12]000000-abc)(\\.([0-2]|[ab]{1,2})){0,2})?(\\+(incompatible|[0-9]))?",
            "go[0-2](\\.[0-2](\\.[0-2])?((alpha|beta|rc)[1-2])?)?",
        ]
    }

    testing::order_properties!(Version, version_string());

    proptest! {
        #[test]
        fn reflexive_and_roundtrip(s in version_string()) {
            testing::check_round_trip::<Version>(&s)?;
        }
    }
}
