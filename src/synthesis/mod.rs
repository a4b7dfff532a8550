//! The national evidence synthesis of the re-entry hazard (issue #36): one Bayesian model of
//! every published cumulative re-entry figure (`scenarios/evidence/reentry.toml`), each with
//! its own definition and size, with cohorts allowed to differ, sampled by NUTS ([`nuts`])
//! and checked by split R̂ and bulk and tail ESS ([`diagnostics`]).
//!
//! **The model.** A child with none of the risk factors has a piecewise-constant baseline
//! hazard `λ0(t) = exp(β_k)` on the pieces of the knots (0, 2 weeks, 3 and 6 months, 1, 2 and
//! 5 years). Cohort `c` (one source's one period) scales it by `exp(u_c + δ·a_c)`, where `τ`
//! is the between-cohort spread and `a_c` = 1 for a series of all exits from care (adoptions
//! and special guardianships rarely re-enter), 0 for returns home. The effects are
//! non-centred and sum to zero, `u_c = τ √(C/(C−1)) (z_c − z̄)` with `z_c ~ N(0, 1)`, so that
//! each `u_c` has spread `τ` and `β` is the cohorts' own average: with effects free to move
//! together, `β` and their mean traded off along a ridge that the sampler crossed slowly. The share back in care by `t` is exact over the risk-factor mix (as
//! `calibrate.rs` computes it), with no simulation:
//!
//! `F_c(t) = Σ_x w_x (1 − exp(−h_x e^(u_c + δ a_c) Λ0(t)))`, `Λ0(t) = Σ_k e^(β_k) |piece k ∩ [0, t]|`.
//!
//! **Likelihood.** A cohort's figures at `t_1 < t_2 < …` are sequential binomials: of the
//! `m_j = n_j(1 − y_(j−1))` still at home at `t_(j−1)`, `n_j(y_j − y_(j−1))` re-entered by
//! `t_j`, with probability `(F(t_j) − F(t_(j−1)))/(1 − F(t_(j−1)))` (the multinomial of the
//! intervals when every `n_j` is the same). `n_j` is the source's children, reduced for
//! rounding to the weight of a binomial whose variance adds the rounding's (`r²/3` for a
//! figure rounded to ±r): `n_j = y(1−y)/(y(1−y)/n + r²/3)`. A figure whose source gives no
//! n counts as [`UNKNOWN_N`] children.
//!
//! **Priors** (the decisions page says why): `β_0 ~ N(ln 0.3, 1.5²)`; `β_k − β_(k−1) ~ N(0, 1)`
//! (a random walk: each piece may be e times its neighbour, no shape imposed); `τ ~
//! half-normal(0.5)`; `δ ~ N(−0.5, 0.5²)`.
//!
//! **Predictions** for a new cohort draw its effect afresh for every posterior draw, from
//! `N(0, τ²(1 + 1/C))` (a new cohort's spread about the population, and the cohorts' average's
//! about it), so they carry the between-cohort spread.

pub mod diagnostics;
pub mod nuts;

use std::collections::BTreeMap;

use rand_distr::{Distribution, StandardNormal};

use crate::rng::{ALL_AUTHORITIES, Purpose, stream};

/// The knots of the synthesis' baseline, in years.
pub const KNOTS: [f64; 7] = [0.0, 14.0 / 365.25, 0.25, 0.5, 1.0, 2.0, 5.0];

/// The children a figure counts as when its source gives no number.
pub const UNKNOWN_N: f64 = 1000.0;

/// The priors, as the module's documentation states them.
pub const PRIOR_BETA0: (f64, f64) = (-1.2039728043259361, 1.5); // ln 0.3
pub const PRIOR_STEP_SD: f64 = 1.0;
pub const PRIOR_TAU_SCALE: f64 = 0.5;
pub const PRIOR_DELTA: (f64, f64) = (-0.5, 0.5);

/// Who a series counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Population {
    ReturnsHome,
    AllExits,
}

/// One published figure: the share back in care by `years`.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Figure {
    pub years: f64,
    pub share: f64,
    pub rounding: f64,
    #[serde(default)]
    pub note: String,
}

