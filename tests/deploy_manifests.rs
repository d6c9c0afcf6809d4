//! The deployments customs ships (deploy/ for Kubernetes, docs/workflows/ for GitHub Actions) are checked as
//! their platforms would check them, offline: every Kubernetes document against the Kubernetes JSON schemas
//! (`kubernetes-validate --strict`, which bundles them), every workflow against GitHub's workflow schema
//! (`check-jsonschema`'s vendored `github-workflows`), both from PyPI, installed under the target directory
//! when missing. Each validator is shown to reject a manifest with a typo'd field, so a validator that
//! accepts anything fails here. The `customs` command lines in them are parsed by the real binary (with
//! `--help` appended, clap checks every flag and value and runs nothing), and the nightly pod's script runs
//! against a stand-in `kubectl` that records what it is asked.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde::Deserialize as _;
use serde_yaml_ng::Value;

/// The validators, pinned: the versions whose output these tests read.
const VALIDATORS: [&str; 2] = ["kubernetes-validate==1.37.0", "check-jsonschema==0.39.0"];

/// A folder of the target directory (beside the binary's `debug/`), kept between runs.
fn tools_dir() -> PathBuf {
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_customs"));
    let profile = binary.parent().expect("the binary's folder");
    profile.parent().unwrap_or(profile).join("python-tools").join("deploy-validators")
}

fn python(site: &Path) -> Command {
    let mut command = Command::new("python3");
    command.env("PYTHONPATH", site).env("PYTHONDONTWRITEBYTECODE", "1");
    command
}

fn install_command(site: &Path) -> String {
    format!("python3 -m pip install --target {} {}", site.display(), VALIDATORS.join(" "))
}

