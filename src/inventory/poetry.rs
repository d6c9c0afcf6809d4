//! `poetry.lock`, lock-version 1.x (Poetry 1.0–1.2) and 2.x (Poetry 1.3 onwards).
//!
//! Every `[[package]]` is a resolved package; the project itself is never listed, and the
//! lock does not record which packages the project names, so direct/transitive is
//! unknown. Dev comes from what each generation of Poetry wrote: `category = "dev"`
//! (up to Poetry 1.4), or `groups` without `main` (Poetry 2, lock-version 2.1; `main` is
//! the production group). Poetry 1.5–1.8 write neither, so their packages are not dev.
//! `optional = true` means only an extra of the project pulls the package in.
//!
//! `[package.source]` tells where a package came from. `directory` and `file` are local
//! code or archives on disk: skipped, since no advisory can name them. `git` is kept
//! under the version its metadata declares and pinned by `vcs_url` to the resolved
//! commit, like a git crate in `Cargo.lock`: the version is what Poetry installs, and a
//! fork of a vulnerable release is still worth a look. `url` (a remote archive) is kept
//! with its `download_url`; `legacy` (a private index) is still a PyPI package, marked
//! with its `repository_url`.

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::python::{self, pypi_package, Origin};
use super::{text, ExtractError, Extracted, Extractor, Input};
use crate::model::{Location, Skipped};

pub struct PoetryLock;

#[derive(Deserialize)]
struct Lockfile {
    #[serde(default)]
    package: Vec<LockedPackage>,
}

#[derive(Deserialize)]
struct LockedPackage {
    name: Spanned<String>,
    version: String,
    category: Option<String>,
    #[serde(default)]
    optional: bool,
    groups: Option<Vec<String>>,
    source: Option<Source>,
}

#[derive(Deserialize)]
struct Source {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    url: String,
    reference: Option<String>,
    resolved_reference: Option<String>,
}

impl Extractor for PoetryLock {
    fn id(&self) -> &'static str {
        "python/poetry-lock"
    }

    fn wants(&self, path: &Path) -> bool {
        path.file_name().is_some_and(|n| n == "poetry.lock")
    }

    fn extract(&self, input: &Input<'_>) -> Result<Extracted, ExtractError> {
        let content = input.text()?;
        let lock: Lockfile = text::toml(input.path, content)?;
        let lines = text::LineIndex::new(content);

        let mut out = Extracted::default();
        for entry in &lock.package {
            let name = entry.name.get_ref();
            let location = Location::new(input.path, Some(lines.line(entry.name.span().start)));
            if name.is_empty() || entry.version.is_empty() {
                return Err(input.error(location.line, "package without a name or version"));
            }
            match origin(entry.source.as_ref()) {
                Ok(origin) => {
                    let package = pypi_package(name, &entry.version, location, origin)
                        .with_dev(is_dev(entry))
                        .with_optional(entry.optional);
                    out.packages.push(package);
                }
                Err(reason) => {
                    let declaration = python::declaration(name, Some(&entry.version));
                    out.skipped.push(Skipped { location, declaration, reason })
                }
            }
        }
        Ok(out)
    }
}

/// Where a package came from, or why it is not a package an advisory can name.
fn origin(source: Option<&Source>) -> Result<Origin<'_>, String> {
    let Some(source) = source else {
        return Ok(Origin::Unstated);
    };
    match source.kind.as_str() {
        "directory" => Err(format!("local directory {:?}", source.url)),
        "file" => Err(format!("local file {:?}", source.url)),
        "git" => {
            let commit = source.resolved_reference.as_deref().or(source.reference.as_deref());
            Ok(Origin::Vcs { vcs: "git", url: &source.url, commit })
        }
        "url" => Ok(Origin::Archive(&source.url)),
        // `legacy` is any PEP 503 index Poetry was configured with.
        _ if !source.url.is_empty() => Ok(Origin::Index(&source.url)),
        _ => Ok(Origin::Unstated),
    }
}

