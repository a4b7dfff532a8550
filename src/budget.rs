//! Flow mode: the cumulative net position and the payback year, summarised over iterations
//! from each iteration's spend by financial year ([`crate::spend`], which prices it below
//! the digest).
//!
//! The net position of a strategy in year `y` is the comparator's spend minus the
//! strategy's; its running sum is the cumulative net position, and the **payback year** is the
//! first financial year from which the cumulative net position (cash) is at least zero to the
//! end of the window: the cumulative saving on breakdowns, care and other costs covers the
//! cumulative extra support spend, and keeps covering it.
//! Budgets are set in cash, so payback is judged on cash; discounted figures are reported
//! beside it. The probability of payback within the window is the share of PSA iterations
//! with a payback year.

use serde::{Deserialize, Serialize};

use crate::analysis::{Stat, describe};
use crate::digest::{IterationDigest, RunDigest};
use crate::scenario::Budget;
use crate::spend::{Spend, YearSpend};

/// Running sum of `comparator − strategy` totals: the cumulative net position by year.
pub fn cumulative_net(comparator: &[YearSpend], strategy: &[YearSpend], discounted: bool) -> Vec<f64> {
    let mut acc = 0.0;
    comparator
        .iter()
        .zip(strategy)
        .map(|(c, s)| {
            acc += if discounted { c.discounted[3] - s.discounted[3] } else { c.cash[3] - s.cash[3] };
            acc
        })
        .collect()
}

/// The payback year (0-based): the first year from which the cumulative net position is at
/// least zero and stays so to the end of the window. A position that turns positive and then
/// negative again (support whose effect fades while breakdowns it delayed catch up) has not
/// paid back, so a payback always means a non-negative position at the window's end.
pub fn payback_year(cumulative: &[f64]) -> Option<usize> {
    let last_negative = cumulative.iter().rposition(|&v| v < 0.0);
    match last_negative {
        None => (!cumulative.is_empty()).then_some(0),
        Some(y) if y + 1 < cumulative.len() => Some(y + 1),
        Some(_) => None,
    }
}

/// One summarised figure of the budget: a spend line or a net position of a strategy in a
/// financial year.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BudgetStat {
    pub strategy: String,
    pub financial_year: String,
    /// A spend line (`support`, `breakdown_care`, `other`, `total`), `net_saving` (the
    /// year's comparator spend minus the strategy's) or `cumulative_net` (its running sum).
    pub line: String,
    /// `cash` or `discounted`.
    pub basis: String,
    #[serde(flatten)]
    pub stat: Stat,
}

/// Payback and break-even of one strategy over the budget window, all authorities together.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Payback {
    pub strategy: String,
    /// Payback year in the base case, as a financial year (`None`: no payback within the
    /// window).
    pub base_year: Option<String>,
    /// Payback year of the PSA mean cumulative net position.
    pub mean_year: Option<String>,
    /// Share of PSA iterations that pay back within the window.
    pub probability: Option<f64>,
    /// Base case: cash extra support spend over the window, the comparator's cash breakdown
    /// and care spend per breakdown, and the breakdowns that must be averted per year of the
    /// window for support to break even over it (Holmes 2014: 920.6 / 3 ≈ 307).
    pub extra_support_cash: f64,
    /// `None` (written as absent) when the comparator has no breakdowns or they cost nothing.
    pub cost_per_breakdown_cash: Option<f64>,
    pub breakdowns_to_avert_per_year: Option<f64>,
}

impl Payback {
    /// The payback year to report: of the PSA mean cumulative position when there was a PSA,
    /// else of the base case.
    pub fn year(&self, psa: bool) -> Option<&String> {
        if psa { self.mean_year.as_ref() } else { self.base_year.as_ref() }
    }
}

/// The budget section of `summary.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BudgetSummary {
    pub first_financial_year: i32,
    pub years: u32,
    pub cohorts: u32,
    pub growth_per_year: f64,
    pub financial_years: Vec<String>,
    pub source: Option<String>,
    pub stats: Vec<BudgetStat>,
    pub payback: Vec<Payback>,
}

