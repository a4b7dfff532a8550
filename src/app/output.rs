//! Writing a run's tables and files, atomically.
//!
//! Tables are tidy and long, keyed by `iteration, strategy, authority`, and written with
//! polars (CSV and Parquet), into a staging folder that [`super::staging`] swaps into place
//! only when every file is complete.

use std::fs::{self, File};
use std::path::Path;

use anyhow::{Context, Result};
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::analysis::{self, CurvePoint, DECISION_METRICS, LEVEL_METRICS, SummaryRow, View};
use crate::budget::{BudgetSummary, iteration_rows};
use crate::calibrate::Fit;
use crate::scenario::{Eligibility, Scenario, SupportBasis};
use crate::sim::RunResult;

fn write_csv(dir: &Path, name: &str, df: &mut DataFrame) -> Result<()> {
    let path = dir.join(name);
    let f = File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
    CsvWriter::new(f)
        .include_header(true)
        .finish(df)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("cannot write {}", path.display()))
}

fn write_parquet(dir: &Path, name: &str, df: &mut DataFrame) -> Result<()> {
    let path = dir.join(name);
    let f = File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
    ParquetWriter::new(f)
        .with_compression(ParquetCompression::Snappy)
        .finish(df)
        .map(|_| ())
        .map_err(anyhow::Error::from)
        .with_context(|| format!("cannot write {}", path.display()))
}

pub fn write_json<T: Serialize>(dir: &Path, name: &str, value: &T) -> Result<()> {
    let path = dir.join(name);
    let text = serde_json::to_string_pretty(value)?;
    fs::write(&path, text + "\n").with_context(|| format!("cannot write {}", path.display()))
}

/// For each parameter, the strategies whose support uses it, in strategy order, from the
/// scenario's model and every authority's own.
fn strategies_using(sc: &Scenario) -> Vec<Vec<String>> {
    let mut by = vec![Vec::<String>::new(); sc.params.len()];
    let models = std::iter::once(&sc.model).chain(sc.authorities.iter().filter_map(|a| a.model.as_ref()));
    for s in models.flat_map(|m| &m.strategies) {
        for id in [s.take_up, s.hr_reentry, s.hr_maltreatment, s.cost] {
            if !by[id.0].contains(&s.name) {
                by[id.0].push(s.name.clone());
            }
        }
    }
    by
}

fn opt_col(name: &str, xs: impl Iterator<Item = Option<f64>>) -> Column {
    Column::new(name.into(), xs.collect::<Vec<Option<f64>>>())
}

/// The calibration of the base case: fitted rates and the fit at each target.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Calibration {
    pub reentry_knots: Vec<f64>,
    pub reentry_rates: Vec<f64>,
    pub reentry: Vec<Fit>,
    pub maltreatment: Vec<Fit>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuthorityInfo {
    pub name: String,
    pub children: u64,
    pub source: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StrategyInfo {
    pub name: String,
    pub description: Option<String>,
    /// Who is offered support, in words.
    pub offered_to: String,
    pub take_up: f64,
    pub cost: f64,
    pub cost_basis: String,
    pub source: Option<String>,
}

/// One scenario input with its distribution and cited source.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InputRow {
    pub key: String,
    pub point: f64,
    pub distribution: String,
    pub source: Option<String>,
    /// The strategies whose support uses this parameter: more than one when a strategy is
    /// `same_as` another, and then one draw drives them all. Empty for other parameters.
    #[serde(default)]
    pub strategies: Vec<String>,
}

/// `summary.json`: everything a report needs besides the per-iteration tables.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SummaryFile {
    pub scenario: String,
    pub title: String,
    pub description: Option<String>,
    pub price_year: Option<i32>,
    pub horizon_years: f64,
    pub discount_rate: f64,
    pub seed: u64,
    pub children: u64,
    pub authorities: Vec<AuthorityInfo>,
    pub comparator: String,
    pub strategies: Vec<StrategyInfo>,
    pub psa_iterations: usize,
    pub calibration: Calibration,
    pub inputs: Vec<InputRow>,
    /// Break-even figures of each non-comparator strategy (base case).
    pub breakeven: Vec<crate::decision::BreakEven>,
    /// Cohorts over which population value-of-information figures are counted.
    pub decision_years: f64,
    /// Flow mode: spend by financial year, net position and payback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<BudgetSummary>,
    pub rows: Vec<SummaryRow>,
}

