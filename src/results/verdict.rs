//! The verdict: one plain-English paragraph per strategy, and the table that ranks them.
//!
//! The report opens with these paragraphs, the terminal prints them at the end of `run`, and
//! the workbook's Summary sheet carries them, so all three say the same thing. The headline
//! figure is the PSA mean with its 95% interval (the base case when there was no PSA);
//! break-even figures are from the base case, because they are found by re-simulating it.
//! Shape, from issue #16: "Offering support to the N children with any risk factor costs £A
//! and averts B breakdowns (95% interval B1 to B2) over Y years. It does not pay for itself:
//! net cost £C (£C1 to £C2), probability of saving money P%. To break even, support would have
//! to cut re-entries by E%, or cost no more than £Q per family."

use std::fmt::Write as _;

use crate::analysis::Kind;
use crate::budget::{BudgetSummary, Payback};
use crate::decision::BreakEven;
use crate::metric::Metric;

use super::format::{count, money, number, percent, percent0};
use super::summary::SummaryFile;

/// Strategies' names and their labels: everything a person reads names a strategy by its
/// label; the tables keep the name, where R and pandas need it.
#[derive(Clone, Debug, Default)]
pub struct Labels(std::collections::BTreeMap<String, String>);

impl Labels {
    pub fn of_summary(s: &SummaryFile) -> Labels {
        Labels(s.strategies.iter().map(|st| (st.name.clone(), st.display_label())).collect())
    }

    pub fn of_scenario(sc: &crate::scenario::Scenario) -> Labels {
        Labels(sc.model.strategies.iter().map(|st| (st.name.clone(), st.label.clone())).collect())
    }

    /// The label standing alone, at the start of a sentence, in a table or a legend.
    pub fn alone(&self, name: &str) -> String {
        self.0.get(name).cloned().unwrap_or_else(|| crate::scenario::label_from_name(name))
    }

    /// The label inside a sentence.
    pub fn prose(&self, name: &str) -> String {
        crate::scenario::in_sentence(&self.alone(name))
    }
}

/// One strategy's standing against the comparator.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Standing {
    pub strategy: String,
    /// The strategy in words.
    pub label: String,
    /// 1 = the largest expected net saving; the comparator is ranked with a saving of 0.
    pub rank: usize,
    pub is_comparator: bool,
    pub offered_to: String,
    pub support_cost: Option<f64>,
    pub breakdowns_averted: Option<f64>,
    pub breakdowns_averted_interval: Option<(f64, f64)>,
    pub net_saving: Option<f64>,
    pub net_saving_interval: Option<(f64, f64)>,
    pub probability_saves: Option<f64>,
    /// Flow mode: the payback year (of the mean cumulative position), if any.
    pub payback: Option<String>,
    pub breakeven_effect: Option<f64>,
    pub breakeven_price: Option<f64>,
    /// The verdict paragraph (empty for the comparator).
    pub verdict: String,
}

/// A strategy's figure against the comparator: its headline value and its 95% interval.
fn central(s: &SummaryFile, strategy: &str, m: Metric) -> Option<f64> {
    s.central(strategy, Kind::Increment, m)
}

fn interval(s: &SummaryFile, strategy: &str, m: Metric) -> Option<(f64, f64)> {
    s.interval(strategy, Kind::Increment, m)
}

/// "over 5 years" or "over the 3 financial years 2025/26 to 2027/28".
pub fn period(s: &SummaryFile) -> String {
    match &s.budget {
        Some(b) if !b.financial_years.is_empty() => {
            let first = &b.financial_years[0];
            let last = &b.financial_years[b.financial_years.len() - 1];
            if b.financial_years.len() == 1 {
                format!("in the financial year {first}")
            } else {
                format!("over the {} financial years {first} to {last}", b.financial_years.len())
            }
        }
        _ => {
            let y = s.horizon_years;
            format!("over {} year{}", super::format::number(y, 2), if y == 1.0 { "" } else { "s" })
        }
    }
}

