//! How `action/run.sh` calls customs, through a stand-in that records its arguments:
//! flags only some customs versions have, image, SBOM and verify scans, quoting,
//! exit codes outside 0–2, outputs that must not be forged by a newline.

use std::os::unix::fs::PermissionsExt;

use super::*;

/// A stand-in for customs: answers `--version` and `--help` as the environment says
/// (`FAKE_SCAN_FLAGS`, `FAKE_VERIFY`: the flags `scan --help` and `verify --help` list;
/// no `FAKE_VERIFY` means a customs without `verify`),
/// records every other call's arguments one call a line (`[arg][arg]…`), writes the
/// report it is asked for, and exits with `$FAKE_EXIT`.
const FAKE_CUSTOMS: &str = r###"#!/usr/bin/env bash
case "$1 ${2:-}" in
  "--version "*) echo "customs 0.1.0"; exit 0 ;;
  "scan --help") printf 'Options:\n'; for f in $FAKE_SCAN_FLAGS; do printf '      %s <X>\n' "$f"; done; exit 0 ;;
  "verify --help")
    [ -n "${FAKE_VERIFY:-}" ] || { echo "error: unrecognized subcommand 'verify'" >&2; exit 2; }
    printf 'Options:\n'; for f in $FAKE_VERIFY; do printf '      %s <X>\n' "$f"; done; exit 0 ;;
esac
printf '[%s]' "$@" >>"$FAKE_LOG"; printf '\n' >>"$FAKE_LOG"
[ "$1" = db ] && exit 0
format='' output=''
for arg; do
  case $arg in --format=*) format=${arg#--format=} ;; --output=*) output=${arg#--output=} ;; esac
done
if [ -n "$output" ]; then
  case $format in
    json) cat "$FAKE_JSON" >"$output" ;;
    markdown) echo "## fake summary" >"$output" ;;
    *) echo "fake $format report" >"$output" ;;
  esac
fi
exit "${FAKE_EXIT:-0}"
"###;

/// customs' JSON layout (pretty, two spaces) with counts the Rust fixture lacks, a
/// `summary` key nested elsewhere and severity names deeper in the document, which
/// the counts must not pick up.
const FAKE_JSON: &str = r#"{
  "schema": "customs/1",
  "tool": {
    "name": "customs",
    "summary": {
      "critical": 99
    }
  },
  "summary": {
    "packages": 12,
    "vulnerabilities": 7,
    "by_severity": {
      "high": 1,
      "low": 2,
      "none": 1,
      "unknown": 3
    },
    "informational": 0,
    "uncomparable": 0,
    "suppressed": 5
  },
  "findings": [
    {
      "critical": 42
    }
  ]
}
"#;

struct Fake {
    runner: Runner,
}

impl Fake {
    fn new(scan_flags: &str) -> Fake {
        let mut runner = Runner::new();
        let bin = runner.file("fake bin");
        fs::create_dir(&bin).unwrap();
        fs::write(bin.join("customs"), FAKE_CUSTOMS).unwrap();
        fs::set_permissions(bin.join("customs"), fs::Permissions::from_mode(0o755)).unwrap();
        fs::write(runner.file("fake.json"), FAKE_JSON).unwrap();
        runner.path = format!("{}:/usr/bin:/bin", bin.display());
        runner.workspace = runner.file("workspace");
        fs::create_dir(&runner.workspace).unwrap();
        let (log, json) = (runner.file("calls"), runner.file("fake.json"));
        runner = runner
            .with("FAKE_LOG", log.to_str().unwrap())
            .with("FAKE_JSON", json.to_str().unwrap())
            .with("FAKE_SCAN_FLAGS", scan_flags);
        Fake { runner }
    }

    fn with(mut self, name: &str, value: &str) -> Fake {
        self.runner = self.runner.with(name, value);
        self
    }

    /// The recorded calls, with RUNNER_TEMP shown as `$RUNNER_TEMP` and the script's
    /// random scratch folder as `XXXXXX`.
    fn calls(&self) -> Vec<String> {
        let temp = format!("{}/customs-action.", self.runner.file("temp").display());
        let log = fs::read_to_string(self.runner.file("calls")).unwrap_or_default();
        log.lines()
            .map(|line| match line.find(&temp) {
                Some(at) => {
                    format!("{}$RUNNER_TEMP/customs-action.XXXXXX{}", &line[..at], &line[at + temp.len() + 6..])
                }
                None => line.to_string(),
            })
            .collect()
    }
}

