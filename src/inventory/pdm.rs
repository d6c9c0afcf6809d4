//! `pdm.lock`, lock_version 3.x (PDM 1) and 4.x (PDM 2).
//!
//! Every `[[package]]` is a resolved package; the project itself is not listed and the
//! lock does not say which packages the project names, so direct/transitive is unknown.
//!
//! Dev and optional come from `groups` (PDM 1 called them `sections`), written per
//! package since lock_version 4.4 with the `inherit_metadata` strategy: a package in
//! `default` is production. Otherwise the lock alone cannot tell an extra
//! (`[project.optional-dependencies]`) from a dependency group, so the sibling
//! `pyproject.toml` is read when the scan has it: a package any extra selects is
//! optional, any other is dev. Without that file every non-default group counts as
//! dev. Older locks write no groups; their packages are neither.
//!
//! A package installed with extras appears twice, once plain and once with `extras =
//! [...]`: the entries are one package, reported once at the first, with their groups
//! merged. Local packages (`path`, with or without `editable`, and `file://` URLs) are
//! skipped. VCS packages (`git`/`hg`/`svn`/`bzr`) are kept, pinned by `vcs_url` to
//! their `revision`; remote archives (`url`) keep their `download_url`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde::de::IgnoredAny;
use serde::Deserialize;
use toml::Spanned;

use super::python::{self, is_local_url, pypi_package, Origin};
use super::{text, ExtractError, Extracted, Extractor, Input};
use crate::model::{pep503_normalize, Location, Skipped};

pub struct PdmLock;

#[derive(Deserialize)]
struct Lockfile {
    #[serde(default)]
    package: Vec<LockedPackage>,
}

#[derive(Deserialize)]
struct LockedPackage {
    name: Spanned<String>,
    version: Option<String>,
    #[serde(alias = "sections")]
    groups: Option<Vec<String>>,
    path: Option<String>,
    url: Option<String>,
    git: Option<String>,
    hg: Option<String>,
    svn: Option<String>,
    bzr: Option<String>,
    revision: Option<String>,
    #[serde(rename = "ref")]
    reference: Option<String>,
}

/// Just the extras of the sibling `pyproject.toml`.
#[derive(Deserialize)]
struct Pyproject {
    project: Option<Project>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Project {
    #[serde(default)]
    optional_dependencies: BTreeMap<String, IgnoredAny>,
}

impl Extractor for PdmLock {
    fn id(&self) -> &'static str {
        "python/pdm-lock"
    }

    fn wants(&self, path: &Path) -> bool {
        path.file_name().is_some_and(|n| n == "pdm.lock")
    }

    fn extract(&self, input: &Input<'_>) -> Result<Extracted, ExtractError> {
        let content = input.text()?;
        let lock: Lockfile = text::toml(input.path, content)?;
        let lines = text::LineIndex::new(content);
        let extras = project_extras(input);
        let groups = merged_groups(&lock.package);

        let mut out = Extracted::default();
        let mut reported = HashSet::new();
        for entry in &lock.package {
            let name = entry.name.get_ref();
            let location = Location::new(input.path, Some(lines.line(entry.name.span().start)));
            if name.is_empty() {
                return Err(input.error(location.line, "package without a name"));
            }
            let key = identity(entry);
            if !reported.insert(key.clone()) {
                continue;
            }
            match classify(entry) {
                Ok((version, origin)) => {
                    let (dev, optional) = flags(groups.get(&key).and_then(Option::as_deref), &extras);
                    let package = pypi_package(name, version, location, origin).with_dev(dev).with_optional(optional);
                    out.packages.push(package);
                }
                Err(reason) => out.skipped.push(Skipped { location, declaration: declaration(entry), reason }),
            }
        }
        Ok(out)
    }
}

/// Entries with the same identity are one package (the plain one and its `extras` twin).
fn identity(entry: &LockedPackage) -> (String, String) {
    (pep503_normalize(entry.name.get_ref()), entry.version.clone().unwrap_or_default())
}

