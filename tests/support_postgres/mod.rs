//! A real PostgreSQL server for one test: `initdb` into a temporary folder, `pg_ctl
//! start` on a free port of 127.0.0.1 (its socket in the same folder), stopped with
//! `pg_ctl stop -m immediate` when dropped. Debian keeps the server's programs in
//! /usr/lib/postgresql/<version>/bin, off PATH: they are looked for there first.
//!
//! PostgreSQL refuses to run as root; as root (CI), the server runs as the `postgres`
//! user the Debian package creates (or `nobody`), through `runuser`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The line a test fails with when PostgreSQL is not installed.
const MISSING: &str =
    "this test needs a PostgreSQL server (initdb, pg_ctl): install the Debian package postgresql (apt-get install postgresql), or run tests/run.sh";

/// A running server; stopped when dropped.
pub struct Postgres {
    _dir: tempfile::TempDir,
    data: PathBuf,
    socket: PathBuf,
    bin: PathBuf,
    run_as: Option<String>,
    pub port: u16,
    tls: bool,
}

/// The folder holding `initdb` and `pg_ctl`: the newest /usr/lib/postgresql/*/bin, else PATH.
fn bin_dir() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return bin;
    }
    let on_path = std::env::var_os("PATH").map(|paths| {
        std::env::split_paths(&paths).find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
    });
    on_path.flatten().unwrap_or_else(|| panic!("{MISSING}"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

/// The user the server runs as when the tests run as root.
fn server_user() -> String {
    let known = |user: &str| Command::new("id").arg(user).output().is_ok_and(|o| o.status.success());
    if known("postgres") { "postgres" } else { "nobody" }.to_string()
}

impl Postgres {
    /// Creates and starts a server with the superuser `customs` (trust authentication
    /// on 127.0.0.1 only).
    pub fn start() -> Postgres {
        Postgres::create(None)
    }

    /// [`Postgres::start`], serving TLS with this certificate chain and key (PEM).
    pub fn start_with_tls(certificate: &str, key: &str) -> Postgres {
        Postgres::create(Some((certificate, key)))
    }

    fn create(tls: Option<(&str, &str)>) -> Postgres {
        let bin = bin_dir();
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let socket = dir.path().join("socket");
        std::fs::create_dir_all(&socket).unwrap();
        let run_as = is_root().then(server_user);
        if let Some(user) = &run_as {
            // The server's user must reach and own its folders.
            std::fs::create_dir_all(&data).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
            let owner = format!("{user}:");
            let out = Command::new("chown").args(["-R", &owner]).arg(&data).arg(&socket).output().unwrap();
            assert!(out.status.success(), "chown: {}", String::from_utf8_lossy(&out.stderr));
        }
        let server = Postgres { _dir: dir, data, socket, bin, run_as, port: free_port(), tls: tls.is_some() };
        let data = server.data.to_str().unwrap().to_string();
        let out = server.tool("initdb", &["-D", &data, "-U", "customs", "--auth=trust", "-E", "UTF8", "--no-sync"]);
        assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
        if let Some((certificate, key)) = tls {
            use std::os::unix::fs::PermissionsExt;
            for (name, text) in [("server.crt", certificate), ("server.key", key)] {
                let path = server.data.join(name);
                std::fs::write(&path, text).unwrap();
                // The server refuses a key others can read.
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
                if let Some(user) = &server.run_as {
                    let owner = format!("{user}:");
                    assert!(Command::new("chown").arg(&owner).arg(&path).status().unwrap().success());
                }
            }
        }
        server.start_again();
        server
    }

    /// Runs one of the server's programs, as the server's user.
    fn tool(&self, program: &str, args: &[&str]) -> Output {
        let path = self.bin.join(program);
        let mut command = match &self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(&path);
                command
            }
            None => Command::new(&path),
        };
        command.args(args).env("LC_ALL", "C").output().unwrap_or_else(|e| panic!("{MISSING} ({}: {e})", path.display()))
    }

    /// Starts the server (again, after [`Postgres::stop`]), on the same port.
    pub fn start_again(&self) {
        let mut options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50",
            self.port,
            self.socket.display()
        );
        if self.tls {
            options.push_str(" -c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key");
        }
        let log = self.data.join("server.log");
        let out = self.tool(
            "pg_ctl",
            &[
                "-D",
                self.data.to_str().unwrap(),
                "-o",
                &options,
                "-l",
                log.to_str().unwrap(),
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
        assert!(
            out.status.success(),
            "pg_ctl start: {}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    /// Stops the server at once (no shutdown checkpoint), as a crash would.
    pub fn stop(&self) {
        let _ = self.tool("pg_ctl", &["-D", self.data.to_str().unwrap(), "-m", "immediate", "-w", "stop"]);
    }

    /// `postgres://customs@127.0.0.1:PORT/postgres?sslmode=disable`
    pub fn url(&self) -> String {
        format!("postgres://customs@127.0.0.1:{}/postgres?sslmode=disable", self.port)
    }

    /// The same, with a password in it (trust authentication ignores it): for tests
    /// that no message shows it.
    pub fn url_with_password(&self, password: &str) -> String {
        format!("postgres://customs:{password}@127.0.0.1:{}/postgres?sslmode=disable", self.port)
    }

    pub fn data_dir(&self) -> &Path {
        &self.data
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}
