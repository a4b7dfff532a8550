//! Helpers shared by the integration tests: small scenarios written inline and run in memory.
#![allow(dead_code)]

use reunify::price;
use reunify::price::View;
use reunify::scenario::Scenario;
use reunify::sim::{self, RunOptions, RunResult};

/// A small scenario for command-line tests: 5,000 children, two strategies, a few uncertain
/// inputs, 6 PSA iterations.
pub const SMALL: &str = r#"
[scenario]
name = "small"
horizon_years = 3.0
iterations = 6
seed = 11

[[authority]]
name = "Testshire"
children = 5000

[reentry]
knots_years = [0.0, 1.0]
calibrate_to = [ { years = 1.0, share = 0.2 }, { years = 3.0, share = { dist = "beta", mean = 0.3, sd = 0.02 } } ]

[[risk_factor]]
name = "older"
prevalence = 0.5
hr_reentry = { dist = "lognormal", median = 1.3, ci95 = [1.0, 1.7] }

[maltreatment]
knots_years = [0.0]
calibrate_to = [ { years = 2.0, share = 0.46 } ]

[[cost]]
name = "breakdown"
amount = 61614
basis = "per_breakdown"

[[strategy]]
name = "usual-care"
eligibility = "none"

[[strategy]]
name = "support"
take_up = 0.9
hr_reentry = { dist = "lognormal", median = 0.75, ci95 = [0.5, 1.1] }
"#;

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
pub fn base_level(r: &RunResult, s: usize, m: reunify::metric::Metric) -> f64 {
    price::iteration_metrics(&r.base, View::Total).levels[s][m]
}

/// Every level metric of every strategy in every iteration, base case first.
pub fn all_levels(r: &RunResult) -> Vec<Vec<reunify::metric::Levels>> {
    std::iter::once(&r.base).chain(&r.psa).map(|it| price::iteration_metrics(it, View::Total).levels).collect()
}

/// The `reunify` binary, for command-line tests.
pub fn reunify() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("reunify").unwrap()
}

/// Writes `text` to `dir/name` and returns the path as a string.
pub fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

/// Every file of `a` is in `b` with the same bytes, but for run.json's timings (wall time, and
/// the threads of the machine that ran it), which are compared without them.
pub fn assert_same_outputs(a: &std::path::Path, b: &std::path::Path) {
    let names = |d: &std::path::Path| {
        let mut v: Vec<String> =
            std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    };
    assert_eq!(names(a), names(b));
    for name in names(a) {
        let (x, y) = (std::fs::read(a.join(&name)).unwrap(), std::fs::read(b.join(&name)).unwrap());
        if name == "run.json" {
            let strip = |bytes: &[u8]| {
                let mut v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
                for k in ["wall_seconds", "simulate_seconds", "analyses_seconds", "threads"] {
                    v.as_object_mut().unwrap().remove(k).expect("run.json records it");
                }
                v
            };
            assert_eq!(strip(&x), strip(&y));
        } else {
            assert!(x == y, "{name} differs between {} and {}", a.display(), b.display());
        }
    }
}

/// `reunify serve FILE` on a free loopback port, killed when dropped (tests/serve.rs and
/// tests/browser.rs).
pub struct Served {
    pub child: std::process::Child,
    /// The page's address, as the server printed it.
    pub url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    /// POSTs `body` as JSON to `path` (`/api/whatif`, say): the status and the response body.
    pub fn post(&self, path: &str, body: &serde_json::Value) -> (u16, String) {
        let mut r = agent()
            .post(&format!("{}{}", self.url, path.trim_start_matches('/')))
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .unwrap();
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
    }
}

/// An HTTP client that returns error statuses as responses, for tests of the server.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

/// Runs the binary with `args` and checks it exits 2 (bad input) saying `message`.
pub fn refused(args: &[&str], message: &str) {
    reunify().args(args).assert().code(2).stderr(predicates::str::contains(message));
}

/// Starts `reunify serve FILE --port 0` and reads the address it prints.
pub fn serve(file: &str) -> Served {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_reunify"))
        .args(["serve", file, "--port", "0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.split("open ").nth(1).and_then(|r| r.split_whitespace().next()).unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "binds to loopback: {line}");
    Served { child, url }
}
