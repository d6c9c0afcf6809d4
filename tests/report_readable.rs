//! Reports people read (issue 12): the table of an image scan opens with the image's
//! reference, digest, OS and layer count, shows a Debian advisory once per source
//! package with the binary packages it was installed as, fits `COLUMNS`, and counts
//! in singular and plural; Markdown groups the same way. The image is the shared
//! Debian bookworm archive; the advisory, for `e2fsprogs` (five binary packages in
//! the image), is written by the test beside the shared Debian data.

mod common;

use std::path::Path;
use std::process::Output;

use common::*;

const MANIFEST: &str = "sha256:c6491d915028ac76ad7f528562ad372dc09d20e486d12fa2e301c21aed300d18";

/// `customs scan --image <the Debian archive>` with the shared Debian data and one
/// local advisory for the source package `e2fsprogs`, fixed after the image's version.
fn scan_debian(args: &[&str], columns: Option<&str>) -> (Output, String) {
    let dir = tempfile::tempdir().unwrap();
    let advisory = serde_json::json!({
        "schema_version": "1.6.0",
        "id": "TEST-2026-0001",
        "modified": "2026-01-01T00:00:00Z",
        "summary": "e2fsprogs: one advisory for the source package, fixed by one upload for every binary package built from it",
        "affected": [{
            "package": {"ecosystem": "Debian:12", "name": "e2fsprogs"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.47.0-2+deb12u1"}]}],
        }],
    });
    std::fs::create_dir(dir.path().join("adv")).unwrap();
    std::fs::write(dir.path().join("adv/TEST-2026-0001.json"), advisory.to_string()).unwrap();
    let archive = shared().join("images/debian-bookworm.oci.tar");
    let image = format!("oci-archive:{}:bookworm", archive.display());
    let db = shared().join("osv/Debian");
    let cache = dir.path().join("cache");
    let adv = dir.path().join("adv");
    let mut full = vec![
        "--cache-dir",
        cache.to_str().unwrap(),
        "scan",
        "--db",
        db.to_str().unwrap(),
        "--max-db-age",
        "0",
        "--advisories",
        adv.to_str().unwrap(),
        "--image",
        &image,
    ];
    full.extend_from_slice(args);
    let mut command = customs();
    command.args(&full).current_dir(Path::new(env!("CARGO_TARGET_TMPDIR"))).env_remove("COLUMNS");
    if let Some(columns) = columns {
        command.env("COLUMNS", columns);
    }
    let out = command.output().expect("customs runs");
    (out, image)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn an_image_table_has_a_header_and_one_row_per_source_package() {
    let (out, image) = scan_debian(&[], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    let expected = format!(
        "Image {image}
  digest {MANIFEST}
  Debian GNU/Linux 12 (bookworm) on linux/amd64, 1 layer

/var/lib/dpkg/status
  UNKNOWN  TEST-2026-0001       e2fsprogs 1.47.0-2  fixed in 1.47.0-2+deb12u1
           installed as e2fsprogs, libcom-err2, libext2fs2, libss2, logsave
           e2fsprogs: one advisory for the source package, fixed by one upload for every binary package built from it

customs: 5 vulnerabilities in 88 packages (5 unknown)
"
    );
    assert_eq!(table, expected);
}

#[test]
fn the_table_fits_columns_without_cutting_ids_or_names() {
    let (out, _) = scan_debian(&[], Some("64"));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    let rows: Vec<&str> = table.lines().skip_while(|l| *l != "/var/lib/dpkg/status").skip(1).take(5).collect();
    assert_eq!(
        rows,
        [
            "  UNKNOWN  TEST-2026-0001       e2fsprogs 1.47.0-2",
            "           fixed in 1.47.0-2+deb12u1",
            "           installed as e2fsprogs, libcom-err2, libext2fs2,",
            "             libss2, logsave",
            "           e2fsprogs: one advisory for the source package, fixe…",
        ]
    );
}

#[test]
fn markdown_lists_the_binaries_of_the_source_package() {
    let (out, _) = scan_debian(&["-f", "markdown"], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let md = text(&out.stdout);
    assert!(
        md.contains("| unknown | TEST-2026-0001 | e2fsprogs (installed as e2fsprogs, libcom-err2, libext2fs2, libss2, logsave) | 1.47.0-2 | 1.47.0-2+deb12u1 | `/var/lib/dpkg/status` |\n"),
        "{md}"
    );
    assert!(md.contains(": **88** packages.\n"), "{md}");
}

#[test]
fn json_keeps_one_finding_per_binary_package() {
    let (out, _) = scan_debian(&["-f", "json"], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let doc = stdout_json(&out);
    let mut purls: Vec<&str> =
        doc["findings"].as_array().unwrap().iter().map(|f| f["package"]["purl"].as_str().unwrap()).collect();
    purls.sort();
    assert_eq!(purls.len(), 5);
    assert!(purls[1].starts_with("pkg:deb/debian/libcom-err2@1.47.0-2%2Bb2?"), "{purls:?}");
}