/// One source's one period.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Cohort {
    pub id: String,
    pub source: String,
    pub cited_as: String,
    pub citation: String,
    pub population: Population,
    pub period: String,
    #[serde(default)]
    pub n: Option<f64>,
    pub figures: Vec<Figure>,
}

/// The evidence file.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    pub cohort: Vec<Cohort>,
}

/// The shipped evidence, built in.
pub const SHIPPED: &str = include_str!("../../scenarios/evidence/reentry.toml");

impl Evidence {
    /// Parses and checks an evidence file's text; `file` names it in errors.
    pub fn from_toml_str(text: &str, file: &str) -> Result<Evidence, String> {
        let e: Evidence = toml::from_str(text).map_err(|err| format!("{file}: {}", err.message()))?;
        for (i, c) in e.cohort.iter().enumerate() {
            let at = |what: &str| format!("{file}: cohort[{i}] ({:?}).{what}", c.id);
            if c.figures.is_empty() {
                return Err(format!("{}: a cohort needs at least one figure", at("figures")));
            }
            if c.n.is_some_and(|n| !(n >= 1.0 && n.is_finite())) {
                return Err(format!("{}: a number of children, at least 1", at("n")));
            }
            let mut last = (0.0, 0.0);
            for (j, f) in c.figures.iter().enumerate() {
                let rises = f.years > last.0 && f.years <= 30.0 && f.share > last.1 && f.share < 1.0;
                if !rises || !(0.0..0.1).contains(&f.rounding) {
                    return Err(format!(
                        "{}: figures must rise in years (to 30) and share (below 1), with a rounding from 0 to 0.1",
                        at(&format!("figures[{j}]"))
                    ));
                }
                last = (f.years, f.share);
            }
        }
        Ok(e)
    }

    /// The shipped evidence.
    pub fn shipped() -> Evidence {
        Evidence::from_toml_str(SHIPPED, "scenarios/evidence/reentry.toml").expect("the shipped evidence is valid")
    }

    /// The evidence without the cohorts of `source`.
    pub fn without(&self, source: &str) -> Evidence {
        Evidence { cohort: self.cohort.iter().filter(|c| c.source != source).cloned().collect() }
    }
}

/// One risk-factor combination: its share of the children and its hazard ratio.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mix {
    pub weight: f64,
    pub ratio: f64,
}

/// The risk mix of a scenario's children at its point values: each combination of its risk
/// factors with its share and hazard ratio (independent factors, as `calibrate::cells`).
pub fn mix_of(sc: &crate::scenario::Scenario) -> Vec<Mix> {
    let v = sc.point_values();
    let prevalence: Vec<f64> = sc.model.risk_factors.iter().map(|r| v[r.prevalence.0]).collect();
    let ratios: Vec<f64> = sc.model.risk_factors.iter().map(|r| v[r.hr_reentry.0]).collect();
    crate::calibrate::cells(&prevalence, &ratios, crate::hazard::Effect { window: 0.0, ratio: 1.0 }, |_| 0.0)
        .into_iter()
        .map(|c| Mix { weight: c.weight, ratio: c.scale })
        .collect()
}

/// The risk mix of the default scenario (England 2012–13), which the national synthesis and
/// its cross-validation use.
pub fn shipped_mix() -> Vec<Mix> {
    let sc = crate::scenario::Scenario::from_toml_str(
        crate::scenario::shipped::ENGLAND_2012_13,
        "scenarios/england-2012-13.toml",
    )
    .expect("the shipped scenario is valid");
    mix_of(&sc)
}

/// A binomial observation of the model: cohort, times and the counts it stands for.
#[derive(Clone, Debug)]
struct Obs {
    cohort: usize,
    t_prev: f64,
    t: f64,
    /// Still at home at `t_prev`, and re-entered by `t`, as (possibly fractional) children.
    at_risk: f64,
    events: f64,
}

/// The posterior density of the synthesis.
#[derive(Clone, Debug)]
pub struct Model {
    pub mix: Vec<Mix>,
    pub knots: Vec<f64>,
    /// Per cohort: 1 for all exits, else 0.
    exits: Vec<f64>,
    obs: Vec<Obs>,
    pub cohort_ids: Vec<String>,
}

