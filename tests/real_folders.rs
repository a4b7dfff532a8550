//! Issue #35: `import-903` on what authorities actually hold, and the third red team's
//! defects. Each test is named by what it shows; `defect_NN` tests are the red team's findings
//! by number, each of which failed on the `main` before the fix.
//!
//! - the demand model's sample layout (every table of the return, some files empty);
//! - the XML return gives the same fit as the same children in CSV, byte for byte;
//! - a copy with real exports' quirks gives exactly the clean copy's fit;
//! - collection years are the year of their 31 March; a file with none is refused;
//! - privacy (no cell in any log line, page or error; no suppressed count derivable),
//!   nothing lost (only reunify's marker makes a result folder; an input is never replaced),
//!   the server's deadlines and Origin rule, bounded work, clear messages.

mod common;

use std::io::{Read, Write};
use std::path::Path;

use predicates::prelude::*;
use reunify::ssda903::synthetic::{Truth, YearFiles, generate};

use common::reunify;

fn small_truth() -> Truth {
    Truth { children: 1500, first_year: 2015, last_year: 2020, seed: 7, ..Truth::default() }
}

/// Child IDs as all digits (`C000123` → `9000123`), as most case-management systems write
/// them, so that Excel's `.0` quirk applies.
fn digits(text: &str) -> String {
    text.lines()
        .map(|l| match l.strip_prefix('C') {
            Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => format!("9{rest}"),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Writes a year folder per collection year, named by `folder`, with the Header and Episodes.
fn write_years(dir: &Path, files: &[YearFiles], folder: impl Fn(i32) -> String) {
    for f in files {
        let d = dir.join(folder(f.year));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("header.csv"), digits(&f.header)).unwrap();
        std::fs::write(d.join("episodes.csv"), digits(&f.episodes)).unwrap();
    }
}

fn import(data: &[&Path], out: &Path, extra: &[&str]) -> std::process::Output {
    reunify().arg("import-903").args(data).args(extra).arg("--out").arg(out).output().unwrap()
}

fn ok(o: &std::process::Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &std::process::Output, code: i32) -> String {
    let e = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(code), "{e}");
    e
}

fn read(p: impl AsRef<Path>) -> String {
    std::fs::read_to_string(p.as_ref()).unwrap_or_else(|e| panic!("{}: {e}", p.as_ref().display()))
}

#[test]
fn the_demand_model_s_sample_layout_with_every_table_and_empty_files_is_fitted() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("samples");
    let files = generate(&small_truth());
    write_years(&data, &files, |y| y.to_string());
    // The other tables of the return, as the demand model's samples hold them: some with a
    // row, some only a column row, some empty (0 bytes).
    let others: [(&str, &str); 8] = [
        ("uasc", "CHILD,SEX,DOB,DUC\n9000001,1,01/01/2005,01/01/2023\n"),
        ("reviews", "CHILD,DOB,REVIEW,REVIEW_CODE\n9000001,01/01/2005,01/06/2019,PN1\n"),
        ("missing", "CHILD,DOB,MISSING,MIS_START,MIS_END\n"),
        (
            "oc2",
            "CHILD,DOB,SDQ_SCORE,SDQ_REASON,CONVICTED,HEALTH_CHECK,IMMUNISATIONS,TEETH_CHECK,HEALTH_ASSESSMENT,SUBSTANCE_MISUSE,INTERVENTION_RECEIVED,INTERVENTION_OFFERED\n9000001,01/01/2005,12,,0,1,1,1,1,0,,\n",
        ),
        ("oc3", ""),
        ("ad1", ""),
        ("placed_for_adoption", "CHILD,DOB,DATE_PLACED,DATE_PLACED_CEASED,REASON_PLACED_CEASED\n"),
        ("previous_permanence", "CHILD,DOB,PREV_PERM,LA_PERM,DATE_PERM\n"),
    ];
    for f in &files {
        for (name, text) in others {
            std::fs::write(data.join(f.year.to_string()).join(format!("{}-{name}.csv", f.year)), text).unwrap();
        }
    }
    let out = dir.path().join("fit");
    let stdout = ok(&import(&[&data], &out, &[]));
    assert!(stdout.contains("Left aside: 36 of the return's other tables (uasc, reviews, missing, oc2, placed_for_adoption, previous_permanence)"), "{stdout}");
    assert!(stdout.contains("12 empty files"), "{stdout}");
    // The same fit as the Header and Episodes alone.
    let alone = dir.path().join("alone");
    write_years(&alone, &files, |y| y.to_string());
    let out2 = dir.path().join("fit2");
    ok(&import(&[&alone], &out2, &[]));
    assert_eq!(read(out.join("fit.json")), read(out2.join("fit.json")));
    // The log names each table left aside, and the page says which files held what.
    let log = read(out.join("cleaning_log.csv"));
    assert!(log.contains("the oc2 table of the return: not used by the fit, left aside"), "{log}");
    assert!(log.contains("empty file: skipped"));
    // A file that is no table of the return at all is still exit 2, naming it.
    std::fs::write(data.join("2020").join("budget.csv"), "line,amount\nstaff,100\n").unwrap();
    let e = err(&import(&[&data], &dir.path().join("fit3"), &[]), 2);
    assert!(e.contains("budget.csv: not a table of the SSDA903 return"), "{e}");
}

