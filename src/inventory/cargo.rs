//! `Cargo.lock`, versions 1 to 4.
//!
//! Every `[[package]]` with a `source` is a package. Packages without one are the
//! project's own (workspace members and path dependencies, which Cargo.lock does not
//! tell apart): listed as own packages, never matched, so a local crate that shares a
//! name with a crates.io crate raises no false alarm. The one named by `[package]` of
//! the `Cargo.toml` beside the lockfile, when it can be read, is the root. Packages the
//! workspace members depend on are direct; the rest are transitive.

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::{text, ExtractError, Extracted, Extractor, Input};
use crate::model::{EcosystemKind, Location, OwnKind, OwnPackage, Package, Relationship};

pub struct CargoLock;

#[derive(Deserialize)]
struct Lockfile {
    #[serde(default)]
    package: Vec<LockedPackage>,
}

#[derive(Deserialize)]
struct LockedPackage {
    name: Spanned<String>,
    version: String,
    source: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
}

impl Extractor for CargoLock {
    fn id(&self) -> &'static str {
        "rust/cargo-lock"
    }

    fn wants(&self, path: &Path) -> bool {
        path.file_name().is_some_and(|n| n == "Cargo.lock")
    }

    fn extract(&self, input: &Input<'_>) -> Result<Extracted, ExtractError> {
        let content = input.text()?;
        let lock: Lockfile = text::toml(input.path, content)?;
        let lines = text::LineIndex::new(content);

        // Dependencies are written "name", "name version" or "name version (source)".
        let direct: HashSet<(&str, Option<&str>)> = lock
            .package
            .iter()
            .filter(|p| p.source.is_none())
            .flat_map(|p| p.dependencies.iter())
            .map(|d| {
                let mut parts = d.split_whitespace();
                (parts.next().unwrap_or_default(), parts.next())
            })
            .collect();

        let root = root_package_name(input);
        let mut out = Extracted::default();
        for p in &lock.package {
            let name = p.name.get_ref();
            let location = Location::new(input.path, Some(lines.line(p.name.span().start)));
            if name.is_empty() || p.version.is_empty() {
                return Err(input.error(location.line, "package without a name or version"));
            }
            let Some(source) = &p.source else {
                let kind =
                    if root.as_deref() == Some(name.as_str()) { OwnKind::Root } else { OwnKind::WorkspaceMember };
                out.own.push(OwnPackage::new(kind, EcosystemKind::CratesIo, name, Some(&p.version), location));
                continue;
            };
            let is_direct =
                direct.contains(&(name.as_str(), None)) || direct.contains(&(name.as_str(), Some(p.version.as_str())));
            let mut package = Package::new(EcosystemKind::CratesIo, name, &p.version, location)
                .with_relationship(if is_direct { Relationship::Direct } else { Relationship::Transitive });
            if let Some(git) = source.strip_prefix("git+") {
                package.purl = package.purl.with_qualifier("vcs_url", git);
            } else if !source.contains("github.com/rust-lang/crates.io-index")
                && !source.starts_with("sparse+https://index.crates.io/")
            {
                package.purl = package.purl.with_qualifier(
                    "repository_url",
                    source.trim_start_matches("registry+").trim_start_matches("sparse+"),
                );
            }
            out.packages.push(package);
        }
        Ok(out)
    }
}

#[derive(Deserialize)]
struct Manifest {
    package: Option<ManifestPackage>,
}

#[derive(Deserialize)]
struct ManifestPackage {
    name: String,
}

/// The `[package]` name of the `Cargo.toml` beside the lockfile; `None` for a virtual
/// workspace or a manifest that is missing or unreadable (then no member is the root).
fn root_package_name(input: &Input<'_>) -> Option<String> {
    let path = input.path.parent().unwrap_or(Path::new("")).join("Cargo.toml");
    let bytes = input.files.read(&path).ok()?;
    let manifest: Manifest = toml::from_str(std::str::from_utf8(&bytes).ok()?).ok()?;
    manifest.package.map(|p| p.name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::testing::{extract_fixture, extract_str, own, summarize};

    #[test]
    fn v1_with_metadata_checksums() {
        let out = extract_fixture(&CargoLock, "inventory/cargo/v1/Cargo.lock").unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "crates.io|itoa|0.4.8|pkg:cargo/itoa@0.4.8|10|transitive",
                "crates.io|serde|1.0.130|pkg:cargo/serde@1.0.130|15|direct",
                "crates.io|serde_json|1.0.68|pkg:cargo/serde_json@1.0.68|20|direct",
            ]
        );
        assert!(out.skipped.is_empty());
        // No Cargo.toml beside it: no member is known to be the root.
        assert_eq!(own(&out), ["workspace-member|app|0.1.0|pkg:cargo/app@0.1.0|2"]);
        assert_eq!(out.own[0].package.location.path, "inventory/cargo/v1/Cargo.lock");
    }

    #[test]
    fn v3_git_and_alternate_registry_sources() {
        let out = extract_fixture(&CargoLock, "inventory/cargo/v3/Cargo.lock").unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "crates.io|cfg-if|1.0.0|pkg:cargo/cfg-if@1.0.0|15|transitive",
                "crates.io|private-crate|0.3.1|pkg:cargo/private-crate@0.3.1?repository_url=https://crates.example.com/index|21|direct",
                "crates.io|smallvec|1.6.0|pkg:cargo/smallvec@1.6.0|26|direct",
                "crates.io|time|0.1.45|pkg:cargo/time@0.1.45?vcs_url=https://github.com/time-rs/time%3Frev%3Dabc%23abcdef0123456789|32|direct",
            ]
        );
    }

    #[test]
    fn v4_workspace_with_two_versions_of_one_crate() {
        let out = extract_fixture(&CargoLock, "inventory/cargo/v4/Cargo.lock").unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "crates.io|rand|0.7.3|pkg:cargo/rand@0.7.3|21|transitive",
                "crates.io|rand|0.8.5|pkg:cargo/rand@0.8.5|27|direct",
                "crates.io|tempdir|0.3.7|pkg:cargo/tempdir@0.3.7|33|direct",
            ]
        );
        assert!(out.skipped.is_empty());
        assert_eq!(
            own(&out),
            [
                "workspace-member|member-a|0.1.0|pkg:cargo/member-a@0.1.0|6",
                "workspace-member|member-b|0.2.0|pkg:cargo/member-b@0.2.0|14"
            ]
        );
    }

    #[test]
    fn malformed_lockfile_names_the_line() {
        let err = extract_str(&CargoLock, "Cargo.lock", "version = 3\n\n[[package]]\nname = \"x\"\nversion = \n")
            .unwrap_err();
        assert_eq!(err.path, "Cargo.lock");
        assert_eq!(err.line, Some(5));
        let err = extract_str(&CargoLock, "Cargo.lock", "[[package]]\nname = \"x\"\n").unwrap_err();
        assert!(err.message.contains("missing field `version`"), "{}", err.message);
    }

    #[test]
    fn empty_lockfile_has_no_packages() {
        assert_eq!(extract_str(&CargoLock, "Cargo.lock", "").unwrap(), Extracted::default());
    }
}
