//! The registry reports over one hand-built run: two platforms of a tagged image with
//! new, unchanged and fixed findings, a hostile repository whose name, tag, package
//! and failure message carry terminal escapes, newlines, `|` and backticks, a clean
//! image, a stale one, moved and disappeared tags, and two failures.

use serde_json::Value;

use super::*;
use crate::advisory::cvss::Rating;
use crate::inventory::walk::Inventory;
use crate::matching::{Finding, FindingKind, MatchReport, Severity};
use crate::model::{Ecosystem, ImageSubject, Location, Package};
use crate::scan::{DatabaseSummary, ScanResult};
use crate::sweep::outcome::*;

mod sarif;

pub(crate) const REGISTRY: &str = "reg.example:5000";
pub(crate) const EVIL_REPOSITORY: &str = "reg.example:5000/evil\x1b[2J|`x`";
pub(crate) const EVIL_TAG: &str = "t\n## Approved|`";
pub(crate) const EVIL_PACKAGE: &str = "pkg\x1b]0;title\x07<b>";
pub(crate) const EVIL_MESSAGE: &str = "digest mismatch\n\x1b[2Jcustoms: 0 vulnerabilities`|";

pub(crate) fn digest(c: char) -> String {
    format!("sha256:{}", c.to_string().repeat(64))
}

pub(crate) fn finding(id: &str, package: &str, version: &str, rating: Option<Rating>, fixed: &[&str]) -> Finding {
    let ecosystem: Ecosystem = "Debian:12".parse().unwrap();
    let location = Location { path: "/var/lib/dpkg/status".into(), line: None, layer: None };
    let mut package = Package::new(ecosystem.kind, package, version, location);
    package.ecosystem = ecosystem;
    Finding {
        id: id.into(),
        aliases: vec![],
        kind: FindingKind::Vulnerability,
        package,
        severity: rating.map(|rating| Severity { rating, score: None, vector: None, source: "test".into() }),
        fixed_versions: fixed.iter().map(|v| v.to_string()).collect(),
        summary: Some(format!("{id} summary")),
        details: None,
        references: vec![],
        published: None,
        modified: "2024-01-01T00:00:00Z".into(),
        advisories: vec![id.into()],
        suppression: None,
    }
}

pub(crate) fn image(
    repository: &str,
    tags: &[&str],
    digest: String,
    platform: &str,
    findings: Vec<(Finding, Change)>,
    source: ImageSource,
) -> ImageReport {
    let reference = format!("{repository}@{digest}");
    let subject = ImageSubject {
        reference: reference.clone(),
        manifest_digest: digest.clone(),
        platform: platform.into(),
        os: None,
        ecosystem: None,
        layers: vec![],
        base_name: None,
        base_digest: None,
    };
    let (findings, changes): (Vec<Finding>, Vec<Change>) = findings.into_iter().unzip();
    let inventory = Inventory {
        root: reference.clone(),
        image: Some(subject),
        packages: findings.iter().map(|f| f.package.clone()).collect(),
        ..Inventory::default()
    };
    let result = ScanResult::new(vec![reference], inventory, MatchReport { findings, ..MatchReport::default() }, None);
    ImageReport {
        repository: repository.into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        digest,
        index_digest: None,
        platform: platform.into(),
        source,
        first_seen: "2024-04-01T00:00:00Z".into(),
        result,
        changes,
        fixed: vec![],
    }
}

