//! The Rust types a column holds, and how each travels to and from PostgreSQL: as the element
//! of the array a bulk statement sends (`unnest($2::text[])`), and as the value a row reads back.

use anyhow::{anyhow, Result};
use qad_core::equal::{same_text, same_url, Kind};
use qad_core::{Language, Rating, RowId};
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;
use uuid::Uuid;

/// A statement parameter: one column of a batch, as an array.
pub type Param = Box<dyn ToSql + Sync + Send>;

/// A column's value as the post-load check compares it: typed, so that the check neither
/// formats nor parses what it compares.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum CellValue {
    Null,
    Uuid(Uuid),
    Int(i64),
    Text(String),
}

impl std::fmt::Display for CellValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CellValue::Null => f.write_str("NULL"),
            CellValue::Uuid(u) => write!(f, "{u}"),
            CellValue::Int(i) => write!(f, "{i}"),
            CellValue::Text(s) => f.write_str(s),
        }
    }
}

fn text_value(text: Option<String>) -> CellValue {
    text.map_or(CellValue::Null, CellValue::Text)
}

/// A type a column holds.
pub trait Cell: Sized {
    /// The array type the batch is sent as.
    const ARRAY: &'static str;
    /// A cast applied to the sent value when it is written (`::numeric` for the rating, sent as text).
    const CAST: &'static str = "";
    /// The expression that reads the column back into this type (`{}` is the column).
    const READ: &'static str = "{}";
    /// One column of a batch.
    fn param<'a>(values: impl Iterator<Item = &'a Self>) -> Param
    where
        Self: 'a;
    /// The column `name` of a row read back.
    fn read(row: &Row, name: &str) -> Result<Self>;
    /// The value as the post-load check compares it.
    fn value(&self) -> CellValue;
    /// Column `i` of a row read back through [`Cell::READ`], as the post-load check compares it.
    fn read_value(row: &Row, i: usize) -> Result<CellValue>;
    /// How the column's values compare ([`qad_core::equal`]), unless its table says it holds
    /// URLs ([`Kind::Url`]).
    const KIND: Kind = Kind::Exact;
    /// Whether two values are the same value, compared as `kind`: the one comparison
    /// ([`qad_core::equal`]), on the typed values.
    fn same(&self, other: &Self, kind: Kind) -> bool;
}

/// Two texts compared as `kind` (`''` and NULL alike, NFC; URLs with escapes decoded).
fn same_str(a: Option<&str>, b: Option<&str>, kind: Kind) -> bool {
    match kind {
        Kind::Url => same_url(a, b),
        Kind::Text => same_text(a, b),
        Kind::Number => match (a, b) {
            (Some(a), Some(b)) => qad_core::equal::same_number(a, b),
            (a, b) => a.unwrap_or("").is_empty() && b.unwrap_or("").is_empty(),
        },
        Kind::Exact => a == b,
    }
}

macro_rules! plain_cell {
    ($t:ty, $array:literal, $value:expr, $read:expr) => {
        plain_cell!(
            $t,
            $array,
            $value,
            $read,
            Kind::Exact,
            |a: &$t, b: &$t, _k| a == b
        );
    };
    ($t:ty, $array:literal, $value:expr, $read:expr, $kind:expr, $same:expr) => {
        impl Cell for $t {
            const ARRAY: &'static str = $array;
            const KIND: Kind = $kind;
            fn same(&self, other: &Self, kind: Kind) -> bool {
                $same(self, other, kind)
            }
            fn param<'a>(values: impl Iterator<Item = &'a Self>) -> Param {
                Box::new(values.cloned().collect::<Vec<$t>>())
            }
            fn read(row: &Row, name: &str) -> Result<Self> {
                Ok(row.try_get(name)?)
            }
            fn value(&self) -> CellValue {
                $value(self)
            }
            fn read_value(row: &Row, i: usize) -> Result<CellValue> {
                $read(row, i)
            }
        }
    };
}

