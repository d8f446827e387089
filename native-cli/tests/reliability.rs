//! Reliability and security (issue 8): nothing is ever lost or let in.
//!
//! Every test runs qa-load as a real process against a real PostgreSQL (see tests/common) and
//! compares a full dump of the data tables before and after. Faults are placed with the
//! TEST-ONLY `QA_LOAD_FAIL_AT=stall:...` hook (the run sleeps in the database, inside its
//! transaction) and then struck from outside: `pg_terminate_backend`, SIGKILL, `--timeout`, a
//! lock held by another session. Synchronisation is by polling the server (pg_stat_activity,
//! pg_locks), never by sleeping for a guessed time.
//!
//! What tests/load.rs already proves is not repeated here: injected failures after a batch and
//! on entering a stage, Ctrl-C, one refused + one queued concurrent run behind a timed-out one,
//! the password in the successful commands' outputs, the TLS modes on `schema status`.

mod common;

use common::*;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use qa_load::db::lock::{LOCK_CLASS, LOCK_OBJECT};

const POLL: Duration = Duration::from_millis(25);

/// Polls `f` until it returns something, failing after `limit`.
fn wait_for<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            start.elapsed() < limit,
            "gave up after {limit:?} waiting for {what}"
        );
        std::thread::sleep(POLL);
    }
}

/// The qa-load backend of this database sleeping in an injected stall: (application_name, pid).
fn stalled(url: &str) -> (String, String) {
    wait_for(
        "the run to reach its stall",
        Duration::from_secs(30),
        || {
            sql(
                url,
                "SELECT application_name, pid::text FROM pg_stat_activity \
             WHERE datname = current_database() AND application_name LIKE 'qa-load/%' \
               AND state = 'active' AND query LIKE 'SELECT pg_sleep(3600)%'",
            )
            .into_iter()
            .next()
            .map(|r| (r[0].clone().unwrap(), r[1].clone().unwrap()))
        },
    )
}

/// qa-load sessions connected to this database.
fn qa_sessions(url: &str) -> usize {
    scalar(
        url,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
         AND application_name LIKE 'qa-load/%'",
    )
    .parse()
    .unwrap()
}

