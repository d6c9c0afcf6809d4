//! `composer.lock`, Composer's lockfile (PHP, Packagist), Composer 1 and 2.
//!
//! Every object of `packages` is a package, and of `packages-dev` a dev package.
//! Decisions:
//!
//! - Versions are kept as Composer wrote them, `v6.4.3` included, like osv-scanner: that is
//!   the exact release name on Packagist (it is the git tag), and Composer's own comparison,
//!   which OSV's Packagist ordering follows, treats `v6.4.3` and `6.4.3` as the same version.
//!   Whoever compares versions must normalise; the inventory does not rewrite them.
//! - Branch versions (`dev-main`, `1.x-dev`) are not releases: advisories list releases,
//!   and the code is whatever commit the branch was at. They are skipped, with the locked
//!   commit (`source.reference`) in the declaration, rather than matched as a fake version.
//! - Packages installed from a `path` repository (`dist.type` `path`) are local code that
//!   merely shares a name with a Packagist package: the project's own, listed apart as
//!   local paths and never matched.
//! - The root package is the `name` of the `composer.json` beside the lock (the lock
//!   itself never lists it). A branch package that is the project itself (its name is the
//!   root's, or one the root `replace`s, as a monorepo's split packages are) is listed as
//!   the root or a workspace member instead of skipped.
//! - Direct: the names `require`/`require-dev` of the `composer.json` beside the lock list
//!   (Composer names are case-insensitive). Without a readable composer.json it is unknown.
//! - The line is the one of the package's `"name"` key. serde_json gives no positions, so a
//!   pass over the (already validated) JSON finds the `"name"` key of each object directly
//!   inside each of the two arrays ([`KeyLines`]); a text search could be fooled by an
//!   author named like a package.
//! - An empty file is no packages: Composer refuses it, but it declares nothing and failing
//!   the whole scan for it helps nobody.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::Deserialize;

use super::json_lines::KeyLines;
use super::{relationship, text, ExtractError, Extracted, Extractor, Input};
use crate::model::{EcosystemKind, Location, OwnKind, OwnPackage, Package, Skipped};

pub struct ComposerLock;

#[derive(Deserialize)]
struct Lockfile {
    #[serde(default)]
    packages: Option<Vec<LockedPackage>>,
    #[serde(default, rename = "packages-dev")]
    packages_dev: Option<Vec<LockedPackage>>,
}

#[derive(Deserialize)]
struct LockedPackage {
    name: String,
    version: String,
    #[serde(default)]
    source: Option<Origin>,
    #[serde(default)]
    dist: Option<Origin>,
}

/// `source` (a VCS checkout) or `dist` (an archive or a path).
#[derive(Deserialize)]
struct Origin {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    reference: Option<String>,
}

/// The parts of `composer.json` that say what the project is and which packages it
/// names itself.
#[derive(Deserialize)]
struct Manifest {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    require: HashMap<String, serde_json::Value>,
    #[serde(default, rename = "require-dev")]
    require_dev: HashMap<String, serde_json::Value>,
    #[serde(default)]
    replace: HashMap<String, serde_json::Value>,
}

/// What the `composer.json` beside the lock says, when it can be read.
struct Project {
    manifest_path: std::path::PathBuf,
    manifest: Manifest,
}

impl Project {
    fn read(input: &Input<'_>) -> Option<Project> {
        let manifest_path = input.path.parent().unwrap_or(Path::new("")).join("composer.json");
        let bytes = input.files.read(&manifest_path).ok()?;
        let manifest = serde_json::from_slice(&bytes).ok()?;
        Some(Project { manifest_path, manifest })
    }

    /// The lowercased names the project requires.
    fn direct_names(&self) -> HashSet<String> {
        let m = &self.manifest;
        m.require.keys().chain(m.require_dev.keys()).map(|n| n.to_ascii_lowercase()).collect()
    }

    /// What a locked package is to the project, when it is the project itself.
    fn own_kind(&self, name: &str) -> Option<OwnKind> {
        let m = &self.manifest;
        if m.name.as_deref().is_some_and(|root| root.eq_ignore_ascii_case(name)) {
            Some(OwnKind::Root)
        } else if m.replace.keys().any(|r| r.eq_ignore_ascii_case(name)) {
            Some(OwnKind::WorkspaceMember)
        } else {
            None
        }
    }
}

