//! Gradle dependency lock state: `gradle.lockfile` (the project's configurations) and
//! `buildscript-gradle.lockfile` (the build script classpath, i.e. plugins).
//!
//! Gradle 6+ writes one line per resolved module, `group:artifact:version=conf1,conf2`,
//! sorted, after a `#` comment header, and ends with `empty=…` listing the locked
//! configurations that resolved to nothing. Every version is exact: it is what the build
//! resolved, so nothing is ever skipped.
//!
//! Decisions:
//! - A line that is neither a comment, blank, `empty=…` nor a module line is an error
//!   naming that line: Gradle itself refuses such a lock file, so reading around it would
//!   report an inventory the build would never use.
//! - `dev` when every configuration of the line is a test one. Trivy counts a
//!   configuration as test when its name starts with `test`; we also count the source
//!   sets Gradle and the Android plugin derive from a `…Test` source set
//!   (`debugUnitTestRuntimeClasspath`, `androidTestCompileClasspath`,
//!   `integrationTestRuntimeClasspath`), which are test-only in the same way.
//! - The lock file does not say which modules the build script names, so the
//!   relationship stays unknown.

use std::path::Path;

use super::{ExtractError, Extracted, Extractor, Input};
use crate::model::{EcosystemKind, Location, Package};

pub struct GradleLockfile;

const LOCKFILE_NAMES: &[&str] = &["gradle.lockfile", "buildscript-gradle.lockfile"];

impl Extractor for GradleLockfile {
    fn id(&self) -> &'static str {
        "java/gradle-lockfile"
    }

    fn wants(&self, path: &Path) -> bool {
        path.file_name().and_then(|n| n.to_str()).is_some_and(|n| LOCKFILE_NAMES.contains(&n))
    }

    fn extract(&self, input: &Input<'_>) -> Result<Extracted, ExtractError> {
        let content = input.text()?;
        let mut out = Extracted::default();
        for (index, raw) in content.lines().enumerate() {
            let line_number = index as u32 + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with("empty=") {
                continue;
            }
            let entry = LockedModule::parse(line).ok_or_else(|| {
                // Quote only the start: a binary file can be one enormous "line".
                let start: String = line.chars().take(80).collect();
                input.error(Some(line_number), format!("not a `group:artifact:version=configurations` line: {start:?}"))
            })?;
            let location = Location::new(input.path, Some(line_number));
            let name = format!("{}:{}", entry.group, entry.artifact);
            out.packages
                .push(Package::new(EcosystemKind::Maven, name, entry.version, location).with_dev(entry.test_only()));
        }
        Ok(out)
    }
}

/// One `group:artifact:version=configurations` line.
struct LockedModule<'a> {
    group: &'a str,
    artifact: &'a str,
    version: &'a str,
    configurations: &'a str,
}

impl<'a> LockedModule<'a> {
    fn parse(line: &'a str) -> Option<Self> {
        let (module, configurations) = line.split_once('=')?;
        let mut parts = module.split(':');
        let (group, artifact, version) = (parts.next()?, parts.next()?, parts.next()?);
        let well_formed = |s: &str| !s.is_empty() && !s.contains(char::is_whitespace);
        if parts.next().is_some() || ![group, artifact, version].into_iter().all(well_formed) {
            return None;
        }
        Some(LockedModule { group, artifact, version, configurations })
    }

    /// Whether the module is locked for test configurations only (and for at least one).
    fn test_only(&self) -> bool {
        let mut configurations = self.configurations.split(',').filter(|c| !c.is_empty()).peekable();
        configurations.peek().is_some() && configurations.all(is_test_configuration)
    }
}

