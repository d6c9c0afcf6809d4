//! The registry sweep in Markdown, sized for a GitHub issue or a chat message: a title
//! with the counts, a coverage line, the images with new findings and the new findings
//! themselves (capped), the fixed count, failures and tag changes, and a bold warning
//! when the run is partial. It lists only what is new, so `only_new` changes nothing.
//!
//! Everything from the registry or an advisory is escaped: [`md_text`] in running text
//! and cells, [`md_code`] for names, tags and digests. No repository name can end a
//! cell, start free Markdown or carry HTML into the page.

use std::fmt::Write as _;

use super::{
    is_partial, kind_word, partial_reason, plural, reason_word, severity_word, short_digest, tag_name, BySeverity,
    RenderOptions,
};
use crate::matching::Finding;
use crate::report::escape::{md_code, md_text};
use crate::sweep::outcome::{ImageReport, RunReport};

/// New findings listed before the table is cut (an issue body or a chat message is short).
pub const MAX_FINDINGS: usize = 50;
/// Rows of the other tables (images, failures, tags) before they are cut.
pub const MAX_ROWS: usize = 50;
/// Longest failure message shown; the JSON report has them whole.
const MAX_MESSAGE: usize = 300;

/// A registry run as a Markdown summary.
pub fn render(report: &RunReport, _options: &RenderOptions) -> String {
    let s = &report.summary;
    let run = &report.run;
    let registry = run.registry.as_str();
    let mut out = format!(
        "## customs registry {} of {}: {} new, {} fixed, {} unchanged vulnerabilities in {}{}\n\n",
        kind_word(run.kind),
        md_code(registry),
        s.new,
        s.fixed,
        s.unchanged,
        plural(report.images.len(), "image", "images"),
        if is_partial(report) { " (partial run)" } else { "" },
    );
    if let Some(reason) = partial_reason(report) {
        let _ = writeln!(
            out,
            "**Partial run: {}.** What could not be read is neither new nor fixed here; see Failures below.\n",
            md_text(&reason)
        );
    }
    coverage(report, &mut out);

    let with_new: Vec<(&ImageReport, BySeverity)> =
        report.images.iter().map(|image| (image, image.counts().new)).filter(|(_, new)| new.total() > 0).collect();
    if with_new.is_empty() {
        out.push_str("No new vulnerabilities.\n");
    } else {
        new_by_image(report, &with_new, &mut out);
        new_findings(report, &mut out);
    }
    if s.fixed > 0 {
        let since = run.compared_with.map(|id| format!(" since run {id}")).unwrap_or_default();
        let images = report.images.iter().filter(|i| !i.fixed.is_empty()).count();
        let _ = writeln!(out, "\nFixed{since}: **{}** in {}.", s.fixed, plural(images, "image", "images"));
    }
    if s.stale > 0 {
        let carried = plural(
            s.stale,
            "vulnerability of an image that could not be read is",
            "vulnerabilities of images that could not be read are",
        );
        let _ = writeln!(out, "\n{carried} carried forward from earlier runs, not checked again.");
    }
    failures(report, &mut out);
    tags(report, &mut out);
    if !report.warnings.is_empty() {
        out.push_str("\n### Warnings\n\n");
        for w in report.warnings.iter().take(MAX_ROWS) {
            let _ = writeln!(out, "- {}", md_text(w));
        }
        more(report.warnings.len(), MAX_ROWS, ("warning", "warnings"), &mut out);
    }
    out
}

fn coverage(report: &RunReport, out: &mut String) {
    let run = &report.run;
    let c = &report.coverage;
    let compared = match run.compared_with {
        Some(id) => format!("compared with run {id}"),
        None => "the first run (every finding is new)".to_string(),
    };
    let database = match &run.database {
        Some(db) => format!("; advisories up to {}", md_text(&db.newest_modified)),
        None => String::new(),
    };
    let _ = writeln!(
        out,
        "Run {}, {} to {}, {compared}{database}.\n",
        run.id,
        md_text(&run.started),
        md_text(&run.finished)
    );
    let _ = writeln!(
        out,
        "Coverage: {} of {} listed ({} failed), {}, {} ({} analysed, {} from the store, {} stale), {} downloaded ({}), {} from the store, {}.\n",
        plural(c.repositories, "repository", "repositories"),
        c.repositories_listed,
        c.repositories_failed,
        plural(c.tags, "tag", "tags"),
        plural(c.images, "image", "images"),
        c.images_analysed,
        c.images_from_store,
        c.images_stale,
        plural(c.layers_downloaded, "layer", "layers"),
        super::human_bytes(c.bytes_downloaded),
        c.layers_from_store,
        plural(c.requests as usize, "request", "requests"),
    );
}

