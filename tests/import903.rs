//! `reunify import-903` (issue #28): an authority's own baseline from its SSDA903 returns.
//!
//! - a coverage check: over several generated authorities with a known truth
//!   (`ssda903::synthetic`), the fit's 95% intervals cover the true rates and hazard ratios
//!   about 95% of the time, and the hold-out prediction's interval meets the held-out curve's;
//! - the command line: both layouts, both date forms, a file that is not 903 data (exit 2,
//!   the file named), dirty rows (logged, not fatal), suppression (no count from 1 to 4 in any
//!   output), no child ID, date of birth, postcode or URN in any output, and a fitted scenario
//!   that `reunify run` runs.

mod common;

use std::path::Path;

use predicates::prelude::*;
use reunify::ssda903::read::{LogEntry, YearFrom};
use reunify::ssda903::synthetic::{Truth, YearFiles, generate};
use reunify::ssda903::{self, FACTORS, Files, Options};

use common::reunify;

/// Fits generated files in memory, as the command would.
fn fit_generated(files: &[YearFiles], opts: &Options) -> ssda903::Fit {
    let mut log: Vec<LogEntry> = Vec::new();
    let mut read = Files::default();
    for f in files {
        for (kind, text) in [("header", &f.header), ("episodes", &f.episodes)] {
            read.add(text.as_bytes(), &format!("{}/{kind}.csv", f.year), (f.year, YearFrom::Folder), &mut log).unwrap();
        }
    }
    ssda903::fit_files(read, opts, &mut log).unwrap()
}

/// Over 20 authorities of 8,000 children each, the 95% intervals of the 7 baseline rates and
/// 5 hazard ratios cover the truth in 88% to 99.5% of the 240 intervals (95% ± about 4.5
/// binomial standard errors of 1.4%); none is left out, and the hold-out prediction's interval
/// meets the observed curve's at every month shown.
#[test]
fn the_fit_s_intervals_cover_the_truth_about_95_percent_of_the_time() {
    let (mut covered, mut total) = (0, 0);
    let mut missed: Vec<String> = Vec::new();
    let mut zs: Vec<f64> = Vec::new();
    for seed in 1..=20u64 {
        let truth = Truth { seed, ..Truth::default() };
        let fit = fit_generated(&generate(&truth), &Options { holdout_years: Some(3), ..Options::default() });
        let h = &fit.hazard;
        assert_eq!(h.knots, truth.knots, "every knot has follow-up");
        assert!(h.left_out.is_empty(), "{:?}", h.left_out);
        for k in 0..truth.rates.len() {
            total += 1;
            if h.rates_lo[k] <= truth.rates[k] && truth.rates[k] <= h.rates_hi[k] {
                covered += 1;
            } else {
                missed.push(format!(
                    "seed {seed} rate {k}: {} not in [{}, {}]",
                    truth.rates[k], h.rates_lo[k], h.rates_hi[k]
                ));
            }
        }
        for (j, name) in FACTORS.iter().enumerate() {
            let (_, lo, hi) = h.hazard_ratio(j).unwrap();
            total += 1;
            if lo <= truth.hazard_ratios[j] && truth.hazard_ratios[j] <= hi {
                covered += 1;
            } else {
                missed.push(format!("seed {seed} {name}: {} not in [{lo}, {hi}]", truth.hazard_ratios[j]));
            }
        }
        let ho = fit.holdout.as_ref().unwrap();
        assert_eq!(ho.rows.iter().map(|r| r.months).collect::<Vec<_>>(), vec![3, 6, 12, 24]);
        for r in &ho.rows {
            // The difference in standard errors of both, each from its interval's half-width.
            let se = ((r.observed_hi - r.observed_lo).powi(2) + (r.predicted_hi - r.predicted_lo).powi(2)).sqrt()
                / (2.0 * 1.96);
            let z = (r.observed - r.predicted) / se;
            zs.push(z);
            assert!(
                z.abs() < 4.0,
                "seed {seed}: at {} months observed {:.3}, predicted {:.3} (z = {z:.2})",
                r.months,
                r.observed,
                r.predicted
            );
        }
    }
    let share = covered as f64 / total as f64;
    println!("coverage {covered} of {total} = {share:.3}; missed: {missed:#?}");
    assert!((0.88..=0.995).contains(&share), "coverage {share:.3}: {missed:#?}");
    // A seed's four comparisons share its returns, so they move together: the 12-month one,
    // one a seed, is the independent check. The held-out curve lies within the 95% interval
    // of the difference for at least 17 of the 20 (P(X ≤ 16) = 1.6% when each is 95%), and
    // the differences are centred (no bias beyond their own error).
    let at_12: Vec<f64> = zs.iter().skip(2).step_by(4).copied().collect();
    let within = at_12.iter().filter(|z| z.abs() <= 1.96).count();
    let mean = zs.iter().sum::<f64>() / zs.len() as f64;
    println!(
        "hold-out at 12 months: {within} of {} within 1.96 standard errors; mean z over all {mean:.2}; z = {zs:.2?}",
        at_12.len()
    );
    assert!(within >= 17 && mean.abs() < 0.75, "hold-out: {within} of 20 within, mean z {mean:.2}");
}

