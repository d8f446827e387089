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

/// Case 3: One edited field: exactly one row updated, in that column (and its updated_at), nothing
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
/// the table, the column and both values.
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
            .contains(&format!("{column} is \"{value}\" in the database")),
        "{}",
        v.stdout
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("v.json")).unwrap()).unwrap();
    assert_eq!(report["ok"], false);
    let d = &report["differences"][0];
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
    }
}
