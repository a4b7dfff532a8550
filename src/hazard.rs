//! Piecewise-constant hazards and exact event-time sampling.
//!
//! A baseline hazard `h0(s)` is constant on `[τ_k, τ_{k+1})`, the last piece running to
//! infinity, so the cumulative hazard `Λ(s)` is piecewise linear. A child's hazard in one stay
//! at home is `c · h0(s) · m(s)`, where `c` collects the risk-factor and failed-return ratios
//! and `m(s) = e` while `s < w` (the support effect window) and `1` after. An event time is
//! exact: draw `E ~ Exp(1)` and solve `Λ(T) = E` (MODEL.md, "Sampling"). With `Λ0` kept at
//! the knots, `Λ(T) = c·(e·Λ0(min(T, w)) + Λ0(T) − Λ0(min(T, w)))`, so `T` is `Λ0⁻¹(E / (c·e))`
//! when the event falls inside the window and `Λ0⁻¹(Λ0(w) + (E − c·e·Λ0(w)) / c)` after it:
//! `w` acts as an extra knot without being stored. No time steps are involved.

/// A validated piecewise-constant hazard: knots start at 0 and increase strictly, and there
/// is one finite non-negative rate per knot. The baseline cumulative hazard at each knot is
/// kept, so `Λ0` and its inverse cost one short search and no loop over time.
#[derive(Clone, Debug, PartialEq)]
pub struct PiecewiseHazard {
    knots: Vec<f64>,
    rates: Vec<f64>,
    /// The same pieces with `Λ0` at their knots, packed one record per piece, so that the
    /// inversion's search reads one slice with no bounds checks.
    pieces: Vec<Piece>,
}

/// One piece of the baseline as inversion reads it.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Piece {
    knot: f64,
    /// `Λ0(knot)`.
    cum: f64,
    /// `1 / rate`, so inversion multiplies.
    inv_rate: f64,
    /// Whether the rate is positive: a piece with a zero rate never ends an event.
    positive: bool,
}

/// The support effect on a hazard: multiplier `ratio` for `s < window` years.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Effect {
    pub window: f64,
    pub ratio: f64,
}

impl Effect {
    /// No effect: the hazard is the baseline throughout.
    pub const NONE: Effect = Effect { window: 0.0, ratio: 1.0 };

    /// The window's end, or 0 when the ratio is 1. A ratio of 1 is no effect at all, and
    /// treating it so keeps the arithmetic, and so every rounding, identical to the
    /// baseline's: support with a hazard ratio of 1 then changes no event time by even an ulp.
    #[inline]
    fn end(self) -> f64 {
        if self.ratio == 1.0 { 0.0 } else { self.window }
    }
}

/// An effect prepared for repeated inversion against one hazard: the window's end (0 for no
/// effect, see [`Effect::end`]), the ratio and its reciprocal, and `Λ0` at the window's end.
/// A strategy's effects are prepared once per iteration, so that sampling an event time
/// multiplies by reciprocals instead of dividing: a division's latency sits on the path from
/// a child's random number to its next event, and no division is left there.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prepared {
    end: f64,
    ratio: f64,
    inv_ratio: f64,
    at_end: f64,
}

impl Prepared {
    /// No effect.
    pub const NONE: Prepared = Prepared { end: 0.0, ratio: 1.0, inv_ratio: 1.0, at_end: 0.0 };
}

impl PiecewiseHazard {
    /// Builds a hazard. Returns `None` unless knots start at 0, increase strictly, and the
    /// rates are finite, non-negative and as many as the knots.
    pub fn new(knots: Vec<f64>, rates: Vec<f64>) -> Option<Self> {
        let ok = !knots.is_empty()
            && knots[0] == 0.0
            && knots.windows(2).all(|w| w[1] > w[0])
            && knots.iter().all(|k| k.is_finite())
            && rates.len() == knots.len()
            && rates.iter().all(|r| r.is_finite() && *r >= 0.0);
        ok.then(|| {
            let mut h = PiecewiseHazard { pieces: Vec::new(), knots, rates };
            h.accumulate();
            h
        })
    }

    fn accumulate(&mut self) {
        let mut cum = vec![0.0; self.knots.len()];
        for k in 1..self.knots.len() {
            cum[k] = cum[k - 1] + self.rates[k - 1] * (self.knots[k] - self.knots[k - 1]);
        }
        self.pieces = (0..self.knots.len())
            .map(|k| Piece {
                knot: self.knots[k],
                cum: cum[k],
                inv_rate: 1.0 / self.rates[k],
                positive: self.rates[k] > 0.0,
            })
            .collect();
    }

    /// Replaces the rate of piece `k` (used by calibration).
    pub fn set_rate(&mut self, k: usize, rate: f64) {
        assert!(rate.is_finite() && rate >= 0.0, "a hazard rate must be finite and non-negative");
        self.rates[k] = rate;
        self.accumulate();
    }

    pub fn knots(&self) -> &[f64] {
        &self.knots
    }

    pub fn rates(&self) -> &[f64] {
        &self.rates
    }

    /// Baseline cumulative hazard `Λ0(t)`.
    #[inline]
    fn base_cumulative(&self, t: f64) -> f64 {
        // A linear scan: hazards have a handful of pieces, where it beats a binary search.
        let mut k = 0;
        while k + 1 < self.knots.len() && self.knots[k + 1] <= t {
            k += 1;
        }
        self.pieces[k].cum + self.rates[k] * (t - self.knots[k])
    }

