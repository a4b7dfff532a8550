//! What a run keeps of each iteration once its tallies are priced: the digest.
//!
//! An iteration's tallies hold monthly bins and, in flow mode, a tally per financial year for
//! every strategy and authority: about a kilobyte each, so a 155-authority run of 1,000
//! iterations would hold half a gigabyte of them. Every analysis after the simulation reads
//! only a few numbers from them: each view's level metrics (MODEL.md, "Costs"), the cumulative
//! re-entry curve of all authorities, the priced support that acceptability re-prices, and in
//! flow mode the spend by financial year. [`IterationDigest::of`] computes exactly those, once,
//! on the worker thread that simulated the iteration, and the tallies are then dropped.
//!
//! The sums are the same sums in the same order as pricing the tallies afresh (all authorities
//! are the authorities' own figures added in authority order, shares come from the merged
//! tally), so every output is bit-identical to computing it from the tallies.

use std::sync::Arc;

use crate::metric::{Decisions, Levels};
use crate::model::{Inputs, ModelError};
use crate::price;
use crate::price::{View, decision_values, level_values, total_levels, view_tally};
use crate::sim::{IterationResult, RunResult};
use crate::spend::{Spend, every_authority_spend, sum_spend};

/// Cumulative counts by month of every strategy, one strategy after another, in one
/// allocation: 16 bits when they fit (a cohort under 65,536 children), 32 when they fit (under
/// four billion), else 64. A run keeps one per iteration, so their width is most of a digest.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
enum Cumulative {
    Small(Vec<u16>),
    Narrow(Vec<u32>),
    Wide(Vec<u64>),
}

impl Cumulative {
    /// From each strategy's counts by month (all of one length).
    fn of(by_month: &[&[u64]]) -> Cumulative {
        let wide: Vec<u64> = by_month
            .iter()
            .flat_map(|counts| {
                let mut acc = 0u64;
                counts.iter().map(move |c| {
                    acc += c;
                    acc
                })
            })
            .collect();
        let top = wide.iter().copied().max().unwrap_or(0);
        if top <= u16::MAX as u64 {
            Cumulative::Small(wide.iter().map(|&c| c as u16).collect())
        } else if top <= u32::MAX as u64 {
            Cumulative::Narrow(wide.iter().map(|&c| c as u32).collect())
        } else {
            Cumulative::Wide(wide)
        }
    }
    fn len(&self) -> usize {
        match self {
            Cumulative::Small(v) => v.len(),
            Cumulative::Narrow(v) => v.len(),
            Cumulative::Wide(v) => v.len(),
        }
    }
    fn get(&self, i: usize) -> u64 {
        match self {
            Cumulative::Small(v) => v[i] as u64,
            Cumulative::Narrow(v) => v[i] as u64,
            Cumulative::Wide(v) => v[i],
        }
    }
}

/// What the analyses need of one iteration. It is also what a shard of a run stores, so that
/// the shards merge into exactly the run (`reunify merge`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct IterationDigest {
    /// 0 is the base case.
    pub iteration: u32,
    /// Parameter values, indexed like [`crate::scenario::Scenario::params`].
    pub values: Vec<f64>,
    /// Child paths stopped at [`crate::sim::MAX_RETURNS_HOME`].
    pub capped: u64,
    strategies: usize,
    /// Level metrics by view and strategy: `levels[v * strategies + s]`, where view 0 is all
    /// authorities and view `1 + a` is authority `a`. A run of one authority whose figures
    /// are those of all authorities to the bit keeps view 0 only (`one_view`), which halves
    /// a digest of the default scenario.
    levels: Vec<Levels>,
    one_view: bool,
    /// All authorities, per strategy: the strategy's support price times the quantity it
    /// multiplies (discounted), and that quantity.
    pub priced_support: Vec<(f64, f64)>,
    /// All authorities, per strategy: children with a first re-entry before the end of each
    /// month, and the children followed. The curve's shares are computed from these when read
    /// ([`IterationDigest::curve`]), so a digest holds 4 bytes a month, not 8.
    reentries: Cumulative,
    children: Vec<u64>,
    /// Flow mode, all authorities: spend and breakdowns by strategy and financial year.
    pub spend: Option<Spend>,
}

impl IterationDigest {
    /// The digest of one iteration's results.
    pub fn of(r: &IterationResult) -> IterationDigest {
        let spend = if r.inputs.years > 0 { every_authority_spend(r) } else { Vec::new() };
        Self::with_spend(r, &spend)
    }

