//! The database to connect to, resolved as libpq resolves it.
//!
//! Sources, first found wins: `--database`, then `DATABASE_URL`, then the libpq `PG*`
//! environment variables alone. Both connection-string forms are accepted (URL
//! `postgres://user:pass@host:port/db?sslmode=require` and `host=... dbname=...` key/value), and
//! any parameter the string does not set falls back to its `PG*` variable, then to libpq's
//! default. The TLS parameters (`sslmode` with all six libpq values, `sslrootcert`, `sslcert`,
//! `sslkey`) are taken out here because tokio-postgres knows only disable/prefer/require; the
//! verification they ask for is done by our rustls connector (see [`crate::tls`]).
//!
//! Passwords never leave this module except inside `tokio_postgres::Config` (whose Debug
//! redacts them) and the `PGPASSWORD` of a `pg_dump` child; [`Database::describe`] prints
//! user, host, port, database and sslmode only.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use tokio_postgres::config::{Host, SslMode as PgSslMode};
use tokio_postgres::Client;

use crate::db::tls::{self, RootCert, Tls, Verify};

/// PostgreSQL 14: `hash_record_extended`, used by the journal.
pub const MIN_SERVER_VERSION: u32 = 140_000;

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    pub fn parse(s: &str) -> Result<SslMode> {
        Ok(match s {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => bail!(
                "invalid sslmode {other:?} (expected disable, allow, prefer, require, verify-ca or verify-full)"
            ),
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// The parameters libpq knows and tokio-postgres does not; taken out of connection strings.
const LIBPQ_ONLY: &[&str] = &[
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "sslpassword",
    "sslcompression",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "requiressl",
    "passfile",
    "gssencmode",
];

/// A resolved connection target.
#[derive(Clone)]
pub struct Database {
    pub config: tokio_postgres::Config,
    pub sslmode: SslMode,
    pub root_cert: Option<RootCert>,
    pub client_cert: Option<(PathBuf, PathBuf)>,
    /// Where the settings came from, for messages: `--database`, `DATABASE_URL`, `PG* environment`.
    pub source: &'static str,
}

/// Reads an environment variable; abstracted so that tests can resolve without touching the
/// process environment.
pub type EnvFn<'a> = &'a dyn Fn(&str) -> Option<String>;

pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Is any database configured at all? (`--dry-run` without one validates offline.)
pub fn is_configured(database: Option<&str>, env: EnvFn) -> bool {
    database.is_some()
        || env("DATABASE_URL").is_some()
        || [
            "PGHOST",
            "PGHOSTADDR",
            "PGDATABASE",
            "PGPORT",
            "PGUSER",
            "PGSERVICE",
        ]
        .iter()
        .any(|v| env(v).is_some())
}

impl Database {
    /// Resolves `--database`, `DATABASE_URL` and the `PG*` variables into the database to
    /// connect to, as libpq would. `root_cert` is `--root-cert`, which wins over `sslrootcert`.
    pub fn resolve(
        database: Option<&str>,
        root_cert: Option<&Path>,
        env: EnvFn,
    ) -> Result<Database> {
        let (text, source) = match database {
            Some(d) => (Some(d.to_string()), "--database"),
            None => match env("DATABASE_URL") {
                Some(u) => (Some(u), "DATABASE_URL"),
                None => (None, "PG* environment"),
            },
        };
        let (mut config, mut params) = match &text {
            Some(t) => parse_connection_string(t).with_context(|| {
                format!("the connection string from {source} is not valid (value not shown: it may contain a password)")
            })?,
            None => (tokio_postgres::Config::new(), BTreeMap::new()),
        };
        config_from_env(&mut config, env)?;
        libpq_params_from_env(&mut params, env);
        password(&mut config, &params, env);
        let (sslmode, root, client_cert) = tls_settings(&params, root_cert, env)?;
        config.ssl_mode(pg_ssl_mode(&config, sslmode));
        Ok(Database {
            config,
            sslmode,
            root_cert: root,
            client_cert,
            source,
        })
    }

    /// How the server certificate is checked: libpq verifies the chain whenever a root
    /// certificate is available, even for `require`/`prefer`, and the host name only for
    /// `verify-full`.
    pub fn verify(&self) -> Result<Verify> {
        Ok(match (self.sslmode, &self.root_cert) {
            (SslMode::VerifyCa | SslMode::VerifyFull, None) => bail!(
                "sslmode={} needs a root certificate to verify the server against, and none was found: \
                 pass --root-cert FILE or sslrootcert=FILE (or sslrootcert=system), or place it at \
                 ~/.postgresql/root.crt; or use sslmode=require to encrypt without verifying",
                self.sslmode.as_str()
            ),
            (SslMode::VerifyFull, Some(r)) => Verify::Full(r.clone()),
            (SslMode::VerifyCa, Some(r)) => Verify::Chain(r.clone()),
            (SslMode::Disable, _) => Verify::None,
            (_, Some(r)) => Verify::Chain(r.clone()),
            (_, None) => Verify::None,
        })
    }

    /// `user@host:port/dbname (sslmode=...)`: never the password.
    pub fn describe(&self) -> String {
        let hosts: Vec<String> = if self.config.get_hosts().is_empty() {
            self.config
                .get_hostaddrs()
                .iter()
                .map(|a| a.to_string())
                .collect()
        } else {
            self.config
                .get_hosts()
                .iter()
                .map(|h| match h {
                    Host::Tcp(name) => name.clone(),
                    Host::Unix(path) => path.display().to_string(),
                })
                .collect()
        };
        let ports = if self.config.get_ports().is_empty() {
            "5432".to_string()
        } else {
            self.config
                .get_ports()
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        let user = self.config.get_user().unwrap_or("?");
        let db = self.config.get_dbname().unwrap_or(user);
        format!(
            "{user}@{}:{ports}/{db} (sslmode={})",
            hosts.join(","),
            self.sslmode.as_str()
        )
    }

    pub fn tls(&self) -> Result<Tls> {
        tls::make(self.verify()?, self.client_cert.as_ref())
    }

    /// Connects with `application_name` set, in UTC (journal timestamps compare as text).
    pub async fn connect(&self, application_name: &str) -> Result<(Client, Tls)> {
        let tls = self.tls()?;
        let mut config = self.config.clone();
        config.application_name(application_name);
        let (client, connection) = config
            .connect(tls.clone())
            .await
            .with_context(|| format!("could not connect to {}", self.describe()))?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(target: "qa_load::conn", error = %e, "connection closed with an error");
            }
        });
        client
            .batch_execute("SET TIME ZONE 'UTC'")
            .await
            .context("could not set the session time zone")?;
        let version: String = client
            .query_one("SELECT current_setting('server_version_num')", &[])
            .await
            .context("could not read the server version")?
            .get(0);
        if version.parse::<u32>().unwrap_or(0) < MIN_SERVER_VERSION {
            bail!(
                "{} runs PostgreSQL {version}; qa-load needs PostgreSQL 14 or newer (hash_record_extended)",
                self.describe()
            );
        }
        // If qa-load dies (SIGKILL, OOM, a closed terminal) while a statement runs, the server
        // would otherwise notice only when that statement ends, holding the migration lock and
        // the transaction's row locks until then. With this, it checks every second and rolls
        // back at once. Not available on every platform (the server refuses it): then skipped.
        if let Err(e) = client
            .batch_execute("SET client_connection_check_interval = '1s'")
            .await
        {
            tracing::debug!(target: "qa_load::conn", error = %e, "client_connection_check_interval not set");
        }
        Ok((client, tls))
    }

    /// Environment for a libpq client child process (`pg_dump`): the same target, password
    /// in `PGPASSWORD` rather than on a command line.
    pub fn libpq_env(&self, application_name: &str) -> Vec<(String, String)> {
        let mut env = Vec::new();
        let hosts: Vec<String> = self
            .config
            .get_hosts()
            .iter()
            .map(|h| match h {
                Host::Tcp(name) => name.clone(),
                Host::Unix(path) => path.display().to_string(),
            })
            .collect();
        if !hosts.is_empty() {
            env.push(("PGHOST".into(), hosts.join(",")));
        }
        let addrs: Vec<String> = self
            .config
            .get_hostaddrs()
            .iter()
            .map(|a| a.to_string())
            .collect();
        if !addrs.is_empty() {
            env.push(("PGHOSTADDR".into(), addrs.join(",")));
        }
        if !self.config.get_ports().is_empty() {
            env.push((
                "PGPORT".into(),
                self.config
                    .get_ports()
                    .iter()
                    .map(u16::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
            ));
        }
        if let Some(u) = self.config.get_user() {
            env.push(("PGUSER".into(), u.into()));
        }
        if let Some(d) = self.config.get_dbname() {
            env.push(("PGDATABASE".into(), d.into()));
        }
        if let Some(pw) = self.config.get_password() {
            env.push((
                "PGPASSWORD".into(),
                String::from_utf8_lossy(pw).into_owned(),
            ));
        }
        env.push(("PGSSLMODE".into(), self.sslmode.as_str().into()));
        match &self.root_cert {
            Some(RootCert::File(p)) => env.push(("PGSSLROOTCERT".into(), p.display().to_string())),
            Some(RootCert::System) => env.push(("PGSSLROOTCERT".into(), "system".into())),
            None => {}
        }
        if let Some((c, k)) = &self.client_cert {
            env.push(("PGSSLCERT".into(), c.display().to_string()));
            env.push(("PGSSLKEY".into(), k.display().to_string()));
        }
        env.push(("PGAPPNAME".into(), application_name.into()));
        env
    }
}

fn expand_home(path: &str, env: EnvFn) -> PathBuf {
    match (path.strip_prefix("~/"), env("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(path),
    }
}

/// libpq's fallbacks: every connection parameter the string leaves unset comes from its
/// environment variable, else libpq's default.
fn config_from_env(config: &mut tokio_postgres::Config, env: EnvFn) -> Result<()> {
    // libpq: every parameter the string leaves unset falls back to its environment variable.
    if config.get_hosts().is_empty() && config.get_hostaddrs().is_empty() {
        if let Some(h) = env("PGHOST") {
            for host in h.split(',') {
                config.host(host.trim());
            }
        }
        if let Some(a) = env("PGHOSTADDR") {
            for addr in a.split(',') {
                config.hostaddr(
                    addr.trim()
                        .parse()
                        .map_err(|_| anyhow!("PGHOSTADDR {addr:?} is not an IP address"))?,
                );
            }
        }
        if config.get_hosts().is_empty() && config.get_hostaddrs().is_empty() {
            // libpq's compiled-in default on Debian: the unix socket directory.
            if Path::new("/var/run/postgresql").is_dir() {
                config.host("/var/run/postgresql");
            } else {
                config.host("localhost");
            }
        }
    }
    if config.get_ports().is_empty() {
        if let Some(p) = env("PGPORT") {
            for port in p.split(',') {
                config.port(
                    port.trim()
                        .parse()
                        .map_err(|_| anyhow!("PGPORT {port:?} is not a port number"))?,
                );
            }
        }
    }
    if config.get_user().is_none() {
        let user = env("PGUSER")
            .or_else(|| env("USER"))
            .or_else(|| env("LOGNAME"))
            .unwrap_or_else(|| "postgres".to_string());
        config.user(user);
    }
    if config.get_dbname().is_none() {
        if let Some(db) = env("PGDATABASE") {
            config.dbname(db);
        }
    }
    if config.get_options().is_none() {
        if let Some(o) = env("PGOPTIONS") {
            config.options(o);
        }
    }
    if config.get_connect_timeout().is_none() {
        let secs = env("PGCONNECT_TIMEOUT")
            .and_then(|s| s.parse::<u64>().ok())
            .filter(|s| *s > 0)
            .unwrap_or(30);
        config.connect_timeout(Duration::from_secs(secs.max(2)));
    }
    Ok(())
}

/// The libpq-only parameters (TLS files, the password file) the string leaves unset, from
/// their environment variables; `requiressl=1` is `sslmode=require`.
fn libpq_params_from_env(params: &mut BTreeMap<String, String>, env: EnvFn) {
    for (param, var) in [
        ("sslmode", "PGSSLMODE"),
        ("sslrootcert", "PGSSLROOTCERT"),
        ("sslcert", "PGSSLCERT"),
        ("sslkey", "PGSSLKEY"),
        ("passfile", "PGPASSFILE"),
    ] {
        if !params.contains_key(param) {
            if let Some(v) = env(var) {
                params.insert(param.to_string(), v);
            }
        }
    }
    if params.get("requiressl").map(String::as_str) == Some("1") && !params.contains_key("sslmode")
    {
        params.insert("sslmode".into(), "require".into());
    }
}

/// The password: the string's, else `PGPASSWORD`, else the password file's entry.
fn password(config: &mut tokio_postgres::Config, params: &BTreeMap<String, String>, env: EnvFn) {
    if config.get_password().is_none() {
        if let Some(pw) = env("PGPASSWORD") {
            config.password(pw);
        } else if let Some(pw) =
            passfile_password(config, params.get("passfile").map(String::as_str), env)
        {
            config.password(pw);
        }
    }
}

/// A client certificate and its key.
type ClientCert = (PathBuf, PathBuf);

/// TLS, with libpq's meaning: the mode, the root certificate(s) and the client certificate.
fn tls_settings(
    params: &BTreeMap<String, String>,
    root_cert: Option<&Path>,
    env: EnvFn,
) -> Result<(SslMode, Option<RootCert>, Option<ClientCert>)> {
    let explicit_mode = match params.get("sslmode") {
        Some(m) => Some(SslMode::parse(m)?),
        None => None,
    };
    let mut root = match root_cert {
        Some(p) => Some(RootCert::File(p.to_path_buf())),
        None => params.get("sslrootcert").map(|r| {
            if r == "system" {
                RootCert::System
            } else {
                RootCert::File(expand_home(r, env))
            }
        }),
    };
    if root.is_none() {
        // libpq's default location; used only when the file exists.
        if let Some(home) = env("HOME") {
            let default = Path::new(&home).join(".postgresql/root.crt");
            if default.is_file() {
                root = Some(RootCert::File(default));
            }
        }
    }
    let sslmode = match (explicit_mode, &root) {
        (Some(m), Some(RootCert::System)) if m < SslMode::VerifyFull => bail!(
            "weak sslmode \"{}\" may not be used with sslrootcert=system (use \"verify-full\")",
            m.as_str()
        ),
        (Some(m), _) => m,
        (None, Some(RootCert::System)) => SslMode::VerifyFull,
        (None, _) => SslMode::Prefer,
    };
    let client_cert = match (params.get("sslcert"), params.get("sslkey")) {
        (Some(c), Some(k)) => Some((expand_home(c, env), expand_home(k, env))),
        (None, None) => None,
        _ => bail!("sslcert and sslkey must be given together"),
    };
    Ok((sslmode, root, client_cert))
}

/// What tokio-postgres is told of TLS for `sslmode`.
fn pg_ssl_mode(config: &tokio_postgres::Config, sslmode: SslMode) -> PgSslMode {
    let all_unix = !config.get_hosts().is_empty()
        && config.get_hostaddrs().is_empty()
        && config
            .get_hosts()
            .iter()
            .all(|h| matches!(h, Host::Unix(_)));
    match sslmode {
        // libpq ignores sslmode on unix sockets: they carry no TLS.
        _ if all_unix => PgSslMode::Disable,
        SslMode::Disable => PgSslMode::Disable,
        SslMode::Allow | SslMode::Prefer => PgSslMode::Prefer,
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => PgSslMode::Require,
    }
}

/// Splits a connection string into what tokio-postgres parses and the libpq-only parameters.
fn parse_connection_string(s: &str) -> Result<(tokio_postgres::Config, BTreeMap<String, String>)> {
    let s = s.trim();
    let mut ours = BTreeMap::new();
    let rest = if s.starts_with("postgres://") || s.starts_with("postgresql://") {
        match s.split_once('?') {
            None => s.to_string(),
            Some((base, query)) => {
                let mut kept = Vec::new();
                for pair in query.split('&').filter(|p| !p.is_empty()) {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    let key = percent_decode(k)?;
                    if LIBPQ_ONLY.contains(&key.as_str()) {
                        ours.insert(key, percent_decode(v)?);
                    } else {
                        kept.push(pair);
                    }
                }
                if kept.is_empty() {
                    base.to_string()
                } else {
                    format!("{base}?{}", kept.join("&"))
                }
            }
        }
    } else {
        let mut kept = Vec::new();
        for (k, v) in tokenize_key_values(s)? {
            if LIBPQ_ONLY.contains(&k.as_str()) {
                ours.insert(k, v);
            } else {
                kept.push(format!(
                    "{k}='{}'",
                    v.replace('\\', "\\\\").replace('\'', "\\'")
                ));
            }
        }
        kept.join(" ")
    };
    let config: tokio_postgres::Config = if rest.is_empty() {
        tokio_postgres::Config::new()
    } else {
        rest.parse().map_err(|e: tokio_postgres::Error| {
            // tokio-postgres' parse errors name the option, never its value.
            anyhow!("{e}")
        })?
    };
    Ok((config, ours))
}

fn percent_decode(s: &str) -> Result<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                let b = u8::from_str_radix(hex, 16)
                    .map_err(|_| anyhow!("bad percent-encoding in a connection parameter"))?;
                out.push(b);
                i += 3;
            }
            b'%' => bail!("bad percent-encoding in a connection parameter"),
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| anyhow!("a connection parameter is not UTF-8"))
}