fn is_dev(entry: &LockedPackage) -> bool {
    if let Some(category) = &entry.category {
        return category == "dev";
    }
    entry.groups.as_ref().is_some_and(|groups| !groups.is_empty() && !groups.iter().any(|g| g == "main"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::testing::{extract_fixture, extract_str, skipped, summarize};

    #[test]
    fn wants_only_poetry_lock() {
        assert!(PoetryLock.wants(Path::new("svc/poetry.lock")));
        assert!(!PoetryLock.wants(Path::new("poetry.lock.bak")));
        assert!(!PoetryLock.wants(Path::new("pyproject.toml")));
    }

    #[test]
    fn lock_version_1_1_with_categories_and_git_directory_legacy_sources() {
        let out = extract_fixture(&PoetryLock, "inventory/poetry/v1.1/poetry.lock").unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "PyPI|atomicwrites|1.4.0|pkg:pypi/atomicwrites@1.4.0|2|dev",
                "PyPI|certifi|2021.10.8|pkg:pypi/certifi@2021.10.8|10|",
                "PyPI|company-auth|3.2.0|pkg:pypi/company-auth@3.2.0?repository_url=https://pypi.company.example/simple|18|",
                "PyPI|pytest|6.2.5|pkg:pypi/pytest@6.2.5|34|dev",
                "PyPI|PyYAML|5.4.1|pkg:pypi/pyyaml@5.4.1|48|optional",
                "PyPI|requests|2.26.0|pkg:pypi/requests@2.26.0|56|",
                "PyPI|structlog-sentry|1.4.0|pkg:pypi/structlog-sentry@1.4.0?vcs_url=git%2Bhttps://github.com/kiwicom/structlog-sentry.git%404d6a4d1e2f35b4e3c8a27b1f0e9c6a5d2b8f7e61|88|",
                "PyPI|urllib3|1.26.7|pkg:pypi/urllib3@1.26.7|103|",
            ]
        );
        assert_eq!(skipped(&out), ["shared-models 0.1.0|72|local directory \"../shared-models\""]);
        assert_eq!(out.skipped[0].location.path, "inventory/poetry/v1.1/poetry.lock");
    }

    #[test]
    fn lock_version_2_0_without_dev_information_and_url_file_sources() {
        let out = extract_fixture(&PoetryLock, "inventory/poetry/v2.0/poetry.lock").unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "PyPI|click|8.1.7|pkg:pypi/click@8.1.7|4|",
                "PyPI|colorama|0.4.6|pkg:pypi/colorama@0.4.6|18|",
                "PyPI|fastapi-pagination|0.12.26|pkg:pypi/fastapi-pagination@0.12.26?download_url=https://github.com/uriyyo/fastapi-pagination/releases/download/0.12.26/fastapi_pagination-0.12.26-py3-none-any.whl|29|",
                "PyPI|numpy|1.26.4|pkg:pypi/numpy@1.26.4?repository_url=https://nexus.internal.example/repository/pypi-proxy/simple|57|",
                "PyPI|numpy|2.0.2|pkg:pypi/numpy@2.0.2?repository_url=https://nexus.internal.example/repository/pypi-proxy/simple|73|",
            ]
        );
        assert_eq!(skipped(&out), ["geo-tools 2.0.1|43|local file \"vendor/geo_tools-2.0.1-py3-none-any.whl\""]);
    }

    #[test]
    fn lock_version_2_1_with_groups_markers_and_extras() {
        let out = extract_fixture(&PoetryLock, "inventory/poetry/v2.1/poetry.lock").unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "PyPI|faker|33.1.0|pkg:pypi/faker@33.1.0|4|dev",
                "PyPI|proto-plus|1.22.0|pkg:pypi/proto-plus@1.22.0|20|",
                "PyPI|proto-plus|1.23.0|pkg:pypi/proto-plus@1.23.0|33|",
                "PyPI|python-dateutil|2.9.0.post0|pkg:pypi/python-dateutil@2.9.0.post0|46|",
                "PyPI|redis|5.2.1|pkg:pypi/redis@5.2.1|61|optional",
                "PyPI|six|1.17.0|pkg:pypi/six@1.17.0|78|",
                "PyPI|typing-extensions|4.12.2|pkg:pypi/typing-extensions@4.12.2|90|dev",
                "PyPI|urllib3|2.3.0|pkg:pypi/urllib3@2.3.0?vcs_url=git%2Bhttps://github.com/urllib3/urllib3.git%402a38bd3a6b3e94f1d5b6a27fa4c5d6b5a5e1e6d3|103|dev",
            ]
        );
        assert!(out.skipped.is_empty());
    }

    #[test]
    fn git_source_without_resolved_commit_uses_the_reference() {
        let lock = "[[package]]\nname = \"x\"\nversion = \"1.0\"\n\n[package.source]\ntype = \"git\"\nurl = \"https://g.example/x.git\"\nreference = \"v1.0\"\n";
        let out = extract_str(&PoetryLock, "poetry.lock", lock).unwrap();
        assert_eq!(out.packages[0].purl.to_string(), "pkg:pypi/x@1.0?vcs_url=git%2Bhttps://g.example/x.git%40v1.0");
    }

    #[test]
    fn empty_lockfile_has_no_packages() {
        assert_eq!(extract_str(&PoetryLock, "poetry.lock", "").unwrap(), Extracted::default());
        let only_metadata = "[metadata]\nlock-version = \"2.0\"\npython-versions = \"^3.11\"\ncontent-hash = \"00\"\n";
        assert_eq!(extract_str(&PoetryLock, "poetry.lock", only_metadata).unwrap(), Extracted::default());
    }

    #[test]
    fn malformed_lockfiles_name_the_line() {
        let truncated = "[[package]]\nname = \"click\"\nversion = \"8.1.7\"\nfiles = [\n    {file = \"click-8.1.7.tar.gz\", hash = \"sha";
        let err = extract_str(&PoetryLock, "poetry.lock", truncated).unwrap_err();
        assert_eq!(err.path, "poetry.lock");
        assert_eq!(err.line, Some(5));
        assert!(err.message.starts_with("invalid TOML"), "{}", err.message);

        for (lock, line) in [
            ("[[package]]\nname = \"click\"\nversion = 8\n", 3),
            ("[[package]]\nname = \"click\"\nversion = \"8\"\noptional = \"no\"\n", 4),
            ("[[package]]\nname = \"click\"\nversion = \"8\"\ngroups = \"main\"\n", 4),
            ("\n[[package]]\nname = [\"click\"]\nversion = \"8\"\n", 3),
        ] {
            let err = extract_str(&PoetryLock, "poetry.lock", lock).unwrap_err();
            assert_eq!(err.line, Some(line), "{lock}");
            assert!(err.message.contains("invalid type"), "{}", err.message);
        }

        let err = extract_str(&PoetryLock, "poetry.lock", "[[package]]\nname = \"click\"\n").unwrap_err();
        assert!(err.message.contains("missing field `version`"), "{}", err.message);
        let err =
            extract_str(&PoetryLock, "poetry.lock", "[[package]]\nname = \"click\"\nversion = \"\"\n").unwrap_err();
        assert_eq!((err.line, err.message.as_str()), (Some(2), "package without a name or version"));
        let err = extract_str(&PoetryLock, "poetry.lock", "package = 3\n").unwrap_err();
        assert_eq!(err.line, Some(1));
    }

    #[test]
    fn binary_junk_is_an_error_not_a_crash() {
        let err = PoetryLock
            .extract(&Input::new(Path::new("poetry.lock"), b"[[package]]\n\x89PNG\r\n\x1a\n\xff"))
            .unwrap_err();
        assert_eq!((err.line, err.message.as_str()), (Some(2), "not valid UTF-8 text"));
        let err = extract_str(&PoetryLock, "poetry.lock", "\u{0}\u{0}\u{7f}ELF\u{2}").unwrap_err();
        assert!(err.message.starts_with("invalid TOML"), "{}", err.message);
    }
}
