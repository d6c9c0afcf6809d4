//! `policy: base-images:` in `customs.yaml`: the base-image allowlist and digest
//! requirement, checked on `scan --dockerfile` through the CLI.

mod common;

use std::fs;
use std::path::Path;

use common::*;

const DIGEST: &str = "sha256:c6491d915028ac76ad7f528562ad372dc09d20e486d12fa2e301c21aed300d18";

const POLICY: &str =
    "policy:\n  base-images:\n    allowed:\n      - docker.io/library/debian:12*\n      - gcr.io/distroless/*\n";

fn scan(dir: &Path, extra: &[&str]) -> std::process::Output {
    let osv = shared().join("osv");
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("base-image-test-cache");
    let mut args = vec!["--cache-dir", cache.to_str().unwrap(), "scan", "--db", osv.to_str().unwrap()];
    args.extend_from_slice(extra);
    run(&args, dir)
}

/// A project with `customs.yaml` and a Dockerfile, scanned with `--dockerfile` in JSON.
fn project(config: &str, dockerfile: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("customs.yaml"), config).unwrap();
    fs::write(dir.path().join("Dockerfile"), dockerfile).unwrap();
    fs::write(dir.path().join("requirements.txt"), "markupsafe==2.1.5\n").unwrap();
    dir
}

