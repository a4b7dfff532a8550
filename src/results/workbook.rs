//! `results.xlsx`: the run as a workbook a commissioner opens in Excel.
//!
//! Sheets: Summary (the verdict and the ranked table), Budget by financial year (flow mode),
//! Authorities (with several), Break-even, Values (acceptability, expected net benefit and EVPI
//! over willingness to pay per breakdown averted, and the frontier, with native Excel charts),
//! Pilot (with `[pilot]`: EVSI, cost and ENBS per size, charted), Inputs (with labels and
//! sources) and Data dictionary. Numbers are stored as numbers with number formats (`£#,##0`, `0.0%`, `#,##0`),
//! never as text; headers are bold and frozen and columns sized to their contents. Text is
//! always written with `write_string`, so a cell that starts with `=` is text, never a formula.

use std::path::Path;

use anyhow::{Context, Result};
use rust_xlsxwriter::{
    Chart, ChartLegendPosition, ChartType, DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet,
    XlsxError,
};

use super::dictionary;
use super::summary::{InputRow, SummaryFile};
use super::table::Kind;
use super::tables::AuthorityRow;
use super::verdict::{Standing, headline_note, period, standings};

/// Negative pounds as everywhere else: a true minus (U+2212) before the pound sign.
const POUNDS: &str = "\"£\"#,##0;\"−£\"#,##0";
const SHARE: &str = "0.0%";
const COUNT: &str = "#,##0";

/// A column of a sheet: header, width, and how its cells are formatted.
struct Column {
    header: String,
    width: f64,
    kind: Kind,
}

/// One cell value.
enum V<'a> {
    T(&'a str),
    S(String),
    N(Option<f64>),
}

struct Formats {
    header: Format,
    wrap: Format,
    title: Format,
    pounds: Format,
    share: Format,
    count: Format,
    number: Format,
}

impl Formats {
    fn new() -> Self {
        Formats {
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Top)
                .set_background_color("#E8EEF4"),
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
            title: Format::new().set_bold().set_font_size(14),
            pounds: Format::new().set_num_format(POUNDS),
            share: Format::new().set_num_format(SHARE),
            count: Format::new().set_num_format(COUNT),
            number: Format::new().set_num_format("0.####"),
        }
    }

    fn number_format(&self, k: Kind) -> &Format {
        match k {
            Kind::Pounds => &self.pounds,
            Kind::Share => &self.share,
            Kind::Count => &self.count,
            _ => &self.number,
        }
    }
}

/// Writes a table with a frozen header row at `top`; returns the next free row.
fn table(ws: &mut Worksheet, f: &Formats, top: u32, cols: &[Column], rows: &[Vec<V>]) -> Result<u32, XlsxError> {
    for (c, col) in cols.iter().enumerate() {
        ws.write_string_with_format(top, c as u16, &col.header, &f.header)?;
        ws.set_column_width(c as u16, col.width)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = top + 1 + r as u32;
        for (c, (v, col)) in row.iter().zip(cols).enumerate() {
            let c = c as u16;
            match v {
                V::T(s) => {
                    ws.write_string_with_format(r, c, *s, &f.wrap)?;
                }
                V::S(s) => {
                    ws.write_string_with_format(r, c, s, &f.wrap)?;
                }
                V::N(Some(x)) if x.is_finite() => {
                    ws.write_number_with_format(r, c, *x, f.number_format(col.kind))?;
                }
                V::N(_) => {}
            }
        }
    }
    ws.set_freeze_panes(top + 1, 0)?;
    Ok(top + 1 + rows.len() as u32)
}

fn col(header: impl Into<String>, width: f64, kind: Kind) -> Column {
    Column { header: header.into(), width, kind }
}

