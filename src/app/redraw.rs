//! `reunify report DIR`: redraws the charts and `report.html` of a saved output folder from
//! its tables, without re-running.
//!
//! A redraw is staged like any other write: the folder's files are linked (or copied) into a
//! staging folder, the report is drawn there, and the whole folder is swapped into place in
//! one step. A failure at any point leaves the folder as it was, every chart included.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;

use super::{AppError, staging};

/// `reunify report DIR`.
pub fn redraw_report(dir: &Path) -> Result<(), AppError> {
    super::files::check_run_folder(dir)?;
    if staging::result_marker(dir).is_none() {
        return Err(AppError::bad(anyhow::anyhow!(
            "{} has no {} marker, so it is not a folder reunify wrote (or it was written before reunify marked its folders); `reunify report` redraws only reunify's own result folders: run the scenario again to get one",
            dir.display(),
            staging::MARKER
        )));
    }
    let started = Instant::now();
    let staged = staging::StagedDir::new(dir, staging::Kind::Run, &[])?;
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        let target = staged.path().join(&name);
        // The marker is the staging folder's own, and the page and charts are drawn afresh
        // (never written through a link into the folder being replaced); anything but a
        // plain file is left out, since a result folder holds only files.
        let drawn = Path::new(&name).extension().is_some_and(|e| e == "svg" || e == "png") || name == "report.html";
        if name == staging::MARKER || drawn || !entry.file_type()?.is_file() {
            continue;
        }
        if std::fs::hard_link(entry.path(), &target).is_err() {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("cannot copy {} for the redraw", entry.path().display()))?;
        }
    }
    crate::report::write_report_into(staged.path(), staged.path(), None)?;
    let done = staged.commit()?;
    super::stdout::after_commit(
        &done,
        &format!("wrote {} in {:.2} s\n", done.join("report.html").display(), started.elapsed().as_secs_f64()),
    )?;
    Ok(())
}
