use super::*;
use crate::inventory::testing::{extract_fixture, extract_str, own, skipped, summarize};

#[test]
fn v5_4_single_project_with_peers_alias_git_dev_and_optional() {
    let out = extract_fixture(&PnpmLock, "inventory/pnpm/v5.4/pnpm-lock.yaml").unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "npm|@tanstack/query-core|4.20.4|pkg:npm/%40tanstack/query-core@4.20.4|33|transitive",
            "npm|@tanstack/react-query|4.20.4|pkg:npm/%40tanstack/react-query@4.20.4|37|direct",
            "npm|@types/prop-types|15.7.5|pkg:npm/%40types/prop-types@15.7.5|55|transitive,dev",
            "npm|@types/react|18.0.26|pkg:npm/%40types/react@18.0.26|59|direct,dev",
            "npm|@types/scheduler|0.16.2|pkg:npm/%40types/scheduler@0.16.2|67|transitive,dev",
            "npm|ansi-regex|5.0.1|pkg:npm/ansi-regex@5.0.1|71|transitive",
            "npm|csstype|3.1.1|pkg:npm/csstype@3.1.1|76|transitive,dev",
            "npm|emoji-regex|8.0.0|pkg:npm/emoji-regex@8.0.0|80|transitive",
            "npm|fsevents|2.3.2|pkg:npm/fsevents@2.3.2|84|direct,optional",
            "npm|is-fullwidth-code-point|3.0.0|pkg:npm/is-fullwidth-code-point@3.0.0|92|transitive",
            "npm|is-number|6.0.0|pkg:npm/is-number@6.0.0|97|transitive",
            "npm|js-tokens|4.0.0|pkg:npm/js-tokens@4.0.0|102|transitive",
            "npm|lodash|4.17.21|pkg:npm/lodash@4.17.21|106|direct",
            "npm|loose-envify|1.4.0|pkg:npm/loose-envify@1.4.0|110|transitive",
            "npm|react-dom|18.2.0|pkg:npm/react-dom@18.2.0|117|direct",
            "npm|react|18.2.0|pkg:npm/react@18.2.0|127|direct",
            "npm|scheduler|0.23.0|pkg:npm/scheduler@0.23.0|134|transitive",
            // Direct through the alias `string-width-cjs: /string-width/4.2.3`.
            "npm|string-width|4.2.3|pkg:npm/string-width@4.2.3|140|direct",
            "npm|strip-ansi|6.0.1|pkg:npm/strip-ansi@6.0.1|149|transitive",
            "npm|typescript|4.9.4|pkg:npm/typescript@4.9.4|156|direct,dev",
            "npm|use-sync-external-store|1.2.0|pkg:npm/use-sync-external-store@1.2.0|162|transitive",
            "npm|is-odd|3.0.1|pkg:npm/is-odd@3.0.1?vcs_url=git%2Bhttps://github.com/jonschlinkert/is-odd.git%405f4c2a1e9b07f3a6d2c8e4b1a0f9d7c6e5b4a392|170|direct",
        ]
    );
    assert!(out.skipped.is_empty());
    assert_eq!(own(&out), ["link|my-utils||pkg:npm/my-utils|19"]);
    assert_eq!(out.packages[0].location.path, "inventory/pnpm/v5.4/pnpm-lock.yaml");
}

#[test]
fn v5_3_workspace_importers_and_a_package_both_dev_and_prod() {
    let out = extract_fixture(&PnpmLock, "inventory/pnpm/v5.3-workspace/pnpm-lock.yaml").unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "npm|debug|4.3.3|pkg:npm/debug@4.3.3|35|direct",
            "npm|ms|2.1.2|pkg:npm/ms@2.1.2|47|transitive",
            // No `dev:` field: pnpm omits it when a package is both dev and prod.
            "npm|ms|2.1.3|pkg:npm/ms@2.1.3|51|direct",
            "npm|prettier|2.5.1|pkg:npm/prettier@2.5.1|54|direct,dev",
        ]
    );
    assert!(out.skipped.is_empty());
    assert_eq!(
        own(&out),
        [
            // No package.json beside the fixture: named by a link to them, else by folder.
            "workspace-member|packages/api||pkg:npm/packages/api|13",
            "workspace-member|eslint-config-acme||pkg:npm/eslint-config-acme|24",
            "workspace-member|@acme/shared||pkg:npm/%40acme/shared|27",
        ]
    );
}

