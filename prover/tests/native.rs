//! The AIR expanded in Rust is the circuit `tvm-trace` builds: for every golden run that did
//! not fault, `Expanded::document` from the program's tables (`tests/data/*.tables.json`,
//! written by `npx tsx scripts/gen-prover-tables.ts` with the checker's `programTables`) is
//! byte for byte the circuit document of `src/prove/circuit.ts`, whose SHA-256 the file holds.

use std::collections::BTreeMap;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use tvm_prover::{
    Circuit, Claim, CompiledProgram, Expanded, PublicInputs, StatementError, Table, Tables,
};

#[derive(Deserialize)]
struct WireTable {
    shape: Vec<usize>,
    values: Vec<String>,
}

#[derive(Deserialize)]
struct Data {
    statement: PublicInputs,
    circuit_sha256: String,
    tables: BTreeMap<String, WireTable>,
}

fn data_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn load(name: &str) -> Data {
    let text = std::fs::read_to_string(data_dir().join(format!("{name}.tables.json")))
        .expect("tables file");
    serde_json::from_str(&text).expect("tables json")
}

/// Program tables only (the public values come from the statement), values as i64
/// (pow2[63] = 2^63 wraps; no constraint reads it).
fn program_tables(data: &Data) -> Tables {
    let public: Vec<String> = data
        .statement
        .values()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let mut tables = Tables::default();
    for (name, t) in &data.tables {
        if public.contains(name) {
            continue;
        }
        let values = t
            .values
            .iter()
            .map(|v| v.parse::<i128>().expect("integer") as i64)
            .collect();
        tables.by_name.insert(
            name.clone(),
            Table {
                shape: t.shape.clone(),
                values,
            },
        );
    }
    tables
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn every_golden_circuit_is_expanded_byte_for_byte() {
    let mut names: Vec<String> = std::fs::read_dir(data_dir())
        .expect("tests/data")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|f| f.strip_suffix(".tables.json").map(str::to_string))
        .collect();
    names.sort();
    assert!(names.len() >= 8, "{names:?}");
    for name in &names {
        let data = load(name);
        let mut tables = program_tables(&data);
        data.statement.insert_into(&mut tables);
        // The public values the statement gives are the checker's.
        for (key, table) in data.statement.values() {
            let theirs = &data.tables[&key];
            assert_eq!(table.shape, theirs.shape, "{name}: {key}");
            let values: Vec<String> = table.values.iter().map(i64::to_string).collect();
            assert_eq!(values, theirs.values, "{name}: {key}");
        }
        let expanded = Expanded::new(&data.statement.dims(), &tables).expect("expands");
        let bytes = expanded.document(&data.statement).expect("document");
        assert_eq!(
            hex(&Sha256::digest(&bytes)),
            data.circuit_sha256,
            "{name}: the Rust expansion differs from the checker's"
        );
        let circuit = Circuit::from_bytes(&bytes, name).expect("a circuit");
        assert_eq!(circuit.sha256_hex(), data.circuit_sha256);
        assert_eq!(circuit.width, expanded.width());
        assert_eq!(expanded.max_degree(), 2, "{name}");
    }
}

#[test]
fn fibonacci_document_equals_the_committed_circuit() {
    let data = load("fibonacci");
    let mut tables = program_tables(&data);
    data.statement.insert_into(&mut tables);
    let expanded = Expanded::new(&data.statement.dims(), &tables).expect("expands");
    let ours = expanded.document(&data.statement).expect("document");
    let theirs = std::fs::read(data_dir().join("fibonacci.circuit.json")).expect("circuit");
    assert_eq!(
        String::from_utf8_lossy(&ours),
        String::from_utf8_lossy(&theirs)
    );
}

#[test]
fn another_statement_is_another_circuit() {
    let data = load("fibonacci");
    let mut statement = data.statement.clone();
    statement.end.acc += 1;
    let mut tables = program_tables(&data);
    statement.insert_into(&mut tables);
    let expanded = Expanded::new(&statement.dims(), &tables).expect("expands");
    let bytes = expanded.document(&statement).expect("document");
    assert_ne!(hex(&Sha256::digest(&bytes)), data.circuit_sha256);
}

fn data_path(file: &str) -> String {
    data_dir().join(file).to_string_lossy().into_owned()
}

