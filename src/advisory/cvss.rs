//! CVSS vectors and their scores: v2, v3.0, v3.1 and v4.0.
//!
//! OSV advisories carry `severity[]` entries such as `{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/…"}`:
//! the "score" is a vector string, and the number a report needs (SARIF's `security-severity`, a
//! finding's rating) has to be computed from it. [`parse`] reads a vector strictly (every mandatory
//! base metric exactly once, known metrics and values only), and [`Cvss::base_score`] applies the
//! version's own specification:
//!
//! - v2: the base equation of the CVSS v2 guide, rounded to one decimal;
//! - v3.0 and v3.1: the base equations with each version's `Roundup` (v3.1's integer-based one,
//!   which is immune to floating-point error, and v3.0's plain `ceil(x × 10) / 10`, which is not
//!   and so sometimes rounds one tenth higher, as the v3.0 calculator did);
//! - v4.0: the FIRST calculator's algorithm: the vector's MacroVector (equivalence classes
//!   EQ1–EQ6) gives a score from the expert-ranked lookup table, lowered by interpolation towards
//!   the next lower MacroVectors according to the vector's severity distance from the highest
//!   vectors of its class.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

mod v2;
mod v3;
mod v4;

#[cfg(test)]
mod tests;

/// A CVSS version this module reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    /// CVSS 2.0 (`AV:N/AC:L/…`, no prefix).
    V2,
    /// CVSS 3.0 (`CVSS:3.0/…`).
    V3_0,
    /// CVSS 3.1 (`CVSS:3.1/…`).
    V3_1,
    /// CVSS 4.0 (`CVSS:4.0/…`).
    V4_0,
}