fn summary_sheet(ws: &mut Worksheet, f: &Formats, s: &SummaryFile, ranked: &[Standing]) -> Result<(), XlsxError> {
    ws.set_name("Summary")?;
    ws.write_string_with_format(0, 0, &s.title, &f.title)?;
    let mut r = 1;
    let paragraphs =
        ranked.iter().filter(|st| !st.is_comparator).map(|st| st.verdict.clone()).chain([headline_note(s)]);
    for p in paragraphs {
        ws.merge_range(r, 0, r, 9, &p, &f.wrap)?;
        // Merged cells do not grow to their text, so the row is sized by hand: about 150
        // characters a line across the merged width.
        ws.set_row_height(r, 15.0 * (p.chars().count() as f64 / 150.0).ceil().max(1.0))?;
        r += 1;
    }
    r += 1;
    let cols = [
        col("Rank", 6.0, Kind::Count),
        col("Strategy", 24.0, Kind::Key),
        col("Offered to", 30.0, Kind::Text),
        col("Extra support cost (£)", 16.0, Kind::Pounds),
        col("Breakdowns averted", 12.0, Kind::Number),
        col("Breakdowns averted, 2.5%", 12.0, Kind::Number),
        col("Breakdowns averted, 97.5%", 12.0, Kind::Number),
        col("Net saving (£)", 16.0, Kind::Pounds),
        col("Net saving, 2.5% (£)", 16.0, Kind::Pounds),
        col("Net saving, 97.5% (£)", 16.0, Kind::Pounds),
        col("Probability of saving money", 12.0, Kind::Share),
        col("Payback year", 12.0, Kind::Key),
        col("Break-even cut in re-entries", 12.0, Kind::Share),
        col("Break-even price (£ per family)", 14.0, Kind::Pounds),
    ];
    let rows: Vec<Vec<V>> = ranked
        .iter()
        .map(|st| {
            let (alo, ahi) = st.breakdowns_averted_interval.unzip();
            let (nlo, nhi) = st.net_saving_interval.unzip();
            vec![
                V::N(Some(st.rank as f64)),
                V::S(if st.is_comparator { format!("{} (comparator)", st.label) } else { st.label.clone() }),
                V::T(&st.offered_to),
                V::N(st.support_cost),
                V::N(st.breakdowns_averted),
                V::N(alo),
                V::N(ahi),
                V::N(st.net_saving),
                V::N(nlo),
                V::N(nhi),
                V::N(st.probability_saves),
                V::S(st.payback.clone().unwrap_or_default()),
                V::N(st.breakeven_effect),
                V::N(st.breakeven_price),
            ]
        })
        .collect();
    table(ws, f, r, &cols, &rows)?;
    ws.set_freeze_panes(r + 1, 0)?;
    Ok(())
}

fn budget_sheet(ws: &mut Worksheet, f: &Formats, s: &SummaryFile) -> Result<(), XlsxError> {
    ws.set_name("Budget by financial year")?;
    let Some(b) = &s.budget else { return Ok(()) };
    let psa = s.psa_iterations > 0;
    let cols = [
        col("Strategy", 24.0, Kind::Key),
        col("Financial year", 10.0, Kind::Key),
        col("Support (£, cash)", 14.0, Kind::Pounds),
        col("Breakdown and care (£, cash)", 14.0, Kind::Pounds),
        col("Other (£, cash)", 14.0, Kind::Pounds),
        col("Total (£, cash)", 14.0, Kind::Pounds),
        col("Total (£, discounted)", 14.0, Kind::Pounds),
        col("Net saving that year (£, cash)", 14.0, Kind::Pounds),
        col("Cumulative net position (£, cash)", 16.0, Kind::Pounds),
        col("Cumulative, 2.5% (£)", 14.0, Kind::Pounds),
        col("Cumulative, 97.5% (£)", 14.0, Kind::Pounds),
    ];
    let mut rows = Vec::new();
    for (i, st) in s.strategies.iter().enumerate() {
        for y in &b.financial_years {
            let get = |line: &str, basis: &str| b.find(&st.name, y, line, basis);
            let c = |line: &str, basis: &str| V::N(get(line, basis).and_then(|x| x.central(psa)));
            let cum = get("cumulative_net", "cash");
            let net = |v: V<'static>| if i == 0 { V::N(None) } else { v };
            rows.push(vec![
                V::S(st.display_label()),
                V::S(y.clone()),
                c("support", "cash"),
                c("breakdown_care", "cash"),
                c("other", "cash"),
                c("total", "cash"),
                c("total", "discounted"),
                net(c("net_saving", "cash")),
                net(V::N(cum.and_then(|x| x.central(psa)))),
                net(V::N(cum.and_then(|x| x.q025))),
                net(V::N(cum.and_then(|x| x.q975))),
            ]);
        }
    }
    table(ws, f, 0, &cols, &rows)?;
    Ok(())
}

