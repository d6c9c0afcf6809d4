//! Hostile names in every output (issue 10, attacks 6 and 10).
//!
//! A repository controls its folder names, its lockfiles' package names and its VEX
//! statements; an advisory source controls summaries and links. None of it may drive
//! the terminal, start free Markdown or HTML in a pull-request comment, or cut a SARIF
//! URI. And advisories that could not be compared with an installed version must show
//! in every report, never behind "No known vulnerabilities".

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use serde_json::Value;

/// A folder name with a newline, a terminal escape that clears the screen, Markdown
/// (heading, code, cell separator), HTML, URI delimiters and a bidi override.
const DIR: &str = "a\n\x1b[2J# `x` | <img src=x> 100%\u{202e}";
/// The same name as the reports must show it.
const DIR_VISIBLE: &str = "a\\n\\x1b[2J# `x` | <img src=x> 100%\\u{202e}";
/// A package name with an escape, a cell separator, HTML and backticks.
const PACKAGE: &str = "evil\x1b[2J|<b>`x`";

fn cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("hostile-output-cache")
}

/// The project (`root`), and beside it what the advisory source and the VEX author
/// wrote (`adv/`, `vex.json`).
struct Hostile {
    top: tempfile::TempDir,
}

impl Hostile {
    fn new() -> Self {
        let top = tempfile::tempdir().unwrap();
        let dir = top.path().join("root").join(DIR);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("Cargo.lock"), cargo_lock(&[("smallvec", "0.6.9"), (PACKAGE, "1.0.0")])).unwrap();
        // An ordinary path beside it: GitHub placement must not change for it.
        fs::create_dir_all(top.path().join("root/svc")).unwrap();
        fs::write(top.path().join("root/svc/Cargo.lock"), cargo_lock(&[("smallvec", "0.6.9")])).unwrap();
        fs::create_dir_all(top.path().join("adv")).unwrap();
        let advisory = serde_json::json!({
            "schema_version": "1.6.0",
            "id": "HOSTILE-2026-0001",
            "modified": "2026-01-01T00:00:00Z",
            "summary": "Bad\u{1b}[2J <script>alert(1)</script> | `x`",
            "details": "Details <img src=x onerror=alert(1)>\nline2",
            "references": [
                {"type": "WEB", "url": "javascript:alert(1)"},
                {"type": "WEB", "url": "https://example.com/a b>"},
            ],
            "affected": [{"package": {"ecosystem": "crates.io", "name": PACKAGE}, "versions": ["1.0.0"]}],
        });
        fs::write(top.path().join("adv/HOSTILE-2026-0001.json"), advisory.to_string()).unwrap();
        let vex = serde_json::json!({
            "@context": "https://openvex.dev/ns/v0.2.0",
            "@id": "https://example.com/vex/hostile",
            "author": "a",
            "timestamp": "2026-01-10T09:00:00Z",
            "version": 1,
            "statements": [{
                "vulnerability": {"name": "CVE-2019-15551"},
                "products": [{"@id": "pkg:cargo/smallvec@0.6.9"}],
                "status": "not_affected",
                "impact_statement": "<img src=x onerror=alert(1)>\n## Approved by `security` | ok",
            }],
        });
        fs::write(top.path().join("vex.json"), vex.to_string()).unwrap();
        Hostile { top }
    }

    fn root(&self) -> PathBuf {
        self.top.path().join("root")
    }

    /// `customs scan --db <crates.io mirror> --advisories adv ARGS .` in the project.
    fn scan(&self, args: &[&str]) -> Output {
        let adv = self.top.path().join("adv");
        scan_with(&self.root(), "crates.io", &[&["--advisories", adv.to_str().unwrap()], args].concat())
    }

    fn vex(&self) -> String {
        self.top.path().join("vex.json").to_str().unwrap().to_string()
    }
}

fn cargo_lock(packages: &[(&str, &str)]) -> String {
    let mut text = String::from("version = 3\n");
    for (name, version) in packages {
        let name = serde_json::to_string(name).unwrap(); // a TOML basic string, escapes included
        text.push_str(&format!(
            "\n[[package]]\nname = {name}\nversion = \"{version}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
        ));
    }
    text
}