#[test]
fn v6_workspace_peer_variants_reported_once_git_and_local_directory() {
    let out = extract_fixture(&PnpmLock, "inventory/pnpm/v6.0-workspace/pnpm-lock.yaml").unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "npm|@floating-ui/core|1.4.1|pkg:npm/%40floating-ui/core@1.4.1|51|transitive",
            "npm|@floating-ui/dom|1.5.1|pkg:npm/%40floating-ui/dom@1.5.1|57|transitive",
            "npm|@floating-ui/react-dom|2.0.2|pkg:npm/%40floating-ui/react-dom@2.0.2|64|direct",
            "npm|@floating-ui/utils|0.1.1|pkg:npm/%40floating-ui/utils@0.1.1|76|transitive",
            "npm|ansi-regex|5.0.1|pkg:npm/ansi-regex@5.0.1|80|transitive",
            "npm|emoji-regex|8.0.0|pkg:npm/emoji-regex@8.0.0|85|transitive",
            "npm|is-fullwidth-code-point|3.0.0|pkg:npm/is-fullwidth-code-point@3.0.0|89|transitive",
            "npm|js-tokens|4.0.0|pkg:npm/js-tokens@4.0.0|94|transitive",
            "npm|loose-envify|1.4.0|pkg:npm/loose-envify@1.4.0|98|transitive",
            "npm|object-assign|4.1.1|pkg:npm/object-assign@4.1.1|105|transitive",
            "npm|prettier|3.0.3|pkg:npm/prettier@3.0.3|110|direct,dev",
            "npm|react-dom|18.2.0|pkg:npm/react-dom@18.2.0|116|direct",
            "npm|react|17.0.2|pkg:npm/react@17.0.2|126|direct",
            "npm|react|18.2.0|pkg:npm/react@18.2.0|134|direct",
            "npm|scheduler|0.23.0|pkg:npm/scheduler@0.23.0|141|transitive",
            "npm|string-width|4.2.3|pkg:npm/string-width@4.2.3|147|direct",
            "npm|strip-ansi|6.0.1|pkg:npm/strip-ansi@6.0.1|156|transitive",
            // Two keys (peers react@17 and react@18), one package, at the first key.
            "npm|use-sync-external-store|1.2.0|pkg:npm/use-sync-external-store@1.2.0|163|direct",
            "npm|sdk|2.1.0|pkg:npm/sdk@2.1.0?vcs_url=git%2Bhttps://gitlab.com/acme/sdk.git%409c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d|185|direct",
        ]
    );
    assert!(out.skipped.is_empty());
    assert_eq!(
        own(&out),
        [
            "workspace-member|packages/app||pkg:npm/packages/app|15",
            "workspace-member|@acme/ui||pkg:npm/%40acme/ui|36",
            "path|local-fixtures|0.0.1|pkg:npm/local-fixtures@0.0.1|179",
        ]
    );
}

#[test]
fn v9_workspace_dev_derived_from_snapshots() {
    let out = extract_fixture(&PnpmLock, "inventory/pnpm/v9.0-workspace/pnpm-lock.yaml").unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "npm|@testing-library/dom|10.1.0|pkg:npm/%40testing-library/dom@10.1.0|61|transitive,dev",
            "npm|@testing-library/react|15.0.7|pkg:npm/%40testing-library/react@15.0.7|65|direct,dev",
            "npm|ansi-regex|5.0.1|pkg:npm/ansi-regex@5.0.1|76|transitive",
            "npm|aria-query|5.3.0|pkg:npm/aria-query@5.3.0|80|transitive,dev",
            // Reached from devDependencies too, but also a prod dependency: not dev.
            "npm|dequal|2.0.3|pkg:npm/dequal@2.0.3|83|direct",
            "npm|fsevents|2.3.3|pkg:npm/fsevents@2.3.3|87|direct,optional",
            "npm|is-number|6.0.0|pkg:npm/is-number@6.0.0|92|transitive",
            "npm|is-odd|3.0.1|pkg:npm/is-odd@3.0.1?vcs_url=git%2Bhttps://github.com/jonschlinkert/is-odd.git%407a1c3f0b2d4e6a8c0e2f4a6b8d0c2e4f6a8b0d2c|96|direct",
            "npm|js-tokens|4.0.0|pkg:npm/js-tokens@4.0.0|101|transitive",
            "npm|loose-envify|1.4.0|pkg:npm/loose-envify@1.4.0|108|transitive",
            "npm|object-assign|4.1.1|pkg:npm/object-assign@4.1.1|112|transitive",
            "npm|react-dom|18.3.1|pkg:npm/react-dom@18.3.1|116|direct",
            "npm|react|17.0.2|pkg:npm/react@17.0.2|121|direct",
            "npm|react|18.3.1|pkg:npm/react@18.3.1|125|direct",
            "npm|scheduler|0.23.2|pkg:npm/scheduler@0.23.2|129|transitive",
            // Direct through the alias `strip-ansi-cjs: strip-ansi@6.0.1`.
            "npm|strip-ansi|6.0.1|pkg:npm/strip-ansi@6.0.1|132|direct",
            "npm|typescript|5.4.5|pkg:npm/typescript@5.4.5|140|direct,dev",
            // One snapshot is dev-only (react@18 peer), the other prod: prod wins.
            "npm|use-sync-external-store|1.2.2|pkg:npm/use-sync-external-store@1.2.2|145|direct",
        ]
    );
    assert_eq!(
        skipped(&out),
        ["tiny-tarball@https://files.example.com/tiny-tarball-1.0.0.tgz|136|tarball from a URL that is not a registry"
            .to_string(),]
    );
    assert_eq!(
        own(&out),
        [
            "workspace-member|apps/web||pkg:npm/apps/web|15",
            "workspace-member|@acme/ui||pkg:npm/%40acme/ui|50",
            "path|legacy-helpers|1.4.0|pkg:npm/legacy-helpers@1.4.0|104",
        ]
    );
}

