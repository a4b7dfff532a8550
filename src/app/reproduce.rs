//! `reunify reproduce`: re-runs the shipped reproduction scenarios and compares the engine's
//! estimates with the published figures (MODEL.md, "Reproduction targets").
//!
//! Reproduction scenarios fix every parameter that the published figure depends on, so each
//! PSA iteration is an independent replication and the Monte Carlo standard error is
//! `sd / √n` across them. A figure is recovered when `|engine − published| ≤ 3·MCSE + r`,
//! where `r` is half the unit the published figure was rounded to (0 for figures the
//! baseline is calibrated to exactly).

use std::path::Path;

use anyhow::{Context, anyhow};
use serde::Serialize;

use super::{AppError, Format, settings, staging};

use crate::analyses::{Analyses, Scope, Settings};
use crate::analysis::{CurvePoint, describe};
use crate::digest::RunDigest;
use crate::metric::Metric;
use crate::price::{self, View};
use crate::scenario::Scenario;
use crate::sim::{self, IterationResult, RunOptions, RunResult};
use crate::validation::ValidationRow;

pub use crate::scenario::shipped::{DFE_2006_07, ENGLAND_2012_13, ENGLAND_2014_2020, HOLMES_2014, HOLMES_2024};

/// The scenarios `reproduce --external` sets against independent series, in table order.
pub const EXTERNAL: [(&str, &str); 3] = [
    ("england-2012-13", ENGLAND_2012_13),
    ("dfe-2006-07-cohort", DFE_2006_07),
    ("england-2014-2020", ENGLAND_2014_2020),
];

/// External validation of the shipped scenarios: one row per `[[validation]]` figure, and
/// each scenario's comparator re-entry curve for the chart.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct External {
    pub rows: Vec<ValidationRow>,
    /// `(scenario's title, comparator's curve)`, in months.
    #[serde(skip)]
    pub curves: Vec<(String, Vec<CurvePoint>)>,
}

/// Runs each of [`EXTERNAL`] to the horizon its latest figure needs (its last hazard carried
/// on), with its PSA, and predicts each figure from the comparator's re-entry curve.
pub fn external(iterations: Option<u32>) -> anyhow::Result<External> {
    let mut out = External { rows: Vec::new(), curves: Vec::new() };
    for (name, text) in EXTERNAL {
        let mut sc = load(text, name)?;
        sc.meta.horizon_years = crate::validation::horizon_for(&sc);
        let opts = RunOptions {
            seed: sc.meta.seed,
            iterations: iterations.unwrap_or(sc.meta.iterations),
            base_case_only: false,
        };
        let run = RunDigest::simulate(&sc, opts)?;
        let settings = Settings { decision_years: 3.0, scope: Scope::Validation };
        let analyses = Analyses::compute(&sc, &run, &settings, None)?;
        out.rows.extend(analyses.validation);
        out.curves.push((sc.meta.title.clone(), analyses.curve));
    }
    let cv = cross_validate(&out.rows)?;
    out.rows.extend(cv);
    Ok(out)
}

