//! Fitting an authority's re-entry hazard from its returns home, with honest uncertainty.
//!
//! - **Observed curve**: the Kaplan–Meier estimate of the share back in care by time since the
//!   return, `F(t) = 1 − Π_{t_i ≤ t} (1 − d_i/n_i)`, with Greenwood's variance
//!   `Var S(t) = S(t)² Σ d_i / (n_i (n_i − d_i))` and the 95% interval `F ± 1.96 √Var`,
//!   clipped to [0, 1].
//! - **Hazard**: piecewise constant on the knots, with the risk factors' log hazard ratios,
//!   by Poisson regression of the events in each (piece, covariate pattern) cell with the log
//!   of its time at risk as offset, `log μ = log E + α_piece + Σ β_j x_j`, by iteratively
//!   reweighted least squares (Newton's method on the Poisson likelihood, which is the exact
//!   likelihood of the piecewise-exponential model). Standard errors from the inverse of the
//!   Fisher information `X'WX`. A piece with no re-entry gets the rate 0; a factor with fewer
//!   than [`MIN_EVENTS`] re-entries among the children with it or without it is left out,
//!   with the reason.
//! - **Care after a re-entry**: a log-normal duration fitted to the periods of care after a
//!   re-entry, those still open at the extract censored, by the EM algorithm for a censored
//!   normal on log years.
//! - **Hold-out**: the fitted model's share back at `t` for a set of returns is the mean over
//!   them of `1 − exp(−H0(t) · exp(x'β))`, with a 95% interval from 2,000 draws of the
//!   parameters from their estimated normal distribution (a fixed stream, so it is the same
//!   on every run).

use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

use super::history::{CareSpell, Return};

/// A factor needs at least this many re-entries among the returns with it and without it.
pub const MIN_EVENTS: u64 = 5;

const Z975: f64 = 1.959963984540054;

/// One step of a Kaplan–Meier curve.
#[derive(Clone, Debug, PartialEq)]
pub struct KmStep {
    pub years: f64,
    pub at_risk: u64,
    pub events: u64,
    pub censored: u64,
    pub share_back: f64,
    /// Greenwood's variance of the survival.
    pub variance: f64,
}

/// The Kaplan–Meier curve of `(years, re-entered)` spells, one step per distinct time.
pub fn kaplan_meier(spells: &[(f64, bool)]) -> Vec<KmStep> {
    let mut s: Vec<(f64, bool)> = spells.to_vec();
    s.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
    let mut at_risk = s.len() as u64;
    let (mut surv, mut sum) = (1.0, 0.0);
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let t = s[i].0;
        let (mut d, mut c) = (0u64, 0u64);
        while i < s.len() && s[i].0 == t {
            if s[i].1 {
                d += 1
            } else {
                c += 1
            }
            i += 1;
        }
        if d > 0 {
            surv *= 1.0 - d as f64 / at_risk as f64;
            if at_risk > d {
                sum += d as f64 / (at_risk as f64 * (at_risk - d) as f64);
            }
        }
        out.push(KmStep {
            years: t,
            at_risk,
            events: d,
            censored: c,
            share_back: 1.0 - surv,
            variance: surv * surv * sum,
        });
        at_risk -= d + c;
    }
    out
}

/// The share back in care by `years` on a Kaplan–Meier curve, with its 95% interval; `None`
/// beyond the last time anyone was followed to.
pub fn km_at(steps: &[KmStep], years: f64) -> Option<(f64, f64, f64)> {
    if steps.last().is_none_or(|s| s.years < years) {
        return None;
    }
    let (f, v) =
        steps.iter().take_while(|s| s.years <= years).last().map_or((0.0, 0.0), |s| (s.share_back, s.variance));
    let half = Z975 * v.sqrt();
    Some((f, (f - half).max(0.0), (f + half).min(1.0)))
}

