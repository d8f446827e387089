//! The tables a load writes: what they are ([`Tables`], static) and how one run reads,
//! identifies and writes the dataset's rows in them ([`Layout`]). The layout a command works on
//! is chosen once, as a value ([`choice::Choice`]).
//!
//! Load, dry-run, the post-load check, verify and rollback know no table or column by name:
//! they ask the layout. A layout knows
//! - the table each of the dataset's five kinds of row ([`Entity`]) goes to, with its columns,
//!   key columns and key type ([`Table`], through [`TableOf`]), and each column's Rust type
//!   ([`cell::Cell`]);
//! - the foreign keys between its tables ([`Relation`]): rollback's dependency checks and
//!   verify's orphan and foreign-key checks follow them;
//! - how it is prepared: a layout qa-load owns has migrations ([`Tables::migrations`], applied
//!   and recorded by [`crate::bookkeeping`]); a layout it does not own has none and is only
//!   checked, never altered;
//! - how existing rows are read back as qad-core rows, by natural key ([`Layout::read_scope`])
//!   or all of them ([`Layout::read_all`]).
//!
//! The statements that write a batch and journal it are built from the [`Table`] alone
//! ([`sql`]), so a layout declares tables, not SQL.
//!
//! To add a layout: add a module beside [`qa_load`] that declares its tables (the
//! [`table_of!`](crate::table_of) macro does it for a Rust type whose fields are named as the
//! columns), implements [`TableOf`] for the five row types, [`Tables`] and [`Layout`]; name it
//! in [`LayoutName`] and in [`choice`] (a variant of each of its enums, an arm of each macro);
//! and give the conformance suite (`tests/conformance.rs`) one line for it.

pub mod cell;
pub mod choice;
pub mod detect;
pub mod django;
pub mod qa_load;
pub mod sql;

use std::collections::HashMap;

use anyhow::Result;
use qad_core::{
    App, AppCategory, Category, Dataset, Developer, DeveloperVariants, RowId, Screenshot,
};
use tokio_postgres::{GenericClient, Row};
use uuid::Uuid;

use crate::bookkeeping::{Component, SchemaMigration, Status, BOOKKEEPING};
pub use cell::{Cell, CellValue, Param};
use qad_core::equal::Kind;

/// The dataset's five kinds of row, in load order (rollback undoes them in reverse).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Entity {
    Developers,
    Categories,
    Apps,
    Links,
    Screenshots,
}

impl Entity {
    pub const ALL: [Entity; 5] = [
        Entity::Developers,
        Entity::Categories,
        Entity::Apps,
        Entity::Links,
        Entity::Screenshots,
    ];
}

/// The layouts this build knows, as `--layout` names them and the run record stores them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LayoutName {
    /// qa-load's own tables (uuid keys), created and migrated by qa-load.
    #[value(name = "qa-load")]
    QaLoad,
    /// The directory backend's own tables (bigint keys), as its Django migrations made them;
    /// qa-load checks them and never alters them.
    Django,
}

impl LayoutName {
    pub fn as_str(self) -> &'static str {
        match self {
            LayoutName::QaLoad => "qa-load",
            LayoutName::Django => "django",
        }
    }
}

/// The type of a table's key columns (how a journalled key is cast back).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    Uuid,
    BigInt,
}

impl KeyType {
    pub fn sql(self) -> &'static str {
        match self {
            KeyType::Uuid => "uuid",
            KeyType::BigInt => "bigint",
        }
    }

    /// `ids` as one array parameter of this key type (an id of the other type names no row of
    /// such a table, and is left out).
    pub fn ids_param(self, ids: &[RowId]) -> Param {
        match self {
            KeyType::Uuid => Box::new(ids.iter().filter_map(|i| i.uuid()).collect::<Vec<Uuid>>()),
            KeyType::BigInt => {
                Box::new(ids.iter().filter_map(|i| i.bigint()).collect::<Vec<i64>>())
            }
        }
    }
}

/// One column a load writes.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: &'static str,
    /// The array type a batch sends it as.
    pub array: &'static str,
    /// A cast applied when writing it.
    pub cast: &'static str,
    /// The expression reading it back (`{}` is the column).
    pub read: &'static str,
    /// Read back by the post-load check (keys and references; long texts are left to verify).
    pub check: bool,
    /// How its values compare ([`qad_core::equal`]): the column's type's kind, or
    /// [`Kind::Url`] where the table says it holds URLs.
    pub kind: Kind,
}