/// The union of the groups of every entry of a package; `None` when no entry has any.
fn merged_groups(entries: &[LockedPackage]) -> HashMap<(String, String), Option<Vec<String>>> {
    let mut merged: HashMap<(String, String), Option<Vec<String>>> = HashMap::new();
    for entry in entries {
        let slot = merged.entry(identity(entry)).or_default();
        if let Some(groups) = &entry.groups {
            let all = slot.get_or_insert_with(Vec::new);
            for group in groups {
                if !all.contains(group) {
                    all.push(group.clone());
                }
            }
        }
    }
    merged
}

/// `(dev, optional)`; see the module documentation.
fn flags(groups: Option<&[String]>, project_extras: &HashSet<String>) -> (bool, bool) {
    let Some(groups) = groups.filter(|groups| !groups.is_empty()) else {
        return (false, false);
    };
    if groups.iter().any(|g| g == "default") {
        (false, false)
    } else if groups.iter().any(|g| project_extras.contains(&pep503_normalize(g))) {
        (false, true)
    } else {
        (true, false)
    }
}

/// The extras of the project, from the `pyproject.toml` beside the lock; empty when the
/// scan cannot read it or it is not valid.
fn project_extras(input: &Input<'_>) -> HashSet<String> {
    let path = input.path.parent().unwrap_or(Path::new("")).join("pyproject.toml");
    let Ok(bytes) = input.files.read(&path) else {
        return HashSet::new();
    };
    let Ok(pyproject) = text::utf8(&path, &bytes).and_then(|t| text::toml::<Pyproject>(&path, t)) else {
        return HashSet::new();
    };
    pyproject.project.map(|p| p.optional_dependencies.keys().map(|k| pep503_normalize(k)).collect()).unwrap_or_default()
}

/// The exact version and origin of a package, or why it is not one.
fn classify(entry: &LockedPackage) -> Result<(&str, Origin<'_>), String> {
    if let Some(path) = &entry.path {
        return Err(format!("local path {path:?}"));
    }
    if let Some(url) = entry.url.as_deref().filter(|url| is_local_url(url)) {
        return Err(format!("local archive {url:?}"));
    }
    let Some(version) = entry.version.as_deref().filter(|v| !v.is_empty()) else {
        return Err("no version".into());
    };
    let vcs = [("git", &entry.git), ("hg", &entry.hg), ("svn", &entry.svn), ("bzr", &entry.bzr)]
        .into_iter()
        .find_map(|(vcs, url)| url.as_deref().map(|url| (vcs, url)));
    let origin = if let Some((vcs, url)) = vcs {
        Origin::Vcs { vcs, url, commit: entry.revision.as_deref().or(entry.reference.as_deref()) }
    } else if let Some(url) = &entry.url {
        Origin::Archive(url)
    } else {
        Origin::Unstated
    };
    Ok((version, origin))
}

