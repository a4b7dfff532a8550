//! The value of a local pilot (issue #19): EVSI by regression against an analytic case, a
//! nested Monte Carlo estimate and its bound (the EVPPI of what the trial measures), EVSI of
//! a trial that measures nothing uncertain, and ENBS.

mod common;

use common::reunify;
use rand_distr::{Distribution, Normal};
use reunify::digest::RunDigest;
use reunify::pilot;
use reunify::rng::{Purpose, stream};
use reunify::scenario::{Pilot, Scenario};
use reunify::sim::RunOptions;
use statrs::distribution::{Continuous, ContinuousCDF, Normal as StdNormal};

fn digest(sc: &Scenario, iterations: u32) -> RunDigest {
    RunDigest::simulate(sc, RunOptions { seed: sc.meta.seed, iterations, base_case_only: false }).unwrap()
}

fn default_scenario() -> Scenario {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/england-2012-13.toml")).unwrap();
    Scenario::from_toml_str(&text, "england-2012-13.toml").unwrap()
}

fn trial(sizes: &[u32]) -> Pilot {
    Pilot {
        strategy: None,
        follow_up_years: 1.0,
        sizes: sizes.to_vec(),
        fixed_cost: 150_000.0,
        cost_per_family: 3_300.0,
        value_per_breakdown_averted: None,
        source: None,
    }
}

/// Where the default scenario's choice is most uncertain (wtp.csv), so that information has
/// value.
const WTP: f64 = 130_000.0;

/// A normal prior on a mean, `θ ~ N(μ₀, σ₀²)`, net benefit `θ`, and the mean of `n`
/// observations `x̄ ~ N(θ, σ²/n)`. The preposterior mean `E[θ | x̄]` is normal with mean `μ₀`
/// and variance `s² = σ₀⁴ / (σ₀² + σ²/n)`, so `EVSI = E[max(0, E[θ|x̄])] − max(0, μ₀) =
/// s·L(|μ₀|/s)` with `L(z) = φ(z) − z(1 − Φ(z))`, the unit normal loss function. The
/// regression estimate agrees within four Monte Carlo standard errors at every n.
#[test]
fn evsi_of_a_normal_mean_agrees_with_the_unit_normal_loss_function() {
    let (mu0, sigma0, sigma) = (0.3f64, 1.0f64, 2.0f64);
    let draws = 20_000;
    let unit = StdNormal::standard();
    let loss = |z: f64| unit.pdf(z) - z * (1.0 - unit.cdf(z));
    for n in [1.0f64, 4.0, 16.0, 100.0] {
        let mut rng = stream(5, n as u64, 0, 0, Purpose::Trial);
        let prior = Normal::new(mu0, sigma0).unwrap();
        let theta: Vec<f64> = (0..draws).map(|_| prior.sample(&mut rng)).collect();
        let xbar: Vec<f64> =
            theta.iter().map(|&t| Normal::new(t, sigma / n.sqrt()).unwrap().sample(&mut rng)).collect();
        let estimate = pilot::evsi(std::slice::from_ref(&theta), &[&xbar], true);
        let s = (sigma0.powi(4) / (sigma0 * sigma0 + sigma * sigma / n)).sqrt();
        let exact = s * loss(mu0.abs() / s);
        // The estimator's spread: that of max(0, E[θ | x̄]) over the draws, over √draws.
        let shrink = sigma0 * sigma0 / (sigma0 * sigma0 + sigma * sigma / n);
        let gains: Vec<f64> = xbar.iter().map(|x| (mu0 + shrink * (x - mu0)).max(0.0)).collect();
        let m = gains.iter().sum::<f64>() / draws as f64;
        let se = (gains.iter().map(|g| (g - m).powi(2)).sum::<f64>() / (draws as f64 - 1.0) / draws as f64).sqrt();
        assert!((estimate - exact).abs() < 4.0 * se, "n = {n}: EVSI {estimate} against {exact} (se {se})");
    }
}

