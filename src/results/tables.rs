//! Every output table as one row type, with its [`Table`] schema.
//!
//! Summary tables (`summary`, `reentry_curve`, `tornado`, `acceptability`, `evppi`,
//! `authorities`, `budget_summary`, `inputs`) are always CSV. The per-iteration tables
//! (`iterations`, `parameters`, `budget`) are Parquet, with CSV twins on `--csv`. Every
//! per-iteration table marks the base case apart with `case = base` (its `iteration` is 0) from
//! the PSA draws (`case = psa`, iterations 1 to N). The total over authorities is called
//! `all` wherever it appears.

use std::sync::Arc;

use anyhow::anyhow;

use crate::analysis::{CurvePoint, Kind as RowKind, Stat, SummaryRow};
use crate::budget::BudgetStat;
use crate::decision::{AcceptPoint, TornadoRow, TwoWayPoint};
use crate::metric::{Decisions, Levels, Metric, N_DECISIONS, Unit};
use crate::pilot::EvsiRow;
use crate::validation::ValidationRow;
use crate::voi::VoiRow;
use crate::wtp::{FrontierRow, VoiAtWtp, WtpPoint};

use super::table::{Cell, Col, Field, Table, penny};

/// `field!(make, col, name)`: the column `col` of the row's field `name`, made by `make`
/// (`Field::num`, `Field::text`, `whole`, ...) with the field's getter and setter, so that a
/// field is named once per column.
macro_rules! field {
    ($make:path, $col:expr, $name:ident) => {
        $make($col, |r: &Self| &r.$name, |r: &mut Self| &mut r.$name)
    };
}

/// `base` for the base case (iteration 0), `psa` for a PSA draw.
pub fn case(iteration: u32) -> &'static str {
    if iteration == 0 { "base" } else { "psa" }
}

/// `iteration` and `case`, the first two columns of every per-iteration table. `case` is
/// made from `iteration`, so only `iteration` is read back.
fn iteration_fields<T: 'static>(field: fn(&T) -> &u32, field_mut: fn(&mut T) -> &mut u32) -> [Field<T>; 2] {
    [
        Field::new(
            Col::count("iteration", "", "0 for the base case; 1 to N for the PSA draws"),
            move |r| Cell::Int(Some(i64::from(*field(r)))),
            move |r, row, c| {
                *field_mut(r) = u32::try_from(row.int(c)?.unwrap_or(0)).unwrap_or(0);
                Ok(())
            },
        ),
        Field::written(
            Col::key(
                "case",
                "`base`: the base case, every input at its point value (iteration 0); `psa`: a probabilistic draw",
            ),
            move |r| Cell::Text(case(*field(r))),
        ),
    ]
}

/// A text column held as a shared `Arc<str>`.
fn shared<T: 'static>(col: Col, field: fn(&T) -> &Arc<str>, field_mut: fn(&mut T) -> &mut Arc<str>) -> Field<T> {
    Field::new(
        col,
        move |r| Cell::Text(field(r)),
        move |r, row, c| {
            *field_mut(r) = row.text(c)?.into();
            Ok(())
        },
    )
}

/// A whole-number column held as any unsigned integer type.
fn whole<T: 'static, N: Copy + Into<u64> + TryFrom<u64> + Default + 'static>(
    col: Col,
    field: fn(&T) -> &N,
    field_mut: fn(&mut T) -> &mut N,
) -> Field<T> {
    Field::new(
        col,
        move |r| Cell::Int(i64::try_from((*field(r)).into()).ok()),
        move |r, row, c| {
            let v = row.int(c)?.and_then(|v| u64::try_from(v).ok()).unwrap_or(0);
            *field_mut(r) = N::try_from(v).unwrap_or_default();
            Ok(())
        },
    )
}

