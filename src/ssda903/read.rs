//! Reading SSDA903 tables from their text: the Header (`CHILD,SEX,DOB,...`) and Episodes
//! (`CHILD,DECOM,RNE,LS,CIN,PLACE,...,DEC,REC,...`) files of the DfE's children-looked-after
//! return, recognised by their columns as the DfE validator (`csc-validator-be-903`) does.
//!
//! Column names are matched in any case and extra columns are ignored. Dates are read as
//! dd/mm/YYYY (as authorities export them) or ISO YYYY-MM-DD; a two-digit year is refused,
//! because 01/04/19 could be 1919 or 2019. A row that cannot be used whole is logged
//! ([`LogEntry`]: file, line, field, what was done) and the rest is read; only a file that is
//! not 903 data at all is an error ([`NotData`]). This module sees text, never files: the
//! command line reads them.

use chrono::NaiveDate;

/// One line of the cleaning log: where, which field, and what was done about it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LogEntry {
    pub file: String,
    /// The line in the file, from 1 (the header is line 1); 0 for a note on the whole file.
    pub line: u64,
    pub field: String,
    pub action: String,
}

/// A file that cannot be read as 903 data, with the reason.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {reason}")]
pub struct NotData {
    pub file: String,
    pub reason: String,
}

/// Which 903 table a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Header,
    Episodes,
}

/// The columns that make a Header file and an Episodes file (the rest are read when present).
const HEADER_COLUMNS: [&str; 2] = ["CHILD", "DOB"];
const EPISODE_COLUMNS: [&str; 5] = ["CHILD", "DECOM", "RNE", "DEC", "REC"];

/// One child of a Header file.
#[derive(Clone, Debug)]
pub struct HeaderRow {
    pub child: String,
    pub dob: Option<NaiveDate>,
}

/// One episode of care of an Episodes file. `dec` and `rec` are blank while it is open.
#[derive(Clone, Debug)]
pub struct EpisodeRow {
    pub child: String,
    pub decom: NaiveDate,
    pub rne: String,
    pub ls: String,
    pub cin: String,
    pub place: String,
    pub dec: Option<NaiveDate>,
    pub rec: String,
    /// Where it was read: the file's label and line, for the log.
    pub file: usize,
    pub line: u64,
}

/// A table read from one file.
#[derive(Debug)]
pub enum Table {
    Header(Vec<HeaderRow>),
    Episodes(Vec<EpisodeRow>),
}

/// A date as authorities write it: dd/mm/YYYY (or d/m/YYYY), or YYYY-MM-DD; a time of day
/// after a space is ignored (Excel exports add `00:00:00`).
pub fn parse_date(text: &str) -> Result<Option<NaiveDate>, &'static str> {
    let t = text.trim();
    let t = t.split_whitespace().next().unwrap_or("");
    if t.is_empty() {
        return Ok(None);
    }
    let parts: Vec<&str> = t.split(['/', '-']).collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
        return Err("not a date (dd/mm/YYYY or YYYY-MM-DD)");
    }
    let (y, m, d) = if parts[0].len() == 4 {
        (parts[0], parts[1], parts[2])
    } else if parts[2].len() == 4 {
        (parts[2], parts[1], parts[0])
    } else if parts[2].len() == 2 || parts[0].len() == 2 {
        return Err("a two-digit year is refused: write the year in full (2019, not 19)");
    } else {
        return Err("not a date (dd/mm/YYYY or YYYY-MM-DD)");
    };
    let num = |s: &str| s.parse::<u32>().map_err(|_| "not a date");
    let year = num(y)? as i32;
    NaiveDate::from_ymd_opt(year, num(m)?, num(d)?).map(Some).ok_or("not a calendar date")
}

