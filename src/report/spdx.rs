//! SPDX 2.3 JSON.
//!
//! One SPDX package per distinct purl, described by the document's root package
//! (the scanned target) through `CONTAINS`; the declaring files go in `sourceInfo`.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::inventory::walk::Inventory;
use crate::model::Package;

pub fn render(inventory: &Inventory) -> String {
    let mut out = serde_json::to_string_pretty(&document(inventory)).expect("JSON values serialise");
    out.push('\n');
    out
}

pub fn document(inventory: &Inventory) -> Value {
    let mut by_purl: BTreeMap<String, Vec<&Package>> = BTreeMap::new();
    for p in &inventory.packages {
        by_purl.entry(p.purl.to_string()).or_default().push(p);
    }
    let name = super::target_name(&inventory.root);
    let keys: Vec<&str> = by_purl.keys().map(String::as_str).collect();
    let uuid = super::content_uuid(&[&[inventory.root.as_str()][..], &keys].concat());

    let mut packages = vec![json!({
        "SPDXID": "SPDXRef-Root",
        "name": name,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "primaryPackagePurpose": "APPLICATION",
    })];
    let mut relationships = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": "SPDXRef-Root",
    })];
    for (i, (purl, found)) in by_purl.iter().enumerate() {
        let id = format!("SPDXRef-Package-{}", i + 1);
        let first = found[0];
        let places: Vec<String> = found
            .iter()
            .map(|p| match p.location.line {
                Some(line) => format!("{}:{line}", p.location.path),
                None => p.location.path.clone(),
            })
            .collect();
        packages.push(json!({
            "SPDXID": id,
            "name": first.name,
            "versionInfo": first.version,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "primaryPackagePurpose": "LIBRARY",
            "sourceInfo": format!("declared in {}", places.join(", ")),
            "externalRefs": [{
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": purl,
            }],
        }));
        relationships.push(json!({
            "spdxElementId": "SPDXRef-Root",
            "relationshipType": "CONTAINS",
            "relatedSpdxElement": id,
        }));
    }
    json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": name,
        "documentNamespace": format!("https://spdx.org/spdxdocs/customs/{name}-{uuid}"),
        "creationInfo": {
            "created": super::timestamp(),
            "creators": [format!("Tool: {}-{}", super::TOOL_NAME, super::TOOL_VERSION)],
        },
        "documentDescribes": ["SPDXRef-Root"],
        "packages": packages,
        "relationships": relationships,
    })
}
