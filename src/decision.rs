//! Decision analyses over base-case runs under common random numbers, and over PSA runs.
//!
//! - **Break-even** (threshold analysis): the number of breakdowns support must avert to pay
//!   for itself is `Δ support cost / (breakdown and care cost per breakdown)` (Holmes 2014:
//!   £56.72m / £61,614 = 920.6, taking the breakdown rate from 47% to 38%); the break-even
//!   hazard ratio solves `net saving(HR) = 0` by bisection over base-case runs that share every
//!   random number; the maximum affordable price solves `net saving(price) = 0`, which is
//!   linear in the price.
//! - **One-way sensitivity (tornado)**: each uncertain parameter at its 2.5% and 97.5%
//!   quantile with all others at point values, same seed and children throughout.
//! - **Two-way**: net saving over a grid of re-entry hazard ratios (simulated) by support
//!   prices (linear, re-priced).
//! - **Acceptability curve**: the share of PSA iterations in which a strategy saves money,
//!   re-priced along a grid of support prices without re-simulating.
//!
//! Above [`SAMPLE_CHILDREN`] children the re-simulating analyses use a sample
//! ([`crate::sample`]) grown until each Monte Carlo error is below the rounding of what is
//! shown: [`HR_ROUNDING`] for the break-even ratio, [`resolution`] for the charts.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::digest::{IterationDigest, RunDigest};
use crate::metric::Metric;
use crate::model::ModelError;
use crate::price::View;
use crate::sample::{BaseCase, Evaluation, FIRST_SAMPLE, SAMPLE_CHILDREN, Sampler};
use crate::scenario::{Scenario, SupportBasis};
use crate::sim::run_iteration;

/// Break-even figures for one strategy against the comparator. A figure that is undefined
/// for the scenario (no breakdowns to avert, no family supported) is `None`, written as
/// absent (`null`), and `undefined` says why in words.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BreakEven {
    pub strategy: String,
    /// Point price of support per child, and what it is charged per.
    pub price: f64,
    pub cost_basis: String,
    /// Incremental support cost in the base case (discounted).
    pub support_cost: f64,
    /// The comparator's breakdown and care cost per breakdown (discounted).
    pub cost_per_breakdown: Option<f64>,
    /// Breakdowns that must be averted for support to pay for itself.
    pub breakdowns_to_avert: Option<f64>,
    pub children: f64,
    pub comparator_breakdowns: f64,
    /// Breakdowns (every re-entry, counting repeats) per child returned home over the
    /// horizon, under the comparator and at break-even.
    pub comparator_rate: Option<f64>,
    pub breakeven_rate: Option<f64>,
    /// The published measure (Holmes 2014, DfE): the share of children back in care within
    /// 12 months of returning home, under the comparator, and that share less the breakdowns to
    /// avert per child (as if each averted breakdown kept one child home for that year).
    /// `None` when the horizon is shorter than a year.
    #[serde(default)]
    pub comparator_share_12m: Option<f64>,
    #[serde(default)]
    pub breakeven_share_12m: Option<f64>,
    /// At the scenario's own effect (base case).
    pub breakdowns_averted: f64,
    pub net_saving: f64,
    pub scenario_hazard_ratio: f64,
    /// The re-entry hazard ratio at which net saving is 0; `None` when even an effect that
    /// all but removes re-entry while supported does not pay for the support, or when support
    /// reaches no family.
    pub breakeven_hazard_ratio: Option<f64>,
    /// The Monte Carlo standard error of `breakeven_hazard_ratio` when it was found on a
    /// sample of the children ([`crate::sample`]); absent when every child was simulated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakeven_hazard_ratio_mc_error: Option<f64>,
    /// The children re-simulated to find it, when a sample; absent when all of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resimulated_children: Option<u64>,
    /// The price per child at which support is cost-neutral at the scenario's effect.
    pub max_affordable_price: Option<f64>,
    /// Why figures above are absent, in words ("no breakdowns under the comparator ...").
    #[serde(default)]
    pub undefined: Vec<String>,
}

