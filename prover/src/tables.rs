//! The program's tables and the public values, by the names `schemas/air-v2.json` gives them
//! (`tables` and `public_values`): the coefficients the AIR's terms refer to.

use std::collections::BTreeMap;

/// One table: its shape (row-major, empty for a scalar) and its values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub shape: Vec<usize>,
    pub values: Vec<i64>,
}

/// Every table and public value a constraint's coefficient may name, by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tables {
    pub by_name: BTreeMap<String, Table>,
}