/// The XML form of one year's return, from the same year's CSV tables.
fn xml_of(f: &YearFiles) -> String {
    let header = digits(&f.header);
    let episodes = digits(&f.episodes);
    let mut by_child: std::collections::BTreeMap<String, Vec<csv::StringRecord>> = Default::default();
    for r in csv::Reader::from_reader(episodes.as_bytes()).records() {
        let r = r.unwrap();
        by_child.entry(r[0].to_string()).or_default().push(r);
    }
    let mut x = String::from("<?xml version='1.0' encoding='utf-8'?>\n<EXPSSDA903>\n");
    for h in csv::Reader::from_reader(header.as_bytes()).records() {
        let h = h.unwrap();
        x += &format!(
            "<CHILD><HEADER><CHILDID>{}</CHILDID><UPN>{}</UPN><SEX>{}</SEX><DOB>{}</DOB><ETHNIC>{}</ETHNIC></HEADER>\n",
            &h[0], &h[4], &h[1], &h[2], &h[3]
        );
        for e in by_child.get(&h[0]).into_iter().flatten() {
            x += &format!(
                "<EPISODE><DECOM>{}</DECOM><RNE>{}</RNE><LS>{}</LS><CIN>{}</CIN><PL>{}</PL><PL_POST>{}</PL_POST><HOME_POST>{}</HOME_POST><URN>{}</URN><PLACE_PROVIDER>{}</PLACE_PROVIDER><DEC>{}</DEC><REC>{}</REC><REASON_PLACE_CHANGE/></EPISODE>\n",
                &e[1], &e[2], &e[3], &e[4], &e[5], &e[11], &e[10], &e[12], &e[6], &e[7], &e[8]
            );
        }
        x += "</CHILD>\n";
    }
    x + "</EXPSSDA903>\n"
}

#[test]
fn an_xml_return_gives_the_same_fit_as_the_same_children_in_csv() {
    let dir = tempfile::tempdir().unwrap();
    let files = generate(&small_truth());
    let csv_dir = dir.path().join("csv");
    write_years(&csv_dir, &files, |y| y.to_string());
    let xml_dir = dir.path().join("xml");
    std::fs::create_dir(&xml_dir).unwrap();
    for f in &files {
        std::fs::write(xml_dir.join(format!("{}-ssda903.xml", f.year)), xml_of(f)).unwrap();
    }
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    ok(&import(&[&csv_dir], &a, &[]));
    ok(&import(&[&xml_dir], &b, &[]));
    assert_eq!(read(a.join("fit.json")), read(b.join("fit.json")), "the same children, the same fit");
    assert_eq!(
        read(a.join("scenario.toml")).replace(&*csv_dir.to_string_lossy(), ""),
        read(b.join("scenario.toml")).replace(&*xml_dir.to_string_lossy(), "")
    );
}

