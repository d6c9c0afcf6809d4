//! SARIF 2.1.0 for GitHub code scanning.
//!
//! What GitHub needs and peers get wrong, handled here: one rule per vulnerability
//! with unique, stable ids; a location on every result (the declaring lockfile line,
//! or for images the Dockerfile or the path inside the image); `partialFingerprints`
//! that survive moved lines and unrelated upgrades; an `automationDetails.id` per
//! target so several scans upload side by side; and GitHub's size limits, keeping the
//! most severe results and saying so in the run's notifications.
//!
//! Files are located relative to the repository root (`%SRCROOT%`, see
//! [`SourceRoot`]), whatever folder customs ran in. Inputs are escaped on the way in:
//! locations are RFC 3986 relative references ([`uri_path`]), texts show hidden characters ([`visible`]), rule help Markdown is
//! escaped and links only `http(s)`. Packages whose version advisories could not be
//! compared with are a warning notification each (`customs/uncomparable-version`):
//! visible on the upload, without claiming an alert that may not exist.

use std::collections::BTreeMap;
use std::io::Write as _;

use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

use super::escape::{http_link, md_text, uri_path, visible, visible_prose};
use crate::advisory::cvss::Rating;
use crate::matching::Finding;
use crate::scan::ScanResult;

mod source_root;
pub use source_root::{SourceRoot, SRCROOT};

/// GitHub's limits for one run.
pub const MAX_RESULTS: usize = 25_000;
/// GitHub's limit on an upload's gzipped size.
pub const MAX_GZIPPED_BYTES: usize = 10 * 1024 * 1024;

/// What the SARIF output needs beyond the scan.
#[derive(Debug, Clone, Default)]
pub struct SarifOptions {
    /// The Dockerfile that built the scanned image: image results point at it.
    pub dockerfile: Option<String>,
    /// Overrides the category part of `automationDetails.id`.
    pub category: Option<String>,
    /// The repository root file locations are made relative to; `None`: found from
    /// the current directory ([`SourceRoot::of_process`]).
    pub root: Option<SourceRoot>,
}

impl SarifOptions {
    /// These options with the repository root found, when it was not given.
    fn with_root(&self) -> SarifOptions {
        SarifOptions { root: self.root.clone().or_else(SourceRoot::of_process), ..self.clone() }
    }

    /// The `artifactLocation` of a file: relative to the repository root when there
    /// is one, else as given.
    fn file_location(&self, path: &str) -> Value {
        match &self.root {
            Some(root) => root.artifact_location(path),
            None => json!({"uri": uri_path(path)}),
        }
    }
}

/// The score GitHub ranks a result by: the CVSS base score, or for advisories rated
/// only by a word, the middle of that rating's CVSS band. Unrated vulnerabilities
/// count as medium (5.5): visible, without claiming more than is known.
pub fn security_severity(finding: &Finding) -> f64 {
    match &finding.severity {
        Some(s) => s.score.unwrap_or_else(|| rating_score(s.rating)),
        None => 5.5,
    }
}

fn level(finding: &Finding) -> &'static str {
    if !finding.kind.is_vulnerability() {
        return "note";
    }
    match security_severity(finding) {
        s if s >= 7.0 => "error",
        s if s >= 4.0 => "warning",
        _ => "note",
    }
}

/// A fingerprint that names the vulnerability, the package and the file — not the
/// line or the version — so an alert stays the same alert when lines move or the
/// package is bumped to a version that is still affected.
pub fn fingerprint(finding: &Finding) -> String {
    let p = &finding.package;
    let mut hasher = Sha256::new();
    for part in [finding.id.as_str(), &p.ecosystem.to_string(), &p.match_name(), &p.location.path] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// A scan as SARIF 2.1.0, within GitHub's limits.
pub fn render(result: &ScanResult, options: &SarifOptions) -> String {
    let mut limit = MAX_RESULTS;
    loop {
        let text = to_text(&document(vec![run(result, options, limit, &|_| serde_json::Map::new())]));
        if limit == 0 || fits_upload(&text) {
            return text;
        }
        limit = limit.min(result.findings.len()) * 4 / 5;
    }
}

/// Properties a caller adds to the result of `result.findings[i]`, given `i` (the
/// registry report's `change`).
pub type ExtraProperties<'a> = &'a dyn Fn(usize) -> serde_json::Map<String, Value>;

/// The SARIF document around its runs.
pub fn document(runs: Vec<Value>) -> Value {
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": runs,
    })
}