/// `Some(x)` when `x` is a finite number.
pub fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// The run's base case re-simulated under common random numbers with one input changed at a
/// time: the object that break-even, tornado and two-way analyses hang off.
///
/// Every figure read off the base case itself comes from `base` (the run's own, from its
/// digest, so the whole cohort is never simulated again). What needs other inputs is found by
/// re-simulating the children of a [`Sampler`]: every child at or below [`SAMPLE_CHILDREN`],
/// otherwise first about [`FIRST_SAMPLE`] children, grown until each Monte Carlo error is below
/// the rounding of what is shown ([`Resimulation::first_sample`] changes the start,
/// [`Resimulation::on`] fixes the sample).
#[derive(Clone, Debug)]
pub struct Resimulation<'a> {
    sc: &'a Scenario,
    seed: u64,
    base: BaseCase,
    sampling: Sampling,
    /// The break-even ratio only to the precision it is shown with, even on the whole cohort.
    shown_precision: bool,
}

/// How a [`Resimulation`] chooses its children.
#[derive(Clone, Debug)]
enum Sampling {
    /// Grown from about `first` children until the errors are small enough ([`Sampler::settle`]).
    Settled { first: u64 },
    /// This sample, never grown.
    Fixed(Box<Sampler>),
}

impl<'a> Resimulation<'a> {
    /// From a base case already simulated.
    pub fn new(sc: &'a Scenario, seed: u64, base: BaseCase) -> Resimulation<'a> {
        Resimulation { sc, seed, base, sampling: Sampling::Settled { first: FIRST_SAMPLE }, shown_precision: false }
    }

    /// From the run's own base case.
    pub fn of_digest(sc: &'a Scenario, seed: u64, base: &IterationDigest) -> Resimulation<'a> {
        Resimulation::new(sc, seed, BaseCase::of_digest(base))
    }

    /// Simulates the base case first (the `breakeven` and `tornado` commands, which have no run).
    pub fn simulate(sc: &'a Scenario, seed: u64) -> Result<Resimulation<'a>, ModelError> {
        Ok(Resimulation::new(sc, seed, BaseCase::of_result(&run_iteration(sc, seed, 0, sc.point_values())?)))
    }

    /// Starts a growing sample at about `first` children rather than [`FIRST_SAMPLE`].
    pub fn first_sample(mut self, first: u64) -> Resimulation<'a> {
        self.sampling = Sampling::Settled { first };
        self
    }

    /// Re-simulates exactly these children, without growing them.
    pub fn on(mut self, sampler: Sampler) -> Resimulation<'a> {
        self.sampling = Sampling::Fixed(Box::new(sampler));
        self
    }

    /// For the what-if page, which answers while the user types: the whole cohort, or a sample
    /// of [`SAMPLE_CHILDREN`] above it, and the break-even ratio found to the precision it is
    /// shown with ([`SHOWN_HALVINGS`]), in about a third of the simulations.
    pub fn for_the_page(self) -> Resimulation<'a> {
        let sampler = Sampler::new(self.sc, SAMPLE_CHILDREN);
        Resimulation { shown_precision: true, ..self.on(sampler) }
    }

    /// The base case every analysis starts from.
    pub fn base(&self) -> &BaseCase {
        &self.base
    }

    /// Runs `analyse` on the sample this re-simulation uses; returns its result and the
    /// children re-simulated when they were a sample (`None`: all of them).
    fn sampled<T>(
        &self,
        mut analyse: impl FnMut(&Sampler) -> Result<(T, f64), ModelError>,
    ) -> Result<(T, Option<u64>), ModelError> {
        let sampled = |s: &Sampler| (!s.exact()).then_some(s.children);
        Ok(match &self.sampling {
            Sampling::Settled { first } => {
                let (out, sampler) = Sampler::settle(self.sc, *first, analyse)?;
                (out, sampled(&sampler))
            }
            Sampling::Fixed(sampler) => (analyse(sampler)?.0, sampled(sampler)),
        })
    }

