//! Flow mode and budgets: cohorts returning each year, spend by financial year, the
//! cumulative net position and payback, checked against closed forms and invariants.

mod common;

use common::{run, scenario};
use reunify::budget::{cumulative_net, payback_year, summarise};
use reunify::digest::RunDigest;
use reunify::metric::Metric;
use reunify::price::{View, iteration_metrics};
use reunify::scenario::Scenario;
use reunify::spend::iteration_spend;

/// A constant-hazard scenario in flow mode: nobody goes home again after a breakdown.
fn flow(children: u64, lambda: f64, budget: &str, strategies: &str) -> Scenario {
    scenario(
        children,
        5.0,
        &format!(
            r#"
[reentry]
knots_years = [0.0]
rates_per_year = [{lambda}]

[care_after_breakdown]
return_home_probability = 0.0

[[cost]]
name = "breakdown"
amount = 61614
basis = "per_breakdown"

[[cost]]
name = "care"
amount = 40000
basis = "per_care_year"

{strategies}

[budget]
{budget}
"#
        ),
    )
}

const TWO: &str = r#"
[[strategy]]
name = "usual-care"
eligibility = "none"

[[strategy]]
name = "support"
take_up = 0.8
hr_reentry = 0.6
cost = 5627
"#;

#[test]
fn one_cohort_followed_over_the_window_matches_the_closed_form() {
    // Return home at U ~ Uniform(0, 1), constant hazard λ, window W:
    // P(re-entry by W) = 1 − e^(−λW)(e^λ − 1)/λ, and P(re-entry in the first financial year)
    // = P(U + T < 1) = 1 − (1 − e^(−λ))/λ.
    let (n, lambda, w) = (200_000u64, 0.3f64, 3.0f64);
    let sc = flow(n, lambda, "first_financial_year = 2025\nyears = 3\ncohorts = 1", TWO);
    let r = run(&sc, false);
    let (_, breakdowns) = iteration_spend(&r.base, View::Total);
    let by_window = 1.0 - (-lambda * w).exp() * lambda.exp_m1() / lambda;
    let first_year = 1.0 - (1.0 - (-lambda).exp()) / lambda;
    for (got, p) in [(breakdowns[0].iter().sum::<f64>(), by_window), (breakdowns[0][0], first_year)] {
        let se = (p * (1.0 - p) / n as f64).sqrt();
        assert!((got / n as f64 - p).abs() < 4.0 * se, "{} vs {p}", got / n as f64);
    }
}

#[test]
fn cohorts_grow_by_the_growth_rate_and_arrive_in_their_year() {
    let sc = flow(1000, 0.3, "first_financial_year = 2025\nyears = 4\ngrowth_per_year = 0.1", TWO);
    let r = run(&sc, false);
    let t = &r.base.tallies[0][0];
    let expected: Vec<u64> = (0..4).map(|y| (1000.0 * 1.1f64.powi(y)).round() as u64).collect();
    assert_eq!(t.by_year.iter().map(|y| y.children).collect::<Vec<_>>(), expected);
    assert_eq!(t.children, expected.iter().sum::<u64>());
    assert_eq!(sc.total_children(), t.children);
}

#[test]
fn financial_years_add_up_to_the_window_in_cash_and_discounted() {
    let sc = flow(20_000, 0.3, "first_financial_year = 2025\nyears = 5", TWO);
    let r = run(&sc, true);
    for it in std::iter::once(&r.base).chain(&r.psa) {
        let (spend, breakdowns) = iteration_spend(it, View::Total);
        let m = iteration_metrics(it, View::Total);
        for s in 0..2 {
            let whole = &m.levels[s];
            let sum = |f: &dyn Fn(&reunify::spend::YearSpend) -> f64| spend[s].iter().map(f).sum::<f64>();
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
            assert!(close(sum(&|y| y.cash[3]), whole[Metric::TotalCostUndiscounted]));
            assert!(close(sum(&|y| y.discounted[3]), whole[Metric::TotalCost]));
            assert!(close(sum(&|y| y.cash[0]), whole[Metric::SupportCostUndiscounted]));
            assert_eq!(breakdowns[s].iter().sum::<f64>(), whole[Metric::Breakdowns]);
            // Discounting only ever shrinks a year's spend, and the first year's less than later.
            for y in &spend[s] {
                assert!(y.discounted[3] <= y.cash[3]);
            }
        }
    }
}

