//! `customs verify` with keys made and signatures computed by the `openssl` CLI, not by
//! the code under test: ECDSA P-256/P-384, Ed25519 and RSA PKCS#1 v1.5, several `--key`
//! flags, the JSON verdict, Rekor entries naming the signing key, a TLS registry with
//! Basic auth, and the input errors that exit 2.

mod common;
mod support_registry;

use std::process::Output;

use common::*;
use serde_json::{json, Value};
use signing::{sha256_hex, Alg, Key, Layer};
use support_registry::{Kind, Registry, PASSWORD, USER};

/// Keys and signatures from `openssl`, signature manifests as `cosign sign --key`
/// writes them, and the CLI runs.
mod signing {
    use std::path::{Path, PathBuf};
    use std::process::{Command, Output};

    use base64::Engine;
    use serde_json::json;
    use sha2::Digest as _;

    use super::support_registry::Registry;

    const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
    const REKOR_ANNOTATION: &str = "dev.sigstore.cosign/bundle";

    pub fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    pub fn sha256_hex(bytes: &[u8]) -> String {
        sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Runs `openssl ARGS` in `dir`; its stdout.
    pub fn openssl(args: &[&str], dir: &Path) -> Vec<u8> {
        let out = crate::common::tools::output(Command::new("openssl").args(args).current_dir(dir));
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    }

    #[derive(Clone, Copy, Debug)]
    pub enum Alg {
        P256,
        P384,
        P521,
        Ed25519,
        Rsa(u32),
    }

    impl Alg {
        /// The name customs gives the algorithm.
        pub fn name(self) -> &'static str {
            match self {
                Alg::P256 => "ECDSA P-256 SHA-256",
                Alg::P384 => "ECDSA P-384 SHA-384",
                Alg::P521 => "ECDSA P-521",
                Alg::Ed25519 => "Ed25519",
                Alg::Rsa(_) => "RSA PKCS#1 v1.5 SHA-256",
            }
        }
    }

    /// A private key file and its SPKI public key PEM, both written by openssl.
    pub struct Key {
        pub alg: Alg,
        pub private: PathBuf,
        pub public: PathBuf,
        dir: PathBuf,
    }

    impl Key {
        pub fn generate(alg: Alg, dir: &Path, name: &str) -> Key {
            let private = dir.join(format!("{name}.key"));
            let public = dir.join(format!("{name}.pub"));
            let p = private.to_str().unwrap();
            match alg {
                // SEC1 `EC PRIVATE KEY`, as older tooling makes them.
                Alg::P256 => openssl(&["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", p], dir),
                Alg::P384 => {
                    openssl(&["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", p], dir)
                }
                Alg::P521 => {
                    openssl(&["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521", "-out", p], dir)
                }
                Alg::Ed25519 => openssl(&["genpkey", "-algorithm", "ED25519", "-out", p], dir),
                Alg::Rsa(bits) => {
                    let bits = format!("rsa_keygen_bits:{bits}");
                    openssl(&["genpkey", "-algorithm", "RSA", "-pkeyopt", &bits, "-out", p], dir)
                }
            };
            openssl(&["pkey", "-in", p, "-pubout", "-out", public.to_str().unwrap()], dir);
            let key = Key { alg, private, public, dir: dir.to_path_buf() };
            assert!(key.pem().starts_with("-----BEGIN PUBLIC KEY-----"), "{}", key.pem());
            key
        }

        pub fn pem(&self) -> String {
            std::fs::read_to_string(&self.public).unwrap()
        }

        pub fn path(&self) -> &str {
            self.public.to_str().unwrap()
        }

        /// `sha256:` + hex SHA-256 of the DER SubjectPublicKeyInfo, as openssl writes it.
        pub fn fingerprint(&self) -> String {
            let der = openssl(&["pkey", "-pubin", "-in", self.path(), "-outform", "DER"], &self.dir);
            format!("sha256:{}", sha256_hex(&der))
        }

        /// The base64 signature over `payload` as cosign makes it with this key type.
        pub fn sign(&self, payload: &[u8]) -> String {
            let file = tempfile::NamedTempFile::new_in(&self.dir).unwrap();
            std::fs::write(file.path(), payload).unwrap();
            let (key, input) = (self.private.to_str().unwrap(), file.path().to_str().unwrap());
            let signature = match self.alg {
                Alg::Ed25519 => openssl(&["pkeyutl", "-sign", "-inkey", key, "-rawin", "-in", input], &self.dir),
                Alg::P384 => openssl(&["dgst", "-sha384", "-sign", key, input], &self.dir),
                Alg::P521 => openssl(&["dgst", "-sha512", "-sign", key, input], &self.dir),
                Alg::P256 | Alg::Rsa(_) => openssl(&["dgst", "-sha256", "-sign", key, input], &self.dir),
            };
            b64(&signature)
        }
    }