/// Writes a generated authority's files in the demand model's layout (one folder a year).
fn write_year_folders(dir: &Path, truth: &Truth) {
    for f in generate(truth) {
        let d = dir.join(f.year.to_string());
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("header.csv"), &f.header).unwrap();
        std::fs::write(d.join("episodes.csv"), &f.episodes).unwrap();
    }
}

/// Every file an import wrote, as text (the scenario, fit.json and the CSVs).
fn outputs(out: &Path) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

fn small_truth() -> Truth {
    Truth { children: 1500, first_year: 2015, last_year: 2020, seed: 7, ..Truth::default() }
}

#[test]
fn year_folders_give_a_scenario_that_runs_and_outputs_safe_to_share() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("903");
    write_year_folders(&data, &small_truth());
    let out = dir.path().join("fit");
    reunify()
        .args(["import-903"])
        .arg(&data)
        .args(["--holdout-years", "1", "--name", "Anyshire", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("returns home").and(predicate::str::contains("another authority's care")));
    let files = outputs(&out);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            ".reunify",
            "cleaning_log.csv",
            "fit.html",
            "fit.json",
            "holdout.png",
            "holdout.svg",
            "local_fit.png",
            "local_fit.svg",
            "reentry_km.csv",
            "scenario.toml"
        ]
    );
    let page = &files.iter().find(|(n, _)| n == "fit.html").unwrap().1;
    assert!(
        page.contains("Checked on years the fit did not see")
            && page.contains("an earlier return home that broke down")
    );
    // No child ID, date of birth, postcode or URN reaches any output.
    let generated = generate(&small_truth());
    let header = &generated.last().unwrap().header;
    let first_child = header.lines().nth(1).unwrap();
    let (id, dob) = (first_child.split(',').next().unwrap(), first_child.split(',').nth(2).unwrap());
    for (name, text) in &files {
        for secret in [id, dob, "AB1 2CD", "EF3 4GH", "SC1000", "C0000"] {
            assert!(!text.contains(secret), "{name} holds {secret}");
        }
    }
    // Suppression: no count from 1 to 4 in the Kaplan–Meier table, whose months are joined
    // into bands for it (a small authority's monthly table has small counts).
    let km = &files.iter().find(|(n, _)| n == "reentry_km.csv").unwrap().1;
    let mut rows = csv::Reader::from_reader(km.as_bytes());
    let rows: Vec<reunify::ssda903::KmRow> = rows.deserialize().map(|r| r.unwrap()).collect();
    for r in &rows {
        for c in [r.at_risk, r.reentries, r.censored] {
            assert!(!(1..=4).contains(&c), "{r:?}");
        }
    }
    assert!(rows.iter().any(|r| r.months > r.months_from), "some months are joined into bands: {rows:?}");
    let fit: serde_json::Value = serde_json::from_str(&files.iter().find(|(n, _)| n == "fit.json").unwrap().1).unwrap();
    for key in [
        "returns_home",
        "reentries",
        "censored",
        "extract_date",
        "knots_years",
        "rates_per_year",
        "rates_lo",
        "rates_hi",
        "hazard_ratios",
        "prevalence",
        "holdout",
    ] {
        assert!(!fit[key].is_null(), "fit.json lacks {key}");
    }
    assert_eq!(fit["extract_date"], "2020-03-31");
    assert!(fit["hazard_ratios"]["previous_failed_return"]["estimate"].as_f64().unwrap() > 1.0);
    // The fitted scenario runs.
    let run = dir.path().join("run");
    reunify()
        .args(["run"])
        .arg(out.join("scenario.toml"))
        .args(["--iterations", "20", "--quiet", "--out"])
        .arg(&run)
        .assert()
        .success();
    let summary = std::fs::read_to_string(run.join("summary.json")).unwrap();
    assert!(summary.contains("Anyshire"), "the run is the authority's");
    // Its report shows the authority's own curve beside the model, and the paths ended at 18.
    let report = std::fs::read_to_string(run.join("report.html")).unwrap();
    assert!(
        run.join("local_fit.svg").exists()
            && report.contains("The baseline was fitted to this authority's own children")
    );
    assert!(report.contains("turn 18 within the 5 years followed"), "the report says how many paths ended at 18");
    let scenario = std::fs::read_to_string(out.join("scenario.toml")).unwrap();
    assert!(scenario.contains("[age_at_return]") && scenario.contains("[[reentry.observed]]"));
    // The what-if page works on it: a price change on the fitted scenario is answered.
    let served = common::serve(out.join("scenario.toml").to_str().unwrap());
    let (code, body) = served.post(
        "/api/whatif",
        &serde_json::json!({"overrides": {"strategy.support-for-all.cost": 4000}, "iterations": 0}),
    );
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("support-for-all"), "{body}");
    drop(served);
    // Running the import again replaces its own folder.
    reunify().args(["import-903"]).arg(&data).args(["--name", "Anyshire", "--out"]).arg(&out).assert().success();
}

