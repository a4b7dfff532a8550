//! Flags checked once: one rule per flag, the same for every command (after ripgrep's
//! `lowargs → HiArgs`).
//!
//! Every command that takes `--threads`, `--iterations`, `--seed` or `--decision-years` passes
//! them through here before any work starts, so a value `run` refuses is refused by `pilot`,
//! `reproduce`, `merge` and `serve` too, with the same words and exit code 2. `--seed` and
//! `--iterations` are then written onto the [`Scenario`] ([`apply`]), so that `sc.meta` is the
//! one truth a run reads; and the worker pool is built once, for the whole process
//! ([`install_pool`]).
//!
//! The rules:
//! - `--threads N`: 1 or more; above the machine's cores it is capped at them, with a warning
//!   (more threads than cores only adds contention). Absent: every core.
//! - `--iterations N`: from the command's minimum (1, or 10 for a pilot, whose value is
//!   estimated over the PSA draws) to [`crate::scenario::MAX_ITERATIONS`], the bound a scenario's
//!   own `iterations` has.
//! - `--decision-years Y`: a finite number of years above 0 and at most 100.
//! - the size of the work: children × runs × strategies at most [`MAX_CHILD_PATHS`] unless the
//!   command allows `--force` and it is given ([`check_size`]).

use anyhow::anyhow;

use super::AppError;
use crate::results::format::count;
use crate::scenario::{MAX_ITERATIONS, Scenario};

/// Runs beyond this many child-paths (children × runs × strategies) need `--force`.
pub const MAX_CHILD_PATHS: f64 = 1e12;

/// A conservative speed for the run-time estimate: child-paths a second on one core (the
/// default scenario runs 3 strategies for about 12.8 M children a second per core).
pub const PATHS_PER_CORE_SECOND: f64 = 10e6;

/// The most years of cohorts a decision may be taken to affect.
pub const MAX_DECISION_YEARS: f64 = 100.0;

/// `--threads`: `None` (every core), or a number from 1, capped at the cores.
pub fn threads(flag: Option<usize>) -> Result<Option<usize>, AppError> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    match flag {
        Some(0) => Err(AppError::bad(anyhow!(
            "--threads 0: give a number of worker threads from 1 (or leave it out for every core)"
        ))),
        Some(n) if n > cores => {
            eprintln!("warning: --threads {n} is more than the {cores} cores of this machine; using {cores}");
            Ok(Some(cores))
        }
        t => Ok(t),
    }
}

/// Builds the process's one worker pool with the threads [`threads`] allowed, and returns how
/// many it has. Called once, by the dispatcher, before any command works; a second call (a
/// test calling the dispatcher twice in one process) keeps the first pool.
pub fn install_pool(threads: Option<usize>) -> usize {
    if let Some(n) = threads {
        // An error means a pool exists already: the work runs on it, which changes no result.
        let _ = rayon::ThreadPoolBuilder::new().num_threads(n).build_global();
    }
    rayon::current_num_threads()
}

/// `--iterations`: at least `min`, at most [`MAX_ITERATIONS`].
pub fn iterations(flag: Option<u32>, min: u32) -> Result<Option<u32>, AppError> {
    match flag {
        Some(n) if n < min => Err(AppError::bad(anyhow!(
            "--iterations must be at least {min}, not {n}: {}",
            if min == 1 {
                "replications estimate each figure's Monte Carlo error"
            } else {
                "a pilot's value is estimated over the PSA draws"
            }
        ))),
        Some(n) if n > MAX_ITERATIONS => Err(AppError::bad(anyhow!(
            "--iterations {n} is more than {} (each iteration's results are kept in memory)",
            count(MAX_ITERATIONS as f64)
        ))),
        n => Ok(n),
    }
}

/// `--decision-years`: finite, above 0, at most [`MAX_DECISION_YEARS`].
pub fn decision_years(years: f64) -> Result<f64, AppError> {
    if years.is_finite() && years > 0.0 && years <= MAX_DECISION_YEARS {
        Ok(years)
    } else {
        Err(AppError::bad(anyhow!("--decision-years {years} is not a number of years from above 0 to 100")))
    }
}

/// Writes `--seed` and `--iterations` onto the scenario, so that `sc.meta` is what the run uses.
pub fn apply(sc: &mut Scenario, seed: Option<u64>, iterations: Option<u32>) {
    if let Some(s) = seed {
        sc.meta.seed = s;
    }
    if let Some(n) = iterations {
        sc.meta.iterations = n;
    }
}

/// The work a scenario asks for: children × runs × strategies, with the runs including the
/// base case.
pub fn child_paths(sc: &Scenario, runs: u64) -> f64 {
    sc.total_children() as f64 * runs as f64 * sc.model.strategies.len() as f64
}

/// Refuses work beyond [`MAX_CHILD_PATHS`] unless `force`, and returns the estimated seconds
/// on `threads` threads.
pub fn check_size(sc: &Scenario, runs: u64, threads: usize, force: Option<bool>) -> Result<f64, AppError> {
    let paths = child_paths(sc, runs);
    let estimate = paths / (PATHS_PER_CORE_SECOND * threads as f64);
    if paths > MAX_CHILD_PATHS && force != Some(true) {
        let remedy = if force.is_some() {
            "Lower --iterations or the cohort, or pass --force"
        } else {
            "Lower --iterations or the cohort"
        };
        return Err(AppError::bad(anyhow!(
            "this is {} child-paths ({} children × {} runs × {} strategies), beyond the limit of 10^12; at about {} million a second on {threads} threads it would take about {}. {remedy}",
            crate::dist::fmt_num(paths),
            count(sc.total_children() as f64),
            count(runs as f64),
            sc.model.strategies.len(),
            PATHS_PER_CORE_SECOND / 1e6 * threads as f64,
            super::run::duration(estimate)
        )));
    }
    Ok(estimate)
}
