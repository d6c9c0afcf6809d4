use super::*;
use crate::inventory::testing::{
    extract_every_prefix, extract_fixture, extract_str, fixture_text, own, skipped_line_first, summarize,
};

#[test]
fn v1_tree_with_aliases_git_and_local_entries() {
    let out = extract_fixture(&PackageLock, "inventory/npm/v1/package-lock.json").unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "npm|@ungap/promise-all-settled|1.1.2|pkg:npm/%40ungap/promise-all-settled@1.1.2|7|transitive,dev",
            "npm|debug|2.6.9|pkg:npm/debug@2.6.9|13|transitive",
            "npm|express|4.17.1|pkg:npm/express@4.17.1|21|direct",
            "npm|fsevents|2.3.2|pkg:npm/fsevents@2.3.2|34|direct,optional",
            "npm|pad-left|2.1.0|pkg:npm/pad-left@2.1.0|43|direct",
            "npm|mocha|8.3.2|pkg:npm/mocha@8.3.2|48|direct,dev",
            "npm|debug|4.3.1|pkg:npm/debug@4.3.1|59|transitive,dev",
            "npm|ms|2.1.2|pkg:npm/ms@2.1.2|68|transitive,dev",
            "npm|ms|2.1.3|pkg:npm/ms@2.1.3|76|transitive,dev",
            "npm|ms|2.0.0|pkg:npm/ms@2.0.0|84|transitive",
            "npm|send|0.17.1|pkg:npm/send@0.17.1|89|transitive",
            "npm|ms|2.1.1|pkg:npm/ms@2.1.1|98|transitive",
        ]
    );
    assert_eq!(
        skipped_line_first(&out),
        ["30|forked-lib@github:acme/forked-lib#5f1c2e3b9a7d4c60e8f1a2b3c4d5e6f708192a3b|git dependency at \
             5f1c2e3b9a7d4c60e8f1a2b3c4d5e6f708192a3b: a commit, not a registry version",]
    );
    assert_eq!(own(&out), ["path|internal-utils||pkg:npm/internal-utils|40"]);
    let pad_left = out.packages.iter().find(|p| p.name == "pad-left").unwrap();
    assert_eq!(pad_left.alias.as_deref(), Some("left-pad"), "npm:pad-left@2.1.0 installed as left-pad");
    assert!(out.skipped.iter().all(|s| s.location.path == "inventory/npm/v1/package-lock.json"));
}

#[test]
fn v1_without_package_json_leaves_top_level_relationship_unknown() {
    let lock = r#"{
  "name": "x",
  "lockfileVersion": 1,
  "requires": true,
  "dependencies": {
    "a": {
      "version": "1.0.0",
      "dependencies": {
        "b": {
          "version": "2.0.0"
        }
      }
    }
  }
}
"#;
    let out = extract_str(&PackageLock, "package-lock.json", lock).unwrap();
    assert_eq!(
        summarize(&out.packages),
        ["npm|a|1.0.0|pkg:npm/a@1.0.0|6|", "npm|b|2.0.0|pkg:npm/b@2.0.0|9|transitive"]
    );
}

#[test]
fn v2_prefers_packages_over_the_legacy_section() {
    let out = extract_fixture(&PackageLock, "inventory/npm/v2/package-lock.json").unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "npm|@types/prop-types|15.7.4|pkg:npm/%40types/prop-types@15.7.4|19|transitive,dev",
            "npm|@types/react|17.0.39|pkg:npm/%40types/react@17.0.39|25|direct,dev",
            "npm|ansi-styles|3.2.1|pkg:npm/ansi-styles@3.2.1|35|transitive,dev",
            "npm|chalk|2.4.2|pkg:npm/chalk@2.4.2|47|direct,dev",
            "npm|color-convert|1.9.3|pkg:npm/color-convert@1.9.3|60|transitive,dev",
            "npm|color-name|1.1.3|pkg:npm/color-name@1.1.3|69|transitive,dev",
            "npm|csstype|3.0.10|pkg:npm/csstype@3.0.10|75|transitive,dev",
            "npm|has-flag|3.0.0|pkg:npm/has-flag@3.0.0|81|transitive,dev",
            "npm|js-tokens|4.0.0|pkg:npm/js-tokens@4.0.0|90|transitive",
            "npm|loose-envify|1.4.0|pkg:npm/loose-envify@1.4.0|95|transitive",
            "npm|object-assign|4.1.1|pkg:npm/object-assign@4.1.1|106|transitive",
            "npm|react|17.0.2|pkg:npm/react@17.0.2|114|direct",
            "npm|supports-color|5.5.0|pkg:npm/supports-color@5.5.0|126|transitive,dev",
        ]
    );
    assert!(out.skipped.is_empty());
}

