//! Entry point: parse, run, turn the outcome into an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    rerecord::main_with_args(std::env::args_os())
}
