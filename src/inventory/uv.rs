//! `uv.lock`, version 1 (every revision so far).
//!
//! Every `[[package]]` is a node of the resolved graph, the project itself included.
//! The roots are the workspace members (`[manifest] members`), or, in a single-project
//! lock without a manifest, the package whose source is `editable = "."` or
//! `virtual = "."`. Roots and every other local source (`editable`, `virtual`,
//! `directory`, `path`) are skipped: they are the project's own code or files on disk.
//! `git` sources are kept, pinned by `vcs_url` to the commit after the `#`; `url`
//! sources keep their `download_url`; registries other than PyPI add `repository_url`.
//!
//! The graph gives what the other formats cannot:
//! - direct: named by a root's `dependencies`, `optional-dependencies` or
//!   `dev-dependencies` (all dependency groups), or by `[manifest]` `requirements` /
//!   `dependency-groups` (a workspace root without a project);
//! - optional: not reachable without extras, but reachable once some extra of a root
//!   is enabled;
//! - dev: reachable only through dependency groups (a package an extra also reaches is
//!   optional, not dev: a production install can ask for it).
//!
//! Reachability follows each package's `dependencies` plus the `optional-dependencies`
//! its incoming edges enable with `extra = [...]`. Markers are ignored (every edge may
//! apply), and every workspace member counts as production, since `uv sync
//! --all-packages` installs them all. A lock without any root leaves all unknown.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::python::{self, is_local_url, pypi_package, Origin};
use super::{relationship, text, ExtractError, Extracted, Extractor, Input};
use crate::model::{pep503_normalize, Location, Relationship, Skipped};

pub struct UvLock;

