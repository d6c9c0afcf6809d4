//! CycloneDX 1.6 JSON.
//!
//! One component per distinct purl; every place it was declared becomes an
//! `evidence.occurrences` entry (file and line), so a package locked in two projects
//! of a monorepo is one component found twice, as CycloneDX intends.
//!
//! The project's own packages (workspace members, local folders, links) are components
//! too, marked `customs:own` = `root|workspace-member|path|link`, with a bom-ref of
//! their own (`own:<purl>`) so that a local crate never shares a ref with the registry
//! package of the same name. When the scanned folder has exactly one root package, it
//! is the BOM's `metadata.component`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::inventory::walk::Inventory;
use crate::matching::Finding;
use crate::model::{EcosystemKind, OwnKind, OwnPackage, Package, Relationship};
use crate::scan::ScanResult;

/// The inventory as a CycloneDX 1.6 JSON SBOM, pretty-printed.
pub fn render(inventory: &Inventory) -> String {
    let mut out = serde_json::to_string_pretty(&document(inventory)).expect("BOM serialises");
    out.push('\n');
    out
}

/// A CycloneDX 1.6 document, as serialised (see [`document`]).
#[derive(Serialize)]
pub struct Bom<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    #[serde(rename = "bomFormat")]
    bom_format: &'static str,
    #[serde(rename = "specVersion")]
    spec_version: &'static str,
    #[serde(rename = "serialNumber")]
    serial_number: String,
    version: u32,
    metadata: Metadata,
    components: Vec<Component<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    vulnerabilities: Vec<Vulnerability>,
}

#[derive(Serialize)]
struct Metadata {
    timestamp: String,
    tools: Tools,
    component: RootComponent,
}

#[derive(Serialize)]
struct Tools {
    components: [Tool; 1],
}

#[derive(Serialize)]
struct Tool {
    #[serde(rename = "type")]
    ty: &'static str,
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct RootComponent {
    #[serde(rename = "type")]
    ty: &'static str,
    #[serde(rename = "bom-ref")]
    bom_ref: &'static str,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
}

#[derive(Serialize)]
struct Component<'a> {
    #[serde(rename = "type")]
    ty: &'static str,
    #[serde(rename = "bom-ref")]
    bom_ref: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<&'a str>,
    name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    version: &'a str,
    purl: String,
    properties: Vec<Property>,
    evidence: Evidence<'a>,
}

#[derive(Serialize)]
struct Property {
    name: &'static str,
    value: String,
}

#[derive(Serialize)]
struct Evidence<'a> {
    occurrences: Vec<Occurrence<'a>>,
}

#[derive(Serialize)]
struct Occurrence<'a> {
    location: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
}

/// The inventory as a CycloneDX document: one component per purl, with every place it was found.
pub fn document(inventory: &Inventory) -> Bom<'_> {
    let by_purl = group_by_purl(&inventory.packages);
    let root = sole_root(inventory);
    let own = group_own_by_purl(&inventory.own, root);
    let own_keys: Vec<String> = own.keys().map(|k| format!("own:{k}")).collect();
    let keys: Vec<&str> = by_purl.keys().chain(&own_keys).map(String::as_str).collect();
    let serial = super::content_uuid(&[&[inventory.root.as_str()][..], &keys].concat());
    let mut components: Vec<Component<'_>> = by_purl.into_iter().map(|(purl, found)| component(purl, &found)).collect();
    components.extend(own.into_iter().map(|(purl, found)| own_component(purl, &found)));
    Bom {
        schema: "http://cyclonedx.org/schema/bom-1.6.schema.json",
        bom_format: "CycloneDX",
        spec_version: "1.6",
        serial_number: format!("urn:uuid:{serial}"),
        version: 1,
        metadata: Metadata {
            timestamp: super::timestamp(),
            tools: Tools {
                components: [Tool { ty: "application", name: super::TOOL_NAME, version: super::TOOL_VERSION }],
            },
            component: root_component(inventory, root),
        },
        components,
        vulnerabilities: Vec::new(),
    }
}

/// A CycloneDX vulnerability disclosure report (VDR): the inventory's components plus
/// one `vulnerabilities` entry per advisory, pointing at every component it affects.
pub fn render_scan(result: &ScanResult) -> String {
    let mut bom = document(&result.inventory);
    let mut by_id: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &result.findings {
        by_id.entry(&f.id).or_default().push(f);
    }
    bom.vulnerabilities = by_id.into_values().map(|group| vulnerability(&group)).collect();
    let mut out = serde_json::to_string_pretty(&bom).expect("BOM serialises");
    out.push('\n');
    out
}

