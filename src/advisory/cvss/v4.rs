//! CVSS v4.0 (<https://www.first.org/cvss/v4-0/specification-document>): the metrics and the
//! scoring algorithm of the specification as the FIRST calculator implements it.
//!
//! v4.0 has no equation. Its metrics are sorted into six equivalence classes (EQ1–EQ6), each with
//! two or three levels, 0 the most severe; the six levels make the vector's MacroVector, and
//! experts ranked every MacroVector, giving the score of its most severe vectors ([`SCORES`]). A
//! vector that is not one of those highest ones gets that score lowered: for each EQ, the
//! vector's severity distance from the highest vectors, as a share of the class's depth, times
//! the score drop to the next lower MacroVector in that EQ; the mean of those drops is taken off.

use super::{Cvss, MetricDef};

/// Base, threat, environmental and supplemental metrics, in the order the specification requires.
pub(super) const METRICS: &[MetricDef] = &[
    MetricDef::base("AV", &["N", "A", "L", "P"]),
    MetricDef::base("AC", &["L", "H"]),
    MetricDef::base("AT", &["N", "P"]),
    MetricDef::base("PR", &["N", "L", "H"]),
    MetricDef::base("UI", &["N", "P", "A"]),
    MetricDef::base("VC", &["H", "L", "N"]),
    MetricDef::base("VI", &["H", "L", "N"]),
    MetricDef::base("VA", &["H", "L", "N"]),
    MetricDef::base("SC", &["H", "L", "N"]),
    MetricDef::base("SI", &["H", "L", "N"]),
    MetricDef::base("SA", &["H", "L", "N"]),
    MetricDef::optional("E", "X", &["X", "A", "P", "U"]),
    MetricDef::optional("CR", "X", &["X", "H", "M", "L"]),
    MetricDef::optional("IR", "X", &["X", "H", "M", "L"]),
    MetricDef::optional("AR", "X", &["X", "H", "M", "L"]),
    MetricDef::optional("MAV", "X", &["X", "N", "A", "L", "P"]),
    MetricDef::optional("MAC", "X", &["X", "L", "H"]),
    MetricDef::optional("MAT", "X", &["X", "N", "P"]),
    MetricDef::optional("MPR", "X", &["X", "N", "L", "H"]),
    MetricDef::optional("MUI", "X", &["X", "N", "P", "A"]),
    MetricDef::optional("MVC", "X", &["X", "H", "L", "N"]),
    MetricDef::optional("MVI", "X", &["X", "H", "L", "N"]),
    MetricDef::optional("MVA", "X", &["X", "H", "L", "N"]),
    MetricDef::optional("MSC", "X", &["X", "H", "L", "N"]),
    MetricDef::optional("MSI", "X", &["X", "S", "H", "L", "N"]),
    MetricDef::optional("MSA", "X", &["X", "S", "H", "L", "N"]),
    MetricDef::optional("S", "X", &["X", "N", "P"]),
    MetricDef::optional("AU", "X", &["X", "N", "Y"]),
    MetricDef::optional("R", "X", &["X", "A", "U", "I"]),
    MetricDef::optional("V", "X", &["X", "D", "C"]),
    MetricDef::optional("RE", "X", &["X", "L", "M", "H"]),
    MetricDef::optional("U", "X", &["X", "Clear", "Green", "Amber", "Red"]),
];

