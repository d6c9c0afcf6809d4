//! The `customs` command: the command line ([`cli`]) over the library, which does the work.

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
