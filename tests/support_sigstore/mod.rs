//! A Sigstore made for tests, independent of the code under test (rcgen, ring and the
//! published formats only): a Fulcio-like CA (root → intermediate → leaf certificates
//! with Fulcio's OIDC-issuer extensions and an embedded SCT from a test CT log), a
//! Rekor-like log key (signed entry timestamps, one-leaf inclusion proofs with signed
//! checkpoints), and the `trusted_root.json` that names them. It signs the way cosign
//! does: simple-signing payloads with cosign's annotations, and DSSE bundles.
#![allow(dead_code)]

use base64::Engine;
use rcgen::{
    CertificateParams, CertifiedIssuer, CustomExtension, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, PublicKeyData, SanType, SerialNumber, SigningKey, PKCS_ECDSA_P256_SHA256,
};
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn sha256(bytes: &[u8]) -> Vec<u8> {
    Sha256::digest(bytes).to_vec()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn pem(label: &str, der: &[u8]) -> String {
    let text = b64(der);
    let lines: Vec<&str> = text.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn p256() -> KeyPair {
    KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap()
}

/// A DER length.
fn der_len(len: usize) -> Vec<u8> {
    match len {
        0..=0x7f => vec![len as u8],
        0x80..=0xff => vec![0x81, len as u8],
        _ => vec![0x82, (len >> 8) as u8, len as u8],
    }
}

fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    out.extend(der_len(content.len()));
    out.extend_from_slice(content);
    out
}

/// The first element inside a DER SEQUENCE, header included (a certificate's TBS).
fn first_inner_element(sequence: &[u8]) -> &[u8] {
    let header = |at: usize| -> (usize, usize) {
        let first = sequence[at + 1] as usize;
        if first < 0x80 {
            (2, first)
        } else {
            let n = first & 0x7f;
            (2 + n, sequence[at + 2..at + 2 + n].iter().fold(0, |acc, &b| (acc << 8) | b as usize))
        }
    };
    let (outer, _) = header(0);
    let (inner_header, inner_len) = header(outer);
    &sequence[outer..outer + inner_header + inner_len]
}

/// Who a leaf certificate is for.
#[derive(Clone)]
pub enum Subject {
    Email(String),
    Uri(String),
}

/// How to issue a leaf: the defaults are what Fulcio issues.
#[derive(Clone)]
pub struct LeafOptions {
    pub subject: Subject,
    pub oidc_issuer: String,
    /// Embed a Signed Certificate Timestamp from the test CT log.
    pub sct: bool,
    /// (year, month, day) bounds; the default covers now.
    pub not_before: (i32, u8, u8),
    pub not_after: (i32, u8, u8),
}

impl LeafOptions {
    pub fn new(subject: Subject, oidc_issuer: &str) -> LeafOptions {
        LeafOptions {
            subject,
            oidc_issuer: oidc_issuer.into(),
            sct: true,
            not_before: (2020, 1, 1),
            not_after: (2099, 1, 1),
        }
    }
}

/// A signing certificate and its private key.
pub struct Leaf {
    pub key: KeyPair,
    pub der: Vec<u8>,
}

impl Leaf {
    pub fn pem(&self) -> String {
        pem("CERTIFICATE", &self.der)
    }

    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.key.sign(message).unwrap()
    }
}

/// A key-based signer (cosign's `--key`), for bundles and Rekor entries.
pub struct KeySigner {
    pub key: KeyPair,
}

impl KeySigner {
    pub fn new() -> KeySigner {
        KeySigner { key: p256() }
    }

    pub fn public_pem(&self) -> String {
        pem("PUBLIC KEY", &self.key.subject_public_key_info())
    }

    pub fn write_public_key(&self, path: &std::path::Path) -> std::path::PathBuf {
        std::fs::write(path, self.public_pem()).unwrap();
        path.to_path_buf()
    }

    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.key.sign(message).unwrap()
    }
}

/// What signed a payload: a certificate (keyless) or a key.
pub enum By<'a> {
    Leaf(&'a Leaf),
    Key(&'a KeySigner),
}

impl By<'_> {
    fn sign(&self, message: &[u8]) -> Vec<u8> {
        match self {
            By::Leaf(leaf) => leaf.sign(message),
            By::Key(key) => key.sign(message),
        }
    }

    /// What Rekor records as the verifier: the certificate or the public key, PEM.
    fn verifier_pem(&self) -> String {
        match self {
            By::Leaf(leaf) => leaf.pem(),
            By::Key(key) => key.public_pem(),
        }
    }
}

