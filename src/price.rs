//! Pricing: one iteration's tallies turned into outcomes and costs at that iteration's
//! prices. This is the half of the cost arithmetic that sits below the digest
//! ([`crate::digest`] keeps what it computes; [`crate::analysis`] summarises the digests).
//!
//! Costs are `amount × quantity` over the tallies' discounted and undiscounted quantities
//! (MODEL.md, "Costs"): support is the strategy's price per supported return or year plus any
//! `per_supported_*` lines; breakdown and care costs are the `per_breakdown` and
//! `per_care_year` lines; other costs are `per_maltreatment_event` lines. Increments are
//! strategy minus comparator under common random numbers; the net saving is the
//! comparator's total minus the strategy's (positive means the strategy saves money).

use crate::metric::{Decisions, Levels, Metric};
use crate::model::Inputs;
use crate::scenario::{CostBasis, SupportBasis};
use crate::sim::IterationResult;
use crate::tally::{Quantities, Tally};

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
