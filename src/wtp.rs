//! Decisions that value children's outcomes, not only cash (issue #19, first part): the
//! cost-effectiveness frontier with its ICERs, and over a range of willingness to pay per
//! breakdown averted the acceptability of each strategy, its expected net benefit and the
//! expected value of perfect information.
//!
//! Net monetary benefit of strategy `s` against the comparator at willingness to pay `λ` per
//! breakdown averted: `NMB_s(λ) = λ · B_s + v_m · M_s + v_c · C_s − ΔC_s`, where `B`, `M` and
//! `C` are the breakdowns, maltreatment events and care-years averted, `v_m` and `v_c` the
//! scenario's values for the other two, and `ΔC_s` the incremental cost (minus the net
//! saving). The comparator's is 0. With every value 0, NMB is the net saving: today's
//! cash-only answers.
//!
//! The frontier (Drummond et al., *Methods for the economic evaluation of health care
//! programmes*, 4th ed., ch. 4): strategies sorted by effect; a strategy that costs more and
//! averts no more than another is **dominated**; one whose ICER against the previous
//! strategy on the frontier is higher than the next one's is **extendedly dominated** (a mix
//! of its neighbours would do better); the ICER of each strategy left is its incremental cost
//! per extra breakdown averted against the previous one.

use serde::{Deserialize, Serialize};

use crate::digest::RunDigest;
use crate::metric::Metric;
use crate::price::View;
use crate::scenario::Scenario;

/// One strategy's expected incremental cost and effect against the comparator.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub strategy: String,
    /// Incremental cost (minus the net saving), £.
    pub cost: f64,
    /// Breakdowns averted.
    pub effect: f64,
}

/// Where a strategy stands on the cost-effectiveness frontier.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Standing {
    /// On the frontier, with its ICER against the previous strategy on it (`None` for the
    /// first: the cheapest of those that avert fewest breakdowns).
    Frontier { icer: Option<f64> },
    /// Costs at least as much as `by` and averts no more.
    Dominated { by: String },
    /// A mix of the strategies either side on the frontier would avert more for the money.
    ExtendedlyDominated,
}

/// The frontier of `points` (the comparator included, at cost 0 and effect 0), in the order
/// given.
pub fn frontier(points: &[Point]) -> Vec<Standing> {
    let n = points.len();
    let mut out: Vec<Option<Standing>> = vec![None; n];
    // Strict dominance: another costs no more and averts no fewer, and differs in one.
    for i in 0..n {
        let by = (0..n).find(|&j| {
            j != i
                && points[j].cost <= points[i].cost
                && points[j].effect >= points[i].effect
                && (points[j].cost < points[i].cost || points[j].effect > points[i].effect)
        });
        if let Some(j) = by {
            out[i] = Some(Standing::Dominated { by: points[j].strategy.clone() });
        }
    }
    // The rest by effect (then cost): remove extended dominance until ICERs rise.
    let mut left: Vec<usize> = (0..n).filter(|&i| out[i].is_none()).collect();
    left.sort_by(|&a, &b| {
        points[a].effect.total_cmp(&points[b].effect).then(points[a].cost.total_cmp(&points[b].cost))
    });
    // Equal cost and effect: the later one is dominated by the first (a tie is no choice).
    let mut k = 1;
    while k < left.len() {
        let (a, b) = (left[k - 1], left[k]);
        if points[a].cost == points[b].cost && points[a].effect == points[b].effect {
            out[b] = Some(Standing::Dominated { by: points[a].strategy.clone() });
            left.remove(k);
        } else {
            k += 1;
        }
    }
    let icer = |a: usize, b: usize| (points[b].cost - points[a].cost) / (points[b].effect - points[a].effect);
    loop {
        let mut removed = false;
        for k in 1..left.len().saturating_sub(1) {
            if icer(left[k - 1], left[k]) > icer(left[k], left[k + 1]) {
                out[left[k]] = Some(Standing::ExtendedlyDominated);
                left.remove(k);
                removed = true;
                break;
            }
        }
        if !removed {
            break;
        }
    }
    for (k, &i) in left.iter().enumerate() {
        out[i] = Some(Standing::Frontier { icer: (k > 0).then(|| icer(left[k - 1], i)) });
    }
    out.into_iter().map(|s| s.expect("every strategy is placed")).collect()
}

