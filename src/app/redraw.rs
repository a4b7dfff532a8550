//! `reunify report DIR`: redraws the charts and `report.html` of a saved output folder from
//! its tables, without re-running.

use std::path::Path;
use std::time::Instant;

use super::{AppError, staging};

/// `reunify report DIR`: draws into a temporary folder inside `DIR`, then moves each file
/// into place, so a failure leaves the previous report intact.
pub fn redraw_report(dir: &Path) -> Result<(), AppError> {
    super::files::check_run_folder(dir)?;
    let started = Instant::now();
    let staged = staging::StagedDir::new(&dir.join("report-staging"))?;
    crate::report::write_report_into(dir, staged.path(), None)?;
    for entry in std::fs::read_dir(staged.path())? {
        let entry = entry?;
        std::fs::rename(entry.path(), dir.join(entry.file_name()))?;
    }
    drop(staged);
    println!("wrote {} in {:.2} s", dir.join("report.html").display(), started.elapsed().as_secs_f64());
    Ok(())
}
