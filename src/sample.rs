//! The children that re-simulating analyses simulate: the whole cohort, or a common-random-
//! number sample of it with its Monte Carlo error.
//!
//! Break-even effect, tornado and two-way re-simulate the base case many times (about 120
//! for the default scenario), so at 10⁷ children they would take a hundred times the run.
//! Above [`SAMPLE_CHILDREN`] children they re-simulate a sample instead (first
//! [`FIRST_SAMPLE`] children, grown until its errors are below what is shown), and estimate
//! each full-cohort figure by a control variate on the run's own base case:
//!
//! `F̂(v) = F_full(base) + Σ_g w_g · (F_g(v) − F_g(base))`
//!
//! where the sample is `G` groups of children with their own random streams (each authority
//! split into `G` parts of `n_a · K / (N · G)` children), `F_g` a group's figure, and `w_g` the
//! authority's full children over its sampled children. Every evaluation simulates the same
//! sampled children (common random numbers), so the difference `F_g(v) − F_g(base)` is far
//! less noisy than either term. The groups are independent, so the Monte Carlo standard error
//! of `F̂` is the batch-means one, `√(G/(G−1) · Σ_g (d_g − d̄)²)` with `d_g` the weighted
//! difference of group `g`. At or below [`SAMPLE_CHILDREN`] the analyses simulate the whole
//! cohort and every figure is exact (standard error 0), as before sampling existed.

use crate::digest::IterationDigest;
use crate::metric::{Decisions, Levels, Metric};
use crate::price::{View, decision_values, iteration_metrics, priced_support};
use crate::scenario::{Authority, Scenario};
use crate::sim::IterationResult;

/// Children at or below which the re-simulating analyses simulate the whole cohort.
pub const SAMPLE_CHILDREN: u64 = 250_000;
/// The first sample of a larger cohort: enough for 8 groups to measure the Monte Carlo error,
/// and small enough to cost little when it must grow. From its errors the sample jumps to the
/// size they call for ([`Sampler::larger`]): at 10⁷ children, break-even grows to about
/// 160,000, the tornado to about 290,000, and the two-way grid stays at 25,000.
pub const FIRST_SAMPLE: u64 = 25_000;
/// Groups a sample is cut into, to estimate its Monte Carlo error by batch means.
pub const SAMPLE_GROUPS: usize = 8;

/// The additive figures of one strategy against the comparator in one group (or the whole
/// cohort): what the analyses estimate.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Additive {
    pub net_saving: f64,
    pub breakdowns_averted: f64,
    /// The comparator's total cost.
    pub comparator_cost: f64,
    /// The strategy's total cost less its priced support.
    pub without_price: f64,
    /// The quantity the support price multiplies.
    pub quantity: f64,
}

impl Additive {
    fn add(&mut self, o: Additive, w: f64) {
        self.net_saving += w * o.net_saving;
        self.breakdowns_averted += w * o.breakdowns_averted;
        self.comparator_cost += w * o.comparator_cost;
        self.without_price += w * o.without_price;
        self.quantity += w * o.quantity;
    }

    fn minus(self, o: Additive) -> Additive {
        Additive {
            net_saving: self.net_saving - o.net_saving,
            breakdowns_averted: self.breakdowns_averted - o.breakdowns_averted,
            comparator_cost: self.comparator_cost - o.comparator_cost,
            without_price: self.without_price - o.without_price,
            quantity: self.quantity - o.quantity,
        }
    }

    /// Net saving at support price `p`.
    pub fn net_at(&self, p: f64) -> f64 {
        self.comparator_cost - (self.without_price + p * self.quantity)
    }
}

/// The run's own base case, whole cohort, as the analyses read it: each strategy's levels
/// and priced support. It comes from the run's digest, so a sampled analysis never
/// re-simulates the whole cohort.
#[derive(Clone, Debug, PartialEq)]
pub struct BaseCase {
    pub levels: Vec<Levels>,
    /// Per strategy: its support price times the quantity it multiplies, and that quantity.
    pub priced: Vec<(f64, f64)>,
}

