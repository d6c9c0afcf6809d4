//! Hostile images, end to end through the binary: each is an OCI layout written here,
//! layer by layer, the way an attacker would push it (issue #10, attacks 3, 4, 5 and
//! 9). A package database hidden behind a lower layer's stale copy, deleted
//! databases, layers that expand to gigabytes of wanted files, whiteouts and paths
//! built to make the merge or the lookup quadratic, and FIFOs where files should be.

mod common;

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::*;
use customs::image::digest::Digest;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
const MIB: u64 = 1 << 20;
/// What a quadratic input may take in a debug build on a busy machine: 4 s alone
/// here for the whiteouts (0.3 s for the include), where main took minutes.
const BOUND: Duration = Duration::from_secs(20);

const DEBIAN_12: &[u8] = b"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n\
VERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n";
/// An openssl with known advisories in `../shared/osv` (DSA-5532-1, DSA-5764-1).
const OLD_OPENSSL: &[u8] = b"Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\n\
Source: openssl\nVersion: 3.0.9-1\n\nPackage: base-files\nStatus: install ok installed\n\
Architecture: amd64\nVersion: 12.4+deb12u5\n";

/// One tar entry of a hostile layer.
enum Entry<'a> {
    File(&'a str, &'a [u8]),
    /// A file of `n` bytes of newlines, streamed (never held in memory here).
    Big(&'a str, u64),
    Symlink(&'a str, &'a str),
    Fifo(&'a str),
}

/// Counts and hashes what goes through it: the digest and size of a blob as written.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    len: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W> Hashing<W> {
    fn new(inner: W) -> Self {
        Hashing { inner, hasher: Sha256::new(), len: 0 }
    }
    fn digest(&self) -> String {
        let hex: String = self.hasher.clone().finalize().iter().map(|b| format!("{b:02x}")).collect();
        format!("sha256:{hex}")
    }
}

/// An OCI layout being written: blobs go straight to `blobs/sha256`.
struct Layout {
    dir: PathBuf,
    layers: Vec<(String, u64)>,
    diff_ids: Vec<String>,
}

impl Layout {
    /// A layout in `scratch`, or in `$CUSTOMS_KEEP_HOSTILE_IMAGES/name` when that is
    /// set: the benchmarks in docs/benchmarks.md run the release binary on these.
    fn new(scratch: &Path, name: &str) -> Layout {
        let dir = match std::env::var_os("CUSTOMS_KEEP_HOSTILE_IMAGES") {
            Some(keep) => Path::new(&keep).join(name),
            None => scratch.join("layout"),
        };
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
        Layout { dir, layers: Vec::new(), diff_ids: Vec::new() }
    }

    fn blob(&self, bytes: &[u8]) -> String {
        let digest = Digest::sha256_of(bytes).to_string();
        std::fs::write(self.dir.join("blobs/sha256").join(&digest["sha256:".len()..]), bytes).unwrap();
        digest
    }

    /// Adds a zstd-compressed layer, streamed to disk; returns its digest.
    fn layer(&mut self, entries: &[Entry]) -> String {
        let tmp = self.dir.join("layer.tmp");
        let file = Hashing::new(io::BufWriter::new(std::fs::File::create(&tmp).unwrap()));
        let tar = Hashing::new(zstd::stream::write::Encoder::new(file, 1).unwrap());
        let mut builder = tar::Builder::new(tar);
        for entry in entries {
            let mut header = tar::Header::new_gnu();
            header.set_mode(0o644);
            header.set_size(0);
            match entry {
                Entry::File(path, content) => {
                    header.set_size(content.len() as u64);
                    builder.append_data(&mut header, path, *content).unwrap();
                }
                Entry::Big(path, size) => {
                    header.set_size(*size);
                    builder.append_data(&mut header, path, io::repeat(b'\n').take(*size)).unwrap();
                }
                Entry::Symlink(path, target) => {
                    header.set_entry_type(tar::EntryType::Symlink);
                    builder.append_link(&mut header, path, target).unwrap();
                }
                Entry::Fifo(path) => {
                    header.set_entry_type(tar::EntryType::Fifo);
                    builder.append_data(&mut header, path, io::empty()).unwrap();
                }
            }
        }
        let tar = builder.into_inner().unwrap();
        self.diff_ids.push(tar.digest());
        let file = tar.inner.finish().unwrap();
        let (digest, size) = (file.digest(), file.len);
        drop(file);
        std::fs::rename(&tmp, self.dir.join("blobs/sha256").join(&digest["sha256:".len()..])).unwrap();
        self.layers.push((digest.clone(), size));
        digest
    }

