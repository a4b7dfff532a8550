//! Result folders that are never half-written, never mixed, and never put over a user's files.
//!
//! A run writes into a hidden staging folder beside its destination (`.NAME.tmp-PID`) and puts
//! it in place in one step: a plain `rename` when the destination is absent, and otherwise
//! Linux's `renameat2(RENAME_EXCHANGE)`, which swaps the two folders atomically. A kill at
//! any instant therefore leaves the destination holding one whole result, the old or the new;
//! the old one is then in the staging name and is deleted. Leftovers of killed runs
//! (`.NAME.tmp-*`, and `.NAME.old` from versions that swapped with two renames) are removed
//! by the next run into the same folder.
//!
//! Two runs into one folder are kept apart by a lock file, `.NAME.lock`, created exclusively
//! and naming its holder (pid, host, start time). A lock whose process is gone on this host
//! is stale and taken over, and so is an empty lock older than a minute (a run that died, or
//! a disk that filled, between creating it and writing it). The destination must be absent,
//! an empty folder, or a previous reunify result: a folder holding the marker file
//! [`MARKER`], which only reunify writes, with its own first line ([`MARK`]). A `run.json`,
//! `fit.json` or `manifest.json` alone proves nothing (anyone's folder may hold one), so
//! anything else is the user's and is refused. An input of the command (the scenario being
//! run, the 903 files being read) is never inside the folder it replaces
//! ([`check_destination_for`]).
//!
//! Every staging folder and lock is registered with [`super::interrupt`], which removes them
//! when a SIGINT or SIGTERM ends the process; the commit holds the same registry lock, so a
//! signal lands either before the swap (nothing changes) or after it (the new result stands).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use thiserror::Error;

use super::interrupt;

/// Why a staging folder could not be set up or committed.
#[derive(Debug, Error)]
pub enum StageError {
    /// The destination holds something that is not a reunify result (exit code 2).
    #[error("{path}: {reason}; choose another --out, or move it away first")]
    NotAResult { path: String, reason: String },
    /// A file a command writes whole may not be written there (exit code 2); the reason says
    /// what to do.
    #[error("{path}: {reason}")]
    Refused { path: String, reason: String },
    /// Another live run holds the destination's lock (exit code 1).
    #[error(
        "{path} is being written by another reunify run ({holder}); wait for it to finish, or delete {lock} if that process is gone"
    )]
    Busy { path: String, holder: String, lock: String },
    #[error("{0:#}")]
    Io(#[from] anyhow::Error),
}

impl StageError {
    /// The process exit code: 2 when the destination is the user's mistake, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            StageError::NotAResult { .. } | StageError::Refused { .. } => super::EXIT_BAD_INPUT,
            _ => super::EXIT_RUN_FAILED,
        }
    }
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> StageError {
    move |e| StageError::Io(anyhow::anyhow!("{context}: {e}"))
}

/// The marker file of a result folder, and the first line only reunify writes in it.
pub const MARKER: &str = ".reunify";
pub const MARK: &str = "reunify result folder";

/// What a result folder holds, named in its marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A run's (or merge's) output.
    Run,
    /// An `import-903` fit.
    Fit,
    /// One shard of a split run, or one block of a checkpointed run.
    Shard,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Run => "run",
            Kind::Fit => "import-903 fit",
            Kind::Shard => "shard",
        }
    }
}

/// Checks that `dest` may be replaced: absent, an empty folder, or a reunify result folder.
pub fn check_destination(dest: &Path) -> Result<(), StageError> {
    let shown = dest.display().to_string();
    let refuse = |reason: &str| Err(StageError::NotAResult { path: shown.clone(), reason: reason.into() });
    let meta = match fs::symlink_metadata(dest) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(format!("cannot inspect {shown}"))(e)),
        Ok(m) => m,
    };
    if meta.file_type().is_symlink() {
        return refuse("is a symbolic link, not a reunify output folder");
    }
    if !meta.is_dir() {
        return refuse("is a file, not a reunify output folder");
    }
    if result_marker(dest).is_some() {
        return Ok(());
    }
    let mut entries = fs::read_dir(dest).map_err(io(format!("cannot read {shown}")))?;
    if entries.next().is_none() {
        return Ok(());
    }
    refuse(&format!(
        "is a folder that is not empty and has no {MARKER} file of reunify's, so it is not a reunify result (a result written before reunify marked its folders, or someone else's folder)"
    ))
}

