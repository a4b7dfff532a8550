//! Outcomes, costs and their summaries, computed from tallies.
//!
//! Costs are `amount × quantity` over the tallies' discounted and undiscounted quantities
//! (MODEL.md, "Costs"): support is the strategy's price per supported return or year plus any
//! `per_supported_*` lines; breakdown and care costs are the `per_breakdown` and
//! `per_care_year` lines; other costs are `per_maltreatment_event` lines. Increments are
//! strategy minus comparator under common random numbers; the net saving is the
//! comparator's total minus the strategy's (positive means the strategy saves money).
//! Summaries give the base case, the PSA mean, the 2.5% and 97.5% quantiles (type 7) and the
//! Monte Carlo standard error `sd/√n` of the mean.

use serde::{Deserialize, Serialize};

use crate::digest::{IterationDigest, RunDigest};
use crate::model::Inputs;
use crate::scenario::{CostBasis, SupportBasis};
use crate::sim::IterationResult;
use crate::tally::{Quantities, Tally};

pub use crate::metric::{Decisions, Levels, Metric};

/// Months at which the cumulative re-entry share is reported.
pub const CURVE_MONTHS: [usize; 5] = [3, 6, 12, 24, 60];

/// The discounted and undiscounted quantity that a strategy's support price multiplies:
/// supported returns or supported years.
pub fn support_quantity(q: &Quantities, basis: SupportBasis) -> (f64, f64) {
    match basis {
        SupportBasis::PerSupportedReturn => (q.supported_returns_disc, q.supported_returns as f64),
        SupportBasis::PerSupportedYear => (q.supported_years_disc, q.supported_years),
    }
}

/// Level metrics of one tally under one iteration's inputs.
/// `strategy` indexes `inputs.strategies`. Shares beyond the horizon are NaN.
pub fn level_values(t: &Tally, inputs: &Inputs, strategy: usize) -> Levels {
    let s = &inputs.strategies[strategy];
    let n = t.children.max(1) as f64;
    let months = t.first_reentry_by_month.len();
    let share = |m: usize| {
        if m <= months { t.first_reentries_before_month(m) as f64 / n } else { f64::NAN }
    };
    let (q, q_u) = support_quantity(&t.q, s.cost_basis);
    let (mut sup, mut sup_u) = (s.cost * q, s.cost * q_u);
    let (mut brk, mut brk_u, mut oth, mut oth_u) = (0.0, 0.0, 0.0, 0.0);
    for &(basis, amount) in &inputs.costs {
        match basis {
            CostBasis::PerBreakdown => {
                brk += amount * t.q.breakdowns_disc;
                brk_u += amount * t.q.breakdowns as f64;
            }
            CostBasis::PerCareYear => {
                brk += amount * t.q.care_years_disc;
                brk_u += amount * t.q.care_years;
            }
            CostBasis::PerSupportedYear => {
                sup += amount * t.q.supported_years_disc;
                sup_u += amount * t.q.supported_years;
            }
            CostBasis::PerSupportedReturn => {
                sup += amount * t.q.supported_returns_disc;
                sup_u += amount * t.q.supported_returns as f64;
            }
            CostBasis::PerMaltreatmentEvent => {
                oth += amount * t.q.maltreatment_disc;
                oth_u += amount * t.q.maltreatment_events as f64;
            }
        }
    }
    Levels([
        t.children as f64,
        t.q.returns_home as f64,
        t.q.breakdowns as f64,
        t.children_with_breakdown as f64,
        share(CURVE_MONTHS[0]),
        share(CURVE_MONTHS[1]),
        share(CURVE_MONTHS[2]),
        share(CURVE_MONTHS[3]),
        share(CURVE_MONTHS[4]),
        t.q.maltreatment_events as f64,
        t.q.care_years,
        t.q.supported_returns as f64,
        t.q.supported_years,
        sup,
        brk,
        oth,
        sup + brk + oth,
        sup_u,
        brk_u,
        oth_u,
        sup_u + brk_u + oth_u,
    ])
}

/// Decision metrics of a strategy's `level` against the `comparator`'s.
pub fn decision_values(level: &Levels, comparator: &Levels) -> Decisions {
    let d = |m: Metric| level[m] - comparator[m];
    let net_saving = -d(Metric::TotalCost);
    let averted = -d(Metric::Breakdowns);
    let extra_support = d(Metric::SupportCost);
    let averted_costs = -(d(Metric::BreakdownCost) + d(Metric::OtherCost));
    // In Metric::DECISIONS order.
    Decisions([
        net_saving,
        -d(Metric::TotalCostUndiscounted),
        averted,
        if averted > 0.0 { d(Metric::TotalCost) / averted } else { f64::NAN },
        if extra_support > 0.0 { averted_costs / extra_support } else { f64::NAN },
        if net_saving > 0.0 { 1.0 } else { 0.0 },
    ])
}

