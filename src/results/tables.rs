//! Every output table as one row type, with its [`Table`] schema.
//!
//! Summary tables (`summary`, `reentry_curve`, `tornado`, `acceptability`, `evppi`,
//! `authorities`, `budget_summary`, `inputs`) are always CSV. The per-iteration tables
//! (`iterations`, `parameters`, `budget`) are Parquet, with CSV twins on `--csv`. Every
//! per-iteration table marks the base case apart with `case = base` (its `iteration` is 0) from
//! the PSA draws (`case = psa`, iterations 1 to N). The total over authorities is called
//! `all` wherever it appears.

use std::sync::Arc;

use anyhow::{Result, anyhow};

use crate::analysis::{CurvePoint, Kind as RowKind, Stat, SummaryRow};
use crate::budget::BudgetStat;
use crate::decision::{AcceptPoint, TornadoRow, TwoWayPoint};
use crate::metric::{Decisions, Levels, Metric, N_LEVELS, Unit};
use crate::pilot::EvsiRow;
use crate::validation::ValidationRow;
use crate::voi::VoiRow;
use crate::wtp::{FrontierRow, VoiAtWtp, WtpPoint};

use super::table::{Cell, Col, Row, Table, penny};

/// `base` for the base case (iteration 0), `psa` for a PSA draw.
pub fn case(iteration: u32) -> &'static str {
    if iteration == 0 { "base" } else { "psa" }
}

fn case_col() -> Col {
    Col::key("case", "`base`: the base case, every input at its point value (iteration 0); `psa`: a probabilistic draw")
}

fn iteration_col() -> Col {
    Col::count("iteration", "", "0 for the base case; 1 to N for the PSA draws")
}

fn stat_cols(unit_meaning: &str) -> Vec<Col> {
    vec![
        Col::number("base", "as `unit`", &format!("base case (every input at its point value){unit_meaning}")),
        Col::number("mean", "as `unit`", "mean over the PSA draws (the headline figure when there was a PSA)"),
        Col::number("q025", "as `unit`", "2.5% quantile over the PSA draws"),
        Col::number("q975", "as `unit`", "97.5% quantile over the PSA draws"),
        Col::number("mcse", "as `unit`", "Monte Carlo standard error of the mean, sd/√n"),
    ]
}

/// Stat cells, money rounded to the penny.
fn stat_cells(s: &Stat, pounds: bool, out: &mut Vec<Cell<'_>>) {
    let f = |v: Option<f64>| Cell::Float(v.filter(|x| x.is_finite()).map(|x| if pounds { penny(x) } else { x }));
    out.extend([f(s.base), f(s.mean), f(s.q025), f(s.q975), f(s.mcse)]);
}

fn stat_from(row: &Row, first: usize) -> Result<Stat> {
    Ok(Stat {
        base: row.float(first)?,
        mean: row.float(first + 1)?,
        q025: row.float(first + 2)?,
        q975: row.float(first + 3)?,
        mcse: row.float(first + 4)?,
    })
}

fn unit_name(u: Unit) -> &'static str {
    match u {
        Unit::Children => "children",
        Unit::Events => "events",
        Unit::Share => "share",
        Unit::Years => "years",
        Unit::Pounds => "pounds",
        Unit::Ratio => "ratio",
        Unit::Indicator => "probability",
    }
}

