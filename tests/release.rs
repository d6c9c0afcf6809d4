//! `release/build.sh`: the release files the GitHub Action's install step downloads.
//! The script packages the customs built for this test run (a release build takes
//! minutes), the files are served by a real HTTP server on 127.0.0.1, and
//! `action/install.sh` installs from it the way a runner would, or refuses a
//! corrupted archive. Also `--check`: the crate package ships no test data.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

const VERSION: &str = env!("CARGO_PKG_VERSION");
/// 2023-11-14T22:13:20Z: every entry's mtime and the SBOM's timestamp.
const EPOCH: u64 = 1_700_000_000;

/// The host's target triple and the runner's `RUNNER_OS`/`RUNNER_ARCH` for it.
fn host() -> (&'static str, &'static str, &'static str) {
    match (std::env::consts::ARCH, std::env::consts::OS) {
        ("x86_64", "linux") => ("x86_64-unknown-linux-gnu", "Linux", "X64"),
        ("aarch64", "linux") => ("aarch64-unknown-linux-gnu", "Linux", "ARM64"),
        ("x86_64", "macos") => ("x86_64-apple-darwin", "macOS", "X64"),
        ("aarch64", "macos") => ("aarch64-apple-darwin", "macOS", "ARM64"),
        (arch, os) => panic!("the action has no prebuilt customs for {os}/{arch}, so this test cannot run here"),
    }
}

