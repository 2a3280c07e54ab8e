//! The statement of a proof — which program (its weights digest and dimensions), within which
//! `max_steps`, from which initial state to which final state — and its public values by the
//! names `schemas/air-v2.json` gives them (`initial_*`, `final_*`, both memories). The one place
//! that fixes their order: the circuit document's `statement` object (`src/prove/circuit.ts`).
//! A verifier builds it from the program and the claim it is given, never from the proof.

use serde::{Deserialize, Serialize};

use crate::columns::Dims;
use crate::tables::{Table, Tables};

/// A machine state at a segment's boundary (`halted` only in a final state).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoundaryState {
    pub step: i64,
    pub pc: i64,
    pub acc: i64,
    pub sp: i64,
    pub zero_flag: i64,
    pub carry_flag: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub halted: Option<i64>,
    pub memory: Vec<i64>,
}

/// What a proof states, field for field in the circuit document's order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicInputs {
    /// The compiled program's weights digest (`tvm.weights_sha256`, the `.tvmc`'s `weights_digest`).
    pub weights_sha256: String,
    pub ff_dim: usize,
    pub instructions: usize,
    pub memory_size: usize,
    pub max_steps: i64,
    pub initial: BoundaryState,
    #[serde(rename = "final")]
    pub end: BoundaryState,
}

impl PublicInputs {
    /// A whole run's initial state (`statement.initial_state`): step 0, pc 0, acc 0,
    /// sp = memory_size, zero 1, carry 0, the program's initial memory.
    pub fn initial_state(initial_memory: &[i64]) -> BoundaryState {
        BoundaryState {
            step: 0,
            pc: 0,
            acc: 0,
            sp: initial_memory.len() as i64,
            zero_flag: 1,
            carry_flag: 0,
            halted: None,
            memory: initial_memory.to_vec(),
        }
    }

    /// The dimensions the statement fixes.
    pub fn dims(&self) -> Dims {
        Dims {
            ff_dim: self.ff_dim,
            instructions: self.instructions,
            memory_size: self.memory_size,
        }
    }

    /// Steps the run took (`final_step - initial_step`).
    pub fn steps(&self) -> i64 {
        self.end.step - self.initial.step
    }

    /// The public values by their air-v2 names, in `public_values` order.
    pub fn values(&self) -> Vec<(String, Table)> {
        let scalar = |v: i64| Table {
            shape: vec![],
            values: vec![v],
        };
        let mut out = Vec::with_capacity(15);
        for (prefix, state) in [("initial", &self.initial), ("final", &self.end)] {
            out.push((format!("{prefix}_step"), scalar(state.step)));
            out.push((format!("{prefix}_pc"), scalar(state.pc)));
            out.push((format!("{prefix}_acc"), scalar(state.acc)));
            out.push((format!("{prefix}_sp"), scalar(state.sp)));
            out.push((format!("{prefix}_zero_flag"), scalar(state.zero_flag)));
            out.push((format!("{prefix}_carry_flag"), scalar(state.carry_flag)));
            if prefix == "final" {
                out.push(("final_halted".into(), scalar(state.halted.unwrap_or(0))));
            }
            out.push((
                format!("{prefix}_memory"),
                Table {
                    shape: vec![state.memory.len()],
                    values: state.memory.clone(),
                },
            ));
        }
        out
    }

    /// Add (or replace) the public values in `tables`, which holds the program's tables.
    pub fn insert_into(&self, tables: &mut Tables) {
        for (name, table) in self.values() {
            tables.by_name.insert(name, table);
        }
    }
}
