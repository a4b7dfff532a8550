//! Validation: raw TOML structs into the typed [`Scenario`]. Every numeric input is
//! registered once in the flat parameter table, checked against its [`Domain`] (the point
//! value and the distribution's whole support); names, counts, horizons and budgets are
//! checked here, and every error names the file, the field path (with the authority's name)
//! and the reason. Nothing after this re-checks a value.

use std::collections::BTreeMap;

use super::merge::merge_model;
use super::param::{param_label, parse_param};
use super::raw::*;
use super::suggest::{suggest, with_suggestion};
use super::*;

/// An authority being validated: its label for error paths and its name.
pub(super) struct Scope {
    label: String,
    name: String,
}

pub(super) struct Builder {
    pub(super) file: String,
    pub(super) params: Vec<ParamDef>,
    /// Set while an authority's overrides are validated.
    pub(super) scope: Option<Scope>,
    /// The top level's parameters by key, with the TOML they were written as, so that an
    /// authority's model shares every parameter it does not change.
    pub(super) shared: BTreeMap<String, (Option<toml::Value>, ParamId)>,
    /// Inputs accepted with a change the user should know of, as "file: path: what".
    pub(super) warnings: Vec<String>,
}

impl Builder {
    /// A `label` for people: the one given (1 to 80 characters, no control or invisible
    /// characters), else one made from the name ([`super::label_from_name`]).
    fn label(&self, path: &str, given: Option<&String>, name: &str) -> Result<String, ScenarioError> {
        match given {
            None => Ok(super::label_from_name(name)),
            Some(s)
                if !s.trim().is_empty()
                    && !s.chars().any(|c| c.is_control() || super::invisible(c))
                    && s.chars().count() <= 80 =>
            {
                Ok(s.trim().to_string())
            }
            Some(_) => Err(self.err(
                format!("{path}.label"),
                "must be text of 1 to 80 characters without control or invisible characters",
            )),
        }
    }

    fn err(&self, path: impl Into<String>, reason: impl Into<String>) -> ScenarioError {
        let path = path.into();
        let path = match &self.scope {
            Some(s) => format!("{}.{path}", s.label),
            None => path,
        };
        ScenarioError::Invalid { file: self.file.clone(), path, reason: reason.into() }
    }

    /// A name that reaches folders, tables and spreadsheets ([`name_problem`]).
    fn check_name(&self, path: &str, name: &str) -> Result<(), ScenarioError> {
        match name_problem(name) {
            Some(reason) => Err(self.err(path, format!("{name:?} {reason}"))),
            None => Ok(()),
        }
    }

