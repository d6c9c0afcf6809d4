//! SPDX JSON (2.2, 2.3): the fields customs reads, and how packages become packages:
//! purls from `externalRefs`, the DESCRIBES relationships that name the subject, and
//! operating-system packages that name the distribution release.

use std::collections::HashSet;

use serde::Deserialize;

use super::{declaration, non_empty, Declared, Reader, SUBJECT};
use crate::model::Relationship;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    pub document_describes: Option<Vec<String>>,
    pub packages: Option<Vec<Package>>,
    pub relationships: Option<Vec<DocumentRelationship>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Package {
    #[serde(rename = "SPDXID")]
    pub spdx_id: Option<String>,
    pub name: Option<String>,
    pub version_info: Option<String>,
    pub primary_package_purpose: Option<String>,
    pub source_info: Option<String>,
    pub external_refs: Option<Vec<ExternalRef>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalRef {
    pub reference_category: Option<String>,
    pub reference_type: Option<String>,
    pub reference_locator: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentRelationship {
    pub spdx_element_id: Option<String>,
    pub relationship_type: Option<String>,
    pub related_spdx_element: Option<String>,
}

impl Reader<'_, '_> {
    pub(super) fn spdx(&mut self, doc: &Document) {
        let packages = doc.packages.as_deref().unwrap_or_default();
        let mut described: HashSet<&str> = doc.document_describes.iter().flatten().map(String::as_str).collect();
        for r in doc.relationships.iter().flatten() {
            let kind = r.relationship_type.as_deref().map(str::trim).unwrap_or_default();
            match (r.spdx_element_id.as_deref(), kind, r.related_spdx_element.as_deref()) {
                (Some("SPDXRef-DOCUMENT"), "DESCRIBES", Some(id))
                | (Some(id), "DESCRIBED_BY", Some("SPDXRef-DOCUMENT")) => {
                    described.insert(id);
                }
                _ => {}
            }
        }
        for p in packages.iter().filter(|p| spdx_is_os(p) && spdx_purls(p).is_empty()) {
            self.os.record(p.name.as_deref(), p.version_info.as_deref());
        }
        // One described package is the subject; tools that describe every package
        // they list describe several, and those are packages.
        let subject = match described.len() {
            1 => described.iter().next().copied(),
            _ => None,
        };
        for p in packages {
            let id_line = self.lines.id(p.spdx_id.as_deref());
            let refs = spdx_purls(p);
            if subject.is_some() && p.spdx_id.as_deref() == subject {
                for purl in refs {
                    let line = self.lines.purl(purl).or(id_line);
                    self.skip(line, purl.trim(), SUBJECT);
                }
                continue;
            }
            if refs.is_empty() {
                let is_subject = p.spdx_id.as_deref().is_some_and(|id| described.contains(id));
                if !spdx_is_os(p) && !is_subject {
                    let declaration = declaration(p.name.as_deref(), None, p.version_info.as_deref());
                    self.skip(id_line, &declaration, "no package URL (purl) to tell its ecosystem");
                }
                continue;
            }
            let names: Vec<String> = non_empty(p.name.as_deref()).map(str::to_string).into_iter().collect();
            let source = p.source_info.as_deref().and_then(spdx_source);
            for purl in refs {
                self.add(Declared {
                    purl,
                    names: names.clone(),
                    source: source.clone(),
                    relationship: Relationship::Unknown,
                    dev: false,
                    optional: false,
                    id_line,
                });
            }
        }
    }
}

/// The purls of an SPDX package: `externalRefs` of type `purl` in the package-manager
/// category (`PACKAGE-MANAGER` in SPDX 2.3, `PACKAGE_MANAGER` in 2.2's examples).
fn spdx_purls(p: &Package) -> Vec<&str> {
    p.external_refs
        .iter()
        .flatten()
        .filter(|r| {
            let category = r.reference_category.as_deref().unwrap_or_default().trim();
            r.reference_type.as_deref().is_some_and(|t| t.trim().eq_ignore_ascii_case("purl"))
                && (category.eq_ignore_ascii_case("PACKAGE-MANAGER")
                    || category.eq_ignore_ascii_case("PACKAGE_MANAGER"))
        })
        .filter_map(|r| non_empty(r.reference_locator.as_deref()))
        .collect()
}

fn spdx_is_os(p: &Package) -> bool {
    p.primary_package_purpose
        .as_deref()
        .is_some_and(|purpose| purpose.trim().replace('_', "-").eq_ignore_ascii_case("OPERATING-SYSTEM"))
}

/// Trivy's SPDX `sourceInfo`: `built package from: NAME VERSION`.
fn spdx_source(info: &str) -> Option<(String, Option<String>)> {
    let mut words = info.trim().strip_prefix("built package from:")?.split_whitespace();
    let name = words.next()?;
    Some((name.to_string(), words.next().map(str::to_string)))
}