impl Column {
    /// `name`, or `expr AS name` where the column is read through an expression.
    pub fn select(&self) -> String {
        if self.read == "{}" {
            self.name.to_string()
        } else {
            format!("{} AS {}", self.read.replace("{}", self.name), self.name)
        }
    }
}

/// A table a load writes.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: &'static str,
    /// The primary key columns.
    pub key: &'static [&'static str],
    pub key_type: KeyType,
    pub columns: Vec<Column>,
    /// `updated_at` is set on update (and `created_at`, `updated_at` default on insert).
    pub timestamps: bool,
    /// The column whose parent row this row belongs to (links and screenshots belong to their
    /// app): the post-load check reads them back by it.
    pub belongs_to: Option<&'static str>,
    /// An SQL expression over the table's alias `t` that names a row in messages.
    pub label: &'static str,
    /// What a layout qa-load does not own adds: columns only an insert writes, the defaults of
    /// the columns it never writes, and the columns the journal keeps.
    pub ext: TableExt,
}

/// The parts of a [`Table`] that only a table qa-load does not own needs.
#[derive(Debug, Clone, Copy)]
pub struct TableExt {
    /// Columns of [`Table::columns`] an insert writes and an update never touches (a key the
    /// owner keeps, such as a slug).
    pub insert_only: &'static [&'static str],
    /// Columns the load never writes, with the SQL value an insert gives them (the owner's
    /// defaults: the table has no server defaults).
    pub insert_defaults: &'static [(&'static str, &'static str)],
    /// The columns the journal keeps of an inserted or updated row (its prior values, and the
    /// hash rollback compares), when not the whole row: the columns the load writes, so that
    /// the owner's own writes to the others (a view counter) are neither drift nor undone.
    /// A table whose rows a load deletes keeps whole rows (rollback re-inserts them).
    pub journal: Journal,
}

/// What the journal keeps of a row a load inserts or updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Journal {
    /// The whole row.
    WholeRow,
    /// The columns the load writes ([`Table::columns`]), and `updated_at` with
    /// [`Table::timestamps`].
    Written,
}

impl TableExt {
    /// A table qa-load owns: every column written on insert and update, whole rows journalled.
    pub const OWNED: TableExt = TableExt {
        insert_only: &[],
        insert_defaults: &[],
        journal: Journal::WholeRow,
    };
}

impl Table {
    /// How column `name`'s values compare (exactly, for a name the table does not have).
    pub fn kind_of(&self, name: &str) -> Kind {
        self.columns
            .iter()
            .find(|c| c.name == name)
            .map_or(Kind::Exact, |c| c.kind)
    }

    /// The columns, comma-separated, as a SELECT reads them back.
    pub fn select_list(&self) -> String {
        self.columns
            .iter()
            .map(Column::select)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A foreign key between a layout's tables: `child.column` refers to `parent`'s key.
#[derive(Debug, Clone, Copy)]
pub struct Relation {
    pub child: &'static str,
    /// The child's primary key columns (to journal and compare its rows by).
    pub child_key: &'static [&'static str],
    pub column: &'static str,
    pub parent: &'static str,
    pub parent_key: &'static str,
    /// What verify says of a child row whose parent does not exist.
    pub orphan: &'static str,
    /// Verify also reports parent rows no child refers to, with this message.
    pub unreferenced: Option<&'static str>,
}

/// How a layout stores one kind of row.
pub trait TableOf<T> {
    fn table(&self) -> &'static Table;
    /// One array per column of [`TableOf::table`], in order.
    fn values(&self, rows: &[&T]) -> Vec<Param>;
    /// The columns the post-load check reads back ([`Column::check`]) of one row, in order.
    fn checked_values(&self, row: &T) -> Vec<CellValue>;
    /// The same columns of a row the post-load check read back ([`Table::read_back_sql`]).
    fn read_checked(&self, row: &Row) -> Result<Vec<CellValue>>;
    /// The key column arrays (for deletes).
    fn key_values(&self, rows: &[&T]) -> Vec<Param>;
    /// A row read back.
    fn read_row(&self, row: &Row) -> Result<T>;
    /// The columns whose values differ between two rows.
    fn differing(&self, a: &T, b: &T) -> Vec<&'static str>;
    /// The row as the layout stores it, column by column (what verify shows of a difference).
    fn stored(&self, row: &T) -> serde_json::Map<String, serde_json::Value>;
}

/// Rows of the five tables a dataset covers, as qad-core rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rows {
    pub developers: Vec<Developer>,
    pub categories: Vec<Category>,
    pub apps: Vec<App>,
    pub app_categories: Vec<AppCategory>,
    pub screenshots: Vec<Screenshot>,
    /// What the ownership record says of each row, read with it (a load's prefetch; empty
    /// otherwise).
    pub states: States,
    /// Links and screenshots of the scope's apps that qa-load wrote and that are no longer in
    /// the database (someone removed them), as it wrote them.
    pub removed_links: Vec<Removed<AppCategory>>,
    pub removed_screenshots: Vec<Removed<Screenshot>>,
}

