//! The registry sweep for a terminal: what was swept and what it cost, then per image
//! with findings its counts and what is new or fixed, the moved and disappeared tags,
//! the failures grouped by reason, and one closing line with the counts.
//!
//! Every text the registry supplied (repository names, tags, platforms, digests,
//! failure messages) and every advisory text goes through [`visible`]: a hostile
//! registry cannot drive the terminal.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{
    human_bytes, is_partial, kind_word, partial_reason, plural, reason_word, severity_rank, short_digest, tag_name,
    unread, RenderOptions,
};
use crate::advisory::cvss::Rating;
use crate::matching::Finding;
use crate::report::escape::visible;
use crate::report::table::Paint;
use crate::sweep::outcome::{ImageReport, ImageSource, RunReport};

/// Longest failure message shown; the JSON report has them whole.
const MAX_MESSAGE: usize = 300;

/// A registry run as a table for a terminal.
pub fn render(report: &RunReport, options: &RenderOptions) -> String {
    let paint = Paint { on: options.colour };
    let mut out = String::new();
    header(report, &paint, &mut out);
    let registry = report.run.registry.as_str();
    let mut quiet = 0;
    for image in &report.images {
        let counts = image.counts();
        let listed = if options.only_new { counts.new.total() > 0 } else { counts.any() };
        if !listed {
            quiet += 1;
            continue;
        }
        let stale = if image.source == ImageSource::Stale {
            format!(" {}", paint.dim("[stale: not read in this run, carried forward]"))
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{} ({}) {}{stale}",
            paint.bold(&visible(&image.name(registry))),
            visible(&image.platform),
            paint.dim(&visible(short_digest(&image.digest))),
        );
        let mut parts = Vec::new();
        for (word, by) in [("new", &counts.new), ("unchanged", &counts.unchanged), ("stale", &counts.stale)] {
            if by.total() > 0 {
                parts.push(format!("{word}: {}", by.describe()));
            }
        }
        if counts.fixed > 0 {
            parts.push(format!("fixed: {}", counts.fixed));
        }
        let _ = writeln!(out, "  {}", parts.join("; "));
        new_findings(image, &paint, &mut out);
        if !options.only_new {
            for f in &image.fixed {
                let _ = writeln!(
                    out,
                    "  {} {:<8} {:<20} {} {}",
                    paint.dim("FIXED"),
                    visible(f.severity.as_deref().unwrap_or("")),
                    visible(&f.id),
                    visible(&f.package),
                    visible(&f.version)
                );
            }
        }
        out.push('\n');
    }
    if quiet > 0 {
        let without = if options.only_new { "without new vulnerabilities" } else { "without vulnerabilities" };
        let _ = writeln!(out, "{} {without}\n", plural(quiet, "image", "images"));
    }
    tags(report, &paint, &mut out);
    failures(report, &paint, &mut out);
    if !report.warnings.is_empty() {
        let _ = writeln!(out, "{}", paint.bold("Warnings"));
        for w in &report.warnings {
            let _ = writeln!(out, "  {}", visible(w));
        }
        out.push('\n');
    }
    closing_line(report, &paint, &mut out);
    out
}

fn header(report: &RunReport, paint: &Paint, out: &mut String) {
    let run = &report.run;
    let _ = writeln!(
        out,
        "{} {}  run {}, {} to {}",
        paint.bold(&format!("customs registry {}", kind_word(run.kind))),
        paint.bold(&visible(&run.registry)),
        run.id,
        visible(&run.started),
        visible(&run.finished),
    );
    match &run.database {
        Some(db) => {
            let _ = writeln!(
                out,
                "database: {} ({}, newest {})",
                visible(&db.path),
                plural(db.records, "record", "records"),
                visible(&db.newest_modified)
            );
        }
        None => out.push_str("database: not recorded\n"),
    }
    match run.compared_with {
        Some(previous) => {
            let _ = writeln!(out, "compared with run {previous}");
        }
        None => out.push_str("compared with: nothing (first run: every finding is new)\n"),
    }
    let c = &report.coverage;
    let _ = writeln!(
        out,
        "coverage: repositories {} listed, {} selected, {} failed; {}; images {} ({} analysed, {} from store, {} stale); layers {} downloaded, {} from store; {} in {}",
        c.repositories_listed,
        c.repositories,
        c.repositories_failed,
        plural(c.tags, "tag", "tags"),
        c.images,
        c.images_analysed,
        c.images_from_store,
        c.images_stale,
        c.layers_downloaded,
        c.layers_from_store,
        human_bytes(c.bytes_downloaded),
        plural(c.requests as usize, "request", "requests"),
    );
    if let Some(reason) = partial_reason(report) {
        let _ = writeln!(out, "{} {reason}", paint.rating(Rating::High, "PARTIAL RUN:"));
    }
    out.push('\n');
}

