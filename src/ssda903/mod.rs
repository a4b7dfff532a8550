//! An authority's own baseline from its SSDA903 returns (issue #28): read the Header and
//! Episodes tables of several collection years ([`read`]), follow every child home and back
//! into care ([`history`]), and fit the re-entry hazard, its risk factors and the care after a
//! re-entry with their uncertainty, checked on held-out years ([`fit`]).
//!
//! Pure, like the rest of the core: the command line (`app::import903`) finds and reads the
//! files and writes the outputs; this module sees their text and returns numbers. No child ID
//! or date of birth leaves it: [`Fit`] holds counts, shares and rates only.
//!
//! **Stated limit**: a child who re-enters the care of another authority is not in this
//! authority's returns, so such a re-entry is seen as time at home. The fitted rates are
//! re-entries into *this* authority's care.

pub mod fit;
pub mod history;
pub mod read;
pub mod synthetic;

use chrono::{Datelike, Months, NaiveDate};

pub use history::FACTORS;
use read::{Code, Ids, LogEntry, Problem, Table};

/// Each factor in words, for people (the names stay in the tables and the scenario).
pub const FACTOR_LABELS: [&str; 5] = [
    "aged 10 or over at the return",
    "an earlier return home that broke down",
    "in care because of abuse or neglect (CIN N1)",
    "accommodated under section 20 (LS V2)",
    "an unplanned return home (REC E4B)",
];

/// What a reader of the outputs must know about what 903 data cannot show.
pub const LIMIT: &str = "A child who re-enters another authority's care cannot be seen in this authority's 903 returns; such a re-entry counts as time at home, so the rates are re-entries into this authority's care.";

/// The default knots, in years: 0, 14 days, 3 months, 6 months, 1, 2 and 5 years.
pub const DEFAULT_KNOTS: [f64; 7] = [0.0, 14.0 / 365.25, 0.25, 0.5, 1.0, 2.0, 5.0];

/// The months at which the hold-out comparison is made, where follow-up allows.
pub const HOLDOUT_MONTHS: [u32; 4] = [3, 6, 12, 24];

/// One file's table and the collection year it belongs to (the year of its 31 March).
pub struct Input {
    pub label: String,
    pub year: i32,
    pub table: Table,
}

/// The files of one import as they are read: every table with its collection year, the
/// files' labels, the children's IDs, and what was left aside. The command line and the
/// browser add each file's bytes in turn, then [`fit_files`].
#[derive(Default)]
pub struct Files {
    pub inputs: Vec<Input>,
    pub labels: Vec<String>,
    pub ids: Ids,
    /// Tables of the return the fit leaves aside, by kind.
    pub other: std::collections::BTreeMap<read::TableKind, usize>,
    /// Empty files skipped.
    pub empty: usize,
}

impl Files {
    /// Reads one file's bytes, given its collection year and where that came from.
    pub fn add(
        &mut self,
        bytes: impl std::io::Read,
        label: &str,
        year: (i32, read::YearFrom),
        log: &mut Vec<LogEntry>,
    ) -> Result<(), read::NotData> {
        let index = self.labels.len() as u32;
        let tables = read::read_file(bytes, label, index, &mut self.ids, log)?;
        self.labels.push(label.to_string());
        if tables.is_empty() {
            self.empty += 1;
            return Ok(());
        }
        log.push(LogEntry::new(label, 0, "", Problem::Year(year.0, year.1)));
        for table in tables {
            match table {
                Table::Other(k) => *self.other.entry(k).or_default() += 1,
                table => self.inputs.push(Input { label: label.to_string(), year: year.0, table }),
            }
        }
        Ok(())
    }
}

/// Fits the files read.
pub fn fit_files(files: Files, opts: &Options, log: &mut Vec<LogEntry>) -> Result<Fit, FitError> {
    fit(files.inputs, opts, &files.labels, &files.ids, log)
}

/// How to fit.
#[derive(Clone, Debug)]
pub struct Options {
    /// REC codes that are a return home (default E4A and E4B).
    pub returns: Vec<String>,
    pub knots: Vec<f64>,
    /// The date time at home is followed to (default: the latest year's 31 March).
    pub extract: Option<NaiveDate>,
    /// Fit on returns before the last `n` years and compare with those years.
    pub holdout_years: Option<u32>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            returns: vec!["E4A".into(), "E4B".into()],
            knots: DEFAULT_KNOTS.to_vec(),
            extract: None,
            holdout_years: None,
        }
    }
}

