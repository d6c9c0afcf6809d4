use super::*;

fn parse(text: &str) -> Dockerfile {
    Dockerfile::parse(text).unwrap_or_else(|e| panic!("{e}"))
}

fn error(text: &str) -> ParseError {
    Dockerfile::parse(text).unwrap_err()
}

fn image(from: &FromImage) -> (&str, &RegistryRef) {
    match from {
        FromImage::Image { reference, parsed: Some(parsed) } => (reference, parsed),
        other => panic!("not a parsed image: {other:?}"),
    }
}

#[test]
fn keywords_are_case_insensitive_and_lines_are_one_based() {
    let df = parse("# a comment\n\nfrom debian:12\n  run echo hi\nUser app\n");
    let summary: Vec<(&str, &str, u32, u32)> =
        df.instructions.iter().map(|i| (i.keyword.as_str(), i.args.as_str(), i.line, i.end_line)).collect();
    assert_eq!(summary, [("FROM", "debian:12", 3, 3), ("RUN", "echo hi", 4, 4), ("USER", "app", 5, 5)]);
    assert_eq!(df.instructions[1].stage, Some(0));
}

#[test]
fn continuations_join_and_skip_comment_lines() {
    let df = parse("FROM alpine\nRUN apk add \\\n    curl \\\n# a comment inside\n\n    git\nCMD x\n");
    let run = &df.instructions[1];
    assert_eq!(run.args, "apk add     curl     git");
    assert_eq!((run.line, run.end_line), (2, 6));
    assert_eq!(df.instructions[2].line, 7);
}

#[test]
fn escape_directive_switches_to_backtick() {
    let df = parse("# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN dir C:\\ `\n  && echo ok\n");
    assert_eq!(df.escape, '`');
    assert_eq!(df.directives, [("escape".to_string(), "`".to_string())]);
    assert_eq!(df.instructions[1].args, "dir C:\\   && echo ok");
    assert_eq!(df.instructions[1].end_line, 4);
}

#[test]
fn directives_stop_at_the_first_other_line() {
    let df = parse("# syntax=docker/dockerfile:1\n\n# escape=`\nFROM a:1\nRUN x \\\n  y\n");
    assert_eq!(df.escape, '\\');
    assert_eq!(df.directives.len(), 1);
    assert_eq!(df.instructions[1].args, "x   y");
}

#[test]
fn bad_escape_directive_is_an_error() {
    assert_eq!(error("# escape=x\nFROM a\n").kind, ParseErrorKind::BadEscape("x".into()));
}

#[test]
fn heredocs_are_read_with_their_lines() {
    let text = "FROM debian:12\nRUN <<EOF\napt-get update\napt-get install -y curl\nEOF\nCOPY <<-\"CONF\" <<two /etc/\n\tkey=$v\n\tCONF\nsecond\ntwo\nUSER app\n";
    let df = parse(text);
    let run = &df.instructions[1];
    assert_eq!((run.line, run.end_line), (2, 5));
    assert_eq!(run.heredocs.len(), 1);
    assert_eq!(run.heredocs[0].body, "apt-get update\napt-get install -y curl\n");
    assert_eq!(run.heredocs[0].line, 3);
    assert!(run.heredocs[0].expand);
    let copy = &df.instructions[2];
    assert_eq!((copy.line, copy.end_line), (6, 10));
    let docs: Vec<(&str, &str, bool)> =
        copy.heredocs.iter().map(|h| (h.delimiter.as_str(), h.body.as_str(), h.expand)).collect();
    assert_eq!(docs, [("CONF", "key=$v\n", false), ("two", "second\n", true)]);
    assert_eq!(df.instructions[3].line, 11);
}

#[test]
fn heredoc_markers_ignore_quotes_and_here_strings() {
    let df = parse("FROM a:1\nRUN echo '<<EOF' && cat <<< \"x\" && echo \"a << b\"\n");
    assert!(df.instructions[1].heredocs.is_empty());
}

#[test]
fn unterminated_heredoc_reports_the_instruction_line() {
    let err = error("FROM a:1\n\nRUN <<EOF\necho hi\n");
    assert_eq!(err, ParseError { line: 3, kind: ParseErrorKind::UnterminatedHeredoc("EOF".into()) });
    assert_eq!(err.to_string(), "line 3: heredoc <<EOF is never terminated");
}

