//! The run report: charts and one self-contained `report.html`, drawn only from a run's
//! exported tables (`summary.json`, `iterations.parquet`, `reentry_curve.csv`, `run.json`),
//! never from engine internals, so `reunify report output/<name>/` redraws it from a saved
//! folder without re-running. The HTML inlines its SVGs and CSS, makes no network requests
//! and needs no JavaScript; its prose is generated from the same numbers as its tables, with
//! wording that follows their signs (a net cost is called a net cost).

pub mod charts;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};

use crate::analysis::{CurvePoint, Kind, Stat, find};
use crate::budget::{BudgetSummary, Payback};
use crate::decision::{AcceptPoint, TornadoRow};
use crate::metric::{Metric, Unit};
use crate::results::format::{count as thousands, money, percent};
use crate::results::table::{self, Table};
use crate::results::tables::{AuthorityRow, IterationRow};
use crate::results::verdict::{breakeven_sentence, headline_note, standings};
use crate::results::{SummaryFile, authority_rows};
use crate::voi::VoiRow;
use charts::{
    AcceptSeries, AcceptabilityChart, AuthorityChart, BudgetChart, BudgetNet, BudgetSpend, CostBar, CostChart,
    CurveSeries, EvppiChart, NetSavingChart, OutcomeChart, OutcomeGroup, PlaneChart, PlaneSeries, ReentryChart,
    SavingSeries, TornadoBar, TornadoChart, render, strategy_hex,
};

/// One PSA iteration of one strategy against the comparator, summed over authorities.
#[derive(Clone, Debug, Default)]
pub struct PsaRow {
    pub net_saving: f64,
    pub breakdowns_averted: f64,
}

/// Everything the report is drawn from, as read back from an output folder.
pub struct ReportData {
    pub summary: SummaryFile,
    pub run: serde_json::Value,
    pub curve: Vec<CurvePoint>,
    /// PSA rows by strategy name (the base case is left out).
    pub psa: BTreeMap<String, Vec<PsaRow>>,
    pub tornado: Vec<TornadoRow>,
    pub acceptability: Vec<AcceptPoint>,
    pub voi: Vec<VoiRow>,
    pub authorities: Vec<AuthorityRow>,
}

fn read_text(dir: &Path, name: &str) -> Result<String> {
    let p = dir.join(name);
    std::fs::read_to_string(&p).with_context(|| format!("cannot read {}", p.display()))
}

/// A table's rows, or none when the run did not write it.
fn optional<T: Table>(dir: &Path) -> Result<Vec<T>> {
    if table::exists::<T>(dir) { table::read(dir) } else { Ok(Vec::new()) }
}

impl ReportData {
    /// Reads a run's output folder, every table through its own type.
    pub fn load(dir: &Path) -> Result<Self> {
        let summary: SummaryFile =
            serde_json::from_str(&read_text(dir, "summary.json")?).context("summary.json is not a reunify summary")?;
        let run: serde_json::Value =
            serde_json::from_str(&read_text(dir, "run.json")?).context("run.json is not JSON")?;
        let curve: Vec<CurvePoint> = table::read(dir)?;
        let iterations: Vec<IterationRow> = table::read(dir)?;
        // Authorities are summed per (strategy, iteration); BTreeMap keeps iteration order.
        let mut by: BTreeMap<(String, u32), PsaRow> = BTreeMap::new();
        for r in iterations {
            let Some(d) = r.decisions.filter(|_| r.iteration > 0) else { continue };
            let row = by.entry((r.strategy, r.iteration)).or_default();
            row.net_saving += d[Metric::NetSaving];
            row.breakdowns_averted += d[Metric::BreakdownsAverted];
        }
        let mut psa: BTreeMap<String, Vec<PsaRow>> = BTreeMap::new();
        for ((s, _), row) in by {
            psa.entry(s).or_default().push(row);
        }
        let authorities = authority_rows(&summary);
        Ok(ReportData {
            run,
            curve,
            psa,
            tornado: optional(dir)?,
            acceptability: optional(dir)?,
            voi: optional(dir)?,
            authorities,
            summary,
        })
    }

