//! `reunify compare A B`: two runs' headline figures side by side as plain text and as one
//! self-contained HTML page, with the inputs that differ and, when both are in flow mode, a
//! chart of their spend and cumulative net positions by financial year.

use std::fmt::Write as _;

use anyhow::Result;
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::metric::Metric;
use crate::results::SummaryFile;
use crate::results::compare::{Difference, InputChange, differences, input_changes, setting_changes};

use super::charts::{CompareChart, CompareRun, CompareSeries, svg_of};
use super::{fmt_value, value_unit};

/// A figure as the report writes it; a figure without a metric (the payback year) is text.
fn fmt(m: Option<Metric>, v: Option<f64>) -> String {
    m.map_or_else(|| "–".into(), |m| super::fmt_cell(m, v))
}

fn change(d: &Difference) -> String {
    match (d.metric, d.change()) {
        (Some(Metric::SavesMoney), Some(c)) => {
            format!("{}{} points", if c > 0.0 { "+" } else { "" }, crate::results::format::number(100.0 * c, 1))
        }
        (m, Some(c)) => format!("{}{}", if c > 0.0 { "+" } else { "" }, fmt(m, Some(c))),
        (_, None) => {
            if d.a_text == d.b_text {
                "same".into()
            } else {
                "changed".into()
            }
        }
    }
}

/// What a difference is, against the runs' Monte Carlo error: exact only between two
/// base cases; a base case against a PSA mean has error on one side that the other cannot
/// show, so no verdict is given.
fn verdict(d: &Difference, both_base: bool) -> &'static str {
    match d.within_mc_error {
        Some(true) => "within Monte Carlo error",
        Some(false) => "beyond Monte Carlo error",
        None if d.metric.is_some() && both_base => "exact (both base cases)",
        None if d.metric.is_some() => "a base case against a PSA mean: Monte Carlo error not comparable",
        None => "",
    }
}

fn value(d: &Difference, run: usize) -> String {
    let (v, t) = if run == 0 { (d.a, &d.a_text) } else { (d.b, &d.b_text) };
    t.clone().unwrap_or_else(|| fmt(d.metric, v))
}

fn input_text(i: &InputChange, run: usize) -> String {
    match if run == 0 { &i.a } else { &i.b } {
        Some(p) => format!("{} ({})", fmt_value(p.point, value_unit(&p.key)), p.distribution),
        None => "not in this run".into(),
    }
}

/// The comparison as plain text for the terminal.
pub fn text(a_name: &str, a: &SummaryFile, b_name: &str, b: &SummaryFile) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "A: {a_name} ({})\nB: {b_name} ({})\n", a.title, b.title);
    let _ = writeln!(t, "{:<20} {:<28} {:>16} {:>16} {:>16}  note", "strategy", "figure", "A", "B", "B − A");
    for d in differences(a, b) {
        let _ = writeln!(
            t,
            "{:<20} {:<28} {:>16} {:>16} {:>16}  {}",
            b.label(&d.strategy),
            d.figure,
            value(&d, 0),
            value(&d, 1),
            change(&d),
            verdict(&d, !a.has_psa() && !b.has_psa())
        );
    }
    let settings = setting_changes(a, b);
    let inputs = input_changes(a, b);
    if settings.is_empty() && inputs.is_empty() {
        t.push_str("\nThe two runs have the same settings and inputs.\n");
    } else {
        t.push_str("\nWhat differs:\n");
        for (k, x, y) in &settings {
            let _ = writeln!(t, "  {k}: {x} → {y}");
        }
        for i in &inputs {
            let _ = writeln!(t, "  {} ({}): {} → {}", i.label, i.key, input_text(i, 0), input_text(i, 1));
        }
    }
    t.push_str("\nA difference is within Monte Carlo error when it is smaller than twice the standard error of the difference of the two PSA means.\n");
    t
}

fn budget_chart(a: &SummaryFile, b: &SummaryFile, a_name: &str, b_name: &str) -> Option<CompareChart> {
    let (ba, bb) = (a.budget.as_ref()?, b.budget.as_ref()?);
    if ba.financial_years != bb.financial_years {
        return None;
    }
    let run = |s: &SummaryFile, label: &str| {
        let bud = s.budget.as_ref().expect("checked above");
        let psa = s.psa_iterations > 0;
        let series = |st: &str, line: &str| -> Vec<f64> {
            bud.financial_years
                .iter()
                .map(|y| bud.find(st, y, line, "cash").and_then(|x| x.central(psa)).unwrap_or(f64::NAN))
                .collect()
        };
        CompareRun {
            label: label.to_string(),
            strategies: s
                .strategies
                .iter()
                .enumerate()
                .map(|(i, st)| CompareSeries {
                    name: st.display_label(),
                    index: i,
                    spend: series(&st.name, "total"),
                    net: (i > 0).then(|| series(&st.name, "cumulative_net")),
                })
                .collect(),
        }
    };
    Some(CompareChart { years: ba.financial_years.clone(), runs: [run(a, a_name), run(b, b_name)] })
}

/// The comparison as one self-contained HTML page.
pub fn page(a_name: &str, a: &SummaryFile, b_name: &str, b: &SummaryFile) -> Result<String> {
    let diffs = differences(a, b);
    let inputs = input_changes(a, b);
    let settings = setting_changes(a, b);
    let chart: Option<Markup> = match budget_chart(a, b, "A", "B") {
        Some(c) => Some(
            html! { figure { (PreEscaped(svg_of(&c)?)) figcaption { "Top: each strategy's total spend in each financial year, run A solid, run B pale. Bottom: each strategy's cumulative net position against the comparator, run A solid, run B dashed; above zero it is ahead." } } },
        ),
        None => None,
    };
    Ok(html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; (PreEscaped(crate::app::staging::PAGE_MARK)) title { "Comparison: " (a.title) " and " (b.title) } style { (PreEscaped(super::CSS)) } }
            body {
                h1 { "Comparison of two runs" }
                p.meta { "A: " code { (a_name) } " (" (a.title) ")" br; "B: " code { (b_name) } " (" (b.title) ")" }
                h2 { "Headline figures" }
                table {
                    tr { th { "Strategy" } th { "Figure" } th.num { "A" } th.num { "B" } th.num { "B − A" } th { "" } }
                    @for d in &diffs {
                        tr {
                            td { (b.label(&d.strategy)) } td { (d.figure) }
                            td.num { (value(d, 0)) } td.num { (value(d, 1)) } td.num { (change(d)) } td { (verdict(d, !a.has_psa() && !b.has_psa())) }
                        }
                    }
                }
                p.meta { "A difference is within Monte Carlo error when it is smaller than twice the standard error of the difference of the two PSA means (each run's sd/√n, taken as independent; runs with the same seed share random numbers, so this is cautious)." }
                @if let Some(c) = &chart { h2 { "Budget by financial year" } (c) }
                h2 { "What differs between the runs" }
                @if settings.is_empty() && inputs.is_empty() { p { "The two runs have the same settings and inputs." } }
                @else {
                    table {
                        tr { th { "Setting or input" } th { "A" } th { "B" } }
                        @for (k, x, y) in &settings { tr { td { (k) } td { (x) } td { (y) } } }
                        @for i in &inputs { tr { td { (i.label) br; small { code { (i.key) } } } td { (input_text(i, 0)) } td { (input_text(i, 1)) } } }
                    }
                }
            }
        }
    }
    .into_string())
}