/// (granted, waiting) requests of the migration lock in this database.
fn migration_lock(url: &str) -> (usize, usize) {
    let rows = sql(
        url,
        &format!(
            "SELECT count(*) FILTER (WHERE granted), count(*) FILTER (WHERE NOT granted) FROM pg_locks \
             WHERE locktype = 'advisory' AND classid = {LOCK_CLASS} AND objid = {LOCK_OBJECT} AND objsubid = 2 \
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ),
    );
    let n = |i: usize| rows[0][i].as_deref().unwrap().parse().unwrap();
    (n(0), n(1))
}

/// Waits until no qa-load session is left in this database (its backend really ended).
fn no_qa_sessions_left(url: &str) -> Duration {
    let start = Instant::now();
    wait_for(
        "the qa-load sessions to end on the server",
        Duration::from_secs(15),
        || (qa_sessions(url) == 0).then_some(()),
    );
    start.elapsed()
}

fn spawn(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Child {
    let mut cmd = qa_load(dir);
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().expect("spawn qa-load")
}

fn finish(child: Child) -> Run {
    child.wait_with_output().expect("wait for qa-load").into()
}

/// (status, failed_stage, error) of a recorded run.
fn record(url: &str, run_id: &str) -> (String, String, String) {
    let rows = sql(
        url,
        &format!(
            "SELECT status, coalesce(failed_stage, ''), coalesce(error, '') FROM qa_load.runs WHERE id = '{run_id}'"
        ),
    );
    let r = rows
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("run {run_id} is not recorded"));
    (
        r[0].clone().unwrap(),
        r[1].clone().unwrap(),
        r[2].clone().unwrap(),
    )
}

fn history_status(dir: &Path, url: &str, run_id: &str) -> String {
    history(dir, url)
        .into_iter()
        .find(|r| r["id"] == run_id)
        .unwrap_or_else(|| panic!("run {run_id} missing from history"))["status"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The five data tables as JSON lines in primary-key order, without created_at/updated_at:
/// equal between two databases that hold the same data (ids are UUID v5 of natural keys).
fn content(url: &str) -> String {
    let mut out = String::new();
    for (t, order) in [
        ("developers", "id"),
        ("categories", "id"),
        ("apps", "id"),
        ("app_categories", "app_id, category_id"),
        ("screenshots", "id"),
    ] {
        out.push_str(&format!("-- {t}\n"));
        out.push_str(&scalar(
            url,
            &format!(
                "SELECT coalesce(string_agg((to_jsonb(t) - 'created_at' - 'updated_at')::text, E'\\n' ORDER BY {order}), '') FROM {t} t"
            ),
        ));
        out.push('\n');
    }
    out
}

/// No two recorded runs overlap in time: one migration at a time, proven by the records.
fn assert_runs_did_not_overlap(url: &str) {
    let overlaps = sql(
        url,
        "SELECT a.id || ' and ' || b.id FROM qa_load.runs a JOIN qa_load.runs b ON a.id < b.id \
         WHERE tstzrange(a.started_at, a.finished_at) && tstzrange(b.started_at, b.finished_at)",
    );
    assert!(overlaps.is_empty(), "runs overlapped: {overlaps:?}");
    assert_eq!(
        scalar(
            url,
            "SELECT count(*) FROM qa_load.runs WHERE finished_at IS NULL"
        ),
        "0"
    );
}

/// A session of the test's own that stays open (to hold locks while qa-load runs).
struct Held {
    rt: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
}

impl Held {
    fn open(url: &str) -> Held {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let client = rt.block_on(async {
            let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .expect("test session");
            tokio::spawn(async move {
                let _ = conn.await;
            });
            client
                .batch_execute("SET application_name = 'reliability-test'")
                .await
                .unwrap();
            client
        });
        Held { rt, client }
    }

    fn exec(&self, query: &str) {
        self.rt
            .block_on(self.client.batch_execute(query))
            .unwrap_or_else(|e| panic!("{query}: {e:?}"));
    }
}

fn load_args<'a>(url: &'a str, input: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["--input", input.to_str().unwrap(), "--database", url];
    args.extend_from_slice(extra);
    args
}

fn small() -> std::path::PathBuf {
    fixtures().join("small.json")
}

fn edited() -> std::path::PathBuf {
    fixtures().join("small-edited.json")
}

/// The run id in a "held by qa-load run <id>" message.
fn holder_run_id(stderr: &str) -> Option<String> {
    let at = stderr.find("held by qa-load run ")? + "held by qa-load run ".len();
    stderr.get(at..at + 23).map(str::to_string)
}

// ---------------------------------------------------------------------------------------------
// Faults
// ---------------------------------------------------------------------------------------------

#[test]
fn a_connection_killed_in_any_stage_changes_nothing_is_recorded_and_the_next_run_succeeds() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = fresh_db();
    run(dir, &load_args(&db.url, &small(), &["--no-log-file", "-q"])).expect(0);
    let before = dump(&db.url);
    let edited = edited();
    // small-edited.json at --batch-size 2: 4 developers (2 batches), 7 categories, 6 apps (3).
    let points = [
        ("stall:stage:developers", "load developers (batch 1/2)"),
        ("stall:batch:1", "load apps (batch 1/3)"),
        ("stall:batch:3", "load apps (batch 3/3)"),
        ("stall:stage:links", "load app_categories (batch 1/3)"),
        ("stall:stage:screenshots", "load screenshots (batch 1/3)"),
        ("stall:stage:post-check", "post-check"),
        ("stall:stage:commit", "commit"),
    ];
    let mut failed_runs = Vec::new();
    for (i, (fault, stage)) in points.iter().enumerate() {
        let log = format!("killed-{i}.log");
        let child = spawn(
            dir,
            &load_args(&db.url, &edited, &["--batch-size", "2", "--log-file", &log]),
            &[("QA_LOAD_FAIL_AT", fault)],
        );
        let (app, pid) = stalled(&db.url);
        let run_id = app.trim_start_matches("qa-load/").to_string();
        assert_eq!(
            scalar(
                &db.url,
                &format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{app}' AND pid = {pid}"
                )
            ),
            "t"
        );
        let r = finish(child).expect(3);
        assert!(
            r.stderr.contains(&format!("{stage} failed")),
            "{fault}: the message does not name the stage {stage:?}:\n{}",
            r.stderr
        );
        assert!(
            r.stderr
                .contains("terminating connection due to administrator command"),
            "{fault}: {}",
            r.stderr
        );
        assert!(
            r.stderr.contains(&format!(
                "run {run_id} failed and was rolled back: the database is as it was"
            )),
            "{fault}: {}",
            r.stderr
        );
        assert_eq!(
            dump(&db.url),
            before,
            "{fault}: a killed connection left changes"
        );
        // Recorded as failed, with its stage, over a new connection.
        let (status, failed_stage, error) = record(&db.url, &run_id);
        assert_eq!(
            (status.as_str(), failed_stage.as_str()),
            ("failed", *stage),
            "{fault}"
        );
        assert!(error.contains("57P01"), "{fault}: {error}");
        let logged = std::fs::read_to_string(dir.join(&log)).unwrap();
        assert!(
            logged.contains("ERROR") && logged.contains(&format!("stage={stage}")),
            "{fault}: the log lacks the failure:\n{logged}"
        );
        assert_eq!(
            migration_lock(&db.url),
            (0, 0),
            "{fault}: the lock is still held"
        );
        failed_runs.push(run_id);
    }
    let h = history(dir, &db.url);
    for id in &failed_runs {
        let rec = h.iter().find(|r| r["id"] == id.as_str()).unwrap();
        assert_eq!(rec["status"], "failed", "{rec}");
        assert!(rec["finished_at"].is_string(), "{rec}");
    }
    // Nothing to undo in a failed run; the next run goes through and verifies.
    let r = run(
        dir,
        &[
            "rollback",
            "--run",
            &failed_runs[0],
            "--database",
            &db.url,
            "--no-log-file",
        ],
    )
    .expect(6);
    assert!(r.stderr.contains("changed nothing"), "{}", r.stderr);
    let s = run(
        dir,
        &load_args(&db.url, &edited, &["--no-log-file", "--json", "-q"]),
    )
    .expect(0)
    .json();
    assert_eq!(s["outcome"], "committed");
    verify(
        dir,
        &db.url,
        &edited,
        &["--report-md", "v.md", "--report-json", "v.json"],
    )
    .expect(0);
}

