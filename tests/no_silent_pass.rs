//! No silent passes (issue #12): a scan that looked at nothing must not end with
//! "0 vulnerabilities in 0 packages" and exit 0. A folder without a lockfile, a file
//! customs cannot read, an SBOM without components and an empty lockfile are errors
//! (exit 2) that say what to do; `--allow-empty` and `scan: allow-empty` accept the
//! first kind for CI templates. An SBOM named as a path is read by its content.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;

const FIRST_HOUR: &str = "fixtures/first-hour";

const LOOKED_FOR: &str = "Cargo.lock, package-lock.json, npm-shrinkwrap.json, yarn.lock, pnpm-lock.yaml, bun.lock, \
                          requirements*.txt, poetry.lock, Pipfile.lock, uv.lock, pdm.lock, pylock.toml, \
                          pylock.*.toml, go.mod, Gemfile.lock, gems.locked, composer.lock, pom.xml, gradle.lockfile, \
                          buildscript-gradle.lockfile, packages.lock.json, pubspec.lock, mix.lock, conan.lock, \
                          renv.lock";

fn cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("no-silent-pass-cache")
}

/// `customs scan --db <crates.io OSV> --max-db-age 0 ARGS` in `cwd`: the age warning
/// left out so stderr is exactly what these tests are about.
fn scan_in(cwd: &Path, args: &[&str]) -> Output {
    let db = shared().join("osv/crates.io");
    let cache = cache();
    let mut full = vec!["--cache-dir", cache.to_str().unwrap(), "scan", "--db", db.to_str().unwrap()];
    full.extend_from_slice(&["--max-db-age", "0"]);
    full.extend_from_slice(args);
    run(&full, cwd)
}

fn scan(args: &[&str]) -> Output {
    scan_in(&crate_dir(), args)
}

fn sbom(args: &[&str]) -> Output {
    let mut full = vec!["sbom"];
    full.extend_from_slice(args);
    run(&full, &crate_dir())
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn no_lockfile_error(root: &str) -> String {
    format!(
        "error: no lockfile found under {root} (looked for {LOOKED_FOR}; install folders such as node_modules and \
         vendor are skipped unless --no-default-skips); pass --allow-empty to accept this\n"
    )
}

// ---------------------------------------------------------------------------------------
// Nothing to scan
// ---------------------------------------------------------------------------------------

#[test]
fn a_folder_without_a_lockfile_is_an_error_naming_it_and_what_was_looked_for() {
    let root = format!("{FIRST_HOUR}/no-lockfile");
    let out = scan(&[&root]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(stderr(&out), no_lockfile_error(&root));
    assert_eq!(stdout(&out), "", "no \"0 vulnerabilities in 0 packages\" report");

    let out = sbom(&[&root]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out), no_lockfile_error(&root));
    assert_eq!(stdout(&out), "", "no empty SBOM");
}

#[test]
fn the_default_target_is_the_current_folder_and_is_named_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = scan_in(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out), no_lockfile_error("."));
}

#[test]
fn one_empty_folder_among_several_targets_is_an_error_too() {
    let out = scan(&["fixtures/scan/rust", &format!("{FIRST_HOUR}/no-lockfile")]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out), no_lockfile_error(&format!("{FIRST_HOUR}/no-lockfile")));
}

#[test]
fn allow_empty_accepts_a_folder_without_a_lockfile_with_a_note() {
    let root = format!("{FIRST_HOUR}/no-lockfile");
    let note = format!("note: no lockfile found under {root}; accepted (allow-empty): nothing there was checked\n");
    let out = scan(&[&root, "--allow-empty"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), note);
    assert_eq!(stdout(&out), "customs: 0 vulnerabilities in 0 packages\n");

    let out = sbom(&[&root, "--allow-empty", "-f", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!("{note}customs: 0 packages in 0 files; 0 declarations skipped (not exact registry versions)\n")
    );
    assert_eq!(stdout_json(&out)["packages"], serde_json::json!([]));

    assert_eq!(scan(&[&root, "--allow-empty=false"]).status.code(), Some(2));
}

#[test]
fn customs_yaml_allow_empty_accepts_it_and_the_flag_overrides_the_file() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("customs.yaml"), "scan:\n  allow-empty: true\n").unwrap();
    let out = scan_in(dir.path(), &["."]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "note: no lockfile found under .; accepted (allow-empty): nothing there was checked\n");

    let out = scan_in(dir.path(), &[".", "--allow-empty=false"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out), no_lockfile_error("."));

    fs::write(dir.path().join("customs.yaml"), "scan:\n  allow-empty: yes please\n").unwrap();
    let out = scan_in(dir.path(), &["."]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("customs.yaml") && stderr(&out).contains("allow-empty"), "{}", stderr(&out));
}

// ---------------------------------------------------------------------------------------
// SBOMs given as a path
// ---------------------------------------------------------------------------------------

#[test]
fn a_cyclonedx_sbom_given_as_a_path_is_scanned_as_one() {
    let file = format!("{FIRST_HOUR}/bom.cdx.json");
    let out = scan(&[&file, "-f", "json"]);
    assert_eq!(out.status.code(), Some(1), "time 0.1.45 is vulnerable: {}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!(
            "note: reading {file} as a CycloneDX SBOM\n\
             customs: 2 packages in 1 file; 1 declaration skipped (not exact registry versions)\n\
             customs: failing (exit 1): 1 finding at any severity: 1 medium\n"
        )
    );
    let doc = stdout_json(&out);
    let ids: Vec<&str> = doc["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["RUSTSEC-2020-0071"]);
    assert_eq!(doc["files"], serde_json::json!([{"path": file, "extractor": "sbom/cyclonedx", "packages": 2}]));

    // The same as --sbom, but for the note.
    let explicit = scan(&["--sbom", &file, "-f", "json"]);
    assert_eq!(explicit.status.code(), Some(1));
    assert_eq!(stdout_json(&explicit)["findings"], doc["findings"]);
    assert!(!stderr(&explicit).contains("note:"), "{}", stderr(&explicit));
}

