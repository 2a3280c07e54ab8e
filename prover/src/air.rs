//! `TvmAir`: the circuit's polynomials as a Plonky3 AIR. Every constraint of the circuit is
//! asserted on its rows (every, transition, first, last); each memory argument is a LogUp
//! bus inside the AIR (`push_local_interaction`), its public tables (initial and final
//! memory) preprocessed columns the verifier rebuilds from its own statement.

use std::sync::Arc;

use p3_air::{Air, AirBuilder, BaseAir, PermutationAirBuilder, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

use crate::circuit::{Circuit, Monomial, RowKind, Side};
use crate::generation::hit_columns;

/// Preprocessed columns: table address, 1 on a table row, initial and final memory.
const PRE_ADDR: usize = 0;
const PRE_IS_TABLE: usize = 1;
const PRE_INITIAL: usize = 2;
const PRE_FINAL: usize = 3;
const PRE_WIDTH: usize = 4;
/// One message on a bus: its tuple and signed count.
type Message<E> = (Vec<E>, Count<E>);

/// Public values: the circuit's SHA-256 as eight 32-bit limbs (binds the statement into the transcript).
pub const PUBLIC_VALUES: usize = 8;

#[derive(Clone, Debug)]
pub struct TvmAir {
    circuit: Arc<Circuit>,
    log_height: usize,
    /// Main column of the hit counts of each lookup argument into a public table, by argument index.
    hits: Vec<(usize, usize)>,
}

impl TvmAir {
    pub fn new(circuit: Arc<Circuit>, log_height: usize) -> Self {
        let hits = hit_columns(&circuit)
            .into_iter()
            .enumerate()
            .map(|(h, index)| (index, circuit.width + h))
            .collect();
        Self {
            circuit,
            log_height,
            hits,
        }
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
}

impl<F: Field> BaseAir<F> for TvmAir {
    fn width(&self) -> usize {
        self.circuit.width + self.hits.len()
    }

    fn num_public_values(&self) -> usize {
        PUBLIC_VALUES
    }

    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<F>> {
        let height = 1usize << self.log_height;
        let mut values = F::zero_vec(height * PRE_WIDTH);
        let empty = Vec::new();
        let initial = self.circuit.tables.get("initial_memory").unwrap_or(&empty);
        let end = self.circuit.tables.get("final_memory").unwrap_or(&empty);
        for a in 0..self.circuit.statement.memory_size.min(height) {
            let row = &mut values[a * PRE_WIDTH..(a + 1) * PRE_WIDTH];
            row[PRE_ADDR] = F::from_usize(a);
            row[PRE_IS_TABLE] = F::ONE;
            row[PRE_INITIAL] = F::from_i64(initial.get(a).copied().unwrap_or(0));
            row[PRE_FINAL] = F::from_i64(end.get(a).copied().unwrap_or(0));
        }
        Some(RowMajorMatrix::new(values, PRE_WIDTH))
    }

    fn preprocessed_width(&self) -> usize {
        PRE_WIDTH
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
        let main = builder.main();
        let local: Vec<AB::Var> = main.current_slice().to_vec();
        let next: Vec<AB::Var> = main.next_slice().to_vec();
        for constraint in &self.circuit.constraints {
            let value = polynomial::<AB>(&constraint.monomials, &local, &next);
            match constraint.rows {
                RowKind::Every => builder.assert_zero(value),
                RowKind::Transition => builder.when_transition().assert_zero(value),
                RowKind::First => builder.when_first_row().assert_zero(value),
                RowKind::Last => builder.when_last_row().assert_zero(value),
            }
        }
        let pre: Vec<AB::Expr> = (0..PRE_WIDTH)
            .map(|i| {
                builder
                    .preprocessed()
                    .current(i)
                    .map_or(AB::Expr::ZERO, Into::into)
            })
            .collect();
        for (index, argument) in self.circuit.arguments.iter().enumerate() {
            let mut entries: Vec<Message<AB::Expr>> = Vec::new();
            let hits = self
                .hits
                .iter()
                .find(|(i, _)| *i == index)
                .map(|&(_, column)| local[column]);
            for (sign, side) in [(1i64, &argument.left), (-1i64, &argument.right)] {
                push_side::<AB>(&mut entries, side, sign, &local, &next, &pre, hits);
            }
            builder.push_local_interaction(entries);
        }
    }
}

/// One side's messages: rows' tuples with their multiplicity; a public table's entries once
/// each (or, for a lookup's table, as often as the hit column says).
fn push_side<AB: AirBuilder>(
    entries: &mut Vec<Message<AB::Expr>>,
    side: &Side,
    sign: i64,
    local: &[AB::Var],
    next: &[AB::Var],
    pre: &[AB::Expr],
    hits: Option<AB::Var>,
) {
    let signed = |e: AB::Expr| if sign < 0 { -e } else { e };
    if let Some(column) = side.table.as_deref().and_then(TvmAir::table_column) {
        let tuple = vec![pre[PRE_ADDR].clone(), pre[column].clone()];
        let count = match hits {
            // Only table rows may be hit: a hit count elsewhere would add entries (0, 0) to the table.
            Some(hits) if sign < 0 => {
                Count::provided(signed(pre[PRE_IS_TABLE].clone() * hits.into()))
            }
            _ => Count::bounded(signed(pre[PRE_IS_TABLE].clone()), 1),
        };
        entries.push((tuple, count));
    }
    if let Some((multiplicity, tuple)) = &side.rows {
        let tuple = tuple.iter().map(|&c| local[c].into()).collect();
        entries.push((
            tuple,
            Count::bounded(signed(polynomial::<AB>(multiplicity, local, next)), 1),
        ));
    }
}