/// One strategy at one willingness to pay.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WtpPoint {
    /// Willingness to pay per breakdown averted, £.
    pub wtp: f64,
    pub strategy: String,
    /// Mean net monetary benefit against the comparator over the draws.
    pub expected_net_benefit: f64,
    /// Share of draws in which the strategy has the largest net benefit (ties share).
    pub probability_best: f64,
    /// Whether the strategy has the largest expected net benefit here (the acceptability
    /// frontier).
    pub chosen: bool,
    /// Expected value of perfect information per decision at this willingness to pay: the
    /// same for every strategy's row.
    pub evpi: f64,
    /// The same over every cohort the decision covers (`--decision-years`).
    pub population_evpi: f64,
}

/// One draw's outcomes of one strategy against the comparator.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    pub net_saving: f64,
    pub breakdowns_averted: f64,
    /// The other outcomes, already valued: `v_m · M + v_c · C`.
    pub other_value: f64,
}

/// Acceptability, expected net benefit and EVPI at each willingness to pay in `wtps` (the
/// population EVPI is left per decision: [`analyse`] scales it).
/// `draws[d][s]` is draw `d`'s outcome of strategy `s` (strategy 0 the comparator, all zero).
pub fn curves(names: &[String], draws: &[Vec<Outcome>], wtps: &[f64]) -> Vec<WtpPoint> {
    let n = draws.len().max(1) as f64;
    let mut out = Vec::new();
    for &wtp in wtps {
        let nmb = |o: &Outcome| wtp * o.breakdowns_averted + o.other_value + o.net_saving;
        let mut mean = vec![0.0f64; names.len()];
        let mut best = vec![0.0f64; names.len()];
        let mut max_sum = 0.0;
        for d in draws {
            let v: Vec<f64> = d.iter().map(nmb).collect();
            let top = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let ties = v.iter().filter(|&&x| x == top).count() as f64;
            for (s, x) in v.iter().enumerate() {
                mean[s] += x;
                if *x == top {
                    best[s] += 1.0 / ties;
                }
            }
            max_sum += top;
        }
        // Sums first, one division each: a share of 1,000 draws reads 0.981, not 0.9810000000000008.
        let (mean, best, max_sum): (Vec<f64>, Vec<f64>, f64) =
            (mean.iter().map(|m| m / n).collect(), best.iter().map(|b| b / n).collect(), max_sum / n);
        let top_mean = mean.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let chosen = mean.iter().position(|&m| m == top_mean).unwrap_or(0);
        let evpi = (max_sum - top_mean).max(0.0);
        for (s, name) in names.iter().enumerate() {
            out.push(WtpPoint {
                wtp,
                strategy: name.clone(),
                expected_net_benefit: mean[s],
                probability_best: best[s],
                chosen: s == chosen,
                evpi,
                population_evpi: evpi,
            });
        }
    }
    out
}

/// The lowest and highest willingness to pay on the curves, when there are any.
pub fn range(points: &[WtpPoint]) -> Option<(f64, f64)> {
    let lo = points.iter().map(|p| p.wtp).reduce(f64::min)?;
    Some((lo, points.iter().map(|p| p.wtp).fold(lo, f64::max)))
}

/// The willingness to pay at which the chosen strategy changes, with the strategies before
/// and after: where the decision turns, on the grid of `curves`.
pub fn turns(points: &[WtpPoint]) -> Vec<(f64, String, String)> {
    let chosen: Vec<(f64, &str)> = points.iter().filter(|p| p.chosen).map(|p| (p.wtp, p.strategy.as_str())).collect();
    chosen.windows(2).filter(|w| w[0].1 != w[1].1).map(|w| (w[1].0, w[0].1.to_string(), w[1].1.to_string())).collect()
}

