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

/// The shape of a distribution, readable by anyone; a [`Dist`] holding it can only be made by
/// the validated constructors, so every `Shape` inside a `Dist` can be sampled and inverted.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    Fixed(f64),
    Beta { alpha: f64, beta: f64 },
    Gamma { shape: f64, scale: f64 },
    LogNormal { mu: f64, sigma: f64 },
    Normal { mean: f64, sd: f64 },
    Uniform { min: f64, max: f64 },
    Triangular { min: f64, mode: f64, max: f64 },
}

/// Relative spreads (coefficient of variation) below this are a point mass: the PSA could not
/// tell such a draw from the point value, and the quantile searches of very peaked beta and
/// gamma distributions (shape parameters beyond about 10¹²) do not converge.
pub const MIN_RELATIVE_SPREAD: f64 = 1e-6;

/// Why a distribution cannot be built.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum DistError {
    #[error("{0}")]
    Invalid(String),
    /// The spread is too small to sample: the caller may use a point mass at `point`.
    #[error(
        "the spread is so small (relative {relative:.1e}, below {MIN_RELATIVE_SPREAD:e}) that it is a single value, {point}"
    )]
    Degenerate { point: f64, relative: f64 },
}

/// A validated distribution: every shape value is finite and in range, so sampling and
/// quantiles cannot fail (as statrs' `Gamma::new(shape, rate) -> Result`).
#[derive(Clone, Debug, PartialEq)]
pub struct Dist(Shape);

fn finite(name: &str, x: f64) -> Result<f64, DistError> {
    if x.is_finite() { Ok(x) } else { Err(DistError::Invalid(format!("`{name}` must be a finite number, not {x}"))) }
}

fn positive(name: &str, x: f64) -> Result<f64, DistError> {
    if finite(name, x)? > 0.0 { Ok(x) } else { Err(DistError::Invalid(format!("`{name}` must be positive, not {x}"))) }
}

fn spread(point: f64, relative: f64) -> Result<(), DistError> {
    if relative.is_finite() && relative >= MIN_RELATIVE_SPREAD {
        Ok(())
    } else {
        Err(DistError::Degenerate { point, relative })
    }
}

impl Dist {
    pub fn fixed(v: f64) -> Result<Dist, DistError> {
        Ok(Dist(Shape::Fixed(finite("value", v)?)))
    }

    /// Beta(α, β) on (0, 1).
    pub fn beta(alpha: f64, beta: f64) -> Result<Dist, DistError> {
        let (a, b) = (positive("alpha", alpha)?, positive("beta", beta)?);
        let mean = a / (a + b);
        // cv² = (1 − m) / (m (α + β + 1)).
        spread(mean, ((1.0 - mean) / (mean * (a + b + 1.0))).sqrt())?;
        Ok(Dist(Shape::Beta { alpha: a, beta: b }))
    }

    /// Gamma with the given shape and scale (mean = shape · scale).
    pub fn gamma(shape: f64, scale: f64) -> Result<Dist, DistError> {
        let (k, th) = (positive("shape", shape)?, positive("scale", scale)?);
        let mean = finite("mean", k * th)?;
        // statrs takes the rate, 1/scale, which must be finite too.
        positive("1/scale", 1.0 / th)?;
        spread(mean, 1.0 / k.sqrt())?;
        Ok(Dist(Shape::Gamma { shape: k, scale: th }))
    }

    /// Log-normal: ln X ~ Normal(μ, σ).
    pub fn lognormal(mu: f64, sigma: f64) -> Result<Dist, DistError> {
        let (m, s) = (finite("mu", mu)?, finite("sigma", sigma)?);
        if s < 0.0 {
            return Err(DistError::Invalid(format!("`sigma` must not be negative, not {s}")));
        }
        if !(m + 0.5 * s * s).exp().is_finite() || m.exp() == 0.0 {
            return Err(DistError::Invalid(format!(
                "a log-normal with μ = {m}, σ = {s} has a mean or median beyond the range of numbers"
            )));
        }
        // cv = √(e^{σ²} − 1) ≈ σ for small σ.
        spread(m.exp(), s.exp_m1().max(0.0).sqrt().max(s))?;
        Ok(Dist(Shape::LogNormal { mu: m, sigma: s }))
    }

