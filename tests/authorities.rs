//! Many authorities: per-authority overrides of any model value, totals that are the exact
//! sum of the authorities, and randomness keyed by authority.

mod common;

use common::run;
use reunify::metric::{Levels, Metric};
use reunify::price::{View, iteration_metrics};
use reunify::scenario::Scenario;

const MODEL: &str = r#"
[reentry]
knots_years = [0.0, 1.0]
calibrate_to = [ { years = 1.0, share = 0.2 }, { years = 5.0, share = { dist = "beta", mean = 0.3, sd = 0.02 } } ]

[[risk_factor]]
name = "older"
prevalence = { dist = "beta", mean = 0.5, sd = 0.05 }
hr_reentry = { dist = "lognormal", median = 1.3, ci95 = [1.0, 1.7] }

[care_after_breakdown]
median_years = 0.5
return_home_probability = 0.5

[[cost]]
name = "breakdown"
amount = { dist = "gamma", mean = 61614, sd = 8000 }
basis = "per_breakdown"

[[cost]]
name = "care"
amount = 40000
basis = "per_care_year"

[[strategy]]
name = "usual-care"
eligibility = "none"

[[strategy]]
name = "support"
take_up = { dist = "beta", mean = 0.7, sd = 0.05 }
hr_reentry = { dist = "lognormal", median = 0.75, ci95 = [0.5, 1.1] }
"#;

fn scenario(authorities: &str) -> Scenario {
    scenario_with(authorities, "")
}

/// [`scenario`] with `extra` (more model sections, such as a strategy) after the model.
fn scenario_with(authorities: &str, extra: &str) -> Scenario {
    let text = format!(
        "[scenario]\nname = \"many\"\nhorizon_years = 5.0\niterations = 6\nseed = 3\n\n{authorities}\n{MODEL}{extra}"
    );
    Scenario::from_toml_str(&text, "many.toml").unwrap_or_else(|e| panic!("{e}"))
}

const PLAIN: &str = r#"
[[authority]]
name = "Northshire"
children = 3000

[[authority]]
name = "Camden"
children = 2000
"#;

/// Camden with a London weighting on the breakdown cost.
const LONDON: &str = r#"
[[authority]]
name = "Northshire"
children = 3000

[[authority]]
name = "Camden"
children = 2000
[[authority.cost]]
name = "breakdown"
amount = { dist = "gamma", mean = 73937, sd = 9600 }
"#;

#[test]
fn a_price_override_reprices_only_that_authority_and_shares_every_other_parameter() {
    let plain = scenario(PLAIN);
    let london = scenario(LONDON);
    // Exactly one new parameter: the authority's own breakdown cost.
    assert_eq!(london.params.len(), plain.params.len() + 1);
    let own = london.params.last().unwrap();
    assert_eq!(own.key, "authority.Camden.cost.breakdown.amount");
    assert_eq!(own.authority.as_deref(), Some("Camden"));
    assert_eq!(own.model_key(), "cost.breakdown.amount");
    assert_eq!(reunify::voi::group_of(own.model_key()), Some("costs"), "value of information groups it with costs");
    let m = london.authorities[1].model.as_ref().unwrap();
    assert_eq!(m.strategies, london.model.strategies, "untouched values share the top level's parameters");
    assert_ne!(m.costs[0].amount, london.model.costs[0].amount);

    let (rp, rl) = (run(&plain, true), run(&london, true));
    let i = Metric::BreakdownCostUndiscounted;
    for (p, l) in std::iter::once((&rp.base, &rl.base)).chain(rp.psa.iter().zip(&rl.psa)) {
        // Prices do not change who breaks down: the same children, the same tallies.
        assert_eq!(p.tallies, l.tallies);
        let (mp, ml) = (iteration_metrics(p, View::Authority(0)), iteration_metrics(l, View::Authority(0)));
        assert_eq!(mp.levels, ml.levels, "Northshire is untouched");
        let camden_p = iteration_metrics(p, View::Authority(1)).levels[0];
        let camden_l = iteration_metrics(l, View::Authority(1)).levels[0];
        let care = l.tallies[0][1].q.care_years * 40000.0;
        let (breakdowns, price) = (l.tallies[0][1].q.breakdowns as f64, l.values[own_index(&london)]);
        assert!((camden_l[i] - (breakdowns * price + care)).abs() < 1e-6 * camden_l[i]);
        if l.iteration == 0 {
            // Base case: 73,937 / 61,614 = London weighting of 20%.
            let ratio = (camden_l[i] - care) / (camden_p[i] - care);
            assert!((ratio - 73937.0 / 61614.0).abs() < 1e-12, "{ratio}");
        }
    }
}

