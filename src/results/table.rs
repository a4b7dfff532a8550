//! The contract every output table follows: one Rust type per table, one schema, one writer.
//!
//! A table's row type implements [`Table`]: its file stem, what it holds, and one list of
//! [`Field`]s, each a column (name, storage type, unit and meaning) with how a row gives its
//! cell and how the cell read back sets the row. From that one list [`write`] produces CSV and
//! Parquet, the workbook takes its sheets, `DATA.md` its data dictionary, and [`read`] gives
//! the report the same rows back.
//! Writer and reader cannot drift apart, because neither names a column by hand.
//!
//! Tidy rules applied here, once: counts are stored as integers, money is rounded to the
//! penny, missing values are empty (never `NaN`), and text that starts with `=`, `+`, `-` or
//! `@` gets a leading `'`, so that a spreadsheet never reads a cell as a formula (OWASP, "CSV
//! injection").

use std::fs::File;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use polars::prelude::*;

use crate::metric::Unit;

/// How a column is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Store {
    Text,
    Int,
    Float,
}

/// What a column's values are, for number formats and the data dictionary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A name or key: strategy, authority, parameter.
    Key,
    /// Free text.
    Text,
    /// A whole number (count or index).
    Count,
    /// Pounds, rounded to the penny.
    Pounds,
    /// A share or probability, 0 to 1.
    Share,
    /// Any other number, at full precision.
    Number,
}

/// One column of a table.
#[derive(Clone, Debug)]
pub struct Col {
    pub name: String,
    pub store: Store,
    pub kind: Kind,
    /// The unit in words ("£", "children", "share (0 to 1)"); empty for keys and text.
    pub unit: &'static str,
    pub meaning: String,
}

impl Col {
    pub fn key(name: &str, meaning: &str) -> Col {
        Col { name: name.into(), store: Store::Text, kind: Kind::Key, unit: "", meaning: meaning.into() }
    }
    pub fn text(name: &str, meaning: &str) -> Col {
        Col { name: name.into(), store: Store::Text, kind: Kind::Text, unit: "", meaning: meaning.into() }
    }
    pub fn count(name: &str, unit: &'static str, meaning: &str) -> Col {
        Col { name: name.into(), store: Store::Int, kind: Kind::Count, unit, meaning: meaning.into() }
    }
    pub fn pounds(name: &str, meaning: &str) -> Col {
        Col { name: name.into(), store: Store::Float, kind: Kind::Pounds, unit: "£", meaning: meaning.into() }
    }
    pub fn share(name: &str, meaning: &str) -> Col {
        Col {
            name: name.into(),
            store: Store::Float,
            kind: Kind::Share,
            unit: "share (0 to 1)",
            meaning: meaning.into(),
        }
    }
    pub fn number(name: &str, unit: &'static str, meaning: &str) -> Col {
        Col { name: name.into(), store: Store::Float, kind: Kind::Number, unit, meaning: meaning.into() }
    }

    /// The column of a metric's value in one simulation (counts are whole there).
    pub fn metric(m: crate::metric::Metric) -> Col {
        let meaning = format!("{}: {}", m.label(), m.meaning());
        match m.unit() {
            Unit::Children | Unit::Events | Unit::Indicator => Col::count(m.name(), m.unit().describe(), &meaning),
            Unit::Pounds => Col::pounds(m.name(), &meaning),
            Unit::Share => Col::share(m.name(), &meaning),
            Unit::Years => Col::number(m.name(), "child-years", &meaning),
            Unit::Ratio => Col::number(m.name(), "ratio", &meaning),
        }
    }
}

/// One value of a row, borrowed from it where it can be.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell<'a> {
    Text(&'a str),
    /// Text made for the row (a joined list, say).
    Owned(String),
    Int(Option<i64>),
    Float(Option<f64>),
}

impl Cell<'_> {
    /// A finite number, or empty.
    pub fn num(x: f64) -> Cell<'static> {
        Cell::Float(x.is_finite().then_some(x))
    }
    /// A whole number from a float count, or empty when it is not finite.
    pub fn whole(x: f64) -> Cell<'static> {
        Cell::Int(x.is_finite().then(|| x.round() as i64))
    }
}

/// One row read back: typed access to its cells by column position.
pub struct Row<'a> {
    frame: &'a Frame,
    i: usize,
}

