//! Fuzz target: `reunify import-903` on any bytes. They are cut at the first `\x01` into two
//! files (any other split reads as one file); each is read as 903 data (CSV, or the XML
//! return, in any encoding it meets) or refused, and whatever is read is built into histories
//! and fitted, never panicking, with short knots so that small inputs reach every piece of
//! the fit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reunify::ssda903::read::{LogEntry, YearFrom};
use reunify::ssda903::{Files, Options, fit_files};

fuzz_target!(|data: &[u8]| {
    let mut log: Vec<LogEntry> = Vec::new();
    let mut files = Files::default();
    for (i, part) in data.splitn(2, |b| *b == 1).enumerate() {
        let _ = files.add(part, &format!("file{i}.csv"), (2020, YearFrom::FileName), &mut log);
    }
    let opts = Options { knots: vec![0.0, 0.01, 0.1, 1.0], holdout_years: Some(1), ..Options::default() };
    let _ = fit_files(files, &opts, &mut log);
});
