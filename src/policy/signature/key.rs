//! Public keys for key-based signatures, read from PEM SubjectPublicKeyInfo.

use std::fmt;

use base64::Engine as _;
use der::asn1::UintRef;
use der::{Decode, Reader, SliceReader};
use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use spki::{ObjectIdentifier, SubjectPublicKeyInfoRef};

/// A public key cosign can verify with, read from PEM (SubjectPublicKeyInfo).
#[derive(Clone)]
pub struct PublicKey {
    algorithm: &'static dyn VerificationAlgorithm,
    name: &'static str,
    key: Vec<u8>,
    spki: Vec<u8>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("algorithm", &self.name)
            .field("fingerprint", &self.fingerprint())
            .finish_non_exhaustive()
    }
}

const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

impl PublicKey {
    /// Parses a `-----BEGIN PUBLIC KEY-----` PEM block: ECDSA P-256 (SHA-256), P-384
    /// (SHA-384), Ed25519, or RSA (PKCS#1 v1.5, SHA-256, 2048 bits or more). Text
    /// around the block (a comment) is passed over, and the base64 may be wrapped at
    /// any width or not at all: RFC 7468's lax reading, which hand-made key files need
    /// (the `pem-rfc7468` crate insists on 64 columns, so it is not used here).
    pub fn from_pem(pem: &str) -> Result<PublicKey, String> {
        let begin = "-----BEGIN PUBLIC KEY-----";
        let end = "-----END PUBLIC KEY-----";
        let start = pem.find(begin).ok_or("no \"BEGIN PUBLIC KEY\" PEM block")? + begin.len();
        let stop = pem[start..].find(end).ok_or("the PEM block has no END line")? + start;
        let text: String = pem[start..stop].chars().filter(|c| !c.is_whitespace()).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|e| format!("the PEM block is not base64 ({e})"))?;
        PublicKey::from_spki_der(&der)
    }

    /// Reads a DER SubjectPublicKeyInfo (ECDSA P-256/P-384, Ed25519, RSA of 2048 bits or more).
    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey, String> {
        let info = SubjectPublicKeyInfoRef::from_der(der).map_err(|e| format!("not a SubjectPublicKeyInfo: {e}"))?;
        let key = match info.subject_public_key.as_bytes() {
            Some(key) if !key.is_empty() => key.to_vec(),
            _ => return Err("not a SubjectPublicKeyInfo: malformed BIT STRING".into()),
        };
        let oid = info.algorithm.oid;
        let (algorithm, name): (&'static dyn VerificationAlgorithm, &'static str) = if oid == OID_EC_PUBLIC_KEY {
            let curve = info
                .algorithm
                .parameters_oid()
                .map_err(|_| "not a SubjectPublicKeyInfo: an EC key without a named curve")?;
            if curve == OID_P256 {
                (&signature::ECDSA_P256_SHA256_ASN1, "ECDSA P-256 SHA-256")
            } else if curve == OID_P384 {
                (&signature::ECDSA_P384_SHA384_ASN1, "ECDSA P-384 SHA-384")
            } else {
                return Err("unsupported elliptic curve (P-256 and P-384 are)".into());
            }
        } else if oid == OID_ED25519 {
            (&signature::ED25519, "Ed25519")
        } else if oid == OID_RSA {
            let bits =
                rsa_modulus_bits(&key).ok_or("not a SubjectPublicKeyInfo: an RSA key that is not an RSAPublicKey")?;
            if !(2048..=8192).contains(&bits) {
                return Err(format!("an RSA key of {bits} bits: cosign signatures need 2048 to 8192 bits"));
            }
            (&signature::RSA_PKCS1_2048_8192_SHA256, "RSA PKCS#1 v1.5 SHA-256")
        } else {
            return Err("unsupported key algorithm (ECDSA P-256/P-384, Ed25519 and RSA are)".into());
        };
        Ok(PublicKey { algorithm, name, key, spki: der.to_vec() })
    }

    /// `ECDSA P-256 SHA-256` and the like.
    pub fn algorithm_name(&self) -> &'static str {
        self.name
    }

    /// The DER SubjectPublicKeyInfo the key was read from.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// `sha256:<hex>` of the SubjectPublicKeyInfo: names a key in messages without printing it.
    pub fn fingerprint(&self) -> String {
        format!("sha256:{}", hex_digest(&self.spki))
    }

    /// Whether `signature` is this key's over `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(self.algorithm, &self.key).verify(message, signature).is_ok()
    }
}