#[test]
fn an_spdx_sbom_given_as_a_path_is_scanned_as_one() {
    let file = format!("{FIRST_HOUR}/spdx.json");
    let out = scan(&[&file]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!(
            "note: reading {file} as an SPDX SBOM\ncustoms: failing (exit 1): 1 finding at any severity: 1 medium\n"
        )
    );
    assert!(stdout(&out).contains("RUSTSEC-2020-0071    time 0.1.45"), "{}", stdout(&out));
}

#[test]
fn customs_sbom_converts_an_sbom_instead_of_writing_an_empty_one() {
    let file = format!("{FIRST_HOUR}/bom.cdx.json");
    let out = sbom(&[&file, "-f", "spdx"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!(
            "note: reading {file} as a CycloneDX SBOM\n\
             customs: 2 packages in 1 file; 1 declaration skipped (not exact registry versions)\n"
        )
    );
    let doc = stdout_json(&out);
    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
    let mut purls: Vec<&str> = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["externalRefs"].as_array().into_iter().flatten())
        .filter(|r| r["referenceType"] == "purl")
        .map(|r| r["referenceLocator"].as_str().unwrap())
        .collect();
    purls.sort();
    assert_eq!(purls, ["pkg:cargo/cfg-if@1.0.0", "pkg:cargo/time@0.1.45"]);

    // SPDX in, CycloneDX out; the same format in and out is fine too.
    let back = sbom(&[&format!("{FIRST_HOUR}/spdx.json")]);
    assert_eq!(back.status.code(), Some(0), "{}", stderr(&back));
    let components = stdout_json(&back)["components"].clone();
    assert_eq!(components[0]["purl"], "pkg:cargo/time@0.1.45");
    assert_eq!(sbom(&[&file, "-f", "cyclonedx"]).status.code(), Some(0));
}

#[test]
fn an_sbom_without_components_is_an_error_unless_allowed() {
    let file = format!("{FIRST_HOUR}/empty.cdx.json");
    let error = format!(
        "error: {file}: the CycloneDX SBOM lists no components, so nothing would be checked; pass --allow-empty to \
         accept this\n"
    );
    for out in [scan(&[&file]), scan(&["--sbom", &file]), sbom(&[&file])] {
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(stderr(&out), error);
        assert_eq!(stdout(&out), "");
    }
    let out = scan(&["--sbom", &file, "--allow-empty"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!("note: {file}: the SBOM lists no components; accepted (allow-empty): nothing was checked\n")
    );
}

#[test]
fn a_file_customs_cannot_read_is_an_error_with_a_hint_never_a_warning() {
    let file = format!("{FIRST_HOUR}/notes.txt");
    let error = format!(
        "error: {file}: not a file format customs reads: name a lockfile ({LOOKED_FOR}) or the folder holding one, \
         or a CycloneDX or SPDX JSON SBOM\n"
    );
    for out in [scan(&[&file]), sbom(&[&file]), scan(&[&file, "--allow-empty"])] {
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(stderr(&out), error);
        assert_eq!(stdout(&out), "");
    }
    let xml = format!("{FIRST_HOUR}/bom.xml");
    let out = scan(&[&xml]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        format!(
            "error: {xml}: not a file format customs reads: a CycloneDX XML document; customs reads CycloneDX as \
             JSON: convert it with `cyclonedx convert --input-file FILE --output-file FILE.json`\n"
        )
    );
}

// ---------------------------------------------------------------------------------------
// Empty lockfiles
// ---------------------------------------------------------------------------------------

#[test]
fn an_empty_lockfile_is_an_error_naming_the_file_and_the_remedy() {
    let out = scan(&[&format!("{FIRST_HOUR}/empty-lockfile")]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: Cargo.lock: empty file: a Cargo.lock lists the packages to check, and this one lists none; \
         regenerate it with cargo generate-lockfile\n"
    );

    let lockfile = format!("{FIRST_HOUR}/blank-lockfile/package-lock.json");
    let out = sbom(&[&lockfile, "-f", "json"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        format!(
            "error: {lockfile}: empty file (only whitespace): a package-lock.json lists the packages to check, and \
             this one lists none; regenerate it with npm install --package-lock-only\n\
             customs: 0 packages in 0 files; 0 declarations skipped (not exact registry versions); 1 file failed\n"
        )
    );
}

#[test]
fn an_empty_lockfile_beside_a_good_one_fails_the_scan_and_the_rest_is_still_read() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(crate_dir().join("fixtures/scan/rust/Cargo.lock"), dir.path().join("Cargo.lock")).unwrap();
    fs::create_dir(dir.path().join("web")).unwrap();
    fs::write(dir.path().join("web/yarn.lock"), "").unwrap();
    let out = scan_in(dir.path(), &[".", "-f", "json"]);
    assert_eq!(out.status.code(), Some(2), "an unreadable file wins over findings");
    let doc = stdout_json(&out);
    assert_eq!(
        doc["errors"],
        serde_json::json!([{
            "path": "web/yarn.lock",
            "message": "empty file: a yarn.lock lists the packages to check, and this one lists none; regenerate it \
                        with yarn install"
        }])
    );
    assert!(doc["summary"]["vulnerabilities"].as_u64().unwrap() > 0, "Cargo.lock still scanned");
    assert!(stderr(&out).ends_with("; 1 file failed\n"), "plural-correct summary: {}", stderr(&out));
}
