//! Fuzz target: the what-if server's request body (`POST /api/whatif` and
//! `/api/scenario.toml`). Any bytes give a request or an error; a request's overrides give a
//! scenario or a validation error; the saved scenario's text reads back as a scenario; and a
//! request small enough to simulate here (at most 5,000 children and 3 iterations) is
//! answered or refused, never a panic. Larger ones stop at their first batch of children, as
//! a superseded request does.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use reunify::app::serve::{State, WhatIf, saved_toml, what_if};
use reunify::scenario::Scenario;

fn state() -> &'static State {
    static STATE: OnceLock<State> = OnceLock::new();
    STATE.get_or_init(|| {
        let text = include_str!("../../scenarios/holmes-2014.toml").replace("children = 10080", "children = 500");
        let sc = Scenario::from_toml_str(&text, "holmes-2014.toml").expect("the shipped scenario validates");
        State::new(sc, text, "holmes-2014.toml".into())
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(w) = serde_json::from_slice::<WhatIf>(data) else { return };
    let state = state();
    if let Ok(text) = saved_toml(state, &w.overrides) {
        // A saved scenario runs: it reads back, with the page's values.
        Scenario::from_toml_str(&text, "saved.toml").expect("a saved scenario validates");
    }
    let Ok(sc) = state.sc.with_overrides(&w.overrides, "what-if", "") else { return };
    if sc.total_children() <= 5_000 && w.iterations <= 3 {
        let _ = what_if(state, &w, &|| false);
    } else {
        let _ = what_if(state, &w, &|| true);
    }
});
