//! Reading and writing the files a person hands to reunify or gets back: scenarios (read and
//! validated, warnings printed), text in UTF-8 only (naming the encoding when it is not), and
//! single files written whole through a temporary file renamed into place.

use std::path::Path;

use anyhow::{Context, Result, anyhow};

use super::AppError;
use crate::scenario::Scenario;

/// Reads and validates a scenario file; every failure is bad input.
pub fn load_scenario(path: &Path) -> Result<Scenario, AppError> {
    load_scenario_text(path).map(|(sc, _)| sc)
}

/// Reads and validates a scenario file, returning its text too (run.json hashes it).
pub(crate) fn load_scenario_text(path: &Path) -> Result<(Scenario, String), AppError> {
    let text = read_scenario_source(path).map_err(AppError::bad)?;
    let sc = Scenario::from_toml_str(&text, &path.display().to_string())?;
    for w in &sc.warnings {
        eprintln!("warning: {w}");
    }
    Ok((sc, text))
}

/// A scenario's text: the file at `path`, or, when there is no such file, the built-in copy
/// of the shipped scenario it names (`england-2012-13`, `scenarios/england-2012-13.toml`),
/// so that the README's commands work from any folder after `cargo install`.
pub fn read_scenario_source(path: &Path) -> Result<String> {
    if !path.exists()
        && let Some((_, text)) = path.to_str().and_then(crate::scenario::shipped::find)
    {
        return Ok(text.to_string());
    }
    read_text(path)
}

/// Writes `text` to `path` through a temporary file beside it, renamed into place; the
/// temporary file is removed on any failure.
pub fn write_atomically(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).with_context(|| format!("cannot write in {}", dir.display()))?;
    tmp.write_all(text.as_bytes()).with_context(|| format!("cannot write {}", path.display()))?;
    // A temporary file is private (0600); the file it becomes gets what the user's umask
    // gives any new file, as `>` in a shell would.
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = 0o666 & !umask();
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    tmp.persist(path).map_err(|e| anyhow!("cannot write {}: {}", path.display(), e.error))?;
    Ok(())
}

/// The process's umask, read from `/proc/self/status` (reading it with `umask(2)` would
/// change it for a moment under other threads); 022 where that is not there.
fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix("Umask:").and_then(|v| u32::from_str_radix(v.trim(), 8).ok()))
        })
        .unwrap_or(0o022)
}

/// Reads a text file, naming the file and, for text that is not UTF-8, the encoding.
/// Refuses, before any work, a folder that is not a run's output folder (`report DIR`,
/// `compare A B`): one without `summary.json`.
pub(crate) fn check_run_folder(dir: &Path) -> Result<(), AppError> {
    if dir.join("summary.json").is_file() {
        Ok(())
    } else {
        Err(AppError::bad(anyhow!("{} is not a reunify output folder (it has no summary.json)", dir.display())))
    }
}

/// The largest text file read whole (a scenario, a template).
pub const MAX_TEXT_FILE: u64 = 16 << 20;

pub fn read_text(path: &Path) -> Result<String> {
    let shown = path.display();
    if path.is_dir() {
        return Err(anyhow!("cannot read {shown}: it is a folder, not a file"));
    }
    // Bounded, so that a device that never ends (/dev/zero) or a huge file is refused at once.
    let mut bytes = Vec::new();
    {
        use std::io::Read;
        let f = std::fs::File::open(path).map_err(|e| anyhow!("cannot read {shown}: {e}"))?;
        f.take(MAX_TEXT_FILE + 1).read_to_end(&mut bytes).map_err(|e| anyhow!("cannot read {shown}: {e}"))?;
    }
    if bytes.len() as u64 > MAX_TEXT_FILE {
        return Err(anyhow!("cannot read {shown}: it is larger than 16 MiB, which no scenario or template is"));
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(anyhow!(
            "{shown} is UTF-16 text; save it as UTF-8 (in Excel: CSV UTF-8; in Notepad: Save as, Encoding UTF-8)"
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..at].iter().filter(|b| **b == b'\n').count() + 1;
        anyhow!(
            "{shown}: line {line}: byte {at} is not UTF-8; save the file as UTF-8 (Windows-1252 and other encodings are not read)"
        )
    })
}
