//! From the tables of a run to the data of each chart: one function per chart, each reading
//! only [`ReportData`], so a chart shows exactly what the files hold.

use crate::analysis::Kind;
use crate::metric::Metric;
use crate::results::SummaryFile;
use crate::results::tables::AuthorityRow;
use crate::voi::VoiRow;

use super::ReportData;
use super::charts::*;

pub fn curve_chart(d: &ReportData) -> ReentryChart {
    let s = &d.summary;
    let psa = s.psa_iterations > 0;
    let series = s
        .strategies
        .iter()
        .enumerate()
        .map(|(i, st)| CurveSeries {
            name: st.display_label(),
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

/// The authority's observed curve (`[reentry] observed`) beside the model's comparator, when
/// the scenario carries one.
pub fn local_curve_chart(d: &ReportData) -> Option<LocalFitChart> {
    let s = &d.summary;
    let observed = &s.calibration.observed;
    if observed.is_empty() {
        return None;
    }
    let psa = s.psa_iterations > 0;
    let fitted = d
        .curve
        .iter()
        .filter(|r| r.strategy == s.comparator)
        .map(|r| (r.month as f64, if psa { r.mean.unwrap_or(r.base) } else { r.base }))
        .collect();
    Some(LocalFitChart {
        observed: observed.iter().map(|p| (p.months, p.share, p.lo, p.hi)).collect(),
        fitted,
        fitted_label: format!(
            "Model, {} ({})",
            s.prose_label(&s.comparator),
            if psa { "mean of simulations" } else { "base case" }
        ),
    })
}

pub fn cost_chart(d: &ReportData) -> CostChart {
    let bars = d
        .summary
        .strategies
        .iter()
        .map(|st| {
            let g = |m: Metric| d.central(&st.name, Kind::Level, m).unwrap_or(0.0);
            CostBar {
                name: st.display_label(),
                support: g(Metric::SupportCost),
                breakdown: g(Metric::BreakdownCost),
                other: g(Metric::OtherCost),
            }
        })
        .collect();
    let what = if d.summary.psa_iterations > 0 { "PSA means" } else { "base case" };
    CostChart { bars, subtitle: format!("{what}, discounted") }
}

pub fn saving_chart(d: &ReportData) -> NetSavingChart {
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
                name: st.display_label(),
                index: i,
                mean: d.central(&st.name, Kind::Increment, Metric::NetSaving).unwrap_or(f64::NAN),
                p_saves: d.central(&st.name, Kind::Increment, Metric::SavesMoney).unwrap_or(f64::NAN),
                values,
                low,
                high,
            }
        })
        .collect();
    NetSavingChart { comparator: d.summary.prose_label(&d.summary.comparator), series }
}

/// Simulations drawn as dots on the cost-effectiveness plane, per strategy: the first ones
/// in iteration order. More would not show more (the cloud is already solid) and would make
/// the SVG, the PNG's rasterising and the report grow with the iterations.
pub const PLANE_POINTS: usize = 2000;

pub fn plane_chart(d: &ReportData) -> PlaneChart {
    let series = d
        .summary
        .strategies
        .iter()
        .enumerate()
        .skip(1)
        .map(|(i, st)| PlaneSeries {
            name: st.display_label(),
            index: i,
            points: d
                .psa
                .get(&st.name)
                .map(|v| v.iter().take(PLANE_POINTS).map(|r| (r.breakdowns_averted, -r.net_saving)).collect())
                .unwrap_or_default(),
        })
        .collect();
    PlaneChart { comparator: d.summary.prose_label(&d.summary.comparator), series }
}

pub fn outcome_chart(d: &ReportData) -> OutcomeChart {
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
    OutcomeChart { strategies: d.summary.strategies.iter().map(|s| s.display_label()).collect(), groups }
}

/// The decision chart: each strategy's net saving against the comparator with its 95%
/// interval, and the chance it saves money.
pub fn decision_chart(s: &SummaryFile) -> DecisionChart {
    let d = s;
    DecisionChart {
        comparator: s.prose_label(&s.comparator),
        psa: s.psa_iterations > 0,
        rows: s
            .strategies
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, st)| {
                let mean = d.central(&st.name, Kind::Increment, Metric::NetSaving).unwrap_or(f64::NAN);
                let (lo, hi) = d.interval(&st.name, Kind::Increment, Metric::NetSaving).unwrap_or((mean, mean));
                DecisionRow {
                    name: st.display_label(),
                    index: i,
                    mean,
                    low: lo,
                    high: hi,
                    p_saves: d.central(&st.name, Kind::Increment, Metric::SavesMoney),
                }
            })
            .collect(),
    }
}

