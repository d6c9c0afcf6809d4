//! Helpers the JavaScript lockfiles share (`package-lock.json`, `bun.lock`,
//! `pnpm-lock.yaml`, `yarn.lock`): reading `name@spec`, telling exact registry versions
//! from other sources, the purls of registry tarballs and git commits, reporting a
//! package once, reachability in the dependency graph, and the YAML reading that pnpm and
//! yarn berry have in common (mappings in file order and the lines of their keys).

use std::collections::HashMap;

use serde::de::{Deserializer, IgnoredAny};
use serde::Deserialize;

use super::text;
use crate::model::{EcosystemKind, Location, Package, Relationship};

// ---------------------------------------------------------------------------------
// Names and versions

/// `@scope/name@range` → (`@scope/name`, `range`): the `@` that starts a scope is not
/// the separator.
pub(super) fn split_name_at(spec: &str) -> Option<(&str, &str)> {
    let at = spec.get(1..)?.find('@')? + 1;
    Some((&spec[..at], &spec[at + 1..]))
}

/// Dependency names a manifest declares; the ranges do not matter here.
pub(super) type DeclaredNames = HashMap<String, IgnoredAny>;

/// Whether a key part or a tarball file name holds a version number where a URL, a path
/// or `file:` could also stand: the loose test that tells those apart.
/// [`is_registry_version`] is the strict one, for a version that must be exact.
pub(super) fn looks_like_version(version: &str) -> bool {
    version.starts_with(|c: char| c.is_ascii_digit()) && !version.contains(['/', ':'])
}

/// An exact semver version as the registry publishes them: `1.2.3`, `1.0.0-rc.1+build.5`.
/// Ranges (`1.x`, `^1.0.0`), tags and URLs are not.
fn is_registry_version(version: &str) -> bool {
    let (rest, build) = match version.split_once('+') {
        Some((rest, build)) => (rest, Some(build)),
        None => (version, None),
    };
    let (core, prerelease) = match rest.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (rest, None),
    };
    let numeric = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    let identifiers = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| numeric(p))
        && prerelease.is_none_or(identifiers)
        && build.is_none_or(identifiers)
}

/// Why a version spec is not an exact registry version, or `None` when it is one.
pub(super) fn non_registry_reason(spec: &str) -> Option<String> {
    if is_registry_version(spec) {
        return None;
    }
    let reason = if spec.starts_with("file:") || spec.starts_with("link:") {
        "local path, not a registry package".to_string()
    } else if is_git_spec(spec) {
        match spec.rsplit_once('#') {
            Some((_, commit)) if !commit.is_empty() => {
                format!("git dependency at {commit}: a commit, not a registry version")
            }
            _ => "git dependency: not a registry version".to_string(),
        }
    } else if spec.starts_with("http://") || spec.starts_with("https://") {
        "tarball URL, not a registry version".to_string()
    } else {
        "not an exact registry version".to_string()
    };
    Some(reason)
}

/// Git sources as npm and bun write them: `git+ssh://…`, `git://…`, `github:user/repo`.
pub(super) fn is_git_spec(spec: &str) -> bool {
    ["git+", "git://", "git@", "github:", "gitlab:", "bitbucket:"].iter().any(|p| spec.starts_with(p))
}

// ---------------------------------------------------------------------------------
// Where a package came from

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

// ---------------------------------------------------------------------------------
// Packages and the graph

/// Packages reported once per name, version and purl: the first declaration keeps its
/// line, later ones widen its flags (direct if any is, dev or optional only if all are).
#[derive(Default)]
pub(super) struct PackageSet {
    index: HashMap<(String, String, String), usize>,
}