    /// Break-even figures for every non-comparator strategy. Every figure but the break-even
    /// hazard ratio is read off the base case; that ratio is a root found by re-simulating,
    /// grown until its Monte Carlo error is below the rounding it is shown with
    /// ([`HR_ROUNDING`]). On the whole cohort the ratio is found to about 1e-12; on a sample,
    /// whose ratio is only as good as its Monte Carlo error, to the precision it is shown with.
    pub fn breakeven(&self) -> Result<Vec<BreakEven>, ModelError> {
        let (sc, seed, base) = (self.sc, self.seed, &self.base);
        let (out, _) = self.sampled(|sampler| {
            let halvings = if sampler.exact() && !self.shown_precision { EXACT_HALVINGS } else { SHOWN_HALVINGS };
            let out = breakeven_halving(sc, seed, base, sampler, halvings)?;
            let ratio = out.iter().filter_map(|b| b.breakeven_hazard_ratio_mc_error).fold(0.0, f64::max) / HR_ROUNDING;
            Ok((out, ratio))
        })?;
        Ok(out)
    }

    /// One-way sensitivity of every uncertain parameter between its 2.5% and 97.5% quantiles,
    /// grown until every bar end's Monte Carlo error is below the [`resolution`] of its
    /// strategy's chart.
    pub fn tornado(&self) -> Result<Tornado, ModelError> {
        let (t, _) = self.sampled(|sampler| {
            let t = tornado_on(self.sc, self.seed, &self.base, sampler)?;
            let ratio = t.error_ratio();
            Ok((t, ratio))
        })?;
        Ok(t)
    }

    /// Net saving of every strategy over a grid of `hrs` re-entry hazard ratios (from 0.3, or
    /// lower if the scenario's own effect reaches lower, to 1.2) by `prices + 1` prices (0 to
    /// 3× the scenario's price). Each hazard ratio is simulated once; the net saving is linear
    /// in the price (support cost is price × the quantity it multiplies), so every price
    /// follows from that one run. With authorities that set their own price, the grid prices
    /// every authority alike. A sample grows until every net saving's Monte Carlo error is
    /// below the [`resolution`] of the chart; the children it settled on are returned with it.
    pub fn two_way(&self, hrs: usize, prices: usize) -> Result<(Vec<TwoWayPoint>, Option<u64>), ModelError> {
        let sc = self.sc;
        self.sampled(|sampler| {
            let points = two_way_on(sc, self.seed, &self.base, sampler, hrs, prices)?;
            let ratio = sc
                .model
                .strategies
                .iter()
                .skip(1)
                .map(|st| {
                    let these: Vec<&TwoWayPoint> = points.iter().filter(|p| p.strategy == st.name).collect();
                    let tol = resolution(these.iter().map(|p| p.net_saving));
                    these.iter().map(|p| p.mc_error / tol).fold(0.0, f64::max)
                })
                .fold(0.0, f64::max);
            Ok((points, ratio))
        })
    }
}

/// Half the unit the break-even hazard ratio is shown to (two decimals).
pub const HR_ROUNDING: f64 = 0.005;

/// Halvings of the break-even search's bracket (on the log scale) for a run's outputs: the
/// ratio to about 1e-12.
pub const EXACT_HALVINGS: u32 = 40;
/// Halvings enough for the ratio as shown (two decimals): the bracket, at most about 13 wide
/// on the log scale, ends under 0.001 wide, so the ratio is within 0.1% of itself. The what-if
/// page uses it: about a third of the simulations.
pub const SHOWN_HALVINGS: u32 = 14;

