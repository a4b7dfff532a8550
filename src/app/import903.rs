//! `reunify import-903 PATH... --out DIR`: an authority's own baseline from its SSDA903
//! returns (issue #28). This is the command-line half: it finds the files, hands their bytes
//! to the core's [`crate::ssda903`], and writes the outputs into `DIR` through one staging
//! folder, so nothing is written on failure.
//!
//! **Finding the files.** A PATH may be a file, a year's folder (`2019/header.csv`,
//! `2019/episodes.csv`, as the Children's Social Care Demand Model expects), or a folder of
//! year folders. Every `.csv` and `.xml` found is recognised by its columns (or its root
//! element), whatever its name, as the DfE validator does: the Header and Episodes tables are
//! fitted, every other table of the return is named and left aside, and an empty file is
//! skipped. **A file's collection year** is the year of its 31 March, read from its name or
//! else its folder's ([`ssda903::year_in_name`]: `2020`, `1920`, `2019-20`, `2019_20`,
//! `FY2019_20` are all 2019–20); a file with no year is given `--extract-date`'s, and without
//! that it is refused, because a guess moves every date a year. The year of every file is in
//! the cleaning log.
//!
//! **Outputs** (all safe to share outside the authority: no child ID, date of birth, postcode
//! or URN is written; the cleaning log holds codes, never cells; and with suppression, the
//! default, no count from 1 to 4 is shown or can be derived from what is shown):
//! `scenario.toml` (a complete scenario: the fitted `[reentry]`, risk factors and care after
//! re-entry, the rest from `--template`, by default the built-in England 2012–13),
//! `fit.json`, `reentry_km.csv` (the observed curve in bands of months) and
//! `cleaning_log.csv`.

use std::path::{Path, PathBuf};

use anyhow::anyhow;
use chrono::{Datelike, NaiveDate};
use serde_json::{Value, json};

use super::{AppError, staging};
use crate::results::format::{count_words, plural};
use crate::scenario::Scenario;
use crate::ssda903::read::{LogEntry, YearFrom};
use crate::ssda903::{self, FACTORS, Files, Fit, km_rows, protected, shown};

#[derive(clap::Args, Debug)]
pub struct Import903Args {
    /// 903 files (CSV or the XML return), year folders, or a folder of year folders.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// The folder to write the scenario, fit.json, the Kaplan–Meier table and the cleaning log into.
    #[arg(long)]
    pub out: PathBuf,
    /// Scenario to take prices, strategies and every other setting from (default: the built-in
    /// England 2012–13 scenario).
    #[arg(long)]
    pub template: Option<PathBuf>,
    /// Follow time at home to this date (default: the latest collection year's 31 March).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub extract_date: Option<String>,
    /// Fit on returns before the last N years, and compare the model with those years.
    #[arg(long, value_name = "N")]
    pub holdout_years: Option<u32>,
    /// Reasons an episode ends (REC) that are a return home.
    #[arg(long, value_delimiter = ',', default_value = "E4A,E4B")]
    pub returns: Vec<String>,
    /// The hazard's knots in years, from 0 (default 0, 14 days, 3 and 6 months, 1, 2, 5 years).
    #[arg(long, value_delimiter = ',')]
    pub knots_years: Option<Vec<f64>>,
    /// The authority's name, for the scenario.
    #[arg(long, default_value = "local-authority")]
    pub name: String,
    /// Show counts from 1 to 4 (by default they are never shown, nor derivable: the DfE convention).
    #[arg(long)]
    pub no_suppression: bool,
}

/// The most years a fit may hold out: more than the return has existed in its current form.
pub const MAX_HOLDOUT_YEARS: u32 = 30;

fn shown_json(n: u64, suppress: bool) -> Value {
    if ssda903::hidden(n, suppress) { Value::from("c") } else { Value::from(n) }
}

