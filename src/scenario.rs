//! Scenario files: parse, then validate into types that cannot hold bad values.
//!
//! A scenario is TOML in the public format documented in the README and written by
//! `reunify init`. Parsing goes through raw serde structs with `deny_unknown_fields` (unknown
//! keys get a "did you mean" suggestion); validation then builds a [`Scenario`] in which every
//! numeric input is registered once in a flat parameter table ([`ParamDef`]) and referred to by
//! [`ParamId`]. That table is what PSA draws, what the tornado perturbs and what
//! `iterations.csv` reports. Every error names the file, the field path and the reason,
//! e.g. `scenarios/x.toml: strategy[1].take_up: 1.3 is not a probability (0 to 1)`.
//! This module never touches the file system: the caller passes the text and its label.

use std::collections::BTreeMap;

use serde::Deserialize;
use thiserror::Error;

use crate::dist::{Dist, DistError, Param, Shape, Z975};

/// Default support cost per child (Holmes 2014).
pub const DEFAULT_SUPPORT_COST: f64 = 5627.0;

/// Why a scenario was rejected. Both variants name the file; `Invalid` also names the field.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ScenarioError {
    #[error("{file}: {message}")]
    Syntax { file: String, message: String },
    #[error("{file}: {path}: {reason}")]
    Invalid { file: String, path: String, reason: String },
}

