//! What a person reads, checked across the shipped scenarios' outputs (#30): one money format
//! everywhere, a true minus sign (U+2212) before the pound sign ("−£0.11"), never "£-0.11",
//! "-£0.11" or "£−0.11", and never a signed zero ("−£0").
//!
//! Every text a run writes for people is scanned: the report, every chart's SVG, `DATA.md`,
//! the verdicts in `summary.json`, the terminal summary; and `compare`'s terminal text and
//! page, and the `breakeven` and `tornado` commands' output. `import-903`'s page and terminal
//! text follow the same rules (#35): labels, no "about 0", singular and plural right, no
//! empty table.

mod common;

use std::path::Path;

use common::reunify;

/// The wrong forms of money, with where each was found.
fn wrong_money(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c != '£' {
            continue;
        }
        let before = if i > 0 { chars[i - 1] } else { ' ' };
        let after = chars.get(i + 1).copied().unwrap_or(' ');
        let next = chars.get(i + 2).copied().unwrap_or(' ');
        let at = || chars[i.saturating_sub(30)..(i + 30).min(chars.len())].iter().collect::<String>();
        if after == '-' || after == '−' {
            out.push(format!("sign after the pound sign: …{}…", at()));
        }
        if before == '-' {
            out.push(format!("a hyphen for a minus: …{}…", at()));
        }
        if before == '−' && after == '0' && !(next == '.' || next == ',' || next.is_ascii_digit()) {
            out.push(format!("a signed zero: …{}…", at()));
        }
    }
    out
}

#[test]
fn the_scanner_finds_each_wrong_form() {
    assert_eq!(wrong_money("saves £5,627, costs −£0.11 and −£34.8m; £0 and £0.00").len(), 0);
    for bad in ["£-0.11", "-£0.11", "£−0.11", "−£0", "−£0k", "£-0k"] {
        assert!(!wrong_money(&format!("return {bad} each")).is_empty(), "{bad}");
    }
}

/// Every file under `dir` a person reads.
fn texts(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if ["html", "svg", "md", "json"].contains(&ext) {
            out.push((path.display().to_string(), std::fs::read_to_string(&path).unwrap()));
        }
    }
    out
}

/// The shipped scenarios, each run once (20 iterations) for both tests of this file: its
/// name, output folder and terminal text.
fn shipped_runs() -> &'static [(&'static str, std::path::PathBuf, String)] {
    static RUNS: std::sync::OnceLock<Vec<(&'static str, std::path::PathBuf, String)>> = std::sync::OnceLock::new();
    RUNS.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("plain_text");
        let _ = std::fs::remove_dir_all(&dir);
        ["england-2012-13", "holmes-2014", "england-2014-2020", "holmes-2024", "dfe-2006-07-cohort"]
            .into_iter()
            .map(|sc| {
                let out = dir.join(sc);
                let run = reunify()
                    .args(["run", &format!("scenarios/{sc}.toml"), "--iterations", "20", "--out"])
                    .arg(&out)
                    .output()
                    .unwrap();
                assert!(run.status.success(), "{sc}: {}", String::from_utf8_lossy(&run.stderr));
                (sc, out, String::from_utf8_lossy(&run.stdout).into_owned())
            })
            .collect()
    })
}

#[test]
fn every_text_writes_money_one_way() {
    let dir = tempfile::tempdir().unwrap();
    let mut found = Vec::new();
    let mut scan = |name: &str, text: &str| {
        for w in wrong_money(text) {
            found.push(format!("{name}: {w}"));
        }
    };
    let outs = shipped_runs();
    for (sc, out, stdout) in outs {
        scan(&format!("{sc}: terminal"), stdout);
        for (file, text) in texts(out) {
            scan(&file, &text);
        }
    }
    let page = dir.path().join("compare.html");
    let compare = reunify().arg("compare").args([&outs[0].1, &outs[1].1]).arg("--out").arg(&page).output().unwrap();
    assert!(compare.status.success(), "{}", String::from_utf8_lossy(&compare.stderr));
    scan("compare: terminal", &String::from_utf8_lossy(&compare.stdout));
    scan("compare.html", &std::fs::read_to_string(&page).unwrap());
    for cmd in ["breakeven", "tornado"] {
        let o = reunify().args([cmd, "scenarios/holmes-2014.toml"]).output().unwrap();
        assert!(o.status.success());
        scan(cmd, &String::from_utf8_lossy(&o.stdout));
    }
    assert!(found.is_empty(), "{} wrong forms of money:\n{}", found.len(), found.join("\n"));
}