fn authorities_sheet(ws: &mut Worksheet, f: &Formats, s: &SummaryFile, rows: &[AuthorityRow]) -> Result<(), XlsxError> {
    ws.set_name("Authorities")?;
    let cols = [
        col("Strategy", 24.0, Kind::Key),
        col("Rank", 6.0, Kind::Count),
        col("Authority", 28.0, Kind::Key),
        col("Children", 10.0, Kind::Count),
        col("Net saving per child (£)", 14.0, Kind::Pounds),
        col("Per child, 2.5% (£)", 14.0, Kind::Pounds),
        col("Per child, 97.5% (£)", 14.0, Kind::Pounds),
        col("Net saving (£)", 16.0, Kind::Pounds),
        col("Net saving, 2.5% (£)", 16.0, Kind::Pounds),
        col("Net saving, 97.5% (£)", 16.0, Kind::Pounds),
        col("Breakdowns averted", 12.0, Kind::Number),
    ];
    let cells: Vec<Vec<V>> = rows
        .iter()
        .map(|r| {
            vec![
                V::S(s.label(&r.strategy)),
                V::N(Some(r.rank as f64)),
                V::T(&r.authority),
                V::N(Some(r.children as f64)),
                V::N(Some(r.per_child(r.net_saving))),
                V::N(Some(r.per_child(r.net_saving_q025))),
                V::N(Some(r.per_child(r.net_saving_q975))),
                V::N(Some(r.net_saving)),
                V::N(Some(r.net_saving_q025)),
                V::N(Some(r.net_saving_q975)),
                V::N(Some(r.breakdowns_averted)),
            ]
        })
        .collect();
    table(ws, f, 0, &cols, &cells)?;
    Ok(())
}

fn breakeven_sheet(ws: &mut Worksheet, f: &Formats, s: &SummaryFile) -> Result<(), XlsxError> {
    ws.set_name("Break-even")?;
    ws.write_string_with_format(
        0,
        0,
        format!("Break-even against {} (base case, {})", s.prose_label(&s.comparator), period(s)),
        &f.title,
    )?;
    let cols = [
        col("Strategy", 24.0, Kind::Key),
        col("Price (£)", 12.0, Kind::Pounds),
        col("Charged", 18.0, Kind::Key),
        col("Extra support cost (£)", 16.0, Kind::Pounds),
        col("Breakdown cost per breakdown (£)", 16.0, Kind::Pounds),
        col("Breakdowns to avert to break even", 14.0, Kind::Number),
        col("Comparator's breakdowns", 14.0, Kind::Number),
        col("Breakdowns averted at the assumed effect", 14.0, Kind::Number),
        col("Net saving at the assumed effect (£)", 16.0, Kind::Pounds),
        col("Assumed re-entry hazard ratio", 12.0, Kind::Number),
        col("Break-even re-entry hazard ratio", 12.0, Kind::Number),
        col("Break-even price (£)", 14.0, Kind::Pounds),
        col("Undefined because", 40.0, Kind::Text),
    ];
    let rows: Vec<Vec<V>> = s
        .breakeven
        .iter()
        .map(|b| {
            vec![
                V::S(s.label(&b.strategy)),
                V::N(Some(b.price)),
                V::S(b.cost_basis.replace('_', " ")),
                V::N(Some(b.support_cost)),
                V::N(b.cost_per_breakdown),
                V::N(b.breakdowns_to_avert),
                V::N(Some(b.comparator_breakdowns)),
                V::N(Some(b.breakdowns_averted)),
                V::N(Some(b.net_saving)),
                V::N(Some(b.scenario_hazard_ratio)),
                V::N(b.breakeven_hazard_ratio),
                V::N(b.max_affordable_price),
                V::S(b.undefined.join("; ")),
            ]
        })
        .collect();
    table(ws, f, 1, &cols, &rows)?;
    Ok(())
}