/// Leave one source out: each independent figure predicted by the evidence synthesis fitted
/// without every figure of its source, as the posterior predictive for a new cohort (the
/// between-cohort spread included) of its population (returns home, or all exits). One row
/// per figure, beside the scenarios' own; a figure whose source is not in the evidence keeps
/// no cross-validated row.
pub fn cross_validate(rows: &[ValidationRow]) -> anyhow::Result<Vec<ValidationRow>> {
    use crate::synthesis::{self, Evidence, Model, diagnostics::quantile};
    let evidence = Evidence::shipped();
    let mix = synthesis::shipped_mix();
    let mut fits: std::collections::BTreeMap<String, synthesis::Posterior> = Default::default();
    let mut out = Vec::new();
    for r in rows.iter().filter(|r| !r.cross_validated) {
        // Longest match first: "Mc Grath-Lone et al., ISPCAN" before "Mc Grath-Lone".
        let mut cohorts: Vec<&synthesis::Cohort> =
            evidence.cohort.iter().filter(|c| r.source.starts_with(&c.cited_as)).collect();
        cohorts.sort_by_key(|c| std::cmp::Reverse(c.cited_as.len()));
        let Some(cohort) = cohorts.first() else { continue };
        let source = cohort.source.clone();
        if !fits.contains_key(&source) {
            let model = Model::new(&evidence.without(&source), mix.clone());
            let post = synthesis::fit_until_converged(model, &synthesis::default_plan(1), true)?;
            if !post.converged() {
                let bad: Vec<String> = post
                    .diagnostics
                    .iter()
                    .filter(|(_, d)| !d.ok())
                    .map(|(n, d)| format!("{n} (R̂ {:.3}, ESS {:.0} and {:.0})", d.rhat, d.ess_bulk, d.ess_tail))
                    .collect();
                anyhow::bail!("the synthesis without {source} did not converge: {}", bad.join(", "));
            }
            fits.insert(source.clone(), post);
        }
        let post = &fits[&source];
        let draws = post.predictive(r.years, cohort.population, 1);
        let (lo, hi) = (quantile(&draws, 0.025), quantile(&draws, 0.975));
        out.push(ValidationRow {
            base: None,
            mean: Some(draws.iter().sum::<f64>() / draws.len() as f64),
            q025: Some(lo),
            q975: Some(hi),
            inside: Some(crate::validation::inside(r.published_share, r.rounding, lo, hi)),
            interval_score: Some(synthesis::interval_score(lo, hi, r.published_share)),
            cross_validated: true,
            ..r.clone()
        });
    }
    Ok(out)
}

/// How many figures lie inside their intervals, and the mean interval score, of the rows
/// that are (or are not) cross-validated.
pub fn score(rows: &[ValidationRow], cross_validated: bool) -> (usize, usize, f64) {
    let v: Vec<&ValidationRow> =
        rows.iter().filter(|r| r.cross_validated == cross_validated && r.inside.is_some()).collect();
    let inside = v.iter().filter(|r| r.inside == Some(true)).count();
    let mean = v.iter().filter_map(|r| r.interval_score).sum::<f64>() / v.len().max(1) as f64;
    (inside, v.len(), mean)
}

/// The external validation table as the terminal prints it: a summary line per figure, then
/// each figure's source, population, period and definition, then what it means.
pub fn external_table(rows: &[ValidationRow]) -> String {
    use std::fmt::Write;
    let pct = crate::results::format::percent;
    let mut out = String::from(
        "External validation: the model's predictions against independent national series, none of them a calibration target\n\n",
    );
    let _ = writeln!(
        out,
        "{:>2}  {:<19} {:>6}  {:<27} {:<26} {:<6} target",
        "#", "scenario", "years", "published", "predicted (95% interval)", "inside"
    );
    for (i, r) in rows.iter().enumerate() {
        let predicted = match (r.mean, r.q025, r.q975) {
            (Some(m), Some(lo), Some(hi)) => format!("{} ({}–{})", pct(m), pct(lo), pct(hi)),
            _ => "beyond the horizon".into(),
        };
        let _ = writeln!(
            out,
            "{:>2}  {:<19} {:>6}  {:<27} {:<26} {:<6} {}",
            i + 1,
            if r.cross_validated { "synthesis, LOSO" } else { r.scenario.as_str() },
            crate::results::format::number(r.years, 2),
            r.published,
            predicted,
            match r.inside {
                Some(true) => "yes",
                Some(false) => "no",
                None => "–",
            },
            if r.calibration_target { "yes" } else { "no" }
        );
    }
    for (i, r) in rows.iter().enumerate() {
        let _ = writeln!(out, "\n{:>2}. {} ({}): {}", i + 1, r.figure, r.scenario, r.published);
        for (k, v) in
            [("source", &r.source), ("population", &r.population), ("period", &r.period), ("definition", &r.definition)]
        {
            let _ = writeln!(out, "    {k:<11} {v}");
        }
        if let Some(b) = r.base {
            let _ = writeln!(out, "    {:<11} {} in the base case", "predicted", pct(b));
        }
    }
    let own: Vec<ValidationRow> = rows.iter().filter(|r| !r.cross_validated).cloned().collect();
    let _ = writeln!(out, "\n{}", crate::results::verdict::validation_reading(&own));
    let (i0, n0, s0) = score(rows, false);
    let (i1, n1, s1) = score(rows, true);
    if n1 > 0 {
        let _ = writeln!(
            out,
            "\nCross-validated (\"synthesis, LOSO\"): the evidence synthesis fitted without each figure's source predicts it for a new cohort. {i1} of {n1} figures lie inside its 95% interval (the scenarios' own intervals: {i0} of {n0}); mean interval score {s1:.3} (the scenarios' own: {s0:.3}; lower is better, and a wide interval is not free)."
        );
    }
    out
}