#[test]
fn flags_this_customs_lacks_are_skipped_with_a_warning() {
    let fake = Fake::new("")
        .with("INPUT_TARGET", "my app")
        .with("INPUT_FAIL_ON", "high")
        .with("INPUT_POLICY", "customs.yaml")
        .with("INPUT_IGNORE_FILE", ".customs-ignore.yaml")
        .with("INPUT_DB_MIRROR", "https://mirror.example/osv");
    let out = fake.runner.run("run.sh");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        fake.calls(),
        [
            "[db][update][--mirror=https://mirror.example/osv]",
            "[scan][--fail-on=high][--format=sarif][--output=customs-report.sarif][--][my app]",
            "[--quiet][scan][--fail-on=high][--format=json][--output=$RUNNER_TEMP/customs-action.XXXXXX/report.json][--][my app]",
            "[--quiet][scan][--fail-on=high][--format=markdown][--output=$RUNNER_TEMP/customs-action.XXXXXX/summary.md][--][my app]",
        ]
    );
    let stdout = text(&out.stdout);
    assert!(stdout.contains(
        "::warning title=customs::customs 0.1.0 has no --ignore-file yet: .customs-ignore.yaml is not applied, so every finding is reported\n"
    ), "{stdout}");
    assert!(stdout.contains(
        "::notice title=customs::customs 0.1.0 does not read a policy file yet (--config): customs.yaml is ignored\n"
    ));
    // Counts from the JSON's top-level summary only; `none` is in the total alone.
    assert_eq!(fake.runner.outputs(), counts("customs-report.sarif", "0", ["0", "1", "0", "2", "3", "7"]));
    assert_eq!(fake.runner.summary(), "## fake summary\n");
}

#[test]
fn flags_this_customs_has_are_passed_for_images_offline() {
    let fake = Fake::new("--image --config --ignore-file")
        .with("INPUT_SCAN_TYPE", "image")
        .with("INPUT_TARGET", "registry.example/team/app:1.0")
        .with("INPUT_FORMAT", "json")
        .with("INPUT_OFFLINE", "true")
        .with("INPUT_DB_MIRROR", "file:///srv/osv mirror")
        .with("INPUT_POLICY", "ci/customs.yaml")
        .with("INPUT_IGNORE_FILE", ".customs-ignore.yaml")
        .with("FAKE_EXIT", "1");
    let out = fake.runner.run("run.sh");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let flags = "[--offline][--db=/srv/osv mirror][--ignore-file=.customs-ignore.yaml][--config=ci/customs.yaml]";
    assert_eq!(
        fake.calls(),
        [
            format!("[scan]{flags}[--format=json][--output=customs-report.json][--image=registry.example/team/app:1.0]"),
            format!("[--quiet][scan]{flags}[--format=markdown][--output=$RUNNER_TEMP/customs-action.XXXXXX/summary.md][--image=registry.example/team/app:1.0]"),
        ],
        "offline: no db update, the local mirror is the --db; the JSON report is not scanned twice"
    );
    assert_eq!(fake.runner.outputs()["exit-code"], "1");
}

#[test]
fn sbom_targets_and_an_offline_url_mirror() {
    let fake = Fake::new("")
        .with("INPUT_SCAN_TYPE", "sbom")
        .with("INPUT_TARGET", "-bom.cdx.json")
        .with("INPUT_FORMAT", "table")
        .with("INPUT_OFFLINE", "true")
        .with("INPUT_DB_MIRROR", "https://mirror.example/osv");
    let out = fake.runner.run("run.sh");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(fake.calls()[0], "[scan][--offline][--format=table][--output=customs-report.txt][--sbom=-bom.cdx.json]");
    assert!(text(&out.stdout).contains(
        "::warning title=customs::offline: the db-mirror URL is not contacted; the scan uses the cached database\n"
    ));
}

#[test]
fn verify_runs_only_when_this_customs_can_verify() {
    let without = Fake::new("").with("INPUT_SCAN_TYPE", "verify").with("INPUT_TARGET", "ghcr.io/acme/app:1");
    let out = without.runner.run("run.sh");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).contains(
        "::error title=customs::scan-type verify needs signature verification (customs verify), which customs 0.1.0 does not have yet; use fs, image or sbom\n"
    ));
    assert_eq!(without.calls(), Vec::<String>::new(), "nothing ran");

    let with = Fake::new("")
        .with("INPUT_SCAN_TYPE", "verify")
        .with("INPUT_TARGET", "ghcr.io/acme/app:1")
        .with("INPUT_POLICY", "customs.yaml")
        .with("FAKE_VERIFY", "--key --config")
        .with("FAKE_EXIT", "1");
    let out = with.runner.run("run.sh");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(with.calls(), ["[verify][--config=customs.yaml][--][ghcr.io/acme/app:1]"], "no db update for verify");
    assert_eq!(with.runner.outputs(), counts("", "1", [""; 6]));
    assert_eq!(with.runner.summary(), "## customs verify\n\n`ghcr.io/acme/app:1`: exit code 1\n");

    let crash = Fake::new("").with("INPUT_SCAN_TYPE", "verify").with("FAKE_VERIFY", "--key").with("FAKE_EXIT", "101");
    assert_eq!(crash.runner.run("run.sh").status.code(), Some(2));
    assert_eq!(crash.runner.outputs()["exit-code"], "2");
}