#[test]
fn v3_aliases_nesting_flags_git_and_local_tarball() {
    let out = extract_fixture(&PackageLock, "inventory/npm/v3/package-lock.json").unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "npm|@babel/runtime|7.23.2|pkg:npm/%40babel/runtime@7.23.2|28|direct",
            "npm|chokidar|3.5.3|pkg:npm/chokidar@3.5.3|39|direct,dev,optional",
            "npm|debug|4.3.4|pkg:npm/debug@4.3.4|48|direct",
            "npm|fsevents|2.3.3|pkg:npm/fsevents@2.3.3|64|transitive,optional",
            "npm|jest-environment-node|29.7.0|pkg:npm/jest-environment-node@29.7.0|77|direct,dev",
            "npm|debug|2.6.9|pkg:npm/debug@2.6.9|86|direct",
            "npm|ms|2.0.0|pkg:npm/ms@2.0.0|95|transitive",
            "npm|ms|2.1.2|pkg:npm/ms@2.1.2|100|transitive",
            "npm|regenerator-runtime|0.14.0|pkg:npm/regenerator-runtime@0.14.0|105|transitive",
            "npm|typescript|5.2.2|pkg:npm/typescript@5.2.2|110|direct",
            "npm|winston-transport|4.5.0|pkg:npm/winston-transport@4.5.0?vcs_url=git%2Bssh://git%40github.com/acme/\
             winston-transport.git%238d3f1a2c4b5e6f708192a3b4c5d6e7f8091a2b3c|129|direct",
        ]
    );
    assert!(out.skipped.is_empty());
    assert_eq!(
        own(&out),
        ["root|api-server|3.1.0|pkg:npm/api-server@3.1.0|7", "path|vendored|1.0.0|pkg:npm/vendored@1.0.0|123"]
    );
    // `node_modules/legacy-debug` is the package `debug`, installed under an alias.
    let aliased: Vec<_> = out.packages.iter().filter_map(|p| Some((p.name.as_str(), p.alias.as_deref()?))).collect();
    assert_eq!(aliased, [("debug", "legacy-debug")]);
}

#[test]
fn shrinkwrap_reads_like_a_lockfile() {
    let out = extract_fixture(&PackageLock, "inventory/npm/shrinkwrap/npm-shrinkwrap.json").unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "npm|commander|11.1.0|pkg:npm/commander@11.1.0|22|direct",
            "npm|lru-cache|6.0.0|pkg:npm/lru-cache@6.0.0|30|transitive",
            "npm|semver|7.5.4|pkg:npm/semver@7.5.4|41|direct",
            "npm|yallist|4.0.0|pkg:npm/yallist@4.0.0|55|transitive",
        ]
    );
}

#[test]
fn hidden_lockfile_takes_direct_dependencies_from_package_json() {
    let out = extract_fixture(&PackageLock, "inventory/npm/hidden/node_modules/.package-lock.json").unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "npm|@types/marked|6.0.0|pkg:npm/%40types/marked@6.0.0|7|direct,dev",
            "npm|marked|9.1.2|pkg:npm/marked@9.1.2|17|direct",
        ]
    );
}

#[test]
fn hidden_lockfile_without_package_json_has_unknown_top_level_relationships() {
    let lock = r#"{
  "name": "x",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "node_modules/a": {
      "version": "1.0.0"
    },
    "node_modules/a/node_modules/b": {
      "version": "2.0.0",
      "dev": true
    }
  }
}
"#;
    let out = extract_str(&PackageLock, "node_modules/.package-lock.json", lock).unwrap();
    assert_eq!(
        summarize(&out.packages),
        ["npm|a|1.0.0|pkg:npm/a@1.0.0|6|", "npm|b|2.0.0|pkg:npm/b@2.0.0|9|transitive,dev"]
    );
}

