//! Layout conformance: every behaviour of a load written once, generic over the layout
//! ([`LayoutUnderTest`], tests/common/layouts.rs), and run against each layout qa-load writes by
//! [`conformance!`], which emits one `#[test]` per (layout, case): `qa_load::<case>` and
//! `django::<case>`. A third layout is one more line in the `layouts` list at the bottom.
//!
//! Every case starts from a database of its own that holds no catalogue rows: for qa-load's
//! layout an empty database, for the django layout a copy of the backend database migrated by
//! its own `manage.py migrate` (once per test binary), EMPTIED of its seeded catalogue rows
//! (tests/common/django.rs), so that the same case asserts the same figures on both. Both load
//! the same fixtures (tests/fixtures/small.json, small-edited.json; their images are under the
//! media base URL the django layout is given).
//!
//! The fault cases (killed connection, lost COMMIT, SIGKILL, concurrent loads, timeouts) carry
//! the assertions tests/reliability.rs makes for qa-load's own layout, with the stage names of
//! the layout's tables. Faults are placed with the TEST-ONLY `QA_LOAD_FAIL_AT` points of the
//! debug binary (src/fault.rs) and struck from outside; synchronisation is by polling the server.

mod common;

use common::faults::*;
use common::layouts::{changed_rows, Django, LayoutUnderTest, QaLoad, ENTITIES};
use common::{fixtures, readme_figures, Run};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