/// Break-even figures on one sampler, the ratio's bracket halved `halvings` times.
fn breakeven_halving(
    sc: &Scenario,
    seed: u64,
    base: &BaseCase,
    sampler: &Sampler,
    halvings: u32,
) -> Result<Vec<BreakEven>, ModelError> {
    let points = sc.point_values();
    let comp = &base.levels[0];
    let comparator_breakdowns = comp[Metric::Breakdowns];
    let children = comp[Metric::Children];
    let cost_per_breakdown = (comparator_breakdowns > 0.0)
        .then(|| comp[Metric::BreakdownCost] / comparator_breakdowns)
        .and_then(finite)
        .filter(|c| *c > 0.0);
    let mut out = Vec::new();
    for (s, strat) in sc.model.strategies.iter().enumerate().skip(1) {
        let lv = &base.levels[s];
        let decisions = base.decisions(s);
        let support_cost = lv[Metric::SupportCost] - comp[Metric::SupportCost];
        let breakdowns_to_avert = cost_per_breakdown.and_then(|c| finite(support_cost / c));
        let price = points[strat.cost.0];
        let (priced, q) = base.priced[s];
        let without_price = lv[Metric::TotalCost] - priced;
        let max_affordable_price = (q > 0.0).then(|| (comp[Metric::TotalCost] - without_price) / q).and_then(finite);
        let mut undefined = Vec::new();
        if children == 0.0 {
            undefined.push("no children return home".to_string());
        } else if comparator_breakdowns == 0.0 {
            undefined.push(
                "no breakdowns under the comparator, so support has none to avert: breakdowns to avert and the break-even rate are undefined".to_string(),
            );
        } else if cost_per_breakdown.is_none() {
            undefined.push(
                "breakdowns cost nothing under the comparator, so averting them saves nothing: breakdowns to avert are undefined".to_string(),
            );
        }
        if q == 0.0 {
            undefined.push(
                "support reaches no family (take-up 0, no child eligible, or no time supported), so no price or effect changes the net saving".to_string(),
            );
        }
        let hr_id = strat.hr_reentry.0;
        // Each strategy's children depend only on their own draws and the comparator, so the
        // root-finder simulates just the comparator and this strategy.
        let pair = sampler.scenario().with_strategies(&[0, s]);
        let eval = |hr: f64| -> Result<Evaluation, ModelError> {
            let mut v = points.clone();
            v[hr_id] = hr;
            Ok(sampler.evaluate(&run_iteration(&pair, seed, 0, v)?))
        };
        let at_base = if sampler.exact() { None } else { Some(eval(points[hr_id])?) };
        let full = base.additive(s);
        let estimate = |at: &Evaluation| match &at_base {
            None => sampler.estimate(|a| a.net_saving, 1, at, at, &full),
            Some(b) => sampler.estimate(|a| a.net_saving, 1, at, b, &full),
        };
        let f = |hr: f64| -> Result<f64, ModelError> { Ok(estimate(&eval(hr)?).value) };
        // With nothing priced at all (support free and every outcome free), every effect breaks
        // even: no ratio is *the* break-even one.
        let nothing_priced = support_cost == 0.0 && comp[Metric::TotalCost] == 0.0 && lv[Metric::TotalCost] == 0.0;
        if nothing_priced {
            undefined.push(
                "nothing costs anything (support and every outcome are free), so every effect breaks even: the break-even hazard ratio is undefined".to_string(),
            );
        }
        let breakeven_hazard_ratio =
            if q > 0.0 && !nothing_priced { solve_decreasing(f, 1e-4, 1.0, 50.0, halvings)? } else { None };
        // The root's Monte Carlo error: the error of the net saving there over its slope.
        let breakeven_hazard_ratio_mc_error = match breakeven_hazard_ratio {
            Some(r) if !sampler.exact() => {
                let se = estimate(&eval(r)?).se;
                let (a, b) = (r / 1.05, r * 1.05);
                let slope = (f(b)? - f(a)?) / (b - a);
                Some(if slope != 0.0 { se / slope.abs() } else { f64::INFINITY })
            }
            _ => None,
        };
        out.push(BreakEven {
            strategy: strat.name.clone(),
            price,
            cost_basis: match strat.cost_basis {
                SupportBasis::PerSupportedReturn => "per_supported_return".into(),
                SupportBasis::PerSupportedYear => "per_supported_year".into(),
            },
            support_cost,
            cost_per_breakdown,
            breakdowns_to_avert,
            children,
            comparator_breakdowns,
            comparator_rate: finite(comparator_breakdowns / children),
            breakeven_rate: breakdowns_to_avert.and_then(|b| finite((comparator_breakdowns - b) / children)),
            comparator_share_12m: finite(comp[Metric::ReentryShare12m]),
            breakeven_share_12m: breakdowns_to_avert
                .and_then(|b| finite(comp[Metric::ReentryShare12m] - b / children))
                .map(|x| x.max(0.0)),
            breakdowns_averted: decisions[Metric::BreakdownsAverted],
            net_saving: decisions[Metric::NetSaving],
            scenario_hazard_ratio: points[hr_id],
            breakeven_hazard_ratio,
            breakeven_hazard_ratio_mc_error,
            resimulated_children: (!sampler.exact()).then_some(sampler.children),
            max_affordable_price,
            undefined,
        });
    }
    Ok(out)
}