impl Extractor for ComposerLock {
    fn id(&self) -> &'static str {
        "php/composer-lock"
    }

    fn wants(&self, path: &Path) -> bool {
        path.file_name().is_some_and(|n| n == "composer.lock")
    }

    fn extract(&self, input: &Input<'_>) -> Result<Extracted, ExtractError> {
        let content = input.text()?;
        let Some(start) = content.find(|c: char| !c.is_whitespace()) else {
            return Ok(Extracted::default());
        };
        // serde would also read a struct from a JSON array; a lockfile is an object.
        if !content[start..].starts_with('{') {
            return Err(input.error(Some(text::line_of(content.as_bytes(), start)), "expected a JSON object"));
        }
        let lock: Lockfile = text::json(input.path, content)?;
        let project = Project::read(input);
        let direct = project.as_ref().map(Project::direct_names);

        let mut out = Extracted::default();
        let groups = [(lock.packages, "packages", false), (lock.packages_dev, "packages-dev", true)];
        for (packages, key, dev) in groups {
            let packages = packages.unwrap_or_default();
            if packages.is_empty() {
                continue;
            }
            // Every package has exactly one `name` (serde insists), so they pair by position.
            let name_lines: Vec<u32> =
                KeyLines::scan(content, |path| matches!(path, [group, item] if group == key && item == "[]"))
                    .lines_of("name")
                    .collect();
            for (index, package) in packages.into_iter().enumerate() {
                let line = name_lines.get(index).copied();
                add_package(input, package, line, dev, direct.as_ref(), project.as_ref(), &mut out)?;
            }
        }
        let root_locked = out.own.iter().any(|o| o.kind == OwnKind::Root);
        if let Some((project, name)) = project.as_ref().and_then(|p| Some((p, p.manifest.name.as_deref()?))) {
            if !root_locked && !name.is_empty() {
                let location = Location::new(&project.manifest_path, None);
                let version = project.manifest.version.as_deref();
                out.own.push(OwnPackage::new(OwnKind::Root, EcosystemKind::Packagist, name, version, location));
            }
        }
        Ok(out)
    }
}

fn add_package(
    input: &Input<'_>,
    package: LockedPackage,
    line: Option<u32>,
    dev: bool,
    direct: Option<&HashSet<String>>,
    project: Option<&Project>,
    out: &mut Extracted,
) -> Result<(), ExtractError> {
    let location = Location::new(input.path, line);
    if package.name.is_empty() || package.version.is_empty() {
        return Err(input.error(line, "package without a name or version"));
    }
    if package.dist.as_ref().is_some_and(|d| d.kind.as_deref() == Some("path")) {
        let (name, version) = (package.name, Some(package.version.as_str()));
        out.own.push(OwnPackage::new(OwnKind::Path, EcosystemKind::Packagist, name, version, location));
        return Ok(());
    }
    if is_branch_version(&package.version) {
        if let Some(kind) = project.and_then(|p| p.own_kind(&package.name)) {
            let version = Some(package.version.as_str());
            out.own.push(OwnPackage::new(kind, EcosystemKind::Packagist, package.name, version, location));
            return Ok(());
        }
        let commit = package.source.as_ref().or(package.dist.as_ref()).and_then(|o| o.reference.as_deref());
        out.skipped.push(Skipped {
            location,
            declaration: match commit {
                Some(commit) => format!("{} {} ({commit})", package.name, package.version),
                None => format!("{} {}", package.name, package.version),
            },
            reason: "branch version, not a release".into(),
        });
        return Ok(());
    }
    let relationship = relationship(direct.map(|d| d.contains(&package.name.to_ascii_lowercase())));
    out.packages.push(
        Package::new(EcosystemKind::Packagist, package.name, package.version, location)
            .with_relationship(relationship)
            .with_dev(dev),
    );
    Ok(())
}