impl Version {
    /// `"2.0"`, `"3.0"`, `"3.1"` or `"4.0"`, as in a vector's `CVSS:` prefix.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V2 => "2.0",
            Version::V3_0 => "3.0",
            Version::V3_1 => "3.1",
            Version::V4_0 => "4.0",
        }
    }

    fn metrics(self) -> &'static [MetricDef] {
        match self {
            Version::V2 => v2::METRICS,
            Version::V3_0 | Version::V3_1 => v3::METRICS,
            Version::V4_0 => v4::METRICS,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a vector string was refused.
#[allow(missing_docs)] // fields: each variant's message names them
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CvssError {
    /// The vector was an empty string.
    #[error("empty CVSS vector")]
    Empty,
    /// A `CVSS:x.y/` prefix of a version this module does not read.
    #[error("unsupported CVSS version {0:?}")]
    UnsupportedVersion(String),
    /// The text does not start like any CVSS vector.
    #[error("unrecognised CVSS vector prefix {0:?}")]
    BadPrefix(String),
    /// A component that is not `METRIC:VALUE`.
    #[error("malformed CVSS vector component {0:?} (expected METRIC:VALUE)")]
    Malformed(String),
    /// A metric the version does not define.
    #[error("unknown CVSS {version} metric {metric:?}")]
    UnknownMetric { version: Version, metric: String },
    /// A value the metric does not take.
    #[error("invalid value {value:?} for CVSS {version} metric {metric}")]
    InvalidValue { version: Version, metric: &'static str, value: String },
    /// A metric given twice.
    #[error("CVSS metric {0} appears more than once")]
    Duplicate(&'static str),
    /// A mandatory base metric left out.
    #[error("CVSS {version} vector lacks the mandatory metric {metric}")]
    Missing { version: Version, metric: &'static str },
    /// CVSS 4.0 requires metrics in the specification's order.
    #[error("CVSS 4.0 metric {0} is out of the specification's order")]
    OutOfOrder(&'static str),
}

/// One metric of a version: its abbreviation, its values, and whether it is a mandatory base
/// metric. Optional metrics name their "Not Defined" value (`X`, or `ND` in v2), which means the
/// same as leaving the metric out.
struct MetricDef {
    name: &'static str,
    values: &'static [&'static str],
    not_defined: Option<&'static str>,
}

impl MetricDef {
    const fn base(name: &'static str, values: &'static [&'static str]) -> MetricDef {
        MetricDef { name, values, not_defined: None }
    }

    const fn optional(name: &'static str, not_defined: &'static str, values: &'static [&'static str]) -> MetricDef {
        MetricDef { name, values, not_defined: Some(not_defined) }
    }
}

/// A parsed CVSS vector.
///
/// Two vectors that say the same thing (metrics in another order, optional metrics spelt out as
/// "Not Defined") are equal and print the same [`Cvss::vector`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Cvss {
    version: Version,
    /// Per metric of `version.metrics()`, the index of its value; `None` when absent or Not Defined.
    values: Vec<Option<u8>>,
}

/// Parses a CVSS v2, v3.0, v3.1 or v4.0 vector string.
///
/// - v2: `AV:N/AC:L/Au:N/C:P/I:P/A:P`, also wrapped in parentheses as NVD used to print it, or
///   behind a `CVSS:2.0/` prefix; the temporal and environmental metrics may follow.
/// - v3: `CVSS:3.0/…` or `CVSS:3.1/…` with the eight base metrics and any temporal and
///   environmental ones, in any order (the specification only recommends one).
/// - v4: `CVSS:4.0/…` with the eleven base metrics and any threat, environmental and
///   supplemental ones, in the specification's order, which v4.0 requires.
///
/// Surrounding whitespace is ignored; everything else is strict: metric names and values are
/// case-sensitive, each metric appears at most once, and every base metric must be there.
pub fn parse(vector: &str) -> Result<Cvss, CvssError> {
    let text = vector.trim();
    if text.is_empty() {
        return Err(CvssError::Empty);
    }
    let (version, body) = if let Some(inner) = text.strip_prefix('(') {
        let inner = inner.strip_suffix(')').ok_or_else(|| CvssError::BadPrefix(clip(text)))?;
        match split_prefix(inner)? {
            (Version::V2, body) => (Version::V2, body),
            _ => return Err(CvssError::BadPrefix(clip(text))),
        }
    } else {
        split_prefix(text)?
    };
    let values = parse_metrics(version, body)?;
    Ok(Cvss { version, values })
}

/// Splits off a `CVSS:x.y/` prefix; without one, a vector is v2.
fn split_prefix(text: &str) -> Result<(Version, &str), CvssError> {
    let Some(head) = text.get(..5).filter(|head| head.eq_ignore_ascii_case("CVSS:")) else {
        return Ok((Version::V2, text));
    };
    if head != "CVSS:" {
        return Err(CvssError::BadPrefix(clip(head)));
    }
    let rest = &text[5..];
    let (number, body) = rest.split_once('/').unwrap_or((rest, ""));
    let version = match number {
        "2.0" => Version::V2,
        "3.0" => Version::V3_0,
        "3.1" => Version::V3_1,
        "4.0" => Version::V4_0,
        _ => return Err(CvssError::UnsupportedVersion(clip(number))),
    };
    Ok((version, body))
}

fn parse_metrics(version: Version, body: &str) -> Result<Vec<Option<u8>>, CvssError> {
    let defs = version.metrics();
    let mut values = vec![None; defs.len()];
    let mut seen = vec![false; defs.len()];
    let mut last = None;
    if !body.is_empty() {
        for component in body.split('/') {
            let (name, value) = component.split_once(':').ok_or_else(|| CvssError::Malformed(clip(component)))?;
            let index = defs
                .iter()
                .position(|def| def.name == name)
                .ok_or_else(|| CvssError::UnknownMetric { version, metric: clip(name) })?;
            let def = &defs[index];
            if seen[index] {
                return Err(CvssError::Duplicate(def.name));
            }
            if version == Version::V4_0 && last.is_some_and(|last| index < last) {
                return Err(CvssError::OutOfOrder(def.name));
            }
            seen[index] = true;
            last = Some(index);
            let position = def
                .values
                .iter()
                .position(|known| *known == value)
                .ok_or_else(|| CvssError::InvalidValue { version, metric: def.name, value: clip(value) })?;
            if def.not_defined != Some(value) {
                // Value lists are a handful long: the index always fits.
                values[index] = u8::try_from(position).ok();
            }
        }
    }
    if let Some(def) =
        defs.iter().zip(&seen).find_map(|(def, seen)| (def.not_defined.is_none() && !seen).then_some(def))
    {
        return Err(CvssError::Missing { version, metric: def.name });
    }
    Ok(values)
}

/// At most 40 characters of a bad input for an error message, so that a huge string does not
/// end up copied whole into it.
fn clip(text: &str) -> String {
    const MAX: usize = 40;
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

impl Cvss {
    /// The CVSS version the vector was written in.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The value of a metric (`"AV"` → `"N"`), or `None` when the vector leaves it out or says
    /// Not Defined. Names are as the version spells them (`Au` in v2, `MSI` in v4…).
    pub fn metric(&self, name: &str) -> Option<&'static str> {
        let defs = self.version.metrics();
        let index = defs.iter().position(|def| def.name == name)?;
        let value = self.values.get(index).copied().flatten()?;
        defs[index].values.get(usize::from(value)).copied()
    }

    /// A base metric's value; base metrics are always present once parsed.
    fn base(&self, name: &str) -> &'static str {
        self.metric(name).unwrap_or_default()
    }

    /// The normalised vector string: metrics in the specification's order, optional metrics
    /// that are Not Defined left out, and the prefix `CVSS:3.0/`, `CVSS:3.1/` or `CVSS:4.0/`.
    /// v2 vectors are printed bare (`AV:N/AC:L/Au:N/C:P/I:P/A:P`), as NVD and OSV print them.
    pub fn vector(&self) -> String {
        let mut out = match self.version {
            Version::V2 => String::new(),
            version => format!("CVSS:{version}"),
        };
        for (def, value) in self.version.metrics().iter().zip(&self.values) {
            if let Some(value) = value.and_then(|value| def.values.get(usize::from(value))) {
                if !out.is_empty() {
                    out.push('/');
                }
                out.push_str(def.name);
                out.push(':');
                out.push_str(value);
            }
        }
        out
    }

    /// The base score, 0.0 to 10.0 with one decimal, exactly as the version's specification
    /// computes it. Temporal, threat and environmental metrics do not count (see
    /// [`Cvss::bte_score`] for CVSS v4's score with them).
    pub fn base_score(&self) -> f64 {
        match self.version {
            Version::V2 => v2::base_score(self),
            Version::V3_0 => v3::base_score(self, false),
            Version::V3_1 => v3::base_score(self, true),
            Version::V4_0 => v4::score(self, false),
        }
    }

    /// CVSS v4.0 only: the score with the vector's threat and environmental metrics applied
    /// (CVSS-BT, -BE or -BTE in v4's nomenclature; equal to the base score when there are none),
    /// as the FIRST calculator shows it. `None` for v2 and v3, whose temporal and environmental
    /// equations this module does not compute.
    pub fn bte_score(&self) -> Option<f64> {
        (self.version == Version::V4_0).then(|| v4::score(self, true))
    }

    /// The qualitative rating of the base score, on the version's scale: v2 knows only Low,
    /// Medium and High; v3 and v4 add None (0.0) and Critical.
    pub fn rating(&self) -> Rating {
        let score = self.base_score();
        match self.version {
            Version::V2 => Rating::from_v2_score(score),
            _ => Rating::from_score(score),
        }
    }
}

impl fmt::Display for Cvss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.vector())
    }
}

