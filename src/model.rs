//! One iteration's concrete inputs: every parameter at a value, baselines calibrated.
//!
//! The base case resolves the scenario at its point values; each PSA iteration resolves it
//! at values drawn from the parameter distributions, each from its own stream keyed by
//! `(seed, iteration, parameter)` so adding a parameter never shifts another's draw. When a
//! hazard is given by targets, calibration runs here, once per iteration, over the
//! comparator's risk mix (MODEL.md, "Calibration").

use thiserror::Error;

use crate::calibrate::{self, CalibrationError, Fit, ScaleFit};
use crate::discount::Discount;
use crate::hazard::{Effect, PiecewiseHazard, Prepared};
use crate::rng::{ALL_AUTHORITIES, Purpose, name_key, stream};
use crate::scenario::{Baseline, CostBasis, HazardSpec, Model, ParamId, Scenario, SupportBasis};

#[derive(Debug, Error, Clone, PartialEq)]
pub enum ModelError {
    /// `scope` is empty for the scenario's model and names the authority for its own.
    #[error("iteration {iteration}{scope}: calibrating the {hazard} hazard failed: {reason}")]
    // `reason`, not `source`: a `source` field would also be the error's cause, and `{:#}`
    // would print the same words twice.
    Calibration { iteration: u32, scope: String, hazard: &'static str, reason: CalibrationError },
    /// The caller asked the simulation to stop ([`crate::sim::run_part`]'s `stop`).
    #[error("the simulation was stopped before its end")]
    Stopped,
}

/// A strategy's values in one iteration.
#[derive(Clone, Debug, PartialEq)]
pub struct StrategyInputs {
    /// The support effect on each hazard for an engaged family.
    pub effect_reentry: Effect,
    pub effect_maltreatment: Effect,
    /// Everything a child's path under this strategy depends on, besides who is offered.
    pub support: Support,
    /// The first strategy (by index, possibly this one) whose [`Support`] is identical. A
    /// child offered both walks one path under both, so the simulation walks it once.
    pub walk_as: usize,
    /// `offered[mask]`: whether a child with risk-factor bit mask `mask` is offered support,
    /// tabulated once per iteration so the per-child test is a lookup.
    pub offered: Vec<bool>,
    pub cost: f64,
    pub cost_basis: SupportBasis,
}

/// The support of a strategy as a child's path reads it: the walk sees only these values, so
/// two strategies with equal `Support` give an offered child exactly the same path.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Support {
    pub take_up: f64,
    pub repeat_on_later_returns: bool,
    pub support_years: f64,
    /// The discount factor over a whole support window, `(1 + r)^(−support_years)`: a full
    /// window's end factor is its start's times this.
    pub support_factor: f64,
    /// The effects prepared for sampling against this iteration's hazards
    /// ([`PiecewiseHazard::prepare`]), computed once.
    pub prepared_reentry: Prepared,
    pub prepared_maltreatment: Prepared,
}