/// Emits, for each layout `module => value`, a module of one `#[test]` per case, each calling
/// the generic case function with that layout.
macro_rules! conformance {
    (layouts { $($module:ident => $layout:expr),* $(,)? } cases $cases:tt) => {
        $( conformance!(@one $module, $layout, $cases); )*
    };
    (@one $module:ident, $layout:expr, { $($case:ident),* $(,)? }) => {
        mod $module {
            use super::*;
            $(
                #[test]
                fn $case() {
                    super::$case(&$layout)
                }
            )*
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The fixture's figures per entity (tests/fixtures/README.md), in the order of [`ENTITIES`].
fn small_figures() -> [usize; 5] {
    let f = readme_figures(&fixtures().join("README.md"));
    ENTITIES.map(|e| f[e])
}

/// qa-load `args` (already holding the database and layout options).
fn qa(dir: &Path, args: Vec<String>) -> Run {
    run_args(dir, &args, &[])
}

fn load(l: &dyn LayoutUnderTest, dir: &Path, url: &str, input: &Path, extra: &[&str]) -> Run {
    qa(dir, l.load_args(url, input, extra))
}

/// A quiet load without a log file, expected to succeed; its JSON summary.
fn load_ok(l: &dyn LayoutUnderTest, dir: &Path, url: &str, input: &Path) -> Value {
    load(l, dir, url, input, &["--json", "-q", "--no-log-file"])
        .expect(0)
        .json()
}

fn verify(l: &dyn LayoutUnderTest, dir: &Path, url: &str, input: &Path) -> Run {
    qa(
        dir,
        l.args(
            url,
            &[
                "verify",
                "--input",
                input.to_str().unwrap(),
                "--report-md",
                "v.md",
                "--report-json",
                "v.json",
            ],
        ),
    )
}

fn rollback(l: &dyn LayoutUnderTest, dir: &Path, url: &str, extra: &[&str]) -> Run {
    let mut args = vec!["rollback"];
    args.extend_from_slice(extra);
    args.push("--no-log-file");
    qa(dir, l.args(url, &args))
}

/// `qa-load history --json`, newest first.
fn history(l: &dyn LayoutUnderTest, dir: &Path, url: &str) -> Vec<Value> {
    qa(dir, l.args(url, &["history", "--json", "--limit", "100"]))
        .expect(0)
        .json()
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// (inserted, updated, deleted, unchanged, skipped) of `entity` in a summary.
fn counts(summary: &Value, entity: &str) -> [u64; 5] {
    let t = &summary["counts"][entity];
    ["inserted", "updated", "deleted", "unchanged", "skipped"].map(|k| {
        t[k].as_u64()
            .unwrap_or_else(|| panic!("{entity}.{k} in {summary}"))
    })
}

/// small.json with one field of one app changed (app 1's English short description): written
/// into `dir` by the harness.
fn one_field_edited(dir: &Path) -> PathBuf {
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("small.json")).unwrap())
            .unwrap();
    let app = v["applicationsData"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|a| a["id"] == "1_Noor_Reader")
        .unwrap();
    app["Short_Description_En"] = "Noor Reader, edited by the conformance suite".into();
    let path = dir.join("one-field-edited.json");
    std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    path
}

/// Whether qa-load's bookkeeping holds a run of kind `load` (any status).
fn load_runs(url: &str) -> usize {
    if common::scalar(url, "SELECT to_regclass('qa_load.runs') IS NULL") == "t" {
        return 0;
    }
    common::scalar(url, "SELECT count(*) FROM qa_load.runs WHERE kind = 'load'")
        .parse()
        .unwrap()
}

struct Setup {
    tmp: tempfile::TempDir,
    db: common::TestDb,
}

impl Setup {
    fn new(l: &dyn LayoutUnderTest) -> Setup {
        Setup {
            tmp: tempfile::tempdir().unwrap(),
            db: l.fresh_database(),
        }
    }
    fn dir(&self) -> &Path {
        self.tmp.path()
    }
    fn url(&self) -> &str {
        &self.db.url
    }
}

// ---------------------------------------------------------------------------------------------
// 1-6: loads, re-runs, edits, rollback, verify, dry run
// ---------------------------------------------------------------------------------------------

/// Case 1: A first load writes the fixture's figures, records one committed run of this layout, and
/// verifies.
fn a_first_load_writes_the_fixture_figures(l: &dyn LayoutUnderTest) {
    let s = Setup::new(l);
    let (dir, url) = (s.dir(), s.url());
    assert_eq!(l.counts(url), [0; 5], "a fresh database has no rows");
    let figures = small_figures();
    let sum = load(
        l,
        dir,
        url,
        &l.small(),
        &["--json", "-q", "--log-file", "first.log"],
    )
    .expect(0)
    .json();
    assert_eq!(sum["outcome"], "committed", "{sum}");
    assert_eq!(sum["layout"], l.name(), "{sum}");
    for (i, e) in ENTITIES.iter().enumerate() {
        assert_eq!(
            counts(&sum, e),
            [figures[i] as u64, 0, 0, 0, 0],
            "{e} in {sum}"
        );
    }
    assert_eq!(
        sum["rows_written"].as_u64().unwrap() as usize,
        figures.iter().sum::<usize>()
    );
    assert_eq!(l.counts(url), figures, "rows in the tables");
    let run_id = sum["run_id"].as_str().unwrap();
    assert_eq!(
        common::sql(
            url,
            "SELECT id, kind, status, layout, finished_at IS NOT NULL FROM qa_load.runs"
        ),
        vec![vec![
            Some(run_id.to_string()),
            Some("load".into()),
            Some("committed".into()),
            Some(l.name().into()),
            Some("t".into())
        ]]
    );
    let log = std::fs::read_to_string(dir.join("first.log")).unwrap();
    assert!(log.contains(run_id), "the log names the run:\n{log}");
    let text = qa(dir, l.args(url, &["history"])).expect(0).stdout;
    let line = text
        .lines()
        .find(|line| line.starts_with(run_id))
        .unwrap_or_else(|| panic!("history lacks {run_id}:\n{text}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(&words[1..4], ["load", "committed", l.name()], "{line}");
    let v = verify(l, dir, url, &l.small()).expect(0);
    assert!(v.stdout.starts_with("PASS"), "{}", v.stdout);
}

/// Case 2: The same file again writes nothing: summary `unchanged`, 0 rows, the tables byte for
/// byte as they were (timestamps included).
fn a_second_run_of_the_same_file_writes_nothing(l: &dyn LayoutUnderTest) {
    let s = Setup::new(l);
    let (dir, url) = (s.dir(), s.url());
    let first = load_ok(l, dir, url, &l.small());
    let loaded = l.dump(url);
    let again = load_ok(l, dir, url, &l.small());
    assert_eq!(again["outcome"], "unchanged", "{again}");
    assert_eq!(again["rows_written"], 0, "{again}");
    for (i, e) in ENTITIES.iter().enumerate() {
        assert_eq!(
            counts(&again, e),
            [0, 0, 0, small_figures()[i] as u64, 0],
            "{e} in {again}"
        );
    }
    assert_eq!(l.dump(url), loaded, "a run with no change altered a row");
    let r = load(l, dir, url, &l.small(), &["--no-log-file"]).expect(0);
    assert!(r.stdout.contains("No changes"), "{}", r.stdout);
    assert_eq!(l.dump(url), loaded);
    let h = history(l, dir, url);
    assert_eq!(h.len(), 3, "{h:?}");
    assert_eq!(h[2]["id"], first["run_id"]);
    assert!(h.iter().all(|r| r["status"] == "committed"), "{h:?}");
    assert!(h.iter().all(|r| r["layout"] == l.name()), "{h:?}");
    // Nothing to undo in a run that changed nothing: --last is the first load.
    let rb = rollback(l, dir, url, &["--last", "--dry-run", "--json"])
        .expect(0)
        .json();
    assert_eq!(rb["rolled_back_run"], first["run_id"], "{rb}");
}

/// Case 3 (and `history --run` of that run): One edited field: exactly one row updated, in that column (and its updated_at), nothing
/// else.
fn an_edited_field_is_the_only_change_written(l: &dyn LayoutUnderTest) {
    let s = Setup::new(l);
    let (dir, url) = (s.dir(), s.url());
    load_ok(l, dir, url, &l.small());
    let before = l.rows(url);
    let edited = one_field_edited(dir);
    let sum = load_ok(l, dir, url, &edited);
    assert_eq!(sum["outcome"], "committed", "{sum}");
    assert_eq!(sum["rows_written"], 1, "{sum}");
    let f = small_figures();
    for (i, e) in ENTITIES.iter().enumerate() {
        let want = if *e == "apps" {
            [0, 1, 0, f[i] as u64 - 1, 0]
        } else {
            [0, 0, 0, f[i] as u64, 0]
        };
        assert_eq!(counts(&sum, e), want, "{e} in {sum}");
    }
    let changed = changed_rows(&before, &l.rows(url));
    assert_eq!(changed.len(), 1, "{changed:?}");
    let (table, _, cols) = &changed[0];
    assert_eq!(table, l.table("apps").name);
    assert_eq!(
        cols.iter().map(String::as_str).collect::<Vec<_>>(),
        ["short_description_en", "updated_at"]
    );
    assert_eq!(
        common::scalar(
            url,
            &format!(
                "SELECT short_description_en FROM {} WHERE name_en = 'Noor Reader'",
                l.table("apps").name
            )
        ),
        "Noor Reader, edited by the conformance suite"
    );
    // The journal holds exactly that row.
    assert_eq!(
        common::scalar(
            url,
            &format!(
                "SELECT count(*) FROM qa_load.journal_rows WHERE run_id = '{}'",
                sum["run_id"].as_str().unwrap()
            )
        ),
        "1"
    );
    // `history --run` shows it field by field, from the journal: before -> after.
    let id = sum["run_id"].as_str().unwrap();
    let shown = qa(dir, l.args(url, &["history", "--run", id, "--json"]))
        .expect(0)
        .json();
    assert_eq!(shown["after_values_recorded"], true, "{shown}");
    let rows = shown["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{shown}");
    assert_eq!(
        (rows[0]["table"].as_str(), rows[0]["op"].as_str()),
        (Some(l.table("apps").name), Some("update"))
    );
    assert_eq!(
        rows[0]["after"]["short_description_en"],
        "Noor Reader, edited by the conformance suite"
    );
    assert_eq!(
        rows[0]["before"]["short_description_en"],
        "Noor Reader, a short description"
    );
    let text = qa(dir, l.args(url, &["history", "--run", id]))
        .expect(0)
        .stdout;
    assert!(
        text.contains("short_description_en \"Noor Reader, a short description\" -> \"Noor Reader, edited by the conformance suite\""),
        "{text}"
    );
    assert!(
        !text.contains("sort_order"),
        "only the changed field: {text}"
    );
    let none = qa(
        dir,
        l.args(url, &["history", "--run", "20990101T000000Z-abcdef"]),
    );
    assert_eq!(none.code, 6, "{}", none.stderr);
    assert!(
        none.stderr
            .contains("there is no run 20990101T000000Z-abcdef"),
        "{}",
        none.stderr
    );
    verify(l, dir, url, &edited).expect(0);
    verify(l, dir, url, &l.small()).expect(4);
}

/// Case 4: `rollback --last` after an edit (inserts, updates and deletes: small-edited.json)
/// restores the tables byte for byte; again after the first load, back to the fresh database; a
/// third is refused.
fn rollback_last_restores_the_tables_byte_for_byte(l: &dyn LayoutUnderTest) {
    let s = Setup::new(l);
    let (dir, url) = (s.dir(), s.url());
    let fresh = l.dump(url);
    let first = load_ok(l, dir, url, &l.small());
    let loaded = l.dump(url);
    let edit = load_ok(l, dir, url, &l.edited());
    let ed = edit["counts"].clone();
    assert!(
        ENTITIES
            .iter()
            .map(|e| ed[e]["inserted"].as_u64().unwrap())
            .sum::<u64>()
            > 0
            && ed["apps"]["updated"].as_u64().unwrap() > 0
            && ed["screenshots"]["deleted"].as_u64().unwrap() > 0,
        "the edit inserts, updates and deletes: {ed}"
    );
    let edited_state = l.dump(url);
    assert_ne!(edited_state, loaded);
    // A dry run of the rollback says what it would do and changes nothing.
    let d = rollback(l, dir, url, &["--last", "--dry-run", "--json"])
        .expect(0)
        .json();
    assert_eq!(d["dry_run"], true);
    assert_eq!(d["rolled_back_run"], edit["run_id"]);
    assert_eq!(l.dump(url), edited_state);

    let r = rollback(l, dir, url, &["--last"]).expect(0);
    assert!(
        r.stdout.contains("rollback recorded as run"),
        "{}",
        r.stdout
    );
    assert_eq!(l.dump(url), loaded, "rollback of the edit");
    verify(l, dir, url, &l.small()).expect(0);
    rollback(l, dir, url, &["--last"]).expect(0);
    assert_eq!(l.dump(url), fresh, "rollback of the first load");
    let r = rollback(l, dir, url, &["--last"]).expect(6);
    assert!(r.stderr.contains("nothing to roll back"), "{}", r.stderr);

    let h = history(l, dir, url);
    assert_eq!(h.len(), 4, "{h:?}");
    assert_eq!(h.iter().filter(|r| r["kind"] == "rollback").count(), 2);
    for run in [&first, &edit] {
        let rec = h.iter().find(|r| r["id"] == run["run_id"]).unwrap();
        assert!(rec["rolled_back_by"].is_string(), "{rec}");
    }
    assert!(h
        .iter()
        .all(|r| r["status"] == "committed" && r["layout"] == l.name()));
}

/// Case 5: verify passes after a load; after the harness alters a written column it exits 4 naming
/// the table, the column and both values, and that the column was changed in the database since
/// the load wrote it (with the run and the value it wrote).
fn verify_passes_then_names_a_tampered_column(l: &dyn LayoutUnderTest) {
    let s = Setup::new(l);
    let (dir, url) = (s.dir(), s.url());
    load_ok(l, dir, url, &l.small());
    let v = verify(l, dir, url, &l.small()).expect(0);
    assert!(v.stdout.starts_with("PASS"), "{}", v.stdout);
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("v.json")).unwrap()).unwrap();
    assert_eq!(report["ok"], true);

    let (table, column, value, tamper) = l.tamper();
    common::sql(url, &tamper);
    let v = verify(l, dir, url, &l.small()).expect(4);
    assert!(v.stdout.starts_with("FAIL: 1 difference"), "{}", v.stdout);
    assert!(
        v.stdout
            .contains(&format!("it is \"{value}\" in the database")),
        "{}",
        v.stdout
    );
    assert!(
        v.stdout.contains(&format!(
            "{column} changed in the database since run {}",
            history(l, dir, url)[0]["id"].as_str().unwrap()
        )),
        "{}",
        v.stdout
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("v.json")).unwrap()).unwrap();
    assert_eq!(report["ok"], false);
    let d = &report["differences"][0];
    assert_eq!(d["kind"], "changed-in-database", "{report}");
    assert!(d["changed_since"]["written"].is_string(), "{report}");
    assert_eq!(
        (
            d["table"].as_str(),
            d["field"].as_str(),
            d["actual"].as_str()
        ),
        (Some(table), Some(column), Some(value)),
        "{report}"
    );
}

/// Case 6: A dry run writes nothing, not even a run record: on the fresh database, and over a load,
/// where it predicts exactly what the real run then writes.
fn a_dry_run_writes_nothing_and_predicts_the_real_run(l: &dyn LayoutUnderTest) {
    let s = Setup::new(l);
    let (dir, url) = (s.dir(), s.url());
    let fresh = l.dump(url);
    let d = load(
        l,
        dir,
        url,
        &l.small(),
        &["--dry-run", "--json", "-q", "--no-log-file"],
    )
    .expect(0)
    .json();
    assert_eq!(d["outcome"], "dry-run", "{d}");
    assert_eq!(counts(&d, "apps")[0] as usize, small_figures()[2], "{d}");
    assert_eq!(l.dump(url), fresh);
    assert_eq!(load_runs(url), 0, "a dry run recorded a run");

    load_ok(l, dir, url, &l.small());
    let loaded = l.dump(url);
    let d = load(
        l,
        dir,
        url,
        &l.edited(),
        &["--dry-run", "--json", "-q", "--no-log-file"],
    )
    .expect(0)
    .json();
    assert_eq!(d["outcome"], "dry-run", "{d}");
    assert_eq!(l.dump(url), loaded, "a dry run changed a row");
    assert_eq!(load_runs(url), 1, "a dry run recorded a run");
    let real = load_ok(l, dir, url, &l.edited());
    assert_eq!(real["counts"], d["counts"], "the dry run predicted the run");
    assert_eq!(real["rows_written"], d["rows_written"]);
    assert_ne!(l.dump(url), loaded);
}

// ---------------------------------------------------------------------------------------------
// 7-12: faults
// ---------------------------------------------------------------------------------------------

/// Case 7: A connection killed in every stage of a load (small-edited.json over small.json at
/// --batch-size 2: 4 developers in 2 batches, 6 apps in 3): exit 3 naming the stage and the
/// server's reason, nothing written, the run recorded as failed with that stage, the lock free; a
/// failed run has nothing to roll back; the next run succeeds and verifies.
fn a_connection_killed_in_any_stage_changes_nothing(l: &dyn LayoutUnderTest) {
    let s = Setup::new(l);
    let (dir, url) = (s.dir(), s.url());
    load_ok(l, dir, url, &l.small());
    let before = l.dump(url);
    let points = [
        ("stall:stage:developers", l.batch_stage("developers", 1, 2)),
        ("stall:batch:1", l.batch_stage("apps", 1, 3)),
        ("stall:batch:3", l.batch_stage("apps", 3, 3)),
        ("stall:stage:links", l.batch_stage("app_categories", 1, 3)),
        (
            "stall:stage:screenshots",
            l.batch_stage("screenshots", 1, 3),
        ),
        ("stall:stage:post-check", "post-check".to_string()),
        ("stall:stage:commit", "commit".to_string()),
    ];
    let mut failed = Vec::new();
    for (i, (fault, stage)) in points.iter().enumerate() {
        let log = format!("killed-{i}.log");
        let child = spawn(
            dir,
            &l.load_args(url, &l.edited(), &["--batch-size", "2", "--log-file", &log]),
            &[("QA_LOAD_FAIL_AT", fault)],
        );
        let (run_id, pid) = stalled(url);
        terminate(url, &run_id, &pid);
        let r = finish(child).expect(3);
        for text in [
            format!("{stage} failed"),
            "terminating connection due to administrator command".to_string(),
            format!("run {run_id} failed and was rolled back: the database is as it was"),
        ] {
            assert!(
                r.stderr.contains(&text),
                "{fault}: no {text:?} in\n{}",
                r.stderr
            );
        }
        assert_eq!(
            l.dump(url),
            before,
            "{fault}: a killed connection left changes"
        );
        let (status, failed_stage, error) = record(url, &run_id);
        assert_eq!(
            (status.as_str(), failed_stage.as_str()),
            ("failed", stage.as_str()),
            "{fault}"
        );
        assert!(error.contains("57P01"), "{fault}: {error}");
        let logged = std::fs::read_to_string(dir.join(&log)).unwrap();
        assert!(
            logged.contains("ERROR") && logged.contains(&format!("stage={stage}")),
            "{fault}: the log lacks the failure:\n{logged}"
        );
        assert_eq!(
            migration_lock(url),
            (0, 0),
            "{fault}: the lock is still held"
        );
        failed.push(run_id);
    }
    let h = history(l, dir, url);
    for id in &failed {
        let rec = h.iter().find(|r| r["id"] == id.as_str()).unwrap();
        assert_eq!(rec["status"], "failed", "{rec}");
        assert!(rec["finished_at"].is_string(), "{rec}");
    }
    let r = rollback(l, dir, url, &["--run", &failed[0]]).expect(6);
    assert!(r.stderr.contains("changed nothing"), "{}", r.stderr);
    let sum = load_ok(l, dir, url, &l.edited());
    assert_eq!(sum["outcome"], "committed");
    verify(l, dir, url, &l.edited()).expect(0);
}

/// Case 8: A connection lost at the COMMIT is resolved from the run record: lost before the server
/// ran it → exit 3, rolled back, recorded failed at commit; after → exit 0, "the commit happened";
/// and with no new connection to be had → exit 7, naming history and verify.
fn a_lost_commit_is_resolved_from_the_run_record(l: &dyn LayoutUnderTest) {
    let s = Setup::new(l);
    let (dir, url) = (s.dir(), s.url());
    load_ok(l, dir, url, &l.small());
    let before = l.dump(url);

    let r = run_args(
        dir,
        &l.load_args(url, &l.edited(), &["--no-log-file"]),
        &[("QA_LOAD_FAIL_AT", "lose:commit:before")],
    )
    .expect(3);
    for text in [
        "commit failed",
        "shows the commit did not happen",
        "rolled back",
    ] {
        assert!(r.stderr.contains(text), "{text}: {}", r.stderr);
    }
    assert_eq!(l.dump(url), before);
    let h = history(l, dir, url);
    assert_eq!(h[0]["status"], "failed", "{h:?}");
    assert_eq!(h[0]["failed_stage"], "commit", "{h:?}");

    let r = run_args(
        dir,
        &l.load_args(url, &l.edited(), &["--no-log-file", "--json"]),
        &[("QA_LOAD_FAIL_AT", "lose:commit:after")],
    )
    .expect(0);
    let sum = r.json();
    assert_eq!(sum["outcome"], "committed");
    assert_eq!(sum["commit_confirmed_after_reconnect"], true);
    assert!(r.stderr.contains("the commit happened"), "{}", r.stderr);
    assert!(!r.stderr.contains("rolled back"), "{}", r.stderr);
    assert_eq!(history(l, dir, url)[0]["status"], "committed");
    verify(l, dir, url, &l.edited()).expect(0);

    rollback(l, dir, url, &["--last", "-q"]).expect(0);
    assert_eq!(l.dump(url), before);
    // The layout is named (l.args), so detecting it does not take the proxy's one connection.
    let proxied = one_connection_proxy(url);
    let r = run_args(
        dir,
        &l.load_args(&proxied, &l.edited(), &["--no-log-file"]),
        &[("QA_LOAD_FAIL_AT", "lose:commit:after")],
    )
    .expect(7);
    assert!(
        r.stderr
            .contains("could not reconnect to find out whether the commit happened"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("qa-load history") && r.stderr.contains("qa-load verify"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("rolled back"), "{}", r.stderr);
    assert_eq!(history(l, dir, url)[0]["status"], "committed");
    verify(l, dir, url, &l.edited()).expect(0);
}

/// Case 9: A load killed with SIGKILL mid-load: the server ends its session within seconds, the
/// lock is free, nothing written, history and the next load mark it interrupted; rollback refuses
/// it.
fn a_sigkilled_load_is_interrupted_and_changes_nothing(l: &dyn LayoutUnderTest) {
    let s = Setup::new(l);
    let (dir, url) = (s.dir(), s.url());
    load_ok(l, dir, url, &l.small());
    let before = l.dump(url);
    let mut child = spawn(
        dir,
        &l.load_args(url, &l.edited(), &["--batch-size", "2", "--no-log-file"]),
        &[("QA_LOAD_FAIL_AT", "stall:batch:2")],
    );
    let (run_id, _) = stalled(url);
    assert_eq!(migration_lock(url), (1, 0));
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(9)
    );
    let took = no_qa_sessions_left(url);
    assert!(
        took < Duration::from_secs(5),
        "the orphaned session lived {took:?}"
    );
    assert_eq!(migration_lock(url), (0, 0), "the lock is still held");
    assert_eq!(l.dump(url), before, "a killed process left changes");
    assert_eq!(history_status(dir, url, &run_id), "interrupted");
    let text = qa(dir, l.args(url, &["history"])).expect(0).stdout;
    assert!(
        text.lines()
            .any(|line| line.starts_with(&run_id) && line.contains("interrupted")),
        "{text}"
    );
    let sum = load_ok(l, dir, url, &l.edited());
    assert_eq!(sum["outcome"], "committed");
    assert_eq!(
        common::scalar(
            url,
            &format!("SELECT status || ' ' || (finished_at IS NOT NULL) FROM qa_load.runs WHERE id = '{run_id}'")
        ),
        "interrupted true"
    );
    verify(l, dir, url, &l.edited()).expect(0);
    assert_eq!(history_status(dir, url, &run_id), "interrupted");
    let r = rollback(l, dir, url, &["--run", &run_id]).expect(6);
    assert!(r.stderr.contains("never committed"), "{}", r.stderr);
}

/// Case 10: Four loads started at once on a fresh database: exactly one commits, the others are
/// refused (exit 5, naming a recorded run as the holder) or find nothing to do; the records never
/// overlap; the tables equal a single load's. Then four with --wait queued for certain behind the
/// lock held by the test: all exit 0, one committed, three unchanged.
fn concurrent_loads_run_one_at_a_time(l: &dyn LayoutUnderTest) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let reference_db = l.fresh_database();
    load_ok(l, dir, &reference_db.url, &l.small());
    let reference = l.content(&reference_db.url);
    assert!(reference.contains("Noor Reader"));

    let db = l.fresh_database();
    let url = db.url.as_str();
    let children: Vec<Child> = (0..4)
        .map(|_| {
            spawn(
                dir,
                &l.load_args(url, &l.small(), &["--json", "-q", "--no-log-file"]),
                &[],
            )
        })
        .collect();
    let runs: Vec<Run> = children.into_iter().map(finish).collect();
    let recorded: Vec<String> = common::sql(url, "SELECT id FROM qa_load.runs")
        .into_iter()
        .map(|r| r[0].clone().unwrap())
        .collect();
    let mut outcomes = Vec::new();
    for r in &runs {
        match r.code {
            0 => outcomes.push(r.json()["outcome"].as_str().unwrap().to_string()),
            5 => {
                assert!(
                    r.stderr.contains(
                        "lock failed: another migration is running: the migration lock is held by qa-load run"
                    ) && r.stderr.contains("--wait"),
                    "{}",
                    r.stderr
                );
                let holder = holder_run_id(&r.stderr).unwrap();
                assert!(
                    recorded.contains(&holder),
                    "the holder {holder} is not a recorded run"
                );
            }
            other => panic!(
                "exit {other}:\nstdout:\n{}\nstderr:\n{}",
                r.stdout, r.stderr
            ),
        }
    }
    assert_eq!(
        outcomes.iter().filter(|o| *o == "committed").count(),
        1,
        "{outcomes:?}"
    );
    assert!(outcomes
        .iter()
        .all(|o| o == "committed" || o == "unchanged"));
    assert_eq!(
        recorded.len(),
        outcomes.len(),
        "only the runs that proceeded are recorded"
    );
    assert_runs_did_not_overlap(url);
    assert_eq!(
        common::scalar(
            url,
            "SELECT count(*) FROM qa_load.runs WHERE status <> 'committed'"
        ),
        "0"
    );
    assert_eq!(l.content(url), reference);

    // Queued for certain: the test holds the migration lock until all four wait for it.
    let db = l.fresh_database();
    let url = db.url.as_str();
    qa(dir, l.args(url, &["schema", "apply", "--no-log-file"])).expect(0);
    let gate = Held::open(url, "conformance-test");
    gate.exec(&lock_sql(true));
    let children: Vec<Child> = (0..4)
        .map(|_| {
            spawn(
                dir,
                &l.load_args(
                    url,
                    &l.small(),
                    &["--wait", "--timeout", "60s", "--json", "--no-log-file"],
                ),
                &[],
            )
        })
        .collect();
    wait_for(
        "four loads waiting for the lock",
        Duration::from_secs(30),
        || (migration_lock(url) == (1, 4)).then_some(()),
    );
    gate.exec(&lock_sql(false));
    let mut outcomes: Vec<String> = children
        .into_iter()
        .map(|c| {
            let r = finish(c).expect(0);
            assert!(
                r.stderr.contains(
                    "waiting for the migration lock held by a session named \"conformance-test\" (not qa-load)"
                ),
                "{}",
                r.stderr
            );
            r.json()["outcome"].as_str().unwrap().to_string()
        })
        .collect();
    outcomes.sort();
    assert_eq!(
        outcomes,
        ["committed", "unchanged", "unchanged", "unchanged"]
    );
    assert_eq!(load_runs(url), 4);
    assert_runs_did_not_overlap(url);
    assert_eq!(l.content(url), reference);
}

/// Case 11: The timeout: a statement stalled past --timeout 2s is cancelled on the server and
/// rolled back within a second of the limit, recorded with its stage; the same for a load blocked
/// by a table lock another session holds; the next run succeeds.
fn a_statement_past_the_timeout_is_cancelled_and_rolled_back(l: &dyn LayoutUnderTest) {
    let s = Setup::new(l);
    let (dir, url) = (s.dir(), s.url());
    load_ok(l, dir, url, &l.small());
    let before = l.dump(url);
    let limit = Duration::from_secs(2);
    let started = Instant::now();
    let child = spawn(
        dir,
        &l.load_args(
            url,
            &l.edited(),
            &["--batch-size", "2", "--timeout", "2s", "--no-log-file"],
        ),
        &[("QA_LOAD_FAIL_AT", "stall:stage:screenshots")],
    );
    let (run_id, _) = stalled(url);
    let r = finish(child);
    let took = started.elapsed();
    let r = r.expect(3);
    assert!(
        took < limit + Duration::from_secs(1),
        "ended {took:?} after start"
    );
    let stage = l.batch_stage("screenshots", 1, 3);
    assert!(
        r.stderr.contains(&format!(
            "{stage} failed: the run timed out after 2s (--timeout); \
             the statement in flight was cancelled and the transaction rolled back"
        )),
        "{}",
        r.stderr
    );
    assert_eq!(l.dump(url), before);
    let (status, failed_stage, _) = record(url, &run_id);
    assert_eq!(
        (status.as_str(), failed_stage.as_str()),
        ("failed", stage.as_str())
    );
    no_qa_sessions_left(url);

    // Blocked by another session's lock on the apps table.
    let other = Held::open(url, "conformance-test");
    other.exec(&format!(
        "BEGIN; LOCK TABLE {} IN ACCESS EXCLUSIVE MODE",
        l.table("apps").name
    ));
    let started = Instant::now();
    let r = qa(
        dir,
        l.load_args(
            url,
            &l.edited(),
            &["--timeout", "2s", "--log-file", "locked.log"],
        ),
    );
    let took = started.elapsed();
    let r = r.expect(3);
    assert!(
        took >= limit && took < limit + Duration::from_secs(1),
        "ended {took:?} after start, limit {limit:?}"
    );
    assert!(
        r.stderr.contains("failed: the run timed out after 2s (--timeout); the statement in flight was cancelled and the transaction rolled back"),
        "{}",
        r.stderr
    );
    no_qa_sessions_left(url);
    assert_eq!(
        common::scalar(
            url,
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE NOT l.granted AND a.datname = current_database()"
        ),
        "0",
        "the blocked statement still waits"
    );
    other.exec("ROLLBACK");
    assert_eq!(l.dump(url), before);
    let h = history(l, dir, url);
    let failed = &h[0];
    assert_eq!(failed["status"], "failed", "{h:?}");
    let stage = failed["failed_stage"].as_str().unwrap();
    assert!(
        r.stderr.contains(&format!("{stage} failed")),
        "{stage}: {}",
        r.stderr
    );
    assert!(
        std::fs::read_to_string(dir.join("locked.log"))
            .unwrap()
            .contains(&format!("stage={stage}")),
        "the log names the stage"
    );
    let sum = load_ok(l, dir, url, &l.edited());
    assert_eq!(sum["outcome"], "committed");
}

/// Case 12: The post-load check catches a row altered inside the load's own transaction by
/// something other than qa-load: triggers the harness installs on the test database alter the
/// slug of one app and the image of the last app's screenshot as the load writes them. The load fails at post-check (exit 3, naming
/// the altered row), writes nothing, and records the run as failed there. On the fresh database
/// (the app inserted) and over a load (the app updated).
fn the_post_load_check_catches_a_row_altered_in_the_transaction(l: &dyn LayoutUnderTest) {
    let s = Setup::new(l);
    let (dir, url) = (s.dir(), s.url());
    let edited = one_field_edited(dir); // updates Noor Reader, the app the trigger alters
    for step in ["insert", "update"] {
        if step == "update" {
            let [_, _, apps, _, shots] = l.tables().map(|t| t.name);
            common::sql(
                url,
                &format!(
                    "DROP TRIGGER conformance_tamper ON {apps}; DROP FUNCTION conformance_tamper(); \
                     DROP TRIGGER conformance_tamper_shot ON {shots}; DROP FUNCTION conformance_tamper_shot()"
                ),
            );
            load_ok(l, dir, url, &l.small());
        }
        let before = l.dump(url);
        let runs_before = load_runs(url);
        l.install_tamper_trigger(url);
        let input = if step == "insert" {
            l.small()
        } else {
            edited.clone()
        };
        let r = load(l, dir, url, &input, &["--no-log-file"]).expect(3);
        for text in [
            "post-check failed",
            "the rows read back differ from what the run wrote",
            "-by-trigger",
            "failed and was rolled back: the database is as it was",
        ] {
            assert!(
                r.stderr.contains(text),
                "{step}: {text:?} not in\n{}",
                r.stderr
            );
        }
        if step == "insert" {
            // The last app's screenshot is written only by the first load.
            assert!(
                r.stderr.contains("#by-trigger"),
                "the last app's altered screenshot is caught too:\n{}",
                r.stderr
            );
        }
        assert_eq!(l.dump(url), before, "{step}: the altered load left changes");
        assert_eq!(load_runs(url), runs_before + 1, "{step}");
        let h = history(l, dir, url);
        assert_eq!(
            (h[0]["status"].as_str(), h[0]["failed_stage"].as_str()),
            (Some("failed"), Some("post-check")),
            "{step}: {h:?}"
        );
        assert!(
            h[0]["error"].as_str().unwrap().contains("-by-trigger"),
            "{step}: {h:?}"
        );
    }
}

/// Case 13: Over rows the input does not name (for the django layout the backend's own seeded
/// catalogue, for qa-load's the rows of another input): a load leaves every one of them byte for
/// byte as it was and adds the fixture's rows; a connection killed mid-load changes nothing;
/// `rollback --last` of an edit and then of the load restores the database byte for byte.
fn rows_the_input_does_not_name_are_left_as_they_are(l: &dyn LayoutUnderTest) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = l.populated_database();
    let url = db.url.as_str();
    let populated = l.dump(url);
    let before = l.rows(url);
    let had = l.counts(url);
    assert!(had[2] > 0, "the populated database has apps: {had:?}");

    let sum = load_ok(l, dir, url, &l.small());
    assert_eq!(sum["outcome"], "committed", "{sum}");
    assert_eq!(
        counts(&sum, "apps")[0] as usize,
        small_figures()[2],
        "{sum}"
    );
    let after = l.rows(url);
    let changed = changed_rows(&before, &after);
    let keys: std::collections::BTreeSet<(String, String)> = before
        .iter()
        .map(|(t, k, _)| (t.clone(), k.clone()))
        .collect();
    let touched: Vec<_> = changed
        .iter()
        .filter(|(t, k, _)| keys.contains(&(t.clone(), k.clone())))
        .collect();
    assert!(
        touched.is_empty(),
        "rows that were there before the load changed: {touched:?}"
    );
    let added: usize = l.counts(url).iter().sum::<usize>() - had.iter().sum::<usize>();
    let apps_table = l.table("apps").name;
    let noor = |u: &str| {
        common::scalar(
            u,
            &format!("SELECT count(*) FROM {apps_table} WHERE name_en = 'Noor Reader'"),
        )
    };
    assert_eq!(noor(url), "1");
    assert_eq!(changed.len(), added, "only new rows: {changed:?}");
    let loaded = l.dump(url);

    // Killed mid-load: nothing written among the rows of both.
    let child = spawn(
        dir,
        &l.load_args(url, &l.edited(), &["--no-log-file"]),
        &[("QA_LOAD_FAIL_AT", "stall:stage:screenshots")],
    );
    let (run_id, pid) = stalled(url);
    terminate(url, &run_id, &pid);
    finish(child).expect(3);
    assert_eq!(l.dump(url), loaded);

    load_ok(l, dir, url, &l.edited());
    rollback(l, dir, url, &["--last"]).expect(0);
    assert_eq!(l.dump(url), loaded, "rollback of the edit");
    rollback(l, dir, url, &["--last"]).expect(0);
    assert_eq!(l.dump(url), populated, "rollback of the load");
    assert_eq!(noor(url), "0");
}