    /// Writes the config, manifest and index; returns the `oci:DIR:image` reference.
    fn finish(self) -> String {
        let config = serde_json::to_vec(&serde_json::json!({
            "architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": self.diff_ids},
        }))
        .unwrap();
        let layers: Vec<Value> = self
            .layers
            .iter()
            .map(|(digest, size)| serde_json::json!({"mediaType": OCI_LAYER_ZSTD, "digest": digest, "size": size}))
            .collect();
        let manifest = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": self.blob(&config), "size": config.len()},
            "layers": layers,
        }))
        .unwrap();
        let index = serde_json::json!({"schemaVersion": 2, "manifests": [{
            "mediaType": OCI_MANIFEST, "digest": self.blob(&manifest), "size": manifest.len(),
            "annotations": {"org.opencontainers.image.ref.name": "image"},
        }]});
        std::fs::write(self.dir.join("index.json"), index.to_string()).unwrap();
        std::fs::write(self.dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
        format!("oci:{}:image", self.dir.display())
    }
}

/// A Debian 12 base layer whose dpkg database lists a vulnerable openssl.
fn debian_base(layout: &mut Layout) -> String {
    layout.layer(&[Entry::File("etc/os-release", DEBIAN_12), Entry::File("var/lib/dpkg/status", OLD_OPENSSL)])
}

/// Two advisories from `../shared/osv` (openssl in Debian, requests in PyPI) in a folder
/// of their own: compiling it takes milliseconds, the whole mirror many seconds.
fn advisories() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        for (ecosystem, id) in [("Debian", "DSA-5532-1"), ("PyPI", "PYSEC-2014-13")] {
            let zip = std::fs::File::open(shared().join("osv").join(ecosystem).join("all.zip")).unwrap();
            let mut archive = zip::ZipArchive::new(zip).unwrap();
            let mut record = Vec::new();
            archive.by_name(&format!("{id}.json")).unwrap().read_to_end(&mut record).unwrap();
            std::fs::write(dir.path().join(format!("{id}.json")), record).unwrap();
        }
        dir
    })
    .path()
}

/// `customs scan --image IMAGE -f json` against [`advisories`], without the layer
/// cache unless `cache` is given.
fn scan(image: &str, cache: Option<&Path>) -> Output {
    let osv = advisories();
    let dir = tempfile::tempdir().unwrap();
    let cache_dir = cache.unwrap_or(dir.path()).to_str().unwrap().to_string();
    let mut args = vec!["--cache-dir", &cache_dir, "scan", "--db", osv.to_str().unwrap(), "--image", image];
    args.extend(["-f", "json"]);
    if cache.is_none() {
        args.push("--no-layer-cache");
    }
    run(&args, &crate_dir())
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The scan's warnings about the image (not the age of the shared advisory mirror).
fn warnings(doc: &Value) -> Vec<String> {
    let all = doc["warnings"].as_array().unwrap().iter().map(|w| w.as_str().unwrap().to_string());
    all.filter(|w| !w.starts_with("the advisory database's newest record")).collect()
}

/// A scan timed once the advisory database is compiled into the cache (a first scan
/// does that), so the time is the image's alone.
fn timed_scan(image: &str) -> (Output, Duration) {
    let cache = tempfile::tempdir().unwrap();
    scan(image, Some(cache.path()));
    let osv = advisories();
    let args = ["--cache-dir", cache.path().to_str().unwrap(), "scan", "--db", osv.to_str().unwrap()];
    let start = Instant::now();
    let out = run(&[&args[..], &["--no-layer-cache", "--image", image, "-f", "json"]].concat(), &crate_dir());
    (out, start.elapsed())
}

fn package_names(doc: &Value) -> Vec<String> {
    doc["packages"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_string()).collect()
}

/// Attack 3: the top layer's dpkg database is over the per-file cap. On main it was
/// skipped with a warning and the base layer's list reported instead (exit 0 or 1);
/// now the scan fails naming the file, the layer and the limit.
#[test]
fn a_package_database_too_large_to_read_fails_the_scan_instead_of_reporting_the_stale_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut layout = Layout::new(dir.path(), "stale-dpkg");
    debian_base(&mut layout);
    let top = layout.layer(&[Entry::Big("var/lib/dpkg/status", 257 * MIB)]);
    let image = layout.finish();

    let out = scan(&image, None);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let expected = format!(
        "layer {top}: /var/lib/dpkg/status is 257 MiB, over the 128 MiB limit for one file read for analysis; \
         the image cannot be analysed completely (raise the limit with --max-image-file MIB)"
    );
    assert!(stderr(&out).contains(&expected), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "no report of a layer that is no longer there");
}

