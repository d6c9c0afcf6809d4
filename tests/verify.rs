//! `customs verify REF --key PUB.pem` against a real registry: the Debian image pushed
//! with skopeo, signed here the way cosign signs (ECDSA P-256, simple-signing payload,
//! signature manifest at `sha256-<hex>.sig`).

mod common;
mod support_registry;
mod support_sigstore;

use std::path::Path;
use std::process::Output;

use common::*;
use support_registry::{Kind, Registry};
use support_sigstore::{b64, simple_signing_payload, KeySigner};

/// Signs `payload` with `signer`, as the base64 text cosign's annotation holds.
fn sign(signer: &KeySigner, payload: &[u8]) -> String {
    b64(&signer.sign(payload))
}

fn payload(docker_reference: &str, digest: &str) -> Vec<u8> {
    simple_signing_payload(docker_reference, digest)
}

/// PUTs the signature manifest at `sha256-<hex>.sig` of `repo`, as `cosign sign --key`
/// does: one layer per `(payload, signature)`.
fn put_signatures(registry: &Registry, repo: &str, image_digest: &str, signatures: &[(&[u8], &str)]) {
    let layers: Vec<(&[u8], serde_json::Value)> = signatures
        .iter()
        .map(|(payload, signature)| (*payload, serde_json::json!({"dev.cosignproject.cosign/signature": signature})))
        .collect();
    registry.put_cosign_signatures(repo, image_digest, &layers);
}

fn put_signature(registry: &Registry, repo: &str, image_digest: &str, payload: &[u8], signature: &str) {
    put_signatures(registry, repo, image_digest, &[(payload, signature)]);
}

fn verify(registry: &Registry, image: &str, key: &Path, extra: &[&str]) -> Output {
    let host = registry.host();
    let mut args = vec!["verify", image, "--key", key.to_str().unwrap(), "--insecure-registry", &host];
    args.extend_from_slice(extra);
    run(&args, &crate_dir())
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn assert_exit(out: &Output, code: i32, needle: &str) {
    let all = text(out);
    assert_eq!(out.status.code(), Some(code), "{all}");
    assert!(all.contains(needle), "want {needle:?} in: {all}");
}

#[test]
fn cosign_key_signatures_are_verified_and_every_check_fails_closed() {
    let registry = Registry::start(Kind::Http);
    let host = registry.host();
    let signer = KeySigner::new();
    let other = KeySigner::new();
    let key = signer.write_public_key(&registry.scratch("keys").join("cosign.pub"));
    let wrong_key = other.write_public_key(&registry.scratch("keys").join("other.pub"));

    // Each case has its own repository (the signature tag is per repository).
    let push = |repo: &str| -> String {
        registry.push_debian(&format!("{repo}:1"));
        registry.skopeo_digest(&format!("{repo}:1"))
    };

    // Right key: verified; wrong key: bad signature.
    let digest = push("test/good");
    let reference = format!("{host}/test/good");
    let body = payload(&reference, &digest);
    put_signature(&registry, "test/good", &digest, &body, &sign(&signer, &body));
    let image = format!("{host}/test/good:1");
    let out = verify(&registry, &image, &key, &["--check-reference"]);
    assert_exit(&out, 0, "Verified OK");
    assert!(text(&out).contains(&digest), "{}", text(&out));
    let by_digest = format!("{host}/test/good@{digest}");
    assert_exit(&verify(&registry, &by_digest, &key, &[]), 0, "Verified OK");
    assert_exit(&verify(&registry, &image, &wrong_key, &[]), 1, "bad signature");

    // No .sig tag.
    push("test/unsigned");
    assert_exit(&verify(&registry, &format!("{host}/test/unsigned:1"), &key, &[]), 1, "no signature");

    // A correctly signed payload naming another digest.
    let digest = push("test/other-digest");
    let body = payload(&format!("{host}/test/other-digest"), support_registry::DEBIAN_CONFIG);
    put_signature(&registry, "test/other-digest", &digest, &body, &sign(&signer, &body));
    assert_exit(&verify(&registry, &format!("{host}/test/other-digest:1"), &key, &[]), 1, "digest mismatch");

    // A signature annotation that is not base64.
    let digest = push("test/corrupt");
    let body = payload(&format!("{host}/test/corrupt"), &digest);
    put_signature(&registry, "test/corrupt", &digest, &body, "not base64 at all!");
    assert_exit(&verify(&registry, &format!("{host}/test/corrupt:1"), &key, &[]), 1, "malformed");

    // A payload for another repository: fine without --check-reference, refused with it.
    let digest = push("test/moved");
    let body = payload(&format!("{host}/test/elsewhere"), &digest);
    put_signature(&registry, "test/moved", &digest, &body, &sign(&signer, &body));
    let moved = format!("{host}/test/moved:1");
    assert_exit(&verify(&registry, &moved, &key, &[]), 0, "Verified OK");
    assert_exit(&verify(&registry, &moved, &key, &["--check-reference"]), 1, "reference mismatch");

    // Several signatures: one by another key, one by ours. One good one is enough;
    // with only the other key's, the report is the furthest check reached.
    let digest = push("test/several");
    let body = payload(&format!("{host}/test/several"), &digest);
    let (theirs, ours) = (sign(&other, &body), sign(&signer, &body));
    put_signatures(&registry, "test/several", &digest, &[(&body, &theirs), (&body, "%%%"), (&body, &ours)]);
    let several = format!("{host}/test/several:1");
    assert_exit(&verify(&registry, &several, &key, &[]), 0, "Verified OK");
    put_signatures(&registry, "test/several", &digest, &[(&body, "%%%"), (&body, &theirs)]);
    assert_exit(&verify(&registry, &several, &key, &[]), 1, "bad signature");
}

#[test]
fn input_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad_key = dir.path().join("bad.pub");
    std::fs::write(&bad_key, "not a key").unwrap();
    let good_key = KeySigner::new().write_public_key(&dir.path().join("good.pub"));
    let bad = |args: &[&str], needle: &str| {
        let out = run(args, &crate_dir());
        assert_exit(&out, 2, needle);
    };
    bad(&["verify", "127.0.0.1:1/x/y:1", "--key", bad_key.to_str().unwrap()], "PUBLIC KEY");
    bad(&["verify", "127.0.0.1:1/x/y:1", "--key", dir.path().join("missing.pub").to_str().unwrap()], "cannot read");
    bad(&["verify", "oci-archive:/nowhere.tar", "--key", good_key.to_str().unwrap()], "signatures live in a registry");
    // Nothing listens on port 1.
    bad(
        &["verify", "127.0.0.1:1/x/y:1", "--key", good_key.to_str().unwrap(), "--insecure-registry", "127.0.0.1:1"],
        "cannot check signatures",
    );
}
