use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::*;
use crate::image::digest::{Digest, Verified};
use crate::image::fs::{normalize, LayerFiles};
use crate::image::os::tests::{fixture_layer_digest, image_from_fixture, layer_from_fixture};
use crate::image::os::{self, OsRelease};
use crate::image::pkgdb::testing::{self, rows, skipped_rows};

/// Scans `fixtures/image/dpkg/<name>` with the OS its own release files say.
fn scan_fixture(name: &str) -> Extracted {
    testing::scan_fixture(&format!("dpkg/{name}"), scan)
}

fn debian_12() -> Context {
    Context {
        os: Some(OsRelease {
            id: "debian".into(),
            version_id: "12".into(),
            pretty_name: "Debian GNU/Linux 12 (bookworm)".into(),
            ecosystem: os::ecosystem_for("debian", "12"),
        }),
    }
}

/// Scans one in-memory `var/lib/dpkg/status` on Debian 12.
fn scan_status(text: &str) -> Extracted {
    let mut layer = LayerFiles { digest: "sha256:test".into(), ..LayerFiles::default() };
    layer.files.insert(STATUS.into(), text.as_bytes().to_vec());
    scan(&ImageFs::merge(&[layer]), &debian_12()).unwrap()
}

#[test]
fn debian_status_lists_installed_packages_by_source() {
    let out = scan_fixture("debian");
    let s = "/var/lib/dpkg/status";
    assert_eq!(
        rows(&out.packages),
        [
            format!("{s}:1|Debian:12|adduser|3.134|pkg:deb/debian/adduser@3.134?arch=all&distro=debian-12"),
            format!("{s}:41|Debian:12|bash|5.2.15-2|pkg:deb/debian/bash@5.2.15-2%2Bb13?arch=amd64&distro=debian-12"),
            format!(
                "{s}:75|Debian:12|util-linux|2.38.1-5+deb12u3|pkg:deb/debian/bsdutils@1:2.38.1-5%2Bdeb12u3\
                 ?arch=amd64&distro=debian-12&upstream=util-linux"
            ),
            format!(
                "{s}:94|Debian:12|glibc|2.36-9+deb12u14|pkg:deb/debian/libc6@2.36-9%2Bdeb12u14\
                 ?arch=amd64&distro=debian-12&upstream=glibc"
            ),
            format!(
                "{s}:117|Debian:12|libcap2|1:2.66-4+deb12u3|pkg:deb/debian/libcap2@1:2.66-4%2Bdeb12u3%2Bb1\
                 ?arch=amd64&distro=debian-12"
            ),
            format!(
                "{s}:136|Debian:12|glibc|2.36-9+deb12u14|pkg:deb/debian/libc6@2.36-9%2Bdeb12u14\
                 ?arch=i386&distro=debian-12&upstream=glibc"
            ),
            format!(
                "{s}:175|Debian:12|ca-certificates|20230311+deb12u1|pkg:deb/debian/ca-certificates\
                 @20230311%2Bdeb12u1?arch=all&distro=debian-12"
            ),
            format!(
                "{s}:189|Debian:12|curl|7.88.1-10+deb12u12|pkg:deb/debian/curl@7.88.1-10%2Bdeb12u12\
                 ?arch=amd64&distro=debian-12"
            ),
            format!(
                "{s}:210|Debian:12|tzdata|2026b-0+deb12u1|pkg:deb/debian/tzdata@2026b-0%2Bdeb12u1\
                 ?arch=all&distro=debian-12"
            ),
            format!(
                "{s}:229|Debian:12|zlib|1:1.2.13.dfsg-1|pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1\
                 ?arch=amd64&distro=debian-12&upstream=zlib"
            ),
        ]
    );
    assert_eq!(
        skipped_rows(&out),
        [
            format!("{s}:199|Package: libbroken1|no Version field"),
            format!("{s}:205|Status: install ok installed|stanza has no Package field"),
        ]
    );
    let layer = fixture_layer_digest("dpkg/debian");
    assert!(out.packages.iter().all(|p| p.location.layer.as_deref() == Some(layer.as_str())));
}

