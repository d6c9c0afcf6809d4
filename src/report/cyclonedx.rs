//! CycloneDX 1.6 JSON.
//!
//! One component per distinct purl; every place it was declared becomes an
//! `evidence.occurrences` entry (file and line), so a package locked in two projects
//! of a monorepo is one component found twice, as CycloneDX intends.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::inventory::walk::Inventory;
use crate::model::{EcosystemKind, Package, Relationship};

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
    let components: Vec<Value> = by_purl.iter().map(|(purl, found)| component(purl, found)).collect();

    let keys: Vec<&str> = by_purl.keys().map(String::as_str).collect();
    let serial = super::content_uuid(&[&[inventory.root.as_str()][..], &keys].concat());
    json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{serial}"),
        "version": 1,
        "metadata": {
            "timestamp": super::timestamp(),
            "tools": {
                "components": [{
                    "type": "application",
                    "name": super::TOOL_NAME,
                    "version": super::TOOL_VERSION,
                }]
            },
            "component": {
                "type": "application",
                "bom-ref": "root",
                "name": super::target_name(&inventory.root),
            },
        },
        "components": components,
    })
}

fn component(purl: &str, found: &[&Package]) -> Value {
    let first = found[0];
    let (group, name) = split_group(first);
    let mut properties = vec![json!({"name": "customs:ecosystem", "value": first.ecosystem.to_string()})];
    // A package is only dev (or optional) when it is so everywhere it was found.
    if found.iter().all(|p| p.dev) {
        properties.push(json!({"name": "customs:dev", "value": "true"}));
    }
    if found.iter().all(|p| p.optional) {
        properties.push(json!({"name": "customs:optional", "value": "true"}));
    }
    if found.iter().any(|p| p.relationship == Relationship::Direct) {
        properties.push(json!({"name": "customs:direct", "value": "true"}));
    }
    let occurrences: Vec<Value> = found
        .iter()
        .map(|p| {
            let mut o = json!({"location": p.location.path});
            if let Some(line) = p.location.line {
                o["line"] = json!(line);
            }
            o
        })
        .collect();
    let mut c = json!({
        "type": "library",
        "bom-ref": purl,
        "name": name,
        "version": first.version,
        "purl": purl,
        "properties": properties,
        "evidence": {"occurrences": occurrences},
    });
    if let Some(group) = group {
        c["group"] = json!(group);
    }
    c
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
