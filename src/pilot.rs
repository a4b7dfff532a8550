//! The value of a local pilot (issue #19): the expected value of sample information (EVSI) of
//! a two-arm trial of a strategy's support against usual care, and the expected net benefit
//! of sampling (ENBS) at each trial size.
//!
//! The trial enrols `n` families per arm from the children the strategy would offer support
//! to, and observes how many in each arm are back in care within `F` years (a first re-entry).
//! In PSA draw `i` the arms' true shares are `p0_i` (usual care, the comparator) and `p1_i`
//! (offered the strategy's support, with its take-up: an intention-to-treat trial), computed
//! exactly over the risk mix from the draw's hazards as calibration does
//! ([`crate::calibrate::share_by`] over the offered children's cells). The data are
//! `X0 ~ Bin(n, p0_i)` and `X1 ~ Bin(n, p1_i)`; each larger trial adds families to the
//! smaller one's (`X(n_k) = X(n_(k−1)) + Bin(n_k − n_(k−1), p)`), so sizes share random numbers.
//!
//! EVSI follows Strong, Oakley, Brennan and Breeze (2015, *Med Decis Making* 35:570): regress
//! each strategy's incremental net benefit on the trial's summary statistic, here the
//! observed shares `(X0/n, X1/n)` in an additive spline ([`crate::voi::evppi`]), and take
//! `EVSI = E[max_s ĝ_s(X)] − max_s E[ĝ_s(X)]`. As `n` grows the shares tend to `(p0, p1)`, so
//! EVSI rises towards the EVPPI of the quantities the trial measures, which bounds it.
//! `ENBS(n) = EVSI(n) × decisions − (fixed cost + cost per family × 2n)`, where `decisions` is
//! the number of cohorts the decision covers (as population EVPI).
//!
//! [`evsi_nested`] is the check: for each simulated data set, the posterior mean net benefit
//! by importance sampling over the PSA draws, weighted by the binomial likelihood.

use rand_distr::{Binomial, Distribution};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::calibrate::{Cell, share_by};
use crate::digest::RunDigest;
use crate::model::{Inputs, ModelError};
use crate::rng::{ALL_AUTHORITIES, Purpose, stream};
use crate::scenario::{Pilot, Scenario};

/// The shares back in care within `years` of the trial's two arms, `(usual care, support)`,
/// among the children strategy `s` offers support to, under one draw's inputs.
pub fn arm_shares(inputs: &Inputs, s: usize, years: f64) -> (f64, f64) {
    let comparator = &inputs.strategies[0];
    let strategy = &inputs.strategies[s];
    let (mut control, mut support): (Vec<Cell>, Vec<Cell>) = (Vec::new(), Vec::new());
    let k = inputs.prevalence.len();
    let mut total = 0.0;
    for mask in 0..1usize << k {
        if !strategy.offered[mask] {
            continue;
        }
        let weight = crate::calibrate::weight(&inputs.prevalence, mask as u64);
        if weight <= 0.0 {
            continue;
        }
        total += weight;
        let scale = inputs.scale_reentry[mask];
        let usual = if comparator.offered[mask] { comparator.support.take_up } else { 0.0 };
        control.push(Cell { weight, scale, engaged: usual, effect: comparator.effect_reentry });
        support.push(Cell { weight, scale, engaged: strategy.support.take_up, effect: strategy.effect_reentry });
    }
    if total <= 0.0 {
        return (0.0, 0.0);
    }
    let share = |cells: &[Cell]| share_by(&inputs.reentry, cells, years) / total;
    (share(&control), share(&support))
}

/// The trial's observed counts at each size in `sizes` (increasing), `(X0, X1)`, for one draw
/// with arm shares `p`: binomial, each size adding families to the last, from the draw's own
/// stream (purpose [`Purpose::Trial`], one per arm).
pub fn observe(seed: u64, iteration: u32, p: (f64, f64), sizes: &[u32]) -> Vec<(u64, u64)> {
    let arm = |a: u64, share: f64| {
        let mut rng = stream(seed, iteration as u64, ALL_AUTHORITIES, a, Purpose::Trial);
        // A share is finite by construction; a NaN would make the binomial refuse, so it
        // observes nothing rather than panic.
        let share = if share.is_finite() { share.clamp(0.0, 1.0) } else { 0.0 };
        let (mut last, mut x) = (0u32, 0u64);
        sizes
            .iter()
            .map(|&n| {
                let more = (n - last) as u64;
                x += Binomial::new(more, share).expect("a share in [0, 1]").sample(&mut rng);
                last = n;
                x
            })
            .collect::<Vec<u64>>()
    };
    let (x0, x1) = (arm(0, p.0), arm(1, p.1));
    x0.into_iter().zip(x1).collect()
}

