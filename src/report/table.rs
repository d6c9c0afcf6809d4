//! The human report: findings grouped by target (an image's header with its
//! reference, digest, OS and layers; then each file that declares packages), worst
//! first, with the versions that fix them. A distribution's advisory is one row per
//! source package, listing the binary packages it was installed as (see
//! [`super::rows`]). Rows fit the width given (the terminal's, `COLUMNS`, or
//! [`DEFAULT_WIDTH`]): summaries are cut to it, ids and package names never.
//! Colour only on a terminal, and never when `NO_COLOR` is set. Every text that came
//! from an input goes through [`visible`]: a path or name never reaches the terminal
//! with a raw control or bidi character.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::escape::visible;
use super::{plural, Row};
use crate::advisory::cvss::Rating;
use crate::matching::Finding;
use crate::model::ImageSubject;
use crate::scan::ScanResult;

/// The width when there is no terminal to ask and `COLUMNS` is not set: a CI log or
/// a file, read in wide windows.
pub const DEFAULT_WIDTH: usize = 120;
/// Narrower than this, the fixed columns alone fill the line; wider is no easier to read.
const MIN_WIDTH: usize = 60;
const MAX_WIDTH: usize = 500;
/// The longest suppression reason shown (the JSON report has it whole).
const MAX_SUPPRESSION: usize = 200;
/// Where continuation lines (fix, binaries, summary) start: under the advisory id.
const INDENT: &str = "           ";

/// How the table is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableOptions {
    /// ANSI colours (a terminal, and `NO_COLOR` unset).
    pub colour: bool,
    /// Columns a line may fill; see [`width`].
    pub width: usize,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions { colour: false, width: DEFAULT_WIDTH }
    }
}

/// The width to fit: the terminal's when stdout is one, else `COLUMNS` when set, else
/// [`DEFAULT_WIDTH`].
pub fn width(stdout_is_terminal: bool) -> usize {
    let terminal = if stdout_is_terminal { terminal_columns() } else { None };
    choose_width(terminal, std::env::var("COLUMNS").ok().as_deref())
}

/// [`width`] without the environment: `terminal` first, then `columns` if it is a
/// positive number, then the default; always within `MIN_WIDTH..=MAX_WIDTH`.
fn choose_width(terminal: Option<usize>, columns: Option<&str>) -> usize {
    let columns = columns.and_then(|c| c.trim().parse::<usize>().ok()).filter(|&c| c > 0);
    terminal.filter(|&c| c > 0).or(columns).unwrap_or(DEFAULT_WIDTH).clamp(MIN_WIDTH, MAX_WIDTH)
}

#[cfg(unix)]
fn terminal_columns() -> Option<usize> {
    let mut size = libc::winsize { ws_row: 0, ws_col: 0, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: TIOCGWINSZ writes one `winsize` into the struct passed, which lives for the
    // call; on a descriptor that is not a terminal it fails and writes nothing.
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) } == 0;
    (ok && size.ws_col > 0).then_some(usize::from(size.ws_col))
}

#[cfg(not(unix))]
fn terminal_columns() -> Option<usize> {
    None
}

