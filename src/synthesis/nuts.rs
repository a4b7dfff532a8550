//! The posterior sampler: the No-U-Turn Sampler of `nuts-rs` (the sampler behind nutpie;
//! Hoffman and Gelman 2014, with Stan's adaptation of step size and a diagonal mass matrix),
//! run as several chains, each from its own keyed stream `(seed, 0, ALL_AUTHORITIES, chain,
//! Posterior)`, so that the same seed gives the same draws on any number of threads. Chains
//! are run one after another on the calling thread, or in parallel with rayon when asked; the
//! draws are the same either way.

use nuts_rs::{
    Chain, CpuLogpFunc, CpuMath, CpuMathError, DiagNutsSettings, HasDims, LogpError, LowRankNutsSettings, Settings,
};
use rayon::prelude::*;

use crate::rng::{ALL_AUTHORITIES, Purpose, stream};

/// A log density on ℝⁿ with its gradient: what the sampler explores.
pub trait Density: Sync {
    fn dim(&self) -> usize;
    /// The log density at `x` (up to a constant), writing its gradient into `grad`; a
    /// non-finite value rejects the point.
    fn logp(&self, x: &[f64], grad: &mut [f64]) -> f64;
    /// A starting point for chain `chain` (spread a little, so that chains start apart).
    fn start(&self, chain: usize) -> Vec<f64>;
}

/// How long to sample.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub chains: usize,
    pub tune: u64,
    pub draws: u64,
    pub seed: u64,
    /// Adapt a low-rank mass matrix (nutpie's, for correlated posteriors) instead of a
    /// diagonal one.
    pub low_rank: bool,
}

/// The draws of every chain: `draws[chain][draw][parameter]`, after warm-up.
#[derive(Clone, Debug)]
pub struct Draws {
    pub draws: Vec<Vec<Vec<f64>>>,
    /// Divergent transitions after warm-up, over all chains.
    pub divergences: u64,
}

impl Draws {
    /// One parameter's draws by chain.
    pub fn param(&self, j: usize) -> Vec<Vec<f64>> {
        self.draws.iter().map(|c| c.iter().map(|d| d[j]).collect()).collect()
    }

    /// Every draw, chain after chain.
    pub fn all(&self) -> impl Iterator<Item = &Vec<f64>> {
        self.draws.iter().flatten()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the density is not finite here")]
struct NotFinite;

impl LogpError for NotFinite {
    fn is_recoverable(&self) -> bool {
        true
    }
}

struct Adapter<'a, D: Density>(&'a D);

// nuts-rs' trait asks for a HashMap; its one entry's order reaches nothing.
#[allow(clippy::disallowed_types)]
impl<D: Density> HasDims for Adapter<'_, D> {
    fn dim_sizes(&self) -> std::collections::HashMap<String, u64> {
        std::collections::HashMap::from([("unconstrained_parameter".to_string(), self.0.dim() as u64)])
    }
}

impl<D: Density> CpuLogpFunc for Adapter<'_, D> {
    type LogpError = NotFinite;
    type ExpandedVector = Vec<f64>;
    type FlowParameters = ();

    fn dim(&self) -> usize {
        self.0.dim()
    }

    fn logp(&mut self, position: &[f64], gradient: &mut [f64]) -> Result<f64, NotFinite> {
        let v = self.0.logp(position, gradient);
        if v.is_finite() && gradient.iter().all(|g| g.is_finite()) { Ok(v) } else { Err(NotFinite) }
    }

    fn expand_vector<R: nuts_rs::rand::Rng + ?Sized>(
        &mut self,
        _rng: &mut R,
        array: &[f64],
    ) -> Result<Vec<f64>, CpuMathError> {
        Ok(array.to_vec())
    }
}

/// Why sampling failed.
#[derive(Debug, thiserror::Error)]
#[error("the sampler failed: {0}")]
pub struct SampleError(String);

fn chain<D: Density>(density: &D, plan: &Plan, c: usize) -> Result<(Vec<Vec<f64>>, u64), SampleError> {
    // Smaller steps than the default 0.8's: hierarchical posteriors have curvature that
    // varies with the spread between groups, and divergences there bias it.
    if plan.low_rank {
        let mut settings =
            LowRankNutsSettings { num_tune: plan.tune, num_draws: plan.draws, ..LowRankNutsSettings::default() };
        settings.adapt_options.step_size_settings.target_accept = 0.9;
        run_chain(density, plan, c, &settings)
    } else {
        let mut settings =
            DiagNutsSettings { num_tune: plan.tune, num_draws: plan.draws, ..DiagNutsSettings::default() };
        settings.adapt_options.step_size_settings.target_accept = 0.9;
        run_chain(density, plan, c, &settings)
    }
}

fn run_chain<D: Density, S: Settings>(
    density: &D,
    plan: &Plan,
    c: usize,
    settings: &S,
) -> Result<(Vec<Vec<f64>>, u64), SampleError> {
    let mut rng = stream(plan.seed, 0, ALL_AUTHORITIES, c as u64, Purpose::Posterior);
    let math = CpuMath::new(Adapter(density));
    let mut sampler = settings.new_chain(c as u64, math, &mut rng).map_err(|e| SampleError(e.to_string()))?;
    sampler.set_position(&density.start(c)).map_err(|e| SampleError(e.to_string()))?;
    let mut kept = Vec::with_capacity(plan.draws as usize);
    let mut divergences = 0;
    for i in 0..plan.tune + plan.draws {
        let (draw, info) = sampler.draw().map_err(|e| SampleError(e.to_string()))?;
        if i >= plan.tune {
            divergences += info.diverging as u64;
            kept.push(draw.to_vec());
        }
    }
    Ok((kept, divergences))
}

/// Samples `density` by `plan`, the chains in parallel when `parallel`.
pub fn sample<D: Density>(density: &D, plan: &Plan, parallel: bool) -> Result<Draws, SampleError> {
    let run = |c: usize| chain(density, plan, c);
    let chains: Vec<(Vec<Vec<f64>>, u64)> = if parallel {
        (0..plan.chains).into_par_iter().map(run).collect::<Result<_, _>>()?
    } else {
        (0..plan.chains).map(run).collect::<Result<_, _>>()?
    };
    let divergences = chains.iter().map(|c| c.1).sum();
    Ok(Draws { draws: chains.into_iter().map(|c| c.0).collect(), divergences })
}
