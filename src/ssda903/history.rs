//! Children's histories from their 903 episodes: periods of care, returns home, re-entries.
//!
//! The rules (issue #28, after the DfE's own definitions):
//! - one episode appears in every year's return while it is open, with DEC and REC blank in
//!   the earlier years; the copy from the latest collection year of each (CHILD, DECOM) wins;
//! - V3 and V4 episodes (short breaks) are left out: a child on short breaks lives at home;
//! - a period of care starts at RNE = S, and episodes joined by REC = X1 continue it;
//! - a return home is a period that ends with REC in the chosen set (default E4A, E4B).
//!   PLACE = P1 (placed with parents) is still care, not a return home;
//! - the re-entry is the child's next period start after the return;
//! - episodes that overlap are cut at the next one's start, and the log says so.
//!
//! Covariates at each return, with the names the scenario and `fit.json` use: `aged_10_plus`
//! (aged 10 or over at the return), `previous_failed_return` (an earlier return home of the
//! child, within the data, that ended in re-entry), `abuse_or_neglect` (CIN = N1 in the
//! period), `section_20` (LS = V2 at the period's end), `unplanned_return` (REC = E4B).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use super::read::{EpisodeRow, HeaderRow, LogEntry};

/// The risk factors read from 903 data, in the order of [`Return::x`].
pub const FACTORS: [&str; 5] =
    ["aged_10_plus", "previous_failed_return", "abuse_or_neglect", "section_20", "unplanned_return"];

/// One return home, as the fit sees it.
#[derive(Clone, Debug)]
pub struct Return {
    pub date: NaiveDate,
    /// The child's next period start, if any was seen.
    pub next_start: Option<NaiveDate>,
    /// The 18th birthday, after which nobody re-enters care.
    pub birthday_18: NaiveDate,
    /// Whole years of age at the return.
    pub age: u32,
    /// The covariates, in the order of [`FACTORS`].
    pub x: [bool; 5],
}

impl Return {
    /// Time at home in years, and whether it ended in re-entry, followed to `censor` (and the
    /// 18th birthday). `None` when the return is not at risk before then.
    pub fn spell(&self, censor: NaiveDate) -> Option<(f64, bool)> {
        let end = censor.min(self.birthday_18);
        if self.date >= end {
            return None;
        }
        let days = |to: NaiveDate| (to - self.date).num_days() as f64;
        Some(match self.next_start {
            // A re-entry on the day of the return is taken as half a day at home.
            Some(next) if next <= end => (days(next).max(0.5) / 365.25, true),
            _ => (days(end) / 365.25, false),
        })
    }
}

/// A period in care after a re-entry: how long it lasted and how it ended.
#[derive(Clone, Debug)]
pub struct CareSpell {
    pub start: NaiveDate,
    /// The period's end, when it ended (else it runs on past the extract).
    pub end: Option<NaiveDate>,
    /// It ended in another return home.
    pub went_home: bool,
}

/// What the histories hold, and what was left out.
#[derive(Clone, Debug, Default)]
pub struct Histories {
    pub returns: Vec<Return>,
    pub care_after_reentry: Vec<CareSpell>,
    pub children: usize,
    pub episodes: usize,
    pub periods: usize,
    pub short_breaks: usize,
    /// Returns home of children without a usable date of birth.
    pub returns_without_dob: usize,
}

/// Builds the histories. `episodes` holds every file's rows with the file's collection year;
/// `labels` names the files for the log.
pub fn build(
    headers: &[(i32, HeaderRow)],
    episodes: Vec<(i32, EpisodeRow)>,
    labels: &[String],
    returns_codes: &[String],
    log: &mut Vec<LogEntry>,
) -> Histories {
    let mut dob: BTreeMap<&str, (i32, Option<NaiveDate>)> = BTreeMap::new();
    for (year, h) in headers {
        let e = dob.entry(h.child.as_str()).or_insert((*year, h.dob));
        if *year >= e.0 {
            *e = (*year, h.dob.or(e.1));
        }
    }
    // The latest year's copy of each (CHILD, DECOM).
    let mut latest: BTreeMap<(String, NaiveDate), (i32, EpisodeRow)> = BTreeMap::new();
    for (year, e) in episodes {
        let key = (e.child.clone(), e.decom);
        match latest.get(&key) {
            Some((y, _)) if *y > year => {}
            _ => {
                latest.insert(key, (year, e));
            }
        }
    }
    let mut h = Histories { episodes: latest.len(), ..Histories::default() };
    let mut note = |e: &EpisodeRow, field: &str, action: &str| {
        log.push(LogEntry { file: labels[e.file].clone(), line: e.line, field: field.into(), action: action.into() })
    };
    let mut by_child: BTreeMap<String, Vec<EpisodeRow>> = BTreeMap::new();
    for ((child, _), (_, e)) in latest {
        if matches!(e.ls.as_str(), "V3" | "V4") {
            h.short_breaks += 1;
            continue;
        }
        by_child.entry(child).or_default().push(e);
    }
    h.children = by_child.len();
    for (child, mut eps) in by_child {
        // BTreeMap order is DECOM order within a child already.
        for i in 0..eps.len().saturating_sub(1) {
            let next = eps[i + 1].decom;
            match eps[i].dec {
                Some(d) if d > next => {
                    note(&eps[i], "DEC", "overlaps the child's next episode: ended at the next episode's start");
                    eps[i].dec = Some(next);
                }
                None => {
                    note(&eps[i], "DEC", "open while a later episode starts: ended at that episode's start");
                    eps[i].dec = Some(next);
                    if eps[i + 1].rne != "S" {
                        eps[i].rec = "X1".into();
                    }
                }
                _ => {}
            }
        }
        // Periods: (start, end, last REC, CIN N1 seen, LS at the end).
        let mut periods: Vec<(NaiveDate, Option<NaiveDate>, String, bool, String)> = Vec::new();
        let mut open = false;
        for e in &eps {
            if !open || e.rne == "S" {
                periods.push((e.decom, None, String::new(), false, String::new()));
            }
            let p = periods.last_mut().expect("a period was just started");
            p.1 = e.dec;
            p.2 = e.rec.clone();
            p.3 |= e.cin == "N1";
            p.4 = e.ls.clone();
            open = e.rec == "X1" || e.dec.is_none();
        }
        h.periods += periods.len();
        let birth = dob.get(child.as_str()).and_then(|(_, d)| *d);
        let mut failed_before = false;
        for (k, p) in periods.iter().enumerate() {
            let next_start = periods.get(k + 1).map(|n| n.0);
            let went_home = returns_codes.contains(&p.2);
            // A period after a return home is care after a re-entry.
            if k > 0 && returns_codes.contains(&periods[k - 1].2) {
                h.care_after_reentry.push(CareSpell { start: p.0, end: p.1, went_home });
            }
            let (Some(date), true) = (p.1, went_home) else { continue };
            let Some(birth) = birth else {
                h.returns_without_dob += 1;
                continue;
            };
            let birthday_18 = birth.with_year(birth.year() + 18).unwrap_or_else(|| {
                // 29 February: the 18th birthday is 1 March.
                NaiveDate::from_ymd_opt(birth.year() + 18, 3, 1).expect("1 March exists")
            });
            let age = date.years_since(birth).unwrap_or(0);
            h.returns.push(Return {
                date,
                next_start,
                birthday_18,
                age,
                x: [age >= 10, failed_before, p.3, p.4 == "V2", p.2 == "E4B"],
            });
            failed_before |= next_start.is_some();
        }
    }
    h
}
