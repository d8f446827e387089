//! Field ownership in the plan: each existing row's differing fields classified against the
//! ownership record ([`qad_core::ownership`]), the conflicts named with the three values, and
//! settled by `--on-conflict` or a person's decisions ([`Decisions`], a file in one format the
//! conflict listing is turned into).

use std::cell::RefCell;
use std::path::Path;

use qad_core::equal::same_value;
use qad_core::ownership::{classify, first_difference, FieldOutcome, Resolution};
use qad_core::RowId;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::layout::{RowState, TableOf};

/// `--on-conflict`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnConflict {
    /// Refuse the load (exit 10); nothing is written.
    Refuse,
    /// Keep the database's value; the file's is recorded as decided against.
    KeepDatabase,
    /// Write the file's value.
    UseFile,
}

impl From<OnConflict> for Resolution {
    fn from(c: OnConflict) -> Resolution {
        match c {
            OnConflict::Refuse => Resolution::Refuse,
            OnConflict::KeepDatabase => Resolution::KeepDatabase,
            OnConflict::UseFile => Resolution::UseFile,
        }
    }
}

/// The key a kept map uses for a whole row kept as the database has it (a link or screenshot
/// someone added, which the file does not have).
pub const WHOLE_ROW: &str = "*";

/// One conflict: a value the file would overwrite that qa-load did not write, or did not write
/// last.
#[derive(Debug, Clone, Serialize)]
pub struct Conflict {
    pub table: &'static str,
    /// The row's natural key (a developer's or category's key, an app's slug; a link's or
    /// screenshot's app and category, or language and position).
    pub key: String,
    /// The row's real id, as the database has it (None for a row the database no longer has).
    pub id: Option<RowId>,
    /// The column; None for a whole row someone added or removed.
    pub column: Option<&'static str>,
    /// The database's value (null: no such row).
    pub database: Value,
    /// The file's value (null: the file has no such row).
    pub file: Value,
    /// The value qa-load last wrote there (null when it never wrote it).
    pub last_written: Value,
    /// The run that last wrote it.
    pub last_run: Option<String>,
    /// Why it is a conflict.
    pub reason: String,
    /// Where the database's and the file's texts start to differ (characters), when both are
    /// texts.
    pub differs_at: Option<usize>,
    /// How it was settled (refuse: not settled).
    pub resolution: Resolution,
    /// Settled by a decision of the decisions file (else by --on-conflict).
    pub decided: bool,
}

impl Conflict {
    pub fn settled(&self) -> bool {
        self.resolution != Resolution::Refuse
    }
}

/// One decision of a decisions file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub table: String,
    /// The row's real id (as the conflict listing names it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<RowId>,
    /// The row's natural key (where no id is given, or as a check beside it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The column; absent: every conflict of the row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// `database` (keep the database's value) or `file` (write the file's).
    #[serde(rename = "use")]
    pub use_: Use,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Use {
    Database,
    File,
}

/// A decisions file: `{"qa_load_decisions": 1, "decisions": [...]}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionsFile {
    pub qa_load_decisions: u32,
    pub decisions: Vec<Decision>,
}

pub const DECISIONS_VERSION: u32 = 1;

/// The decisions a run applies: `--on-conflict` for every conflict, overridden per row or field.
#[derive(Debug, Default)]
pub struct Decisions {
    pub default: Option<OnConflict>,
    pub entries: Vec<Decision>,
    used: RefCell<Vec<bool>>,
}

impl Decisions {
    pub fn new(default: OnConflict, entries: Vec<Decision>) -> Decisions {
        let used = RefCell::new(vec![false; entries.len()]);
        Decisions {
            default: Some(default),
            entries,
            used,
        }
    }

    /// Reads a decisions file; a bad one is refused naming the entry and the field.
    pub fn read(path: &Path) -> anyhow::Result<Vec<Decision>> {
        use anyhow::Context;
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("could not read the decisions file {}", path.display()))?;
        let file: DecisionsFile = serde_json::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "{} is not a decisions file: {e} (expected {{\"qa_load_decisions\": {DECISIONS_VERSION}, \"decisions\": [{{\"table\", \"id\" or \"key\", \"column\" (optional), \"use\": \"database\" or \"file\"}}]}})",
                path.display()
            )
        })?;
        if file.qa_load_decisions != DECISIONS_VERSION {
            anyhow::bail!(
                "{} is a decisions file of version {}; this qa-load reads version {DECISIONS_VERSION}",
                path.display(),
                file.qa_load_decisions
            );
        }
        for (i, d) in file.decisions.iter().enumerate() {
            if d.id.is_none() && d.key.is_none() {
                anyhow::bail!(
                    "{}: decision {} (table {:?}) names no row: give \"id\" or \"key\"",
                    path.display(),
                    i + 1,
                    d.table
                );
            }
        }
        Ok(file.decisions)
    }

    /// How a conflict of `table`'s row (`id`, `key`) in `column` is settled: the most specific
    /// decision that names it (a field's over its row's), else `--on-conflict`.
    pub fn resolve(
        &self,
        table: &str,
        id: Option<RowId>,
        key: &str,
        column: Option<&str>,
    ) -> (Resolution, bool) {
        let mut best: Option<(usize, bool)> = None;
        for (i, d) in self.entries.iter().enumerate() {
            let row = d.table == table
                && d.id.map_or(true, |want| Some(want) == id)
                && d.key.as_deref().map_or(true, |want| want == key);
            if !row {
                continue;
            }
            match (&d.column, column) {
                (Some(c), Some(col)) if c == col => best = Some((i, true)),
                (None, _) if best.map_or(true, |(_, field)| !field) => best = Some((i, false)),
                _ => {}
            }
        }
        match best {
            Some((i, _)) => {
                if let Some(u) = self.used.borrow_mut().get_mut(i) {
                    *u = true;
                }
                let r = match self.entries[i].use_ {
                    Use::Database => Resolution::KeepDatabase,
                    Use::File => Resolution::UseFile,
                };
                (r, true)
            }
            None => (
                self.default.map_or(Resolution::Refuse, Resolution::from),
                false,
            ),
        }
    }

    /// The decisions that named no conflict of this run.
    pub fn unused(&self) -> Vec<&Decision> {
        let used = self.used.borrow();
        self.entries
            .iter()
            .zip(used.iter())
            .filter(|(_, u)| !**u)
            .map(|(d, _)| d)
            .collect()
    }
}

