use super::*;
use crate::image::fs::LayerFiles;
use crate::image::os::tests::fixture_layer_digest;
use crate::image::os::{self, OsRelease};
use crate::image::pkgdb::testing::{self, rows, skipped_rows};

/// Scans `fixtures/image/apk/<name>` with the OS its own release files say.
fn scan_fixture(name: &str) -> Extracted {
    testing::scan_fixture(&format!("apk/{name}"), scan)
}

fn context(id: &str, version_id: &str) -> Context {
    Context {
        os: Some(OsRelease {
            id: id.into(),
            version_id: version_id.into(),
            pretty_name: id.into(),
            ecosystem: os::ecosystem_for(id, version_id),
        }),
    }
}

fn image_with(files: &[(&str, &str)], symlinks: &[(&str, &str)]) -> ImageFs {
    let layer = LayerFiles {
        digest: "sha256:test".into(),
        files: files.iter().map(|(p, c)| (p.to_string(), c.as_bytes().to_vec())).collect(),
        symlinks: symlinks.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect(),
        ..LayerFiles::default()
    };
    ImageFs::merge(&[layer])
}

const TINY: &str = "P:libcrypto3\nV:3.1.3-r0\nA:aarch64\no:openssl\n";

#[test]
fn alpine_packages_are_named_by_origin() {
    let out = scan_fixture("alpine");
    let db = "/lib/apk/db/installed";
    let tail = "?arch=x86_64&distro=3.18.4";
    assert_eq!(
        rows(&out.packages),
        [
            format!("{db}:2|Alpine:v3.18|musl|1.2.4-r2|pkg:apk/alpine/musl@1.2.4-r2{tail}"),
            format!("{db}:24|Alpine:v3.18|busybox|1.36.1-r2|pkg:apk/alpine/busybox@1.36.1-r2{tail}"),
            format!(
                "{db}:48|Alpine:v3.18|busybox|1.36.1-r2|pkg:apk/alpine/busybox-binsh@1.36.1-r2{tail}&upstream=busybox"
            ),
            format!(
                "{db}:69|Alpine:v3.18|alpine-baselayout|3.4.3-r1|pkg:apk/alpine/alpine-baselayout-data@3.4.3-r1\
                 {tail}&upstream=alpine-baselayout"
            ),
            format!("{db}:87|Alpine:v3.18|openssl|3.1.3-r0|pkg:apk/alpine/libcrypto3@3.1.3-r0{tail}&upstream=openssl"),
            format!("{db}:108|Alpine:v3.18|openssl|3.1.3-r0|pkg:apk/alpine/libssl3@3.1.3-r0{tail}&upstream=openssl"),
            format!("{db}:129|Alpine:v3.18|zlib|1.2.13-r1|pkg:apk/alpine/zlib@1.2.13-r1{tail}"),
            format!(
                "{db}:158|Alpine:v3.18|ca-certificates|20230506-r0|pkg:apk/alpine/ca-certificates-bundle\
                 @20230506-r0{tail}&upstream=ca-certificates"
            ),
            format!("{db}:178|Alpine:v3.18|myapp-static|0.1.0-r0|pkg:apk/alpine/myapp-static@0.1.0-r0{tail}"),
        ]
    );
    assert_eq!(
        skipped_rows(&out),
        [
            format!("{db}:149|P:no-version-here|record has no V: (version)"),
            format!("{db}:153|C:Q1zSCJ0QS7XM2m4g4D7wDprmLw8bE=|record has no P: (package name)"),
        ]
    );
    let layer = fixture_layer_digest("apk/alpine");
    assert!(out.packages.iter().all(|p| p.location.layer.as_deref() == Some(layer.as_str())));
}

#[test]
fn wolfi_packages_use_the_wolfi_namespace() {
    let out = scan_fixture("wolfi");
    let db = "/lib/apk/db/installed";
    let tail = "?arch=x86_64&distro=20230201";
    assert_eq!(
        rows(&out.packages),
        [
            format!("{db}:2|Wolfi|wolfi-baselayout|20230201-r7|pkg:apk/wolfi/wolfi-baselayout@20230201-r7{tail}"),
            format!("{db}:18|Wolfi|glibc|2.38-r7|pkg:apk/wolfi/glibc@2.38-r7{tail}"),
            format!("{db}:37|Wolfi|glibc|2.38-r7|pkg:apk/wolfi/ld-linux@2.38-r7{tail}&upstream=glibc"),
        ]
    );
    assert!(out.skipped.is_empty());
}

#[test]
fn chainguard_packages_use_the_chainguard_namespace() {
    let fs = image_with(&[("lib/apk/db/installed", TINY)], &[]);
    let out = scan(&fs, &context("chainguard", "20230214")).unwrap();
    assert_eq!(
        rows(&out.packages),
        ["/lib/apk/db/installed:1|Chainguard|openssl|3.1.3-r0|pkg:apk/chainguard/libcrypto3@3.1.3-r0\
             ?arch=aarch64&distro=20230214&upstream=openssl"]
    );
}

#[test]
fn alpine_edge_has_no_release_but_keeps_its_version_id_in_the_purl() {
    let fs = image_with(&[("lib/apk/db/installed", TINY)], &[]);
    let out = scan(&fs, &context("alpine", "3.19_alpha20230901")).unwrap();
    assert_eq!(
        rows(&out.packages),
        ["/lib/apk/db/installed:1|Alpine|openssl|3.1.3-r0|pkg:apk/alpine/libcrypto3@3.1.3-r0\
             ?arch=aarch64&distro=3.19_alpha20230901&upstream=openssl"]
    );
}

