//! Content digests (`sha256:<hex>`) and a reader that verifies one while streaming.

use std::io::{self, Read};

use sha2::{Digest as _, Sha256, Sha512};

/// A parsed `algorithm:hex` digest. Only sha256 and sha512 are accepted: anything else
/// cannot be verified, and an unverifiable blob is refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    /// The hash function.
    pub algorithm: Algorithm,
    /// The hash, lowercase hex of the algorithm's length.
    pub hex: String,
}

/// The hash functions OCI digests use that customs verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// `sha256:`
    Sha256,
    /// `sha512:`
    Sha512,
}

impl Digest {
    /// Parses `algorithm:hex`, refusing other algorithms and hex of the wrong length or case.
    pub fn parse(s: &str) -> Result<Digest, String> {
        let (alg, hex) = s.split_once(':').ok_or_else(|| format!("{s:?} is not a digest (want sha256:<hex>)"))?;
        let (algorithm, len) = match alg {
            "sha256" => (Algorithm::Sha256, 64),
            "sha512" => (Algorithm::Sha512, 128),
            _ => return Err(format!("{s:?}: unsupported digest algorithm {alg:?}")),
        };
        if hex.len() != len || !hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(format!("{s:?}: malformed {alg} digest"));
        }
        Ok(Digest { algorithm, hex: hex.to_string() })
    }

    /// The digest of a byte string.
    pub fn sha256_of(bytes: &[u8]) -> Digest {
        Digest { algorithm: Algorithm::Sha256, hex: hex(&Sha256::digest(bytes)) }
    }

    /// Whether `bytes` hash to this digest.
    pub fn matches(&self, bytes: &[u8]) -> bool {
        let actual = match self.algorithm {
            Algorithm::Sha256 => hex(&Sha256::digest(bytes)),
            Algorithm::Sha512 => hex(&Sha512::digest(bytes)),
        };
        actual == self.hex
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let alg = match self.algorithm {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        };
        write!(f, "{alg}:{}", self.hex)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

enum Hasher {
    Sha256(Sha256),
    Sha512(Sha512),
}

/// Wraps a blob stream: counts and hashes every byte, and turns the end of the stream
/// into an error unless the size (when known) and the digest match. A consumer that
/// reads to the end therefore never accepts a truncated or tampered blob.
pub struct Verified<R> {
    inner: R,
    expected: Digest,
    expected_size: Option<u64>,
    hasher: Option<Hasher>,
    read: u64,
    /// Where the blob came from, for errors.
    origin: String,
}

impl<R: Read> Verified<R> {
    /// Wraps `inner`, to be checked against `expected` (and its size, when known) at its end.
    pub fn new(inner: R, expected: Digest, expected_size: Option<u64>, origin: impl Into<String>) -> Self {
        let hasher = match expected.algorithm {
            Algorithm::Sha256 => Hasher::Sha256(Sha256::new()),
            Algorithm::Sha512 => Hasher::Sha512(Sha512::new()),
        };
        Verified { inner, expected, expected_size, hasher: Some(hasher), read: 0, origin: origin.into() }
    }

    fn finish(&mut self) -> io::Result<()> {
        let Some(hasher) = self.hasher.take() else { return Ok(()) };
        if let Some(size) = self.expected_size {
            if self.read != size {
                return Err(invalid(format!(
                    "{}: blob {} is truncated or oversized: {} bytes, expected {size}",
                    self.origin, self.expected, self.read
                )));
            }
        }
        let actual = match hasher {
            Hasher::Sha256(h) => hex(&h.finalize()),
            Hasher::Sha512(h) => hex(&h.finalize()),
        };
        if actual != self.expected.hex {
            return Err(invalid(format!(
                "{}: digest mismatch: expected {}, content hashes to {}",
                self.origin, self.expected, actual
            )));
        }
        Ok(())
    }
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

impl<R: Read> Read for Verified<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 {
            self.finish()?;
            return Ok(0);
        }
        self.read += n as u64;
        if self.expected_size.is_some_and(|size| self.read > size) {
            return Err(invalid(format!("{}: blob {} is larger than its manifest says", self.origin, self.expected)));
        }
        match self.hasher.as_mut() {
            Some(Hasher::Sha256(h)) => h.update(&buf[..n]),
            Some(Hasher::Sha512(h)) => h.update(&buf[..n]),
            None => {}
        }
        Ok(n)
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(deserializer)?;
        Digest::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects_digests() {
        let d = Digest::sha256_of(b"abc");
        assert_eq!(d.to_string(), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(Digest::parse(&d.to_string()).unwrap(), d);
        assert!(Digest::parse("md5:abc").is_err());
        assert!(Digest::parse("sha256:XYZ").is_err());
        assert!(Digest::parse("sha256").is_err());
    }

    fn read_all(data: &[u8], digest: Digest, size: Option<u64>) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        Verified::new(data, digest, size, "test").read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn verifies_digest_and_size_at_the_end_of_the_stream() {
        let data = b"layer bytes";
        let good = Digest::sha256_of(data);
        assert_eq!(read_all(data, good.clone(), Some(11)).unwrap(), data);
        let err = read_all(&data[..5], good.clone(), Some(11)).unwrap_err();
        assert!(err.to_string().contains("truncated"), "{err}");
        let err = read_all(b"other bytes", good.clone(), None).unwrap_err();
        assert!(err.to_string().contains("digest mismatch"), "{err}");
        let err = read_all(data, good, Some(4)).unwrap_err();
        assert!(err.to_string().contains("larger than"), "{err}");
    }
}
