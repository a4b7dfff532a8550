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

use chrono::{Datelike, NaiveDate};

use super::read::{Code, EpisodeRow, HeaderRow, Ids, LogEntry, Problem};

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
    /// Header children with no episode in any file.
    pub header_children_without_episodes: usize,
    /// Children of the Episodes files with no Header row, and their episodes.
    pub children_without_header: usize,
    pub episodes_without_header: usize,
    /// A common export quirk that explains IDs that match no Header row, if one does.
    pub mismatch_hint: Option<&'static str>,
}

/// The 18th birthday (29 February's is 1 March).
fn birthday_18(birth: NaiveDate) -> NaiveDate {
    birth
        .with_year(birth.year() + 18)
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(birth.year() + 18, 3, 1).expect("1 March exists"))
}

/// Builds the histories. `episodes` holds every file's rows with the file's collection year;
/// `ids` the children's IDs (the histories are built in their order, so that the fit does not
/// depend on the order of the files); `labels` names the files for the log.
pub fn build(
    headers: &[(i32, HeaderRow)],
    mut episodes: Vec<(i32, EpisodeRow)>,
    ids: &Ids,
    labels: &[String],
    returns_codes: &[Code],
    log: &mut Vec<LogEntry>,
) -> Histories {
    let ranks = ids.ranks();
    let label = |file: u32| labels.get(file as usize).map_or("", String::as_str);
    let mut note = |file: u32, line: u32, field: &'static str, p: Problem| {
        log.push(LogEntry::new(label(file), line as u64, field, p));
    };
    // Each child's Header row: the latest year's, its date of birth falling back on an
    // earlier year's when blank; two rows of one year that disagree keep the first.
    let mut dob: Vec<Option<(i32, HeaderRow)>> = vec![None; ids.len()];
    for (year, h) in headers {
        let slot = &mut dob[h.child as usize];
        match slot {
            None => *slot = Some((*year, *h)),
            Some((y, kept)) if *y == *year => {
                if h.dob.is_some() && kept.dob.is_some() && h.dob != kept.dob {
                    note(h.file, h.line, "DOB", Problem::ConflictingDob);
                }
                kept.dob = kept.dob.or(h.dob);
            }
            Some((y, kept)) if *year > *y => *slot = Some((*year, HeaderRow { dob: h.dob.or(kept.dob), ..*h })),
            Some((_, kept)) => kept.dob = kept.dob.or(h.dob),
        }
    }
    // One episode appears in each year's return while it is open: the latest year's copy of
    // each (CHILD, DECOM) wins. Sorted in place (no copy of the rows), by the children's IDs.
    episodes
        .sort_unstable_by_key(|(year, e)| (ranks[e.child as usize], e.decom, std::cmp::Reverse(*year), e.file, e.line));
    let mut in_episodes = vec![false; ids.len()];
    let mut in_header = vec![false; ids.len()];
    for (_, h) in headers {
        in_header[h.child as usize] = true;
    }
    let mut kept: Vec<EpisodeRow> = Vec::with_capacity(episodes.len());
    let mut previous: Option<(u32, NaiveDate, i32)> = None;
    for (year, e) in episodes {
        in_episodes[e.child as usize] = true;
        if let Some((child, decom, y)) = previous
            && child == e.child
            && decom == e.decom
        {
            // An earlier year's copy is expected; a second row of the same year is not.
            if y == year {
                let first = kept.last().expect("kept above");
                let same = (first.dec, first.rec, first.rne, first.ls, first.cin, first.place)
                    == (e.dec, e.rec, e.rne, e.ls, e.cin, e.place);
                note(e.file, e.line, "DECOM", if same { Problem::DuplicateRow } else { Problem::ConflictingRow });
            }
            continue;
        }
        previous = Some((e.child, e.decom, year));
        kept.push(e);
    }
    let mut h = Histories { episodes: kept.len(), ..Histories::default() };
    for (_, row) in headers {
        if !in_episodes[row.child as usize] {
            note(row.file, row.line, "CHILD", Problem::NoEpisodes);
        }
    }
    h.header_children_without_episodes = (0..ids.len()).filter(|&i| in_header[i] && !in_episodes[i]).count();
    let hint = ids.mismatch_hint(&in_header, &in_episodes);
    // Children one at a time: their rows are contiguous after the sort.
    let mut start = 0;
    while start < kept.len() {
        let child = kept[start].child;
        let end = start + kept[start..].iter().take_while(|e| e.child == child).count();
        let mut eps: Vec<EpisodeRow> = Vec::with_capacity(end - start);
        for e in &kept[start..end] {
            if matches!(e.ls.as_str(), "V3" | "V4") {
                h.short_breaks += 1;
            } else {
                eps.push(*e);
            }
        }
        start = end;
        if eps.is_empty() {
            continue;
        }
        let header = dob[child as usize].map(|(_, r)| r);
        if header.is_none() {
            h.children_without_header += 1;
            h.episodes_without_header += eps.len();
            for e in &eps {
                note(e.file, e.line, "CHILD", Problem::NoHeader);
            }
        }
        let mut birth = header.and_then(|r| r.dob);
        if let (Some(b), Some(r)) = (birth, header) {
            if eps.iter().any(|e| e.decom < b) {
                note(r.file, r.line, "DOB", Problem::DobAfterCare);
                birth = None;
            } else {
                let adult = birthday_18(b);
                eps.retain(|e| {
                    let keep = e.decom < adult;
                    if !keep {
                        note(e.file, e.line, "DECOM", Problem::EighteenAtStart);
                    }
                    keep
                });
            }
        }
        h.children += 1;
        // Rows are in DECOM order within a child already.
        for i in 0..eps.len().saturating_sub(1) {
            let next = eps[i + 1].decom;
            match eps[i].dec {
                Some(d) if d > next => {
                    note(eps[i].file, eps[i].line, "DEC", Problem::Overlap);
                    eps[i].dec = Some(next);
                }
                None => {
                    note(eps[i].file, eps[i].line, "DEC", Problem::OpenWhileLater);
                    eps[i].dec = Some(next);
                    if !eps[i + 1].rne.is("S") {
                        eps[i].rec = Code::new("X1").expect("a code");
                    }
                }
                _ => {}
            }
        }
        // Periods: (start, end, last REC, CIN N1 seen, LS at the end).
        let mut periods: Vec<(NaiveDate, Option<NaiveDate>, Code, bool, Code)> = Vec::new();
        let mut open = false;
        for e in &eps {
            if !open || e.rne.is("S") {
                periods.push((e.decom, None, Code::BLANK, false, Code::BLANK));
            }
            let p = periods.last_mut().expect("a period was just started");
            p.1 = e.dec;
            p.2 = e.rec;
            p.3 |= e.cin.is("N1");
            p.4 = e.ls;
            open = e.rec.is("X1") || e.dec.is_none();
        }
        h.periods += periods.len();
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
            let age = date.years_since(birth).unwrap_or(0);
            h.returns.push(Return {
                date,
                next_start,
                birthday_18: birthday_18(birth),
                age,
                x: [age >= 10, failed_before, p.3, p.4.is("V2"), p.2.is("E4B")],
            });
            failed_before |= next_start.is_some();
        }
    }
    if h.children_without_header > 0 {
        h.mismatch_hint = hint;
    }
    h
}
