//! Property tests: invariants that must hold for any valid inputs.

mod common;

use common::{all_levels, run, scenario};
use proptest::prelude::*;
use reunify::calibrate::{calibrate, cells, share_by};
use reunify::hazard::{Effect, PiecewiseHazard};

use reunify::metric::Metric;

fn m(name: &str) -> Metric {
    Metric::from_name(name).expect("a metric")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn inverting_the_cumulative_hazard_round_trips(
        rates in proptest::collection::vec(0.01f64..3.0, 1..5),
        scale in 0.1f64..4.0,
        window in 0.0f64..3.0,
        ratio in 0.1f64..2.0,
        e1 in 0.0001f64..5.0,
    ) {
        let knots: Vec<f64> = (0..rates.len()).map(|i| i as f64 * 0.7).collect();
        let h = PiecewiseHazard::new(knots, rates).unwrap();
        let eff = Effect { window, ratio };
        let t = h.invert(e1, scale, eff, f64::MAX).unwrap();
        prop_assert!((h.cumulative(t, scale, eff) - e1).abs() < 1e-9 * e1.max(1.0));
    }

    #[test]
    fn calibration_hits_any_consistent_targets(
        s1 in 0.01f64..0.3, gap in 0.01f64..0.3, gap2 in 0.01f64..0.3,
        prev in 0.0f64..1.0, hr in 0.3f64..3.0, take_up in 0.0f64..1.0, effect in 0.2f64..1.5,
    ) {
        let targets = [(0.5, s1), (2.0, s1 + gap), (5.0, (s1 + gap + gap2).min(0.95))];
        prop_assume!(targets[2].1 > targets[1].1);
        let cells = cells(&[prev], &[hr], Effect { window: 1.0, ratio: effect }, |_| take_up);
        let (h, _) = calibrate(&[0.0, 0.5, 2.0], &targets, &cells).unwrap();
        for (t, s) in targets {
            prop_assert!((share_by(&h, &cells, t) - s).abs() < 1e-9);
        }
    }

    #[test]
    fn simulated_outcomes_are_coherent(
        rate in 0.01f64..1.5,
        hr in 0.2f64..1.5,
        take_up in 0.0f64..1.0,
        horizon in 0.1f64..8.0,
        q_return in 0.0f64..1.0,
        median in 0.05f64..2.0,
        support_years in 0.0f64..3.0,
    ) {
        let sc = scenario(400, horizon, &format!(r#"
[reentry]
knots_years = [0.0]
rates_per_year = [{rate}]

[maltreatment]
knots_years = [0.0]
rates_per_year = [0.3]

[care_after_breakdown]
median_years = {median}
return_home_probability = {q_return}

[[cost]]
name = "breakdown"
amount = 61614
basis = "per_breakdown"

[[cost]]
name = "care"
amount = 30000
basis = "per_care_year"

[[strategy]]
name = "usual-care"
eligibility = "none"

[[strategy]]
name = "support"
take_up = {take_up}
hr_reentry = {hr}
support_years = {support_years}
cost_basis = "per_supported_year"
"#));
        let r = run(&sc, false);
        let levels = &all_levels(&r)[0];
        for l in levels.iter() {
            prop_assert!(l[Metric::Breakdowns] >= l[Metric::ChildrenWithBreakdown]);
            prop_assert!(l[Metric::ChildrenWithBreakdown] <= l[Metric::Children]);
            prop_assert!(l[Metric::ReturnsHome] <= l[Metric::Children] + l[Metric::Breakdowns]);
            prop_assert!(l[Metric::CareYears] <= l[Metric::Breakdowns] * horizon + 1e-9);
            prop_assert!(l[Metric::SupportedYears] <= l[Metric::SupportedReturns] * support_years + 1e-9);
            prop_assert!(l[Metric::MaltreatmentEvents] <= l[Metric::ReturnsHome]);
            for part in ["support_cost", "breakdown_cost", "other_cost", "total_cost"] {
                let undiscounted = l[m(&(part.to_string() + "_undiscounted"))];
                prop_assert!(l[m(part)] <= undiscounted + 1e-6);
                prop_assert!(l[m(part)] >= 0.0);
            }
        }
        // The re-entry curve never falls and never exceeds 1.
        let curve = reunify::analysis::reentry_curve(&reunify::digest::RunDigest::of(&r), &["a".into(), "b".into()]);
        for w in curve.windows(2) {
            if w[0].strategy == w[1].strategy {
                prop_assert!(w[1].base >= w[0].base);
            }
            prop_assert!(w[1].base <= 1.0);
        }
        // Support that lowers the hazard cannot add first breakdowns under common random numbers.
        if hr <= 1.0 {
            prop_assert!(levels[1][Metric::ChildrenWithBreakdown] <= levels[0][Metric::ChildrenWithBreakdown]);
        }
    }
}

/// One scenario from anywhere in the space of valid parameters: zero and one probabilities,
/// zero costs, one child, horizons from a day to 50 years, cohort or flow mode.
#[allow(clippy::too_many_arguments)]
fn whole_space_text(
    children: u64,
    horizon: f64,
    rate: f64,
    take_up: f64,
    hr: f64,
    q_return: f64,
    cost: f64,
    price: f64,
    support_years: f64,
    discount: f64,
    flow: Option<(u32, f64)>,
) -> String {
    let budget = flow.map_or(String::new(), |(years, growth)| {
        format!("[budget]\nfirst_financial_year = 2025\nyears = {years}\ngrowth_per_year = {growth}\n")
    });
    format!(
        r#"
[scenario]
name = "space"
horizon_years = {horizon}
discount_rate = {discount}
iterations = 3
seed = 5

[[authority]]
name = "A"
children = {children}

[reentry]
knots_years = [0.0, 0.5]
rates_per_year = [{rate}, {{ dist = "gamma", mean = {r2}, sd = {sd} }}]

[[risk_factor]]
name = "older"
prevalence = {take_up}
hr_reentry = 1.5

[care_after_breakdown]
median_years = 0.5
return_home_probability = {q_return}

[[cost]]
name = "breakdown"
amount = {cost}
basis = "per_breakdown"

[[cost]]
name = "care"
amount = {cost}
basis = "per_care_year"

[[strategy]]
name = "usual-care"
eligibility = "none"

[[strategy]]
name = "support"
take_up = {take_up}
hr_reentry = {{ dist = "lognormal", median = {hr}, ci95 = [{lo}, {hi}] }}
support_years = {support_years}
cost = {price}

[[strategy]]
name = "targeted"
same_as = "support"
eligibility = {{ min_risk_score = 1 }}

{budget}
"#,
        r2 = 0.1 + rate,
        sd = 0.05 + rate / 4.0,
        lo = hr * 0.8,
        hi = hr * 1.25,
    )
}

/// Cases for the whole-space test: 40 in CI, more with `PROPTEST_CASES=N`.
fn whole_space_cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(40)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: whole_space_cases(), ..ProptestConfig::default() })]

    /// `run`, end to end through the command's own code, never panics anywhere in the space;
    /// its summary reads back through its own type, so every figure is a number or an
    /// explicit absence; no table holds NaN or infinity; and the report is drawn.
    #[test]
    fn run_never_panics_and_every_output_is_a_number_or_an_explicit_absence(
        children in prop_oneof![Just(1u64), 1u64..400],
        log_horizon in (1.0f64 / 365.25).ln()..50f64.ln(),
        rate in prop_oneof![Just(0.0), 0.0f64..5.0],
        take_up in prop_oneof![Just(0.0), Just(1.0), 0.0f64..1.0],
        hr in prop_oneof![Just(1.0), 0.01f64..4.0],
        q_return in prop_oneof![Just(0.0), Just(1.0), 0.0f64..1.0],
        cost in prop_oneof![Just(0.0), 0.0f64..200_000.0],
        price in prop_oneof![Just(0.0), 0.0f64..20_000.0],
        support_years in 0.0f64..5.0,
        discount in prop_oneof![Just(0.0), Just(0.035), 0.0f64..0.2],
        flow in proptest::option::of((1u32..6, -0.5f64..1.0)),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let text = whole_space_text(
            children, log_horizon.exp(), rate, take_up, hr, q_return, cost, price, support_years, discount, flow,
        );
        let file = dir.path().join("space.toml");
        std::fs::write(&file, &text).unwrap();
        let out = dir.path().join("out");
        let args = reunify::app::RunArgs {
            file,
            output: reunify::app::OutputArgs {
                out: Some(out.clone()),
                threads: Some(1),
                quiet: true,
                no_report: false,
                decision_years: 3.0,
                csv: false,
                by_authority: false,
            },
            iterations: None,
            seed: None,
            base_case_only: false,
            force: false,
            shard: None,
            checkpoint: false,
        };
        let outcome = reunify::app::run_command(&args, rayon::current_num_threads()).map_err(|f| format!("{f}\n{text}"));
        prop_assert!(outcome.is_ok(), "{}", outcome.err().unwrap_or_default());
        let read: Result<reunify::results::SummaryFile, _> =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap());
        prop_assert!(read.is_ok(), "summary.json does not read back: {:?}\n{text}", read.err());
        for entry in std::fs::read_dir(&out).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "csv") {
                let csv = std::fs::read_to_string(&path).unwrap();
                let bad = csv.split([',', '\n']).find(|c| matches!(c.trim(), "NaN" | "inf" | "-inf"));
                prop_assert!(bad.is_none(), "{}: {bad:?}\n{text}", path.display());
            }
        }
        prop_assert!(out.join("report.html").exists());
        // TECH-VER invariants on the totals: costs are never negative, and a strategy that
        // reaches nobody (take-up 0) averts nothing.
        let summary = read.unwrap();
        for r in summary.rows.iter().filter(|r| r.kind == reunify::analysis::Kind::Level && r.metric.name().ends_with("_cost")) {
            prop_assert!(r.stat.base.unwrap_or(0.0) >= 0.0, "{} {}", r.strategy, r.metric);
        }
        if take_up == 0.0 {
            for r in summary.rows.iter().filter(|r| r.metric == Metric::BreakdownsAverted) {
                prop_assert_eq!(r.stat.base, Some(0.0));
            }
        }
    }
}
