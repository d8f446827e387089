//! Test harness: a real PostgreSQL server, fresh databases, the qa-load binary, fixtures.
//!
//! The server is `QAD_TEST_DATABASE_URL` when set (a role that may CREATE DATABASE), else a
//! throw-away cluster started once per test binary by `scripts/pg-throwaway.sh` (stopped by its
//! watchdog when the test process exits). If neither works the tests fail: never skipped.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

pub struct Server {
    /// A superuser (or CREATEDB) URL on the `postgres` database.
    pub admin_url: String,
    /// The cluster directory when we started it (holds tls/ca.crt).
    pub dir: Option<PathBuf>,
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// `../shared/fixtures/frontend-2025-03`, relative to the repository root.
pub fn real_frontend() -> PathBuf {
    let p = repo_root().join("../shared/fixtures/frontend-2025-03");
    assert!(
        p.join("src/app/services/applicationsData.ts").is_file(),
        "the real data is missing at {} (CI places shared/ beside the repository)",
        p.display()
    );
    p
}

fn start_cluster() -> Server {
    let base = std::env::temp_dir().join(format!(
        "qa-load-test-pg-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    let script = repo_root().join("scripts/pg-throwaway.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg("start")
        .arg(&base)
        .arg("--owner-pid")
        .arg(std::process::id().to_string())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("could not run {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "could not start a throw-away PostgreSQL with {} (set QAD_TEST_DATABASE_URL to use an existing server):\n{}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let url = String::from_utf8_lossy(&out.stdout)
        .trim()
        .lines()
        .last()
        .unwrap_or("")
        .to_string();
    assert!(
        url.starts_with("postgres://"),
        "unexpected output from pg-throwaway.sh: {url:?}"
    );
    Server {
        admin_url: url,
        dir: Some(base),
    }
}

pub fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| match std::env::var("QAD_TEST_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Server {
            admin_url: url.trim().to_string(),
            dir: None,
        },
        _ => start_cluster(),
    })
}

/// A cluster of our own (TLS tests need its CA), even when QAD_TEST_DATABASE_URL is set.
pub fn own_cluster() -> &'static Server {
    static OWN: OnceLock<Server> = OnceLock::new();
    if server().dir.is_some() {
        return server();
    }
    OWN.get_or_init(start_cluster)
}

pub fn rand_suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_string()
}

/// Replaces the database (path) of a postgres:// URL.
pub fn with_db(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_end = base
        .find("://")
        .map(|i| i + 3)
        .and_then(|start| base[start..].find('/').map(|j| start + j))
        .unwrap_or(base.len());
    let mut out = format!("{}/{db}", &base[..authority_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("test connection failed: {e}"));
    tokio::spawn(async move {
        let _ = conn.await;
    });
    client
}

/// Runs SQL; returns every row as text (NULL as None).
pub fn sql(url: &str, query: &str) -> Vec<Vec<Option<String>>> {
    runtime().block_on(async {
        let c = connect(url).await;
        let msgs = c
            .simple_query(query)
            .await
            .unwrap_or_else(|e| panic!("{query}: {e:?}"));
        msgs.into_iter()
            .filter_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => {
                    Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
                }
                _ => None,
            })
            .collect()
    })
}

/// The single value of a one-row, one-column query.
pub fn scalar(url: &str, query: &str) -> String {
    sql(url, query)
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next().flatten())
        .unwrap_or_default()
}

pub fn count(url: &str, table: &str) -> usize {
    scalar(url, &format!("SELECT count(*) FROM {table}"))
        .parse()
        .unwrap()
}

/// A fresh, empty database of its own for one test.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

pub fn fresh_db() -> TestDb {
    let s = server();
    let name = format!("qa_test_{}", rand_suffix());
    sql(&s.admin_url, &format!("CREATE DATABASE {name}"));
    TestDb {
        url: with_db(&s.admin_url, &name),
        name,
    }
}

