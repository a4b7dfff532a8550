//! The microsimulation: children's paths home, into care and home again.
//!
//! For each child the engine draws its risk factors once, then walks its stays at home
//! (MODEL.md, "The child's path"). In stay `k`, starting at `t0`, the re-entry hazard is
//! `c · h0(s) · HR_failed^k · m(s)` and the event time is sampled exactly by inverting the
//! piecewise-linear cumulative hazard. A breakdown is followed by a log-normal care episode;
//! the child goes home again only if it ends before the horizon and with probability
//! `q_return`. The horizon censors everything.
//!
//! **Common random numbers**: a child's draws are generated in blocks, one block per stay,
//! each with the same fixed list of numbers (take-up, re-entry, maltreatment, care length,
//! return home). Every strategy reads the same blocks, so a strategy that changes nothing
//! gives exactly the comparator's numbers, and increments reflect the strategy alone.
//!
//! **Parallelism**: iterations run in parallel, and within an iteration children are cut
//! into fixed chunks of [`CHUNK`] children that also run in parallel. Chunk tallies are
//! merged in chunk order, so sums do not depend on the thread count.

use rand::RngExt;
use rand_distr::{Distribution, Exp1, StandardNormal};
use rayon::prelude::*;

use crate::hazard::Effect;
use crate::model::{Inputs, ModelError, draw_parameters};
use crate::rng::{Purpose, StreamRng, stream};
use crate::scenario::Scenario;
use crate::tally::{TWO_WEEKS_YEARS, Tally};

/// Children per chunk. Fixed, so chunking never depends on the number of threads.
pub const CHUNK: u64 = 2048;
/// Chunks merged per batch: bounds the chunk tallies held at once, whatever the cohort size.
const BATCH: u64 = 64;

/// One stay's worth of random numbers.
#[derive(Clone, Copy, Debug)]
struct Block {
    u_take_up: f64,
    e_reentry: f64,
    e_maltreatment: f64,
    z_care: f64,
    u_return: f64,
}

/// A child's lazily-generated sequence of stay blocks, shared by all strategies.
struct ChildDraws {
    rng: StreamRng,
    blocks: Vec<Block>,
}

impl ChildDraws {
    #[inline]
    fn block(&mut self, k: usize) -> Block {
        while self.blocks.len() <= k {
            let rng = &mut self.rng;
            self.blocks.push(Block {
                u_take_up: rng.random(),
                e_reentry: Exp1.sample(rng),
                e_maltreatment: Exp1.sample(rng),
                z_care: StandardNormal.sample(rng),
                u_return: rng.random(),
            });
        }
        self.blocks[k]
    }
}

/// Where a run's random numbers come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamKey {
    pub seed: u64,
    pub iteration: u32,
    pub authority: u32,
}

/// Number of monthly bins of the re-entry curve for a horizon.
pub fn months_in(horizon: f64) -> usize {
    (horizon * 12.0 - 1e-9).ceil().max(0.0) as usize
}

/// Simulates children `first..last` of one authority under every strategy, adding to
/// `tallies[strategy]`.
pub fn simulate_children(inputs: &Inputs, key: StreamKey, first: u64, last: u64, tallies: &mut [Tally]) {
    let n_rf = inputs.prevalence.len();
    let mut blocks = Vec::with_capacity(8);
    let h = inputs.horizon;
    let disc = inputs.discount;
    for child in first..last {
        // Risk factors: one uniform per factor, compared with the prevalence, so a changed
        // prevalence flips as few children as possible between iterations.
        let mut mask = 0u64;
        let mut scale_re = 1.0;
        let mut scale_mal = 1.0;
        if n_rf > 0 {
            let mut rng = stream(key.seed, key.iteration as u64, key.authority as u64, child, Purpose::RiskFactors);
            for j in 0..n_rf {
                let u: f64 = rng.random();
                if u < inputs.prevalence[j] {
                    mask |= 1 << j;
                    scale_re *= inputs.rf_hr_reentry[j];
                    scale_mal *= inputs.rf_hr_maltreatment[j];
                }
            }
        }
        blocks.clear();
        let mut draws = ChildDraws {
            rng: stream(key.seed, key.iteration as u64, key.authority as u64, child, Purpose::Stays),
            blocks: std::mem::take(&mut blocks),
        };
        for (s, tally) in inputs.strategies.iter().zip(tallies.iter_mut()) {
            tally.children += 1;
            if h <= 0.0 {
                continue;
            }
            let eligible = s.eligibility.admits(mask);
            let mut t0 = 0.0;
            let mut k = 0usize;
            let mut failed_scale = 1.0;
            loop {
                let b = draws.block(k);
                tally.returns_home += 1;
                let offered = eligible && (k == 0 || s.repeat_on_later_returns);
                let engaged = offered && b.u_take_up < s.take_up;
                let remaining = h - t0;
                let (eff_re, eff_mal) = if engaged {
                    (
                        Effect { window: s.effect_years, ratio: s.hr_reentry },
                        Effect { window: s.effect_years, ratio: s.hr_maltreatment },
                    )
                } else {
                    (Effect::NONE, Effect::NONE)
                };
                let reentry = inputs.reentry.invert(b.e_reentry, scale_re * failed_scale, eff_re, remaining);
                let home_until = reentry.unwrap_or(remaining);
                if let Some(m) = &inputs.maltreatment {
                    // At most one event per stay, before the re-entry and the horizon.
                    if let Some(tm) = m.invert(b.e_maltreatment, scale_mal, eff_mal, home_until) {
                        tally.maltreatment_events += 1;
                        tally.maltreatment_disc += disc.factor(t0 + tm);
                    }
                }
                if engaged {
                    tally.supported_returns += 1;
                    tally.supported_returns_disc += disc.factor(t0);
                    let len = s.support_years.min(home_until);
                    tally.supported_years += len;
                    tally.supported_years_disc += disc.integral(t0, t0 + len);
                }
                let Some(t) = reentry else { break };
                let at = t0 + t;
                tally.breakdowns += 1;
                tally.breakdowns_disc += disc.factor(at);
                if k == 0 {
                    tally.children_with_breakdown += 1;
                    let bin = ((at * 12.0) as usize).min(tally.first_reentry_by_month.len().saturating_sub(1));
                    if let Some(c) = tally.first_reentry_by_month.get_mut(bin) {
                        *c += 1;
                    }
                    tally.first_reentry_under_2_weeks += (at < TWO_WEEKS_YEARS) as u64;
                    tally.first_reentry_under_2_years += (at < 2.0) as u64;
                }
                let d = inputs.care_duration(b.z_care);
                let care_end = (at + d).min(h);
                tally.care_years += care_end - at;
                tally.care_years_disc += disc.integral(at, care_end);
                if at + d < h && b.u_return < inputs.return_home_probability {
                    t0 = at + d;
                    k += 1;
                    failed_scale *= inputs.hr_per_failed_return;
                } else {
                    break;
                }
            }
        }
        blocks = draws.blocks;
    }
}

