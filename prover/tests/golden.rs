//! Every golden run proves and verifies without Node: the prover's circuit from the trace and
//! its program (`tests/data/<golden>.tvmc`), the verifier's from the program and the claim file
//! (`tests/data/<golden>.claim.msgpack`), through the binary's own library calls. The faulted
//! golden is refused (a faulted run is not proved).

use tvm_prover::{ProveOptions, StatementError, prove, prover_circuit, verifier_circuit, verify};

const HALTING_OR_STOPPED: [&str; 8] = [
    "bitwise",
    "call_chain",
    "dot_product",
    "factorial_recursive",
    "fibonacci",
    "infinite_loop_20",
    "stack_roundtrip",
    "wrap_carry",
];

#[test]
fn every_golden_run_proves_and_verifies() {
    let root = env!("CARGO_MANIFEST_DIR");
    let dir = std::env::temp_dir().join(format!("tvm-prover-golden-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for name in HALTING_OR_STOPPED {
        let trace = format!("{root}/../fixtures/golden/{name}.arrow");
        let program = format!("{root}/tests/data/{name}.tvmc");
        let claim = format!("{root}/tests/data/{name}.claim.msgpack");
        let out = dir
            .join(format!("{name}.proof"))
            .to_string_lossy()
            .into_owned();
        let circuit = prover_circuit(&trace, &program).expect(name);
        let proved = prove(&trace, circuit, &out, &ProveOptions::default()).expect(name);
        assert!(proved.params.conjectured_bits() >= 100);
        let theirs = verifier_circuit(&out, &program, Some(&claim)).expect(name);
        let verified = verify(&out, theirs).expect(name);
        assert_eq!(verified, proved, "{name}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_faulted_run_is_refused() {
    let root = env!("CARGO_MANIFEST_DIR");
    let refused = prover_circuit(
        &format!("{root}/../fixtures/golden/fault_stack_underflow.arrow"),
        &format!("{root}/tests/data/fault_stack_underflow.tvmc"),
    );
    match refused {
        Err(e @ StatementError::Mismatch(_)) => {
            assert_eq!(e.exit_code(), 1);
            assert!(e.to_string().contains("a faulted run is not proved"), "{e}");
        }
        other => panic!("{other:?}"),
    }
}
