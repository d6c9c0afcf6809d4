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
//! whatever the author wrote, not a published release. `link:` importer entries are the
//! workspace's own packages (or local checkouts) and are skipped too.
//!
//! Recent pnpm may open the file with a second YAML document that locks pnpm itself
//! (`packageManagerDependencies`); the project's lockfile is the last document, and only
//! it is read: the package manager is a tool, not a dependency of the project.
//!
//! This module also holds the helpers `yarn.lock` shares (npm tarball URLs, git
//! locations, ordered YAML maps and key lines).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::marker::PhantomData;
use std::path::Path;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::{text, ExtractError, Extracted, Extractor, Input};
use crate::model::{EcosystemKind, Location, Package, Relationship, Skipped};

pub struct PnpmLock;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Lockfile {
    lockfile_version: Option<String>,
    #[serde(default)]
    importers: Ordered<Importer>,
    // A single project (v5–v8 without workspace) keeps its importer at the top level.
    #[serde(default)]
    dependencies: Ordered<DepRef>,
    #[serde(default)]
    dev_dependencies: Ordered<DepRef>,
    #[serde(default)]
    optional_dependencies: Ordered<DepRef>,
    #[serde(default)]
    packages: Ordered<PackageEntry>,
    snapshots: Option<Ordered<Snapshot>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Importer {
    dependencies: Ordered<DepRef>,
    dev_dependencies: Ordered<DepRef>,
    optional_dependencies: Ordered<DepRef>,
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
    dependencies: Ordered<String>,
    optional_dependencies: Ordered<String>,
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
        let lines = KeyLines::scan(document.text, document.line_offset, is_located_path);
        let importers = lock.importers();

        let mut out = Extracted::default();
        skip_linked_importer_deps(&importers, &lines, input.path, &mut out);
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
            match identify(key, entry, syntax) {
                Ok(origin) => {
                    let relationship = if direct.is_empty() {
                        Relationship::Unknown
                    } else if direct.contains(&id) {
                        Relationship::Direct
                    } else {
                        Relationship::Transitive
                    };
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
    dependencies: &'a Ordered<DepRef>,
    dev_dependencies: &'a Ordered<DepRef>,
    optional_dependencies: &'a Ordered<DepRef>,
}

impl<'a> ImporterDeps<'a> {
    /// (section name, dependency name, resolved version), with `dev` for `devDependencies`.
    fn all(&self) -> impl Iterator<Item = (&'static str, &'a str, &'a str, bool)> + 'a {
        let section = |name: &'static str, deps: &'a Ordered<DepRef>, dev: bool| {
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
        [section, _] => section == "packages" || is_section(section),
        [importers, _, section, _] => importers == "importers" && is_section(section),
        _ => false,
    }
}

/// `link:` dependencies point at a directory of the project (a workspace package or a
/// local checkout): skipped, at the importer's line.
fn skip_linked_importer_deps(
    importers: &[(Vec<String>, ImporterDeps<'_>)],
    lines: &KeyLines,
    path: &Path,
    out: &mut Extracted,
) {
    for (prefix, deps) in importers {
        for (section, dep, version, _) in deps.all() {
            if !version.starts_with("link:") {
                continue;
            }
            let mut key_path: Vec<&str> = prefix.iter().map(String::as_str).collect();
            key_path.extend([section, dep]);
            out.skipped.push(Skipped {
                location: Location::new(path, lines.get(&key_path)),
                declaration: format!("{dep}@{version}"),
                reason: "link to a local directory (workspace package), not a registry package".into(),
            });
        }
    }
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
pub(super) fn is_npm_name(name: &str) -> bool {
    let slashes = name.matches('/').count();
    !name.is_empty() && !name.contains(':') && if name.starts_with('@') { slashes == 1 } else { slashes == 0 }
}

/// An exact semver version, as registry keys carry; URLs, paths and `file:` do not look
/// like one.
fn looks_like_version(version: &str) -> bool {
    version.starts_with(|c: char| c.is_ascii_digit()) && !version.contains(['/', ':'])
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
    snapshots: &Ordered<Snapshot>,
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

/// Which of `count` nodes a walk from `roots` reaches; iterative, so deep graphs
/// cannot overflow the stack.
pub(super) fn reachable(count: usize, roots: Vec<usize>, edges: impl Fn(usize) -> Vec<usize>) -> Vec<bool> {
    let mut seen = vec![false; count];
    let mut todo = roots;
    while let Some(node) = todo.pop() {
        if node >= count || seen[node] {
            continue;
        }
        seen[node] = true;
        todo.extend(edges(node).into_iter().filter(|&n| n < count && !seen[n]));
    }
    seen
}

// ---------------------------------------------------------------------------------
// Helpers shared with yarn.lock.

/// Where an npm package came from, once its name and version are known.
pub(super) enum NpmOrigin {
    /// From a registry; `registry` only when it is not the public one.
    Registry { name: String, version: String, registry: Option<String> },
    /// Built from a git commit; `vcs_url` is `git+<repo>@<commit>`.
    Git { name: String, version: String, vcs_url: String },
}

impl NpmOrigin {
    pub(super) fn into_package(self, location: Location) -> Package {
        let (name, version, qualifier) = match self {
            NpmOrigin::Registry { name, version, registry } => (name, version, registry.map(|r| ("repository_url", r))),
            NpmOrigin::Git { name, version, vcs_url } => (name, version, Some(("vcs_url", vcs_url))),
        };
        let mut package = Package::new(EcosystemKind::Npm, name, version, location);
        if let Some((key, value)) = qualifier {
            package.purl = package.purl.with_qualifier(key, value);
        }
        package
    }
}

/// Packages reported once per name, version and purl: the first declaration keeps its
/// line, later ones widen its flags (direct if any is, dev or optional only if all are).
#[derive(Default)]
pub(super) struct PackageSet {
    index: HashMap<(String, String, String), usize>,
}

impl PackageSet {
    pub(super) fn add(&mut self, packages: &mut Vec<Package>, package: Package) {
        let key = (package.name.clone(), package.version.clone(), package.purl.to_string());
        match self.index.get(&key) {
            Some(&i) => {
                let kept = &mut packages[i];
                if package.relationship == Relationship::Direct {
                    kept.relationship = Relationship::Direct;
                }
                kept.dev &= package.dev;
                kept.optional &= package.optional;
            }
            None => {
                self.index.insert(key, packages.len());
                packages.push(package);
            }
        }
    }
}

/// `@scope/name@range` → (`@scope/name`, `range`): the `@` that starts a scope is not
/// the separator.
pub(super) fn split_name_at(spec: &str) -> Option<(&str, &str)> {
    let at = spec.get(1..)?.find('@')? + 1;
    Some((&spec[..at], &spec[at + 1..]))
}

/// A registry tarball URL (`<registry>/<name>/-/<short name>-<version>.tgz`).
pub(super) struct RegistryTarball {
    /// The registry, when it is not the public npm registry (purl `repository_url`).
    pub(super) registry: Option<String>,
    pub(super) name: String,
    pub(super) version: Option<String>,
}

/// Reads a tarball URL laid out the way npm registries serve them; `None` for any other
/// URL.
pub(super) fn registry_tarball(url: &str) -> Option<RegistryTarball> {
    let url = url.split(['#', '?']).next().unwrap_or(url);
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return None;
    }
    let (before, file) = url.rsplit_once("/-/")?;
    let (rest, last) = before.rsplit_once('/')?;
    let decoded_last = last.replace("%2f", "/").replace("%2F", "/");
    let (registry, name) = match (decoded_last.starts_with('@'), rest.rsplit_once('/')) {
        (true, _) if decoded_last.contains('/') => (rest, decoded_last.clone()),
        (false, Some((registry, scope))) if scope.starts_with('@') => (registry, format!("{scope}/{last}")),
        _ => (rest, last.to_string()),
    };
    if !registry.contains("://") || name.is_empty() {
        return None;
    }
    let short_name = name.rsplit('/').next().unwrap_or(&name);
    let version = file
        .strip_suffix(".tgz")
        .and_then(|f| f.strip_prefix(short_name))
        .and_then(|f| f.strip_prefix('-'))
        .filter(|v| looks_like_version(v))
        .map(str::to_string);
    let is_public = ["https://registry.npmjs.org", "https://registry.yarnpkg.com", "http://registry.npmjs.org"]
        .contains(&registry.trim_end_matches('/'));
    Some(RegistryTarball { registry: (!is_public).then(|| registry.to_string()), name, version })
}

/// `https://codeload.github.com/<user>/<repo>/tar.gz/<commit>` → the repository and
/// commit it was cut from.
pub(super) fn codeload_commit(url: &str) -> Option<(String, String)> {
    let path = url.strip_prefix("https://codeload.github.com/")?;
    let mut parts = path.split('/');
    let (user, repo, kind, commit) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let commit = commit.split(['#', '?']).next().unwrap_or(commit);
    (kind == "tar.gz" && !user.is_empty() && !repo.is_empty() && !commit.is_empty())
        .then(|| (format!("https://github.com/{user}/{repo}.git"), commit.to_string()))
}

/// The purl `vcs_url` of a commit: SPDX's `git+<url>@<revision>`.
pub(super) fn vcs_url(repo: &str, commit: &str) -> String {
    let repo = repo.split('#').next().unwrap_or(repo);
    if repo.starts_with("git+") {
        format!("{repo}@{commit}")
    } else {
        format!("git+{repo}@{commit}")
    }
}

/// Parses one YAML document that starts after `line_offset` lines of the file; errors
/// name the file's line.
pub(super) fn parse_yaml<T: serde::de::DeserializeOwned>(
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

/// A YAML map that keeps the file's order (package order is report order).
pub(super) struct Ordered<V>(pub(super) Vec<(String, V)>);

impl<V> Default for Ordered<V> {
    fn default() -> Self {
        Ordered(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Ordered<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OrderedVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for OrderedVisitor<V> {
            type Value = Ordered<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered<V>, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Ordered(entries))
            }
        }
        deserializer.deserialize_map(OrderedVisitor(PhantomData))
    }
}

/// The 1-based lines of block-mapping keys, by key path, found in one pass over the
/// text (serde_yaml_ng gives no positions). Only paths the filter accepts are kept.
pub(super) struct KeyLines {
    lines: HashMap<String, u32>,
}

impl KeyLines {
    pub(super) fn scan(text: &str, line_offset: u32, keep: impl Fn(&[String]) -> bool) -> KeyLines {
        let mut indents: Vec<usize> = Vec::new();
        let mut path: Vec<String> = Vec::new();
        let mut lines = HashMap::new();
        for (number, raw) in text.lines().enumerate() {
            let content = raw.trim_start_matches(' ');
            let indent = raw.len() - content.len();
            let Some(key) = mapping_key(content) else { continue };
            while indents.last().is_some_and(|&i| i >= indent) {
                indents.pop();
                path.pop();
            }
            indents.push(indent);
            path.push(key);
            if keep(&path) {
                lines.entry(path.join("\0")).or_insert(number as u32 + 1 + line_offset);
            }
        }
        KeyLines { lines }
    }

    pub(super) fn get(&self, path: &[&str]) -> Option<u32> {
        self.lines.get(&path.join("\0")).copied()
    }
}

/// The key of a `key: value` / `key:` / `? key` line, unquoted; `None` for anything else.
fn mapping_key(content: &str) -> Option<String> {
    let content = content.trim_end();
    if content.is_empty() || content.starts_with(['#', '-', ':']) {
        return None;
    }
    if let Some(explicit) = content.strip_prefix("? ") {
        return Some(unquote(explicit.trim()).map_or_else(|| explicit.trim().to_string(), |(k, _)| k));
    }
    if content.starts_with(['\'', '"']) {
        let (key, rest) = unquote(content)?;
        return rest.starts_with(':').then_some(key);
    }
    let key = match content.find(": ") {
        Some(end) => &content[..end],
        None => content.strip_suffix(':')?,
    };
    Some(key.trim_end().to_string())
}

/// A quoted YAML scalar at the start of `s`, and what follows it.
fn unquote(s: &str) -> Option<(String, &str)> {
    let quote = s.chars().next()?;
    if quote != '\'' && quote != '"' {
        return None;
    }
    let mut out = String::new();
    let mut chars = s.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '\'' if quote == '\'' => {
                if s[i + 1..].starts_with('\'') {
                    out.push('\'');
                    chars.next();
                } else {
                    return Some((out, &s[i + 1..]));
                }
            }
            '"' if quote == '"' => return Some((out, &s[i + 1..])),
            '\\' if quote == '"' => {
                let (_, escaped) = chars.next()?;
                out.push(match escaped {
                    'n' => '\n',
                    't' => '\t',
                    other => other,
                });
            }
            other => out.push(other),
        }
    }
    None
}

#[cfg(test)]
mod tests;
