//! `action.yml` against the action metadata rules, and the documented workflows and
//! `docs/github-action.md` against `action.yml`.

use std::collections::BTreeSet;

use super::*;

/// The `${{ … }}` expressions in a text.
fn expressions(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        let Some(len) = rest[start..].find("}}") else { break };
        out.push(&rest[start + 3..start + len]);
        rest = &rest[start + len + 2..];
    }
    out
}

/// The names after `prefix` (e.g. `inputs.`) in an expression: `inputs.fail-on` → `fail-on`.
fn references<'a>(expression: &'a str, prefix: &str) -> Vec<&'a str> {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    expression
        .match_indices(prefix)
        .filter(|(at, _)| !expression[..*at].ends_with(|c: char| is_name(c) || c == '.'))
        .map(|(at, _)| {
            let rest = &expression[at + prefix.len()..];
            &rest[..rest.find(|c| !is_name(c)).unwrap_or(rest.len())]
        })
        .filter(|name| !name.is_empty())
        .collect()
}

/// `INPUT_…` variable names a script reads.
fn input_variables(script: &str) -> BTreeSet<String> {
    script
        .match_indices("INPUT_")
        .map(|(at, _)| {
            let rest = &script[at..];
            rest[..rest
                .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
                .unwrap_or(rest.len())]
                .to_string()
        })
        .filter(|name| name.len() > "INPUT_".len())
        .collect()
}

/// A version pin: `owner/repo@v4` or a commit, not a branch.
fn pinned(uses: &str) -> bool {
    uses.rsplit_once('@').is_some_and(|(_, at)| !at.is_empty() && !["main", "master", "HEAD", "latest"].contains(&at))
}

fn keys(value: &Value) -> Vec<&str> {
    value.as_object().map(|m| m.keys().map(String::as_str).collect()).unwrap_or_default()
}

/// Every way an action.yml breaks the action metadata rules, given the scripts
/// (`action/NAME` → text) its steps run.
fn metadata_violations(yaml: &str, scripts: &BTreeMap<String, String>) -> Vec<String> {
    let doc: Value = serde_yaml_ng::from_str(yaml).expect("action.yml is YAML");
    let mut out = Vec::new();
    for key in ["name", "description"] {
        if doc[key].as_str().is_none_or(|s| s.trim().is_empty()) {
            out.push(format!("no {key}"));
        }
    }
    if doc["runs"]["using"] != "composite" {
        out.push(format!("runs.using is {}, not composite", doc["runs"]["using"]));
    }
    let inputs = keys(&doc["inputs"]);
    for name in &inputs {
        if doc["inputs"][name]["description"].as_str().is_none_or(|s| s.trim().is_empty()) {
            out.push(format!("input {name} has no description"));
        }
    }
    let steps = doc["runs"]["steps"].as_array().cloned().unwrap_or_default();
    let ids: Vec<&str> = steps.iter().filter_map(|s| s["id"].as_str()).collect();
    for (i, step) in steps.iter().enumerate() {
        let label = step["id"].as_str().map(str::to_string).unwrap_or_else(|| format!("#{}", i + 1));
        match (step["run"].as_str(), step["uses"].as_str()) {
            (Some(run), None) => {
                if step["shell"].is_null() {
                    out.push(format!("step {label} runs without a shell"));
                }
                for (name, script) in scripts.iter().filter(|(name, _)| run.contains(&format!("action/{name}"))) {
                    let passed: BTreeSet<String> = keys(&step["env"])
                        .into_iter()
                        .filter(|k| k.starts_with("INPUT_"))
                        .map(str::to_string)
                        .collect();
                    let read = input_variables(script);
                    for missing in read.difference(&passed) {
                        out.push(format!("step {label}: {name} reads {missing}, which the step does not pass"));
                    }
                    for unread in passed.difference(&read) {
                        out.push(format!("step {label} passes {unread}, which {name} never reads"));
                    }
                    for variable in &passed {
                        let input = variable["INPUT_".len()..].to_ascii_lowercase().replace('_', "-");
                        if step["env"][variable] != format!("${{{{ inputs.{input} }}}}") {
                            out.push(format!("step {label}: {variable} is not ${{{{ inputs.{input} }}}}"));
                        }
                    }
                }
            }
            (None, Some(uses)) if !pinned(uses) => {
                out.push(format!("step {label} uses {uses} without pinning a version"))
            }
            (None, Some(_)) => {}
            _ => out.push(format!("step {label} needs exactly one of run and uses")),
        }
    }
    for name in keys(&doc["outputs"]) {
        match doc["outputs"][name]["value"].as_str() {
            None => out.push(format!("output {name} has no value")),
            Some(value) => {
                let from: Vec<&str> = expressions(value).into_iter().flat_map(|e| references(e, "steps.")).collect();
                if from.is_empty() {
                    out.push(format!("output {name} does not come from a step"));
                }
                for id in from.iter().filter(|id| !ids.contains(id)) {
                    out.push(format!("output {name} refers to step {id}, which does not exist"));
                }
            }
        }
    }
    // `if:` conditions are expressions without the `${{ }}`.
    let conditions = steps.iter().filter_map(|s| s["if"].as_str()).filter(|c| !c.contains("${{"));
    let all: Vec<&str> = expressions(yaml).into_iter().chain(conditions).collect();
    let used: BTreeSet<&str> = all.iter().flat_map(|e| references(e, "inputs.")).collect();
    for name in used.iter().filter(|name| !inputs.contains(name)) {
        out.push(format!("inputs.{name} is used but not declared"));
    }
    for name in inputs.iter().filter(|name| !used.contains(*name)) {
        out.push(format!("input {name} is declared but never used"));
    }
    for id in all.iter().flat_map(|e| references(e, "steps.")).filter(|id| !ids.contains(id)) {
        out.push(format!("steps.{id} does not exist"));
    }
    out
}

