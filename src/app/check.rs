//! The commands that read a scenario and print: `validate` (every file checked, the worst
//! exit code kept), `breakeven` and `tornado` (the base case simulated and re-simulated,
//! [`Resimulation`]).

use std::path::{Path, PathBuf};

use anyhow::anyhow;

use super::{AppError, load_scenario};
use crate::decision::Resimulation;
use crate::results::{
    self,
    format::{count, money},
};
use crate::scenario::Scenario;

/// The children a scenario follows, showing how the total is made: "180 children", or in
/// flow mode "60 children a cohort × 3 cohorts = 180 children" (with growth, the cohorts
/// are listed: "3 cohorts of 60, 63 and 66 = 189 children").
fn children_phrase(sc: &Scenario) -> String {
    let total = count(sc.total_children() as f64);
    let Some(_) = &sc.budget else { return format!("{total} children") };
    let mut by_cohort: Vec<u64> = Vec::new();
    for a in &sc.authorities {
        for (i, n) in sc.cohorts(a.children).into_iter().enumerate() {
            if by_cohort.len() <= i {
                by_cohort.push(0);
            }
            by_cohort[i] += n;
        }
    }
    match by_cohort.as_slice() {
        [] | [_] => format!("{total} children"),
        [first, rest @ ..] if rest.iter().all(|n| n == first) => {
            format!("{} children a cohort × {} cohorts = {total} children", count(*first as f64), by_cohort.len())
        }
        all => {
            let sizes: Vec<String> = all.iter().map(|n| count(*n as f64)).collect();
            let (last, init) = sizes.split_last().expect("at least two cohorts");
            format!("{} cohorts of {} and {last} = {total} children", all.len(), init.join(", "))
        }
    }
}

/// `reunify validate FILE...`: every file is checked and reported, good or bad; the exit code
/// is the worst.
pub fn validate(files: &[PathBuf]) -> Result<(), AppError> {
    let mut worst: Option<AppError> = None;
    let mut failed = 0;
    for f in files {
        let sc = match load_scenario(f) {
            Ok(sc) => sc,
            Err(e) => {
                failed += 1;
                if files.len() > 1 {
                    eprintln!("error: {e}");
                }
                worst.get_or_insert(e);
                continue;
            }
        };
        let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        println!(
            "{}: ok ({}, {}, {}, {} of which {} uncertain)",
            f.display(),
            plural(sc.authorities.len(), "authority", "authorities"),
            children_phrase(&sc),
            plural(sc.model.strategies.len(), "strategy", "strategies"),
            plural(sc.params.len(), "parameter", "parameters"),
            sc.params.iter().filter(|p| !p.param.dist.is_fixed()).count()
        );
    }
    match worst {
        None => Ok(()),
        Some(e) if files.len() == 1 => Err(e),
        Some(e) => Err(e.replaced(anyhow!("{failed} of {} files did not validate", files.len()))),
    }
}

/// `reunify breakeven FILE`: one sentence per strategy.
pub fn breakeven(file: &Path, seed: Option<u64>) -> Result<(), AppError> {
    let sc = load_scenario(file)?;
    let rows = Resimulation::simulate(&sc, seed.unwrap_or(sc.meta.seed))?.breakeven()?;
    for b in &rows {
        println!(
            "{}",
            results::verdict::breakeven_sentence(b, sc.horizon(), &results::verdict::Labels::of_scenario(&sc))
        );
    }
    Ok(())
}

/// `reunify tornado FILE`: the `top` parameters of each strategy, largest swing first.
pub fn tornado(file: &Path, top: usize, seed: Option<u64>) -> Result<(), AppError> {
    let sc = load_scenario(file)?;
    let t = Resimulation::simulate(&sc, seed.unwrap_or(sc.meta.seed))?.tornado()?;
    let labels = crate::results::verdict::Labels::of_scenario(&sc);
    // Inputs by their labels and values in their units, as the report's tornado shows them;
    // the keys are in `tornado.csv`.
    let width = t.rows.iter().map(|r| r.label.chars().count()).max().unwrap_or(0).clamp(5, 64);
    for (name, net, averted) in &t.base {
        println!(
            "{}: base case net saving {}, breakdowns averted {}",
            labels.alone(name),
            money(*net),
            count(*averted)
        );
        println!("  {:<width$} {:>12} {:>12} {:>14} {:>14}", "input", "low", "high", "net at low", "net at high");
        for r in t.rows.iter().filter(|r| &r.strategy == name).take(top) {
            let unit = crate::report::value_unit(&r.parameter);
            let label: String = r.label.chars().take(width).collect();
            println!(
                "  {label:<width$} {:>12} {:>12} {:>14} {:>14}",
                crate::report::fmt_value(r.low_value, unit),
                crate::report::fmt_value(r.high_value, unit),
                money(r.low_net_saving),
                money(r.high_net_saving)
            );
        }
    }
    Ok(())
}
