//! Proving a witness and verifying a proof, and the proof file: a text line naming the format,
//! one JSON header line (the circuit digest, the height, the parameters, the statement in
//! brief) and the Plonky3 batch proof (postcard).

use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use p3_batch_stark::{BatchProof, ProverData, StarkInstance, prove_batch, verify_batch};
use serde::{Deserialize, Serialize};

use crate::air::TvmAir;
use crate::check::{check_witness, statement_failures};
use crate::circuit::{Boundary, Circuit, SegmentPosition};
use crate::config::{Config, ProofParameters, SECURITY_BITS, Val};
use crate::error::{ProveError, VerifyError};
use crate::generation::{
    MAX_LOG_HEIGHT, MIN_LOG_HEIGHT, TABLE_LOG_HEIGHT, build_witness, table_matrix,
};
use crate::trace::read_trace;

const MAGIC: &[u8] = b"tvm-trace proof v1\n";
const MAX_HEADER: usize = 1 << 16;

/// What a proof file says of itself (untrusted until verified).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ProofHeader {
    pub circuit_sha256: String,
    pub log_height: usize,
    pub params: ProofParameters,
    pub weights_sha256: String,
    pub ff_dim: usize,
    pub steps: i64,
    pub halted: i64,
    pub max_steps: i64,
    /// Set for a segment's proof: its position in the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<SegmentPosition>,
    /// The initial boundary state proved (a segment's; for a whole run the program's).
    pub initial: Boundary,
    /// The final boundary state proved (a verifier without a claim verifies against this).
    #[serde(rename = "final")]
    pub end: Boundary,
    pub proof_bytes: usize,
}

#[derive(Clone, Debug, Default)]
pub struct ProveOptions {
    pub params: ProofParameters,
    /// Report each phase on stderr.
    pub progress: bool,
    /// Skip the pre-check (tests only: forcing a forged trace through shows the proof fails).
    pub unchecked: bool,
}

fn phase(progress: bool, start: Instant, what: &str) {
    if progress {
        eprintln!("tvm-prove: {what} ({:.2} s)", start.elapsed().as_secs_f64());
    }
}

/// Prove `trace_path` against `circuit`, writing the proof to `out` (atomically).
pub fn prove(
    trace_path: &str,
    circuit: Circuit,
    out: &str,
    options: &ProveOptions,
) -> Result<ProofHeader, ProveError> {
    let start = Instant::now();
    let trace = read_trace(trace_path, &circuit.columns)?;
    if trace.metadata.get("tvm.weights_sha256") != Some(&circuit.statement.weights_sha256)
        && !options.unchecked
    {
        return Err(ProveError::Unsatisfied {
            constraint: "metadata.weights_sha256".into(),
            location: ": the trace is of another program than the circuit's".into(),
        });
    }
    if let Some(claim) = trace
        .metadata
        .get("tvm.claim")
        .filter(|_| !options.unchecked)
    {
        let fault = serde_json::from_str::<serde_json::Value>(claim)
            .ok()
            .and_then(|c| c.get("fault").cloned());
        if let Some(fault) = fault.filter(|f| !f.is_null()) {
            let message = fault
                .get("message")
                .and_then(|m| m.as_str())
                .unwrap_or("a fault")
                .to_string();
            return Err(ProveError::Faulted { message });
        }
    }
    phase(
        options.progress,
        start,
        &format!("read {} rows", trace.rows),
    );
    let witness = build_witness(&circuit, &trace)?;
    phase(
        options.progress,
        start,
        &format!(
            "padded to {} rows × {} columns",
            witness.height, witness.width
        ),
    );
    if !options.unchecked {
        if let Some(first) = statement_failures(&circuit.statement)
            .first()
            .or(check_witness(&circuit, &witness, 1).first())
        {
            let location = first.row.map_or(String::new(), |r| format!(" at row {r}"));
            return Err(ProveError::Unsatisfied {
                constraint: first.constraint.clone(),
                location,
            });
        }
        phase(
            options.progress,
            start,
            "every constraint and argument holds",
        );
    }
    let log_height = witness.height.trailing_zeros() as usize;
    let matrix = witness.to_field();
    let table = table_matrix(&circuit, &witness);
    drop(witness);
    let circuit = Arc::new(circuit);
    let [steps, memory] = TvmAir::batch(&circuit);
    let config = options.params.config();
    let public_values = TvmAir::public_values::<Val>(&circuit);
    let instances = [
        StarkInstance {
            air: &steps,
            trace: &matrix,
            public_values: public_values.clone(),
        },
        StarkInstance {
            air: &memory,
            trace: &table,
            public_values,
        },
    ];
    let proof = catch_unwind(AssertUnwindSafe(
        || -> Result<BatchProof<Config>, String> {
            let data =
                ProverData::from_instances(&config, &instances).map_err(|e| format!("{e:?}"))?;
            phase(
                options.progress,
                start,
                "preprocessed columns committed; proving",
            );
            prove_batch(&config, &instances, &data).map_err(|e| format!("{e:?}"))
        },
    ))
    .map_err(|_| ProveError::Prover("the prover stopped on an unsatisfiable witness".into()))?
    .map_err(ProveError::Prover)?;
    let body = postcard::to_allocvec(&proof).map_err(|e| ProveError::Prover(e.to_string()))?;
    let s = &circuit.statement;
    let header = ProofHeader {
        circuit_sha256: circuit.sha256_hex(),
        log_height,
        params: options.params,
        weights_sha256: s.weights_sha256.clone(),
        ff_dim: s.ff_dim,
        steps: s.end.step - s.initial.step,
        halted: s.end.halted,
        max_steps: s.max_steps,
        segment: s.segment,
        initial: s.initial.clone(),
        end: s.end.clone(),
        proof_bytes: body.len(),
    };
    let mut bytes = MAGIC.to_vec();
    bytes.extend(serde_json::to_vec(&header).map_err(|e| ProveError::Prover(e.to_string()))?);
    bytes.push(b'\n');
    bytes.extend(body);
    write_atomic(out, &bytes).map_err(|reason| ProveError::Write {
        path: out.to_string(),
        reason,
    })?;
    phase(
        options.progress,
        start,
        &format!("wrote {out} ({} bytes)", bytes.len()),
    );
    Ok(header)
}

