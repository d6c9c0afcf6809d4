//! The plain JSON inventory (`customs sbom -f json`): customs' own stable format.
//!
//! `{"schema": "customs-inventory/1", "root", "packages": [...], "skipped": [...],
//! "files": [...], "errors": [...], "warnings": [...]}` — see `docs/inventory-json.md`.

use serde::Serialize;

use crate::inventory::walk::Inventory;

pub const SCHEMA: &str = "customs-inventory/1";

#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    tool: Tool,
    #[serde(flatten)]
    inventory: &'a Inventory,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

pub fn render(inventory: &Inventory) -> String {
    let doc =
        Document { schema: SCHEMA, tool: Tool { name: super::TOOL_NAME, version: super::TOOL_VERSION }, inventory };
    let mut out = serde_json::to_string_pretty(&doc).expect("inventory serialises");
    out.push('\n');
    out
}
