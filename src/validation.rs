//! External validation: the model's predictions set against independent national series that
//! it was never calibrated to (ISPOR-SMDM good practice, Eddy et al. 2012, "Model transparency
//! and validation", Med Decis Making 32:733).
//!
//! A scenario lists its comparisons in `[[validation]]` ([`Comparison`]); validation refuses a
//! figure that one of its re-entry hazards is calibrated to. The prediction for a figure is the
//! comparator's cumulative share with a first re-entry by the figure's month, over all
//! authorities (the `reentry_curve` table): the base case, the PSA mean and its 2.5% and 97.5%
//! quantiles. The published figure `v`, rounded to within `r`, lies *inside* when
//! `[v − r, v + r]` meets `[q025, q975]`. Nothing here is tuned: a row reports whether the model
//! agrees, and a figure beyond the run's horizon gets no prediction.

use serde::Serialize;

use crate::analysis::CurvePoint;
use crate::scenario::Scenario;

/// One published figure and the model's prediction of it.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ValidationRow {
    pub scenario: String,
    pub figure: String,
    pub published: String,
    pub published_share: f64,
    pub rounding: f64,
    pub years: f64,
    pub source: String,
    pub population: String,
    pub period: String,
    pub definition: String,
    /// The comparator's share back in care by `years`: base case, PSA mean, 95% interval.
    pub base: Option<f64>,
    pub mean: Option<f64>,
    pub q025: Option<f64>,
    pub q975: Option<f64>,
    /// Whether the published figure (within its rounding) lies inside the interval; `None`
    /// when there is no interval (no PSA, or beyond the horizon).
    pub inside: Option<bool>,
    /// Always false: a scenario cannot list a figure it is calibrated to.
    pub calibration_target: bool,
    /// The interval score of the 95% interval against the published figure (Gneiting and
    /// Raftery 2007): width plus 40 times the miss; lower is better.
    pub interval_score: Option<f64>,
    /// A leave-one-source-out prediction of the evidence synthesis (`reproduce --external`),
    /// not a scenario's own.
    pub cross_validated: bool,
}

/// Whether `[v − r, v + r]` meets `[lo, hi]`.
pub fn inside(v: f64, r: f64, lo: f64, hi: f64) -> bool {
    v + r >= lo && v - r <= hi
}

/// One row per `[[validation]]` figure of `sc`, predicted from its run's re-entry curve.
pub fn predict(sc: &Scenario, curve: &[CurvePoint]) -> Vec<ValidationRow> {
    let comparator = &sc.model.strategies[0].name;
    sc.validation
        .iter()
        .map(|c| {
            let point = curve.iter().find(|p| &p.strategy == comparator && p.month == c.month());
            let interval = point.and_then(|p| Some((p.q025?, p.q975?)));
            ValidationRow {
                scenario: sc.meta.name.clone(),
                figure: c.figure.clone(),
                published: c.published.clone(),
                published_share: c.share,
                rounding: c.rounding,
                years: c.years,
                source: c.source.clone(),
                population: c.population.clone(),
                period: c.period.clone(),
                definition: c.definition.clone(),
                base: point.map(|p| p.base),
                mean: point.and_then(|p| p.mean),
                q025: interval.map(|i| i.0),
                q975: interval.map(|i| i.1),
                inside: interval.map(|(lo, hi)| inside(c.share, c.rounding, lo, hi)),
                calibration_target: false,
                interval_score: interval.map(|(lo, hi)| crate::synthesis::interval_score(lo, hi, c.share)),
                cross_validated: false,
            }
        })
        .collect()
}

/// The longest horizon, in years, that predicts every figure of `sc`: its own horizon or its
/// latest figure's time, whichever is later.
pub fn horizon_for(sc: &Scenario) -> f64 {
    sc.validation.iter().map(|c| c.years).fold(sc.meta.horizon_years, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rounded_figure_is_inside_when_its_rounding_interval_meets_the_prediction() {
        assert!(inside(0.144, 0.0005, 0.135, 0.150));
        assert!(inside(0.1505, 0.0005, 0.135, 0.150));
        assert!(!inside(0.151, 0.0005, 0.135, 0.150));
        assert!(!inside(0.2, 0.0, 0.135, 0.150));
        assert!(!inside(0.13, 0.004, 0.135, 0.150));
    }
}
