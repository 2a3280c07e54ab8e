//! The verifier's statement built in Rust, without Node: a compiled program (`.tvmc`,
//! `schemas/compiled-program-v1.json`) gives every table of the AIR (as the checker's
//! `programTables` in `src/check/tables.ts`), a claim file (`schemas/claim-v2.json`) or a
//! proof's header gives the final state, and [`Expanded::document`] turns them into the very
//! circuit document `tvm-trace` builds — so `tvm-prove verify --program P.tvmc` checks a proof
//! against tables it rebuilt itself, never against the proof or a trace.

use std::sync::OnceLock;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::circuit::Circuit;
use crate::columns::{INPUT_DIM, OUTPUT_DIM};
use crate::error::StatementError;
use crate::expand::Expanded;
use crate::msgpack::{self, Value};
use crate::public::{BoundaryState, PublicInputs};
use crate::tables::{Table, Tables};

const PROGRAM_SCHEMA: &str = "tvm-trace/compiled-program/v1";
const CLAIM_SCHEMA: &str = "tvm-trace/claim/v2";
const ISA_JSON: &str = include_str!("../../schemas/isa-v1.json");
const MAX_MEMORY: i64 = 255;
const MAX_FF_DIM: i64 = 65536;
const MAX_FILE: u64 = 1 << 24;
const GATE_CONSTANT: i64 = -1;
const WEIGHTS_TAG: i32 = 0x7476_6d31;

#[derive(Deserialize)]
struct Isa {
    opcodes: Vec<IsaOpcode>,
}

#[derive(Deserialize)]
struct IsaOpcode {
    operand: String,
}

fn operands() -> &'static [String] {
    static OPERANDS: OnceLock<Vec<String>> = OnceLock::new();
    OPERANDS.get_or_init(|| {
        serde_json::from_str::<Isa>(ISA_JSON)
            .map(|isa| isa.opcodes.into_iter().map(|o| o.operand).collect())
            .unwrap_or_default()
    })
}

/// One hidden unit of an instruction: `hidden = (W_gate·x)·(W_value·x)` with one-hot rows
/// (`gate` = -1: the constant 1), added `coeff` times into output `out`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unit {
    pub gate: i64,
    pub value: i64,
    pub out: usize,
    pub coeff: i64,
}

/// A compiled instruction as the `.tvmc` holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instruction {
    pub opcode: usize,
    pub arg: i64,
    /// 0 none, 1 direct, 2 stack_top.
    pub read_mode: i32,
    pub read_addr: i64,
    pub units: Vec<Unit>,
    pub bias: [i64; OUTPUT_DIM],
    /// 0 keep, 1 result.
    pub zero: i32,
    /// 0 keep, 1 clear, 2 overflow, 3 signed_less.
    pub carry: i32,
    pub halts: bool,
}

/// A compiled program (`.tvmc`), its weights checked against its stored digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompiledProgram {
    pub memory_size: usize,
    pub initial_memory: Vec<i64>,
    pub ff_dim: usize,
    pub weights_sha256: String,
    pub instructions: Vec<Instruction>,
}

fn format_error(path: &str) -> impl Fn(String) -> StatementError + '_ {
    move |reason| StatementError::Format {
        path: path.to_string(),
        reason,
    }
}

fn read_bounded(path: &str) -> Result<Vec<u8>, StatementError> {
    let io = |e: std::io::Error| StatementError::Io {
        path: path.to_string(),
        reason: e.kind().to_string(),
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.len() > MAX_FILE {
        return Err(StatementError::Format {
            path: path.to_string(),
            reason: format!("larger than {MAX_FILE} bytes"),
        });
    }
    std::fs::read(path).map_err(io)
}

/// A msgpack map's fields, exactly `keys` (all present, nothing else).
fn fields<'v>(value: &'v Value, at: &str, keys: &[&str]) -> Result<Vec<&'v Value>, String> {
    let Value::Map(entries) = value else {
        return Err(format!("field '{at}' must be a map"));
    };
    if entries.len() != keys.len() {
        return Err(format!(
            "field '{at}' must have exactly {}",
            keys.join(", ")
        ));
    }
    keys.iter()
        .map(|key| {
            entries
                .iter()
                .find(|(k, _)| matches!(k, Value::Str(s) if s == key))
                .map(|(_, v)| v)
                .ok_or_else(|| format!("missing field '{at}.{key}'"))
        })
        .collect()
}

