//! Calibration of a piecewise-constant baseline hazard to cumulative targets.
//!
//! Targets are population-average shares with a *first* event by time `t_k`, one per hazard
//! piece, with `t_k` inside piece `k`. The expectation is exact over every risk-factor
//! combination `x` (weight `Π p_j^x_j (1−p_j)^(1−x_j)`) and over take-up in the comparator:
//!
//! `F(t) = Σ_x w_x [ (1−u_x)(1 − e^(−c_x Λ0(t))) + u_x (1 − e^(−c_x Λ_eff(t))) ]`
//!
//! where `c_x` is the combination's hazard ratio, `u_x` the probability that it engages with
//! the comparator's support and `Λ_eff` the cumulative hazard under the support effect.
//! Because `F(t_k)` depends only on rates of pieces `0..=k` and rises monotonically in rate
//! `k`, the rates are solved knot by knot with a bracketing root-finder. No simulation.
//! [`scale_to`] instead keeps a fitted shape and solves one factor on all its rates
//! (`calibrate_scale_to`), so that a cohort with a known one-year share keeps another
//! cohort's hazard proportions.

use thiserror::Error;

use crate::hazard::{Effect, PiecewiseHazard};

#[derive(Debug, Error, Clone, PartialEq)]
pub enum CalibrationError {
    #[error(
        "target {share:?} at {years:?} years cannot be reached: with a zero rate on this piece the share is already {floor:?}"
    )]
    Unreachable { years: f64, share: f64, floor: f64 },
    #[error("target {share:?} at {years:?} years cannot be reached with a finite hazard")]
    TooHigh { years: f64, share: f64 },
}

/// One cell of the population: its weight, hazard scale and how it meets support.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cell {
    pub weight: f64,
    pub scale: f64,
    pub engaged: f64,
    pub effect: Effect,
}

/// The achieved fit at one target.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Fit {
    pub years: f64,
    pub target: f64,
    pub achieved: f64,
    pub rate: f64,
}

/// The achieved fit of `calibrate_scale_to`: the factor on the shape's rates.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScaleFit {
    pub years: f64,
    pub target: f64,
    pub achieved: f64,
    pub factor: f64,
}

/// Builds the cells of a population from risk-factor prevalences and hazard ratios.
/// `engaged(mask)` gives the probability that a child with risk-factor mask `mask` engages.
pub fn cells(prevalence: &[f64], ratios: &[f64], effect: Effect, engaged: impl Fn(u64) -> f64) -> Vec<Cell> {
    let k = prevalence.len();
    (0..1u64 << k)
        .filter_map(|mask| {
            let weight = weight(prevalence, mask);
            let scale = (0..k).filter(|j| mask >> j & 1 == 1).fold(1.0, |s, j| s * ratios[j]);
            (weight > 0.0).then(|| Cell { weight, scale, engaged: engaged(mask), effect })
        })
        .collect()
}

/// The share of the population with exactly the risk factors in bit mask `mask`, the factors
/// being independent: `Π p_j^x_j (1−p_j)^(1−x_j)`, multiplied in factor order.
pub fn weight(prevalence: &[f64], mask: u64) -> f64 {
    prevalence.iter().enumerate().fold(1.0, |w, (j, p)| w * if mask >> j & 1 == 1 { *p } else { 1.0 - p })
}

/// Population-average share with a first event by `t`.
pub fn share_by(h: &PiecewiseHazard, cells: &[Cell], t: f64) -> f64 {
    cells
        .iter()
        .map(|c| {
            let plain = -(-h.cumulative(t, c.scale, Effect::NONE)).exp_m1();
            let supported = if c.engaged > 0.0 { -(-h.cumulative(t, c.scale, c.effect)).exp_m1() } else { 0.0 };
            c.weight * ((1.0 - c.engaged) * plain + c.engaged * supported)
        })
        .sum()
}

/// Solves the rates so that `share_by(τ_k-target) = share_k` for every target.
/// `targets[k] = (years, share)` must lie in piece `k`; validation guarantees it.
pub fn calibrate(
    knots: &[f64],
    targets: &[(f64, f64)],
    cells: &[Cell],
) -> Result<(PiecewiseHazard, Vec<Fit>), CalibrationError> {
    let mut h = PiecewiseHazard::new(knots.to_vec(), vec![0.0; knots.len()]).expect("validated knots");
    for (k, &(years, share)) in targets.iter().enumerate() {
        // g(r) = F(t_k; r) − share is continuous and increasing in the rate of piece k.
        let mut g = |r: f64| {
            h.set_rate(k, r);
            share_by(&h, cells, years) - share
        };
        let floor = g(0.0) + share;
        if floor >= share {
            return Err(CalibrationError::Unreachable { years, share, floor });
        }
        let (hi, g_hi) = bracket(&mut g).ok_or(CalibrationError::TooHigh { years, share })?;
        let rate = illinois(&mut g, (0.0, floor - share), (hi, g_hi));
        h.set_rate(k, rate);
    }
    let fits = targets
        .iter()
        .enumerate()
        .map(|(k, &(years, target))| Fit { years, target, achieved: share_by(&h, cells, years), rate: h.rates()[k] })
        .collect();
    Ok((h, fits))
}