/// Why no fit could be made.
#[derive(Debug, thiserror::Error)]
pub enum FitError {
    #[error("no Episodes table was given (a file with the columns CHILD, DECOM, RNE, DEC and REC, or an XML return)")]
    NoEpisodes,
    #[error(
        "no Header table was given (a file with the columns CHILD and DOB, or an XML return): ages and 18th birthdays need it"
    )]
    NoHeader,
    #[error("{0}")]
    TooFew(String),
}

/// The collection year a file or folder name gives, as the year of its 31 March: `2019` is
/// 2018–19 (the DfE names a return by its 31 March's year, as the demand model's folders
/// do); `2019-20`, `2019_20`, `2019-2020`, `FY2019_20` and `1920` are 2019–20. A four-digit
/// run that is two consecutive two-digit years (`1920`, `2021`) is read as the pair, which
/// agrees with reading it as a year wherever both readings are years of the return. `None`
/// when no year is written.
pub fn year_in_name(name: &str) -> Option<i32> {
    let b = name.as_bytes();
    let digits_at = |i: usize, n: usize| i + n <= b.len() && b[i..i + n].iter().all(u8::is_ascii_digit);
    let num = |i: usize, n: usize| std::str::from_utf8(&b[i..i + n]).ok()?.parse::<i32>().ok();
    let mut i = 0;
    while i < b.len() {
        let starts = i == 0 || !b[i - 1].is_ascii_digit();
        if !(starts && digits_at(i, 4)) || (i + 4 < b.len() && b[i + 4].is_ascii_digit()) {
            i += 1;
            continue;
        }
        let first = num(i, 4)?;
        // YYYY, then a separator and YY or YYYY of the next year.
        if i + 5 < b.len() && matches!(b[i + 4], b'-' | b'_' | b'/' | b' ') {
            let j = i + 5;
            let end = |n: usize| b.get(j + n).is_none_or(|c| !c.is_ascii_digit());
            if digits_at(j, 4) && end(4) && num(j, 4) == Some(first + 1) {
                return Some(first + 1);
            }
            if digits_at(j, 2) && end(2) && num(j, 2) == Some((first + 1) % 100) {
                return Some(first + 1);
            }
        }
        let (hi, lo) = (first / 100, first % 100);
        if lo == (hi + 1) % 100 && (2000 + lo <= 2100) && !(1990..=2100).contains(&first) {
            // 1920: the pair 2019–20.
            return Some(2000 + lo);
        }
        if (1990..=2100).contains(&first) {
            return Some(first);
        }
        i += 4;
    }
    None
}

/// A prevalence: returns with the factor among those fitted.
#[derive(Clone, Debug, PartialEq)]
pub struct Prevalence {
    pub with: u64,
    pub of: u64,
}

/// One row of the hold-out comparison.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct HoldoutRow {
    pub months: u32,
    /// Held-out re-entries by then (for suppression; never written).
    #[serde(skip)]
    pub reentries: u64,
    pub observed: f64,
    pub observed_lo: f64,
    pub observed_hi: f64,
    pub predicted: f64,
    pub predicted_lo: f64,
    pub predicted_hi: f64,
}

/// The hold-out check: returns from `cut` on, against the model fitted on those before.
#[derive(Clone, Debug)]
pub struct Holdout {
    pub cut: NaiveDate,
    pub returns: u64,
    pub reentries: u64,
    pub rows: Vec<HoldoutRow>,
}

/// Everything fitted, and the counts behind it.
#[derive(Clone, Debug)]
pub struct Fit {
    pub first_year: i32,
    pub last_year: i32,
    pub extract: NaiveDate,
    pub children: usize,
    pub episodes: usize,
    pub periods: usize,
    pub short_breaks: usize,
    pub returns_without_dob: usize,
    /// Header children with no episode in any file; children of the Episodes files with no
    /// Header row, and their episodes.
    pub header_children_without_episodes: usize,
    pub children_without_header: usize,
    pub episodes_without_header: usize,
    /// Every return home followed (before the extract and the 18th birthday).
    pub returns_home: u64,
    pub reentries: u64,
    pub censored: u64,
    /// Mean returns home a year over the collection years read.
    pub returns_per_year: f64,
    /// The observed curve over every return.
    pub km: Vec<fit::KmStep>,
    /// The hazard, fitted on the returns before the hold-out cut (all, without one).
    pub hazard: fit::HazardFit,
    /// Returns the hazard was fitted on.
    pub fitted_returns: u64,
    pub prevalence: Vec<Prevalence>,
    /// Returns home by whole year of age at the return, 0 to 17.
    pub age_at_return: Vec<u64>,
    pub care: Option<fit::LogNormalFit>,
    /// Periods of care after a re-entry that ended, and of those, how many in a return home.
    pub care_ended: u64,
    pub care_went_home: u64,
    pub holdout: Option<Holdout>,
    /// The model's share back at each knot-free time of the observed curve's grid, for the
    /// chart: (years, predicted share) over every return's covariates.
    pub fitted_curve: Vec<(f64, f64)>,
}

