//! The command line: flags become plain option structs, handed to the library.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

pub mod db;
mod errors;
pub mod image;
pub mod log;
pub mod network;
pub mod registry;
pub mod sbom;
pub mod scan;
pub mod verify;

pub use errors::error_line;

/// customs: every parcel that enters production passes customs.
///
/// Lists the exact packages of a project from its lockfiles, SBOMs and container
/// images, matches them against OSV advisories, applies the image policy and checks
/// signatures, and reports in SARIF, tables, JSON, Markdown, CycloneDX or SPDX.
#[derive(Parser, Debug)]
#[command(name = "customs", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Print only errors on stderr.
    #[arg(long, short, global = true, display_order = 900)]
    pub quiet: bool,

    /// Where the advisory database and downloads are kept
    /// [default: $XDG_CACHE_HOME/customs or ~/.cache/customs].
    #[arg(long, global = true, display_order = 901, value_name = "DIR", env = "CUSTOMS_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,

    /// How lines on stderr are written: plain text, or one JSON object per line for log
    /// collectors (no progress bars then).
    #[arg(long, global = true, display_order = 902, value_name = "FORMAT", value_enum, default_value_t)]
    pub log_format: log::LogFormat,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scan lockfiles (or an SBOM) for packages with known vulnerabilities.
    // Boxed: scan's many flags would make every variant as large.
    Scan(Box<scan::ScanArgs>),
    /// Write a software bill of materials for a directory or lockfile.
    Sbom(sbom::SbomArgs),
    /// Maintain the advisory database.
    Db(db::DbArgs),
    /// Verify an image's cosign signatures: keys or keyless, classic tag or Sigstore bundle referrers.
    Verify(verify::VerifyArgs),
    /// Sweep a whole registry, remembering what was analysed; rematch and report runs.
    Registry(registry::RegistryArgs),
    /// Print a shell completion script: `source <(customs completion bash)`.
    Completion(CompletionArgs),
}

#[derive(clap::Args, Debug)]
pub struct CompletionArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Long flags that get no `CUSTOMS_*` variable, because the name means something else
/// already: `CUSTOMS_REGISTRY` binds the environment's registry login to one registry
/// (so `registry rematch/report --registry` cannot take it), and the credentials'
/// variables are `CUSTOMS_REGISTRY_USERNAME`/`_PASSWORD`, which the library binds to
/// that registry (a `CUSTOMS_PASSWORD` read here would bypass the binding).
const NO_ENVIRONMENT: &[&str] = &["help", "version", "registry", "username", "password", "password-stdin"];

/// The command line as parsed: [`Cli`]'s flags, each also from its environment
/// variable (see [`with_environment`]).
pub fn command() -> clap::Command {
    with_environment(Cli::command())
}

/// Gives every long flag without an environment variable `CUSTOMS_<FLAG>` (`--fail-on`:
/// `CUSTOMS_FAIL_ON`), shown in `--help`, in this command and every subcommand; flags
/// that choose among named values (`--format JSON`) take them in any case.
fn with_environment(command: clap::Command) -> clap::Command {
    let command = command.mut_args(|arg| {
        let arg = if arg.get_action().takes_values() && !arg.get_possible_values().is_empty() {
            arg.ignore_case(true)
        } else {
            arg
        };
        match arg.get_long().map(str::to_owned) {
            Some(long) if arg.get_env().is_none() && !NO_ENVIRONMENT.contains(&long.as_str()) => {
                arg.env(environment_name(&long))
            }
            _ => arg,
        }
    });
    let names: Vec<String> = command.get_subcommands().map(|c| c.get_name().to_owned()).collect();
    names.iter().fold(command, |command, name| command.mut_subcommand(name, with_environment))
}

/// `--fail-on` → `CUSTOMS_FAIL_ON`.
pub fn environment_name(long: &str) -> String {
    format!("CUSTOMS_{}", long.to_ascii_uppercase().replace('-', "_"))
}

/// Exit codes every command shares.
pub mod exit {
    /// Nothing to report at or above the threshold.
    pub const CLEAN: u8 = 0;
    /// Findings at or above the threshold.
    pub const FINDINGS: u8 = 1;
    /// An input could not be read, or the command failed.
    pub const ERROR: u8 = 2;
}

pub fn run() -> ExitCode {
    let cli = match command().try_get_matches().and_then(|matches| Cli::from_arg_matches(&matches)) {
        Ok(cli) => cli,
        Err(e) => return refused(e),
    };
    log::set_format(cli.log_format);
    let cache = customs::advisory::store::cache_dir(cli.cache_dir.as_deref());
    let result = match &cli.command {
        Command::Scan(args) => scan::run(args, &cache, cli.quiet),
        Command::Sbom(args) => sbom::run(args, &cache, cli.quiet),
        Command::Db(args) => db::run(args, &cache, cli.quiet),
        Command::Verify(args) => verify::run(args, cli.quiet),
        Command::Registry(args) => registry::run(args, &cache, cli.quiet),
        Command::Completion(args) => {
            clap_complete::generate(args.shell, &mut command(), "customs", &mut std::io::stdout());
            Ok(exit::CLEAN)
        }
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            log::error(error_line(&e));
            ExitCode::from(exit::ERROR)
        }
    }
}