    /// Checks the name of item `i` of a `[[list]]` (the rules, and no repeat of an earlier
    /// item's), and returns the path that errors about its other keys use, which names it:
    /// `strategy[1] ("targeted")`.
    fn list_item<'n>(
        &self,
        list: &str,
        i: usize,
        name: &str,
        mut earlier: impl Iterator<Item = &'n str>,
    ) -> Result<String, ScenarioError> {
        let p = format!("{list}[{i}]");
        self.check_name(&format!("{p}.name"), name)?;
        if let Some(other) = earlier.find(|o| super::name_key(o) == super::name_key(name)) {
            return Err(self.err(format!("{p}.name"), repeats(name, other, &format!("an earlier [[{list}]]"))));
        }
        Ok(format!("{p} ({name:?})"))
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
        let own = match value {
            Some(v) => param_label(v).map_err(|r| self.err(format!("{path}.label"), r))?,
            None => None,
        };
        let label = match (own, &authority) {
            (Some(l), Some(a)) => format!("{a}: {l}"),
            (Some(l), None) => l,
            (None, _) => label::default_label(&key),
        };
        self.params.push(ParamDef { key, label, param, domain, source: source.cloned(), authority });
        Ok(ParamId(self.params.len() - 1))
    }

    pub(super) fn build(mut self, mut raw: RawScenario, table: &toml::Table) -> Result<Scenario, ScenarioError> {
        // Every text must fit a workbook cell, which the run writes at its very end.
        if let Some((path, n)) = longest_text(table, String::new()).filter(|(_, n)| *n > MAX_TEXT) {
            return Err(
                self.err(path, format!("is {n} characters; a text may hold at most {MAX_TEXT} (one workbook cell)"))
            );
        }
        let m = raw.scenario;
        for (field, text) in [("scenario.title", &m.title), ("scenario.description", &m.description)] {
            if text.as_deref().is_some_and(|t| t.chars().any(|c| (c.is_control() && c != '\n') || invisible(c))) {
                return Err(self.err(
                    field,
                    "must not contain control or invisible characters (escape sequences would reach the terminal)",
                ));
            }
        }
        if let Some(reason) = super::scenario_name_problem(&m.name) {
            return Err(self.err("scenario.name", format!("{:?} {reason}", m.name)));
        }
        let horizon_years = m.horizon_years.unwrap_or(5.0);
        if !(horizon_years.is_finite() && (MIN_HORIZON_YEARS..=100.0).contains(&horizon_years)) {
            return Err(self.err(
                "scenario.horizon_years",
                format!("{horizon_years} is not a horizon from one day ({MIN_HORIZON_YEARS:.5} years) to 100 years"),
            ));
        }
        let iterations = m.iterations.unwrap_or(1000);
        if !(1..=MAX_ITERATIONS).contains(&iterations) {
            return Err(self.err(
                "scenario.iterations",
                format!("{iterations} is not a number of PSA iterations from 1 to {MAX_ITERATIONS}"),
            ));
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
        // Bounds on what a scenario may ask for, checked before anything is built from it:
        // memory and time grow with each (10^5 authorities took 4.8 GB).
        for (list, n, max) in [
            ("authority", raw.authority.len(), super::MAX_AUTHORITIES),
            ("strategy", raw.strategy.len(), super::MAX_STRATEGIES),
            ("cost", raw.cost.len(), super::MAX_COST_LINES),
        ] {
            if n > max {
                return Err(self.err(list, format!("{n} [[{list}]] entries; a scenario may have at most {max}")));
            }
        }
        let mut seen = BTreeMap::new();
        for (i, a) in raw.authority.iter().enumerate() {
            let path = format!("authority[{i}].name");
            self.check_name(&path, &a.name)?;
            if let Some(reason) = super::authority_name_problem(&a.name) {
                return Err(self.err(path, reason));
            }
            if let Some((j, other)) = seen.insert(super::name_key(&a.name), (i, a.name.clone())) {
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
        let observed_reentry = self.observed(raw.reentry.observed.take().unwrap_or_default())?;
        if raw.maltreatment.as_ref().is_some_and(|m| m.observed.is_some()) {
            return Err(self.err("maltreatment.observed", "only [reentry] takes an observed curve"));
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
                    if let Some(reason) = budget.last_cohort_problem(a) {
                        return Err(self.err("budget.growth_per_year", reason));
                    }
                }
                Some(budget)
            }
        };
        let validation = self.comparisons(&raw.validation, &model, &authorities)?;
        let values = match &raw.decision {
            None => Values::default(),
            Some(d) => Values {
                breakdown: self.value(
                    "decision.value_per_breakdown_averted",
                    d.value_per_breakdown_averted.as_ref(),
                    200_000.0,
                )?,
                maltreatment_event: self.value(
                    "decision.value_per_maltreatment_event_averted",
                    d.value_per_maltreatment_event_averted.as_ref(),
                    0.0,
                )?,
                care_year: self.value(
                    "decision.value_per_care_year_averted",
                    d.value_per_care_year_averted.as_ref(),
                    0.0,
                )?,
                source: d.source.clone(),
            },
        };
        let pilot = match &raw.pilot {
            None => None,
            Some(p) => Some(self.pilot(p, &model, values.pilot_value())?),
        };
        let age_at_return = match &raw.age_at_return {
            None => None,
            Some(a) => Some(
                AgeAtReturn::new(&a.shares_by_year_of_age, a.source.clone())
                    .map_err(|why| self.err("age_at_return.shares_by_year_of_age", why))?,
            ),
        };
        // Default parameter labels name strategies, risk factors and cost lines by the labels
        // the scenario gives them, which are known only now.
        let label_of = |section: &str, name: &str| -> Option<String> {
            match section {
                "strategy" => model.strategies.iter().find(|s| s.name == name).map(|s| s.label.clone()),
                "risk_factor" => model.risk_factors.iter().find(|r| r.name == name).map(|r| r.label.clone()),
                "cost" => model.costs.iter().find(|c| c.name == name).map(|c| c.label.clone()),
                _ => None,
            }
        };
        for def in &mut self.params {
            if def.label == label::default_label(&def.key) {
                def.label = label::default_label_in(&def.key, &label_of);
            }
        }
        Ok(Scenario {
            age_at_return,
            observed_reentry,
            budget,
            meta,
            params: self.params,
            discount_rate,
            authorities,
            model,
            validation,
            values,
            pilot,
            warnings: self.warnings,
        })
    }

    /// `[pilot]`: the trial's strategy, arms, follow-up, sizes, costs and value. The value per
    /// breakdown averted is the pilot's own, else `[decision]`'s when that is one number, else
    /// left to the run (where the choice is most uncertain).
    fn pilot(&self, p: &RawPilot, model: &Model, decision_value: Option<f64>) -> Result<Pilot, ScenarioError> {
        if model.strategies.len() < 2 {
            return Err(self.err("pilot", "a pilot needs a strategy besides the comparator to trial"));
        }
        let names: Vec<&str> = model.strategies.iter().map(|s| s.name.as_str()).collect();
        let field = |path: &'static str| move |reason: String| self.err(path, reason);
        let mut out = Pilot::defaults(decision_value);
        if let Some(name) = &p.strategy {
            out.strategy = Some(Pilot::strategy_named(name, &names).map_err(field("pilot.strategy"))?);
        }
        if let Some(a) = p.arms {
            Pilot::check_arms(a).map_err(field("pilot.arms"))?;
        }
        if let Some(f) = p.follow_up_years {
            out.follow_up_years = Pilot::check_follow_up(f).map_err(field("pilot.follow_up_years"))?;
        }
        if let Some(v) = &p.sizes {
            out.sizes = Pilot::check_sizes(v).map_err(field("pilot.sizes"))?;
        }
        if let Some(x) = p.fixed_cost {
            out.fixed_cost = Pilot::check_money(x).map_err(field("pilot.fixed_cost"))?;
        }
        if let Some(x) = p.cost_per_family {
            out.cost_per_family = Pilot::check_money(x).map_err(field("pilot.cost_per_family"))?;
        }
        if let Some(x) = p.value_per_breakdown_averted {
            out.value_per_breakdown_averted =
                Some(Pilot::check_money(x).map_err(field("pilot.value_per_breakdown_averted"))?);
        }
        out.source = p.source.clone();
        Ok(out)
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
            let p = self.list_item("risk_factor", i, &r.name, rf_names.iter().map(String::as_str))?;
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
            let label = self.label(&p, r.label.as_ref(), &r.name)?;
            risk_factors.push(RiskFactor { name: r.name.clone(), label, prevalence, hr_reentry, hr_maltreatment });
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
            let p = self.list_item("cost", i, &c.name, cost_names.iter().map(String::as_str))?;
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
            let label = self.label(&p, c.label.as_ref(), &c.name)?;
            costs.push(CostLine { name: c.name.clone(), label, amount, basis });
        }

        if raw.strategy.is_empty() {
            return Err(self.err("strategy", "at least one [[strategy]] is required (the first is the comparator)"));
        }
        let mut strategies: Vec<Strategy> = Vec::new();
        for (i, s) in raw.strategy.iter().enumerate() {
            if s.name.trim().is_empty() || s.name.contains(',') {
                return Err(self.err(format!("strategy[{i}].name"), "must be non-empty and contain no commas"));
            }
            let p = self.list_item("strategy", i, &s.name, strategies.iter().map(|o| o.name.as_str()))?;
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
                label: self.label(&p, s.label.as_ref(), &s.name)?,
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

    /// A `[decision]` value: a number of pounds (its curve runs from 0 to `top` or to twice
    /// the value, whichever is larger), or `[low, high]` (the point is `low`).
    fn value(&self, path: &str, v: Option<&toml::Value>, top: f64) -> Result<Value, ScenarioError> {
        let num = |x: &toml::Value| x.as_float().or_else(|| x.as_integer().map(|i| i as f64));
        let ok = |x: f64| x.is_finite() && (0.0..=1e9).contains(&x);
        match v {
            None => Ok(Value { point: 0.0, low: 0.0, high: top, given: false }),
            Some(toml::Value::Array(a)) => match a.as_slice() {
                [lo, hi] => match (num(lo), num(hi)) {
                    (Some(lo), Some(hi)) if ok(lo) && ok(hi) && lo < hi => {
                        Ok(Value { point: lo, low: lo, high: hi, given: false })
                    }
                    _ => Err(self.err(path, "a range is [low, high] in pounds, from £0 to £1bn, low below high")),
                },
                _ => Err(self.err(path, "a range is two numbers, [low, high]")),
            },
            Some(x) => match num(x) {
                Some(p) if ok(p) => Ok(Value { point: p, low: 0.0, high: top.max(2.0 * p), given: true }),
                _ => Err(self.err(path, format!("{x} is not an amount from £0 to £1bn"))),
            },
        }
    }

    /// `[[validation]]`: checks each figure and refuses one that a re-entry hazard of the
    /// scenario (its own or an authority's) is calibrated to, at the same time and to the same
    /// value within the figure's rounding: a prediction that was a target validates nothing.
    fn comparisons(
        &self,
        raw: &[RawComparison],
        model: &Model,
        authorities: &[Authority],
    ) -> Result<Vec<Comparison>, ScenarioError> {
        let mut out = Vec::new();
        for (i, c) in raw.iter().enumerate() {
            let p = format!("validation[{i}] ({:?})", c.figure);
            for (field, text) in [
                ("figure", &c.figure),
                ("published", &c.published),
                ("source", &c.source),
                ("population", &c.population),
                ("period", &c.period),
                ("definition", &c.definition),
            ] {
                if text.trim().is_empty() {
                    return Err(self.err(format!("{p}.{field}"), "must not be empty"));
                }
            }
            if !(c.share > 0.0 && c.share < 1.0) {
                return Err(
                    self.err(format!("{p}.share"), format!("{} is not a share strictly between 0 and 1", c.share))
                );
            }
            let rounding = c.rounding.unwrap_or(0.0);
            if !(rounding.is_finite() && (0.0..0.5).contains(&rounding)) {
                return Err(
                    self.err(format!("{p}.rounding"), format!("{rounding} is not half a rounding unit from 0 to 0.5"))
                );
            }
            let months = c.years * 12.0;
            if !(c.years > 0.0 && c.years <= 100.0 && (months - months.round()).abs() < 1e-9) {
                return Err(self.err(
                    format!("{p}.years"),
                    format!(
                        "{} is not a whole number of months from 1 month to 100 years: the re-entry curve is read by month",
                        c.years
                    ),
                ));
            }
            let models = std::iter::once(("", model))
                .chain(authorities.iter().filter_map(|a| a.model.as_ref().map(|m| (a.name.as_str(), m))));
            for (owner, m) in models {
                let whose = if owner.is_empty() { String::new() } else { format!("authority {owner:?}'s ") };
                let targets: Vec<(String, &Target)> = match &m.reentry.baseline {
                    Baseline::Calibrate(ts) => {
                        ts.iter().enumerate().map(|(k, t)| (format!("{whose}reentry.calibrate_to[{k}]"), t)).collect()
                    }
                    Baseline::Rates(_) => Vec::new(),
                };
                let scale = m.reentry.scale_to.iter().map(|t| (format!("{whose}reentry.calibrate_scale_to"), t));
                for (at, t) in targets.into_iter().chain(scale) {
                    let v = self.params[t.share.0].param.point;
                    if (t.years - c.years).abs() < 1e-9 && (v - c.share).abs() <= rounding + 1e-9 {
                        return Err(self.err(
                            p.clone(),
                            format!(
                                "{} at {} years is a calibration target of this scenario ({at} = {}): an external validation must be a figure the model was not calibrated to",
                                c.published,
                                crate::dist::fmt_num(c.years),
                                crate::dist::fmt_num(v)
                            ),
                        ));
                    }
                }
            }
            out.push(Comparison {
                figure: c.figure.clone(),
                published: c.published.clone(),
                share: c.share,
                rounding,
                years: c.years,
                source: c.source.clone(),
                population: c.population.clone(),
                period: c.period.clone(),
                definition: c.definition.clone(),
            });
        }
        Ok(out)
    }

    /// A calibration target's share gets a label in words ("Baseline: share back in care
    /// within 5 years"), unless the scenario gave it one.
    fn label_target(&mut self, share: ParamId, section: &str, kind: &str, years: f64) {
        let what = if section == "reentry" { "back in care" } else { "maltreated" };
        let def = &mut self.params[share.0];
        if def.label == label::default_label(&def.key) {
            let owner = def.authority.as_ref().map(|a| format!("{a}: ")).unwrap_or_default();
            def.label = format!(
                "{owner}{kind}: share {what} within {} year{}",
                crate::dist::fmt_num(years),
                if years == 1.0 { "" } else { "s" }
            );
        }
    }

    /// `[reentry] observed`: months from 0 increasing, each share within its interval in [0, 1].
    fn observed(&self, points: Vec<ObservedPoint>) -> Result<Vec<ObservedPoint>, ScenarioError> {
        for (i, p) in points.iter().enumerate() {
            let ok = p.months.is_finite()
                && p.months >= 0.0
                && (0.0..=1.0).contains(&p.lo)
                && (0.0..=1.0).contains(&p.hi)
                && p.lo <= p.share
                && p.share <= p.hi;
            if !ok {
                return Err(self.err(
                    format!("reentry.observed[{i}]"),
                    "needs months from 0 and lo ≤ share ≤ hi, each a share from 0 to 1",
                ));
            }
            if i > 0 && p.months <= points[i - 1].months {
                return Err(self.err(format!("reentry.observed[{i}].months"), "must increase on the point before"));
            }
        }
        Ok(points)
    }

    fn hazard(&mut self, section: &str, h: &RawHazard) -> Result<HazardSpec, ScenarioError> {
        if h.observed.is_some() {
            return Err(self.err(format!("{section}.observed"), "only the top-level [reentry] takes an observed curve"));
        }
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
                    self.label_target(share, section, "Baseline", t.years);
                    out.push(Target { years: t.years, share });
                    let values: Vec<f64> = self.params.iter().map(|p| p.param.point).collect();
                    if let Some((_, reason)) = super::targets_problem(&out, &values) {
                        return Err(self.err(format!("{p}.share"), reason));
                    }
                }
                Baseline::Calibrate(out)
            }
        };
        let scale_to = match &h.calibrate_scale_to {
            None => None,
            Some(t) => {
                let p = format!("{section}.calibrate_scale_to");
                if !(t.years.is_finite() && t.years > 0.0) {
                    return Err(
                        self.err(format!("{p}.years"), format!("{} is not a time after the return home", t.years))
                    );
                }
                let share = self.param(
                    &format!("{p}.share"),
                    format!("{section}.scale_target.share"),
                    Some(&t.share),
                    0.0,
                    Domain::Share,
                    t.source.as_ref().or(src),
                )?;
                self.label_target(share, section, "Baseline scaled to", t.years);
                Some(Target { years: t.years, share })
            }
        };
        Ok(HazardSpec { knots, baseline, scale_to, source: h.source.clone() })
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

/// "\"b\" repeats authority[0]" or, when they differ in case or spacing, says so.
fn repeats(name: &str, other: &str, earlier: &str) -> String {
    if name == other {
        format!("\"{name}\" is listed twice (as {earlier})")
    } else {
        format!("\"{name}\" is the same name as {earlier} (\"{other}\") but for case or spacing")
    }
}

/// The longest text value in a TOML value, with its path and length in characters.
fn longest_text(v: &toml::Table, at: String) -> Option<(String, usize)> {
    fn walk(v: &toml::Value, at: String, best: &mut Option<(String, usize)>) {
        match v {
            toml::Value::String(s) => {
                let n = s.chars().count();
                if best.as_ref().is_none_or(|b| n > b.1) {
                    *best = Some((at, n));
                }
            }
            toml::Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    walk(x, format!("{at}[{i}]"), best);
                }
            }
            toml::Value::Table(t) => {
                for (k, x) in t {
                    walk(x, if at.is_empty() { k.clone() } else { format!("{at}.{k}") }, best);
                }
            }
            _ => {}
        }
    }
    let mut best = None;
    for (k, x) in v {
        walk(x, if at.is_empty() { k.clone() } else { format!("{at}.{k}") }, &mut best);
    }
    best
}
