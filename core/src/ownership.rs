//! Whose a field is: the rule that keeps a load from undoing anyone else's work. qa-load keeps a
//! record of the value it last wrote to each field (its ownership record, like the last-applied
//! configuration `kubectl apply` keeps); a field is the file's to change only while the database
//! still holds that value. Any other difference is a conflict, named before anything is
//! written, for a person to decide (Kubernetes server-side apply: a field another manager set is
//! never silently taken).

use serde::{Deserialize, Serialize};

/// What a load does with one field of a row that exists, given the value qa-load last wrote
/// there (`last`, None when it never wrote it), the database's value, the file's value, and
/// the file's value a person kept the database's value against (`kept`), if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FieldOutcome {
    /// The database already holds the file's value: nothing to write; the value is adopted
    /// into the record.
    Unchanged,
    /// The database still holds what qa-load last wrote: the file's value is applied.
    Apply,
    /// A person chose to keep the database's value, and the file still has the value they
    /// decided against: left as it is, not a write.
    Kept,
    /// Someone else changed the field since qa-load last wrote it, or qa-load never wrote it
    /// and the database holds another value (an empty one included), or the file changed a
    /// field whose database value a person kept.
    Conflict,
}

/// Classifies one field (see [`FieldOutcome`]); `same` is the column's comparison
/// ([`crate::equal`]).
pub fn classify<V: ?Sized>(
    same: impl Fn(&V, &V) -> bool,
    last: Option<&V>,
    db: &V,
    file: &V,
    kept: Option<&V>,
) -> FieldOutcome {
    if same(db, file) {
        return FieldOutcome::Unchanged;
    }
    if let Some(k) = kept {
        return if same(k, file) {
            FieldOutcome::Kept
        } else {
            FieldOutcome::Conflict
        };
    }
    match last {
        Some(l) if same(l, db) => FieldOutcome::Apply,
        _ => FieldOutcome::Conflict,
    }
}

/// What a load does with a child row (an app's category link or screenshot) that is in the
/// file but not in the database: insert it, unless qa-load wrote it once and someone removed
/// it since (`recorded`): putting it back is a conflict.
pub fn classify_missing(recorded: bool) -> RowOutcome {
    if recorded {
        RowOutcome::Conflict
    } else {
        RowOutcome::Write
    }
}

/// What a load does with a child row that is in the database but no longer in the file: delete
/// it only when qa-load wrote it and nobody changed it since (`written_unchanged`); otherwise
/// someone added it (or qa-load never wrote it) and removing it is a conflict.
pub fn classify_extra(written_unchanged: bool) -> RowOutcome {
    if written_unchanged {
        RowOutcome::Write
    } else {
        RowOutcome::Conflict
    }
}

/// The outcome of [`classify_missing`] and [`classify_extra`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowOutcome {
    /// The file's will is done (the row inserted, or deleted).
    Write,
    /// A conflict, for a person to decide.
    Conflict,
}

/// How a conflict is settled: `--on-conflict`, or a decision for the row or field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum Resolution {
    /// Not settled: the load is refused (exit 10) and nothing is written.
    Refuse,
    /// The database's value stays; the file's is recorded as the one decided against.
    KeepDatabase,
    /// The file's value is written.
    UseFile,
}

impl Resolution {
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Refuse => "refuse",
            Resolution::KeepDatabase => "keep-database",
            Resolution::UseFile => "use-file",
        }
    }
}

/// Where two texts start to differ: the index of the first differing character (None when
/// equal).
pub fn first_difference(a: &str, b: &str) -> Option<usize> {
    let mut ai = a.chars();
    let mut bi = b.chars();
    let mut i = 0;
    loop {
        match (ai.next(), bi.next()) {
            (None, None) => return None,
            (Some(x), Some(y)) if x == y => i += 1,
            _ => return Some(i),
        }
    }
}

