//! Java archives in an image (`.jar`, `.war`, `.ear`, and Jenkins plugins `.jpi`/`.hpi`):
//! the Maven artifacts they contain, read from the archive's bytes while its layer
//! streams by.
//!
//! What is a package:
//! - Every `META-INF/maven/<group>/<artifact>/pom.properties` with a `groupId`, an
//!   `artifactId` and a `version`: Maven writes one for the artifact it builds, and shading
//!   copies those of the artifacts it bundles, so a shaded jar reports them all. Values
//!   with an unresolved `${…}` property are not coordinates and are skipped.
//! - Archives inside the archive (Spring Boot's `BOOT-INF/lib/*.jar`, `WEB-INF/lib/*.jar` in a
//!   war, wars in an ear), recursively to [`MAX_NESTING`] levels. Their packages are located
//!   at `/app/x.jar!/BOOT-INF/lib/y.jar`.
//! - Fallback, only for an archive with no usable `pom.properties` at all (Gradle and Ant
//!   builds): coordinates pieced together from `META-INF/MANIFEST.MF` and the file name, as
//!   Trivy does. The version is `Implementation-Version`, else `Bundle-Version`, else the one
//!   in the file name (`commons-io-2.11.0.jar`); the artifact is the file name's, else an
//!   `Implementation-Title` or `Bundle-SymbolicName` that is one word. The group must be
//!   declared: `Implementation-Vendor-Id` (what Maven's archiver writes as the group). A
//!   group is never guessed from `Bundle-SymbolicName` (commons-io's is
//!   `org.apache.commons.commons-io`, its group `commons-io`), so an archive without one
//!   gives no package: a Maven package without its group can match no advisory, and a
//!   wrong group could match the wrong ones (Trivy resolves these against its Maven index,
//!   which customs does not have; Syft guesses). A fallback package is marked by its
//!   location: `/app/x.jar!/META-INF/MANIFEST.MF`, not the archive, so reports show which
//!   coordinates are inferred rather than declared.
//!
//! Bounds (the bytes are hostile: zip bombs, lying sizes, deep nesting): archives over
//! [`MAX_ARCHIVE_SIZE`] are not wanted; all the bytes inflated for one file — nested
//! archives, manifests, properties — share one budget of [`MAX_INFLATED`], checked against
//! what is actually inflated, never against the sizes the archive declares; metadata
//! entries are read to [`MAX_METADATA_ENTRY`]. An archive nested too deep, over budget or
//! unreadable is skipped; only the file itself not being a zip archive is an error.

use std::collections::BTreeSet;
use std::io::{Cursor, Read};

use zip::ZipArchive;

use super::super::fs::InlineAnalyzer;
use crate::model::{EcosystemKind, Location, Package};

/// Reads jars, wars and ears (`pom.properties`, manifests, nested archives).
pub struct JavaArchives;

/// Archives larger than this are not read.
pub const MAX_ARCHIVE_SIZE: u64 = 512 * 1024 * 1024;
/// How many archives deep inside the file nested archives are read (`x.jar!/a.jar` is 1).
pub const MAX_NESTING: usize = 3;
/// The most bytes inflated from one file, everything nested included.
pub const MAX_INFLATED: u64 = 512 * 1024 * 1024;
/// The most bytes read from a `pom.properties` or `MANIFEST.MF`.
pub const MAX_METADATA_ENTRY: u64 = 1024 * 1024;

const EXTENSIONS: [&str; 5] = [".jar", ".war", ".ear", ".jpi", ".hpi"];

impl InlineAnalyzer for JavaArchives {
    fn id(&self) -> &'static str {
        "java/archive"
    }

    fn wants(&self, path: &str, _mode: u32, size: u64) -> bool {
        size > 0 && size <= MAX_ARCHIVE_SIZE && is_archive_name(path)
    }

    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<Package>, String> {
        let limits = Limits { nesting: MAX_NESTING, inflated: MAX_INFLATED };
        read_archive_tree(&format!("/{path}"), content, limits).map(|walk| walk.packages)
    }
}

fn is_archive_name(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or_default();
    EXTENSIONS.iter().any(|ext| {
        file.len() > ext.len() && file.get(file.len() - ext.len()..).is_some_and(|e| e.eq_ignore_ascii_case(ext))
    })
}

