//! Policy: checks on how software is built and shipped, as opposed to which vulnerable
//! packages it contains. The first inputs are Dockerfiles: [`dockerfile`] parses them the
//! way BuildKit reads them, and [`rules`] reports hygiene problems (running as root,
//! unpinned base images, secrets baked into layers, `curl | sh`…), each with a stable id,
//! a severity and a help text, so reports (SARIF emits one rule per [`RuleInfo`]) and
//! gates can treat them like vulnerability findings.
//!
//! Later trust checks (signatures, base-image allowlists) reuse the parser's FROM list
//! ([`dockerfile::Dockerfile::stages`]).

use serde::Serialize;

use crate::advisory::cvss::Rating;
use crate::model::Location;

pub mod dockerfile;
pub mod rules;

#[cfg(test)]
mod tests;

pub use dockerfile::{Dockerfile, FromImage, Instruction, ParseError, Stage};
pub use rules::check;

/// One rule violated at one place.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyFinding {
    /// Stable id, e.g. `CUSTOMS-DF-001`.
    pub rule: &'static str,
    /// Kebab-case name, e.g. `runs-as-root`.
    pub name: &'static str,
    pub severity: Rating,
    /// What is wrong here; never contains a secret's value.
    pub message: String,
    /// The Dockerfile and the 1-based line of the offending instruction.
    pub location: Location,
    /// Markdown: why it matters and how to fix it.
    pub help: &'static str,
}

/// A rule's description, for reports that list rules (SARIF's `tool.driver.rules`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleInfo {
    pub id: &'static str,
    pub name: &'static str,
    pub severity: Rating,
    /// One sentence.
    pub summary: &'static str,
    /// Markdown: why it matters and how to fix it.
    pub help: &'static str,
}

/// Every policy rule, in id order.
pub fn rules() -> &'static [RuleInfo] {
    rules::RULES
}
