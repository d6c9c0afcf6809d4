use std::path::{Path, PathBuf};

use super::*;
use crate::image::digest::Digest;
use crate::image::fs::LayerFiles;

/// `fixtures/image/<rel>`: a directory laid out like an image root.
fn fixture_dir(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/image").join(rel)
}

/// The made-up layer digest a fixture directory stands for: `sha256` of its name.
pub(crate) fn fixture_layer_digest(rel: &str) -> String {
    Digest::sha256_of(rel.as_bytes()).to_string()
}

/// One layer holding every file and symlink under `fixtures/image/<rel>`, keyed by
/// its path relative to that directory (the image path).
pub(crate) fn layer_from_fixture(rel: &str) -> LayerFiles {
    fn walk(root: &Path, dir: &Path, layer: &mut LayerFiles) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for path in entries {
            let image_path = path.strip_prefix(root).unwrap().to_str().unwrap().to_string();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).unwrap().to_str().unwrap().to_string();
                layer.symlinks.insert(image_path, target);
            } else if meta.is_dir() {
                walk(root, &path, layer);
            } else {
                layer.files.insert(image_path, std::fs::read(&path).unwrap());
            }
        }
    }
    let root = fixture_dir(rel);
    assert!(root.is_dir(), "fixture {} is missing", root.display());
    let mut layer = LayerFiles { digest: fixture_layer_digest(rel), ..LayerFiles::default() };
    walk(&root, &root, &mut layer);
    layer
}

/// The merged view of a one-layer image made of `fixtures/image/<rel>`.
pub(crate) fn image_from_fixture(rel: &str) -> ImageFs {
    ImageFs::merge(&[layer_from_fixture(rel)])
}

/// `id|version_id|pretty_name|ecosystem` (ecosystem `-` when none).
fn detected(rel: &str) -> String {
    match detect(&image_from_fixture(&format!("os/{rel}"))) {
        Some(os) => {
            let ecosystem = os.ecosystem.map_or("-".to_string(), |e| e.to_string());
            format!("{}|{}|{}|{}", os.id, os.version_id, os.pretty_name, ecosystem)
        }
        None => "none".to_string(),
    }
}

#[test]
fn debian_from_os_release_through_the_etc_symlink() {
    assert_eq!(detected("debian-12"), "debian|12|Debian GNU/Linux 12 (bookworm)|Debian:12");
    assert_eq!(detected("distroless"), "debian|12|Distroless|Debian:12");
}

#[test]
fn debian_testing_has_no_release() {
    assert_eq!(detected("debian-sid"), "debian|trixie/sid|Debian GNU/Linux trixie/sid|Debian");
}

#[test]
fn debian_version_alone_gives_the_major_release() {
    assert_eq!(detected("debian-version-only"), "debian|12.5|Debian GNU/Linux 12.5|Debian:12");
}

#[test]
fn ubuntu_lts_is_an_even_year_april_release() {
    assert_eq!(detected("ubuntu-22.04"), "ubuntu|22.04|Ubuntu 22.04.3 LTS|Ubuntu:22.04:LTS");
    assert_eq!(detected("ubuntu-20.04"), "ubuntu|20.04|Ubuntu 20.04.6 LTS|Ubuntu:20.04:LTS");
    assert_eq!(detected("ubuntu-23.10"), "ubuntu|23.10|Ubuntu 23.10|Ubuntu:23.10");
}

#[test]
fn alpine_release_is_major_minor_with_a_v() {
    assert_eq!(detected("alpine-3.18"), "alpine|3.18.4|Alpine Linux v3.18|Alpine:v3.18");
    assert_eq!(detected("alpine-edge"), "alpine|3.19_alpha20230901|Alpine Linux edge|Alpine");
    assert_eq!(detected("alpine-release-only"), "alpine|3.4.6|Alpine Linux 3.4.6|Alpine:v3.4");
}

#[test]
fn rpm_distributions() {
    assert_eq!(detected("almalinux-9"), "almalinux|9.3|AlmaLinux 9.3 (Shamrock Pampas Cat)|AlmaLinux:9");
    assert_eq!(detected("rocky-9"), "rocky|9.3|Rocky Linux 9.3 (Blue Onyx)|Rocky Linux:9");
    assert_eq!(detected("rhel-9"), "rhel|9.3|Red Hat Enterprise Linux 9.3 (Plow)|Red Hat");
    assert_eq!(detected("centos-7"), "centos|7|CentOS Linux 7 (Core)|-");
}

#[test]
fn rpm_release_files_when_os_release_is_missing() {
    assert_eq!(
        detected("almalinux-8-release-only"),
        "almalinux|8.9|AlmaLinux release 8.9 (Midnight Oncilla)|AlmaLinux:8"
    );
    assert_eq!(detected("rocky-8-release-only"), "rocky|8.9|Rocky Linux release 8.9 (Green Obsidian)|Rocky Linux:8");
    assert_eq!(detected("rhel-7-release-only"), "rhel|7.9|Red Hat Enterprise Linux Server release 7.9 (Maipo)|Red Hat");
    assert_eq!(detected("centos-6"), "centos|6.10|CentOS release 6.10 (Final)|-");
    assert_eq!(
        detected("centos-6-redhat-release-only"),
        "centos|6.10|CentOS release 6.10 (Final)|-",
        "the product name, not the file name, decides"
    );
}

#[test]
fn suse_has_no_ecosystem() {
    assert_eq!(detected("opensuse-leap-15.5"), "opensuse-leap|15.5|openSUSE Leap 15.5|-");
    assert_eq!(detected("sles-15"), "sles|15.5|SUSE Linux Enterprise Server 15 SP5|-");
}

