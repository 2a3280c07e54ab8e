//! The AIR document expanded for one program and statement: every constraint template of
//! `schemas/air-v2.json` instantiated over its `for` index variables, its `sum`s expanded,
//! table coefficients (the program's tables and the public values) substituted, equal
//! monomials merged and zero ones dropped — the semantics of the TypeScript checker's
//! `src/check/expand.ts`, which this mirrors step for step. The memory arguments' tuples and
//! multiplicities are expanded the same way.

use std::collections::HashMap;

use serde::Serialize;

use crate::columns::{ColumnMap, Dims};
use crate::error::AirError;
use crate::public::PublicInputs;
use crate::schema::{AIR_VERSION, AirSchema, ArgumentKind, Coef, Range, RowKind, SideSpec, Term};
use crate::tables::{Table, Tables};

/// A cell of the row a constraint reads: its flat index in the main matrix's row, and
/// whether it is read on the next row (`next.` in the AIR).
pub type Cell = (usize, bool);

/// `coef · Π cells` (an empty product is the constant `coef`). Coefficients are integers
/// (tables hold integers); the field maps a negative one to `p - |coef|`. A constraint's
/// monomials are merged, nonzero and sorted; a multiplicity's are its terms as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Monomial {
    pub coef: i64,
    /// Sorted by (cell, next); a repeated cell is a square.
    pub cells: Vec<Cell>,
}

/// One constraint instance: `Σ monomials = 0` on the rows `rows` says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConstraintInstance {
    /// Template name with its `for` assignment, e.g. `ffn.hidden[k=3]` (as `tvm-trace check` names it).
    pub name: String,
    /// The template's name (`ffn.hidden`).
    pub constraint: String,
    pub group: String,
    pub rows: RowKind,
    /// The cell the constraint defines, if the template names one.
    pub target: Option<Cell>,
    pub monomials: Vec<Monomial>,
}

impl ConstraintInstance {
    /// The polynomial's degree (0 for a constant, which must then be zero).
    pub fn degree(&self) -> usize {
        self.monomials
            .iter()
            .map(|m| m.cells.len())
            .max()
            .unwrap_or(0)
    }
}

/// The rows' part of an argument's side: each row contributes `tuple` with multiplicity
/// `Σ multiplicity` (evaluated on the row).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowsSide {
    pub multiplicity: Vec<Monomial>,
    pub tuple: Vec<Cell>,
}

/// One side of an argument: a public table (by name: `initial_memory`, `final_memory`,
/// contributing `(a, table[a])` once for each `a < memory_size`), rows, or both.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Side {
    pub table: Option<String>,
    pub rows: Option<RowsSide>,
}

/// An expanded memory argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Argument {
    pub name: String,
    pub kind: ArgumentKind,
    pub left: Side,
    pub right: Side,
}

/// The AIR of one statement: constraint instances in document order, then the arguments.
///
/// ```
/// use tvm_prover::{Dims, Expanded, zero_tables};
/// let dims = Dims { ff_dim: 2, instructions: 1, memory_size: 1 };
/// // Every table and public value the AIR names, zero-filled to its shape.
/// let tables = zero_tables(&dims);
/// let air = Expanded::new(&dims, &tables)?;
/// assert_eq!(air.constraints[0].name, "padding.active_boolean");
/// # Ok::<(), tvm_prover::AirError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Expanded {
    pub dims: Dims,
    pub columns: ColumnMap,
    pub constraints: Vec<ConstraintInstance>,
    pub arguments: Vec<Argument>,
}

/// An index expression: a constant plus signed index variables (`3`, `k`, `i+1`, `k-1`).
#[derive(Clone, Debug)]
struct IndexExpr {
    constant: i64,
    vars: Vec<(String, i64)>,
}

fn parse_index(text: &str) -> Result<IndexExpr, AirError> {
    let malformed = || AirError::Expand(format!("malformed index '{text}'"));
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let mut expr = IndexExpr {
        constant: 0,
        vars: Vec::new(),
    };
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, c) in compact.char_indices() {
        if (c == '+' || c == '-') && i > 0 {
            parts.push(&compact[start..i]);
            start = i;
        }
    }
    parts.push(&compact[start..]);
    for part in parts {
        let (sign, body) = match part.strip_prefix('-') {
            Some(rest) => (-1, rest),
            None => (1, part.strip_prefix('+').unwrap_or(part)),
        };
        if !body.is_empty() && body.bytes().all(|b| b.is_ascii_digit()) {
            expr.constant += sign * body.parse::<i64>().map_err(|_| malformed())?;
        } else if is_identifier(body) {
            expr.vars.push((body.to_string(), sign));
        } else {
            return Err(malformed());
        }
    }
    Ok(expr)
}