fn offered_to(sc: &Scenario, e: &Eligibility) -> String {
    match e {
        Eligibility::All => "all children".into(),
        Eligibility::None => "no one".into(),
        Eligibility::Rule { any_of, min_risk_score } => {
            let names: Vec<&str> = any_of.iter().map(|&j| sc.model.risk_factors[j].name.as_str()).collect();
            let mut parts = Vec::new();
            if !names.is_empty() {
                parts.push(format!("children with any of {}", names.join(", ")));
            }
            if let Some(m) = min_risk_score {
                parts.push(format!("at least {m} risk factors"));
            }
            parts.join(" and ")
        }
    }
}

impl SummaryFile {
    pub fn new(
        sc: &Scenario,
        seed: u64,
        run: &RunResult,
        rows: Vec<SummaryRow>,
        breakeven: Vec<crate::decision::BreakEven>,
        decision_years: f64,
    ) -> Self {
        let base = &run.base.inputs;
        SummaryFile {
            scenario: sc.meta.name.clone(),
            title: sc.meta.title.clone(),
            description: sc.meta.description.clone(),
            price_year: sc.meta.price_year,
            horizon_years: sc.horizon(),
            discount_rate: base.discount_rate,
            seed,
            children: sc.total_children(),
            authorities: sc
                .authorities
                .iter()
                .map(|a| AuthorityInfo {
                    name: a.name.clone(),
                    children: sc.cohorts(a.children).iter().sum(),
                    source: a.source.clone(),
                })
                .collect(),
            comparator: sc.model.strategies[0].name.clone(),
            strategies: sc
                .model
                .strategies
                .iter()
                .map(|s| StrategyInfo {
                    name: s.name.clone(),
                    description: s.description.clone(),
                    offered_to: offered_to(sc, &s.eligibility),
                    take_up: sc.param(s.take_up).param.point,
                    cost: sc.param(s.cost).param.point,
                    cost_basis: match s.cost_basis {
                        SupportBasis::PerSupportedReturn => "per_supported_return".into(),
                        SupportBasis::PerSupportedYear => "per_supported_year".into(),
                    },
                    source: s.source.clone(),
                })
                .collect(),
            psa_iterations: run.psa.len(),
            calibration: Calibration {
                reentry_knots: base.reentry.knots().to_vec(),
                reentry_rates: base.reentry.rates().to_vec(),
                reentry: base.reentry_fit.clone(),
                maltreatment: base.maltreatment_fit.clone(),
            },
            inputs: sc
                .params
                .iter()
                .zip(strategies_using(sc))
                .map(|(p, strategies)| InputRow {
                    key: p.key.clone(),
                    point: p.param.point,
                    distribution: p.param.dist.describe(),
                    source: p.source.clone(),
                    strategies,
                })
                .collect(),
            breakeven,
            decision_years,
            budget: sc.budget.as_ref().map(|b| {
                let names: Vec<String> = sc.model.strategies.iter().map(|s| s.name.clone()).collect();
                crate::budget::summarise(b, run, &names)
            }),
            rows,
        }
    }
}

/// Every summary row of a run: all authorities, then each authority when there are several.
pub fn summary_rows(sc: &Scenario, run: &RunResult, names: &[String]) -> Vec<SummaryRow> {
    let mut rows = analysis::summarise(run, names, "all", View::Total);
    if sc.authorities.len() > 1 {
        for (a, auth) in sc.authorities.iter().enumerate() {
            rows.extend(analysis::summarise(run, names, &auth.name, View::Authority(a)));
        }
    }
    rows
}