/// The five columns of a [`Stat`]: base case, PSA mean, interval and Monte Carlo error.
/// `pounds` says whether a row's values are money, rounded to the penny.
fn stat_fields<T: 'static>(
    unit_meaning: &str,
    kind: super::table::Kind,
    pounds: fn(&T) -> bool,
    field: fn(&T) -> &Stat,
    field_mut: fn(&mut T) -> &mut Stat,
) -> Vec<Field<T>> {
    let unit = if kind == super::table::Kind::Pounds { "£" } else { "as `unit`" };
    let cols = [
        ("base", format!("base case (every input at its point value){unit_meaning}")),
        ("mean", "mean over the PSA draws (the headline figure when there was a PSA)".into()),
        ("q025", "2.5% quantile over the PSA draws".into()),
        ("q975", "97.5% quantile over the PSA draws".into()),
        ("mcse", "Monte Carlo standard error of the mean, sd/√n".into()),
    ];
    let part = |s: &Stat, i: usize| [s.base, s.mean, s.q025, s.q975, s.mcse][i];
    cols.into_iter()
        .enumerate()
        .map(|(i, (name, meaning))| {
            let mut col = Col::number(name, unit, &meaning);
            col.kind = kind;
            Field::new(
                col,
                move |r| {
                    // Money is rounded here, since the column's kind is the unit of each row.
                    let v = part(field(r), i);
                    Cell::Float(if pounds(r) { v.map(penny) } else { v })
                },
                move |r, row, c| {
                    let s = field_mut(r);
                    *[&mut s.base, &mut s.mean, &mut s.q025, &mut s.q975, &mut s.mcse][i] = row.float(c)?;
                    Ok(())
                },
            )
        })
        .collect()
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

/// A blank row to read into: every field is then set from its column, and a metric name that
/// is not known is refused there.
impl Default for SummaryRow {
    fn default() -> Self {
        SummaryRow {
            strategy: String::new(),
            authority: String::new(),
            kind: RowKind::Level,
            metric: Metric::ALL[0],
            stat: Stat::default(),
        }
    }
}

impl Table for SummaryRow {
    const NAME: &'static str = "summary";
    const ROW: &'static str =
        "one metric of one strategy, for all authorities together (`authority = all`) and for each authority";
    fn fields() -> Vec<Field<Self>> {
        let mut f = vec![
            field!(Field::text, Col::key("strategy", "strategy name; the first is the comparator"), strategy),
            field!(
                Field::text,
                Col::key("authority", "authority name, or `all` for the total over authorities"),
                authority
            ),
            Field::new(
                Col::key(
                    "kind",
                    "`level`: the strategy's own value; `increment`: strategy minus comparator, or a decision metric against the comparator",
                ),
                |r: &SummaryRow| Cell::Text(r.kind.name()),
                |r, row, c| {
                    r.kind = match row.text(c)?.as_str() {
                        "level" => RowKind::Level,
                        "increment" => RowKind::Increment,
                        k => return Err(anyhow!("unknown kind `{k}`")),
                    };
                    Ok(())
                },
            ),
            Field::new(
                Col::key("metric", "metric name (see the list of metrics below)"),
                |r: &SummaryRow| Cell::Text(r.metric.name()),
                |r, row, c| {
                    let name = row.text(c)?;
                    r.metric = Metric::from_name(&name).ok_or_else(|| anyhow!("unknown metric `{name}`"))?;
                    Ok(())
                },
            ),
            Field::written(
                Col::key(
                    "unit",
                    "`children`, `events`, `share`, `years`, `pounds`, `ratio` or `probability` (the mean of `saves_money`)",
                ),
                |r: &SummaryRow| Cell::Text(unit_name(r.metric.unit())),
            ),
        ];
        f.extend(stat_fields(
            "; pounds are rounded to the penny",
            super::table::Kind::Number,
            |r: &SummaryRow| r.metric.unit() == Unit::Pounds,
            |r| &r.stat,
            |r| &mut r.stat,
        ));
        f
    }
}

/// One row of `iterations`: every metric of one strategy in one authority and iteration.
#[derive(Clone, Debug, Default, PartialEq)]
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

/// A metric's value in one simulation: counts are whole there.
fn metric_cell(m: Metric, v: f64) -> Cell<'static> {
    if m.unit().is_count() { Cell::whole(v) } else { Cell::num(v) }
}

