//! `Pipfile.lock`, the JSON lockfile pipenv writes (pipfile-spec 6).
//!
//! Besides `_meta`, every top-level key is a package category: `default`, `develop`,
//! and since pipenv 2023 any custom one (`docs`). An entry pinned with `==` (or `===`) is
//! a package. Decisions:
//!
//! - `develop` entries are dev; every other category is not (pipenv installs custom
//!   categories only on request, but nothing says they are for development).
//! - A package locked at the same version in `develop` and in another category is
//!   installed once and needed at runtime: it is reported once, not dev, at its runtime
//!   entry. Different versions are different packages and are all reported.
//! - Entries from git/hg/svn/bzr, a local `path` or a `file` URL are skipped even when they
//!   carry a version: their code does not come from the index, so advisories for that
//!   version would not describe it. Entries without an exact `==` pin are skipped too.
//! - The lock does not say which packages the project asked for; the `Pipfile` beside
//!   it does. When it can be read, packages it names (in any category) are direct and
//!   the rest transitive; otherwise the relationship is unknown.
//! - An entry's `index` naming a source other than PyPI becomes the purl's
//!   `repository_url` (credentials removed).
//! - An empty file is an unlocked project: no packages, not an error.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::json_lines::KeyLines;
use super::{relationship, text, ExtractError, Extracted, Extractor, Input};
use crate::model::{pep503_normalize, EcosystemKind, Location, Package, Skipped};

pub struct PipfileLock;

/// The lockfile, with its categories in file order.
#[derive(Default)]
struct Lockfile {
    sources: Vec<Source>,
    categories: Vec<Category>,
}

struct Category {
    name: String,
    entries: Vec<(String, Entry)>,
}

#[derive(Deserialize)]
struct Meta {
    #[serde(default)]
    sources: Vec<Source>,
}

#[derive(Deserialize)]
struct Source {
    #[serde(default)]
    name: String,
    #[serde(default)]
    url: String,
}

#[derive(Deserialize)]
struct Entry {
    version: Option<String>,
    index: Option<String>,
    git: Option<String>,
    hg: Option<String>,
    svn: Option<String>,
    bzr: Option<String>,
    path: Option<String>,
    file: Option<String>,
}

impl Extractor for PipfileLock {
    fn id(&self) -> &'static str {
        "python/pipfile-lock"
    }

    fn wants(&self, path: &Path) -> bool {
        path.file_name().is_some_and(|n| n == "Pipfile.lock")
    }

    fn extract(&self, input: &Input<'_>) -> Result<Extracted, ExtractError> {
        let content = input.text()?;
        if content.trim().is_empty() {
            return Ok(Extracted::default());
        }
        let lock: Lockfile = text::json(input.path, content)?;
        // The entries of every category, in file order like `lock.categories`.
        let key_lines = KeyLines::scan(content, |path| matches!(path, [category] if category != "_meta"));
        let declared = declared_in_pipfile(input);
        let runtime = runtime_pins(&lock);

        let mut out = Extracted::default();
        let mut reported = HashSet::new();
        let mut key_index = 0;
        for category in &lock.categories {
            let dev = category.name == "develop";
            for (name, entry) in &category.entries {
                let location = Location::new(input.path, key_lines.line(key_index, name));
                key_index += 1;
                let version = match exact_version(entry) {
                    Ok(version) => version,
                    Err(reason) => {
                        out.skipped.push(Skipped {
                            location,
                            declaration: declaration(name, entry),
                            reason: reason.into(),
                        });
                        continue;
                    }
                };
                let key = (pep503_normalize(name), version.to_string());
                let relationship = relationship(declared.as_ref().map(|d| d.contains(&key.0)));
                if (dev && runtime.contains(&key)) || !reported.insert(key) {
                    continue;
                }
                let mut package = Package::new(EcosystemKind::PyPI, name, version, location)
                    .with_relationship(relationship)
                    .with_dev(dev);
                if let Some(url) = private_index_url(&lock.sources, entry.index.as_deref()) {
                    package.purl = package.purl.with_qualifier("repository_url", url);
                }
                out.packages.push(package);
            }
        }
        Ok(out)
    }
}