/// Checks the flags before any file is read.
fn options(a: &Import903Args) -> Result<ssda903::Options, AppError> {
    let flag = |name: &str, reason: String| AppError::bad(anyhow!("--{name}: {reason}"));
    let extract = match &a.extract_date {
        None => None,
        Some(t) => match ssda903::read::parse_date(t) {
            Ok(Some(d)) if d.year() >= 1990 && d.year() <= 2100 => Some(d),
            Ok(Some(_)) | Err(ssda903::read::DateProblem::YearOutOfRange) => {
                return Err(flag("extract-date", format!("{t} is outside the years of the 903 return (1990 to 2100)")));
            }
            _ => return Err(flag("extract-date", format!("{t} is not a date (YYYY-MM-DD or dd/mm/YYYY)"))),
        },
    };
    match a.holdout_years {
        Some(0) => return Err(flag("holdout-years", "give at least 1 year to hold out".into())),
        Some(n) if n > MAX_HOLDOUT_YEARS => {
            return Err(flag("holdout-years", format!("{n} is more than {MAX_HOLDOUT_YEARS} years")));
        }
        _ => {}
    }
    let returns: Vec<String> =
        a.returns.iter().map(|r| r.trim().to_ascii_uppercase()).filter(|r| !r.is_empty()).collect();
    if returns.is_empty() {
        return Err(flag("returns", "give at least one reason episode ceased (REC), such as E4A".into()));
    }
    if let Some(r) = returns.iter().find(|r| ssda903::read::Code::new(r).is_none()) {
        return Err(flag("returns", format!("{r:?} is not a 903 code (at most four letters and digits)")));
    }
    let knots = a.knots_years.clone().unwrap_or_else(|| ssda903::DEFAULT_KNOTS.to_vec());
    if knots.first() != Some(&0.0)
        || knots.windows(2).any(|w| w[1] <= w[0])
        || knots.iter().any(|k| !k.is_finite() || *k > 18.0)
        || knots.len() > 50
    {
        return Err(flag(
            "knots-years",
            "knots must start at 0 and increase, in years, to at most 18 (at most 50 knots)".into(),
        ));
    }
    // The name becomes the scenario's name and its authority's: the scenario's own rules.
    if let Some(problem) = crate::scenario::scenario_name_problem(&a.name)
        .map(str::to_string)
        .or_else(|| crate::scenario::authority_name_problem(&a.name))
    {
        return Err(flag("name", format!("{:?} {problem}", a.name)));
    }
    Ok(ssda903::Options { returns, knots, extract, holdout_years: a.holdout_years })
}

/// A file found, with the collection year its name or folder gives.
struct Found {
    path: PathBuf,
    year: Option<(i32, YearFrom)>,
}

/// The files under the paths given, each with the year its name or folder gives. A file named
/// on the command line is read whatever its extension; in a folder, `.csv` and `.xml` files are.
fn discover(paths: &[PathBuf]) -> Result<(Vec<Found>, usize), AppError> {
    let mut out = Vec::new();
    let mut skipped = 0usize;
    let list = |dir: &Path| -> Result<Vec<PathBuf>, AppError> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| AppError::bad(anyhow!("cannot read {}: {e}", dir.display())))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        v.sort();
        Ok(v)
    };
    let name_year = |p: &Path| {
        let named = |q: Option<&std::ffi::OsStr>| q.and_then(|n| ssda903::year_in_name(&n.to_string_lossy()));
        named(p.file_name())
            .map(|y| (y, YearFrom::FileName))
            .or_else(|| named(p.parent().and_then(|d| d.file_name())).map(|y| (y, YearFrom::Folder)))
    };
    let wanted = |p: &Path| {
        p.is_file() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv") || e.eq_ignore_ascii_case("xml"))
    };
    for p in paths {
        let meta = std::fs::metadata(p);
        match meta {
            Ok(m) if m.is_file() => out.push(Found { path: p.clone(), year: name_year(p) }),
            Ok(m) if m.is_dir() => {
                for entry in list(p)? {
                    // A result folder of reunify's (an earlier fit written beside the data)
                    // holds outputs, not returns.
                    if entry.is_dir() && staging::result_marker(&entry).is_some() {
                        continue;
                    }
                    if entry.is_dir() {
                        for f in list(&entry)? {
                            if wanted(&f) {
                                out.push(Found { year: name_year(&f), path: f });
                            } else if !f.is_dir() {
                                skipped += 1;
                            }
                        }
                    } else if wanted(&entry) {
                        out.push(Found { year: name_year(&entry), path: entry });
                    } else {
                        skipped += 1;
                    }
                }
            }
            Ok(_) => {
                return Err(AppError::bad(anyhow!(
                    "{}: not a regular file or folder (a device, pipe or socket); name the 903 files or their folder",
                    p.display()
                )));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(AppError::bad(anyhow!("{}: no such file or folder", p.display())));
            }
            Err(e) => return Err(AppError::bad(anyhow!("cannot read {}: {e}", p.display()))),
        }
    }
    if out.is_empty() {
        return Err(AppError::bad(anyhow!("no .csv or .xml files were found under the paths given")));
    }
    Ok((out, skipped))
}