fn int(value: &Value, at: &str, min: i64, max: i64) -> Result<i64, String> {
    match value.as_i64() {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("field '{at}' must be an integer {min}..{max}")),
    }
}

fn text<'v>(value: &'v Value, at: &str) -> Result<&'v str, String> {
    match value {
        Value::Str(s) => Ok(s),
        _ => Err(format!("field '{at}' must be a string")),
    }
}

fn array<'v>(value: &'v Value, at: &str) -> Result<&'v [Value], String> {
    match value {
        Value::Array(items) => Ok(items),
        _ => Err(format!("field '{at}' must be an array")),
    }
}

fn boolean(value: &Value, at: &str) -> Result<bool, String> {
    match value {
        Value::Bool(b) => Ok(*b),
        _ => Err(format!("field '{at}' must be a boolean")),
    }
}

fn choice(value: &Value, at: &str, choices: &[&str]) -> Result<i32, String> {
    let s = text(value, at)?;
    choices
        .iter()
        .position(|c| *c == s)
        .map(|i| i as i32)
        .ok_or_else(|| format!("field '{at}' must be one of {}", choices.join(", ")))
}

fn i16_list(value: &Value, at: &str, len: usize) -> Result<Vec<i64>, String> {
    let items = array(value, at)?;
    if items.len() != len {
        return Err(format!("field '{at}' must have {len} entries"));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, v)| int(v, &format!("{at}[{i}]"), -32768, 32767))
        .collect()
}