pub struct TestSigstore {
    root: CertifiedIssuer<'static, KeyPair>,
    intermediate: CertifiedIssuer<'static, KeyPair>,
    intermediate_spki: Vec<u8>,
    rekor: KeyPair,
    ct: KeyPair,
}

impl Default for TestSigstore {
    fn default() -> Self {
        TestSigstore::new()
    }
}

impl TestSigstore {
    pub fn new() -> TestSigstore {
        let ca_params = |name: &str| {
            let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
            params.distinguished_name = DistinguishedName::new();
            params.distinguished_name.push(DnType::OrganizationName, "customs-test");
            params.distinguished_name.push(DnType::CommonName, name);
            params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
            params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2099, 1, 1);
            params
        };
        let root = CertifiedIssuer::self_signed(ca_params("test-fulcio-root"), p256()).unwrap();
        let intermediate_key = p256();
        let intermediate_spki = intermediate_key.subject_public_key_info();
        let mut intermediate_params = ca_params("test-fulcio-intermediate");
        intermediate_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
        let intermediate = CertifiedIssuer::signed_by(intermediate_params, intermediate_key, &root).unwrap();
        TestSigstore { root, intermediate, intermediate_spki, rekor: p256(), ct: p256() }
    }

    pub fn rekor_log_id(&self) -> Vec<u8> {
        sha256(&self.rekor.subject_public_key_info())
    }

    fn ct_log_id(&self) -> Vec<u8> {
        sha256(&self.ct.subject_public_key_info())
    }

    /// The `trusted_root.json` for this Sigstore (CA chain intermediate first, as the
    /// public one lists it).
    pub fn trusted_root(&self) -> String {
        let log = |key: &KeyPair, url: &str| {
            json!({
                "baseUrl": url,
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": b64(&key.subject_public_key_info()),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": {"start": "2020-01-01T00:00:00Z"},
                },
                "logId": {"keyId": b64(&sha256(&key.subject_public_key_info()))},
            })
        };
        json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [log(&self.rekor, "https://rekor.test")],
            "certificateAuthorities": [{
                "subject": {"organization": "customs-test", "commonName": "test-fulcio"},
                "uri": "https://fulcio.test",
                "certChain": {"certificates": [
                    {"rawBytes": b64(self.intermediate.der())},
                    {"rawBytes": b64(self.root.der())},
                ]},
                "validFor": {"start": "2020-01-01T00:00:00Z"},
            }],
            "ctlogs": [log(&self.ct, "https://ctfe.test")],
            "timestampAuthorities": [],
        })
        .to_string()
    }

    /// PEM of the chain above leaves (intermediate, root), as cosign's chain annotation.
    pub fn chain_pem(&self) -> String {
        format!("{}{}", pem("CERTIFICATE", self.intermediate.der()), pem("CERTIFICATE", self.root.der()))
    }

    pub fn issue(&self, subject: Subject, oidc_issuer: &str) -> Leaf {
        self.issue_with(&LeafOptions::new(subject, oidc_issuer))
    }

    /// A leaf as Fulcio issues it: empty subject DN, the identity as a critical SAN,
    /// code-signing EKU, the OIDC issuer in both Fulcio extensions, and (by default) an
    /// embedded SCT over the precertificate.
    pub fn issue_with(&self, options: &LeafOptions) -> Leaf {
        let key = p256();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = DistinguishedName::new();
        // Fixed, so the certificate signed twice (pre- and final) has the same TBS.
        params.serial_number = Some(SerialNumber::from_slice(&sha256(&key.subject_public_key_info())[..16]));
        params.not_before = rcgen::date_time_ymd(options.not_before.0, options.not_before.1, options.not_before.2);
        params.not_after = rcgen::date_time_ymd(options.not_after.0, options.not_after.1, options.not_after.2);
        params.subject_alt_names = vec![match &options.subject {
            Subject::Email(email) => SanType::Rfc822Name(email.as_str().try_into().unwrap()),
            Subject::Uri(uri) => SanType::URI(uri.as_str().try_into().unwrap()),
        }];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
        params.use_authority_key_identifier_extension = true;
        // 1.3.6.1.4.1.57264.1.1: the issuer as raw bytes (Fulcio's first form);
        // 1.3.6.1.4.1.57264.1.8: the same as a DER UTF8String.
        params.custom_extensions.push(CustomExtension::from_oid_content(
            &[1, 3, 6, 1, 4, 1, 57264, 1, 1],
            options.oidc_issuer.as_bytes().to_vec(),
        ));
        params.custom_extensions.push(CustomExtension::from_oid_content(
            &[1, 3, 6, 1, 4, 1, 57264, 1, 8],
            der(0x0C, options.oidc_issuer.as_bytes()),
        ));
        if options.sct {
            let precert = params.signed_by(&key, &self.intermediate).unwrap();
            let tbs = first_inner_element(precert.der()).to_vec();
            let list = self.sct_list(&tbs);
            params
                .custom_extensions
                .push(CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 11129, 2, 4, 2], der(0x04, &list)));
        }
        let cert = params.signed_by(&key, &self.intermediate).unwrap();
        Leaf { key, der: cert.der().to_vec() }
    }

    /// A SignedCertificateTimestampList (RFC 6962 §3.3) with one SCT over the precert.
    fn sct_list(&self, tbs: &[u8]) -> Vec<u8> {
        let timestamp = (now() as u64) * 1000;
        let mut signed = vec![0u8, 0u8];
        signed.extend(timestamp.to_be_bytes());
        signed.extend([0, 1]);
        signed.extend(sha256(&self.intermediate_spki));
        signed.extend(&(tbs.len() as u32).to_be_bytes()[1..]);
        signed.extend(tbs);
        signed.extend([0, 0]);
        let signature = self.ct.sign(&signed).unwrap();
        let mut sct = vec![0u8];
        sct.extend(self.ct_log_id());
        sct.extend(timestamp.to_be_bytes());
        sct.extend([0, 0]);
        sct.extend([4, 3]);
        sct.extend((signature.len() as u16).to_be_bytes());
        sct.extend(signature);
        let mut list = ((sct.len() + 2) as u16).to_be_bytes().to_vec();
        list.extend((sct.len() as u16).to_be_bytes());
        list.extend(sct);
        list
    }

    /// The signed entry timestamp Rekor returns for an entry.
    pub fn set(&self, body: &[u8], log_index: i64, integrated_time: i64) -> Vec<u8> {
        self.set_signed_by(&self.rekor, body, log_index, integrated_time)
    }

    pub fn set_signed_by(&self, key: &KeyPair, body: &[u8], log_index: i64, integrated_time: i64) -> Vec<u8> {
        // RFC 8785 canonical JSON: keys sorted, no spaces.
        let canonical = format!(
            r#"{{"body":"{}","integratedTime":{integrated_time},"logID":"{}","logIndex":{log_index}}}"#,
            b64(body),
            hex(&self.rekor_log_id())
        );
        key.sign(canonical.as_bytes()).unwrap()
    }

    /// A Rekor v1 transparency-log entry for `body` (kind/version as in the body), with
    /// its SET and, when asked, an inclusion proof in a one-leaf tree.
    pub fn tlog_entry(&self, body: &[u8], with_proof: bool) -> Value {
        let parsed: Value = serde_json::from_slice(body).unwrap();
        let integrated_time = now() - 60;
        let log_index = 7;
        let mut entry = json!({
            "logIndex": log_index.to_string(),
            "logId": {"keyId": b64(&self.rekor_log_id())},
            "kindVersion": {"kind": parsed["kind"], "version": parsed["apiVersion"]},
            "integratedTime": integrated_time.to_string(),
            "inclusionPromise": {"signedEntryTimestamp": b64(&self.set(body, log_index, integrated_time))},
            "canonicalizedBody": b64(body),
        });
        if with_proof {
            let mut leaf = vec![0u8];
            leaf.extend(body);
            let root = sha256(&leaf);
            entry["inclusionProof"] = json!({
                "logIndex": "0",
                "rootHash": b64(&root),
                "treeSize": "1",
                "hashes": [],
                "checkpoint": {"envelope": self.checkpoint(&root, &self.rekor)},
            });
        }
        entry
    }

    /// A signed note: origin, tree size, root hash; signed with `key`.
    pub fn checkpoint(&self, root: &[u8], key: &KeyPair) -> String {
        let note = format!("rekor.test - 1\n1\n{}\n", b64(root));
        let mut signature = sha256(&key.subject_public_key_info())[..4].to_vec();
        signature.extend(key.sign(note.as_bytes()).unwrap());
        format!("{note}\n\u{2014} rekor.test {}\n", b64(&signature))
    }

    pub fn other_log_key(&self) -> KeyPair {
        p256()
    }
}