/// Case 14: Rollback refuses (exit 6, changing nothing) a run a later run depends on, naming the
/// later run, and a run whose rows were changed since by another program, until `--force`, which
/// then restores the tables byte for byte.
fn rollback_refuses_dependent_runs_and_changed_rows_until_forced(l: &dyn LayoutUnderTest) {
    let s = Setup::new(l);
    let (dir, url) = (s.dir(), s.url());
    let first = load_ok(l, dir, url, &l.small());
    let loaded = l.dump(url);
    let second = load_ok(l, dir, url, &l.edited());
    let first_id = first["run_id"].as_str().unwrap();
    let second_id = second["run_id"].as_str().unwrap();
    let edited_state = l.dump(url);
    let r = rollback(l, dir, url, &["--run", first_id]).expect(6);
    assert!(
        r.stderr.contains("later run(s) depend") && r.stderr.contains(second_id),
        "{}",
        r.stderr
    );
    assert_eq!(l.dump(url), edited_state, "a refused rollback changed rows");

    // A row the last run inserted, changed by another program since.
    common::sql(
        url,
        &format!(
            "UPDATE {} SET name_ar = 'تعديل يدوي' WHERE name_en = 'Qibla Compass'",
            l.table("apps").name
        ),
    );
    let changed = l.dump(url);
    let r = rollback(l, dir, url, &["--last"]).expect(6);
    assert!(
        r.stderr.contains("changed since run") && r.stderr.contains("--force"),
        "{}",
        r.stderr
    );
    assert_eq!(l.dump(url), changed, "a refused rollback changed rows");
    let r = rollback(l, dir, url, &["--last", "--force", "--json"])
        .expect(0)
        .json();
    assert_eq!(r["rolled_back_run"], second["run_id"]);
    assert_eq!(l.dump(url), loaded);
}

