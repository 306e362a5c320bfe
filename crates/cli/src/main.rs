//! `veriff-mock`: parse, run, turn an error into one line and an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let mut io = veriff_mock::Io {
        out: &mut stdout.lock(),
        err: &mut stderr.lock(),
    };
    ExitCode::from(veriff_mock::main_with(std::env::args_os(), &mut io))
}