#[test]
fn a_quirky_copy_gives_exactly_the_clean_copy_s_fit() {
    let dir = tempfile::tempdir().unwrap();
    let files = generate(&small_truth());
    let clean = dir.path().join("clean");
    write_years(&clean, &files, |y| y.to_string());
    // What real exports carry: IDs that Excel wrote as 12345.0; spaces around CHILD; codes in
    // lower case; a byte-order mark and CRLF line ends; year folders named 1920 or 2019-20.
    let quirky = dir.path().join("quirky");
    for f in &files {
        let d = quirky.join(if f.year % 2 == 0 {
            format!("{:02}{:02}", (f.year - 1) % 100, f.year % 100)
        } else {
            format!("{}-{:02}", f.year - 1, f.year % 100)
        });
        std::fs::create_dir_all(&d).unwrap();
        let crlf = |t: String| format!("\u{feff}{}", t.replace('\n', "\r\n"));
        let header: String = digits(&f.header)
            .lines()
            .enumerate()
            .map(|(i, l)| if i == 0 { format!("{l}\n") } else { l.replacen(',', ".0,", 1) + "\n" })
            .collect();
        let episodes: String =
            digits(&f.episodes)
                .lines()
                .enumerate()
                .map(|(i, l)| {
                    if i == 0 { format!("{l}\n") } else { format!(" {} \n", l.to_lowercase().replacen(',', " , ", 1)) }
                })
                .collect();
        std::fs::write(d.join("header.csv"), crlf(header)).unwrap();
        std::fs::write(d.join("episodes.csv"), crlf(episodes)).unwrap();
    }
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    ok(&import(&[&clean], &a, &[]));
    ok(&import(&[&quirky], &b, &[]));
    let fit = read(a.join("fit.json"));
    assert!(fit.contains("\"returns_home\""));
    assert_eq!(fit, read(b.join("fit.json")), "the quirks change nothing");
}

#[test]
fn collection_years_are_the_year_of_their_31_march_and_a_file_without_one_is_refused() {
    use reunify::ssda903::year_in_name;
    for (name, year) in [
        ("2019", 2019),
        ("1920", 2020),
        ("2019-20", 2020),
        ("2019_20", 2020),
        ("2021-22", 2022),
        ("2021-2022", 2022),
        ("FY2021_22", 2022),
        ("2017-ad1.csv", 2017),
        ("2021", 2021),
    ] {
        assert_eq!(year_in_name(name), Some(year), "{name}");
    }
    assert_eq!(year_in_name("episodes.csv"), None);
    // Folders named 2021-22 hold the year to 31 March 2022: the extract is that day, and
    // the last year's returns are all read.
    let dir = tempfile::tempdir().unwrap();
    let files = generate(&small_truth());
    let (a, b) = (dir.path().join("plain"), dir.path().join("fy"));
    write_years(&a, &files, |y| y.to_string());
    write_years(&b, &files, |y| format!("FY{}_{:02}", y - 1, y % 100));
    let (fa, fb) = (dir.path().join("fa"), dir.path().join("fb"));
    ok(&import(&[&a], &fa, &[]));
    ok(&import(&[&b], &fb, &[]));
    assert_eq!(read(fa.join("fit.json")), read(fb.join("fit.json")));
    assert!(
        read(fb.join("cleaning_log.csv")).contains("collection year 2019–20 (31 March 2020), from its folder's name")
    );
    // A file with no year in its name or folder: refused, naming the file and --extract-date.
    let flat = dir.path().join("flat");
    std::fs::create_dir(&flat).unwrap();
    let last = files.last().unwrap();
    std::fs::write(flat.join("header.csv"), digits(&last.header)).unwrap();
    std::fs::write(flat.join("episodes.csv"), digits(&last.episodes)).unwrap();
    let e = err(&import(&[&flat], &dir.path().join("fc"), &[]), 2);
    assert!(e.contains("episodes.csv: no collection year") && e.contains("--extract-date"), "{e}");
    let out = dir.path().join("fd");
    ok(&import(&[&flat], &out, &["--extract-date", "2020-03-31"]));
    let fit: serde_json::Value = serde_json::from_str(&read(out.join("fit.json"))).unwrap();
    assert!(fit["returns_per_year"].as_f64().unwrap() > 10.0, "{fit}");
}

