//! `bun.lock`, bun's text lockfile (lockfile versions 0 and 1): JSON with trailing
//! commas, read through [`text::strip_jsonc`].
//!
//! `workspaces` copies the dependency lists of the root (`""`) and of each workspace
//! (keyed by its path). `packages` maps an install path to an array whose first element
//! is `name@resolution`: `["name@1.2.3", registry, INFO, integrity]` for the registry;
//! `name@workspace:path`, `name@file:path`, `name@link:path`, `name@git+url#ref` and
//! `name@github:user/repo#ref` (with the resolved commit last), a tarball URL or path,
//! and `name@root:` otherwise. The key is the dependency name as declared, so for an
//! alias (`"my-lodash": "npm:lodash@^4"`) the key is the alias and the array names the
//! real package. A version that could not be hoisted sits under its dependent's path:
//! `parent/child`, or `workspace-name/child` for a workspace's own copy.
//!
//! Decisions:
//! - Only registry entries with an exact version are packages. Git and tarball entries
//!   are skipped with the reason: bun records no registry version for them that an
//!   advisory could be matched against. Workspace, `root:`, folder and link entries
//!   are the project's own packages, listed apart and never matched (a workspace with
//!   the version its `workspaces` entry records); the root workspace `""` is the root
//!   when named. An aliased entry keeps its alias (the key's last name).
//! - Direct: the entry Node's lookup finds (`<dependent path>/<name>`, then each shorter
//!   path) for a dependency the root or any workspace declares, workspaces being the
//!   project's own code.
//! - bun records no dev or optional flags, so they are derived from the graph the way
//!   npm computes its own: dev when no non-dev declaration reaches the package, optional
//!   when every path to it crosses an optional dependency or optional peer. Without a
//!   `workspaces` section nothing is known: relationship unknown, no flags.
//! - An empty file (or one with only comments) yields no packages.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::js::{is_git_spec, non_registry_reason, reachable, split_name_at, DeclaredNames};
use super::json_lines::{KeyLines, Object};
use super::{relationship, text, ExtractError, Extracted, Extractor, Input};
use crate::model::{EcosystemKind, Location, OwnKind, OwnPackage, Package, Skipped};

pub struct BunLock;

#[derive(Deserialize)]
struct Lockfile {
    #[serde(default)]
    workspaces: Object<Manifest>,
    #[serde(default)]
    packages: Object<Vec<Value>>,
}

/// The dependency lists of a workspace, or the INFO object of a package entry.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    dependencies: DeclaredNames,
    #[serde(default)]
    dev_dependencies: DeclaredNames,
    #[serde(default)]
    optional_dependencies: DeclaredNames,
    #[serde(default)]
    peer_dependencies: DeclaredNames,
    #[serde(default)]
    optional_peers: Vec<String>,
}

/// What kind of dependency an edge of the graph is.
#[derive(Clone, Copy)]
struct Edge {
    dev: bool,
    optional: bool,
}

impl Manifest {
    /// Every declared dependency with its kind. Dev dependencies only count for
    /// workspaces: bun does not install those of the packages it downloads.
    fn declarations(&self, with_dev: bool) -> impl Iterator<Item = (&str, Edge)> {
        let dev_dependencies = self.dev_dependencies.keys().filter(move |_| with_dev);
        let peers = self.peer_dependencies.keys().map(|name| (name, self.optional_peers.contains(name)));
        (self.dependencies.keys().map(|name| (name, false, false)))
            .chain(dev_dependencies.map(|name| (name, true, false)))
            .chain(self.optional_dependencies.keys().map(|name| (name, false, true)))
            .chain(peers.map(|(name, optional)| (name, false, optional)))
            .map(|(name, dev, optional)| (name.as_str(), Edge { dev, optional }))
    }
}

/// One entry of `packages`, classified.
struct Entry<'a> {
    key: &'a str,
    location: Location,
    ident: &'a str,
    resolution: Resolution<'a>,
    info: Manifest,
}