#[test]
fn wolfi_and_chainguard_are_rolling() {
    assert_eq!(detected("wolfi"), "wolfi|20230201|Wolfi|Wolfi");
    assert_eq!(detected("chainguard"), "chainguard|20230214|Chainguard|Chainguard");
}

#[test]
fn etc_os_release_wins_over_usr_lib() {
    assert_eq!(detected("precedence"), "alpine|3.19.1|Alpine Linux v3.19|Alpine:v3.19");
}

#[test]
fn os_release_without_id_falls_back_to_version_files() {
    assert_eq!(detected("no-id"), "debian|11.9|Debian GNU/Linux 11.9|Debian:11");
}

#[test]
fn unknown_distribution_is_detected_without_ecosystem() {
    assert_eq!(detected("unknown"), "fedora|39|Fedora Linux 39 (Container Image)|-");
}

#[test]
fn nothing_to_read_is_no_os() {
    assert_eq!(detect(&ImageFs::default()), None);
    let mut layer = LayerFiles::default();
    layer.files.insert("etc/os-release".into(), b"# only a comment\n".to_vec());
    assert_eq!(detect(&ImageFs::merge(&[layer])), None);
}

#[test]
fn oversized_release_files_are_ignored() {
    let mut layer = LayerFiles::default();
    let mut huge = b"ID=debian\nVERSION_ID=12\n".to_vec();
    huge.resize(MAX_RELEASE_FILE_BYTES + 1, b'\n');
    layer.files.insert("etc/os-release".into(), huge);
    layer.files.insert("etc/alpine-release".into(), b"3.18.4\n".to_vec());
    assert_eq!(detect(&ImageFs::merge(&[layer])).unwrap().ecosystem.unwrap().to_string(), "Alpine:v3.18");
}

#[test]
fn values_are_cleaned_for_reports() {
    let mut layer = LayerFiles::default();
    let long = "x".repeat(1000);
    let text = format!("ID=debian\nVERSION_ID=\"12\x1b[2J\"\nPRETTY_NAME=\"\x1b]0;owned\x07{long}\"\n");
    layer.files.insert("etc/os-release".into(), text.into_bytes());
    let os = detect(&ImageFs::merge(&[layer])).unwrap();
    assert_eq!(os.version_id, "12[2J");
    assert_eq!(os.pretty_name, format!("]0;owned{}", "x".repeat(248)));
    assert_eq!(os.ecosystem.unwrap().to_string(), "Debian", "a version with control characters is no release");
}

#[test]
fn os_release_quoting_escapes_and_comments() {
    let text = concat!(
        "# a comment\n",
        "\n",
        "  NAME=\"Example \\\"Quoted\\\" \\$HOME \\\\ \\` \\n\"\n",
        "ID=plain\n",
        "SINGLE='it is $raw \\n'\n",
        "BARE=a\\ b\n",
        "TRAILING=word # comment\n",
        "JOINED=\"a\"'b'c\n",
        "EMPTY=\n",
        "OPEN=\"never closed\n",
        "LONE=ends\\\n",
        "not an assignment\n",
        "1BAD=x\n",
        "BAD-KEY=x\n",
        "ID=second\n",
    );
    let fields = parse_os_release(text);
    let got: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
    assert_eq!(
        got,
        [
            "BARE=a b",
            "EMPTY=",
            "ID=second",
            "JOINED=abc",
            "NAME=Example \"Quoted\" $HOME \\ ` \\n",
            "SINGLE=it is $raw \\n",
            "TRAILING=word",
        ]
    );
}

#[test]
fn ecosystem_spelling() {
    let eco = |id, v| ecosystem_for(id, v).map(|e| e.to_string());
    assert_eq!(eco("debian", "12"), Some("Debian:12".into()));
    assert_eq!(eco("debian", "bookworm/sid"), Some("Debian".into()));
    assert_eq!(eco("ubuntu", "24.04"), Some("Ubuntu:24.04:LTS".into()));
    assert_eq!(eco("ubuntu", "23.04"), Some("Ubuntu:23.04".into()));
    assert_eq!(eco("ubuntu", "22.10"), Some("Ubuntu:22.10".into()));
    assert_eq!(eco("ubuntu", "22.04.3"), Some("Ubuntu".into()));
    assert_eq!(eco("alpine", "3.18"), Some("Alpine:v3.18".into()));
    assert_eq!(eco("alpine", "3"), Some("Alpine".into()));
    assert_eq!(eco("alpine", "3.18.4.1"), Some("Alpine".into()));
    assert_eq!(eco("almalinux", "8.9"), Some("AlmaLinux:8".into()));
    assert_eq!(eco("rocky", ""), Some("Rocky Linux".into()));
    assert_eq!(eco("opensuse-tumbleweed", "20240101"), None);
    assert_eq!(eco("", ""), None);
}

#[test]
fn wants_every_release_file_and_nothing_else() {
    for path in [
        "etc/os-release",
        "usr/lib/os-release",
        "etc/debian_version",
        "etc/alpine-release",
        "etc/redhat-release",
        "etc/centos-release",
        "etc/almalinux-release",
        "etc/rocky-release",
    ] {
        assert!(wants(path), "{path}");
    }
    for path in ["etc/os-release.d/x", "/etc/os-release", "etc/lsb-release", "usr/lib/os-release/x"] {
        assert!(!wants(path), "{path}");
    }
}