fn asset() -> String {
    format!("customs-{VERSION}-{}.tar.gz", host().0)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `release/build.sh ARGS…` with a fixed SOURCE_DATE_EPOCH.
fn build_script(args: &[&str]) -> Output {
    tools::output(
        Command::new("bash")
            .arg(crate_dir().join("release/build.sh"))
            .args(args)
            .env("SOURCE_DATE_EPOCH", EPOCH.to_string())
            .env("CARGO", env!("CARGO")),
    )
}

/// Packages the test run's customs into `out`; the script must succeed.
fn package(out: &Path) {
    let result = build_script(&["--binary", env!("CARGO_BIN_EXE_customs"), "--out", out.to_str().unwrap()]);
    assert!(result.status.success(), "release/build.sh failed: {}", text(&result.stderr));
    assert_eq!(
        text(&result.stdout),
        format!(
            "release/build.sh: wrote {a}, {a}.sha256 and customs-{VERSION}-{t}.cdx.json in {}\n",
            out.display(),
            a = asset(),
            t = host().0
        )
    );
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// `python3 -m http.server` on a free port of 127.0.0.1, its request log kept in a file;
/// killed when dropped.
struct Server {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Server {
    fn start(dir: &Path, log: PathBuf) -> Server {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = tools::spawn(
            Command::new("python3")
                .args(["-m", "http.server", "--bind", "127.0.0.1", &port.to_string(), "--directory"])
                .arg(dir)
                .env("PYTHONUNBUFFERED", "1")
                .stdout(Stdio::null())
                .stderr(fs::File::create(&log).unwrap()),
        );
        let server = Server { child, port, log };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "python3 -m http.server did not start on port {port}");
            std::thread::sleep(Duration::from_millis(25));
        }
        server
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The request lines served so far (`GET /path HTTP/1.1`), with their status.
    fn requests(&self) -> Vec<String> {
        fs::read_to_string(&self.log)
            .unwrap()
            .lines()
            .filter_map(|line| {
                let mut parts = line.split('"');
                let request = parts.nth(1)?;
                let status = parts.next()?.split_whitespace().next()?;
                Some(format!("{request} {status}"))
            })
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `action/install.sh` as a runner runs it: its files in a fresh folder, a PATH with
/// no customs on it, and the step's inputs.
struct Install {
    dir: tempfile::TempDir,
    out: Output,
}

impl Install {
    /// With `version: v<VERSION>`.
    fn run(release_url: &str) -> Install {
        Install::run_with(release_url, &[("INPUT_VERSION", &format!("v{VERSION}"))], &crate_dir())
    }

    /// With the step's environment `env` added, and the action's files at `action_path`.
    fn run_with(release_url: &str, env: &[(&str, &str)], action_path: &Path) -> Install {
        let (_, runner_os, runner_arch) = host();
        let dir = tempfile::Builder::new().prefix("customs runner ").tempdir().unwrap();
        fs::create_dir(dir.path().join("temp")).unwrap();
        for file in ["output", "path"] {
            fs::write(dir.path().join(file), "").unwrap();
        }
        let path = "/usr/bin:/bin";
        for folder in path.split(':') {
            assert!(!Path::new(folder).join("customs").exists(), "{folder}/customs would be used instead");
        }
        let out = tools::output(
            Command::new("bash")
                .arg(crate_dir().join("action/install.sh"))
                .env_clear()
                .env("PATH", path)
                .env("HOME", dir.path())
                .env("GITHUB_OUTPUT", dir.path().join("output"))
                .env("GITHUB_PATH", dir.path().join("path"))
                .env("GITHUB_ACTION_PATH", action_path)
                .env("RUNNER_TEMP", dir.path().join("temp"))
                .env("RUNNER_OS", runner_os)
                .env("RUNNER_ARCH", runner_arch)
                .env("CUSTOMS_RELEASE_URL", release_url)
                .envs(env.iter().copied())
                .current_dir(dir.path()),
        );
        Install { dir, out }
    }

    fn file(&self, name: &str) -> String {
        fs::read_to_string(self.dir.path().join(name)).unwrap()
    }

    /// The step's outputs, from `$GITHUB_OUTPUT`'s `name<<delimiter` records.
    fn outputs(&self) -> Vec<(String, String)> {
        let text = self.file("output");
        let mut lines = text.lines();
        let mut outputs = Vec::new();
        while let Some(line) = lines.next() {
            let (name, delimiter) = line.split_once("<<").unwrap_or_else(|| panic!("not a record: {line}"));
            let value: Vec<&str> = lines.by_ref().take_while(|l| *l != delimiter).collect();
            outputs.push((name.to_string(), value.join("\n")));
        }
        outputs
    }

    fn stdout(&self) -> String {
        text(&self.out.stdout)
    }
}

fn build_outputs() -> Vec<(String, String)> {
    let lock_hash = sha256_hex(&fs::read(crate_dir().join("Cargo.lock")).unwrap());
    vec![("build".to_string(), "true".to_string()), ("lock-hash".to_string(), lock_hash)]
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// (path, mode, "uid/gid user/group", mtime, SHA-256 of the contents) of every entry, in archive order.
/// (Owner names are checked too: a build as root has uid 0 without `--owner=0`.)
type Entry = (String, u32, String, u64, String);

fn entries(archive: &[u8]) -> Vec<Entry> {
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(archive));
    tar.entries()
        .unwrap()
        .map(|entry| {
            let mut entry = entry.unwrap();
            let header = entry.header().clone();
            let mut contents = Vec::new();
            entry.read_to_end(&mut contents).unwrap();
            (
                entry.path().unwrap().display().to_string(),
                header.mode().unwrap(),
                format!(
                    "{}/{} {}/{}",
                    header.uid().unwrap(),
                    header.gid().unwrap(),
                    header.username().unwrap().unwrap_or("?"),
                    header.groupname().unwrap().unwrap_or("?")
                ),
                header.mtime().unwrap(),
                sha256_hex(&contents),
            )
        })
        .collect()
}

#[test]
fn packaged_release_installs_through_the_action_and_a_corrupted_one_is_refused() {
    let (triple, _, _) = host();
    let served = tempfile::tempdir().unwrap();
    let release = served.path().join(format!("v{VERSION}"));
    package(&release);
    let sbom_name = format!("customs-{VERSION}-{triple}.cdx.json");
    assert_eq!(file_names(&release), [sbom_name.clone(), asset(), format!("{}.sha256", asset())]);

    // The archive: the binary and README.md at the top, sorted, owned by 0/0, fixed
    // modes and mtime; gzip without a file name or time.
    let archive = fs::read(release.join(asset())).unwrap();
    assert_eq!(archive[3] & 0x08, 0, "no file name in the gzip header");
    assert_eq!(archive[4..8], [0, 0, 0, 0], "no time in the gzip header");
    let binary = fs::read(env!("CARGO_BIN_EXE_customs")).unwrap();
    let readme = fs::read(crate_dir().join("README.md")).unwrap();
    assert_eq!(
        entries(&archive),
        vec![
            ("README.md".to_string(), 0o644, "0/0 /".to_string(), EPOCH, sha256_hex(&readme)),
            ("customs".to_string(), 0o755, "0/0 /".to_string(), EPOCH, sha256_hex(&binary)),
        ]
    );

    // The checksum file is sha256sum's own format.
    let digest = sha256_hex(&archive);
    assert_eq!(
        fs::read_to_string(release.join(format!("{}.sha256", asset()))).unwrap(),
        format!("{digest}  {}\n", asset())
    );
    let check =
        tools::output(Command::new("sha256sum").arg("-c").arg(format!("{}.sha256", asset())).current_dir(&release));
    assert!(check.status.success(), "{}", text(&check.stderr));
    assert_eq!(text(&check.stdout), format!("{}: OK\n", asset()));

    // The SBOM: customs and every other crate of Cargo.lock, stamped at SOURCE_DATE_EPOCH.
    let bom: Value = serde_json::from_str(&fs::read_to_string(release.join(&sbom_name)).unwrap()).unwrap();
    assert_eq!(schema_errors("bom-1.6.schema.json", &bom), Vec::<String>::new());
    assert_eq!(bom["metadata"]["timestamp"], "2023-11-14T22:13:20Z");
    assert_eq!(bom["metadata"]["component"]["purl"], format!("pkg:cargo/customs@{VERSION}"));
    let lock: toml::Table = toml::from_str(&fs::read_to_string(crate_dir().join("Cargo.lock")).unwrap()).unwrap();
    let locked: BTreeSet<String> = lock["package"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"].as_str() != Some("customs"))
        .map(|p| format!("{}@{}", p["name"].as_str().unwrap(), p["version"].as_str().unwrap()))
        .collect();
    let listed: BTreeSet<String> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{}@{}", c["name"].as_str().unwrap(), c["version"].as_str().unwrap()))
        .collect();
    assert!(locked.len() > 100, "Cargo.lock read: {} crates", locked.len());
    assert_eq!(listed, locked);

    // Served over HTTP, the action's install step downloads the archive and its
    // checksum, once each, and puts the binary on PATH.
    let server = Server::start(served.path(), served.path().join("requests.log"));
    let install = Install::run(&server.url());
    assert_eq!(install.out.status.code(), Some(0), "{}{}", text(&install.out.stdout), text(&install.out.stderr));
    let bin = install.dir.path().join(format!("temp/customs-{VERSION}/unpacked"));
    assert_eq!(install.file("path"), format!("{}\n", bin.display()));
    assert!(text(&install.out.stdout).ends_with(&format!("installed customs {VERSION} in {}\n", bin.display())));
    assert_eq!(fs::read(bin.join("customs")).unwrap(), binary);
    let version = tools::output(Command::new(bin.join("customs")).arg("--version"));
    assert_eq!(text(&version.stdout), format!("customs {VERSION}\n"));
    let downloads = [
        format!("GET /v{VERSION}/{} HTTP/1.1 200", asset()),
        format!("GET /v{VERSION}/{}.sha256 HTTP/1.1 200", asset()),
    ];
    assert_eq!(server.requests(), downloads);

    // One byte flipped, the checksum unchanged: refused before it is unpacked.
    let mut corrupted = archive;
    let middle = corrupted.len() / 2;
    corrupted[middle] ^= 0x01;
    fs::write(release.join(asset()), &corrupted).unwrap();
    let refused = Install::run(&server.url());
    assert_eq!(refused.out.status.code(), Some(2));
    let stdout = text(&refused.out.stdout);
    assert!(
        stdout.contains(&format!(
            "::error title=customs::{} does not match its published SHA-256 (expected {digest}, got {})\n",
            asset(),
            sha256_hex(&corrupted)
        )),
        "{stdout}"
    );
    assert_eq!(refused.file("path"), "", "nothing is added to PATH");
    assert!(!refused.dir.path().join(format!("temp/customs-{VERSION}/unpacked/customs")).exists());
    assert_eq!(server.requests().len(), 4, "{:?}", server.requests());
}

#[test]
fn the_same_binary_packages_to_the_same_bytes() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    package(first.path());
    package(second.path());
    for name in file_names(first.path()) {
        assert!(
            fs::read(first.path().join(&name)).unwrap() == fs::read(second.path().join(&name)).unwrap(),
            "{name} differs"
        );
    }
    assert_eq!(file_names(first.path()).len(), 3);
}

#[test]
fn release_script_failures_say_what_is_wrong_and_write_nothing() {
    let out = tempfile::tempdir().unwrap();
    let out_arg = out.path().to_str().unwrap();
    let stand_in = out.path().join("old-customs");
    fs::write(&stand_in, "#!/bin/sh\necho customs 0.0.1\n").unwrap();
    fs::set_permissions(&stand_in, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();

    let usage = "usage: release/build.sh [--target TRIPLE] [--out DIR] [--binary PATH] | --check [--no-verify]\n";
    for (args, code, message) in [
        (
            vec!["--binary", "/nonexistent/customs", "--out", out_arg],
            1,
            "release/build.sh: /nonexistent/customs: no such binary\n".to_string(),
        ),
        (
            vec!["--binary", stand_in.to_str().unwrap(), "--out", out_arg],
            1,
            format!("release/build.sh: {} is not customs {VERSION} (it says: customs 0.0.1)\n", stand_in.display()),
        ),
        (vec!["--binary", "x", "--out"], 2, format!("release/build.sh: --out needs a value\n{usage}")),
        (vec!["--sign"], 2, format!("release/build.sh: unknown argument: --sign\n{usage}")),
        (
            vec!["--target", "x86_64;rm", "--out", out_arg],
            2,
            format!("release/build.sh: not a target triple: x86_64;rm\n{usage}"),
        ),
    ] {
        let result = build_script(&args);
        assert_eq!(result.status.code(), Some(code), "{args:?}: {}", text(&result.stderr));
        assert_eq!(text(&result.stderr), message, "{args:?}");
    }

    let bad_epoch = tools::output(
        Command::new("bash")
            .arg(crate_dir().join("release/build.sh"))
            .args(["--binary", env!("CARGO_BIN_EXE_customs"), "--out", out_arg])
            .env("SOURCE_DATE_EPOCH", "yesterday"),
    );
    assert_eq!(bad_epoch.status.code(), Some(1));
    assert_eq!(
        text(&bad_epoch.stderr),
        "release/build.sh: SOURCE_DATE_EPOCH must be seconds since 1970, not \"yesterday\"\n"
    );
    assert_eq!(file_names(out.path()), ["old-customs"], "no release files from a failed run");
}

/// `cargo install customs` gets the crate package: the sources, build.rs and the
/// advisories it compiles in, and none of the test data.
#[test]
fn the_crate_package_ships_no_test_data() {
    // Without --no-verify, cargo also builds the package: half a minute more on a warm
    // target folder (measured), and build.rs builds without advisories/ anyway, so the
    // file list is what catches a missing one.
    let check = build_script(&["--check", "--no-verify"]);
    assert!(check.status.success(), "{}", text(&check.stderr));
    assert!(text(&check.stdout).ends_with(" files, no test data\n"), "{}", text(&check.stdout));

    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().to_path_buf();
    let crate_file = target.join(format!("package/customs-{VERSION}.crate"));
    let bytes = fs::read(&crate_file).unwrap_or_else(|e| panic!("{}: {e}", crate_file.display()));
    let prefix = format!("customs-{VERSION}/");
    let mut package = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
    let paths: Vec<String> = package
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().display().to_string())
        .map(|p| p.strip_prefix(&prefix).unwrap_or_else(|| panic!("{p} is outside {prefix}")).to_string())
        .collect();
    for shipped in &paths {
        let top = shipped.split('/').next().unwrap();
        assert!(!["fixtures", "tests", "benches", "deploy", "fuzz", "release"].contains(&top), "{shipped} is shipped");
    }
    for needed in ["Cargo.toml", "Cargo.lock", "build.rs", "src/main.rs", "advisories/CUSTOMS-2026-0001.json"] {
        assert!(paths.iter().any(|p| p == needed), "{needed} is not shipped");
    }
}

/// `version:` empty: the release of the action's own tag is installed (the tag read from
/// GITHUB_ACTION_REF, or from the action's path on the runner; a moving `v0` tag by the
/// version in the action's Cargo.toml); a tag without a release and a branch are built
/// from source; a corrupted release is never a reason to build.
#[test]
fn without_a_version_the_action_installs_the_release_of_its_own_tag() {
    let (triple, _, _) = host();
    let served = tempfile::tempdir().unwrap();
    let release = served.path().join(format!("v{VERSION}"));
    package(&release);
    let server = Server::start(served.path(), served.path().join("requests.log"));
    let downloads = |version: &str, status: u16| {
        vec![
            format!("GET /v{version}/customs-{version}-{triple}.tar.gz HTTP/1.1 {status}"),
            format!("GET /v{version}/customs-{version}-{triple}.tar.gz.sha256 HTTP/1.1 {status}"),
        ]
    };
    let installed = |install: &Install| {
        let bin = install.dir.path().join(format!("temp/customs-{VERSION}/unpacked"));
        assert_eq!(install.out.status.code(), Some(0), "{}{}", install.stdout(), text(&install.out.stderr));
        assert_eq!(
            install.stdout(),
            format!(
                "customs action: no version asked; looking for the release of this action's tag v{VERSION}\n\
                 customs action: downloading {}\n\
                 customs action: installed customs {VERSION} in {}\n",
                asset(),
                bin.display()
            )
        );
        assert_eq!(install.outputs(), [("build".to_string(), "false".to_string())]);
        assert_eq!(install.file("path"), format!("{}\n", bin.display()));
    };

    // The tag from GITHUB_ACTION_REF.
    let tag = format!("v{VERSION}");
    let by_ref = Install::run_with(&server.url(), &[("GITHUB_ACTION_REF", &tag)], &crate_dir());
    installed(&by_ref);
    assert_eq!(server.requests(), downloads(VERSION, 200));

    // The tag from the action's path, as the runner checks actions out:
    // .../_actions/OWNER/REPO/REF/ (GITHUB_ACTION_REF is empty in composite actions).
    let actions = tempfile::tempdir().unwrap();
    let action_path = actions.path().join("_actions/owner/customs").join(&tag);
    fs::create_dir_all(action_path.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(crate_dir(), &action_path).unwrap();
    let by_path = Install::run_with(&server.url(), &[("GITHUB_ACTION_REF", "")], &action_path);
    installed(&by_path);
    assert_eq!(server.requests()[2..], downloads(VERSION, 200));

    // A release tag with no release: one request answered 404, then a build.
    let unreleased = Install::run_with(&server.url(), &[("GITHUB_ACTION_REF", "v9.9.9")], &crate_dir());
    assert_eq!(unreleased.out.status.code(), Some(0), "{}", text(&unreleased.out.stderr));
    assert_eq!(
        unreleased.stdout(),
        format!(
            "customs action: no version asked; looking for the release of this action's tag v9.9.9\n\
             customs action: downloading customs-9.9.9-{triple}.tar.gz\n\
             customs action: release v9.9.9 has no customs-9.9.9-{triple}.tar.gz (not found at {}/v9.9.9/); \
             building it from {}\n",
            server.url(),
            crate_dir().display()
        )
    );
    assert_eq!(unreleased.outputs(), build_outputs());
    assert_eq!(unreleased.file("path"), "");
    assert!(!unreleased.dir.path().join("temp/customs-9.9.9").exists(), "the 404 page is not left behind");
    assert_eq!(server.requests()[4..], downloads("9.9.9", 404)[..1]);

    // A moving major tag: the version of the action's Cargo.toml, when it is under the tag.
    let major = format!("v{}", VERSION.split('.').next().unwrap());
    let moving = Install::run_with(&server.url(), &[("GITHUB_ACTION_REF", &major)], &crate_dir());
    assert_eq!(moving.out.status.code(), Some(0), "{}", text(&moving.out.stderr));
    assert!(
        moving.stdout().starts_with(&format!(
            "customs action: no version asked; looking for the release of this action's tag {major} \
             ({VERSION}, from its Cargo.toml)\ncustoms action: downloading {}\n",
            asset()
        )),
        "{}",
        moving.stdout()
    );
    assert_eq!(moving.outputs(), [("build".to_string(), "false".to_string())]);
    assert_eq!(server.requests()[5..], downloads(VERSION, 200));
    let other_major = Install::run_with(&server.url(), &[("GITHUB_ACTION_REF", "v99")], &crate_dir());
    assert_eq!(
        other_major.stdout(),
        format!(
            "customs action: no customs on PATH, and this action's tag v99 does not match its Cargo.toml's version \
             ({VERSION}); building it from {}\n",
            crate_dir().display()
        )
    );
    assert_eq!(other_major.outputs(), build_outputs());

    // A branch or a SHA: built, nothing downloaded.
    for reference in ["main", "0123456789abcdef0123456789abcdef01234567"] {
        let branch = Install::run_with(&server.url(), &[("GITHUB_ACTION_REF", reference)], &crate_dir());
        assert_eq!(branch.out.status.code(), Some(0), "{}", text(&branch.out.stderr));
        assert_eq!(
            branch.stdout(),
            format!(
                "customs action: no customs on PATH, and this action's ref ({reference}) is no release tag; \
                 building it from {}\n",
                crate_dir().display()
            )
        );
        assert_eq!(branch.outputs(), build_outputs());
    }
    assert_eq!(server.requests().len(), 7, "{:?}", server.requests());

    // The tag's release corrupted: refused, and no build instead.
    let archive = fs::read(release.join(asset())).unwrap();
    let mut corrupted = archive.clone();
    corrupted[archive.len() / 2] ^= 0x01;
    fs::write(release.join(asset()), &corrupted).unwrap();
    let refused = Install::run_with(&server.url(), &[("GITHUB_ACTION_REF", &tag)], &crate_dir());
    assert_eq!(refused.out.status.code(), Some(2));
    assert!(
        refused.stdout().contains(&format!(
            "::error title=customs::{} does not match its published SHA-256 (expected {}, got {})\n",
            asset(),
            sha256_hex(&archive),
            sha256_hex(&corrupted)
        )),
        "{}",
        refused.stdout()
    );
    assert_eq!(refused.outputs(), []);
    assert_eq!(refused.file("path"), "");
    assert_eq!(server.requests()[7..], downloads(VERSION, 200));
}