/// Writes `summary.json`, `summary.csv`, `iterations.{csv,parquet}` and `reentry_curve.csv`.
pub fn write_tables(
    dir: &Path,
    sc: &Scenario,
    run: &RunResult,
    summary: &SummaryFile,
    curve: &[CurvePoint],
) -> Result<()> {
    let rows = &summary.rows;
    write_json(dir, "summary.json", summary)?;

    let mut df = DataFrame::new(
        rows.len(),
        vec![
            Column::new("strategy".into(), rows.iter().map(|r| r.strategy.as_str()).collect::<Vec<_>>()),
            Column::new("authority".into(), rows.iter().map(|r| r.authority.as_str()).collect::<Vec<_>>()),
            Column::new("kind".into(), rows.iter().map(|r| r.kind.as_str()).collect::<Vec<_>>()),
            Column::new("metric".into(), rows.iter().map(|r| r.metric.as_str()).collect::<Vec<_>>()),
            opt_col("base", rows.iter().map(|r| r.stat.base)),
            opt_col("mean", rows.iter().map(|r| r.stat.mean)),
            opt_col("q025", rows.iter().map(|r| r.stat.q025)),
            opt_col("q975", rows.iter().map(|r| r.stat.q975)),
            opt_col("mcse", rows.iter().map(|r| r.stat.mcse)),
        ],
    )?;
    write_csv(dir, "summary.csv", &mut df)?;

    let mut df = iterations_frame(sc, run)?;
    write_csv(dir, "iterations.csv", &mut df)?;
    write_parquet(dir, "iterations.parquet", &mut df)?;

    let mut df = DataFrame::new(
        curve.len(),
        vec![
            Column::new("strategy".into(), curve.iter().map(|p| p.strategy.as_str()).collect::<Vec<_>>()),
            Column::new("month".into(), curve.iter().map(|p| p.month as u32).collect::<Vec<_>>()),
            Column::new("base".into(), curve.iter().map(|p| p.base).collect::<Vec<_>>()),
            opt_col("mean", curve.iter().map(|p| p.mean)),
            opt_col("q025", curve.iter().map(|p| p.q025)),
            opt_col("q975", curve.iter().map(|p| p.q975)),
        ],
    )?;
    write_csv(dir, "reentry_curve.csv", &mut df)?;
    Ok(())
}

/// One row per iteration × strategy × authority (iteration 0 is the base case), with the
/// sampled parameters and every level and decision metric.
pub fn iterations_frame(sc: &Scenario, run: &RunResult) -> Result<DataFrame> {
    let mut iteration = Vec::new();
    let mut strategy = Vec::new();
    let mut authority = Vec::new();
    let mut params: Vec<Vec<f64>> = vec![Vec::new(); sc.params.len()];
    let mut levels: Vec<Vec<Option<f64>>> = vec![Vec::new(); LEVEL_METRICS.len()];
    let mut decisions: Vec<Vec<Option<f64>>> = vec![Vec::new(); DECISION_METRICS.len()];
    for r in std::iter::once(&run.base).chain(&run.psa) {
        for (a, auth) in sc.authorities.iter().enumerate() {
            let m = analysis::iteration_metrics(r, View::Authority(a));
            for (s, strat) in sc.model.strategies.iter().enumerate() {
                iteration.push(r.iteration);
                strategy.push(strat.name.as_str());
                authority.push(auth.name.as_str());
                for (p, v) in params.iter_mut().zip(&r.values) {
                    p.push(*v);
                }
                for (col, v) in levels.iter_mut().zip(m.levels[s]) {
                    col.push(v.is_finite().then_some(v));
                }
                for (col, v) in decisions.iter_mut().zip(m.decisions[s]) {
                    col.push((s > 0 && v.is_finite()).then_some(v));
                }
            }
        }
    }
    let height = iteration.len();
    let mut cols = vec![
        Column::new("iteration".into(), iteration),
        Column::new("strategy".into(), strategy),
        Column::new("authority".into(), authority),
    ];
    for (def, v) in sc.params.iter().zip(params) {
        cols.push(Column::new(format!("param:{}", def.key).into(), v));
    }
    for (name, v) in LEVEL_METRICS.iter().zip(levels) {
        cols.push(Column::new((*name).into(), v));
    }
    for (name, v) in DECISION_METRICS.iter().zip(decisions) {
        cols.push(Column::new((*name).into(), v));
    }
    Ok(DataFrame::new(height, cols)?)
}