/// One trial size's value, a row of `evsi.csv`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EvsiRow {
    /// Families in each of the two arms.
    pub families_per_arm: u32,
    /// Expected value of the trial's information per decision (one cohort), £.
    pub evsi_per_decision: f64,
    /// Over every cohort the decision covers (`--decision-years`), £.
    pub population_evsi: f64,
    /// Fixed cost plus the cost per family times both arms' families, £.
    pub pilot_cost: f64,
    /// Population EVSI less the pilot's cost, £.
    pub enbs: f64,
}

/// What a valued pilot trialled, at what value and with what result: `summary.json`'s `pilot`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PilotSummary {
    /// The strategy whose support the trial sets against usual care.
    pub strategy: String,
    pub follow_up_years: f64,
    /// £ per breakdown averted at which net benefit is valued.
    pub wtp: f64,
    /// Why that value: "the scenario's value", "where the choice is most uncertain" or "--wtp".
    pub wtp_from: String,
    /// Mean over the draws of each arm's share back in care within the follow-up.
    pub usual_care_share: f64,
    pub support_share: f64,
    /// EVPPI of the arms' true shares per decision: the most any size of this trial can be
    /// worth.
    pub evppi_per_decision: f64,
    /// EVPI per decision, for scale.
    pub evpi_per_decision: f64,
    pub fixed_cost: f64,
    pub cost_per_family: f64,
    /// Cohorts the decision covers: population EVSI is EVSI per decision times this.
    pub decision_years: f64,
    /// Families per arm with the largest ENBS, when any size's is above 0.
    pub best_families_per_arm: Option<u32>,
    /// Whether that size is the largest studied (a larger trial might be worth more).
    pub best_is_largest: bool,
    pub source: Option<String>,
}

/// A pilot valued: its summary and one row per size.
#[derive(Clone, Debug, PartialEq)]
pub struct Valued {
    pub summary: PilotSummary,
    pub rows: Vec<EvsiRow>,
}

/// The size with the largest ENBS, when any is positive.
pub fn best(rows: &[EvsiRow]) -> Option<&EvsiRow> {
    rows.iter().filter(|r| r.enbs > 0.0).max_by(|a, b| a.enbs.total_cmp(&b.enbs))
}

/// EVSI per decision of data `stats[i]` (one column per statistic, over the draws) given the
/// incremental net benefits `inb[s][i]`. Data whose distribution is the same in every draw
/// (`informs` false: the trial measures nothing that is uncertain) carry no information: 0.
pub fn evsi(inb: &[Vec<f64>], stats: &[&[f64]], informs: bool) -> f64 {
    if !informs {
        return 0.0;
    }
    crate::voi::evppi(inb, stats)
}

/// EVSI by nested Monte Carlo: for each of the first `outer` draws' data `(x0, x1)` at `n` per
/// arm, the posterior mean of each net benefit is the mean over every draw weighted by the
/// likelihood `Bin(x0; n, p0_j) · Bin(x1; n, p1_j)` (importance sampling from the prior), and
/// EVSI is the mean of the best posterior mean (or 0) less the best prior mean (or 0).
/// Returns the estimate and its Monte Carlo standard error over the outer loop.
pub fn evsi_nested(inb: &[Vec<f64>], shares: &[(f64, f64)], data: &[(u64, u64)], n: u32, outer: usize) -> (f64, f64) {
    let draws = shares.len();
    let ln = |x: u64, p: f64| {
        let p = p.clamp(1e-300, 1.0 - 1e-16);
        x as f64 * p.ln() + (n as u64 - x) as f64 * (-p).ln_1p()
    };
    let prior_best = inb.iter().map(|v| v.iter().sum::<f64>() / draws as f64).fold(0.0, f64::max);
    let gains: Vec<f64> = data[..outer.min(data.len())]
        .par_iter()
        .map(|&(x0, x1)| {
            let logw: Vec<f64> = shares.iter().map(|&(p0, p1)| ln(x0, p0) + ln(x1, p1)).collect();
            let top = logw.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let w: Vec<f64> = logw.iter().map(|l| (l - top).exp()).collect();
            let sum: f64 = w.iter().sum();
            inb.iter().map(|v| v.iter().zip(&w).map(|(y, w)| y * w).sum::<f64>() / sum).fold(0.0, f64::max)
        })
        .collect();
    let m = gains.len().max(1) as f64;
    let mean = gains.iter().sum::<f64>() / m;
    let var = gains.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / (m - 1.0).max(1.0);
    (mean - prior_best, (var / m).sqrt())
}

