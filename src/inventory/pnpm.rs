//! `pnpm-lock.yaml`, lockfile versions 5.x (pnpm 6–7), 6.0 (pnpm 8) and 9.0 (pnpm 9–10).
//!
//! Every entry of `packages:` is one package; its key says which (`/name/1.2.3_peer@1`
//! in v5, `/name@1.2.3(peer@1)` in v6, `name@1.2.3` in v9). Peer suffixes only say how
//! pnpm wired the package, so `react-dom` installed twice for two `react`s is still one
//! package: each name@version is reported once, at its first key, and v9 lines point
//! into `packages:`, not `snapshots:`.
//!
//! Direct dependencies are the ones the importers name (top-level `dependencies:` of a
//! single project, `importers:` of a workspace). v5–v8 flag dev-only packages with
//! `dev: true`; v9 dropped the flag, so it is derived: a package is dev when the
//! snapshots graph reaches it from some importer's `devDependencies` and from no
//! `dependencies`/`optionalDependencies`. That is what pnpm's own `--prod` install
//! would leave out.
//!
//! Sources other than the registry: a git dependency (`{repo, commit}` or a
//! codeload.github.com tarball) is reported, like osv-scanner does, as the npm package
//! with its `version` and a purl `vcs_url` naming the commit, since advisories for
//! the package still apply to a fork of it. Local directories and `file:` tarballs, and
//! tarballs from URLs that are not a registry, are skipped: their version number is
//! whatever the author wrote, not a published release.
//!
//! The project's own packages are listed apart, never matched: every importer but `.`
//! is a workspace member, `.` is the root when its `package.json` names it, a `link:`
//! dependency to a folder that is no importer is a link, and a local directory or
//! `file:` entry of `packages:` that names itself is a local path. Importers are named
//! by their `package.json` (read beside the lockfile), else by a `link:` to them, else
//! by their folder; the lockfile records no version for them.
//!
//! Recent pnpm may open the file with a second YAML document that locks pnpm itself
//! (`packageManagerDependencies`); the project's lockfile is the last document, and only
//! it is read: the package manager is a tool, not a dependency of the project.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::js::{
    codeload_commit, looks_like_version, reachable, registry_tarball, split_name_at, vcs_url, Mapping, NpmOrigin,
    PackageSet, YamlKeyLines,
};
use super::{relationship, text, ExtractError, Extracted, Extractor, Input};
use crate::model::{EcosystemKind, Location, OwnKind, OwnPackage, Skipped};