#[test]
fn distroless_status_d_files_have_no_status_and_one_or_more_stanzas() {
    let out = scan_fixture("distroless");
    let d = "/var/lib/dpkg/status.d";
    assert_eq!(
        rows(&out.packages),
        [
            format!(
                "{d}/base-files:1|Debian:12|base-files|12.4+deb12u5|pkg:deb/debian/base-files@12.4%2Bdeb12u5\
                 ?arch=amd64&distro=debian-12"
            ),
            format!(
                "{d}/libc6:1|Debian:12|glibc|2.36-9+deb12u4|pkg:deb/debian/libc6@2.36-9%2Bdeb12u4\
                 ?arch=amd64&distro=debian-12&upstream=glibc"
            ),
            format!(
                "{d}/libssl3:1|Debian:12|openssl|3.0.11-1~deb12u2|pkg:deb/debian/libssl3@3.0.11-1~deb12u2\
                 ?arch=amd64&distro=debian-12&upstream=openssl"
            ),
            format!(
                "{d}/libssl3:17|Debian:12|openssl|3.0.11-1~deb12u2|pkg:deb/debian/openssl@3.0.11-1~deb12u2\
                 ?arch=amd64&distro=debian-12"
            ),
            format!(
                "{d}/tzdata:1|Debian:12|tzdata|2024a-0+deb12u1|pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1\
                 ?arch=all&distro=debian-12"
            ),
        ],
        "libc6.md5sums and libc6.list (which hold Package: lines here on purpose) are not read"
    );
    assert!(out.skipped.is_empty());
}

#[test]
fn ubuntu_packages_carry_the_ubuntu_release() {
    let out = scan_fixture("ubuntu");
    assert_eq!(
        rows(&out.packages),
        [
            "/var/lib/dpkg/status:1|Ubuntu:22.04:LTS|glibc|2.35-0ubuntu3.4|pkg:deb/ubuntu/libc6@2.35-0ubuntu3.4\
             ?arch=amd64&distro=ubuntu-22.04&upstream=glibc",
            "/var/lib/dpkg/status:18|Ubuntu:22.04:LTS|openssl|3.0.2-0ubuntu1.12|pkg:deb/ubuntu/libssl3\
             @3.0.2-0ubuntu1.12?arch=amd64&distro=ubuntu-22.04&upstream=openssl",
        ]
    );
}

#[test]
fn without_a_detected_os_packages_are_debian_without_release() {
    let fs = image_from_fixture("dpkg/ubuntu");
    let out = scan(&fs, &Context::default()).unwrap();
    assert_eq!(
        rows(&out.packages),
        [
            "/var/lib/dpkg/status:1|Debian|glibc|2.35-0ubuntu3.4|pkg:deb/debian/libc6@2.35-0ubuntu3.4\
             ?arch=amd64&upstream=glibc",
            "/var/lib/dpkg/status:18|Debian|openssl|3.0.2-0ubuntu1.12|pkg:deb/debian/libssl3@3.0.2-0ubuntu1.12\
             ?arch=amd64&upstream=openssl",
        ]
    );
}

#[test]
fn a_non_debian_os_does_not_leak_into_dpkg_packages() {
    let fs = image_from_fixture("dpkg/ubuntu");
    let alpine = OsRelease {
        id: "alpine".into(),
        version_id: "3.18.4".into(),
        pretty_name: "Alpine Linux v3.18".into(),
        ecosystem: os::ecosystem_for("alpine", "3.18.4"),
    };
    let out = scan(&fs, &Context { os: Some(alpine) }).unwrap();
    assert_eq!(out.packages[0].ecosystem.to_string(), "Debian");
    assert_eq!(out.packages[0].purl.to_string(), "pkg:deb/debian/libc6@2.35-0ubuntu3.4?arch=amd64&upstream=glibc");
}

#[test]
fn debian_without_release_has_no_distro_qualifier() {
    let fs = image_from_fixture("dpkg/ubuntu");
    let sid = OsRelease {
        id: "debian".into(),
        version_id: "trixie/sid".into(),
        pretty_name: "Debian GNU/Linux trixie/sid".into(),
        ecosystem: os::ecosystem_for("debian", "trixie/sid"),
    };
    let out = scan(&fs, &Context { os: Some(sid) }).unwrap();
    assert_eq!(
        out.packages[1].purl.to_string(),
        "pkg:deb/debian/libssl3@3.0.2-0ubuntu1.12?arch=amd64&upstream=openssl"
    );
}

