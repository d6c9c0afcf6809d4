//! `customs verify` with keyless signatures and Sigstore bundles, against a real
//! `docker-registry`: certificates from a test Fulcio-like CA, Rekor entries with SETs
//! and inclusion proofs from a test log key, SCTs from a test CT log, all named by a
//! `trusted_root.json` written here (tests/support_sigstore). Each failure the issue
//! lists has its own case and its own message.

mod common;
mod support_registry;
mod support_sigstore;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use serde_json::json;
use support_registry::{artifact_manifest, referrers_index, Kind, Registry, OCI_INDEX, OCI_MANIFEST};
use support_sigstore::*;

const BUNDLE_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
const ISSUER: &str = "https://issuer.test";
const DEV: &str = "dev@example.com";
const WORKFLOW: &str = "https://github.com/org/app/.github/workflows/release.yml@refs/heads/main";

struct Setup {
    registry: Registry,
    sigstore: TestSigstore,
    root: PathBuf,
}

impl Setup {
    fn new() -> Setup {
        let registry = Registry::start(Kind::Http);
        let sigstore = TestSigstore::new();
        let root = registry.scratch("trust").join("trusted_root.json");
        std::fs::write(&root, sigstore.trusted_root()).unwrap();
        Setup { registry, sigstore, root }
    }

    /// Pushes a small image as `repo:1`; returns its digest and manifest size.
    fn image(&self, repo: &str) -> (String, usize) {
        let image = self.registry.push_tiny(repo, "1", "amd64");
        (image.manifest_digest, image.manifest.len())
    }

    fn reference(&self, repo: &str) -> String {
        format!("{}/{repo}:1", self.registry.host())
    }

    fn put_simple_signing(&self, repo: &str, image_digest: &str, layers: &[(&[u8], serde_json::Value)]) {
        self.registry.put_cosign_signatures(repo, image_digest, layers);
    }

    /// Attaches bundles as OCI 1.1 referrers of the image: one artifact manifest each
    /// (subject = the image), listed in the fallback tag `sha256-<hex>` the OCI
    /// distribution spec defines for registries without the referrers API.
    fn attach_bundles(&self, repo: &str, (image_digest, image_size): &(String, usize), bundles: &[&[u8]]) {
        self.registry.upload_blob(repo, b"{}");
        let mut listed = Vec::new();
        for bundle in bundles {
            let layer = self.registry.upload_blob(repo, bundle);
            let manifest = artifact_manifest(BUNDLE_TYPE, (&layer, bundle.len()), (image_digest, *image_size));
            let digest = self.registry.put_manifest(repo, &support_registry_digest(&manifest), OCI_MANIFEST, &manifest);
            listed.push((digest, manifest.len(), BUNDLE_TYPE));
        }
        let index = referrers_index(&listed);
        self.registry.put_manifest(repo, &image_digest.replacen(':', "-", 1), OCI_INDEX, &index);
    }

    fn verify(&self, repo: &str, extra: &[&str]) -> Output {
        let host = self.registry.host();
        let image = self.reference(repo);
        let mut args = vec!["verify", &image, "--insecure-registry", &host];
        args.extend_from_slice(extra);
        run(&args, &crate_dir())
    }

    fn keyless(&self, repo: &str, identity: &str, extra: &[&str]) -> Output {
        let root = self.root.to_str().unwrap().to_string();
        let mut args =
            vec!["--trusted-root", &root, "--certificate-identity", identity, "--certificate-oidc-issuer", ISSUER];
        args.extend_from_slice(extra);
        self.verify(repo, &args)
    }

    /// A keyless classic signature of `repo`'s image by `leaf`, logged in Rekor.
    fn sign_classic(&self, repo: &str, digest: &str, leaf: &Leaf) {
        let payload = simple_signing_payload(&format!("{}/{repo}", self.registry.host()), digest);
        let signature = leaf.sign(&payload);
        let body = hashedrekord_body(&payload, &signature, &leaf.pem());
        let annotations = keyless_annotations(&self.sigstore, leaf, &signature, Some(&body));
        self.put_simple_signing(repo, digest, &[(&payload, annotations)]);
    }
}