/// A document as written: pretty, with a final newline.
pub fn to_text(document: &Value) -> String {
    serde_json::to_string_pretty(document).expect("SARIF serialises") + "\n"
}

/// Whether a document is within GitHub's size limit for one upload.
pub fn fits_upload(text: &str) -> bool {
    gzipped_len(text) <= MAX_GZIPPED_BYTES
}

fn gzipped_len(text: &str) -> usize {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(text.as_bytes()).expect("writing to memory");
    encoder.finish().expect("writing to memory").len()
}

/// One SARIF `run` for one scan, as `customs scan -f sarif` writes it: at most
/// `max_results` findings, the most severe (a notification says how many were left
/// out), each result's `properties` extended with `extra` of its finding's index.
pub fn run(result: &ScanResult, options: &SarifOptions, max_results: usize, extra: ExtraProperties<'_>) -> Value {
    let options = &options.with_root();
    let mut ranked: Vec<(usize, &Finding)> = result.findings.iter().enumerate().collect();
    // Most severe first, so any cut keeps what matters.
    ranked
        .sort_by(|(_, a), (_, b)| security_severity(b).total_cmp(&security_severity(a)).then_with(|| a.id.cmp(&b.id)));
    let total = ranked.len();
    ranked.truncate(max_results);
    let findings: Vec<&Finding> = ranked.iter().map(|(_, f)| *f).collect();
    let mut rule_index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_rule: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for &f in &findings {
        by_rule.entry(&f.id).or_default().push(f);
    }
    let rules: Vec<Value> = by_rule
        .iter()
        .enumerate()
        .map(|(i, (id, group))| {
            rule_index.insert(id, i);
            rule(group)
        })
        .collect();
    let mut results: Vec<Value> = ranked
        .iter()
        .map(|&(i, f)| {
            let mut value = result_for(f, rule_index[f.id.as_str()], result, options);
            if let Some(properties) = value["properties"].as_object_mut() {
                properties.extend(extra(i));
            }
            value
        })
        .collect();
    let mut rules = rules;
    add_policy(result, options, &mut rules, &mut results);

    let mut notifications = Vec::new();
    if findings.len() < total {
        notifications.push(json!({
            "level": "warning",
            "descriptor": {"id": "customs/results-truncated"},
            "message": {"text": format!(
                "{total} findings exceed GitHub's limits for one upload (25,000 results, 10 MB gzipped); the {} most severe are included. Use -f json for all of them.",
                findings.len()
            )},
        }));
    }
    for e in &result.inventory.errors {
        notifications.push(json!({
            "level": "error",
            "descriptor": {"id": "customs/unreadable-input"},
            "message": {"text": visible(&e.to_string())},
        }));
    }
    notifications.extend(not_compared(result, options));

    let mut run = json!({
        "tool": {"driver": {
            "name": super::TOOL_NAME,
            "version": super::TOOL_VERSION,
            "semanticVersion": super::TOOL_VERSION,
            "rules": rules,
        }},
        "automationDetails": {"id": automation_id(result, options)},
        "invocations": [{
            "executionSuccessful": result.inventory.errors.is_empty(),
            "toolExecutionNotifications": notifications,
        }],
        "results": results,
    });
    let mut base_ids = serde_json::Map::new();
    if let Some(root) = &options.root {
        base_ids.insert(SRCROOT.to_string(), root.base_ids_entry());
    }
    if let Some(image) = &result.inventory.image {
        base_ids.insert(
            "IMAGE_ROOT".to_string(),
            json!({"description": {"text": format!("The root file system of {}", visible(&image.reference))}}),
        );
    }
    if !base_ids.is_empty() {
        run["originalUriBaseIds"] = Value::Object(base_ids);
    }
    run
}

/// `customs/<kind>:<target>/`: GitHub groups uploads by what comes before the last
/// `/`, so each target gets its own category and scans of several targets coexist.
fn automation_id(result: &ScanResult, options: &SarifOptions) -> String {
    if let Some(category) = &options.category {
        return format!("{}/", category.trim_end_matches('/'));
    }
    let (kind, target) = match &result.inventory.image {
        Some(image) => ("image", image.reference.clone()),
        None => ("fs", result.targets.join(",")),
    };
    let target: String =
        target.chars().map(|c| if c.is_ascii_alphanumeric() || "._-:@".contains(c) { c } else { '-' }).collect();
    format!("customs/{kind}:{target}/")
}