/// One reproduced figure.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Row {
    pub figure: String,
    /// The figure as published.
    pub published: String,
    /// The published figure as a number (exact arithmetic where the source gives it).
    pub published_value: f64,
    /// Half the unit the published figure was rounded to.
    pub rounding: f64,
    pub engine: f64,
    pub mcse: f64,
    pub difference: f64,
    pub within_tolerance: bool,
    pub scenario: String,
}

fn row(figure: &str, published: &str, value: f64, rounding: f64, scenario: &str, xs: &[f64]) -> Row {
    let st = describe(f64::NAN, xs);
    let engine = st.mean.unwrap_or(f64::NAN);
    let mcse = st.mcse.unwrap_or(0.0);
    let difference = engine - value;
    Row {
        figure: figure.into(),
        published: published.into(),
        published_value: value,
        rounding,
        engine,
        mcse,
        difference,
        within_tolerance: difference.abs() <= 3.0 * mcse + rounding + 1e-9 * value.abs(),
        scenario: scenario.into(),
    }
}

fn load(text: &str, name: &str) -> anyhow::Result<Scenario> {
    Ok(Scenario::from_toml_str(text, &format!("scenarios/{name}.toml"))?)
}

fn replicate(sc: &Scenario, iterations: Option<u32>) -> anyhow::Result<RunResult> {
    let opts =
        RunOptions { seed: sc.meta.seed, iterations: iterations.unwrap_or(sc.meta.iterations), base_case_only: false };
    Ok(sim::run(sc, opts, &|| {})?)
}

/// Metric `metric` of strategy `s` in every replication.
fn metric(runs: &[IterationResult], s: usize, metric: Metric) -> Vec<f64> {
    runs.iter().map(|r| price::iteration_metrics(r, View::Total).levels[s][metric]).collect()
}

