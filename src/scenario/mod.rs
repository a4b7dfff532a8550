//! Scenario files: parse, then validate into types that cannot hold bad values.
//!
//! A scenario is TOML in the public format documented in docs/reference/scenario-format.md and written by
//! `reunify init`. Parsing goes through raw serde structs with `deny_unknown_fields` (unknown
//! keys get a "did you mean" suggestion); validation then builds a [`Scenario`] in which every
//! numeric input is registered once in a flat parameter table ([`ParamDef`]) and referred to by
//! [`ParamId`]. That table is what PSA draws, what the tornado perturbs and what
//! `iterations.csv` reports. Every error names the file, the field path and the reason,
//! e.g. `scenarios/x.toml: strategy[1].take_up: 1.3 is not a probability (0 to 1)`.
//! This module never touches the file system: the caller passes the text and its label.
//!
//! It is split by concept, raw to validated (as ripgrep's low-level to high-level
//! arguments): [`raw`] holds the serde structs, [`param`] reads numbers and distributions,
//! [`merge`] merges an authority's overrides into the top level, [`build`] validates into the
//! types defined here, and [`suggest`] writes "did you mean" hints and syntax positions.

mod build;
pub mod label;
mod merge;
mod param;
mod raw;
pub mod shipped;
mod suggest;

use std::collections::BTreeMap;

use thiserror::Error;

use self::build::Builder;
pub use self::param::parse_param;
use self::raw::RawScenario;
use self::suggest::{syntax_message, with_suggestion};
use crate::dist::{Dist, Param, Shape};

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

/// The most PSA iterations a run may have: each keeps its parameter draws and tallies in
/// memory (a few kilobytes per strategy and authority), so a million is about the most a
/// machine holds, and Monte Carlo error is long negligible by then.
pub const MAX_ITERATIONS: u32 = 1_000_000;

/// What is wrong with a name that reaches folders, tables and spreadsheets, if anything: it
/// has no spaces at either end, no control characters, and a letter or digit first, so that
/// a spreadsheet never reads it as a formula (`=`, `+`, `-`, `@`). Scenario validation and
/// `import-dfe` both check names with this.
pub fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("must not be empty")
    } else if name.chars().count() > MAX_NAME_CHARS {
        Some("is longer than 200 characters")
    } else if name.trim() != name {
        Some("must not start or end with spaces")
    } else if name.chars().any(char::is_control) {
        Some("must not contain control characters (tabs, line breaks)")
    } else if name.chars().any(invisible) {
        Some(
            "must not contain invisible characters (zero-width spaces, joiners, or direction marks and overrides), which make look-alike names",
        )
    } else if !name.chars().next().is_some_and(char::is_alphanumeric) {
        Some(
            "does not start with a letter or digit (a name starting with =, +, - or @ would be read as a formula by spreadsheets)",
        )
    } else {
        None
    }
}

/// The most authorities, strategies and cost lines a scenario may have (England has 153
/// authorities; the districts bench splits one into 5,000).
pub const MAX_AUTHORITIES: usize = 10_000;
pub const MAX_STRATEGIES: usize = 64;
pub const MAX_COST_LINES: usize = 64;

/// The longest name of a scenario, authority, strategy or risk factor, in characters: a name
/// reaches titles, folder names and workbook cells.
pub const MAX_NAME_CHARS: usize = 200;

/// Every rule a scenario's own name follows (it names the output folder), in one place, so
/// that a command that makes a scenario (`import-903 --name`) checks it before any work.
pub fn scenario_name_problem(name: &str) -> Option<&'static str> {
    if name.contains(['/', '\\']) || name.starts_with('.') {
        return Some("must be usable as a folder name (no / or \\, and not starting with a dot)");
    }
    name_problem(name)
}

/// Names compare without regard to case or runs of spaces: "Camden  Town" and "camden town"
/// are one name, and would be one row to a reader.
pub(crate) fn name_key(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// What is wrong with an authority's name, if anything: [`name_problem`]'s rules, and not
/// the name of the total over authorities ([`TOTAL_NAME`], in any case or spacing). Scenario
/// validation and `import-dfe` both check authorities' names with this.
pub fn authority_name_problem(name: &str) -> Option<String> {
    if let Some(reason) = name_problem(name) {
        return Some(reason.to_string());
    }
    (name_key(name) == TOTAL_NAME)
        .then(|| format!("\"{name}\" is the name of the total over authorities in every output; choose another"))
}

/// The label of something a scenario names without giving it one: the name with its
/// separators as spaces and a capital first letter ("targeted-support" → "Targeted support",
/// "aged_over_10" → "Aged over 10").
pub fn label_from_name(name: &str) -> String {
    let words: Vec<&str> = name.split(['_', '-', ' ']).filter(|w| !w.is_empty()).collect();
    let text = words.join(" ");
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => name.to_string(),
    }
}

