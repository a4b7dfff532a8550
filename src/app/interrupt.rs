//! SIGINT and SIGTERM: stop at once, remove what this run staged, keep the previous result.
//!
//! Ctrl-C sends SIGINT; Slurm's `scancel` and a job's time limit send SIGTERM. Both end the
//! process within the handler: it takes the registry lock (so it never lands inside a
//! commit's swap, see [`super::staging`]), removes every registered staging folder and lock
//! file, says "interrupted; previous results in DIR kept", and exits with 130. Ending the
//! process from the handler, rather than asking the engine to wind down, stops a run in any
//! phase (simulation, analyses, writing tables, drawing charts) without the core knowing
//! about signals.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Exit code of a run ended by a signal.
pub const EXIT_INTERRUPTED: i32 = 130;

pub struct Staged {
    pub staging: PathBuf,
    lock: PathBuf,
    dest: PathBuf,
}

static ACTIVE: Mutex<Vec<Staged>> = Mutex::new(Vec::new());
static REQUESTED: AtomicBool = AtomicBool::new(false);

fn active() -> MutexGuard<'static, Vec<Staged>> {
    ACTIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Records a staging folder and its lock, to be removed if a signal ends the process.
pub fn register(staging: &Path, lock: &Path, dest: &Path) {
    active().push(Staged { staging: staging.into(), lock: lock.into(), dest: dest.into() });
}

/// Forgets a staging folder (committed or removed).
pub fn unregister(staging: &Path) {
    active().retain(|s| s.staging != staging);
}

/// Holds the registry so that a signal handler waits until the caller is done.
pub fn hold() -> MutexGuard<'static, Vec<Staged>> {
    active()
}

/// True once a signal has arrived; the handler is then about to end the process.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// Installs the handler for SIGINT, SIGTERM and SIGHUP. Called once by the binary.
pub fn install() {
    // An error here means a handler is already installed (a second call); the first stands.
    let _ = ctrlc::set_handler(|| {
        REQUESTED.store(true, Ordering::SeqCst);
        let staged = active();
        for s in staged.iter() {
            // A file being created while the folder is removed makes one pass fail; retry.
            for _ in 0..5 {
                if std::fs::remove_dir_all(&s.staging).is_ok() || !s.staging.exists() {
                    break;
                }
            }
            std::fs::remove_file(&s.lock).ok();
        }
        match staged.first() {
            Some(s) if s.dest.join("run.json").is_file() => {
                eprintln!("interrupted; previous results in {} kept", s.dest.display())
            }
            Some(s) => eprintln!("interrupted; nothing was written to {}", s.dest.display()),
            None => eprintln!("interrupted"),
        }
        std::process::exit(EXIT_INTERRUPTED);
    });
}
