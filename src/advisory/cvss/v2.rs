//! CVSS v2 (<https://www.first.org/cvss/v2/guide>): the metrics and the base equation.

use super::{Cvss, MetricDef};

/// Base metrics, then temporal, then environmental, in the guide's order.
pub(super) const METRICS: &[MetricDef] = &[
    MetricDef::base("AV", &["L", "A", "N"]),
    MetricDef::base("AC", &["H", "M", "L"]),
    MetricDef::base("Au", &["M", "S", "N"]),
    MetricDef::base("C", &["N", "P", "C"]),
    MetricDef::base("I", &["N", "P", "C"]),
    MetricDef::base("A", &["N", "P", "C"]),
    MetricDef::optional("E", "ND", &["U", "POC", "F", "H", "ND"]),
    MetricDef::optional("RL", "ND", &["OF", "TF", "W", "U", "ND"]),
    MetricDef::optional("RC", "ND", &["UC", "UR", "C", "ND"]),
    MetricDef::optional("CDP", "ND", &["N", "L", "LM", "MH", "H", "ND"]),
    MetricDef::optional("TD", "ND", &["N", "L", "M", "H", "ND"]),
    MetricDef::optional("CR", "ND", &["L", "M", "H", "ND"]),
    MetricDef::optional("IR", "ND", &["L", "M", "H", "ND"]),
    MetricDef::optional("AR", "ND", &["L", "M", "H", "ND"]),
];

/// ```text
/// BaseScore = round_to_1_decimal(((0.6 × Impact) + (0.4 × Exploitability) − 1.5) × f(Impact))
/// Impact = 10.41 × (1 − (1 − ConfImpact) × (1 − IntegImpact) × (1 − AvailImpact))
/// Exploitability = 20 × AccessVector × AccessComplexity × Authentication
/// f(Impact) = 0 if Impact = 0, 1.176 otherwise
/// ```
pub(super) fn base_score(cvss: &Cvss) -> f64 {
    let access_vector = match cvss.base("AV") {
        "N" => 1.0,
        "A" => 0.646,
        _ => 0.395,
    };
    let access_complexity = match cvss.base("AC") {
        "L" => 0.71,
        "M" => 0.61,
        _ => 0.35,
    };
    let authentication = match cvss.base("Au") {
        "N" => 0.704,
        "S" => 0.56,
        _ => 0.45,
    };
    let impact_of = |metric| -> f64 {
        match cvss.base(metric) {
            "C" => 0.660,
            "P" => 0.275,
            _ => 0.0,
        }
    };
    let impact = 10.41 * (1.0 - (1.0 - impact_of("C")) * (1.0 - impact_of("I")) * (1.0 - impact_of("A")));
    let exploitability = 20.0 * access_vector * access_complexity * authentication;
    let f_impact = if impact == 0.0 { 0.0 } else { 1.176 };
    let score = ((0.6 * impact) + (0.4 * exploitability) - 1.5) * f_impact;
    round_to_1_decimal(score.clamp(0.0, 10.0))
}

/// Rounds half up to one decimal. (No base score lands within floating-point noise of a tie:
/// the nearest, `AV:L/AC:L/Au:N/C:C/I:C/A:C`, is 7.15008…, so plain rounding is exact.)
fn round_to_1_decimal(score: f64) -> f64 {
    (score * 10.0).round() / 10.0
}
