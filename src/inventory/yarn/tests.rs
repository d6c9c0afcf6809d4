use super::*;
use crate::inventory::testing::{extract_fixture, extract_str, own, skipped, summarize};

fn lock(content: &str) -> Result<Extracted, ExtractError> {
    extract_str(&YarnLock, "yarn.lock", content)
}

#[test]
fn classic_v1_with_package_json_gives_direct_and_dev() {
    let out = extract_fixture(&YarnLock, "inventory/yarn/v1/yarn.lock").unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "npm|@acme/secret|1.2.3|pkg:npm/%40acme/secret@1.2.3?repository_url=https://npm.acme.example|5|direct",
            "npm|@babel/code-frame|7.12.13|pkg:npm/%40babel/code-frame@7.12.13|10|direct",
            "npm|@babel/helper-validator-identifier|7.12.11|pkg:npm/%40babel/helper-validator-identifier@7.12.11|17|transitive",
            "npm|@babel/highlight|7.13.10|pkg:npm/%40babel/highlight@7.13.10|22|transitive",
            "npm|ansi-regex|5.0.1|pkg:npm/ansi-regex@5.0.1|31|transitive",
            "npm|ansi-styles|3.2.1|pkg:npm/ansi-styles@3.2.1|36|transitive",
            "npm|ansi-styles|4.3.0|pkg:npm/ansi-styles@4.3.0|43|transitive",
            "npm|chalk|2.4.2|pkg:npm/chalk@2.4.2|50|transitive",
            "npm|chalk|4.1.2|pkg:npm/chalk@4.1.2|59|direct",
            "npm|color-convert|1.9.3|pkg:npm/color-convert@1.9.3|67|transitive",
            "npm|color-convert|2.0.1|pkg:npm/color-convert@2.0.1|74|transitive",
            "npm|color-name|1.1.3|pkg:npm/color-name@1.1.3|81|transitive",
            "npm|color-name|1.1.4|pkg:npm/color-name@1.1.4|86|transitive",
            "npm|debug|4.3.4|pkg:npm/debug@4.3.4|91|direct,dev",
            "npm|emoji-regex|8.0.0|pkg:npm/emoji-regex@8.0.0|98|transitive",
            "npm|escape-string-regexp|1.0.5|pkg:npm/escape-string-regexp@1.0.5|103|transitive",
            "npm|fsevents|2.3.2|pkg:npm/fsevents@2.3.2|108|direct",
            "npm|has-flag|3.0.0|pkg:npm/has-flag@3.0.0|113|transitive",
            "npm|has-flag|4.0.0|pkg:npm/has-flag@4.0.0|118|transitive",
            "npm|is-fullwidth-code-point|3.0.0|pkg:npm/is-fullwidth-code-point@3.0.0|123|transitive",
            "npm|is-number|6.0.0|pkg:npm/is-number@6.0.0|128|transitive",
            // github: shorthand, locked as a codeload tarball of the commit.
            "npm|is-odd|3.0.1|pkg:npm/is-odd@3.0.1?vcs_url=git%2Bhttps://github.com/jonschlinkert/is-odd.git%40b3b1d5c1b6e83a28dc9e5bbc3e2a9c4bb4fa9d5e|133|direct",
            "npm|js-tokens|4.0.0|pkg:npm/js-tokens@4.0.0|139|transitive",
            "npm|left-pad|1.3.0|pkg:npm/left-pad@1.3.0?vcs_url=git%2Bhttps://github.com/left-pad/left-pad.git%402fca6157ed5d6e4a1a2d5ed1e8b9c3f0a7d4e6b1|144|direct",
            "npm|ms|2.1.2|pkg:npm/ms@2.1.2|151|transitive,dev",
            // `"string-width-cjs@npm:string-width@^4.2.0", string-width@^4.2.0`: the real name.
            "npm|string-width|4.2.3|pkg:npm/string-width@4.2.3|160|direct",
            "npm|strip-ansi|6.0.1|pkg:npm/strip-ansi@6.0.1|169|transitive",
            "npm|supports-color|5.5.0|pkg:npm/supports-color@5.5.0|176|transitive",
            "npm|supports-color|7.2.0|pkg:npm/supports-color@7.2.0|183|transitive",
            // A registry tarball URL is the registry package.
            "npm|tiny-tarball|1.0.0|pkg:npm/tiny-tarball@1.0.0|190|direct",
        ]
    );
    assert_eq!(
        skipped(&out),
        [format!("vendored-lib@https://downloads.example.com/vendored-lib-2.3.0.tgz|194|{REMOTE_TARBALL}"),]
    );
    assert_eq!(
        own(&out),
        ["path|local-utils|0.4.0|pkg:npm/local-utils@0.4.0|148", "link|shared-config||pkg:npm/shared-config|156",]
    );
    assert_eq!(out.packages[0].location.path, "inventory/yarn/v1/yarn.lock");
    let aliased: Vec<_> = out.packages.iter().filter_map(|p| Some((p.name.as_str(), p.alias.as_deref()?))).collect();
    assert_eq!(aliased, [("string-width", "string-width-cjs")]);
}