impl Table for IterationRow {
    const NAME: &'static str = "iterations";
    const ROW: &'static str = "one strategy in one iteration (the base case or a PSA draw), for the total over authorities (`authority = all`) or, with one authority or `--by-authority`, for each authority; the sampled inputs of each iteration are in `parameters`";
    fn fields() -> Vec<Field<Self>> {
        let mut f: Vec<Field<Self>> = iteration_fields(|r: &IterationRow| &r.iteration, |r| &mut r.iteration).into();
        f.push(field!(shared, Col::key("strategy", "strategy name; the first is the comparator"), strategy));
        f.push(field!(shared, Col::key("authority", "authority name"), authority));
        for (i, m) in Metric::LEVELS.into_iter().enumerate() {
            f.push(Field::new(
                Col::metric(m),
                move |r: &IterationRow| metric_cell(m, r.levels.0[i]),
                move |r, row, c| {
                    r.levels.0[i] = row.f64(c)?;
                    Ok(())
                },
            ));
        }
        for (i, m) in Metric::DECISIONS.into_iter().enumerate() {
            let mut col = Col::metric(m);
            col.meaning.push_str(" (empty for the comparator)");
            f.push(Field::new(
                col,
                move |r: &IterationRow| match &r.decisions {
                    Some(d) => metric_cell(m, d.0[i]),
                    None if m.unit().is_count() => Cell::Int(None),
                    None => Cell::Float(None),
                },
                // A row has decisions when any decision cell is filled: the comparator's are
                // all empty.
                move |r, row, c| {
                    if let Some(x) = row.float(c)? {
                        r.decisions.get_or_insert(Decisions([f64::NAN; N_DECISIONS])).0[i] = x;
                    }
                    Ok(())
                },
            ));
        }
        f
    }
}

/// One row of `parameters`: one sampled input in one iteration (long format).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParameterRow {
    pub iteration: u32,
    pub parameter: String,
    pub value: f64,
}

impl Table for ParameterRow {
    const NAME: &'static str = "parameters";
    const ROW: &'static str = "one input's value in one iteration: the point value in the base case, a draw in the PSA (labels, distributions and sources are in `inputs.csv`)";
    fn fields() -> Vec<Field<Self>> {
        let mut f: Vec<Field<Self>> = iteration_fields(|r: &ParameterRow| &r.iteration, |r| &mut r.iteration).into();
        f.push(field!(
            Field::text,
            Col::key("parameter", "parameter key, as in `inputs.csv`, `tornado.csv` and `evppi.csv`"),
            parameter
        ));
        f.push(field!(
            Field::num,
            Col::number("value", "the parameter's own (see `inputs.csv`)", "the value used in this iteration"),
            value
        ));
        f
    }
}

impl Table for CurvePoint {
    const NAME: &'static str = "reentry_curve";
    const ROW: &'static str = "one strategy at one month since the return home, all authorities together";
    fn fields() -> Vec<Field<Self>> {
        vec![
            field!(Field::text, Col::key("strategy", "strategy name"), strategy),
            Field::new(
                Col::count("month", "months", "months since the return home"),
                |r: &CurvePoint| Cell::Int(i64::try_from(r.month).ok()),
                |r, row, c| {
                    r.month = usize::try_from(row.int(c)?.unwrap_or(0)).unwrap_or(0);
                    Ok(())
                },
            ),
            field!(
                Field::num,
                Col::share("base", "share of children with a first re-entry by this month, base case"),
                base
            ),
            field!(Field::opt, Col::share("mean", "the same, mean over the PSA draws"), mean),
            field!(Field::opt, Col::share("q025", "2.5% quantile over the PSA draws"), q025),
            field!(Field::opt, Col::share("q975", "97.5% quantile over the PSA draws"), q975),
        ]
    }
}

impl Table for TornadoRow {
    const NAME: &'static str = "tornado";
    const ROW: &'static str = "one uncertain input of one strategy, moved alone from its 2.5% to its 97.5% quantile (base case, same simulated children); rows ranked by swing";
    fn fields() -> Vec<Field<Self>> {
        vec![
            field!(Field::text, Col::key("strategy", "strategy name"), strategy),
            field!(Field::text, Col::key("parameter", "parameter key, as in `inputs.csv`"), parameter),
            field!(Field::text, Col::text("label", "the parameter in words"), label),
            field!(Field::num, Col::number("low_value", "the parameter's own", "its 2.5% quantile"), low_value),
            field!(Field::num, Col::number("high_value", "the parameter's own", "its 97.5% quantile"), high_value),
            field!(
                Field::num,
                Col::pounds("low_net_saving", "net saving against the comparator with the input at its low value"),
                low_net_saving
            ),
            field!(
                Field::num,
                Col::pounds("high_net_saving", "net saving with the input at its high value"),
                high_net_saving
            ),
            field!(
                Field::num,
                Col::number("low_breakdowns_averted", "breakdowns", "breakdowns averted at the low value"),
                low_breakdowns_averted
            ),
            field!(
                Field::num,
                Col::number("high_breakdowns_averted", "breakdowns", "breakdowns averted at the high value"),
                high_breakdowns_averted
            ),
            field!(Field::num, Col::pounds("swing", "|high − low| of the net saving"), swing),
            field!(
                Field::num,
                Col::pounds(
                    "low_net_saving_mc_error",
                    "Monte Carlo standard error of low_net_saving when a large cohort was re-simulated by a sample of its children (0: every child simulated)",
                ),
                low_net_saving_mc_error
            ),
            field!(
                Field::num,
                Col::pounds("high_net_saving_mc_error", "the same, of high_net_saving"),
                high_net_saving_mc_error
            ),
        ]
    }
}

