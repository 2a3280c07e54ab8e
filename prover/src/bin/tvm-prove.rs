//! `tvm-prove`: prove, verify and check tvm-trace witnesses. Each error is one line and an
//! exit code (0 ok, 1 rejected or failing, 2 unreadable input, 64 usage); no logic here.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tvm_prover::{
    Circuit, ProofParameters, ProveOptions, build_witness, check_witness, exit, prove,
    prover_circuit, read_trace, statement_failures, verifier_circuit, verify,
};

#[derive(Parser)]
#[command(
    name = "tvm-prove",
    version,
    about = "Prove and verify tvm-trace witnesses (AIR v2, Plonky3, Goldilocks)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Prove TRACE against CIRCUIT (from `tvm-trace`) or the circuit built here from PROGRAM
    /// (`.tvmc`) and the trace's claim, writing PROOF.
    Prove {
        trace: String,
        #[arg(long, required_unless_present = "program", conflicts_with = "program")]
        circuit: Option<String>,
        /// The trace's program (`.tvmc`): the circuit is built here from it and the trace's claim.
        #[arg(long)]
        program: Option<String>,
        #[arg(short, long)]
        output: String,
        #[arg(long)]
        json: bool,
        /// Do not check the trace first (for soundness tests: a forged trace forced through).
        #[arg(long, hide = true)]
        unchecked: bool,
    },
    /// Verify PROOF against CIRCUIT (built by `tvm-trace` from the program and the claim), or
    /// against the circuit built here from PROGRAM (a `.tvmc`) and CLAIM (without a claim: the
    /// final state the proof states, printed once verified).
    Verify {
        proof: String,
        #[arg(long, required_unless_present = "program", conflicts_with = "program")]
        circuit: Option<String>,
        #[arg(long)]
        program: Option<String>,
        #[arg(long, requires = "program")]
        claim: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Evaluate CIRCUIT (or the circuit of PROGRAM and the trace's claim) on TRACE, padded as
    /// for proving: every constraint and argument.
    Check {
        trace: String,
        #[arg(long, required_unless_present = "program", conflicts_with = "program")]
        circuit: Option<String>,
        /// The trace's program (`.tvmc`): the circuit is built here from it and the trace's claim.
        #[arg(long)]
        program: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

fn fail(json: bool, kind: &str, message: &str, code: i32) -> ExitCode {
    if json {
        println!("{}", serde_json_line(kind, message));
    }
    eprintln!("tvm-prove: {message}");
    ExitCode::from(u8::try_from(code).unwrap_or(2))
}

fn serde_json_line(kind: &str, message: &str) -> String {
    format!(
        "{{\"ok\":false,\"error\":{},\"message\":{}}}",
        quote(kind),
        quote(message)
    )
}

fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The circuit for a trace: read from `--circuit`, or built from `--program` and the trace's claim.
fn trace_circuit(
    trace: &str,
    circuit: Option<String>,
    program: Option<String>,
    refused: &'static str,
) -> Result<Circuit, (&'static str, String, i32)> {
    match (circuit, program) {
        (Some(circuit), _) => {
            Circuit::read(&circuit).map_err(|e| ("bad_circuit", e.to_string(), exit::BAD_INPUT))
        }
        (None, Some(program)) => prover_circuit(trace, &program).map_err(|e| {
            let kind = if e.exit_code() == exit::REJECTED {
                refused
            } else {
                "bad_input"
            };
            (kind, e.to_string(), e.exit_code())
        }),
        (None, None) => Err((
            "usage",
            "--circuit or --program is required".into(),
            exit::USAGE,
        )),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error)
            if matches!(
                error.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            ) =>
        {
            print!("{error}");
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            let message = error.to_string();
            let first = message
                .lines()
                .next()
                .unwrap_or("invalid arguments")
                .trim_start_matches("error: ");
            eprintln!("tvm-prove: {first}");
            return ExitCode::from(exit::USAGE as u8);
        }
    };
    match cli.command {
        Command::Prove {
            trace,
            circuit,
            program,
            output,
            json,
            unchecked,
        } => {
            let circuit = match trace_circuit(&trace, circuit, program, "not_proved") {
                Ok(c) => c,
                Err((kind, message, code)) => return fail(json, kind, &message, code),
            };
            let options = ProveOptions {
                params: ProofParameters::default(),
                progress: !json,
                unchecked,
            };
            match prove(&trace, circuit, &output, &options) {
                Ok(h) => {
                    if json {
                        println!(
                            "{{\"ok\":true,\"proof\":{},\"bytes\":{},\"log_height\":{},\"circuit_sha256\":{},\"security_bits\":{}}}",
                            quote(&output),
                            h.proof_bytes,
                            h.log_height,
                            quote(&h.circuit_sha256),
                            h.params.conjectured_bits()
                        );
                    } else {
                        println!(
                            "proved {trace}: {} steps (height 2^{}), {output}: {} bytes, {} bits conjectured",
                            h.steps,
                            h.log_height,
                            h.proof_bytes,
                            h.params.conjectured_bits()
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => fail(json, "not_proved", &e.to_string(), e.exit_code()),
            }
        }
        Command::Verify {
            proof,
            circuit,
            program,
            claim,
            json,
        } => {
            let circuit = match (circuit, program) {
                (Some(circuit), _) => match Circuit::read(&circuit) {
                    Ok(c) => c,
                    Err(e) => return fail(json, "bad_circuit", &e.to_string(), exit::BAD_INPUT),
                },
                (None, Some(program)) => {
                    match verifier_circuit(&proof, &program, claim.as_deref()) {
                        Ok(c) => c,
                        Err(e) => {
                            let kind = if e.exit_code() == exit::REJECTED {
                                "rejected"
                            } else {
                                "bad_input"
                            };
                            return fail(json, kind, &e.to_string(), e.exit_code());
                        }
                    }
                }
                (None, None) => {
                    return fail(
                        json,
                        "usage",
                        "verify needs --circuit or --program",
                        exit::USAGE,
                    );
                }
            };
            let s = circuit.statement.clone();
            match verify(&proof, circuit) {
                Ok(h) => {
                    let memory: Vec<String> = s.end.memory.iter().map(i64::to_string).collect();
                    if let Some(segment) = s.segment {
                        // A segment: its position and both states (the chain is the caller's).
                        let initial = serde_json::to_string(&s.initial).unwrap_or_default();
                        let end = serde_json::to_string(&s.end).unwrap_or_default();
                        if json {
                            println!(
                                "{{\"ok\":true,\"proof\":{},\"weights_sha256\":{},\"max_steps\":{},\"segment\":{{\"index\":{},\"rows\":{}}},\"initial\":{initial},\"final\":{end},\"security_bits\":{}}}",
                                quote(&proof),
                                quote(&s.weights_sha256),
                                s.max_steps,
                                segment.index,
                                segment.rows,
                                h.params.conjectured_bits()
                            );
                        } else {
                            println!(
                                "verified {proof}: segment {} ({} rows) of the program with weights {} runs from step {} to step {} within max_steps {}, halted {} ({} bits conjectured)",
                                segment.index,
                                segment.rows,
                                &s.weights_sha256[..s.weights_sha256.len().min(12)],
                                s.initial.step,
                                s.end.step,
                                s.max_steps,
                                s.end.halted,
                                h.params.conjectured_bits()
                            );
                        }
                        return ExitCode::SUCCESS;
                    }
                    if json {
                        println!(
                            "{{\"ok\":true,\"proof\":{},\"weights_sha256\":{},\"max_steps\":{},\"steps\":{},\"pc\":{},\"acc\":{},\"sp\":{},\"zero_flag\":{},\"carry_flag\":{},\"halted\":{},\"memory\":[{}],\"security_bits\":{}}}",
                            quote(&proof),
                            quote(&s.weights_sha256),
                            s.max_steps,
                            s.end.step,
                            s.end.pc,
                            s.end.acc,
                            s.end.sp,
                            s.end.zero_flag,
                            s.end.carry_flag,
                            s.end.halted,
                            memory.join(","),
                            h.params.conjectured_bits()
                        );
                    } else {
                        println!(
                            "verified {proof}: the program with weights {} runs from its initial state, within max_steps {}, to steps {} pc {} acc {} sp {} zero_flag {} carry_flag {} halted {} memory [{}] ({} bits conjectured)",
                            &s.weights_sha256[..s.weights_sha256.len().min(12)],
                            s.max_steps,
                            s.end.step,
                            s.end.pc,
                            s.end.acc,
                            s.end.sp,
                            s.end.zero_flag,
                            s.end.carry_flag,
                            s.end.halted,
                            memory.join(" "),
                            h.params.conjectured_bits()
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => fail(json, "rejected", &e.to_string(), e.exit_code()),
            }
        }
        Command::Check {
            trace,
            circuit,
            program,
            json,
        } => {
            let circuit = match trace_circuit(&trace, circuit, program, "failed") {
                Ok(c) => c,
                Err((kind, message, code)) => return fail(json, kind, &message, code),
            };
            let file = match read_trace(&trace, &circuit.columns) {
                Ok(f) => f,
                Err(e) => return fail(json, "bad_trace", &e.to_string(), exit::BAD_INPUT),
            };
            let witness = match build_witness(&circuit, &file) {
                Ok(w) => w,
                Err(e) => return fail(json, "bad_trace", &e.to_string(), e.exit_code()),
            };
            let mut failures = statement_failures(&circuit.statement);
            failures.extend(check_witness(&circuit, &witness, 10));
            if json {
                let list: Vec<String> = failures
                    .iter()
                    .map(|f| {
                        format!(
                            "{{\"constraint\":{},\"row\":{}}}",
                            quote(&f.constraint),
                            f.row.map_or("null".into(), |r| r.to_string())
                        )
                    })
                    .collect();
                println!(
                    "{{\"ok\":{},\"trace\":{},\"rows\":{},\"height\":{},\"failures\":[{}]}}",
                    failures.is_empty(),
                    quote(&trace),
                    file.rows,
                    witness.height,
                    list.join(",")
                );
            } else if failures.is_empty() {
                println!(
                    "ok: {trace}: {} rows (padded to {}), {} constraints and {} arguments hold",
                    file.rows,
                    witness.height,
                    circuit.constraints.len(),
                    circuit.arguments.len()
                );
            } else {
                println!("FAILED: {trace}");
                for f in &failures {
                    println!("  {f}");
                }
            }
            if failures.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(exit::REJECTED as u8)
            }
        }
    }
}