impl BudgetSummary {
    /// A summarised figure.
    pub fn find(&self, strategy: &str, year: &str, line: &str, basis: &str) -> Option<&Stat> {
        self.stats
            .iter()
            .find(|r| r.strategy == strategy && r.financial_year == year && r.line == line && r.basis == basis)
            .map(|r| &r.stat)
    }
}

/// The figures reported for a strategy in a financial year, as `(line, basis)`: the four spend
/// lines, the net saving against the comparator that year and the cumulative net position,
/// in cash and then discounted. `budget.csv` names its columns `<line>_<basis>`.
pub const FIGURES: [(&str, &str); 12] = [
    ("support", "cash"),
    ("breakdown_care", "cash"),
    ("other", "cash"),
    ("total", "cash"),
    ("net_saving", "cash"),
    ("cumulative_net", "cash"),
    ("support", "discounted"),
    ("breakdown_care", "discounted"),
    ("other", "discounted"),
    ("total", "discounted"),
    ("net_saving", "discounted"),
    ("cumulative_net", "discounted"),
];

/// Index of the cumulative net position in cash in [`FIGURES`].
const CUMULATIVE_CASH: usize = 5;

/// The [`FIGURES`] of every strategy in every year from spend by strategy and year:
/// `[strategy][year][figure]`.
fn figures(spend: &[Vec<YearSpend>]) -> Vec<Vec<[f64; 12]>> {
    let comparator = &spend[0];
    spend
        .iter()
        .map(|s| {
            let cum_cash = cumulative_net(comparator, s, false);
            let cum_disc = cumulative_net(comparator, s, true);
            s.iter()
                .enumerate()
                .map(|(y, ys)| {
                    let c = &comparator[y];
                    let mut f = [0.0; 12];
                    f[..4].copy_from_slice(&ys.cash);
                    f[4] = c.cash[3] - ys.cash[3];
                    f[5] = cum_cash[y];
                    f[6..10].copy_from_slice(&ys.discounted);
                    f[10] = c.discounted[3] - ys.discounted[3];
                    f[11] = cum_disc[y];
                    f
                })
                .collect()
        })
        .collect()
}