/// The run every test renders (see the module comment).
pub(crate) fn sample_report() -> RunReport {
    let mut unmaintained = finding("RUSTSEC-2020-0001", "oldlib", "1.0", None, &[]);
    unmaintained.kind = FindingKind::Unmaintained;
    let mut app_amd64 = image(
        "reg.example:5000/app",
        &["1.0", "latest"],
        digest('a'),
        "linux/amd64",
        vec![
            (finding("CVE-2024-0001", "openssl", "3.0.1", Some(Rating::Critical), &["3.0.2"]), Change::New),
            (finding("CVE-2023-0002", "zlib", "1.2.11", Some(Rating::High), &["1.2.12"]), Change::Unchanged),
            (finding("CVE-2022-0003", "bash", "5.1", None, &[]), Change::New),
            (unmaintained, Change::New),
        ],
        ImageSource::Analysed,
    );
    app_amd64.fixed.push(FixedFinding {
        id: "CVE-2021-0009".into(),
        package: "curl".into(),
        version: "7.74.0".into(),
        ecosystem: "Debian:12".into(),
        path: "/var/lib/dpkg/status".into(),
        severity: Some("high".into()),
    });
    let app_arm64 = image(
        "reg.example:5000/app",
        &["1.0", "latest"],
        digest('b'),
        "linux/arm64",
        vec![(finding("CVE-2024-0001", "openssl", "3.0.1", Some(Rating::Critical), &["3.0.2"]), Change::New)],
        ImageSource::Store,
    );
    let evil = image(
        EVIL_REPOSITORY,
        &[EVIL_TAG],
        digest('c'),
        "linux/amd64\x1b[0m",
        vec![(finding("CVE-2024-0004|`", EVIL_PACKAGE, "1.0\n", Some(Rating::Medium), &["2.0"]), Change::New)],
        ImageSource::Analysed,
    );
    let clean = image("reg.example:5000/base", &["3.19"], digest('d'), "linux/amd64", vec![], ImageSource::Store);
    let stale = image(
        "reg.example:5000/old",
        &["stable"],
        digest('e'),
        "linux/amd64",
        vec![(finding("CVE-2020-0005", "perl", "5.32", Some(Rating::High), &[]), Change::Stale)],
        ImageSource::Stale,
    );
    RunReport {
        run: RunInfo {
            id: 42,
            kind: RunKind::Scan,
            registry: REGISTRY.into(),
            started: "2024-05-01T10:00:00Z".into(),
            finished: "2024-05-01T10:05:00Z".into(),
            customs_version: "0.1.0".into(),
            database: Some(DatabaseSummary {
                path: "/cache/db".into(),
                records: 46600,
                newest_modified: "2024-04-30T12:00:00Z".into(),
                built_at: "2024-05-01T00:00:00Z".into(),
                local_advisories: 0,
            }),
            compared_with: Some(41),
            partial: true,
            shard: None,
            missing_shards: None,
        },
        coverage: Coverage {
            repositories_listed: 6,
            repositories: 5,
            repositories_failed: 1,
            tags: 7,
            images: 5,
            images_analysed: 2,
            images_from_store: 2,
            images_stale: 1,
            layers_downloaded: 10,
            layers_from_store: 20,
            bytes_downloaded: 1536 * 1024,
            requests: 42,
        },
        summary: RunSummary {
            vulnerabilities: 6,
            new: 4,
            unchanged: 1,
            fixed: 1,
            stale: 1,
            policy: 0,
            distinct_vulnerabilities: 5,
        },
        images: vec![app_amd64, app_arm64, evil, clean, stale],
        moved_tags: vec![MovedTag {
            repository: "reg.example:5000/app".into(),
            tag: "latest".into(),
            from: digest('0'),
            to: digest('a'),
        }],
        disappeared: vec![Disappeared {
            repository: "reg.example:5000/app".into(),
            tag: "0.9".into(),
            digest: digest('9'),
        }],
        failures: vec![
            Failure {
                repository: "reg.example:5000/private".into(),
                tag: None,
                reason: FailureReason::Unauthorized,
                message: "401 Unauthorized: set credentials for reg.example:5000".into(),
            },
            Failure {
                repository: EVIL_REPOSITORY.into(),
                tag: Some("x|y".into()),
                reason: FailureReason::Invalid,
                message: EVIL_MESSAGE.into(),
            },
        ],
        warnings: vec![],
    }
}

