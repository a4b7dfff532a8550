//! `reunify serve` (issue #18) over real HTTP on loopback: the scenario API, what-if answers
//! that `reunify run` on the saved scenario reproduces, validation messages with HTTP 400,
//! and bounded work (body size, iterations, unknown routes).

mod common;

use std::path::Path;
use std::process::Command;

use common::{agent, serve};

use serde_json::{Value, json};

fn net_saving(answer: &Value, strategy: &str) -> f64 {
    answer["strategies"].as_array().unwrap().iter().find(|s| s["strategy"] == strategy).unwrap()["net_saving"]
        .as_f64()
        .unwrap()
}

fn run_saved(toml: &str, dir: &Path, iterations: &str) -> Value {
    let file = dir.join(format!("saved-{iterations}.toml"));
    std::fs::write(&file, toml).unwrap();
    let out = dir.join(format!("out-{iterations}"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_reunify"));
    cmd.arg("run").arg(&file).args(["--quiet", "--no-report", "--out"]).arg(&out);
    if iterations == "0" {
        cmd.arg("--base-case-only");
    } else {
        cmd.args(["--iterations", iterations]);
    }
    assert!(cmd.status().unwrap().success());
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn the_page_and_the_scenario_api_are_served() {
    let s = serve("scenarios/england-2012-13.toml");
    let mut r = agent().get(&s.url).call().unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let page = r.body_mut().read_to_string().unwrap();
    assert!(page.contains("<title>reunify what-if</title>") && !page.contains("src=\"http"), "self-contained page");
    let info: Value = serde_json::from_str(
        &agent().get(&format!("{}api/scenario", s.url)).call().unwrap().body_mut().read_to_string().unwrap(),
    )
    .unwrap();
    let controls = info["controls"].as_array().unwrap();
    let cost = controls.iter().find(|c| c["key"] == "strategy.support-for-all.cost").expect("a price control");
    assert_eq!((cost["default"].as_f64(), cost["unit"].as_str()), (Some(5627.0), Some("£")));
    assert!(cost["label"].as_str().unwrap().contains("price of support"));
    assert!(controls.iter().any(|c| c["key"] == "authority.England.children" && c["default"] == 10080.0));
    assert!(controls.iter().any(|c| c["key"] == "scenario.horizon_years"));
    // Unknown routes and methods.
    assert_eq!(agent().get(&format!("{}etc/passwd", s.url)).call().unwrap().status().as_u16(), 404);
    assert_eq!(agent().get(&format!("{}api/whatif", s.url)).call().unwrap().status().as_u16(), 405);
}

#[test]
fn a_what_if_answer_is_what_reunify_run_gives_on_the_saved_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve("scenarios/england-2012-13.toml");
    let overrides = json!({ "strategy.support-for-all.cost": 3000.0, "authority.England.children": 5000.0 });

    let (code, body) = s.post("/api/whatif", &json!({ "overrides": overrides, "iterations": 0, "seq": 1 }));
    assert_eq!(code, 200, "{body}");
    let base: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(base["seq"], 1);
    assert_eq!(base["iterations"], 0);
    let (code, default) = s.post("/api/whatif", &json!({ "iterations": 0 }));
    assert_eq!(code, 200);
    let default: Value = serde_json::from_str(&default).unwrap();
    assert_ne!(net_saving(&base, "support-for-all"), net_saving(&default, "support-for-all"), "the price moved it");

    let (code, psa) = s.post("/api/whatif", &json!({ "overrides": overrides, "iterations": 40, "seq": 2 }));
    assert_eq!(code, 200, "{psa}");
    let psa: Value = serde_json::from_str(&psa).unwrap();
    assert_eq!(psa["iterations"], 40);
    assert!(psa["svg"].as_str().unwrap().starts_with("<svg"));

    let (code, toml) = s.post("/api/scenario.toml", &json!({ "overrides": overrides }));
    assert_eq!(code, 200, "{toml}");
    assert!(toml.starts_with("# Saved from `reunify serve scenarios/england-2012-13.toml`"), "{toml}");
    assert!(toml.contains("#   strategy.support-for-all.cost: 5627 -> 3000"), "{toml}");
    assert!(toml.contains("[what_if]"));

    // The base case: the run's break-even section carries the base-case net saving.
    let run = run_saved(&toml, dir.path(), "0");
    for strategy in ["support-for-all", "targeted-support"] {
        let b = run["breakeven"].as_array().unwrap().iter().find(|b| b["strategy"] == strategy).unwrap();
        assert_eq!(b["net_saving"].as_f64().unwrap(), net_saving(&base, strategy), "{strategy}, base case");
    }
    // With 40 PSA iterations: the summary's mean net saving, the page's headline figure.
    let run = run_saved(&toml, dir.path(), "40");
    for strategy in ["support-for-all", "targeted-support"] {
        let row = run["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| {
                r["strategy"] == strategy
                    && r["authority"] == "all"
                    && r["kind"] == "increment"
                    && r["metric"] == "net_saving"
            })
            .unwrap();
        assert_eq!(row["mean"].as_f64().unwrap(), net_saving(&psa, strategy), "{strategy}, 40 iterations");
    }
}

#[test]
fn bad_values_get_the_validation_message_and_work_is_bounded() {
    let s = serve("scenarios/england-2012-13.toml");
    let (code, body) =
        s.post("/api/whatif", &json!({ "overrides": { "strategy.support-for-all.take_up": 1.3 }, "iterations": 0 }));
    assert_eq!(code, 400);
    assert!(body.contains("strategy.support-for-all.take_up: 1.3 is not a probability (0 to 1)"), "{body}");
    let (code, body) = s.post("/api/whatif", &json!({ "overrides": { "strategy.support-for-all.costs": 3.0 } }));
    assert_eq!(code, 400);
    assert!(body.contains("did you mean \\\"strategy.support-for-all.cost\\\""), "{body}");
    let (code, body) = s.post("/api/whatif", &json!({ "iterations": 5000 }));
    assert_eq!((code, body.contains("more than 1000")), (400, true), "{body}");
    let (code, _) = s.post("/api/whatif", &json!({ "overrides": {}, "path": "/etc/passwd" }));
    assert_eq!(code, 400, "unknown fields are refused");
    let big = "x".repeat(70 * 1024);
    let (code, _) = s.post("/api/whatif", &json!({ "client": big }));
    assert_eq!(code, 413);
    // The server still answers after all that.
    assert_eq!(s.post("/api/whatif", &json!({})).0, 200);
}

#[test]
fn a_strategy_s_years_and_eligibility_rule_can_be_changed_and_are_checked() {
    let s = serve("scenarios/england-2012-13.toml");
    let info: Value = serde_json::from_str(
        &agent().get(&format!("{}api/scenario", s.url)).call().unwrap().body_mut().read_to_string().unwrap(),
    )
    .unwrap();
    let keys: Vec<&str> = info["controls"].as_array().unwrap().iter().map(|c| c["key"].as_str().unwrap()).collect();
    for k in ["strategy.support-for-all.effect_years", "strategy.targeted-support.min_risk_score"] {
        assert!(keys.contains(&k), "no control {k}");
    }
    let at = |overrides: Value| -> (u16, Value) {
        let (code, body) = s.post("/api/whatif", &json!({ "overrides": overrides, "iterations": 0 }));
        (code, serde_json::from_str(&body).unwrap())
    };
    let (_, default) = at(json!({}));
    // Offering targeted support from one risk factor instead of two reaches more children.
    let (code, wider) = at(json!({ "strategy.targeted-support.min_risk_score": 1.0 }));
    assert_eq!(code, 200);
    assert_ne!(net_saving(&wider, "targeted-support"), net_saving(&default, "targeted-support"));
    assert_eq!(net_saving(&wider, "support-for-all"), net_saving(&default, "support-for-all"), "only that strategy");
    let (code, longer) = at(json!({ "strategy.support-for-all.effect_years": 2.0 }));
    assert_eq!(code, 200);
    assert_ne!(net_saving(&longer, "support-for-all"), net_saving(&default, "support-for-all"));
    let (code, e) = at(json!({ "strategy.targeted-support.min_risk_score": 9.0 }));
    assert_eq!(code, 400);
    assert!(e["error"].as_str().unwrap().contains("9 is not a whole number of risk factors from 0 to 4"), "{e}");
    let (code, e) = at(json!({ "strategy.support-for-all.min_risk_score": 1.0 }));
    assert_eq!(code, 400);
    assert!(e["error"].as_str().unwrap().contains("offered to every child"), "{e}");
}

/// Ctrl-C (SIGINT) stops the server at once with the interrupted exit code.
#[test]
fn the_server_stops_on_ctrl_c() {
    let mut s = serve("scenarios/england-2012-13.toml");
    // SAFETY: signals our own child process.
    assert_eq!(unsafe { libc::kill(s.child.id() as i32, libc::SIGINT) }, 0);
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(st) = s.child.try_wait().unwrap() {
            break st;
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(10), "still serving after Ctrl-C");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130));
}