#[test]
fn a_load_killed_with_sigkill_frees_the_lock_changes_nothing_and_shows_as_interrupted() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = fresh_db();
    run(dir, &load_args(&db.url, &small(), &["--no-log-file", "-q"])).expect(0);
    let before = dump(&db.url);
    let mut child = spawn(
        dir,
        &load_args(&db.url, &edited(), &["--batch-size", "2", "--no-log-file"]),
        &[("QA_LOAD_FAIL_AT", "stall:batch:2")],
    );
    let (app, _) = stalled(&db.url);
    let run_id = app.trim_start_matches("qa-load/").to_string();
    assert_eq!(migration_lock(&db.url), (1, 0));
    child.kill().unwrap(); // SIGKILL: no cleanup of any kind in the process
    let status = child.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(9)
    );
    // The server notices the vanished client in the middle of the statement
    // (client_connection_check_interval) and rolls back, freeing the lock.
    let took = no_qa_sessions_left(&db.url);
    eprintln!("SIGKILL: the server ended the orphaned session after {took:?}");
    assert!(
        took < Duration::from_secs(5),
        "the orphaned session lived {took:?}"
    );
    assert_eq!(migration_lock(&db.url), (0, 0), "the lock is still held");
    assert_eq!(dump(&db.url), before, "a killed process left changes");
    assert_eq!(history_status(dir, &db.url, &run_id), "interrupted");
    let text = run(dir, &["history", "--database", &db.url])
        .expect(0)
        .stdout;
    assert!(
        text.lines()
            .any(|l| l.starts_with(&run_id) && l.contains("interrupted")),
        "{text}"
    );
    // The next run needs no --wait, loads everything, and the killed run stays interrupted.
    let s = run(
        dir,
        &load_args(&db.url, &edited(), &["--no-log-file", "--json", "-q"]),
    )
    .expect(0)
    .json();
    assert_eq!(s["outcome"], "committed");
    // The next load marked the dead run in its record, not only in what history shows.
    assert_eq!(
        scalar(
            &db.url,
            &format!("SELECT status || ' ' || (finished_at IS NOT NULL) FROM qa_load.runs WHERE id = '{run_id}'")
        ),
        "interrupted true"
    );
    verify(
        dir,
        &db.url,
        &edited(),
        &["--report-md", "v.md", "--report-json", "v.json"],
    )
    .expect(0);
    assert_eq!(history_status(dir, &db.url, &run_id), "interrupted");
    let r = run(
        dir,
        &[
            "rollback",
            "--run",
            &run_id,
            "--database",
            &db.url,
            "--no-log-file",
        ],
    )
    .expect(6);
    assert!(r.stderr.contains("never committed"), "{}", r.stderr);
}

#[test]
fn a_statement_stalled_past_the_timeout_is_cancelled_rolled_back_and_recorded_in_time() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = fresh_db();
    run(dir, &load_args(&db.url, &small(), &["--no-log-file", "-q"])).expect(0);
    let before = dump(&db.url);
    let limit = Duration::from_secs(2);
    let started = Instant::now();
    let child = spawn(
        dir,
        &load_args(
            &db.url,
            &edited(),
            &["--batch-size", "2", "--timeout", "2s", "--no-log-file"],
        ),
        &[("QA_LOAD_FAIL_AT", "stall:stage:screenshots")],
    );
    let (app, _) = stalled(&db.url);
    let r = finish(child);
    let took = started.elapsed();
    eprintln!(
        "statement timeout: --timeout 2s, process ended after {took:?} (overshoot {:?})",
        took.saturating_sub(limit)
    );
    let r = r.expect(3);
    assert!(
        took < limit + Duration::from_secs(1),
        "ended {took:?} after start, limit {limit:?}"
    );
    assert!(
        r.stderr.contains(
            "load screenshots (batch 1/3) failed: the run timed out after 2s (--timeout); \
             the statement in flight was cancelled and the transaction rolled back"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(dump(&db.url), before);
    let run_id = app.trim_start_matches("qa-load/");
    let (status, stage, _) = record(&db.url, run_id);
    assert_eq!(
        (status.as_str(), stage.as_str()),
        ("failed", "load screenshots (batch 1/3)")
    );
    no_qa_sessions_left(&db.url);
    run(
        dir,
        &load_args(&db.url, &edited(), &["--no-log-file", "-q"]),
    )
    .expect(0);
}

#[test]
fn a_table_lock_held_by_another_session_times_out_within_a_second_of_the_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = fresh_db();
    run(dir, &load_args(&db.url, &small(), &["--no-log-file", "-q"])).expect(0);
    let before = dump(&db.url);
    let other = Held::open(&db.url);
    other.exec("BEGIN; LOCK TABLE apps IN ACCESS EXCLUSIVE MODE");
    let limit = Duration::from_secs(2);
    let started = Instant::now();
    let r: Run = qa_load(dir)
        .args(load_args(
            &db.url,
            &edited(),
            &["--timeout", "2s", "--log-file", "locked.log"],
        ))
        .output()
        .unwrap()
        .into();
    let took = started.elapsed();
    eprintln!(
        "lock timeout: --timeout 2s, process ended after {took:?} (overshoot {:?})",
        took.saturating_sub(limit)
    );
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
    // The blocked statement was cancelled on the server: nothing of the run waits any more.
    no_qa_sessions_left(&db.url);
    assert_eq!(
        scalar(
            &db.url,
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE NOT l.granted AND a.datname = current_database()"
        ),
        "0"
    );
    other.exec("ROLLBACK");
    assert_eq!(dump(&db.url), before);
    let failed = history(dir, &db.url)
        .into_iter()
        .find(|r| r["status"] == "failed")
        .expect("the timed-out run is recorded");
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
    run(
        dir,
        &load_args(&db.url, &edited(), &["--no-log-file", "-q"]),
    )
    .expect(0);
}

// ---------------------------------------------------------------------------------------------
// Concurrency
// ---------------------------------------------------------------------------------------------

