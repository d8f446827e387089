// The Quran Apps Directory's real Django backend, for tests: stood up by
// scripts/django-backend.sh against a PostgreSQL superuser URL, read back through SQL and its API,
// and compared byte for byte with pg_dump.
//
//   const admin = await adminDatabase();             // QAD_TEST_DATABASE_URL, or a throw-away cluster
//   const dj = await startDjango({ adminUrl: admin.url, label: "mytest" });   // migrated, runserver
//   psql(dj.databaseUrl, "SELECT count(*) FROM apps");
//   await getJson(dj, "/api/apps/1-wahy");
//   const before = dumpCatalogue(dj.databaseUrl, dj.file("before.sql"));
//   ... the thing under test ...
//   assertSameDump(before, dumpCatalogue(dj.databaseUrl, dj.file("after.sql")));
//   manage(dj, ["shell", "-c", "print(1)"]);           // any manage.py command, with the backend's env
//   const lock = await holdLock(url, "SELECT 1 FROM apps WHERE id = 1 FOR UPDATE");  // another session's row lock
//   await waitForBlockedLoad(url);  await lock.release();   // a load made to wait at a known point
//   await stopDjango(dj);  await admin.stop();
//
// Not a test file itself (node --test only picks up tests/*.test.mjs).

import assert from "node:assert/strict";
import { execFile, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const SCRIPT = path.join(ROOT, "scripts/django-backend.sh");
const PG_THROWAWAY = path.join(ROOT, "scripts/pg-throwaway.sh");

/** The tables qa-load will write, in foreign-key order. */
export const CATALOGUE_TABLES = ["developers", "categories", "apps", "apps_categories", "app_screenshots"];

/** The backend's default public image bucket (config/settings/base.py, R2_PUBLIC_URL). */
export const DEFAULT_R2_PUBLIC_URL = "https://pub-e11717db663c469fb51c65995892b449.r2.dev";

function ok(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 256 << 20, ...opts });
  if (r.error) throw r.error;
  assert.equal(r.status, 0, `${path.basename(cmd)} ${args.join(" ")} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** One SQL statement through psql; its unaligned, tuples-only output (trailing newline removed). */
export function psql(url, sql) {
  return ok("psql", [url, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql]).stdout.replace(/\n$/, "");
}

/** Row counts of the catalogue tables: { apps: 45, ... }. */
export function catalogueCounts(url, tables = CATALOGUE_TABLES) {
  const sql = tables.map((t) => `SELECT '${t}', count(*) FROM ${t}`).join(" UNION ALL ");
  return Object.fromEntries(psql(url, sql).split("\n").map((l) => l.split("|")).map(([t, n]) => [t, Number(n)]));
}

/**
 * A PostgreSQL superuser the backend can use: QAD_TEST_DATABASE_URL when that server offers the
 * `vector` extension (scripts/test.sh's throw-away cluster, after `django-backend.sh prepare`),
 * else a throw-away cluster of our own on the local server binaries (where `prepare` installs
 * pgvector). Returns { url, stop() }; stop() removes only a cluster started here.
 */
export async function adminDatabase({ url = process.env.QAD_TEST_DATABASE_URL } = {}) {
  assert.ok(url, "QAD_TEST_DATABASE_URL must name a PostgreSQL superuser");
  await execFileAsync(SCRIPT, ["prepare"], { maxBuffer: 64 << 20 });
  const hasVector = psql(url, "SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'") === "1";
  if (hasVector) return { url, stop: async () => {} };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "qad-django-pg-"));
  fs.chmodSync(dir, 0o755);
  const pgdir = path.join(dir, "pg");
  const { stdout } = await execFileAsync(PG_THROWAWAY, ["start", pgdir, "--owner-pid", String(process.pid)]);
  return {
    url: stdout.trim().split("\n").pop(),
    stop: async () => {
      spawnSync(PG_THROWAWAY, ["stop", pgdir, "--remove"], { stdio: "ignore" });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

let counter = 0;

/**
 * Copies the backend, creates database `qad_dj_<label>_<pid>_<n>` on adminUrl's server, migrates it
 * and (unless runserver is false) starts `manage.py runserver` on a free port, stopped when this
 * process exits at the latest. Resolves to
 *   { dir, databaseUrl, dbName, python, backend, envFile, apiUrl (null without runserver),
 *     adminUrl, file(name) (a path in dir) }.
 */
export async function startDjango({ adminUrl, label = "test", dbName, r2PublicUrl, runserver = true } = {}) {
  assert.ok(adminUrl, "startDjango needs adminUrl (a PostgreSQL superuser URL)");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "qad-django-"));
  const name = dbName ?? `qad_dj_${label.toLowerCase().replace(/[^a-z0-9_]/g, "_")}_${process.pid}_${++counter}`.slice(0, 63);
  const args = ["start", dir, "--database-url", adminUrl, "--db-name", name];
  if (r2PublicUrl) args.push("--r2-public-url", r2PublicUrl);
  if (runserver) args.push("--runserver", "0", "--owner-pid", String(process.pid));
  let stdout;
  try {
    ({ stdout } = await execFileAsync(SCRIPT, args, { maxBuffer: 64 << 20 }));
  } catch (e) {
    throw new Error(`django-backend.sh start failed (exit ${e.code})\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
  }
  const info = JSON.parse(stdout.trim().split("\n").pop());
  return {
    dir,
    adminUrl,
    databaseUrl: info.database_url,
    dbName: info.db_name,
    python: info.python,
    backend: info.backend,
    envFile: info.env_file,
    apiUrl: info.api_url,
    file: (f) => path.join(dir, f),
  };
}