impl PackageSet {
    pub(super) fn add(&mut self, packages: &mut Vec<Package>, package: Package) {
        let key = identity(&package);
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

/// What makes two declarations one package: name, version and purl (whose qualifiers
/// tell a fork or a private registry's copy apart).
pub(super) fn identity(package: &Package) -> (String, String, String) {
    (package.name.clone(), package.version.clone(), package.purl.to_string())
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
// YAML (pnpm-lock.yaml, berry's yarn.lock)

/// A YAML mapping that keeps the file's order (package order is report order).
pub(super) struct Mapping<V>(pub(super) Vec<(String, V)>);

impl<V> Default for Mapping<V> {
    fn default() -> Self {
        Mapping(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Mapping<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        text::map_entries(deserializer, "a mapping").map(Mapping)
    }
}

/// The 1-based lines of block-mapping keys, by key path, found in one pass over the
/// text (serde_yaml_ng gives no positions). Only paths the filter accepts are kept.
pub(super) struct YamlKeyLines {
    lines: HashMap<String, u32>,
}

impl YamlKeyLines {
    pub(super) fn scan(text: &str, line_offset: u32, keep: impl Fn(&[String]) -> bool) -> YamlKeyLines {
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
        YamlKeyLines { lines }
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
mod tests {
    use super::*;

    #[test]
    fn version_helpers() {
        assert_eq!(split_name_at("@scope/pkg@1.2.3"), Some(("@scope/pkg", "1.2.3")));
        assert_eq!(split_name_at("pkg@workspace:packages/pkg"), Some(("pkg", "workspace:packages/pkg")));
        assert_eq!(split_name_at("@scope/pkg"), None);
        assert_eq!(split_name_at(""), None);
        assert!(is_registry_version("1.0.0-rc.1+build.5"));
        assert!(!is_registry_version("^1.0.0"));
        assert!(!is_registry_version("latest"));
        assert!(!is_registry_version(""));
        assert_eq!(non_registry_reason("github:u/r").as_deref(), Some("git dependency: not a registry version"));
        assert_eq!(non_registry_reason("1.x").as_deref(), Some("not an exact registry version"));
    }

    #[test]
    fn registry_tarball_urls() {
        let t =
            registry_tarball("https://registry.yarnpkg.com/@babel/code-frame/-/code-frame-7.12.13.tgz#abc").unwrap();
        assert_eq!((t.registry, t.name.as_str(), t.version.as_deref()), (None, "@babel/code-frame", Some("7.12.13")));
        let t = registry_tarball("https://npm.example.com/repo/@scope%2fpkg/-/pkg-1.0.0-rc.1.tgz").unwrap();
        assert_eq!(t.registry.as_deref(), Some("https://npm.example.com/repo"));
        assert_eq!((t.name.as_str(), t.version.as_deref()), ("@scope/pkg", Some("1.0.0-rc.1")));
        let t = registry_tarball("https://registry.npmjs.org/lodash/-/lodash-latest.tgz").unwrap();
        assert_eq!((t.name.as_str(), t.version), ("lodash", None));
        assert!(registry_tarball("https://example.com/files/a-1.0.0.tgz").is_none());
        assert!(registry_tarball("https://x.com/-/a-1.0.0.tgz").is_none());
        assert!(registry_tarball("file:../a/-/a-1.0.0.tgz").is_none());
    }

    #[test]
    fn git_locations() {
        assert_eq!(
            codeload_commit("https://codeload.github.com/u/r/tar.gz/abc123"),
            Some(("https://github.com/u/r.git".into(), "abc123".into()))
        );
        assert_eq!(codeload_commit("https://codeload.github.com/u/r/zip/abc123"), None);
        assert_eq!(codeload_commit("https://codeload.github.com/u"), None);
        assert_eq!(vcs_url("https://github.com/u/r.git", "abc"), "git+https://github.com/u/r.git@abc");
        assert_eq!(vcs_url("git+ssh://git@github.com/u/r.git#abc", "abc"), "git+ssh://git@github.com/u/r.git@abc");
    }

    #[test]
    fn key_lines_follow_quoting_and_nesting() {
        let yaml = "a:\n  'it''s': 1\n  \"q\\\"x\": 2\n  plain:\n    deep: 3\n  # comment\n  ? long key\n  : 4\nb:\n  - item\n  c@1.0.0: {}\n";
        let lines = YamlKeyLines::scan(yaml, 10, |p| p.len() == 2);
        assert_eq!(lines.get(&["a", "it's"]), Some(12));
        assert_eq!(lines.get(&["a", "q\"x"]), Some(13));
        assert_eq!(lines.get(&["a", "plain"]), Some(14));
        assert_eq!(lines.get(&["a", "long key"]), Some(17));
        assert_eq!(lines.get(&["b", "c@1.0.0"]), Some(21));
        assert_eq!(lines.get(&["a", "plain", "deep"]), None);
        assert_eq!(mapping_key("'unterminated: x"), None);
        assert_eq!(mapping_key("no colon here"), None);
    }
}