#[test]
fn v9_reads_the_project_document_after_pnpms_own() {
    let out = extract_fixture(&PnpmLock, "inventory/pnpm/v9.0-env-document/pnpm-lock.yaml").unwrap();
    assert_eq!(summarize(&out.packages), ["npm|ms|2.1.3|pkg:npm/ms@2.1.3|41|direct"]);
    assert!(out.skipped.is_empty());
}

#[test]
fn custom_registry_tarball_gives_repository_url() {
    let lock = "lockfileVersion: '9.0'\n\npackages:\n\n  '@acme/secret@1.2.0':\n    resolution: {integrity: sha512-x, tarball: https://npm.acme.example/@acme/secret/-/secret-1.2.0.tgz}\n\n  left-pad@1.3.0:\n    resolution: {integrity: sha512-y, tarball: https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz}\n";
    let out = extract_str(&PnpmLock, "pnpm-lock.yaml", lock).unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            // No importers at all: the lockfile does not say what is direct.
            "npm|@acme/secret|1.2.0|pkg:npm/%40acme/secret@1.2.0?repository_url=https://npm.acme.example|5|",
            "npm|left-pad|1.3.0|pkg:npm/left-pad@1.3.0|8|",
        ]
    );
}

#[test]
fn git_without_commit_and_nameless_entries_are_skipped() {
    let lock = "lockfileVersion: '6.0'\n\npackages:\n\n  gitlab.com/acme/a/main:\n    resolution: {repo: https://gitlab.com/acme/a.git, type: git}\n    name: a\n    version: 1.0.0\n\n  example.com/b/abc:\n    resolution: {tarball: https://codeload.github.com/acme/b/tar.gz/abc}\n";
    let out = extract_str(&PnpmLock, "pnpm-lock.yaml", lock).unwrap();
    assert!(out.packages.is_empty());
    assert_eq!(
        skipped(&out),
        [
            "gitlab.com/acme/a/main|5|git dependency without a locked commit",
            "example.com/b/abc|10|the entry names no package name and version",
        ]
    );
}

#[test]
fn empty_and_comment_only_files_have_no_packages() {
    assert_eq!(extract_str(&PnpmLock, "pnpm-lock.yaml", "").unwrap(), Extracted::default());
    assert_eq!(extract_str(&PnpmLock, "pnpm-lock.yaml", "# nothing\n\n").unwrap(), Extracted::default());
    let bare = extract_str(&PnpmLock, "pnpm-lock.yaml", "lockfileVersion: '9.0'\n\nimporters:\n\n  .: {}\n").unwrap();
    assert_eq!(bare, Extracted::default());
}

#[test]
fn truncated_file_is_an_error_with_its_line() {
    let lock = "lockfileVersion: '9.0'\n\npackages:\n\n  lodash@4.17.21:\n    resolution: {integrity: sha512-abc\n";
    let err = extract_str(&PnpmLock, "pnpm-lock.yaml", lock).unwrap_err();
    assert_eq!(err.path, "pnpm-lock.yaml");
    assert!(err.message.starts_with("invalid YAML"), "{}", err.message);
    assert!(matches!(err.line, Some(6 | 7)), "{err:?}");
}

