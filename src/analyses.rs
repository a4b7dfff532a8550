//! The analysis pipeline: everything a run derives from its iterations once they exist, in one
//! place, whether the iterations were simulated in this process, read back from shards, or
//! simulated in memory by the what-if page, the pilot or the reproduction.
//!
//! [`Analyses::compute`] takes the scenario, the run's digest ([`RunDigest`]) and its
//! [`Settings`], and computes what the [`Scope`] asks for:
//! - break-even, one-way (tornado) and two-way analyses re-simulate the base case under common
//!   random numbers ([`Resimulation`]);
//! - acceptability, value of information and the willingness-to-pay curves re-price the PSA
//!   iterations without re-simulating;
//! - the re-entry curve and the external validation read the digests;
//! - the local pilot is valued at the scenario's value per breakdown averted, or where the
//!   choice between strategies is most uncertain ([`pilot_value_at`]).
//!
//! The same inputs give the same analyses on any number of threads.

use serde::{Deserialize, Serialize};

use crate::analysis::{self, CurvePoint};
use crate::decision::{self, AcceptPoint, BreakEven, Resimulation, Tornado, TwoWayPoint};
use crate::digest::RunDigest;
use crate::model::ModelError;
use crate::pilot::Valued;
use crate::scenario::{Pilot, Scenario};
use crate::validation::ValidationRow;
use crate::voi::VoiRow;
use crate::wtp::{FrontierRow, VoiAtWtp, WtpPoint};

/// Re-entry hazard ratios the two-way analysis simulates.
pub const TWO_WAY_EFFECTS: usize = 19;
/// Price steps of the two-way analysis (re-priced, not simulated).
pub const TWO_WAY_PRICES: usize = 60;
/// Steps of the willingness-to-pay grid (`wtp.csv`): 41 values across the scenario's range.
pub const WTP_STEPS: usize = 40;
/// Steps of the acceptability curves' price grid.
pub const ACCEPTABILITY_STEPS: usize = 60;

/// What the pipeline is asked for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// Years of cohorts a decision affects, for population value of information.
    pub decision_years: f64,
    pub scope: Scope,
}

/// Which analyses a caller needs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scope {
    /// Everything a run writes (`run`, `merge`).
    Run,
    /// The what-if page: break-even to the precision it shows, nothing else.
    WhatIf,
    /// The pilot: the willingness-to-pay curves and the pilot's value, at this value per
    /// breakdown averted when given (`pilot --wtp`), else at [`pilot_value_at`]'s.
    Pilot { wtp: Option<f64> },
    /// External validation (`reproduce --external`): the comparator's re-entry curve and its
    /// comparison with the scenario's `[[validation]]` figures.
    Validation,
}

/// Children each re-simulating analysis simulated per evaluation, when a sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Resimulated {
    /// Children in the run.
    pub children: u64,
    /// Children each analysis simulated per evaluation; `None` for one that simulated all.
    pub breakeven: Option<u64>,
    pub tornado: Option<u64>,
    pub two_way: Option<u64>,
}

/// Every analysis of a run. What the scope did not ask for is empty.
#[derive(Clone, Debug, Default)]
pub struct Analyses {
    pub breakeven: Vec<BreakEven>,
    pub tornado: Option<Tornado>,
    pub two_way: Vec<TwoWayPoint>,
    /// Children the two-way grid re-simulated, when a sample.
    pub two_way_sample: Option<u64>,
    pub acceptability: Vec<AcceptPoint>,
    pub voi: Vec<VoiRow>,
    pub curve: Vec<CurvePoint>,
    pub validation: Vec<ValidationRow>,
    pub wtp: Vec<WtpPoint>,
    pub frontier: Vec<FrontierRow>,
    pub voi_at_wtp: Vec<VoiAtWtp>,
    /// The local pilot's value, when the scenario sets `[pilot]` (or the scope is the pilot's)
    /// and the run has PSA draws enough.
    pub pilot: Option<Valued>,
}