/// [`check_destination`], and no input of the command inside `dest`: replacing the folder
/// would delete the file being read (a scenario with the user's edits, say).
pub fn check_destination_for(dest: &Path, inputs: &[&Path]) -> Result<(), StageError> {
    check_destination(dest)?;
    let Ok(root) = fs::canonicalize(dest) else { return Ok(()) };
    for input in inputs {
        let Ok(p) = fs::canonicalize(input) else { continue };
        if p.starts_with(&root) {
            return Err(StageError::Refused {
                path: dest.display().to_string(),
                reason: format!(
                    "holds {}, an input of this command, and writing here would replace it; choose another --out, or copy the input out first",
                    input.display()
                ),
            });
        }
    }
    Ok(())
}

/// What kind of result `dir` holds, when it is one: it has a [`MARKER`] file whose first line
/// is reunify's.
pub fn result_marker(dir: &Path) -> Option<String> {
    let path = dir.join(MARKER);
    let meta = fs::symlink_metadata(&path).ok()?;
    if !meta.is_file() || meta.len() > 4096 {
        return None;
    }
    let text = fs::read_to_string(path).ok()?;
    let kind = text.lines().next()?.strip_prefix(MARK)?.strip_prefix(": ")?;
    Some(kind.to_string())
}

/// Writes the marker of a result folder of `kind` into `dir`.
fn write_marker(dir: &Path, kind: Kind) -> Result<(), StageError> {
    let text = format!(
        "{MARK}: {}\nWritten by reunify {}. reunify replaces this folder whole when asked to write into it again; do not keep other files here.\n",
        kind.name(),
        env!("CARGO_PKG_VERSION")
    );
    fs::write(dir.join(MARKER), text).map_err(io(format!("cannot write {}", dir.join(MARKER).display())))
}

/// Checks a folder that a command adds a few files to (`pilot --out`, `reproduce --external
/// --out`): it must not be a result folder, whose files belong to its own report and summary.
pub fn check_side_folder(dir: &Path) -> Result<(), StageError> {
    if let Some(m) = result_marker(dir) {
        return Err(StageError::NotAResult {
            path: dir.display().to_string(),
            reason: format!("is a reunify result folder (a {m}), and its files belong to its own report"),
        });
    }
    if dir.exists() && !dir.is_dir() {
        return Err(StageError::NotAResult {
            path: dir.display().to_string(),
            reason: "is a file, not a folder".into(),
        });
    }
    Ok(())
}

/// The mark a page that reunify writes on its own carries, so that it may replace it.
pub const PAGE_MARK: &str = r#"<meta name="generator" content="reunify compare">"#;

/// What a command that writes one file whole may replace there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replace {
    /// A file of the user's only when asked (`init`, `import-dfe`: `--force`).
    WhenForced(bool),
    /// Only a page this command wrote before (`compare --out`), which carries [`PAGE_MARK`].
    OwnPage,
}

/// The one guard of every command that writes a single file (`init`, `import-dfe`,
/// `compare --out`), checked before any work; the file is then written whole by
/// [`super::write_atomically`]. As for folders: nothing is written into a result folder
/// (its files belong to its own report and summary), a folder or symbolic link is never
/// replaced, and a file is replaced only as `replace` allows.
pub fn check_file(path: &Path, replace: Replace) -> Result<(), StageError> {
    let shown = path.display().to_string();
    let refuse = |reason: String| Err(StageError::Refused { path: shown.clone(), reason });
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if let Some(m) = result_marker(parent) {
        return refuse(format!(
            "is inside a reunify result folder ({}, a {m}), whose files belong to its own report; write it elsewhere",
            parent.display()
        ));
    }
    let meta = match fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(format!("cannot inspect {shown}"))(e)),
        Ok(m) => m,
    };
    if meta.is_dir() {
        return refuse("is a folder; name a file".into());
    }
    match replace {
        Replace::WhenForced(true) if meta.file_type().is_file() => Ok(()),
        Replace::WhenForced(true) => refuse("is a symbolic link, not a file; remove it first".into()),
        Replace::WhenForced(false) => refuse("exists; pass --force to overwrite it".into()),
        Replace::OwnPage => match fs::read(path) {
            Ok(bytes) if meta.file_type().is_file() && String::from_utf8_lossy(&bytes).contains(PAGE_MARK) => Ok(()),
            _ => refuse(
                "exists and is not a comparison page reunify wrote; choose another --out, or move it away first".into(),
            ),
        },
    }
}

/// An exclusive lock on an output folder, removed when dropped.
pub struct OutputLock {
    path: PathBuf,
}

fn host_name() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname").map(|s| s.trim().to_string()).unwrap_or_default()
}