impl Table for SummaryRow {
    const NAME: &'static str = "summary";
    const ROW: &'static str =
        "one metric of one strategy, for all authorities together (`authority = all`) and for each authority";
    fn columns() -> Vec<Col> {
        let mut c = vec![
            Col::key("strategy", "strategy name; the first is the comparator"),
            Col::key("authority", "authority name, or `all` for the total over authorities"),
            Col::key(
                "kind",
                "`level`: the strategy's own value; `increment`: strategy minus comparator, or a decision metric against the comparator",
            ),
            Col::key("metric", "metric name (see the list of metrics below)"),
            Col::key(
                "unit",
                "`children`, `events`, `share`, `years`, `pounds`, `ratio` or `probability` (the mean of `saves_money`)",
            ),
        ];
        c.extend(stat_cols("; pounds are rounded to the penny"));
        c
    }
    fn cells<'a>(&'a self, out: &mut Vec<Cell<'a>>) {
        out.extend([
            Cell::Text(&self.strategy),
            Cell::Text(&self.authority),
            Cell::Text(self.kind.name()),
            Cell::Text(self.metric.name()),
            Cell::Text(unit_name(self.metric.unit())),
        ]);
        stat_cells(&self.stat, self.metric.unit() == Unit::Pounds, out);
    }
    fn from_row(row: &Row) -> Result<Self> {
        let kind = match row.text(2)?.as_str() {
            "level" => RowKind::Level,
            "increment" => RowKind::Increment,
            k => return Err(anyhow!("unknown kind `{k}`")),
        };
        let name = row.text(3)?;
        Ok(SummaryRow {
            strategy: row.text(0)?,
            authority: row.text(1)?,
            kind,
            metric: Metric::from_name(&name).ok_or_else(|| anyhow!("unknown metric `{name}`"))?,
            stat: stat_from(row, 5)?,
        })
    }
}

/// One row of `iterations`: every metric of one strategy in one authority and iteration.
#[derive(Clone, Debug, PartialEq)]
pub struct IterationRow {
    pub iteration: u32,
    /// Shared names: a table of a million rows clones them, and `Arc` clones cost no
    /// allocation.
    pub strategy: Arc<str>,
    pub authority: Arc<str>,
    pub levels: Levels,
    /// Against the comparator; `None` for the comparator itself.
    pub decisions: Option<Decisions>,
}

impl Table for IterationRow {
    const NAME: &'static str = "iterations";
    const ROW: &'static str = "one strategy in one iteration (the base case or a PSA draw), for the total over authorities (`authority = all`) or, with one authority or `--by-authority`, for each authority; the sampled inputs of each iteration are in `parameters`";
    fn columns() -> Vec<Col> {
        let mut c = vec![
            iteration_col(),
            case_col(),
            Col::key("strategy", "strategy name; the first is the comparator"),
            Col::key("authority", "authority name"),
        ];
        c.extend(Metric::ALL.into_iter().map(|m| {
            let mut col = Col::metric(m);
            if m.is_decision() {
                col.meaning.push_str(" (empty for the comparator)");
            }
            col
        }));
        c
    }
    fn cells<'a>(&'a self, out: &mut Vec<Cell<'a>>) {
        out.extend([
            Cell::Int(Some(self.iteration.into())),
            Cell::Text(case(self.iteration)),
            Cell::Text(&self.strategy),
            Cell::Text(&self.authority),
        ]);
        let cell = |m: Metric, v: f64| if m.unit().is_count() { Cell::whole(v) } else { Cell::num(v) };
        out.extend(self.levels.iter().map(|(m, v)| cell(m, v)));
        match &self.decisions {
            Some(d) => out.extend(d.iter().map(|(m, v)| cell(m, v))),
            None => out.extend(
                Metric::DECISIONS.iter().map(|m| if m.unit().is_count() { Cell::Int(None) } else { Cell::Float(None) }),
            ),
        }
    }
    fn from_row(row: &Row) -> Result<Self> {
        let mut levels = Levels::default();
        for (i, m) in Metric::LEVELS.into_iter().enumerate() {
            levels[m] = row.f64(4 + i)?;
        }
        let mut d = [f64::NAN; 6];
        let mut any = false;
        for (i, v) in d.iter_mut().enumerate() {
            if let Some(x) = row.float(4 + N_LEVELS + i)? {
                *v = x;
                any = true;
            }
        }
        Ok(IterationRow {
            iteration: row.int(0)?.unwrap_or(0) as u32,
            strategy: row.text(2)?.into(),
            authority: row.text(3)?.into(),
            levels,
            decisions: any.then_some(Decisions(d)),
        })
    }
}

/// One row of `parameters`: one sampled input in one iteration (long format).
#[derive(Clone, Debug, PartialEq)]
pub struct ParameterRow {
    pub iteration: u32,
    pub parameter: String,
    pub value: f64,
}