/// The score of each MacroVector, in tenths. A row per EQ1–EQ4 level (as commented); its six
/// columns are EQ5/EQ6 = 0/0, 0/1, 1/0, 1/1, 2/0, 2/1. 0 marks the MacroVectors that cannot
/// occur: EQ3 level 2 (no high impact on the vulnerable system) always has EQ6 level 1.
#[rustfmt::skip]
const SCORES: [[u8; 6]; 54] = [
    [100,  99,  98,  95,  95,  92], // 0 0 0 0
    [100,  96,  93,  87,  91,  81], // 0 0 0 1
    [ 93,  90,  89,  80,  81,  68], // 0 0 0 2
    [ 98,  95,  95,  92,  90,  84], // 0 0 1 0
    [ 93,  92,  89,  81,  81,  65], // 0 0 1 1
    [ 88,  80,  78,  70,  69,  48], // 0 0 1 2
    [  0,  92,   0,  82,   0,  72], // 0 0 2 0
    [  0,  79,   0,  69,   0,  50], // 0 0 2 1
    [  0,  69,   0,  55,   0,  27], // 0 0 2 2
    [ 99,  97,  95,  92,  92,  85], // 0 1 0 0
    [ 95,  91,  90,  83,  84,  71], // 0 1 0 1
    [ 92,  81,  82,  71,  72,  53], // 0 1 0 2
    [ 95,  93,  92,  85,  85,  73], // 0 1 1 0
    [ 92,  82,  80,  72,  70,  59], // 0 1 1 1
    [ 84,  70,  71,  52,  50,  30], // 0 1 1 2
    [  0,  86,   0,  75,   0,  52], // 0 1 2 0
    [  0,  71,   0,  52,   0,  29], // 0 1 2 1
    [  0,  63,   0,  29,   0,  17], // 0 1 2 2
    [ 98,  95,  94,  87,  91,  81], // 1 0 0 0
    [ 94,  89,  86,  74,  77,  64], // 1 0 0 1
    [ 87,  75,  74,  63,  63,  49], // 1 0 0 2
    [ 94,  89,  88,  77,  76,  67], // 1 0 1 0
    [ 86,  76,  74,  58,  59,  50], // 1 0 1 1
    [ 72,  57,  57,  52,  52,  25], // 1 0 1 2
    [  0,  83,   0,  70,   0,  54], // 1 0 2 0
    [  0,  65,   0,  58,   0,  26], // 1 0 2 1
    [  0,  53,   0,  21,   0,  13], // 1 0 2 2
    [ 95,  90,  88,  76,  76,  70], // 1 1 0 0
    [ 90,  77,  75,  62,  61,  53], // 1 1 0 1
    [ 77,  66,  68,  59,  52,  30], // 1 1 0 2
    [ 89,  78,  76,  67,  62,  58], // 1 1 1 0
    [ 74,  59,  57,  57,  47,  23], // 1 1 1 1
    [ 61,  52,  57,  29,  24,  16], // 1 1 1 2
    [  0,  71,   0,  59,   0,  30], // 1 1 2 0
    [  0,  58,   0,  26,   0,  15], // 1 1 2 1
    [  0,  23,   0,  13,   0,   6], // 1 1 2 2
    [ 93,  87,  86,  72,  75,  58], // 2 0 0 0
    [ 86,  74,  74,  61,  56,  34], // 2 0 0 1
    [ 70,  54,  52,  40,  40,  22], // 2 0 0 2
    [ 85,  75,  74,  55,  62,  51], // 2 0 1 0
    [ 72,  57,  55,  41,  46,  19], // 2 0 1 1
    [ 53,  36,  34,  19,  19,   8], // 2 0 1 2
    [  0,  64,   0,  51,   0,  20], // 2 0 2 0
    [  0,  47,   0,  21,   0,  11], // 2 0 2 1
    [  0,  24,   0,   9,   0,   4], // 2 0 2 2
    [ 88,  75,  73,  53,  60,  50], // 2 1 0 0
    [ 73,  55,  59,  40,  41,  20], // 2 1 0 1
    [ 54,  43,  45,  22,  20,  11], // 2 1 0 2
    [ 75,  55,  58,  45,  40,  21], // 2 1 1 0
    [ 61,  51,  48,  18,  20,   9], // 2 1 1 1
    [ 46,  18,  17,   7,   8,   2], // 2 1 1 2
    [  0,  53,   0,  24,   0,  14], // 2 1 2 0
    [  0,  24,   0,  12,   0,   5], // 2 1 2 1
    [  0,  10,   0,   3,   0,   1], // 2 1 2 2
];

/// The MacroVector score, `None` for one that does not exist (a level past the last one).
pub(super) fn lookup(mv: [usize; 6]) -> Option<f64> {
    let [eq1, eq2, eq3, eq4, eq5, eq6] = mv;
    if eq1 > 2 || eq2 > 1 || eq3 > 2 || eq4 > 2 || eq5 > 2 || eq6 > 1 {
        return None;
    }
    let tenths = SCORES[((eq1 * 2 + eq2) * 3 + eq3) * 3 + eq4][eq5 * 2 + eq6];
    (tenths != 0).then(|| f64::from(tenths) / 10.0)
}

