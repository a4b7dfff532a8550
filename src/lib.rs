//! reunify: a microsimulation of children returning home from local-authority care in
//! England, what happens to them, and what post-return support costs and averts.
//!
//! The model is specified in `MODEL.md`. The library's core (`scenario`, `dist`, `model`,
//! `calibrate`, `hazard`, `discount`, `rng`, `sim`, `tally`, `price`, `spend`, `digest`, `analysis`, `analyses`, `budget`,
//! `decision`, `sample`, `voi`, `validation`, `wtp`, `ssda903`) is pure: it never prints, reads files or the environment, and never sees clap
//! types. Input, output and signals live in `app` and `report`, which depend on the core and
//! never the other way round.

pub mod analyses;
pub mod analysis;
pub mod app;
pub mod budget;
pub mod calibrate;
pub mod decision;
pub mod digest;
pub mod discount;
pub mod dist;
pub mod hazard;
pub mod metric;
pub mod model;
pub mod pilot;
pub mod price;
pub mod report;
pub mod results;
pub mod rng;
pub mod sample;
pub mod scenario;
pub mod sim;
pub mod spend;
pub mod ssda903;
pub mod synthesis;
pub mod tally;
pub mod validation;
pub mod voi;
pub mod wtp;
