//! `policy: signatures:` in `customs.yaml`, enforced by `scan --image` against a real
//! `docker-registry`: images signed here the way `cosign sign --key` signs (ECDSA P-256,
//! simple-signing payload, signature manifest at `sha256-<hex>.sig`), and the issue's
//! acceptance scenario together with the base-image allowlist and layer ancestry.

mod common;
mod support_registry;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine;
use common::*;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use serde_json::{json, Value};
use support_registry::{debian_archive, Kind, Registry, OCI_CONFIG, OCI_LAYER_GZIP, OCI_MANIFEST};

const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";

/// An ECDSA P-256 key pair as cosign makes them (copied from tests/verify.rs).
struct Signer {
    pair: EcdsaKeyPair,
    rng: SystemRandom,
}

impl Signer {
    fn new() -> Signer {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng).unwrap();
        Signer { pair, rng }
    }

    /// Writes the public key as PEM SubjectPublicKeyInfo.
    fn write_public_key(&self, path: &Path) {
        let mut spki = vec![
            0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01, 0x06, 0x08, 0x2A, 0x86, 0x48,
            0xCE, 0x3D, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
        ];
        spki.extend_from_slice(self.pair.public_key().as_ref());
        let b64 = base64::engine::general_purpose::STANDARD.encode(&spki);
        let lines: Vec<&str> = b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
        std::fs::write(path, format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", lines.join("\n")))
            .unwrap();
    }

    /// Signs `repo`'s image `digest` and PUTs the signature manifest at `sha256-<hex>.sig`.
    fn sign(&self, registry: &Registry, repo: &str, digest: &str) {
        let payload = serde_json::to_vec(&json!({
            "critical": {
                "identity": {"docker-reference": format!("{}/{repo}", registry.host())},
                "image": {"docker-manifest-digest": digest},
                "type": "cosign container image signature",
            },
            "optional": null,
        }))
        .unwrap();
        let signature = self.pair.sign(&self.rng, &payload).unwrap();
        let signature = base64::engine::general_purpose::STANDARD.encode(signature.as_ref());
        let config = b"{}";
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": registry.upload_blob(repo, config), "size": config.len()},
            "layers": [{
                "mediaType": SIMPLE_SIGNING,
                "digest": registry.upload_blob(repo, &payload),
                "size": payload.len(),
                "annotations": {SIGNATURE_ANNOTATION: signature},
            }],
        }))
        .unwrap();
        registry.put_manifest(repo, &format!("{}.sig", digest.replacen(':', "-", 1)), OCI_MANIFEST, &manifest);
    }
}

fn tool(program: &str, args: &[&str]) {
    let out = Command::new(program).args(args).output().unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A tar with one small file.
fn layer_tar(name: &str, content: &[u8]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(content.len() as u64);
    header.set_mode(0o644);
    builder.append_data(&mut header, name, content).unwrap();
    builder.into_inner().unwrap()
}

fn sha256(bytes: &[u8]) -> String {
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
        "rootfs": {"type": "layers", "diff_ids": [tiny.diff_id, sha256(&app)]},
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
    let signer = Signer::new();
    signer.write_public_key(&dir.join("cosign.pub"));
    Signer::new().write_public_key(&dir.join("other.pub"));

    let signed = push_tiny_app(&registry, "signed/app", "1");
    signer.sign(&registry, "signed/app", &signed);
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
    let layout = dir.join("layout");
    let layout_s = layout.to_str().unwrap();
    let bookworm = format!("oci:{layout_s}:bookworm");
    tool("skopeo", &["copy", "-q", &format!("oci-archive:{}:bookworm", debian_archive().display()), &bookworm]);
    let layer = dir.join("app-layer.tar");
    std::fs::write(&layer, layer_tar("srv/hello.txt", b"hello\n")).unwrap();
    tool(
        "umoci",
        &["raw", "add-layer", "--image", &format!("{layout_s}:bookworm"), "--tag", "app", layer.to_str().unwrap()],
    );
    layout
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
    let signer = Signer::new();
    std::fs::create_dir_all(dir.join("keys")).unwrap();
    signer.write_public_key(&dir.join("keys/cosign.pub"));

    registry.push_debian("base/debian:12");
    let layout = debian_app_layout(&registry.scratch("build"));
    let compliant = push_layout(&registry, &layout, "apps/web:1");
    signer.sign(&registry, "apps/web", &compliant);
    push_layout(&registry, &layout, "apps/unsigned:1");
    let unapproved = push_tiny_app(&registry, "apps/legacy", "1");
    signer.sign(&registry, "apps/legacy", &unapproved);

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
    Signer::new().write_public_key(&dir.path().join("good.pub"));
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