/// Case 15: Invalid input exits 1 with the report, before any transaction: nothing written, no run
/// recorded; a usage error exits 2.
fn invalid_input_exits_1_and_writes_nothing(l: &dyn LayoutUnderTest) {
    let s = Setup::new(l);
    let (dir, url) = (s.dir(), s.url());
    load_ok(l, dir, url, &l.small());
    let before = l.dump(url);
    let r = load(
        l,
        dir,
        url,
        &fixtures().join("invalid.json"),
        &["--no-log-file"],
    )
    .expect(1);
    for code in ["E010", "E012", "E015"] {
        assert!(r.stderr.contains(code), "{code}:\n{}", r.stderr);
    }
    assert!(r.stderr.contains("validate failed"), "{}", r.stderr);
    assert_eq!(l.dump(url), before);
    assert_eq!(load_runs(url), 1, "an invalid input recorded a run");
    let r = load(
        l,
        dir,
        url,
        &l.edited(),
        &["--no-log-file", "--batch-size", "0"],
    )
    .expect(2);
    assert!(r.stderr.contains("--batch-size"), "{}", r.stderr);
    assert_eq!(l.dump(url), before);
    assert_eq!(load_runs(url), 1);
}

/// Case 18: `--on-existing skip` leaves every row that exists byte for byte as it is and adds only
/// what is new (small-edited.json's new developer and app, with the app's link and screenshots);
/// verify then finds the skipped edits (exit 4); rollback restores the tables byte for byte.
fn on_existing_skip_only_adds_what_is_new(l: &dyn LayoutUnderTest) {
    let s = Setup::new(l);
    let (dir, url) = (s.dir(), s.url());
    load_ok(l, dir, url, &l.small());
    let loaded = l.dump(url);
    let before = l.rows(url);
    let sum = load(
        l,
        dir,
        url,
        &l.edited(),
        &["--on-existing", "skip", "--json", "-q", "--no-log-file"],
    )
    .expect(0)
    .json();
    assert_eq!(sum["outcome"], "committed", "{sum}");
    for (e, inserted) in [("developers", 1), ("apps", 1)] {
        let c = counts(&sum, e);
        assert_eq!((c[0], c[1], c[2]), (inserted, 0, 0), "{e}: {sum}");
    }
    for e in ENTITIES {
        let c = counts(&sum, e);
        assert_eq!(
            (c[1], c[2]),
            (0, 0),
            "{e}: nothing updated or deleted: {sum}"
        );
    }
    let keys: std::collections::BTreeSet<(String, String)> = before
        .iter()
        .map(|(t, k, _)| (t.clone(), k.clone()))
        .collect();
    let changed = changed_rows(&before, &l.rows(url));
    let touched: Vec<_> = changed
        .iter()
        .filter(|(t, k, _)| keys.contains(&(t.clone(), k.clone())))
        .collect();
    assert!(touched.is_empty(), "existing rows changed: {touched:?}");
    assert_eq!(
        changed.len() as u64,
        sum["rows_written"].as_u64().unwrap(),
        "{changed:?}"
    );
    verify(l, dir, url, &l.edited()).expect(4);
    rollback(l, dir, url, &["--last"]).expect(0);
    assert_eq!(l.dump(url), loaded);
}