/// The same registry read completely: no failures, nothing stale.
pub(crate) fn complete_report() -> RunReport {
    let mut report = sample_report();
    report.images.truncate(4);
    report.failures.clear();
    report.run.partial = false;
    report.coverage.repositories_failed = 0;
    report.coverage.images_stale = 0;
    report.summary.stale = 0;
    report
}

const PLAIN: RenderOptions = RenderOptions { colour: false, only_new: false };

/// Every ESC in `text` starts an SGR colour sequence (`ESC [ digits/; m`) customs wrote.
fn only_colour_escapes(text: &str) -> bool {
    text.split('\x1b').skip(1).all(|rest| {
        let Some(body) = rest.strip_prefix('[') else { return false };
        let end = body.find('m').unwrap_or(usize::MAX);
        end != usize::MAX && body[..end].chars().all(|c| c.is_ascii_digit() || c == ';')
    })
}

#[test]
fn formats_are_named_as_scan_names_them() {
    for format in RegistryFormat::ALL {
        assert_eq!(format.to_string().parse::<RegistryFormat>(), Ok(format));
    }
    assert_eq!("SARIF".parse::<RegistryFormat>(), Ok(RegistryFormat::Sarif));
    assert_eq!(
        "cyclonedx".parse::<RegistryFormat>(),
        Err("unknown registry report format \"cyclonedx\": use table, json, sarif or markdown".to_string())
    );
}

#[test]
fn helpers_name_images_and_sizes() {
    let report = sample_report();
    assert_eq!(report.images[0].name(REGISTRY), "app:1.0,latest");
    assert_eq!(short_digest(&digest('a')), "sha256:aaaaaaaaaaaa");
    assert_eq!(short_digest("short"), "short");
    assert_eq!(short_repository("other.example/app", REGISTRY), "other.example/app");
    assert_eq!(human_bytes(512), "512 B");
    assert_eq!(human_bytes(1536 * 1024), "1.5 MiB");
    let counts = report.images[0].counts();
    assert_eq!(counts.new.describe(), "1 critical, 1 unknown", "the unmaintained advisory is not counted");
    assert_eq!(counts.unchanged.describe(), "1 high");
    assert_eq!(counts.fixed, 1);
    assert_eq!(report.images[3].counts(), ImageCounts::default());
}

#[test]
fn table_lists_new_and_fixed_per_image_and_closes_with_the_counts() {
    let text = render(&sample_report(), RegistryFormat::Table, &PLAIN);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "customs registry scan reg.example:5000  run 42, 2024-05-01T10:00:00Z to 2024-05-01T10:05:00Z"
    );
    assert_eq!(lines[1], "database: /cache/db (46600 records, newest 2024-04-30T12:00:00Z)");
    assert_eq!(lines[2], "compared with run 41");
    assert_eq!(
        lines[3],
        "coverage: repositories 6 listed, 5 selected, 1 failed; 7 tags; images 5 (2 analysed, 2 from store, 1 stale); layers 10 downloaded, 20 from store; 1.5 MiB in 42 requests"
    );
    assert_eq!(
        lines[4],
        "PARTIAL RUN: 1 repository and 1 tag or image could not be read; 1 image is carried forward from earlier runs, not checked in this one"
    );
    let app = lines.iter().position(|l| *l == "app:1.0,latest (linux/amd64) sha256:aaaaaaaaaaaa").unwrap();
    assert_eq!(lines[app + 1], "  new: 1 critical, 1 unknown; unchanged: 1 high; fixed: 1");
    assert!(
        lines[app + 2].starts_with("  NEW   CRITICAL CVE-2024-0001        openssl 3.0.1  fixed in 3.0.2"),
        "{}",
        lines[app + 2]
    );
    assert!(
        lines[app + 3].starts_with("  NEW   UNKNOWN  CVE-2022-0003        bash 5.1  no fix published"),
        "{}",
        lines[app + 3]
    );
    assert!(lines[app + 4].starts_with("  FIXED high     CVE-2021-0009        curl 7.74.0"), "{}", lines[app + 4]);
    assert!(!text.contains("zlib"), "unchanged findings are counted, not listed");
    assert!(!text.contains("RUSTSEC-2020-0001"), "informational advisories are not listed");
    assert!(text.contains("old:stable (linux/amd64) sha256:eeeeeeeeeeee [stale: not read in this run, carried forward]\n  stale: 1 high\n"));
    assert!(text.contains("\n1 image without vulnerabilities\n"));
    assert!(text.contains("Moved tags\n  app:latest  sha256:000000000000 -> sha256:aaaaaaaaaaaa\n"));
    assert!(text.contains("Disappeared tags\n  app:0.9  was sha256:999999999999\n"));
    assert!(text.contains(
        "Failures (partial run)\n  invalid (1)\n    evil\\x1b[2J|`x`:x|y: digest mismatch\\n\\x1b[2Jcustoms: 0 vulnerabilities`|\n  unauthorized (1)\n    private: 401 Unauthorized: set credentials for reg.example:5000\n"
    ), "{text}");
    assert_eq!(
        lines.last().unwrap(),
        &"customs: 4 new, 1 fixed, 1 unchanged, 1 stale vulnerabilities in 5 images (1 repository and 1 tag or image failed: partial run)"
    );
}