#[test]
fn classic_v1_with_workspaces_leaves_relationship_unknown() {
    let out = extract_fixture(&YarnLock, "inventory/yarn/v1-workspaces/yarn.lock").unwrap();
    assert_eq!(
        summarize(&out.packages),
        ["npm|@types/node|18.11.9|pkg:npm/%40types/node@18.11.9|5|", "npm|ms|2.1.3|pkg:npm/ms@2.1.3|10|"]
    );
    assert!(out.skipped.is_empty());
    assert_eq!(own(&out), ["path|vendored|0.1.0|pkg:npm/vendored@0.1.0|15"]);
}

#[test]
fn classic_v1_without_package_json_leaves_relationship_unknown() {
    let content = "# yarn lockfile v1\n\n\nms@^2.1.1:\n  version \"2.1.3\"\n  resolved \"https://registry.yarnpkg.com/ms/-/ms-2.1.3.tgz#abc\"\n";
    assert_eq!(summarize(&lock(content).unwrap().packages), ["npm|ms|2.1.3|pkg:npm/ms@2.1.3|4|"]);
}

#[test]
fn classic_v1_reads_crlf_and_colon_fields() {
    let content =
        "# yarn lockfile v1\r\n\r\n\"@scope/a@^1.0.0\":\r\n  version: \"1.0.1\"\r\n  dependencies:\r\n    b \"^2\"\r\n\r\nb@^2:\r\n  version \"2.0.0\"\r\n";
    assert_eq!(
        summarize(&lock(content).unwrap().packages),
        ["npm|@scope/a|1.0.1|pkg:npm/%40scope/a@1.0.1|3|", "npm|b|2.0.0|pkg:npm/b@2.0.0|8|"]
    );
}