/// The tornado of the first non-comparator strategy (tornado.csv has all), top 15 bars,
/// each labelled in words with its low and high values.
pub fn tornado_chart(d: &ReportData) -> Option<TornadoChart> {
    let s = &d.summary;
    let st = s.strategies.get(1)?;
    let rows: Vec<_> = d.tornado.iter().filter(|r| r.strategy == st.name).take(15).collect();
    if rows.is_empty() {
        return None;
    }
    let base = s.breakeven.iter().find(|b| b.strategy == st.name).map_or(f64::NAN, |b| b.net_saving);
    let unit =
        |key: &str| s.inputs.iter().find(|p| p.key == key).map(|p| super::value_unit(&p.key)).unwrap_or_default();
    Some(TornadoChart {
        strategy: st.display_label(),
        comparator: s.prose_label(&s.comparator),
        base,
        bars: rows
            .iter()
            .map(|r| {
                let u = unit(&r.parameter);
                TornadoBar {
                    label: format!(
                        "{} ({} to {})",
                        if r.label.is_empty() { &r.parameter } else { &r.label },
                        super::fmt_value(r.low_value, u),
                        super::fmt_value(r.high_value, u)
                    ),
                    low: r.low_net_saving,
                    high: r.high_net_saving,
                }
            })
            .collect(),
    })
}

pub fn acceptability_chart(d: &ReportData) -> Option<AcceptabilityChart> {
    if d.acceptability.is_empty() {
        return None;
    }
    let s = &d.summary;
    Some(AcceptabilityChart {
        series: s
            .strategies
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, st)| AcceptSeries {
                name: st.display_label(),
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
    })
}

/// EVPPI bars of the parameters and groups, largest first (top 15), labelled in words.
pub fn evppi_chart(d: &ReportData) -> Option<EvppiChart> {
    if d.voi.is_empty() {
        return None;
    }
    let mut params: Vec<&VoiRow> = d.voi.iter().filter(|r| r.kind != "all").collect();
    params.sort_by(|a, b| b.population.total_cmp(&a.population));
    Some(EvppiChart {
        decision_years: d.summary.decision_years,
        wtp: None,
        bars: params
            .iter()
            .take(15)
            .map(|r| (if r.label.is_empty() { r.name.clone() } else { r.label.clone() }, r.population))
            .collect(),
    })
}

/// The authorities of the first non-comparator strategy, ranked by net saving per child.
pub fn authority_chart(d: &ReportData) -> Option<AuthorityChart> {
    let first = d.summary.strategies.get(1)?;
    let rows: Vec<&AuthorityRow> = d.authorities.iter().filter(|r| r.strategy == first.name).collect();
    if rows.is_empty() {
        return None;
    }
    Some(AuthorityChart {
        strategy: first.display_label(),
        index: 1,
        points: rows
            .iter()
            .map(|r| {
                let c = r.per_child(r.net_saving);
                let (lo, hi) = (r.per_child(r.net_saving_q025), r.per_child(r.net_saving_q975));
                let or_c = |v: f64| if v.is_finite() { v } else { c };
                (r.authority.clone(), r.rank as usize, c, or_c(lo), or_c(hi))
            })
            .collect(),
    })
}

