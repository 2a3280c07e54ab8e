//! The circuit's constraints compiled once for evaluation on integer rows: every monomial in
//! flat arrays (coefficient, cells as offsets into a two-row window), so the Rust check walks
//! contiguous memory instead of a `Vec` per monomial. Exact: i64 arithmetic with overflow
//! detected, i128 for the rare term that needs it. First/last-row constraints are evaluated on
//! their one row only.

use crate::circuit::{Circuit, Monomial, RowKind};

/// A compiled polynomial set. Constraint `k` is groups `starts[k]..starts[k + 1]`; group `g`
/// is `factor[g] · Σ terms[group_starts[g]..group_starts[g + 1]]`, its terms' monomials
/// without that factor. Grouping by the first cell (`selector[j]` in the table-driven
/// constraints) skips every group whose factor is 0 on the row: on a valid row all but one
/// instruction's, which is why the check does not pay instructions × inputs per row. Exact
/// whatever the row: a group skipped is a group that sums to 0.
#[derive(Clone, Debug)]
pub struct Evaluator {
    width: usize,
    rows: Vec<RowKind>,
    starts: Vec<u32>,
    /// The common factor's cell in the window `[current row ++ next row]` (`next` cells are
    /// `width + cell`), or `NO_FACTOR` for the group of constant terms.
    factor: Vec<u32>,
    group_starts: Vec<u32>,
    coefs: Vec<i64>,
    /// Cells of term `t` other than its group's factor: `cells[cell_starts[t]..cell_starts[t + 1]]`.
    cell_starts: Vec<u32>,
    cells: Vec<u32>,
}

const NO_FACTOR: u32 = u32::MAX;

/// A term summed over a block: coefficient and up to two window cells (`NO_FACTOR`: none).
type Term = (i64, u32, u32);

impl Evaluator {
    /// Compile the constraints of `circuit`.
    pub fn new(circuit: &Circuit) -> Self {
        let width = circuit.width;
        let mut out = Self {
            width,
            rows: Vec::with_capacity(circuit.constraints.len()),
            starts: vec![0],
            factor: Vec::new(),
            group_starts: vec![0],
            coefs: Vec::new(),
            cell_starts: vec![0],
            cells: Vec::new(),
        };
        let window = |&(c, next): &(usize, bool)| (c + if next { width } else { 0 }) as u32;
        for c in &circuit.constraints {
            out.rows.push(c.rows);

            let mut groups: Vec<(u32, Vec<&Monomial>)> = Vec::new();
            for m in &c.monomials {
                let factor = m.cells.first().map_or(NO_FACTOR, window);
                match groups.iter_mut().find(|(f, _)| *f == factor) {
                    Some((_, terms)) => terms.push(m),
                    None => groups.push((factor, vec![m])),
                }
            }
            for (factor, terms) in groups {
                out.factor.push(factor);
                for m in terms {
                    out.coefs.push(m.coef);
                    let rest = if factor == NO_FACTOR {
                        &m.cells[..]
                    } else {
                        &m.cells[1..]
                    };
                    out.cells.extend(rest.iter().map(window));
                    out.cell_starts.push(out.cells.len() as u32);
                }
                out.group_starts.push(out.coefs.len() as u32);
            }
            out.starts.push(out.factor.len() as u32);
        }
        out
    }

    /// Constraint `k` on the window `local ++ next`: zero or not, exactly.
    #[inline]
    fn holds(&self, k: usize, local: &[i64], next: &[i64]) -> bool {
        self.holds_checked(k, local, next)
    }

    #[inline]
    fn holds_checked(&self, k: usize, local: &[i64], next: &[i64]) -> bool {
        let cell = |c: u32| {
            let c = c as usize;
            if c < self.width {
                local[c]
            } else {
                next[c - self.width]
            }
        };
        let mut sum: i64 = 0;
        for g in self.starts[k] as usize..self.starts[k + 1] as usize {
            let f = self.factor[g];
            let factor = if f == NO_FACTOR { 1 } else { cell(f) };
            if factor == 0 {
                continue;
            }
            let mut inner: Option<i64> = Some(0);
            for t in self.group_starts[g] as usize..self.group_starts[g + 1] as usize {
                let cs =
                    &self.cells[self.cell_starts[t] as usize..self.cell_starts[t + 1] as usize];
                let mut term = Some(self.coefs[t]);
                for &c in cs {
                    term = term.and_then(|v| v.checked_mul(cell(c)));
                }
                inner = inner.and_then(|s| term.and_then(|v| s.checked_add(v)));
            }
            match inner
                .and_then(|v| v.checked_mul(factor))
                .and_then(|v| sum.checked_add(v))
            {
                Some(s) => sum = s,
                None => return self.holds_wide(k, &cell),
            }
        }
        sum == 0
    }

