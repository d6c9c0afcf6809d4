//! OpenVEX 0.2.0 (<https://github.com/openvex/spec>): a supplier's or a team's
//! statements that a product is, or is not, affected by a vulnerability.
//!
//! `not_affected` and `fixed` suppress the findings they name; `affected` and
//! `under_investigation` do not. When several statements speak about the same
//! finding, the latest (by `last_updated`, else `timestamp`, the document's when the
//! statement has none) wins, so a later `affected` revokes an earlier `not_affected`.
//! Ties go to the statement read last. Statements are validated as the spec requires
//! (a `not_affected` needs a justification or an impact statement): an unjustified
//! claim is exactly what should not silence a security gate.

use std::path::Path;

use anyhow::{bail, Context as _};
use serde::Deserialize;

use super::time::Timestamp;
use crate::matching::Finding;
use crate::model::display_path;
use crate::purl::Purl;

/// The `@context` every OpenVEX document starts with (followed by a version).
const CONTEXT: &str = "https://openvex.dev/ns";

const JUSTIFICATIONS: &[&str] = &[
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
];

/// An OpenVEX statement's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The product is not affected (a justification says why).
    NotAffected,
    /// The product is affected.
    Affected,
    /// The product has the fix.
    Fixed,
    /// Not known yet.
    UnderInvestigation,
}

impl Status {
    fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "not_affected" => Status::NotAffected,
            "affected" => Status::Affected,
            "fixed" => Status::Fixed,
            "under_investigation" => Status::UnderInvestigation,
            _ => return None,
        })
    }

    /// Whether the status suppresses a finding (not affected, or fixed).
    pub fn suppresses(self) -> bool {
        matches!(self, Status::NotAffected | Status::Fixed)
    }
}

/// One statement, ready to match findings.
#[derive(Debug, Clone)]
pub struct Statement {
    /// The file it came from, as shown to users.
    pub source: String,
    /// The vulnerability's `name`, `@id` and `aliases`.
    pub names: Vec<String>,
    /// The products (packages, or images with packages inside) the statement is about.
    pub products: Vec<Product>,
    /// What the statement says of them.
    pub status: Status,
    /// Why not affected (`vulnerable_code_not_in_execute_path`).
    pub justification: Option<String>,
    /// Free text on why not affected.
    pub impact_statement: Option<String>,
    /// Free text on the status.
    pub status_notes: Option<String>,
    /// When the statement was made; later statements win.
    pub time: Timestamp,
}

/// A product: a package purl, or (for an image) a purl with the packages inside it.
#[derive(Debug, Clone)]
pub struct Product {
    /// The product's purl, when it has one.
    pub purl: Option<Purl>,
    /// The packages inside the product the statement is about.
    pub subcomponents: Vec<Purl>,
}

#[derive(Deserialize)]
struct RawDocument {
    #[serde(rename = "@context")]
    context: String,
    timestamp: Option<String>,
    last_updated: Option<String>,
    #[serde(default)]
    statements: Vec<RawStatement>,
}

#[derive(Deserialize)]
struct RawStatement {
    vulnerability: RawVulnerability,
    #[serde(default)]
    products: Vec<RawProduct>,
    status: String,
    justification: Option<String>,
    impact_statement: Option<String>,
    status_notes: Option<String>,
    timestamp: Option<String>,
    last_updated: Option<String>,
}

/// OpenVEX 0.2.0 writes an object; earlier drafts wrote the name as a string.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawVulnerability {
    Name(String),
    Object {
        #[serde(rename = "@id")]
        id: Option<String>,
        name: Option<String>,
        #[serde(default)]
        aliases: Vec<String>,
    },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawProduct {
    Id(String),
    Object(RawComponent),
}

#[derive(Deserialize)]
struct RawComponent {
    #[serde(rename = "@id")]
    id: Option<String>,
    identifiers: Option<Identifiers>,
    #[serde(default)]
    subcomponents: Vec<RawComponent>,
}

#[derive(Deserialize)]
struct Identifiers {
    purl: Option<String>,
}