/// Attack 3, deleted: a whiteout, an opaque directory or a symlink out of the root in
/// the top layer takes the dpkg database away. On main: "Debian 12, 0 packages" and no
/// warning; now the same result (the packages are not in the image's database) with a
/// warning naming the layer that deleted it.
#[test]
fn a_package_database_deleted_in_an_upper_layer_is_a_warning_naming_that_layer() {
    let deletions: [&[Entry]; 5] = [
        &[Entry::File("var/lib/dpkg/.wh.status", b"")],
        &[Entry::File("var/lib/.wh..wh..opq", b"")],
        &[Entry::Symlink("var/lib/dpkg", "../../../../../../tmp/nothing")],
        // A plain file where the directory was: nothing reads it, yet it hides the database.
        &[Entry::File("var/lib/dpkg", b"not a directory")],
        &[Entry::File("var", b"not a directory either")],
    ];
    for (deletion, name) in deletions.into_iter().zip(["whiteout", "opaque", "symlink", "file", "file-above"]) {
        let dir = tempfile::tempdir().unwrap();
        let mut layout = Layout::new(dir.path(), &format!("deleted-by-{name}"));
        debian_base(&mut layout);
        let top = layout.layer(deletion);
        let out = scan(&layout.finish(), None);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let doc = stdout_json(&out);
        assert_eq!(doc["image"]["ecosystem"], "Debian:12");
        assert_eq!(package_names(&doc), Vec::<String>::new());
        assert_eq!(
            warnings(&doc),
            [format!(
                "/var/lib/dpkg/status, a package database, was deleted by layer {top}: the packages it listed \
                 are not reported (they may still be installed)"
            )]
        );
    }
}

/// Attack 9 inside images: a FIFO where the dpkg database was is never opened; it
/// replaces the base layer's database (on main the stale one was reported).
#[test]
fn a_fifo_in_place_of_the_package_database_is_skipped_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let mut layout = Layout::new(dir.path(), "fifo");
    debian_base(&mut layout);
    let top = layout.layer(&[Entry::Fifo("var/lib/dpkg/status")]);
    let out = scan(&layout.finish(), None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = stdout_json(&out);
    assert_eq!(package_names(&doc), Vec::<String>::new());
    assert_eq!(
        warnings(&doc),
        [
            format!("layer {top}: /var/lib/dpkg/status is a FIFO, not a regular file; skipped"),
            format!(
                "/var/lib/dpkg/status, a package database, was deleted by layer {top}: the packages it listed are \
                 not reported (they may still be installed)"
            ),
        ]
    );
}

/// Attack 4, the issue's memory bomb: three layers of four 256 MiB `status.d` files
/// (a few MB compressed). On main it peaked at 6.2 GB (and aborted with the layer
/// cache on); now the first such file fails the scan before it is read.
#[test]
fn the_status_d_memory_bomb_fails_on_the_per_file_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut layout = Layout::new(dir.path(), "memory-bomb");
    let mut layers = Vec::new();
    for layer in 0..3 {
        let names: Vec<String> = (0..4).map(|i| format!("var/lib/dpkg/status.d/bomb{layer}-{i}")).collect();
        let entries: Vec<Entry> = names.iter().map(|n| Entry::Big(n, 256 * MIB)).collect();
        layers.push(layout.layer(&entries));
    }
    let image = layout.finish();
    for cache in [None, Some(dir.path().join("cache"))] {
        let out = scan(&image, cache.as_deref());
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let err = stderr(&out);
        let named = layers.iter().enumerate().any(|(l, digest)| {
            err.contains(&format!(
                "layer {digest}: /var/lib/dpkg/status.d/bomb{l}-0 is 256 MiB, over the 128 MiB limit for one file \
                 read for analysis; the image cannot be analysed completely (raise the limit with --max-image-file MIB)"
            ))
        });
        assert!(named, "{err}");
    }
}