/// The metric values that score: the base metrics, or with `with_threat_env` the modified ones
/// where defined, and the threat metric and security requirements, whose Not Defined counts
/// as their most severe value (E:A, CR/IR/AR:H).
pub(super) struct Scored {
    av: &'static str,
    ac: &'static str,
    at: &'static str,
    pr: &'static str,
    ui: &'static str,
    vc: &'static str,
    vi: &'static str,
    va: &'static str,
    sc: &'static str,
    si: &'static str,
    sa: &'static str,
    e: &'static str,
    cr: &'static str,
    ir: &'static str,
    ar: &'static str,
}

impl Scored {
    pub(super) fn new(cvss: &Cvss, with_threat_env: bool) -> Scored {
        let pick = |base: &str, modified: &str| {
            let modified = if with_threat_env { cvss.metric(modified) } else { None };
            modified.unwrap_or_else(|| cvss.base(base))
        };
        let optional = |metric: &str, default: &'static str| {
            let value = if with_threat_env { cvss.metric(metric) } else { None };
            value.unwrap_or(default)
        };
        Scored {
            av: pick("AV", "MAV"),
            ac: pick("AC", "MAC"),
            at: pick("AT", "MAT"),
            pr: pick("PR", "MPR"),
            ui: pick("UI", "MUI"),
            vc: pick("VC", "MVC"),
            vi: pick("VI", "MVI"),
            va: pick("VA", "MVA"),
            sc: pick("SC", "MSC"),
            si: pick("SI", "MSI"),
            sa: pick("SA", "MSA"),
            e: optional("E", "A"),
            cr: optional("CR", "H"),
            ir: optional("IR", "H"),
            ar: optional("AR", "H"),
        }
    }

    /// The levels of EQ1 to EQ6.
    pub(super) fn macro_vector(&self) -> [usize; 6] {
        // EQ1: 0 AV:N and PR:N and UI:N; 1 one of them (but not AV:P); 2 the rest.
        let eq1 = if self.av == "N" && self.pr == "N" && self.ui == "N" {
            0
        } else if (self.av == "N" || self.pr == "N" || self.ui == "N") && self.av != "P" {
            1
        } else {
            2
        };
        // EQ2: 0 AC:L and AT:N; 1 otherwise.
        let eq2 = if self.ac == "L" && self.at == "N" { 0 } else { 1 };
        // EQ3: 0 VC:H and VI:H; 1 one of VC, VI, VA high; 2 none.
        let eq3 = if self.vc == "H" && self.vi == "H" {
            0
        } else if self.vc == "H" || self.vi == "H" || self.va == "H" {
            1
        } else {
            2
        };
        // EQ4: 0 MSI:S or MSA:S; 1 one of SC, SI, SA high; 2 none.
        let eq4 = if self.si == "S" || self.sa == "S" {
            0
        } else if self.sc == "H" || self.si == "H" || self.sa == "H" {
            1
        } else {
            2
        };
        // EQ5: exploit maturity A, P, U.
        let eq5 = match self.e {
            "A" => 0,
            "P" => 1,
            _ => 2,
        };
        // EQ6: 0 a high impact where its requirement is high; 1 otherwise.
        let eq6 = if (self.cr == "H" && self.vc == "H")
            || (self.ir == "H" && self.vi == "H")
            || (self.ar == "H" && self.va == "H")
        {
            0
        } else {
            1
        };
        [eq1, eq2, eq3, eq4, eq5, eq6]
    }
}

// Severity levels of each value within its metric, in steps of 0.1 from the most severe, as the
// calculator counts severity distances. SC starts at 0.1: only SI and SA have the S level.

fn av_level(value: &str) -> f64 {
    match value {
        "N" => 0.0,
        "A" => 0.1,
        "L" => 0.2,
        _ => 0.3,
    }
}

fn pr_level(value: &str) -> f64 {
    match value {
        "N" => 0.0,
        "L" => 0.1,
        _ => 0.2,
    }
}

fn ui_level(value: &str) -> f64 {
    match value {
        "N" => 0.0,
        "P" => 0.1,
        _ => 0.2,
    }
}

fn ac_level(value: &str) -> f64 {
    if value == "L" {
        0.0
    } else {
        0.1
    }
}

fn at_level(value: &str) -> f64 {
    if value == "N" {
        0.0
    } else {
        0.1
    }
}

/// VC, VI, VA.
fn vuln_level(value: &str) -> f64 {
    match value {
        "H" => 0.0,
        "L" => 0.1,
        _ => 0.2,
    }
}

