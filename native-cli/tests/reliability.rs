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
//! the password in the successful commands' outputs, the TLS modes on `schema status`. Nor what
//! the layout conformance suite (tests/conformance.rs) proves on every layout: a connection
//! killed in every stage, SIGKILL, the statement and lock timeouts, concurrent loads, a lost
//! COMMIT. Its helpers (tests/common/faults.rs) are the ones used here.

mod common;

use common::faults::*;
use common::*;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

fn spawn(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Child {
    let mut cmd = qa_load(dir);
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().expect("spawn qa-load")
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

// ---------------------------------------------------------------------------------------------
// Concurrency
// ---------------------------------------------------------------------------------------------

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
    let other = Held::open(&db.url, "reliability-test");
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
    let (run_id, _) = stalled(&db.url);
    let app = format!("qa-load/{run_id}");
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
