//! Reading an authority's SSDA903 files from their bytes: every table of the return in CSV
//! (`header`, `episodes`, `uasc`, `reviews`, `missing`, `oc2`, `oc3`, `ad1`,
//! `placed_for_adoption`, `previous_permanence`), recognised by its columns as the DfE
//! validator (`csc-validator-be-903`, its `column_names`) does, and the XML return
//! (`<EXPSSDA903><CHILD><HEADER>…</HEADER><EPISODE>…</EPISODE></CHILD>`), read with quick-xml.
//! The fit uses the Header and Episodes tables; any other table is named in the log and left
//! aside, and an empty file is skipped with a note.
//!
//! **What real exports carry is normalised before any join**: a UTF-8 byte-order mark, UTF-16
//! with its mark (decoded), CRLF line ends, spaces around every field, column names and codes
//! in any case, and a trailing `.0` on an all-digit child ID (Excel's and pandas' way of
//! writing a number). Dates are dd/mm/YYYY (as authorities export them) or ISO YYYY-MM-DD,
//! with any time of day after a space; a two-digit year is refused, because 01/04/19 could be
//! 1919 or 2019, and so is a year outside 1900–2100.
//!
//! **Nothing from the data reaches a log line or an error.** A row that cannot be used whole
//! is logged as a [`LogEntry`]: its file, line, field and a [`Problem`], a closed set of codes
//! with fixed words, so no cell (a postcode, a child ID) can be echoed; the rest is read. Only
//! a file that is no table of the return at all is an error ([`NotData`]), and its message
//! names the file, never its cells.
//!
//! Rows are kept small (about 50 bytes an episode): child IDs are interned once per child
//! ([`Ids`]) and codes are four bytes ([`Code`]). This module sees bytes, never files: the
//! command line and the browser read them.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};

use chrono::NaiveDate;

/// A 903 code (REC, RNE, LS, CIN, PLACE) in upper case: at most four ASCII bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Code([u8; 4]);

impl Code {
    /// The blank code.
    pub const BLANK: Code = Code([0; 4]);

    /// A code from its text, upper-cased; `None` when it is longer than four bytes or not ASCII.
    pub fn new(text: &str) -> Option<Code> {
        let t = text.trim();
        if t.len() > 4 || !t.is_ascii() {
            return None;
        }
        let mut b = [0u8; 4];
        for (i, c) in t.bytes().enumerate() {
            b[i] = c.to_ascii_uppercase();
        }
        Some(Code(b))
    }

    pub fn as_str(&self) -> &str {
        let n = self.0.iter().position(|b| *b == 0).unwrap_or(4);
        std::str::from_utf8(&self.0[..n]).unwrap_or("")
    }

    pub fn is_blank(&self) -> bool {
        self.0[0] == 0
    }

    pub fn is(&self, text: &str) -> bool {
        self.as_str() == text
    }
}

/// Child IDs, each interned once to a number: the rows hold the number, and the histories
/// are built in the IDs' own order ([`Ids::ranks`]), so that the same children give the same
/// fit whatever the order of the files or the form (CSV or XML) they came in.
#[derive(Debug, Default)]
pub struct Ids {
    map: BTreeMap<Box<str>, u32>,
}

impl Ids {
    /// The number of a child ID, normalised: spaces trimmed and a trailing `.0` dropped from
    /// an all-digit ID.
    pub fn intern(&mut self, raw: &str) -> u32 {
        let id = normalise_id(raw);
        if let Some(n) = self.map.get(id) {
            return *n;
        }
        let n = self.map.len() as u32;
        self.map.insert(id.into(), n);
        n
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Each ID's place in the sorted order of the IDs, by its number.
    pub fn ranks(&self) -> Vec<u32> {
        let mut r = vec![0u32; self.map.len()];
        for (rank, n) in self.map.values().enumerate() {
            r[*n as usize] = rank as u32;
        }
        r
    }

    /// Why IDs of the Episodes files match no Header ID, when a common export quirk explains
    /// it: `in_header` and `in_episodes` say, by number, where each ID was seen. The answer
    /// names the quirk, never an ID.
    pub fn mismatch_hint(&self, in_header: &[bool], in_episodes: &[bool]) -> Option<&'static str> {
        let seen = |v: &[bool], n: u32| v.get(n as usize).copied().unwrap_or(false);
        let zeros = |id: &str| id.trim_start_matches('0').to_string();
        let case = |id: &str| id.to_ascii_uppercase();
        for (quirk, f) in [
            (
                "they differ only in leading zeros (one export dropped them: keep the IDs as text)",
                zeros as fn(&str) -> String,
            ),
            ("they differ only in upper and lower case", case as fn(&str) -> String),
        ] {
            let header: std::collections::BTreeSet<String> =
                self.map.iter().filter(|(_, n)| seen(in_header, **n)).map(|(id, _)| f(id)).collect();
            let unmatched = self.map.iter().filter(|(_, n)| seen(in_episodes, **n) && !seen(in_header, **n));
            let (mut total, mut would) = (0usize, 0usize);
            for (id, _) in unmatched {
                total += 1;
                would += header.contains(&f(id)) as usize;
            }
            if total > 0 && would * 2 >= total {
                return Some(quirk);
            }
        }
        None
    }
}

/// A child ID as exports write it, made comparable: trimmed, and `12345.0` read as `12345`.
pub fn normalise_id(raw: &str) -> &str {
    let t = raw.trim();
    if let Some((whole, frac)) = t.split_once('.')
        && !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && !frac.is_empty()
        && frac.bytes().all(|b| b == b'0')
    {
        return whole;
    }
    t
}