/// The verdict paragraph of one non-comparator strategy.
fn verdict(s: &SummaryFile, i: usize) -> String {
    let st = &s.strategies[i];
    let n = st.name.as_str();
    let shown = crate::scenario::in_sentence(&st.display_label());
    let mut t = String::new();
    let whom = if st.offered_to == "all children" {
        format!("all {} children returning home", count(s.children as f64))
    } else {
        let eligible = st.eligible_children.map(|e| format!("about {} ", count(e))).unwrap_or_else(|| "the ".into());
        format!(
            "{eligible}children with {} (of {} returning home)",
            strip_children(&st.offered_to),
            count(s.children as f64)
        )
    };
    let support = central(s, n, Metric::SupportCost).unwrap_or(f64::NAN);
    let averted = central(s, n, Metric::BreakdownsAverted).unwrap_or(f64::NAN);
    let _ = write!(t, "Offering {shown} to {whom} costs {} in support and ", money(support));
    if averted >= 0.0 {
        let _ = write!(t, "averts {} breakdowns", count(averted));
    } else {
        let _ = write!(t, "adds {} breakdowns", count(-averted));
    }
    if let Some((lo, hi)) = interval(s, n, Metric::BreakdownsAverted) {
        let _ = write!(t, " (95% interval {} to {} averted)", count(lo), count(hi));
    }
    let _ = write!(t, " {}. ", period(s));
    let net = central(s, n, Metric::NetSaving).unwrap_or(f64::NAN);
    let range = interval(s, n, Metric::NetSaving);
    if net >= 0.0 {
        let _ = write!(t, "It pays for itself: net saving {}", money(net));
        if let Some((lo, hi)) = range {
            let _ = write!(t, " (95% interval {})", super::format::money_range(lo, hi));
        }
    } else {
        let _ = write!(t, "It does not pay for itself: net cost {}", money(-net));
        if let Some((lo, hi)) = range {
            let _ = write!(t, " (95% interval {})", super::format::money_range(-hi, -lo));
        }
    }
    if s.has_psa() {
        if let Some(p) = central(s, n, Metric::SavesMoney) {
            let _ = write!(t, ", probability of saving money {}", percent0(p));
        }
    }
    t.push('.');
    if let Some(b) = &s.budget
        && let Some(p) = b.payback.iter().find(|p| p.strategy == n)
    {
        match p.year(s.has_psa()) {
            Some(y) => {
                let _ = write!(t, " It pays back in {y}");
            }
            None => t.push_str(" It does not pay back within the budget window"),
        }
        if let Some(prob) = p.probability.filter(|_| s.has_psa()) {
            let _ = write!(t, " (probability of payback within the window {})", percent0(prob));
        }
        t.push('.');
    }
    if let Some(b) = s.breakeven.iter().find(|b| b.strategy == n) {
        let per = if b.cost_basis == "per_supported_year" { "per family a year" } else { "per family" };
        let cut = b.breakeven_hazard_ratio.map(|hr| 1.0 - hr);
        let assumed = 1.0 - b.scenario_hazard_ratio;
        match (cut, b.max_affordable_price) {
            _ if !b.undefined.is_empty() && cut.is_none() && b.max_affordable_price.is_none() => {
                let _ = write!(t, " Break-even does not apply: {}.", b.undefined.join("; "));
            }
            (Some(c), price) if b.net_saving < 0.0 => {
                let _ = write!(
                    t,
                    " To break even, support would have to cut re-entries by {} (it is assumed to cut them by {})",
                    percent0(c.max(0.0)),
                    percent0(assumed)
                );
                match price {
                    Some(q) if q > 0.0 => {
                        let _ = write!(t, ", or cost no more than {} {per}.", money(q));
                    }
                    _ => t.push_str("; at no price would it break even at the assumed effect."),
                }
            }
            (None, price) if b.net_saving < 0.0 => {
                t.push_str(" No cut in re-entries alone would make it break even at this price");
                match price {
                    Some(q) if q > 0.0 => {
                        let _ = write!(t, "; it would break even at no more than {} {per}.", money(q));
                    }
                    _ => t.push('.'),
                }
            }
            (cut, price) => {
                t.push_str(" In the base case it breaks even");
                if let Some(c) = cut {
                    let _ = write!(t, " with a cut in re-entries of as little as {}", percent0(c.max(0.0)));
                }
                if let Some(q) = price {
                    let _ =
                        write!(t, "{} at a price of up to {} {per}", if cut.is_some() { ", or" } else { "" }, money(q));
                }
                t.push('.');
            }
        }
    }
    t
}

/// "children with any of a, b" → "any of a, b".
fn strip_children(s: &str) -> &str {
    s.strip_prefix("children with ").unwrap_or(s)
}