impl Row<'_> {
    pub fn text(&self, c: usize) -> Result<String> {
        match &self.frame.cols[c] {
            Data::Text(v) => Ok(v[self.i].clone().unwrap_or_default()),
            Data::Absent => Ok(String::new()),
            _ => bail!("column {} is not text", self.frame.names[c]),
        }
    }
    pub fn int(&self, c: usize) -> Result<Option<i64>> {
        match &self.frame.cols[c] {
            Data::Int(v) => Ok(v[self.i]),
            Data::Float(v) => Ok(v[self.i].map(|x| x as i64)),
            Data::Absent => Ok(None),
            Data::Text(_) => bail!("column {} is not a number", self.frame.names[c]),
        }
    }
    pub fn float(&self, c: usize) -> Result<Option<f64>> {
        match &self.frame.cols[c] {
            Data::Float(v) => Ok(v[self.i]),
            Data::Int(v) => Ok(v[self.i].map(|x| x as f64)),
            Data::Absent => Ok(None),
            Data::Text(_) => bail!("column {} is not a number", self.frame.names[c]),
        }
    }
    /// A number, NaN when empty.
    pub fn f64(&self, c: usize) -> Result<f64> {
        Ok(self.float(c)?.unwrap_or(f64::NAN))
    }
}

/// How a field's value becomes a cell.
type CellFn<T> = Box<dyn for<'a> Fn(&'a T) -> Cell<'a> + Send + Sync>;
/// How a cell read back (from the row, at the field's column) sets the field.
type ReadFn<T> = Box<dyn Fn(&mut T, &Row, usize) -> Result<()> + Send + Sync>;

/// One column of a table with both directions of it: the column, how a row gives its cell and
/// how its cell read back sets the row. A table lists its fields once ([`Table::fields`]);
/// the schema, the writer and the reader all walk that one list, so no column is named or
/// numbered anywhere else.
pub struct Field<T> {
    pub col: Col,
    cell: CellFn<T>,
    read: ReadFn<T>,
}

impl<T: 'static> Field<T> {
    /// A column with its own conversions both ways.
    pub fn new(
        col: Col,
        cell: impl for<'a> Fn(&'a T) -> Cell<'a> + Send + Sync + 'static,
        read: impl Fn(&mut T, &Row, usize) -> Result<()> + Send + Sync + 'static,
    ) -> Self {
        Field { col, cell: Box::new(cell), read: Box::new(read) }
    }

    /// A column written from the row but not read back, because it is made from other
    /// columns (a figure per child, say).
    pub fn written(col: Col, cell: impl for<'a> Fn(&'a T) -> Cell<'a> + Send + Sync + 'static) -> Self {
        Field::new(col, cell, |_, _, _| Ok(()))
    }

    /// A text column held as a `String`.
    pub fn text(col: Col, field: fn(&T) -> &String, field_mut: fn(&mut T) -> &mut String) -> Self {
        Field::new(
            col,
            move |r| Cell::Text(field(r)),
            move |r, row, c| {
                *field_mut(r) = row.text(c)?;
                Ok(())
            },
        )
    }

    /// A number that is always there (NaN, written empty, when it is not finite).
    pub fn num(col: Col, field: fn(&T) -> &f64, field_mut: fn(&mut T) -> &mut f64) -> Self {
        Field::new(
            col,
            move |r| Cell::num(*field(r)),
            move |r, row, c| {
                *field_mut(r) = row.f64(c)?;
                Ok(())
            },
        )
    }

    /// A number that may be missing (written empty, as is any value that is not finite).
    pub fn opt(col: Col, field: fn(&T) -> &Option<f64>, field_mut: fn(&mut T) -> &mut Option<f64>) -> Self {
        Field::new(
            col,
            move |r| Cell::Float(*field(r)),
            move |r, row, c| {
                *field_mut(r) = row.float(c)?;
                Ok(())
            },
        )
    }

    /// A yes/no column, stored as 1 or 0.
    pub fn flag(col: Col, field: fn(&T) -> &bool, field_mut: fn(&mut T) -> &mut bool) -> Self {
        Field::new(
            col,
            move |r| Cell::Int(Some(i64::from(*field(r)))),
            move |r, row, c| {
                *field_mut(r) = row.int(c)?.unwrap_or(0) != 0;
                Ok(())
            },
        )
    }

    /// This field as a field of an outer row that holds a `T` (a table whose rows carry
    /// another table's row after columns of their own).
    pub fn within<O: 'static>(self, inner: fn(&O) -> &T, inner_mut: fn(&mut O) -> &mut T) -> Field<O> {
        let (cell, read) = (self.cell, self.read);
        Field::new(self.col, move |o| cell(inner(o)), move |o, row, c| read(inner_mut(o), row, c))
    }
}

