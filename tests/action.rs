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

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use serde_json::Value;
use sha2::{Digest, Sha256};

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

/// A stand-in for customs: answers `--version` and `--help` as the environment says,
/// records every other call's arguments one call a line (`[arg][arg]…`), writes the
/// report it is asked for, and exits with `$FAKE_EXIT`.
const FAKE_CUSTOMS: &str = r###"#!/usr/bin/env bash
case "$1 ${2:-}" in
  "--version "*) echo "customs 0.1.0"; exit 0 ;;
  "scan --help") printf 'Options:\n'; for f in $FAKE_SCAN_FLAGS; do printf '      %s <X>\n' "$f"; done; exit 0 ;;
  "verify --help")
    [ -n "${FAKE_VERIFY:-}" ] || { echo "error: unrecognized subcommand 'verify'" >&2; exit 2; }
    printf 'Options:\n  -c, --config <FILE>\n'; exit 0 ;;
esac
printf '[%s]' "$@" >>"$FAKE_LOG"; printf '\n' >>"$FAKE_LOG"
[ "$1" = db ] && exit 0
format='' output=''
for arg; do
  case $arg in --format=*) format=${arg#--format=} ;; --output=*) output=${arg#--output=} ;; esac
done
if [ -n "$output" ]; then
  case $format in
    json) cat "$FAKE_JSON" >"$output" ;;
    markdown) echo "## fake summary" >"$output" ;;
    *) echo "fake $format report" >"$output" ;;
  esac
fi
exit "${FAKE_EXIT:-0}"
"###;

/// customs' JSON layout (pretty, two spaces) with counts the Rust fixture lacks, a
/// `summary` key nested elsewhere and severity names deeper in the document, which
/// the counts must not pick up.
const FAKE_JSON: &str = r#"{
  "schema": "customs/1",
  "tool": {
    "name": "customs",
    "summary": {
      "critical": 99
    }
  },
  "summary": {
    "packages": 12,
    "vulnerabilities": 7,
    "by_severity": {
      "high": 1,
      "low": 2,
      "none": 1,
      "unknown": 3
    },
    "informational": 0,
    "uncomparable": 0,
    "suppressed": 5
  },
  "findings": [
    {
      "critical": 42
    }
  ]
}
"#;

struct Fake {
    runner: Runner,
}

impl Fake {
    fn new(scan_flags: &str) -> Fake {
        let mut runner = Runner::new();
        let bin = runner.file("fake bin");
        fs::create_dir(&bin).unwrap();
        fs::write(bin.join("customs"), FAKE_CUSTOMS).unwrap();
        fs::set_permissions(bin.join("customs"), fs::Permissions::from_mode(0o755)).unwrap();
        fs::write(runner.file("fake.json"), FAKE_JSON).unwrap();
        runner.path = format!("{}:/usr/bin:/bin", bin.display());
        runner.workspace = runner.file("workspace");
        fs::create_dir(&runner.workspace).unwrap();
        let (log, json) = (runner.file("calls"), runner.file("fake.json"));
        runner = runner
            .with("FAKE_LOG", log.to_str().unwrap())
            .with("FAKE_JSON", json.to_str().unwrap())
            .with("FAKE_SCAN_FLAGS", scan_flags);
        Fake { runner }
    }

    fn with(mut self, name: &str, value: &str) -> Fake {
        self.runner = self.runner.with(name, value);
        self
    }

    /// The recorded calls, with RUNNER_TEMP shown as `$RUNNER_TEMP` and the script's
    /// random scratch folder as `XXXXXX`.
    fn calls(&self) -> Vec<String> {
        let temp = format!("{}/customs-action.", self.runner.file("temp").display());
        let log = fs::read_to_string(self.runner.file("calls")).unwrap_or_default();
        log.lines()
            .map(|line| match line.find(&temp) {
                Some(at) => {
                    format!("{}$RUNNER_TEMP/customs-action.XXXXXX{}", &line[..at], &line[at + temp.len() + 6..])
                }
                None => line.to_string(),
            })
            .collect()
    }
}

