//! `policy: signatures:` in `customs.yaml`, enforced by `scan --image` against a real
//! `docker-registry`: images signed here the way `cosign sign --key` signs (ECDSA P-256,
//! simple-signing payload, signature manifest at `sha256-<hex>.sig`), and the issue's
//! acceptance scenario together with the base-image allowlist and layer ancestry.

mod common;
mod support_registry;
mod support_sigstore;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use serde_json::{json, Value};
use support_registry::{debian_archive, layer_tar, Kind, Registry, OCI_CONFIG, OCI_LAYER_GZIP, OCI_MANIFEST};
use support_sigstore::{cosign_key_signature, simple_signing_payload, KeySigner};

/// Signs `repo`'s image `digest` with `signer` and PUTs the signature manifest at
/// `sha256-<hex>.sig`, as `cosign sign --key` does.
fn sign(signer: &KeySigner, registry: &Registry, repo: &str, digest: &str) {
    let (payload, annotations) = cosign_key_signature(signer, &format!("{}/{repo}", registry.host()), digest);
    registry.put_cosign_signatures(repo, digest, &[(&payload, annotations)]);
}

fn tool(program: &str, args: &[&str]) {
    common::tools::run(program, args);
}

fn digest_of(bytes: &[u8]) -> String {
    customs::image::digest::Digest::sha256_of(bytes).to_string()
}

/// The tiny image plus an application layer, no base annotation, pushed as `repo:tag`;
/// returns the manifest digest.
fn push_tiny_app(registry: &Registry, repo: &str, tag: &str) -> String {
    let tiny = support_registry::TinyImage::new("amd64");
    registry.upload_blob(repo, &tiny.layer);
    let app = layer_tar("srv/app.txt", b"app\n");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&app).unwrap();
    let gz = gz.finish().unwrap();
    let app_digest = registry.upload_blob(repo, &gz);
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [tiny.diff_id, digest_of(&app)]},
    }))
    .unwrap();
    let config_digest = registry.upload_blob(repo, &config);
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": config.len()},
        "layers": [
            {"mediaType": OCI_LAYER_GZIP, "digest": tiny.layer_digest, "size": tiny.layer.len()},
            {"mediaType": OCI_LAYER_GZIP, "digest": app_digest, "size": gz.len()},
        ],
    }))
    .unwrap();
    registry.put_manifest(repo, tag, OCI_MANIFEST, &manifest)
}