impl Analyses {
    /// Computes the analyses `settings.scope` asks for. `pilot` is the trial to value: the
    /// scenario's own `[pilot]` for a run, the command's settings for `pilot`.
    pub fn compute(
        sc: &Scenario,
        run: &RunDigest,
        settings: &Settings,
        pilot: Option<&Pilot>,
    ) -> Result<Analyses, ModelError> {
        let mut out = Analyses::default();
        let names: Vec<String> = sc.model.strategies.iter().map(|s| s.name.clone()).collect();
        let resim = Resimulation::of_digest(sc, sc.meta.seed, &run.base);
        match settings.scope {
            Scope::WhatIf => {
                out.breakeven = resim.for_the_page().breakeven()?;
            }
            Scope::Validation => {
                // The figures are the comparator's: only its curve is needed.
                out.curve = analysis::reentry_curve(run, &names[..1]);
                out.validation = crate::validation::predict(sc, &out.curve);
            }
            Scope::Pilot { wtp } => {
                out.wtp = crate::wtp::analyse(sc, run, WTP_STEPS, settings.decision_years).0;
                if let Some(p) = pilot {
                    let at = match wtp {
                        Some(x) => (x, "given by --wtp"),
                        None => pilot_value_at(p, &out.wtp),
                    };
                    out.pilot = crate::pilot::value(sc, run, sc.meta.seed, p, at, settings.decision_years)?;
                }
            }
            Scope::Run => {
                // Break-even and tornado re-run the base case under common random numbers;
                // acceptability and value of information re-use the PSA iterations.
                out.breakeven = resim.breakeven()?;
                out.tornado = Some(resim.tornado()?);
                (out.two_way, out.two_way_sample) = resim.two_way(TWO_WAY_EFFECTS, TWO_WAY_PRICES)?;
                out.acceptability = decision::acceptability(sc, run, ACCEPTABILITY_STEPS);
                out.voi = crate::voi::value_of_information(sc, run, settings.decision_years);
                out.curve = analysis::reentry_curve(run, &names);
                out.validation = crate::validation::predict(sc, &out.curve);
                if sc.model.strategies.len() > 1 {
                    (out.wtp, out.frontier) = crate::wtp::analyse(sc, run, WTP_STEPS, settings.decision_years);
                }
                // Value of information where the decision is most uncertain.
                if let Some(at) = crate::wtp::most_uncertain(&out.wtp) {
                    let inb = crate::wtp::incremental_net_benefit(sc, run, at);
                    out.voi_at_wtp = crate::voi::value_of_information_of(sc, run, settings.decision_years, &inb)
                        .into_iter()
                        .map(|row| VoiAtWtp { wtp: at, row })
                        .collect();
                }
                if let Some(p) = pilot {
                    let at = pilot_value_at(p, &out.wtp);
                    out.pilot = crate::pilot::value(sc, run, sc.meta.seed, p, at, settings.decision_years)?;
                }
            }
        }
        Ok(out)
    }

    /// The children each re-simulating analysis simulated, when any of them was a sample.
    pub fn resimulated(&self, sc: &Scenario) -> Option<Resimulated> {
        let breakeven = self.breakeven.iter().find_map(|b| b.resimulated_children);
        let tornado = self.tornado.as_ref().and_then(|t| t.resimulated_children);
        (breakeven.is_some() || tornado.is_some() || self.two_way_sample.is_some()).then(|| Resimulated {
            children: sc.total_children(),
            breakeven,
            tornado,
            two_way: self.two_way_sample,
        })
    }
}

/// The value per breakdown averted a pilot is taken at, and why: its own (or `[decision]`'s)
/// single value, else where the choice is most uncertain on the willingness-to-pay curves,
/// else cash only.
pub fn pilot_value_at(p: &Pilot, points: &[WtpPoint]) -> (f64, &'static str) {
    match (p.value_per_breakdown_averted, crate::wtp::most_uncertain(points)) {
        (Some(x), _) => (x, "the value the scenario sets"),
        (None, Some(x)) => (x, "where the choice between strategies is most uncertain"),
        (None, None) => (0.0, "cash only"),
    }
}
