//! The run report: charts and one self-contained `report.html`, drawn only from a run's
//! exported tables (`summary.json`, `iterations.parquet`, `reentry_curve.csv`, `run.json`),
//! never from engine internals, so `reunify report output/<name>/` redraws it from a saved
//! folder without re-running. The HTML inlines its SVGs and CSS, makes no network requests
//! and needs no JavaScript; its prose is generated from the same numbers as its tables, with
//! wording that follows their signs (a net cost is called a net cost).

pub mod charts;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::path::Path;

use anyhow::{Context, Result};
use polars::prelude::*;

use crate::analysis::{Stat, find};
use crate::app::output::{self, SummaryFile};
use crate::budget::{BudgetSummary, Payback};
use crate::decision::{AcceptPoint, BreakEven, TornadoRow};
use crate::voi::VoiRow;
use charts::{
    AcceptSeries, AcceptabilityChart, AuthorityChart, BudgetChart, BudgetNet, BudgetSpend, CostBar, CostChart,
    CurveSeries, EvppiChart, NetSavingChart, OutcomeChart, OutcomeGroup, PlaneChart, PlaneSeries, ReentryChart,
    SavingSeries, TornadoBar, TornadoChart, money, render, strategy_hex, thousands,
};

/// One point of `reentry_curve.csv`.
#[derive(Clone, Debug)]
pub struct CurveRow {
    pub strategy: String,
    pub month: f64,
    pub base: f64,
    pub mean: Option<f64>,
    pub q025: Option<f64>,
    pub q975: Option<f64>,
}

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
    pub curve: Vec<CurveRow>,
    /// PSA rows by strategy name (iterations ≥ 1; the base case is iteration 0).
    pub psa: BTreeMap<String, Vec<PsaRow>>,
    pub tornado: Vec<TornadoRow>,
    pub acceptability: Vec<AcceptPoint>,
    pub voi: Vec<VoiRow>,
}

fn read_tornado(dir: &Path) -> Result<Vec<TornadoRow>> {
    let df = output::read_csv(dir, "tornado.csv")?;
    let (s, p) = (output::texts(&df, "strategy")?, output::texts(&df, "parameter")?);
    let n = |c: &str| output::numbers(&df, c);
    let (lv, hv, ln, hn, la, ha, sw) = (
        n("low_value")?,
        n("high_value")?,
        n("low_net_saving")?,
        n("high_net_saving")?,
        n("low_breakdowns_averted")?,
        n("high_breakdowns_averted")?,
        n("swing")?,
    );
    Ok((0..df.height())
        .map(|i| TornadoRow {
            strategy: s[i].clone(),
            parameter: p[i].clone(),
            low_value: lv[i],
            high_value: hv[i],
            low_net_saving: ln[i],
            high_net_saving: hn[i],
            low_breakdowns_averted: la[i],
            high_breakdowns_averted: ha[i],
            swing: sw[i],
        })
        .collect())
}

fn read_text(dir: &Path, name: &str) -> Result<String> {
    let p = dir.join(name);
    std::fs::read_to_string(&p).with_context(|| format!("cannot read {}", p.display()))
}