impl Table for ParameterRow {
    const NAME: &'static str = "parameters";
    const ROW: &'static str = "one input's value in one iteration: the point value in the base case, a draw in the PSA (labels, distributions and sources are in `inputs.csv`)";
    fn columns() -> Vec<Col> {
        vec![
            iteration_col(),
            case_col(),
            Col::key("parameter", "parameter key, as in `inputs.csv`, `tornado.csv` and `evppi.csv`"),
            Col::number("value", "the parameter's own (see `inputs.csv`)", "the value used in this iteration"),
        ]
    }
    fn cells<'a>(&'a self, out: &mut Vec<Cell<'a>>) {
        out.extend([
            Cell::Int(Some(self.iteration.into())),
            Cell::Text(case(self.iteration)),
            Cell::Text(&self.parameter),
            Cell::num(self.value),
        ]);
    }
    fn from_row(row: &Row) -> Result<Self> {
        Ok(ParameterRow { iteration: row.int(0)?.unwrap_or(0) as u32, parameter: row.text(2)?, value: row.f64(3)? })
    }
}

impl Table for CurvePoint {
    const NAME: &'static str = "reentry_curve";
    const ROW: &'static str = "one strategy at one month since the return home, all authorities together";
    fn columns() -> Vec<Col> {
        vec![
            Col::key("strategy", "strategy name"),
            Col::count("month", "months", "months since the return home"),
            Col::share("base", "share of children with a first re-entry by this month, base case"),
            Col::share("mean", "the same, mean over the PSA draws"),
            Col::share("q025", "2.5% quantile over the PSA draws"),
            Col::share("q975", "97.5% quantile over the PSA draws"),
        ]
    }
    fn cells<'a>(&'a self, out: &mut Vec<Cell<'a>>) {
        out.extend([
            Cell::Text(&self.strategy),
            Cell::Int(Some(self.month as i64)),
            Cell::num(self.base),
            Cell::Float(self.mean),
            Cell::Float(self.q025),
            Cell::Float(self.q975),
        ]);
    }
    fn from_row(row: &Row) -> Result<Self> {
        Ok(CurvePoint {
            strategy: row.text(0)?,
            month: row.int(1)?.unwrap_or(0) as usize,
            base: row.f64(2)?,
            mean: row.float(3)?,
            q025: row.float(4)?,
            q975: row.float(5)?,
        })
    }
}

impl Table for TornadoRow {
    const NAME: &'static str = "tornado";
    const ROW: &'static str = "one uncertain input of one strategy, moved alone from its 2.5% to its 97.5% quantile (base case, same simulated children); rows ranked by swing";
    fn columns() -> Vec<Col> {
        vec![
            Col::key("strategy", "strategy name"),
            Col::key("parameter", "parameter key, as in `inputs.csv`"),
            Col::text("label", "the parameter in words"),
            Col::number("low_value", "the parameter's own", "its 2.5% quantile"),
            Col::number("high_value", "the parameter's own", "its 97.5% quantile"),
            Col::pounds("low_net_saving", "net saving against the comparator with the input at its low value"),
            Col::pounds("high_net_saving", "net saving with the input at its high value"),
            Col::number("low_breakdowns_averted", "breakdowns", "breakdowns averted at the low value"),
            Col::number("high_breakdowns_averted", "breakdowns", "breakdowns averted at the high value"),
            Col::pounds("swing", "|high − low| of the net saving"),
            Col::pounds(
                "low_net_saving_mc_error",
                "Monte Carlo standard error of low_net_saving when a large cohort was re-simulated by a sample of its children (0: every child simulated)",
            ),
            Col::pounds("high_net_saving_mc_error", "the same, of high_net_saving"),
        ]
    }
    fn cells<'a>(&'a self, out: &mut Vec<Cell<'a>>) {
        out.extend([
            Cell::Text(&self.strategy),
            Cell::Text(&self.parameter),
            Cell::Text(&self.label),
            Cell::num(self.low_value),
            Cell::num(self.high_value),
            Cell::num(self.low_net_saving),
            Cell::num(self.high_net_saving),
            Cell::num(self.low_breakdowns_averted),
            Cell::num(self.high_breakdowns_averted),
            Cell::num(self.swing),
            Cell::num(self.low_net_saving_mc_error),
            Cell::num(self.high_net_saving_mc_error),
        ]);
    }
    fn from_row(row: &Row) -> Result<Self> {
        Ok(TornadoRow {
            strategy: row.text(0)?,
            parameter: row.text(1)?,
            label: row.text(2)?,
            low_value: row.f64(3)?,
            high_value: row.f64(4)?,
            low_net_saving: row.f64(5)?,
            high_net_saving: row.f64(6)?,
            low_breakdowns_averted: row.f64(7)?,
            high_breakdowns_averted: row.f64(8)?,
            swing: row.f64(9)?,
            low_net_saving_mc_error: row.f64(10)?,
            high_net_saving_mc_error: row.f64(11)?,
        })
    }
}