    /// The simple-signing payload cosign signs; `note` changes the bytes, not the claims.
    pub fn payload(docker_reference: &str, digest: &str, note: Option<&str>) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "critical": {
                "identity": {"docker-reference": docker_reference},
                "image": {"docker-manifest-digest": digest},
                "type": "cosign container image signature",
            },
            "optional": note.map(|n| json!({"note": n})),
        }))
        .unwrap()
    }

    /// cosign's `dev.sigstore.cosign/bundle`: a hashedrekord entry naming `named` as the
    /// signer. Its SET is not checked without `--trusted-root`.
    pub fn rekor_bundle(payload: &[u8], signature: &str, named: &Key) -> String {
        let body = json!({
            "apiVersion": "0.0.1",
            "kind": "hashedrekord",
            "spec": {
                "data": {"hash": {"algorithm": "sha256", "value": sha256_hex(payload)}},
                "signature": {"content": signature, "publicKey": {"content": b64(named.pem().as_bytes())}},
            },
        });
        json!({
            "SignedEntryTimestamp": b64(b"not checked without a trust root"),
            "Payload": {
                "body": b64(body.to_string().as_bytes()),
                "integratedTime": 1_700_000_000,
                "logIndex": 42,
                "logID": sha256_hex(b"a rekor log"),
            },
        })
        .to_string()
    }

    /// One layer of a signature manifest.
    pub struct Layer {
        pub payload: Vec<u8>,
        pub signature: String,
        pub rekor: Option<String>,
    }

    impl Layer {
        pub fn new(payload: Vec<u8>, signature: String) -> Layer {
            Layer { payload, signature, rekor: None }
        }
    }

    /// PUTs the signature manifest at `sha256-<hex>.sig` of `repo`, as `cosign sign
    /// --key` does. Returns the tag.
    pub fn put_signatures(registry: &Registry, repo: &str, image_digest: &str, layers: &[Layer]) -> String {
        let layers: Vec<(&[u8], serde_json::Value)> = layers
            .iter()
            .map(|layer| {
                let mut annotations = json!({SIGNATURE_ANNOTATION: layer.signature});
                if let Some(rekor) = &layer.rekor {
                    annotations[REKOR_ANNOTATION] = json!(rekor);
                }
                (layer.payload.as_slice(), annotations)
            })
            .collect();
        registry.put_cosign_signatures(repo, image_digest, &layers)
    }

    /// A one-layer image pushed as `repo:1`: (its reference, its manifest digest).
    pub fn push(registry: &Registry, repo: &str) -> (String, String) {
        let image = registry.push_tiny(repo, "1", "amd64");
        (format!("{}/{repo}:1", registry.host()), image.manifest_digest)
    }

    /// `customs verify IMAGE --key K... EXTRA` against a plain-HTTP registry.
    pub fn verify(registry: &Registry, image: &str, keys: &[&Key], extra: &[&str]) -> Output {
        let host = registry.host();
        let mut args = vec!["verify", image, "--insecure-registry", &host];
        for key in keys {
            args.extend(["--key", key.path()]);
        }
        args.extend_from_slice(extra);
        super::run(&args, &super::crate_dir())
    }
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn assert_exit(out: &Output, code: i32, needle: &str) {
    let all = text(out);
    assert_eq!(out.status.code(), Some(code), "want exit {code} with {needle:?}: {all}");
    assert!(all.contains(needle), "want {needle:?} in: {all}");
}

fn keys_dir(registry: &Registry) -> std::path::PathBuf {
    registry.scratch("keys")
}

