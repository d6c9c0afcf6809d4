//! A compact Markdown summary, sized for a pull-request comment or
//! `$GITHUB_STEP_SUMMARY`: counts, then the findings worst first, capped.
//!
//! Everything from an input is escaped ([`md_text`] in cells, [`md_code`] for
//! places): no name or path can end a cell or a code span, start free Markdown, or
//! carry HTML into the page. Advisories that could not be compared are listed, and
//! while there are any the report never says "No known vulnerabilities".

use std::fmt::Write as _;

use super::escape::{md_code, md_text};
use crate::scan::ScanResult;

/// Rows shown before the table is cut (a PR comment is limited to 65,536 characters).
const MAX_ROWS: usize = 100;

pub fn render(result: &ScanResult) -> String {
    let s = &result.summary;
    let mut out = String::from("## customs scan\n\n");
    let target = match &result.inventory.image {
        Some(image) => format!("image {}", md_code(&image.reference)),
        None => result.targets.iter().map(|t| md_code(t)).collect::<Vec<_>>().join(", "),
    };
    let _ = writeln!(out, "Scanned {target}: **{}** packages.\n", s.packages);
    if s.vulnerabilities == 0 && s.uncomparable > 0 {
        let _ = writeln!(
            out,
            "No vulnerabilities found among the versions customs could compare, but **{} advisories could not be compared** (listed below): whether they apply is unknown.",
            s.uncomparable
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
    let mut findings: Vec<_> = result.findings.iter().filter(|f| f.kind.is_vulnerability()).collect();
    // Open findings first (worst first), then any shown suppressed ones: a cut keeps what matters.
    findings.sort_by(|a, b| {
        a.suppression
            .is_some()
            .cmp(&b.suppression.is_some())
            .then_with(|| super::sarif::security_severity(b).total_cmp(&super::sarif::security_severity(a)))
            .then_with(|| a.id.cmp(&b.id))
    });
    if !findings.is_empty() {
        out.push_str("| Severity | Advisory | Package | Installed | Fixed in | Where |\n|---|---|---|---|---|---|\n");
        for f in findings.iter().take(MAX_ROWS) {
            let rating = f.severity.as_ref().map(|s| s.rating.to_string()).unwrap_or_else(|| "unknown".into());
            let fixed =
                if f.fixed_versions.is_empty() { "—".to_string() } else { md_text(&f.fixed_versions.join(", ")) };
            let place = match f.package.location.line {
                Some(line) => format!("{}:{line}", f.package.location.path),
                None => f.package.location.path.clone(),
            };
            let advisory = match &f.suppression {
                Some(s) => format!("{} *(suppressed — {})*", md_text(&f.id), md_text(&s.describe())),
                None => md_text(&f.id),
            };
            let _ = writeln!(
                out,
                "| {rating} | {advisory} | {} | {} | {fixed} | {} |",
                md_text(&f.package.name),
                md_text(&f.package.version),
                md_code(&place),
            );
        }
        if findings.len() > MAX_ROWS {
            let _ = writeln!(out, "\n…and {} more (see the full report).", findings.len() - MAX_ROWS);
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
    }
    not_compared(result, &mut out);
    if s.informational > 0 {
        let _ = writeln!(
            out,
            "\n{} informational advisories (unmaintained, unsound) are not counted above.",
            s.informational
        );
    }
    out
}

/// One row per package whose version some advisories could not be compared with.
fn not_compared(result: &ScanResult, out: &mut String) {
    let groups = super::not_compared(result);
    if groups.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n**Not compared**: {} advisories name these packages, but their versions cannot be compared with the advisories' ranges, so customs cannot tell whether they apply. Check them by hand or fix the version.\n",
        result.summary.uncomparable
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
        let _ = writeln!(out, "\n…and {} more packages (see the full report).", groups.len() - MAX_ROWS);
    }
}
