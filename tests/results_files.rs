//! The files a run hands to people (#16): the workbook read back with calamine, tidy CSVs that
//! load unquoted in R and pandas, integer counts and penny-rounded money, the data dictionary,
//! and text that a spreadsheet can never run as a formula.

mod common;

use std::path::Path;

use calamine::{Data, Reader, Xlsx, open_workbook};
use common::{SMALL, reunify, write};
use reunify::analysis::Kind;
use reunify::metric::Metric;
use reunify::results::SummaryFile;

/// SMALL with a second authority, a three-year budget, and a cost whose cited source starts
/// with `=`, run with 20 iterations, `--csv` and `--by-authority`.
fn run_flow(dir: &Path) -> std::path::PathBuf {
    run_flow_with(dir, "out", &["--by-authority"])
}

fn run_flow_with(dir: &Path, name: &str, extra: &[&str]) -> std::path::PathBuf {
    let text = SMALL
        .replace("iterations = 6", "iterations = 20")
        .replace("children = 5000\n", "children = 5000\n\n[[authority]]\nname = \"Rutland\"\nchildren = 300\n")
        .replace(
            "amount = 61614\n",
            "amount = 61614\nsource = \"=HYPERLINK(\\\"http://example.org\\\",\\\"click\\\")\"\n",
        )
        + "\n[budget]\nfirst_financial_year = 2025\nyears = 3\n";
    let file = write(dir, "flow.toml", &text);
    let out = dir.join(name);
    let o = reunify()
        .args(["run", &file, "--out", out.to_str().unwrap(), "--no-report", "--csv"])
        .args(extra)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out
}

fn summary(out: &Path) -> SummaryFile {
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

fn number(d: &Data) -> Option<f64> {
    match d {
        Data::Float(x) => Some(*x),
        Data::Int(x) => Some(*x as f64),
        _ => None,
    }
}

#[test]
fn the_workbook_reads_back_with_numbers_as_numbers_and_no_formulas() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_flow(dir.path());
    let s = summary(&out);
    let mut wb: Xlsx<_> = open_workbook(out.join("results.xlsx")).unwrap();
    assert_eq!(
        wb.sheet_names(),
        ["Summary", "Budget by financial year", "Authorities", "Break-even", "Values", "Inputs", "Data dictionary"]
    );
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).unwrap();
        // No cell holds as text what should be a number.
        for (r, c, cell) in range.used_cells() {
            if let Data::String(t) = cell {
                assert!(t.trim().parse::<f64>().is_err(), "{name}!{r},{c} holds the number {t:?} as text");
            }
        }
        let formulas = wb.worksheet_formula(&name).unwrap();
        assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()), "{name} has formulas");
    }

    // Summary: the ranked table's net saving and probability match summary.json.
    let range = wb.worksheet_range("Summary").unwrap();
    let rows: Vec<&[Data]> = range.rows().collect();
    let header =
        rows.iter().position(|r| r.first().is_some_and(|c| *c == Data::String("Rank".into()))).expect("ranked table");
    let col = |title: &str| rows[header].iter().position(|c| *c == Data::String(title.into())).unwrap();
    let (strategy, net, p) = (col("Strategy"), col("Net saving (£)"), col("Probability of saving money"));
    let mut seen = 0;
    for row in &rows[header + 1..] {
        let label = row[strategy].to_string();
        if label.ends_with("(comparator)") {
            assert_eq!(number(&row[net]), Some(0.0));
            continue;
        }
        // The workbook names strategies by their labels; the summary's rows by their names.
        let name = s.strategies.iter().find(|st| st.display_label() == label).unwrap().name.clone();
        let stat = reunify::analysis::find(&s.rows, &name, Kind::Increment, Metric::NetSaving).unwrap();
        let got = number(&row[net]).unwrap();
        assert!((got - stat.mean.unwrap()).abs() < 1e-6, "{name}: {got} vs {:?}", stat.mean);
        let prob = reunify::analysis::find(&s.rows, &name, Kind::Increment, Metric::SavesMoney).unwrap();
        assert_eq!(number(&row[p]), prob.mean);
        seen += 1;
    }
    assert_eq!(seen, 1);
    // The verdict is the sheet's first paragraph.
    assert!(rows[1][0].to_string().starts_with("Offering support to"), "{}", rows[1][0]);

    // Budget: one row per strategy and financial year, cumulative net position as in summary.json.
    let budget = wb.worksheet_range("Budget by financial year").unwrap();
    let b = s.budget.as_ref().unwrap();
    assert_eq!(budget.height(), 1 + 2 * 3);
    let last = budget.rows().next_back().unwrap();
    let cum = b.find("support", "2027-28", "cumulative_net", "cash").unwrap().mean.unwrap();
    assert!((number(&last[8]).unwrap() - cum).abs() < 1e-6);

    // Inputs: the source that looks like a formula is text.
    let inputs = wb.worksheet_range("Inputs").unwrap();
    let source = inputs.rows().find(|r| r[1] == Data::String("cost.breakdown.amount".into())).unwrap()[4].clone();
    assert_eq!(source, Data::String("=HYPERLINK(\"http://example.org\",\"click\")".into()));

    // Authorities: both, ranked.
    let auth = wb.worksheet_range("Authorities").unwrap();
    assert_eq!(auth.height(), 1 + 2);
}

