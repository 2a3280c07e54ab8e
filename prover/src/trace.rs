//! Reading a tvm-trace witness (trace schema v2, an Arrow IPC file) with arrow-rs: the
//! `tvm.*` metadata and every column as integers, validated against the layout the circuit
//! (and `schemas/trace-v2.json`) gives. Compressed bodies (LZ4 frame, ZSTD) are read too.

use std::collections::HashMap;
use std::fs::File;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int8Type, Int16Type, Int32Type};
use arrow_array::{Array, ArrayRef};
use arrow_ipc::reader::FileReader;
use arrow_schema::DataType;

use crate::circuit::Column;
use crate::error::TraceError;

pub const TRACE_SCHEMA: &str = "tvm-trace/trace/v2";

/// A witness read into memory: per column, its entries row-major (`row * width + entry`).
#[derive(Clone, Debug)]
pub struct TraceFile {
    pub rows: usize,
    pub metadata: HashMap<String, String>,
    pub columns: Vec<Vec<i64>>,
}

fn type_name(kind: &str) -> &'static str {
    match kind {
        "bool" => "Boolean",
        "int8" => "Int8",
        "int16" => "Int16",
        _ => "Int32",
    }
}

fn expected_type(column: &Column) -> String {
    let element = type_name(&column.kind);
    if column.width == 1 {
        element.to_string()
    } else {
        format!("FixedSizeList[{}]<{element}>", column.width)
    }
}

fn actual_type(data_type: &DataType) -> String {
    match data_type {
        DataType::FixedSizeList(child, n) => {
            format!("FixedSizeList[{n}]<{}>", actual_type(child.data_type()))
        }
        other => other.to_string(),
    }
}

/// Append a flat array's values (the list's child, or the column itself).
fn append(values: &ArrayRef, out: &mut Vec<i64>) -> Option<()> {
    if values.null_count() > 0 {
        return None;
    }
    match values.data_type() {
        DataType::Boolean => out.extend(values.as_boolean_opt()?.values().iter().map(i64::from)),
        DataType::Int8 => out.extend(
            values
                .as_primitive_opt::<Int8Type>()?
                .values()
                .iter()
                .map(|&v| i64::from(v)),
        ),
        DataType::Int16 => out.extend(
            values
                .as_primitive_opt::<Int16Type>()?
                .values()
                .iter()
                .map(|&v| i64::from(v)),
        ),
        DataType::Int32 => out.extend(
            values
                .as_primitive_opt::<Int32Type>()?
                .values()
                .iter()
                .map(|&v| i64::from(v)),
        ),
        _ => return None,
    }
    Some(())
}

/// Read `path`, checking its schema version and that its columns are `layout`, in order.
///
/// ```no_run
/// let circuit = tvm_prover::Circuit::read("fib.circuit.json")?;
/// let trace = tvm_prover::read_trace("fib.arrow", &circuit.columns)?;
/// let pc = circuit.columns.iter().position(|c| c.name == "pc").unwrap();
/// println!("{} rows, pc at step 3: {}", trace.rows, trace.columns[pc][3]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_trace(path: &str, layout: &[Column]) -> Result<TraceFile, TraceError> {
    let p = || path.to_string();
    let file = File::open(path).map_err(|e| TraceError::Io {
        path: p(),
        reason: e.kind().to_string(),
    })?;
    let reader = FileReader::try_new(file, None).map_err(|e| TraceError::Arrow {
        path: p(),
        reason: one_line(&e.to_string()),
    })?;
    let schema = reader.schema();
    let metadata = schema.metadata().clone();
    let version = metadata.get("tvm.schema").cloned().unwrap_or_default();
    if version != TRACE_SCHEMA {
        return Err(TraceError::Schema {
            path: p(),
            expected: TRACE_SCHEMA.into(),
            got: printable(&version),
        });
    }
    if schema.fields().len() != layout.len() {
        return Err(TraceError::Shape {
            path: p(),
            problem: format!(
                "{} columns, the layout has {}",
                schema.fields().len(),
                layout.len()
            ),
        });
    }
    for (index, (field, column)) in schema.fields().iter().zip(layout).enumerate() {
        if field.name() != &column.name {
            return Err(TraceError::ColumnName {
                path: p(),
                index,
                expected: column.name.clone(),
                got: printable(field.name()),
            });
        }
        let (got, expected) = (actual_type(field.data_type()), expected_type(column));
        if got != expected {
            return Err(TraceError::ColumnType {
                path: p(),
                column: column.name.clone(),
                expected,
                got: printable(&got),
            });
        }
    }
    let mut columns: Vec<Vec<i64>> = vec![Vec::new(); layout.len()];
    let mut rows = 0usize;
    for (index, batch) in reader.enumerate() {
        let batch = batch.map_err(|e| TraceError::Arrow {
            path: p(),
            reason: format!("record batch {index}: {}", one_line(&e.to_string())),
        })?;
        for (k, column) in layout.iter().enumerate() {
            let array = batch.column(k);
            let bad = || TraceError::Shape {
                path: p(),
                problem: format!(
                    "record batch {index}: column '{}' has nulls or an unexpected layout",
                    column.name
                ),
            };
            if array.null_count() > 0 {
                return Err(bad());
            }
            let before = columns[k].len();
            match array.as_fixed_size_list_opt() {
                Some(list) => {
                    let values = list
                        .values()
                        .slice(list.offset() * column.width, list.len() * column.width);
                    append(&values, &mut columns[k]).ok_or_else(bad)?;
                }
                None => append(array, &mut columns[k]).ok_or_else(bad)?,
            }
            if columns[k].len() - before != batch.num_rows() * column.width {
                return Err(bad());
            }
        }
        rows += batch.num_rows();
    }
    if rows == 0 {
        return Err(TraceError::Shape {
            path: p(),
            problem: "no rows (a trace has at least one step)".into(),
        });
    }
    Ok(TraceFile {
        rows,
        metadata: metadata.into(),
        columns,
    })
}

/// A message as one line: control characters escaped.
pub(crate) fn one_line(text: &str) -> String {
    printable(text)
}

fn printable(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}