/// Attack 4 under the per-file limit: three layers of three 100 MiB `status.d` files.
/// Each file is allowed, together they are past the image's 256 MiB budget, shared by
/// the layers read in parallel.
#[test]
fn wanted_files_past_the_image_memory_budget_fail_the_scan_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut layout = Layout::new(dir.path(), "over-budget");
    for layer in 0..3 {
        let names: Vec<String> = (0..3).map(|i| format!("var/lib/dpkg/status.d/big{layer}-{i}")).collect();
        let entries: Vec<Entry> = names.iter().map(|n| Entry::Big(n, 100 * MIB)).collect();
        layout.layer(&entries);
    }
    let out = scan(&layout.finish(), None);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(
            " (100 MiB) does not fit in the 256 MiB memory budget for the files of one image; the image cannot be \
             analysed completely (raise the budget with --max-image-memory MIB)"
        ),
        "{err}"
    );
}

/// Attack 5, whiteouts: 80,000 symlinks, then 80,000 whiteouts of them (52 s on main,
/// each whiteout scanning every remembered path).
#[test]
fn eighty_thousand_whiteouts_over_eighty_thousand_symlinks_merge_in_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let mut layout = Layout::new(dir.path(), "whiteouts");
    let links: Vec<String> = (0..80_000).map(|i| format!("srv/l{i}")).collect();
    let whiteouts: Vec<String> = (0..80_000).map(|i| format!("srv/.wh.l{i}")).collect();
    layout.layer(&[Entry::File("etc/os-release", DEBIAN_12)]);
    layout.layer(&links.iter().map(|l| Entry::Symlink(l, "target")).collect::<Vec<_>>());
    layout.layer(&whiteouts.iter().map(|w| Entry::File(w, b"")).collect::<Vec<_>>());
    let (out, took) = timed_scan(&layout.finish());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout_json(&out)["image"]["ecosystem"], "Debian:12");
    assert!(took < BOUND, "took {took:?}");
}

/// Attack 5, lookups: a `-r` include through a 400,000-segment path (a few hundred
/// bytes compressed) ran past 60 s on main, the path rebuilt at every segment. Now it
/// is refused at once, naming the limit.
#[test]
fn a_requirements_include_through_a_400000_segment_path_is_refused_in_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let mut layout = Layout::new(dir.path(), "long-include");
    let requirements = format!("-r {}req.txt\nrequests==2.0.0\n", "a/".repeat(400_000));
    layout.layer(&[
        Entry::File("etc/os-release", DEBIAN_12),
        Entry::File("app/requirements.txt", requirements.as_bytes()),
    ]);
    let (out, took) = timed_scan(&layout.finish());
    assert!(took < BOUND, "took {took:?}");
    assert_eq!(out.status.code(), Some(1), "requests 2.0.0 has advisories: {}", stderr(&out));
    let doc = stdout_json(&out);
    assert_eq!(package_names(&doc), ["requests"]);
    let skipped = doc["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(
        skipped[0]["reason"],
        "included file could not be read: the path is 800011 bytes, longer than the 4096-byte limit for paths \
         inside an image"
    );
}

/// Attack 10 inside images: a package version with a no-break space is a malformed
/// entry naming the file, as in a lockfile, never a package no advisory can be
/// compared with.
#[test]
fn a_malformed_version_inside_an_image_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut layout = Layout::new(dir.path(), "malformed-version");
    debian_base(&mut layout);
    layout.layer(&[Entry::File(
        "usr/lib/node_modules/left-pad/package.json",
        "{\"name\": \"left-pad\", \"version\": \"1.3.0\u{a0}rc\"}".as_bytes(),
    )]);
    let out = scan(&layout.finish(), None);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "/usr/lib/node_modules/left-pad/package.json:1: left-pad version \"1.3.0\\u{a0}rc\" contains U+00A0, a \
             control, whitespace or invisible character: malformed"
        ),
        "{}",
        stderr(&out)
    );
}
