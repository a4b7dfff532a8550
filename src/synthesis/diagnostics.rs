//! Convergence diagnostics of several chains (Vehtari, Gelman, Simpson, Carpenter and
//! Bürkner 2021, "Rank-normalization, folding, and localization: an improved R̂"):
//!
//! - **split R̂**: each chain cut in halves; the draws rank-normalised
//!   (`z = Φ⁻¹((r − 3/8)/(S + 1/4))`, ties given their mean rank); R̂ on them and on the folded
//!   draws `|x − median|`, the larger of the two;
//! - **bulk ESS**: the effective sample size of the rank-normalised split chains, from their
//!   autocorrelations summed in pairs while the pairs are positive and decreasing (Geyer's
//!   initial monotone sequence), as Stan computes it;
//! - **tail ESS**: the smaller of the ESS of the indicators `x ≤ q5%` and `x ≤ q95%`.
//!
//! A posterior is shipped only with R̂ ≤ [`MAX_RHAT`] and both ESS ≥ [`MIN_ESS`] for every
//! parameter.

use statrs::distribution::{ContinuousCDF, Normal};

/// The largest split R̂ a shipped posterior may have.
pub const MAX_RHAT: f64 = 1.01;
/// The smallest bulk and tail ESS a shipped posterior may have.
pub const MIN_ESS: f64 = 400.0;

/// One parameter's diagnostics.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Diagnostic {
    pub rhat: f64,
    pub ess_bulk: f64,
    pub ess_tail: f64,
}

impl Diagnostic {
    pub fn ok(&self) -> bool {
        self.rhat <= MAX_RHAT && self.ess_bulk >= MIN_ESS && self.ess_tail >= MIN_ESS
    }
}

fn split(chains: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let mut out = Vec::new();
    for c in chains {
        let h = c.len() / 2;
        out.push(c[..h].to_vec());
        out.push(c[c.len() - h..].to_vec());
    }
    out
}

/// Ranks normalised to normal scores, over all chains together.
fn rank_normal(chains: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let mut all: Vec<(f64, usize, usize)> =
        chains.iter().enumerate().flat_map(|(c, v)| v.iter().enumerate().map(move |(i, x)| (*x, c, i))).collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let s = all.len() as f64;
    let normal = Normal::new(0.0, 1.0).expect("standard normal");
    let mut out: Vec<Vec<f64>> = chains.iter().map(|c| vec![0.0; c.len()]).collect();
    let mut i = 0;
    while i < all.len() {
        let mut j = i;
        while j + 1 < all.len() && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        // Ranks from 1; ties share their mean rank.
        let r = (i + j) as f64 / 2.0 + 1.0;
        let z = normal.inverse_cdf((r - 0.375) / (s + 0.25));
        for k in i..=j {
            out[all[k].1][all[k].2] = z;
        }
        i = j + 1;
    }
    out
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn var(v: &[f64]) -> f64 {
    let m = mean(v);
    v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() as f64 - 1.0)
}

/// Classic R̂ of chains of equal length.
fn rhat_of(chains: &[Vec<f64>]) -> f64 {
    let n = chains[0].len() as f64;
    let means: Vec<f64> = chains.iter().map(|c| mean(c)).collect();
    let w = mean(&chains.iter().map(|c| var(c)).collect::<Vec<_>>());
    let b = n * var(&means);
    if w == 0.0 {
        return if b == 0.0 { 1.0 } else { f64::INFINITY };
    }
    (((n - 1.0) / n * w + b / n) / w).sqrt()
}