/// Finds `x` in `[lo, max]` with `f(x) = 0` for a function that falls as `x` rises (net
/// saving against the hazard ratio), bisecting on the log scale. `start` is the first upper
/// end tried; it is widened up to `max` when support already saves money there.
fn solve_decreasing(
    f: impl Fn(f64) -> Result<f64, ModelError>,
    lo: f64,
    start: f64,
    max: f64,
    halvings: u32,
) -> Result<Option<f64>, ModelError> {
    if f(lo)? < 0.0 {
        return Ok(None);
    }
    let mut hi = start;
    while f(hi)? >= 0.0 {
        if hi >= max {
            return Ok(Some(hi));
        }
        hi = (hi * 2.0).min(max);
    }
    let (mut a, mut b) = (lo.ln(), hi.ln());
    // Net saving is a step function of the ratio (breakdowns are counts), so bisection, which
    // needs only a sign change, is the right tool; 40 halvings resolve the ratio to 1e-12.
    // (The what-if page stops at the precision it shows: SHOWN_HALVINGS.)
    for _ in 0..halvings {
        let mid = 0.5 * (a + b);
        if f(mid.exp())? >= 0.0 { a = mid } else { b = mid }
    }
    Ok(Some((0.5 * (a + b)).exp()))
}

/// One bar of the tornado: a parameter at its low and high quantile.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TornadoRow {
    pub strategy: String,
    pub parameter: String,
    /// The parameter in words.
    pub label: String,
    pub low_value: f64,
    pub high_value: f64,
    pub low_net_saving: f64,
    pub high_net_saving: f64,
    pub low_breakdowns_averted: f64,
    pub high_breakdowns_averted: f64,
    /// `|high − low|` of the net saving.
    pub swing: f64,
    /// Monte Carlo standard errors of the two net savings when the tornado re-simulated a
    /// sample of the children ([`crate::sample`]); 0 when it simulated all of them.
    pub low_net_saving_mc_error: f64,
    pub high_net_saving_mc_error: f64,
}

/// The tornado of every strategy against the comparator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tornado {
    /// Base-case `(strategy, net saving, breakdowns averted)`.
    pub base: Vec<(String, f64, f64)>,
    /// Rows of each strategy, sorted by swing, largest first.
    pub rows: Vec<TornadoRow>,
    /// The children re-simulated, when a sample; `None` when all of them.
    pub resimulated_children: Option<u64>,
}

/// A parameter index, its low and high values, and the evaluations at each.
type Perturbed = (usize, f64, f64, Evaluation, Evaluation);

/// The rounding of a figure shown on a chart, which a re-simulated sample's Monte Carlo error
/// must stay below: a hundredth of the width the chart draws for its values (from the lowest
/// to the highest of them and £0, as the tornado and two-way charts always show £0), and never
/// less than half a pound.
///
/// Why a hundredth (decided in #17; docs/dev/decisions.md):
/// a figure on a chart is read off its axis, whose gridlines are a sixth to a tenth of its
/// width apart, and a scale is read to about a tenth of a division at best, so a hundredth of
/// the width is finer than any reading. A thousandth, the rule before, is a fraction of a
/// pixel: at 10⁷ children no sample of fewer than all the children met it, and the default
/// scenario's whole cohort of 10,080 itself carries 1.5% to 4% of the width of Monte Carlo
/// error against the model's expected values.
pub fn resolution(values: impl Iterator<Item = f64>) -> f64 {
    let (lo, hi) = values.fold((0.0f64, 0.0f64), |(l, h), v| (l.min(v), h.max(v)));
    ((hi - lo) / CHART_READING).max(0.5)
}

/// The parts of a chart's width a figure on it is read to: see [`resolution`].
pub const CHART_READING: f64 = 100.0;

