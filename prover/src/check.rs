//! The circuit evaluated on a padded witness, exactly (over the integers): every constraint
//! on its rows and every memory argument as multisets. The prover runs it first, so that a
//! trace that fails is named (constraint and row, as `tvm-trace check` names it) and never proved.

use crate::circuit::{Circuit, Side, Statement};
use crate::eval::Evaluator;
use crate::generation::Witness;

/// A constraint or argument that does not hold, and the row where it first fails (none for a whole-trace argument).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub constraint: String,
    pub row: Option<usize>,
}

/// As `tvm-trace check` renders a failure (src/check/format.ts): `constraint: row N`, or the
/// constraint alone for a whole-trace argument or an obligation.
impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.row {
            Some(row) => write!(f, "{}: row {row}", self.constraint),
            None => f.write_str(&self.constraint),
        }
    }
}

/// The verifier obligations of `schemas/air-v2.json` on the public statement (those a
/// circuit does not already fix): every boundary state is a machine state, the final step is
/// within max_steps, a whole run starts in the initial registers and, if it did not halt, used
/// all of max_steps (faulted runs are not proved). A segment k of S rows starts at step k·S,
/// running, has at most S steps and, if it did not halt, exactly S or ends at max_steps; only
/// segment 0 starts in the initial registers (the chain of segments is the caller's).
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
    let steps = s.end.step - s.initial.step;
    if let Some(segment) = s.segment {
        let rows_valid =
            segment.rows >= 1 && segment.rows <= 1 << 29 && segment.rows.count_ones() == 1;
        let starts_at = segment.index.checked_mul(segment.rows);
        if !rows_valid
            || segment.index < 0
            || starts_at != Some(initial.step)
            || steps > segment.rows
            || initial.halted != 0
        {
            fail("segment.boundary");
        }
        if segment.index == 0 && !initial_registers(initial, n) {
            fail("statement.initial_state");
        }
        if s.end.step > s.max_steps {
            fail("claim.steps");
        }
        if s.end.halted == 0 && steps != segment.rows && s.end.step != s.max_steps {
            fail("claim.ending");
        }
        return failures;
    }
    if !initial_registers(initial, n) {
        fail("statement.initial_state");
    }
    if steps > s.max_steps {
        fail("claim.steps");
    }
    if s.end.halted == 0 && steps != s.max_steps {
        fail("claim.ending");
    }
    failures
}

/// pc 0, acc 0, sp = memory_size, zero 1, carry 0, not halted, step 0.
fn initial_registers(initial: &crate::circuit::Boundary, n: i64) -> bool {
    !(initial.step != 0
        || initial.pc != 0
        || initial.acc != 0
        || initial.sp != n
        || initial.zero_flag != 1
        || initial.carry_flag != 0
        || initial.halted != 0)
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
        if let Some(row) = argument_failure(circuit, witness, argument) {
            failures.push(Failure {
                constraint: argument.name.clone(),
                row,
            });
        }
    }
    failures
}

/// One tuple of an argument's multiset: its cells, signed count and where it was first seen
/// (left rows before right rows, as the checker reports it; `None` for a table entry).
struct Entry {
    key: std::ops::Range<usize>,
    delta: i128,
    seen: Option<(u8, usize)>,
}

/// An argument's tuples, flat.
#[derive(Default)]
struct Multiset {
    keys: Vec<i64>,
    entries: Vec<Entry>,
}

impl Multiset {
    fn push(&mut self, values: impl Iterator<Item = i64>, delta: i128, seen: Option<(u8, usize)>) {
        let start = self.keys.len();
        self.keys.extend(values);
        self.entries.push(Entry {
            key: start..self.keys.len(),
            delta,
            seen,
        });
    }

    /// Every row's tuple with its (signed) nonzero multiplicity.
    fn add_rows(&mut self, witness: &Witness, side: &Side, order: u8, sign: i128) {
        if let Some((multiplicity, tuple)) = &side.rows {
            for row in 0..witness.height {
                let m = witness.eval(multiplicity, row);
                if m != 0 {
                    let values = tuple.iter().map(|&c| witness.get(row, c));
                    self.push(values, sign * m, Some((order, row)));
                }
            }
        }
    }
}

/// Where an argument fails: `None` if it holds, `Some(row)` with the first row of an offending
/// tuple (`Some(None)` when the imbalance is a table entry no row has). Sorting flat tuples
/// instead of hashing a `Vec` per row: 1M-row traces hold a million distinct tuples.
fn argument_failure(
    circuit: &Circuit,
    witness: &Witness,
    argument: &crate::circuit::Argument,
) -> Option<Option<usize>> {
    let table_of = |side: &Side| -> &[i64] {
        side.table
            .as_deref()
            .and_then(|t| circuit.tables.get(t))
            .map_or(&[], Vec::as_slice)
    };
    if argument.kind == "lookup" {
        let mut table: Vec<(i64, i64)> = table_of(&argument.right)
            .iter()
            .enumerate()
            .map(|(a, &v)| (a as i64, v))
            .collect();
        table.sort_unstable();
        let (multiplicity, tuple) = argument.left.rows.as_ref()?;
        for row in 0..witness.height {
            if witness.eval(multiplicity, row) == 0 {
                continue;
            }
            let found = tuple.len() == 2
                && table
                    .binary_search(&(witness.get(row, tuple[0]), witness.get(row, tuple[1])))
                    .is_ok();
            if !found {
                return Some(Some(row));
            }
        }
        return None;
    }
    let mut set = Multiset::default();
    set.add_rows(witness, &argument.left, 0, 1);
    set.add_rows(witness, &argument.right, 1, -1);
    for (side, sign) in [(&argument.left, 1), (&argument.right, -1)] {
        for (a, &v) in table_of(side).iter().enumerate() {
            set.push([a as i64, v].into_iter(), sign, None);
        }
    }
    let Multiset { keys, mut entries } = set;
    let key = |e: &Entry| &keys[e.key.clone()];
    entries.sort_unstable_by(|x, y| key(x).cmp(key(y)));
    let mut unbalanced: Vec<Option<usize>> = Vec::new();
    let mut i = 0;
    while i < entries.len() {
        let mut j = i;
        let mut sum: i128 = 0;
        let mut seen: Option<(u8, usize)> = None;
        while j < entries.len() && key(&entries[j]) == key(&entries[i]) {
            sum += entries[j].delta;
            seen = match (seen, entries[j].seen) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            j += 1;
        }
        if sum != 0 {
            unbalanced.push(seen.map(|(_, row)| row));
        }
        i = j;
    }
    unbalanced.sort();
    unbalanced.first().copied()
}