#[test]
fn every_golden_program_and_claim_give_the_checkers_circuit() {
    for name in [
        "bitwise",
        "call_chain",
        "dot_product",
        "factorial_recursive",
        "fibonacci",
        "infinite_loop_20",
        "stack_roundtrip",
        "wrap_carry",
    ] {
        let data = load(name);
        let program = CompiledProgram::read(&data_path(&format!("{name}.tvmc"))).expect("tvmc");
        let ours = program.tables(data.statement.ff_dim).expect("tables");
        assert_eq!(ours, program_tables(&data), "{name}: program tables");
        let claim =
            Claim::read(&data_path(&format!("{name}.claim.msgpack")), &program).expect("claim");
        let statement = program.statement(data.statement.ff_dim, claim.max_steps, claim.end);
        assert_eq!(statement, data.statement, "{name}: statement");
        let circuit = program.circuit(&statement).expect("circuit");
        assert_eq!(circuit.sha256_hex(), data.circuit_sha256, "{name}: circuit");
    }
}

#[test]
fn a_faulted_claim_or_another_programs_claim_is_rejected() {
    let program = CompiledProgram::read(&data_path("fault_stack_underflow.tvmc")).expect("tvmc");
    let faulted = Claim::read(&data_path("fault_stack_underflow.claim.msgpack"), &program);
    assert!(
        matches!(faulted, Err(StatementError::Mismatch(_))),
        "{faulted:?}"
    );
    let fibonacci = CompiledProgram::read(&data_path("fibonacci.tvmc")).expect("tvmc");
    let other = Claim::read(&data_path("wrap_carry.claim.msgpack"), &fibonacci);
    assert!(
        matches!(other, Err(StatementError::Mismatch(_))),
        "{other:?}"
    );
    assert_eq!(other.map(|_| ()).unwrap_err().exit_code(), 1);
}

#[test]
fn corrupt_programs_and_claims_are_errors_not_panics() {
    let tvmc = std::fs::read(data_path("fibonacci.tvmc")).expect("tvmc");
    let claim = std::fs::read(data_path("fibonacci.claim.msgpack")).expect("claim");
    let program = CompiledProgram::from_bytes(&tvmc, "fib.tvmc").expect("tvmc");
    for len in 0..tvmc.len() {
        assert!(
            CompiledProgram::from_bytes(&tvmc[..len], "t").is_err(),
            "truncated at {len}"
        );
    }
    for len in 0..claim.len() {
        assert!(Claim::from_bytes(&claim[..len], "c", &program).is_err());
    }
    for i in 0..tvmc.len() {
        let mut bytes = tvmc.clone();
        bytes[i] ^= 0x5a;
        // A flipped weight changes the digest, a flipped key or type is a format error; only
        // the initial memory and ff_dim (not weights: part of the statement) may change.
        if let Ok(other) = CompiledProgram::from_bytes(&bytes, "t") {
            assert_eq!(other.instructions, program.instructions, "flip at {i}");
            assert_ne!(
                (&other.initial_memory, other.ff_dim),
                (&program.initial_memory, program.ff_dim)
            );
        }
    }
    for i in 0..claim.len() {
        let mut bytes = claim.clone();
        bytes[i] ^= 0x5a;
        let _ = Claim::from_bytes(&bytes, "c", &program);
    }
    let garbage = CompiledProgram::from_bytes(b"LOADI 1\nHALT\n", "x.tvm");
    assert!(
        matches!(garbage, Err(ref e) if e.exit_code() == 2),
        "{garbage:?}"
    );
}

#[test]
fn every_golden_trace_and_program_give_the_checkers_circuit() {
    for name in [
        "bitwise",
        "call_chain",
        "dot_product",
        "factorial_recursive",
        "fibonacci",
        "infinite_loop_20",
        "stack_roundtrip",
        "wrap_carry",
    ] {
        let trace = format!(
            "{}/../fixtures/golden/{name}.arrow",
            env!("CARGO_MANIFEST_DIR")
        );
        let circuit =
            tvm_prover::prover_circuit(&trace, &data_path(&format!("{name}.tvmc"))).expect(name);
        assert_eq!(circuit.sha256_hex(), load(name).circuit_sha256, "{name}");
    }
    let faulted = tvm_prover::prover_circuit(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/golden/fault_stack_underflow.arrow"
        ),
        &data_path("fault_stack_underflow.tvmc"),
    );
    assert!(matches!(faulted, Err(StatementError::Mismatch(_))));
    let other = tvm_prover::prover_circuit(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/golden/fibonacci.arrow"
        ),
        &data_path("bitwise.tvmc"),
    );
    assert!(matches!(other, Err(StatementError::Mismatch(_))));
    let garbage =
        tvm_prover::prover_circuit(&data_path("fibonacci.tvmc"), &data_path("fibonacci.tvmc"));
    assert!(
        matches!(garbage, Err(ref e) if e.exit_code() == 2),
        "{garbage:?}"
    );
}
