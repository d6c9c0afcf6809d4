//! The external programs the integration tests drive (registries, skopeo, umoci, openssl,
//! go…). A test that needs one the machine lacks fails with one line naming the Debian
//! package to install, instead of an `Os { NotFound }` that reads like a bug in customs.
//! (The library's unit tests have the same in `src/testing_tools.rs`.)
#![allow(dead_code)]

use std::io;
use std::process::{Child, Command, ExitStatus, Output};

/// The Debian package that provides `program` (the name itself when it is not one the
/// tests are known to use).
pub fn debian_package(program: &str) -> &str {
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
pub fn missing_line(program: &str) -> String {
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
pub fn output(command: &mut Command) -> Output {
    let result = command.output();
    started(command, result)
}

/// Runs `command` with inherited or configured stdio; returns its exit status.
pub fn status(command: &mut Command) -> ExitStatus {
    let result = command.status();
    started(command, result)
}

/// Starts `command` in the background.
pub fn spawn(command: &mut Command) -> Child {
    let result = command.spawn();
    started(command, result)
}

/// Runs `program args…`, which must succeed; returns its stdout.
pub fn run(program: &str, args: &[&str]) -> String {
    let out = output(Command::new(program).args(args));
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}
