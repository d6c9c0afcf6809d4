//! The first hour with customs (issue #12, part A): `tests/run.sh` on a fresh machine,
//! one-line failures for missing test tools, the stale-database warning's remedy,
//! `--offline`'s help and error chains that say each cause once. `db update` offline is
//! in `tests/db_update.rs`.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::*;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

// ---- tests/run.sh, run with a PATH of stand-ins ----

/// A folder to be the whole `PATH`: `dirname` (which the script needs), an `id` that
/// says whether we are root, and stand-ins written by [`stub`].
fn fake_path(uid: u32) -> tempfile::TempDir {
    let bin = tempfile::tempdir().unwrap();
    let dirname = ["/usr/bin/dirname", "/bin/dirname"].into_iter().find(|p| Path::new(p).exists()).unwrap();
    std::os::unix::fs::symlink(dirname, bin.path().join("dirname")).unwrap();
    stub(bin.path(), "id", &format!("echo {uid}"));
    bin
}

fn stub(bin: &Path, name: &str, body: &str) {
    let path = bin.join(name);
    fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// Every program the tests drive, except `missing`.
fn stub_tools(bin: &Path, missing: &[&str]) {
    let programs = [
        "docker-registry",
        "skopeo",
        "umoci",
        "htpasswd",
        "openssl",
        "rpm",
        "rpmbuild",
        "db5.3_load",
        "go",
        "objcopy",
        "python3",
        "jq",
        "pip3",
    ];
    for program in programs.iter().filter(|p| !missing.contains(p)) {
        stub(bin, program, "exit 0");
    }
}

fn run_sh(bin: &Path, args: &[&str]) -> Output {
    let bash = ["/bin/bash", "/usr/bin/bash"].into_iter().find(|p| Path::new(p).exists()).unwrap();
    Command::new(bash)
        .arg(crate_dir().join("tests/run.sh"))
        .args(args)
        .env_clear()
        .env("PATH", bin)
        .stdin(Stdio::null())
        .output()
        .expect("bash runs")
}

fn log(bin: &Path, name: &str) -> String {
    fs::read_to_string(bin.join(name)).unwrap_or_default()
}

#[test]
fn run_sh_that_cannot_install_prints_one_line_naming_the_packages() {
    // Not root, no sudo, no apt-get, no tools.
    let bin = fake_path(1000);
    let out = run_sh(bin.path(), &[]);
    let all = "docker-registry skopeo umoci apache2-utils openssl rpm db5.3-util golang-go binutils python3 jq \
               python3-pip";
    assert_eq!(
        (out.status.code(), stderr(&out).as_str(), out.stdout.as_slice()),
        (
            Some(1),
            format!(
                "tests/run.sh: the tests need {all}; install them with: sudo apt-get install {all} \
                 (other systems: see README.md)\n"
            )
            .as_str(),
            &b""[..]
        )
    );

    // rpmbuild missing though rpm is there: the package rpm is still needed. apt-get
    // exists but fails (no network): the same one line.
    let bin = fake_path(0);
    stub_tools(bin.path(), &["rpmbuild"]);
    stub(bin.path(), "apt-get", "exit 100");
    let out = run_sh(bin.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "tests/run.sh: installing rpm\ntests/run.sh: the tests need rpm; install them with: sudo apt-get install rpm \
         (other systems: see README.md)\n"
    );
}

#[test]
fn run_sh_installs_what_is_missing_through_sudo_then_runs_every_test_target() {
    let bin = fake_path(1000);
    stub_tools(bin.path(), &["umoci", "go"]);
    let dir = bin.path().display();
    // sudo drops its own options and runs the rest; both record how they were called.
    stub(bin.path(), "sudo", &format!("echo \"sudo $*\" >> {dir}/calls; shift; exec \"$@\""));
    stub(bin.path(), "apt-get", &format!("echo \"apt-get $*\" >> {dir}/calls"));
    stub(bin.path(), "cargo", &format!("echo \"cargo $*\" >> {dir}/calls; exit 101"));
    let out = run_sh(bin.path(), &["--test", "db_update"]);
    assert_eq!(out.status.code(), Some(101), "cargo's exit status is the script's: {}", stderr(&out));
    assert_eq!(stderr(&out), "tests/run.sh: installing umoci golang-go\n");
    assert_eq!(
        log(bin.path(), "calls"),
        "sudo -n apt-get update -qq\n\
         apt-get update -qq\n\
         sudo -n apt-get install -y -qq --no-install-recommends umoci golang-go\n\
         apt-get install -y -qq --no-install-recommends umoci golang-go\n\
         cargo test --locked --no-fail-fast --test db_update\n"
    );

    // Everything there: nothing installed, cargo run at once.
    let bin = fake_path(1000);
    stub_tools(bin.path(), &[]);
    let dir = bin.path().display();
    stub(bin.path(), "cargo", &format!("echo \"cargo $*\" >> {dir}/calls"));
    let out = run_sh(bin.path(), &[]);
    assert_eq!((out.status.code(), stderr(&out).as_str()), (Some(0), ""));
    assert_eq!(log(bin.path(), "calls"), "cargo test --locked --no-fail-fast\n");
}

// ---- the tests' own helper for external programs ----

#[test]
fn a_test_whose_program_is_missing_fails_with_one_line_naming_the_package() {
    let empty = tempfile::tempdir().unwrap();
    let path = empty.path().to_path_buf();
    let cases = [
        ("docker-registry", "docker-registry"),
        ("htpasswd", "apache2-utils"),
        ("go", "golang-go"),
        ("skopeo", "skopeo"),
    ];
    for (program, package) in cases {
        let path = path.clone();
        let payload = std::panic::catch_unwind(move || {
            tools::output(Command::new(program).arg("--version").env("PATH", &path));
        })
        .expect_err("the helper panics");
        assert_eq!(
            payload.downcast_ref::<String>().map(String::as_str),
            Some(
                format!(
                    "this test needs {program}: install the Debian package {package} (apt-get install {package}), \
                     or run tests/run.sh"
                )
                .as_str()
            )
        );
    }
    assert_eq!(tools::run("sh", &["-c", "echo here"]), "here\n");
}

// ---- the stale-database warning ----

fn osv(ecosystem: &str) -> PathBuf {
    shared().join("osv").join(ecosystem)
}

/// `age_days` of a database as `db info --json` reports it.
fn age_days(cache: &Path, db: Option<&Path>) -> u64 {
    let mut cmd = customs();
    cmd.arg("--cache-dir").arg(cache).args(["db", "info", "--json"]);
    if let Some(db) = db {
        cmd.arg("--db").arg(db);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    stdout_json(&out)["age_days"].as_u64().expect("the shared data is dated")
}

fn warnings(out: &Output) -> Vec<String> {
    stderr(out).lines().filter(|l| l.contains("days old")).map(str::to_string).collect()
}

#[test]
fn the_age_warning_for_db_path_says_to_refresh_that_data() {
    let cache = tempfile::tempdir().unwrap();
    let db = osv("crates.io");
    let age = age_days(cache.path(), Some(&db));
    assert!(age > 1, "the shared data is older than a day");
    let project = fixtures().join("scan/rust");
    let out = customs()
        .arg("--cache-dir")
        .arg(cache.path())
        .args(["scan", "--max-db-age", "1", "--db"])
        .arg(&db)
        .arg(&project)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "the fixture has findings: {}", stderr(&out));
    assert_eq!(
        warnings(&out),
        [format!(
            "warning: the advisory database's newest record is {age} days old (over --max-db-age 1); it comes from \
             --db {}, which `customs db update` does not touch: refresh that mirror or folder, or pass \
             --max-db-age 0 to silence this warning",
            db.display()
        )]
    );
}

#[test]
fn the_age_warning_for_the_default_database_says_db_update() {
    let cache = tempfile::tempdir().unwrap();
    let update = customs()
        .arg("--cache-dir")
        .arg(cache.path())
        .args(["db", "update", "--ecosystem", "crates.io", "--mirror"])
        .arg(shared().join("osv"))
        .output()
        .unwrap();
    assert!(update.status.success(), "{}", stderr(&update));
    let age = age_days(cache.path(), None);
    let out = customs()
        .arg("--cache-dir")
        .arg(cache.path())
        .args(["scan", "--max-db-age", "1"])
        .arg(fixtures().join("scan/rust"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        warnings(&out),
        [format!(
            "warning: the advisory database's newest record is {age} days old (over --max-db-age 1); run \
             `customs db update` to refresh it, or pass --max-db-age 0 to silence this warning"
        )]
    );
}

// ---- --offline's help, error chains ----

#[test]
fn offline_help_says_what_the_flag_does() {
    let out = customs().args(["scan", "--help"]).output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        help.contains(
            "--offline Never contact a registry: an image in one is refused (scan a docker-archive:, oci-archive: or \
             oci: copy), and base-image and signature rules that need one fail. Advisories are read locally with or \
             without it (the default database, or --db); a scan never downloads them: `customs db update` does."
        ),
        "{help}"
    );
}

#[test]
fn an_error_names_its_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing-advisories");
    let out = customs()
        .arg("--cache-dir")
        .arg(dir.path())
        .args(["scan", "--advisories"])
        .arg(&missing)
        .arg("--db")
        .arg(osv("crates.io"))
        .arg(fixtures().join("scan/rust"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        format!("error: cannot read --advisories: {}: No such file or directory (os error 2)\n", missing.display())
    );
}
