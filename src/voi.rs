//! Value of information: EVPI and regression-based EVPPI.
//!
//! With net benefit `NB_s = −cost_s` (the decision is which strategy costs least) and `θ` the
//! uncertain parameters, `EVPI = E_θ[max_s NB_s] − max_s E_θ[NB_s]`. EVPPI for a parameter
//! (or group) `φ` follows Strong, Oakley and Brennan (2014): regress each strategy's
//! incremental net benefit on a flexible function of `φ`, here an additive natural cubic
//! regression spline per parameter with knots at quantiles, fitted by least squares
//! (SVD, nalgebra); then `EVPPI = E[max_s ĝ_s(φ)] − max_s E[ĝ_s(φ)]` over the fitted values.
//! Groups are fitted additively (no interactions), which is the usual GAM choice.

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

/// EVPI from incremental net benefits `inb[s][i]` of each non-comparator strategy in
/// iteration `i` (the comparator's is 0).
pub fn evpi(inb: &[Vec<f64>]) -> f64 {
    expected_max_gain(inb)
}

/// `mean_i max(0, max_s x[s][i]) − max(0, max_s mean_i x[s][i])`.
fn expected_max_gain(x: &[Vec<f64>]) -> f64 {
    let n = x.first().map_or(0, |v| v.len());
    if n == 0 {
        return 0.0;
    }
    let mean_of_max = (0..n).map(|i| x.iter().map(|v| v[i]).fold(0.0, f64::max)).sum::<f64>() / n as f64;
    let max_of_mean = x.iter().map(|v| v.iter().sum::<f64>() / n as f64).fold(0.0, f64::max);
    mean_of_max - max_of_mean
}

/// Natural cubic spline basis columns (without intercept) for one regressor: `x` and
/// `K − 2` truncated-power terms with knots at quantiles (Hastie, Tibshirani and Friedman,
/// eq. 5.4–5.5). Fewer distinct values give fewer knots; a constant gives no columns.
fn spline_columns(x: &[f64], knots: usize) -> Vec<Vec<f64>> {
    let mut sorted: Vec<f64> = x.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.dedup();
    if sorted.len() < 2 {
        return Vec::new();
    }
    let (lo, hi) = (sorted[0], sorted[sorted.len() - 1]);
    // Scale to [0, 1] so cubes of costs in pounds do not ruin the conditioning.
    let z: Vec<f64> = x.iter().map(|v| (v - lo) / (hi - lo)).collect();
    let mut cols = vec![z.clone()];
    let k = knots.min(sorted.len());
    if k < 3 {
        return cols;
    }
    let xi: Vec<f64> = (0..k)
        .map(|j| {
            let p = (j as f64 + 0.5) / k as f64;
            (crate::analysis::quantile_sorted(&sorted, p) - lo) / (hi - lo)
        })
        .collect();
    let d = |j: usize, v: f64| {
        let c = |t: f64| (v - t).max(0.0).powi(3);
        (c(xi[j]) - c(xi[k - 1])) / (xi[k - 1] - xi[j])
    };
    for j in 0..k - 2 {
        cols.push(z.iter().map(|&v| d(j, v) - d(k - 2, v)).collect());
    }
    cols
}

/// Knots per regressor.
const KNOTS: usize = 6;

/// Regression EVPPI of the regressors `x` (each a column over iterations), given
/// incremental net benefits `inb[s][i]`.
pub fn evppi(inb: &[Vec<f64>], x: &[&[f64]]) -> f64 {
    let n = inb.first().map_or(0, |v| v.len());
    if n < 3 {
        return 0.0;
    }
    // Fit no more columns than a tenth of the iterations, or the smoother chases noise. The
    // budget is shared by every member of a group: each gets fewer knots rather than later
    // members being dropped, and with too few iterations for even that, each member is a
    // linear term (an additive linear fit, which never drops a parameter).
    let budget = (n / 10).max(2) - 1;
    let members = x.len().max(1);
    let knots = (budget / members + 1).clamp(2, KNOTS);
    let mut cols: Vec<Vec<f64>> = vec![vec![1.0; n]];
    for xj in x {
        cols.extend(spline_columns(xj, knots));
    }
    let design = DMatrix::from_fn(n, cols.len(), |i, j| cols[j][i]);
    let svd = design.clone().svd(true, true);
    let fitted: Vec<Vec<f64>> = inb
        .iter()
        .map(|y| {
            let y = DVector::from_column_slice(y);
            match svd.solve(&y, 1e-10) {
                Ok(beta) => (&design * beta).iter().copied().collect(),
                Err(_) => vec![y.mean(); n],
            }
        })
        .collect();
    expected_max_gain(&fitted).max(0.0)
}

/// One row of `evppi.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VoiRow {
    /// "parameter", "group" or "all" (EVPI).
    pub kind: String,
    pub name: String,
    /// The parameter or group in words.
    pub label: String,
    /// Per cohort (the scenario's children), per child, and per child × children × years.
    pub per_cohort: f64,
    pub per_child: f64,
    pub population: f64,
}