/// The decisions file a conflict listing turns into: each conflict decided "database" (the
/// value someone else wrote stays), for a person to review.
pub fn decisions_file(conflicts: &[Conflict]) -> DecisionsFile {
    DecisionsFile {
        qa_load_decisions: DECISIONS_VERSION,
        decisions: conflicts
            .iter()
            .map(|c| Decision {
                table: c.table.to_string(),
                id: c.id,
                key: Some(c.key.clone()),
                column: c.column.map(str::to_string),
                use_: Use::Database,
            })
            .collect(),
    }
}

/// What the classification of one existing row decides.
#[derive(Debug, Default)]
pub struct Classified {
    /// The columns whose file values are written.
    pub apply: Vec<&'static str>,
    /// The record's kept map after the run.
    pub kept: Map<String, Value>,
    /// The ownership record needs a new entry for the row (it adopts values, or its kept map
    /// changes), even when nothing is written.
    pub record: bool,
}

/// The row `want` (the file's) against the existing row `have` and its record: see
/// [`qad_core::ownership::classify`]. Conflicts are added to `conflicts`, settled by `decide`.
#[allow(clippy::too_many_arguments)]
pub fn classify_row<T, L: TableOf<T>>(
    layout: &L,
    key: &str,
    id: Option<RowId>,
    have: &T,
    want: &T,
    state: &RowState,
    decide: &Decisions,
    conflicts: &mut Vec<Conflict>,
) -> Classified {
    let table = layout.table();
    let diff = layout.differing(have, want);
    let have_json = || layout.stored(have);
    if diff.is_empty() {
        // Everything is equal: the record takes the row when it lacks it, holds other values,
        // or keeps decisions that are moot now.
        let record = !state.kept.is_empty()
            || match &state.written {
                None => true,
                Some(w) => !state.as_written && !as_written(layout, w, &have_json()),
            };
        return Classified {
            apply: Vec::new(),
            kept: Map::new(),
            record,
        };
    }
    let have_json = have_json();
    let want_json = layout.stored(want);
    let null = Value::Null;
    let mut out = Classified::default();
    for column in diff {
        let kind = table.kind_of(column);
        let same = |a: &Value, b: &Value| same_value(kind, a, b);
        let d = have_json.get(column).unwrap_or(&null);
        let f = want_json.get(column).unwrap_or(&null);
        let last = state.written.as_ref().and_then(|w| w.get(column));
        let kept = state.kept.get(column);
        match classify(same, last, d, f, kept) {
            FieldOutcome::Unchanged => {}
            FieldOutcome::Apply => out.apply.push(column),
            FieldOutcome::Kept => {
                out.kept.insert(column.to_string(), f.clone());
            }
            FieldOutcome::Conflict => {
                let reason = match (kept, last, &state.run) {
                    (Some(_), _, run) => format!(
                        "a person kept the database's value{}, and the file's value has changed since",
                        run.as_deref().map(|r| format!(" in run {r}")).unwrap_or_default()
                    ),
                    (None, Some(_), Some(run)) => {
                        format!("changed in the database since run {run} wrote it")
                    }
                    _ => "qa-load never wrote it, and the database holds another value".into(),
                };
                let (resolution, decided) = decide.resolve(table.name, id, key, Some(column));
                match resolution {
                    Resolution::UseFile => out.apply.push(column),
                    Resolution::KeepDatabase => {
                        out.kept.insert(column.to_string(), f.clone());
                    }
                    Resolution::Refuse => {}
                }
                conflicts.push(Conflict {
                    table: table.name,
                    key: key.to_string(),
                    id,
                    column: Some(column),
                    database: d.clone(),
                    file: f.clone(),
                    last_written: last.cloned().unwrap_or(Value::Null),
                    last_run: state.run.clone(),
                    reason,
                    differs_at: text_difference(d, f),
                    resolution,
                    decided,
                });
            }
        }
    }
    out.record = !out.apply.is_empty() || out.kept != state.kept || state.written.is_none();
    out
}

