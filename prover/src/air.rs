//! The AIRs of a proof, two instances of one batch: `Steps`, the circuit's polynomials over
//! the padded trace (every constraint on its rows, the access/log permutation as a local LogUp
//! bus), and `MemoryTable`, the public initial and final memory as preprocessed columns of a
//! 2^8-row instance the verifier commits to itself from its statement. The two memory
//! arguments with a public table are global buses between them (`push_interaction`), so the
//! verifier never commits to anything as tall as the trace.

use std::sync::Arc;

use p3_air::{Air, AirBuilder, BaseAir, PermutationAirBuilder, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

use crate::circuit::{Circuit, Monomial, RowKind};
use crate::generation::{TABLE_LOG_HEIGHT, hit_columns};

/// Preprocessed columns of the memory table: address, 1 on a table row, initial and final memory.
const PRE_ADDR: usize = 0;
const PRE_IS_TABLE: usize = 1;
const PRE_INITIAL: usize = 2;
const PRE_FINAL: usize = 3;
const PRE_WIDTH: usize = 4;
/// Public values: the circuit's SHA-256 as eight 32-bit limbs (binds the statement into the transcript).
pub const PUBLIC_VALUES: usize = 8;

/// One message on a bus: its tuple and signed count.
type Message<E> = (Vec<E>, Count<E>);

#[derive(Clone, Debug)]
pub enum TvmAir {
    /// The trace: main width = the circuit's cells.
    Steps(Arc<Circuit>),
    /// The public memory tables; main columns: one hit count per lookup into a table.
    MemoryTable(Arc<Circuit>),
}

impl TvmAir {
    /// The batch of a proof: the steps, then the memory table.
    pub fn batch(circuit: &Arc<Circuit>) -> [Self; 2] {
        [
            Self::Steps(circuit.clone()),
            Self::MemoryTable(circuit.clone()),
        ]
    }

    pub fn public_values<F: PrimeCharacteristicRing>(circuit: &Circuit) -> Vec<F> {
        circuit
            .sha256
            .chunks(4)
            .map(|c| F::from_u32(u32::from_le_bytes([c[0], c[1], c[2], c[3]])))
            .collect()
    }

    fn table_column(name: &str) -> Option<usize> {
        match name {
            "initial_memory" => Some(PRE_INITIAL),
            "final_memory" => Some(PRE_FINAL),
            _ => None,
        }
    }

    fn circuit(&self) -> &Circuit {
        match self {
            Self::Steps(c) | Self::MemoryTable(c) => c,
        }
    }
}

impl<F: Field> BaseAir<F> for TvmAir {
    fn width(&self) -> usize {
        match self {
            Self::Steps(c) => c.width,
            Self::MemoryTable(c) => hit_columns(c).len().max(1),
        }
    }

    fn num_public_values(&self) -> usize {
        PUBLIC_VALUES
    }

    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<F>> {
        let Self::MemoryTable(circuit) = self else {
            return None;
        };
        let height = 1usize << TABLE_LOG_HEIGHT;
        let mut values = F::zero_vec(height * PRE_WIDTH);
        let empty = Vec::new();
        let initial = circuit.tables.get("initial_memory").unwrap_or(&empty);
        let end = circuit.tables.get("final_memory").unwrap_or(&empty);
        for a in 0..circuit.statement.memory_size.min(height) {
            let row = &mut values[a * PRE_WIDTH..(a + 1) * PRE_WIDTH];
            row[PRE_ADDR] = F::from_usize(a);
            row[PRE_IS_TABLE] = F::ONE;
            row[PRE_INITIAL] = F::from_i64(initial.get(a).copied().unwrap_or(0));
            row[PRE_FINAL] = F::from_i64(end.get(a).copied().unwrap_or(0));
        }
        Some(RowMajorMatrix::new(values, PRE_WIDTH))
    }

    fn preprocessed_width(&self) -> usize {
        match self {
            Self::Steps(_) => 0,
            Self::MemoryTable(_) => PRE_WIDTH,
        }
    }

    fn preprocessed_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
}

fn polynomial<AB: AirBuilder>(
    monomials: &[Monomial],
    local: &[AB::Var],
    next: &[AB::Var],
) -> AB::Expr {
    let mut sum = AB::Expr::ZERO;
    for m in monomials {
        let mut term = AB::Expr::from_i64(m.coef);
        for &(cell, is_next) in &m.cells {
            term *= if is_next { next[cell] } else { local[cell] }.into();
        }
        sum += term;
    }
    sum
}

impl<AB> Air<AB> for TvmAir
where
    AB: AirBuilder + PermutationAirBuilder + InteractionBuilder,
{
    fn eval(&self, builder: &mut AB) {
        let circuit = self.circuit();
        let main = builder.main();
        let local: Vec<AB::Var> = main.current_slice().to_vec();
        let next: Vec<AB::Var> = main.next_slice().to_vec();
        match self {
            Self::Steps(_) => {
                for constraint in &circuit.constraints {
                    let value = polynomial::<AB>(&constraint.monomials, &local, &next);
                    match constraint.rows {
                        RowKind::Every => builder.assert_zero(value),
                        RowKind::Transition => builder.when_transition().assert_zero(value),
                        RowKind::First => builder.when_first_row().assert_zero(value),
                        RowKind::Last => builder.when_last_row().assert_zero(value),
                    }
                }
                for argument in &circuit.arguments {
                    let mut local_bus: Vec<Message<AB::Expr>> = Vec::new();
                    let global = argument.left.table.is_some() || argument.right.table.is_some();
                    for (sign, side) in [(1i64, &argument.left), (-1i64, &argument.right)] {
                        let Some((multiplicity, tuple)) = &side.rows else {
                            continue;
                        };
                        let tuple: Vec<AB::Expr> = tuple.iter().map(|&c| local[c].into()).collect();
                        let count = polynomial::<AB>(multiplicity, &local, &next);
                        let count = Count::bounded(if sign < 0 { -count } else { count }, 1);
                        if global {
                            builder.push_interaction(&argument.name, tuple, count);
                        } else {
                            local_bus.push((tuple, count));
                        }
                    }
                    if !local_bus.is_empty() {
                        builder.push_local_interaction(local_bus);
                    }
                }
            }
            Self::MemoryTable(_) => {
                let pre: Vec<AB::Expr> = (0..PRE_WIDTH)
                    .map(|i| {
                        builder
                            .preprocessed()
                            .current(i)
                            .map_or(AB::Expr::ZERO, Into::into)
                    })
                    .collect();
                let hits = hit_columns(circuit);
                for (index, argument) in circuit.arguments.iter().enumerate() {
                    for (sign, side) in [(1i64, &argument.left), (-1i64, &argument.right)] {
                        let Some(column) = side.table.as_deref().and_then(Self::table_column)
                        else {
                            continue;
                        };
                        let tuple = vec![pre[PRE_ADDR].clone(), pre[column].clone()];
                        let count = match hits.iter().position(|&i| i == index) {
                            // A lookup's table: each entry as often as it is hit; only table rows may
                            // be hit (a hit elsewhere would add entries (0, 0) to the table).
                            Some(h) if sign < 0 => {
                                Count::provided(-(pre[PRE_IS_TABLE].clone() * local[h].into()))
                            }
                            _ => Count::bounded(
                                if sign < 0 {
                                    -pre[PRE_IS_TABLE].clone()
                                } else {
                                    pre[PRE_IS_TABLE].clone()
                                },
                                1,
                            ),
                        };
                        builder.push_interaction(&argument.name, tuple, count);
                    }
                }
            }
        }
    }
}