/// Reads histories from the tables and fits them. `ids` holds the child IDs the tables'
/// rows were read with.
pub fn fit(
    inputs: Vec<Input>,
    opts: &Options,
    labels: &[String],
    ids: &Ids,
    log: &mut Vec<LogEntry>,
) -> Result<Fit, FitError> {
    let mut headers = Vec::new();
    let mut episodes = Vec::new();
    let (mut first_year, mut last_year) = (i32::MAX, i32::MIN);
    for input in inputs {
        match input.table {
            Table::Header(rows) => headers.extend(rows.into_iter().map(|r| (input.year, r))),
            Table::Episodes(rows) => episodes.extend(rows.into_iter().map(|r| (input.year, r))),
            Table::Other(_) => continue,
        }
        first_year = first_year.min(input.year);
        last_year = last_year.max(input.year);
    }
    if episodes.is_empty() {
        return Err(FitError::NoEpisodes);
    }
    if headers.is_empty() {
        return Err(FitError::NoHeader);
    }
    let codes: Vec<Code> = opts.returns.iter().filter_map(|r| Code::new(r)).collect();
    let h = history::build(&headers, episodes, ids, labels, &codes, log);
    let extract = opts.extract.unwrap_or_else(|| NaiveDate::from_ymd_opt(last_year, 3, 31).expect("31 March"));
    let all: Vec<&history::Return> = h.returns.iter().collect();
    let spells = fit::spells_of(&all, extract);
    if spells.is_empty() {
        let unmatched = if h.children_without_header > 0 {
            format!(
                "; {} of the {} children of the Episodes files match no Header child ID, so they have no date of birth and their returns home cannot be followed{}",
                h.children_without_header,
                h.children,
                h.mismatch_hint.map(|q| format!(" ({q})")).unwrap_or_default()
            )
        } else {
            String::new()
        };
        return Err(FitError::TooFew(format!(
            "no return home (REC {}) before the extract date {extract} could be followed{unmatched}",
            opts.returns.join(" or ")
        )));
    }
    let reentries = spells.iter().filter(|s| s.1).count() as u64;
    let km = fit::kaplan_meier(&spells.iter().map(|s| (s.0, s.1)).collect::<Vec<_>>());
    let cut = opts
        .holdout_years
        .map(|n| extract.checked_sub_months(Months::new(12 * n)).and_then(|d| d.succ_opt()).unwrap_or(extract));
    let (train, test): (Vec<&history::Return>, Vec<&history::Return>) = match cut {
        Some(c) => all.iter().partition(|r| r.date < c),
        None => (all.clone(), Vec::new()),
    };
    let train_spells = fit::spells_of(&train, cut.unwrap_or(extract));
    let train_events = train_spells.iter().filter(|s| s.1).count();
    if train_events < fit::MIN_EVENTS as usize {
        return Err(FitError::TooFew(format!(
            "{} re-entries {}: at least {} are needed to fit a hazard",
            if train_events == 0 { "no".to_string() } else { "fewer than 5".to_string() },
            if cut.is_some() { "before the hold-out years" } else { "in the data" },
            fit::MIN_EVENTS
        )));
    }
    // The knots the data can support: a knot beyond anyone's follow-up has no exposure.
    let longest = train_spells.iter().map(|s| s.0).fold(0.0, f64::max);
    let knots: Vec<f64> = opts.knots.iter().copied().filter(|k| *k < longest).collect();
    for k in opts.knots.iter().filter(|k| **k >= longest) {
        log.push(LogEntry::new("", 0, "knots_years", Problem::KnotLeftOut(*k)));
    }
    let hazard = fit::fit_hazard(&train_spells, &knots);
    for (j, why) in &hazard.left_out {
        log.push(LogEntry::new("", 0, FACTORS[*j], *why));
    }
    let prevalence = (0..5)
        .map(|j| Prevalence {
            with: train_spells.iter().filter(|s| s.2[j]).count() as u64,
            of: train_spells.len() as u64,
        })
        .collect();
    let mut age_at_return = vec![0u64; 18];
    for r in &train {
        if r.spell(cut.unwrap_or(extract)).is_some() {
            age_at_return[(r.age as usize).min(17)] += 1;
        }
    }
    let care_spells = fit::care_spells(&h.care_after_reentry, extract);
    let care = fit::fit_lognormal(&care_spells);
    let ended: Vec<&history::CareSpell> =
        h.care_after_reentry.iter().filter(|s| s.end.is_some_and(|e| e <= extract)).collect();
    let holdout = cut.map(|c| {
        let test_spells = fit::spells_of(&test, extract);
        let km = fit::kaplan_meier(&test_spells.iter().map(|s| (s.0, s.1)).collect::<Vec<_>>());
        let xs: Vec<[bool; 5]> = test_spells.iter().map(|s| s.2).collect();
        let months: Vec<u32> =
            HOLDOUT_MONTHS.iter().copied().filter(|m| fit::km_at(&km, *m as f64 / 12.0).is_some()).collect();
        let predicted = hazard.predict(&xs, &months.iter().map(|m| *m as f64 / 12.0).collect::<Vec<_>>());
        let rows = months
            .iter()
            .zip(predicted)
            .map(|(m, (p, plo, phi))| {
                let (o, olo, ohi) = fit::km_at(&km, *m as f64 / 12.0).expect("filtered above");
                HoldoutRow {
                    months: *m,
                    reentries: test_spells.iter().filter(|s| s.1 && s.0 <= *m as f64 / 12.0).count() as u64,
                    observed: o,
                    observed_lo: olo,
                    observed_hi: ohi,
                    predicted: p,
                    predicted_lo: plo,
                    predicted_hi: phi,
                }
            })
            .collect();
        Holdout {
            cut: c,
            returns: test_spells.len() as u64,
            reentries: test_spells.iter().filter(|s| s.1).count() as u64,
            rows,
        }
    });
    let year_start = NaiveDate::from_ymd_opt(first_year - 1, 4, 1).expect("1 April");
    let in_years = h.returns.iter().filter(|r| r.date >= year_start && r.date <= extract).count();
    let years = (extract.year() - first_year + 1).max(1) as f64;
    let grid: Vec<f64> = (0..=60).map(|m| m as f64 / 12.0).filter(|t| *t <= longest).collect();
    let xs: Vec<[bool; 5]> = spells.iter().map(|s| s.2).collect();
    let fitted_curve = grid.iter().copied().zip(hazard.point(&xs, &grid)).collect();
    Ok(Fit {
        first_year,
        last_year,
        extract,
        children: h.children,
        episodes: h.episodes,
        periods: h.periods,
        short_breaks: h.short_breaks,
        returns_without_dob: h.returns_without_dob,
        header_children_without_episodes: h.header_children_without_episodes,
        children_without_header: h.children_without_header,
        episodes_without_header: h.episodes_without_header,
        returns_home: spells.len() as u64,
        reentries,
        censored: spells.len() as u64 - reentries,
        returns_per_year: in_years as f64 / years,
        km,
        fitted_returns: train_spells.len() as u64,
        hazard,
        prevalence,
        age_at_return,
        care,
        care_ended: ended.len() as u64,
        care_went_home: ended.iter().filter(|s| s.went_home).count() as u64,
        holdout,
        fitted_curve,
    })
}