fn action_scripts() -> BTreeMap<String, String> {
    fs::read_dir(crate_dir().join("action"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sh"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), fs::read_to_string(&p).unwrap()))
        .collect()
}

#[test]
fn action_yml_follows_the_metadata_rules() {
    let yaml = fs::read_to_string(crate_dir().join("action.yml")).unwrap();
    assert_eq!(metadata_violations(&yaml, &action_scripts()), Vec::<String>::new());
    let doc: Value = serde_yaml_ng::from_str(&yaml).unwrap();
    assert_eq!(
        keys(&doc["outputs"]),
        ["critical", "exit-code", "high", "low", "medium", "report", "total", "unknown"],
        "the outputs run.sh writes"
    );
    let cache_keys: Vec<&str> = doc["runs"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["uses"] == "actions/cache@v4")
        .map(|s| s["with"]["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        cache_keys,
        [
            "customs-build-${{ runner.os }}-${{ steps.install.outputs.lock-hash }}",
            "customs-db-${{ steps.date.outputs.date }}"
        ]
    );
}

#[test]
fn the_action_doc_names_every_input_and_output() {
    let action: Value = serde_yaml_ng::from_str(&fs::read_to_string(crate_dir().join("action.yml")).unwrap()).unwrap();
    let doc = fs::read_to_string(crate_dir().join("docs/github-action.md")).unwrap();
    for name in keys(&action["inputs"]).into_iter().chain(keys(&action["outputs"])) {
        assert!(doc.contains(&format!("`{name}` |")) || doc.contains(&format!("`{name}`, ")), "{name} is undocumented");
    }
}

#[test]
fn the_metadata_check_itself_finds_each_kind_of_violation() {
    let broken = r#"
name: broken
runs:
  using: node20
  steps:
    - id: a
      run: bash "$GITHUB_ACTION_PATH/action/run.sh" ${{ inputs.missing }}
      env:
        INPUT_FORMAT: ${{ inputs.format }}
        INPUT_EXTRA: ${{ inputs.x }}
    - uses: actions/cache@main
      if: steps.ghost.outputs.build == 'true'
    - id: c
      uses: actions/checkout
inputs:
  x: {default: '1'}
  format: {description: the format}
  spare: {description: never used}
outputs:
  o: {description: d, value: '${{ steps.nope.outputs.o }}'}
  p: {description: d}
  q: {description: d, value: constant}
"#;
    let scripts: BTreeMap<String, String> =
        [("run.sh".to_string(), "echo \"$INPUT_FORMAT\" \"$INPUT_TARGET\"".to_string())].into_iter().collect();
    let mut found = metadata_violations(broken, &scripts);
    found.sort();
    let mut expected = vec![
        "no description",
        "runs.using is \"node20\", not composite",
        "input x has no description",
        "step a: run.sh reads INPUT_TARGET, which the step does not pass",
        "step a passes INPUT_EXTRA, which run.sh never reads",
        "step a: INPUT_EXTRA is not ${{ inputs.extra }}",
        "step a runs without a shell",
        "step #2 uses actions/cache@main without pinning a version",
        "step c uses actions/checkout without pinning a version",
        "output o refers to step nope, which does not exist",
        "output p has no value",
        "output q does not come from a step",
        "inputs.missing is used but not declared",
        "input spare is declared but never used",
        "steps.nope does not exist",
        "steps.ghost does not exist",
    ];
    expected.sort();
    assert_eq!(found, expected);
}

/// The documented workflows: every action pinned, this action given only inputs it
/// has, SARIF uploads allowed to write security events.
#[test]
fn documented_workflows_use_the_action_as_it_is() {
    let action: Value = serde_yaml_ng::from_str(&fs::read_to_string(crate_dir().join("action.yml")).unwrap()).unwrap();
    let inputs = keys(&action["inputs"]);
    let dir = crate_dir().join("docs/workflows");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert_eq!(files.len(), 6, "{files:?}");
    let mut scans = 0;
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy();
        let doc: Value = serde_yaml_ng::from_str(&fs::read_to_string(file).unwrap()).unwrap();
        assert!(doc["on"].is_object(), "{name}: no triggers");
        for (job_name, job) in doc["jobs"].as_object().unwrap_or_else(|| panic!("{name}: no jobs")) {
            let can_upload =
                job["permissions"]["security-events"] == "write" || doc["permissions"]["security-events"] == "write";
            for step in job["steps"].as_array().unwrap() {
                let Some(uses) = step["uses"].as_str() else { continue };
                assert!(pinned(uses), "{name} {job_name}: {uses} is not pinned");
                if uses.starts_with("github/codeql-action/upload-sarif@") {
                    assert!(can_upload, "{name} {job_name}: upload-sarif needs security-events: write");
                    assert_eq!(uses, "github/codeql-action/upload-sarif@v3");
                }
                if uses.split('@').next().unwrap().ends_with("/customs") {
                    scans += 1;
                    for key in keys(&step["with"]) {
                        assert!(inputs.contains(&key), "{name} {job_name}: the action has no input {key}");
                    }
                }
            }
        }
    }
    assert!(scans >= 3, "each workflow but the release runs the action");
}

/// The release workflow: each job has the permissions its steps need and no more
/// write access than that; the image is signed and attested by the digest it was pushed as.
#[test]
fn the_release_workflow_asks_for_what_its_steps_need() {
    let doc: Value =
        serde_yaml_ng::from_str(&fs::read_to_string(crate_dir().join("docs/workflows/release.yml")).unwrap()).unwrap();
    assert_eq!(doc["on"]["push"]["tags"], serde_json::json!(["v*"]));
    assert_eq!(doc["permissions"], serde_json::json!({"contents": "read"}));
    let mut writes = BTreeMap::new();
    for (job_name, job) in doc["jobs"].as_object().unwrap() {
        let steps = job["steps"].as_array().unwrap();
        let uses = |prefix: &str| steps.iter().any(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(prefix)));
        let runs = |needle: &str| steps.iter().any(|s| s["run"].as_str().is_some_and(|r| r.contains(needle)));
        let mut needed = BTreeSet::new();
        if uses("actions/attest-") {
            needed.extend(["id-token", "attestations"]);
        }
        if runs("cosign sign") {
            needed.insert("id-token");
        }
        if runs("--push ") {
            needed.insert("packages");
        }
        if runs("gh release create") {
            needed.insert("contents");
        }
        let granted: BTreeSet<&str> = job["permissions"]
            .as_object()
            .unwrap_or_else(|| panic!("{job_name}: no permissions of its own"))
            .iter()
            .filter(|(_, level)| *level == "write")
            .map(|(name, _)| name.as_str())
            .collect();
        assert_eq!(granted, needed, "{job_name}: write permissions");
        writes.insert(job_name.as_str(), granted);
    }
    let jobs: Vec<&str> = writes.keys().copied().collect();
    assert_eq!(jobs, ["archives", "image", "release"]);
    let image = doc["jobs"]["image"]["steps"].as_array().unwrap();
    let by_digest = "${{ steps.image.outputs.name }}@${{ steps.image.outputs.digest }}";
    assert!(image
        .iter()
        .any(|s| s["run"].as_str().is_some_and(|r| r.contains(&format!("cosign sign --yes \"{by_digest}\"")))));
    let attested: Vec<&Value> =
        image.iter().filter(|s| s["uses"].as_str().is_some_and(|u| u.starts_with("actions/attest-"))).collect();
    assert_eq!(attested.len(), 2);
    for step in attested {
        assert_eq!(step["with"]["subject-digest"], "${{ steps.image.outputs.digest }}");
        assert_eq!(step["with"]["push-to-registry"], true);
    }
}
