//! Raw scenario TOML as written by users: serde structs with `deny_unknown_fields`, so a
//! misspelt key is an error (with a did-you-mean from [`super::suggest`]) rather than a
//! silently ignored line. Numbers that may be distributions stay `toml::Value` until
//! [`super::param::parse_param`] reads them; validation is [`super::build`]'s.

use serde::Deserialize;

use super::ObservedPoint;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScenario {
    pub(super) scenario: RawMeta,
    #[serde(default)]
    pub(super) authority: Vec<RawAuthority>,
    pub(super) reentry: RawHazard,
    #[serde(default)]
    pub(super) risk_factor: Vec<RawRiskFactor>,
    pub(super) failed_returns: Option<RawFailed>,
    pub(super) maltreatment: Option<RawHazard>,
    pub(super) care_after_breakdown: Option<RawCare>,
    #[serde(default)]
    pub(super) cost: Vec<RawCost>,
    #[serde(default)]
    pub(super) strategy: Vec<RawStrategy>,
    pub(super) budget: Option<RawBudget>,
    pub(super) decision: Option<RawDecision>,
    pub(super) pilot: Option<RawPilot>,
    pub(super) age_at_return: Option<RawAge>,
    #[serde(default)]
    pub(super) validation: Vec<RawComparison>,
    /// Values set on top of the scenario (`reunify serve`'s "Save as scenario"), by key.
    pub(super) what_if: Option<std::collections::BTreeMap<String, f64>>,
}

/// `[age_at_return]`: the share of children returning home at each whole year of age, 0 to 17.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAge {
    pub(super) shares_by_year_of_age: Vec<f64>,
    pub(super) source: Option<String>,
}

/// `[[validation]]`: an independent published figure to set the model's prediction against.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawComparison {
    pub(super) figure: String,
    pub(super) published: String,
    pub(super) share: f64,
    pub(super) rounding: Option<f64>,
    pub(super) years: f64,
    pub(super) source: String,
    pub(super) population: String,
    pub(super) period: String,
    pub(super) definition: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBudget {
    pub(super) first_financial_year: i32,
    pub(super) years: u32,
    pub(super) cohorts: Option<u32>,
    pub(super) growth_per_year: Option<f64>,
    pub(super) source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMeta {
    pub(super) name: String,
    pub(super) title: Option<String>,
    pub(super) description: Option<String>,
    pub(super) price_year: Option<i32>,
    pub(super) horizon_years: Option<f64>,
    pub(super) discount_rate: Option<toml::Value>,
    pub(super) iterations: Option<u32>,
    pub(super) seed: Option<u64>,
    pub(super) source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAuthority {
    pub(super) name: String,
    pub(super) children: u64,
    pub(super) source: Option<String>,
    // Overrides of the scenario's model, with the same keys as the top level. They are kept
    // as TOML here, merged into the top level's, and validated as a whole model.
    pub(super) reentry: Option<toml::Value>,
    pub(super) risk_factor: Option<toml::Value>,
    pub(super) failed_returns: Option<toml::Value>,
    pub(super) maltreatment: Option<toml::Value>,
    pub(super) care_after_breakdown: Option<toml::Value>,
    pub(super) cost: Option<toml::Value>,
    pub(super) strategy: Option<toml::Value>,
}

impl RawAuthority {
    pub(super) fn has_overrides(&self) -> bool {
        self.reentry.is_some()
            || self.risk_factor.is_some()
            || self.failed_returns.is_some()
            || self.maltreatment.is_some()
            || self.care_after_breakdown.is_some()
            || self.cost.is_some()
            || self.strategy.is_some()
    }
}

/// The model sections of a scenario, as one authority sees them after its overrides are
/// merged into the top level's.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawModel {
    pub(super) reentry: RawHazard,
    #[serde(default)]
    pub(super) risk_factor: Vec<RawRiskFactor>,
    pub(super) failed_returns: Option<RawFailed>,
    pub(super) maltreatment: Option<RawHazard>,
    pub(super) care_after_breakdown: Option<RawCare>,
    #[serde(default)]
    pub(super) cost: Vec<RawCost>,
    #[serde(default)]
    pub(super) strategy: Vec<RawStrategy>,
}

/// The top-level keys an authority may override.
pub(super) const MODEL_KEYS: [&str; 7] =
    ["reentry", "risk_factor", "failed_returns", "maltreatment", "care_after_breakdown", "cost", "strategy"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHazard {
    pub(super) knots_years: Vec<f64>,
    pub(super) rates_per_year: Option<Vec<toml::Value>>,
    pub(super) calibrate_to: Option<Vec<RawTarget>>,
    pub(super) calibrate_scale_to: Option<RawTarget>,
    /// `[reentry]` only: the authority's observed share back in care (`reunify import-903`),
    /// shown beside the model in the report's calibration section.
    pub(super) observed: Option<Vec<ObservedPoint>>,
    pub(super) source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTarget {
    pub(super) years: f64,
    pub(super) share: toml::Value,
    pub(super) source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRiskFactor {
    pub(super) name: String,
    pub(super) label: Option<String>,
    pub(super) prevalence: toml::Value,
    pub(super) hr_reentry: Option<toml::Value>,
    pub(super) hr_maltreatment: Option<toml::Value>,
    pub(super) source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFailed {
    pub(super) hr_per_failed_return: toml::Value,
    pub(super) source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCare {
    pub(super) median_years: Option<toml::Value>,
    pub(super) sigma: Option<toml::Value>,
    pub(super) return_home_probability: Option<toml::Value>,
    pub(super) source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCost {
    pub(super) name: String,
    pub(super) label: Option<String>,
    pub(super) amount: toml::Value,
    pub(super) basis: String,
    pub(super) source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStrategy {
    pub(super) name: String,
    pub(super) label: Option<String>,
    pub(super) description: Option<String>,
    pub(super) same_as: Option<String>,
    pub(super) eligibility: Option<toml::Value>,
    pub(super) take_up: Option<toml::Value>,
    pub(super) support_years: Option<f64>,
    pub(super) effect_years: Option<f64>,
    pub(super) hr_reentry: Option<toml::Value>,
    pub(super) hr_maltreatment: Option<toml::Value>,
    pub(super) cost: Option<toml::Value>,
    pub(super) cost_basis: Option<String>,
    pub(super) repeat_on_later_returns: Option<bool>,
    pub(super) source: Option<String>,
}

/// `[pilot]`: a local trial of a strategy's support against usual care, for EVSI and ENBS.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPilot {
    pub(super) strategy: Option<String>,
    pub(super) arms: Option<u32>,
    pub(super) follow_up_years: Option<f64>,
    pub(super) sizes: Option<Vec<i64>>,
    pub(super) fixed_cost: Option<f64>,
    pub(super) cost_per_family: Option<f64>,
    pub(super) value_per_breakdown_averted: Option<f64>,
    pub(super) source: Option<String>,
}

/// `[decision]`: what averting each outcome is worth, a number or `[low, high]` for curves.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDecision {
    pub(super) value_per_breakdown_averted: Option<toml::Value>,
    pub(super) value_per_maltreatment_event_averted: Option<toml::Value>,
    pub(super) value_per_care_year_averted: Option<toml::Value>,
    pub(super) source: Option<String>,
}
