//! The microsimulation: children's paths home, into care and home again.
//!
//! For each child the engine draws its risk factors once, then walks its stays at home
//! (MODEL.md, "The child's path"). In stay `k`, starting at `t0`, the re-entry hazard is
//! `c · h0(s) · HR_failed^k · m(s)` and the event time is sampled exactly by inverting the
//! piecewise-linear cumulative hazard. A breakdown is followed by a log-normal care episode;
//! the child goes home again only if it ends before the horizon and with probability
//! `q_return`. The horizon censors everything.
//!
//! **Flow mode** (a `[budget]`): a cohort of `N · (1 + g)^y` children returns home in each
//! cohort year `y`, each child at `y + U` with `U` uniform on the year, and every path is
//! followed to the end of the budget window, which is then the horizon. Time (and
//! discounting) counts from the start of the first financial year; point costs fall in the
//! financial year in which they happen and pro-rata flows are split at year boundaries.
//!
//! **Common random numbers**: a child's draws are generated in blocks, one block per stay,
//! each with the same fixed list of numbers (take-up, re-entry, maltreatment, care length,
//! return home). Every strategy reads the same blocks, so a strategy that changes nothing
//! gives exactly the comparator's numbers, and increments reflect the strategy alone.
//!
//! **Parallelism**: iterations run in parallel, and within an iteration children are cut
//! into fixed chunks of [`CHUNK`] children that also run in parallel. Chunk tallies are
//! merged in chunk order, so sums do not depend on the thread count.

use rand::{Rng, RngExt};
use rand_distr::{Distribution, Exp1, StandardNormal};
use rayon::prelude::*;

