//! Helpers for the tests that strike a running qa-load from outside (killed connections,
//! SIGKILL, timeouts, concurrent runs, a lost COMMIT), layout-independent: they read only the
//! server's own views (pg_stat_activity, pg_locks) and qa-load's bookkeeping (`qa_load.runs`).
//! Synchronisation is by polling the server, never by sleeping for a guessed time. The same
//! helpers serve tests/reliability.rs.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use qa_load::db::lock::{LOCK_CLASS, LOCK_OBJECT};

use super::{history, qa_load, scalar, sql, Run};

pub const POLL: Duration = Duration::from_millis(25);

/// Polls `f` until it returns something, failing after `limit`.
pub fn wait_for<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
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

/// The qa-load backend of this database sleeping in an injected stall: (run id, pid).
pub fn stalled(url: &str) -> (String, String) {
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
            .map(|r| {
                (
                    r[0].clone()
                        .unwrap()
                        .trim_start_matches("qa-load/")
                        .to_string(),
                    r[1].clone().unwrap(),
                )
            })
        },
    )
}

/// qa-load sessions connected to this database.
pub fn qa_sessions(url: &str) -> usize {
    scalar(
        url,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
         AND application_name LIKE 'qa-load/%'",
    )
    .parse()
    .unwrap()
}

/// (granted, waiting) requests of the migration lock in this database.
pub fn migration_lock(url: &str) -> (usize, usize) {
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

/// `SELECT pg_advisory_lock(...)` / unlock of the migration lock, for a [`Held`] session.
pub fn lock_sql(take: bool) -> String {
    let f = if take {
        "pg_advisory_lock"
    } else {
        "pg_advisory_unlock"
    };
    format!("SELECT {f}({LOCK_CLASS}, {LOCK_OBJECT})")
}

/// Waits until no qa-load session is left in this database; how long that took.
pub fn no_qa_sessions_left(url: &str) -> Duration {
    let start = Instant::now();
    wait_for(
        "the qa-load sessions to end on the server",
        Duration::from_secs(15),
        || (qa_sessions(url) == 0).then_some(()),
    );
    start.elapsed()
}

/// Terminates the backend of run `run_id` (pid `pid`); asserts the server did.
pub fn terminate(url: &str, run_id: &str, pid: &str) {
    assert_eq!(
        scalar(
            url,
            &format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE application_name = 'qa-load/{run_id}' AND pid = {pid}"
            )
        ),
        "t",
        "the stalled backend of run {run_id} was not there to terminate"
    );
}

/// qa-load in the background, its output piped.
pub fn spawn(dir: &Path, args: &[String], env: &[(&str, &str)]) -> Child {
    let mut cmd = qa_load(dir);
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().expect("spawn qa-load")
}

pub fn finish(child: Child) -> Run {
    child.wait_with_output().expect("wait for qa-load").into()
}

/// qa-load in the foreground.
pub fn run_args(dir: &Path, args: &[String], env: &[(&str, &str)]) -> Run {
    let mut cmd = qa_load(dir);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run qa-load").into()
}

/// (status, failed_stage, error) of a recorded run.
pub fn record(url: &str, run_id: &str) -> (String, String, String) {
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

/// The status `qa-load history --json` gives run `run_id`.
pub fn history_status(dir: &Path, url: &str, run_id: &str) -> String {
    history(dir, url)
        .into_iter()
        .find(|r| r["id"] == run_id)
        .unwrap_or_else(|| panic!("run {run_id} missing from history"))["status"]
        .as_str()
        .unwrap()
        .to_string()
}

/// No two recorded runs overlap in time, and none is left unfinished.
pub fn assert_runs_did_not_overlap(url: &str) {
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

/// The run id in a "held by qa-load run <id>" message.
pub fn holder_run_id(stderr: &str) -> Option<String> {
    let at = stderr.find("held by qa-load run ")? + "held by qa-load run ".len();
    stderr.get(at..at + 23).map(str::to_string)
}

/// A session of the test's own that stays open (to hold locks while qa-load runs).
pub struct Held {
    rt: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
}

impl Held {
    pub fn open(url: &str, application_name: &str) -> Held {
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
                .batch_execute(&format!("SET application_name = '{application_name}'"))
                .await
                .unwrap();
            client
        });
        Held { rt, client }
    }

    pub fn exec(&self, query: &str) {
        self.rt
            .block_on(self.client.batch_execute(query))
            .unwrap_or_else(|e| panic!("{query}: {e:?}"));
    }
}

/// A TCP proxy to the test server that lets exactly one connection through, then refuses any
/// other: the network going away for good after the connection in use is lost.
pub fn one_connection_proxy(url: &str) -> String {
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
