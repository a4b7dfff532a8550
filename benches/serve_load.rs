//! A bounded load check of `reunify serve` (issue #18), as a bench: what-if requests against
//! loopback on the default scenario, each with its own price (so no answer repeats another).
//!
//! - 500 sequential base-case requests (`iterations = 0`: what the page shows at once);
//! - 8 concurrent clients, 50 base-case requests each;
//! - 50 sequential 200-iteration requests (the page's refinement), each a change of price
//!   alone, which the server answers by re-pricing its last simulation (#29);
//! - 50 sequential 200-iteration requests each with a different cohort size, which the
//!   server must simulate.
//!
//! Prints p50 and p95 latency (wall time at the client) and the error count of each. Run with
//! `cargo bench --bench serve_load`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn request(agent: &ureq::Agent, url: &str, price: f64, iterations: u32) -> (f64, bool) {
    post(
        agent,
        url,
        &format!(r#"{{"overrides": {{"strategy.support-for-all.cost": {price}}}, "iterations": {iterations}}}"#),
    )
}

fn post(agent: &ureq::Agent, url: &str, body: &str) -> (f64, bool) {
    let body = body.to_string();
    let start = Instant::now();
    let ok = match agent.post(url).header("Content-Type", "application/json").send(body) {
        Ok(mut r) => r.status().as_u16() == 200 && r.body_mut().read_to_string().is_ok(),
        Err(_) => false,
    };
    (start.elapsed().as_secs_f64() * 1e3, ok)
}

fn report(what: &str, mut results: Vec<(f64, bool)>) {
    let errors = results.iter().filter(|r| !r.1).count();
    results.sort_by(|a, b| a.0.total_cmp(&b.0));
    let ms: Vec<f64> = results.iter().map(|r| r.0).collect();
    println!(
        "{what:<44} n = {:4}: p50 {:6.1} ms, p95 {:6.1} ms, max {:6.1} ms, errors {errors}",
        ms.len(),
        percentile(&ms, 0.5),
        percentile(&ms, 0.95),
        ms[ms.len() - 1]
    );
}

fn main() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_reunify"))
        .args(["serve", "scenarios/england-2012-13.toml", "--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let base = line.split("open ").nth(1).and_then(|r| r.split_whitespace().next()).unwrap().to_string();
    let url = format!("{base}api/whatif");
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();

    let sequential = (0..500).map(|i| request(&agent, &url, 3000.0 + i as f64, 0)).collect();
    report("500 sequential, base case", sequential);

    let concurrent: Vec<(f64, bool)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|c| {
                let (agent, url) = (agent.clone(), url.clone());
                s.spawn(move || {
                    (0..50).map(|i| request(&agent, &url, 2000.0 + (c * 50 + i) as f64, 0)).collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    report("8 concurrent clients x 50, base case", concurrent);

    let refined = (0..50).map(|i| request(&agent, &url, 4000.0 + i as f64, 200)).collect();
    report("50 sequential, 200 PSA iterations, price", refined);

    let cohorts = (0..50)
        .map(|i| {
            let body =
                format!(r#"{{"overrides": {{"authority.England.children": {}}}, "iterations": 200}}"#, 9000 + 40 * i);
            post(&agent, &url, &body)
        })
        .collect();
    report("50 sequential, 200 PSA iterations, cohort", cohorts);

    let _ = child.kill();
    let _ = child.wait();
}
