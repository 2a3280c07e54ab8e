//! A forged trace cannot give a proof that verifies: every `fixtures/bad/*.arrow`, its
//! statement built in Rust from its program (`tests/data/bad/<fixture>.tvmc`) and its claimed
//! final state, is refused by `prove`, and when forced through (`unchecked`, no pre-check) gives
//! a proof the verifier rejects — or no proof at all (a debug build of Plonky3 stops on the bad
//! witness). The only exceptions are the fixtures whose rule is a witness-file obligation
//! (`metadata.*`: the file's encoding, not the run): their rows are a true run, and a proof of
//! that run's statement is a true proof; and the forged faults (`claim.fault`), which
//! `without_fault` drops. Most fixtures are cut from a faulting run; their
//! statement is taken as the steps before the fault (see `without_fault`), so that they reach
//! the AIR rather than stop at "a faulted run is not proved".

use tvm_prover::{
    AirSchema, BoundaryState, Circuit, CompiledProgram, ProveOptions, prove, prover_circuit,
    read_metadata, verify,
};

/// The statement of a trace whose claim is a fault, made provable: the steps it completed
/// before the fault, as a run stopped at `max_steps` = those steps (a true statement of the
/// honest run, so the tampered rows, not the fault, are what the proof must fail on).
fn without_fault(trace: &str, program: &str) -> Option<Circuit> {
    let program = CompiledProgram::read(program).ok()?;
    let meta = read_metadata(trace).ok()?;
    if meta.get("tvm.weights_sha256")? != &program.weights_sha256 {
        return None;
    }
    let claim: serde_json::Value = serde_json::from_str(meta.get("tvm.claim")?).ok()?;
    let int = |k: &str| claim.get(k)?.as_i64();
    let flag = |k: &str| claim.get(k)?.as_bool().map(i64::from);
    let end = BoundaryState {
        step: int("steps")?,
        pc: int("pc")?,
        acc: int("acc")?,
        sp: int("sp")?,
        zero_flag: flag("zero_flag")?,
        carry_flag: flag("carry_flag")?,
        halted: Some(flag("halted")?),
        memory: serde_json::from_value(claim.get("memory")?.clone()).ok()?,
    };
    let ff_dim = meta.get("tvm.ff_dim")?.parse().ok()?;
    let steps = end.step;
    program.circuit(&program.statement(ff_dim, steps, end)).ok()
}

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// No statement: a faulted run, another program's trace, unreadable metadata.
    NoStatement,
    /// The prover stopped (a debug build on a bad witness, or an unreadable trace).
    NotProved,
    /// A proof came out and the verifier rejected it.
    Rejected,
    Verified,
}

fn forced(name: &str, dir: &std::path::Path) -> Outcome {
    let root = env!("CARGO_MANIFEST_DIR");
    let trace = format!("{root}/../fixtures/bad/{name}.arrow");
    let program = format!("{root}/tests/data/bad/{name}.tvmc");
    let Some(circuit) = prover_circuit(&trace, &program)
        .ok()
        .or_else(|| without_fault(&trace, &program))
    else {
        return Outcome::NoStatement;
    };
    // The pre-check refuses every one of them.
    let out = dir
        .join(format!("{name}.proof"))
        .to_string_lossy()
        .into_owned();
    let checked = prove(&trace, circuit.clone(), &out, &ProveOptions::default());
    assert!(checked.is_err(), "{name}: prove accepted a known-bad trace");
    assert!(
        !std::path::Path::new(&out).exists(),
        "{name}: a refused proof was written"
    );
    let options = ProveOptions {
        unchecked: true,
        ..ProveOptions::default()
    };
    if prove(&trace, circuit.clone(), &out, &options).is_err() {
        return Outcome::NotProved;
    }
    match verify(&out, circuit) {
        Ok(_) => Outcome::Verified,
        Err(_) => Outcome::Rejected,
    }
}

#[test]
fn every_bad_fixture_forced_through_is_rejected() {
    let root = env!("CARGO_MANIFEST_DIR");
    let dir = std::env::temp_dir().join(format!("tvm-prover-forged-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file_obligations: Vec<String> = AirSchema::embedded()
        .obligations
        .iter()
        .filter(|o| o.applies_to == "witness_file")
        .map(|o| o.name.clone())
        .collect();
    let mut names: Vec<String> = std::fs::read_dir(format!("{root}/../fixtures/bad"))
        .expect("fixtures/bad")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|f| f.strip_suffix(".arrow").map(str::to_string))
        .collect();
    names.sort();
    assert!(names.len() >= 30);
    let mut rejected = 0;
    for name in &names {
        let outcome = forced(name, &dir);
        eprintln!("{name}: {outcome:?}");
        let rule = name.split("--").next().unwrap_or("");
        if outcome == Outcome::Verified {
            // A forged fault is dropped with the fault (`without_fault`): what is proved is true.
            assert!(
                file_obligations.iter().any(|o| o == rule) || rule == "claim.fault",
                "{name}: a forged trace gave a proof that verifies"
            );
        }
        if outcome == Outcome::Rejected || outcome == Outcome::NotProved {
            rejected += 1;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    // Every fixture that breaks a constraint or an argument (not a file or statement rule) reaches the prover.
    assert!(
        rejected >= 14,
        "only {rejected} forged proofs were made and rejected"
    );
}

/// The test above would notice a part left out of the AIR: with the parts a fixture breaks
/// (as `tvm-trace check` lists them) dropped from both the prover's and the verifier's
/// circuit, its forced proof verifies — so it is those constraints and that LogUp argument
/// that reject it.
#[test]
fn a_constraint_or_argument_left_out_lets_its_forgery_through() {
    let root = env!("CARGO_MANIFEST_DIR");
    let dir = std::env::temp_dir().join(format!("tvm-prover-leftout-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let unchecked = ProveOptions {
        unchecked: true,
        ..ProveOptions::default()
    };
    type LeaveOut = fn(&mut Circuit);
    let cases: [(&str, LeaveOut); 2] = [
        ("ffn.hidden--edited-product", |c| {
            // check: ffn.hidden[k=0] and ffn.output[o=0] at row 1.
            c.constraints
                .retain(|k| !k.name.starts_with("ffn.hidden") && !k.name.starts_with("ffn.output"));
        }),
        ("memory.permutation--log-value-edited", |c| {
            // check: memory.permutation and memory.final_value.
            c.arguments
                .retain(|a| a.name != "memory.permutation" && a.name != "memory.final_value");
        }),
    ];
    for (name, leave_out) in cases {
        let trace = format!("{root}/../fixtures/bad/{name}.arrow");
        let program = format!("{root}/tests/data/bad/{name}.tvmc");
        let mut circuit = without_fault(&trace, &program).expect("a statement");
        let out = dir
            .join(format!("{name}.proof"))
            .to_string_lossy()
            .into_owned();
        if prove(&trace, circuit.clone(), &out, &unchecked).is_ok() {
            assert!(verify(&out, circuit.clone()).is_err(), "{name}: whole AIR");
        }
        leave_out(&mut circuit);
        prove(&trace, circuit.clone(), &out, &unchecked).expect("proves");
        assert!(
            verify(&out, circuit).is_ok(),
            "{name}: still rejected with its part left out"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
