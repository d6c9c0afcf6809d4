//! `customs scan --dockerfile`: Dockerfile rules reported in every format and gated
//! together with the vulnerabilities.

mod common;

use std::fs;
use std::path::Path;

use common::*;

fn cache() -> std::path::PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("dockerfile-test-cache")
}

fn scan(dir: &Path, extra: &[&str]) -> std::process::Output {
    let osv = shared().join("osv");
    let cache = cache();
    let mut args = vec!["--cache-dir", cache.to_str().unwrap(), "scan", "--db", osv.to_str().unwrap()];
    args.extend_from_slice(extra);
    run(&args, dir)
}

const RISKY: &str = "FROM debian:latest\nRUN curl -fsSL https://example.com/install.sh | sh\nENV API_TOKEN=ghp_0123456789abcdef0123456789abcdef0123\n";
const CLEAN: &str = "FROM debian:12@sha256:c6491d915028ac76ad7f528562ad372dc09d20e486d12fa2e301c21aed300d18\nRUN useradd -r app\nUSER app\n";

fn project(dockerfile: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("Dockerfile"), dockerfile).unwrap();
    fs::write(dir.path().join("requirements.txt"), "markupsafe==2.1.5\n").unwrap();
    dir
}

#[test]
fn dockerfile_findings_appear_in_json_with_rule_ids_and_lines() {
    let dir = project(RISKY);
    let out = scan(dir.path(), &[".", "--dockerfile", "Dockerfile", "-f", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc = stdout_json(&out);
    let found: Vec<String> = doc["policy"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} {}:{}",
                p["rule"].as_str().unwrap(),
                p["location"]["path"].as_str().unwrap(),
                p["location"]["line"]
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            "CUSTOMS-DF-001 Dockerfile:1",
            "CUSTOMS-DF-004 Dockerfile:1",
            "CUSTOMS-DF-005 Dockerfile:1",
            "CUSTOMS-DF-009 Dockerfile:2",
            "CUSTOMS-DF-006 Dockerfile:3",
        ]
    );
    assert_eq!(doc["summary"]["policy"], 5);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("ghp_0123456789abcdef"), "a secret's value never reaches a report");
}

#[test]
fn dockerfile_findings_gate_by_severity_and_a_clean_dockerfile_passes() {
    let risky = project(RISKY);
    assert_eq!(scan(risky.path(), &[".", "--dockerfile", "Dockerfile", "--fail-on", "high"]).status.code(), Some(1));
    assert_eq!(
        scan(risky.path(), &[".", "--dockerfile", "Dockerfile", "--fail-on", "critical"]).status.code(),
        Some(0)
    );
    let clean = project(CLEAN);
    let out = scan(clean.path(), &[".", "--dockerfile", "Dockerfile"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn a_folder_with_only_a_dockerfile_is_something_to_scan() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("Dockerfile"), CLEAN).unwrap();
    let out = scan(dir.path(), &[".", "--dockerfile", "Dockerfile"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("note: no lockfile found under .: only the Dockerfile was checked"), "{stderr}");
    // Without --dockerfile the same folder is nothing to scan.
    assert_eq!(scan(dir.path(), &["."]).status.code(), Some(2));
}

#[test]
fn dockerfile_findings_are_sarif_rules_and_results() {
    let dir = project(RISKY);
    let doc = stdout_json(&scan(dir.path(), &[".", "--dockerfile", "Dockerfile", "-f", "sarif"]));
    assert_eq!(schema_errors("sarif-schema-2.1.0.json", &doc), Vec::<String>::new());
    let rules: Vec<&str> = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["CUSTOMS-DF-001", "CUSTOMS-DF-004", "CUSTOMS-DF-005", "CUSTOMS-DF-006", "CUSTOMS-DF-009"]);
    let curl = doc["runs"][0]["results"].as_array().unwrap().iter().find(|r| r["ruleId"] == "CUSTOMS-DF-009").unwrap();
    assert_eq!(curl["locations"][0]["physicalLocation"]["region"]["startLine"], 2);
    assert_eq!(curl["level"], "error");
}

#[test]
fn a_broken_dockerfile_is_an_input_error_with_its_line() {
    let dir = project("FROM debian:12\nRUN <<EOF\necho never closed\n");
    let out = scan(dir.path(), &[".", "--dockerfile", "Dockerfile"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error: Dockerfile:2:"), "{stderr}");
}
