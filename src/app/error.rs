//! The application's one error type. An [`AppError`] says what went wrong and, by its kind,
//! which exit code the process gives: 2 for bad input, 1 for a run that failed. The core's
//! errors convert into it with `?`, each into the kind it always is (a scenario that does not
//! validate is bad input; a model that cannot be calibrated, an I/O error or a writer that
//! stopped is a failed run), so a command states a kind only where the same error type can
//! be either ([`AppError::bad`]).

use std::fmt;

/// Exit code for bad input.
pub const EXIT_BAD_INPUT: i32 = 2;
/// Exit code for a run that failed.
pub const EXIT_RUN_FAILED: i32 = 1;

/// An error with the exit code it gives.
#[derive(Debug)]
pub enum AppError {
    /// Bad input (exit 2): a missing or invalid file, a bad flag, an `--out` that is not ours.
    BadInput(anyhow::Error),
    /// The run failed (exit 1).
    RunFailed(anyhow::Error),
}

impl AppError {
    /// Bad input.
    pub fn bad(e: impl Into<anyhow::Error>) -> AppError {
        AppError::BadInput(e.into())
    }

    /// A failed run.
    pub fn failed(e: impl Into<anyhow::Error>) -> AppError {
        AppError::RunFailed(e.into())
    }

    /// The process's exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            AppError::BadInput(_) => EXIT_BAD_INPUT,
            AppError::RunFailed(_) => EXIT_RUN_FAILED,
        }
    }

    /// The error itself, with its causes.
    pub fn error(&self) -> &anyhow::Error {
        match self {
            AppError::BadInput(e) | AppError::RunFailed(e) => e,
        }
    }

    /// The same kind of error, with other words (a summary of several).
    pub fn replaced(self, e: anyhow::Error) -> AppError {
        match self {
            AppError::BadInput(_) => AppError::BadInput(e),
            AppError::RunFailed(_) => AppError::RunFailed(e),
        }
    }
}

impl fmt::Display for AppError {
    /// The error and its causes on one line, as the terminal shows it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}", self.error())
    }
}

impl std::error::Error for AppError {}

/// Anything else that goes wrong while a command works is a failed run.
impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> AppError {
        AppError::RunFailed(e)
    }
}

/// A scenario that does not validate is bad input.
impl From<crate::scenario::ScenarioError> for AppError {
    fn from(e: crate::scenario::ScenarioError) -> AppError {
        AppError::BadInput(e.into())
    }
}

/// A model that cannot be built or calibrated fails the run.
impl From<crate::model::ModelError> for AppError {
    fn from(e: crate::model::ModelError) -> AppError {
        AppError::RunFailed(e.into())
    }
}

/// A destination that is not ours is bad input; failing to write it fails the run.
impl From<super::staging::StageError> for AppError {
    fn from(e: super::staging::StageError) -> AppError {
        match e.exit_code() {
            EXIT_BAD_INPUT => AppError::BadInput(e.into()),
            _ => AppError::RunFailed(e.into()),
        }
    }
}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> AppError {
        AppError::RunFailed(e.into())
    }
}

impl From<serde_json::Error> for AppError {
    fn from(e: serde_json::Error) -> AppError {
        AppError::RunFailed(e.into())
    }
}