/// Every strategy's standing, in rank order (largest expected net saving first).
pub fn standings(s: &SummaryFile) -> Vec<Standing> {
    let mut out: Vec<Standing> = s
        .strategies
        .iter()
        .enumerate()
        .map(|(i, st)| {
            let n = st.name.as_str();
            let comparator = i == 0;
            let b = s.breakeven.iter().find(|b| b.strategy == n);
            Standing {
                strategy: st.name.clone(),
                label: st.display_label(),
                rank: 0,
                is_comparator: comparator,
                offered_to: st.offered_to.clone(),
                support_cost: (!comparator).then(|| central(s, n, Metric::SupportCost)).flatten(),
                breakdowns_averted: (!comparator).then(|| central(s, n, Metric::BreakdownsAverted)).flatten(),
                breakdowns_averted_interval: interval(s, n, Metric::BreakdownsAverted),
                net_saving: if comparator { Some(0.0) } else { central(s, n, Metric::NetSaving) },
                net_saving_interval: interval(s, n, Metric::NetSaving),
                probability_saves: (!comparator && s.has_psa()).then(|| central(s, n, Metric::SavesMoney)).flatten(),
                payback: s
                    .budget
                    .as_ref()
                    .and_then(|bud| bud.payback.iter().find(|p| p.strategy == n)?.year(s.has_psa()).cloned()),
                breakeven_effect: b.and_then(|b| b.breakeven_hazard_ratio).map(|hr| 1.0 - hr),
                breakeven_price: b.and_then(|b| b.max_affordable_price),
                verdict: if comparator { String::new() } else { verdict(s, i) },
            }
        })
        .collect();
    out.sort_by(|a, b| {
        let key = |x: &Standing| x.net_saving.unwrap_or(f64::NEG_INFINITY);
        key(b).total_cmp(&key(a)).then(a.strategy.cmp(&b.strategy))
    });
    for (i, st) in out.iter_mut().enumerate() {
        st.rank = i + 1;
    }
    out
}

/// The sentence that says which figure is the headline and how it relates to the base case.
pub fn headline_note(s: &SummaryFile) -> String {
    if !s.has_psa() {
        return "Figures are the base case: every input at its point value, with no probabilistic sensitivity analysis, so there are no intervals.".into();
    }
    let mut t = format!(
        "The headline figures are means over {} probabilistic simulations, each drawing every uncertain input from its distribution; 95% intervals run from the 2.5% to the 97.5% simulation. The base case, every input at its point value, is shown beside them",
        count(s.psa_iterations as f64)
    );
    if let Some(st) = s.strategies.get(1)
        && let Some(x) = s.stat(&st.name, Kind::Increment, Metric::NetSaving)
        && let Some(base) = x.base
    {
        let _ = write!(
            t,
            " (for {}, a net {} {})",
            crate::scenario::in_sentence(&st.display_label()),
            if base >= 0.0 { "saving of" } else { "cost of" },
            money(base.abs())
        );
    }
    t.push_str("; break-even figures come from the base case.");
    t
}

/// "a net saving of £x" or "a net cost of £x", following the sign.
pub fn net_phrase(v: f64) -> String {
    if v >= 0.0 { format!("a net saving of {}", money(v)) } else { format!("a net cost of {}", money(-v)) }
}