/// Flow mode: spend by financial year and the cumulative net position.
pub fn budget_chart(d: &ReportData) -> Option<BudgetChart> {
    let s = &d.summary;
    let b = s.budget.as_ref()?;
    let psa = s.psa_iterations > 0;
    let central =
        |st: &str, y: &str, line: &str| b.find(st, y, line, "cash").and_then(|x| x.central(psa)).unwrap_or(f64::NAN);
    Some(BudgetChart {
        years: b.financial_years.clone(),
        comparator: s.prose_label(&s.comparator),
        spend: s
            .strategies
            .iter()
            .enumerate()
            .map(|(i, st)| BudgetSpend {
                name: st.display_label(),
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
                name: st.display_label(),
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
    })
}

/// The two-way chart of the first non-comparator strategy: net saving over price × effect.
pub fn two_way_chart(d: &ReportData) -> Option<TwoWayChart> {
    let s = &d.summary;
    let st = s.strategies.get(1)?;
    let points: Vec<(f64, f64, f64)> =
        d.two_way.iter().filter(|p| p.strategy == st.name).map(|p| (p.price, p.hazard_ratio, p.net_saving)).collect();
    if points.is_empty() {
        return None;
    }
    let hr = s.breakeven.iter().find(|b| b.strategy == st.name).map_or(f64::NAN, |b| b.scenario_hazard_ratio);
    Some(TwoWayChart {
        strategy: st.display_label(),
        comparator: s.prose_label(&s.comparator),
        points,
        scenario: (st.cost, hr),
    })
}

/// Acceptability over willingness to pay per breakdown averted, from `wtp.csv`, with the
/// points where the strategy of largest expected net benefit changes.
pub fn wtp_chart(d: &ReportData) -> Option<WtpChart> {
    if d.wtp.is_empty() {
        return None;
    }
    Some(WtpChart { series: wtp_series(d, |p| p.probability_best), turns: wtp_turns(d) })
}

/// Each strategy's curve over willingness to pay from `wtp.csv`: `(wtp, y(point))`.
fn wtp_series(d: &ReportData, y: impl Fn(&crate::wtp::WtpPoint) -> f64) -> Vec<WtpSeries> {
    d.summary
        .strategies
        .iter()
        .enumerate()
        .map(|(i, st)| WtpSeries {
            name: st.display_label(),
            index: i,
            points: d.wtp.iter().filter(|p| p.strategy == st.name).map(|p| (p.wtp, y(p))).collect(),
        })
        .collect()
}

/// Where the strategy of largest expected net benefit changes, and to which.
fn wtp_turns(d: &ReportData) -> Vec<(f64, String)> {
    crate::wtp::turns(&d.wtp).into_iter().map(|(w, _, to)| (w, d.summary.label(&to))).collect()
}

/// EVPPI at the willingness to pay where the choice is most uncertain (`evppi_wtp.csv`), top
/// 15 inputs and groups by population value, labelled in words.
pub fn evppi_wtp_chart(d: &ReportData) -> Option<EvppiChart> {
    let wtp = d.voi_at_wtp.first()?.wtp;
    let mut rows: Vec<&VoiRow> = d.voi_at_wtp.iter().map(|r| &r.row).filter(|r| r.kind != "all").collect();
    rows.sort_by(|a, b| b.population.total_cmp(&a.population));
    Some(EvppiChart {
        decision_years: d.summary.decision_years,
        wtp: Some(wtp),
        bars: rows
            .iter()
            .take(15)
            .map(|r| (if r.label.is_empty() { r.name.clone() } else { r.label.clone() }, r.population))
            .collect(),
    })
}

/// Population EVPI over willingness to pay per breakdown averted, from `wtp.csv` (one value
/// per willingness to pay: every strategy's row holds the same).
pub fn evpi_curve_chart(d: &ReportData) -> Option<EvpiCurveChart> {
    let first = d.wtp.first()?.strategy.clone();
    Some(EvpiCurveChart {
        points: d.wtp.iter().filter(|p| p.strategy == first).map(|p| (p.wtp, p.population_evpi)).collect(),
        decision_years: d.summary.decision_years,
        turns: wtp_turns(d),
    })
}

/// The local pilot's EVSI, cost and ENBS against its size, from `evsi.csv` and summary.json.
pub fn evsi_chart(d: &ReportData) -> Option<EvsiChart> {
    let p = d.summary.pilot.as_ref()?;
    (!d.evsi.is_empty()).then(|| EvsiChart::of(&d.evsi, p))
}

/// Each strategy's expected net benefit over willingness to pay, from `wtp.csv`.
pub fn enb_chart(d: &ReportData) -> Option<EnbChart> {
    if d.wtp.is_empty() {
        return None;
    }
    Some(EnbChart { series: wtp_series(d, |p| p.expected_net_benefit), turns: wtp_turns(d) })
}
