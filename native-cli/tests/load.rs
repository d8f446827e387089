//! Integration tests of qa-load against a real PostgreSQL (see tests/common).

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

fn counts(summary: &Value, table: &str) -> (u64, u64, u64, u64, u64) {
    let t = &summary["counts"][table];
    let g = |k: &str| {
        t[k].as_u64()
            .unwrap_or_else(|| panic!("{table}.{k} in {summary}"))
    };
    (
        g("inserted"),
        g("updated"),
        g("deleted"),
        g("unchanged"),
        g("skipped"),
    )
}

fn load(dir: &Path, url: &str, input: &Path, extra: &[&str]) -> Run {
    let mut args = vec![
        "--input",
        input.to_str().unwrap(),
        "--database",
        url,
        "--json",
        "-q",
    ];
    args.extend_from_slice(extra);
    run(dir, &args)
}

const TABLES: [&str; 5] = [
    "developers",
    "categories",
    "apps",
    "app_categories",
    "screenshots",
];

#[test]
fn real_data_loads_the_readme_figures_reloads_as_no_change_and_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = fresh_db();
    let input = real_apps_json(dir);
    let figures = readme_figures(&real_frontend().join("../README.md"));
    assert_eq!(figures.get("apps"), Some(&44), "{figures:?}");

    let first = load(dir, &db.url, &input, &["--log-file", "first.log"]).expect(0);
    let s = first.json();
    assert_eq!(s["outcome"], "committed");
    for table in TABLES {
        let want = figures[table] as u64;
        assert_eq!(counts(&s, table), (want, 0, 0, 0, 0), "{table}");
        assert_eq!(
            count(&db.url, table) as u64,
            want,
            "{table} rows in the database"
        );
    }
    assert_eq!(
        scalar(
            &db.url,
            "SELECT count(*) FROM screenshots WHERE language = 'ar'"
        ),
        "281"
    );
    assert_eq!(
        scalar(
            &db.url,
            "SELECT count(*) FROM screenshots WHERE language = 'en'"
        ),
        "282"
    );
    // The source id is kept, ids are deterministic UUID v5, features stay empty.
    assert_eq!(
        scalar(
            &db.url,
            "SELECT count(*) FROM apps WHERE source_id = '1_Wahy'"
        ),
        "1"
    );
    assert_eq!(
        scalar(
            &db.url,
            "SELECT count(DISTINCT substr(id::text, 15, 1)) FROM apps"
        ),
        "1"
    );
    assert_eq!(
        count(&db.url, "features") + count(&db.url, "app_features"),
        0
    );
    // The log names every migrated entity with its source id and UUID.
    let log = std::fs::read_to_string(dir.join("first.log")).unwrap();
    let wahy_id = scalar(&db.url, "SELECT id FROM apps WHERE source_id = '1_Wahy'");
    assert!(
        log.lines()
            .any(|l| l.contains("source_id=1_Wahy") && l.contains(&wahy_id)),
        "log lacks the app line"
    );
    assert_eq!(log.matches("qa_load::entity: app ").count(), 44);
    let dump1 = dump(&db.url);

    // Second run of the same file: nothing changes, and it says so.
    let second = run(
        dir,
        &[
            "--input",
            input.to_str().unwrap(),
            "--database",
            &db.url,
            "--no-log-file",
        ],
    )
    .expect(0);
    assert!(second.stdout.contains("No changes"), "{}", second.stdout);
    let again = load(dir, &db.url, &input, &["--no-log-file"])
        .expect(0)
        .json();
    assert_eq!(again["outcome"], "unchanged");
    assert_eq!(again["rows_written"], 0);
    for table in TABLES {
        assert_eq!(
            counts(&again, table).3 as usize,
            figures[table],
            "{table} unchanged"
        );
    }
    assert_eq!(dump(&db.url), dump1, "a no-change run changed data");

    // Verify passes and writes both reports.
    let v = verify(
        dir,
        &db.url,
        &input,
        &["--report-md", "v.md", "--report-json", "v.json"],
    )
    .expect(0);
    assert!(v.stdout.starts_with("PASS"), "{}", v.stdout);
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("v.json")).unwrap()).unwrap();
    assert_eq!(report["ok"], true);
    assert!(std::fs::read_to_string(dir.join("v.md"))
        .unwrap()
        .contains("PASS"));

    // A tampered field, a reordered screenshot and a stray developer are all caught.
    sql(
        &db.url,
        "UPDATE apps SET short_description_en = 'tampered' WHERE source_id = '1_Wahy'",
    );
    let v = verify(
        dir,
        &db.url,
        &input,
        &["--report-md", "v.md", "--report-json", "v.json"],
    )
    .expect(4);
    assert!(v.stdout.starts_with("FAIL: 1 difference"), "{}", v.stdout);
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("v.json")).unwrap()).unwrap();
    let d = &report["differences"][0];
    assert_eq!(
        (
            d["table"].as_str(),
            d["field"].as_str(),
            d["actual"].as_str()
        ),
        (Some("apps"), Some("short_description_en"), Some("tampered"))
    );
    sql(
        &db.url,
        "UPDATE screenshots SET sort_order = 99 WHERE id = (SELECT id FROM screenshots ORDER BY id LIMIT 1); \
         INSERT INTO developers (id, key, name_en) VALUES (gen_random_uuid(), 'nobody', 'Nobody')",
    );
    let v = verify(dir, &db.url, &input, &[]).expect(4);
    // The tampered field was written by the load: verify says it changed in the database since.
    for kind in [
        "missing",
        "unexpected",
        "orphan",
        "count",
        "changed-in-database",
    ] {
        assert!(
            v.stdout.contains(&format!("  {kind} ")),
            "{kind} not reported:\n{}",
            v.stdout
        );
    }
    assert!(std::fs::read_dir(dir).unwrap().any(|e| e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .starts_with("verify-")));
}

#[test]
fn real_data_edit_updates_only_what_changed_and_rollback_restores_it_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = fresh_db();
    let input = real_apps_json(dir);
    load(dir, &db.url, &input, &["--no-log-file"]).expect(0);
    let before = dump(&db.url);

    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&input).unwrap()).unwrap();
    let apps = doc["applicationsData"].as_array_mut().unwrap();
    apps[0]["Name_En"] = "Wahy Reader".into(); // renamed: new slug, found by source id
    apps[1]["Apps_Avg_Rating"] = 4.7.into();
    let en = apps[2]["screenshots_en"].as_array_mut().unwrap();
    en.pop();
    let edited = dir.join("edited.json");
    std::fs::write(&edited, serde_json::to_string(&doc).unwrap()).unwrap();

    let s = load(dir, &db.url, &edited, &["--no-log-file"])
        .expect(0)
        .json();
    assert_eq!(counts(&s, "apps"), (0, 2, 0, 42, 0));
    assert_eq!(counts(&s, "screenshots"), (0, 0, 1, 562, 0));
    assert_eq!(counts(&s, "developers"), (0, 0, 0, 33, 0));
    assert_eq!(counts(&s, "app_categories"), (0, 0, 0, 109, 0));
    assert_eq!(s["rows_written"], 3);
    assert_eq!(
        scalar(&db.url, "SELECT slug FROM apps WHERE source_id = '1_Wahy'"),
        "wahy-reader"
    );
    let wahy_links = scalar(&db.url, "SELECT count(*) FROM app_categories l JOIN apps a ON a.id = l.app_id WHERE a.source_id = '1_Wahy'");
    assert_eq!(wahy_links, "5", "links follow the renamed app");
    verify(dir, &db.url, &edited, &[]).expect(0);

    let r = run(
        dir,
        &[
            "rollback",
            "--last",
            "--database",
            &db.url,
            "--json",
            "--no-log-file",
        ],
    )
    .expect(0);
    let r = r.json();
    assert_eq!(r["rolled_back_run"], s["run_id"]);
    assert_eq!(
        dump(&db.url),
        before,
        "rollback did not restore the exact prior state"
    );
    verify(dir, &db.url, &input, &[]).expect(0);
}

