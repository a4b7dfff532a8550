//! Writing a run's files into its staging folder, through the results layer's table types.
//!
//! Every table goes through [`crate::results::table::write`], so CSV, Parquet, the workbook
//! and `DATA.md` share one schema. Summary tables are CSV; the per-iteration tables
//! (`iterations`, `parameters`, `budget`) are Parquet, with CSV twins when the user asks
//! (`--csv`). [`super::staging`] swaps the folder into place only when every file is complete.

use std::fs;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::analysis::{self, CurvePoint, View};
use crate::decision::{AcceptPoint, TornadoRow, TwoWayPoint};
use crate::results::table::{self, Formats, Table};
use crate::results::tables::{AuthorityRow, BudgetRow, IterationRow, ParameterRow};
use crate::results::{SummaryFile, authority_rows, dictionary, workbook};
use crate::scenario::Scenario;
use crate::sim::RunResult;
use crate::voi::VoiRow;

pub fn write_json<T: Serialize>(dir: &Path, name: &str, value: &T) -> Result<()> {
    let path = dir.join(name);
    let text = serde_json::to_string_pretty(value)?;
    fs::write(&path, text + "\n").with_context(|| format!("cannot write {}", path.display()))
}

/// One row per iteration × strategy × authority (the base case first), with every level
/// and decision metric, made as they are written.
pub fn iteration_rows<'a>(sc: &'a Scenario, run: &'a RunResult) -> impl Iterator<Item = IterationRow> + 'a {
    // Shared slices of shared names: each clone below is a count, not an allocation.
    let strategies: Arc<[Arc<str>]> = sc.model.strategies.iter().map(|s| s.name.as_str().into()).collect();
    let authorities: Arc<[Arc<str>]> = sc.authorities.iter().map(|a| a.name.as_str().into()).collect();
    std::iter::once(&run.base).chain(&run.psa).flat_map(move |r| {
        let (strategies, authorities) = (strategies.clone(), authorities.clone());
        (0..authorities.len()).flat_map(move |a| {
            let m = analysis::iteration_metrics(r, View::Authority(a));
            let (strategies, authority) = (strategies.clone(), authorities[a].clone());
            (0..strategies.len()).map(move |s| IterationRow {
                iteration: r.iteration,
                strategy: strategies[s].clone(),
                authority: authority.clone(),
                levels: m.levels[s],
                decisions: (s > 0).then_some(m.decisions[s]),
            })
        })
    })
}

/// The sampled parameters, long: one row per iteration and parameter.
pub fn parameter_rows<'a>(sc: &'a Scenario, run: &'a RunResult) -> impl Iterator<Item = ParameterRow> + 'a {
    std::iter::once(&run.base).chain(&run.psa).flat_map(move |r| {
        sc.params.iter().zip(&r.values).map(move |(p, v)| ParameterRow {
            iteration: r.iteration,
            parameter: p.key.clone(),
            value: *v,
        })
    })
}

/// `budget` rows in flow mode: spend by line, iteration, strategy, authority and year.
pub fn budget_rows<'a>(sc: &'a Scenario, run: &'a RunResult) -> impl Iterator<Item = BudgetRow> + 'a {
    let labels: Vec<Arc<str>> =
        sc.budget.as_ref().map(|b| (0..b.years as usize).map(|y| b.label(y).into()).collect()).unwrap_or_default();
    let strategies: Vec<Arc<str>> = sc.model.strategies.iter().map(|s| s.name.as_str().into()).collect();
    let authorities: Vec<Arc<str>> = sc.authorities.iter().map(|a| a.name.as_str().into()).collect();
    std::iter::once(&run.base).chain(&run.psa).flat_map(crate::budget::iteration_rows).map(move |r| BudgetRow {
        iteration: r.iteration,
        strategy: strategies[r.strategy].clone(),
        authority: authorities[r.authority].clone(),
        financial_year: labels[r.year].clone(),
        breakdowns: r.breakdowns,
        figures: r.figures,
    })
}

/// The decision analyses a run writes beside its tables.
pub struct Analyses<'a> {
    pub tornado: &'a [TornadoRow],
    pub acceptability: &'a [AcceptPoint],
    pub voi: &'a [VoiRow],
    pub two_way: &'a [TwoWayPoint],
}

fn put<T: Table>(dir: &Path, rows: &[T], formats: Formats, written: &mut Vec<&'static str>) -> Result<()> {
    table::write(dir, rows, formats)?;
    written.push(T::NAME);
    Ok(())
}

fn stream<T: Table>(
    dir: &Path,
    rows: impl Iterator<Item = T>,
    formats: Formats,
    written: &mut Vec<&'static str>,
) -> Result<()> {
    table::write_iter(dir, rows, formats)?;
    written.push(T::NAME);
    Ok(())
}

/// Writes every table, `summary.json`, `results.xlsx` and `DATA.md` into `dir`. `csv` adds
/// CSV twins of the per-iteration tables.
pub fn write_all(
    dir: &Path,
    sc: &Scenario,
    run: &RunResult,
    summary: &SummaryFile,
    curve: &[CurvePoint],
    analyses: &Analyses,
    csv: bool,
) -> Result<()> {
    let per_iteration = Formats { csv, parquet: true };
    let mut written = Vec::new();
    write_json(dir, "summary.json", summary)?;
    put(dir, &summary.rows, Formats::CSV, &mut written)?;
    put(dir, &summary.inputs, Formats::CSV, &mut written)?;
    put(dir, curve, Formats::CSV, &mut written)?;
    if !analyses.tornado.is_empty() {
        put(dir, analyses.tornado, Formats::CSV, &mut written)?;
    }
    if !analyses.acceptability.is_empty() {
        put(dir, analyses.acceptability, Formats::CSV, &mut written)?;
    }
    if !analyses.two_way.is_empty() {
        put(dir, analyses.two_way, Formats::CSV, &mut written)?;
    }
    if !analyses.voi.is_empty() {
        put(dir, analyses.voi, Formats::CSV, &mut written)?;
    }
    let authorities: Vec<AuthorityRow> = authority_rows(summary);
    if !authorities.is_empty() {
        put(dir, &authorities, Formats::CSV, &mut written)?;
    }
    if let Some(b) = &summary.budget {
        put(dir, &b.stats, Formats::CSV, &mut written)?;
    }
    stream(dir, iteration_rows(sc, run), per_iteration, &mut written)?;
    stream(dir, parameter_rows(sc, run), per_iteration, &mut written)?;
    if sc.budget.is_some() {
        stream(dir, budget_rows(sc, run), per_iteration, &mut written)?;
    }
    workbook::write(dir, summary, &authorities, &written)?;
    let md = dictionary::data_md(&summary.title, &written);
    fs::write(dir.join("DATA.md"), md).with_context(|| format!("cannot write {}", dir.join("DATA.md").display()))
}
