//! Standard output that ends well: a reader that stops reading (`reunify tornado X | head`)
//! ends the process quietly, as it ends `cat`, and a standard output that cannot be written
//! (`reunify init > /dev/full`) is a clear error with exit code 1, never a panic.
//!
//! Rust ignores SIGPIPE, so a closed pipe makes every `println!` fail, and `println!` panics
//! on failure. [`install`] restores SIGPIPE's default action (the process ends at the first
//! write to a closed pipe, silently) and installs a panic hook that turns the panic of a
//! failed print into the error message a user should read. Commands that write a whole
//! document to standard output ([`write_all`]) report the error themselves.
//!
//! A command whose result folder is already in place when printing fails says so: the error
//! names the folder written ([`committed`], [`after_commit`]), so nobody re-runs an hour's
//! work that succeeded, or trusts a folder that was never written.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The result folder this process last put in place, for the error of a print that fails
/// after it.
static COMMITTED: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Records that `dir` now holds this process's result whole.
pub fn committed(dir: &Path) {
    *COMMITTED.lock().unwrap_or_else(|p| p.into_inner()) = Some(dir.to_path_buf());
}

/// ", and the result is written in full to DIR" when a folder is in place, else nothing.
fn written_note() -> String {
    match &*COMMITTED.lock().unwrap_or_else(|p| p.into_inner()) {
        Some(d) => {
            format!("; the result is written in full to {} (only this message could not be printed)", d.display())
        }
        None => String::new(),
    }
}

/// Restores SIGPIPE's default and installs the hook; the binary calls it once at start.
pub fn install() {
    // SAFETY: setting a signal's disposition to its default has no preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if let Some(reason) = message.strip_prefix("failed printing to stdout: ") {
            eprintln!("error: cannot write to standard output: {reason}{}", written_note());
            std::process::exit(super::EXIT_RUN_FAILED);
        }
        default(info);
    }));
}

/// Prints `text` after the result folder `dir` is in place: a standard output that cannot
/// be written is an error that says the result is written.
pub fn after_commit(dir: &Path, text: &str) -> anyhow::Result<()> {
    committed(dir);
    write_all(text).map_err(|e| anyhow::anyhow!("{e}{}", written_note()))
}

/// Writes `text` to standard output whole, or says why not; a closed pipe is not an error.
pub fn write_all(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(anyhow::anyhow!("cannot write to standard output: {e}")),
        Ok(()) => Ok(()),
    }
}
