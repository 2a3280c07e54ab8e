//! `schemas/air-v2.json` as typed data: the AIR document the TypeScript checker evaluates
//! (`src/check/expand.ts`), embedded at compile time so the prover, the verifier and the Rust
//! check all read the same bytes. A test holds the embedded copy equal to the file.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::OnceLock;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::error::AirError;

/// The bytes of `schemas/air-v2.json`, as this crate was built with them.
pub const AIR_JSON: &str = include_str!("../../schemas/air-v2.json");

/// The AIR version this crate proves (`version` of the document).
pub const AIR_VERSION: &str = "tvm-trace/air/v2";

/// A JSON object read with its keys in document order (index variables are iterated and
/// named in that order, as JavaScript's `Object.keys` does).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ordered<V>(pub Vec<(String, V)>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Ordered<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for Entries<V> {
            type Value = Ordered<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, V>()? {
                    entries.push((key, value));
                }
                Ok(Ordered(entries))
            }
        }
        deserializer.deserialize_map(Entries(PhantomData))
    }
}

/// A width, a shape entry or an index range bound: a number, or a dimension name
/// (`ff_dim`, `instructions`, `memory_size`, `input_dim` = 41, `output_dim` = 6, or digits).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Dim {
    Number(usize),
    Name(String),
}

/// An index variable's range: a dimension name (`0..dim`) or `[lo, hi)`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Range {
    Dim(String),
    Span([i64; 2]),
}

/// A term's coefficient: an integer, or `"[-]table[idx]…"` / `"[-]digits"`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Coef {
    Number(i64),
    Text(String),
}

/// Which rows a constraint holds on (air-v2 `rows`; `n` is the padded height).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RowKind {
    /// Rows 0..n-1.
    Every,
    /// Rows 0..n-2, with the next row.
    Transition,
    /// Row 0.
    First,
    /// Row n-1.
    Last,
}

impl RowKind {
    /// Whether a constraint of this kind holds on `row` of a trace of `height` rows.
    pub const fn holds_on(self, row: usize, height: usize) -> bool {
        match self {
            Self::Every => true,
            Self::Transition => row + 1 < height,
            Self::First => row == 0,
            Self::Last => row + 1 == height,
        }
    }
}

/// A trace column: its name, Arrow type and width.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub width: Dim,
    #[serde(default)]
    pub group: String,
}

/// A named concatenation of columns (`x` = input ++ input_bits).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Vector {
    pub parts: Vec<String>,
}

/// A table or public value: its shape (empty for a scalar).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct TableSpec {
    pub shape: Vec<Dim>,
    #[serde(default)]
    pub description: String,
}

/// `coef · Π vars`, summed over `sum`'s index variables when present.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Term {
    pub coef: Coef,
    pub vars: Vec<String>,
    #[serde(default)]
    pub sum: Option<Ordered<Range>>,
}

/// A constraint template: instantiated once per assignment of `for`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Constraint {
    pub name: String,
    pub group: String,
    pub rows: RowKind,
    #[serde(rename = "for", default)]
    pub for_each: Option<Ordered<Range>>,
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    pub description: String,
    pub terms: Vec<Term>,
}

/// The rows' contribution to one side of an argument.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct RowsSpec {
    pub multiplicity: Vec<Term>,
    pub tuple: Vec<String>,
}

/// One side of an argument: rows, a public table `{(a, table[a])}`, or both.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct SideSpec {
    #[serde(default)]
    pub table: Option<String>,
    #[serde(default)]
    pub rows: Option<RowsSpec>,
}

/// The kind of an argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ArgumentKind {
    /// left = right as multisets.
    Permutation,
    /// Every left tuple with nonzero multiplicity is in the right table.
    Lookup,
    /// left = right as multisets (tables included).
    Multiset,
}

/// A memory argument (`memory.permutation`, `memory.initial_value`, `memory.final_value`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ArgumentSpec {
    pub name: String,
    pub kind: ArgumentKind,
    pub left: SideSpec,
    pub right: SideSpec,
    #[serde(default)]
    pub description: String,
}

/// A check outside the polynomials, made by every verifier.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Obligation {
    pub name: String,
    pub applies_to: String,
    pub description: String,
    pub checker: String,
}

/// The AIR document.
#[derive(Clone, Debug, Deserialize)]
pub struct AirSchema {
    pub version: String,
    #[serde(default)]
    pub description: String,
    pub sound_fields: Vec<String>,
    pub padding: serde_json::Value,
    pub columns: Vec<Column>,
    pub vectors: BTreeMap<String, Vector>,
    pub tables: Ordered<TableSpec>,
    pub public_values: Ordered<TableSpec>,
    pub constraints: Vec<Constraint>,
    pub arguments: Vec<ArgumentSpec>,
    pub obligations: Vec<Obligation>,
}

impl AirSchema {
    /// Parse an AIR document (the embedded one: [`AirSchema::embedded`]).
    pub fn parse(text: &str) -> Result<Self, AirError> {
        let schema: Self =
            serde_json::from_str(text).map_err(|e| AirError::Schema(e.to_string()))?;
        if schema.version != AIR_VERSION {
            return Err(AirError::Schema(format!(
                "version '{}', expected '{AIR_VERSION}'",
                schema.version
            )));
        }
        Ok(schema)
    }

    /// The embedded `schemas/air-v2.json`, parsed once.
    pub fn embedded() -> &'static Self {
        static SCHEMA: OnceLock<AirSchema> = OnceLock::new();
        SCHEMA.get_or_init(|| {
            // The embedded document is the crate's own source: a test parses it, so this cannot fail at run time.
            Self::parse(AIR_JSON).unwrap_or_else(|e| unreachable!("embedded air-v2.json: {e}"))
        })
    }
}
