//! The names of every output metric, with their units and meanings.
//!
//! A run reports 21 *level* metrics per strategy (counts, shares, durations and costs: see
//! [`Metric::LEVELS`]) and 6 *decision* metrics of a strategy against the comparator
//! ([`Metric::DECISIONS`]). [`Levels`] and [`Decisions`] hold one value per metric and are
//! indexed by [`Metric`], so no code reaches a metric by position or by string; the snake_case
//! [`Metric::name`] is the column name in every output table and the `metric` key of
//! `summary.json`. Costs follow MODEL.md, "Costs"; the net saving is the comparator's total
//! cost minus the strategy's.

use std::ops::{Index, IndexMut};

use serde::{Deserialize, Serialize};

/// What a metric's number counts, for number formats, the data dictionary and labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Whole children.
    Children,
    /// Events (returns home, breakdowns, maltreatment events); whole in one simulation.
    Events,
    /// A share of children, 0 to 1.
    Share,
    /// Child-years.
    Years,
    /// Pounds sterling, at the scenario's price year.
    Pounds,
    /// Pounds per pound, or per breakdown averted: a ratio.
    Ratio,
    /// 1 when a simulation saves money, else 0; its mean is a probability.
    Indicator,
}

impl Unit {
    /// The unit as a data dictionary writes it.
    pub fn describe(self) -> &'static str {
        match self {
            Unit::Children => "children",
            Unit::Events => "events",
            Unit::Share => "share of children (0 to 1)",
            Unit::Years => "child-years",
            Unit::Pounds => "£ (price year of the scenario)",
            Unit::Ratio => "ratio",
            Unit::Indicator => "0 or 1 (mean: probability)",
        }
    }

    /// Whether a value in one simulation is a whole number.
    pub fn is_count(self) -> bool {
        matches!(self, Unit::Children | Unit::Events | Unit::Indicator)
    }
}

macro_rules! metrics {
    ($( $variant:ident = $name:literal, $unit:ident, $label:literal, $meaning:literal; )*) => {
        /// One output metric. Level metrics come first, in output order, then decision metrics.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum Metric {
            $( #[serde(rename = $name)] $variant, )*
        }

        impl Metric {
            /// Every metric, levels then decisions.
            pub const ALL: [Metric; 27] = [$(Metric::$variant),*];

            /// The snake_case column name.
            pub fn name(self) -> &'static str {
                match self { $(Metric::$variant => $name,)* }
            }

            /// What the number counts.
            pub fn unit(self) -> Unit {
                match self { $(Metric::$variant => Unit::$unit,)* }
            }

            /// A short label in words, for tables and charts.
            pub fn label(self) -> &'static str {
                match self { $(Metric::$variant => $label,)* }
            }

            /// What the metric means, for the data dictionary.
            pub fn meaning(self) -> &'static str {
                match self { $(Metric::$variant => $meaning,)* }
            }
        }
    };
}

metrics! {
    Children = "children", Children, "Children", "children returning home in the cohort(s)";
    ReturnsHome = "returns_home", Events, "Returns home", "returns home, counting the first and every later one after a breakdown";
    Breakdowns = "breakdowns", Events, "Breakdowns", "returns home that ended in re-entry to care within the horizon";
    ChildrenWithBreakdown = "children_with_breakdown", Children, "Children with a breakdown", "children who re-entered care at least once within the horizon";
    ReentryShare3m = "reentry_share_3m", Share, "Back in care within 3 months", "share of children with a first re-entry within 3 months of returning home (empty beyond the horizon)";
    ReentryShare6m = "reentry_share_6m", Share, "Back in care within 6 months", "share of children with a first re-entry within 6 months";
    ReentryShare12m = "reentry_share_12m", Share, "Back in care within 12 months", "share of children with a first re-entry within 12 months";
    ReentryShare24m = "reentry_share_24m", Share, "Back in care within 2 years", "share of children with a first re-entry within 24 months";
    ReentryShare60m = "reentry_share_60m", Share, "Back in care within 5 years", "share of children with a first re-entry within 60 months";
    MaltreatmentEvents = "maltreatment_events", Events, "Maltreatment events", "first maltreatment events per stay at home";
    CareYears = "care_years", Years, "Years in care", "child-years in care after a breakdown, within the horizon";
    SupportedReturns = "supported_returns", Events, "Supported returns", "returns home on which the family took up support";
    SupportedYears = "supported_years", Years, "Supported years", "child-years of support received";
    SupportCost = "support_cost", Pounds, "Support cost", "price of support and any per-supported cost lines, discounted";
    BreakdownCost = "breakdown_cost", Pounds, "Breakdown and care cost", "per-breakdown and per-care-year cost lines, discounted";
    OtherCost = "other_cost", Pounds, "Other cost", "per-maltreatment-event cost lines, discounted";
    TotalCost = "total_cost", Pounds, "Total cost", "support + breakdown and care + other, discounted";
    SupportCostUndiscounted = "support_cost_undiscounted", Pounds, "Support cost (cash)", "support cost, undiscounted";
    BreakdownCostUndiscounted = "breakdown_cost_undiscounted", Pounds, "Breakdown and care cost (cash)", "breakdown and care cost, undiscounted";
    OtherCostUndiscounted = "other_cost_undiscounted", Pounds, "Other cost (cash)", "other cost, undiscounted";
    TotalCostUndiscounted = "total_cost_undiscounted", Pounds, "Total cost (cash)", "total cost, undiscounted";
    NetSaving = "net_saving", Pounds, "Net saving", "comparator's total cost minus the strategy's, discounted; negative is a net cost";
    NetSavingUndiscounted = "net_saving_undiscounted", Pounds, "Net saving (cash)", "net saving, undiscounted";
    BreakdownsAverted = "breakdowns_averted", Events, "Breakdowns averted", "comparator's breakdowns minus the strategy's";
    CostPerBreakdownAverted = "cost_per_breakdown_averted", Ratio, "Cost per breakdown averted", "extra total cost per breakdown averted, £ (empty when none is averted); the PSA mean is the ratio of means";
    ReturnPerPound = "return_per_pound", Ratio, "Return per £1 of support", "breakdown, care and other costs averted per extra £1 of support (empty without extra support); the PSA mean is the ratio of means";
    SavesMoney = "saves_money", Indicator, "Saves money", "1 when the strategy costs less than the comparator; its mean is the probability of saving money";
}

