//! Which distribution an image runs, and the OSV ecosystem of its release.
//!
//! OS package advisories are published per distribution release (`Debian:12`,
//! `Alpine:v3.18`), so a package from a dpkg or apk database can only be matched once
//! the release is known. The source of truth is `os-release(5)`: `/etc/os-release`,
//! or `/usr/lib/os-release` when the former is absent (Debian ships the latter and
//! links the former to it). Old or stripped images lack it, so the per-distribution
//! version files are read as a fallback: `/etc/alpine-release`, `/etc/debian_version`,
//! `/etc/{almalinux,rocky,centos,redhat}-release`.
//!
//! Release spelling follows OSV exactly:
//! - Debian `VERSION_ID=12` → `Debian:12` (`debian_version` `12.5` → `12`; a testing or
//!   unstable image, `trixie/sid`, has no release: `Debian`);
//! - Ubuntu `22.04` → `Ubuntu:22.04:LTS` (an even year's `.04` is LTS), `23.10` →
//!   `Ubuntu:23.10`;
//! - Alpine `3.18.4` → `Alpine:v3.18` (edge, `3.19_alpha…`, has no release);
//! - AlmaLinux `9.3` → `AlmaLinux:9`, Rocky `9.3` → `Rocky Linux:9`;
//! - RHEL → `Red Hat` without a release: OSV's Red Hat ecosystems name product streams
//!   (`Red Hat:enterprise_linux:9::appstream`) that depend on the repository a package
//!   came from, which nothing in the image's release files says;
//! - Wolfi → `Wolfi`, Chainguard → `Chainguard` (rolling, no release);
//! - openSUSE and SUSE, CentOS, Fedora and anything else → no ecosystem.

use std::collections::BTreeMap;

use super::fs::ImageFs;
use crate::model::{Ecosystem, EcosystemKind};

/// A detected distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsRelease {
    /// `ID` from os-release (`debian`, `alpine`, `almalinux`…), lowercase.
    pub id: String,
    /// `VERSION_ID` (or the version file's content).
    pub version_id: String,
    /// `PRETTY_NAME`, for reports.
    pub pretty_name: String,
    /// The OSV ecosystem for this release (`Debian:12`, `Alpine:v3.18`…), when customs
    /// knows how to spell it.
    pub ecosystem: Option<Ecosystem>,
}

const OS_RELEASE: &str = "etc/os-release";
const OS_RELEASE_FALLBACK: &str = "usr/lib/os-release";
const ALPINE_RELEASE: &str = "etc/alpine-release";
const DEBIAN_VERSION: &str = "etc/debian_version";
/// RPM distributions' release files, most specific first: on AlmaLinux and Rocky
/// `redhat-release` is a link to their own file, on CentOS 6 it says CentOS.
const RPM_RELEASE_FILES: [(&str, &str); 4] = [
    ("etc/almalinux-release", "almalinux"),
    ("etc/rocky-release", "rocky"),
    ("etc/centos-release", "centos"),
    ("etc/redhat-release", "rhel"),
];

/// Release files are a few hundred bytes; anything larger is not one and is ignored.
const MAX_RELEASE_FILE_BYTES: usize = 64 * 1024;

/// Whether a file is one the OS detection reads (kept while layers stream by).
pub fn wants(path: &str) -> bool {
    matches!(path, OS_RELEASE | OS_RELEASE_FALLBACK | ALPINE_RELEASE | DEBIAN_VERSION)
        || RPM_RELEASE_FILES.iter().any(|(file, _)| *file == path)
}

/// Detects the distribution from the merged image: os-release first, then the
/// version files. `None` when nothing says.
pub fn detect(fs: &ImageFs) -> Option<OsRelease> {
    from_os_release(fs).or_else(|| from_version_files(fs))
}

/// The OSV ecosystem of a distribution release, from os-release's `ID` and
/// `VERSION_ID` (see the module doc for the spelling rules).
pub fn ecosystem_for(id: &str, version_id: &str) -> Option<Ecosystem> {
    let with = |kind, release: Option<String>| Some(Ecosystem { kind, release });
    match id {
        "debian" => with(EcosystemKind::Debian, major(version_id)),
        "ubuntu" => with(EcosystemKind::Ubuntu, ubuntu_release(version_id)),
        "alpine" => with(EcosystemKind::Alpine, alpine_release(version_id)),
        "almalinux" => with(EcosystemKind::AlmaLinux, major(version_id)),
        "rocky" => with(EcosystemKind::RockyLinux, major(version_id)),
        "rhel" => with(EcosystemKind::RedHat, None),
        "wolfi" => with(EcosystemKind::Wolfi, None),
        "chainguard" => with(EcosystemKind::Chainguard, None),
        _ => None,
    }
}

fn release(id: &str, version_id: &str, pretty_name: &str) -> OsRelease {
    OsRelease {
        id: printable(id),
        version_id: printable(version_id),
        pretty_name: printable(pretty_name),
        ecosystem: ecosystem_for(id, version_id),
    }
}

/// The longest value kept from a release file: these are shown in reports.
const MAX_VALUE_CHARS: usize = 256;

/// A value fit for a report: no control characters (terminal escapes), bounded length.
fn printable(value: &str) -> String {
    value.chars().filter(|c| !c.is_control()).take(MAX_VALUE_CHARS).collect()
}

