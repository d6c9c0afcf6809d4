use super::*;
use crate::inventory::testing::{extract_fixture, extract_str, skipped_line_first, summarize};

fn error_of(content: &str) -> ExtractError {
    extract_str(&GoMod, "go.mod", content).unwrap_err()
}

#[test]
fn wants_only_go_mod() {
    assert!(GoMod.wants(Path::new("svc/go.mod")));
    assert!(!GoMod.wants(Path::new("svc/go.sum")));
    assert!(!GoMod.wants(Path::new("svc/go.mod.bak")));
    assert!(!GoMod.wants(Path::new("go.work")));
}

#[test]
fn app_with_direct_and_indirect_blocks_and_toolchain() {
    let out = extract_fixture(&GoMod, "inventory/gomod/app/go.mod").unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "Go|stdlib|1.21.6|pkg:golang/stdlib@v1.21.6|5|direct",
            "Go|github.com/gin-gonic/gin|1.9.1|pkg:golang/github.com/gin-gonic/gin@v1.9.1|8|direct",
            "Go|github.com/google/uuid|1.5.0|pkg:golang/github.com/google/uuid@v1.5.0|9|direct",
            "Go|github.com/jackc/pgx/v5|5.5.1|pkg:golang/github.com/jackc/pgx/v5@v5.5.1|10|direct",
            "Go|golang.org/x/crypto|0.17.0|pkg:golang/golang.org/x/crypto@v0.17.0|11|direct",
            "Go|gopkg.in/yaml.v3|3.0.1|pkg:golang/gopkg.in/yaml.v3@v3.0.1|12|direct",
            "Go|github.com/bytedance/sonic|1.10.2|pkg:golang/github.com/bytedance/sonic@v1.10.2|16|transitive",
            "Go|github.com/chenzhuoyu/base64x|0.0.0-20230717121745-296ad89f973d|pkg:golang/github.com/chenzhuoyu/base64x@v0.0.0-20230717121745-296ad89f973d|17|transitive",
            "Go|github.com/docker/docker|24.0.7+incompatible|pkg:golang/github.com/docker/docker@v24.0.7%2Bincompatible|18|transitive",
            "Go|github.com/gabriel-vasile/mimetype|1.4.3|pkg:golang/github.com/gabriel-vasile/mimetype@v1.4.3|19|transitive",
            "Go|github.com/jackc/pgpassfile|1.0.0|pkg:golang/github.com/jackc/pgpassfile@v1.0.0|20|transitive",
            "Go|golang.org/x/net|0.19.0|pkg:golang/golang.org/x/net@v0.19.0|21|transitive",
            "Go|golang.org/x/sys|0.15.0|pkg:golang/golang.org/x/sys@v0.15.0|22|transitive",
        ]
    );
    assert_eq!(skipped_line_first(&out), ["1|module github.com/acme/widgets|the module itself, not a dependency"]);
    assert_eq!(out.packages[0].location.path, "inventory/gomod/app/go.mod");
}

#[test]
fn replace_exclude_quoted_paths_and_comments() {
    let out = extract_fixture(&GoMod, "inventory/gomod/replace/go.mod").unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "Go|stdlib|1.22.1|pkg:golang/stdlib@v1.22.1|4|direct",
            "Go|github.com/spf13/cobra|1.8.0|pkg:golang/github.com/spf13/cobra@v1.8.0|12|direct",
            "Go|github.com/pkg/errors|0.9.1|pkg:golang/github.com/pkg/errors@v0.9.1|14|transitive",
            "Go|golang.org/x/text|0.14.1-0.20231206192017-f3f8817fc935|pkg:golang/golang.org/x/text@v0.14.1-0.20231206192017-f3f8817fc935|19|transitive",
            "Go|github.com/stretchr/testify|1.8.4|pkg:golang/github.com/stretchr/testify@v1.8.4|24|direct",
            // Versioned replace: the fork at its pseudo-version, at the replace line.
            "Go|github.com/acme-forks/logrus|1.9.4-0.20240102150405-0123456789ab|pkg:golang/github.com/acme-forks/logrus@v1.9.4-0.20240102150405-0123456789ab|32|direct",
            // Unversioned replace: every version of the module, indirect stays indirect.
            "Go|github.com/golang/protobuf|1.5.4|pkg:golang/github.com/golang/protobuf@v1.5.4|36|transitive",
        ]
    );
    assert_eq!(
        skipped_line_first(&out),
        [
            "2|module example.com/tools/cli|the module itself, not a dependency",
            "20|github.com/old/unmaintained v1.0.0|this version is excluded (line 28), so the go command ignores it",
            "21|github.com/mitchellh/mapstructure master|not a module version (a query the go command resolves when it next updates go.mod)",
            "35|example.com/internal/auth v0.3.0 => ../auth|replaced by a local directory",
            "37|github.com/gorilla/mux v1.8.0 => github.com/gorilla/mux v1.8.1|replaces a module this go.mod does not require; it applies only if the module is elsewhere in the build graph",
        ]
    );
}