/// Starts `n` loads of small.json at once on an empty database; checks one-at-a-time.
fn race(n: usize, reference: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = fresh_db();
    let input = small();
    let children: Vec<Child> = (0..n)
        .map(|_| {
            spawn(
                dir,
                &load_args(&db.url, &input, &["--json", "-q", "--no-log-file"]),
                &[],
            )
        })
        .collect();
    let runs: Vec<Run> = children.into_iter().map(finish).collect();
    let recorded: Vec<String> = sql(&db.url, "SELECT id FROM qa_load.runs")
        .into_iter()
        .map(|r| r[0].clone().unwrap())
        .collect();
    let mut outcomes = Vec::new();
    let mut refused = 0;
    for r in &runs {
        match r.code {
            0 => outcomes.push(r.json()["outcome"].as_str().unwrap().to_string()),
            5 => {
                refused += 1;
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
                    "the holder {holder} named is not a recorded run"
                );
            }
            other => panic!(
                "exit {other}:\nstdout:\n{}\nstderr:\n{}",
                r.stdout, r.stderr
            ),
        }
    }
    eprintln!(
        "{n} loads at once: {} proceeded ({outcomes:?}), {refused} refused (exit 5)",
        outcomes.len()
    );
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
    assert_runs_did_not_overlap(&db.url);
    assert_eq!(content(&db.url), reference);
    assert_eq!(
        scalar(
            &db.url,
            "SELECT count(*) FROM qa_load.runs WHERE status <> 'committed'"
        ),
        "0"
    );
}

#[test]
fn loads_started_together_run_one_at_a_time_and_end_as_one_run_would() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let reference_db = fresh_db();
    run(
        dir,
        &load_args(&reference_db.url, &small(), &["--no-log-file", "-q"]),
    )
    .expect(0);
    let reference = content(&reference_db.url);
    assert!(reference.contains("noor-reader"));

    race(2, &reference);
    race(8, &reference);

    // Eight with --wait, queued for certain: the test holds the migration lock while they
    // start, and lets go once all eight are waiting for it.
    let db = fresh_db();
    run(
        dir,
        &["schema", "apply", "--database", &db.url, "--no-log-file"],
    )
    .expect(0);
    let gate = Held::open(&db.url);
    gate.exec(&format!(
        "SELECT pg_advisory_lock({LOCK_CLASS}, {LOCK_OBJECT})"
    ));
    let input = small();
    let children: Vec<Child> = (0..8)
        .map(|_| {
            spawn(
                dir,
                &load_args(
                    &db.url,
                    &input,
                    &["--wait", "--timeout", "60s", "--json", "--no-log-file"],
                ),
                &[],
            )
        })
        .collect();
    wait_for(
        "eight loads waiting for the lock",
        Duration::from_secs(30),
        || (migration_lock(&db.url) == (1, 8)).then_some(()),
    );
    gate.exec(&format!(
        "SELECT pg_advisory_unlock({LOCK_CLASS}, {LOCK_OBJECT})"
    ));
    let runs: Vec<Run> = children.into_iter().map(|c| finish(c).expect(0)).collect();
    let mut outcomes: Vec<String> = runs
        .iter()
        .map(|r| {
            assert!(
                r.stderr.contains("waiting for the migration lock held by a session named \"reliability-test\" (not qa-load)"),
                "{}",
                r.stderr
            );
            r.json()["outcome"].as_str().unwrap().to_string()
        })
        .collect();
    outcomes.sort();
    assert_eq!(outcomes[0], "committed", "{outcomes:?}");
    assert!(
        outcomes[1..].iter().all(|o| o == "unchanged"),
        "{outcomes:?}"
    );
    assert_eq!(count(&db.url, "qa_load.runs"), 8);
    assert_runs_did_not_overlap(&db.url);
    assert_eq!(content(&db.url), reference);
}