    pub fn normal(mean: f64, sd: f64) -> Result<Dist, DistError> {
        Ok(Dist(Shape::Normal { mean: finite("mean", mean)?, sd: positive("sd", sd)? }))
    }

    pub fn uniform(min: f64, max: f64) -> Result<Dist, DistError> {
        let (a, b) = (finite("min", min)?, finite("max", max)?);
        if a > b {
            return Err(DistError::Invalid(format!("uniform min {a} is above max {b}")));
        }
        finite("max − min", b - a)?;
        Ok(Dist(Shape::Uniform { min: a, max: b }))
    }

    pub fn triangular(min: f64, mode: f64, max: f64) -> Result<Dist, DistError> {
        let (a, c, b) = (finite("min", min)?, finite("mode", mode)?, finite("max", max)?);
        if !(a <= c && c <= b) {
            return Err(DistError::Invalid(format!("triangular needs min ≤ mode ≤ max, not {a}, {c}, {b}")));
        }
        finite("max − min", b - a)?;
        Ok(Dist(Shape::Triangular { min: a, mode: c, max: b }))
    }

    /// The distribution's shape and values.
    pub fn shape(&self) -> &Shape {
        &self.0
    }

    /// Smallest and largest values the distribution can produce.
    pub fn support(&self) -> (f64, f64) {
        match self.0 {
            Shape::Fixed(v) => (v, v),
            Shape::Beta { .. } => (0.0, 1.0),
            Shape::Gamma { .. } | Shape::LogNormal { .. } => (0.0, f64::INFINITY),
            Shape::Normal { .. } => (f64::NEG_INFINITY, f64::INFINITY),
            Shape::Uniform { min, max } | Shape::Triangular { min, max, .. } => (min, max),
        }
    }

    /// The distribution's mean.
    pub fn mean(&self) -> f64 {
        match self.0 {
            Shape::Fixed(v) => v,
            Shape::Beta { alpha, beta } => alpha / (alpha + beta),
            Shape::Gamma { shape, scale } => shape * scale,
            Shape::LogNormal { mu, sigma } => (mu + 0.5 * sigma * sigma).exp(),
            Shape::Normal { mean, .. } => mean,
            Shape::Uniform { min, max } => 0.5 * (min + max),
            Shape::Triangular { min, mode, max } => (min + mode + max) / 3.0,
        }
    }

    /// True when the distribution has no spread, so PSA need not draw it.
    pub fn is_fixed(&self) -> bool {
        matches!(self.0, Shape::Fixed(_))
    }

