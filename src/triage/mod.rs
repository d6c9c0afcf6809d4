//! Triage: findings a team has already decided about — an ignore file, OpenVEX
//! statements, or "nothing to upgrade to yet" (`--ignore-unfixed`) — are marked
//! suppressed instead of deleted, so reports can still show them and say why, while
//! gates (`--fail-on`) count only what is left.
//!
//! The order decides which reason a finding shows when several apply: the ignore
//! file (the team's own word) first, then VEX, then `--ignore-unfixed`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::matching::Finding;
/// Suppressions live in [`crate::model`]: matching's findings carry them too.
pub use crate::model::{Suppression, SuppressionKind};

pub mod foreign;
pub mod glob;
pub mod ignore;
pub mod time;
pub mod vex;

use ignore::IgnoreFile;
use time::Date;
use vex::Statement;

/// Where triage decisions come from, as resolved from flags and `customs.yaml`.
#[derive(Debug, Clone, Default)]
pub struct TriageOptions {
    /// `--ignore-file`; without it `./.customs-ignore.yaml` is read when present.
    pub ignore_file: Option<PathBuf>,
    /// OpenVEX documents (`--vex`).
    pub vex: Vec<PathBuf>,
    /// Suppress findings no fixed version exists for (`--ignore-unfixed`).
    pub ignore_unfixed: bool,
}

/// The loaded triage inputs.
#[derive(Debug, Clone, Default)]
pub struct Triage {
    ignore: Option<IgnoreFile>,
    statements: Vec<Statement>,
    ignore_unfixed: bool,
    /// About the inputs themselves (which foreign ignore file was read), for every scan.
    notes: Vec<String>,
}

/// What the scan needs to judge paths and image products.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    /// Expired ignore entries stop suppressing the day after `expires`.
    pub today: Date,
    /// The scan targets as given, to see locations from the current directory.
    pub targets: &'a [String],
    /// The scanned image's manifest digest, when the target was an image.
    pub image_digest: Option<&'a str>,
}

/// Messages about the triage inputs themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Expired ignore entries: the acceptance lapsed and the findings are back.
    pub warnings: Vec<String>,
    /// Ignore entries that matched nothing: fixed or renamed, and can be removed.
    pub notes: Vec<String>,
}

impl Triage {
    /// Reads the ignore file and the VEX documents; any error names the file. Without
    /// an ignore file of ours, `.trivyignore` or `osv-scanner.toml` is read ([`foreign`]).
    pub fn load(options: &TriageOptions) -> anyhow::Result<Triage> {
        let mut notes = Vec::new();
        let ignore = match &options.ignore_file {
            Some(path) => Some(IgnoreFile::load(path).context("cannot read the ignore file")?),
            // Present but not a regular file (a FIFO): an error from the read, never a block.
            None if Path::new(ignore::DEFAULT_FILE).exists() => {
                Some(IgnoreFile::load(Path::new(ignore::DEFAULT_FILE)).context("cannot read the ignore file")?)
            }
            None => match foreign::find(Path::new(".")).context("cannot read the ignore file")? {
                Some((file, found)) => {
                    notes = found;
                    Some(file)
                }
                None => None,
            },
        };
        let mut statements = Vec::new();
        for path in &options.vex {
            statements.extend(vex::load(path).context("cannot read --vex")?);
        }
        Ok(Triage { ignore, statements, ignore_unfixed: options.ignore_unfixed, notes })
    }

    /// Marks suppressed findings (it never removes any) and reports on the inputs.
    pub fn apply(&self, findings: &mut [Finding], context: &Context<'_>) -> Outcome {
        let mut outcome = Outcome { notes: self.notes.clone(), ..Outcome::default() };
        let mut used = vec![false; self.ignore.as_ref().map_or(0, |f| f.entries.len())];
        for finding in findings.iter_mut() {
            if let Some(file) = &self.ignore {
                let paths = paths_of(finding, context.targets);
                for (i, entry) in file.entries.iter().enumerate() {
                    if !entry.matches(finding, &paths) {
                        continue;
                    }
                    used[i] = true;
                    if finding.suppression.is_none() && !entry.is_expired(context.today) {
                        finding.suppression = Some(Suppression {
                            kind: SuppressionKind::Ignore,
                            reason: entry.reason.trim().to_string(),
                            justification: None,
                            expires: entry.expires.map(|d| d.to_string()),
                            source: file.source.clone(),
                        });
                    }
                }
            }
            if finding.suppression.is_none() {
                finding.suppression = self.vex_suppression(finding, context.image_digest);
            }
            if finding.suppression.is_none() && self.ignore_unfixed && finding.fixed_versions.is_empty() {
                finding.suppression = Some(Suppression {
                    kind: SuppressionKind::Unfixed,
                    reason: "no fixed version is published".into(),
                    justification: None,
                    expires: None,
                    source: "--ignore-unfixed".into(),
                });
            }
        }
        if let Some(file) = &self.ignore {
            for (i, entry) in file.entries.iter().enumerate() {
                if let Some(last_day) = entry.expires.filter(|_| entry.is_expired(context.today)) {
                    outcome.warnings.push(format!(
                        "{} expired on {last_day} and no longer suppresses; review it and renew or remove it",
                        file.describe(i)
                    ));
                } else if !used[i] {
                    outcome.notes.push(format!("{} matched no finding; it can be removed", file.describe(i)));
                }
            }
        }
        outcome
    }

    /// The latest statement about the finding decides; only `not_affected` and
    /// `fixed` suppress. Ties go to the statement read last.
    fn vex_suppression(&self, finding: &Finding, image_digest: Option<&str>) -> Option<Suppression> {
        let latest = self
            .statements
            .iter()
            .enumerate()
            .filter(|(_, s)| s.applies_to(finding, image_digest))
            .max_by_key(|(i, s)| (s.time, *i))
            .map(|(_, s)| s)?;
        latest.status.suppresses().then(|| Suppression {
            kind: SuppressionKind::Vex,
            reason: latest.reason(),
            justification: latest.justification.clone(),
            expires: None,
            source: latest.source.clone(),
        })
    }
}

/// The finding's location as reported, and as seen from the current directory when
/// a single folder was scanned (reports show paths relative to it; an ignore file in
/// the repository root names them from there).
fn paths_of(finding: &Finding, targets: &[String]) -> Vec<String> {
    let path = finding.package.location.path.clone();
    match targets {
        [target] if target != "." && Path::new(target).is_dir() => {
            let from_cwd = format!("{}/{path}", target.trim_end_matches('/'));
            vec![path, from_cwd]
        }
        _ => vec![path],
    }
}

/// Reads a triage or configuration file as UTF-8, refusing oversized ones.
pub(crate) fn read_text(path: &Path) -> anyhow::Result<String> {
    let bytes = crate::inventory::walk::read_capped(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(crate::inventory::text::utf8(path, &bytes)?.to_string())
}

/// A YAML file with nothing but comments and blank lines: an empty ignore list or
/// configuration, which the YAML parser would otherwise reject as no document.
pub(crate) fn is_blank_yaml(text: &str) -> bool {
    text.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#') || l == "---"
    })
}
