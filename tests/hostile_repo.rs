//! Hostile repositories (issue 10): what a pull request controls, its `customs.yaml`,
//! its lockfiles and the files beside them, must not turn customs against the person
//! running it or hide a package.
//!
//! - attack 2: `customs.yaml` paths that leave the file's folder (`..`, absolute,
//!   symlinks, control characters) are refused; flags may still point anywhere;
//! - attack 7: an advisory database without records is an error, one without the
//!   scanned ecosystems a warning;
//! - attack 9: FIFOs (beside a lockfile, as an include, named by a flag) never block;
//! - attack 10: a version with a no-break space is a malformed entry, not an
//!   uncomparable package.
//!
//! Every run goes through [`run_bounded`]: a regression that blocks fails after 20 s
//! instead of hanging the suite.

mod common;

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

const WATCHDOG: Duration = Duration::from_secs(20);

/// Runs customs in `cwd` with a watchdog: killed, and the test failed, after 20 s.
fn run_bounded(args: &[&str], cwd: &Path) -> Output {
    let mut child = customs()
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("customs starts");
    // Read both pipes while waiting, so a large report cannot stall the child.
    let drain = |mut pipe: Box<dyn Read + Send>| -> JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            pipe.read_to_end(&mut bytes).ok();
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let status = wait_or_kill(&mut child, args);
    Output { status, stdout: stdout.join().unwrap(), stderr: stderr.join().unwrap() }
}

fn wait_or_kill(child: &mut Child, args: &[&str]) -> std::process::ExitStatus {
    let deadline = Instant::now() + WATCHDOG;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            panic!("customs {args:?} was still running after {WATCHDOG:?}: it blocked");
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo").arg(path).status().expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// A folder of one crates.io advisory: a real, non-empty database.
fn crates_db() -> String {
    fixtures().join("triage/advisories").to_str().unwrap().to_string()
}

/// `customs --cache-dir CACHE scan ARGS` in `cwd`, each test with its own cache.
fn scan(cwd: &Path, cache: &Path, args: &[&str]) -> Output {
    let mut full = vec!["--cache-dir", cache.to_str().unwrap(), "scan"];
    full.extend_from_slice(args);
    run_bounded(&full, cwd)
}

/// Every file below `dir`, relative to it.
fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out
}

const TAIL: &str = "a configuration file may only name paths inside its own folder (.): it comes with the repository \
                    and must not make customs write or read elsewhere";

// ---------------------------------------------------------------------------------------
// Attack 2: customs.yaml paths stay inside the configuration file's folder
// ---------------------------------------------------------------------------------------

#[test]
fn a_repository_config_cannot_write_the_report_into_the_home_folder() {
    let root = tempfile::tempdir().unwrap();
    let home = root.path().join("home/user");
    let repo = root.path().join("src/repo");
    fs::create_dir_all(&home).unwrap();
    fs::create_dir_all(&repo).unwrap();
    fs::write(repo.join("customs.yaml"), "scan:\n  output: ../../home/user/.bashrc\n").unwrap();

    let out = scan(&repo, &root.path().join("cache"), &["--db", &crates_db(), "."]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!(
            "error: customs.yaml: scan: output: \"../../home/user/.bashrc\" leaves the configuration file's folder \
             with `..`; {TAIL}; to use a path outside it, give it on the command line with -o/--output\n"
        )
    );
    assert!(out.stdout.is_empty(), "no report at all");
    assert_eq!(files_below(&home), Vec::<PathBuf>::new(), "nothing written outside the repository");

    // The same with a folder name carrying a newline and a shell command.
    fs::write(repo.join("customs.yaml"), "scan:\n  output: \"x\\ntouch /tmp/pwned\\n/report\"\n").unwrap();
    let out = scan(&repo, &root.path().join("cache"), &["--db", &crates_db(), "."]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with(
            "error: customs.yaml: scan: output: \"x\\ntouch /tmp/pwned\\n/report\" contains the control \
             character U+000A; "
        ),
        "{}",
        stderr(&out)
    );
    assert_eq!(files_below(&repo), [PathBuf::from("customs.yaml")]);
}

