//! `summary.json`: the run's headline file, and the per-authority ranking drawn from it.
//!
//! Everything a report needs besides the per-iteration tables: the scenario's description,
//! strategies, inputs with sources, calibration fit, break-even figures, the budget section
//! in flow mode, and every summary row (base case, PSA mean, 95% interval and MCSE of every
//! metric). The report, the workbook and `compare` read it through [`SummaryFile`].

use serde::{Deserialize, Serialize};

use crate::analysis::{self, Kind, Stat, SummaryRow};
use crate::budget::BudgetSummary;
use crate::calibrate::Fit;
use crate::digest::RunDigest;
use crate::metric::Metric;
use crate::price::View;
use crate::scenario::{Eligibility, Scenario, SupportBasis, TOTAL_NAME};

use super::tables::AuthorityRow;

/// For each parameter, the strategies whose support uses it, in strategy order, from the
/// scenario's model and every authority's own.
fn strategies_using(sc: &Scenario) -> Vec<Vec<String>> {
    let mut by = vec![Vec::<String>::new(); sc.params.len()];
    let models = std::iter::once(&sc.model).chain(sc.authorities.iter().filter_map(|a| a.model.as_ref()));
    for s in models.flat_map(|m| &m.strategies) {
        for id in [s.take_up, s.hr_reentry, s.hr_maltreatment, s.cost] {
            if !by[id.0].contains(&s.name) {
                by[id.0].push(s.name.clone());
            }
        }
    }
    by
}

/// The calibration of the base case: fitted rates and the fit at each target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub reentry_knots: Vec<f64>,
    pub reentry_rates: Vec<f64>,
    pub reentry: Vec<Fit>,
    pub maltreatment: Vec<Fit>,
    /// `calibrate_scale_to`'s factor on the re-entry shape, when the scenario sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reentry_scale: Option<crate::calibrate::ScaleFit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maltreatment_scale: Option<crate::calibrate::ScaleFit>,
    /// With `[age_at_return]`: the share of children whose 18th birthday comes within the
    /// horizon, whose paths end there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at_18: Option<f64>,
    /// The authority's own observed share back in care (`[reentry] observed`), when given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observed: Vec<crate::scenario::ObservedPoint>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuthorityInfo {
    pub name: String,
    pub children: u64,
    pub source: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StrategyInfo {
    pub name: String,
    /// The strategy in words, for everything a person reads ("Targeted support"); the name
    /// stays in the tables. Made from the name for a summary written before labels.
    #[serde(default)]
    pub label: String,
    pub description: Option<String>,
    /// Who is offered support, in words.
    pub offered_to: String,
    /// Expected number of children offered support, from the point prevalences of the risk
    /// factors (which are independent); `None` for the comparator's "no one".
    #[serde(default)]
    pub eligible_children: Option<f64>,
    pub take_up: f64,
    pub cost: f64,
    pub cost_basis: String,
    pub source: Option<String>,
}

/// A risk factor: its name, as the tables and parameter keys use it, and its label.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RiskFactorInfo {
    pub name: String,
    /// The factor in words ("Aged over 10").
    pub label: String,
    /// Its prevalence among children returning home (point value).
    pub prevalence: f64,
}

/// One scenario input with its distribution and cited source.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InputRow {
    pub key: String,
    /// The parameter in words.
    #[serde(default)]
    pub label: String,
    pub point: f64,
    pub distribution: String,
    pub source: Option<String>,
    /// The strategies whose support uses this parameter: more than one when a strategy is
    /// `same_as` another, and then one draw drives them all. Empty for other parameters.
    #[serde(default)]
    pub strategies: Vec<String>,
}

/// `summary.json`: everything a report needs besides the per-iteration tables.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SummaryFile {
    pub scenario: String,
    pub title: String,
    pub description: Option<String>,
    pub price_year: Option<i32>,
    pub horizon_years: f64,
    pub discount_rate: f64,
    pub seed: u64,
    pub children: u64,
    pub authorities: Vec<AuthorityInfo>,
    pub comparator: String,
    pub strategies: Vec<StrategyInfo>,
    /// The scenario's risk factors, so that sentences name them in words. Empty in a summary
    /// written before labels (sentences then make a label from the name).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub risk_factors: Vec<RiskFactorInfo>,
    pub psa_iterations: usize,
    pub calibration: Calibration,
    pub inputs: Vec<InputRow>,
    /// Break-even figures of each non-comparator strategy (base case).
    pub breakeven: Vec<crate::decision::BreakEven>,
    /// Cohorts over which population value-of-information figures are counted.
    pub decision_years: f64,
    /// Flow mode: spend by financial year, net position and payback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<BudgetSummary>,
    /// When the cohort was too large to re-simulate whole: the children each re-simulating
    /// analysis simulated instead (`crate::sample`). Absent when every child was simulated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resimulated: Option<Resimulated>,
    /// `[pilot]`: what the local trial tests, at what value, and the size worth most
    /// (`evsi.csv` has every size).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pilot: Option<crate::pilot::PilotSummary>,
    pub rows: Vec<SummaryRow>,
}