#[test]
fn the_layer_is_the_one_that_last_wrote_the_status_file() {
    let base = layer_from_fixture("dpkg/ubuntu");
    let mut top = LayerFiles { digest: "sha256:top".into(), ..LayerFiles::default() };
    top.files.insert(STATUS.into(), b"Package: tiny\nStatus: install ok installed\nVersion: 1\n".to_vec());
    let out = scan(&ImageFs::merge(&[base, top]), &Context::default()).unwrap();
    let where_: Vec<String> =
        out.packages.iter().map(|p| format!("{}|{}|{:?}", p.name, p.location.path, p.location.layer)).collect();
    assert_eq!(where_, ["tiny|/var/lib/dpkg/status|Some(\"sha256:top\")"]);
}

#[test]
fn status_states_decide_what_is_on_disk() {
    let text = "\
Package: a\nStatus: install ok installed\nVersion: 1\n\n\
Package: b\nStatus: deinstall ok installed\nVersion: 1\n\n\
Package: c\nStatus: install ok triggers-pending\nVersion: 1\n\n\
Package: d\nStatus: install ok half-configured\nVersion: 1\n\n\
Package: e\nStatus: deinstall ok config-files\nVersion: 1\n\n\
Package: f\nStatus: purge ok not-installed\n\n\
Package: g\nStatus: install ok\nVersion: 1\n\n\
Package: h\nStatus:\nVersion: 1\n";
    let out = scan_status(text);
    let names: Vec<&str> = out.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["a", "b", "c", "d"]);
    assert_eq!(
        skipped_rows(&out),
        [
            "/var/lib/dpkg/status:24|Package: g|unreadable Status \"install ok\"",
            "/var/lib/dpkg/status:28|Package: h|unreadable Status \"\"",
        ]
    );
}

#[test]
fn stanza_syntax_edge_cases() {
    let text = "\
# a comment line is not a field\n\
package: lower\n\
VERSION: 1.0-1\n\
Version: 9.9\n\
Source: up\n\
Description: first line\n Package: fake-from-a-continuation\n Version: 0\n\
\t\n\
Package: spaced name\nVersion: 1\n\n\
Package: badversion\nVersion: 1 2\n\n\
Package: emptysource\nSource: \nVersion: 2\nArchitecture: \n\n\n\n\
Package: crlf\r\nVersion: 3\r\nSource: upstream (3-1)\r\n";
    let out = scan_status(text);
    assert_eq!(
        rows(&out.packages),
        [
            "/var/lib/dpkg/status:2|Debian:12|up|1.0-1|pkg:deb/debian/lower@1.0-1?distro=debian-12&upstream=up",
            "/var/lib/dpkg/status:16|Debian:12|emptysource|2|pkg:deb/debian/emptysource@2?distro=debian-12",
            "/var/lib/dpkg/status:23|Debian:12|upstream|3-1|pkg:deb/debian/crlf@3?distro=debian-12&upstream=upstream",
        ]
    );
    assert_eq!(
        skipped_rows(&out),
        [
            "/var/lib/dpkg/status:10|Package: spaced name|malformed package name",
            "/var/lib/dpkg/status:13|Package: badversion|malformed Version",
        ]
    );
}

#[test]
fn source_field_forms() {
    assert_eq!(parse_source("glibc"), Some(("glibc", None)));
    assert_eq!(parse_source("util-linux (2.38.1-5+deb12u3)"), Some(("util-linux", Some("2.38.1-5+deb12u3"))));
    assert_eq!(parse_source("libcap2 (1:2.66-4)"), Some(("libcap2", Some("1:2.66-4"))));
    assert_eq!(parse_source("x ( 1.0 )"), Some(("x", Some("1.0"))));
    assert_eq!(parse_source("x (1 0)"), None);
    assert_eq!(parse_source("x ()"), None);
    assert_eq!(parse_source("x 1.0"), None);
    assert_eq!(parse_source("x (1.0"), None);
    assert_eq!(parse_source("bad\u{1b}name"), None);
}