/// Effective sample size of chains of equal length (Stan's estimator).
fn ess_of(chains: &[Vec<f64>]) -> f64 {
    let m = chains.len();
    let n = chains[0].len();
    let total = (m * n) as f64;
    let vars: Vec<f64> = chains.iter().map(|c| var(c)).collect();
    let w = mean(&vars);
    let means: Vec<f64> = chains.iter().map(|c| mean(c)).collect();
    let b_over_n = if m > 1 { var(&means) } else { 0.0 };
    let var_plus = (n as f64 - 1.0) / n as f64 * w + b_over_n;
    if var_plus.is_nan() || var_plus <= 0.0 {
        return total;
    }
    // Autocovariance at lag t of each chain, averaged over chains.
    let acov = |t: usize| -> f64 {
        chains
            .iter()
            .zip(&means)
            .map(|(c, mu)| (0..n - t).map(|i| (c[i] - mu) * (c[i + t] - mu)).sum::<f64>() / n as f64)
            .sum::<f64>()
            / m as f64
    };
    let w_biased = mean(
        &chains
            .iter()
            .zip(&means)
            .map(|(c, mu)| c.iter().map(|x| (x - mu) * (x - mu)).sum::<f64>() / n as f64)
            .collect::<Vec<_>>(),
    );
    let rho = |t: usize| 1.0 - (w_biased - acov(t)) / var_plus;
    // Geyer's initial positive and monotone sequence over pairs of lags.
    let mut sum = 0.0;
    let mut prev_pair = f64::INFINITY;
    let mut t = 0;
    while t + 1 < n {
        let pair = if t == 0 { 1.0 + rho(1) } else { rho(t) + rho(t + 1) };
        if pair <= 0.0 {
            break;
        }
        let pair = pair.min(prev_pair);
        sum += pair;
        prev_pair = pair;
        t += 2;
    }
    // τ = −1 + 2 Σ pairs.
    let tau = (2.0 * sum - 1.0).max(1.0 / total.log10().max(1.0));
    total / tau
}

/// The diagnostics of one parameter's draws, by chain.
pub fn diagnose(chains: &[Vec<f64>]) -> Diagnostic {
    let s = split(chains);
    let z = rank_normal(&s);
    let all: Vec<f64> = s.iter().flatten().copied().collect();
    let median = quantile(&all, 0.5);
    let folded: Vec<Vec<f64>> = s.iter().map(|c| c.iter().map(|x| (x - median).abs()).collect()).collect();
    let rhat = rhat_of(&z).max(rhat_of(&rank_normal(&folded)));
    let indicator =
        |q: f64| -> Vec<Vec<f64>> { s.iter().map(|c| c.iter().map(|x| f64::from(*x <= q)).collect()).collect() };
    let (q05, q95) = (quantile(&all, 0.05), quantile(&all, 0.95));
    let ess_tail = ess_of(&indicator(q05)).min(ess_of(&indicator(q95)));
    Diagnostic { rhat, ess_bulk: ess_of(&z), ess_tail }
}

/// The `p` quantile of `v` (linear between order statistics, as R's type 7).
pub fn quantile(v: &[f64], p: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let h = (s.len() - 1) as f64 * p;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    s[lo] + (h - lo as f64) * (s[hi] - s[lo])
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};

    fn ar1(phi: f64, n: usize, seed: u64) -> Vec<f64> {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
        let mut x = 0.0;
        (0..n)
            .map(|_| {
                let e: f64 = StandardNormal.sample(&mut rng);
                x = phi * x + e;
                x
            })
            .collect()
    }

    /// Independent draws have ESS near their number and R̂ near 1; an AR(1) chain with
    /// φ = 0.9 has ESS near n(1 − φ)/(1 + φ); chains at different places have R̂ far above 1.
    #[test]
    fn diagnostics_match_known_cases() {
        let iid: Vec<Vec<f64>> = (0..4).map(|c| ar1(0.0, 1000, c)).collect();
        let d = diagnose(&iid);
        assert!((d.rhat - 1.0).abs() < 0.01 && d.ess_bulk > 3000.0 && d.ess_tail > 2500.0, "{d:?}");
        let slow: Vec<Vec<f64>> = (0..4).map(|c| ar1(0.9, 5000, c + 10)).collect();
        let d = diagnose(&slow);
        let expect = 20000.0 * 0.1 / 1.9;
        assert!((d.ess_bulk / expect - 1.0).abs() < 0.25, "{d:?} against {expect}");
        let apart: Vec<Vec<f64>> = (0..4).map(|c| ar1(0.0, 1000, c).iter().map(|x| x + c as f64).collect()).collect();
        assert!(diagnose(&apart).rhat > 1.5);
    }
}