    /// The same sum in i128 (a term or partial sum past 2^63; air-v2 values stay far below).
    #[cold]
    fn holds_wide(&self, k: usize, cell: &dyn Fn(u32) -> i64) -> bool {
        let mut sum: i128 = 0;
        for g in self.starts[k] as usize..self.starts[k + 1] as usize {
            let f = self.factor[g];
            let factor = if f == NO_FACTOR {
                1
            } else {
                i128::from(cell(f))
            };
            for t in self.group_starts[g] as usize..self.group_starts[g + 1] as usize {
                let cs =
                    &self.cells[self.cell_starts[t] as usize..self.cell_starts[t + 1] as usize];
                let mut term = i128::from(self.coefs[t]).wrapping_mul(factor);
                for &c in cs {
                    term = term.wrapping_mul(i128::from(cell(c)));
                }
                sum = sum.wrapping_add(term);
            }
        }
        sum == 0
    }

    /// Up to `max` failing (constraint index, row) pairs of the row-major `values` (`height`
    /// rows of the circuit's width), rows in order and, within a row, constraints in order;
    /// the next row of the last is row 0 (only `transition` constraints read it, never there).
    ///
    /// Blocks of rows are transposed into columns and each constraint is summed over the whole
    /// block in wrapping i64 — exact, because it is done only for constraints whose sum is
    /// bounded below 2^62 by the largest magnitude each column actually holds (measured first);
    /// the others, and the first and last rows, go through the exact per-row evaluation.
    pub fn failures(&self, values: &[i64], height: usize, max: usize) -> Vec<(usize, usize)> {
        let w = self.width;
        let mut out = Vec::new();
        if height == 0 || values.len() < w * height || max == 0 {
            return out;
        }
        let mut largest = vec![0u64; w];
        for row in values[..w * height].chunks_exact(w) {
            for (m, &v) in largest.iter_mut().zip(row) {
                *m = (*m).max(v.unsigned_abs());
            }
        }
        let column_max: Vec<f64> = largest.iter().map(|&m| m as f64).collect();
        let window_max = |c: u32| column_max[c as usize % w];
        // Constraints summed by blocks: (k, terms as (coef, a, b), NO_FACTOR for absent cells).
        let mut blocked: Vec<(usize, Vec<Term>)> = Vec::new();
        let mut per_row: Vec<usize> = Vec::new();
        for k in 0..self.rows.len() {
            if !matches!(self.rows[k], RowKind::Every | RowKind::Transition) {
                continue;
            }
            let mut terms = Vec::new();
            let mut bound = 0f64;
            let mut fits = true;
            for g in self.starts[k] as usize..self.starts[k + 1] as usize {
                let f = self.factor[g];
                for t in self.group_starts[g] as usize..self.group_starts[g + 1] as usize {
                    let rest =
                        &self.cells[self.cell_starts[t] as usize..self.cell_starts[t + 1] as usize];
                    let mut cells: Vec<u32> = rest.to_vec();
                    if f != NO_FACTOR {
                        cells.insert(0, f);
                    }
                    if cells.len() > 2 {
                        fits = false;
                        continue;
                    }
                    let m: f64 = cells.iter().map(|&c| window_max(c)).product();
                    bound += (self.coefs[t] as f64).abs() * m;
                    terms.push((
                        self.coefs[t],
                        cells.first().copied().unwrap_or(NO_FACTOR),
                        cells.get(1).copied().unwrap_or(NO_FACTOR),
                    ));
                }
            }
            if fits && bound < 2f64.powi(62) {
                blocked.push((k, terms));
            } else {
                per_row.push(k);
            }
        }
        const BLOCK: usize = 256;
        let stride = BLOCK + 1;
        let mut scratch = vec![0i64; w * stride];
        let mut acc = vec![0i64; BLOCK];
        let mut found: Vec<(usize, usize)> = Vec::new();
        let mut start = 0;
        while start < height {
            let n = BLOCK.min(height - start);
            for r in 0..=n {
                let row = (start + r) % height;
                let src = &values[row * w..(row + 1) * w];
                for (c, &v) in src.iter().enumerate() {
                    scratch[c * stride + r] = v;
                }
            }
            let column = |c: u32| {
                let c = c as usize;
                let (col, shift) = if c < w { (c, 0) } else { (c - w, 1) };
                &scratch[col * stride + shift..col * stride + shift + n]
            };
            found.clear();
            for (k, terms) in &blocked {
                let acc = &mut acc[..n];
                acc.fill(0);
                for &(coef, a, b) in terms {
                    match (a == NO_FACTOR, b == NO_FACTOR) {
                        (true, _) => acc.iter_mut().for_each(|x| *x = x.wrapping_add(coef)),
                        (false, true) => {
                            for (x, &va) in acc.iter_mut().zip(column(a)) {
                                *x = x.wrapping_add(coef.wrapping_mul(va));
                            }
                        }
                        (false, false) => {
                            for ((x, &va), &vb) in acc.iter_mut().zip(column(a)).zip(column(b)) {
                                *x = x.wrapping_add(coef.wrapping_mul(va).wrapping_mul(vb));
                            }
                        }
                    }
                }
                for (r, &x) in acc.iter().enumerate() {
                    let row = start + r;
                    let applies = row != 0
                        && row + 1 != height
                        && (self.rows[*k] == RowKind::Every || row + 1 < height);
                    if x != 0 && applies {
                        found.push((row, *k));
                    }
                }
            }
            for r in 0..n {
                let row = start + r;
                let local = &values[row * w..(row + 1) * w];
                let next_row = if row + 1 == height { 0 } else { row + 1 };
                let next = &values[next_row * w..(next_row + 1) * w];
                if row == 0 || row + 1 == height {
                    for k in 0..self.rows.len() {
                        let applies = self.rows[k].holds_on(row, height);
                        if applies && !self.holds(k, local, next) {
                            found.push((row, k));
                        }
                    }
                } else {
                    for &k in &per_row {
                        if !self.holds(k, local, next) {
                            found.push((row, k));
                        }
                    }
                }
            }
            found.sort_unstable();
            out.extend(found.iter().map(|&(row, k)| (k, row)));
            if out.len() >= max {
                out.truncate(max);
                return out;
            }
            start += n;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generation::build_witness;
    use crate::trace::read_trace;

    /// The compiled evaluator and the plain one (`Witness::eval`, i128) agree on every
    /// constraint and row of the Fibonacci trace with cells overwritten by values of every
    /// size up to 2^45 (past i64 in a product: the wide path).
    #[test]
    fn agrees_with_the_plain_evaluation() {
        let root = env!("CARGO_MANIFEST_DIR");
        let circuit = crate::statement::prover_circuit(
            &format!("{root}/../fixtures/golden/fibonacci.arrow"),
            &format!("{root}/tests/data/fibonacci.tvmc"),
        )
        .expect("circuit");
        let file = read_trace(
            &format!("{root}/../fixtures/golden/fibonacci.arrow"),
            &circuit.columns,
        )
        .expect("trace");
        let mut witness = build_witness(&circuit, &file).expect("witness");
        let evaluator = Evaluator::new(&circuit);
        let plain = |w: &crate::generation::Witness| {
            let mut out = Vec::new();
            for row in 0..w.height {
                for (k, c) in circuit.constraints.iter().enumerate() {
                    let applies = c.rows.holds_on(row, w.height);
                    if applies && w.eval(&c.monomials, row) != 0 {
                        out.push((k, row));
                    }
                }
            }
            out
        };
        assert_eq!(
            evaluator.failures(&witness.values, witness.height, usize::MAX),
            vec![]
        );
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let values = [2, -1, 1 << 40, -(1 << 45), 1 << 31, 65536, 7];
        for round in 0..40 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let cell = (seed as usize) % witness.values.len();
            witness.values[cell] = values[round % values.len()];
            let fast = evaluator.failures(&witness.values, witness.height, usize::MAX);
            assert_eq!(fast, plain(&witness), "round {round}");
        }
    }
}