/// Case 16: An app renamed in the source (its English name, hence its slug, changes; its source id
/// does not) is the same app: the load updates its row in place, inserts none, and the tables keep
/// the fixture's figures; `rollback --last` restores them byte for byte.
fn a_renamed_app_is_updated_not_duplicated(l: &dyn LayoutUnderTest) {
    let s = Setup::new(l);
    let (dir, url) = (s.dir(), s.url());
    load_ok(l, dir, url, &l.small());
    let loaded = l.dump(url);
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(l.small()).unwrap()).unwrap();
    let app = v["applicationsData"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|a| a["id"] == "1_Noor_Reader")
        .unwrap();
    app["Name_En"] = "Noor Reader Plus".into();
    let renamed = dir.join("renamed.json");
    std::fs::write(&renamed, serde_json::to_string(&v).unwrap()).unwrap();
    let sum = load_ok(l, dir, url, &renamed);
    let f = small_figures();
    assert_eq!(
        counts(&sum, "apps"),
        [0, 1, 0, f[2] as u64 - 1, 0],
        "the renamed app is updated, not inserted: {sum}"
    );
    assert_eq!(l.counts(url), f, "rows in the tables");
    let apps = l.table("apps").name;
    assert_eq!(
        common::scalar(
            url,
            &format!("SELECT string_agg(name_en, ',' ORDER BY name_en) FROM {apps} WHERE name_en LIKE 'Noor Reader%'")
        ),
        "Noor Reader Plus"
    );
    verify(l, dir, url, &renamed).expect(0);
    rollback(l, dir, url, &["--last"]).expect(0);
    assert_eq!(l.dump(url), loaded);
}

/// Case 17: A developer renamed in the source (its English name changes; its website and apps do
/// not): the load succeeds, a re-run changes nothing, and `verify` of that same file passes (a load
/// must leave the database as verify expects it).
fn a_renamed_developer_loads_and_verifies(l: &dyn LayoutUnderTest) {
    let s = Setup::new(l);
    let (dir, url) = (s.dir(), s.url());
    load_ok(l, dir, url, &l.small());
    let loaded = l.dump(url);
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(l.small()).unwrap()).unwrap();
    for app in v["applicationsData"].as_array_mut().unwrap() {
        if app["Developer_Name_En"] == "Lantern Labs" {
            app["Developer_Name_En"] = "Lantern Labs Ltd".into();
        }
    }
    let renamed = dir.join("developer-renamed.json");
    std::fs::write(&renamed, serde_json::to_string(&v).unwrap()).unwrap();
    let sum = load_ok(l, dir, url, &renamed);
    assert_eq!(sum["outcome"], "committed", "{sum}");
    assert_eq!(load_ok(l, dir, url, &renamed)["outcome"], "unchanged");
    let v = verify(l, dir, url, &renamed);
    assert_eq!(
        v.code, 0,
        "verify of the file just loaded: {sum}\n{}",
        v.stdout
    );
    rollback(l, dir, url, &["--last"]).expect(0);
    assert_eq!(l.dump(url), loaded);
}

// ---------------------------------------------------------------------------------------------
// 19-27: field ownership (issue 20): what someone else wrote is never silently overwritten
// ---------------------------------------------------------------------------------------------

/// The values another program (the backend's admin, a data migration) writes between two loads
/// of small.json, through the layout's own tables: a developer's website, an app's short
/// description, a category's name, a screenshot added to an app, a link removed.
const ADMIN_WEBSITE: &str = "https://admin.example.org/lantern";
const ADMIN_SHORT: &str = "Edited in the admin";
const ADMIN_CATEGORY: &str = "Mushaf (admin)";
/// What small.json has for the same fields.
const FILE_WEBSITE: &str = "https://lantern.example.org";
const FILE_SHORT: &str = "Noor Reader, a short description";
const FILE_CATEGORY: &str = "Mushaf";

/// Applies the admin's edits to a database small.json was loaded into; `remove_link`: also
/// removes Noor Reader's link to `audio`.
fn admin_edits(l: &dyn LayoutUnderTest, url: &str, remove_link: bool) {
    let [devs, cats, apps, _, _] = l.tables().map(|t| t.name);
    let mut statements = vec![
        format!("UPDATE {devs} SET website = '{ADMIN_WEBSITE}' WHERE name_en = 'Lantern Labs'"),
        format!("UPDATE {apps} SET short_description_en = '{ADMIN_SHORT}' WHERE name_en = 'Noor Reader'"),
        format!(
            "UPDATE {cats} SET name_en = '{ADMIN_CATEGORY}' WHERE {} = 'mushaf'",
            l.category_key()
        ),
        l.add_screenshot_sql("Noor Reader", "added_en", 9),
    ];
    if remove_link {
        statements.push(l.remove_link_sql("Noor Reader", "audio"));
    }
    common::sql(url, &statements.join("; "));
    assert_eq!(
        edit_state(l, url),
        admin_state(remove_link),
        "the edits took"
    );
}

/// The edited values as the database has them: the website, the short description, the
/// category's name, the number of added screenshots, the number of Noor Reader's links to
/// `audio`.
fn edit_state(l: &dyn LayoutUnderTest, url: &str) -> [String; 5] {
    let [devs, cats, apps, links, shots] = l.tables().map(|t| t.name);
    let key = l.category_key();
    let image = l.screenshot_image();
    [
        format!("SELECT website FROM {devs} WHERE name_en = 'Lantern Labs'"),
        format!("SELECT short_description_en FROM {apps} WHERE name_en = 'Noor Reader'"),
        format!("SELECT name_en FROM {cats} WHERE {key} = 'mushaf'"),
        format!("SELECT count(*) FROM {shots} WHERE {image} LIKE '%added_en%'"),
        format!(
            "SELECT count(*) FROM {links} WHERE app_id = (SELECT id FROM {apps} WHERE name_en = 'Noor Reader') \
             AND category_id = (SELECT id FROM {cats} WHERE {key} = 'audio')"
        ),
    ]
    .map(|q| common::scalar(url, &q))
}

/// [`edit_state`] after [`admin_edits`].
fn admin_state(remove_link: bool) -> [String; 5] {
    [
        ADMIN_WEBSITE,
        ADMIN_SHORT,
        ADMIN_CATEGORY,
        "1",
        if remove_link { "0" } else { "1" },
    ]
    .map(str::to_string)
}

/// [`edit_state`] as small.json has it.
fn file_state() -> [String; 5] {
    [FILE_WEBSITE, FILE_SHORT, FILE_CATEGORY, "0", "1"].map(str::to_string)
}

/// The ownership record (`qa_load.owned`), every row as text in a fixed order: equal strings
/// mean an equal record.
fn owned(url: &str) -> String {
    common::scalar(
        url,
        "SELECT coalesce(string_agg(o::text, E'\\n' ORDER BY o.layout, o.table_name, o.pk::text), '') \
         FROM qa_load.owned o",
    )
}

/// small.json with `edit` applied to its records, written into `dir` as `name`.
fn small_with(
    l: &dyn LayoutUnderTest,
    dir: &Path,
    name: &str,
    edit: impl FnOnce(&mut Vec<Value>),
) -> PathBuf {
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(l.small()).unwrap()).unwrap();
    edit(v["applicationsData"].as_array_mut().unwrap());
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    path
}

/// Sets `field` of every record of `records` whose `by` is `value`.
fn set_where(records: &mut [Value], by: &str, value: &str, field: &str, to: &str) {
    let mut n = 0;
    for r in records.iter_mut().filter(|r| r[by] == value) {
        r[field] = to.into();
        n += 1;
    }
    assert!(n > 0, "no record has {by} = {value:?}");
}

/// The one conflict of `table` in `column` (None: a whole row) in a summary.
fn conflict<'a>(summary: &'a Value, table: &str, column: Option<&str>) -> &'a Value {
    let all = summary["conflicts"]
        .as_array()
        .unwrap_or_else(|| panic!("no conflicts in {summary}"));
    let found: Vec<&Value> = all
        .iter()
        .filter(|c| c["table"] == table && c["column"].as_str() == column)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "conflicts of {table} {column:?} in {summary}"
    );
    found[0]
}

/// A row id as the listing gives it (a UUID string or a bigint number), as text.
fn id_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => panic!("not an id: {other}"),
    }
}

/// The id of the row of `table` where `condition` holds.
fn row_id(url: &str, table: &str, condition: &str) -> String {
    common::scalar(
        url,
        &format!("SELECT id::text FROM {table} WHERE {condition}"),
    )
}

