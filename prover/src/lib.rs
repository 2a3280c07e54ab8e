//! Reads tvm-trace witnesses (trace schema v2) and proves and verifies them against
//! `schemas/air-v2.json` with Plonky3 over Goldilocks.

// Owned by the witness side: reading files, the program's tables, the trace matrix, the Rust check.
mod check;
mod error;
mod generation;
mod program;
mod tables;
mod trace;

// Owned by the proof side: the AIR document, its expansion, the Plonky3 AIR, proving and verifying.
mod air;
mod columns;
mod config;
mod expand;
mod memory;
mod proof;
mod public;
mod schema;
