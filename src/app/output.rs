//! The per-iteration tables of a run (`iterations`, `parameters`, `budget`), written into its
//! staging folder while the simulation runs ([`Streams`]), through the results layer's table
//! types: Parquet, with CSV twins when the user asks (`--csv`). The rest of the folder is
//! [`crate::results::RunResults::write`]; [`super::staging`] swaps the folder into place only
//! when every file is complete.

use std::path::Path;
use std::sync::Arc;

use anyhow::Result;

use crate::budget;
use crate::digest::{IterationDigest, RunDigest};
use crate::metric::Metric;
use crate::price::View;
use crate::report::{PsaRow, PsaRows};
use crate::results::table::{self, Formats, Table, Writer};
use crate::results::tables::{BudgetRow, IterationRow, ParameterRow};
use crate::scenario::Scenario;

/// What the table writer receives of one iteration: its digest, and in flow mode its rows
/// of `budget` (spend by strategy, authority and financial year, which no analysis keeps).
pub struct IterationOut {
    pub digest: Arc<IterationDigest>,
    pub budget: Vec<budget::BudgetRow>,
}

/// Whether the per-iteration tables hold each authority's rows: with one authority (whose
/// rows are the total's, under its own name) or when asked (`--by-authority`). Otherwise they
/// hold the total over authorities, `all`: each authority's rows are most of what a run of
/// many authorities writes (930,000 `budget` rows for 155 authorities over 3 years at 1,000
/// iterations), and writing them took longer than simulating.
pub fn by_authority(sc: &Scenario, output: &super::OutputArgs) -> bool {
    output.by_authority || sc.authorities.len() == 1
}

/// The names the per-iteration tables repeat on every row, shared: each clone is a count.
struct Names {
    strategies: Vec<Arc<str>>,
    authorities: Vec<Arc<str>>,
    parameters: Vec<String>,
    financial_years: Vec<Arc<str>>,
}

/// The per-iteration tables (`iterations`, `parameters` and, in flow mode, `budget`), written
/// on a thread of their own as iterations arrive, so that writing them overlaps the
/// simulation. Iterations arrive in order, so the files do not depend on timing.
pub struct Streams {
    tx: std::sync::mpsc::SyncSender<IterationOut>,
    writer: std::thread::JoinHandle<Result<Vec<&'static str>>>,
}

/// Iterations queued for the writer before the simulation waits for it.
const QUEUE: usize = crate::sim::BLOCK as usize;

impl Streams {
    /// Opens the tables in `dir` and starts the writer. `csv` adds CSV twins of the Parquet
    /// files; `by_authority` writes each authority's rows, else the total's ([`by_authority`]).
    pub fn start(dir: &Path, sc: &Scenario, csv: bool, by_authority: bool) -> Result<Streams> {
        let formats = Formats { csv, parquet: true };
        let mut iterations = Writer::<IterationRow>::create(dir, formats)?;
        let mut parameters = Writer::<ParameterRow>::create(dir, formats)?;
        let mut budget = match sc.budget {
            Some(_) => Some(Writer::<BudgetRow>::create(dir, formats)?),
            None => None,
        };
        let names = Names {
            strategies: sc.model.strategies.iter().map(|s| s.name.as_str().into()).collect(),
            authorities: if by_authority {
                sc.authorities.iter().map(|a| a.name.as_str().into()).collect()
            } else {
                vec![crate::scenario::TOTAL_NAME.into()]
            },
            parameters: sc.params.iter().map(|p| p.key.clone()).collect(),
            financial_years: sc
                .budget
                .as_ref()
                .map(|b| (0..b.years as usize).map(|y| b.label(y).into()).collect())
                .unwrap_or_default(),
        };
        let (tx, rx) = std::sync::mpsc::sync_channel::<IterationOut>(QUEUE);
        let writer = std::thread::spawn(move || -> Result<Vec<&'static str>> {
            for item in rx {
                let d = &item.digest;
                for (a, authority) in names.authorities.iter().enumerate() {
                    let view = if by_authority { View::Authority(a) } else { View::Total };
                    for (s, strategy) in names.strategies.iter().enumerate() {
                        iterations.push(IterationRow {
                            iteration: d.iteration,
                            strategy: strategy.clone(),
                            authority: authority.clone(),
                            levels: *d.levels(view, s),
                            decisions: (s > 0).then(|| d.decisions(view, s)),
                        })?;
                    }
                }
                for (p, v) in names.parameters.iter().zip(&d.values) {
                    parameters.push(ParameterRow { iteration: d.iteration, parameter: p.clone(), value: *v })?;
                }
                if let Some(w) = &mut budget {
                    let rows = match (&d.spend, by_authority) {
                        (Some(total), false) => budget::iteration_rows(d.iteration, std::slice::from_ref(total)),
                        _ => item.budget,
                    };
                    for r in rows {
                        w.push(BudgetRow {
                            iteration: r.iteration,
                            strategy: names.strategies[r.strategy].clone(),
                            authority: names.authorities[r.authority].clone(),
                            financial_year: names.financial_years[r.year].clone(),
                            breakdowns: r.breakdowns,
                            figures: r.figures,
                        })?;
                    }
                }
            }
            let mut written = vec![IterationRow::NAME, ParameterRow::NAME];
            iterations.finish()?;
            parameters.finish()?;
            if let Some(w) = budget {
                w.finish()?;
                written.push(BudgetRow::NAME);
            }
            Ok(written)
        });
        Ok(Streams { tx, writer })
    }

    /// Hands one iteration to the writer, waiting while its queue is full. Fails when the
    /// writer has stopped (its own error comes from [`Streams::finish`]).
    pub fn send(&self, item: IterationOut) -> Result<()> {
        self.tx.send(item).map_err(|_| anyhow::anyhow!("the table writer stopped"))
    }

    /// Closes the queue, waits for the writer to write what is queued and close the files,
    /// and returns the tables written.
    pub fn finish(self) -> Result<Vec<&'static str>> {
        drop(self.tx);
        self.writer.join().map_err(|_| anyhow::anyhow!("the table writer panicked"))?
    }
}

/// The PSA rows of a run still in memory, exactly as [`crate::report::ReportData::load`] sums them from
/// `iterations`: each authority's net saving to the penny and breakdowns averted as whole
/// numbers, as that table stores them, added in authority order (or the total's, when the
/// table holds the total: `by_authority` false). The run's own report takes them from here
/// rather than reading back the largest table it has just written.
pub fn psa_rows(names: &[String], authorities: usize, by_authority: bool, run: &RunDigest) -> PsaRows {
    let mut psa = PsaRows::new();
    for (s, name) in names.iter().enumerate().skip(1) {
        let rows = run
            .psa
            .iter()
            .map(|d| {
                let mut row = PsaRow::default();
                let views: Vec<View> =
                    if by_authority { (0..authorities).map(View::Authority).collect() } else { vec![View::Total] };
                for view in views {
                    let dec = d.decisions(view, s);
                    row.net_saving += table::penny(dec[Metric::NetSaving]);
                    row.breakdowns_averted += dec[Metric::BreakdownsAverted].round() as i64 as f64;
                }
                row
            })
            .collect();
        psa.insert(name.clone(), rows);
    }
    psa
}