/// Case 19: After a load, the admin's edits (a developer's website, an app's short description,
/// a category's name, a screenshot added, a link removed), then the same file again: the default
/// run exits 10 and writes nothing; its listing (and a dry run's) names each edit with the
/// database's value, the file's, the value qa-load last wrote and the run that wrote it.
fn conflicts_refuse_the_load_and_name_each_edit(l: &dyn LayoutUnderTest) {
    let s = Setup::new(l);
    let (dir, url) = (s.dir(), s.url());
    let first = load_ok(l, dir, url, &l.small());
    let first_id = first["run_id"].as_str().unwrap();
    admin_edits(l, url, true);
    let edited = l.dump(url);
    let [devs, cats, apps, links, shots] = l.tables().map(|t| t.name);

    let sum = load(l, dir, url, &l.small(), &["--json", "-q", "--no-log-file"])
        .expect(10)
        .json();
    assert_eq!(sum["outcome"], "conflicts", "{sum}");
    assert_eq!(sum["rows_written"], 0, "{sum}");
    assert_eq!(l.dump(url), edited, "a refused load wrote");
    assert_eq!(sum["conflicts"].as_array().unwrap().len(), 5, "{sum}");
    for (table, column, database, file, id) in [
        (
            devs,
            "website",
            ADMIN_WEBSITE,
            FILE_WEBSITE,
            row_id(url, devs, "name_en = 'Lantern Labs'"),
        ),
        (
            apps,
            "short_description_en",
            ADMIN_SHORT,
            FILE_SHORT,
            row_id(url, apps, "name_en = 'Noor Reader'"),
        ),
        (
            cats,
            "name_en",
            ADMIN_CATEGORY,
            FILE_CATEGORY,
            row_id(url, cats, &format!("{} = 'mushaf'", l.category_key())),
        ),
    ] {
        let c = conflict(&sum, table, Some(column));
        assert_eq!(
            (
                &c["database"],
                &c["file"],
                &c["last_written"],
                &c["last_run"]
            ),
            (
                &Value::from(database),
                &Value::from(file),
                &Value::from(file),
                &Value::from(first_id)
            ),
            "{c}"
        );
        assert_eq!(id_text(&c["id"]), id, "{c}");
        assert_eq!(c["resolution"], "refuse", "{c}");
        assert!(c["reason"].as_str().unwrap().contains(first_id), "{c}");
    }
    // The screenshot someone added: the database's row, never written by qa-load.
    let added = conflict(&sum, shots, None);
    let image = l.screenshot_image();
    assert!(
        added["database"][image]
            .as_str()
            .unwrap()
            .contains("added_en"),
        "{added}"
    );
    assert_eq!(
        (&added["file"], &added["last_written"]),
        (&Value::Null, &Value::Null),
        "{added}"
    );
    assert_eq!(
        id_text(&added["id"]),
        row_id(url, shots, &format!("{image} LIKE '%added_en%'")),
        "{added}"
    );
    // The link someone removed: qa-load wrote it, the database no longer has it.
    let removed = conflict(&sum, links, None);
    assert_eq!(removed["database"], Value::Null, "{removed}");
    assert!(removed["file"].is_object(), "{removed}");
    assert_eq!(removed["last_written"], removed["file"], "{removed}");

    // The text listing names every edit; a dry run lists the same conflicts.
    let r = load(l, dir, url, &l.small(), &["--no-log-file"]).expect(10);
    assert!(
        r.stdout.starts_with("CONFLICTS: 5 value(s)"),
        "{}",
        r.stdout
    );
    for text in [
        ADMIN_WEBSITE,
        ADMIN_SHORT,
        ADMIN_CATEGORY,
        "whole row: added in the database",
        "whole row: qa-load wrote this row, and it was removed",
    ] {
        assert!(r.stdout.contains(text), "{text:?} not in\n{}", r.stdout);
    }
    let dry = load(
        l,
        dir,
        url,
        &l.small(),
        &["--dry-run", "--json", "-q", "--no-log-file"],
    )
    .expect(10)
    .json();
    assert_eq!(dry["conflicts"], sum["conflicts"], "the dry run's listing");
    assert_eq!(l.dump(url), edited, "a refused load wrote");

    assert_eq!(removed["last_run"], first_id, "{removed}");
}

/// The record's kept map (`qa_load.owned.kept`) of `table`'s row `id`, as JSON (null: none).
fn kept_of(url: &str, table: &str, id: &str) -> Value {
    let text = common::scalar(
        url,
        &format!(
            "SELECT coalesce(kept::text, 'null') FROM qa_load.owned \
             WHERE table_name = '{table}' AND pk->>'id' = '{id}'"
        ),
    );
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{table} {id}: {e}: {text:?}"))
}

