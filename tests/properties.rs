//! Property tests: invariants that must hold for any valid inputs.

mod common;

use common::{all_levels, run, scenario};
use proptest::prelude::*;
use reunify::calibrate::{calibrate, cells, share_by};
use reunify::hazard::{Effect, PiecewiseHazard};

fn m(name: &str) -> usize {
    reunify::analysis::level_index(name)
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
            prop_assert!(l[m("breakdowns")] >= l[m("children_with_breakdown")]);
            prop_assert!(l[m("children_with_breakdown")] <= l[m("children")]);
            prop_assert!(l[m("returns_home")] <= l[m("children")] + l[m("breakdowns")]);
            prop_assert!(l[m("care_years")] <= l[m("breakdowns")] * horizon + 1e-9);
            prop_assert!(l[m("supported_years")] <= l[m("supported_returns")] * support_years + 1e-9);
            prop_assert!(l[m("maltreatment_events")] <= l[m("returns_home")]);
            for part in ["support_cost", "breakdown_cost", "other_cost", "total_cost"] {
                let undiscounted = l[m(&(part.to_string() + "_undiscounted"))];
                prop_assert!(l[m(part)] <= undiscounted + 1e-6);
                prop_assert!(l[m(part)] >= 0.0);
            }
        }
        // The re-entry curve never falls and never exceeds 1.
        let curve = reunify::analysis::reentry_curve(&r, &["a".into(), "b".into()]);
        for w in curve.windows(2) {
            if w[0].strategy == w[1].strategy {
                prop_assert!(w[1].base >= w[0].base);
            }
            prop_assert!(w[1].base <= 1.0);
        }
        // Support that lowers the hazard cannot add first breakdowns under common random numbers.
        if hr <= 1.0 {
            prop_assert!(levels[1][m("children_with_breakdown")] <= levels[0][m("children_with_breakdown")]);
        }
    }
}
