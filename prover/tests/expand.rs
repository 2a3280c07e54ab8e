//! The AIR document as the crate embeds and expands it.

use tvm_prover::{AIR_JSON, AirSchema, ColumnMap, Dims, Expanded, zero_tables};

const DIMS: Dims = Dims {
    ff_dim: 7,
    instructions: 5,
    memory_size: 4,
};

#[test]
fn embedded_air_equals_schemas_file() {
    let file = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schemas/air-v2.json"
    ))
    .expect("schemas/air-v2.json");
    assert_eq!(AIR_JSON, file);
    let schema = AirSchema::parse(AIR_JSON).expect("parses");
    assert_eq!(schema.constraints.len(), 92);
    assert_eq!(schema.sound_fields, ["goldilocks"]);
}

#[test]
fn every_column_width_resolves() {
    let schema = AirSchema::embedded();
    for column in &schema.columns {
        assert!(DIMS.dim(&column.width).is_some(), "{}", column.name);
    }
    let map = ColumnMap::new(&DIMS);
    let total: usize = map.slots().iter().map(|s| s.range.len()).sum();
    assert_eq!(map.width(), total);
    assert_eq!(map.range("selector").len(), DIMS.instructions);
    assert_eq!(map.range("hidden").len(), DIMS.ff_dim);
    assert_eq!(map.range("log_gap_bits").len(), 29);
    assert_eq!(map.range("nonexistent"), 0..0);
    let mut end = 0;
    for slot in map.slots() {
        assert_eq!(slot.range.start, end);
        end = slot.range.end;
    }
}

#[test]
fn zero_tables_expand_with_degree_two() {
    let air = Expanded::new(&DIMS, &zero_tables(&DIMS)).expect("expands");
    assert_eq!(air.arguments.len(), 3);
    assert!(air.max_degree() <= 2);
    let names: Vec<&str> = air.constraints.iter().map(|c| c.name.as_str()).collect();
    assert!(names.contains(&"ffn.hidden[k=6]"));
    assert!(names.contains(&"decode.selector_boolean[j=4]"));
    let mut templates: Vec<&str> = air
        .constraints
        .iter()
        .map(|c| c.constraint.as_str())
        .collect();
    templates.dedup();
    assert_eq!(templates.len(), 92);
    for c in &air.constraints {
        for m in &c.monomials {
            assert!(m.coef != 0);
            assert!(m.cells.iter().all(|&(cell, _)| cell < air.width()));
            assert!(m.cells.windows(2).all(|w| w[0] <= w[1]));
        }
    }
}

#[test]
fn missing_and_misshapen_tables_are_errors() {
    let mut tables = zero_tables(&DIMS);
    tables.by_name.remove("W_gate");
    assert!(matches!(
        Expanded::new(&DIMS, &tables),
        Err(tvm_prover::AirError::MissingTable(name)) if name == "W_gate"
    ));
    let mut tables = zero_tables(&DIMS);
    if let Some(t) = tables.by_name.get_mut("initial_memory") {
        t.values.push(0);
        t.shape = vec![DIMS.memory_size + 1];
    }
    assert!(Expanded::new(&DIMS, &tables).is_err());
    let mut tables = zero_tables(&DIMS);
    if let Some(t) = tables.by_name.get_mut("b_out") {
        t.values.pop();
    }
    assert!(Expanded::new(&DIMS, &tables).is_err());
}