use crate::hazard::Prepared;
use crate::model::{Inputs, ModelError, Support, draw_parameters};
use crate::rng::{Purpose, StreamBase, StreamRng};
use crate::scenario::Scenario;
use crate::tally::{Quantities, TWO_WEEKS_YEARS, Tally, YearTally};

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
    /// The length of the care episode that follows a breakdown in this stay, computed from
    /// `z_care` the first time a path needs it (NaN until then): it is the same for every
    /// strategy, so its `exp` is paid once per child rather than once per walk.
    care_years: f64,
    /// `(1 + r)^(−care_years)`, the discount over the whole episode, likewise computed the
    /// first time a path needs it: a path's factor at the episode's end is its factor at the
    /// breakdown times this.
    care_factor: f64,
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
    #[inline(always)]
    fn block(&mut self, k: usize, maltreatment: bool) -> Block {
        while self.blocks.len() <= k {
            let rng = &mut self.rng;
            self.blocks.push(Block {
                u_take_up: rng.random(),
                e_reentry: Exp1.sample(rng),
                e_maltreatment: if maltreatment { Exp1.sample(rng) } else { 0.0 },
                z_care: StandardNormal.sample(rng),
                u_return: rng.random(),
                care_years: f64::NAN,
                care_factor: f64::NAN,
            });
        }
        self.blocks[k]
    }

    /// The length in years of the care episode after a breakdown in stay `k` (already
    /// generated).
    #[inline]
    fn care_years(&mut self, k: usize, inputs: &Inputs) -> f64 {
        let b = &mut self.blocks[k];
        if b.care_years.is_nan() {
            b.care_years = inputs.care_duration(b.z_care);
        }
        b.care_years
    }

    /// The discount factor over that episode, `(1 + r)^(−care_years)`, after
    /// [`Self::care_years`].
    #[inline]
    fn care_factor(&mut self, k: usize, inputs: &Inputs) -> f64 {
        let b = &mut self.blocks[k];
        if b.care_factor.is_nan() {
            b.care_factor = inputs.discount.factor(b.care_years);
        }
        b.care_factor
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

/// What one child contributes to a strategy's tally in cohort mode. In flow mode its
/// quantities are kept by financial year instead ([`Outcome`]).
#[derive(Clone, Copy, Debug, Default)]
struct ChildOutcome {
    /// Stays begun and cost quantities.
    q: Quantities,
    /// Time of the first re-entry since the child's return home, if before the horizon.
    first_reentry: Option<f64>,
    /// The path reached [`MAX_RETURNS_HOME`] and was stopped there.
    capped: bool,
}

impl ChildOutcome {
    /// Adds the child itself and its first re-entry.
    #[inline]
    fn add_child_to(&self, t: &mut Tally) {
        t.children += 1;
        t.children_capped += self.capped as u64;
        if let Some(at) = self.first_reentry {
            t.children_with_breakdown += 1;
            let last = t.first_reentry_by_month.len().saturating_sub(1);
            if let Some(c) = t.first_reentry_by_month.get_mut(((at * 12.0) as usize).min(last)) {
                *c += 1;
            }
            t.first_reentry_under_2_weeks += (at < TWO_WEEKS_YEARS) as u64;
            t.first_reentry_under_2_years += (at < 2.0) as u64;
        }
    }
}

/// A child's outcome. In cohort mode (`FLOW` false) quantities go into `child`; in flow mode
/// they go only into the record of the financial year in which they happen, and a tally's
/// whole-window quantities are summed from its years at the end ([`Tally::total_years`]), so
/// nothing is computed twice. The mode is a type parameter because it is fixed for a run:
/// each mode gets its own compiled walk, with no test of the mode per event.
#[derive(Clone, Debug)]
struct Outcome<const FLOW: bool> {
    child: ChildOutcome,
    /// Empty in cohort mode.
    years: Vec<Quantities>,
    /// The years written since the last clear, `first..=last` (empty when `first > last`), so
    /// that clearing and adding touch only those.
    first: usize,
    last: usize,
}

impl<const FLOW: bool> Outcome<FLOW> {
    fn new(inputs: &Inputs) -> Self {
        let years = if FLOW { inputs.years } else { 0 };
        Outcome {
            child: ChildOutcome::default(),
            years: vec![Quantities::default(); years],
            first: usize::MAX,
            last: 0,
        }
    }

    #[inline]
    fn clear(&mut self) {
        self.child = ChildOutcome::default();
        if FLOW && self.first <= self.last {
            self.years[self.first..=self.last].fill(Quantities::default());
        }
        (self.first, self.last) = (usize::MAX, 0);
    }

    /// Adds the outcome of a child who returned home in financial year `arrival` (0 in
    /// cohort mode).
    #[inline]
    fn add_to(&self, t: &mut Tally, arrival: usize) {
        self.child.add_child_to(t);
        if !FLOW {
            t.q += &self.child.q;
        } else {
            t.by_year[arrival].children += 1;
            if self.first <= self.last {
                for (acc, y) in t.by_year[self.first..=self.last].iter_mut().zip(&self.years[self.first..=self.last]) {
                    acc.q += y;
                }
            }
        }
    }

    /// The record of financial year `y` in flow mode.
    #[inline]
    fn year(&mut self, y: usize) -> &mut Quantities {
        self.first = self.first.min(y);
        self.last = self.last.max(y);
        &mut self.years[y]
    }

    /// The record for something that happens at time `t`: the child's in cohort mode, the
    /// financial year's in flow mode (the last year takes the window's end).
    #[inline]
    fn at(&mut self, t: f64) -> &mut Quantities {
        if FLOW { self.year((t as usize).min(self.years.len() - 1)) } else { &mut self.child.q }
    }

    /// Records a flow over `[a, b]` whose discount factors at its ends are `fa` and `fb`,
    /// passing `add` its undiscounted and discounted length; in flow mode it is split at
    /// financial-year boundaries.
    #[inline]
    fn flow(
        &mut self,
        inputs: &Inputs,
        (a, fa): (f64, f64),
        (b, fb): (f64, f64),
        add: impl Fn(&mut Quantities, f64, f64),
    ) {
        let disc = &inputs.discount;
        if !FLOW {
            add(&mut self.child.q, b - a, disc.between(fa, fb, a, b));
            return;
        }
        let n = self.years.len();
        let (mut lo, mut f_lo) = (a, fa);
        while lo < b {
            let y = (lo as usize).min(n - 1);
            let (hi, f_hi) =
                if y + 1 < n && ((y + 1) as f64) < b { ((y + 1) as f64, inputs.year_factors[y + 1]) } else { (b, fb) };
            add(self.year(y), hi - lo, disc.between(f_lo, f_hi, lo, hi));
            (lo, f_lo) = (hi, f_hi);
        }
    }
}

/// A child's fixed characteristics in one iteration.
struct Child {
    mask: u64,
    /// When the child's path ends, in the run's years: its 18th birthday when ages are drawn
    /// (`[age_at_return]`), else never.
    end: f64,
    scale_reentry: f64,
    scale_maltreatment: f64,
    inv_scale_reentry: f64,
    inv_scale_maltreatment: f64,
}

/// Whether a family offered support `s` engages in stay `k`: support is offered on the first
/// return, and on later ones only if the strategy repeats offers; take-up is decided per offer.
#[inline]
fn engages_at(s: &Support, k: usize, b: &Block) -> bool {
    (k == 0 || s.repeat_on_later_returns) && b.u_take_up < s.take_up
}

/// The most returns home simulated for one child. A scenario with a certain return home, a
/// high re-entry rate and short care episodes could otherwise send a child home again almost
/// without end (issue #15); a path that reaches the cap stops there, is counted in
/// [`Tally::children_capped`], and `run` reports it. Real children return home a handful of
/// times at most, so the cap never binds on a plausible scenario.
pub const MAX_RETURNS_HOME: usize = 1000;

/// Walks one child's path under a strategy's support `s`, or with no support at all when `s`
/// is `None`, from its return home at `start` (0 in cohort mode) to the horizon, writing into
/// `out`. Support is only passed for a child it is offered to. Returns the number of stays at
/// home.
///
/// Forced inline into the loop over children: a walk hoists dozens of the run's constants
/// (hazard tables, discount, strategy values) into registers and stack slots before its
/// first stay, and most walks have one stay. Inlined, that set-up is done once per chunk of
/// children instead of once per walk, which cut the default scenario's time by about 15%.
#[inline(always)]
fn walk<const FLOW: bool>(
    inputs: &Inputs,
    s: Option<&Support>,
    child: &Child,
    draws: &mut ChildDraws,
    start: f64,
    out: &mut Outcome<FLOW>,
) -> usize {
    out.clear();
    // The horizon, or the 18th birthday when it comes first: no re-entry, care or support
    // from then on.
    let h = inputs.horizon.min(child.end);
    if start >= h {
        return 0;
    }
    let h_factor = if h == inputs.horizon { inputs.horizon_factor } else { inputs.discount.factor(h) };
    let disc = inputs.discount;
    let mut t0 = start;
    // The discount factor at t0, once known: a stay that follows care starts where the care
    // ended, whose factor the care flow has already computed.
    let mut f_t0 = None;
    let mut k = 0usize;
    let mut failed_scale = 1.0;
    let mut inv_failed_scale = 1.0;
    loop {
        let b = draws.block(k, inputs.maltreatment.is_some());
        out.at(t0).returns_home += 1;
        let engaged = s.is_some_and(|s| engages_at(s, k, &b));
        let (eff_re, eff_mal, support_years, support_factor) = match s {
            Some(s) if engaged => (&s.prepared_reentry, &s.prepared_maltreatment, s.support_years, s.support_factor),
            _ => (&Prepared::NONE, &Prepared::NONE, 0.0, 1.0),
        };
        let remaining = h - t0;
        let scale = child.scale_reentry * failed_scale;
        let inv_scale = child.inv_scale_reentry * inv_failed_scale;
        let reentry = inputs.reentry.invert_prepared(b.e_reentry, scale, inv_scale, eff_re, remaining);
        let home_until = reentry.unwrap_or(remaining);
        if let Some(m) = &inputs.maltreatment {
            // At most one event per stay, before the re-entry and the horizon.
            let (c, inv_c) = (child.scale_maltreatment, child.inv_scale_maltreatment);
            if let Some(tm) = m.invert_prepared(b.e_maltreatment, c, inv_c, eff_mal, home_until) {
                let o = out.at(t0 + tm);
                o.maltreatment_events += 1;
                if inputs.discounts_maltreatment {
                    o.maltreatment_disc += disc.factor(t0 + tm);
                }
            }
        }
        // The re-entry with its discount factor, which is also the end of a support window
        // that the re-entry cuts short.
        let reentry = reentry.map(|t| (t, disc.factor(t0 + t)));
        if engaged {
            let f0 = *f_t0.get_or_insert_with(|| disc.factor(t0));
            let o = out.at(t0);
            o.supported_returns += 1;
            o.supported_returns_disc += f0;
            let len = support_years.min(home_until);
            // A full window ends at a factor known from its start. A cut one ends at the
            // re-entry (`len` is then the re-entry's `t`, so `t0 + len` is exactly its time) or
            // at the horizon.
            let f_end = match reentry {
                _ if len == support_years => f0 * support_factor,
                Some((_, f_at)) => f_at,
                None => disc.factor(t0 + len),
            };
            out.flow(inputs, (t0, f0), (t0 + len, f_end), |o, u, d| {
                o.supported_years += u;
                o.supported_years_disc += d;
            });
        }
        let Some((t, f_at)) = reentry else { break };
        let at = t0 + t;
        let o = out.at(at);
        o.breakdowns += 1;
        o.breakdowns_disc += f_at;
        if k == 0 {
            out.child.first_reentry = Some(at - start);
        }
        let d = draws.care_years(k, inputs);
        let care_end = (at + d).min(h);
        // The factor at the episode's end prices its discounted years and starts the next
        // stay. When no cost line prices care years, it is left for the next stay to compute
        // only if that stay is supported, which saves an `exp` for most episodes.
        let priced = inputs.discounts_care;
        let f_care_end = if care_end == h {
            Some(h_factor)
        } else if priced {
            Some(f_at * draws.care_factor(k, inputs))
        } else {
            None
        };
        // Unpriced, the episode's end is given the breakdown's factor as a stand-in: the
        // discounted length that `flow` makes of it is wrong and is dropped, which is cheaper
        // than a second form of `flow` without discounting.
        out.flow(inputs, (at, f_at), (care_end, f_care_end.unwrap_or(f_at)), |o, u, d| {
            o.care_years += u;
            if priced {
                o.care_years_disc += d;
            }
        });
        if at + d < h && b.u_return < inputs.return_home_probability {
            if k + 1 >= MAX_RETURNS_HOME {
                out.child.capped = true;
                break;
            }
            t0 = at + d;
            f_t0 = f_care_end;
            k += 1;
            failed_scale *= inputs.hr_per_failed_return;
            inv_failed_scale *= inputs.inv_hr_per_failed_return;
        } else {
            break;
        }
    }
    k + 1
}

/// One cohort of an authority: `children` children returning home together at the start
/// (cohort mode, `year` = `None`) or spread uniformly over financial year `year` (flow mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cohort {
    pub year: Option<u32>,
    pub children: u64,
}