/// Case 20: The same edits, then `--on-conflict keep-database`: exit 0, every edit as the
/// admin left it, nothing written, and the record keeps the file's values; then (see
/// [`kept_fields_stay_kept_until_the_file_changes`]) further runs leave them silently.
fn keep_database_leaves_every_edit_and_records_the_file_values(l: &dyn LayoutUnderTest) {
    let s = Setup::new(l);
    let (dir, url) = (s.dir(), s.url());
    load_ok(l, dir, url, &l.small());
    admin_edits(l, url, true);
    let edited = l.dump(url);
    let [devs, cats, apps, _, shots] = l.tables().map(|t| t.name);
    let sum = load(
        l,
        dir,
        url,
        &l.small(),
        &[
            "--on-conflict",
            "keep-database",
            "--json",
            "-q",
            "--no-log-file",
        ],
    )
    .expect(0)
    .json();
    assert_eq!(sum["rows_written"], 0, "{sum}");
    let conflicts = sum["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 5, "{sum}");
    assert!(
        conflicts
            .iter()
            .all(|c| c["resolution"] == "keep-database" && c["decided"] == false),
        "{sum}"
    );
    assert_eq!(l.dump(url), edited, "keep-database changed a row");
    assert_eq!(edit_state(l, url), admin_state(true));
    for (table, condition, column, file) in [
        (
            devs,
            "name_en = 'Lantern Labs'".to_string(),
            "website",
            FILE_WEBSITE,
        ),
        (
            apps,
            "name_en = 'Noor Reader'".to_string(),
            "short_description_en",
            FILE_SHORT,
        ),
        (
            cats,
            format!("{} = 'mushaf'", l.category_key()),
            "name_en",
            FILE_CATEGORY,
        ),
    ] {
        let kept = kept_of(url, table, &row_id(url, table, &condition));
        assert_eq!(kept, serde_json::json!({ column: file }), "{table}");
    }
    let added = row_id(
        url,
        shots,
        &format!("{} LIKE '%added_en%'", l.screenshot_image()),
    );
    let kept = kept_of(url, shots, &added);
    assert!(
        kept.as_object().is_some_and(|k| k.contains_key("*")),
        "the added screenshot is recorded as kept: {kept}"
    );

    kept_fields_stay_kept_until_the_file_changes(l, dir, url, true);
}

/// Case 21: [`keep_database_leaves_every_edit_and_records_the_file_values`] without the removed
/// link: the fields and the added screenshot kept stay kept, silently, until the file changes.
fn kept_values_stay_silent_until_the_file_changes(l: &dyn LayoutUnderTest) {
    let s = Setup::new(l);
    let (dir, url) = (s.dir(), s.url());
    load_ok(l, dir, url, &l.small());
    admin_edits(l, url, false);
    let edited = l.dump(url);
    let sum = load(
        l,
        dir,
        url,
        &l.small(),
        &[
            "--on-conflict",
            "keep-database",
            "--json",
            "-q",
            "--no-log-file",
        ],
    )
    .expect(0)
    .json();
    assert_eq!(sum["conflicts"].as_array().unwrap().len(), 4, "{sum}");
    assert_eq!(l.dump(url), edited);
    kept_fields_stay_kept_until_the_file_changes(l, dir, url, false);
}

/// After a keep-database run over [`admin_edits`]: a default run of the same file writes
/// nothing and names no conflict; a file that changes a field nobody else touched is applied
/// while the edits stay; a file that changes a kept field's value makes it a conflict again.
fn kept_fields_stay_kept_until_the_file_changes(
    l: &dyn LayoutUnderTest,
    dir: &Path,
    url: &str,
    removed_link: bool,
) {
    let kept = l.dump(url);
    let sum = load(l, dir, url, &l.small(), &["--json", "-q", "--no-log-file"])
        .expect(0)
        .json();
    assert_eq!(sum["outcome"], "unchanged", "{sum}");
    assert_eq!(sum["rows_written"], 0, "{sum}");
    assert_eq!(sum["conflicts"].as_array().map_or(0, Vec::len), 0, "{sum}");
    assert_eq!(l.dump(url), kept, "a run after keep-database wrote");

    // A field nobody else touched: applied, the edits stay.
    let untouched = small_with(l, dir, "untouched.json", |apps| {
        set_where(
            apps,
            "Name_En",
            "Tafsir Daily",
            "Short_Description_En",
            "Tafsir Daily, edited in the file",
        );
    });
    let before = l.rows(url);
    let sum = load(l, dir, url, &untouched, &["--json", "-q", "--no-log-file"])
        .expect(0)
        .json();
    assert_eq!(sum["rows_written"], 1, "{sum}");
    let changed = changed_rows(&before, &l.rows(url));
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(changed[0].0, l.table("apps").name);
    assert_eq!(
        changed[0].2.iter().map(String::as_str).collect::<Vec<_>>(),
        ["short_description_en", "updated_at"]
    );
    assert_eq!(edit_state(l, url), admin_state(removed_link));

    // A kept field whose file value changes: a conflict again.
    let website = "https://lantern.example.org/v2";
    let moved = small_with(l, dir, "kept-changed.json", |apps| {
        set_where(
            apps,
            "Name_En",
            "Tafsir Daily",
            "Short_Description_En",
            "Tafsir Daily, edited in the file",
        );
        set_where(
            apps,
            "Developer_Name_En",
            "Lantern Labs",
            "Developer_Website",
            website,
        );
    });
    let state = l.dump(url);
    let sum = load(l, dir, url, &moved, &["--json", "-q", "--no-log-file"])
        .expect(10)
        .json();
    assert_eq!(sum["conflicts"].as_array().unwrap().len(), 1, "{sum}");
    let c = conflict(&sum, l.table("developers").name, Some("website"));
    assert_eq!(
        (&c["database"], &c["file"]),
        (&Value::from(ADMIN_WEBSITE), &Value::from(website)),
        "{c}"
    );
    assert!(c["reason"].as_str().unwrap().contains("kept"), "{c}");
    assert_eq!(l.dump(url), state, "a refused load wrote");
}

/// Case 22: The same edits, then `--on-conflict use-file`: the file's values overwrite them,
/// and the run records each decision (`qa_load.runs.decisions`, `history --json`);
/// `rollback --last` restores the edited values and the ownership record byte for byte.
fn use_file_overwrites_records_the_decisions_and_rolls_back(l: &dyn LayoutUnderTest) {
    let s = Setup::new(l);
    let (dir, url) = (s.dir(), s.url());
    load_ok(l, dir, url, &l.small());
    admin_edits(l, url, true);
    let edited = l.dump(url);
    let record = owned(url);
    let sum = load(
        l,
        dir,
        url,
        &l.small(),
        &["--on-conflict", "use-file", "--json", "-q", "--no-log-file"],
    )
    .expect(0)
    .json();
    assert_eq!(sum["outcome"], "committed", "{sum}");
    let run_id = sum["run_id"].as_str().unwrap();
    let conflicts = sum["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 5, "{sum}");
    assert!(
        conflicts.iter().all(|c| c["resolution"] == "use-file"),
        "{sum}"
    );
    assert_eq!(
        edit_state(l, url),
        file_state(),
        "the file's values are written"
    );
    verify(l, dir, url, &l.small()).expect(0);

    let recorded: Value = serde_json::from_str(&common::scalar(
        url,
        &format!(
            "SELECT coalesce(decisions::text, 'null') FROM qa_load.runs WHERE id = '{run_id}'"
        ),
    ))
    .unwrap();
    let decisions = recorded
        .as_array()
        .unwrap_or_else(|| panic!("runs.decisions: {recorded}"));
    assert_eq!(decisions.len(), 5, "{recorded}");
    for c in conflicts {
        assert!(
            decisions.iter().any(|d| d["table"] == c["table"]
                && d["column"] == c["column"]
                && d["key"] == c["key"]
                && d["resolution"] == "use-file"),
            "{c} is not among the recorded decisions {recorded}"
        );
    }

    rollback(l, dir, url, &["--last"]).expect(0);
    assert_eq!(l.dump(url), edited, "rollback of the use-file run");
    assert_eq!(
        owned(url),
        record,
        "the ownership record after the rollback"
    );
    assert_eq!(edit_state(l, url), admin_state(true));

    let h = history(l, dir, url);
    let rec = h.iter().find(|r| r["id"] == run_id).unwrap();
    assert_eq!(rec["decisions"], recorded, "{rec}");
}

/// The decisions file `path` as JSON.
fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Case 23: Decisions files. `--write-decisions F` lists each conflict in the decisions format
/// (each "database"); with one entry turned to "file", `--decisions F` writes exactly that
/// field. Precedence: a field's decision over its row's (whichever comes first), a row named by
/// id alone, and a decision whose id and key name different rows names none. A malformed file
/// exits 2 before anything is written.
fn decisions_files_settle_conflicts_field_by_field(l: &dyn LayoutUnderTest) {
    let s = Setup::new(l);
    let (dir, url) = (s.dir(), s.url());
    load_ok(l, dir, url, &l.small());
    admin_edits(l, url, true);
    let edited = l.dump(url);
    let [devs, _, apps, _, _] = l.tables().map(|t| t.name);

    let file = dir.join("decisions.json");
    let f = file.to_str().unwrap();
    let sum = load(
        l,
        dir,
        url,
        &l.small(),
        &["--write-decisions", f, "--json", "-q", "--no-log-file"],
    )
    .expect(10)
    .json();
    assert_eq!(l.dump(url), edited);
    let mut written = read_json(&file);
    assert_eq!(written["qa_load_decisions"], 1, "{written}");
    let conflicts = sum["conflicts"].as_array().unwrap();
    let decisions = written["decisions"].as_array().unwrap();
    assert_eq!(decisions.len(), conflicts.len(), "{written}");
    for c in conflicts {
        assert!(
            decisions.iter().any(|d| d["table"] == c["table"]
                && d.get("column").unwrap_or(&Value::Null) == &c["column"]
                && d["key"] == c["key"]
                && d.get("id").unwrap_or(&Value::Null) == &c["id"]
                && d["use"] == "database"),
            "{c} is not in the decisions file {written}"
        );
    }
    for d in written["decisions"].as_array_mut().unwrap() {
        if d["table"] == apps && d["column"] == "short_description_en" {
            d["use"] = "file".into();
        }
    }
    std::fs::write(&file, serde_json::to_string_pretty(&written).unwrap()).unwrap();
    let before = l.rows(url);
    let sum = load(
        l,
        dir,
        url,
        &l.small(),
        &["--decisions", f, "--json", "-q", "--no-log-file"],
    )
    .expect(0)
    .json();
    assert!(
        sum["conflicts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["decided"] == true),
        "{sum}"
    );
    let changed = changed_rows(&before, &l.rows(url));
    assert_eq!(
        changed.len(),
        1,
        "exactly the field decided \"file\": {changed:?}"
    );
    assert_eq!(changed[0].0, apps);
    assert_eq!(
        changed[0].2.iter().map(String::as_str).collect::<Vec<_>>(),
        ["short_description_en", "updated_at"]
    );
    assert_eq!(
        edit_state(l, url),
        [ADMIN_WEBSITE, FILE_SHORT, ADMIN_CATEGORY, "1", "0"].map(str::to_string)
    );

    // Precedence, over new edits: two fields of Noor Reader, and two developers' websites.
    common::sql(
        url,
        &format!(
            "UPDATE {apps} SET short_description_en = 'second admin edit', description_en = 'admin long' \
             WHERE name_en = 'Noor Reader'; \
             UPDATE {devs} SET website = 'https://admin.example.org/bayan' WHERE name_en = 'Bayan Studio'; \
             UPDATE {devs} SET website = 'https://admin.example.org/mizan' WHERE name_en = 'Mizan Software'"
        ),
    );
    let listing = load(l, dir, url, &l.small(), &["--json", "-q", "--no-log-file"])
        .expect(10)
        .json();
    let app_key = conflict(&listing, apps, Some("short_description_en"))["key"].clone();
    let listed_devs: Vec<&Value> = listing["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["table"] == devs)
        .collect();
    let bayan_id = row_id(url, devs, "name_en = 'Bayan Studio'");
    let bayan = listed_devs
        .iter()
        .find(|c| id_text(&c["id"]) == bayan_id)
        .unwrap_or_else(|| panic!("Bayan Studio's website is listed: {listing}"));
    let mizan_id = row_id(url, devs, "name_en = 'Mizan Software'");
    let mizan = listed_devs
        .iter()
        .find(|c| id_text(&c["id"]) == mizan_id)
        .unwrap_or_else(|| panic!("Mizan Software's website is listed: {listing}"));
    let precedence = serde_json::json!({
        "qa_load_decisions": 1,
        "decisions": [
            { "table": apps, "key": app_key, "column": "short_description_en", "use": "file" },
            { "table": apps, "key": app_key, "use": "database" },
            { "table": devs, "id": bayan["id"], "use": "file" },
            { "table": devs, "id": bayan["id"], "key": mizan["key"], "column": "website", "use": "file" },
        ]
    });
    let pfile = dir.join("precedence.json");
    std::fs::write(&pfile, precedence.to_string()).unwrap();
    let r = load(
        l,
        dir,
        url,
        &l.small(),
        &[
            "--decisions",
            pfile.to_str().unwrap(),
            "--on-conflict",
            "keep-database",
            "--json",
            "--no-log-file",
        ],
    )
    .expect(0);
    let sum = r.json();
    let value = |table: &str, column: &str, name: &str| {
        common::scalar(
            url,
            &format!("SELECT {column} FROM {table} WHERE name_en = '{name}'"),
        )
    };
    assert_eq!(
        value(apps, "short_description_en", "Noor Reader"),
        FILE_SHORT,
        "the field's decision wins over the row's"
    );
    assert_eq!(
        value(apps, "description_en", "Noor Reader"),
        "admin long",
        "the row's decision for its other field"
    );
    assert_eq!(
        value(devs, "website", "Bayan Studio"),
        "https://bayan.example.org",
        "a row named by id alone"
    );
    assert_eq!(
        value(devs, "website", "Mizan Software"),
        "https://admin.example.org/mizan",
        "a decision whose id and key name different rows names neither: --on-conflict decides"
    );
    let m = sum["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["table"] == devs && id_text(&c["id"]) == mizan_id)
        .unwrap();
    assert_eq!(
        (&m["resolution"], &m["decided"]),
        (&Value::from("keep-database"), &Value::from(false)),
        "{m}"
    );
    assert!(
        r.stderr.contains("names no conflict of this load"),
        "{}",
        r.stderr
    );

    // Malformed decisions files: exit 2, naming the problem, before anything is written (and
    // before any connection: an unreachable database gives the same exit).
    let state = l.dump(url);
    let runs = load_runs(url);
    for (name, text, says) in [
        ("bad-json.json", "{\"qa_load_decisions\": 1, \"decisions\": [", "is not a decisions file"),
        ("version.json", "{\"qa_load_decisions\": 2, \"decisions\": []}", "version 2"),
        (
            "no-row.json",
            "{\"qa_load_decisions\": 1, \"decisions\": [{\"table\": \"apps\", \"use\": \"file\"}]}",
            "names no row: give \"id\" or \"key\"",
        ),
        (
            "unknown.json",
            "{\"qa_load_decisions\": 1, \"decisions\": [{\"table\": \"apps\", \"key\": \"x\", \"use\": \"file\", \"colour\": \"red\"}]}",
            "colour",
        ),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let p = path.to_str().unwrap();
        let r = load(l, dir, url, &l.small(), &["--decisions", p, "--no-log-file"]).expect(2);
        assert!(r.stderr.contains(says) && r.stderr.contains(name), "{name}: {says:?} not in\n{}", r.stderr);
        let r = load(
            l,
            dir,
            "postgres://nobody@127.0.0.1:1/nowhere",
            &l.small(),
            &["--decisions", p, "--no-log-file"],
        )
        .expect(2);
        assert!(r.stderr.contains(says), "{name}: {}", r.stderr);
    }
    assert_eq!(l.dump(url), state, "a malformed decisions file wrote");
    assert_eq!(
        load_runs(url),
        runs,
        "a malformed decisions file recorded a run"
    );
}

/// Case 24: Equal means equal: a database whose only differences from the file are spelling
/// (a URL with a space where the file has `%20`, '' where the file's value is stored as NULL or
/// the reverse, NFD text where the file has NFC) is the file's: a reload writes nothing and names
/// no conflict, and verify passes.
fn values_equal_but_spelt_differently_are_no_conflict(l: &dyn LayoutUnderTest) {
    let s = Setup::new(l);
    let (dir, url) = (s.dir(), s.url());
    let [devs, _, apps, _, _] = l.tables().map(|t| t.name);
    let input = small_with(l, dir, "spelling.json", |records| {
        set_where(
            records,
            "Developer_Name_En",
            "Lantern Labs",
            "Developer_Website",
            "https://lantern.example.org/our%20apps",
        );
        set_where(
            records,
            "Name_En",
            "Noor Reader",
            "Short_Description_En",
            "Caf\u{e9} Noor, a short description",
        );
    });
    load_ok(l, dir, url, &input);
    let gallery = l.gallery_column();
    common::sql(
        url,
        &format!(
            "UPDATE {devs} SET website = replace(website, '%20', ' ') WHERE name_en = 'Lantern Labs'; \
             UPDATE {apps} SET short_description_en = normalize(short_description_en, NFD), \
               {gallery} = CASE WHEN {gallery} IS NULL THEN '' ELSE NULL END \
             WHERE name_en = 'Noor Reader'"
        ),
    );
    assert_eq!(
        common::sql(
            url,
            &format!(
                "SELECT d.website, a.short_description_en IS NFC NORMALIZED, a.{gallery} FROM {apps} a \
                 JOIN {devs} d ON d.id = a.developer_id WHERE a.name_en = 'Noor Reader'"
            )
        )
        .into_iter()
        .next()
        .unwrap()
        .into_iter()
        .map(|v| v.unwrap_or_else(|| "NULL".into()))
        .collect::<Vec<_>>()[..2],
        [
            "https://lantern.example.org/our apps".to_string(),
            "f".into()
        ],
        "the database's spelling differs from the file's"
    );
    let spelt = l.dump(url);
    let sum = load(l, dir, url, &input, &["--json", "-q", "--no-log-file"])
        .expect(0)
        .json();
    assert_eq!(sum["outcome"], "unchanged", "{sum}");
    assert_eq!(sum["rows_written"], 0, "{sum}");
    assert_eq!(sum["conflicts"].as_array().map_or(0, Vec::len), 0, "{sum}");
    assert_eq!(
        l.dump(url),
        spelt,
        "a reload rewrote a value for its spelling"
    );
    let v = verify(l, dir, url, &input);
    assert_eq!(v.code, 0, "verify: {}", v.stdout);
}

/// Case 25: The upgrade from an earlier release, whose journal holds no after-values: a row
/// whose hash still matches the run's `after_hash` is adopted (the file's change to it is
/// applied, no conflict); a row changed since is one qa-load never wrote (a conflict, with no
/// last-written value).
fn a_journal_without_after_values_adopts_unchanged_rows(l: &dyn LayoutUnderTest) {
    let s = Setup::new(l);
    let (dir, url) = (s.dir(), s.url());
    load_ok(l, dir, url, &l.small());
    let [devs, _, apps, _, _] = l.tables().map(|t| t.name);
    common::sql(
        url,
        "UPDATE qa_load.journal SET afters = NULL, after_columns = NULL, kepts = NULL",
    );
    // `history --run` of such a run: the prior values only, and it says so.
    let first = history(l, dir, url)[0]["id"].as_str().unwrap().to_string();
    let shown = qa(dir, l.args(url, &["history", "--run", &first, "--json"]))
        .expect(0)
        .json();
    assert_eq!(shown["after_values_recorded"], false, "{shown}");
    let text = qa(dir, l.args(url, &["history", "--run", &first]))
        .expect(0)
        .stdout;
    assert!(
        text.contains("The values it wrote were not recorded"),
        "{text}"
    );
    common::sql(
        url,
        &format!("UPDATE {devs} SET website = '{ADMIN_WEBSITE}' WHERE name_en = 'Lantern Labs'"),
    );
    let changed = small_with(l, dir, "upgrade.json", |records| {
        set_where(
            records,
            "Name_En",
            "Tafsir Daily",
            "Short_Description_En",
            "Tafsir Daily, edited in the file",
        );
    });
    let before = l.dump(url);
    let sum = load(l, dir, url, &changed, &["--json", "-q", "--no-log-file"])
        .expect(10)
        .json();
    assert_eq!(l.dump(url), before);
    assert_eq!(
        sum["conflicts"].as_array().unwrap().len(),
        1,
        "only the changed row: {sum}"
    );
    let c = conflict(&sum, devs, Some("website"));
    assert_eq!(
        (&c["database"], &c["file"], &c["last_written"]),
        (
            &Value::from(ADMIN_WEBSITE),
            &Value::from(FILE_WEBSITE),
            &Value::Null
        ),
        "treated as never written: {c}"
    );
    assert!(c["reason"].as_str().unwrap().contains("never wrote"), "{c}");

    let sum = load(
        l,
        dir,
        url,
        &changed,
        &[
            "--on-conflict",
            "keep-database",
            "--json",
            "-q",
            "--no-log-file",
        ],
    )
    .expect(0)
    .json();
    assert_eq!(
        counts(&sum, "apps")[1],
        1,
        "the adopted app is updated: {sum}"
    );
    let value = |q: &str| common::scalar(url, q);
    assert_eq!(
        value(&format!(
            "SELECT short_description_en FROM {apps} WHERE name_en = 'Tafsir Daily'"
        )),
        "Tafsir Daily, edited in the file"
    );
    assert_eq!(
        value(&format!(
            "SELECT website FROM {devs} WHERE name_en = 'Lantern Labs'"
        )),
        ADMIN_WEBSITE
    );
    let tafsir = row_id(url, apps, "name_en = 'Tafsir Daily'");
    assert_eq!(
        value(&format!(
            "SELECT after->>'short_description_en' FROM qa_load.owned WHERE table_name = '{apps}' AND pk->>'id' = '{tafsir}'"
        )),
        "Tafsir Daily, edited in the file",
        "the record has the value written"
    );
}

/// Case 26: Concurrency: a row changed by another session after the load read it and before it
/// writes it is not overwritten: the load is held (a SHARE lock the test holds on the links
/// table stops its first link write, after the plan) while another session changes the
/// screenshot small-edited.json deletes (screenshots are not locked at read on either layout);
/// released, the load exits 10, naming the change, and writes nothing.
fn a_row_changed_between_plan_and_write_is_refused(l: &dyn LayoutUnderTest) {
    let s = Setup::new(l);
    let (dir, url) = (s.dir(), s.url());
    load_ok(l, dir, url, &l.small());
    let [_, _, apps, links, shots] = l.tables().map(|t| t.name);
    let image = l.screenshot_image();
    let gate = Held::open(url, "conformance-gate");
    gate.exec(&format!("BEGIN; LOCK TABLE {links} IN SHARE MODE"));
    let child = spawn(
        dir,
        &l.load_args(
            url,
            &l.edited(),
            &["--json", "--no-log-file", "--timeout", "60s"],
        ),
        &[],
    );
    wait_for(
        "the load to wait for the links table",
        Duration::from_secs(30),
        || {
            (common::scalar(
                url,
                &format!(
                    "SELECT count(*) FROM pg_locks k JOIN pg_stat_activity a ON a.pid = k.pid \
                     WHERE NOT k.granted AND k.relation = '{links}'::regclass \
                       AND a.application_name LIKE 'qa-load/%'"
                ),
            ) == "1")
                .then_some(())
        },
    );
    // The screenshot small-edited.json deletes (Tafsir Daily's second English one), changed
    // by someone else now, after the load's plan read it.
    let target = format!(
        "app_id = (SELECT id FROM {apps} WHERE name_en = 'Tafsir Daily') AND language = 'en' AND sort_order = 1"
    );
    common::sql(
        url,
        &format!("UPDATE {shots} SET {image} = {image} || '?changed-by-admin' WHERE {target}"),
    );
    let changed = l.dump(url);
    gate.exec("ROLLBACK");
    let r = finish(child).expect(10);
    assert!(
        r.stderr
            .contains("someone changed the rows while the load ran: nothing was written")
            // The hash re-check (django, READ COMMITTED), or the server's own refusal under
            // REPEATABLE READ (qa-load's layout).
            && (r.stderr.contains("since the plan read them")
                || r.stderr.contains("could not serialize access due to concurrent update")),
        "the refusal names the change:\n{}",
        r.stderr
    );
    assert_eq!(
        l.dump(url),
        changed,
        "the load overwrote or wrote something"
    );
    assert!(
        common::scalar(url, &format!("SELECT {image} FROM {shots} WHERE {target}"))
            .ends_with("?changed-by-admin")
    );
    assert_eq!(migration_lock(url), (0, 0));
}

/// Case 27: Identity: a developer renamed in the database is found again, not added twice: the
/// rename is a conflict on its name; with keep-database no developer row is inserted. Then
/// renamed and given another website (nothing of the natural key left): still found, by the id
/// the record holds.
fn a_developer_renamed_in_the_database_is_not_duplicated(l: &dyn LayoutUnderTest) {
    let s = Setup::new(l);
    let (dir, url) = (s.dir(), s.url());
    load_ok(l, dir, url, &l.small());
    let devs = l.table("developers").name;
    let id = row_id(url, devs, "name_en = 'Lantern Labs'");
    let renamed = "Lantern Labs (renamed by the admin)";
    common::sql(
        url,
        &format!("UPDATE {devs} SET name_en = '{renamed}' WHERE id = '{id}'"),
    );
    let figures = small_figures();
    // Each step's edit is the one conflict its default run names; keep-database then keeps it
    // (so the next step names only its own).
    for (step, column, database, file) in [
        ("renamed", "name_en", renamed, "Lantern Labs"),
        ("renamed and moved", "website", ADMIN_WEBSITE, FILE_WEBSITE),
    ] {
        if step == "renamed and moved" {
            common::sql(
                url,
                &format!("UPDATE {devs} SET website = '{ADMIN_WEBSITE}' WHERE id = '{id}'"),
            );
        }
        let before = l.dump(url);
        let r = load(l, dir, url, &l.small(), &["--json", "-q", "--no-log-file"]);
        assert_eq!(r.code, 10, "{step}: {}\n{}", r.stdout, r.stderr);
        let sum = r.json();
        assert_eq!(
            counts(&sum, "developers")[0],
            0,
            "{step}: no developer inserted: {sum}"
        );
        assert_eq!(
            sum["conflicts"].as_array().unwrap().len(),
            1,
            "{step}: {sum}"
        );
        let c = conflict(&sum, devs, Some(column));
        assert_eq!(
            (&c["database"], &c["file"], id_text(&c["id"])),
            (&Value::from(database), &Value::from(file), id.clone()),
            "{step}: {c}"
        );
        assert_eq!(l.dump(url), before);
        let sum = load(
            l,
            dir,
            url,
            &l.small(),
            &[
                "--on-conflict",
                "keep-database",
                "--json",
                "-q",
                "--no-log-file",
            ],
        )
        .expect(0)
        .json();
        assert_eq!(counts(&sum, "developers")[0], 0, "{step}: {sum}");
        assert_eq!(l.counts(url), figures, "{step}: rows in the tables");
        assert_eq!(
            common::sql(
                url,
                &format!("SELECT name_en, website FROM {devs} WHERE id = '{id}'")
            ),
            vec![vec![
                Some(renamed.to_string()),
                Some(
                    if step == "renamed" {
                        FILE_WEBSITE
                    } else {
                        ADMIN_WEBSITE
                    }
                    .to_string()
                )
            ]],
            "{step}"
        );
    }
}

conformance! {
    layouts {
        qa_load => QaLoad,
        django => Django,
    }
    cases {
        a_first_load_writes_the_fixture_figures,
        a_second_run_of_the_same_file_writes_nothing,
        an_edited_field_is_the_only_change_written,
        rollback_last_restores_the_tables_byte_for_byte,
        verify_passes_then_names_a_tampered_column,
        a_dry_run_writes_nothing_and_predicts_the_real_run,
        a_connection_killed_in_any_stage_changes_nothing,
        a_lost_commit_is_resolved_from_the_run_record,
        a_sigkilled_load_is_interrupted_and_changes_nothing,
        concurrent_loads_run_one_at_a_time,
        a_statement_past_the_timeout_is_cancelled_and_rolled_back,
        the_post_load_check_catches_a_row_altered_in_the_transaction,
        rows_the_input_does_not_name_are_left_as_they_are,
        rollback_refuses_dependent_runs_and_changed_rows_until_forced,
        invalid_input_exits_1_and_writes_nothing,
        on_existing_skip_only_adds_what_is_new,
        a_renamed_app_is_updated_not_duplicated,
        a_renamed_developer_loads_and_verifies,
        conflicts_refuse_the_load_and_name_each_edit,
        keep_database_leaves_every_edit_and_records_the_file_values,
        kept_values_stay_silent_until_the_file_changes,
        use_file_overwrites_records_the_decisions_and_rolls_back,
        decisions_files_settle_conflicts_field_by_field,
        values_equal_but_spelt_differently_are_no_conflict,
        a_journal_without_after_values_adopts_unchanged_rows,
        a_row_changed_between_plan_and_write_is_refused,
        a_developer_renamed_in_the_database_is_not_duplicated,
    }
}