/// Why a date could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DateProblem {
    NotADate,
    TwoDigitYear,
    NotCalendar,
    YearOutOfRange,
}

impl DateProblem {
    pub fn text(self) -> &'static str {
        match self {
            DateProblem::NotADate => "not a date (dd/mm/YYYY or YYYY-MM-DD)",
            DateProblem::TwoDigitYear => "a two-digit year is refused: write the year in full (2019, not 19)",
            DateProblem::NotCalendar => "not a calendar date",
            DateProblem::YearOutOfRange => "a year before 1900 or after 2100",
        }
    }

    fn code(self) -> &'static str {
        match self {
            DateProblem::NotADate => "not_a_date",
            DateProblem::TwoDigitYear => "two_digit_year",
            DateProblem::NotCalendar => "not_a_calendar_date",
            DateProblem::YearOutOfRange => "year_out_of_range",
        }
    }
}

/// What was wrong with a row or a file, and what was done: a closed set, so that a log line
/// carries a code and fixed words and never a value from the data.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub enum Problem {
    BlankChild,
    BlankDob,
    BadDob(DateProblem),
    BlankDecom,
    BadDecom(DateProblem),
    BadDec(DateProblem),
    EndsBeforeStart,
    ReasonWithoutEnd,
    NotACode,
    UnknownReasonE99,
    PlaceChangeLiiaf,
    DuplicateRow,
    ConflictingRow,
    ConflictingDob,
    Overlap,
    OpenWhileLater,
    DobAfterCare,
    EighteenAtStart,
    NoEpisodes,
    NoHeader,
    /// A file holding another table of the return, left aside.
    OtherTable(TableKind),
    EmptyFile,
    /// The collection year a file was given, and from where.
    Year(i32, YearFrom),
    KnotLeftOut(f64),
    /// A risk factor left out of the regression, by its index in [`super::FACTORS`].
    FactorNoContrast(usize),
    FactorFewEvents(usize),
}

/// Where a file's collection year came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd)]
pub enum YearFrom {
    FileName,
    Folder,
    ExtractDate,
}

impl Problem {
    /// A short code for the kind of problem, for filtering the log.
    pub fn code(self) -> String {
        match self {
            Problem::BlankChild => "blank_child".into(),
            Problem::BlankDob => "blank_dob".into(),
            Problem::BadDob(d) | Problem::BadDecom(d) | Problem::BadDec(d) => d.code().into(),
            Problem::BlankDecom => "blank_decom".into(),
            Problem::EndsBeforeStart => "ends_before_start".into(),
            Problem::ReasonWithoutEnd => "reason_without_end".into(),
            Problem::NotACode => "not_a_code".into(),
            Problem::UnknownReasonE99 => "rec_e99".into(),
            Problem::PlaceChangeLiiaf => "reason_place_change_liiaf".into(),
            Problem::DuplicateRow => "duplicate_row".into(),
            Problem::ConflictingRow => "conflicting_row".into(),
            Problem::ConflictingDob => "conflicting_dob".into(),
            Problem::Overlap => "overlap".into(),
            Problem::OpenWhileLater => "open_while_later".into(),
            Problem::DobAfterCare => "dob_after_care".into(),
            Problem::EighteenAtStart => "eighteen_at_start".into(),
            Problem::NoEpisodes => "no_episodes".into(),
            Problem::NoHeader => "no_header".into(),
            Problem::OtherTable(_) => "other_table".into(),
            Problem::EmptyFile => "empty_file".into(),
            Problem::Year(..) => "collection_year".into(),
            Problem::KnotLeftOut(_) => "knot_left_out".into(),
            Problem::FactorNoContrast(_) | Problem::FactorFewEvents(_) => "factor_left_out".into(),
        }
    }

    /// What was done, in words.
    pub fn action(self) -> String {
        match self {
            Problem::BlankChild => "blank child ID: row left out".into(),
            Problem::BlankDob => "blank date of birth: the child's returns home are left out".into(),
            Problem::BadDob(d) => format!("{}: the child's returns home are left out", d.text()),
            Problem::BlankDecom => "blank start date: episode left out".into(),
            Problem::BadDecom(d) => format!("{}: episode left out", d.text()),
            Problem::BadDec(d) => format!("{}: episode treated as open", d.text()),
            Problem::EndsBeforeStart => "episode ends before it starts: episode left out".into(),
            Problem::ReasonWithoutEnd => "a reason the episode ceased (REC) is set while DEC is blank: reason ignored, episode open".into(),
            Problem::NotACode => "not a 903 code (more than four characters): read as blank".into(),
            Problem::UnknownReasonE99 => "REC E99 (written by cleaning tools for a reason not known): the episode ends, not as a return home".into(),
            Problem::PlaceChangeLiiaf => "REASON_PLACE_CHANGE LIIAF (written by cleaning tools): read as blank; the fit does not use this field".into(),
            Problem::DuplicateRow => "the same episode twice in one collection year: the second copy left out".into(),
            Problem::ConflictingRow => "another row of the same collection year has this CHILD and DECOM with a different end: this row left out, the first kept".into(),
            Problem::ConflictingDob => "another Header row of the same collection year gives this child a different date of birth: the first kept".into(),
            Problem::Overlap => "overlaps the child's next episode: ended at the next episode's start".into(),
            Problem::OpenWhileLater => "open while a later episode starts: ended at that episode's start".into(),
            Problem::DobAfterCare => "date of birth after the child's first episode starts: the child's returns home are left out".into(),
            Problem::EighteenAtStart => "the child was 18 or over when the episode started: episode left out".into(),
            Problem::NoEpisodes => "a Header child with no episode in any file: row not used".into(),
            Problem::NoHeader => "no Header row for this child in any file, so no date of birth: the child's returns home are left out".into(),
            Problem::OtherTable(k) => format!("the {} table of the return: not used by the fit, left aside", k.label()),
            Problem::EmptyFile => "empty file: skipped".into(),
            Problem::Year(y, from) => format!(
                "collection year {}–{:02} (31 March {y}), from {}",
                y - 1,
                y.rem_euclid(100),
                match from {
                    YearFrom::FileName => "the file's name",
                    YearFrom::Folder => "its folder's name",
                    YearFrom::ExtractDate => "--extract-date (no year in the file's name or folder)",
                }
            ),
            Problem::KnotLeftOut(k) => format!("knot at {k} years left out: no return was followed that long"),
            Problem::FactorNoContrast(j) => format!(
                "{}: left out, every return or none has it, so its effect cannot be told apart",
                super::FACTOR_LABELS[j]
            ),
            Problem::FactorFewEvents(j) => format!(
                "{}: left out, fewer than {} re-entries among the returns with it or without it",
                super::FACTOR_LABELS[j],
                super::fit::MIN_EVENTS
            ),
        }
    }