    fn stat(&self, strategy: &str, kind: Kind, metric: Metric) -> Option<&Stat> {
        find(&self.summary.rows, strategy, kind, metric)
    }

    /// The central value of a metric: the PSA mean when there was a PSA, else the base case.
    pub fn central(&self, strategy: &str, kind: Kind, metric: Metric) -> Option<f64> {
        self.stat(strategy, kind, metric).and_then(|s| s.central(self.summary.psa_iterations > 0))
    }

    fn interval(&self, strategy: &str, kind: Kind, metric: Metric) -> Option<(f64, f64)> {
        let s = self.stat(strategy, kind, metric)?;
        if self.summary.psa_iterations > 1 { Some((s.q025?, s.q975?)) } else { None }
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn curve_chart(d: &ReportData) -> ReentryChart {
    let s = &d.summary;
    let psa = s.psa_iterations > 0;
    let series = s
        .strategies
        .iter()
        .enumerate()
        .map(|(i, st)| CurveSeries {
            name: st.name.clone(),
            index: i,
            points: d
                .curve
                .iter()
                .filter(|r| r.strategy == st.name)
                .map(|r| {
                    let mid = if psa { r.mean.unwrap_or(r.base) } else { r.base };
                    (r.month as f64, mid, r.q025.unwrap_or(mid), r.q975.unwrap_or(mid))
                })
                .collect(),
        })
        .collect();
    let targets = s
        .calibration
        .reentry
        .iter()
        .filter(|f| f.years <= s.horizon_years)
        .map(|f| (f.years * 12.0, f.target))
        .collect();
    ReentryChart { horizon_months: s.horizon_years * 12.0, series, targets }
}

fn cost_chart(d: &ReportData) -> CostChart {
    let bars = d
        .summary
        .strategies
        .iter()
        .map(|st| {
            let g = |m: Metric| d.central(&st.name, Kind::Level, m).unwrap_or(0.0);
            CostBar {
                name: st.name.clone(),
                support: g(Metric::SupportCost),
                breakdown: g(Metric::BreakdownCost),
                other: g(Metric::OtherCost),
            }
        })
        .collect();
    let what = if d.summary.psa_iterations > 0 { "PSA means" } else { "base case" };
    CostChart { bars, subtitle: format!("{what}, discounted") }
}

fn saving_chart(d: &ReportData) -> NetSavingChart {
    let series = d
        .summary
        .strategies
        .iter()
        .enumerate()
        .skip(1)
        .map(|(i, st)| {
            let values: Vec<f64> =
                d.psa.get(&st.name).map(|v| v.iter().map(|r| r.net_saving).collect()).unwrap_or_default();
            let (low, high) = d.interval(&st.name, Kind::Increment, Metric::NetSaving).unwrap_or((f64::NAN, f64::NAN));
            SavingSeries {
                name: st.name.clone(),
                index: i,
                mean: d.central(&st.name, Kind::Increment, Metric::NetSaving).unwrap_or(f64::NAN),
                p_saves: d.central(&st.name, Kind::Increment, Metric::SavesMoney).unwrap_or(f64::NAN),
                values,
                low,
                high,
            }
        })
        .collect();
    NetSavingChart { comparator: d.summary.comparator.clone(), series }
}

fn plane_chart(d: &ReportData) -> PlaneChart {
    let series = d
        .summary
        .strategies
        .iter()
        .enumerate()
        .skip(1)
        .map(|(i, st)| PlaneSeries {
            name: st.name.clone(),
            index: i,
            points: d
                .psa
                .get(&st.name)
                .map(|v| v.iter().map(|r| (r.breakdowns_averted, -r.net_saving)).collect())
                .unwrap_or_default(),
        })
        .collect();
    PlaneChart { comparator: d.summary.comparator.clone(), series }
}

fn outcome_chart(d: &ReportData) -> OutcomeChart {
    let per100 = 100.0 / d.summary.children.max(1) as f64;
    let groups = [
        (Metric::Breakdowns, "Breakdowns (all re-entries)"),
        (Metric::ChildrenWithBreakdown, "Children with any breakdown"),
        (Metric::MaltreatmentEvents, "Maltreatment events at home"),
    ]
    .iter()
    .map(|&(metric, label)| OutcomeGroup {
        label: label.to_string(),
        values: d
            .summary
            .strategies
            .iter()
            .map(|st| {
                let c = d.central(&st.name, Kind::Level, metric).unwrap_or(0.0) * per100;
                let (lo, hi) =
                    d.interval(&st.name, Kind::Level, metric).map(|(a, b)| (a * per100, b * per100)).unwrap_or((c, c));
                (c, lo, hi)
            })
            .collect(),
    })
    .collect();
    OutcomeChart { strategies: d.summary.strategies.iter().map(|s| s.name.clone()).collect(), groups }
}

const CSS: &str = r#"
body { font-family: "DejaVu Sans", Verdana, sans-serif; color: #222; max-width: 1100px; margin: 2em auto; padding: 0 1em; line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; } h2 { margin-top: 1.8em; border-bottom: 2px solid #ddd; padding-bottom: 0.2em; }
.meta { color: #555; } .headline { font-size: 1.12em; background: #f3f7fb; border-left: 5px solid #0072b2; padding: 0.8em 1em; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; margin: 0.8em 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.35em 0.5em; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; white-space: nowrap; }
figure { margin: 1.5em 0; page-break-inside: avoid; } figcaption { color: #444; font-size: 0.95em; }
svg { max-width: 100%; height: auto; display: block; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; border-radius: 2px; margin-right: 0.4em; vertical-align: middle; }
@media print { body { max-width: none; margin: 0; font-size: 10pt; } h2 { page-break-after: avoid; } @page { size: A4; margin: 15mm; } }
"#;

/// Adds a `viewBox` so inlined SVGs scale with the page.
fn responsive(svg: &str) -> String {
    if svg.contains("viewBox") {
        svg.to_string()
    } else {
        svg.replacen("<svg ", &format!("<svg viewBox=\"0 0 {} {}\" ", charts::WIDTH, charts::HEIGHT), 1)
    }
}

fn figure(svg: &str, caption: &str) -> String {
    format!("<figure>{}<figcaption>{}</figcaption></figure>\n", responsive(svg), caption)
}

fn fmt_cell(metric: Metric, v: Option<f64>) -> String {
    match v {
        None => "–".into(),
        Some(v) if metric == Metric::ReturnPerPound => format!("£{v:.2}"),
        Some(v) if metric == Metric::CostPerBreakdownAverted => money(v),
        Some(v) => match metric.unit() {
            Unit::Pounds => money(v),
            Unit::Share | Unit::Indicator => percent(v),
            Unit::Years => crate::results::format::number(v, 1),
            _ => thousands(v),
        },
    }
}

fn summary_table(d: &ReportData) -> String {
    let s = &d.summary;
    let psa = s.psa_iterations > 0;
    let mut h = String::from("<table><tr><th>Strategy</th><th>Measure</th><th class=\"num\">Estimate</th>");
    if psa {
        h.push_str("<th class=\"num\">95% interval</th>");
    }
    h.push_str("</tr>\n");
    let levels = [
        (Metric::Breakdowns, "Breakdowns (re-entries to care)"),
        (Metric::ChildrenWithBreakdown, "Children with any breakdown"),
        (Metric::ReentryShare12m, "Back in care within 12 months"),
        (Metric::MaltreatmentEvents, "Maltreatment events at home"),
        (Metric::CareYears, "Years in care after breakdowns"),
        (Metric::SupportCost, "Support cost (discounted)"),
        (Metric::BreakdownCost, "Breakdown and care cost (discounted)"),
        (Metric::OtherCost, "Other costs (discounted)"),
        (Metric::TotalCost, "Total cost (discounted)"),
        (Metric::TotalCostUndiscounted, "Total cost (undiscounted)"),
    ];
    let increments = [
        (Metric::BreakdownsAverted, "Breakdowns averted"),
        (Metric::NetSaving, "Net saving (discounted)"),
        (Metric::NetSavingUndiscounted, "Net saving (undiscounted)"),
        (Metric::CostPerBreakdownAverted, "Net cost per breakdown averted"),
        (Metric::ReturnPerPound, "Costs averted per £1 of support"),
        (Metric::SavesMoney, "Probability of saving money"),
    ];
    for (i, st) in s.strategies.iter().enumerate() {
        let rows: Vec<(Kind, Metric, &str)> = levels
            .iter()
            .map(|(m, l)| (Kind::Level, *m, *l))
            .chain(if i > 0 { increments.iter().map(|(m, l)| (Kind::Increment, *m, *l)).collect() } else { Vec::new() })
            .collect();
        for (j, (kind, m, label)) in rows.iter().enumerate() {
            let name = if j == 0 {
                format!("<span class=\"swatch\" style=\"background:{}\"></span>{}", strategy_hex(i), esc(&st.name))
            } else {
                String::new()
            };
            let _ = write!(
                h,
                "<tr><td>{name}</td><td>{label}</td><td class=\"num\">{}</td>",
                fmt_cell(*m, d.central(&st.name, *kind, *m))
            );
            if psa {
                let iv = if *m == Metric::SavesMoney {
                    "–".to_string()
                } else {
                    d.interval(&st.name, *kind, *m)
                        .map(|(a, b)| format!("{} to {}", fmt_cell(*m, Some(a)), fmt_cell(*m, Some(b))))
                        .unwrap_or_else(|| "–".into())
                };
                let _ = write!(h, "<td class=\"num\">{iv}</td>");
            }
            h.push_str("</tr>\n");
        }
    }
    h.push_str("</table>\n");
    h
}

fn what_it_takes(d: &ReportData) -> String {
    let mut h = String::new();
    for b in &d.summary.breakeven {
        let _ = writeln!(h, "<p class=\"headline\">{}</p>", esc(&breakeven_sentence(b, d.summary.horizon_years)));
    }
    if h.is_empty() {
        h.push_str("<p>The scenario has only a comparator; there is nothing to break even against.</p>");
    }
    h
}

/// The payback of one strategy over the budget window in plain English.
pub fn payback_sentence(b: &BudgetSummary, p: &Payback, psa: bool) -> String {
    let window = format!(
        "the {}-year budget window {} to {}",
        b.years,
        b.financial_years.first().map(String::as_str).unwrap_or("?"),
        b.financial_years.last().map(String::as_str).unwrap_or("?")
    );
    let year = if psa { &p.mean_year } else { &p.base_year };
    let mut t = match year {
        Some(y) => format!(
            "{} pays back in {y}: by the end of that financial year the cumulative saving on breakdowns, care and other costs covers the cumulative extra support spend, and keeps covering it to the end of the window",
            p.strategy
        ),
        None => format!(
            "{}: no payback within {window}; the cumulative saving does not cover the extra support spend by its end",
            p.strategy
        ),
    };
    if let Some(pr) = p.probability.filter(|_| psa) {
        let _ = write!(t, " (probability of payback within the window: {:.0}%)", 100.0 * pr);
    }
    match (p.breakdowns_to_avert_per_year, p.cost_per_breakdown_cash) {
        (Some(n), Some(c)) => {
            let _ = write!(
                t,
                ". To break even over the window it must avert {} breakdowns a year ({} of extra support in cash over the window, at {} of breakdown and care spend per breakdown).",
                thousands(n.ceil()),
                money(p.extra_support_cash),
                money(c)
            );
        }
        _ => t.push_str(
            ". The breakdowns it must avert to break even are undefined: the comparator has no breakdown spend in the window to avert.",
        ),
    }
    t
}

/// The budget section: payback sentences, the budget chart and a table by financial year.
fn budget_section(d: &ReportData, dir: &Path) -> Result<String> {
    let s = &d.summary;
    let Some(b) = &s.budget else { return Ok(String::new()) };
    let psa = s.psa_iterations > 0;
    let central =
        |st: &str, y: &str, line: &str| b.find(st, y, line, "cash").and_then(|x| x.central(psa)).unwrap_or(f64::NAN);
    let mut h = String::new();
    let _ = writeln!(
        h,
        "<p>Flow mode: {} cohort{} of children return{} home, one in each of the first {} financial year{} from {} (each child on a date spread evenly over its year{}), and every child is followed to the end of {}. Spend falls in the financial year in which it happens.</p>",
        b.cohorts,
        if b.cohorts == 1 { "" } else { "s" },
        if b.cohorts == 1 { "s" } else { "" },
        b.cohorts,
        if b.cohorts == 1 { "" } else { "s" },
        b.financial_years.first().map(String::as_str).unwrap_or("?"),
        if b.growth_per_year != 0.0 {
            format!("; cohorts change by {:+.1}% a year", 100.0 * b.growth_per_year)
        } else {
            String::new()
        },
        b.financial_years.last().map(String::as_str).unwrap_or("?"),
    );
    for p in &b.payback {
        let _ = writeln!(h, "<p class=\"headline\">{}</p>", esc(&payback_sentence(b, p, psa)));
    }
    let chart = BudgetChart {
        years: b.financial_years.clone(),
        comparator: s.comparator.clone(),
        spend: s
            .strategies
            .iter()
            .enumerate()
            .map(|(i, st)| BudgetSpend {
                name: st.name.clone(),
                index: i,
                years: b
                    .financial_years
                    .iter()
                    .map(|y| {
                        [
                            central(&st.name, y, "support"),
                            central(&st.name, y, "breakdown_care"),
                            central(&st.name, y, "other"),
                        ]
                    })
                    .collect(),
            })
            .collect(),
        net: s
            .strategies
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, st)| BudgetNet {
                name: st.name.clone(),
                index: i,
                years: b
                    .financial_years
                    .iter()
                    .map(|y| {
                        let x = b.find(&st.name, y, "cumulative_net", "cash");
                        let c = x.and_then(|x| x.central(psa)).unwrap_or(f64::NAN);
                        (c, x.and_then(|x| x.q025).unwrap_or(c), x.and_then(|x| x.q975).unwrap_or(c))
                    })
                    .collect(),
            })
            .collect(),
    };
    h += &figure(
        &render(&chart, dir)?,
        "Top: each bar is one strategy's spend in a financial year (undiscounted cash), split into support, breakdown and care, and other costs; outlines mark the strategy. Bottom: each line is a strategy's cumulative saving against the comparator minus its extra support spend, at the end of each financial year; above zero it is ahead, and it has paid back once it stays above zero to the end of the window. Shaded bands are 95% intervals across simulations.",
    );
    h.push_str("<table><tr><th>Strategy</th><th>Financial year</th><th class=\"num\">Support</th><th class=\"num\">Breakdown and care</th><th class=\"num\">Other</th><th class=\"num\">Total (cash)</th><th class=\"num\">Total (discounted)</th><th class=\"num\">Cumulative net position (cash)</th></tr>\n");
    for (i, st) in s.strategies.iter().enumerate() {
        for (j, y) in b.financial_years.iter().enumerate() {
            let name = if j == 0 {
                format!("<span class=\"swatch\" style=\"background:{}\"></span>{}", strategy_hex(i), esc(&st.name))
            } else {
                String::new()
            };
            let disc = b.find(&st.name, y, "total", "discounted").and_then(|x| x.central(psa)).unwrap_or(f64::NAN);
            let net = if i == 0 { "–".to_string() } else { money(central(&st.name, y, "cumulative_net")) };
            let _ = writeln!(
                h,
                "<tr><td>{name}</td><td>{y}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{net}</td></tr>",
                money(central(&st.name, y, "support")),
                money(central(&st.name, y, "breakdown_care")),
                money(central(&st.name, y, "other")),
                money(central(&st.name, y, "total")),
                money(disc),
            );
        }
    }
    h.push_str("</table>\n");
    Ok(h)
}

fn voi_table(d: &ReportData) -> String {
    let mut h = format!(
        "<table><tr><th>Uncertainty</th><th>Kind</th><th class=\"num\">Per child</th><th class=\"num\">Per cohort</th><th class=\"num\">Over {} years of cohorts</th></tr>\n",
        d.summary.decision_years
    );
    let mut rows: Vec<&VoiRow> = d.voi.iter().collect();
    rows.sort_by(|a, b| (a.kind != "all").cmp(&(b.kind != "all")).then(b.population.total_cmp(&a.population)));
    for r in rows {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&r.name),
            esc(&r.kind),
            money(r.per_child),
            money(r.per_cohort),
            money(r.population)
        );
    }
    h.push_str("</table>\n");
    h
}

fn inputs_table(d: &ReportData) -> String {
    let mut h = String::from(
        "<table><tr><th>Parameter</th><th class=\"num\">Point value</th><th>Distribution (PSA)</th><th>Source</th></tr>\n",
    );
    for p in &d.summary.inputs {
        // A parameter shared by strategies through `same_as` says so: its draw drives them all.
        let shared = if p.strategies.len() > 1 {
            format!("<br><small>one draw for {}</small>", esc(&p.strategies.join(", ")))
        } else {
            String::new()
        };
        let _ = writeln!(
            h,
            "<tr><td>{}{shared}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
            esc(&p.key),
            crate::dist::fmt_num(p.point),
            esc(&p.distribution),
            esc(p.source.as_deref().unwrap_or("–"))
        );
    }
    h.push_str("</table>\n");
    h
}

fn calibration_table(d: &ReportData) -> String {
    let c = &d.summary.calibration;
    let mut h = String::new();
    let _ = writeln!(
        h,
        "<p>Fitted baseline re-entry rates per year, by piece starting at {} years: {}.</p>",
        c.reentry_knots.iter().map(|k| crate::dist::fmt_num(*k)).collect::<Vec<_>>().join(", "),
        c.reentry_rates.iter().map(|r| format!("{r:.4}")).collect::<Vec<_>>().join(", ")
    );
    if c.reentry.is_empty() && c.maltreatment.is_empty() {
        h.push_str("<p>The scenario gives its rates directly; nothing was calibrated.</p>\n");
        return h;
    }
    h.push_str("<table><tr><th>Hazard</th><th class=\"num\">Years</th><th class=\"num\">Target share</th><th class=\"num\">Achieved (exact expectation)</th><th class=\"num\">Fitted rate per year</th></tr>\n");
    for (name, fits) in [("Re-entry", &c.reentry), ("Maltreatment", &c.maltreatment)] {
        for f in fits {
            let _ = writeln!(
                h,
                "<tr><td>{name}</td><td class=\"num\">{}</td><td class=\"num\">{:.4}%</td><td class=\"num\">{:.4}%</td><td class=\"num\">{:.4}</td></tr>",
                crate::dist::fmt_num(f.years),
                100.0 * f.target,
                100.0 * f.achieved,
                f.rate
            );
        }
    }
    h.push_str("</table>\n");
    h
}

fn run_table(d: &ReportData) -> String {
    let mut h = String::from("<table>\n");
    if let Some(obj) = d.run.as_object() {
        for (k, v) in obj {
            let v = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let _ = writeln!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v));
        }
    }
    h.push_str("</table>\n");
    h
}

