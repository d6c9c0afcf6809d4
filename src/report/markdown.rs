//! A compact Markdown summary, sized for a pull-request comment or
//! `$GITHUB_STEP_SUMMARY`: counts, then the findings by rating (critical, high,
//! medium, low, none, then unrated) and score, capped. A cut drops the least rated
//! rows, never a rated finding for an unrated one, and says what it dropped and which
//! format lists everything. A distribution's advisory is one row per source package
//! with its binary packages (see [`super::rows`]).
//!
//! Everything from an input is escaped ([`md_text`] in cells, [`md_code`] for
//! places): no name or path can end a cell or a code span, start free Markdown, or
//! carry HTML into the page. Advisories that could not be compared are listed, and
//! while there are any the report never says "No known vulnerabilities".

use std::fmt::Write as _;

use super::escape::{md_code, md_text};
use super::plural;
use crate::matching::Finding;
use crate::scan::ScanResult;

/// Rows shown before the table is cut (a PR comment is limited to 65,536 characters).
const MAX_ROWS: usize = 100;

/// A scan as a Markdown summary for a pull-request comment or a job summary.
pub fn render(result: &ScanResult) -> String {
    let s = &result.summary;
    let mut out = String::from("## customs scan\n\n");
    let target = match &result.inventory.image {
        Some(image) => format!("image {}", md_code(&image.reference)),
        None => result.targets.iter().map(|t| md_code(t)).collect::<Vec<_>>().join(", "),
    };
    let packages = if s.packages == 1 { "package" } else { "packages" };
    let _ = writeln!(out, "Scanned {target}: **{}** {packages}.\n", s.packages);
    if s.vulnerabilities == 0 && s.uncomparable > 0 {
        let _ = writeln!(
            out,
            "No vulnerabilities found among the versions customs could compare, but **{}** (listed below): whether {} is unknown.",
            plural(s.uncomparable, "advisory could not be compared", "advisories could not be compared"),
            if s.uncomparable == 1 { "it applies" } else { "they apply" },
        );
    } else if s.vulnerabilities == 0 {
        out.push_str(if s.suppressed > 0 { "No open vulnerabilities.\n" } else { "No known vulnerabilities.\n" });
    } else {
        out.push_str("| Severity | Count |\n|---|---:|\n");
        for rating in ["critical", "high", "medium", "low", "none", "unknown"] {
            if let Some(n) = s.by_severity.get(rating) {
                let _ = writeln!(out, "| {rating} | {n} |");
            }
        }
        out.push('\n');
    }
    let mut findings: Vec<&Finding> = result.findings.iter().filter(|f| f.kind.is_vulnerability()).collect();
    // Open findings first, then any shown suppressed ones; each by rating, unrated last,
    // then score: a cut keeps what matters.
    findings.sort_by(|a, b| {
        order(a).partial_cmp(&order(b)).unwrap_or(std::cmp::Ordering::Equal).then_with(|| a.id.cmp(&b.id))
    });
    let rows = super::rows(findings);
    if !rows.is_empty() {
        out.push_str("| Severity | Advisory | Package | Installed | Fixed in | Where |\n|---|---|---|---|---|---|\n");
        for row in rows.iter().take(MAX_ROWS) {
            let f = row.finding;
            let rating = f.severity.as_ref().map(|s| s.rating.to_string()).unwrap_or_else(|| "unknown".into());
            let fixed =
                if f.fixed_versions.is_empty() { "—".to_string() } else { md_text(&f.fixed_versions.join(", ")) };
            let place = match row.line() {
                Some(line) => format!("{}:{line}", f.package.location.path),
                None => f.package.location.path.clone(),
            };
            let advisory = match &f.suppression {
                Some(s) => format!("{} *(suppressed — {})*", md_text(&f.id), md_text(&s.describe())),
                None => md_text(&f.id),
            };
            let package = if row.binaries.is_empty() {
                md_text(&f.package.name)
            } else {
                let binaries: Vec<String> = row.binaries.iter().map(|b| md_text(b)).collect();
                format!("{} (installed as {})", md_text(&f.package.name), binaries.join(", "))
            };
            let _ = writeln!(
                out,
                "| {rating} | {advisory} | {package} | {} | {fixed} | {} |",
                md_text(&f.package.version),
                md_code(&place),
            );
        }
        if rows.len() > MAX_ROWS {
            let _ = writeln!(out, "\n{}", cut_rows(&rows[MAX_ROWS..]));
        }
    }
    if s.suppressed > 0 {
        let _ = writeln!(
            out,
            "\nSuppressed (ignore file, VEX, unfixed), not counted above and never failing the build: {}.",
            s.suppressed
        );
    }
    if !result.policy.is_empty() {
        out.push_str("\n| Severity | Rule | Finding | Where |\n|---|---|---|---|\n");
        for p in result.policy.iter().take(MAX_ROWS) {
            let place = match p.location.line {
                Some(line) => format!("{}:{line}", p.location.path),
                None => p.location.path.clone(),
            };
            let _ = writeln!(
                out,
                "| {} | {} {} | {} | {} |",
                p.severity,
                p.rule,
                p.name,
                md_text(&p.message),
                md_code(&place)
            );
        }
        if result.policy.len() > MAX_ROWS {
            let more = plural(result.policy.len() - MAX_ROWS, "more policy finding", "more policy findings");
            let _ = writeln!(out, "\n…and {more} not shown here. `customs scan -f table` or `-f json` lists them all.");
        }
    }
    not_compared(result, &mut out);
    if s.informational > 0 {
        let advisories = plural(s.informational, "informational advisory", "informational advisories");
        let are = if s.informational == 1 { "is" } else { "are" };
        let _ = writeln!(out, "\n{advisories} (unmaintained, unsound) {are} not counted above.");
    }
    out
}