impl BaseCase {
    pub fn of_result(r: &IterationResult) -> BaseCase {
        let m = iteration_metrics(r, View::Total);
        let priced = (0..m.levels.len()).map(|s| priced_support(r, s, View::Total)).collect();
        BaseCase { levels: m.levels, priced }
    }

    pub fn of_digest(d: &IterationDigest) -> BaseCase {
        let n = d.priced_support.len();
        BaseCase { levels: (0..n).map(|s| *d.levels(View::Total, s)).collect(), priced: d.priced_support.clone() }
    }

    pub fn decisions(&self, s: usize) -> Decisions {
        decision_values(&self.levels[s], &self.levels[0])
    }

    /// Strategy `s`'s additive figures.
    pub fn additive(&self, s: usize) -> Additive {
        let d = self.decisions(s);
        Additive {
            net_saving: d[Metric::NetSaving],
            breakdowns_averted: d[Metric::BreakdownsAverted],
            comparator_cost: self.levels[0][Metric::TotalCost],
            without_price: self.levels[s][Metric::TotalCost] - self.priced[s].0,
            quantity: self.priced[s].1,
        }
    }
}

/// One evaluation: per group (one group when exact), per strategy, its [`Additive`] figures.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation(pub Vec<Vec<Additive>>);

/// An estimate of a whole-cohort figure and its Monte Carlo standard error (0 when exact).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    pub value: f64,
    pub se: f64,
}

/// The children re-simulated, as a scenario to simulate and how its figures add up.
#[derive(Clone, Debug)]
pub struct Sampler {
    sc: Scenario,
    /// Sampled: each authority of `sc`, its group and weight; empty when exact.
    parts: Vec<(usize, f64)>,
    /// Children simulated per evaluation, and in the run.
    pub children: u64,
    pub of: u64,
}

impl Sampler {
    /// A sample of about `target` children of `sc`, or the whole cohort when it has no more.
    pub fn new(sc: &Scenario, target: u64) -> Sampler {
        let of = sc.total_children();
        if of <= target {
            return Sampler { sc: sc.clone(), parts: Vec::new(), children: of, of };
        }
        let share = target as f64 / of as f64;
        let mut out = sc.clone();
        out.authorities.clear();
        let mut parts = Vec::new();
        for a in &sc.authorities {
            let full: u64 = sc.cohorts(a.children).iter().sum();
            let each = ((a.children as f64 * share / SAMPLE_GROUPS as f64).round() as u64).max(1);
            let sampled: u64 = SAMPLE_GROUPS as u64 * sc.cohorts(each).iter().sum::<u64>();
            let weight = if sampled > 0 { full as f64 / sampled as f64 } else { 0.0 };
            for g in 0..SAMPLE_GROUPS {
                // A name of its own gives each group its own random streams.
                out.authorities.push(Authority {
                    name: format!("{} (sample group {})", a.name, g + 1),
                    children: each,
                    source: None,
                    model: a.model.clone(),
                });
                parts.push((g, weight));
            }
        }
        let children = out.total_children();
        Sampler { sc: out, parts, children, of }
    }

    /// Where a growing analysis starts: the whole cohort at or below [`SAMPLE_CHILDREN`]
    /// children, otherwise a sample of about `first`.
    pub fn start(sc: &Scenario, first: u64) -> Sampler {
        Sampler::new(sc, if sc.total_children() <= SAMPLE_CHILDREN { u64::MAX } else { first })
    }

    /// A growing analysis: `analyse` runs on the [`Sampler::start`] sample, then on
    /// [`Sampler::larger`] ones, until the largest of its Monte Carlo errors over its
    /// tolerance (the ratio it returns beside its result) is at most 1, or it has simulated
    /// the whole cohort. Returns the last result and the sample it settled on.
    pub fn settle<T, E>(
        sc: &Scenario,
        first: u64,
        mut analyse: impl FnMut(&Sampler) -> Result<(T, f64), E>,
    ) -> Result<(T, Sampler), E> {
        let mut sampler = Sampler::start(sc, first);
        loop {
            let (out, ratio) = analyse(&sampler)?;
            if ratio <= 1.0 || sampler.exact() {
                return Ok((out, sampler));
            }
            sampler = sampler.larger(sc, ratio);
        }
    }