/// Runs every reproduction and returns one row per published figure.
pub fn reproduce(iterations: Option<u32>) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();

    let name = "dfe-2006-07-cohort";
    let runs = replicate(&load(DFE_2006_07, name)?, iterations)?.psa;
    let share = 3050.0 / 10270.0;
    rows.push(row(
        "England 2006-07 returners back in care within 5 years (share)",
        "30% (3,050 of 10,270)",
        share,
        0.0,
        name,
        &metric(&runs, 0, Metric::ReentryShare60m),
    ));
    rows.push(row(
        "England 2006-07 returners back in care within 5 years (children)",
        "3,050",
        3050.0,
        0.0,
        name,
        &metric(&runs, 0, Metric::ChildrenWithBreakdown),
    ));
    let ratio = |f: &dyn Fn(&crate::tally::Tally) -> f64| -> Vec<f64> {
        runs.iter().map(|r| f(&r.tallies[0][0]) / r.tallies[0][0].children_with_breakdown as f64).collect()
    };
    rows.push(row(
        "of those re-entrants, home less than 2 weeks",
        "8%",
        0.08,
        0.0,
        name,
        &ratio(&|t| t.first_reentry_under_2_weeks as f64),
    ));
    rows.push(row(
        "of those re-entrants, home at least 2 years",
        "17%",
        0.17,
        0.0,
        name,
        &ratio(&|t| (t.children_with_breakdown - t.first_reentry_under_2_years) as f64),
    ));

    let name = "holmes-2014";
    // The annual figures are one cohort's (cohort mode); the budget-cycle figure below runs
    // the same inputs in flow mode.
    let flow = load(HOLMES_2014, name)?;
    let holmes = flow.cohort_mode();
    let runs = replicate(&holmes, iterations)?.psa;
    rows.push(row(
        "national annual cost of failed reunifications, 2012/13",
        "£300m (4,738 × £61,614 = £291.9m)",
        4738.0 * 61614.0,
        0.05e6,
        name,
        &metric(&runs, 0, Metric::BreakdownCostUndiscounted),
    ));
    rows.push(row(
        "national annual cost of support for all returners, 2012/13",
        "£56m (10,080 × £5,627 = £56.7m)",
        10080.0 * 5627.0,
        0.05e6,
        name,
        &metric(&runs, 1, Metric::SupportCostUndiscounted),
    ));

    // Break-even (Holmes 2014): support for all pays for itself if it averts £56.72m /
    // £61,614 = 920.6 breakdowns, taking the breakdown rate from 47% to about 38%.
    let be = crate::decision::Resimulation::simulate(&holmes, holmes.meta.seed)?.breakeven()?;
    let to_avert = be[0].breakdowns_to_avert.unwrap_or(f64::NAN);
    rows.push(row(
        "breakdowns to avert for support to pay for itself",
        "about 900 (£56.72m / £61,614 = 920.6)",
        10080.0 * 5627.0 / 61614.0,
        0.05,
        name,
        &[to_avert],
    ));
    // Holmes's budget cycle: one year's cohort supported, its averted breakdowns counted over
    // a 3-year cycle (flow mode with `cohorts = 1`, `years = 3`).
    let budget = flow.budget.as_ref().ok_or_else(|| anyhow::anyhow!("holmes-2014 has no [budget]"))?;
    let names: Vec<String> = flow.model.strategies.iter().map(|s| s.name.clone()).collect();
    let cycle = crate::budget::summarise(budget, &RunDigest::of(&replicate(&flow, iterations)?), &names);
    rows.push(row(
        "breakdowns a year to avert, 3-year budget cycle (flow mode)",
        "an extra 300 children a year (920.6 / 3 = 306.9)",
        10080.0 * 5627.0 / 61614.0 / 3.0,
        0.05,
        name,
        &[cycle.payback[0].breakdowns_to_avert_per_year.unwrap_or(f64::NAN)],
    ));
    let rates: Vec<f64> = metric(&runs, 0, Metric::Breakdowns).iter().map(|b| (b - to_avert) / 10080.0).collect();
    rows.push(row("breakdown rate at break-even (from 47%)", "38%", 0.38, 0.005, name, &rates));

    let name = "holmes-2024";
    let runs = replicate(&load(HOLMES_2024, name)?, iterations)?.psa;
    rows.push(row(
        "2024 update: national annual cost of failed reunifications",
        "£316m (£105,804 per re-entry)",
        316e6,
        0.5e6,
        name,
        &metric(&runs, 0, Metric::BreakdownCostUndiscounted),
    ));
    rows.push(row(
        "2024 update: national annual cost of support for all returners",
        "£67m (£7,857 per family)",
        67e6,
        0.5e6,
        name,
        &metric(&runs, 1, Metric::SupportCostUndiscounted),
    ));
    Ok(rows)
}