#[derive(Deserialize)]
struct Lockfile {
    #[serde(default)]
    manifest: Manifest,
    #[serde(default)]
    package: Vec<LockedPackage>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Manifest {
    #[serde(default)]
    members: Vec<String>,
    #[serde(default)]
    requirements: Vec<Dependency>,
    #[serde(default)]
    dependency_groups: BTreeMap<String, Vec<Dependency>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct LockedPackage {
    name: Spanned<String>,
    /// Absent for local projects with a dynamic version.
    version: Option<String>,
    #[serde(default)]
    source: Source,
    #[serde(default)]
    dependencies: Vec<Dependency>,
    #[serde(default)]
    optional_dependencies: BTreeMap<String, Vec<Dependency>>,
    #[serde(default)]
    dev_dependencies: BTreeMap<String, Vec<Dependency>>,
}

/// An edge: `{ name = "…", version = "…", extra = [...] }`. The version is only
/// written when several packages share the name. Manifest requirements spell the
/// extras `extras`.
#[derive(Deserialize)]
struct Dependency {
    name: String,
    version: Option<String>,
    #[serde(default, alias = "extras")]
    extra: Vec<String>,
}

/// Exactly one key is set in a real lock.
#[derive(Default, Deserialize)]
struct Source {
    registry: Option<String>,
    git: Option<String>,
    url: Option<String>,
    path: Option<String>,
    directory: Option<String>,
    editable: Option<String>,
    #[serde(rename = "virtual")]
    virtual_project: Option<String>,
}

impl Source {
    /// The local project directory, for `editable` and `virtual` sources.
    fn project_path(&self) -> Option<&str> {
        self.editable.as_deref().or(self.virtual_project.as_deref())
    }
}

impl Extractor for UvLock {
    fn id(&self) -> &'static str {
        "python/uv-lock"
    }

    fn wants(&self, path: &Path) -> bool {
        path.file_name().is_some_and(|n| n == "uv.lock")
    }

    fn extract(&self, input: &Input<'_>) -> Result<Extracted, ExtractError> {
        let content = input.text()?;
        let lock: Lockfile = text::toml(input.path, content)?;
        let lines = text::LineIndex::new(content);
        let roles = Roles::of(&lock);

        let mut out = Extracted::default();
        for (index, entry) in lock.package.iter().enumerate() {
            let name = entry.name.get_ref();
            let location = Location::new(input.path, Some(lines.line(entry.name.span().start)));
            if name.is_empty() {
                return Err(input.error(location.line, "package without a name"));
            }
            match classify(entry) {
                Ok((version, origin)) => {
                    let package = pypi_package(name, version, location, origin)
                        .with_relationship(roles.relationship(index))
                        .with_dev(roles.is_dev(index))
                        .with_optional(roles.is_optional(index));
                    out.packages.push(package);
                }
                Err(reason) => out.skipped.push(Skipped { location, declaration: declaration(entry), reason }),
            }
        }
        Ok(out)
    }
}

/// The exact version and origin of a package, or why it is not one.
fn classify(entry: &LockedPackage) -> Result<(&str, Origin<'_>), String> {
    let source = &entry.source;
    if let Some(path) = &source.editable {
        return Err(format!("local editable project {path:?}"));
    }
    if let Some(path) = &source.virtual_project {
        return Err(format!("local virtual project {path:?}"));
    }
    if let Some(path) = &source.directory {
        return Err(format!("local directory {path:?}"));
    }
    if let Some(path) = &source.path {
        return Err(format!("local path {path:?}"));
    }
    if let Some(url) = source.url.as_deref().filter(|url| is_local_url(url)) {
        return Err(format!("local archive {url:?}"));
    }
    let Some(version) = entry.version.as_deref().filter(|v| !v.is_empty()) else {
        return Err("no version".into());
    };
    let origin = if let Some(git) = &source.git {
        let (url, commit) = split_git_source(git);
        Origin::Vcs { vcs: "git", url, commit }
    } else if let Some(url) = &source.url {
        Origin::Archive(url)
    } else if let Some(registry) = &source.registry {
        Origin::Index(registry)
    } else {
        Origin::Unstated
    };
    Ok((version, origin))
}

/// `https://host/repo?rev=v1#<commit>` → (`https://host/repo`, `<commit>`).
fn split_git_source(source: &str) -> (&str, Option<&str>) {
    let (url, commit) = match source.split_once('#') {
        Some((url, commit)) => (url, Some(commit)),
        None => (source, None),
    };
    (url.split_once('?').map_or(url, |(base, _query)| base), commit)
}

fn declaration(entry: &LockedPackage) -> String {
    python::declaration(entry.name.get_ref(), entry.version.as_deref())
}

/// Why a package is installed, by the first of these that reaches it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    /// Without any extra or dependency group.
    Production,
    /// Only once some extra of a root is enabled.
    Extra,
    /// Only for a dependency group.
    Group,
}

/// What the graph says about each package, indexed like `lock.package`.
struct Roles {
    /// False when the lock has no root: nothing can be derived.
    known: bool,
    direct: Vec<bool>,
    need: Vec<Option<Need>>,
}

impl Roles {
    fn of(lock: &Lockfile) -> Roles {
        let graph = Graph::new(&lock.package);
        let roots = root_indices(lock);
        let manifest = &lock.manifest;
        // A workspace root without a project exists only through the manifest.
        let known = !roots.is_empty() || !manifest.requirements.is_empty() || !manifest.dependency_groups.is_empty();

        let mut production: Vec<&Dependency> = manifest.requirements.iter().collect();
        let mut extras = Vec::new();
        let mut groups: Vec<&Dependency> = manifest.dependency_groups.values().flatten().collect();
        for &root in &roots {
            let package = &lock.package[root];
            production.extend(&package.dependencies);
            extras.extend(package.optional_dependencies.values().flatten());
            groups.extend(package.dev_dependencies.values().flatten());
        }

        let mut direct = vec![false; lock.package.len()];
        for edge in production.iter().chain(&extras).chain(&groups) {
            graph.targets(edge).for_each(|target| direct[target] = true);
        }
        let need = graph.first_reached([(Need::Production, production), (Need::Extra, extras), (Need::Group, groups)]);
        Roles { known, direct, need }
    }

    fn relationship(&self, index: usize) -> Relationship {
        relationship(self.known.then_some(self.direct[index]))
    }

    fn is_dev(&self, index: usize) -> bool {
        self.need[index] == Some(Need::Group)
    }

