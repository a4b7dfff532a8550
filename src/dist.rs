//! Parameter distributions for probabilistic sensitivity analysis (PSA).
//!
//! Every numeric scenario input is a [`Param`]: a point value used by the base case and a
//! distribution drawn once per PSA iteration (MODEL.md, "Uncertainty: two loops"). The
//! parameterisations are the usual health-economic ones: beta from a mean and standard
//! deviation by the method of moments (`α = m·k`, `β = (1−m)·k`, `k = m(1−m)/s² − 1`) or from
//! counts (`α = events`, `β = n − events`); gamma from a mean and sd (`shape = m²/s²`,
//! `scale = s²/m`); log-normal from a median and 95% interval (`μ = ln median`,
//! `σ = (ln hi − ln lo) / (2 · 1.959964)`) or from a mean and sd
//! (`σ² = ln(1 + s²/m²)`, `μ = ln m − σ²/2`). Sampling uses `rand_distr`; quantiles (for the
//! tornado) use `statrs`.

use rand::Rng;
use rand_distr::Distribution;
use statrs::distribution::ContinuousCDF;

/// The 97.5% quantile of the standard normal distribution.
pub const Z975: f64 = 1.959_963_984_540_054;

/// A validated distribution. Constructors in `scenario` guarantee every field is finite
/// and every shape parameter is positive, so sampling cannot fail.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    Fixed(f64),
    Beta { alpha: f64, beta: f64 },
    Gamma { shape: f64, scale: f64 },
    LogNormal { mu: f64, sigma: f64 },
    Normal { mean: f64, sd: f64 },
    Uniform { min: f64, max: f64 },
    Triangular { min: f64, mode: f64, max: f64 },
}

impl Dist {
    /// Smallest and largest values the distribution can produce.
    pub fn support(&self) -> (f64, f64) {
        match *self {
            Dist::Fixed(v) => (v, v),
            Dist::Beta { .. } => (0.0, 1.0),
            Dist::Gamma { .. } | Dist::LogNormal { .. } => (0.0, f64::INFINITY),
            Dist::Normal { .. } => (f64::NEG_INFINITY, f64::INFINITY),
            Dist::Uniform { min, max } | Dist::Triangular { min, max, .. } => (min, max),
        }
    }

    /// The distribution's mean.
    pub fn mean(&self) -> f64 {
        match *self {
            Dist::Fixed(v) => v,
            Dist::Beta { alpha, beta } => alpha / (alpha + beta),
            Dist::Gamma { shape, scale } => shape * scale,
            Dist::LogNormal { mu, sigma } => (mu + 0.5 * sigma * sigma).exp(),
            Dist::Normal { mean, .. } => mean,
            Dist::Uniform { min, max } => 0.5 * (min + max),
            Dist::Triangular { min, mode, max } => (min + mode + max) / 3.0,
        }
    }

    /// True when the distribution has no spread, so PSA need not draw it.
    pub fn is_fixed(&self) -> bool {
        matches!(self, Dist::Fixed(_))
    }