/// Where a finding sorts: open before suppressed, then rated by rating (critical
/// first) and score, then unrated. An unrated finding's SARIF score (5.5) would put it
/// above every rated medium; here it goes after every rated one.
fn order(f: &Finding) -> (bool, u8, f64) {
    let (rank, score) = match &f.severity {
        Some(s) => (4 - s.rating as u8, -super::sarif::security_severity(f)),
        None => (5, 0.0),
    };
    (f.suppression.is_some(), rank, score)
}

/// `…and 13 more findings not shown (2 low, 11 unrated); …` for the rows a cut
/// dropped, counted by finding (a row may stand for several binary packages).
fn cut_rows(dropped: &[super::Row<'_>]) -> String {
    let mut counts = [0usize; 6];
    let mut suppressed = 0;
    for row in dropped {
        let f = row.finding;
        if f.suppression.is_some() {
            suppressed += row.findings;
        } else {
            counts[order(f).1 as usize] += row.findings;
        }
    }
    let words = ["critical", "high", "medium", "low", "none", "unrated"];
    let mut parts: Vec<String> =
        counts.iter().zip(words).filter(|(n, _)| **n > 0).map(|(n, word)| format!("{n} {word}")).collect();
    if suppressed > 0 {
        parts.push(format!("{suppressed} suppressed"));
    }
    let total: usize = dropped.iter().map(|r| r.findings).sum();
    format!(
        "…and {} not shown here ({}). `customs scan -f table` or `-f json` lists them all.",
        plural(total, "more finding", "more findings"),
        parts.join(", ")
    )
}

/// One row per package whose version some advisories could not be compared with.
fn not_compared(result: &ScanResult, out: &mut String) {
    let groups = super::not_compared(result);
    if groups.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n**Not compared**: {} these packages, but their versions cannot be compared with the advisories' ranges, so customs cannot tell whether they apply. Check them by hand or fix the version.\n",
        plural(result.summary.uncomparable, "advisory names", "advisories name")
    );
    out.push_str("| Package | Installed | Advisories | Where | Why |\n|---|---|---|---|---|\n");
    for g in groups.iter().take(MAX_ROWS) {
        let p = g.package;
        let place = match p.location.line {
            Some(line) => format!("{}:{line}", p.location.path),
            None => p.location.path.clone(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {}: {} | {} | {} |",
            md_text(&p.name),
            md_text(&p.version),
            g.advisories.len(),
            md_text(&super::some_ids(&g.advisories, 3)),
            md_code(&place),
            md_text(g.reason),
        );
    }
    if groups.len() > MAX_ROWS {
        let more = plural(groups.len() - MAX_ROWS, "more package", "more packages");
        let _ = writeln!(out, "\n…and {more} not shown here. `customs scan -f table` or `-f json` lists them all.");
    }
}

#[cfg(test)]
mod tests;