/// Summary statistics of one metric.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    pub base: Option<f64>,
    pub mean: Option<f64>,
    pub q025: Option<f64>,
    pub q975: Option<f64>,
    pub mcse: Option<f64>,
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

impl Stat {
    /// The central value to report: the PSA mean when there was a PSA, else the base case.
    pub fn central(&self, psa: bool) -> Option<f64> {
        if psa { self.mean } else { self.base }
    }
}

/// Type-7 quantile of sorted finite values.
pub fn quantile_sorted(xs: &[f64], p: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let h = (xs.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(xs.len() - 1);
    xs[lo] + (h - lo as f64) * (xs[hi] - xs[lo])
}

/// Mean, sd/√n and the 2.5%/97.5% quantiles of the finite values.
pub fn describe(base: f64, xs: &[f64]) -> Stat {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return Stat { base: finite(base), mean: None, q025: None, q975: None, mcse: None };
    }
    v.sort_by(f64::total_cmp);
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let mcse = if v.len() > 1 {
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        Some((var / n).sqrt())
    } else {
        None
    };
    Stat {
        base: finite(base),
        mean: Some(mean),
        q025: Some(quantile_sorted(&v, 0.025)),
        q975: Some(quantile_sorted(&v, 0.975)),
        mcse,
    }
}

/// A view of a run: all authorities together, or one of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Total,
    Authority(usize),
}

impl View {
    /// The authorities a view covers, out of `n`.
    pub fn authorities(self, n: usize) -> std::ops::Range<usize> {
        match self {
            View::Total => 0..n,
            View::Authority(a) => a..a + 1,
        }
    }
}

/// Tally of one strategy in one iteration under a view.
pub fn view_tally(r: &IterationResult, strategy: usize, view: View) -> Tally {
    match view {
        View::Authority(a) => r.tallies[strategy][a].clone(),
        View::Total => {
            // Summed by reference: cloning each authority's tally first cost more than the sum.
            let mut acc = Tally::default();
            for t in &r.tallies[strategy] {
                acc += t;
            }
            acc
        }
    }
}

/// Level and decision metric values of every strategy in one iteration.
pub struct IterationMetrics {
    pub levels: Vec<Levels>,
    /// `decisions[s]` is against the comparator; the comparator's own row is all zero.
    pub decisions: Vec<Decisions>,
}

/// Level metrics of strategy `s` under a view. For all authorities together, every count,
/// duration and cost is the sum of the authorities' own (each priced at its own inputs, so
/// the total equals the sum of the authorities exactly), and the shares are computed from the
/// merged tally.
pub fn view_levels(r: &IterationResult, s: usize, view: View) -> Levels {
    match view {
        View::Authority(a) => level_values(&r.tallies[s][a], r.inputs_for(a), s),
        View::Total => {
            let own = r.tallies[s].iter().enumerate().map(|(a, t)| level_values(t, r.inputs_for(a), s));
            total_levels(own, &view_tally(r, s, view), &r.inputs, s)
        }
    }
}

/// All authorities' level metrics of strategy `s` from each authority's own (`own`, in
/// authority order) and their merged tally: counts, durations and costs are the sums of the
/// authorities' (each priced at its own inputs), shares come from the merged tally.
pub fn total_levels(own: impl IntoIterator<Item = Levels>, merged: &Tally, inputs: &Inputs, s: usize) -> Levels {
    let mut out = Levels::default();
    for l in own {
        for (o, v) in out.0.iter_mut().zip(l.0) {
            *o += v;
        }
    }
    let shares = level_values(merged, inputs, s);
    for (m, _) in Metric::SHARES {
        out[m] = shares[m];
    }
    out
}

/// Strategy `s`'s support price times the quantity it multiplies, summed over the authorities
/// of a view (discounted), each at its own price; and the quantity.
pub fn priced_support(r: &IterationResult, s: usize, view: View) -> (f64, f64) {
    view.authorities(r.tallies[s].len()).fold((0.0, 0.0), |(p, q), a| {
        let st = &r.inputs_for(a).strategies[s];
        let qa = support_quantity(&r.tallies[s][a].q, st.cost_basis).0;
        (p + st.cost * qa, q + qa)
    })
}

pub fn iteration_metrics(r: &IterationResult, view: View) -> IterationMetrics {
    let levels: Vec<Levels> = (0..r.inputs.strategies.len()).map(|s| view_levels(r, s, view)).collect();
    let decisions = levels.iter().map(|l| decision_values(l, &levels[0])).collect();
    IterationMetrics { levels, decisions }
}

/// Whether a summary row is a strategy's own value or its difference from the comparator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// The strategy's own value.
    Level,
    /// Strategy minus comparator, or a decision metric against the comparator.
    Increment,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Level => "level",
            Kind::Increment => "increment",
        }
    }
}

/// One row of the summary: a metric of a strategy, as a level or as an increment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    pub strategy: String,
    pub authority: String,
    pub kind: Kind,
    pub metric: Metric,
    #[serde(flatten)]
    pub stat: Stat,
}