/// The image's new findings, worst first.
fn new_findings(image: &ImageReport, paint: &Paint, out: &mut String) {
    let mut new: Vec<&Finding> = image.new_findings().collect();
    new.sort_by_key(|f| (std::cmp::Reverse(severity_rank(f)), &f.id));
    for f in new {
        let label = match &f.severity {
            Some(s) => paint.rating(s.rating, &format!("{:<8}", s.rating.to_string().to_uppercase())),
            None => paint.unrated(&format!("{:<8}", "UNKNOWN")),
        };
        let fix = if f.fixed_versions.is_empty() {
            paint.dim("no fix published")
        } else {
            format!("fixed in {}", visible(&f.fixed_versions.join(", ")))
        };
        let _ = writeln!(
            out,
            "  {} {label} {:<20} {} {}  {fix}",
            paint.bold("NEW  "),
            visible(&f.id),
            visible(&f.package.name),
            visible(&f.package.version),
        );
    }
}

fn tags(report: &RunReport, paint: &Paint, out: &mut String) {
    let registry = report.run.registry.as_str();
    if !report.moved_tags.is_empty() {
        let _ = writeln!(out, "{}", paint.bold("Moved tags"));
        for m in &report.moved_tags {
            let _ = writeln!(
                out,
                "  {}  {} -> {}",
                visible(&tag_name(&m.repository, Some(&m.tag), registry)),
                visible(short_digest(&m.from)),
                visible(short_digest(&m.to)),
            );
        }
        out.push('\n');
    }
    if !report.disappeared.is_empty() {
        let _ = writeln!(out, "{}", paint.bold("Disappeared tags"));
        for d in &report.disappeared {
            let _ = writeln!(
                out,
                "  {}  was {}",
                visible(&tag_name(&d.repository, Some(&d.tag), registry)),
                visible(short_digest(&d.digest)),
            );
        }
        out.push('\n');
    }
}

fn failures(report: &RunReport, paint: &Paint, out: &mut String) {
    if report.failures.is_empty() {
        return;
    }
    let registry = report.run.registry.as_str();
    let mut by_reason: BTreeMap<&str, Vec<_>> = BTreeMap::new();
    for f in &report.failures {
        by_reason.entry(reason_word(f.reason)).or_default().push(f);
    }
    let _ = writeln!(out, "{}", paint.bold("Failures (partial run)"));
    for (reason, failures) in by_reason {
        let _ = writeln!(out, "  {} ({})", paint.rating(Rating::High, reason), failures.len());
        for f in failures {
            let _ = writeln!(
                out,
                "    {}: {}",
                visible(&tag_name(&f.repository, f.tag.as_deref(), registry)),
                one_line(&f.message, MAX_MESSAGE)
            );
        }
    }
    out.push('\n');
}

/// `customs: 12 new, 3 fixed, 140 unchanged vulnerabilities in 104 images (2 repositories failed: partial run)`.
fn closing_line(report: &RunReport, paint: &Paint, out: &mut String) {
    let s = &report.summary;
    let _ = write!(out, "{} {} new, {} fixed, {} unchanged", paint.bold("customs:"), s.new, s.fixed, s.unchanged);
    if s.stale > 0 {
        let _ = write!(out, ", {} stale", s.stale);
    }
    let _ = write!(out, " vulnerabilities in {}", plural(report.images.len(), "image", "images"));
    if s.policy > 0 {
        let _ = write!(out, "; {}", plural(s.policy, "policy finding", "policy findings"));
    }
    if is_partial(report) {
        let failed = unread(report);
        let text = if failed.is_empty() {
            "partial run".to_string()
        } else {
            format!("{} failed: partial run", failed.join(" and "))
        };
        let _ = write!(out, " ({})", paint.rating(Rating::High, &text));
    }
    out.push('\n');
}

/// One line of at most `max` characters, hidden characters made visible.
fn one_line(s: &str, max: usize) -> String {
    let shown = visible(s);
    if shown.chars().count() <= max {
        return shown.into_owned();
    }
    let cut: String = shown.chars().take(max - 1).collect();
    format!("{cut}…")
}
