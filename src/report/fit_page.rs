//! `fit.html` of `reunify import-903`: one page with what the authority's 903 returns show and
//! what was fitted: the observed curve with the fitted model over it, the hazard ratios in
//! words, the hold-out comparison, the care after a re-entry and the cleaning summary. Every
//! count from 1 to 4 is `c` under suppression; no child-level value appears.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use maud::{DOCTYPE, PreEscaped, html};

use super::charts::{Drawn, HoldoutChart, LocalFitChart};
use crate::results::format::{count, number, percent};
use crate::ssda903::read::LogEntry;
use crate::ssda903::{FACTOR_LABELS, FACTORS, Fit, KmRow, LIMIT, fit::km_at, hidden};

/// Draws the charts into `dir` and writes `fit.html` there.
pub fn write(dir: &Path, fit: &Fit, name: &str, km: &[KmRow], log: &[LogEntry], suppress: bool) -> Result<()> {
    let drawn = Drawn::new(dir);
    let observed: Vec<(f64, f64, f64, f64)> =
        km.iter().map(|r| (r.months as f64, r.share_back, r.share_back_lo, r.share_back_hi)).collect();
    let last = observed.last().map_or(0.0, |p| p.0);
    let fitted: Vec<(f64, f64)> =
        fit.fitted_curve.iter().map(|(t, f)| (t * 12.0, *f)).filter(|(m, _)| *m <= last + 1e-9).collect();
    let fitted_label = "Fitted model (piecewise-constant hazard with risk factors)".to_string();
    let fit_svg = drawn.draw(&LocalFitChart { observed, fitted, fitted_label })?;
    let holdout_svg = match &fit.holdout {
        Some(ho) if !ho.rows.is_empty() => {
            Some(drawn.draw(&HoldoutChart { rows: ho.rows.clone(), from: ho.cut.format("%-d %B %Y").to_string() })?)
        }
        _ => None,
    };
    drawn.finish()?;
    // Counts with thousands separators, or c.
    let n = |x: u64| if hidden(x, suppress) { "c".to_string() } else { count(x as f64) };
    let ratio = |x: f64| format!("{x:.2}");
    let at = |years: f64| km_at(&fit.km, years).map(|(f, _, _)| percent(f));
    let h = &fit.hazard;
    // The cleaning log summarised by field and what was done, counts suppressed.
    let mut cleaning: BTreeMap<(String, String), u64> = BTreeMap::new();
    for e in log {
        *cleaning.entry((e.field.clone(), e.action.clone())).or_default() += 1;
    }
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { (name) ": re-entry to care after returning home, fitted from its 903 returns" }
                style { (PreEscaped(super::CSS)) }
            }
            body {
                h1 { (name) ": re-entry to care after returning home" }
                p.meta { "Fitted by reunify import-903 from the SSDA903 returns of collection years " (fit.first_year) " to " (fit.last_year) ", followed to " (fit.extract.format("%-d %B %Y")) "." }
                p.headline {
                    (n(fit.returns_home)) " returns home were followed; " (n(fit.reentries)) " came back into care"
                    @if let Some(y1) = at(1.0) { ": " (y1) " within a year" }
                    @if let Some(y2) = at(2.0) { " and " (y2) " within two years" }
                    ". About " (number(fit.returns_per_year, 0)) " children return home a year."
                }
                p { (LIMIT) }
                h2 { "Observed and fitted" }
                figure {
                    (PreEscaped(fit_svg))
                    figcaption { "The share of returns home back in care by months since the return (Kaplan–Meier, with Greenwood's 95% band; it stops where fewer than 5 returns remain followed), and the fitted model's share for the same children. Time at home is followed to the extract date and the 18th birthday." }
                }
                h2 { "What raises or lowers the risk" }
                table {
                    tr { th { "Children" } th.num { "Hazard ratio" } th.num { "95% interval" } th.num { "Share of returns" } }
                    @for (j, label) in FACTOR_LABELS.iter().enumerate() {
                        @if let Some((e, lo, hi)) = h.hazard_ratio(j) {
                            tr { td { (label) } td.num { (ratio(e)) } td.num { (ratio(lo)) " to " (ratio(hi)) } td.num { (percent(fit.prevalence[j].with as f64 / fit.prevalence[j].of.max(1) as f64)) } }
                        }
                    }
                }
                @if !h.left_out.is_empty() {
                    p { "Left out of the model:" }
                    ul { @for (j, why) in &h.left_out { li { (FACTOR_LABELS[*j]) ": " (why) " (" (FACTORS[*j]) ")" } } }
                }
                p { "A hazard ratio above 1 means children with the factor come back into care sooner, other factors equal. The baseline, for a child with none of them, is piecewise constant between " (h.knots.len()) " knots; its rates, with their intervals, are in fit.json." }
                @if let (Some(ho), Some(svg)) = (&fit.holdout, &holdout_svg) {
                    h2 { "Checked on years the fit did not see" }
                    p { "The model was fitted on the returns home before " (ho.cut.format("%-d %B %Y")) ", followed only to then. The " (n(ho.returns)) " returns home from that date on were held out; their observed share back in care is set beside the model's prediction for the same children." }
                    figure { (PreEscaped(svg)) figcaption { "Observed share back in care among the held-out returns (Kaplan–Meier, 95% interval) and the model's prediction for them (95% interval from the uncertainty of the fitted rates and ratios)." } }
                    table {
                        tr { th { "Within" } th.num { "Observed" } th.num { "95% interval" } th.num { "Predicted" } th.num { "95% interval" } }
                        @for r in &ho.rows {
                            tr { td { (r.months) " months" } td.num { (percent(r.observed)) } td.num { (percent(r.observed_lo)) " to " (percent(r.observed_hi)) } td.num { (percent(r.predicted)) } td.num { (percent(r.predicted_lo)) " to " (percent(r.predicted_hi)) } }
                        }
                    }
                }
                @if let Some(c) = &fit.care {
                    h2 { "Care after a re-entry" }
                    p { "Periods of care after a re-entry last a median of " (number(c.median_years * 12.0, 1)) " months (log-normal, σ = " (number(c.sigma, 2)) ", fitted with the " (n(c.censored)) " still open at the extract counted as censored)"
                        @if fit.care_ended > 0 { "; " (percent(fit.care_went_home as f64 / fit.care_ended as f64)) " of those that ended ended in another return home" }
                        "." }
                }
                h2 { "Cleaning" }
                @if cleaning.is_empty() {
                    p { "Every row was read as it stands." }
                } @else {
                    p { "Rows that could not be used as they stand; each is listed with its file and line in cleaning_log.csv." }
                    table {
                        tr { th { "Field" } th { "What was done" } th.num { "Rows" } }
                        @for ((field, action), count) in &cleaning { tr { td { (field) } td { (action) } td.num { (n(*count)) } } }
                    }
                }
                p.meta { @if suppress { "Counts from 1 to 4 are shown as c (the DfE convention). No child ID, date of birth, postcode or URN is in this page or its files." } @else { "Small counts are shown (--no-suppression): do not share this page outside the authority." } }
            }
        }
    };
    std::fs::write(dir.join("fit.html"), page.into_string())?;
    Ok(())
}