#[test]
fn csv_tables_are_tidy_typed_and_documented() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_flow(dir.path());
    let dictionary = std::fs::read_to_string(out.join("DATA.md")).unwrap();
    let mut csvs = 0;
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if path.extension().is_none_or(|e| e != "csv") {
            continue;
        }
        csvs += 1;
        let stem = name.trim_end_matches(".csv");
        assert!(dictionary.contains(&format!("## `{stem}`")), "DATA.md does not describe {name}");
        let mut reader = csv::Reader::from_path(&path).unwrap();
        let headers: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
        for h in &headers {
            // Names that R and pandas reach without quoting.
            assert!(
                h.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                    && h.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{name}: column {h:?}"
            );
            assert!(dictionary.contains(&format!("| `{h}` |")), "DATA.md does not describe {name}: {h}");
        }
        for record in reader.records() {
            let record = record.unwrap();
            for (h, v) in headers.iter().zip(record.iter()) {
                assert!(!matches!(v, "NaN" | "inf" | "-inf"), "{name}: {h} = {v}");
                // Counts are whole numbers.
                if ["children", "iteration", "rank", "month", "breakdowns", "returns_home"].contains(&h.as_str()) {
                    assert!(v.is_empty() || v.parse::<i64>().is_ok(), "{name}: {h} = {v}");
                }
                // Money is rounded to the penny.
                let money = h.starts_with("net_saving") || h.ends_with("_cost") || h.ends_with("_cash");
                if money && !v.is_empty() && name != "summary.csv" {
                    let decimals = v.split('.').nth(1).map_or(0, str::len);
                    assert!(decimals <= 2, "{name}: {h} = {v}");
                }
            }
        }
    }
    assert!(csvs >= 10, "{csvs} CSV files");
    // The base case is marked apart from the PSA draws.
    let iterations = std::fs::read_to_string(out.join("iterations.csv")).unwrap();
    let mut lines = iterations.lines();
    assert!(lines.next().unwrap().starts_with("iteration,case,strategy,authority,"));
    assert!(lines.next().unwrap().starts_with("0,base,usual-care,Testshire,"));
    assert!(iterations.lines().last().unwrap().starts_with("20,psa,"));
    // Sampled parameters are long, with the key columns first.
    let params = std::fs::read_to_string(out.join("parameters.csv")).unwrap();
    assert!(params.starts_with("iteration,case,parameter,value\n"));
    // A text cell that starts with `=` is neutralised in CSV.
    let inputs = std::fs::read_to_string(out.join("inputs.csv")).unwrap();
    assert!(inputs.contains(",\"'=HYPERLINK("), "{inputs}");
    // The total over authorities is called `all`.
    let summary_csv = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(summary_csv.contains("support,all,increment,net_saving,pounds,"));
}

#[test]
fn run_ends_with_the_verdict_and_names_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "small.toml", SMALL);
    let out = dir.path().join("r");
    let o = reunify().args(["run", &file, "--out", out.to_str().unwrap()]).output().unwrap();
    assert!(o.status.success());
    let stdout = String::from_utf8(o.stdout).unwrap();
    let flat = stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("Offering support to all 5,000 children returning home costs £"), "{flat}");
    assert!(flat.contains("The headline figures are means over 6 probabilistic simulations"), "{flat}");
    assert_eq!(stdout.lines().last().unwrap(), format!("Report: {}", out.join("report.html").display()));
}

#[test]
fn validate_shows_how_the_children_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let flat =
        write(dir.path(), "flat.toml", &(SMALL.to_string() + "\n[budget]\nfirst_financial_year = 2025\nyears = 3\n"));
    reunify()
        .args(["validate", &flat])
        .assert()
        .success()
        .stdout(predicates::str::contains("5,000 children a cohort × 3 cohorts = 15,000 children"));
    let grow = write(
        dir.path(),
        "grow.toml",
        &(SMALL.to_string() + "\n[budget]\nfirst_financial_year = 2025\nyears = 3\ngrowth_per_year = 0.1\n"),
    );
    reunify()
        .args(["validate", &grow])
        .assert()
        .success()
        .stdout(predicates::str::contains("3 cohorts of 5,000, 5,500 and 6,050 = 16,550 children"));
}