#[test]
fn exec_and_shell_forms() {
    let df = parse("FROM a:1\nCMD [\"nginx\", \"-g\", \"daemon off;\"]\nRUN [ -f /x ] && echo y\nENTRYPOINT run.sh\n");
    assert_eq!(df.instructions[1].exec, Some(vec!["nginx".into(), "-g".into(), "daemon off;".into()]));
    assert_eq!(df.instructions[2].exec, None);
    assert_eq!(df.instructions[3].exec, None);
}

#[test]
fn bad_json_arrays_are_errors_with_their_line() {
    let err = error("FROM a:1\nCMD [\"nginx\", \"-g\"\n");
    assert_eq!(err.line, 2);
    assert!(matches!(&err.kind, ParseErrorKind::BadJson { keyword, .. } if keyword == "CMD"), "{err}");
    let err = error("FROM a:1\nSHELL powershell -command\n");
    assert!(matches!(&err.kind, ParseErrorKind::BadJson { keyword, .. } if keyword == "SHELL"), "{err}");
}

#[test]
fn flags_are_split_from_the_arguments() {
    let df = parse("FROM --platform=$BUILDPLATFORM golang:1.23 AS build\nRUN --mount=type=cache,target=/root/.cache --network=none go build\nCOPY --from=build --chown=app:app /out /app\n");
    assert_eq!(df.stages[0].platform.as_deref(), Some("$BUILDPLATFORM"));
    assert_eq!(df.instructions[1].args, "go build");
    assert_eq!(df.instructions[1].flag("mount"), Some("type=cache,target=/root/.cache"));
    assert_eq!(df.instructions[2].flag("from"), Some("build"));
    assert_eq!(df.instructions[2].args, "/out /app");
    // CMD has no flags: its `--` words are arguments.
    let df = parse("FROM a:1\nCMD --help\n");
    assert!(df.instructions[1].flags.is_empty());
    assert_eq!(df.instructions[1].args, "--help");
}

#[test]
fn stages_aliases_and_scratch() {
    let df = parse(
        "FROM golang:1.23 AS Build\nRUN go build\nFROM build AS test\nFROM scratch\nCOPY --from=build /app /app\n",
    );
    assert_eq!(df.stages.len(), 3);
    let (reference, parsed) = image(&df.stages[0].from);
    assert_eq!(reference, "golang:1.23");
    assert_eq!((parsed.registry.as_str(), parsed.repository.as_str()), ("docker.io", "library/golang"));
    assert_eq!(parsed.tag.as_deref(), Some("1.23"));
    assert_eq!(df.stages[0].alias.as_deref(), Some("build"));
    assert_eq!(df.stages[1].from, FromImage::Stage("build".into()));
    assert_eq!(df.stages[2].from, FromImage::Scratch);
    assert_eq!((df.stages[1].line, df.stages[2].line), (3, 4));
    assert_eq!(df.stages[0].instructions, 0..2);
    assert_eq!(df.stage_instructions(2).iter().map(|i| i.line).collect::<Vec<_>>(), [4, 5]);
    assert_eq!(df.stage_by_alias("test"), Some(1));
}

#[test]
fn digest_and_registry_are_parsed() {
    let digest = "sha256:".to_string() + &"a".repeat(64);
    let df = parse(&format!("FROM ghcr.io/org/app:1.0@{digest}\n"));
    let (_, parsed) = image(&df.stages[0].from);
    assert_eq!(parsed.registry, "ghcr.io");
    assert_eq!(parsed.digest.as_ref().map(|d| d.to_string()), Some(digest));
}

#[test]
fn global_args_substitute_into_from() {
    let text = "ARG REGISTRY=ghcr.io\nARG NAME=org/app\nARG TAG\nARG VARIANT=\"slim\"\nARG BASE=${REGISTRY}/$NAME\n\
FROM ${BASE}:${TAG:-1.0}-${VARIANT}\nFROM $BASE:${TAG:+x}latest\nFROM debian:${TAG}\nFROM debian:${MISSING}\n";
    let df = parse(text);
    assert_eq!(df.global_args[4], ("BASE".to_string(), Some("ghcr.io/org/app".to_string())));
    assert_eq!(df.global_args[2], ("TAG".to_string(), None));
    assert_eq!(image(&df.stages[0].from).0, "ghcr.io/org/app:1.0-slim");
    assert_eq!(image(&df.stages[1].from).0, "ghcr.io/org/app:latest");
    assert_eq!(df.stages[2].from, FromImage::Unresolved("debian:${TAG}".into()));
    assert_eq!(df.stages[3].from, FromImage::Unresolved("debian:${MISSING}".into()));
    assert_eq!(df.instructions[0].stage, None);
}