/// cosign's simple-signing payload for an image.
/// The payload and annotations of a signature `cosign sign --key` makes for
/// `repository@digest` (`repository` as `host/repo`), signed by `signer`.
pub fn cosign_key_signature(signer: &KeySigner, repository: &str, digest: &str) -> (Vec<u8>, Value) {
    let payload = simple_signing_payload(repository, digest);
    let annotations = json!({"dev.cosignproject.cosign/signature": b64(&signer.sign(&payload))});
    (payload, annotations)
}

pub fn simple_signing_payload(docker_reference: &str, digest: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "critical": {
            "identity": {"docker-reference": docker_reference},
            "image": {"docker-manifest-digest": digest},
            "type": "cosign container image signature",
        },
        "optional": null,
    }))
    .unwrap()
}

/// Rekor's hashedrekord v0.0.1 body for a signature over `payload`.
pub fn hashedrekord_body(payload: &[u8], signature: &[u8], verifier_pem: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": hex(&sha256(payload))}},
            "signature": {"content": b64(signature), "publicKey": {"content": b64(verifier_pem.as_bytes())}},
        },
    }))
    .unwrap()
}

/// cosign's annotations for a signed simple-signing layer; `rekor` adds the Rekor
/// bundle annotation (entry + SET) for the given body.
pub fn keyless_annotations(sigstore: &TestSigstore, leaf: &Leaf, signature: &[u8], body: Option<&[u8]>) -> Value {
    let mut annotations = json!({
        "dev.cosignproject.cosign/signature": b64(signature),
        "dev.sigstore.cosign/certificate": leaf.pem(),
        "dev.sigstore.cosign/chain": sigstore.chain_pem(),
    });
    if let Some(body) = body {
        annotations["dev.sigstore.cosign/bundle"] = rekor_bundle_annotation(sigstore, body).into();
    }
    annotations
}