/// One row of `reentry_km.csv`: the observed share back in care at the end of a band of
/// months since the return, with the returns at risk at the band's start and the
/// re-entries and censored returns within it.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KmRow {
    pub months_from: u32,
    pub months: u32,
    pub at_risk: u64,
    pub reentries: u64,
    pub censored: u64,
    pub share_back: f64,
    pub share_back_lo: f64,
    pub share_back_hi: f64,
}

/// A count as it may be shown: `c` for 1 to 4 under suppression.
pub fn shown(n: u64, suppress: bool) -> String {
    if hidden(n, suppress) { "c".into() } else { n.to_string() }
}

/// Whether a count is shown as `c`: from 1 to 4, under suppression (the DfE convention).
pub fn hidden(n: u64, suppress: bool) -> bool {
    suppress && (1..=4).contains(&n)
}

/// The count of `with` out of `of` as it may be published in a share or a beta: under
/// suppression a count of 1 to 4 among those with, or among those without, becomes 2.5 (or
/// `of` − 2.5), the middle of what it may be, so that no share reveals a suppressed count.
pub fn protected(with: u64, of: u64, suppress: bool) -> f64 {
    if hidden(with, suppress) {
        2.5
    } else if hidden(of.saturating_sub(with), suppress) {
        of as f64 - 2.5
    } else {
        with as f64
    }
}