/// Every flag `customs verify` has for signatures, as its `--help` lists them.
const VERIFY_FLAGS: &str = "--key --trusted-root --certificate-identity --certificate-identity-regexp \
                            --certificate-oidc-issuer --certificate-oidc-issuer-regexp --check-reference \
                            --insecure-ignore-sct";

fn verify(flags: &str) -> Fake {
    Fake::new("")
        .with("INPUT_SCAN_TYPE", "verify")
        .with("INPUT_TARGET", "ghcr.io/acme/app:1")
        .with("FAKE_VERIFY", flags)
}

#[test]
fn verify_passes_a_keyless_identity_and_its_trust_root() {
    let fake = verify(VERIFY_FLAGS)
        .with("INPUT_TRUSTED_ROOT", ".github/sigstore/trusted_root.json")
        .with("INPUT_CERTIFICATE_IDENTITY_REGEXP", r"^https://github.com/acme/app/\.github/workflows/.*$")
        .with("INPUT_CERTIFICATE_OIDC_ISSUER", "https://token.actions.githubusercontent.com");
    let out = fake.runner.run("run.sh");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        fake.calls(),
        [concat!(
            "[verify][--trusted-root=.github/sigstore/trusted_root.json]",
            r"[--certificate-identity-regexp=^https://github.com/acme/app/\.github/workflows/.*$]",
            "[--certificate-oidc-issuer=https://token.actions.githubusercontent.com][--][ghcr.io/acme/app:1]"
        )]
    );
    assert_eq!(fake.runner.outputs(), counts("", "0", [""; 6]));

    // The exact identity and the issuer pattern, beside a key.
    let fake = verify(VERIFY_FLAGS)
        .with("INPUT_KEY", "cosign.pub")
        .with("INPUT_TRUSTED_ROOT", "trusted_root.json")
        .with("INPUT_CERTIFICATE_IDENTITY", "release@acme.example")
        .with("INPUT_CERTIFICATE_OIDC_ISSUER_REGEXP", "^https://accounts\\.acme\\.example$");
    assert_eq!(fake.runner.run("run.sh").status.code(), Some(0));
    assert_eq!(
        fake.calls(),
        [concat!(
            "[verify][--key=cosign.pub][--trusted-root=trusted_root.json]",
            "[--certificate-identity=release@acme.example]",
            r"[--certificate-oidc-issuer-regexp=^https://accounts\.acme\.example$][--][ghcr.io/acme/app:1]"
        )]
    );
}

#[test]
fn verify_passes_each_of_several_keys() {
    for keys in
        ["cosign.pub\nkeys/old key.pub\n", " cosign.pub , keys/old key.pub,", "cosign.pub\r\n\r\nkeys/old key.pub"]
    {
        let fake = verify(VERIFY_FLAGS).with("INPUT_KEY", keys);
        let out = fake.runner.run("run.sh");
        assert_eq!(out.status.code(), Some(0), "{keys:?}: {}", text(&out.stderr));
        assert_eq!(
            fake.calls(),
            ["[verify][--key=cosign.pub][--key=keys/old key.pub][--][ghcr.io/acme/app:1]"],
            "{keys:?}"
        );
    }
}

/// A constraint this customs cannot check stops the step: verifying without it would
/// accept signatures the workflow means to refuse.
#[test]
fn a_signature_input_this_customs_lacks_fails_instead_of_being_dropped() {
    for (flags, name) in [("--key --trusted-root", "certificate-identity-regexp"), ("--key", "trusted-root")] {
        let fake = verify(flags)
            .with("INPUT_KEY", "cosign.pub")
            .with("INPUT_TRUSTED_ROOT", "trusted_root.json")
            .with("INPUT_CERTIFICATE_IDENTITY_REGEXP", "^https://github.com/acme/.*$")
            .with("INPUT_CERTIFICATE_OIDC_ISSUER", "https://token.actions.githubusercontent.com");
        let out = fake.runner.run("run.sh");
        assert_eq!(out.status.code(), Some(2), "{name}");
        let message = format!(
            "{name} is set, but customs 0.1.0 has no customs verify --{name}; the image is not verified without that constraint (use a customs version that has it)"
        );
        assert!(text(&out.stdout).contains(&format!("::error title=customs::{message}\n")), "{}", text(&out.stdout));
        assert_eq!(fake.calls(), Vec::<String>::new(), "{name}: customs verify did not run");
        assert_eq!(fake.runner.outputs(), counts("", "2", [""; 6]));
        assert_eq!(fake.runner.summary(), format!("## customs\n\nThe scan did not run: {message}\n"));
    }
}

