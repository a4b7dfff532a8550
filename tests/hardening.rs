//! Issue #15: one regression test per defect found by the hostile review, named after the
//! item (`defect_NN_...`). Items 1, 2 and 9 (output folders and signals) are in
//! `tests/output_safety.rs`. Every test runs the real binary.

use std::path::Path;

use predicates::prelude::*;

mod common;
use common::{SMALL, refused, reunify, write};

/// SMALL with `from` replaced by `to` (which must occur), written to `dir/x.toml`.
fn small_with(dir: &Path, from: &str, to: &str) -> String {
    assert!(SMALL.contains(from), "{from}");
    write(dir, "x.toml", &SMALL.replacen(from, to, 1))
}

fn run_ok(file: &str, out: &Path, extra: &[&str]) -> std::process::Output {
    let o = reunify().args(["run", file, "--out", out.to_str().unwrap(), "--quiet"]).args(extra).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

#[test]
fn defect_03_a_script_tag_in_a_strategy_name_renders_as_text_in_report_html() {
    let dir = tempfile::tempdir().unwrap();
    let f = small_with(dir.path(), "name = \"support\"", "name = \"x<script>alert(document.domain)</script>\"");
    let out = dir.path().join("res");
    run_ok(&f, &out, &[]);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(!html.to_lowercase().contains("<script"), "a live script tag reached report.html");
    assert!(html.contains("x&lt;script&gt;alert(document.domain)&lt;/script&gt;"));
}

#[test]
fn defect_04_a_near_fixed_lognormal_cost_runs_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let f = small_with(
        dir.path(),
        "take_up = 0.9",
        "take_up = 0.9\ncost = { dist = \"lognormal\", mean = 5627, sd = 0.00001 }",
    );
    let o = run_ok(&f, &dir.path().join("res"), &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("strategy[1] (\"support\").cost: the lognormal distribution's spread is too small to sample"),
        "{err}"
    );
    assert!(err.contains("used as the fixed value 5627"), "{err}");
    reunify().args(["tornado", &f]).assert().success();
}

#[test]
fn defect_04_extreme_gamma_and_beta_spreads_run_or_are_refused_by_path_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    for (value, expect) in [
        ("{ dist = \"gamma\", mean = 5627, sd = 1e-200 }", "used as the fixed value"),
        ("{ dist = \"gamma\", mean = 5627, sd = 1e200 }", ""),
        ("{ dist = \"gamma\", mean = 1e-300, sd = 1e-300 }", ""),
    ] {
        let f = small_with(dir.path(), "amount = 61614", &format!("amount = {value}"));
        let o = reunify().args(["tornado", &f]).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(matches!(o.status.code(), Some(0) | Some(2)), "{value}: {err}");
        assert!(!err.contains("panicked"), "{value}: {err}");
        if o.status.code() == Some(2) {
            assert!(err.contains("cost[0] (\"breakdown\").amount"), "{value}: {err}");
        }
        assert!(err.contains(expect), "{value}: {err}");
    }
    for value in ["{ dist = \"beta\", mean = 0.5, sd = 1e-12 }", "{ dist = \"beta\", events = 1e15, n = 2e15 }"] {
        let f = small_with(dir.path(), "take_up = 0.9", &format!("take_up = {value}"));
        reunify().args(["tornado", &f]).assert().success().stderr(predicate::str::contains(
            "strategy[1] (\"support\").take_up: the beta distribution's spread is too small",
        ));
    }
    // A beta with its mass within 10⁻⁸ of 1 is inverted by bisection (statrs never returned).
    let f = small_with(dir.path(), "take_up = 0.9", "take_up = { dist = \"beta\", events = 999999.99, n = 1000000 }");
    reunify().args(["tornado", &f]).assert().success();
}

#[test]
fn defect_05_take_up_zero_runs_and_its_summary_reads_back_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let f = small_with(dir.path(), "take_up = 0.9", "take_up = 0");
    let out = dir.path().join("res");
    run_ok(&f, &out, &[]);
    reunify().args(["report", out.to_str().unwrap()]).assert().success();
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let be = &summary["breakeven"][0];
    assert!(be["breakeven_hazard_ratio"].is_null() && be["max_affordable_price"].is_null(), "{be}");
    assert!(be["undefined"][0].as_str().unwrap().contains("support reaches no family"), "{be}");
    reunify()
        .args(["breakeven", &f])
        .assert()
        .success()
        .stdout(predicate::str::contains("support reaches no family"))
        .stdout(predicate::str::contains("as high as 50").not())
        .stdout(predicate::str::contains("NaN").not());
}

