//! The results layer: what a run hands to people, between the core and the writers.
//!
//! It owns the output contract: one row type per table ([`tables`]) with its schema
//! ([`table::Table`]), the `summary.json` file ([`summary`]), the workbook ([`workbook`]),
//! the data dictionary ([`dictionary`]) and the one number formatter ([`format`]). It depends
//! only on the core; `app` writes through it and `report` reads through it, so the two can
//! never disagree about a column. It never prints, and touches the file system only where a
//! function is asked to write or read a table in a folder it is given.

pub mod bundle;
pub mod compare;
pub mod dictionary;
pub mod format;
pub mod summary;
pub mod table;
pub mod tables;
pub mod verdict;
pub mod workbook;

pub use bundle::{RunResults, write_json};
pub use format::{count, money, number, percent, percent0};
pub use summary::{SummaryFile, authority_rows, summary_rows};