/// A fitted piecewise-constant hazard with risk factors.
#[derive(Clone, Debug)]
pub struct HazardFit {
    pub knots: Vec<f64>,
    /// The baseline rate per year in each piece (a child with no risk factor), with its 95%
    /// interval, and the standard error of its log (0 for a piece with no re-entry).
    pub rates: Vec<f64>,
    pub rates_lo: Vec<f64>,
    pub rates_hi: Vec<f64>,
    pub log_rate_se: Vec<f64>,
    pub events: Vec<u64>,
    pub exposure: Vec<f64>,
    /// Included factors: index into [`FACTORS`], log hazard ratio and its standard error.
    pub factors: Vec<(usize, f64, f64)>,
    /// Factors left out, with the reason.
    pub left_out: Vec<(usize, super::read::Problem)>,
    /// The parameters' covariance (free pieces first, then factors) and which pieces are free.
    cov: DMatrix<f64>,
    free: Vec<usize>,
}

fn piece_overlaps(knots: &[f64], t: f64) -> impl Iterator<Item = (usize, f64)> + '_ {
    knots.iter().enumerate().map(move |(k, &a)| {
        let b = knots.get(k + 1).copied().unwrap_or(f64::INFINITY);
        (k, (t.min(b) - a).max(0.0))
    })
}

fn piece_of(knots: &[f64], t: f64) -> usize {
    knots.iter().rposition(|&k| k <= t).unwrap_or(0)
}

/// Fits the hazard to the spells of `returns` (time in years, re-entered, covariates).
pub fn fit_hazard(spells: &[(f64, bool, [bool; 5])], knots: &[f64]) -> HazardFit {
    let m = knots.len();
    // Events and exposure by piece and covariate pattern.
    let mut cells: std::collections::BTreeMap<(usize, u8), (f64, f64)> = std::collections::BTreeMap::new();
    let mut events = vec![0u64; m];
    let mut exposure = vec![0.0; m];
    let (mut with, mut without) = ([0u64; 5], [0u64; 5]);
    let mut prevalent = [0u64; 5];
    for (t, d, x) in spells {
        let pattern = x.iter().enumerate().fold(0u8, |acc, (j, b)| acc | ((*b as u8) << j));
        for (k, e) in piece_overlaps(knots, *t) {
            if e > 0.0 {
                cells.entry((k, pattern)).or_default().1 += e;
                exposure[k] += e;
            }
        }
        for j in 0..5 {
            prevalent[j] += x[j] as u64;
        }
        if *d {
            let k = piece_of(knots, *t);
            cells.entry((k, pattern)).or_default().0 += 1.0;
            events[k] += 1;
            for j in 0..5 {
                if x[j] { with[j] += 1 } else { without[j] += 1 }
            }
        }
    }
    let mut factors = Vec::new();
    let mut left_out = Vec::new();
    for j in 0..5 {
        if prevalent[j] == 0 || prevalent[j] == spells.len() as u64 {
            left_out.push((j, super::read::Problem::FactorNoContrast(j)));
        } else if with[j] < MIN_EVENTS || without[j] < MIN_EVENTS {
            left_out.push((j, super::read::Problem::FactorFewEvents(j)));
        } else {
            factors.push(j);
        }
    }
    let free: Vec<usize> = (0..m).filter(|&k| events[k] > 0).collect();
    let p = free.len() + factors.len();
    let rows: Vec<(usize, u8, f64, f64)> = cells
        .iter()
        .filter(|((k, _), (_, e))| events[*k] > 0 && *e > 0.0)
        .map(|((k, pat), (d, e))| (free.iter().position(|f| f == k).expect("a free piece"), *pat, *d, *e))
        .collect();
    let design = |piece: usize, pat: u8| -> DVector<f64> {
        let mut v = DVector::zeros(p);
        v[piece] = 1.0;
        for (i, j) in factors.iter().enumerate() {
            v[free.len() + i] = ((pat >> j) & 1) as f64;
        }
        v
    };
    let mut theta = DVector::zeros(p);
    for (i, k) in free.iter().enumerate() {
        theta[i] = (events[*k] as f64 / exposure[*k]).ln();
    }
    let mut info = DMatrix::identity(p, p);
    for _ in 0..100 {
        let mut score = DVector::zeros(p);
        info = DMatrix::zeros(p, p);
        for (piece, pat, d, e) in &rows {
            let x = design(*piece, *pat);
            let mu = (x.dot(&theta) + e.ln()).exp();
            score += &x * (d - mu);
            info += &x * x.transpose() * mu;
        }
        let Some(chol) = info.clone().cholesky() else { break };
        let step = chol.solve(&score);
        // A damped step keeps a factor seen only with few events from overshooting.
        let scale = (5.0 / step.amax()).min(1.0);
        theta += step * scale;
        if scale == 1.0 && theta.amax().is_finite() && score.amax() < 1e-9 {
            break;
        }
    }
    let cov = info.clone().cholesky().map(|c| c.inverse()).unwrap_or_else(|| DMatrix::from_element(p, p, f64::NAN));
    let mut rates = vec![0.0; m];
    let mut log_rate_se = vec![0.0; m];
    for (i, k) in free.iter().enumerate() {
        rates[*k] = theta[i].exp();
        log_rate_se[*k] = cov[(i, i)].sqrt();
    }
    let rates_lo = (0..m).map(|k| rates[k] * (-Z975 * log_rate_se[k]).exp()).collect();
    // A piece with no re-entry: the one-sided 95% bound for zero events is 3 / exposure.
    let rates_hi = (0..m)
        .map(|k| if events[k] == 0 { 3.0 / exposure[k].max(1e-9) } else { rates[k] * (Z975 * log_rate_se[k]).exp() })
        .collect();
    let factors = factors
        .iter()
        .enumerate()
        .map(|(i, j)| (*j, theta[free.len() + i], cov[(free.len() + i, free.len() + i)].sqrt()))
        .collect();
    HazardFit {
        knots: knots.to_vec(),
        rates,
        rates_lo,
        rates_hi,
        log_rate_se,
        events,
        exposure,
        factors,
        left_out,
        cov,
        free,
    }
}

