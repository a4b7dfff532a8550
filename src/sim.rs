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
use crate::model::{Inputs, ModelError, StrategyInputs, draw_parameters};
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
    /// Block `k`, generating blocks in order up to it. The maltreatment draw is skipped when
    /// the run has no maltreatment hazard: that is fixed for the whole run, so every strategy
    /// and every child still reads the same numbers.
    #[inline]
    fn block(&mut self, k: usize, maltreatment: bool) -> Block {
        while self.blocks.len() <= k {
            let rng = &mut self.rng;
            self.blocks.push(Block {
                u_take_up: rng.random(),
                e_reentry: Exp1.sample(rng),
                e_maltreatment: if maltreatment { Exp1.sample(rng) } else { 0.0 },
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
    /// The authority's key: a hash of its name, so adding, removing or reordering
    /// authorities never changes another authority's random numbers.
    pub authority: u64,
}

/// Number of monthly bins of the re-entry curve for a horizon.
pub fn months_in(horizon: f64) -> usize {
    (horizon * 12.0 - 1e-9).ceil().max(0.0) as usize
}

/// What one child contributes to a strategy's tally.
#[derive(Clone, Copy, Debug, Default)]
struct ChildOutcome {
    returns_home: u64,
    breakdowns: u64,
    breakdowns_disc: f64,
    /// Time of the first re-entry, if any, before the horizon.
    first_reentry: Option<f64>,
    maltreatment_events: u64,
    maltreatment_disc: f64,
    care_years: f64,
    care_years_disc: f64,
    supported_returns: u64,
    supported_returns_disc: f64,
    supported_years: f64,
    supported_years_disc: f64,
}

impl ChildOutcome {
    #[inline]
    fn add_to(&self, t: &mut Tally) {
        t.children += 1;
        t.returns_home += self.returns_home;
        t.breakdowns += self.breakdowns;
        t.breakdowns_disc += self.breakdowns_disc;
        if let Some(at) = self.first_reentry {
            t.children_with_breakdown += 1;
            let last = t.first_reentry_by_month.len().saturating_sub(1);
            if let Some(c) = t.first_reentry_by_month.get_mut(((at * 12.0) as usize).min(last)) {
                *c += 1;
            }
            t.first_reentry_under_2_weeks += (at < TWO_WEEKS_YEARS) as u64;
            t.first_reentry_under_2_years += (at < 2.0) as u64;
        }
        t.maltreatment_events += self.maltreatment_events;
        t.maltreatment_disc += self.maltreatment_disc;
        t.care_years += self.care_years;
        t.care_years_disc += self.care_years_disc;
        t.supported_returns += self.supported_returns;
        t.supported_returns_disc += self.supported_returns_disc;
        t.supported_years += self.supported_years;
        t.supported_years_disc += self.supported_years_disc;
    }
}

/// A child's fixed characteristics in one iteration.
struct Child {
    mask: u64,
    scale_reentry: f64,
    scale_maltreatment: f64,
}

/// Whether a family offered strategy `s` engages in stay `k`: support is offered on the first
/// return, and on later ones only if the strategy repeats offers; take-up is decided per offer.
#[inline]
fn engages_at(s: &StrategyInputs, k: usize, b: &Block) -> bool {
    (k == 0 || s.repeat_on_later_returns) && b.u_take_up < s.take_up
}

/// Walks one child's path under strategy `s`, or with no support at all when `s` is `None`.
/// A strategy is only passed for a child it is offered to. Returns the outcome and the
/// number of stays at home.
#[inline]
fn walk(inputs: &Inputs, s: Option<&StrategyInputs>, child: &Child, draws: &mut ChildDraws) -> (ChildOutcome, usize) {
    let mut out = ChildOutcome::default();
    let h = inputs.horizon;
    if h <= 0.0 {
        return (out, 0);
    }
    let disc = inputs.discount;
    let mut t0 = 0.0;
    let mut k = 0usize;
    let mut failed_scale = 1.0;
    loop {
        let b = draws.block(k, inputs.maltreatment.is_some());
        out.returns_home += 1;
        let engaged = s.is_some_and(|s| engages_at(s, k, &b));
        let (eff_re, eff_mal, support_years) = match s {
            Some(s) if engaged => (
                Effect { window: s.effect_years, ratio: s.hr_reentry },
                Effect { window: s.effect_years, ratio: s.hr_maltreatment },
                s.support_years,
            ),
            _ => (Effect::NONE, Effect::NONE, 0.0),
        };
        let remaining = h - t0;
        let reentry = inputs.reentry.invert(b.e_reentry, child.scale_reentry * failed_scale, eff_re, remaining);
        let home_until = reentry.unwrap_or(remaining);
        if let Some(m) = &inputs.maltreatment {
            // At most one event per stay, before the re-entry and the horizon.
            if let Some(tm) = m.invert(b.e_maltreatment, child.scale_maltreatment, eff_mal, home_until) {
                out.maltreatment_events += 1;
                out.maltreatment_disc += disc.factor(t0 + tm);
            }
        }
        if engaged {
            out.supported_returns += 1;
            out.supported_returns_disc += disc.factor(t0);
            let len = support_years.min(home_until);
            out.supported_years += len;
            out.supported_years_disc += disc.integral(t0, t0 + len);
        }
        let Some(t) = reentry else { break };
        let at = t0 + t;
        out.breakdowns += 1;
        out.breakdowns_disc += disc.factor(at);
        if k == 0 {
            out.first_reentry = Some(at);
        }
        let d = inputs.care_duration(b.z_care);
        let care_end = (at + d).min(h);
        out.care_years += care_end - at;
        out.care_years_disc += disc.integral(at, care_end);
        if at + d < h && b.u_return < inputs.return_home_probability {
            t0 = at + d;
            k += 1;
            failed_scale *= inputs.hr_per_failed_return;
        } else {
            break;
        }
    }
    (out, k + 1)
}

/// Simulates children `first..last` of one authority under every strategy, adding to
/// `tallies[strategy]`.
///
/// Each child's path without any support is walked once. A strategy that would engage the
/// family in none of that path's stays follows exactly that path, so its outcome is reused
/// rather than recomputed; only strategies that engage walk a path of their own.
pub fn simulate_children(inputs: &Inputs, key: StreamKey, first: u64, last: u64, tallies: &mut [Tally]) {
    let n_rf = inputs.prevalence.len();
    let mut blocks = Vec::with_capacity(8);
    for id in first..last {
        // Risk factors: one uniform per factor, compared with the prevalence, so a changed
        // prevalence flips as few children as possible between iterations.
        let mut child = Child { mask: 0, scale_reentry: 1.0, scale_maltreatment: 1.0 };
        if n_rf > 0 {
            let mut rng = stream(key.seed, key.iteration as u64, key.authority, id, Purpose::RiskFactors);
            for j in 0..n_rf {
                let u: f64 = rng.random();
                if u < inputs.prevalence[j] {
                    child.mask |= 1 << j;
                    child.scale_reentry *= inputs.rf_hr_reentry[j];
                    child.scale_maltreatment *= inputs.rf_hr_maltreatment[j];
                }
            }
        }
        blocks.clear();
        let mut draws = ChildDraws {
            rng: stream(key.seed, key.iteration as u64, key.authority, id, Purpose::Stays),
            blocks: std::mem::take(&mut blocks),
        };
        let (plain, stays) = walk(inputs, None, &child, &mut draws);
        for (s, tally) in inputs.strategies.iter().zip(tallies.iter_mut()) {
            let engages = s.offered[child.mask as usize] && (0..stays).any(|k| engages_at(s, k, &draws.blocks[k]));
            if engages {
                walk(inputs, Some(s), &child, &mut draws).0.add_to(tally);
            } else {
                plain.add_to(tally);
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
    for auth in &sc.authorities {
        let key = StreamKey { seed, iteration, authority: crate::rng::name_key(&auth.name) };
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
