//! The Sigstore trust root: Fulcio CA chains, Rekor (transparency log) keys, CT log keys
//! and timestamp authorities, read from a `trusted_root.json` in Sigstore's TUF format
//! (the file `cosign` and `sigstore-go` keep in their TUF cache; for a private Sigstore
//! the operator publishes it). Nothing is fetched: the file is the whole trust.

use std::fmt;
use std::path::Path;

use sigstore_verify::trust_root::TrustedRoot;
use sigstore_verify::Verifier;

/// A parsed and checked trust root, ready to verify with.
pub struct TrustRoot {
    pub(crate) verifier: Verifier,
    source: String,
    tlogs: usize,
    authorities: usize,
}

impl fmt::Debug for TrustRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustRoot")
            .field("source", &self.source)
            .field("tlogs", &self.tlogs)
            .field("certificate_authorities", &self.authorities)
            .finish_non_exhaustive()
    }
}

/// Trust roots above this size are refused: the public one is about 6 KiB.
const MAX_TRUST_ROOT_SIZE: u64 = 4 << 20;

impl TrustRoot {
    /// Reads a `trusted_root.json` file (size-capped).
    pub fn from_file(path: &Path) -> Result<TrustRoot, String> {
        let shown = path.display();
        let size = std::fs::metadata(path).map_err(|e| format!("cannot read {shown}: {e}"))?.len();
        if size > MAX_TRUST_ROOT_SIZE {
            return Err(format!("{shown}: {size} bytes is too large for a trusted_root.json"));
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
        TrustRoot::from_json(&text, &shown.to_string())
    }

    /// Reads a trusted root from JSON text; `source` names it in errors.
    pub fn from_json(text: &str, source: &str) -> Result<TrustRoot, String> {
        let root = TrustedRoot::from_json(text).map_err(|e| format!("{source}: not a Sigstore trusted root ({e})"))?;
        if root.tlogs.is_empty() && root.certificate_authorities.is_empty() {
            return Err(format!("{source}: the trusted root lists no transparency log and no certificate authority"));
        }
        TrustRoot::new(root, source)
    }

    /// A root that trusts nothing: bundles signed with a managed key are checked
    /// against the key alone when no trust root was given.
    pub(crate) fn empty() -> TrustRoot {
        let root = TrustedRoot::from_json(
            r#"{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1",
                "tlogs":[],"certificateAuthorities":[],"ctlogs":[],"timestampAuthorities":[]}"#,
        )
        .expect("the empty trusted root parses");
        TrustRoot::new(root, "(none)").expect("the empty trusted root is valid")
    }

    fn new(root: TrustedRoot, source: &str) -> Result<TrustRoot, String> {
        let verifier = Verifier::new(&root).map_err(|e| format!("{source}: {e}"))?;
        Ok(TrustRoot {
            verifier,
            source: source.to_string(),
            tlogs: root.tlogs.len(),
            authorities: root.certificate_authorities.len(),
        })
    }

    /// Where the root was read from, for messages.
    pub fn source(&self) -> &str {
        &self.source
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_and_empty_roots_are_refused() {
        assert!(TrustRoot::from_json("{", "t.json").unwrap_err().starts_with("t.json: not a Sigstore trusted root"));
        let empty = r#"{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}"#;
        assert!(TrustRoot::from_json(empty, "t.json").unwrap_err().contains("no transparency log"));
        assert_eq!(TrustRoot::empty().source(), "(none)");
        let missing = TrustRoot::from_file(Path::new("/nonexistent/trusted_root.json")).unwrap_err();
        assert!(missing.starts_with("cannot read /nonexistent/trusted_root.json"), "{missing}");
    }
}