/// A chart and its caption, in report order. Later analyses (tornado, acceptability,
/// budget) add their own sections through this same shape.
pub struct Section {
    pub title: String,
    pub html: String,
}

/// Draws every chart into `dir` and writes `dir/report.html`, from the tables in `dir`.
pub fn write_report(dir: &Path) -> Result<String> {
    write_report_into(dir, dir)
}

/// Draws the report of the run in `data` into the folder `dir`. Returns the HTML.
pub fn write_report_into(data: &Path, dir: &Path) -> Result<String> {
    let d = ReportData::load(data)?;
    let s = &d.summary;
    let psa = s.psa_iterations > 0;
    let mut figures = String::new();
    figures += &figure(
        &render(&curve_chart(&d), dir)?,
        "Each line is the share of children who have gone back into care at least once, by months since they returned home; shaded bands are 95% intervals across simulations, and circles mark the published figures the baseline is calibrated to.",
    );
    figures += &figure(
        &render(&cost_chart(&d), dir)?,
        "Each bar is one strategy's total discounted cost over the horizon, split into support, breakdown and care, and other costs; the figure above each bar is its total.",
    );
    if psa && s.strategies.len() > 1 {
        figures += &figure(
            &render(&saving_chart(&d), dir)?,
            &format!(
                "Each histogram shows the net saving against {} across simulations: to the right of the black zero line the strategy saves money; the solid line is the mean and dashed lines the 95% interval.",
                esc(&s.comparator)
            ),
        );
        figures += &figure(
            &render(&plane_chart(&d), dir)?,
            "Each dot is one simulation: to the right breakdowns are averted, below the line money is saved; dots in the lower-right quadrant both save money and avert breakdowns.",
        );
    }
    figures += &figure(
        &render(&outcome_chart(&d), dir)?,
        "Bars compare outcomes per 100 children returned home under each strategy; whiskers show 95% intervals across simulations.",
    );
    let mut decisions = String::new();
    // The report draws the tornado of the first non-comparator strategy; tornado.csv has all.
    let first = s.strategies.get(1).map(|st| {
        let rows: Vec<&TornadoRow> = d.tornado.iter().filter(|r| r.strategy == st.name).take(15).collect();
        (st, rows)
    });
    if let Some((st, rows)) = first.filter(|(_, rows)| !rows.is_empty()) {
        let base = s.breakeven.iter().find(|b| b.strategy == st.name).map_or(f64::NAN, |b| b.net_saving);
        let chart = TornadoChart {
            strategy: st.name.clone(),
            comparator: s.comparator.clone(),
            base,
            bars: rows
                .iter()
                .map(|r| TornadoBar {
                    label: format!(
                        "{} ({} to {})",
                        r.parameter,
                        crate::dist::fmt_num(r.low_value),
                        crate::dist::fmt_num(r.high_value)
                    ),
                    low: r.low_net_saving,
                    high: r.high_net_saving,
                })
                .collect(),
        };
        decisions += &figure(
            &render(&chart, dir)?,
            "Each bar moves one uncertain input from its 2.5% quantile (blue) to its 97.5% quantile (orange), with every other input at its point value and the same simulated children; the longest bars are the assumptions that matter most.",
        );
    }
    if !d.acceptability.is_empty() {
        let chart = AcceptabilityChart {
            series: s
                .strategies
                .iter()
                .enumerate()
                .skip(1)
                .map(|(i, st)| AcceptSeries {
                    name: st.name.clone(),
                    index: i,
                    points: d
                        .acceptability
                        .iter()
                        .filter(|p| p.strategy == st.name)
                        .map(|p| (p.price, p.probability))
                        .collect(),
                    price: st.cost,
                })
                .collect(),
        };
        decisions += &figure(
            &render(&chart, dir)?,
            "Each line shows, for a price of support per child, the share of simulations in which the strategy costs less than the comparator; the dashed line marks the scenario's price.",
        );
    }
    if !d.voi.is_empty() {
        let mut params: Vec<&VoiRow> = d.voi.iter().filter(|r| r.kind != "all").collect();
        params.sort_by(|a, b| b.population.total_cmp(&a.population));
        let chart = EvppiChart {
            decision_years: s.decision_years,
            bars: params.iter().take(15).map(|r| (format!("{} ({})", r.name, r.kind), r.population)).collect(),
        };
        decisions += &figure(
            &render(&chart, dir)?,
            "Each bar is what perfect knowledge of one input (or group of inputs) would be worth, in avoided wrong decisions, across the cohorts the decision affects; longer bars are better research buys.",
        );
        decisions += &voi_table(&d);
    }
    let authorities = &d.authorities;
    let mut by_authority = String::new();
    if let Some(first) = s.strategies.get(1) {
        let rows: Vec<&AuthorityRow> = authorities.iter().filter(|r| r.strategy == first.name).collect();
        if !rows.is_empty() {
            let chart = AuthorityChart {
                strategy: first.name.clone(),
                index: 1,
                points: rows
                    .iter()
                    .map(|r| {
                        (r.per_child(r.net_saving), r.per_child(r.net_saving_q025), r.per_child(r.net_saving_q975))
                    })
                    .map(|(c, lo, hi)| (c, if lo.is_finite() { lo } else { c }, if hi.is_finite() { hi } else { c }))
                    .collect(),
            };
            by_authority += &figure(
                &render(&chart, dir)?,
                "Each dot is one authority's net saving per child returned home, ranked from the largest saving; whiskers are 95% intervals, which are wide for small authorities.",
            );
            by_authority.push_str("<table><tr><th>Rank</th><th>Authority</th><th class=\"num\">Children</th><th class=\"num\">Net saving per child</th><th class=\"num\">Net saving</th><th class=\"num\">Breakdowns averted</th></tr>\n");
            for (i, r) in rows.iter().enumerate() {
                let _ = writeln!(
                    by_authority,
                    "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{:.1}</td></tr>",
                    i + 1,
                    esc(&r.authority),
                    thousands(r.children as f64),
                    money(r.per_child(r.net_saving)),
                    money(r.net_saving),
                    r.breakdowns_averted
                );
            }
            by_authority.push_str("</table>\n");
        }
    }
    let budget = budget_section(&d, dir)?;
    let sections = vec![
        Section { title: "What would it take?".into(), html: what_it_takes(&d) },
        Section { title: "Budget by financial year".into(), html: budget },
        Section { title: "Summary by strategy".into(), html: summary_table(&d) },
        Section { title: "Charts".into(), html: figures },
        Section {
            title: "Decision analyses: sensitivity, acceptability, value of information".into(),
            html: decisions,
        },
        Section { title: "By authority".into(), html: by_authority },
        Section { title: "Scenario inputs".into(), html: inputs_table(&d) },
        Section { title: "Calibration fit".into(), html: calibration_table(&d) },
        Section { title: "Run details".into(), html: run_table(&d) },
    ];
    let html = page(&d, &sections);
    std::fs::write(dir.join("report.html"), &html)
        .with_context(|| format!("cannot write {}", dir.join("report.html").display()))?;
    Ok(html)
}

