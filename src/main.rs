fn main() -> std::process::ExitCode {
    customs::cli::run()
}