/// A plain-text table of the rows.
pub fn table(rows: &[Row]) -> String {
    use std::fmt::Write;
    // Format every number of a row in the unit of its published figure. The sign, a true minus
    // (U+2212), goes before the pound sign, and only on a figure that does not round to zero:
    // "£-0.00m" says nothing.
    let fmt = |v: f64, unit: f64| {
        let s = if unit.abs() >= 1e5 {
            format!("£{:.2}m", v.abs() / 1e6)
        } else if unit.abs() >= 1.0 {
            format!("{:.1}", v.abs())
        } else {
            format!("{:.2}%", 100.0 * v.abs())
        };
        if v < 0.0 && s.bytes().any(|b| (b'1'..=b'9').contains(&b)) { format!("−{s}") } else { s }
    };
    let mut out = String::new();
    let _ =
        writeln!(out, "{:<64} {:>34} {:>12} {:>10} {:>11}  ok", "figure", "published", "engine", "MCSE", "difference");
    for r in rows {
        let _ = writeln!(
            out,
            "{:<64} {:>34} {:>12} {:>10} {:>11}  {}",
            r.figure,
            r.published,
            fmt(r.engine, r.published_value),
            fmt(r.mcse, r.published_value),
            fmt(r.difference, r.published_value),
            if r.within_tolerance { "yes" } else { "NO" }
        );
    }
    out
}

/// `reunify reproduce`: the published figures re-run and compared (exit 1 when one is not
/// recovered within its tolerance), or with `external` the external validation table, and
/// with `out` its CSV and chart written beside a run.
pub fn command(format: Format, is_external: bool, out: Option<&Path>, iterations: Option<u32>) -> Result<(), AppError> {
    let iterations = settings::iterations(iterations, 1)?;
    if let Some(dir) = &out {
        staging::check_side_folder(dir)?;
    }
    if is_external {
        let ext = external(iterations)?;
        if let Some(dir) = &out {
            write_validation(dir, &ext)?;
        }
        match format {
            Format::Json => println!("{}", serde_json::to_string_pretty(&ext.rows)?),
            Format::Table => print!("{}", external_table(&ext.rows)),
        }
        // The table reports agreement; it is not a test the model must pass.
        return Ok(());
    }
    let rows = reproduce(iterations)?;
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
        Format::Table => print!("{}", table(&rows)),
    }
    if rows.iter().all(|r| r.within_tolerance) {
        Ok(())
    } else {
        Err(AppError::failed(anyhow!("some figures were not recovered within tolerance")))
    }
}

/// `reproduce --external --out DIR`: the validation table and chart, each written whole
/// into a staging file in `DIR` and renamed into place.
fn write_validation(dir: &Path, ext: &External) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let staged = tempfile::Builder::new()
        .prefix(".validation-")
        .tempdir_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    crate::results::table::write(staged.path(), &ext.rows, crate::results::table::Formats::CSV)?;
    let drawn = crate::report::charts::Drawn::new(staged.path());
    // The chart sets the scenarios' own curves beside the figures; the cross-validated rows
    // are in the table.
    let own: Vec<ValidationRow> = ext.rows.iter().filter(|r| !r.cross_validated).cloned().collect();
    drawn.draw(&crate::report::charts::ValidationChart::new(&ext.curves, &own))?;
    drawn.finish()?;
    for f in ["validation.csv", "validation.svg", "validation.png"] {
        std::fs::rename(staged.path().join(f), dir.join(f))
            .with_context(|| format!("cannot write {}", dir.join(f).display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money_row(engine: f64, difference: f64) -> Row {
        Row {
            figure: "cost".into(),
            published: "£67m".into(),
            published_value: 67e6,
            rounding: 0.5e6,
            engine,
            mcse: 0.0,
            difference,
            within_tolerance: true,
            scenario: "x".into(),
        }
    }

    #[test]
    fn a_difference_that_rounds_to_zero_has_no_sign_and_others_keep_theirs() {
        let t = table(&[money_row(66_999_000.0, -1_000.0), money_row(66_640_000.0, -360_000.0)]);
        assert!(!t.contains("-£0.00m") && !t.contains("£-"), "{t}");
        assert!(t.contains(" £0.00m") && t.contains(" −£0.36m"), "{t}");
    }
}