#[test]
fn control_characters_never_reach_a_package() {
    let text = "Package: evil\u{1b}[31m\nVersion: 1\n\nPackage: ok\nVersion: 1\u{7}\n\n\
                Package: ok2\nVersion: 1\nSource: up (2\u{1b})\n\nPackage: ok3\nVersion: 1\nSource: up\u{0}\n";
    let out = scan_status(text);
    assert!(out.packages.is_empty());
    assert_eq!(
        skipped_rows(&out),
        [
            "/var/lib/dpkg/status:1|Package: evil\\u{1b}[31m|malformed package name",
            "/var/lib/dpkg/status:4|Package: ok|malformed Version",
            "/var/lib/dpkg/status:7|Package: ok2|malformed Source \"up (2\\u{1b})\"",
            "/var/lib/dpkg/status:11|Package: ok3|malformed Source \"up\\0\"",
        ]
    );
}

#[test]
fn wants_the_status_file_and_status_d_stanzas_only() {
    for path in ["var/lib/dpkg/status", "var/lib/dpkg/status.d/libc6", "var/lib/dpkg/status.d/libssl1.1"] {
        assert!(Dpkg.wants(path), "{path}");
    }
    for path in [
        "var/lib/dpkg/status-old",
        "var/lib/dpkg/status.d/",
        "var/lib/dpkg/status.d/libc6.md5sums",
        "var/lib/dpkg/status.d/libc6.list",
        "var/lib/dpkg/status.d/sub/x",
        "var/lib/dpkg/available",
        "usr/var/lib/dpkg/status",
    ] {
        assert!(!Dpkg.wants(path), "{path}");
    }
}

#[test]
fn an_oversized_database_is_an_error_naming_it() {
    let mut layer = LayerFiles { digest: "sha256:big".into(), ..LayerFiles::default() };
    layer.files.insert("var/lib/dpkg/status.d/huge".into(), vec![b'\n'; MAX_DATABASE_BYTES + 1]);
    let err = Dpkg.collect(&ImageFs::merge(&[layer]), &Context::default()).unwrap_err();
    assert_eq!(
        err,
        "/var/lib/dpkg/status.d/huge (layer sha256:big): 67108865 bytes, over the 64 MiB limit for a dpkg database"
    );
}

#[test]
fn too_many_stanzas_is_an_error_naming_the_file() {
    let at_limit = "Package: a\nVersion: 1\n\n".repeat(MAX_STANZAS);
    assert_eq!(scan_status(&at_limit).packages.len(), MAX_STANZAS);
    let mut layer = LayerFiles { digest: "sha256:dense".into(), ..LayerFiles::default() };
    layer.files.insert(STATUS.into(), format!("{at_limit}Package: b\nVersion: 1\n").into_bytes());
    let err = Dpkg.collect(&ImageFs::merge(&[layer]), &Context::default()).unwrap_err();
    assert_eq!(err, "/var/lib/dpkg/status (layer sha256:dense): more than 100000 stanzas in a dpkg database");
}

#[test]
fn truncated_status_files_never_panic() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/image/dpkg/debian/var/lib/dpkg/status"),
    )
    .unwrap();
    for end in (0..text.len()).filter(|&end| text.is_char_boundary(end)).step_by(5) {
        let out = scan_status(&text[..end]);
        assert!(out.packages.len() <= 10);
    }
}

proptest::proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
        let mut layer = LayerFiles { digest: "sha256:x".into(), ..LayerFiles::default() };
        layer.files.insert(STATUS.into(), bytes);
        let _ = scan(&ImageFs::merge(&[layer]), &debian_12());
    }
}

// ---- the real image in ../shared/images ----

/// `../shared` (or `../../shared` from a work tree), like `tests/common::shared()`.
fn shared() -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    [crate_dir.join("../shared"), crate_dir.join("../../shared")]
        .into_iter()
        .find(|dir| dir.is_dir())
        .expect("../shared is missing: this test reads the Debian image from it")
}

fn blob_path(digest: &Digest) -> String {
    format!("blobs/sha256/{}", digest.hex)
}

/// Every entry of the OCI archive under 1 MiB (index, manifests, config), by path.
fn small_entries(archive: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut outer = tar::Archive::new(std::fs::File::open(archive).unwrap());
    let mut small = BTreeMap::new();
    for entry in outer.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.size() < 1 << 20 {
            let path = entry.path().unwrap().to_string_lossy().into_owned();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            small.insert(path, bytes);
        }
    }
    small
}

