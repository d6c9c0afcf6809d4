//! The human report: findings grouped by the file that declares the package, worst
//! first, with the versions that fix them. Colour only on a terminal, and never
//! when `NO_COLOR` is set. Every text that came from an input goes through
//! [`visible`]: a path or name never reaches the terminal with a raw control or
//! bidi character.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::escape::visible;
use crate::advisory::cvss::Rating;
use crate::matching::Finding;
use crate::scan::ScanResult;

pub fn render(result: &ScanResult, colour: bool) -> String {
    let paint = Paint { on: colour };
    let mut out = String::new();
    let mut by_file: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &result.findings {
        by_file.entry(&f.package.location.path).or_default().push(f);
    }
    for (file, mut findings) in by_file {
        findings.sort_by(|a, b| {
            let rank = |f: &Finding| std::cmp::Reverse(f.severity.as_ref().map(|s| s.rating));
            // Suppressed findings (shown with --show-suppressed) after the open ones.
            let suppressed = |f: &Finding| f.suppression.is_some();
            (suppressed(a), rank(a), &a.package.name, &a.id).cmp(&(suppressed(b), rank(b), &b.package.name, &b.id))
        });
        let _ = writeln!(out, "{}", paint.bold(&visible(file)));
        for f in findings {
            let label = match (&f.severity, f.kind.is_vulnerability()) {
                _ if f.suppression.is_some() => paint.dim(&format!("{:<8}", label_text(f))),
                (_, false) => paint.dim(&format!("{:<8}", format!("{:?}", f.kind).to_lowercase())),
                (Some(s), true) => paint.rating(s.rating, &format!("{:<8}", s.rating.to_string().to_uppercase())),
                (None, true) => paint.rating(Rating::High, &format!("{:<8}", "UNKNOWN")),
            };
            let line = f.package.location.line.map(|l| format!("  line {l}")).unwrap_or_default();
            let fix = if f.fixed_versions.is_empty() {
                paint.dim("no fix published")
            } else {
                format!("fixed in {}", visible(&f.fixed_versions.join(", ")))
            };
            let _ = writeln!(
                out,
                "  {label} {:<20} {} {}  {fix}{}",
                visible(&f.id),
                visible(&f.package.name),
                visible(&f.package.version),
                paint.dim(&line),
            );
            if let Some(summary) = &f.summary {
                let _ = writeln!(out, "           {}", paint.dim(&truncate(summary, 100)));
            }
            if let Some(s) = &f.suppression {
                let _ = writeln!(
                    out,
                    "           {}",
                    paint.dim(&format!("[suppressed] {}", truncate(&s.describe(), 200)))
                );
            }
        }
        out.push('\n');
    }
    let mut policy: Vec<_> = result.policy.iter().collect();
    policy.sort_by(|a, b| (&a.location, a.rule).cmp(&(&b.location, b.rule)));
    let mut current_file = None;
    for p in policy {
        if current_file != Some(&p.location.path) {
            current_file = Some(&p.location.path);
            let _ = writeln!(out, "{}", paint.bold(&visible(&p.location.path)));
        }
        let label = paint.rating(p.severity, &format!("{:<8}", p.severity.to_string().to_uppercase()));
        let line = p.location.line.map(|l| format!("  line {l}")).unwrap_or_default();
        let _ = writeln!(out, "  {label} {:<20} {}{}", p.rule, visible(&p.message), paint.dim(&line));
    }
    if !result.policy.is_empty() {
        out.push('\n');
    }
    not_compared(result, &paint, &mut out);
    let s = &result.summary;
    let severities: Vec<String> = ["critical", "high", "medium", "low", "none", "unknown"]
        .iter()
        .filter_map(|r| s.by_severity.get(*r).map(|n| format!("{n} {r}")))
        .collect();
    let _ = write!(out, "{} {} vulnerabilities in {} packages", paint.bold("customs:"), s.vulnerabilities, s.packages);
    if !severities.is_empty() {
        let _ = write!(out, " ({})", severities.join(", "));
    }
    if s.informational > 0 {
        let _ = write!(out, "; {} informational advisories", s.informational);
    }
    if s.policy > 0 {
        let _ = write!(out, "; {} policy findings", s.policy);
    }
    if s.uncomparable > 0 {
        let _ = write!(out, "; {} advisories could not be compared (listed above)", s.uncomparable);
    }
    if s.suppressed > 0 {
        let _ = write!(out, "; {} suppressed", s.suppressed);
    }
    out.push('\n');
    out
}

/// The severity word (or informational kind) without colour; suppressed findings
/// show it dimmed, so they do not read as open.
fn label_text(f: &Finding) -> String {
    match (&f.severity, f.kind.is_vulnerability()) {
        (_, false) => format!("{:?}", f.kind).to_lowercase(),
        (Some(s), true) => s.rating.to_string().to_uppercase(),
        (None, true) => "UNKNOWN".into(),
    }
}

/// Packages whose version some advisories could not be compared with: listed, since
/// "0 vulnerabilities" alone would claim more than customs knows.
fn not_compared(result: &ScanResult, paint: &Paint, out: &mut String) {
    let groups = super::not_compared(result);
    if groups.is_empty() {
        return;
    }
    let _ = writeln!(out, "{}", paint.bold("Not compared (customs cannot tell whether these advisories apply)"));
    for g in groups {
        let p = g.package;
        let line = p.location.line.map(|l| format!(":{l}")).unwrap_or_default();
        let _ = writeln!(
            out,
            "  {}{line}  {} {}  {} advisories: {}",
            visible(&p.location.path),
            visible(&p.name),
            visible(&p.version),
            g.advisories.len(),
            visible(&super::some_ids(&g.advisories, 3)),
        );
        let _ = writeln!(out, "           {}", paint.dim(&truncate(g.reason, 200)));
    }
    out.push('\n');
}

/// One line of at most `max` characters, hidden characters made visible.
fn truncate(s: &str, max: usize) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        return visible(&one_line).into_owned();
    }
    let cut: String = one_line.chars().take(max - 1).collect();
    visible(&format!("{cut}…")).into_owned()
}

/// ANSI styles, or plain text when colour is off (the registry table paints the same way).
pub(super) struct Paint {
    pub(super) on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    pub(super) fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }

    pub(super) fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }

    pub(super) fn rating(&self, rating: Rating, s: &str) -> String {
        let code = match rating {
            Rating::Critical => "1;35",
            Rating::High => "1;31",
            Rating::Medium => "33",
            Rating::Low => "36",
            Rating::None => "2",
        };
        self.wrap(code, s)
    }
}