impl Table for AcceptPoint {
    const NAME: &'static str = "acceptability";
    const ROW: &'static str = "one strategy at one price of support, by re-pricing the PSA draws";
    fn columns() -> Vec<Col> {
        vec![
            Col::key("strategy", "strategy name"),
            Col::pounds("price", "price of support per child (or per child-year, as the strategy's `cost_basis`)"),
            Col::share("probability", "share of PSA draws in which the strategy costs less than the comparator"),
        ]
    }
    fn cells<'a>(&'a self, out: &mut Vec<Cell<'a>>) {
        out.extend([Cell::Text(&self.strategy), Cell::num(self.price), Cell::num(self.probability)]);
    }
    fn from_row(row: &Row) -> Result<Self> {
        Ok(AcceptPoint { strategy: row.text(0)?, price: row.f64(1)?, probability: row.f64(2)? })
    }
}

impl Table for TwoWayPoint {
    const NAME: &'static str = "two_way";
    const ROW: &'static str = "one strategy at one price of support and one re-entry hazard ratio (base case): what support must achieve, at what price";
    fn columns() -> Vec<Col> {
        vec![
            Col::key("strategy", "strategy name"),
            Col::number("hazard_ratio", "hazard ratio", "re-entry hazard ratio of supported families (1 = no effect)"),
            Col::pounds("price", "price of support per child"),
            Col::pounds("net_saving", "net saving against the comparator (discounted)"),
            Col::pounds(
                "mc_error",
                "Monte Carlo standard error of net_saving when a large cohort was re-simulated by a sample of its children (0: every child simulated)",
            ),
        ]
    }
    fn cells<'a>(&'a self, out: &mut Vec<Cell<'a>>) {
        out.extend([
            Cell::Text(&self.strategy),
            Cell::num(self.hazard_ratio),
            Cell::num(self.price),
            Cell::num(self.net_saving),
            Cell::num(self.mc_error),
        ]);
    }
    fn from_row(row: &Row) -> Result<Self> {
        Ok(TwoWayPoint {
            strategy: row.text(0)?,
            hazard_ratio: row.f64(1)?,
            price: row.f64(2)?,
            net_saving: row.f64(3)?,
            mc_error: row.f64(4)?,
        })
    }
}

impl Table for VoiRow {
    const NAME: &'static str = "evppi";
    const ROW: &'static str = "the expected value of perfect information about everything (`kind = all`, EVPI), one input (`parameter`) or a group of inputs (`group`)";
    fn columns() -> Vec<Col> {
        vec![
            Col::key("kind", "`all` (EVPI), `parameter` or `group`"),
            Col::key("name", "parameter key or group name"),
            Col::text("label", "the parameter or group in words"),
            Col::pounds("per_cohort", "value per cohort of the scenario's children"),
            Col::pounds("per_child", "value per child"),
            Col::pounds("population", "value over `--decision-years` cohorts"),
        ]
    }
    fn cells<'a>(&'a self, out: &mut Vec<Cell<'a>>) {
        out.extend([
            Cell::Text(&self.kind),
            Cell::Text(&self.name),
            Cell::Text(&self.label),
            Cell::num(self.per_cohort),
            Cell::num(self.per_child),
            Cell::num(self.population),
        ]);
    }
    fn from_row(row: &Row) -> Result<Self> {
        Ok(VoiRow {
            kind: row.text(0)?,
            name: row.text(1)?,
            label: row.text(2)?,
            per_cohort: row.f64(3)?,
            per_child: row.f64(4)?,
            population: row.f64(5)?,
        })
    }
}