fn instruction(value: &Value, at: &str) -> Result<Instruction, String> {
    let f = fields(
        value,
        at,
        &["opcode", "arg", "read", "units", "bias", "controls"],
    )?;
    let operands = operands();
    let opcode = int(f[0], &format!("{at}.opcode"), 0, operands.len() as i64 - 1)? as usize;
    let arg = match operands[opcode].as_str() {
        "none" => int(f[1], &format!("{at}.arg"), 0, 0)?,
        "immediate" => int(f[1], &format!("{at}.arg"), -32768, 32767)?,
        _ => int(f[1], &format!("{at}.arg"), 0, 255)?,
    };
    let read = fields(f[2], &format!("{at}.read"), &["mode", "addr"])?;
    let read_mode = choice(
        read[0],
        &format!("{at}.read.mode"),
        &["none", "direct", "stack_top"],
    )?;
    let read_addr = int(read[1], &format!("{at}.read.addr"), 0, 255)?;
    let units = array(f[3], &format!("{at}.units"))?
        .iter()
        .enumerate()
        .map(|(k, u)| {
            let p = format!("{at}.units[{k}]");
            let u = fields(u, &p, &["gate", "value", "out", "coeff"])?;
            Ok(Unit {
                gate: int(
                    u[0],
                    &format!("{p}.gate"),
                    GATE_CONSTANT,
                    INPUT_DIM as i64 - 1,
                )?,
                value: int(u[1], &format!("{p}.value"), 0, INPUT_DIM as i64 - 1)?,
                out: int(u[2], &format!("{p}.out"), 0, OUTPUT_DIM as i64 - 1)? as usize,
                coeff: int(
                    u[3],
                    &format!("{p}.coeff"),
                    i32::MIN.into(),
                    i32::MAX.into(),
                )?,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let bias_list = array(f[4], &format!("{at}.bias"))?;
    if bias_list.len() != OUTPUT_DIM {
        return Err(format!("field '{at}.bias' must have {OUTPUT_DIM} entries"));
    }
    let mut bias = [0; OUTPUT_DIM];
    for (o, b) in bias_list.iter().enumerate() {
        bias[o] = int(
            b,
            &format!("{at}.bias[{o}]"),
            i32::MIN.into(),
            i32::MAX.into(),
        )?;
    }
    let controls = fields(f[5], &format!("{at}.controls"), &["zero", "carry", "halts"])?;
    Ok(Instruction {
        opcode,
        arg,
        read_mode,
        read_addr,
        units,
        bias,
        zero: choice(
            controls[0],
            &format!("{at}.controls.zero"),
            &["keep", "result"],
        )?,
        carry: choice(
            controls[1],
            &format!("{at}.controls.carry"),
            &["keep", "clear", "overflow", "signed_less"],
        )?,
        halts: boolean(controls[2], &format!("{at}.controls.halts"))?,
    })
}

/// SHA-256 of the canonical weights (`src/compiler/compile.ts` `weightsBytes`).
fn weights_digest(instructions: &[Instruction]) -> String {
    let mut words: Vec<i32> = vec![WEIGHTS_TAG, instructions.len() as i32];
    for c in instructions {
        words.extend([
            c.opcode as i32,
            c.arg as i32,
            c.read_mode,
            c.read_addr as i32,
        ]);
        words.extend([c.zero, c.carry, i32::from(c.halts), c.units.len() as i32]);
        for u in &c.units {
            words.extend([u.gate as i32, u.value as i32, u.out as i32, u.coeff as i32]);
        }
        words.extend(c.bias.iter().map(|&b| b as i32));
    }
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl CompiledProgram {
    /// Decode and validate `.tvmc` bytes: every field's type and range, and the stored weights
    /// digest against the decoded weights. (Recompiling the instructions, which `tvm-trace`
    /// also does, needs the TypeScript compiler: the Rust verifier proves a statement about the
    /// weights this file holds, named by their digest.)
    pub fn from_bytes(bytes: &[u8], path: &str) -> Result<Self, StatementError> {
        let fail = format_error(path);
        if !matches!(bytes.first(), Some(0x80..=0x8f | 0xde | 0xdf)) {
            return Err(fail(
                "not a .tvmc file (a compiled program: tvm-trace compile PROG.tvm -o PROG.tvmc)"
                    .into(),
            ));
        }
        let root = msgpack::decode(bytes).map_err(|e| fail(format!("not a .tvmc file: {e}")))?;
        let f = fields(
            &root,
            "",
            &[
                "schema",
                "memory_size",
                "initial_memory",
                "ff_dim",
                "weights_digest",
                "instructions",
            ],
        )
        .map_err(&fail)?;
        let schema = text(f[0], "schema").map_err(&fail)?;
        if schema != PROGRAM_SCHEMA {
            return Err(fail(format!(
                "unknown schema version '{schema}' (expected {PROGRAM_SCHEMA})"
            )));
        }
        let memory_size = int(f[1], "memory_size", 0, MAX_MEMORY).map_err(&fail)? as usize;
        let initial_memory = i16_list(f[2], "initial_memory", memory_size).map_err(&fail)?;
        let ff_dim = int(f[3], "ff_dim", 0, MAX_FF_DIM).map_err(&fail)? as usize;
        let digest = text(f[4], "weights_digest").map_err(&fail)?.to_string();
        let instructions = array(f[5], "instructions")
            .map_err(&fail)?
            .iter()
            .enumerate()
            .map(|(j, v)| instruction(v, &format!("instructions[{j}]")))
            .collect::<Result<Vec<_>, String>>()
            .map_err(&fail)?;
        let widest = instructions
            .iter()
            .map(|c| c.units.len())
            .max()
            .unwrap_or(0);
        if ff_dim < widest {
            return Err(fail(format!(
                "field 'ff_dim' ({ff_dim}) is narrower than the widest instruction ({widest} units)"
            )));
        }
        let computed = weights_digest(&instructions);
        if computed != digest {
            return Err(fail(format!(
                "weights digest mismatch (stored {digest}, computed {computed})"
            )));
        }
        Ok(Self {
            memory_size,
            initial_memory,
            ff_dim,
            weights_sha256: digest,
            instructions,
        })
    }

    /// Read a `.tvmc` file.
    pub fn read(path: &str) -> Result<Self, StatementError> {
        Self::from_bytes(&read_bounded(path)?, path)
    }

    /// Every table of the AIR for this program at width `ff_dim` (`programTables`), without
    /// the public values ([`PublicInputs::insert_into`] adds them).
    pub fn tables(&self, ff_dim: usize) -> Result<Tables, StatementError> {
        let widest = self
            .instructions
            .iter()
            .map(|c| c.units.len())
            .max()
            .unwrap_or(0);
        if ff_dim < widest {
            return Err(StatementError::Mismatch(format!(
                "ff_dim {ff_dim} is narrower than the widest instruction ({widest} units)"
            )));
        }
        let p = self.instructions.len();
        let f = ff_dim;
        let n = self.memory_size as i64;
        let mut w_gate = vec![0i64; p * f * INPUT_DIM];
        let mut b_gate = vec![0i64; p * f];
        let mut w_value = vec![0i64; p * f * INPUT_DIM];
        let mut w_out = vec![0i64; p * OUTPUT_DIM * f];
        let mut b_out = vec![0i64; p * OUTPUT_DIM];
        for (j, c) in self.instructions.iter().enumerate() {
            for (k, u) in c.units.iter().enumerate() {
                let row = j * f + k;
                if u.gate == GATE_CONSTANT {
                    b_gate[row] = 1;
                } else {
                    w_gate[row * INPUT_DIM + u.gate as usize] = 1;
                }
                w_value[row * INPUT_DIM + u.value as usize] = 1;
                w_out[(j * OUTPUT_DIM + u.out) * f + k] += u.coeff;
            }
            b_out[j * OUTPUT_DIM..(j + 1) * OUTPUT_DIM].copy_from_slice(&c.bias);
        }
        let ops = operands();
        let each = |g: &dyn Fn(usize, &Instruction) -> i64| Table {
            shape: vec![p],
            values: self
                .instructions
                .iter()
                .enumerate()
                .map(|(j, c)| g(j, c))
                .collect(),
        };
        let mut tables = Tables::default();
        let mut put = |name: &str, table: Table| {
            tables.by_name.insert(name.to_string(), table);
        };
        put(
            "W_gate",
            Table {
                shape: vec![p, f, INPUT_DIM],
                values: w_gate,
            },
        );
        put(
            "b_gate",
            Table {
                shape: vec![p, f],
                values: b_gate,
            },
        );
        put(
            "W_value",
            Table {
                shape: vec![p, f, INPUT_DIM],
                values: w_value,
            },
        );
        put(
            "b_value",
            Table {
                shape: vec![p, f],
                values: vec![0; p * f],
            },
        );
        put(
            "W_out",
            Table {
                shape: vec![p, OUTPUT_DIM, f],
                values: w_out,
            },
        );
        put(
            "b_out",
            Table {
                shape: vec![p, OUTPUT_DIM],
                values: b_out,
            },
        );
        let flag = |b: bool| i64::from(b);
        put("index", each(&|j, _| j as i64));
        put("opcode", each(&|_, c| c.opcode as i64));
        put("arg", each(&|_, c| c.arg));
        put(
            "invalid",
            each(&|j, c| {
                // An address operand at or past memory size can only fault; pc never reaches 256.
                flag(j >= 256 || (ops[c.opcode] == "address" && c.arg >= n))
            }),
        );
        put("wraps", each(&|j, _| flag(j == 255)));
        put("read_any", each(&|_, c| flag(c.read_mode != 0)));
        put(
            "read_direct_addr",
            each(&|_, c| if c.read_mode == 1 { c.read_addr } else { 0 }),
        );
        put("read_stack", each(&|_, c| flag(c.read_mode == 2)));
        put("zero_result", each(&|_, c| flag(c.zero == 1)));
        put("zero_keep", each(&|_, c| flag(c.zero == 0)));
        put("carry_keep", each(&|_, c| flag(c.carry == 0)));
        put("carry_overflow", each(&|_, c| flag(c.carry == 2)));
        put("carry_less", each(&|_, c| flag(c.carry == 3)));
        put("halts", each(&|_, c| flag(c.halts)));
        // 2^63 does not fit an i64: it wraps (no constraint reads past pow2[28]).
        put(
            "pow2",
            Table {
                shape: vec![64],
                values: (0..64).map(|i| 1i64.wrapping_shl(i)).collect(),
            },
        );
        put(
            "memory_size",
            Table {
                shape: vec![],
                values: vec![n],
            },
        );
        Ok(tables)
    }

    /// The statement of a whole run of this program at width `ff_dim` within `max_steps`,
    /// ending in `end` (`statement.initial_state`: the initial state is the program's).
    pub fn statement(&self, ff_dim: usize, max_steps: i64, end: BoundaryState) -> PublicInputs {
        PublicInputs {
            weights_sha256: self.weights_sha256.clone(),
            ff_dim,
            instructions: self.instructions.len(),
            memory_size: self.memory_size,
            max_steps,
            initial: PublicInputs::initial_state(&self.initial_memory),
            end,
        }
    }

    /// The circuit of `statement` (a statement of this program), built here: the document
    /// `tvm-trace` would build, with its digest.
    pub fn circuit(&self, statement: &PublicInputs) -> Result<Circuit, StatementError> {
        if statement.weights_sha256 != self.weights_sha256
            || statement.memory_size != self.memory_size
            || statement.instructions != self.instructions.len()
        {
            return Err(StatementError::Mismatch(
                "the statement is of another program".into(),
            ));
        }
        if statement.end.memory.len() != self.memory_size {
            return Err(StatementError::Mismatch(format!(
                "the final state has {} memory cells, the program {}",
                statement.end.memory.len(),
                self.memory_size
            )));
        }
        let mut tables = self.tables(statement.ff_dim)?;
        statement.insert_into(&mut tables);
        let expanded = Expanded::new(&statement.dims(), &tables)?;
        let bytes = expanded.document(statement)?;
        Circuit::from_bytes(&bytes, "the program's circuit")
            .map_err(|e| StatementError::Mismatch(e.to_string()))
    }
}

/// A claim file (`export --claim`): the run's budget and final state, for `program`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    pub max_steps: i64,
    pub end: BoundaryState,
}

impl Claim {
    /// Decode a claim and check it is of `program` (its weights and initial memory) and of a
    /// run that did not fault (a faulted run is not proved).
    pub fn from_bytes(
        bytes: &[u8],
        path: &str,
        program: &CompiledProgram,
    ) -> Result<Self, StatementError> {
        let fail = format_error(path);
        let root = msgpack::decode(bytes).map_err(|e| fail(format!("not a msgpack claim: {e}")))?;
        let keys = [
            "schema",
            "trace_schema",
            "air",
            "weights_sha256",
            "memory_size",
            "initial_memory",
            "max_steps",
            "steps",
            "pc",
            "acc",
            "sp",
            "zero_flag",
            "carry_flag",
            "halted",
            "memory",
            "fault",
        ];
        let f = fields(&root, "claim", &keys).map_err(&fail)?;
        let schema = text(f[0], "schema").map_err(&fail)?;
        if schema != CLAIM_SCHEMA {
            return Err(fail(format!(
                "claim schema '{schema}', expected {CLAIM_SCHEMA}"
            )));
        }
        let weights = text(f[3], "weights_sha256").map_err(&fail)?;
        if weights != program.weights_sha256 {
            return Err(StatementError::Mismatch(format!(
                "{path}: the claim is of another program (weights {}…, the program's {}…)",
                weights.get(..12).unwrap_or(weights),
                &program.weights_sha256[..12.min(program.weights_sha256.len())]
            )));
        }
        let n = int(f[4], "memory_size", 0, MAX_MEMORY).map_err(&fail)? as usize;
        let initial = i16_list(f[5], "initial_memory", n).map_err(&fail)?;
        if n != program.memory_size || initial != program.initial_memory {
            return Err(StatementError::Mismatch(format!(
                "{path}: the claim's initial memory is not the program's"
            )));
        }
        if !matches!(f[15], Value::Nil) {
            return Err(StatementError::Mismatch(format!(
                "{path}: the run faulted: a faulted run is not proved, only halted runs and runs stopped at max_steps"
            )));
        }
        let limit = 1 << 29;
        let end = BoundaryState {
            step: int(f[7], "steps", 0, limit).map_err(&fail)?,
            pc: int(f[8], "pc", 0, 255).map_err(&fail)?,
            acc: int(f[9], "acc", -32768, 32767).map_err(&fail)?,
            sp: int(f[10], "sp", 0, 255).map_err(&fail)?,
            zero_flag: i64::from(boolean(f[11], "zero_flag").map_err(&fail)?),
            carry_flag: i64::from(boolean(f[12], "carry_flag").map_err(&fail)?),
            halted: Some(i64::from(boolean(f[13], "halted").map_err(&fail)?)),
            memory: i16_list(f[14], "memory", n).map_err(&fail)?,
        };
        Ok(Self {
            max_steps: int(f[6], "max_steps", 1, limit).map_err(&fail)?,
            end,
        })
    }

    /// Read a claim file.
    pub fn read(path: &str, program: &CompiledProgram) -> Result<Self, StatementError> {
        Self::from_bytes(&read_bounded(path)?, path, program)
    }
}

/// The verifier's circuit for the proof at `proof_path`: from the program at `program_path`
/// (a `.tvmc`) and the claim at `claim_path`, or without a claim from the final state and
/// `max_steps` the proof's header states (then verified like any other statement). The width
/// is the `.tvmc`'s `ff_dim`; a proof at another width is refused (exit 1) rather than have a
/// header choose how large a circuit the verifier builds.
pub fn verifier_circuit(
    proof_path: &str,
    program_path: &str,
    claim_path: Option<&str>,
) -> Result<Circuit, StatementError> {
    let program = CompiledProgram::read(program_path)?;
    let bytes = std::fs::read(proof_path).map_err(|e| StatementError::Io {
        path: proof_path.to_string(),
        reason: e.kind().to_string(),
    })?;
    let (header, _) =
        crate::prove::read_header(&bytes, proof_path).map_err(|e| StatementError::Format {
            path: proof_path.to_string(),
            reason: e.to_string(),
        })?;
    let (max_steps, end) = match claim_path {
        Some(path) => {
            let claim = Claim::read(path, &program)?;
            (claim.max_steps, claim.end)
        }
        None => {
            let e = &header.end;
            (
                header.max_steps,
                BoundaryState {
                    step: e.step,
                    pc: e.pc,
                    acc: e.acc,
                    sp: e.sp,
                    zero_flag: e.zero_flag,
                    carry_flag: e.carry_flag,
                    halted: Some(e.halted),
                    memory: e.memory.clone(),
                },
            )
        }
    };
    // The width is the .tvmc's: a proof's header (untrusted) cannot make the verifier build
    // tables of instructions × 65536 × 41 cells.
    if header.ff_dim != program.ff_dim {
        return Err(StatementError::Mismatch(format!(
            "the proof is at ff_dim {}, {program_path} at {} (compile it with --ff-dim {})",
            header.ff_dim.min(MAX_FF_DIM as usize + 1),
            program.ff_dim,
            header.ff_dim.min(MAX_FF_DIM as usize + 1)
        )));
    }
    program.circuit(&program.statement(header.ff_dim, max_steps, end))
}

/// The `tvm.*` metadata of a trace file (its schema only: no record batch is read).
pub fn read_metadata(
    trace_path: &str,
) -> Result<std::collections::HashMap<String, String>, StatementError> {
    let file = std::fs::File::open(trace_path).map_err(|e| StatementError::Io {
        path: trace_path.to_string(),
        reason: e.kind().to_string(),
    })?;
    let reader =
        arrow_ipc::reader::FileReader::try_new(file, None).map_err(|e| StatementError::Format {
            path: trace_path.to_string(),
            reason: format!(
                "not a readable Arrow IPC file: {}",
                e.to_string().lines().next().unwrap_or("")
            ),
        })?;
    Ok(reader.schema().metadata().clone().into())
}

#[derive(Deserialize)]
struct MetaClaim {
    steps: i64,
    pc: i64,
    acc: i64,
    sp: i64,
    zero_flag: bool,
    carry_flag: bool,
    halted: bool,
    memory: Vec<i64>,
    fault: Option<serde_json::Value>,
}

/// The prover's circuit for the trace at `trace_path`: the statement its metadata claims
/// (`tvm.claim`, `tvm.max_steps`) of the program at `program_path` (a `.tvmc`, which must be
/// the trace's: `tvm.weights_sha256`, `tvm.initial_memory`, and at its `tvm.ff_dim`). A faulted run is
/// refused (`Mismatch`, exit 1): only halted runs and runs stopped at `max_steps` are proved.
pub fn prover_circuit(trace_path: &str, program_path: &str) -> Result<Circuit, StatementError> {
    let program = CompiledProgram::read(program_path)?;
    let meta = read_metadata(trace_path)?;
    let fail = format_error(trace_path);
    let get = |key: &str| {
        meta.get(key)
            .ok_or_else(|| fail(format!("metadata '{key}' is missing")))
    };
    let weights = get("tvm.weights_sha256")?;
    if *weights != program.weights_sha256 {
        return Err(StatementError::Mismatch(format!(
            "{trace_path}: the trace is of another program (weights {}…, the program's {}…)",
            weights.get(..12).unwrap_or(weights),
            &program.weights_sha256[..12.min(program.weights_sha256.len())]
        )));
    }
    let initial: Vec<i64> = serde_json::from_str(get("tvm.initial_memory")?)
        .map_err(|_| fail("metadata 'tvm.initial_memory' is not a list of integers".into()))?;
    if initial != program.initial_memory {
        return Err(StatementError::Mismatch(format!(
            "{trace_path}: the trace's initial memory is not the program's"
        )));
    }
    let number = |key: &str| -> Result<i64, StatementError> {
        get(key)?
            .parse::<i64>()
            .map_err(|_| fail(format!("metadata '{key}' is not an integer")))
    };
    let max_steps = number("tvm.max_steps")?;
    let ff_dim = usize::try_from(number("tvm.ff_dim")?)
        .ok()
        .filter(|&f| f as i64 <= MAX_FF_DIM)
        .ok_or_else(|| fail("metadata 'tvm.ff_dim' out of range".into()))?;
    if ff_dim != program.ff_dim {
        return Err(StatementError::Mismatch(format!(
            "{trace_path}: the trace is at ff_dim {ff_dim}, {program_path} at {} (compile it with --ff-dim {ff_dim})",
            program.ff_dim
        )));
    }
    let claim: MetaClaim = serde_json::from_str(get("tvm.claim")?)
        .map_err(|e| fail(format!("metadata 'tvm.claim': {e}")))?;
    if let Some(fault) = claim.fault.filter(|f| !f.is_null()) {
        let message = fault
            .get("message")
            .and_then(|m| m.as_str())
            .unwrap_or("a fault");
        return Err(StatementError::Mismatch(format!(
            "the run faulted ({message}): a faulted run is not proved, only halted runs and runs stopped at max_steps"
        )));
    }
    let end = BoundaryState {
        step: claim.steps,
        pc: claim.pc,
        acc: claim.acc,
        sp: claim.sp,
        zero_flag: i64::from(claim.zero_flag),
        carry_flag: i64::from(claim.carry_flag),
        halted: Some(i64::from(claim.halted)),
        memory: claim.memory,
    };
    program.circuit(&program.statement(ff_dim, max_steps, end))
}
