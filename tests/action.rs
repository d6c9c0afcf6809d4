//! The GitHub Action: `action/run.sh` and `action/install.sh` run the way a runner runs
//! them (its files and variables, the step's `INPUT_*` variables, a bare `PATH` with
//! the binary under test first), offline against `../shared/osv`; and `action.yml`
//! and the documented workflows checked against the action metadata rules.
//!
//! Two kinds of `customs` sit on that PATH: the real one built for this test run, for
//! the end-to-end outcomes, and a stand-in script that records its arguments, for how
//! the scripts call customs (flags that only some versions have, quoting, exit codes
//! outside 0–2) without depending on which features the binary has today.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use serde_json::Value;

/// One compiled copy of the mirror for every test here (keyed by the files' sizes and times).
fn shared_cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("action-test-cache")
}

fn osv() -> String {
    shared().join("osv").display().to_string()
}

/// The directory of the customs built for this test run.
fn real_bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_customs")).parent().unwrap().to_path_buf()
}

/// A runner's files for one step: `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, `GITHUB_PATH`
/// and `RUNNER_TEMP`, all under a folder whose name has a space in it.
struct Runner {
    dir: tempfile::TempDir,
    workspace: PathBuf,
    cache: PathBuf,
    path: String,
    env: Vec<(String, String)>,
}

impl Runner {
    fn new() -> Runner {
        let dir = tempfile::Builder::new().prefix("customs runner ").tempdir().unwrap();
        fs::create_dir(dir.path().join("temp")).unwrap();
        for file in ["output", "summary", "path"] {
            fs::write(dir.path().join(file), "").unwrap();
        }
        Runner {
            dir,
            workspace: crate_dir(),
            cache: shared_cache(),
            path: format!("{}:/usr/bin:/bin", real_bin_dir().display()),
            env: Vec::new(),
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Offline against `../shared/osv`, the way most tests here scan.
    fn offline(mut self) -> Runner {
        self.env.push(("INPUT_OFFLINE".into(), "true".into()));
        self.env.push(("INPUT_DB_MIRROR".into(), osv()));
        self
    }

    fn with(mut self, name: &str, value: &str) -> Runner {
        self.env.push((name.into(), value.into()));
        self
    }

    fn run(&self, script: &str) -> Output {
        Command::new("bash")
            .arg(crate_dir().join("action").join(script))
            .env_clear()
            .env("PATH", &self.path)
            .env("HOME", self.dir.path())
            .env("GITHUB_OUTPUT", self.file("output"))
            .env("GITHUB_STEP_SUMMARY", self.file("summary"))
            .env("GITHUB_PATH", self.file("path"))
            .env("GITHUB_WORKSPACE", &self.workspace)
            .env("GITHUB_ACTION_PATH", crate_dir())
            .env("RUNNER_TEMP", self.file("temp"))
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("CUSTOMS_CACHE_DIR", &self.cache)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&self.workspace)
            .output()
            .expect("bash runs")
    }

    /// `$GITHUB_OUTPUT`, read strictly: every output in the heredoc form.
    fn outputs(&self) -> BTreeMap<String, String> {
        parse_outputs(&fs::read_to_string(self.file("output")).unwrap())
    }

    fn summary(&self) -> String {
        fs::read_to_string(self.file("summary")).unwrap()
    }

    /// What the script left in RUNNER_TEMP (it cleans up after itself).
    fn temp_entries(&self) -> Vec<String> {
        fs::read_dir(self.file("temp"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }
}

fn parse_outputs(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let (name, delimiter) = line.split_once("<<").unwrap_or_else(|| panic!("not a heredoc output: {line:?}"));
        let mut value = Vec::new();
        for line in lines.by_ref() {
            if line == delimiter {
                break;
            }
            value.push(line);
        }
        assert!(out.insert(name.to_string(), value.join("\n")).is_none(), "{name} written twice");
    }
    out
}

fn outputs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn counts(
    report: &str,
    exit: &str,
    [critical, high, medium, low, unknown, total]: [&str; 6],
) -> BTreeMap<String, String> {
    outputs(&[
        ("report", report),
        ("exit-code", exit),
        ("critical", critical),
        ("high", high),
        ("medium", medium),
        ("low", low),
        ("unknown", unknown),
        ("total", total),
    ])
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn vulnerable_lockfile_exits_1_with_counts_summary_and_valid_sarif() {
    let runner = Runner::new().offline();
    let report = runner.file("reports/customs.sarif");
    let runner = runner.with("INPUT_TARGET", "fixtures/scan/rust").with("INPUT_OUTPUT", report.to_str().unwrap());
    let out = runner.run("run.sh");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));

    assert_eq!(runner.outputs(), counts(report.to_str().unwrap(), "1", ["4", "0", "2", "0", "0", "6"]));
    assert!(text(&out.stdout)
        .contains("customs action: 6 vulnerabilities (critical 4, high 0, medium 2, low 0, unknown 0); report "));

    let summary = runner.summary();
    assert!(summary.starts_with("## customs scan\n\nScanned `fixtures/scan/rust`: **5** packages."), "{summary}");
    assert!(summary.contains("| critical | 4 |\n| medium | 2 |\n"), "{summary}");
    assert!(summary.contains("| critical | RUSTSEC-2019-0009 | smallvec | 0.6.9 | 0.6.10 | `Cargo.lock:29` |"));
    assert!(summary.contains("2 informational advisories"), "{summary}");

    let sarif: Value = serde_json::from_str(&fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(schema_errors("sarif-schema-2.1.0.json", &sarif), Vec::<String>::new());
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 6 + 2, "6 vulnerabilities and 2 informational advisories");
    assert_eq!(sarif["runs"][0]["automationDetails"]["id"], "customs/fs:fixtures-scan-rust/");
    assert_eq!(runner.temp_entries(), Vec::<String>::new(), "the script's scratch folder is removed");
}

#[test]
fn clean_target_with_spaces_exits_0_with_zero_counts_and_a_json_report() {
    let mut runner = Runner::new().offline().with("INPUT_TARGET", "clean app").with("INPUT_FORMAT", "json");
    runner.workspace = runner.file("my repo");
    fs::create_dir_all(runner.workspace.join("clean app")).unwrap();
    fs::copy(fixtures().join("action/clean/Cargo.lock"), runner.workspace.join("clean app/Cargo.lock")).unwrap();
    let out = runner.run("run.sh");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    assert_eq!(runner.outputs(), counts("customs-report.json", "0", ["0"; 6]));
    let doc: Value = serde_json::from_str(&fs::read_to_string(runner.workspace.join("customs-report.json")).unwrap())
        .expect("the report is the requested JSON, in the workspace");
    assert_eq!(doc["targets"], serde_json::json!(["clean app"]));
    assert_eq!(doc["summary"]["packages"], 2);
    assert!(runner.summary().contains("No known vulnerabilities."), "{}", runner.summary());
}

#[test]
fn missing_target_exits_2_with_the_error_and_empty_counts() {
    let runner = Runner::new().offline();
    // A report left by an earlier run must not pass for this run's.
    let stale = runner.file("stale.sarif");
    fs::write(&stale, "{}").unwrap();
    let runner = runner.with("INPUT_TARGET", "no such dir").with("INPUT_OUTPUT", stale.to_str().unwrap());
    let out = runner.run("run.sh");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(runner.outputs(), counts("", "2", [""; 6]), "no report, so no counts (not zeros)");
    assert!(!stale.exists());
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("::error title=customs::cannot scan no such dir: No such file or directory (os error 2)\n"),
        "{stdout}"
    );
    assert!(text(&out.stderr).contains("error: cannot scan no such dir"));
    assert!(runner.summary().contains("No report: customs could not scan `no such dir` (exit code 2)."));
}