/// `text` shortened to about `width` characters around character `at` (where it starts to
/// differ from the value it is shown beside), with `…` where text was left out.
pub fn shorten_at(text: &str, at: usize, width: usize) -> String {
    let n = text.chars().count();
    if n <= width {
        return text.to_string();
    }
    let before = width / 4;
    let start = at.saturating_sub(before).min(n.saturating_sub(width));
    let end = (start + width).min(n);
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.extend(text.chars().skip(start).take(end - start));
    if end < n {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::equal::same_url;
    use FieldOutcome::*;

    fn same(a: &Option<&str>, b: &Option<&str>) -> bool {
        same_url(*a, *b)
    }

    /// Every combination of the value qa-load last wrote, the database's and the file's:
    /// absent (never written), NULL, empty, a value, the same value spelled otherwise, another.
    #[test]
    fn classification_table() {
        const V: Option<&str> = Some("https://m.example/a b.png");
        const V_SPELLED: Option<&str> = Some("https://m.example/a%20b.png");
        const W: Option<&str> = Some("https://m.example/w.png");
        const NULL: Option<&str> = None;
        const EMPTY: Option<&str> = Some("");
        // (last, db, file, expected)
        type Case<'a> = (
            Option<Option<&'a str>>,
            Option<&'a str>,
            Option<&'a str>,
            FieldOutcome,
        );
        let cases: &[Case] = &[
            // The database already has the file's value, however spelled: unchanged.
            (None, V, V, Unchanged),
            (None, V, V_SPELLED, Unchanged),
            (None, NULL, EMPTY, Unchanged),
            (None, EMPTY, NULL, Unchanged),
            (Some(W), V, V_SPELLED, Unchanged),
            (Some(NULL), EMPTY, NULL, Unchanged),
            // qa-load never wrote the field and the database differs: conflict, an empty
            // database value included.
            (None, V, W, Conflict),
            (None, NULL, W, Conflict),
            (None, EMPTY, W, Conflict),
            (None, W, NULL, Conflict),
            // The database still holds what qa-load wrote (however spelled): the file applies.
            (Some(V), V, W, Apply),
            (Some(V_SPELLED), V, W, Apply),
            (Some(NULL), NULL, W, Apply),
            (Some(NULL), EMPTY, W, Apply),
            (Some(EMPTY), NULL, W, Apply),
            (Some(W), W, NULL, Apply),
            // Someone changed it since: conflict, an emptied field included.
            (Some(V), W, V_SPELLED, Conflict),
            (Some(V), W, NULL, Conflict),
            (Some(W), NULL, V, Conflict),
            (Some(W), EMPTY, V, Conflict),
            (Some(NULL), V, W, Conflict),
        ];
        for (i, (last, db, file, want)) in cases.iter().enumerate() {
            let got = classify(same, last.as_ref(), db, file, None);
            assert_eq!(
                got, *want,
                "case {i}: last {last:?}, db {db:?}, file {file:?}"
            );
        }
    }

    #[test]
    fn a_kept_field_stays_kept_until_the_file_changes() {
        const DB: Option<&str> = Some("https://m.example/fixed.svg");
        const FILE: Option<&str> = Some("https://m.example/broken.png");
        const NEWER: Option<&str> = Some("https://m.example/new.png");
        // Kept against the file's value: left, whatever qa-load last wrote.
        assert_eq!(classify(same, Some(&DB), &DB, &FILE, Some(&FILE)), Kept);
        assert_eq!(classify(same, None, &DB, &FILE, Some(&FILE)), Kept);
        // The same value spelled otherwise is still the value decided against.
        let spelled = Some("https://m.example/broken%2Epng");
        assert_eq!(classify(same, None, &DB, &spelled, Some(&FILE)), Kept);
        // The file's value changed: a conflict again.
        assert_eq!(
            classify(same, Some(&DB), &DB, &NEWER, Some(&FILE)),
            Conflict
        );
        // The file now agrees with the database: unchanged.
        assert_eq!(classify(same, Some(&DB), &DB, &DB, Some(&FILE)), Unchanged);
    }

    #[test]
    fn children_added_or_removed_by_someone_else_are_conflicts() {
        assert_eq!(classify_missing(false), RowOutcome::Write);
        assert_eq!(classify_missing(true), RowOutcome::Conflict);
        assert_eq!(classify_extra(true), RowOutcome::Write);
        assert_eq!(classify_extra(false), RowOutcome::Conflict);
    }

    #[test]
    fn long_texts_are_shortened_around_the_first_difference() {
        let a = format!("{}X{}", "a".repeat(200), "b".repeat(200));
        let b = format!("{}Y{}", "a".repeat(200), "b".repeat(200));
        let at = first_difference(&a, &b).unwrap();
        assert_eq!(at, 200);
        let s = shorten_at(&a, at, 40);
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains('X'));
        assert!(s.chars().count() <= 42);
        assert_eq!(shorten_at("short", 2, 40), "short");
        assert_eq!(first_difference("same", "same"), None);
        assert_eq!(first_difference("ab", "abc"), Some(2));
        // Arabic is cut at characters, not bytes.
        let ar = "بسم الله الرحمن الرحيم ".repeat(10);
        assert!(shorten_at(&ar, 100, 30).chars().count() <= 32);
    }
}