#[test]
fn defect_05_all_zero_rates_run_and_say_there_are_no_breakdowns_to_avert() {
    let dir = tempfile::tempdir().unwrap();
    let text = SMALL.replace(
        "calibrate_to = [ { years = 1.0, share = 0.2 }, { years = 3.0, share = { dist = \"beta\", mean = 0.3, sd = 0.02 } } ]",
        "rates_per_year = [0.0, 0.0]",
    );
    let f = write(dir.path(), "x.toml", &text);
    let out = dir.path().join("res");
    run_ok(&f, &out, &[]);
    reunify().args(["report", out.to_str().unwrap()]).assert().success();
    reunify()
        .args(["breakeven", &f])
        .assert()
        .success()
        .stdout(predicate::str::contains("no breakdowns under the comparator"))
        .stdout(predicate::str::contains("NaN").not());
}

#[test]
fn defect_05_nonsense_input_is_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("children = 5000", "children = 0", "every authority has 0 children"),
        ("horizon_years = 3.0", "horizon_years = 0", "scenario.horizon_years: 0 is not a horizon from one day"),
        ("amount = 61614", "amount = 1e308", "cost[0] (\"breakdown\").amount: 1e308 is not an amount from £0 to £1bn"),
    ];
    for (from, to, message) in cases {
        let f = small_with(dir.path(), from, to);
        refused(&["run", &f, "--out", dir.path().join("res").to_str().unwrap()], message);
        assert!(!dir.path().join("res").exists());
    }
    // min_risk_score above the number of risk factors: nobody could be eligible.
    let text = SMALL.to_string() + "\n[[strategy]]\nname = \"targeted\"\neligibility = { min_risk_score = 2 }\n";
    let f = write(dir.path(), "y.toml", &text);
    refused(
        &["validate", &f],
        "strategy[2] (\"targeted\").eligibility.min_risk_score: 2 is more than the 1 risk factors a child can have",
    );
    let f = write(dir.path(), "ok.toml", SMALL);
    for years in ["nan", "-5", "0", "inf"] {
        refused(&["run", &f, &format!("--decision-years={years}")], "--decision-years");
    }
}

#[test]
fn defect_06_integers_are_converted_with_checks_never_truncated_or_wrapped() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        SMALL.to_string() + "\n[[strategy]]\nname = \"targeted\"\neligibility = { min_risk_score = 4294967296 }\n";
    let f = write(dir.path(), "x.toml", &text);
    refused(&["validate", &f], "min_risk_score: 4294967296 is not a whole number of risk factors");
    let f = write(
        dir.path(),
        "g.toml",
        &format!("{SMALL}\n[budget]\nfirst_financial_year = 2025\nyears = 50\ngrowth_per_year = 1e300\n"),
    );
    refused(&["validate", &f], "budget.growth_per_year: 1e300 a year makes the last cohort of Testshire");
    let csv = "geog_l,geog_n,CLA_ceaPar\nNATIONAL,England,10\nLA,Camden,99999999999999999999\n";
    let p = write(dir.path(), "dfe.csv", csv);
    let out = dir.path().join("s.toml");
    reunify()
        .args(["import-dfe", &p, "--year", "2013", "--out", out.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("line 3: Camden: CLA_ceaPar: \"99999999999999999999\" is neither a count"));
    assert!(!out.exists());
}

#[test]
fn defect_07_names_that_spreadsheets_read_as_formulas_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (from, to, path) in [
        ("name = \"Testshire\"", "name = \"=HYPERLINK(\\\"http://x\\\")\"", "authority[0].name"),
        ("name = \"support\"", "name = \"@SUM(A1)\"", "strategy[1].name"),
        ("name = \"support\"", "name = \"+1\"", "strategy[1].name"),
        ("name = \"older\"", "name = \"-x\"", "risk_factor[0].name"),
    ] {
        let f = small_with(dir.path(), from, to);
        refused(&["validate", &f], &format!("{path}: "));
        refused(&["validate", &f], "would be read as a formula");
    }
    let csv = "geog_l,geog_n,CLA_ceaPar\nNATIONAL,England,10\nLA,=cmd|' /C calc'!A0,5\n";
    let p = write(dir.path(), "dfe.csv", csv);
    let out = dir.path().join("s.toml");
    refused(
        &["import-dfe", &p, "--year", "2013", "--out", out.to_str().unwrap()],
        "line 3: authority name \"=cmd|' /C calc'!A0\": does not start with a letter or digit",
    );
}