#[test]
fn own_fixtures_load_edit_and_roll_back_step_by_step() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = fresh_db();
    let small = fixtures().join("small.json");
    let edited = fixtures().join("small-edited.json");
    let figures = readme_figures(&fixtures().join("README.md"));

    // Empty schema first, so that "before any load" is a dump too.
    run(
        dir,
        &["schema", "apply", "--database", &db.url, "--no-log-file"],
    )
    .expect(0);
    let empty = dump(&db.url);

    let s = load(
        dir,
        &db.url,
        &small,
        &["--batch-size", "2", "--no-log-file"],
    )
    .expect(0)
    .json();
    for table in TABLES {
        assert_eq!(counts(&s, table).0 as usize, figures[table], "{table}");
        assert_eq!(count(&db.url, table), figures[table], "{table}");
    }
    assert_eq!(
        s["batches"],
        2 + 4 + 3 * 3,
        "batches of 2: 3 developers, 7 categories, 5 apps x3 stages"
    );
    assert_eq!(
        scalar(
            &db.url,
            "SELECT avg_rating::text FROM apps WHERE slug = 'tafsir-daily'"
        ),
        "4.25"
    );
    assert_eq!(
        scalar(
            &db.url,
            "SELECT avg_rating IS NULL FROM apps WHERE slug = 'tajweed-coach'"
        ),
        "t"
    );
    assert_eq!(
        scalar(&db.url, "SELECT c.key FROM app_categories l JOIN categories c ON c.id = l.category_id JOIN apps a ON a.id = l.app_id WHERE a.slug = 'verse-tools'"),
        "tools",
        "the envelope's alias other=tools applies"
    );
    let loaded = dump(&db.url);

    // The edited input: exactly the changes the README lists.
    let e = load(dir, &db.url, &edited, &["--no-log-file"])
        .expect(0)
        .json();
    assert_eq!(counts(&e, "developers"), (1, 0, 0, 3, 0));
    assert_eq!(counts(&e, "categories"), (0, 0, 0, 7, 0));
    assert_eq!(counts(&e, "apps"), (1, 2, 0, 3, 0));
    assert_eq!(counts(&e, "app_categories"), (2, 0, 0, 8, 0));
    assert_eq!(counts(&e, "screenshots"), (2, 0, 1, 16, 0));
    let journal = scalar(
        &db.url,
        &format!(
            "SELECT count(*) FROM qa_load.journal_rows WHERE run_id = '{}'",
            e["run_id"].as_str().unwrap()
        ),
    );
    assert_eq!(journal, "9", "the journal holds exactly the rows written");
    let prior = scalar(
        &db.url,
        &format!(
            "SELECT before->>'avg_rating' FROM qa_load.journal_rows WHERE run_id = '{}' AND table_name = 'apps' AND before->>'slug' = 'verse-tools'",
            e["run_id"].as_str().unwrap()
        ),
    );
    assert_eq!(prior, "3.90", "the journal keeps the prior value");
    verify(dir, &db.url, &edited, &[]).expect(0);
    verify(dir, &db.url, &small, &[]).expect(4);

    // A rollback dry run says what it would restore and changes nothing.
    let edited_state = dump(&db.url);
    let d = run(
        dir,
        &[
            "rollback",
            "--last",
            "--dry-run",
            "--json",
            "--database",
            &db.url,
            "--no-log-file",
        ],
    )
    .expect(0);
    let d = d.json();
    assert_eq!(d["dry_run"], true);
    assert_eq!(d["rolled_back_run"], e["run_id"]);
    assert_eq!(d["tables"]["apps"]["deleted"], 1);
    assert_eq!(d["tables"]["apps"]["restored"], 2);
    assert_eq!(d["tables"]["screenshots"]["reinserted"], 1);
    assert_eq!(dump(&db.url), edited_state);

    // Roll back the edit, then the first load: byte-identical dumps each time.
    run(
        dir,
        &["rollback", "--last", "--database", &db.url, "--no-log-file"],
    )
    .expect(0);
    assert_eq!(dump(&db.url), loaded);
    run(
        dir,
        &["rollback", "--last", "--database", &db.url, "--no-log-file"],
    )
    .expect(0);
    assert_eq!(dump(&db.url), empty);
    let r = run(
        dir,
        &["rollback", "--last", "--database", &db.url, "--no-log-file"],
    )
    .expect(6);
    assert!(r.stderr.contains("nothing to roll back"), "{}", r.stderr);

    let h = history(dir, &db.url);
    assert_eq!(h.len(), 4, "{h:?}");
    assert_eq!(h.iter().filter(|r| r["kind"] == "rollback").count(), 2);
    assert!(h
        .iter()
        .filter(|r| r["kind"] == "load")
        .all(|r| r["rolled_back_by"].is_string()));
    assert!(h
        .iter()
        .all(|r| r["status"] == "committed" && r["finished_at"].is_string()));
    let load_run = h
        .iter()
        .find(|r| r["kind"] == "load" && r["counts"]["apps"]["inserted"] == 5)
        .unwrap();
    assert_eq!(load_run["dataset_checksum"].as_str().unwrap().len(), 64);
    let text = run(dir, &["history", "--database", &db.url])
        .expect(0)
        .stdout;
    assert!(
        text.contains("rolled back by") && text.contains("undid"),
        "{text}"
    );

    // Roll back by id is refused for a run already rolled back.
    let id = load_run["id"].as_str().unwrap();
    let r = run(
        dir,
        &[
            "rollback",
            "--run",
            id,
            "--database",
            &db.url,
            "--no-log-file",
        ],
    )
    .expect(6);
    assert!(r.stderr.contains("already rolled back"), "{}", r.stderr);
}

