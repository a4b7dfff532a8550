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

use crate::analysis::{View, decision_values, level_values, support_quantity, view_tally};
use crate::budget::{Spend, every_authority_spend, sum_spend};
use crate::metric::{Decisions, Levels, Metric};
use crate::model::Inputs;
use crate::sim::{IterationResult, RunResult};

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
    /// authorities and view `1 + a` is authority `a`.
    levels: Vec<Levels>,
    /// All authorities, per strategy: the strategy's support price times the quantity it
    /// multiplies (discounted), and that quantity.
    pub priced_support: Vec<(f64, f64)>,
    /// All authorities, per strategy: the cumulative share of children with a first
    /// re-entry by month, from month 0.
    pub curve: Vec<Vec<f64>>,
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
        let mut curve = Vec::with_capacity(strategies);
        let mut priced_support = Vec::with_capacity(strategies);
        for s in 0..strategies {
            // All authorities: each authority priced at its own inputs and added in order;
            // shares from the merged tally (see `analysis::view_levels`).
            let mut total = Levels::default();
            let (mut price, mut qty) = (0.0, 0.0);
            for a in 0..authorities {
                let inputs = r.inputs_for(a);
                let own = level_values(&r.tallies[s][a], inputs, s);
                for (o, v) in total.0.iter_mut().zip(own.0) {
                    *o += v;
                }
                levels[(1 + a) * strategies + s] = own;
                let st = &inputs.strategies[s];
                let q = support_quantity(&r.tallies[s][a].q, st.cost_basis).0;
                (price, qty) = (price + st.cost * q, qty + q);
            }
            let merged = view_tally(r, s, View::Total);
            let shares = level_values(&merged, &r.inputs, s);
            for (m, _) in Metric::SHARES {
                total[m] = shares[m];
            }
            levels[s] = total;
            priced_support.push((price, qty));
            let n = merged.children.max(1) as f64;
            let mut acc = 0u64;
            let mut points = Vec::with_capacity(merged.first_reentry_by_month.len() + 1);
            points.push(0.0);
            for c in &merged.first_reentry_by_month {
                acc += c;
                points.push(acc as f64 / n);
            }
            curve.push(points);
        }
        let spend = (r.inputs.years > 0).then(|| sum_spend(authority_spend));
        IterationDigest {
            iteration: r.iteration,
            values: r.values.clone(),
            capped: r.tallies.iter().flatten().map(|t| t.children_capped).sum(),
            strategies,
            levels,
            priced_support,
            curve,
            spend,
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
        if self.strategies != strategies {
            return bad("strategies", self.strategies, strategies);
        }
        if self.levels.len() != (1 + authorities) * strategies {
            return bad("level metrics", self.levels.len(), (1 + authorities) * strategies);
        }
        if self.values.len() != params {
            return bad("parameter values", self.values.len(), params);
        }
        if self.priced_support.len() != strategies || self.curve.len() != strategies {
            return bad("strategies priced or curved", self.priced_support.len().min(self.curve.len()), strategies);
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

    /// The PSA iterations, or the base case alone when there was no PSA.
    pub fn draws(&self) -> &[Arc<IterationDigest>] {
        if self.psa.is_empty() { std::slice::from_ref(&self.base) } else { &self.psa }
    }

    /// Child paths stopped at the cap, over the whole run.
    pub fn capped(&self) -> u64 {
        self.base.capped + self.psa.iter().map(|d| d.capped).sum::<u64>()
    }
}
