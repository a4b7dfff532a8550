//! `reunify import-dfe`: builds a many-authority scenario from the DfE tables of children who
//! ceased to be looked after.
//!
//! Two published formats are read with polars, every column as text so suppression markers
//! survive: the wide SFR table (2013, `CLA_ceaPar` = returned home to live with parents or
//! relatives, one row per area, `geog_l` = NATIONAL / REGION / LA) and the long EES table
//! (2020–2024, `cla_group == "Reason episode ceased"`; returns home are the two
//! "Returned home to live with parents or other person with parental responsibility"
//! characteristics, planned and unplanned, plus "Left care to live with parents, relatives or
//! other person with no parental responsibility" where present). **Suppression policy**:
//! a suppressed count (`c`, `x`, `z`, `..`, or empty) is imputed as `--suppressed N`
//! (default 3, the middle of the 1–5 range DfE suppresses) and counted; national, regional
//! and total rows are excluded from the authorities and used only to cross-check the sum.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use polars::prelude::*;

use super::{AppError, write_atomically};
use crate::results::format;
use crate::scenario::Scenario;

/// Long-format characteristics that count as a return home.
pub const RETURN_HOME: [&str; 3] = [
    "Returned home to live with parents or other person with parental responsibility which was part of the care planning process",
    "Returned home to live with parents or other person with parental responsibility which was not part of the care planning process",
    "Left care to live with parents, relatives or other person with no parental responsibility",
];

/// Markers DfE uses for suppressed or unavailable counts.
const SUPPRESSED: [&str; 5] = ["c", "x", "z", "..", ""];

/// Authorities and their returns home, with the national cross-check.
#[derive(Clone, Debug, PartialEq)]
pub struct Import {
    /// Authority name → children who returned home, in name order.
    pub authorities: BTreeMap<String, u64>,
    /// The national figure from the table's national row.
    pub national: Option<u64>,
    /// Cells imputed under the suppression policy.
    pub imputed: usize,
    pub format: &'static str,
}

impl Import {
    pub fn total(&self) -> u64 {
        self.authorities.values().sum()
    }
}

/// Checks the CSV's shape before polars reads it: every record has as many fields as the
/// header (a short row would otherwise read as suppressed cells), and no quote is left open
/// (a truncated file). Quoted fields may hold commas and line breaks.
fn check_shape(text: &str, shown: &str) -> Result<()> {
    let (mut fields, mut in_quotes, mut line, mut start_line) = (1usize, false, 1usize, 1usize);
    let mut header: Option<usize> = None;
    let mut blank = true;
    for c in text.chars() {
        match c {
            '"' => {
                in_quotes = !in_quotes;
                blank = false;
            }
            ',' if !in_quotes => {
                fields += 1;
                blank = false;
            }
            '\n' if in_quotes => line += 1,
            '\n' => {
                if !blank {
                    match header {
                        None => header = Some(fields),
                        Some(h) if h != fields => bail!(
                            "{shown}: line {start_line}: {fields} fields where the header has {h}; a row with missing or extra cells is not read as suppressed counts"
                        ),
                        _ => {}
                    }
                }
                line += 1;
                start_line = line;
                fields = 1;
                blank = true;
            }
            '\r' => {}
            _ => blank = false,
        }
    }
    if in_quotes {
        bail!("{shown}: line {start_line}: a quoted field is never closed; is the file truncated?");
    }
    if !blank
        && let Some(h) = header
        && h != fields
    {
        bail!("{shown}: line {start_line}: {fields} fields where the header has {h}; is the file truncated?");
    }
    Ok(())
}

/// Reads CSV text with every column as text, after checking its shape.
fn read_all_text(text: &str, shown: &str) -> Result<DataFrame> {
    check_shape(text, shown)?;
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .into_reader_with_file_handle(std::io::Cursor::new(text.as_bytes()))
        .finish()
        .map_err(anyhow::Error::from)
        .with_context(|| format!("cannot read {shown} as CSV"))
}

fn text(df: &DataFrame, name: &str) -> Result<Vec<String>> {
    let column = df.column(name).map_err(|_| anyhow!("the table has no column `{name}`"))?;
    Ok(column.str()?.iter().map(|s| s.unwrap_or_default().trim().to_string()).collect())
}

/// The largest count an authority may have: a cohort must stay below 2⁴⁰ children.
const MAX_COUNT: u64 = crate::scenario::MAX_COHORT_CHILDREN - 1;

