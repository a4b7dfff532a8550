//! Fuzz target: the DfE import parsers (SFR wide and EES long tables). Any text must give an
//! `Import` or an error, never a panic; an import's counts never wrap.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reunify::app::import;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(imported) = import::parse(text, "fuzz.csv", 2024, 3) {
        let total: u128 = imported.authorities.values().map(|n| *n as u128).sum();
        assert!(imported.authorities.values().all(|n| *n < reunify::scenario::MAX_COHORT_CHILDREN));
        assert!(total < u128::from(u64::MAX));
    }
});