/// Dockerfile rules: one SARIF rule per rule id that fired, results at the line.
fn add_policy(result: &ScanResult, options: &SarifOptions, rules: &mut Vec<Value>, results: &mut Vec<Value>) {
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for info in crate::policy::rules() {
        if !result.policy.iter().any(|p| p.rule == info.id) {
            continue;
        }
        index.insert(info.id, rules.len());
        rules.push(json!({
            "id": info.id,
            "name": info.name,
            "shortDescription": {"text": info.summary},
            "fullDescription": {"text": info.summary},
            "help": {"text": info.summary, "markdown": info.help},
            "defaultConfiguration": {"level": policy_level(info.severity)},
            "properties": {
                "security-severity": format!("{:.1}", rating_score(info.severity)),
                "precision": "high",
                "tags": ["security", "dockerfile", info.name],
            },
        }));
    }
    for p in &result.policy {
        let mut hasher = Sha256::new();
        for part in [p.rule, p.location.path.as_str(), p.message.as_str()] {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
        let fingerprint: String = hasher.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect();
        results.push(json!({
            "ruleId": p.rule,
            "ruleIndex": index[p.rule],
            "level": policy_level(p.severity),
            "message": {"text": visible(&p.message)},
            "locations": [{"physicalLocation": {
                // A rule's finding in a Dockerfile has a line; one about an image
                // (base image, signature) is located at its reference, not a file.
                "artifactLocation": match p.location.line {
                    Some(_) => options.file_location(&p.location.path),
                    None => json!({"uri": uri_path(&p.location.path)}),
                },
                "region": {"startLine": p.location.line.unwrap_or(1)},
            }}],
            "partialFingerprints": {"customsFinding/v1": fingerprint},
        }));
    }
}

/// The middle of a rating's CVSS band.
fn rating_score(rating: Rating) -> f64 {
    match rating {
        Rating::Critical => 9.5,
        Rating::High => 8.0,
        Rating::Medium => 5.5,
        Rating::Low => 2.0,
        Rating::None => 0.0,
    }
}

fn policy_level(rating: Rating) -> &'static str {
    match rating {
        Rating::Critical | Rating::High => "error",
        Rating::Medium => "warning",
        _ => "note",
    }
}

fn rule(group: &[&Finding]) -> Value {
    let first = group[0];
    let summary = first.summary.clone().unwrap_or_else(|| format!("{} in {}", first.id, first.package.name));
    let mut help = format!("**{}**", md_text(&first.id));
    if !first.aliases.is_empty() {
        help.push_str(&format!(" ({})", md_text(&first.aliases.join(", "))));
    }
    help.push_str(&format!(
        ": {}\n\n| Package | Ecosystem | Installed | Fixed in | Declared in |\n|---|---|---|---|---|\n",
        md_text(&summary)
    ));
    for f in group {
        let p = &f.package;
        let fixed =
            if f.fixed_versions.is_empty() { "no fix published".to_string() } else { f.fixed_versions.join(", ") };
        let place = match p.location.line {
            Some(line) => format!("{}:{line}", p.location.path),
            None => p.location.path.clone(),
        };
        help.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            md_text(&p.name),
            md_text(&p.ecosystem.to_string()),
            md_text(&p.version),
            md_text(&fixed),
            md_text(&place)
        ));
    }
    if let Some(details) = &first.details {
        // OSV details are Markdown and stay so; HTML in them is shown, not rendered.
        help.push_str(&format!("\n{}\n", no_html(&visible_prose(&truncate(details, 4000)))));
    }
    let links: Vec<String> = first.references.iter().filter_map(|r| http_link(r)).take(20).collect();
    if !links.is_empty() {
        help.push_str("\n**References**\n\n");
        for link in &links {
            help.push_str(&format!("- <{link}>\n"));
        }
    }
    let severity = group.iter().map(|f| security_severity(f)).fold(0.0, f64::max);
    let mut tags = vec!["security".to_string()];
    tags.push(if first.kind.is_vulnerability() {
        "vulnerability".into()
    } else {
        format!("{:?}", first.kind).to_lowercase()
    });
    tags.push(first.package.ecosystem.kind.osv_name().to_string());
    let mut rule = json!({
        "id": first.id,
        "name": first.id.replace(['-', ':', '.'], "_"),
        "shortDescription": {"text": visible(&truncate(&summary, 1000))},
        "fullDescription": {"text": visible_prose(&truncate(first.details.as_deref().unwrap_or(&summary), 1000))},
        "help": {"text": visible(&truncate(&summary, 1000)), "markdown": help},
        "defaultConfiguration": {"level": level(first)},
        "properties": {
            "security-severity": format!("{severity:.1}"),
            "precision": "very-high",
            "tags": tags,
        },
    });
    if let Some(url) = links.first() {
        rule["helpUri"] = json!(url);
    }
    rule
}