fn own_index(sc: &Scenario) -> usize {
    sc.params.iter().position(|p| p.authority.is_some()).unwrap()
}

#[test]
fn totals_are_exactly_the_sum_of_the_authorities() {
    let sc = scenario(
        &(LONDON.to_string()
            + r#"
[[authority]]
name = "Rutland"
children = 700
[[authority.strategy]]
name = "support"
take_up = 0.95
"#),
    );
    let r = run(&sc, true);
    let shares: Vec<Metric> = Metric::SHARES.iter().map(|(m, _)| *m).collect();
    for it in std::iter::once(&r.base).chain(&r.psa) {
        let total = iteration_metrics(it, View::Total);
        let parts: Vec<_> = (0..3).map(|a| iteration_metrics(it, View::Authority(a))).collect();
        for s in 0..2 {
            for m in Metric::LEVELS.into_iter().filter(|m| !shares.contains(m)) {
                let sum = parts.iter().fold(0.0, |acc, p| acc + p.levels[s][m]);
                assert_eq!(total.levels[s][m], sum, "{m}");
            }
        }
        let sum_net = parts.iter().fold(0.0, |acc, p| acc + p.decisions[1][Metric::NetSaving]);
        assert!((total.decisions[1][Metric::NetSaving] - sum_net).abs() <= 1e-9 * sum_net.abs().max(1.0));
    }
}

#[test]
fn overriding_take_up_and_calibration_targets_changes_that_authority() {
    let sc = scenario(
        r#"
[[authority]]
name = "Northshire"
children = 20000

[[authority]]
name = "Highshire"
children = 20000
[authority.reentry]
calibrate_to = [ { years = 1.0, share = 0.35 }, { years = 5.0, share = 0.5 } ]
[[authority.strategy]]
name = "support"
take_up = 0.2
"#,
    );
    let r = run(&sc, false);
    let share = Metric::ReentryShare12m;
    let high = iteration_metrics(&r.base, View::Authority(1)).levels;
    let north = iteration_metrics(&r.base, View::Authority(0)).levels;
    // The comparator's share back in care by 12 months hits each authority's own target
    // (binomial standard error on 20,000 children).
    for (levels, target) in [(&north, 0.2), (&high, 0.35)] {
        let se = (target * (1.0f64 - target) / 20000.0).sqrt();
        assert!((levels[0][share] - target).abs() < 4.0 * se, "{} vs {target}", levels[0][share]);
    }
    assert_eq!(r.base.inputs_for(1).strategies[1].support.take_up, 0.2);
    assert_eq!(r.base.inputs_for(0).strategies[1].support.take_up, 0.7);
    let returns = |l: &Vec<Levels>| l[1][Metric::SupportedReturns] / l[1][Metric::ReturnsHome];
    assert!(returns(&high) < 0.3 && returns(&north) > 0.6);
}

#[test]
fn adding_an_overriding_authority_changes_no_other_authority() {
    let two = scenario(LONDON);
    let three = scenario(
        &(r#"
[[authority]]
name = "Newshire"
children = 900
[[authority.cost]]
name = "breakdown"
amount = { dist = "gamma", mean = 50000, sd = 9000 }
"#
        .to_string()
            + LONDON),
    );
    let (r2, r3) = (run(&two, true), run(&three, true));
    for (a, b) in std::iter::once((&r2.base, &r3.base)).chain(r2.psa.iter().zip(&r3.psa)) {
        for auth in 0..2 {
            assert_eq!(
                iteration_metrics(a, View::Authority(auth)).levels,
                iteration_metrics(b, View::Authority(auth + 1)).levels
            );
        }
    }
}

#[test]
fn a_strategy_same_as_another_follows_an_authoritys_override_of_it() {
    let targeted =
        "\n[[strategy]]\nname = \"targeted\"\nsame_as = \"support\"\neligibility = { any_of = [\"older\"] }\n";
    let authorities = r#"
[[authority]]
name = "Northshire"
children = 3000

[[authority]]
name = "Highshire"
children = 3000
[[authority.strategy]]
name = "support"
take_up = 0.2
"#;
    let r = run(&scenario_with(authorities, targeted), true);
    for it in std::iter::once(&r.base).chain(&r.psa) {
        for a in 0..2 {
            // In each authority, and in every iteration, the targeted strategy's support is
            // exactly that authority's support: Highshire's own take-up, Northshire's drawn one.
            let s = &it.inputs_for(a).strategies;
            assert_eq!(s[2].support, s[1].support);
        }
        assert_eq!(it.inputs_for(1).strategies[2].support.take_up, 0.2);
        assert_ne!(it.inputs_for(0).strategies[2].support.take_up, 0.2);
    }
}

/// The digest a run keeps of each iteration (`reunify::digest`) is the tallies priced afresh,
/// to the last bit: every view's levels, the curve, acceptability's priced support and, in
/// flow mode, the spend by financial year.
#[test]
fn the_digest_of_an_iteration_is_its_tallies_priced_exactly() {
    use reunify::digest::IterationDigest;
    use reunify::price::{priced_support, view_levels, view_tally};
    use reunify::spend::iteration_spend;
    let sc = scenario_with(LONDON, "\n[budget]\nfirst_financial_year = 2025\nyears = 3\n");
    let r = run(&sc, true);
    for it in std::iter::once(&r.base).chain(&r.psa) {
        let d = IterationDigest::of(it);
        assert_eq!(d.values, it.values);
        for s in 0..2 {
            for view in [View::Total, View::Authority(0), View::Authority(1)] {
                assert_eq!(d.levels(view, s).0.map(f64::to_bits), view_levels(it, s, view).0.map(f64::to_bits));
                let m = iteration_metrics(it, view);
                assert_eq!(d.decisions(view, s).0.map(f64::to_bits), m.decisions[s].0.map(f64::to_bits));
            }
            assert_eq!(d.priced_support[s], priced_support(it, s, View::Total));
            let t = view_tally(it, s, View::Total);
            assert_eq!(d.curve_len(), t.first_reentry_by_month.len() + 1);
            let mut acc = 0;
            for (m, c) in t.first_reentry_by_month.iter().enumerate() {
                acc += c;
                assert_eq!(d.curve(s, m + 1), acc as f64 / t.children as f64);
            }
        }
        assert_eq!(d.spend.as_ref(), Some(&iteration_spend(it, View::Total)));
    }
}

/// `sim::run_map` hands iterations over in order across its blocks, whatever the threads, and
/// gives what `sim::run` keeps whole.
#[test]
fn streamed_iterations_arrive_in_order_and_match_the_whole_run() {
    use reunify::sim::{self, BLOCK, RunOptions};
    let sc = scenario(PLAIN);
    let opts = RunOptions { seed: 9, iterations: 2 * BLOCK + 3, base_case_only: false };
    let whole = sim::run(&sc, opts, &|| {}).unwrap();
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let mut seen = Vec::new();
        pool.install(|| {
            sim::run_map(
                &sc,
                opts,
                &|| {},
                |r| r,
                |r| {
                    seen.push(r);
                    Ok::<_, reunify::model::ModelError>(())
                },
            )
        })
        .unwrap();
        assert_eq!(seen.iter().map(|r| r.iteration).collect::<Vec<_>>(), (0..=opts.iterations).collect::<Vec<_>>());
        assert_eq!(seen[0], whole.base);
        assert_eq!(&seen[1..], &whole.psa[..]);
    }
}
