//! `veriff-mock`: parse, run, turn an error into one line and an exit code.

use std::io::IsTerminal;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Not locked for the whole run: the terminal UI writes to the terminal from its own thread.
    let mut stdout = std::io::stdout();
    let mut stderr = std::io::stderr();
    let terminal = stdout.is_terminal();
    let mut io = veriff_mock::Io {
        out: &mut stdout,
        err: &mut stderr,
        terminal,
    };
    ExitCode::from(veriff_mock::main_with(std::env::args_os(), &mut io))
}
