//! The command line: exit codes, error messages naming file, field and reason, nothing
//! written on failure, and byte-identical outputs whatever the thread count.

use std::path::Path;

use predicates::prelude::*;

mod common;
use common::{SMALL, reunify, write};

fn run_small(dir: &Path, out: &str, extra: &[&str]) -> std::process::Output {
    let file = write(dir, "small.toml", SMALL);
    let out = dir.join(out);
    let mut args = vec!["run", file.as_str(), "--out", out.to_str().unwrap(), "--quiet", "--no-report"];
    args.extend_from_slice(extra);
    reunify().args(&args).output().unwrap()
}

#[test]
fn a_missing_file_is_bad_input() {
    reunify()
        .args(["run", "no/such/file.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read no/such/file.toml"));
}

#[test]
fn an_unknown_key_names_file_path_and_suggests_the_right_key() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "x.toml", &SMALL.replace("take_up = 0.9", "take_upp = 0.9"));
    let out = dir.path().join("out");
    reunify()
        .args(["run", &f, "--out", out.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!("{f}: strategy[1].take_upp")))
        .stderr(predicate::str::contains("did you mean `take_up`?"));
    assert!(!out.exists(), "nothing may be written on failure");
}

#[test]
fn same_as_must_name_an_earlier_strategy() {
    let dir = tempfile::tempdir().unwrap();
    let later = SMALL.to_string() + "\n[[strategy]]\nname = \"targeted\"\nsame_as = \"suport\"\n";
    let f = write(dir.path(), "x.toml", &later);
    reunify().args(["validate", &f]).assert().code(2).stderr(predicate::str::contains(format!(
        "{f}: strategy[2] (\"targeted\").same_as: \"suport\" is not the name of an earlier [[strategy]]; did you mean \"support\"?"
    )));
    // A strategy cannot take its support from itself or from one listed after it.
    let itself = SMALL.replace("name = \"support\"\n", "name = \"support\"\nsame_as = \"support\"\n");
    let f = write(dir.path(), "y.toml", &itself);
    reunify().args(["validate", &f]).assert().code(2).stderr(predicate::str::contains(format!(
        "{f}: strategy[1] (\"support\").same_as: \"support\" is not the name of an earlier"
    )));
}

#[test]
fn an_out_of_range_value_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "x.toml", &SMALL.replace("take_up = 0.9", "take_up = 1.3"));
    reunify().args(["validate", &f]).assert().code(2).stderr(predicate::str::contains(format!(
        "{f}: strategy[1] (\"support\").take_up: 1.3 is not a probability (0 to 1)"
    )));
}

#[test]
fn inconsistent_targets_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let bad = SMALL.replace("{ years = 1.0, share = 0.2 }", "{ years = 1.0, share = 0.35 }");
    let f = write(dir.path(), "x.toml", &bad);
    reunify()
        .args(["validate", &f])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("reentry.calibrate_to[1].share"))
        .stderr(predicate::str::contains("must rise strictly"));
    let bad = SMALL.replace("knots_years = [0.0, 1.0]", "knots_years = [0.0, 1.0, 0.5]");
    let f = write(dir.path(), "y.toml", &bad);
    reunify().args(["validate", &f]).assert().code(2).stderr(predicate::str::contains("reentry.knots_years[2]"));
}

#[test]
fn a_syntax_error_gives_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "x.toml", "[scenario]\nname = \n");
    reunify().args(["validate", &f]).assert().code(2).stderr(predicate::str::contains("line 2"));
}

#[test]
fn shipped_scenarios_and_the_init_template_validate() {
    let dir = tempfile::tempdir().unwrap();
    let init = dir.path().join("new.toml");
    reunify().args(["init", init.to_str().unwrap()]).assert().success();
    reunify().args(["init", init.to_str().unwrap()]).assert().code(2);
    let mut args = vec!["validate".to_string(), init.display().to_string()];
    // The scenarios, not the evidence they are built from (scenarios/evidence/).
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "toml") {
            args.push(p.display().to_string());
        }
    }
    reunify()
        .args(&args)
        .assert()
        .success()
        .stdout(predicate::str::contains("england-2012-13.toml: ok (1 authority, 10,080 children, 3 strategies,"))
        .stdout(predicate::str::contains("dfe-2006-07-cohort.toml: ok (1 authority, 10,270 children, 1 strategy,"))
        .stdout(predicate::str::contains("england-2014-2020.toml: ok (1 authority, 7,320 children, 3 strategies,"));
}