impl ReportData {
    /// Reads a run's output folder.
    pub fn load(dir: &Path) -> Result<Self> {
        let summary: SummaryFile =
            serde_json::from_str(&read_text(dir, "summary.json")?).context("summary.json is not a reunify summary")?;
        let run: serde_json::Value =
            serde_json::from_str(&read_text(dir, "run.json")?).context("run.json is not JSON")?;

        // Every column read names its file when it is missing or damaged.
        let curve_path = dir.join("reentry_curve.csv");
        let curve = (|| -> Result<Vec<CurveRow>> {
            let df = crate::app::output::read_csv(dir, "reentry_curve.csv")?;
            let f64s = |name: &str| -> Result<Vec<Option<f64>>> {
                Ok(crate::app::output::numbers(&df, name)?.into_iter().map(|v| v.is_finite().then_some(v)).collect())
            };
            let strategies: Vec<String> =
                df.column("strategy")?.str()?.iter().map(|s| s.unwrap_or_default().to_string()).collect();
            let (month, base, mean, q025, q975) =
                (f64s("month")?, f64s("base")?, f64s("mean")?, f64s("q025")?, f64s("q975")?);
            Ok((0..df.height())
                .map(|i| CurveRow {
                    strategy: strategies[i].clone(),
                    month: month[i].unwrap_or(0.0),
                    base: base[i].unwrap_or(0.0),
                    mean: mean[i],
                    q025: q025[i],
                    q975: q975[i],
                })
                .collect())
        })()
        .with_context(|| format!("{} is not a reunify re-entry curve", curve_path.display()))?;

        let path = dir.join("iterations.parquet");
        let file = File::open(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let df = ParquetReader::new(file)
            .finish()
            .map_err(anyhow::Error::from)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let iteration: Vec<Option<u32>> = df.column("iteration")?.u32()?.iter().collect();
        let strategy: Vec<Option<&str>> = df.column("strategy")?.str()?.iter().collect();
        let net: Vec<Option<f64>> = df.column("net_saving")?.f64()?.iter().collect();
        let averted: Vec<Option<f64>> = df.column("breakdowns_averted")?.f64()?.iter().collect();
        // Authorities are summed per (strategy, iteration); BTreeMap keeps iteration order.
        let mut by: BTreeMap<(String, u32), PsaRow> = BTreeMap::new();
        for i in 0..df.height() {
            let (Some(it), Some(s)) = (iteration[i], strategy[i]) else { continue };
            if it == 0 || s == summary.comparator {
                continue;
            }
            let row = by.entry((s.to_string(), it)).or_default();
            row.net_saving += net[i].unwrap_or(0.0);
            row.breakdowns_averted += averted[i].unwrap_or(0.0);
        }
        let mut psa: BTreeMap<String, Vec<PsaRow>> = BTreeMap::new();
        for ((s, _), row) in by {
            psa.entry(s).or_default().push(row);
        }
        let tornado = if dir.join("tornado.csv").exists() { read_tornado(dir)? } else { Vec::new() };
        let acceptability = if dir.join("acceptability.csv").exists() {
            let df = output::read_csv(dir, "acceptability.csv")?;
            let (s, p, q) =
                (output::texts(&df, "strategy")?, output::numbers(&df, "price")?, output::numbers(&df, "probability")?);
            (0..df.height()).map(|i| AcceptPoint { strategy: s[i].clone(), price: p[i], probability: q[i] }).collect()
        } else {
            Vec::new()
        };
        let voi = if dir.join("evppi.csv").exists() {
            let df = output::read_csv(dir, "evppi.csv")?;
            let (k, n) = (output::texts(&df, "kind")?, output::texts(&df, "name")?);
            let (a, b, c) = (
                output::numbers(&df, "per_cohort")?,
                output::numbers(&df, "per_child")?,
                output::numbers(&df, "population")?,
            );
            (0..df.height())
                .map(|i| VoiRow {
                    kind: k[i].clone(),
                    name: n[i].clone(),
                    per_cohort: a[i],
                    per_child: b[i],
                    population: c[i],
                })
                .collect()
        } else {
            Vec::new()
        };
        Ok(ReportData { summary, run, curve, psa, tornado, acceptability, voi })
    }

    fn stat(&self, strategy: &str, kind: &str, metric: &str) -> Option<&Stat> {
        find(&self.summary.rows, strategy, kind, metric)
    }

    /// The central value of a metric: the PSA mean when there was a PSA, else the base case.
    pub fn central(&self, strategy: &str, kind: &str, metric: &str) -> Option<f64> {
        self.stat(strategy, kind, metric).and_then(|s| s.central(self.summary.psa_iterations > 0))
    }

    fn interval(&self, strategy: &str, kind: &str, metric: &str) -> Option<(f64, f64)> {
        let s = self.stat(strategy, kind, metric)?;
        if self.summary.psa_iterations > 1 { Some((s.q025?, s.q975?)) } else { None }
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// "a net saving of £x" or "a net cost of £x", following the sign.
pub fn net_phrase(v: f64) -> String {
    if v >= 0.0 { format!("a net saving of {}", money(v)) } else { format!("a net cost of {}", money(-v)) }
}

/// The plain-English headline for each non-comparator strategy, as plain text (the HTML
/// writer escapes it).
pub fn headlines(d: &ReportData) -> Vec<String> {
    let s = &d.summary;
    let mut out = Vec::new();
    for st in s.strategies.iter().skip(1) {
        let n = st.name.as_str();
        let g = |kind: &str, m: &str| d.central(n, kind, m).unwrap_or(f64::NAN);
        let support = g("increment", "support_cost");
        let averted = g("increment", "breakdowns_averted");
        let costs_averted = -(g("increment", "breakdown_cost") + g("increment", "other_cost"));
        let net = g("increment", "net_saving");
        let whom = if st.offered_to == "all children" {
            format!("all {} children returned home", thousands(s.children as f64))
        } else {
            format!("{} (of {} children returned home)", st.offered_to, thousands(s.children as f64))
        };
        let mut t = format!(
            "Offering {n} to {whom}, at {} per child ({:.0}% take-up), costs {} in support and ",
            money(st.cost),
            100.0 * st.take_up,
            money(support)
        );
        let verb = if averted >= 0.0 { "averts" } else { "adds" };
        let _ = write!(t, "{verb} an estimated {} breakdowns", thousands(averted.abs()));
        if let Some((lo, hi)) = d.interval(n, "increment", "breakdowns_averted") {
            let _ = write!(t, " (95% interval {} to {} averted)", thousands(lo), thousands(hi));
        }
        let saved = if costs_averted >= 0.0 {
            format!("saving {} in breakdown and care costs", money(costs_averted))
        } else {
            format!("adding {} in breakdown and care costs", money(-costs_averted))
        };
        let _ = write!(t, ", {saved}: {}", net_phrase(net));
        if let Some((lo, hi)) = d.interval(n, "increment", "net_saving") {
            let _ = write!(t, " (95% interval from {} to {})", net_phrase(lo), net_phrase(hi));
        }
        let _ = write!(t, " over {} years, discounted at {:.1}%.", s.horizon_years, 100.0 * s.discount_rate);
        if s.psa_iterations > 0 {
            if let Some(p) = d.central(n, "increment", "saves_money") {
                let _ = write!(t, " It saves money in {:.0}% of {} simulations.", 100.0 * p, s.psa_iterations);
            }
        }
        if let Some(b) = &s.budget
            && let Some(p) = b.payback.iter().find(|p| p.strategy == n)
        {
            let _ = write!(t, " {}", payback_sentence(b, p, s.psa_iterations > 0));
        }
        out.push(t);
    }
    out
}

/// The break-even figures of one strategy in plain English.
pub fn breakeven_sentence(b: &BreakEven, horizon_years: f64) -> String {
    let per = if b.cost_basis == "per_supported_year" { "per child-year" } else { "per child" };
    if b.support_cost == 0.0 && b.max_affordable_price.is_none() {
        return format!(
            "{} at {} {per} costs and averts nothing in this scenario, so break-even does not apply: {}.",
            b.strategy,
            money(b.price),
            b.undefined.join("; ")
        );
    }
    let (Some(to_avert), Some(rate), Some(at_breakeven)) = (b.breakdowns_to_avert, b.comparator_rate, b.breakeven_rate)
    else {
        return format!(
            "{} at {} {per}: break-even is undefined for this scenario: {}.",
            b.strategy,
            money(b.price),
            b.undefined.join("; ")
        );
    };
    let mut t = format!(
        "{} at {} {per} pays for itself if it prevents at least {} of the {} breakdowns over {} year{}, taking the breakdown rate from {:.1}% to {:.1}% of children returned",
        b.strategy,
        money(b.price),
        thousands(to_avert.ceil()),
        thousands(b.comparator_breakdowns),
        horizon_years,
        if horizon_years == 1.0 { "" } else { "s" },
        100.0 * rate,
        100.0 * at_breakeven,
    );
    match b.breakeven_hazard_ratio {
        Some(hr) if hr < 1.0 => {
            let _ = write!(
                t,
                "; that is, if it lowers the re-entry hazard of supported families by {:.0}% or more (a hazard ratio of {:.2} or lower; the scenario assumes {:.2}).",
                100.0 * (1.0 - hr),
                hr,
                b.scenario_hazard_ratio
            );
        }
        Some(hr) => {
            let _ = write!(t, "; it pays for itself even with a re-entry hazard ratio as high as {hr:.2}.");
        }
        None => t.push_str("; no effect on re-entry alone would make it pay for itself at this price."),
    }
    let _ = write!(
        t,
        " At the scenario's assumed effect it averts about {} breakdowns, {}",
        thousands(b.breakdowns_averted),
        net_phrase(b.net_saving),
    );
    match b.max_affordable_price {
        Some(p) => {
            let _ = write!(t, "; it would be cost-neutral at a price of up to {} {per}.", money(p));
        }
        None => t.push('.'),
    }
    if !b.undefined.is_empty() {
        let _ = write!(t, " Note: {}.", b.undefined.join("; "));
    }
    t
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
                    (r.month, mid, r.q025.unwrap_or(mid), r.q975.unwrap_or(mid))
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
            let g = |m: &str| d.central(&st.name, "level", m).unwrap_or(0.0);
            CostBar {
                name: st.name.clone(),
                support: g("support_cost"),
                breakdown: g("breakdown_cost"),
                other: g("other_cost"),
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
            let (low, high) = d.interval(&st.name, "increment", "net_saving").unwrap_or((f64::NAN, f64::NAN));
            SavingSeries {
                name: st.name.clone(),
                index: i,
                mean: d.central(&st.name, "increment", "net_saving").unwrap_or(f64::NAN),
                p_saves: d.central(&st.name, "increment", "saves_money").unwrap_or(f64::NAN),
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
        ("breakdowns", "Breakdowns (all re-entries)"),
        ("children_with_breakdown", "Children with any breakdown"),
        ("maltreatment_events", "Maltreatment events at home"),
    ]
    .iter()
    .map(|(metric, label)| OutcomeGroup {
        label: label.to_string(),
        values: d
            .summary
            .strategies
            .iter()
            .map(|st| {
                let c = d.central(&st.name, "level", metric).unwrap_or(0.0) * per100;
                let (lo, hi) =
                    d.interval(&st.name, "level", metric).map(|(a, b)| (a * per100, b * per100)).unwrap_or((c, c));
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

fn fmt_cell(metric: &str, v: Option<f64>) -> String {
    match v {
        None => "–".into(),
        Some(v) if metric.contains("cost") || metric.starts_with("net_saving") => money(v),
        Some(v) if metric.starts_with("reentry_share") || metric == "saves_money" => format!("{:.1}%", 100.0 * v),
        Some(v) if metric == "return_per_pound" => format!("£{v:.2}"),
        Some(v) => thousands(v),
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
        ("breakdowns", "Breakdowns (re-entries to care)"),
        ("children_with_breakdown", "Children with any breakdown"),
        ("reentry_share_12m", "Back in care within 12 months"),
        ("maltreatment_events", "Maltreatment events at home"),
        ("care_years", "Years in care after breakdowns"),
        ("support_cost", "Support cost (discounted)"),
        ("breakdown_cost", "Breakdown and care cost (discounted)"),
        ("other_cost", "Other costs (discounted)"),
        ("total_cost", "Total cost (discounted)"),
        ("total_cost_undiscounted", "Total cost (undiscounted)"),
    ];
    let increments = [
        ("breakdowns_averted", "Breakdowns averted"),
        ("net_saving", "Net saving (discounted)"),
        ("net_saving_undiscounted", "Net saving (undiscounted)"),
        ("cost_per_breakdown_averted", "Net cost per breakdown averted"),
        ("return_per_pound", "Costs averted per £1 of support"),
        ("saves_money", "Probability of saving money"),
    ];
    for (i, st) in s.strategies.iter().enumerate() {
        let rows: Vec<(&str, &str, &str)> = levels
            .iter()
            .map(|(m, l)| ("level", *m, *l))
            .chain(if i > 0 { increments.iter().map(|(m, l)| ("increment", *m, *l)).collect() } else { Vec::new() })
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
                fmt_cell(m, d.central(&st.name, kind, m))
            );
            if psa {
                let iv = if *m == "saves_money" {
                    "–".to_string()
                } else {
                    d.interval(&st.name, kind, m)
                        .map(|(a, b)| format!("{} to {}", fmt_cell(m, Some(a)), fmt_cell(m, Some(b))))
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
    let authorities = output::authority_rows(s);
    let mut by_authority = String::new();
    if let Some(first) = s.strategies.get(1) {
        let rows: Vec<&output::AuthorityRow> = authorities.iter().filter(|r| r.strategy == first.name).collect();
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
                    thousands(r.children),
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
    for line in headlines(d) {
        let _ = writeln!(h, "<p class=\"headline\">{}</p>", esc(&line));
    }
    for sec in sections.iter().filter(|s| !s.html.is_empty()) {
        let _ = write!(h, "<h2>{}</h2>\n{}", esc(&sec.title), sec.html);
    }
    h.push_str("</body></html>\n");
    h
}
