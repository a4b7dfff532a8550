//! Helpers shared by the integration tests: small scenarios written inline and run in memory.
#![allow(dead_code)]

use reunify::analysis::{self, View};
use reunify::scenario::Scenario;
use reunify::sim::{self, RunOptions, RunResult};

/// A minimal scenario: one authority, a constant re-entry hazard, no risk factors, and the
/// given extra TOML (costs, strategies, overrides) appended.
pub fn scenario(children: u64, horizon: f64, extra: &str) -> Scenario {
    let text = format!(
        r#"
[scenario]
name = "test"
horizon_years = {horizon}
discount_rate = 0.035
iterations = 20
seed = 42

[[authority]]
name = "Testshire"
children = {children}

{extra}
"#
    );
    Scenario::from_toml_str(&text, "test.toml").unwrap_or_else(|e| panic!("{e}"))
}

pub fn run(sc: &Scenario, psa: bool) -> RunResult {
    let opts = RunOptions { seed: sc.meta.seed, iterations: sc.meta.iterations, base_case_only: !psa };
    sim::run(sc, opts, &|| {}).unwrap()
}

/// Level metric `name` of strategy `s` in the base case.
pub fn base_level(r: &RunResult, s: usize, name: &str) -> f64 {
    let i = reunify::analysis::level_index(name);
    analysis::iteration_metrics(&r.base, View::Total).levels[s][i]
}

/// Every level metric of every strategy in every iteration, base case first.
pub fn all_levels(r: &RunResult) -> Vec<Vec<[f64; 21]>> {
    std::iter::once(&r.base).chain(&r.psa).map(|it| analysis::iteration_metrics(it, View::Total).levels).collect()
}