#[test]
fn legacy_go_line_with_crlf_line_endings() {
    let out = extract_fixture(&GoMod, "inventory/gomod/legacy-crlf/go.mod").unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "Go|stdlib|1.16.0|pkg:golang/stdlib@v1.16.0|3|direct",
            "Go|github.com/BurntSushi/toml|0.3.1|pkg:golang/github.com/burntsushi/toml@v0.3.1|6|direct",
            "Go|github.com/coreos/etcd|3.3.27+incompatible|pkg:golang/github.com/coreos/etcd@v3.3.27%2Bincompatible|7|transitive",
            "Go|github.com/gogo/protobuf|1.3.2|pkg:golang/github.com/gogo/protobuf@v1.3.2|8|transitive",
            "Go|google.golang.org/grpc|1.26.0|pkg:golang/google.golang.org/grpc@v1.26.0|12|direct",
        ]
    );
}

#[test]
fn stdlib_version_from_go_line_when_toolchain_is_default_or_custom() {
    let stdlib = |content: &str| summarize(&extract_str(&GoMod, "go.mod", content).unwrap().packages);
    assert_eq!(
        stdlib("module m\ngo 1.22\ntoolchain default\n"),
        ["Go|stdlib|1.22.0|pkg:golang/stdlib@v1.22.0|2|direct"]
    );
    assert_eq!(
        stdlib("module m\ngo 1.22.0\ntoolchain go1.22.3-bigcorp\n"),
        ["Go|stdlib|1.22.3|pkg:golang/stdlib@v1.22.3|3|direct"]
    );
    assert_eq!(stdlib("go 1.21rc2\n"), ["Go|stdlib|1.21.0-rc.2|pkg:golang/stdlib@v1.21.0-rc.2|1|direct"]);
    assert_eq!(stdlib("toolchain go1.23.1\n"), ["Go|stdlib|1.23.1|pkg:golang/stdlib@v1.23.1|1|direct"]);
    assert!(stdlib("module m\n").is_empty());
}

#[test]
fn versioned_replace_wins_over_unversioned_whatever_the_order() {
    let out = extract_str(
        &GoMod,
        "go.mod",
        "module m\n\
         require (\n\
         \ta.example/x v1.0.0\n\
         \ta.example/y v2.0.0\n\
         )\n\
         replace a.example/x v1.0.0 => b.example/x v1.0.1\n\
         replace a.example/x => c.example/x v9.9.9\n\
         replace a.example/y v1.0.0 => b.example/y v1.0.1\n",
    )
    .unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "Go|a.example/y|2.0.0|pkg:golang/a.example/y@v2.0.0|4|direct",
            "Go|b.example/x|1.0.1|pkg:golang/b.example/x@v1.0.1|6|direct",
        ]
    );
    // Besides the module line: the unversioned x replace and the y replace (another
    // version) matched nothing.
    let lines: Vec<_> = out.skipped.iter().map(|s| s.location.line).collect();
    assert_eq!(lines, [Some(1), Some(7), Some(8)]);
}

#[test]
fn exclude_of_another_version_keeps_the_require() {
    let out = extract_str(&GoMod, "go.mod", "require a.example/x v1.2.0\nexclude a.example/x v1.1.0\n").unwrap();
    assert_eq!(summarize(&out.packages), ["Go|a.example/x|1.2.0|pkg:golang/a.example/x@v1.2.0|1|direct"]);
    assert!(out.skipped.is_empty());
}