#[test]
fn table_escapes_everything_the_registry_supplied() {
    let report = sample_report();
    let plain = render(&report, RegistryFormat::Table, &PLAIN);
    assert!(!plain.contains('\x1b') && !plain.contains('\x07'), "no raw control reaches the terminal");
    assert!(
        plain.contains("evil\\x1b[2J|`x`:t\\n## Approved|` (linux/amd64\\x1b[0m) sha256:cccccccccccc\n"),
        "{plain}"
    );
    assert!(plain.contains("pkg\\x1b]0;title\\x07<b> 1.0\\n"));
    assert!(!plain.lines().any(|l| l.starts_with("## Approved") || l.starts_with("customs: 0")));
    let coloured = render(&report, RegistryFormat::Table, &RenderOptions { colour: true, only_new: false });
    assert!(coloured.contains("\x1b[1mapp:1.0,latest\x1b[0m"));
    assert!(only_colour_escapes(&coloured), "every ESC is customs' own colour: {coloured:?}");
}

#[test]
fn table_since_last_lists_only_what_is_new() {
    let text = render(&sample_report(), RegistryFormat::Table, &RenderOptions { colour: false, only_new: true });
    assert!(text.contains("app:1.0,latest (linux/arm64) sha256:bbbbbbbbbbbb\n  new: 1 critical\n"));
    assert!(!text.contains("FIXED"), "{text}");
    assert!(!text.contains("old:stable"));
    assert!(text.contains("\n2 images without new vulnerabilities\n"));
}

#[test]
fn complete_runs_do_not_say_partial() {
    let report = complete_report();
    assert_eq!(partial_reason(&report), None);
    for format in RegistryFormat::ALL {
        let text = render(&report, format, &PLAIN).to_lowercase();
        assert!(!text.contains("partial run"), "{format}: {text}");
    }
    let table = render(&report, RegistryFormat::Table, &PLAIN);
    assert!(table.ends_with("customs: 4 new, 1 fixed, 1 unchanged vulnerabilities in 4 images\n"), "{table}");
    let mut first = complete_report();
    first.run.compared_with = None;
    assert!(render(&first, RegistryFormat::Table, &PLAIN)
        .contains("\ncompared with: nothing (first run: every finding is new)\n"));
}