/// The weight of a figure `y` of `n` children, rounded to ±`r`, as a binomial's size.
pub fn effective_n(y: f64, n: Option<f64>, r: f64) -> f64 {
    let n = n.unwrap_or(UNKNOWN_N);
    let v = y * (1.0 - y);
    v / (v / n + r * r / 3.0)
}

impl Model {
    /// The model of `evidence` for children with the risk mix `mix`.
    pub fn new(evidence: &Evidence, mix: Vec<Mix>) -> Model {
        let mut obs = Vec::new();
        for (c, co) in evidence.cohort.iter().enumerate() {
            let (mut t_prev, mut y_prev) = (0.0, 0.0);
            for f in &co.figures {
                let n = effective_n(f.share, co.n, f.rounding);
                obs.push(Obs {
                    cohort: c,
                    t_prev,
                    t: f.years,
                    at_risk: n * (1.0 - y_prev),
                    events: n * (f.share - y_prev),
                });
                (t_prev, y_prev) = (f.years, f.share);
            }
        }
        Model {
            mix,
            knots: KNOTS.to_vec(),
            exits: evidence.cohort.iter().map(|c| f64::from(c.population == Population::AllExits)).collect(),
            obs,
            cohort_ids: evidence.cohort.iter().map(|c| c.id.clone()).collect(),
        }
    }

    /// The same model on other knots.
    pub fn with_knots(mut self, knots: Vec<f64>) -> Model {
        self.knots = knots;
        self
    }

    /// A model of the given observations (for tests): `(cohort, t, children, re-entered)`,
    /// each cohort's rows in time order, every cohort of returns home.
    pub fn of_counts(rows: &[(usize, f64, f64, f64)], cohorts: usize, mix: Vec<Mix>, knots: Vec<f64>) -> Model {
        let mut obs = Vec::new();
        let mut last: BTreeMap<usize, (f64, f64)> = BTreeMap::new();
        for &(c, t, n, k) in rows {
            let (tp, kp) = last.get(&c).copied().unwrap_or((0.0, 0.0));
            obs.push(Obs { cohort: c, t_prev: tp, t, at_risk: n - kp, events: k - kp });
            last.insert(c, (t, k));
        }
        Model { mix, knots, exits: vec![0.0; cohorts], obs, cohort_ids: (0..cohorts).map(|c| c.to_string()).collect() }
    }

    pub fn pieces(&self) -> usize {
        self.knots.len()
    }

    pub fn cohorts(&self) -> usize {
        self.exits.len()
    }

    /// Where each parameter sits: `β_k`, then `ln τ`, `δ`, then `z_c`.
    pub fn tau_index(&self) -> usize {
        self.pieces()
    }

    pub fn delta_index(&self) -> usize {
        self.pieces() + 1
    }

    fn z_index(&self, c: usize) -> usize {
        self.pieces() + 2 + c
    }