/// True when process `pid` exists on this machine (or may: a permission error means it does).
fn process_alive(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill with signal 0 sends nothing; it only checks that the process exists.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// An empty lock older than a minute: no run takes that long to write 80 bytes.
fn stale_empty(m: &fs::Metadata) -> bool {
    m.len() == 0 && m.modified().ok().and_then(|t| t.elapsed().ok()).is_some_and(|age| age.as_secs() >= 60)
}

/// The lock's holder as the lock file records it.
struct Holder {
    pid: i32,
    host: String,
    text: String,
}

fn read_holder(path: &Path) -> Option<Holder> {
    let text = fs::read_to_string(path).ok()?;
    let field = |k: &str| text.lines().find_map(|l| l.strip_prefix(k)).map(|v| v.trim().to_string());
    let pid = field("pid=")?.parse().ok()?;
    let host = field("host=").unwrap_or_default();
    let summary = format!(
        "pid {pid} on {}, started {}",
        if host.is_empty() { "an unknown host" } else { &host },
        field("started=").unwrap_or_else(|| "at an unknown time".into())
    );
    Some(Holder { pid, host, text: summary })
}

impl OutputLock {
    /// Takes the lock on `dest` (a file `.NAME.lock` in its parent), taking over a lock whose
    /// process is gone on this host.
    pub fn acquire(dest: &Path) -> Result<OutputLock, StageError> {
        let (parent, name) = split(dest)?;
        let path = parent.join(format!(".{name}.lock"));
        let started = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let body = format!(
            "reunify output lock\npid={}\nhost={}\nstarted={} (seconds since 1970, UTC)\n",
            std::process::id(),
            host_name(),
            started
        );
        for _ in 0..3 {
            match fs::OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    // A lock that cannot be written whole (a full disk) is removed at once:
                    // left empty, it would look like a run starting and block the folder.
                    if let Err(e) = f.write_all(body.as_bytes()).and_then(|_| f.sync_all()) {
                        drop(f);
                        fs::remove_file(&path).ok();
                        return Err(io(format!("cannot write {}", path.display()))(e));
                    }
                    return Ok(OutputLock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => match read_holder(&path) {
                    Some(h) if h.host == host_name() && !process_alive(h.pid) => {
                        fs::remove_file(&path).ok();
                    }
                    // A lock with text that is not a holder is garbage; an empty one is being
                    // written by a run that is starting, which is live, unless it is older
                    // than a minute (its run died before writing it).
                    None if fs::metadata(&path).is_ok_and(|m| m.len() > 0 || stale_empty(&m)) => {
                        fs::remove_file(&path).ok();
                    }
                    h => {
                        return Err(StageError::Busy {
                            path: dest.display().to_string(),
                            holder: h.map(|h| h.text).unwrap_or_else(|| "starting".into()),
                            lock: path.display().to_string(),
                        });
                    }
                },
                Err(e) => return Err(io(format!("cannot create {}", path.display()))(e)),
            }
        }
        Err(StageError::Io(anyhow::anyhow!("cannot take the lock {}", path.display())))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        fs::remove_file(&self.path).ok();
    }
}

fn split(dest: &Path) -> Result<(PathBuf, String), StageError> {
    let parent = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
    let name = dest
        .file_name()
        .ok_or_else(|| StageError::Io(anyhow::anyhow!("output folder {} has no name", dest.display())))?
        .to_string_lossy()
        .to_string();
    Ok((parent, name))
}

/// Removes what killed runs into `parent/name` left behind. Called with the lock held, so no
/// live run owns any of them.
fn remove_stale(parent: &Path, name: &str) {
    let Ok(entries) = fs::read_dir(parent) else { return };
    let tmp = format!(".{name}.tmp-");
    let old = format!(".{name}.old");
    for e in entries.flatten() {
        let n = e.file_name().to_string_lossy().to_string();
        if n.starts_with(&tmp) || n == old {
            fs::remove_dir_all(e.path()).ok();
        }
    }
}

/// A folder being written; swapped into place by [`StagedDir::commit`], removed on drop
/// otherwise.
pub struct StagedDir {
    tmp: PathBuf,
    dest: PathBuf,
    committed: bool,
    /// Held until the staging folder is committed or dropped.
    _lock: OutputLock,
}

impl StagedDir {
    /// Locks `dest`, checks that it may be replaced and holds none of `inputs`, removes stale
    /// staging, and creates a new staging folder with the marker of a result of `kind`.
    pub fn new(dest: &Path, kind: Kind, inputs: &[&Path]) -> Result<Self, StageError> {
        let (parent, name) = split(dest)?;
        fs::create_dir_all(&parent).map_err(io(format!("cannot create {}", parent.display())))?;
        let lock = OutputLock::acquire(dest)?;
        check_destination_for(dest, inputs)?;
        remove_stale(&parent, &name);
        let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
        // Register before creating, so a signal between the two still removes it.
        interrupt::register(&tmp, lock.path(), dest);
        fs::create_dir(&tmp).map_err(io(format!("cannot create {}", tmp.display())))?;
        let staged = StagedDir { tmp, dest: dest.to_path_buf(), committed: false, _lock: lock };
        write_marker(&staged.tmp, kind)?;
        Ok(staged)
    }

    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// Puts the finished folder in place in one atomic step, then deletes the old result.
    pub fn commit(mut self) -> Result<PathBuf, StageError> {
        {
            // Holding the registry lock keeps a signal handler from removing the staging
            // folder mid-swap: a signal now waits until the swap is done.
            let mut registry = interrupt::hold();
            check_destination(&self.dest)?;
            swap_into_place(&self.tmp, &self.dest)?;
            self.committed = true;
            registry.retain(|s| s.staging != self.tmp);
        }
        super::stdout::committed(&self.dest);
        // After the swap `tmp` holds the previous result, if there was one; a kill during this
        // removal leaves it as stale staging for the next run to remove.
        fs::remove_dir_all(&self.tmp).ok();
        // The lock goes with `self`, after the old result is removed.
        Ok(self.dest.clone())
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if !self.committed {
            fs::remove_dir_all(&self.tmp).ok();
            interrupt::unregister(&self.tmp);
        }
    }
}

/// Moves `tmp` to `dest`: a rename when `dest` is absent, an atomic exchange otherwise.
fn swap_into_place(tmp: &Path, dest: &Path) -> Result<(), StageError> {
    let shown = dest.display().to_string();
    if fs::symlink_metadata(dest).is_err() {
        return fs::rename(tmp, dest).map_err(io(format!("cannot move results into {shown}")));
    }
    exchange(tmp, dest).map_err(io(format!("cannot swap results into {shown}")))
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let ca = CString::new(a.as_os_str().as_bytes())?;
    let cb = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both are valid NUL-terminated paths; renameat2 only reads them.
    let r = unsafe { libc::renameat2(libc::AT_FDCWD, ca.as_ptr(), libc::AT_FDCWD, cb.as_ptr(), libc::RENAME_EXCHANGE) };
    if r == 0 {
        return Ok(());
    }
    let e = std::io::Error::last_os_error();
    // File systems without RENAME_EXCHANGE (some network ones) get the two-rename swap.
    if matches!(e.raw_os_error(), Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::EOPNOTSUPP)) {
        return two_renames(a, b);
    }
    Err(e)
}