impl Tornado {
    /// The largest Monte Carlo error of a bar end over its strategy's [`resolution`]: at most
    /// 1 when every error is below it.
    pub fn error_ratio(&self) -> f64 {
        self.base
            .iter()
            .map(|(name, net, _)| {
                let rows: Vec<&TornadoRow> = self.rows.iter().filter(|r| &r.strategy == name).collect();
                let tol = resolution(rows.iter().flat_map(|r| [r.low_net_saving, r.high_net_saving]).chain([*net]));
                rows.iter().map(|r| r.low_net_saving_mc_error.max(r.high_net_saving_mc_error) / tol).fold(0.0, f64::max)
            })
            .fold(0.0, f64::max)
    }
}

/// The tornado on one sampler, without growing it.
fn tornado_on(sc: &Scenario, seed: u64, base: &BaseCase, sampler: &Sampler) -> Result<Tornado, ModelError> {
    let points = sc.point_values();
    let uncertain: Vec<usize> = (0..sc.params.len()).filter(|&i| !sc.params[i].param.dist.is_fixed()).collect();
    let simulated = run_iteration(sampler.scenario(), seed, 0, points.clone())?;
    let at_base = sampler.evaluate(&simulated);
    // A price moves no child's path: its bars re-price the base case's own tallies
    // (`IterationResult::repriced`, the same figures as simulating again) instead of
    // simulating the children twice more.
    let prices = sampler.scenario().price_params();
    let eval = |i: usize, v: Vec<f64>| -> Result<Evaluation, ModelError> {
        if prices.contains(&i) {
            Ok(sampler.evaluate(&simulated.repriced(sampler.scenario(), v)))
        } else {
            Ok(sampler.evaluate(&run_iteration(sampler.scenario(), seed, 0, v)?))
        }
    };
    let runs: Vec<Perturbed> = uncertain
        .par_iter()
        .map(|&i| {
            let d = &sc.params[i].param.dist;
            let (lo, hi) = (d.quantile(0.025), d.quantile(0.975));
            let mut v = points.clone();
            v[i] = lo;
            let low = eval(i, v.clone())?;
            v[i] = hi;
            let high = eval(i, v)?;
            Ok((i, lo, hi, low, high))
        })
        .collect::<Result<_, ModelError>>()?;
    let mut rows = Vec::new();
    let mut bases = Vec::new();
    for (s, strat) in sc.model.strategies.iter().enumerate().skip(1) {
        let full = base.additive(s);
        let net = |at: &Evaluation| sampler.estimate(|a| a.net_saving, s, at, &at_base, &full);
        let averted = |at: &Evaluation| sampler.estimate(|a| a.breakdowns_averted, s, at, &at_base, &full);
        let mut these: Vec<TornadoRow> = runs
            .iter()
            .map(|(i, lo, hi, low, high)| {
                let (ln, hn) = (net(low), net(high));
                TornadoRow {
                    strategy: strat.name.clone(),
                    parameter: sc.params[*i].key.clone(),
                    label: sc.params[*i].label.clone(),
                    low_value: *lo,
                    high_value: *hi,
                    low_net_saving: ln.value,
                    high_net_saving: hn.value,
                    low_breakdowns_averted: averted(low).value,
                    high_breakdowns_averted: averted(high).value,
                    swing: (hn.value - ln.value).abs(),
                    low_net_saving_mc_error: ln.se,
                    high_net_saving_mc_error: hn.se,
                }
            })
            .collect();
        these.sort_by(|a, b| b.swing.total_cmp(&a.swing).then_with(|| a.parameter.cmp(&b.parameter)));
        rows.extend(these);
        bases.push((strat.name.clone(), net(&at_base).value, averted(&at_base).value));
    }
    Ok(Tornado { base: bases, rows, resimulated_children: (!sampler.exact()).then_some(sampler.children) })
}

/// One point of an acceptability curve.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AcceptPoint {
    pub strategy: String,
    pub price: f64,
    pub probability: f64,
}

