//! Running `customs registry scan | rematch | report` as the sweep tests do (an isolated
//! home, a cache, a store and the lab's advisories in one scratch folder), and reading
//! the run report's JSON (`customs-registry-run/1`) back into values the tests compare.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{write_advisories, ExpectedImage, FindingKey};

/// Where one test's runs keep their state, and the registry they sweep.
pub struct Sweeper {
    /// The scratch folder: also `HOME`, so nothing of the user's is read.
    pub dir: PathBuf,
    pub cache: PathBuf,
    pub store: PathBuf,
    /// A folder of the lab's OSV records (`--db`).
    pub db: PathBuf,
    /// `host:port` swept (and declared `--insecure-registry`).
    pub registry: String,
}

impl Sweeper {
    /// State under `dir`; the lab's advisories are written to `dir/db`.
    pub fn new(dir: &Path, registry: &str) -> Sweeper {
        let db = dir.join("db");
        write_advisories(&db);
        std::fs::create_dir_all(dir.join("docker-config")).unwrap();
        Sweeper {
            dir: dir.to_path_buf(),
            cache: dir.join("cache"),
            store: dir.join("store.db"),
            db,
            registry: registry.to_string(),
        }
    }

    /// `customs --cache-dir CACHE ARGS…`, isolated from the environment of whoever runs
    /// the tests (no Docker config, no registry credentials, no network settings).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_customs"));
        command
            .arg("--cache-dir")
            .arg(&self.cache)
            .args(args)
            .current_dir(&self.dir)
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .env("HOME", &self.dir)
            .env("DOCKER_CONFIG", self.dir.join("docker-config"))
            .stdin(Stdio::null());
        for name in [
            "CUSTOMS_REGISTRY",
            "CUSTOMS_REGISTRY_USERNAME",
            "CUSTOMS_REGISTRY_PASSWORD",
            "CUSTOMS_NOTIFY_SECRET",
            "CUSTOMS_CATALOG_PAGE_SIZE",
            "CUSTOMS_TRANSFER_TIMEOUT",
            "CUSTOMS_MIN_TRANSFER_RATE",
            "CUSTOMS_MAX_RETRY_AFTER",
            "CUSTOMS_CONNECT_TIMEOUT",
        ] {
            command.env_remove(name);
        }
        command
    }

    /// The arguments of `registry scan` against the swept registry, JSON on stdout,
    /// then `extra`.
    pub fn scan_args<'a>(&'a self, extra: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec!["registry", "scan", &self.registry, "--insecure-registry", &self.registry];
        args.extend(["--store", self.store.to_str().unwrap(), "--db", self.db.to_str().unwrap(), "-f", "json"]);
        args.extend_from_slice(extra);
        args
    }

    /// `registry scan REGISTRY --insecure-registry REGISTRY --store --db -f json EXTRA…`
    pub fn scan(&self, extra: &[&str]) -> Swept {
        Swept::run(self.command(&self.scan_args(extra)))
    }

    /// `registry rematch --store --db -f json EXTRA…`
    pub fn rematch(&self, extra: &[&str]) -> Swept {
        let mut args = vec!["registry", "rematch", "--store", self.store.to_str().unwrap()];
        args.extend(["--db", self.db.to_str().unwrap(), "-f", "json"]);
        args.extend_from_slice(extra);
        Swept::run(self.command(&args))
    }

    /// `registry report --store EXTRA…` (the format is the caller's).
    pub fn report(&self, extra: &[&str]) -> Swept {
        let mut args = vec!["registry", "report", "--store", self.store.to_str().unwrap()];
        args.extend_from_slice(extra);
        Swept::run(self.command(&args))
    }
}

/// One finished run of the binary.
pub struct Swept {
    pub output: Output,
    pub took: Duration,
}

impl Swept {
    pub fn run(mut command: Command) -> Swept {
        let started = Instant::now();
        let output = command.output().expect("customs runs");
        Swept { output, took: started.elapsed() }
    }

    pub fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// Stdout as JSON; panics with stderr when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.output.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}); exit {:?}; stderr:\n{}", self.code(), self.stderr()))
    }

    /// Asserts the exit code, showing stderr when it differs.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Swept {
        assert_eq!(self.code(), Some(code), "exit code; stderr:\n{}", self.stderr());
        self
    }
}

/// `team-a/api` from `127.0.0.1:5000/team-a/api` (a name without a registry stays).
pub fn without_host(repository: &str) -> String {
    match repository.split_once('/') {
        Some((first, rest)) if first.contains(':') || first.contains('.') || first == "localhost" => rest.to_string(),
        _ => repository.to_string(),
    }
}

