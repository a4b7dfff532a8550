//! `DATA.md`: every file a run writes, every column, its unit and meaning, generated from the
//! same [`Table`] schemas the writers use, so the dictionary cannot fall out of date.

use std::fmt::Write as _;

use super::table::{Col, Table};
use super::tables::*;
use crate::analysis::{CurvePoint, SummaryRow};
use crate::budget::BudgetStat;
use crate::decision::{AcceptPoint, TornadoRow, TwoWayPoint};
use crate::metric::Metric;
use crate::validation::ValidationRow;
use crate::voi::VoiRow;
use crate::wtp::{FrontierRow, VoiAtWtp, WtpPoint};

/// One table's entry in the dictionary.
pub struct Entry {
    pub name: &'static str,
    pub row: &'static str,
    pub columns: Vec<Col>,
    /// How it is stored: "CSV" or "Parquet (CSV with --csv)".
    pub formats: &'static str,
}

fn entry<T: Table>(formats: &'static str) -> Entry {
    Entry { name: T::NAME, row: T::ROW, columns: T::columns(), formats }
}

/// Every table, in the order the dictionary lists them.
pub fn entries() -> Vec<Entry> {
    let per_iteration = "Parquet (and CSV with `--csv`)";
    vec![
        entry::<SummaryRow>("CSV"),
        entry::<InputRow>("CSV"),
        entry::<CurvePoint>("CSV"),
        entry::<TornadoRow>("CSV"),
        entry::<AcceptPoint>("CSV"),
        entry::<TwoWayPoint>("CSV"),
        entry::<VoiRow>("CSV"),
        entry::<WtpPoint>("CSV"),
        entry::<FrontierRow>("CSV"),
        entry::<VoiAtWtp>("CSV, with a PSA"),
        entry::<crate::pilot::EvsiRow>("CSV, when the scenario sets `[pilot]`"),
        entry::<ValidationRow>("CSV, when the scenario lists `[[validation]]` figures"),
        entry::<AuthorityRow>("CSV, with several authorities"),
        entry::<BudgetStat>("CSV, in flow mode"),
        entry::<IterationRow>(per_iteration),
        entry::<ParameterRow>(per_iteration),
        entry::<BudgetRow>("Parquet (and CSV with `--csv`), in flow mode"),
    ]
}

use super::summary::InputRow;

/// The text of `DATA.md`, listing only the tables in `written` (file stems), plus the other
/// files of a run.
pub fn data_md(title: &str, written: &[&str]) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "# Data dictionary: {title}\n");
    t.push_str(
        "Every table is tidy: one row per observation, key columns first, snake_case names that \
         need no quoting in R or pandas. Money is in pounds at the scenario's price year, rounded \
         to the penny; counts are whole numbers; shares run from 0 to 1; an empty cell means the \
         figure does not exist (for example a ratio with nothing to divide by). The total over \
         authorities is called `all` in every file. In per-iteration tables the base case \
         (`case = base`, iteration 0, every input at its point value) is marked apart from the \
         PSA draws (`case = psa`, iterations 1 to N).\n\n",
    );
    t.push_str("Load a table in one line:\n\n```r\nsummary <- read.csv(\"summary.csv\")            # R\niterations <- arrow::read_parquet(\"iterations.parquet\")\n```\n\n```python\nsummary = pd.read_csv(\"summary.csv\")             # pandas\niterations = pd.read_parquet(\"iterations.parquet\")\n```\n\n");
    t.push_str("## Other files\n\n| file | contents |\n|---|---|\n");
    for (f, what) in [
        (
            "summary.json",
            "everything in summary.csv, plus the scenario, its strategies and risk factors with their labels, inputs, calibration, break-even figures and (flow mode) the budget with payback",
        ),
        (
            "run.json",
            "crate version, seed, iterations, threads, the SHA-256 of the scenario file, and timings (`wall_seconds`; `simulate_seconds`, until the last iteration is simulated, with the per-iteration tables written meanwhile; `analyses_seconds`)",
        ),
        (
            "results.xlsx",
            "the workbook: summary with the verdict, budget, authorities, break-even, inputs and this dictionary",
        ),
        ("report.html", "the report, one self-contained page"),
        ("*.png, *.svg", "the report's charts"),
    ] {
        let _ = writeln!(t, "| `{f}` | {what} |");
    }
    for e in entries().into_iter().filter(|e| written.contains(&e.name)) {
        let _ = writeln!(t, "\n## `{}` ({})\n\nOne row: {}.\n", e.name, e.formats, e.row);
        t.push_str("| column | unit | meaning |\n|---|---|---|\n");
        for c in &e.columns {
            let _ = writeln!(t, "| `{}` | {} | {} |", c.name, c.unit, c.meaning.replace('|', "\\|"));
        }
    }
    t.push_str("\n## Metrics\n\nThe `metric` values of `summary.csv` and the metric columns of `iterations`:\n\n| metric | unit | meaning |\n|---|---|---|\n");
    for m in Metric::ALL {
        let _ = writeln!(t, "| `{}` | {} | {}: {} |", m.name(), m.unit().describe(), m.label(), m.meaning());
    }
    t
}
