//! The circuit document `tvm-trace` writes for one statement (`src/prove/circuit.ts`):
//! `schemas/air-v2.json` expanded against the program's tables and the boundary states, as
//! polynomials over the trace's flat cells. The prover proves it; the verifier is given its
//! own copy, built from the program and the claim, and checks the proof is of that copy.

use std::collections::BTreeMap;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::CircuitError;

pub const CIRCUIT_VERSION: &str = "tvm-trace/circuit/v1";
pub const AIR_VERSION: &str = "tvm-trace/air/v2";

pub use crate::schema::RowKind;

/// One term: coefficient × product of cells (flat index, read on the next row?).
#[derive(Clone, Debug)]
pub struct Monomial {
    pub coef: i64,
    pub cells: Vec<(usize, bool)>,
}

#[derive(Clone, Debug)]
pub struct Constraint {
    pub name: String,
    pub rows: RowKind,
    pub monomials: Vec<Monomial>,
}

/// One side of a memory argument: rows' tuples with a multiplicity, and/or a public table.
#[derive(Clone, Debug, Default)]
pub struct Side {
    pub table: Option<String>,
    pub rows: Option<(Vec<Monomial>, Vec<usize>)>,
}

#[derive(Clone, Debug)]
pub struct Argument {
    pub name: String,
    pub kind: String,
    pub left: Side,
    pub right: Side,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub width: usize,
    pub offset: usize,
}

/// A boundary state as the statement gives it.
#[derive(Clone, Debug, Deserialize, serde::Serialize, PartialEq, Eq)]
pub struct Boundary {
    pub step: i64,
    pub pc: i64,
    pub acc: i64,
    pub sp: i64,
    pub zero_flag: i64,
    pub carry_flag: i64,
    #[serde(default)]
    pub halted: i64,
    pub memory: Vec<i64>,
}