/// The names a scenario gives its strategies, risk factors and cost lines that are identifiers
/// (with `_` or `-`): a person reads labels, never these, in a sentence.
fn identifiers(file: &str) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap();
    let sc = reunify::scenario::Scenario::from_toml_str(&text, file).unwrap();
    let mut out: Vec<String> = sc.model.strategies.iter().map(|s| s.name.clone()).collect();
    out.extend(sc.model.risk_factors.iter().map(|r| r.name.clone()));
    out.extend(sc.model.costs.iter().map(|c| c.name.clone()));
    out.retain(|n| n.contains(['_', '-']));
    out
}

/// The sentences of an HTML page: the text of each `<p>`, tags removed.
fn paragraphs(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    // `<p>` and `<p class=...>`, not `<path` or `<pattern`.
    for part in html.split("<p").skip(1).filter(|p| p.starts_with('>') || p.starts_with(' ')) {
        let Some(start) = part.find('>') else { continue };
        let body = &part[start + 1..part.find("</p>").unwrap_or(part.len())];
        let mut text = String::new();
        let mut in_tag = false;
        for c in body.chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        out.push(text);
    }
    out
}

/// #30: no identifier appears in a sentence of the verdict (terminal and report), any
/// paragraph of the report or a cell of its tables, the workbook's sheets for people, or
/// `compare`'s text and page, for every shipped scenario; the CSV and Parquet tables keep the
/// names.
#[test]
fn sentences_name_strategies_and_risk_factors_by_their_labels() {
    let dir = tempfile::tempdir().unwrap();
    let mut found = Vec::new();
    let mut outs = Vec::new();
    for (sc, out, stdout) in shipped_runs() {
        let ids = identifiers(&format!("scenarios/{sc}.toml"));
        let mut texts = vec![("terminal".to_string(), stdout.clone())];
        let report = std::fs::read_to_string(out.join("report.html")).unwrap();
        texts.extend(paragraphs(&report).into_iter().map(|p| ("report.html".to_string(), p)));
        // The report's own tables, for people: every cell that holds text only.
        for cell in report.split("<td").skip(1) {
            let body = &cell[cell.find('>').map_or(0, |i| i + 1)..cell.find("</td>").unwrap_or(cell.len())];
            // A parameter's key is shown as code beside its label, to find it in inputs.csv.
            let body = match (body.find("<code>"), body.find("</code>")) {
                (Some(a), Some(b)) if a < b => format!("{}{}", &body[..a], &body[b..]),
                _ => body.to_string(),
            };
            let text: String = body.split('<').map(|p| p.split_once('>').map_or(p, |(_, t)| t)).collect();
            texts.push(("report.html table".to_string(), text));
        }
        // A label the scenario gives names its parameters too ("Earlier failed return").
        if *sc == "england-2012-13" {
            let inputs = std::fs::read_to_string(out.join("inputs.csv")).unwrap();
            assert!(inputs.contains("Risk factor earlier failed return: prevalence"), "{inputs}");
        }
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
        for st in summary["strategies"].as_array().unwrap() {
            texts.push(("summary.json offered_to".into(), st["offered_to"].as_str().unwrap_or("").to_string()));
        }
        // The workbook's sheets for people; Inputs and the data dictionary name the tables'
        // keys and columns on purpose, to find them in the CSV files.
        {
            use calamine::{Data, Reader, Xlsx, open_workbook};
            let mut wb: Xlsx<_> = open_workbook(out.join("results.xlsx")).unwrap();
            for sheet in wb.sheet_names().to_vec() {
                if sheet == "Inputs" || sheet == "Data dictionary" {
                    continue;
                }
                for cell in wb.worksheet_range(&sheet).unwrap().cells() {
                    if let (_, _, Data::String(text)) = cell {
                        texts.push((format!("results.xlsx {sheet}"), text.clone()));
                    }
                }
            }
        }
        outs.push((out.clone(), ids.clone()));
        for (place, text) in texts {
            for id in &ids {
                if text.contains(id.as_str()) {
                    found.push(format!("{sc} {place}: {id:?} in {:?}", &text[..text.len().min(200)]));
                }
            }
        }
    }
    // compare: its terminal text and its page.
    let page = dir.path().join("compare.html");
    let (a, ids) = &outs[0];
    let compare = reunify().arg("compare").args([a, a]).arg("--out").arg(&page).output().unwrap();
    assert!(compare.status.success(), "{}", String::from_utf8_lossy(&compare.stderr));
    let html = std::fs::read_to_string(&page).unwrap();
    for (place, text) in
        [("compare: terminal", String::from_utf8_lossy(&compare.stdout).into_owned()), ("compare.html", html)]
    {
        // The page names the two runs' folders, which are the user's, and nothing else of ours.
        let text = text.replace(&a.display().to_string(), "");
        for id in ids {
            if text.contains(id.as_str()) {
                found.push(format!("{place}: {id:?}"));
            }
        }
    }
    assert!(found.is_empty(), "{} identifiers in sentences:\n{}", found.len(), found.join("\n"));
}