/// An output table's row type.
pub trait Table: Sized + Default + 'static {
    /// File stem: `summary` gives `summary.csv`.
    const NAME: &'static str;
    /// What one row is, for the data dictionary.
    const ROW: &'static str;
    /// The columns, key columns first, each with how it is written and read.
    fn fields() -> Vec<Field<Self>>;
    /// The columns alone.
    fn columns() -> Vec<Col> {
        Self::fields().into_iter().map(|f| f.col).collect()
    }
}

enum Data {
    /// A column left unread: every cell is empty. Holds nothing, so reading 4 columns of a
    /// 30-column table of a million rows costs 4 columns of memory.
    Absent,
    Text(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
}

/// Columns read back from a file.
pub struct Frame {
    names: Vec<String>,
    cols: Vec<Data>,
    height: usize,
}

/// Text as written to a file: a leading `=`, `+`, `-` or `@` is neutralised with `'`.
pub fn safe_text(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@']) { format!("'{s}").into() } else { s.into() }
}

/// Rounds pounds to the penny.
pub fn penny(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The polars frame of a table's rows.
pub fn frame<T: Table>(rows: &[T]) -> Result<DataFrame> {
    let fields = T::fields();
    let cols: Vec<&Col> = fields.iter().map(|f| &f.col).collect();
    // Text is borrowed from the rows where it can be: a table of a million rows would
    // otherwise allocate a string per cell.
    let mut texts: Vec<Vec<std::borrow::Cow<'_, str>>> = Vec::new();
    let mut ints: Vec<Vec<Option<i64>>> = Vec::new();
    let mut floats: Vec<Vec<Option<f64>>> = Vec::new();
    // Where column c's values go: its storage and its index there.
    let slot: Vec<usize> = cols
        .iter()
        .map(|c| {
            let v = match c.store {
                Store::Text => &mut texts as &mut dyn Grow,
                Store::Int => &mut ints,
                Store::Float => &mut floats,
            };
            v.grow(rows.len())
        })
        .collect();
    for row in rows {
        for (f, &k) in fields.iter().zip(&slot) {
            let c = &f.col;
            match (c.store, (f.cell)(row)) {
                (Store::Text, Cell::Text(s)) => texts[k].push(safe_text(s)),
                (Store::Text, Cell::Owned(s)) => texts[k].push(safe_text(&s).into_owned().into()),
                (Store::Int, Cell::Int(v)) => ints[k].push(v),
                (Store::Float, Cell::Float(v)) => {
                    let v = v.filter(|x| x.is_finite());
                    floats[k].push(if c.kind == Kind::Pounds { v.map(penny) } else { v })
                }
                (_, cell) => bail!("{}: column {} got a {cell:?}", T::NAME, c.name),
            }
        }
    }
    let (mut texts, mut ints, mut floats) = (texts.into_iter(), ints.into_iter(), floats.into_iter());
    let columns = cols
        .iter()
        .map(|c| {
            let name: PlSmallStr = c.name.as_str().into();
            match c.store {
                Store::Text => {
                    let t = texts.next().unwrap_or_default();
                    Column::new(name, t.iter().map(|s| s.as_ref()).collect::<Vec<&str>>())
                }
                Store::Int => Column::new(name, ints.next().unwrap_or_default()),
                Store::Float => Column::new(name, floats.next().unwrap_or_default()),
            }
        })
        .collect();
    Ok(DataFrame::new(rows.len(), columns)?)
}

/// Adds an empty column to one kind of storage and returns its index.
trait Grow {
    fn grow(&mut self, capacity: usize) -> usize;
}

impl<V> Grow for Vec<Vec<V>> {
    fn grow(&mut self, capacity: usize) -> usize {
        self.push(Vec::with_capacity(capacity));
        self.len() - 1
    }
}

/// Which files a table is written to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Formats {
    pub csv: bool,
    pub parquet: bool,
}

impl Formats {
    pub const CSV: Formats = Formats { csv: true, parquet: false };
}

/// Writes `rows` as `<NAME>.csv` and/or `<NAME>.parquet` in `dir`.
pub fn write<T: Table>(dir: &Path, rows: &[T], formats: Formats) -> Result<()> {
    let mut sink = Sink::<T>::create(dir, formats)?;
    sink.write(rows)?;
    sink.finish()
}

/// Rows per batch when a table is streamed: memory stays bounded whatever the run's size.
pub const BATCH_ROWS: usize = 20_000;

/// A table written row by row as the rows come, a batch of [`BATCH_ROWS`] at a time, so that a
/// table of millions of rows never sits in memory whole. The files depend only on the rows
/// pushed, never on when they were pushed, and are the same as [`write`]'s but for Parquet's
/// row groups.
pub struct Writer<T: Table> {
    sink: Sink<T>,
    batch: Vec<T>,
}

impl<T: Table> Writer<T> {
    /// Creates the table's files in `dir`.
    pub fn create(dir: &Path, formats: Formats) -> Result<Self> {
        Ok(Writer { sink: Sink::create(dir, formats)?, batch: Vec::with_capacity(BATCH_ROWS) })
    }

