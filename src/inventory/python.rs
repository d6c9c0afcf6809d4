//! Helpers the Python lockfile extractors share (`pylock.toml`, `poetry.lock`, `uv.lock`,
//! `pdm.lock`), so that every format spells source qualifiers and declarations the
//! same way.

use crate::model::{EcosystemKind, Location, Package};

/// Where a non-local Python package was fetched from, which decides its purl qualifiers.
pub(super) enum Origin<'a> {
    /// A package index by its URL: PyPI needs no qualifier, any other gets `repository_url`.
    Index(&'a str),
    /// A version-control checkout (`vcs` is `git`, `hg`…), pinned by `vcs_url`.
    Vcs { vcs: &'a str, url: &'a str, commit: Option<&'a str> },
    /// A direct URL to an archive, kept as `download_url`.
    Archive(&'a str),
    /// The file does not say; the tools then use PyPI.
    Unstated,
}

/// A PyPI package with the qualifiers its origin calls for.
pub(super) fn pypi_package(name: &str, version: &str, location: Location, origin: Origin<'_>) -> Package {
    let mut package = Package::new(EcosystemKind::PyPI, name, version, location);
    let qualifier = match origin {
        Origin::Index(url) if url.contains("://") && !is_pypi_index(url) => Some(("repository_url", url.to_string())),
        Origin::Vcs { vcs, url, commit } => Some(("vcs_url", vcs_url(vcs, url, commit))),
        Origin::Archive(url) => Some(("download_url", url.to_string())),
        Origin::Index(_) | Origin::Unstated => None,
    };
    if let Some((key, value)) = qualifier {
        package.purl = package.purl.with_qualifier(key, value);
    }
    package
}

/// Whether an index URL is PyPI itself (with or without a trailing slash).
fn is_pypi_index(url: &str) -> bool {
    let url = url.trim_end_matches('/').to_ascii_lowercase();
    let host_and_path = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")).unwrap_or(&url);
    matches!(host_and_path, "pypi.org/simple" | "pypi.python.org/simple" | "pypi.org/pypi" | "pypi.python.org/pypi")
}

/// Whether a URL names a file on the local disk (`file:` or no scheme at all).
pub(super) fn is_local_url(url: &str) -> bool {
    !url.contains("://") || url.get(..5).is_some_and(|scheme| scheme.eq_ignore_ascii_case("file:"))
}

/// The purl-spec `vcs_url` form: `git+https://host/repo@commit`.
fn vcs_url(vcs: &str, url: &str, commit: Option<&str>) -> String {
    let prefix = format!("{vcs}+");
    let url = url.strip_prefix(&prefix).unwrap_or(url);
    match commit.filter(|c| !c.is_empty()) {
        Some(commit) => format!("{prefix}{url}@{commit}"),
        None => format!("{prefix}{url}"),
    }
}

/// `name version` for a skipped entry, or the name alone when the entry has no version.
pub(super) fn declaration(name: &str, version: Option<&str>) -> String {
    match version {
        Some(version) => format!("{name} {version}"),
        None => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn purl(origin: Origin<'_>) -> String {
        pypi_package("a", "1.0", Location::new(std::path::Path::new("x"), None), origin).purl.to_string()
    }

    #[test]
    fn origins_become_purl_qualifiers() {
        assert_eq!(purl(Origin::Unstated), "pkg:pypi/a@1.0");
        assert_eq!(purl(Origin::Index("https://PyPI.org/simple/")), "pkg:pypi/a@1.0");
        assert_eq!(
            purl(Origin::Index("https://pypi.example/simple")),
            "pkg:pypi/a@1.0?repository_url=https://pypi.example/simple"
        );
        assert_eq!(purl(Origin::Index("internal")), "pkg:pypi/a@1.0");
        let vcs = Origin::Vcs { vcs: "git", url: "git+https://g.example/a.git", commit: Some("abc") };
        assert_eq!(purl(vcs), "pkg:pypi/a@1.0?vcs_url=git%2Bhttps://g.example/a.git%40abc");
        assert_eq!(
            purl(Origin::Archive("https://f.example/a.tar.gz")),
            "pkg:pypi/a@1.0?download_url=https://f.example/a.tar.gz"
        );
    }

    #[test]
    fn local_urls_and_declarations() {
        assert!(is_local_url("../wheels/a-1.0.whl") && is_local_url("FILE:///w/a.whl"));
        assert!(!is_local_url("https://f.example/a.whl"));
        assert_eq!((declaration("a", Some("1.0")), declaration("a", None)), ("a 1.0".into(), "a".into()));
    }
}
