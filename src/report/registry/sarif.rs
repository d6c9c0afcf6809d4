//! The registry sweep as SARIF 2.1.0 for GitHub code scanning: one run per image, built
//! by the same code as `customs scan --image -f sarif` ([`crate::report::sarif::run`]),
//! each finding's result with `properties.change` (`new`, `unchanged`, `stale`), and
//! one run for the sweep itself that carries what belongs to no image: the failures,
//! moved and disappeared tags, and the run's coverage and counts.
//!
//! **Categories.** GitHub tracks alerts per category: the part of
//! `automationDetails.id` before its last `/`. An alert that an upload of the same
//! category no longer contains is closed; alerts of a category that is never uploaded
//! again stay open for ever. So the category must not change when an image is rebuilt
//! (its digest changes with every push), and two images of one upload must not share
//! one (GitHub refuses runs of one tool and category in one upload). An image's id is
//! `customs/registry/<host>/<repository>:<tag>/<platform>/<digest>`: the category is
//! repository, tag and platform, which stay when the tag moves to a new build, so a
//! fixed vulnerability closes its alert; the digest after the last `/` is the run's id
//! and changes nothing. The tag is the image's first in sorted order (a tag points at
//! one image per platform, so it tells the images of a repository apart); an image no
//! tag points at uses `@<digest>` instead, and should two images still share a category
//! the later ones get `@<digest>` added. The sweep's own run is
//! `customs/registry/<host>/<run id>`. Characters other than letters, digits and
//! `._-:@` (and `/` between repository path components) become `-`. Upload these files
//! without a `category` input: GitHub's upload action would give every run the same.
//!
//! **Limits.** GitHub accepts at most [`MAX_RUNS`] runs per upload: [`render`] writes
//! one document whatever the count (the sweep run warns when it is over),
//! [`render_documents`] splits them into uploads of at most that many. A document over
//! 10 MB gzipped keeps the most severe results of its largest runs, as `customs scan`
//! does for one.
//!
//! A partial run's sweep run is `executionSuccessful: false` with one error notification
//! per failure; a stale image's run is too, with a warning that it was not read again.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::{is_partial, kind_word, partial_reason, reason_word, short_digest, short_repository, tag_name};
use crate::report::escape::visible;
use crate::report::sarif::{self as scan_sarif, SarifOptions, MAX_RESULTS};
use crate::sweep::outcome::{ImageReport, ImageSource, RunReport};

/// GitHub code scanning's limit of runs in one upload.
pub const MAX_RUNS: usize = 20;

/// The whole sweep in one document: the sweep's run, then one run per image.
pub fn render(report: &RunReport) -> String {
    let categories = categories(report);
    let images: Vec<(&ImageReport, &str)> = report.images.iter().zip(categories.iter().map(String::as_str)).collect();
    document_text(Some(report), report, &images)
}

/// The sweep in documents of at most `max_runs` runs each (at least 2), for GitHub's
/// limit of [`MAX_RUNS`] per upload: the sweep's run is in the first.
pub fn render_documents(report: &RunReport, max_runs: usize) -> Vec<String> {
    let max_runs = max_runs.max(2);
    let categories = categories(report);
    let images: Vec<(&ImageReport, &str)> = report.images.iter().zip(categories.iter().map(String::as_str)).collect();
    let first = images.len().min(max_runs - 1);
    let mut documents = vec![document_text(Some(report), report, &images[..first])];
    for chunk in images[first..].chunks(max_runs) {
        documents.push(document_text(None, report, chunk));
    }
    documents
}

/// One document, cut to GitHub's size limit: every run keeps at most `limit` results,
/// the most severe, and `limit` shrinks until the document fits.
fn document_text(sweep: Option<&RunReport>, report: &RunReport, images: &[(&ImageReport, &str)]) -> String {
    let runs = images.len() + usize::from(sweep.is_some());
    let largest = images.iter().map(|(image, _)| image.result.findings.len()).max().unwrap_or(0);
    let mut limit = MAX_RESULTS;
    loop {
        let mut all = Vec::with_capacity(runs);
        if let Some(report) = sweep {
            all.push(sweep_run(report, runs));
        }
        all.extend(images.iter().map(|(image, category)| image_run(report, image, category, limit)));
        let text = scan_sarif::to_text(&scan_sarif::document(all));
        if limit == 0 || scan_sarif::fits_upload(&text) {
            return text;
        }
        limit = limit.min(largest) * 4 / 5;
    }
}

/// One image's run: what `customs scan --image -f sarif` gives for it, with each
/// finding's change, the image's category, and what the registry told about it.
fn image_run(report: &RunReport, image: &ImageReport, category: &str, limit: usize) -> Value {
    let change = |i: usize| {
        let mut properties = Map::new();
        properties.insert("change".into(), serde_json::to_value(image.change(i)).expect("a change serialises"));
        properties
    };
    let mut run = scan_sarif::run(&image.result, &SarifOptions::default(), limit, &change);
    run["automationDetails"] = json!({"id": format!("{category}/{}", id_part(short_digest(&image.digest), false))});
    run["properties"] = json!({
        "registry": report.run.registry,
        "repository": image.repository,
        "tags": image.tags,
        "digest": image.digest,
        "indexDigest": image.index_digest,
        "platform": image.platform,
        "source": image.source,
        "firstSeen": image.first_seen,
        "fixed": image.fixed,
    });
    if image.source == ImageSource::Stale {
        let invocation = &mut run["invocations"][0];
        invocation["executionSuccessful"] = json!(false);
        if let Some(notifications) = invocation["toolExecutionNotifications"].as_array_mut() {
            notifications.push(json!({
                "level": "warning",
                "descriptor": {"id": "customs/registry-stale-image"},
                "message": {"text": format!(
                    "{} ({}) could not be read in run {}: these results are carried forward from an earlier run and were not checked again.",
                    visible(&image.name(&report.run.registry)),
                    visible(&image.platform),
                    report.run.id,
                )},
            }));
        }
    }
    run
}

