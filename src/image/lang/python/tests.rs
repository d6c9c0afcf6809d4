use super::*;
use crate::image::fs::LayerFiles;
use crate::inventory::testing::summarize;

fn metadata(name: &str, version: &str, line: u32) -> Option<Metadata> {
    Some(Metadata { name: name.into(), version: version.into(), name_line: line })
}

#[test]
fn wanted_paths() {
    let wanted = [
        "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA",
        "usr/local/lib/python3.12/site-packages/requests-2.31.0.dist-info/METADATA",
        "site-packages/a.dist-info/METADATA",
        "usr/lib/python3/dist-packages/chardet-5.1.0.egg-info/PKG-INFO",
        "usr/lib/python3/dist-packages/python_apt-2.6.0.egg-info",
        "srv/app/myproject.egg-info/PKG-INFO",
        "usr/lib/python2.7/site-packages/simplejson-3.0-py2.7.egg/EGG-INFO/PKG-INFO",
    ];
    for path in wanted {
        assert!(PythonPackages.wants(path), "{path}");
    }
    let unwanted = [
        "srv/src/wheel-0.1.dist-info/METADATA",
        "usr/lib/python3/dist-packages/six-1.16.0.dist-info/RECORD",
        "usr/lib/python3/dist-packages/.dist-info/METADATA",
        "usr/lib/python3/dist-packages/x.egg-info/SOURCES.txt",
        "usr/lib/python3/dist-packages/.egg-info",
        "usr/lib/python3/dist-packages/x/EGG-INFO/PKG-INFO",
        "METADATA",
        "PKG-INFO",
        "",
    ];
    for path in unwanted {
        assert!(!PythonPackages.wants(path), "{path}");
    }
}

#[test]
fn reads_name_and_version_from_the_headers_only() {
    let text = "Metadata-Version: 2.1\r\nname: Flask\r\nVERSION: 3.0.0\r\nSummary: A simple framework\r\n\r\nName: not-this\r\n";
    assert_eq!(read_metadata(text.as_bytes()), metadata("Flask", "3.0.0", 2));
}

#[test]
fn the_body_is_not_headers() {
    let text = "Metadata-Version: 2.1\nName: lonely\n\nVersion: 9.9\n";
    assert_eq!(read_metadata(text.as_bytes()), None, "a Version in the description is not the version");
}

#[test]
fn continuation_lines_and_a_bom_are_skipped_over() {
    let text =
        "\u{FEFF}Metadata-Version: 1.0\nSummary: two\n  Name: continued\n\tVersion: 0\nName: real\nVersion: 1.0\n";
    assert_eq!(read_metadata(text.as_bytes()), metadata("real", "1.0", 5));
}

#[test]
fn the_first_header_wins_even_when_unusable() {
    assert_eq!(read_metadata(b"Name: a\nName: b\nVersion: 1\nVersion: 2\n"), metadata("a", "1", 1));
    assert_eq!(read_metadata(b"Name: \xff\nName: b\nVersion: 1\n"), None);
}

#[test]
fn missing_or_empty_values_are_not_packages() {
    assert_eq!(read_metadata(b"Name: a\n"), None);
    assert_eq!(read_metadata(b"Version: 1\n"), None);
    assert_eq!(read_metadata(b"Name: a\nVersion:   \n"), None);
    assert_eq!(read_metadata(b""), None);
    assert_eq!(read_metadata(b"\x00\x01\x02 binary"), None);
}

#[test]
fn a_latin1_description_does_not_matter() {
    let mut text = b"Name: caf\nVersion: 2.0\nAuthor: Ren\xe9\n\nCaf\xe9 \xe9\xe9\n".to_vec();
    text.extend(std::iter::repeat_n(b'x', 100_000));
    assert_eq!(read_metadata(&text), metadata("caf", "2.0", 1));
}

#[test]
fn every_prefix_is_safe() {
    let text = b"Metadata-Version: 2.1\r\nName: x\r\n Version: 1\r\nVersion: 2\r\n\r\nbody";
    for end in 0..text.len() {
        let _ = read_metadata(&text[..end]);
    }
}

#[test]
fn collects_once_per_path_with_the_layer() {
    let mut layer = LayerFiles { digest: "sha256:aa".into(), ..LayerFiles::default() };
    let put = |layer: &mut LayerFiles, path: &str, text: &str| {
        layer.files.insert(path.to_string(), text.as_bytes().to_vec());
    };
    put(&mut layer, "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA", "Name: six\nVersion: 1.16.0\n");
    put(&mut layer, "usr/lib/python3/dist-packages/broken.dist-info/METADATA", "Name: broken\n");
    put(&mut layer, "not/wanted/x.dist-info/METADATA", "Name: x\nVersion: 1\n");
    let fs = ImageFs::merge(&[layer]);
    let packages = PythonPackages.collect(&fs, &Context::default()).unwrap();
    assert_eq!(summarize(&packages), ["PyPI|six|1.16.0|pkg:pypi/six@1.16.0|1|"]);
    assert_eq!(packages[0].location.path, "/usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA");
    assert_eq!(packages[0].location.layer.as_deref(), Some("sha256:aa"));
}