impl Cohort {
    /// Children of later cohorts have ids from `year · 2^40`, so a cohort's children keep
    /// their random numbers whatever the other cohorts' sizes, and the first cohort's children
    /// are the cohort-mode children.
    fn first_id(&self) -> u64 {
        self.year.map_or(0, |y| (y as u64) << 40)
    }
}

/// Simulates children `first..last` of an authority's cohorts, numbered one cohort after
/// another, under every strategy, adding to `tallies[strategy]`.
///
/// Each child's path without any support is walked once. A strategy that would engage the
/// family in none of that path's stays follows exactly that path, so its outcome is reused
/// rather than recomputed; only strategies that engage walk a path of their own.
pub fn simulate_children(
    inputs: &Inputs,
    key: StreamKey,
    cohorts: &[Cohort],
    first: u64,
    last: u64,
    tallies: &mut [Tally],
) {
    if inputs.years > 0 {
        simulate_children_in::<true>(inputs, key, cohorts, first, last, tallies)
    } else {
        simulate_children_in::<false>(inputs, key, cohorts, first, last, tallies)
    }
}

/// A child's working buffers, reused from child to child and cohort to cohort: many
/// authorities are small, so allocating them per cohort would cost more than some cohorts'
/// simulation.
struct Scratch<const FLOW: bool> {
    blocks: Vec<Block>,
    plain: Outcome<FLOW>,
    own: Outcome<FLOW>,
}

