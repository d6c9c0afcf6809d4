use super::*;
use crate::inventory::testing::{
    extract_every_prefix, extract_fixture, extract_str, fixture_text, own, skipped_line_first, summarize,
};

#[test]
fn single_project_with_aliases_nesting_and_non_registry_entries() {
    let out = extract_fixture(&BunLock, "inventory/bun/basic/bun.lock").unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "npm|@hono/node-server|1.13.7|pkg:npm/%40hono/node-server@1.13.7|26|direct",
            "npm|@types/bun|1.1.14|pkg:npm/%40types/bun@1.1.14|28|direct,dev",
            "npm|@types/node|22.10.2|pkg:npm/%40types/node@22.10.2|30|transitive,dev",
            "npm|@types/ws|8.5.13|pkg:npm/%40types/ws@8.5.13|32|transitive,dev",
            "npm|bufferutil|4.0.8|pkg:npm/bufferutil@4.0.8|34|direct,optional",
            "npm|bun-types|1.1.37|pkg:npm/bun-types@1.1.37|36|transitive,dev",
            "npm|hono|4.6.14|pkg:npm/hono@4.6.14|38|direct",
            "npm|ms|2.1.3|pkg:npm/ms@2.1.3|44|transitive",
            "npm|lodash|4.17.21|pkg:npm/lodash@4.17.21|46|direct",
            "npm|node-gyp-build|4.8.4|pkg:npm/node-gyp-build@4.8.4|48|transitive,optional",
            "npm|typescript|5.7.2|pkg:npm/typescript@5.7.2|54|direct,dev",
            "npm|undici-types|6.20.0|pkg:npm/undici-types@6.20.0|56|transitive,dev",
            "npm|@types/node|20.12.14|pkg:npm/%40types/node@20.12.14|60|transitive,dev",
            "npm|undici-types|5.26.5|pkg:npm/undici-types@5.26.5|62|transitive,dev",
        ]
    );
    assert_eq!(
        skipped_line_first(&out),
        [
            "40|left-pad@https://registry.example.com/left-pad-1.3.0.tgz|tarball URL, not a registry version",
            "52|tiny-invariant@github:alexreardon/tiny-invariant#e4bc5a2|git dependency resolved to \
             alexreardon-tiny-invariant-e4bc5a2: a commit, not a registry version",
            "58|zod@git+https://github.com/acme/zod.git#2f1e9c0|git dependency resolved to \
             2f1e9c0d4b8a7c6e5f4a3b2c1d0e9f8a7b6c5d4e: a commit, not a registry version",
        ]
    );
    assert!(out.skipped.iter().all(|s| s.location.path == "inventory/bun/basic/bun.lock"));
    assert_eq!(
        own(&out),
        [
            // The `workspaces` section's lines are not tracked.
            "root|bun-api||pkg:npm/bun-api|-",
            "path|local-utils||pkg:npm/local-utils|42",
            "link|shared-types||pkg:npm/shared-types|50",
        ]
    );
}

#[test]
fn workspaces_resolve_their_own_copies_first() {
    let out = extract_fixture(&BunLock, "inventory/bun/workspaces/bun.lock").unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "npm|js-tokens|4.0.0|pkg:npm/js-tokens@4.0.0|37|transitive",
            "npm|loose-envify|1.4.0|pkg:npm/loose-envify@1.4.0|39|transitive",
            "npm|prettier|3.4.2|pkg:npm/prettier@3.4.2|41|direct,dev",
            "npm|react|19.0.0|pkg:npm/react@19.0.0|43|direct",
            "npm|react|18.3.1|pkg:npm/react@18.3.1|45|direct",
        ]
    );
    assert!(out.skipped.is_empty());
    assert_eq!(
        own(&out),
        [
            "root|acme-monorepo||pkg:npm/acme-monorepo|-",
            "workspace-member|@acme/ui|0.0.1|pkg:npm/%40acme/ui@0.0.1|33",
            "workspace-member|@acme/web|0.1.0|pkg:npm/%40acme/web@0.1.0|35",
        ]
    );
}

#[test]
fn version_0_with_registry_urls() {
    let out = extract_fixture(&BunLock, "inventory/bun/v0/bun.lock").unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "npm|@acme/private-logger|2.0.1|pkg:npm/%40acme/private-logger@2.0.1|13|direct",
            "npm|chalk|5.3.0|pkg:npm/chalk@5.3.0|15|direct",
        ]
    );
}

#[test]
fn comments_trailing_commas_and_no_workspaces_section() {
    let lock = "{\n  // written by hand\n  \"lockfileVersion\": 1,\n  /* no workspaces */\n  \"packages\": {\n    \
                \"a\": [\"a@1.0.0\", \"\", { \"dependencies\": { \"b\": \"^2\" } }, \"sha512-x\"],\n\n    \
                \"b\": [\"b@2.0.0\", \"\", {}, \"sha512-y\"],\n  },\n}\n";
    let out = extract_str(&BunLock, "bun.lock", lock).unwrap();
    assert_eq!(summarize(&out.packages), ["npm|a|1.0.0|pkg:npm/a@1.0.0|6|", "npm|b|2.0.0|pkg:npm/b@2.0.0|8|"]);
}