    /// Inverse of the baseline cumulative hazard: the `t` with `Λ0(t) = u`, or infinity when
    /// the hazard never accumulates that much.
    #[inline]
    fn base_inverse(&self, u: f64) -> f64 {
        // The last piece whose start has accumulated no more than u; pieces with a zero rate
        // have no width in u and are skipped by taking the last such knot.
        let (mut p, rest) = self.pieces.split_first().expect("a hazard has a piece");
        for q in rest {
            if q.cum > u {
                break;
            }
            p = q;
        }
        if p.positive { p.knot + (u - p.cum) * p.inv_rate } else { f64::INFINITY }
    }

    /// Cumulative hazard `∫₀ᵗ c·h0(s)·m(s) ds`, in closed form.
    pub fn cumulative(&self, t: f64, scale: f64, effect: Effect) -> f64 {
        let w = effect.end().min(t);
        if w > 0.0 {
            let lw = self.base_cumulative(w);
            scale * (effect.ratio * lw + (self.base_cumulative(t) - lw))
        } else {
            scale * self.base_cumulative(t)
        }
    }

    /// Solves `Λ(T) = e1` for the event time, where `e1` is an `Exp(1)` draw. Returns `None`
    /// when `T ≥ limit`: the event is censored and is not an event of the model.
    #[inline]
    pub fn invert(&self, e1: f64, scale: f64, effect: Effect, limit: f64) -> Option<f64> {
        self.invert_prepared(e1, scale, 1.0 / scale, &self.prepare(effect), limit)
    }

    /// The effect prepared for [`Self::invert_prepared`] against this hazard.
    pub fn prepare(&self, effect: Effect) -> Prepared {
        let end = effect.end();
        Prepared { end, ratio: effect.ratio, inv_ratio: 1.0 / effect.ratio, at_end: self.base_cumulative(end) }
    }

    /// [`Self::invert`] given `inv_scale = 1 / scale` and the prepared effect.
    #[inline]
    pub fn invert_prepared(&self, e1: f64, scale: f64, inv_scale: f64, p: &Prepared, limit: f64) -> Option<f64> {
        if scale <= 0.0 {
            return None;
        }
        // The baseline cumulative hazard to invert, and a floor for the time: inside the
        // window the hazard is ratio × baseline; after it, the baseline, and the event cannot
        // fall before the window's end. One inversion serves all three cases.
        let (u, floor) = if p.end > 0.0 {
            let inside = scale * p.ratio * p.at_end;
            if e1 < inside {
                (e1 * inv_scale * p.inv_ratio, f64::NEG_INFINITY)
            } else {
                (p.at_end + (e1 - inside) * inv_scale, p.end)
            }
        } else {
            (e1 * inv_scale, f64::NEG_INFINITY)
        };
        let t = self.base_inverse(u).max(floor);
        (t < limit).then_some(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_piece() -> PiecewiseHazard {
        PiecewiseHazard::new(vec![0.0, 1.0], vec![0.5, 0.1]).unwrap()
    }

    #[test]
    fn cumulative_is_piecewise_linear() {
        let h = two_piece();
        assert!((h.cumulative(0.5, 1.0, Effect::NONE) - 0.25).abs() < 1e-15);
        assert!((h.cumulative(3.0, 1.0, Effect::NONE) - (0.5 + 0.2)).abs() < 1e-15);
        assert!((h.cumulative(3.0, 2.0, Effect::NONE) - 1.4).abs() < 1e-15);
        // An effect window that ends inside the first piece adds a knot at 0.4.
        let eff = Effect { window: 0.4, ratio: 0.5 };
        let want = 0.5 * 0.5 * 0.4 + 0.5 * 0.6 + 0.1 * 2.0;
        assert!((h.cumulative(3.0, 1.0, eff) - want).abs() < 1e-15);
    }

    #[test]
    fn invert_is_the_inverse_of_cumulative() {
        let h = two_piece();
        let eff = Effect { window: 1.7, ratio: 0.6 };
        for &e1 in &[0.01, 0.2, 0.5, 0.59, 0.61, 0.9, 2.0] {
            let t = h.invert(e1, 1.3, eff, 1e9).unwrap();
            assert!((h.cumulative(t, 1.3, eff) - e1).abs() < 1e-12, "e1={e1}");
        }
    }

    #[test]
    fn a_piece_with_a_zero_rate_holds_no_events() {
        // Λ0 is flat on [1, 2): an event is never placed there, and later events invert
        // exactly, with and without an effect window that ends inside the flat piece.
        let h = PiecewiseHazard::new(vec![0.0, 1.0, 2.0], vec![0.5, 0.0, 0.2]).unwrap();
        for eff in [Effect::NONE, Effect { window: 1.5, ratio: 0.6 }] {
            for &e1 in &[0.1, 0.29, 0.31, 0.45, 0.55, 0.9, 3.0] {
                let t = h.invert(e1, 1.0, eff, 1e9).unwrap();
                assert!(!(1.0..2.0).contains(&t) || t == 1.0, "e1={e1}: t={t} in the flat piece");
                assert!((h.cumulative(t, 1.0, eff) - e1).abs() < 1e-12, "e1={e1}");
            }
        }
    }

    #[test]
    fn events_at_or_after_the_limit_are_censored() {
        let h = two_piece();
        let t = h.invert(0.3, 1.0, Effect::NONE, 10.0).unwrap();
        assert_eq!(h.invert(0.3, 1.0, Effect::NONE, t), None);
        assert_eq!(h.invert(0.3, 1.0, Effect::NONE, 0.0), None);
        let zero = PiecewiseHazard::new(vec![0.0], vec![0.0]).unwrap();
        assert_eq!(zero.invert(0.1, 1.0, Effect::NONE, 5.0), None);
    }
}