#[test]
fn flags_this_customs_lacks_are_skipped_with_a_warning() {
    let fake = Fake::new("")
        .with("INPUT_TARGET", "my app")
        .with("INPUT_FAIL_ON", "high")
        .with("INPUT_POLICY", "customs.yaml")
        .with("INPUT_IGNORE_FILE", ".customs-ignore.yaml")
        .with("INPUT_DB_MIRROR", "https://mirror.example/osv");
    let out = fake.runner.run("run.sh");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        fake.calls(),
        [
            "[db][update][--mirror=https://mirror.example/osv]",
            "[scan][--fail-on=high][--format=sarif][--output=customs-report.sarif][--][my app]",
            "[--quiet][scan][--fail-on=high][--format=json][--output=$RUNNER_TEMP/customs-action.XXXXXX/report.json][--][my app]",
            "[--quiet][scan][--fail-on=high][--format=markdown][--output=$RUNNER_TEMP/customs-action.XXXXXX/summary.md][--][my app]",
        ]
    );
    let stdout = text(&out.stdout);
    assert!(stdout.contains(
        "::warning title=customs::customs 0.1.0 has no --ignore-file yet: .customs-ignore.yaml is not applied, so every finding is reported\n"
    ), "{stdout}");
    assert!(stdout.contains(
        "::notice title=customs::customs 0.1.0 does not read a policy file yet (--config): customs.yaml is ignored\n"
    ));
    // Counts from the JSON's top-level summary only; `none` is in the total alone.
    assert_eq!(fake.runner.outputs(), counts("customs-report.sarif", "0", ["0", "1", "0", "2", "3", "7"]));
    assert_eq!(fake.runner.summary(), "## fake summary\n");
}

#[test]
fn flags_this_customs_has_are_passed_for_images_offline() {
    let fake = Fake::new("--image --config --ignore-file")
        .with("INPUT_SCAN_TYPE", "image")
        .with("INPUT_TARGET", "registry.example/team/app:1.0")
        .with("INPUT_FORMAT", "json")
        .with("INPUT_OFFLINE", "true")
        .with("INPUT_DB_MIRROR", "file:///srv/osv mirror")
        .with("INPUT_POLICY", "ci/customs.yaml")
        .with("INPUT_IGNORE_FILE", ".customs-ignore.yaml")
        .with("FAKE_EXIT", "1");
    let out = fake.runner.run("run.sh");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let flags = "[--offline][--db=/srv/osv mirror][--ignore-file=.customs-ignore.yaml][--config=ci/customs.yaml]";
    assert_eq!(
        fake.calls(),
        [
            format!("[scan]{flags}[--format=json][--output=customs-report.json][--image=registry.example/team/app:1.0]"),
            format!("[--quiet][scan]{flags}[--format=markdown][--output=$RUNNER_TEMP/customs-action.XXXXXX/summary.md][--image=registry.example/team/app:1.0]"),
        ],
        "offline: no db update, the local mirror is the --db; the JSON report is not scanned twice"
    );
    assert_eq!(fake.runner.outputs()["exit-code"], "1");
}

#[test]
fn sbom_targets_and_an_offline_url_mirror() {
    let fake = Fake::new("")
        .with("INPUT_SCAN_TYPE", "sbom")
        .with("INPUT_TARGET", "-bom.cdx.json")
        .with("INPUT_FORMAT", "table")
        .with("INPUT_OFFLINE", "true")
        .with("INPUT_DB_MIRROR", "https://mirror.example/osv");
    let out = fake.runner.run("run.sh");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(fake.calls()[0], "[scan][--offline][--format=table][--output=customs-report.txt][--sbom=-bom.cdx.json]");
    assert!(text(&out.stdout).contains(
        "::warning title=customs::offline: the db-mirror URL is not contacted; the scan uses the cached database\n"
    ));
}