    /// Whether the row it is logged on was left out of the fit (as opposed to a note, or a
    /// value corrected and used).
    pub fn row_not_used(self) -> bool {
        matches!(
            self,
            Problem::BlankChild
                | Problem::BlankDob
                | Problem::BadDob(_)
                | Problem::BlankDecom
                | Problem::BadDecom(_)
                | Problem::EndsBeforeStart
                | Problem::DuplicateRow
                | Problem::ConflictingRow
                | Problem::DobAfterCare
                | Problem::EighteenAtStart
                | Problem::NoEpisodes
                | Problem::NoHeader
        )
    }
}

/// One line of the cleaning log: where, which field, a code for what was wrong, and what was
/// done about it in fixed words. It is made only from a [`Problem`] ([`LogEntry::new`]), so it
/// never carries a value from the data.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LogEntry {
    pub file: String,
    /// The line in the file, from 1 (the header is line 1); 0 for a note on the whole file.
    pub line: u64,
    pub field: String,
    pub code: String,
    pub action: String,
    /// Whether the row was left out of the fit (else the line is a note, or a value was
    /// corrected and the row used); written 1 or 0.
    #[serde(deserialize_with = "flag")]
    pub left_out: bool,
}

/// A yes/no cell as the tables write it (1 or 0), or as `true`/`false`.
fn flag<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let s: String = serde::Deserialize::deserialize(d)?;
    match s.as_str() {
        "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        _ => Err(serde::de::Error::custom("not 1 or 0")),
    }
}

impl LogEntry {
    /// A log line for `problem` at `file`'s `line` and `field` (a column name of the return).
    pub fn new(file: &str, line: u64, field: &'static str, problem: Problem) -> LogEntry {
        LogEntry {
            file: file.into(),
            line,
            field: field.into(),
            code: problem.code(),
            action: problem.action(),
            left_out: problem.row_not_used(),
        }
    }
}

/// A file that cannot be read as 903 data, with the reason (never a value from it).
#[derive(Debug, thiserror::Error)]
#[error("{file}: {reason}")]
pub struct NotData {
    pub file: String,
    pub reason: String,
}

/// The tables of the SSDA903 return.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TableKind {
    Header,
    Episodes,
    Uasc,
    Reviews,
    Missing,
    Oc2,
    Oc3,
    Ad1,
    PlacedForAdoption,
    PreviousPermanence,
}

impl TableKind {
    pub const ALL: [TableKind; 10] = [
        TableKind::Header,
        TableKind::Episodes,
        TableKind::Uasc,
        TableKind::Reviews,
        TableKind::Missing,
        TableKind::Oc2,
        TableKind::Oc3,
        TableKind::Ad1,
        TableKind::PlacedForAdoption,
        TableKind::PreviousPermanence,
    ];