#[test]
fn malformed_lockfile_exits_2_but_the_report_and_counts_are_written() {
    let runner = Runner::new().offline();
    let report = runner.file("broken.md");
    let runner = runner
        .with("INPUT_TARGET", "fixtures/action/broken")
        .with("INPUT_FORMAT", "markdown")
        .with("INPUT_OUTPUT", report.to_str().unwrap());
    let out = runner.run("run.sh");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(runner.outputs(), counts(report.to_str().unwrap(), "2", ["0"; 6]));
    assert!(text(&out.stdout).contains("::error title=customs::Cargo.lock:4: invalid TOML"), "{}", text(&out.stdout));
    // The Markdown report is the summary too: written once.
    assert_eq!(runner.summary(), fs::read_to_string(&report).unwrap());
}

#[test]
fn online_mode_updates_the_cached_database_from_the_mirror_first() {
    let cache = tempfile::tempdir().unwrap();
    let mut runner = Runner::new().with("INPUT_DB_MIRROR", &osv()).with("INPUT_TARGET", "fixtures/scan/rust");
    runner.cache = cache.path().to_path_buf();
    let report = runner.file("report.sarif");
    let runner = runner.with("INPUT_OUTPUT", report.to_str().unwrap());
    let out = runner.run("run.sh");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(runner.outputs()["critical"], "4");
    assert!(text(&out.stderr).contains("customs: database has"), "db update ran: {}", text(&out.stderr));
    assert!(cache.path().join("db/customs.db").is_file(), "the scan used the updated default database");
}

#[test]
fn invalid_inputs_exit_2_before_scanning() {
    for (name, value, message) in [
        ("INPUT_FORMAT", "xml", "format must be table, json, sarif or markdown, not \"xml\""),
        ("INPUT_SCAN_TYPE", "container", "scan-type must be fs, image, sbom or verify, not \"container\""),
        ("INPUT_OFFLINE", "yes", "offline must be true or false, not \"yes\""),
    ] {
        let runner = Runner::new().with(name, value);
        let out = runner.run("run.sh");
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert_eq!(text(&out.stdout), format!("::error title=customs::{message}\n"));
        assert_eq!(runner.outputs(), counts("", "2", [""; 6]), "{name}");
        assert_eq!(runner.summary(), format!("## customs\n\nThe scan did not run: {message}\n"));
    }
}

#[test]
fn an_unexpected_failure_in_the_script_still_writes_the_outputs() {
    let runner = Runner::new().offline().with("RUNNER_TEMP", "/nonexistent/runner temp");
    let out = runner.run("run.sh");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).contains("::error title=customs::the customs action stopped unexpectedly (status 1)"));
    assert_eq!(runner.outputs(), counts("", "2", [""; 6]));
}

#[path = "action/fake.rs"]
mod fake;
#[path = "action/install.rs"]
mod install;
#[path = "action/metadata.rs"]
mod metadata;
