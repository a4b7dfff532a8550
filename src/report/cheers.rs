//! The CHEERS 2022 appendix: each of the 28 items of the Consolidated Health Economic
//! Evaluation Reporting Standards checklist (Husereau et al. 2022, *BMJ* 376:e067975), answered
//! from the scenario and the run, so that a researcher can paste it into a paper's supplement.
//!
//! An item the scenario and run cannot answer (the abstract, an analysis plan, engagement with
//! the people affected, funding, conflicts of interest, distributional effects) says "Not
//! reported" and why, in words, rather than being left out.

use std::fmt::Write as _;

use maud::{Markup, html};

use super::ReportData;
use crate::analysis::Kind;
use crate::metric::Metric;
use crate::results::format::{count, money, number, percent};

/// One checklist item and the run's answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub number: u8,
    /// The checklist's section: Title, Abstract, Introduction, Methods, Results, Discussion or
    /// Other relevant information.
    pub section: &'static str,
    pub topic: &'static str,
    pub answer: String,
    /// False when the answer is "Not reported".
    pub reported: bool,
}

/// The path of one child through the model, as the appendix draws it (item 16).
pub const DIAGRAM: &str = "\
  Returns home from care ──(re-entry hazard: baseline × risk factors × failed returns,
        │                   cut by support's hazard ratio while its effect lasts)──▶  Back in care
        │                                                                             (a breakdown)
        │  maltreatment at home: its own hazard, counted alongside                         │
        ▲                                                                                  │
        └────────── returns home again (with a probability), after a log-normal stay ◀────┘
                    or stays in care to the end of the horizon";

fn item(number: u8, section: &'static str, topic: &'static str, answer: impl Into<String>) -> Item {
    Item { number, section, topic, answer: answer.into(), reported: true }
}

fn not_reported(number: u8, section: &'static str, topic: &'static str, why: &str) -> Item {
    Item { number, section, topic, answer: format!("Not reported: {why}"), reported: false }
}

/// Joins at most `n` names, then says how many more.
fn some(names: &[String], n: usize) -> String {
    if names.len() <= n { names.join(", ") } else { format!("{} and {} more", names[..n].join(", "), names.len() - n) }
}

