//! The external programs the library's unit tests drive (rpm, rpmbuild, db5.3_load,
//! objcopy). A test that needs one the machine lacks fails with one line naming the
//! Debian package to install, instead of an `Os { NotFound }` that reads like a bug in
//! customs. (The integration tests have the same in `tests/common/tools.rs`: they
//! cannot reach this `cfg(test)` module.)

use std::io;
use std::process::{Command, ExitStatus, Output};

/// The Debian package that provides `program` (the name itself when it is not one the
/// tests are known to use).
pub(crate) fn debian_package(program: &str) -> &str {
    match program {
        "htpasswd" => "apache2-utils",
        "rpmbuild" => "rpm",
        "db5.3_load" | "db_load" => "db5.3-util",
        "go" => "golang-go",
        "objcopy" => "binutils",
        "mkfifo" => "coreutils",
        other => other,
    }
}

/// The one line a test fails with when `program` is not installed.
pub(crate) fn missing_line(program: &str) -> String {
    let package = debian_package(program);
    format!("this test needs {program}: install the Debian package {package} (apt-get install {package}), or run tests/run.sh")
}

fn program_of(command: &Command) -> String {
    command.get_program().to_string_lossy().into_owned()
}

/// Turns a failure to start the program into the test's one-line failure.
fn started<T>(command: &Command, result: io::Result<T>) -> T {
    match result {
        Ok(value) => value,
        Err(e) if e.kind() == io::ErrorKind::NotFound => panic!("{}", missing_line(&program_of(command))),
        Err(e) => panic!("cannot run {}: {e}", program_of(command)),
    }
}

/// Runs `command` to completion and returns what it printed (whatever its exit status).
pub(crate) fn output(command: &mut Command) -> Output {
    let result = command.output();
    started(command, result)
}

/// Runs `command` with its stdio inherited; returns its exit status.
pub(crate) fn status(command: &mut Command) -> ExitStatus {
    let result = command.status();
    started(command, result)
}

/// Whether `program` can be started at all (`program -V`, say, ran): for choosing
/// between alternatives such as `db5.3_load` and `db_load`.
pub(crate) fn installed(command: &mut Command) -> bool {
    command.output().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `PATH` with nothing on it: every program is missing.
    fn nowhere() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    fn panic_text(work: impl FnOnce() + std::panic::UnwindSafe) -> String {
        let payload = std::panic::catch_unwind(work).expect_err("the helper panics");
        payload.downcast_ref::<String>().cloned().unwrap_or_default()
    }

    #[test]
    fn a_missing_program_fails_with_one_line_naming_its_package() {
        let empty = nowhere();
        let path = empty.path().to_path_buf();
        let text = panic_text(move || {
            output(Command::new("rpmbuild").arg("--version").env("PATH", &path));
        });
        assert_eq!(
            text,
            "this test needs rpmbuild: install the Debian package rpm (apt-get install rpm), or run tests/run.sh"
        );
        let path = empty.path().to_path_buf();
        let text = panic_text(move || {
            status(Command::new("objcopy").env("PATH", &path));
        });
        assert_eq!(
            text,
            "this test needs objcopy: install the Debian package binutils (apt-get install binutils), or run tests/run.sh"
        );
    }

    #[test]
    fn an_installed_program_runs() {
        let out = output(Command::new("sh").args(["-c", "echo ran; exit 3"]));
        assert_eq!((out.status.code(), out.stdout.as_slice()), (Some(3), &b"ran\n"[..]));
        assert!(installed(Command::new("sh").arg("-c").arg("true")));
        let empty = nowhere();
        assert!(!installed(Command::new("db5.3_load").arg("-V").env("PATH", empty.path())));
    }

    #[test]
    fn packages_of_the_tools_the_tests_use() {
        let pairs: Vec<(&str, &str)> =
            ["db5.3_load", "htpasswd", "go", "python3"].iter().map(|p| (*p, debian_package(p))).collect();
        assert_eq!(
            pairs,
            [("db5.3_load", "db5.3-util"), ("htpasswd", "apache2-utils"), ("go", "golang-go"), ("python3", "python3")]
        );
    }
}