/// Summarises a flow-mode run over all authorities.
pub fn summarise(budget: &Budget, run: &RunDigest, names: &[String]) -> BudgetSummary {
    let years = budget.years as usize;
    let labels: Vec<String> = (0..years).map(|y| budget.label(y)).collect();
    let no_spend: Spend = (Vec::new(), Vec::new());
    fn spend<'a>(d: &'a IterationDigest, none: &'a Spend) -> &'a Spend {
        d.spend.as_ref().unwrap_or(none)
    }
    let (base_spend, base_breakdowns) = spend(&run.base, &no_spend);
    let base = figures(base_spend);
    let psa: Vec<Vec<Vec<[f64; 12]>>> = run.psa.iter().map(|d| figures(&spend(d, &no_spend).0)).collect();
    let mut stats = Vec::new();
    for (s, name) in names.iter().enumerate() {
        for (y, label) in labels.iter().enumerate() {
            for (f, (line, basis)) in FIGURES.iter().enumerate() {
                if s == 0 && (*line == "net_saving" || *line == "cumulative_net") {
                    continue;
                }
                let xs: Vec<f64> = psa.iter().map(|p| p[s][y][f]).collect();
                stats.push(BudgetStat {
                    strategy: name.clone(),
                    financial_year: label.clone(),
                    line: line.to_string(),
                    basis: basis.to_string(),
                    stat: describe(base[s][y][f], &xs),
                });
            }
        }
    }

    let comparator_breakdowns: f64 = base_breakdowns[0].iter().sum();
    let cost_per_breakdown_cash =
        crate::decision::finite(base_spend[0].iter().map(|y| y.cash[1]).sum::<f64>() / comparator_breakdowns)
            .filter(|c| *c > 0.0);
    let cum = |p: &Vec<Vec<[f64; 12]>>, s: usize| -> Vec<f64> { p[s].iter().map(|f| f[CUMULATIVE_CASH]).collect() };
    let payback = (1..names.len())
        .map(|s| {
            let mean_curve: Option<Vec<f64>> = (!psa.is_empty()).then(|| {
                (0..years)
                    .map(|y| psa.iter().map(|p| p[s][y][CUMULATIVE_CASH]).sum::<f64>() / psa.len() as f64)
                    .collect()
            });
            let probability = (!psa.is_empty())
                .then(|| psa.iter().filter(|p| payback_year(&cum(p, s)).is_some()).count() as f64 / psa.len() as f64);
            let extra_support_cash: f64 =
                base_spend[s].iter().zip(&base_spend[0]).map(|(a, c)| a.cash[0] - c.cash[0]).sum();
            Payback {
                strategy: names[s].clone(),
                base_year: payback_year(&cum(&base, s)).map(|y| labels[y].clone()),
                mean_year: mean_curve.and_then(|c| payback_year(&c)).map(|y| labels[y].clone()),
                probability,
                extra_support_cash,
                cost_per_breakdown_cash,
                breakdowns_to_avert_per_year: cost_per_breakdown_cash
                    .and_then(|c| crate::decision::finite(extra_support_cash / c / years as f64)),
            }
        })
        .collect();
    BudgetSummary {
        first_financial_year: budget.first_financial_year,
        years: budget.years,
        cohorts: budget.cohorts,
        growth_per_year: budget.growth_per_year,
        financial_years: labels,
        source: budget.source.clone(),
        stats,
        payback,
    }
}

/// One row of `budget.csv`: one iteration, strategy, authority and financial year.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BudgetRow {
    pub iteration: u32,
    pub strategy: usize,
    pub authority: usize,
    pub year: usize,
    pub breakdowns: f64,
    /// In [`FIGURES`] order.
    pub figures: [f64; 12],
}

/// Every row of `budget.csv` for one iteration, authority by authority, from each
/// authority's spend ([`every_authority_spend`]).
pub fn iteration_rows(iteration: u32, authorities: &[Spend]) -> Vec<BudgetRow> {
    let mut rows = Vec::new();
    for (a, (spend, breakdowns)) in authorities.iter().enumerate() {
        for (s, by_year) in figures(spend).into_iter().enumerate() {
            for (y, f) in by_year.into_iter().enumerate() {
                rows.push(BudgetRow {
                    iteration,
                    strategy: s,
                    authority: a,
                    year: y,
                    breakdowns: breakdowns[s][y],
                    figures: f,
                });
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spend(total: f64) -> YearSpend {
        YearSpend { cash: [0.0, 0.0, 0.0, total], discounted: [0.0, 0.0, 0.0, total] }
    }

    #[test]
    fn payback_is_the_first_year_the_cumulative_saving_covers_the_support() {
        let comparator = [spend(100.0), spend(100.0), spend(100.0)];
        let strategy = [spend(150.0), spend(70.0), spend(70.0)];
        let cum = cumulative_net(&comparator, &strategy, false);
        assert_eq!(cum, vec![-50.0, -20.0, 10.0]);
        assert_eq!(payback_year(&cum), Some(2));
        let never = cumulative_net(&comparator, &[spend(150.0), spend(100.0), spend(100.0)], false);
        assert_eq!(payback_year(&never), None);
        // Covered in the second year, lost again in the third: no payback.
        assert_eq!(payback_year(&[-10.0, 5.0, -1.0]), None);
        assert_eq!(payback_year(&[-10.0, 5.0, -1.0, 2.0]), Some(3));
        assert_eq!(payback_year(&[0.0, 1.0]), Some(0));
    }
}