/// One authority's result for one strategy, for `authorities.csv`, ranked within strategy.
#[derive(Clone, Debug, PartialEq)]
pub struct AuthorityRow {
    pub strategy: String,
    pub rank: u32,
    pub authority: String,
    pub children: u64,
    pub net_saving: f64,
    pub net_saving_q025: f64,
    pub net_saving_q975: f64,
    pub breakdowns_averted: f64,
}

impl AuthorityRow {
    pub fn per_child(&self, v: f64) -> f64 {
        v / (self.children.max(1) as f64)
    }
}

impl Table for AuthorityRow {
    const NAME: &'static str = "authorities";
    const ROW: &'static str = "one authority under one strategy against the comparator, ranked by net saving per child (best first); only with several authorities";
    fn columns() -> Vec<Col> {
        vec![
            Col::key("strategy", "strategy name"),
            Col::count("rank", "", "1 = the largest net saving per child"),
            Col::key("authority", "authority name"),
            Col::count("children", "children", "children returning home over the run"),
            Col::pounds("net_saving", "net saving (PSA mean; base case without a PSA)"),
            Col::pounds("net_saving_q025", "2.5% quantile"),
            Col::pounds("net_saving_q975", "97.5% quantile"),
            Col::pounds("net_saving_per_child", "net saving per child returning home"),
            Col::pounds("net_saving_per_child_q025", "2.5% quantile"),
            Col::pounds("net_saving_per_child_q975", "97.5% quantile"),
            Col::number("breakdowns_averted", "breakdowns", "breakdowns averted (mean)"),
        ]
    }
    fn cells<'a>(&'a self, out: &mut Vec<Cell<'a>>) {
        out.extend([
            Cell::Text(&self.strategy),
            Cell::Int(Some(self.rank.into())),
            Cell::Text(&self.authority),
            Cell::Int(Some(self.children as i64)),
            Cell::num(self.net_saving),
            Cell::num(self.net_saving_q025),
            Cell::num(self.net_saving_q975),
            Cell::num(self.per_child(self.net_saving)),
            Cell::num(self.per_child(self.net_saving_q025)),
            Cell::num(self.per_child(self.net_saving_q975)),
            Cell::num(self.breakdowns_averted),
        ]);
    }
    fn from_row(row: &Row) -> Result<Self> {
        Ok(AuthorityRow {
            strategy: row.text(0)?,
            rank: row.int(1)?.unwrap_or(0) as u32,
            authority: row.text(2)?,
            children: row.int(3)?.unwrap_or(0) as u64,
            net_saving: row.f64(4)?,
            net_saving_q025: row.f64(5)?,
            net_saving_q975: row.f64(6)?,
            breakdowns_averted: row.f64(10)?,
        })
    }
}

/// One row of `budget`: spend of one strategy in one authority, iteration and financial year.
#[derive(Clone, Debug, PartialEq)]
pub struct BudgetRow {
    pub iteration: u32,
    pub strategy: Arc<str>,
    pub authority: Arc<str>,
    pub financial_year: Arc<str>,
    pub breakdowns: f64,
    /// In [`crate::budget::FIGURES`] order.
    pub figures: [f64; 12],
}

fn figure_meaning(line: &str, basis: &str) -> String {
    let what = match line {
        "support" => "spend on support",
        "breakdown_care" => "spend on breakdowns and care after them",
        "other" => "other spend (maltreatment events)",
        "total" => "total spend",
        "net_saving" => "the comparator's total spend this year minus the strategy's",
        _ => "net saving summed from the first financial year to this one",
    };
    format!("{what}, {}", if basis == "cash" { "cash (undiscounted)" } else { "discounted to the first return home" })
}