// ---------------------------------------------------------------------------------------
// Raw, as written by users.
// ---------------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    scenario: RawMeta,
    #[serde(default)]
    authority: Vec<RawAuthority>,
    reentry: RawHazard,
    #[serde(default)]
    risk_factor: Vec<RawRiskFactor>,
    failed_returns: Option<RawFailed>,
    maltreatment: Option<RawHazard>,
    care_after_breakdown: Option<RawCare>,
    #[serde(default)]
    cost: Vec<RawCost>,
    #[serde(default)]
    strategy: Vec<RawStrategy>,
    budget: Option<RawBudget>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBudget {
    first_financial_year: i32,
    years: u32,
    cohorts: Option<u32>,
    growth_per_year: Option<f64>,
    source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    name: String,
    title: Option<String>,
    description: Option<String>,
    price_year: Option<i32>,
    horizon_years: Option<f64>,
    discount_rate: Option<toml::Value>,
    iterations: Option<u32>,
    seed: Option<u64>,
    source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuthority {
    name: String,
    children: u64,
    source: Option<String>,
    // Overrides of the scenario's model, with the same keys as the top level. They are kept
    // as TOML here, merged into the top level's, and validated as a whole model.
    reentry: Option<toml::Value>,
    risk_factor: Option<toml::Value>,
    failed_returns: Option<toml::Value>,
    maltreatment: Option<toml::Value>,
    care_after_breakdown: Option<toml::Value>,
    cost: Option<toml::Value>,
    strategy: Option<toml::Value>,
}

impl RawAuthority {
    fn has_overrides(&self) -> bool {
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
struct RawModel {
    reentry: RawHazard,
    #[serde(default)]
    risk_factor: Vec<RawRiskFactor>,
    failed_returns: Option<RawFailed>,
    maltreatment: Option<RawHazard>,
    care_after_breakdown: Option<RawCare>,
    #[serde(default)]
    cost: Vec<RawCost>,
    #[serde(default)]
    strategy: Vec<RawStrategy>,
}

/// The top-level keys an authority may override.
const MODEL_KEYS: [&str; 7] =
    ["reentry", "risk_factor", "failed_returns", "maltreatment", "care_after_breakdown", "cost", "strategy"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHazard {
    knots_years: Vec<f64>,
    rates_per_year: Option<Vec<toml::Value>>,
    calibrate_to: Option<Vec<RawTarget>>,
    source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    years: f64,
    share: toml::Value,
    source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRiskFactor {
    name: String,
    prevalence: toml::Value,
    hr_reentry: Option<toml::Value>,
    hr_maltreatment: Option<toml::Value>,
    source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFailed {
    hr_per_failed_return: toml::Value,
    source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCare {
    median_years: Option<toml::Value>,
    sigma: Option<toml::Value>,
    return_home_probability: Option<toml::Value>,
    source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCost {
    name: String,
    amount: toml::Value,
    basis: String,
    source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStrategy {
    name: String,
    description: Option<String>,
    same_as: Option<String>,
    eligibility: Option<toml::Value>,
    take_up: Option<toml::Value>,
    support_years: Option<f64>,
    effect_years: Option<f64>,
    hr_reentry: Option<toml::Value>,
    hr_maltreatment: Option<toml::Value>,
    cost: Option<toml::Value>,
    cost_basis: Option<String>,
    repeat_on_later_returns: Option<bool>,
    source: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Validated.
// ---------------------------------------------------------------------------------------

/// Index into [`Scenario::params`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ParamId(pub usize);

/// The range a parameter must lie in, checked for the point value and the whole support of
/// its distribution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Domain {
    /// 0 to 1 inclusive.
    Probability,
    /// Strictly between 0 and 1 (cumulative shares).
    Share,
    /// Greater than 0 (hazard ratios, durations).
    Positive,
    /// 0 or more (costs, rates).
    NonNegative,
    /// 0 to 1, excluding 1 (discount rates).
    Rate,
    /// Pounds, 0 to [`MAX_MONEY`] (costs): beyond, sums over children overflow to infinity.
    Money,
}

/// The largest amount of money a cost line or price may have as its point value: £1bn.
pub const MAX_MONEY: f64 = 1e9;

/// Horizons and windows shorter than a day follow nobody long enough to mean anything.
pub const MIN_HORIZON_YEARS: f64 = 1.0 / 365.25;

/// The most children in one cohort of one authority: child ids are `cohort · 2⁴⁰ + i`, so a
/// cohort must stay below 2⁴⁰ (about 1.1 × 10¹²) for ids to stay distinct.
pub const MAX_COHORT_CHILDREN: u64 = 1 << 40;

/// The name of the total over authorities in every output table.
pub const TOTAL_NAME: &str = "all";

impl Domain {
    fn contains(self, v: f64) -> bool {
        match self {
            Domain::Probability => (0.0..=1.0).contains(&v),
            Domain::Share => v > 0.0 && v < 1.0,
            Domain::Positive => v > 0.0,
            Domain::NonNegative => v >= 0.0,
            Domain::Rate => (0.0..1.0).contains(&v),
            Domain::Money => (0.0..=MAX_MONEY).contains(&v),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Domain::Probability => "a probability (0 to 1)",
            Domain::Share => "a share strictly between 0 and 1",
            Domain::Positive => "a positive number",
            Domain::NonNegative => "a non-negative number",
            Domain::Rate => "a rate from 0 to below 1",
            Domain::Money => "an amount from £0 to £1bn",
        }
    }

    /// Whether every value of the distribution's support is allowed. Open ends of gamma and
    /// log-normal (which never produce exactly 0) are fine for `Positive`.
    fn contains_support(self, d: &Dist) -> bool {
        let (lo, hi) = d.support();
        match d.shape() {
            Shape::Fixed(v) => self.contains(*v),
            Shape::Beta { .. } => {
                matches!(self, Domain::Probability | Domain::Share | Domain::NonNegative | Domain::Money)
            }
            // Money's bound is on the point value: a gamma's tail beyond £1bn is never drawn.
            Shape::Gamma { .. } | Shape::LogNormal { .. } => {
                matches!(self, Domain::Positive | Domain::NonNegative | Domain::Money)
            }
            // Normal, uniform and triangular: both ends must be finite and allowed. Every
            // domain is bounded below, so a normal distribution is never accepted here.
            _ => lo.is_finite() && hi.is_finite() && self.contains(lo) && self.contains(hi),
        }
    }
}

/// One uncertain input, with the key used in output tables and its cited source.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamDef {
    pub key: String,
    pub param: Param,
    pub domain: Domain,
    pub source: Option<String>,
    /// The authority whose override this is; `None` for the scenario's own parameters.
    pub authority: Option<String>,
}

impl ParamDef {
    /// The key as the top level writes it: an authority's own parameter without its
    /// `authority.<name>.` prefix.
    pub fn model_key(&self) -> &str {
        match &self.authority {
            Some(a) => self
                .key
                .strip_prefix("authority.")
                .and_then(|k| k.strip_prefix(a.as_str()))
                .and_then(|k| k.strip_prefix('.'))
                .unwrap_or(&self.key),
            None => &self.key,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Meta {
    pub name: String,
    pub title: String,
    pub description: Option<String>,
    pub price_year: Option<i32>,
    pub horizon_years: f64,
    pub iterations: u32,
    pub seed: u64,
    pub source: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Authority {
    pub name: String,
    pub children: u64,
    pub source: Option<String>,
    /// The authority's own model when it overrides any top-level value; `None` when it uses
    /// the scenario's.
    pub model: Option<Model>,
}

impl Authority {
    /// An authority that uses the scenario's model.
    pub fn new(name: impl Into<String>, children: u64) -> Self {
        Authority { name: name.into(), children, source: None, model: None }
    }
}

/// What is simulated for an authority: hazards, risk factors, care, costs and strategies.
/// Parameters are [`ParamId`]s into the scenario's one table; an authority's model shares the
/// top level's parameters except those it overrides. Strategies and risk factors are the same,
/// in the same order, in every model.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    pub reentry: HazardSpec,
    pub maltreatment: Option<HazardSpec>,
    pub risk_factors: Vec<RiskFactor>,
    pub hr_per_failed_return: ParamId,
    pub care: Care,
    pub costs: Vec<CostLine>,
    pub strategies: Vec<Strategy>,
}

/// A calibration target: the share with a first event by `years`.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub years: f64,
    pub share: ParamId,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Baseline {
    Rates(Vec<ParamId>),
    Calibrate(Vec<Target>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct HazardSpec {
    pub knots: Vec<f64>,
    pub baseline: Baseline,
    pub source: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RiskFactor {
    pub name: String,
    pub prevalence: ParamId,
    pub hr_reentry: ParamId,
    pub hr_maltreatment: ParamId,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Care {
    pub median_years: ParamId,
    pub sigma: ParamId,
    pub return_home_probability: ParamId,
}

/// How a cost line is charged (MODEL.md, "Costs").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CostBasis {
    PerBreakdown,
    PerCareYear,
    PerSupportedYear,
    PerSupportedReturn,
    PerMaltreatmentEvent,
}

impl CostBasis {
    const ALL: [(&'static str, CostBasis); 5] = [
        ("per_breakdown", CostBasis::PerBreakdown),
        ("per_care_year", CostBasis::PerCareYear),
        ("per_supported_year", CostBasis::PerSupportedYear),
        ("per_supported_return", CostBasis::PerSupportedReturn),
        ("per_maltreatment_event", CostBasis::PerMaltreatmentEvent),
    ];

    pub fn as_str(self) -> &'static str {
        Self::ALL.iter().find(|(_, b)| *b == self).map(|(s, _)| *s).unwrap_or("?")
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().find(|(k, _)| *k == s).map(|(_, b)| *b)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct CostLine {
    pub name: String,
    pub amount: ParamId,
    pub basis: CostBasis,
}

/// Who is offered support. `Rule` is satisfied when the child has any of `any_of` (if given)
/// and at least `min_risk_score` risk factors (if given).
#[derive(Clone, Debug, PartialEq)]
pub enum Eligibility {
    All,
    None,
    Rule { any_of: Vec<usize>, min_risk_score: Option<u32> },
}

impl Eligibility {
    /// Whether a child with the risk-factor bit mask `mask` is offered support.
    #[inline]
    pub fn admits(&self, mask: u64) -> bool {
        match self {
            Eligibility::All => true,
            Eligibility::None => false,
            Eligibility::Rule { any_of, min_risk_score } => {
                let any = any_of.is_empty() || any_of.iter().any(|&j| mask >> j & 1 == 1);
                let score = min_risk_score.is_none_or(|m| mask.count_ones() >= m);
                any && score
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SupportBasis {
    PerSupportedReturn,
    PerSupportedYear,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Strategy {
    pub name: String,
    pub description: Option<String>,
    pub eligibility: Eligibility,
    pub take_up: ParamId,
    pub support_years: f64,
    pub effect_years: f64,
    pub hr_reentry: ParamId,
    pub hr_maltreatment: ParamId,
    pub cost: ParamId,
    pub cost_basis: SupportBasis,
    pub repeat_on_later_returns: bool,
    pub source: Option<String>,
}

/// A budget cycle (flow mode): `years` financial years from April of `first_financial_year`.
/// A new cohort returns home in each of the first `cohorts` years (all of them by default),
/// `N · (1 + growth_per_year)^y` children in year `y`, and every cohort is followed to the end
/// of the window.
#[derive(Clone, Debug, PartialEq)]
pub struct Budget {
    pub first_financial_year: i32,
    pub years: u32,
    pub cohorts: u32,
    pub growth_per_year: f64,
    pub source: Option<String>,
}

impl Budget {
    /// The financial year `y` (0-based) as it is written in English public finance: `2025-26`.
    pub fn label(&self, y: usize) -> String {
        let start = self.first_financial_year + y as i32;
        format!("{start}-{:02}", (start + 1).rem_euclid(100))
    }

    /// Children returning home in cohort year `y` when the first year has `n`.
    pub fn cohort_size(&self, n: u64, y: u32) -> u64 {
        if y >= self.cohorts {
            return 0;
        }
        (n as f64 * (1.0 + self.growth_per_year).powi(y as i32)).round() as u64
    }
}

/// A validated scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub meta: Meta,
    pub params: Vec<ParamDef>,
    pub discount_rate: ParamId,
    pub authorities: Vec<Authority>,
    /// The top-level model, used by every authority that overrides nothing.
    pub model: Model,
    pub budget: Option<Budget>,
    /// What validation accepted with a change (a spread too small to sample became a fixed
    /// value), each as "file: field path: what"; the application prints them.
    pub warnings: Vec<String>,
}

impl Scenario {
    /// Parses and validates scenario text. `file` is only used to label errors.
    pub fn from_toml_str(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
        let de = toml::de::Deserializer::parse(text)
            .map_err(|e| ScenarioError::Syntax { file: file.to_string(), message: syntax_message(text, &e) })?;
        let raw: RawScenario = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let message = with_suggestion(inner.message());
            if path.is_empty() || path == "." {
                ScenarioError::Syntax { file: file.to_string(), message }
            } else {
                ScenarioError::Invalid { file: file.to_string(), path, reason: message }
            }
        })?;
        // The document as a plain table too: authorities' overrides are merged into it.
        let table: toml::Table = toml::from_str(text)
            .map_err(|e| ScenarioError::Syntax { file: file.to_string(), message: e.to_string() })?;
        Builder {
            file: file.to_string(),
            params: Vec::new(),
            scope: None,
            shared: BTreeMap::new(),
            warnings: Vec::new(),
        }
        .build(raw, &table)
    }

    /// The model authority `a` is simulated and priced with.
    pub fn model_for(&self, a: usize) -> &Model {
        self.authorities[a].model.as_ref().unwrap_or(&self.model)
    }

    /// The same scenario with only the strategies at `keep` (in that order), in the top-level
    /// model and in every authority's.
    pub fn with_strategies(&self, keep: &[usize]) -> Scenario {
        let mut out = self.clone();
        let pick = |m: &mut Model| m.strategies = keep.iter().map(|&i| m.strategies[i].clone()).collect();
        pick(&mut out.model);
        for a in &mut out.authorities {
            if let Some(m) = &mut a.model {
                pick(m);
            }
        }
        out
    }

    pub fn param(&self, id: ParamId) -> &ParamDef {
        &self.params[id.0]
    }

    /// The point values of every parameter: the base case.
    pub fn point_values(&self) -> Vec<f64> {
        self.params.iter().map(|p| p.param.point).collect()
    }

    /// Children who return home over the run: one cohort per authority, or in flow mode
    /// every cohort of the budget window.
    pub fn total_children(&self) -> u64 {
        self.authorities.iter().map(|a| self.cohorts(a.children).iter().sum::<u64>()).sum()
    }

    /// Cohort sizes by cohort year for an authority of `n` children: `[n]` in cohort mode.
    pub fn cohorts(&self, n: u64) -> Vec<u64> {
        match &self.budget {
            None => vec![n],
            Some(b) => (0..b.cohorts).map(|y| b.cohort_size(n, y)).collect(),
        }
    }

    /// How long children are followed from the start of the run: the horizon in cohort
    /// mode, the budget window in flow mode.
    pub fn horizon(&self) -> f64 {
        match &self.budget {
            None => self.meta.horizon_years,
            Some(b) => b.years as f64,
        }
    }

    /// The same scenario in cohort mode: the `[budget]` set aside.
    pub fn cohort_mode(&self) -> Scenario {
        Scenario { budget: None, ..self.clone() }
    }
}

/// Turns a TOML syntax error into "line L, column C: message".
fn syntax_message(text: &str, e: &toml::de::Error) -> String {
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
            format!("line {line}, column {col}: {}", e.message().trim())
        }
        None => e.message().trim().to_string(),
    }
}

/// Adds "did you mean `x`?" to serde's "unknown field `y`, expected one of `a`, `b`" messages.
fn with_suggestion(message: &str) -> String {
    let message = message.trim().to_string();
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return message;
    };
    let Some(end) = rest.find('`') else { return message };
    let unknown = &rest[..end];
    let expected: Vec<&str> = rest[end..].split('`').skip(2).step_by(2).collect();
    suggest(unknown, &expected).map(|s| format!("{message}; did you mean `{s}`?")).unwrap_or(message)
}

/// The closest candidate to `word`, when it is close enough to be a plausible typo.
fn suggest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min()
        .map(|(_, c)| c)
}

/// An authority being validated: its label for error paths and its name.
struct Scope {
    label: String,
    name: String,
}

struct Builder {
    file: String,
    params: Vec<ParamDef>,
    /// Set while an authority's overrides are validated.
    scope: Option<Scope>,
    /// The top level's parameters by key, with the TOML they were written as, so that an
    /// authority's model shares every parameter it does not change.
    shared: BTreeMap<String, (Option<toml::Value>, ParamId)>,
    /// Inputs accepted with a change the user should know of, as "file: path: what".
    warnings: Vec<String>,
}

impl Builder {
    fn err(&self, path: impl Into<String>, reason: impl Into<String>) -> ScenarioError {
        let path = path.into();
        let path = match &self.scope {
            Some(s) => format!("{}.{path}", s.label),
            None => path,
        };
        ScenarioError::Invalid { file: self.file.clone(), path, reason: reason.into() }
    }

    /// A name that reaches folders, tables and spreadsheets: no spaces at either end, no
    /// control characters, and a letter or digit first, so that Excel never reads it as a
    /// formula (`=`, `+`, `-`, `@`).
    fn check_name(&self, path: &str, name: &str) -> Result<(), ScenarioError> {
        let reason = if name.is_empty() {
            "must not be empty"
        } else if name.trim() != name {
            "must not start or end with spaces"
        } else if name.chars().any(char::is_control) {
            "must not contain control characters (tabs, line breaks)"
        } else if !name.chars().next().is_some_and(char::is_alphanumeric) {
            "must start with a letter or digit (a name starting with =, +, - or @ would be read as a formula by spreadsheets)"
        } else {
            return Ok(());
        };
        Err(self.err(path, format!("{name:?} {reason}")))
    }

    /// Registers a parameter, checking its range. `key` names it in output tables and `path`
    /// in error messages.
    fn param(
        &mut self,
        path: &str,
        key: String,
        value: Option<&toml::Value>,
        default: f64,
        domain: Domain,
        source: Option<&String>,
    ) -> Result<ParamId, ScenarioError> {
        if let Some(scope) = &self.scope {
            // Unchanged from the top level: the same parameter, drawn once per iteration.
            if let Some((v, id)) = self.shared.get(&key)
                && v.as_ref() == value
            {
                return Ok(*id);
            }
            let key = format!("authority.{}.{key}", scope.name);
            let authority = Some(scope.name.clone());
            return self.register(path, key, value, default, domain, source, authority);
        }
        let id = self.register(path, key.clone(), value, default, domain, source, None)?;
        self.shared.insert(key, (value.cloned(), id));
        Ok(id)
    }

    #[allow(clippy::too_many_arguments)]
    fn register(
        &mut self,
        path: &str,
        key: String,
        value: Option<&toml::Value>,
        default: f64,
        domain: Domain,
        source: Option<&String>,
        authority: Option<String>,
    ) -> Result<ParamId, ScenarioError> {
        let param = match value {
            None => Param::fixed(default),
            Some(v) => {
                let (param, warning) = parse_param(v).map_err(|r| self.err(path, r))?;
                if let Some(w) = warning {
                    let w = self.err(path, w).to_string();
                    self.warnings.push(w);
                }
                param
            }
        };
        if !param.point.is_finite() || !domain.contains(param.point) {
            return Err(self.err(path, format!("{} is not {}", crate::dist::fmt_num(param.point), domain.describe())));
        }
        if !domain.contains_support(&param.dist) {
            return Err(self.err(
                path,
                format!("{} can produce values that are not {}", param.dist.describe(), domain.describe()),
            ));
        }
        self.params.push(ParamDef { key, param, domain, source: source.cloned(), authority });
        Ok(ParamId(self.params.len() - 1))
    }

    fn build(mut self, raw: RawScenario, table: &toml::Table) -> Result<Scenario, ScenarioError> {
        let m = raw.scenario;
        if m.name.trim().is_empty() || m.name.contains(['/', '\\']) || m.name.starts_with('.') {
            return Err(self.err("scenario.name", "must be a non-empty name usable as a folder name"));
        }
        self.check_name("scenario.name", &m.name)?;
        let horizon_years = m.horizon_years.unwrap_or(5.0);
        if !(horizon_years.is_finite() && (MIN_HORIZON_YEARS..=100.0).contains(&horizon_years)) {
            return Err(self.err(
                "scenario.horizon_years",
                format!("{horizon_years} is not a horizon from one day ({MIN_HORIZON_YEARS:.5} years) to 100 years"),
            ));
        }
        let iterations = m.iterations.unwrap_or(1000);
        if iterations == 0 {
            return Err(self.err("scenario.iterations", "must be at least 1"));
        }
        let discount_rate = self.param(
            "scenario.discount_rate",
            "discount_rate".into(),
            m.discount_rate.as_ref(),
            0.035,
            Domain::Rate,
            None,
        )?;
        let meta = Meta {
            title: m.title.unwrap_or_else(|| m.name.clone()),
            name: m.name,
            description: m.description,
            price_year: m.price_year,
            horizon_years,
            iterations,
            seed: m.seed.unwrap_or(1),
            source: m.source,
        };

        if raw.authority.is_empty() {
            return Err(self.err("authority", "at least one [[authority]] is required"));
        }
        let mut seen = BTreeMap::new();
        for (i, a) in raw.authority.iter().enumerate() {
            let path = format!("authority[{i}].name");
            self.check_name(&path, &a.name)?;
            if name_key(&a.name) == TOTAL_NAME {
                return Err(self.err(
                    path,
                    format!("\"{}\" is the name of the total over authorities in every output; choose another", a.name),
                ));
            }
            if let Some((j, other)) = seen.insert(name_key(&a.name), (i, a.name.clone())) {
                return Err(self.err(path, repeats(&a.name, &other, &format!("authority[{j}]"))));
            }
            if a.children >= MAX_COHORT_CHILDREN {
                return Err(self.err(
                    format!("authority[{i}] ({}).children", a.name),
                    format!("{} children is more than a cohort can hold (below 2^40, about 1.1 × 10^12)", a.children),
                ));
            }
        }
        if raw.authority.iter().all(|a| a.children == 0) {
            return Err(self.err("authority", "every authority has 0 children: at least one child must return home"));
        }
        let model = self.model(RawModel {
            reentry: raw.reentry,
            risk_factor: raw.risk_factor,
            failed_returns: raw.failed_returns,
            maltreatment: raw.maltreatment,
            care_after_breakdown: raw.care_after_breakdown,
            cost: raw.cost,
            strategy: raw.strategy,
        })?;
        let raw_authorities = table.get("authority").and_then(|v| v.as_array());
        let mut authorities = Vec::new();
        for (i, a) in raw.authority.into_iter().enumerate() {
            let own = if a.has_overrides() {
                let label = format!("authority[{i}] ({})", a.name);
                let over = raw_authorities.and_then(|v| v.get(i)).and_then(|v| v.as_table());
                let merged = merge_model(table, over.expect("parsed authority is a table"))
                    .map_err(|(path, reason)| self.err(format!("{label}.{path}"), reason))?;
                let raw_model: RawModel =
                    serde_path_to_error::deserialize(toml::Value::Table(merged)).map_err(|e| {
                        let path = e.path().to_string();
                        self.err(format!("{label}.{path}"), with_suggestion(e.into_inner().message()))
                    })?;
                self.scope = Some(Scope { label, name: a.name.clone() });
                let m = self.model(raw_model)?;
                self.scope = None;
                Some(m)
            } else {
                None
            };
            authorities.push(Authority { name: a.name, children: a.children, source: a.source, model: own });
        }

        let budget = match &raw.budget {
            None => None,
            Some(b) => {
                if !(1..=50).contains(&b.years) {
                    return Err(self.err("budget.years", format!("{} is not a number of years from 1 to 50", b.years)));
                }
                if !(1900..=2200).contains(&b.first_financial_year) {
                    return Err(self.err(
                        "budget.first_financial_year",
                        format!("{} is not a plausible year", b.first_financial_year),
                    ));
                }
                let growth = b.growth_per_year.unwrap_or(0.0);
                if !(growth.is_finite() && growth > -1.0) {
                    return Err(self.err("budget.growth_per_year", format!("{growth} must be a finite rate above -1")));
                }
                let cohorts = b.cohorts.unwrap_or(b.years);
                if !(1..=b.years).contains(&cohorts) {
                    return Err(self.err(
                        "budget.cohorts",
                        format!("{cohorts} is not a number of cohorts from 1 to budget.years ({})", b.years),
                    ));
                }
                let budget = Budget {
                    first_financial_year: b.first_financial_year,
                    years: b.years,
                    cohorts,
                    growth_per_year: growth,
                    source: b.source.clone(),
                };
                // Growth compounds: the last cohort must still be a number of children.
                for a in &authorities {
                    let last = a.children as f64 * (1.0 + growth).powi(cohorts as i32 - 1);
                    if !last.is_finite() || last.round() >= MAX_COHORT_CHILDREN as f64 {
                        return Err(self.err(
                            "budget.growth_per_year",
                            format!(
                                "{} a year makes the last cohort of {} {} children, more than a cohort can hold (below 2^40, about 1.1 × 10^12)",
                                crate::dist::fmt_num(growth),
                                a.name,
                                if last.is_finite() { crate::dist::fmt_num(last) } else { "infinitely many".into() }
                            ),
                        ));
                    }
                }
                Some(budget)
            }
        };
        Ok(Scenario { budget, meta, params: self.params, discount_rate, authorities, model, warnings: self.warnings })
    }

    /// Validates the model sections: risk factors, hazards, failed returns, care, costs and
    /// strategies.
    fn model(&mut self, raw: RawModel) -> Result<Model, ScenarioError> {
        let mut risk_factors = Vec::new();
        let mut rf_names: Vec<String> = Vec::new();
        if raw.risk_factor.len() > 16 {
            return Err(self.err("risk_factor", "at most 16 risk factors are supported"));
        }
        for (i, r) in raw.risk_factor.iter().enumerate() {
            let p = format!("risk_factor[{i}]");
            self.check_name(&format!("{p}.name"), &r.name)?;
            if let Some(other) = rf_names.iter().find(|o| name_key(o) == name_key(&r.name)) {
                return Err(self.err(format!("{p}.name"), repeats(&r.name, other, "an earlier [[risk_factor]]")));
            }
            rf_names.push(r.name.clone());
            let k = format!("risk_factor.{}", r.name);
            let src = r.source.as_ref();
            let prevalence = self.param(
                &format!("{p}.prevalence"),
                format!("{k}.prevalence"),
                Some(&r.prevalence),
                0.0,
                Domain::Probability,
                src,
            )?;
            let hr_reentry = self.param(
                &format!("{p}.hr_reentry"),
                format!("{k}.hr_reentry"),
                r.hr_reentry.as_ref(),
                1.0,
                Domain::Positive,
                src,
            )?;
            let hr_maltreatment = self.param(
                &format!("{p}.hr_maltreatment"),
                format!("{k}.hr_maltreatment"),
                r.hr_maltreatment.as_ref(),
                1.0,
                Domain::Positive,
                src,
            )?;
            risk_factors.push(RiskFactor { name: r.name.clone(), prevalence, hr_reentry, hr_maltreatment });
        }

        let reentry = self.hazard("reentry", &raw.reentry)?;
        let maltreatment = raw.maltreatment.as_ref().map(|h| self.hazard("maltreatment", h)).transpose()?;

        let (hr_v, hr_src) = match &raw.failed_returns {
            Some(f) => (Some(&f.hr_per_failed_return), f.source.as_ref()),
            None => (None, None),
        };
        let hr_per_failed_return = self.param(
            "failed_returns.hr_per_failed_return",
            "failed_returns.hr_per_failed_return".into(),
            hr_v,
            1.0,
            Domain::Positive,
            hr_src,
        )?;

        let care_raw = raw.care_after_breakdown.as_ref();
        let csrc = care_raw.and_then(|c| c.source.as_ref());
        let care = Care {
            median_years: self.param(
                "care_after_breakdown.median_years",
                "care_after_breakdown.median_years".into(),
                care_raw.and_then(|c| c.median_years.as_ref()),
                1.0,
                Domain::Positive,
                csrc,
            )?,
            sigma: self.param(
                "care_after_breakdown.sigma",
                "care_after_breakdown.sigma".into(),
                care_raw.and_then(|c| c.sigma.as_ref()),
                1.0,
                Domain::NonNegative,
                csrc,
            )?,
            return_home_probability: self.param(
                "care_after_breakdown.return_home_probability",
                "care_after_breakdown.return_home_probability".into(),
                care_raw.and_then(|c| c.return_home_probability.as_ref()),
                0.3,
                Domain::Probability,
                csrc,
            )?,
        };

        let mut costs = Vec::new();
        let mut cost_names: Vec<String> = Vec::new();
        for (i, c) in raw.cost.iter().enumerate() {
            let p = format!("cost[{i}]");
            self.check_name(&format!("{p}.name"), &c.name)?;
            if let Some(other) = cost_names.iter().find(|o| name_key(o) == name_key(&c.name)) {
                return Err(self.err(format!("{p}.name"), repeats(&c.name, other, "an earlier [[cost]]")));
            }
            cost_names.push(c.name.clone());
            let basis = CostBasis::parse(&c.basis).ok_or_else(|| {
                let names: Vec<&str> = CostBasis::ALL.iter().map(|(k, _)| *k).collect();
                let hint = suggest(&c.basis, &names).map(|s| format!("; did you mean \"{s}\"?")).unwrap_or_default();
                self.err(format!("{p}.basis"), format!("\"{}\" is not one of {}{hint}", c.basis, names.join(", ")))
            })?;
            let amount = self.param(
                &format!("{p}.amount"),
                format!("cost.{}.amount", c.name),
                Some(&c.amount),
                0.0,
                Domain::Money,
                c.source.as_ref(),
            )?;
            costs.push(CostLine { name: c.name.clone(), amount, basis });
        }

        if raw.strategy.is_empty() {
            return Err(self.err("strategy", "at least one [[strategy]] is required (the first is the comparator)"));
        }
        let mut strategies: Vec<Strategy> = Vec::new();
        for (i, s) in raw.strategy.iter().enumerate() {
            let p = format!("strategy[{i}]");
            if s.name.trim().is_empty() || s.name.contains(',') {
                return Err(self.err(format!("{p}.name"), "must be non-empty and contain no commas"));
            }
            self.check_name(&format!("{p}.name"), &s.name)?;
            if let Some(other) = strategies.iter().find(|o| name_key(&o.name) == name_key(&s.name)) {
                return Err(self.err(format!("{p}.name"), repeats(&s.name, &other.name, "an earlier [[strategy]]")));
            }
            // `same_as` names an earlier strategy whose support this one offers: every key left
            // out is taken from it, and its uncertain values are the same parameters, so a PSA
            // iteration draws the one unknown (the effect of that support) once for both.
            let like = match &s.same_as {
                None => None,
                Some(name) => Some(strategies.iter().find(|o| &o.name == name).ok_or_else(|| {
                    let earlier: Vec<&str> = strategies.iter().map(|o| o.name.as_str()).collect();
                    let hint = suggest(name, &earlier).map(|s| format!("; did you mean \"{s}\"?")).unwrap_or_default();
                    self.err(
                        format!("{p}.same_as"),
                        format!("\"{name}\" is not the name of an earlier [[strategy]]{hint}"),
                    )
                })?),
            }
            .cloned();
            let eligibility = match (&s.eligibility, &like) {
                (None, Some(o)) => o.eligibility.clone(),
                _ => self.eligibility(&format!("{p}.eligibility"), s.eligibility.as_ref(), &rf_names)?,
            };
            let support_years = s.support_years.or(like.as_ref().map(|o| o.support_years)).unwrap_or(1.0);
            if !(support_years.is_finite() && support_years >= 0.0) {
                return Err(self.err(
                    format!("{p}.support_years"),
                    format!("{support_years} is not a non-negative number of years"),
                ));
            }
            let effect_years = s.effect_years.or(like.as_ref().map(|o| o.effect_years)).unwrap_or(support_years);
            if !(effect_years.is_finite() && effect_years >= 0.0) {
                return Err(self.err(
                    format!("{p}.effect_years"),
                    format!("{effect_years} is not a non-negative number of years"),
                ));
            }
            let cost_basis = match (s.cost_basis.as_deref(), &like) {
                (None, Some(o)) => o.cost_basis,
                (None | Some("per_supported_return"), _) => SupportBasis::PerSupportedReturn,
                (Some("per_supported_year"), _) => SupportBasis::PerSupportedYear,
                (Some(other), _) => {
                    return Err(self.err(
                        format!("{p}.cost_basis"),
                        format!("\"{other}\" is not one of per_supported_return, per_supported_year"),
                    ));
                }
            };
            let k = format!("strategy.{}", s.name);
            let src = s.source.as_ref();
            // A key left out of a `same_as` strategy is the named strategy's parameter itself.
            let param =
                |b: &mut Self, key: &str, value: &Option<toml::Value>, inherited: Option<ParamId>, default, domain| {
                    match (value, inherited) {
                        (None, Some(id)) => Ok(id),
                        _ => b.param(&format!("{p}.{key}"), format!("{k}.{key}"), value.as_ref(), default, domain, src),
                    }
                };
            let like_id = |f: fn(&Strategy) -> ParamId| like.as_ref().map(f);
            let take_up = param(self, "take_up", &s.take_up, like_id(|o| o.take_up), 1.0, Domain::Probability)?;
            let hr_reentry =
                param(self, "hr_reentry", &s.hr_reentry, like_id(|o| o.hr_reentry), 1.0, Domain::Positive)?;
            let hr_maltreatment = param(
                self,
                "hr_maltreatment",
                &s.hr_maltreatment,
                like_id(|o| o.hr_maltreatment),
                1.0,
                Domain::Positive,
            )?;
            let cost = param(self, "cost", &s.cost, like_id(|o| o.cost), DEFAULT_SUPPORT_COST, Domain::Money)?;
            strategies.push(Strategy {
                name: s.name.clone(),
                description: s.description.clone(),
                eligibility,
                take_up,
                support_years,
                effect_years,
                hr_reentry,
                hr_maltreatment,
                cost,
                cost_basis,
                repeat_on_later_returns: s
                    .repeat_on_later_returns
                    .or(like.as_ref().map(|o| o.repeat_on_later_returns))
                    .unwrap_or(true),
                source: s.source.clone().or_else(|| like.as_ref().and_then(|o| o.source.clone())),
            });
        }

        Ok(Model { reentry, maltreatment, risk_factors, hr_per_failed_return, care, costs, strategies })
    }

    fn hazard(&mut self, section: &str, h: &RawHazard) -> Result<HazardSpec, ScenarioError> {
        let knots = h.knots_years.clone();
        if knots.first() != Some(&0.0) {
            return Err(self.err(format!("{section}.knots_years"), "must start at 0.0"));
        }
        if let Some(i) = knots.windows(2).position(|w| w[1] <= w[0] || w[1].is_nan() || !w[1].is_finite()) {
            return Err(self.err(
                format!("{section}.knots_years[{}]", i + 1),
                format!("{} does not increase on the previous knot {}", knots[i + 1], knots[i]),
            ));
        }
        let src = h.source.as_ref();
        let baseline = match (&h.rates_per_year, &h.calibrate_to) {
            (Some(_), Some(_)) => {
                return Err(self.err(section, "give either rates_per_year or calibrate_to, not both"));
            }
            (None, None) => return Err(self.err(section, "give rates_per_year or calibrate_to")),
            (Some(rates), None) => {
                if rates.len() != knots.len() {
                    return Err(self.err(
                        format!("{section}.rates_per_year"),
                        format!("has {} rates for {} knots; give one rate per knot", rates.len(), knots.len()),
                    ));
                }
                let mut ids = Vec::new();
                for (i, r) in rates.iter().enumerate() {
                    ids.push(self.param(
                        &format!("{section}.rates_per_year[{i}]"),
                        format!("{section}.rate[{i}]"),
                        Some(r),
                        0.0,
                        Domain::NonNegative,
                        src,
                    )?);
                }
                Baseline::Rates(ids)
            }
            (None, Some(targets)) => {
                if targets.len() != knots.len() {
                    return Err(self.err(
                        format!("{section}.calibrate_to"),
                        format!(
                            "has {} targets for {} knots; calibration fits one rate per piece, so give one target per knot",
                            targets.len(),
                            knots.len()
                        ),
                    ));
                }
                let mut out = Vec::new();
                let mut last_share = 0.0;
                for (i, t) in targets.iter().enumerate() {
                    let p = format!("{section}.calibrate_to[{i}]");
                    let lo = knots[i];
                    let hi = knots.get(i + 1).copied().unwrap_or(f64::INFINITY);
                    if !(t.years > lo && t.years <= hi) {
                        return Err(self.err(
                            format!("{p}.years"),
                            format!(
                                "{} must lie in the piece it calibrates, after {lo} and at or before {}",
                                t.years,
                                if hi.is_finite() { hi.to_string() } else { "infinity".into() }
                            ),
                        ));
                    }
                    let share = self.param(
                        &format!("{p}.share"),
                        format!("{section}.target[{i}].share"),
                        Some(&t.share),
                        0.0,
                        Domain::Share,
                        t.source.as_ref().or(src),
                    )?;
                    let v = self.params[share.0].param.point;
                    if v <= last_share {
                        return Err(self.err(
                            format!("{p}.share"),
                            format!("{v} does not increase on the previous target {last_share}; cumulative shares must rise strictly"),
                        ));
                    }
                    last_share = v;
                    out.push(Target { years: t.years, share });
                }
                Baseline::Calibrate(out)
            }
        };
        Ok(HazardSpec { knots, baseline, source: h.source.clone() })
    }

    fn eligibility(
        &self,
        path: &str,
        v: Option<&toml::Value>,
        rf_names: &[String],
    ) -> Result<Eligibility, ScenarioError> {
        let Some(v) = v else { return Ok(Eligibility::All) };
        match v {
            toml::Value::String(s) if s == "all" => Ok(Eligibility::All),
            toml::Value::String(s) if s == "none" => Ok(Eligibility::None),
            toml::Value::String(s) => Err(self.err(path, format!("\"{s}\" is not \"all\", \"none\" or a rule table"))),
            toml::Value::Table(t) => {
                let mut any_of = Vec::new();
                let mut min_risk_score = None;
                for (k, val) in t {
                    match k.as_str() {
                        "any_of" => {
                            let arr = val.as_array().ok_or_else(|| {
                                self.err(format!("{path}.any_of"), "must be a list of risk-factor names")
                            })?;
                            for (i, n) in arr.iter().enumerate() {
                                let name = n.as_str().unwrap_or_default();
                                let j = rf_names.iter().position(|r| r == name).ok_or_else(|| {
                                    let cands: Vec<&str> = rf_names.iter().map(|s| s.as_str()).collect();
                                    let hint = suggest(name, &cands)
                                        .map(|s| format!("; did you mean \"{s}\"?"))
                                        .unwrap_or_default();
                                    self.err(
                                        format!("{path}.any_of[{i}]"),
                                        format!("{n} is not a [[risk_factor]] name{hint}"),
                                    )
                                })?;
                                any_of.push(j);
                            }
                        }
                        "min_risk_score" => {
                            let m = val.as_integer().and_then(|m| u32::try_from(m).ok()).ok_or_else(|| {
                                self.err(
                                    format!("{path}.min_risk_score"),
                                    format!("{val} is not a whole number of risk factors, 0 or more"),
                                )
                            })?;
                            if m as usize > rf_names.len() {
                                return Err(self.err(
                                    format!("{path}.min_risk_score"),
                                    format!(
                                        "{m} is more than the {} risk factors a child can have, so no child would be eligible",
                                        rf_names.len()
                                    ),
                                ));
                            }
                            min_risk_score = Some(m);
                        }
                        other => {
                            let hint = suggest(other, &["any_of", "min_risk_score"])
                                .map(|s| format!("; did you mean `{s}`?"))
                                .unwrap_or_default();
                            return Err(self.err(format!("{path}.{other}"), format!("unknown key{hint}")));
                        }
                    }
                }
                Ok(Eligibility::Rule { any_of, min_risk_score })
            }
            _ => Err(self.err(path, "must be \"all\", \"none\" or a table such as { any_of = [\"aged_over_10\"] }")),
        }
    }
}

/// Names compare without regard to case or runs of spaces: "Camden  Town" and "camden town"
/// are one name, and would be one row to a reader.
fn name_key(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// "\"b\" repeats authority[0]" or, when they differ in case or spacing, says so.
fn repeats(name: &str, other: &str, earlier: &str) -> String {
    if name == other {
        format!("\"{name}\" is listed twice (as {earlier})")
    } else {
        format!("\"{name}\" is the same name as {earlier} (\"{other}\") but for case or spacing")
    }
}

/// Merges an authority's overrides into the top level's model sections. Tables are merged key
/// by key (a hazard that gives `rates_per_year` or `calibrate_to` replaces both); lists of
/// risk factors, costs and strategies are merged by `name`, key by key. An authority may add a
/// cost line but not a risk factor or a strategy, so every authority simulates the same arms.
/// Errors are `(path within the authority, reason)`.
fn merge_model(top: &toml::Table, over: &toml::Table) -> Result<toml::Table, (String, String)> {
    let mut out = toml::Table::new();
    for k in MODEL_KEYS {
        if let Some(v) = top.get(k) {
            out.insert(k.to_string(), v.clone());
        }
    }
    for (k, v) in over.iter().filter(|(k, _)| MODEL_KEYS.contains(&k.as_str())) {
        if matches!(k.as_str(), "risk_factor" | "cost" | "strategy") {
            let items =
                v.as_array().ok_or_else(|| (k.clone(), format!("must be a list of [[authority.{k}]] tables")))?;
            let list = out.entry(k.clone()).or_insert_with(|| toml::Value::Array(Vec::new()));
            let list = list.as_array_mut().ok_or_else(|| (k.clone(), "the top level's is not a list".to_string()))?;
            for (j, item) in items.iter().enumerate() {
                let t = item.as_table().ok_or_else(|| (format!("{k}[{j}]"), "must be a table".to_string()))?;
                let name = t.get("name").and_then(|n| n.as_str()).ok_or_else(|| {
                    (format!("{k}[{j}].name"), "is required: it names the entry of the top level to change".to_string())
                })?;
                let target = list
                    .iter_mut()
                    .filter_map(|e| e.as_table_mut())
                    .find(|e| e.get("name").and_then(|n| n.as_str()) == Some(name));
                match target {
                    Some(e) => e.extend(t.iter().map(|(a, b)| (a.clone(), b.clone()))),
                    None if k == "cost" => list.push(item.clone()),
                    None => {
                        let names: Vec<&str> = list.iter().filter_map(|e| e.get("name")?.as_str()).collect();
                        let hint =
                            suggest(name, &names).map(|s| format!("; did you mean \"{s}\"?")).unwrap_or_default();
                        return Err((
                            format!("{k}[{j}].name"),
                            format!(
                                "\"{name}\" is not a [[{k}]] of the scenario (an authority can change its values but not add one){hint}"
                            ),
                        ));
                    }
                }
            }
        } else {
            let t = v.as_table().ok_or_else(|| (k.clone(), "must be a table".to_string()))?;
            let e = out.entry(k.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
            let e = e.as_table_mut().ok_or_else(|| (k.clone(), "the top level's is not a table".to_string()))?;
            if t.contains_key("rates_per_year") || t.contains_key("calibrate_to") {
                e.remove("rates_per_year");
                e.remove("calibrate_to");
            }
            e.extend(t.iter().map(|(a, b)| (a.clone(), b.clone())));
        }
    }
    Ok(out)
}

/// A spread given as mean and sd that is too small to sample, before shape values derived
/// from it overflow.
fn degenerate(point: f64, relative: f64) -> Option<Result<Dist, DistError>> {
    (relative < crate::dist::MIN_RELATIVE_SPREAD).then_some(Err(DistError::Degenerate { point, relative }))
}

fn as_f64(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// Parses a number or a `{ dist = ... }` table into a [`Param`], with the reason on failure.
/// A distribution whose spread is too small to sample becomes a fixed value, and the second
/// item says so.
pub fn parse_param(v: &toml::Value) -> Result<(Param, Option<String>), String> {
    if let Some(x) = as_f64(v) {
        if !x.is_finite() {
            return Err(format!("{x} is not a finite number"));
        }
        return Ok((Param::fixed(x), None));
    }
    let toml::Value::Table(t) = v else {
        return Err(
            "must be a number or a distribution table such as { dist = \"beta\", mean = 0.3, sd = 0.05 }".into()
        );
    };
    let kind = t.get("dist").and_then(|d| d.as_str()).ok_or("a distribution table needs `dist = \"...\"`")?;
    let allowed: &[&str] = match kind {
        "fixed" => &["value"],
        "beta" => &["mean", "sd", "events", "n"],
        "gamma" => &["mean", "sd"],
        "lognormal" => &["median", "ci95", "mean", "sd"],
        "normal" => &["mean", "sd"],
        "uniform" => &["min", "max"],
        "triangular" => &["min", "mode", "max"],
        other => {
            let all = ["fixed", "beta", "gamma", "lognormal", "normal", "uniform", "triangular"];
            let hint = suggest(other, &all).map(|s| format!("; did you mean \"{s}\"?")).unwrap_or_default();
            return Err(format!("dist \"{other}\" is not one of {}{hint}", all.join(", ")));
        }
    };
    for k in t.keys().filter(|k| *k != "dist") {
        if !allowed.contains(&k.as_str()) {
            let hint = suggest(k, allowed).map(|s| format!("; did you mean `{s}`?")).unwrap_or_default();
            return Err(format!("unknown key `{k}` for a {kind} distribution (expected {}){hint}", allowed.join(", ")));
        }
    }
    let num = |k: &str| -> Result<f64, String> {
        let x = t.get(k).and_then(as_f64).ok_or_else(|| format!("a {kind} distribution needs a number `{k}`"))?;
        if x.is_finite() { Ok(x) } else { Err(format!("`{k}` must be finite")) }
    };
    let has = |k: &str| t.contains_key(k);
    let positive = |k: &str, x: f64| {
        if x > 0.0 { Ok(x) } else { Err(format!("`{k}` must be positive, not {x}")) }
    };
    let (point, dist) = match kind {
        "fixed" => {
            let x = num("value")?;
            (x, Dist::fixed(x))
        }
        "beta" if has("events") || has("n") => {
            let (e, n) = (num("events")?, num("n")?);
            if !(e > 0.0 && n > e) {
                return Err(format!("beta needs 0 < events < n, not events = {e}, n = {n}"));
            }
            (e / n, Dist::beta(e, n - e))
        }
        "beta" => {
            let (m, s) = (num("mean")?, positive("sd", num("sd")?)?);
            if !(m > 0.0 && m < 1.0) {
                return Err(format!("beta mean {m} must lie strictly between 0 and 1"));
            }
            if s * s >= m * (1.0 - m) {
                return Err(format!(
                    "beta sd {s} is too large for mean {m}: sd² must be below mean·(1 − mean) = {}",
                    m * (1.0 - m)
                ));
            }
            let k = m * (1.0 - m) / (s * s) - 1.0;
            (m, degenerate(m, s / m).unwrap_or_else(|| Dist::beta(m * k, (1.0 - m) * k)))
        }
        "gamma" => {
            let (m, s) = (positive("mean", num("mean")?)?, positive("sd", num("sd")?)?);
            (m, degenerate(m, s / m).unwrap_or_else(|| Dist::gamma(m * m / (s * s), s * s / m)))
        }
        "lognormal" if has("median") || has("ci95") => {
            let med = positive("median", num("median")?)?;
            let ci =
                t.get("ci95").and_then(|c| c.as_array()).ok_or("lognormal with a median needs ci95 = [low, high]")?;
            let ci: Vec<f64> = ci.iter().filter_map(as_f64).collect();
            if ci.len() != 2 || !(ci[0] > 0.0 && ci[0] < med && med < ci[1] && ci[1].is_finite()) {
                return Err(format!("ci95 must be [low, high] with 0 < low < median ({med}) < high"));
            }
            (med, Dist::lognormal(med.ln(), (ci[1].ln() - ci[0].ln()) / (2.0 * Z975)))
        }
        "lognormal" => {
            let (m, s) = (positive("mean", num("mean")?)?, positive("sd", num("sd")?)?);
            let sigma2 = (1.0 + s * s / (m * m)).ln();
            (m, Dist::lognormal(m.ln() - 0.5 * sigma2, sigma2.sqrt()))
        }
        "normal" => {
            let (m, s) = (num("mean")?, positive("sd", num("sd")?)?);
            (m, Dist::normal(m, s))
        }
        "uniform" => {
            let (a, b) = (num("min")?, num("max")?);
            (0.5 * a + 0.5 * b, Dist::uniform(a, b))
        }
        "triangular" => {
            let (a, c, b) = (num("min")?, num("mode")?, num("max")?);
            (c, Dist::triangular(a, c, b))
        }
        _ => unreachable!("kinds are matched above"),
    };
    match dist {
        Ok(dist) => Ok((Param { point, dist }, None)),
        Err(DistError::Degenerate { .. }) => Ok((
            Param::fixed(point),
            Some(format!(
                "the {kind} distribution's spread is too small to sample (relative spread below {:e}); it is used as the fixed value {}",
                crate::dist::MIN_RELATIVE_SPREAD,
                crate::dist::fmt_num(point)
            )),
        )),
        Err(DistError::Invalid(reason)) => Err(format!("{kind} distribution: {reason}")),
    }
}
