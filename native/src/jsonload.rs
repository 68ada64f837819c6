//! JSON text parsed into Python objects, for stat files of many columns: Python's `json`
//! parses a 19 MB stat file (20,000 columns) in about 0.4 s, most of it in its float parser.
//!
//! [`load`] gives exactly what `json.loads` gives with normkit's checks (every object a `dict`
//! in the order of its keys, integers `int`, other numbers the nearest `float`, correctly
//! rounded), or `None` wherever it could differ or must refuse: invalid JSON, a key given twice
//! in one object, `NaN` or `Infinity`, a number beyond float64's range, the integers serde_json
//! reads as floats ([`json_numbers_differ`]), a lone surrogate escape, nesting past
//! serde_json's limit. The caller then parses with `json`, whose verdict and message stand.

use std::cell::RefCell;
use std::fmt;

use foldhash::{HashMap, HashMapExt};

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use crate::text::json_numbers_differ;

/// The parsed document, or `None` (see the module's documentation).
pub fn load<'py>(py: Python<'py>, text: &str) -> Option<Bound<'py, PyAny>> {
    if json_numbers_differ(text.as_bytes()) {
        return None;
    }
    let keys = RefCell::new(HashMap::new());
    let mut reader = serde_json::Deserializer::from_str(text);
    let value = Value { py, keys: &keys }.deserialize(&mut reader).ok()?;
    reader.end().ok()?;
    Some(value)
}

/// Objects' keys made so far: each key is one `str` however often it recurs (as `json` keeps
/// them), made and hashed once.
type Keys<'py> = RefCell<HashMap<Box<str>, Bound<'py, PyString>>>;

/// Any JSON value, as a Python object.
#[derive(Clone, Copy)]
struct Value<'a, 'py> {
    py: Python<'py>,
    keys: &'a Keys<'py>,
}

/// An object's key, as a Python `str`.
struct Key<'a, 'py>(&'a Keys<'py>, Python<'py>);

fn python_error<E: de::Error>(err: PyErr) -> E {
    E::custom(err)
}

impl<'de, 'py> DeserializeSeed<'de> for Value<'_, 'py> {
    type Value = Bound<'py, PyAny>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, 'py> Visitor<'de> for Value<'_, 'py> {
    type Value = Bound<'py, PyAny>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(PyBool::new(self.py, v).to_owned().into_any())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(PyInt::new(self.py, v).into_any())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(PyInt::new(self.py, v).into_any())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(PyFloat::new(self.py, v).into_any())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(PyString::new(self.py, v).into_any())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(self.py.None().into_bound(self.py))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(PyList::new(self.py, items)
            .map_err(python_error)?
            .into_any())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let dict = PyDict::new(self.py);
        while let Some(key) = map.next_key_seed(Key(self.keys, self.py))? {
            if dict.contains(&key).map_err(python_error)? {
                return Err(de::Error::custom("a key given twice in one object"));
            }
            let value = map.next_value_seed(self)?;
            dict.set_item(key, value).map_err(python_error)?;
        }
        Ok(dict.into_any())
    }
}

impl<'de, 'py> DeserializeSeed<'de> for Key<'_, 'py> {
    type Value = Bound<'py, PyString>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de, 'py> Visitor<'de> for Key<'_, 'py> {
    type Value = Bound<'py, PyString>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object's key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let mut keys = self.0.borrow_mut();
        if let Some(key) = keys.get(v) {
            return Ok(key.clone());
        }
        let key = PyString::new(self.1, v);
        keys.insert(v.into(), key.clone());
        Ok(key)
    }
}
