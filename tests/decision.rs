//! Decision analyses: break-even, tornado, acceptability and value of information.

mod common;

use common::{run, scenario};
use reunify::decision::{Resimulation, acceptability};
use reunify::rng::{Purpose, stream};
use reunify::sample::{BaseCase, SAMPLE_CHILDREN, Sampler};
use reunify::scenario::Scenario;
use reunify::voi::{evpi, evppi, value_of_information};

fn holmes() -> Scenario {
    let text = std::fs::read_to_string("scenarios/holmes-2014.toml").unwrap();
    // The annual figures are one cohort's: the scenario's [budget] (flow mode) is set aside.
    Scenario::from_toml_str(&text, "holmes-2014.toml").unwrap().cohort_mode()
}

/// The default scenario with `children` children in its one authority.
fn default_with(children: u64) -> Scenario {
    let text = std::fs::read_to_string("scenarios/england-2012-13.toml")
        .unwrap()
        .replace("children = 10080", &format!("children = {children}"));
    Scenario::from_toml_str(&text, "big.toml").unwrap()
}

/// The scenario's own base case, as a run gives it to the analyses.
fn base_case(sc: &Scenario) -> BaseCase {
    BaseCase::of_result(&reunify::sim::run_iteration(sc, sc.meta.seed, 0, sc.point_values()).unwrap())
}

fn net_saving_at(sc: &Scenario, key: &str, value: f64) -> f64 {
    let mut v = sc.point_values();
    let i = sc.params.iter().position(|p| p.key == key).unwrap();
    v[i] = value;
    let r = reunify::sim::run_iteration(sc, sc.meta.seed, 0, v).unwrap();
    reunify::price::iteration_metrics(&r, reunify::price::View::Total).decisions[1][reunify::metric::Metric::NetSaving]
}

#[test]
fn holmes_break_even_is_56_72m_over_61_614() {
    let sc = holmes();
    let b = &Resimulation::simulate(&sc, sc.meta.seed).unwrap().breakeven().unwrap()[0];
    assert!((b.breakdowns_to_avert.unwrap() - 10080.0 * 5627.0 / 61614.0).abs() < 1e-6);
    assert!((b.cost_per_breakdown.unwrap() - 61614.0).abs() < 1e-6);
    // 47% → about 38%: the comparator rate is a simulated binomial share of 10,080 children.
    let se = (0.47 * 0.53 / 10080.0f64).sqrt();
    assert!((b.comparator_rate.unwrap() - 4738.0 / 10080.0).abs() < 4.0 * se);
    assert!((b.breakeven_rate.unwrap() - (b.comparator_rate.unwrap() - 920.6 / 10080.0)).abs() < 1e-4);
}

#[test]
fn the_break_even_hazard_ratio_and_price_make_support_cost_neutral() {
    let sc = holmes();
    let b = &Resimulation::simulate(&sc, sc.meta.seed).unwrap().breakeven().unwrap()[0];
    let hr = b.breakeven_hazard_ratio.expect("Holmes support can pay for itself");
    // Net saving changes sign across the solved ratio (it is a step function of the ratio).
    assert!(net_saving_at(&sc, "strategy.support-for-all.hr_reentry", hr * 0.999) >= 0.0);
    assert!(net_saving_at(&sc, "strategy.support-for-all.hr_reentry", hr * 1.001) < 0.0);
    // At the maximum affordable price the strategy is exactly cost-neutral.
    let net = net_saving_at(&sc, "strategy.support-for-all.cost", b.max_affordable_price.unwrap());
    assert!(net.abs() < 1e-6 * b.support_cost, "{net}");
}

const RICH: &str = r#"
[reentry]
knots_years = [0.0, 1.0]
calibrate_to = [ { years = 1.0, share = 0.2 }, { years = 5.0, share = { dist = "beta", mean = 0.3, sd = 0.02 } } ]

[maltreatment]
knots_years = [0.0]
calibrate_to = [ { years = 2.0, share = { dist = "beta", mean = 0.46, sd = 0.04 } } ]

[[cost]]
name = "breakdown"
amount = { dist = "gamma", mean = 61614, sd = 10000 }
basis = "per_breakdown"

[[strategy]]
name = "usual-care"
eligibility = "none"