/// Which strategy the pilot trials: the scenario's choice, else the one (not the comparator)
/// with the largest expected net benefit at `wtp`.
pub fn trialled(pilot: &Pilot, inb: &[Vec<f64>]) -> usize {
    pilot.strategy.unwrap_or_else(|| {
        let means: Vec<f64> = inb.iter().map(|v| v.iter().sum::<f64>() / v.len().max(1) as f64).collect();
        1 + (0..means.len()).max_by(|&a, &b| means[a].total_cmp(&means[b]).then(b.cmp(&a))).unwrap_or(0)
    })
}

/// Each PSA draw's arm shares for the trial of strategy `s`: the draw's inputs resolved again
/// from its parameter values (the digest keeps no inputs).
pub fn draw_shares(sc: &Scenario, run: &RunDigest, s: usize, years: f64) -> Result<Vec<(f64, f64)>, ModelError> {
    run.psa
        .par_iter()
        .map(|d| Inputs::resolve(sc, &sc.model, &d.values, d.iteration).map(|inputs| arm_shares(&inputs, s, years)))
        .collect()
}

/// Values `pilot` for a run at `wtp` per breakdown averted (chosen for the reason `wtp_from`):
/// EVSI and ENBS at each size, with `decisions` cohorts covered by the decision. `None` when
/// the run has too few PSA draws.
pub fn value(
    sc: &Scenario,
    run: &RunDigest,
    seed: u64,
    pilot: &Pilot,
    (wtp, wtp_from): (f64, &str),
    decisions: f64,
) -> Result<Option<Valued>, ModelError> {
    if run.psa.len() < 3 || sc.model.strategies.len() < 2 {
        return Ok(None);
    }
    let inb = crate::wtp::incremental_net_benefit(sc, run, wtp);
    let s = trialled(pilot, &inb);
    let shares = draw_shares(sc, run, s, pilot.follow_up_years)?;
    let draws = shares.len() as f64;
    let data: Vec<Vec<(u64, u64)>> =
        run.psa.par_iter().zip(&shares).map(|(d, &p)| observe(seed, d.iteration, p, &pilot.sizes)).collect();
    let (p0, p1): (Vec<f64>, Vec<f64>) = shares.iter().copied().unzip();
    let informs = [&p0, &p1].iter().any(|v| v.iter().any(|x| *x != v[0]));
    let evppi = evsi(&inb, &[&p0, &p1], informs);
    let rows: Vec<EvsiRow> = pilot
        .sizes
        .iter()
        .enumerate()
        .map(|(k, &n)| {
            let (x0, x1): (Vec<f64>, Vec<f64>) =
                data.iter().map(|d| (d[k].0 as f64 / n as f64, d[k].1 as f64 / n as f64)).unzip();
            let per_decision = evsi(&inb, &[&x0, &x1], informs);
            let population = per_decision * decisions;
            let cost = pilot.cost(n);
            EvsiRow {
                families_per_arm: n,
                evsi_per_decision: per_decision,
                population_evsi: population,
                pilot_cost: cost,
                enbs: population - cost,
            }
        })
        .collect();
    let top = best(&rows).map(|r| r.families_per_arm);
    let summary = PilotSummary {
        strategy: sc.model.strategies[s].name.clone(),
        follow_up_years: pilot.follow_up_years,
        wtp,
        wtp_from: wtp_from.to_string(),
        usual_care_share: p0.iter().sum::<f64>() / draws,
        support_share: p1.iter().sum::<f64>() / draws,
        evppi_per_decision: evppi,
        evpi_per_decision: crate::voi::evpi(&inb).max(0.0),
        fixed_cost: pilot.fixed_cost,
        cost_per_family: pilot.cost_per_family,
        decision_years: decisions,
        best_families_per_arm: top,
        best_is_largest: top.is_some() && top == pilot.sizes.last().copied(),
        source: pilot.source.clone(),
    };
    Ok(Some(Valued { summary, rows }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn larger_trials_add_families_to_smaller_ones_and_never_lose_a_count() {
        let x = observe(7, 3, (0.3, 0.2), &[10, 100, 1000]);
        assert!(x.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1));
        assert!(x[0].0 <= 10 && x[2].0 <= 1000);
        // Same key, same counts; another iteration, other counts.
        assert_eq!(x, observe(7, 3, (0.3, 0.2), &[10, 100, 1000]));
        assert_ne!(x, observe(7, 4, (0.3, 0.2), &[10, 100, 1000]));
        // Shares of 0 and 1 are certain, and a share that is not a number observes nothing.
        assert_eq!(observe(1, 1, (0.0, 1.0), &[5, 50]), vec![(0, 5), (0, 50)]);
        assert_eq!(observe(1, 1, (f64::NAN, 1.0), &[5]), vec![(0, 5)]);
    }
}