#[test]
fn verify_runs_only_when_this_customs_can_verify() {
    let without = Fake::new("").with("INPUT_SCAN_TYPE", "verify").with("INPUT_TARGET", "ghcr.io/acme/app:1");
    let out = without.runner.run("run.sh");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).contains(
        "::error title=customs::scan-type verify needs signature verification (customs verify), which customs 0.1.0 does not have yet; use fs, image or sbom\n"
    ));
    assert_eq!(without.calls(), Vec::<String>::new(), "nothing ran");

    let with = Fake::new("")
        .with("INPUT_SCAN_TYPE", "verify")
        .with("INPUT_TARGET", "ghcr.io/acme/app:1")
        .with("INPUT_POLICY", "customs.yaml")
        .with("FAKE_VERIFY", "1")
        .with("FAKE_EXIT", "1");
    let out = with.runner.run("run.sh");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(with.calls(), ["[verify][--config=customs.yaml][--][ghcr.io/acme/app:1]"], "no db update for verify");
    assert_eq!(with.runner.outputs(), counts("", "1", [""; 6]));
    assert_eq!(with.runner.summary(), "## customs verify\n\n`ghcr.io/acme/app:1`: exit code 1\n");

    let crash = Fake::new("").with("INPUT_SCAN_TYPE", "verify").with("FAKE_VERIFY", "1").with("FAKE_EXIT", "101");
    assert_eq!(crash.runner.run("run.sh").status.code(), Some(2));
    assert_eq!(crash.runner.outputs()["exit-code"], "2");
}

#[test]
fn image_scans_need_a_customs_that_scans_images() {
    let fake = Fake::new("--config").with("INPUT_SCAN_TYPE", "image").with("INPUT_TARGET", "debian:12");
    let out = fake.runner.run("run.sh");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).contains(
        "::error title=customs::scan-type image needs image scanning (customs scan --image), which customs 0.1.0 does not have yet\n"
    ));
}

#[test]
fn a_crash_is_exit_2_and_a_newline_in_a_path_cannot_forge_outputs() {
    let fake = Fake::new("").with("FAKE_EXIT", "101").with("INPUT_OUTPUT", "odd\nexit-code<<EOF\n0\nEOF\n.sarif");
    let out = fake.runner.run("run.sh");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).contains("::error title=customs::customs exited with 101\n"));
    let outputs = fake.runner.outputs();
    assert_eq!(outputs["exit-code"], "2");
    assert_eq!(outputs["report"], "odd\nexit-code<<EOF\n0\nEOF\n.sarif");
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn install_uses_customs_from_path_else_asks_for_a_build() {
    let runner = Runner::new();
    let out = runner.run("install.sh");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(runner.outputs(), outputs(&[("build", "false")]));
    assert!(text(&out.stdout).starts_with("customs action: using customs 0.1.0 at "));

    let mut bare = Runner::new();
    bare.path = "/usr/bin:/bin".into();
    let out = bare.run("install.sh");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lock_hash = sha256_hex(&fs::read(crate_dir().join("Cargo.lock")).unwrap());
    assert_eq!(bare.outputs(), outputs(&[("build", "true"), ("lock-hash", &lock_hash)]));
    assert_eq!(fs::read_to_string(bare.file("path")).unwrap(), "", "nothing added to PATH yet");
}

/// A release folder in the expected layout, holding a stand-in binary of version 9.9.9.
fn release(runner: &Runner, checksum: Option<&str>) -> String {
    let root = runner.file("releases");
    let staging = runner.file("staging/customs-9.9.9");
    fs::create_dir_all(&staging).unwrap();
    fs::write(staging.join("customs"), "#!/bin/sh\necho customs 9.9.9\n").unwrap();
    fs::set_permissions(staging.join("customs"), fs::Permissions::from_mode(0o755)).unwrap();
    let dir = root.join("v9.9.9");
    fs::create_dir_all(&dir).unwrap();
    let asset = dir.join("customs-9.9.9-x86_64-unknown-linux-gnu.tar.gz");
    let status = Command::new("tar")
        .arg("-czf")
        .arg(&asset)
        .arg("-C")
        .arg(runner.file("staging"))
        .arg("customs-9.9.9")
        .status()
        .unwrap();
    assert!(status.success());
    let digest = checksum.map(str::to_string).unwrap_or_else(|| sha256_hex(&fs::read(&asset).unwrap()));
    fs::write(
        dir.join("customs-9.9.9-x86_64-unknown-linux-gnu.tar.gz.sha256"),
        format!("{digest}  customs-9.9.9-x86_64-unknown-linux-gnu.tar.gz\n"),
    )
    .unwrap();
    format!("file://{}", root.display().to_string().replace(' ', "%20"))
}