#[test]
fn a_symlink_in_the_repository_cannot_lead_the_report_out() {
    let root = tempfile::tempdir().unwrap();
    let (repo, outside) = (root.path().join("repo"), root.path().join("outside"));
    fs::create_dir_all(&repo).unwrap();
    fs::create_dir_all(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, repo.join("reports")).unwrap();
    fs::write(repo.join("customs.yaml"), "scan:\n  format: json\n  output: reports/scan.json\n").unwrap();

    let out = scan(&repo, &root.path().join("cache"), &["--db", &crates_db(), "."]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let real = fs::canonicalize(&outside).unwrap();
    assert_eq!(
        stderr(&out),
        format!(
            "error: customs.yaml: scan: output: \"reports/scan.json\" leaves the configuration file's folder through \
             a symlink (to {}); {TAIL}; to use a path outside it, give it on the command line with -o/--output\n",
            real.display()
        )
    );
    assert_eq!(files_below(&outside), Vec::<PathBuf>::new());
}

#[test]
fn absolute_paths_and_escapes_in_every_key_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let repo = root.path().join("repo");
    fs::create_dir_all(&repo).unwrap();
    let empty = root.path().join("empty");
    fs::create_dir_all(&empty).unwrap();
    let empty = empty.to_str().unwrap();
    let cases = [
        (format!("scan:\n  db: {empty}\n"), format!("scan: db: \"{empty}\" is an absolute path"), "--db"),
        (
            "scan:\n  ignore-file: /etc/passwd\n".into(),
            "scan: ignore-file: \"/etc/passwd\" is an absolute path".into(),
            "--ignore-file",
        ),
        (
            "scan:\n  vex: [ok.json, ../v.json]\n".into(),
            "scan: vex: \"../v.json\" leaves the configuration file's folder with `..`".into(),
            "--vex",
        ),
        (
            "scan:\n  advisories: [/srv/osv]\n".into(),
            "scan: advisories: \"/srv/osv\" is an absolute path".into(),
            "--advisories",
        ),
    ];
    for (yaml, problem, flag) in cases {
        fs::write(repo.join("customs.yaml"), &yaml).unwrap();
        let out = scan(&repo, &root.path().join("cache"), &["."]);
        assert_eq!(out.status.code(), Some(2), "{yaml}: {}", stderr(&out));
        let expected = format!(
            "error: customs.yaml: {problem}; {TAIL}; to use a path outside it, give it on the command line with {flag}\n"
        );
        assert_eq!(stderr(&out), expected, "{yaml}");
    }
    // The signature policy's key files too (read by `scan --image` and `verify`).
    let yaml = "policy:\n  signatures:\n    - images: [\"**\"]\n      keys: [../../home/user/.ssh/key.pub]\n";
    fs::write(repo.join("customs.yaml"), yaml).unwrap();
    let out = scan(&repo, &root.path().join("cache"), &["."]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with(
            "error: customs.yaml: policy: signatures[0]: keys: \"../../home/user/.ssh/key.pub\" leaves the \
             configuration file's folder with `..`; "
        ),
        "{}",
        stderr(&out)
    );
    // A local image in the base-image allowlist, read for layer ancestry.
    for (entry, problem) in [
        ("oci:/var/lib/images/base:1", "\"/var/lib/images/base\" is an absolute path"),
        ("oci-archive:../../base.tar", "\"../../base.tar\" leaves the configuration file's folder with `..`"),
    ] {
        fs::write(repo.join("customs.yaml"), format!("policy:\n  base-images:\n    allowed: [\"{entry}\"]\n")).unwrap();
        let out = scan(&repo, &root.path().join("cache"), &["."]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let expected = format!("error: customs.yaml: policy: base-images: allowed: {problem}; ");
        assert!(stderr(&out).starts_with(&expected), "{}", stderr(&out));
    }
}

#[test]
fn flags_from_the_person_running_customs_may_point_anywhere() {
    let root = tempfile::tempdir().unwrap();
    let (repo, elsewhere) = (root.path().join("repo"), root.path().join("elsewhere"));
    fs::create_dir_all(&repo).unwrap();
    fs::create_dir_all(&elsewhere).unwrap();
    // The repository's own choice of output is overridden by the flag, not looked at.
    fs::write(repo.join("customs.yaml"), "scan:\n  format: json\n  output: ../../home/user/.bashrc\n").unwrap();
    let report = elsewhere.join("report.json");
    // The repository has no lockfile: accepted, the test is about the paths.
    let out = scan(
        &repo,
        &root.path().join("cache"),
        &["--db", &crates_db(), "--allow-empty", "-o", report.to_str().unwrap(), "."],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&fs::read(&report).unwrap()).unwrap();
    assert_eq!(doc["summary"]["packages"], 0);
    assert_eq!(files_below(&repo), [PathBuf::from("customs.yaml")]);
    // The same for a database and a VEX list the flags replace.
    fs::write(repo.join("customs.yaml"), "scan:\n  db: /etc\n  vex: [/etc/passwd]\n").unwrap();
    let vex = fixtures().join("triage/vex/not-affected.openvex.json");
    let out = scan(
        &repo,
        &root.path().join("cache"),
        &["--db", &crates_db(), "--allow-empty", "--vex", vex.to_str().unwrap(), "."],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

// ---------------------------------------------------------------------------------------
// Attack 7: empty advisory databases
// ---------------------------------------------------------------------------------------

/// A project with one Cargo.lock package, so a scan has something to check.
fn cargo_project(dir: &Path) {
    fs::write(
        dir.join("Cargo.lock"),
        "version = 3\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.200\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    )
    .unwrap();
}

const EMPTY_TAIL: &str =
    "every package would pass unchecked; point --db at a folder, zip or mirror of OSV records (or \
                          run `customs db update`), or pass --allow-empty-db if an empty database is what you mean";

#[test]
fn an_empty_database_is_an_error_naming_it() {
    let root = tempfile::tempdir().unwrap();
    let repo = root.path().join("repo");
    fs::create_dir_all(repo.join("db/empty")).unwrap();
    cargo_project(&repo);
    fs::write(repo.join("db/braces.json"), "{}").unwrap();
    let mut zip = zip::ZipWriter::new(fs::File::create(repo.join("db/none.zip")).unwrap());
    zip.start_file("README.txt", zip::write::SimpleFileOptions::default()).unwrap();
    std::io::Write::write_all(&mut zip, b"no advisories here").unwrap();
    zip.finish().unwrap();

    let cache = root.path().join("cache");
    for (db, read) in [
        ("db/empty", "0 files read"),
        ("db/braces.json", "1 file read, 1 invalid record skipped"),
        ("db/none.zip", "1 file read"),
    ] {
        let out = scan(&repo, &cache, &["--db", db, "."]);
        assert_eq!(out.status.code(), Some(2), "{db}: {}", stderr(&out));
        assert_eq!(
            stderr(&out),
            format!("error: {db}: the advisory database has no records ({read}): {EMPTY_TAIL}\n"),
            "{db}"
        );
        assert!(out.stdout.is_empty(), "{db}: no \"0 vulnerabilities\" report");
    }
    // From the repository's customs.yaml too.
    fs::write(repo.join("customs.yaml"), "scan:\n  db: db/empty\n").unwrap();
    let out = scan(&repo, &cache, &["."]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!("error: db/empty: the advisory database has no records (0 files read): {EMPTY_TAIL}\n")
    );
    // Meant by the person running customs.
    let out = scan(&repo, &cache, &["--allow-empty-db", "-f", "json", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout_json(&out)["summary"]["packages"], 1);
}

#[test]
fn a_database_for_other_ecosystems_says_so() {
    let root = tempfile::tempdir().unwrap();
    fs::copy(fixtures().join("scan/php/composer.lock"), root.path().join("composer.lock")).unwrap();
    let out = scan(root.path(), &root.path().join("cache"), &["--db", &crates_db(), "-f", "json", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let warning = format!(
        "{}: the advisory database has no records for any scanned ecosystem (scanned: Packagist; the database has: \
         crates.io): no package was checked against it; point --db at advisories for these ecosystems",
        crates_db()
    );
    assert!(stderr(&out).contains(&format!("warning: {warning}\n")), "{}", stderr(&out));
    assert!(stdout_json(&out)["warnings"].as_array().unwrap().contains(&Value::String(warning)));
}

/// A compiled database is read as written (its index and postings were checked by the
/// compile that made it), so a repository's customs.yaml may name OSV records but not
/// one of those; the person running customs may, with --db.
#[test]
fn a_repository_config_cannot_hand_over_a_compiled_database() {
    let root = tempfile::tempdir().unwrap();
    let repo = root.path().join("repo");
    fs::create_dir_all(&repo).unwrap();
    fs::write(
        repo.join("package-lock.json"),
        r#"{"name":"app","lockfileVersion":3,"packages":{"":{"name":"app"},"node_modules/left-pad":{"version":"1.2.0"}}}"#,
    )
    .unwrap();
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/advisory_db/four-records.db");
    fs::copy(&seed, repo.join("advisories.db")).unwrap();
    fs::write(repo.join("customs.yaml"), "scan:\n  db: advisories.db\n").unwrap();
    let cache = root.path().join("cache");

    let out = scan(&repo, &cache, &["-f", "json", "."]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "error: customs.yaml: scan: db: \"advisories.db\" is a compiled customs database; a configuration file may \
         name OSV records (a folder, zip or mirror), which customs compiles and checks itself, but not a compiled \
         database, which is read as written: the file comes with the repository; to use it, give it on the command \
         line with --db\n"
    );
    assert!(out.stdout.is_empty());

    let out = scan(&repo, &cache, &["--db", "advisories.db", "-f", "json", "."]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = stdout_json(&out);
    let ids: Vec<&str> = report["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["SEED-1"]);
}

/// The index of a compiled database is an fst, whose crate panics on node addresses
/// it did not write: a damaged file given with --db is an error naming it, never a panic.
#[test]
fn a_damaged_compiled_database_is_an_error_naming_it() {
    let root = tempfile::tempdir().unwrap();
    fs::write(
        root.path().join("package-lock.json"),
        r#"{"name":"app","lockfileVersion":3,"packages":{"":{"name":"app"},"node_modules/left-pad":{"version":"1.2.0"}}}"#,
    )
    .unwrap();
    let mut db =
        fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/advisory_db/four-records.db")).unwrap();
    // "CUSTOMDB", format, header length, header (JSON with the sections' places), body.
    let header_len = u32::from_le_bytes(db[12..16].try_into().unwrap()) as usize;
    let header: Value = serde_json::from_slice(&db[16..16 + header_len]).unwrap();
    let index_start = 16 + header_len + header["index"][0].as_u64().unwrap() as usize;
    // The fst's format version (3) becomes 1, a format without a checksum: the footer
    // is then read 4 bytes off, and the root node's address points outside the index.
    db[index_start] = 1;
    fs::write(root.path().join("damaged.db"), &db).unwrap();

    let out = scan(root.path(), &root.path().join("cache"), &["--db", "damaged.db", "-f", "json", "."]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "error: damaged.db: not a customs database (or written by an incompatible version): corrupt index section; \
         run `customs db update` to rebuild it\n"
    );
    assert!(out.stdout.is_empty());
}

// ---------------------------------------------------------------------------------------
// Attack 9: FIFOs never block
// ---------------------------------------------------------------------------------------

#[test]
fn fifos_in_the_tree_are_skipped_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(fixtures().join("scan/php/composer.lock"), dir.path().join("composer.lock")).unwrap();
    mkfifo(&dir.path().join("composer.json"));
    fs::create_dir(dir.path().join("py")).unwrap();
    fs::write(dir.path().join("py/requirements.txt"), "requests==2.31.0\n-r extra.txt\n").unwrap();
    mkfifo(&dir.path().join("py/extra.txt"));
    fs::create_dir(dir.path().join("rust")).unwrap();
    mkfifo(&dir.path().join("rust/Cargo.lock"));

    let out = run_bounded(&["sbom", "-f", "json", "."], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = stdout_json(&out);
    let names: Vec<&str> = doc["packages"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["drupal/core", "drupal/webform", "symfony/console", "requests"]);
    assert_eq!(
        doc["warnings"],
        serde_json::json!([
            "composer.json: a FIFO (named pipe), not a regular file; skipped",
            "py/extra.txt: a FIFO (named pipe), not a regular file; skipped",
            "rust/Cargo.lock: a FIFO (named pipe), not a regular file; skipped",
        ])
    );
    let skipped = &doc["skipped"][0];
    assert_eq!(skipped["reason"], "included file is a FIFO (named pipe), not a regular file");
    assert_eq!(skipped["location"], serde_json::json!({"path": "py/requirements.txt", "line": 2}));
}

#[test]
fn fifos_named_by_flags_or_config_are_errors_not_hangs() {
    let root = tempfile::tempdir().unwrap();
    let repo = root.path().join("repo");
    fs::create_dir_all(&repo).unwrap();
    cargo_project(&repo);
    let cache = root.path().join("cache");
    mkfifo(&repo.join("pipe.json"));
    mkfifo(&repo.join("poetry.lock"));
    let cases: [(&[&str], &str); 4] = [
        (&["--db", "pipe.json", "."], "error: pipe.json: a FIFO (named pipe), not a regular file"),
        (
            &["--db", &crates_db(), "--vex", "pipe.json", "."],
            "error: cannot read --vex: cannot read pipe.json: a FIFO (named pipe), not a regular file",
        ),
        (
            &["--db", &crates_db(), "--sbom", "pipe.json"],
            "error: cannot read pipe.json: a FIFO (named pipe), not a regular file",
        ),
        (
            &["--db", &crates_db(), "poetry.lock"],
            "poetry.lock: cannot read file: a FIFO (named pipe), not a regular file",
        ),
    ];
    for (args, expected) in cases {
        let out = scan(&repo, &cache, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(expected), "{args:?}: want {expected:?} in {}", stderr(&out));
    }
    // Named by the repository's customs.yaml: `db:` is looked at (is it a compiled
    // database?) before anything opens it.
    fs::write(repo.join("customs.yaml"), "scan:\n  db: pipe.json\n").unwrap();
    let out = scan(&repo, &cache, &["."]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("pipe.json: a FIFO (named pipe), not a regular file"), "{}", stderr(&out));
    fs::remove_file(repo.join("customs.yaml")).unwrap();
    // The default configuration and ignore files, found by name in the current folder.
    for name in ["customs.yaml", ".customs-ignore.yaml"] {
        mkfifo(&repo.join(name));
        let out = scan(&repo, &cache, &["--db", &crates_db(), "."]);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        let expected = format!("cannot read {name}: a FIFO (named pipe), not a regular file");
        assert!(stderr(&out).contains(&expected), "{name}: want {expected:?} in {}", stderr(&out));
        fs::remove_file(repo.join(name)).unwrap();
    }
}

// ---------------------------------------------------------------------------------------
// Attack 10: a version with a no-break space
// ---------------------------------------------------------------------------------------

#[test]
fn a_version_with_a_no_break_space_is_a_malformed_entry() {
    let dir = tempfile::tempdir().unwrap();
    let lock = fs::read_to_string(fixtures().join("scan/php/composer.lock")).unwrap();
    let hostile = lock.replacen("\"version\": \"9.5.0\"", "\"version\": \"9.5.0\\u00a0\"", 1);
    assert_ne!(hostile, lock);
    fs::write(dir.path().join("composer.lock"), hostile).unwrap();
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("scan-test-cache");
    let osv = shared().join("osv");
    let out = scan(dir.path(), &cache, &["--db", osv.to_str().unwrap(), "-f", "json", "."]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let message = "drupal/core version \"9.5.0\\u{a0}\" contains U+00A0, a control, whitespace or invisible \
                   character: malformed, so it cannot be compared with any advisory; correct the version in the file";
    assert!(stderr(&out).contains(&format!("composer.lock:10: {message}")), "{}", stderr(&out));
    let doc = stdout_json(&out);
    assert_eq!(doc["errors"], serde_json::json!([{"path": "composer.lock", "line": 10, "message": message}]));
    // The rest of the file is still scanned.
    let names: Vec<&str> = doc["packages"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["drupal/webform", "symfony/console"]);
    assert_eq!(doc["summary"]["uncomparable"], 0);
}

/// The same check applies to an SBOM given with `--sbom`: one validation point for
/// every format.
#[test]
fn an_sbom_version_with_a_control_character_is_a_malformed_entry() {
    let dir = tempfile::tempdir().unwrap();
    let sbom = serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "components": [
            {"type": "library", "name": "serde", "version": "1.0.200\u{1b}[2K", "purl": "pkg:cargo/serde@1.0.200%1B%5B2K"},
            {"type": "library", "name": "cfg-if", "version": "1.0.0", "purl": "pkg:cargo/cfg-if@1.0.0"},
        ],
    });
    fs::write(dir.path().join("bom.json"), serde_json::to_string_pretty(&sbom).unwrap()).unwrap();
    let out = scan(dir.path(), &dir.path().join("cache"), &["--db", &crates_db(), "--sbom", "bom.json", "-f", "json"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let doc = stdout_json(&out);
    let error = &doc["errors"][0];
    assert_eq!(error["path"], "bom.json");
    assert_eq!(
        error["message"],
        "serde version \"1.0.200\\x1b[2K\" contains U+001B, a control, whitespace or invisible character: \
         malformed, so it cannot be compared with any advisory; correct the version in the file"
    );
    let names: Vec<&str> = doc["packages"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["cfg-if"]);
}