fn is_identifier(text: &str) -> bool {
    let mut bytes = text.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

type Env = Vec<(String, i64)>;

fn index_value(expr: &IndexExpr, env: &Env) -> Result<i64, AirError> {
    let mut total = expr.constant;
    for (name, sign) in &expr.vars {
        let value = env
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
            .ok_or_else(|| AirError::Expand(format!("unknown index '{name}'")))?;
        total += sign * value;
    }
    Ok(total)
}

/// `name[i][j]…` → (name, index texts).
fn parse_ref(text: &str) -> Result<(&str, Vec<&str>), AirError> {
    let malformed = || AirError::Expand(format!("malformed reference '{text}'"));
    let (name, rest) = match text.find('[') {
        Some(at) => (&text[..at], &text[at..]),
        None => (text, ""),
    };
    if !is_identifier(name) {
        return Err(malformed());
    }
    let mut indices = Vec::new();
    let mut rest = rest;
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[').ok_or_else(malformed)?;
        let close = inner.find(']').ok_or_else(malformed)?;
        if close == 0 {
            return Err(malformed());
        }
        indices.push(&inner[..close]);
        rest = &inner[close + 1..];
    }
    Ok((name, indices))
}

/// A variable reference compiled once.
struct CompiledRef {
    next: bool,
    text: String,
    /// Column or vector parts: (first cell, width) each.
    parts: Vec<(usize, usize)>,
    index: Option<IndexExpr>,
}

/// A coefficient compiled once.
struct CompiledCoef<'t> {
    negative: bool,
    constant: i64,
    table: Option<(&'t Table, Vec<IndexExpr>)>,
    text: String,
}

struct Expander<'a> {
    schema: &'a AirSchema,
    dims: Dims,
    columns: ColumnMap,
    tables: &'a Tables,
}

impl<'a> Expander<'a> {
    fn range(&self, range: &Range) -> Result<(i64, i64), AirError> {
        match range {
            Range::Span([lo, hi]) => Ok((*lo, *hi)),
            Range::Dim(name) => self
                .dims
                .resolve(name)
                .map(|n| (0, n as i64))
                .ok_or_else(|| AirError::Expand(format!("unknown dimension '{name}'"))),
        }
    }

    /// Every assignment of `vars` over their ranges (last variable fastest), each appended to `env`.
    fn assignments(
        &self,
        vars: Option<&crate::schema::Ordered<Range>>,
        env: &Env,
    ) -> Result<Vec<Env>, AirError> {
        let Some(vars) = vars.filter(|v| !v.0.is_empty()) else {
            return Ok(vec![env.clone()]);
        };
        let ranges = vars
            .0
            .iter()
            .map(|(name, r)| Ok((name.clone(), self.range(r)?)))
            .collect::<Result<Vec<_>, AirError>>()?;
        let mut out = vec![env.clone()];
        for (name, (lo, hi)) in ranges {
            let mut grown = Vec::with_capacity(out.len() * (hi - lo).max(0) as usize);
            for prefix in &out {
                for value in lo..hi {
                    let mut e = prefix.clone();
                    e.push((name.clone(), value));
                    grown.push(e);
                }
            }
            out = grown;
        }
        Ok(out)
    }