/// The `dev.sigstore.cosign/bundle` annotation text for a Rekor entry.
pub fn rekor_bundle_annotation(sigstore: &TestSigstore, body: &[u8]) -> String {
    let integrated_time = now() - 60;
    json!({
        "SignedEntryTimestamp": b64(&sigstore.set(body, 7, integrated_time)),
        "Payload": {
            "body": b64(body),
            "integratedTime": integrated_time,
            "logIndex": 7,
            "logID": hex(&sigstore.rekor_log_id()),
        },
    })
    .to_string()
}

pub const IN_TOTO: &str = "application/vnd.in-toto+json";
pub const SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";

/// cosign v3's statement for an image signature: the image digest as the only subject.
pub fn sign_statement(image_digest: &str, predicate_type: &str) -> Vec<u8> {
    let hex_digest = image_digest.strip_prefix("sha256:").unwrap();
    serde_json::to_vec(&json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"digest": {"sha256": hex_digest}}],
        "predicateType": predicate_type,
    }))
    .unwrap()
}

/// DSSE's pre-authentication encoding.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!("DSSEv1 {} {payload_type} {} ", payload_type.len(), payload.len()).into_bytes();
    out.extend(payload);
    out
}

/// How to build a DSSE bundle; defaults are a well-formed cosign v3 signature.
pub struct BundleOptions {
    pub tlog: bool,
    pub inclusion_proof: bool,
    /// Sign something else than the PAE of the payload (a bad signature).
    pub corrupt_signature: bool,
}

impl Default for BundleOptions {
    fn default() -> Self {
        BundleOptions { tlog: true, inclusion_proof: true, corrupt_signature: false }
    }
}

/// A Sigstore bundle v0.3 with a DSSE envelope around `statement`, signed `by`,
/// logged in the test Rekor as a dsse v0.0.1 entry.
pub fn dsse_bundle(sigstore: &TestSigstore, statement: &[u8], by: By<'_>, options: &BundleOptions) -> Vec<u8> {
    let signed = if options.corrupt_signature { pae(IN_TOTO, b"something else") } else { pae(IN_TOTO, statement) };
    let signature = by.sign(&signed);
    let envelope = json!({
        "payload": b64(statement),
        "payloadType": IN_TOTO,
        "signatures": [{"sig": b64(&signature), "keyid": ""}],
    });
    let body = serde_json::to_vec(&json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "envelopeHash": {"algorithm": "sha256", "value": hex(&sha256(envelope.to_string().as_bytes()))},
            "payloadHash": {"algorithm": "sha256", "value": hex(&sha256(statement))},
            "signatures": [{"signature": b64(&signature), "verifier": b64(by.verifier_pem().as_bytes())}],
        },
    }))
    .unwrap();
    let mut material = match &by {
        By::Leaf(leaf) => json!({"certificate": {"rawBytes": b64(&leaf.der)}}),
        By::Key(key) => json!({"publicKey": {"hint": b64(&sha256(&key.key.subject_public_key_info()))}}),
    };
    material["tlogEntries"] =
        if options.tlog { json!([sigstore.tlog_entry(&body, options.inclusion_proof)]) } else { json!([]) };
    serde_json::to_vec(&json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": material,
        "dsseEnvelope": envelope,
    }))
    .unwrap()
}
