//! The run report: charts and one self-contained `report.html`, drawn only from a run's
//! exported tables (read through the results layer's table types), never from engine
//! internals, so `reunify report output/<name>/` redraws it from a saved folder without
//! re-running. The page opens with the verdict, the ranked strategies and the chart that
//! carries the decision; the detail follows. It inlines its SVGs and CSS, makes no network
//! requests and needs no JavaScript. HTML is built with `maud`, which escapes every
//! interpolated string, so a name such as `<script>` is shown as text.

pub mod charts;
pub mod cheers;
pub mod compare;
pub mod figures;
pub mod fit_page;

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::analysis::Kind;
use crate::metric::{Metric, Unit};
use crate::results::format::{count, money, number, percent, percent0};
use crate::results::table;
use crate::results::tables::IterationRow;
use crate::results::verdict::{Standing, breakeven_sentence, headline_note, payback_sentence, standings};
use crate::results::{RunResults, SummaryFile};
use crate::voi::VoiRow;
use charts::{Chart, Drawn, strategy_hex};

/// One PSA iteration of one strategy against the comparator, summed over authorities.
#[derive(Clone, Debug, Default)]
pub struct PsaRow {
    pub net_saving: f64,
    pub breakdowns_averted: f64,
}

/// Everything the report is drawn from, as read back from an output folder: the run's
/// results, `run.json`, and the PSA rows summed from `iterations`. It derefs to the
/// [`RunResults`], so `d.tornado` is the run's tornado table.
pub struct ReportData {
    pub results: RunResults,
    pub run: serde_json::Value,
    /// PSA rows by strategy name (the base case is left out).
    pub psa: PsaRows,
}

impl std::ops::Deref for ReportData {
    type Target = RunResults;
    fn deref(&self) -> &RunResults {
        &self.results
    }
}

/// PSA rows by strategy name, the base case left out.
pub type PsaRows = BTreeMap<String, Vec<PsaRow>>;

impl ReportData {
    /// Reads a run's output folder through [`RunResults::read`]. `psa`, when given, stands in
    /// for summing the `iterations` table (a run passes the rows it has in memory).
    pub fn load(dir: &Path, psa: Option<PsaRows>) -> Result<Self> {
        let results = RunResults::read(dir)?;
        let path = dir.join("run.json");
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let run: serde_json::Value = serde_json::from_str(&text).context("run.json is not JSON")?;
        let psa = match psa {
            Some(psa) => psa,
            None => Self::read_psa(dir)?,
        };
        Ok(ReportData { results, run, psa })
    }

    /// PSA rows summed from the `iterations` table.
    fn read_psa(dir: &Path) -> Result<PsaRows> {
        // Authorities are summed per (strategy, iteration); BTreeMap keeps iteration order.
        // Only the columns the charts need are read, row by row.
        let mut by: BTreeMap<(String, u32), PsaRow> = BTreeMap::new();
        let needed = ["iteration", "strategy", Metric::NetSaving.name(), Metric::BreakdownsAverted.name()];
        table::read_each::<IterationRow>(dir, Some(&needed), |r| {
            let Some(d) = r.decisions.filter(|_| r.iteration > 0) else { return };
            let row = by.entry((r.strategy.to_string(), r.iteration)).or_default();
            row.net_saving += d[Metric::NetSaving];
            row.breakdowns_averted += d[Metric::BreakdownsAverted];
        })?;
        let mut psa = PsaRows::new();
        for ((s, _), row) in by {
            psa.entry(s).or_default().push(row);
        }
        Ok(psa)
    }

    /// The central value of a metric (see [`SummaryFile::central`]).
    pub fn central(&self, strategy: &str, kind: Kind, metric: Metric) -> Option<f64> {
        self.summary.central(strategy, kind, metric)
    }

    /// The 95% interval over the PSA (see [`SummaryFile::interval`]).
    pub fn interval(&self, strategy: &str, kind: Kind, metric: Metric) -> Option<(f64, f64)> {
        self.summary.interval(strategy, kind, metric)
    }
}

/// What a parameter's values are, for writing them in their units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ValueUnit {
    Pounds,
    Share,
    HazardRatio,
    Years,
    PerYear,
    #[default]
    Number,
}

impl ValueUnit {
    /// The unit in words, for a control's label.
    pub fn describe(self) -> &'static str {
        match self {
            ValueUnit::Pounds => "£",
            ValueUnit::Share => "share (0 to 1)",
            ValueUnit::HazardRatio => "hazard ratio (1 = no effect)",
            ValueUnit::Years => "years",
            ValueUnit::PerYear => "per year",
            ValueUnit::Number => "",
        }
    }
}