    /// The names of the parameters, in order.
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = (0..self.pieces()).map(|k| format!("log_rate_{k}")).collect();
        v.push("log_between_cohort_sd".into());
        v.push("all_exits_offset".into());
        v.extend(self.cohort_ids.iter().map(|c| format!("cohort_{c}")));
        v
    }

    fn overlap(&self, k: usize, t: f64) -> f64 {
        let a = self.knots[k];
        let b = self.knots.get(k + 1).copied().unwrap_or(f64::INFINITY);
        (t.min(b) - a).max(0.0)
    }

    /// `F(t)` for a hazard scaled by `e^s`, and its derivatives in each `β_k` and in `s`.
    fn share(&self, beta: &[f64], s: f64, t: f64, d_beta: &mut [f64]) -> (f64, f64) {
        let lam: f64 = (0..self.pieces()).map(|k| beta[k].exp() * self.overlap(k, t)).sum();
        let es = s.exp();
        let (mut f, mut g) = (0.0, 0.0);
        for m in &self.mix {
            let e = (-m.ratio * es * lam).exp();
            f += m.weight * (1.0 - e);
            g += m.weight * m.ratio * es * e;
        }
        for (k, d) in d_beta.iter_mut().enumerate() {
            *d = beta[k].exp() * self.overlap(k, t) * g;
        }
        (f, lam * g)
    }

    /// The share back in care by each of `times` for a cohort with log scale `s`.
    pub fn curve(&self, beta: &[f64], s: f64, times: &[f64]) -> Vec<f64> {
        let mut d = vec![0.0; self.pieces()];
        times.iter().map(|t| self.share(beta, s, *t, &mut d).0).collect()
    }

    /// The log prior and its gradient, added into `grad`.
    fn log_prior(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        let k = self.pieces();
        let mut lp = 0.0;
        let (m0, s0) = PRIOR_BETA0;
        lp -= 0.5 * ((x[0] - m0) / s0).powi(2);
        grad[0] -= (x[0] - m0) / (s0 * s0);
        for j in 1..k {
            let d = x[j] - x[j - 1];
            let v = PRIOR_STEP_SD * PRIOR_STEP_SD;
            lp -= 0.5 * d * d / v;
            grad[j] -= d / v;
            grad[j - 1] += d / v;
        }
        // τ half-normal, on ln τ with its Jacobian.
        let lt = x[self.tau_index()];
        let tau = lt.exp();
        let v = PRIOR_TAU_SCALE * PRIOR_TAU_SCALE;
        lp += -0.5 * tau * tau / v + lt;
        grad[self.tau_index()] += -tau * tau / v + 1.0;
        let (md, sd) = PRIOR_DELTA;
        let d = x[self.delta_index()];
        lp -= 0.5 * ((d - md) / sd).powi(2);
        grad[self.delta_index()] -= (d - md) / (sd * sd);
        for c in 0..self.cohorts() {
            let z = x[self.z_index(c)];
            lp -= 0.5 * z * z;
            grad[self.z_index(c)] -= z;
        }
        lp
    }

    /// `√(C/(C−1))`, which gives each sum-to-zero effect the spread τ (0 for one cohort,
    /// whose effect is then 0).
    fn kappa(&self) -> f64 {
        let c = self.cohorts() as f64;
        if c > 1.0 { (c / (c - 1.0)).sqrt() } else { 0.0 }
    }

    fn z_mean(&self, x: &[f64]) -> f64 {
        (0..self.cohorts()).map(|c| x[self.z_index(c)]).sum::<f64>() / self.cohorts().max(1) as f64
    }

    /// Cohort `c`'s effect `u_c`.
    pub fn effect(&self, x: &[f64], c: usize) -> f64 {
        x[self.tau_index()].exp() * self.kappa() * (x[self.z_index(c)] - self.z_mean(x))
    }

    /// The log scale of cohort `c`'s hazard.
    fn scale(&self, x: &[f64], c: usize) -> f64 {
        self.effect(x, c) + x[self.delta_index()] * self.exits[c]
    }

    /// Draws the parameters from the prior (for simulation-based calibration).
    pub fn draw_prior(&self, rng: &mut impl rand::Rng) -> Vec<f64> {
        let mut n = || -> f64 { StandardNormal.sample(rng) };
        let mut x = vec![0.0; self.dim_of()];
        x[0] = PRIOR_BETA0.0 + PRIOR_BETA0.1 * n();
        for k in 1..self.pieces() {
            x[k] = x[k - 1] + PRIOR_STEP_SD * n();
        }
        x[self.tau_index()] = (PRIOR_TAU_SCALE * n()).abs().ln();
        x[self.delta_index()] = PRIOR_DELTA.0 + PRIOR_DELTA.1 * n();
        for c in 0..self.cohorts() {
            x[self.z_index(c)] = n();
        }
        x
    }

    /// Each observation's probability at `x` (for simulating data from the model).
    pub fn probabilities(&self, x: &[f64]) -> Vec<f64> {
        let mut d = vec![0.0; self.pieces()];
        self.obs
            .iter()
            .map(|o| {
                let s = self.scale(x, o.cohort);
                let f = self.share(&x[..self.pieces()], s, o.t, &mut d).0;
                let fp = if o.t_prev > 0.0 { self.share(&x[..self.pieces()], s, o.t_prev, &mut d).0 } else { 0.0 };
                (f - fp) / (1.0 - fp)
            })
            .collect()
    }

    fn dim_of(&self) -> usize {
        self.pieces() + 2 + self.cohorts()
    }
}

