//! `renv.lock`, the lockfile of R's renv.
//!
//! A JSON document: `R` (version and repositories), optionally `Bioconductor`, and
//! `Packages`, keyed by package name, each with `Version` and where it came from
//! (`Source`, and for `Source: "Repository"` the `Repository` name). Decisions:
//!
//! - Only CRAN packages are packages: OSV's CRAN ecosystem covers CRAN alone. A
//!   repository counts as CRAN when renv calls it by one of the names CRAN snapshots
//!   and mirrors go by (CRAN, RSPM, PPM, P3M, MRAN) or when its URL (recorded in
//!   `Repository` itself or in `R.Repositories`) is a CRAN mirror: an r-project.org
//!   or `cran.*` host, or a `/cran/` path as Posit Package Manager serves it. Early
//!   lockfiles that wrote `Source: "CRAN"` count too.
//! - Bioconductor, GitHub, GitLab, Bitbucket, git, URL, Local and other sources, and
//!   repositories such as r-universe, are skipped with the reason: their packages are
//!   not CRAN's, and a same-named CRAN advisory would be a false alarm.
//! - renv does not record which packages the project uses directly, or for what, so
//!   relationship and dev stay unknown.
//!
//! Lines come from where serde_json found each package key: it lends strings without
//! escapes straight from the document, so their offset is known exactly.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::json_lines::Located;
use super::text::{self, LineIndex};
use super::{ExtractError, Extracted, Extractor, Input};
use crate::model::{EcosystemKind, Location, Package, Skipped};

pub struct RenvLock;

#[derive(Deserialize)]
struct Lockfile<'a> {
    #[serde(rename = "R")]
    r: Option<RSection>,
    #[serde(rename = "Packages", borrow)]
    packages: Option<Packages<'a>>,
}

#[derive(Deserialize)]
struct RSection {
    /// `[{"Name": …, "URL": …}]`; a `{"name": "url"}` map is accepted too.
    #[serde(rename = "Repositories", default)]
    repositories: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RenvPackage {
    package: Option<String>,
    version: Option<String>,
    source: Option<String>,
    repository: Option<String>,
}

/// The names renv gives CRAN, its snapshots and its mirrors.
const CRAN_REPOSITORY_NAMES: &[&str] = &["CRAN", "RSPM", "PPM", "P3M", "MRAN"];

impl Extractor for RenvLock {
    fn id(&self) -> &'static str {
        "r/renv-lock"
    }

    fn wants(&self, path: &Path) -> bool {
        path.file_name().is_some_and(|n| n == "renv.lock")
    }

    fn extract(&self, input: &Input<'_>) -> Result<Extracted, ExtractError> {
        let content = input.text()?;
        if content.trim().is_empty() {
            return Ok(Extracted::default());
        }
        let lock: Lockfile = text::json(input.path, content)?;
        let repository_urls = lock.r.as_ref().map(|r| repository_urls(&r.repositories)).unwrap_or_default();
        let lines = LineIndex::new(content);

        let mut out = Extracted::default();
        for (key, package) in lock.packages.map(|p| p.0).unwrap_or_default() {
            let location = Location::new(input.path, key.line(content, &lines));
            let name = package.package.as_deref().unwrap_or(&key.value);
            let Some(version) = package.version.as_deref().filter(|v| !v.is_empty()) else {
                out.skipped.push(Skipped {
                    location,
                    declaration: declaration(name, None, &package),
                    reason: "no version recorded".into(),
                });
                continue;
            };
            match cran_or_why_not(&package, &repository_urls) {
                Ok(()) => out.packages.push(Package::new(EcosystemKind::Cran, name, version, location)),
                Err(reason) => out.skipped.push(Skipped {
                    location,
                    declaration: declaration(name, Some(version), &package),
                    reason,
                }),
            }
        }
        Ok(out)
    }
}

/// `name version (Source: Repository)` — enough to find the entry and see its origin.
fn declaration(name: &str, version: Option<&str>, package: &RenvPackage) -> String {
    let mut declaration = name.to_string();
    if let Some(version) = version {
        declaration = format!("{declaration} {version}");
    }
    match (package.source.as_deref(), package.repository.as_deref()) {
        (Some(source), Some(repository)) => format!("{declaration} ({source}: {repository})"),
        (Some(origin), None) | (None, Some(origin)) => format!("{declaration} ({origin})"),
        (None, None) => declaration,
    }
}