/// The bounds of one analysis (tests shrink them).
#[derive(Clone, Copy)]
struct Limits {
    nesting: usize,
    inflated: u64,
}

/// The state of reading one file and the archives inside it.
struct Walk {
    limits: Limits,
    /// Bytes inflated so far, across every nested archive.
    inflated: u64,
    packages: Vec<Package>,
}

/// Reads the archive at `location` and the archives nested in it.
fn read_archive_tree(location: &str, content: &[u8], limits: Limits) -> Result<Walk, String> {
    let mut walk = Walk { limits, inflated: 0, packages: Vec::new() };
    walk.read_archive(location, content, 0)?;
    let mut seen = BTreeSet::new();
    walk.packages.retain(|p| seen.insert((p.location.path.clone(), p.name.clone(), p.version.clone())));
    walk.packages.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Ok(walk)
}

impl Walk {
    fn read_archive(&mut self, location: &str, content: &[u8], nesting: usize) -> Result<(), String> {
        let mut archive = ZipArchive::new(Cursor::new(content))
            .map_err(|e| format!("{location}: not a readable zip archive ({e})"))?;
        let mut found_pom_properties = false;
        let mut manifest: Option<Vec<u8>> = None;
        for index in 0..archive.len() {
            let Some(Ok(name)) = archive.name_for_index(index) else {
                continue;
            };
            let name = name.into_owned();
            if is_pom_properties(&name) {
                let Some(bytes) = self.read_entry(&mut archive, index, MAX_METADATA_ENTRY) else {
                    continue;
                };
                // The coordinates are the file's; the folder names are not checked against them.
                if let Some(coordinates) = read_pom_properties(&bytes) {
                    found_pom_properties = true;
                    self.push(coordinates, location.to_string());
                }
            } else if name.eq_ignore_ascii_case("META-INF/MANIFEST.MF") {
                manifest = self.read_entry_prefix(&mut archive, index, MAX_METADATA_ENTRY);
            } else if is_archive_name(&name) && nesting < self.limits.nesting {
                let Some(nested) = self.read_entry(&mut archive, index, u64::MAX) else {
                    continue;
                };
                // A nested archive that is not readable says nothing about this one.
                let _ = self.read_archive(&format!("{location}!/{name}"), &nested, nesting + 1);
            }
        }
        if !found_pom_properties {
            let attributes = manifest.as_deref().map(read_manifest).unwrap_or_default();
            if let Some(coordinates) = fallback_coordinates(location, &attributes) {
                self.push(coordinates, format!("{location}!/META-INF/MANIFEST.MF"));
            }
        }
        Ok(())
    }

    fn push(&mut self, coordinates: Coordinates, path: String) {
        let name = format!("{}:{}", coordinates.group, coordinates.artifact);
        let location = Location { path, line: None, layer: None };
        self.packages.push(Package::new(EcosystemKind::Maven, name, coordinates.version, location));
    }

    /// The whole entry, when it fits both `cap` and what is left of the budget.
    fn read_entry<R: Read + std::io::Seek>(
        &mut self,
        archive: &mut ZipArchive<R>,
        index: usize,
        cap: u64,
    ) -> Option<Vec<u8>> {
        let allowed = cap.min(self.limits.inflated.saturating_sub(self.inflated));
        let entry = archive.by_index(index).ok()?;
        if !entry.is_file() || entry.size() > allowed {
            return None; // declared too big: not even started
        }
        let declared = entry.size();
        let mut bytes = Vec::new();
        // One byte more than declared tells an entry that lied about its size.
        let read = entry.take(declared + 1).read_to_end(&mut bytes);
        self.inflated += bytes.len() as u64;
        (read.is_ok() && bytes.len() as u64 == declared).then_some(bytes)
    }

    /// The first `cap` bytes of the entry (what a manifest's main section needs), within
    /// the budget.
    fn read_entry_prefix<R: Read + std::io::Seek>(
        &mut self,
        archive: &mut ZipArchive<R>,
        index: usize,
        cap: u64,
    ) -> Option<Vec<u8>> {
        let allowed = cap.min(self.limits.inflated.saturating_sub(self.inflated));
        let entry = archive.by_index(index).ok()?;
        if !entry.is_file() {
            return None;
        }
        let mut bytes = Vec::new();
        let read = entry.take(allowed).read_to_end(&mut bytes);
        self.inflated += bytes.len() as u64;
        // A prefix is all that is wanted, so a corrupt tail past it does not matter.
        (read.is_ok() || !bytes.is_empty()).then_some(bytes)
    }
}

