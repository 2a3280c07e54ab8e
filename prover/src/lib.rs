//! Proves and verifies tvm-trace witnesses (trace schema v2) against `schemas/air-v2.json`,
//! expanded per statement into a circuit, with Plonky3 0.8.0 over Goldilocks.

mod air;
mod check;
mod circuit;
mod columns;
mod config;
mod error;
mod eval;
mod expand;
mod generation;
mod msgpack;
mod prove;
mod public;
mod schema;
mod statement;
mod tables;
mod trace;

pub use air::TvmAir;
pub use check::{Failure, check_witness, statement_failures};
pub use circuit::{Boundary, Circuit, Column, Constraint, Monomial, RowKind, Statement};
pub use columns::{ColumnMap, ColumnSlot, Dims, INPUT_DIM, OUTPUT_DIM};
pub use config::{ProofParameters, SECURITY_BITS};
pub use error::{
    AirError, CircuitError, ProveError, StatementError, TraceError, VerifyError, exit,
};
pub use eval::Evaluator;
pub use expand::{
    Argument, CIRCUIT_VERSION, Cell, ConstraintInstance, Expanded, Monomial as ExpandedMonomial,
    RowsSide, Side, zero_tables,
};
pub use generation::{Witness, build_witness, log_height};
pub use prove::{ProofHeader, ProveOptions, prove, read_header, verify};
pub use public::{BoundaryState, PublicInputs};
pub use schema::{AIR_JSON, AIR_VERSION, AirSchema, ArgumentKind};
pub use statement::{
    Claim, CompiledProgram, Instruction, Unit, prover_circuit, read_metadata, verifier_circuit,
};
pub use tables::{Table, Tables};
pub use trace::{TraceFile, read_trace};