    /// Draws one value.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        // The unwraps cannot fire: validation has already checked every shape parameter.
        match *self {
            Dist::Fixed(v) => v,
            Dist::Beta { alpha, beta } => rand_distr::Beta::new(alpha, beta).unwrap().sample(rng),
            Dist::Gamma { shape, scale } => rand_distr::Gamma::new(shape, scale).unwrap().sample(rng),
            Dist::LogNormal { mu, sigma } => rand_distr::LogNormal::new(mu, sigma).unwrap().sample(rng),
            Dist::Normal { mean, sd } => rand_distr::Normal::new(mean, sd).unwrap().sample(rng),
            Dist::Uniform { min, max } => {
                if min == max {
                    min
                } else {
                    rand_distr::Uniform::new(min, max).unwrap().sample(rng)
                }
            }
            Dist::Triangular { min, mode, max } => {
                if min == max {
                    min
                } else {
                    rand_distr::Triangular::new(min, max, mode).unwrap().sample(rng)
                }
            }
        }
    }

    /// The `p`-quantile (inverse CDF), for one-way sensitivity analysis.
    pub fn quantile(&self, p: f64) -> f64 {
        use statrs::distribution as sd;
        match *self {
            Dist::Fixed(v) => v,
            Dist::Beta { alpha, beta } => sd::Beta::new(alpha, beta).unwrap().inverse_cdf(p),
            Dist::Gamma { shape, scale } => sd::Gamma::new(shape, 1.0 / scale).unwrap().inverse_cdf(p),
            Dist::LogNormal { mu, sigma } => sd::LogNormal::new(mu, sigma).unwrap().inverse_cdf(p),
            Dist::Normal { mean, sd: s } => sd::Normal::new(mean, s).unwrap().inverse_cdf(p),
            Dist::Uniform { min, max } => min + p * (max - min),
            Dist::Triangular { min, mode, max } => {
                if min == max {
                    min
                } else {
                    sd::Triangular::new(min, max, mode).unwrap().inverse_cdf(p)
                }
            }
        }
    }

    /// A short human description, for the report's inputs table.
    pub fn describe(&self) -> String {
        match *self {
            Dist::Fixed(v) => format!("fixed {}", fmt_num(v)),
            Dist::Beta { alpha, beta } => format!("beta(α={}, β={})", fmt_num(alpha), fmt_num(beta)),
            Dist::Gamma { shape, scale } => format!("gamma(shape={}, scale={})", fmt_num(shape), fmt_num(scale)),
            Dist::LogNormal { mu, sigma } => format!(
                "log-normal(median={}, 95% {}–{})",
                fmt_num(mu.exp()),
                fmt_num((mu - Z975 * sigma).exp()),
                fmt_num((mu + Z975 * sigma).exp())
            ),
            Dist::Normal { mean, sd } => format!("normal(mean={}, sd={})", fmt_num(mean), fmt_num(sd)),
            Dist::Uniform { min, max } => format!("uniform({}, {})", fmt_num(min), fmt_num(max)),
            Dist::Triangular { min, mode, max } => {
                format!("triangular({}, {}, {})", fmt_num(min), fmt_num(mode), fmt_num(max))
            }
        }
    }
}

/// Formats a number with up to four significant decimals, without trailing zeros.
pub fn fmt_num(v: f64) -> String {
    let s = if v.abs() >= 1000.0 { format!("{v:.0}") } else { format!("{v:.4}") };
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

/// A scenario input: the value the base case uses and the distribution PSA draws from.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub point: f64,
    pub dist: Dist,
}

impl Param {
    /// A parameter with no uncertainty.
    pub fn fixed(v: f64) -> Self {
        Param { point: v, dist: Dist::Fixed(v) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, stream};

    fn sample_mean(d: &Dist, n: usize) -> (f64, f64) {
        let mut rng = stream(7, 0, 0, 0, Purpose::Parameter);
        let xs: Vec<f64> = (0..n).map(|_| d.sample(&mut rng)).collect();
        let m = xs.iter().sum::<f64>() / n as f64;
        let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n as f64 - 1.0);
        (m, (v / n as f64).sqrt())
    }

    #[test]
    fn sample_means_match_analytic_means_within_4_standard_errors() {
        let dists = [
            Dist::Beta { alpha: 3.0, beta: 7.0 },
            Dist::Gamma { shape: 4.0, scale: 2.5 },
            Dist::LogNormal { mu: -0.3, sigma: 0.2 },
            Dist::Normal { mean: 3.0, sd: 2.0 },
            Dist::Uniform { min: 1.0, max: 5.0 },
            Dist::Triangular { min: 0.0, mode: 1.0, max: 5.0 },
        ];
        for d in dists {
            let (m, se) = sample_mean(&d, 20_000);
            assert!((m - d.mean()).abs() < 4.0 * se, "{d:?}: {m} vs {}", d.mean());
        }
    }

    #[test]
    fn quantiles_bracket_the_median_and_match_lognormal_ci() {
        let d = Dist::LogNormal { mu: 0.75f64.ln(), sigma: (1.1f64.ln() - 0.5f64.ln()) / (2.0 * Z975) };
        let lo = d.quantile(0.025);
        let hi = d.quantile(0.975);
        // The interval is symmetric on the log scale around the median.
        assert!(((lo * hi).sqrt() - 0.75).abs() < 1e-9);
        assert!(((hi / lo).ln() - (1.1f64 / 0.5).ln()).abs() < 1e-9);
    }
}
