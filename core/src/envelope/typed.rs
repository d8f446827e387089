//! Parsing an input with its records read straight into [`RawRecord`]s: the parser's events
//! for `applicationsData` go to typed slots instead of building a JSON tree that would be
//! typed, then freed, a moment later.
//!
//! Everything else in the file is parsed as a [`StrictValue`] and goes through the same shape
//! checks as before. The parser, its calls (`deserialize_any` everywhere, as `StrictValue`
//! makes them) and the duplicate-key rule are the same, so a file is refused at the same
//! position with the same message by both paths; a test compares the two on the hostile corpus
//! and on generated inputs.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

// Not `IgnoredAny` for skipped values: it would skip nested objects without the duplicate-key
// rule.
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Number, Value};

use crate::decode::{
    app_field_index, RawApp, RawField, RawItem, RawRecord, UnknownField, APP_FIELDS,
};
use crate::json::{duplicate_key, StrictValue, StrictVisitor};

/// The whole input: its value with `applicationsData` emptied, and the records taken out of it.
pub(crate) struct Top {
    pub value: Value,
    pub records: Vec<RawRecord>,
}

impl<'de> Deserialize<'de> for Top {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TopVisitor)
    }
}

struct TopVisitor;

/// The scalar visits of a visitor whose other visits delegate to [`StrictVisitor`].
macro_rules! forward_scalars_to_strict {
    ($wrap:expr) => {
        fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
            StrictVisitor.visit_bool(v).map($wrap)
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
            StrictVisitor.visit_i64(v).map($wrap)
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
            StrictVisitor.visit_u64(v).map($wrap)
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
            StrictVisitor.visit_f64(v).map($wrap)
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            StrictVisitor.visit_str(v).map($wrap)
        }
        fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
            StrictVisitor.visit_string(v).map($wrap)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            StrictVisitor.visit_unit().map($wrap)
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            StrictVisitor.visit_none().map($wrap)
        }
    };
}

impl<'de> Visitor<'de> for TopVisitor {
    type Value = Top;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    forward_scalars_to_strict!(|value| Top {
        value,
        records: Vec::new()
    });

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Top, D::Error> {
        d.deserialize_any(TopVisitor)
    }

    /// A bare array of records.
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Top, A::Error> {
        Ok(Top {
            value: Value::Array(Vec::new()),
            records: records(seq)?,
        })
    }

    /// An object: `applicationsData`, when it is an array, is read as records.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top, A::Error> {
        let mut out = serde_json::Map::new();
        let mut records = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(duplicate_key(&key));
            }
            let value = if key == "applicationsData" {
                match map.next_value_seed(AppsSeed)? {
                    Apps::Records(r) => {
                        records = r;
                        Value::Array(Vec::new())
                    }
                    Apps::Value(v) => v,
                }
            } else {
                map.next_value::<StrictValue>()?.0
            };
            out.insert(key, value);
        }
        Ok(Top {
            value: Value::Object(out),
            records,
        })
    }
}

fn records<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Vec<RawRecord>, A::Error> {
    let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
    while let Some(record) = seq.next_element_seed(RecordSeed)? {
        out.push(record);
    }
    Ok(out)
}

/// `applicationsData`: records when it is an array; otherwise the value, for the shape check
/// to refuse as it always has.
enum Apps {
    Records(Vec<RawRecord>),
    Value(Value),
}

struct AppsSeed;