#[test]
fn openssl_keys_of_every_algorithm_verify_and_fail_closed() {
    let registry = Registry::start(Kind::Http);
    let host = registry.host();
    let dir = keys_dir(&registry);
    for alg in [Alg::P256, Alg::P384, Alg::Ed25519, Alg::Rsa(2048), Alg::Rsa(4096)] {
        let label = format!("{alg:?}").to_lowercase().replace(['(', ')'], "");
        let key = Key::generate(alg, &dir, &format!("{label}-signer"));
        let other = Key::generate(alg, &dir, &format!("{label}-other"));

        // Signed with the key: verified, and the signer named with its fingerprint.
        let repo = format!("{label}/signed");
        let (image, digest) = signing::push(&registry, &repo);
        let body = signing::payload(&format!("{host}/{repo}"), &digest, None);
        let signature = key.sign(&body);
        signing::put_signatures(&registry, &repo, &digest, &[Layer::new(body, signature)]);
        let out = signing::verify(&registry, &image, &[&key], &["--check-reference"]);
        assert_exit(&out, 0, "Verified OK");
        let signer = format!("signed by key {} ({})", key.fingerprint(), alg.name());
        assert!(text(&out).contains(&signer), "{alg:?}: want {signer:?} in {}", text(&out));
        assert!(text(&out).contains(&digest), "{}", text(&out));

        // Another key of the same algorithm: bad signature.
        let out = signing::verify(&registry, &image, &[&other], &[]);
        assert_exit(&out, 1, "bad signature");
        assert!(text(&out).contains(&other.fingerprint()), "{}", text(&out));

        // The payload altered after signing (same claims, other bytes): bad signature.
        let repo = format!("{label}/altered");
        let (image, digest) = signing::push(&registry, &repo);
        let signed = signing::payload(&format!("{host}/{repo}"), &digest, None);
        let signature = key.sign(&signed);
        let altered = signing::payload(&format!("{host}/{repo}"), &digest, Some("added after signing"));
        signing::put_signatures(&registry, &repo, &digest, &[Layer::new(altered, signature)]);
        assert_exit(&signing::verify(&registry, &image, &[&key], &[]), 1, "bad signature");

        // A signature by the other key, checked with the signer's: bad signature too.
        let repo = format!("{label}/other-key");
        let (image, digest) = signing::push(&registry, &repo);
        let body = signing::payload(&format!("{host}/{repo}"), &digest, None);
        let signature = other.sign(&body);
        signing::put_signatures(&registry, &repo, &digest, &[Layer::new(body, signature)]);
        assert_exit(&signing::verify(&registry, &image, &[&key], &[]), 1, "bad signature");
        assert_exit(&signing::verify(&registry, &image, &[&other], &[]), 0, "Verified OK");
    }

    // RSA 1024: refused as a key (exit 2) before the registry is asked; even its own
    // correct signature never verifies.
    let weak = Key::generate(Alg::Rsa(1024), &dir, "rsa1024");
    let repo = "rsa1024/signed";
    let (image, digest) = signing::push(&registry, repo);
    let body = signing::payload(&format!("{host}/{repo}"), &digest, None);
    let signature = weak.sign(&body);
    signing::put_signatures(&registry, repo, &digest, &[Layer::new(body, signature)]);
    let out = signing::verify(&registry, &image, &[&weak], &[]);
    assert!(!text(&out).contains("Verified OK"), "a 1024-bit RSA key must never verify: {}", text(&out));
    assert_exit(&out, 2, "an RSA key of 1024 bits: cosign signatures need 2048 to 8192 bits");
}