/// The folder the validators are importable from; installs them there with pip when missing (into a
/// temporary sibling first, renamed into place, so a test run stopped half-way leaves nothing half-made).
fn validators() -> &'static Path {
    static SITE: OnceLock<PathBuf> = OnceLock::new();
    SITE.get_or_init(|| {
        let site = tools_dir();
        let importable = |site: &Path| {
            python(site)
                .args(["-c", "import kubernetes_validate, check_jsonschema"])
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if importable(&site) {
            return site;
        }
        let partial = site.with_extension(format!("partial-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&partial);
        let output = Command::new("python3")
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input", "--target"])
            .arg(&partial)
            .args(VALIDATORS)
            .output();
        let installed = output.as_ref().is_ok_and(|o| o.status.success());
        let _ = std::fs::remove_dir_all(&site);
        if installed && std::fs::rename(&partial, &site).is_ok() && importable(&site) {
            return site;
        }
        let _ = std::fs::remove_dir_all(&partial);
        let why = match &output {
            Ok(o) => String::from_utf8_lossy(&o.stderr).into_owned(),
            Err(e) => format!("python3: {e}"),
        };
        panic!(
            "the manifest validators are missing and could not be installed; install them with:\n  {}\n\
             (python3 and pip are needed: apt-get install python3-pip)\n{why}",
            install_command(&site)
        );
    })
}

fn validate_kubernetes(files: &[PathBuf]) -> Output {
    python(validators()).args(["-m", "kubernetes_validate", "--strict"]).args(files).output().expect("python3 runs")
}

fn validate_workflows(files: &[PathBuf]) -> Output {
    python(validators())
        .args(["-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows"])
        .args(files)
        .output()
        .expect("python3 runs")
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// Every file under `dir` ending in one of `extensions`, sorted.
fn files_under(dir: &Path, extensions: &[&str]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap_or_else(|e| panic!("{}: {e}", folder.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| extensions.iter().any(|x| e == *x)) {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn kubernetes_files() -> Vec<PathBuf> {
    files_under(&common::crate_dir().join("deploy"), &["yaml", "yml"])
}

fn workflow_files() -> Vec<PathBuf> {
    files_under(&common::crate_dir().join("docs/workflows"), &["yaml", "yml"])
}

/// The YAML documents of a file, empty ones left out.
fn documents(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|document| Value::deserialize(document).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .filter(|value| !value.is_null())
        .collect()
}

/// `kind/name` of each Kubernetes document, as kubernetes-validate names them (kind in lower case).
fn resources(files: &[PathBuf]) -> Vec<String> {
    let mut names = Vec::new();
    for file in files {
        for document in documents(file) {
            let kind =
                document["kind"].as_str().unwrap_or_else(|| panic!("{}: a document without kind", file.display()));
            let name = document["metadata"]["name"].as_str().expect("metadata.name");
            names.push(format!("{}/{name}", kind.to_ascii_lowercase()));
        }
    }
    names
}

#[test]
fn every_kubernetes_document_under_deploy_is_valid_against_the_kubernetes_schemas() {
    let files = kubernetes_files();
    let output = validate_kubernetes(&files);
    let said = text(&output);
    assert!(output.status.success(), "{said}");
    // Every document was looked at, none skipped as an unknown kind.
    let passed: BTreeSet<String> = said
        .lines()
        .filter_map(|line| line.split(" passed for resource ").nth(1))
        .filter_map(|rest| rest.split(' ').next())
        .map(String::from)
        .collect();
    let expected: BTreeSet<String> = resources(&files).into_iter().collect();
    assert_eq!(passed, expected, "{said}");
    // The deployments the docs name are all there.
    for resource in [
        "cronjob/customs-registry-sweep",
        "cronjob/customs-registry-nightly",
        "cronjob/customs-registry-plan",
        "cronjob/customs-registry-workers",
        "cronjob/customs-registry-finalize",
        "cronjob/customs-registry-shard-workers",
        "serviceaccount/customs-orchestrator",
        "role/customs-orchestrator",
        "rolebinding/customs-orchestrator",
    ] {
        assert!(expected.contains(resource), "{resource} is missing: {expected:?}");
    }
}

#[test]
fn the_kubernetes_validator_rejects_a_typod_field_and_a_wrong_type() {
    let dir = tempfile::tempdir().unwrap();
    let workers = std::fs::read_to_string(common::crate_dir().join("deploy/kubernetes/registry-workers.yaml")).unwrap();
    assert_eq!(workers.matches("      parallelism: 3\n").count(), 1);
    let typo = dir.path().join("typo.yaml");
    std::fs::write(&typo, workers.replace("      parallelism: 3\n", "      paralelism: 3\n")).unwrap();
    let output = validate_kubernetes(std::slice::from_ref(&typo));
    let said = text(&output);
    assert!(!output.status.success(), "{said}");
    assert!(said.contains("cronjob/customs-registry-workers"), "{said}");
    assert!(said.contains("'paralelism' was unexpected"), "{said}");

    let shards = std::fs::read_to_string(common::crate_dir().join("deploy/kubernetes/registry-shards.yaml")).unwrap();
    let wrong_type = dir.path().join("wrong-type.yaml");
    std::fs::write(&wrong_type, shards.replace("completions: 4", "completions: four")).unwrap();
    let output = validate_kubernetes(std::slice::from_ref(&wrong_type));
    let said = text(&output);
    assert!(!output.status.success(), "{said}");
    assert!(said.contains("'four' is not of type 'integer'"), "{said}");
}

#[test]
fn every_workflow_under_docs_is_valid_against_the_github_workflow_schema() {
    let files = workflow_files();
    let names: Vec<String> = files.iter().map(|f| f.file_name().unwrap().to_string_lossy().into_owned()).collect();
    for expected in ["nightly.yml", "nightly-shards.yml", "nightly-workers.yml"] {
        assert!(names.iter().any(|n| n == expected), "{expected} is missing: {names:?}");
    }
    let output = validate_workflows(&files);
    let said = text(&output);
    assert!(output.status.success(), "{said}");
    assert!(said.contains("ok -- validation done"), "{said}");
}

#[test]
fn the_workflow_validator_rejects_a_typod_field() {
    let dir = tempfile::tempdir().unwrap();
    let workers = std::fs::read_to_string(common::crate_dir().join("docs/workflows/nightly-workers.yml")).unwrap();
    let typo = dir.path().join("typo.yml");
    std::fs::write(&typo, workers.replacen("    runs-on: ubuntu-latest\n", "    runs_on: ubuntu-latest\n", 1)).unwrap();
    let output = validate_workflows(std::slice::from_ref(&typo));
    let said = text(&output);
    assert!(!output.status.success(), "{said}");
    assert!(said.contains("$.jobs.plan: 'runs-on' is a required property"), "{said}");
}

/// The workers' workflow has the shape the docs describe: plan hands the run id to a matrix of workers
/// and to finalize, which uploads the SARIF folder and writes the summary.
#[test]
fn the_workers_workflow_hands_the_run_id_from_plan_to_the_workers_and_finalize() {
    let workflow = documents(&common::crate_dir().join("docs/workflows/nightly-workers.yml")).remove(0);
    let jobs = &workflow["jobs"];
    assert_eq!(jobs["plan"]["outputs"]["run"], "${{ steps.plan.outputs.run }}");
    assert_eq!(jobs["work"]["needs"], "plan");
    assert_eq!(jobs["work"]["strategy"]["matrix"]["worker"].as_sequence().map(Vec::len), Some(4));
    let runs = |job: &str| -> Vec<String> {
        jobs[job]["steps"].as_sequence().unwrap().iter().filter_map(|s| s["run"].as_str().map(String::from)).collect()
    };
    assert!(runs("work").iter().any(|r| r == "customs registry work --run ${{ needs.plan.outputs.run }}"));
    let finalize = &jobs["finalize"];
    assert_eq!(finalize["env"]["RUN"], "${{ needs.plan.outputs.run }}");
    let script = runs("finalize").join("\n");
    assert!(script.contains("--format sarif --output sarif/sweep.sarif"), "{script}");
    assert!(script.contains(">> \"$GITHUB_STEP_SUMMARY\""), "{script}");
    let upload = finalize["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| s["uses"] == "github/codeql-action/upload-sarif@v3")
        .expect("an upload-sarif step");
    assert_eq!(upload["with"]["sarif_file"], "sarif", "the folder: SARIF is split at 20 runs per file");
    assert_eq!(workflow["env"]["CUSTOMS_STORE"], "${{ secrets.CUSTOMS_STORE }}");
}

/// The store URL and the registry login come from Secrets, never from literals in the manifests.
#[test]
fn the_manifests_take_the_store_from_a_secret_and_the_login_from_an_image_pull_secret() {
    let mut store_refs = 0;
    let mut docker_configs = 0;
    for file in kubernetes_files().iter().filter(|f| !f.ends_with("registry-sweep.yaml")) {
        let text = std::fs::read_to_string(file).unwrap();
        for line in text.lines().filter(|l| l.contains("postgres://")) {
            assert!(line.trim_start().starts_with('#'), "{}: a store URL outside a comment: {line}", file.display());
        }
        for document in documents(file) {
            walk(&document, &mut |value| {
                if value["name"] == "CUSTOMS_STORE" {
                    assert_eq!(value["valueFrom"]["secretKeyRef"]["name"], "customs-store", "{value:?}");
                    store_refs += 1;
                }
                if value["secret"]["secretName"] == "customs-registry-pull" {
                    assert_eq!(value["secret"]["items"][0]["key"], ".dockerconfigjson");
                    assert_eq!(value["secret"]["items"][0]["path"], "config.json");
                    docker_configs += 1;
                }
            });
        }
    }
    // plan, finalize, the queue workers and the shard workers; the pull secret in the three that list the registry.
    assert_eq!((store_refs, docker_configs), (4, 3));
}

/// Calls `visit` on every mapping in `value`.
fn walk(value: &Value, visit: &mut dyn FnMut(&Value)) {
    match value {
        Value::Mapping(map) => {
            visit(value);
            map.values().for_each(|v| walk(v, visit));
        }
        Value::Sequence(items) => items.iter().for_each(|v| walk(v, visit)),
        _ => {}
    }
}

/// The `customs …` invocations in a shell script: each starts where a command starts (a line, after `|`,
/// `&&`, `||`, `;` or `$(`), runs to the first shell operator, and has continued lines joined. A word with a
/// shell or Actions expansion (`"$RUN"`, `${{ matrix.shard }}`) becomes `1`, which every flag that takes
/// one (a number, a name, a path, a shard `I/N` checked later) accepts as a value.
fn invocations_in_script(script: &str) -> Vec<Vec<String>> {
    // An Actions expression (`${{ needs.plan.outputs.run }}`) is one word, whatever spaces it holds.
    let expressions = regex::Regex::new(r"\$\{\{[^}]*\}\}").unwrap();
    let joined = expressions.replace_all(&script.replace("\\\n", " "), "$$ACTIONS").into_owned();
    let start = regex::Regex::new(r"(?:^|\$\(|\|\||&&|[|;(])\s*customs\s").unwrap();
    let mut found = Vec::new();
    for line in joined.lines().filter(|l| !l.trim_start().starts_with('#')) {
        for matched in start.find_iter(line) {
            let from = matched.start() + matched.as_str().find("customs").unwrap() + "customs".len();
            found.push(shell_words(&line[from..]));
        }
    }
    found
}

/// Words up to the first operator outside quotes; quotes removed.
fn shell_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quote: Option<char> = None;
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.get_or_insert_with(String::new).push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                word.get_or_insert_with(String::new);
            }
            (None, c) if c.is_whitespace() => words.extend(word.take()),
            (None, '|' | '&' | ';' | '>' | '<' | ')' | '#') => break,
            (None, c) => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word.take());
    words.into_iter().map(|w| if w.contains('$') { "1".to_string() } else { w }).collect()
}

/// Every `customs` command line of the Kubernetes containers (exec form, or a `sh -c` script) and of the
/// workflows' `run:` steps, with where it was found.
fn invocations() -> Vec<(String, Vec<String>)> {
    let mut found = Vec::new();
    for file in kubernetes_files() {
        for document in documents(&file) {
            walk(&document, &mut |value| {
                if value.get("image").is_none() {
                    return;
                }
                let strings = |key: &str| -> Vec<String> {
                    value[key]
                        .as_sequence()
                        .map(|s| s.iter().filter_map(|v| v.as_str().map(String::from)).collect())
                        .unwrap_or_default()
                };
                let argv: Vec<String> = strings("command").into_iter().chain(strings("args")).collect();
                let place = format!("{} ({})", file.display(), value["name"].as_str().unwrap_or("?"));
                // The release image's entrypoint is customs: a container of it with no command gives
                // customs' arguments alone.
                let customs_image = value["image"].as_str().is_some_and(|image| image.contains("/customs:"));
                if customs_image && value.get("command").is_none() {
                    found.push((place, argv));
                    return;
                }
                match argv.first().map(String::as_str) {
                    Some("customs") => found.push((place, argv[1..].to_vec())),
                    Some("/bin/sh" | "sh") if argv.get(1).map(String::as_str) == Some("-c") => argv
                        .iter()
                        .skip(2)
                        .flat_map(|script| invocations_in_script(script))
                        .for_each(|words| found.push((place.clone(), words))),
                    _ => {}
                }
            });
        }
    }
    for file in workflow_files() {
        for document in documents(&file) {
            walk(&document, &mut |value| {
                if let Some(script) = value["run"].as_str() {
                    let place = format!("{} ({})", file.display(), value["name"].as_str().unwrap_or("a step"));
                    invocations_in_script(script).into_iter().for_each(|words| found.push((place.clone(), words)));
                }
            });
        }
    }
    found
}

#[test]
fn the_command_lines_in_the_manifests_and_workflows_parse_with_this_customs() {
    let found = invocations();
    // `customs db update`, `customs registry scan REGISTRY`, `customs scan DIR`: two words under the
    // commands that have subcommands.
    let subcommand = |words: &[String]| -> Vec<String> {
        let depth = if matches!(words.first().map(String::as_str), Some("registry" | "db")) { 2 } else { 1 };
        words.iter().take(depth).cloned().collect()
    };
    let exists =
        |path: &[String]| common::customs().args(path).arg("--help").output().is_ok_and(|o| o.status.success());
    let mut checked = BTreeSet::new();
    let mut not_yet = BTreeSet::new();
    for (place, words) in &found {
        let path = subcommand(words);
        if !exists(&path) {
            not_yet.insert(path.join(" "));
            continue;
        }
        let output = common::customs().args(words).arg("--help").env_remove("CUSTOMS_STORE").output().unwrap();
        assert!(
            output.status.success(),
            "{place}: `customs {}` does not parse:\n{}",
            words.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        checked.insert(path.join(" "));
    }
    // The commands main has, each used somewhere and checked; the ones issue #15 adds (plan, work,
    // finalize) are checked by this same test once this binary has them.
    for command in ["db update", "registry scan", "registry merge", "registry report"] {
        assert!(checked.contains(command), "`customs {command}` was not found or not checked: {checked:?}");
    }
    let allowed_missing: BTreeSet<&str> = ["registry plan", "registry work", "registry finalize"].into();
    for missing in &not_yet {
        assert!(allowed_missing.contains(missing.as_str()), "`customs {missing}` is no command of customs");
    }
    if !not_yet.is_empty() {
        eprintln!("not yet in this binary, so not parsed: {not_yet:?}");
    }
}

#[test]
fn script_command_lines_are_found_where_commands_start_and_end_at_operators() {
    let script = "set -e\nrun=$(customs registry plan ghcr.io --repos-from r.txt)\n\
                  command -v customs || cargo install customs\n# customs in a comment\n\
                  customs registry finalize --run \"$RUN\" --format sarif \\\n  --fail-on critical || code=$?\n\
                  x && customs db update > log 2>&1\n\
                  customs registry work --run ${{ needs.plan.outputs.run }} --shard ${{ matrix.shard }}/4";
    let words: Vec<Vec<String>> = invocations_in_script(script);
    let expected: Vec<Vec<&str>> = vec![
        vec!["registry", "plan", "ghcr.io", "--repos-from", "r.txt"],
        vec!["registry", "finalize", "--run", "1", "--format", "sarif", "--fail-on", "critical"],
        vec!["db", "update"],
        vec!["registry", "work", "--run", "1", "--shard", "1"],
    ];
    assert_eq!(words, expected);
}

/// Only the nightly pod, which starts the steps' Jobs, can reach the Kubernetes API: every customs pod has
/// the automatic token mount off, and the one pod with it on runs kubectl alone. customs containers run the
/// image's entrypoint (it has no shell) on a read-only root filesystem.
#[test]
fn only_the_nightly_pod_gets_a_kubernetes_api_token() {
    let mut pods = 0;
    let mut with_token = Vec::new();
    for file in kubernetes_files().iter().filter(|f| !f.ends_with("registry-sweep.yaml")) {
        for document in documents(file) {
            walk(&document, &mut |value| {
                if value.get("containers").is_none() {
                    return;
                }
                pods += 1;
                // The release image has no shell: customs is its entrypoint, and `args` are customs' own.
                for container in
                    ["initContainers", "containers"].iter().flat_map(|l| value[*l].as_sequence().into_iter().flatten())
                {
                    if container["image"].as_str().is_some_and(|image| image.contains("/customs:")) {
                        assert!(container.get("command").is_none(), "{}: {container:?}", file.display());
                        assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true, "{container:?}");
                    }
                }
                let containers: Vec<String> = ["initContainers", "containers"]
                    .iter()
                    .flat_map(|list| value[*list].as_sequence().into_iter().flatten())
                    .map(|c| c["name"].as_str().unwrap().to_string())
                    .collect();
                match &value["automountServiceAccountToken"] {
                    Value::Bool(false) => {}
                    Value::Bool(true) => with_token.push(containers),
                    other => panic!("{}: automountServiceAccountToken is {other:?}, not said", file.display()),
                }
            });
        }
    }
    assert_eq!((pods, with_token), (5, vec![vec!["orchestrate".to_string()]]));
}

/// Every `sh -c` script of the manifests (the nightly pod's) is valid shell: `sh -n` reads it whole.
#[test]
fn the_shell_scripts_in_the_manifests_parse() {
    let mut scripts = 0;
    for file in kubernetes_files() {
        for document in documents(&file) {
            walk(&document, &mut |value| {
                let command: Vec<&str> =
                    value["command"].as_sequence().into_iter().flatten().filter_map(|v| v.as_str()).collect();
                if command != ["/bin/sh", "-c"] {
                    return;
                }
                let script = value["args"][0].as_str().expect("the script");
                let output = Command::new("sh").args(["-n", "-c", script]).output().expect("sh runs");
                assert!(output.status.success(), "{}: {}", file.display(), String::from_utf8_lossy(&output.stderr));
                scripts += 1;
            });
        }
    }
    assert_eq!(scripts, 1, "the nightly pod's script");
}

/// The nightly pod's script, run with a stand-in `kubectl` that records each call and answers as the API
/// would: the run id that plan's log carries among its JSON lines reaches the workers' and finalize's Jobs;
/// a workers Job that failed is still finalized; a plan that failed stops the night before any worker.
#[test]
fn the_nightly_script_passes_the_run_id_from_plan_to_workers_and_finalize() {
    let manifest = documents(&common::crate_dir().join("deploy/kubernetes/registry-workers.yaml"));
    let nightly = manifest.iter().find(|d| d["metadata"]["name"] == "customs-registry-nightly").unwrap();
    let container = &nightly["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0];
    let script = container["args"][0].as_str().unwrap().to_string();
    let template = container["env"][0]["value"].as_str().unwrap().to_string();

    let run = |states: &[(&str, &str)]| -> (Option<i32>, String, String, String) {
        let dir = tempfile::tempdir().unwrap();
        let kubectl = dir.path().join("kubectl");
        std::fs::write(
            &kubectl,
            r#"#!/bin/sh
echo "kubectl $*" >> "$DIR/calls"
case "$1" in
  create)
    case "$*" in
      *--dry-run=client*) printf 'kind: Job\nmetadata: {name: %s}\n' "$3" ;;
      *"-f -"*) cat >> "$DIR/created"; echo "---" >> "$DIR/created" ;;
      *) echo "job.batch/$3 created" ;;
    esac ;;
  set) cat; echo "env: $6" ;;
  get)
    case "$3" in
      customs-plan-*) echo "${PLAN:-Complete}" ;;
      customs-work-*) echo "SuccessCriteriaMet ${WORK:-Complete}" ;;
      *) echo "${FINALIZE:-Complete}" ;;
    esac ;;
  logs) printf '{"level":"info","message":"repositories listed"}\n42\n{"level":"info","message":"planned"}\n' ;;