/// A scan as a table for a terminal.
pub fn render(result: &ScanResult, options: &TableOptions) -> String {
    let paint = Paint { on: options.colour };
    let width = options.width.clamp(MIN_WIDTH, MAX_WIDTH);
    let mut out = String::new();
    if let Some(image) = &result.inventory.image {
        image_header(image, &paint, &mut out);
    }
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
        for row in super::rows(findings) {
            finding_row(&row, &paint, width, &mut out);
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
    not_compared(result, &paint, width, &mut out);
    summary_line(result, &paint, &mut out);
    out
}

/// What was scanned, before its findings: the reference as given, the full digest (to
/// pull exactly this image again), the distribution, platform and layer count.
fn image_header(image: &ImageSubject, paint: &Paint, out: &mut String) {
    let _ = writeln!(out, "{}", paint.bold(&format!("Image {}", visible(&image.reference))));
    let _ = writeln!(out, "  digest {}", visible(&image.manifest_digest));
    let os = match (&image.os, &image.ecosystem) {
        (Some(os), _) => visible(os).into_owned(),
        (None, Some(ecosystem)) => visible(&ecosystem.to_string()).into_owned(),
        (None, None) => "OS not detected".to_string(),
    };
    let layers = plural(image.layers.len(), "layer", "layers");
    let _ = writeln!(out, "  {os} on {}, {layers}", visible(&image.platform));
    if let Some(base) = &image.base_name {
        let digest = image.base_digest.as_deref().map(|d| format!("@{}", visible(d))).unwrap_or_default();
        let _ = writeln!(out, "  base image {}{digest}", visible(base));
    }
    out.push('\n');
}

/// `  HIGH     DLA-3910-1           e2fsprogs 1.46.2-2  fixed in 1.46.2-2+deb11u1`, then
/// under the id: the fix when the row would not fit the width, the binary packages,
/// the summary cut to the width, and why the finding is suppressed.
fn finding_row(row: &Row<'_>, paint: &Paint, width: usize, out: &mut String) {
    let f = row.finding;
    let word = format!("{:<8}", label_text(f));
    let label = match (&f.severity, f.kind.is_vulnerability()) {
        _ if f.suppression.is_some() => paint.dim(&word),
        (_, false) => paint.dim(&word),
        (Some(s), true) => paint.rating(s.rating, &word),
        (None, true) => paint.unrated(&word),
    };
    let head = format!("{:<20} {} {}", visible(&f.id), visible(&f.package.name), visible(&f.package.version));
    let line = row.line().map(|l| format!("  line {l}")).unwrap_or_default();
    let fix_plain = if f.fixed_versions.is_empty() {
        "no fix published".to_string()
    } else {
        format!("fixed in {}", visible(&f.fixed_versions.join(", ")))
    };
    let fix = if f.fixed_versions.is_empty() { paint.dim(&fix_plain) } else { fix_plain.clone() };
    let length = |s: &str| s.chars().count();
    if 2 + length(&word) + 1 + length(&head) + 2 + length(&fix_plain) + length(&line) <= width {
        let _ = writeln!(out, "  {label} {head}  {fix}{}", paint.dim(&line));
    } else {
        let _ = writeln!(out, "  {label} {head}{}", paint.dim(&line));
        let _ = writeln!(out, "{INDENT}{fix}");
    }
    let room = width - INDENT.len();
    if !row.binaries.is_empty() {
        let names: Vec<String> = row.binaries.iter().map(|b| visible(b).into_owned()).collect();
        for text in wrap("installed as", &names, room) {
            let _ = writeln!(out, "{INDENT}{text}");
        }
    }
    if let Some(summary) = &f.summary {
        let _ = writeln!(out, "{INDENT}{}", paint.dim(&truncate(summary, room)));
    }
    if let Some(s) = &f.suppression {
        // Not fitted to the width: it ends with the ignore or VEX file to look in.
        let reason = truncate(&s.describe(), MAX_SUPPRESSION);
        let _ = writeln!(out, "{INDENT}{}", paint.dim(&format!("[suppressed] {reason}")));
    }
}

/// `lead a, b, c` in lines of at most `room` characters, breaking only after a comma:
/// a name is never cut (one longer than `room` has a line of its own).
fn wrap(lead: &str, names: &[String], room: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = lead.to_string();
    for (i, name) in names.iter().enumerate() {
        let piece = if i + 1 < names.len() { format!("{name},") } else { name.clone() };
        if current.trim().is_empty() || current.chars().count() + 1 + piece.chars().count() <= room {
            if !current.is_empty() && !current.ends_with(' ') {
                current.push(' ');
            }
            current.push_str(&piece);
        } else {
            lines.push(std::mem::take(&mut current));
            current = format!("  {piece}");
        }
    }
    lines.push(current);
    lines
}

/// `customs: 6 vulnerabilities in 5 packages (4 critical, 2 medium); 2 informational advisories`.
fn summary_line(result: &ScanResult, paint: &Paint, out: &mut String) {
    let s = &result.summary;
    let severities: Vec<String> = ["critical", "high", "medium", "low", "none", "unknown"]
        .iter()
        .filter_map(|r| s.by_severity.get(*r).map(|n| format!("{n} {r}")))
        .collect();
    let _ = write!(
        out,
        "{} {} in {}",
        paint.bold("customs:"),
        plural(s.vulnerabilities, "vulnerability", "vulnerabilities"),
        plural(s.packages, "package", "packages")
    );
    if !severities.is_empty() {
        let _ = write!(out, " ({})", severities.join(", "));
    }
    if s.informational > 0 {
        let _ = write!(out, "; {}", plural(s.informational, "informational advisory", "informational advisories"));
    }
    if s.policy > 0 {
        let _ = write!(out, "; {}", plural(s.policy, "policy finding", "policy findings"));
    }
    if s.uncomparable > 0 {
        let could_not = plural(s.uncomparable, "advisory could not be compared", "advisories could not be compared");
        let _ = write!(out, "; {could_not} (listed above)");
    }
    if s.suppressed > 0 {
        let _ = write!(out, "; {} suppressed", s.suppressed);
    }
    out.push('\n');
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
fn not_compared(result: &ScanResult, paint: &Paint, width: usize, out: &mut String) {
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
            "  {}{line}  {} {}  {}: {}",
            visible(&p.location.path),
            visible(&p.name),
            visible(&p.version),
            plural(g.advisories.len(), "advisory", "advisories"),
            visible(&super::some_ids(&g.advisories, 3)),
        );
        let _ = writeln!(out, "{INDENT}{}", paint.dim(&truncate(g.reason, width - INDENT.len())));
    }
    out.push('\n');
}

/// One line of at most `max` characters as shown: whitespace runs made one space,
/// hidden characters made [`visible`] (which lengthens them) before it is cut.
fn truncate(s: &str, max: usize) -> String {
    let one_line = visible(&s.split_whitespace().collect::<Vec<_>>().join(" ")).into_owned();
    if one_line.chars().count() <= max {
        return one_line;
    }
    let cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
    format!("{cut}…")
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

    /// UNKNOWN: an advisory without a rating. Not HIGH's red: the reader must see that
    /// nobody rated it, not that someone rated it high.
    pub(super) fn unrated(&self, s: &str) -> String {
        self.wrap("1;94", s)
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

#[cfg(test)]
mod tests;