fn support_registry_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(&sha256(bytes)))
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[track_caller]
fn assert_exit(out: &Output, code: i32, needle: &str) {
    let all = text(out);
    assert_eq!(out.status.code(), Some(code), "{all}");
    assert!(all.contains(needle), "want {needle:?} in: {all}");
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn keyless_classic_signatures_pass_and_every_check_fails_with_its_own_message() {
    let s = Setup::new();
    let leaf = s.sigstore.issue(Subject::Email(DEV.into()), ISSUER);

    // Signed by dev@example.com, logged, SCT embedded: verified, exact and by regexp.
    let (digest, _) = s.image("keyless/good");
    s.sign_classic("keyless/good", &digest, &leaf);
    let out = s.keyless("keyless/good", DEV, &["--check-reference"]);
    assert_exit(&out, 0, "Verified OK");
    assert!(text(&out).contains("certificate for dev@example.com (issuer https://issuer.test)"), "{}", text(&out));
    assert!(text(&out).contains("Rekor entry 7"), "{}", text(&out));
    let root = path(&s.root);
    let by_regexp = s.verify(
        "keyless/good",
        &[
            "--trusted-root",
            root,
            "--certificate-identity-regexp",
            ".*@example\\.com",
            "--certificate-oidc-issuer-regexp",
            "https://issuer\\.(test|example)",
        ],
    );
    assert_exit(&by_regexp, 0, "Verified OK");

    // Identity and issuer constraints.
    assert_exit(&s.keyless("keyless/good", "someone@example.com", &[]), 1, "identity mismatch");
    let other_issuer = s.verify(
        "keyless/good",
        &["--trusted-root", root, "--certificate-identity", DEV, "--certificate-oidc-issuer", "https://accounts.test"],
    );
    assert_exit(&other_issuer, 1, "identity mismatch");
    let unanchored = s.verify(
        "keyless/good",
        &["--trusted-root", root, "--certificate-identity-regexp", "dev@example", "--certificate-oidc-issuer", ISSUER],
    );
    assert_exit(&unanchored, 1, "identity mismatch");

    // A key was asked for, the signature is keyless.
    let key = KeySigner::new().write_public_key(&s.registry.scratch("keys").join("cosign.pub"));
    assert_exit(&s.verify("keyless/good", &["--key", path(&key), "--trusted-root", root]), 1, "wrong key");

    // A certificate from a CA the trust root does not name.
    let stranger = TestSigstore::new();
    let (digest, _) = s.image("keyless/untrusted");
    let foreign = stranger.issue(Subject::Email(DEV.into()), ISSUER);
    let payload = simple_signing_payload("x", &digest);
    let signature = foreign.sign(&payload);
    let body = hashedrekord_body(&payload, &signature, &foreign.pem());
    // Logged in *our* Rekor, so only the chain is wrong.
    let mut annotations = keyless_annotations(&s.sigstore, &foreign, &signature, Some(&body));
    annotations["dev.sigstore.cosign/chain"] = stranger.chain_pem().into();
    s.put_simple_signing("keyless/untrusted", &digest, &[(&payload, annotations)]);
    assert_exit(&s.keyless("keyless/untrusted", DEV, &[]), 1, "untrusted certificate chain");

    // An expired certificate (valid in 2020 only, logged now).
    let (digest, _) = s.image("keyless/expired");
    let mut old = LeafOptions::new(Subject::Email(DEV.into()), ISSUER);
    old.not_before = (2020, 1, 1);
    old.not_after = (2020, 1, 2);
    s.sign_classic("keyless/expired", &digest, &s.sigstore.issue_with(&old));
    assert_exit(&s.keyless("keyless/expired", DEV, &[]), 1, "untrusted certificate chain");

    // No SCT: refused, unless asked to ignore it (private Sigstore without CT).
    let (digest, _) = s.image("keyless/no-sct");
    let mut no_sct = LeafOptions::new(Subject::Email(DEV.into()), ISSUER);
    no_sct.sct = false;
    s.sign_classic("keyless/no-sct", &digest, &s.sigstore.issue_with(&no_sct));
    assert_exit(&s.keyless("keyless/no-sct", DEV, &[]), 1, "untrusted certificate chain");
    assert_exit(&s.keyless("keyless/no-sct", DEV, &["--insecure-ignore-sct"]), 0, "Verified OK");

    // No Rekor entry: the signing time and log inclusion cannot be proven.
    let (digest, _) = s.image("keyless/unlogged");
    let payload = simple_signing_payload("x", &digest);
    let signature = leaf.sign(&payload);
    let annotations = keyless_annotations(&s.sigstore, &leaf, &signature, None);
    s.put_simple_signing("keyless/unlogged", &digest, &[(&payload, annotations)]);
    assert_exit(&s.keyless("keyless/unlogged", DEV, &[]), 1, "missing transparency proof");
    // Asked for a key, it is the signer's kind that is wrong, whatever the proofs.
    assert_exit(&s.verify("keyless/unlogged", &["--key", path(&key)]), 1, "wrong key");

    // A SET signed by another log key.
    let (digest, _) = s.image("keyless/forged-set");
    let payload = simple_signing_payload("x", &digest);
    let signature = leaf.sign(&payload);
    let body = hashedrekord_body(&payload, &signature, &leaf.pem());
    let mut annotations = keyless_annotations(&s.sigstore, &leaf, &signature, Some(&body));
    let mut rekor: serde_json::Value =
        serde_json::from_str(annotations["dev.sigstore.cosign/bundle"].as_str().unwrap()).unwrap();
    let time = rekor["Payload"]["integratedTime"].as_i64().unwrap();
    rekor["SignedEntryTimestamp"] = b64(&s.sigstore.set_signed_by(&s.sigstore.other_log_key(), &body, 7, time)).into();
    annotations["dev.sigstore.cosign/bundle"] = rekor.to_string().into();
    s.put_simple_signing("keyless/forged-set", &digest, &[(&payload, annotations)]);
    assert_exit(&s.keyless("keyless/forged-set", DEV, &[]), 1, "missing transparency proof");

    // A signature that does not verify (logged as it is, so only the signature is bad).
    let (digest, _) = s.image("keyless/bad-signature");
    let payload = simple_signing_payload("x", &digest);
    let signature = leaf.sign(b"another payload");
    let body = hashedrekord_body(&payload, &signature, &leaf.pem());
    let annotations = keyless_annotations(&s.sigstore, &leaf, &signature, Some(&body));
    s.put_simple_signing("keyless/bad-signature", &digest, &[(&payload, annotations)]);
    assert_exit(&s.keyless("keyless/bad-signature", DEV, &[]), 1, "bad signature");

    // A valid signature of a payload naming another image.
    let (digest, _) = s.image("keyless/other-digest");
    let payload = simple_signing_payload("x", support_registry::DEBIAN_MANIFEST);
    let signature = leaf.sign(&payload);
    let body = hashedrekord_body(&payload, &signature, &leaf.pem());
    let annotations = keyless_annotations(&s.sigstore, &leaf, &signature, Some(&body));
    s.put_simple_signing("keyless/other-digest", &digest, &[(&payload, annotations)]);
    assert_exit(&s.keyless("keyless/other-digest", DEV, &[]), 1, "digest mismatch");

    // Certificate annotation that is not PEM.
    let (digest, _) = s.image("keyless/malformed");
    let payload = simple_signing_payload("x", &digest);
    let signature = leaf.sign(&payload);
    let mut annotations = keyless_annotations(&s.sigstore, &leaf, &signature, None);
    annotations["dev.sigstore.cosign/certificate"] = "garbage".into();
    s.put_simple_signing("keyless/malformed", &digest, &[(&payload, annotations)]);
    assert_exit(&s.keyless("keyless/malformed", DEV, &[]), 1, "malformed signature data");

    // Key-based classic signatures with a trust root: the Rekor entry is required and
    // proven like a keyless one's.
    let signer = KeySigner::new();
    let key = signer.write_public_key(&s.registry.scratch("keys").join("classic.pub"));
    let (digest, _) = s.image("keyed/logged");
    let payload = simple_signing_payload("x", &digest);
    let signature = signer.sign(&payload);
    let body = hashedrekord_body(&payload, &signature, &signer.public_pem());
    let annotations = json!({
        "dev.cosignproject.cosign/signature": b64(&signature),
        "dev.sigstore.cosign/bundle": rekor_bundle_annotation(&s.sigstore, &body),
    });
    s.put_simple_signing("keyed/logged", &digest, &[(&payload, annotations)]);
    let with_root = ["--key", path(&key), "--trusted-root", root];
    assert_exit(&s.verify("keyed/logged", &with_root), 0, "Rekor entry 7");
    let (digest, _) = s.image("keyed/unlogged");
    let payload = simple_signing_payload("x", &digest);
    let annotations = json!({"dev.cosignproject.cosign/signature": b64(&signer.sign(&payload))});
    s.put_simple_signing("keyed/unlogged", &digest, &[(&payload, annotations)]);
    assert_exit(&s.verify("keyed/unlogged", &["--key", path(&key)]), 0, "Verified OK");
    assert_exit(&s.verify("keyed/unlogged", &with_root), 1, "missing transparency proof");

    // Unsigned.
    s.image("keyless/unsigned");
    assert_exit(&s.keyless("keyless/unsigned", DEV, &[]), 1, "no signature");
}

#[test]
fn sigstore_bundles_attached_as_referrers() {
    let s = Setup::new();
    let root = path(&s.root);
    let workflow = s.sigstore.issue(Subject::Uri(WORKFLOW.into()), ISSUER);
    let signer = KeySigner::new();
    let key = signer.write_public_key(&s.registry.scratch("keys").join("cosign.pub"));
    let other_key = KeySigner::new().write_public_key(&s.registry.scratch("keys").join("other.pub"));

    // Keyless, cosign v3 style: DSSE + in-toto statement, inclusion proof + SET.
    let image = s.image("bundle/keyless");
    let statement = sign_statement(&image.0, SIGN_PREDICATE);
    let bundle = dsse_bundle(&s.sigstore, &statement, By::Leaf(&workflow), &BundleOptions::default());
    s.attach_bundles("bundle/keyless", &image, &[&bundle]);
    let out = s.keyless("bundle/keyless", WORKFLOW, &[]);
    assert_exit(&out, 0, "Verified OK");
    assert!(text(&out).contains("referrer sha256:"), "{}", text(&out));
    assert_exit(&s.keyless("bundle/keyless", DEV, &[]), 1, "identity mismatch");
    let json = s.keyless("bundle/keyless", WORKFLOW, &["--format", "json"]);
    let verdict = stdout_json(&json);
    assert_eq!(verdict["verified"], true);
    assert_eq!(verdict["signature"]["signer"], json!({"kind": "certificate", "subject": WORKFLOW, "issuer": ISSUER}));
    assert_eq!(verdict["signature"]["image_digest"], image.0.as_str());
    assert_eq!(verdict["signature"]["transparency_log"]["log_index"], 7);

    // Key-based bundle: verified with the key alone, and with the trust root (then the
    // Rekor proof is checked too); another key is the wrong key, named.
    let image = s.image("bundle/key");
    let statement = sign_statement(&image.0, SIGN_PREDICATE);
    let bundle = dsse_bundle(&s.sigstore, &statement, By::Key(&signer), &BundleOptions::default());
    s.attach_bundles("bundle/key", &image, &[&bundle]);
    assert_exit(&s.verify("bundle/key", &["--key", path(&key)]), 0, "Verified OK");
    assert_exit(&s.verify("bundle/key", &["--key", path(&key), "--trusted-root", root]), 0, "Rekor entry 7");
    assert_exit(&s.verify("bundle/key", &["--key", path(&other_key)]), 1, "wrong key");
    let keyless_only = s.keyless("bundle/key", WORKFLOW, &[]);
    assert_exit(&keyless_only, 1, "wrong key");

    // A bundle for another image attached here.
    let image = s.image("bundle/other-digest");
    let statement = sign_statement(support_registry::DEBIAN_MANIFEST, SIGN_PREDICATE);
    let bundle = dsse_bundle(&s.sigstore, &statement, By::Leaf(&workflow), &BundleOptions::default());
    s.attach_bundles("bundle/other-digest", &image, &[&bundle]);
    assert_exit(&s.keyless("bundle/other-digest", WORKFLOW, &[]), 1, "digest mismatch");

    // Not logged at all; logged without the inclusion proof a v0.3 bundle must carry.
    let image = s.image("bundle/unlogged");
    let statement = sign_statement(&image.0, SIGN_PREDICATE);
    let options = BundleOptions { tlog: false, ..BundleOptions::default() };
    let bundle = dsse_bundle(&s.sigstore, &statement, By::Leaf(&workflow), &options);
    s.attach_bundles("bundle/unlogged", &image, &[&bundle]);
    assert_exit(&s.keyless("bundle/unlogged", WORKFLOW, &[]), 1, "missing transparency proof");
    let image = s.image("bundle/no-proof");
    let statement = sign_statement(&image.0, SIGN_PREDICATE);
    let options = BundleOptions { inclusion_proof: false, ..BundleOptions::default() };
    let bundle = dsse_bundle(&s.sigstore, &statement, By::Leaf(&workflow), &options);
    s.attach_bundles("bundle/no-proof", &image, &[&bundle]);
    assert_exit(&s.keyless("bundle/no-proof", WORKFLOW, &[]), 1, "missing transparency proof");

    // A corrupted signature, a bundle that is not JSON.
    let image = s.image("bundle/bad-signature");
    let statement = sign_statement(&image.0, SIGN_PREDICATE);
    let options = BundleOptions { corrupt_signature: true, ..BundleOptions::default() };
    let bundle = dsse_bundle(&s.sigstore, &statement, By::Leaf(&workflow), &options);
    s.attach_bundles("bundle/bad-signature", &image, &[&bundle]);
    assert_exit(&s.keyless("bundle/bad-signature", WORKFLOW, &[]), 1, "bad signature");
    let image = s.image("bundle/malformed");
    s.attach_bundles("bundle/malformed", &image, &[b"{\"mediaType\": 7"]);
    assert_exit(&s.keyless("bundle/malformed", WORKFLOW, &[]), 1, "malformed signature data");

    // An attestation (another predicate type) is not a signature.
    let image = s.image("bundle/attestation-only");
    let statement = sign_statement(&image.0, "https://slsa.dev/provenance/v1");
    let bundle = dsse_bundle(&s.sigstore, &statement, By::Leaf(&workflow), &BundleOptions::default());
    s.attach_bundles("bundle/attestation-only", &image, &[&bundle]);
    assert_exit(&s.keyless("bundle/attestation-only", WORKFLOW, &[]), 1, "no signature");

    // Several referrers: a bad one and a good one; one good signature is enough.
    let image = s.image("bundle/several");
    let statement = sign_statement(&image.0, SIGN_PREDICATE);
    let bad = dsse_bundle(&s.sigstore, &statement, By::Leaf(&workflow), &options);
    let good = dsse_bundle(&s.sigstore, &statement, By::Leaf(&workflow), &BundleOptions::default());
    s.attach_bundles("bundle/several", &image, &[&bad, &good]);
    assert_exit(&s.keyless("bundle/several", WORKFLOW, &[]), 0, "Verified OK");
}

#[test]
fn trust_root_input_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let not_json = dir.path().join("trusted_root.json");
    std::fs::write(&not_json, "not json").unwrap();
    let reference = "127.0.0.1:1/x/y:1";
    let keyless = ["--certificate-identity", DEV, "--certificate-oidc-issuer", ISSUER];
    let mut args = vec!["verify", reference, "--trusted-root", path(&not_json)];
    args.extend_from_slice(&keyless);
    assert_exit(&run(&args, &crate_dir()), 2, "not a Sigstore trusted root");
    let mut args = vec!["verify", reference];
    args.extend_from_slice(&keyless);
    assert_exit(&run(&args, &crate_dir()), 2, "needs --trusted-root");
}

