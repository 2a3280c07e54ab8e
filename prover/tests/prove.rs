//! Proving and verifying through the library: a golden trace verifies, a failing one is named
//! and not proved, a forced proof of it does not verify, and every malformed input is an
//! `Err` of the right variant, never a panic. The circuits are `tests/data/*.circuit.json`
//! (from `scripts/gen-prover-data.ts`); the traces are the repository's fixtures.

use tvm_prover::{
    Circuit, CircuitError, ProofParameters, ProveError, ProveOptions, TraceError, VerifyError,
    build_witness, check_witness, prove, read_trace, verify,
};

const FIB: &str = "../fixtures/golden/fibonacci.arrow";
const FIB_CIRCUIT: &str = "tests/data/fibonacci.circuit.json";
const WRAP: &str = "../fixtures/bad/controls.wrap--wrong-wrap.arrow";
const WRAP_CIRCUIT: &str = "tests/data/controls.wrap--wrong-wrap.circuit.json";

fn scratch(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("tvm-prover-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name).to_string_lossy().into_owned()
}

fn circuit(path: &str) -> Circuit {
    Circuit::read(path).expect("test circuit")
}

fn fib_proof(name: &str) -> String {
    let out = scratch(name);
    prove(FIB, circuit(FIB_CIRCUIT), &out, &ProveOptions::default()).expect("fibonacci proves");
    out
}

#[test]
fn fibonacci_verifies() {
    let out = fib_proof("fib.proof");
    let header = verify(&out, circuit(FIB_CIRCUIT)).expect("verifies");
    assert_eq!(
        (
            header.steps,
            header.halted,
            header.log_height,
            header.ff_dim
        ),
        (103, 1, 8, 5)
    );
    assert_eq!(header.end.acc, 21);
    assert_eq!(header.end.memory, vec![13, 21, 21, 7, 7]);
    assert_eq!(header.params.conjectured_bits(), 116);
}

#[test]
fn proving_is_deterministic() {
    let a = std::fs::read(fib_proof("a.proof")).expect("read");
    let b = std::fs::read(fib_proof("b.proof")).expect("read");
    assert!(a == b, "two proofs of the same trace differ");
}

#[test]
fn failing_trace_is_named_and_not_proved() {
    let c = circuit(WRAP_CIRCUIT);
    let trace = read_trace(WRAP, &c.columns).expect("readable");
    let witness = build_witness(&c, &trace).expect("pads");
    let failures = check_witness(&c, &witness, 1);
    assert_eq!(failures[0].constraint, "controls.wrap");
    assert_eq!(failures[0].row, Some(1));
    let out = scratch("wrap.proof");
    match prove(WRAP, c, &out, &ProveOptions::default()) {
        Err(ProveError::Unsatisfied {
            constraint,
            location,
        }) => assert_eq!(
            (constraint.as_str(), location.as_str()),
            ("controls.wrap", " at row 1")
        ),
        other => panic!("expected Unsatisfied, got {other:?}"),
    }
    assert!(!std::path::Path::new(&out).exists());
}

/// p3's debug builds stop on an unsatisfied witness before any proof exists; release builds
/// (the test command's) prove it, and the proof must not verify.
#[cfg(not(debug_assertions))]
#[test]
fn forced_proof_of_failing_trace_rejected() {
    let out = scratch("forced.proof");
    let options = ProveOptions {
        unchecked: true,
        ..ProveOptions::default()
    };
    prove(WRAP, circuit(WRAP_CIRCUIT), &out, &options)
        .expect("proving is not refused when unchecked");
    match verify(&out, circuit(WRAP_CIRCUIT)) {
        Err(VerifyError::Invalid(_)) => {}
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn proof_of_another_statement_rejected() {
    let out = fib_proof("other.proof");
    match verify(&out, circuit(WRAP_CIRCUIT)) {
        Err(VerifyError::Statement { .. }) => {}
        other => panic!("expected Statement, got {other:?}"),
    }
}

#[test]
fn weaker_parameters_rejected() {
    let out = scratch("weak.proof");
    let params = ProofParameters {
        num_queries: 40,
        ..ProofParameters::default()
    };
    prove(
        FIB,
        circuit(FIB_CIRCUIT),
        &out,
        &ProveOptions {
            params,
            ..ProveOptions::default()
        },
    )
    .expect("proves");
    match verify(&out, circuit(FIB_CIRCUIT)) {
        Err(VerifyError::WeakParameters { .. }) => {}
        other => panic!("expected WeakParameters, got {other:?}"),
    }
}

#[test]
fn corrupt_proofs_rejected() {
    let bytes = std::fs::read(fib_proof("good.proof")).expect("read");
    let body = bytes
        .iter()
        .skip(20)
        .position(|&b| b == b'\n')
        .expect("header")
        + 21;
    let out = scratch("corrupt.proof");
    let mut variants: Vec<Vec<u8>> = vec![
        Vec::new(),
        bytes[..body].to_vec(),
        bytes[..bytes.len() - 1].to_vec(),
        b"garbage\n".to_vec(),
    ];
    for offset in [
        0,
        30,
        body,
        body + 1,
        body + 777,
        (body + bytes.len()) / 2,
        bytes.len() - 9,
    ] {
        let mut flipped = bytes.clone();
        flipped[offset] ^= 0x20;
        variants.push(flipped);
    }
    for (i, variant) in variants.iter().enumerate() {
        std::fs::write(&out, variant).expect("write");
        match verify(&out, circuit(FIB_CIRCUIT)) {
            Err(
                VerifyError::Format { .. }
                | VerifyError::Invalid(_)
                | VerifyError::Statement { .. }
                | VerifyError::WeakParameters { .. },
            ) => {}
            other => panic!("variant {i}: expected a rejection, got {other:?}"),
        }
    }
}

#[test]
fn unreadable_traces_are_errors() {
    let c = circuit(FIB_CIRCUIT);
    assert!(matches!(
        read_trace("no/such.arrow", &c.columns),
        Err(TraceError::Io { .. })
    ));
    let bytes = std::fs::read(FIB).expect("read");
    let truncated = scratch("truncated.arrow");
    for cut in [0, 7, bytes.len() / 2, bytes.len() - 1] {
        std::fs::write(&truncated, &bytes[..cut]).expect("write");
        assert!(
            matches!(
                read_trace(&truncated, &c.columns),
                Err(TraceError::Arrow { .. })
            ),
            "cut at {cut}"
        );
    }
    // The golden trace read with another program's layout (another ff_dim): a column type error.
    let other = circuit(WRAP_CIRCUIT);
    assert!(read_trace(FIB, &other.columns).is_err());
}

#[test]
fn malformed_circuits_are_errors() {
    let path = "tests/data/x.circuit.json";
    assert!(matches!(
        Circuit::from_bytes(b"{}", path),
        Err(CircuitError::Format { .. })
    ));
    assert!(matches!(
        Circuit::from_bytes(b"\xff\x00", path),
        Err(CircuitError::Format { .. })
    ));
    let text = std::fs::read_to_string(FIB_CIRCUIT)
        .expect("read")
        .replace("tvm-trace/circuit/v1", "tvm-trace/circuit/v9");
    assert!(matches!(
        Circuit::from_bytes(text.as_bytes(), path),
        Err(CircuitError::Format { .. })
    ));
    assert!(matches!(
        Circuit::read("no/such.json"),
        Err(CircuitError::Io { .. })
    ));
}
