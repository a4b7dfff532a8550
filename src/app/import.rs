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

fn read_all_text(path: &Path) -> Result<DataFrame> {
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .and_then(|r| r.finish())
        .map_err(anyhow::Error::from)
        .with_context(|| format!("cannot read {} as CSV", path.display()))
}

fn text(df: &DataFrame, name: &str) -> Result<Vec<String>> {
    Ok(df.column(name)?.str()?.iter().map(|s| s.unwrap_or_default().trim().to_string()).collect())
}

/// A count, or `None` when it is suppressed.
fn count(s: &str) -> Result<Option<u64>> {
    if SUPPRESSED.contains(&s) {
        return Ok(None);
    }
    s.replace(',', "")
        .parse::<u64>()
        .map(Some)
        .map_err(|_| anyhow!("\"{s}\" is neither a count nor a suppression marker"))
}

/// Reads either DfE format. `year` selects the reporting year of the long format.
pub fn read(path: &Path, year: i32, suppressed: u64) -> Result<Import> {
    let df = read_all_text(path)?;
    let has = |c: &str| df.get_column_names().iter().any(|n| n.as_str() == c);
    if has("CLA_ceaPar") {
        wide(&df, suppressed)
    } else if has("cla_group") {
        long(&df, year, suppressed)
    } else {
        bail!(
            "{}: neither the SFR table (no CLA_ceaPar column) nor the EES table (no cla_group column)",
            path.display()
        )
    }
}

fn wide(df: &DataFrame, suppressed: u64) -> Result<Import> {
    let (level, name, value) = (text(df, "geog_l")?, text(df, "geog_n")?, text(df, "CLA_ceaPar")?);
    let mut out = Import { authorities: BTreeMap::new(), national: None, imputed: 0, format: "SFR (wide)" };
    for i in 0..df.height() {
        match level[i].as_str() {
            "NATIONAL" => out.national = count(&value[i])?,
            "LA" => {
                let v = count(&value[i]).with_context(|| format!("{}: CLA_ceaPar", name[i]))?;
                out.imputed += v.is_none() as usize;
                *out.authorities.entry(name[i].clone()).or_default() += v.unwrap_or(suppressed);
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
    let mut out = Import { authorities: BTreeMap::new(), national: None, imputed: 0, format: "EES (long)" };
    let mut national = 0;
    let mut national_rows = 0;
    for i in 0..rows.height() {
        match level[i].as_str() {
            "National" => {
                national += count(&number[i])?.unwrap_or(0);
                national_rows += 1;
            }
            "Local authority" => {
                let v = count(&number[i]).with_context(|| format!("{}: number", la[i]))?;
                out.imputed += v.is_none() as usize;
                *out.authorities.entry(la[i].clone()).or_default() += v.unwrap_or(suppressed);
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
            t.insert("children".into(), toml::Value::Integer(*n as i64));
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
