//! `--log-format json` (and `CUSTOMS_LOG_FORMAT=json`) through the real binary: every
//! line on stderr is one JSON object with a time, a level and a message, for cluster log
//! collectors. A registry sweep of the lab (a real `docker-registry`) logs its known
//! warning, a line per repository and image and per failure with their names as fields,
//! and its gate;
//! errors (a refused combination of flags, a command line clap refuses) are one error
//! line and exit 2; the plain format is unchanged.

mod common;
mod support_registry;

use serde_json::Value;
use support_registry::lab::sweep::*;
use support_registry::lab::*;

/// Every stderr line as JSON: panics naming the first line that is not one object with
/// a time, a level and a message.
fn json_lines(stderr: &str) -> Vec<Value> {
    assert!(!stderr.is_empty(), "nothing on stderr");
    stderr
        .lines()
        .map(|line| {
            let value: Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line:?}\n{stderr}"));
            let time = value["time"].as_str().unwrap_or_else(|| panic!("no time: {line}"));
            assert!(time.len() == 24 && time.ends_with('Z'), "time {time:?} is not UTC to the millisecond");
            assert!(["error", "warn", "info"].contains(&value["level"].as_str().unwrap_or("")), "{line}");
            assert!(value["message"].is_string(), "{line}");
            value
        })
        .collect()
}

/// The lines of `level` whose message is `message`.
fn lines_saying<'a>(lines: &'a [Value], level: &str, message: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l["level"] == level && l["message"] == message).collect()
}

#[test]
fn a_sweep_logs_one_json_object_per_line_with_its_warning_progress_and_gate() {
    let lab = Lab::start();
    let dir = tempfile::tempdir().unwrap();
    let sweeper = Sweeper::new(dir.path(), &lab.host());
    // A repository the registry does not have: one failure, logged with its fields.
    let list = dir.path().join("repositories.txt");
    std::fs::write(&list, format!("{BIG_REPO}\nteam-a/api\nghost/missing\n")).unwrap();
    let mut command = sweeper.command(&sweeper.scan_args(&["--repos-from", list.to_str().unwrap()]));
    command.env("CUSTOMS_LOG_FORMAT", "json");
    let run = Swept::run(command);
    run.expect_code(1);
    let doc = run.json();
    let lines = json_lines(&run.stderr());

    let warning = format!("{BIG_REPO} has no `latest` tag: scanned its newest semver tag {BIG_NEWEST_SEMVER}");
    assert_eq!(lines_saying(&lines, "warn", &warning).len(), 1, "{lines:#?}");
    assert_eq!(doc["warnings"], serde_json::json!([warning]), "the report carries the same warning");

    let listed = lines_saying(&lines, "info", "repositories listed");
    assert_eq!(listed.len(), 1, "{lines:#?}");
    assert_eq!(listed[0]["repositories"], 3);
    let repositories: Vec<&str> =
        lines_saying(&lines, "info", "repository done").iter().map(|l| l["repository"].as_str().unwrap()).collect();
    let mut sorted = repositories.clone();
    sorted.sort();
    assert_eq!(sorted, [BIG_REPO, "ghost/missing", "team-a/api"], "{lines:#?}");
    let images: Vec<&Value> = lines_saying(&lines, "info", "image done");
    let mut references: Vec<&str> = images.iter().map(|l| l["image"].as_str().unwrap()).collect();
    references.sort();
    let mut expected: Vec<String> =
        reported_images(&doc).iter().map(|image| format!("{}/{}@{}", lab.host(), image.repo, image.digest)).collect();
    expected.sort();
    assert_eq!(references, expected, "{lines:#?}");
    assert!(images.iter().all(|l| l["analysed"] == true), "a first sweep analyses every image: {images:#?}");

    let failure =
        format!("{}/ghost/missing: tags: not found (NAME_UNKNOWN: repository name not known to registry)", lab.host());
    let failures = lines_saying(&lines, "warn", &failure);
    assert_eq!(failures.len(), 1, "{lines:#?}");
    assert_eq!((&failures[0]["repository"], &failures[0]["reason"]), (&"ghost/missing".into(), &"not-found".into()));
    let partial = "partial run: 1 failure(s); their images' earlier findings are carried forward as stale";
    assert_eq!(lines_saying(&lines, "warn", partial).len(), 1, "{lines:#?}");

    let gate: Vec<&Value> =
        lines.iter().filter(|l| l["message"].as_str().unwrap().starts_with("failing (exit 1)")).collect();
    assert_eq!(gate.len(), 1, "{lines:#?}");
    assert_eq!(gate[0]["level"], "info");

    // The same sweep again in the plain format: its lines, no JSON, no progress on a pipe.
    let plain = sweeper.scan(&["--repos-from", list.to_str().unwrap()]);
    plain.expect_code(1);
    let stderr = plain.stderr();
    assert!(stderr.lines().any(|l| l == format!("warning: {warning}")), "{stderr}");
    assert!(stderr.lines().any(|l| l == format!("warning: {partial}")), "{stderr}");
    assert!(!stderr.contains("NAME_UNKNOWN"), "failures are the report's in plain output: {stderr}");
    assert!(stderr.lines().all(|l| !l.starts_with('{')), "{stderr}");
    assert!(!stderr.contains("repository done"), "{stderr}");
}

