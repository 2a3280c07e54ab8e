//! Where each AIR column sits in a row of the main trace matrix: built once from the
//! `columns` list of `schemas/air-v2.json` and the program's dimensions, never numbered by hand.
//! A column of width `w` occupies `w` consecutive cells; columns follow in schema order.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::schema::{AirSchema, Dim};

/// The FFN input width (`input_dim`: 9 slots + 32 bits).
pub const INPUT_DIM: usize = 41;
/// The FFN output width (`output_dim`).
pub const OUTPUT_DIM: usize = 6;

/// The dimensions a trace's width depends on: the compiled program's hidden width
/// (`ff_dim`, `tvm.ff_dim`), its number of instructions and its number of memory cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dims {
    pub ff_dim: usize,
    pub instructions: usize,
    pub memory_size: usize,
}

impl Dims {
    /// The dimensions a trace file states (`tvm.ff_dim`, `tvm.instructions`,
    /// `tvm.memory_size`), from its metadata ([`crate::read_metadata`]).
    pub fn from_metadata(metadata: &std::collections::HashMap<String, String>) -> Option<Self> {
        let get = |key: &str| metadata.get(key)?.parse::<usize>().ok();
        Some(Self {
            ff_dim: get("tvm.ff_dim")?,
            instructions: get("tvm.instructions")?,
            memory_size: get("tvm.memory_size")?,
        })
    }

    /// The value of a dimension name of the AIR grammar (`ff_dim`, `instructions`,
    /// `memory_size`, `input_dim`, `output_dim`, or digits); `None` for an unknown name.
    pub fn resolve(&self, name: &str) -> Option<usize> {
        match name {
            "ff_dim" => Some(self.ff_dim),
            "instructions" => Some(self.instructions),
            "memory_size" => Some(self.memory_size),
            "input_dim" => Some(INPUT_DIM),
            "output_dim" => Some(OUTPUT_DIM),
            digits if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                digits.parse().ok()
            }
            _ => None,
        }
    }

    /// The value of a [`Dim`]; `None` for an unknown name.
    pub fn dim(&self, dim: &Dim) -> Option<usize> {
        match dim {
            Dim::Number(n) => Some(*n),
            Dim::Name(name) => self.resolve(name),
        }
    }
}

/// One column's place in the row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnSlot {
    pub name: String,
    /// Arrow type name from the schema (`bool`, `int8`, `int16`, `int32`).
    pub kind: String,
    /// Cells `range.start .. range.end` of a row.
    pub range: Range<usize>,
}

/// Column name → range of cells in a row of the main matrix, in schema order.
///
/// ```
/// use tvm_prover::{ColumnMap, Dims};
/// let map = ColumnMap::new(&Dims { ff_dim: 4, instructions: 3, memory_size: 5 });
/// assert_eq!(map.range("step"), 0..1);
/// assert_eq!(map.range("selector").len(), 3);
/// assert_eq!(map.range("gate").len(), 4);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnMap {
    slots: Vec<ColumnSlot>,
    by_name: BTreeMap<String, usize>,
    width: usize,
}

impl ColumnMap {
    /// The layout of the embedded air-v2 columns for these dimensions.
    pub fn new(dims: &Dims) -> Self {
        Self::from_schema(AirSchema::embedded(), dims)
    }

    /// The layout of `schema`'s columns (an unknown width name counts as width 0; the
    /// embedded schema has none, which a test holds).
    pub fn from_schema(schema: &AirSchema, dims: &Dims) -> Self {
        let mut slots = Vec::with_capacity(schema.columns.len());
        let mut by_name = BTreeMap::new();
        let mut offset = 0;
        for column in &schema.columns {
            let width = dims.dim(&column.width).unwrap_or(0);
            by_name.insert(column.name.clone(), slots.len());
            slots.push(ColumnSlot {
                name: column.name.clone(),
                kind: column.kind.clone(),
                range: offset..offset + width,
            });
            offset += width;
        }
        Self {
            slots,
            by_name,
            width: offset,
        }
    }

    /// The cells of column `name`; an empty range `0..0` for a name the AIR does not have.
    pub fn range(&self, name: &str) -> Range<usize> {
        self.get(name).map_or(0..0, |slot| slot.range.clone())
    }

    /// The slot of column `name`, if the AIR has it.
    pub fn get(&self, name: &str) -> Option<&ColumnSlot> {
        self.by_name.get(name).map(|&i| &self.slots[i])
    }

    /// The first cell of column `name` (panics on an unknown name: for the crate's own
    /// fixed names only).
    pub fn at(&self, name: &str) -> usize {
        match self.get(name) {
            Some(slot) => slot.range.start,
            None => unreachable!("air-v2 has no column '{name}'"),
        }
    }

    /// Every column in schema order.
    pub fn slots(&self) -> &[ColumnSlot] {
        &self.slots
    }

    /// The layout [`crate::read_trace`] validates a file against: every column's name, type,
    /// width and first cell.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use tvm_prover::{ColumnMap, Dims, read_metadata, read_trace};
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/golden/fibonacci.arrow");
    /// let dims = Dims::from_metadata(&read_metadata(path)?).ok_or("no dimensions")?;
    /// let map = ColumnMap::new(&dims);
    /// let trace = read_trace(path, &map.layout())?;
    /// let pc = map.slots().iter().position(|s| s.name == "pc").ok_or("no pc")?;
    /// assert_eq!(trace.rows, 103);
    /// assert_eq!(trace.columns[pc][0], 0);
    /// # Ok(())
    /// # }
    /// ```
    pub fn layout(&self) -> Vec<crate::circuit::Column> {
        self.slots
            .iter()
            .map(|s| crate::circuit::Column {
                name: s.name.clone(),
                kind: s.kind.clone(),
                width: s.range.len(),
                offset: s.range.start,
            })
            .collect()
    }

    /// Cells in a row of the main matrix.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The column and entry of a cell (for messages: `gate[3]`).
    pub fn cell_name(&self, cell: usize) -> String {
        match self.slots.iter().find(|s| s.range.contains(&cell)) {
            Some(slot) if slot.range.len() == 1 => slot.name.clone(),
            Some(slot) => format!("{}[{}]", slot.name, cell - slot.range.start),
            None => format!("cell {cell}"),
        }
    }
}