#[test]
fn workspaces_list_project_folders_as_own_and_resolve_direct_per_workspace() {
    let out = extract_fixture(&PackageLock, "inventory/npm/workspaces/package-lock.json").unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "npm|js-tokens|4.0.0|pkg:npm/js-tokens@4.0.0|33|transitive",
            "npm|loose-envify|1.4.0|pkg:npm/loose-envify@1.4.0|38|transitive",
            "npm|ms|2.1.3|pkg:npm/ms@2.1.3|49|direct",
            "npm|react|18.2.0|pkg:npm/react@18.2.0|54|direct",
            "npm|typescript|5.2.2|pkg:npm/typescript@5.2.2|69|direct,dev",
            "npm|object-assign|4.1.1|pkg:npm/object-assign@4.1.1|91|transitive",
            "npm|react|17.0.2|pkg:npm/react@17.0.2|99|direct",
        ]
    );
    assert!(out.skipped.is_empty());
    assert_eq!(
        own(&out),
        [
            "root|acme-monorepo|1.0.0|pkg:npm/acme-monorepo@1.0.0|7",
            "path|shared-config|2.0.0|pkg:npm/shared-config@2.0.0|20",
            "workspace-member|@acme/api|1.0.0|pkg:npm/%40acme/api@1.0.0|82",
            "workspace-member|@acme/ui|0.4.0|pkg:npm/%40acme/ui@0.4.0|111",
        ]
    );
}

#[test]
fn dangling_link_is_own_and_entries_without_exact_versions_are_skipped() {
    let lock = r#"{
  "lockfileVersion": 3,
  "packages": {
    "": {
      "dependencies": {
        "gone": "file:../gone",
        "nover": "*",
        "remote": "https://example.com/remote.tgz"
      }
    },
    "node_modules/gone": {
      "resolved": "../gone",
      "link": true
    },
    "node_modules/nover": {
      "resolved": "https://registry.npmjs.org/nover/-/nover-1.0.0.tgz"
    },
    "node_modules/remote": {
      "version": "https://example.com/remote.tgz"
    }
  }
}"#;
    let out = extract_str(&PackageLock, "package-lock.json", lock).unwrap();
    assert!(out.packages.is_empty());
    // The link's target is missing: the link itself stays listed, by its installed name.
    assert_eq!(own(&out), ["link|gone||pkg:npm/gone|11"]);
    assert_eq!(
        skipped_line_first(&out),
        [
            "15|nover|no version recorded",
            "18|remote@https://example.com/remote.tgz|tarball URL, not a registry version",
        ]
    );
}

#[test]
fn escaped_keys_keep_their_lines() {
    let lock = "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"\": {\"dependencies\": {\"a\": \"1\"}},\n    \
                \"node_modules/\\u0061\": {\"version\": \"1.0.0\", \"description\": \"{\\\"x\\\": [\"},\n    \
                \"node_modules/b\": {\"version\": \"2.0.0\"}\n  }\n}\n";
    let out = extract_str(&PackageLock, "package-lock.json", lock).unwrap();
    assert_eq!(
        summarize(&out.packages),
        ["npm|a|1.0.0|pkg:npm/a@1.0.0|5|direct", "npm|b|2.0.0|pkg:npm/b@2.0.0|6|transitive"]
    );
}

#[test]
fn empty_file_has_no_packages() {
    assert_eq!(extract_str(&PackageLock, "package-lock.json", "").unwrap(), Extracted::default());
    assert_eq!(extract_str(&PackageLock, "package-lock.json", " \n\t\n").unwrap(), Extracted::default());
}

#[test]
fn truncated_file_is_an_error_at_its_end() {
    let content = fixture_text("inventory/npm/v3/package-lock.json");
    let truncated = &content[..content.len() / 2];
    let err = extract_str(&PackageLock, "package-lock.json", truncated).unwrap_err();
    assert_eq!(err.path, "package-lock.json");
    assert_eq!(err.line, Some(truncated.matches('\n').count() as u32 + 1));
    assert!(err.message.starts_with("invalid JSON: EOF"), "{}", err.message);
}