/// The unit of a parameter, from its key.
pub fn value_unit(key: &str) -> ValueUnit {
    let last = key.rsplit('.').next().unwrap_or(key);
    if key.ends_with(".cost") || (key.contains("cost.") && key.ends_with(".amount")) {
        ValueUnit::Pounds
    } else if last.starts_with("hr_") {
        ValueUnit::HazardRatio
    } else if ["take_up", "prevalence", "share", "return_home_probability", "discount_rate"].contains(&last) {
        ValueUnit::Share
    } else if last == "median_years" {
        ValueUnit::Years
    } else if last.starts_with("rate[") {
        ValueUnit::PerYear
    } else {
        ValueUnit::Number
    }
}

/// A parameter value in its unit: "£5,627", "70.0%", "0.75", "1.5 years", "0.31 a year".
pub fn fmt_value(v: f64, unit: ValueUnit) -> String {
    match unit {
        ValueUnit::Pounds => money(v),
        ValueUnit::Share => percent(v),
        ValueUnit::HazardRatio => format!("{v:.2}"),
        ValueUnit::Years => format!("{} years", number(v, 2)),
        ValueUnit::PerYear => format!("{} a year", number(v, 3)),
        ValueUnit::Number => number(v, 3),
    }
}

pub(crate) const CSS: &str = r#"
body { font-family: "DejaVu Sans", Verdana, sans-serif; color: #222; max-width: 1100px; margin: 1.2em auto; padding: 0 1em; line-height: 1.45; }
h1 { font-size: 1.55em; margin: 0 0 0.2em; } h2 { margin-top: 1.8em; border-bottom: 2px solid #ddd; padding-bottom: 0.2em; }
.meta { color: #555; margin: 0.2em 0; } tr.detail td { color: #555; font-size: 0.88em; border-top: none; padding-top: 0; } .headline { font-size: 1.08em; background: #f3f7fb; border-left: 5px solid #0072b2; padding: 0.6em 1em; margin: 0.6em 0; }
#verdict h2 { margin-top: 0.6em; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; margin: 0.8em 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.35em 0.5em; text-align: left; vertical-align: top; }
td.num { text-align: right; white-space: nowrap; } th.num { text-align: right; }
th { font-size: 0.95em; } tr.not-reported td { color: #666; } pre.diagram { font-size: 0.85em; background: #f7f7f7; padding: 0.8em; overflow-x: auto; } tr.best td { font-weight: bold; background: #eef7f1; }
figure { margin: 1.5em 0; page-break-inside: avoid; } figcaption { color: #444; font-size: 0.95em; }
svg { max-width: 100%; height: auto; display: block; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; border-radius: 2px; margin-right: 0.4em; vertical-align: middle; }
@media print { body { max-width: none; margin: 0; font-size: 10pt; } h2 { page-break-after: avoid; } @page { size: A4; margin: 15mm; } }
"#;

/// Adds a `viewBox` so inlined SVGs scale with the page.
fn responsive(svg: &str, (w, h): (u32, u32)) -> String {
    if svg.contains("viewBox") {
        svg.to_string()
    } else {
        svg.replacen("<svg ", &format!("<svg viewBox=\"0 0 {w} {h}\" "), 1)
    }
}

/// Draws a chart into `dir` and returns it as a figure with its caption.
/// The chart is an image to assistive technology, named by its message and its caption.
fn figure<C: Chart>(chart: &C, dir: &Drawn, caption: &str) -> Result<Markup> {
    let svg = dir.draw(chart)?;
    let message = chart.message();
    let alt = if message.is_empty() { caption.to_string() } else { format!("{message} {caption}") };
    let alt = alt.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;");
    let svg = responsive(&svg, chart.size()).replacen("<svg ", &format!("<svg role=\"img\" aria-label=\"{alt}\" "), 1);
    Ok(html! { figure { (PreEscaped(svg)) figcaption { (caption) } } })
}

fn swatch(i: usize) -> Markup {
    html! { span.swatch style={ "background:" (strategy_hex(i)) } {} }
}

/// A 95% interval in words, money at one scale.
fn interval_text(metric: Metric, iv: Option<(f64, f64)>) -> String {
    match iv {
        None => "–".into(),
        Some((a, b)) if metric.unit() == Unit::Pounds && metric != Metric::ReturnPerPound => {
            crate::results::format::money_range(a, b)
        }
        Some((a, b)) => format!("{} to {}", fmt_cell(metric, Some(a)), fmt_cell(metric, Some(b))),
    }
}

fn opt(v: Option<f64>, f: fn(f64) -> String) -> String {
    v.map(f).unwrap_or_else(|| "–".into())
}

fn ranked_table(d: &ReportData, ranked: &[Standing]) -> Markup {
    let s = &d.summary;
    let psa = s.psa_iterations > 0;
    let flow = s.budget.is_some();
    let index = |name: &str| s.strategies.iter().position(|st| st.name == name).unwrap_or(0);
    html! {
        table {
            tr {
                th { "Rank" } th { "Strategy" } th { "Offered to" }
                th.num { "Extra support cost" } th.num { "Breakdowns averted" }
                th.num { "Net saving" }
                @if psa { th.num { "Probability of saving money" } }
                @if flow { th { "Payback year" } }
                th.num { "Break-even cut in re-entries" } th.num { "Break-even price" }
            }
            @for st in ranked {
                tr {
                    td { (st.rank) }
                    td { (swatch(index(&st.strategy))) (st.label) @if st.is_comparator { " (comparator)" } }
                    td { (st.offered_to) }
                    td.num { (opt(st.support_cost, money)) }
                    td.num {
                        (opt(st.breakdowns_averted, count))
                        @if let Some((a, b)) = st.breakdowns_averted_interval { br; small { (count(a)) " to " (count(b)) } }
                    }
                    td.num {
                        (opt(st.net_saving, money))
                        @if let Some((a, b)) = st.net_saving_interval { br; small { (money(a)) " to " (money(b)) } }
                    }
                    @if psa { td.num { (opt(st.probability_saves, percent0)) } }
                    @if flow { td { (st.payback.clone().unwrap_or_else(|| if st.is_comparator { "–".into() } else { "none in the window".into() })) } }
                    td.num { (opt(st.breakeven_effect, percent0)) }
                    td.num { (opt(st.breakeven_price, money)) }
                }
            }
        }
    }
}

fn fmt_cell(metric: Metric, v: Option<f64>) -> String {
    match v {
        None => "–".into(),
        Some(v) if metric == Metric::ReturnPerPound => crate::results::format::money_pence(v),
        Some(v) if metric == Metric::CostPerBreakdownAverted => money(v),
        Some(v) => match metric.unit() {
            Unit::Pounds => money(v),
            Unit::Share | Unit::Indicator => percent(v),
            Unit::Years => number(v, 1),
            _ => count(v),
        },
    }
}

fn summary_table(d: &ReportData) -> Markup {
    let s = &d.summary;
    let psa = s.psa_iterations > 0;
    let levels = [
        Metric::Breakdowns,
        Metric::ChildrenWithBreakdown,
        Metric::ReentryShare12m,
        Metric::MaltreatmentEvents,
        Metric::CareYears,
        Metric::SupportCost,
        Metric::BreakdownCost,
        Metric::OtherCost,
        Metric::TotalCost,
        Metric::TotalCostUndiscounted,
    ];
    let increments = [
        Metric::BreakdownsAverted,
        Metric::NetSaving,
        Metric::NetSavingUndiscounted,
        Metric::CostPerBreakdownAverted,
        Metric::ReturnPerPound,
        Metric::SavesMoney,
    ];
    html! {
        table {
            tr { th { "Strategy" } th { "Measure" } th.num { "Estimate" } @if psa { th.num { "95% interval" } } }
            @for (i, st) in s.strategies.iter().enumerate() {
                @let rows: Vec<(Kind, Metric)> = levels.iter().map(|m| (Kind::Level, *m))
                    .chain(increments.iter().filter(|_| i > 0).map(|m| (Kind::Increment, *m))).collect();
                @for (j, (kind, m)) in rows.iter().enumerate() {
                    tr {
                        td { @if j == 0 { (swatch(i)) (st.display_label()) } }
                        td { (m.label()) @if m.unit() == Unit::Pounds && !m.name().ends_with("undiscounted") && *m != Metric::NetSavingUndiscounted { " (discounted)" } }
                        td.num { (fmt_cell(*m, d.central(&st.name, *kind, *m))) }
                        @if psa {
                            td.num {
                                @if *m == Metric::SavesMoney { "–" } @else {
                                    (interval_text(*m, d.interval(&st.name, *kind, *m)))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn budget_table(d: &ReportData) -> Markup {
    let s = &d.summary;
    let Some(b) = &s.budget else { return html! {} };
    let psa = s.psa_iterations > 0;
    let central = |st: &str, y: &str, line: &str, basis: &str| {
        b.find(st, y, line, basis).and_then(|x| x.central(psa)).unwrap_or(f64::NAN)
    };
    html! {
        table {
            tr {
                th { "Strategy" } th { "Financial year" } th.num { "Support" } th.num { "Breakdown and care" } th.num { "Other" }
                th.num { "Total (cash)" } th.num { "Total (discounted)" } th.num { "Cumulative net position (cash)" }
            }
            @for (i, st) in s.strategies.iter().enumerate() {
                @for (j, y) in b.financial_years.iter().enumerate() {
                    tr {
                        td { @if j == 0 { (swatch(i)) (st.display_label()) } }
                        td { (y) }
                        td.num { (money(central(&st.name, y, "support", "cash"))) }
                        td.num { (money(central(&st.name, y, "breakdown_care", "cash"))) }
                        td.num { (money(central(&st.name, y, "other", "cash"))) }
                        td.num { (money(central(&st.name, y, "total", "cash"))) }
                        td.num { (money(central(&st.name, y, "total", "discounted"))) }
                        td.num { @if i == 0 { "–" } @else { (money(central(&st.name, y, "cumulative_net", "cash"))) } }
                    }
                }
            }
        }
    }
}

fn voi_table(d: &ReportData) -> Markup {
    let mut rows: Vec<&VoiRow> = d.voi.iter().collect();
    rows.sort_by(|a, b| (a.kind != "all").cmp(&(b.kind != "all")).then(b.population.total_cmp(&a.population)));
    html! {
        table {
            tr {
                th { "Uncertainty" } th { "Kind" } th.num { "Per child" } th.num { "Per cohort" }
                th.num { "Over " (number(d.summary.decision_years, 1)) " years of cohorts" }
            }
            @for r in rows {
                tr {
                    td { (if r.label.is_empty() { &r.name } else { &r.label }) }
                    td { (r.kind) }
                    td.num { (money(r.per_child)) } td.num { (money(r.per_cohort)) } td.num { (money(r.population)) }
                }
            }
        }
    }
}

fn inputs_table(d: &ReportData) -> Markup {
    html! {
        table {
            tr { th { "Parameter" } th.num { "Point value" } th { "Distribution (PSA)" } th { "Source" } }
            @for p in &d.summary.inputs {
                tr {
                    td {
                        (if p.label.is_empty() { &p.key } else { &p.label })
                        br; small { code { (p.key) } }
                        // A parameter shared by strategies through `same_as` says so: its draw drives them all.
                        @if p.strategies.len() > 1 { br; small { "one draw for " (p.strategies.iter().map(|n| d.summary.label(n)).collect::<Vec<_>>().join(", ")) } }
                    }
                    td.num { (fmt_value(p.point, value_unit(&p.key))) }
                    td { (p.distribution) }
                    td { (p.source.as_deref().unwrap_or("–")) }
                }
            }
        }
    }
}

fn calibration_section(d: &ReportData, local: Option<&Markup>) -> Markup {
    let c = &d.summary.calibration;
    let knots: Vec<String> = c.reentry_knots.iter().map(|k| number(*k, 2)).collect();
    let rates: Vec<String> = c.reentry_rates.iter().map(|r| format!("{r:.4}")).collect();
    html! {
        p { "Fitted baseline re-entry rates per year, by piece starting at " (knots.join(", ")) " years: " (rates.join(", ")) "." }
        @if let Some(figure) = local {
            p { "The baseline was fitted to this authority's own children (reunify import-903). Its observed share back in care is set beside the model's:" }
            (figure)
        }
        @if let Some(share) = c.ended_at_18 {
            p { "Each child draws an age at the return home from the scenario's ages, and nobody re-enters care from their 18th birthday: "
                (percent(share)) " of the children returning home turn 18 within the " (number(d.summary.horizon_years, 0)) " years followed, and their paths (at home or in care) end there." }
        }
        @if c.reentry.is_empty() && c.maltreatment.is_empty() {
            p { "The scenario gives its rates directly; nothing was calibrated." }
        } @else {
            table {
                tr { th { "Hazard" } th.num { "Years" } th.num { "Target share" } th.num { "Achieved (exact expectation)" } th.num { "Fitted rate per year" } }
                @for (name, fits) in [("Re-entry", &c.reentry), ("Maltreatment", &c.maltreatment)] {
                    @for f in fits {
                        tr {
                            td { (name) } td.num { (number(f.years, 2)) }
                            td.num { (format!("{:.2}%", 100.0 * f.target)) } td.num { (format!("{:.2}%", 100.0 * f.achieved)) }
                            td.num { (format!("{:.4}", f.rate)) }
                        }
                    }
                }
            }
        }
        @for (name, scale) in [("re-entry", &c.reentry_scale), ("maltreatment", &c.maltreatment_scale)] {
                @if let Some(f) = scale {
                    p {
                        "The " (name) " rates keep the shape fitted above and are multiplied by one factor, "
                        (format!("{:.4}", f.factor)) ", so that " (format!("{:.2}%", 100.0 * f.target))
                        " are back within " (number(f.years, 2)) " years (achieved " (format!("{:.2}%", 100.0 * f.achieved))
                        "); the shares achieved at the shape's targets are the scaled hazard's."
                    }
                }
            }
    }
}

/// The external validation appendix: each published figure beside the model's prediction,
/// what the figure counts, and what the agreements and disagreements mean.
fn validation_section(d: &ReportData, chart: Option<&Markup>) -> Markup {
    let pct = crate::results::format::percent;
    html! {
        p {
            "Each row sets a figure published from independent national data against the model's prediction for the comparator ("
            (d.summary.prose_label(&d.summary.comparator)) "). None of them is a figure the scenario was calibrated to, and none was used to tune it. "
            "A figure lies inside when, within its rounding, it meets the 95% interval across simulations."
        }
        table {
            tr { th { "Figure" } th { "Published" } th { "Source" } th.num { "Predicted" } th.num { "95% interval" } th { "Inside" } }
            @for r in &d.validation {
                tr {
                    td { (r.figure) }
                    td { (r.published) }
                    td { (crate::report::charts::short_source(&r.source)) }
                    td.num { (opt(r.mean, pct)) }
                    td.num { (match (r.q025, r.q975) { (Some(lo), Some(hi)) => format!("{} to {}", pct(lo), pct(hi)), _ => format!("beyond this run's {}-year horizon", number(d.summary.horizon_years, 2)) }) }
                    td { (match r.inside { Some(true) => "yes", Some(false) => "no", None => "–" }) }
                }
                tr.detail {
                    td colspan="6" {
                        "Population: " (r.population) ". Period: " (r.period) ". Definition: " (r.definition) ". Source: " (r.source) "."
                    }
                }
            }
        }
        @if let Some(f) = chart { (f) }
        p { (crate::results::verdict::validation_reading(&d.validation)) }
        p.meta { code { "reunify reproduce --external" } " runs each shipped scenario long enough to predict all of its figures." }
    }
}

/// What perfect information is worth where the decision is most uncertain, and how much of it
/// is about the largest group of inputs.
/// The pilot's sizes: EVSI per decision and for the population, cost and ENBS, the best
/// size marked, and what the trial and its costs are.
fn evsi_table(d: &ReportData, p: &crate::pilot::PilotSummary) -> Markup {
    html! {
        table {
            tr { th.num { "Families per arm" } th.num { "EVSI per decision" } th.num { "Population EVSI" } th.num { "Pilot cost" } th.num { "Expected net benefit (ENBS)" } }
            @for r in &d.evsi {
                tr.best[p.best_families_per_arm == Some(r.families_per_arm)] {
                    td.num { (count(r.families_per_arm as f64)) } td.num { (money(r.evsi_per_decision)) }
                    td.num { (money(r.population_evsi)) } td.num { (money(r.pilot_cost)) } td.num { (money(r.enbs)) }
                }
            }
        }
        p.meta {
            "The trial enrols children the strategy would offer support to, two arms of equal size, and counts those back in care within the follow-up in each. "
            "EVSI is estimated by regression on the simulated trial results (Strong, Oakley, Brennan and Breeze 2015); population figures count "
            (number(p.decision_years, 2)) " cohorts. The pilot costs " (money(p.fixed_cost)) " plus " (money(p.cost_per_family))
            " per family enrolled in either arm. It is assumed to report before the decision is made; the support its families receive, and what that averts, are left out of its cost. evsi.csv has every size."
            @if let Some(src) = &p.source { " Sources: " (src) "." }
        }
    }
}

fn voi_at_wtp_sentence(d: &ReportData) -> Option<String> {
    let all = d.voi_at_wtp.iter().find(|r| r.row.kind == "all")?;
    let top = d
        .voi_at_wtp
        .iter()
        .filter(|r| r.row.kind == "group")
        .max_by(|a, b| a.row.per_cohort.total_cmp(&b.row.per_cohort));
    let mut t = format!(
        "At {} per breakdown averted, where the choice is most uncertain, perfect information would be worth {} for each cohort's decision ({} over {} years of cohorts)",
        money(all.wtp),
        money(all.row.per_cohort),
        money(all.row.population),
        number(d.summary.decision_years, 1)
    );
    if let Some(g) = top {
        t.push_str(&format!("; {} of it would come from knowing the {} exactly", money(g.row.per_cohort), g.row.name));
    }
    t.push_str(". evppi_wtp.csv has every input and group.");
    Some(t)
}

/// The cost-effectiveness frontier: each strategy's standing and ICER.
fn frontier_table(d: &ReportData) -> Markup {
    html! {
        table {
            tr { th { "Strategy" } th.num { "Incremental cost" } th.num { "Breakdowns averted" } th { "Standing" } th.num { "Cost per extra breakdown averted (ICER)" } }
            @for r in &d.frontier {
                tr {
                    td { (d.summary.label(&r.strategy)) }
                    td.num { (money(r.incremental_cost)) }
                    td.num { (number(r.breakdowns_averted, 1)) }
                    td { (if r.dominated_by.is_empty() { r.standing.clone() } else { format!("{} by {}", r.standing, r.dominated_by) }) }
                    td.num { (r.icer.map(money).unwrap_or_else(|| "–".into())) }
                }
            }
        }
        p.meta { "A strategy that costs more and averts no more breakdowns than another is dominated; one that a mix of its neighbours on the frontier would beat is extendedly dominated. Each ICER is against the previous strategy on the frontier. Costs are means over the simulations, less the value of other outcomes averted." }
    }
}

/// How the break-even effect was found when the cohort was too large to re-simulate whole.
fn breakeven_sample_note(s: &SummaryFile) -> Option<String> {
    let r = s.resimulated.as_ref()?;
    let k = r.breakeven?;
    let worst = s.breakeven.iter().filter_map(|b| b.breakeven_hazard_ratio_mc_error).fold(0.0, f64::max);
    Some(format!(
        "The break-even effect re-simulates a sample of {} of the {} children (the same children at every effect tried), and estimates the net saving from the run's own base case. Its Monte Carlo error, at most {:.4} on the hazard ratio, is below the 0.005 it is shown to. Every other figure here comes from all the children.",
        count(k as f64),
        count(r.children as f64),
        worst
    ))
}

/// What the run was, in words, from `run.json`. How long it took and on how many threads are
/// left to `run.json`: they depend on the machine, and leaving them out keeps the report of a
/// run merged from shards byte-identical to the report of the run made whole.
fn run_table(d: &ReportData) -> Markup {
    const SHOWN: [(&str, &str); 9] = [
        ("crate_version", "reunify version"),
        ("scenario", "Scenario"),
        ("scenario_file", "Scenario file"),
        ("scenario_sha256", "SHA-256 of the scenario file"),
        ("seed", "Seed"),
        ("iterations", "PSA iterations"),
        ("children_per_iteration", "Children in each simulation"),
        ("strategies", "Strategies"),
        ("paths_capped_at_max_returns", "Child paths stopped at the cap on returns home"),
    ];
    html! {
        table {
            @for (key, label) in SHOWN {
                @if let Some(v) = d.run.get(key) {
                    tr { th { (label) } td { (match v { serde_json::Value::String(s) => s.clone(), other => other.to_string() }) } }
                }
            }
        }
        p.meta { "Timings and threads are in run.json." }
    }
}

/// Draws every chart into `dir` and writes `dir/report.html`, from the tables in `dir`.
pub fn write_report(dir: &Path, psa: Option<PsaRows>) -> Result<String> {
    write_report_into(dir, dir, psa)
}

/// Draws the report of the run in `data` into the folder `dir`. Returns the HTML.
pub fn write_report_into(data: &Path, dir: &Path, psa: Option<PsaRows>) -> Result<String> {
    let d = ReportData::load(data, psa)?;
    let html = page(&d, dir)?.into_string();
    std::fs::write(dir.join("report.html"), &html)
        .with_context(|| format!("cannot write {}", dir.join("report.html").display()))?;
    Ok(html)
}

fn page(d: &ReportData, dir: &Path) -> Result<Markup> {
    let dir = &Drawn::new(dir);
    let s = &d.summary;
    let psa = s.psa_iterations > 0;
    let labels = crate::results::verdict::Labels::of_summary(s);
    let several = s.strategies.len() > 1;
    let ranked = standings(s);
    let decision = if several {
        Some(figure(
            &figures::decision_chart(&d.summary),
            dir,
            "Each dot is a strategy's net saving against the comparator (the headline figure); the bar spans its 95% interval across simulations. Right of the black line the strategy saves money; left of it, it costs money.",
        )?)
    } else {
        None
    };
    let budget = match figures::budget_chart(d) {
        Some(chart) => Some(figure(
            &chart,
            dir,
            "Top: each bar is one strategy's spend in a financial year (undiscounted cash), split into support, breakdown and care, and other costs; outlines mark the strategy. Bottom: each line is a strategy's cumulative saving against the comparator minus its extra support spend, at the end of each financial year; above zero it is ahead, and it has paid back once it stays above zero to the end of the window. Shaded bands are 95% intervals across simulations.",
        )?),
        None => None,
    };
    let local = match figures::local_curve_chart(d) {
        Some(chart) => Some(figure(
            &chart,
            dir,
            "The grey line is the share of this authority's returns home back in care by months since the return, from its 903 returns (Kaplan–Meier, with its 95% band); the blue line is the model's share for the comparator. The observed curve ends a child's follow-up at 18 as if it could go on; the model's children leave at 18, so the model runs below it where many turn 18. Beyond that, where they part the model does not reproduce the authority's own children.",
        )?),
        None => None,
    };
    let mut charts = vec![
        figure(
            &figures::curve_chart(d),
            dir,
            "Each line is the share of children who have gone back into care at least once, by months since they returned home; shaded bands are 95% intervals across simulations, and circles mark the published figures the baseline is calibrated to.",
        )?,
        figure(
            &figures::cost_chart(d),
            dir,
            "Each bar is one strategy's total discounted cost over the horizon, split into support, breakdown and care, and other costs; the figure above each bar is its total.",
        )?,
    ];
    if psa && several {
        charts.push(figure(
            &figures::saving_chart(d),
            dir,
            &format!(
                "Each histogram shows the net saving against {} across simulations: to the right of the black zero line the strategy saves money; the solid line is the mean and dashed lines the 95% interval.",
                s.prose_label(&s.comparator)
            ),
        )?);
        charts.push(figure(
            &figures::plane_chart(d),
            dir,
            &format!(
                "Each dot is one simulation{}: to the right breakdowns are averted, below the line money is saved; dots in the lower-right quadrant both save money and avert breakdowns.",
                if s.psa_iterations > figures::PLANE_POINTS {
                    format!(
                        " (the first {} of {})",
                        count(figures::PLANE_POINTS as f64),
                        count(s.psa_iterations as f64)
                    )
                } else {
                    String::new()
                }
            ),
        )?);
    }
    charts.push(figure(
        &figures::outcome_chart(d),
        dir,
        "Bars compare outcomes per 100 children returned home under each strategy; whiskers show 95% intervals across simulations.",
    )?);
    let mut decisions = Vec::new();
    // `every` names what shares the children ("bar", "square"); `below` what the largest error
    // is below: a hundredth of what the chart draws its figures on (decision::resolution).
    let resimulated = |sampled: Option<u64>, worst: f64, every: &str, below: &str| match (&s.resimulated, sampled) {
        (Some(r), Some(k)) => format!(
            " To keep this quick, it re-simulates a sample of {} of the {} children (the same children for every {every}), and estimates each figure from the run's own base case. The largest Monte Carlo error is {}, less than a hundredth of {below}.",
            count(k as f64),
            count(r.children as f64),
            money(worst)
        ),
        _ => String::new(),
    };
    if let Some(c) = figures::tornado_chart(d) {
        let worst =
            d.tornado.iter().map(|r| r.low_net_saving_mc_error.max(r.high_net_saving_mc_error)).fold(0.0, f64::max);
        let note = resimulated(
            s.resimulated.as_ref().and_then(|r| r.tornado),
            worst,
            "bar",
            "the chart's width (about a tenth of the distance between its gridlines)",
        );
        decisions.push(figure(&c, dir, &format!("Each bar moves one uncertain input from its 2.5% quantile (blue) to its 97.5% quantile (orange), with every other input at its point value and the same simulated children; the longest bars are the assumptions that matter most. Each label gives the input's low and high values.{note}"))?);
    }
    if let Some(c) = figures::two_way_chart(d) {
        let worst = d.two_way.iter().map(|p| p.mc_error).fold(0.0, f64::max);
        let note = resimulated(
            s.resimulated.as_ref().and_then(|r| r.two_way),
            worst,
            "square",
            "the range its colours span, from £0",
        );
        decisions.push(figure(&c, dir, &format!("Each square is the net saving at one price of support (across) and one effect on re-entry (down: a hazard ratio of 1 is no effect, lower is a larger cut); green saves money, red costs money. The black line is break-even: support pays for itself below and left of it. The cross marks the scenario's own price and effect.{note}"))?);
    }
    if let Some(c) = figures::acceptability_chart(d) {
        decisions.push(figure(&c, dir, "Each line shows, for a price of support per child, the share of simulations in which the strategy costs less than the comparator; the dashed line marks the scenario's price.")?);
    }
    if let Some(c) = figures::evppi_chart(d) {
        decisions.push(figure(&c, dir, "Each bar is what perfect knowledge of one input (or group of inputs) would be worth, in avoided wrong decisions, across the cohorts the decision affects; longer bars are better research buys.")?);
    }
    let authorities = match figures::authority_chart(d) {
        Some(c) => Some(figure(
            &c,
            dir,
            "Each dot is one authority's net saving per child returned home, ranked from the largest saving; whiskers are 95% intervals, which are wide for small authorities.",
        )?),
        None => None,
    };
    let wtp = match figures::wtp_chart(d) {
        Some(c) => Some(figure(
            &c,
            dir,
            "Each line is the share of simulations in which the strategy has the largest net monetary benefit, when a breakdown averted is worth the amount across (other outcomes valued as the scenario's [decision] says, 0 by default). Dashed lines mark where the strategy with the largest expected net benefit changes.",
        )?),
        None => None,
    };
    let evppi_wtp = match figures::evppi_wtp_chart(d) {
        Some(c) => Some(figure(
            &c,
            dir,
            "Each bar is what perfect knowledge of one input (or group of inputs) would be worth, across the cohorts the decision affects, when a breakdown averted is valued where the choice between strategies is most uncertain; longer bars are better research buys.",
        )?),
        None => None,
    };
    let enb = match figures::enb_chart(d) {
        Some(c) => Some(figure(
            &c,
            dir,
            "Each line is a strategy's expected net monetary benefit against the comparator (the value of the breakdowns it averts, less its extra cost, averaged over the simulations) when a breakdown averted is worth the amount across; the highest line is the one to choose. Dashed lines mark where the highest line changes.",
        )?),
        None => None,
    };
    let evpi_curve = match figures::evpi_curve_chart(d) {
        Some(c) => Some(figure(
            &c,
            dir,
            "The line is what perfect information on every uncertain input would be worth, across the cohorts the decision affects, at each value of a breakdown averted: the most any research could be worth. It peaks where the choice between strategies is closest; dashed lines mark where the strategy with the largest expected net benefit changes.",
        )?),
        None => None,
    };
    let evsi = match figures::evsi_chart(d) {
        Some(c) => Some(figure(
            &c,
            dir,
            "For each size of pilot (families in each arm, across), the blue line is what its results would be worth in better decisions across the cohorts the decision affects, the grey line what it costs, and the green line the difference (the expected net benefit of sampling). The dashed line is the most any trial of this support could be worth: the value of knowing both arms' shares exactly.",
        )?),
        None => None,
    };
    let predicted: Vec<_> = d.validation.iter().filter(|r| r.mean.is_some()).cloned().collect();
    let validation = if predicted.is_empty() {
        None
    } else {
        Some(figure(
            &crate::report::charts::ValidationChart::new(&[(s.label(&s.comparator), d.curve.clone())], &predicted),
            dir,
            "The line is the comparator's share of children back in care at least once, by months since they left care (the mean across simulations), with its 95% band; circles mark the independent published figures, labelled by source. None of them is a calibration target.",
        )?)
    };
    let first = s.strategies.get(1).map(|st| st.name.clone()).unwrap_or_default();
    let meta = format!(
        "{} children returning home across {} authorit{}; followed for {} years; costs in {} prices, discounted at {} a year; {}.",
        count(s.children as f64),
        s.authorities.len(),
        if s.authorities.len() == 1 { "y" } else { "ies" },
        number(s.horizon_years, 2),
        s.price_year.map(|y| y.to_string()).unwrap_or_else(|| "the scenario's".into()),
        percent(s.discount_rate),
        if psa {
            format!("{} probabilistic simulations", count(s.psa_iterations as f64))
        } else {
            "base case only".into()
        }
    );
    dir.finish()?;
    Ok(html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { (s.title) } style { (PreEscaped(CSS)) } }
            body {
                h1 { (s.title) }
                p.meta { (meta) }
                section #verdict {
                    h2 { "The verdict" }
                    @if !several { p { "The scenario has only a comparator; there is nothing to decide between." } }
                    @for st in ranked.iter().filter(|st| !st.is_comparator) {
                        p.headline { (st.verdict) }
                    }
                    p.meta { (headline_note(s)) }
                }
                @if several {
                    h2 { "Strategies ranked by net saving" }
                    (ranked_table(d, &ranked))
                }
                @if let Some(f) = &decision { (f) }
                @if let Some(desc) = &s.description { p { (desc) } }
                h2 { "What would it take?" }
                @for b in &s.breakeven { p.headline { (breakeven_sentence(b, s.horizon_years, &labels)) } }
                @if let Some(note) = breakeven_sample_note(s) { p.meta { (note) } }
                @if s.breakeven.is_empty() { p { "The scenario has only a comparator; there is nothing to break even against." } }
                @if let Some(b) = &s.budget {
                    h2 { "Budget by financial year" }
                    p { (crate::results::verdict::flow_sentence(b)) }
                    @for p in &b.payback { p.headline { (payback_sentence(b, p, psa, &labels)) } }
                    @if let Some(f) = &budget { (f) }
                    (budget_table(d))
                }
                h2 { "Summary by strategy" }
                (summary_table(d))
                h2 { "Charts" }
                @for f in &charts { (f) }
                @if !decisions.is_empty() {
                    h2 { "Decision analyses: sensitivity, acceptability, value of information" }
                    @for f in &decisions { (f) }
                    @if !d.voi.is_empty() { (voi_table(d)) }
                }
                @if let Some(f) = &authorities {
                    h2 { "By authority" }
                    (f)
                    table {
                        tr { th { "Rank" } th { "Authority" } th.num { "Children" } th.num { "Net saving per child" } th.num { "95% interval" } th.num { "Net saving" } th.num { "Breakdowns averted" } }
                        @for r in d.authorities.iter().filter(|r| r.strategy == first) {
                            tr {
                                td { (r.rank) } td { (r.authority) } td.num { (count(r.children as f64)) }
                                td.num { (money(r.per_child(r.net_saving))) }
                                td.num { (interval_text(Metric::NetSaving, Some((r.per_child(r.net_saving_q025), r.per_child(r.net_saving_q975))))) }
                                td.num { (money(r.net_saving)) } td.num { (number(r.breakdowns_averted, 1)) }
                            }
                        }
                    }
                }
                @if let Some(f) = &wtp {
                    h2 #values { "Valuing children's outcomes" }
                    p.headline { (crate::results::verdict::wtp_sentence(&d.wtp, &d.summary.comparator, &labels)) }
                    @if let Some(t) = voi_at_wtp_sentence(d) { p { (t) } }
                    (f)
                    @if let Some(f) = &enb { (f) }
                    @if let Some(f) = &evpi_curve { (f) }
                    @if let Some(f) = &evppi_wtp { (f) }
                    (frontier_table(d))
                }
                @if let (Some(p), Some(f)) = (&s.pilot, &evsi) {
                    h2 #pilot { "Is a local pilot worth running?" }
                    p.headline { (crate::results::verdict::pilot_sentence(p, &d.evsi, &s.comparator, &labels)) }
                    (f)
                    (evsi_table(d, p))
                }
                h2 { "Scenario inputs" }
                (inputs_table(d))
                h2 { "Calibration fit" }
                (calibration_section(d, local.as_ref()))
                @if !d.validation.is_empty() {
                    h2 #validation { "External validation" }
                    (validation_section(d, validation.as_ref()))
                }
                h2 #cheers { "Appendix: CHEERS 2022 checklist" }
                (cheers::section(d))
                h2 { "Run details" }
                (run_table(d))
            }
        }
    })
}