/// Reads one file's text as a Header or Episodes table, by its columns. `index` is the
/// file's place in the caller's list (kept on each episode for the log); cleaning notes are
/// appended to `log`.
pub fn read_table(text: &str, label: &str, index: usize, log: &mut Vec<LogEntry>) -> Result<Table, NotData> {
    let not = |reason: String| NotData { file: label.to_string(), reason };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| not(format!("not a CSV file ({e})")))?.clone();
    let names: Vec<String> = headers.iter().map(|h| h.trim().to_ascii_uppercase()).collect();
    let col = |name: &str| names.iter().position(|n| n == name);
    let has_all = |cols: &[&str]| cols.iter().all(|c| col(c).is_some());
    let kind = if has_all(&EPISODE_COLUMNS) {
        Kind::Episodes
    } else if has_all(&HEADER_COLUMNS) {
        Kind::Header
    } else {
        return Err(not(format!(
            "not an SSDA903 Header or Episodes file: its columns ({}) lack {} for Episodes and {} for Header",
            if names.is_empty() { "none".to_string() } else { names.join(",") },
            EPISODE_COLUMNS.join(","),
            HEADER_COLUMNS.join(",")
        )));
    };
    let mut log_row = |line: u64, field: &str, action: String| {
        log.push(LogEntry { file: label.to_string(), line, field: field.to_string(), action })
    };
    let field = |rec: &csv::StringRecord, name: &str| -> String {
        col(name).and_then(|i| rec.get(i)).unwrap_or("").trim().to_string()
    };
    let mut header_rows = Vec::new();
    let mut episode_rows = Vec::new();
    let mut dated = 0usize;
    let mut first_bad_date: Option<String> = None;
    for (i, rec) in reader.records().enumerate() {
        let line = i as u64 + 2;
        let rec = rec.map_err(|e| not(format!("line {line}: not CSV ({e})")))?;
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let child = field(&rec, "CHILD");
        if child.is_empty() {
            log_row(line, "CHILD", "blank child ID: row left out".into());
            continue;
        }
        match kind {
            Kind::Header => {
                let dob = match parse_date(&field(&rec, "DOB")) {
                    Ok(Some(d)) => {
                        dated += 1;
                        Some(d)
                    }
                    Ok(None) => {
                        log_row(line, "DOB", "blank date of birth: the child's returns home are left out".into());
                        None
                    }
                    Err(why) => {
                        first_bad_date.get_or_insert_with(|| why.to_string());
                        log_row(line, "DOB", format!("{why}: the child's returns home are left out"));
                        None
                    }
                };
                header_rows.push(HeaderRow { child, dob });
            }
            Kind::Episodes => {
                let decom = match parse_date(&field(&rec, "DECOM")) {
                    Ok(Some(d)) => d,
                    Ok(None) => {
                        log_row(line, "DECOM", "blank start date: episode left out".into());
                        continue;
                    }
                    Err(why) => {
                        first_bad_date.get_or_insert_with(|| why.to_string());
                        log_row(line, "DECOM", format!("{why}: episode left out"));
                        continue;
                    }
                };
                dated += 1;
                let mut rec_code = field(&rec, "REC").to_ascii_uppercase();
                let dec = match parse_date(&field(&rec, "DEC")) {
                    Ok(d) => d,
                    Err(why) => {
                        log_row(line, "DEC", format!("{why}: episode treated as open"));
                        rec_code.clear();
                        None
                    }
                };
                let dec = match dec {
                    Some(d) if d < decom => {
                        log_row(line, "DEC", "episode ends before it starts: episode left out".into());
                        continue;
                    }
                    d => d,
                };
                if dec.is_none() && !rec_code.is_empty() {
                    log_row(
                        line,
                        "REC",
                        format!("reason {rec_code} set while DEC is blank: reason ignored, episode open"),
                    );
                    rec_code.clear();
                }
                episode_rows.push(EpisodeRow {
                    child,
                    decom,
                    rne: field(&rec, "RNE").to_ascii_uppercase(),
                    ls: field(&rec, "LS").to_ascii_uppercase(),
                    cin: field(&rec, "CIN").to_ascii_uppercase(),
                    place: field(&rec, "PLACE").to_ascii_uppercase(),
                    dec,
                    rec: rec_code,
                    file: index,
                    line,
                });
            }
        }
    }
    // A file whose every date is unreadable is not dirty data but another format.
    if dated == 0
        && let Some(why) = first_bad_date
    {
        return Err(not(format!("no date in it can be read ({why})")));
    }
    Ok(match kind {
        Kind::Header => Table::Header(header_rows),
        Kind::Episodes => Table::Episodes(episode_rows),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_both_forms_and_two_digit_years_refused() {
        let d = NaiveDate::from_ymd_opt(2019, 4, 1).unwrap();
        assert_eq!(parse_date("01/04/2019"), Ok(Some(d)));
        assert_eq!(parse_date("1/4/2019"), Ok(Some(d)));
        assert_eq!(parse_date("2019-04-01"), Ok(Some(d)));
        assert_eq!(parse_date("01/04/2019 00:00:00"), Ok(Some(d)));
        assert_eq!(parse_date(" "), Ok(None));
        assert!(parse_date("01/04/19").unwrap_err().contains("two-digit year"));
        assert!(parse_date("31/02/2019").is_err());
        assert!(parse_date("yesterday").is_err());
    }

    #[test]
    fn columns_in_any_case_and_extra_columns_are_read() {
        let mut log = Vec::new();
        let t = read_table(
            "child,Decom,rne,LS,CIN,PLACE,dec,rec,extra\nA1,01/04/2019,s,c2,n1,u1,,,x\n",
            "e.csv",
            0,
            &mut log,
        )
        .unwrap();
        let Table::Episodes(rows) = t else { panic!("episodes") };
        assert_eq!(rows[0].rne, "S");
        assert!(log.is_empty());
    }
}