#[test]
fn files_are_recognised_by_their_columns_whatever_their_names_and_dates_in_either_form() {
    let dir = tempfile::tempdir().unwrap();
    let flat = dir.path().join("flat");
    std::fs::create_dir_all(&flat).unwrap();
    let files = generate(&small_truth());
    for f in &files {
        // The validator's way: any name, with the year in it; columns in another case.
        std::fs::write(
            flat.join(format!("{}-903-a.csv", f.year)),
            f.episodes.replacen("CHILD,DECOM", "child,decom", 1),
        )
        .unwrap();
        std::fs::write(flat.join(format!("{}-903-b.csv", f.year)), &f.header).unwrap();
    }
    let from_flat = dir.path().join("a");
    reunify().arg("import-903").arg(&flat).arg("--out").arg(&from_flat).assert().success();
    let folders = dir.path().join("folders");
    write_year_folders(&folders, &small_truth());
    let from_folders = dir.path().join("b");
    // A PATH may also be each year's folder, given one by one.
    let mut cmd = reunify();
    cmd.arg("import-903");
    for f in &files {
        cmd.arg(folders.join(f.year.to_string()));
    }
    cmd.arg("--out").arg(&from_folders).assert().success();
    assert_eq!(
        std::fs::read_to_string(from_flat.join("fit.json")).unwrap(),
        std::fs::read_to_string(from_folders.join("fit.json")).unwrap(),
        "the layouts read the same data"
    );
}