    /// The name authorities and the demand model give the table's file.
    pub fn label(self) -> &'static str {
        match self {
            TableKind::Header => "header",
            TableKind::Episodes => "episodes",
            TableKind::Uasc => "uasc",
            TableKind::Reviews => "reviews",
            TableKind::Missing => "missing",
            TableKind::Oc2 => "oc2",
            TableKind::Oc3 => "oc3",
            TableKind::Ad1 => "ad1",
            TableKind::PlacedForAdoption => "placed_for_adoption",
            TableKind::PreviousPermanence => "previous_permanence",
        }
    }

    /// The table's columns, as the DfE validator lists them.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            TableKind::Header => &["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"],
            TableKind::Episodes => &[
                "CHILD",
                "DECOM",
                "RNE",
                "LS",
                "CIN",
                "PLACE",
                "PLACE_PROVIDER",
                "DEC",
                "REC",
                "REASON_PLACE_CHANGE",
                "HOME_POST",
                "PL_POST",
                "URN",
            ],
            TableKind::Uasc => &["CHILD", "SEX", "DOB", "DUC"],
            TableKind::Reviews => &["CHILD", "DOB", "REVIEW", "REVIEW_CODE"],
            TableKind::Missing => &["CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"],
            TableKind::Oc2 => &[
                "CHILD",
                "DOB",
                "SDQ_SCORE",
                "SDQ_REASON",
                "CONVICTED",
                "HEALTH_CHECK",
                "IMMUNISATIONS",
                "TEETH_CHECK",
                "HEALTH_ASSESSMENT",
                "SUBSTANCE_MISUSE",
                "INTERVENTION_RECEIVED",
                "INTERVENTION_OFFERED",
            ],
            TableKind::Oc3 => &["CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"],
            TableKind::Ad1 => {
                &["CHILD", "DOB", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR"]
            }
            TableKind::PlacedForAdoption => {
                &["CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"]
            }
            TableKind::PreviousPermanence => &["CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"],
        }
    }

    /// The columns the fit needs, for the two tables it reads.
    fn needed(self) -> &'static [&'static str] {
        match self {
            TableKind::Header => &["CHILD", "DOB"],
            TableKind::Episodes => &["CHILD", "DECOM", "RNE", "DEC", "REC"],
            _ => &[],
        }
    }

    /// The table whose columns a file's column row matches: every table shares CHILD (and
    /// most DOB and SEX), so a table other than the Header is a candidate when the file has
    /// CHILD and one of the table's own columns, and among those the one sharing the largest
    /// part of its columns with the file wins (Jaccard). Only a file that is none of them is
    /// a Header, when it has CHILD and DOB (or ETHNIC, UPN, MOTHER or MC_DOB), so an `oc2` or
    /// `reviews` file with CHILD and DOB is never taken for a Header.
    pub fn recognise(names: &[String]) -> Option<TableKind> {
        let has = |c: &str| names.iter().any(|n| n == c);
        if !has("CHILD") {
            return None;
        }
        let shared = ["CHILD", "DOB", "SEX"];
        let candidate = |k: TableKind| match k {
            TableKind::Header => has("DOB") || ["ETHNIC", "UPN", "MOTHER", "MC_DOB"].iter().any(|c| has(c)),
            k => k.columns().iter().filter(|c| !shared.contains(c)).any(|c| has(c)),
        };
        let score = |k: TableKind| {
            let cols = k.columns();
            let both = names.iter().filter(|n| cols.contains(&n.as_str())).count();
            both as f64 / (names.len() + cols.len() - both) as f64
        };
        TableKind::ALL
            .into_iter()
            .filter(|k| *k != TableKind::Header && candidate(*k))
            .max_by(|a, b| score(*a).total_cmp(&score(*b)).then(b.cmp(a)))
            .or_else(|| candidate(TableKind::Header).then_some(TableKind::Header))
    }
}

/// One child of a Header file.
#[derive(Clone, Copy, Debug)]
pub struct HeaderRow {
    pub child: u32,
    pub dob: Option<NaiveDate>,
    pub file: u32,
    pub line: u32,
}

/// One episode of care of an Episodes file. `dec` and `rec` are blank while it is open.
#[derive(Clone, Copy, Debug)]
pub struct EpisodeRow {
    pub child: u32,
    pub decom: NaiveDate,
    pub dec: Option<NaiveDate>,
    pub rne: Code,
    pub ls: Code,
    pub cin: Code,
    pub place: Code,
    pub rec: Code,
    /// Where it was read: the file's place in the caller's list, and the line, for the log.
    pub file: u32,
    pub line: u32,
}

/// A table read from one file.
#[derive(Debug)]
pub enum Table {
    Header(Vec<HeaderRow>),
    Episodes(Vec<EpisodeRow>),
    /// Another table of the return, left aside.
    Other(TableKind),
}

/// A date as authorities write it: dd/mm/YYYY (or d/m/YYYY), or YYYY-MM-DD; a time of day
/// after a space is ignored (Excel exports add `00:00:00`).
pub fn parse_date(text: &str) -> Result<Option<NaiveDate>, DateProblem> {
    let t = text.trim();
    let t = t.split_whitespace().next().unwrap_or("");
    if t.is_empty() {
        return Ok(None);
    }
    let parts: Vec<&str> = t.split(['/', '-']).collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
        return Err(DateProblem::NotADate);
    }
    let (y, m, d) = if parts[0].len() == 4 {
        (parts[0], parts[1], parts[2])
    } else if parts[2].len() == 4 {
        (parts[2], parts[1], parts[0])
    } else if parts[2].len() == 2 || parts[0].len() == 2 {
        return Err(DateProblem::TwoDigitYear);
    } else {
        return Err(DateProblem::NotADate);
    };
    let num = |s: &str| s.parse::<u32>().map_err(|_| DateProblem::NotADate);
    let year = num(y)? as i32;
    if !(1900..=2100).contains(&year) {
        return Err(DateProblem::YearOutOfRange);
    }
    NaiveDate::from_ymd_opt(year, num(m)?, num(d)?).map(Some).ok_or(DateProblem::NotCalendar)
}

/// Whether a date that could not be read as day first reads as month first (US order).
fn reads_month_first(text: &str) -> bool {
    let t = text.split_whitespace().next().unwrap_or("");
    let p: Vec<&str> = t.split('/').collect();
    p.len() == 3
        && p[2].len() == 4
        && match (p[0].parse::<u32>(), p[1].parse::<u32>(), p[2].parse::<i32>()) {
            (Ok(m), Ok(d), Ok(y)) => NaiveDate::from_ymd_opt(y, m, d).is_some(),
            _ => false,
        }
}

/// A file's dates, counted, to tell dirty rows from a file in another format.
#[derive(Default)]
struct DateCount {
    read: usize,
    unreadable: usize,
    month_first: usize,
    first: Option<DateProblem>,
}

impl DateCount {
    fn parse(&mut self, text: &str) -> Result<Option<NaiveDate>, DateProblem> {
        let r = parse_date(text);
        match r {
            Ok(Some(_)) => self.read += 1,
            Ok(None) => {}
            Err(p) => {
                self.unreadable += 1;
                self.first.get_or_insert(p);
                self.month_first += reads_month_first(text) as usize;
            }
        }
        r
    }