    fn compile_ref(&self, text: &str) -> Result<CompiledRef, AirError> {
        let (next, body) = match text.strip_prefix("next.") {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (name, indices) = parse_ref(body)?;
        if indices.len() > 1 {
            return Err(AirError::Expand(format!(
                "column reference '{text}' has more than one index"
            )));
        }
        let parts = match self.schema.vectors.get(name) {
            Some(vector) => vector
                .parts
                .iter()
                .map(|part| {
                    let slot = self.columns.get(part).ok_or_else(|| {
                        AirError::Expand(format!("vector '{name}' names unknown column '{part}'"))
                    })?;
                    Ok((slot.range.start, slot.range.len()))
                })
                .collect::<Result<Vec<_>, AirError>>()?,
            None => {
                let slot = self.columns.get(name).ok_or_else(|| {
                    AirError::Expand(format!("unknown column '{name}' in '{text}'"))
                })?;
                vec![(slot.range.start, slot.range.len())]
            }
        };
        let index = indices.first().map(|i| parse_index(i)).transpose()?;
        Ok(CompiledRef {
            next,
            text: text.to_string(),
            parts,
            index,
        })
    }

    fn resolve(&self, r: &CompiledRef, env: &Env) -> Result<Cell, AirError> {
        let entry = match &r.index {
            None => 0,
            Some(expr) => index_value(expr, env)?,
        };
        let outside = || AirError::Expand(format!("'{}' is outside its column", r.text));
        let mut rest = usize::try_from(entry).map_err(|_| outside())?;
        for &(start, width) in &r.parts {
            if rest < width {
                return Ok((start + rest, r.next));
            }
            rest -= width;
        }
        Err(outside())
    }

    fn compile_coef(&self, coef: &Coef) -> Result<CompiledCoef<'a>, AirError> {
        let text = match coef {
            Coef::Number(n) => {
                return Ok(CompiledCoef {
                    negative: false,
                    constant: *n,
                    table: None,
                    text: n.to_string(),
                });
            }
            Coef::Text(text) => text,
        };
        let (negative, body) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.as_str()),
        };
        if !body.is_empty() && body.bytes().all(|b| b.is_ascii_digit()) {
            let constant = body
                .parse()
                .map_err(|_| AirError::Expand(format!("coefficient '{text}' out of range")))?;
            return Ok(CompiledCoef {
                negative,
                constant,
                table: None,
                text: text.clone(),
            });
        }
        let (name, indices) = parse_ref(body)?;
        let table = self
            .tables
            .by_name
            .get(name)
            .ok_or_else(|| AirError::MissingTable(name.to_string()))?;
        if indices.len() != table.shape.len() {
            return Err(AirError::Expand(format!(
                "table '{name}' needs {} indices, got '{text}'",
                table.shape.len()
            )));
        }
        let indices = indices
            .iter()
            .map(|i| parse_index(i))
            .collect::<Result<_, _>>()?;
        Ok(CompiledCoef {
            negative,
            constant: 0,
            table: Some((table, indices)),
            text: text.clone(),
        })
    }

    fn value(&self, coef: &CompiledCoef, env: &Env) -> Result<i64, AirError> {
        let value = match &coef.table {
            None => coef.constant,
            Some((table, indices)) => {
                let mut flat = 0usize;
                for (k, &size) in table.shape.iter().enumerate() {
                    let index = index_value(&indices[k], env)?;
                    let index = usize::try_from(index)
                        .ok()
                        .filter(|&i| i < size)
                        .ok_or_else(|| {
                            AirError::Expand(format!("'{}' is outside its table", coef.text))
                        })?;
                    flat = flat * size + index;
                }
                *table.values.get(flat).ok_or_else(|| {
                    AirError::Expand(format!(
                        "table for '{}' has fewer values than its shape",
                        coef.text
                    ))
                })?
            }
        };
        Ok(if coef.negative { -value } else { value })
    }

    /// Σ terms over their sums, merged and without zero monomials.
    fn polynomial(&self, terms: &[Term], env: &Env) -> Result<Vec<Monomial>, AirError> {
        let mut merged: Vec<(Vec<Cell>, i128)> = Vec::new();
        let mut at: HashMap<Vec<Cell>, usize> = HashMap::new();
        for term in terms {
            let coef = self.compile_coef(&term.coef)?;
            let refs = term
                .vars
                .iter()
                .map(|v| self.compile_ref(v))
                .collect::<Result<Vec<_>, _>>()?;
            for inner in self.assignments(term.sum.as_ref(), env)? {
                let value = self.value(&coef, &inner)?;
                if value == 0 {
                    continue;
                }
                let mut cells = refs
                    .iter()
                    .map(|r| self.resolve(r, &inner))
                    .collect::<Result<Vec<_>, _>>()?;
                cells.sort_unstable();
                match at.get(&cells) {
                    Some(&i) => merged[i].1 += i128::from(value),
                    None => {
                        at.insert(cells.clone(), merged.len());
                        merged.push((cells, i128::from(value)));
                    }
                }
            }
        }
        merged
            .into_iter()
            .filter(|(_, coef)| *coef != 0)
            .map(|(cells, coef)| {
                let coef = i64::try_from(coef)
                    .map_err(|_| AirError::Expand("a merged coefficient exceeds 64 bits".into()))?;
                Ok(Monomial { coef, cells })
            })
            .collect()
    }

    /// The terms one by one, neither merged nor sorted (as the circuit document lists a
    /// multiplicity's terms).
    fn terms(&self, terms: &[Term], env: &Env) -> Result<Vec<Monomial>, AirError> {
        let mut out = Vec::new();
        for term in terms {
            let coef = self.compile_coef(&term.coef)?;
            let refs = term
                .vars
                .iter()
                .map(|v| self.compile_ref(v))
                .collect::<Result<Vec<_>, _>>()?;
            for inner in self.assignments(term.sum.as_ref(), env)? {
                out.push(Monomial {
                    coef: self.value(&coef, &inner)?,
                    cells: refs
                        .iter()
                        .map(|r| self.resolve(r, &inner))
                        .collect::<Result<_, _>>()?,
                });
            }
        }
        Ok(out)
    }

    fn side(&self, spec: &SideSpec) -> Result<Side, AirError> {
        let rows = match &spec.rows {
            None => None,
            Some(rows) => Some(RowsSide {
                multiplicity: self.terms(&rows.multiplicity, &Vec::new())?,
                tuple: rows
                    .tuple
                    .iter()
                    .map(|v| self.resolve(&self.compile_ref(v)?, &Vec::new()))
                    .collect::<Result<_, _>>()?,
            }),
        };
        if let Some(table) = &spec.table {
            let expected = self.dims.memory_size;
            match self.tables.by_name.get(table) {
                Some(t) if t.values.len() == expected && t.shape == [expected] => {}
                Some(_) => {
                    return Err(AirError::Expand(format!(
                        "public table '{table}' must have exactly memory_size = {expected} entries"
                    )));
                }
                None => return Err(AirError::MissingTable(table.clone())),
            }
        }
        Ok(Side {
            table: spec.table.clone(),
            rows,
        })
    }
}