fn new_by_image(report: &RunReport, with_new: &[(&ImageReport, BySeverity)], out: &mut String) {
    out.push_str("### Images with new vulnerabilities\n\n");
    out.push_str("| Image | Platform | New | Critical | High | Medium | Low | Other |\n|---|---|---:|---:|---:|---:|---:|---:|\n");
    for (image, new) in with_new.iter().take(MAX_ROWS) {
        let [critical, high, medium, low, none, unknown] = new.0;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {critical} | {high} | {medium} | {low} | {} |",
            md_code(&image.name(&report.run.registry)),
            md_text(&image.platform),
            new.total(),
            none + unknown,
        );
    }
    more(with_new.len(), MAX_ROWS, ("image", "images"), out);
}

/// The new findings over all images, worst first, at most [`MAX_FINDINGS`].
fn new_findings(report: &RunReport, out: &mut String) {
    let mut all: Vec<(&Finding, &ImageReport)> =
        report.images.iter().flat_map(|image| image.new_findings().map(move |f| (f, image))).collect();
    // Rated worst first, unrated after every rated one (a cut drops those first);
    // stable: within a severity, images keep the report's order.
    all.sort_by_key(|(f, _)| std::cmp::Reverse(f.severity.as_ref().map(|s| s.rating)));
    out.push_str("\n### New vulnerabilities\n\n");
    out.push_str("| Severity | Advisory | Package | Installed | Fixed in | Image |\n|---|---|---|---|---|---|\n");
    for (f, image) in all.iter().take(MAX_FINDINGS) {
        let fixed = if f.fixed_versions.is_empty() { "—".to_string() } else { md_text(&f.fixed_versions.join(", ")) };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {fixed} | {} |",
            severity_word(f),
            md_text(&f.id),
            md_text(&f.package.name),
            md_text(&f.package.version),
            md_code(&format!("{} ({})", image.name(&report.run.registry), image.platform)),
        );
    }
    more(all.len(), MAX_FINDINGS, ("new vulnerability", "new vulnerabilities"), out);
}

fn failures(report: &RunReport, out: &mut String) {
    if report.failures.is_empty() {
        return;
    }
    let mut failures: Vec<_> = report.failures.iter().collect();
    failures.sort_by_key(|f| reason_word(f.reason));
    out.push_str("\n### Failures\n\n| Reason | Where | Message |\n|---|---|---|\n");
    for f in failures.iter().take(MAX_ROWS) {
        let message: String = f.message.chars().take(MAX_MESSAGE).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            reason_word(f.reason),
            md_code(&tag_name(&f.repository, f.tag.as_deref(), &report.run.registry)),
            md_text(&message),
        );
    }
    more(failures.len(), MAX_ROWS, ("failure", "failures"), out);
}

fn tags(report: &RunReport, out: &mut String) {
    let registry = report.run.registry.as_str();
    if !report.moved_tags.is_empty() {
        out.push_str("\n### Moved tags\n\n| Tag | From | To |\n|---|---|---|\n");
        for m in report.moved_tags.iter().take(MAX_ROWS) {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                md_code(&tag_name(&m.repository, Some(&m.tag), registry)),
                md_code(short_digest(&m.from)),
                md_code(short_digest(&m.to)),
            );
        }
        more(report.moved_tags.len(), MAX_ROWS, ("moved tag", "moved tags"), out);
    }
    if !report.disappeared.is_empty() {
        out.push_str("\n### Disappeared tags\n\n| Tag | Was |\n|---|---|\n");
        for d in report.disappeared.iter().take(MAX_ROWS) {
            let _ = writeln!(
                out,
                "| {} | {} |",
                md_code(&tag_name(&d.repository, Some(&d.tag), registry)),
                md_code(short_digest(&d.digest)),
            );
        }
        more(report.disappeared.len(), MAX_ROWS, ("disappeared tag", "disappeared tags"), out);
    }
}

/// `…and N more` under a table cut at its limit, and where the rest is.
fn more(total: usize, shown: usize, (one, many): (&str, &str), out: &mut String) {
    if total > shown {
        let rest = plural(total - shown, &format!("more {one}"), &format!("more {many}"));
        let _ = writeln!(out, "\n…and {rest} not shown here; `-f json` or `-f table` lists them all.");
    }
}