/// Simulates one authority's cohort in one iteration: one tally per strategy.
pub fn simulate_authority(inputs: &Inputs, key: StreamKey, children: u64) -> Vec<Tally> {
    let months = months_in(inputs.horizon);
    let empty = || vec![Tally::new(months); inputs.strategies.len()];
    let chunks = children.div_ceil(CHUNK);
    let mut total = empty();
    let mut start = 0;
    while start < chunks {
        let end = (start + BATCH).min(chunks);
        let parts: Vec<Vec<Tally>> = (start..end)
            .into_par_iter()
            .map(|c| {
                let mut t = empty();
                simulate_children(inputs, key, c * CHUNK, ((c + 1) * CHUNK).min(children), &mut t);
                t
            })
            .collect();
        for part in &parts {
            for (acc, p) in total.iter_mut().zip(part) {
                *acc += p;
            }
        }
        start = end;
    }
    total
}

/// The results of one iteration (iteration 0 is the base case).
#[derive(Clone, Debug, PartialEq)]
pub struct IterationResult {
    pub iteration: u32,
    /// Parameter values, indexed like [`Scenario::params`].
    pub values: Vec<f64>,
    pub inputs: Inputs,
    /// `tallies[strategy][authority]`.
    pub tallies: Vec<Vec<Tally>>,
}

/// Runs one iteration at parameter values `values`.
pub fn run_iteration(
    sc: &Scenario,
    seed: u64,
    iteration: u32,
    values: Vec<f64>,
) -> Result<IterationResult, ModelError> {
    let inputs = Inputs::resolve(sc, &values, iteration)?;
    let mut tallies = vec![Vec::with_capacity(sc.authorities.len()); sc.strategies.len()];
    for (a, auth) in sc.authorities.iter().enumerate() {
        let key = StreamKey { seed, iteration, authority: a as u32 };
        for (s, t) in simulate_authority(&inputs, key, auth.children).into_iter().enumerate() {
            tallies[s].push(t);
        }
    }
    Ok(IterationResult { iteration, values, inputs, tallies })
}

/// What to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunOptions {
    pub seed: u64,
    pub iterations: u32,
    pub base_case_only: bool,
}

/// A whole run: the base case and the PSA iterations, in iteration order.
#[derive(Clone, Debug, PartialEq)]
pub struct RunResult {
    pub base: IterationResult,
    pub psa: Vec<IterationResult>,
}

/// Runs the base case and `iterations` PSA draws. `progress` is called once per finished
/// iteration (from any thread); the engine itself never prints.
pub fn run(sc: &Scenario, opts: RunOptions, progress: &(dyn Fn() + Sync)) -> Result<RunResult, ModelError> {
    let base = run_iteration(sc, opts.seed, 0, sc.point_values())?;
    progress();
    let psa = if opts.base_case_only {
        Vec::new()
    } else {
        (1..=opts.iterations)
            .into_par_iter()
            .map(|i| {
                let r = run_iteration(sc, opts.seed, i, draw_parameters(sc, opts.seed, i));
                progress();
                r
            })
            .collect::<Result<Vec<_>, _>>()?
    };
    Ok(RunResult { base, psa })
}