/// The single layer of `debian-bookworm.oci.tar`, verified against its digest, with
/// the files `keep` wants and every symlink.
fn real_image_layer(keep: impl Fn(&str) -> bool) -> LayerFiles {
    let archive = shared().join("images/debian-bookworm.oci.tar");
    let small = small_entries(&archive);
    let json = |path: &str| -> serde_json::Value { serde_json::from_slice(&small[path]).unwrap() };
    let index = json("index.json");
    let manifest_digest = Digest::parse(index["manifests"][0]["digest"].as_str().unwrap()).unwrap();
    let manifest = json(&blob_path(&manifest_digest));
    let layer_digest = Digest::parse(manifest["layers"][0]["digest"].as_str().unwrap()).unwrap();
    let layer_size = manifest["layers"][0]["size"].as_u64().unwrap();

    let mut layer = LayerFiles { digest: layer_digest.to_string(), ..LayerFiles::default() };
    let mut outer = tar::Archive::new(std::fs::File::open(&archive).unwrap());
    for entry in outer.entries().unwrap() {
        let entry = entry.unwrap();
        if entry.path().unwrap().to_string_lossy() != blob_path(&layer_digest) {
            continue;
        }
        let verified = Verified::new(entry, layer_digest.clone(), Some(layer_size), "debian-bookworm.oci.tar");
        let mut inner = tar::Archive::new(flate2::read::GzDecoder::new(verified));
        for file in inner.entries().unwrap() {
            let mut file = file.unwrap();
            // umoci writes the root as an entry named `/`; normalize makes it "".
            let Ok(path) = normalize(&String::from_utf8_lossy(&file.path_bytes())) else { continue };
            let kind = file.header().entry_type();
            if kind.is_symlink() {
                let target = String::from_utf8_lossy(&file.link_name_bytes().unwrap()).into_owned();
                layer.symlinks.insert(path, target);
            } else if kind.is_file() && keep(&path) {
                let mut bytes = Vec::new();
                file.read_to_end(&mut bytes).unwrap();
                layer.files.insert(path, bytes);
            }
        }
        // Read the blob to its end so the digest and size are checked.
        let mut rest = inner.into_inner().into_inner();
        std::io::copy(&mut rest, &mut std::io::sink()).unwrap();
        return layer;
    }
    panic!("layer {layer_digest} is not in {}", archive.display());
}

#[test]
fn the_real_debian_bookworm_image_lists_exactly_its_88_packages() {
    let layer = real_image_layer(|path| Dpkg.wants(path) || os::wants(path));
    let layer_digest = layer.digest.clone();
    let fs = ImageFs::merge(&[layer]);

    let os = os::detect(&fs).expect("the image has /etc/os-release");
    assert_eq!(
        (os.id.as_str(), os.version_id.as_str(), os.pretty_name.as_str()),
        ("debian", "12", "Debian GNU/Linux 12 (bookworm)")
    );
    assert_eq!(os.ecosystem.as_ref().unwrap().to_string(), "Debian:12");

    let out = scan(&fs, &Context { os: Some(os) }).unwrap();
    assert_eq!(skipped_rows(&out), Vec::<String>::new());
    let binaries: Vec<String> = out
        .packages
        .iter()
        .map(|p| {
            format!("{}\t{}\t{}", p.purl.name, p.purl.version.as_deref().unwrap_or("-"), p.purl.qualifiers["arch"])
        })
        .collect();
    let expected = std::fs::read_to_string(shared().join("images/debian-bookworm.dpkg.tsv")).unwrap();
    let expected: Vec<&str> = expected.lines().collect();
    assert_eq!(expected.len(), 88);
    assert_eq!(binaries, expected);

    assert!(out.packages.iter().all(|p| p.ecosystem.to_string() == "Debian:12"
        && p.location.path == "/var/lib/dpkg/status"
        && p.location.layer.as_deref() == Some(layer_digest.as_str())));
    let bsdutils = out.packages.iter().find(|p| p.purl.name == "bsdutils").unwrap();
    assert_eq!(
        rows(std::slice::from_ref(bsdutils)),
        ["/var/lib/dpkg/status:154|Debian:12|util-linux|2.38.1-5+deb12u3|pkg:deb/debian/bsdutils\
          @1:2.38.1-5%2Bdeb12u3?arch=amd64&distro=debian-12&upstream=util-linux"]
    );
}