#[test]
fn install_downloads_a_released_version_and_checks_its_checksum() {
    // The customs on PATH is 0.1.0, not the requested version: download.
    let runner = Runner::new();
    let url = release(&runner, None);
    let runner = runner.with("INPUT_VERSION", "v9.9.9").with("CUSTOMS_RELEASE_URL", &url);
    let out = runner.run("install.sh");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(runner.outputs(), outputs(&[("build", "false")]));
    let bin = runner.file("temp/customs-9.9.9/unpacked/customs-9.9.9");
    assert_eq!(fs::read_to_string(runner.file("path")).unwrap(), format!("{}\n", bin.display()));
    let version = Command::new(bin.join("customs")).output().unwrap();
    assert_eq!(text(&version.stdout), "customs 9.9.9\n");

    let tampered = Runner::new();
    let url = release(&tampered, Some(&"0".repeat(64)));
    let tampered = tampered.with("INPUT_VERSION", "9.9.9").with("CUSTOMS_RELEASE_URL", &url);
    let out = tampered.run("install.sh");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).contains("does not match its published SHA-256 (expected 0000"), "{}", text(&out.stdout));
    assert_eq!(fs::read_to_string(tampered.file("path")).unwrap(), "", "a binary that fails its checksum is not used");
    assert_eq!(tampered.outputs(), BTreeMap::new());

    let missing = Runner::new().with("INPUT_VERSION", "9.9.8").with("CUSTOMS_RELEASE_URL", &url);
    let out = missing.run("install.sh");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).contains("cannot download customs 9.9.8 (customs-9.9.8-x86_64-unknown-linux-gnu.tar.gz)"));
}

/// The `${{ … }}` expressions in a text.
fn expressions(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        let Some(len) = rest[start..].find("}}") else { break };
        out.push(&rest[start + 3..start + len]);
        rest = &rest[start + len + 2..];
    }
    out
}

/// The names after `prefix` (e.g. `inputs.`) in an expression: `inputs.fail-on` → `fail-on`.
fn references<'a>(expression: &'a str, prefix: &str) -> Vec<&'a str> {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    expression
        .match_indices(prefix)
        .filter(|(at, _)| !expression[..*at].ends_with(|c: char| is_name(c) || c == '.'))
        .map(|(at, _)| {
            let rest = &expression[at + prefix.len()..];
            &rest[..rest.find(|c| !is_name(c)).unwrap_or(rest.len())]
        })
        .filter(|name| !name.is_empty())
        .collect()
}

/// `INPUT_…` variable names a script reads.
fn input_variables(script: &str) -> BTreeSet<String> {
    script
        .match_indices("INPUT_")
        .map(|(at, _)| {
            let rest = &script[at..];
            rest[..rest
                .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
                .unwrap_or(rest.len())]
                .to_string()
        })
        .filter(|name| name.len() > "INPUT_".len())
        .collect()
}

/// A version pin: `owner/repo@v4` or a commit, not a branch.
fn pinned(uses: &str) -> bool {
    uses.rsplit_once('@').is_some_and(|(_, at)| !at.is_empty() && !["main", "master", "HEAD", "latest"].contains(&at))
}

fn keys(value: &Value) -> Vec<&str> {
    value.as_object().map(|m| m.keys().map(String::as_str).collect()).unwrap_or_default()
}

