//! Scores of known vectors, parsing rules, ratings, and inputs that must fail without panicking.
//!
//! Expected scores: NVD's published base scores and the examples of the CVSS v2 guide for v2
//! and v3.1; for v3.0 the FIRST v3.0 calculator's floating-point equation; for v4.0 the FIRST
//! calculator's algorithm (its reference implementation agrees with this module on all 104,976
//! base vectors and on a sample of vectors with threat and environmental metrics).

use proptest::prelude::*;

use super::*;

fn score(vector: &str) -> f64 {
    match parse(vector) {
        Ok(cvss) => cvss.base_score(),
        Err(err) => panic!("{vector}: {err}"),
    }
}

fn check(cases: &[(&str, f64)]) {
    let wrong: Vec<String> = cases
        .iter()
        .filter(|(vector, expected)| score(vector) != *expected)
        .map(|(vector, expected)| format!("{vector}: expected {expected}, got {}", score(vector)))
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn v3_1_known_scores() {
    check(&[
        // CVE-2021-44228 (Log4Shell).
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
        ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9),
        ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 8.8),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 8.8),
        ("CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.8),
        ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.1),
        ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8),
        ("CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 7.8),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5),
        ("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:H", 7.5),
        ("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", 7.2),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H", 6.5),
        // Reflected XSS, the scope-changed classic (CVE-2013-1937 in FIRST's examples).
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
        ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9),
        ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H", 5.5),
        ("CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N", 5.4),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", 5.3),
        ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N", 4.3),
        ("CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.8),
        ("CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
        // Temporal and environmental metrics do not change the base score.
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:U/CR:L/MAV:P/MC:N", 9.8),
    ]);
}