/// A row qa-load wrote that someone removed since: as qa-load wrote it, with its record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed<T> {
    pub row: T,
    /// The row's key, as the journal records it.
    pub pk: serde_json::Value,
    /// The record's value of the row (what qa-load last wrote).
    pub after: serde_json::Value,
    /// The record's kept map: `{"*": <the file's row>}` when a person decided to keep it
    /// removed.
    pub kept: serde_json::Map<String, serde_json::Value>,
    /// The run that wrote it (or recorded the decision) last.
    pub run: String,
}

/// What the ownership record ([`crate::bookkeeping::OWNED`]) says of an existing row, read in
/// the same statement as the row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowState {
    /// A hash of the columns a load writes, as read: each write of the row re-checks it in its
    /// own statement, so a change that lands after the classification is caught, never
    /// overwritten.
    pub hash: i64,
    /// The row as qa-load last wrote (or adopted) it, column → value; None when qa-load never
    /// wrote it. A row journalled by an earlier release (no after-values) is taken as written
    /// when its hash still matches, else as never written.
    pub written: Option<serde_json::Map<String, serde_json::Value>>,
    /// The row is exactly as qa-load last wrote it (nothing to compare column by column).
    pub as_written: bool,
    /// The file's values of the fields a person kept the database's value for.
    pub kept: serde_json::Map<String, serde_json::Value>,
    /// The run that last wrote or adopted the row.
    pub run: Option<String>,
}

/// [`RowState`]s aligned with a [`Rows`]' rows (same index), per table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct States {
    pub developers: Vec<RowState>,
    pub categories: Vec<RowState>,
    pub apps: Vec<RowState>,
    pub app_categories: Vec<RowState>,
    pub screenshots: Vec<RowState>,
}

/// Which existing rows a load needs: those its input's rows may match, by natural key or id.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub developer_keys: Vec<String>,
    /// Every English name a developer was merged from, and its Arabic names and websites.
    pub developer_names_en: Vec<String>,
    pub developer_names_ar: Vec<String>,
    pub developer_websites: Vec<String>,
    pub developer_ids: Vec<RowId>,
    pub category_keys: Vec<String>,
    pub category_names_en: Vec<String>,
    pub category_names_ar: Vec<String>,
    pub category_ids: Vec<RowId>,
    pub app_slugs: Vec<String>,
    pub app_source_ids: Vec<String>,
    pub app_names_en: Vec<String>,
    pub app_ids: Vec<RowId>,
}

impl Scope {
    /// The rows a dataset's rows may match, by any natural key of any layout, or by id.
    pub fn of_dataset(ds: &Dataset, variants: &[DeveloperVariants]) -> Scope {
        let mut s = Scope {
            developer_keys: ds.developers.iter().map(|d| d.key.clone()).collect(),
            developer_ids: ds.developers.iter().map(|d| d.id).collect(),
            category_keys: ds.categories.iter().map(|c| c.key.clone()).collect(),
            category_names_en: ds.categories.iter().map(|c| c.name_en.clone()).collect(),
            category_names_ar: ds
                .categories
                .iter()
                .filter_map(|c| c.name_ar.clone())
                .collect(),
            category_ids: ds.categories.iter().map(|c| c.id).collect(),
            app_slugs: ds.apps.iter().map(|a| a.slug.clone()).collect(),
            app_source_ids: ds.apps.iter().map(|a| a.source_id.clone()).collect(),
            app_names_en: ds.apps.iter().map(|a| a.name_en.clone()).collect(),
            app_ids: ds.apps.iter().map(|a| a.id).collect(),
            ..Scope::default()
        };
        for d in &ds.developers {
            s.developer_names_en.push(d.name_en.clone());
            s.developer_names_ar.extend(d.name_ar.clone());
            s.developer_websites.extend(d.website.clone());
        }
        for v in variants {
            s.developer_names_en.extend(v.names_en.iter().cloned());
            s.developer_names_ar.extend(v.names_ar.iter().cloned());
            s.developer_websites.extend(v.websites.iter().cloned());
        }
        s
    }
}

