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
}

impl Discount {
    /// `rate` must be greater than −1; validation guarantees it.
    pub fn new(rate: f64) -> Self {
        Discount { delta: rate.ln_1p() }
    }

    /// Discount factor at time `t`.
    #[inline]
    pub fn factor(&self, t: f64) -> f64 {
        if self.delta == 0.0 || t == 0.0 { 1.0 } else { (-self.delta * t).exp() }
    }

    /// Discounted length of the interval `[a, b]`: the present value of a flow of 1 a year.
    /// With a zero rate this is exactly `b − a`, so discounted equals undiscounted.
    #[inline]
    pub fn integral(&self, a: f64, b: f64) -> f64 {
        if self.delta == 0.0 { b - a } else { self.factor(a) * -(-self.delta * (b - a)).exp_m1() / self.delta }
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
    fn zero_rate_is_undiscounted_exactly() {
        let d = Discount::new(0.0);
        assert_eq!(d.factor(3.7), 1.0);
        assert_eq!(d.integral(0.25, 3.7), 3.7 - 0.25);
    }
}
