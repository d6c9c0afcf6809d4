//! Python distributions installed in an image, from the core metadata pip (or the
//! distro's packaging) leaves beside them.
//!
//! Which files: `<dir>/site-packages/<dist>.dist-info/METADATA` and the same under
//! `dist-packages` (Debian's name for it) — wheels installed by pip; `<dist>.egg-info/PKG-INFO`
//! and a `<dist>.egg-info` that is itself a file — setuptools installs, in site-packages or
//! beside a project installed in development mode; `<dist>.egg/EGG-INFO/PKG-INFO` — unzipped
//! eggs. `dist-info` folders outside site-packages are not installs (a wheel's sources, a
//! vendored copy) and are not read.
//!
//! Decisions:
//! - Only the `Name` and `Version` headers of the first stanza are read: the body after the
//!   first blank line is the long description, sometimes megabytes of it, and is never
//!   looked at. Header names are case-insensitive (RFC 822); the first occurrence wins;
//!   continuation lines are ignored. Only the two values must be UTF-8 (old `PKG-INFO`s
//!   are sometimes Latin-1 elsewhere).
//! - A file without a name or a version is not a package (a half-written install, a
//!   placeholder) and is skipped. So is one that is not metadata at all.
//! - The same name and version at the same path is reported once.
//! - Packages a distro installed under `dist-packages` are reported too: they are PyPI
//!   code at a PyPI version, whatever installed them.
//!
//! A file that cannot be read is skipped rather than failing the whole image: a
//! [`Collector`] has no channel for per-file warnings (yet).

use std::collections::BTreeSet;

use super::super::fs::{Collector, Context, ImageFs};
use crate::model::{EcosystemKind, Location, Package};

/// Reads installed Python packages (`dist-info`, `egg-info` metadata).
pub struct PythonPackages;

impl Collector for PythonPackages {
    fn id(&self) -> &'static str {
        "python/installed"
    }

    fn wants(&self, path: &str) -> bool {
        is_metadata_path(path)
    }

    fn collect(&self, fs: &ImageFs, _context: &Context) -> Result<Vec<Package>, String> {
        let mut seen = BTreeSet::new();
        let mut packages = Vec::new();
        for (path, layer, content) in fs.files() {
            if !is_metadata_path(path) {
                continue;
            }
            let Some(metadata) = read_metadata(content) else {
                continue;
            };
            if !seen.insert((metadata.name.clone(), metadata.version.clone(), path.to_string())) {
                continue;
            }
            let location =
                Location { path: format!("/{path}"), line: Some(metadata.name_line), layer: Some(layer.to_string()) };
            packages.push(Package::new(EcosystemKind::PyPI, metadata.name, metadata.version, location));
        }
        Ok(packages)
    }
}

/// Whether a normalised path is a metadata file of an installed distribution.
fn is_metadata_path(path: &str) -> bool {
    let mut segments = path.rsplit('/');
    let file = segments.next().unwrap_or_default();
    let parent = segments.next().unwrap_or_default();
    let grandparent = segments.next().unwrap_or_default();
    match file {
        "METADATA" => has_stem(parent, ".dist-info") && matches!(grandparent, "site-packages" | "dist-packages"),
        "PKG-INFO" => has_stem(parent, ".egg-info") || (parent == "EGG-INFO" && has_stem(grandparent, ".egg")),
        _ => has_stem(file, ".egg-info"),
    }
}

/// `name` ends with `suffix` and has something before it.
fn has_stem(name: &str, suffix: &str) -> bool {
    name.len() > suffix.len() && name.ends_with(suffix)
}

/// What a core-metadata file says about the distribution.
#[derive(Debug, PartialEq, Eq)]
struct Metadata {
    name: String,
    version: String,
    /// The 1-based line of the `Name` header.
    name_line: u32,
}

/// Reads `Name` and `Version` from the header stanza; `None` when either is missing,
/// empty or not UTF-8.
fn read_metadata(content: &[u8]) -> Option<Metadata> {
    let content = content.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(content);
    // `Some(None)`: the header was there but unusable; later copies do not replace it.
    let mut name: Option<Option<(String, u32)>> = None;
    let mut version: Option<Option<String>> = None;
    for (index, line) in content.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(|b| *b == b' ' || *b == b'\t') {
            break; // the end of the headers: the rest is the description
        }
        if line[0] == b' ' || line[0] == b'\t' {
            continue; // a continuation of the previous header
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let key = line[..colon].trim_ascii();
        let value = || std::str::from_utf8(line[colon + 1..].trim_ascii()).ok().map(str::to_string);
        if name.is_none() && key.eq_ignore_ascii_case(b"name") {
            name = Some(value().map(|v| (v, u32::try_from(index + 1).unwrap_or(u32::MAX))));
        } else if version.is_none() && key.eq_ignore_ascii_case(b"version") {
            version = Some(value());
        }
        if name.is_some() && version.is_some() {
            break;
        }
    }
    let (name, name_line) = name.flatten().filter(|(n, _)| !n.is_empty())?;
    let version = version.flatten().filter(|v| !v.is_empty())?;
    Some(Metadata { name, version, name_line })
}

#[cfg(test)]
mod tests;