    /// The digest of one iteration's results, given each authority's spend in flow mode
    /// ([`every_authority_spend`], which `budget.csv` also needs; empty in cohort mode).
    pub fn with_spend(r: &IterationResult, authority_spend: &[Spend]) -> IterationDigest {
        let strategies = r.tallies.len();
        let authorities = r.tallies.first().map_or(0, Vec::len);
        let mut levels = vec![Levels::default(); (1 + authorities) * strategies];
        let mut by_month: Vec<Vec<u64>> = Vec::with_capacity(strategies);
        let mut children = Vec::with_capacity(strategies);
        let mut priced_support = Vec::with_capacity(strategies);
        for s in 0..strategies {
            for a in 0..authorities {
                levels[(1 + a) * strategies + s] = level_values(&r.tallies[s][a], r.inputs_for(a), s);
            }
            let merged = view_tally(r, s, View::Total);
            let own = (0..authorities).map(|a| levels[(1 + a) * strategies + s]);
            levels[s] = total_levels(own, &merged, &r.inputs, s);
            priced_support.push(price::priced_support(r, s, View::Total));
            by_month.push(merged.first_reentry_by_month);
            children.push(merged.children);
        }
        let months: Vec<&[u64]> = by_month.iter().map(Vec::as_slice).collect();
        let reentries = Cumulative::of(&months);
        let one_view = authorities == 1
            && (0..strategies).all(|s| levels[s].0.map(f64::to_bits) == levels[strategies + s].0.map(f64::to_bits));
        if one_view {
            levels.truncate(strategies);
        }
        let spend = (r.inputs.years > 0).then(|| sum_spend(authority_spend));
        IterationDigest {
            iteration: r.iteration,
            values: r.values.clone(),
            capped: r.tallies.iter().flatten().map(|t| t.children_capped).sum(),
            strategies,
            levels,
            one_view,
            priced_support,
            reentries,
            children,
            spend,
        }
    }

    /// Months of the re-entry curve (every strategy has the same).
    pub fn curve_months(&self) -> usize {
        self.reentries.len() / self.strategies.max(1)
    }

    /// Points of each strategy's cumulative re-entry curve: months 0 to the horizon.
    pub fn curve_len(&self) -> usize {
        self.curve_months() + 1
    }

    /// The share of strategy `s`'s children with a first re-entry within `m` months.
    pub fn curve(&self, s: usize, m: usize) -> f64 {
        if m == 0 {
            0.0
        } else {
            self.reentries.get(s * self.curve_months() + m - 1) as f64 / self.children[s].max(1) as f64
        }
    }

    /// Checks that the digest has the shape of a run with these strategies, authorities,
    /// parameters and financial years (a digest read back from a file is checked before any
    /// of it is used).
    pub fn check_shape(
        &self,
        strategies: usize,
        authorities: usize,
        params: usize,
        years: usize,
    ) -> Result<(), String> {
        let bad = |what: &str, got: usize, want: usize| Err(format!("{what}: {got} where the scenario needs {want}"));
        // No figure a run computes is infinite, and its parameters and prices are numbers: an
        // infinity is damage that would reach every sum and chart after it. (A level may be
        // NaN: a share of no children.)
        let finite = self.values.iter().all(|v| v.is_finite())
            && self.levels.iter().all(|l| l.0.iter().all(|v| !v.is_infinite()))
            && self.priced_support.iter().all(|(a, b)| a.is_finite() && b.is_finite())
            && self.spend.as_ref().is_none_or(|(spend, breakdowns)| {
                spend.iter().flatten().all(|y| y.cash.iter().chain(&y.discounted).all(|v| v.is_finite()))
                    && breakdowns.iter().flatten().all(|v| v.is_finite())
            });
        if !finite {
            return Err("it holds a figure that is infinite, or a parameter or price that is not a number".into());
        }
        if self.strategies != strategies {
            return bad("strategies", self.strategies, strategies);
        }
        let views = if self.one_view && authorities == 1 { 1 } else { 1 + authorities };
        if self.levels.len() != views * strategies {
            return bad("level metrics", self.levels.len(), views * strategies);
        }
        if self.values.len() != params {
            return bad("parameter values", self.values.len(), params);
        }
        let per_strategy = [self.priced_support.len(), self.children.len()];
        if per_strategy.iter().any(|&n| n != strategies) {
            return bad("strategies priced or counted", per_strategy.into_iter().min().unwrap_or(0), strategies);
        }
        if self.reentries.len() % strategies != 0 {
            return Err("the strategies' re-entry curves differ in length".into());
        }
        match &self.spend {
            None if years > 0 => bad("financial years of spend", 0, years),
            Some(_) if years == 0 => bad("financial years of spend", 1, 0),
            Some((spend, breakdowns))
                if spend.len() != strategies
                    || breakdowns.len() != strategies
                    || spend.iter().any(|y| y.len() != years)
                    || breakdowns.iter().any(|y| y.len() != years) =>
            {
                Err(format!("spend is not {strategies} strategies × {years} financial years"))
            }
            _ => Ok(()),
        }
    }

