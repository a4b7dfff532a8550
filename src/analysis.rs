//! Summaries of a run's outcomes and costs over its iterations: the half of the cost
//! arithmetic above the digest (each iteration was priced by [`crate::price`] and kept as an
//! [`IterationDigest`]).
//!
//! Summaries give the base case, the PSA mean, the 2.5% and 97.5% quantiles (type 7) and the
//! Monte Carlo standard error `sd/√n` of the mean.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::digest::{IterationDigest, RunDigest};
use crate::price::View;

pub use crate::metric::{Decisions, Levels, Metric};

/// Summary statistics of one metric.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    pub base: Option<f64>,
    pub mean: Option<f64>,
    pub q025: Option<f64>,
    pub q975: Option<f64>,
    pub mcse: Option<f64>,
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

impl Stat {
    /// The central value to report: the PSA mean when there was a PSA, else the base case.
    pub fn central(&self, psa: bool) -> Option<f64> {
        if psa { self.mean } else { self.base }
    }
}

/// Type-7 quantile of sorted finite values.
pub fn quantile_sorted(xs: &[f64], p: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let h = (xs.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(xs.len() - 1);
    xs[lo] + (h - lo as f64) * (xs[hi] - xs[lo])
}

/// Mean, sd/√n and the 2.5%/97.5% quantiles of the finite values.
pub fn describe(base: f64, xs: &[f64]) -> Stat {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return Stat { base: finite(base), mean: None, q025: None, q975: None, mcse: None };
    }
    v.sort_by(f64::total_cmp);
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let mcse = if v.len() > 1 {
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        Some((var / n).sqrt())
    } else {
        None
    };
    Stat {
        base: finite(base),
        mean: Some(mean),
        q025: Some(quantile_sorted(&v, 0.025)),
        q975: Some(quantile_sorted(&v, 0.975)),
        mcse,
    }
}

/// Whether a summary row is a strategy's own value or its difference from the comparator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// The strategy's own value.
    Level,
    /// Strategy minus comparator, or a decision metric against the comparator.
    Increment,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Level => "level",
            Kind::Increment => "increment",
        }
    }
}

/// One row of the summary: a metric of a strategy, as a level or as an increment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    pub strategy: String,
    pub authority: String,
    pub kind: Kind,
    pub metric: Metric,
    #[serde(flatten)]
    pub stat: Stat,
}

/// Summary rows of a run under a view, named `authority`.
pub fn summarise(run: &RunDigest, names: &[String], authority: &str, view: View) -> Vec<SummaryRow> {
    let (base, psa) = (&run.base, &run.psa);
    let mut rows = Vec::new();
    let row = |strategy: usize, kind: Kind, metric: Metric, stat| SummaryRow {
        strategy: names[strategy].clone(),
        authority: authority.to_string(),
        kind,
        metric,
        stat,
    };
    for s in 0..names.len() {
        let level = |d: &IterationDigest, m: Metric| d.levels(view, s)[m];
        let comparator = |d: &IterationDigest, m: Metric| d.levels(view, 0)[m];
        for m in Metric::LEVELS {
            let xs: Vec<f64> = psa.iter().map(|p| level(p, m)).collect();
            rows.push(row(s, Kind::Level, m, describe(level(base, m), &xs)));
        }
        if s == 0 {
            continue;
        }
        for m in Metric::LEVELS {
            let xs: Vec<f64> = psa.iter().map(|p| level(p, m) - comparator(p, m)).collect();
            rows.push(row(s, Kind::Increment, m, describe(level(base, m) - comparator(base, m), &xs)));
        }
        let decisions: Vec<Decisions> = psa.iter().map(|p| p.decisions(view, s)).collect();
        let base_decisions = base.decisions(view, s);
        for m in Metric::DECISIONS {
            let xs: Vec<f64> = decisions.iter().map(|d| d[m]).collect();
            let mut stat = describe(base_decisions[m], &xs);
            if m.is_ratio() && !psa.is_empty() {
                // A mean of ratios is dominated by iterations whose denominator is near zero;
                // the ratio of the mean numerator and denominator is the stable estimate.
                let mean_of =
                    |l: Metric| psa.iter().map(|p| level(p, l) - comparator(p, l)).sum::<f64>() / psa.len() as f64;
                let averted = -mean_of(Metric::Breakdowns);
                let ratio = if m == Metric::CostPerBreakdownAverted {
                    if averted > 0.0 { mean_of(Metric::TotalCost) / averted } else { f64::NAN }
                } else {
                    let extra = mean_of(Metric::SupportCost);
                    if extra > 0.0 {
                        -(mean_of(Metric::BreakdownCost) + mean_of(Metric::OtherCost)) / extra
                    } else {
                        f64::NAN
                    }
                };
                stat.mean = finite(ratio);
                stat.mcse = None;
            }
            rows.push(row(s, Kind::Increment, m, stat));
        }
    }
    rows
}