[[strategy]]
name = "support"
take_up = { dist = "beta", mean = 0.8, sd = 0.05 }
hr_reentry = { dist = "lognormal", median = 0.6, ci95 = [0.3, 1.2] }
cost = 5627
"#;

#[test]
fn the_tornado_ranks_the_effect_first_and_gives_unrelated_inputs_no_swing() {
    let sc = scenario(4000, 5.0, RICH);
    let t = Resimulation::simulate(&sc, 1).unwrap().tornado().unwrap();
    assert_eq!(t.rows.len(), 5);
    assert!(t.rows.windows(2).all(|w| w[0].swing >= w[1].swing));
    assert_eq!(t.rows[0].parameter, "strategy.support.hr_reentry");
    // Maltreatment carries no cost here, and its draws are separate from re-entry's, so under
    // common random numbers it cannot move the net saving at all.
    let m = t.rows.iter().find(|r| r.parameter.starts_with("maltreatment.")).unwrap();
    assert_eq!(m.swing, 0.0);
    // A stronger effect (low hazard ratio) saves more.
    assert!(t.rows[0].low_net_saving > t.rows[0].high_net_saving);
}

/// A price moves no child's path, so the tornado re-prices the base case's tallies for a
/// price's bars instead of simulating again: each such bar end equals the net saving of a
/// fresh simulation at that price.
#[test]
fn the_tornado_prices_a_price_bar_as_a_fresh_simulation_would() {
    let sc = scenario(4000, 5.0, &RICH.replace("cost = 5627", "cost = { dist = \"gamma\", mean = 5627, sd = 800 }"));
    let t = Resimulation::simulate(&sc, sc.meta.seed).unwrap().tornado().unwrap();
    let prices = ["cost.breakdown.amount", "strategy.support.cost"];
    for key in prices {
        let row = t.rows.iter().find(|r| r.parameter == key).unwrap();
        assert_eq!(row.low_net_saving_mc_error, 0.0, "every child simulated");
        for (value, net) in [(row.low_value, row.low_net_saving), (row.high_value, row.high_net_saving)] {
            let fresh = net_saving_at(&sc, key, value);
            assert!((net - fresh).abs() <= 1e-9 * fresh.abs().max(1.0), "{key} at {value}: {net} against {fresh}");
        }
    }
    // And the bars differ from the base case: the prices do move the net saving.
    assert!(t.rows.iter().filter(|r| prices.contains(&r.parameter.as_str())).all(|r| r.swing > 0.0));
}

#[test]
fn acceptability_falls_with_price_and_matches_p_saves_at_a_fixed_price() {
    let sc = scenario(3000, 5.0, RICH);
    let r = reunify::digest::RunDigest::of(&run(&sc, true));
    let curve = acceptability(&sc, &r, 60);
    assert_eq!(curve.len(), 61);
    assert!(curve.windows(2).all(|w| w[1].probability <= w[0].probability));
    let at_price = curve.iter().find(|p| p.price == 5627.0).unwrap();
    let rows =
        reunify::analysis::summarise(&r, &["usual-care".into(), "support".into()], "all", reunify::price::View::Total);
    let p = reunify::analysis::find(
        &rows,
        "support",
        reunify::analysis::Kind::Increment,
        reunify::metric::Metric::SavesMoney,
    )
    .unwrap()
    .mean
    .unwrap();
    assert_eq!(at_price.probability, p);
}

/// Standard normal draws from a keyed stream.
fn normals(n: usize, key: u64) -> Vec<f64> {
    use rand_distr::{Distribution, StandardNormal};
    let mut rng = stream(99, key, 0, 0, Purpose::Parameter);
    (0..n).map(|_| StandardNormal.sample(&mut rng)).collect()
}

fn phi(x: f64) -> f64 {
    use statrs::distribution::{Continuous, Normal};
    Normal::standard().pdf(x)
}

fn big_phi(x: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    Normal::standard().cdf(x)
}

/// E[max(0, a + s·Z)] − max(0, a) for Z ~ N(0, 1).
fn gain(a: f64, s: f64) -> f64 {
    s * phi(a / s) + a * big_phi(a / s) - a.max(0.0)
}