impl Table for AcceptPoint {
    const NAME: &'static str = "acceptability";
    const ROW: &'static str = "one strategy at one price of support, by re-pricing the PSA draws";
    fn fields() -> Vec<Field<Self>> {
        vec![
            field!(Field::text, Col::key("strategy", "strategy name"), strategy),
            field!(
                Field::num,
                Col::pounds("price", "price of support per child (or per child-year, as the strategy's `cost_basis`)"),
                price
            ),
            field!(
                Field::num,
                Col::share("probability", "share of PSA draws in which the strategy costs less than the comparator"),
                probability
            ),
        ]
    }
}

impl Table for TwoWayPoint {
    const NAME: &'static str = "two_way";
    const ROW: &'static str = "one strategy at one price of support and one re-entry hazard ratio (base case): what support must achieve, at what price";
    fn fields() -> Vec<Field<Self>> {
        vec![
            field!(Field::text, Col::key("strategy", "strategy name"), strategy),
            field!(
                Field::num,
                Col::number(
                    "hazard_ratio",
                    "hazard ratio",
                    "re-entry hazard ratio of supported families (1 = no effect)",
                ),
                hazard_ratio
            ),
            field!(Field::num, Col::pounds("price", "price of support per child"), price),
            field!(Field::num, Col::pounds("net_saving", "net saving against the comparator (discounted)"), net_saving),
            field!(
                Field::num,
                Col::pounds(
                    "mc_error",
                    "Monte Carlo standard error of net_saving when a large cohort was re-simulated by a sample of its children (0: every child simulated)",
                ),
                mc_error
            ),
        ]
    }
}

impl Table for VoiRow {
    const NAME: &'static str = "evppi";
    const ROW: &'static str = "the expected value of perfect information about everything (`kind = all`, EVPI), one input (`parameter`) or a group of inputs (`group`)";
    fn fields() -> Vec<Field<Self>> {
        vec![
            field!(Field::text, Col::key("kind", "`all` (EVPI), `parameter` or `group`"), kind),
            field!(Field::text, Col::key("name", "parameter key or group name"), name),
            field!(Field::text, Col::text("label", "the parameter or group in words"), label),
            field!(Field::num, Col::pounds("per_cohort", "value per cohort of the scenario's children"), per_cohort),
            field!(Field::num, Col::pounds("per_child", "value per child"), per_child),
            field!(Field::num, Col::pounds("population", "value over `--decision-years` cohorts"), population),
        ]
    }
}

/// One authority's result for one strategy, for `authorities.csv`, ranked within strategy.
#[derive(Clone, Debug, Default, PartialEq)]
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
    fn fields() -> Vec<Field<Self>> {
        vec![
            field!(Field::text, Col::key("strategy", "strategy name"), strategy),
            field!(whole, Col::count("rank", "", "1 = the largest net saving per child"), rank),
            field!(Field::text, Col::key("authority", "authority name"), authority),
            field!(whole, Col::count("children", "children", "children returning home over the run"), children),
            field!(Field::num, Col::pounds("net_saving", "net saving (PSA mean; base case without a PSA)"), net_saving),
            field!(Field::num, Col::pounds("net_saving_q025", "2.5% quantile"), net_saving_q025),
            field!(Field::num, Col::pounds("net_saving_q975", "97.5% quantile"), net_saving_q975),
            Field::written(
                Col::pounds("net_saving_per_child", "net saving per child returning home"),
                |r: &AuthorityRow| Cell::num(r.per_child(r.net_saving)),
            ),
            Field::written(Col::pounds("net_saving_per_child_q025", "2.5% quantile"), |r: &AuthorityRow| {
                Cell::num(r.per_child(r.net_saving_q025))
            }),
            Field::written(Col::pounds("net_saving_per_child_q975", "97.5% quantile"), |r: &AuthorityRow| {
                Cell::num(r.per_child(r.net_saving_q975))
            }),
            field!(
                Field::num,
                Col::number("breakdowns_averted", "breakdowns", "breakdowns averted (mean)"),
                breakdowns_averted
            ),
        ]
    }
}