#[test]
fn berry_v3_workspaces_patch_portal_link_file_alias_and_git() {
    let out = extract_fixture(&YarnLock, "inventory/yarn/berry-v3/yarn.lock").unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "npm|debug|4.3.4|pkg:npm/debug@4.3.4|40|direct",
            "npm|function-bind|1.1.1|pkg:npm/function-bind@1.1.1|52|transitive",
            "npm|has|1.0.3|pkg:npm/has@1.0.3|59|transitive",
            "npm|is-core-module|2.11.0|pkg:npm/is-core-module@2.11.0|68|transitive",
            "npm|left-pad|1.3.0|pkg:npm/left-pad@1.3.0?vcs_url=git%2Bhttps://github.com/left-pad/left-pad.git%405f4b1e2c3d4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c|77|direct",
            // `lodash-cjs@npm:lodash@^4.17.21` resolves to lodash.
            "npm|lodash|4.17.21|pkg:npm/lodash@4.17.21|97|direct",
            // A devDependency of @acme/api, but debug (prod) needs it too.
            "npm|ms|2.1.2|pkg:npm/ms@2.1.2|104|direct",
            "npm|path-parse|1.0.7|pkg:npm/path-parse@1.0.7|117|transitive",
            "npm|picocolors|1.0.0|pkg:npm/picocolors@1.0.0|124|direct,dev",
            // Patched and unpatched: one package, at the unpatched entry.
            "npm|resolve|1.22.1|pkg:npm/resolve@1.22.1|131|direct",
            "npm|supports-preserve-symlinks-flag|1.0.0|pkg:npm/supports-preserve-symlinks-flag@1.0.0|157|transitive",
            "npm|typescript|4.9.5|pkg:npm/typescript@4.9.5|164|direct,dev",
        ]
    );
    assert!(out.skipped.is_empty());
    // yarn's placeholder version `0.0.0-use.local` is no version.
    assert_eq!(
        own(&out),
        [
            "workspace-member|@acme/api||pkg:npm/%40acme/api|8",
            "workspace-member|@acme/shared||pkg:npm/%40acme/shared|23",
            "root|acme-monorepo||pkg:npm/acme-monorepo|32",
            "path|legacy|2.0.0|pkg:npm/legacy@2.0.0|84",
            "link|local-config||pkg:npm/local-config|91",
            "link|my-link||pkg:npm/my-link|111",
        ]
    );
}

#[test]
fn berry_v4_without_package_json_knows_direct_but_not_dev() {
    let out = extract_fixture(&YarnLock, "inventory/yarn/berry-v4/yarn.lock").unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            // From `::__archiveUrl=` on another registry.
            "npm|@acme/secret|1.2.3|pkg:npm/%40acme/secret@1.2.3?repository_url=https://npm.acme.example|8|direct",
            "npm|ansi-regex|5.0.1|pkg:npm/ansi-regex@5.0.1|15|transitive",
            "npm|fsevents|2.3.3|pkg:npm/fsevents@2.3.3|22|direct",
            // The root depends on the user patch; the package is still lodash 4.17.21.
            "npm|lodash|4.17.21|pkg:npm/lodash@4.17.21|43|direct",
            "npm|private-sdk|2.4.0|pkg:npm/private-sdk@2.4.0?vcs_url=git%2Bssh://git%40github.com/acme/private-sdk.git%400d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e|57|direct",
            "npm|string-width|4.2.3|pkg:npm/string-width@4.2.3|80|direct",
            "npm|strip-ansi|6.0.1|pkg:npm/strip-ansi@6.0.1|89|transitive",
            "npm|tiny-tarball|1.0.0|pkg:npm/tiny-tarball@1.0.0|98|direct",
        ]
    );
    assert_eq!(
        skipped(&out),
        [
            format!("generated@exec:./scripts/gen.js#./scripts/gen.js::hash=1f0c2e&locator=root-workspace-0b6124%40workspace%3A.|37|{EXEC}"),
            format!("vendored-lib@https://downloads.example.com/vendored-lib-2.3.0.tgz|105|{REMOTE_TARBALL}"),
        ]
    );
    assert_eq!(own(&out), ["root|root-workspace-0b6124||pkg:npm/root-workspace-0b6124|64"]);
}

#[test]
fn berry_odd_entries() {
    let long_key =
        format!("\"a@npm:^1.0.0, {}\"", (0..120).map(|i| format!("a@npm:^1.0.{i}")).collect::<Vec<_>>().join(", "));
    let content = format!(
        "__metadata:\n  version: 8\n\n? {long_key}\n:\n  version: 1.0.9\n  resolution: \"a@npm:1.0.9\"\n\n\"b@jsr:1.0.0\":\n  version: 1.0.0\n  resolution: \"b@jsr:1.0.0\"\n\n\"c@patch:c@patch%3Ac@patch%253Ac@patch%25253Ac@patch%2525253Ac@npm%252525253A1.0.0#x#x#x#x#x\":\n  version: 1.0.0\n  resolution: \"c@patch:c@patch%3Ac@patch%253Ac@patch%25253Ac@patch%2525253Ac@npm%252525253A1.0.0#x#x#x#x#x\"\n\n\"d@https://github.com/u/d.git#main\":\n  resolution: \"d@https://github.com/u/d.git#commit=abc\"\n"
    );
    let out = lock(&content).unwrap();
    // No workspace entry: the lockfile does not say what is direct.
    assert_eq!(summarize(&out.packages), ["npm|a|1.0.9|pkg:npm/a@1.0.9|4|"]);
    let reasons: Vec<_> = out.skipped.iter().map(|s| (s.location.line, s.reason.as_str())).collect();
    assert_eq!(
        reasons,
        [
            (Some(9), "unsupported protocol jsr:"),
            (Some(13), "patch nested too deep"),
            (Some(17), "git dependency without a version"),
        ]
    );
}