#[test]
fn defect_01_14_no_value_from_the_data_reaches_the_log_the_page_or_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let files = generate(&small_truth());
    let data = dir.path().join("903");
    write_years(&data, &files, |y| y.to_string());
    // Rows shifted by two missing cells: a postcode and a child ID where DEC and REC are.
    let episodes = data.join("2020").join("episodes.csv");
    let mut text = read(&episodes);
    for i in 0..62 {
        text.push_str(&format!("91{i:05},01/06/2019,S,C2,N1,U1,,ZZ9 {i}QQ,92{i:05},,,,\n"));
    }
    std::fs::write(&episodes, text).unwrap();
    let out = dir.path().join("fit");
    ok(&import(&[&data], &out, &[]));
    for f in ["cleaning_log.csv", "fit.html", "fit.json", "scenario.toml", "reentry_km.csv"] {
        let t = read(out.join(f));
        assert!(!t.contains("ZZ9") && !t.contains("9100001") && !t.contains("9200001"), "{f} holds a cell");
    }
    // A file without its column row: the error names the file, never its cells.
    let bare = dir.path().join("2020-header.csv");
    std::fs::write(&bare, "9000001,1,01/01/2010,WBRI,A123456789012,,\n").unwrap();
    let e = err(&import(&[&bare], &dir.path().join("x"), &[]), 2);
    assert!(e.contains("2020-header.csv") && e.contains("row of column names missing"), "{e}");
    for secret in ["9000001", "A123456789012", "01/01/2010"] {
        assert!(!e.contains(secret), "{e}");
    }
}

#[test]
fn defect_02_only_reunify_s_marker_makes_a_result_folder() {
    let dir = tempfile::tempdir().unwrap();
    for marker in ["run.json", "fit.json", "manifest.json"] {
        let mine = dir.path().join(format!("mine-{marker}"));
        std::fs::create_dir(&mine).unwrap();
        std::fs::write(mine.join(marker), "{}").unwrap();
        std::fs::write(mine.join("thesis.docx"), "years of work").unwrap();
        let o = reunify()
            .args(["run", "scenarios/england-2012-13.toml", "--iterations", "5", "--out"])
            .arg(&mine)
            .output()
            .unwrap();
        assert!(err(&o, 2).contains("has no .reunify file"));
        assert_eq!(read(mine.join("thesis.docx")), "years of work");
    }
    // A reunify result folder carries the marker, and may be replaced.
    let res = dir.path().join("res");
    reunify()
        .args(["run", "scenarios/england-2012-13.toml", "--iterations", "5", "--quiet", "--out"])
        .arg(&res)
        .assert()
        .success();
    assert!(read(res.join(".reunify")).starts_with("reunify result folder: run\n"));
    reunify()
        .args(["run", "scenarios/england-2012-13.toml", "--iterations", "5", "--quiet", "--out"])
        .arg(&res)
        .assert()
        .success();
}