    /// Refuses a file whose every date, or more than a tenth of them, cannot be read: that
    /// is another format (US dates, two-digit years), not a few dirty rows.
    fn check(&self, not: impl Fn(String) -> NotData) -> Result<(), NotData> {
        let all = self.read + self.unreadable;
        let us = if self.month_first > 0 && self.month_first * 2 >= self.unreadable {
            "; most of them read as month first (US order, mm/dd/YYYY): save the dates as dd/mm/YYYY"
        } else {
            ""
        };
        if self.read == 0
            && let Some(why) = self.first
        {
            return Err(not(format!("no date in it can be read ({}){us}", why.text())));
        }
        if all >= 10 && self.unreadable * 10 > all {
            return Err(not(format!(
                "{} of its {all} dates ({:.0}%) cannot be read as dd/mm/YYYY or YYYY-MM-DD{us}",
                self.unreadable,
                100.0 * self.unreadable as f64 / all as f64
            )));
        }
        Ok(())
    }
}

/// The text of a file's bytes: UTF-8 (a byte-order mark dropped) or UTF-16 with its mark
/// (decoded); anything else is refused with the reason. Returns a reader of UTF-8 bytes.
fn utf8_reader<'a>(
    mut input: impl BufRead + 'a,
    not: &dyn Fn(String) -> NotData,
) -> Result<Box<dyn BufRead + 'a>, NotData> {
    let head = input.fill_buf().map_err(|e| not(format!("cannot read it ({e})")))?.to_vec();
    let utf16 = |big: bool, mut input: Box<dyn BufRead + 'a>| -> Result<Box<dyn BufRead + 'a>, NotData> {
        let mut bytes = Vec::new();
        input.read_to_end(&mut bytes).map_err(|e| not(format!("cannot read it ({e})")))?;
        let units: Vec<u16> = bytes[2..]
            .chunks(2)
            .map(|c| {
                let pair = [c[0], *c.get(1).unwrap_or(&0)];
                if big { u16::from_be_bytes(pair) } else { u16::from_le_bytes(pair) }
            })
            .collect();
        let text = String::from_utf16(&units)
            .map_err(|_| not("is UTF-16 text that cannot be decoded; save it as UTF-8".into()))?;
        Ok(Box::new(std::io::Cursor::new(text.into_bytes())))
    };
    if head.starts_with(&[0xFF, 0xFE]) {
        return utf16(false, Box::new(input));
    }
    if head.starts_with(&[0xFE, 0xFF]) {
        return utf16(true, Box::new(input));
    }
    if head.contains(&0) {
        return Err(not(
            "holds NUL bytes: it is UTF-16 without a byte-order mark, or not text; save it as UTF-8 (in Excel: CSV UTF-8)"
                .into(),
        ));
    }
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        input.consume(3);
    }
    Ok(Box::new(input))
}

/// Reads one file's bytes as the tables of the 903 return it holds: none for an empty file
/// (logged), one for a CSV file, and the Header and the Episodes for an XML return. `index`
/// is the file's place in the caller's list (kept on each row for the log); `ids` interns the
/// child IDs of every file; cleaning notes are appended to `log`.
pub fn read_file(
    input: impl Read,
    label: &str,
    index: u32,
    ids: &mut Ids,
    log: &mut Vec<LogEntry>,
) -> Result<Vec<Table>, NotData> {
    let not = |reason: String| NotData { file: label.to_string(), reason };
    let mut reader = utf8_reader(BufReader::with_capacity(1 << 16, input), &not)?;
    let first = loop {
        let buf = reader.fill_buf().map_err(|e| not(format!("cannot read it ({e})")))?;
        if buf.is_empty() {
            break None;
        }
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => break Some(buf[i]),
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    };
    match first {
        None => {
            log.push(LogEntry::new(label, 0, "", Problem::EmptyFile));
            Ok(Vec::new())
        }
        Some(b'<') => read_xml(reader, label, index, ids, log),
        Some(_) => read_csv(reader, label, index, ids, log).map(|t| vec![t]),
    }
}

/// The columns of one row, by name, as the reader of either form sees them.
trait Fields {
    fn get(&self, name: &str) -> &str;
}

/// Reads the fields the fit uses from one Episodes row into `rows`, logging what it leaves out.
struct Rows<'a> {
    label: &'a str,
    index: u32,
    dates: DateCount,
    headers: Vec<HeaderRow>,
    episodes: Vec<EpisodeRow>,
    log: &'a mut Vec<LogEntry>,
}