/// Whether the record's values (`written`) are the row's (`have`), column by column.
pub fn as_written<T, L: TableOf<T>>(
    layout: &L,
    written: &Map<String, Value>,
    have: &Map<String, Value>,
) -> bool {
    let null = Value::Null;
    layout.table().columns.iter().all(|c| {
        same_value(
            c.kind,
            written.get(c.name).unwrap_or(&null),
            have.get(c.name).unwrap_or(&null),
        )
    })
}

/// Where two texts start to differ.
pub fn text_difference(a: &Value, b: &Value) -> Option<usize> {
    match (a, b) {
        (Value::String(a), Value::String(b)) => first_difference(a, b),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(
        table: &str,
        id: Option<i64>,
        key: Option<&str>,
        column: Option<&str>,
        use_: Use,
    ) -> Decision {
        Decision {
            table: table.into(),
            id: id.map(RowId::from),
            key: key.map(str::to_string),
            column: column.map(str::to_string),
            use_,
        }
    }

    #[test]
    fn a_field_decision_beats_its_rows_and_the_default_applies_to_the_rest() {
        let d = Decisions::new(
            OnConflict::Refuse,
            vec![
                decision("developers", Some(6), None, None, Use::File),
                decision("developers", Some(6), None, Some("logo_url"), Use::Database),
                decision("apps", None, Some("1-wahy"), None, Use::Database),
                decision("apps", Some(99), None, None, Use::File),
            ],
        );
        let six = Some(RowId::from(6_i64));
        assert_eq!(
            d.resolve("developers", six, "qurancom", Some("logo_url")),
            (Resolution::KeepDatabase, true)
        );
        assert_eq!(
            d.resolve("developers", six, "qurancom", Some("website")),
            (Resolution::UseFile, true)
        );
        // By key when the decision names no id.
        assert_eq!(
            d.resolve("apps", Some(RowId::from(1_i64)), "1-wahy", Some("name_en")),
            (Resolution::KeepDatabase, true)
        );
        // Another row, another table: --on-conflict.
        assert_eq!(
            d.resolve(
                "developers",
                Some(RowId::from(7_i64)),
                "x",
                Some("logo_url")
            ),
            (Resolution::Refuse, false)
        );
        assert_eq!(
            d.resolve("categories", six, "qurancom", None),
            (Resolution::Refuse, false)
        );
        // The decision for app 99 named nothing this run.
        let unused: Vec<_> = d.unused().iter().map(|u| u.id).collect();
        assert_eq!(unused, vec![Some(RowId::from(99_i64))]);
    }

    #[test]
    fn decisions_files_are_checked_and_the_listing_turns_into_one() {
        let dir = std::env::temp_dir().join(format!("qa-load-decisions-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let ok = write(
            "ok.json",
            r#"{"qa_load_decisions": 1, "decisions": [{"table": "developers", "id": 6, "column": "logo_url", "use": "database"}, {"table": "apps", "key": "1-wahy", "use": "file"}]}"#,
        );
        let read = Decisions::read(&ok).unwrap();
        assert_eq!(read.len(), 2);
        assert_eq!(read[1].use_, Use::File);
        for (name, text, says) in [
            ("bad.json", "{", "is not a decisions file"),
            (
                "version.json",
                r#"{"qa_load_decisions": 2, "decisions": []}"#,
                "version 2",
            ),
            (
                "norow.json",
                r#"{"qa_load_decisions": 1, "decisions": [{"table": "apps", "use": "file"}]}"#,
                "decision 1 (table \"apps\") names no row",
            ),
            (
                "unknown.json",
                r#"{"qa_load_decisions": 1, "decisions": [{"table": "apps", "id": 1, "use": "file", "why": "x"}]}"#,
                "unknown field `why`",
            ),
            (
                "use.json",
                r#"{"qa_load_decisions": 1, "decisions": [{"table": "apps", "id": 1, "use": "both"}]}"#,
                "unknown variant `both`",
            ),
        ] {
            let e = Decisions::read(&write(name, text)).unwrap_err().to_string();
            assert!(e.contains(says), "{name}: {e}");
        }
        let conflict = Conflict {
            table: "developers",
            key: "qurancom".into(),
            id: Some(RowId::from(6_i64)),
            column: Some("logo_url"),
            database: Value::String("a".into()),
            file: Value::String("b".into()),
            last_written: Value::Null,
            last_run: None,
            reason: String::new(),
            differs_at: Some(0),
            resolution: Resolution::Refuse,
            decided: false,
        };
        let file = decisions_file(&[conflict]);
        let text = serde_json::to_string(&file).unwrap();
        let back = write("listing.json", &text);
        let read = Decisions::read(&back).unwrap();
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].id, Some(RowId::from(6_i64)));
        assert_eq!(read[0].column.as_deref(), Some("logo_url"));
        assert_eq!(read[0].use_, Use::Database);
        std::fs::remove_dir_all(&dir).ok();
    }
}