    fn is_optional(&self, index: usize) -> bool {
        self.need[index] == Some(Need::Extra)
    }
}

/// The workspace members, or the project at `.` when the lock has no member list.
fn root_indices(lock: &Lockfile) -> Vec<usize> {
    let members: HashSet<String> = lock.manifest.members.iter().map(|m| pep503_normalize(m)).collect();
    let is_root = |package: &LockedPackage| match package.source.project_path() {
        None => false,
        Some(path) if members.is_empty() => path == ".",
        Some(_) => members.contains(&pep503_normalize(package.name.get_ref())),
    };
    lock.package.iter().enumerate().filter(|(_, p)| is_root(p)).map(|(i, _)| i).collect()
}

struct Graph<'a> {
    packages: &'a [LockedPackage],
    by_name: HashMap<String, Vec<usize>>,
}

impl<'a> Graph<'a> {
    fn new(packages: &'a [LockedPackage]) -> Self {
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (index, package) in packages.iter().enumerate() {
            by_name.entry(pep503_normalize(package.name.get_ref())).or_default().push(index);
        }
        Graph { packages, by_name }
    }

    /// The packages an edge may point at: by name, narrowed by version when given.
    fn targets<'e>(&'e self, edge: &'e Dependency) -> impl Iterator<Item = usize> + 'e {
        let candidates = self.by_name.get(&pep503_normalize(&edge.name)).map_or(&[][..], Vec::as_slice);
        candidates.iter().copied().filter(move |&index| {
            edge.version.as_ref().is_none_or(|wanted| self.packages[index].version.as_ref() == Some(wanted))
        })
    }