/// `/etc/os-release` if it exists, else `/usr/lib/os-release` (os-release(5): the
/// first one found is used exclusively). Without an `ID` it says nothing useful.
fn from_os_release(fs: &ImageFs) -> Option<OsRelease> {
    let text = read_text(fs, OS_RELEASE).or_else(|| read_text(fs, OS_RELEASE_FALLBACK))?;
    let fields = parse_os_release(&text);
    let id = fields.get("ID").map(|id| id.trim().to_ascii_lowercase()).filter(|id| !id.is_empty())?;
    let mut version_id = fields.get("VERSION_ID").map(|v| v.trim().to_string()).unwrap_or_default();
    if version_id.is_empty() {
        // Debian testing/unstable have no VERSION_ID; their version file says `trixie/sid`.
        let version_file = match id.as_str() {
            "debian" => Some(DEBIAN_VERSION),
            "alpine" => Some(ALPINE_RELEASE),
            _ => None,
        };
        version_id = version_file.and_then(|file| first_line(fs, file)).unwrap_or_default();
    }
    let pretty_name = fields
        .get("PRETTY_NAME")
        .or_else(|| fields.get("NAME"))
        .filter(|name| !name.is_empty())
        .cloned()
        .unwrap_or_else(|| id.clone());
    Some(release(&id, &version_id, &pretty_name))
}

fn from_version_files(fs: &ImageFs) -> Option<OsRelease> {
    if let Some(version) = first_line(fs, ALPINE_RELEASE) {
        return Some(release("alpine", &version, &format!("Alpine Linux {version}")));
    }
    if let Some(version) = first_line(fs, DEBIAN_VERSION) {
        return Some(release("debian", &version, &format!("Debian GNU/Linux {version}")));
    }
    RPM_RELEASE_FILES.iter().find_map(|(file, file_id)| {
        let line = first_line(fs, file)?;
        let (id, version) = parse_rpm_release_line(&line, file_id);
        Some(release(&id, &version, &line))
    })
}

/// `AlmaLinux release 9.3 (Shamrock Pampas Cat)` → (`almalinux`, `9.3`). The product
/// name decides the ID (CentOS 6 writes itself into `redhat-release`); an unknown one
/// keeps the file's.
fn parse_rpm_release_line(line: &str, file_id: &str) -> (String, String) {
    let (product, rest) = line.split_once(" release ").unwrap_or((line, ""));
    let version = rest.split_whitespace().next().unwrap_or_default().to_string();
    let product = product.to_ascii_lowercase();
    let id = [("almalinux", "almalinux"), ("rocky", "rocky"), ("centos", "centos"), ("red hat", "rhel")]
        .iter()
        .find(|(prefix, _)| product.starts_with(prefix))
        .map_or(file_id, |(_, id)| id);
    (id.to_string(), version)
}

/// A release file's text, if present and of a plausible size.
fn read_text(fs: &ImageFs, path: &str) -> Option<String> {
    let (_, bytes) = fs.read(path)?;
    (bytes.len() <= MAX_RELEASE_FILE_BYTES).then(|| String::from_utf8_lossy(bytes).into_owned())
}

/// The first line of a version file, trimmed; `None` if absent or empty.
fn first_line(fs: &ImageFs, path: &str) -> Option<String> {
    let text = read_text(fs, path)?;
    let line = text.lines().next()?.trim();
    (!line.is_empty()).then(|| line.to_string())
}

/// Parses os-release(5): `KEY=value` lines, values in shell quoting (double quotes
/// with `\` escapes, single quotes verbatim, or bare words with `\` escapes), `#`
/// comments and blank lines ignored. A line that is not an assignment, or whose quote
/// is never closed, is ignored rather than guessed at.
pub fn parse_os_release(text: &str) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, raw)) = line.split_once('=') else { continue };
        let key_ok = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !key_ok {
            continue;
        }
        if let Some(value) = unquote(raw) {
            fields.insert(key.to_string(), value);
        }
    }
    fields
}

/// Shell-style unquoting of one value; `None` when a quote is left open or the value
/// ends in a lone backslash.
fn unquote(raw: &str) -> Option<String> {
    let mut out = String::new();
    let mut quote: Option<char> = None;
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('\''), c) => out.push(c),
            (None, '"' | '\'') => quote = Some(c),
            (_, '\\') => {
                let escaped = chars.next()?;
                // Inside double quotes a backslash only escapes `$ " \ ``; before
                // anything else it is itself (as in sh).
                if quote == Some('"') && !matches!(escaped, '$' | '"' | '\\' | '`') {
                    out.push('\\');
                }
                out.push(escaped);
            }
            // An unquoted blank ends the word (what follows would be a comment).
            (None, c) if c.is_whitespace() => break,
            (_, c) => out.push(c),
        }
    }
    quote.is_none().then_some(out)
}

/// `12`, `12.5`, `9.3` → the leading number; anything else (`trixie/sid`) → `None`.
fn major(version: &str) -> Option<String> {
    let first = version.split('.').next()?;
    is_number(first).then(|| first.to_string())
}

/// `22.04` → `22.04:LTS`, `23.10` → `23.10`; point releases in `VERSION_ID` are not a
/// thing on Ubuntu, so anything but `YY.MM` has no release.
fn ubuntu_release(version: &str) -> Option<String> {
    let (year, month) = version.split_once('.')?;
    if year.len() != 2 || month.len() != 2 || !is_number(year) || !is_number(month) {
        return None;
    }
    let even_year = year.bytes().last().is_some_and(|d| (d - b'0').is_multiple_of(2));
    Some(if even_year && month == "04" { format!("{version}:LTS") } else { version.to_string() })
}

/// `3.18.4` → `v3.18`; edge (`3.19_alpha20230901`) and anything non-numeric → `None`.
fn alpine_release(version: &str) -> Option<String> {
    let parts: Vec<&str> = version.split('.').collect();
    if !(2..=3).contains(&parts.len()) || !parts.iter().all(|p| is_number(p)) {
        return None;
    }
    Some(format!("v{}.{}", parts[0], parts[1]))
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
pub(crate) mod tests;
