use super::*;
use crate::inventory::testing::{extract_fixture, extract_str, skipped, summarize};

#[test]
fn wants_pylock_and_named_pylocks_only() {
    for name in ["pylock.toml", "a/b/pylock.toml", "pylock.dev.toml", "pylock.prod-linux.toml"] {
        assert!(PyLock.wants(Path::new(name)), "{name}");
    }
    for name in ["pylock.a.b.toml", "pylock..toml", "pylock.toml.bak", "xpylock.toml", "pylock.json", "pyproject.toml"]
    {
        assert!(!PyLock.wants(Path::new(name)), "{name}");
    }
}

#[test]
fn pdm_multi_use_export_with_groups_extras_vcs_and_archive() {
    let out = extract_fixture(&PyLock, "inventory/pylock/pdm/pylock.toml").unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "PyPI|certifi|2024.8.30|pkg:pypi/certifi@2024.8.30|14|",
            "PyPI|colorama|0.4.6|pkg:pypi/colorama@0.4.6|27|dev",
            "PyPI|iniconfig|2.0.0|pkg:pypi/iniconfig@2.0.0|40|dev",
            "PyPI|internal-sdk|1.4.0|pkg:pypi/internal-sdk@1.4.0?download_url=https://downloads.example.com/sdk/internal_sdk-1.4.0-py3-none-any.whl|53|",
            "PyPI|pysocks|1.7.1|pkg:pypi/pysocks@1.7.1|67|optional",
            "PyPI|pytest|8.3.3|pkg:pypi/pytest@8.3.3|80|dev",
            "PyPI|requests|2.32.3|pkg:pypi/requests@2.32.3|98|",
            "PyPI|ruff|0.6.9|pkg:pypi/ruff@0.6.9|116|dev",
            "PyPI|toolz|1.0.1.dev4|pkg:pypi/toolz@1.0.1.dev4?vcs_url=git%2Bhttps://github.com/pytoolz/toolz.git%4008f2604a3e2d4ea2b1c5a3f9c6e0b7d8a91e2c4f|130|",
        ]
    );
    assert_eq!(skipped(&out), ["mytool-plugins 0.3.0|60|local directory \"plugins\""]);
    assert_eq!(out.skipped[0].location.path, "inventory/pylock/pdm/pylock.toml");
}

#[test]
fn uv_single_use_export_with_source_trees_and_private_index() {
    let out = extract_fixture(&PyLock, "inventory/pylock/uv/pylock.prod.toml").unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "PyPI|anyio|4.6.2.post1|pkg:pypi/anyio@4.6.2.post1|12|",
            "PyPI|colorama|0.4.6|pkg:pypi/colorama@0.4.6|19|",
            "PyPI|idna|3.10|pkg:pypi/idna@3.10|31|",
            "PyPI|sniffio|1.3.1|pkg:pypi/sniffio@1.3.1|43|",
            "PyPI|telemetry-client|2.3.0|pkg:pypi/telemetry-client@2.3.0?repository_url=https://pkgs.acme.example/simple/|50|",
        ]
    );
    assert_eq!(
        skipped(&out),
        [
            "acme-service|8|local directory \".\"",
            "httpx|27|no version: a source tree, whose version the lock cannot guarantee",
            "legacy-codec 0.9.2|38|local archive \"vendor/legacy_codec-0.9.2-py3-none-any.whl\"",
        ]
    );
}

#[test]
fn local_vcs_checkout_and_file_url_archive_are_skipped() {
    let lock = r#"lock-version = "1.0"
created-by = "hand"

[[packages]]
name = "a"
version = "1.0"
vcs = { type = "git", path = "../a", commit-id = "0123abcd" }

[[packages]]
name = "b"
version = "2.0"
archive = { url = "file:///srv/wheels/b-2.0-py3-none-any.whl", hashes = { sha256 = "00" } }
"#;
    let out = extract_str(&PyLock, "pylock.toml", lock).unwrap();
    assert!(out.packages.is_empty());
    assert_eq!(
        skipped(&out),
        ["a 1.0|5|local git checkout \"../a\"", "b 2.0|10|local archive \"file:///srv/wheels/b-2.0-py3-none-any.whl\""]
    );
}