#[test]
fn a_load_during_a_rollback_is_refused_or_queues_and_a_killed_rollback_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = fresh_db();
    run(dir, &load_args(&db.url, &small(), &["--no-log-file", "-q"])).expect(0);
    let small_state = content(&db.url);
    run(
        dir,
        &load_args(&db.url, &edited(), &["--no-log-file", "-q"]),
    )
    .expect(0);
    let edited_state = content(&db.url);
    let edited_dump = dump(&db.url);

    // Another session holds a row the rollback must restore, so the rollback blocks in its
    // undo step, holding the migration lock.
    let other = Held::open(&db.url);
    other.exec("BEGIN; SELECT 1 FROM apps WHERE slug = 'noor-reader' FOR UPDATE");
    let blocked_rollback = |dir: &Path| -> (Child, String) {
        let child = spawn(
            dir,
            &[
                "rollback",
                "--last",
                "--database",
                &db.url,
                "--log-file",
                "rollback.log",
            ],
            &[],
        );
        let app = wait_for(
            "the rollback to block on the row lock",
            Duration::from_secs(30),
            || {
                sql(
                    &db.url,
                    "SELECT application_name FROM pg_stat_activity WHERE datname = current_database() \
                     AND application_name LIKE 'qa-load/%' AND wait_event_type = 'Lock'",
                )
                .into_iter()
                .next()
                .map(|r| r[0].clone().unwrap())
            },
        );
        (child, app.trim_start_matches("qa-load/").to_string())
    };

    // 1. A load during the rollback: refused at once, naming the rollback run.
    let (rollback, rollback_id) = blocked_rollback(dir);
    let r = run(dir, &load_args(&db.url, &edited(), &["--no-log-file"])).expect(5);
    assert_eq!(
        holder_run_id(&r.stderr).as_deref(),
        Some(rollback_id.as_str()),
        "{}",
        r.stderr
    );
    // 2. A queued load (--wait) while the rollback's connection is killed: the rollback
    //    changes nothing and is recorded as failed; the queued load then finds nothing to do.
    let queued = spawn(
        dir,
        &load_args(
            &db.url,
            &edited(),
            &["--wait", "--timeout", "60s", "--json", "--no-log-file"],
        ),
        &[],
    );
    wait_for(
        "the load to queue behind the rollback",
        Duration::from_secs(30),
        || (migration_lock(&db.url) == (1, 1)).then_some(()),
    );
    sql(
        &db.url,
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'qa-load/{rollback_id}'"
        ),
    );
    let rb = finish(rollback).expect(3);
    assert!(
        rb.stderr
            .contains("terminating connection due to administrator command")
            && rb
                .stderr
                .contains("the rollback failed and was itself rolled back"),
        "{}",
        rb.stderr
    );
    let (status, stage, error) = record(&db.url, &rollback_id);
    assert_eq!(status, "failed");
    assert!(
        stage.starts_with("rollback ") && rb.stderr.contains(&format!("{stage} failed")),
        "{stage}: {}",
        rb.stderr
    );
    assert!(error.contains("57P01"), "{error}");
    let q = finish(queued).expect(0);
    assert_eq!(q.json()["outcome"], "unchanged");
    assert_eq!(content(&db.url), edited_state);
    let after_killed_rollback = dump(&db.url);
    // The data rows are exactly as before (the queued no-change run wrote no row).
    assert_eq!(after_killed_rollback, edited_dump);

    // 3. A real rollback with a load queued behind it: first the rollback, then the load.
    let (rollback, rollback_id) = blocked_rollback(dir);
    let queued = spawn(
        dir,
        &load_args(
            &db.url,
            &edited(),
            &["--wait", "--timeout", "60s", "--json", "--no-log-file"],
        ),
        &[],
    );
    wait_for(
        "the load to queue behind the rollback",
        Duration::from_secs(30),
        || (migration_lock(&db.url) == (1, 1)).then_some(()),
    );
    other.exec("ROLLBACK");
    let rb = finish(rollback).expect(0);
    assert!(
        rb.stdout
            .contains(&format!("(rollback recorded as run {rollback_id})")),
        "{}",
        rb.stdout
    );
    assert_eq!(record(&db.url, &rollback_id).0, "committed");
    let q = finish(queued).expect(0);
    let q = q.json();
    assert_eq!(
        q["outcome"], "committed",
        "the queued load saw the rolled-back state"
    );
    assert_eq!(q["counts"]["apps"]["inserted"], 1);
    assert_eq!(content(&db.url), edited_state);
    assert_ne!(small_state, edited_state);
    assert_runs_did_not_overlap_except_failed(&db.url);
    verify(
        dir,
        &db.url,
        &edited(),
        &["--report-md", "v.md", "--report-json", "v.json"],
    )
    .expect(0);
}

/// As [`assert_runs_did_not_overlap`], for histories with failed rollbacks (recorded after the
/// fact, so their interval is only the moment of recording).
fn assert_runs_did_not_overlap_except_failed(url: &str) {
    let overlaps = sql(
        url,
        "SELECT a.id || ' and ' || b.id FROM qa_load.runs a JOIN qa_load.runs b ON a.id < b.id \
         WHERE a.status = 'committed' AND b.status = 'committed' \
           AND tstzrange(a.started_at, a.finished_at) && tstzrange(b.started_at, b.finished_at)",
    );
    assert!(overlaps.is_empty(), "runs overlapped: {overlaps:?}");
}

// ---------------------------------------------------------------------------------------------
// Secrets and transport
// ---------------------------------------------------------------------------------------------

/// Every file under `dir`, concatenated.
fn all_files(dir: &Path) -> String {
    let mut out = String::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.push_str(&all_files(&p));
        } else {
            out.push_str(&format!("== {}\n", p.display()));
            out.push_str(&String::from_utf8_lossy(&std::fs::read(&p).unwrap()));
        }
    }
    out
}

type Env = Vec<(String, String)>;

/// Runs qa-load, expects `code`, and keeps stdout and stderr in `seen`.
fn step(dir: &Path, seen: &mut String, args: &[&str], env: &[(String, String)], code: i32) -> Run {
    let mut cmd = qa_load(dir);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let r: Run = cmd.output().unwrap().into();
    seen.push_str(&r.stdout);
    seen.push_str(&r.stderr);
    r.expect(code)
}