esac
"#,
        )
        .unwrap();
        std::fs::set_permissions(&kubectl, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let mut command = Command::new("sh");
        command
            .args(["-c", &script])
            .env("PATH", format!("{}:{}", dir.path().display(), std::env::var("PATH").unwrap_or_default()))
            .env("DIR", dir.path())
            .env("WORKERS_TEMPLATE", &template);
        for (job, state) in states {
            command.env(job, state);
        }
        let output = command.output().unwrap();
        let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap_or_default();
        (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned(), read("calls"), read("created"))
    };

    let (code, stderr, calls, created) = run(&[]);
    assert_eq!(code, Some(0), "{stderr}");
    let mut calls: Vec<String> = calls.lines().map(String::from).collect();
    let plan = calls[0].strip_prefix("kubectl create job ").unwrap().split(' ').next().unwrap().to_string();
    assert!(plan.starts_with("customs-plan-"), "{calls:?}");
    let mut expected = vec![
        format!("kubectl create job {plan} --from=cronjob/customs-registry-plan"),
        format!("kubectl get job {plan} -o jsonpath={{.status.conditions[?(@.status==\"True\")].type}}"),
        format!("kubectl logs job/{plan}"),
        "kubectl create job customs-work-42 --from=cronjob/customs-registry-workers --dry-run=client -o yaml".into(),
        "kubectl set env --local -f - CUSTOMS_RUN=42 -o yaml".into(),
        "kubectl create -f -".into(),
        "kubectl get job customs-work-42 -o jsonpath={.status.conditions[?(@.status==\"True\")].type}".into(),
        "kubectl create job customs-finalize-42 --from=cronjob/customs-registry-finalize --dry-run=client -o yaml"
            .into(),
        "kubectl set env --local -f - CUSTOMS_RUN=42 -o yaml".into(),
        "kubectl create -f -".into(),
        "kubectl get job customs-finalize-42 -o jsonpath={.status.conditions[?(@.status==\"True\")].type}".into(),
    ];
    // The three kubectl of a pipeline start together: their order among themselves is the scheduler's.
    for list in [&mut calls, &mut expected] {
        if list.len() == 11 {
            list[3..6].sort();
            list[7..10].sort();
        }
    }
    assert_eq!(calls, expected);
    assert_eq!(
        created,
        "kind: Job\nmetadata: {name: customs-work-42}\nenv: CUSTOMS_RUN=42\n---\n\
         kind: Job\nmetadata: {name: customs-finalize-42}\nenv: CUSTOMS_RUN=42\n---\n"
    );

    // Failed workers: finalize runs all the same, and says what is not done; the night is what finalize is.
    let (code, stderr, calls, _) = run(&[("WORK", "Failed")]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(calls.contains("kubectl create job customs-finalize-42"), "{calls}");
    let (code, _, _, _) = run(&[("FINALIZE", "Failed")]);
    assert_eq!(code, Some(1));

    // A failed plan: no worker, no finalize, and a line saying where to look.
    let (code, stderr, calls, created) = run(&[("PLAN", "Failed")]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains(" failed: kubectl logs job/customs-plan-"), "{stderr}");
    assert_eq!((calls.lines().count(), created.as_str()), (2, ""), "{calls}");
}