/// The exact version an entry pins, or why it is not a registry package.
fn exact_version(entry: &Entry) -> Result<&str, &'static str> {
    if entry.git.is_some() || entry.hg.is_some() || entry.svn.is_some() || entry.bzr.is_some() {
        return Err("VCS checkout, not a registry version");
    }
    if entry.path.is_some() {
        return Err("local path, not a registry version");
    }
    if entry.file.is_some() {
        return Err("file or URL, not a registry version");
    }
    let version = entry.version.as_deref().map(str::trim).filter(|v| !v.is_empty()).ok_or("no version")?;
    let pinned = version.strip_prefix("===").or_else(|| version.strip_prefix("==")).map(str::trim);
    match pinned {
        Some(v) if !v.is_empty() && !v.contains(['*', ',', ' ']) => Ok(v),
        _ => Err("not pinned to an exact version"),
    }
}

/// What a skipped entry declared, in a form close to the Pipfile's.
fn declaration(name: &str, entry: &Entry) -> String {
    let reference = [
        ("git", &entry.git),
        ("hg", &entry.hg),
        ("svn", &entry.svn),
        ("bzr", &entry.bzr),
        ("path", &entry.path),
        ("file", &entry.file),
        ("version", &entry.version),
    ]
    .into_iter()
    .find_map(|(key, value)| value.as_ref().map(|v| format!("{key}={v}")));
    match reference {
        Some(reference) => format!("{name} {reference}"),
        None => name.to_string(),
    }
}

/// Name and version of every pin outside `develop`, so a dev entry already installed for
/// runtime is not reported a second time.
fn runtime_pins(lock: &Lockfile) -> HashSet<(String, String)> {
    lock.categories
        .iter()
        .filter(|c| c.name != "develop")
        .flat_map(|c| c.entries.iter())
        .filter_map(|(name, entry)| exact_version(entry).ok().map(|v| (pep503_normalize(name), v.to_string())))
        .collect()
}

/// Normalised names of the packages the `Pipfile` next to the lock declares, in any
/// category; `None` when there is no readable Pipfile (then nothing is known).
fn declared_in_pipfile(input: &Input<'_>) -> Option<HashSet<String>> {
    const NOT_PACKAGES: [&str; 4] = ["source", "requires", "scripts", "pipenv"];
    let bytes = input.files.read(&input.path.with_file_name("Pipfile")).ok()?;
    let pipfile: toml::Table = toml::from_str(std::str::from_utf8(&bytes).ok()?).ok()?;
    let names = pipfile
        .iter()
        .filter(|(key, _)| !NOT_PACKAGES.contains(&key.as_str()))
        .filter_map(|(_, value)| value.as_table())
        .flat_map(|table| table.keys())
        .map(|name| pep503_normalize(name))
        .collect();
    Some(names)
}

/// The URL of the entry's index when it is not PyPI, without credentials.
fn private_index_url(sources: &[Source], index: Option<&str>) -> Option<String> {
    let source = sources.iter().find(|s| Some(s.name.as_str()) == index)?;
    let url = without_credentials(&source.url);
    let host = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest).split('/').next().unwrap_or_default();
    let is_pypi = matches!(host.to_ascii_lowercase().as_str(), "pypi.org" | "pypi.python.org");
    (!is_pypi && !url.is_empty()).then_some(url)
}

/// `https://user:${TOKEN}@host/simple` → `https://host/simple`: a purl must not carry
/// secrets into reports.
fn without_credentials(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

impl<'de> Deserialize<'de> for Lockfile {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(LockfileVisitor)
    }
}

/// Reads the top level by hand to keep the categories in file order and accept any
/// category name.
struct LockfileVisitor;

impl<'de> Visitor<'de> for LockfileVisitor {
    type Value = Lockfile;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Pipfile.lock object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Lockfile, A::Error> {
        let mut lock = Lockfile::default();
        while let Some(name) = map.next_key::<String>()? {
            if name == "_meta" {
                lock.sources = map.next_value::<Meta>()?.sources;
            } else {
                let Entries(entries) = map.next_value()?;
                lock.categories.push(Category { name, entries });
            }
        }
        Ok(lock)
    }
}

