//! Public keys for key-based signatures, read from PEM SubjectPublicKeyInfo.

use std::fmt;

use base64::Engine;
use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};

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

const OID_EC_PUBLIC_KEY: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x2B, 0x81, 0x04, 0x00, 0x22];
const OID_ED25519: &[u8] = &[0x2B, 0x65, 0x70];
const OID_RSA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];

impl PublicKey {
    /// Parses a `-----BEGIN PUBLIC KEY-----` PEM block: ECDSA P-256 (SHA-256), P-384
    /// (SHA-384), Ed25519, or RSA (PKCS#1 v1.5, SHA-256, 2048 bits or more).
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

    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey, String> {
        let bad = |what: &str| format!("not a SubjectPublicKeyInfo: {what}");
        let (spki, rest) = der_take(der, 0x30).ok_or_else(|| bad("no outer SEQUENCE"))?;
        if !rest.is_empty() {
            return Err(bad("trailing data"));
        }
        let (algorithm, rest) = der_take(spki, 0x30).ok_or_else(|| bad("no AlgorithmIdentifier"))?;
        let (bits, rest) = der_take(rest, 0x03).ok_or_else(|| bad("no BIT STRING"))?;
        if !rest.is_empty() {
            return Err(bad("trailing data"));
        }
        let key = match bits.split_first() {
            Some((0, key)) if !key.is_empty() => key.to_vec(),
            _ => return Err(bad("malformed BIT STRING")),
        };
        let (oid, params) = der_take(algorithm, 0x06).ok_or_else(|| bad("no algorithm OID"))?;
        let (algorithm, name): (&'static dyn VerificationAlgorithm, &'static str) = if oid == OID_EC_PUBLIC_KEY {
            let (curve, _) = der_take(params, 0x06).ok_or_else(|| bad("an EC key without a named curve"))?;
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
            let bits = rsa_modulus_bits(&key).ok_or_else(|| bad("an RSA key that is not an RSAPublicKey"))?;
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

    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(self.algorithm, &self.key).verify(message, signature).is_ok()
    }
}

fn hex_digest(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The bit length of an `RSAPublicKey`'s modulus (leading zero bytes aside).
fn rsa_modulus_bits(key: &[u8]) -> Option<usize> {
    let (sequence, _) = der_take(key, 0x30)?;
    let (modulus, _) = der_take(sequence, 0x02)?;
    let first = modulus.iter().position(|&b| b != 0)?;
    let top = modulus[first];
    Some((modulus.len() - first - 1) * 8 + (8 - top.leading_zeros() as usize))
}

/// One DER element with the `tag` wanted: its content and what follows it.
fn der_take(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&first, rest) = input.split_first()?;
    if first != tag {
        return None;
    }
    let (&len0, rest) = rest.split_first()?;
    let (len, rest) = if len0 < 0x80 {
        (len0 as usize, rest)
    } else {
        let n = (len0 & 0x7F) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |acc, &b| (acc << 8) | b as usize);
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| rest.split_at(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_and_verify() {
        use ring::rand::SystemRandom;
        use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng).unwrap();
        let mut spki = vec![0x30, 0x59, 0x30, 0x13, 0x06, 0x07];
        spki.extend_from_slice(OID_EC_PUBLIC_KEY);
        spki.extend_from_slice(&[0x06, 0x08]);
        spki.extend_from_slice(OID_P256);
        spki.extend_from_slice(&[0x03, 0x42, 0x00]);
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
            let mut spki = vec![0x30, 0x59, 0x30, 0x13, 0x06, 0x07];
            spki.extend_from_slice(OID_EC_PUBLIC_KEY);
            spki.extend_from_slice(&[0x06, 0x08]);
            spki.extend_from_slice(OID_P256);
            spki.extend_from_slice(&[0x03, 0x42, 0x00]);
            spki.extend_from_slice(&[0x04; 65]);
            proptest::prop_assert!(PublicKey::from_spki_der(&spki).is_ok());
            proptest::prop_assert!(PublicKey::from_spki_der(&spki[..cut]).is_err());
        }
    }
}
