//! SPDX 2.3 JSON.
//!
//! One SPDX package per distinct purl, contained by the document's root package (the
//! scanned target); the declaring files and lines go in `sourceInfo`. The project's own
//! packages (workspace members, local folders, links) are packages too, each with a
//! `comment` saying what it is (`customs:own workspace-member: …`); a sole root package
//! names the root package itself.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;

use crate::inventory::walk::Inventory;
use crate::model::{Location, OwnKind, OwnPackage};

/// The inventory as an SPDX 2.3 JSON document, pretty-printed.
pub fn render(inventory: &Inventory) -> String {
    let mut out = serde_json::to_string_pretty(&document(inventory)).expect("SPDX document serialises");
    out.push('\n');
    out
}

/// An SPDX 2.3 document, as serialised (see [`document`]).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Document<'a> {
    spdx_version: &'static str,
    data_license: &'static str,
    #[serde(rename = "SPDXID")]
    spdx_id: &'static str,
    name: String,
    document_namespace: String,
    creation_info: CreationInfo,
    document_describes: [&'static str; 1],
    packages: Vec<SpdxPackage<'a>>,
    relationships: Vec<Relationship>,
}

#[derive(Serialize)]
struct CreationInfo {
    created: String,
    creators: [String; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SpdxPackage<'a> {
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    name: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_info: Option<&'a str>,
    download_location: &'static str,
    files_analyzed: bool,
    primary_package_purpose: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_info: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_refs: Vec<ExternalRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalRef {
    reference_category: &'static str,
    reference_type: &'static str,
    reference_locator: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Relationship {
    spdx_element_id: String,
    relationship_type: &'static str,
    related_spdx_element: String,
}

const ROOT_ID: &str = "SPDXRef-Root";

/// What SPDX says of one of the project's own packages.
fn own_comment(kind: OwnKind) -> String {
    format!(
        "customs:own {}: the project's own package, not a registry package; not matched against advisories",
        kind.as_str()
    )
}

/// `path:line` for each place a package was declared.
fn places<'p>(locations: impl Iterator<Item = &'p Location>) -> String {
    let places: Vec<String> = locations
        .map(|l| match l.line {
            Some(line) => format!("{}:{line}", l.path),
            None => l.path.clone(),
        })
        .collect();
    places.join(", ")
}

fn purl_ref(locator: String) -> Vec<ExternalRef> {
    vec![ExternalRef { reference_category: "PACKAGE-MANAGER", reference_type: "purl", reference_locator: locator }]
}

/// The inventory as an SPDX document: one package per purl, with a purl reference each.
pub fn document(inventory: &Inventory) -> Document<'_> {
    let by_purl = super::cyclonedx::group_by_purl(&inventory.packages);
    let sole_root = super::cyclonedx::sole_root(inventory);
    let mut own: BTreeMap<String, Vec<&OwnPackage>> = BTreeMap::new();
    for o in &inventory.own {
        if !sole_root.is_some_and(|r| o.kind == OwnKind::Root && r.package.purl == o.package.purl) {
            own.entry(o.package.purl.to_string()).or_default().push(o);
        }
    }
    let name = super::target_name(&inventory.root);
    let own_keys: Vec<String> = own.keys().map(|k| format!("own:{k}")).collect();
    let keys: Vec<&str> = by_purl.keys().chain(&own_keys).map(String::as_str).collect();
    let uuid = super::content_uuid(&[&[inventory.root.as_str()][..], &keys].concat());

    let root = match &inventory.image {
        None => SpdxPackage {
            spdx_id: ROOT_ID.into(),
            name: match sole_root {
                Some(r) => Cow::Borrowed(&r.package.name),
                None => Cow::Owned(name.clone()),
            },
            version_info: sole_root.map(|r| r.package.version.as_str()).filter(|v| !v.is_empty()),
            download_location: "NOASSERTION",
            files_analyzed: false,
            primary_package_purpose: "APPLICATION",
            source_info: sole_root.map(|r| format!("declared in {}", places(std::iter::once(&r.package.location)))),
            external_refs: sole_root.map(|r| purl_ref(r.package.purl.to_string())).unwrap_or_default(),
            comment: sole_root.map(|r| own_comment(r.kind)),
        },
        Some(image) => SpdxPackage {
            spdx_id: ROOT_ID.into(),
            name: Cow::Borrowed(&image.reference),
            version_info: Some(&image.manifest_digest),
            download_location: "NOASSERTION",
            files_analyzed: false,
            primary_package_purpose: "CONTAINER",
            source_info: Some(format!("container image for {}", image.platform)),
            external_refs: purl_ref(super::image_purl(image).to_string()),
            comment: None,
        },
    };
    let mut packages = Vec::with_capacity(by_purl.len() + 1);
    packages.push(root);
    let mut relationships = Vec::with_capacity(by_purl.len() + 1);
    relationships.push(Relationship {
        spdx_element_id: "SPDXRef-DOCUMENT".into(),
        relationship_type: "DESCRIBES",
        related_spdx_element: ROOT_ID.into(),
    });
    let registry = by_purl.into_iter().map(|(purl, found)| {
        let first = found[0];
        (purl, first, places(found.iter().map(|p| &p.location)), None)
    });
    let own = own.into_iter().map(|(purl, found)| {
        let kind = found.iter().map(|o| o.kind).min().unwrap_or(OwnKind::WorkspaceMember);
        (purl, &found[0].package, places(found.iter().map(|o| &o.package.location)), Some(own_comment(kind)))
    });
    for (i, (purl, first, places, comment)) in registry.chain(own).enumerate() {
        let id = format!("SPDXRef-Package-{}", i + 1);
        relationships.push(Relationship {
            spdx_element_id: ROOT_ID.into(),
            relationship_type: "CONTAINS",
            related_spdx_element: id.clone(),
        });
        packages.push(SpdxPackage {
            spdx_id: id,
            name: Cow::Borrowed(&first.name),
            version_info: Some(first.version.as_str()).filter(|v| !v.is_empty()),
            download_location: "NOASSERTION",
            files_analyzed: false,
            primary_package_purpose: "LIBRARY",
            source_info: Some(format!("declared in {places}")),
            external_refs: purl_ref(purl),
            comment,
        });
    }
    let namespace_name: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '-' }).collect();
    Document {
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        spdx_id: "SPDXRef-DOCUMENT",
        document_namespace: format!("https://spdx.org/spdxdocs/customs/{namespace_name}-{uuid}"),
        name,
        creation_info: CreationInfo {
            created: super::timestamp(),
            creators: [format!("Tool: {}-{}", super::TOOL_NAME, super::TOOL_VERSION)],
        },
        document_describes: [ROOT_ID],
        packages,
        relationships,
    }
}