/// Where a segment sits in its run: segment `index` of `rows` steps each (a power of two).
#[derive(Clone, Copy, Debug, Deserialize, serde::Serialize, PartialEq, Eq)]
pub struct SegmentPosition {
    pub index: i64,
    pub rows: i64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Statement {
    pub weights_sha256: String,
    pub ff_dim: usize,
    pub instructions: usize,
    pub memory_size: usize,
    pub max_steps: i64,
    /// Set for one segment of a longer run; absent (a whole run) otherwise.
    #[serde(default)]
    pub segment: Option<SegmentPosition>,
    pub initial: Boundary,
    #[serde(rename = "final")]
    pub end: Boundary,
}

/// The expanded AIR of one statement.
#[derive(Clone, Debug)]
pub struct Circuit {
    pub statement: Statement,
    pub columns: Vec<Column>,
    pub width: usize,
    pub constraints: Vec<Constraint>,
    pub arguments: Vec<Argument>,
    pub tables: BTreeMap<String, Vec<i64>>,
    /// SHA-256 of the document's bytes: what a proof commits to.
    pub sha256: [u8; 32],
}

#[derive(Deserialize)]
struct WireSide {
    table: Option<String>,
    rows: Option<WireRows>,
}

#[derive(Deserialize)]
struct WireRows {
    multiplicity: Vec<Vec<serde_json::Value>>,
    tuple: Vec<usize>,
}

#[derive(Deserialize)]
struct WireArgument {
    name: String,
    kind: String,
    left: WireSide,
    right: WireSide,
}

#[derive(Deserialize)]
struct WireConstraint {
    name: String,
    rows: RowKind,
    monomials: Vec<Vec<serde_json::Value>>,
}

#[derive(Deserialize)]
struct WireCircuit {
    version: String,
    air: String,
    statement: Statement,
    columns: Vec<Column>,
    width: usize,
    constraints: Vec<WireConstraint>,
    arguments: Vec<WireArgument>,
    tables: BTreeMap<String, Vec<i64>>,
}

fn monomial(value: &[serde_json::Value], width: usize) -> Result<Monomial, String> {
    let (coef, cells) = value.split_first().ok_or("an empty monomial")?;
    let coef = coef
        .as_str()
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or("a coefficient that is not an integer string")?;
    let cells = cells
        .iter()
        .map(|cell| {
            let pair = cell
                .as_array()
                .filter(|p| p.len() == 2)
                .ok_or("a cell that is not [index, next]")?;
            let index = pair[0]
                .as_u64()
                .map(|i| i as usize)
                .filter(|&i| i < width)
                .ok_or("a cell index outside the row")?;
            let next = match pair[1].as_u64() {
                Some(0) => false,
                Some(1) => true,
                _ => return Err("a cell whose next flag is not 0 or 1"),
            };
            Ok((index, next))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Monomial { coef, cells })
}

fn side(wire: WireSide, width: usize) -> Result<Side, String> {
    let rows = match wire.rows {
        None => None,
        Some(rows) => {
            if rows.tuple.iter().any(|&c| c >= width) {
                return Err("a tuple cell outside the row".into());
            }
            Some((
                rows.multiplicity
                    .iter()
                    .map(|m| monomial(m, width))
                    .collect::<Result<Vec<_>, _>>()?,
                rows.tuple,
            ))
        }
    };
    Ok(Side {
        table: wire.table,
        rows,
    })
}

impl Circuit {
    /// Parse a circuit document from its bytes.
    pub fn from_bytes(bytes: &[u8], path: &str) -> Result<Self, CircuitError> {
        let format = |reason: String| CircuitError::Format {
            path: path.to_string(),
            reason,
        };
        let wire: WireCircuit = serde_json::from_slice(bytes).map_err(|e| format(e.to_string()))?;
        if wire.version != CIRCUIT_VERSION {
            return Err(format(format!(
                "version '{}', expected '{CIRCUIT_VERSION}'",
                wire.version
            )));
        }
        if wire.air != AIR_VERSION {
            return Err(format(format!(
                "AIR '{}', expected '{AIR_VERSION}'",
                wire.air
            )));
        }
        let mut offset = 0;
        for column in &wire.columns {
            if column.offset != offset {
                return Err(format(format!(
                    "column '{}' at offset {}, expected {offset}",
                    column.name, column.offset
                )));
            }
            offset += column.width;
        }
        if offset != wire.width {
            return Err(format(format!(
                "columns span {offset} cells, the document says {}",
                wire.width
            )));
        }
        let width = wire.width;
        let constraints = wire
            .constraints
            .into_iter()
            .map(|c| {
                let monomials = c
                    .monomials
                    .iter()
                    .map(|m| monomial(m, width))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Constraint {
                    name: c.name,
                    rows: c.rows,
                    monomials,
                })
            })
            .collect::<Result<Vec<_>, String>>()
            .map_err(format)?;
        let arguments = wire
            .arguments
            .into_iter()
            .map(|a| {
                Ok(Argument {
                    name: a.name,
                    kind: a.kind,
                    left: side(a.left, width)?,
                    right: side(a.right, width)?,
                })
            })
            .collect::<Result<Vec<_>, String>>()
            .map_err(format)?;
        let n = wire.statement.memory_size;
        for name in ["initial_memory", "final_memory"] {
            if wire.tables.get(name).map(Vec::len) != Some(n) {
                return Err(format(format!(
                    "table '{name}' must have memory_size = {n} entries"
                )));
            }
        }
        Ok(Self {
            statement: wire.statement,
            columns: wire.columns,
            width,
            constraints,
            arguments,
            tables: wire.tables,
            sha256: Sha256::digest(bytes).into(),
        })
    }

    /// Read a circuit document from a file.
    pub fn read(path: &str) -> Result<Self, CircuitError> {
        let bytes = std::fs::read(path).map_err(|e| CircuitError::Io {
            path: path.to_string(),
            reason: e.kind().to_string(),
        })?;
        Self::from_bytes(&bytes, path)
    }

    /// The first flat cell of a column.
    pub fn offset(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.offset)
    }

    /// The circuit digest as hex.
    pub fn sha256_hex(&self) -> String {
        self.sha256.iter().map(|b| format!("{b:02x}")).collect()
    }
}