#[test]
fn evppi_recovers_the_closed_form_for_a_linear_gaussian_net_benefit() {
    let n = 20_000;
    let (x, z, u) = (normals(n, 1), normals(n, 2), normals(n, 3));
    let (a, b, c) = (0.3, 1.0, 0.6);
    let inb: Vec<f64> = (0..n).map(|i| a + b * x[i] + c * z[i]).collect();
    let inb = vec![inb];
    let exact_x = gain(a, b);
    let exact_all = gain(a, (b * b + c * c).sqrt());
    let est_x = evppi(&inb, &[&x]);
    let est_all = evpi(&inb);
    // Monte Carlo standard error of a mean of max(0, ·) over n draws: at most sd/√n.
    let se = (b * b + c * c).sqrt() / (n as f64).sqrt();
    assert!((est_x - exact_x).abs() < 4.0 * se, "EVPPI {est_x} vs {exact_x}");
    assert!((est_all - exact_all).abs() < 4.0 * se, "EVPI {est_all} vs {exact_all}");
    assert!(est_x <= est_all);
    // An input unrelated to the net benefit is worth about nothing.
    let est_u = evppi(&inb, &[&u]);
    assert!(est_u >= 0.0 && est_u < 4.0 * se, "{est_u}");
}

#[test]
fn scenario_evppi_is_non_negative_and_bounded_by_evpi() {
    let sc = scenario(2000, 5.0, &RICH.replace("iterations = 20", ""));
    let r = reunify::digest::RunDigest::of(&run(&sc, true));
    let rows = value_of_information(&sc, &r, 3.0);
    let evpi = rows.iter().find(|r| r.kind == "all").unwrap().per_cohort;
    assert!(evpi >= 0.0);
    for row in rows.iter().filter(|r| r.kind != "all") {
        assert!(row.per_cohort >= 0.0, "{row:?}");
        assert!(row.per_cohort <= evpi + 1e-9 * evpi.abs().max(1.0), "{row:?} exceeds EVPI {evpi}");
        assert!((row.population - 3.0 * row.per_cohort).abs() < 1e-6 * row.per_cohort.abs().max(1.0));
    }
}

/// The two-way grid is exact where it can be checked by hand: net saving is linear in the
/// price at every effect, and at the scenario's own effect it crosses zero at the break-even
/// price that `breakeven` finds.
#[test]
fn the_two_way_grid_is_linear_in_price_and_crosses_zero_at_the_break_even_price() {
    let sc = holmes();
    let base = base_case(&sc);
    // However small the first sample asked for, a cohort of at most SAMPLE_CHILDREN is whole.
    assert!(sc.total_children() <= SAMPLE_CHILDREN);
    let (grid, sampled) = Resimulation::new(&sc, sc.meta.seed, base).first_sample(1_000).two_way(19, 60).unwrap();
    assert_eq!(sampled, None, "holmes-2014's 10,080 children are re-simulated whole");
    assert!(grid.iter().all(|p| p.mc_error == 0.0));
    assert_eq!(grid.len(), 19 * 61);
    let b = &Resimulation::simulate(&sc, sc.meta.seed).unwrap().breakeven().unwrap()[0];
    let at = |hr: f64| -> Vec<(f64, f64)> {
        grid.iter().filter(|p| (p.hazard_ratio - hr).abs() < 1e-12).map(|p| (p.price, p.net_saving)).collect()
    };
    let hrs: std::collections::BTreeSet<u64> = grid.iter().map(|p| p.hazard_ratio.to_bits()).collect();
    for hr in hrs {
        let row = at(f64::from_bits(hr));
        let slope = (row[1].1 - row[0].1) / (row[1].0 - row[0].0);
        for w in row.windows(2) {
            let s = (w[1].1 - w[0].1) / (w[1].0 - w[0].0);
            assert!(
                (s - slope).abs() <= 1e-9 * slope.abs(),
                "not linear in price at hazard ratio {}",
                f64::from_bits(hr)
            );
        }
    }
    // The scenario's effect (0.80 in holmes-2014) is a grid point: 0.3 + 10 × 0.05.
    let row = at(b.scenario_hazard_ratio);
    assert_eq!(row.len(), 61, "the scenario's hazard ratio {} is on the grid", b.scenario_hazard_ratio);
    let (p0, n0) = row[0];
    let (p1, n1) = row[1];
    let zero = p0 - n0 * (p1 - p0) / (n1 - n0);
    let expected = b.max_affordable_price.unwrap();
    assert!((zero - expected).abs() < 1e-6 * expected, "{zero} vs {expected}");
}