#[test]
fn json_is_the_run_report_under_its_schema() {
    let doc: Value = serde_json::from_str(&render(&sample_report(), RegistryFormat::Json, &PLAIN)).unwrap();
    assert_eq!(doc["schema"], "customs-registry-run/1");
    assert_eq!(doc["tool"]["name"], "customs");
    assert_eq!(doc.get("only_new"), None);
    assert_eq!(doc["run"]["id"], 42);
    assert_eq!(doc["run"]["kind"], "scan");
    assert_eq!(doc["run"]["partial"], true);
    assert_eq!(doc["run"]["compared_with"], 41);
    assert_eq!(doc["coverage"]["images_stale"], 1);
    assert_eq!(doc["summary"]["new"], 4);
    let images = doc["images"].as_array().unwrap();
    assert_eq!(images.len(), 5);
    assert_eq!(images[0]["changes"], serde_json::json!(["new", "unchanged", "new", "new"]));
    assert_eq!(images[0]["source"], "analysed");
    assert_eq!(images[0]["result"]["findings"][1]["id"], "CVE-2023-0002");
    assert_eq!(images[0]["result"]["image"]["platform"], "linux/amd64");
    assert_eq!(images[0]["fixed"][0]["package"], "curl");
    assert_eq!(images[4]["source"], "stale");
    assert_eq!(doc["failures"][0]["reason"], "unauthorized");
    assert_eq!(doc["failures"][0].get("tag"), None);
    assert_eq!(doc["failures"][1]["reason"], "invalid");
    // Registry strings are carried exactly; JSON escapes them.
    assert_eq!(doc["failures"][1]["message"], EVIL_MESSAGE);
    assert_eq!(images[2]["repository"], EVIL_REPOSITORY);
    assert_eq!(doc["moved_tags"][0]["from"], digest('0'));
    assert_eq!(doc["disappeared"][0]["tag"], "0.9");
}

#[test]
fn json_since_last_keeps_only_new_vulnerabilities() {
    let options = RenderOptions { colour: false, only_new: true };
    let doc: Value = serde_json::from_str(&render(&sample_report(), RegistryFormat::Json, &options)).unwrap();
    assert_eq!(doc["schema"], "customs-registry-run/1");
    assert_eq!(doc["only_new"], true);
    let images = doc["images"].as_array().unwrap();
    let digests: Vec<&str> = images.iter().map(|i| i["digest"].as_str().unwrap()).collect();
    assert_eq!(digests, [digest('a'), digest('b'), digest('c')]);
    let ids: Vec<&str> =
        images[0]["result"]["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["CVE-2024-0001", "CVE-2022-0003"]);
    assert_eq!(images[0]["changes"], serde_json::json!(["new", "new"]));
    assert_eq!(images[0]["fixed"], serde_json::json!([]));
    assert_eq!(doc["summary"]["unchanged"], 1, "the counts stay the run's");
}

#[test]
fn markdown_summarises_for_an_issue() {
    let text = render(&sample_report(), RegistryFormat::Markdown, &PLAIN);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "## customs registry scan of `reg.example:5000`: 4 new, 1 fixed, 1 unchanged vulnerabilities in 5 images (partial run)"
    );
    assert_eq!(
        lines[2],
        "**Partial run: 1 repository and 1 tag or image could not be read; 1 image is carried forward from earlier runs, not checked in this one.** What could not be read is neither new nor fixed here; see Failures below."
    );
    assert!(text.contains("\nRun 42, 2024-05-01T10:00:00Z to 2024-05-01T10:05:00Z, compared with run 41; advisories up to 2024-04-30T12:00:00Z.\n"));
    assert!(text.contains("\nCoverage: 5 repositories of 6 listed (1 failed), 7 tags, 5 images (2 analysed, 2 from the store, 1 stale), 10 layers downloaded (1.5 MiB), 20 from the store, 42 requests.\n"), "{text}");
    assert!(text.contains("\n| `app:1.0,latest` | linux/amd64 | 2 | 1 | 0 | 0 | 0 | 1 |\n"));
    assert!(text.contains("\n| `app:1.0,latest` | linux/arm64 | 1 | 1 | 0 | 0 | 0 | 0 |\n"));
    assert!(
        text.contains("\n| critical | CVE-2024-0001 | openssl | 3.0.1 | 3.0.2 | `app:1.0,latest (linux/amd64)` |\n")
    );
    assert!(text.contains("\n| unknown | CVE-2022-0003 | bash | 5.1 | — | `app:1.0,latest (linux/amd64)` |\n"));
    assert!(!text.contains("zlib") && !text.contains("perl"), "only new findings are listed");
    assert!(text.contains("\nFixed since run 41: **1** in 1 image.\n"));
    assert!(text.contains(
        "\n1 vulnerability of an image that could not be read is carried forward from earlier runs, not checked again.\n"
    ));
    assert!(text.contains("\n| unauthorized | `private` | 401 Unauthorized: set credentials for reg.example:5000 |\n"));
    assert!(text.contains("\n| `app:latest` | `sha256:000000000000` | `sha256:aaaaaaaaaaaa` |\n"));
    assert!(text.contains("\n| `app:0.9` | `sha256:999999999999` |\n"));
}