#[test]
fn an_injected_failure_in_a_late_batch_leaves_the_database_exactly_as_before() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = fresh_db();
    let input = real_apps_json(dir);

    // On an empty database: the schema stays (applied in its own transaction), the data does not.
    let r = run_env(
        dir,
        &[
            "--input",
            input.to_str().unwrap(),
            "--database",
            &db.url,
            "--no-log-file",
        ],
        &[("QA_LOAD_FAIL_AT", "batch:4")],
    )
    .expect(3);
    assert!(
        r.stderr.contains("load apps (batch 4/5) failed"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("rolled back"), "{}", r.stderr);
    for table in TABLES {
        assert_eq!(
            count(&db.url, table),
            0,
            "{table} after a failed first load"
        );
    }

    // Over loaded data, with an edited input and every late fault point.
    small_then(dir, &db.url);
    let before = dump(&db.url);
    let edited = fixtures().join("small-edited.json");
    for (fault, stage) in [
        ("batch:5", "load apps (batch 5/6)"),
        ("stage:screenshots", "load screenshots"),
        ("stage:post-check", "post-check"),
        ("stage:commit", "commit"),
    ] {
        let r = run_env(
            dir,
            &[
                "--input",
                edited.to_str().unwrap(),
                "--database",
                &db.url,
                "--batch-size",
                "1",
                "--log-file",
                "fail.log",
            ],
            &[("QA_LOAD_FAIL_AT", fault)],
        )
        .expect(3);
        assert!(
            r.stderr.contains(&format!("{stage} failed")),
            "{fault}: {}",
            r.stderr
        );
        assert_eq!(dump(&db.url), before, "{fault} left changes behind");
    }
    // A row altered inside the load's transaction (a trigger of the test's) is caught by the
    // post-load check: tests/conformance.rs, case 12, on every layout.
    let log = std::fs::read_to_string(dir.join("fail.log")).unwrap();
    assert!(
        log.contains("ERROR") && log.contains("stage=commit"),
        "the log records the failure and its stage"
    );

    // Every failed run is recorded as failed, with its stage.
    let h = history(dir, &db.url);
    let failed: Vec<_> = h.iter().filter(|r| r["status"] == "failed").collect();
    assert_eq!(failed.len(), 5, "{h:?}");
    assert!(failed.iter().any(|r| r["failed_stage"] == "post-check"
        && r["error"]
            .as_str()
            .unwrap()
            .contains("injected failure at stage post-check")));
    // A failed run has nothing to roll back.
    let id = failed[0]["id"].as_str().unwrap();
    let r = run(
        dir,
        &[
            "rollback",
            "--run",
            id,
            "--database",
            &db.url,
            "--no-log-file",
        ],
    )
    .expect(6);
    assert!(r.stderr.contains("changed nothing"), "{}", r.stderr);

    // And afterwards a clean run goes through.
    load(dir, &db.url, &edited, &["--no-log-file"]).expect(0);
}

#[test]
fn a_statement_refused_by_the_server_mid_pipeline_is_reported_and_nothing_is_written() {
    // No test faults: the writes are pipelined (several statements in flight). A constraint the
    // database adds refuses one screenshot of an early app: that statement fails, the ones sent
    // after it fail with the aborted transaction, and the first failure is the one reported.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = fresh_db();
    let input = real_apps_json(dir);
    run(
        dir,
        &["schema", "apply", "--database", &db.url, "--no-log-file"],
    )
    .expect(0);
    let m: Value = serde_json::from_str(&std::fs::read_to_string(&input).unwrap()).unwrap();
    let apps = m["applicationsData"].as_array().unwrap();
    // The first app with an English screenshot (app order is the input's: the real data's
    // first app has them), refused on its first one: batch `first + 1` fails, with the later
    // batches already sent.
    let first = apps
        .iter()
        .position(|a| {
            a["screenshots_en"]
                .as_array()
                .is_some_and(|s| !s.is_empty())
        })
        .unwrap();
    let url = apps[first]["screenshots_en"][0]
        .as_str()
        .unwrap()
        .trim()
        .replace(' ', "%20");
    sql(
        &db.url,
        &format!(
            "ALTER TABLE screenshots ADD CONSTRAINT refuse_one CHECK (url <> '{}')",
            url.replace('\'', "''")
        ),
    );
    let r = run(
        dir,
        &[
            "--input",
            input.to_str().unwrap(),
            "--database",
            &db.url,
            "--batch-size",
            "1",
            "--no-log-file",
        ],
    )
    .expect(3);
    let stage = format!("load screenshots (batch {}/{})", first + 1, apps.len());
    assert!(
        r.stderr.contains(&format!("{stage} failed")) && r.stderr.contains("refuse_one"),
        "{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("current transaction is aborted"),
        "the first failure is reported, not the aborted statements after it: {}",
        r.stderr
    );
    for table in TABLES {
        assert_eq!(count(&db.url, table), 0, "{table} after the refused load");
    }
    let h = history(dir, &db.url);
    assert_eq!(h.len(), 1, "{h:?}");
    assert_eq!(h[0]["status"], "failed");
    assert_eq!(h[0]["failed_stage"], stage.as_str(), "{h:?}");
}

fn small_then(dir: &Path, url: &str) {
    load(dir, url, &fixtures().join("small.json"), &["--no-log-file"]).expect(0);
}