/// [`simulate_children`] in flow mode (`FLOW`) or cohort mode.
fn simulate_children_in<const FLOW: bool>(
    inputs: &Inputs,
    key: StreamKey,
    cohorts: &[Cohort],
    first: u64,
    last: u64,
    tallies: &mut [Tally],
) {
    let mut scratch = Scratch {
        blocks: Vec::with_capacity(8),
        plain: Outcome::<FLOW>::new(inputs),
        own: Outcome::<FLOW>::new(inputs),
    };
    let mut offset = 0;
    for &cohort in cohorts {
        let (lo, hi) = (first.max(offset), last.min(offset + cohort.children));
        if lo < hi {
            simulate_cohort(inputs, key, cohort, lo - offset, hi - offset, tallies, &mut scratch);
        }
        offset += cohort.children;
    }
}

/// Simulates children `first..last` of one cohort.
fn simulate_cohort<const FLOW: bool>(
    inputs: &Inputs,
    key: StreamKey,
    cohort: Cohort,
    first: u64,
    last: u64,
    tallies: &mut [Tally],
    scratch: &mut Scratch<FLOW>,
) {
    let n_rf = inputs.prevalence.len();
    let Scratch { blocks, plain, own } = scratch;
    let arrival = cohort.year.unwrap_or(0) as usize;
    let base = StreamBase::new(key.seed, key.iteration as u64, key.authority);
    for i in first..last {
        let id = cohort.first_id() + i;
        let child_key = base.child(id);
        // Risk factors: one uniform per factor, compared with the prevalence, so a changed
        // prevalence flips as few children as possible between iterations. The comparison is
        // made on the draw's integer bits, which is exactly `u < p` for the uniform `u` they
        // make. In flow mode the next uniform of the same stream places the return home
        // within its year.
        let mut mask = 0u64;
        let mut start = 0.0;
        if n_rf > 0 || cohort.year.is_some() {
            let mut rng = child_key.stream(Purpose::RiskFactors);
            for (j, &threshold) in inputs.prevalence_threshold.iter().enumerate() {
                mask |= (((rng.next_u64() >> 11) < threshold) as u64) << j;
            }
            if let Some(y) = cohort.year {
                start = y as f64 + rng.random::<f64>();
            }
        }
        // The age at the return, from a stream of its own: the path ends at 18, and
        // `aged_10_plus` is what the age says.
        let mut end = f64::INFINITY;
        if let Some(age) = &inputs.age {
            let mut rng = child_key.stream(Purpose::Age);
            let a = age.age(rng.random::<f64>(), rng.random::<f64>());
            end = start + (18.0 - a);
            if let Some(j) = inputs.aged_10_plus {
                mask = (mask & !(1 << j)) | (((a >= 10.0) as u64) << j);
            }
        }
        let child = Child {
            mask,
            end,
            scale_reentry: inputs.scale_reentry[mask as usize],
            scale_maltreatment: inputs.scale_maltreatment[mask as usize],
            inv_scale_reentry: inputs.inv_scale_reentry[mask as usize],
            inv_scale_maltreatment: inputs.inv_scale_maltreatment[mask as usize],
        };
        blocks.clear();
        let mut draws = ChildDraws { rng: child_key.stream(Purpose::Stays), blocks: std::mem::take(blocks) };
        let stays = walk(inputs, None, &child, &mut draws, start, plain);
        // Which strategy's support `own` holds this child's path under, by `walk_as`: a later
        // strategy with the same support reuses it (the path is the same, bit for bit).
        let mut own_as = None;
        for (s, tally) in inputs.strategies.iter().zip(tallies.iter_mut()) {
            let support = &s.support;
            let engages =
                s.offered[child.mask as usize] && (0..stays).any(|k| engages_at(support, k, &draws.blocks[k]));
            if engages {
                if own_as != Some(s.walk_as) {
                    walk(inputs, Some(support), &child, &mut draws, start, own);
                    own_as = Some(s.walk_as);
                }
                own.add_to(tally, arrival);
            } else {
                plain.add_to(tally, arrival);
            }
        }
        *blocks = draws.blocks;
    }
}

