//! CVSS v3.0 and v3.1 (<https://www.first.org/cvss/v3.1/specification-document>): the metrics and
//! the base equations, which the two versions share but for `Roundup`.

use super::{Cvss, MetricDef};

/// Base, temporal and environmental metrics, in the specification's order.
pub(super) const METRICS: &[MetricDef] = &[
    MetricDef::base("AV", &["N", "A", "L", "P"]),
    MetricDef::base("AC", &["L", "H"]),
    MetricDef::base("PR", &["N", "L", "H"]),
    MetricDef::base("UI", &["N", "R"]),
    MetricDef::base("S", &["U", "C"]),
    MetricDef::base("C", &["H", "L", "N"]),
    MetricDef::base("I", &["H", "L", "N"]),
    MetricDef::base("A", &["H", "L", "N"]),
    MetricDef::optional("E", "X", &["X", "H", "F", "P", "U"]),
    MetricDef::optional("RL", "X", &["X", "U", "W", "T", "O"]),
    MetricDef::optional("RC", "X", &["X", "C", "R", "U"]),
    MetricDef::optional("CR", "X", &["X", "H", "M", "L"]),
    MetricDef::optional("IR", "X", &["X", "H", "M", "L"]),
    MetricDef::optional("AR", "X", &["X", "H", "M", "L"]),
    MetricDef::optional("MAV", "X", &["X", "N", "A", "L", "P"]),
    MetricDef::optional("MAC", "X", &["X", "L", "H"]),
    MetricDef::optional("MPR", "X", &["X", "N", "L", "H"]),
    MetricDef::optional("MUI", "X", &["X", "N", "R"]),
    MetricDef::optional("MS", "X", &["X", "U", "C"]),
    MetricDef::optional("MC", "X", &["X", "H", "L", "N"]),
    MetricDef::optional("MI", "X", &["X", "H", "L", "N"]),
    MetricDef::optional("MA", "X", &["X", "H", "L", "N"]),
];

/// ```text
/// ISS = 1 − [(1 − C) × (1 − I) × (1 − A)]
/// Impact = 6.42 × ISS                                      (scope unchanged)
///        = 7.52 × (ISS − 0.029) − 3.25 × (ISS − 0.02)^15    (scope changed)
/// Exploitability = 8.22 × AV × AC × PR × UI
/// Base = 0 if Impact ≤ 0, else
///        Roundup(min(Impact + Exploitability, 10))          (scope unchanged)
///        Roundup(min(1.08 × (Impact + Exploitability), 10)) (scope changed)
/// ```
///
/// The arithmetic is done in binary floating point in the order the specification (and its
/// reference calculators) write it, so that v3.0's `Roundup` errs exactly where theirs did.
pub(super) fn base_score(cvss: &Cvss, v3_1: bool) -> f64 {
    let changed = cvss.base("S") == "C";
    let attack_vector = match cvss.base("AV") {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        _ => 0.2,
    };
    let attack_complexity = match cvss.base("AC") {
        "L" => 0.77,
        _ => 0.44,
    };
    let privileges_required = match (cvss.base("PR"), changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        (_, false) => 0.27,
        (_, true) => 0.5,
    };
    let user_interaction = match cvss.base("UI") {
        "N" => 0.85,
        _ => 0.62,
    };
    let impact_of = |metric| -> f64 {
        match cvss.base(metric) {
            "H" => 0.56,
            "L" => 0.22,
            _ => 0.0,
        }
    };
    let iss = 1.0 - ((1.0 - impact_of("C")) * (1.0 - impact_of("I")) * (1.0 - impact_of("A")));
    let impact = if changed { 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powf(15.0) } else { 6.42 * iss };
    let exploitability = 8.22 * attack_vector * attack_complexity * privileges_required * user_interaction;
    if impact <= 0.0 {
        return 0.0;
    }
    let score =
        if changed { (1.08 * (impact + exploitability)).min(10.0) } else { (impact + exploitability).min(10.0) };
    if v3_1 {
        roundup_3_1(score)
    } else {
        roundup_3_0(score)
    }
}

/// v3.0's `Roundup`: the smallest number with one decimal that is ≥ the input. Done in binary
/// floating point, a sum that should be exactly 4.0 but came out 4.000000000000001 goes to 4.1:
/// that is what v3.0 scores were, and what v3.1 fixed.
pub(super) fn roundup_3_0(input: f64) -> f64 {
    (input * 10.0).ceil() / 10.0
}

/// v3.1's `Roundup` (specification, Appendix A): works on the input rounded to five decimals,
/// as an integer, so floating-point noise below that cannot push a score up a tenth.
pub(super) fn roundup_3_1(input: f64) -> f64 {
    // Scores are at most 10 (and never negative): the integer is at most 1,000,000.
    let int_input = (input * 100_000.0).round() as i64;
    if int_input % 10_000 == 0 {
        int_input as f64 / 100_000.0
    } else {
        ((int_input / 10_000) as f64 + 1.0) / 10.0
    }
}