/// Which existing row each of the dataset's developers, categories and apps is, by the
/// layout's natural keys: dataset id → existing id.
#[derive(Debug, Clone, Default)]
pub struct Identified {
    pub developers: HashMap<RowId, RowId>,
    pub categories: HashMap<RowId, RowId>,
    pub apps: HashMap<RowId, RowId>,
    /// Apps whose slug is not the dataset's: the slug an existing row keeps, or the unique slug
    /// a new row takes (a layout whose slugs the owner keeps).
    pub app_slugs: HashMap<RowId, String>,
    /// Where the database and the dataset disagree, and how it was decided.
    pub warnings: Vec<String>,
}

/// Two rows of the input land on one existing row, or one input row on two: the plan is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct IdentifyError(pub String);

/// What a layout's tables are: static, the same for every run (rollback, schema and history
/// need no more). See the module documentation.
#[allow(async_fn_in_trait)]
pub trait Tables {
    fn name(&self) -> LayoutName;

    /// The table of each kind of row.
    fn entity_table(&self, e: Entity) -> &'static Table;

    /// The tables a load writes, in load order.
    fn tables(&self) -> [&'static Table; 5] {
        Entity::ALL.map(|e| self.entity_table(e))
    }

    /// Tables of the layout that a load does not write (verify counts them).
    fn other_tables(&self) -> &'static [&'static str];

    /// The foreign keys between the layout's tables.
    fn relations(&self) -> &'static [Relation];

    /// The layout's schema migrations; empty for a layout qa-load does not own.
    fn migrations(&self) -> &'static [SchemaMigration];

    /// The version of the layout's tables this build writes (0 for a layout it does not own):
    /// what a run records, and what a journal replays onto.
    fn version(&self) -> i32 {
        self.migrations().last().map_or(0, |m| m.version)
    }

    /// The components whose migrations a command on this layout keeps up to date: the
    /// bookkeeping, and the layout's own tables when qa-load owns them.
    fn components(&self) -> Vec<Component> {
        let mut out = vec![BOOKKEEPING];
        if !self.migrations().is_empty() {
            out.push(Component {
                name: self.name().as_str(),
                migrations: self.migrations(),
            });
        }
        out
    }

    /// The tables hold rows no input has (another program's): they are left alone by loads and
    /// not compared by verify.
    fn keeps_other_rows(&self) -> bool {
        false
    }

    /// The load's isolation: REPEATABLE READ (one snapshot for the plan and the writes), or
    /// READ COMMITTED for tables another program keeps writing meanwhile.
    fn repeatable_read(&self) -> bool {
        true
    }

    /// What `schema status` says of the layout's tables, beside the versions.
    fn status_note(&self) -> Option<&'static str> {
        None
    }

    /// Refuses (a [`crate::error::Refusal`]) a database this layout must not write. By default:
    /// one where this layout's tables are to be created (qa-load's history has none of its
    /// versions) but tables of those names exist already: another program's, such as the
    /// directory backend's Django tables, which qa-load must never write over.
    async fn check_database<C: GenericClient + Sync>(&self, c: &C, status: &Status) -> Result<()> {
        if self.migrations().is_empty() || status.current(self.name().as_str()) > 0 {
            return Ok(());
        }
        let mut names: Vec<&str> = self.tables().iter().map(|t| t.name).collect();
        names.extend(self.other_tables());
        let row = c
            .query_one(
                "SELECT coalesce(array_agg(n ORDER BY n) FILTER (WHERE to_regclass(n) IS NOT NULL), '{}'), \
                        to_regclass('django_migrations') IS NOT NULL FROM unnest($1::text[]) AS n",
                &[&names],
            )
            .await?;
        let tables: Vec<String> = row.get(0);
        if tables.is_empty() {
            return Ok(());
        }
        Err(crate::error::Refusal::TablesNotOurs {
            tables,
            django: row.get(1),
        }
        .into())
    }
}