/// Adds a row's count to its authority, refusing names that are not names and sums that
/// overflow. `line` is the row's line in the file.
fn add(out: &mut Import, name: &str, v: Option<u64>, suppressed: u64, line: usize) -> Result<()> {
    if let Some(reason) = crate::scenario::authority_name_problem(name) {
        bail!("line {line}: authority name {name:?}: {reason}");
    }
    out.imputed += v.is_none() as usize;
    let entry = out.authorities.entry(name.to_string()).or_default();
    *entry = entry.checked_add(v.unwrap_or(suppressed)).filter(|n| *n <= MAX_COUNT).ok_or_else(|| {
        anyhow!("line {line}: {name}'s count of children passes {MAX_COUNT}, more than a cohort can hold")
    })?;
    Ok(())
}

/// A count, or `None` when it is suppressed.
fn count(s: &str) -> Result<Option<u64>> {
    if SUPPRESSED.contains(&s) {
        return Ok(None);
    }
    let n = s
        .replace(',', "")
        .parse::<u64>()
        .map_err(|_| anyhow!("\"{s}\" is neither a count nor a suppression marker"))?;
    if n > MAX_COUNT {
        bail!("{s} children is more than a cohort can hold (below 2^40)");
    }
    Ok(Some(n))
}

/// Reads either DfE format. `year` selects the reporting year of the long format.
pub fn read(path: &Path, year: i32, suppressed: u64) -> Result<Import> {
    let text = super::read_text(path)?;
    parse(&text, &path.display().to_string(), year, suppressed)
}

/// Parses the text of either DfE format; `shown` names it in errors. The fuzz target
/// `dfe_import` calls this directly.
pub fn parse(text: &str, shown: &str, year: i32, suppressed: u64) -> Result<Import> {
    let df = read_all_text(text, shown)?;
    let has = |c: &str| df.get_column_names().iter().any(|n| n.as_str() == c);
    let imported = if has("CLA_ceaPar") {
        wide(&df, suppressed).with_context(|| format!("{shown} (SFR table)"))?
    } else if has("cla_group") {
        long(&df, year, suppressed).with_context(|| format!("{shown} (EES table)"))?
    } else {
        bail!("{shown}: neither the SFR table (no CLA_ceaPar column) nor the EES table (no cla_group column)")
    };
    // The scenario's own rule, checked here so that the error names the table, not the
    // scenario that would have been written.
    if imported.total() == 0 {
        bail!(
            "{shown}: {}; a scenario needs at least one child who returns home",
            if imported.authorities.is_empty() {
                "no local authority's row was found".to_string()
            } else {
                "every local authority's count is 0".to_string()
            }
        );
    }
    Ok(imported)
}

fn wide(df: &DataFrame, suppressed: u64) -> Result<Import> {
    let (level, name, value) = (text(df, "geog_l")?, text(df, "geog_n")?, text(df, "CLA_ceaPar")?);
    let mut out = Import { authorities: BTreeMap::new(), national: None, imputed: 0, format: "SFR (wide)" };
    let mut seen = BTreeMap::new();
    for i in 0..df.height() {
        // The header is line 1; records hold no line breaks in these tables.
        let line = i + 2;
        match level[i].as_str() {
            "NATIONAL" => out.national = count(&value[i]).with_context(|| format!("line {line}: CLA_ceaPar"))?,
            "LA" => {
                if let Some(first) = seen.insert(name[i].clone(), line) {
                    bail!("line {line}: {} appears twice (also on line {first})", name[i]);
                }
                let v = count(&value[i]).with_context(|| format!("line {line}: {}: CLA_ceaPar", name[i]))?;
                add(&mut out, &name[i], v, suppressed, line)?;
            }
            _ => {}
        }
    }
    Ok(out)
}