#[test]
fn compare_sets_two_runs_side_by_side_and_names_what_differs() {
    let dir = tempfile::tempdir().unwrap();
    let flow = SMALL.to_string() + "\n[budget]\nfirst_financial_year = 2025\nyears = 3\n";
    let a_file = write(dir.path(), "a.toml", &flow);
    let b_file = write(dir.path(), "b.toml", &flow.replace("take_up = 0.9", "take_up = 0.9\ncost = 4000"));
    for (file, out) in [(&a_file, "a"), (&b_file, "b"), (&a_file, "a2")] {
        let o = reunify()
            .args(["run", file, "--out", dir.path().join(out).to_str().unwrap(), "--quiet", "--no-report"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let page = dir.path().join("cmp.html");
    let o = reunify()
        .args(["compare", dir.path().join("a").to_str().unwrap(), dir.path().join("b").to_str().unwrap()])
        .args(["--out", page.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.contains("Support: price of support (strategy.support.cost): £5,627 (fixed 5627) → £4,000 (fixed 4000)"),
        "{text}"
    );
    // A cheaper price saves more, beyond noise; the breakdowns averted do not change at all.
    let line = |figure: &str| text.lines().find(|l| l.contains(figure)).unwrap().to_string();
    assert!(line("Net saving").ends_with("beyond Monte Carlo error"), "{text}");
    assert!(line("Breakdowns averted").contains(" 0  within Monte Carlo error"), "{text}");
    assert!(text.contains("Payback year"), "{text}");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("<svg") && html.contains("Budget by financial year"));
    assert!(html.contains("strategy.support.cost"));
    // The same scenario twice: nothing differs, and every change is zero.
    let o = reunify()
        .args(["compare", dir.path().join("a").to_str().unwrap(), dir.path().join("a2").to_str().unwrap()])
        .args(["--out", dir.path().join("same.html").to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("The two runs have the same settings and inputs."), "{text}");
    // A folder that is not a run is bad input.
    reunify().args(["compare", dir.path().to_str().unwrap(), dir.path().join("a").to_str().unwrap()]).assert().code(2);
}

#[test]
fn a_scenario_label_names_its_parameter_in_every_table() {
    let dir = tempfile::tempdir().unwrap();
    let labelled = SMALL.replace(
        "hr_reentry = { dist = \"lognormal\", median = 0.75, ci95 = [0.5, 1.1] }",
        "hr_reentry = { dist = \"lognormal\", median = 0.75, ci95 = [0.5, 1.1], label = \"Support: cut in re-entry hazard\" }",
    );
    assert_ne!(labelled, SMALL);
    let file = write(dir.path(), "l.toml", &labelled);
    let out = dir.path().join("out");
    reunify().args(["run", &file, "--out", out.to_str().unwrap(), "--quiet", "--no-report"]).assert().success();
    for table in ["tornado.csv", "inputs.csv", "evppi.csv"] {
        let text = std::fs::read_to_string(out.join(table)).unwrap();
        assert!(text.contains("strategy.support.hr_reentry,Support: cut in re-entry hazard,"), "{table}:\n{text}");
    }
    // Without a label, a key still reads as words.
    let inputs = std::fs::read_to_string(out.join("inputs.csv")).unwrap();
    assert!(inputs.contains("risk_factor.older.hr_reentry,Risk factor older: re-entry hazard ratio,"), "{inputs}");
    let bad =
        write(dir.path(), "bad.toml", &labelled.replace("label = \"Support: cut in re-entry hazard\"", "label = 3"));
    reunify()
        .args(["validate", &bad])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("strategy[1] (\"support\").hr_reentry.label: label must be text"));
}

/// With several authorities the per-iteration tables hold the total over authorities (`all`)
/// unless `--by-authority` asks for each authority's rows; the total's rows are the sums of
/// the authorities' (to the penny, each being rounded), and everything else is the same.
#[test]
fn per_iteration_tables_hold_the_total_unless_each_authority_is_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let each = run_flow(dir.path());
    let total = run_flow_with(dir.path(), "total", &[]);
    let rows = |out: &Path, file: &str| -> Vec<Vec<String>> {
        let mut r = csv::Reader::from_path(out.join(file)).unwrap();
        r.records().map(|rec| rec.unwrap().iter().map(str::to_string).collect()).collect()
    };
    for (file, per) in [("iterations.csv", 21 * 2), ("budget.csv", 21 * 2 * 3)] {
        let (e, t) = (rows(&each, file), rows(&total, file));
        assert_eq!(e.len(), 2 * per, "{file}: two authorities");
        assert_eq!(t.len(), per, "{file}: the total");
        assert!(t.iter().all(|r| r[3] == "all"), "{file}");
        assert!(e.iter().all(|r| r[3] == "Testshire" || r[3] == "Rutland"), "{file}");
        // Net saving (iterations) or cumulative net position (budget): the total's row is the
        // sum of the authorities' rows of the same iteration, strategy (and year).
        let header: Vec<String> =
            csv::Reader::from_path(each.join(file)).unwrap().headers().unwrap().iter().map(str::to_string).collect();
        let col = header.iter().position(|h| h == "net_saving" || h == "cumulative_net_cash").unwrap();
        for row in &t {
            let key = |r: &Vec<String>| {
                (r[0].clone(), r[2].clone(), if file == "budget.csv" { r[4].clone() } else { String::new() })
            };
            let sum: f64 = e.iter().filter(|r| key(r) == key(row)).filter_map(|r| r[col].parse::<f64>().ok()).sum();
            if let Ok(v) = row[col].parse::<f64>() {
                assert!((v - sum).abs() <= 0.011, "{file} {:?}: {v} vs {sum}", key(row));
            }
        }
    }
    for f in ["summary.json", "authorities.csv", "summary.csv"] {
        assert_eq!(std::fs::read(each.join(f)).unwrap(), std::fs::read(total.join(f)).unwrap(), "{f}");
    }
}

/// A run's folder read through the one bundle type and written again gives the same files,
/// byte for byte, and reads back to the same value: the tables `RunResults` writes and the
/// tables it reads are one list. Two runs between them fill every summary table: a flow run of
/// two authorities (authorities, budget) and England 2012–13 (tornado, two-way,
/// willingness to pay, the frontier, EVPPI, the pilot's EVSI and external validation).
#[test]
fn run_results_read_back_exactly_what_they_write() {
    use reunify::results::RunResults;
    use reunify::results::table::Table;
    use reunify::results::tables::{BudgetRow, IterationRow, ParameterRow};
    let dir = tempfile::tempdir().unwrap();
    let flow = run_flow(dir.path());
    let england = dir.path().join("england");
    let o = reunify()
        .args(["run", "scenarios/england-2012-13.toml", "--iterations", "120", "--no-report", "--quiet"])
        .args(["--out", england.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut filled = std::collections::BTreeSet::new();
    for out in [&flow, &england] {
        let r = RunResults::read(out).unwrap();
        for (name, rows) in [
            ("curve", r.curve.len()),
            ("tornado", r.tornado.len()),
            ("acceptability", r.acceptability.len()),
            ("two_way", r.two_way.len()),
            ("voi", r.voi.len()),
            ("wtp", r.wtp.len()),
            ("frontier", r.frontier.len()),
            ("voi_at_wtp", r.voi_at_wtp.len()),
            ("evsi", r.evsi.len()),
            ("validation", r.validation.len()),
            ("authorities", r.authorities.len()),
            ("budget", r.summary.budget.as_ref().map_or(0, |b| b.stats.len())),
        ] {
            if rows > 0 {
                filled.insert(name);
            }
        }
        let streamed: Vec<&'static str> = [IterationRow::NAME, ParameterRow::NAME, BudgetRow::NAME]
            .into_iter()
            .filter(|t| out.join(format!("{t}.parquet")).exists())
            .collect();
        let again = dir.path().join(format!("again-{}", out.file_name().unwrap().to_string_lossy()));
        std::fs::create_dir(&again).unwrap();
        r.write(&again, &streamed).unwrap();
        assert_eq!(RunResults::read(&again).unwrap(), r, "{} reads back differently", out.display());
        let written: Vec<String> =
            std::fs::read_dir(&again).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert!(written.len() >= 6, "{written:?}");
        for name in &written {
            let (a, b) = (std::fs::read(again.join(name)).unwrap(), std::fs::read(out.join(name)).unwrap());
            if a != b {
                let (a, b) = (String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
                let line = a.lines().zip(b.lines()).position(|(x, y)| x != y);
                panic!("{name} of {} differs when written again, first at line {line:?}", out.display());
            }
        }
        // Every summary table in the run's folder was read, since it was written again.
        for e in std::fs::read_dir(out).unwrap() {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            let streamed_csv = streamed.iter().any(|t| name == format!("{t}.csv"));
            if name.ends_with(".csv") && !streamed_csv {
                assert!(written.contains(&name), "{name} of {} was not read", out.display());
            }
        }
    }
    assert_eq!(filled.len(), 12, "the two runs leave a table empty: {filled:?}");
}