/// The 28 items, answered from the run in `d`.
pub fn items(d: &ReportData) -> Vec<Item> {
    let s = &d.summary;
    let psa = s.has_psa();
    let others: Vec<&crate::results::summary::StrategyInfo> = s.strategies.iter().skip(1).collect();
    let strategy_names: Vec<String> = others.iter().map(|st| st.display_label()).collect();
    let authorities: Vec<String> = s.authorities.iter().map(|a| a.name.clone()).collect();
    let period = crate::results::verdict::period(s);
    let mut out = Vec::with_capacity(28);

    out.push(item(
        1,
        "Title",
        "Title",
        format!(
            "{}: a model-based economic evaluation (cost and cost-effectiveness analysis) of support for children returning home from care.",
            s.title
        ),
    ));
    out.push(not_reported(
        2,
        "Abstract",
        "Abstract",
        "an abstract is the authors' to write; the report's opening verdict summarises this run.",
    ));
    let mut background = format!(
        "Whether funded support after a return home from care ({}) averts breakdowns (re-entries to care), and at what cost, against {}.",
        strategy_names.join("; "),
        s.prose_label(&s.comparator)
    );
    if let Some(desc) = &s.description {
        let _ = write!(background, " {desc}");
    }
    out.push(item(3, "Introduction", "Background and objectives", background));
    out.push(not_reported(
        4,
        "Methods",
        "Health economic analysis plan",
        "the scenario records no pre-specified analysis plan; the scenario file and its SHA-256 (run.json) fix what was run.",
    ));
    let risk: Vec<(String, f64)> = if s.risk_factors.is_empty() {
        // A summary written before risk factors were listed: labels made from the names in
        // the inputs.
        s.inputs
            .iter()
            .filter(|r| r.key.starts_with("risk_factor.") && r.key.ends_with(".prevalence"))
            .map(|r| {
                let name = r.key.trim_start_matches("risk_factor.").trim_end_matches(".prevalence");
                (crate::scenario::label_from_name(name), r.point)
            })
            .collect()
    } else {
        s.risk_factors.iter().map(|r| (r.label.clone(), r.prevalence)).collect()
    };
    let risk: Vec<String> =
        risk.iter().map(|(label, p)| format!("{} {}", crate::scenario::in_sentence(label), percent(*p))).collect();
    let mut population = format!(
        "{} children returning home from local-authority care to parents or relatives",
        count(s.children as f64)
    );
    if let Some(b) = &s.budget {
        let _ = write!(
            population,
            ", in {} yearly cohorts from {}",
            b.cohorts,
            b.financial_years.first().cloned().unwrap_or_default()
        );
    }
    if !risk.is_empty() {
        let _ = write!(population, "; risk factors (prevalence): {}", risk.join(", "));
    }
    population.push('.');
    out.push(item(5, "Methods", "Study population", population));
    let sources: Vec<String> = s.authorities.iter().filter_map(|a| a.source.clone()).collect();
    let mut setting = format!(
        "Children's services of {} local authorit{} in England: {}.",
        s.authorities.len(),
        if s.authorities.len() == 1 { "y" } else { "ies" },
        some(&authorities, 8)
    );
    if let Some(src) = sources.first() {
        let _ = write!(setting, " Children: {src}.");
    }
    out.push(item(6, "Methods", "Setting and location", setting));
    let comparators: Vec<String> = s
        .strategies
        .iter()
        .enumerate()
        .map(|(i, st)| {
            if i == 0 {
                format!(
                    "{} (the comparator): {}",
                    st.display_label(),
                    st.source.clone().unwrap_or_else(|| "services as usual".into())
                )
            } else {
                format!(
                    "{}: support offered to {}, take-up {}, at {} {}",
                    st.display_label(),
                    st.offered_to,
                    percent(st.take_up),
                    money(st.cost),
                    st.cost_basis.replace('_', " ")
                )
            }
        })
        .collect();
    out.push(item(7, "Methods", "Comparators", comparators.join("; ") + "."));
    let cost_lines: Vec<String> = s
        .inputs
        .iter()
        .filter(|r| r.key.starts_with("cost."))
        .map(|r| format!("{} ({})", r.label, money(r.point)))
        .collect();
    out.push(item(
        8,
        "Methods",
        "Perspective",
        format!(
            "The local authority's children's services budget: the costs counted are the price of support and {}. Costs to families, health, education and the justice system are not counted.",
            if cost_lines.is_empty() { "no other cost line".to_string() } else { cost_lines.join(", ") }
        ),
    ));
    let horizon = match &s.budget {
        Some(b) => format!(
            "{} financial years ({}), the budget window: each cohort is followed to its end.",
            b.years,
            b.financial_years.join(", ")
        ),
        None => format!(
            "{} years from the return home, long enough for the published 5-year re-entry figures the model is calibrated to.",
            number(s.horizon_years, 2)
        ),
    };
    out.push(item(9, "Methods", "Time horizon", horizon));
    out.push(item(
        10,
        "Methods",
        "Discount rate",
        format!(
            "Costs discounted at {} a year (HM Treasury Green Book), continuously over time from the start of the run; outcomes are counts of events and are not discounted. Undiscounted (cash) costs are reported too.",
            percent(s.discount_rate)
        ),
    ));
    out.push(item(
        11,
        "Methods",
        "Selection of outcomes",
        "Breakdowns (re-entries to care after a return home) averted against the comparator, the outcome commissioners and the published literature report; also maltreatment events at home, years in care and the share back in care by 3, 6, 12, 24 and 60 months.",
    ));
    let fits: Vec<String> = s
        .calibration
        .reentry
        .iter()
        .map(|f| {
            format!(
                "{} back in care by {} years (model {})",
                percent(f.target),
                number(f.years, 2),
                percent(f.achieved)
            )
        })
        .collect();
    let mut measured = "Simulated for each child from a piecewise-constant re-entry hazard".to_string();
    if fits.is_empty() {
        measured.push_str(" with rates given in the scenario.");
    } else {
        let _ = write!(measured, " calibrated to published cumulative shares: {}.", fits.join("; "));
    }
    if let Some(sc) = &s.calibration.reentry_scale {
        let _ = write!(
            measured,
            " The shape is scaled by {} to {} back in care by {} years.",
            number(sc.factor, 3),
            percent(sc.target),
            number(sc.years, 2)
        );
    }
    out.push(item(12, "Methods", "Measurement of outcomes", measured));
    let valued = match crate::wtp::range(&d.wtp) {
        None => "Outcomes are not valued in money: net saving (cash) is the decision criterion.".to_string(),
        Some((lo, hi)) => format!(
            "Net monetary benefit = value × breakdowns averted (plus any value the scenario's [decision] sets on maltreatment events and years in care averted) − incremental cost. No published value of a breakdown averted exists, so results are given across {} to {} per breakdown averted (the acceptability curves and the frontier), and with no value (cash only).",
            money(lo),
            money(hi)
        ),
    };
    out.push(item(13, "Methods", "Valuation of outcomes", valued));
    let costs: Vec<String> = s
        .inputs
        .iter()
        .filter(|r| r.key.starts_with("cost.") || r.key.ends_with(".cost"))
        .map(|r| {
            let src = r.source.clone().unwrap_or_else(|| "no source given".into());
            format!("{}: {} ({}; {src})", r.label, money(r.point), r.distribution)
        })
        .collect();
    out.push(item(
        14,
        "Methods",
        "Measurement and valuation of resources and costs",
        format!(
            "Unit costs from published sources, applied per event or pro rata (MODEL.md, \"Costs\"): {}.",
            costs.join("; ")
        ),
    ));
    out.push(match s.price_year {
        Some(y) => item(
            15,
            "Methods",
            "Currency, price date and conversion",
            format!("Pounds sterling at {y} prices, as published; no currency conversion or inflation adjustment."),
        ),
        None => not_reported(
            15,
            "Methods",
            "Currency, price date and conversion",
            "the scenario gives no price year; costs are in pounds sterling as published.",
        ),
    });
    out.push(item(
        16,
        "Methods",
        "Rationale and description of model",
        "An individual-level (microsimulation) model with continuous time: each child's path after a return home is simulated event by event (diagram below), because re-entry risk depends on each child's risk factors and previous failed returns, and support acts for a limited window. MODEL.md specifies it.",
    ));
    let mut analytics = format!(
        "Every random stream is keyed by (seed {}, iteration, authority, child, purpose), so results are exactly reproducible on any number of threads; strategies share common random numbers. Hazard ratios multiply; a child offered support takes it up with the strategy's take-up probability; the baseline hazard is calibrated exactly over the risk mix in each iteration.",
        s.seed
    );
    if let Some(r) = &s.resimulated {
        let _ = write!(
            analytics,
            " Break-even, tornado and two-way analyses re-simulate a sample of the {} children with a control variate, and report their Monte Carlo error.",
            count(r.children as f64)
        );
    }
    out.push(item(17, "Methods", "Analytics and assumptions", analytics));
    out.push(if s.authorities.len() > 1 {
        item(
            18,
            "Methods",
            "Characterising heterogeneity",
            format!("Results for each of the {} authorities, with 95% intervals (authorities.csv). Risk factors change each child's hazard; results are not reported by risk group.", s.authorities.len()),
        )
    } else {
        not_reported(
            18,
            "Methods",
            "Characterising heterogeneity",
            "one authority; risk factors change each child's hazard, and targeted strategies are compared with support for all, but results are not reported by risk group.",
        )
    });
    out.push(not_reported(
        19,
        "Methods",
        "Characterising distributional effects",
        "the model does not estimate how costs and outcomes fall across groups of children or families (equity).",
    ));
    let uncertain = s.inputs.iter().filter(|r| r.distribution != "fixed").count();
    let mut methods_uncertainty = if psa {
        format!(
            "Probabilistic sensitivity analysis: {} iterations, each drawing the {} uncertain inputs from their distributions (beta for probabilities, log-normal for hazard ratios, gamma for costs; each listed with its source in the inputs table); means with 95% intervals and Monte Carlo standard errors.",
            count(s.psa_iterations as f64),
            uncertain
        )
    } else {
        "Base case only: no probabilistic sensitivity analysis was run.".to_string()
    };
    methods_uncertainty.push_str(" One-way (tornado, 2.5% to 97.5% quantiles) and two-way (price × effect) sensitivity analyses, break-even analysis");
    if !d.voi.is_empty() {
        methods_uncertainty
            .push_str(", and value of information: EVPI and EVPPI by regression (Strong, Oakley and Brennan 2014)");
    }
    if s.pilot.is_some() {
        methods_uncertainty.push_str(", with EVSI and ENBS of a local pilot (Strong et al. 2015)");
    }
    methods_uncertainty.push('.');
    out.push(item(20, "Methods", "Characterising uncertainty", methods_uncertainty));
    out.push(not_reported(
        21,
        "Methods",
        "Approach to engagement with patients and others affected by the study",
        "the scenario records no engagement with children, families or practitioners.",
    ));
    out.push(item(
        22,
        "Results",
        "Study parameters",
        format!(
            "All {} inputs, with point values, distributions and sources, are in the \"Scenario inputs\" table above and inputs.csv.",
            s.inputs.len()
        ),
    ));
    let results: Vec<String> = others
        .iter()
        .map(|st| {
            let net = s.central(&st.name, Kind::Increment, Metric::NetSaving);
            let averted = s.central(&st.name, Kind::Increment, Metric::BreakdownsAverted);
            let mut t = format!(
                "{}: net saving {} and {} breakdowns averted {period}",
                st.display_label(),
                net.map_or("–".into(), money),
                averted.map_or("–".into(), |a| number(a, 1))
            );
            if let Some(f) = d.frontier.iter().find(|f| f.strategy == st.name) {
                match (&f.standing[..], f.icer) {
                    ("frontier", Some(icer)) => {
                        let _ = write!(t, ", ICER {} per extra breakdown averted", money(icer));
                    }
                    ("dominated", _) => {
                        let _ = write!(t, ", dominated by {}", f.dominated_by);
                    }
                    ("extendedly dominated", _) => t.push_str(", extendedly dominated"),
                    _ => {}
                }
            }
            t
        })
        .collect();
    out.push(item(
        23,
        "Results",
        "Summary of main results",
        format!(
            "Against {} ({}): {}.",
            s.prose_label(&s.comparator),
            if psa { "PSA means" } else { "base case" },
            results.join("; ")
        ),
    ));
    let mut effect = Vec::new();
    for st in &others {
        if let Some(p) = s.central(&st.name, Kind::Increment, Metric::SavesMoney).filter(|_| psa) {
            effect.push(format!("{} saves money in {} of simulations", st.display_label(), percent(p)));
        }
    }
    if let Some(top) = d.tornado.iter().max_by(|a, b| a.swing.total_cmp(&b.swing)) {
        effect.push(format!(
            "the input that moves the net saving most is {} (a swing of {})",
            if top.label.is_empty() { &top.parameter } else { &top.label },
            money(top.swing)
        ));
    }
    if let Some(all) = d.voi.iter().find(|r| r.kind == "all") {
        effect.push(format!("EVPI in cash alone is {} over the cohorts the decision affects", money(all.population)));
    }
    if let Some(w) = d.voi_at_wtp.iter().find(|r| r.row.kind == "all") {
        effect.push(format!(
            "at {} per breakdown averted, where the choice is most uncertain, EVPI is {}",
            money(w.wtp),
            money(w.row.population)
        ));
    }
    if let Some(p) = &s.pilot {
        effect.push(match p.best_families_per_arm {
            Some(n) => format!("a local pilot is worth running, best at {} families per arm", count(n as f64)),
            None => "no size of local pilot studied is worth its cost".to_string(),
        });
    }
    out.push(if effect.is_empty() {
        not_reported(24, "Results", "Effect of uncertainty", "no uncertainty analysis was run.")
    } else {
        item(24, "Results", "Effect of uncertainty", capitalise(&effect.join("; ")) + ".")
    });
    out.push(not_reported(
        25,
        "Results",
        "Effect of engagement with patients and others affected by the study",
        "no engagement is recorded (item 21).",
    ));
    let checked = d.validation.iter().filter(|r| r.inside.is_some()).count();
    let agree = d.validation.iter().filter(|r| r.inside == Some(true)).count();
    let mut discussion =
        "Not reported in full: findings, limitations and generalisability are the authors' to discuss.".to_string();
    if checked > 0 {
        let _ = write!(
            discussion,
            " Bearing on generalisability: {agree} of {checked} independent national figures lie within the model's 95% intervals (\"External validation\" above)."
        );
    }
    out.push(Item {
        number: 26,
        section: "Discussion",
        topic: "Study findings, limitations, generalisability and current knowledge",
        answer: discussion,
        reported: false,
    });
    out.push(not_reported(
        27,
        "Other relevant information",
        "Source of funding",
        "the scenario does not state a funder.",
    ));
    out.push(not_reported(
        28,
        "Other relevant information",
        "Conflicts of interest",
        "the scenario does not state any.",
    ));
    out
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

/// The appendix: a paragraph on what it is, the table of items and the model diagram.
pub fn section(d: &ReportData) -> Markup {
    let items = items(d);
    let answered = items.iter().filter(|i| i.reported).count();
    html! {
        p {
            "Each of the 28 items of the CHEERS 2022 checklist (Husereau et al. 2022, BMJ 376:e067975), answered from this scenario and run: "
            (answered) " are answered here; the rest say why they are not. Paste the table into a paper's supplement and complete those."
        }
        table.cheers {
            tr { th { "Item" } th { "Section" } th { "Topic" } th { "Reported in this run" } }
            @for i in &items {
                tr.not-reported[!i.reported] {
                    td.num { (i.number) } td { (i.section) } td { (i.topic) } td { (i.answer) }
                }
            }
        }
        figure {
            pre.diagram { (DIAGRAM) }
            figcaption { "Item 16: the path of one child through the model." }
        }
    }
}