/// One scale factor on a fixed shape: `calibrate_scale_to`. Returns `h` with every rate
/// multiplied by the factor `c` that gives `share_by(c·h, t) = share`, and the factor.
/// `F(t)` rises continuously and monotonically in `c` (each cell's cumulative hazard is
/// linear in it), so the same bracketing root-finder solves it.
pub fn scale_to(
    h: &PiecewiseHazard,
    years: f64,
    share: f64,
    cells: &[Cell],
) -> Result<(PiecewiseHazard, f64), CalibrationError> {
    let base = h.rates().to_vec();
    let mut scaled = h.clone();
    let mut g = |c: f64| {
        for (k, r) in base.iter().enumerate() {
            scaled.set_rate(k, c * r);
        }
        share_by(&scaled, cells, years) - share
    };
    // A shape with no hazard before `years` cannot be scaled to any share.
    let (hi, g_hi) = bracket(&mut g).ok_or(CalibrationError::TooHigh { years, share })?;
    let c = illinois(&mut g, (0.0, -share), (hi, g_hi));
    g(c);
    Ok((scaled, c))
}

/// The upper end of a bracket for an increasing `g` with `g(0) < 0`: doubles from 1 until
/// `g` is no longer negative, and gives up (`None`) past 10¹².
fn bracket(g: &mut impl FnMut(f64) -> f64) -> Option<(f64, f64)> {
    let mut hi = 1.0;
    let mut g_hi = g(hi);
    while g_hi < 0.0 {
        hi *= 2.0;
        if hi > 1e12 {
            return None;
        }
        g_hi = g(hi);
    }
    Some((hi, g_hi))
}

/// The Illinois variant of regula falsi on a bracket with `g(a) < 0 ≤ g(b)`: it keeps the
/// bracket of bisection but converges superlinearly, so a fit exact to 1e-14 takes about ten
/// evaluations instead of fifty or more. Returns the end with the smaller residual.
fn illinois(g: &mut impl FnMut(f64) -> f64, (mut a, mut ga): (f64, f64), (mut b, mut gb): (f64, f64)) -> f64 {
    let mut side = 0i8;
    for _ in 0..200 {
        if gb == 0.0 || (b - a) <= 1e-15 * b {
            break;
        }
        let c = (a * gb - b * ga) / (gb - ga);
        // Guard against rounding putting c on or outside the bracket: bisect instead.
        let c = if c > a && c < b { c } else { 0.5 * (a + b) };
        let gc = g(c);
        if gc < 0.0 {
            a = c;
            ga = gc;
            if side == -1 {
                gb *= 0.5;
            }
            side = -1;
        } else {
            b = c;
            gb = gc;
            if side == 1 {
                ga *= 0.5;
            }
            side = 1;
        }
        if gc.abs() <= 1e-15 {
            break;
        }
    }
    // ga and gb may have been halved; compare true residuals.
    if g(a).abs() < g(b).abs() { a } else { b }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_hits_targets_to_1e_9_over_a_risk_mix_with_support() {
        let cells =
            cells(
                &[0.49, 0.3],
                &[1.3, 1.68],
                Effect { window: 1.0, ratio: 0.7 },
                |m| if m & 1 == 1 { 0.8 } else { 0.0 },
            );
        let knots = [0.0, 0.0383, 2.0];
        let targets = [(0.0383, 0.024), (2.0, 0.249), (5.0, 0.30)];
        let (h, fits) = calibrate(&knots, &targets, &cells).unwrap();
        for (fit, &(t, s)) in fits.iter().zip(&targets) {
            assert!((share_by(&h, &cells, t) - s).abs() < 1e-9, "{fit:?}");
        }
        assert!(h.rates().iter().all(|r| *r > 0.0));
    }

    #[test]
    fn single_piece_without_risk_factors_is_closed_form() {
        let cells = cells(&[], &[], Effect::NONE, |_| 0.0);
        let (h, _) = calibrate(&[0.0], &[(5.0, 0.3)], &cells).unwrap();
        let want = -(0.7f64).ln() / 5.0;
        assert!((h.rates()[0] - want).abs() < 1e-12);
    }

    #[test]
    fn scaling_a_shape_keeps_its_proportions_and_hits_the_target_in_closed_form() {
        // Without risk factors F(t) = 1 − exp(−c·Λ0(t)), so c = −ln(1 − share) / Λ0(t).
        let cells = cells(&[], &[], Effect::NONE, |_| 0.0);
        let h = PiecewiseHazard::new(vec![0.0, 0.5, 2.0], vec![0.4, 0.1, 0.05]).unwrap();
        let (scaled, c) = scale_to(&h, 1.0, 0.2, &cells).unwrap();
        let lambda = 0.4 * 0.5 + 0.1 * 0.5;
        assert!((c - (-(0.8f64).ln() / lambda)).abs() < 1e-12, "{c}");
        for (s, r) in scaled.rates().iter().zip(h.rates()) {
            assert!((s / r - c).abs() < 1e-12);
        }
        assert!((share_by(&scaled, &cells, 1.0) - 0.2).abs() < 1e-12);
    }

    #[test]
    fn a_shape_with_no_hazard_before_the_target_cannot_be_scaled() {
        let cells = cells(&[], &[], Effect::NONE, |_| 0.0);
        let h = PiecewiseHazard::new(vec![0.0, 2.0], vec![0.0, 0.1]).unwrap();
        assert!(matches!(scale_to(&h, 1.0, 0.2, &cells), Err(CalibrationError::TooHigh { .. })));
    }

    #[test]
    fn a_target_below_the_previous_share_is_reported() {
        let cells = cells(&[], &[], Effect::NONE, |_| 0.0);
        let err = calibrate(&[0.0, 1.0], &[(1.0, 0.3), (2.0, 0.2)], &cells).unwrap_err();
        assert!(matches!(err, CalibrationError::Unreachable { .. }));
    }
}