impl Table for BudgetRow {
    const NAME: &'static str = "budget";
    const ROW: &'static str = "flow mode: one strategy, iteration and financial year, for the total over authorities (`all`) or, with one authority or `--by-authority`, for each authority";
    fn columns() -> Vec<Col> {
        let mut c = vec![
            iteration_col(),
            case_col(),
            Col::key("strategy", "strategy name"),
            Col::key("authority", "authority name"),
            Col::key("financial_year", "April to March, as `2025/26`"),
            Col::count("breakdowns", "events", "breakdowns in the year"),
        ];
        for (line, basis) in crate::budget::FIGURES {
            c.push(Col::pounds(&format!("{line}_{basis}"), &figure_meaning(line, basis)));
        }
        c
    }
    fn cells<'a>(&'a self, out: &mut Vec<Cell<'a>>) {
        out.extend([
            Cell::Int(Some(self.iteration.into())),
            Cell::Text(case(self.iteration)),
            Cell::Text(&self.strategy),
            Cell::Text(&self.authority),
            Cell::Text(&self.financial_year),
            Cell::whole(self.breakdowns),
        ]);
        out.extend(self.figures.iter().map(|v| Cell::num(*v)));
    }
    fn from_row(row: &Row) -> Result<Self> {
        let mut figures = [0.0; 12];
        for (i, f) in figures.iter_mut().enumerate() {
            *f = row.f64(6 + i)?;
        }
        Ok(BudgetRow {
            iteration: row.int(0)?.unwrap_or(0) as u32,
            strategy: row.text(2)?.into(),
            authority: row.text(3)?.into(),
            financial_year: row.text(4)?.into(),
            breakdowns: row.f64(5)?,
            figures,
        })
    }
}

impl Table for BudgetStat {
    const NAME: &'static str = "budget_summary";
    const ROW: &'static str =
        "flow mode: one spend line or net position of one strategy in one financial year, all authorities together";
    fn columns() -> Vec<Col> {
        let mut c = vec![
            Col::key("strategy", "strategy name"),
            Col::key("financial_year", "April to March, as `2025/26`"),
            Col::key(
                "line",
                "`support`, `breakdown_care`, `other`, `total`, `net_saving` (the year's comparator spend minus the strategy's) or `cumulative_net` (its running sum)",
            ),
            Col::key("basis", "`cash` (undiscounted) or `discounted`"),
        ];
        c.extend(stat_cols(", in £ rounded to the penny").into_iter().map(|mut col| {
            col.kind = super::table::Kind::Pounds;
            col.unit = "£";
            col
        }));
        c
    }
    fn cells<'a>(&'a self, out: &mut Vec<Cell<'a>>) {
        out.extend([
            Cell::Text(&self.strategy),
            Cell::Text(&self.financial_year),
            Cell::Text(&self.line),
            Cell::Text(&self.basis),
        ]);
        stat_cells(&self.stat, true, out);
    }
    fn from_row(row: &Row) -> Result<Self> {
        Ok(BudgetStat {
            strategy: row.text(0)?,
            financial_year: row.text(1)?,
            line: row.text(2)?,
            basis: row.text(3)?,
            stat: stat_from(row, 4)?,
        })
    }
}

impl Table for super::summary::InputRow {
    const NAME: &'static str = "inputs";
    const ROW: &'static str = "one scenario input: its point value, its distribution in the PSA and its source";
    fn columns() -> Vec<Col> {
        vec![
            Col::key("parameter", "parameter key"),
            Col::text("label", "the parameter in words"),
            Col::number("point", "the parameter's own", "point value (used in the base case)"),
            Col::text("distribution", "its distribution in the PSA (`fixed` when certain)"),
            Col::text("source", "where the value comes from, as the scenario cites it"),
            Col::text(
                "strategies",
                "the strategies whose support uses it, separated by `; ` (one draw drives them all)",
            ),
        ]
    }
    fn cells<'a>(&'a self, out: &mut Vec<Cell<'a>>) {
        out.extend([
            Cell::Text(&self.key),
            Cell::Text(&self.label),
            Cell::num(self.point),
            Cell::Text(&self.distribution),
            Cell::Text(self.source.as_deref().unwrap_or("")),
            Cell::Owned(self.strategies.join("; ")),
        ]);
    }
    fn from_row(row: &Row) -> Result<Self> {
        let strategies = row.text(5)?;
        Ok(super::summary::InputRow {
            key: row.text(0)?,
            label: row.text(1)?,
            point: row.f64(2)?,
            distribution: row.text(3)?,
            source: Some(row.text(4)?).filter(|s| !s.is_empty()),
            strategies: strategies.split("; ").filter(|s| !s.is_empty()).map(str::to_string).collect(),
        })
    }
}