#[test]
fn empty_and_comment_only_files_have_no_packages() {
    assert_eq!(lock("").unwrap(), Extracted::default());
    assert_eq!(lock("# THIS IS AN AUTOGENERATED FILE.\n# yarn lockfile v1\n\n\n").unwrap(), Extracted::default());
    assert_eq!(lock("__metadata:\n  version: 8\n  cacheKey: 10c0\n").unwrap(), Extracted::default());
}

#[test]
fn classic_truncated_entry_is_an_error_at_its_line() {
    let err = lock("# yarn lockfile v1\n\n\nms@^2.1.1:\n  version \"2.1.3\"\n\ndebug@^4:\n").unwrap_err();
    assert_eq!((err.path.as_str(), err.line), ("yarn.lock", Some(7)));
    assert_eq!(err.message, "entry has no version");
    let err = lock("ms@^2.1.1:\n  version \"2.1.3\n").unwrap_err();
    assert_eq!((err.line, err.message.as_str()), (Some(2), "unreadable line"));
}

#[test]
fn classic_malformed_lines_are_errors_at_their_line() {
    let err = lock("# yarn lockfile v1\nms@^2.1.1\n  version \"2.1.3\"\n").unwrap_err();
    assert_eq!((err.line, err.message.as_str()), (Some(2), "expected an entry header ending with ':'"));
    let err = lock("  version \"2.1.3\"\n").unwrap_err();
    assert_eq!((err.line, err.message.as_str()), (Some(1), "indented line outside of an entry"));
    let err = lock("a@1:\n  version \"1.0.0\"\n  dependencies:\n    b\n").unwrap_err();
    assert_eq!((err.line, err.message.as_str()), (Some(4), "dependency without a range"));
    let err = lock("\"a@1\", , b@2:\n  version \"1.0.0\"\n").unwrap_err();
    assert_eq!(err.line, Some(1));
    let err = lock("{\"lockfileVersion\": 3}\n").unwrap_err();
    assert_eq!(err.line, Some(1));
}

#[test]
fn berry_truncated_and_wrong_types_are_errors_with_their_line() {
    let err =
        lock("__metadata:\n  version: 8\n\n\"a@npm:^1\":\n  version: 1.0.0\n  resolution: \"a@npm:1.0").unwrap_err();
    assert!(err.message.starts_with("invalid YAML"), "{}", err.message);
    assert!(matches!(err.line, Some(6 | 7)), "{err:?}");
    let err = lock("__metadata:\n  version: 8\n\n\"a@npm:^1\":\n  version: 1.0.0\n  dependencies: 5\n").unwrap_err();
    assert_eq!(err.line, Some(6));
    let err = lock("__metadata:\n  version: 8\n\n\"a@npm:^1\":\n  version: 1.0.0\n").unwrap_err();
    assert_eq!((err.line, err.message.as_str()), (Some(4), "entry has no resolution"));
}

#[test]
fn junk_is_an_error_not_a_panic() {
    let err = YarnLock.extract(&Input::new(Path::new("yarn.lock"), b"a@1:\n  version \"1\"\n\xc3\x28")).unwrap_err();
    assert_eq!(err.line, Some(3));
    assert!(err.message.contains("UTF-8"));
    assert!(lock("\u{0}\u{1}PK\u{3}\u{4}: \"\u{5}").is_err());
    assert!(lock("__metadata:\n\u{0}\u{1}PK\u{3}\u{4}: [").is_err());
    let deep = format!("__metadata:\n  version: 8\n\"a@npm:1\":\n  bin: {}\n", "[".repeat(200_000));
    let err = lock(&deep).unwrap_err();
    assert_eq!(err.line, Some(4));
}