/// One row of `budget`: spend of one strategy in one authority, iteration and financial year.
#[derive(Clone, Debug, Default, PartialEq)]
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
    fn fields() -> Vec<Field<Self>> {
        let mut f: Vec<Field<Self>> = iteration_fields(|r: &BudgetRow| &r.iteration, |r| &mut r.iteration).into();
        f.push(field!(shared, Col::key("strategy", "strategy name"), strategy));
        f.push(field!(shared, Col::key("authority", "authority name"), authority));
        f.push(field!(shared, Col::key("financial_year", "April to March, as `2025/26`"), financial_year));
        f.push(Field::new(
            Col::count("breakdowns", "events", "breakdowns in the year"),
            |r: &BudgetRow| Cell::whole(r.breakdowns),
            |r, row, c| {
                r.breakdowns = row.f64(c)?;
                Ok(())
            },
        ));
        for (i, (line, basis)) in crate::budget::FIGURES.into_iter().enumerate() {
            f.push(Field::new(
                Col::pounds(&format!("{line}_{basis}"), &figure_meaning(line, basis)),
                move |r: &BudgetRow| Cell::num(r.figures[i]),
                move |r, row, c| {
                    r.figures[i] = row.f64(c)?;
                    Ok(())
                },
            ));
        }
        f
    }
}

impl Table for BudgetStat {
    const NAME: &'static str = "budget_summary";
    const ROW: &'static str =
        "flow mode: one spend line or net position of one strategy in one financial year, all authorities together";
    fn fields() -> Vec<Field<Self>> {
        let mut f = vec![
            field!(Field::text, Col::key("strategy", "strategy name"), strategy),
            field!(Field::text, Col::key("financial_year", "April to March, as `2025/26`"), financial_year),
            field!(
                Field::text,
                Col::key(
                    "line",
                    "`support`, `breakdown_care`, `other`, `total`, `net_saving` (the year's comparator spend minus the strategy's) or `cumulative_net` (its running sum)",
                ),
                line
            ),
            field!(Field::text, Col::key("basis", "`cash` (undiscounted) or `discounted`"), basis),
        ];
        f.extend(stat_fields(
            ", in £ rounded to the penny",
            super::table::Kind::Pounds,
            |_| true,
            |r: &BudgetStat| &r.stat,
            |r| &mut r.stat,
        ));
        f
    }
}

impl Table for super::summary::InputRow {
    const NAME: &'static str = "inputs";
    const ROW: &'static str = "one scenario input: its point value, its distribution in the PSA and its source";
    fn fields() -> Vec<Field<Self>> {
        use super::summary::InputRow;
        vec![
            field!(Field::text, Col::key("parameter", "parameter key"), key),
            field!(Field::text, Col::text("label", "the parameter in words"), label),
            field!(
                Field::num,
                Col::number("point", "the parameter's own", "point value (used in the base case)"),
                point
            ),
            field!(
                Field::text,
                Col::text("distribution", "its distribution in the PSA (`fixed` when certain)"),
                distribution
            ),
            Field::new(
                Col::text("source", "where the value comes from, as the scenario cites it"),
                |r: &InputRow| Cell::Text(r.source.as_deref().unwrap_or("")),
                |r, row, c| {
                    r.source = Some(row.text(c)?).filter(|s| !s.is_empty());
                    Ok(())
                },
            ),
            Field::new(
                Col::text(
                    "strategies",
                    "the strategies whose support uses it, separated by `; ` (one draw drives them all)",
                ),
                |r: &InputRow| Cell::Owned(r.strategies.join("; ")),
                |r, row, c| {
                    let text = row.text(c)?;
                    r.strategies = text.split("; ").filter(|s| !s.is_empty()).map(str::to_string).collect();
                    Ok(())
                },
            ),
        ]
    }
}