#[test]
fn the_password_appears_nowhere_even_on_connection_errors_and_failed_loads() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let elsewhere = tempfile::tempdir().unwrap();
    let db = fresh_db();
    // A password with URL-special characters, so that both of its forms can be looked for.
    let (a, b) = (rand_suffix(), rand_suffix());
    let password = format!("Pw/{a}@{b}%x");
    let encoded = format!("Pw%2F{a}%40{b}%25x");
    let role = format!("qa_secret_{}", rand_suffix());
    sql(
        &db.url,
        &format!("CREATE ROLE {role} LOGIN SUPERUSER PASSWORD '{password}'"),
    );
    let rest = db.url.split_once('@').unwrap().1.to_string(); // host:port/db[?...]
    let (hostport, db_and_query) = rest.split_once('/').unwrap();
    let (host, port) = hostport.rsplit_once(':').unwrap();
    let dbname = db_and_query.split('?').next().unwrap();
    let url = format!("postgres://{role}:{encoded}@{rest}");
    let wrong_url = format!("postgres://{role}:{encoded}x@{rest}");
    let kv = format!("host={host} port={port} dbname={dbname} user={role} password='{password}'");
    let wrong_kv =
        format!("host={host} port={port} dbname={dbname} user={role} password='{password}y'");
    let pg_env = |pw: &str| -> Vec<(String, String)> {
        vec![
            ("PGHOST".into(), host.into()),
            ("PGPORT".into(), port.into()),
            ("PGUSER".into(), role.clone()),
            ("PGDATABASE".into(), dbname.into()),
            ("PGPASSWORD".into(), pw.into()),
        ]
    };
    let pgpass = elsewhere.path().join("pgpass");
    std::fs::write(
        &pgpass,
        format!("{host}:{port}:{dbname}:{role}:{password}\n"),
    )
    .unwrap();
    let pgpass_env = vec![
        ("PGHOST".to_string(), host.to_string()),
        ("PGPORT".into(), port.into()),
        ("PGUSER".into(), role.clone()),
        ("PGDATABASE".into(), dbname.into()),
        ("PGPASSFILE".into(), pgpass.display().to_string()),
    ];
    let fail_at = |spec: &str| vec![("QA_LOAD_FAIL_AT".to_string(), spec.to_string())];
    let small = small();
    let small = small.to_str().unwrap();
    let edited = edited();
    let edited = edited.to_str().unwrap();
    let seen = &mut String::new();

    // Successful commands with every output on: reports, logs, history, verify.
    #[rustfmt::skip]
    step(dir, seen, &["--input", small, "--database", &url, "-vv", "--log-file", "load.log", "--report", "report.md"], &[], 0);
    #[rustfmt::skip]
    step(dir, seen, &["--input", small, "--database", &kv, "-vv", "--log-file", "again.log", "--report", "report.json", "--json"], &[], 0);

    // Errors in the middle of a load: an injected failure, a timeout, a killed connection.
    #[rustfmt::skip]
    let r = step(dir, seen, &["--input", edited, "--database", &url, "-vv", "--log-file", "fail.log", "--batch-size", "2"], &fail_at("batch:2"), 3);
    assert!(
        r.stderr.contains("load apps (batch 2/3) failed"),
        "{}",
        r.stderr
    );
    #[rustfmt::skip]
    let r = step(dir, seen, &["--input", edited, "--database", &url, "-vv", "--log-file", "timeout.log", "--timeout", "6s"], &fail_at("stall:stage:links"), 3);
    assert!(r.stderr.contains("timed out after 6s"), "{}", r.stderr);
    let child = spawn(
        dir,
        &[
            "--input",
            edited,
            "--database",
            &url,
            "-vv",
            "--log-file",
            "killed.log",
        ],
        &[("QA_LOAD_FAIL_AT", "stall:stage:post-check")],
    );
    let (app, _) = stalled(&db.url);
    sql(
        &db.url,
        &format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{app}'"),
    );
    let r = finish(child);
    seen.push_str(&r.stdout);
    seen.push_str(&r.stderr);
    let r = r.expect(3);
    assert!(r.stderr.contains("post-check failed"), "{}", r.stderr);

    #[rustfmt::skip]
    step(dir, seen, &["verify", "--input", edited, "--database", &url, "-vv", "--report-md", "v1.md", "--report-json", "v1.json"], &[], 4);
    #[rustfmt::skip]
    step(dir, seen, &["--input", edited, "--database", &url, "-vv", "--log-file", "edit.log"], &[], 0);
    step(dir, seen, &["history", "--database", &url, "-vv"], &[], 0);
    let h = step(
        dir,
        seen,
        &["history", "--json"],
        &[("DATABASE_URL".into(), url.clone())],
        0,
    );
    assert_eq!(
        h.json()
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["status"] == "failed")
            .count(),
        3,
        "{}",
        h.stdout
    );
    step(
        dir,
        seen,
        &["schema", "status", "-vv"],
        &pg_env(&password),
        0,
    );
    step(dir, seen, &["history", "--limit", "3"], &pgpass_env, 0);
    #[rustfmt::skip]
    step(dir, seen, &["rollback", "--last", "--database", &url, "-vv", "--log-file", "rollback.log"], &[], 0);
    #[rustfmt::skip]
    step(dir, seen, &["verify", "--input", small, "--database", &kv, "--report-md", "v2.md", "--report-json", "v2.json"], &[], 0);

    // Connection failures: a wrong password (URL, key=value, PGPASSWORD, DATABASE_URL),
    // a closed port, an unknown host, TLS refused before connecting, malformed strings.
    let wrong_pw = format!("{password}z");
    #[rustfmt::skip]
    let wrong: [(Vec<&str>, Env); 4] = [
        (vec!["--input", small, "--database", &wrong_url, "-vv", "--log-file", "wrong1.log"], vec![]),
        (vec!["verify", "--input", small, "--database", &wrong_kv, "-vv"], vec![]),
        (vec!["rollback", "--last", "-vv", "--log-file", "wrong2.log"], pg_env(&wrong_pw)),
        (vec!["history"], vec![("DATABASE_URL".to_string(), wrong_url.clone())]),
    ];
    for (args, env) in &wrong {
        let r = step(dir, seen, args, env, 5);
        assert!(
            r.stderr.contains("password authentication failed")
                && r.stderr.contains(&format!("{role}@")),
            "{args:?}: {}",
            r.stderr
        );
    }
    let unreachable = format!("postgres://{role}:{encoded}@127.0.0.1:1/{dbname}");
    #[rustfmt::skip]
    let r = step(dir, seen, &["--input", small, "--database", &unreachable, "-vv", "--log-file", "unreachable.log"], &[], 5);
    assert!(r.stderr.contains("connect failed"), "{}", r.stderr);
    let unknown = format!("postgres://{role}:{encoded}@no-such-host.invalid:{port}/{dbname}");
    let r = step(
        dir,
        seen,
        &["history", "--database", &unknown, "-vv"],
        &[],
        5,
    );
    assert!(r.stderr.contains("no-such-host.invalid"), "{}", r.stderr);
    let tls = format!("{url}?sslmode=verify-full");
    let r = step(dir, seen, &["history", "--database", &tls], &[], 5);
    assert!(r.stderr.contains("root certificate"), "{}", r.stderr);
    let bad_port = format!("postgres://{role}:{encoded}@{host}:notaport/{dbname}");
    step(dir, seen, &["history", "--database", &bad_port], &[], 2);
    let bad_mode = format!("{url}?sslmode=sometimes");
    step(dir, seen, &["history", "--database", &bad_mode], &[], 2);
    let bad_kv = format!("{kv} sslmode=sometimes");
    step(dir, seen, &["history", "--database", &bad_kv], &[], 2);

    // The database's own records, and every file written (logs, reports).
    for table in ["qa_load.runs", "qa_load.schema_migrations"] {
        seen.push_str(&scalar(
            &db.url,
            &format!("SELECT string_agg(t::text, E'\\n') FROM {table} t"),
        ));
    }
    for f in [
        "load.log",
        "again.log",
        "fail.log",
        "timeout.log",
        "killed.log",
        "edit.log",
        "rollback.log",
        "wrong1.log",
        "wrong2.log",
        "unreachable.log",
        "report.md",
        "report.json",
        "v1.md",
        "v1.json",
        "v2.md",
        "v2.json",
    ] {
        assert!(dir.join(f).is_file(), "{f} was not written");
    }
    seen.push_str(&all_files(dir));
    assert!(
        seen.contains(&format!("{role}@")),
        "the outputs name the target"
    );
    assert!(
        seen.contains("terminating connection") && seen.contains("password authentication failed"),
        "the failures are in the outputs"
    );
    for needle in [password.as_str(), encoded.as_str(), a.as_str(), b.as_str()] {
        if let Some(at) = seen.find(needle) {
            let from = seen[..at]
                .char_indices()
                .rev()
                .nth(300)
                .map_or(0, |(i, _)| i);
            panic!(
                "the password ({needle}) appeared in an output:\n{}",
                &seen[from..(at + needle.len()).min(seen.len())]
            );
        }
    }
}