/// The tables a load writes, and how the dataset's rows are read, identified and written in
/// them, for one run. See the module documentation.
#[allow(async_fn_in_trait)]
pub trait Layout:
    Tables
    + TableOf<Developer>
    + TableOf<Category>
    + TableOf<App>
    + TableOf<AppCategory>
    + TableOf<Screenshot>
{
    /// The rows of the developers', categories' and apps' tables that are none of `ids` (the
    /// plan's rows): what a layout that keeps other rows leaves as they are, for the plan and
    /// the summary to list.
    async fn other_rows<C: GenericClient + Sync>(
        &self,
        _c: &C,
        _ids: [&[RowId]; 3],
    ) -> Result<Vec<String>> {
        Ok(Vec::new())
    }

    /// Keys for `n` new rows of `e`'s table, when the database assigns them (None: the plan's
    /// own keys are the rows' keys).
    async fn new_keys<C: GenericClient + Sync>(
        &self,
        _c: &C,
        _e: Entity,
        _n: usize,
    ) -> Result<Option<Vec<RowId>>> {
        Ok(None)
    }

    /// Identifies the dataset's rows among `existing` (what [`Layout::read_scope`] read).
    fn identify(
        &self,
        ds: &Dataset,
        variants: &[DeveloperVariants],
        existing: &Rows,
    ) -> Result<Identified, IdentifyError>;

    /// Reads the rows a scope names, and the links and screenshots of its apps.
    async fn read_scope<C: GenericClient + Sync>(&self, c: &C, scope: &Scope) -> Result<Rows>;

    /// Reads every row of the five tables, in a stable order.
    async fn read_all<C: GenericClient + Sync>(&self, c: &C) -> Result<Rows>;
}