    /// Draws one value.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        // The constructors check what rand_distr requires, so the fallbacks are never taken;
        // they are there so that no input can make sampling panic.
        let point = || self.mean();
        match self.0 {
            Shape::Fixed(v) => v,
            Shape::Beta { alpha, beta } => {
                rand_distr::Beta::new(alpha, beta).map_or_else(|_| point(), |d| d.sample(rng))
            }
            Shape::Gamma { shape, scale } => {
                rand_distr::Gamma::new(shape, scale).map_or_else(|_| point(), |d| d.sample(rng))
            }
            Shape::LogNormal { mu, sigma } => {
                rand_distr::LogNormal::new(mu, sigma).map_or_else(|_| point(), |d| d.sample(rng))
            }
            Shape::Normal { mean, sd } => rand_distr::Normal::new(mean, sd).map_or_else(|_| point(), |d| d.sample(rng)),
            Shape::Uniform { min, max } => {
                if min == max {
                    min
                } else {
                    rand_distr::Uniform::new(min, max).map_or_else(|_| point(), |d| d.sample(rng))
                }
            }
            Shape::Triangular { min, mode, max } => {
                if min == max {
                    min
                } else {
                    rand_distr::Triangular::new(min, max, mode).map_or_else(|_| point(), |d| d.sample(rng))
                }
            }
        }
    }

    /// The `p`-quantile (inverse CDF), for one-way sensitivity analysis.
    ///
    /// Beta and gamma quantiles bisect the CDF themselves: statrs' `inverse_cdf` for them
    /// loops without end when the quantile lies within about 10⁻⁷ of 1 (Beta(10⁷, 1)) or the
    /// shape is very large, and a bisection of at most [`BISECTIONS`] steps always ends.
    pub fn quantile(&self, p: f64) -> f64 {
        use statrs::distribution as sd;
        // As in `sample`: the constructors check what statrs requires.
        let point = || self.mean();
        match self.0 {
            Shape::Fixed(v) => v,
            Shape::Beta { alpha, beta } => {
                sd::Beta::new(alpha, beta).map_or_else(|_| point(), |d| bisect_cdf(|x| d.cdf(x), p, 0.0, 1.0))
            }
            Shape::Gamma { shape, scale } => sd::Gamma::new(shape, 1.0 / scale).map_or_else(
                |_| point(),
                |d| {
                    // Bracket the quantile: double the upper end from the mean until it is passed.
                    let mut hi = (shape * scale).max(f64::MIN_POSITIVE);
                    while d.cdf(hi) < p && hi < f64::MAX / 2.0 {
                        hi *= 2.0;
                    }
                    bisect_cdf(|x| d.cdf(x), p, 0.0, hi)
                },
            ),
            Shape::LogNormal { mu, sigma } => {
                sd::LogNormal::new(mu, sigma).map_or_else(|_| point(), |d| d.inverse_cdf(p))
            }
            Shape::Normal { mean, sd: s } => sd::Normal::new(mean, s).map_or_else(|_| point(), |d| d.inverse_cdf(p)),
            Shape::Uniform { min, max } => min + p * (max - min),
            Shape::Triangular { min, mode, max } => {
                if min == max {
                    min
                } else {
                    sd::Triangular::new(min, max, mode).map_or_else(|_| point(), |d| d.inverse_cdf(p))
                }
            }
        }
    }

    /// A short human description, for the report's inputs table.
    pub fn describe(&self) -> String {
        match self.0 {
            Shape::Fixed(v) => format!("fixed {}", fmt_num(v)),
            Shape::Beta { alpha, beta } => format!("beta(α={}, β={})", fmt_num(alpha), fmt_num(beta)),
            Shape::Gamma { shape, scale } => format!("gamma(shape={}, scale={})", fmt_num(shape), fmt_num(scale)),
            Shape::LogNormal { mu, sigma } => format!(
                "log-normal(median={}, 95% {}–{})",
                fmt_num(mu.exp()),
                fmt_num((mu - Z975 * sigma).exp()),
                fmt_num((mu + Z975 * sigma).exp())
            ),
            Shape::Normal { mean, sd } => format!("normal(mean={}, sd={})", fmt_num(mean), fmt_num(sd)),
            Shape::Uniform { min, max } => format!("uniform({}, {})", fmt_num(min), fmt_num(max)),
            Shape::Triangular { min, mode, max } => {
                format!("triangular({}, {}, {})", fmt_num(min), fmt_num(mode), fmt_num(max))
            }
        }
    }
}

/// Most steps a quantile's bisection takes: enough to pin an `f64` down to adjacent values
/// from any bracket (1,100 halvings cover the whole exponent range).
pub const BISECTIONS: usize = 1100;

