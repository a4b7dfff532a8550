//! Fuzz target: `reunify import-903` on any text. The bytes are cut at the first NUL into a
//! Header and an Episodes file (any other split reads as one file); each is read as 903 data
//! or refused, and whatever is read is built into histories and fitted, never panicking, with
//! short knots so that small inputs reach every piece of the fit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reunify::ssda903::read::{LogEntry, read_table};
use reunify::ssda903::{Input, Options, fit};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut log: Vec<LogEntry> = Vec::new();
    let parts: Vec<&str> = text.splitn(2, '\0').collect();
    let labels: Vec<String> = (0..parts.len()).map(|i| format!("file{i}.csv")).collect();
    let mut inputs = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        if let Ok(table) = read_table(part, &labels[i], i, &mut log) {
            inputs.push(Input { label: labels[i].clone(), year: 2020, table });
        }
    }
    let opts = Options { knots: vec![0.0, 0.01, 0.1, 1.0], holdout_years: Some(1), ..Options::default() };
    let _ = fit(inputs, &opts, &labels, &mut log);
});
