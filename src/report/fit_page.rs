//! `fit.html` of `reunify import-903`: one page with what the authority's 903 returns show and
//! what was fitted: the observed curve with the fitted model over it, the hazard ratios in
//! words, the hold-out comparison, the care after a re-entry, the files read and the cleaning
//! summary. It follows the report's rule for people: risk factors by their labels, never
//! their identifiers; small numbers in words, singular and plural right; no "about 0"; no
//! table without rows. Under suppression no count from 1 to 4 appears, nor a share that
//! reveals one; no child-level value appears at all.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use maud::{DOCTYPE, PreEscaped, html};

use super::charts::{Drawn, HoldoutChart, LocalFitChart};
use crate::results::format::{count_words, number, percent, plural, plural_with};
use crate::ssda903::read::LogEntry;
use crate::ssda903::{FACTOR_LABELS, Fit, KmRow, LIMIT, hidden, holdout_rows, protected};

/// The collection years read, in words: "one collection year (2020)", "six collection years
/// (2015 to 2020)".
pub fn years_in_words(first: i32, last: i32) -> String {
    let n = (last - first + 1).max(1) as u64;
    let span = if first == last { first.to_string() } else { format!("{first} to {last}") };
    format!("{} ({span})", plural(n, "collection year", "collection years"))
}

/// The sentence on how many children return home a year, never "about 0".
pub fn per_year_sentence(per_year: f64) -> String {
    let n = per_year.round();
    if per_year < 0.5 {
        "On average fewer than one child returned home a year.".into()
    } else {
        format!("About {} home a year.", plural(n as u64, "child returns", "children return"))
    }
}