/// Everything the simulation of one iteration needs, as plain numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct Inputs {
    /// How long children are followed from the start of the run (the budget window in flow
    /// mode).
    pub horizon: f64,
    /// Financial-year bins of the budget window in flow mode; 0 in cohort mode.
    pub years: usize,
    /// The discount factor at the horizon.
    pub horizon_factor: f64,
    /// `year_factors[y]`: the discount factor at the start of financial year `y`, for
    /// `y = 0..=years` (flow mode splits pro-rata flows at these boundaries).
    pub year_factors: Vec<f64>,
    pub discount_rate: f64,
    pub discount: Discount,
    pub reentry: PiecewiseHazard,
    pub maltreatment: Option<PiecewiseHazard>,
    pub prevalence: Vec<f64>,
    /// `prevalence_threshold[j]`: the prevalence of factor `j` as a threshold on the 53 bits
    /// that make a uniform `u` ([`prevalence_threshold`]): comparing integers is exactly
    /// `u < p`, without converting each draw to a float.
    pub prevalence_threshold: Vec<u64>,
    pub rf_hr_reentry: Vec<f64>,
    pub rf_hr_maltreatment: Vec<f64>,
    /// `scale_reentry[mask]`: the product of the re-entry hazard ratios of the risk factors in
    /// bit mask `mask` (in factor order), tabulated once per iteration; likewise for
    /// maltreatment.
    pub scale_reentry: Vec<f64>,
    pub scale_maltreatment: Vec<f64>,
    /// Their reciprocals, so that sampling multiplies ([`PiecewiseHazard::invert_prepared`]).
    pub inv_scale_reentry: Vec<f64>,
    pub inv_scale_maltreatment: Vec<f64>,
    pub hr_per_failed_return: f64,
    pub inv_hr_per_failed_return: f64,
    /// Log-normal care duration: `ln D ~ N(care_mu, care_sigma²)`.
    pub care_mu: f64,
    pub care_sigma: f64,
    pub return_home_probability: f64,
    pub costs: Vec<(CostBasis, f64)>,
    /// Whether a cost line prices maltreatment events, or years in care. Their discounted
    /// quantities are only ever multiplied by such a line's amount, so when there is none the
    /// simulation leaves them at 0 and saves a discount factor (an `exp`) per event: in the
    /// default scenario, which prices neither, that is about half of a child's `exp` calls.
    pub discounts_maltreatment: bool,
    pub discounts_care: bool,
    pub strategies: Vec<StrategyInputs>,
    pub reentry_fit: Vec<Fit>,
    pub maltreatment_fit: Vec<Fit>,
    /// The factor `calibrate_scale_to` put on each hazard's rates, when it has one.
    pub reentry_scale: Option<ScaleFit>,
    pub maltreatment_scale: Option<ScaleFit>,
    /// `[age_at_return]`, when given: each child draws an age and its path ends at 18.
    pub age: Option<crate::scenario::AgeAtReturn>,
    /// The risk factor `aged_10_plus`, when the model has it and ages are drawn: its bit then
    /// follows the drawn age instead of its prevalence.
    pub aged_10_plus: Option<usize>,
}

/// The risk factor whose bit follows a child's drawn age, when `[age_at_return]` is given.
pub const AGED_10_PLUS: &str = "aged_10_plus";

/// Draws every parameter for PSA iteration `iteration` (1-based). Fixed parameters keep
/// their point value and consume no randomness.
pub fn draw_parameters(sc: &Scenario, seed: u64, iteration: u32) -> Vec<f64> {
    sc.params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if p.param.dist.is_fixed() {
                p.param.point
            } else {
                // An authority's own parameters are keyed by its name and the parameter's, so
                // adding an authority or a parameter elsewhere never changes their draws.
                let mut rng = match &p.authority {
                    None => stream(seed, iteration as u64, ALL_AUTHORITIES, i as u64, Purpose::Parameter),
                    Some(a) => stream(seed, iteration as u64, name_key(a), name_key(&p.key), Purpose::Parameter),
                };
                p.param.dist.sample(&mut rng)
            }
        })
        .collect()
}

/// The product of `ratios[j]` over the set bits `j` of every mask, multiplied in bit order.
fn products(ratios: &[f64]) -> Vec<f64> {
    (0..1u64 << ratios.len())
        .map(|mask| (0..ratios.len()).filter(|j| mask >> j & 1 == 1).fold(1.0, |acc, j| acc * ratios[j]))
        .collect()
}

/// The threshold `t` on the top 53 bits `m` of a 64-bit draw with `m < t` exactly when the
/// uniform that `rand` makes of the draw, `u = m · 2⁻⁵³`, is below `p`: `t = ⌈p · 2⁵³⌉`. Both
/// products are exact in `f64` (a power of two), so the two tests agree for every draw.
pub fn prevalence_threshold(p: f64) -> u64 {
    (p * 9_007_199_254_740_992.0).ceil() as u64
}

/// `1 / x` for each `x`.
fn reciprocals(xs: &[f64]) -> Vec<f64> {
    xs.iter().map(|x| 1.0 / x).collect()
}

impl ModelError {
    /// The same error, said of authority `name`.
    pub fn in_authority(self, name: &str) -> Self {
        match self {
            ModelError::Calibration { iteration, hazard, reason, .. } => {
                ModelError::Calibration { iteration, scope: format!(", authority {name}"), hazard, reason }
            }
            ModelError::Stopped => ModelError::Stopped,
        }
    }
}

