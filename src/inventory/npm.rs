//! npm lockfiles: `package-lock.json`, `npm-shrinkwrap.json` (the same format, published
//! with a package) and `node_modules/.package-lock.json`, the hidden lockfile npm 7+
//! keeps beside the installed tree; lockfile versions 1, 2 and 3.
//!
//! Versions 2 and 3 list every installed folder under `packages`, keyed by its path. The
//! name is what follows the last `node_modules/` (a scope spans two segments), unless the
//! entry names the real package in `name` (an alias); `dev`, `optional` and `devOptional`
//! (both) are npm's own flags. When a version-2 file also carries the legacy
//! `dependencies` tree, `packages` wins: it is the complete one. Version 1 only has that
//! recursive tree; `npm:real@1.2.3` versions are aliases of the real package.
//!
//! Decisions:
//! - Only exact registry versions become packages. `file:` folders and tarballs, tarball
//!   URLs and version-1 git specs (`github:user/repo#sha`, where the commit is the only
//!   version there is) are skipped with the reason: an invented version would make
//!   advisories match or miss at random. A version-2/3 git entry does carry the version
//!   of the package.json it was built from; like the Cargo.lock extractor, it is kept,
//!   with the `resolved` git URL (commit included) as the purl's `vcs_url`.
//! - Folders outside `node_modules` (workspaces, `file:` directories) are the project's
//!   own code: listed as own packages (a workspace member when the root's `workspaces`
//!   patterns match the folder, else a local path), never matched, so a workspace
//!   sharing a name with a registry package raises no false alarm. A folder without a
//!   `name` takes the name of the link pointing at it. The `link` entries declare
//!   nothing of their own; one whose target is missing from the file is an own `link`
//!   package by its installed name. The root entry `""`, when named, is the root.
//!   An installed `file:` tarball is an own `path` package with its version.
//! - An aliased entry (`node_modules/foo` with `"name": "bar"`, version 1 `npm:bar@1.2.3`)
//!   is the package `bar`; the alias `foo` is kept in [`Package::alias`].
//! - Direct means: the entry is what Node's lookup (`<dir>/node_modules/<name>`, walking
//!   up) finds for a dependency declared by the root project or by one of its own folders
//!   (workspaces). The root entry `""` lists the root's declarations; the hidden lockfile
//!   and version 1 have no root entry, so the `package.json` beside the project is read
//!   instead. Without it, top-level packages have an unknown relationship.
//! - An empty file is an empty lockfile (npm reads it as no lockfile at all); malformed
//!   JSON is an error (npm silently ignores it, a scanner must not).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::js::{is_git_spec, non_registry_reason, split_name_at, DeclaredNames};
use super::json_lines::{KeyLines, Object};
use super::{text, ExtractError, Extracted, Extractor, Input};
use crate::model::{EcosystemKind, Location, OwnKind, OwnPackage, Package, Relationship};

pub struct PackageLock;

#[derive(Deserialize)]
struct Lockfile {
    /// Versions 2 and 3.
    packages: Option<Object<Entry>>,
    /// Version 1, and the legacy copy in version 2.
    dependencies: Option<Object<LegacyEntry>>,
}

/// One folder of the `packages` section. `package.json` has the same shape for the
/// fields read here, so it is parsed as an `Entry` too.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    name: Option<String>,
    version: Option<String>,
    /// A URL, a `file:` path or a link target. Read as any value: only its text matters,
    /// and an odd type here is no reason to lose the whole file.
    resolved: Option<serde_json::Value>,
    #[serde(default)]
    link: bool,
    #[serde(default)]
    dev: bool,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    dev_optional: bool,
    #[serde(default)]
    dependencies: DeclaredNames,
    #[serde(default)]
    dev_dependencies: DeclaredNames,
    #[serde(default)]
    optional_dependencies: DeclaredNames,
    #[serde(default)]
    peer_dependencies: DeclaredNames,
    /// The root's workspace patterns: an array, or yarn's `{"packages": [...]}`.
    workspaces: Option<serde_json::Value>,
}

impl Entry {
    /// The workspace patterns (`packages/*`) this entry declares.
    fn workspace_patterns(&self) -> Vec<&str> {
        let list = match &self.workspaces {
            Some(serde_json::Value::Object(o)) => o.get("packages"),
            other => other.as_ref(),
        };
        list.and_then(serde_json::Value::as_array)
            .map(|a| a.iter().filter_map(serde_json::Value::as_str).collect())
            .unwrap_or_default()
    }

    fn declared_names(&self) -> impl Iterator<Item = &str> {
        [&self.dependencies, &self.dev_dependencies, &self.optional_dependencies, &self.peer_dependencies]
            .into_iter()
            .flat_map(|names| names.keys().map(String::as_str))
    }

