//! Spend by financial year of one iteration (flow mode): the pricing half of the budget,
//! below the digest. [`crate::budget`] summarises it over iterations.
//!
//! In flow mode every tally also holds one tally per financial year of the budget window
//! (MODEL.md, "Cohorts and authorities"). A year's spend is priced exactly like a whole run
//! (`amount × quantity`, [`level_values`]) and split into support, breakdown and care, and
//! other costs, as undiscounted cash and discounted to the start of the first financial
//! year. Each authority is priced at its own inputs; all authorities' spend is the sum.

use serde::{Deserialize, Serialize};

use crate::metric::Metric;
use crate::price::{View, level_values};
use crate::sim::IterationResult;

/// One strategy's spend in one financial year, by line: cash and discounted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct YearSpend {
    pub cash: [f64; 4],
    pub discounted: [f64; 4],
}

/// Spend by strategy and financial year, `spend[strategy][year]`, with the breakdowns in each,
/// `breakdowns[strategy][year]`.
pub type Spend = (Vec<Vec<YearSpend>>, Vec<Vec<f64>>);

/// Spend of every strategy in every financial year of one iteration under a view, with the
/// number of breakdowns. Authorities are priced each at their own inputs and then summed.
pub fn iteration_spend(r: &IterationResult, view: View) -> Spend {
    match view {
        View::Authority(a) => authority_spend(r, a),
        View::Total => sum_spend(&every_authority_spend(r)),
    }
}

/// Each authority's spend in one iteration, in authority order.
pub fn every_authority_spend(r: &IterationResult) -> Vec<Spend> {
    (0..r.tallies.first().map_or(0, Vec::len)).map(|a| authority_spend(r, a)).collect()
}

fn authority_spend(r: &IterationResult, a: usize) -> Spend {
    let strategies = r.tallies.len();
    let years = r.inputs.years;
    let cash = [Metric::SupportCostUndiscounted, Metric::BreakdownCostUndiscounted, Metric::OtherCostUndiscounted];
    let disc = [Metric::SupportCost, Metric::BreakdownCost, Metric::OtherCost];
    let mut spend = vec![vec![YearSpend::default(); years]; strategies];
    let mut breakdowns = vec![vec![0.0; years]; strategies];
    let inputs = r.inputs_for(a);
    for s in 0..strategies {
        for (y, t) in r.tallies[s][a].by_year.iter().enumerate() {
            let v = level_values(&t.as_tally(), inputs, s);
            let out = &mut spend[s][y];
            for l in 0..3 {
                out.cash[l] += v[cash[l]];
                out.discounted[l] += v[disc[l]];
            }
            breakdowns[s][y] += v[Metric::Breakdowns];
        }
        for out in &mut spend[s] {
            out.cash[3] = out.cash[..3].iter().sum();
            out.discounted[3] = out.discounted[..3].iter().sum();
        }
    }
    (spend, breakdowns)
}

/// All authorities' spend: each line and the breakdowns added in authority order, and the
/// total line summed from the year's lines.
pub fn sum_spend(parts: &[Spend]) -> Spend {
    let Some((first, _)) = parts.first() else { return (Vec::new(), Vec::new()) };
    let (strategies, years) = (first.len(), first.first().map_or(0, Vec::len));
    let mut spend = vec![vec![YearSpend::default(); years]; strategies];
    let mut breakdowns = vec![vec![0.0; years]; strategies];
    for (part, brk) in parts {
        for s in 0..strategies {
            for y in 0..years {
                for l in 0..3 {
                    spend[s][y].cash[l] += part[s][y].cash[l];
                    spend[s][y].discounted[l] += part[s][y].discounted[l];
                }
                breakdowns[s][y] += brk[s][y];
            }
        }
    }
    for out in spend.iter_mut().flatten() {
        out.cash[3] = out.cash[..3].iter().sum();
        out.discounted[3] = out.discounted[..3].iter().sum();
    }
    (spend, breakdowns)
}