/// The collection year of a date: the year of the 31 March on or after it.
fn collection_year(d: NaiveDate) -> i32 {
    if d.month() <= 3 { d.year() } else { d.year() + 1 }
}

/// Reads every file under `paths`, giving each its collection year; also returns how many
/// files in the folders are neither CSV nor XML.
fn read_all(
    paths: &[PathBuf],
    extract: Option<NaiveDate>,
    log: &mut Vec<LogEntry>,
) -> Result<(Files, usize), AppError> {
    let (files, not_903) = discover(paths)?;
    let mut r = Files::default();
    for f in &files {
        let label = f.path.display().to_string();
        let year = match (f.year, extract) {
            (Some(y), _) => y,
            (None, Some(d)) => (collection_year(d), YearFrom::ExtractDate),
            (None, None) => {
                return Err(AppError::bad(anyhow!(
                    "{label}: no collection year in its name or its folder's name, and a year guessed from its dates could be a year out; name the file or its folder by the year of its 31 March (2020, 2019-20 or 1920), or give --extract-date for one year's file"
                )));
            }
        };
        let file = std::fs::File::open(&f.path).map_err(|e| AppError::bad(anyhow!("cannot read {label}: {e}")))?;
        r.add(file, &label, year, log).map_err(AppError::bad)?;
    }
    Ok((r, not_903))
}

/// The template's text and how to name it: a file, or the built-in default.
fn template(a: &Import903Args) -> Result<(String, String), AppError> {
    match &a.template {
        Some(p) => Ok((super::files::read_scenario_source(p).map_err(AppError::bad)?, p.display().to_string())),
        None => {
            let (name, text) = crate::scenario::shipped::find(crate::scenario::shipped::DEFAULT).expect("shipped");
            Ok((text.to_string(), format!("the built-in {name} scenario")))
        }
    }
}

/// `reunify import-903`.
pub fn command(a: &Import903Args) -> Result<(), AppError> {
    let opts = options(a)?;
    let mut inputs: Vec<&Path> = a.paths.iter().map(PathBuf::as_path).collect();
    inputs.extend(a.template.as_deref());
    staging::check_destination_for(&a.out, &inputs)?;
    let (template_text, template_name) = template(a)?;
    let mut log: Vec<LogEntry> = Vec::new();
    let (read, not_903) = read_all(&a.paths, opts.extract, &mut log)?;
    let aside = aside_line(&read, not_903);
    let fit = ssda903::fit_files(read, &opts, &mut log).map_err(AppError::bad)?;
    let suppress = !a.no_suppression;
    let text = scenario_text(&template_text, &template_name, &fit, a, suppress).map_err(AppError::bad)?;
    let out_name = a.out.join("scenario.toml").display().to_string();
    // A scenario we generated that does not validate is our failure, not the user's input.
    Scenario::from_toml_str(&text, &out_name).map_err(AppError::failed)?;

    let staged = staging::StagedDir::new(&a.out, staging::Kind::Fit, &inputs)?;
    let dir = staged.path();
    std::fs::write(dir.join("scenario.toml"), &text)?;
    let fit_json = fit_json(&fit, a, &opts, &log, suppress);
    std::fs::write(dir.join("fit.json"), serde_json::to_string_pretty(&fit_json)? + "\n")?;
    let km = km_rows(&fit, suppress);
    crate::results::table::write(dir, &km, crate::results::table::Formats::CSV)?;
    crate::results::table::write(dir, &log, crate::results::table::Formats::CSV)?;
    crate::report::fit_page::write(dir, &fit, &a.name, &km, &log, suppress)?;
    let done = staged.commit()?;
    let summary = terminal_summary(&fit, &log, &aside, suppress);
    super::stdout::after_commit(&done, &format!("{}: {summary}\nNote: {}\n", done.display(), ssda903::LIMIT))?;
    Ok(())
}