#[test]
fn a_concurrent_run_is_refused_naming_the_holder_and_wait_queues_behind_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = fresh_db();
    small_then(dir, &db.url);
    let edited = fixtures().join("small-edited.json");
    let edited = edited.to_str().unwrap();

    // Run A stalls inside its transaction after its first app batch, until its timeout.
    let a = qa_load(dir)
        .args([
            "--input",
            edited,
            "--database",
            &db.url,
            "--timeout",
            "6s",
            "--batch-size",
            "1",
            "--no-log-file",
        ])
        .env("QA_LOAD_FAIL_AT", "stall:batch:1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let holder = loop {
        let rows = sql(
            &db.url,
            "SELECT application_name, pid FROM pg_stat_activity WHERE datname = current_database() \
             AND application_name LIKE 'qa-load/%' AND query LIKE '%pg_sleep%'",
        );
        if let Some(r) = rows.into_iter().next() {
            break (r[0].clone().unwrap(), r[1].clone().unwrap());
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "run A never reached its stall"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let a_run_id = holder.0.trim_start_matches("qa-load/").to_string();

    // B fails fast, naming A's run id, pid and application name.
    let t = Instant::now();
    let b = run(
        dir,
        &["--input", edited, "--database", &db.url, "--no-log-file"],
    )
    .expect(5);
    assert!(t.elapsed() < Duration::from_secs(4), "B did not fail fast");
    for needle in [&a_run_id, &holder.1, &holder.0] {
        assert!(
            b.stderr.contains(needle.as_str()),
            "B's message lacks {needle}: {}",
            b.stderr
        );
    }
    assert!(b.stderr.contains("--wait"), "{}", b.stderr);
    // So do a rollback and a schema apply.
    run(
        dir,
        &["rollback", "--last", "--database", &db.url, "--no-log-file"],
    )
    .expect(5);

    // C waits for A; A times out (its pg_sleep cancelled, its transaction rolled back); C loads.
    let c = qa_load(dir)
        .args([
            "--input",
            edited,
            "--database",
            &db.url,
            "--wait",
            "--timeout",
            "60s",
            "--json",
            "--no-log-file",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let a: Run = a.wait_with_output().unwrap().into();
    let a = a.expect(3);
    assert!(a.stderr.contains("timed out after 6s"), "{}", a.stderr);
    assert!(a.stderr.contains("load apps (batch 1/6)"), "{}", a.stderr);
    let c: Run = c.wait_with_output().unwrap().into();
    let c = c.expect(0);
    assert!(
        c.stderr.contains("waiting for the migration lock"),
        "{}",
        c.stderr
    );
    assert_eq!(
        counts(&c.json(), "apps"),
        (1, 2, 0, 3, 0),
        "C saw the state A left: unchanged"
    );
    assert_eq!(
        scalar(
            &db.url,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND query LIKE '%pg_sleep(3600)%' AND pid <> pg_backend_pid()"
        ),
        "0",
        "A's statement was cancelled on the server"
    );
    let h = history(dir, &db.url);
    let a_rec = h.iter().find(|r| r["id"] == a_run_id.as_str()).unwrap();
    assert_eq!(a_rec["status"], "failed");
}

#[test]
fn dry_run_writes_nothing_and_predicts_the_real_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let small = fixtures().join("small.json");
    let edited = fixtures().join("small-edited.json");

    // Without a database: validate and print the plan.
    let r = run(
        dir,
        &[
            "--input",
            small.to_str().unwrap(),
            "--dry-run",
            "--no-log-file",
        ],
    )
    .expect(0);
    assert!(
        r.stdout.contains("DRY RUN without a database"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("app       noor-reader (source 1_Noor_Reader)"),
        "{}",
        r.stdout
    );
    assert!(r
        .stdout
        .contains("3 developers, 7 categories, 5 apps, 8 app-category links, 17 screenshots"));

    // With an empty database: not even the schema is left behind.
    let db = fresh_db();
    let d = load(dir, &db.url, &small, &["--dry-run", "--no-log-file"])
        .expect(0)
        .json();
    assert_eq!(d["outcome"], "dry-run");
    assert_eq!(counts(&d, "apps"), (5, 0, 0, 0, 0));
    assert_eq!(
        d["schema_applied"],
        serde_json::json!([
            "bookkeeping 1",
            "bookkeeping 2",
            "bookkeeping 3",
            "qa-load 1"
        ])
    );
    assert_eq!(scalar(&db.url, "SELECT to_regclass('apps') IS NULL AND to_regclass('qa_load.runs') IS NULL AND to_regclass('qa_load.schema_migrations') IS NULL"), "t");

    // Over loaded data: the dry run's figures are exactly the real run's, and nothing changes.
    small_then(dir, &db.url);
    let before = dump(&db.url);
    let runs_before = count(&db.url, "qa_load.runs");
    let journal_before = count(&db.url, "qa_load.journal");
    let text = run(
        dir,
        &[
            "--input",
            edited.to_str().unwrap(),
            "--database",
            &db.url,
            "--dry-run",
            "--no-log-file",
        ],
    )
    .expect(0);
    assert!(
        text.stdout
            .contains("insert    app qibla-compass (source 6_Qibla_Compass)"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("update    app noor-reader (source 1_Noor_Reader)"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("short_description_en"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("delete    screenshot tafsir-daily en #1"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("unchanged app little-huffaz")
            || text.stdout.contains("unchanged app tajweed-coach"),
        "{}",
        text.stdout
    );
    let dry = load(dir, &db.url, &edited, &["--dry-run", "--no-log-file"])
        .expect(0)
        .json();
    assert_eq!(dump(&db.url), before, "a dry run changed data");
    assert_eq!(
        count(&db.url, "qa_load.runs"),
        runs_before,
        "a dry run recorded a run"
    );
    assert_eq!(
        count(&db.url, "qa_load.journal"),
        journal_before,
        "a dry run left a journal"
    );
    let real = load(dir, &db.url, &edited, &["--no-log-file"])
        .expect(0)
        .json();
    assert_eq!(
        dry["counts"], real["counts"],
        "the dry run predicted a different result"
    );
}

#[test]
fn invalid_input_exits_1_before_any_transaction_and_usage_errors_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = fresh_db();
    let invalid = fixtures().join("invalid.json");
    let r = run(
        dir,
        &[
            "--input",
            invalid.to_str().unwrap(),
            "--database",
            &db.url,
            "--report",
            "report.json",
        ],
    )
    .expect(1);
    for code in ["E010", "E012", "E015"] {
        assert!(
            r.stderr.contains(code),
            "{code} missing from the printed report:\n{}",
            r.stderr
        );
    }
    assert!(r.stderr.contains("validate failed"), "{}", r.stderr);
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["errors"], 3);
    assert_eq!(
        scalar(&db.url, "SELECT to_regclass('apps') IS NULL"),
        "t",
        "no schema, no transaction"
    );

    // An alias can fix an unknown category, as in extract.
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("small.json")).unwrap())
            .unwrap();
    doc["applicationsData"][2]["categories"] = serde_json::json!(["poetry"]);
    let p = dir.join("poetry.json");
    std::fs::write(&p, doc.to_string()).unwrap();
    run(
        dir,
        &["--input", p.to_str().unwrap(), "--dry-run", "--no-log-file"],
    )
    .expect(1);
    run(
        dir,
        &[
            "--input",
            p.to_str().unwrap(),
            "--dry-run",
            "--no-log-file",
            "--alias",
            "poetry=tools",
        ],
    )
    .expect(0);

    // Unreadable and undecodable input: exit 1, stage named.
    let r = run(dir, &["--input", "no-such-file.json", "--dry-run"]).expect(1);
    assert!(r.stderr.contains("extract failed"), "{}", r.stderr);
    std::fs::write(
        dir.join("broken.json"),
        "{\"format\": \"qad-migrate/apps\", ",
    )
    .unwrap();
    let r = run(
        dir,
        &["--input", "broken.json", "--dry-run", "--no-log-file"],
    )
    .expect(1);
    assert!(r.stderr.contains("E001"), "{}", r.stderr);

    // Usage errors.
    run(dir, &[]).expect(2);
    run(dir, &["--input", "x.json", "--batch-size", "0"]).expect(2);
    run(dir, &["--input", "x.json", "--on-existing", "merge"]).expect(2);
    run(
        dir,
        &[
            "--input",
            p.to_str().unwrap(),
            "--dry-run",
            "--alias",
            "poetry",
        ],
    )
    .expect(2);
    run(
        dir,
        &["rollback", "--run", "nonsense", "--database", &db.url],
    )
    .expect(2);
    let r = run(
        dir,
        &[
            "--input",
            p.to_str().unwrap(),
            "--alias",
            "poetry=tools",
            "--database",
            "postgres://u:secret@h:notaport/db",
        ],
    )
    .expect(2);
    // (The URL's port is not a number.) The message names where the string came from, never
    // the string itself.
    assert!(
        r.stderr
            .contains("the connection string from --database is not valid")
            && !r.stderr.contains("secret"),
        "{}",
        r.stderr
    );
    let r = run(
        dir,
        &[
            "--input",
            p.to_str().unwrap(),
            "--alias",
            "poetry=tools",
            "--database",
            "postgres://u@h/db?sslmode=sometimes",
        ],
    )
    .expect(2);
    assert!(r.stderr.contains("sslmode"), "{}", r.stderr);
    let r = run_env(
        dir,
        &["--input", p.to_str().unwrap(), "--dry-run"],
        &[("QA_LOAD_FAIL_AT", "nowhere")],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);

    // Help is there for every command.
    let h = run(dir, &["--help"]).expect(0);
    for needle in [
        "--input",
        "--dry-run",
        "--on-existing",
        "--batch-size",
        "--timeout",
        "--wait",
        "--backup",
        "Exit codes",
        "schema",
        "rollback",
        "history",
        "verify",
    ] {
        assert!(h.stdout.contains(needle), "--help lacks {needle}");
    }
    for sub in [
        &["schema", "--help"][..],
        &["schema", "apply", "--help"],
        &["schema", "status", "--help"],
        &["rollback", "--help"],
        &["history", "--help"],
        &["verify", "--help"],
    ] {
        let h = run(dir, sub).expect(0);
        assert!(h.stdout.contains("Usage"), "{sub:?}");
    }
}

#[test]
fn passwords_never_appear_in_any_output() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = fresh_db();
    // A role of our own with a long random password, so that any leak is unmistakable.
    let role = format!("qa_pw_{}", rand_suffix());
    let password = format!("Pw{}{}", rand_suffix(), rand_suffix());
    sql(
        &db.url,
        &format!("CREATE ROLE {role} LOGIN SUPERUSER PASSWORD '{password}'"),
    );
    let rest = db.url.split_once('@').unwrap().1;
    let db = TestDb {
        url: format!("postgres://{role}:{password}@{rest}"),
        name: db.name,
    };
    let small = fixtures().join("small.json");
    let mut all = String::new();
    for args in [
        vec![
            "--input",
            small.to_str().unwrap(),
            "--database",
            &db.url,
            "-vv",
            "--log-file",
            "a.log",
        ],
        vec![
            "--input",
            small.to_str().unwrap(),
            "--database",
            &db.url,
            "-vv",
            "--dry-run",
            "--log-file",
            "b.log",
        ],
        vec!["history", "--database", &db.url, "-vv"],
        vec!["schema", "status", "--database", &db.url, "-vv"],
        vec![
            "rollback",
            "--last",
            "--database",
            &db.url,
            "-vv",
            "--log-file",
            "c.log",
        ],
        vec![
            "verify",
            "--input",
            small.to_str().unwrap(),
            "--database",
            &db.url,
            "-vv",
            "--report-md",
            "v.md",
            "--report-json",
            "v.json",
        ],
    ] {
        let r = run(dir, &args);
        assert!(r.code == 0 || r.code == 4, "{args:?}: {}", r.stderr);
        all.push_str(&r.stdout);
        all.push_str(&r.stderr);
    }
    // Through the environment too, and with a wrong password.
    let r = run_env(dir, &["history"], &[("DATABASE_URL", &db.url)]).expect(0);
    all.push_str(&r.stdout);
    let wrong = db.url.replace(&password, "wrong-secret-123456");
    let r = run(dir, &["history", "--database", &wrong]).expect(5);
    assert!(
        r.stderr.contains("password authentication failed"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("wrong-secret-123456"), "{}", r.stderr);
    for f in ["a.log", "b.log", "c.log", "v.md", "v.json"] {
        all.push_str(&std::fs::read_to_string(dir.join(f)).unwrap());
    }
    all.push_str(
        &sql(
            &db.url,
            "SELECT string_agg(options::text, ' ') FROM qa_load.runs",
        )[0][0]
            .clone()
            .unwrap_or_default(),
    );
    assert!(all.contains(&format!("{role}@")), "outputs name the target");
    assert!(
        !all.contains(&password),
        "the password appeared in an output"
    );
}

#[test]
fn the_schema_is_versioned_applied_on_demand_and_protected() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = fresh_db();
    let r = run(dir, &["schema", "status", "--database", &db.url, "--json"]).expect(0);
    let pending: Vec<(String, serde_json::Value)> = r.json()["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["component"].as_str().unwrap().to_string(),
                c["pending"].clone(),
            )
        })
        .collect();
    assert_eq!(
        pending,
        vec![
            ("bookkeeping".to_string(), serde_json::json!([1, 2, 3])),
            ("qa-load".to_string(), serde_json::json!([1]))
        ]
    );
    let r = run(dir, &["schema", "status", "--database", &db.url]).expect(0);
    assert!(
        r.stdout.contains("qa-load schema version 0 of 1 (behind)"),
        "{}",
        r.stdout
    );
    // History is empty before the bookkeeping exists.
    let r = run(dir, &["history", "--database", &db.url]).expect(0);
    assert!(r.stdout.contains("No runs recorded"), "{}", r.stdout);
    // A load brings the schema up to date by itself.
    let s = load(
        dir,
        &db.url,
        &fixtures().join("small.json"),
        &["--no-log-file"],
    )
    .expect(0)
    .json();
    assert_eq!(
        s["schema_applied"],
        serde_json::json!([
            "bookkeeping 1",
            "bookkeeping 2",
            "bookkeeping 3",
            "qa-load 1"
        ])
    );
    assert_eq!(s["layout"], "qa-load");
    let r = run(dir, &["schema", "status", "--database", &db.url]).expect(0);
    for line in [
        "bookkeeping schema version 3 of 3 (up to date)",
        "qa-load schema version 1 of 1 (up to date)",
    ] {
        assert!(r.stdout.contains(line), "{line}: {}", r.stdout);
    }
    // qa-load's bookkeeping lives in its own schema, apart from the data tables.
    assert_eq!(
        scalar(&db.url, "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'qa_load'"),
        "journal,journal_rows,owned,runs,schema_migrations"
    );
    assert_eq!(
        scalar(&db.url, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE 'qa_load%'"),
        "0"
    );
    let r = run(
        dir,
        &["schema", "apply", "--database", &db.url, "--no-log-file"],
    )
    .expect(0);
    assert!(r.stdout.contains("nothing to apply"), "{}", r.stdout);
    // The constraints the directory relies on are there.
    for (sql_text, what) in [
        ("UPDATE apps SET avg_rating = 5.5", "avg_rating CHECK"),
        (
            "INSERT INTO app_categories SELECT app_id, category_id, 9 FROM app_categories LIMIT 1",
            "link primary key",
        ),
        (
            "UPDATE apps SET developer_id = gen_random_uuid()",
            "developer foreign key",
        ),
        ("UPDATE apps SET slug = 'same'", "unique slug"),
        ("UPDATE screenshots SET language = 'fr'", "language CHECK"),
        ("UPDATE apps SET name_ar = NULL", "NOT NULL name_ar"),
    ] {
        let r = std::panic::catch_unwind(|| sql(&db.url, sql_text));
        assert!(r.is_err(), "{what} is not enforced");
    }
    let idx = scalar(&db.url, "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE tablename IN ('apps', 'app_categories')");
    for name in [
        "apps_name_en_idx",
        "apps_developer_id_idx",
        "app_categories_category_id_idx",
        "apps_slug_key",
        "apps_source_id_key",
    ] {
        assert!(idx.contains(name), "{name} missing: {idx}");
    }
    // An applied migration edited afterwards: loads are refused (exit 6).
    let v1 = scalar(
        &db.url,
        "SELECT checksum FROM qa_load.schema_migrations WHERE component = 'qa-load' AND version = 1",
    );
    sql(
        &db.url,
        "UPDATE qa_load.schema_migrations SET checksum = 'x' WHERE component = 'qa-load' AND version = 1",
    );
    let r = load(
        dir,
        &db.url,
        &fixtures().join("small.json"),
        &["--no-log-file"],
    )
    .expect(6);
    assert!(
        r.stderr.contains("edited after it was applied"),
        "{}",
        r.stderr
    );
    run(dir, &["schema", "status", "--database", &db.url]).expect(6);
    // A newer qa-load's version: refused too.
    sql(
        &db.url,
        &format!("UPDATE qa_load.schema_migrations SET checksum = '{v1}' WHERE component = 'qa-load' AND version = 1"),
    );
    run(dir, &["schema", "status", "--database", &db.url]).expect(0);
    sql(&db.url, "INSERT INTO qa_load.schema_migrations (component, version, name, checksum, tool_version, execution_ms) VALUES ('qa-load', 99, 'future', 'y', '9.9', 1)");
    let r = run(
        dir,
        &["schema", "apply", "--database", &db.url, "--no-log-file"],
    )
    .expect(6);
    assert!(r.stderr.contains("newer qa-load"), "{}", r.stderr);
}

#[test]
fn rollback_refuses_when_later_runs_depend_on_it_or_rows_changed_since() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = fresh_db();
    let first = load(
        dir,
        &db.url,
        &fixtures().join("small.json"),
        &["--no-log-file"],
    )
    .expect(0)
    .json();
    let second = load(
        dir,
        &db.url,
        &fixtures().join("small-edited.json"),
        &["--no-log-file"],
    )
    .expect(0)
    .json();
    let first_id = first["run_id"].as_str().unwrap();
    let second_id = second["run_id"].as_str().unwrap();
    let r = run(
        dir,
        &[
            "rollback",
            "--run",
            first_id,
            "--database",
            &db.url,
            "--no-log-file",
        ],
    )
    .expect(6);
    assert!(
        r.stderr.contains("later run(s) depend") && r.stderr.contains(second_id),
        "{}",
        r.stderr
    );

    // A row the last run wrote, changed by someone else since: refused, then --force.
    let before_second = {
        let r = run(
            dir,
            &["rollback", "--last", "--database", &db.url, "--no-log-file"],
        )
        .expect(0);
        assert!(r.stdout.contains(second_id));
        dump(&db.url)
    };
    let again = load(
        dir,
        &db.url,
        &fixtures().join("small-edited.json"),
        &["--no-log-file"],
    )
    .expect(0)
    .json();
    sql(
        &db.url,
        "UPDATE apps SET name_ar = 'تعديل يدوي' WHERE slug = 'qibla-compass'",
    );
    let r = run(
        dir,
        &["rollback", "--last", "--database", &db.url, "--no-log-file"],
    )
    .expect(6);
    assert!(
        r.stderr.contains("changed since run") && r.stderr.contains("--force"),
        "{}",
        r.stderr
    );
    // A screenshot added by hand to an app the run inserted: also drift.
    sql(&db.url, "INSERT INTO screenshots (id, app_id, language, url, sort_order) SELECT gen_random_uuid(), id, 'ar', 'https://x.example/y.png', 7 FROM apps WHERE slug = 'qibla-compass'");
    let r = run(
        dir,
        &["rollback", "--last", "--database", &db.url, "--no-log-file"],
    )
    .expect(6);
    assert!(
        r.stderr
            .contains("refers to a row of apps the run inserted"),
        "{}",
        r.stderr
    );
    let r = run(
        dir,
        &[
            "rollback",
            "--last",
            "--force",
            "--database",
            &db.url,
            "--json",
            "--no-log-file",
        ],
    )
    .expect(0);
    assert_eq!(r.json()["rolled_back_run"], again["run_id"]);
    assert_eq!(dump(&db.url), before_second);
}

