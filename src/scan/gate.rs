//! The gate: which findings fail a scan (`--fail-on`, `--unrated`), which are shown at
//! all (`--severity`), and what the gate decided, counted by severity so that the
//! person reading CI logs learns *why* a scan failed or passed.
//!
//! Findings without a severity are the hard case: many OSV records carry none, so a
//! threshold alone would either wave them all through or fail on all of them without
//! saying so. They trip every threshold unless `--unrated ignore` says otherwise (an
//! unrated vulnerability is not a safe one), and the outcome counts them separately.

use std::collections::BTreeMap;
use std::fmt;

use crate::advisory::cvss::Rating;
use crate::matching::Finding;
use crate::policy::PolicyFinding;

/// A severity as users name it: a rating, or `unknown` for a finding without one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// A finding without a severity.
    Unknown,
    /// A finding with this rating.
    Rated(Rating),
}

impl Level {
    /// Every level, most severe first (the order reports and messages list them in).
    pub const ALL: [Level; 6] = [
        Level::Rated(Rating::Critical),
        Level::Rated(Rating::High),
        Level::Rated(Rating::Medium),
        Level::Rated(Rating::Low),
        Level::Rated(Rating::None),
        Level::Unknown,
    ];

    /// The level of a finding's severity.
    pub fn of(finding: &Finding) -> Level {
        finding.severity.as_ref().map_or(Level::Unknown, |s| Level::Rated(s.rating))
    }

    fn bit(self) -> u8 {
        match self {
            Level::Unknown => 1,
            Level::Rated(rating) => 2 << rating as u8,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Level::Unknown => f.write_str("unknown"),
            Level::Rated(rating) => f.write_str(rating.as_str()),
        }
    }
}

impl std::str::FromStr for Level {
    type Err = String;

    /// `unknown` or a rating's name, in any case.
    fn from_str(s: &str) -> Result<Level, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "unknown" | "unrated" => Ok(Level::Unknown),
            other => other.parse::<Rating>().map(Level::Rated).map_err(|_| {
                format!("unknown severity {:?}: use unknown, none, low, medium, high or critical", s.trim())
            }),
        }
    }
}

/// A set of levels (`--severity HIGH,CRITICAL`), small enough to copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Levels(u8);

impl Levels {
    /// Whether the set holds `level`.
    pub fn contains(self, level: Level) -> bool {
        self.0 & level.bit() != 0
    }

    /// Adds `level` to the set.
    pub fn insert(&mut self, level: Level) {
        self.0 |= level.bit();
    }

    /// The levels in this set, most severe first.
    pub fn iter(self) -> impl Iterator<Item = Level> {
        Level::ALL.into_iter().filter(move |l| self.contains(*l))
    }
}

impl FromIterator<Level> for Levels {
    fn from_iter<I: IntoIterator<Item = Level>>(iter: I) -> Levels {
        let mut levels = Levels::default();
        iter.into_iter().for_each(|l| levels.insert(l));
        levels
    }
}

impl fmt::Display for Levels {
    /// `critical,high` (most severe first), as the flag takes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self.iter().map(|l| l.to_string()).collect();
        f.write_str(&names.join(","))
    }
}

impl std::str::FromStr for Levels {
    type Err = String;

    /// A comma-separated list, in any case: `HIGH,CRITICAL`, `unknown`.
    fn from_str(s: &str) -> Result<Levels, String> {
        let mut levels = Levels::default();
        for word in s.split(',') {
            if word.trim().is_empty() {
                return Err(format!("{s:?}: an empty severity in the list; write it as HIGH,CRITICAL"));
            }
            levels.insert(word.parse()?);
        }
        Ok(levels)
    }
}

/// `--fail-on`: which findings make the exit code non-zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threshold {
    /// Every vulnerability, whatever its severity.
    Any,
    /// One level: this and above (`--fail-on high`).
    AtLeast(Rating),
    /// Exactly the listed levels (`--fail-on HIGH,CRITICAL`, `--fail-on unknown`).
    Exactly(Levels),
}

impl Threshold {
    /// Whether a finding rated `rating` meets the threshold.
    pub fn admits(self, rating: Rating) -> bool {
        match self {
            Threshold::Any => true,
            Threshold::AtLeast(min) => rating >= min,
            Threshold::Exactly(levels) => levels.contains(Level::Rated(rating)),
        }
    }

    /// Whether `unknown` was named: unrated findings then trip it whatever `--unrated` says.
    fn names_unknown(self) -> bool {
        matches!(self, Threshold::Exactly(levels) if levels.contains(Level::Unknown))
    }

    /// For messages: `at or above high`, `at critical or high`, `at any severity`.
    pub fn describe(self) -> String {
        match self {
            Threshold::Any => "at any severity".into(),
            Threshold::AtLeast(min) => format!("at or above {min}"),
            Threshold::Exactly(levels) => {
                let names: Vec<String> = levels.iter().map(|l| l.to_string()).collect();
                match names.split_last() {
                    Some((last, rest)) if !rest.is_empty() => format!("at {} or {last}", rest.join(", ")),
                    _ => format!("at {}", names.join("")),
                }
            }
        }
    }
}

impl std::str::FromStr for Threshold {
    type Err = String;

    /// `any`, one level (that level and above; `unknown` alone is only unrated
    /// findings), or a comma-separated list of exact levels.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("any") {
            return Ok(Threshold::Any);
        }
        let levels: Levels = s.parse().map_err(|e: String| format!("{e}; or any"))?;
        Ok(match levels.iter().collect::<Vec<_>>()[..] {
            [Level::Rated(rating)] if !s.contains(',') => Threshold::AtLeast(rating),
            _ => Threshold::Exactly(levels),
        })
    }
}

