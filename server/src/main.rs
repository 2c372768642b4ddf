use std::process::ExitCode;

fn main() -> ExitCode {
    mismatch_server::cli::main()
}