#[test]
fn on_existing_skip_leaves_existing_rows_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = fresh_db();
    small_then(dir, &db.url);
    let before = dump(&db.url);
    let s = load(
        dir,
        &db.url,
        &fixtures().join("small-edited.json"),
        &["--on-existing", "skip", "--no-log-file"],
    )
    .expect(0)
    .json();
    assert_eq!(counts(&s, "apps"), (1, 0, 0, 3, 2));
    assert_eq!(counts(&s, "developers"), (1, 0, 0, 3, 0));
    assert_eq!(counts(&s, "screenshots"), (2, 0, 0, 16, 1));
    assert_eq!(counts(&s, "app_categories"), (1, 0, 0, 8, 1));
    assert_eq!(
        scalar(
            &db.url,
            "SELECT avg_rating::text FROM apps WHERE slug = 'verse-tools'"
        ),
        "3.90"
    );
    assert_eq!(count(&db.url, "apps"), 6);
    // Rolling it back gives the data before it.
    run(
        dir,
        &["rollback", "--last", "--database", &db.url, "--no-log-file"],
    )
    .expect(0);
    assert_eq!(dump(&db.url), before);
}

#[test]
fn an_input_row_the_database_has_as_two_rows_is_refused_exit_6() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = fresh_db();
    small_then(dir, &db.url);
    // Noor Reader's slug now names one row and its source id another.
    sql(
        &db.url,
        "UPDATE apps SET source_id = 'elsewhere' WHERE slug = 'noor-reader'; \
         UPDATE apps SET source_id = '1_Noor_Reader' WHERE slug = (SELECT min(slug) FROM apps WHERE slug <> 'noor-reader')",
    );
    let before = dump(&db.url);
    let r = load(
        dir,
        &db.url,
        &fixtures().join("small.json"),
        &["--no-log-file"],
    )
    .expect(6);
    assert!(
        r.stderr.contains("plan failed: the plan is refused:"),
        "{}",
        r.stderr
    );
    assert_eq!(dump(&db.url), before, "nothing written");
}