#[test]
fn defect_04_no_suppressed_count_can_be_derived_from_what_is_shown() {
    let dir = tempfile::tempdir().unwrap();
    let files = generate(&Truth { children: 600, first_year: 2017, last_year: 2020, seed: 3, ..Truth::default() });
    let data = dir.path().join("903");
    write_years(&data, &files, |y| y.to_string());
    let (out, open) = (dir.path().join("fit"), dir.path().join("open"));
    ok(&import(&[&data], &out, &[]));
    ok(&import(&[&data], &open, &["--no-suppression"]));
    let rows = |d: &Path| -> Vec<reunify::ssda903::KmRow> {
        csv::Reader::from_path(d.join("reentry_km.csv")).unwrap().deserialize().map(|r| r.unwrap()).collect()
    };
    let (shown, monthly) = (rows(&out), rows(&open));
    // The attack: difference the returns at risk between rows, and every other combination
    // of shown counts; none is a count from 1 to 4.
    assert!(
        monthly.iter().any(|r| (1..=4).contains(&r.reentries) || (1..=4).contains(&r.censored)),
        "the monthly table has small counts to protect"
    );
    for w in shown.windows(2) {
        let left = w[0].at_risk - w[1].at_risk;
        assert_eq!(left, w[0].reentries + w[0].censored, "{w:?}");
        for derived in [left, w[0].reentries, w[0].censored, w[0].at_risk] {
            assert!(!(1..=4).contains(&derived), "{derived} can be derived from {w:?}");
        }
    }
    // No beta of the scenario holds a count from 1 to 4, nor n − events from 1 to 4.
    let sc: toml::Table = toml::from_str(&read(out.join("scenario.toml"))).unwrap();
    let mut betas = Vec::new();
    fn walk(v: &toml::Value, out: &mut Vec<(f64, f64)>) {
        match v {
            toml::Value::Table(t) => {
                if let (Some(e), Some(n)) = (t.get("events"), t.get("n")) {
                    let f = |v: &toml::Value| v.as_float().or(v.as_integer().map(|i| i as f64)).unwrap();
                    out.push((f(e), f(n)));
                }
                t.values().for_each(|v| walk(v, out));
            }
            toml::Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    walk(&toml::Value::Table(sc), &mut betas);
    assert!(!betas.is_empty());
    for (e, n) in betas {
        for c in [e, n - e] {
            assert!(!(c.fract() == 0.0 && (1.0..=4.0).contains(&c)), "a beta reveals a count of {c}");
        }
    }
}

#[test]
fn defect_05_a_command_never_replaces_its_own_input() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("903");
    write_years(&data, &generate(&small_truth()), |y| y.to_string());
    let out = dir.path().join("fit");
    ok(&import(&[&data], &out, &[]));
    let scenario = out.join("scenario.toml");
    let edited = read(&scenario) + "\n# my edits\n";
    std::fs::write(&scenario, &edited).unwrap();
    let o = reunify().arg("run").arg(&scenario).args(["--iterations", "5", "--out"]).arg(&out).output().unwrap();
    assert!(err(&o, 2).contains("an input of this command"));
    assert_eq!(read(&scenario), edited, "the scenario and its edits are kept");
    // The same for the 903 files themselves.
    let inside = data.join("2020");
    let o = import(&[&inside], &data, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(inside.join("episodes.csv").exists());
}

#[test]
fn defect_08_ids_that_match_no_header_row_are_named_as_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    let files = generate(&small_truth());
    let data = dir.path().join("903");
    // One export kept leading zeros (as text), the other dropped them (as numbers).
    for f in &files {
        let d = data.join(f.year.to_string());
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("header.csv"), f.header.replace("\nC", "\n00")).unwrap();
        std::fs::write(d.join("episodes.csv"), f.episodes.replace("\nC0", "\n").replace("\nC", "\n")).unwrap();
    }
    let e = err(&import(&[&data], &dir.path().join("fit"), &[]), 2);
    assert!(e.contains("match no Header child ID") && e.contains("leading zeros"), "{e}");
}

#[test]
fn defect_09_impossible_and_conflicting_rows_are_logged_and_us_dates_refused() {
    let dir = tempfile::tempdir().unwrap();
    let files = generate(&small_truth());
    let data = dir.path().join("903");
    write_years(&data, &files, |y| y.to_string());
    let year = data.join("2020");
    let mut header = read(year.join("header.csv"));
    let mut episodes = read(year.join("episodes.csv"));
    header.push_str("8000001,1,01/01/2021,WBRI,,,\n8000002,1,01/01/2000,WBRI,,,\n8000003,1,01/01/2010,WBRI,,,\n8000004,1,01/01/0000,WBRI,,,\n");
    episodes.push_str("8000001,01/06/2019,S,C2,N1,U1,PR1,01/08/2019,E4A,,,,\n"); // born after it
    episodes.push_str("8000002,01/06/2019,S,C2,N1,U1,PR1,01/08/2019,E4A,,,,\n"); // 19 at DECOM
    episodes.push_str(
        "8000003,01/06/2019,S,C2,N1,U1,PR1,01/08/2019,E4A,,,,\n8000003,01/06/2019,S,C2,N1,U1,PR1,01/09/2019,E11,,,,\n",
    );
    std::fs::write(year.join("header.csv"), header).unwrap();
    std::fs::write(year.join("episodes.csv"), episodes).unwrap();
    let out = dir.path().join("fit");
    ok(&import(&[&data], &out, &[]));
    let log = read(out.join("cleaning_log.csv"));
    for code in ["dob_after_care", "eighteen_at_start", "conflicting_row", "year_out_of_range"] {
        assert!(log.contains(code), "no {code} in the log");
    }
    // A file of US dates is refused, saying so.
    let us = dir.path().join("2020-episodes.csv");
    let mut t = String::from("CHILD,DECOM,RNE,LS,CIN,PLACE,DEC,REC\n");
    for i in 0..40 {
        t.push_str(&format!("{i},{:02}/{:02}/2019,S,C2,N1,U1,,\n", 1 + i % 12, 1 + i % 28));
    }
    std::fs::write(&us, t).unwrap();
    let e = err(&import(&[&us], &dir.path().join("us"), &[]), 2);
    assert!(e.contains("month first (US order"), "{e}");
}

