//! The registry SARIF: schema-valid, one run per image with the results `customs scan
//! --image` gives, categories that survive a rebuild, the sweep's failures as
//! notifications.

use serde_json::Value;

use super::*;
use crate::report::registry::sarif::{render_documents, MAX_RUNS};
use crate::report::sarif::SarifOptions;

/// Violations of the SARIF 2.1.0 schema in `../shared/schemas` (self-contained: no
/// reference leaves the file).
fn schema_errors(doc: &Value) -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = [dir.join("../shared/schemas"), dir.join("../../shared/schemas")]
        .into_iter()
        .find(|d| d.is_dir())
        .expect("../shared/schemas is missing")
        .join("sarif-schema-2.1.0.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::options().should_validate_formats(true).build(&schema).expect("schema compiles");
    validator.iter_errors(doc).map(|e| format!("{e} at {}", e.instance_path())).collect()
}

fn sarif(report: &RunReport) -> Value {
    serde_json::from_str(&render(report, RegistryFormat::Sarif, &PLAIN)).unwrap()
}

fn ids(doc: &Value) -> Vec<String> {
    doc["runs"].as_array().unwrap().iter().map(|r| r["automationDetails"]["id"].as_str().unwrap().to_string()).collect()
}

/// What GitHub groups by: the id up to its last `/`.
fn category(id: &str) -> &str {
    &id[..id.rfind('/').unwrap()]
}

fn notifications(run: &Value) -> Vec<(String, String, String)> {
    run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["level"].as_str().unwrap().to_string(),
                n["descriptor"]["id"].as_str().unwrap().to_string(),
                n["message"]["text"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn sarif_is_schema_valid_with_one_run_per_image() {
    let doc = sarif(&sample_report());
    assert_eq!(schema_errors(&doc), Vec::<String>::new());
    assert_eq!(doc["version"], "2.1.0");
    assert_eq!(
        ids(&doc),
        [
            "customs/registry/reg.example:5000/42",
            "customs/registry/reg.example:5000/app:1.0/linux/amd64/sha256:aaaaaaaaaaaa",
            "customs/registry/reg.example:5000/app:1.0/linux/arm64/sha256:bbbbbbbbbbbb",
            "customs/registry/reg.example:5000/evil--2J--x-:t----Approved--/linux/amd64--0m/sha256:cccccccccccc",
            "customs/registry/reg.example:5000/base:3.19/linux/amd64/sha256:dddddddddddd",
            "customs/registry/reg.example:5000/old:stable/linux/amd64/sha256:eeeeeeeeeeee",
        ]
    );
    let app = &doc["runs"][1];
    assert_eq!(app["properties"]["repository"], "reg.example:5000/app");
    assert_eq!(app["properties"]["tags"], serde_json::json!(["1.0", "latest"]));
    assert_eq!(app["properties"]["fixed"][0]["id"], "CVE-2021-0009");
    assert_eq!(app["invocations"][0]["executionSuccessful"], true);
    let changes: Vec<(&str, &str)> = app["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["ruleId"].as_str().unwrap(), r["properties"]["change"].as_str().unwrap()))
        .collect();
    assert_eq!(
        changes,
        [
            ("CVE-2024-0001", "new"),
            ("CVE-2023-0002", "unchanged"),
            ("CVE-2022-0003", "new"),
            ("RUSTSEC-2020-0001", "new"),
        ]
    );
}

#[test]
fn image_runs_carry_what_scan_gives_for_the_image() {
    let report = sample_report();
    let doc = sarif(&report);
    for (i, image) in report.images.iter().enumerate() {
        let scan: Value =
            serde_json::from_str(&crate::report::sarif::render(&image.result, &SarifOptions::default())).unwrap();
        let scan = &scan["runs"][0];
        let mut run = doc["runs"][i + 1].clone();
        for result in run["results"].as_array_mut().unwrap() {
            result["properties"].as_object_mut().unwrap().remove("change").expect("every finding has its change");
        }
        assert_eq!(run["results"], scan["results"], "image {i}");
        assert_eq!(run["tool"], scan["tool"], "image {i}");
        assert_eq!(run["originalUriBaseIds"], scan["originalUriBaseIds"], "image {i}");
    }
}

#[test]
fn categories_survive_a_rebuild_and_stay_unique() {
    let before = sample_report();
    let mut after = sample_report();
    after.images[0].digest = digest('7');
    after.images[0].tags = vec!["latest".into(), "1.0".into(), "1.0.1".into()];
    let (before, after) = (ids(&sarif(&before)), ids(&sarif(&after)));
    assert_ne!(before[1], after[1], "the run id part names the digest");
    assert_eq!(category(&before[1]), category(&after[1]), "the category does not");
    assert_eq!(category(&after[1]), "customs/registry/reg.example:5000/app:1.0/linux/amd64");

    // Two images that would share a category (same first tag and platform) are told apart.
    let mut report = complete_report();
    let mut twin = image("reg.example:5000/app", &["1.0"], digest('5'), "linux/amd64", vec![], ImageSource::Analysed);
    twin.tags = vec!["1.0".into()];
    report.images.push(twin);
    let untagged = image("reg.example:5000/app", &[], digest('6'), "linux/amd64", vec![], ImageSource::Analysed);
    report.images.push(untagged);
    let doc = sarif(&report);
    let categories: Vec<String> = ids(&doc).iter().map(|id| category(id).to_string()).collect();
    let mut unique = categories.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), categories.len(), "{categories:?}");
    assert_eq!(categories[5], "customs/registry/reg.example:5000/app:1.0@sha256:555555555555/linux/amd64");
    assert_eq!(categories[6], "customs/registry/reg.example:5000/app@sha256:666666666666/linux/amd64");
    assert_eq!(schema_errors(&doc), Vec::<String>::new());
}

#[test]
fn failures_and_stale_images_are_notifications_of_an_unsuccessful_run() {
    let doc = sarif(&sample_report());
    let sweep = &doc["runs"][0];
    assert_eq!(sweep["invocations"][0]["executionSuccessful"], false);
    assert_eq!(sweep["results"], serde_json::json!([]));
    assert_eq!(sweep["properties"]["partial"], true);
    assert_eq!(sweep["properties"]["summary"]["new"], 4);
    let notes = notifications(sweep);
    let expected: Vec<(String, String, String)> = [
        ("error", "customs/registry-partial-run", "Partial run: 1 repository and 1 tag or image could not be read; 1 image is carried forward from earlier runs, not checked in this one."),
        ("error", "customs/registry-failure/unauthorized", "private could not be read (unauthorized): 401 Unauthorized: set credentials for reg.example:5000"),
        ("error", "customs/registry-failure/invalid", "evil\\x1b[2J|`x`:x|y could not be read (invalid): digest mismatch\\n\\x1b[2Jcustoms: 0 vulnerabilities`|"),
        ("note", "customs/registry-tag-moved", &format!("app:latest moved from {} to {}.", digest('0'), digest('a'))),
        ("note", "customs/registry-tag-disappeared", &format!("app:0.9 is gone from the registry (it was {}).", digest('9'))),
    ]
    .iter()
    .map(|(l, d, t)| (l.to_string(), d.to_string(), t.to_string()))
    .collect();
    assert_eq!(notes, expected);

    let stale = &doc["runs"][5];
    assert_eq!(stale["invocations"][0]["executionSuccessful"], false);
    assert_eq!(
        notifications(stale),
        [(
            "warning".to_string(),
            "customs/registry-stale-image".to_string(),
            "old:stable (linux/amd64) could not be read in run 42: these results are carried forward from an earlier run and were not checked again.".to_string()
        )]
    );
    assert_eq!(stale["results"][0]["properties"]["change"], "stale");

    let complete = sarif(&complete_report());
    assert_eq!(complete["runs"][0]["invocations"][0]["executionSuccessful"], true);
    assert_eq!(complete["runs"][0]["properties"]["partial"], false);
}

#[test]
fn no_raw_control_characters_reach_sarif_texts() {
    let text = render(&sample_report(), RegistryFormat::Sarif, &PLAIN);
    // JSON would write a raw ESC as \u001b: none of the texts made for people has one.
    let doc: Value = serde_json::from_str(&text).unwrap();
    for run in doc["runs"].as_array().unwrap() {
        for (_, _, message) in notifications(run) {
            assert!(!message.chars().any(char::is_control), "{message:?}");
        }
        for result in run["results"].as_array().unwrap() {
            let message = result["message"]["text"].as_str().unwrap();
            assert!(!message.chars().any(char::is_control), "{message:?}");
        }
        let id = run["automationDetails"]["id"].as_str().unwrap();
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric() || "._-:@/".contains(c)), "{id:?}");
    }
}