#[test]
fn backup_runs_pg_dump_before_loading() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = fresh_db();
    small_then(dir, &db.url);
    let s = load(
        dir,
        &db.url,
        &fixtures().join("small-edited.json"),
        &["--backup", "before.sql", "--no-log-file"],
    )
    .expect(0)
    .json();
    assert_eq!(s["backup"], "before.sql");
    let sql_text = std::fs::read_to_string(dir.join("before.sql")).unwrap();
    assert!(
        sql_text.contains("COPY public.apps"),
        "not a pg_dump of the data"
    );
    assert!(
        sql_text.contains("Verse Tools") && !sql_text.contains("Qibla Compass"),
        "the backup is not from before the load"
    );
    // A backup that cannot be written stops the load before anything changes (exit 5).
    let before = dump(&db.url);
    run(
        dir,
        &[
            "--input",
            fixtures().join("small.json").to_str().unwrap(),
            "--database",
            &db.url,
            "--backup",
            "no/such/dir/x.dump",
            "--no-log-file",
        ],
    )
    .expect(5);
    assert_eq!(dump(&db.url), before);
}

#[test]
fn unreachable_database_exits_5() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let r = run(
        dir,
        &[
            "--input",
            fixtures().join("small.json").to_str().unwrap(),
            "--database",
            "postgres://u:p@127.0.0.1:1/db",
            "--no-log-file",
        ],
    )
    .expect(5);
    assert!(
        r.stderr.contains("connect failed") && r.stderr.contains("u@127.0.0.1:1/db"),
        "{}",
        r.stderr
    );
    // The PG* variables alone are enough to name a target.
    let r = run_env(
        dir,
        &["history"],
        &[
            ("PGHOST", "127.0.0.1"),
            ("PGPORT", "1"),
            ("PGUSER", "someone"),
            ("PGDATABASE", "d"),
        ],
    )
    .expect(5);
    assert!(r.stderr.contains("someone@127.0.0.1:1/d"), "{}", r.stderr);
}