impl HazardFit {
    /// The hazard ratio of factor `j` with its 95% interval, when it was estimated.
    pub fn hazard_ratio(&self, j: usize) -> Option<(f64, f64, f64)> {
        self.factors
            .iter()
            .find(|f| f.0 == j)
            .map(|&(_, b, se)| (b.exp(), (b - Z975 * se).exp(), (b + Z975 * se).exp()))
    }

    /// The mean over `xs` of the share back by `t` under the log rates and log hazard ratios
    /// given: `1 − exp(−H0(t) · exp(x'β))`. `xs` comes as covariate patterns with their
    /// counts ([`patterns`]), so the cost does not grow with the returns.
    fn share(&self, log_rates: &[f64], betas: &[f64], xs: &[([bool; 5], f64)], t: f64) -> f64 {
        let h0: f64 = piece_overlaps(&self.knots, t)
            .map(|(k, e)| if log_rates[k].is_finite() { log_rates[k].exp() * e } else { 0.0 })
            .sum();
        let (mut total, mut n) = (0.0, 0.0);
        for (x, w) in xs {
            let lp: f64 = self.factors.iter().zip(betas).map(|(f, b)| if x[f.0] { *b } else { 0.0 }).sum();
            total += w * (1.0 - (-h0 * lp.exp()).exp());
            n += w;
        }
        total / n.max(1.0)
    }

    /// The model's mean share back in care by each of `at` (years) over `xs`, at the estimates.
    pub fn point(&self, xs: &[[bool; 5]], at: &[f64]) -> Vec<f64> {
        let xs = patterns(xs);
        let log_rates: Vec<f64> = self.rates.iter().map(|r| r.ln()).collect();
        let betas: Vec<f64> = self.factors.iter().map(|f| f.1).collect();
        at.iter().map(|&t| self.share(&log_rates, &betas, &xs, t)).collect()
    }