#[test]
fn wants_only_the_canonical_name() {
    assert!(YarnLock.wants(Path::new("web/yarn.lock")));
    assert!(!YarnLock.wants(Path::new("yarn.lock.bak")));
    assert!(!YarnLock.wants(Path::new(".yarnrc.yml")));
}

#[test]
fn header_and_field_parsing() {
    assert_eq!(parse_header(r#""@a/b@^1", "@a/b@>= 1.1 < 2", c@^3:"#).unwrap(), ["@a/b@^1", "@a/b@>= 1.1 < 2", "c@^3"]);
    assert_eq!(parse_header(r#""a\"q@1":"#).unwrap(), ["a\"q@1"]);
    assert_eq!(parse_header("a@1"), None);
    assert_eq!(parse_header("\"a@1:"), None);
    assert_eq!(parse_field("version \"1.0.0\""), Some(("version".into(), Some("1.0.0".into()))));
    assert_eq!(parse_field("integrity sha512-a/b+c=="), Some(("integrity".into(), Some("sha512-a/b+c==".into()))));
    assert_eq!(parse_field("dependencies:"), Some(("dependencies".into(), None)));
    assert_eq!(parse_field("\"@a/b\" \"^1 || ^2\""), Some(("@a/b".into(), Some("^1 || ^2".into()))));
    assert_eq!(read_quoted("\"ab\\"), None);
}

#[test]
fn classic_ranges() {
    assert_eq!(unalias("a", "npm:@s/b@^1"), ("@s/b", "^1"));
    assert_eq!(unalias("a", "npm:^1"), ("a", "^1"));
    assert_eq!(unalias("a", "^1"), ("a", "^1"));
    for git in ["git+ssh://git@x/y.git", "github:u/r", "u/r#v1", "https://gitlab.com/u/r.git#abc", "bitbucket:u/r"] {
        assert!(is_git_range(git), "{git}");
    }
    for not_git in ["^1.0.0", "1.x || >=2.5.0", "https://x.com/a.tgz", "file:../a", "@s/a", "latest"] {
        assert!(!is_git_range(not_git), "{not_git}");
    }
    assert_eq!(local_reason("../x"), Some(LOCAL));
    assert_eq!(local_reason("portal:x"), Some(LINKED));
    assert_eq!(local_reason("workspace:*"), Some(WORKSPACE));
    assert_eq!(local_reason("^1"), None);
    assert_eq!(git_commit("git+https://h/r.git#abc"), Some(("git+https://h/r.git".into(), "abc".into())));
    assert_eq!(git_commit("https://h/r.git#commit=abc&workspace=x"), Some(("https://h/r.git".into(), "abc".into())));
    assert_eq!(git_commit("https://h/r.git#head=main"), None);
    assert_eq!(git_commit("https://h/r.git"), None);
}

#[test]
fn classic_git_without_resolved_commit_is_skipped() {
    let out = lock("\"a@github:u/a#main\":\n  version \"1.0.0\"\n").unwrap();
    assert!(out.packages.is_empty());
    assert_eq!(skipped(&out), [format!("a@github:u/a#main|1|{GIT_WITHOUT_COMMIT}")]);
}

#[test]
fn alias_is_the_descriptor_name_of_an_npm_alias() {
    assert_eq!(alias_of("my-lodash@npm:lodash@^4"), Some("my-lodash"));
    assert_eq!(alias_of("@s/a@npm:@s/b@1.0.0"), Some("@s/a"));
    assert_eq!(alias_of("lodash@npm:^4"), None);
    assert_eq!(alias_of("lodash@npm:lodash@^4"), None);
    assert_eq!(alias_of("lodash@^4"), None);
}