#[test]
fn defect_08_names_that_collide_with_the_total_or_differ_only_by_case_or_spacing_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["all", "All"] {
        let f = small_with(dir.path(), "name = \"Testshire\"", &format!("name = \"{name}\""));
        refused(&["validate", &f], "is the name of the total over authorities");
    }
    let two = SMALL.replacen(
        "children = 5000\n",
        "children = 5000\n\n[[authority]]\nname = \"testshire\"\nchildren = 10\n",
        1,
    );
    let f = write(dir.path(), "two.toml", &two);
    refused(&["validate", &f], "authority[1].name: \"testshire\" is the same name as authority[0] (\"Testshire\")");
    let f = small_with(dir.path(), "name = \"Testshire\"", "name = \" Testshire\"");
    refused(&["validate", &f], "must not start or end with spaces");
}

#[test]
fn defect_10_runs_beyond_10_to_the_12_child_paths_need_force_and_threads_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let f = small_with(dir.path(), "children = 5000", "children = 1000000000000");
    refused(&["run", &f, "--out", dir.path().join("big").to_str().unwrap()], "beyond the limit of 10^12");
    refused(&["run", &f], "pass --force");
    assert!(!dir.path().join("big").exists());
    let f = write(dir.path(), "ok.toml", SMALL);
    // Iterations are held in memory: more than a million is refused, in the file or the flag.
    refused(&["run", &f, "--iterations", "4294967295"], "--iterations 4294967295 is more than 1,000,000");
    let many = small_with(dir.path(), "iterations = 6", "iterations = 4294967295");
    refused(&["validate", &many], "scenario.iterations: 4294967295 is not a number of PSA iterations");
    let o = run_ok(&f, &dir.path().join("res"), &["--threads", "10000", "--no-report"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--threads 10000 is more than the"), "{err}");
}

/// The minimal SFR table with `rows` after the header.
fn sfr(dir: &Path, rows: &str) -> String {
    write(dir, "dfe.csv", &format!("geog_l,geog_n,CLA_ceaPar\nNATIONAL,England,20\n{rows}"))
}

#[test]
fn defect_11_import_dfe_refuses_ragged_truncated_and_duplicated_tables_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.toml");
    let o = out.to_str().unwrap();
    for (rows, message) in [
        ("LA,Camden\nLA,Barnet,5\n", "line 3: 2 fields where the header has 3"),
        ("LA,Camden,5\nLA,\"Barn", "line 4: a quoted field is never closed; is the file truncated?"),
        ("LA,Camden,5\nLA,Camden,6\n", "line 4: Camden appears twice (also on line 3)"),
    ] {
        let p = sfr(dir.path(), rows);
        refused(&["import-dfe", &p, "--year", "2013", "--out", o], message);
        assert!(!out.exists());
    }
    let p = sfr(dir.path(), "LA,Camden,5\nLA,Barnet,c\n");
    reunify().args(["import-dfe", &p, "--year", "2013", "--out", o]).assert().success();
    // The file exists now: not overwritten without --force, and no temporary file is left.
    refused(&["import-dfe", &p, "--year", "2013", "--out", o], "exists; pass --force");
    reunify().args(["import-dfe", &p, "--year", "2013", "--out", o, "--force"]).assert().success();
    let names: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn defect_11_import_dfe_names_the_file_and_line_for_encodings_and_missing_columns() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.toml");
    let o = out.to_str().unwrap();
    let p = dir.path().join("cp1252.csv");
    std::fs::write(&p, b"geog_l,geog_n,CLA_ceaPar\nLA,St Helens \x96 north,5\n").unwrap();
    let ps = p.to_str().unwrap();
    refused(&["import-dfe", ps, "--year", "2013", "--out", o], &format!("{ps}: line 2: byte 38 is not UTF-8"));
    let p = write(dir.path(), "nocol.csv", "geog_l,CLA_ceaPar\nLA,5\n");
    refused(
        &["import-dfe", &p, "--year", "2013", "--out", o],
        &format!("{p} (SFR table): the table has no column `geog_n`"),
    );
    let utf16: Vec<u8> = [0xFF, 0xFE].into_iter().chain("geog_l\n".encode_utf16().flat_map(u16::to_le_bytes)).collect();
    std::fs::write(dir.path().join("u16.csv"), utf16).unwrap();
    let p = dir.path().join("u16.csv");
    refused(&["import-dfe", p.to_str().unwrap(), "--year", "2013", "--out", o], "is UTF-16 text; save it as UTF-8");
}