/// A category's entries in file order (a map type would sort them).
struct Entries(Vec<(String, Entry)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        text::map_entries(deserializer, "an object of locked packages").map(Entries)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::PathBuf;

    use super::*;
    use crate::inventory::testing::{extract_fixture, extract_str, skipped_line_first, summarize};
    use crate::inventory::FileSource;
    use crate::model::Relationship;

    struct MemoryFiles(HashMap<PathBuf, Vec<u8>>);

    impl FileSource for MemoryFiles {
        fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
            self.0.get(path).cloned().ok_or_else(|| std::io::ErrorKind::NotFound.into())
        }
    }

    fn with_pipfile(lock: &str, pipfile: &[u8]) -> Extracted {
        let files = MemoryFiles([(PathBuf::from("app/Pipfile"), pipfile.to_vec())].into());
        PipfileLock
            .extract(&Input { path: Path::new("app/Pipfile.lock"), content: lock.as_bytes(), files: &files })
            .unwrap()
    }

    #[test]
    fn wants_only_pipfile_lock() {
        assert!(PipfileLock.wants(Path::new("Pipfile.lock")));
        assert!(PipfileLock.wants(Path::new("svc/Pipfile.lock")));
        assert!(!PipfileLock.wants(Path::new("Pipfile")));
        assert!(!PipfileLock.wants(Path::new("pipfile.lock")));
    }

    #[test]
    fn default_and_develop_with_pipfile_for_direct() {
        let out = extract_fixture(&PipfileLock, "inventory/pipfile/basic/Pipfile.lock").unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "PyPI|blinker|1.7.0|pkg:pypi/blinker@1.7.0|19|transitive",
                "PyPI|certifi|2023.11.17|pkg:pypi/certifi@2023.11.17|27|transitive",
                "PyPI|charset-normalizer|3.3.2|pkg:pypi/charset-normalizer@3.3.2|35|transitive",
                "PyPI|click|8.1.7|pkg:pypi/click@8.1.7|44|transitive",
                "PyPI|flask|3.0.0|pkg:pypi/flask@3.0.0|52|direct",
                "PyPI|idna|3.6|pkg:pypi/idna@3.6|60|transitive",
                "PyPI|itsdangerous|2.1.2|pkg:pypi/itsdangerous@2.1.2|68|transitive",
                "PyPI|jinja2|3.1.2|pkg:pypi/jinja2@3.1.2|76|transitive",
                "PyPI|markupsafe|2.1.3|pkg:pypi/markupsafe@2.1.3|84|transitive",
                "PyPI|packaging|23.2|pkg:pypi/packaging@23.2|93|transitive",
                "PyPI|requests|2.31.0|pkg:pypi/requests@2.31.0|101|direct",
                "PyPI|urllib3|2.1.0|pkg:pypi/urllib3@2.1.0|112|transitive",
                "PyPI|werkzeug|3.0.1|pkg:pypi/werkzeug@3.0.1|120|transitive",
                "PyPI|iniconfig|2.0.0|pkg:pypi/iniconfig@2.0.0|130|transitive,dev",
                "PyPI|pluggy|1.3.0|pkg:pypi/pluggy@1.3.0|146|transitive,dev",
                "PyPI|pytest|7.4.3|pkg:pypi/pytest@7.4.3|154|direct,dev",
            ]
        );
        assert!(out.skipped.is_empty());
    }

    #[test]
    fn vcs_path_file_private_index_and_custom_category() {
        let out = extract_fixture(&PipfileLock, "inventory/pipfile/sources/Pipfile.lock").unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "PyPI|acme-billing|4.2.0|pkg:pypi/acme-billing@4.2.0?\
                 repository_url=https://artifactory.example.com/api/pypi/pypi-local/simple|24|",
                "PyPI|pysocks|1.7.1|pkg:pypi/pysocks@1.7.1|44|",
                "PyPI|requests|2.31.0|pkg:pypi/requests@2.31.0|51|",
                "PyPI|zope.interface|6.1|pkg:pypi/zope.interface@6.1|62|",
                "PyPI|ruff|0.1.6|pkg:pypi/ruff@0.1.6|77|dev",
                "PyPI|alabaster|0.7.13|pkg:pypi/alabaster@0.7.13|88|",
                "PyPI|sphinx|7.2.6|pkg:pypi/sphinx@7.2.6|96|",
            ]
        );
        assert_eq!(
            skipped_line_first(&out),
            [
                "32|auth-client git=https://github.com/example/auth-client.git|VCS checkout, not a registry version",
                "37|billing-core path=./libs/billing-core|local path, not a registry version",
                "41|legacy-soap file=https://files.example.com/packages/legacy_soap-1.2.0.tar.gz|\
                 file or URL, not a registry version",
                "73|pdf-renderer git=git+ssh://git@github.com/example/pdf-renderer.git|\
                 VCS checkout, not a registry version",
            ]
        );
    }

    #[test]
    fn dev_duplicates_of_runtime_pins_are_reported_once() {
        let lock = r#"{
    "develop": {
        "six": {"version": "==1.16.0"},
        "Typing_Extensions": {"version": "==4.8.0"},
        "attrs": {"version": "==23.1.0"}
    },
    "default": {
        "six": {"version": "==1.16.0"},
        "typing-extensions": {"version": "==4.8.0"},
        "attrs": {"version": "==22.2.0"}
    },
    "docs": {
        "six": {"version": "==1.16.0"}
    }
}"#;
        assert_eq!(
            summarize(&extract_str(&PipfileLock, "Pipfile.lock", lock).unwrap().packages),
            [
                "PyPI|attrs|23.1.0|pkg:pypi/attrs@23.1.0|5|dev",
                "PyPI|six|1.16.0|pkg:pypi/six@1.16.0|8|",
                "PyPI|typing-extensions|4.8.0|pkg:pypi/typing-extensions@4.8.0|9|",
                "PyPI|attrs|22.2.0|pkg:pypi/attrs@22.2.0|10|",
            ]
        );
    }

    #[test]
    fn versions_that_are_not_exact_pins() {
        let lock = r#"{"default": {
            "a": {"version": "*"},
            "b": {"version": ">=1.0"},
            "c": {"version": "==1.*"},
            "d": {"hashes": []},
            "e": {"version": ""},
            "f": {"version": "===1.0-custom"},
            "g": {"editable": true, "version": "==2.0", "path": "."},
            "h": {"version": "== 3.0"}
        }}"#;
        let out = extract_str(&PipfileLock, "Pipfile.lock", lock).unwrap();
        assert_eq!(
            summarize(&out.packages),
            ["PyPI|f|1.0-custom|pkg:pypi/f@1.0-custom|7|", "PyPI|h|3.0|pkg:pypi/h@3.0|9|"]
        );
        assert_eq!(
            skipped_line_first(&out),
            [
                "2|a version=*|not pinned to an exact version",
                "3|b version=>=1.0|not pinned to an exact version",
                "4|c version===1.*|not pinned to an exact version",
                "5|d|no version",
                "6|e version=|no version",
                "8|g path=.|local path, not a registry version",
            ]
        );
    }

    #[test]
    fn lines_follow_keys_not_lookalike_strings() {
        // A package named like an entry field, and a source named like a category.
        let lock = r#"{
    "_meta": {"sources": [{"name": "default", "url": "https://pypi.org/simple"}]},
    "default": {
        "markers": {"markers": "os_name == 'nt'", "version": "==1.0"},
        "version": {"version": "==2.0"},
        "esc\"aped": {"version": "==3.0"}
    }
}"#;
        assert_eq!(
            summarize(&extract_str(&PipfileLock, "Pipfile.lock", lock).unwrap().packages),
            [
                "PyPI|markers|1.0|pkg:pypi/markers@1.0|4|",
                "PyPI|version|2.0|pkg:pypi/version@2.0|5|",
                "PyPI|esc\"aped|3.0|pkg:pypi/esc%22aped@3.0|6|",
            ]
        );
    }

    #[test]
    fn pipfile_categories_and_spelling_decide_direct() {
        let lock = r#"{"default": {"django": {"version": "==4.2"}, "sqlparse": {"version": "==0.4.4"}},
"develop": {"pytest-django": {"version": "==4.7.0"}}, "docs": {"sphinx": {"version": "==7.2.6"}}}"#;
        let pipfile = b"[packages]\nDjango = \"*\"\n[dev-packages]\npytest_django = \"*\"\n[docs]\nSphinx = \"*\"\n\
            [requires]\npython_version = \"3.11\"\n[scripts]\nsqlparse = \"x\"\n";
        assert_eq!(
            summarize(&with_pipfile(lock, pipfile).packages),
            [
                "PyPI|django|4.2|pkg:pypi/django@4.2|1|direct",
                "PyPI|sqlparse|0.4.4|pkg:pypi/sqlparse@0.4.4|1|transitive",
                "PyPI|pytest-django|4.7.0|pkg:pypi/pytest-django@4.7.0|2|direct,dev",
                "PyPI|sphinx|7.2.6|pkg:pypi/sphinx@7.2.6|2|direct",
            ]
        );
        // An unreadable Pipfile tells nothing; the lock is still read.
        let unknown = with_pipfile(lock, b"[packages\n");
        assert!(unknown.packages.iter().all(|p| p.relationship == Relationship::Unknown));
        assert_eq!(unknown.packages.len(), 4);
    }

    #[test]
    fn private_index_credentials_never_reach_the_purl() {
        assert_eq!(without_credentials("https://u:p@h.example/simple"), "https://h.example/simple");
        assert_eq!(without_credentials("https://h.example/a@b"), "https://h.example/a@b");
        assert_eq!(without_credentials("not a url"), "not a url");
        let sources = [
            Source { name: "pypi".into(), url: "https://PyPI.org/simple".into() },
            Source { name: "mirror".into(), url: "https://mirror.example/simple/".into() },
        ];
        assert_eq!(private_index_url(&sources, Some("pypi")), None);
        assert_eq!(private_index_url(&sources, Some("mirror")).as_deref(), Some("https://mirror.example/simple/"));
        assert_eq!(private_index_url(&sources, Some("unknown")), None);
        assert_eq!(private_index_url(&sources, None), None);
    }

    #[test]
    fn malformed_lockfiles() {
        let err = extract_str(&PipfileLock, "Pipfile.lock", "{\n    \"default\": {\n        \"six\": {\n").unwrap_err();
        assert_eq!((err.path.as_str(), err.line), ("Pipfile.lock", Some(4)));
        assert!(err.message.starts_with("invalid JSON"), "{}", err.message);

        let err = extract_str(&PipfileLock, "Pipfile.lock", "{\n\"default\": [\"six\"]\n}").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(err.message.contains("an object of locked packages"), "{}", err.message);

        let err =
            extract_str(&PipfileLock, "Pipfile.lock", "{\"default\": {\n\"six\": {\"version\": 1.16}}}").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(err.message.contains("invalid type: floating point"), "{}", err.message);

        let err = extract_str(&PipfileLock, "Pipfile.lock", "[]").unwrap_err();
        assert!(err.message.contains("a Pipfile.lock object"), "{}", err.message);

        let err = extract_str(&PipfileLock, "Pipfile.lock", "{\"_meta\": {\"sources\": {}}}").unwrap_err();
        assert!(err.message.contains("invalid type: map"), "{}", err.message);

        let err = PipfileLock
            .extract(&Input::new(Path::new("Pipfile.lock"), b"{\n\"default\": {\"\xfe\xff\": {}}}"))
            .unwrap_err();
        assert_eq!((err.line, err.message.as_str()), (Some(2), "not valid UTF-8 text"));

        let deep = format!("{{\"_meta\": {{\"hash\": {}", "[".repeat(100_000));
        assert!(extract_str(&PipfileLock, "Pipfile.lock", &deep).is_err());
    }

    #[test]
    fn deep_nesting_in_ignored_fields_neither_crashes_nor_hides_the_package() {
        let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let lock = format!("{{\"default\": {{\"x\": {{\"hashes\": {nested}, \"version\": \"==1.0\"}}}}}}");
        let out = extract_str(&PipfileLock, "Pipfile.lock", &lock).unwrap();
        assert_eq!(summarize(&out.packages), ["PyPI|x|1.0|pkg:pypi/x@1.0|1|"]);
    }

    #[test]
    fn big_lockfiles_stay_linear() {
        let entries: Vec<String> = (0..50_000)
            .map(|i| format!("        \"package-{i}\": {{\n            \"version\": \"==1.{i}\"\n        }}"))
            .collect();
        let lock = format!("{{\n    \"default\": {{\n{}\n    }}\n}}\n", entries.join(",\n"));
        let out = extract_str(&PipfileLock, "Pipfile.lock", &lock).unwrap();
        assert_eq!(out.packages.len(), 50_000);
        assert_eq!(out.packages.last().unwrap().location.line, Some(3 + 3 * 49_999));
    }

    #[test]
    fn empty_lockfiles_have_no_packages() {
        for text in ["", "  \n", "{}", "{\"_meta\": {}, \"default\": {}, \"develop\": {}}"] {
            assert_eq!(extract_str(&PipfileLock, "Pipfile.lock", text).unwrap(), Extracted::default(), "{text:?}");
        }
    }
}