impl FromStr for Cvss {
    type Err = CvssError;

    fn from_str(s: &str) -> Result<Cvss, CvssError> {
        parse(s)
    }
}

/// A qualitative severity rating, ordered from `None` to `Critical`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rating {
    /// CVSS "None": a score of 0.0.
    None,
    /// CVSS "Low": 0.1 to 3.9.
    Low,
    /// CVSS "Medium": 4.0 to 6.9.
    Medium,
    /// CVSS "High": 7.0 to 8.9.
    High,
    /// CVSS "Critical": 9.0 to 10.0.
    Critical,
}

impl Rating {
    /// The CVSS v3/v4 qualitative scale: 0.0 None, 0.1–3.9 Low, 4.0–6.9 Medium, 7.0–8.9 High,
    /// 9.0–10.0 Critical. Scores between the steps (which a CVSS score never is) go to the
    /// lower rating, and anything not above 0 (or NaN) is None.
    pub fn from_score(score: f64) -> Rating {
        if score >= 9.0 {
            Rating::Critical
        } else if score >= 7.0 {
            Rating::High
        } else if score >= 4.0 {
            Rating::Medium
        } else if score > 0.0 {
            Rating::Low
        } else {
            Rating::None
        }
    }

    /// The CVSS v2 scale (NVD's): 0.0–3.9 Low, 4.0–6.9 Medium, 7.0–10.0 High.
    pub fn from_v2_score(score: f64) -> Rating {
        if score >= 7.0 {
            Rating::High
        } else if score >= 4.0 {
            Rating::Medium
        } else {
            Rating::Low
        }
    }

    /// The lowercase name: `none`, `low`, `medium`, `high` or `critical`.
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::None => "none",
            Rating::Low => "low",
            Rating::Medium => "medium",
            Rating::High => "high",
            Rating::Critical => "critical",
        }
    }
}

impl fmt::Display for Rating {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A severity word no scale here knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity rating {0:?}")]
pub struct UnknownRating(pub String);

impl FromStr for Rating {
    type Err = UnknownRating;

    /// Case-insensitive, surrounding whitespace ignored. Besides the five CVSS names it takes
    /// the words vendors rate with: `moderate` (GitHub, Red Hat) is Medium, `important` (Red
    /// Hat, Microsoft) is High, `negligible` (Ubuntu) and `unimportant` (Debian) are Low.
    fn from_str(s: &str) -> Result<Rating, UnknownRating> {
        let word = s.trim().to_ascii_lowercase();
        Ok(match word.as_str() {
            "none" => Rating::None,
            "low" | "negligible" | "unimportant" => Rating::Low,
            "medium" | "moderate" => Rating::Medium,
            "high" | "important" => Rating::High,
            "critical" => Rating::Critical,
            _ => return Err(UnknownRating(clip(s))),
        })
    }
}

impl Serialize for Rating {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Rating {
    /// Any word [`Rating::from_str`] takes, so `"MODERATE"` reads as Medium.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Rating, D::Error> {
        let word = String::deserialize(deserializer)?;
        word.parse().map_err(serde::de::Error::custom)
    }
}