#[test]
fn defect_12_smaller_things() {
    let dir = tempfile::tempdir().unwrap();
    refused(&["reproduce", "--iterations", "0"], "--iterations must be at least 1");
    // validate reports every file, good and bad, and fails if any is bad.
    let good = write(dir.path(), "good.toml", SMALL);
    let bad = small_with(dir.path(), "take_up = 0.9", "take_up = 1.3");
    reunify()
        .args(["validate", &bad, &good, "no/such.toml"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains(format!("{good}: ok")))
        .stderr(predicate::str::contains(format!("{bad}: strategy[1] (\"support\").take_up")))
        .stderr(predicate::str::contains("cannot read no/such.toml"))
        .stderr(predicate::str::contains("2 of 3 files did not validate"));
    // A folder given as a scenario names the folder.
    refused(&["validate", dir.path().to_str().unwrap()], "it is a folder, not a file");
    // UTF-16 scenarios get a hint about the encoding.
    let utf16: Vec<u8> = [0xFF, 0xFE].into_iter().chain(SMALL.encode_utf16().flat_map(u16::to_le_bytes)).collect();
    let p = dir.path().join("u16.toml");
    std::fs::write(&p, utf16).unwrap();
    refused(&["validate", p.to_str().unwrap()], "is UTF-16 text; save it as UTF-8");
    // init does not write through a dangling symbolic link without --force.
    let link = dir.path().join("link.toml");
    std::os::unix::fs::symlink(dir.path().join("nowhere/x.toml"), &link).unwrap();
    refused(&["init", link.to_str().unwrap()], "exists; pass --force");
    assert!(!dir.path().join("nowhere").exists());
    // A damaged output folder's error names the file.
    let out = dir.path().join("res");
    run_ok(&good, &out, &["--no-report"]);
    let curve = std::fs::read_to_string(out.join("reentry_curve.csv")).unwrap();
    std::fs::write(out.join("reentry_curve.csv"), curve.replacen(",base,", ",bass,", 1)).unwrap();
    reunify()
        .args(["report", out.to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("reentry_curve.csv is not a reunify reentry_curve table"));
    // A calibration error gives its reason once, and a tiny number in short form.
    let f = small_with(dir.path(), "{ years = 1.0, share = 0.2 }", "{ years = 1e-300, share = 0.2 }");
    let o = reunify().args(["run", &f, "--out", dir.path().join("c").to_str().unwrap()]).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(err.matches("cannot be reached").count(), 1, "{err}");
    assert!(err.contains("at 1e-300 years") && !err.contains("0.00000"), "{err}");
}

#[test]
fn defect_10_returns_home_are_capped_per_child_and_the_cap_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let text = SMALL
        .replace(
            "calibrate_to = [ { years = 1.0, share = 0.2 }, { years = 3.0, share = { dist = \"beta\", mean = 0.3, sd = 0.02 } } ]",
            "rates_per_year = [5000.0, 5000.0]",
        )
        .replace("children = 5000", "children = 20")
        + "\n[care_after_breakdown]\nmedian_years = 0.000001\nsigma = 0\nreturn_home_probability = 1\n";
    let f = write(dir.path(), "loop.toml", &text);
    let out = dir.path().join("res");
    let o = run_ok(&f, &out, &["--no-report", "--iterations", "2"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("reached the cap of 1,000 returns home"), "{err}");
    let run: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert!(run["paths_capped_at_max_returns"].as_u64().unwrap() > 0);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let returns = summary["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["metric"] == "returns_home" && r["kind"] == "level" && r["authority"] == "all")
        .unwrap()["base"]
        .as_f64()
        .unwrap();
    assert!(returns <= 20.0 * 1000.0, "{returns}");
}