fn hex_digest(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The bit length of an `RSAPublicKey`'s modulus (PKCS#1: a SEQUENCE of the modulus
/// and the exponent, both positive INTEGERs).
fn rsa_modulus_bits(key: &[u8]) -> Option<usize> {
    let mut reader = SliceReader::new(key).ok()?;
    let modulus = reader
        .sequence(|fields| {
            let modulus = UintRef::decode(fields)?;
            UintRef::decode(fields)?;
            Ok(modulus)
        })
        .ok()?;
    reader.finish(()).ok()?;
    let bytes = modulus.as_bytes();
    let top = *bytes.first()?;
    Some((bytes.len() - 1) * 8 + (8 - top.leading_zeros() as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A P-256 SubjectPublicKeyInfo up to its 65-byte point, written out by hand so
    /// the parser is checked against bytes it did not produce.
    const P256_SPKI_HEAD: &[u8] = &[
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01, 0x06, 0x08, 0x2A, 0x86, 0x48,
        0xCE, 0x3D, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    ];

    #[test]
    fn rsa_moduli_are_measured_in_bits() {
        // SEQUENCE { INTEGER 0x00 0x80 0 … (2048 bits), INTEGER 65537 }
        let mut modulus = vec![0x00, 0x80];
        modulus.resize(257, 0);
        let mut key = vec![0x30, 0x82, 0x01, 0x0A, 0x02, 0x82, 0x01, 0x01];
        key.extend_from_slice(&modulus);
        key.extend_from_slice(&[0x02, 0x03, 0x01, 0x00, 0x01]);
        assert_eq!(rsa_modulus_bits(&key), Some(2048));
        assert_eq!(rsa_modulus_bits(&key[..key.len() - 1]), None, "truncated");
        assert_eq!(rsa_modulus_bits(&[0x30, 0x00]), None, "no fields");
    }

    #[test]
    fn other_pem_labels_and_text_around_the_block() {
        let body = base64::engine::general_purpose::STANDARD.encode([P256_SPKI_HEAD, &[0x04; 65][..]].concat());
        // A real key file wraps at 64 columns; this one does not wrap at all.
        let pem = format!("# cosign.pub\n-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\ntrailing\n");
        assert!(PublicKey::from_pem(&pem).is_ok(), "text before and after the block is passed over");
        let cert = pem.replace("PUBLIC KEY", "CERTIFICATE");
        assert_eq!(PublicKey::from_pem(&cert).unwrap_err(), "no \"BEGIN PUBLIC KEY\" PEM block");
        let garbled = pem.replace(&body[4..8], "!!!!");
        assert!(PublicKey::from_pem(&garbled).unwrap_err().starts_with("the PEM block is not base64"));
        let one_line = pem.replace(&format!("\n{body}\n"), &body);
        assert!(PublicKey::from_pem(&one_line).is_ok(), "unwrapped base64 on the BEGIN line's heels");
    }

    #[test]
    fn keys_parse_and_verify() {
        use ring::rand::SystemRandom;
        use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng).unwrap();
        let mut spki = P256_SPKI_HEAD.to_vec();
        spki.extend_from_slice(pair.public_key().as_ref());
        let pem = format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(&spki)
        );
        let key = PublicKey::from_pem(&pem).unwrap();
        assert_eq!(key.algorithm_name(), "ECDSA P-256 SHA-256");
        let sig = pair.sign(&rng, b"payload").unwrap();
        assert!(key.verify(b"payload", sig.as_ref()));
        assert!(!key.verify(b"other", sig.as_ref()));
        assert!(PublicKey::from_pem("nothing").is_err());
        assert!(PublicKey::from_spki_der(&spki[..10]).is_err());
    }

    proptest::proptest! {
        /// Key files are input: no bytes make the parser panic, and truncating a real
        /// key never yields a key.
        #[test]
        fn any_bytes_parse_or_fail_cleanly(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let _ = PublicKey::from_spki_der(&bytes);
            let _ = rsa_modulus_bits(&bytes);
            let _ = PublicKey::from_pem(&String::from_utf8_lossy(&bytes));
        }

        #[test]
        fn truncated_keys_are_refused(cut in 0usize..91) {
            // A P-256 SPKI is 91 bytes; any prefix is not a key.
            let mut spki = P256_SPKI_HEAD.to_vec();
            spki.extend_from_slice(&[0x04; 65]);
            proptest::prop_assert!(PublicKey::from_spki_der(&spki).is_ok());
            proptest::prop_assert!(PublicKey::from_spki_der(&spki[..cut]).is_err());
        }
    }
}
