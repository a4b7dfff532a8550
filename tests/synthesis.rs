//! The national evidence synthesis' sampler is correct, not only that it ran (issue #36):
//!
//! - an analytic case with a conjugate answer: a beta prior and a binomial likelihood, sampled
//!   on the log-odds with its Jacobian, give the Beta(a + k, b + n − k) posterior's mean, sd
//!   and quantiles within Monte Carlo error;
//! - simulation-based calibration (Talts, Betancourt, Simpson, Vehtari and Gelman 2018):
//!   parameters drawn from the prior, figures simulated from them, the model fitted, and the
//!   rank of each true value among the posterior draws is uniform (χ² over 10 bins);
//! - data that dominate the prior recover the deterministic calibration (`calibrate.rs`);
//! - the shipped evidence's posterior converges: split R̂ ≤ 1.01 and bulk and tail ESS ≥ 400
//!   for every parameter, on 4 chains of 1,000 draws.

use rand_distr::Distribution;
use reunify::rng::{ALL_AUTHORITIES, Purpose, stream};
use reunify::synthesis::nuts::{Density, Plan, sample};
use reunify::synthesis::{self, Evidence, Mix, Model, diagnostics};

/// Beta(a, b) prior on p with k of n: sampled as θ = logit p.
struct BetaBinomial {
    a: f64,
    b: f64,
    n: f64,
    k: f64,
}

impl Density for BetaBinomial {
    fn dim(&self) -> usize {
        1
    }
    fn logp(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        // p = σ(θ); log p(θ) = (a + k) ln p + (b + n − k) ln(1 − p) (the Jacobian p(1 − p)
        // adds one to each exponent of the density in p).
        let t = x[0];
        let (lp, lq) = (-(-t).exp().ln_1p(), -t.exp().ln_1p());
        let (alpha, beta) = (self.a + self.k, self.b + self.n - self.k);
        let p = 1.0 / (1.0 + (-t).exp());
        grad[0] = alpha * (1.0 - p) - beta * p;
        alpha * lp + beta * lq
    }
    fn start(&self, chain: usize) -> Vec<f64> {
        vec![chain as f64 * 0.5 - 1.0]
    }
}

#[test]
fn a_conjugate_beta_binomial_posterior_is_recovered() {
    let d = BetaBinomial { a: 2.0, b: 3.0, n: 40.0, k: 9.0 };
    let draws = sample(&d, &Plan { chains: 4, tune: 1000, draws: 2000, seed: 5, low_rank: false }, false).unwrap();
    let p: Vec<f64> = draws.all().map(|x| 1.0 / (1.0 + (-x[0]).exp())).collect();
    let (alpha, beta): (f64, f64) = (11.0, 34.0);
    let mean = alpha / (alpha + beta);
    let sd = (alpha * beta / ((alpha + beta).powi(2) * (alpha + beta + 1.0))).sqrt();
    let diag = diagnostics::diagnose(&draws.param(0));
    let mcse = sd / diag.ess_bulk.sqrt();
    let m = p.iter().sum::<f64>() / p.len() as f64;
    let s = (p.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (p.len() - 1) as f64).sqrt();
    println!("beta-binomial: mean {m:.4} (exact {mean:.4}), sd {s:.4} (exact {sd:.4}), {diag:?}");
    assert!((m - mean).abs() < 4.0 * mcse, "mean {m} against {mean} (MCSE {mcse})");
    assert!((s / sd - 1.0).abs() < 0.05, "sd {s} against {sd}");
    // The 2.5% and 97.5% quantiles of Beta(11, 34), from the regularised incomplete beta.
    use statrs::distribution::{Beta, ContinuousCDF};
    let exact = Beta::new(alpha, beta).unwrap();
    for q in [0.025, 0.5, 0.975] {
        let got = diagnostics::quantile(&p, q);
        let cdf = exact.cdf(got);
        assert!((cdf - q).abs() < 0.01, "quantile {q}: {got} has exact CDF {cdf}");
    }
    assert!(diag.ok(), "{diag:?}");
}

/// A small synthesis for SBC: four cohorts of returns home with one or two figures each, at
/// sizes like the sources'.
fn sbc_design() -> (Vec<(usize, f64, f64)>, usize) {
    // (cohort, years, children)
    (vec![(0, 0.25, 800.0), (0, 2.0, 800.0), (1, 1.0, 400.0), (2, 0.5, 1500.0), (2, 5.0, 1500.0), (3, 1.0, 600.0)], 4)
}

fn binomial(n: f64, p: f64, rng: &mut impl rand::Rng) -> f64 {
    use rand_distr::Binomial;
    Binomial::new(n as u64, p.clamp(0.0, 1.0)).unwrap().sample(rng) as f64
}