/// A cohort of 60,000 re-simulated by a sample of 8 groups of 1,500 children: every estimate
/// lies within 4 of its reported Monte Carlo standard errors of the figure from re-simulating
/// all 60,000 (the same base case, the same seed), and the errors are real (above 0) where
/// the sample cannot be exact.
#[test]
fn a_sampled_analysis_is_within_its_reported_error_of_the_whole_cohort() {
    let sc = default_with(60_000);
    let seed = sc.meta.seed;
    let base = base_case(&sc);
    let whole = Sampler::new(&sc, u64::MAX);
    let sample = Sampler::new(&sc, 12_000);
    assert!(whole.exact() && !sample.exact());
    assert_eq!((sample.children, sample.of), (12_000, 60_000));
    let within = |what: &str, sampled: f64, se: f64, exact: f64| {
        assert!((sampled - exact).abs() <= 4.0 * se + 1e-9 * exact.abs(), "{what}: {sampled} ± {se} vs {exact}");
    };

    let (be_s, be_w) = (
        Resimulation::new(&sc, seed, base.clone()).on(sample.clone()).breakeven().unwrap(),
        Resimulation::new(&sc, seed, base.clone()).on(whole.clone()).breakeven().unwrap(),
    );
    for (s, w) in be_s.iter().zip(&be_w) {
        let se = s.breakeven_hazard_ratio_mc_error.unwrap();
        assert!(se > 0.0 && w.breakeven_hazard_ratio_mc_error.is_none());
        within("break-even hazard ratio", s.breakeven_hazard_ratio.unwrap(), se, w.breakeven_hazard_ratio.unwrap());
        // Figures read off the base case are the same either way.
        assert_eq!((s.max_affordable_price, s.breakdowns_to_avert), (w.max_affordable_price, w.breakdowns_to_avert));
        assert_eq!((s.resimulated_children, w.resimulated_children), (Some(12_000), None));
    }

    let (t_s, t_w) = (
        Resimulation::new(&sc, seed, base.clone()).on(sample.clone()).tornado().unwrap(),
        Resimulation::new(&sc, seed, base.clone()).on(whole.clone()).tornado().unwrap(),
    );
    assert_eq!(t_s.base, t_w.base, "both start from the run's own base case");
    let mut errors = 0;
    for s in &t_s.rows {
        let w = t_w.rows.iter().find(|w| w.strategy == s.strategy && w.parameter == s.parameter).unwrap();
        assert_eq!((w.low_net_saving_mc_error, w.high_net_saving_mc_error), (0.0, 0.0));
        within(&s.parameter, s.low_net_saving, s.low_net_saving_mc_error, w.low_net_saving);
        within(&s.parameter, s.high_net_saving, s.high_net_saving_mc_error, w.high_net_saving);
        errors += usize::from(s.low_net_saving_mc_error > 0.0);
    }
    assert!(errors > 10, "only {errors} bars carry an error");

    let (w_s, w_w) = (
        Resimulation::new(&sc, seed, base.clone()).on(sample.clone()).two_way(7, 6).unwrap().0,
        Resimulation::new(&sc, seed, base.clone()).on(whole.clone()).two_way(7, 6).unwrap().0,
    );
    for (s, w) in w_s.iter().zip(&w_w) {
        assert_eq!((s.hazard_ratio, s.price), (w.hazard_ratio, w.price));
        within("two-way", s.net_saving, s.mc_error, w.net_saving);
    }
    assert!(w_s.iter().filter(|p| p.mc_error > 0.0).count() > w_s.len() / 2);
}

