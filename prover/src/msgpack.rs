//! A small, strict MessagePack reader for the `.tvmc` and claim files (plain msgpack: maps,
//! arrays, strings, integers, booleans, nil; no extensions). Every length is checked against
//! the bytes left and nesting is bounded, so no input panics or allocates past its size.

/// A decoded value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Nil,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Bin(Vec<u8>),
    Array(Vec<Value>),
    Map(Vec<(Value, Value)>),
}

impl Value {
    /// The value as an i64, if it is an integer in range (or a float with an integer value,
    /// as JavaScript writers may emit).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Int(n) => i64::try_from(*n).ok(),
            Self::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(*f as i64),
            _ => None,
        }
    }
}

const MAX_DEPTH: usize = 32;

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or("msgpack data ends early (truncated?)")?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn uint(&mut self, n: usize) -> Result<u64, String> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    fn int(&mut self, n: usize) -> Result<i128, String> {
        let raw = self.uint(n)?;
        let bits = 8 * n as u32;
        let value = if bits < 64 && raw >> (bits - 1) == 1 {
            i128::from(raw) - (1i128 << bits)
        } else if bits == 64 {
            i128::from(raw as i64)
        } else {
            i128::from(raw)
        };
        Ok(value)
    }

    /// A count of items, each at least one byte: never more than the bytes left.
    fn count(&mut self, n: usize, per_item: usize) -> Result<usize, String> {
        let count = self.uint(n)? as usize;
        if count.saturating_mul(per_item) > self.bytes.len() - self.at {
            return Err("msgpack data ends early (truncated?)".into());
        }
        Ok(count)
    }

    fn string(&mut self, len: usize) -> Result<Value, String> {
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec())
            .map(Value::Str)
            .map_err(|_| "a string that is not UTF-8".into())
    }

    fn array(&mut self, len: usize, depth: usize) -> Result<Value, String> {
        (0..len)
            .map(|_| self.value(depth + 1))
            .collect::<Result<_, _>>()
            .map(Value::Array)
    }

    fn map(&mut self, len: usize, depth: usize) -> Result<Value, String> {
        (0..len)
            .map(|_| Ok((self.value(depth + 1)?, self.value(depth + 1)?)))
            .collect::<Result<_, String>>()
            .map(Value::Map)
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err("msgpack nested too deeply".into());
        }
        let tag = self.take(1)?[0];
        match tag {
            0x00..=0x7f => Ok(Value::Int(i128::from(tag))),
            0x80..=0x8f => self.map(usize::from(tag & 0x0f), depth),
            0x90..=0x9f => self.array(usize::from(tag & 0x0f), depth),
            0xa0..=0xbf => self.string(usize::from(tag & 0x1f)),
            0xc0 => Ok(Value::Nil),
            0xc2 => Ok(Value::Bool(false)),
            0xc3 => Ok(Value::Bool(true)),
            0xc4..=0xc6 => {
                let n = self.count(1 << (tag - 0xc4), 1)?;
                Ok(Value::Bin(self.take(n)?.to_vec()))
            }
            0xca => Ok(Value::Float(f64::from(
                f32::from_bits(self.uint(4)? as u32),
            ))),
            0xcb => Ok(Value::Float(f64::from_bits(self.uint(8)?))),
            0xcc..=0xcf => Ok(Value::Int(i128::from(self.uint(1 << (tag - 0xcc))?))),
            0xd0..=0xd3 => self.int(1 << (tag - 0xd0)).map(Value::Int),
            0xd9..=0xdb => {
                let n = self.count(1 << (tag - 0xd9), 1)?;
                self.string(n)
            }
            0xdc | 0xdd => {
                let n = self.count(if tag == 0xdc { 2 } else { 4 }, 1)?;
                self.array(n, depth)
            }
            0xde | 0xdf => {
                let n = self.count(if tag == 0xde { 2 } else { 4 }, 2)?;
                self.map(n, depth)
            }
            0xe0..=0xff => Ok(Value::Int(i128::from(tag as i8))),
            _ => Err(format!("unsupported msgpack type 0x{tag:02x}")),
        }
    }
}

/// Decode one msgpack value that spans all of `bytes`.
pub fn decode(bytes: &[u8]) -> Result<Value, String> {
    if bytes.is_empty() {
        return Err("empty".into());
    }
    let mut reader = Reader { bytes, at: 0 };
    let value = reader.value(0)?;
    if reader.at != bytes.len() {
        return Err("trailing bytes after the msgpack value".into());
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_types_a_claim_uses() {
        // {"a": [1, -1, 300, -200, true, nil, "x"]}
        let bytes = [
            0x81, 0xa1, b'a', 0x97, 0x01, 0xff, 0xcd, 0x01, 0x2c, 0xd1, 0xff, 0x38, 0xc3, 0xc0,
            0xa1, b'x',
        ];
        let value = decode(&bytes).expect("decodes");
        let Value::Map(entries) = value else {
            panic!("a map")
        };
        let Value::Array(items) = &entries[0].1 else {
            panic!("an array")
        };
        let ints: Vec<Option<i64>> = items.iter().take(4).map(Value::as_i64).collect();
        assert_eq!(ints, [Some(1), Some(-1), Some(300), Some(-200)]);
    }

    #[test]
    fn truncated_and_hostile_input_is_an_error() {
        assert!(decode(&[]).is_err());
        assert!(decode(&[0x92, 0x01]).is_err());
        // An array header claiming 2^32-1 items in 5 bytes.
        assert!(decode(&[0xdd, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(decode(&[0x01, 0x02]).is_err());
        let deep = vec![0x91; 100];
        assert!(decode(&deep).is_err());
        for len in 0..64 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let _ = decode(&bytes);
        }
    }
}
