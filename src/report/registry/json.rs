//! The registry sweep as customs' JSON: the [`RunReport`] as it is, under its own
//! schema name (`customs-registry-run/1`, documented in `docs/json-format.md`), so
//! scripts tell it from a single scan's `customs/1`. Each image's `result` is exactly
//! what `customs scan -f json` gives for that image, without `schema` and `tool`.
//!
//! Strings are carried exactly, with JSON's escapes: whoever displays them escapes them
//! for the display.

use serde::Serialize;
use serde_json::Value;

use super::{counted, RenderOptions};
use crate::sweep::outcome::{Change, RunReport};

/// The `schema` of a registry run's JSON; changes only when a field changes meaning or disappears.
pub const SCHEMA: &str = "customs-registry-run/1";

#[derive(Serialize)]
struct Document<T: Serialize> {
    schema: &'static str,
    tool: Tool,
    /// Present (true) when only new findings are listed (`--since-last`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    only_new: bool,
    #[serde(flatten)]
    body: T,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

/// A registry run as JSON (docs/json-format.md).
pub fn render(report: &RunReport, options: &RenderOptions) -> String {
    let tool = Tool { name: crate::report::TOOL_NAME, version: crate::report::TOOL_VERSION };
    let text = if options.only_new {
        let doc = Document { schema: SCHEMA, tool, only_new: true, body: only_new(report) };
        serde_json::to_string_pretty(&doc)
    } else {
        serde_json::to_string_pretty(&Document { schema: SCHEMA, tool, only_new: false, body: report })
    };
    text.expect("reports serialise") + "\n"
}

/// The report with only the images that have new vulnerabilities, each with only its
/// new vulnerabilities (and their `changes`) and no `fixed` list; the counts stay the run's.
fn only_new(report: &RunReport) -> Value {
    let mut body = serde_json::to_value(report).expect("reports serialise");
    let images: Vec<Value> = report
        .images
        .iter()
        .filter(|image| image.new_findings().next().is_some())
        .map(|image| {
            let mut value = serde_json::to_value(image).expect("reports serialise");
            let keep: Vec<bool> = (0..image.result.findings.len())
                .map(|i| image.change(i) == Change::New && counted(&image.result.findings[i]))
                .collect();
            if let Some(findings) = value["result"]["findings"].as_array_mut() {
                let mut at = 0;
                findings.retain(|_| {
                    at += 1;
                    keep[at - 1]
                });
            }
            value["changes"] = Value::Array(keep.iter().filter(|k| **k).map(|_| Value::from("new")).collect());
            value["fixed"] = Value::Array(Vec::new());
            value
        })
        .collect();
    body["images"] = Value::Array(images);
    body
}