/// Every table and public value the embedded AIR names, filled with zeros to its shape for
/// `dims` (a start for tests and examples; real tables come from the program and statement).
pub fn zero_tables(dims: &Dims) -> Tables {
    let schema = AirSchema::embedded();
    let mut tables = Tables::default();
    for (name, spec) in schema.tables.0.iter().chain(&schema.public_values.0) {
        let shape: Vec<usize> = spec
            .shape
            .iter()
            .map(|d| dims.dim(d).unwrap_or(0))
            .collect();
        let values = vec![0; shape.iter().product()];
        tables.by_name.insert(name.clone(), Table { shape, values });
    }
    tables
}

impl Expanded {
    /// Expand the embedded air-v2 document for a program of dimensions `dims`, with `tables`
    /// holding every table and public value the document names (by its name).
    pub fn new(dims: &Dims, tables: &Tables) -> Result<Self, AirError> {
        Self::from_schema(AirSchema::embedded(), dims, tables)
    }

    /// Expand `schema` (tests use modified copies of the embedded one).
    pub fn from_schema(schema: &AirSchema, dims: &Dims, tables: &Tables) -> Result<Self, AirError> {
        let columns = ColumnMap::from_schema(schema, dims);
        let expander = Expander {
            schema,
            dims: *dims,
            columns,
            tables,
        };
        let mut constraints = Vec::new();
        for constraint in &schema.constraints {
            let target = constraint
                .target
                .as_deref()
                .map(|t| expander.compile_ref(t))
                .transpose()?;
            for env in expander.assignments(constraint.for_each.as_ref(), &Vec::new())? {
                let name = if env.is_empty() {
                    constraint.name.clone()
                } else {
                    let suffix: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    format!("{}[{}]", constraint.name, suffix.join(","))
                };
                constraints.push(ConstraintInstance {
                    name,
                    constraint: constraint.name.clone(),
                    group: constraint.group.clone(),
                    rows: constraint.rows,
                    target: target
                        .as_ref()
                        .map(|t| expander.resolve(t, &env))
                        .transpose()?,
                    monomials: expander.polynomial(&constraint.terms, &env)?,
                });
            }
        }
        let arguments = schema
            .arguments
            .iter()
            .map(|a| {
                Ok(Argument {
                    name: a.name.clone(),
                    kind: a.kind,
                    left: expander.side(&a.left)?,
                    right: expander.side(&a.right)?,
                })
            })
            .collect::<Result<_, AirError>>()?;
        Ok(Self {
            dims: *dims,
            columns: expander.columns,
            constraints,
            arguments,
        })
    }