/// On the default scenario at £130,000 per breakdown averted: EVSI rises with every doubling
/// of the trial, never exceeds the EVPPI of the arms' true shares (what the trial measures),
/// and comes within 2% of it with 100,000 families per arm.
#[test]
fn evsi_rises_with_the_trial_and_approaches_the_evppi_of_what_it_measures() {
    let sc = default_scenario();
    let run = digest(&sc, 1000);
    let sizes = [25, 50, 100, 200, 400, 800, 100_000];
    let v = pilot::value(&sc, &run, sc.meta.seed, &trial(&sizes), (WTP, "test"), 3.0).unwrap().unwrap();
    let evsi: Vec<f64> = v.rows.iter().map(|r| r.evsi_per_decision).collect();
    assert!(evsi[0] > 0.0, "{evsi:?}");
    assert!(evsi.windows(2).all(|w| w[0] < w[1]), "EVSI falls somewhere: {evsi:?}");
    assert!(
        evsi.iter().all(|&x| x <= v.summary.evppi_per_decision * 1.001),
        "{evsi:?} above {}",
        v.summary.evppi_per_decision
    );
    let last = evsi[evsi.len() - 1];
    assert!(last >= 0.98 * v.summary.evppi_per_decision, "{last} against {}", v.summary.evppi_per_decision);
    assert!(
        v.summary.evppi_per_decision <= v.summary.evpi_per_decision,
        "EVPPI {} above EVPI {}",
        v.summary.evppi_per_decision,
        v.summary.evpi_per_decision
    );
    // The arms' shares within a year, among children offered targeted support.
    let (usual, support) = (v.summary.usual_care_share, v.summary.support_share);
    assert!(usual > support && support > 0.05, "{usual} {support}");
    // ENBS is the population EVSI less the pilot's cost.
    for r in &v.rows {
        assert_eq!(r.population_evsi, 3.0 * r.evsi_per_decision);
        assert_eq!(r.pilot_cost, 150_000.0 + 3_300.0 * 2.0 * r.families_per_arm as f64);
        assert_eq!(r.enbs, r.population_evsi - r.pilot_cost);
    }
}

/// The regression estimate against a nested Monte Carlo one on the same draws and data: for
/// each data set the posterior mean net benefit by importance sampling over the 1,000 PSA
/// draws, weighted by the binomial likelihood of both arms' counts. They agree within three
/// of the nested estimate's standard errors at 25, 50 and 100 families per arm.
#[test]
fn regression_evsi_agrees_with_nested_monte_carlo_on_a_small_trial() {
    let sc = default_scenario();
    let run = digest(&sc, 1000);
    let inb = reunify::wtp::incremental_net_benefit(&sc, &run, WTP);
    let s = pilot::trialled(&trial(&[50]), &inb);
    let shares = pilot::draw_shares(&sc, &run, s, 1.0).unwrap();
    for n in [25u32, 50, 100] {
        let data: Vec<(u64, u64)> =
            run.psa.iter().zip(&shares).map(|(d, &p)| pilot::observe(9, d.iteration, p, &[n])[0]).collect();
        let (x0, x1): (Vec<f64>, Vec<f64>) =
            data.iter().map(|d| (d.0 as f64 / n as f64, d.1 as f64 / n as f64)).unzip();
        let regression = pilot::evsi(&inb, &[&x0, &x1], true);
        let (nested, se) = pilot::evsi_nested(&inb, &shares, &data, n, data.len());
        assert!(se > 0.0 && nested > 0.0);
        assert!((regression - nested).abs() < 3.0 * se, "n = {n}: regression {regression}, nested {nested} ± {se}");
    }
}

/// A trial that measures nothing uncertain (every input behind the arms' shares fixed; only
/// the price of a breakdown uncertain) is worth nothing at any size, though the decision
/// itself is uncertain (EVPI above 0), and then no size is worth running.
#[test]
fn a_trial_of_nothing_uncertain_is_worth_nothing() {
    let text = r#"
[scenario]
name = "fixed-effect"
horizon_years = 3.0
iterations = 200
seed = 3

[[authority]]
name = "Testshire"
children = 2000

[reentry]
knots_years = [0.0]
calibrate_to = [ { years = 1.0, share = 0.2 } ]

[[cost]]
name = "breakdown"
amount = { dist = "gamma", mean = 61614, sd = 30000 }
basis = "per_breakdown"

[[strategy]]
name = "usual-care"
eligibility = "none"

[[strategy]]
name = "support"
take_up = 0.9
hr_reentry = 0.7
cost = 5627

[pilot]
sizes = [50, 500, 5000]
"#;
    let sc = Scenario::from_toml_str(text, "fixed.toml").unwrap();
    let run = digest(&sc, 200);
    let p = sc.pilot.clone().unwrap();
    // At a willingness to pay where the decision is close, so that it is uncertain.
    let v = pilot::value(&sc, &run, 3, &p, (18_000.0, "test"), 3.0).unwrap().unwrap();
    assert!(v.summary.evpi_per_decision > 0.0, "the decision should be uncertain");
    assert_eq!(v.summary.evppi_per_decision, 0.0);
    assert!(v.rows.iter().all(|r| r.evsi_per_decision == 0.0 && r.enbs < 0.0), "{:?}", v.rows);
    assert!(pilot::best(&v.rows).is_none() && v.summary.best_families_per_arm.is_none());
}

