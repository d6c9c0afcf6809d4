//! SPDX 2.3 JSON.
//!
//! One SPDX package per distinct purl, contained by the document's root package (the
//! scanned target); the declaring files and lines go in `sourceInfo`.

use std::borrow::Cow;

use serde::Serialize;

use crate::inventory::walk::Inventory;

pub fn render(inventory: &Inventory) -> String {
    let mut out = serde_json::to_string_pretty(&document(inventory)).expect("SPDX document serialises");
    out.push('\n');
    out
}

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

pub fn document(inventory: &Inventory) -> Document<'_> {
    let by_purl = super::cyclonedx::group_by_purl(&inventory.packages);
    let name = super::target_name(&inventory.root);
    let keys: Vec<&str> = by_purl.keys().map(String::as_str).collect();
    let uuid = super::content_uuid(&[&[inventory.root.as_str()][..], &keys].concat());

    let root = match &inventory.image {
        None => SpdxPackage {
            spdx_id: ROOT_ID.into(),
            name: Cow::Owned(name.clone()),
            version_info: None,
            download_location: "NOASSERTION",
            files_analyzed: false,
            primary_package_purpose: "APPLICATION",
            source_info: None,
            external_refs: Vec::new(),
        },
        Some(image) => SpdxPackage {
            spdx_id: ROOT_ID.into(),
            name: Cow::Borrowed(&image.reference),
            version_info: Some(&image.manifest_digest),
            download_location: "NOASSERTION",
            files_analyzed: false,
            primary_package_purpose: "CONTAINER",
            source_info: Some(format!("container image for {}", image.platform)),
            external_refs: vec![ExternalRef {
                reference_category: "PACKAGE-MANAGER",
                reference_type: "purl",
                reference_locator: super::image_purl(image).to_string(),
            }],
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
    for (i, (purl, found)) in by_purl.into_iter().enumerate() {
        let id = format!("SPDXRef-Package-{}", i + 1);
        let places: Vec<String> = found
            .iter()
            .map(|p| match p.location.line {
                Some(line) => format!("{}:{line}", p.location.path),
                None => p.location.path.clone(),
            })
            .collect();
        relationships.push(Relationship {
            spdx_element_id: ROOT_ID.into(),
            relationship_type: "CONTAINS",
            related_spdx_element: id.clone(),
        });
        packages.push(SpdxPackage {
            spdx_id: id,
            name: Cow::Borrowed(&found[0].name),
            version_info: Some(&found[0].version),
            download_location: "NOASSERTION",
            files_analyzed: false,
            primary_package_purpose: "LIBRARY",
            source_info: Some(format!("declared in {}", places.join(", "))),
            external_refs: vec![ExternalRef {
                reference_category: "PACKAGE-MANAGER",
                reference_type: "purl",
                reference_locator: purl,
            }],
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