/** Stops the runserver, drops the database (unless keepDatabase) and removes the directory. */
export async function stopDjango(dj, { keepDatabase = false } = {}) {
  if (!dj) return;
  spawnSync(SCRIPT, ["stop", dj.dir], { stdio: "ignore" });
  if (!keepDatabase) psql(dj.adminUrl, `DROP DATABASE IF EXISTS ${dj.dbName} WITH (FORCE)`);
  fs.rmSync(dj.dir, { recursive: true, force: true });
}

/** `manage.py ARGS...` with the backend's settings; asserts exit 0; returns { stdout, stderr }. */
export function manage(dj, args, opts = {}) {
  const r = ok(SCRIPT, ["manage", dj.dir, ...args], opts);
  return { stdout: r.stdout, stderr: r.stderr };
}

/** The settings environment of DIR/env as an object (e.g. for running manage.py yourself). */
export function djangoEnv(dj) {
  return Object.fromEntries(
    fs.readFileSync(dj.envFile, "utf8").split("\n").filter((l) => l && !l.startsWith("#"))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
}

/** GET apiUrl + pathname; asserts HTTP 200; the parsed JSON body. */
export async function getJson(dj, pathname) {
  assert.ok(dj.apiUrl, "the backend was started without runserver");
  const res = await fetch(new URL(pathname, dj.apiUrl));
  const body = await res.text();
  assert.equal(res.status, 200, `GET ${pathname}: HTTP ${res.status}\n${body.slice(0, 2000)}`);
  return JSON.parse(body);
}

// pg_dump 15.14 and later wrap a plain dump in `\restrict KEY` ... `\unrestrict KEY` with a random
// KEY unless --restrict-key fixes it (older ones have neither).
let restrictKeyOption;
function restrictKeyArgs() {
  restrictKeyOption ??= ok("pg_dump", ["--help"]).stdout.includes("--restrict-key") ? ["--restrict-key=qadmigrate"] : [];
  return restrictKeyOption;
}

/**
 * `pg_dump --data-only` of the tables (default: the catalogue) into `file`; returns the path.
 * Rows come in physical order, so two dumps are byte-identical only if no row was written in
 * between, even with identical values: the check for "nothing changed".
 */
export function dumpCatalogue(url, file, { tables = CATALOGUE_TABLES } = {}) {
  const args = ["--data-only", "--no-owner", "--no-privileges", ...restrictKeyArgs(), "--file", file];
  for (const t of tables) args.push("--table", `public.${t}`);
  ok("pg_dump", [...args, url]);
  return file;
}

/** Asserts two dump files are byte-identical; on a difference, shows the first differing line. */
export function assertSameDump(fileA, fileB, message = "the catalogue tables changed") {
  const a = fs.readFileSync(fileA);
  const b = fs.readFileSync(fileB);
  if (a.equals(b)) return;
  const la = a.toString("utf8").split("\n");
  const lb = b.toString("utf8").split("\n");
  let i = 0;
  while (i < la.length && la[i] === lb[i]) i++;
  assert.fail(`${message}: ${fileA} and ${fileB} differ first at line ${i + 1}\n- ${la[i]?.slice(0, 300)}\n+ ${lb[i]?.slice(0, 300)}`);
}

/** True when the two dump files are byte-identical. */
export function sameDump(fileA, fileB) {
  return fs.readFileSync(fileA).equals(fs.readFileSync(fileB));
}

/**
 * Every row of the catalogue tables, each table in key order, as COPY text: equal strings mean
 * the tables hold byte for byte the same values (whatever the rows' physical order, which an
 * update and its undo change).
 */
export function catalogueRows(url, tables = CATALOGUE_TABLES) {
  return tables
    .map((t) => `-- ${t}\n` + ok("psql", [url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", `COPY (SELECT * FROM ${t} ORDER BY id) TO STDOUT`]).stdout)
    .join("");
}

/**
 * The real frontend (../shared/fixtures/frontend-2025-03) as an apps.json envelope, built the
 * way `qad-migrate extract` builds it (the module's two exports, the i18n category names), but
 * without installing TypeScript: the module is plain data once its `export const` are dropped.
 * Writes it to `file`; returns the parsed envelope.
 */
export function realAppsJson(file) {
  const root = path.resolve(ROOT, "../shared/fixtures/frontend-2025-03");
  const src = fs.readFileSync(path.join(root, "src/app/services/applicationsData.ts"), "utf8").replace(/export const /g, "exports.");
  const m = { exports: {} };
  new Function("exports", src)(m.exports);
  const cats = (lang) => JSON.parse(fs.readFileSync(path.join(root, `src/assets/i18n/${lang}.json`), "utf8")).appList.categories;
  const envelope = {
    format: "qad-migrate/apps",
    version: 1,
    generatedBy: "qad-migrate tests",
    options: { categoryAliases: {} },
    applicationsData: m.exports.applicationsData,
    categories: m.exports.categories,
    i18n: { en: cats("en"), ar: cats("ar") },
  };
  fs.writeFileSync(file, JSON.stringify(envelope));
  return envelope;
}

/**
 * A psql session holding a row lock in an open transaction (`sql` takes it), until release():
 * what makes a load wait at a known point, with no test-only fault in the binary.
 */
export async function holdLock(url, sql) {
  const child = spawn("psql", [url, "-X", "-q", "-v", "ON_ERROR_STOP=1"], { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => { out += d; });
  child.stdin.write(`BEGIN;\n${sql};\nSELECT 'locked';\n`);
  for (let i = 0; i < 100 && !out.includes("locked"); i++) await sleep(100);
  assert.ok(out.includes("locked"), "the lock was taken");
  return {
    release: () => new Promise((resolve) => { child.on("close", resolve); child.stdin.end("COMMIT;\n"); }),
  };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Waits until a qa-load session of the database waits for a lock; its pid. */
export async function waitForBlockedLoad(url) {
  for (let i = 0; i < 150; i++) {
    const pid = psql(url, `SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'qa-load/%'
      AND wait_event_type = 'Lock' AND datname = current_database() LIMIT 1`);
    if (pid) return pid;
    await sleep(100);
  }
  assert.fail("the load never waited for the lock");
}

/** The release qa-load the cross-component tests run (scripts/test.sh builds it). */
export const QA_LOAD = path.join(ROOT, "target/release/qa-load");

/** qa-load on `dj`'s database (the backend's media base URL given), from `dj.dir`. */
export function qaLoad(dj, args, { input } = {}) {
  const r = spawnSync(QA_LOAD, ["--database", dj.databaseUrl, "--no-log-file", "--media-base-url", DEFAULT_R2_PUBLIC_URL,
    ...(input ? ["--input", input] : []), ...args], { encoding: "utf8", maxBuffer: 64 << 20, cwd: dj.dir });
  if (r.error) throw r.error;
  return r;
}

/** qa-load running in the background: resolves to { status, stdout, stderr }. */
export function qaLoadAsync(dj, args, { input } = {}) {
  const child = spawn(QA_LOAD, ["--database", dj.databaseUrl, "--no-log-file", "--media-base-url", DEFAULT_R2_PUBLIC_URL,
    ...(input ? ["--input", input] : []), ...args], { cwd: dj.dir });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => { stdout += d; });
  child.stderr.on("data", (d) => { stderr += d; });
  return new Promise((resolve) => child.on("close", (status) => resolve({ status, stdout, stderr })));
}

/** `r` after asserting its exit code (the output in the message when it differs). */
export function expectExit(r, code) {
  assert.equal(r.status, code, `exit ${r.status}, expected ${code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  return r;
}

/** What psql prints for `sql` (e.g. a COPY ... TO STDOUT). */
export function copyOut(url, sql) {
  const r = spawnSync("psql", [url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], { encoding: "utf8", maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}
