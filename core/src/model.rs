//! The target model: the rows a migration writes, one struct per table.
//!
//! Every row carries a deterministic UUID (see [`crate::ids`]) and the natural key
//! that a re-run uses to find it again. Field names are the PostgreSQL column names. A row read
//! back from a table whose ids the database hands out carries that id instead ([`RowId`]).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A rating in hundredths (0..=500), written as the decimal text `"4.90"`.
///
/// Kept as an integer so that the value is exact on every side (Rust, JS, NUMERIC(3,2)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
pub struct Rating(pub u16);

impl Rating {
    pub const MAX: Rating = Rating(500);

    /// The `NUMERIC(3,2)` text form, e.g. `4.90`.
    pub fn to_decimal_string(self) -> String {
        format!("{}.{:02}", self.0 / 100, self.0 % 100)
    }

    /// Parses the decimal text form (`4.9`, `4.90`, `5`), as PostgreSQL prints NUMERIC.
    pub fn parse_decimal(text: &str) -> Option<Rating> {
        let (whole, frac) = match text.split_once('.') {
            Some((w, f)) => (w, f),
            None => (text, ""),
        };
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 2 {
            return None;
        }
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let whole: u16 = whole.parse().ok()?;
        let mut hundredths: u16 = 0;
        for (i, b) in frac.bytes().enumerate() {
            hundredths += u16::from(b - b'0') * if i == 0 { 10 } else { 1 };
        }
        let value = whole.checked_mul(100)?.checked_add(hundredths)?;
        (value <= Rating::MAX.0).then_some(Rating(value))
    }
}

impl Serialize for Rating {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_decimal_string())
    }
}

impl<'de> Deserialize<'de> for Rating {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Rating::parse_decimal(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("not a rating 0.00-5.00: {text:?}")))
    }
}

/// A row's id as its table has it: a UUID (every row the transform makes, see [`crate::ids`],
/// and qa-load's own tables), or a `bigint` the database handed out (the directory backend's
/// tables). Serialised as the UUID's text or as the number; shown the same way.
// Made with `RowId::from(uuid)` or `RowId::from(n)`, read with `uuid()` and `bigint()`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
// In TypeScript a string: what the core hands to JavaScript is the transform's dataset, whose
// ids are all UUIDs (a `bigint` id is only ever read from the backend's tables, by qa-load).
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
pub struct RowId(Repr);

/// A `bigint` is kept as bytes (big-endian, sign bit flipped, so that it orders as the number):
/// byte-aligned, an id takes 17 bytes where an enum of a UUID and an `i64` takes 24, which every
/// row of a 10,000-app plan (two ids a screenshot) felt in the load's peak memory.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Repr {
    Uuid(Uuid),
    BigInt([u8; 8]),
}

impl RowId {
    /// The UUID, when the id is one.
    pub fn uuid(self) -> Option<Uuid> {
        match self.0 {
            Repr::Uuid(u) => Some(u),
            Repr::BigInt(_) => None,
        }
    }

    /// The `bigint`, when the id is one.
    pub fn bigint(self) -> Option<i64> {
        match self.0 {
            Repr::BigInt(b) => Some((u64::from_be_bytes(b) ^ (1 << 63)) as i64),
            Repr::Uuid(_) => None,
        }
    }
}

impl Default for RowId {
    fn default() -> Self {
        RowId::from(Uuid::nil())
    }
}

impl From<Uuid> for RowId {
    fn from(u: Uuid) -> Self {
        RowId(Repr::Uuid(u))
    }
}

impl From<i64> for RowId {
    fn from(n: i64) -> Self {
        RowId(Repr::BigInt(((n as u64) ^ (1 << 63)).to_be_bytes()))
    }
}

impl std::fmt::Display for RowId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.uuid(), self.bigint()) {
            (Some(u), _) => u.fmt(f),
            (_, Some(n)) => n.fmt(f),
            (None, None) => Ok(()),
        }
    }
}

impl std::fmt::Debug for RowId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.uuid(), self.bigint()) {
            (Some(u), _) => write!(f, "Uuid({u})"),
            (_, Some(n)) => write!(f, "BigInt({n})"),
            (None, None) => Ok(()),
        }
    }
}

impl Serialize for RowId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match (self.uuid(), self.bigint()) {
            (Some(u), _) => u.serialize(s),
            (_, Some(n)) => s.serialize_i64(n),
            (None, None) => s.serialize_none(),
        }
    }
}