#[test]
fn tls_loads_end_to_end_and_rejects_a_wrong_root_or_host_name_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let s = own_cluster();
    let tls_dir = s.dir.as_ref().unwrap().join("tls");
    let ca = tls_dir.join("ca.crt");
    let ca = ca.to_str().unwrap();
    let wrong_root = tls_dir.join("server.crt"); // a certificate, but not the issuing CA
    let wrong_root = wrong_root.to_str().unwrap();
    // qad_test_tls may only connect over TLS (pg_hba: hostnossl ... reject), so every
    // successful command below ran encrypted. It owns a database of its own.
    let name = format!("qa_tls_{}", rand_suffix());
    sql(
        &s.admin_url,
        &format!("CREATE DATABASE {name} OWNER qad_test_tls"),
    );
    let admin_db = with_db(&s.admin_url, &name);
    let password = s
        .admin_url
        .split_once("qad_test:")
        .unwrap()
        .1
        .split('@')
        .next()
        .unwrap()
        .to_string();
    let port = s
        .admin_url
        .rsplit(':')
        .next()
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let by_ip = format!("postgres://qad_test_tls:{password}@127.0.0.1:{port}/{name}");
    let by_name = format!("postgres://qad_test_tls:{password}@localhost:{port}/{name}");
    let require = format!("{by_ip}?sslmode=require");
    let full = format!("{by_name}?sslmode=verify-full");
    let mut seen = String::new();

    // require: encrypted without verification (the throw-away CA is unknown to the client).
    let r = run(
        dir,
        &load_args(&require, &small(), &["--json", "-q", "--no-log-file"]),
    )
    .expect(0);
    seen.push_str(&r.stdout);
    assert_eq!(r.json()["outcome"], "committed");
    let after_small = dump(&admin_db);
    // verify-full with the right root: load, verify, a timed-out run (its cancel request also
    // goes over TLS), rollback.
    let r = run(
        dir,
        &load_args(
            &full,
            &edited(),
            &["--root-cert", ca, "--json", "-q", "--no-log-file"],
        ),
    )
    .expect(0);
    seen.push_str(&r.stdout);
    assert_eq!(
        r.json()["database"],
        format!("qad_test_tls@localhost:{port}/{name} (sslmode=verify-full)")
    );
    verify(
        dir,
        &full,
        &edited(),
        &[
            "--root-cert",
            ca,
            "--report-md",
            "v.md",
            "--report-json",
            "v.json",
        ],
    )
    .expect(0);
    let after_edited = dump(&admin_db);
    let started = Instant::now();
    let r = run_env(
        dir,
        &load_args(
            &full,
            &small(),
            &[
                "--root-cert",
                ca,
                "--timeout",
                "2s",
                "--batch-size",
                "2",
                "--no-log-file",
            ],
        ),
        &[("QA_LOAD_FAIL_AT", "stall:batch:1")],
    );
    let took = started.elapsed();
    let r = r.expect(3);
    seen.push_str(&r.stderr);
    assert!(
        r.stderr
            .contains("load apps (batch 1/3) failed: the run timed out after 2s"),
        "{}",
        r.stderr
    );
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert_eq!(dump(&admin_db), after_edited);
    no_qa_sessions_left(&admin_db);
    let r = run(
        dir,
        &[
            "rollback",
            "--last",
            "--database",
            &full,
            "--root-cert",
            ca,
            "--no-log-file",
        ],
    )
    .expect(0);
    seen.push_str(&r.stdout);
    assert_eq!(dump(&admin_db), after_small);

    // A wrong root certificate, with verify-full and with verify-ca: refused before anything.
    for mode in ["verify-full", "verify-ca"] {
        let r = run(
            dir,
            &load_args(
                &format!("{by_name}?sslmode={mode}"),
                &edited(),
                &["--root-cert", wrong_root, "--no-log-file"],
            ),
        )
        .expect(5);
        seen.push_str(&r.stderr);
        assert!(
            r.stderr.contains("connect failed")
                && r.stderr.contains("invalid peer certificate")
                && r.stderr.contains(&format!(
                    "hint: the server's certificate is not signed by the root certificate(s) in {wrong_root}"
                )),
            "{mode}: {}",
            r.stderr
        );
    }
    // A host name the certificate does not list (connecting to the same server by address).
    let kv = format!(
        "host=wrong-name.example hostaddr=127.0.0.1 port={port} dbname={name} user=qad_test_tls password={password} sslmode=verify-full"
    );
    let r = run(
        dir,
        &load_args(&kv, &edited(), &["--root-cert", ca, "--no-log-file"]),
    )
    .expect(5);
    seen.push_str(&r.stderr);
    assert!(
        r.stderr
            .contains("certificate not valid for name \"wrong-name.example\"")
            && r.stderr
                .contains("hint: the server's certificate does not name the host connected to"),
        "{}",
        r.stderr
    );
    // The same address under the right name is accepted, and so is the wrong name with
    // verify-ca (which checks the chain only).
    let r = run(
        dir,
        &[
            "history",
            "--database",
            &kv.replace("wrong-name.example", "localhost"),
            "--root-cert",
            ca,
        ],
    )
    .expect(0);
    seen.push_str(&r.stdout);
    run(
        dir,
        &[
            "history",
            "--database",
            &kv.replace("verify-full", "verify-ca"),
            "--root-cert",
            ca,
        ],
    )
    .expect(0);
    assert_eq!(
        dump(&admin_db),
        after_small,
        "a refused connection changed data"
    );
    seen.push_str(&all_files(dir));
    assert!(
        !seen.contains(&password),
        "the password appeared in an output"
    );
}