#[test]
fn large_sweeps_split_into_uploads_github_accepts() {
    let mut report = complete_report();
    for i in 0..25 {
        let tag = format!("v{i}");
        report.images.push(image(
            "reg.example:5000/many",
            &[tag.as_str()],
            digest('f'),
            "linux/amd64",
            vec![],
            ImageSource::Store,
        ));
    }
    let whole = sarif(&report);
    assert_eq!(whole["runs"].as_array().unwrap().len(), 30);
    let warning = notifications(&whole["runs"][0]).into_iter().find(|n| n.1 == "customs/registry-too-many-runs");
    assert!(warning.is_some_and(|n| n.2.starts_with("This document has 30 runs")));

    let documents = render_documents(&report, MAX_RUNS);
    let docs: Vec<Value> = documents.iter().map(|d| serde_json::from_str(d).unwrap()).collect();
    let counts: Vec<usize> = docs.iter().map(|d| d["runs"].as_array().unwrap().len()).collect();
    assert_eq!(counts, [20, 10]);
    let mut all: Vec<String> = docs.iter().flat_map(ids).collect();
    assert_eq!(all, ids(&whole), "every run once, in order");
    all.retain(|id| id.ends_with("/42"));
    assert_eq!(all.len(), 1, "the sweep's run is in the first upload only");
    for doc in &docs {
        assert_eq!(schema_errors(doc), Vec::<String>::new());
        assert!(notifications(&doc["runs"][0]).iter().all(|n| n.1 != "customs/registry-too-many-runs"));
    }
}