/// Every way an action.yml breaks the action metadata rules, given the scripts
/// (`action/NAME` → text) its steps run.
fn metadata_violations(yaml: &str, scripts: &BTreeMap<String, String>) -> Vec<String> {
    let doc: Value = serde_yaml_ng::from_str(yaml).expect("action.yml is YAML");
    let mut out = Vec::new();
    for key in ["name", "description"] {
        if doc[key].as_str().is_none_or(|s| s.trim().is_empty()) {
            out.push(format!("no {key}"));
        }
    }
    if doc["runs"]["using"] != "composite" {
        out.push(format!("runs.using is {}, not composite", doc["runs"]["using"]));
    }
    let inputs = keys(&doc["inputs"]);
    for name in &inputs {
        if doc["inputs"][name]["description"].as_str().is_none_or(|s| s.trim().is_empty()) {
            out.push(format!("input {name} has no description"));
        }
    }
    let steps = doc["runs"]["steps"].as_array().cloned().unwrap_or_default();
    let ids: Vec<&str> = steps.iter().filter_map(|s| s["id"].as_str()).collect();
    for (i, step) in steps.iter().enumerate() {
        let label = step["id"].as_str().map(str::to_string).unwrap_or_else(|| format!("#{}", i + 1));
        match (step["run"].as_str(), step["uses"].as_str()) {
            (Some(run), None) => {
                if step["shell"].is_null() {
                    out.push(format!("step {label} runs without a shell"));
                }
                for (name, script) in scripts.iter().filter(|(name, _)| run.contains(&format!("action/{name}"))) {
                    let passed: BTreeSet<String> = keys(&step["env"])
                        .into_iter()
                        .filter(|k| k.starts_with("INPUT_"))
                        .map(str::to_string)
                        .collect();
                    let read = input_variables(script);
                    for missing in read.difference(&passed) {
                        out.push(format!("step {label}: {name} reads {missing}, which the step does not pass"));
                    }
                    for unread in passed.difference(&read) {
                        out.push(format!("step {label} passes {unread}, which {name} never reads"));
                    }
                    for variable in &passed {
                        let input = variable["INPUT_".len()..].to_ascii_lowercase().replace('_', "-");
                        if step["env"][variable] != format!("${{{{ inputs.{input} }}}}") {
                            out.push(format!("step {label}: {variable} is not ${{{{ inputs.{input} }}}}"));
                        }
                    }
                }
            }
            (None, Some(uses)) if !pinned(uses) => {
                out.push(format!("step {label} uses {uses} without pinning a version"))
            }
            (None, Some(_)) => {}
            _ => out.push(format!("step {label} needs exactly one of run and uses")),
        }
    }
    for name in keys(&doc["outputs"]) {
        match doc["outputs"][name]["value"].as_str() {
            None => out.push(format!("output {name} has no value")),
            Some(value) => {
                let from: Vec<&str> = expressions(value).into_iter().flat_map(|e| references(e, "steps.")).collect();
                if from.is_empty() {
                    out.push(format!("output {name} does not come from a step"));
                }
                for id in from.iter().filter(|id| !ids.contains(id)) {
                    out.push(format!("output {name} refers to step {id}, which does not exist"));
                }
            }
        }
    }
    // `if:` conditions are expressions without the `${{ }}`.
    let conditions = steps.iter().filter_map(|s| s["if"].as_str()).filter(|c| !c.contains("${{"));
    let all: Vec<&str> = expressions(yaml).into_iter().chain(conditions).collect();
    let used: BTreeSet<&str> = all.iter().flat_map(|e| references(e, "inputs.")).collect();
    for name in used.iter().filter(|name| !inputs.contains(name)) {
        out.push(format!("inputs.{name} is used but not declared"));
    }
    for name in inputs.iter().filter(|name| !used.contains(*name)) {
        out.push(format!("input {name} is declared but never used"));
    }
    for id in all.iter().flat_map(|e| references(e, "steps.")).filter(|id| !ids.contains(id)) {
        out.push(format!("steps.{id} does not exist"));
    }
    out
}

