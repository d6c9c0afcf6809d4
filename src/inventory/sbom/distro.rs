//! Distribution releases as OSV spells them, from `distro` qualifiers and
//! operating-system components: Debian and Ubuntu codenames and numbering, Alpine
//! `vX.Y`, AlmaLinux and Rocky Linux by major.

use crate::model::EcosystemKind;

/// The release of `kind` a `distro` qualifier names, spelled as OSV spells it; `None`
/// when it cannot be told (or names another distribution).
pub(super) fn release_of(kind: EcosystemKind, distro: &str) -> Option<String> {
    use EcosystemKind::*;
    let distro = distro.trim().to_ascii_lowercase();
    let (prefix, value) = distro.rsplit_once('-').unwrap_or(("", &distro));
    if !prefix.is_empty() && EcosystemKind::from_distro_id(prefix) != Some(kind) {
        return None;
    }
    match kind {
        Debian => debian_release(value),
        Ubuntu => ubuntu_release(value),
        Alpine => {
            let (major, minor) = numeric(value.strip_prefix('v').unwrap_or(value))?;
            Some(format!("v{}.{}", number(major), number(minor?)))
        }
        AlmaLinux | RockyLinux => numeric(value).map(|(major, _)| number(major)),
        _ => None,
    }
}

/// Debian codenames and the release numbers OSV uses for them.
const DEBIAN_CODENAMES: &[(&str, &str)] = &[
    ("buzz", "1.1"),
    ("rex", "1.2"),
    ("bo", "1.3"),
    ("hamm", "2.0"),
    ("slink", "2.1"),
    ("potato", "2.2"),
    ("woody", "3.0"),
    ("sarge", "3.1"),
    ("etch", "4.0"),
    ("lenny", "5.0"),
    ("squeeze", "6.0"),
    ("wheezy", "7"),
    ("jessie", "8"),
    ("stretch", "9"),
    ("buster", "10"),
    ("bullseye", "11"),
    ("bookworm", "12"),
    ("trixie", "13"),
    ("forky", "14"),
    ("duke", "15"),
];

/// Debian releases from 7 on are named by major version; older ones by `major.minor`.
fn debian_release(value: &str) -> Option<String> {
    if let Some((_, release)) = DEBIAN_CODENAMES.iter().find(|(codename, _)| *codename == value) {
        return Some(release.to_string());
    }
    let (major, minor) = numeric(value)?;
    let major: u32 = major.parse().ok()?;
    Some(if major >= 7 {
        major.to_string()
    } else {
        format!("{major}.{}", minor.map(number).as_deref().unwrap_or("0"))
    })
}

/// Ubuntu codenames and their versions.
const UBUNTU_CODENAMES: &[(&str, &str)] = &[
    ("warty", "4.10"),
    ("hoary", "5.04"),
    ("breezy", "5.10"),
    ("dapper", "6.06"),
    ("edgy", "6.10"),
    ("feisty", "7.04"),
    ("gutsy", "7.10"),
    ("hardy", "8.04"),
    ("intrepid", "8.10"),
    ("jaunty", "9.04"),
    ("karmic", "9.10"),
    ("lucid", "10.04"),
    ("maverick", "10.10"),
    ("natty", "11.04"),
    ("oneiric", "11.10"),
    ("precise", "12.04"),
    ("quantal", "12.10"),
    ("raring", "13.04"),
    ("saucy", "13.10"),
    ("trusty", "14.04"),
    ("utopic", "14.10"),
    ("vivid", "15.04"),
    ("wily", "15.10"),
    ("xenial", "16.04"),
    ("yakkety", "16.10"),
    ("zesty", "17.04"),
    ("artful", "17.10"),
    ("bionic", "18.04"),
    ("cosmic", "18.10"),
    ("disco", "19.04"),
    ("eoan", "19.10"),
    ("focal", "20.04"),
    ("groovy", "20.10"),
    ("hirsute", "21.04"),
    ("impish", "21.10"),
    ("jammy", "22.04"),
    ("kinetic", "22.10"),
    ("lunar", "23.04"),
    ("mantic", "23.10"),
    ("noble", "24.04"),
    ("oracular", "24.10"),
    ("plucky", "25.04"),
    ("questing", "25.10"),
];

/// `YY.MM`, with `:LTS` for long-term releases (even years' April, and 6.06), the way
/// OSV spells Ubuntu ecosystems (`Ubuntu:22.04:LTS`, `Ubuntu:23.10`).
fn ubuntu_release(value: &str) -> Option<String> {
    let value = UBUNTU_CODENAMES.iter().find(|(codename, _)| *codename == value).map_or(value, |(_, v)| *v);
    let (major, minor) = numeric(value)?;
    let minor = minor.filter(|m| m.len() == 2)?;
    let major = number(major);
    let lts = (minor == "04" && major.parse::<u32>().is_ok_and(|m| m % 2 == 0)) || (major == "6" && minor == "06");
    Some(if lts { format!("{major}.{minor}:LTS") } else { format!("{major}.{minor}") })
}

/// The leading `major[.minor]` digits of a version (`12.5` → (`12`, `5`), `3.21.0_alpha`
/// → (`3`, `21`)); `None` unless it starts with a number.
fn numeric(value: &str) -> Option<(&str, Option<&str>)> {
    let mut parts = value.split('.');
    let major = parts.next().filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))?;
    let minor = parts.next().map(|p| &p[..p.bytes().take_while(u8::is_ascii_digit).count()]).filter(|p| !p.is_empty());
    Some((major, minor))
}

/// A run of digits without leading zeros.
fn number(digits: &str) -> String {
    let trimmed = digits.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".to_string()
    } else {
        trimmed.to_string()
    }
}
