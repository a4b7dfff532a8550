//! DfE import: both published formats, national cross-checks, named authorities, and a
//! generated scenario that validates and runs. The tables live beside the project in
//! `../shared/data/dfe/`; a test fails, naming the path, where they are absent.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use reunify::app::import::read;

fn table(name: &str) -> PathBuf {
    let p = Path::new("../shared/data/dfe").join(name);
    assert!(p.exists(), "{} is missing: the DfE tables live beside the project, in ../shared/data/dfe/", p.display());
    p
}

#[test]
fn the_2013_sfr_table_gives_england_10080_and_its_authorities() {
    let p = table("2013_SFR36_CEA2013.csv");
    let imp = read(&p, 2013, 3).unwrap();
    assert_eq!(imp.national, Some(10_080));
    assert_eq!(imp.authorities.len(), 151);
    // Values straight from the file's CLA_ceaPar column.
    assert_eq!(imp.authorities["Camden"], 76);
    assert_eq!(imp.authorities["Greenwich"], 155);
    assert_eq!(imp.authorities["Bristol, City of"], 71);
    // Rutland is suppressed ("x") and imputed; City of London reports 0.
    assert_eq!(imp.authorities["Rutland"], 3);
    assert_eq!(imp.authorities["City of London"], 0);
    assert_eq!(imp.imputed, 1);
    // Authorities sum to the national figure within what suppression and DfE's rounding of
    // the national figure to the nearest 10 explain.
    let diff = (imp.total() as f64 - 10_080.0).abs();
    assert!(diff <= 5.0 * imp.imputed as f64 + 5.0, "{diff}");
}

#[test]
fn the_2024_ees_table_sums_to_within_half_a_percent_of_8810() {
    let p = table("la_children_who_ceased_during_the_year_2020_2024.csv");
    let imp = read(&p, 2024, 3).unwrap();
    assert_eq!(imp.national, Some(1_100 + 5_740 + 1_970));
    assert!(imp.authorities.len() >= 150);
    let rel = (imp.total() as f64 - 8_810.0).abs() / 8_810.0;
    assert!(rel < 0.005, "authority sum {} is {:.2}% from 8,810", imp.total(), 100.0 * rel);
    // Hartlepool: 20 planned returns plus two suppressed cells imputed as 3 each.
    assert_eq!(imp.authorities["Hartlepool"], 26);
    // A different imputation value changes exactly the imputed cells.
    let imp5 = read(&p, 2024, 5).unwrap();
    assert_eq!(imp5.total() - imp.total(), 2 * imp.imputed as u64);
}

#[test]
fn an_imported_scenario_validates_and_runs() {
    let p = table("la_children_who_ceased_during_the_year_2020_2024.csv");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("authorities-2024.toml");
    Command::cargo_bin("reunify")
        .unwrap()
        .args(["import-dfe", p.to_str().unwrap(), "--year", "2024", "--out", out.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicates::str::contains("suppressed counts imputed as 3"));
    let results = dir.path().join("res");
    Command::cargo_bin("reunify")
        .unwrap()
        .args([
            "run",
            out.to_str().unwrap(),
            "--iterations",
            "4",
            "--quiet",
            "--no-report",
            "--out",
            results.to_str().unwrap(),
        ])
        .assert()
        .success();
    let summary = std::fs::read_to_string(results.join("summary.csv")).unwrap();
    assert!(summary.contains("Hartlepool"));
    // A year the table does not have is bad input.
    Command::cargo_bin("reunify")
        .unwrap()
        .args(["import-dfe", p.to_str().unwrap(), "--year", "1999", "--out", out.to_str().unwrap()])
        .assert()
        .code(2);
}