fn long(df: &DataFrame, year: i32, suppressed: u64) -> Result<Import> {
    // Polars selects the rows of the year, the reason-ceased group and the return-home
    // characteristics; the sum per authority is then a fold over those few rows.
    let year_s = year.to_string();
    // Line numbers survive the filters: the header is line 1.
    let df = &df.with_row_index("line".into(), Some(2))?;
    for c in ["time_period", "cla_group", "characteristic", "geographic_level", "la_name", "number"] {
        if df.column(c).is_err() {
            bail!("the table has no column `{c}`");
        }
    }
    let mask = df.column("time_period")?.str()?.equal(year_s.as_str())
        & df.column("cla_group")?.str()?.equal("Reason episode ceased");
    let mut rows = df.filter(&mask)?;
    let characteristic = rows.column("characteristic")?.str()?.clone();
    let keep: BooleanChunked =
        characteristic.iter().map(|c| Some(c.is_some_and(|c| RETURN_HOME.contains(&c.trim())))).collect();
    rows = rows.filter(&keep)?;
    if rows.height() == 0 {
        bail!("no return-home rows for {year} (is --year right?)");
    }
    let (level, la, number) = (text(&rows, "geographic_level")?, text(&rows, "la_name")?, text(&rows, "number")?);
    let what = text(&rows, "characteristic")?;
    let lines: Vec<usize> = rows.column("line")?.idx()?.iter().map(|l| l.unwrap_or(0) as usize).collect();
    let mut out = Import { authorities: BTreeMap::new(), national: None, imputed: 0, format: "EES (long)" };
    let mut national: u64 = 0;
    let mut national_rows = 0;
    let mut seen = BTreeMap::new();
    for i in 0..rows.height() {
        let line = lines[i];
        match level[i].as_str() {
            "National" => {
                let v = count(&number[i]).with_context(|| format!("line {line}: number"))?.unwrap_or(0);
                national = national.checked_add(v).ok_or_else(|| anyhow!("line {line}: the national sum overflows"))?;
                national_rows += 1;
            }
            "Local authority" => {
                if let Some(first) = seen.insert((la[i].clone(), what[i].clone()), line) {
                    bail!("line {line}: {} has the row \"{}\" twice (also on line {first})", la[i], what[i]);
                }
                let v = count(&number[i]).with_context(|| format!("line {line}: {}: number", la[i]))?;
                add(&mut out, &la[i], v, suppressed, line)?;
            }
            _ => {}
        }
    }
    out.national = (national_rows > 0).then_some(national);
    Ok(out)
}

/// Builds a scenario from `template` with one `[[authority]]` per imported authority.
pub fn scenario_text(template: &str, import: &Import, year: i32, source_file: &str, suppressed: u64) -> Result<String> {
    let mut doc: toml::Table = toml::from_str(template).context("the template is not valid TOML")?;
    let meta = doc.get_mut("scenario").and_then(|s| s.as_table_mut()).context("the template has no [scenario]")?;
    meta.insert("name".into(), format!("authorities-{year}").into());
    meta.insert(
        "title".into(),
        format!("English local authorities, children who returned home from care in {year}").into(),
    );
    let source = format!(
        "DfE children who ceased to be looked after, {year} ({source_file}, {} format): returned home to parents or relatives; suppressed counts imputed as {suppressed}",
        import.format
    );
    let authorities: Vec<toml::Value> = import
        .authorities
        .iter()
        .map(|(name, n)| {
            let mut t = toml::Table::new();
            t.insert("name".into(), name.clone().into());
            // Counts were checked below 2^40 when they were read, so they fit an i64.
            t.insert("children".into(), toml::Value::Integer(i64::try_from(*n).unwrap_or(i64::MAX)));
            t.insert("source".into(), source.clone().into());
            toml::Value::Table(t)
        })
        .collect();
    doc.insert("authority".into(), toml::Value::Array(authorities));
    let header = format!(
        "# Generated by `reunify import-dfe` from {source_file} ({} format), year {year}.\n# {} authorities, {} children; {} suppressed counts imputed as {suppressed}.\n# Everything except [[authority]] and the scenario's name and title comes from the template.\n\n",
        import.format,
        import.authorities.len(),
        import.total(),
        import.imputed
    );
    Ok(header + &toml::to_string(&doc)?)
}

/// `reunify import-dfe FILE --year Y --out OUT`: a many-authority scenario from a DfE table,
/// validated before it is written whole.
pub fn command(
    file: &Path,
    year: i32,
    template: &Path,
    out: &Path,
    suppressed: u64,
    force: bool,
) -> Result<(), AppError> {
    super::staging::check_file(out, super::staging::Replace::WhenForced(force))?;
    let imported = read(file, year, suppressed).map_err(AppError::bad)?;
    let template_text = super::files::read_scenario_source(template).map_err(AppError::bad)?;
    let text = scenario_text(&template_text, &imported, year, &file.display().to_string(), suppressed)
        .map_err(AppError::bad)?;
    // The generated file must validate before it is written.
    Scenario::from_toml_str(&text, &out.display().to_string()).map_err(AppError::failed)?;
    write_atomically(out, &text)?;
    let total = imported.total();
    println!(
        "{}: {} authorities, {} children returned home ({} suppressed counts imputed as {suppressed})",
        out.display(),
        imported.authorities.len(),
        format::count(total as f64),
        imported.imputed
    );
    if let Some(national) = imported.national {
        let diff = total as f64 - national as f64;
        println!(
            "national figure {}: authorities sum to {} ({:+.2}%)",
            format::count(national as f64),
            format::count(total as f64),
            100.0 * diff / national.max(1) as f64
        );
    }
    Ok(())
}