#[test]
fn build_args_override_global_defaults() {
    let df =
        Dockerfile::parse_with_build_args("ARG TAG=1\nARG IMG\nFROM $IMG:$TAG\n", &[("TAG", "2"), ("IMG", "alpine")])
            .unwrap();
    assert_eq!(image(&df.stages[0].from).0, "alpine:2");
}

#[test]
fn only_global_args_apply_to_from() {
    let df = parse("FROM alpine:3 AS one\nARG TAG=9\nENV IMG=busybox\nFROM alpine:${TAG}\n");
    assert_eq!(df.stages[1].from, FromImage::Unresolved("alpine:${TAG}".into()));
}

#[test]
fn expansion_handles_quotes_escapes_and_depth() {
    let vars: HashMap<String, Option<String>> =
        [("A".to_string(), Some("1".to_string())), ("E".to_string(), Some(String::new()))].into();
    let e = |w: &str| expand(w, &vars, '\\');
    assert_eq!(e("'$A'\"$A\"\\$A").text, "$A1$A");
    assert_eq!(e("${E:-d}|${E-d}|${E:+p}|${E+p}").text, "d|||p");
    assert_eq!(e("${N:-${M:-${A}}}").text, "1");
    assert!(e("${N:?required}").unresolved);
    assert!(!e("price: 5$").unresolved);
    let deep = "${N:-".repeat(50) + "x" + &"}".repeat(50);
    assert!(e(&deep).unresolved);
}

#[test]
fn stage_alias_matches_only_earlier_stages() {
    let df = parse("FROM base\nFROM alpine:3 AS base\n");
    assert!(matches!(df.stages[0].from, FromImage::Image { .. }));
}

#[test]
fn missing_from_and_instructions_before_from() {
    assert_eq!(error("").kind, ParseErrorKind::MissingFrom);
    assert_eq!(error("ARG A=1\n# only args\n").kind, ParseErrorKind::MissingFrom);
    assert_eq!(
        error("ARG A=1\nRUN echo\nFROM a\n"),
        ParseError { line: 2, kind: ParseErrorKind::InstructionBeforeFrom("RUN".into()) }
    );
}

#[test]
fn unknown_instruction_and_bad_from() {
    assert_eq!(
        error("FROM a\nRUNN x\n"),
        ParseError { line: 2, kind: ParseErrorKind::UnknownInstruction("RUNN".into()) }
    );
    assert_eq!(error("FROM a b c d\n").line, 1);
    assert!(matches!(error("FROM\n").kind, ParseErrorKind::BadFrom(_)));
}

#[test]
fn crlf_bom_and_size_cap() {
    let df = parse("\u{feff}FROM a:1\r\nRUN x \\\r\n  y\r\n");
    assert_eq!(df.instructions[1].args, "x   y");
    let huge = "#".repeat(MAX_DOCKERFILE_BYTES + 1);
    assert!(matches!(error(&huge).kind, ParseErrorKind::TooLarge { .. }));
}

#[test]
fn words_unquote() {
    assert_eq!(words(r#"a "b c" 'd e' f\ g"#, '\\'), ["a", "b c", "d e", "f g"]);
}

#[test]
fn multibyte_text_next_to_markers_does_not_panic() {
    let df = parse("FROM a:1\nRUN echo é<<EOF\nx\nEOF\nRUN echo \"${X:é}\" ${é} $é\n");
    assert_eq!(df.instructions[1].heredocs.len(), 1);
}

mod properties {
    use proptest::prelude::*;

    use super::super::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

        /// Any text parses or fails with an error on a real line; never panics.
        #[test]
        fn parsing_never_panics(lines in proptest::collection::vec(
            r#"(FROM|RUN|ARG|COPY|ADD|ENV|USER|VOLUME|CMD|# escape=|#|) ?[ a-zé$\{\}:\-+?"'`\\<\[\],=|&;]{0,30}"#, 0..12)) {
            let text = lines.join("\n");
            if let Err(e) = Dockerfile::parse(&text) {
                prop_assert!(e.line >= 1 && e.line as usize <= lines.len().max(1), "{e}");
            } else if let Ok(df) = Dockerfile::parse(&text) {
                let _ = crate::policy::check(&df, std::path::Path::new("Dockerfile"));
            }
        }
    }
}