#[test]
fn optional_peers_and_unresolvable_dependencies_are_tolerated() {
    let lock = r#"{
  "lockfileVersion": 1,
  "workspaces": {
    "": {
      "name": "app",
      "dependencies": {
        "ui-kit": "^1.0.0",
        "missing": "^1.0.0",
      },
    },
  },
  "packages": {
    "@emotion/react": ["@emotion/react@11.14.0", "", {}, "sha512-a"],

    "ui-kit": ["ui-kit@1.0.0", "", { "peerDependencies": { "@emotion/react": "^11", "react": "*" }, "optionalPeers": ["@emotion/react"] }, "sha512-b"],
  }
}
"#;
    let out = extract_str(&BunLock, "bun.lock", lock).unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "npm|@emotion/react|11.14.0|pkg:npm/%40emotion/react@11.14.0|13|transitive,optional",
            "npm|ui-kit|1.0.0|pkg:npm/ui-kit@1.0.0|15|direct",
        ]
    );
}

#[test]
fn unreached_entries_get_no_flags() {
    let lock = r#"{
  "workspaces": { "": { "dependencies": { "a": "1" } } },
  "packages": {
    "a": ["a@1.0.0", "", {}, "sha512-a"],
    "orphan": ["orphan@3.0.0", "", {}, "sha512-o"],
    "root-self": ["app@root:", {}],
  }
}"#;
    let out = extract_str(&BunLock, "bun.lock", lock).unwrap();
    assert_eq!(
        summarize(&out.packages),
        ["npm|a|1.0.0|pkg:npm/a@1.0.0|4|direct", "npm|orphan|3.0.0|pkg:npm/orphan@3.0.0|5|transitive"]
    );
    assert!(out.skipped.is_empty());
    assert_eq!(own(&out), ["root|app||pkg:npm/app|6"]);
}

#[test]
fn empty_or_comment_only_file_has_no_packages() {
    assert_eq!(extract_str(&BunLock, "bun.lock", "").unwrap(), Extracted::default());
    assert_eq!(extract_str(&BunLock, "bun.lock", "\n// nothing yet\n").unwrap(), Extracted::default());
}

#[test]
fn malformed_entries_are_errors_at_their_key() {
    let cases = [
        ("{\n  \"packages\": {\n    \"a\": [],\n  }\n}", Some(3), "expected [\"name@version\", …]"),
        ("{\n  \"packages\": {\n    \"a\": [1, \"\", {}],\n  }\n}", Some(3), "expected [\"name@version\", …]"),
        ("{\n  \"packages\": {\n    \"a\": [\"a\"],\n  }\n}", Some(3), "\"a\" is not name@version"),
        (
            "{\n  \"packages\": {\n\n    \"a\": [\"a@1.0.0\", \"\", { \"dependencies\": [] }],\n  }\n}",
            Some(4),
            "invalid type: sequence, expected a map",
        ),
        ("{\n  \"packages\": {\n    \"a\": \"a@1.0.0\",\n  }\n}", Some(3), "expected a sequence"),
        ("{\n  \"packages\": [],\n}", Some(2), "expected an object"),
        ("[\"bun\"]", Some(1), "invalid type: string \"bun\""),
    ];
    for (lock, line, message) in cases {
        let err = extract_str(&BunLock, "bun.lock", lock).unwrap_err();
        assert_eq!(err.path, "bun.lock");
        assert_eq!(err.line, line, "{lock}");
        assert!(err.message.contains(message), "{lock}: {}", err.message);
    }
}

#[test]
fn truncated_file_is_an_error_at_its_end() {
    let content = fixture_text("inventory/bun/basic/bun.lock");
    let truncated = &content[..content.len() / 2];
    let err = extract_str(&BunLock, "bun.lock", truncated).unwrap_err();
    assert_eq!(err.line, Some(truncated.matches('\n').count() as u32 + 1));
    assert!(err.message.starts_with("invalid JSON: EOF"), "{}", err.message);
}

#[test]
fn binary_junk_is_an_error() {
    let input = Input::new(Path::new("bun.lock"), b"{\n\"lockfileVersion\": 1,\n\x00\xc3\x28");
    let err = BunLock.extract(&input).unwrap_err();
    assert_eq!(err.line, Some(3));
    assert!(err.message.contains("UTF-8"), "{}", err.message);

    let err = extract_str(&BunLock, "bun.lock", "\u{0}\u{1}bun\u{7f}").unwrap_err();
    assert_eq!(err.line, Some(1));
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let lock = "{\"packages\": {\"a\": [\"a@1.0.0\", \"\", ".to_string() + &"[".repeat(50_000);
    let err = extract_str(&BunLock, "bun.lock", &lock).unwrap_err();
    assert!(err.message.contains("recursion limit"), "{}", err.message);
}

#[test]
fn parent_paths_treat_scoped_names_as_one_step() {
    assert_eq!(parent_path("a/b"), "a");
    assert_eq!(parent_path("a"), "");
    assert_eq!(parent_path("@s/a"), "");
    assert_eq!(parent_path("@s/a/@t/b"), "@s/a");
    assert_eq!(parent_path("a/@t/b/c"), "a/@t/b");
    assert_eq!(parent_path(""), "");
}

#[test]
fn wants_the_text_lockfile_only() {
    assert!(BunLock.wants(Path::new("bun.lock")));
    assert!(BunLock.wants(Path::new("apps/site/bun.lock")));
    assert!(!BunLock.wants(Path::new("bun.lockb")));
    assert!(!BunLock.wants(Path::new("bun.lock.json")));
    assert_eq!(BunLock.id(), "javascript/bun-lock");
}

#[test]
fn no_prefix_of_a_real_lockfile_panics() {
    extract_every_prefix(&BunLock, "bun.lock", &fixture_text("inventory/bun/basic/bun.lock"));
}