/// One point of the cumulative first re-entry curve.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CurvePoint {
    pub strategy: String,
    pub month: usize,
    pub base: f64,
    pub mean: Option<f64>,
    pub q025: Option<f64>,
    pub q975: Option<f64>,
}

/// Cumulative share with a first re-entry by month, for every strategy, over all authorities.
pub fn reentry_curve(run: &RunDigest, names: &[String]) -> Vec<CurvePoint> {
    let mut points = Vec::new();
    for (s, name) in names.iter().enumerate() {
        for m in 0..run.base.curve_len() {
            let b = run.base.curve(s, m);
            let xs: Vec<f64> = run.psa.iter().map(|d| d.curve(s, m)).collect();
            let st = describe(b, &xs);
            points.push(CurvePoint {
                strategy: name.clone(),
                month: m,
                base: b,
                mean: st.mean,
                q025: st.q025,
                q975: st.q975,
            });
        }
    }
    points
}

/// Looks up a summary statistic over all authorities.
pub fn find<'a>(rows: &'a [SummaryRow], strategy: &str, kind: Kind, metric: Metric) -> Option<&'a Stat> {
    find_for(rows, crate::scenario::TOTAL_NAME, strategy, kind, metric)
}

/// Looks up a summary statistic of one authority (`"all"` for the total).
/// The summary rows keyed by authority, strategy, kind and metric, for looking many of them
/// up: a linear [`find_for`] once per authority made a many-authority run's end quadratic in
/// its authorities (#29, item 13).
pub struct RowIndex<'a>(BTreeMap<(&'a str, &'a str, Kind, Metric), &'a Stat>);

impl<'a> RowIndex<'a> {
    pub fn new(rows: &'a [SummaryRow]) -> RowIndex<'a> {
        let mut map = BTreeMap::new();
        for r in rows {
            // The first row of a key wins, as with `find_for`.
            map.entry((r.authority.as_str(), r.strategy.as_str(), r.kind, r.metric)).or_insert(&r.stat);
        }
        RowIndex(map)
    }

    /// The row of one authority, strategy, kind and metric.
    pub fn get(&self, authority: &str, strategy: &str, kind: Kind, metric: Metric) -> Option<&'a Stat> {
        self.0.get(&(authority, strategy, kind, metric)).copied()
    }
}

pub fn find_for<'a>(
    rows: &'a [SummaryRow],
    authority: &str,
    strategy: &str,
    kind: Kind,
    metric: Metric,
) -> Option<&'a Stat> {
    rows.iter()
        .find(|r| r.authority == authority && r.strategy == strategy && r.kind == kind && r.metric == metric)
        .map(|r| &r.stat)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type7_quantiles_interpolate() {
        let xs = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile_sorted(&xs, 0.5), 3.0);
        assert_eq!(quantile_sorted(&xs, 0.25), 2.0);
        assert!((quantile_sorted(&xs, 0.025) - 1.1).abs() < 1e-12);
    }

    #[test]
    fn the_row_index_finds_what_a_search_finds() {
        let stat = |x: f64| Stat { base: Some(x), mean: None, q025: None, q975: None, mcse: None };
        let mut rows = Vec::new();
        for (i, a) in ["Anyshire", "Barset", "all"].iter().enumerate() {
            for (j, st) in ["usual-care", "support"].iter().enumerate() {
                for (k, m) in [Metric::NetSaving, Metric::Breakdowns].into_iter().enumerate() {
                    let x = (i * 100 + j * 10 + k) as f64;
                    rows.push(SummaryRow {
                        strategy: st.to_string(),
                        authority: a.to_string(),
                        kind: Kind::Level,
                        metric: m,
                        stat: stat(x),
                    });
                }
            }
        }
        // A duplicate key: the first row wins in both.
        rows.push(SummaryRow {
            strategy: "support".into(),
            authority: "Barset".into(),
            kind: Kind::Level,
            metric: Metric::NetSaving,
            stat: stat(-1.0),
        });
        let index = RowIndex::new(&rows);
        for r in &rows {
            assert_eq!(
                index.get(&r.authority, &r.strategy, r.kind, r.metric),
                find_for(&rows, &r.authority, &r.strategy, r.kind, r.metric)
            );
        }
        assert_eq!(index.get("Barset", "support", Kind::Level, Metric::NetSaving).and_then(|s| s.base), Some(110.0));
        assert_eq!(index.get("Nowhere", "support", Kind::Level, Metric::NetSaving), None);
        assert_eq!(index.get("Barset", "support", Kind::Increment, Metric::NetSaving), None);
    }

    #[test]
    fn describe_gives_the_standard_error_of_the_mean() {
        let s = describe(0.0, &[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(s.mean, Some(2.5));
        let sd = (5.0f64 / 3.0).sqrt();
        assert!((s.mcse.unwrap() - sd / 2.0).abs() < 1e-12);
    }
}