    /// For every package, the first phase whose seeds reach it. Each phase continues
    /// from where the previous one stopped, so a package reached in production is never
    /// re-labelled by the extras or groups, and each package's dependencies and each
    /// (package, extra) expansion are queued once: linear in the edges.
    fn first_reached<const N: usize>(&self, phases: [(Need, Vec<&'a Dependency>); N]) -> Vec<Option<Need>> {
        let packages = self.packages;
        let mut reached = vec![None; packages.len()];
        let mut expanded: HashSet<(usize, &str)> = HashSet::new();
        for (need, mut queue) in phases {
            while let Some(edge) = queue.pop() {
                for target in self.targets(edge) {
                    let package = &packages[target];
                    if reached[target].is_none() {
                        reached[target] = Some(need);
                        queue.extend(&package.dependencies);
                    }
                    for extra in &edge.extra {
                        if expanded.insert((target, extra.as_str())) {
                            queue.extend(package.optional_dependencies.get(extra).into_iter().flatten());
                        }
                    }
                }
            }
        }
        reached
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::testing::{extract_fixture, extract_str, skipped, summarize};

    #[test]
    fn wants_only_uv_lock() {
        assert!(UvLock.wants(Path::new("apps/api/uv.lock")));
        assert!(!UvLock.wants(Path::new("script.py.lock")));
        assert!(!UvLock.wants(Path::new("uv.lock.orig")));
    }

    #[test]
    fn workspace_with_virtual_root_member_extras_groups_git_and_path() {
        let out = extract_fixture(&UvLock, "inventory/uv/workspace/uv.lock").unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "PyPI|annotated-types|0.7.0|pkg:pypi/annotated-types@0.7.0|77|transitive",
                "PyPI|anyio|4.6.2.post1|pkg:pypi/anyio@4.6.2.post1|86|transitive",
                "PyPI|attrs|24.2.0|pkg:pypi/attrs@24.2.0|99|transitive,dev",
                "PyPI|certifi|2024.8.30|pkg:pypi/certifi@2024.8.30|108|transitive",
                "PyPI|colorama|0.4.6|pkg:pypi/colorama@0.4.6|117|transitive,dev",
                "PyPI|fastapi|0.115.5|pkg:pypi/fastapi@0.115.5|126|direct",
                "PyPI|h11|0.14.0|pkg:pypi/h11@0.14.0|140|transitive",
                "PyPI|httpcore|1.0.7|pkg:pypi/httpcore@1.0.7|149|transitive",
                "PyPI|httpx|0.28.0|pkg:pypi/httpx@0.28.0?vcs_url=git%2Bhttps://github.com/encode/httpx%400cb7e5a2b4d94d8c1e5a3f6b7c8d9e0f1a2b3c4d|162|direct",
                "PyPI|hypothesis|6.119.4|pkg:pypi/hypothesis@6.119.4|173|direct,dev",
                "PyPI|idna|3.10|pkg:pypi/idna@3.10|186|transitive",
                "PyPI|iniconfig|2.0.0|pkg:pypi/iniconfig@2.0.0|195|transitive,dev",
                "PyPI|packaging|24.2|pkg:pypi/packaging@24.2|213|direct",
                "PyPI|pluggy|1.5.0|pkg:pypi/pluggy@1.5.0|222|transitive,dev",
                "PyPI|psycopg|3.2.3|pkg:pypi/psycopg@3.2.3|231|direct,optional",
                "PyPI|psycopg-binary|3.2.3|pkg:pypi/psycopg-binary@3.2.3|248|transitive,optional",
                "PyPI|pydantic|2.10.1|pkg:pypi/pydantic@2.10.1|258|direct",
                "PyPI|pydantic-core|2.27.1|pkg:pypi/pydantic-core@2.27.1|272|transitive",
                "PyPI|pytest|8.3.3|pkg:pypi/pytest@8.3.3|285|direct,dev",
                "PyPI|ruff|0.8.0|pkg:pypi/ruff@0.8.0|300|direct,dev",
                "PyPI|sniffio|1.3.1|pkg:pypi/sniffio@1.3.1|310|transitive",
                "PyPI|sortedcontainers|2.4.0|pkg:pypi/sortedcontainers@2.4.0|319|transitive,dev",
                "PyPI|starlette|0.41.3|pkg:pypi/starlette@0.41.3|328|transitive",
                "PyPI|typing-extensions|4.12.2|pkg:pypi/typing-extensions@4.12.2|340|transitive",
            ]
        );
        assert_eq!(
            skipped(&out),
            [
                "acme-core 0.3.0|12|local editable project \"packages/core\"",
                "acme-platform 0.1.0|39|local virtual project \".\"",
                "legacy-utils 1.2.0|204|local path \"vendor/legacy_utils-1.2.0.tar.gz\"",
            ]
        );
        assert_eq!(out.skipped[0].location.path, "inventory/uv/workspace/uv.lock");
    }

    #[test]
    fn project_with_dependency_extras_forks_private_index_url_and_directory() {
        let out = extract_fixture(&UvLock, "inventory/uv/project/uv.lock").unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "PyPI|click|8.1.7|pkg:pypi/click@8.1.7|10|transitive",
                "PyPI|colorama|0.4.6|pkg:pypi/colorama@0.4.6|22|transitive",
                "PyPI|exceptiongroup|1.2.2|pkg:pypi/exceptiongroup@1.2.2|31|transitive,dev",
                "PyPI|h11|0.14.0|pkg:pypi/h11@0.14.0|40|transitive",
                "PyPI|httptools|0.6.4|pkg:pypi/httptools@0.6.4|49|transitive",
                "PyPI|iniconfig|2.0.0|pkg:pypi/iniconfig@2.0.0|58|transitive,dev",
                "PyPI|internal-metrics|1.0.3|pkg:pypi/internal-metrics@1.0.3?repository_url=https://pkgs.corp.example/simple|67|direct",
                "PyPI|markdown-it-py|3.0.0|pkg:pypi/markdown-it-py@3.0.0|75|transitive,optional",
                "PyPI|mdurl|0.1.2|pkg:pypi/mdurl@0.1.2|87|transitive,optional",
                "PyPI|numpy|2.0.2|pkg:pypi/numpy@2.0.2|96|direct",
                "PyPI|numpy|2.2.0|pkg:pypi/numpy@2.2.0|108|direct",
                "PyPI|packaging|24.2|pkg:pypi/packaging@24.2|120|transitive",
                "PyPI|pluggy|1.5.0|pkg:pypi/pluggy@1.5.0|139|transitive,dev",
                "PyPI|pygments|2.18.0|pkg:pypi/pygments@2.18.0|148|transitive,optional",
                "PyPI|pytest|8.3.3|pkg:pypi/pytest@8.3.3|157|direct,dev",
                "PyPI|rich|13.9.4|pkg:pypi/rich@13.9.4|174|direct,optional",
                "PyPI|tiny-wheel|0.1.0|pkg:pypi/tiny-wheel@0.1.0?download_url=https://files.corp.example/wheels/tiny_wheel-0.1.0-py3-none-any.whl|224|direct",
                "PyPI|tomli|2.2.1|pkg:pypi/tomli@2.2.1|232|transitive,dev",
                "PyPI|uvicorn|0.32.1|pkg:pypi/uvicorn@0.32.1|241|direct",
                "PyPI|uvloop|0.21.0|pkg:pypi/uvloop@0.21.0|261|transitive",
            ]
        );
        assert_eq!(
            skipped(&out),
            ["plugin-sdk|129|local directory \"../plugin-sdk\"", "service 0.4.0|187|local editable project \".\""]
        );
    }

    #[test]
    fn edges_with_a_version_pick_one_of_several_packages() {
        let lock = r#"version = 1

[[package]]
name = "app"
version = "1.0"
source = { virtual = "." }
dependencies = [{ name = "numpy", version = "2.0.0" }]

[package.dev-dependencies]
dev = [{ name = "numpy", version = "1.0.0" }]

[[package]]
name = "numpy"
version = "1.0.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "numpy"
version = "2.0.0"
source = { registry = "https://pypi.org/simple" }
"#;
        let out = extract_str(&UvLock, "uv.lock", lock).unwrap();
        assert_eq!(
            summarize(&out.packages),
            ["PyPI|numpy|1.0.0|pkg:pypi/numpy@1.0.0|13|direct,dev", "PyPI|numpy|2.0.0|pkg:pypi/numpy@2.0.0|18|direct"]
        );
    }

    #[test]
    fn a_package_both_an_extra_and_a_group_reach_is_optional_not_dev() {
        let lock = r#"version = 1

[[package]]
name = "app"
version = "1.0"
source = { virtual = "." }

[package.optional-dependencies]
speed = [{ name = "orjson" }]

[package.dev-dependencies]
dev = [{ name = "orjson" }, { name = "pytest" }]

[[package]]
name = "orjson"
version = "3.10.12"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pytest"
version = "8.3.3"
source = { registry = "https://pypi.org/simple" }
"#;
        let out = extract_str(&UvLock, "uv.lock", lock).unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "PyPI|orjson|3.10.12|pkg:pypi/orjson@3.10.12|15|direct,optional",
                "PyPI|pytest|8.3.3|pkg:pypi/pytest@8.3.3|20|direct,dev",
            ]
        );
    }

    #[test]
    fn non_project_workspace_root_uses_manifest_requirements_and_groups() {
        let lock = r#"version = 1
revision = 3

[manifest]

[manifest.dependency-groups]
dev = [{ name = "Iniconfig", specifier = ">=2.0.0" }]

[[package]]
name = "iniconfig"
version = "2.0.0"
source = { registry = "https://pypi.org/simple" }
"#;
        let out = extract_str(&UvLock, "uv.lock", lock).unwrap();
        assert_eq!(summarize(&out.packages), ["PyPI|iniconfig|2.0.0|pkg:pypi/iniconfig@2.0.0|10|direct,dev"]);
    }

    #[test]
    fn without_a_root_nothing_is_derived() {
        let lock = "version = 1\n\n[[package]]\nname = \"six\"\nversion = \"1.17.0\"\nsource = { registry = \"https://pypi.org/simple\" }\n\n[[package]]\nname = \"lib\"\nversion = \"0.1.0\"\nsource = { editable = \"../lib\" }\ndependencies = [{ name = \"six\" }]\n";
        let out = extract_str(&UvLock, "uv.lock", lock).unwrap();
        assert_eq!(summarize(&out.packages), ["PyPI|six|1.17.0|pkg:pypi/six@1.17.0|4|"]);
        assert_eq!(skipped(&out), ["lib 0.1.0|9|local editable project \"../lib\""]);
    }

    #[test]
    fn dependency_cycles_and_self_extras_terminate() {
        let lock = r#"version = 1

[[package]]
name = "a"
version = "1.0"
source = { editable = "." }
dependencies = [{ name = "b", extra = ["x"] }]

[[package]]
name = "b"
version = "1.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "a" }, { name = "b", extra = ["x"] }]

[package.optional-dependencies]
x = [{ name = "b", extra = ["x"] }, { name = "a" }]
"#;
        let out = extract_str(&UvLock, "uv.lock", lock).unwrap();
        assert_eq!(summarize(&out.packages), ["PyPI|b|1.0|pkg:pypi/b@1.0|10|direct"]);
    }

    #[test]
    fn empty_lockfile_has_no_packages() {
        assert_eq!(extract_str(&UvLock, "uv.lock", "").unwrap(), Extracted::default());
        assert_eq!(extract_str(&UvLock, "uv.lock", "version = 1\nrevision = 2\n").unwrap(), Extracted::default());
    }

    #[test]
    fn registry_package_without_version_is_skipped() {
        let lock = "version = 1\n[[package]]\nname = \"x\"\nsource = { registry = \"https://pypi.org/simple\" }\n";
        let out = extract_str(&UvLock, "uv.lock", lock).unwrap();
        assert_eq!(skipped(&out), ["x|3|no version"]);
    }

    #[test]
    fn malformed_lockfiles_name_the_line() {
        let truncated = "version = 1\n\n[[package]]\nname = \"idna\"\nversion = \"3.10\"\nsource = { registry = \"https://pypi.org/simple\"";
        let err = extract_str(&UvLock, "uv.lock", truncated).unwrap_err();
        assert_eq!(err.path, "uv.lock");
        assert_eq!(err.line, Some(6));
        assert!(err.message.starts_with("invalid TOML"), "{}", err.message);

        for (lock, line) in [
            ("version = 1\n[[package]]\nname = \"idna\"\nversion = 3.10\n", 4),
            ("version = 1\n[[package]]\nname = \"idna\"\nversion = \"3.10\"\nsource = \"pypi\"\n", 5),
            ("version = 1\n[[package]]\nname = \"a\"\nversion = \"1\"\ndependencies = [\"idna\"]\n", 5),
            ("version = 1\n[manifest]\nmembers = \"a\"\n", 3),
        ] {
            let err = extract_str(&UvLock, "uv.lock", lock).unwrap_err();
            assert_eq!(err.line, Some(line), "{lock}");
            assert!(err.message.contains("invalid type"), "{}", err.message);
        }
        let err = extract_str(&UvLock, "uv.lock", "[[package]]\nversion = \"1\"\n").unwrap_err();
        assert!(err.message.contains("missing field `name`"), "{}", err.message);
        let err = extract_str(&UvLock, "uv.lock", "[[package]]\nname = \"\"\nversion = \"1\"\n").unwrap_err();
        assert_eq!((err.line, err.message.as_str()), (Some(2), "package without a name"));
    }

    #[test]
    fn binary_junk_is_an_error_not_a_crash() {
        let err =
            UvLock.extract(&Input::new(Path::new("uv.lock"), b"version = 1\n\n\x1f\x8b\x08\x00\xff")).unwrap_err();
        assert_eq!((err.line, err.message.as_str()), (Some(3), "not valid UTF-8 text"));
        let err = extract_str(&UvLock, "uv.lock", "\u{1b}[0m\u{0}\u{0}").unwrap_err();
        assert!(err.message.starts_with("invalid TOML"), "{}", err.message);
    }

    #[test]
    fn git_source_splits_query_and_commit() {
        assert_eq!(split_git_source("https://h/r?rev=v1&subdirectory=x#abc"), ("https://h/r", Some("abc")));
        assert_eq!(split_git_source("https://h/r"), ("https://h/r", None));
    }
}