    /// The sample whose Monte Carlo errors should be within their tolerances, given that this
    /// one's largest error was `ratio` times its tolerance: errors fall as `1/√children`, so it
    /// has `1.3 · ratio²` times the children (at least twice as many), or the whole cohort
    /// once that would be half of it or more.
    pub fn larger(&self, sc: &Scenario, ratio: f64) -> Sampler {
        let grow = (1.3 * ratio * ratio).max(2.0);
        let next = self.children as f64 * grow;
        if !next.is_finite() || next >= self.of as f64 / 2.0 {
            Sampler::new(sc, u64::MAX)
        } else {
            Sampler::new(sc, next as u64)
        }
    }

    /// Whether every child of the run is simulated.
    pub fn exact(&self) -> bool {
        self.parts.is_empty()
    }

    /// The scenario the analyses simulate.
    pub fn scenario(&self) -> &Scenario {
        &self.sc
    }

    /// The figures of every strategy (against the comparator, strategy 0) of one simulation
    /// of [`Sampler::scenario`], or of a copy of it with fewer strategies.
    pub fn evaluate(&self, r: &IterationResult) -> Evaluation {
        let strategies = r.inputs.strategies.len();
        let of_view = |view: View| -> Vec<Additive> {
            let m = iteration_metrics(r, view);
            (0..strategies)
                .map(|s| {
                    let (priced, quantity) = priced_support(r, s, view);
                    Additive {
                        net_saving: m.decisions[s][Metric::NetSaving],
                        breakdowns_averted: m.decisions[s][Metric::BreakdownsAverted],
                        comparator_cost: m.levels[0][Metric::TotalCost],
                        without_price: m.levels[s][Metric::TotalCost] - priced,
                        quantity,
                    }
                })
                .collect()
        };
        if self.exact() {
            return Evaluation(vec![of_view(View::Total)]);
        }
        let mut groups = vec![vec![Additive::default(); strategies]; SAMPLE_GROUPS];
        for (a, &(g, w)) in self.parts.iter().enumerate() {
            for (s, x) in of_view(View::Authority(a)).into_iter().enumerate() {
                groups[g][s].add(x, w);
            }
        }
        Evaluation(groups)
    }

    /// The whole-cohort estimate of `f` of strategy `s` at an evaluation `at`, given the run's
    /// own base case `full` and the sample's base case `base`. Exact: `f` of the evaluation.
    pub fn estimate(
        &self,
        f: impl Fn(&Additive) -> f64,
        s: usize,
        at: &Evaluation,
        base: &Evaluation,
        full: &Additive,
    ) -> Estimate {
        if self.exact() {
            return Estimate { value: f(&at.0[0][s]), se: 0.0 };
        }
        let d: Vec<f64> = at.0.iter().zip(&base.0).map(|(a, b)| f(&a[s].minus(b[s]))).collect();
        Estimate { value: f(full) + d.iter().sum::<f64>(), se: batch_se(&d) }
    }
}

/// The standard error of the sum of independent group values `d`, by batch means.
pub fn batch_se(d: &[f64]) -> f64 {
    let g = d.len() as f64;
    if d.len() < 2 {
        return 0.0;
    }
    let mean = d.iter().sum::<f64>() / g;
    (g / (g - 1.0) * d.iter().map(|x| (x - mean).powi(2)).sum::<f64>()).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_means_error_of_a_sum_is_sqrt_g_times_the_group_sd() {
        // Groups 1..=4: sd (n−1) = 1.2910; the sum's error is √4 × that.
        let se = batch_se(&[1.0, 2.0, 3.0, 4.0]);
        assert!((se - 2.0 * (5.0f64 / 3.0).sqrt()).abs() < 1e-12, "{se}");
        assert_eq!(batch_se(&[5.0; 8]), 0.0);
        assert_eq!(batch_se(&[3.0]), 0.0);
    }
}
