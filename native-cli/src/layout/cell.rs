//! The Rust types a column holds, and how each travels to and from PostgreSQL: as the element
//! of the array a bulk statement sends (`unnest($2::text[])`), and as the value a row reads back.

use anyhow::{anyhow, Result};
use qad_core::{Language, Rating};
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;
use uuid::Uuid;

/// A statement parameter: one column of a batch, as an array.
pub type Param = Box<dyn ToSql + Sync + Send>;

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
    /// The value as PostgreSQL prints the column as text (`col::text`): what the post-load
    /// check compares.
    fn text(&self) -> Option<String>;
}

macro_rules! plain_cell {
    ($t:ty, $array:literal, $text:expr) => {
        impl Cell for $t {
            const ARRAY: &'static str = $array;
            fn param<'a>(values: impl Iterator<Item = &'a Self>) -> Param {
                Box::new(values.cloned().collect::<Vec<$t>>())
            }
            fn read(row: &Row, name: &str) -> Result<Self> {
                Ok(row.try_get(name)?)
            }
            fn text(&self) -> Option<String> {
                $text(self)
            }
        }
    };
}

plain_cell!(Uuid, "uuid[]", |v: &Uuid| Some(v.to_string()));
plain_cell!(i64, "int8[]", |v: &i64| Some(v.to_string()));
plain_cell!(i32, "int4[]", |v: &i32| Some(v.to_string()));
plain_cell!(String, "text[]", |v: &String| Some(v.clone()));
plain_cell!(Option<String>, "text[]", Option::clone);

impl Cell for Option<Rating> {
    const ARRAY: &'static str = "text[]";
    const CAST: &'static str = "::numeric";
    const READ: &'static str = "{}::text";
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
    fn text(&self) -> Option<String> {
        self.map(|r| r.to_decimal_string())
    }
}

impl Cell for Language {
    const ARRAY: &'static str = "text[]";
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
    fn text(&self) -> Option<String> {
        Some(self.as_str().to_string())
    }
}