#[test]
fn comments_quotes_and_empty_blocks() {
    let out = extract_str(
        &GoMod,
        "go.mod",
        "// header\nmodule `example.com/raw`\nrequire ()\nrequire (\n\t// nothing yet\n\n)\n\
         require \"example.com/\\x61b\" v1.0.0//indirect\nrequire example.com/c//comment\n\
         require example.com/d v1.0.0 // not indirect: indirectly used\n",
    );
    let err = out.unwrap_err();
    // `example.com/c//comment` is a path followed by a comment: the version is missing.
    assert_eq!((err.line, err.message.as_str()), (Some(9), "usage: require module/path v1.2.3"));

    let out = extract_str(
        &GoMod,
        "go.mod",
        "// header\nmodule `example.com/raw`\nrequire ()\nrequire (\n\t// nothing yet\n\n)\n\
         require \"example.com/\\x61b\" v1.0.0//indirect\n\
         require example.com/d v1.0.0 // not indirect: indirectly used\n",
    )
    .unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "Go|example.com/ab|1.0.0|pkg:golang/example.com/ab@v1.0.0|8|transitive",
            "Go|example.com/d|1.0.0|pkg:golang/example.com/d@v1.0.0|9|direct",
        ]
    );
    assert_eq!(out.skipped[0].declaration, "module example.com/raw");
}

#[test]
fn unknown_and_ignored_directives_do_not_fail() {
    let out = extract_str(
        &GoMod,
        "go.mod",
        "module m\ngo 1.24\ntool golang.org/x/tools/cmd/stringer\nignore ./node_modules\n\
         frobnicate (\n\twhatever [1, 2]\n)\nretract (\n\tv1.0.0 // oops\n\t[v1.1.0, v1.1.9]\n)\n\
         godebug asynctimerchan=1\n",
    )
    .unwrap();
    assert_eq!(summarize(&out.packages), ["Go|stdlib|1.24.0|pkg:golang/stdlib@v1.24.0|2|direct"]);
}

#[test]
fn non_canonical_versions_are_canonicalised_or_skipped() {
    let out = extract_str(
        &GoMod,
        "go.mod",
        "require (\n\ta.example/x v1.2\n\ta.example/y v1.2.3+meta\n\ta.example/z latest\n\ta.example/w 1.2.3\n)\n",
    )
    .unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "Go|a.example/x|1.2.0|pkg:golang/a.example/x@v1.2.0|2|direct",
            "Go|a.example/y|1.2.3|pkg:golang/a.example/y@v1.2.3|3|direct",
        ]
    );
    let declarations: Vec<_> = out.skipped.iter().map(|s| s.declaration.as_str()).collect();
    assert_eq!(declarations, ["a.example/z latest", "a.example/w 1.2.3"]);
}

#[test]
fn module_versions() {
    let canonical = |v| canonical_module_version(v);
    assert_eq!(canonical("v1.2.3").as_deref(), Some("1.2.3"));
    assert_eq!(canonical("v1").as_deref(), Some("1.0.0"));
    assert_eq!(canonical("v2.0.0-rc.1+incompatible").as_deref(), Some("2.0.0-rc.1+incompatible"));
    assert_eq!(canonical("v0.0.0-20210101000000-abcdef123456").as_deref(), Some("0.0.0-20210101000000-abcdef123456"));
    for bad in ["1.2.3", "v1.2-pre", "v01.2.3", "v1.2.3.4", "v1.2.3-", "v1.2.3-01", "v1..3", "v", "v1.2.3+", "vx"] {
        assert_eq!(canonical(bad), None, "{bad}");
    }
}

#[test]
fn go_release_versions() {
    assert_eq!(go_release_version("1.21").as_deref(), Some("1.21.0"));
    assert_eq!(go_release_version("1.21.13").as_deref(), Some("1.21.13"));
    assert_eq!(go_release_version("1.22beta1").as_deref(), Some("1.22.0-beta.1"));
    for bad in ["1", "0.1", "01.2", "1.21.x", "1.2.3.4", "1.21rc", "1.21RC1", "1.21-rc1", "", "go1.21"] {
        assert_eq!(go_release_version(bad), None, "{bad}");
    }
}

