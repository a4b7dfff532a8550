//! `reunify compare A B`: two saved runs side by side, on the terminal and as one HTML page,
//! written where no result of ours or of the user's is overwritten ([`super::staging::check_file`]).

use std::path::Path;

use anyhow::Context;

use super::{AppError, staging, write_atomically};
use crate::results::{RunResults, SummaryFile};

/// A run's results, read through the one bundle type: an error says the folder is not a run's.
fn read_results(dir: &Path) -> Result<RunResults, AppError> {
    super::files::check_run_folder(dir)?;
    RunResults::read(dir).with_context(|| format!("cannot read the run in {}", dir.display())).map_err(AppError::bad)
}

/// `reunify compare A B [--out PAGE]`.
pub fn compare_command(a: &Path, b: &Path, out: Option<&Path>) -> Result<(), AppError> {
    let (ra, rb) = (read_results(a)?, read_results(b)?);
    let (sa, sb) = (&ra.summary, &rb.summary);
    let (na, nb) = (a.display().to_string(), b.display().to_string());
    print!("{}", crate::report::compare::text(&na, sa, &nb, sb));
    let html = crate::report::compare::page(&na, sa, &nb, sb)?;
    // Named after both folders, so that two runs of one scenario do not share a name.
    let folder = |p: &Path, s: &SummaryFile| {
        std::fs::canonicalize(p)
            .ok()
            .and_then(|c| c.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| s.scenario.clone())
    };
    let default =
        b.parent().unwrap_or(Path::new(".")).join(format!("compare-{}-vs-{}.html", folder(a, sa), folder(b, sb)));
    let path = out.map(Path::to_path_buf).unwrap_or(default);
    staging::check_file(&path, staging::Replace::OwnPage)?;
    write_atomically(&path, &html)?;
    println!("Comparison: {}", path.display());
    Ok(())
}
