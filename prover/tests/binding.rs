//! The statement is bound: a proof of the golden Fibonacci run verifies against the circuit the
//! verifier builds in Rust from the program (`.tvmc`) and the claim, and against no other —
//! another final state (acc + 1, steps, halted, one memory cell), another program (one operand
//! changed), another initial memory, another `max_steps`.

use std::sync::OnceLock;

use tvm_prover::{
    BoundaryState, Circuit, Claim, CompiledProgram, ProveOptions, VerifyError, prove,
    verifier_circuit, verify,
};

fn data(file: &str) -> String {
    format!("{}/tests/data/{file}", env!("CARGO_MANIFEST_DIR"))
}

/// The proof of the golden Fibonacci trace, made once (through the circuit `tvm-trace` builds).
fn proof() -> &'static str {
    static PROOF: OnceLock<String> = OnceLock::new();
    PROOF.get_or_init(|| {
        let out = std::env::temp_dir()
            .join(format!("tvm-prover-binding-{}.proof", std::process::id()))
            .to_string_lossy()
            .into_owned();
        let circuit = Circuit::read(&data("fibonacci.circuit.json")).expect("circuit");
        let trace = format!(
            "{}/../fixtures/golden/fibonacci.arrow",
            env!("CARGO_MANIFEST_DIR")
        );
        prove(&trace, circuit, &out, &ProveOptions::default()).expect("proves");
        out
    })
}

fn program() -> CompiledProgram {
    CompiledProgram::read(&data("fibonacci.tvmc")).expect("tvmc")
}

fn claim(program: &CompiledProgram) -> Claim {
    Claim::read(&data("fibonacci.claim.msgpack"), program).expect("claim")
}

/// Verify the proof against the statement `edit` makes of the true one.
fn verify_edited(
    edit: impl FnOnce(&mut CompiledProgram, &mut i64, &mut BoundaryState),
) -> Result<(), VerifyError> {
    let mut program = program();
    let Claim {
        mut max_steps,
        mut end,
    } = claim(&program);
    edit(&mut program, &mut max_steps, &mut end);
    let circuit = program
        .circuit(&program.statement(5, max_steps, end))
        .expect("a circuit");
    verify(proof(), circuit).map(|_| ())
}

fn assert_rejected(result: Result<(), VerifyError>, what: &str) {
    match result {
        Err(e) => assert_eq!(e.exit_code(), 1, "{what}: {e}"),
        Ok(()) => panic!("{what}: a proof of another statement verified"),
    }
}

#[test]
fn proof_verifies_against_the_program_and_claim() {
    let circuit = verifier_circuit(
        proof(),
        &data("fibonacci.tvmc"),
        Some(&data("fibonacci.claim.msgpack")),
    )
    .expect("circuit");
    let header = verify(proof(), circuit).expect("verifies");
    assert_eq!(header.steps, 103);
    // Without a claim: the final state the proof states, rebuilt into the program's circuit.
    let circuit = verifier_circuit(proof(), &data("fibonacci.tvmc"), None).expect("circuit");
    verify(proof(), circuit).expect("verifies");
    verify_edited(|_, _, _| {}).expect("the unedited statement verifies");
}

#[test]
fn another_claim_rejected() {
    assert_rejected(verify_edited(|_, _, end| end.acc += 1), "acc + 1");
    assert_rejected(verify_edited(|_, _, end| end.step += 1), "steps + 1");
    assert_rejected(verify_edited(|_, _, end| end.step -= 1), "steps - 1");
    assert_rejected(
        verify_edited(|_, _, end| end.halted = Some(0)),
        "halted flipped",
    );
    assert_rejected(
        verify_edited(|_, _, end| end.memory[2] += 1),
        "memory[2] + 1",
    );
    assert_rejected(verify_edited(|_, _, end| end.pc ^= 1), "pc");
    assert_rejected(verify_edited(|_, _, end| end.sp -= 1), "sp");
    assert_rejected(verify_edited(|_, _, end| end.zero_flag ^= 1), "zero_flag");
    assert_rejected(verify_edited(|_, _, end| end.carry_flag ^= 1), "carry_flag");
}

#[test]
fn another_program_rejected() {
    // One operand changed (the weights digest recomputed as a real .tvmc would have it).
    assert_rejected(
        verify_edited(|p, _, _| {
            let j = p
                .instructions
                .iter()
                .position(|c| c.arg != 0)
                .expect("an operand");
            p.instructions[j].arg += 1;
            p.weights_sha256 = "0".repeat(64);
        }),
        "operand",
    );
    // One weight changed, same digest string: the tables differ, so the circuit does.
    assert_rejected(
        verify_edited(|p, _, _| p.instructions[0].bias[0] += 1),
        "bias",
    );
}

#[test]
fn another_initial_memory_rejected() {
    assert_rejected(
        verify_edited(|p, _, _| p.initial_memory[1] += 1),
        "initial memory",
    );
}

#[test]
fn another_max_steps_rejected() {
    assert_rejected(verify_edited(|_, m, _| *m = 5000), "max_steps 5000");
    // A max_steps the run exceeded breaks claim.steps before any proof is read.
    assert_rejected(verify_edited(|_, m, _| *m = 50), "max_steps 50");
}

#[test]
fn a_header_restating_another_statement_rejected() {
    let bytes = std::fs::read(proof()).expect("proof");
    let text = String::from_utf8_lossy(&bytes);
    let at = text.find("\"weights_sha256\":\"").expect("header field") + 18;
    for (offset, what) in [
        (at, "weights"),
        (text.find("\"halted\":").expect("halted") + 9, "halted"),
    ] {
        let mut edited = bytes.clone();
        edited[offset] = if edited[offset] == b'1' { b'0' } else { b'1' };
        let out = format!("{}.edited", proof());
        std::fs::write(&out, &edited).expect("write");
        let circuit = verifier_circuit(
            &out,
            &data("fibonacci.tvmc"),
            Some(&data("fibonacci.claim.msgpack")),
        )
        .expect("circuit");
        assert_rejected(verify(&out, circuit).map(|_| ()), what);
        let _ = std::fs::remove_file(&out);
    }
}

#[test]
fn a_program_at_another_width_is_refused() {
    // The header cannot choose the circuit's size: the width is the .tvmc's.
    for claim in [None, Some(data("fibonacci.claim.msgpack"))] {
        let refused = verifier_circuit(proof(), &data("fibonacci.ff7.tvmc"), claim.as_deref());
        assert!(
            matches!(refused, Err(ref e) if e.exit_code() == 1),
            "{:?}",
            refused.map(|c| c.sha256_hex())
        );
    }
}
