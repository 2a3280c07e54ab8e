//! Errors at each boundary, each one line (`Display`) with one exit code, as the CLI's
//! (`src/cli/errors.ts`): 1 for a trace that fails its constraints or a proof that is rejected,
//! 2 for input that cannot be read, 64 for usage.

use thiserror::Error;

/// Exit codes, the same as `tvm-trace`'s.
pub mod exit {
    pub const REJECTED: i32 = 1;
    pub const BAD_INPUT: i32 = 2;
    pub const USAGE: i32 = 64;
}

/// The trace file cannot be used: not Arrow, truncated, another schema, columns that do not match.
#[derive(Debug, Error)]
pub enum TraceError {
    #[error("{path}: cannot read: {reason}")]
    Io { path: String, reason: String },
    #[error("{path}: not a readable Arrow IPC file: {reason}")]
    Arrow { path: String, reason: String },
    #[error("{path}: trace schema '{got}', expected '{expected}'")]
    Schema {
        path: String,
        expected: String,
        got: String,
    },
    #[error("{path}: metadata '{key}' {problem}")]
    Metadata {
        path: String,
        key: String,
        problem: String,
    },
    #[error("{path}: column {index} is '{got}', expected '{expected}'")]
    ColumnName {
        path: String,
        index: usize,
        expected: String,
        got: String,
    },
    #[error("{path}: column '{column}' has type {got}, expected {expected}")]
    ColumnType {
        path: String,
        column: String,
        expected: String,
        got: String,
    },
    #[error("{path}: {problem}")]
    Shape { path: String, problem: String },
}

/// The circuit document (from `tvm-trace`) is unreadable or inconsistent.
#[derive(Debug, Error)]
pub enum CircuitError {
    #[error("{path}: cannot read: {reason}")]
    Io { path: String, reason: String },
    #[error("{path}: not a tvm-trace circuit: {reason}")]
    Format { path: String, reason: String },
}

/// Proving did not produce a proof.
#[derive(Debug, Error)]
pub enum ProveError {
    #[error(transparent)]
    Trace(#[from] TraceError),
    #[error(transparent)]
    Circuit(#[from] CircuitError),
    #[error("the trace fails {constraint}{location}: no proof made")]
    Unsatisfied {
        constraint: String,
        location: String,
    },
    #[error("the trace is {rows} rows, more than the AIR supports (2^29)")]
    TooLong { rows: usize },
    #[error(
        "the run faulted ({message}): a faulted run is not proved, only halted runs and runs stopped at max_steps"
    )]
    Faulted { message: String },
    #[error("the prover failed: {0}")]
    Prover(String),
    #[error("{path}: cannot write: {reason}")]
    Write { path: String, reason: String },
}

/// A proof that does not verify, or cannot be read.
#[derive(Debug, Error)]
pub enum VerifyError {
    #[error(transparent)]
    Circuit(#[from] CircuitError),
    #[error("{path}: cannot read: {reason}")]
    Io { path: String, reason: String },
    #[error("{path}: not a tvm-trace proof: {reason}")]
    Format { path: String, reason: String },
    #[error("rejected: the proof is of another statement (circuit {proof}, expected {expected})")]
    Statement { proof: String, expected: String },
    #[error("rejected: the proof's parameters ({got}) are weaker than required ({required})")]
    WeakParameters { got: String, required: String },
    #[error("rejected: {0}")]
    Invalid(String),
}

impl ProveError {
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Unsatisfied { .. } | Self::Faulted { .. } => exit::REJECTED,
            _ => exit::BAD_INPUT,
        }
    }
}

impl VerifyError {
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Statement { .. } | Self::WeakParameters { .. } | Self::Invalid(_) => {
                exit::REJECTED
            }
            _ => exit::BAD_INPUT,
        }
    }
}

/// The AIR document cannot be expanded for this program (a schema or table mismatch).
#[derive(Debug, Error)]
pub enum AirError {
    #[error("air-v2.json: {0}")]
    Schema(String),
    #[error("AIR expansion: {0}")]
    Expand(String),
    #[error("AIR expansion: no table or public value '{0}'")]
    MissingTable(String),
}

/// The verifier's statement cannot be built from the program and claim it is given.
#[derive(Debug, Error)]
pub enum StatementError {
    #[error("{path}: cannot read: {reason}")]
    Io { path: String, reason: String },
    #[error("{path}: {reason}")]
    Format { path: String, reason: String },
    /// The claim or proof does not fit the program (another program, initial memory, a fault).
    #[error("rejected: {0}")]
    Mismatch(String),
    #[error(transparent)]
    Air(#[from] AirError),
}

impl StatementError {
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Mismatch(_) => exit::REJECTED,
            _ => exit::BAD_INPUT,
        }
    }
}