/// #35: `fit.html` and `import-903`'s terminal text on a small authority, as on the DfE
/// validator's sample (a few dozen returns home over two years): risk factors by their
/// labels, the authority by its label, no "about 0", no "1 collection years", no table
/// without rows, no wrong money.
#[test]
fn the_fit_page_and_import_903_s_terminal_text_are_in_plain_words() {
    use reunify::ssda903::synthetic::{Truth, generate};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("903");
    for f in generate(&Truth { children: 400, first_year: 2019, last_year: 2020, seed: 11, ..Truth::default() }) {
        let d = data.join(f.year.to_string());
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("header.csv"), &f.header).unwrap();
        std::fs::write(d.join("episodes.csv"), &f.episodes).unwrap();
    }
    let out = dir.path().join("fit");
    let o =
        reunify().arg("import-903").arg(&data).args(["--knots-years", "0,0.5", "--out"]).arg(&out).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    let page = std::fs::read_to_string(out.join("fit.html")).unwrap();
    let sentences = paragraphs(&page).join("\n");
    for (what, text) in [("terminal", &stdout), ("fit.html", &sentences)] {
        for bad in ["about 0", "About 0", "1 collection years", "local-authority", "1 returns", "1 children"] {
            // As a whole number: "141 returns" is right.
            let wrong =
                text.match_indices(bad).any(|(i, _)| !text[..i].ends_with(|c: char| c.is_ascii_digit() || c == ','));
            assert!(!wrong, "{what}: {bad:?} in {text}");
        }
        for id in reunify::ssda903::FACTORS {
            assert!(!text.contains(id), "{what}: the identifier {id} in {text}");
        }
        assert!(wrong_money(text).is_empty(), "{what}: {:?}", wrong_money(text));
    }
    for id in reunify::ssda903::FACTORS {
        assert!(!page.contains(id), "fit.html names {id}");
    }
    assert!(page.contains("<h1>Local authority: re-entry"), "{page}");
    assert!(!page.contains("</th></tr></table>"), "a table with no rows: {page}");
    assert!(stdout.contains("returns home followed") && stdout.contains("collection years (2019 to 2020)"), "{stdout}");
}