/// Whether a configuration only serves tests: `test…` (the `test` and `testFixtures`
/// source sets) or a name built on a `…Test` source set (`debugUnitTest…`,
/// `androidTest…`, `integrationTest…`), where `Test` ends a camel-case word.
fn is_test_configuration(name: &str) -> bool {
    if name.starts_with("test") {
        return true;
    }
    name.match_indices("Test").any(|(i, _)| {
        let next = name[i + "Test".len()..].chars().next();
        next.is_none_or(|c| c.is_ascii_uppercase())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::testing::{extract_fixture, extract_str, summarize};

    #[test]
    fn spring_boot_lockfile_with_test_only_modules() {
        let out = extract_fixture(&GradleLockfile, "inventory/gradle/spring/gradle.lockfile").unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "Maven|ch.qos.logback:logback-classic|1.4.14|pkg:maven/ch.qos.logback/logback-classic@1.4.14|4|",
                "Maven|ch.qos.logback:logback-core|1.4.14|pkg:maven/ch.qos.logback/logback-core@1.4.14|5|",
                "Maven|com.fasterxml.jackson.core:jackson-databind|2.15.3|pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.15.3|6|",
                "Maven|com.jayway.jsonpath:json-path|2.8.0|pkg:maven/com.jayway.jsonpath/json-path@2.8.0|7|dev",
                "Maven|net.minidev:json-smart|2.5.0|pkg:maven/net.minidev/json-smart@2.5.0|8|dev",
                "Maven|org.junit.jupiter:junit-jupiter-api|5.10.1|pkg:maven/org.junit.jupiter/junit-jupiter-api@5.10.1|9|dev",
                "Maven|org.mockito:mockito-core|5.7.0|pkg:maven/org.mockito/mockito-core@5.7.0|10|dev",
                "Maven|org.projectlombok:lombok|1.18.30|pkg:maven/org.projectlombok/lombok@1.18.30|11|",
                "Maven|org.springframework.boot:spring-boot-devtools|3.2.0|pkg:maven/org.springframework.boot/spring-boot-devtools@3.2.0|12|",
                "Maven|org.springframework.boot:spring-boot-starter-web|3.2.0|pkg:maven/org.springframework.boot/spring-boot-starter-web@3.2.0|13|",
                "Maven|org.yaml:snakeyaml|2.2|pkg:maven/org.yaml/snakeyaml@2.2|14|",
            ]
        );
        assert!(out.skipped.is_empty());
        assert_eq!(out.packages[0].location.path, "inventory/gradle/spring/gradle.lockfile");
    }

    #[test]
    fn android_variant_and_custom_test_source_sets_are_dev() {
        let out = extract_fixture(&GradleLockfile, "inventory/gradle/android/gradle.lockfile").unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "Maven|androidx.core:core-ktx|1.12.0|pkg:maven/androidx.core/core-ktx@1.12.0|4|",
                "Maven|androidx.test.espresso:espresso-core|3.5.1|pkg:maven/androidx.test.espresso/espresso-core@3.5.1|5|dev",
                "Maven|com.squareup.okhttp3:okhttp|4.12.0|pkg:maven/com.squareup.okhttp3/okhttp@4.12.0|6|",
                "Maven|com.squareup.okhttp3:mockwebserver|4.12.0|pkg:maven/com.squareup.okhttp3/mockwebserver@4.12.0|7|dev",
                "Maven|io.rest-assured:rest-assured|5.3.2|pkg:maven/io.rest-assured/rest-assured@5.3.2|8|dev",
                "Maven|junit:junit|4.13.2|pkg:maven/junit/junit@4.13.2|9|dev",
                "Maven|org.jetbrains.kotlin:kotlin-stdlib|1.9.20|pkg:maven/org.jetbrains.kotlin/kotlin-stdlib@1.9.20|10|",
            ]
        );
    }

    #[test]
    fn buildscript_lockfile_lists_plugin_classpath() {
        let out = extract_fixture(&GradleLockfile, "inventory/gradle/buildscript/buildscript-gradle.lockfile").unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "Maven|com.diffplug.spotless:spotless-plugin-gradle|6.23.3|pkg:maven/com.diffplug.spotless/spotless-plugin-gradle@6.23.3|4|",
                "Maven|com.github.ben-manes:gradle-versions-plugin|0.50.0|pkg:maven/com.github.ben-manes/gradle-versions-plugin@0.50.0|5|",
                "Maven|com.google.guava:guava|32.1.3-jre|pkg:maven/com.google.guava/guava@32.1.3-jre|6|",
                "Maven|org.jetbrains.kotlin:kotlin-gradle-plugin|1.9.20|pkg:maven/org.jetbrains.kotlin/kotlin-gradle-plugin@1.9.20|7|",
            ]
        );
    }

    #[test]
    fn wants_only_the_canonical_names() {
        assert!(GradleLockfile.wants(Path::new("app/gradle.lockfile")));
        assert!(GradleLockfile.wants(Path::new("buildscript-gradle.lockfile")));
        assert!(!GradleLockfile.wants(Path::new("gradle/dependency-locks/compileClasspath.lockfile")));
        assert!(!GradleLockfile.wants(Path::new("gradle.lockfile.bak")));
    }

    #[test]
    fn crlf_blank_lines_and_a_module_without_configurations() {
        let out = extract_str(&GradleLockfile, "gradle.lockfile", "# header\r\n\r\ng:a:1.0=\r\nempty=\r\n").unwrap();
        assert_eq!(summarize(&out.packages), ["Maven|g:a|1.0|pkg:maven/g/a@1.0|3|"]);
    }

    #[test]
    fn malformed_lines_are_errors_naming_the_line() {
        let cases = [
            ("# c\ng:a:1.0=compileClasspath\ng:a=compileClasspath\n", 3),
            ("g:a:1.0=compileClasspath\n\ng:a:1.0:jdk8=compileClasspath\n", 3),
            ("g:a:1.0\n", 1),
            ("g::1.0=compileClasspath\n", 1),
            ("g:a b:1.0=compileClasspath\n", 1),
            ("<html><body>Not Found</body></html>\n", 1),
        ];
        for (content, line) in cases {
            let err = extract_str(&GradleLockfile, "gradle.lockfile", content).unwrap_err();
            assert_eq!(err.line, Some(line), "{content:?}: {err}");
            assert_eq!(err.path, "gradle.lockfile");
        }
    }

    #[test]
    fn errors_quote_only_the_start_of_a_long_line() {
        let long = format!("{}\n", "x".repeat(100_000));
        let err = extract_str(&GradleLockfile, "gradle.lockfile", &long).unwrap_err();
        assert!(err.message.len() < 200, "{}", err.message);
        assert!(err.message.ends_with(&format!("{:?}", "x".repeat(80))), "{}", err.message);
    }

    #[test]
    fn truncated_last_line_is_an_error() {
        let err =
            extract_str(&GradleLockfile, "gradle.lockfile", "g:a:1.0=compileClasspath\norg.slf4j:slf4").unwrap_err();
        assert_eq!(err.line, Some(2));
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let input = Input::new(Path::new("gradle.lockfile"), b"# ok\ng:a:1.0=x\n\xff\xfe\x00junk");
        let err = GradleLockfile.extract(&input).unwrap_err();
        assert_eq!(err.line, Some(3));
    }

    #[test]
    fn empty_and_comment_only_files_have_no_packages() {
        assert_eq!(extract_str(&GradleLockfile, "gradle.lockfile", "").unwrap(), Extracted::default());
        let header = "# This is a Gradle generated file for dependency locking.\nempty=compileClasspath\n";
        assert_eq!(extract_str(&GradleLockfile, "gradle.lockfile", header).unwrap(), Extracted::default());
    }

    #[test]
    fn test_configuration_names() {
        for test in
            ["testRuntimeClasspath", "testFixturesApi", "debugUnitTestCompileClasspath", "androidTest", "jmhTest"]
        {
            assert!(is_test_configuration(test), "{test}");
        }
        for main in ["compileClasspath", "runtimeClasspath", "latestRuntime", "kotlinTestingClasspath", "classpath"] {
            assert!(!is_test_configuration(main), "{main}");
        }
    }
}
