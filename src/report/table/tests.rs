//! The table over hand-built results: exact lines for an image's header, a source
//! package's findings grouped into one row with its binaries, the width rules, the
//! unrated colour and the plurals.

use super::*;
use crate::inventory::walk::Inventory;
use crate::matching::MatchReport;
use crate::model::ImageSubject;
use crate::purl::Purl;
use crate::report::registry::tests::finding;

/// A Debian finding for `binary`, a binary package of the source `source`.
fn debian(id: &str, source: &str, binary: &str, line: u32, rating: Option<Rating>) -> Finding {
    let mut f = finding(id, source, "1.47.0-2", rating, &["1.47.0-2+deb12u1"]);
    f.package.purl = Purl::new("deb", Some("debian"), binary, Some("1.47.0-2+b2")).with_qualifier("upstream", source);
    f.package.location.line = Some(line);
    f
}

fn debian_image() -> ImageSubject {
    ImageSubject {
        reference: "oci-archive:debian.tar:bookworm".into(),
        manifest_digest: format!("sha256:{}", "c".repeat(64)),
        platform: "linux/amd64".into(),
        os: Some("Debian GNU/Linux 12 (bookworm)".into()),
        ecosystem: Some("Debian:12".parse().unwrap()),
        layers: vec![format!("sha256:{}", "a".repeat(64))],
        base_name: None,
        base_digest: None,
    }
}

fn result(image: Option<ImageSubject>, findings: Vec<Finding>, packages: usize) -> ScanResult {
    let inventory = Inventory { root: "x".into(), image, ..Inventory::default() };
    let mut result =
        ScanResult::new(vec!["x".into()], inventory, MatchReport { findings, ..MatchReport::default() }, None);
    result.summary.packages = packages;
    result
}

fn plain(width: usize) -> TableOptions {
    TableOptions { colour: false, width }
}

#[test]
fn an_image_has_a_header_and_one_row_per_advisory_and_source_package() {
    let findings = vec![
        debian("DSA-1-1", "e2fsprogs", "libext2fs2", 40, Some(Rating::High)),
        debian("DSA-1-1", "e2fsprogs", "e2fsprogs", 10, Some(Rating::High)),
        debian("DSA-1-1", "e2fsprogs", "libcom-err2", 20, Some(Rating::High)),
        debian("DSA-2-1", "openssl", "libssl3", 70, None),
        debian("DSA-3-1", "bash", "bash", 5, Some(Rating::Low)),
    ];
    let table = render(&result(Some(debian_image()), findings, 88), &plain(120));
    let expected = format!(
        "Image oci-archive:debian.tar:bookworm
  digest sha256:{c}
  Debian GNU/Linux 12 (bookworm) on linux/amd64, 1 layer

/var/lib/dpkg/status
  HIGH     DSA-1-1              e2fsprogs 1.47.0-2  fixed in 1.47.0-2+deb12u1
           installed as e2fsprogs, libcom-err2, libext2fs2
           DSA-1-1 summary
  LOW      DSA-3-1              bash 1.47.0-2  fixed in 1.47.0-2+deb12u1  line 5
           DSA-3-1 summary
  UNKNOWN  DSA-2-1              openssl 1.47.0-2  fixed in 1.47.0-2+deb12u1  line 70
           installed as libssl3
           DSA-2-1 summary

customs: 5 vulnerabilities in 88 packages (3 high, 1 low, 1 unknown)
",
        c = "c".repeat(64)
    );
    assert_eq!(table, expected);
}

#[test]
fn narrow_widths_move_the_fix_and_wrap_binaries_but_never_cut_ids_or_names() {
    let mut long = debian("DEBIAN-CVE-2024-000000000001", "a-very-long-source-package-name", "bin-one", 1, None);
    long.summary = Some("word ".repeat(40));
    let mut other = long.clone();
    other.package.purl.name = "bin-two-with-a-long-name".into();
    let mut third = long.clone();
    third.package.purl.name = "bin-three".into();
    let table = render(&result(None, vec![long, other, third], 3), &plain(60));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines[1], "  UNKNOWN  DEBIAN-CVE-2024-000000000001 a-very-long-source-package-name 1.47.0-2");
    assert_eq!(lines[2], "           fixed in 1.47.0-2+deb12u1");
    assert_eq!(lines[3], "           installed as bin-one, bin-three,");
    assert_eq!(lines[4], "             bin-two-with-a-long-name");
    let cut: String = "word ".repeat(40).trim_end().chars().take(60 - 11 - 1).collect();
    assert_eq!(lines[5], format!("           {cut}…"));
}

#[test]
fn widths_come_from_the_terminal_then_columns_then_the_default() {
    assert_eq!(choose_width(Some(90), Some("200")), 90);
    assert_eq!(choose_width(None, Some(" 200 ")), 200);
    assert_eq!(choose_width(None, Some("wide")), DEFAULT_WIDTH);
    assert_eq!(choose_width(Some(0), Some("0")), DEFAULT_WIDTH);
    assert_eq!(choose_width(None, None), DEFAULT_WIDTH);
    assert_eq!(choose_width(Some(20), None), MIN_WIDTH);
    assert_eq!(choose_width(None, Some("99999")), MAX_WIDTH);
}

#[test]
fn summaries_are_cut_to_the_width() {
    let mut f = finding("RUSTSEC-2020-0071", "time", "0.1.43", Some(Rating::Medium), &[]);
    f.summary = Some("x".repeat(300));
    let wide = render(&result(None, vec![f.clone()], 1), &plain(200));
    assert!(wide.contains(&format!("\n           {}…\n", "x".repeat(200 - 11 - 1))), "{wide}");
    let narrow = render(&result(None, vec![f], 1), &plain(80));
    assert!(narrow.contains(&format!("\n           {}…\n", "x".repeat(80 - 11 - 1))), "{narrow}");
}

#[test]
fn unrated_findings_are_not_painted_like_high_ones() {
    let findings =
        vec![finding("HIGH-1", "a", "1", Some(Rating::High), &[]), finding("UNRATED-1", "b", "1", None, &[])];
    let table = render(&result(None, findings, 2), &TableOptions { colour: true, width: 120 });
    assert!(table.contains("\x1b[1;31mHIGH    \x1b[0m HIGH-1"), "{table:?}");
    assert!(table.contains("\x1b[1;94mUNKNOWN \x1b[0m UNRATED-1"), "{table:?}");
}

#[test]
fn counts_of_one_are_singular() {
    let table = render(&result(None, vec![finding("GHSA-1", "a", "1", Some(Rating::Critical), &[])], 1), &plain(120));
    assert!(table.ends_with("customs: 1 vulnerability in 1 package (1 critical)\n"), "{table}");
    let empty = render(&result(None, vec![], 1), &plain(120));
    assert_eq!(empty, "customs: 0 vulnerabilities in 1 package\n");
}

#[test]
fn wrapping_breaks_after_commas_only() {
    let names: Vec<String> = ["aa", "bbbb", "c"].iter().map(|s| s.to_string()).collect();
    assert_eq!(wrap("lead", &names, 13), ["lead aa,", "  bbbb, c"]);
    assert_eq!(wrap("lead", &names, 100), ["lead aa, bbbb, c"]);
    let long = vec!["x".repeat(30)];
    assert_eq!(wrap("lead", &long, 10), ["lead", &format!("  {}", "x".repeat(30))]);
}