#[derive(Serialize)]
struct Vulnerability {
    #[serde(rename = "bom-ref")]
    bom_ref: String,
    id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    references: Vec<VulnerabilityReference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ratings: Vec<Rating>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recommendation: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    advisories: Vec<Advisory>,
    #[serde(skip_serializing_if = "Option::is_none")]
    published: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated: Option<String>,
    affects: Vec<Affects>,
    properties: Vec<Property>,
}

#[derive(Serialize)]
struct VulnerabilityReference {
    id: String,
    source: Source,
}

#[derive(Serialize)]
struct Source {
    name: String,
}

#[derive(Serialize)]
struct Rating {
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f64>,
    severity: String,
    method: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    vector: Option<String>,
}

#[derive(Serialize)]
struct Advisory {
    url: String,
}

#[derive(Serialize)]
struct Affects {
    #[serde(rename = "ref")]
    reference: String,
    versions: Vec<AffectedVersion>,
}

#[derive(Serialize)]
struct AffectedVersion {
    version: String,
    status: &'static str,
}

fn vulnerability(group: &[&Finding]) -> Vulnerability {
    let first = group[0];
    let ratings = first
        .severity
        .iter()
        .map(|s| Rating {
            score: s.score,
            severity: s.rating.to_string(),
            method: match s.source.as_str() {
                "CVSS_V4" => "CVSSv4",
                "CVSS_V3" if s.vector.as_deref().is_some_and(|v| v.starts_with("CVSS:3.1")) => "CVSSv31",
                "CVSS_V3" => "CVSSv3",
                "CVSS_V2" => "CVSSv2",
                _ => "other",
            },
            vector: s.vector.clone(),
        })
        .collect();
    // Each affected component once, with the installed version.
    let mut affects: BTreeMap<String, &str> = BTreeMap::new();
    for f in group {
        affects.entry(f.package.purl.to_string()).or_insert(&f.package.version);
    }
    let mut fixed: Vec<&str> = group.iter().flat_map(|f| f.fixed_versions.iter().map(String::as_str)).collect();
    fixed.dedup();
    Vulnerability {
        bom_ref: format!("vuln:{}", first.id),
        id: first.id.clone(),
        references: first
            .aliases
            .iter()
            .map(|a| VulnerabilityReference { id: a.clone(), source: Source { name: alias_source(a).into() } })
            .collect(),
        ratings,
        description: first.summary.clone(),
        detail: first.details.clone(),
        recommendation: (!fixed.is_empty()).then(|| format!("Upgrade to a fixed version: {}", fixed.join(", "))),
        // Only http(s) links, encoded: a reference is advisory data, and the field is a URI.
        advisories: first
            .references
            .iter()
            .filter_map(|u| super::escape::http_link(u))
            .take(20)
            .map(|url| Advisory { url })
            .collect(),
        published: first.published.clone(),
        updated: Some(first.modified.clone()).filter(|m| !m.is_empty()),
        affects: affects
            .into_iter()
            .map(|(reference, version)| Affects {
                reference,
                versions: vec![AffectedVersion { version: version.to_string(), status: "affected" }],
            })
            .collect(),
        properties: vec![Property { name: "customs:kind", value: format!("{:?}", first.kind).to_lowercase() }],
    }
}

/// The database an alias id comes from, by its prefix.
fn alias_source(id: &str) -> &'static str {
    match id.split('-').next().unwrap_or_default() {
        "CVE" => "NVD",
        "GHSA" => "GitHub Advisories",
        "RUSTSEC" => "RustSec",
        "PYSEC" => "PyPA",
        "GO" => "Go Vulnerability Database",
        _ => "OSV",
    }
}

/// The project's root package, when the scanned folder has exactly one (a monorepo of
/// several projects has several, and then each is a component like the other own
/// packages). Never for an image: the image is the subject.
pub(crate) fn sole_root(inventory: &Inventory) -> Option<&OwnPackage> {
    let mut roots = inventory.own.iter().filter(|o| o.kind == OwnKind::Root);
    let root = roots.next()?;
    (inventory.image.is_none() && roots.all(|other| other.package.purl == root.package.purl)).then_some(root)
}