/// The sweep's own run: no results; the failures, tag changes and warnings as
/// notifications, the coverage and counts as properties.
fn sweep_run(report: &RunReport, runs_in_document: usize) -> Value {
    let registry = report.run.registry.as_str();
    let mut notifications = Vec::new();
    if let Some(reason) = partial_reason(report) {
        notifications.push(json!({
            "level": "error",
            "descriptor": {"id": "customs/registry-partial-run"},
            "message": {"text": format!("Partial run: {}.", visible(&reason))},
        }));
    }
    for f in &report.failures {
        notifications.push(json!({
            "level": "error",
            "descriptor": {"id": format!("customs/registry-failure/{}", reason_word(f.reason))},
            "message": {"text": format!(
                "{} could not be read ({}): {}",
                visible(&tag_name(&f.repository, f.tag.as_deref(), registry)),
                reason_word(f.reason),
                visible(&f.message),
            )},
            "properties": {"repository": f.repository, "tag": f.tag, "reason": f.reason},
        }));
    }
    for m in &report.moved_tags {
        notifications.push(json!({
            "level": "note",
            "descriptor": {"id": "customs/registry-tag-moved"},
            "message": {"text": format!(
                "{} moved from {} to {}.",
                visible(&tag_name(&m.repository, Some(&m.tag), registry)),
                visible(&m.from),
                visible(&m.to),
            )},
        }));
    }
    for d in &report.disappeared {
        notifications.push(json!({
            "level": "note",
            "descriptor": {"id": "customs/registry-tag-disappeared"},
            "message": {"text": format!(
                "{} is gone from the registry (it was {}).",
                visible(&tag_name(&d.repository, Some(&d.tag), registry)),
                visible(&d.digest),
            )},
        }));
    }
    for w in &report.warnings {
        notifications.push(json!({
            "level": "warning",
            "descriptor": {"id": "customs/registry-warning"},
            "message": {"text": visible(w)},
        }));
    }
    if runs_in_document > MAX_RUNS {
        notifications.push(json!({
            "level": "warning",
            "descriptor": {"id": "customs/registry-too-many-runs"},
            "message": {"text": format!(
                "This document has {runs_in_document} runs (one per image); GitHub code scanning accepts at most {MAX_RUNS} per upload. Upload the images in several files of at most {MAX_RUNS} runs each."
            )},
        }));
    }
    json!({
        "tool": {"driver": {
            "name": crate::report::TOOL_NAME,
            "version": crate::report::TOOL_VERSION,
            "semanticVersion": crate::report::TOOL_VERSION,
            "rules": [],
        }},
        "automationDetails": {"id": format!("customs/registry/{}/{}", id_part(registry, false), report.run.id)},
        "invocations": [{
            "executionSuccessful": !is_partial(report),
            "toolExecutionNotifications": notifications,
        }],
        "results": [],
        "properties": {
            "registry": registry,
            "run": report.run.id,
            "kind": kind_word(report.run.kind),
            "started": report.run.started,
            "finished": report.run.finished,
            "comparedWith": report.run.compared_with,
            "partial": is_partial(report),
            "coverage": report.coverage,
            "summary": report.summary,
        },
    })
}

/// Each image's category (`customs/registry/<host>/<repository>:<tag>/<platform>`,
/// without the final `/`), unique within the report.
fn categories(report: &RunReport) -> Vec<String> {
    let host = id_part(&report.run.registry, false);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    report
        .images
        .iter()
        .map(|image| {
            let repository = id_part(short_repository(&image.repository, &report.run.registry), true);
            let reached = match image.tags.iter().min() {
                Some(tag) => format!(":{}", id_part(tag, false)),
                None => format!("@{}", id_part(short_digest(&image.digest), false)),
            };
            let platform = id_part(&image.platform, true);
            let mut category = format!("customs/registry/{host}/{repository}{reached}/{platform}");
            let count = seen.entry(category.clone()).or_default();
            *count += 1;
            if *count > 1 {
                category = format!(
                    "customs/registry/{host}/{repository}{reached}@{}/{platform}",
                    id_part(short_digest(&image.digest), false)
                );
            }
            category
        })
        .collect()
}

/// A registry-supplied string as part of an `automationDetails.id`: letters, digits and
/// `._-:@` kept (and `/` between non-empty components when `path`), anything else `-`.
fn id_part(s: &str, path: bool) -> String {
    let kept: String = s
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "._-:@".contains(c) || (path && c == '/') { c } else { '-' })
        .collect();
    let kept = if path { kept.split('/').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("/") } else { kept };
    if kept.is_empty() {
        "-".to_string()
    } else {
        kept
    }
}