/// Tokenizes libpq's `key=value key2='quoted value'` form.
fn tokenize_key_values(s: &str) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') {
            bail!("missing \"=\" after {key:?} in the connection string");
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            loop {
                match chars.next() {
                    None => bail!("unterminated quoted value for {key:?} in the connection string"),
                    Some('\\') => match chars.next() {
                        Some(c) => value.push(c),
                        None => bail!("unterminated quoted value for {key:?}"),
                    },
                    Some('\'') => break,
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                chars.next();
                if c == '\\' {
                    if let Some(n) = chars.next() {
                        value.push(n);
                    }
                } else {
                    value.push(c);
                }
            }
        }
        out.push((key, value));
    }
    Ok(out)
}

/// The password from `~/.pgpass` (or `passfile` / `PGPASSFILE`) for this target, as libpq
/// looks it up: `hostname:port:database:username:password`, `*` matching anything.
fn passfile_password(
    config: &tokio_postgres::Config,
    passfile: Option<&str>,
    env: EnvFn,
) -> Option<Vec<u8>> {
    let path = match passfile {
        Some(p) => expand_home(p, env),
        None => Path::new(&env("HOME")?).join(".pgpass"),
    };
    let text = std::fs::read_to_string(path).ok()?;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(_)) => "localhost".to_string(),
        None => config.get_hostaddrs().first()?.to_string(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let user = config.get_user()?.to_string();
    let db = config
        .get_dbname()
        .map(str::to_string)
        .unwrap_or_else(|| user.clone());
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields = split_pgpass_line(line);
        if fields.len() != 5 {
            continue;
        }
        let matches = |pattern: &str, value: &str| pattern == "*" || pattern == value;
        if matches(&fields[0], &host)
            && matches(&fields[1], &port)
            && matches(&fields[2], &db)
            && matches(&fields[3], &user)
        {
            return Some(fields[4].clone().into_bytes());
        }
    }
    None
}