enum Resolution<'a> {
    Registry {
        name: &'a str,
        version: &'a str,
    },
    /// The project's own package; `path` is the workspace folder, if it is one.
    Own {
        kind: OwnKind,
        name: &'a str,
        path: Option<&'a str>,
    },
    Elsewhere {
        reason: String,
    },
}

impl Extractor for BunLock {
    fn id(&self) -> &'static str {
        "javascript/bun-lock"
    }

    fn wants(&self, path: &Path) -> bool {
        path.file_name().is_some_and(|n| n == "bun.lock")
    }

    fn extract(&self, input: &Input<'_>) -> Result<Extracted, ExtractError> {
        let plain = text::strip_jsonc(input.text()?);
        if plain.trim().is_empty() {
            return Ok(Extracted::default());
        }
        let lock: Lockfile = text::json(input.path, &plain)?;
        let keys = KeyLines::scan(&plain, |path| path == ["packages"]);
        let entries = lock
            .packages
            .0
            .iter()
            .enumerate()
            .map(|(index, (key, values))| parse_entry(input, key, values, keys.line(index, key)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Graph::new(&entries, &lock.workspaces.0).extract(input.path))
    }
}

fn parse_entry<'a>(
    input: &Input<'_>,
    key: &'a str,
    values: &'a [Value],
    line: Option<u32>,
) -> Result<Entry<'a>, ExtractError> {
    let ident = values
        .first()
        .and_then(Value::as_str)
        .ok_or_else(|| input.error(line, format!("package {key:?}: expected [\"name@version\", …]")))?;
    let (name, spec) = split_name_at(ident)
        .ok_or_else(|| input.error(line, format!("package {key:?}: {ident:?} is not name@version")))?;
    let info = match values.iter().skip(1).find(|v| v.is_object()) {
        Some(object) => {
            Manifest::deserialize(object).map_err(|e| input.error(line, format!("package {key:?}: {e}")))?
        }
        None => Manifest::default(),
    };
    let own = |kind, path| Resolution::Own { kind, name, path };
    let resolution = if let Some(path) = spec.strip_prefix("workspace:") {
        own(OwnKind::WorkspaceMember, Some(path))
    } else if spec.starts_with("root:") {
        own(OwnKind::Root, None)
    } else if spec.starts_with("link:") {
        own(OwnKind::Link, None)
    } else if spec.starts_with("file:") {
        own(OwnKind::Path, None)
    } else {
        match resolution_reason(spec, values) {
            None => Resolution::Registry { name, version: spec },
            Some(reason) => Resolution::Elsewhere { reason },
        }
    };
    Ok(Entry { key, location: Location::new(input.path, line), ident, resolution, info })
}

/// Why an entry that is not the project's own is not a registry package, or `None`
/// when it is one.
fn resolution_reason(spec: &str, values: &[Value]) -> Option<String> {
    let resolved_commit = values.get(2..).and_then(<[Value]>::last).and_then(Value::as_str);
    match resolved_commit {
        Some(commit) if is_git_spec(spec) => {
            Some(format!("git dependency resolved to {commit}: a commit, not a registry version"))
        }
        _ => non_registry_reason(spec),
    }
}

/// The dependency graph: which entry each declaration resolves to, and from there who
/// reaches whom.
struct Graph<'e, 'a> {
    entries: &'e [Entry<'a>],
    by_key: HashMap<&'a str, usize>,
    /// Resolved declarations of the root and the workspaces.
    roots: Vec<(usize, Edge)>,
    known: bool,
    workspaces: &'e [(String, Manifest)],
}