impl Table for ValidationRow {
    const NAME: &'static str = "validation";
    const ROW: &'static str = "one independent published figure and the model's prediction of it (external validation)";
    fn columns() -> Vec<Col> {
        vec![
            Col::key("scenario", "scenario name"),
            Col::text("figure", "what the published figure is"),
            Col::text("published", "the figure as published"),
            Col::share("published_share", "the published figure as a share"),
            Col::number("rounding", "share", "half the unit the published figure was rounded to"),
            Col::number("years", "years", "years since leaving care at which the share is counted"),
            Col::share("predicted_base", "comparator's share back in care by then, base case"),
            Col::share("predicted_mean", "the same, mean over the PSA draws"),
            Col::share("predicted_q025", "2.5% quantile over the PSA draws"),
            Col::share("predicted_q975", "97.5% quantile over the PSA draws"),
            Col::count(
                "inside",
                "1 = yes, 0 = no",
                "whether the published figure, within its rounding, lies inside the 95% interval (empty without one)",
            ),
            Col::count(
                "calibration_target",
                "1 = yes, 0 = no",
                "whether the scenario was calibrated to this figure (never)",
            ),
            Col::text("source", "where the figure was published"),
            Col::text("population", "the children the figure counts"),
            Col::text("period", "when they left care and how long they were followed"),
            Col::text("definition", "what the figure counts, and how that differs from the model's"),
        ]
    }
    fn cells<'a>(&'a self, out: &mut Vec<Cell<'a>>) {
        out.extend([
            Cell::Text(&self.scenario),
            Cell::Text(&self.figure),
            Cell::Text(&self.published),
            Cell::num(self.published_share),
            Cell::num(self.rounding),
            Cell::num(self.years),
            Cell::Float(self.base),
            Cell::Float(self.mean),
            Cell::Float(self.q025),
            Cell::Float(self.q975),
            Cell::Int(self.inside.map(i64::from)),
            Cell::Int(Some(i64::from(self.calibration_target))),
            Cell::Text(&self.source),
            Cell::Text(&self.population),
            Cell::Text(&self.period),
            Cell::Text(&self.definition),
        ]);
    }
    fn from_row(row: &Row) -> Result<Self> {
        Ok(ValidationRow {
            scenario: row.text(0)?,
            figure: row.text(1)?,
            published: row.text(2)?,
            published_share: row.f64(3)?,
            rounding: row.f64(4)?,
            years: row.f64(5)?,
            base: row.float(6)?,
            mean: row.float(7)?,
            q025: row.float(8)?,
            q975: row.float(9)?,
            inside: row.int(10)?.map(|v| v != 0),
            calibration_target: row.int(11)?.unwrap_or(0) != 0,
            source: row.text(12)?,
            population: row.text(13)?,
            period: row.text(14)?,
            definition: row.text(15)?,
        })
    }
}

impl Table for WtpPoint {
    const NAME: &'static str = "wtp";
    const ROW: &'static str = "one strategy at one willingness to pay per breakdown averted, over the PSA draws";
    fn columns() -> Vec<Col> {
        vec![
            Col::pounds("wtp", "willingness to pay per breakdown averted"),
            Col::key("strategy", "strategy name"),
            Col::pounds(
                "expected_net_benefit",
                "mean net monetary benefit against the comparator: wtp × breakdowns averted + other outcomes valued by [decision] + net saving",
            ),
            Col::share("probability_best", "share of PSA draws in which the strategy has the largest net benefit"),
            Col::count(
                "chosen",
                "1 = yes, 0 = no",
                "whether the strategy has the largest expected net benefit (the acceptability frontier)",
            ),
            Col::pounds("evpi", "expected value of perfect information per decision at this willingness to pay"),
            Col::pounds("population_evpi", "evpi × the cohorts the decision covers (decision_years)"),
        ]
    }
    fn cells<'a>(&'a self, out: &mut Vec<Cell<'a>>) {
        out.extend([
            Cell::num(self.wtp),
            Cell::Text(&self.strategy),
            Cell::num(self.expected_net_benefit),
            Cell::num(self.probability_best),
            Cell::Int(Some(i64::from(self.chosen))),
            Cell::num(self.evpi),
            Cell::num(self.population_evpi),
        ]);
    }
    fn from_row(row: &Row) -> Result<Self> {
        Ok(WtpPoint {
            wtp: row.f64(0)?,
            strategy: row.text(1)?,
            expected_net_benefit: row.f64(2)?,
            probability_best: row.f64(3)?,
            chosen: row.int(4)?.unwrap_or(0) != 0,
            evpi: row.f64(5)?,
            population_evpi: row.f64(6)?,
        })
    }
}

