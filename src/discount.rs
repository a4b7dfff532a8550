//! Discounting in continuous time.
//!
//! A cost at time `t` years since the start of the run is multiplied by `(1 + r)^(−t)`
//! (HM Treasury Green Book, `r = 0.035` by default). Pro-rata flows are integrated exactly:
//! `∫ₐᵇ (1 + r)^(−t) dt = (e^(−δa) − e^(−δb)) / δ` with `δ = ln(1 + r)`, computed with
//! `expm1` so small rates and short intervals lose no precision (MODEL.md, "Costs").

/// A discount rate turned into its continuous-time force `δ = ln(1 + r)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Discount {
    delta: f64,
    /// `1/δ`, so that integrals multiply rather than divide.
    inv_delta: f64,
    /// `(1 + r)^(−1)`, the factor of one whole year.
    per_year: f64,
}

impl Discount {
    /// `rate` must be greater than −1; validation guarantees it.
    pub fn new(rate: f64) -> Self {
        let delta = rate.ln_1p();
        Discount { delta, inv_delta: if delta == 0.0 { 0.0 } else { 1.0 / delta }, per_year: 1.0 / (1.0 + rate) }
    }

    /// Discount factor at time `t`.
    #[inline]
    pub fn factor(&self, t: f64) -> f64 {
        if self.delta == 0.0 || t == 0.0 { 1.0 } else { (-self.delta * t).exp() }
    }

    /// Discount factor at the whole year `y`, `(1 + r)^(−y)`, by multiplication.
    #[inline]
    pub fn factor_at_year(&self, y: usize) -> f64 {
        if self.delta == 0.0 { 1.0 } else { self.per_year.powi(y as i32) }
    }

    /// Discounted length of the interval `[a, b]`: the present value of a flow of 1 a year.
    /// With a zero rate this is exactly `b − a`, so discounted equals undiscounted.
    #[inline]
    pub fn integral(&self, a: f64, b: f64) -> f64 {
        self.integral_from(self.factor(a), a, b)
    }

    /// [`Discount::integral`] when the factor at `a`, `fa`, is already known: one `expm1`
    /// instead of an `exp` and an `expm1`.
    #[inline]
    pub fn integral_from(&self, fa: f64, a: f64, b: f64) -> f64 {
        if self.delta == 0.0 { b - a } else { fa * -(-self.delta * (b - a)).exp_m1() * self.inv_delta }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integral_matches_numerical_quadrature() {
        let d = Discount::new(0.035);
        let (a, b) = (0.3, 4.2);
        let n = 200_000;
        let h = (b - a) / n as f64;
        // Midpoint rule; its error is O(h²) ≈ 1e-11 here.
        let quad: f64 = (0..n).map(|i| d.factor(a + (i as f64 + 0.5) * h) * h).sum();
        assert!((d.integral(a, b) - quad).abs() < 1e-9);
    }

    #[test]
    fn whole_year_factors_match_the_continuous_factor() {
        let d = Discount::new(0.035);
        for y in 0..30 {
            assert!((d.factor_at_year(y) - d.factor(y as f64)).abs() < 1e-14);
        }
        assert_eq!(Discount::new(0.0).factor_at_year(7), 1.0);
    }

    #[test]
    fn zero_rate_is_undiscounted_exactly() {
        let d = Discount::new(0.0);
        assert_eq!(d.factor(3.7), 1.0);
        assert_eq!(d.integral(0.25, 3.7), 3.7 - 0.25);
    }
}