/// The `x` in `[lo, hi]` with `cdf(x) = p`, by bisection until the bracket cannot shrink.
fn bisect_cdf(cdf: impl Fn(f64) -> f64, p: f64, mut lo: f64, mut hi: f64) -> f64 {
    for _ in 0..BISECTIONS {
        let mid = 0.5 * lo + 0.5 * hi;
        if mid <= lo || mid >= hi {
            break;
        }
        if cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * lo + 0.5 * hi
}

/// Formats a number with up to four significant decimals, without trailing zeros.
pub fn fmt_num(v: f64) -> String {
    if v.abs() >= 1e15 {
        // 1e308, not 309 digits.
        return format!("{v:e}");
    }
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
        Param { point: v, dist: Dist(Shape::Fixed(v)) }
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
            Dist::beta(3.0, 7.0),
            Dist::gamma(4.0, 2.5),
            Dist::lognormal(-0.3, 0.2),
            Dist::normal(3.0, 2.0),
            Dist::uniform(1.0, 5.0),
            Dist::triangular(0.0, 1.0, 5.0),
        ];
        for d in dists.map(Result::unwrap) {
            let (m, se) = sample_mean(&d, 20_000);
            assert!((m - d.mean()).abs() < 4.0 * se, "{d:?}: {m} vs {}", d.mean());
        }
    }

    #[test]
    fn quantiles_bracket_the_median_and_match_lognormal_ci() {
        let d = Dist::lognormal(0.75f64.ln(), (1.1f64.ln() - 0.5f64.ln()) / (2.0 * Z975)).unwrap();
        let lo = d.quantile(0.025);
        let hi = d.quantile(0.975);
        // The interval is symmetric on the log scale around the median.
        assert!(((lo * hi).sqrt() - 0.75).abs() < 1e-9);
        assert!(((hi / lo).ln() - (1.1f64 / 0.5).ln()).abs() < 1e-9);
    }

    #[test]
    fn constructors_refuse_what_sampling_or_quantiles_cannot_take() {
        assert!(matches!(Dist::lognormal(5627f64.ln(), 0.0), Err(DistError::Degenerate { .. })));
        assert!(matches!(Dist::gamma(1e15, 1e-11), Err(DistError::Degenerate { .. })));
        assert!(matches!(Dist::beta(1e15, 1e15), Err(DistError::Degenerate { .. })));
        assert!(matches!(Dist::gamma(2.0, 1e-320), Err(DistError::Invalid(_))));
        assert!(matches!(Dist::uniform(-1e308, 1e308), Err(DistError::Invalid(_))));
        assert!(matches!(Dist::triangular(-1e308, 0.0, 1e308), Err(DistError::Invalid(_))));
        assert!(matches!(Dist::normal(0.0, 0.0), Err(DistError::Invalid(_))));
        assert!(matches!(Dist::lognormal(0.0, 40.0), Err(DistError::Invalid(_))));
        assert!(matches!(Dist::beta(f64::NAN, 1.0), Err(DistError::Invalid(_))));
        // Quantiles within 10⁻⁸ of 1, where statrs' inverse_cdf never returns.
        let d = Dist::beta(1e3, 1e-5).unwrap();
        let (lo, hi) = (d.quantile(0.025), d.quantile(0.975));
        assert!(0.0 <= lo && lo <= hi && hi <= 1.0, "{lo} {hi}");
    }

    proptest::proptest! {
        /// Any distribution a constructor accepts samples and inverts to finite values inside
        /// its support, without panicking or hanging (issue #15, item 4 and item 10's beta).
        #[test]
        fn every_constructed_distribution_samples_and_inverts(
            kind in 0usize..6,
            a in -30.0f64..30.0,
            b in -30.0f64..30.0,
            c in -30.0f64..30.0,
        ) {
            let (ea, eb) = (a.exp(), b.exp());
            let d = match kind {
                0 => Dist::beta(ea, eb),
                1 => Dist::gamma(ea, eb),
                2 => Dist::lognormal(a, eb),
                3 => Dist::normal(a, eb),
                4 => Dist::uniform(a.min(b), a.max(b)),
                _ => { let mut v = [a, b, c]; v.sort_by(f64::total_cmp); Dist::triangular(v[0], v[1], v[2]) }
            };
            if let Ok(d) = d {
                let (lo, hi) = d.support();
                let mut rng = stream(3, 0, 0, 0, Purpose::Parameter);
                for x in [d.sample(&mut rng), d.quantile(0.025), d.quantile(0.975)] {
                    proptest::prop_assert!(x.is_finite() && x >= lo && x <= hi, "{d:?}: {x}");
                }
            }
        }
    }
}
