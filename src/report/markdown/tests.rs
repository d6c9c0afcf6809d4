//! The Markdown report over hand-built results: the order by rating then score with
//! unrated findings last, what a cut says, grouped distribution rows and plurals.

use super::*;
use crate::advisory::cvss::Rating;
use crate::inventory::walk::Inventory;
use crate::matching::{MatchReport, Severity};
use crate::purl::Purl;
use crate::report::registry::tests::finding;

fn result(findings: Vec<Finding>, packages: usize) -> ScanResult {
    let inventory = Inventory { root: "x".into(), ..Inventory::default() };
    let mut result =
        ScanResult::new(vec!["x".into()], inventory, MatchReport { findings, ..MatchReport::default() }, None);
    result.summary.packages = packages;
    result
}

fn scored(id: &str, rating: Rating, score: f64) -> Finding {
    let mut f = finding(id, "p", "1", Some(rating), &[]);
    f.severity = Some(Severity { rating, score: Some(score), vector: None, source: "test".into() });
    f
}

/// The advisory ids of the findings table, in order.
fn ids(md: &str) -> Vec<String> {
    md.lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| Severity") && l.matches(" | ").count() == 5)
        .filter_map(|l| l.split(" | ").nth(1).map(String::from))
        .collect()
}

#[test]
fn rated_findings_sort_by_rating_then_score_and_unrated_ones_last() {
    let findings = vec![
        finding("UNRATED", "p", "1", None, &[]),
        scored("MEDIUM-5", Rating::Medium, 5.0),
        scored("LOW", Rating::Low, 3.1),
        scored("MEDIUM-6", Rating::Medium, 6.5),
        scored("CRITICAL", Rating::Critical, 9.8),
        finding("HIGH-WORD", "p", "1", Some(Rating::High), &[]),
    ];
    let md = render(&result(findings, 1));
    assert_eq!(ids(&md), ["CRITICAL", "HIGH-WORD", "MEDIUM-6", "MEDIUM-5", "LOW", "UNRATED"]);
}

#[test]
fn a_cut_drops_unrated_rows_first_and_says_what_it_dropped() {
    let mut findings: Vec<Finding> =
        (0..11).map(|i| finding(&format!("UNRATED-{i:02}"), "p", "1", None, &[])).collect();
    findings.extend((0..MAX_ROWS).map(|i| scored(&format!("MEDIUM-{i:03}"), Rating::Medium, 5.0)));
    findings.extend((0..2).map(|i| scored(&format!("LOW-{i}"), Rating::Low, 2.0)));
    let md = render(&result(findings, 1));
    let shown = ids(&md);
    assert_eq!(shown.len(), MAX_ROWS);
    assert!(shown.iter().all(|id| id.starts_with("MEDIUM-")), "{shown:?}");
    assert!(
        md.contains(
            "\n…and 13 more findings not shown here (2 low, 11 unrated). `customs scan -f table` or `-f json` lists them all.\n"
        ),
        "{md}"
    );
    assert!(!md.contains("full report"), "{md}");
}

#[test]
fn a_source_package_is_one_row_with_its_binaries() {
    let findings: Vec<Finding> = ["libext2fs2", "e2fsprogs", "logsave"]
        .iter()
        .map(|binary| {
            let mut f = finding("DSA-1-1", "e2fsprogs", "1.47.0-2", Some(Rating::High), &["1.47.0-2+deb12u1"]);
            f.package.purl = Purl::new("deb", Some("debian"), binary, Some("1.47.0-2"));
            f
        })
        .collect();
    let md = render(&result(findings, 88));
    assert!(md.contains("| high | DSA-1-1 | e2fsprogs (installed as e2fsprogs, libext2fs2, logsave) | 1.47.0-2 | 1.47.0-2+deb12u1 | `/var/lib/dpkg/status` |\n"), "{md}");
    assert_eq!(ids(&md), ["DSA-1-1"]);
}

#[test]
fn counts_of_one_are_singular() {
    let md = render(&result(vec![], 1));
    assert!(md.starts_with("## customs scan\n\nScanned `x`: **1** package.\n"), "{md}");
}