/// Reads one OpenVEX document. Errors name the file and the statement.
pub fn load(path: &Path) -> anyhow::Result<Vec<Statement>> {
    let text = super::read_text(path)?;
    let doc: RawDocument = crate::inventory::text::json(path, &text)?;
    let source = display_path(path);
    if !doc.context.starts_with(CONTEXT) {
        bail!("{source}: not an OpenVEX document (@context is {:?}, expected {CONTEXT}/v0.2.0)", doc.context);
    }
    let doc_time = doc.last_updated.as_deref().or(doc.timestamp.as_deref());
    doc.statements
        .into_iter()
        .enumerate()
        .map(|(i, raw)| statement(raw, doc_time, &source).with_context(|| format!("{source}: statements[{i}]")))
        .collect()
}

fn statement(raw: RawStatement, doc_time: Option<&str>, source: &str) -> anyhow::Result<Statement> {
    let names: Vec<String> = match raw.vulnerability {
        RawVulnerability::Name(name) => vec![name],
        RawVulnerability::Object { id, name, aliases } => id.into_iter().chain(name).chain(aliases).collect(),
    };
    let names: Vec<String> = names.into_iter().map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).collect();
    if names.is_empty() {
        bail!("the vulnerability has no name, @id or aliases");
    }
    let status = Status::parse(&raw.status).with_context(|| {
        format!("unknown status {:?}: use not_affected, affected, fixed or under_investigation", raw.status)
    })?;
    if let Some(j) = &raw.justification {
        if !JUSTIFICATIONS.contains(&j.as_str()) {
            bail!("unknown justification {j:?}: use one of {}", JUSTIFICATIONS.join(", "));
        }
    }
    if status == Status::NotAffected && raw.justification.is_none() && raw.impact_statement.is_none() {
        bail!("a not_affected statement needs a justification or an impact_statement");
    }
    let time = raw.last_updated.as_deref().or(raw.timestamp.as_deref()).or(doc_time);
    let time = time.map(Timestamp::parse).transpose().map_err(anyhow::Error::msg)?.unwrap_or_default();
    let products = raw.products.into_iter().map(product).collect::<anyhow::Result<_>>()?;
    Ok(Statement {
        source: source.to_string(),
        names,
        products,
        status,
        justification: raw.justification,
        impact_statement: raw.impact_statement,
        status_notes: raw.status_notes,
        time,
    })
}

fn product(raw: RawProduct) -> anyhow::Result<Product> {
    match raw {
        RawProduct::Id(id) => Ok(Product { purl: purl_of(Some(&id), None)?, subcomponents: Vec::new() }),
        RawProduct::Object(c) => {
            let mut subcomponents = Vec::new();
            for sub in &c.subcomponents {
                if let Some(purl) = component_purl(sub)? {
                    subcomponents.push(purl);
                }
            }
            Ok(Product { purl: component_purl(&c)?, subcomponents })
        }
    }
}

fn component_purl(c: &RawComponent) -> anyhow::Result<Option<Purl>> {
    purl_of(c.id.as_deref(), c.identifiers.as_ref().and_then(|i| i.purl.as_deref()))
}

/// `identifiers.purl`, else an `@id` that is a purl. Other `@id`s (URLs, image
/// names) identify products customs cannot see into and match nothing directly.
fn purl_of(id: Option<&str>, identifier: Option<&str>) -> anyhow::Result<Option<Purl>> {
    match identifier.or(id.filter(|id| id.starts_with("pkg:"))) {
        Some(p) => Ok(Some(Purl::parse(p.trim())?)),
        None => Ok(None),
    }
}

impl Statement {
    /// Whether the statement speaks about this finding. `image_digest` is the
    /// manifest digest of the scanned image, when the target was one.
    pub fn applies_to(&self, finding: &Finding, image_digest: Option<&str>) -> bool {
        let named = std::iter::once(&finding.id)
            .chain(&finding.aliases)
            .any(|id| self.names.iter().any(|n| n.eq_ignore_ascii_case(id)));
        named && self.products.iter().any(|p| p.covers(&finding.package.purl, image_digest))
    }

    /// What a suppression by this statement says in reports.
    pub fn reason(&self) -> String {
        if let Some(text) = self.impact_statement.as_ref().or(self.status_notes.as_ref()) {
            return text.clone();
        }
        match self.status {
            Status::Fixed => "fixed, according to VEX".into(),
            _ => "not affected, according to VEX".into(),
        }
    }
}

