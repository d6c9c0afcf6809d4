//! Package URLs (<https://github.com/package-url/purl-spec>): building them with each
//! type's normalisation rules, printing them with the spec's percent-encoding, and
//! parsing them back (for SBOM input).

use std::collections::BTreeMap;
use std::fmt;

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Everything but ASCII letters, digits, `.`, `-`, `_`, `~` and `:` is percent-encoded
/// in a purl component (the spec keeps `:` readable, e.g. Debian epochs `1:2.3`).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'.').remove(b'-').remove(b'_').remove(b'~').remove(b':');

/// Qualifier values also keep `/` readable (`repository_url=repo.spring.io/release`).
const QUALIFIER_VALUE: &AsciiSet = &COMPONENT.remove(b'/');

/// A package URL (purl), kept in canonical form: type and per-type namespace/name case rules applied.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Purl {
    /// The purl type (`cargo`, `npm`, `deb`), lowercase.
    pub ty: String,
    /// The namespace (npm scope, Maven group, Go module path, distribution), decoded.
    pub namespace: Option<String>,
    /// The name, decoded.
    pub name: String,
    /// The version, decoded.
    pub version: Option<String>,
    /// Sorted by key, as the canonical form requires.
    pub qualifiers: BTreeMap<String, String>,
    /// The subpath within the package, decoded.
    pub subpath: Option<String>,
}

impl Purl {
    /// Builds a purl, applying the type's case rules (`pypi`, `npm`, `golang`, `composer`,
    /// `hex`, `github`… are case-insensitive and lowercased; `pypi` also turns `_` into `-`).
    pub fn new(ty: &str, namespace: Option<&str>, name: &str, version: Option<&str>) -> Purl {
        let ty = ty.to_ascii_lowercase();
        let lower_namespace = matches!(
            ty.as_str(),
            "npm" | "golang" | "composer" | "github" | "bitbucket" | "hex" | "deb" | "apk" | "alpm"
        );
        let lower_name =
            matches!(ty.as_str(), "npm" | "golang" | "composer" | "github" | "bitbucket" | "hex" | "pypi" | "pub");
        let namespace =
            namespace.filter(|n| !n.is_empty()).map(|n| if lower_namespace { n.to_lowercase() } else { n.to_string() });
        let mut name = if lower_name { name.to_lowercase() } else { name.to_string() };
        if ty == "pypi" {
            name = name.replace('_', "-");
        }
        Purl {
            ty,
            namespace,
            name,
            version: version.filter(|v| !v.is_empty()).map(str::to_string),
            qualifiers: BTreeMap::new(),
            subpath: None,
        }
    }

    /// Adds a qualifier; empty values are dropped, as the spec says.
    pub fn with_qualifier(mut self, key: &str, value: impl Into<String>) -> Purl {
        let value = value.into();
        if !value.is_empty() {
            self.qualifiers.insert(key.to_ascii_lowercase(), value);
        }
        self
    }

    /// The same purl with a subpath (`/api/v2`), normalised.
    pub fn with_subpath(mut self, subpath: impl Into<String>) -> Purl {
        let subpath = subpath.into();
        let trimmed = subpath.trim_matches('/');
        self.subpath = (!trimmed.is_empty()).then(|| trimmed.to_string());
        self
    }

    /// Parses a purl string. Lenient on case and encoding, strict on structure.
    pub fn parse(s: &str) -> Result<Purl, PurlError> {
        let rest = s.strip_prefix("pkg:").ok_or_else(|| PurlError::new(s, "does not start with \"pkg:\""))?;
        let rest = rest.trim_start_matches('/');
        let (rest, subpath) = match rest.split_once('#') {
            Some((r, sub)) => (r, Some(sub)),
            None => (rest, None),
        };
        let (rest, qualifiers) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let (ty, rest) = rest.split_once('/').ok_or_else(|| PurlError::new(s, "has no type"))?;
        if ty.is_empty() || !ty.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(PurlError::new(s, "has an invalid type"));
        }
        let rest = rest.trim_end_matches('/');
        // The version is after the last '@' of the last segment (scoped npm names start with %40).
        let (path, version) = match rest.rfind('@') {
            Some(at) if !rest[at..].contains('/') => (&rest[..at], Some(decode(&rest[at + 1..]))),
            _ => (rest, None),
        };
        let (namespace, name) = match path.rfind('/') {
            Some(slash) => (Some(decode_segments(&path[..slash], |_| true)), decode(&path[slash + 1..])),
            None => (None, decode(path)),
        };
        if name.is_empty() {
            return Err(PurlError::new(s, "has no name"));
        }
        let mut purl = Purl::new(ty, namespace.as_deref(), &name, version.as_deref());
        for pair in qualifiers.into_iter().flat_map(|q| q.split('&')) {
            if let Some((k, v)) = pair.split_once('=') {
                purl = purl.with_qualifier(k, decode(v));
            }
        }
        if let Some(sub) = subpath {
            purl = purl.with_subpath(decode_segments(sub, |p| p != "." && p != ".."));
        }
        Ok(purl)
    }
}

fn encode(s: &str) -> impl fmt::Display + '_ {
    utf8_percent_encode(s, COMPONENT)
}

fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// A `/`-separated path (namespace, subpath) decoded, then split again and cleaned:
/// a segment may decode to text holding `/` (`%2F`) or to `.`/`..` (`%2e%2e`), and the
/// printed purl must parse back to the same value, so the cleaning sees decoded text.
fn decode_segments(path: &str, keep: impl Fn(&str) -> bool) -> String {
    let decoded: Vec<String> = path.split('/').map(decode).collect();
    let joined = decoded.join("/");
    let kept: Vec<&str> = joined.split('/').filter(|p| !p.is_empty() && keep(p)).collect();
    kept.join("/")
}

impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pkg:{}/", self.ty)?;
        if let Some(ns) = &self.namespace {
            for segment in ns.split('/').filter(|s| !s.is_empty()) {
                write!(f, "{}/", encode(segment))?;
            }
        }
        write!(f, "{}", encode(&self.name))?;
        if let Some(v) = &self.version {
            write!(f, "@{}", encode(v))?;
        }
        for (i, (k, v)) in self.qualifiers.iter().enumerate() {
            let sep = if i == 0 { '?' } else { '&' };
            write!(f, "{sep}{k}={}", utf8_percent_encode(v, QUALIFIER_VALUE))?;
        }
        if let Some(sub) = &self.subpath {
            f.write_str("#")?;
            for (i, segment) in sub.split('/').enumerate() {
                if i > 0 {
                    f.write_str("/")?;
                }
                write!(f, "{}", encode(segment))?;
            }
        }
        Ok(())
    }
}

impl Serialize for Purl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Purl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Purl::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Why a text is not a package URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid package URL {purl:?}: {reason}")]
pub struct PurlError {
    /// The text, as given.
    pub purl: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl PurlError {
    fn new(purl: &str, reason: &'static str) -> Self {
        PurlError { purl: purl.to_string(), reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npm_scope_is_percent_encoded_and_lowercased() {
        let p = Purl::new("npm", Some("@Angular"), "Core", Some("12.3.1"));
        assert_eq!(p.to_string(), "pkg:npm/%40angular/core@12.3.1");
    }

    #[test]
    fn pypi_name_is_lowercased_with_dashes() {
        assert_eq!(Purl::new("pypi", None, "Django_Rest", Some("1.0")).to_string(), "pkg:pypi/django-rest@1.0");
    }

    #[test]
    fn version_plus_and_space_are_encoded_colon_kept() {
        assert_eq!(Purl::new("cargo", None, "x", Some("1.0.0+build 5")).to_string(), "pkg:cargo/x@1.0.0%2Bbuild%205");
        let deb = Purl::new("deb", Some("debian"), "curl", Some("1:7.50.3-1"))
            .with_qualifier("distro", "debian-12")
            .with_qualifier("arch", "amd64");
        assert_eq!(deb.to_string(), "pkg:deb/debian/curl@1:7.50.3-1?arch=amd64&distro=debian-12");
    }

    #[test]
    fn golang_namespace_segments_and_subpath() {
        let p = Purl::new("golang", Some("github.com/Foo"), "bar", Some("v1.2.3")).with_subpath("/api/v2/");
        assert_eq!(p.to_string(), "pkg:golang/github.com/foo/bar@v1.2.3#api/v2");
    }

    #[test]
    fn maven_keeps_case() {
        let p = Purl::new("maven", Some("org.Apache"), "Commons", Some("1.0-SNAPSHOT"));
        assert_eq!(p.to_string(), "pkg:maven/org.Apache/Commons@1.0-SNAPSHOT");
    }

    #[test]
    fn parse_round_trips() {
        for s in [
            "pkg:npm/%40angular/core@12.3.1",
            "pkg:deb/debian/curl@1:7.50.3-1?arch=amd64&distro=debian-12",
            "pkg:golang/github.com/foo/bar@v1.2.3#api/v2",
            "pkg:maven/org.apache/commons@1.0?type=jar",
            "pkg:npm/mypackage@12.4.5?vcs_url=git://host.com/path/to/repo.git%404345abcd34343",
            "pkg:cargo/x@1.0.0%2Bbuild",
            "pkg:generic/name",
        ] {
            assert_eq!(Purl::parse(s).unwrap().to_string(), s);
        }
    }

    /// Found by the `purl` fuzz target: segments that only become `.`, `..`, empty or
    /// two segments once decoded printed as a purl that parsed to another value.
    #[test]
    fn encoded_dots_and_slashes_in_paths_print_back_to_the_same_purl() {
        for (s, namespace, subpath) in [
            ("pkg:n0m/%41bbeal/core@/%#\0ab.8n/e\0pkg:n/%2e", "Abbeal/core@", "\0ab.8n/e\0pkg:n"),
            ("pkg:generic/a/name#src/%2e%2e/%2E/x", "a", "src/x"),
            ("pkg:generic/a%2F/b/name#x%2F%2Fy%2F", "a/b", "x/y"),
        ] {
            let parsed = Purl::parse(s).unwrap();
            assert_eq!(parsed.namespace.as_deref(), Some(namespace), "{s}");
            assert_eq!(parsed.subpath.as_deref(), Some(subpath), "{s}");
            assert_eq!(Purl::parse(&parsed.to_string()).unwrap(), parsed, "{s}");
        }
    }

    #[test]
    fn parse_rejects_junk() {
        assert!(Purl::parse("npm/foo@1").is_err());
        assert!(Purl::parse("pkg:").is_err());
        assert!(Purl::parse("pkg:npm/").is_err());
        assert!(Purl::parse("pkg:1x/foo").is_err());
    }
}