/// Named groups of parameters, for group EVPPI.
pub const GROUPS: [&str; 4] = ["effect of support", "costs", "baseline risk", "care after breakdown"];

/// Which group a parameter key belongs to, by the section it comes from.
pub fn group_of(key: &str) -> Option<&'static str> {
    if key.starts_with("strategy.") {
        // A strategy's price is a cost; everything else about it is its effect.
        return Some(if key.ends_with(".cost") { "costs" } else { "effect of support" });
    }
    if key.starts_with("cost.") || key == "discount_rate" {
        return Some("costs");
    }
    if key.starts_with("care_after_breakdown.") {
        return Some("care after breakdown");
    }
    ["reentry.", "maltreatment.", "risk_factor.", "failed_returns."]
        .iter()
        .any(|p| key.starts_with(p))
        .then_some("baseline risk")
}

/// EVPI and the EVPPI of every uncertain parameter and of each named group, from a run's PSA
/// iterations. Population figures scale the per-child value by the scenario's children and
/// `decision_years` cohorts.
pub fn value_of_information(
    sc: &crate::scenario::Scenario,
    run: &crate::digest::RunDigest,
    decision_years: f64,
) -> Vec<VoiRow> {
    use crate::analysis::View;
    if run.psa.len() < 3 || sc.model.strategies.len() < 2 {
        return Vec::new();
    }
    let children = sc.total_children().max(1) as f64;
    let net = crate::metric::Metric::NetSaving;
    let inb: Vec<Vec<f64>> = (1..sc.model.strategies.len())
        .map(|s| run.psa.iter().map(|d| d.decisions(View::Total, s)[net]).collect())
        .collect();
    let row = |kind: &str, name: &str, label: &str, v: f64| VoiRow {
        kind: kind.into(),
        name: name.into(),
        label: label.into(),
        per_cohort: v,
        per_child: v / children,
        population: v * decision_years,
    };
    let mut rows = vec![row("all", "EVPI (all parameters)", "Everything uncertain (EVPI)", evpi(&inb))];
    let uncertain: Vec<usize> = (0..sc.params.len()).filter(|&i| !sc.params[i].param.dist.is_fixed()).collect();
    let columns: Vec<Vec<f64>> = uncertain.iter().map(|&p| run.psa.iter().map(|r| r.values[p]).collect()).collect();
    let singles: Vec<VoiRow> = {
        use rayon::prelude::*;
        uncertain
            .par_iter()
            .zip(&columns)
            .map(|(&p, col)| row("parameter", &sc.params[p].key, &sc.params[p].label, evppi(&inb, &[col.as_slice()])))
            .collect()
    };
    for g in GROUPS {
        let members: Vec<&[f64]> = uncertain
            .iter()
            .zip(&columns)
            .filter(|(p, _)| group_of(sc.params[**p].model_key()) == Some(g))
            .map(|(_, c)| c.as_slice())
            .collect();
        if !members.is_empty() {
            let label = format!("All inputs on {g}");
            rows.push(row("group", g, &label, evppi(&inb, &members)));
        }
    }
    rows.extend(singles);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_fall_into_the_intended_groups() {
        assert_eq!(group_of("strategy.support-for-all.hr_reentry"), Some("effect of support"));
        assert_eq!(group_of("strategy.support-for-all.cost"), Some("costs"));
        assert_eq!(group_of("risk_factor.neglect.hr_reentry"), Some("baseline risk"));
        assert_eq!(group_of("cost.breakdown.amount"), Some("costs"));
        assert_eq!(group_of("care_after_breakdown.sigma"), Some("care after breakdown"));
        assert_eq!(group_of("reentry.target[2].share"), Some("baseline risk"));
    }

    /// Issue #15, item 12: a group's columns are shared, never cut, so its last member counts.
    #[test]
    fn a_groups_last_member_is_never_dropped() {
        let n = 200;
        let mut state = 12345u64;
        let mut uniform = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let x: Vec<Vec<f64>> = (0..10).map(|_| (0..n).map(|_| uniform()).collect()).collect();
        // Only the tenth member matters: INB = x₁₀ − ½, whose EVPPI is E[max(0, x − ½)] = 1/8.
        let inb = vec![x[9].iter().map(|v| v - 0.5).collect::<Vec<f64>>()];
        let members: Vec<&[f64]> = x.iter().map(|c| c.as_slice()).collect();
        let v = evppi(&inb, &members);
        // The sample's own value: a perfect fit of x₁₀ gains exactly this.
        let mean = |f: &dyn Fn(f64) -> f64| inb[0].iter().map(|y| f(*y)).sum::<f64>() / n as f64;
        let perfect = mean(&|y| y.max(0.0)) - mean(&|y| y).max(0.0);
        assert!((v - perfect).abs() < 0.01, "{v} vs {perfect}");
    }
}
