//! Analytic cases: the simulation against closed-form answers. Tolerances are 4 binomial or
//! Monte Carlo standard errors computed from the case itself, so a correct engine fails
//! with probability below 1 in 15,000 and a wrong one by more than a few per cent fails.

mod common;

use common::{base_level, run, scenario};
use reunify::metric::Metric;
use reunify::price::{View, view_tally};
use reunify::scenario::Scenario;

const N: u64 = 200_000;

fn constant(rate: f64, horizon: f64, extra: &str) -> Scenario {
    constant_with_care(rate, horizon, "", extra)
}

/// [`constant`] with more keys (`care`) for the care episode after a breakdown, from which
/// nobody goes home again.
fn constant_with_care(rate: f64, horizon: f64, care: &str, extra: &str) -> Scenario {
    scenario(
        N,
        horizon,
        &format!(
            r#"
[reentry]
knots_years = [0.0]
rates_per_year = [{rate}]

[care_after_breakdown]
{care}
return_home_probability = 0.0

{extra}

[[strategy]]
name = "usual-care"
eligibility = "none"
"#
        ),
    )
}

fn assert_share(observed: f64, expected: f64, n: u64, what: &str) {
    let se = (expected * (1.0 - expected) / n as f64).sqrt();
    assert!(
        (observed - expected).abs() < 4.0 * se,
        "{what}: observed {observed}, expected {expected}, 4 SE = {}",
        4.0 * se
    );
}

#[test]
fn constant_hazard_gives_one_minus_exp_minus_lambda_h() {
    let (lambda, h) = (0.12, 5.0);
    let r = run(&constant(lambda, h, ""), false);
    let p = base_level(&r, 0, Metric::ChildrenWithBreakdown) / N as f64;
    assert_share(p, 1.0 - (-lambda * h).exp(), N, "P(re-entry by H)");
    // Without returns home, every breakdown is a first breakdown.
    assert_eq!(base_level(&r, 0, Metric::Breakdowns), base_level(&r, 0, Metric::ChildrenWithBreakdown));
}

#[test]
fn two_piece_hazard_matches_its_cumulative_at_every_reported_month() {
    let sc = scenario(
        N,
        5.0,
        r#"
[reentry]
knots_years = [0.0, 0.5]
rates_per_year = [0.8, 0.05]

[care_after_breakdown]
return_home_probability = 0.0

[[strategy]]
name = "usual-care"
eligibility = "none"
"#,
    );
    let r = run(&sc, false);
    let t = view_tally(&r.base, 0, View::Total);
    for months in [3usize, 6, 12, 24, 60] {
        let years = months as f64 / 12.0;
        let cum = 0.8 * years.min(0.5) + 0.05 * (years - 0.5).max(0.0);
        let p = t.first_reentries_before_month(months) as f64 / N as f64;
        assert_share(p, 1.0 - (-cum).exp(), N, &format!("share by {months} months"));
    }
}

#[test]
fn discounted_breakdown_count_matches_its_expectation() {
    // E[(1+r)^(−T) · 1{T < H}] = λ/(λ+δ) · (1 − e^(−(λ+δ)H)) for T ~ Exp(λ), δ = ln(1+r).
    let (lambda, h, r) = (0.3, 5.0, 0.035f64);
    let res = run(&constant(lambda, h, ""), false);
    let t = view_tally(&res.base, 0, View::Total);
    let delta = r.ln_1p();
    let expected = lambda / (lambda + delta) * (1.0 - (-(lambda + delta) * h).exp());
    let observed = t.q.breakdowns_disc / N as f64;
    // The summand lies in [0, 1], so its sd is at most sqrt(E·(1 − E)).
    let se = (expected * (1.0 - expected) / N as f64).sqrt();
    assert!((observed - expected).abs() < 4.0 * se, "{observed} vs {expected}");
}

#[test]
fn discounted_maltreatment_count_matches_its_expectation() {
    // With no re-entry, a stay lasts to the horizon: E[(1+r)^(−T) · 1{T < H}] for the first
    // maltreatment event T ~ Exp(μ) is μ/(μ+δ) · (1 − e^(−(μ+δ)H)), as for breakdowns.
    let (mu, h, r) = (0.3, 5.0, 0.035f64);
    let extra = format!(
        "[maltreatment]\nknots_years = [0.0]\nrates_per_year = [{mu}]\n\n\
         [[cost]]\nname = \"enquiry\"\namount = 1\nbasis = \"per_maltreatment_event\""
    );
    let res = run(&constant(0.0, h, &extra), false);
    let delta = r.ln_1p();
    let expected = mu / (mu + delta) * (1.0 - (-(mu + delta) * h).exp());
    let observed = base_level(&res, 0, Metric::OtherCost) / N as f64;
    let se = (expected * (1.0 - expected) / N as f64).sqrt();
    assert!((observed - expected).abs() < 4.0 * se, "{observed} vs {expected}");
}

