//! A run's results as one value, [`RunResults`]: `summary.json` and every summary table, made
//! from the run's analyses, written into its folder and read back from it by this one type.
//!
//! `run`, `merge` and the what-if server make it ([`RunResults::new`]); `run` and `merge` write
//! it ([`RunResults::write`]: the tables as CSV, the workbook and `DATA.md`); the report,
//! `report DIR` and `compare` read it ([`RunResults::read`]). Writing and then reading a folder
//! gives the same value back, which a test checks, so the list of tables written and the list
//! read cannot drift apart. The per-iteration tables (`iterations`, `parameters`, `budget`) are
//! not held here: they can be millions of rows, so the run streams them into the folder as it
//! simulates, and the report sums `iterations` row by row.

use std::path::Path;

use anyhow::{Context, Result};

use crate::analyses::Analyses;
use crate::analysis::CurvePoint;
use crate::decision::{AcceptPoint, TornadoRow, TwoWayPoint};
use crate::digest::RunDigest;
use crate::pilot::EvsiRow;
use crate::scenario::Scenario;
use crate::validation::ValidationRow;
use crate::voi::VoiRow;
use crate::wtp::{FrontierRow, VoiAtWtp, WtpPoint};

use super::table::{self, Formats, Table};
use super::tables::AuthorityRow;
use super::{SummaryFile, authority_rows, dictionary, workbook};

/// Everything a run's folder holds but its per-iteration tables and `run.json`. A table the
/// run had nothing for is empty and is not written.
#[derive(Clone, Debug, PartialEq)]
pub struct RunResults {
    /// `summary.json`: the headline figures, `summary.csv`'s rows, the inputs, break-even
    /// and, in flow mode, the budget (`budget_summary.csv`).
    pub summary: SummaryFile,
    pub curve: Vec<CurvePoint>,
    pub tornado: Vec<TornadoRow>,
    pub acceptability: Vec<AcceptPoint>,
    pub two_way: Vec<TwoWayPoint>,
    pub voi: Vec<VoiRow>,
    /// Willingness to pay per breakdown averted: curves and the frontier.
    pub wtp: Vec<WtpPoint>,
    pub frontier: Vec<FrontierRow>,
    pub voi_at_wtp: Vec<VoiAtWtp>,
    /// The local pilot's value at each size, when the scenario sets `[pilot]`.
    pub evsi: Vec<EvsiRow>,
    /// External validation, when the scenario lists `[[validation]]` figures.
    pub validation: Vec<ValidationRow>,
    /// Each authority ranked under each strategy, made from the summary's rows; empty with
    /// one authority.
    pub authorities: Vec<AuthorityRow>,
}

impl RunResults {
    /// The results of a run: its summary, built from the scenario and the run's digests, and
    /// the tables of its analyses, each as its file will hold it ([`table::as_stored`]).
    pub fn new(sc: &Scenario, run: &RunDigest, analyses: Analyses, decision_years: f64) -> Result<RunResults> {
        let names: Vec<String> = sc.model.strategies.iter().map(|s| s.name.clone()).collect();
        let resimulated = analyses.resimulated(sc);
        let mut summary =
            SummaryFile::new(sc, run, super::summary_rows(sc, run, &names), analyses.breakeven, decision_years);
        summary.resimulated = resimulated;
        summary.pilot = analyses.pilot.as_ref().map(|v| v.summary.clone());
        Ok(RunResults {
            authorities: table::as_stored(&authority_rows(&summary))?,
            summary,
            curve: table::as_stored(&analyses.curve)?,
            tornado: table::as_stored(analyses.tornado.as_ref().map_or(&[][..], |t| &t.rows[..]))?,
            acceptability: table::as_stored(&analyses.acceptability)?,
            two_way: table::as_stored(&analyses.two_way)?,
            voi: table::as_stored(&analyses.voi)?,
            wtp: table::as_stored(&analyses.wtp)?,
            frontier: table::as_stored(&analyses.frontier)?,
            voi_at_wtp: table::as_stored(&analyses.voi_at_wtp)?,
            evsi: table::as_stored(analyses.pilot.as_ref().map_or(&[][..], |v| &v.rows[..]))?,
            validation: table::as_stored(&analyses.validation)?,
        })
    }

    /// Writes `summary.json`, every table that has rows (CSV), `results.xlsx` and `DATA.md`
    /// into `dir`, beside the per-iteration tables already `streamed` there.
    pub fn write(&self, dir: &Path, streamed: &[&'static str]) -> Result<()> {
        let mut written = Vec::new();
        write_json(dir, "summary.json", &self.summary)?;
        let s = &self.summary;
        // `summary`, `inputs` and `reentry_curve` are written even when empty, so that a
        // folder always has them.
        put(dir, &s.rows, &mut written, true)?;
        put(dir, &s.inputs, &mut written, true)?;
        put(dir, &self.curve, &mut written, true)?;
        put(dir, &self.tornado, &mut written, false)?;
        put(dir, &self.acceptability, &mut written, false)?;
        put(dir, &self.two_way, &mut written, false)?;
        put(dir, &self.voi, &mut written, false)?;
        put(dir, &self.wtp, &mut written, false)?;
        put(dir, &self.frontier, &mut written, false)?;
        put(dir, &self.voi_at_wtp, &mut written, false)?;
        put(dir, &self.evsi, &mut written, false)?;
        put(dir, &self.validation, &mut written, false)?;
        put(dir, &self.authorities, &mut written, false)?;
        if let Some(b) = &s.budget {
            put(dir, &b.stats, &mut written, true)?;
        }
        written.extend_from_slice(streamed);
        workbook::write(dir, self, &written)?;
        let md = dir.join("DATA.md");
        std::fs::write(&md, dictionary::data_md(&s.title, &written))
            .with_context(|| format!("cannot write {}", md.display()))
    }

    /// Reads a run's results back from its folder, every table through its own type; a table
    /// the run did not write reads as empty.
    pub fn read(dir: &Path) -> Result<RunResults> {
        Ok(RunResults {
            summary: Self::read_summary(dir)?,
            authorities: optional(dir)?,
            curve: table::read(dir)?,
            tornado: optional(dir)?,
            acceptability: optional(dir)?,
            two_way: optional(dir)?,
            voi: optional(dir)?,
            wtp: optional(dir)?,
            frontier: optional(dir)?,
            voi_at_wtp: optional(dir)?,
            evsi: optional(dir)?,
            validation: optional(dir)?,
        })
    }

    /// `summary.json` alone.
    pub fn read_summary(dir: &Path) -> Result<SummaryFile> {
        let path = dir.join("summary.json");
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{} is not a reunify summary", path.display()))
    }
}

/// Writes `value` as pretty JSON with a final newline into `dir/name` (`summary.json`, and
/// the app's `run.json` and shard manifests).
pub fn write_json<T: serde::Serialize>(dir: &Path, name: &str, value: &T) -> Result<()> {
    let path = dir.join(name);
    let text = serde_json::to_string_pretty(value)? + "\n";
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// Writes a table when it has rows (or `always`), and notes its name for the dictionary.
fn put<T: Table>(dir: &Path, rows: &[T], written: &mut Vec<&'static str>, always: bool) -> Result<()> {
    if always || !rows.is_empty() {
        table::write(dir, rows, Formats::CSV)?;
        written.push(T::NAME);
    }
    Ok(())
}

/// A table's rows, or none when the run did not write it.
fn optional<T: Table>(dir: &Path) -> Result<Vec<T>> {
    if table::exists::<T>(dir) { table::read(dir) } else { Ok(Vec::new()) }
}
