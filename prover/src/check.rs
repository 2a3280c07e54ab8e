//! The circuit evaluated on a padded witness, exactly (over the integers): every constraint
//! on its rows and every memory argument as multisets. The prover runs it first, so that a
//! trace that fails is named (constraint and row, as `tvm-trace check` names it) and never proved.

use std::collections::{HashMap, HashSet};

use crate::circuit::{Circuit, Side, Statement};
use crate::eval::{Evaluator, FastHash};
use crate::generation::Witness;

/// A constraint or argument that does not hold, and the row where it first fails (none for a whole-trace argument).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub constraint: String,
    pub row: Option<usize>,
}

/// The verifier obligations of `schemas/air-v2.json` on the public statement (those a
/// circuit does not already fix): every boundary state is a machine state, the claim's steps
/// fit max_steps, and a run that did not halt used all of them (faulted runs are not proved).
pub fn statement_failures(s: &Statement) -> Vec<Failure> {
    let n = s.memory_size as i64;
    let word = -32768..=32767;
    let bit = 0..=1;
    let mut failures = Vec::new();
    let mut fail = |name: &str| {
        failures.push(Failure {
            constraint: name.to_string(),
            row: None,
        })
    };
    for b in [&s.initial, &s.end] {
        let in_range = (0..=255).contains(&b.pc)
            && word.contains(&b.acc)
            && (0..=n).contains(&b.sp)
            && bit.contains(&b.zero_flag)
            && bit.contains(&b.carry_flag)
            && bit.contains(&b.halted)
            && b.memory.len() == s.memory_size
            && b.memory.iter().all(|v| word.contains(v));
        if !in_range {
            fail("statement.ranges");
        }
    }
    if s.initial.step < 0 || s.end.step <= s.initial.step {
        fail("statement.ranges");
    }
    let initial = &s.initial;
    if initial.step != 0
        || initial.pc != 0
        || initial.acc != 0
        || initial.sp != n
        || initial.zero_flag != 1
        || initial.carry_flag != 0
        || initial.halted != 0
    {
        fail("statement.initial_state");
    }
    if s.end.step - s.initial.step > s.max_steps {
        fail("claim.steps");
    }
    if s.end.halted == 0 && s.end.step - s.initial.step != s.max_steps {
        fail("claim.ending");
    }
    failures
}

/// Up to `max` failures, rows in order, then the arguments.
pub fn check_witness(circuit: &Circuit, witness: &Witness, max: usize) -> Vec<Failure> {
    let h = witness.height;
    let mut failures: Vec<Failure> = Evaluator::new(circuit)
        .failures(&witness.values, h, max)
        .into_iter()
        .map(|(k, row)| Failure {
            constraint: circuit.constraints[k].name.clone(),
            row: Some(row),
        })
        .collect();
    for argument in &circuit.arguments {
        if failures.len() >= max {
            break;
        }
        let table = |side: &Side| -> Vec<Vec<i64>> {
            side.table
                .as_deref()
                .and_then(|t| circuit.tables.get(t))
                .map_or_else(Vec::new, |values| {
                    values
                        .iter()
                        .enumerate()
                        .map(|(a, &v)| vec![a as i64, v])
                        .collect()
                })
        };
        let mut balance: HashMap<Vec<i64>, i128, FastHash> = HashMap::default();
        let mut first_row: HashMap<Vec<i64>, usize, FastHash> = HashMap::default();
        let mut add_rows =
            |side: &Side, sign: i128, balance: &mut HashMap<Vec<i64>, i128, FastHash>| {
                if let Some((multiplicity, tuple)) = &side.rows {
                    for row in 0..h {
                        let m = witness.eval(multiplicity, row);
                        if m != 0 {
                            let key: Vec<i64> =
                                tuple.iter().map(|&c| witness.get(row, c)).collect();
                            first_row.entry(key.clone()).or_insert(row);
                            *balance.entry(key).or_default() += sign * m;
                        }
                    }
                }
            };
        let fail = if argument.kind == "lookup" {
            add_rows(&argument.left, 1, &mut balance);
            let entries: HashSet<Vec<i64>, FastHash> = table(&argument.right).into_iter().collect();
            let mut missing: Vec<(usize, Vec<i64>)> = balance
                .keys()
                .filter(|k| !entries.contains(*k))
                .map(|k| (first_row[k], k.clone()))
                .collect();
            missing.sort();
            missing.first().map(|(row, _)| Some(*row))
        } else {
            add_rows(&argument.left, 1, &mut balance);
            add_rows(&argument.right, -1, &mut balance);
            for entry in table(&argument.left) {
                *balance.entry(entry).or_default() += 1;
            }
            for entry in table(&argument.right) {
                *balance.entry(entry).or_default() -= 1;
            }
            let mut unbalanced: Vec<Option<usize>> = balance
                .iter()
                .filter(|(_, n)| **n != 0)
                .map(|(k, _)| first_row.get(k).copied())
                .collect();
            unbalanced.sort();
            unbalanced.first().copied()
        };
        if let Some(row) = fail {
            failures.push(Failure {
                constraint: argument.name.clone(),
                row,
            });
        }
    }
    failures
}
