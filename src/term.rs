//! Whether we may prompt: never when stdin or stderr is not a terminal, or when `CI` is set.

use std::io::IsTerminal;

pub fn can_prompt() -> bool {
    std::env::var_os("CI").is_none()
        && std::io::stdin().is_terminal()
        && std::io::stderr().is_terminal()
}