/// The hold-out rows that may be published: under suppression, a row whose held-out
/// re-entries by then number 1 to 4 is left out, since its share would reveal them.
pub fn holdout_rows(ho: &Holdout, suppress: bool) -> Vec<HoldoutRow> {
    ho.rows.iter().filter(|r| !hidden(r.reentries, suppress)).cloned().collect()
}

/// The observed curve to five years, while at least five returns are at risk under
/// suppression. Without suppression there is a row a month. Under suppression months are
/// joined into bands, each with no re-entry or at least five and no censored return or at
/// least five, so that every count is shown and none of 1 to 4 can be had by differencing
/// one row's returns at risk from the next (secondary suppression by coarser rows); a last
/// band that never gets there is left out.
pub fn km_rows(fit: &Fit, suppress: bool) -> Vec<KmRow> {
    let mut rows = Vec::new();
    let mut prev = 0.0;
    let mut band: Option<KmRow> = None;
    for m in 0..=60u32 {
        let t = m as f64 / 12.0;
        let Some((f, lo, hi)) = fit::km_at(&fit.km, t) else { break };
        let at_risk = fit.km.iter().find(|s| s.years >= prev).map_or(0, |s| s.at_risk);
        let within = |s: &&fit::KmStep| s.years >= prev && (s.years < t || (m == 0 && s.years <= t));
        let (d, c) = fit.km.iter().filter(within).fold((0, 0), |(d, c), s| (d + s.events, c + s.censored));
        prev = t;
        let b = band.get_or_insert(KmRow { months_from: m, at_risk, ..KmRow::default() });
        if suppress && b.at_risk < 5 {
            break;
        }
        b.months = m;
        b.reentries += d;
        b.censored += c;
        (b.share_back, b.share_back_lo, b.share_back_hi) = (f, lo, hi);
        if !(hidden(b.reentries, suppress) || hidden(b.censored, suppress)) {
            rows.extend(band.take());
        }
    }
    // A band still open at the end never reached five of each: it is not shown.
    rows
}

/// Shares of returns home by year of age, 0 to 17, from their counts. Under suppression a
/// year with 1 to 4 returns is merged into its neighbour with more (repeatedly, until no year
/// holds 1 to 4), so that no share reveals a count the outputs show as `c`.
pub fn age_shares(counts: &[u64], suppress: bool) -> Vec<f64> {
    let mut c = counts.to_vec();
    while let Some(y) = c.iter().position(|n| hidden(*n, suppress)) {
        let total: u64 = c.iter().sum();
        if total == c[y] {
            break; // one year holds everything: nothing to merge it with
        }
        // The nearest year with returns, the larger of the two when both are as near.
        let near = (1..c.len())
            .find_map(|d| {
                let lo = y.checked_sub(d).filter(|&i| c[i] > 0);
                let hi = Some(y + d).filter(|&i| i < c.len() && c[i] > 0);
                match (lo, hi) {
                    (Some(a), Some(b)) => Some(if c[a] >= c[b] { a } else { b }),
                    (a, b) => a.or(b),
                }
            })
            .expect("another year has returns");
        c[near] += c[y];
        c[y] = 0;
    }
    let total = c.iter().sum::<u64>().max(1) as f64;
    c.iter().map(|n| *n as f64 / total).collect()
}

#[cfg(test)]
mod tests {
    use super::age_shares;

    #[test]
    fn small_years_of_age_are_merged_into_a_neighbour_under_suppression() {
        let mut counts = vec![0u64; 18];
        (counts[0], counts[1], counts[2], counts[17]) = (3, 40, 2, 55);
        let s = age_shares(&counts, true);
        assert_eq!(s[0], 0.0);
        assert_eq!(s[2], 0.0);
        assert!((s[1] - 0.45).abs() < 1e-12 && (s[17] - 0.55).abs() < 1e-12);
        assert!((age_shares(&counts, false)[0] - 0.03).abs() < 1e-12);
    }
}