/// The data tables, each ordered by primary key, as COPY text: equal dumps are equal data.
pub fn dump(url: &str) -> String {
    use futures_util::TryStreamExt;
    let tables = [
        ("developers", "id"),
        ("categories", "id"),
        ("apps", "id"),
        ("app_categories", "app_id, category_id"),
        ("screenshots", "id"),
        ("features", "id"),
        ("app_features", "app_id, feature_id"),
    ];
    runtime().block_on(async {
        let c = connect(url).await;
        c.batch_execute("SET TIME ZONE 'UTC'").await.unwrap();
        let mut out = String::new();
        for (t, order) in tables {
            let exists: bool = c
                .query_one("SELECT to_regclass($1) IS NOT NULL", &[&t])
                .await
                .unwrap()
                .get(0);
            out.push_str(&format!("-- {t}\n"));
            if !exists {
                out.push_str("(no table)\n");
                continue;
            }
            let stream = c
                .copy_out(&format!(
                    "COPY (SELECT * FROM {t} ORDER BY {order}) TO STDOUT"
                ))
                .await
                .unwrap();
            let chunks: Vec<bytes::Bytes> = stream.try_collect().await.unwrap();
            for ch in chunks {
                out.push_str(&String::from_utf8_lossy(&ch));
            }
        }
        out
    })
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "expected exit {code}, got {}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// The qa-load command with a clean environment (no DATABASE_URL, PG*, fault injection) and a
/// scratch working directory for its log and report files.
pub fn qa_load(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_qa-load"));
    for (k, _) in std::env::vars() {
        if k.starts_with("PG") || k == "DATABASE_URL" || k == "QA_LOAD_FAIL_AT" {
            cmd.env_remove(k);
        }
    }
    cmd.env("HOME", dir).current_dir(dir).stdin(Stdio::null());
    cmd
}

pub fn run(dir: &Path, args: &[&str]) -> Run {
    qa_load(dir)
        .args(args)
        .output()
        .expect("run qa-load")
        .into()
}

pub fn run_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = qa_load(dir);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run qa-load").into()
}

/// `qa-load verify --input INPUT --database URL`, then `extra`.
pub fn verify(dir: &Path, url: &str, input: &Path, extra: &[&str]) -> Run {
    let input = input.to_str().expect("a UTF-8 path");
    let mut args = vec!["verify", "--input", input, "--database", url];
    args.extend_from_slice(extra);
    run(dir, &args)
}

/// The `| entity | count |` rows of a fixtures README, by entity name.
pub fn readme_figures(readme: &Path) -> BTreeMap<String, usize> {
    let text =
        std::fs::read_to_string(readme).unwrap_or_else(|e| panic!("{}: {e}", readme.display()));
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let cells: Vec<&str> = line
            .trim()
            .trim_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        if cells.len() >= 2 {
            if let Ok(n) = cells[1].parse::<usize>() {
                let key = match cells[0] {
                    "app–category links" | "app-category links" => "app_categories",
                    other => other,
                };
                out.entry(key.to_string()).or_insert(n);
            }
        }
    }
    out
}

/// The real frontend's data as an apps.json envelope, the way the npm extract builds it:
/// the module evaluated by node (test scaffolding only), i18n names via qad-core.
pub fn real_apps_json(dir: &Path) -> PathBuf {
    static JSON: OnceLock<String> = OnceLock::new();
    let text = JSON.get_or_init(|| {
        let root = real_frontend();
        let module = root.join("src/app/services/applicationsData.ts");
        let script = "const fs = require('fs');\
            const src = fs.readFileSync(process.argv[1], 'utf8').replace(/export const /g, 'exports.');\
            const m = { exports: {} };\
            new Function('exports', src)(m.exports);\
            process.stdout.write(JSON.stringify({ applicationsData: m.exports.applicationsData, categories: m.exports.categories }));";
        let out = Command::new("node")
            .arg("-e")
            .arg(script)
            .arg(&module)
            .output()
            .expect("node must be installed to convert the real module for the tests");
        assert!(out.status.success(), "node failed: {}", String::from_utf8_lossy(&out.stderr));
        let module_json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("node output is JSON");
        let read = |p: &str| -> serde_json::Value {
            serde_json::from_str(&std::fs::read_to_string(root.join(p)).unwrap()).unwrap()
        };
        let mut input = qad_core::decode(qad_core::Input::Value(module_json)).expect("module decodes");
        input.i18n = Some(qad_core::I18n::from_frontend_files(
            &read("src/assets/i18n/en.json"),
            &read("src/assets/i18n/ar.json"),
        ));
        let envelope = input.to_envelope(Some("qa-load integration tests".into()));
        serde_json::to_string(&envelope).unwrap()
    });
    let path = dir.join("apps.json");
    std::fs::write(&path, text).unwrap();
    path
}

/// The run ids in `qa-load history --json`, newest first, with status.
pub fn history(dir: &Path, url: &str) -> Vec<serde_json::Value> {
    let r = run(
        dir,
        &["history", "--json", "--limit", "100", "--database", url],
    )
    .expect(0);
    r.json().as_array().cloned().unwrap_or_default()
}

pub mod django;
pub mod faults;
pub mod layouts;
