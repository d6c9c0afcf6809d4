//! customs' own JSON format, shared by `customs sbom -f json` (inventory only) and
//! `customs scan -f json` (inventory and findings). Documented in `docs/json-format.md`;
//! `schema` changes only when a field changes meaning or disappears.

use serde::Serialize;

use crate::inventory::walk::Inventory;
use crate::scan::ScanResult;

/// The `schema` of `customs scan -f json` output; changes only when a field changes meaning or disappears.
pub const SCHEMA: &str = "customs/1";

#[derive(Serialize)]
struct Document<'a, T: Serialize> {
    schema: &'static str,
    tool: Tool,
    #[serde(flatten)]
    body: &'a T,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

fn render_body<T: Serialize>(body: &T) -> String {
    let doc = Document { schema: SCHEMA, tool: Tool { name: super::TOOL_NAME, version: super::TOOL_VERSION }, body };
    let mut out = serde_json::to_string_pretty(&doc).expect("reports serialise");
    out.push('\n');
    out
}

/// The inventory alone (`customs sbom -f json`).
pub fn render(inventory: &Inventory) -> String {
    render_body(inventory)
}

/// A scan: findings, the database used, and the inventory they came from.
pub fn render_scan(result: &ScanResult) -> String {
    render_body(result)
}