/// SC, SI, SA (S only for SI and SA, through MSI and MSA).
fn sub_level(value: &str) -> f64 {
    match value {
        "S" => 0.0,
        "H" => 0.1,
        "L" => 0.2,
        _ => 0.3,
    }
}

/// CR, IR, AR.
fn requirement_level(value: &str) -> f64 {
    match value {
        "H" => 0.0,
        "M" => 0.1,
        _ => 0.2,
    }
}

/// The highest severity vectors of each EQ level: the values (of AV, PR, UI) for EQ1.
const EQ1_MAX: [&[[&str; 3]]; 3] =
    [&[["N", "N", "N"]], &[["A", "N", "N"], ["N", "L", "N"], ["N", "N", "P"]], &[["P", "N", "N"], ["A", "L", "P"]]];

/// AC, AT for EQ2.
const EQ2_MAX: [&[[&str; 2]]; 2] = [&[["L", "N"]], &[["H", "N"], ["L", "P"]]];

/// VC, VI, VA, CR, IR, AR for the joint EQ3 and EQ6 levels (EQ3 2 with EQ6 0 does not occur).
const EQ3_EQ6_MAX: [[&[[&str; 6]]; 2]; 3] = [
    [&[["H", "H", "H", "H", "H", "H"]], &[["H", "H", "L", "M", "M", "H"], ["H", "H", "H", "M", "M", "M"]]],
    [
        &[["L", "H", "H", "H", "H", "H"], ["H", "L", "H", "H", "H", "H"]],
        &[
            ["L", "H", "L", "H", "M", "H"],
            ["L", "H", "H", "H", "M", "M"],
            ["H", "L", "H", "M", "H", "M"],
            ["H", "L", "L", "M", "H", "H"],
            ["L", "L", "H", "H", "H", "M"],
        ],
    ],
    [&[], &[["L", "L", "L", "H", "H", "H"]]],
];

/// SC, SI, SA for EQ4 (EQ5's single highest vector is its own E value, whose distance is 0).
const EQ4_MAX: [[&str; 3]; 3] = [["H", "S", "S"], ["H", "H", "H"], ["L", "L", "L"]];

/// How many severity steps deep each EQ level is (plus one): EQ1, EQ2, EQ3 × EQ6, EQ4.
const EQ1_DEPTH: [u8; 3] = [1, 4, 5];
const EQ2_DEPTH: [u8; 2] = [1, 2];
const EQ3_EQ6_DEPTH: [[u8; 2]; 3] = [[7, 6], [8, 8], [0, 10]];
const EQ4_DEPTH: [u8; 3] = [6, 5, 4];

/// Severity distances of the scored vector from one highest vector, per metric.
#[derive(Clone, Copy, Default)]
struct Distances {
    av: f64,
    pr: f64,
    ui: f64,
    ac: f64,
    at: f64,
    vc: f64,
    vi: f64,
    va: f64,
    sc: f64,
    si: f64,
    sa: f64,
    cr: f64,
    ir: f64,
    ar: f64,
}

impl Distances {
    fn all_non_negative(&self) -> bool {
        [
            self.av, self.pr, self.ui, self.ac, self.at, self.vc, self.vi, self.va, self.sc, self.si, self.sa, self.cr,
            self.ir, self.ar,
        ]
        .iter()
        .all(|distance| *distance >= 0.0)
    }
}