impl Inputs {
    /// These inputs at other prices: each strategy's support price and each cost line's
    /// amount taken from `values` (indexed like [`Scenario::params`]), everything else kept.
    /// Prices change no child's path, so a run's tallies priced with these inputs are the run
    /// at those prices (the what-if page re-prices rather than re-simulates).
    pub fn repriced(&self, model: &Model, values: &[f64]) -> Inputs {
        let mut out = self.clone();
        for (s, st) in model.strategies.iter().enumerate() {
            out.strategies[s].cost = values[st.cost.0];
        }
        for (k, c) in model.costs.iter().enumerate() {
            out.costs[k].1 = values[c.amount.0];
        }
        out
    }

    /// Resolves `model` (the scenario's or an authority's) at parameter values `v` (indexed by
    /// [`ParamId`]).
    pub fn resolve(sc: &Scenario, model: &Model, v: &[f64], iteration: u32) -> Result<Inputs, ModelError> {
        let at = |id: ParamId| v[id.0];
        let prevalence: Vec<f64> = model.risk_factors.iter().map(|r| at(r.prevalence)).collect();
        let rf_hr_reentry: Vec<f64> = model.risk_factors.iter().map(|r| at(r.hr_reentry)).collect();
        let rf_hr_maltreatment: Vec<f64> = model.risk_factors.iter().map(|r| at(r.hr_maltreatment)).collect();
        let discount_rate = at(sc.discount_rate);
        let discount = Discount::new(discount_rate);
        // The values at effect windows are filled in once the hazards are known, which needs
        // the comparator's strategy first (calibration runs over its take-up and effect).
        let mut strategies: Vec<StrategyInputs> = model
            .strategies
            .iter()
            .map(|s| StrategyInputs {
                effect_reentry: Effect { window: s.effect_years, ratio: at(s.hr_reentry) },
                effect_maltreatment: Effect { window: s.effect_years, ratio: at(s.hr_maltreatment) },
                support: Support {
                    take_up: at(s.take_up),
                    repeat_on_later_returns: s.repeat_on_later_returns,
                    support_years: s.support_years,
                    support_factor: discount.factor(s.support_years),
                    prepared_reentry: Prepared::NONE,
                    prepared_maltreatment: Prepared::NONE,
                },
                walk_as: 0,
                offered: (0..1u64 << model.risk_factors.len()).map(|m| s.eligibility.admits(m)).collect(),
                cost: at(s.cost),
                cost_basis: s.cost_basis,
            })
            .collect();
        let comparator = &strategies[0];
        let engaged = |mask: u64| {
            if comparator.offered[mask as usize] { comparator.support.take_up } else { 0.0 }
        };

        let resolve_hazard = |spec: &HazardSpec, ratios: &[f64], effect: Effect, name: &'static str| {
            let failed =
                |source| ModelError::Calibration { iteration, scope: String::new(), hazard: name, reason: source };
            // The population's cells cost 2^k for k risk factors: built only when solved over.
            let solved = matches!(spec.baseline, Baseline::Calibrate(_)) || spec.scale_to.is_some();
            let cells = if solved { calibrate::cells(&prevalence, ratios, effect, engaged) } else { Vec::new() };
            let (h, mut fits) = match &spec.baseline {
                Baseline::Rates(ids) => {
                    let rates = ids.iter().map(|&id| at(id)).collect();
                    (PiecewiseHazard::new(spec.knots.clone(), rates).expect("validated hazard"), Vec::new())
                }
                Baseline::Calibrate(targets) => {
                    let t: Vec<(f64, f64)> = targets.iter().map(|t| (t.years, at(t.share))).collect();
                    calibrate::calibrate(&spec.knots, &t, &cells).map_err(failed)?
                }
            };
            let Some(t) = &spec.scale_to else { return Ok((h, fits, None)) };
            let target = at(t.share);
            let (h, factor) = calibrate::scale_to(&h, t.years, target, &cells).map_err(failed)?;
            // The shape's targets are no longer met once scaled: report what the scaled
            // hazard gives there.
            for f in &mut fits {
                f.achieved = calibrate::share_by(&h, &cells, f.years);
            }
            for (f, r) in fits.iter_mut().zip(h.rates()) {
                f.rate = *r;
            }
            let achieved = calibrate::share_by(&h, &cells, t.years);
            Ok((h, fits, Some(ScaleFit { years: t.years, target, achieved, factor })))
        };
        let (reentry, reentry_fit, reentry_scale) =
            resolve_hazard(&model.reentry, &rf_hr_reentry, comparator.effect_reentry, "re-entry")?;
        let (maltreatment, maltreatment_fit, maltreatment_scale) = match &model.maltreatment {
            Some(spec) => {
                let (h, f, s) =
                    resolve_hazard(spec, &rf_hr_maltreatment, comparator.effect_maltreatment, "maltreatment")?;
                (Some(h), f, s)
            }
            None => (None, Vec::new(), None),
        };
        for s in &mut strategies {
            s.support.prepared_reentry = reentry.prepare(s.effect_reentry);
            s.support.prepared_maltreatment =
                maltreatment.as_ref().map_or(Prepared::NONE, |m| m.prepare(s.effect_maltreatment));
        }
        for i in 0..strategies.len() {
            strategies[i].walk_as = (0..i).find(|&j| strategies[j].support == strategies[i].support).unwrap_or(i);
        }
        let (scale_reentry, scale_maltreatment) = (products(&rf_hr_reentry), products(&rf_hr_maltreatment));
        let hr_per_failed_return = at(model.hr_per_failed_return);
        let years = sc.budget.as_ref().map_or(0, |b| b.years as usize);
        Ok(Inputs {
            horizon: sc.horizon(),
            years,
            horizon_factor: discount.factor(sc.horizon()),
            year_factors: (0..=years).map(|y| discount.factor_at_year(y)).collect(),
            discount_rate,
            discount,
            reentry,
            maltreatment,
            prevalence_threshold: prevalence.iter().map(|&p| prevalence_threshold(p)).collect(),
            prevalence,
            inv_scale_reentry: reciprocals(&scale_reentry),
            inv_scale_maltreatment: reciprocals(&scale_maltreatment),
            scale_reentry,
            scale_maltreatment,
            rf_hr_reentry,
            rf_hr_maltreatment,
            hr_per_failed_return,
            inv_hr_per_failed_return: 1.0 / hr_per_failed_return,
            care_mu: at(model.care.median_years).ln(),
            care_sigma: at(model.care.sigma),
            return_home_probability: at(model.care.return_home_probability),
            costs: model.costs.iter().map(|c| (c.basis, at(c.amount))).collect(),
            discounts_maltreatment: model.costs.iter().any(|c| c.basis == CostBasis::PerMaltreatmentEvent),
            discounts_care: model.costs.iter().any(|c| c.basis == CostBasis::PerCareYear),
            strategies,
            reentry_fit,
            maltreatment_fit,
            reentry_scale,
            maltreatment_scale,
            age: sc.age_at_return.clone(),
            aged_10_plus: sc
                .age_at_return
                .as_ref()
                .and_then(|_| model.risk_factors.iter().position(|r| r.name == AGED_10_PLUS)),
        })
    }

    /// Draws a care duration from a standard-normal deviate `z`.
    #[inline]
    pub fn care_duration(&self, z: f64) -> f64 {
        (self.care_mu + self.care_sigma * z).exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::StreamRng;
    use rand::{Rng, RngExt, SeedableRng};

    #[test]
    fn a_prevalence_threshold_on_a_draws_bits_is_exactly_its_uniform_below_the_prevalence() {
        let mut rng = StreamRng::seed_from_u64(7);
        for _ in 0..100_000 {
            let u: f64 = rng.clone().random();
            let bits = rng.next_u64() >> 11;
            // The prevalences on and either side of this very uniform, where a rounding
            // slip would show, and some ordinary ones.
            let around = [u, u.next_down(), u.next_up(), u + 2f64.powi(-54)];
            for p in around.into_iter().chain([0.0, 1.0, 0.49, 0.33, 1e-300]) {
                assert_eq!(bits < prevalence_threshold(p), u < p, "u = {u}, p = {p}");
            }
        }
    }
}
