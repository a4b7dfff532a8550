//! Fuzz target: scenario parsing and validation. Any bytes must give a `Scenario` or a
//! `ScenarioError`, never a panic, and a scenario that validates must have a valid
//! parameter table: every point value finite and every distribution drawable.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reunify::scenario::Scenario;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(sc) = Scenario::from_toml_str(text, "fuzz.toml") {
        for p in &sc.params {
            assert!(p.param.point.is_finite(), "{}", p.key);
            let (lo, hi) = (p.param.dist.quantile(0.025), p.param.dist.quantile(0.975));
            assert!(lo.is_finite() && hi.is_finite() && lo <= hi, "{}: {lo} {hi}", p.key);
        }
        assert!(sc.total_children() > 0);
    }
});