impl Table for ValidationRow {
    const NAME: &'static str = "validation";
    const ROW: &'static str = "one independent published figure and the model's prediction of it (external validation)";
    fn fields() -> Vec<Field<Self>> {
        vec![
            field!(Field::text, Col::key("scenario", "scenario name"), scenario),
            field!(Field::text, Col::text("figure", "what the published figure is"), figure),
            field!(Field::text, Col::text("published", "the figure as published"), published),
            field!(Field::num, Col::share("published_share", "the published figure as a share"), published_share),
            field!(
                Field::num,
                Col::number("rounding", "share", "half the unit the published figure was rounded to"),
                rounding
            ),
            field!(
                Field::num,
                Col::number("years", "years", "years since leaving care at which the share is counted"),
                years
            ),
            field!(
                Field::opt,
                Col::share("predicted_base", "comparator's share back in care by then, base case"),
                base
            ),
            field!(Field::opt, Col::share("predicted_mean", "the same, mean over the PSA draws"), mean),
            field!(Field::opt, Col::share("predicted_q025", "2.5% quantile over the PSA draws"), q025),
            field!(Field::opt, Col::share("predicted_q975", "97.5% quantile over the PSA draws"), q975),
            Field::new(
                Col::count(
                    "inside",
                    "1 = yes, 0 = no",
                    "whether the published figure, within its rounding, lies inside the 95% interval (empty without one)",
                ),
                |r: &ValidationRow| Cell::Int(r.inside.map(i64::from)),
                |r, row, c| {
                    r.inside = row.int(c)?.map(|v| v != 0);
                    Ok(())
                },
            ),
            field!(
                Field::flag,
                Col::count(
                    "calibration_target",
                    "1 = yes, 0 = no",
                    "whether the scenario was calibrated to this figure (never)",
                ),
                calibration_target
            ),
            field!(
                Field::opt,
                Col::number(
                    "interval_score",
                    "share",
                    "the 95% interval's width plus 40 × how far the figure lies outside it (Gneiting and Raftery 2007); lower is better",
                ),
                interval_score
            ),
            field!(
                Field::flag,
                Col::count(
                    "cross_validated",
                    "1 = yes, 0 = no",
                    "a leave-one-source-out prediction of the evidence synthesis (reproduce --external), not the scenario's own",
                ),
                cross_validated
            ),
            field!(Field::text, Col::text("source", "where the figure was published"), source),
            field!(Field::text, Col::text("population", "the children the figure counts"), population),
            field!(Field::text, Col::text("period", "when they left care and how long they were followed"), period),
            field!(
                Field::text,
                Col::text("definition", "what the figure counts, and how that differs from the model's"),
                definition
            ),
        ]
    }
}

impl Table for WtpPoint {
    const NAME: &'static str = "wtp";
    const ROW: &'static str = "one strategy at one willingness to pay per breakdown averted, over the PSA draws";
    fn fields() -> Vec<Field<Self>> {
        vec![
            field!(Field::num, Col::pounds("wtp", "willingness to pay per breakdown averted"), wtp),
            field!(Field::text, Col::key("strategy", "strategy name"), strategy),
            field!(
                Field::num,
                Col::pounds(
                    "expected_net_benefit",
                    "mean net monetary benefit against the comparator: wtp × breakdowns averted + other outcomes valued by [decision] + net saving",
                ),
                expected_net_benefit
            ),
            field!(
                Field::num,
                Col::share("probability_best", "share of PSA draws in which the strategy has the largest net benefit"),
                probability_best
            ),
            field!(
                Field::flag,
                Col::count(
                    "chosen",
                    "1 = yes, 0 = no",
                    "whether the strategy has the largest expected net benefit (the acceptability frontier)",
                ),
                chosen
            ),
            field!(
                Field::num,
                Col::pounds("evpi", "expected value of perfect information per decision at this willingness to pay"),
                evpi
            ),
            field!(
                Field::num,
                Col::pounds("population_evpi", "evpi × the cohorts the decision covers (decision_years)"),
                population_evpi
            ),
        ]
    }
}

impl Table for FrontierRow {
    const NAME: &'static str = "frontier";
    const ROW: &'static str =
        "one strategy on the cost-effectiveness frontier at the scenario's values (means over the PSA draws)";
    fn fields() -> Vec<Field<Self>> {
        vec![
            field!(Field::text, Col::key("strategy", "strategy name"), strategy),
            field!(
                Field::num,
                Col::pounds(
                    "incremental_cost",
                    "mean cost against the comparator, less the value of other outcomes averted",
                ),
                incremental_cost
            ),
            field!(
                Field::num,
                Col::number("breakdowns_averted", "breakdowns", "mean breakdowns averted"),
                breakdowns_averted
            ),
            field!(
                Field::text,
                Col::key(
                    "standing",
                    "`frontier`, `dominated` (costs more and averts no more than another) or `extendedly dominated`",
                ),
                standing
            ),
            field!(Field::text, Col::key("dominated_by", "the strategy that dominates it"), dominated_by),
            field!(
                Field::opt,
                Col::pounds(
                    "icer",
                    "incremental cost per extra breakdown averted against the previous strategy on the frontier",
                ),
                icer
            ),
        ]
    }
}