#[test]
fn an_error_is_one_json_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let sweeper = Sweeper::new(dir.path(), "127.0.0.1:9");
    let run = Swept::run(sweeper.command(&[
        "--log-format",
        "json",
        "registry",
        "scan",
        "127.0.0.1:9",
        "--username",
        "robot",
        "--password-stdin",
        "--repos-from",
        "-",
    ]));
    run.expect_code(2);
    let lines = json_lines(&run.stderr());
    let messages: Vec<(&str, &str)> =
        lines.iter().map(|l| (l["level"].as_str().unwrap(), l["message"].as_str().unwrap())).collect();
    assert_eq!(
        messages,
        [("error", "--password-stdin and --repos-from - both read stdin: give the repository list as a file")]
    );
    assert_eq!(lines[0].as_object().unwrap().len(), 3, "time, level, message: {:?}", lines[0]);

    // A command line clap refuses: its first line, as JSON, still exit 2.
    let mut command = sweeper.command(&["registry", "scan", "--no-such-flag"]);
    command.env("CUSTOMS_LOG_FORMAT", "JSON");
    let run = Swept::run(command);
    run.expect_code(2);
    let lines = json_lines(&run.stderr());
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["message"], "unexpected argument '--no-such-flag' found");
    assert_eq!(lines[0]["kind"], "usage");

    // The plain format says the same as before.
    let run = Swept::run(sweeper.command(&[
        "registry",
        "scan",
        "127.0.0.1:9",
        "--username",
        "robot",
        "--password-stdin",
        "--repos-from",
        "-",
    ]));
    run.expect_code(2);
    assert_eq!(
        run.stderr(),
        "error: --password-stdin and --repos-from - both read stdin: give the repository list as a file\n"
    );
}

#[test]
fn an_unknown_log_format_is_refused_naming_the_choices() {
    let run = common::run(&["--log-format", "yaml", "db", "info"], std::path::Path::new("."));
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("invalid value 'yaml' for '--log-format <FORMAT>'"), "{stderr}");
    assert!(stderr.contains("[possible values: text, json]"), "{stderr}");
}

/// Every stderr line goes through `src/cli/log.rs`: a plain `eprintln!` anywhere else would put a
/// non-JSON line into a JSON log.
#[test]
fn nothing_but_the_log_module_writes_to_stderr() {
    let mut folders = vec![common::crate_dir().join("src")];
    let mut offenders = Vec::new();
    let mut files = 0;
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") || path.ends_with("cli/log.rs") {
                continue;
            }
            files += 1;
            let text = std::fs::read_to_string(&path).unwrap();
            for (number, line) in text.lines().enumerate() {
                if ["eprintln!", "eprint!", "std::io::stderr()"].iter().any(|m| line.contains(m))
                    && !line.trim_start().starts_with("//")
                {
                    offenders.push(format!("{}:{}: {}", path.display(), number + 1, line.trim()));
                }
            }
        }
    }
    assert!(files > 50, "{files} source files");
    // Whether stderr is a terminal decides progress bars; that is no writing.
    offenders.retain(|line| !line.contains("is_terminal"));
    assert_eq!(offenders, Vec::<String>::new());
}

/// `db update` against a mirror that refuses connections: its failure table, hint and error as JSON lines,
/// the table's alignment dropped and the ecosystems given as a field.
#[test]
fn a_failed_database_update_logs_its_failure_hint_and_error_as_json() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mirror = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let dir = tempfile::tempdir().unwrap();
    let output = common::customs()
        .args(["--log-format", "json", "--cache-dir"])
        .arg(dir.path())
        .args(["db", "update", "--mirror", &mirror, "--ecosystem", "crates.io"])
        .env("HOME", dir.path())
        .env_remove("HTTPS_PROXY")
        .env_remove("HTTP_PROXY")
        .env_remove("https_proxy")
        .env_remove("http_proxy")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let lines = json_lines(&String::from_utf8_lossy(&output.stderr));
    let messages: Vec<(&str, &str)> =
        lines.iter().map(|l| (l["level"].as_str().unwrap(), l["message"].as_str().unwrap())).collect();
    let host = mirror.trim_start_matches("http://");
    assert_eq!(messages.len(), 3, "{lines:#?}");
    assert_eq!(
        messages[0],
        ("error", format!("crates.io FAILED: connection refused by {host}; no previous copy").as_str())
    );
    assert_eq!(lines[0]["ecosystems"], serde_json::json!(["crates.io"]));
    assert_eq!(messages[1].0, "info");
    assert!(messages[1].1.starts_with("cannot reach the mirror. Behind a proxy, set HTTPS_PROXY"), "{lines:#?}");
    assert_eq!(messages[2], ("error", format!("nothing was downloaded from {mirror}").as_str()));
}