/// `reunify pilot` prints a row per size and the conclusion in words, and with `--out` writes
/// `evsi.csv` (read back through its own type), the chart's SVG and PNG, and nothing else.
#[test]
fn the_pilot_command_prints_each_size_and_writes_its_table_and_chart() {
    let dir = tempfile::tempdir().unwrap();
    let out = reunify()
        .args(["pilot", "scenarios/england-2012-13.toml", "--sizes", "40,80,160", "--wtp", "130000", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("families per arm") && text.contains("ENBS"), "{text}");
    assert!(text.contains("A two-arm pilot of targeted support against usual care"), "{text}");
    assert!(text.contains("valued at £130,000 per breakdown averted (given by --wtp)"), "{text}");
    let rows: Vec<pilot::EvsiRow> = reunify::results::table::read(dir.path()).unwrap();
    assert_eq!(rows.iter().map(|r| r.families_per_arm).collect::<Vec<_>>(), vec![40, 80, 160]);
    assert!(rows.iter().all(|r| r.pilot_cost == 150_000.0 + 3_300.0 * 2.0 * r.families_per_arm as f64));
    let mut files: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    files.sort();
    assert_eq!(files, ["evsi.csv", "evsi.png", "evsi.svg"]);
    // A value in `[pilot]` is the scenario's.
    let text = std::fs::read_to_string("scenarios/england-2012-13.toml")
        .unwrap()
        .replace("sizes = [50, 100, 200, 400, 800]", "sizes = [50, 100]\nvalue_per_breakdown_averted = 100000");
    let file = dir.path().join("valued.toml");
    std::fs::write(&file, text).unwrap();
    let out = reunify().arg("pilot").arg(&file).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("valued at £100,000 per breakdown averted (the value the scenario sets)"), "{text}");
    // In cash alone, support does not pay: no size is worth its cost.
    let out = reunify().args(["pilot", "scenarios/england-2012-13.toml", "--wtp", "0"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("valued in cash alone") && text.contains("No size studied is worth its cost"), "{text}");
}

/// Bad settings are refused with exit 2 and the flag or field named, and nothing is written.
#[test]
fn bad_pilot_settings_are_refused_with_the_flag_or_field_named() {
    let dir = tempfile::tempdir().unwrap();
    for (args, says) in [
        (vec!["--arms", "3"], "--arms: 3 arms: only two-arm trials"),
        (vec!["--strategy", "usual-care"], "--strategy: \"usual-care\" is the comparator"),
        (vec!["--strategy", "nobody"], "the pilot can trial support-for-all, targeted-support"),
        (vec!["--sizes", "100,50"], "--sizes: families per arm"),
        (vec!["--follow-up-years", "0"], "--follow-up-years: 0 is not a follow-up"),
        (vec!["--fixed-cost=-1"], "--fixed-cost: -1 is not an amount"),
    ] {
        let out = reunify()
            .args(["pilot", "scenarios/england-2012-13.toml"])
            .args(&args)
            .arg("--out")
            .arg(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "a refused pilot wrote something");
    // In a scenario file, the field path is named.
    let text = std::fs::read_to_string("scenarios/england-2012-13.toml")
        .unwrap()
        .replace("sizes = [50, 100, 200, 400, 800]", "sizes = [50, 0]");
    let err = Scenario::from_toml_str(&text, "x.toml").unwrap_err().to_string();
    assert!(err.contains("x.toml: pilot.sizes: families per arm"), "{err}");
}

/// A run of a scenario with `[pilot]` writes `evsi.csv`, summary.json's `pilot` and the
/// report's section with its chart; `wtp.csv`'s population EVPI is EVPI per decision times the
/// cohorts, and the report draws it.
#[test]
fn a_run_with_a_pilot_writes_its_table_summary_and_report_section() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    reunify()
        .args([
            "run",
            "scenarios/england-2012-13.toml",
            "--quiet",
            "--iterations",
            "200",
            "--decision-years",
            "4",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let rows: Vec<pilot::EvsiRow> = reunify::results::table::read(&out).unwrap();
    assert_eq!(rows.len(), 5);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let p = &summary["pilot"];
    assert_eq!(p["strategy"], "targeted-support");
    assert_eq!(p["decision_years"], 4.0);
    assert_eq!(p["wtp_from"], "where the choice between strategies is most uncertain");
    for r in &rows {
        assert!((r.population_evsi - 4.0 * r.evsi_per_decision).abs() <= 1e-6 * r.population_evsi.abs().max(1.0));
    }
    let wtp: Vec<reunify::wtp::WtpPoint> = reunify::results::table::read(&out).unwrap();
    // Both are rounded to the penny in the file.
    assert!(wtp.iter().all(|w| (w.population_evpi - 4.0 * w.evpi).abs() <= 0.03));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains(r#"<h2 id="pilot">Is a local pilot worth running?</h2>"#));
    assert!(html.contains("A two-arm pilot of targeted support"));
    for chart in ["evsi", "evpi_curve"] {
        assert!(out.join(format!("{chart}.png")).exists() && out.join(format!("{chart}.svg")).exists(), "{chart}");
    }
    let data = std::fs::read_to_string(out.join("DATA.md")).unwrap();
    assert!(data.contains("## `evsi` (CSV, when the scenario sets `[pilot]`)"), "{data}");

    // The workbook carries both as sheets of numbers, and native charts of them.
    use calamine::{Data, DataType, Reader, Xlsx, open_workbook};
    let num = |d: &Data| match d {
        Data::Float(x) => *x,
        Data::Int(x) => *x as f64,
        other => panic!("{other:?} is not a number"),
    };
    let mut wb: Xlsx<_> = open_workbook(out.join("results.xlsx")).unwrap();
    let names = wb.sheet_names();
    assert!(names.contains(&"Values".to_string()) && names.contains(&"Pilot".to_string()), "{names:?}");
    let pilot_sheet = wb.worksheet_range("Pilot").unwrap();
    let sheet_rows: Vec<&[Data]> = pilot_sheet.rows().skip(3).take_while(|r| !r[0].is_empty()).collect();
    assert_eq!(sheet_rows.len(), rows.len());
    for (got, r) in sheet_rows.iter().zip(&rows) {
        assert_eq!(num(&got[0]), r.families_per_arm as f64);
        assert!((num(&got[4]) - r.enbs).abs() <= 0.01, "{} vs {}", num(&got[4]), r.enbs);
    }
    let values = wb.worksheet_range("Values").unwrap();
    let curve: Vec<&[Data]> = values.rows().skip(3).take_while(|r| !r[0].is_empty()).collect();
    let first = &wtp[0].strategy;
    let by_wtp: Vec<&reunify::wtp::WtpPoint> = wtp.iter().filter(|w| &w.strategy == first).collect();
    assert_eq!(curve.len(), by_wtp.len());
    let last = curve[0].len() - 1;
    for (got, w) in curve.iter().zip(&by_wtp) {
        assert_eq!(num(&got[0]), w.wtp);
        assert!((num(&got[last]) - w.population_evpi).abs() <= 0.01);
    }
    // An .xlsx is a zip whose entry names are stored as plain text: one chart part each for
    // acceptability, EVPI, expected net benefit and the pilot.
    let bytes = std::fs::read(out.join("results.xlsx")).unwrap();
    let has = |name: &str| bytes.windows(name.len()).any(|w| w == name.as_bytes());
    assert!((1..=4).all(|i| has(&format!("xl/charts/chart{i}.xml"))));
    assert!(!has("xl/charts/chart5.xml"));
}