/// `--unrated`: whether vulnerabilities without a severity trip a `--fail-on` threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unrated {
    /// They trip every threshold: an unrated vulnerability is not a safe one.
    #[default]
    Fail,
    /// They never trip a threshold unless `unknown` is named in it; still reported.
    Ignore,
}

/// A threshold with the rule for unrated findings: everything that decides a gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gate {
    /// The severity at which findings trip the gate.
    pub threshold: Threshold,
    /// Whether findings without a severity trip it.
    pub unrated: Unrated,
}

impl Default for Gate {
    /// `--fail-on any`, unrated findings fail.
    fn default() -> Gate {
        Gate { threshold: Threshold::Any, unrated: Unrated::Fail }
    }
}

impl From<Threshold> for Gate {
    fn from(threshold: Threshold) -> Gate {
        Gate { threshold, unrated: Unrated::Fail }
    }
}

impl Gate {
    /// Whether this finding fails the gate: an unsuppressed vulnerability meeting the
    /// threshold, or without a severity unless `--unrated ignore` (and `unknown` is
    /// not named). Suppressed findings never count: triage accepted them.
    pub fn gates(self, finding: &Finding) -> bool {
        finding.kind.is_vulnerability() && finding.suppression.is_none() && self.trips(Level::of(finding))
    }

    /// Whether an unsuppressed finding at `level` trips the gate.
    pub fn trips(self, level: Level) -> bool {
        match level {
            Level::Rated(rating) => self.threshold.admits(rating),
            Level::Unknown => self.threshold.names_unknown() || self.unrated == Unrated::Fail,
        }
    }

    /// Whether a policy verdict fails the gate: unmet requirements (base images,
    /// signatures) always, Dockerfile findings by their severity.
    pub fn gates_policy(self, finding: &PolicyFinding) -> bool {
        crate::policy::is_requirement(finding.rule) || self.threshold.admits(finding.severity)
    }
}

/// What a gate decided over one or more results: what tripped it, by level, and what
/// was reported but let through.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GateOutcome {
    /// Vulnerabilities and Dockerfile findings that tripped the gate, per level.
    pub tripped: BTreeMap<Level, usize>,
    /// Unmet policy requirements (base images, signatures): they always trip it.
    pub requirements: usize,
    /// Unsuppressed vulnerabilities and Dockerfile findings that did not trip it, per level.
    pub passed: BTreeMap<Level, usize>,
    /// The gate, for messages.
    pub gate: Option<Gate>,
}

impl GateOutcome {
    /// Counts one finding's verdict.
    pub fn count(&mut self, level: Level, tripped: bool) {
        let counts = if tripped { &mut self.tripped } else { &mut self.passed };
        *counts.entry(level).or_default() += 1;
    }

    /// Adds another outcome's counts (one per image of a registry sweep).
    pub fn merge(&mut self, other: &GateOutcome) {
        for (level, n) in &other.tripped {
            *self.tripped.entry(*level).or_default() += n;
        }
        for (level, n) in &other.passed {
            *self.passed.entry(*level).or_default() += n;
        }
        self.requirements += other.requirements;
        self.gate = self.gate.or(other.gate);
    }

    /// How many findings and requirements tripped the gate.
    pub fn tripped_total(&self) -> usize {
        self.tripped.values().sum::<usize>() + self.requirements
    }

    /// How many findings were below the threshold.
    pub fn passed_total(&self) -> usize {
        self.passed.values().sum()
    }

    /// Whether anything tripped the gate (the scan then exits 1).
    pub fn is_tripped(&self) -> bool {
        self.tripped_total() > 0
    }

    /// One line for the person reading the log, without the exit code:
    /// `5 findings at or above high: 1 critical, 2 high, 2 unrated (--unrated ignore to
    /// let unrated pass)`, or what passed below the gate; `None` when nothing was found.
    pub fn describe(&self) -> Option<String> {
        let gate = self.gate.unwrap_or_default();
        if self.is_tripped() {
            let findings = self.tripped.values().sum::<usize>();
            let mut parts = Vec::new();
            if findings > 0 {
                parts.push(format!(
                    "{} {}: {}",
                    plural(findings, "finding"),
                    gate.threshold.describe(),
                    counts(&self.tripped)
                ));
            }
            if self.requirements > 0 {
                parts.push(plural(self.requirements, "unmet policy requirement"));
            }
            let mut line = parts.join("; ");
            if self.tripped.contains_key(&Level::Unknown) && !gate.threshold.names_unknown() {
                line.push_str(" (--unrated ignore to let unrated pass)");
            }
            Some(line)
        } else if self.passed_total() > 0 {
            let unrated_ignored = self.passed.contains_key(&Level::Unknown);
            Some(format!(
                "{} below the gate ({}): {}{}",
                plural(self.passed_total(), "finding"),
                gate.threshold.describe(),
                counts(&self.passed),
                if unrated_ignored { " (unrated pass with --unrated ignore)" } else { "" }
            ))
        } else {
            None
        }
    }
}

/// `1 critical, 2 high, 2 unrated`, most severe first.
fn counts(counts: &BTreeMap<Level, usize>) -> String {
    let parts: Vec<String> = Level::ALL
        .into_iter()
        .filter_map(|level| {
            let n = counts.get(&level)?;
            Some(match level {
                Level::Unknown => format!("{n} unrated"),
                Level::Rated(rating) => format!("{n} {rating}"),
            })
        })
        .collect();
    parts.join(", ")
}

/// `1 finding`, `2 findings`.
pub fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests;