impl nuts::Density for Model {
    fn dim(&self) -> usize {
        self.dim_of()
    }

    fn logp(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        grad.iter_mut().for_each(|g| *g = 0.0);
        let mut lp = self.log_prior(x, grad);
        let k = self.pieces();
        let beta = &x[..k];
        let (mut df, mut dfp) = (vec![0.0; k], vec![0.0; k]);
        for o in &self.obs {
            let s = self.scale(x, o.cohort);
            let (f, f_s) = self.share(beta, s, o.t, &mut df);
            let (fp, fp_s) = if o.t_prev > 0.0 {
                self.share(beta, s, o.t_prev, &mut dfp)
            } else {
                dfp.iter_mut().for_each(|d| *d = 0.0);
                (0.0, 0.0)
            };
            let q = ((f - fp) / (1.0 - fp)).clamp(1e-300, 1.0 - 1e-16);
            lp += o.events * q.ln() + (o.at_risk - o.events) * (1.0 - q).ln();
            let dq = o.events / q - (o.at_risk - o.events) / (1.0 - q);
            let (q_f, q_fp) = (1.0 / (1.0 - fp), (f - 1.0) / ((1.0 - fp) * (1.0 - fp)));
            for j in 0..k {
                grad[j] += dq * (q_f * df[j] + q_fp * dfp[j]);
            }
            let d_s = dq * (q_f * f_s + q_fp * fp_s);
            let tk = x[self.tau_index()].exp() * self.kappa();
            let n = self.cohorts() as f64;
            for j in 0..self.cohorts() {
                let own = if j == o.cohort { 1.0 } else { 0.0 };
                grad[self.z_index(j)] += d_s * tk * (own - 1.0 / n);
            }
            grad[self.tau_index()] += d_s * self.effect(x, o.cohort);
            grad[self.delta_index()] += d_s * self.exits[o.cohort];
        }
        lp
    }

    fn start(&self, chain: usize) -> Vec<f64> {
        let mut x = vec![0.0; self.dim_of()];
        // A gentle slope: a piece no figure reaches (beyond 5 years, say) then still has a
        // gradient from its random-walk prior.
        for (k, b) in x.iter_mut().enumerate().take(self.pieces()) {
            *b = PRIOR_BETA0.0 + 0.1 * chain as f64 - 0.15 - 0.05 * k as f64;
        }
        x[self.tau_index()] = -1.0 - 0.1 * chain as f64;
        // Off the prior's mode, where a parameter no datum informs (the all-exits offset of
        // evidence with no all-exits series) would have a gradient of exactly 0, which the
        // sampler refuses as a starting point.
        x[self.delta_index()] = PRIOR_DELTA.0 + 0.05 + 0.01 * chain as f64;
        for c in 0..self.cohorts() {
            x[self.z_index(c)] = 0.01 * (c + 1) as f64;
        }
        x
    }
}

/// A fitted synthesis: the model, its draws and their diagnostics.
pub struct Posterior {
    pub model: Model,
    pub draws: nuts::Draws,
    pub diagnostics: Vec<(String, diagnostics::Diagnostic)>,
}

/// The default plan: 4 chains of 1,000 draws after 1,000 of warm-up.
pub fn default_plan(seed: u64) -> nuts::Plan {
    nuts::Plan { chains: 4, tune: 1000, draws: 1000, seed, low_rank: false }
}

/// Fits `model` by `plan`, and when a parameter misses R̂ ≤ 1.01 or ESS ≥ 400, again with
/// twice the warm-up and draws and a low-rank mass matrix (for posteriors whose parameters
/// are correlated, as the all-exits offset and a lone all-exits cohort's effect are), up to
/// four times the plan; the last fit is returned, and [`Posterior::converged`] says whether
/// it may be shipped.
pub fn fit_until_converged(model: Model, plan: &nuts::Plan, parallel: bool) -> Result<Posterior, nuts::SampleError> {
    let mut p = *plan;
    loop {
        let post = fit(model.clone(), &p, parallel)?;
        if post.converged() || p.draws >= 4 * plan.draws {
            return Ok(post);
        }
        p = nuts::Plan { tune: 2 * p.tune, draws: 2 * p.draws, low_rank: true, ..p };
    }
}