pub struct PnpmLock;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Lockfile {
    lockfile_version: Option<String>,
    #[serde(default)]
    importers: Mapping<Importer>,
    // A single project (v5–v8 without workspace) keeps its importer at the top level.
    #[serde(default)]
    dependencies: Mapping<DepRef>,
    #[serde(default)]
    dev_dependencies: Mapping<DepRef>,
    #[serde(default)]
    optional_dependencies: Mapping<DepRef>,
    #[serde(default)]
    packages: Mapping<PackageEntry>,
    snapshots: Option<Mapping<Snapshot>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Importer {
    dependencies: Mapping<DepRef>,
    dev_dependencies: Mapping<DepRef>,
    optional_dependencies: Mapping<DepRef>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PackageEntry {
    resolution: Resolution,
    /// Only non-registry entries carry their name and version as fields.
    name: Option<String>,
    version: Option<String>,
    dev: Option<bool>,
    optional: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Resolution {
    tarball: Option<String>,
    repo: Option<String>,
    commit: Option<String>,
    directory: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Snapshot {
    dependencies: Mapping<String>,
    optional_dependencies: Mapping<String>,
    optional: bool,
}

/// An importer's dependency: the resolved version, written `1.2.3` in v5 and
/// `{specifier: ^1.2.0, version: 1.2.3}` from v6 on.
struct DepRef(String);

impl<'de> Deserialize<'de> for DepRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DepRefVisitor;
        impl<'de> Visitor<'de> for DepRefVisitor {
            type Value = DepRef;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a version or a {specifier, version} mapping")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<DepRef, E> {
                Ok(DepRef(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<DepRef, E> {
                Ok(DepRef(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DepRef, A::Error> {
                let mut version = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key == "version" {
                        version = Some(map.next_value::<String>()?);
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                version.map(DepRef).ok_or_else(|| serde::de::Error::missing_field("version"))
            }
        }
        deserializer.deserialize_any(DepRefVisitor)
    }
}

/// How package keys are spelled.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum KeySyntax {
    /// v5 and older: `/name/1.2.3_peer@1.0.0`.
    Slash,
    /// v6 on: `/name@1.2.3(peer@1.0.0)`, v9 without the leading slash.
    At,
}

impl KeySyntax {
    fn of(lockfile_version: &str) -> Option<KeySyntax> {
        let major: u32 = lockfile_version.trim().split('.').next()?.parse().ok()?;
        Some(if major < 6 { KeySyntax::Slash } else { KeySyntax::At })
    }
}

impl Extractor for PnpmLock {
    fn id(&self) -> &'static str {
        "javascript/pnpm-lock"
    }

    fn wants(&self, path: &Path) -> bool {
        path.file_name().is_some_and(|n| n == "pnpm-lock.yaml")
    }

    fn extract(&self, input: &Input<'_>) -> Result<Extracted, ExtractError> {
        let content = input.text()?;
        let Some(document) = project_document(content) else {
            return Ok(Extracted::default());
        };
        let lock: Lockfile = parse_yaml(input, document.text, document.line_offset)?;
        let version = lock
            .lockfile_version
            .as_deref()
            .ok_or_else(|| input.error(None, "no lockfileVersion: not a pnpm lockfile"))?;
        let syntax = KeySyntax::of(version)
            .ok_or_else(|| input.error(None, format!("unsupported lockfileVersion {version:?}")))?;
        let lines = YamlKeyLines::scan(document.text, document.line_offset, is_located_path);
        let importers = lock.importers();

        let mut out = Extracted::default();
        list_own_packages(input, &lock, &importers, &lines, &mut out);
        let direct = direct_package_ids(&importers, syntax);
        let derived = lock.snapshots.as_ref().map(|s| derive_dev_and_optional(s, &importers));
        let mut seen = PackageSet::default();
        for (key, entry) in &lock.packages.0 {
            let location = Location::new(input.path, lines.get(&["packages", key.as_str()]));
            let id = package_id(key, syntax);
            let (dev, optional) = match &derived {
                Some(flags) => flags.get(&id).copied().unwrap_or_default(),
                None => (entry.dev == Some(true), entry.optional),
            };
            if let Some(own) = local_entry(key, entry, location.clone()) {
                out.own.push(own);
                continue;
            }
            match identify(key, entry, syntax) {
                Ok(origin) => {
                    let relationship = relationship((!direct.is_empty()).then(|| direct.contains(&id)));
                    let package = origin.into_package(location).with_relationship(relationship);
                    seen.add(&mut out.packages, package.with_dev(dev).with_optional(optional));
                }
                Err(reason) => out.skipped.push(Skipped { location, declaration: key.clone(), reason }),
            }
        }
        Ok(out)
    }
}

impl Lockfile {
    /// The importers with the path prefix their dependency keys have in the file.
    fn importers(&self) -> Vec<(Vec<String>, ImporterDeps<'_>)> {
        if self.importers.0.is_empty() {
            let root = ImporterDeps {
                dependencies: &self.dependencies,
                dev_dependencies: &self.dev_dependencies,
                optional_dependencies: &self.optional_dependencies,
            };
            return vec![(Vec::new(), root)];
        }
        self.importers
            .0
            .iter()
            .map(|(path, importer)| {
                let deps = ImporterDeps {
                    dependencies: &importer.dependencies,
                    dev_dependencies: &importer.dev_dependencies,
                    optional_dependencies: &importer.optional_dependencies,
                };
                (vec!["importers".to_string(), path.clone()], deps)
            })
            .collect()
    }
}

struct ImporterDeps<'a> {
    dependencies: &'a Mapping<DepRef>,
    dev_dependencies: &'a Mapping<DepRef>,
    optional_dependencies: &'a Mapping<DepRef>,
}

impl<'a> ImporterDeps<'a> {
    /// (section name, dependency name, resolved version), with `dev` for `devDependencies`.
    fn all(&self) -> impl Iterator<Item = (&'static str, &'a str, &'a str, bool)> + 'a {
        let section = |name: &'static str, deps: &'a Mapping<DepRef>, dev: bool| {
            deps.0.iter().map(move |(dep, version)| (name, dep.as_str(), version.0.as_str(), dev))
        };
        section("dependencies", self.dependencies, false)
            .chain(section("optionalDependencies", self.optional_dependencies, false))
            .chain(section("devDependencies", self.dev_dependencies, true))
    }
}

/// The paths whose key lines are needed: package keys and importers' dependencies.
fn is_located_path(path: &[String]) -> bool {
    let is_section = |s: &str| matches!(s, "dependencies" | "devDependencies" | "optionalDependencies");
    match path {
        [section, _] => section == "packages" || section == "importers" || is_section(section),
        [importers, _, section, _] => importers == "importers" && is_section(section),
        _ => false,
    }
}

/// The project's own packages: the importers (workspace members, and `.` as the root
/// when named) and `link:` dependencies to folders that are not importers.
fn list_own_packages(
    input: &Input<'_>,
    lock: &Lockfile,
    importers: &[(Vec<String>, ImporterDeps<'_>)],
    lines: &YamlKeyLines,
    out: &mut Extracted,
) {
    let lockfile_dir = input.path.parent().unwrap_or(Path::new(""));
    // The name each linked folder is installed under, for importers without a manifest.
    let mut link_names: HashMap<String, &str> = HashMap::new();
    let mut links = Vec::new();
    for (prefix, deps) in importers {
        let importer = prefix.get(1).map_or(".", String::as_str);
        for (section, dep, version, _) in deps.all() {
            let Some(target) = version.strip_prefix("link:") else { continue };
            let folder = join_folder(importer, target);
            link_names.entry(folder.clone()).or_insert(dep);
            let mut key_path: Vec<&str> = prefix.iter().map(String::as_str).collect();
            key_path.extend([section, dep]);
            links.push((folder, dep, Location::new(input.path, lines.get(&key_path))));
        }
    }
    let importer_paths: HashSet<&str> = lock.importers.0.iter().map(|(path, _)| path.as_str()).collect();
    for (path, _) in &lock.importers.0 {
        let location = Location::new(input.path, lines.get(&["importers", path.as_str()]));
        let manifest = read_manifest(input, &lockfile_dir.join(path));
        let name = manifest.as_ref().and_then(|m| m.name.as_deref()).or(link_names.get(path.as_str()).copied());
        let version = manifest.as_ref().and_then(|m| m.version.as_deref());
        match (path.as_str(), name) {
            (".", Some(name)) => {
                out.own.push(OwnPackage::new(OwnKind::Root, EcosystemKind::Npm, name, version, location))
            }
            (".", None) => {}
            (path, name) => out.own.push(OwnPackage::new(
                OwnKind::WorkspaceMember,
                EcosystemKind::Npm,
                name.unwrap_or(path),
                version,
                location,
            )),
        }
    }
    if importer_paths.is_empty() {
        if let Some(manifest) = read_manifest(input, lockfile_dir) {
            if let Some(name) = manifest.name.as_deref() {
                let location = Location::new(input.path, None);
                let version = manifest.version.as_deref();
                out.own.push(OwnPackage::new(OwnKind::Root, EcosystemKind::Npm, name, version, location));
            }
        }
    }
    let mut listed = HashSet::new();
    for (folder, dep, location) in links {
        if importer_paths.contains(folder.as_str()) || !listed.insert(folder.clone()) {
            continue;
        }
        let manifest = read_manifest(input, &lockfile_dir.join(&folder));
        let version = manifest.as_ref().and_then(|m| m.version.as_deref());
        out.own.push(OwnPackage::new(OwnKind::Link, EcosystemKind::Npm, dep, version, location));
    }
}

/// A folder relative to the lockfile's: `importer` joined with a relative `target`,
/// `.` and `..` resolved (`packages/web` + `../ui` = `packages/ui`); a path leaving the
/// lockfile's folder keeps its leading `..`.
fn join_folder(importer: &str, target: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for segment in importer.split('/').chain(target.split('/')) {
        match segment {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

/// The name and version of a folder's `package.json`, read through the scanned tree.
#[derive(Deserialize)]
struct Manifest {
    name: Option<String>,
    version: Option<String>,
}

fn read_manifest(input: &Input<'_>, folder: &Path) -> Option<Manifest> {
    let bytes = input.files.read(&folder.join("package.json")).ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    serde_json::from_str(text.trim_start_matches('\u{feff}')).ok()
}

/// A `packages:` entry for a local directory or `file:` tarball that names itself: the
/// project's own code, listed as a local path.
fn local_entry(key: &str, entry: &PackageEntry, location: Location) -> Option<OwnPackage> {
    let resolution = &entry.resolution;
    let is_local = resolution.directory.is_some()
        || resolution.kind.as_deref() == Some("directory")
        || resolution.tarball.as_deref().is_some_and(|t| t.starts_with("file:"));
    if !is_local {
        return None;
    }
    let bare = key.strip_prefix('/').unwrap_or(key);
    let key_name = split_name_at(bare).map(|(name, _)| name).filter(|n| is_npm_name(n));
    let name = entry.name.as_deref().or(key_name)?;
    Some(OwnPackage::new(OwnKind::Path, EcosystemKind::Npm, name, entry.version.as_deref(), location))
}

/// The ids ([`package_id`]) of the packages importers depend on.
fn direct_package_ids(importers: &[(Vec<String>, ImporterDeps<'_>)], syntax: KeySyntax) -> HashSet<String> {
    let mut ids = HashSet::new();
    for (_, deps) in importers {
        for (_, dep, version, _) in deps.all() {
            ids.extend(importer_target_ids(dep, version, syntax));
        }
    }
    ids
}

/// The package ids an importer's `dep: version` may point at. Non-registry versions are
/// the whole key in v5–v8 (`github.com/user/repo/sha`) but `dep@…` in v9, so both are
/// tried.
fn importer_target_ids(dep: &str, version: &str, syntax: KeySyntax) -> Vec<String> {
    if version.starts_with("link:") {
        return Vec::new();
    }
    if version.starts_with('/') {
        return vec![package_id(version, syntax)];
    }
    match syntax {
        KeySyntax::Slash if looks_like_version(version.split('_').next().unwrap_or_default()) => {
            vec![package_id(&format!("/{dep}/{version}"), syntax)]
        }
        KeySyntax::Slash => vec![package_id(version, syntax)],
        KeySyntax::At if alias_target(version).is_some() => vec![package_id(version, syntax)],
        KeySyntax::At if looks_like_version(version) => vec![package_id(&format!("{dep}@{version}"), syntax)],
        KeySyntax::At => vec![package_id(version, syntax), package_id(&format!("{dep}@{version}"), syntax)],
    }
}

/// A package key without its leading slash and peer suffix: the key every peer
/// variant of one package shares.
fn package_id(key: &str, syntax: KeySyntax) -> String {
    let key = key.strip_prefix('/').unwrap_or(key);
    match syntax {
        KeySyntax::Slash => match split_slash_key(key) {
            Some((name, version)) => format!("{name}/{version}"),
            None => key.to_string(),
        },
        KeySyntax::At => strip_peers(key).to_string(),
    }
}

/// `name@1.2.3(peer@1.0.0)(other@2.0.0)` → `name@1.2.3`.
fn strip_peers(key: &str) -> &str {
    key.split('(').next().unwrap_or(key)
}

/// A v5 registry key without its slash, `name/1.2.3_peers` or `@scope/name/1.2.3`.
fn split_slash_key(key: &str) -> Option<(&str, &str)> {
    let name_end = if key.starts_with('@') {
        let scope_end = key.find('/')?;
        scope_end + 1 + key[scope_end + 1..].find('/')?
    } else {
        key.find('/')?
    };
    let rest = &key[name_end + 1..];
    let version = rest.split('_').next().unwrap_or(rest);
    looks_like_version(version).then(|| (&key[..name_end], version))
}

/// A registry key without its slash and peers, `name@1.2.3` or `@scope/name@1.2.3`.
fn split_at_key(key: &str) -> Option<(&str, &str)> {
    let (name, version) = split_name_at(strip_peers(key))?;
    (is_npm_name(name) && looks_like_version(version)).then_some((name, version))
}

/// `name` or `@scope/name`: not a URL, path or host.
fn is_npm_name(name: &str) -> bool {
    let slashes = name.matches('/').count();
    !name.is_empty() && !name.contains(':') && if name.starts_with('@') { slashes == 1 } else { slashes == 0 }
}

/// `real@1.2.3` when a dependency is an npm alias (v9 writes `alias: real@1.2.3`).
fn alias_target(version: &str) -> Option<&str> {
    let (name, _) = split_name_at(strip_peers(version))?;
    (is_npm_name(name) && !name.starts_with(|c: char| c.is_ascii_digit())).then_some(version)
}

/// What a `packages:` entry is, or why it is skipped.
fn identify(key: &str, entry: &PackageEntry, syntax: KeySyntax) -> Result<NpmOrigin, String> {
    let bare = key.strip_prefix('/').unwrap_or(key);
    let registry_key = match syntax {
        KeySyntax::Slash if key.starts_with('/') => split_slash_key(bare),
        KeySyntax::Slash => None,
        KeySyntax::At => split_at_key(bare),
    };
    if let Some((name, version)) = registry_key {
        let registry = entry.resolution.tarball.as_deref().and_then(registry_tarball).and_then(|t| t.registry);
        return Ok(NpmOrigin::Registry { name: name.into(), version: version.into(), registry });
    }
    // Not a registry key: the entry names itself (v5–v8), or the key starts with the
    // name (v9 `name@https://…`).
    let key_name = split_name_at(bare).map(|(name, _)| name).filter(|n| is_npm_name(n));
    let name = entry.name.as_deref().or(key_name);
    let version = entry.version.as_deref();
    let resolution = &entry.resolution;
    let source = classify_resolution(resolution)?;
    let (Some(name), Some(version)) = (name, version) else {
        return Err("the entry names no package name and version".into());
    };
    Ok(source.with_identity(name, version))
}

/// Where a non-registry package comes from, before its name and version are known.
enum Source {
    Git(String),
    Registry { registry: Option<String>, name: Option<String>, version: Option<String> },
}

impl Source {
    fn with_identity(self, name: &str, version: &str) -> NpmOrigin {
        match self {
            Source::Git(vcs) => NpmOrigin::Git { name: name.into(), version: version.into(), vcs_url: vcs },
            Source::Registry { registry, name: tarball_name, version: tarball_version } => NpmOrigin::Registry {
                name: tarball_name.unwrap_or_else(|| name.into()),
                version: tarball_version.unwrap_or_else(|| version.into()),
                registry,
            },
        }
    }
}

fn classify_resolution(resolution: &Resolution) -> Result<Source, String> {
    let tarball = resolution.tarball.as_deref();
    if resolution.directory.is_some()
        || resolution.kind.as_deref() == Some("directory")
        || tarball.is_some_and(|t| t.starts_with("file:"))
    {
        return Err("local directory or file, not a registry package".into());
    }
    if let Some(repo) = &resolution.repo {
        return match &resolution.commit {
            Some(commit) => Ok(Source::Git(vcs_url(repo, commit))),
            None => Err("git dependency without a locked commit".into()),
        };
    }
    match tarball {
        Some(url) => {
            if let Some((repo, commit)) = codeload_commit(url) {
                return Ok(Source::Git(vcs_url(&repo, &commit)));
            }
            match registry_tarball(url) {
                Some(t) => Ok(Source::Registry { registry: t.registry, name: Some(t.name), version: t.version }),
                None => Err("tarball from a URL that is not a registry".into()),
            }
        }
        // An integrity alone: a registry package under an unusual key (old lockfiles
        // spelled custom registries `registry.example.com/name/1.0.0`).
        None => Ok(Source::Registry { registry: None, name: None, version: None }),
    }
}

/// dev and optional per package id, derived from the v9 snapshots graph.
fn derive_dev_and_optional(
    snapshots: &Mapping<Snapshot>,
    importers: &[(Vec<String>, ImporterDeps<'_>)],
) -> HashMap<String, (bool, bool)> {
    let index: HashMap<&str, usize> = snapshots.0.iter().enumerate().map(|(i, (k, _))| (k.as_str(), i)).collect();
    let mut prod_roots = Vec::new();
    let mut dev_roots = Vec::new();
    for (_, deps) in importers {
        for (_, dep, version, dev) in deps.all() {
            if let Some(&i) = snapshot_target(dep, version).and_then(|k| index.get(k.as_str())) {
                if dev {
                    dev_roots.push(i)
                } else {
                    prod_roots.push(i)
                }
            }
        }
    }
    let edges = |i: usize| {
        let (_, snapshot) = &snapshots.0[i];
        snapshot
            .dependencies
            .0
            .iter()
            .chain(&snapshot.optional_dependencies.0)
            .filter_map(|(dep, version)| snapshot_target(dep, version).and_then(|k| index.get(k.as_str()).copied()))
            .collect::<Vec<_>>()
    };
    let prod = reachable(snapshots.0.len(), prod_roots, edges);
    let dev = reachable(snapshots.0.len(), dev_roots, edges);

    // (reached from prod, reached from dev, every snapshot optional)
    let mut by_id: HashMap<String, (bool, bool, bool)> = HashMap::new();
    for (i, (key, snapshot)) in snapshots.0.iter().enumerate() {
        let flags = by_id.entry(package_id(key, KeySyntax::At)).or_insert((false, false, true));
        flags.0 |= prod[i];
        flags.1 |= dev[i];
        flags.2 &= snapshot.optional;
    }
    by_id.into_iter().map(|(id, (prod, dev, optional))| (id, (dev && !prod, optional))).collect()
}

/// The snapshot key a v9 `dep: version` points at (peers included), if any.
fn snapshot_target(dep: &str, version: &str) -> Option<String> {
    if version.starts_with("link:") {
        return None;
    }
    Some(match alias_target(version) {
        Some(target) => target.to_string(),
        None => format!("{dep}@{version}"),
    })
}

/// Parses one YAML document that starts after `line_offset` lines of the file; errors
/// name the file's line.
fn parse_yaml<T: serde::de::DeserializeOwned>(
    input: &Input<'_>,
    document: &str,
    line_offset: u32,
) -> Result<T, ExtractError> {
    text::yaml(input.path, document).map_err(|mut e| {
        e.line = e.line.map(|l| l + line_offset);
        e
    })
}

/// The YAML document of the project: the file's last document (recent pnpm writes its
/// own lockfile as a first document), with the line offset of its first line.
struct Document<'a> {
    text: &'a str,
    line_offset: u32,
}

fn project_document(content: &str) -> Option<Document<'_>> {
    let mut start = 0;
    let mut start_line = 0u32;
    let mut last: Option<Document> = None;
    let mut offset = 0;
    for (number, line) in content.split_inclusive('\n').enumerate() {
        if line.starts_with("---") && is_blank_or_comment(&line[3..]) {
            let chunk = &content[start..offset];
            if has_content(chunk) {
                last = Some(Document { text: chunk, line_offset: start_line });
            }
            start = offset + line.len();
            start_line = number as u32 + 1;
        }
        offset += line.len();
    }
    let chunk = &content[start..];
    if has_content(chunk) {
        last = Some(Document { text: chunk, line_offset: start_line });
    }
    last
}

fn is_blank_or_comment(line: &str) -> bool {
    let line = line.trim();
    line.is_empty() || line.starts_with('#')
}

/// Whether a document holds anything but blank lines and comments.
fn has_content(chunk: &str) -> bool {
    chunk.lines().any(|l| !is_blank_or_comment(l))
}

#[cfg(test)]
mod tests;