fn write_atomic(target: &str, bytes: &[u8]) -> Result<(), String> {
    let path = Path::new(target);
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().ok_or("not a file name")?.to_string_lossy();
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        e.kind().to_string()
    })
}

/// Split a proof file into its header and the proof's bytes.
pub fn read_header<'a>(
    bytes: &'a [u8],
    path: &str,
) -> Result<(ProofHeader, &'a [u8]), VerifyError> {
    let format = |reason: &str| VerifyError::Format {
        path: path.to_string(),
        reason: reason.to_string(),
    };
    let rest = bytes
        .strip_prefix(MAGIC)
        .ok_or_else(|| format("it does not start with 'tvm-trace proof v1'"))?;
    let end = rest
        .iter()
        .take(MAX_HEADER)
        .position(|&b| b == b'\n')
        .ok_or_else(|| format("no header line"))?;
    let header: ProofHeader =
        serde_json::from_slice(&rest[..end]).map_err(|e| format(&format!("header: {e}")))?;
    let body = &rest[end + 1..];
    if body.len() != header.proof_bytes {
        return Err(format(&format!(
            "the proof is {} bytes, its header says {}",
            body.len(),
            header.proof_bytes
        )));
    }
    Ok((header, body))
}

/// Verify the proof at `path` against `circuit` (the verifier's own, built from its program
/// and claim). Returns the header of a proof that verifies.
pub fn verify(path: &str, circuit: Circuit) -> Result<ProofHeader, VerifyError> {
    let bytes = std::fs::read(path).map_err(|e| VerifyError::Io {
        path: path.to_string(),
        reason: e.kind().to_string(),
    })?;
    let (header, body) = read_header(&bytes, path)?;
    if header.circuit_sha256 != circuit.sha256_hex() {
        return Err(VerifyError::Statement {
            proof: header.circuit_sha256,
            expected: circuit.sha256_hex(),
        });
    }
    // The header restates the statement for readers: it must be the one verified.
    let s = &circuit.statement;
    if header.weights_sha256 != s.weights_sha256
        || header.ff_dim != s.ff_dim
        || header.max_steps != s.max_steps
        || header.segment != s.segment
        || header.initial != s.initial
        || header.end != s.end
        || header.steps != s.end.step - s.initial.step
        || header.halted != s.end.halted
    {
        return Err(VerifyError::Invalid(
            "the proof's header states another statement than the one its circuit proves".into(),
        ));
    }
    if let Some(failure) = statement_failures(&circuit.statement).first() {
        return Err(VerifyError::Invalid(format!(
            "the statement breaks {}",
            failure.constraint
        )));
    }
    let params = header.params;
    if !params.is_sane() || params.conjectured_bits() < SECURITY_BITS as usize {
        return Err(VerifyError::WeakParameters {
            got: format!("{} bits conjectured", params.conjectured_bits()),
            required: format!("{SECURITY_BITS} bits"),
        });
    }
    if !(MIN_LOG_HEIGHT..=MAX_LOG_HEIGHT).contains(&header.log_height) {
        return Err(VerifyError::Invalid(format!(
            "trace height 2^{} outside 2^{MIN_LOG_HEIGHT}..2^{MAX_LOG_HEIGHT}",
            header.log_height
        )));
    }
    let proof: BatchProof<Config> = postcard::from_bytes(body)
        .map_err(|e| VerifyError::Invalid(format!("malformed proof: {e}")))?;
    let circuit = Arc::new(circuit);
    let airs = TvmAir::batch(&circuit);
    let config = params.config();
    let public_values = vec![TvmAir::public_values::<Val>(&circuit); 2];
    let outcome = catch_unwind(AssertUnwindSafe(|| -> Result<(), String> {
        let data = ProverData::from_airs_and_degrees(
            &config,
            &airs,
            &[header.log_height, TABLE_LOG_HEIGHT],
        )
        .map_err(|e| format!("{e:?}"))?;
        verify_batch(&config, &airs, &proof, &public_values, &data.common)
            .map_err(|e| format!("{e:?}"))
    }));
    match outcome {
        Ok(Ok(())) => Ok(header),
        Ok(Err(reason)) => Err(VerifyError::Invalid(one_line(&reason))),
        Err(_) => Err(VerifyError::Invalid(
            "malformed proof (its shape does not fit the circuit)".into(),
        )),
    }
}

fn one_line(text: &str) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.len() > 300 {
        format!(
            "{}…",
            &line[..line.char_indices().nth(300).map_or(line.len(), |(i, _)| i)]
        )
    } else {
        line
    }
}