/// What a sampled figure must be below: a hundredth of the width its chart draws, which
/// always includes £0, and never less than half a pound.
#[test]
fn a_chart_is_read_to_a_hundredth_of_the_width_it_draws_from_zero() {
    use reunify::decision::resolution;
    assert_eq!(resolution([-3000.0, -1000.0].into_iter()), 30.0, "£0 to −£3,000");
    assert_eq!(resolution([500.0, 2500.0].into_iter()), 25.0, "£0 to £2,500");
    assert_eq!(resolution([-1000.0, 4000.0, 200.0].into_iter()), 50.0);
    assert_eq!(resolution([f64::NAN, -2000.0].into_iter()), 20.0, "a missing value is not a value");
    assert_eq!(resolution([10.0, 20.0].into_iter()), 0.5, "never below half a pound");
    assert_eq!(resolution(std::iter::empty()), 0.5);
}

/// Each re-simulating analysis of a 1,000,000-child cohort, started from a sample of 20,000,
/// settles on a sample (grown where it must be) whose every Monte Carlo error is below the
/// rounding of what it shows (0.005 on the break-even ratio; a hundredth of the chart's width
/// for the tornado and the two-way grid), well short of the whole cohort.
#[test]
fn each_sampled_analysis_settles_on_a_sample_whose_errors_are_below_what_it_shows() {
    use reunify::decision::{HR_ROUNDING, resolution};
    let sc = default_with(1_000_000);
    let seed = sc.meta.seed;
    let base = base_case(&sc);
    let sampled = |n: Option<u64>| {
        let n = n.expect("a sample, not the whole cohort");
        assert!((20_000..500_000).contains(&n), "settled on {n} children");
        n
    };

    for b in Resimulation::new(&sc, seed, base.clone()).first_sample(20_000).breakeven().unwrap() {
        sampled(b.resimulated_children);
        assert!(b.breakeven_hazard_ratio_mc_error.unwrap() < HR_ROUNDING, "{b:?}");
    }

    let t = Resimulation::new(&sc, seed, base.clone()).first_sample(20_000).tornado().unwrap();
    // 20,000 children leave the tornado's errors over a hundredth, so its sample grew.
    assert!(sampled(t.resimulated_children) > 20_000);
    assert!(t.error_ratio() <= 1.0);
    for (name, net, _) in &t.base {
        let rows: Vec<_> = t.rows.iter().filter(|r| &r.strategy == name).collect();
        let tol = resolution(rows.iter().flat_map(|r| [r.low_net_saving, r.high_net_saving]).chain([*net]));
        assert!(tol > 1e6, "{name}: the chart spans {tol} × 100");
        for r in &rows {
            assert!(r.low_net_saving_mc_error.max(r.high_net_saving_mc_error) <= tol, "{r:?} against {tol}");
        }
        assert!(rows.iter().any(|r| r.low_net_saving_mc_error > 0.0), "{name}: sampled bars carry an error");
    }

    let (grid, n) = Resimulation::new(&sc, seed, base).first_sample(20_000).two_way(7, 6).unwrap();
    sampled(n);
    for st in ["support-for-all", "targeted-support"] {
        let these: Vec<_> = grid.iter().filter(|p| p.strategy == st).collect();
        let tol = resolution(these.iter().map(|p| p.net_saving));
        assert!(these.iter().all(|p| p.mc_error <= tol), "{st}");
    }
}

/// The growing rule: errors fall as 1/√children, so a sample whose worst error is twice its
/// tolerance grows about 5.2 times, and one that would reach half the cohort becomes it.
#[test]
fn a_sample_grows_by_the_square_of_its_error_ratio_and_ends_as_the_whole_cohort() {
    let sc = default_with(1_000_000);
    let s = Sampler::new(&sc, 40_000);
    assert_eq!(s.children, 40_000);
    assert_eq!(s.larger(&sc, 2.0).children, 208_000);
    assert_eq!(s.larger(&sc, 0.5).children, 80_000, "at least twice");
    assert!(s.larger(&sc, 4.0).exact(), "832,000 is more than half the cohort");
    // Each authority is split into groups with their own names, so their own random streams.
    let names: std::collections::BTreeSet<&str> = s.scenario().authorities.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names.len(), reunify::sample::SAMPLE_GROUPS);
}