/// `(rule, line, message)` of every CUSTOMS-BASE finding.
fn base_findings(out: &std::process::Output) -> Vec<(String, u64, String)> {
    let doc = stdout_json(out);
    let empty = Vec::new();
    doc["policy"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .filter(|p| p["rule"].as_str().unwrap().starts_with("CUSTOMS-BASE-"))
        .map(|p| {
            (
                p["rule"].as_str().unwrap().to_string(),
                p["location"]["line"].as_u64().unwrap(),
                p["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn scan_json(dir: &Path) -> std::process::Output {
    scan(dir, &[".", "--dockerfile", "Dockerfile", "--fail-on", "high", "-f", "json"])
}

#[test]
fn an_allowed_base_passes_the_high_gate() {
    let dir = project(POLICY, "FROM debian:12-slim\nFROM gcr.io/distroless/static:nonroot\n");
    let out = scan_json(dir.path());
    assert_eq!(base_findings(&out), []);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_disallowed_base_fails_at_its_from_line() {
    let dir = project(POLICY, "FROM debian:12 AS build\nRUN make\nFROM ubuntu:24.04\nUSER app\n");
    let out = scan_json(dir.path());
    assert_eq!(out.status.code(), Some(1));
    let found = base_findings(&out);
    assert_eq!(found.len(), 1, "{found:?}");
    let (rule, line, message) = &found[0];
    assert_eq!((rule.as_str(), *line), ("CUSTOMS-BASE-001", 3));
    assert!(message.contains("ubuntu:24.04") && message.contains("line 3"), "{message}");
    // A requirement of the policy blocks whatever --fail-on says; the Dockerfile's
    // hygiene findings (medium and below here) follow the threshold.
    let critical = scan(dir.path(), &[".", "--dockerfile", "Dockerfile", "--fail-on", "critical"]);
    assert_eq!(critical.status.code(), Some(1));
    // Without a policy the same Dockerfile has no base-image findings.
    let plain = project("scan:\n  fail-on: high\n", "FROM ubuntu:24.04\nUSER app\n");
    assert_eq!(base_findings(&scan_json(plain.path())), []);
}

#[test]
fn require_digest_flags_unpinned_bases_only() {
    let config = format!("{POLICY}    require-digest: true\n");
    let dockerfile = format!("FROM debian:12@{DIGEST} AS build\nFROM debian:12-slim\nUSER app\n");
    let dir = project(&config, &dockerfile);
    let out = scan(dir.path(), &[".", "--dockerfile", "Dockerfile", "--fail-on", "medium", "-f", "json"]);
    let found: Vec<(String, u64)> = base_findings(&out).into_iter().map(|(r, l, _)| (r, l)).collect();
    assert_eq!(found, [("CUSTOMS-BASE-002".to_string(), 2)]);
    assert_eq!(out.status.code(), Some(1));
    // Medium, but a requirement the project wrote: no severity gate lets it through.
    assert_eq!(scan_json(dir.path()).status.code(), Some(1));
}

#[test]
fn stage_aliases_and_scratch_are_never_flagged() {
    let config = "policy:\n  base-images:\n    require-digest: true\n    allowed: []\n";
    let dir = project(config, "FROM scratch AS base\nCOPY app /app\nFROM base\nUSER 10001\n");
    let out = scan_json(dir.path());
    assert_eq!(base_findings(&out), []);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn an_unresolved_build_arg_is_not_allowed() {
    let dir = project(POLICY, "ARG BASE\nFROM ${BASE}\nUSER app\n");
    let out = scan_json(dir.path());
    assert_eq!(out.status.code(), Some(1));
    let found = base_findings(&out);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].0.as_str(), found[0].1), ("CUSTOMS-BASE-001", 2));
    assert!(found[0].2.contains("has no value"), "{}", found[0].2);
}

#[test]
fn an_invalid_policy_is_an_input_error_naming_the_file() {
    for config in [
        "policy:\n  base-images:\n    allow: [debian]\n",
        "policy:\n  base-image:\n    allowed: [debian]\n",
        "policy:\n  base-images:\n    allowed: [\"debian@sha256:abc\"]\n",
        "policy:\n  base-images:\n    require-digest: maybe\n",
    ] {
        let dir = project(config, "FROM debian:12\n");
        let out = scan(dir.path(), &[".", "--dockerfile", "Dockerfile"]);
        assert_eq!(out.status.code(), Some(2), "{config}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("customs.yaml"), "{config}: {stderr}");
    }
}

#[test]
fn the_policy_is_read_from_config() {
    let dir = project("scan:\n  fail-on: high\n", "FROM ubuntu:24.04\nUSER app\n");
    fs::create_dir(dir.path().join("ci")).unwrap();
    fs::write(dir.path().join("ci/strict.yaml"), POLICY).unwrap();
    let out = scan(dir.path(), &[".", "--dockerfile", "Dockerfile", "--config", "ci/strict.yaml", "-f", "json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(base_findings(&out)[0].0, "CUSTOMS-BASE-001");
}

/// A one-layer OCI layout tagged `app` whose manifest carries `annotations`.
fn layout_with_annotations(dir: &Path, annotations: serde_json::Value) {
    use serde_json::json;
    use std::io::Write;
    let blobs = dir.join("blobs/sha256");
    fs::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8], media_type: &str| {
        let digest = customs::image::digest::Digest::sha256_of(bytes);
        fs::write(blobs.join(&digest.hex), bytes).unwrap();
        json!({"mediaType": media_type, "digest": digest.to_string(), "size": bytes.len()})
    };
    let mut layer = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(5);
    header.set_mode(0o644);
    layer.append_data(&mut header, "etc/hello", &b"hello"[..]).unwrap();
    let layer = layer.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&layer).unwrap();
    let gz = gz.finish().unwrap();
    let diff_id = customs::image::digest::Digest::sha256_of(&layer).to_string();
    let config = json!({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [diff_id]}});
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": put(config.to_string().as_bytes(), "application/vnd.oci.image.config.v1+json"),
        "layers": [put(&gz, "application/vnd.oci.image.layer.v1.tar+gzip")],
        "annotations": annotations,
    });
    let mut top = put(manifest.to_string().as_bytes(), "application/vnd.oci.image.manifest.v1+json");
    top["annotations"] = json!({"org.opencontainers.image.ref.name": "app"});
    fs::write(dir.join("index.json"), json!({"schemaVersion": 2, "manifests": [top]}).to_string()).unwrap();
    fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
}

#[test]
fn an_image_is_checked_by_its_base_annotations() {
    let config = format!("{POLICY}    require-digest: true\n");
    let dir = project(&config, "FROM debian:12\n");
    let scan_image = |annotations: serde_json::Value| {
        let layout = dir.path().join("layout");
        let _ = fs::remove_dir_all(&layout);
        layout_with_annotations(&layout, annotations);
        let image = format!("oci:{}:app", layout.display());
        scan(dir.path(), &["--image", &image, "--fail-on", "high", "-f", "json"])
    };

    let out = scan_image(serde_json::json!({
        "org.opencontainers.image.base.name": "docker.io/library/alpine:3.20",
    }));
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let doc = stdout_json(&out);
    let found: Vec<(&str, bool)> = doc["policy"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["rule"].as_str().unwrap(), p["location"]["line"].is_null()))
        .collect();
    assert_eq!(found, [("CUSTOMS-BASE-001", true), ("CUSTOMS-BASE-002", true)]);
    assert!(doc["policy"][0]["message"].as_str().unwrap().contains("alpine:3.20"));

    let out = scan_image(serde_json::json!({
        "org.opencontainers.image.base.name": "docker.io/library/debian:12-slim",
        "org.opencontainers.image.base.digest": DIGEST,
    }));
    assert_eq!(base_findings(&out), []);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));

    // Without annotations the allowlist is checked by layer ancestry; glob patterns
    // cannot be enumerated, so nothing can be checked: not allowed (fail closed).
    let out = scan_image(serde_json::json!({}));
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let doc = stdout_json(&out);
    let policy = doc["policy"].as_array().unwrap();
    assert_eq!(policy.len(), 1, "{policy:?}");
    assert_eq!(policy[0]["rule"], "CUSTOMS-BASE-001");
    let message = policy[0]["message"].as_str().unwrap();
    assert!(message.contains("no org.opencontainers.image.base.name annotation"), "{message}");
    assert!(message.contains("glob patterns cannot be enumerated"), "{message}");
}
