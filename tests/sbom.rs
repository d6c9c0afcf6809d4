//! `customs sbom` end to end: formats, schema validity, walking rules, and hostile input.

mod common;

use std::fs;

use common::*;
use serde_json::Value;

/// A small project tree with two lockfiles.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("app/sub")).unwrap();
    fs::copy(fixtures().join("inventory/cargo/v3/Cargo.lock"), root.join("app/Cargo.lock")).unwrap();
    fs::copy(fixtures().join("inventory/cargo/v1/Cargo.lock"), root.join("app/sub/Cargo.lock")).unwrap();
    dir
}

#[test]
fn cyclonedx_is_valid_and_lists_every_package_with_its_file_and_line() {
    let dir = project();
    let out = run(&["sbom", "."], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let bom = stdout_json(&out);
    assert_eq!(schema_errors("bom-1.6.schema.json", &bom), Vec::<String>::new());
    assert_eq!(bom["specVersion"], "1.6");
    assert_eq!(bom["metadata"]["timestamp"], "2023-11-14T22:13:20Z");

    let components = bom["components"].as_array().unwrap();
    let summary: Vec<String> = components
        .iter()
        .map(|c| {
            let occ: Vec<String> = c["evidence"]["occurrences"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| format!("{}:{}", o["location"].as_str().unwrap(), o["line"]))
                .collect();
            format!("{} {}", c["purl"].as_str().unwrap(), occ.join(","))
        })
        .collect();
    assert_eq!(
        summary,
        [
            "pkg:cargo/cfg-if@1.0.0 app/Cargo.lock:15",
            "pkg:cargo/itoa@0.4.8 app/sub/Cargo.lock:10",
            "pkg:cargo/private-crate@0.3.1?repository_url=https://crates.example.com/index app/Cargo.lock:21",
            "pkg:cargo/serde@1.0.130 app/sub/Cargo.lock:15",
            "pkg:cargo/serde_json@1.0.68 app/sub/Cargo.lock:20",
            "pkg:cargo/smallvec@1.6.0 app/Cargo.lock:26",
            "pkg:cargo/time@0.1.45?vcs_url=https://github.com/time-rs/time%3Frev%3Dabc%23abcdef0123456789 app/Cargo.lock:32",
            // The project's own crate, listed once and marked (tests/own_packages.rs).
            "pkg:cargo/app@0.1.0 app/Cargo.lock:6,app/sub/Cargo.lock:2",
        ]
    );
}

#[test]
fn output_is_deterministic_for_the_same_tree() {
    let dir = project();
    let a = run(&["sbom", ".", "-f", "cyclonedx"], dir.path());
    let b = run(&["sbom", ".", "-f", "cyclonedx"], dir.path());
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn one_package_found_in_two_files_is_one_component_with_two_occurrences() {
    let dir = project();
    fs::copy(fixtures().join("inventory/cargo/v3/Cargo.lock"), dir.path().join("Cargo.lock")).unwrap();
    let bom = stdout_json(&run(&["sbom", "."], dir.path()));
    let smallvec = bom["components"].as_array().unwrap().iter().find(|c| c["name"] == "smallvec").unwrap();
    assert_eq!(
        smallvec["evidence"]["occurrences"],
        serde_json::json!([{"location": "Cargo.lock", "line": 26}, {"location": "app/Cargo.lock", "line": 26}])
    );
    assert_eq!(schema_errors("bom-1.6.schema.json", &bom), Vec::<String>::new());
}

#[test]
fn spdx_has_the_required_fields_and_one_purl_per_package() {
    let dir = project();
    let out = run(&["sbom", ".", "-f", "spdx"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    let doc = stdout_json(&out);
    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
    assert_eq!(doc["dataLicense"], "CC0-1.0");
    assert_eq!(doc["SPDXID"], "SPDXRef-DOCUMENT");
    assert!(doc["documentNamespace"].as_str().unwrap().starts_with("https://"));
    assert_eq!(doc["creationInfo"]["created"], "2023-11-14T22:13:20Z");
    let packages = doc["packages"].as_array().unwrap();
    // The document, 7 registry packages and the project's own crate.
    assert_eq!(packages.len(), 1 + 7 + 1);
    for p in &packages[1..] {
        for field in ["SPDXID", "name", "versionInfo", "downloadLocation"] {
            assert!(p[field].is_string(), "{field} missing in {p}");
        }
        assert_eq!(p["filesAnalyzed"], false);
        assert_eq!(p["externalRefs"][0]["referenceType"], "purl");
    }
    let contains = doc["relationships"].as_array().unwrap().iter().filter(|r| r["relationshipType"] == "CONTAINS");
    assert_eq!(contains.count(), 7 + 1);
}

#[test]
fn json_inventory_lists_packages_and_skipped_declarations() {
    let dir = project();
    let out = run(&["sbom", ".", "-f", "json"], dir.path());
    let doc = stdout_json(&out);
    assert_eq!(doc["schema"], "customs/1");
    assert_eq!(doc["packages"].as_array().unwrap().len(), 7);
    assert_eq!(doc["packages"][0]["location"], serde_json::json!({"path": "app/Cargo.lock", "line": 15}));
    let skipped: Vec<&str> =
        doc["skipped"].as_array().unwrap().iter().map(|s| s["declaration"].as_str().unwrap()).collect();
    // The local crate is the project's own package now, not a skipped declaration.
    assert_eq!(skipped, Vec::<&str>::new());
    let own: Vec<String> = doc["own"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| format!("{} {}@{} {}", o["kind"], o["name"], o["version"], o["location"]["path"]))
        .collect();
    assert_eq!(
        own,
        [
            // No Cargo.toml beside the locks says which crate is the root.
            r#""workspace-member" "app"@"0.1.0" "app/Cargo.lock""#,
            r#""workspace-member" "app"@"0.1.0" "app/sub/Cargo.lock""#
        ]
    );
    assert_eq!(doc["files"].as_array().unwrap().len(), 2);
}

#[test]
fn output_file_flag_writes_the_file_and_nothing_to_stdout() {
    let dir = project();
    let out = run(&["sbom", ".", "-o", "bom.json"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let bom: Value = serde_json::from_slice(&fs::read(dir.path().join("bom.json")).unwrap()).unwrap();
    assert_eq!(bom["bomFormat"], "CycloneDX");
}

#[test]
fn a_single_lockfile_path_is_scanned_with_the_path_as_given() {
    let dir = project();
    let out = run(&["sbom", "app/sub/Cargo.lock", "-f", "json"], dir.path());
    let doc = stdout_json(&out);
    assert_eq!(doc["packages"].as_array().unwrap().len(), 3);
    assert_eq!(doc["packages"][0]["location"]["path"], "app/sub/Cargo.lock");
}

#[test]
fn skip_dir_by_name_and_by_path_and_default_skips() {
    let dir = project();
    let root = dir.path();
    for skipped in ["node_modules/x", ".git/y", "vendor/z"] {
        fs::create_dir_all(root.join(skipped)).unwrap();
        fs::copy(fixtures().join("inventory/cargo/v1/Cargo.lock"), root.join(skipped).join("Cargo.lock")).unwrap();
    }
    let files = |args: &[&str]| -> Vec<String> {
        let doc = stdout_json(&run(args, root));
        doc["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(files(&["sbom", ".", "-f", "json"]), ["app/Cargo.lock", "app/sub/Cargo.lock"]);
    assert_eq!(files(&["sbom", ".", "-f", "json", "--skip-dir", "sub"]), ["app/Cargo.lock"]);
    assert_eq!(files(&["sbom", ".", "-f", "json", "--skip-dir", "app/sub"]), ["app/Cargo.lock"]);
    assert_eq!(
        files(&["sbom", ".", "-f", "json", "--no-default-skips"]),
        [
            ".git/y/Cargo.lock",
            "app/Cargo.lock",
            "app/sub/Cargo.lock",
            "node_modules/x/Cargo.lock",
            "vendor/z/Cargo.lock"
        ]
    );
}

#[cfg(unix)]
#[test]
fn symlinks_out_of_the_root_are_not_followed() {
    let outside = project();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::os::unix::fs::symlink(outside.path().join("app/Cargo.lock"), root.join("Cargo.lock")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("app"), root.join("linked-dir")).unwrap();
    fs::create_dir(root.join("inside")).unwrap();
    fs::copy(fixtures().join("inventory/cargo/v1/Cargo.lock"), root.join("inside/real.lock")).unwrap();
    std::os::unix::fs::symlink("real.lock", root.join("inside/Cargo.lock")).unwrap();

    let out = run(&["sbom", ".", "-f", "json"], root);
    let doc = stdout_json(&out);
    let files: Vec<&str> = doc["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(files, ["inside/Cargo.lock"], "only the symlink that stays inside the root is read");
    let warnings = doc["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].as_str().unwrap().starts_with("Cargo.lock: symlink leads outside"));
}

#[test]
fn a_missing_path_is_an_error_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["sbom", "does-not-exist"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot scan does-not-exist"), "{stderr}");
}

/// Writes `content` as `bad/Cargo.lock` beside a good lockfile, scans, and returns the
/// exit code, the error lines and the number of packages still found.
fn scan_with_bad_file(name: &str, content: &[u8]) -> (Option<i32>, Vec<String>, usize) {
    let dir = project();
    fs::create_dir_all(dir.path().join("bad")).unwrap();
    fs::write(dir.path().join("bad").join(name), content).unwrap();
    let out = run(&["sbom", ".", "-f", "json"], dir.path());
    let doc = stdout_json(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<String> = stderr.lines().filter(|l| l.starts_with("error:")).map(str::to_string).collect();
    (out.status.code(), errors, doc["packages"].as_array().unwrap().len())
}

/// An empty lockfile is a broken one, not a project without dependencies (issue #12:
/// no silent passes): an error naming it, while the rest is still read.
#[test]
fn hostile_empty_file_is_an_error_naming_it_and_keeps_scanning() {
    let (code, errors, packages) = scan_with_bad_file("Cargo.lock", b"");
    assert_eq!((code, packages), (Some(2), 7));
    assert_eq!(
        errors,
        ["error: bad/Cargo.lock: empty file: a Cargo.lock lists the packages to check, and this one lists none; \
          regenerate it with cargo generate-lockfile"]
    );
}

#[test]
fn hostile_binary_junk_names_the_file_and_keeps_scanning() {
    let junk: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    let (code, errors, packages) = scan_with_bad_file("Cargo.lock", &junk);
    assert_eq!(code, Some(2));
    assert_eq!(packages, 7, "the good files are still reported");
    assert_eq!(errors.len(), 1);
    assert!(errors[0].starts_with("error: bad/Cargo.lock:1: not valid UTF-8"), "{errors:?}");
}

#[test]
fn hostile_invalid_utf8_names_the_line() {
    let (code, errors, _) = scan_with_bad_file("Cargo.lock", b"version = 3\n\n[[package]]\nname = \"\xff\xfe\"\n");
    assert_eq!(code, Some(2));
    assert_eq!(errors, ["error: bad/Cargo.lock:4: not valid UTF-8 text"]);
}

#[test]
fn hostile_truncated_file_names_the_line() {
    let good = fs::read_to_string(fixtures().join("inventory/cargo/v3/Cargo.lock")).unwrap();
    let cut = &good[..good.find("source = \"git+").unwrap() + 14];
    let (code, errors, packages) = scan_with_bad_file("Cargo.lock", cut.as_bytes());
    assert_eq!((code, packages), (Some(2), 7));
    assert_eq!(errors.len(), 1);
    assert!(errors[0].starts_with("error: bad/Cargo.lock:34: invalid TOML"), "{errors:?}");
}

#[test]
fn hostile_deeply_nested_toml_is_an_error_not_a_crash() {
    let deep = format!("x = {}1{}\n", "[".repeat(200_000), "]".repeat(200_000));
    let (code, errors, packages) = scan_with_bad_file("Cargo.lock", deep.as_bytes());
    assert_eq!((code, packages), (Some(2), 7));
    assert!(errors[0].starts_with("error: bad/Cargo.lock:1: invalid TOML"), "{errors:?}");
}

#[test]
fn hostile_50_mb_file_is_parsed_in_bounded_time() {
    // 50 MB of comment lines and one real package: read, parsed, and reported.
    let mut big = String::with_capacity(52 << 20);
    while big.len() < 50 << 20 {
        big.push_str("# padding padding padding padding padding padding padding padding padding\n");
    }
    big.push_str("[[package]]\nname = \"zz-big\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n");
    let started = std::time::Instant::now();
    let (code, errors, packages) = scan_with_bad_file("Cargo.lock", big.as_bytes());
    assert_eq!((code, errors.len(), packages), (Some(0), 0, 8));
    assert!(started.elapsed().as_secs() < 60, "took {:?}", started.elapsed());
}

#[test]
fn unreadable_lockfile_name_that_is_a_directory_is_skipped() {
    let dir = project();
    fs::create_dir_all(dir.path().join("weird/Cargo.lock")).unwrap();
    let out = run(&["sbom", ".", "-f", "json"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout_json(&out)["packages"].as_array().unwrap().len(), 7);
}

#[test]
fn help_texts_describe_every_flag() {
    let out = customs().args(["sbom", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in ["--format", "--output", "--skip-dir", "--no-default-skips", "cyclonedx", "spdx"] {
        assert!(help.contains(flag), "sbom --help lacks {flag}:\n{help}");
    }
}

#[test]
fn the_schema_check_itself_rejects_a_broken_bom() {
    let broken =
        serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"type": "library"}]});
    assert!(!schema_errors("bom-1.6.schema.json", &broken).is_empty());
}

#[test]
fn npm_hidden_lockfile_is_read_only_when_the_project_has_no_lockfile() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let hidden = fs::read(fixtures().join("inventory/npm/hidden/node_modules/.package-lock.json")).unwrap();
    for project in ["installed-only", "with-lockfile"] {
        fs::create_dir_all(root.join(project).join("node_modules")).unwrap();
        fs::write(root.join(project).join("node_modules/.package-lock.json"), &hidden).unwrap();
    }
    fs::copy(fixtures().join("inventory/npm/v3/package-lock.json"), root.join("with-lockfile/package-lock.json"))
        .unwrap();
    let doc = stdout_json(&run(&["sbom", ".", "-f", "json"], root));
    let files: Vec<&str> = doc["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(files, ["installed-only/node_modules/.package-lock.json", "with-lockfile/package-lock.json"]);
}

#[test]
fn a_file_included_twice_reports_its_packages_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(root.join("requirements.txt"), "-r requirements-common.txt\nflask==2.0.0\n").unwrap();
    fs::write(root.join("requirements-dev.txt"), "-r requirements-common.txt\npytest==7.0.0\n").unwrap();
    fs::write(root.join("requirements-common.txt"), "requests==2.19.0\n").unwrap();
    let doc = stdout_json(&run(&["sbom", ".", "-f", "json"], root));
    let packages: Vec<String> = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}:{} {}",
                p["location"]["path"].as_str().unwrap(),
                p["location"]["line"],
                p["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        packages,
        ["requirements-common.txt:1 requests", "requirements-dev.txt:2 pytest", "requirements.txt:2 flask"]
    );
}

#[test]
fn hostile_deeply_nested_json_is_an_error_not_a_crash() {
    let deep = format!("{{\"lockfileVersion\": 3, \"packages\": {}{}}}", "[".repeat(100_000), "]".repeat(100_000));
    let (code, errors, packages) = scan_with_bad_file("package-lock.json", deep.as_bytes());
    assert_eq!((code, packages), (Some(2), 7));
    assert_eq!(errors.len(), 1);
    assert!(errors[0].starts_with("error: bad/package-lock.json:1: invalid JSON"), "{errors:?}");
}

#[test]
fn hostile_deeply_nested_yaml_is_an_error_not_a_crash() {
    let deep = format!("lockfileVersion: '9.0'\npackages:\n  x: {}\n", "[".repeat(200_000));
    let started = std::time::Instant::now();
    let (code, errors, packages) = scan_with_bad_file("pnpm-lock.yaml", deep.as_bytes());
    assert_eq!((code, packages), (Some(2), 7));
    assert_eq!(errors, ["error: bad/pnpm-lock.yaml:3: YAML nested more than 64 levels deep"]);
    assert!(started.elapsed().as_secs() < 20);
}

#[test]
fn hostile_yaml_alias_bomb_is_an_error_not_a_memory_blowup() {
    let mut bomb = String::from("lockfileVersion: '9.0'\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let prev = format!("*a{}", i - 1);
        bomb.push_str(&format!("a{i}: &a{i} [{}]\n", [prev.as_str(); 10].join(", ")));
    }
    // 10^12 nodes if expanded, under a key the parser passes over.
    bomb.push_str("ignored: *a11\npackages: {}\n");
    let started = std::time::Instant::now();
    let (code, errors, packages) = scan_with_bad_file("pnpm-lock.yaml", bomb.as_bytes());
    assert_eq!((code, errors.len(), packages), (Some(0), 0, 7), "{errors:?}");
    assert!(started.elapsed().as_secs() < 10, "took {:?}", started.elapsed());
}

#[test]
fn hostile_xml_entity_bomb_is_refused() {
    let bomb = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<project><dependencies><dependency><groupId>&lol2;</groupId><artifactId>a</artifactId><version>1</version></dependency></dependencies></project>"#;
    let (code, errors, packages) = scan_with_bad_file("pom.xml", bomb.as_bytes());
    assert_eq!((code, packages), (Some(2), 7));
    assert!(errors[0].starts_with("error: bad/pom.xml"), "{errors:?}");
}