/// The willingness to pay at which the decision is most uncertain: where the largest
/// probability of having the largest net benefit is smallest (the first such, on the grid).
pub fn most_uncertain(points: &[WtpPoint]) -> Option<f64> {
    let mut best: Option<(f64, f64)> = None;
    for p in points {
        let top = points.iter().filter(|q| q.wtp == p.wtp).map(|q| q.probability_best).fold(0.0, f64::max);
        if best.is_none_or(|(_, b)| top < b) {
            best = Some((p.wtp, top));
        }
    }
    best.map(|b| b.0)
}

/// Each strategy's net monetary benefit against the comparator at `wtp`, per PSA draw:
/// `inb[s - 1][d]`, as [`crate::voi::value_of_information_of`] takes it.
pub fn incremental_net_benefit(sc: &Scenario, run: &RunDigest, wtp: f64) -> Vec<Vec<f64>> {
    let v = &sc.values;
    (1..sc.model.strategies.len())
        .map(|s| {
            run.psa
                .iter()
                .map(|d| {
                    let (c, lv, dec) =
                        (d.levels(View::Total, 0), d.levels(View::Total, s), d.decisions(View::Total, s));
                    dec[Metric::NetSaving]
                        + wtp * dec[Metric::BreakdownsAverted]
                        + v.maltreatment_event.point * (c[Metric::MaltreatmentEvents] - lv[Metric::MaltreatmentEvents])
                        + v.care_year.point * (c[Metric::CareYears] - lv[Metric::CareYears])
                })
                .collect()
        })
        .collect()
}

/// EVPI and EVPPI at one willingness to pay per breakdown averted, for `evppi_wtp.csv`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VoiAtWtp {
    pub wtp: f64,
    pub row: crate::voi::VoiRow,
}

/// One strategy on the frontier, at the scenario's values, for `frontier.csv`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FrontierRow {
    pub strategy: String,
    /// Mean incremental cost over the draws, less the value of other outcomes averted.
    pub incremental_cost: f64,
    pub breakdowns_averted: f64,
    /// `frontier`, `dominated` or `extendedly dominated`.
    pub standing: String,
    pub dominated_by: String,
    /// Incremental cost per extra breakdown averted against the previous strategy on the
    /// frontier; `None` off the frontier and for its first strategy.
    pub icer: Option<f64>,
}

