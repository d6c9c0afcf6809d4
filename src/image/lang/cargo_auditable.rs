//! Rust executables built with `cargo auditable`: the crates they were built from, read
//! from the `.dep-v0` section it embeds (zlib-compressed JSON, the format of the
//! `auditable-serde` crate: `{"packages": [{"name", "version", "source", "kind",
//! "dependencies": [indices], "root"}]}`).
//!
//! Decisions:
//! - Crates from crates.io (`"source": "crates.io"`) and from other registries
//!   (`"registry"`, typically a mirror of crates.io) are packages. `local` crates (the
//!   binary's own workspace and path dependencies) and `git` ones are skipped: no advisory
//!   describes their code, and cargo-audit matches registry crates only. So is any source
//!   this module does not know.
//! - `"kind": "build"` crates ran at build time only (build scripts, proc macros) and are
//!   not in the executable: they are reported as `dev`, the model's flag for "not needed at
//!   run time", so reports can tell them apart without losing them (a compromised build
//!   dependency still matters).
//! - A crate that the root or a local crate depends on is direct, every other one
//!   transitive, as for `Cargo.lock`; when the list names neither (older
//!   `cargo auditable` versions wrote no `root`), relationships are unknown.
//! - The same name and version listed twice is one package (direct and not `dev` if any
//!   copy says so).
//! - Only ELF files are read (images run Linux); the JSON is inflated to at most
//!   [`MAX_DEPENDENCY_JSON`] (what `auditable-info` allows by default). An executable
//!   without the section is not an auditable build: no packages, no error. A section that
//!   is there but unreadable is an error naming the file.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use flate2::read::ZlibDecoder;
use object::{Object, ObjectSection};
use serde::Deserialize;

use super::super::fs::InlineAnalyzer;
use crate::model::{EcosystemKind, Location, Package, Relationship};

/// Reads the dependency lists `cargo auditable` embeds in executables.
pub struct AuditableBinaries;

/// Executables larger than this are not read.
pub const MAX_BINARY_SIZE: u64 = 512 * 1024 * 1024;
/// The most bytes the dependency list may inflate to.
pub const MAX_DEPENDENCY_JSON: u64 = 8 * 1024 * 1024;

const ELF_MAGIC: &[u8; 4] = b"\x7fELF";
const SECTION: &str = ".dep-v0";

impl InlineAnalyzer for AuditableBinaries {
    fn id(&self) -> &'static str {
        "rust/cargo-auditable"
    }

    fn wants(&self, _path: &str, mode: u32, size: u64) -> bool {
        mode & 0o111 != 0 && size >= ELF_MAGIC.len() as u64 && size <= MAX_BINARY_SIZE
    }

    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<Package>, String> {
        if !content.starts_with(ELF_MAGIC) {
            return Ok(Vec::new());
        }
        let location = format!("/{path}");
        let error = |e: String| format!("{location}: cargo-auditable dependency list: {e}");
        let Some(json) = read_section(content, MAX_DEPENDENCY_JSON).map_err(error)? else {
            return Ok(Vec::new());
        };
        let list: DependencyList =
            serde_json::from_slice(&json).map_err(|e| error(format!("not the expected JSON ({e})")))?;
        Ok(packages(&list, &location))
    }
}

/// The inflated `.dep-v0` section; `None` when the ELF file has none.
fn read_section(content: &[u8], max_inflated: u64) -> Result<Option<Vec<u8>>, String> {
    let file = object::File::parse(content).map_err(|e| format!("not a readable ELF file ({e})"))?;
    let Some(section) = file.section_by_name(SECTION) else {
        return Ok(None);
    };
    let compressed = section.data().map_err(|e| format!("the {SECTION} section cannot be read ({e})"))?;
    let mut json = Vec::new();
    ZlibDecoder::new(compressed)
        .take(max_inflated + 1)
        .read_to_end(&mut json)
        .map_err(|e| format!("the {SECTION} section is not zlib data ({e})"))?;
    if json.len() as u64 > max_inflated {
        return Err(format!("the {SECTION} section inflates to more than {max_inflated} bytes"));
    }
    Ok(Some(json))
}

#[derive(Deserialize)]
struct DependencyList {
    packages: Vec<Crate>,
}

#[derive(Deserialize)]
struct Crate {
    name: String,
    version: String,
    source: String,
    #[serde(default)]
    kind: Kind,
    #[serde(default)]
    dependencies: Vec<u64>,
    #[serde(default)]
    root: bool,
}

#[derive(Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Build,
    #[default]
    Runtime,
}

fn from_registry(krate: &Crate) -> bool {
    matches!(krate.source.as_str(), "crates.io" | "registry")
}

fn packages(list: &DependencyList, location: &str) -> Vec<Package> {
    let owners: Vec<&Crate> = list.packages.iter().filter(|c| c.root || c.source == "local").collect();
    let direct: BTreeSet<u64> = owners.iter().flat_map(|c| c.dependencies.iter().copied()).collect();
    let mut packages: Vec<Package> = Vec::new();
    let mut index_of: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (index, krate) in list.packages.iter().enumerate() {
        if !from_registry(krate) || krate.name.is_empty() || krate.version.is_empty() {
            continue;
        }
        let relationship = match (owners.is_empty(), krate.root, direct.contains(&(index as u64))) {
            (true, _, _) | (false, true, _) => Relationship::Unknown,
            (false, false, true) => Relationship::Direct,
            (false, false, false) => Relationship::Transitive,
        };
        let dev = krate.kind == Kind::Build;
        match index_of.get(&(krate.name.as_str(), krate.version.as_str())) {
            Some(&seen) => {
                let package = &mut packages[seen];
                package.dev &= dev;
                package.relationship = package.relationship.min(relationship);
            }
            None => {
                index_of.insert((&krate.name, &krate.version), packages.len());
                let location = Location { path: location.to_string(), line: None, layer: None };
                let package = Package::new(EcosystemKind::CratesIo, &krate.name, &krate.version, location);
                packages.push(package.with_relationship(relationship).with_dev(dev));
            }
        }
    }
    packages
}

#[cfg(test)]
mod tests;