impl Rows<'_> {
    fn note(&mut self, line: u64, field: &'static str, p: Problem) {
        self.log.push(LogEntry::new(self.label, line, field, p));
    }

    fn code(&mut self, f: &dyn Fields, name: &'static str, line: u64) -> Code {
        let t = f.get(name);
        Code::new(t).unwrap_or_else(|| {
            self.note(line, name, Problem::NotACode);
            Code::BLANK
        })
    }

    fn header(&mut self, f: &dyn Fields, child: u32, line: u64) {
        let dob = match self.dates.parse(f.get("DOB")) {
            Ok(Some(d)) => Some(d),
            Ok(None) => {
                self.note(line, "DOB", Problem::BlankDob);
                None
            }
            Err(why) => {
                self.note(line, "DOB", Problem::BadDob(why));
                None
            }
        };
        self.headers.push(HeaderRow { child, dob, file: self.index, line: line as u32 });
    }

    fn episode(&mut self, f: &dyn Fields, child: u32, line: u64) {
        let decom = match self.dates.parse(f.get("DECOM")) {
            Ok(Some(d)) => d,
            Ok(None) => return self.note(line, "DECOM", Problem::BlankDecom),
            Err(why) => return self.note(line, "DECOM", Problem::BadDecom(why)),
        };
        let mut rec = self.code(f, "REC", line);
        let dec = match self.dates.parse(f.get("DEC")) {
            Ok(d) => d,
            Err(why) => {
                self.note(line, "DEC", Problem::BadDec(why));
                rec = Code::BLANK;
                None
            }
        };
        if dec.is_some_and(|d| d < decom) {
            return self.note(line, "DEC", Problem::EndsBeforeStart);
        }
        if dec.is_none() && !rec.is_blank() {
            self.note(line, "REC", Problem::ReasonWithoutEnd);
            rec = Code::BLANK;
        }
        if rec.is("E99") {
            self.note(line, "REC", Problem::UnknownReasonE99);
        }
        if f.get("REASON_PLACE_CHANGE").eq_ignore_ascii_case("LIIAF") {
            self.note(line, "REASON_PLACE_CHANGE", Problem::PlaceChangeLiiaf);
        }
        let (rne, ls, cin) = (self.code(f, "RNE", line), self.code(f, "LS", line), self.code(f, "CIN", line));
        let place = self.code(f, "PLACE", line);
        self.episodes.push(EpisodeRow {
            child,
            decom,
            dec,
            rne,
            ls,
            cin,
            place,
            rec,
            file: self.index,
            line: line as u32,
        });
    }
}

/// A CSV row's fields by column name.
struct CsvFields<'a> {
    rec: &'a csv::StringRecord,
    cols: &'a BTreeMap<&'static str, usize>,
}

impl Fields for CsvFields<'_> {
    fn get(&self, name: &str) -> &str {
        self.cols.get(name).and_then(|i| self.rec.get(*i)).unwrap_or("").trim()
    }
}

fn read_csv(
    input: impl Read,
    label: &str,
    index: u32,
    ids: &mut Ids,
    log: &mut Vec<LogEntry>,
) -> Result<Table, NotData> {
    let not = |reason: String| NotData { file: label.to_string(), reason };
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(input);
    let headers = reader
        .headers()
        .map_err(|_| not("its first line cannot be read as CSV text in UTF-8; save it as CSV UTF-8".into()))?
        .clone();
    let names: Vec<String> = headers.iter().map(|h| h.trim().to_ascii_uppercase()).collect();
    let Some(kind) = TableKind::recognise(&names) else {
        return Err(not(format!(
            "not a table of the SSDA903 return: its first line ({} columns) does not name the columns of any of them (a Header has {}; Episodes {}); is the row of column names missing?",
            names.len(),
            TableKind::Header.columns().join(","),
            TableKind::Episodes.columns().join(",")
        )));
    };
    let missing: Vec<&str> = kind.needed().iter().copied().filter(|c| !names.iter().any(|n| n == c)).collect();
    if !missing.is_empty() {
        return Err(not(format!(
            "an SSDA903 {} table without the column{} {} that the fit needs",
            kind.label(),
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", ")
        )));
    }
    if !matches!(kind, TableKind::Header | TableKind::Episodes) {
        log.push(LogEntry::new(label, 0, "", Problem::OtherTable(kind)));
        return Ok(Table::Other(kind));
    }
    let mut cols: BTreeMap<&'static str, usize> = BTreeMap::new();
    for c in TableKind::Episodes.columns().iter().chain(TableKind::Header.columns()) {
        if let Some(i) = names.iter().position(|n| n == c) {
            cols.insert(c, i);
        }
    }
    let mut rows = Rows { label, index, dates: DateCount::default(), headers: Vec::new(), episodes: Vec::new(), log };
    let mut rec = csv::StringRecord::new();
    let mut line = 1u64;
    loop {
        match reader.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let at = e.position().map_or(line + 1, |p| p.line());
                return Err(not(match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => {
                        format!(
                            "line {at} is not UTF-8 text; save the file as UTF-8 (Windows-1252 and other encodings are not read)"
                        )
                    }
                    _ => format!("line {at} cannot be read as CSV"),
                }));
            }
        }
        line = rec.position().map_or(line + 1, |p| p.line());
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let f = CsvFields { rec: &rec, cols: &cols };
        let raw = f.get("CHILD");
        if normalise_id(raw).is_empty() {
            rows.note(line, "CHILD", Problem::BlankChild);
            continue;
        }
        let child = ids.intern(raw);
        match kind {
            TableKind::Header => rows.header(&f, child, line),
            _ => rows.episode(&f, child, line),
        }
    }
    rows.dates.check(not)?;
    Ok(match kind {
        TableKind::Header => Table::Header(rows.headers),
        _ => Table::Episodes(rows.episodes),
    })
}

/// An XML element's fields by name.
#[derive(Default)]
struct XmlFields(BTreeMap<String, String>);

impl Fields for XmlFields {
    fn get(&self, name: &str) -> &str {
        // The XML return calls the placement PL; the CSV tables call it PLACE.
        let key = if name == "PLACE" { "PL" } else { name };
        self.0.get(key).or_else(|| self.0.get(name)).map_or("", |s| s.trim())
    }
}