impl Product {
    /// A product with subcomponents (an image and the packages in it) covers those
    /// packages — provided, when both sides name an image digest, that it is the
    /// scanned image. A product without them covers the package its purl names.
    fn covers(&self, package: &Purl, image_digest: Option<&str>) -> bool {
        if self.subcomponents.is_empty() {
            return self.purl.as_ref().is_some_and(|p| purl_matches(p, package));
        }
        let same_image = match (&self.purl, image_digest) {
            (Some(p), Some(digest)) if p.ty == "oci" => {
                p.version.as_deref().is_none_or(|v| v.eq_ignore_ascii_case(digest))
            }
            _ => true,
        };
        same_image && self.subcomponents.iter().any(|s| purl_matches(s, package))
    }
}

/// Type, namespace and name always; the version, qualifiers and subpath only when
/// the VEX purl states them (a versionless purl speaks for every version).
pub fn purl_matches(vex: &Purl, package: &Purl) -> bool {
    vex.ty == package.ty
        && vex.namespace == package.namespace
        && vex.name == package.name
        && vex.version.as_ref().is_none_or(|v| package.version.as_ref() == Some(v))
        && vex.qualifiers.iter().all(|(k, v)| package.qualifiers.get(k) == Some(v))
        && vex.subpath.as_ref().is_none_or(|s| package.subpath.as_ref() == Some(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn purl(s: &str) -> Purl {
        Purl::parse(s).unwrap()
    }

    #[test]
    fn purls_match_on_what_the_vex_purl_states() {
        let pkg = purl("pkg:deb/debian/openssl@3.0.11-1?arch=amd64&distro=debian-12");
        assert!(purl_matches(&purl("pkg:deb/debian/openssl"), &pkg));
        assert!(purl_matches(&purl("pkg:deb/debian/openssl@3.0.11-1"), &pkg));
        assert!(purl_matches(&purl("pkg:deb/debian/openssl@3.0.11-1?arch=amd64"), &pkg));
        assert!(!purl_matches(&purl("pkg:deb/debian/openssl@3.0.11-1?arch=arm64"), &pkg));
        assert!(!purl_matches(&purl("pkg:deb/debian/openssl@3.0.12-1"), &pkg));
        assert!(!purl_matches(&purl("pkg:deb/ubuntu/openssl"), &pkg));
        assert!(!purl_matches(&purl("pkg:rpm/debian/openssl"), &pkg));
    }

    #[test]
    fn draft_string_forms_load_and_statement_times_fall_back_to_the_document() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("draft.json");
        std::fs::write(
            &path,
            r#"{"@context": "https://openvex.dev/ns", "timestamp": "2023-01-08T18:02:03-06:00",
                "statements": [
                  {"vulnerability": "CVE-2019-15551", "products": ["pkg:cargo/smallvec", "https://example.com/app"],
                   "status": "fixed"},
                  {"vulnerability": {"name": "CVE-1"}, "products": [], "status": "affected",
                   "timestamp": "2024-01-01T00:00:00Z"}
                ]}"#,
        )
        .unwrap();
        let statements = load(&path).unwrap();
        assert_eq!(statements[0].names, ["CVE-2019-15551"]);
        assert_eq!(statements[0].products[0].purl, Some(purl("pkg:cargo/smallvec")));
        assert!(statements[0].products[1].purl.is_none(), "a URL names no package");
        assert_eq!(statements[0].time, Timestamp::parse("2023-01-09T00:02:03Z").unwrap());
        assert_eq!(statements[1].time, Timestamp::parse("2024-01-01T00:00:00Z").unwrap());
        assert_eq!(statements[0].reason(), "fixed, according to VEX");
    }

    #[test]
    fn image_products_cover_their_subcomponents_only_for_that_image() {
        let product = Product {
            purl: Some(purl("pkg:oci/app@sha256%3Aabc?repository_url=ghcr.io/acme/app")),
            subcomponents: vec![purl("pkg:cargo/smallvec@0.6.9")],
        };
        let pkg = purl("pkg:cargo/smallvec@0.6.9");
        assert!(product.covers(&pkg, None), "a lockfile or SBOM scan has no image to compare");
        assert!(product.covers(&pkg, Some("sha256:abc")));
        assert!(!product.covers(&pkg, Some("sha256:def")), "another image");
        assert!(!product.covers(&purl("pkg:cargo/hyper@0.14.9"), None));
    }
}