/// An empty tally for a run with these inputs: monthly bins to the horizon and, in flow
/// mode, one tally per financial year.
pub fn empty_tally(inputs: &Inputs) -> Tally {
    let mut t = Tally::new(months_in(inputs.horizon));
    t.by_year = vec![YearTally::default(); inputs.years];
    t
}

/// Asked between batches of children and between blocks of iterations: `true` stops the
/// simulation, which then returns [`ModelError::Stopped`]. A large cohort's one iteration is
/// many batches, so even a base case stops within a batch's time.
pub type Stop<'a> = &'a (dyn Fn() -> bool + Sync);

/// A [`Stop`] that never stops.
pub fn never() -> bool {
    false
}

/// Simulates one authority's cohorts in one iteration: one tally per strategy. The cohorts'
/// children are numbered one cohort after another and cut into chunks of [`CHUNK`]; an
/// authority of one chunk is simulated in place. `None` when `stop` asked to stop.
pub fn simulate_authority(inputs: &Inputs, key: StreamKey, cohorts: &[Cohort], stop: Stop) -> Option<Vec<Tally>> {
    let empty = || vec![empty_tally(inputs); inputs.strategies.len()];
    let children: u64 = cohorts.iter().map(|c| c.children).sum();
    let chunks = children.div_ceil(CHUNK);
    let mut total = empty();
    if chunks <= 1 {
        simulate_children(inputs, key, cohorts, 0, children, &mut total);
    } else {
        for start in (0..chunks).step_by(BATCH as usize) {
            if stop() {
                return None;
            }
            let end = (start + BATCH).min(chunks);
            let parts: Vec<Vec<Tally>> = (start..end)
                .into_par_iter()
                .map(|c| {
                    let mut t = empty();
                    simulate_children(inputs, key, cohorts, c * CHUNK, ((c + 1) * CHUNK).min(children), &mut t);
                    t
                })
                .collect();
            for part in &parts {
                for (acc, p) in total.iter_mut().zip(part) {
                    *acc += p;
                }
            }
        }
    }
    for t in &mut total {
        t.total_years();
    }
    Some(total)
}