/// Fits `model` by `plan`.
pub fn fit(model: Model, plan: &nuts::Plan, parallel: bool) -> Result<Posterior, nuts::SampleError> {
    let draws = nuts::sample(&model, plan, parallel)?;
    let diagnostics =
        model.names().into_iter().enumerate().map(|(j, n)| (n, diagnostics::diagnose(&draws.param(j)))).collect();
    Ok(Posterior { model, draws, diagnostics })
}

impl Posterior {
    /// Whether every parameter meets R̂ ≤ 1.01 and ESS ≥ 400.
    pub fn converged(&self) -> bool {
        self.diagnostics.iter().all(|(_, d)| d.ok())
    }

    /// The posterior predictive share back in care by `t` for a *new* cohort of
    /// `population`: one value per draw, each with its own new cohort effect, drawn from the
    /// keyed stream `(seed, 0, ALL_AUTHORITIES, 0, Posterior)`'s successor, so it is the same
    /// on any number of threads.
    pub fn predictive(&self, t: f64, population: Population, seed: u64) -> Vec<f64> {
        let m = &self.model;
        let mut rng = stream(seed, 1, ALL_AUTHORITIES, 0, Purpose::Posterior);
        let a = f64::from(population == Population::AllExits);
        self.draws
            .all()
            .map(|x| {
                let z: f64 = StandardNormal.sample(&mut rng);
                let spread = (1.0 + 1.0 / m.cohorts().max(1) as f64).sqrt();
                let s = x[m.tau_index()].exp() * spread * z + x[m.delta_index()] * a;
                m.curve(&x[..m.pieces()], s, &[t])[0]
            })
            .collect()
    }

    /// The curve of a typical cohort (cohort effect 0) of returns home, by draw.
    pub fn typical(&self, t: f64) -> Vec<f64> {
        let m = &self.model;
        self.draws.all().map(|x| m.curve(&x[..m.pieces()], 0.0, &[t])[0]).collect()
    }
}

/// The interval score of a central 95% interval (Gneiting and Raftery 2007): its width, plus
/// 2/α times how far the truth lies outside it; lower is better, and a wide interval is not
/// free.
pub fn interval_score(lo: f64, hi: f64, y: f64) -> f64 {
    let alpha = 0.05;
    (hi - lo) + 2.0 / alpha * ((lo - y).max(0.0) + (y - hi).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use nuts::Density;

    /// The analytic gradient matches central finite differences of the log density.
    #[test]
    fn the_gradient_is_the_derivative_of_the_log_density() {
        let mix = vec![Mix { weight: 0.6, ratio: 1.0 }, Mix { weight: 0.4, ratio: 1.8 }];
        let m = Model::new(&Evidence::shipped(), mix);
        let mut rng = stream(3, 0, 0, 0, Purpose::Posterior);
        for _ in 0..5 {
            // Near where the posterior is (a prior draw may put every share at 1, where the
            // clamped likelihood is flat).
            let x: Vec<f64> = m
                .start(0)
                .iter()
                .map(|v| {
                    let e: f64 = StandardNormal.sample(&mut rng);
                    v + 0.3 * e
                })
                .collect();
            let mut g = vec![0.0; m.dim()];
            m.logp(&x, &mut g);
            for j in 0..m.dim() {
                let h = 1e-6;
                let (mut a, mut b) = (x.clone(), x.clone());
                a[j] += h;
                b[j] -= h;
                let mut scratch = vec![0.0; m.dim()];
                let fd = (m.logp(&a, &mut scratch) - m.logp(&b, &mut scratch)) / (2.0 * h);
                assert!((fd - g[j]).abs() <= 1e-4 * (1.0 + fd.abs()), "parameter {j}: {} against {fd}", g[j]);
            }
        }
    }

    #[test]
    fn the_interval_score_charges_width_and_misses() {
        assert!((interval_score(0.1, 0.2, 0.15) - 0.1).abs() < 1e-12);
        assert!((interval_score(0.1, 0.2, 0.25) - (0.1 + 40.0 * 0.05)).abs() < 1e-12);
    }
}