pub use crate::analyses::Resimulated;

fn offered_to(sc: &Scenario, e: &Eligibility) -> String {
    match e {
        Eligibility::All => "all children".into(),
        Eligibility::None => "no one".into(),
        Eligibility::Rule { any_of, min_risk_score } => {
            let names: Vec<String> =
                any_of.iter().map(|&j| crate::scenario::in_sentence(&sc.model.risk_factors[j].label)).collect();
            let listed = match names.as_slice() {
                [] => None,
                [one] => Some(one.clone()),
                [init @ .., last] => Some(format!("any of: {} or {last}", init.join(", "))),
            };
            match (listed, min_risk_score) {
                (Some(l), Some(m)) => format!("children with {l}, and at least {m} risk factors in all"),
                (Some(l), None) => format!("children with {l}"),
                (None, Some(m)) => format!("children with at least {m} risk factors"),
                (None, None) => "all children".into(),
            }
        }
    }
}

/// Expected children offered strategy `s`'s support: each authority's children times the
/// chance that a child's risk factors (independent, at their point prevalences) admit it.
fn eligible_children(sc: &Scenario, s: usize) -> Option<f64> {
    let mut total = 0.0;
    for a in &sc.authorities {
        let model = a.model.as_ref().unwrap_or(&sc.model);
        let rule = &model.strategies.get(s)?.eligibility;
        let p: Vec<f64> = model.risk_factors.iter().map(|r| sc.param(r.prevalence).param.point).collect();
        let share: f64 = (0u64..1 << p.len())
            .filter(|&mask| rule.admits(mask))
            .map(|mask| {
                p.iter().enumerate().map(|(j, &pj)| if mask >> j & 1 == 1 { pj } else { 1.0 - pj }).product::<f64>()
            })
            .sum();
        total += share * sc.cohorts(a.children).iter().sum::<u64>() as f64;
    }
    Some(total)
}

impl StrategyInfo {
    /// The strategy in words: its label, or one made from its name for a summary written
    /// before labels.
    pub fn display_label(&self) -> String {
        if self.label.is_empty() { crate::scenario::label_from_name(&self.name) } else { self.label.clone() }
    }
}

impl SummaryFile {
    /// A strategy's label standing alone ("Targeted support"); a name it does not know is made
    /// readable.
    pub fn label(&self, name: &str) -> String {
        self.strategies
            .iter()
            .find(|st| st.name == name)
            .map_or_else(|| crate::scenario::label_from_name(name), StrategyInfo::display_label)
    }

    /// A strategy's label inside a sentence ("targeted support").
    pub fn prose_label(&self, name: &str) -> String {
        crate::scenario::in_sentence(&self.label(name))
    }

    /// Whether there was a PSA: then the headline figures are its means, else the base case.
    pub fn has_psa(&self) -> bool {
        self.psa_iterations > 0
    }

    /// A summary statistic over all authorities.
    pub fn stat(&self, strategy: &str, kind: Kind, metric: Metric) -> Option<&Stat> {
        analysis::find(&self.rows, strategy, kind, metric)
    }

    /// The headline value of a metric: the PSA mean when there was a PSA, else the base case.
    pub fn central(&self, strategy: &str, kind: Kind, metric: Metric) -> Option<f64> {
        self.stat(strategy, kind, metric).and_then(|s| s.central(self.has_psa()))
    }

    /// The 95% interval over the PSA, when there were at least two iterations.
    pub fn interval(&self, strategy: &str, kind: Kind, metric: Metric) -> Option<(f64, f64)> {
        let s = self.stat(strategy, kind, metric)?;
        (self.psa_iterations > 1).then_some((s.q025?, s.q975?))
    }