/// The BOM's subject: the scanned folder (named by its root package when there is one),
/// or the image with its digest, purl and platform.
fn root_component(inventory: &Inventory, root: Option<&OwnPackage>) -> RootComponent {
    let Some(image) = &inventory.image else {
        return match root {
            None => RootComponent {
                ty: "application",
                bom_ref: "root",
                name: super::target_name(&inventory.root),
                version: None,
                purl: None,
                properties: Vec::new(),
            },
            Some(own) => RootComponent {
                ty: "application",
                bom_ref: "root",
                name: own.package.name.clone(),
                version: Some(own.package.version.clone()).filter(|v| !v.is_empty()),
                purl: Some(own.package.purl.to_string()),
                properties: vec![
                    Property { name: "customs:ecosystem", value: own.package.ecosystem.to_string() },
                    Property { name: "customs:own", value: OwnKind::Root.as_str().into() },
                ],
            },
        };
    };
    let mut properties = vec![Property { name: "customs:image:platform", value: image.platform.clone() }];
    if let Some(os) = &image.os {
        properties.push(Property { name: "customs:image:os", value: os.clone() });
    }
    if let Some(ecosystem) = &image.ecosystem {
        properties.push(Property { name: "customs:ecosystem", value: ecosystem.to_string() });
    }
    for (i, layer) in image.layers.iter().enumerate() {
        properties.push(Property { name: "customs:image:layer", value: format!("{i}:{layer}") });
    }
    RootComponent {
        ty: "container",
        bom_ref: "root",
        name: image.reference.clone(),
        version: Some(image.manifest_digest.clone()),
        purl: Some(super::image_purl(image).to_string()),
        properties,
    }
}

/// Packages by purl string, in purl order: one entry per distinct package.
pub(crate) fn group_by_purl(packages: &[Package]) -> BTreeMap<String, Vec<&Package>> {
    let mut by_purl: BTreeMap<String, Vec<&Package>> = BTreeMap::new();
    for p in packages {
        by_purl.entry(p.purl.to_string()).or_default().push(p);
    }
    by_purl
}

/// The own packages by purl, the sole root left out (it is `metadata.component`).
fn group_own_by_purl<'a>(own: &'a [OwnPackage], root: Option<&OwnPackage>) -> BTreeMap<String, Vec<&'a OwnPackage>> {
    let mut by_purl: BTreeMap<String, Vec<&OwnPackage>> = BTreeMap::new();
    for o in own.iter().filter(|o| !root.is_some_and(|r| o.kind == OwnKind::Root && r.package.purl == o.package.purl)) {
        by_purl.entry(o.package.purl.to_string()).or_default().push(o);
    }
    by_purl
}

/// One of the project's own packages: marked with what it is (the most telling kind
/// when it was found as several), never `customs:direct`, since nothing is matched.
fn own_component<'a>(purl: String, found: &[&'a OwnPackage]) -> Component<'a> {
    let first = &found[0].package;
    let (group, name) = split_group(first);
    let kind = found.iter().map(|o| o.kind).min().unwrap_or(OwnKind::WorkspaceMember);
    Component {
        ty: "library",
        bom_ref: format!("own:{purl}"),
        group,
        name,
        version: &first.version,
        purl,
        properties: vec![
            Property { name: "customs:ecosystem", value: first.ecosystem.to_string() },
            Property { name: "customs:own", value: kind.as_str().into() },
        ],
        evidence: Evidence {
            occurrences: found
                .iter()
                .map(|o| Occurrence { location: &o.package.location.path, line: o.package.location.line })
                .collect(),
        },
    }
}

fn component<'a>(purl: String, found: &[&'a Package]) -> Component<'a> {
    let first = found[0];
    let (group, name) = split_group(first);
    let mut properties = vec![Property { name: "customs:ecosystem", value: first.ecosystem.to_string() }];
    // A package is only dev (or optional) when it is so everywhere it was found.
    if found.iter().all(|p| p.dev) {
        properties.push(Property { name: "customs:dev", value: "true".into() });
    }
    if found.iter().all(|p| p.optional) {
        properties.push(Property { name: "customs:optional", value: "true".into() });
    }
    if found.iter().any(|p| p.relationship == Relationship::Direct) {
        properties.push(Property { name: "customs:direct", value: "true".into() });
    }
    let mut aliases: Vec<&str> = found.iter().filter_map(|p| p.alias.as_deref()).collect();
    aliases.sort_unstable();
    aliases.dedup();
    // The names the project installs this package under (npm aliases), one each.
    properties.extend(aliases.into_iter().map(|a| Property { name: "customs:alias", value: a.to_string() }));
    Component {
        ty: "library",
        bom_ref: purl.clone(),
        group,
        name,
        version: &first.version,
        purl,
        properties,
        evidence: Evidence {
            occurrences: found
                .iter()
                .map(|p| Occurrence { location: &p.location.path, line: p.location.line })
                .collect(),
        },
    }
}

/// CycloneDX `group` is the Maven groupId, the npm scope or the Composer vendor.
fn split_group(p: &Package) -> (Option<&str>, &str) {
    let separator = match p.ecosystem.kind {
        EcosystemKind::Maven => ':',
        EcosystemKind::Npm if p.name.starts_with('@') => '/',
        EcosystemKind::Packagist => '/',
        _ => return (None, &p.name),
    };
    match p.name.split_once(separator) {
        Some((group, name)) => (Some(group), name),
        None => (None, &p.name),
    }
}