/// With no `[decision]` values, the willingness-to-pay curves at £0 are the cash-only answers
/// exactly: each strategy's expected net benefit is its mean net saving, and EVPI is the
/// cash-only EVPI that `evppi.csv` reports. The frontier's ICERs follow from its own rows.
#[test]
fn at_zero_willingness_to_pay_the_curves_are_today_s_cash_only_answers() {
    let sc = Scenario::from_toml_str(&std::fs::read_to_string("scenarios/england-2012-13.toml").unwrap(), "x").unwrap();
    assert_eq!(sc.values, reunify::scenario::Values::default());
    let r = reunify::sim::run(&sc, reunify::sim::RunOptions { seed: 7, iterations: 60, base_case_only: false }, &|| {})
        .unwrap();
    let run = reunify::digest::RunDigest::of(&r);
    let (points, frontier) = reunify::wtp::analyse(&sc, &run, 40, 3.0);
    assert_eq!(points.len(), 41 * 3);
    let net = reunify::metric::Metric::NetSaving;
    let inb: Vec<Vec<f64>> =
        (1..3).map(|s| run.psa.iter().map(|d| d.decisions(reunify::price::View::Total, s)[net]).collect()).collect();
    for (s, name) in ["support-for-all", "targeted-support"].iter().enumerate() {
        let at0 = points.iter().find(|p| p.wtp == 0.0 && &p.strategy == name).unwrap();
        let mean = inb[s].iter().sum::<f64>() / inb[s].len() as f64;
        assert!((at0.expected_net_benefit - mean).abs() <= 1e-9 * mean.abs(), "{name}");
    }
    let at0 = points.iter().find(|p| p.wtp == 0.0).unwrap();
    let cash = reunify::voi::evpi(&inb);
    assert!((at0.evpi - cash).abs() <= 1e-9 * cash.abs().max(1.0), "{} vs {cash}", at0.evpi);
    // At £0 the net benefit is the net saving, so EVPI and EVPPI there are evppi.csv's.
    assert_eq!(reunify::wtp::incremental_net_benefit(&sc, &run, 0.0), inb);
    assert_eq!(
        reunify::voi::value_of_information_of(&sc, &run, 3.0, &inb),
        reunify::voi::value_of_information(&sc, &run, 3.0)
    );
    let at = reunify::wtp::most_uncertain(&points).unwrap();
    let top_at = |w: f64| points.iter().filter(|p| p.wtp == w).map(|p| p.probability_best).fold(0.0, f64::max);
    assert!(points.iter().all(|p| top_at(p.wtp) >= top_at(at)), "{at} is where the choice is least sure");
    // The top of the default range is £200,000 per breakdown averted.
    assert_eq!(points.last().unwrap().wtp, 200_000.0);
    // ICERs on the frontier: cost difference over effect difference of consecutive rows.
    let mut on: Vec<_> = frontier.iter().filter(|f| f.standing == "frontier").collect();
    on.sort_by(|a, b| a.breakdowns_averted.total_cmp(&b.breakdowns_averted));
    for w in on.windows(2) {
        let icer =
            (w[1].incremental_cost - w[0].incremental_cost) / (w[1].breakdowns_averted - w[0].breakdowns_averted);
        assert!((w[1].icer.unwrap() - icer).abs() <= 1e-9 * icer.abs());
    }
}

#[test]
fn decision_values_are_read_as_a_point_or_a_range_and_checked() {
    let base = std::fs::read_to_string("scenarios/england-2012-13.toml").unwrap();
    let sc = Scenario::from_toml_str(
        &format!(
            "{base}\n[decision]\nvalue_per_breakdown_averted = [10000, 90000]\nvalue_per_care_year_averted = 5000\n"
        ),
        "x",
    )
    .unwrap();
    assert_eq!(
        (sc.values.breakdown.point, sc.values.breakdown.low, sc.values.breakdown.high),
        (10000.0, 10000.0, 90000.0)
    );
    assert_eq!(
        (sc.values.care_year.point, sc.values.care_year.high),
        (5000.0, 10_000.0),
        "a value's curve runs to twice it"
    );
    for bad in [
        "value_per_breakdown_averted = -5",
        "value_per_breakdown_averted = [9, 3]",
        "value_per_breakdown_averted = \"lots\"",
    ] {
        let err = Scenario::from_toml_str(&format!("{base}\n[decision]\n{bad}\n"), "x.toml").unwrap_err().to_string();
        assert!(err.contains("decision.value_per_breakdown_averted"), "{err}");
    }
}