/// Summary rows of a run under a view, named `authority`.
pub fn summarise(run: &RunDigest, names: &[String], authority: &str, view: View) -> Vec<SummaryRow> {
    let (base, psa) = (&run.base, &run.psa);
    let mut rows = Vec::new();
    let row = |strategy: usize, kind: Kind, metric: Metric, stat| SummaryRow {
        strategy: names[strategy].clone(),
        authority: authority.to_string(),
        kind,
        metric,
        stat,
    };
    for s in 0..names.len() {
        let level = |d: &IterationDigest, m: Metric| d.levels(view, s)[m];
        let comparator = |d: &IterationDigest, m: Metric| d.levels(view, 0)[m];
        for m in Metric::LEVELS {
            let xs: Vec<f64> = psa.iter().map(|p| level(p, m)).collect();
            rows.push(row(s, Kind::Level, m, describe(level(base, m), &xs)));
        }
        if s == 0 {
            continue;
        }
        for m in Metric::LEVELS {
            let xs: Vec<f64> = psa.iter().map(|p| level(p, m) - comparator(p, m)).collect();
            rows.push(row(s, Kind::Increment, m, describe(level(base, m) - comparator(base, m), &xs)));
        }
        let decisions: Vec<Decisions> = psa.iter().map(|p| p.decisions(view, s)).collect();
        let base_decisions = base.decisions(view, s);
        for m in Metric::DECISIONS {
            let xs: Vec<f64> = decisions.iter().map(|d| d[m]).collect();
            let mut stat = describe(base_decisions[m], &xs);
            if m.is_ratio() && !psa.is_empty() {
                // A mean of ratios is dominated by iterations whose denominator is near zero;
                // the ratio of the mean numerator and denominator is the stable estimate.
                let mean_of =
                    |l: Metric| psa.iter().map(|p| level(p, l) - comparator(p, l)).sum::<f64>() / psa.len() as f64;
                let averted = -mean_of(Metric::Breakdowns);
                let ratio = if m == Metric::CostPerBreakdownAverted {
                    if averted > 0.0 { mean_of(Metric::TotalCost) / averted } else { f64::NAN }
                } else {
                    let extra = mean_of(Metric::SupportCost);
                    if extra > 0.0 {
                        -(mean_of(Metric::BreakdownCost) + mean_of(Metric::OtherCost)) / extra
                    } else {
                        f64::NAN
                    }
                };
                stat.mean = finite(ratio);
                stat.mcse = None;
            }
            rows.push(row(s, Kind::Increment, m, stat));
        }
    }
    rows
}

/// One point of the cumulative first re-entry curve.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CurvePoint {
    pub strategy: String,
    pub month: usize,
    pub base: f64,
    pub mean: Option<f64>,
    pub q025: Option<f64>,
    pub q975: Option<f64>,
}

/// Cumulative share with a first re-entry by month, for every strategy, over all authorities.
pub fn reentry_curve(run: &RunDigest, names: &[String]) -> Vec<CurvePoint> {
    let mut points = Vec::new();
    for (s, name) in names.iter().enumerate() {
        for m in 0..run.base.curve_len() {
            let b = run.base.curve(s, m);
            let xs: Vec<f64> = run.psa.iter().map(|d| d.curve(s, m)).collect();
            let st = describe(b, &xs);
            points.push(CurvePoint {
                strategy: name.clone(),
                month: m,
                base: b,
                mean: st.mean,
                q025: st.q025,
                q975: st.q975,
            });
        }
    }
    points
}

/// Looks up a summary statistic over all authorities.
pub fn find<'a>(rows: &'a [SummaryRow], strategy: &str, kind: Kind, metric: Metric) -> Option<&'a Stat> {
    find_for(rows, crate::scenario::TOTAL_NAME, strategy, kind, metric)
}

/// Looks up a summary statistic of one authority (`"all"` for the total).
pub fn find_for<'a>(
    rows: &'a [SummaryRow],
    authority: &str,
    strategy: &str,
    kind: Kind,
    metric: Metric,
) -> Option<&'a Stat> {
    rows.iter()
        .find(|r| r.authority == authority && r.strategy == strategy && r.kind == kind && r.metric == metric)
        .map(|r| &r.stat)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type7_quantiles_interpolate() {
        let xs = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile_sorted(&xs, 0.5), 3.0);
        assert_eq!(quantile_sorted(&xs, 0.25), 2.0);
        assert!((quantile_sorted(&xs, 0.025) - 1.1).abs() < 1e-12);
    }

    #[test]
    fn describe_gives_the_standard_error_of_the_mean() {
        let s = describe(0.0, &[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(s.mean, Some(2.5));
        let sd = (5.0f64 / 3.0).sqrt();
        assert!((s.mcse.unwrap() - sd / 2.0).abs() < 1e-12);
    }
}