#[test]
fn without_an_apk_os_packages_are_alpine_without_release() {
    let fs = image_with(&[("lib/apk/db/installed", TINY)], &[]);
    for context in [Context::default(), context("debian", "12")] {
        let out = scan(&fs, &context).unwrap();
        assert_eq!(
            rows(&out.packages),
            ["/lib/apk/db/installed:1|Alpine|openssl|3.1.3-r0|pkg:apk/alpine/libcrypto3@3.1.3-r0\
              ?arch=aarch64&upstream=openssl"]
        );
    }
}

#[test]
fn usr_merged_databases_are_found() {
    let via_link = image_with(&[("usr/lib/apk/db/installed", TINY)], &[("lib", "usr/lib")]);
    let out = scan(&via_link, &Context::default()).unwrap();
    assert_eq!(out.packages[0].location.path, "/lib/apk/db/installed");
    let only_usr = image_with(&[("usr/lib/apk/db/installed", TINY)], &[]);
    let out = scan(&only_usr, &Context::default()).unwrap();
    assert_eq!(out.packages[0].location.path, "/usr/lib/apk/db/installed");
    let both = image_with(&[("lib/apk/db/installed", "P:a\nV:1\n"), ("usr/lib/apk/db/installed", TINY)], &[]);
    let names: Vec<String> = scan(&both, &Context::default()).unwrap().packages.into_iter().map(|p| p.name).collect();
    assert_eq!(names, ["a"], "only the first database found is read");
}

#[test]
fn record_syntax_edge_cases() {
    let text = "\
P:first\nV:1-r0\nP:second\nV:2-r0\no:  up  \n\
\n\n\
PV:not-a-field\nP:x y\nV:1\n\
\n\
P:badver\nV:1 2\n\
\n\
P:emptyorigin\nV:3-r0\no:\nZ:Q1...\nF:usr\nR:P:fake\n";
    let fs = image_with(&[("lib/apk/db/installed", text)], &[]);
    let out = scan(&fs, &Context::default()).unwrap();
    assert_eq!(
        rows(&out.packages),
        [
            "/lib/apk/db/installed:1|Alpine|up|1-r0|pkg:apk/alpine/first@1-r0?upstream=up",
            "/lib/apk/db/installed:15|Alpine|emptyorigin|3-r0|pkg:apk/alpine/emptyorigin@3-r0",
        ]
    );
    assert_eq!(
        skipped_rows(&out),
        [
            "/lib/apk/db/installed:9|P:x y|malformed package name",
            "/lib/apk/db/installed:12|P:badver|malformed V: (version)"
        ]
    );
}

#[test]
fn control_characters_never_reach_a_package() {
    let text = "P:evil\u{1b}[2J\nV:1-r0\n\nP:a\nV:1\u{7}-r0\n\nP:b\nV:1-r0\no:up\u{0}\n";
    let fs = image_with(&[("lib/apk/db/installed", text)], &[]);
    let out = scan(&fs, &Context::default()).unwrap();
    assert!(out.packages.is_empty());
    assert_eq!(
        skipped_rows(&out),
        [
            "/lib/apk/db/installed:1|P:evil\\u{1b}[2J|malformed package name",
            "/lib/apk/db/installed:4|P:a|malformed V: (version)",
            "/lib/apk/db/installed:7|P:b|malformed o: (origin)",
        ]
    );
}

#[test]
fn wants_only_the_installed_database() {
    assert!(Apk.wants("lib/apk/db/installed"));
    assert!(Apk.wants("usr/lib/apk/db/installed"));
    for path in ["lib/apk/db/installed.new", "lib/apk/db/triggers", "etc/apk/world", "x/lib/apk/db/installed"] {
        assert!(!Apk.wants(path), "{path}");
    }
}

#[test]
fn an_oversized_database_is_an_error_naming_it() {
    let mut layer = LayerFiles { digest: "sha256:big".into(), ..LayerFiles::default() };
    layer.files.insert("lib/apk/db/installed".into(), vec![b'\n'; MAX_DATABASE_BYTES + 1]);
    let err = Apk.collect(&ImageFs::merge(&[layer]), &Context::default()).unwrap_err();
    assert_eq!(
        err,
        "/lib/apk/db/installed (layer sha256:big): 67108865 bytes, over the 64 MiB limit for an apk database"
    );
}

#[test]
fn too_many_records_is_an_error_naming_the_file() {
    let at_limit = "P:a\nV:1\n\n".repeat(MAX_RECORDS);
    let fs = image_with(&[("lib/apk/db/installed", &at_limit)], &[]);
    assert_eq!(scan(&fs, &Context::default()).unwrap().packages.len(), MAX_RECORDS);
    let fs = image_with(&[("lib/apk/db/installed", &format!("{at_limit}P:b\nV:1\n"))], &[]);
    let err = Apk.collect(&fs, &Context::default()).unwrap_err();
    assert_eq!(err, "/lib/apk/db/installed (layer sha256:test): more than 100000 records in an apk database");
}

#[test]
fn truncated_databases_never_panic() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/image/apk/alpine/lib/apk/db/installed"),
    )
    .unwrap();
    for end in (0..text.len()).filter(|&end| text.is_char_boundary(end)).step_by(5) {
        let fs = image_with(&[("lib/apk/db/installed", &text[..end])], &[]);
        assert!(scan(&fs, &Context::default()).unwrap().packages.len() <= 9);
    }
}

proptest::proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
        let mut layer = LayerFiles { digest: "sha256:x".into(), ..LayerFiles::default() };
        layer.files.insert("lib/apk/db/installed".into(), bytes);
        let _ = scan(&ImageFs::merge(&[layer]), &context("alpine", "3.18.4"));
    }
}