/// Reads the XML form of the return: each `CHILD` holds a `HEADER` (with `CHILDID`, `DOB`)
/// and its `EPISODE`s. The line of a row is the line its element starts on.
fn read_xml(
    input: impl BufRead,
    label: &str,
    index: u32,
    ids: &mut Ids,
    log: &mut Vec<LogEntry>,
) -> Result<Vec<Table>, NotData> {
    use quick_xml::events::Event;
    let not = |reason: String| NotData { file: label.to_string(), reason };
    let mut xml = quick_xml::Reader::from_reader(input);
    let mut rows = Rows { label, index, dates: DateCount::default(), headers: Vec::new(), episodes: Vec::new(), log };
    let mut buf = Vec::new();
    // Where we are: the element names from the root down.
    let mut path: Vec<String> = Vec::new();
    let mut root_seen = false;
    let mut header: Option<(XmlFields, u64)> = None;
    let mut episodes: Vec<(XmlFields, u64)> = Vec::new();
    let mut current: Option<(XmlFields, u64)> = None;
    let mut text = String::new();
    let mut newlines = 1u64;
    loop {
        let event = xml.read_event_into(&mut buf).map_err(|e| {
            not(format!("not well-formed XML near byte {} ({})", xml.error_position(), short_xml_error(&e)))
        })?;
        match event {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).to_ascii_uppercase();
                if path.is_empty() {
                    if name != "EXPSSDA903" {
                        return Err(not(
                            "an XML file that is not the SSDA903 return (its root element is not EXPSSDA903)".into(),
                        ));
                    }
                    root_seen = true;
                }
                match (path.len(), name.as_str()) {
                    (1, "CHILD") => {
                        header = None;
                        episodes.clear();
                    }
                    (2, "HEADER") | (2, "EPISODE") => current = Some((XmlFields::default(), newlines)),
                    _ => {}
                }
                path.push(name);
                text.clear();
            }
            Event::Empty(e) => {
                if path.is_empty() {
                    return Err(not(
                        "an XML file that is not the SSDA903 return (its root element is not EXPSSDA903)".into()
                    ));
                }
                let _ = e;
            }
            Event::Text(t) => {
                let s = t.decode().map_err(|_| not("XML text that is not UTF-8; save it as UTF-8".into()))?;
                newlines += s.bytes().filter(|b| *b == b'\n').count() as u64;
                text.push_str(&s);
            }
            Event::CData(t) => text.push_str(&String::from_utf8_lossy(&t)),
            Event::GeneralRef(r) => {
                let name = r.decode().unwrap_or_default();
                text.push_str(match name.as_ref() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    _ => "",
                });
                if let Some(n) = name.strip_prefix('#') {
                    let code = match n.strip_prefix('x') {
                        Some(h) => u32::from_str_radix(h, 16).ok(),
                        None => n.parse().ok(),
                    };
                    if let Some(c) = code.and_then(char::from_u32) {
                        text.push(c);
                    }
                }
            }
            Event::End(_) => {
                let name = path.pop().unwrap_or_default();
                match (path.len(), name.as_str()) {
                    // A field of the HEADER or an EPISODE (nested groups such as AREVIEW are
                    // other tables and are left aside).
                    (3, field) if matches!(path.get(2).map(String::as_str), Some("HEADER") | Some("EPISODE")) => {
                        if let Some((f, _)) = current.as_mut() {
                            f.0.insert(field.to_string(), std::mem::take(&mut text));
                        }
                    }
                    (2, "HEADER") => header = current.take(),
                    (2, "EPISODE") => {
                        if let Some(e) = current.take() {
                            episodes.push(e);
                        }
                    }
                    (1, "CHILD") => {
                        let id = header.as_ref().map_or("", |(h, _)| h.0.get("CHILDID").map_or("", |s| s.trim()));
                        let id = if id.is_empty() { header.as_ref().map_or("", |(h, _)| h.get("CHILD")) } else { id };
                        let line = header.as_ref().map_or(newlines, |(_, l)| *l);
                        if normalise_id(id).is_empty() {
                            rows.note(line, "CHILDID", Problem::BlankChild);
                            continue;
                        }
                        let child = ids.intern(id);
                        if let Some((h, l)) = &header {
                            rows.header(h, child, *l);
                        }
                        for (e, l) in std::mem::take(&mut episodes) {
                            rows.episode(&e, child, l);
                        }
                    }
                    _ => {}
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !root_seen {
        return Err(not("an XML file that is not the SSDA903 return (it has no EXPSSDA903 element)".into()));
    }
    rows.dates.check(not)?;
    Ok(vec![Table::Header(rows.headers), Table::Episodes(rows.episodes)])
}

/// quick-xml's error in a few words, without the text it was reading.
fn short_xml_error(e: &quick_xml::Error) -> &'static str {
    match e {
        quick_xml::Error::Io(_) => "it cannot be read",
        quick_xml::Error::Syntax(_) => "a syntax error",
        quick_xml::Error::IllFormed(_) => "tags that do not match",
        quick_xml::Error::Encoding(_) => "text that is not UTF-8",
        _ => "an error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (Result<Vec<Table>, NotData>, Vec<LogEntry>) {
        let mut log = Vec::new();
        let r = read_file(text.as_bytes(), "f.csv", 0, &mut Ids::default(), &mut log);
        (r, log)
    }

    #[test]
    fn dates_in_both_forms_and_two_digit_years_refused() {
        let d = NaiveDate::from_ymd_opt(2019, 4, 1).unwrap();
        assert_eq!(parse_date("01/04/2019"), Ok(Some(d)));
        assert_eq!(parse_date("1/4/2019"), Ok(Some(d)));
        assert_eq!(parse_date("2019-04-01"), Ok(Some(d)));
        assert_eq!(parse_date("01/04/2019 00:00:00"), Ok(Some(d)));
        assert_eq!(parse_date(" "), Ok(None));
        assert_eq!(parse_date("01/04/19"), Err(DateProblem::TwoDigitYear));
        assert_eq!(parse_date("31/02/2019"), Err(DateProblem::NotCalendar));
        assert_eq!(parse_date("01/01/0000"), Err(DateProblem::YearOutOfRange));
        assert!(parse_date("yesterday").is_err());
    }

    #[test]
    fn columns_in_any_case_and_extra_columns_are_read() {
        let (t, log) = read("child,Decom,rne,LS,CIN,PLACE,dec,rec,extra\nA1,01/04/2019,s,c2,n1,u1,,,x\n");
        let Table::Episodes(rows) = &t.unwrap()[0] else { panic!("episodes") };
        assert_eq!(rows[0].rne.as_str(), "S");
        assert!(log.is_empty());
    }

    #[test]
    fn every_table_of_the_return_is_recognised_by_its_columns() {
        for kind in TableKind::ALL {
            let names: Vec<String> = kind.columns().iter().map(|c| c.to_string()).collect();
            assert_eq!(TableKind::recognise(&names), Some(kind), "{kind:?}");
        }
        let just = |cols: &[&str]| TableKind::recognise(&cols.iter().map(|c| c.to_string()).collect::<Vec<_>>());
        assert_eq!(just(&["CHILD", "DOB"]), Some(TableKind::Header));
        assert_eq!(just(&["CHILD", "DOB", "SDQ_SCORE"]), Some(TableKind::Oc2));
        assert_eq!(just(&["CHILD", "DOB", "REVIEW"]), Some(TableKind::Reviews));
        assert_eq!(just(&["LINE", "AMOUNT"]), None);
    }

    #[test]
    fn ids_are_normalised_and_quirks_named() {
        assert_eq!(normalise_id(" 12345.0 "), "12345");
        assert_eq!(normalise_id("12345.00"), "12345");
        assert_eq!(normalise_id("A12.0"), "A12.0");
        let mut ids = Ids::default();
        let h: Vec<u32> = ["00123", "00456"].iter().map(|i| ids.intern(i)).collect();
        let e: Vec<u32> = ["123", "456"].iter().map(|i| ids.intern(i)).collect();
        let mut in_h = vec![false; ids.len()];
        let mut in_e = vec![false; ids.len()];
        h.iter().for_each(|n| in_h[*n as usize] = true);
        e.iter().for_each(|n| in_e[*n as usize] = true);
        assert!(ids.mismatch_hint(&in_h, &in_e).unwrap().contains("leading zeros"));
    }

    #[test]
    fn an_empty_file_is_no_table_and_a_note() {
        let (t, log) = read(" \r\n");
        assert!(t.unwrap().is_empty());
        assert_eq!(log[0].code, "empty_file");
    }

    #[test]
    fn no_cell_reaches_a_log_line_or_an_error() {
        // A row shifted by two cells puts a postcode where REC is, with DEC blank.
        let (t, log) = read("CHILD,DECOM,RNE,LS,CIN,PLACE,DEC,REC\nA1,01/04/2019,S,C2,N1,U1,,AB1 2CD\n");
        assert!(t.is_ok());
        assert!(log.iter().all(|e| !e.action.contains("AB1") && !e.field.contains("AB1")), "{log:?}");
        // A file without its column row.
        let (t, _) = read("C0001,1,01/01/2010,WBRI,A123456789012,,\n");
        let e = t.unwrap_err().to_string();
        assert!(!e.contains("C0001") && !e.contains("A123456789012") && !e.contains("01/01/2010"), "{e}");
    }

    #[test]
    fn us_dates_are_refused_naming_the_order() {
        let mut text = String::from("CHILD,DECOM,RNE,LS,CIN,PLACE,DEC,REC\n");
        for i in 0..20 {
            text.push_str(&format!("A{i},04/{:02}/2019,S,C2,N1,U1,,\n", 13 + i % 15));
        }
        let (t, _) = read(&text);
        assert!(t.unwrap_err().reason.contains("month first"));
    }

    #[test]
    fn utf16_with_its_mark_is_read_and_without_it_refused() {
        let text = "CHILD,DOB\nA1,01/01/2010\n";
        let mut le = vec![0xFF, 0xFE];
        le.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
        let mut log = Vec::new();
        let t = read_file(&le[..], "f.csv", 0, &mut Ids::default(), &mut log).unwrap();
        assert!(matches!(&t[0], Table::Header(r) if r.len() == 1));
        let e = read_file(&le[2..], "f.csv", 0, &mut Ids::default(), &mut log).unwrap_err();
        assert!(e.reason.contains("save it as UTF-8"), "{e}");
    }

    #[test]
    fn the_xml_return_gives_its_header_and_episodes() {
        let xml = "<?xml version='1.0'?>\n<EXPSSDA903>\n<CHILD><HEADER><CHILDID>7</CHILDID><DOB>01/01/2010</DOB><AREVIEW><REVIEW>01/01/2019</REVIEW></AREVIEW></HEADER>\n<EPISODE><DECOM>01/04/2019</DECOM><RNE>S</RNE><LS>C2</LS><CIN>N1</CIN><PL>U1</PL><DEC>01/06/2019</DEC><REC>E4A</REC></EPISODE></CHILD>\n</EXPSSDA903>\n";
        let mut log = Vec::new();
        let t = read_file(xml.as_bytes(), "f.xml", 0, &mut Ids::default(), &mut log).unwrap();
        let (Table::Header(h), Table::Episodes(e)) = (&t[0], &t[1]) else { panic!("{t:?}") };
        assert_eq!((h.len(), e.len()), (1, 1));
        assert!(e[0].rec.is("E4A") && e[0].place.is("U1"));
        assert!(log.is_empty(), "{log:?}");
    }
}