/// Number of level metrics.
pub const N_LEVELS: usize = 21;
/// Number of decision metrics.
pub const N_DECISIONS: usize = 6;

impl Metric {
    /// The level metrics, in output order.
    pub const LEVELS: [Metric; N_LEVELS] = {
        let mut out = [Metric::Children; N_LEVELS];
        let mut i = 0;
        while i < N_LEVELS {
            out[i] = Metric::ALL[i];
            i += 1;
        }
        out
    };

    /// The decision metrics, in output order.
    pub const DECISIONS: [Metric; N_DECISIONS] = {
        let mut out = [Metric::NetSaving; N_DECISIONS];
        let mut i = 0;
        while i < N_DECISIONS {
            out[i] = Metric::ALL[N_LEVELS + i];
            i += 1;
        }
        out
    };

    /// The cumulative re-entry shares, with their months.
    pub const SHARES: [(Metric, usize); 5] = [
        (Metric::ReentryShare3m, 3),
        (Metric::ReentryShare6m, 6),
        (Metric::ReentryShare12m, 12),
        (Metric::ReentryShare24m, 24),
        (Metric::ReentryShare60m, 60),
    ];

    /// Whether this is a decision metric (against the comparator).
    pub fn is_decision(self) -> bool {
        self as usize >= N_LEVELS
    }

    /// Decision metrics that are ratios: their PSA "mean" is the ratio of means.
    pub fn is_ratio(self) -> bool {
        self.unit() == Unit::Ratio
    }

    /// The metric named `name`, if any.
    pub fn from_name(name: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == name)
    }
}

impl std::fmt::Display for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One value per level metric, indexed by [`Metric`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Levels(pub [f64; N_LEVELS]);

/// One value per decision metric, indexed by [`Metric`]. The comparator's own are all zero.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Decisions(pub [f64; N_DECISIONS]);

impl Default for Levels {
    fn default() -> Self {
        Levels([0.0; N_LEVELS])
    }
}

impl Levels {
    /// `(metric, value)` pairs in output order.
    pub fn iter(&self) -> impl Iterator<Item = (Metric, f64)> + '_ {
        Metric::LEVELS.into_iter().zip(self.0)
    }
}

impl Decisions {
    /// `(metric, value)` pairs in output order.
    pub fn iter(&self) -> impl Iterator<Item = (Metric, f64)> + '_ {
        Metric::DECISIONS.into_iter().zip(self.0)
    }
}

impl Index<Metric> for Levels {
    type Output = f64;
    /// Panics on a decision metric: a level table has none (a programming error).
    fn index(&self, m: Metric) -> &f64 {
        &self.0[m as usize]
    }
}

impl IndexMut<Metric> for Levels {
    fn index_mut(&mut self, m: Metric) -> &mut f64 {
        &mut self.0[m as usize]
    }
}

impl Index<Metric> for Decisions {
    type Output = f64;
    /// Panics on a level metric (a programming error).
    fn index(&self, m: Metric) -> &f64 {
        &self.0[m as usize - N_LEVELS]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_snake_case_and_round_trip() {
        for (i, m) in Metric::ALL.into_iter().enumerate() {
            assert_eq!(m as usize, i);
            assert_eq!(Metric::from_name(m.name()), Some(m));
            assert!(m.name().chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'));
            assert_eq!(serde_json::to_string(&m).unwrap(), format!("\"{}\"", m.name()));
        }
        assert!(Metric::LEVELS.iter().all(|m| !m.is_decision()));
        assert!(Metric::DECISIONS.iter().all(|m| m.is_decision()));
        assert_eq!(Metric::DECISIONS[0], Metric::NetSaving);
    }
}