impl<'de> DeserializeSeed<'de> for AppsSeed {
    type Value = Apps;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Apps, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for AppsSeed {
    type Value = Apps;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    forward_scalars_to_strict!(Apps::Value);

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Apps, D::Error> {
        d.deserialize_any(AppsSeed)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Apps, A::Error> {
        records(seq).map(Apps::Records)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Apps, A::Error> {
        StrictVisitor.visit_map(map).map(Apps::Value)
    }
}

/// One element of `applicationsData`.
struct RecordSeed;

impl<'de> DeserializeSeed<'de> for RecordSeed {
    type Value = RawRecord;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<RawRecord, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed {
    type Value = RawRecord;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<RawRecord, E> {
        Ok(RawRecord::NotObject("a boolean"))
    }
    fn visit_i64<E>(self, _: i64) -> Result<RawRecord, E> {
        Ok(RawRecord::NotObject("a number"))
    }
    fn visit_u64<E>(self, _: u64) -> Result<RawRecord, E> {
        Ok(RawRecord::NotObject("a number"))
    }
    fn visit_f64<E>(self, v: f64) -> Result<RawRecord, E> {
        // As StrictValue: a number JSON cannot hold would be null.
        Ok(RawRecord::NotObject(if v.is_finite() {
            "a number"
        } else {
            "null"
        }))
    }
    fn visit_str<E>(self, _: &str) -> Result<RawRecord, E> {
        Ok(RawRecord::NotObject("a string"))
    }
    fn visit_unit<E>(self) -> Result<RawRecord, E> {
        Ok(RawRecord::NotObject("null"))
    }
    fn visit_none<E>(self) -> Result<RawRecord, E> {
        Ok(RawRecord::NotObject("null"))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawRecord, D::Error> {
        d.deserialize_any(RecordSeed)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<RawRecord, A::Error> {
        skip_seq(seq)?;
        Ok(RawRecord::NotObject("an array"))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawRecord, A::Error> {
        let mut fields: [Option<RawField>; APP_FIELDS.len()] = Default::default();
        // Unknown names sorted, as a JSON object map keeps them, with whether each holds a value.
        let mut unknown = BTreeMap::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match key {
                Key::Known(i) => {
                    if fields[i].is_some() {
                        return Err(duplicate_key(APP_FIELDS[i]));
                    }
                    fields[i] = Some(map.next_value_seed(FieldSeed)?);
                }
                Key::Unknown(name) => {
                    if unknown.contains_key(&name) {
                        return Err(duplicate_key(&name));
                    }
                    let has_value = map.next_value_seed(Skip)?;
                    unknown.insert(name, has_value);
                }
            }
        }
        Ok(RawRecord::App(RawApp::from_parts(
            fields,
            unknown
                .into_iter()
                .map(|(name, has_value)| UnknownField { name, has_value })
                .collect(),
        )))
    }
}

/// A key of an app record: a known field by its position, or an unknown name.
enum Key {
    Known(usize),
    Unknown(String),
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        d.deserialize_string(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E>(self, v: &str) -> Result<Key, E> {
        Ok(match app_field_index(v) {
            Some(i) => Key::Known(i),
            None => Key::Unknown(v.to_owned()),
        })
    }
    fn visit_string<E>(self, v: String) -> Result<Key, E> {
        Ok(match app_field_index(&v) {
            Some(i) => Key::Known(i),
            None => Key::Unknown(v),
        })
    }
}

/// The value of a known field.
struct FieldSeed;

impl<'de> DeserializeSeed<'de> for FieldSeed {
    type Value = RawField;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<RawField, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FieldSeed {
    type Value = RawField;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<RawField, E> {
        Ok(RawField::Other("a boolean"))
    }
    fn visit_i64<E>(self, v: i64) -> Result<RawField, E> {
        Ok(RawField::Number(Number::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<RawField, E> {
        Ok(RawField::Number(Number::from(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<RawField, E> {
        Ok(Number::from_f64(v).map_or(RawField::Null, RawField::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<RawField, E> {
        Ok(RawField::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<RawField, E> {
        Ok(RawField::Str(v))
    }
    fn visit_unit<E>(self) -> Result<RawField, E> {
        Ok(RawField::Null)
    }
    fn visit_none<E>(self) -> Result<RawField, E> {
        Ok(RawField::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawField, D::Error> {
        d.deserialize_any(FieldSeed)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawField, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(ItemSeed)? {
            items.push(item);
        }
        Ok(RawField::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawField, A::Error> {
        skip_map(map)?;
        Ok(RawField::Other("an object"))
    }
}

/// An item of an array field.
struct ItemSeed;

impl<'de> DeserializeSeed<'de> for ItemSeed {
    type Value = RawItem;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<RawItem, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemSeed {
    type Value = RawItem;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<RawItem, E> {
        Ok(RawItem::Other("a boolean"))
    }
    fn visit_i64<E>(self, _: i64) -> Result<RawItem, E> {
        Ok(RawItem::Other("a number"))
    }
    fn visit_u64<E>(self, _: u64) -> Result<RawItem, E> {
        Ok(RawItem::Other("a number"))
    }
    fn visit_f64<E>(self, v: f64) -> Result<RawItem, E> {
        Ok(RawItem::Other(if v.is_finite() {
            "a number"
        } else {
            "null"
        }))
    }
    fn visit_str<E>(self, v: &str) -> Result<RawItem, E> {
        Ok(RawItem::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<RawItem, E> {
        Ok(RawItem::Str(v))
    }
    fn visit_unit<E>(self) -> Result<RawItem, E> {
        Ok(RawItem::Other("null"))
    }
    fn visit_none<E>(self) -> Result<RawItem, E> {
        Ok(RawItem::Other("null"))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawItem, D::Error> {
        d.deserialize_any(ItemSeed)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<RawItem, A::Error> {
        skip_seq(seq)?;
        Ok(RawItem::Other("an array"))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawItem, A::Error> {
        skip_map(map)?;
        Ok(RawItem::Other("an object"))
    }
}

/// A value that is not loaded (an unknown field, a wrong-typed one): parsed through, with the
/// duplicate-key rule, and dropped. Gives whether it held a value, as
/// [`crate::decode::carries_value`] says of the same value parsed.
struct Skip;

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<bool, E> {
        Ok(true)
    }
    fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
        Ok(true)
    }
    fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
        Ok(true)
    }
    fn visit_f64<E>(self, v: f64) -> Result<bool, E> {
        // As StrictValue: a number JSON cannot hold would be null.
        Ok(v.is_finite())
    }
    fn visit_str<E>(self, v: &str) -> Result<bool, E> {
        Ok(!v.trim().is_empty())
    }
    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_none<E>(self) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(Skip)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<bool, A::Error> {
        skip_seq(seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<bool, A::Error> {
        skip_map(map)
    }
}

/// Skips a list; whether an item held a value.
fn skip_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<bool, A::Error> {
    let mut any = false;
    while let Some(item) = seq.next_element_seed(Skip)? {
        any |= item;
    }
    Ok(any)
}

/// Skips an object; whether a member held a value.
fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<bool, A::Error> {
    let mut keys = BTreeSet::new();
    let mut any = false;
    while let Some(key) = map.next_key::<String>()? {
        if keys.contains(&key) {
            return Err(duplicate_key(&key));
        }
        any |= map.next_value_seed(Skip)?;
        keys.insert(key);
    }
    Ok(any)
}
