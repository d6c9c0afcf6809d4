use super::*;

fn manifest(name: &str, version: &str, line: Option<u32>) -> Option<Manifest> {
    Some(Manifest { name: name.into(), version: version.into(), line })
}

#[test]
fn wanted_paths() {
    let wanted = [
        "app/node_modules/express/package.json",
        "app/node_modules/@babel/core/package.json",
        "app/node_modules/a/node_modules/b/package.json",
        "app/node_modules/.pnpm/lodash@4.17.21/node_modules/lodash/package.json",
        "usr/local/lib/node_modules/npm/package.json",
        "usr/lib/node_modules/corepack/package.json",
        "node_modules/x/package.json",
    ];
    for path in wanted {
        assert!(NodeModules.wants(path), "{path}");
    }
    let unwanted = [
        "app/package.json",
        "app/node_modules/package.json",
        "app/node_modules/x/test/package.json",
        "app/node_modules/x/lib/fixtures/y/package.json",
        "app/node_modules/@scope/package.json",
        "app/node_modules/@/x/package.json",
        "app/node_modules/@a/@b/package.json",
        "app/node_modules/.bin/package.json",
        "app/node_modules/.pnpm/package.json",
        "app/node_modules/x/package.json.bak",
        "app/node_modules/.package-lock.json",
    ];
    for path in unwanted {
        assert!(!NodeModules.wants(path), "{path}");
    }
}

#[test]
fn reads_name_version_and_the_line_of_name() {
    let text = "{\n  \"description\": \"{\\\"name\\\": 1}\",\n  \"version\": \"4.18.2\",\n  \"name\": \"express\",\n  \"dependencies\": {\"name\": \"x\"}\n}";
    assert_eq!(read_manifest(text.as_bytes()), manifest("express", "4.18.2", Some(4)));
}

#[test]
fn an_escaped_name_has_no_line() {
    let text = r#"{"name": "\u0061b", "version": "1.0.0"}"#;
    assert_eq!(read_manifest(text.as_bytes()), manifest("ab", "1.0.0", None));
}

#[test]
fn a_bom_is_allowed_and_lines_count_from_the_text() {
    let text = "\u{FEFF}{\n\"name\": \"@scope/pkg\", \"version\": \"0.1.0\"}";
    assert_eq!(read_manifest(text.as_bytes()), manifest("@scope/pkg", "0.1.0", Some(2)));
}

#[test]
fn private_unnamed_unversioned_and_broken_manifests_are_not_packages() {
    let none = [
        r#"{"name": "app", "version": "1.0.0", "private": true}"#,
        r#"{"name": "app", "version": "1.0.0", "private": "true"}"#,
        r#"{"version": "1.0.0"}"#,
        r#"{"name": "x"}"#,
        r#"{"name": " ", "version": "1.0.0"}"#,
        r#"{"name": "x", "version": ""}"#,
        r#"{"name": 5, "version": "1.0.0"}"#,
        r#"{"name": "x", "version": "1.0.0", "name": "y"}"#,
        r#"["name", "version"]"#,
        "{\"name\": \"x\", \"version\": \"1.0.0\"",
        "",
    ];
    for text in none {
        assert_eq!(read_manifest(text.as_bytes()), None, "{text}");
    }
    let public = r#"{"name": "lib", "version": "1.0.0", "private": false}"#;
    assert_eq!(read_manifest(public.as_bytes()), manifest("lib", "1.0.0", Some(1)));
}

#[test]
fn oversized_and_hostile_manifests_are_refused_without_panic() {
    let mut big = br#"{"name": "x", "version": "1.0.0", "pad": ""#.to_vec();
    big.resize(MAX_PACKAGE_JSON + 1, b'a');
    big.extend(b"\"}");
    assert_eq!(read_manifest(&big), None);
    let deep =
        format!(r#"{{"name": "x", "version": "1.0.0", "private": {}{}}}"#, "[".repeat(10_000), "]".repeat(10_000));
    assert_eq!(read_manifest(deep.as_bytes()), None, "nesting beyond serde_json's limit is an error");
    assert_eq!(read_manifest(b"{\"name\": \"\xff\", \"version\": \"1\"}"), None);
}