#[test]
fn simulation_based_calibration_gives_uniform_ranks() {
    let (design, cohorts) = sbc_design();
    let mix = vec![Mix { weight: 0.7, ratio: 1.0 }, Mix { weight: 0.3, ratio: 2.0 }];
    let knots = vec![0.0, 0.25, 1.0, 3.0];
    let template = Model::of_counts(
        &design.iter().map(|(c, t, n)| (*c, *t, *n, 0.0)).collect::<Vec<_>>(),
        cohorts,
        mix.clone(),
        knots.clone(),
    );
    let reps = 120;
    let draws_kept = 99;
    let bins = 10;
    // Parameters ranked: the first and last log rates, ln τ, and one cohort's effect.
    let watched = [0usize, 3, 4, 7];
    let mut counts = vec![vec![0usize; bins]; watched.len()];
    for rep in 0..reps {
        let mut rng = stream(2024, rep, ALL_AUTHORITIES, 0, Purpose::Trial);
        let truth = template.draw_prior(&mut rng);
        // Simulate the cumulative counts cohort by cohort: sequential binomials of those still home.
        let probs = template.probabilities(&truth);
        let mut rows = Vec::new();
        let mut home: std::collections::BTreeMap<usize, (f64, f64)> = Default::default();
        for ((c, t, n), q) in design.iter().zip(&probs) {
            let (at_home, so_far) = home.get(c).copied().unwrap_or((*n, 0.0));
            let k = binomial(at_home, *q, &mut rng);
            rows.push((*c, *t, *n, so_far + k));
            home.insert(*c, (at_home - k, so_far + k));
        }
        let model = Model::of_counts(&rows, cohorts, mix.clone(), knots.clone());
        let d = sample(&model, &Plan { chains: 2, tune: 400, draws: 500, seed: rep, low_rank: false }, false).unwrap();
        let all: Vec<&Vec<f64>> = d.all().collect();
        // Thin to `draws_kept` roughly independent draws.
        let step = all.len() / draws_kept;
        for (w, &j) in watched.iter().enumerate() {
            let rank = (0..draws_kept).filter(|i| all[i * step][j] < truth[j]).count();
            counts[w][rank * bins / (draws_kept + 1)] += 1;
        }
    }
    // χ² with 9 degrees of freedom: 27.9 is its 0.1% point.
    for (w, c) in counts.iter().enumerate() {
        let e = reps as f64 / bins as f64;
        let chi2: f64 = c.iter().map(|o| (*o as f64 - e).powi(2) / e).sum();
        println!("SBC parameter {}: ranks by bin {c:?}, χ² {chi2:.1}", watched[w]);
        assert!(chi2 < 27.9, "parameter {}: ranks {c:?} are not uniform (χ² {chi2:.1})", watched[w]);
    }
}

#[test]
fn data_that_dominate_the_prior_recover_the_deterministic_calibration() {
    let mix = synthesis::shipped_mix();
    // The DfE data pack's three figures, as if from ten million children.
    let targets = [(14.0 / 365.25 * 1.0, 0.024), (2.0, 0.249), (5.0, 0.30)];
    let rows: Vec<(usize, f64, f64, f64)> = targets.iter().map(|(t, y)| (0, *t, 1e7, 1e7 * y)).collect();
    let knots = vec![0.0, 14.0 / 365.25, 2.0];
    let model = Model::of_counts(&rows, 1, mix.clone(), knots.clone());
    let post =
        synthesis::fit(model, &Plan { chains: 4, tune: 800, draws: 500, seed: 9, low_rank: false }, false).unwrap();
    // The cohort's own hazard: e^(β_k + τ z).
    let m = &post.model;
    let cells: Vec<reunify::calibrate::Cell> = mix
        .iter()
        .map(|x| reunify::calibrate::Cell {
            weight: x.weight,
            scale: x.ratio,
            engaged: 0.0,
            effect: reunify::hazard::Effect { window: 0.0, ratio: 1.0 },
        })
        .collect();
    let (h, _) = reunify::calibrate::calibrate(&knots, &targets, &cells).unwrap();
    for k in 0..3 {
        let rates: Vec<f64> = post.draws.all().map(|x| (x[k] + m.effect(x, 0)).exp()).collect();
        let median = diagnostics::quantile(&rates, 0.5);
        let exact = h.rates()[k];
        println!("piece {k}: posterior median rate {median:.5}, calibrated {exact:.5}");
        assert!((median / exact - 1.0).abs() < 0.01, "piece {k}: {median} against {exact}");
    }
}

#[test]
fn the_shipped_evidence_s_posterior_converges() {
    let model = Model::new(&Evidence::shipped(), synthesis::shipped_mix());
    let post = synthesis::fit(model, &synthesis::default_plan(1), true).unwrap();
    for (name, d) in &post.diagnostics {
        println!("{name}: R̂ {:.4}, bulk ESS {:.0}, tail ESS {:.0}", d.rhat, d.ess_bulk, d.ess_tail);
    }
    println!("divergences: {}", post.draws.divergences);
    assert!(post.converged(), "{:#?}", post.diagnostics);
    // The same seed gives the same draws, chains in parallel or one after another.
    let again = synthesis::fit(post.model.clone(), &synthesis::default_plan(1), false).unwrap();
    assert_eq!(again.draws.draws, post.draws.draws);
}