fn declaration(entry: &LockedPackage) -> String {
    python::declaration(entry.name.get_ref(), entry.version.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::testing::{extract_fixture, extract_str, fixture_text, skipped, summarize};

    const NEW: &str = "inventory/pdm/new/pdm.lock";

    #[test]
    fn wants_only_pdm_lock() {
        assert!(PdmLock.wants(Path::new("svc/pdm.lock")));
        assert!(!PdmLock.wants(Path::new("pdm.toml")));
        assert!(!PdmLock.wants(Path::new("pdm.lock.json")));
    }

    #[test]
    fn lock_version_4_5_with_groups_extras_twins_vcs_url_and_local_paths() {
        let out = extract_fixture(&PdmLock, NEW).unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "PyPI|certifi|2024.8.30|pkg:pypi/certifi@2024.8.30|14|",
                "PyPI|charset-normalizer|3.4.0|pkg:pypi/charset-normalizer@3.4.0|25|",
                "PyPI|colorama|0.4.6|pkg:pypi/colorama@0.4.6|36|dev",
                "PyPI|company-theme|2.1.0|pkg:pypi/company-theme@2.1.0?download_url=https://downloads.example.com/company_theme-2.1.0-py3-none-any.whl|48|",
                "PyPI|idna|3.10|pkg:pypi/idna@3.10|59|",
                "PyPI|iniconfig|2.0.0|pkg:pypi/iniconfig@2.0.0|70|dev",
                "PyPI|packaging|24.2|pkg:pypi/packaging@24.2|91|",
                "PyPI|pluggy|1.5.0|pkg:pypi/pluggy@1.5.0|102|dev",
                "PyPI|pysocks|1.7.1|pkg:pypi/pysocks@1.7.1|113|optional",
                "PyPI|pytest|8.3.3|pkg:pypi/pytest@8.3.3|124|dev",
                "PyPI|requests|2.32.3|pkg:pypi/requests@2.32.3|143|",
                "PyPI|ruff|0.7.4|pkg:pypi/ruff@0.7.4|176|dev",
                "PyPI|toolz|1.0.1.dev4|pkg:pypi/toolz@1.0.1.dev4?vcs_url=git%2Bhttps://github.com/pytoolz/toolz.git%4008f2604a3e2d4ea2b1c5a3f9c6e0b7d8a91e2c4f|199|",
                "PyPI|urllib3|2.2.3|pkg:pypi/urllib3@2.2.3|209|",
            ]
        );
        assert_eq!(
            skipped(&out),
            [
                "legacy-parser 0.9.0|81|local archive \"file:///${PROJECT_ROOT}/vendor/legacy_parser-0.9.0.tar.gz\"",
                "shared-utils 0.2.0|187|local path \"./packages/shared-utils\"",
            ]
        );
        assert_eq!(out.skipped[0].location.path, NEW);
    }

    #[test]
    fn without_pyproject_every_non_default_group_is_dev() {
        let content = fixture_text(NEW);
        let out = extract_str(&PdmLock, "pdm.lock", &content).unwrap();
        let pysocks = out.packages.iter().find(|p| p.name == "pysocks").unwrap();
        assert!(pysocks.dev && !pysocks.optional);
        assert_eq!(out.packages.len(), 14);
    }

    /// A pyproject.toml that is not valid TOML (or not UTF-8) is no reason to fail the lock.
    #[test]
    fn broken_pyproject_falls_back_to_dev() {
        struct Junk;
        impl crate::inventory::FileSource for Junk {
            fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
                assert_eq!(path, Path::new("app/pyproject.toml"));
                Ok(b"[project\noptional-dependencies = \xff".to_vec())
            }
        }
        let lock = "[[package]]\nname = \"pysocks\"\nversion = \"1.7.1\"\ngroups = [\"socks\"]\n";
        let input = Input { path: Path::new("app/pdm.lock"), content: lock.as_bytes(), files: &Junk };
        let out = PdmLock.extract(&input).unwrap();
        assert_eq!(summarize(&out.packages), ["PyPI|pysocks|1.7.1|pkg:pypi/pysocks@1.7.1|2|dev"]);
    }

    #[test]
    fn lock_version_4_1_without_groups_with_vcs_archive_and_editable_path() {
        let out = extract_fixture(&PdmLock, "inventory/pdm/old/pdm.lock").unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "PyPI|blinker|1.6.2|pkg:pypi/blinker@1.6.2|5|",
                "PyPI|click|8.1.3|pkg:pypi/click@8.1.3|11|",
                "PyPI|flask|2.3.2|pkg:pypi/flask@2.3.2|17|",
                "PyPI|flask-sso|0.4.2|pkg:pypi/flask-sso@0.4.2?vcs_url=git%2Bhttps://github.com/acme/flask-sso.git%405a3c9d1e7b2f4a6c8e0d2b4f6a8c0e2d4f6a8b0c|30|",
                "PyPI|itsdangerous|2.1.2|pkg:pypi/itsdangerous@2.1.2|42|",
                "PyPI|jinja2|3.1.2|pkg:pypi/jinja2@3.1.2|48|",
                "PyPI|markupsafe|2.1.3|pkg:pypi/markupsafe@2.1.3|57|",
                "PyPI|pdf-render|0.7.0|pkg:pypi/pdf-render@0.7.0?download_url=https://artifacts.acme.example/python/pdf_render-0.7.0.tar.gz|63|",
                "PyPI|werkzeug|2.3.6|pkg:pypi/werkzeug@2.3.6|81|",
            ]
        );
        assert_eq!(skipped(&out), ["reports-core 0.1.0|70|local path \"./libs/reports-core\""]);
    }

    #[test]
    fn pdm_1_sections_are_groups() {
        let lock = "[[package]]\nname = \"pytest\"\nsections = [\"dev\"]\nversion = \"6.2.4\"\n\n[[package]]\nname = \"click\"\nsections = [\"default\", \"dev\"]\nversion = \"8.0.1\"\n\n[metadata]\nlock_version = \"3.1\"\n";
        let out = extract_str(&PdmLock, "pdm.lock", lock).unwrap();
        assert_eq!(
            summarize(&out.packages),
            ["PyPI|pytest|6.2.4|pkg:pypi/pytest@6.2.4|2|dev", "PyPI|click|8.0.1|pkg:pypi/click@8.0.1|7|"]
        );
    }

    #[test]
    fn extras_twin_alone_is_still_reported_and_vcs_without_revision_keeps_the_ref() {
        let lock = "[[package]]\nname = \"x\"\nversion = \"1.0\"\nextras = [\"a\"]\nhg = \"https://hg.example/x\"\nref = \"stable\"\n";
        let out = extract_str(&PdmLock, "pdm.lock", lock).unwrap();
        assert_eq!(
            summarize(&out.packages),
            ["PyPI|x|1.0|pkg:pypi/x@1.0?vcs_url=hg%2Bhttps://hg.example/x%40stable|2|"]
        );
    }

    #[test]
    fn empty_lockfile_has_no_packages() {
        assert_eq!(extract_str(&PdmLock, "pdm.lock", "").unwrap(), Extracted::default());
        let metadata_only = "[metadata]\ngroups = [\"default\"]\nlock_version = \"4.5.0\"\n";
        assert_eq!(extract_str(&PdmLock, "pdm.lock", metadata_only).unwrap(), Extracted::default());
    }

    #[test]
    fn package_without_version_is_skipped() {
        let out = extract_str(&PdmLock, "pdm.lock", "[[package]]\nname = \"x\"\nsummary = \"\"\n").unwrap();
        assert_eq!(skipped(&out), ["x|2|no version"]);
    }

    #[test]
    fn malformed_lockfiles_name_the_line() {
        let truncated = "[metadata]\nlock_version = \"4.5.0\"\n\n[[package]]\nname = \"idna\"\nversion = \"3.10\"\ngroups = [\"default\"";
        let err = extract_str(&PdmLock, "pdm.lock", truncated).unwrap_err();
        assert_eq!(err.path, "pdm.lock");
        assert_eq!(err.line, Some(7));
        assert!(err.message.starts_with("invalid TOML"), "{}", err.message);

        for (lock, line) in [
            ("[[package]]\nname = \"idna\"\nversion = 3\n", 3),
            ("[[package]]\nname = \"idna\"\nversion = \"3\"\ngroups = \"default\"\n", 4),
            ("[[package]]\nname = \"idna\"\nversion = \"3\"\ngit = true\n", 4),
        ] {
            let err = extract_str(&PdmLock, "pdm.lock", lock).unwrap_err();
            assert_eq!(err.line, Some(line), "{lock}");
            assert!(err.message.contains("invalid type"), "{}", err.message);
        }
        let err = extract_str(&PdmLock, "pdm.lock", "[[package]]\nversion = \"1\"\n").unwrap_err();
        assert!(err.message.contains("missing field `name`"), "{}", err.message);
        let err = extract_str(&PdmLock, "pdm.lock", "[[package]]\nname = \"\"\nversion = \"1\"\n").unwrap_err();
        assert_eq!((err.line, err.message.as_str()), (Some(2), "package without a name"));
    }

    #[test]
    fn binary_junk_is_an_error_not_a_crash() {
        let err = PdmLock.extract(&Input::new(Path::new("pdm.lock"), b"\xef\xbb\xbf[metadata]\n\xc3\x28")).unwrap_err();
        assert_eq!((err.line, err.message.as_str()), (Some(2), "not valid UTF-8 text"));
        let err = extract_str(&PdmLock, "pdm.lock", "\u{0}\u{1}\u{2}\u{3}").unwrap_err();
        assert!(err.message.starts_with("invalid TOML"), "{}", err.message);
    }
}
