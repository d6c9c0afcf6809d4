//! Who a keyless signature must come from: the Fulcio certificate's subject (its first
//! email or URI SAN) and the OIDC issuer that vouched for it, each matched exactly or by
//! a regular expression anchored at both ends, as cosign's `--certificate-identity[-regexp]`
//! and `--certificate-oidc-issuer[-regexp]` do.

use std::fmt;

/// An exact string, or a regular expression that must match the whole value.
#[derive(Clone)]
pub enum Matcher {
    /// The value must be this string.
    Exact(String),
    /// The value must match this anchored expression.
    Regex(regex::Regex),
}

impl Matcher {
    /// Compiles `pattern` anchored (`^(?:pattern)$`): a pattern meant to match a prefix
    /// must say `.*`, so `https://github.com/org/` cannot be satisfied by a lookalike host.
    pub fn regex(pattern: &str) -> Result<Matcher, String> {
        regex::Regex::new(&format!("^(?:{pattern})$"))
            .map(Matcher::Regex)
            .map_err(|e| format!("invalid regular expression {pattern:?}: {e}"))
    }

    /// Whether `value` is the string, or matches the whole expression.
    pub fn matches(&self, value: &str) -> bool {
        match self {
            Matcher::Exact(want) => want == value,
            Matcher::Regex(re) => re.is_match(value),
        }
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Matcher::Exact(want) => write!(f, "{want:?}"),
            // Shown as the user wrote it, without the anchors added here.
            Matcher::Regex(re) => {
                let shown = re.as_str().strip_prefix("^(?:").and_then(|r| r.strip_suffix(")$")).unwrap_or(re.as_str());
                write!(f, "/{shown}/")
            }
        }
    }
}

impl fmt::Debug for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// One accepted keyless signer: both parts must match.
#[derive(Debug, Clone)]
pub struct KeylessIdentity {
    /// The certificate's subject: an email address or a URI (a CI workflow).
    pub subject: Matcher,
    /// The OIDC issuer URL recorded by Fulcio in the certificate.
    pub issuer: Matcher,
}

impl KeylessIdentity {
    /// Whether a certificate's subject and issuer both match.
    pub fn matches(&self, subject: &str, issuer: &str) -> bool {
        self.subject.matches(subject) && self.issuer.matches(issuer)
    }
}

impl fmt::Display for KeylessIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "subject {} from issuer {}", self.subject, self.issuer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regexes_are_anchored_and_exact_means_equal() {
        let re = Matcher::regex("https://github.com/org/.*").unwrap();
        assert!(re.matches("https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main"));
        assert!(!re.matches("https://evil.example/https://github.com/org/x"));
        assert_eq!(re.to_string(), "/https://github.com/org/.*/");
        let alternatives = Matcher::regex("a|b").unwrap();
        assert!(alternatives.matches("a") && alternatives.matches("b") && !alternatives.matches("ab"));
        let exact = Matcher::Exact("dev@example.com".into());
        assert!(exact.matches("dev@example.com") && !exact.matches("dev@example.com.evil"));
        assert!(Matcher::regex("(").unwrap_err().contains("invalid regular expression"));
        let who = KeylessIdentity { subject: exact, issuer: Matcher::Exact("https://issuer".into()) };
        assert!(who.matches("dev@example.com", "https://issuer"));
        assert!(!who.matches("dev@example.com", "https://other"));
    }
}