/// Writes `customs.yaml` in `dir` and scans `image` with it; `--db` is the small shared
/// OSV folder, so nothing is downloaded.
fn scan(registry: &Registry, dir: &Path, config: &str, image: &str, extra: &[&str]) -> Output {
    std::fs::write(dir.join("customs.yaml"), config).unwrap();
    let osv = shared().join("osv");
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("policy-signatures-cache");
    let host = registry.host();
    let mut args = vec![
        "--cache-dir",
        cache.to_str().unwrap(),
        "scan",
        "--db",
        osv.to_str().unwrap(),
        "--image",
        image,
        "--insecure-registry",
        &host,
    ];
    args.extend_from_slice(extra);
    run(&args, dir)
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// `(rule, message)` of every policy finding in a JSON report.
fn policy(out: &Output) -> Vec<(String, String)> {
    let doc: Value = stdout_json(out);
    doc["policy"]
        .as_array()
        .map(|list| {
            list.iter().map(|p| (p["rule"].as_str().unwrap().into(), p["message"].as_str().unwrap().into())).collect()
        })
        .unwrap_or_default()
}

fn key_policy(host: &str, key: &str) -> String {
    format!("policy:\n  signatures:\n    - images: [\"{host}/signed/**\"]\n      keys: [{key}]\n")
}

#[test]
fn key_signatures_are_required_for_the_images_a_rule_matches() {
    let registry = Registry::start(Kind::Http);
    let host = registry.host();
    let dir = registry.scratch("project");
    let signer = KeySigner::new();
    signer.write_public_key(&dir.join("cosign.pub"));
    KeySigner::new().write_public_key(&dir.join("other.pub"));

    let signed = push_tiny_app(&registry, "signed/app", "1");
    sign(&signer, &registry, "signed/app", &signed);
    push_tiny_app(&registry, "signed/unsigned", "1");
    push_tiny_app(&registry, "outside/app", "1");
    let config = key_policy(&host, "cosign.pub");

    // Signed with the key: passes, with a notice naming the signature.
    let out = scan(&registry, &dir, &config, &format!("{host}/signed/app:1"), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("signature verified: key sha256:") && stderr.contains(".sig"), "{stderr}");

    // Unsigned, in the pattern: CUSTOMS-SIG-001 in the table and in JSON.
    let unsigned = format!("{host}/signed/unsigned:1");
    let out = scan(&registry, &dir, &config, &unsigned, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    // A required signature is not a severity: the critical gate blocks it too.
    let out = scan(&registry, &dir, &config, &unsigned, &["--fail-on", "critical"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("CUSTOMS-SIG-001"), "{table}");
    let out = scan(&registry, &dir, &config, &unsigned, &["-f", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let found = policy(&out);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "CUSTOMS-SIG-001");
    assert!(found[0].1.contains("no signature"), "{}", found[0].1);
    let doc = stdout_json(&out);
    assert_eq!(doc["policy"][0]["name"], "image-signature-not-verified");
    assert_eq!(doc["policy"][0]["severity"], "high");
    assert_eq!(doc["policy"][0]["location"]["path"], doc["image"]["reference"]);
    let out = scan(&registry, &dir, &config, &unsigned, &["-f", "sarif"]);
    let sarif = stdout_json(&out);
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["id"] == "CUSTOMS-SIG-001"), "SARIF lists the rule");

    // Outside the pattern: no signature is required.
    let out = scan(&registry, &dir, &config, &format!("{host}/outside/app:1"), &["-f", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(policy(&out), []);

    // Signed, but the policy names another key.
    let out = scan(&registry, &dir, &key_policy(&host, "other.pub"), &format!("{host}/signed/app:1"), &["-f", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let found = policy(&out);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].0 == "CUSTOMS-SIG-001" && found[0].1.contains("bad signature"), "{found:?}");

    // `**` covers every image: an archive has no registry to hold signatures (fail closed).
    let config = "policy:\n  signatures:\n    - images: [\"**\"]\n      keys: [cosign.pub]\n";
    let archive = format!("oci-archive:{}:bookworm", debian_archive().display());
    let out = scan(&registry, &dir, config, &archive, &["-f", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let found = policy(&out);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].1.contains("not in a registry: its signatures cannot be checked"), "{found:?}");
}

/// An OCI layout with `bookworm` (the shared Debian image) and `app` (bookworm plus a
/// layer, no base annotation, as umoci writes it).
fn debian_app_layout(dir: &Path) -> PathBuf {
    support_registry::debian_plus_layer(dir, "app", &layer_tar("srv/hello.txt", b"hello\n"))
}

fn push_layout(registry: &Registry, layout: &Path, repo_tag: &str) -> String {
    let source = format!("oci:{}:app", layout.display());
    let dest = format!("docker://{}/{repo_tag}", registry.host());
    tool("skopeo", &["--insecure-policy", "copy", "-q", "--dest-tls-verify=false", &source, &dest]);
    registry.skopeo_digest(repo_tag)
}

/// The issue's acceptance scenario: "A policy requiring signatures and allowed bases
/// blocks (exit 1) an image on an unapproved base, identifies the base of an
/// un-annotated image by its layers, and passes a compliant one."
#[test]
fn signatures_and_allowed_bases_together() {
    let registry = Registry::start(Kind::Http);
    let host = registry.host();
    let dir = registry.scratch("project");
    let signer = KeySigner::new();
    std::fs::create_dir_all(dir.join("keys")).unwrap();
    signer.write_public_key(&dir.join("keys/cosign.pub"));

    registry.push_debian("base/debian:12");
    let layout = debian_app_layout(&registry.scratch("build"));
    let compliant = push_layout(&registry, &layout, "apps/web:1");
    sign(&signer, &registry, "apps/web", &compliant);
    push_layout(&registry, &layout, "apps/unsigned:1");
    let unapproved = push_tiny_app(&registry, "apps/legacy", "1");
    sign(&signer, &registry, "apps/legacy", &unapproved);

    let config = format!(
        "policy:\n  base-images:\n    allowed: [\"{host}/base/debian:12\"]\n  signatures:\n    - images: [\"{host}/apps/**\"]\n      keys: [keys/cosign.pub]\n      check-reference: true\n"
    );

    let out = scan(&registry, &dir, &config, &format!("{host}/apps/web:1"), &["-f", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(stderr.contains(&format!("built on {host}/base/debian:12")), "{stderr}");
    assert!(stderr.contains("signature verified"), "{stderr}");
    assert_eq!(policy(&out), []);

    let out = scan(&registry, &dir, &config, &format!("{host}/apps/legacy:1"), &["-f", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let rules: Vec<String> = policy(&out).into_iter().map(|(rule, _)| rule).collect();
    assert_eq!(rules, ["CUSTOMS-BASE-001"], "signed, so only the base is wrong");

    let out = scan(&registry, &dir, &config, &format!("{host}/apps/unsigned:1"), &["-f", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let rules: Vec<String> = policy(&out).into_iter().map(|(rule, _)| rule).collect();
    assert_eq!(rules, ["CUSTOMS-SIG-001"], "on the approved base, so only the signature is missing");
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("built on {host}/base/debian:12")));
}

#[test]
fn invalid_signature_rules_are_input_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.pub"), "not a key").unwrap();
    KeySigner::new().write_public_key(&dir.path().join("good.pub"));
    let rule = |body: &str| format!("policy:\n  signatures:\n    - images: [\"r.example/**\"]\n{body}");
    for (config, needle) in [
        (rule("      keys: [missing.pub]\n"), "cannot read"),
        (rule("      keys: [bad.pub]\n"), "PUBLIC KEY"),
        (
            rule("      trusted-root: t.json\n      keyless: [{identity-regexp: '(', issuer: https://i}]\n"),
            "invalid regular expression",
        ),
        (rule("      keyless: [{identity: a@b.c, issuer: https://i}]\n"), "needs `trusted-root`"),
        (
            rule("      trusted-root: t.json\n      keyless: [{identity: a@b.c}]\n"),
            "`issuer` (or `issuer-regexp`) is missing",
        ),
        (
            rule("      trusted-root: t.json\n      keyless: [{identity: a, identity-regexp: b, issuer: https://i}]\n"),
            "not both",
        ),
        ("policy:\n  signatures:\n    - images: []\n      keys: [good.pub]\n".to_string(), "`images` is empty"),
        (rule("      keys: [good.pub]\n      trusted-root: missing.json\n"), "trusted-root: cannot read"),
        (rule("      key: [good.pub]\n"), "unknown field"),
    ] {
        std::fs::write(dir.path().join("customs.yaml"), &config).unwrap();
        let out = run(&["scan", "."], dir.path());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{config}: {stderr}");
        assert!(stderr.contains("customs.yaml") && stderr.contains(needle), "{config}: want {needle:?} in {stderr}");
    }
}

/// Keyless rules in the policy, end to end: a workflow identity by regular expression,
/// checked against a trust root next to `customs.yaml` (test Fulcio CA, Rekor and CT
/// log from tests/support_sigstore).
#[test]
fn keyless_rules_with_a_trust_root() {
    use support_sigstore::{hashedrekord_body, keyless_annotations, Subject, TestSigstore};

    let registry = Registry::start(Kind::Http);
    let host = registry.host();
    let dir = registry.scratch("project");
    let sigstore = TestSigstore::new();
    std::fs::create_dir_all(dir.join("sigstore")).unwrap();
    std::fs::write(dir.join("sigstore/trusted_root.json"), sigstore.trusted_root()).unwrap();
    let issuer = "https://token.actions.test";
    let sign_keyless = |repo: &str, subject: &str| {
        let digest = push_tiny_app(&registry, repo, "1");
        let leaf = sigstore.issue(Subject::Uri(subject.into()), issuer);
        let payload = simple_signing_payload(&format!("{host}/{repo}"), &digest);
        let signature = leaf.sign(&payload);
        let body = hashedrekord_body(&payload, &signature, &leaf.pem());
        let annotations = keyless_annotations(&sigstore, &leaf, &signature, Some(&body));
        registry.put_cosign_signatures(repo, &digest, &[(&payload, annotations)]);
    };
    sign_keyless("apps/web", "https://github.test/acme/web/.github/workflows/release.yml@refs/tags/v1");
    sign_keyless("apps/forked", "https://github.test/mallory/web/.github/workflows/release.yml@refs/tags/v1");
    let config = format!(
        "policy:\n  signatures:\n    - images: [\"{host}/apps/**\"]\n      trusted-root: sigstore/trusted_root.json\n      keyless:\n        - identity-regexp: 'https://github\\.test/acme/.*'\n          issuer: {issuer}\n"
    );

    let out = scan(&registry, &dir, &config, &format!("{host}/apps/web:1"), &["-f", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("signature verified: certificate for https://github.test/acme/web/"), "{stderr}");

    let out = scan(&registry, &dir, &config, &format!("{host}/apps/forked:1"), &["-f", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let found = policy(&out);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].0 == "CUSTOMS-SIG-001" && found[0].1.contains("identity mismatch"), "{found:?}");
}

/// `customs verify REF` without signer flags applies the rules of `customs.yaml` that
/// cover REF: all must pass; none covering REF is an input error.
#[test]
fn verify_applies_the_policy_rules_when_no_signer_is_given() {
    let registry = Registry::start(Kind::Http);
    let host = registry.host();
    let dir = registry.scratch("project");
    let signer = KeySigner::new();
    signer.write_public_key(&dir.join("cosign.pub"));
    let signed = push_tiny_app(&registry, "signed/app", "1");
    sign(&signer, &registry, "signed/app", &signed);
    push_tiny_app(&registry, "signed/unsigned", "1");
    std::fs::write(dir.join("customs.yaml"), key_policy(&host, "cosign.pub")).unwrap();
    let verify = |image: &str, extra: &[&str]| {
        let mut args = vec!["verify", image, "--insecure-registry", &host];
        args.extend_from_slice(extra);
        run(&args, &dir)
    };

    let out = verify(&format!("{host}/signed/app:1"), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains(&format!("Verified OK (policy signatures[0] ({host}/signed/**))")), "{said}");

    let out = verify(&format!("{host}/signed/unsigned:1"), &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let verdict = stdout_json(&out);
    assert_eq!(verdict["verified"], false);
    assert_eq!(verdict["rules"][0]["rule"], format!("policy signatures[0] ({host}/signed/**)"));
    assert_eq!(verdict["rules"][0]["check"], "no-signature");

    let out = verify(&format!("{host}/outside/app:1"), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("no `policy: signatures:` rule covers"), "{}", text(&out));

    // Flags name the signer: the policy is not consulted.
    let other = KeySigner::new().write_public_key(&dir.join("other.pub"));
    let out = verify(&format!("{host}/signed/app:1"), &["--key", other.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

/// cosign signs what the tag names: for a multi-platform image, the index. The scan
/// reads one platform's manifest; the index's signature covers it.
#[test]
fn a_signed_index_covers_the_platform_the_scan_reads() {
    let registry = Registry::start(Kind::Http);
    let host = registry.host();
    let dir = registry.scratch("project");
    let signer = KeySigner::new();
    signer.write_public_key(&dir.join("cosign.pub"));
    let amd64 = registry.push_tiny("signed/multi", "amd64", "amd64");
    let arm64 = registry.push_tiny("signed/multi", "arm64", "arm64/v8");
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": support_registry::OCI_INDEX,
        "manifests": [
            {"mediaType": OCI_MANIFEST, "digest": amd64.manifest_digest, "size": amd64.manifest.len(),
             "platform": {"os": "linux", "architecture": "amd64"}},
            {"mediaType": OCI_MANIFEST, "digest": arm64.manifest_digest, "size": arm64.manifest.len(),
             "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        ],
    }))
    .unwrap();
    let index_digest = registry.put_manifest("signed/multi", "1", support_registry::OCI_INDEX, &index);
    let config = key_policy(&host, "cosign.pub");
    let image = format!("{host}/signed/multi:1");

    // Only the amd64 manifest is signed: the tag names the index, which is not.
    sign(&signer, &registry, "signed/multi", &amd64.manifest_digest);
    let out = scan(&registry, &dir, &config, &image, &["-f", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(policy(&out)[0].1.contains("no signature"), "{:?}", policy(&out));

    sign(&signer, &registry, "signed/multi", &index_digest);
    for platform in ["linux/amd64", "linux/arm64"] {
        let out = scan(&registry, &dir, &config, &image, &["-f", "json", "--platform", platform]);
        assert_eq!(out.status.code(), Some(0), "{platform}: {}", text(&out));
        assert_eq!(policy(&out), [], "{platform}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("signature verified"), "{platform}");
    }
}