/// A TCP proxy to the test server that lets exactly one connection through, then refuses any
/// other: the network going away for good after the connection in use is lost.
fn one_connection_proxy(url: &str) -> String {
    let at = url.find("@127.0.0.1:").expect("a 127.0.0.1 test server") + "@127.0.0.1:".len();
    let port_end = at + url[at..].find('/').unwrap();
    let upstream = format!("127.0.0.1:{}", &url[at..port_end]);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let Ok((client, _)) = listener.accept() else {
            return;
        };
        drop(listener);
        let Ok(server) = std::net::TcpStream::connect(&upstream) else {
            return;
        };
        let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
        let (mut c1, mut s1) = (client, server);
        let up = std::thread::spawn(move || {
            let _ = std::io::copy(&mut c1, &mut s1);
            let _ = s1.shutdown(std::net::Shutdown::Both);
        });
        let _ = std::io::copy(&mut s2, &mut c2);
        let _ = c2.shutdown(std::net::Shutdown::Both);
        let _ = up.join();
    });
    format!("{}{port}{}", &url[..at], &url[port_end..])
}

#[test]
fn a_connection_lost_during_the_commit_is_resolved_from_the_run_record() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = fresh_db();
    run(dir, &load_args(&db.url, &small(), &["--no-log-file", "-q"])).expect(0);
    let before = dump(&db.url);

    // Lost before the server ran the COMMIT: the session is gone and the record never says
    // committed, so the transaction was rolled back, and qa-load says so (exit 3).
    let r = run_env(
        dir,
        &load_args(&db.url, &edited(), &["--no-log-file"]),
        &[("QA_LOAD_FAIL_AT", "lose:commit:before")],
    )
    .expect(3);
    assert!(r.stderr.contains("commit failed"), "{}", r.stderr);
    assert!(
        r.stderr.contains("shows the commit did not happen"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("rolled back"), "{}", r.stderr);
    assert_eq!(dump(&db.url), before);
    let lost = history(dir, &db.url);
    assert_eq!(lost[0]["status"], "failed", "{lost:?}");
    assert_eq!(lost[0]["failed_stage"], "commit", "{lost:?}");

    // Lost after the server ran it: the record, read over a new connection, says committed,
    // and qa-load reports the load done (exit 0), not rolled back.
    let r = run_env(
        dir,
        &load_args(&db.url, &edited(), &["--no-log-file", "--json"]),
        &[("QA_LOAD_FAIL_AT", "lose:commit:after")],
    )
    .expect(0);
    let s = r.json();
    assert_eq!(s["outcome"], "committed");
    assert_eq!(s["commit_confirmed_after_reconnect"], true);
    assert!(r.stderr.contains("the commit happened"), "{}", r.stderr);
    assert!(!r.stderr.contains("rolled back"), "{}", r.stderr);
    assert_eq!(history(dir, &db.url)[0]["status"], "committed");
    verify(
        dir,
        &db.url,
        &edited(),
        &["--report-md", "v.md", "--report-json", "v.json"],
    )
    .expect(0);

    // Lost, and no new connection can be had: qa-load cannot tell, says so with its own exit
    // code and the commands that tell; it does not claim a rollback (here the commit happened).
    run(
        dir,
        &[
            "rollback",
            "--last",
            "--database",
            &db.url,
            "--no-log-file",
            "-q",
        ],
    )
    .expect(0);
    let proxied = one_connection_proxy(&db.url);
    // The layout named: detecting it would take the proxy's one connection.
    let r = run_env(
        dir,
        &load_args(
            &proxied,
            &edited(),
            &["--no-log-file", "--layout", "qa-load"],
        ),
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
    let runs = history(dir, &db.url);
    assert_eq!(runs[0]["status"], "committed", "{runs:?}");
}