/// A command line clap refused (or `--help`, `--version`): as clap prints it, except
/// that a refusal is one JSON line when a JSON log was asked for.
fn refused(error: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let shown = matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    let arguments: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let variable = std::env::var("CUSTOMS_LOG_FORMAT").ok();
    if shown || log::format_from_raw(&arguments, variable.as_deref()) != log::LogFormat::Json {
        error.exit()
    }
    log::set_format(log::LogFormat::Json);
    log::usage_error(&error);
    ExitCode::from(exit::ERROR)
}

/// The exit code a gate's outcome gives (`exit_code` when it tripped: `--exit-code`,
/// default 1), after saying on stderr what tripped it or what passed below it.
pub fn gate_exit(outcome: &customs::scan::GateOutcome, exit_code: Option<u8>, quiet: bool) -> u8 {
    let code = exit_code.unwrap_or(exit::FINDINGS);
    let (code, line) = match outcome.describe() {
        Some(what) if outcome.is_tripped() && code != exit::CLEAN => (code, format!("failing (exit {code}): {what}")),
        Some(what) if outcome.is_tripped() => (code, format!("not failing (--exit-code 0): {what}")),
        Some(what) => (exit::CLEAN, format!("passing: {what}")),
        None => (exit::CLEAN, String::new()),
    };
    if !quiet && !line.is_empty() {
        log::info(line);
    }
    code
}

/// Writes a report to `-o FILE` (through a temporary file renamed into place, so a
/// reader never sees half a report) or to stdout.
pub fn write_output(output: Option<&Path>, content: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    match output {
        None => {
            let mut stdout = std::io::stdout().lock();
            match stdout.write_all(content.as_bytes()).and_then(|_| stdout.flush()) {
                // A closed pipe (`customs sbom | head`) is the reader's choice, not an error.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.context("cannot write to stdout"),
            }
        }
        // Devices and pipes (`-o /dev/stdout`, `-o /dev/null`) are written in place:
        // renaming over them would replace the device.
        Some(path) if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) => {
            std::fs::write(path, content).with_context(|| format!("cannot write {}", path.display()))
        }
        Some(path) => {
            let tmp = temp_sibling(path);
            std::fs::write(&tmp, content).with_context(|| format!("cannot write {}", tmp.display()))?;
            std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
        }
    }
}

fn temp_sibling(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every long flag of every command, with its environment variable.
    fn flags(command: &clap::Command, out: &mut Vec<(String, Option<String>)>) {
        for arg in command.get_arguments() {
            if let Some(long) = arg.get_long() {
                out.push((long.to_string(), arg.get_env().map(|e| e.to_string_lossy().into_owned())));
            }
        }
        command.get_subcommands().for_each(|sub| flags(sub, out));
    }

    #[test]
    fn every_long_flag_has_a_customs_variable_except_the_colliding_ones() {
        let command = command();
        command.clone().debug_assert();
        let mut all = Vec::new();
        flags(&command, &mut all);
        assert!(all.len() > 60, "{all:?}");
        for (long, env) in &all {
            match env {
                None => assert!(NO_ENVIRONMENT.contains(&long.as_str()), "--{long} has no variable"),
                Some(env) => assert!(
                    env == &environment_name(long) || long == "cache-dir" || env.starts_with("CUSTOMS_"),
                    "--{long}: {env}"
                ),
            }
        }
        let env_of = |long: &str| all.iter().find(|(l, _)| l == long).and_then(|(_, e)| e.clone());
        assert_eq!(env_of("fail-on").as_deref(), Some("CUSTOMS_FAIL_ON"));
        assert_eq!(env_of("catalog-page-size").as_deref(), Some("CUSTOMS_CATALOG_PAGE_SIZE"));
        assert_eq!(env_of("registry"), None);
        assert_eq!(env_of("password"), None);
    }

    #[test]
    fn named_values_are_taken_in_any_case() {
        let parse = |args: &[&str]| Cli::from_arg_matches(&command().try_get_matches_from(args).unwrap()).unwrap();
        let Command::Scan(scan) = parse(&["customs", "scan", "-f", "SARIF", "--unrated", "Ignore"]).command else {
            panic!("not scan")
        };
        assert_eq!((scan.format, scan.unrated), (Some(scan::ScanFormat::Sarif), Some(customs::scan::Unrated::Ignore)));
        let Command::Verify(verify) = parse(&["customs", "verify", "r/x", "-f", "JSON"]).command else {
            panic!("not verify")
        };
        assert_eq!(verify.format, verify::VerifyFormat::Json);
    }
}