#[test]
fn wrong_types_are_errors_with_lines() {
    let err = extract_str(
        &PackageLock,
        "package-lock.json",
        "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"node_modules/a\": {\n      \"version\": 1\n    }\n  }\n}",
    )
    .unwrap_err();
    assert_eq!(err.line, Some(5));
    assert!(err.message.contains("expected a string"), "{}", err.message);

    let err = extract_str(&PackageLock, "package-lock.json", "{\n  \"packages\": []\n}").unwrap_err();
    assert_eq!(err.line, Some(2));
    assert!(err.message.contains("expected an object"), "{}", err.message);

    let err = extract_str(&PackageLock, "package-lock.json", "[1, 2]").unwrap_err();
    assert_eq!(err.line, Some(1));

    let err =
        extract_str(&PackageLock, "package-lock.json", "{\"dependencies\": {\"a\": {\"dev\": \"yes\"}}}").unwrap_err();
    assert!(err.message.contains("expected a boolean"), "{}", err.message);
}

#[test]
fn binary_junk_is_an_error() {
    let input = Input::new(Path::new("package-lock.json"), b"{\n  \"lockfileVersion\": 3,\n\xff\xfe\x00\x01");
    let err = PackageLock.extract(&input).unwrap_err();
    assert_eq!(err.line, Some(3));
    assert!(err.message.contains("UTF-8"), "{}", err.message);

    let err = extract_str(&PackageLock, "package-lock.json", "\u{1}\u{2}PK\u{3}\u{4}").unwrap_err();
    assert_eq!(err.line, Some(1));
}

#[test]
fn deeply_nested_v1_tree_is_an_error_not_a_crash() {
    let depth = 10_000;
    let lock = "{\"dependencies\": {\"a\": ".repeat(depth) + "{}" + &"}}".repeat(depth);
    let err = extract_str(&PackageLock, "package-lock.json", &lock).unwrap_err();
    assert!(err.message.contains("recursion limit"), "{}", err.message);
}

#[test]
fn moderately_nested_v1_tree_is_read_in_document_order() {
    let depth = 40;
    let mut lock = String::from("{\"lockfileVersion\": 1, \"dependencies\": ");
    for level in 0..depth {
        lock.push_str(&format!("{{\n\"p{level}\": {{\"version\": \"1.0.{level}\", \"dependencies\": "));
    }
    lock.push_str("{}");
    lock.push_str(&"}}".repeat(depth));
    lock.push('}');
    let out = extract_str(&PackageLock, "package-lock.json", &lock).unwrap();
    assert_eq!(out.packages.len(), depth);
    assert_eq!(out.packages[39].name, "p39");
    assert_eq!(out.packages[39].version, "1.0.39");
    assert_eq!(out.packages[39].location.line, Some(41));
    assert_eq!(out.packages[39].relationship, Relationship::Transitive);
}

#[test]
fn wants_lockfiles_and_the_hidden_lockfile_only() {
    for yes in [
        "package-lock.json",
        "app/npm-shrinkwrap.json",
        "node_modules/.package-lock.json",
        "a/node_modules/.package-lock.json",
    ] {
        assert!(PackageLock.wants(Path::new(yes)), "{yes}");
    }
    for no in [".package-lock.json", "lib/.package-lock.json", "package.json", "package-lock.json.bak", "yarn.lock"] {
        assert!(!PackageLock.wants(Path::new(no)), "{no}");
    }
    assert_eq!(PackageLock.id(), "javascript/package-lock");
}

#[test]
fn no_prefix_of_a_real_lockfile_panics() {
    for fixture in ["inventory/npm/v1/package-lock.json", "inventory/npm/workspaces/package-lock.json"] {
        extract_every_prefix(&PackageLock, "package-lock.json", &fixture_text(fixture));
    }
}

#[test]
fn workspace_patterns_match_folders_as_npm_globs_them() {
    assert!(matches_workspace("packages/*", "packages/api"));
    assert!(matches_workspace("./packages/*/", "packages/api"));
    assert!(!matches_workspace("packages/*", "packages/api/nested"));
    assert!(matches_workspace("apps/**", "apps/web/admin"));
    assert!(matches_workspace("tools/cli-*", "tools/cli-x"));
    assert!(!matches_workspace("tools/cli-*", "tools/web"));
    assert!(!matches_workspace("packages/*", "../shared-config"));
    // Hostile patterns stay cheap: each step drops a segment.
    assert!(matches_workspace("**/a/**", "a"));
    assert!(matches_workspace("**", "x/y"));
    let deep = "**/a/".repeat(500) + "x";
    assert!(!matches_workspace(&deep, &"a/".repeat(600)));
}
