//! Python objects written as JSON text, byte for byte as `json.dumps` writes them (its defaults:
//! `", "` and `": "` between items, `ensure_ascii`; `allow_nan=False`; optionally `sort_keys`):
//! the stat file of 20,000 columns holds a million floats, which Python's encoder takes most of a
//! second to write, and its fingerprint hashes that text.
//!
//! serde_json does the walking and the quoting; [`PythonJson`] is the formatter that lays the
//! text out as Python does, writing floats as `repr` writes them
//! ([`crate::text::push_float_repr`]) and every character outside printable ASCII as a `\uXXXX`
//! escape (a surrogate pair beyond the first plane). [`dump`] gives `None` wherever `json` must
//! decide: a type other than exactly `dict`, `list`, `tuple`, `str`, `int`, `float`, `bool` or
//! `None` (subclasses have their own `repr`), a key that is not a `str`, a float JSON has no
//! text for, an integer beyond 64 bits, a string with a lone surrogate, nesting deeper than
//! [`MAX_DEPTH`]. The caller then writes with `json`, whose text or refusal stands.

use std::io;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde::ser::{self, SerializeMap, SerializeSeq};

use crate::text::push_float_repr;

/// Deeper than this, the text is left to `json` (whose recursion limit then decides).
pub const MAX_DEPTH: usize = 200;

/// The JSON text of `obj` as `json.dumps(obj, allow_nan=False, sort_keys=sort_keys)` writes
/// it, or `None` (see the module's documentation).
pub fn dump(obj: &Bound<'_, PyAny>, sort_keys: bool) -> Option<String> {
    let mut out = Vec::with_capacity(256);
    let mut writer = serde_json::Serializer::with_formatter(&mut out, PythonJson::default());
    ser::Serialize::serialize(
        &Value {
            obj,
            sort_keys,
            depth: 0,
        },
        &mut writer,
    )
    .ok()?;
    Some(String::from_utf8(out).expect("the formatter writes ASCII"))
}

/// A Python object to be written, `depth` containers down.
struct Value<'a, 'py> {
    obj: &'a Bound<'py, PyAny>,
    sort_keys: bool,
    depth: usize,
}

impl<'py> Value<'_, 'py> {
    fn inner<'b>(&self, obj: &'b Bound<'py, PyAny>) -> Value<'b, 'py> {
        Value {
            obj,
            sort_keys: self.sort_keys,
            depth: self.depth + 1,
        }
    }

    /// A list or a tuple: a JSON array of its `len` items.
    fn sequence<S: ser::Serializer>(
        &self,
        s: S,
        len: usize,
        items: impl Iterator<Item = Bound<'py, PyAny>>,
    ) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(len))?;
        for item in items {
            seq.serialize_element(&self.inner(&item))?;
        }
        seq.end()
    }
}

fn unwritten<E: ser::Error>(what: &str) -> E {
    E::custom(format_args!("left to json: {what}"))
}

impl ser::Serialize for Value<'_, '_> {
    fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let obj = self.obj;
        if self.depth > MAX_DEPTH {
            return Err(unwritten("deep nesting"));
        }
        // The commonest first: a stat file is mostly floats.
        if let Ok(float) = obj.cast_exact::<PyFloat>() {
            let v = float.value();
            if !v.is_finite() {
                return Err(unwritten("a float JSON has no text for"));
            }
            return s.serialize_f64(v);
        }
        if obj.is_none() {
            return s.serialize_unit();
        }
        if let Ok(flag) = obj.cast_exact::<PyBool>() {
            return s.serialize_bool(flag.is_true());
        }
        if let Ok(int) = obj.cast_exact::<PyInt>() {
            if let Ok(v) = int.extract::<i64>() {
                return s.serialize_i64(v);
            }
            return match int.extract::<u64>() {
                Ok(v) => s.serialize_u64(v),
                Err(_) => Err(unwritten("an integer beyond 64 bits")),
            };
        }
        if let Ok(text) = obj.cast_exact::<PyString>() {
            let text = text.to_str().map_err(|_| unwritten("a lone surrogate"))?;
            return s.serialize_str(text);
        }
        if let Ok(list) = obj.cast_exact::<PyList>() {
            return self.sequence(s, list.len(), list.iter());
        }
        if let Ok(tuple) = obj.cast_exact::<PyTuple>() {
            return self.sequence(s, tuple.len(), tuple.iter());
        }
        if let Ok(dict) = obj.cast_exact::<PyDict>() {
            let mut items = Vec::with_capacity(dict.len());
            for (key, value) in dict.iter() {
                let key = key
                    .cast_into_exact::<PyString>()
                    .map_err(|_| unwritten("a key that is not a str"))?;
                items.push((key, value));
            }
            let mut keys = Vec::with_capacity(items.len());
            for (key, _) in &items {
                keys.push(key.to_str().map_err(|_| unwritten("a lone surrogate"))?);
            }
            let mut order: Vec<usize> = (0..items.len()).collect();
            if self.sort_keys {
                // Python compares str by code point, which is UTF-8's byte order.
                order.sort_unstable_by_key(|&i| keys[i]);
            }
            let mut map = s.serialize_map(Some(items.len()))?;
            for i in order {
                map.serialize_entry(keys[i], &self.inner(&items[i].1))?;
            }
            return map.end();
        }
        Err(unwritten("another type"))
    }
}

/// `json.dumps`' layout: `", "` between items, `": "` after a key, floats as `repr`, and
/// `ensure_ascii`'s escapes (serde_json escapes `"`, `\` and control characters as `json`
/// does, `\n` and the like short, the rest `\u00XX`).
#[derive(Default)]
struct PythonJson {
    floats: zmij::Buffer,
    text: String,
}

impl serde_json::ser::Formatter for PythonJson {
    fn write_f64<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        self.text.clear();
        push_float_repr(&mut self.text, &mut self.floats, value);
        writer.write_all(self.text.as_bytes())
    }

    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        separator(writer, first)
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        separator(writer, first)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }

    /// Printable ASCII as it is; DEL and every character beyond ASCII as `\uXXXX` (lowercase
    /// hex, as `json` writes it), two of them for a character beyond the first plane.
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if c.is_ascii() && c != '\x7f' {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[start..i])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            start = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

/// `", "` before every item of an array or object but the first.
fn separator<W: ?Sized + io::Write>(writer: &mut W, first: bool) -> io::Result<()> {
    if first {
        Ok(())
    } else {
        writer.write_all(b", ")
    }
}