fn page(d: &ReportData, sections: &[Section]) -> String {
    let s = &d.summary;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{CSS}</style></head><body>\n",
        esc(&s.title)
    );
    let _ = writeln!(h, "<h1>{}</h1>", esc(&s.title));
    let _ = writeln!(
        h,
        "<p class=\"meta\">{} children returning home across {} authorit{}; followed for {} years; costs in {} prices, discounted at {:.1}% a year; {}.</p>",
        thousands(s.children as f64),
        s.authorities.len(),
        if s.authorities.len() == 1 { "y" } else { "ies" },
        s.horizon_years,
        s.price_year.map(|y| y.to_string()).unwrap_or_else(|| "scenario".into()),
        100.0 * s.discount_rate,
        if s.psa_iterations > 0 {
            format!("estimates are means over {} probabilistic simulations with 95% intervals", s.psa_iterations)
        } else {
            "base case only (no probabilistic sensitivity analysis)".into()
        }
    );
    if let Some(desc) = &s.description {
        let _ = writeln!(h, "<p>{}</p>", esc(desc));
    }
    h.push_str("<h2>Headline</h2>\n");
    for st in standings(s).iter().filter(|st| !st.is_comparator) {
        let _ = writeln!(h, "<p class=\"headline\">{}</p>", esc(&st.verdict));
    }
    let _ = writeln!(h, "<p class=\"meta\">{}</p>", esc(&headline_note(s)));
    for sec in sections.iter().filter(|s| !s.html.is_empty()) {
        let _ = write!(h, "<h2>{}</h2>\n{}", esc(&sec.title), sec.html);
    }
    h.push_str("</body></html>\n");
    h
}
