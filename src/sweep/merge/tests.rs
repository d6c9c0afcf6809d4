//! Merges of shard stores written through the store's own calls, as a sweep writes
//! them: what the merged run holds, and every refusal's exact message.

use std::path::PathBuf;

use super::*;
use crate::report::registry::tests::{digest, finding, image};
use crate::sweep::outcome::*;
use crate::sweep::store::SeenImage;

const REGISTRY: &str = "reg.example";
const SELECTION: &str = "repo=[] exclude=[] repos-from=catalog tags=Latest platforms=all";

/// What one shard store holds: its newest run and the images it saw.
struct ShardSpec<'a> {
    name: &'a str,
    registry: &'a str,
    shard: Option<Shard>,
    selection: &'a str,
    /// `None`: interrupted.
    finished: Option<&'a str>,
    /// `(repository, digest letter)`.
    images: &'a [(&'a str, char)],
}

impl<'a> ShardSpec<'a> {
    fn new(name: &'a str, index: u32, count: u32, images: &'a [(&'a str, char)]) -> ShardSpec<'a> {
        ShardSpec {
            name,
            registry: REGISTRY,
            shard: Some(Shard::new(index, count).unwrap()),
            selection: SELECTION,
            finished: Some("2026-12-01T01:00:00Z"),
            images,
        }
    }

    fn write(&self, dir: &Path) -> PathBuf {
        let path = dir.join(self.name);
        let store = Store::open(&path).unwrap();
        let run = store.begin_run(self.registry, RunKind::Scan, "db-1", "2026-12-01T00:00:00Z").unwrap();
        store.record_run_sharding(run, self.shard, self.selection).unwrap();
        let mut images = Vec::new();
        for (repository, letter) in self.images {
            let digest = digest(*letter);
            let inventory = format!("{{\"image\":\"{digest}\"}}");
            let packages = [("npm".to_string(), format!("pkg-{letter}"), "1.0.0".to_string())];
            let stamp = "2026-12-01T00:30:00Z";
            store
                .record_image(&digest, "analysers-1", "linux/amd64", &[], inventory.as_bytes(), &packages, stamp)
                .unwrap();
            store.put_layer(&format!("layer-{letter}"), &digest, b"analysis", stamp);
            let seen = SeenImage {
                repository: repository.to_string(),
                tag: "latest".into(),
                top_digest: digest.clone(),
                image_digest: digest.clone(),
                platform: "linux/amd64".into(),
            };
            store.record_seen(run, &seen).unwrap();
            let found = finding(&format!("X-{letter}"), &format!("pkg-{letter}"), "1.0.0", None, &[]);
            store
                .record_findings(
                    self.registry,
                    run,
                    repository,
                    &digest,
                    "linux/amd64",
                    &[compare_recorded(&found)],
                    stamp,
                )
                .unwrap();
            images.push(image(
                &format!("{}/{repository}", self.registry),
                &["latest"],
                digest,
                "linux/amd64",
                vec![(found, Change::New)],
                ImageSource::Analysed,
            ));
        }
        if let Some(finished) = self.finished {
            let repositories: BTreeSet<&str> = self.images.iter().map(|(r, _)| *r).collect();
            let report = RunReport {
                run: RunInfo {
                    id: run,
                    kind: RunKind::Scan,
                    registry: self.registry.into(),
                    started: "2026-12-01T00:00:00Z".into(),
                    finished: finished.into(),
                    customs_version: env!("CARGO_PKG_VERSION").into(),
                    database: None,
                    compared_with: None,
                    partial: false,
                    shard: self.shard,
                    missing_shards: None,
                },
                coverage: Coverage {
                    repositories_listed: 5,
                    repositories: repositories.len(),
                    tags: images.len(),
                    images: images.len(),
                    images_analysed: images.len(),
                    layers_downloaded: images.len(),
                    requests: 10,
                    ..Coverage::default()
                },
                summary: summarise(&images),
                images,
                moved_tags: vec![],
                disappeared: vec![],
                failures: vec![],
                warnings: vec![],
            };
            store.finish_run(run, &serde_json::to_vec(&report).unwrap(), false, finished).unwrap();
        }
        path
    }
}

fn compare_recorded(found: &crate::matching::Finding) -> crate::sweep::store::RecordedFinding {
    crate::sweep::compare::recorded(found)
}

fn merge_into(dir: &Path, shards: &[PathBuf], allow_incomplete: bool) -> (Store, anyhow::Result<RunReport>) {
    let store = Store::open(&dir.join("merged.db")).unwrap();
    let result = merge(&store, &MergeOptions { shards: shards.to_vec(), allow_incomplete });
    (store, result)
}

fn error_of(result: anyhow::Result<RunReport>) -> String {
    format!("{:#}", result.expect_err("the merge is refused"))
}

#[test]
fn merged_shards_are_one_run_holding_every_image_inventory_and_layer() {
    let dir = tempfile::tempdir().unwrap();
    let shards = [
        ShardSpec::new("s1.db", 1, 2, &[("c/three", 'c')]).write(dir.path()),
        ShardSpec::new("s0.db", 0, 2, &[("b/two", 'b'), ("a/one", 'a')]).write(dir.path()),
    ];
    let (store, result) = merge_into(dir.path(), &shards, false);
    let report = result.unwrap();
    assert_eq!(report.run.id, 1);
    let names: Vec<&str> = report.images.iter().map(|i| i.repository.as_str()).collect();
    assert_eq!(names, ["reg.example/a/one", "reg.example/b/two", "reg.example/c/three"]);
    let c = &report.coverage;
    assert_eq!(
        (c.repositories_listed, c.repositories, c.tags, c.images, c.images_analysed, c.layers_downloaded, c.requests),
        (5, 3, 3, 3, 3, 3, 20)
    );
    assert_eq!(
        (report.summary.vulnerabilities, report.summary.new, report.summary.distinct_vulnerabilities),
        (3, 3, 3)
    );
    assert_eq!((report.run.partial, report.run.shard, &report.run.missing_shards), (false, None, &None));
    assert_eq!(report.warnings, Vec::<String>::new());

    // The stored report is the one returned; the run row knows it merged 2 shards.
    let stored: serde_json::Value = serde_json::from_slice(&store.run_report(1).unwrap().unwrap()).unwrap();
    assert_eq!(stored, serde_json::to_value(&report).unwrap());
    let sharding = store.run_sharding(1).unwrap().unwrap();
    assert_eq!((sharding.shard, sharding.count, sharding.missing.len()), (None, Some(2), 0));
    assert_eq!(store.latest_finished_run(Some(REGISTRY)).unwrap(), Some(1));

    // What a rematch of the merged store reads: every seen image, inventory, finding.
    let seen: Vec<String> = store.seen(1).unwrap().into_iter().map(|s| s.repository).collect();
    assert_eq!(seen, ["a/one", "b/two", "c/three"]);
    for letter in ['a', 'b', 'c'] {
        let stored = store.image(&digest(letter), "analysers-1").unwrap().expect("inventory merged");
        assert_eq!(stored.inventory, format!("{{\"image\":\"{}\"}}", digest(letter)).into_bytes());
        assert_eq!(store.images_with_package("npm", &format!("pkg-{letter}"), None).unwrap(), [digest(letter)]);
    }
    let findings = store.findings(1, "c/three", &digest('c')).unwrap();
    assert_eq!(findings.iter().map(|f| f.key.advisory.as_str()).collect::<Vec<_>>(), ["X-c"]);
    assert_eq!(store.layer_count().unwrap(), 3);
}

#[test]
fn shards_of_different_sweeps_are_refused_naming_both_stores() {
    let dir = tempfile::tempdir().unwrap();
    let zero = ShardSpec::new("s0.db", 0, 2, &[("a/one", 'a')]).write(dir.path());
    let cases: [(ShardSpec, String); 3] = [
        (
            ShardSpec { registry: "other.example", ..ShardSpec::new("other.db", 1, 2, &[("b/two", 'b')]) },
            "{zero} swept reg.example but {other} swept other.example: merge only the shards of one sweep".into(),
        ),
        (
            ShardSpec::new("other.db", 1, 3, &[("b/two", 'b')]),
            "{zero} is shard 0/2 but {other} is shard 1/3: the shard counts differ; merge only the shards of one sweep".into(),
        ),
        (
            ShardSpec { selection: "repo=[\"team-a/*\"]", ..ShardSpec::new("other.db", 1, 2, &[("b/two", 'b')]) },
            format!("{{zero}} and {{other}} selected different repositories or tags ({SELECTION} / repo=[\"team-a/*\"]): merge only the shards of one sweep"),
        ),
    ];
    for (spec, expected) in cases {
        let _ = std::fs::remove_file(dir.path().join("other.db"));
        let other = spec.write(dir.path());
        let (store, result) = merge_into(dir.path(), &[zero.clone(), other.clone()], false);
        let expected =
            expected.replace("{zero}", &zero.display().to_string()).replace("{other}", &other.display().to_string());
        assert_eq!(error_of(result), expected);
        assert_eq!(store.runs().unwrap(), vec![], "a refused merge writes no run");
    }
}

#[test]
fn an_interrupted_shard_is_refused_unless_allowed_and_then_counts_as_missing() {
    let dir = tempfile::tempdir().unwrap();
    let shards = [
        ShardSpec::new("s0.db", 0, 3, &[("a/one", 'a')]).write(dir.path()),
        ShardSpec { finished: None, ..ShardSpec::new("s1.db", 1, 3, &[("b/two", 'b')]) }.write(dir.path()),
    ];
    let (store, result) = merge_into(dir.path(), &shards, false);
    let s1 = shards[1].display();
    assert_eq!(
        error_of(result),
        format!(
            "{s1}: the run of shard 1/3 (1) was interrupted and never finished; finish it (`customs registry scan reg.example --shard 1/3 --store {s1} --resume` and the sweep's other flags) or merge without it (--allow-incomplete)"
        )
    );
    assert_eq!(store.runs().unwrap(), vec![]);
    drop(store);

    let (store, result) = merge_into(dir.path(), &shards, true);
    let report = result.unwrap();
    assert_eq!(report.run.missing_shards, Some(MissingShards { of: 3, indices: vec![1, 2] }));
    assert!(report.run.partial);
    assert_eq!(
        report.warnings,
        [
            format!("shard 1/3 ({s1}): its run 1 was interrupted; left out of the merge (--allow-incomplete)"),
            "incomplete run: shards 1, 2 of 3 are missing; their repositories are not in this report".to_string(),
        ]
    );
    assert_eq!(store.run_sharding(report.run.id).unwrap().unwrap().missing, [1, 2]);
    assert_eq!(
        crate::report::registry::partial_reason(&report).unwrap(),
        "incomplete: 2 shards (1, 2) of 3 missing, not swept"
    );
    // The interrupted shard's images are not in the merged run.
    assert_eq!(store.seen(report.run.id).unwrap().len(), 1);
}

#[test]
fn a_shard_given_twice_is_merged_once_from_the_run_that_finished_last() {
    let dir = tempfile::tempdir().unwrap();
    let older =
        ShardSpec { finished: Some("2026-12-01T00:50:00Z"), ..ShardSpec::new("old.db", 0, 1, &[("a/one", 'a')]) };
    let shards =
        [ShardSpec::new("new.db", 0, 1, &[("a/one", 'a'), ("b/two", 'b')]).write(dir.path()), older.write(dir.path())];
    let (store, result) = merge_into(dir.path(), &shards, false);
    let report = result.unwrap();
    assert_eq!(report.images.len(), 2);
    assert_eq!(report.coverage.repositories, 2);
    assert_eq!(
        report.warnings,
        [format!(
            "shard 0/1 given twice ({} and {}); the run that finished last ({}) is merged",
            shards[1].display(),
            shards[0].display(),
            shards[0].display()
        )]
    );
    assert_eq!(store.seen(report.run.id).unwrap().len(), 2);
}

#[test]
fn what_is_no_shard_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let whole = ShardSpec { shard: None, ..ShardSpec::new("whole.db", 0, 1, &[("a/one", 'a')]) }.write(dir.path());
    let (store, result) = merge_into(dir.path(), std::slice::from_ref(&whole), false);
    assert_eq!(
        error_of(result),
        format!(
            "{}: its newest run (1) swept reg.example without --shard; `registry merge` combines the runs of `registry scan --shard I/N`",
            whole.display()
        )
    );
    let merged = store.file().unwrap().to_path_buf();
    let (_, result) = merge_into(dir.path(), std::slice::from_ref(&merged), false);
    assert_eq!(
        error_of(result),
        format!("{} is the merged store itself; give the shard stores and another --store", merged.display())
    );
    let empty = dir.path().join("empty.db");
    Store::open(&empty).unwrap();
    let (_, result) = merge_into(dir.path(), std::slice::from_ref(&empty), false);
    assert_eq!(error_of(result), format!("the shard store {} holds no `registry scan` run", empty.display()));
    let (_, result) = merge_into(dir.path(), &[], false);
    assert_eq!(error_of(result), "no shard stores to merge: give the files the `registry scan --shard I/N` jobs wrote");
}

#[test]
fn a_selection_names_every_choice_and_ignores_the_order_of_a_repository_list() {
    use crate::sweep::run::SweepOptions;
    use crate::sweep::select::{RepoFilter, TagSelection};
    let options = |list: Option<&[&str]>, tags: &str, include: &[&str], shard: Option<Shard>| SweepOptions {
        registry: REGISTRY.into(),
        repositories: RepoFilter { include: include.iter().map(|s| s.to_string()).collect(), exclude: vec![] },
        repository_list: list.map(|l| l.iter().map(|s| s.to_string()).collect()),
        tags: tags.parse::<TagSelection>().unwrap(),
        platforms: None,
        concurrency: 4,
        requests_per_second: None,
        catalog_page_size: None,
        resume: false,
        shard,
    };
    let base = options(Some(&["b/two", "a/one"]), "latest", &[], Shard::new(0, 2).ok()).selection();
    let sha = format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(b"a/one\nb/two"));
    assert_eq!(base, format!("repo=[] exclude=[] repos-from={sha} tags=Latest platforms=all"));
    // Another shard, concurrency or list order: the same sweep.
    assert_eq!(options(Some(&["a/one", "b/two"]), "latest", &[], Shard::new(1, 2).ok()).selection(), base);
    // Another list, tag selection or filter: another sweep.
    for other in [
        options(Some(&["a/one"]), "latest", &[], None),
        options(None, "latest", &[], None),
        options(Some(&["a/one", "b/two"]), "all", &[], None),
        options(Some(&["a/one", "b/two"]), "latest", &["a/*"], None),
    ] {
        assert_ne!(other.selection(), base);
    }
}