#[test]
fn a_strategy_identical_to_the_comparator_has_a_net_position_of_exactly_zero() {
    let same = r#"
[[strategy]]
name = "usual-care"
eligibility = "none"

[[strategy]]
name = "same"
eligibility = "none"
"#;
    let sc = flow(5000, 0.3, "first_financial_year = 2025\nyears = 3", same);
    let r = run(&sc, true);
    let names = vec!["usual-care".to_string(), "same".to_string()];
    let b = summarise(sc.budget.as_ref().unwrap(), &RunDigest::of(&r), &names);
    for it in std::iter::once(&r.base).chain(&r.psa) {
        let (spend, _) = iteration_spend(it, View::Total);
        assert!(cumulative_net(&spend[0], &spend[1], false).iter().all(|&v| v == 0.0));
        assert!(cumulative_net(&spend[0], &spend[1], true).iter().all(|&v| v == 0.0));
    }
    assert_eq!(b.payback[0].base_year.as_deref(), Some("2025-26"), "nothing to pay back pays back at once");
}

#[test]
fn free_effective_support_pays_back_at_once_and_costly_useless_support_never_does() {
    let strategies = r#"
[[strategy]]
name = "usual-care"
eligibility = "none"

[[strategy]]
name = "free-and-effective"
hr_reentry = 0.5
cost = 0

[[strategy]]
name = "costly-and-useless"
hr_reentry = { dist = "uniform", min = 0.999, max = 1.0 }
cost = 5627
"#;
    let sc = flow(5000, 0.3, "first_financial_year = 2025\nyears = 4", strategies);
    let r = run(&sc, true);
    let names: Vec<String> = sc.model.strategies.iter().map(|s| s.name.clone()).collect();
    let b = summarise(sc.budget.as_ref().unwrap(), &RunDigest::of(&r), &names);
    assert_eq!(b.payback[0].base_year.as_deref(), Some("2025-26"));
    assert_eq!(b.payback[0].probability, Some(1.0));
    assert_eq!(b.payback[1].base_year, None);
    assert_eq!(b.payback[1].probability, Some(0.0));
    assert_eq!(b.financial_years, vec!["2025-26", "2026-27", "2027-28", "2028-29"]);
    // The payback year is where the cumulative net position first reaches zero.
    let (spend, _) = iteration_spend(&r.base, View::Total);
    assert_eq!(payback_year(&cumulative_net(&spend[0], &spend[1], false)), Some(0));
}

#[test]
fn holmes_budget_cycle_needs_920_6_breakdowns_over_three_years() {
    // One year's support for 10,080 returners at £5,627, against £61,614 per breakdown, over
    // a 3-year cycle (NSPCC: "an extra 300 children a year over a 3-year budget cycle").
    let text = std::fs::read_to_string("scenarios/holmes-2014.toml").unwrap();
    let sc = Scenario::from_toml_str(&text, "holmes-2014.toml").unwrap();
    let r = run(&sc, false);
    let names: Vec<String> = sc.model.strategies.iter().map(|s| s.name.clone()).collect();
    let b = summarise(sc.budget.as_ref().unwrap(), &RunDigest::of(&r), &names);
    let p = &b.payback[0];
    assert!((p.extra_support_cash - 10080.0 * 5627.0).abs() < 1e-6);
    assert!((p.cost_per_breakdown_cash.unwrap() - 61614.0).abs() < 1e-6);
    assert!((p.breakdowns_to_avert_per_year.unwrap() - 10080.0 * 5627.0 / 61614.0 / 3.0).abs() < 1e-9);
}

#[test]
fn raising_the_price_of_support_delays_or_removes_payback() {
    let with_cost = |cost: f64| {
        let strategies = TWO.replace("cost = 5627", &format!("cost = {cost}"));
        let sc = flow(20_000, 0.3, "first_financial_year = 2025\nyears = 5", &strategies);
        let r = run(&sc, false);
        let (spend, _) = iteration_spend(&r.base, View::Total);
        cumulative_net(&spend[0], &spend[1], false)
    };
    let cheap = with_cost(1000.0);
    let dear = with_cost(20_000.0);
    for (c, d) in cheap.iter().zip(&dear) {
        assert!(d < c);
    }
    assert!(payback_year(&dear).unwrap_or(usize::MAX) >= payback_year(&cheap).unwrap_or(usize::MAX));
}