/// One line on the tables left aside, or empty when there were none.
fn aside_line(r: &Files, not_903: usize) -> String {
    let mut parts = Vec::new();
    if !r.other.is_empty() {
        let n: usize = r.other.values().sum();
        let kinds: Vec<&str> = r.other.keys().map(|k| k.label()).collect();
        parts.push(format!("{} of the return's other tables ({})", count_words(n as u64), kinds.join(", ")));
    }
    if r.empty > 0 {
        parts.push(plural(r.empty as u64, "empty file", "empty files"));
    }
    if not_903 > 0 {
        parts.push(plural(not_903 as u64, "file that is not CSV or XML", "files that are not CSV or XML"));
    }
    if parts.is_empty() { String::new() } else { format!("Left aside: {}.", parts.join("; ")) }
}

/// Rows not used, by what was wrong: (what was done, rows), most first.
pub fn rows_not_used(log: &[LogEntry]) -> Vec<(String, u64)> {
    let mut by: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    for e in log.iter().filter(|e| e.left_out) {
        *by.entry(e.action.as_str()).or_default() += 1;
    }
    let mut v: Vec<(String, u64)> = by.into_iter().map(|(a, n)| (a.to_string(), n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

/// What the terminal says after a fit, in plain words.
fn terminal_summary(fit: &Fit, log: &[LogEntry], aside: &str, suppress: bool) -> String {
    let n = |x: u64| if ssda903::hidden(x, suppress) { "fewer than five".to_string() } else { count_words(x) };
    let mut s = format!(
        "{} followed, {} back in care, from {}.",
        crate::results::format::plural_with(fit.returns_home, &n(fit.returns_home), "return home", "returns home"),
        n(fit.reentries),
        crate::report::fit_page::years_in_words(fit.first_year, fit.last_year),
    );
    let unused: u64 = rows_not_used(log).iter().map(|(_, k)| k).sum();
    let with = |k: usize, one: &str, many: &str| crate::results::format::plural_with(k as u64, &n(k as u64), one, many);
    let mut parts = Vec::new();
    if fit.header_children_without_episodes > 0 {
        parts.push(with(
            fit.header_children_without_episodes,
            "Header child had no episode",
            "Header children had no episode",
        ));
    }
    if fit.episodes_without_header > 0 {
        parts.push(with(
            fit.episodes_without_header,
            "episode belonged to a child with no Header row (no date of birth, so its returns could not be followed)",
            "episodes belonged to children with no Header row (no date of birth, so their returns could not be followed)",
        ));
    }
    if unused > 0 {
        parts.push(with(unused as usize, "row was not used", "rows were not used"));
    }
    s.push('\n');
    s.push_str(&if parts.is_empty() {
        "Every row was used, every Header child had episodes and every child with episodes a Header row.".to_string()
    } else {
        crate::results::format::capitalise(&parts.join("; ")) + ". Each row is in cleaning_log.csv."
    });
    if !aside.is_empty() {
        s.push('\n');
        s.push_str(aside);
    }
    s
}

fn round(x: f64, digits: i32) -> f64 {
    let p = 10f64.powi(digits);
    (x * p).round() / p
}

/// `fit.json`: counts (suppressed), the hazard, hazard ratios, prevalences, care after
/// re-entry and the hold-out comparison.
fn fit_json(fit: &Fit, a: &Import903Args, opts: &ssda903::Options, log: &[LogEntry], suppress: bool) -> Value {
    let h = &fit.hazard;
    let mut ratios = serde_json::Map::new();
    let mut left_out = serde_json::Map::new();
    let mut prevalence = serde_json::Map::new();
    for (j, name) in FACTORS.iter().enumerate() {
        if let Some((e, lo, hi)) = h.hazard_ratio(j) {
            ratios.insert((*name).into(), json!({ "estimate": round(e, 4), "lo": round(lo, 4), "hi": round(hi, 4) }));
        }
        let p = &fit.prevalence[j];
        prevalence.insert((*name).into(), json!(round(protected(p.with, p.of, suppress) / p.of.max(1) as f64, 4)));
    }
    for (j, why) in &h.left_out {
        left_out.insert(FACTORS[*j].into(), json!(why.action()));
    }
    let mut not_used = serde_json::Map::new();
    for (what, n) in rows_not_used(log) {
        not_used.insert(what, shown_json(n, suppress));
    }
    json!({
        "returns_home": shown_json(fit.returns_home, suppress),
        "reentries": shown_json(fit.reentries, suppress),
        "censored": shown_json(fit.censored, suppress),
        "extract_date": fit.extract.to_string(),
        "collection_years": [fit.first_year, fit.last_year],
        "returns_per_year": round(fit.returns_per_year, 1),
        "returns_codes": opts.returns,
        "fitted_returns": shown_json(fit.fitted_returns, suppress),
        "knots_years": h.knots,
        "rates_per_year": h.rates.iter().map(|r| round(*r, 6)).collect::<Vec<_>>(),
        "rates_lo": h.rates_lo.iter().map(|r| round(*r, 6)).collect::<Vec<_>>(),
        "rates_hi": h.rates_hi.iter().map(|r| round(*r, 6)).collect::<Vec<_>>(),
        "hazard_ratios": ratios,
        "left_out": left_out,
        "prevalence": prevalence,
        "age_at_return": ssda903::age_shares(&fit.age_at_return, suppress).iter().map(|v| round(*v, 6)).collect::<Vec<_>>(),
        "care_after_reentry": fit.care.as_ref().map(|c| json!({
            "median_years": round(c.median_years, 4),
            "sigma": round(c.sigma, 4),
            "ended": shown_json(c.ended, suppress),
            "still_in_care": shown_json(c.censored, suppress),
            "return_home_share": if fit.care_ended > 0 { json!(round(protected(fit.care_went_home, fit.care_ended, suppress) / fit.care_ended as f64, 4)) } else { Value::Null },
        })),
        "header_children_without_episodes": shown_json(fit.header_children_without_episodes as u64, suppress),
        "children_without_header": shown_json(fit.children_without_header as u64, suppress),
        "episodes_without_header": shown_json(fit.episodes_without_header as u64, suppress),
        "rows_not_used": not_used,
        "holdout": fit.holdout.as_ref().map(|ho| ssda903::holdout_rows(ho, suppress).iter().map(|r| json!({
            "months": r.months,
            "observed": round(r.observed, 4), "observed_lo": round(r.observed_lo, 4), "observed_hi": round(r.observed_hi, 4),
            "predicted": round(r.predicted, 4), "predicted_lo": round(r.predicted_lo, 4), "predicted_hi": round(r.predicted_hi, 4),
        })).collect::<Vec<_>>()),
        "holdout_from": fit.holdout.as_ref().map(|ho| ho.cut.to_string()),
        "holdout_returns": fit.holdout.as_ref().map(|ho| shown_json(ho.returns, suppress)),
        "suppression": if suppress { "counts from 1 to 4 are shown as c (DfE convention), and no share or table lets one be derived: a share of 1 to 4 children is written as of 2.5, and the Kaplan–Meier table is in bands of months, each with 0 or at least 5 re-entries and censored returns" } else { "off (--no-suppression): small counts are shown" },
        "limit": ssda903::LIMIT,
        "name": a.name,
    })
}

/// A table value for a share with a beta distribution from its count, or a fixed share.
/// Under suppression a count of 1 to 4 (of those with, or those without) is written as 2.5,
/// the middle of what it may be, so that the scenario never reveals it.
fn beta_of(with: u64, of: u64, suppress: bool) -> toml::Value {
    if with > 0 && with < of {
        let e = protected(with, of, suppress);
        let mut t = toml::Table::new();
        t.insert("dist".into(), "beta".into());
        t.insert(
            "events".into(),
            if e.fract() == 0.0 { toml::Value::Integer(e as i64) } else { toml::Value::Float(e) },
        );
        t.insert("n".into(), toml::Value::Integer(of as i64));
        toml::Value::Table(t)
    } else {
        toml::Value::Float(with as f64 / of.max(1) as f64)
    }
}

fn lognormal_of(median: f64, lo: f64, hi: f64) -> toml::Value {
    let mut t = toml::Table::new();
    t.insert("dist".into(), "lognormal".into());
    t.insert("median".into(), round(median, 6).into());
    t.insert("ci95".into(), toml::Value::Array(vec![round(lo, 6).into(), round(hi, 6).into()]));
    toml::Value::Table(t)
}

/// The template's names for the risk factors 903 data measures, and their 903 names.
const TEMPLATE_NAMES: [(&str, &str); 3] = [
    ("aged_over_10", "aged_10_plus"),
    ("neglect", "abuse_or_neglect"),
    ("previous_failed_return", "previous_failed_return"),
];

/// The fitted scenario: the template with its authorities, re-entry hazard, risk factors,
/// care after re-entry and validation figures replaced by what the 903 files give.
fn scenario_text(
    template: &str,
    template_name: &str,
    fit: &Fit,
    a: &Import903Args,
    suppress: bool,
) -> anyhow::Result<String> {
    let mut doc: toml::Table = toml::from_str(template).map_err(|e| anyhow!("the template is not valid TOML: {e}"))?;
    let period = format!("returns home from 1 April {} to {}", fit.first_year - 1, fit.extract);
    let files = format!("{}'s SSDA903 returns, collection years {} to {}", a.name, fit.first_year, fit.last_year);
    let counts = format!(
        "{} returns home, {} re-entries",
        shown(fit.fitted_returns, suppress),
        shown(fit.hazard.events.iter().sum(), suppress)
    );
    let meta = doc
        .get_mut("scenario")
        .and_then(|s| s.as_table_mut())
        .ok_or_else(|| anyhow!("the template has no [scenario]"))?;
    meta.insert("name".into(), a.name.clone().into());
    meta.insert(
        "title".into(),
        format!("{}, children who returned home from care ({} to {})", a.name, fit.first_year, fit.last_year).into(),
    );
    let mut auth = toml::Table::new();
    auth.insert("name".into(), a.name.clone().into());
    auth.insert("children".into(), toml::Value::Integer((fit.returns_per_year.round() as i64).max(1)));
    auth.insert("source".into(), format!("{files}: mean returns home a year, {period}").into());
    doc.insert("authority".into(), toml::Value::Array(vec![toml::Value::Table(auth)]));
    // The re-entry hazard: each piece's rate a gamma from its estimate and standard error.
    let h = &fit.hazard;
    let rates: Vec<toml::Value> = (0..h.knots.len())
        .map(|k| {
            if h.events[k] == 0 {
                toml::Value::Float(0.0)
            } else {
                let mut t = toml::Table::new();
                t.insert("dist".into(), "gamma".into());
                t.insert("mean".into(), round(h.rates[k], 6).into());
                t.insert("sd".into(), round(h.rates[k] * h.log_rate_se[k], 6).max(1e-6).into());
                toml::Value::Table(t)
            }
        })
        .collect();
    let mut reentry = toml::Table::new();
    reentry.insert("knots_years".into(), toml::Value::Array(h.knots.iter().map(|k| round(*k, 6).into()).collect()));
    reentry.insert("rates_per_year".into(), toml::Value::Array(rates));
    reentry.insert(
        "source".into(),
        format!("Fitted by reunify import-903 to {files} ({period}; {counts}): piecewise-constant hazard for a child with none of the risk factors, Poisson regression with log exposure as offset (IRLS); each rate a gamma from its estimate and standard error. {}", ssda903::LIMIT).into(),
    );
    // The observed curve, shown beside the model in a run's report (never fitted to).
    let observed: Vec<toml::Value> = km_rows(fit, suppress)
        .iter()
        .map(|r| {
            let mut t = toml::Table::new();
            t.insert("months".into(), (r.months as f64).into());
            t.insert("share".into(), round(r.share_back, 4).into());
            t.insert("lo".into(), round(r.share_back_lo, 4).into());
            t.insert("hi".into(), round(r.share_back_hi, 4).into());
            toml::Value::Table(t)
        })
        .collect();
    reentry.insert("observed".into(), toml::Value::Array(observed));
    doc.insert("reentry".into(), toml::Value::Table(reentry));
    // Risk factors: those estimated, with their hazard ratios and prevalences.
    let mut factors = Vec::new();
    for (j, name) in FACTORS.iter().enumerate() {
        let Some((e, lo, hi)) = h.hazard_ratio(j) else { continue };
        let p = &fit.prevalence[j];
        let mut t = toml::Table::new();
        t.insert("name".into(), (*name).into());
        t.insert("prevalence".into(), beta_of(p.with, p.of, suppress));
        t.insert("hr_reentry".into(), lognormal_of(e, lo, hi));
        t.insert("hr_maltreatment".into(), 1.0.into());
        t.insert("source".into(), format!("Fitted by reunify import-903 to {files} ({period}): prevalence among the returns home (beta from its count); hazard ratio from the Poisson regression (log-normal from its estimate and standard error). No 903 field measures maltreatment: its ratio is 1").into());
        factors.push(toml::Value::Table(t));
    }
    doc.insert("risk_factor".into(), toml::Value::Array(factors));
    if let Some((e, lo, hi)) = h.hazard_ratio(1) {
        let mut t = toml::Table::new();
        t.insert("hr_per_failed_return".into(), lognormal_of(e, lo, hi));
        t.insert(
            "source".into(),
            format!("The hazard ratio of previous_failed_return fitted to {files}, applied per failed return").into(),
        );
        doc.insert("failed_returns".into(), toml::Value::Table(t));
    }
    if let Some(c) = &fit.care {
        let mut t = toml::Table::new();
        let se = c.log_median_se;
        t.insert(
            "median_years".into(),
            lognormal_of(c.median_years, c.median_years * (-1.96 * se).exp(), c.median_years * (1.96 * se).exp()),
        );
        t.insert("sigma".into(), round(c.sigma, 4).into());
        if fit.care_ended > 0 {
            t.insert("return_home_probability".into(), beta_of(fit.care_went_home, fit.care_ended, suppress));
        }
        t.insert("source".into(), format!("Fitted by reunify import-903 to {files}: log-normal duration of the periods of care after a re-entry ({} ended, {} still open at the extract, censored; EM); return home: the share of those that ended that ended in a return home (beta from its count)", shown(c.ended, suppress), shown(c.censored, suppress)).into());
        doc.insert("care_after_breakdown".into(), toml::Value::Table(t));
    }
    // Ages at the return: each simulated child draws one, and its path ends at 18.
    let mut ages = toml::Table::new();
    ages.insert(
        "shares_by_year_of_age".into(),
        toml::Value::Array(
            ssda903::age_shares(&fit.age_at_return, suppress).iter().map(|v| round(*v, 6).into()).collect(),
        ),
    );
    ages.insert(
        "source".into(),
        format!(
            "{files} ({period}): age in whole years at the return home{}",
            if suppress { "; a year of age with 1 to 4 returns is merged into its neighbour" } else { "" }
        )
        .into(),
    );
    doc.insert("age_at_return".into(), toml::Value::Table(ages));
    // Strategies' eligibility rules name the template's risk factors: use the 903 names.
    let present: Vec<&str> =
        FACTORS.iter().enumerate().filter(|(j, _)| h.hazard_ratio(*j).is_some()).map(|(_, n)| *n).collect();
    if let Some(strategies) = doc.get_mut("strategy").and_then(|s| s.as_array_mut()) {
        for s in strategies.iter_mut().filter_map(|s| s.as_table_mut()) {
            let Some(rule) = s.get_mut("eligibility").and_then(|e| e.as_table_mut()) else { continue };
            let names: Vec<String> = rule
                .get("any_of")
                .and_then(|v| v.as_array())
                .map(|v| {
                    v.iter()
                        .filter_map(|n| n.as_str())
                        .map(|n| TEMPLATE_NAMES.iter().find(|(t, _)| *t == n).map_or(n, |(_, f)| *f).to_string())
                        .collect()
                })
                .unwrap_or_default();
            let kept: Vec<toml::Value> =
                names.iter().filter(|n| present.contains(&n.as_str())).map(|n| n.clone().into()).collect();
            if kept.is_empty() {
                s.insert("eligibility".into(), "all".into());
                continue;
            }
            let n = kept.len() as i64;
            rule.insert("any_of".into(), toml::Value::Array(kept));
            if let Some(m) = rule.get("min_risk_score").and_then(|m| m.as_integer()) {
                rule.insert("min_risk_score".into(), toml::Value::Integer(m.min(n)));
            }
        }
    }
    // The template's validation figures are another population's; the hold-out years are
    // this authority's own.
    doc.remove("validation");
    if let Some(ho) = &fit.holdout {
        let rows: Vec<toml::Value> = ssda903::holdout_rows(ho, suppress)
            .iter()
            .map(|r| {
                let mut t = toml::Table::new();
                t.insert(
                    "figure".into(),
                    format!("Back in care within {} months of returning home (held-out years)", r.months).into(),
                );
                t.insert("published".into(), format!("{:.1}%", 100.0 * r.observed).into());
                t.insert("share".into(), round(r.observed, 4).into());
                t.insert("rounding".into(), 0.00005.into());
                t.insert("years".into(), (r.months as f64 / 12.0).into());
                // No comma: the report shortens a source to its first author and year.
                t.insert(
                    "source".into(),
                    format!(
                        "{} SSDA903 returns {}–{}: Kaplan–Meier of the returns home from {} on (not seen by the fit)",
                        a.name, fit.first_year, fit.last_year, ho.cut
                    )
                    .into(),
                );
                t.insert(
                    "population".into(),
                    format!("{} returns home from {} to {}", shown(ho.returns, suppress), ho.cut, fit.extract).into(),
                );
                t.insert(
                    "period".into(),
                    format!("Held out: the model was fitted on returns home before {}", ho.cut).into(),
                );
                t.insert(
                    "definition".into(),
                    "Returns home (REC E4A or E4B), as the model; followed to the extract date and the 18th birthday"
                        .into(),
                );
                toml::Value::Table(t)
            })
            .collect();
        if !rows.is_empty() {
            doc.insert("validation".into(), toml::Value::Array(rows));
        }
    }
    let header = format!(
        "# Generated by `reunify import-903` from {files}.\n# [[authority]], [reentry], [[risk_factor]], [failed_returns], [care_after_breakdown] and [[validation]]\n# are fitted; every other setting comes from the template ({}).\n# {}\n\n",
        template_name,
        ssda903::LIMIT
    );
    Ok(header + &toml::to_string(&doc)?)
}
