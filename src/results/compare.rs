//! Comparing two runs: their headline figures side by side, which differences lie within
//! Monte Carlo error, and the inputs that differ.
//!
//! A difference in a PSA mean is called *within Monte Carlo error* when it is smaller than
//! twice its standard error, `2·√(mcse_a² + mcse_b²)`, the runs' MCSEs (sd/√n) taken as
//! independent. Two runs with the same seed share random numbers, so this is cautious: a
//! real difference may be called noise, never the other way round. Base-case-only runs have
//! no Monte Carlo error to speak of; their differences are exact.

use crate::analysis::Kind;
use crate::metric::Metric;

use super::summary::{InputRow, SummaryFile};

/// One headline figure of one strategy in both runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Difference {
    pub strategy: String,
    pub figure: &'static str,
    pub metric: Option<Metric>,
    pub a: Option<f64>,
    pub b: Option<f64>,
    /// `Some(true)` when the difference is within twice its Monte Carlo standard error.
    pub within_mc_error: Option<bool>,
    /// Text values (payback years), where the figure is not a number.
    pub a_text: Option<String>,
    pub b_text: Option<String>,
}

impl Difference {
    pub fn change(&self) -> Option<f64> {
        Some(self.b? - self.a?)
    }
}

/// An input whose point value or distribution differs, or that only one run has.
#[derive(Clone, Debug, PartialEq)]
pub struct InputChange {
    pub key: String,
    pub label: String,
    pub a: Option<InputRow>,
    pub b: Option<InputRow>,
}

/// The headline differences of every non-comparator strategy the two runs share.
pub fn differences(a: &SummaryFile, b: &SummaryFile) -> Vec<Difference> {
    let mut out = Vec::new();
    for st in a.strategies.iter().skip(1).filter(|st| b.strategies.iter().skip(1).any(|o| o.name == st.name)) {
        for (figure, m) in [
            ("Net saving", Metric::NetSaving),
            ("Breakdowns averted", Metric::BreakdownsAverted),
            ("Probability of saving money", Metric::SavesMoney),
        ] {
            if m == Metric::SavesMoney && !(a.has_psa() && b.has_psa()) {
                continue;
            }
            let (sa, sb) = (a.stat(&st.name, Kind::Increment, m), b.stat(&st.name, Kind::Increment, m));
            let va = sa.and_then(|x| x.central(a.has_psa()));
            let vb = sb.and_then(|x| x.central(b.has_psa()));
            let within = match (sa, sb, va, vb) {
                (Some(x), Some(y), Some(va), Some(vb)) if a.has_psa() && b.has_psa() => {
                    // The MCSE of a share is √(p(1−p)/n); summary.json's mcse is sd/√n already.
                    let se = (x.mcse.unwrap_or(0.0).powi(2) + y.mcse.unwrap_or(0.0).powi(2)).sqrt();
                    Some((vb - va).abs() <= 2.0 * se)
                }
                _ => None,
            };
            out.push(Difference {
                strategy: st.name.clone(),
                figure,
                metric: Some(m),
                a: va,
                b: vb,
                within_mc_error: within,
                a_text: None,
                b_text: None,
            });
        }
        let payback = |s: &SummaryFile| {
            s.budget
                .as_ref()
                .and_then(|bud| bud.payback.iter().find(|p| p.strategy == st.name))
                .map(|p| p.year(s.has_psa()).cloned().unwrap_or_else(|| "none in the window".into()))
        };
        let (pa, pb) = (payback(a), payback(b));
        if pa.is_some() || pb.is_some() {
            out.push(Difference {
                strategy: st.name.clone(),
                figure: "Payback year",
                metric: None,
                a: None,
                b: None,
                within_mc_error: None,
                a_text: pa,
                b_text: pb,
            });
        }
    }
    out
}

/// The inputs that differ between the runs, in the first run's order, then those only the
/// second has.
pub fn input_changes(a: &SummaryFile, b: &SummaryFile) -> Vec<InputChange> {
    let mut out = Vec::new();
    for x in &a.inputs {
        let y = b.inputs.iter().find(|y| y.key == x.key);
        let same = y.is_some_and(|y| y.point == x.point && y.distribution == x.distribution);
        if !same {
            out.push(InputChange { key: x.key.clone(), label: x.label.clone(), a: Some(x.clone()), b: y.cloned() });
        }
    }
    for y in b.inputs.iter().filter(|y| !a.inputs.iter().any(|x| x.key == y.key)) {
        out.push(InputChange { key: y.key.clone(), label: y.label.clone(), a: None, b: Some(y.clone()) });
    }
    out
}

/// Settings of the runs that differ, as `(setting, a, b)`: children, horizon, discount rate,
/// iterations, seed.
pub fn setting_changes(a: &SummaryFile, b: &SummaryFile) -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    let mut cmp = |name: &'static str, x: String, y: String| {
        if x != y {
            out.push((name, x, y));
        }
    };
    cmp("children", a.children.to_string(), b.children.to_string());
    cmp("horizon (years)", a.horizon_years.to_string(), b.horizon_years.to_string());
    cmp("discount rate", a.discount_rate.to_string(), b.discount_rate.to_string());
    cmp("PSA iterations", a.psa_iterations.to_string(), b.psa_iterations.to_string());
    cmp("seed", a.seed.to_string(), b.seed.to_string());
    out
}