#[cfg(test)]
mod tests {
    use super::statement_failures;
    use crate::circuit::Statement;

    /// A statement of long_loop's two memory cells: segment `segment` (or a whole run),
    /// running from `initial` to `end` (JSON objects of the boundary fields that differ).
    fn statement(segment: Option<(i64, i64)>, initial: &str, end: &str) -> Statement {
        let segment = segment.map_or("null".to_string(), |(index, rows)| {
            format!("{{\"index\":{index},\"rows\":{rows}}}")
        });
        let state = |fields: &str| {
            let base = serde_json::json!({"step": 0, "pc": 0, "acc": 0, "sp": 2, "zero_flag": 1,
                "carry_flag": 0, "halted": 0, "memory": [-1000, 0]});
            let mut state = base.as_object().cloned().unwrap_or_default();
            let edits: serde_json::Value = serde_json::from_str(fields).unwrap_or_default();
            for (k, v) in edits.as_object().cloned().unwrap_or_default() {
                state.insert(k, v);
            }
            serde_json::Value::Object(state).to_string()
        };
        let json = format!(
            "{{\"weights_sha256\":\"00\",\"ff_dim\":4,\"instructions\":13,\"memory_size\":2,\"max_steps\":1000,\"segment\":{segment},\"initial\":{},\"final\":{}}}",
            state(initial),
            state(end)
        );
        serde_json::from_str(&json).expect("a statement")
    }

    fn names(s: &Statement) -> Vec<String> {
        statement_failures(s)
            .into_iter()
            .map(|f| f.constraint)
            .collect()
    }

    #[test]
    fn middle_segment_holds() {
        let s = statement(
            Some((2, 256)),
            r#"{"step":512,"pc":4,"acc":7,"zero_flag":0}"#,
            r#"{"step":768,"pc":4,"acc":9,"zero_flag":0}"#,
        );
        assert_eq!(names(&s), Vec::<String>::new());
    }

    /// (segment index and rows, initial fields, final fields, the one rule it breaks).
    type Case = (Option<(i64, i64)>, &'static str, &'static str, &'static str);

    #[test]
    fn segment_rules_fail_alone_by_name() {
        let mid = r#"{"step":768,"pc":4,"zero_flag":0}"#;
        let cases: [Case; 7] = [
            // initial step not index·rows
            (
                Some((2, 256)),
                r#"{"step":513,"pc":4}"#,
                r#"{"step":769,"pc":4}"#,
                "segment.boundary",
            ),
            // more steps than rows
            (
                Some((2, 256)),
                r#"{"step":512,"pc":4}"#,
                r#"{"step":900,"pc":4,"halted":1}"#,
                "segment.boundary",
            ),
            // starts halted
            (
                Some((2, 256)),
                r#"{"step":512,"pc":4,"halted":1}"#,
                mid,
                "segment.boundary",
            ),
            // rows not a power of two
            (
                Some((2, 384)),
                r#"{"step":768,"pc":4}"#,
                r#"{"step":1000,"pc":4}"#,
                "segment.boundary",
            ),
            // short, not halted, not at max_steps
            (
                Some((2, 256)),
                r#"{"step":512,"pc":4}"#,
                r#"{"step":700,"pc":4}"#,
                "claim.ending",
            ),
            // past max_steps
            (
                Some((4, 256)),
                r#"{"step":1024,"pc":4}"#,
                r#"{"step":1280,"pc":4}"#,
                "claim.steps",
            ),
            // segment 0 not in the initial registers
            (
                Some((0, 256)),
                r#"{"pc":3}"#,
                r#"{"step":256,"pc":4}"#,
                "statement.initial_state",
            ),
        ];
        for (segment, initial, end, rule) in cases {
            assert_eq!(
                names(&statement(segment, initial, end)),
                vec![rule.to_string()],
                "{initial} → {end}"
            );
        }
    }

    #[test]
    fn whole_run_unchanged() {
        let s = statement(None, "{}", r#"{"step":103,"pc":15,"halted":1}"#);
        assert_eq!(names(&s), Vec::<String>::new());
        let not_at_max = statement(None, "{}", r#"{"step":103,"pc":15}"#);
        assert_eq!(names(&not_at_max), vec!["claim.ending".to_string()]);
        // A whole run starts at step 0 in the initial registers, whatever it says.
        let late = statement(None, r#"{"step":5}"#, r#"{"step":103,"halted":1}"#);
        assert_eq!(names(&late), vec!["statement.initial_state".to_string()]);
    }
}