impl Table for VoiAtWtp {
    const NAME: &'static str = "evppi_wtp";
    const ROW: &'static str =
        "as `evppi`, at the willingness to pay per breakdown averted where the decision is most uncertain";
    fn fields() -> Vec<Field<Self>> {
        let mut f = vec![field!(
            Field::num,
            Col::pounds("wtp", "willingness to pay per breakdown averted at which the net benefit is valued"),
            wtp
        )];
        f.extend(VoiRow::fields().into_iter().map(|v| v.within(|r: &VoiAtWtp| &r.row, |r| &mut r.row)));
        f
    }
}

impl Table for EvsiRow {
    const NAME: &'static str = "evsi";
    const ROW: &'static str =
        "one size of the local pilot in `[pilot]` (summary.json `pilot` says what it trials and at what value)";
    fn fields() -> Vec<Field<Self>> {
        vec![
            field!(
                whole,
                Col::count("families_per_arm", "families", "families in each of the trial's two arms"),
                families_per_arm
            ),
            field!(
                Field::num,
                Col::pounds(
                    "evsi_per_decision",
                    "expected value of the trial's information for one decision (one cohort), by regression",
                ),
                evsi_per_decision
            ),
            field!(
                Field::num,
                Col::pounds("population_evsi", "evsi_per_decision × the cohorts the decision covers (decision_years)"),
                population_evsi
            ),
            field!(
                Field::num,
                Col::pounds("pilot_cost", "fixed cost + cost per family × families in both arms"),
                pilot_cost
            ),
            field!(
                Field::num,
                Col::pounds("enbs", "expected net benefit of sampling: population_evsi − pilot_cost"),
                enbs
            ),
        ]
    }
}

impl Table for crate::ssda903::KmRow {
    const NAME: &'static str = "reentry_km";
    const ROW: &'static str = "one band of months since the return home (one month without suppression): the observed share back in care at its end (Kaplan–Meier)";
    fn fields() -> Vec<Field<Self>> {
        vec![
            field!(whole, Col::count("months_from", "months", "the band's first month since the return"), months_from),
            field!(whole, Col::count("months", "months", "the band's last month: the share is at its end"), months),
            field!(
                whole,
                Col::count("at_risk", "returns home", "returns home still followed at the band's start"),
                at_risk
            ),
            field!(whole, Col::count("reentries", "returns home", "re-entries to care within the band"), reentries),
            field!(
                whole,
                Col::count(
                    "censored",
                    "returns home",
                    "returns whose follow-up ended within the band (extract date or 18th birthday)"
                ),
                censored
            ),
            field!(
                Field::num,
                Col::share("share_back", "share back in care by the band's end (Kaplan–Meier)"),
                share_back
            ),
            field!(Field::num, Col::share("share_back_lo", "its 95% interval, lower end (Greenwood)"), share_back_lo),
            field!(Field::num, Col::share("share_back_hi", "its 95% interval, upper end (Greenwood)"), share_back_hi),
        ]
    }
}

impl Table for crate::ssda903::read::LogEntry {
    const NAME: &'static str = "cleaning_log";
    const ROW: &'static str = "one row of a 903 file that could not be used as it stands, or a note on a whole file (line 0); it never holds a value from the data";
    fn fields() -> Vec<Field<Self>> {
        vec![
            field!(Field::text, Col::text("file", "the file, as named on the command line"), file),
            field!(
                whole,
                Col::count("line", "", "the line in the file, from 1 (the column row); 0 for the whole file"),
                line
            ),
            field!(Field::text, Col::key("field", "the column (or setting) concerned"), field),
            field!(Field::text, Col::key("code", "what was wrong, as a code"), code),
            field!(Field::text, Col::text("action", "what was wrong and what was done, in words"), action),
            field!(
                Field::flag,
                Col::count("left_out", "1 = yes, 0 = no", "whether the row was left out of the fit"),
                left_out
            ),
        ]
    }
}