/// The number of `|` that separate cells: those not escaped and not inside a code span.
fn cell_separators(row: &str) -> usize {
    let mut count = 0;
    let mut chars = row.chars().peekable();
    let mut fence: Option<usize> = None;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '`' => {
                let mut run = 1;
                while chars.peek() == Some(&'`') {
                    chars.next();
                    run += 1;
                }
                fence = match fence {
                    None => Some(run),
                    Some(open) if open == run => None,
                    other => other,
                };
            }
            '|' if fence.is_none() => count += 1,
            _ => {}
        }
    }
    count
}

#[test]
fn markdown_escapes_everything_the_registry_supplied() {
    let text = render(&sample_report(), RegistryFormat::Markdown, &PLAIN);
    assert!(!text.contains('\x1b') && !text.contains('\x07') && !text.contains("<b>"));
    assert!(!text.lines().any(|l| l.starts_with("## Approved")), "no line break escapes a cell");
    // Every table row has as many cells as its header.
    let mut columns = 0;
    for line in text.lines() {
        if line.starts_with("|---") || !line.starts_with('|') {
            columns = if line.starts_with('|') { columns } else { 0 };
            continue;
        }
        if columns == 0 {
            columns = cell_separators(line);
        }
        assert_eq!(cell_separators(line), columns, "{line}");
    }
    assert!(text.contains("``evil\\x1b[2J\\|`x`:t\\n## Approved\\|` (linux/amd64\\x1b[0m)``"), "{text}");
    assert!(text.contains("| CVE-2024-0004\\|\\` | pkg\\\\x1b\\]0;title\\\\x07&lt;b&gt; | 1.0\\\\n |"), "{text}");
    assert!(text.contains("| invalid | ``evil\\x1b[2J\\|`x`:x\\|y`` | digest mismatch\\\\n\\\\x1b\\[2Jcustoms: 0 vulnerabilities\\`\\| |"), "{text}");
}

#[test]
fn markdown_cuts_the_findings_at_fifty() {
    let mut report = complete_report();
    let many: Vec<(Finding, Change)> = (0..60)
        .map(|i| (finding(&format!("CVE-2024-{i:04}"), "lib", "1", Some(Rating::Low), &[]), Change::New))
        .collect();
    report.images.push(image("reg.example:5000/big", &["1"], digest('f'), "linux/amd64", many, ImageSource::Analysed));
    let text = render(&report, RegistryFormat::Markdown, &PLAIN);
    let rows = text.lines().filter(|l| l.starts_with("| low | CVE-2024-")).count();
    assert_eq!(rows, 50 - 3, "the 3 worse rated findings of the other images come first");
    assert!(!text.contains("| unknown | CVE-2022-0003"), "the unrated finding goes after every rated one: {text}");
    assert!(
        text.contains("\n…and 14 more new vulnerabilities not shown here; `-f json` or `-f table` lists them all.\n"),
        "{text}"
    );
    assert!(text.contains("\n| `big:1` | linux/amd64 | 60 | 0 | 0 | 0 | 60 | 0 |\n"));
}