fn inputs_sheet(ws: &mut Worksheet, f: &Formats, inputs: &[InputRow]) -> Result<(), XlsxError> {
    ws.set_name("Inputs")?;
    let cols = [
        col("Parameter", 44.0, Kind::Text),
        col("Key", 36.0, Kind::Key),
        col("Point value", 12.0, Kind::Number),
        col("Distribution (PSA)", 36.0, Kind::Text),
        col("Source", 60.0, Kind::Text),
        col("Used by", 24.0, Kind::Text),
    ];
    let rows: Vec<Vec<V>> = inputs
        .iter()
        .map(|p| {
            vec![
                V::T(&p.label),
                V::T(&p.key),
                V::N(Some(p.point)),
                V::T(&p.distribution),
                V::T(p.source.as_deref().unwrap_or("")),
                V::S(p.strategies.join(", ")),
            ]
        })
        .collect();
    table(ws, f, 0, &cols, &rows)?;
    Ok(())
}

fn dictionary_sheet(ws: &mut Worksheet, f: &Formats, written: &[&str]) -> Result<(), XlsxError> {
    ws.set_name("Data dictionary")?;
    let cols = [
        col("File", 18.0, Kind::Key),
        col("Column", 30.0, Kind::Key),
        col("Unit", 22.0, Kind::Text),
        col("Meaning", 90.0, Kind::Text),
    ];
    let mut rows = Vec::new();
    for e in dictionary::entries().into_iter().filter(|e| written.contains(&e.name)) {
        for c in e.columns {
            rows.push(vec![V::S(e.name.to_string()), V::S(c.name), V::T(c.unit), V::S(c.meaning)]);
        }
    }
    table(ws, f, 0, &cols, &rows)?;
    Ok(())
}

/// A native Excel line chart (scatter with straight lines) of `series` (name, values column)
/// against the `x` column, rows `first..=last` of `sheet`.
fn line_chart(
    sheet: &str,
    (first, last): (u32, u32),
    x: u16,
    series: &[(String, u16)],
    titles: [&str; 3],
    y_format: &str,
) -> Chart {
    let mut chart = Chart::new(ChartType::ScatterStraight);
    for (name, c) in series {
        chart
            .add_series()
            .set_name(name.as_str())
            .set_categories((sheet, first, x, last, x))
            .set_values((sheet, first, *c, last, *c));
    }
    chart.title().set_name(titles[0]);
    chart.x_axis().set_name(titles[1]);
    chart.y_axis().set_name(titles[2]).set_num_format(y_format);
    chart.legend().set_position(ChartLegendPosition::Bottom);
    chart.set_width(760).set_height(420);
    chart
}