    pub fn new(
        sc: &Scenario,
        run: &RunDigest,
        rows: Vec<SummaryRow>,
        breakeven: Vec<crate::decision::BreakEven>,
        decision_years: f64,
    ) -> Self {
        let base = &run.base_inputs;
        SummaryFile {
            scenario: sc.meta.name.clone(),
            title: sc.meta.title.clone(),
            description: sc.meta.description.clone(),
            price_year: sc.meta.price_year,
            horizon_years: sc.horizon(),
            discount_rate: base.discount_rate,
            seed: sc.meta.seed,
            children: sc.total_children(),
            authorities: sc
                .authorities
                .iter()
                .map(|a| AuthorityInfo {
                    name: a.name.clone(),
                    children: sc.cohorts(a.children).iter().sum(),
                    source: a.source.clone(),
                })
                .collect(),
            comparator: sc.model.strategies[0].name.clone(),
            strategies: sc
                .model
                .strategies
                .iter()
                .enumerate()
                .map(|(i, s)| StrategyInfo {
                    name: s.name.clone(),
                    label: s.label.clone(),
                    description: s.description.clone(),
                    offered_to: offered_to(sc, &s.eligibility),
                    eligible_children: eligible_children(sc, i),
                    take_up: sc.param(s.take_up).param.point,
                    cost: sc.param(s.cost).param.point,
                    cost_basis: match s.cost_basis {
                        SupportBasis::PerSupportedReturn => "per_supported_return".into(),
                        SupportBasis::PerSupportedYear => "per_supported_year".into(),
                    },
                    source: s.source.clone(),
                })
                .collect(),
            risk_factors: sc
                .model
                .risk_factors
                .iter()
                .map(|r| RiskFactorInfo {
                    name: r.name.clone(),
                    label: r.label.clone(),
                    prevalence: sc.param(r.prevalence).param.point,
                })
                .collect(),
            psa_iterations: run.psa.len(),
            calibration: Calibration {
                reentry_knots: base.reentry.knots().to_vec(),
                reentry_rates: base.reentry.rates().to_vec(),
                reentry: base.reentry_fit.clone(),
                maltreatment: base.maltreatment_fit.clone(),
                reentry_scale: base.reentry_scale,
                maltreatment_scale: base.maltreatment_scale,
                ended_at_18: sc.age_at_return.as_ref().map(|a| a.share_turning_18_within(sc.horizon())),
                observed: sc.observed_reentry.clone(),
            },
            inputs: sc
                .params
                .iter()
                .zip(strategies_using(sc))
                .map(|(p, strategies)| InputRow {
                    key: p.key.clone(),
                    label: p.label.clone(),
                    point: p.param.point,
                    distribution: p.param.dist.describe(),
                    source: p.source.clone(),
                    strategies,
                })
                .collect(),
            breakeven,
            decision_years,
            budget: sc.budget.as_ref().map(|b| {
                let names: Vec<String> = sc.model.strategies.iter().map(|s| s.name.clone()).collect();
                crate::budget::summarise(b, run, &names)
            }),
            resimulated: None,
            pilot: None,
            rows,
        }
    }
}

/// Every summary row of a run: all authorities, then each authority when there are several.
pub fn summary_rows(sc: &Scenario, run: &RunDigest, names: &[String]) -> Vec<SummaryRow> {
    let mut rows = analysis::summarise(run, names, TOTAL_NAME, View::Total);
    if sc.authorities.len() > 1 {
        use rayon::prelude::*;
        // Authorities are summarised in parallel and collected in order.
        let each: Vec<Vec<SummaryRow>> = (0..sc.authorities.len())
            .into_par_iter()
            .map(|a| analysis::summarise(run, names, &sc.authorities[a].name, View::Authority(a)))
            .collect();
        rows.extend(each.into_iter().flatten());
    }
    rows
}

/// Per-authority results of every non-comparator strategy, ranked by net saving per child
/// (best first). Empty for a single-authority scenario.
pub fn authority_rows(summary: &SummaryFile) -> Vec<AuthorityRow> {
    if summary.authorities.len() < 2 {
        return Vec::new();
    }
    let psa = summary.psa_iterations > 0;
    let index = analysis::RowIndex::new(&summary.rows);
    let get = |a: &str, s: &str, m: Metric| index.get(a, s, Kind::Increment, m);
    let mut out = Vec::new();
    for st in summary.strategies.iter().skip(1) {
        let mut rows: Vec<AuthorityRow> = summary
            .authorities
            .iter()
            .map(|a| {
                let net = get(&a.name, &st.name, Metric::NetSaving);
                let central = |x: Option<&analysis::Stat>| x.and_then(|s| s.central(psa)).unwrap_or(f64::NAN);
                AuthorityRow {
                    authority: a.name.clone(),
                    strategy: st.name.clone(),
                    rank: 0,
                    children: a.children,
                    net_saving: central(net),
                    net_saving_q025: net.and_then(|s| s.q025).unwrap_or(f64::NAN),
                    net_saving_q975: net.and_then(|s| s.q975).unwrap_or(f64::NAN),
                    breakdowns_averted: central(get(&a.name, &st.name, Metric::BreakdownsAverted)),
                }
            })
            .collect();
        rows.sort_by(|a, b| {
            b.per_child(b.net_saving).total_cmp(&a.per_child(a.net_saving)).then(a.authority.cmp(&b.authority))
        });
        for (i, r) in rows.iter_mut().enumerate() {
            r.rank = i as u32 + 1;
        }
        out.extend(rows);
    }
    out
}