    fn resolved(&self) -> Option<&str> {
        self.resolved.as_ref().and_then(serde_json::Value::as_str)
    }
}

/// One node of the version-1 `dependencies` tree.
#[derive(Deserialize)]
struct LegacyEntry {
    version: Option<String>,
    #[serde(default)]
    dev: bool,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    dependencies: Object<LegacyEntry>,
}

impl Extractor for PackageLock {
    fn id(&self) -> &'static str {
        "javascript/package-lock"
    }

    fn wants(&self, path: &Path) -> bool {
        match path.file_name().and_then(|n| n.to_str()) {
            Some("package-lock.json" | "npm-shrinkwrap.json") => true,
            Some(".package-lock.json") => {
                path.parent().and_then(Path::file_name).is_some_and(|dir| dir == "node_modules")
            }
            _ => false,
        }
    }

    fn extract(&self, input: &Input<'_>) -> Result<Extracted, ExtractError> {
        let content = input.text()?;
        if content.trim().is_empty() {
            return Ok(Extracted::default());
        }
        let lock: Lockfile = text::json(input.path, content)?;
        if let Some(packages) = &lock.packages {
            let keys = KeyLines::scan(content, |path| path == ["packages"]);
            Ok(PackagesSection::new(input, &packages.0).extract(&keys))
        } else {
            let keys = KeyLines::scan(content, is_legacy_dependencies_path);
            let legacy = lock.dependencies.map(|d| d.0).unwrap_or_default();
            Ok(extract_legacy(input, &legacy, &keys))
        }
    }
}

/// The `packages` section (versions 2 and 3) with what is needed to classify entries.
struct PackagesSection<'a> {
    input: &'a Input<'a>,
    entries: &'a [(String, Entry)],
    keys: HashSet<&'a str>,
    /// Keys of the entries Node would load for a dependency the project declares.
    direct: HashSet<String>,
    /// Whether the root project's declarations are known at all.
    root_known: bool,
    /// The root's workspace patterns, which tell workspace folders from `file:` ones.
    workspace_patterns: Vec<String>,
    /// Installed names of the links pointing at each folder, for folders without a name.
    link_names: HashMap<&'a str, &'a str>,
}

impl<'a> PackagesSection<'a> {
    fn new(input: &'a Input<'a>, entries: &'a [(String, Entry)]) -> Self {
        let keys: HashSet<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
        let manifest = if keys.contains("") { None } else { read_manifest(input) };
        let root = entries.iter().find(|(k, _)| k.is_empty()).map(|(_, e)| e).or(manifest.as_ref());
        let projects = root
            .map(|r| ("", r))
            .into_iter()
            .chain(entries.iter().filter(|(k, e)| is_project_folder(k, e)).map(|(k, e)| (k.as_str(), e)));
        let key_set = &keys;
        let direct = projects
            .flat_map(|(dir, e)| e.declared_names().filter_map(move |name| resolve_installed(dir, name, key_set)))
            .collect();
        let workspace_patterns =
            root.map(|r| r.workspace_patterns().into_iter().map(str::to_string).collect()).unwrap_or_default();
        let link_names = entries
            .iter()
            .filter(|(_, e)| e.link)
            .filter_map(|(k, e)| Some((e.resolved()?, installed_name(k)?)))
            .collect();
        PackagesSection { input, entries, direct, root_known: root.is_some(), keys, workspace_patterns, link_names }
    }

    fn extract(&self, lines: &KeyLines) -> Extracted {
        let mut out = Extracted::default();
        for (index, (key, entry)) in self.entries.iter().enumerate() {
            let location = Location::new(self.input.path, lines.line(index, key));
            if key.is_empty() {
                // The root project itself, when the lockfile names it.
                if let Some(name) = entry.name.as_deref().filter(|n| !n.is_empty()) {
                    let version = entry.version.as_deref();
                    out.own.push(OwnPackage::new(OwnKind::Root, EcosystemKind::Npm, name, version, location));
                }
            } else if entry.link {
                self.record_link(key, entry, location, &mut out);
            } else if let Some(folder_name) = installed_name(key) {
                self.record_installed(key, folder_name, entry, location, &mut out);
            } else {
                self.record_folder(key, entry, location, &mut out);
            }
        }
        out
    }