/// The break-even figures of one strategy in plain English.
pub fn breakeven_sentence(b: &BreakEven, horizon_years: f64, labels: &Labels) -> String {
    let shown = labels.alone(&b.strategy);
    let per = if b.cost_basis == "per_supported_year" { "per child-year" } else { "per child" };
    if b.support_cost == 0.0 && b.max_affordable_price.is_none() {
        return format!(
            "{} at {} {per} costs and averts nothing in this scenario, so break-even does not apply: {}.",
            shown,
            money(b.price),
            b.undefined.join("; ")
        );
    }
    let (Some(to_avert), Some(rate), Some(at_breakeven)) = (b.breakdowns_to_avert, b.comparator_rate, b.breakeven_rate)
    else {
        return format!(
            "{} at {} {per}: break-even is undefined for this scenario: {}.",
            shown,
            money(b.price),
            b.undefined.join("; ")
        );
    };
    let mut t = format!(
        "{} at {} {per} pays for itself if it prevents at least {} of the {} breakdowns over {} year{}, taking breakdowns (every re-entry to care, repeats counted) from {:.1} to {:.1} per 100 children returned home",
        shown,
        money(b.price),
        count(to_avert.ceil()),
        count(b.comparator_breakdowns),
        number(horizon_years, 2),
        if horizon_years == 1.0 { "" } else { "s" },
        100.0 * rate,
        100.0 * at_breakeven,
    );
    if let (Some(from), Some(to)) = (b.comparator_share_12m, b.breakeven_share_12m) {
        let _ = write!(
            t,
            " (in the published measure, the share of children back in care within 12 months of going home, from {} to {}, if each breakdown averted keeps one child at home for that year)",
            percent(from),
            percent(to)
        );
    }
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
        count(b.breakdowns_averted),
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

/// The payback of one strategy over the budget window in plain English.
pub fn payback_sentence(b: &BudgetSummary, p: &Payback, psa: bool, labels: &Labels) -> String {
    let window = format!(
        "the {}-year budget window {} to {}",
        b.years,
        b.financial_years.first().map(String::as_str).unwrap_or("?"),
        b.financial_years.last().map(String::as_str).unwrap_or("?")
    );
    let mut t = match p.year(psa) {
        Some(y) => format!(
            "{} pays back in {y}: by the end of that financial year the cumulative saving on breakdowns, care and other costs covers the cumulative extra support spend, and keeps covering it to the end of the window",
            labels.alone(&p.strategy)
        ),
        None => format!(
            "{}: no payback within {window}; the cumulative saving does not cover the extra support spend by its end",
            labels.alone(&p.strategy)
        ),
    };
    if let Some(pr) = p.probability.filter(|_| psa) {
        let _ = write!(t, " (probability of payback within the window: {})", percent0(pr));
    }
    match (p.breakdowns_to_avert_per_year, p.cost_per_breakdown_cash) {
        (Some(n), Some(c)) => {
            let _ = write!(
                t,
                ". To break even over the window it must avert {} breakdowns a year ({} of extra support in cash over the window, at {} of breakdown and care spend per breakdown).",
                count(n.ceil()),
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

/// How flow mode counts its children and spend, in one sentence.
pub fn flow_sentence(b: &BudgetSummary) -> String {
    let plural = |n: u32, one: &'static str, many: &'static str| if n == 1 { one } else { many };
    format!(
        "Flow mode: {} cohort{} of children return{} home, one in each of the first {} financial year{} from {} (each child on a date spread evenly over its year{}), and every child is followed to the end of {}. Spend falls in the financial year in which it happens.",
        b.cohorts,
        plural(b.cohorts, "", "s"),
        plural(b.cohorts, "s", ""),
        b.cohorts,
        plural(b.cohorts, "", "s"),
        b.financial_years.first().map(String::as_str).unwrap_or("?"),
        if b.growth_per_year != 0.0 {
            format!(
                "; cohorts change by {}{} a year",
                if b.growth_per_year > 0.0 { "+" } else { "" },
                percent(b.growth_per_year)
            )
        } else {
            String::new()
        },
        b.financial_years.last().map(String::as_str).unwrap_or("?"),
    )
}

/// What an external validation table means for a user choosing a baseline, in two or three
/// sentences made from its rows: how many published figures lie inside the model's interval,
/// which way the others miss, and what that does to the figures a run reports.
pub fn validation_reading(rows: &[crate::validation::ValidationRow]) -> String {
    let predicted: Vec<_> = rows.iter().filter(|r| r.inside.is_some()).collect();
    if predicted.is_empty() {
        return "No figure could be predicted: each lies beyond the run's horizon or the run had no PSA. \
                `reunify reproduce --external` runs each scenario long enough."
            .into();
    }
    let inside = predicted.iter().filter(|r| r.inside == Some(true)).count();
    let below = predicted.iter().filter(|r| r.inside == Some(false) && r.q975 < Some(r.published_share)).count();
    let above = predicted.len() - inside - below;
    let figures = |n: usize| if n == 1 { "1 figure".to_string() } else { format!("{n} figures") };
    let mut t = format!(
        "Of {} independent published {} the model predicted, {} inside its 95% interval",
        predicted.len(),
        if predicted.len() == 1 { "figure" } else { "figures" },
        match inside {
            0 => "none lies".to_string(),
            1 => "1 lies".to_string(),
            n => format!("{n} lie"),
        },
    );
    match (below, above) {
        (0, 0) => t.push_str(". "),
        (b, 0) => t.push_str(&format!("; for the other {} the model predicts fewer re-entries. ", figures(b))),
        (0, a) => t.push_str(&format!("; for the other {} the model predicts more re-entries. ", figures(a))),
        (b, a) => t.push_str(&format!(
            "; the model predicts fewer re-entries than {} and more than {}. ",
            figures(b),
            figures(a)
        )),
    }
    if below > 0 {
        t.push_str(
            "Where a baseline predicts fewer re-entries than a series that counts the same children, the \
             breakdowns support could avert, and what they cost, are if anything understated. ",
        );
    }
    t.push_str(
        "Series that count every exit from care, not only returns home, or another period, are a weaker \
         test (each row says how its definition differs): choose the baseline whose returns-home series \
         is closest to your own children, and run a scenario scaled to it beside the default \
         (with calibrate_scale_to, as england-2014-2020 does for returns home after 2014).",
    );
    t
}

/// Where the decision turns over willingness to pay per breakdown averted, in words: "From
/// about £100,000 per breakdown averted, targeted-support is the better choice; from about
/// £190,000, support-for-all. Below that, usual-care." Or which strategy is chosen throughout.
pub fn wtp_sentence(points: &[crate::wtp::WtpPoint], comparator: &str, labels: &Labels) -> String {
    let turns = crate::wtp::turns(points);
    let (lo, hi) = crate::wtp::range(points).unwrap_or((f64::INFINITY, f64::NEG_INFINITY));
    let first = labels.prose(points.iter().find(|p| p.chosen).map(|p| p.strategy.as_str()).unwrap_or(comparator));
    if turns.is_empty() {
        return format!(
            "Valuing a breakdown averted at anything from {} to {}, {first} has the largest expected net benefit throughout.",
            money(lo),
            money(hi)
        );
    }
    let mut t = String::new();
    for (i, (w, _, to)) in turns.iter().enumerate() {
        let to = labels.prose(to);
        if i == 0 {
            let _ = write!(t, "From about {} per breakdown averted, {to} is the better choice", money(*w));
        } else {
            let _ = write!(t, "; from about {}, {to}", money(*w));
        }
    }
    let _ = write!(
        t,
        ". Below that, {first}. (Read off a grid from {} to {}; the ICERs below give the exact thresholds.)",
        money(lo),
        money(hi)
    );
    t
}

/// "a year", "2 years", "6 months": a follow-up in words.
fn years_in_words(y: f64) -> String {
    let months = (y * 12.0).round();
    if (y - 1.0).abs() < 1e-9 {
        "a year".into()
    } else if (y * 12.0 - months).abs() < 1e-6 && months < 12.0 {
        format!("{} months", months as u32)
    } else {
        format!("{} years", number(y, 2))
    }
}

/// What a local pilot is worth, in words: what it trials, at what value, the size with the
/// largest expected net benefit of sampling (or that none is worth its cost), and the most
/// any trial of it could be worth.
pub fn pilot_sentence(
    p: &crate::pilot::PilotSummary,
    rows: &[crate::pilot::EvsiRow],
    comparator: &str,
    labels: &Labels,
) -> String {
    let comparator = labels.prose(comparator);
    let cohorts = if p.decision_years == 1.0 {
        "one cohort".to_string()
    } else {
        format!("{} cohorts", number(p.decision_years, 2))
    };
    let valued = if p.wtp == 0.0 {
        "valued in cash alone (nothing for a breakdown averted beyond what it costs)".to_string()
    } else {
        format!("valued at {} per breakdown averted ({})", money(p.wtp), p.wtp_from)
    };
    let mut t = format!(
        "A two-arm pilot of {} against {comparator}, following each family for {}, {valued}. In the model, {} of the families it would enrol are back in care within {} under {comparator} and {} when offered support. ",
        labels.prose(&p.strategy),
        years_in_words(p.follow_up_years),
        percent(p.usual_care_share),
        years_in_words(p.follow_up_years),
        percent(p.support_share),
    );
    let cap = money(p.evppi_per_decision * p.decision_years);
    match p.best_families_per_arm.and_then(|n| rows.iter().find(|r| r.families_per_arm == n)) {
        Some(r) => {
            let _ = write!(
                t,
                "With {} families per arm it is worth {} over {cohorts} of decisions and costs {}: an expected net benefit of sampling of {}, the most of the sizes studied",
                count(r.families_per_arm as f64),
                money(r.population_evsi),
                money(r.pilot_cost),
                money(r.enbs)
            );
            t.push_str(if p.best_is_largest {
                "; it is also the largest size studied, so a larger pilot may be worth more still. "
            } else {
                ". "
            });
        }
        None => {
            let _ = write!(t, "No size studied is worth its cost over {cohorts} of decisions. ");
        }
    }
    let _ = write!(
        t,
        "No trial of it can be worth more than {cap}, the value of knowing both arms' shares exactly; perfect information on everything would be worth {}.",
        money(p.evpi_per_decision * p.decision_years)
    );
    t
}