    /// Cells in a row of the main matrix (the AIR columns; the prover appends its own).
    pub fn width(&self) -> usize {
        self.columns.width()
    }

    /// The largest degree of any constraint instance (2 for air-v2).
    pub fn max_degree(&self) -> usize {
        self.constraints
            .iter()
            .map(ConstraintInstance::degree)
            .max()
            .unwrap_or(0)
    }
}

/// The circuit document's version (`src/prove/circuit.ts` `CIRCUIT_VERSION`).
pub const CIRCUIT_VERSION: &str = "tvm-trace/circuit/v1";

/// One monomial on the wire: `["coef", [cell, next], …]`.
fn wire(m: &Monomial) -> serde_json::Value {
    let mut out = vec![serde_json::Value::String(m.coef.to_string())];
    out.extend(
        m.cells
            .iter()
            .map(|&(cell, next)| serde_json::json!([cell, u8::from(next)])),
    );
    serde_json::Value::Array(out)
}

#[derive(Serialize)]
struct WireColumn<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    width: usize,
    offset: usize,
}

#[derive(Serialize)]
struct WireConstraint<'a> {
    name: &'a str,
    rows: RowKind,
    monomials: Vec<serde_json::Value>,
}

#[derive(Serialize)]
struct WireRows {
    multiplicity: Vec<serde_json::Value>,
    tuple: Vec<usize>,
}

#[derive(Serialize)]
struct WireSide<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    table: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rows: Option<WireRows>,
}

#[derive(Serialize)]
struct WireArgument<'a> {
    name: &'a str,
    kind: ArgumentKind,
    left: WireSide<'a>,
    right: WireSide<'a>,
}

#[derive(Serialize)]
struct WireTables<'a> {
    initial_memory: &'a [i64],
    final_memory: &'a [i64],
}

#[derive(Serialize)]
struct WireDocument<'a> {
    version: &'a str,
    air: &'a str,
    statement: &'a PublicInputs,
    columns: Vec<WireColumn<'a>>,
    width: usize,
    constraints: Vec<WireConstraint<'a>>,
    arguments: Vec<WireArgument<'a>>,
    tables: WireTables<'a>,
}

fn wire_side(side: &Side) -> WireSide<'_> {
    WireSide {
        table: side.table.as_deref(),
        rows: side.rows.as_ref().map(|rows| WireRows {
            multiplicity: rows.multiplicity.iter().map(wire).collect(),
            tuple: rows.tuple.iter().map(|&(cell, _)| cell).collect(),
        }),
    }
}

impl Expanded {
    /// The circuit document of this expansion for `statement` (whose public values it was
    /// expanded with): byte for byte what `tvm-trace` writes (`src/prove/circuit.ts`
    /// `circuitBytes`), so a circuit built here from a program and a claim has the digest a
    /// proof made through `tvm-trace prove` commits to.
    pub fn document(&self, statement: &PublicInputs) -> Result<Vec<u8>, AirError> {
        if self.arguments.iter().any(|a| {
            [&a.left, &a.right]
                .iter()
                .any(|s| s.rows.as_ref().is_some_and(|r| r.tuple.iter().any(|c| c.1)))
        }) {
            return Err(AirError::Expand(
                "a tuple reads the next row, which the circuit document cannot state".into(),
            ));
        }
        let doc = WireDocument {
            version: CIRCUIT_VERSION,
            air: AIR_VERSION,
            statement,
            columns: self
                .columns
                .slots()
                .iter()
                .map(|s| WireColumn {
                    name: &s.name,
                    kind: &s.kind,
                    width: s.range.len(),
                    offset: s.range.start,
                })
                .collect(),
            width: self.width(),
            constraints: self
                .constraints
                .iter()
                .map(|c| WireConstraint {
                    name: &c.name,
                    rows: c.rows,
                    monomials: c.monomials.iter().map(wire).collect(),
                })
                .collect(),
            arguments: self
                .arguments
                .iter()
                .map(|a| WireArgument {
                    name: &a.name,
                    kind: a.kind,
                    left: wire_side(&a.left),
                    right: wire_side(&a.right),
                })
                .collect(),
            tables: WireTables {
                initial_memory: &statement.initial.memory,
                final_memory: &statement.end.memory,
            },
        };
        let mut bytes =
            serde_json::to_vec(&doc).map_err(|e| AirError::Expand(format!("document: {e}")))?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}