/// The rows of `T`'s table that `rest` (a WHERE and ORDER BY clause) selects, read back as
/// `layout` reads them: what each layout's [`Layout::read_scope`] and [`Layout::read_all`] use.
pub async fn read_rows<T, L: TableOf<T>, C: GenericClient + Sync>(
    layout: &L,
    c: &C,
    rest: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Vec<T>> {
    use anyhow::Context;
    let table = layout.table();
    let sql = format!("SELECT {} FROM {} {rest}", table.select_list(), table.name);
    c.query(&sql, params)
        .await
        .with_context(|| format!("reading {}", table.name))?
        .iter()
        .map(|r| layout.read_row(r))
        .collect()
}

/// The rows of `T`'s table that `rest` selects (its alias is `t`; a locking clause must say
/// `OF t`), each with what the ownership record says of it ([`RowState`]): what each layout's
/// [`Layout::read_scope`] uses. The bookkeeping must be at version 3 or later.
pub async fn read_with_state<T, L: TableOf<T> + Tables, C: GenericClient + Sync>(
    layout: &L,
    c: &C,
    rest: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Read<T>> {
    use anyhow::Context;
    let table = TableOf::<T>::table(layout);
    // The row's journal hash, computed once and only for a row the record has: it tells a row
    // exactly as the record's run left it (the fast path; the plan compares the others column
    // by column), and adopts a row an earlier release journalled without after-values.
    let sql = format!(
        "SELECT {cols}, {state} AS qa_state, \
                coalesce(o.after, CASE WHEN o.after_hash = x.h THEN {record} END) AS qa_written, \
                coalesce(o.after_hash = x.h, false) AS qa_as_written, \
                o.kept AS qa_kept, o.run_id AS qa_run \
         FROM {t} t LEFT JOIN {owned} o ON o.layout = '{layout}' AND o.table_name = '{t}' AND o.pk = {key} \
         LEFT JOIN LATERAL (SELECT {hash} AS h WHERE o.pk IS NOT NULL) x ON true \
         {rest}",
        cols = table.select_list(),
        state = table.state_hash("t"),
        hash = table.journal_hash("t"),
        record = table.journal_record("t"),
        t = table.name,
        owned = crate::bookkeeping::OWNED,
        layout = layout.name().as_str(),
        key = table.key_json("t"),
    );
    let found = c
        .query(&sql, params)
        .await
        .with_context(|| format!("reading {} and its ownership record", table.name))?;
    let mut rows = Vec::with_capacity(found.len());
    let mut states = Vec::with_capacity(found.len());
    for r in &found {
        rows.push(layout.read_row(r)?);
        let object = |v: Option<serde_json::Value>| match v {
            Some(serde_json::Value::Object(m)) => Some(m),
            _ => None,
        };
        states.push(RowState {
            hash: r.try_get("qa_state")?,
            written: object(r.try_get("qa_written")?),
            as_written: r.try_get("qa_as_written")?,
            kept: object(r.try_get("qa_kept")?).unwrap_or_default(),
            run: r.try_get("qa_run")?,
        });
    }
    Ok((rows, states))
}

/// Rows of one table read with their states ([`read_with_state`]).
pub type Read<T> = (Vec<T>, Vec<RowState>);

/// The [`Rows`] a layout's [`Layout::read_scope`] read, table by table with their states, and
/// the links and screenshots of those apps that qa-load wrote and someone removed since.
pub async fn scope_rows<L: Layout, C: GenericClient + Sync>(
    layout: &L,
    c: &C,
    (developers, developers_states): Read<Developer>,
    (categories, categories_states): Read<Category>,
    (apps, apps_states): Read<App>,
    (app_categories, app_categories_states): Read<AppCategory>,
    (screenshots, screenshots_states): Read<Screenshot>,
) -> Result<Rows> {
    let app_ids: Vec<RowId> = apps.iter().map(|a| a.id).collect();
    let removed_links = read_removed(layout, c, &app_ids).await?;
    let removed_screenshots = read_removed(layout, c, &app_ids).await?;
    Ok(Rows {
        developers,
        categories,
        apps,
        app_categories,
        screenshots,
        states: States {
            developers: developers_states,
            categories: categories_states,
            apps: apps_states,
            app_categories: app_categories_states,
            screenshots: screenshots_states,
        },
        removed_links,
        removed_screenshots,
    })
}

/// The rows of `T`'s table (links or screenshots) of the apps `app_ids` that the ownership
/// record says qa-load wrote, and that are no longer in the table, as qa-load wrote them.
pub async fn read_removed<T, L: TableOf<T> + Tables, C: GenericClient + Sync>(
    layout: &L,
    c: &C,
    app_ids: &[RowId],
) -> Result<Vec<Removed<T>>> {
    use anyhow::Context;
    let table = TableOf::<T>::table(layout);
    let ids: Vec<String> = app_ids.iter().map(|i| i.to_string()).collect();
    let sql = format!(
        "SELECT {cols}, qa_pk, qa_after, qa_kept, qa_run FROM ( \
           SELECT (jsonb_populate_record(NULL::{t}, o.pk || o.after)).*, o.pk AS qa_pk, o.after AS qa_after, \
                  o.kept AS qa_kept, o.run_id AS qa_run FROM {owned} o \
           WHERE o.layout = '{layout}' AND o.table_name = '{t}' AND o.after IS NOT NULL \
             AND (o.pk || o.after)->>'app_id' = ANY($1) \
             AND NOT EXISTS (SELECT 1 FROM {t} t WHERE {on})) t",
        cols = table.select_list(),
        t = table.name,
        owned = crate::bookkeeping::OWNED,
        layout = layout.name().as_str(),
        on = table.key_from_journal("t", "o"),
    );
    c.query(&sql, &[&ids])
        .await
        .with_context(|| format!("reading the ownership record of removed {}", table.name))?
        .iter()
        .map(|r| {
            Ok(Removed {
                row: layout.read_row(r)?,
                pk: r.try_get("qa_pk")?,
                after: r.try_get("qa_after")?,
                kept: match r.try_get::<_, Option<serde_json::Value>>("qa_kept")? {
                    Some(serde_json::Value::Object(m)) => m,
                    _ => serde_json::Map::new(),
                },
                run: r.try_get("qa_run")?,
            })
        })
        .collect()
}

/// Declares how a layout stores a row type whose fields are named as the table's columns: the
/// [`Table`] and the whole [`TableOf`] implementation from one list of fields, so that each
/// column is named once. Columns marked `check` are read back by the post-load check.
#[macro_export]
macro_rules! table_of {
    (
        $layout:ty, $T:ident, $static:ident = $name:literal,
        key [$($key:literal),+] : $key_type:ident,
        timestamps: $ts:literal, belongs_to: $belongs:expr, label: $label:literal, ext: $ext:expr,
        { $($field:ident $(: $($flag:ident)+)?),+ $(,)? }
    ) => {
        static $static: std::sync::LazyLock<$crate::layout::Table> = std::sync::LazyLock::new(|| {
            fn column<C: $crate::layout::Cell>(
                _field: fn(&$T) -> &C,
                name: &'static str,
                check: bool,
                url: bool,
            ) -> $crate::layout::Column {
                let kind = if url { qad_core::equal::Kind::Url } else { C::KIND };
                $crate::layout::Column { name, array: C::ARRAY, cast: C::CAST, read: C::READ, check, kind }
            }
            $crate::layout::Table {
                name: $name,
                key: &[$($key),+],
                key_type: $crate::layout::KeyType::$key_type,
                columns: vec![$(column(
                    |r: &$T| &r.$field,
                    stringify!($field),
                    $crate::table_of!(@has check $($($flag)+)?),
                    $crate::table_of!(@has url $($($flag)+)?),
                )),+],
                timestamps: $ts,
                belongs_to: $belongs,
                label: $label,
                ext: $ext,
            }
        });

        impl $crate::layout::TableOf<$T> for $layout {
            fn table(&self) -> &'static $crate::layout::Table {
                &$static
            }
            fn values(&self, rows: &[&$T]) -> Vec<$crate::layout::Param> {
                vec![$(<_ as $crate::layout::Cell>::param(rows.iter().map(|r| &r.$field))),+]
            }
            #[allow(clippy::vec_init_then_push)]
            fn checked_values(&self, row: &$T) -> Vec<$crate::layout::CellValue> {
                let mut out = Vec::new();
                $(
                    if $crate::table_of!(@has check $($($flag)+)?) {
                        out.push($crate::layout::Cell::value(&row.$field));
                    }
                )+
                out
            }
            #[allow(clippy::vec_init_then_push, unused_assignments)]
            fn read_checked(&self, row: &tokio_postgres::Row) -> anyhow::Result<Vec<$crate::layout::CellValue>> {
                let mut out = Vec::new();
                let mut i = 0usize;
                $(
                    if $crate::table_of!(@has check $($($flag)+)?) {
                        out.push($crate::layout::cell::read_value_as(row, i, |r: &$T| &r.$field)?);
                        i += 1;
                    }
                )+
                Ok(out)
            }
            fn key_values(&self, rows: &[&$T]) -> Vec<$crate::layout::Param> {
                const KEY: &[&str] = &[$($key),+];
                let mut out = Vec::new();
                $(
                    if KEY.contains(&stringify!($field)) {
                        out.push(<_ as $crate::layout::Cell>::param(rows.iter().map(|r| &r.$field)));
                    }
                )+
                out
            }
            fn read_row(&self, row: &tokio_postgres::Row) -> anyhow::Result<$T> {
                Ok($T { $($field: $crate::layout::Cell::read(row, stringify!($field))?),+ })
            }
            fn differing(&self, a: &$T, b: &$T) -> Vec<&'static str> {
                let columns = &$static.columns;
                let mut v = Vec::new();
                let mut i = 0usize;
                $(
                    if !$crate::layout::Cell::same(&a.$field, &b.$field, columns[i].kind) {
                        v.push(stringify!($field));
                    }
                    i += 1;
                )+
                let _ = i;
                v
            }
            fn stored(&self, row: &$T) -> serde_json::Map<String, serde_json::Value> {
                match serde_json::to_value(row) {
                    Ok(serde_json::Value::Object(m)) => m,
                    _ => serde_json::Map::new(),
                }
            }
        }
    };
    // Whether a field's flags (`check`, `url`) include the first word.
    (@has check check $($rest:ident)*) => { true };
    (@has url url $($rest:ident)*) => { true };
    (@has $want:ident $other:ident $($rest:ident)*) => { $crate::table_of!(@has $want $($rest)*) };
    (@has $want:ident) => { false };
}