    /// The model's mean share back in care by each of `at` (years) over `xs`, with 95%
    /// intervals from the parameters' uncertainty.
    pub fn predict(&self, xs: &[[bool; 5]], at: &[f64]) -> Vec<(f64, f64, f64)> {
        let xs = &patterns(xs);
        let point_rates: Vec<f64> = self.rates.iter().map(|r| r.ln()).collect();
        let point_betas: Vec<f64> = self.factors.iter().map(|f| f.1).collect();
        let p = self.cov.nrows();
        let chol = self.cov.clone().cholesky();
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(0x903);
        let draws: Vec<(Vec<f64>, Vec<f64>)> = (0..2000)
            .filter_map(|_| {
                let l = chol.as_ref()?.l();
                let z = DVector::from_fn(p, |_, _| StandardNormal.sample(&mut rng));
                let d = l * z;
                let mut lr = point_rates.clone();
                for (i, k) in self.free.iter().enumerate() {
                    lr[*k] += d[i];
                }
                let b = point_betas.iter().enumerate().map(|(i, b)| b + d[self.free.len() + i]).collect();
                Some((lr, b))
            })
            .collect();
        at.iter()
            .map(|&t| {
                let mut v: Vec<f64> = draws.iter().map(|(lr, b)| self.share(lr, b, xs, t)).collect();
                v.sort_by(f64::total_cmp);
                let q = |p: f64| v.get(((v.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(f64::NAN);
                (self.share(&point_rates, &point_betas, xs, t), q(0.025), q(0.975))
            })
            .collect()
    }
}

/// The distinct covariate patterns among `xs`, with how many have each, in pattern order.
fn patterns(xs: &[[bool; 5]]) -> Vec<([bool; 5], f64)> {
    let mut counts = [0.0; 32];
    for x in xs {
        counts[x.iter().enumerate().fold(0usize, |acc, (j, b)| acc | ((*b as usize) << j))] += 1.0;
    }
    (0..32).filter(|p| counts[*p] > 0.0).map(|p| (std::array::from_fn(|j| (p >> j) & 1 == 1), counts[p])).collect()
}

/// A log-normal duration fitted with censoring.
#[derive(Clone, Debug, PartialEq)]
pub struct LogNormalFit {
    pub median_years: f64,
    pub sigma: f64,
    /// The standard error of the log median.
    pub log_median_se: f64,
    pub ended: u64,
    pub censored: u64,
}

/// Fits `(years, ended)` durations by EM for a censored normal on log years; `None` with
/// fewer than [`MIN_EVENTS`] ended.
pub fn fit_lognormal(spells: &[(f64, bool)]) -> Option<LogNormalFit> {
    let ended = spells.iter().filter(|s| s.1).count() as u64;
    if ended < MIN_EVENTS {
        return None;
    }
    let y: Vec<(f64, bool)> = spells.iter().map(|(t, d)| (t.max(1.0 / 365.25).ln(), *d)).collect();
    let obs: Vec<f64> = y.iter().filter(|s| s.1).map(|s| s.0).collect();
    let mut mu = obs.iter().sum::<f64>() / obs.len() as f64;
    let mut sigma = (obs.iter().map(|v| (v - mu).powi(2)).sum::<f64>() / obs.len() as f64).sqrt().max(0.05);
    let normal = statrs::distribution::Normal::standard();
    use statrs::distribution::{Continuous, ContinuousCDF};
    for _ in 0..1000 {
        let (mut s1, mut s2) = (0.0, 0.0);
        for (v, d) in &y {
            if *d {
                s1 += v;
                s2 += v * v;
            } else {
                let z = (v - mu) / sigma;
                let tail = normal.sf(z).max(1e-300);
                let lambda = normal.pdf(z) / tail;
                s1 += mu + sigma * lambda;
                s2 += mu * mu + sigma * sigma + sigma * (v + mu) * lambda;
            }
        }
        let n = y.len() as f64;
        let (m2, v2) = (s1 / n, (s2 / n - (s1 / n).powi(2)).max(1e-6));
        let done = (m2 - mu).abs() < 1e-10 && (v2.sqrt() - sigma).abs() < 1e-10;
        (mu, sigma) = (m2, v2.sqrt());
        if done {
            break;
        }
    }
    Some(LogNormalFit {
        median_years: mu.exp(),
        sigma,
        log_median_se: sigma / (ended as f64).sqrt(),
        ended,
        censored: spells.len() as u64 - ended,
    })
}

/// Care spells after re-entry as `(years, ended)`, followed to `censor`.
pub fn care_spells(spells: &[CareSpell], censor: chrono::NaiveDate) -> Vec<(f64, bool)> {
    spells
        .iter()
        .filter(|s| s.start < censor)
        .map(|s| match s.end {
            Some(e) if e <= censor => ((e - s.start).num_days() as f64 / 365.25, true),
            _ => ((censor - s.start).num_days() as f64 / 365.25, false),
        })
        .collect()
}

/// Spells with covariates of the returns at risk before `censor`, in the returns' order.
pub fn spells_of(returns: &[&Return], censor: chrono::NaiveDate) -> Vec<(f64, bool, [bool; 5])> {
    returns.iter().filter_map(|r| r.spell(censor).map(|(t, d)| (t, d, r.x))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-worked example: times 1, 2+, 3, 3, 4+, 5 (+ censored), six at risk.
    /// S(1) = 5/6; at 3 four are at risk and two re-enter: S(3) = 5/6 · 2/4 = 5/12; at 5 one
    /// at risk re-enters: S(5) = 0. Greenwood at 3: S² (1/(6·5) + 2/(4·2)) = (25/144)(1/30 + 1/4).
    #[test]
    fn kaplan_meier_and_greenwood_by_hand() {
        let km = kaplan_meier(&[(1.0, true), (2.0, false), (3.0, true), (3.0, true), (4.0, false), (5.0, true)]);
        let at = |t: f64| km.iter().find(|s| s.years == t).unwrap();
        assert!((at(1.0).share_back - 1.0 / 6.0).abs() < 1e-12);
        assert_eq!((at(3.0).at_risk, at(3.0).events), (4, 2));
        assert!((at(3.0).share_back - 7.0 / 12.0).abs() < 1e-12);
        assert!((at(3.0).variance - 25.0 / 144.0 * (1.0 / 30.0 + 0.25)).abs() < 1e-12);
        assert_eq!((at(2.0).censored, at(2.0).events), (1, 0));
        assert!((at(5.0).share_back - 1.0).abs() < 1e-12);
        let (f, lo, hi) = km_at(&km, 3.5).unwrap();
        let half = Z975 * (25.0f64 / 144.0 * (1.0 / 30.0 + 0.25)).sqrt();
        assert!(
            (f - 7.0 / 12.0).abs() < 1e-12
                && (lo - (f - half)).abs() < 1e-12
                && (hi - (f + half).min(1.0)).abs() < 1e-12
        );
        assert!(km_at(&km, 5.5).is_none());
    }

    /// With no factors, each piece's rate is its events over its exposure, and its log's
    /// standard error is 1/√events.
    #[test]
    fn the_baseline_rate_is_events_over_exposure() {
        let spells =
            [(0.5, true, [false; 5]), (1.5, false, [false; 5]), (2.0, true, [false; 5]), (0.2, true, [false; 5])];
        let f = fit_hazard(&spells, &[0.0, 1.0]);
        assert!((f.rates[0] - 2.0 / (0.5 + 1.0 + 1.0 + 0.2)).abs() < 1e-9, "{:?}", f.rates);
        assert!((f.rates[1] - 1.0 / 1.5).abs() < 1e-9);
        assert!((f.log_rate_se[0] - 0.5f64.sqrt()).abs() < 1e-6);
        assert_eq!(f.left_out.len(), 5);
    }
}