#[test]
fn markers_decide_dev_and_optional() {
    let defaults = vec!["default".to_string()];
    let flags = |marker: &str| selection_flags(Some(marker), &defaults);
    assert_eq!(flags("'default' in dependency_groups"), (false, false));
    assert_eq!(flags("'dev' in dependency_groups"), (true, false));
    assert_eq!(flags("'Dev_Tools' in dependency_groups and sys_platform == 'linux'"), (true, false));
    assert_eq!(flags("'socks' in extras"), (false, true));
    assert_eq!(flags("extra == \"socks\""), (false, true));
    assert_eq!(flags("\"socks\" == extra or python_version < \"3.8\""), (false, false));
    assert_eq!(flags("'socks' in extras and 'dev' in dependency_groups"), (true, true));
    assert_eq!(flags("'dev' not in dependency_groups"), (false, false));
    assert_eq!(flags("('dev' in dependency_groups or 'test' in dependency_groups) and os_name != 'nt'"), (true, false));
    assert_eq!(flags("(('socks' in extras))"), (false, true));
    assert_eq!(flags("platform_machine in 'x86_64 aarch64'"), (false, false));
    // No information: unparsable, too deep, or no marker at all.
    assert_eq!(flags("'dev' in dependency_groups and"), (false, false));
    assert_eq!(flags("('dev' in dependency_groups"), (false, false));
    assert_eq!(flags("'dev in dependency_groups"), (false, false));
    assert_eq!(flags("'dev' in dependency_groups $"), (false, false));
    let deep = "(".repeat(10_000) + "'dev' in dependency_groups" + &")".repeat(10_000);
    assert_eq!(flags(&deep), (false, false));
    assert_eq!(selection_flags(None, &defaults), (false, false));
}

#[test]
fn without_default_groups_a_group_marker_means_dev() {
    assert_eq!(selection_flags(Some("'default' in dependency_groups"), &[]), (true, false));
}

#[test]
fn empty_file_has_no_packages() {
    assert_eq!(extract_str(&PyLock, "pylock.toml", "").unwrap(), Extracted::default());
    assert_eq!(extract_str(&PyLock, "pylock.toml", "# nothing locked yet\n").unwrap(), Extracted::default());
}

#[test]
fn unknown_major_version_or_missing_version_is_refused() {
    let err = extract_str(&PyLock, "pylock.toml", "created-by = \"x\"\nlock-version = \"2.0\"\n").unwrap_err();
    assert_eq!((err.line, err.message.as_str()), (Some(2), "unsupported lock-version \"2.0\""));
    let err = extract_str(&PyLock, "pylock.toml", "[[packages]]\nname = \"a\"\nversion = \"1\"\n").unwrap_err();
    assert_eq!((err.line, err.message.as_str()), (None, "missing `lock-version`"));
    assert!(extract_str(&PyLock, "pylock.toml", "lock-version = \"1.1\"\n").is_ok());
}

#[test]
fn malformed_files_name_the_line() {
    let truncated = "lock-version = \"1.0\"\ncreated-by = \"uv\"\n\n[[packages]]\nname = \"idna\"\nversion = \"3.";
    let err = extract_str(&PyLock, "pylock.toml", truncated).unwrap_err();
    assert_eq!(err.line, Some(6));
    assert!(err.message.starts_with("invalid TOML"), "{}", err.message);

    let wrong_type = "lock-version = \"1.0\"\n\n[[packages]]\nname = \"idna\"\nversion = 3.10\n";
    let err = extract_str(&PyLock, "pylock.toml", wrong_type).unwrap_err();
    assert_eq!(err.line, Some(5));
    assert!(err.message.contains("invalid type"), "{}", err.message);

    let no_name = "lock-version = \"1.0\"\n\n[[packages]]\nversion = \"1.0\"\n";
    let err = extract_str(&PyLock, "pylock.toml", no_name).unwrap_err();
    assert!(err.message.contains("missing field `name`"), "{}", err.message);

    let empty_name = "lock-version = \"1.0\"\n\n[[packages]]\nname = \"\"\nversion = \"1.0\"\n";
    let err = extract_str(&PyLock, "pylock.toml", empty_name).unwrap_err();
    assert_eq!((err.line, err.message.as_str()), (Some(4), "package without a name"));

    let packages_not_a_list = "lock-version = \"1.0\"\npackages = \"none\"\n";
    let err = extract_str(&PyLock, "pylock.toml", packages_not_a_list).unwrap_err();
    assert_eq!(err.line, Some(2));
}

#[test]
fn binary_junk_is_an_error_not_a_crash() {
    let err =
        PyLock.extract(&Input::new(Path::new("pylock.toml"), b"lock-version = \"1.0\"\n\xff\xfe\x00\x01")).unwrap_err();
    assert_eq!((err.line, err.message.as_str()), (Some(2), "not valid UTF-8 text"));
    let err = extract_str(&PyLock, "pylock.toml", "\u{1}\u{2}PK\u{3}\u{4}").unwrap_err();
    assert!(err.message.starts_with("invalid TOML"), "{}", err.message);
}

#[test]
fn deeply_nested_toml_is_an_error_not_a_crash() {
    let deep = format!("lock-version = \"1.0\"\nx = {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let err = extract_str(&PyLock, "pylock.toml", &deep).unwrap_err();
    assert_eq!(err.line, Some(2), "{}", err.message);
}
