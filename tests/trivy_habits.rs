//! Trivy's and osv-scanner's habits through the `customs` binary (issue #12, part 3):
//! `--severity`, `--exit-code`, `-f JSON`, `--fail-on` lists and `--unrated`, the line
//! saying what tripped the gate, `CUSTOMS_*` variables for every flag, shell
//! completions, registry login flags bound to the scanned registry, and `.trivyignore`
//! / `osv-scanner.toml` as ignore files.

mod common;
mod support_registry;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use common::*;
use support_registry::fake::{basic, basic_challenge, scan_beside_an_attacker, serve_tiny, FakeRegistry, Reply};
use support_registry::{TinyImage, OCI_MANIFEST, PASSWORD, USER};

fn cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("trivy-habits-cache")
}

/// customs in `dir` with none of the tester's `CUSTOMS_*` settings.
fn customs_in(dir: &Path) -> Command {
    let mut command = customs();
    command.current_dir(dir).env("DOCKER_CONFIG", dir.join("docker-config")).env("HOME", dir);
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("CUSTOMS_")) {
        command.env_remove(name);
    }
    command
}

/// `customs scan --db <shared OSV> ARGS` in `dir`, with `env` set.
fn scan(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let osv = shared().join("osv");
    let mut command = customs_in(dir);
    command.args([
        "--cache-dir",
        cache().to_str().unwrap(),
        "scan",
        "--db",
        osv.to_str().unwrap(),
        "--max-db-age",
        "0",
    ]);
    command.args(args).envs(env.iter().copied());
    command.output().expect("customs runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The line that says what the gate decided.
fn gate_line(out: &Output) -> String {
    let err = stderr(out);
    err.lines()
        .filter(|l| {
            l.starts_with("customs: failing")
                || l.starts_with("customs: passing")
                || l.starts_with("customs: not failing")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A folder with a copy of one of `fixtures/scan/`'s projects.
fn project(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in fs::read_dir(fixtures().join("scan").join(name)).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    dir
}

const RUST_GATE: &str = "customs: failing (exit 1): 6 findings at any severity: 4 critical, 2 medium";

#[test]
fn severity_filters_what_is_reported_counted_and_gated() {
    let rust = project("rust");
    let all = scan(rust.path(), &["-f", "json"], &[]);
    assert_eq!(all.status.code(), Some(1));
    assert_eq!(gate_line(&all), RUST_GATE);

    let out = scan(rust.path(), &["-f", "json", "--severity", "CRITICAL"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc = stdout_json(&out);
    let ratings: Vec<&str> =
        doc["findings"].as_array().unwrap().iter().map(|f| f["severity"]["rating"].as_str().unwrap()).collect();
    assert_eq!(ratings, ["critical"; 4]);
    assert_eq!(doc["summary"]["vulnerabilities"], 4);
    assert_eq!(doc["summary"]["by_severity"], serde_json::json!({"critical": 4}));
    assert_eq!(doc["summary"]["informational"], 0, "the unrated unsound notices are filtered out too");
    assert_eq!(gate_line(&out), "customs: failing (exit 1): 4 findings at any severity: 4 critical");

    // Filtered out: not reported, so it does not gate.
    let out = scan(rust.path(), &["-s", "low,medium"], &[("CUSTOMS_FAIL_ON", "critical")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(gate_line(&out), "customs: passing: 2 findings below the gate (at or above critical): 2 medium");
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 vulnerabilities in 5 packages (2 medium)"));

    let bad = scan(rust.path(), &["--severity", "HIGH,severe"], &[]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains(
            "invalid value 'HIGH,severe' for '--severity <LIST>': unknown severity \"severe\": use unknown, none, low, medium, high or critical"
        ),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn exit_code_is_the_code_of_a_tripped_gate_and_errors_stay_2() {
    let rust = project("rust");
    let zero = scan(rust.path(), &["--exit-code", "0"], &[]);
    assert_eq!(zero.status.code(), Some(0));
    assert_eq!(
        gate_line(&zero),
        "customs: not failing (--exit-code 0): 6 findings at any severity: 4 critical, 2 medium"
    );
    let five = scan(rust.path(), &["--exit-code", "5", "--fail-on", "high"], &[]);
    assert_eq!(five.status.code(), Some(5));
    assert_eq!(gate_line(&five), "customs: failing (exit 5): 4 findings at or above high: 4 critical");
    let error = scan(rust.path(), &["--exit-code", "0", "--db", "missing-db"], &[]);
    assert_eq!(error.status.code(), Some(2), "{}", stderr(&error));
    // customs.yaml's scan: exit-code, and --quiet leaves the line out.
    fs::write(rust.path().join("customs.yaml"), "scan:\n  exit-code: 3\n").unwrap();
    let configured = scan(rust.path(), &["-q"], &[]);
    assert_eq!(configured.status.code(), Some(3));
    assert_eq!(stderr(&configured), "");
}

#[test]
fn format_names_are_taken_in_any_case() {
    let rust = project("rust");
    let out = scan(rust.path(), &["-f", "JSON"], &[]);
    assert_eq!(stdout_json(&out)["summary"]["vulnerabilities"], 6);
    let out = scan(rust.path(), &["--format", "Sarif"], &[]);
    assert_eq!(stdout_json(&out)["version"], "2.1.0");
    let out = customs_in(rust.path()).args(["sbom", ".", "-f", "SPDX"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout_json(&out)["spdxVersion"], "SPDX-2.3");
    let out = customs_in(rust.path()).args(["verify", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("[env: CUSTOMS_FORMAT=]"));
}

#[test]
fn fail_on_lists_unknown_and_unrated_decide_the_gate_and_say_so() {
    let go = project("go");
    let out = scan(go.path(), &["--fail-on", "high"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        gate_line(&out),
        "customs: failing (exit 1): 63 findings at or above high: 63 unrated (--unrated ignore to let unrated pass)"
    );
    let out = scan(go.path(), &["--fail-on", "HIGH,CRITICAL", "--unrated", "IGNORE"], &[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        gate_line(&out),
        "customs: passing: 63 findings below the gate (at critical or high): 63 unrated (unrated pass with --unrated ignore)"
    );
    let out = scan(go.path(), &["--fail-on", "unknown", "--unrated", "ignore"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(gate_line(&out), "customs: failing (exit 1): 63 findings at unknown: 63 unrated");
    // From customs.yaml.
    fs::write(go.path().join("customs.yaml"), "scan:\n  fail-on: high\n  unrated: ignore\n").unwrap();
    assert_eq!(scan(go.path(), &[], &[]).status.code(), Some(0));
    fs::write(go.path().join("customs.yaml"), "scan:\n  unrated: sometimes\n").unwrap();
    let bad = scan(go.path(), &[], &[]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("unknown variant `sometimes`, expected `fail` or `ignore`"), "{}", stderr(&bad));

    let rust = project("rust");
    fs::write(rust.path().join("customs.yaml"), "scan:\n  severity: CRITICAL\n").unwrap();
    assert_eq!(stdout_json(&scan(rust.path(), &["-f", "json"], &[]))["summary"]["vulnerabilities"], 4);
    fs::write(rust.path().join("customs.yaml"), "scan:\n  severity: severe\n").unwrap();
    let bad = scan(rust.path(), &[], &[]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("severity: unknown severity \"severe\""), "{}", stderr(&bad));
    fs::remove_file(rust.path().join("customs.yaml")).unwrap();
    let out = scan(rust.path(), &["--fail-on", "high,medium"], &[]);
    assert_eq!(gate_line(&out), "customs: failing (exit 1): 2 findings at high or medium: 2 medium");
}

#[test]
fn every_flag_is_also_an_environment_variable_shown_in_help() {
    let rust = project("rust");
    let lock = fs::read_to_string(rust.path().join("Cargo.lock")).unwrap();
    assert!(lock.contains("name = \"time\""));
    assert_eq!(scan(rust.path(), &["--fail-on", "critical"], &[]).status.code(), Some(1));
    let medium_only = scan(rust.path(), &["-s", "medium"], &[("CUSTOMS_FAIL_ON", "critical")]);
    assert_eq!(medium_only.status.code(), Some(0), "{}", stderr(&medium_only));
    let medium_gate = scan(rust.path(), &["-s", "medium"], &[("CUSTOMS_FAIL_ON", "medium")]);
    assert_eq!(medium_gate.status.code(), Some(1));
    // A flag wins over its variable.
    let flag = scan(rust.path(), &["-s", "medium", "--fail-on", "medium"], &[("CUSTOMS_FAIL_ON", "critical")]);
    assert_eq!(flag.status.code(), Some(1));
    // Switches too.
    let out = scan(rust.path(), &["-f", "json"], &[("CUSTOMS_SEVERITY", "critical"), ("CUSTOMS_EXIT_CODE", "0")]);
    assert_eq!((out.status.code(), stdout_json(&out)["summary"]["vulnerabilities"].as_u64()), (Some(0), Some(4)));

    let help = customs_in(rust.path()).args(["scan", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    for shown in
        ["[env: CUSTOMS_FAIL_ON=]", "[env: CUSTOMS_SEVERITY=]", "[env: CUSTOMS_CACHE_DIR=]", "[env: CUSTOMS_QUIET=]"]
    {
        assert!(help.contains(shown), "{shown} missing from:\n{help}");
    }
    assert!(!help.contains("CUSTOMS_USERNAME") && !help.contains("CUSTOMS_PASSWORD"), "{help}");
    // CUSTOMS_REGISTRY binds the environment's login: `--registry` does not take it.
    // The store's variable may hold a password: `--help` names it and never shows its value.
    let report = customs_in(rust.path())
        .args(["registry", "report", "--help"])
        .env("CUSTOMS_STORE", "postgres://sweeper:s3cret@db.example/customs")
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&report.stdout).into_owned();
    assert!(!report.contains("CUSTOMS_REGISTRY=") && report.contains("[env: CUSTOMS_STORE]"), "{report}");
    assert!(!report.contains("s3cret"), "{report}");
}

#[test]
fn completion_scripts_for_every_shell() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = customs_in(dir.path()).args(["completion", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", stderr(&out));
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains("customs") && script.contains("fail-on"), "{shell}: {script}");
    }
    let out = customs_in(dir.path()).args(["completion", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("invalid value 'tcsh'"), "{}", stderr(&out));
}

#[test]
fn trivyignore_and_osv_scanner_toml_are_read_without_a_customs_ignore_file() {
    let rust = project("rust");
    fs::write(rust.path().join(".trivyignore"), "# accepted\nRUSTSEC-2020-0071\nCVE-2021-32715 exp:2999-01-01\n")
        .unwrap();
    let out = scan(rust.path(), &["-f", "json"], &[]);
    let doc = stdout_json(&out);
    assert_eq!(doc["summary"]["vulnerabilities"], 4);
    assert_eq!(doc["summary"]["suppressed"], 2);
    let notes: Vec<String> = stderr(&out).lines().filter(|l| l.starts_with("note:")).map(str::to_string).collect();
    assert_eq!(
        notes,
        ["note: suppressing the ids in .trivyignore (Trivy's ignore file; there is no .customs-ignore.yaml)"]
    );

    // An expired entry is back, and says so.
    fs::write(rust.path().join(".trivyignore"), "RUSTSEC-2020-0071 exp:2020-01-01\n").unwrap();
    let out = scan(rust.path(), &["-f", "json"], &[]);
    assert_eq!(stdout_json(&out)["summary"]["vulnerabilities"], 6);
    assert!(
        stderr(&out)
            .contains(".trivyignore: line 1 (RUSTSEC-2020-0071) expired on 2019-12-31 and no longer suppresses"),
        "{}",
        stderr(&out)
    );

    fs::remove_file(rust.path().join(".trivyignore")).unwrap();
    fs::write(
        rust.path().join("osv-scanner.toml"),
        "[[IgnoredVulns]]\nid = \"RUSTSEC-2020-0071\"\nreason = \"no time formatting\"\n\n[[PackageOverrides]]\nname = \"hyper\"\nignore = true\n",
    )
    .unwrap();
    let out = scan(rust.path(), &["-f", "json", "--show-suppressed"], &[]);
    let doc = stdout_json(&out);
    assert_eq!(doc["summary"]["vulnerabilities"], 5);
    let suppressed = doc["findings"].as_array().unwrap().iter().find(|f| f["id"] == "RUSTSEC-2020-0071").unwrap();
    assert_eq!(suppressed["suppression"]["reason"], "no time formatting");
    assert_eq!(suppressed["suppression"]["source"], "osv-scanner.toml");
    assert!(stderr(&out).contains(
        "note: suppressing the [[IgnoredVulns]] of osv-scanner.toml (osv-scanner's configuration; there is no \
         .customs-ignore.yaml); not supported, so not applied: 1 [[PackageOverrides]]"
    ));

    // Ours wins.
    fs::write(rust.path().join(".customs-ignore.yaml"), "ignore: []\n").unwrap();
    let out = scan(rust.path(), &["-f", "json"], &[]);
    assert_eq!(stdout_json(&out)["summary"]["vulnerabilities"], 6);
    assert!(!stderr(&out).contains("osv-scanner.toml"));
}

fn authorizations(server: &FakeRegistry) -> Vec<Option<String>> {
    server.seen().iter().map(|r| r.header("authorization").map(str::to_string)).collect()
}

/// `--username` with `--password-stdin`: the scanned registry gets the login; a base
/// image the repository's customs.yaml allows, on another registry, gets none.
#[test]
fn login_flags_go_to_the_scanned_registry_only() {
    let tiny = Arc::new(TinyImage::new("amd64"));
    let served = tiny.clone();
    let scanned = FakeRegistry::start(move |request, _| {
        if request.header("authorization") == Some(basic(USER, PASSWORD).as_str()) {
            serve_tiny(&served, request)
        } else {
            basic_challenge()
        }
    });
    let attacker = FakeRegistry::start(|_, _| basic_challenge());
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("docker-config")).unwrap();
    let base = format!("{}/x/y:t", attacker.host());
    fs::write(dir.path().join("customs.yaml"), format!("policy:\n  base-images:\n    allowed: [\"{base}\"]\n"))
        .unwrap();
    let image = format!("{}/test/app:v1", scanned.host());
    let mut args = scan_beside_an_attacker(&cache(), &image, &scanned.host(), &attacker.host());
    args.extend(["--username", USER, "--password-stdin"].map(str::to_string));
    let mut child = customs_in(dir.path())
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), format!("{PASSWORD}\n").as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!attacker.seen().is_empty(), "the allowlisted base was never asked for: {}", stderr(&out));
    assert_eq!(authorizations(&attacker).iter().flatten().count(), 0, "the login went to {base}");
    let sent: Vec<String> = authorizations(&scanned).into_iter().flatten().collect();
    assert!(sent.len() >= 3 && sent.iter().all(|a| *a == basic(USER, PASSWORD)), "{sent:?}");
    assert_eq!(stdout_json(&out)["policy"][0]["rule"], "CUSTOMS-BASE-001");
    assert!(!stderr(&out).contains("--password on the command line"), "{}", stderr(&out));

    // --password works and is warned about; a half login is an error before any request.
    fs::remove_file(dir.path().join("customs.yaml")).unwrap();
    let sbom = |extra: &[&str]| {
        let mut command = customs_in(dir.path());
        command.args(["sbom", "--image", &image, "--insecure-registry", &scanned.host(), "-f", "spdx"]).args(extra);
        command.output().unwrap()
    };
    let out = sbom(&["--username", USER, "--password", PASSWORD]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).lines().next(),
        Some(
            "warning: --password on the command line can be read by other users of this machine (process list, \
             shell history); use --password-stdin or CUSTOMS_REGISTRY_PASSWORD"
        )
    );
    let before = scanned.seen().len();
    let out = sbom(&["--username", USER]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out), "error: --username needs --password-stdin (or --password)\n");
    assert_eq!(scanned.seen().len(), before);
}

/// `customs verify` takes the same login: the registry that holds the image and its
/// signatures gets it.
#[test]
fn verify_takes_the_login_flags_too() {
    let tiny = Arc::new(TinyImage::new("amd64"));
    let served = tiny.clone();
    let registry = FakeRegistry::start(move |request, _| {
        if request.header("authorization") == Some(basic(USER, PASSWORD).as_str()) {
            serve_tiny(&served, request)
        } else {
            basic_challenge()
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    fs::write(dir.path().join("cosign.pub"), key.public_key_pem()).unwrap();
    let image = format!("{}/test/app:v1", registry.host());
    let verify = |login: &[&str], stdin: &str| {
        let mut child = customs_in(dir.path())
            .args(["verify", &image, "--key", "cosign.pub", "--insecure-registry", &registry.host()])
            .args(login)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let anonymous = verify(&[], "");
    assert_eq!(anonymous.status.code(), Some(2), "{}", stderr(&anonymous));
    assert!(stderr(&anonymous).contains("no credentials found"), "{}", stderr(&anonymous));
    let before = registry.seen().len();
    let out = verify(&["--username", USER, "--password-stdin"], &format!("{PASSWORD}\n"));
    assert_eq!(out.status.code(), Some(1), "unsigned: {}", stderr(&out));
    assert!(stderr(&out).starts_with(&format!("verification failed for {image}")), "{}", stderr(&out));
    let sent: Vec<Option<String>> = authorizations(&registry).split_off(before);
    assert!(sent[1..].iter().all(|a| a.as_deref() == Some(basic(USER, PASSWORD).as_str())), "{sent:?}");
}

/// `customs registry scan` takes the login flags and sends them to the swept registry.
#[test]
fn registry_scan_takes_the_login_flags() {
    let tiny = Arc::new(TinyImage::new("amd64"));
    let served = tiny.clone();
    let registry = FakeRegistry::start(move |request, _| {
        if request.header("authorization") != Some(basic(USER, PASSWORD).as_str()) {
            basic_challenge()
        } else if request.path.ends_with("/tags/list") {
            Reply::ok("application/json", br#"{"name":"test/app","tags":["v1"]}"#)
        } else if request.path.ends_with(&format!("/manifests/{}", served.manifest_digest)) {
            Reply::ok(OCI_MANIFEST, &served.manifest).with_header("Docker-Content-Digest", &served.manifest_digest)
        } else {
            serve_tiny(&served, request)
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let osv = shared().join("osv");
    let store = dir.path().join("store.sqlite");
    let (cache, host) = (cache(), registry.host());
    let args = [
        "--cache-dir",
        cache.to_str().unwrap(),
        "registry",
        "scan",
        &host,
        "--repo",
        "test/app",
        "--tags",
        "all",
        "--insecure-registry",
        &host,
        "--db",
        osv.to_str().unwrap(),
        "--store",
        store.to_str().unwrap(),
        "-f",
        "JSON",
        "--username",
        USER,
    ];
    let mut child = customs_in(dir.path())
        .args(args)
        .arg("--password-stdin")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), PASSWORD.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}{}", stderr(&out), String::from_utf8_lossy(&out.stdout));
    assert_eq!(stdout_json(&out)["coverage"]["images"], 1);
    let sent: Vec<String> = authorizations(&registry).into_iter().flatten().collect();
    assert!(sent.len() >= 4 && sent.iter().all(|a| *a == basic(USER, PASSWORD)), "{sent:?}");
    // Both reading stdin is refused before anything is asked.
    let before = registry.seen().len();
    let out = customs_in(dir.path())
        .args(["registry", "scan", &registry.host(), "--repos-from", "-", "--username", USER, "--password-stdin"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: --password-stdin and --repos-from - both read stdin: give the repository list as a file\n"
    );
    assert_eq!(registry.seen().len(), before);
}
