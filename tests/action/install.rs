//! `action/install.sh`: customs from PATH, a build from source, or a release archive
//! checked against its published SHA-256.

use std::os::unix::fs::PermissionsExt;

use sha2::{Digest, Sha256};

use super::*;

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn install_uses_customs_from_path_else_asks_for_a_build() {
    let runner = Runner::new();
    let out = runner.run("install.sh");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(runner.outputs(), outputs(&[("build", "false")]));
    assert!(text(&out.stdout).starts_with("customs action: using customs 0.1.0 at "));

    let mut bare = Runner::new();
    bare.path = "/usr/bin:/bin".into();
    let out = bare.run("install.sh");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lock_hash = sha256_hex(&fs::read(crate_dir().join("Cargo.lock")).unwrap());
    assert_eq!(bare.outputs(), outputs(&[("build", "true"), ("lock-hash", &lock_hash)]));
    assert_eq!(fs::read_to_string(bare.file("path")).unwrap(), "", "nothing added to PATH yet");
}

/// A release folder in the expected layout, holding a stand-in binary of version 9.9.9.
fn release(runner: &Runner, checksum: Option<&str>) -> String {
    let root = runner.file("releases");
    let staging = runner.file("staging/customs-9.9.9");
    fs::create_dir_all(&staging).unwrap();
    fs::write(staging.join("customs"), "#!/bin/sh\necho customs 9.9.9\n").unwrap();
    fs::set_permissions(staging.join("customs"), fs::Permissions::from_mode(0o755)).unwrap();
    let dir = root.join("v9.9.9");
    fs::create_dir_all(&dir).unwrap();
    let asset = dir.join("customs-9.9.9-x86_64-unknown-linux-gnu.tar.gz");
    let status = Command::new("tar")
        .arg("-czf")
        .arg(&asset)
        .arg("-C")
        .arg(runner.file("staging"))
        .arg("customs-9.9.9")
        .status()
        .unwrap();
    assert!(status.success());
    let digest = checksum.map(str::to_string).unwrap_or_else(|| sha256_hex(&fs::read(&asset).unwrap()));
    fs::write(
        dir.join("customs-9.9.9-x86_64-unknown-linux-gnu.tar.gz.sha256"),
        format!("{digest}  customs-9.9.9-x86_64-unknown-linux-gnu.tar.gz\n"),
    )
    .unwrap();
    format!("file://{}", root.display().to_string().replace(' ', "%20"))
}

#[test]
fn install_downloads_a_released_version_and_checks_its_checksum() {
    // The customs on PATH is 0.1.0, not the requested version: download.
    let runner = Runner::new();
    let url = release(&runner, None);
    let runner = runner.with("INPUT_VERSION", "v9.9.9").with("CUSTOMS_RELEASE_URL", &url);
    let out = runner.run("install.sh");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(runner.outputs(), outputs(&[("build", "false")]));
    let bin = runner.file("temp/customs-9.9.9/unpacked/customs-9.9.9");
    assert_eq!(fs::read_to_string(runner.file("path")).unwrap(), format!("{}\n", bin.display()));
    let version = Command::new(bin.join("customs")).output().unwrap();
    assert_eq!(text(&version.stdout), "customs 9.9.9\n");

    let tampered = Runner::new();
    let url = release(&tampered, Some(&"0".repeat(64)));
    let tampered = tampered.with("INPUT_VERSION", "9.9.9").with("CUSTOMS_RELEASE_URL", &url);
    let out = tampered.run("install.sh");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).contains("does not match its published SHA-256 (expected 0000"), "{}", text(&out.stdout));
    assert_eq!(fs::read_to_string(tampered.file("path")).unwrap(), "", "a binary that fails its checksum is not used");
    assert_eq!(tampered.outputs(), BTreeMap::new());

    let missing = Runner::new().with("INPUT_VERSION", "9.9.8").with("CUSTOMS_RELEASE_URL", &url);
    let out = missing.run("install.sh");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).contains("cannot download customs 9.9.8 (customs-9.9.8-x86_64-unknown-linux-gnu.tar.gz)"));
}