    /// Adds a row, writing a batch when one is full.
    pub fn push(&mut self, row: T) -> Result<()> {
        self.batch.push(row);
        if self.batch.len() == BATCH_ROWS {
            self.sink.write(&self.batch)?;
            self.batch.clear();
        }
        Ok(())
    }

    /// Writes the last batch (or the header of an empty table) and closes the files.
    pub fn finish(mut self) -> Result<()> {
        if !self.batch.is_empty() || !self.sink.started {
            self.sink.write(&self.batch)?;
        }
        self.sink.finish()
    }
}

/// Open batched writers of one table.
struct Sink<T> {
    csv: Option<(std::path::PathBuf, polars::io::csv::write::BatchedWriter<File>)>,
    parquet: Option<(std::path::PathBuf, polars::io::parquet::write::BatchedWriter<File>)>,
    started: bool,
    _rows: std::marker::PhantomData<T>,
}

impl<T: Table> Sink<T> {
    fn create(dir: &Path, formats: Formats) -> Result<Self> {
        let schema = frame::<T>(&[])?.schema().as_ref().clone();
        let open = |ext: &str| -> Result<(std::path::PathBuf, File)> {
            let path = dir.join(format!("{}.{ext}", T::NAME));
            let f = File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
            Ok((path, f))
        };
        let csv = if formats.csv {
            let (path, f) = open("csv")?;
            let w = CsvWriter::new(f).include_header(true).batched(&schema);
            Some((
                path.clone(),
                w.map_err(anyhow::Error::from).with_context(|| format!("cannot write {}", path.display()))?,
            ))
        } else {
            None
        };
        let parquet = if formats.parquet {
            let (path, f) = open("parquet")?;
            // No column statistics: computing them took a fifth of the write time of a big
            // run, and files of this size are read whole.
            let w = ParquetWriter::new(f)
                .with_compression(ParquetCompression::Snappy)
                .with_statistics(StatisticsOptions::empty())
                .batched(&schema);
            Some((
                path.clone(),
                w.map_err(anyhow::Error::from).with_context(|| format!("cannot write {}", path.display()))?,
            ))
        } else {
            None
        };
        Ok(Sink { csv, parquet, started: false, _rows: std::marker::PhantomData })
    }

