//! Field-by-field comparison of two sets of rows, keyed by natural keys.
//!
//! Used by `verify` (input vs the whole database; ids not compared, since a row found by
//! natural key keeps its id) and by the post-load check inside the load transaction (the plan's
//! expected rows vs the rows read back; ids compared too).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::plan::Names;
use crate::rows::Rows;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DiffKind {
    /// In the source, not in the database.
    Missing,
    /// In the database, not in the source.
    Unexpected,
    /// A field differs.
    Field,
    /// A row count differs.
    Count,
    /// A row whose reference leads nowhere, or a developer no app uses.
    Orphan,
    /// A constraint the schema should have is absent.
    Schema,
}

impl DiffKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DiffKind::Missing => "missing",
            DiffKind::Unexpected => "unexpected",
            DiffKind::Field => "field",
            DiffKind::Count => "count",
            DiffKind::Orphan => "orphan",
            DiffKind::Schema => "schema",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    pub table: String,
    pub record: String,
    pub kind: DiffKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The source's value (null when absent).
    pub expected: Value,
    /// The database's value (null when absent).
    pub actual: Value,
}

impl Difference {
    pub fn describe(&self) -> String {
        match self.kind {
            DiffKind::Field => format!(
                "{} {}: {} is {} in the database, {} in the source",
                self.table,
                self.record,
                self.field.as_deref().unwrap_or("?"),
                short(&self.actual),
                short(&self.expected)
            ),
            DiffKind::Missing => format!(
                "{} {}: in the source, not in the database",
                self.table, self.record
            ),
            DiffKind::Unexpected => format!(
                "{} {}: in the database, not in the source",
                self.table, self.record
            ),
            DiffKind::Count => format!(
                "{}: {} rows in the database, {} in the source",
                self.table,
                short(&self.actual),
                short(&self.expected)
            ),
            DiffKind::Orphan | DiffKind::Schema => {
                format!("{} {}: {}", self.table, self.record, short(&self.actual))
            }
        }
    }
}

/// A value shortened for one line of text.
pub fn short(v: &Value) -> String {
    let s = match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(79).collect::<String>())
    } else {
        s
    }
}

type Table = BTreeMap<String, Map<String, Value>>;

fn object<T: Serialize>(row: &T) -> Map<String, Value> {
    match serde_json::to_value(row) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// The rows of each table keyed by natural key, with references replaced by natural keys.
pub fn normalize(rows: &Rows, names: &Names, with_ids: bool) -> BTreeMap<&'static str, Table> {
    let mut out: BTreeMap<&'static str, Table> = BTreeMap::new();
    let strip = |mut m: Map<String, Value>, ids: &[&str]| {
        if !with_ids {
            for k in ids {
                m.remove(*k);
            }
        }
        m
    };
    let t = out.entry("developers").or_default();
    for d in &rows.developers {
        t.insert(d.key.clone(), strip(object(d), &["id"]));
    }
    let t = out.entry("categories").or_default();
    for c in &rows.categories {
        t.insert(c.key.clone(), strip(object(c), &["id"]));
    }
    let t = out.entry("apps").or_default();
    for a in &rows.apps {
        let mut m = strip(object(a), &["id", "developer_id"]);
        m.insert(
            "developer".into(),
            Value::String(names.developer(&a.developer_id)),
        );
        t.insert(a.slug.clone(), m);
    }
    let t = out.entry("app_categories").or_default();
    for l in &rows.app_categories {
        let m = strip(object(l), &["app_id", "category_id"]);
        t.insert(
            format!(
                "{} -> {}",
                names.app(&l.app_id),
                names.category(&l.category_id)
            ),
            m,
        );
    }
    let t = out.entry("screenshots").or_default();
    for s in &rows.screenshots {
        let m = strip(object(s), &["id", "app_id", "language", "sort_order"]);
        t.insert(
            format!(
                "{} {} #{}",
                names.app(&s.app_id),
                s.language.as_str(),
                s.sort_order
            ),
            m,
        );
    }
    out
}

/// Every difference between `expected` and `actual`, table by table in load order.
pub fn diff(
    expected: &BTreeMap<&'static str, Table>,
    actual: &BTreeMap<&'static str, Table>,
) -> Vec<Difference> {
    let mut out = Vec::new();
    let empty = Table::new();
    for table in [
        "developers",
        "categories",
        "apps",
        "app_categories",
        "screenshots",
    ] {
        let e = expected.get(table).unwrap_or(&empty);
        let a = actual.get(table).unwrap_or(&empty);
        for (key, want) in e {
            match a.get(key) {
                None => out.push(Difference {
                    table: table.into(),
                    record: key.clone(),
                    kind: DiffKind::Missing,
                    field: None,
                    expected: Value::Object(want.clone()),
                    actual: Value::Null,
                }),
                Some(have) => {
                    let mut fields: Vec<&String> = want.keys().chain(have.keys()).collect();
                    fields.sort();
                    fields.dedup();
                    for f in fields {
                        let (w, h) = (
                            want.get(f).unwrap_or(&Value::Null),
                            have.get(f).unwrap_or(&Value::Null),
                        );
                        if w != h {
                            out.push(Difference {
                                table: table.into(),
                                record: key.clone(),
                                kind: DiffKind::Field,
                                field: Some(f.clone()),
                                expected: w.clone(),
                                actual: h.clone(),
                            });
                        }
                    }
                }
            }
        }
        for (key, have) in a {
            if !e.contains_key(key) {
                out.push(Difference {
                    table: table.into(),
                    record: key.clone(),
                    kind: DiffKind::Unexpected,
                    field: None,
                    expected: Value::Null,
                    actual: Value::Object(have.clone()),
                });
            }
        }
    }
    out
}