impl<'de> Deserialize<'de> for RowId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = RowId;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a UUID string or an integer id")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RowId, E> {
                Uuid::parse_str(v).map(RowId::from).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<RowId, E> {
                Ok(RowId::from(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<RowId, E> {
                i64::try_from(v)
                    .map(RowId::from)
                    .map_err(|_| E::custom(format!("id {v} is out of the bigint range")))
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// `developers`: one row per real developer, after deduplication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "DeveloperRow"))]
pub struct Developer {
    pub id: RowId,
    /// Natural key: the normalised English name of the first variant seen.
    pub key: String,
    pub name_en: String,
    pub name_ar: Option<String>,
    pub website: Option<String>,
    pub logo_url: Option<String>,
}

/// `categories`: the export's categories in display order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "CategoryRow"))]
pub struct Category {
    pub id: RowId,
    /// Natural key: the key app records use (`mushaf`, `tools`, ...).
    pub key: String,
    pub name_en: String,
    pub name_ar: Option<String>,
    /// Inline SVG markup, exactly as exported. Render as an image, never inject.
    pub icon_svg: Option<String>,
    pub sort_order: i32,
}

/// `apps`: one row per source record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "AppRow"))]
pub struct App {
    pub id: RowId,
    /// Natural key, unique, derived from the English name.
    pub slug: String,
    /// The source record's `id`, e.g. `1_Wahy`.
    pub source_id: String,
    pub name_en: String,
    pub name_ar: String,
    pub short_description_en: Option<String>,
    pub short_description_ar: Option<String>,
    pub description_en: Option<String>,
    pub description_ar: Option<String>,
    pub status: Option<String>,
    pub sort_order: i32,
    pub avg_rating: Option<Rating>,
    pub developer_id: RowId,
    pub application_icon_url: Option<String>,
    pub main_image_en_url: Option<String>,
    pub main_image_ar_url: Option<String>,
    pub google_play_url: Option<String>,
    pub app_store_url: Option<String>,
    pub app_gallery_url: Option<String>,
    /// The record's own `Developer_Logo` (the developer row keeps the first one seen).
    pub developer_logo_url: Option<String>,
}

/// `app_categories`: primary key `(app_id, category_id)`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "AppCategoryRow"))]
pub struct AppCategory {
    pub app_id: RowId,
    pub category_id: RowId,
    /// Position of the category in the app's own list (the frontend shows them in that order).
    pub sort_order: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Language {
    Ar,
    En,
}

impl Language {
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Ar => "ar",
            Language::En => "en",
        }
    }
}

/// `screenshots`: one row per URL per language; natural key `(app_id, language, sort_order)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "ScreenshotRow"))]
pub struct Screenshot {
    pub id: RowId,
    pub app_id: RowId,
    pub language: Language,
    pub url: String,
    pub sort_order: i32,
}

/// Everything one migration writes, in load order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Dataset {
    pub developers: Vec<Developer>,
    pub categories: Vec<Category>,
    pub apps: Vec<App>,
    pub app_categories: Vec<AppCategory>,
    pub screenshots: Vec<Screenshot>,
}

/// Row counts per table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Counts {
    pub apps: usize,
    pub categories: usize,
    pub developers: usize,
    pub app_categories: usize,
    pub screenshots: usize,
}

impl Dataset {
    pub fn counts(&self) -> Counts {
        Counts {
            apps: self.apps.len(),
            categories: self.categories.len(),
            developers: self.developers.len(),
            app_categories: self.app_categories.len(),
            screenshots: self.screenshots.len(),
        }
    }

    /// SHA-256 (hex) of the canonical JSON of the dataset.
    ///
    /// Computed from the transformed rows, not the file's bytes, so that an edit that only
    /// reformats the source does not count as a change.
    pub fn checksum(&self) -> String {
        use sha2::{Digest, Sha256};
        /// Feeds the canonical JSON straight into the hash: no copy of the whole dataset.
        struct HashWriter(Sha256);
        impl std::io::Write for HashWriter {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.update(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        // Buffered: the serialiser writes a few bytes at a time, and each hash update has a cost.
        let mut writer = std::io::BufWriter::with_capacity(64 * 1024, HashWriter(Sha256::new()));
        // Serialising plain structs, strings and integers into a hash cannot fail.
        let _ = serde_json::to_writer(&mut writer, self);
        // Flushing into the hash cannot fail either; the emptied buffer is then let go.
        let _ = std::io::Write::flush(&mut writer);
        let (HashWriter(hash), _) = writer.into_parts();
        hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rating_round_trips_through_decimal_text() {
        for (text, hundredths) in [
            ("4.90", 490),
            ("4.9", 490),
            ("5", 500),
            ("0.05", 5),
            ("0", 0),
        ] {
            assert_eq!(
                Rating::parse_decimal(text),
                Some(Rating(hundredths)),
                "{text}"
            );
        }
        assert_eq!(Rating(490).to_decimal_string(), "4.90");
        assert_eq!(Rating(5).to_decimal_string(), "0.05");
        for bad in ["5.01", "-1", "4.999", "", ".5", "a", "4.x"] {
            assert_eq!(Rating::parse_decimal(bad), None, "{bad}");
        }
    }
}

#[cfg(test)]
mod row_id_tests {
    use super::*;

    #[test]
    fn a_row_id_is_a_uuid_or_a_bigint_shown_and_serialised_as_the_database_has_it() {
        assert_eq!(
            std::mem::size_of::<RowId>(),
            17,
            "byte-aligned: two ids pack in 34 bytes"
        );
        let u = Uuid::from_u128(0x1234);
        for n in [0_i64, 1, 6, -1, i64::MIN, i64::MAX] {
            let id = RowId::from(n);
            assert_eq!((id.bigint(), id.uuid()), (Some(n), None));
            assert_eq!(id.to_string(), n.to_string());
            assert_eq!(serde_json::to_string(&id).unwrap(), n.to_string());
            assert_eq!(serde_json::from_str::<RowId>(&n.to_string()).unwrap(), id);
        }
        let id = RowId::from(u);
        assert_eq!((id.uuid(), id.bigint()), (Some(u), None));
        assert_eq!(id.to_string(), u.to_string());
        assert_eq!(
            serde_json::from_str::<RowId>(&serde_json::to_string(&id).unwrap()).unwrap(),
            id
        );
        let mut ids: Vec<RowId> = [7_i64, -3, 100, 0, i64::MIN].map(RowId::from).to_vec();
        ids.sort();
        assert_eq!(
            ids.iter().filter_map(|i| i.bigint()).collect::<Vec<_>>(),
            vec![i64::MIN, -3, 0, 7, 100],
            "bigints order as numbers"
        );
        assert!(serde_json::from_str::<RowId>("\"not a uuid\"").is_err());
        assert!(serde_json::from_str::<RowId>("18446744073709551615").is_err());
    }
}