impl Table for FrontierRow {
    const NAME: &'static str = "frontier";
    const ROW: &'static str =
        "one strategy on the cost-effectiveness frontier at the scenario's values (means over the PSA draws)";
    fn columns() -> Vec<Col> {
        vec![
            Col::key("strategy", "strategy name"),
            Col::pounds(
                "incremental_cost",
                "mean cost against the comparator, less the value of other outcomes averted",
            ),
            Col::number("breakdowns_averted", "breakdowns", "mean breakdowns averted"),
            Col::key(
                "standing",
                "`frontier`, `dominated` (costs more and averts no more than another) or `extendedly dominated`",
            ),
            Col::key("dominated_by", "the strategy that dominates it"),
            Col::pounds(
                "icer",
                "incremental cost per extra breakdown averted against the previous strategy on the frontier",
            ),
        ]
    }
    fn cells<'a>(&'a self, out: &mut Vec<Cell<'a>>) {
        out.extend([
            Cell::Text(&self.strategy),
            Cell::num(self.incremental_cost),
            Cell::num(self.breakdowns_averted),
            Cell::Text(&self.standing),
            Cell::Text(&self.dominated_by),
            Cell::Float(self.icer.filter(|x| x.is_finite())),
        ]);
    }
    fn from_row(row: &Row) -> Result<Self> {
        Ok(FrontierRow {
            strategy: row.text(0)?,
            incremental_cost: row.f64(1)?,
            breakdowns_averted: row.f64(2)?,
            standing: row.text(3)?,
            dominated_by: row.text(4)?,
            icer: row.float(5)?,
        })
    }
}

impl Table for VoiAtWtp {
    const NAME: &'static str = "evppi_wtp";
    const ROW: &'static str =
        "as `evppi`, at the willingness to pay per breakdown averted where the decision is most uncertain";
    fn columns() -> Vec<Col> {
        let mut c =
            vec![Col::pounds("wtp", "willingness to pay per breakdown averted at which the net benefit is valued")];
        c.extend(VoiRow::columns());
        c
    }
    fn cells<'a>(&'a self, out: &mut Vec<Cell<'a>>) {
        out.push(Cell::num(self.wtp));
        self.row.cells(out);
    }
    fn from_row(row: &Row) -> Result<Self> {
        let wtp = row.f64(0)?;
        Ok(VoiAtWtp { wtp, row: VoiRow::from_row(&row.shifted(1))? })
    }
}

impl Table for EvsiRow {
    const NAME: &'static str = "evsi";
    const ROW: &'static str =
        "one size of the local pilot in `[pilot]` (summary.json `pilot` says what it trials and at what value)";
    fn columns() -> Vec<Col> {
        vec![
            Col::count("families_per_arm", "families", "families in each of the trial's two arms"),
            Col::pounds(
                "evsi_per_decision",
                "expected value of the trial's information for one decision (one cohort), by regression",
            ),
            Col::pounds("population_evsi", "evsi_per_decision × the cohorts the decision covers (decision_years)"),
            Col::pounds("pilot_cost", "fixed cost + cost per family × families in both arms"),
            Col::pounds("enbs", "expected net benefit of sampling: population_evsi − pilot_cost"),
        ]
    }
    fn cells<'a>(&'a self, out: &mut Vec<Cell<'a>>) {
        out.extend([
            Cell::Int(Some(i64::from(self.families_per_arm))),
            Cell::num(self.evsi_per_decision),
            Cell::num(self.population_evsi),
            Cell::num(self.pilot_cost),
            Cell::num(self.enbs),
        ]);
    }
    fn from_row(row: &Row) -> Result<Self> {
        Ok(EvsiRow {
            families_per_arm: row.int(0)?.and_then(|n| u32::try_from(n).ok()).unwrap_or(0),
            evsi_per_decision: row.f64(1)?,
            population_evsi: row.f64(2)?,
            pilot_cost: row.f64(3)?,
            enbs: row.f64(4)?,
        })
    }
}