#[cfg(not(target_os = "linux"))]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    two_renames(a, b)
}

/// The fallback swap: `b` aside to a unique name, `a` into `b`, and the old one into `a`'s
/// name (so that the caller deletes it). A kill between the renames leaves `b` missing but
/// the old result whole under `.NAME.tmp-PID-old`, which the next run removes.
fn two_renames(a: &Path, b: &Path) -> std::io::Result<()> {
    let aside = PathBuf::from(format!("{}-old", a.display()));
    fs::rename(b, &aside)?;
    if let Err(e) = fs::rename(a, b) {
        fs::rename(&aside, b).ok();
        return Err(e);
    }
    fs::rename(&aside, a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exchange_swaps_two_folders() {
        let d = tempfile::tempdir().unwrap();
        let (a, b) = (d.path().join("a"), d.path().join("b"));
        fs::create_dir(&a).unwrap();
        fs::create_dir(&b).unwrap();
        fs::write(a.join("x"), "new").unwrap();
        fs::write(b.join("x"), "old").unwrap();
        exchange(&a, &b).unwrap();
        assert_eq!(fs::read_to_string(b.join("x")).unwrap(), "new");
        assert_eq!(fs::read_to_string(a.join("x")).unwrap(), "old");
    }

    #[test]
    fn a_lock_of_a_dead_process_is_taken_over_and_a_live_one_is_not() {
        let d = tempfile::tempdir().unwrap();
        let dest = d.path().join("res");
        let lock = d.path().join(".res.lock");
        // pid 0x3fff_fff0 is above Linux's pid_max, so no process has it.
        fs::write(&lock, format!("pid={}\nhost={}\n", 0x3fff_fff0, host_name())).unwrap();
        let l = OutputLock::acquire(&dest).unwrap();
        assert!(fs::read_to_string(&lock).unwrap().contains(&format!("pid={}", std::process::id())));
        let e = OutputLock::acquire(&dest).err().unwrap();
        assert!(e.to_string().contains(&format!("pid {}", std::process::id())), "{e}");
        drop(l);
        assert!(!lock.exists());
    }
}