/// `Ok` for a CRAN package, else why it is not one.
fn cran_or_why_not(package: &RenvPackage, repository_urls: &HashMap<&str, &str>) -> Result<(), String> {
    match (package.source.as_deref(), package.repository.as_deref()) {
        (Some("Repository") | None, Some(repository)) | (Some("CRAN"), Some(repository)) => {
            cran_repository_or_why_not(repository, repository_urls)
        }
        (Some("CRAN"), None) => Ok(()),
        (Some("Repository"), None) => Err("installed from a repository renv did not record".into()),
        (Some("Bioconductor"), _) => Err("Bioconductor package (not CRAN)".into()),
        (Some(source), _) => Err(format!("installed from {source}, not from CRAN")),
        (None, None) => Err("no Source recorded".into()),
    }
}

fn cran_repository_or_why_not(repository: &str, repository_urls: &HashMap<&str, &str>) -> Result<(), String> {
    if CRAN_REPOSITORY_NAMES.iter().any(|name| name.eq_ignore_ascii_case(repository)) {
        return Ok(());
    }
    if repository.contains("://") {
        return if is_cran_mirror(repository) {
            Ok(())
        } else {
            Err(format!("repository {repository} is not a CRAN mirror"))
        };
    }
    match repository_urls.get(repository) {
        Some(url) if is_cran_mirror(url) => Ok(()),
        Some(url) => Err(format!("repository {repository} ({url}) is not a CRAN mirror")),
        None => Err(format!("repository {repository} is not CRAN")),
    }
}

/// CRAN itself and its mirrors (`cloud.r-project.org`, `cran.rstudio.com`,
/// `mran.microsoft.com/snapshot/…`), and Posit Package Manager's CRAN
/// (`packagemanager.posit.co/cran/latest`, `p3m.dev/cran/…`).
fn is_cran_mirror(url: &str) -> bool {
    let url = url.to_ascii_lowercase();
    let without_scheme = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
    let (host, path) = without_scheme.split_once('/').unwrap_or((without_scheme, ""));
    host.ends_with("r-project.org")
        || host.starts_with("cran.")
        || host.starts_with("mran.")
        || path.split('/').any(|segment| segment == "cran")
}

/// Repository name → URL, from either shape renv has written.
fn repository_urls(repositories: &Value) -> HashMap<&str, &str> {
    match repositories {
        Value::Array(list) => {
            list.iter().filter_map(|r| Some((r.get("Name")?.as_str()?, r.get("URL")?.as_str()?))).collect()
        }
        Value::Object(map) => map.iter().filter_map(|(name, url)| Some((name.as_str(), url.as_str()?))).collect(),
        _ => HashMap::new(),
    }
}

/// The `Packages` map as its entries, in file order, each key [`Located`].
struct Packages<'a>(Vec<(Located<'a>, RenvPackage)>);