plain_cell!(
    Uuid,
    "uuid[]",
    |v: &Uuid| CellValue::Uuid(*v),
    |row: &Row, i| -> Result<CellValue> {
        Ok(row
            .try_get::<_, Option<Uuid>>(i)?
            .map_or(CellValue::Null, CellValue::Uuid))
    }
);
/// A row id in a `uuid` column (qa-load's own tables). A `bigint` id never reaches such a
/// table (each layout reads and writes its own ids); it would be sent as the nil UUID, which
/// names no row.
impl Cell for RowId {
    const ARRAY: &'static str = "uuid[]";
    fn same(&self, other: &Self, _kind: Kind) -> bool {
        self == other
    }
    fn param<'a>(values: impl Iterator<Item = &'a Self>) -> Param {
        Box::new(
            values
                .map(|v| v.uuid().unwrap_or_default())
                .collect::<Vec<Uuid>>(),
        )
    }
    fn read(row: &Row, name: &str) -> Result<Self> {
        Ok(RowId::from(row.try_get::<_, Uuid>(name)?))
    }
    fn value(&self) -> CellValue {
        match (self.uuid(), self.bigint()) {
            (Some(u), _) => CellValue::Uuid(u),
            (_, Some(n)) => CellValue::Int(n),
            (None, None) => CellValue::Null,
        }
    }
    fn read_value(row: &Row, i: usize) -> Result<CellValue> {
        Uuid::read_value(row, i)
    }
}

plain_cell!(i64, "int8[]", |v: &i64| CellValue::Int(*v), |row: &Row,
                                                          i|
 -> Result<
    CellValue,
> {
    Ok(row
        .try_get::<_, Option<i64>>(i)?
        .map_or(CellValue::Null, CellValue::Int))
});
plain_cell!(
    i32,
    "int4[]",
    |v: &i32| CellValue::Int(i64::from(*v)),
    |row: &Row, i| -> Result<CellValue> {
        Ok(row
            .try_get::<_, Option<i32>>(i)?
            .map_or(CellValue::Null, |v| CellValue::Int(i64::from(v))))
    }
);
plain_cell!(
    String,
    "text[]",
    |v: &String| CellValue::Text(v.clone()),
    |row: &Row, i| -> Result<CellValue> { Ok(text_value(row.try_get(i)?)) },
    Kind::Text,
    |a: &String, b: &String, k| same_str(Some(a), Some(b), k)
);
plain_cell!(
    Option<String>,
    "text[]",
    |v: &Option<String>| text_value(v.clone()),
    |row: &Row, i| -> Result<CellValue> { Ok(text_value(row.try_get(i)?)) },
    Kind::Text,
    |a: &Option<String>, b: &Option<String>, k| same_str(a.as_deref(), b.as_deref(), k)
);

impl Cell for Option<Rating> {
    const ARRAY: &'static str = "text[]";
    const CAST: &'static str = "::numeric";
    const READ: &'static str = "{}::text";
    const KIND: Kind = Kind::Number;
    fn same(&self, other: &Self, _kind: Kind) -> bool {
        // Ratings are hundredths: by value already.
        self == other
    }
    fn param<'a>(values: impl Iterator<Item = &'a Self>) -> Param {
        Box::new(
            values
                .map(|r| r.map(|x| x.to_decimal_string()))
                .collect::<Vec<Option<String>>>(),
        )
    }
    fn read(row: &Row, name: &str) -> Result<Self> {
        let text: Option<String> = row.try_get(name)?;
        text.map(|t| {
            Rating::parse_decimal(&t)
                .ok_or_else(|| anyhow!("{name} holds {t:?}, which is not a rating 0.00-5.00"))
        })
        .transpose()
    }
    fn value(&self) -> CellValue {
        text_value(self.map(|r| r.to_decimal_string()))
    }
    fn read_value(row: &Row, i: usize) -> Result<CellValue> {
        // Read through READ (`::text`): numeric(3,2) prints as to_decimal_string writes.
        Ok(text_value(row.try_get(i)?))
    }
}

impl Cell for Language {
    const ARRAY: &'static str = "text[]";
    fn same(&self, other: &Self, _kind: Kind) -> bool {
        self == other
    }
    fn param<'a>(values: impl Iterator<Item = &'a Self>) -> Param {
        Box::new(
            values
                .map(|l| l.as_str().to_string())
                .collect::<Vec<String>>(),
        )
    }
    fn read(row: &Row, name: &str) -> Result<Self> {
        let text: String = row.try_get(name)?;
        match text.as_str() {
            "ar" => Ok(Language::Ar),
            "en" => Ok(Language::En),
            other => Err(anyhow!("{name} holds {other:?}, expected 'ar' or 'en'")),
        }
    }
    fn value(&self) -> CellValue {
        CellValue::Text(self.as_str().to_string())
    }
    fn read_value(row: &Row, i: usize) -> Result<CellValue> {
        Ok(text_value(row.try_get(i)?))
    }
}

/// Column `i` of `row`, read as the type of the field `_field` returns (the macro's way of
/// naming a field's type).
pub fn read_value_as<T, C: Cell>(row: &Row, i: usize, _field: fn(&T) -> &C) -> Result<CellValue> {
    C::read_value(row, i)
}