    /// A folder of the project: a workspace member when the root's patterns match it,
    /// else a `file:` folder. Named by its `package.json`, else by a link to it, else by
    /// the folder itself.
    fn record_folder(&self, key: &str, entry: &Entry, location: Location, out: &mut Extracted) {
        let name = entry
            .name
            .as_deref()
            .filter(|n| !n.is_empty())
            .or_else(|| self.link_names.get(key).copied())
            .unwrap_or(key);
        let is_member = self.workspace_patterns.iter().any(|pattern| matches_workspace(pattern, key));
        let kind = if is_member { OwnKind::WorkspaceMember } else { OwnKind::Path };
        out.own.push(OwnPackage::new(kind, EcosystemKind::Npm, name, entry.version.as_deref(), location));
    }

    /// A link declares nothing of its own when its target folder is listed; one whose
    /// target is missing is listed by its installed name, so the declaration stays.
    fn record_link(&self, key: &str, entry: &Entry, location: Location, out: &mut Extracted) {
        let target = entry.resolved().unwrap_or_default();
        if !self.keys.contains(target) {
            let name = installed_name(key).unwrap_or(key);
            out.own.push(OwnPackage::new(OwnKind::Link, EcosystemKind::Npm, name, None, location));
        }
    }

    fn record_installed(&self, key: &str, folder_name: &str, entry: &Entry, location: Location, out: &mut Extracted) {
        let name = entry.name.as_deref().unwrap_or(folder_name);
        let resolved = entry.resolved().unwrap_or_default();
        let Some(version) = entry.version.as_deref().filter(|v| !v.is_empty()) else {
            out.skip(location, name, "no version recorded");
            return;
        };
        let declaration = format!("{name}@{version}");
        if resolved.starts_with("file:") {
            // A tarball or folder of the project's own, installed under node_modules.
            out.own.push(OwnPackage::new(OwnKind::Path, EcosystemKind::Npm, name, Some(version), location));
            return;
        }
        if let Some(reason) = non_registry_reason(version) {
            out.skip(location, declaration, reason);
            return;
        }
        let mut package = Package::new(EcosystemKind::Npm, name, version, location)
            .with_alias(Some(folder_name))
            .with_relationship(self.relationship(key))
            .with_dev(entry.dev || entry.dev_optional)
            .with_optional(entry.optional || entry.dev_optional);
        if is_git_spec(resolved) {
            package.purl = package.purl.with_qualifier("vcs_url", resolved);
        }
        out.packages.push(package);
    }

    fn relationship(&self, key: &str) -> Relationship {
        if self.direct.contains(key) {
            Relationship::Direct
        } else if self.root_known || is_nested_in_package(key) {
            Relationship::Transitive
        } else {
            Relationship::Unknown
        }
    }
}

/// Walks the version-1 tree in document order; nested entries are transitive.
fn extract_legacy(input: &Input<'_>, roots: &[(String, LegacyEntry)], lines: &KeyLines) -> Extracted {
    let manifest = read_manifest(input);
    let declared: Option<HashSet<&str>> = manifest.as_ref().map(|m| m.declared_names().collect());
    let mut out = Extracted::default();
    // An explicit stack: depth is bounded by serde_json's nesting limit, but a stack
    // keeps this walk safe whatever that limit becomes.
    let mut stack: Vec<(&str, &LegacyEntry, bool)> = roots.iter().rev().map(|(k, e)| (k.as_str(), e, true)).collect();
    let mut index = 0;
    while let Some((key, entry, top_level)) = stack.pop() {
        let location = Location::new(input.path, lines.line(index, key));
        index += 1;
        let relationship = match (&declared, top_level) {
            (_, false) => Relationship::Transitive,
            (Some(declared), true) if declared.contains(key) => Relationship::Direct,
            (Some(_), true) => Relationship::Transitive,
            (None, true) => Relationship::Unknown,
        };
        if entry.version.as_deref().is_some_and(|v| v.starts_with("file:")) {
            // A folder or tarball of the project's own: listed, never matched.
            out.own.push(OwnPackage::new(OwnKind::Path, EcosystemKind::Npm, key, None, location));
            stack.extend(entry.dependencies.0.iter().rev().map(|(k, e)| (k.as_str(), e, false)));
            continue;
        }
        match legacy_package(key, entry, location.clone()) {
            Ok(package) => out.packages.push(package.with_relationship(relationship)),
            Err(reason) => {
                let declaration = format!("{key}@{}", entry.version.as_deref().unwrap_or_default());
                out.skip(location, declaration, reason);
            }
        }
        stack.extend(entry.dependencies.0.iter().rev().map(|(k, e)| (k.as_str(), e, false)));
    }
    out
}