impl<'de: 'a, 'a> Deserialize<'de> for Packages<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        text::map_entries(deserializer, "a map of packages").map(Packages)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::testing::{extract_fixture, extract_str, skipped, summarize};

    #[test]
    fn renv_1_lock_with_cran_posit_bioconductor_github_local_and_r_universe() {
        let out = extract_fixture(&RenvLock, "inventory/renv/renv-1.0/renv.lock").unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "CRAN|R6|2.5.1|pkg:cran/R6@2.5.1|40|",
                "CRAN|cli|3.6.2|pkg:cran/cli@3.6.2|50|",
                "CRAN|jsonlite|1.8.8|pkg:cran/jsonlite@1.8.8|61|",
                "CRAN|renv|1.0.3|pkg:cran/renv@1.0.3|83|",
                "CRAN|rlang|1.1.3|pkg:cran/rlang@1.1.3|93|",
            ]
        );
        assert_eq!(
            skipped(&out),
            [
                "BiocGenerics 0.48.1 (Bioconductor)|23|Bioconductor package (not CRAN)",
                "mylocalpkg 0.0.0.9000 (Local)|71|installed from Local, not from CRAN",
                "tarchetypes 0.7.12 (Repository: ropensci)|104|\
                 repository ropensci (https://ropensci.r-universe.dev) is not a CRAN mirror",
                "testthat 3.2.1 (GitHub)|115|installed from GitHub, not from CRAN",
            ]
        );
        assert_eq!(out.skipped[0].location.path, "inventory/renv/renv-1.0/renv.lock");
    }

    #[test]
    fn renv_0_x_lock_with_an_mran_snapshot_and_gitlab() {
        let out = extract_fixture(&RenvLock, "inventory/renv/renv-0.x/renv.lock").unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "CRAN|BH|1.72.0-3|pkg:cran/BH@1.72.0-3|16|",
                "CRAN|Rcpp|1.0.4.6|pkg:cran/Rcpp@1.0.4.6|23|",
                "CRAN|digest|0.6.25|pkg:cran/digest@0.6.25|30|",
                "CRAN|renv|0.10.0|pkg:cran/renv@0.10.0|43|",
            ]
        );
        assert_eq!(
            skipped(&out),
            [
                "limma 3.42.2 (Bioconductor)|37|Bioconductor package (not CRAN)",
                "shinyinternal 0.3.0 (GitLab)|50|installed from GitLab, not from CRAN",
            ]
        );
    }

    #[test]
    fn repository_shapes_and_legacy_sources() {
        let lock = r#"{
  "R": {"Version": "4.1.0", "Repositories": {"CRAN": "https://cran.rstudio.com", "corp": "https://r.example.com/internal", "mirror": "https://ppm.example.com/cran/latest"}},
  "Packages": {
    "old": {"Package": "old", "Version": "1.0", "Source": "CRAN"},
    "mirrored": {"Package": "mirrored", "Version": "2.0", "Source": "Repository", "Repository": "mirror"},
    "internal": {"Package": "internal", "Version": "0.1", "Source": "Repository", "Repository": "corp"},
    "bioc_url": {"Package": "bioc_url", "Version": "1.2", "Source": "Repository", "Repository": "https://bioconductor.org/packages/3.16/bioc"},
    "unnamed": {"Package": "unnamed", "Version": "3.0", "Source": "Repository"},
    "bare": {"Package": "bare", "Version": "4.0", "Repository": "CRAN"},
    "nothing": {"Package": "nothing", "Version": "5.0"},
    "unlisted": {"Version": "6.0", "Source": "Repository", "Repository": "elsewhere"},
    "noversion": {"Package": "noversion", "Source": "Repository", "Repository": "CRAN"}
  }
}"#;
        let out = extract_str(&RenvLock, "renv.lock", lock).unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "CRAN|old|1.0|pkg:cran/old@1.0|4|",
                "CRAN|mirrored|2.0|pkg:cran/mirrored@2.0|5|",
                "CRAN|bare|4.0|pkg:cran/bare@4.0|9|",
            ]
        );
        assert_eq!(
            skipped(&out),
            [
                "internal 0.1 (Repository: corp)|6|repository corp (https://r.example.com/internal) is not a CRAN mirror",
                "bioc_url 1.2 (Repository: https://bioconductor.org/packages/3.16/bioc)|7|\
                 repository https://bioconductor.org/packages/3.16/bioc is not a CRAN mirror",
                "unnamed 3.0 (Repository)|8|installed from a repository renv did not record",
                "nothing 5.0|10|no Source recorded",
                "unlisted 6.0 (Repository: elsewhere)|11|repository elsewhere is not CRAN",
                "noversion (Repository: CRAN)|12|no version recorded",
            ]
        );
    }

    #[test]
    fn cran_mirror_urls() {
        for cran in [
            "https://cloud.r-project.org",
            "https://cran.r-project.org/",
            "https://CRAN.rstudio.com",
            "https://packagemanager.posit.co/cran/__linux__/jammy/latest",
            "https://p3m.dev/cran/2024-01-15",
            "https://mran.microsoft.com/snapshot/2020-04-01",
        ] {
            assert!(is_cran_mirror(cran), "{cran}");
        }
        for not_cran in
            ["https://bioconductor.org/packages/3.18/bioc", "https://ropensci.r-universe.dev", "https://craneware.io/r"]
        {
            assert!(!is_cran_mirror(not_cran), "{not_cran}");
        }
    }

    #[test]
    fn package_field_wins_over_the_key_and_escaped_keys_have_no_line() {
        let lock = "{\"Packages\": {\n\"a\\u0062c\": {\"Package\": \"abc\", \"Version\": \"1.0\", \"Repository\": \"CRAN\"},\n\
                    \"key\": {\"Package\": \"Declared\", \"Version\": \"2.0\", \"Repository\": \"CRAN\"},\n\
                    \"fallback\": {\"Version\": \"3.0\", \"Repository\": \"CRAN\"}}}";
        let out = extract_str(&RenvLock, "renv.lock", lock).unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "CRAN|abc|1.0|pkg:cran/abc@1.0|-|",
                "CRAN|Declared|2.0|pkg:cran/Declared@2.0|3|",
                "CRAN|fallback|3.0|pkg:cran/fallback@3.0|4|",
            ]
        );
    }

    #[test]
    fn a_large_lock_is_read_in_one_pass() {
        let entries: Vec<String> = (0..50_000)
            .map(|i| format!("    \"pkg{i}\": {{\n      \"Package\": \"pkg{i}\",\n      \"Version\": \"1.0.{i}\",\n      \"Source\": \"Repository\",\n      \"Repository\": \"CRAN\"\n    }}"))
            .collect();
        let lock = format!("{{\n  \"Packages\": {{\n{}\n  }}\n}}\n", entries.join(",\n"));
        let out = extract_str(&RenvLock, "renv.lock", &lock).unwrap();
        assert_eq!(out.packages.len(), 50_000);
        assert_eq!(summarize(&out.packages[49_999..]), ["CRAN|pkg49999|1.0.49999|pkg:cran/pkg49999@1.0.49999|299997|"]);
    }

    #[test]
    fn wants_only_the_canonical_name() {
        assert!(RenvLock.wants(Path::new("analysis/renv.lock")));
        assert!(!RenvLock.wants(Path::new("renv/activate.R")));
        assert!(!RenvLock.wants(Path::new("renv.lock.bak")));
    }

    #[test]
    fn empty_documents_have_no_packages() {
        for lock in ["", "\n  \n", "{}", "{\"R\": {\"Version\": \"4.3.2\"}, \"Packages\": {}}", "{\"Packages\": null}"]
        {
            assert_eq!(extract_str(&RenvLock, "renv.lock", lock).unwrap(), Extracted::default(), "{lock:?}");
        }
    }

    #[test]
    fn truncated_file_names_the_line() {
        let lock = "{\n  \"Packages\": {\n    \"R6\": {\n      \"Package\": \"R6\",\n      \"Version\": \"2.5";
        let err = extract_str(&RenvLock, "renv.lock", lock).unwrap_err();
        assert_eq!((err.path.as_str(), err.line), ("renv.lock", Some(5)));
        assert!(err.message.starts_with("invalid JSON: EOF while parsing"), "{err}");
    }

    #[test]
    fn wrong_types_are_errors() {
        let cases = [
            ("{\n  \"Packages\": [\"R6\"]\n}", 2, "expected a map of packages"),
            ("{\n  \"Packages\": {\n    \"R6\": {\"Version\": 2.5}\n  }\n}", 3, "expected a string"),
            ("{\n  \"Packages\": {\n    \"R6\": \"2.5.1\"\n  }\n}", 3, "expected struct RenvPackage"),
            ("{\n  \"R\": \"4.3\"\n}", 2, "invalid type: string \"4.3\", expected struct RSection"),
            ("42", 1, "expected struct Lockfile"),
        ];
        for (lock, line, message) in cases {
            let err = extract_str(&RenvLock, "renv.lock", lock).unwrap_err();
            assert_eq!(err.line, Some(line), "{lock:?}: {err}");
            assert!(err.message.contains(message), "{lock:?}: {err}");
        }
    }

    #[test]
    fn binary_junk_and_deep_nesting_are_errors() {
        let err =
            RenvLock.extract(&Input::new(Path::new("renv.lock"), b"{\n\n\"Packages\": \xff\xfe\x00")).unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(extract_str(&RenvLock, "renv.lock", "\u{0}\u{1}\u{2}").is_err());
        let deep = format!("{{\"R\": {{\"Repositories\": {}{}}}}}", "[".repeat(100_000), "]".repeat(100_000));
        let err = extract_str(&RenvLock, "renv.lock", &deep).unwrap_err();
        assert!(err.message.contains("recursion limit"), "{err}");
    }
}