#[test]
fn wrong_types_are_errors_with_their_line() {
    let err = extract_str(&PnpmLock, "pnpm-lock.yaml", "lockfileVersion: '9.0'\n\npackages:\n  - a\n").unwrap_err();
    assert_eq!(err.line, Some(4));
    assert!(err.message.contains("expected a mapping"), "{}", err.message);

    let lock = "lockfileVersion: '6.0'\n\ndependencies:\n  a:\n    specifier: ^1\n    version: [1]\n";
    let err = extract_str(&PnpmLock, "pnpm-lock.yaml", lock).unwrap_err();
    assert_eq!(err.line, Some(6));

    let lock = "lockfileVersion: '9.0'\npackages:\n  a@1.0.0:\n    resolution: {integrity: x}\n    optional: maybe\n";
    let err = extract_str(&PnpmLock, "pnpm-lock.yaml", lock).unwrap_err();
    assert_eq!(err.line, Some(5));
}

#[test]
fn errors_in_the_second_document_name_the_file_line() {
    let lock = "---\nlockfileVersion: '9.0'\n---\nlockfileVersion: '9.0'\npackages:\n  - a\n";
    let err = extract_str(&PnpmLock, "pnpm-lock.yaml", lock).unwrap_err();
    assert_eq!(err.line, Some(6));
}

#[test]
fn missing_or_unknown_lockfile_version_is_an_error() {
    let err = extract_str(&PnpmLock, "pnpm-lock.yaml", "packages: {}\n").unwrap_err();
    assert!(err.message.contains("no lockfileVersion"), "{}", err.message);
    let err = extract_str(&PnpmLock, "pnpm-lock.yaml", "lockfileVersion: next\n").unwrap_err();
    assert!(err.message.contains("unsupported lockfileVersion \"next\""), "{}", err.message);
}

#[test]
fn binary_junk_is_an_error_not_a_panic() {
    let err =
        PnpmLock.extract(&Input::new(Path::new("pnpm-lock.yaml"), b"lockfileVersion: 5.4\n\xff\xfe\x00")).unwrap_err();
    assert_eq!(err.line, Some(2));
    assert!(err.message.contains("UTF-8"));
    let junk = "\u{1}\u{2}PK\u{3}\u{4}\u{0}\u{0}: ::\n\t- ]]\n";
    assert!(extract_str(&PnpmLock, "pnpm-lock.yaml", junk).is_err());
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    // libyaml slows down quadratically with flow nesting (80k levels: 14 s), even under a
    // key serde ignores, so deep nesting is refused before parsing, wherever it is.
    let deep = format!("lockfileVersion: '9.0'\nsettings:\n  x: {}{}\n", "[".repeat(500_000), "]".repeat(500_000));
    let err = extract_str(&PnpmLock, "pnpm-lock.yaml", &deep).unwrap_err();
    assert_eq!(err.line, Some(3));
    assert!(err.message.contains("nested more than 64 levels"), "{}", err.message);
}

#[test]
fn wants_only_the_canonical_name() {
    assert!(PnpmLock.wants(Path::new("a/b/pnpm-lock.yaml")));
    assert!(!PnpmLock.wants(Path::new("pnpm-lock.yml")));
    assert!(!PnpmLock.wants(Path::new("pnpm-workspace.yaml")));
}

#[test]
fn package_keys() {
    assert_eq!(split_slash_key("@types/react/18.0.26_x@1"), Some(("@types/react", "18.0.26")));
    assert_eq!(split_slash_key("react-dom/18.2.0_react@18.2.0+b@1.0.0"), Some(("react-dom", "18.2.0")));
    assert_eq!(split_slash_key("github.com/u/r/abc"), None);
    assert_eq!(split_at_key("@a/b@1.0.0(c@2.0.0(d@1.0.0))(e@1.0.0)"), Some(("@a/b", "1.0.0")));
    assert_eq!(split_at_key("a@https://x/a-1.0.0.tgz"), None);
    assert_eq!(split_at_key("registry.example.com/a@1.0.0"), None);
    assert_eq!(package_id("/react-dom@18.2.0(react@18.2.0)", KeySyntax::At), "react-dom@18.2.0");
    assert_eq!(package_id("/react-dom/18.2.0_react@18.2.0", KeySyntax::Slash), "react-dom/18.2.0");
    assert_eq!(alias_target("string-width@4.2.3"), Some("string-width@4.2.3"));
    assert_eq!(alias_target("4.2.3(react@18.0.0)"), None);
    assert_eq!(alias_target("git+ssh://git@github.com/u/r.git#abc"), None);
    assert_eq!(KeySyntax::of("5.4"), Some(KeySyntax::Slash));
    assert_eq!(KeySyntax::of("6.0"), Some(KeySyntax::At));
    assert_eq!(KeySyntax::of("9.0"), Some(KeySyntax::At));
    assert_eq!(KeySyntax::of(""), None);
}