#[test]
fn tls_modes_mean_what_libpq_means() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let s = own_cluster();
    let tls_dir = s.dir.as_ref().unwrap().join("tls");
    let ca = tls_dir.join("ca.crt");
    let wrong = tls_dir.join("server.crt");
    // qad_test_tls may connect over TLS only (pg_hba: hostnossl ... reject).
    let by_ip = s.admin_url.replacen("qad_test:", "qad_test_tls:", 1);
    let by_name = by_ip.replacen("@127.0.0.1:", "@localhost:", 1);
    let status = |url: String, extra: &[&str], env: &[(&str, &str)]| -> Run {
        let mut args = vec!["schema", "status", "--database", url.as_str()];
        args.extend_from_slice(extra);
        run_env(dir, &args, env)
    };
    let ca_s = ca.to_str().unwrap();
    let wrong_s = wrong.to_str().unwrap();

    let r = status(format!("{by_ip}?sslmode=disable"), &[], &[]).expect(5);
    assert!(
        r.stderr.contains("no encryption") || r.stderr.contains("pg_hba"),
        "{}",
        r.stderr
    );
    // require: encrypted, the throw-away CA is unknown and not checked (as with Railway).
    status(format!("{by_ip}?sslmode=require"), &[], &[]).expect(0);
    // prefer (the default) negotiates TLS when the server offers it.
    status(by_ip.clone(), &[], &[]).expect(0);
    // verify-full needs a root certificate ...
    let r = status(format!("{by_name}?sslmode=verify-full"), &[], &[]).expect(5);
    assert!(r.stderr.contains("--root-cert"), "{}", r.stderr);
    // ... and then checks chain and host name.
    status(
        format!("{by_name}?sslmode=verify-full"),
        &["--root-cert", ca_s],
        &[],
    )
    .expect(0);
    let r = status(
        format!("{by_ip}?sslmode=verify-full"),
        &["--root-cert", ca_s],
        &[],
    )
    .expect(5);
    assert!(
        r.stderr.to_lowercase().contains("certificate"),
        "{}",
        r.stderr
    );
    // verify-ca checks the chain only; sslrootcert in the URL works as --root-cert does.
    status(
        format!("{by_ip}?sslmode=verify-ca&sslrootcert={ca_s}"),
        &[],
        &[],
    )
    .expect(0);
    status(
        format!("{by_ip}?sslmode=verify-ca"),
        &["--root-cert", wrong_s],
        &[],
    )
    .expect(5);
    // With a root certificate, require verifies the chain too (libpq).
    status(
        format!("{by_ip}?sslmode=require"),
        &["--root-cert", wrong_s],
        &[],
    )
    .expect(5);
    // The PG* variables carry the same settings.
    let r = run_env(
        dir,
        &["schema", "status"],
        &[
            ("PGHOST", "localhost"),
            (
                "PGPORT",
                by_ip.rsplit(':').next().unwrap().split('/').next().unwrap(),
            ),
            ("PGUSER", "qad_test_tls"),
            (
                "PGPASSWORD",
                by_ip.split(':').nth(2).unwrap().split('@').next().unwrap(),
            ),
            ("PGDATABASE", "postgres"),
            ("PGSSLMODE", "verify-full"),
            ("PGSSLROOTCERT", ca_s),
        ],
    )
    .expect(0);
    assert!(r.stdout.contains("qad_test_tls@localhost"), "{}", r.stdout);
}

#[test]
fn ctrl_c_cancels_the_statement_in_flight_and_rolls_back() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = fresh_db();
    small_then(dir, &db.url);
    let before = dump(&db.url);
    let edited = fixtures().join("small-edited.json");
    let child = qa_load(dir)
        .args([
            "--input",
            edited.to_str().unwrap(),
            "--database",
            &db.url,
            "--batch-size",
            "2",
            "--no-log-file",
        ])
        .env("QA_LOAD_FAIL_AT", "stall:batch:2")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while scalar(
        &db.url,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'SELECT pg_sleep(3600)%'",
    ) != "1"
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the run never reached its stall"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let r: Run = child.wait_with_output().unwrap().into();
    let r = r.expect(3);
    assert!(r.stderr.contains("interrupted (Ctrl-C)"), "{}", r.stderr);
    assert!(r.stderr.contains("load apps (batch 2/3)"), "{}", r.stderr);
    assert_eq!(dump(&db.url), before);
    assert_eq!(
        scalar(
            &db.url,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'SELECT pg_sleep(3600)%'"
        ),
        "0"
    );
}