/// Probability of saving money against the price of support per child, on `steps + 1` prices
/// from 0 to 3× each strategy's point price, by re-pricing the PSA iterations (or the base
/// case when there was no PSA).
pub fn acceptability(sc: &Scenario, run: &RunDigest, steps: usize) -> Vec<AcceptPoint> {
    let iters = run.draws();
    let total = Metric::TotalCost;
    // Per iteration and strategy: total cost without the support price, and the quantity
    // the price multiplies.
    let parts: Vec<(f64, Vec<f64>, Vec<f64>)> = iters
        .iter()
        .map(|d| {
            let mut fixed = Vec::new();
            let mut qty = Vec::new();
            for s in 0..sc.model.strategies.len() {
                let (priced, q) = d.priced_support[s];
                fixed.push(d.levels(View::Total, s)[total] - priced);
                qty.push(q);
            }
            (d.levels(View::Total, 0)[total], fixed, qty)
        })
        .collect();
    let mut out = Vec::new();
    for (s, st) in sc.model.strategies.iter().enumerate().skip(1) {
        let point = sc.param(st.cost).param.point;
        let top = 3.0 * if point > 0.0 { point } else { crate::scenario::DEFAULT_SUPPORT_COST };
        for k in 0..=steps {
            let price = top * k as f64 / steps as f64;
            let saves =
                parts.iter().filter(|(comparator, fixed, qty)| comparator - (fixed[s] + price * qty[s]) > 0.0).count();
            out.push(AcceptPoint { strategy: st.name.clone(), price, probability: saves as f64 / iters.len() as f64 });
        }
    }
    out
}

/// One point of the two-way analysis: net saving at a price of support and a re-entry
/// hazard ratio, in the base case.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TwoWayPoint {
    pub strategy: String,
    pub hazard_ratio: f64,
    pub price: f64,
    pub net_saving: f64,
    /// Its Monte Carlo standard error when the grid re-simulated a sample of the children
    /// ([`crate::sample`]); 0 when it simulated all of them.
    pub mc_error: f64,
}

/// The two-way grid on one sampler, without growing it.
fn two_way_on(
    sc: &Scenario,
    seed: u64,
    base: &BaseCase,
    sampler: &Sampler,
    hrs: usize,
    prices: usize,
) -> Result<Vec<TwoWayPoint>, ModelError> {
    let points = sc.point_values();
    let mut out = Vec::new();
    for (s, strat) in sc.model.strategies.iter().enumerate().skip(1) {
        let hr_id = strat.hr_reentry.0;
        let dist = &sc.params[hr_id].param.dist;
        let lo = dist.quantile(0.025).min(points[hr_id]).clamp(0.05, 0.3);
        let hi = 1.2f64.max(points[hr_id]);
        let price = points[strat.cost.0];
        let top = 3.0 * if price > 0.0 { price } else { crate::scenario::DEFAULT_SUPPORT_COST };
        let pair = sampler.scenario().with_strategies(&[0, s]);
        let eval = |hr: f64| -> Result<Evaluation, ModelError> {
            let mut v = points.clone();
            v[hr_id] = hr;
            Ok(sampler.evaluate(&run_iteration(&pair, seed, 0, v)?))
        };
        let at_base = if sampler.exact() { None } else { Some(eval(points[hr_id])?) };
        let full = base.additive(s);
        let grid: Vec<f64> = (0..hrs).map(|i| lo + (hi - lo) * i as f64 / (hrs - 1).max(1) as f64).collect();
        let rows: Vec<Vec<TwoWayPoint>> = grid
            .par_iter()
            .map(|&hr| {
                let at = eval(hr)?;
                let from = at_base.as_ref().unwrap_or(&at);
                Ok((0..=prices)
                    .map(|k| {
                        let p = top * k as f64 / prices as f64;
                        let e = sampler.estimate(|a| a.net_at(p), 1, &at, from, &full);
                        TwoWayPoint {
                            strategy: strat.name.clone(),
                            hazard_ratio: hr,
                            price: p,
                            net_saving: e.value,
                            mc_error: e.se,
                        }
                    })
                    .collect())
            })
            .collect::<Result<_, ModelError>>()?;
        out.extend(rows.into_iter().flatten());
    }
    Ok(out)
}
