//! Standard output for every command, and the stderr lines that tell the user something
//! ([`say`], [`note`], [`warn`]). A reader that goes away early (`rerecord report | head`)
//! ends the process quietly with exit 0, as ripgrep does, instead of the panic `println!` makes
//! of a broken pipe. Only writes to our own stdout are treated so: a broken pipe anywhere else
//! (a socket, a child process) stays an error.

use std::fmt;
use std::io::{self, Write};

/// Our stdout; `lock()` it like `std::io::stdout()`.
pub(crate) struct Stdout;

/// The locked stdout: every write and flush maps a closed reader to a quiet exit.
pub(crate) struct StdoutLock(io::StdoutLock<'static>);

pub(crate) fn stdout() -> Stdout {
    Stdout
}

impl Stdout {
    pub(crate) fn lock(&self) -> StdoutLock {
        StdoutLock(io::stdout().lock())
    }
}

impl Write for StdoutLock {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf).map_err(reader_gone)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush().map_err(reader_gone)
    }
}

/// Exit at once (status 0) when the reader of our stdout is gone; any other error is returned.
fn reader_gone(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    e
}

/// What `print!` does, without its panic: used through [`out!`] and [`outln!`]. An error other
/// than a closed reader (a full disk behind a redirect) ends the process with exit 1 and says so.
pub(crate) fn print(args: fmt::Arguments<'_>) {
    let mut out = stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        eprintln!("error: failed to write to standard output: {e}");
        std::process::exit(1);
    }
}

/// `print!` on [`stdout`]: quiet exit when the reader is gone.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::print(format_args!($($arg)*))
    };
}

/// `println!` on [`stdout`]: quiet exit when the reader is gone.
macro_rules! outln {
    () => {
        $crate::output::print(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::print(format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {out, outln};

/// Tell the user something on stderr (progress, what was found): one defused line or more, since
/// it may quote the API, artifacts or the PR (`::` and `##[` cannot become log commands).
pub(crate) fn say(msg: &str) {
    eprintln!("{}", crate::neutralise::safe_lines(msg));
}

/// [`say`] with `note: `: something worth knowing that changes nothing.
pub(crate) fn note(msg: &str) {
    eprintln!("note: {}", crate::neutralise::safe_lines(msg));
}

/// [`say`] with `warning: `: something that may be wrong, while the command goes on.
pub(crate) fn warn(msg: &str) {
    eprintln!("warning: {}", crate::neutralise::safe_lines(msg));
}