/// `customs scan --db ../shared/osv/<ecosystem> ARGS .` in `dir`.
fn scan_with(dir: &Path, ecosystem: &str, args: &[&str]) -> Output {
    let db = shared().join("osv").join(ecosystem);
    let cache = cache();
    let mut full =
        vec!["--cache-dir", cache.to_str().unwrap(), "scan", "--db", db.to_str().unwrap(), "--max-db-age", "0"];
    full.extend_from_slice(args);
    full.push(".");
    run(&full, dir)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn table_writes_out_control_and_bidi_characters() {
    let project = Hostile::new();
    let out = project.scan(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(table.starts_with(&format!("{DIR_VISIBLE}/Cargo.lock\n")), "{table}");
    assert!(
        table.contains("\n  UNKNOWN  HOSTILE-2026-0001    evil\\x1b[2J|<b>`x` 1.0.0  no fix published  line 9\n"),
        "{table}"
    );
    assert!(table.contains("\n           Bad\\x1b[2J <script>alert(1)</script> | `x`\n"), "{table}");
    // Nothing from an input reaches the terminal as a control or bidi character.
    assert!(!table.contains(['\x1b', '\u{202e}', '\r']), "{table:?}");
    assert!(table
        .ends_with("customs: 7 vulnerabilities in 3 packages (6 critical, 1 unknown); 2 informational advisories\n"));
}

#[test]
fn diagnostics_on_stderr_write_out_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("x\x1b[2J\u{202e}");
    fs::create_dir_all(&broken).unwrap();
    fs::write(broken.join("Cargo.lock"), "[[package]\n").unwrap();
    let out = scan_with(dir.path(), "crates.io", &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("error: x\\x1b[2J\\u{202e}/Cargo.lock:1: "), "{stderr}");
    assert!(!stderr.contains(['\x1b', '\u{202e}']), "{stderr:?}");
}

#[test]
fn markdown_escapes_cells_code_spans_and_html() {
    let project = Hostile::new();
    let vex = project.vex();
    let out = project.scan(&["-f", "markdown", "--vex", &vex, "--show-suppressed"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let md = text(&out.stdout);
    // The place is one code span whose fence outlasts the backticks inside, `|` kept in the cell.
    let place = "``a\\n\\x1b[2J# `x` \\| <img src=x> 100%\\u{202e}/Cargo.lock:9``";
    let row = format!("| unknown | HOSTILE-2026-0001 | evil\\\\x1b\\[2J\\|&lt;b&gt;\\`x\\` | 1.0.0 | — | {place} |\n");
    assert!(md.contains(&row), "{md}");
    // The VEX statement's HTML, heading and code are text in the cell.
    assert!(md.contains(
        "| critical | RUSTSEC-2019-0009 *(suppressed — vex: &lt;img src=x onerror=alert(1)&gt; ## Approved by \\`security\\` \\| ok ("
    ), "{md}");
    // Every table row is one line with the header's six cells (escaped `|` do not count).
    for line in md.lines().filter(|l| l.starts_with("| ") && l.contains("Cargo.lock")) {
        assert_eq!(line.replace("\\|", "").matches('|').count(), 7, "{line}");
    }
    // Raw HTML only inside code spans (`<img src=x>` of the path), where it is text.
    assert!(!md.contains("<img src=x onerror") && !md.contains("<b>"), "{md}");
    assert!(!md.lines().any(|l| l.starts_with('#') && l.contains("Approved")), "{md}");
    assert!(!md.contains(['\x1b', '\u{202e}']), "{md:?}");
}

/// Every result's `artifactLocation.uri`, sorted.
fn uris(doc: &Value) -> Vec<String> {
    let mut uris: Vec<String> = doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap().to_string())
        .collect();
    uris.sort();
    uris.dedup();
    uris
}

#[test]
fn sarif_uris_are_percent_encoded_and_the_document_validates() {
    let project = Hostile::new();
    let out = project.scan(&["-f", "sarif"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let doc = stdout_json(&out);
    assert_eq!(schema_errors("sarif-schema-2.1.0.json", &doc), Vec::<String>::new());
    assert_eq!(
        uris(&doc),
        ["a%0A%1B%5B2J%23%20%60x%60%20%7C%20%3Cimg%20src=x%3E%20100%25%E2%80%AE/Cargo.lock", "svc/Cargo.lock"]
    );
    let run = &doc["runs"][0];
    let hostile = run["results"].as_array().unwrap().iter().find(|r| r["ruleId"] == "HOSTILE-2026-0001").unwrap();
    assert_eq!(
        hostile["message"]["text"],
        "evil\\x1b[2J|<b>`x` 1.0.0 (crates.io) is affected by HOSTILE-2026-0001: Bad\\x1b[2J <script>alert(1)</script> | `x`. No fixed version is published."
    );
    let rule =
        run["tool"]["driver"]["rules"].as_array().unwrap().iter().find(|r| r["id"] == "HOSTILE-2026-0001").unwrap();
    let help = rule["help"]["markdown"].as_str().unwrap();
    assert!(
        help.starts_with("**HOSTILE-2026-0001**: Bad\\\\x1b\\[2J &lt;script&gt;alert(1)&lt;/script&gt; \\| \\`x\\`\n"),
        "{help}"
    );
    assert!(help.contains("\n| evil\\\\x1b\\[2J\\|&lt;b&gt;\\`x\\` | crates.io | 1.0.0 | no fix published | a\\\\n\\\\x1b\\[2J# \\`x\\` \\| &lt;img src=x&gt; 100%\\\\u{202e}/Cargo.lock:9 |\n"), "{help}");
    assert!(help.contains("\nDetails &lt;img src=x onerror=alert(1)&gt;\nline2\n"), "{help}");
    // Links: http(s) only, encoded; `javascript:` is dropped.
    assert!(help.ends_with("**References**\n\n- <https://example.com/a%20b%3E>\n"), "{help}");
    assert_eq!(rule["helpUri"], "https://example.com/a%20b%3E");
}

#[cfg(unix)]
#[test]
fn sarif_handles_a_path_that_is_not_utf8() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join(std::ffi::OsStr::from_bytes(b"bad\xffname"));
    fs::create_dir_all(&folder).unwrap();
    fs::write(folder.join("Cargo.lock"), cargo_lock(&[("smallvec", "0.6.9")])).unwrap();
    let out = scan_with(dir.path(), "crates.io", &["-f", "sarif"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let doc = stdout_json(&out);
    assert_eq!(schema_errors("sarif-schema-2.1.0.json", &doc), Vec::<String>::new());
    assert_eq!(uris(&doc), ["bad%EF%BF%BDname/Cargo.lock"]);
}

#[test]
fn json_keeps_values_exact_and_cyclonedx_links_are_http_only() {
    let project = Hostile::new();
    let json = stdout_json(&project.scan(&["-f", "json"]));
    let finding = json["findings"].as_array().unwrap().iter().find(|f| f["id"] == "HOSTILE-2026-0001").unwrap();
    // JSON carries the exact values (JSON-escaped); whoever displays them escapes for display.
    assert_eq!(finding["package"]["name"], PACKAGE);
    assert_eq!(finding["package"]["location"]["path"], format!("{DIR}/Cargo.lock"));

    let bom = stdout_json(&project.scan(&["-f", "cyclonedx"]));
    assert_eq!(schema_errors("bom-1.6.schema.json", &bom), Vec::<String>::new());
    let vulnerability =
        bom["vulnerabilities"].as_array().unwrap().iter().find(|v| v["id"] == "HOSTILE-2026-0001").unwrap();
    assert_eq!(vulnerability["advisories"], serde_json::json!([{"url": "https://example.com/a%20b%3E"}]));
}

/// `drupal/core` at a version Composer cannot parse: every Drupal core advisory
/// names it and none can be compared with it.
fn uncomparable_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let lock = serde_json::json!({"packages": [{"name": "drupal/core", "version": "unreleased"}], "packages-dev": []});
    fs::write(dir.path().join("composer.lock"), serde_json::to_string_pretty(&lock).unwrap()).unwrap();
    dir
}

#[test]
fn uncomparable_versions_show_in_markdown_never_as_no_known_vulnerabilities() {
    let dir = uncomparable_project();
    let out = scan_with(dir.path(), "Packagist", &["-f", "markdown"]);
    let md = text(&out.stdout);
    assert!(!md.contains("No known vulnerabilities"), "{md}");
    assert!(md.contains("No vulnerabilities found among the versions customs could compare, but **86 advisories could not be compared** (listed below): whether they apply is unknown.\n"), "{md}");
    assert!(md.contains("\n| drupal/core | unreleased | 86: DRUPAL-CORE-2018-001, DRUPAL-CORE-2018-002, DRUPAL-CORE-2018-003 and 83 more | `composer.lock:4` | cannot parse version \"unreleased\": not a Composer version |\n"), "{md}");
}

#[test]
fn uncomparable_versions_are_listed_in_the_table() {
    let dir = uncomparable_project();
    let table = text(&scan_with(dir.path(), "Packagist", &[]).stdout);
    assert_eq!(
        table,
        "Not compared (customs cannot tell whether these advisories apply)\n  composer.lock:4  drupal/core unreleased  86 advisories: DRUPAL-CORE-2018-001, DRUPAL-CORE-2018-002, DRUPAL-CORE-2018-003 and 83 more\n           cannot parse version \"unreleased\": not a Composer version\n\ncustoms: 0 vulnerabilities in 1 package; 86 advisories could not be compared (listed above)\n"
    );
}

#[test]
fn uncomparable_versions_are_a_sarif_warning_at_the_lockfile() {
    let dir = uncomparable_project();
    let doc = stdout_json(&scan_with(dir.path(), "Packagist", &["-f", "sarif"]));
    assert_eq!(schema_errors("sarif-schema-2.1.0.json", &doc), Vec::<String>::new());
    let notifications = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"].as_array().unwrap();
    let warning: Vec<&Value> =
        notifications.iter().filter(|n| n["descriptor"]["id"] == "customs/uncomparable-version").collect();
    assert_eq!(warning.len(), 1, "{notifications:?}");
    assert_eq!(warning[0]["level"], "warning");
    let message = warning[0]["message"]["text"].as_str().unwrap();
    assert!(message.starts_with("drupal/core unreleased (Packagist): 86 advisories could not be compared with this version, so whether they apply is unknown (cannot parse version \"unreleased\": not a Composer version): DRUPAL-CORE-2018-001, "), "{message}");
    assert!(message.ends_with(" and 76 more."), "{message}");
    let location = &warning[0]["locations"][0]["physicalLocation"];
    assert_eq!(
        (location["artifactLocation"]["uri"].as_str(), location["region"]["startLine"].as_u64()),
        (Some("composer.lock"), Some(4))
    );
}