#[test]
fn several_keys_json_verdicts_and_rekor_named_keys() {
    let registry = Registry::start(Kind::Http);
    let host = registry.host();
    let dir = keys_dir(&registry);
    let first = Key::generate(Alg::P256, &dir, "first");
    let second = Key::generate(Alg::Ed25519, &dir, "second");
    let stranger = Key::generate(Alg::P256, &dir, "stranger");

    // Signed by the second of two keys: verified, the JSON verdict names that key.
    let repo = "multi/second";
    let (image, digest) = signing::push(&registry, repo);
    let reference = format!("{host}/{repo}");
    let body = signing::payload(&reference, &digest, None);
    let payload_digest = format!("sha256:{}", sha256_hex(&body));
    let signature = second.sign(&body);
    let tag = signing::put_signatures(&registry, repo, &digest, &[Layer::new(body, signature)]);
    let out = signing::verify(&registry, &image, &[&first, &second], &["--format", "json", "--check-reference"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let verdict = stdout_json(&out);
    let expected_fingerprint = second.fingerprint();
    assert!(expected_fingerprint.starts_with("sha256:") && expected_fingerprint.len() == 71);
    assert_eq!(
        verdict,
        json!({
            "schema": "customs-verify/1",
            "image": image,
            "repository": reference,
            "verified": true,
            "signature": {
                "image_digest": digest,
                "found_at": format!("tag {tag} layer {payload_digest}"),
                "signer": {"kind": "key", "algorithm": "Ed25519", "fingerprint": expected_fingerprint},
                "docker_reference": reference,
                "transparency_log": null,
            },
        })
    );
    // The order of the keys does not matter; text output names the same signer.
    let out = signing::verify(&registry, &image, &[&second, &first], &[]);
    assert_exit(&out, 0, &format!("signed by key {expected_fingerprint} (Ed25519)"));
    // Neither key: bad signature.
    assert_exit(&signing::verify(&registry, &image, &[&first, &stranger], &[]), 1, "bad signature");

    // Failures: `"verified": false` and the check that failed, exit 1, for each check.
    let failing = |repo: &str, keys: &[&Key], extra: &[&str], check: &str, needle: &str| {
        let image = format!("{host}/{repo}:1");
        let mut args = vec!["--format", "json"];
        args.extend_from_slice(extra);
        let out = signing::verify(&registry, &image, keys, &args);
        assert_eq!(out.status.code(), Some(1), "{check}: {}", text(&out));
        let verdict = stdout_json(&out);
        assert_eq!(verdict["schema"], "customs-verify/1");
        assert_eq!(verdict["verified"], false, "{verdict}");
        assert_eq!(verdict["check"], check, "{verdict}");
        assert_eq!(verdict["image"], image);
        assert_eq!(verdict["repository"], format!("{host}/{repo}"));
        let message = verdict["message"].as_str().unwrap();
        assert!(message.contains(needle), "{check}: want {needle:?} in {message:?}");
        assert!(verdict.get("signature").is_none(), "{verdict}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("verification failed"), "{}", text(&out));
        verdict
    };
    let sign_as = |repo: &str, reference: &str, digest: &str, key: &Key| {
        let body = signing::payload(reference, digest, None);
        let signature = key.sign(&body);
        signing::put_signatures(&registry, repo, digest, &[Layer::new(body, signature)]);
    };

    signing::push(&registry, "json/unsigned");
    failing("json/unsigned", &[&first], &[], "no-signature", "sha256-");

    let (_, digest) = signing::push(&registry, "json/bad");
    sign_as("json/bad", &format!("{host}/json/bad"), &digest, &stranger);
    failing("json/bad", &[&first], &[], "bad-signature", &first.fingerprint());

    let (_, digest) = signing::push(&registry, "json/digest");
    let elsewhere = format!("sha256:{}", sha256_hex(b"another image"));
    let body = signing::payload(&format!("{host}/json/digest"), &elsewhere, None);
    let signature = first.sign(&body);
    signing::put_signatures(&registry, "json/digest", &digest, &[Layer::new(body, signature)]);
    failing("json/digest", &[&first], &[], "digest-mismatch", &elsewhere);

    let (_, digest) = signing::push(&registry, "json/moved");
    sign_as("json/moved", &format!("{host}/json/elsewhere"), &digest, &first);
    failing("json/moved", &[&first], &["--check-reference"], "reference-mismatch", "json/elsewhere");

    let (_, digest) = signing::push(&registry, "json/malformed");
    let body = signing::payload(&format!("{host}/json/malformed"), &digest, None);
    signing::put_signatures(&registry, "json/malformed", &digest, &[Layer::new(body, "%%% not base64".into())]);
    failing("json/malformed", &[&first], &[], "malformed-signature", "base64");

    // A Rekor entry naming another key than the one given: wrong key, naming the logged
    // key, whatever the signature (it is `first`'s, and verifies with `first`).
    let (_, digest) = signing::push(&registry, "json/wrong-key");
    let body = signing::payload(&format!("{host}/json/wrong-key"), &digest, None);
    let signature = first.sign(&body);
    let rekor = signing::rekor_bundle(&body, &signature, &stranger);
    let layer = Layer { payload: body, signature, rekor: Some(rekor) };
    signing::put_signatures(&registry, "json/wrong-key", &digest, &[layer]);
    let verdict = failing("json/wrong-key", &[&first], &[], "wrong-key", &stranger.fingerprint());
    assert!(verdict["message"].as_str().unwrap().contains(&first.fingerprint()), "{verdict}");
    let image = format!("{host}/json/wrong-key:1");
    let out = signing::verify(&registry, &image, &[&first], &[]);
    assert_exit(&out, 1, &format!("wrong key: tag sha256-{}", &digest[7..]));
    assert!(text(&out).contains(&stranger.fingerprint()), "{}", text(&out));
    // Given the logged key too: that key is the only candidate, and it did not sign.
    assert_exit(&signing::verify(&registry, &image, &[&first, &stranger], &[]), 1, "bad signature");

    // The Rekor entry naming the signer: verified, with that key among several.
    let repo = "rekor/right-key";
    let (image, digest) = signing::push(&registry, repo);
    let body = signing::payload(&format!("{host}/{repo}"), &digest, None);
    let signature = second.sign(&body);
    let rekor = signing::rekor_bundle(&body, &signature, &second);
    signing::put_signatures(&registry, repo, &digest, &[Layer { payload: body, signature, rekor: Some(rekor) }]);
    let out = signing::verify(&registry, &image, &[&first, &second], &["--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let verdict = stdout_json(&out);
    assert_eq!(verdict["signature"]["signer"]["fingerprint"], second.fingerprint(), "{verdict}");
    // Without a trust root the entry is not a checked proof: no transparency_log claimed.
    assert_eq!(verdict["signature"]["transparency_log"], Value::Null, "{verdict}");
}

#[test]
fn a_tls_registry_with_basic_auth() {
    let registry = Registry::start(Kind::TlsAuth);
    let dir = keys_dir(&registry);
    let key = Key::generate(Alg::P384, &dir, "tls");
    let repo = "secure/app";
    let (image, digest) = signing::push(&registry, repo);
    let body = signing::payload(&format!("{}/{repo}", registry.host()), &digest, None);
    let signature = key.sign(&body);
    signing::put_signatures(&registry, repo, &digest, &[Layer::new(body, signature)]);

    let verify = |password: &str, with_ca: bool| {
        let mut cmd = customs();
        cmd.args(["verify", &image, "--key", key.path(), "--check-reference"]);
        if with_ca {
            cmd.arg("--ca-cert").arg(registry.ca_cert());
        }
        cmd.env("CUSTOMS_REGISTRY_USERNAME", USER).env("CUSTOMS_REGISTRY_PASSWORD", password);
        cmd.env("DOCKER_CONFIG", dir.join("no-docker-config"));
        cmd.current_dir(crate_dir()).output().unwrap()
    };
    let out = verify(PASSWORD, true);
    assert_exit(&out, 0, "Verified OK");
    assert!(text(&out).contains(&key.fingerprint()), "{}", text(&out));
    assert!(!text(&out).contains(PASSWORD), "{}", text(&out));

    let wrong = "not-the-Pa55word";
    let out = verify(wrong, true);
    assert_exit(&out, 2, "cannot check signatures");
    assert!(text(&out).contains("authentication failed"), "{}", text(&out));
    assert!(!text(&out).contains(wrong), "credentials never appear in errors: {}", text(&out));
    assert!(!text(&out).contains("Verified OK"), "{}", text(&out));

    let out = verify(PASSWORD, false);
    assert_exit(&out, 2, "--ca-cert");
    assert!(!text(&out).contains(PASSWORD), "{}", text(&out));
}

#[test]
fn input_errors_exit_2_before_any_registry_is_asked() {
    let dir = tempfile::tempdir().unwrap();
    let key = Key::generate(Alg::P256, dir.path(), "good");
    let p521 = Key::generate(Alg::P521, dir.path(), "p521");
    let not_json = dir.path().join("trusted_root.json");
    std::fs::write(&not_json, "this is not JSON").unwrap();
    let root = not_json.to_str().unwrap();
    // Nothing listens on port 1: a message about the registry means the input passed.
    let image = "127.0.0.1:1/x/y:1";
    let bad = |args: &[&str], needle: &str| {
        let mut all = vec!["verify", image];
        all.extend_from_slice(args);
        let out = run(&all, &crate_dir());
        assert_exit(&out, 2, needle);
        assert!(!text(&out).contains("cannot check signatures"), "{args:?} reached the registry: {}", text(&out));
        assert!(out.stdout.is_empty(), "{}", text(&out));
    };
    bad(
        &["--certificate-identity", "dev@example.com", "--trusted-root", root],
        "--certificate-identity needs --certificate-oidc-issuer",
    );
    bad(
        &["--certificate-identity", "dev@example.com", "--certificate-oidc-issuer", "https://issuer.example"],
        "keyless verification needs --trusted-root",
    );
    bad(
        &["--certificate-identity-regexp", ".*@example.com", "--certificate-oidc-issuer-regexp", "https://.*"],
        "keyless verification needs --trusted-root",
    );
    bad(&[], "say who must have signed");
    bad(&["--format", "json"], "say who must have signed");
    bad(
        &["--certificate-identity-regexp", "(", "--certificate-oidc-issuer", "https://i", "--trusted-root", root],
        "--certificate-identity-regexp: invalid regular expression",
    );
    bad(&["--key", key.path(), "--trusted-root", root], "--trusted-root");
    bad(&["--key", key.path(), "--trusted-root", root], "not a Sigstore trusted root");
    bad(&["--key", p521.path()], "unsupported elliptic curve");

    // The good key alone passes the input checks and reaches the (absent) registry.
    let out = run(&["verify", image, "--key", key.path(), "--insecure-registry", "127.0.0.1:1"], &crate_dir());
    assert_exit(&out, 2, "cannot check signatures");
}