/// The cohorts of an authority of `children` children under a scenario: one at the start in
/// cohort mode, one per cohort year in flow mode.
pub fn cohorts_of(sc: &Scenario, children: u64) -> Vec<Cohort> {
    match &sc.budget {
        None => vec![Cohort { year: None, children }],
        Some(_) => sc
            .cohorts(children)
            .into_iter()
            .enumerate()
            .map(|(y, n)| Cohort { year: Some(y as u32), children: n })
            .collect(),
    }
}

/// The results of one iteration (iteration 0 is the base case).
#[derive(Clone, Debug, PartialEq)]
pub struct IterationResult {
    pub iteration: u32,
    /// Parameter values, indexed like [`Scenario::params`].
    pub values: Vec<f64>,
    /// The scenario's inputs.
    pub inputs: Inputs,
    /// Each authority's own inputs when it overrides the scenario's model, else `None`.
    /// Boxed: a run keeps one per authority and iteration, nearly all `None`, and an inline
    /// `Inputs` would make each of those hundreds of bytes.
    pub authority_inputs: Vec<Option<Box<Inputs>>>,
    /// `tallies[strategy][authority]`.
    pub tallies: Vec<Vec<Tally>>,
}

impl IterationResult {
    /// This iteration at the prices of `values` (the scenario's parameter values for it, which
    /// differ from [`IterationResult::values`] only in prices, [`Scenario::price_params`]):
    /// the same tallies, priced with [`Inputs::repriced`].
    pub fn repriced(&self, sc: &Scenario, values: Vec<f64>) -> IterationResult {
        IterationResult {
            iteration: self.iteration,
            inputs: self.inputs.repriced(&sc.model, &values),
            authority_inputs: self
                .authority_inputs
                .iter()
                .enumerate()
                .map(|(a, own)| own.as_ref().map(|i| Box::new(i.repriced(sc.model_for(a), &values))))
                .collect(),
            tallies: self.tallies.clone(),
            values,
        }
    }

    /// The inputs that authority `a` was simulated and is priced with.
    pub fn inputs_for(&self, a: usize) -> &Inputs {
        self.authority_inputs.get(a).and_then(Option::as_deref).unwrap_or(&self.inputs)
    }
}

/// Runs one iteration at parameter values `values`.
pub fn run_iteration(
    sc: &Scenario,
    seed: u64,
    iteration: u32,
    values: Vec<f64>,
) -> Result<IterationResult, ModelError> {
    iteration_until(sc, seed, iteration, values, &never)
}