/// One entry of a report's `images`.
#[derive(Debug, Clone)]
pub struct Reported {
    /// Without the registry.
    pub repo: String,
    pub tags: Vec<String>,
    pub digest: String,
    pub index_digest: Option<String>,
    pub platform: String,
    /// `analysed`, `store` or `stale`.
    pub source: String,
    /// Each finding with its change (`new`, `unchanged`, `stale`).
    pub findings: Vec<(FindingKey, String)>,
    /// `(id, package, version)` of each fixed finding.
    pub fixed: Vec<(String, String, String)>,
}

impl Reported {
    /// As the lab's expectation is written (tags sorted).
    pub fn expected(&self) -> ExpectedImage {
        let mut tags = self.tags.clone();
        tags.sort();
        ExpectedImage {
            repo: self.repo.clone(),
            tags,
            digest: self.digest.clone(),
            index_digest: self.index_digest.clone(),
            platform: self.platform.clone(),
        }
    }

    pub fn keys(&self) -> BTreeSet<FindingKey> {
        self.findings.iter().map(|(key, _)| key.clone()).collect()
    }

    /// The findings whose change is `change`.
    pub fn with_change(&self, change: &str) -> BTreeSet<FindingKey> {
        self.findings.iter().filter(|(_, c)| c == change).map(|(key, _)| key.clone()).collect()
    }
}

fn text(value: &Value, what: &str) -> String {
    value.as_str().unwrap_or_else(|| panic!("{what} is not a string: {value}")).to_string()
}

/// The report's `images`, read.
pub fn reported_images(doc: &Value) -> Vec<Reported> {
    assert_eq!(doc["schema"], "customs-registry-run/1", "schema of {doc}");
    doc["images"]
        .as_array()
        .unwrap_or_else(|| panic!("no images array in {doc}"))
        .iter()
        .map(|image| {
            let findings = image["result"]["findings"].as_array().expect("result.findings");
            let changes = image["changes"].as_array().expect("changes");
            assert_eq!(findings.len(), changes.len(), "one change per finding in {image}");
            let fixed = image["fixed"]
                .as_array()
                .expect("fixed")
                .iter()
                .map(|f| {
                    (
                        text(&f["id"], "fixed.id"),
                        text(&f["package"], "fixed.package"),
                        text(&f["version"], "fixed.version"),
                    )
                })
                .collect();
            Reported {
                repo: without_host(&text(&image["repository"], "repository")),
                tags: image["tags"].as_array().expect("tags").iter().map(|t| text(t, "tag")).collect(),
                digest: text(&image["digest"], "digest"),
                index_digest: image.get("index_digest").filter(|v| !v.is_null()).map(|v| text(v, "index_digest")),
                platform: text(&image["platform"], "platform"),
                source: text(&image["source"], "source"),
                findings: findings
                    .iter()
                    .zip(changes)
                    .map(|(f, c)| (FindingKey::from_json(f), text(c, "change")))
                    .collect(),
                fixed,
            }
        })
        .collect()
}

/// The report's images as the lab writes its expectations, sorted.
pub fn reported_keys(doc: &Value) -> Vec<ExpectedImage> {
    let mut images: Vec<ExpectedImage> = reported_images(doc).iter().map(Reported::expected).collect();
    images.sort();
    images
}

/// One entry of a report's `failures`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReportedFailure {
    pub repo: String,
    pub tag: Option<String>,
    pub reason: String,
    pub message: String,
}

pub fn reported_failures(doc: &Value) -> Vec<ReportedFailure> {
    doc["failures"]
        .as_array()
        .unwrap_or_else(|| panic!("no failures array in {doc}"))
        .iter()
        .map(|f| ReportedFailure {
            repo: without_host(&text(&f["repository"], "failure.repository")),
            tag: f.get("tag").filter(|v| !v.is_null()).map(|v| text(v, "failure.tag")),
            reason: text(&f["reason"], "failure.reason"),
            message: text(&f["message"], "failure.message"),
        })
        .collect()
}

/// `coverage.<field>` as a number.
pub fn coverage(doc: &Value, field: &str) -> u64 {
    doc["coverage"][field].as_u64().unwrap_or_else(|| panic!("coverage.{field} in {}", doc["coverage"]))
}

/// `summary.<field>` as a number.
pub fn summary(doc: &Value, field: &str) -> u64 {
    doc["summary"][field].as_u64().unwrap_or_else(|| panic!("summary.{field} in {}", doc["summary"]))
}
