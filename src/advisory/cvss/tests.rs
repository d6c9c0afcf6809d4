//! Scores of known vectors, parsing rules, ratings, and inputs that must fail without panicking.
//!
//! Expected scores: NVD's published base scores and the examples of the CVSS v2 guide for v2
//! and v3.1; for v3.0 the FIRST v3.0 calculator's floating-point equation.

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
    ];
    for (vector, version, rating) in cases {
        let cvss = parse(vector).unwrap();
        assert_eq!((cvss.version(), cvss.rating()), (version, rating), "{vector}");
    }
    assert_eq!(Version::V3_1.to_string(), "3.1");
    assert_eq!(Version::V2.as_str(), "2.0");
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
}

const V31_BASE: &str = "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";

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
        ("AV:N/AC:L/C:P/I:P/A:P".into(), Missing { version: Version::V2, metric: "Au" }),
        // Duplicates, even with the same value, and of optional metrics.
        (v31("AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), Duplicate("AV")),
        (v31(&format!("{V31_BASE}/E:P/E:P")), Duplicate("E")),
        ("AV:N/AC:L/Au:N/C:P/I:P/A:P/A:C".into(), Duplicate("A")),
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
            v31("AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:"),
            InvalidValue { version: Version::V3_1, metric: "A", value: "".into() },
        ),
        // Unknown metrics, including another version's.
        (v31(&format!("{V31_BASE}/ZZ:1")), UnknownMetric { version: Version::V3_1, metric: "ZZ".into() }),
        (v31("av:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), UnknownMetric { version: Version::V3_1, metric: "av".into() }),
        (
            "CVSS:3.1/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N".into(),
            UnknownMetric { version: Version::V3_1, metric: "AT".into() },
        ),
        (format!("CVSS:4.0/{V31_BASE}"), UnsupportedVersion("4.0".into())),
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