fn str_col(name: &str, xs: impl Iterator<Item = String>) -> Column {
    Column::new(name.into(), xs.collect::<Vec<String>>())
}

fn f64_col(name: &str, xs: impl Iterator<Item = f64>) -> Column {
    Column::new(name.into(), xs.collect::<Vec<f64>>())
}

/// Writes `tornado.csv`, `acceptability.csv` and `evppi.csv`.
pub fn write_decision_tables(
    dir: &Path,
    tornado: &crate::decision::Tornado,
    accept: &[crate::decision::AcceptPoint],
    voi: &[crate::voi::VoiRow],
) -> Result<()> {
    let t = &tornado.rows;
    let mut df = DataFrame::new(
        t.len(),
        vec![
            str_col("strategy", t.iter().map(|r| r.strategy.clone())),
            str_col("parameter", t.iter().map(|r| r.parameter.clone())),
            f64_col("low_value", t.iter().map(|r| r.low_value)),
            f64_col("high_value", t.iter().map(|r| r.high_value)),
            f64_col("low_net_saving", t.iter().map(|r| r.low_net_saving)),
            f64_col("high_net_saving", t.iter().map(|r| r.high_net_saving)),
            f64_col("low_breakdowns_averted", t.iter().map(|r| r.low_breakdowns_averted)),
            f64_col("high_breakdowns_averted", t.iter().map(|r| r.high_breakdowns_averted)),
            f64_col("swing", t.iter().map(|r| r.swing)),
        ],
    )?;
    write_csv(dir, "tornado.csv", &mut df)?;
    let mut df = DataFrame::new(
        accept.len(),
        vec![
            str_col("strategy", accept.iter().map(|r| r.strategy.clone())),
            f64_col("price", accept.iter().map(|r| r.price)),
            f64_col("probability", accept.iter().map(|r| r.probability)),
        ],
    )?;
    write_csv(dir, "acceptability.csv", &mut df)?;
    let mut df = DataFrame::new(
        voi.len(),
        vec![
            str_col("kind", voi.iter().map(|r| r.kind.clone())),
            str_col("name", voi.iter().map(|r| r.name.clone())),
            f64_col("per_cohort", voi.iter().map(|r| r.per_cohort)),
            f64_col("per_child", voi.iter().map(|r| r.per_child)),
            f64_col("population", voi.iter().map(|r| r.population)),
        ],
    )?;
    write_csv(dir, "evppi.csv", &mut df)?;
    Ok(())
}

/// Reads a CSV written by this module back into a frame.
pub fn read_csv(dir: &Path, name: &str) -> Result<DataFrame> {
    let path = dir.join(name);
    CsvReadOptions::default()
        .with_has_header(true)
        .try_into_reader_with_file_path(Some(path.clone()))
        .and_then(|r| r.finish())
        .map_err(anyhow::Error::from)
        .with_context(|| format!("cannot read {}", path.display()))
}

