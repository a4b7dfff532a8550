//! Issue #29, the second hardening round: one regression test per defect, named after the
//! item (`defect_NN_...`), each run against the real binary (or the real server over HTTP on
//! loopback). Each failed on the main branch before the fix that closes its class.

mod common;

use predicates::prelude::*;
use serde_json::{Value, json};

use common::{SMALL, reunify, serve, write};

fn refused(args: &[&str], message: &str) {
    reunify().args(args).assert().code(2).stderr(predicate::str::contains(message));
}

fn post(url: &str, body: &Value) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut r = agent
        .post(&format!("{url}api/whatif"))
        .header("Content-Type", "application/json")
        .send(body.to_string())
        .unwrap();
    (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
}

/// Item 8: `--threads`, `--iterations` and `--decision-years` obey one rule in every command
/// that takes them, and a value refused is refused before any work, with the flag named.
#[test]
fn defect_08_every_command_checks_its_flags_by_the_same_rules() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "x.toml", SMALL);
    let out = dir.path().join("o");
    let out = out.to_str().unwrap();
    let sc = "scenarios/england-2012-13.toml";
    for cmd in
        [vec!["run", f.as_str(), "--out", out], vec!["pilot", sc], vec!["reproduce"], vec!["reproduce", "--external"]]
    {
        let with = |extra: &[&'static str]| [cmd.clone(), extra.to_vec()].concat();
        refused(&with(&["--iterations", "4294967295"]), "--iterations 4294967295 is more than 1,000,000");
        refused(&with(&["--threads", "0"]), "--threads 0: give a number of worker threads from 1");
    }
    for cmd in [vec!["run", f.as_str(), "--out", out], vec!["pilot", sc]] {
        for years in ["1e308", "inf", "NaN", "0", "-1", "101"] {
            let arg = format!("--decision-years={years}");
            refused(&[cmd.clone(), vec![arg.as_str()]].concat(), "--decision-years");
        }
    }
    refused(&["pilot", sc, "--iterations", "9"], "--iterations must be at least 10, not 9");
    refused(&["reproduce", "--iterations", "0"], "--iterations must be at least 1, not 0");
    // A merge checks its flags before it reads a shard.
    refused(&["merge", "no-such-shard", "--threads", "0"], "--threads 0");
    refused(&["merge", "no-such-shard", "--decision-years", "1e308"], "--decision-years");
    assert!(!std::path::Path::new(out).exists(), "nothing is written when a flag is refused");
}

/// Item 8: `--threads` beyond the cores is capped with a warning by every command, not only
/// `run`.
#[test]
fn defect_08_threads_beyond_the_cores_are_capped_by_pilot_too() {
    reunify()
        .args(["pilot", "scenarios/england-2012-13.toml", "--iterations", "20", "--threads", "3000", "--sizes", "50"])
        .assert()
        .success()
        .stderr(predicate::str::contains("--threads 3000 is more than the"));
}

/// Item 1: the what-if server bounds a request's work by the rule `run` applies without
/// `--force`: a cohort of 2⁴⁰ children is refused with the reason, at once.
#[test]
fn defect_01_the_what_if_server_refuses_work_beyond_the_run_limit() {
    let s = serve("scenarios/england-2012-13.toml");
    let (code, body) =
        post(&s.url, &json!({ "overrides": { "authority.England.children": 1_099_511_627_775u64 }, "iterations": 0 }));
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("beyond the limit of 10^12"), "{body}");
    assert!(!body.contains("--force"), "a page cannot pass --force: {body}");
    assert_eq!(post(&s.url, &json!({})).0, 200, "the server still answers");
}