/// [`run_iteration`], asking `stop` between batches of children.
fn iteration_until(
    sc: &Scenario,
    seed: u64,
    iteration: u32,
    values: Vec<f64>,
    stop: Stop,
) -> Result<IterationResult, ModelError> {
    let inputs = Inputs::resolve(sc, &sc.model, &values, iteration)?;
    let authority_inputs = sc
        .authorities
        .iter()
        .map(|a| {
            let own = a.model.as_ref().map(|m| Inputs::resolve(sc, m, &values, iteration).map(Box::new));
            own.transpose().map_err(|e| e.in_authority(&a.name))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut tallies = vec![Vec::with_capacity(sc.authorities.len()); sc.model.strategies.len()];
    for (a, auth) in sc.authorities.iter().enumerate() {
        let key = StreamKey { seed, iteration, authority: crate::rng::name_key(&auth.name) };
        let own = authority_inputs[a].as_deref().unwrap_or(&inputs);
        let authority =
            simulate_authority(own, key, &cohorts_of(sc, auth.children), stop).ok_or(ModelError::Stopped)?;
        for (s, t) in authority.into_iter().enumerate() {
            tallies[s].push(t);
        }
    }
    Ok(IterationResult { iteration, values, inputs, authority_inputs, tallies })
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

/// PSA iterations simulated between two hand-overs to the consumer of [`run_map`]: enough to
/// keep every thread busy, few enough that a block's results are small.
pub const BLOCK: u32 = 64;

/// Runs the base case and `iterations` PSA draws, streaming. Each iteration's result is turned
/// into a `T` by `map` on the thread that simulated it (so that reducing it runs in parallel
/// too), and `consume` then receives every `T` in iteration order, the base case first. PSA
/// iterations run in blocks of [`BLOCK`], so at most a block of results is held at once;
/// memory does not grow with the iterations unless `consume` keeps what it is given.
/// `progress` is called once per finished iteration (from any thread); the engine itself never
/// prints. An error from `consume` stops the run and is returned.
pub fn run_map<T: Send, E: From<ModelError>>(
    sc: &Scenario,
    opts: RunOptions,
    progress: &(dyn Fn() + Sync),
    map: impl Fn(IterationResult) -> T + Sync,
    consume: impl FnMut(T) -> Result<(), E>,
) -> Result<(), E> {
    run_part(sc, opts.seed, &Part::whole(opts), progress, &never, map, consume)
}

/// Some of a run's iterations: the base case or not, and a range of PSA iterations (a shard).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub base: bool,
    /// PSA iterations, 1-based; empty for none.
    pub psa: std::ops::RangeInclusive<u32>,
}

impl Part {
    /// Every iteration of a run.
    pub fn whole(opts: RunOptions) -> Part {
        let last = if opts.base_case_only { 0 } else { opts.iterations };
        Part { base: true, psa: 1..=last }
    }
}

/// [`run_map`] for part of a run. Each iteration's random numbers depend only on the seed and
/// its number, so the parts of a run simulate exactly what the whole run would. `stop` is
/// asked between batches of children: the what-if page stops work that a newer request
/// replaces or whose client has gone.
pub fn run_part<T: Send, E: From<ModelError>>(
    sc: &Scenario,
    seed: u64,
    part: &Part,
    progress: &(dyn Fn() + Sync),
    stop: Stop,
    map: impl Fn(IterationResult) -> T + Sync,
    mut consume: impl FnMut(T) -> Result<(), E>,
) -> Result<(), E> {
    if part.base {
        let base = iteration_until(sc, seed, 0, sc.point_values(), stop)?;
        progress();
        consume(map(base))?;
    }
    let (mut start, last) = (*part.psa.start(), *part.psa.end());
    while start <= last {
        let end = last.min(start.saturating_add(BLOCK - 1));
        let block = (start..=end)
            .into_par_iter()
            .map(|i| {
                let r = iteration_until(sc, seed, i, draw_parameters(sc, seed, i), stop)?;
                progress();
                Ok(map(r))
            })
            .collect::<Result<Vec<T>, ModelError>>()?;
        for t in block {
            consume(t)?;
        }
        if end == u32::MAX {
            break;
        }
        start = end + 1;
    }
    Ok(())
}

/// Runs the base case and `iterations` PSA draws and keeps every iteration's results whole
/// (tests, `reproduce` and benches; `reunify run` streams with [`run_map`]).
pub fn run(sc: &Scenario, opts: RunOptions, progress: &(dyn Fn() + Sync)) -> Result<RunResult, ModelError> {
    let mut all = Vec::with_capacity(opts.iterations as usize + 1);
    run_map(
        sc,
        opts,
        progress,
        |r| r,
        |r| {
            all.push(r);
            Ok::<_, ModelError>(())
        },
    )?;
    let mut all = all.into_iter();
    let base = all.next().expect("the base case always runs");
    Ok(RunResult { base, psa: all.collect() })
}
