//! Policy: checks on how software is built and shipped, as opposed to which vulnerable
//! packages it contains. The first inputs are Dockerfiles: [`dockerfile`] parses them the
//! way BuildKit reads them, and [`rules`] reports hygiene problems (running as root,
//! unpinned base images, secrets baked into layers, `curl | sh`…), each with a stable id,
//! a severity and a help text, so reports (SARIF emits one rule per [`RuleInfo`]) and
//! gates can treat them like vulnerability findings.
//!
//! [`base_image`] checks the FROMs (and a scanned image's base annotations) against the
//! `policy: base-images:` allowlist of `customs.yaml` ([`Policy`]); [`signature::policy`]
//! holds `policy: signatures:`, the signers required per image pattern.

use serde::{Deserialize, Serialize};

use crate::advisory::cvss::Rating;
use crate::model::Location;

pub mod ancestry;
pub mod base_image;
pub mod dockerfile;
pub mod rules;
pub mod signature;

#[cfg(test)]
mod tests;

pub use base_image::BaseImagePolicy;
pub use dockerfile::{Dockerfile, FromImage, Instruction, ParseError, Stage};
pub use rules::check;

/// One rule violated at one place. Read back from JSON (a stored run), the rule is
/// looked up by its id: its name and help are the rule table's, and an id this build
/// does not know is an error.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyFinding {
    /// Stable id, e.g. `CUSTOMS-DF-001`.
    pub rule: &'static str,
    /// Kebab-case name, e.g. `runs-as-root`.
    pub name: &'static str,
    /// How bad breaking the rule is, as gates compare it.
    pub severity: Rating,
    /// What is wrong here; never contains a secret's value.
    pub message: String,
    /// The Dockerfile and the 1-based line of the offending instruction.
    pub location: Location,
    /// Markdown: why it matters and how to fix it.
    pub help: &'static str,
}

/// A [`PolicyFinding`] as written to JSON.
#[derive(Deserialize)]
struct StoredPolicyFinding {
    rule: String,
    severity: Rating,
    message: String,
    location: Location,
}

impl<'de> Deserialize<'de> for PolicyFinding {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<PolicyFinding, D::Error> {
        let stored = StoredPolicyFinding::deserialize(deserializer)?;
        let info = rule_info(&stored.rule).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown policy rule {:?}: written by another version of customs?",
                stored.rule
            ))
        })?;
        Ok(PolicyFinding {
            rule: info.id,
            name: info.name,
            severity: stored.severity,
            message: stored.message,
            location: stored.location,
            help: info.help,
        })
    }
}

/// The rule with this id, among every policy rule.
pub fn rule_info(id: &str) -> Option<&'static RuleInfo> {
    rules().iter().find(|r| r.id == id)
}

/// A rule's description, for reports that list rules (SARIF's `tool.driver.rules`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleInfo {
    /// The stable id reports and ignore files use (`CUSTOMS-DF-001`).
    pub id: &'static str,
    /// Kebab-case name (`runs-as-root`).
    pub name: &'static str,
    /// How bad breaking the rule is.
    pub severity: Rating,
    /// One sentence.
    pub summary: &'static str,
    /// Markdown: why it matters and how to fix it.
    pub help: &'static str,
}

/// `policy:` in `customs.yaml` (see docs/policy.md). Unknown keys are errors.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Policy {
    /// The base-image allowlist; its rules run only when it is configured.
    #[serde(default)]
    pub base_images: Option<BaseImagePolicy>,
    /// Signature requirements per image pattern (`signature::policy`); checked on
    /// `scan --image` for the images they match.
    #[serde(default)]
    pub signatures: Option<signature::policy::SignaturePolicy>,
}

/// Whether a rule states a requirement the project wrote in `policy:` (allowed base
/// images, required signatures): those fail the build whatever `--fail-on` says, since
/// the threshold ranks what customs finds, not what the project demands. Dockerfile
/// hygiene rules follow the threshold like vulnerabilities.
pub fn is_requirement(rule: &str) -> bool {
    base_image::RULES.iter().chain(signature::policy::RULES).any(|r| r.id == rule)
}

/// Every policy rule: the Dockerfile rules, then the base-image rules, then the
/// signature rules, each in id order.
pub fn rules() -> &'static [RuleInfo] {
    static ALL: std::sync::LazyLock<Vec<RuleInfo>> = std::sync::LazyLock::new(|| {
        rules::RULES.iter().chain(base_image::RULES).chain(signature::policy::RULES).cloned().collect()
    });
    &ALL
}