impl<'e, 'a> Graph<'e, 'a> {
    fn new(entries: &'e [Entry<'a>], workspaces: &'e [(String, Manifest)]) -> Self {
        let by_key = entries.iter().enumerate().map(|(i, e)| (e.key, i)).collect();
        let mut graph = Graph { entries, by_key, roots: Vec::new(), known: !workspaces.is_empty(), workspaces };
        for (path, manifest) in workspaces {
            // A workspace's own copies live under its package name, the root's at the top.
            let prefix = if path.is_empty() { "" } else { manifest.name.as_deref().unwrap_or_default() };
            let resolved: Vec<_> = manifest
                .declarations(true)
                .filter_map(|(name, edge)| graph.resolve(prefix, name).map(|i| (i, edge)))
                .collect();
            graph.roots.extend(resolved);
        }
        graph
    }

    /// Node's lookup from the entry at `from` (`""` for the root): `from/name`, then
    /// the same from each parent path.
    fn resolve(&self, from: &str, name: &str) -> Option<usize> {
        let mut prefix = from;
        loop {
            let candidate = if prefix.is_empty() { name.to_string() } else { format!("{prefix}/{name}") };
            if let Some(&index) = self.by_key.get(candidate.as_str()) {
                return Some(index);
            }
            if prefix.is_empty() {
                return None;
            }
            prefix = parent_path(prefix);
        }
    }

    /// The entries reachable from the roots `start` accepts, along the edges `follow`
    /// accepts.
    fn reach(&self, start: impl Fn(Edge) -> bool, follow: impl Fn(Edge) -> bool) -> Vec<bool> {
        let roots = self.roots.iter().filter(|&&(_, edge)| start(edge)).map(|&(index, _)| index).collect();
        reachable(self.entries.len(), roots, |index| {
            let entry = &self.entries[index];
            let declarations = entry.info.declarations(false).filter(|&(_, edge)| follow(edge));
            declarations.filter_map(|(name, _)| self.resolve(entry.key, name)).collect()
        })
    }

    fn extract(&self, path: &Path) -> Extracted {
        let entries = self.entries;
        let reached = self.reach(|_| true, |_| true);
        let reached_by_prod = self.reach(|e| !e.dev, |_| true);
        let reached_as_required = self.reach(|e| !e.optional, |e| !e.optional);
        let mut direct = vec![false; entries.len()];
        for &(index, _) in &self.roots {
            direct[index] = true;
        }
        let mut out = Extracted::default();
        let root = self.workspaces.iter().find(|(path, _)| path.is_empty()).map(|(_, m)| m);
        if let Some((root, name)) = root.and_then(|m| Some((m, m.name.as_deref()?))) {
            // The `workspaces` section's lines are not tracked: the file alone.
            let location = Location::new(path, None);
            out.own.push(OwnPackage::new(OwnKind::Root, EcosystemKind::Npm, name, root.version.as_deref(), location));
        }
        for (index, entry) in entries.iter().enumerate() {
            match &entry.resolution {
                Resolution::Own { kind, name, path } => {
                    let workspace = path.and_then(|p| self.workspaces.iter().find(|(w, _)| w == p));
                    let version = workspace.and_then(|(_, m)| m.version.as_deref());
                    let location = entry.location.clone();
                    out.own.push(OwnPackage::new(*kind, EcosystemKind::Npm, *name, version, location));
                }
                Resolution::Registry { name, version } => {
                    let installed = entry.key.get(parent_path(entry.key).len()..).unwrap_or_default();
                    let package = Package::new(EcosystemKind::Npm, *name, *version, entry.location.clone())
                        .with_alias(Some(installed.trim_start_matches('/')))
                        .with_relationship(relationship(self.known.then_some(direct[index])))
                        .with_dev(reached[index] && !reached_by_prod[index])
                        .with_optional(reached[index] && !reached_as_required[index]);
                    out.packages.push(package);
                }
                Resolution::Elsewhere { reason } => out.skipped.push(Skipped {
                    location: entry.location.clone(),
                    declaration: entry.ident.to_string(),
                    reason: reason.clone(),
                }),
            }
        }
        out
    }
}

/// `parent/child` → `parent`, `a/@s/b` → `a`: a scoped name (`@s/b`) is one step.
fn parent_path(path: &str) -> &str {
    let mut last_name_start = 0;
    let mut offset = 0;
    let mut inside_scoped_name = false;
    for segment in path.split('/') {
        if !inside_scoped_name {
            last_name_start = offset;
        }
        inside_scoped_name = !inside_scoped_name && segment.starts_with('@');
        offset += segment.len() + 1;
    }
    path.get(..last_name_start.saturating_sub(1)).unwrap_or_default()
}

#[cfg(test)]
mod tests;