/// Draws the charts into `dir` and writes `fit.html` there.
pub fn write(dir: &Path, fit: &Fit, name: &str, km: &[KmRow], log: &[LogEntry], suppress: bool) -> Result<()> {
    let label = crate::scenario::label_from_name(name);
    let drawn = Drawn::new(dir);
    let observed: Vec<(f64, f64, f64, f64)> =
        km.iter().map(|r| (r.months as f64, r.share_back, r.share_back_lo, r.share_back_hi)).collect();
    let last = observed.last().map_or(0.0, |p| p.0);
    let fitted: Vec<(f64, f64)> =
        fit.fitted_curve.iter().map(|(t, f)| (t * 12.0, *f)).filter(|(m, _)| *m <= last + 1e-9).collect();
    let fitted_label = "Fitted model (piecewise-constant hazard with risk factors)".to_string();
    let fit_svg = drawn.draw(&LocalFitChart { observed, fitted, fitted_label })?;
    let ho_rows = fit.holdout.as_ref().map(|ho| holdout_rows(ho, suppress)).unwrap_or_default();
    let holdout_svg = match &fit.holdout {
        Some(ho) if !ho_rows.is_empty() => {
            Some(drawn.draw(&HoldoutChart { rows: ho_rows.clone(), from: ho.cut.format("%-d %B %Y").to_string() })?)
        }
        _ => None,
    };
    drawn.finish()?;
    // Counts in words when small, or "fewer than five" under suppression.
    let shown = |x: u64| if hidden(x, suppress) { "fewer than five".to_string() } else { count_words(x) };
    let cell = |x: u64| if hidden(x, suppress) { "c".to_string() } else { crate::results::format::count(x as f64) };
    let ratio = |x: f64| format!("{x:.2}");
    // A share of the returns back by then, unless the re-entries by then are too few to show.
    let back_by = |years: f64| {
        let events: u64 = fit.km.iter().filter(|s| s.years <= years).map(|s| s.events).sum();
        if hidden(events, suppress) {
            return None;
        }
        crate::ssda903::fit::km_at(&fit.km, years).map(|(f, _, _)| percent(f))
    };
    let h = &fit.hazard;
    let estimated: Vec<usize> = (0..FACTOR_LABELS.len()).filter(|j| h.hazard_ratio(*j).is_some()).collect();
    // The cleaning log: rows not used or corrected, by what was done; notes on whole files.
    let mut cleaning: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    let mut files: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for e in log {
        if e.line == 0 {
            if !e.file.is_empty() {
                files.entry(e.file.as_str()).or_default().push(e.action.as_str());
            }
        } else {
            // A 903 column name (DOB, DECOM) helps; nothing else is shown as a field.
            let field = if e.field.chars().all(|c| c.is_ascii_uppercase() || c == '_') { e.field.as_str() } else { "" };
            *cleaning.entry((e.action.as_str(), field)).or_default() += 1;
        }
    }
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { (label) ": re-entry to care after returning home, fitted from its 903 returns" }
                style { (PreEscaped(super::CSS)) }
            }
            body {
                h1 { (label) ": re-entry to care after returning home" }
                p.meta { "Fitted by reunify import-903 from the SSDA903 returns of " (years_in_words(fit.first_year, fit.last_year)) ", followed to " (fit.extract.format("%-d %B %Y")) "." }
                p.headline {
                    (crate::results::format::capitalise(&plural_with(fit.returns_home, &shown(fit.returns_home), "return home was", "returns home were"))) " followed; " (shown(fit.reentries)) " came back into care"
                    @if let Some(y1) = back_by(1.0) { ": " (y1) " within a year" }
                    @if let Some(y2) = back_by(2.0) { " and " (y2) " within two years" }
                    ". " (per_year_sentence(fit.returns_per_year))
                }
                p {
                    @if fit.header_children_without_episodes == 0 && fit.episodes_without_header == 0 {
                        "Every Header child had episodes, and every child with episodes had a Header row."
                    } @else {
                        (crate::results::format::capitalise(&plural_with(fit.header_children_without_episodes as u64, &shown(fit.header_children_without_episodes as u64), "Header child", "Header children")))
                        " had no episode in any file, and "
                        (plural_with(fit.episodes_without_header as u64, &shown(fit.episodes_without_header as u64), "episode", "episodes"))
                        " belonged to children with no Header row (so no date of birth: their returns home could not be followed)."
                    }
                }
                p { (LIMIT) }
                h2 { "Observed and fitted" }
                figure {
                    (PreEscaped(fit_svg))
                    figcaption {
                        "The share of returns home back in care by months since the return (Kaplan–Meier, with Greenwood's 95% band; it stops where fewer than five returns remain followed), and the fitted model's share for the same children. Time at home is followed to the extract date and the 18th birthday."
                        @if suppress { " Months are joined into bands so that no count from 1 to 4 is shown or can be worked out." }
                    }
                }
                h2 { "What raises or lowers the risk" }
                @if estimated.is_empty() {
                    p { "No risk factor could be estimated from these returns." }
                } @else {
                    table {
                        tr { th { "Children" } th.num { "Hazard ratio" } th.num { "95% interval" } th.num { "Share of returns" } }
                        @for j in &estimated {
                            @if let Some((e, lo, hi)) = h.hazard_ratio(*j) {
                                tr { td { (FACTOR_LABELS[*j]) } td.num { (ratio(e)) } td.num { (ratio(lo)) " to " (ratio(hi)) } td.num { (percent(protected(fit.prevalence[*j].with, fit.prevalence[*j].of, suppress) / fit.prevalence[*j].of.max(1) as f64)) } }
                            }
                        }
                    }
                    p { "A hazard ratio above 1 means children with the factor come back into care sooner, other factors equal." }
                }
                @if !h.left_out.is_empty() {
                    p { "Left out of the model:" }
                    ul { @for (_, why) in &h.left_out { li { (why.action()) } } }
                }
                p { "The baseline, for a child with none of the risk factors, is a rate that is constant between " (count_words(h.knots.len() as u64)) " points in time from the return; its rates, with their intervals, are in fit.json." }
                @if let (Some(ho), Some(svg)) = (&fit.holdout, &holdout_svg) {
                    h2 { "Checked on years the fit did not see" }
                    p { "The model was fitted on the returns home before " (ho.cut.format("%-d %B %Y")) ", followed only to then. The " (shown(ho.returns)) " returns home from that date on were held out; their observed share back in care is set beside the model's prediction for the same children." }
                    figure { (PreEscaped(svg)) figcaption { "Observed share back in care among the held-out returns (Kaplan–Meier, 95% interval) and the model's prediction for them (95% interval from the uncertainty of the fitted rates and ratios)." } }
                    table {
                        tr { th { "Within" } th.num { "Observed" } th.num { "95% interval" } th.num { "Predicted" } th.num { "95% interval" } }
                        @for r in &ho_rows {
                            tr { td { (r.months) " months" } td.num { (percent(r.observed)) } td.num { (percent(r.observed_lo)) " to " (percent(r.observed_hi)) } td.num { (percent(r.predicted)) } td.num { (percent(r.predicted_lo)) " to " (percent(r.predicted_hi)) } }
                        }
                    }
                }
                @if let Some(c) = &fit.care {
                    h2 { "Care after a re-entry" }
                    p { "Periods of care after a re-entry last a median of " (number(c.median_years * 12.0, 1)) " months (log-normal, σ = " (number(c.sigma, 2)) ", fitted with " @if c.censored == 0 { "none still open at the extract" } @else { "the " (shown(c.censored)) " still open at the extract counted as censored" } ")"
                        @if fit.care_ended > 0 { "; " (percent(protected(fit.care_went_home, fit.care_ended, suppress) / fit.care_ended as f64)) " of those that ended ended in another return home" }
                        "." }
                }
                h2 { "Files read" }
                table {
                    tr { th { "File" } th { "What it holds" } }
                    @for (file, notes) in &files { tr { td { (file) } td { (notes.join("; ")) } } }
                }
                h2 { "Cleaning" }
                @if cleaning.is_empty() {
                    p { "Every row was read as it stands." }
                } @else {
                    p { "Rows that could not be used as they stand; each is listed with its file and line in cleaning_log.csv, which holds no value from the files." }
                    table {
                        tr { th { "What was found and done" } th { "Field" } th.num { "Rows" } }
                        @for ((action, field), count) in &cleaning { tr { td { (action) } td { (field) } td.num { (cell(*count)) } } }
                    }
                }
                p.meta { @if suppress { "Counts from 1 to 4 are shown as c or left out (the DfE convention), and no share or table lets one be worked out. No child ID, date of birth, postcode or URN is in this page or its files." } @else { "Small counts are shown (--no-suppression): do not share this page outside the authority." } }
            }
        }
    };
    std::fs::write(dir.join("fit.html"), page.into_string())?;
    Ok(())
}
