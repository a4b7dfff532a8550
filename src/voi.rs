//! Value of information: EVPI and regression-based EVPPI.
//!
//! With net benefit `NB_s = −cost_s` (the decision is which strategy costs least) and `θ` the
//! uncertain parameters, `EVPI = E_θ[max_s NB_s] − max_s E_θ[NB_s]`. EVPPI for a parameter
//! (or group) `φ` follows Strong, Oakley and Brennan (2014): regress each strategy's
//! incremental net benefit on a flexible function of `φ`, here an additive natural cubic
//! regression spline per parameter with knots at quantiles, fitted by least squares
//! (a tall-skinny QR reduced a block of rows at a time, then SVD, nalgebra); then `EVPPI = E[max_s ĝ_s(φ)] − max_s E[ĝ_s(φ)]` over the fitted values.
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

/// Natural cubic spline basis (without intercept) for one regressor: `x` and `K − 2`
/// truncated-power terms with knots at quantiles (Hastie, Tibshirani and Friedman, eq.
/// 5.4–5.5). Fewer distinct values give fewer knots; a constant gives no columns. Rows are made
/// one at a time ([`Basis::row`]), so a design matrix is never held whole.
struct Basis {
    lo: f64,
    span: f64,
    /// Knots on the `[0, 1]` scale; fewer than 3 means `x` alone (or nothing, when `cols` is 0).
    xi: Vec<f64>,
    cols: usize,
}

impl Basis {
    fn new(x: &[f64], knots: usize) -> Basis {
        let mut sorted: Vec<f64> = x.to_vec();
        sorted.sort_by(f64::total_cmp);
        sorted.dedup();
        if sorted.len() < 2 {
            return Basis { lo: 0.0, span: 1.0, xi: Vec::new(), cols: 0 };
        }
        let (lo, hi) = (sorted[0], sorted[sorted.len() - 1]);
        let k = knots.min(sorted.len());
        if k < 3 {
            return Basis { lo, span: hi - lo, xi: Vec::new(), cols: 1 };
        }
        // Scaled to [0, 1] so cubes of costs in pounds do not ruin the conditioning.
        let xi: Vec<f64> = (0..k)
            .map(|j| {
                let p = (j as f64 + 0.5) / k as f64;
                (crate::analysis::quantile_sorted(&sorted, p) - lo) / (hi - lo)
            })
            .collect();
        Basis { lo, span: hi - lo, cols: k - 1, xi }
    }

    /// Appends the basis values of `v` to `out`.
    fn row(&self, v: f64, out: &mut Vec<f64>) {
        if self.cols == 0 {
            return;
        }
        let z = (v - self.lo) / self.span;
        out.push(z);
        let k = self.xi.len();
        if k < 3 {
            return;
        }
        let xi = &self.xi;
        let d = |j: usize| {
            let c = |t: f64| (z - t).max(0.0).powi(3);
            (c(xi[j]) - c(xi[k - 1])) / (xi[k - 1] - xi[j])
        };
        let last = d(k - 2);
        for j in 0..k - 2 {
            out.push(d(j) - last);
        }
    }
}

/// Knots per regressor.
const KNOTS: usize = 6;

/// Rows of the design reduced at a time by [`evppi`]'s QR.
const ROWS: usize = 2048;