#[test]
fn a_run_writes_every_table_and_nothing_else_is_left_behind() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_small(dir.path(), "res", &["--csv"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in [
        "summary.json",
        "summary.csv",
        "inputs.csv",
        "iterations.csv",
        "iterations.parquet",
        "parameters.csv",
        "parameters.parquet",
        "reentry_curve.csv",
        "results.xlsx",
        "DATA.md",
        "run.json",
    ] {
        assert!(dir.path().join("res").join(f).exists(), "{f}");
    }
    // Without --csv the per-iteration tables are Parquet only.
    let o = run_small(dir.path(), "lean", &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(dir.path().join("lean/iterations.parquet").exists());
    assert!(!dir.path().join("lean/iterations.csv").exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // One row per iteration (base case 0 and 6 PSA draws) × strategy × authority.
    let csv = std::fs::read_to_string(dir.path().join("res/iterations.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 7 * 2);
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("res/run.json")).unwrap()).unwrap();
    assert_eq!(run["scenario_sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn outputs_are_byte_identical_on_one_and_two_threads_and_follow_the_seed() {
    let dir = tempfile::tempdir().unwrap();
    for (out, threads, seed) in [("t1", "1", "5"), ("t2", "2", "5"), ("t2b", "2", "5"), ("s6", "2", "6")] {
        let o = run_small(dir.path(), out, &["--threads", threads, "--seed", seed, "--csv"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let read = |d: &str, f: &str| std::fs::read(dir.path().join(d).join(f)).unwrap();
    for f in [
        "summary.json",
        "iterations.parquet",
        "iterations.csv",
        "parameters.parquet",
        "reentry_curve.csv",
        "results.xlsx",
    ] {
        assert_eq!(read("t1", f), read("t2", f), "{f} differs between 1 and 2 threads");
        assert_eq!(read("t2", f), read("t2b", f), "{f} differs between two runs with the same seed");
        assert_ne!(read("t2", f), read("s6", f), "{f} must change with the seed");
    }
}

#[test]
fn reproduce_prints_json_with_the_documented_keys() {
    let out = reunify().args(["reproduce", "--format", "json", "--iterations", "30"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 11);
    for r in rows {
        for k in ["figure", "published", "engine", "mcse"] {
            assert!(r.get(k).is_some(), "missing {k}");
        }
    }
}

#[test]
fn breakeven_and_tornado_commands_print_their_analyses() {
    reunify()
        .args(["breakeven", "scenarios/holmes-2014.toml"])
        .assert()
        .success()
        .stdout(predicate::str::contains("prevents at least 921 of the"))
        // The rate says what it counts, and the published measure (Holmes: 47% to 38%) follows.
        .stdout(predicate::str::contains("from 79.0 to 69.9 per 100 children returned home"))
        .stdout(predicate::str::contains("back in care within 12 months of going home, from 46.5% to 37.4%"));
    reunify()
        .args(["tornado", "scenarios/holmes-2014.toml", "--top", "3"])
        .assert()
        .success()
        // Inputs by their labels, values in their units; the keys stay in tornado.csv.
        .stdout(predicate::str::contains("Support for all: effect on re-entry (hazard ratio)"))
        .stdout(predicate::str::contains("strategy.support-for-all").not());
    reunify().args(["breakeven", "no/such.toml"]).assert().code(2);
}

#[test]
fn flow_mode_budget_tables_are_identical_on_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "flow.toml", &format!("{SMALL}\n[budget]\nfirst_financial_year = 2025\nyears = 3\n"));
    for (out, threads) in [("t1", "1"), ("t2", "2")] {
        let out = dir.path().join(out);
        reunify()
            .args([
                "run",
                &file,
                "--out",
                out.to_str().unwrap(),
                "--quiet",
                "--no-report",
                "--threads",
                threads,
                "--csv",
            ])
            .assert()
            .success();
    }
    let read = |d: &str, f: &str| std::fs::read(dir.path().join(d).join(f)).unwrap();
    for f in ["budget.csv", "summary.json", "iterations.parquet"] {
        assert_eq!(read("t1", f), read("t2", f), "{f} differs between 1 and 2 threads");
    }
    // One row per iteration (base case and 6 PSA draws), strategy, authority and financial year.
    let text = String::from_utf8(read("t1", "budget.csv")).unwrap();
    assert_eq!(text.lines().count(), 1 + 7 * 2 * 3);
    assert!(text.lines().nth(1).unwrap().starts_with("0,base,usual-care,Testshire,2025-26,"));
}

#[test]
fn a_bad_budget_is_bad_input_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "bad.toml",
        &format!("{SMALL}\n[budget]\nfirst_financial_year = 2025\nyears = 3\ncohorts = 4\n"),
    );
    reunify()
        .args(["validate", &file])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("budget.cohorts: 4 is not a number of cohorts from 1 to budget.years (3)"));
}

#[test]
fn errors_in_an_authoritys_overrides_name_the_authority() {
    let dir = tempfile::tempdir().unwrap();
    let with = |over: &str| {
        let text = SMALL.replace(
            "children = 5000\n",
            &format!("children = 5000\n\n[[authority]]\nname = \"Camden\"\nchildren = 40\n{over}\n"),
        );
        write(dir.path(), "over.toml", &text)
    };
    let cases = [
        (
            "[[authority.strategy]]\nname = \"support\"\ntake_up = 1.3",
            "authority[1] (Camden).strategy[1] (\"support\").take_up: 1.3 is not a probability (0 to 1)",
        ),
        (
            "[[authority.strategy]]\nname = \"suport\"\ntake_up = 0.5",
            "strategy[0].name: \"suport\" is not a [[strategy]]",
        ),
        ("[[authority.strategy]]\nname = \"suport\"\ntake_up = 0.5", "did you mean \"support\"?"),
        (
            "[authority.care_after_breakdown]\nsigmaa = 1.0",
            "authority[1] (Camden).care_after_breakdown.sigmaa: unknown field `sigmaa`",
        ),
    ];
    for (over, message) in cases {
        let file = with(over);
        reunify().args(["validate", &file]).assert().code(2).stderr(predicate::str::contains(message));
    }
    let ok = with("[[authority.cost]]\nname = \"breakdown\"\namount = 73937");
    reunify().args(["validate", &ok]).assert().success();
}

#[test]
fn a_flow_mode_run_prints_the_payback_year() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("h");
    let o = reunify()
        .args(["run", "scenarios/holmes-2014.toml", "--out", out.to_str().unwrap(), "--no-report"])
        .args(["--iterations", "10"])
        .output()
        .unwrap();
    assert!(o.status.success());
    // The verdict is wrapped for the terminal; read it as one line.
    let text = String::from_utf8(o.stdout).unwrap().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("It does not pay back within the budget window"), "{text}");
    assert!(text.contains("over the 3 financial years 2013-14 to 2015-16"), "{text}");
    assert!(out.join("budget.parquet").exists());
    assert!(out.join("budget_summary.csv").exists());
}