#[test]
fn a_keyless_identity_needs_both_halves() {
    let issuer = "https://token.actions.githubusercontent.com";
    let subject = "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main";
    for (inputs, message) in [
        (
            &[("INPUT_CERTIFICATE_IDENTITY", subject)][..],
            "certificate-identity needs certificate-oidc-issuer (or certificate-oidc-issuer-regexp) too: a subject means nothing without the issuer that vouched for it",
        ),
        (
            &[("INPUT_CERTIFICATE_IDENTITY_REGEXP", "^https://github.com/acme/.*$")][..],
            "certificate-identity-regexp needs certificate-oidc-issuer (or certificate-oidc-issuer-regexp) too: a subject means nothing without the issuer that vouched for it",
        ),
        (
            &[("INPUT_CERTIFICATE_OIDC_ISSUER", issuer)][..],
            "certificate-oidc-issuer needs certificate-identity (or certificate-identity-regexp) too: the issuer alone would accept anyone it certified",
        ),
        (
            &[("INPUT_CERTIFICATE_IDENTITY", subject), ("INPUT_CERTIFICATE_IDENTITY_REGEXP", ".*"), ("INPUT_CERTIFICATE_OIDC_ISSUER", issuer)][..],
            "set certificate-identity or certificate-identity-regexp, not both",
        ),
    ] {
        let mut fake = verify(VERIFY_FLAGS).with("INPUT_KEY", "cosign.pub").with("INPUT_TRUSTED_ROOT", "trusted_root.json");
        for (name, value) in inputs {
            fake = fake.with(name, value);
        }
        let out = fake.runner.run("run.sh");
        assert_eq!(out.status.code(), Some(2), "{message}");
        assert_eq!(text(&out.stdout), format!("::error title=customs::{message}\n"), "before customs is even asked its version");
        assert_eq!(fake.calls(), Vec::<String>::new());
        assert_eq!(fake.runner.outputs(), counts("", "2", [""; 6]));
    }
}

#[test]
fn image_scans_need_a_customs_that_scans_images() {
    let fake = Fake::new("--config").with("INPUT_SCAN_TYPE", "image").with("INPUT_TARGET", "debian:12");
    let out = fake.runner.run("run.sh");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).contains(
        "::error title=customs::scan-type image needs image scanning (customs scan --image), which customs 0.1.0 does not have yet\n"
    ));
}

#[test]
fn a_crash_is_exit_2_and_a_newline_in_a_path_cannot_forge_outputs() {
    let fake = Fake::new("").with("FAKE_EXIT", "101").with("INPUT_OUTPUT", "odd\nexit-code<<EOF\n0\nEOF\n.sarif");
    let out = fake.runner.run("run.sh");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).contains("::error title=customs::customs exited with 101\n"));
    let outputs = fake.runner.outputs();
    assert_eq!(outputs["exit-code"], "2");
    assert_eq!(outputs["report"], "odd\nexit-code<<EOF\n0\nEOF\n.sarif");
}

#[test]
fn verify_switches_are_passed_alone_and_refused_when_missing() {
    let fake = verify(VERIFY_FLAGS)
        .with("INPUT_KEY", "cosign.pub")
        .with("INPUT_CHECK_REFERENCE", "true")
        .with("INPUT_INSECURE_IGNORE_SCT", "true");
    assert_eq!(fake.runner.run("run.sh").status.code(), Some(0));
    assert_eq!(
        fake.calls(),
        ["[verify][--key=cosign.pub][--check-reference][--insecure-ignore-sct][--][ghcr.io/acme/app:1]"]
    );

    // A customs without the switch: the step stops, nothing runs.
    let older = verify("--key").with("INPUT_KEY", "cosign.pub").with("INPUT_CHECK_REFERENCE", "true");
    let out = older.runner.run("run.sh");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("check-reference is true, but"), "{}", text(&out.stderr));
    assert!(older.calls().is_empty());

    // Only true and false.
    let typo = verify(VERIFY_FLAGS).with("INPUT_KEY", "cosign.pub").with("INPUT_CHECK_REFERENCE", "yes");
    let out = typo.runner.run("run.sh");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("check-reference must be true or false, not \"yes\""), "{}", text(&out.stderr));
}