/// The score: of the base metrics alone, or with the threat and environmental ones.
pub(super) fn score(cvss: &Cvss, with_threat_env: bool) -> f64 {
    let m = Scored::new(cvss, with_threat_env);
    if [m.vc, m.vi, m.va, m.sc, m.si, m.sa].iter().all(|value| *value == "N") {
        return 0.0;
    }
    let mv = m.macro_vector();
    let [eq1, eq2, eq3, eq4, eq5, eq6] = mv;
    let Some(value) = lookup(mv) else {
        // Every reachable MacroVector is in the table; this is only a guard.
        return 0.0;
    };

    // The next lower MacroVector in each EQ. EQ3 and EQ6 move together: from 0/0 either may
    // step down, and the higher scoring of the two counts.
    let lower =
        |[d1, d2, d3, d4, d5, d6]: [usize; 6]| lookup([eq1 + d1, eq2 + d2, eq3 + d3, eq4 + d4, eq5 + d5, eq6 + d6]);
    let lower_eq1 = lower([1, 0, 0, 0, 0, 0]);
    let lower_eq2 = lower([0, 1, 0, 0, 0, 0]);
    let lower_eq3_eq6 = match (eq3, eq6) {
        (0, 0) => {
            let left = lower([0, 0, 0, 0, 0, 1]);
            let right = lower([0, 0, 1, 0, 0, 0]);
            match (left, right) {
                (Some(left), Some(right)) if left > right => Some(left),
                _ => right,
            }
        }
        (1, 0) => lower([0, 0, 0, 0, 0, 1]),
        (0, 1) | (1, 1) => lower([0, 0, 1, 0, 0, 0]),
        _ => lower([0, 0, 1, 0, 0, 1]),
    };
    let lower_eq4 = lower([0, 0, 0, 1, 0, 0]);
    let lower_eq5 = lower([0, 0, 0, 0, 1, 0]);

    // The severity distance from the first highest vector of the MacroVector that the scored
    // vector is not more severe than in any metric (the calculator falls back to the last one
    // should none qualify). EQ5 has one E value per level, so E's distance is always 0.
    let mut distances = Distances::default();
    'search: for eq1_max in EQ1_MAX[eq1] {
        for eq2_max in EQ2_MAX[eq2] {
            for eq3_eq6_max in EQ3_EQ6_MAX[eq3][eq6] {
                let eq4_max = &EQ4_MAX[eq4];
                distances = Distances {
                    av: av_level(m.av) - av_level(eq1_max[0]),
                    pr: pr_level(m.pr) - pr_level(eq1_max[1]),
                    ui: ui_level(m.ui) - ui_level(eq1_max[2]),
                    ac: ac_level(m.ac) - ac_level(eq2_max[0]),
                    at: at_level(m.at) - at_level(eq2_max[1]),
                    vc: vuln_level(m.vc) - vuln_level(eq3_eq6_max[0]),
                    vi: vuln_level(m.vi) - vuln_level(eq3_eq6_max[1]),
                    va: vuln_level(m.va) - vuln_level(eq3_eq6_max[2]),
                    sc: sub_level(m.sc) - sub_level(eq4_max[0]),
                    si: sub_level(m.si) - sub_level(eq4_max[1]),
                    sa: sub_level(m.sa) - sub_level(eq4_max[2]),
                    cr: requirement_level(m.cr) - requirement_level(eq3_eq6_max[3]),
                    ir: requirement_level(m.ir) - requirement_level(eq3_eq6_max[4]),
                    ar: requirement_level(m.ar) - requirement_level(eq3_eq6_max[5]),
                };
                if distances.all_non_negative() {
                    break 'search;
                }
            }
        }
    }
    let d = distances;
    let distance_eq1 = d.av + d.pr + d.ui;
    let distance_eq2 = d.ac + d.at;
    let distance_eq3_eq6 = d.vc + d.vi + d.va + d.cr + d.ir + d.ar;
    let distance_eq4 = d.sc + d.si + d.sa;

    // Each EQ with a lower MacroVector lowers the score by its share; EQ5 counts with 0.
    const STEP: f64 = 0.1;
    let mut lowered = 0;
    let mut total = 0.0;
    let mut proportional = |lower: Option<f64>, distance: f64, depth: u8| {
        if let Some(lower) = lower {
            lowered += 1;
            let available = value - lower;
            total += available * (distance / (f64::from(depth) * STEP));
        }
    };
    proportional(lower_eq1, distance_eq1, EQ1_DEPTH[eq1]);
    proportional(lower_eq2, distance_eq2, EQ2_DEPTH[eq2]);
    proportional(lower_eq3_eq6, distance_eq3_eq6, EQ3_EQ6_DEPTH[eq3][eq6]);
    proportional(lower_eq4, distance_eq4, EQ4_DEPTH[eq4]);
    if lower_eq5.is_some() {
        lowered += 1;
    }
    let mean = if lowered == 0 { 0.0 } else { total / f64::from(lowered) };
    round_to_1_decimal((value - mean).clamp(0.0, 10.0))
}

/// Half up to one decimal, after lifting the value by 10⁻⁶: the interpolation can land a unit
/// in the last place below an `x.x5` tie (5.6499999999999995 for 5.65), which the calculator
/// rounds as the tie it stands for.
fn round_to_1_decimal(value: f64) -> f64 {
    ((value + 1e-6) * 10.0).round() / 10.0
}
