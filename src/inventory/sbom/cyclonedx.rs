//! CycloneDX JSON (1.2 to 1.6): the fields customs reads, and how components become
//! packages: the component tree walked without recursion, `metadata.component` as the
//! subject, direct dependencies from the subject's `dependsOn`, scopes and the
//! properties customs, Trivy and Syft write.

use std::collections::HashSet;

use serde::Deserialize;

use super::{declaration, non_empty, Declared, Reader, SUBJECT};
use crate::model::Relationship;

#[derive(Deserialize)]
pub struct Bom {
    pub metadata: Option<Metadata>,
    pub components: Option<Vec<Component>>,
    pub dependencies: Option<Vec<Dependency>>,
}

#[derive(Deserialize)]
pub struct Metadata {
    pub component: Option<Component>,
}

#[derive(Deserialize)]
pub struct Component {
    #[serde(rename = "type")]
    pub ty: Option<String>,
    #[serde(rename = "bom-ref")]
    pub bom_ref: Option<String>,
    pub group: Option<String>,
    pub name: Option<String>,
    pub version: Option<String>,
    pub purl: Option<String>,
    pub scope: Option<String>,
    pub properties: Option<Vec<Property>>,
    pub components: Option<Vec<Component>>,
}

#[derive(Deserialize)]
pub struct Property {
    pub name: Option<String>,
    pub value: Option<String>,
}

#[derive(Deserialize)]
pub struct Dependency {
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    #[serde(rename = "dependsOn")]
    pub depends_on: Option<Vec<String>>,
}

impl Reader<'_, '_> {
    pub(super) fn cyclonedx(&mut self, bom: &Bom) {
        let subject = bom.metadata.as_ref().and_then(|m| m.component.as_ref());

        // Every component, parents before children, in document order.
        let mut order: Vec<&Component> = Vec::new();
        let mut stack: Vec<&Component> = subject
            .into_iter()
            .flat_map(|s| s.components.iter().flatten())
            .chain(bom.components.iter().flatten())
            .collect();
        stack.reverse();
        while let Some(component) = stack.pop() {
            order.push(component);
            stack.extend(component.components.iter().flatten().rev());
        }

        for c in order.iter().filter(|c| c.ty.as_deref() == Some("operating-system")) {
            self.os.record(c.name.as_deref(), c.version.as_deref());
        }
        let subject_ref = subject.and_then(|s| s.bom_ref.as_deref());
        let direct: HashSet<&str> = bom
            .dependencies
            .iter()
            .flatten()
            .filter(|d| subject_ref.is_some() && d.reference.as_deref() == subject_ref)
            .flat_map(|d| d.depends_on.iter().flatten().map(String::as_str))
            .collect();

        if let Some(purl) = subject.and_then(|s| non_empty(s.purl.as_deref())) {
            let line = self.lines.purl(purl).or_else(|| self.lines.id(subject.and_then(|s| s.bom_ref.as_deref())));
            self.skip(line, purl.trim(), SUBJECT);
        }

        for c in order {
            let id_line = self.lines.id(c.bom_ref.as_deref());
            let Some(purl) = non_empty(c.purl.as_deref()) else {
                if !matches!(c.ty.as_deref(), Some("operating-system" | "file")) {
                    self.skip(id_line, &component_declaration(c), "no package URL (purl) to tell its ecosystem");
                }
                continue;
            };
            let properties = c.properties.as_deref().unwrap_or_default();
            let property = |key: &str| -> Option<&str> {
                properties
                    .iter()
                    .find(|p| p.name.as_deref() == Some(key))
                    .and_then(|p| non_empty(p.value.as_deref()))
                    .map(str::trim)
            };
            if let Some(kind) = property("customs:own") {
                // customs' own SBOM marks the project's own packages: never matched.
                let reason = format!("the project's own package ({kind}), not a registry package");
                self.skip(id_line, &component_declaration(c), reason);
                continue;
            }
            let is_true = |key: &str| property(key).is_some_and(|v| v.eq_ignore_ascii_case("true"));
            let is_direct = is_true("customs:direct") || c.bom_ref.as_deref().is_some_and(|r| direct.contains(r));
            let mut names = Vec::new();
            if let Some(name) = non_empty(c.name.as_deref()) {
                if let Some(group) = non_empty(c.group.as_deref()) {
                    names.push(format!("{group}/{name}"));
                    names.push(format!("{group}:{name}"));
                }
                names.push(name.to_string());
            }
            self.add(Declared {
                purl,
                names,
                source: cyclonedx_source(&property),
                relationship: if is_direct { Relationship::Direct } else { Relationship::Unknown },
                dev: is_true("customs:dev") || c.scope.as_deref() == Some("excluded"),
                optional: is_true("customs:optional") || c.scope.as_deref() == Some("optional"),
                id_line,
            });
        }
    }
}

fn component_declaration(c: &Component) -> String {
    declaration(c.name.as_deref(), c.group.as_deref(), c.version.as_deref())
}

/// The source package Trivy or Syft recorded in a component's properties.
fn cyclonedx_source<'p>(property: &impl Fn(&str) -> Option<&'p str>) -> Option<(String, Option<String>)> {
    if let Some(name) = property("aquasecurity:trivy:SrcName") {
        let version = property("aquasecurity:trivy:SrcVersion").map(|v| {
            let epoch = property("aquasecurity:trivy:SrcEpoch").and_then(|e| e.parse::<u64>().ok()).filter(|&e| e > 0);
            let mut version = epoch.map(|e| format!("{e}:")).unwrap_or_default();
            version.push_str(v);
            if let Some(release) = property("aquasecurity:trivy:SrcRelease") {
                version.push('-');
                version.push_str(release);
            }
            version
        });
        return Some((name.to_string(), version));
    }
    let name = property("syft:metadata:source").or_else(|| property("syft:metadata:originPackage"))?;
    Some((name.to_string(), property("syft:metadata:sourceVersion").map(str::to_string)))
}