/// A what-if answer without its timing, and whether it was re-priced.
fn answer(served: &common::Served, body: &Value) -> (Value, bool) {
    let (code, text) = served.post("/api/whatif", body);
    assert_eq!(code, 200, "{text}");
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v.as_object_mut().unwrap().remove("server_ms");
    let repriced = v.as_object_mut().unwrap().remove("repriced").unwrap().as_bool().unwrap();
    (v, repriced)
}

/// A change of prices alone is answered by re-pricing the last simulation's tallies, and the
/// answer is exactly the one a fresh simulation gives: for the base case and a PSA, for a
/// support price and a cost line's amount, and after a change that is not a price (which
/// simulates again).
#[test]
fn a_price_change_is_re_priced_and_equals_a_fresh_simulation() {
    let warm = serve("scenarios/england-2012-13.toml");
    for iterations in [0, 30] {
        let prices = json!({ "strategy.support-for-all.cost": 4000, "cost.breakdown.amount": 50000 });
        let cohort = json!({ "strategy.support-for-all.cost": 4000, "authority.England.children": 3000 });
        // The warm server has simulated without the overrides first, so it re-prices.
        assert!(!answer(&warm, &json!({ "iterations": iterations })).1);
        let (repriced, was) = answer(&warm, &json!({ "overrides": prices, "iterations": iterations }));
        assert!(was, "only prices changed: re-priced");
        assert!(!answer(&warm, &json!({ "overrides": cohort, "iterations": iterations })).1, "the cohort changed");
        let (cohort_repriced, was) = answer(
            &warm,
            &json!({ "overrides": { "strategy.support-for-all.cost": 3000, "authority.England.children": 3000 }, "iterations": iterations }),
        );
        assert!(was);
        let cold = serve("scenarios/england-2012-13.toml");
        let (fresh, was) = answer(&cold, &json!({ "overrides": prices, "iterations": iterations }));
        assert!(!was);
        assert_eq!(repriced, fresh, "{iterations}");
        let cold = serve("scenarios/england-2012-13.toml");
        let (fresh, _) = answer(
            &cold,
            &json!({ "overrides": { "strategy.support-for-all.cost": 3000, "authority.England.children": 3000 }, "iterations": iterations }),
        );
        assert_eq!(cohort_repriced, fresh, "{iterations}");
        assert_ne!(repriced["strategies"], cohort_repriced["strategies"], "the answers differ with the values");
    }
}