#[test]
fn discounted_care_years_match_their_integral() {
    // Re-entry at T ~ Exp(λ), then exactly d years in care (σ = 0), censored at H, and no
    // return home. The discounted years in care per child are
    // E[∫_T^min(T+d, H) e^(−δs) ds · 1{T < H}], split at T = H − d:
    //   (1 − e^(−δd))/δ · λ/(λ+δ) · (1 − e^(−(λ+δ)(H−d)))
    //   + (1/δ) · [λ/(λ+δ) · (e^(−(λ+δ)(H−d)) − e^(−(λ+δ)H)) − e^(−δH) · (e^(−λ(H−d)) − e^(−λH))].
    let (lambda, d, h, r) = (0.3, 1.5, 5.0, 0.035f64);
    let sc = constant_with_care(
        lambda,
        h,
        &format!("median_years = {d}\nsigma = 0.0"),
        "[[cost]]\nname = \"placement\"\namount = 1\nbasis = \"per_care_year\"",
    );
    let res = run(&sc, false);
    let delta = r.ln_1p();
    let ld = lambda + delta;
    let whole = (1.0 - (-delta * d).exp()) / delta * lambda / ld * (1.0 - (-ld * (h - d)).exp());
    let cut = (lambda / ld * ((-ld * (h - d)).exp() - (-ld * h).exp())
        - (-delta * h).exp() * ((-lambda * (h - d)).exp() - (-lambda * h).exp()))
        / delta;
    let expected = whole + cut;
    let observed = base_level(&res, 0, Metric::BreakdownCost) / N as f64;
    // The summand lies in [0, d], so its variance is at most d·E − E².
    let se = ((d * expected - expected * expected) / N as f64).sqrt();
    assert!((observed - expected).abs() < 4.0 * se, "{observed} vs {expected}");
}

#[test]
fn discounted_pro_rata_support_flow_equals_its_integral() {
    // No re-entry: every engaged child is supported for exactly `support_years`, so the
    // discounted supported years per child are ∫₀² (1.035)^(−t) dt, with no randomness at all.
    let sc = scenario(
        1000,
        5.0,
        r#"
[reentry]
knots_years = [0.0]
rates_per_year = [0.0]

[[strategy]]
name = "usual-care"
eligibility = "none"

[[strategy]]
name = "support"
support_years = 2.0
cost = 1000
cost_basis = "per_supported_year"
"#,
    );
    let r = run(&sc, false);
    let n = 200_000;
    let h = 2.0 / n as f64;
    let integral: f64 = (0..n).map(|i| 1.035f64.powf(-(i as f64 + 0.5) * h) * h).sum();
    let per_child = base_level(&r, 1, Metric::SupportCost) / 1000.0 / 1000.0;
    assert!((per_child - integral).abs() < 1e-9, "{per_child} vs {integral}");
    assert_eq!(base_level(&r, 1, Metric::SupportCostUndiscounted), 2.0 * 1000.0 * 1000.0);
}

#[test]
fn calibrated_scenario_hits_its_targets_to_1e_9() {
    let text = std::fs::read_to_string("scenarios/england-2012-13.toml").unwrap();
    let sc = Scenario::from_toml_str(&text, "england").unwrap();
    let inputs = reunify::model::Inputs::resolve(&sc, &sc.model, &sc.point_values(), 0).unwrap();
    assert_eq!(inputs.reentry_fit.len(), 3);
    for f in inputs.reentry_fit.iter().chain(&inputs.maltreatment_fit) {
        assert!((f.achieved - f.target).abs() < 1e-9, "{f:?}");
    }
}