#[test]
fn unquoting() {
    assert_eq!(unquote(r#"a\tb\\c\x41\101\u00e9\U0001F600\""#).as_deref(), Some("a\tb\\cAAé😀\""));
    assert_eq!(unquote(r"\q"), None);
    assert_eq!(unquote(r"\x4"), None);
    assert_eq!(unquote(r"\xff"), None, "not UTF-8");
    assert_eq!(unquote(r"\ud800"), None, "surrogate");
    assert_eq!(unquote("trailing\\"), None);
}

#[test]
fn unterminated_block_names_its_first_line() {
    let err = error_of("module m\n\nrequire (\n\tgithub.com/a/b v1.0.0\n");
    assert_eq!(err.line, Some(3));
    assert!(err.message.contains("unterminated require block"), "{}", err.message);
}

#[test]
fn truncated_file_is_an_error() {
    let err = error_of("module m\ngo 1.21\nrequire (\n\tgithub.com/a/b v1.");
    assert_eq!(err.line, Some(3));
    let err = error_of("module m\nrequire \"github.com/a/b");
    assert_eq!((err.line, err.message.as_str()), (Some(2), "unterminated quoted string"));
}

#[test]
fn syntax_errors_name_their_line() {
    let cases: &[(&str, u32, &str)] = &[
        ("module m\nrequire \"github.com/a\\qb\" v1.0.0\n", 2, "invalid quoted string"),
        ("require (\n\ta.example/x v1.0.0\n) x\n", 3, "expected newline after closing paren"),
        ("module m\n/* block */\n", 2, "// comments"),
        ("require a.example/x v1.0.0 /* c */\n", 1, "// comments"),
        ("module m\n)\n", 2, "unexpected )"),
        ("require a.example/x (\n)\n", 1, "unknown block type: require a.example/x ("),
        ("module m\ngo 1.21.x\n", 2, "invalid go version"),
        ("go 1.21\ngo 1.22\n", 2, "repeated go statement"),
        ("toolchain 1.21.0\n", 1, "invalid toolchain version"),
        ("require a.example/x\n", 1, "usage: require"),
        ("require ( a.example/x\n", 1, "syntax error (unexpected ()"),
        ("require ( a.example/x v1.0.0 )\n", 1, "usage: require"),
        ("require a.ex\"ample/x v1.0.0\n", 1, "unquoted string cannot contain quote"),
        ("replace a.example/x => b.example/x\n", 1, "must be directory path"),
        ("replace a.example/x => ./x v1.0.0\n", 1, "cannot have version"),
        ("replace a.example/x v1.0.0 b.example/x v1.0.0\n", 1, "usage: replace"),
        ("replace a.example/x => b.example/x master\n", 1, "must be of the form v1.2.3"),
        ("exclude a.example/x latest\n", 1, "must be of the form v1.2.3"),
        ("module\n", 1, "usage: module"),
        ("module m\nrequire a.example/x\u{a0}v1.0.0\n", 2, "unexpected input character"),
    ];
    for (content, line, message) in cases {
        let err = error_of(content);
        assert_eq!(err.line, Some(*line), "{content:?}: {err}");
        assert!(err.message.contains(message), "{content:?}: {}", err.message);
        assert_eq!(err.path, "go.mod");
    }
}

#[test]
fn binary_junk_is_an_error() {
    let err = GoMod.extract(&Input::new(Path::new("go.mod"), b"module m\n\x00\x01\x02\xff\xfe")).unwrap_err();
    assert_eq!((err.line, err.message.as_str()), (Some(2), "not valid UTF-8 text"));
    let err = error_of("module m\n\ngo 1.21\x00\x07\n");
    assert_eq!(err.line, Some(3));
    assert!(err.message.contains("unexpected input character"), "{}", err.message);
}

#[test]
fn empty_or_comment_only_file_has_no_packages() {
    assert_eq!(extract_str(&GoMod, "go.mod", "").unwrap(), Extracted::default());
    assert_eq!(extract_str(&GoMod, "go.mod", "\n// nothing\r\n\n").unwrap(), Extracted::default());
}

#[test]
fn big_file_stays_linear() {
    let mut content = String::from("module m\n\ngo 1.22.0\n\nrequire (\n");
    for i in 0..50_000 {
        content.push_str(&format!("\texample.com/m{i} v1.0.{i} // indirect\n"));
    }
    content.push_str(")\n\nreplace (\n");
    for i in 0..50_000 {
        content.push_str(&format!("\texample.com/r{i} => example.com/fork{i} v1.0.0\n"));
    }
    content.push_str(")\n");
    let out = extract_str(&GoMod, "go.mod", &content).unwrap();
    assert_eq!(out.packages.len(), 50_001);
    assert_eq!(out.packages[50_000].location.line, Some(50_005));
    assert_eq!(out.skipped.len(), 50_001, "the module line and every unused replace");
}