/// A label inside a sentence: its first letter in lower case, unless the first word is an
/// acronym or a name written with capitals inside it ("Targeted support" → "targeted support",
/// "NSPCC support" and "Ynys Môn" stay).
pub fn in_sentence(label: &str) -> String {
    let first_word = label.split_whitespace().next().unwrap_or("");
    let capitals = first_word.chars().filter(|c| c.is_uppercase()).count();
    let proper = capitals > 1 || label.split_whitespace().skip(1).any(|w| w.starts_with(char::is_uppercase));
    if proper {
        return label.to_string();
    }
    let mut chars = label.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Characters that change how text is laid out without showing (Unicode's format characters
/// that matter here): the soft hyphen, zero-width spaces and joiners, the Arabic letter mark,
/// direction marks, embeddings, overrides and isolates, invisible operators and the
/// byte-order mark. Two names that differ only by them look the same.
pub fn invisible(c: char) -> bool {
    matches!(c, '\u{AD}' | '\u{61C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}')
}

/// The most characters a text value may hold: what one cell of a workbook holds.
pub const MAX_TEXT: usize = 32_767;

/// The name of the total over authorities in every output table.
pub const TOTAL_NAME: &str = "all";

impl Domain {
    pub fn contains(self, v: f64) -> bool {
        match self {
            Domain::Probability => (0.0..=1.0).contains(&v),
            Domain::Share => v > 0.0 && v < 1.0,
            Domain::Positive => v > 0.0,
            Domain::NonNegative => v >= 0.0,
            Domain::Rate => (0.0..1.0).contains(&v),
            Domain::Money => (0.0..=MAX_MONEY).contains(&v),
        }
    }

    pub fn describe(self) -> &'static str {
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
    /// The parameter in words, for tables and charts: the scenario's `label`, or one made
    /// from the key by [`label::default_label`].
    pub label: String,
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

/// What averting an outcome is worth to the decision maker, in pounds: a point value for
/// net monetary benefit, and a range for the curves over willingness to pay.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Value {
    pub point: f64,
    pub low: f64,
    pub high: f64,
    /// Given as one number (not a range, not left out): the value a single answer, such as a
    /// pilot's, is taken at.
    pub given: bool,
}

/// `[decision]`'s values, per breakdown, maltreatment event and care-year averted.
#[derive(Clone, Debug, PartialEq)]
pub struct Values {
    pub breakdown: Value,
    pub maltreatment_event: Value,
    pub care_year: Value,
    pub source: Option<String>,
}

impl Values {
    /// The value per breakdown averted a pilot is taken at by default: `[decision]`'s, when
    /// it is one number.
    pub fn pilot_value(&self) -> Option<f64> {
        self.breakdown.given.then_some(self.breakdown.point)
    }
}

impl Default for Values {
    /// Cash only, with willingness to pay per breakdown averted drawn from £0 to £200,000.
    fn default() -> Values {
        let zero = Value { point: 0.0, low: 0.0, high: 0.0, given: false };
        Values { breakdown: Value { high: 200_000.0, ..zero }, maltreatment_event: zero, care_year: zero, source: None }
    }
}

/// `[pilot]`: a two-arm trial of a strategy's support against usual care, with `n` families
/// per arm followed for `follow_up_years`, at each of `sizes`, and what it costs.
#[derive(Clone, Debug, PartialEq)]
pub struct Pilot {
    /// The strategy trialled (index into the model's strategies, never 0); `None`: the one
    /// with the largest expected net benefit at the pilot's value.
    pub strategy: Option<usize>,
    pub follow_up_years: f64,
    /// Families per arm, increasing.
    pub sizes: Vec<u32>,
    /// £: set-up and evaluation, whatever the size.
    pub fixed_cost: f64,
    /// £ per family enrolled, in either arm.
    pub cost_per_family: f64,
    /// £ per breakdown averted at which the pilot is valued; `None`: where the choice is most
    /// uncertain over `[decision]`'s range.
    pub value_per_breakdown_averted: Option<f64>,
    pub source: Option<String>,
}

impl Pilot {
    /// Defaults when `[pilot]` leaves a key out (assumptions, stated in docs/guide/values-and-pilot.md).
    pub const FOLLOW_UP_YEARS: f64 = 1.0;
    pub const SIZES: [u32; 5] = [50, 100, 200, 400, 800];
    pub const FIXED_COST: f64 = 150_000.0;
    pub const COST_PER_FAMILY: f64 = 3_300.0;

    /// Families enrolled at `n` per arm.
    pub fn families(n: u32) -> u64 {
        2 * n as u64
    }

    /// What the pilot costs at `n` families per arm.
    pub fn cost(&self, n: u32) -> f64 {
        self.fixed_cost + self.cost_per_family * Self::families(n) as f64
    }

    /// The defaults, valued at `value` per breakdown averted (`None`: where the choice is most
    /// uncertain); [`Values::pilot_value`] gives a scenario's.
    pub fn defaults(value: Option<f64>) -> Pilot {
        Pilot {
            strategy: None,
            follow_up_years: Self::FOLLOW_UP_YEARS,
            sizes: Self::SIZES.to_vec(),
            fixed_cost: Self::FIXED_COST,
            cost_per_family: Self::COST_PER_FAMILY,
            value_per_breakdown_averted: value,
            source: None,
        }
    }

    // The checks below serve both `[pilot]` and `reunify pilot`'s flags; each gives the reason
    // a value is refused, for the caller to name the field or flag.

    /// The strategy called `name`, among `names` (the comparator first, which cannot be trialled).
    pub fn strategy_named(name: &str, names: &[&str]) -> Result<usize, String> {
        match names.iter().position(|s| *s == name) {
            Some(0) => Err(format!("{name:?} is the comparator; a pilot trials another strategy's support against it")),
            Some(i) => Ok(i),
            None => Err(format!("no strategy is called {name:?}; the pilot can trial {}", names[1..].join(", "))),
        }
    }

    pub fn check_arms(arms: u32) -> Result<(), String> {
        if arms == 2 {
            Ok(())
        } else {
            Err(format!("{arms} arms: only two-arm trials (support against usual care) are modelled"))
        }
    }

    pub fn check_follow_up(years: f64) -> Result<f64, String> {
        if years.is_finite() && years > 0.0 && years <= 50.0 {
            Ok(years)
        } else {
            Err(format!("{years} is not a follow-up from 0 to 50 years"))
        }
    }

    pub fn check_sizes(sizes: &[i64]) -> Result<Vec<u32>, String> {
        let ok = !sizes.is_empty()
            && sizes.len() <= 50
            && sizes.iter().all(|&n| (1..=1_000_000).contains(&n))
            && sizes.windows(2).all(|w| w[0] < w[1]);
        if ok {
            Ok(sizes.iter().map(|&n| n as u32).collect())
        } else {
            Err("families per arm: 1 to 50 whole numbers from 1 to 1,000,000, each larger than the one before".into())
        }
    }

    pub fn check_money(x: f64) -> Result<f64, String> {
        if x.is_finite() && (0.0..=1e12).contains(&x) {
            Ok(x)
        } else {
            Err(format!("{x} is not an amount from £0 to £1,000bn"))
        }
    }
}

/// An independent published share back in care by a time (`[[validation]]`), in words and
/// as a number. It is never one the scenario is calibrated to: validation refuses that.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// What the figure is, in a few words.
    pub figure: String,
    /// The figure as published ("14.4%", "one in five").
    pub published: String,
    pub share: f64,
    /// Half the unit the published figure was rounded to.
    pub rounding: f64,
    /// Years since leaving care; a whole number of months.
    pub years: f64,
    pub source: String,
    pub population: String,
    pub period: String,
    /// What the figure counts, and how that differs from the model's definition.
    pub definition: String,
}

impl Comparison {
    /// The month of the re-entry curve the figure is read at.
    pub fn month(&self) -> usize {
        (self.years * 12.0).round() as usize
    }
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
    /// `calibrate_scale_to`: after the baseline is fixed, every rate is multiplied by one
    /// factor so that the share by `years` is the target; the baseline gives only the shape.
    pub scale_to: Option<Target>,
    pub source: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RiskFactor {
    pub name: String,
    /// The factor in words, as a table or legend shows it ("Aged over 10").
    pub label: String,
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
    /// The cost line in words ("Breakdown").
    pub label: String,
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
    /// The strategy in words, as a table or legend shows it ("Targeted support").
    pub label: String,
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

    /// Why an authority's cohorts cannot be simulated, if they cannot: growth compounds, and
    /// the last cohort must still be a number of children a cohort can hold. Validation and
    /// what-if overrides of a cohort's size apply this one rule.
    pub fn last_cohort_problem(&self, a: &Authority) -> Option<String> {
        let growth = self.growth_per_year;
        let last = a.children as f64 * (1.0 + growth).powi(self.cohorts as i32 - 1);
        (!last.is_finite() || last.round() >= MAX_COHORT_CHILDREN as f64).then(|| {
            format!(
                "{} a year makes the last cohort of {} {} children, more than a cohort can hold (below 2^40, about 1.1 × 10^12)",
                crate::dist::fmt_num(growth),
                a.name,
                if last.is_finite() { crate::dist::fmt_num(last) } else { "infinitely many".into() }
            )
        })
    }
}

/// Why a hazard's calibration targets cannot be met, if they cannot: cumulative shares must
/// rise strictly from one target to the next. Returns the index of the first target that does
/// not, and the reason. Validation and what-if overrides of a target's share apply this one
/// rule to the point values `values`.
pub fn targets_problem(targets: &[Target], values: &[f64]) -> Option<(usize, String)> {
    let mut last_share = 0.0;
    for (i, t) in targets.iter().enumerate() {
        let v = values[t.share.0];
        if v <= last_share {
            return Some((
                i,
                format!(
                    "{v} does not increase on the previous target {last_share}; cumulative shares must rise strictly"
                ),
            ));
        }
        last_share = v;
    }
    None
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
    /// `[[validation]]`: independent figures to set predictions against, none of them a
    /// calibration target.
    pub validation: Vec<Comparison>,
    /// `[decision]`: what averting each outcome is worth (0 when not given: cash only).
    pub values: Values,
    /// `[pilot]`: a local trial to value (EVSI and ENBS), when the scenario sets one.
    pub pilot: Option<Pilot>,
    /// `[age_at_return]`: children's ages at the return home, when given; each child's path
    /// then ends at its 18th birthday.
    pub age_at_return: Option<AgeAtReturn>,
    /// `[reentry] observed`: the authority's own observed share back in care by month, when
    /// the scenario was fitted to its data; shown beside the model, never fitted to.
    pub observed_reentry: Vec<ObservedPoint>,
    /// What validation accepted with a change (a spread too small to sample became a fixed
    /// value), each as "file: field path: what"; the application prints them.
    pub warnings: Vec<String>,
}

/// One point of an observed re-entry curve: the share back in care by `months` since the
/// return, with its 95% interval.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservedPoint {
    pub months: f64,
    pub share: f64,
    pub lo: f64,
    pub hi: f64,
}

/// The distribution of age at the return home, by whole year of age from 0 to 17. A child
/// drawn into year `y` is `y + u` years old for a uniform `u`, so its 18th birthday comes
/// `18 − y − u` years after the return; no re-entry happens from then on.
#[derive(Clone, Debug, PartialEq)]
pub struct AgeAtReturn {
    /// `cumulative[y]`: the share aged below `y + 1`; the last is exactly 1.
    pub cumulative: [f64; 18],
    pub source: Option<String>,
}

impl AgeAtReturn {
    /// The number of years of age there are shares for: 0 to 17.
    pub const YEARS: usize = 18;

    /// From shares that are each at least 0 and sum to 1 (within 0.001; they are scaled to
    /// sum to exactly 1).
    pub fn new(shares: &[f64], source: Option<String>) -> Result<AgeAtReturn, String> {
        if shares.len() != Self::YEARS {
            return Err(format!("give 18 shares, for ages 0 to 17, not {}", shares.len()));
        }
        if let Some((y, v)) = shares.iter().enumerate().find(|(_, v)| !(v.is_finite() && **v >= 0.0)) {
            return Err(format!("the share at age {y}, {v}, is not a share from 0 to 1"));
        }
        let total: f64 = shares.iter().sum();
        if (total - 1.0).abs() > 1e-3 {
            return Err(format!("the shares sum to {}, not 1", crate::dist::fmt_num(total)));
        }
        let mut cumulative = [0.0; 18];
        let mut acc = 0.0;
        for (y, v) in shares.iter().enumerate() {
            acc += v / total;
            cumulative[y] = acc;
        }
        cumulative[17] = 1.0;
        Ok(AgeAtReturn { cumulative, source })
    }

    /// Age in years at the return from two uniforms: the year of age by the first, the
    /// fraction of it by the second.
    pub fn age(&self, u_year: f64, u_fraction: f64) -> f64 {
        let y = self.cumulative.iter().position(|c| u_year < *c).unwrap_or(17);
        y as f64 + u_fraction
    }

    /// The share of children whose 18th birthday comes within `years` of their return home:
    /// the paths that end at 18 within a horizon of `years`.
    pub fn share_turning_18_within(&self, years: f64) -> f64 {
        (0..Self::YEARS)
            .map(|y| {
                let p = self.cumulative[y] - if y == 0 { 0.0 } else { self.cumulative[y - 1] };
                // Aged y + u, 18 within `years` when u > 18 − years − y.
                p * (1.0 - (18.0 - years - y as f64).clamp(0.0, 1.0))
            })
            .sum()
    }
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
        let what_if = raw.what_if.clone();
        let sc = Builder {
            file: file.to_string(),
            params: Vec::new(),
            scope: None,
            shared: BTreeMap::new(),
            warnings: Vec::new(),
        }
        .build(raw, &table)?;
        match what_if {
            Some(w) => sc.with_overrides(&w, file, "what_if."),
            None => Ok(sc),
        }
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

    /// The parameters that are prices: each strategy's support price and each cost line's
    /// amount, in the scenario's model and every authority's. They enter only the pricing of
    /// tallies ([`crate::price`]), never a child's path.
    pub fn price_params(&self) -> std::collections::BTreeSet<usize> {
        let models = std::iter::once(&self.model).chain(self.authorities.iter().filter_map(|a| a.model.as_ref()));
        let mut out = std::collections::BTreeSet::new();
        for m in models {
            out.extend(m.strategies.iter().map(|s| s.cost.0));
            out.extend(m.costs.iter().map(|c| c.amount.0));
        }
        out
    }

    /// The value a what-if key (as [`Scenario::with_overrides`] reads it) has in this
    /// scenario before any override: the point value of a parameter, a strategy's years or
    /// risk-score rule, an authority's children or the horizon. `None` for a key that names
    /// nothing here, or a strategy with no risk-score rule.
    pub fn current_value(&self, key: &str) -> Option<f64> {
        if key == "scenario.horizon_years" {
            return Some(self.meta.horizon_years);
        }
        if let Some((name, field)) = key.strip_prefix("strategy.").and_then(|k| k.rsplit_once('.')) {
            let st = self.model.strategies.iter().find(|s| s.name == name);
            match (field, st) {
                ("effect_years", Some(st)) => return Some(st.effect_years),
                ("support_years", Some(st)) => return Some(st.support_years),
                ("min_risk_score", Some(st)) => {
                    return match &st.eligibility {
                        Eligibility::Rule { min_risk_score, .. } => Some(min_risk_score.unwrap_or(0) as f64),
                        _ => None,
                    };
                }
                _ => {}
            }
        }
        if let Some(name) = key.strip_prefix("authority.").and_then(|k| k.strip_suffix(".children")) {
            return self.authorities.iter().find(|a| a.name == name).map(|a| a.children as f64);
        }
        self.params.iter().find(|p| p.key == key).map(|p| p.param.point)
    }

    /// The scenario with some values set: what-if overrides, from `reunify serve` or a
    /// scenario's own `[what_if]` table. Keys are parameter keys as `inputs.csv` writes them
    /// (`strategy.support-for-all.cost`), a strategy's `strategy.<name>.effect_years`,
    /// `.support_years` or `.min_risk_score` (its eligibility rule), `authority.<name>.children`
    /// or `scenario.horizon_years`. A parameter set here is a known value: it is fixed, with no
    /// PSA distribution. Each value is checked against its parameter's range, and errors name
    /// `file`, `at` followed by the key, and the reason, as validation does.
    pub fn with_overrides(
        &self,
        overrides: &BTreeMap<String, f64>,
        file: &str,
        at: &str,
    ) -> Result<Scenario, ScenarioError> {
        let mut out = self.clone();
        for (key, &v) in overrides {
            let err =
                |reason: String| ScenarioError::Invalid { file: file.to_string(), path: format!("{at}{key}"), reason };
            if !v.is_finite() {
                return Err(err(format!("{v} is not a number")));
            }
            if key == "scenario.horizon_years" {
                if out.budget.is_some() {
                    return Err(err(
                        "the scenario is in flow mode: its [budget] sets how long children are followed".into()
                    ));
                }
                if !(MIN_HORIZON_YEARS..=100.0).contains(&v) {
                    return Err(err(format!(
                        "{} is not a horizon from one day ({MIN_HORIZON_YEARS:.5} years) to 100 years",
                        crate::dist::fmt_num(v)
                    )));
                }
                out.meta.horizon_years = v;
            } else if let Some((name, field)) = key
                .strip_prefix("strategy.")
                .and_then(|k| k.rsplit_once('.'))
                .filter(|(_, f)| matches!(*f, "effect_years" | "support_years" | "min_risk_score"))
            {
                // A strategy's own numbers, in the top-level model and every authority's.
                if !out.model.strategies.iter().any(|s| s.name == name) {
                    return Err(err(format!("the scenario has no strategy {name:?}")));
                }
                let risk_factors = out.model.risk_factors.len();
                let models =
                    std::iter::once(&mut out.model).chain(out.authorities.iter_mut().filter_map(|a| a.model.as_mut()));
                for m in models {
                    let st =
                        m.strategies.iter_mut().find(|s| s.name == name).expect("every model has the same strategies");
                    match field {
                        "min_risk_score" => {
                            let Eligibility::Rule { min_risk_score, .. } = &mut st.eligibility else {
                                return Err(err(format!(
                                    "{name} is offered to {}: it has no risk-score rule to change",
                                    if st.eligibility == Eligibility::None { "no one" } else { "every child" }
                                )));
                            };
                            if v.fract() != 0.0 || !(0.0..=risk_factors as f64).contains(&v) {
                                return Err(err(format!(
                                    "{} is not a whole number of risk factors from 0 to {risk_factors}",
                                    crate::dist::fmt_num(v)
                                )));
                            }
                            *min_risk_score = Some(v as u32);
                        }
                        _ => {
                            if v < 0.0 {
                                return Err(err(format!(
                                    "{} is not a non-negative number of years",
                                    crate::dist::fmt_num(v)
                                )));
                            }
                            if field == "effect_years" {
                                st.effect_years = v;
                            } else {
                                st.support_years = v;
                            }
                        }
                    }
                }
            } else if let Some(name) = key.strip_prefix("authority.").and_then(|k| k.strip_suffix(".children")) {
                let Some(a) = out.authorities.iter_mut().find(|a| a.name == name) else {
                    return Err(err(format!("the scenario has no authority {name:?}")));
                };
                if v.fract() != 0.0 || !(1.0..MAX_COHORT_CHILDREN as f64).contains(&v) {
                    return Err(err(format!(
                        "{} is not a whole number of children from 1 to below 2^40",
                        crate::dist::fmt_num(v)
                    )));
                }
                a.children = v as u64;
            } else {
                let Some(p) = out.params.iter_mut().find(|p| &p.key == key) else {
                    let keys: Vec<&str> = self.params.iter().map(|p| p.key.as_str()).collect();
                    let hint =
                        suggest::suggest(key, &keys).map(|s| format!("; did you mean {s:?}?")).unwrap_or_default();
                    return Err(err(format!("is not a parameter of the scenario{hint}")));
                };
                if !p.domain.contains(v) {
                    return Err(err(format!("{} is not {}", crate::dist::fmt_num(v), p.domain.describe())));
                }
                p.param = Param::fixed(v);
            }
        }
        // The rules that tie values together hold after the overrides as they did before.
        let joint = |path: String, reason: String| ScenarioError::Invalid { file: file.to_string(), path, reason };
        if let Some(b) = &out.budget {
            for a in &out.authorities {
                if let Some(reason) = b.last_cohort_problem(a) {
                    return Err(joint(format!("{at}authority.{}.children", a.name), reason));
                }
            }
        }
        let values = out.point_values();
        let models = std::iter::once(&out.model).chain(out.authorities.iter().filter_map(|a| a.model.as_ref()));
        for m in models {
            for spec in std::iter::once(&m.reentry).chain(&m.maltreatment) {
                if let Baseline::Calibrate(targets) = &spec.baseline
                    && let Some((i, reason)) = targets_problem(targets, &values)
                {
                    return Err(joint(format!("{at}{}", out.params[targets[i].share.0].key), reason));
                }
            }
        }
        Ok(out)
    }
}