#[test]
fn calibrated_share_is_recovered_by_simulation_over_a_risk_mix() {
    // The calibration's exact expectation and the simulation must agree on the share by 5
    // years when risk factors and comparator support are present.
    let sc = scenario(
        N,
        5.0,
        r#"
[reentry]
knots_years = [0.0, 1.0]
calibrate_to = [ { years = 1.0, share = 0.2 }, { years = 5.0, share = 0.35 } ]

[[risk_factor]]
name = "a"
prevalence = 0.4
hr_reentry = 2.0

[[risk_factor]]
name = "b"
prevalence = 0.3
hr_reentry = 1.5

[care_after_breakdown]
return_home_probability = 0.0

[[strategy]]
name = "comparator-with-some-support"
eligibility = { any_of = ["a"] }
take_up = 0.5
hr_reentry = 0.6
support_years = 0.5
"#,
    );
    let r = run(&sc, false);
    let t = view_tally(&r.base, 0, View::Total);
    assert_share(t.first_reentries_before_month(12) as f64 / N as f64, 0.2, N, "share by 1 year");
    assert_share(t.children_with_breakdown as f64 / N as f64, 0.35, N, "share by 5 years");
}

/// `[age_at_return]` with every child aged 17 (17 + u for a uniform u): the path ends at 18,
/// `1 − u` years after the return, so with a constant hazard λ the share ever back in care is
/// `E[1 − exp(−λ(1 − u))] = 1 − (1 − e^(−λ))/λ`, whatever the horizon beyond a year.
#[test]
fn a_child_s_path_ends_at_18() {
    let (lambda, h) = (0.8, 5.0);
    let ages = "[age_at_return]\nshares_by_year_of_age = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]\n";
    let r = run(&constant(lambda, h, ages), false);
    let p = base_level(&r, 0, Metric::ChildrenWithBreakdown) / N as f64;
    assert_share(p, 1.0 - (1.0 - (-lambda).exp()) / lambda, N, "P(re-entry before 18)");
    assert_eq!(
        reunify::scenario::AgeAtReturn::new(&[0.0; 17].iter().chain([1.0].iter()).copied().collect::<Vec<_>>(), None)
            .unwrap()
            .share_turning_18_within(h),
        1.0
    );
    // Without [age_at_return] nothing ends at 18: the same hazard over the whole horizon.
    let r = run(&constant(lambda, h, ""), false);
    let p = base_level(&r, 0, Metric::ChildrenWithBreakdown) / N as f64;
    assert_share(p, 1.0 - (-lambda * h).exp(), N, "P(re-entry by H) without ages");
}

/// With ages drawn, `aged_10_plus` follows the age, not its prevalence: children all aged
/// under 10 never carry its hazard ratio of 5, whatever its prevalence says; all aged 10 to 11
/// always do (and none reaches 18 within a year).
#[test]
fn aged_10_plus_follows_the_drawn_age() {
    let (lambda, h) = (0.2, 1.0);
    let factor = "[[risk_factor]]\nname = \"aged_10_plus\"\nprevalence = 0.9\nhr_reentry = 5.0\n";
    let young = format!(
        "[age_at_return]\nshares_by_year_of_age = [0.5, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]\n{factor}"
    );
    let r = run(&constant(lambda, h, &young), false);
    let p = base_level(&r, 0, Metric::ChildrenWithBreakdown) / N as f64;
    assert_share(p, 1.0 - (-lambda * h).exp(), N, "young: the baseline only");
    let older = format!(
        "[age_at_return]\nshares_by_year_of_age = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.5, 0.5, 0, 0, 0, 0, 0, 0]\n{factor}"
    );
    let r = run(&constant(lambda, h, &older), false);
    let p = base_level(&r, 0, Metric::ChildrenWithBreakdown) / N as f64;
    assert_share(p, 1.0 - (-5.0 * lambda * h).exp(), N, "aged 10 or 11: the ratio always");
}

/// `[age_at_return]` is checked: 18 shares, each a share, summing to 1.
#[test]
fn age_at_return_is_checked() {
    for (shares, why) in [
        ("[1]", "give 18 shares"),
        ("[0.5, 0.6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]", "sum to 1.1"),
        ("[-0.5, 1.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]", "at age 0, -0.5"),
    ] {
        let text = format!(
            "[scenario]\nname = \"t\"\nhorizon_years = 1\n[[authority]]\nname = \"A\"\nchildren = 10\n[reentry]\nknots_years = [0.0]\nrates_per_year = [0.1]\n[[strategy]]\nname = \"u\"\neligibility = \"none\"\n[age_at_return]\nshares_by_year_of_age = {shares}\n"
        );
        let err = Scenario::from_toml_str(&text, "t.toml").unwrap_err().to_string();
        assert!(err.contains("t.toml: age_at_return.shares_by_year_of_age") && err.contains(why), "{err}");
    }
}