fn split_pgpass_line(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(n), Some(f)) = (chars.next(), fields.last_mut()) {
                    f.push(n);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => {
                if let Some(f) = fields.last_mut() {
                    f.push(c);
                }
            }
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn url_with_libpq_ssl_modes_resolves_and_never_shows_the_password() {
        let env = env_of(&[]);
        let t = Database::resolve(
            Some("postgres://app:s3cr%40t@db.example.com:6543/qad?sslmode=verify-full&sslrootcert=/tmp/ca.pem&connect_timeout=5"),
            None,
            &env,
        )
        .unwrap();
        assert_eq!(t.sslmode, SslMode::VerifyFull);
        assert_eq!(t.root_cert, Some(RootCert::File("/tmp/ca.pem".into())));
        assert_eq!(t.config.get_password(), Some(&b"s3cr@t"[..]));
        assert_eq!(t.config.get_ssl_mode(), PgSslMode::Require);
        let shown = t.describe();
        assert_eq!(shown, "app@db.example.com:6543/qad (sslmode=verify-full)");
        assert!(!format!("{:?}", t.config).contains("s3cr"));
        assert!(matches!(t.verify().unwrap(), Verify::Full(_)));
    }

    #[test]
    fn require_encrypts_without_verifying_unless_a_root_cert_is_given() {
        let env = env_of(&[("HOME", "/nonexistent")]);
        let t =
            Database::resolve(Some("postgresql://u:p@h/db?sslmode=require"), None, &env).unwrap();
        assert_eq!(t.verify().unwrap(), Verify::None);
        let t = Database::resolve(
            Some("postgresql://u:p@h/db?sslmode=require"),
            Some(Path::new("/x/ca.crt")),
            &env,
        )
        .unwrap();
        assert_eq!(
            t.verify().unwrap(),
            Verify::Chain(RootCert::File("/x/ca.crt".into()))
        );
        let t =
            Database::resolve(Some("postgresql://u:p@h/db?sslmode=verify-ca"), None, &env).unwrap();
        let err = t.verify().unwrap_err().to_string();
        assert!(err.contains("--root-cert"), "{err}");
    }

    #[test]
    fn key_value_strings_and_pg_environment_fill_in() {
        let env = env_of(&[
            ("PGHOST", "pg.internal"),
            ("PGPORT", "5433"),
            ("PGUSER", "loader"),
            ("PGPASSWORD", "pw"),
            ("PGSSLMODE", "verify-ca"),
            ("PGSSLROOTCERT", "/etc/ca.crt"),
        ]);
        let t = Database::resolve(Some("dbname='qa d' application_name=x"), None, &env).unwrap();
        assert_eq!(
            t.describe(),
            "loader@pg.internal:5433/qa d (sslmode=verify-ca)"
        );
        assert_eq!(t.config.get_password(), Some(&b"pw"[..]));
        assert_eq!(
            t.verify().unwrap(),
            Verify::Chain(RootCert::File("/etc/ca.crt".into()))
        );
        // Nothing given at all: the environment alone.
        let t = Database::resolve(None, None, &env).unwrap();
        assert_eq!(t.source, "PG* environment");
        assert_eq!(
            t.describe(),
            "loader@pg.internal:5433/loader (sslmode=verify-ca)"
        );
    }

    #[test]
    fn unix_sockets_carry_no_tls_and_bad_modes_are_refused() {
        let env = env_of(&[]);
        let t =
            Database::resolve(Some("host=/tmp/sock user=u sslmode=require"), None, &env).unwrap();
        assert_eq!(t.config.get_ssl_mode(), PgSslMode::Disable);
        assert!(
            Database::resolve(Some("postgres://u@h/db?sslmode=sometimes"), None, &env).is_err()
        );
        let e = Database::resolve(
            Some("postgres://u@h/db?sslmode=require&sslrootcert=system"),
            None,
            &env,
        )
        .err()
        .unwrap()
        .to_string();
        assert!(e.contains("verify-full"), "{e}");
        let bad = Database::resolve(Some("postgres://u:topsecret@h:notaport/db"), None, &env)
            .err()
            .unwrap();
        assert!(!format!("{bad:#}").contains("topsecret"), "{bad:#}");
    }

    #[test]
    fn pgpass_lines_are_split_with_escapes() {
        assert_eq!(
            split_pgpass_line(r"h:5432:*:u:pa\:ss:word"),
            vec!["h", "5432", "*", "u", "pa:ss:word"]
        );
    }
}