/// Willingness to pay per breakdown averted: for each value, each strategy's probability of
/// the largest net benefit and expected net benefit, EVPI per decision and for the
/// population; the frontier with ICERs below; native charts of acceptability and EVPI.
fn values_sheet(
    ws: &mut Worksheet,
    f: &Formats,
    s: &SummaryFile,
    wtp: &[crate::wtp::WtpPoint],
    frontier: &[crate::wtp::FrontierRow],
) -> Result<(), XlsxError> {
    let name = "Values";
    ws.set_name(name)?;
    ws.write_string_with_format(
        0,
        0,
        super::verdict::wtp_sentence(wtp, &s.comparator, &super::verdict::Labels::of_summary(s)),
        &f.wrap,
    )?;
    let strategies: Vec<&str> = s.strategies.iter().map(|st| st.name.as_str()).collect();
    let labels: Vec<String> = s.strategies.iter().map(|st| st.display_label()).collect();
    let mut cols = vec![col("Willingness to pay per breakdown averted (£)", 18.0, Kind::Pounds)];
    for st in &labels {
        cols.push(col(format!("Probability of the largest net benefit: {st}"), 16.0, Kind::Share));
    }
    for st in &labels {
        cols.push(col(format!("Expected net benefit: {st} (£)"), 16.0, Kind::Pounds));
    }
    cols.push(col("EVPI per decision (£)", 14.0, Kind::Pounds));
    cols.push(col(
        format!("EVPI over {} years of cohorts (£)", super::format::number(s.decision_years, 2)),
        16.0,
        Kind::Pounds,
    ));
    let mut values: Vec<f64> = wtp.iter().map(|p| p.wtp).collect();
    values.dedup();
    let rows: Vec<Vec<V>> = values
        .iter()
        .map(|&w| {
            let at: Vec<&crate::wtp::WtpPoint> = wtp.iter().filter(|p| p.wtp == w).collect();
            let find = |st: &str| at.iter().find(|p| p.strategy == st);
            let mut row = vec![V::N(Some(w))];
            row.extend(strategies.iter().map(|st| V::N(find(st).map(|p| p.probability_best))));
            row.extend(strategies.iter().map(|st| V::N(find(st).map(|p| p.expected_net_benefit))));
            row.push(V::N(at.first().map(|p| p.evpi)));
            row.push(V::N(at.first().map(|p| p.population_evpi)));
            row
        })
        .collect();
    let top = 2;
    let next = table(ws, f, top, &cols, &rows)?;
    let span = (top + 1, next - 1);
    let n = strategies.len() as u16;
    let accept: Vec<(String, u16)> =
        strategies.iter().enumerate().map(|(i, st)| (st.to_string(), 1 + i as u16)).collect();
    let chart = line_chart(
        name,
        span,
        0,
        &accept,
        [
            "Which strategy is best, for what a breakdown averted is worth?",
            "Willingness to pay per breakdown averted (£)",
            "Probability of the largest net benefit",
        ],
        "0%",
    );
    ws.insert_chart(top, 2 * n + 4, &chart)?;
    let evpi = line_chart(
        name,
        span,
        0,
        &[("EVPI over the cohorts the decision affects".to_string(), 2 * n + 2)],
        [
            "What would resolving every uncertainty be worth?",
            "Willingness to pay per breakdown averted (£)",
            "EVPI (£)",
        ],
        POUNDS,
    );
    ws.insert_chart(top + 23, 2 * n + 4, &evpi)?;
    let enb: Vec<(String, u16)> =
        strategies.iter().enumerate().map(|(i, st)| (st.to_string(), 1 + n + i as u16)).collect();
    let enb = line_chart(
        name,
        span,
        0,
        &enb,
        [
            "Expected net benefit of each strategy",
            "Willingness to pay per breakdown averted (£)",
            "Expected net monetary benefit (£)",
        ],
        POUNDS,
    );
    ws.insert_chart(top + 46, 2 * n + 4, &enb)?;
    // The frontier, below the curves.
    let at = next + 2;
    ws.write_string_with_format(at, 0, "The cost-effectiveness frontier (means over the PSA draws)", &f.title)?;
    let fcols = [
        col("Strategy", 24.0, Kind::Key),
        col("Incremental cost (£)", 16.0, Kind::Pounds),
        col("Breakdowns averted", 14.0, Kind::Number),
        col("Standing", 18.0, Kind::Key),
        col("Dominated by", 18.0, Kind::Key),
        col("ICER: £ per extra breakdown averted", 18.0, Kind::Pounds),
    ];
    let frows: Vec<Vec<V>> = frontier
        .iter()
        .map(|r| {
            vec![
                V::S(s.label(&r.strategy)),
                V::N(Some(r.incremental_cost)),
                V::N(Some(r.breakdowns_averted)),
                V::T(&r.standing),
                V::T(&r.dominated_by),
                V::N(r.icer),
            ]
        })
        .collect();
    // The curves' header stays frozen; the frontier's is not.
    table(ws, f, at + 1, &fcols, &frows)?;
    ws.set_freeze_panes(top + 1, 0)?;
    Ok(())
}

