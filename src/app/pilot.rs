//! `reunify pilot`: what a local two-arm trial of a strategy's support is worth before the
//! decision is made (EVSI and ENBS, [`crate::pilot`]), at each trial size.
//!
//! The trial's settings come from the scenario's `[pilot]` section, or the defaults, with each
//! flag overriding one of them and checked by the same rules. The command runs the scenario's
//! PSA in memory (no output folder is needed), prints one row per size and the conclusion in
//! words, and with `--out` writes `evsi.csv` and the `evsi` chart.

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};

use super::{AppError, Format, load_scenario, settings};
use crate::analyses::{Analyses, Scope, Settings};
use crate::digest::RunDigest;
use crate::pilot::Valued;
use crate::results::format::{count, money};
use crate::scenario::{Pilot, Scenario};
use crate::sim::RunOptions;

#[derive(clap::Args, Debug)]
pub struct PilotArgs {
    /// The scenario file.
    pub file: PathBuf,
    /// The strategy whose support is trialled (default: `[pilot]`'s, else the one with the
    /// largest expected net benefit at the pilot's value).
    #[arg(long)]
    pub strategy: Option<String>,
    /// Arms of the trial: support against usual care (only 2 is modelled).
    #[arg(long)]
    pub arms: Option<u32>,
    /// Years each family is followed for a re-entry (default 1).
    #[arg(long)]
    pub follow_up_years: Option<f64>,
    /// Families per arm, comma-separated and increasing (default 50,100,200,400,800).
    #[arg(long, value_delimiter = ',')]
    pub sizes: Option<Vec<i64>>,
    /// Value per breakdown averted, £ (default: `[pilot]`'s or `[decision]`'s single value,
    /// else where the choice is most uncertain over `[decision]`'s range).
    #[arg(long)]
    pub wtp: Option<f64>,
    /// The pilot's fixed cost, £ (default £150,000).
    #[arg(long)]
    pub fixed_cost: Option<f64>,
    /// Its cost per family enrolled in either arm, £ (default £3,300).
    #[arg(long)]
    pub cost_per_family: Option<f64>,
    /// PSA iterations (overrides the scenario).
    #[arg(long)]
    pub iterations: Option<u32>,
    /// Random seed (overrides the scenario).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Years of cohorts the decision affects: population EVSI is EVSI per decision times this.
    #[arg(long, default_value_t = 3.0)]
    pub decision_years: f64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Also write evsi.csv and the evsi chart into this folder.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// The pilot the flags describe: the scenario's `[pilot]` (or the defaults) with each flag
/// given put in its place, checked as `[pilot]` is.
pub fn settings(sc: &Scenario, a: &PilotArgs) -> Result<Pilot, AppError> {
    let mut p = sc.pilot.clone().unwrap_or_else(|| Pilot::defaults(sc.values.pilot_value()));
    let flag = |name: &'static str| move |reason: String| AppError::bad(anyhow!("--{name}: {reason}"));
    if sc.model.strategies.len() < 2 {
        return Err(AppError::bad(anyhow!("a pilot needs a strategy besides the comparator to trial")));
    }
    if let Some(name) = &a.strategy {
        let names: Vec<&str> = sc.model.strategies.iter().map(|s| s.name.as_str()).collect();
        p.strategy = Some(Pilot::strategy_named(name, &names).map_err(flag("strategy"))?);
    }
    if let Some(n) = a.arms {
        Pilot::check_arms(n).map_err(flag("arms"))?;
    }
    if let Some(f) = a.follow_up_years {
        p.follow_up_years = Pilot::check_follow_up(f).map_err(flag("follow-up-years"))?;
    }
    if let Some(s) = &a.sizes {
        p.sizes = Pilot::check_sizes(s).map_err(flag("sizes"))?;
    }
    if let Some(x) = a.fixed_cost {
        p.fixed_cost = Pilot::check_money(x).map_err(flag("fixed-cost"))?;
    }
    if let Some(x) = a.cost_per_family {
        p.cost_per_family = Pilot::check_money(x).map_err(flag("cost-per-family"))?;
    }
    if let Some(x) = a.wtp {
        p.value_per_breakdown_averted = Some(Pilot::check_money(x).map_err(flag("wtp"))?);
    }
    Ok(p)
}

/// `reunify pilot FILE ...`.
pub fn pilot_command(a: &PilotArgs) -> Result<(), AppError> {
    let iterations = settings::iterations(a.iterations, 10)?;
    if let Some(dir) = &a.out {
        super::staging::check_side_folder(dir)?;
    }
    let decision_years = settings::decision_years(a.decision_years)?;
    let mut sc = load_scenario(&a.file)?;
    settings::apply(&mut sc, a.seed, iterations);
    if sc.meta.iterations < 10 {
        return Err(AppError::bad(anyhow!(
            "{}: {} PSA iterations; a pilot's value is estimated over the PSA draws, so give --iterations 10 or more",
            a.file.display(),
            sc.meta.iterations
        )));
    }
    let pilot = settings(&sc, a)?;
    settings::check_size(&sc, sc.meta.iterations as u64, rayon::current_num_threads(), None)?;
    let valued = value(&sc, &pilot, decision_years, a.wtp.is_some())?;
    if let Some(dir) = &a.out {
        write(dir, &valued)?;
    }
    let comparator = &sc.model.strategies[0].name;
    match a.format {
        Format::Json => {
            let json = serde_json::json!({ "pilot": valued.summary, "sizes": valued.rows });
            println!("{}", serde_json::to_string_pretty(&json)?);
        }
        Format::Table => {
            println!(
                "{:>16} {:>18} {:>16} {:>14} {:>14}",
                "families per arm", "EVSI per decision", "population EVSI", "pilot cost", "ENBS"
            );
            for r in &valued.rows {
                println!(
                    "{:>16} {:>18} {:>16} {:>14} {:>14}",
                    count(r.families_per_arm as f64),
                    money(r.evsi_per_decision),
                    money(r.population_evsi),
                    money(r.pilot_cost),
                    money(r.enbs)
                );
            }
            println!();
            println!(
                "{}",
                crate::results::verdict::pilot_sentence(
                    &valued.summary,
                    &valued.rows,
                    comparator,
                    &crate::results::verdict::Labels::of_scenario(&sc),
                )
            );
        }
    }
    Ok(())
}

/// Runs the scenario's PSA in memory and values the pilot (at `--wtp` when `flagged`).
fn value(sc: &Scenario, pilot: &Pilot, decision_years: f64, flagged: bool) -> anyhow::Result<Valued> {
    let run = RunDigest::simulate(
        sc,
        RunOptions { seed: sc.meta.seed, iterations: sc.meta.iterations, base_case_only: false },
    )?;
    let wtp = flagged.then(|| pilot.value_per_breakdown_averted.unwrap_or(0.0));
    let settings = Settings { decision_years, scope: Scope::Pilot { wtp } };
    let analyses = Analyses::compute(sc, &run, &settings, Some(pilot))?;
    analyses.pilot.context("too few PSA draws to value a pilot")
}

/// `--out DIR`: `evsi.csv` and the `evsi` chart, each written whole into a staging folder in
/// `DIR` and renamed into place.
fn write(dir: &Path, valued: &Valued) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let staged = tempfile::Builder::new()
        .prefix(".pilot-")
        .tempdir_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    crate::results::table::write(staged.path(), &valued.rows, crate::results::table::Formats::CSV)?;
    let drawn = crate::report::charts::Drawn::new(staged.path());
    drawn.draw(&crate::report::charts::EvsiChart::new(valued))?;
    drawn.finish()?;
    for f in ["evsi.csv", "evsi.svg", "evsi.png"] {
        std::fs::rename(staged.path().join(f), dir.join(f))
            .with_context(|| format!("cannot write {}", dir.join(f).display()))?;
    }
    Ok(())
}