/// No base vector of v3 scores differently under v3.0's and v3.1's `Roundup` (checked below
/// over all of them): the equation never lands within floating-point noise of a tenth. These
/// are the tightest cases, where `ceil` has to go exactly one way, and the cap at 10.
#[test]
fn v3_0_rounding() {
    check(&[
        // 5.29999597… (just below a tenth) → 5.3.
        ("CVSS:3.0/AV:P/AC:L/PR:N/UI:N/S:C/C:H/I:N/A:N", 5.3),
        // 5.50032… (just above) → 5.6.
        ("CVSS:3.0/AV:L/AC:L/PR:H/UI:N/S:U/C:H/I:L/A:L", 5.6),
        // 5.69971… → 5.7.
        ("CVSS:3.0/AV:P/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N", 5.7),
        // 6.00046… → 6.1.
        ("CVSS:3.0/AV:L/AC:H/PR:L/UI:R/S:C/C:H/I:L/A:N", 6.1),
        // 7.19975… → 7.2.
        ("CVSS:3.0/AV:A/AC:H/PR:H/UI:R/S:C/C:H/I:H/A:L", 7.2),
        // 8.19958… → 8.2.
        ("CVSS:3.0/AV:L/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:N", 8.2),
        // 1.08 × (Impact + Exploitability) is over 10: capped.
        ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:N", 10.0),
        ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
        ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
        ("CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
    ]);
}

/// Where the two `Roundup`s part: on floating-point noise just above a tenth.
#[test]
fn v3_roundup_functions() {
    // The v3.1 specification's own example: 4.000000000000001 is 4.0, not 4.1.
    assert_eq!(v3::roundup_3_0(4.000000000000001), 4.1);
    assert_eq!(v3::roundup_3_1(4.000000000000001), 4.0);
    assert_eq!(v3::roundup_3_0(0.1 + 0.2), 0.4);
    assert_eq!(v3::roundup_3_1(0.1 + 0.2), 0.3);
    // Genuinely above a tenth, both round up; on a tenth, both keep it.
    for (input, expected) in [(4.02, 4.1), (4.0, 4.0), (9.81, 9.9), (0.0, 0.0), (10.0, 10.0), (4.00001, 4.1)] {
        assert_eq!(v3::roundup_3_0(input), expected, "3.0 {input}");
        assert_eq!(v3::roundup_3_1(input), expected, "3.1 {input}");
    }
    // v3.1 only looks at five decimals: less than 0.000005 above a tenth is noise.
    assert_eq!(v3::roundup_3_1(4.000004), 4.0);
    assert_eq!(v3::roundup_3_0(4.000004), 4.1);
}

#[test]
fn v3_0_and_v3_1_agree_on_every_base_vector() {
    let mut count = 0;
    for av in ["N", "A", "L", "P"] {
        for ac in ["L", "H"] {
            for pr in ["N", "L", "H"] {
                for ui in ["N", "R"] {
                    for s in ["U", "C"] {
                        for c in ["H", "L", "N"] {
                            for i in ["H", "L", "N"] {
                                for a in ["H", "L", "N"] {
                                    let body = format!("AV:{av}/AC:{ac}/PR:{pr}/UI:{ui}/S:{s}/C:{c}/I:{i}/A:{a}");
                                    let v30 = score(&format!("CVSS:3.0/{body}"));
                                    let v31 = score(&format!("CVSS:3.1/{body}"));
                                    assert_eq!(v30, v31, "{body}");
                                    assert!((0.0..=10.0).contains(&v31), "{body}");
                                    assert_eq!(v31 == 0.0, c == "N" && i == "N" && a == "N", "{body}");
                                    count += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    assert_eq!(count, 2592);
}

#[test]
fn v2_known_scores() {
    check(&[
        // The CVSS v2 guide's worked examples (section 3.3).
        ("AV:N/AC:L/Au:N/C:N/I:N/A:C", 7.8),
        ("AV:N/AC:L/Au:N/C:C/I:C/A:C", 10.0),
        ("AV:L/AC:H/Au:N/C:C/I:C/A:C", 6.2),
        // NVD scores. CVE-2014-0160 (Heartbleed):
        ("AV:N/AC:L/Au:N/C:P/I:N/A:N", 5.0),
        ("AV:N/AC:L/Au:N/C:P/I:P/A:P", 7.5),
        ("AV:N/AC:M/Au:N/C:N/I:P/A:N", 4.3),
        ("AV:N/AC:M/Au:N/C:P/I:P/A:P", 6.8),
        ("AV:N/AC:M/Au:N/C:C/I:C/A:C", 9.3),
        ("AV:N/AC:L/Au:S/C:P/I:P/A:P", 6.5),
        ("AV:N/AC:L/Au:S/C:N/I:P/A:N", 4.0),
        ("AV:N/AC:M/Au:S/C:N/I:P/A:N", 3.5),
        ("AV:N/AC:H/Au:N/C:P/I:P/A:P", 5.1),
        ("AV:N/AC:L/Au:N/C:N/I:N/A:P", 5.0),
        ("AV:A/AC:L/Au:N/C:C/I:C/A:C", 8.3),
        // 7.15008…: the base equation's closest approach to a rounding tie.
        ("AV:L/AC:L/Au:N/C:C/I:C/A:C", 7.2),
        ("AV:L/AC:M/Au:N/C:C/I:C/A:C", 6.9),
        ("AV:L/AC:L/Au:N/C:P/I:N/A:N", 2.1),
        ("AV:N/AC:L/Au:N/C:N/I:N/A:N", 0.0),
        // NVD's old parenthesised form, the CVSS:2.0 prefix, and temporal/environmental metrics.
        ("(AV:N/AC:L/Au:N/C:P/I:P/A:P)", 7.5),
        ("CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P", 7.5),
        ("(CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P)", 7.5),
        ("AV:N/AC:L/Au:N/C:P/I:P/A:P/E:U/RL:OF/RC:C/CDP:H/TD:N/CR:L/IR:ND/AR:H", 7.5),
        // In any order.
        ("A:P/I:P/C:P/Au:N/AC:L/AV:N", 7.5),
    ]);
}

/// (vector, base score, score with threat and environmental metrics) and its MacroVector.
const V4_CASES: &[(&str, f64, f64, [usize; 6])] = &[
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3, 9.3, [0, 0, 0, 2, 0, 0]),
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", 10.0, 10.0, [0, 0, 0, 1, 0, 0]),
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N", 6.9, 6.9, [0, 0, 2, 2, 0, 1]),
    // EQ1 level 1, three ways (and the interpolation below the MacroVector's 8.7).
    ("CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 8.5, 8.5, [1, 0, 0, 2, 0, 0]),
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 8.7, 8.7, [1, 0, 0, 2, 0, 0]),
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 8.7, 8.7, [1, 0, 0, 2, 0, 0]),
    ("CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", 9.3, 9.3, [1, 0, 0, 1, 0, 0]),
    // EQ1 level 2: physical access, or nothing at its best.
    ("CVSS:4.0/AV:P/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 7.0, 7.0, [2, 0, 0, 2, 0, 0]),
    ("CVSS:4.0/AV:A/AC:L/AT:N/PR:H/UI:A/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 7.0, 7.0, [2, 0, 0, 2, 0, 0]),
    ("CVSS:4.0/AV:L/AC:H/AT:P/PR:H/UI:A/VC:L/VI:L/VA:L/SC:L/SI:L/SA:L", 1.0, 1.0, [2, 1, 2, 2, 0, 1]),
    // EQ2 level 1: AC:H or AT:P.
    ("CVSS:4.0/AV:N/AC:H/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.2, 9.2, [0, 1, 0, 2, 0, 0]),
    ("CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.2, 9.2, [0, 1, 0, 2, 0, 0]),
    ("CVSS:4.0/AV:N/AC:H/AT:N/PR:L/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N", 7.6, 7.6, [1, 1, 0, 2, 0, 0]),
    // EQ3 level 1 (one high impact, EQ6 0).
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:L/VA:N/SC:N/SI:N/SA:N", 8.8, 8.8, [0, 0, 1, 2, 0, 0]),
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N", 8.7, 8.7, [0, 0, 1, 2, 0, 0]),
    // EQ3 level 2, EQ4 level 1: only the subsequent system is hit hard.
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:H/SI:N/SA:N", 7.7, 7.7, [0, 0, 2, 1, 0, 1]),
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N", 6.9, 6.9, [0, 0, 2, 2, 0, 1]),
    ("CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N", 4.8, 4.8, [1, 0, 2, 2, 0, 1]),
    ("CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:N/VI:L/VA:N/SC:N/SI:N/SA:N", 5.3, 5.3, [1, 0, 2, 2, 0, 1]),
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N", 5.3, 5.3, [1, 0, 2, 2, 0, 1]),
    // No impact at all: 0 whatever else.
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", 0.0, 0.0, [0, 0, 2, 2, 0, 1]),
    // EQ5 (exploit maturity): E:P and E:U lower the threat score only; E:A is the default.
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:P", 9.3, 8.9, [0, 0, 0, 2, 1, 0]),
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U", 9.3, 8.1, [0, 0, 0, 2, 2, 0]),
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A", 9.3, 9.3, [0, 0, 0, 2, 0, 0]),
    ("CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N/E:U", 1.0, 0.1, [2, 1, 2, 2, 2, 1]),
    // EQ4 level 0: safety impact on the subsequent system (MSI:S / MSA:S).
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/MSI:S", 9.3, 10.0, [0, 0, 0, 0, 0, 0]),
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:P/CR:H/MSA:S", 10.0, 9.8, [0, 0, 0, 0, 1, 0]),
    // EQ6 level 1 with EQ3 level 0 and 1: requirements below High where the impact is high.
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/CR:L/IR:L/AR:L", 9.3, 8.9, [0, 0, 0, 2, 0, 1]),
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/CR:M/IR:M/AR:M", 9.3, 9.0, [0, 0, 0, 2, 0, 1]),
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:H/VA:L/SC:N/SI:N/SA:N/CR:H/IR:M/AR:H", 8.8, 8.0, [0, 0, 1, 2, 0, 1]),
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N/CR:L/IR:L/AR:L", 6.9, 6.9, [0, 0, 2, 2, 0, 1]),
    // Modified base metrics replace the base ones.
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N/MVC:H/MVI:H/MVA:H", 0.0, 9.3, [0, 0, 0, 2, 0, 0]),
    (
        "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/MAV:N/MAC:L/MAT:N/MPR:N/MUI:N",
        5.4,
        9.3,
        [0, 0, 0, 2, 0, 0],
    ),
    // Supplemental metrics are carried, never scored.
    (
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/S:P/AU:Y/R:I/V:C/RE:H/U:Red",
        9.3,
        9.3,
        [0, 0, 0, 2, 0, 0],
    ),
    // Interpolations that end a floating-point unit below an x.x5 tie, which the calculator
    // rounds up (its 10⁻⁶ lift).
    ("CVSS:4.0/AV:N/AC:H/AT:P/PR:H/UI:P/VC:H/VI:L/VA:H/SC:L/SI:N/SA:L", 5.9, 5.9, [1, 1, 1, 2, 0, 0]),
    ("CVSS:4.0/AV:A/AC:H/AT:N/PR:L/UI:N/VC:L/VI:L/VA:L/SC:L/SI:H/SA:L", 5.1, 5.1, [1, 1, 2, 1, 0, 1]),
];

#[test]
fn v4_known_scores() {
    let mut wrong = Vec::new();
    for &(vector, base, bte, mv) in V4_CASES {
        let cvss = parse(vector).unwrap_or_else(|err| panic!("{vector}: {err}"));
        let got = (cvss.base_score(), cvss.bte_score(), v4::Scored::new(&cvss, true).macro_vector());
        if got != (base, Some(bte), mv) {
            wrong.push(format!("{vector}: expected {:?}, got {got:?}", (base, Some(bte), mv)));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn v4_every_eq_level_is_covered() {
    let mut seen = [[false; 3]; 6];
    let mut eq3_eq6 = [[false; 2]; 3];
    for &(_, _, _, mv) in V4_CASES {
        for (eq, level) in mv.iter().enumerate() {
            seen[eq][*level] = true;
        }
        eq3_eq6[mv[2]][mv[5]] = true;
    }
    let levels = [3, 2, 3, 3, 3, 2];
    for (eq, count) in levels.iter().enumerate() {
        assert!(seen[eq][..*count].iter().all(|seen| *seen), "EQ{} levels {:?}", eq + 1, seen[eq]);
    }
    assert_eq!(eq3_eq6, [[true, true], [true, true], [false, true]]);
}

#[test]
fn v4_lookup_table() {
    // 270 MacroVectors, scores 0.1 to 10, none with EQ3 level 2 and EQ6 level 0.
    let mut count = 0;
    for eq1 in 0..3 {
        for eq2 in 0..2 {
            for eq3 in 0..3 {
                for eq4 in 0..3 {
                    for eq5 in 0..3 {
                        for eq6 in 0..2 {
                            let score = v4::lookup([eq1, eq2, eq3, eq4, eq5, eq6]);
                            assert_eq!(score.is_none(), eq3 == 2 && eq6 == 0);
                            if let Some(score) = score {
                                assert!((0.1..=10.0).contains(&score));
                                count += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    assert_eq!(count, 270);
    // Corners and a few entries spot-checked against the specification's table.
    assert_eq!(v4::lookup([0, 0, 0, 0, 0, 0]), Some(10.0));
    assert_eq!(v4::lookup([0, 0, 0, 0, 0, 1]), Some(9.9));
    assert_eq!(v4::lookup([0, 0, 2, 2, 2, 1]), Some(2.7));
    assert_eq!(v4::lookup([1, 1, 1, 1, 1, 1]), Some(5.7));
    assert_eq!(v4::lookup([2, 0, 0, 0, 0, 0]), Some(9.3));
    assert_eq!(v4::lookup([2, 1, 2, 2, 2, 1]), Some(0.1));
    assert_eq!(v4::lookup([3, 0, 0, 0, 0, 0]), None);
    assert_eq!(v4::lookup([0, 0, 3, 0, 0, 2]), None);
}

#[test]
fn v4_every_base_vector_scores_in_range() {
    let metrics: [(&str, &[&str]); 11] = [
        ("AV", &["N", "A", "L", "P"]),
        ("AC", &["L", "H"]),
        ("AT", &["N", "P"]),
        ("PR", &["N", "L", "H"]),
        ("UI", &["N", "P", "A"]),
        ("VC", &["H", "L", "N"]),
        ("VI", &["H", "L", "N"]),
        ("VA", &["H", "L", "N"]),
        ("SC", &["H", "L", "N"]),
        ("SI", &["H", "L", "N"]),
        ("SA", &["H", "L", "N"]),
    ];
    let total: usize = metrics.iter().map(|(_, values)| values.len()).product();
    assert_eq!(total, 104_976);
    for mut n in 0..total {
        let mut vector = String::from("CVSS:4.0");
        let mut no_impact = true;
        for (name, values) in metrics {
            let value = values[n % values.len()];
            n /= values.len();
            if ["VC", "VI", "VA", "SC", "SI", "SA"].contains(&name) {
                no_impact &= value == "N";
            }
            vector.push_str(&format!("/{name}:{value}"));
        }
        let score = score(&vector);
        assert!((0.0..=10.0).contains(&score), "{vector}: {score}");
        assert_eq!(score == 0.0, no_impact, "{vector}: {score}");
        assert_eq!(score * 10.0, (score * 10.0).round(), "{vector}: {score}");
    }
}

#[test]
fn versions_and_ratings() {
    let cases = [
        ("AV:N/AC:L/Au:N/C:C/I:C/A:C", Version::V2, Rating::High),
        ("AV:N/AC:L/Au:N/C:N/I:N/A:N", Version::V2, Rating::Low),
        ("AV:N/AC:M/Au:N/C:N/I:P/A:N", Version::V2, Rating::Medium),
        ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", Version::V3_0, Rating::Critical),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", Version::V3_1, Rating::None),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", Version::V3_1, Rating::High),
        ("CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", Version::V3_1, Rating::Low),
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N", Version::V4_0, Rating::Medium),
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", Version::V4_0, Rating::None),
    ];
    for (vector, version, rating) in cases {
        let cvss = parse(vector).unwrap();
        assert_eq!((cvss.version(), cvss.rating()), (version, rating), "{vector}");
    }
    assert_eq!(Version::V3_1.to_string(), "3.1");
    assert_eq!(Version::V2.as_str(), "2.0");
    assert_eq!(parse("AV:N/AC:L/Au:N/C:C/I:C/A:C").unwrap().bte_score(), None);
    assert_eq!(parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N").unwrap().bte_score(), None);
}

#[test]
fn rating_scales() {
    let v3 = [
        (0.0, Rating::None),
        (0.1, Rating::Low),
        (3.9, Rating::Low),
        (4.0, Rating::Medium),
        (6.9, Rating::Medium),
        (7.0, Rating::High),
        (8.9, Rating::High),
        (9.0, Rating::Critical),
        (10.0, Rating::Critical),
        (-1.0, Rating::None),
        (f64::NAN, Rating::None),
    ];
    for (score, rating) in v3 {
        assert_eq!(Rating::from_score(score), rating, "{score}");
    }
    let v2 =
        [(0.0, Rating::Low), (3.9, Rating::Low), (4.0, Rating::Medium), (6.9, Rating::Medium), (7.0, Rating::High)];
    for (score, rating) in v2 {
        assert_eq!(Rating::from_v2_score(score), rating, "{score}");
    }
    assert_eq!(Rating::from_v2_score(10.0), Rating::High);
    assert!(Rating::None < Rating::Low && Rating::Low < Rating::Medium);
    assert!(Rating::Medium < Rating::High && Rating::High < Rating::Critical);
    assert_eq!([Rating::High, Rating::None, Rating::Critical].iter().max(), Some(&Rating::Critical));
}

#[test]
fn rating_words() {
    let words = [
        ("none", Rating::None),
        ("low", Rating::Low),
        ("LOW", Rating::Low),
        ("Negligible", Rating::Low),
        ("unimportant", Rating::Low),
        ("medium", Rating::Medium),
        ("MODERATE", Rating::Medium),
        (" Moderate ", Rating::Medium),
        ("high", Rating::High),
        ("important", Rating::High),
        ("Important", Rating::High),
        ("CRITICAL", Rating::Critical),
    ];
    for (word, rating) in words {
        assert_eq!(word.parse::<Rating>(), Ok(rating), "{word}");
    }
    for word in ["", "unknown", "severe", "lowish", "9.8", "crit"] {
        assert!(word.parse::<Rating>().is_err(), "{word}");
    }
    let names: Vec<String> = [Rating::None, Rating::Low, Rating::Medium, Rating::High, Rating::Critical]
        .iter()
        .map(Rating::to_string)
        .collect();
    assert_eq!(names, ["none", "low", "medium", "high", "critical"]);
}

#[test]
fn rating_serde() {
    assert_eq!(serde_json::to_string(&Rating::High).unwrap(), r#""high""#);
    assert_eq!(serde_json::to_string(&[Rating::None, Rating::Critical]).unwrap(), r#"["none","critical"]"#);
    assert_eq!(serde_json::from_str::<Rating>(r#""medium""#).unwrap(), Rating::Medium);
    assert_eq!(serde_json::from_str::<Rating>(r#""MODERATE""#).unwrap(), Rating::Medium);
    assert!(serde_json::from_str::<Rating>(r#""bad""#).is_err());
    assert!(serde_json::from_str::<Rating>("3").is_err());
}

#[test]
fn normalised_vectors() {
    let cases = [
        // v3: any order in, the specification's out; Not Defined dropped.
        ("CVSS:3.1/C:H/I:H/A:H/AV:N/AC:L/PR:N/UI:N/S:U", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
        (
            "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/MAV:L/E:X/RL:O/CR:X",
            "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/RL:O/MAV:L",
        ),
        // v2: bare, as NVD and OSV print it.
        ("(AV:N/AC:L/Au:N/C:P/I:P/A:P)", "AV:N/AC:L/Au:N/C:P/I:P/A:P"),
        ("CVSS:2.0/Au:N/AV:N/AC:L/C:P/I:P/A:P/E:ND/RL:OF", "AV:N/AC:L/Au:N/C:P/I:P/A:P/RL:OF"),
        // v4.
        (
            " CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:X/CR:H/MSI:S/U:Amber ",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/CR:H/MSI:S/U:Amber",
        ),
    ];
    for (input, normalised) in cases {
        let cvss = parse(input).unwrap();
        assert_eq!(cvss.vector(), normalised);
        assert_eq!(cvss.to_string(), normalised);
        let again: Cvss = normalised.parse().unwrap();
        assert_eq!(again, cvss, "{input}");
    }
    // Equal when they say the same thing.
    assert_eq!(
        parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:X").unwrap(),
        parse("CVSS:3.1/A:H/I:H/C:H/S:U/UI:N/PR:N/AC:L/AV:N").unwrap()
    );
    assert_ne!(
        parse("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").unwrap(),
        parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").unwrap()
    );
    let cvss = parse("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:X/MSI:S").unwrap();
    assert_eq!(
        (cvss.metric("AV"), cvss.metric("MSI"), cvss.metric("E"), cvss.metric("XX")),
        (Some("N"), Some("S"), None, None)
    );
}

const V31_BASE: &str = "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
const V4_BASE: &str = "AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";

#[test]
fn errors() {
    use CvssError::*;
    let v31 = |body: &str| format!("CVSS:3.1/{body}");
    let cases: Vec<(String, CvssError)> = vec![
        (String::new(), Empty),
        ("  \t ".into(), Empty),
        // Missing metrics.
        (v31("AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H"), Missing { version: Version::V3_1, metric: "A" }),
        ("CVSS:3.1/".into(), Missing { version: Version::V3_1, metric: "AV" }),
        ("CVSS:4.0".into(), Missing { version: Version::V4_0, metric: "AV" }),
        ("AV:N/AC:L/C:P/I:P/A:P".into(), Missing { version: Version::V2, metric: "Au" }),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N".into(),
            Missing { version: Version::V4_0, metric: "SA" },
        ),
        // Duplicates, even with the same value, and of optional metrics.
        (v31("AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), Duplicate("AV")),
        (v31(&format!("{V31_BASE}/E:P/E:P")), Duplicate("E")),
        ("AV:N/AC:L/Au:N/C:P/I:P/A:P/A:C".into(), Duplicate("A")),
        (format!("CVSS:4.0/{V4_BASE}/SA:N"), Duplicate("SA")),
        // Unknown values: X is no base value; case matters; values of another version.
        (
            v31("AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            InvalidValue { version: Version::V3_1, metric: "AV", value: "X".into() },
        ),
        (
            v31("AV:n/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            InvalidValue { version: Version::V3_1, metric: "AV", value: "n".into() },
        ),
        (v31(&format!("{V31_BASE}/E:A")), InvalidValue { version: Version::V3_1, metric: "E", value: "A".into() }),
        ("AV:N/AC:L/Au:N/C:H/I:P/A:P".into(), InvalidValue { version: Version::V2, metric: "C", value: "H".into() }),
        (
            format!("CVSS:4.0/{V4_BASE}/MSC:S"),
            InvalidValue { version: Version::V4_0, metric: "MSC", value: "S".into() },
        ),
        (
            format!("CVSS:4.0/{V4_BASE}/U:red"),
            InvalidValue { version: Version::V4_0, metric: "U", value: "red".into() },
        ),
        (
            v31("AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:"),
            InvalidValue { version: Version::V3_1, metric: "A", value: "".into() },
        ),
        // Unknown metrics, including another version's.
        (v31(&format!("{V31_BASE}/ZZ:1")), UnknownMetric { version: Version::V3_1, metric: "ZZ".into() }),
        (v31("av:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), UnknownMetric { version: Version::V3_1, metric: "av".into() }),
        (format!("CVSS:3.1/{V4_BASE}"), UnknownMetric { version: Version::V3_1, metric: "AT".into() }),
        // (S is v4's supplemental Safety metric, which has no U.)
        (format!("CVSS:4.0/{V31_BASE}"), InvalidValue { version: Version::V4_0, metric: "S", value: "U".into() }),
        (V31_BASE.into(), UnknownMetric { version: Version::V2, metric: "PR".into() }),
        (format!("CVSS:3.1/CVSS:3.1/{V31_BASE}"), UnknownMetric { version: Version::V3_1, metric: "CVSS".into() }),
        // Wrong prefixes.
        (format!("CVSS:3.2/{V31_BASE}"), UnsupportedVersion("3.2".into())),
        (format!("CVSS:3/{V31_BASE}"), UnsupportedVersion("3".into())),
        (format!("CVSS:/{V31_BASE}"), UnsupportedVersion(String::new())),
        (format!("cvss:3.1/{V31_BASE}"), BadPrefix("cvss:".into())),
        (
            format!("(CVSS:3.1/{V31_BASE})"),
            BadPrefix(format!("(CVSS:3.1/{V31_BASE})").chars().take(40).collect::<String>() + "…"),
        ),
        ("(AV:N/AC:L/Au:N/C:P/I:P/A:P".into(), BadPrefix("(AV:N/AC:L/Au:N/C:P/I:P/A:P".into())),
        (format!("CVSS3.1/{V31_BASE}"), Malformed("CVSS3.1".into())),
        // Malformed components.
        (v31("AV:N//AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), Malformed(String::new())),
        (v31(&format!("{V31_BASE}/")), Malformed(String::new())),
        (v31("AVN/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), Malformed("AVN".into())),
        // v4 insists on the specification's order.
        ("CVSS:4.0/AC:L/AV:N/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N".into(), OutOfOrder("AV")),
        (format!("CVSS:4.0/{V4_BASE}/CR:H/E:A"), OutOfOrder("E")),
        (format!("CVSS:4.0/E:A/{V4_BASE}"), OutOfOrder("AV")),
    ];
    let wrong: Vec<String> = cases
        .iter()
        .filter_map(|(input, expected)| {
            let got = parse(input);
            (got.as_ref() != Err(expected)).then(|| format!("{input:?}: expected {expected:?}, got {got:?}"))
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn error_messages_are_short() {
    assert_eq!(
        parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H").unwrap_err().to_string(),
        "CVSS 3.1 vector lacks the mandatory metric A"
    );
    assert_eq!(parse("CVSS:9.9/AV:N").unwrap_err().to_string(), r#"unsupported CVSS version "9.9""#);
    let huge = format!("CVSS:3.1/AV:{}", "N".repeat(1 << 20));
    let message = parse(&huge).unwrap_err().to_string();
    assert!(message.len() < 120, "{message}");
    // Clipping respects character boundaries.
    let wide = format!("CVSS:3.1/AV:{}", "Ñ".repeat(100));
    assert!(matches!(parse(&wide), Err(CvssError::InvalidValue { value, .. }) if value.chars().count() == 41));
}

#[test]
fn huge_and_repetitive_inputs() {
    let repeated = format!("CVSS:3.1/{}", "AV:N/".repeat(200_000));
    assert_eq!(parse(&repeated), Err(CvssError::Duplicate("AV")));
    let slashes = "/".repeat(1 << 20);
    assert!(parse(&slashes).is_err());
    let colons = format!("CVSS:4.0/{}", ":".repeat(1 << 20));
    assert!(parse(&colons).is_err());
    let long_tail = format!("CVSS:3.1/{V31_BASE}/{}", "X".repeat(1 << 20));
    assert!(parse(&long_tail).is_err());
    for input in
        ["(", ")", "()", "(CVSS:", "CVSS:", "CVSS", ":", "/", "::", "CVSS:4.0/", "CVSS:é", "ÇVSS:3.1/AV:N", "\0"]
    {
        assert!(parse(input).is_err(), "{input:?}");
    }
}

/// Tokens that parse as metrics of some version, so that random joins of them reach deep into
/// validation and scoring.
const TOKENS: &[&str] = &[
    "AV:N", "AV:A", "AV:L", "AV:P", "AC:L", "AC:H", "AC:M", "AT:N", "AT:P", "PR:N", "PR:L", "PR:H", "UI:N", "UI:R",
    "UI:P", "UI:A", "S:U", "S:C", "C:H", "C:L", "C:N", "C:P", "C:C", "I:H", "I:L", "I:N", "I:P", "A:H", "A:L", "A:N",
    "A:P", "Au:N", "Au:S", "VC:H", "VC:N", "VI:H", "VI:L", "VA:N", "SC:H", "SC:N", "SI:N", "SI:L", "SA:N", "SA:H",
    "E:A", "E:P", "E:U", "E:X", "CR:H", "CR:L", "IR:M", "AR:X", "MAV:N", "MSI:S", "MSA:S", "MVC:N", "U:Red", "RE:H",
    "X:X", "", ":",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(input in ".{0,200}") {
        if let Ok(cvss) = parse(&input) {
            let score = cvss.base_score();
            prop_assert!((0.0..=10.0).contains(&score));
        }
    }

    #[test]
    fn token_soup_never_panics(
        prefix in prop::sample::select(vec!["", "CVSS:2.0/", "CVSS:3.0/", "CVSS:3.1/", "CVSS:4.0/", "("]),
        tokens in prop::collection::vec(prop::sample::select(TOKENS), 0..40),
    ) {
        let input = format!("{prefix}{}", tokens.join("/"));
        if let Ok(cvss) = parse(&input) {
            let score = cvss.base_score();
            prop_assert!((0.0..=10.0).contains(&score));
            prop_assert_eq!(score * 10.0, (score * 10.0).round());
            if let Some(bte) = cvss.bte_score() {
                prop_assert!((0.0..=10.0).contains(&bte));
            }
            let again = parse(&cvss.vector());
            prop_assert_eq!(again.as_ref(), Ok(&cvss));
        }
    }

    #[test]
    fn v3_metric_order_does_not_matter(
        order in Just(V31_BASE.split('/').collect::<Vec<_>>()).prop_shuffle(),
        version in prop::sample::select(vec!["3.0", "3.1"]),
    ) {
        let cvss = parse(&format!("CVSS:{version}/{}", order.join("/"))).unwrap();
        prop_assert_eq!(cvss.base_score(), 9.8);
        prop_assert_eq!(cvss.vector(), format!("CVSS:{version}/{V31_BASE}"));
    }

    #[test]
    fn v2_metric_order_does_not_matter(order in Just(vec!["AV:N", "AC:L", "Au:N", "C:P", "I:N", "A:N", "E:F"]).prop_shuffle()) {
        prop_assert_eq!(score(&order.join("/")), 5.0);
    }
}