/// Composer's branch versions: `dev-<branch>`, or `<number>.x-dev` / `<number>-dev` for
/// branches that look like versions.
fn is_branch_version(version: &str) -> bool {
    version.starts_with("dev-") || version.ends_with("-dev")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::testing::{extract_fixture, extract_str, own, skipped_line_first, summarize};

    fn error_of(content: &str) -> ExtractError {
        extract_str(&ComposerLock, "composer.lock", content).unwrap_err()
    }

    #[test]
    fn wants_only_composer_lock() {
        assert!(ComposerLock.wants(Path::new("web/composer.lock")));
        assert!(!ComposerLock.wants(Path::new("web/composer.json")));
        assert!(!ComposerLock.wants(Path::new("composer-dev.lock")));
    }

    #[test]
    fn composer_2_with_dev_packages_branches_paths_and_manifest() {
        let out = extract_fixture(&ComposerLock, "inventory/composer/laravel-app/composer.lock").unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "Packagist|guzzlehttp/guzzle|7.8.1|pkg:composer/guzzlehttp/guzzle@7.8.1|38|direct",
                // Found at its own "name", not at the author named like it on line 68.
                "Packagist|laravel/framework|v10.43.0|pkg:composer/laravel/framework@v10.43.0|75|direct",
                "Packagist|symfony/console|v6.4.3|pkg:composer/symfony/console@v6.4.3|102|direct",
                "Packagist|fakerphp/faker|v1.23.1|pkg:composer/fakerphp/faker@v1.23.1|133|direct,dev",
                "Packagist|phpunit/phpunit|10.5.9|pkg:composer/phpunit/phpunit@10.5.9|144|direct,dev",
                "Packagist|sebastian/diff|5.1.0|pkg:composer/sebastian/diff@5.1.0|156|transitive,dev",
            ]
        );
        assert_eq!(
            skipped_line_first(&out),
            [
                "10|acme/legacy-sdk dev-master (4f2b8c1d9e0a7b6c5d4e3f2a1b0c9d8e7f6a5b4c)|branch version, not a release",
                "120|symfony/polyfill-mbstring 1.x-dev (42292d99c55abe617799667f454222c54c60e229)|branch version, not a release",
            ]
        );
        assert_eq!(out.packages[0].location.path, "inventory/composer/laravel-app/composer.lock");
        assert_eq!(
            own(&out),
            [
                "path|acme/shared|1.4.0|pkg:composer/acme/shared@1.4.0|25",
                // From composer.json: the lock never lists the root.
                "root|acme/storefront||pkg:composer/acme/storefront|-",
            ]
        );
        assert_eq!(out.own[1].package.location.path, "inventory/composer/laravel-app/composer.json");
    }

    #[test]
    fn composer_1_without_manifest_and_null_dev_packages() {
        let out = extract_fixture(&ComposerLock, "inventory/composer/composer1-no-manifest/composer.lock").unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "Packagist|monolog/monolog|1.23.0|pkg:composer/monolog/monolog@1.23.0|11|",
                "Packagist|psr/log|1.0.2|pkg:composer/psr/log@1.0.2|32|",
                "Packagist|drupal/token|1.5.0|pkg:composer/drupal/token@1.5.0|43|",
            ]
        );
        assert!(out.skipped.is_empty());
    }

    #[test]
    fn compact_json_and_escaped_keys_still_get_lines() {
        let content = "{\"packages\":[{\"version\":\"1.0.0\",\"extra\":{\"name\":\"x\"},\n\"name\":\"a/b\"},\
                       {\"name\":\"c/d\",\"version\":\"2.0.0\",\"description\":\"a \\\"quoted\\\" {brace\"}],\n\
                       \"packages-dev\":[\n{\"name\":\"e/f\",\"version\":\"3.0.0\"}]}";
        let out = extract_str(&ComposerLock, "composer.lock", content).unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "Packagist|a/b|1.0.0|pkg:composer/a/b@1.0.0|2|",
                "Packagist|c/d|2.0.0|pkg:composer/c/d@2.0.0|2|",
                "Packagist|e/f|3.0.0|pkg:composer/e/f@3.0.0|4|dev",
            ]
        );
    }

    #[test]
    fn names_keep_their_spelling_and_purls_lowercase() {
        let content = r#"{"packages": [{"name": "Acme/Widget", "version": "V2.0.0"}]}"#;
        let out = extract_str(&ComposerLock, "composer.lock", content).unwrap();
        assert_eq!(summarize(&out.packages), ["Packagist|Acme/Widget|V2.0.0|pkg:composer/acme/widget@V2.0.0|1|"]);
    }

    #[test]
    fn malformed_lockfiles_name_the_line() {
        let err =
            error_of("{\n    \"packages\": [\n        {\n            \"name\": \"a/b\",\n            \"version\": 1\n");
        assert_eq!(err.line, Some(5));
        assert!(err.message.contains("invalid type: integer"), "{}", err.message);

        let err = error_of("{\n    \"packages\": {}\n}\n");
        assert_eq!(err.line, Some(2));
        assert!(err.message.contains("expected a sequence"), "{}", err.message);

        let err = error_of("{\"packages\": [{\"name\": \"a/b\"}]}");
        assert!(err.message.contains("missing field `version`"), "{}", err.message);

        let err = error_of("{\n\"packages\": [\n{\"name\": \"a/b\", \"version\": \"\"}]}");
        assert_eq!((err.line, err.message.as_str()), (Some(3), "package without a name or version"));

        let err = error_of("\n[]");
        assert_eq!((err.line, err.message.as_str()), (Some(2), "expected a JSON object"));
    }

    #[test]
    fn truncated_file_is_an_error() {
        let err = error_of("{\n    \"packages\": [\n        {\n            \"name\": \"a/b\",\n            \"vers");
        assert_eq!(err.line, Some(5));
        assert!(err.message.contains("EOF"), "{}", err.message);
    }

    #[test]
    fn binary_junk_is_an_error() {
        let err = ComposerLock.extract(&Input::new(Path::new("composer.lock"), b"{\n\x00\xff\xfe")).unwrap_err();
        assert_eq!((err.line, err.message.as_str()), (Some(2), "not valid UTF-8 text"));
        let err = error_of("{\n\u{1}\u{2}}");
        assert_eq!(err.line, Some(2));
    }

    #[test]
    fn deep_nesting_does_not_crash() {
        // serde_json skips unknown values without recursing; the line scan keeps a counter.
        let deep = format!("{{\"packages\": [], \"extra\": {}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(extract_str(&ComposerLock, "composer.lock", &deep).unwrap(), Extracted::default());
        let deep = format!("{{\"packages\": [{{\"name\": \"a/b\", \"version\": {}", "[".repeat(100_000));
        assert!(error_of(&deep).message.contains("invalid type"));
    }

    #[test]
    fn empty_lockfile_has_no_packages() {
        assert_eq!(extract_str(&ComposerLock, "composer.lock", "").unwrap(), Extracted::default());
        assert_eq!(extract_str(&ComposerLock, "composer.lock", " \n").unwrap(), Extracted::default());
        assert_eq!(extract_str(&ComposerLock, "composer.lock", "{}").unwrap(), Extracted::default());
    }

    #[test]
    fn branch_versions() {
        for branch in ["dev-main", "dev-feature/x", "1.x-dev", "2.0.x-dev", "9999999-dev"] {
            assert!(is_branch_version(branch), "{branch}");
        }
        for release in ["1.0.0", "v2.3.4", "1.0.0-RC1", "dev", "1.0.0-beta2"] {
            assert!(!is_branch_version(release), "{release}");
        }
    }

    #[test]
    fn branch_packages_that_are_the_project_are_own_others_stay_skipped() {
        let out = extract_fixture(&ComposerLock, "own/composer/composer.lock").unwrap();
        assert_eq!(summarize(&out.packages), ["Packagist|psr/log|1.1.0|pkg:composer/psr/log@1.1.0|17|direct"]);
        assert_eq!(
            own(&out),
            [
                "root|acme/framework|6.4.x-dev|pkg:composer/acme/framework@6.4.x-dev|5",
                "workspace-member|acme/console|6.4.x-dev|pkg:composer/acme/console@6.4.x-dev|11",
            ]
        );
        assert_eq!(
            skipped_line_first(&out),
            ["22|symfony/polyfill-php80 1.x-dev (abc123)|branch version, not a release"]
        );
    }
}