    /// Level metrics of strategy `s` under a view.
    pub fn levels(&self, view: View, s: usize) -> &Levels {
        let v = match view {
            View::Total => 0,
            View::Authority(_) if self.one_view => 0,
            View::Authority(a) => 1 + a,
        };
        &self.levels[v * self.strategies + s]
    }

    /// Decision metrics of strategy `s` against the comparator under a view.
    pub fn decisions(&self, view: View, s: usize) -> Decisions {
        decision_values(self.levels(view, s), self.levels(view, 0))
    }
}

/// A whole run as the analyses see it: the base case's and every PSA iteration's digest, in
/// iteration order, and the scenario's inputs at its point values. Digests are shared, so
/// that a writer can still be writing them out while the analyses read them.
#[derive(Clone, Debug, PartialEq)]
pub struct RunDigest {
    pub base_inputs: Inputs,
    pub base: Arc<IterationDigest>,
    pub psa: Vec<Arc<IterationDigest>>,
}

impl RunDigest {
    /// The digest of a run kept whole (tests and `reproduce`).
    pub fn of(run: &RunResult) -> RunDigest {
        RunDigest {
            base_inputs: run.base.inputs.clone(),
            base: Arc::new(IterationDigest::of(&run.base)),
            psa: run.psa.iter().map(|r| Arc::new(IterationDigest::of(r))).collect(),
        }
    }

    /// Simulates a run in memory, keeping only each iteration's digest and the base case's
    /// inputs (`reproduce --external`, `reunify pilot`, tests): memory grows with the digests,
    /// not with the children.
    pub fn simulate(sc: &crate::scenario::Scenario, opts: crate::sim::RunOptions) -> Result<RunDigest, ModelError> {
        let mut draws = Vec::new();
        crate::sim::run_map(
            sc,
            opts,
            &|| {},
            |r| ((r.iteration == 0).then(|| r.inputs.clone()), IterationDigest::of(&r)),
            |d| {
                draws.push(d);
                Ok::<_, ModelError>(())
            },
        )?;
        let mut draws = draws.into_iter();
        // `run_map` always runs the base case first, and it keeps its inputs.
        let (base_inputs, base) = draws.next().expect("the base case always runs");
        let base_inputs = base_inputs.expect("the base case keeps its inputs");
        Ok(RunDigest { base_inputs, base: Arc::new(base), psa: draws.map(|(_, d)| Arc::new(d)).collect() })
    }

    /// A run from its iterations' digests, the base case first and then the PSA iterations
    /// in order, as `run`, `merge` and the what-if page collect them; `None` when there are
    /// none. The base case's inputs are resolved again from the scenario's point values.
    pub fn assemble(
        sc: &crate::scenario::Scenario,
        digests: impl IntoIterator<Item = Arc<IterationDigest>>,
    ) -> Result<Option<RunDigest>, ModelError> {
        let mut digests = digests.into_iter();
        let Some(base) = digests.next() else { return Ok(None) };
        let base_inputs = Inputs::resolve(sc, &sc.model, &sc.point_values(), 0)?;
        Ok(Some(RunDigest { base_inputs, base, psa: digests.collect() }))
    }

    /// The PSA iterations, or the base case alone when there was no PSA.
    pub fn draws(&self) -> &[Arc<IterationDigest>] {
        if self.psa.is_empty() { std::slice::from_ref(&self.base) } else { &self.psa }
    }

    /// Child paths stopped at the cap, over the whole run.
    pub fn capped(&self) -> u64 {
        self.base.capped + self.psa.iter().map(|d| d.capped).sum::<u64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cumulative_counts_past_32_bits_are_kept_whole() {
        let small = Cumulative::of(&[&[7, 0, 5], &[1, 1, 1]]);
        assert_eq!(small, Cumulative::Small(vec![7, 7, 12, 1, 2, 3]));
        let narrow = Cumulative::of(&[&[70_000, 0]]);
        assert_eq!(narrow, Cumulative::Narrow(vec![70_000, 70_000]));
        // Three billion children a month (a 10^7-child cohort over 10^5 iterations merged into
        // one tally would pass 2^32 by far): the sum passes u32 and is kept in 64 bits.
        let wide = Cumulative::of(&[&[3_000_000_000, 3_000_000_000, 1]]);
        assert_eq!(wide, Cumulative::Wide(vec![3_000_000_000, 6_000_000_000, 6_000_000_001]));
        assert_eq!(wide.get(2), 6_000_000_001);
    }
}