fn action_scripts() -> BTreeMap<String, String> {
    fs::read_dir(crate_dir().join("action"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sh"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), fs::read_to_string(&p).unwrap()))
        .collect()
}

#[test]
fn action_yml_follows_the_metadata_rules() {
    let yaml = fs::read_to_string(crate_dir().join("action.yml")).unwrap();
    assert_eq!(metadata_violations(&yaml, &action_scripts()), Vec::<String>::new());
    let doc: Value = serde_yaml_ng::from_str(&yaml).unwrap();
    assert_eq!(
        keys(&doc["outputs"]),
        ["critical", "exit-code", "high", "low", "medium", "report", "total", "unknown"],
        "the outputs run.sh writes"
    );
    let cache_keys: Vec<&str> = doc["runs"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["uses"] == "actions/cache@v4")
        .map(|s| s["with"]["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        cache_keys,
        [
            "customs-build-${{ runner.os }}-${{ steps.install.outputs.lock-hash }}",
            "customs-db-${{ steps.date.outputs.date }}"
        ]
    );
}

#[test]
fn the_action_doc_names_every_input_and_output() {
    let action: Value = serde_yaml_ng::from_str(&fs::read_to_string(crate_dir().join("action.yml")).unwrap()).unwrap();
    let doc = fs::read_to_string(crate_dir().join("docs/github-action.md")).unwrap();
    for name in keys(&action["inputs"]).into_iter().chain(keys(&action["outputs"])) {
        assert!(doc.contains(&format!("`{name}` |")) || doc.contains(&format!("`{name}`, ")), "{name} is undocumented");
    }
}

#[test]
fn the_metadata_check_itself_finds_each_kind_of_violation() {
    let broken = r#"
name: broken
runs:
  using: node20
  steps:
    - id: a
      run: bash "$GITHUB_ACTION_PATH/action/run.sh" ${{ inputs.missing }}
      env:
        INPUT_FORMAT: ${{ inputs.format }}
        INPUT_EXTRA: ${{ inputs.x }}
    - uses: actions/cache@main
      if: steps.ghost.outputs.build == 'true'
    - id: c
      uses: actions/checkout
inputs:
  x: {default: '1'}
  format: {description: the format}
  spare: {description: never used}
outputs:
  o: {description: d, value: '${{ steps.nope.outputs.o }}'}
  p: {description: d}
  q: {description: d, value: constant}
"#;
    let scripts: BTreeMap<String, String> =
        [("run.sh".to_string(), "echo \"$INPUT_FORMAT\" \"$INPUT_TARGET\"".to_string())].into_iter().collect();
    let mut found = metadata_violations(broken, &scripts);
    found.sort();
    let mut expected = vec![
        "no description",
        "runs.using is \"node20\", not composite",
        "input x has no description",
        "step a: run.sh reads INPUT_TARGET, which the step does not pass",
        "step a passes INPUT_EXTRA, which run.sh never reads",
        "step a: INPUT_EXTRA is not ${{ inputs.extra }}",
        "step a runs without a shell",
        "step #2 uses actions/cache@main without pinning a version",
        "step c uses actions/checkout without pinning a version",
        "output o refers to step nope, which does not exist",
        "output p has no value",
        "output q does not come from a step",
        "inputs.missing is used but not declared",
        "input spare is declared but never used",
        "steps.nope does not exist",
        "steps.ghost does not exist",
    ];
    expected.sort();
    assert_eq!(found, expected);
}

/// The documented workflows: every action pinned, this action given only inputs it
/// has, SARIF uploads allowed to write security events.
#[test]
fn documented_workflows_use_the_action_as_it_is() {
    let action: Value = serde_yaml_ng::from_str(&fs::read_to_string(crate_dir().join("action.yml")).unwrap()).unwrap();
    let inputs = keys(&action["inputs"]);
    let dir = crate_dir().join("docs/workflows");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert_eq!(files.len(), 3, "{files:?}");
    let mut scans = 0;
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy();
        let doc: Value = serde_yaml_ng::from_str(&fs::read_to_string(file).unwrap()).unwrap();
        assert!(doc["on"].is_object(), "{name}: no triggers");
        for (job_name, job) in doc["jobs"].as_object().unwrap_or_else(|| panic!("{name}: no jobs")) {
            let can_upload =
                job["permissions"]["security-events"] == "write" || doc["permissions"]["security-events"] == "write";
            for step in job["steps"].as_array().unwrap() {
                let Some(uses) = step["uses"].as_str() else { continue };
                assert!(pinned(uses), "{name} {job_name}: {uses} is not pinned");
                if uses.starts_with("github/codeql-action/upload-sarif@") {
                    assert!(can_upload, "{name} {job_name}: upload-sarif needs security-events: write");
                    assert_eq!(uses, "github/codeql-action/upload-sarif@v3");
                }
                if uses.split('@').next().unwrap().ends_with("/customs") {
                    scans += 1;
                    for key in keys(&step["with"]) {
                        assert!(inputs.contains(&key), "{name} {job_name}: the action has no input {key}");
                    }
                }
            }
        }
    }
    assert!(scans >= 3, "each workflow runs the action");
}
