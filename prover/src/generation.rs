//! The trace as the prover's matrices: the file's rows, then padding rows up to a power of two
//! exactly as `schemas/air-v2.json` (`padding`) describes them; and the memory table's matrix,
//! one column of hit counts per lookup into a public table (how often each entry is looked up).

use p3_field::PrimeCharacteristicRing;
use p3_goldilocks::Goldilocks;
use p3_matrix::dense::RowMajorMatrix;

use crate::circuit::{Circuit, Monomial};
use crate::error::ProveError;
use crate::trace::TraceFile;

/// Smallest height: the public memory tables (≤ 255 entries) live in the first rows.
pub const MIN_LOG_HEIGHT: usize = 8;
/// Largest: log gaps are decomposed into 29 bits.
pub const MAX_LOG_HEIGHT: usize = 29;
const NO_ACCESS_ADDR: i64 = 256;

/// log2 of the padded height of a trace of `rows` steps.
pub fn log_height(rows: usize) -> usize {
    rows.next_power_of_two()
        .trailing_zeros()
        .max(MIN_LOG_HEIGHT as u32) as usize
}

/// Height of the memory table instance: it holds at most 255 cells.
pub const TABLE_LOG_HEIGHT: usize = 8;

/// Integer matrix (row-major, the circuit's flat cells) of the padded trace.
pub struct Witness {
    pub width: usize,
    pub height: usize,
    pub values: Vec<i64>,
}

impl Witness {
    pub fn get(&self, row: usize, cell: usize) -> i64 {
        self.values[row * self.width + cell]
    }

    /// Evaluate a polynomial on a row (next row cyclically), in i128 (exact for every valid trace).
    pub fn eval(&self, monomials: &[Monomial], row: usize) -> i128 {
        let next = (row + 1) % self.height;
        monomials
            .iter()
            .map(|m| {
                m.cells
                    .iter()
                    .fold(i128::from(m.coef), |acc, &(cell, is_next)| {
                        acc * i128::from(self.get(if is_next { next } else { row }, cell))
                    })
            })
            .sum()
    }

    pub fn to_field(&self) -> RowMajorMatrix<Goldilocks> {
        RowMajorMatrix::new(
            self.values
                .iter()
                .map(|&v| Goldilocks::from_i64(v))
                .collect(),
            self.width,
        )
    }
}

/// Number of columns after the circuit's: one per lookup argument into a public table.
pub fn hit_columns(circuit: &Circuit) -> Vec<usize> {
    circuit
        .arguments
        .iter()
        .enumerate()
        .filter(|(_, a)| a.kind == "lookup" && a.right.table.is_some())
        .map(|(i, _)| i)
        .collect()
}

/// Build the padded matrix of `trace` for `circuit`.
pub fn build_witness(circuit: &Circuit, trace: &TraceFile) -> Result<Witness, ProveError> {
    let rows = trace.rows;
    let log = log_height(rows);
    if log > MAX_LOG_HEIGHT {
        return Err(ProveError::TooLong { rows });
    }
    let height = 1usize << log;
    let width = circuit.width;
    let mut values = vec![0i64; width * height];
    // Row by row (each column's data read in order, the matrix written in order): column by
    // column wrote one cache line per row and took 1.9 s at 1M rows, this 0.5 s.
    for (r, row) in values.chunks_exact_mut(width).take(rows).enumerate() {
        for (column, data) in circuit.columns.iter().zip(&trace.columns) {
            row[column.offset..column.offset + column.width]
                .copy_from_slice(&data[r * column.width..(r + 1) * column.width]);
        }
    }
    let cell = |name: &str| {
        circuit
            .offset(name)
            .ok_or_else(|| ProveError::Prover(format!("the circuit has no column '{name}'")))
    };
    let (step, input, access_addr) = (cell("step")?, cell("input")?, cell("access_addr")?);
    let (log_step, log_addr, log_addr_bits, log_first, log_gap_bits) = (
        cell("log_step")?,
        cell("log_addr")?,
        cell("log_addr_bits")?,
        cell("log_first")?,
        cell("log_gap_bits")?,
    );
    let gap_bits = circuit
        .columns
        .iter()
        .find(|c| c.name == "log_gap_bits")
        .map_or(0, |c| c.width);
    let addr_bits = circuit
        .columns
        .iter()
        .find(|c| c.name == "log_addr_bits")
        .map_or(0, |c| c.width);
    let mut prev_addr = values[(rows - 1) * width + log_addr];
    let mut prev_step = values[(rows - 1) * width + log_step];
    // Padding steps continue the counter: a segment's rows start at its initial step.
    let first_step = circuit.statement.initial.step;
    for r in rows..height {
        let row = &mut values[r * width..(r + 1) * width];
        let s = first_step + r as i64;
        row[step] = s;
        row[input] = 1; // x[0]: the constant
        row[input + 2] = 1; // x[2]: PC+1 at pc 0
        row[access_addr] = NO_ACCESS_ADDR;
        // The sorted log continues with the padding rows' no-access entries.
        let first = prev_addr != NO_ACCESS_ADDR;
        let gap = if first {
            NO_ACCESS_ADDR - prev_addr - 1
        } else {
            s - prev_step - 1
        };
        row[log_step] = s;
        row[log_addr] = NO_ACCESS_ADDR;
        for i in 0..addr_bits {
            row[log_addr_bits + i] = (NO_ACCESS_ADDR >> i) & 1;
        }
        row[log_first] = i64::from(first);
        for i in 0..gap_bits {
            row[log_gap_bits + i] = (gap >> i) & 1;
        }
        (prev_addr, prev_step) = (NO_ACCESS_ADDR, s);
    }
    Ok(Witness {
        width,
        height,
        values,
    })
}

/// The memory table instance's main matrix: per lookup into a public table, each entry's hit count.
pub fn table_matrix(circuit: &Circuit, witness: &Witness) -> RowMajorMatrix<Goldilocks> {
    let lookups = hit_columns(circuit);
    let width = lookups.len().max(1);
    let height = 1usize << TABLE_LOG_HEIGHT;
    let mut values = vec![Goldilocks::ZERO; width * height];
    for (h, &index) in lookups.iter().enumerate() {
        let argument = &circuit.arguments[index];
        let Some((multiplicity, tuple)) = &argument.left.rows else {
            continue;
        };
        let table = argument
            .right
            .table
            .as_deref()
            .and_then(|t| circuit.tables.get(t))
            .cloned()
            .unwrap_or_default();
        let mut hits = vec![0i64; table.len()];
        for r in 0..witness.height {
            if witness.eval(multiplicity, r) == 0 || tuple.len() != 2 {
                continue;
            }
            let (a, v) = (witness.get(r, tuple[0]), witness.get(r, tuple[1]));
            if let Ok(slot) = usize::try_from(a)
                && slot < table.len()
                && table[slot] == v
            {
                hits[slot] += 1;
            }
        }
        for (a, &count) in hits.iter().enumerate() {
            if a < height {
                values[a * width + h] = Goldilocks::from_i64(count);
            }
        }
    }
    RowMajorMatrix::new(values, width)
}