#[test]
fn defect_10_an_empty_lock_left_by_a_dead_run_is_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join(".res.lock");
    let f = std::fs::File::create(&lock).unwrap();
    f.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(600)).unwrap();
    drop(f);
    reunify()
        .args(["run", "scenarios/england-2012-13.toml", "--iterations", "5", "--quiet", "--out"])
        .arg(dir.path().join("res"))
        .assert()
        .success();
    assert!(!lock.exists());
}

#[test]
fn defect_11_12_flags_are_refused_before_any_file_is_read() {
    let long = "a".repeat(100_000);
    for (flag, value, words) in [
        ("--name", "a/b", "--name: \"a/b\" must be usable as a folder name"),
        ("--name", long.as_str(), "is longer than 200 characters"),
        ("--holdout-years", "357913942", "--holdout-years: 357913942 is more than 30 years"),
        ("--extract-date", "9999-12-31", "--extract-date: 9999-12-31 is outside the years"),
    ] {
        reunify()
            .args(["import-903", "no-such-folder", "--out", "x", flag, value])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(words));
    }
}

#[test]
fn defect_13_a_scenario_s_lists_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = read("scenarios/england-2012-13.toml");
    for i in 0..70 {
        text.push_str(&format!("\n[[strategy]]\nname = \"extra-{i}\"\nsame_as = \"support-for-all\"\n"));
    }
    let file = common::write(dir.path(), "many.toml", &text);
    reunify()
        .args(["validate", &file])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("strategy: 7").and(predicate::str::contains("at most 64")));
}

/// Every file of a folder, by name, with its bytes.
fn snapshot(d: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
        .collect();
    v.sort();
    v
}

#[test]
fn defect_15_23_a_failed_redraw_changes_nothing_and_a_tampered_table_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let res = dir.path().join("res");
    reunify()
        .args(["run", "scenarios/england-2012-13.toml", "--iterations", "20", "--quiet", "--out"])
        .arg(&res)
        .assert()
        .success();
    // A value no run writes: NaN in the tornado table.
    let summary = read(res.join("tornado.csv"));
    let mut lines: Vec<String> = summary.lines().map(str::to_string).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let col = header.iter().position(|h| *h == "high_net_saving").unwrap();
    let mut cells: Vec<String> = lines[1].split(',').map(str::to_string).collect();
    cells[col] = "NaN".into();
    lines[1] = cells.join(",");
    std::fs::write(res.join("tornado.csv"), lines.join("\n") + "\n").unwrap();
    let before = snapshot(&res);
    let o = reunify().arg("report").arg(&res).output().unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && e.contains("not a finite number"), "{e}");
    assert!(!e.contains("--out"), "report has no --out: {e}");
    assert_eq!(snapshot(&res), before, "every chart and file as it was");
    // A redraw that succeeds replaces the report whole and keeps the tables.
    std::fs::write(res.join("tornado.csv"), summary).unwrap();
    reunify().arg("report").arg(&res).assert().success();
    assert!(res.join("report.html").is_file() && res.join("summary.csv").is_file());
}

