use super::*;
use crate::inventory::walk::Inventory;
use crate::matching::MatchReport;
use crate::model::{Suppression, SuppressionKind};
use crate::report::registry::tests::finding;
use crate::scan::ScanResult;

fn rated(id: &str, rating: Option<Rating>) -> Finding {
    finding(id, "pkg", "1.0", rating, &[])
}

/// 1 critical, 2 high, 1 medium, 2 unrated, and a suppressed critical.
fn result() -> ScanResult {
    let mut suppressed = rated("S-1", Some(Rating::Critical));
    suppressed.suppression = Some(Suppression {
        kind: SuppressionKind::Ignore,
        reason: "accepted".into(),
        justification: None,
        expires: None,
        source: ".customs-ignore.yaml".into(),
    });
    let findings = vec![
        rated("C-1", Some(Rating::Critical)),
        rated("H-1", Some(Rating::High)),
        rated("H-2", Some(Rating::High)),
        rated("M-1", Some(Rating::Medium)),
        rated("U-1", None),
        rated("U-2", None),
        suppressed,
    ];
    let matches = MatchReport { findings, ..MatchReport::default() };
    ScanResult::new(vec![".".into()], Inventory::default(), matches, None)
}

#[test]
fn thresholds_parse_as_one_level_and_above_or_an_exact_list() {
    assert_eq!("any".parse(), Ok(Threshold::Any));
    assert_eq!("HIGH".parse(), Ok(Threshold::AtLeast(Rating::High)));
    let exact: Levels = [Level::Rated(Rating::High), Level::Rated(Rating::Critical)].into_iter().collect();
    assert_eq!("HIGH,critical".parse(), Ok(Threshold::Exactly(exact)));
    assert_eq!(" unknown ".parse(), Ok(Threshold::Exactly([Level::Unknown].into_iter().collect())));
    assert_eq!(
        "high,,critical".parse::<Threshold>(),
        Err("\"high,,critical\": an empty severity in the list; write it as HIGH,CRITICAL; or any".into())
    );
    assert_eq!(
        "severe".parse::<Threshold>(),
        Err("unknown severity \"severe\": use unknown, none, low, medium, high or critical; or any".into())
    );
    assert_eq!(exact.to_string(), "critical,high");
    assert_eq!(Threshold::Exactly(exact).describe(), "at critical or high");
    assert_eq!(Threshold::AtLeast(Rating::High).describe(), "at or above high");
}

#[test]
fn unrated_findings_trip_every_threshold_unless_ignored_or_named() {
    let result = result();
    let at = |threshold: &str, unrated: Unrated| {
        result.gating_findings(Gate { threshold: threshold.parse().unwrap(), unrated })
    };
    assert_eq!(at("any", Unrated::Fail), 6, "the suppressed critical never counts");
    assert_eq!(at("high", Unrated::Fail), 5);
    assert_eq!(at("high", Unrated::Ignore), 3);
    assert_eq!(at("critical,medium", Unrated::Fail), 4);
    assert_eq!(at("critical,medium", Unrated::Ignore), 2);
    assert_eq!(at("unknown", Unrated::Ignore), 2, "naming unknown gates on unrated findings");
    assert_eq!(at("unknown", Unrated::Fail), 2, "and only on them");
    assert_eq!(at("low,unknown", Unrated::Ignore), 2);
}

#[test]
fn the_outcome_counts_what_tripped_and_what_passed_by_level() {
    let result = result();
    let outcome = result.gate(Gate { threshold: Threshold::AtLeast(Rating::High), unrated: Unrated::Fail });
    assert_eq!(
        outcome.describe().as_deref(),
        Some("5 findings at or above high: 1 critical, 2 high, 2 unrated (--unrated ignore to let unrated pass)")
    );
    assert_eq!(outcome.passed_total(), 1);
    let ignored = result.gate(Gate { threshold: Threshold::AtLeast(Rating::High), unrated: Unrated::Ignore });
    assert_eq!(ignored.describe().as_deref(), Some("3 findings at or above high: 1 critical, 2 high"));
    let passing = result.gate(Gate { threshold: "critical".parse().unwrap(), unrated: Unrated::Ignore });
    assert_eq!(passing.describe().as_deref(), Some("1 finding at or above critical: 1 critical"));
    let named = result.gate(Gate { threshold: "unknown".parse().unwrap(), unrated: Unrated::Fail });
    assert_eq!(named.describe().as_deref(), Some("2 findings at unknown: 2 unrated"));

    let mut below = result.clone();
    below.keep_severities("medium,unknown".parse().unwrap());
    let outcome = below.gate(Gate { threshold: "high".parse().unwrap(), unrated: Unrated::Ignore });
    assert!(!outcome.is_tripped());
    assert_eq!(
        outcome.describe().as_deref(),
        Some("3 findings below the gate (at or above high): 1 medium, 2 unrated (unrated pass with --unrated ignore)")
    );
    assert_eq!(
        ScanResult::new(vec![], Inventory::default(), MatchReport::default(), None).gate(Gate::default()).describe(),
        None
    );
}

#[test]
fn a_severity_filter_keeps_the_summary_consistent_with_what_is_shown() {
    let mut result = result();
    assert_eq!((result.summary.vulnerabilities, result.summary.suppressed), (6, 1));
    result.keep_severities("HIGH,unknown".parse().unwrap());
    let ids: Vec<&str> = result.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["H-1", "H-2", "U-1", "U-2"]);
    assert_eq!((result.summary.vulnerabilities, result.summary.suppressed), (4, 0));
    let by: Vec<(&str, usize)> = result.summary.by_severity.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(by, [("high", 2), ("unknown", 2)]);
    assert_eq!(result.gating_findings(Threshold::Any), 4);
}