/// The curves over willingness to pay per breakdown averted (`steps + 1` values across the
/// scenario's range) and the frontier at its point values, from the PSA draws (the base case
/// when there are none). Population EVPI counts `decision_years` cohorts.
pub fn analyse(sc: &Scenario, run: &RunDigest, steps: usize, decision_years: f64) -> (Vec<WtpPoint>, Vec<FrontierRow>) {
    let names: Vec<String> = sc.model.strategies.iter().map(|s| s.name.clone()).collect();
    let v = &sc.values;
    let draws: Vec<Vec<Outcome>> = run
        .draws()
        .iter()
        .map(|d| {
            let comparator = d.levels(View::Total, 0);
            (0..names.len())
                .map(|s| {
                    let lv = d.levels(View::Total, s);
                    let dec = d.decisions(View::Total, s);
                    Outcome {
                        net_saving: dec[Metric::NetSaving],
                        breakdowns_averted: dec[Metric::BreakdownsAverted],
                        other_value: v.maltreatment_event.point
                            * (comparator[Metric::MaltreatmentEvents] - lv[Metric::MaltreatmentEvents])
                            + v.care_year.point * (comparator[Metric::CareYears] - lv[Metric::CareYears]),
                    }
                })
                .collect()
        })
        .collect();
    let (lo, hi) = (v.breakdown.low, v.breakdown.high);
    let wtps: Vec<f64> = (0..=steps).map(|k| lo + (hi - lo) * k as f64 / steps.max(1) as f64).collect();
    let mut points = curves(&names, &draws, &wtps);
    for p in &mut points {
        p.population_evpi = p.evpi * decision_years;
    }
    let n = draws.len().max(1) as f64;
    let mean = |s: usize, f: &dyn Fn(&Outcome) -> f64| draws.iter().map(|d| f(&d[s])).sum::<f64>() / n;
    let pts: Vec<Point> = (0..names.len())
        .map(|s| Point {
            strategy: names[s].clone(),
            cost: -mean(s, &|o| o.net_saving + o.other_value),
            effect: mean(s, &|o| o.breakdowns_averted),
        })
        .collect();
    let rows = frontier(&pts)
        .into_iter()
        .zip(pts)
        .map(|(st, p)| {
            let (standing, by, icer) = match st {
                Standing::Frontier { icer } => ("frontier", String::new(), icer),
                Standing::Dominated { by } => ("dominated", by, None),
                Standing::ExtendedlyDominated => ("extendedly dominated", String::new(), None),
            };
            // `+ 0.0` turns the comparator's −0 into 0.
            FrontierRow {
                strategy: p.strategy,
                incremental_cost: p.cost + 0.0,
                breakdowns_averted: p.effect + 0.0,
                standing: standing.into(),
                dominated_by: by,
                icer,
            }
        })
        .collect();
    (points, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str, cost: f64, effect: f64) -> Point {
        Point { strategy: s.into(), cost, effect }
    }

    /// A hand-worked example. Usual care (0, 0); A costs £100,000 and averts 10 breakdowns;
    /// B £300,000 for 15; C £400,000 for 30; D £500,000 for 12.
    /// - D costs more than B (and C) and averts fewer: dominated.
    /// - Sorted by effect: usual care, A, B, C. ICERs: A £10,000; B against A £40,000; C
    ///   against B £6,667. B's £40,000 exceeds C's £6,667, so B is extendedly dominated.
    /// - Again: usual care, A, C. C against A: £300,000 / 20 = £15,000, above A's £10,000.
    #[test]
    fn a_hand_worked_frontier_has_the_icers_and_dominance_worked_by_hand() {
        let pts = [p("usual", 0.0, 0.0), p("A", 1e5, 10.0), p("B", 3e5, 15.0), p("C", 4e5, 30.0), p("D", 5e5, 12.0)];
        let f = frontier(&pts);
        assert_eq!(f[0], Standing::Frontier { icer: None });
        assert_eq!(f[1], Standing::Frontier { icer: Some(10_000.0) });
        assert_eq!(f[2], Standing::ExtendedlyDominated);
        assert_eq!(f[3], Standing::Frontier { icer: Some(15_000.0) });
        assert_eq!(
            f[4],
            Standing::Dominated { by: "B".into() },
            "the first strategy, in the order given, that dominates it"
        );
    }

    #[test]
    fn a_strategy_that_saves_money_and_averts_more_dominates_the_comparator() {
        let f = frontier(&[p("usual", 0.0, 0.0), p("A", -5.0, 3.0)]);
        assert_eq!(f[0], Standing::Dominated { by: "A".into() });
        assert_eq!(f[1], Standing::Frontier { icer: None });
    }

    #[test]
    fn at_zero_willingness_to_pay_the_curves_are_the_cash_only_answers() {
        let names: Vec<String> = ["usual", "A"].iter().map(|s| s.to_string()).collect();
        let zero = Outcome { net_saving: 0.0, breakdowns_averted: 0.0, other_value: 0.0 };
        let draws: Vec<Vec<Outcome>> = [-10.0, 5.0, -2.0, -1.0]
            .iter()
            .map(|&ns| vec![zero, Outcome { net_saving: ns, breakdowns_averted: 1.0, other_value: 0.0 }])
            .collect();
        let c = curves(&names, &draws, &[0.0, 4.0]);
        // λ = 0: A saves money in 1 draw of 4; expected NMB = mean net saving = −2.
        assert_eq!(c[1].probability_best, 0.25);
        assert_eq!(c[1].expected_net_benefit, -2.0);
        assert!(c[0].chosen && !c[1].chosen);
        // EVPI = E[max(0, ns)] − max(0, −2) = 5/4.
        assert_eq!(c[0].evpi, 1.25);
        // λ = 4: NMB = ns + 4: 3 of 4 draws positive, mean 2, A chosen.
        assert_eq!((c[3].probability_best, c[3].expected_net_benefit, c[3].chosen), (0.75, 2.0, true));
        assert_eq!(turns(&c), vec![(4.0, "usual".to_string(), "A".to_string())]);
    }
}