#[test]
fn defect_16_an_origin_on_another_address_of_a_server_on_every_interface_is_refused() {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_reunify"))
        .args(["serve", "scenarios/england-2012-13.toml", "--port", "0", "--host", "0.0.0.0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let port: u16 = line.rsplit(':').next().unwrap().trim_end_matches(|c: char| !c.is_ascii_digit()).parse().unwrap();
    let ask = |origin: &str| {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(
            s,
            "GET /api/scenario HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: {origin}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut r = String::new();
        s.read_to_string(&mut r).unwrap();
        r.split_whitespace().nth(1).unwrap().to_string()
    };
    assert_eq!(ask(&format!("http://10.9.8.7:{port}")), "403");
    assert_eq!(ask(&format!("http://127.0.0.1:{port}")), "200");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn defect_07_a_trickled_body_does_not_lock_the_server_out() {
    let served = common::serve("scenarios/england-2012-13.toml");
    let addr = served.url.trim_start_matches("http://").trim_end_matches('/').to_string();
    // 64 connections that send their headers and then a byte of body now and then.
    let mut trickle: Vec<std::net::TcpStream> = (0..64)
        .map(|_| {
            let mut s = std::net::TcpStream::connect(&addr).unwrap();
            write!(s, "POST /api/whatif HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{").unwrap();
            s
        })
        .collect();
    let until = std::time::Instant::now() + std::time::Duration::from_secs(12);
    while std::time::Instant::now() < until {
        for s in &mut trickle {
            let _ = s.write_all(b" ");
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    // Each trickler got its answer (408) and its slot back: the page is served again.
    let mut r = common::agent().get(&served.url).call().unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.body_mut().read_to_string().unwrap().contains("<html"));
}

#[test]
fn one_what_if_request_s_work_is_bounded_with_a_plain_reason() {
    let served = common::serve("scenarios/england-2012-13.toml");
    let (code, body) = served.post(
        "/api/whatif",
        &serde_json::json!({ "overrides": { "authority.England.children": 1e11 }, "iterations": 200 }),
    );
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("too large for the what-if page") && body.contains("reunify run"), "{body}");
}

#[test]
fn defect_17_18_no_cell_of_import_903_s_tables_starts_a_formula_and_the_log_has_its_column_row() {
    let dir = tempfile::tempdir().unwrap();
    let files = generate(&small_truth());
    let data = dir.path().join("903");
    write_years(&data, &files, |y| y.to_string());
    let last = data.join("2020");
    std::fs::rename(last.join("header.csv"), last.join("=HYPERLINK(1)+@x.csv")).unwrap();
    let out = dir.path().join("fit");
    ok(&import(&[&data], &out, &[]));
    for table in ["cleaning_log.csv", "reentry_km.csv"] {
        let text = read(out.join(table));
        let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
        for rec in r.records() {
            for cell in rec.unwrap().iter() {
                assert!(!cell.starts_with(['=', '+', '-', '@']), "{table}: {cell}");
            }
        }
    }
    assert!(read(out.join("cleaning_log.csv")).starts_with("file,line,field,code,action,left_out\n"));
}

#[test]
fn defect_19_messages_name_the_real_problem() {
    let dir = tempfile::tempdir().unwrap();
    // A device is not a file of 903 returns, and is not read for ever.
    let e = err(&import(&[Path::new("/dev/zero")], &dir.path().join("x"), &[]), 2);
    assert!(e.contains("/dev/zero: not a regular file"), "{e}");
    reunify().args(["validate", "/dev/zero"]).assert().code(2).stderr(predicate::str::contains("larger than 16 MiB"));
    // A result folder whose per-iteration table is gone names the table, not one form of it.
    let res = dir.path().join("res");
    reunify()
        .args(["run", "scenarios/england-2012-13.toml", "--iterations", "10", "--quiet", "--out"])
        .arg(&res)
        .assert()
        .success();
    std::fs::remove_file(res.join("iterations.parquet")).unwrap();
    let o = reunify().arg("report").arg(&res).output().unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    if !o.status.success() {
        assert!(e.contains("neither iterations.parquet nor iterations.csv"), "{e}");
    }
    // A folder that is not reunify's, to `report`: no advice about --out, which it has not.
    let mine = dir.path().join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("summary.json"), "{}").unwrap();
    let e = String::from_utf8_lossy(&reunify().arg("report").arg(&mine).output().unwrap().stderr).into_owned();
    assert!(e.contains("not a folder reunify wrote") && !e.contains("--out"), "{e}");
}

#[test]
fn defect_20_commands_run_from_an_empty_folder_with_their_built_in_files() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("903");
    write_years(&data, &generate(&small_truth()), |y| y.to_string());
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let here = |args: &[&str]| {
        let o = reunify().current_dir(&empty).args(args).output().unwrap();
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    here(&["import-903", data.to_str().unwrap(), "--out", "fit"]);
    assert!(read(empty.join("fit/scenario.toml")).contains("the built-in england-2012-13 scenario"));
    here(&["init", "mine.toml"]);
    here(&["run", "scenarios/england-2012-13.toml", "--iterations", "5", "--quiet", "--out", "run"]);
    here(&["run", "holmes-2014", "--iterations", "5", "--quiet", "--out", "holmes"]);
    here(&["run", "fit/scenario.toml", "--iterations", "5", "--quiet", "--out", "local"]);
    let table = here(&["reproduce"]);
    assert!(table.contains("2024 update: national annual cost of failed reunifications"), "{table}");
}

/// Peak resident memory of a finished child process, in bytes. The child is reaped by
/// `wait4`, which also gives its own peak (not the largest of every child of the tests).
#[allow(clippy::zombie_processes)]
fn peak_rss(cmd: &mut std::process::Command) -> u64 {
    let child = cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: the pid is our own child, and both pointers are to live locals.
    let r = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(r, child.id() as i32);
    assert_eq!(status, 0, "the import succeeds");
    usage.ru_maxrss as u64 * 1024
}

#[test]
fn defect_21_import_903_holds_under_200_bytes_an_episode_row() {
    let dir = tempfile::tempdir().unwrap();
    // Episode rows of many children, several each, over one year.
    let write = |d: &Path, rows: usize| {
        std::fs::create_dir_all(d).unwrap();
        let mut h = String::from("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n");
        let mut e = String::from(
            "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n",
        );
        for c in 0..rows / 4 {
            h += &format!("{},1,01/01/2008,WBRI,A123456789012,,\n", 5_000_000 + c);
            // Two periods of two episodes, each ending in a return home: one re-entry.
            for (start, rne, end, rec) in [(1, "S", 3, "X1"), (3, "P", 4, "E4A"), (5, "S", 7, "X1"), (7, "P", 8, "E4A")]
            {
                e += &format!(
                    "{},01/{start:02}/2019,{rne},C2,N1,U1,PR1,01/{end:02}/2019,{rec},,AB1 2CD,EF3 4GH,SC100\n",
                    5_000_000 + c
                );
            }
        }
        std::fs::write(d.join("header.csv"), h).unwrap();
        std::fs::write(d.join("episodes.csv"), e).unwrap();
    };
    let (small, big) = (dir.path().join("small/2020"), dir.path().join("big/2020"));
    write(&small, 4_000);
    write(&big, 404_000);
    let measure = |d: &Path, out: &str| {
        peak_rss(
            std::process::Command::new(env!("CARGO_BIN_EXE_reunify"))
                .arg("import-903")
                .arg(d)
                .args(["--knots-years", "0,0.5", "--out"])
                .arg(dir.path().join(out)),
        )
    };
    let per_row = (measure(&big, "b") as f64 - measure(&small, "s") as f64) / 400_000.0;
    println!("import-903: {per_row:.0} bytes of peak memory per episode row");
    assert!(per_row < 200.0, "{per_row:.0} bytes a row");
}

#[test]
fn defect_22_a_print_that_fails_after_the_result_is_written_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let res = dir.path().join("res");
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_reunify"))
        .args(["run", "scenarios/england-2012-13.toml", "--iterations", "5", "--out"])
        .arg(&res)
        .stdout(full)
        .output()
        .unwrap();
    let e = err(&o, 1);
    assert!(e.contains("the result is written in full to"), "{e}");
    assert!(res.join("summary.json").is_file());
}

#[test]
fn round_2_d14_authority_names_that_differ_only_in_case_are_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let text = read("scenarios/england-2012-13.toml");
    let block = "\n[[authority]]\nname = \"england\"\nchildren = 100\n";
    let at = text.find("\n[[authority]]").unwrap();
    let file = common::write(dir.path(), "two.toml", &format!("{}{block}{}", &text[..at], &text[at..]));
    for cmd in ["validate", "run"] {
        reunify()
            .args([cmd, &file])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("is the same name as").and(predicate::str::contains("but for case")));
    }
}