/// Registries with the OCI 1.1 referrers API (distribution 3, zot, GHCR…) list the
/// bundles there: the fallback tag is then never asked for, and referrers of other
/// artifact types (an SBOM) are not mistaken for signatures.
#[test]
fn the_referrers_api_is_used_when_the_registry_has_it() {
    use std::sync::Arc;
    use support_registry::fake::{FakeRegistry, Reply};
    use support_registry::TinyImage;

    let sigstore = TestSigstore::new();
    let workflow = sigstore.issue(Subject::Uri(WORKFLOW.into()), ISSUER);
    let tiny = TinyImage::new("amd64");
    let statement = sign_statement(&tiny.manifest_digest, SIGN_PREDICATE);
    let bundle = dsse_bundle(&sigstore, &statement, By::Leaf(&workflow), &BundleOptions::default());
    let bundle_digest = support_registry_digest(&bundle);
    let subject = (tiny.manifest_digest.as_str(), tiny.manifest.len());
    let signature = artifact_manifest(BUNDLE_TYPE, (&bundle_digest, bundle.len()), subject);
    let signature_digest = support_registry_digest(&signature);
    let referrers = referrers_index(&[
        (support_registry_digest(b"sbom"), 4, "application/spdx+json"),
        (signature_digest.clone(), signature.len(), BUNDLE_TYPE),
    ]);
    let shared = Arc::new((tiny, signature, signature_digest, bundle, bundle_digest, referrers));
    let served = shared.clone();
    let server = FakeRegistry::start(move |request, _| {
        let (tiny, signature, signature_digest, bundle, bundle_digest, referrers) = &*served;
        let path = request.path.as_str();
        if path == "/v2/app/manifests/1" {
            Reply::ok(OCI_MANIFEST, &tiny.manifest)
        } else if path.starts_with(&format!("/v2/app/referrers/{}?artifactType=", tiny.manifest_digest)) {
            Reply::ok(OCI_INDEX, referrers)
        } else if path == format!("/v2/app/manifests/{signature_digest}") {
            Reply::ok(OCI_MANIFEST, signature)
        } else if path == format!("/v2/app/blobs/{bundle_digest}") {
            Reply::ok("application/octet-stream", bundle)
        } else {
            Reply::status(404)
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("trusted_root.json");
    std::fs::write(&root, sigstore.trusted_root()).unwrap();
    let host = server.host();
    let image = format!("{host}/app:1");
    let args = [
        "verify",
        &image,
        "--insecure-registry",
        &host,
        "--trusted-root",
        path(&root),
        "--certificate-identity",
        WORKFLOW,
        "--certificate-oidc-issuer",
        ISSUER,
    ];
    let out = run(&args, &crate_dir());
    assert_exit(&out, 0, &format!("referrer {}", shared.2));
    let fallback = format!("/v2/app/manifests/{}", shared.0.manifest_digest.replacen(':', "-", 1));
    assert!(server.seen().iter().all(|r| r.path != fallback), "the fallback tag was asked for");
    let asked = server.seen_under("/v2/app/referrers/");
    assert_eq!(asked.len(), 1);
    assert!(asked[0].path.ends_with("?artifactType=application%2Fvnd%2Edev%2Esigstore%2Ebundle%2Ev0%2E3%2Bjson"));
}