#[test]
fn a_file_that_is_not_903_data_is_exit_2_naming_it_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("903");
    write_year_folders(&data, &small_truth());
    std::fs::write(data.join("2020").join("budget.csv"), "line,amount\nstaff,100\n").unwrap();
    let out = dir.path().join("fit");
    reunify()
        .arg("import-903")
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("budget.csv: not a table of the SSDA903 return"));
    assert!(!out.exists());
    // Two-digit years throughout: not read as dates at all, so the file is named.
    let bad = dir.path().join("2019-bad.csv");
    std::fs::write(&bad, "CHILD,DECOM,RNE,LS,CIN,PLACE,DEC,REC\nA,01/04/19,S,C2,N1,U1,01/05/19,E4A\n").unwrap();
    reunify()
        .arg("import-903")
        .arg(&bad)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("2019-bad.csv: no date in it can be read (a two-digit year is refused"));
    // A flag is checked before any file is read.
    reunify()
        .args(["import-903", "no-such-folder", "--knots-years", "0.5,1", "--out"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--knots-years: knots must start at 0"));
    assert!(!out.exists());
}

#[test]
fn dirty_rows_are_logged_with_file_line_and_field_and_the_rest_is_fitted() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("903");
    write_year_folders(&data, &small_truth());
    let episodes = data.join("2020").join("episodes.csv");
    let mut text = std::fs::read_to_string(&episodes).unwrap();
    text.push_str("Z1,31/02/2019,S,C2,N1,U1,PR1,,,,,,\n"); // not a calendar date
    text.push_str("Z2,01/06/2019,S,C2,N1,U1,PR1,01/05/2019,E4A,,,,\n"); // ends before it starts
    text.push_str("Z3,01/06/2019,S,C2,N1,U1,PR1,,E4A,,,,\n"); // REC without DEC
    text.push_str("Z4,01/06/2019,S,C2,N1,U1,PR1,01/09/2019,X1,,,,\nZ4,01/08/2019,P,C2,N1,U1,PR1,01/10/2019,E4A,,,,\n"); // overlap
    std::fs::write(&episodes, text).unwrap();
    let out = dir.path().join("fit");
    reunify().arg("import-903").arg(&data).arg("--out").arg(&out).assert().success();
    let log: Vec<LogEntry> =
        csv::Reader::from_path(out.join("cleaning_log.csv")).unwrap().deserialize().map(|r| r.unwrap()).collect();
    let lines = std::fs::read_to_string(&episodes).unwrap().lines().count() as u64;
    let at = |line: u64, field: &str| {
        log.iter()
            .find(|e| e.file.ends_with("2020/episodes.csv") && e.line == line && e.field == field)
            .unwrap_or_else(|| panic!("no log line {line} {field}: {log:#?}"))
            .action
            .clone()
    };
    assert!(at(lines - 4, "DECOM").contains("not a calendar date: episode left out"));
    assert!(at(lines - 3, "DEC").contains("ends before it starts"));
    assert!(at(lines - 2, "REC").contains("is set while DEC is blank"));
    assert!(at(lines - 1, "DEC").contains("overlaps the child's next episode"));
    for e in &log {
        assert!(!e.action.contains("Z1") && !e.action.contains("Z4"), "no child ID in the log: {e:?}");
    }
    // The page summarises the log with its counts suppressed: each kind happened once here.
    let page = std::fs::read_to_string(out.join("fit.html")).unwrap();
    assert!(
        page.contains("ends before it starts: episode left out</td><td>DEC</td><td class=\"num\">c</td>"),
        "{page}"
    );
    for small in 1..=4 {
        assert!(!page.contains(&format!("<td class=\"num\">{small}</td>")), "a count of {small} in fit.html");
    }
}

#[test]
fn no_suppression_shows_small_counts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("903");
    write_year_folders(&data, &small_truth());
    let out = dir.path().join("fit");
    reunify().arg("import-903").arg(&data).arg("--no-suppression").arg("--out").arg(&out).assert().success();
    let km = std::fs::read_to_string(out.join("reentry_km.csv")).unwrap();
    assert!(!km.contains(",c,"), "{km}");
    // A row a month.
    let rows: Vec<reunify::ssda903::KmRow> =
        csv::Reader::from_reader(km.as_bytes()).deserialize().map(|r| r.unwrap()).collect();
    assert!(rows.iter().all(|r| r.months == r.months_from), "{km}");
}