fn result_for(finding: &Finding, rule_index: usize, result: &ScanResult, options: &SarifOptions) -> Value {
    let p = &finding.package;
    let fixed = if finding.fixed_versions.is_empty() {
        "No fixed version is published.".to_string()
    } else {
        format!("Fixed in {}.", finding.fixed_versions.join(", "))
    };
    let summary = finding.summary.as_deref().map(|s| format!(": {s}")).unwrap_or_default();
    let message = format!("{} {} ({}) is affected by {}{summary}. {fixed}", p.name, p.version, p.ecosystem, finding.id);
    let mut result = json!({
        "ruleId": finding.id,
        "ruleIndex": rule_index,
        "level": level(finding),
        "message": {"text": visible(&message)},
        "locations": [location(finding, result, options)],
        "partialFingerprints": {"customsFinding/v1": fingerprint(finding)},
        "properties": {
            "package": p.name,
            "version": p.version,
            "ecosystem": p.ecosystem.to_string(),
            "purl": p.purl.to_string(),
            "fixedVersions": finding.fixed_versions,
            "aliases": finding.aliases,
        },
    });
    if let Some(s) = &finding.suppression {
        // Only present with --show-suppressed. "external": the decision lives in an
        // ignore or VEX file, not in the scanned source.
        result["suppressions"] = json!([{
            "kind": "external",
            "status": "accepted",
            "justification": visible(&s.describe()),
            "properties": s,
        }]);
    }
    result
}

fn location(finding: &Finding, result: &ScanResult, options: &SarifOptions) -> Value {
    let p = &finding.package;
    if let Some(image) = &result.inventory.image {
        let inside = p.location.path.trim_start_matches('/');
        let logical = json!([{
            "name": visible(inside),
            "fullyQualifiedName": visible(&format!("{}!/{inside}", image.reference)),
            "kind": "image-path",
        }]);
        return match &options.dockerfile {
            Some(dockerfile) => json!({
                "physicalLocation": {"artifactLocation": options.file_location(dockerfile), "region": {"startLine": 1}},
                "logicalLocations": logical,
            }),
            None => json!({
                "physicalLocation": {
                    "artifactLocation": {"uri": uri_path(inside), "uriBaseId": "IMAGE_ROOT"},
                    "region": {"startLine": p.location.line.unwrap_or(1)},
                },
                "logicalLocations": logical,
            }),
        };
    }
    json!({
        "physicalLocation": {
            "artifactLocation": options.file_location(&repository_path(&p.location.path, result)),
            "region": {"startLine": p.location.line.unwrap_or(1)},
        },
    })
}

/// Locations are relative to the scanned folder; the report wants them relative to the
/// current directory (where the targets were named). A single folder target is put back
/// in front.
fn repository_path(path: &str, result: &ScanResult) -> String {
    match result.targets.as_slice() {
        [target] if std::path::Path::new(target).is_dir() && target != "." => {
            format!("{}/{path}", target.trim_end_matches('/'))
        }
        _ => path.to_string(),
    }
}

/// One warning per package whose version advisories could not be compared with,
/// located at the declaring file: the upload says so instead of looking clean.
fn not_compared(result: &ScanResult, options: &SarifOptions) -> Vec<Value> {
    super::not_compared(result)
        .into_iter()
        .map(|g| {
            let p = g.package;
            let text = format!(
                "{} {} ({}): {} advisories could not be compared with this version, so whether they apply is unknown ({}): {}.",
                p.name,
                p.version,
                p.ecosystem,
                g.advisories.len(),
                g.reason,
                super::some_ids(&g.advisories, 10),
            );
            let artifact = match &result.inventory.image {
                Some(_) => json!({"uri": uri_path(p.location.path.trim_start_matches('/')), "uriBaseId": "IMAGE_ROOT"}),
                None => options.file_location(&repository_path(&p.location.path, result)),
            };
            json!({
                "level": "warning",
                "descriptor": {"id": "customs/uncomparable-version"},
                "message": {"text": visible(&text)},
                "locations": [{"physicalLocation": {
                    "artifactLocation": artifact,
                    "region": {"startLine": p.location.line.unwrap_or(1)},
                }}],
            })
        })
        .collect()
}

/// Advisory Markdown with HTML shown as text: `<`, `>` and `&` as entities.
fn no_html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max - 1).collect();
    format!("{cut}…")
}
