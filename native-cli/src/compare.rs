//! Field-by-field comparison of two sets of rows, keyed by natural keys.
//!
//! Used by `verify`: the input's rows against the whole database. Ids are not compared, since
//! a row found by natural key keeps its id; references are compared by the natural key they
//! lead to. Only differing rows are rendered as JSON, so a large comparison stays light.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::plan::Names;
use qad_core::{App, AppCategory, Category, Developer, Screenshot};

use crate::layout::{Layout, Rows, TableOf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DiffKind {
    /// In the source, not in the database.
    Missing,
    /// In the database, not in the source.
    Unexpected,
    /// A field differs.
    Field,
    /// A field differs because something other than qa-load changed it in the database since a
    /// load wrote it (the ownership record says what that load wrote).
    ChangedInDatabase,
    /// A field a person decided to keep as the database has it, against the file's value.
    Kept,
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
            DiffKind::ChangedInDatabase => "changed-in-database",
            DiffKind::Kept => "kept",
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
    /// ChangedInDatabase: the load that last wrote the field, and what it wrote.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_since: Option<ChangedSince>,
}

/// The load that last wrote a field someone changed since.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangedSince {
    pub run: String,
    pub written: Value,
}

/// The ownership record (`qa_load.owned`) of one layout, as verify reads it: by table and key
/// (as JSON, the key columns as the table stores them), what a load last wrote and which run.
#[derive(Debug, Default)]
pub struct Record(pub std::collections::HashMap<(String, Value), Recorded>);