/// The local pilot: the conclusion in words, each size's EVSI, cost and ENBS, and a native
/// chart of them.
fn pilot_sheet(
    ws: &mut Worksheet,
    f: &Formats,
    s: &SummaryFile,
    p: &crate::pilot::PilotSummary,
    rows: &[crate::pilot::EvsiRow],
) -> Result<(), XlsxError> {
    let name = "Pilot";
    ws.set_name(name)?;
    ws.merge_range(
        0,
        0,
        0,
        8,
        &super::verdict::pilot_sentence(p, rows, &s.comparator, &super::verdict::Labels::of_summary(s)),
        &f.wrap,
    )?;
    ws.set_row_height(0, 90)?;
    let cols = [
        col("Families per arm", 12.0, Kind::Count),
        col("EVSI per decision (£)", 16.0, Kind::Pounds),
        col(
            format!("Population EVSI, {} years of cohorts (£)", super::format::number(p.decision_years, 2)),
            18.0,
            Kind::Pounds,
        ),
        col("Pilot cost (£)", 14.0, Kind::Pounds),
        col("Expected net benefit of sampling (£)", 18.0, Kind::Pounds),
    ];
    let data: Vec<Vec<V>> = rows
        .iter()
        .map(|r| {
            vec![
                V::N(Some(f64::from(r.families_per_arm))),
                V::N(Some(r.evsi_per_decision)),
                V::N(Some(r.population_evsi)),
                V::N(Some(r.pilot_cost)),
                V::N(Some(r.enbs)),
            ]
        })
        .collect();
    let top = 2;
    let next = table(ws, f, top, &cols, &data)?;
    let mut chart = line_chart(
        name,
        (top + 1, next - 1),
        0,
        &[
            ("Value of the pilot's information (population EVSI)".to_string(), 2),
            ("Cost of the pilot".to_string(), 3),
            ("Expected net benefit of sampling (ENBS)".to_string(), 4),
        ],
        ["Is a local pilot worth running?", "Families in each arm (log scale)", "£"],
        POUNDS,
    );
    chart.x_axis().set_log_base(10);
    ws.insert_chart(next + 1, 0, &chart)?;
    Ok(())
}

/// Writes `results.xlsx` into `dir`. `written` names the tables the run wrote, for the data
/// dictionary.
pub fn write(dir: &Path, results: &super::RunResults, written: &[&str]) -> Result<()> {
    let (s, authorities) = (&results.summary, &results.authorities);
    let path = dir.join("results.xlsx");
    let f = Formats::new();
    let mut wb = Workbook::new();
    let ranked = standings(s);
    (|| -> Result<(), XlsxError> {
        // The same run gives the same bytes: the document's creation time is fixed instead
        // of the clock's (the run's own time is in run.json).
        let props =
            DocProperties::new().set_title(&s.title).set_creation_datetime(&ExcelDateTime::from_ymd(2000, 1, 1)?);
        wb.set_properties(&props);
        summary_sheet(wb.add_worksheet(), &f, s, &ranked)?;
        if s.budget.is_some() {
            budget_sheet(wb.add_worksheet(), &f, s)?;
        }
        if !authorities.is_empty() {
            authorities_sheet(wb.add_worksheet(), &f, s, authorities)?;
        }
        if !s.breakeven.is_empty() {
            breakeven_sheet(wb.add_worksheet(), &f, s)?;
        }
        if !results.wtp.is_empty() {
            values_sheet(wb.add_worksheet(), &f, s, &results.wtp, &results.frontier)?;
        }
        if let Some(p) = s.pilot.as_ref().filter(|_| !results.evsi.is_empty()) {
            pilot_sheet(wb.add_worksheet(), &f, s, p, &results.evsi)?;
        }
        inputs_sheet(wb.add_worksheet(), &f, &s.inputs)?;
        dictionary_sheet(wb.add_worksheet(), &f, written)?;
        wb.save(&path)
    })()
    .with_context(|| format!("cannot write {}", path.display()))
}