/// A column of a frame as numbers (missing values as NaN).
pub fn numbers(df: &DataFrame, name: &str) -> Result<Vec<f64>> {
    let c = df.column(name)?.cast(&DataType::Float64)?;
    Ok(c.f64()?.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

/// A column of a frame as text.
pub fn texts(df: &DataFrame, name: &str) -> Result<Vec<String>> {
    Ok(df.column(name)?.str()?.iter().map(|s| s.unwrap_or_default().to_string()).collect())
}

/// One authority's result for one strategy, for `authorities.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct AuthorityRow {
    pub authority: String,
    pub strategy: String,
    pub children: f64,
    pub net_saving: f64,
    pub net_saving_q025: f64,
    pub net_saving_q975: f64,
    pub breakdowns_averted: f64,
}

impl AuthorityRow {
    pub fn per_child(&self, v: f64) -> f64 {
        v / self.children.max(1.0)
    }
}

/// Per-authority results of every non-comparator strategy, ranked by net saving per child
/// (best first). Empty for a single-authority scenario.
pub fn authority_rows(summary: &SummaryFile) -> Vec<AuthorityRow> {
    if summary.authorities.len() < 2 {
        return Vec::new();
    }
    let psa = summary.psa_iterations > 0;
    let get = |a: &str, s: &str, kind: &str, m: &str| crate::analysis::find_for(&summary.rows, a, s, kind, m);
    let mut out = Vec::new();
    for st in summary.strategies.iter().skip(1) {
        let mut rows: Vec<AuthorityRow> = summary
            .authorities
            .iter()
            .map(|a| {
                let net = get(&a.name, &st.name, "increment", "net_saving");
                let central = |x: Option<&crate::analysis::Stat>| x.and_then(|s| s.central(psa)).unwrap_or(f64::NAN);
                AuthorityRow {
                    authority: a.name.clone(),
                    strategy: st.name.clone(),
                    children: a.children as f64,
                    net_saving: central(net),
                    net_saving_q025: net.and_then(|s| s.q025).unwrap_or(f64::NAN),
                    net_saving_q975: net.and_then(|s| s.q975).unwrap_or(f64::NAN),
                    breakdowns_averted: central(get(&a.name, &st.name, "increment", "breakdowns_averted")),
                }
            })
            .collect();
        rows.sort_by(|a, b| {
            b.per_child(b.net_saving).total_cmp(&a.per_child(a.net_saving)).then(a.authority.cmp(&b.authority))
        });
        out.extend(rows);
    }
    out
}

/// Writes `authorities.csv` (nothing for a single authority).
pub fn write_authorities(dir: &Path, rows: &[AuthorityRow]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut df = DataFrame::new(
        rows.len(),
        vec![
            str_col("strategy", rows.iter().map(|r| r.strategy.clone())),
            str_col("authority", rows.iter().map(|r| r.authority.clone())),
            f64_col("children", rows.iter().map(|r| r.children)),
            f64_col("net_saving", rows.iter().map(|r| r.net_saving)),
            f64_col("net_saving_q025", rows.iter().map(|r| r.net_saving_q025)),
            f64_col("net_saving_q975", rows.iter().map(|r| r.net_saving_q975)),
            f64_col("net_saving_per_child", rows.iter().map(|r| r.per_child(r.net_saving))),
            f64_col("net_saving_per_child_q025", rows.iter().map(|r| r.per_child(r.net_saving_q025))),
            f64_col("net_saving_per_child_q975", rows.iter().map(|r| r.per_child(r.net_saving_q975))),
            f64_col("breakdowns_averted", rows.iter().map(|r| r.breakdowns_averted)),
        ],
    )?;
    write_csv(dir, "authorities.csv", &mut df)
}

/// Writes `budget.csv` in flow mode: one row per iteration, strategy, authority and financial
/// year, with spend by line in cash and discounted, and the net position against the
/// comparator that year and cumulatively.
pub fn write_budget(dir: &Path, sc: &Scenario, run: &RunResult) -> Result<()> {
    let Some(budget) = &sc.budget else { return Ok(()) };
    let labels: Vec<String> = (0..budget.years as usize).map(|y| budget.label(y)).collect();
    let rows: Vec<_> = std::iter::once(&run.base).chain(&run.psa).flat_map(iteration_rows).collect();
    let mut cols = vec![
        Column::new("iteration".into(), rows.iter().map(|r| r.iteration).collect::<Vec<_>>()),
        Column::new(
            "strategy".into(),
            rows.iter().map(|r| sc.model.strategies[r.strategy].name.as_str()).collect::<Vec<_>>(),
        ),
        Column::new(
            "authority".into(),
            rows.iter().map(|r| sc.authorities[r.authority].name.as_str()).collect::<Vec<_>>(),
        ),
        Column::new("financial_year".into(), rows.iter().map(|r| labels[r.year].as_str()).collect::<Vec<_>>()),
        Column::new("breakdowns".into(), rows.iter().map(|r| r.breakdowns).collect::<Vec<_>>()),
    ];
    for (f, (line, basis)) in crate::budget::FIGURES.iter().enumerate() {
        cols.push(f64_col(&format!("{line}_{basis}"), rows.iter().map(|r| r.figures[f])));
    }
    let mut df = DataFrame::new(rows.len(), cols)?;
    write_csv(dir, "budget.csv", &mut df)
}