#[test]
fn a_database_written_by_qa_load_0_1_is_upgraded_in_place_and_its_runs_roll_back_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = fresh_db();
    // What qa-load 0.1 left after loading small.json, then small-edited.json: its bookkeeping
    // in public, beside the data tables (pg_dump of a database it wrote).
    let restore = std::process::Command::new("psql")
        .args(["-q", "-v", "ON_ERROR_STOP=1", "-d", &db.url, "-f"])
        .arg(fixtures().join("legacy-0.1.0.sql"))
        .output()
        .unwrap();
    assert!(
        restore.status.success(),
        "{}",
        String::from_utf8_lossy(&restore.stderr)
    );
    let loaded = dump(&db.url);

    // Read-only commands read it where it is, and change nothing.
    let runs = history(dir, &db.url);
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert!(runs.iter().all(|r| r["status"] == "committed"), "{runs:?}");
    let r = run(dir, &["schema", "status", "--database", &db.url]).expect(0);
    assert!(r.stdout.contains("qa-load 0.1 in public"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("qa-load schema version 1 of 1 (up to date)"),
        "{}",
        r.stdout
    );
    assert_eq!(
        scalar(
            &db.url,
            "SELECT to_regclass('public.qa_load_runs') IS NOT NULL"
        ),
        "t"
    );

    // The first command that writes moves the bookkeeping, and the newest run rolls back to
    // exactly the data the first load had left (as qa-load 0.1 itself recorded it).
    let r = run(
        dir,
        &[
            "rollback",
            "--last",
            "--database",
            &db.url,
            "--json",
            "--no-log-file",
        ],
    )
    .expect(0);
    assert_eq!(r.json()["rolled_back_run"], runs[0]["id"], "{}", r.stdout);
    let first =
        std::fs::read_to_string(fixtures().join("legacy-0.1.0-after-first-load.txt")).unwrap();
    assert_eq!(dump(&db.url), first);
    assert_ne!(loaded, first);
    assert_eq!(
        scalar(&db.url, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE 'qa_load%'"),
        "0"
    );
    let r = run(dir, &["schema", "status", "--database", &db.url]).expect(0);
    for line in [
        "bookkeeping schema version 3 of 3 (up to date)",
        "qa-load schema version 1 of 1 (up to date)",
    ] {
        assert!(r.stdout.contains(line), "{line}: {}", r.stdout);
    }
    assert!(!r.stdout.contains("0.1 in public"), "{}", r.stdout);
    // Every run is still there, with the layout it wrote; the first one rolls back too.
    let runs = history(dir, &db.url);
    assert_eq!(runs.len(), 3, "{runs:?}");
    assert!(runs.iter().all(|r| r["layout"] == "qa-load"), "{runs:?}");
    verify(
        dir,
        &db.url,
        &fixtures().join("small.json"),
        &["--report-md", "v.md", "--report-json", "v.json"],
    )
    .expect(0);
    run(
        dir,
        &["rollback", "--last", "--database", &db.url, "--no-log-file"],
    )
    .expect(0);
    assert_eq!(count(&db.url, "apps") + count(&db.url, "developers"), 0);
}

#[test]
fn a_field_that_would_be_dropped_is_an_error_unless_ignored_on_purpose() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = fresh_db();
    // An older frontend's record: `mainImage` and `screenshots` instead of the per-language
    // fields. Loading it would drop both without a word.
    let mut envelope: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("small.json")).unwrap())
            .unwrap();
    let first = &mut envelope["applicationsData"][0];
    first["mainImage"] = serde_json::json!("https://img.example.org/qa/1/cover.png");
    first["screenshots"] = serde_json::json!(["https://img.example.org/qa/1/s1.png"]);
    first["notes"] = serde_json::json!("");
    let old = dir.join("old.json");
    std::fs::write(&old, envelope.to_string()).unwrap();

    let r = load(dir, &db.url, &old, &["--no-log-file"]).expect(1);
    for text in [
        "E023",
        "1_Noor_Reader",
        "mainImage",
        "mainImage_en",
        "screenshots_en",
        "--ignore-field",
    ] {
        assert!(r.stderr.contains(text), "{text}: {}", r.stderr);
    }
    assert_eq!(
        scalar(
            &db.url,
            "SELECT to_regclass('qa_load.runs') IS NULL AND to_regclass('apps') IS NULL"
        ),
        "t",
        "nothing written"
    );
    // Ignored on purpose, field by field: loaded, the fields reported as not loaded, and the
    // choice recorded in the run.
    let r = load(
        dir,
        &db.url,
        &old,
        &["--no-log-file", "--ignore-field", "mainImage"],
    )
    .expect(1);
    assert!(r.stderr.contains("screenshots"), "{}", r.stderr);
    let s = load(
        dir,
        &db.url,
        &old,
        &[
            "--no-log-file",
            "--ignore-field",
            "mainImage",
            "--ignore-field",
            "screenshots",
        ],
    )
    .expect(0)
    .json();
    assert_eq!(s["outcome"], "committed");
    assert_eq!(
        scalar(
            &db.url,
            "SELECT options->'ignored_fields' FROM qa_load.runs"
        ),
        r#"["mainImage", "screenshots"]"#
    );
    verify(
        dir,
        &db.url,
        &old,
        &[
            "--ignore-field",
            "mainImage",
            "--ignore-field",
            "screenshots",
            "--report-md",
            "v.md",
            "--report-json",
            "v.json",
        ],
    )
    .expect(0);
}

#[test]
fn tables_of_the_same_names_that_qa_load_did_not_create_are_refused_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = fresh_db();
    // What the directory backend's Django migrations leave: its own `developers` and `apps`,
    // and Django's migration record.
    sql(
        &db.url,
        "CREATE TABLE django_migrations (id bigserial PRIMARY KEY, app text, name text); \
         CREATE TABLE developers (id bigint PRIMARY KEY, name_en varchar(200)); \
         CREATE TABLE apps (id bigint PRIMARY KEY, slug varchar(220)); \
         INSERT INTO developers VALUES (1, 'Someone')",
    );
    let before = dump(&db.url);
    let r = load(
        dir,
        &db.url,
        &fixtures().join("small.json"),
        &["--no-log-file"],
    )
    .expect(6);
    for text in ["apps, developers already exist", "Django", "will not write"] {
        assert!(r.stderr.contains(text), "{text}: {}", r.stderr);
    }
    // Asked for the django layout, it checks the tables and the backend's migrations first, and
    // refuses, naming each difference, before writing anything (its bookkeeping included).
    let r = load(
        dir,
        &db.url,
        &fixtures().join("small.json"),
        &[
            "--no-log-file",
            "--layout",
            "django",
            "--media-base-url",
            "https://img.example.org/qa",
        ],
    )
    .expect(6);
    for text in [
        "not as this qa-load knows them",
        "migration apps.0001_initial is not applied",
        "apps.name_en does not exist",
        "table app_screenshots does not exist",
    ] {
        assert!(r.stderr.contains(text), "{text}: {}", r.stderr);
    }
    // Without --media-base-url the django layout is a usage error.
    let r = load(
        dir,
        &db.url,
        &fixtures().join("small.json"),
        &["--no-log-file", "--layout", "django"],
    )
    .expect(2);
    assert!(r.stderr.contains("--media-base-url"), "{}", r.stderr);
    let r = run(
        dir,
        &["schema", "apply", "--database", &db.url, "--no-log-file"],
    )
    .expect(6);
    assert!(r.stderr.contains("another program's"), "{}", r.stderr);
    load(
        dir,
        &db.url,
        &fixtures().join("small.json"),
        &["--no-log-file", "--dry-run"],
    )
    .expect(6);
    assert_eq!(dump(&db.url), before);
    assert_eq!(
        scalar(&db.url, "SELECT to_regnamespace('qa_load') IS NULL"),
        "t",
        "not even qa-load's bookkeeping was created"
    );
}