    fn write(&mut self, rows: &[T]) -> Result<()> {
        let df = frame(rows)?;
        self.started = true;
        if let Some((path, w)) = &mut self.csv {
            w.write_batch(&df)
                .map_err(anyhow::Error::from)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        if let Some((path, w)) = &mut self.parquet {
            w.write_batch(&df)
                .map_err(anyhow::Error::from)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<()> {
        if let Some((path, w)) = &mut self.csv {
            w.finish().map_err(anyhow::Error::from).with_context(|| format!("cannot write {}", path.display()))?;
        }
        if let Some((path, w)) = &self.parquet {
            w.finish().map_err(anyhow::Error::from).with_context(|| format!("cannot write {}", path.display()))?;
        }
        Ok(())
    }
}

/// Whether a table was written in `dir` (as CSV or Parquet).
pub fn exists<T: Table>(dir: &Path) -> bool {
    dir.join(format!("{}.csv", T::NAME)).exists() || dir.join(format!("{}.parquet", T::NAME)).exists()
}

/// Columns of a frame as typed data; columns outside `only` (when given) are left empty.
fn load_frame(cols: &[&Col], df: DataFrame, only: Option<&[&str]>) -> Result<Frame> {
    let mut data = Vec::new();
    let height = df.height();
    for c in cols {
        if only.is_some_and(|o| !o.contains(&c.name.as_str())) {
            data.push(Data::Absent);
            continue;
        }
        let col = df.column(&c.name).map_err(|_| anyhow!("it has no column `{}`", c.name))?;
        data.push(match c.store {
            Store::Text => {
                let s = col.cast(&DataType::String)?;
                Data::Text(s.str()?.iter().map(|v| v.map(str::to_string)).collect())
            }
            Store::Int => {
                let s = col.cast(&DataType::Int64).map_err(|_| anyhow!("column `{}` is not whole numbers", c.name))?;
                Data::Int(s.i64()?.iter().collect())
            }
            Store::Float => {
                let s = col.cast(&DataType::Float64).map_err(|_| anyhow!("column `{}` is not numbers", c.name))?;
                let v: Vec<Option<f64>> = s.f64()?.iter().collect();
                // reunify writes a value that is not finite as empty: NaN or infinity in a
                // table was put there by hand, and would print as "NaN to NaN".
                if let Some(i) = v.iter().position(|x| x.is_some_and(|x| !x.is_finite())) {
                    bail!("column `{}`, row {}: a value that is not a finite number (NaN or infinity)", c.name, i + 1);
                }
                Data::Float(v)
            }
        });
    }
    Ok(Frame { names: cols.iter().map(|c| c.name.clone()).collect(), cols: data, height })
}

/// Reads `<NAME>.parquet` from `dir` when it is there, else `<NAME>.csv`.
pub fn read<T: Table>(dir: &Path) -> Result<Vec<T>> {
    let mut rows = Vec::new();
    read_each::<T>(dir, None, |r| rows.push(r))?;
    Ok(rows)
}

/// Reads a table row by row without keeping the rows, loading only the columns in `only`
/// (when given; the others read as empty), so a report can sum a per-iteration table of
/// millions of rows in little memory.
pub fn read_each<T: Table>(dir: &Path, only: Option<&[&str]>, f: impl FnMut(T)) -> Result<()> {
    let parquet = dir.join(format!("{}.parquet", T::NAME));
    let csv = dir.join(format!("{}.csv", T::NAME));
    let columns: Option<Vec<String>> = only.map(|o| o.iter().map(|c| c.to_string()).collect());
    if !parquet.exists() && !csv.exists() {
        bail!("{} has neither {}.parquet nor {}.csv", dir.display(), T::NAME, T::NAME);
    }
    let (path, df) = if parquet.exists() {
        let f = File::open(&parquet).with_context(|| format!("cannot read {}", parquet.display()))?;
        (parquet.clone(), ParquetReader::new(f).with_columns(columns).finish().map_err(anyhow::Error::from))
    } else {
        let schema: Schema = T::columns()
            .iter()
            .map(|c| {
                let t = match c.store {
                    Store::Text => DataType::String,
                    Store::Int => DataType::Int64,
                    Store::Float => DataType::Float64,
                };
                polars::prelude::Field::new(c.name.as_str().into(), t)
            })
            .collect();
        let df = CsvReadOptions::default()
            .with_has_header(true)
            .with_schema_overwrite(Some(Arc::new(schema)))
            .try_into_reader_with_file_path(Some(csv.clone()))
            .and_then(|r| r.finish())
            .map_err(anyhow::Error::from);
        (csv.clone(), df)
    };
    let what = || format!("{} is not a reunify {} table", path.display(), T::NAME);
    let df = df.with_context(what)?;
    rows_of::<T>(df, only, f).with_context(what)
}

/// The rows of a frame, each built from its cells by the table's fields.
fn rows_of<T: Table>(df: DataFrame, only: Option<&[&str]>, mut f: impl FnMut(T)) -> Result<()> {
    let fields = T::fields();
    let cols: Vec<&Col> = fields.iter().map(|f| &f.col).collect();
    let frame = load_frame(&cols, df, only)?;
    for i in 0..frame.height {
        let row = Row { frame: &frame, i };
        let mut out = T::default();
        for (c, field) in fields.iter().enumerate() {
            (field.read)(&mut out, &row, c)
                .with_context(|| format!("column {}", field.col.name))
                .with_context(|| format!("row {}", i + 1))?;
        }
        f(out);
    }
    Ok(())
}

/// Rows as the table's files hold them: money rounded to the penny, a value that is not
/// finite made empty. A run keeps its summary tables this way, so that the workbook it writes
/// from memory says what its CSV files say, and a folder read back equals the run that wrote it.
pub fn as_stored<T: Table>(rows: &[T]) -> Result<Vec<T>> {
    let mut out = Vec::with_capacity(rows.len());
    rows_of::<T>(frame(rows)?, None, |r| out.push(r)).with_context(|| format!("the {} table", T::NAME))?;
    Ok(out)
}