/// A version-1 entry as a package, or why it is not one.
fn legacy_package(key: &str, entry: &LegacyEntry, location: Location) -> Result<Package, String> {
    let spec = entry.version.as_deref().filter(|v| !v.is_empty()).ok_or("no version recorded")?;
    let (name, version) = match spec.strip_prefix("npm:") {
        Some(alias) => split_name_at(alias).ok_or_else(|| format!("unreadable alias {spec:?}"))?,
        None => (key, spec),
    };
    if let Some(reason) = non_registry_reason(version) {
        return Err(reason);
    }
    Ok(Package::new(EcosystemKind::Npm, name, version, location)
        .with_alias(Some(key))
        .with_dev(entry.dev)
        .with_optional(entry.optional))
}

/// Whether a workspace pattern (`packages/*`, `apps/**`, `tools/cli`) matches a folder
/// path as npm writes it: `*` stands for part of one segment, `**` for any segments.
fn matches_workspace(pattern: &str, folder: &str) -> bool {
    let pattern: Vec<&str> = pattern.trim_start_matches("./").trim_end_matches('/').split('/').collect();
    let folder: Vec<&str> = folder.split('/').collect();
    segments_match(&pattern, &folder)
}

/// Table matching, so even a pattern of many `**` costs pattern × folder steps:
/// `reach[j]` says whether the pattern so far can consume the first `j` segments.
fn segments_match(pattern: &[&str], folder: &[&str]) -> bool {
    let mut reach = vec![false; folder.len() + 1];
    reach[0] = true;
    for p in pattern {
        let mut next = vec![false; folder.len() + 1];
        for j in 0..=folder.len() {
            next[j] = if *p == "**" {
                reach[j] || (j > 0 && next[j - 1])
            } else {
                j > 0 && reach[j - 1] && segment_matches(p, folder[j - 1])
            };
        }
        reach = next;
    }
    reach[folder.len()]
}

/// One segment against a pattern segment with at most one `*` (`*`, `pkg-*`, `*-app`).
fn segment_matches(pattern: &str, segment: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == segment,
        Some((prefix, suffix)) => {
            segment.len() >= prefix.len() + suffix.len() && segment.starts_with(prefix) && segment.ends_with(suffix)
        }
    }
}

/// The package name of an installed folder: what follows the last `node_modules/`
/// segment (`@scope/name` spans two segments). `None` for folders outside
/// `node_modules` and for keys that end at `node_modules/`.
fn installed_name(key: &str) -> Option<&str> {
    let start = last_node_modules_segment(key)? + "node_modules/".len();
    key.get(start..).filter(|name| !name.is_empty())
}

/// Byte offset of the last `node_modules/` that starts a path segment.
fn last_node_modules_segment(key: &str) -> Option<usize> {
    key.match_indices("node_modules/").map(|(i, _)| i).filter(|&i| i == 0 || key[..i].ends_with('/')).last()
}

/// Whether the folder sits inside another installed package (`node_modules/a/node_modules/b`),
/// which makes it transitive whatever the root declares.
fn is_nested_in_package(key: &str) -> bool {
    last_node_modules_segment(key).is_some_and(|i| key[..i].contains("node_modules/"))
}

/// A folder of the project itself (a workspace or a `file:` directory) whose
/// declarations count as the project's.
fn is_project_folder(key: &str, entry: &Entry) -> bool {
    !key.is_empty() && !entry.link && last_node_modules_segment(key).is_none()
}

/// Node's lookup: `<dir>/node_modules/<name>`, then the same in each parent folder.
fn resolve_installed(dir: &str, name: &str, keys: &HashSet<&str>) -> Option<String> {
    let mut dir = dir;
    loop {
        let candidate =
            if dir.is_empty() { format!("node_modules/{name}") } else { format!("{dir}/node_modules/{name}") };
        if keys.contains(candidate.as_str()) {
            return Some(candidate);
        }
        if dir.is_empty() {
            return None;
        }
        dir = dir.rsplit_once('/').map_or("", |(parent, _)| parent);
    }
}

/// The `package.json` of the project a lockfile belongs to: beside it, or for the
/// hidden lockfile beside its `node_modules`. Missing or unreadable means unknown.
fn read_manifest(input: &Input<'_>) -> Option<Entry> {
    let mut dir = input.path.parent()?;
    if input.path.file_name().is_some_and(|n| n == ".package-lock.json") {
        dir = dir.parent()?;
    }
    let path: PathBuf = dir.join("package.json");
    let bytes = input.files.read(&path).ok()?;
    let content = std::str::from_utf8(&bytes).ok()?;
    serde_json::from_str(content.trim_start_matches('\u{feff}')).ok()
}

/// Whether a version-1 key sits in a `dependencies` object of the tree:
/// `dependencies`, `dependencies.<name>.dependencies`, and so on.
fn is_legacy_dependencies_path(path: &[Cow<'_, str>]) -> bool {
    path.len() % 2 == 1 && path.iter().step_by(2).all(|segment| segment == "dependencies")
}

#[cfg(test)]
mod tests;