/// `META-INF/maven/<group>/<artifact>/pom.properties`, exactly that deep.
fn is_pom_properties(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("META-INF/maven/").and_then(|r| r.strip_suffix("/pom.properties")) else {
        return false;
    };
    matches!(rest.split_once('/'), Some((group, artifact)) if !group.is_empty() && !artifact.is_empty() && !artifact.contains('/'))
}

/// Maven coordinates.
#[derive(Debug, PartialEq, Eq)]
struct Coordinates {
    group: String,
    artifact: String,
    version: String,
}

/// A coordinate value: non-empty, one word, no unresolved `${property}`.
fn coordinate(value: &str) -> Option<String> {
    let value = value.trim();
    let usable = !value.is_empty() && !value.contains("${") && !value.contains(char::is_whitespace);
    usable.then(|| value.to_string())
}

/// `groupId`, `artifactId` and `version` from a `pom.properties` (Java properties:
/// `key=value`, `key: value` or `key value`; `#` and `!` start comments).
fn read_pom_properties(bytes: &[u8]) -> Option<Coordinates> {
    let text = String::from_utf8_lossy(bytes);
    let (mut group, mut artifact, mut version) = (None, None, None);
    for line in text.lines() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let split = line.find(|c: char| c == '=' || c == ':' || c.is_whitespace()).unwrap_or(line.len());
        let key = &line[..split];
        let value = line[split..].trim_start();
        let value = value.strip_prefix(['=', ':']).unwrap_or(value);
        match key {
            "groupId" => group = coordinate(value),
            "artifactId" => artifact = coordinate(value),
            "version" => version = coordinate(value),
            _ => {}
        }
    }
    Some(Coordinates { group: group?, artifact: artifact?, version: version? })
}

/// The main section of a `MANIFEST.MF`: `Name: value` lines, long values continued on
/// lines that start with one space, ending at the first blank line.
fn read_manifest(bytes: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(bytes);
    let mut attributes: Vec<(String, String)> = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if let Some(continued) = line.strip_prefix(' ') {
            if let Some((_, value)) = attributes.last_mut() {
                value.push_str(continued);
            }
        } else if let Some((key, value)) = line.split_once(':') {
            attributes.push((key.trim().to_string(), value.trim_start().to_string()));
        }
    }
    attributes
}

/// Coordinates pieced together from the manifest and the file name (see the module
/// doc); `None` without a declared group, an artifact and a version.
fn fallback_coordinates(location: &str, manifest: &[(String, String)]) -> Option<Coordinates> {
    let attribute =
        |key: &str| manifest.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).and_then(|(_, v)| coordinate(v));
    let group = attribute("Implementation-Vendor-Id")?;
    let file_name = location.rsplit(['/', '!']).next().unwrap_or_default();
    let (file_artifact, file_version) = split_file_name(file_name).unzip();
    let symbolic_name = manifest
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Bundle-SymbolicName"))
        .and_then(|(_, v)| coordinate(v.split(';').next().unwrap_or_default()));
    let artifact = file_artifact.or_else(|| attribute("Implementation-Title")).or(symbolic_name)?;
    let version = attribute("Implementation-Version").or_else(|| attribute("Bundle-Version")).or(file_version)?;
    Some(Coordinates { group, artifact, version })
}

/// `log4j-1.2-api-2.17.1.jar` → (`log4j-1.2-api`, `2.17.1`): the version starts after the
/// last `-` followed by a digit.
fn split_file_name(file_name: &str) -> Option<(String, String)> {
    let stem = file_name.rsplit_once('.')?.0;
    let split =
        stem.char_indices().rfind(|&(i, c)| c == '-' && stem[i + 1..].starts_with(|d: char| d.is_ascii_digit()))?.0;
    let (artifact, version) = (&stem[..split], &stem[split + 1..]);
    Some((coordinate(artifact)?, coordinate(version)?))
}

#[cfg(test)]
mod tests;
