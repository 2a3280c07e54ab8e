//! The degrees Plonky3 derives from the AIR are the schema's: every constraint instance of
//! air-v2 has degree ≤ 2 (the schema says so, and the expansion holds it), and the symbolic
//! evaluation of `TvmAir` gives exactly one base constraint per instance, each of the degree
//! of its polynomial — 2 at most. (Plonky3 0.8 does not count the first/last/transition row
//! selectors in `degree_multiple`: the quotient divides by the vanishing polynomial of the
//! rows a constraint holds on.) So the quotient has degree 2·n and `log_blowup` 1 suffices.

use std::sync::Arc;

use p3_air::{AirLayout, BaseAir};
use p3_field::extension::BinomialExtensionField;
use p3_goldilocks::Goldilocks;
use p3_lookup::InteractionSymbolicBuilder;
use tvm_prover::{AirSchema, CompiledProgram, RowKind, TvmAir, prover_circuit};

type Challenge = BinomialExtensionField<Goldilocks, 2>;

#[test]
fn symbolic_degree_is_the_schemas() {
    let root = env!("CARGO_MANIFEST_DIR");
    let circuit = prover_circuit(
        &format!("{root}/../fixtures/golden/fibonacci.arrow"),
        &format!("{root}/tests/data/fibonacci.tvmc"),
    )
    .expect("circuit");
    assert!(AirSchema::embedded().description.contains("degree ≤ 2"));
    let degree =
        |c: &tvm_prover::Constraint| c.monomials.iter().map(|m| m.cells.len()).max().unwrap_or(0);
    let expected_max = circuit.constraints.iter().map(degree).max().unwrap_or(0);
    assert_eq!(expected_max, 2);
    assert!(
        circuit
            .constraints
            .iter()
            .any(|c| c.rows != RowKind::Every && degree(c) == 2)
    );
    let circuit = Arc::new(circuit);
    let [steps, _table] = TvmAir::batch(&circuit);
    let layout = AirLayout::from_air::<Goldilocks>(&steps);
    assert_eq!(BaseAir::<Goldilocks>::width(&steps), circuit.width);
    let builder = InteractionSymbolicBuilder::<Goldilocks, Challenge>::from_air(&steps, layout);
    let constraints = builder.base_constraints();
    assert_eq!(constraints.len(), circuit.constraints.len());
    let max = constraints
        .iter()
        .map(|c| c.degree_multiple())
        .max()
        .unwrap_or(0);
    assert_eq!(max, expected_max);
    for (symbolic, instance) in constraints.iter().zip(&circuit.constraints) {
        let degree = instance
            .monomials
            .iter()
            .map(|m| m.cells.len())
            .max()
            .unwrap_or(0);
        let gated = usize::from(instance.rows != RowKind::Every);
        assert!(
            symbolic.degree_multiple() <= degree + gated,
            "{}",
            instance.name
        );
    }
    // The program's tables are the AIR's constants: another program is another AIR.
    let other = CompiledProgram::read(&format!("{root}/tests/data/wrap_carry.tvmc")).expect("tvmc");
    assert_ne!(other.weights_sha256, circuit.statement.weights_sha256);
}