/// One row's record: what a load last wrote, the file values kept against, and the run.
#[derive(Debug, Default)]
pub struct Recorded {
    pub written: Map<String, Value>,
    pub kept: Map<String, Value>,
    pub run: String,
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
            DiffKind::Kept => format!(
                "{} {}: {} is {} in the database, {} in the source: kept as the database has it by a decision (run {})",
                self.table,
                self.record,
                self.field.as_deref().unwrap_or("?"),
                short(&self.actual),
                short(&self.expected),
                self.changed_since.as_ref().map_or("?", |c| c.run.as_str()),
            ),
            DiffKind::ChangedInDatabase => {
                let since = self.changed_since.as_ref();
                format!(
                    "{} {}: {} changed in the database since run {} (which wrote {}): it is {} in the database, {} in the source",
                    self.table,
                    self.record,
                    self.field.as_deref().unwrap_or("?"),
                    since.map_or("?", |c| c.run.as_str()),
                    since.map_or_else(|| "?".to_string(), |c| short(&c.written)),
                    short(&self.actual),
                    short(&self.expected)
                )
            }
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
    if let Some(note) = long_text_note(v) {
        return note;
    }
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

/// How a long text the ownership record keeps as its digest is shown (None: not such a value).
pub fn long_text_note(v: &Value) -> Option<String> {
    qad_core::equal::digest_of(v)?;
    let chars = v.get("chars")?.as_u64()?;
    Some(format!(
        "(a text of {chars} characters; the record keeps its SHA-256, not the text)"
    ))
}

fn object<T: Serialize>(row: &T) -> Map<String, Value> {
    match serde_json::to_value(row) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

fn missing<T: Serialize>(table: &str, record: String, row: &T) -> Difference {
    Difference {
        table: table.into(),
        record,
        kind: DiffKind::Missing,
        field: None,
        expected: Value::Object(object(row)),
        actual: Value::Null,
        changed_since: None,
    }
}

fn unexpected<T: Serialize>(table: &str, record: String, row: &T) -> Difference {
    Difference {
        table: table.into(),
        record,
        kind: DiffKind::Unexpected,
        field: None,
        expected: Value::Null,
        actual: Value::Object(object(row)),
        changed_since: None,
    }
}

/// Matches two keyed row sets; calls `same` on pairs, reports the rest as missing / unexpected.
fn match_rows<'a, T: Serialize + 'a>(
    table: &str,
    expected: impl Iterator<Item = (String, &'a T)>,
    actual: impl Iterator<Item = (String, &'a T)>,
    out: &mut Vec<Difference>,
    mut same: impl FnMut(&str, &'a T, &'a T, &mut Vec<Difference>),
) {
    let mut actual: BTreeMap<String, &T> = actual.collect();
    let expected: BTreeMap<String, &T> = expected.collect();
    for (key, e) in &expected {
        match actual.remove(key) {
            None => out.push(missing(table, key.clone(), *e)),
            Some(a) => same(key, e, a, out),
        }
    }
    for (key, a) in actual {
        out.push(unexpected(table, key, a));
    }
}

/// The differing `fields` of two rows, with their values as the layout stores them; a field
/// the ownership record says a load wrote otherwise is one changed in the database since.
#[allow(clippy::too_many_arguments)]
fn field_diffs<T, L: TableOf<T>>(
    layout: &L,
    record: &Record,
    table: &str,
    key: &str,
    fields: &[&str],
    e: &T,
    a: &T,
    out: &mut Vec<Difference>,
) {
    if fields.is_empty() {
        return;
    }
    let (mut e, mut a) = (layout.stored(e), layout.stored(a));
    let t = layout.table();
    let pk: Map<String, Value> = t
        .key
        .iter()
        .map(|k| (k.to_string(), a.get(*k).cloned().unwrap_or(Value::Null)))
        .collect();
    let recorded = record.0.get(&(table.to_string(), Value::Object(pk)));
    for f in fields {
        let actual = a.remove(*f).unwrap_or(Value::Null);
        let kind = t.kind_of(f);
        let kept = recorded.is_some_and(|r| r.kept.contains_key(*f));
        let changed_since = recorded.and_then(|r| {
            let w = r.written.get(*f).cloned().unwrap_or(Value::Null);
            (kept || !qad_core::equal::same_value(kind, &w, &actual)).then(|| ChangedSince {
                run: r.run.clone(),
                written: w,
            })
        });
        out.push(Difference {
            table: table.into(),
            record: key.to_string(),
            kind: match (&changed_since, kept) {
                (Some(_), true) => DiffKind::Kept,
                (Some(_), false) => DiffKind::ChangedInDatabase,
                (None, _) => DiffKind::Field,
            },
            field: Some((*f).to_string()),
            expected: e.remove(*f).unwrap_or(Value::Null),
            actual,
            changed_since,
        });
    }
}

/// The differing fields verify reports: not the keys, nor the references (rows are matched by
/// natural key and references compared by the natural key they lead to, since a row found by
/// natural key keeps its id).
fn compared<L: Layout>(layout: &L, table: &str, fields: Vec<&'static str>) -> Vec<&'static str> {
    let Some(t) = layout.tables().into_iter().find(|t| t.name == table) else {
        return fields;
    };
    fields
        .into_iter()
        .filter(|f| {
            !t.key.contains(f)
                && t.belongs_to != Some(*f)
                && !layout
                    .relations()
                    .iter()
                    .any(|r| r.child == table && r.column == *f)
        })
        .collect()
}

/// Every difference between the source rows and the database rows, matched by natural key, in
/// load order. Ids are not compared; references are compared by the natural key they lead to.
pub fn diff<L: Layout>(
    layout: &L,
    record: &Record,
    expected: &Rows,
    expected_names: &Names,
    actual: &Rows,
    actual_names: &Names,
) -> Vec<Difference> {
    let [developers, categories, apps, links, screenshots] = layout.tables().map(|t| t.name);
    let mut out = Vec::new();
    match_rows(
        developers,
        expected.developers.iter().map(|d| (d.key.clone(), d)),
        actual.developers.iter().map(|d| (d.key.clone(), d)),
        &mut out,
        |key, e, a, out| {
            let fields = TableOf::<Developer>::differing(layout, e, a);
            field_diffs(
                layout,
                record,
                developers,
                key,
                &compared(layout, developers, fields),
                e,
                a,
                out,
            )
        },
    );
    match_rows(
        categories,
        expected.categories.iter().map(|c| (c.key.clone(), c)),
        actual.categories.iter().map(|c| (c.key.clone(), c)),
        &mut out,
        |key, e, a, out| {
            let fields = TableOf::<Category>::differing(layout, e, a);
            field_diffs(
                layout,
                record,
                categories,
                key,
                &compared(layout, categories, fields),
                e,
                a,
                out,
            )
        },
    );
    match_rows(
        apps,
        expected.apps.iter().map(|x| (x.slug.clone(), x)),
        actual.apps.iter().map(|x| (x.slug.clone(), x)),
        &mut out,
        |key, e, a, out| {
            let fields = TableOf::<App>::differing(layout, e, a);
            field_diffs(
                layout,
                record,
                apps,
                key,
                &compared(layout, apps, fields),
                e,
                a,
                out,
            );
            let (de, da) = (
                expected_names.developer(&e.developer_id),
                actual_names.developer(&a.developer_id),
            );
            if de != da {
                out.push(Difference {
                    table: apps.into(),
                    record: key.to_string(),
                    kind: DiffKind::Field,
                    field: Some("developer".into()),
                    expected: Value::String(de),
                    actual: Value::String(da),
                    changed_since: None,
                });
            }
        },
    );
    let link_key = |names: &Names, l: &AppCategory| {
        format!(
            "{} -> {}",
            names.app(&l.app_id),
            names.category(&l.category_id)
        )
    };
    match_rows(
        links,
        expected
            .app_categories
            .iter()
            .map(|l| (link_key(expected_names, l), l)),
        actual
            .app_categories
            .iter()
            .map(|l| (link_key(actual_names, l), l)),
        &mut out,
        |key, e, a, out| {
            let fields = TableOf::<AppCategory>::differing(layout, e, a);
            field_diffs(
                layout,
                record,
                links,
                key,
                &compared(layout, links, fields),
                e,
                a,
                out,
            );
        },
    );
    let shot_key = |names: &Names, s: &Screenshot| {
        format!(
            "{} {} #{}",
            names.app(&s.app_id),
            s.language.as_str(),
            s.sort_order
        )
    };
    match_rows(
        screenshots,
        expected
            .screenshots
            .iter()
            .map(|s| (shot_key(expected_names, s), s)),
        actual
            .screenshots
            .iter()
            .map(|s| (shot_key(actual_names, s), s)),
        &mut out,
        |key, e, a, out| {
            let fields = TableOf::<Screenshot>::differing(layout, e, a);
            field_diffs(
                layout,
                record,
                screenshots,
                key,
                &compared(layout, screenshots, fields),
                e,
                a,
                out,
            );
        },
    );
    out
}