/// Regression EVPPI of the regressors `x` (each a column over iterations), given
/// incremental net benefits `inb[s][i]`.
///
/// The least-squares fit is a tall-skinny QR (Demmel et al. 2012): the design `[1, basis]`
/// and the responses, `[X | Y]`, are reduced a block of [`ROWS`] rows at a time to the upper
/// triangle `R` of `[X | Y] = QR`; `R`'s top-left block has the singular values of `X`, so the
/// fit solved from it by SVD (singular values under 1e-10 treated as 0) is the least-squares
/// fit of the whole design, in memory that grows with the columns, not the iterations.
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
    let bases: Vec<Basis> = x.iter().map(|xj| Basis::new(xj, knots)).collect();
    let p = 1 + bases.iter().map(|b| b.cols).sum::<usize>();
    let responses = inb.len();
    let width = p + responses;
    let design_row = |i: usize, out: &mut Vec<f64>| {
        out.clear();
        out.push(1.0);
        for (b, xj) in bases.iter().zip(x) {
            b.row(xj[i], out);
        }
    };
    let mut r: Option<DMatrix<f64>> = None;
    let mut row = Vec::with_capacity(p);
    for start in (0..n).step_by(ROWS) {
        let end = (start + ROWS).min(n);
        let carried = r.as_ref().map_or(0, |r| r.nrows());
        let mut block = DMatrix::zeros(carried + end - start, width);
        if let Some(r) = &r {
            block.view_mut((0, 0), (carried, width)).copy_from(r);
        }
        for i in start..end {
            design_row(i, &mut row);
            let at = carried + i - start;
            for (j, v) in row.iter().enumerate() {
                block[(at, j)] = *v;
            }
            for (s, y) in inb.iter().enumerate() {
                block[(at, p + s)] = y[i];
            }
        }
        let reduced = block.qr().r();
        r = Some(reduced);
    }
    let Some(r) = r else { return 0.0 };
    let k = r.nrows().min(p);
    let svd = r.view((0, 0), (k, p)).clone_owned().svd(true, true);
    let betas: Vec<Option<DVector<f64>>> = (0..responses)
        .map(|s| svd.solve(&DVector::from_iterator(k, r.view((0, p + s), (k, 1)).iter().copied()), 1e-10).ok())
        .collect();
    let means: Vec<f64> = inb.iter().map(|y| y.iter().sum::<f64>() / n as f64).collect();
    let mut fitted = vec![vec![0.0; n]; responses];
    for i in 0..n {
        design_row(i, &mut row);
        for ((f, beta), mean) in fitted.iter_mut().zip(&betas).zip(&means) {
            f[i] = match beta {
                Some(beta) => row.iter().zip(beta.iter()).map(|(a, b)| a * b).sum(),
                None => *mean,
            };
        }
    }
    expected_max_gain(&fitted).max(0.0)
}

/// One row of `evppi.csv`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
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
    use crate::price::View;
    if run.psa.len() < 3 || sc.model.strategies.len() < 2 {
        return Vec::new();
    }
    let net = crate::metric::Metric::NetSaving;
    let inb: Vec<Vec<f64>> = (1..sc.model.strategies.len())
        .map(|s| run.psa.iter().map(|d| d.decisions(View::Total, s)[net]).collect())
        .collect();
    value_of_information_of(sc, run, decision_years, &inb)
}

/// [`value_of_information`] for any incremental net benefit: `inb[s][d]` is strategy `s + 1`'s
/// against the comparator in PSA draw `d` (the net saving, or a net monetary benefit at a
/// willingness to pay, [`crate::wtp`]).
pub fn value_of_information_of(
    sc: &crate::scenario::Scenario,
    run: &crate::digest::RunDigest,
    decision_years: f64,
    inb: &[Vec<f64>],
) -> Vec<VoiRow> {
    if run.psa.len() < 3 || inb.is_empty() {
        return Vec::new();
    }
    let inb = inb.to_vec();
    let children = sc.total_children().max(1) as f64;
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

    /// The block-by-block QR fit is the least-squares fit of the whole design: over 5,000
    /// iterations (three blocks), EVPPI from the whole design's SVD agrees to 1e-9.
    #[test]
    fn the_blockwise_fit_is_the_whole_designs_least_squares_fit() {
        let n = 5000;
        let mut state = 99u64;
        let mut uniform = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let x: Vec<Vec<f64>> = (0..3).map(|_| (0..n).map(|_| 1000.0 * uniform()).collect()).collect();
        let inb: Vec<Vec<f64>> = (0..2)
            .map(|s| {
                (0..n).map(|i| (x[s][i] - 500.0).powi(3) / 1e5 + 40.0 * (uniform() - 0.5) - 3.0 * s as f64).collect()
            })
            .collect();
        let members: Vec<&[f64]> = x.iter().map(|c| c.as_slice()).collect();
        let blockwise = evppi(&inb, &members);
        // The whole design at once, as before the fit was streamed.
        let bases: Vec<Basis> = members.iter().map(|xj| Basis::new(xj, KNOTS)).collect();
        let mut rows = Vec::new();
        let mut row = Vec::new();
        for i in 0..n {
            row.clear();
            row.push(1.0);
            for (b, xj) in bases.iter().zip(&members) {
                b.row(xj[i], &mut row);
            }
            rows.extend_from_slice(&row);
        }
        let design = DMatrix::from_row_slice(n, row.len(), &rows);
        let svd = design.clone().svd(true, true);
        let fitted: Vec<Vec<f64>> = inb
            .iter()
            .map(|y| (&design * svd.solve(&DVector::from_column_slice(y), 1e-10).unwrap()).iter().copied().collect())
            .collect();
        let whole = expected_max_gain(&fitted).max(0.0);
        assert!(blockwise > 0.0);
        assert!((blockwise - whole).abs() <= 1e-9 * whole.abs(), "{blockwise} vs {whole}");
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
