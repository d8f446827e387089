#!/usr/bin/env node
// The benchmark driver behind bench/run.sh (which starts PostgreSQL and passes --database).
//
//   node bench/bench.mjs --database URL [--quick] [--apps N] [--reps R] [--work DIR]
//                        [--qa-load BIN] [--psql BIN] [--out FILE] [--strict] [--baseline DIR]
//                        [--no-django | --django-only]
//
// Measures, side by side, on the real data (44 apps, from ../shared/fixtures) and on N generated
// apps (bench/gen/generate.mjs): qa-load into both layouts, its own tables and the Django
// backend's (--layout django; bench/lib/django.mjs), each at --batch-size 10 and 1000 and each
// against the COPY floor of its own tables and a psql COPY process, in the same repetitions; the
// wasm core in Node against JSON.parse; the whole `qad-migrate validate` command; peak RSS of
// qa-load and qad-migrate against the input size. Without --baseline also the backend's own
// `manage.py load_applications_data` against qa-load --layout django. The Django loads go into a
// fresh copy of a template the real backend migrated and that was emptied of catalogue rows
// (with the version's qa-load bookkeeping applied before timing).
// Prints a Markdown table of medians and ratios with targets (PASS/MISS) and writes it to --out.
// Exits non-zero only when something breaks (a command fails, row counts differ, the generated
// data has errors); a missed ratio fails only with --strict.
//
// --baseline DIR: DIR is another checkout of this repository, built (its release qa-load in
// DIR/target/release, its wasm in DIR/npm/dist/wasm). Every figure that depends on the version is
// then measured for both, interleaved repetition by repetition (the order alternating: baseline
// first in even repetitions, current first in odd ones), each with its own qa-load (and its own
// template databases: its own `qa-load schema apply`, and its own bookkeeping in the Django
// template), its own `qad-migrate` entry and its own core module; the floors (COPY into either
// layout's tables, psql, Node, the module floor) are measured once per repetition. The table
// shows baseline, current and current/baseline for each figure, both layouts at both batch sizes.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

import { generate, writeFrontend, envelopeFor, npmApi } from "./gen/generate.mjs";
import { writeCopyScript, TABLES } from "./lib/copy.mjs";
import { DJANGO_TABLES, MEDIA_BASE_URL, makeDjangoTemplate, qaLoadDjangoArgs, writeBackendInput, writeDjangoCopyScript } from "./lib/django.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "..");
const require = createRequire(import.meta.url);

// ------------------------------------------------------------------------------------------
// Options
// ------------------------------------------------------------------------------------------

function parseOptions(argv) {
  const o = {
    quick: false,
    apps: undefined,
    reps: undefined,
    work: undefined,
    database: process.env.BENCH_DATABASE_URL,
    qaLoad: path.join(repoRoot, "target", "release", "qa-load"),
    psql: "psql",
    out: undefined,
    strict: false,
    seed: "qad-bench",
    real: process.env.BENCH_REAL_FIXTURE ?? path.resolve(repoRoot, "..", "shared", "fixtures", "frontend-2025-03"),
    note: process.env.BENCH_MACHINE_NOTE ?? "",
    quietMinutes: 10,
    baseline: undefined,
    baselineQaLoad: undefined,
    // The Django backend's tables: "on" (a full run fails when the backend cannot be stood up;
    // quick mode then skips them with a note), "off", or "only" (nothing else is measured).
    django: "on",
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case "--quick": o.quick = true; break;
      case "--apps": o.apps = Number(val()); break;
      case "--reps": o.reps = Number(val()); break;
      case "--work": o.work = val(); break;
      case "--database": o.database = val(); break;
      case "--qa-load": o.qaLoad = val(); break;
      case "--psql": o.psql = val(); break;
      case "--out": o.out = val(); break;
      case "--strict": o.strict = true; break;
      case "--seed": o.seed = val(); break;
      case "--real": o.real = val(); break;
      case "--note": o.note = val(); break;
      case "--quiet-wait": o.quietMinutes = Number(val()); break;
      case "--baseline": o.baseline = path.resolve(val()); break;
      case "--baseline-qa-load": o.baselineQaLoad = val(); break;
      case "--no-django": o.django = "off"; break;
      case "--django-only": o.django = "only"; break;
      default: throw new Error(`unknown argument ${a}`);
    }
  }
  o.apps ??= o.quick ? 200 : 10_000;
  o.reps ??= o.quick ? 1 : 5;
  if (!Number.isInteger(o.apps) || o.apps < 1) throw new Error("--apps must be a positive whole number");
  if (!Number.isInteger(o.reps) || o.reps < 1) throw new Error("--reps must be a positive whole number");
  if (o.baseline && o.django === "only") throw new Error("--django-only and --baseline do not go together");
  if (!o.database) throw new Error("--database URL (or BENCH_DATABASE_URL) is required; bench/run.sh starts a throw-away PostgreSQL");
  return o;
}

// ------------------------------------------------------------------------------------------
// Running and measuring commands
// ------------------------------------------------------------------------------------------

class Broken extends Error {}

const log = (msg) => process.stderr.write(`bench: ${msg}\n`);

/**
 * Runs a command under /usr/bin/time (peak RSS) and times it with the monotonic clock.
 * Returns {ms, rssKb, status, stdout, stderr}. Throws Broken on a non-zero exit unless `allow`.
 */
function measure(what, cmd, args, { cwd, env, allow = [0], stdoutFile } = {}) {
  const rssFile = path.join(os.tmpdir(), `qad-bench-rss-${process.pid}`);
  const stdio = ["ignore", stdoutFile ? fs.openSync(stdoutFile, "w") : "pipe", "pipe"];
  const t0 = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-f", "%M", "-o", rssFile, cmd, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio,
    maxBuffer: 1 << 30,
    encoding: "utf8",
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (stdoutFile) fs.closeSync(stdio[1]);
  if (r.error) throw new Broken(`${what}: cannot run ${cmd}: ${r.error.message}`);
  let rssKb = NaN;
  try {
    const lines = fs.readFileSync(rssFile, "utf8").trim().split("\n");
    rssKb = Number(lines[lines.length - 1]);
    fs.rmSync(rssFile, { force: true });
  } catch {
    /* reported as n/a */
  }
  if (!allow.includes(r.status)) {
    const tail = `${r.stderr ?? ""}`.split("\n").slice(-25).join("\n");
    throw new Broken(`${what}: \`${cmd} ${args.join(" ")}\` exited with ${r.status}\n${tail}`);
  }
  return { ms, rssKb, status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** A plain command whose output we need (not measured). */
function run(what, cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 30, ...opts, env: { ...process.env, ...opts.env } });
  if (r.error) throw new Broken(`${what}: cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Broken(`${what}: \`${cmd} ${args.join(" ")}\` exited with ${r.status}\n${r.stderr}`);
  return r.stdout;
}

const median = (xs) => {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};

// ------------------------------------------------------------------------------------------
// PostgreSQL
// ------------------------------------------------------------------------------------------

class Pg {
  constructor(o) {
    this.admin = o.database;
    this.psqlBin = o.psql;
    this.qaLoad = o.qaLoad;
    this.prefix = `qad_bench_${process.pid}`;
    this.template = `${this.prefix}_tpl`;
    this.seq = 0;
  }

  url(db) {
    let u;
    try {
      u = new URL(this.admin);
    } catch {
      throw new Broken("the database must be given as a URL (postgres://user:pass@host:port/db)");
    }
    u.pathname = `/${db}`;
    return u.toString();
  }

  psql(sql, db = null) {
    return run("psql", this.psqlBin, ["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", db ? this.url(db) : this.admin, "-c", sql]).trim();
  }

  /**
   * The template: an empty database with qa-load's schema, applied by qa-load itself (each
   * version of qa-load, with --baseline, gets its own: the schemas differ between versions).
   */
  makeTemplate(work, qaLoad = this.qaLoad, template = this.template) {
    this.psql(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    this.psql(`CREATE DATABASE ${template}`);
    run("qa-load schema apply", qaLoad, ["schema", "apply", "--database", this.url(template), "--no-log-file", "--quiet"], { cwd: work });
    const tables = this.psql("SELECT coalesce(string_agg(schemaname || ' ' || n, ', '), 'none') FROM (SELECT schemaname, count(*) AS n FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') GROUP BY 1 ORDER BY 1) t", template);
    log(`template database ${template}: schema applied by ${qaLoad} (tables: ${tables})`);
  }

  /** A fresh empty database with the schema, checkpointed, for one measured run. */
  fresh(template = this.template) {
    const name = `${this.prefix}_run${++this.seq}`;
    this.psql(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    this.psql("CHECKPOINT");
    return name;
  }

  drop(name) {
    this.psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }

  counts(db, tables = TABLES) {
    const sql = `SELECT ${tables.map((t) => `(SELECT count(*) FROM ${t})`).join(" || ' ' || ")}`;
    const values = this.psql(sql, db).split(" ").map(Number);
    return Object.fromEntries(tables.map((t, i) => [t, values[i]]));
  }

  /** A psql script file, as the admin role, into database `db`. */
  psqlFile(file, db) {
    return run("psql", this.psqlBin, ["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", this.url(db), "-f", file]).trim();
  }

  cleanup() {
    try {
      const names = this.psql(`SELECT datname FROM pg_database WHERE datname LIKE '${this.prefix}%'`).split("\n").filter(Boolean);
      for (const n of names) this.psql(`DROP DATABASE IF EXISTS ${n} WITH (FORCE)`);
    } catch (e) {
      log(`cleanup: ${e.message}`);
    }
  }
}

// ------------------------------------------------------------------------------------------
// Inputs
// ------------------------------------------------------------------------------------------

function linkTypeScript(dir) {
  const nm = path.join(dir, "node_modules");
  fs.mkdirSync(nm, { recursive: true });
  const target = path.join(repoRoot, "npm", "node_modules", "typescript");
  if (!fs.existsSync(target)) throw new Broken(`${target} is missing: run scripts/setup.sh (npm ci in npm/)`);
  fs.rmSync(path.join(nm, "typescript"), { force: true, recursive: true });
  fs.symlinkSync(target, path.join(nm, "typescript"), "dir");
}

/** {label, apps, dir, module, appsJson, copySql, dataset counts} */
function prepareInputs(o, work, api) {
  const inputs = [];
  if (fs.existsSync(path.join(o.real, "src", "app", "services", "applicationsData.ts"))) {
    const dir = path.join(work, "real");
    fs.cpSync(o.real, dir, { recursive: true });
    linkTypeScript(dir);
    const appsJson = path.join(work, "real.apps.json");
    run("qad-migrate extract (real data)", process.execPath, [path.join(repoRoot, "npm", "bin", "qad-migrate.js"), "extract", "--root", dir, "--out", appsJson, "--format", "json"]);
    inputs.push({ key: "real", dir, appsJson });
  } else {
    log(`the real data is not at ${o.real}: its columns are skipped`);
  }
  const dir = path.join(work, `gen-${o.apps}`);
  const t0 = Date.now();
  const data = generate({ apps: o.apps, seed: o.seed });
  const { moduleBytes } = writeFrontend(dir, data);
  const { text } = envelopeFor(api, data, moduleBytes);
  const appsJson = path.join(work, `gen-${o.apps}.apps.json`);
  fs.writeFileSync(appsJson, text);
  linkTypeScript(dir);
  log(`generated ${o.apps} apps in ${((Date.now() - t0) / 1000).toFixed(1)} s (seed ${JSON.stringify(o.seed)})`);
  inputs.push({ key: "gen", dir, appsJson });

  for (const input of inputs) {
    const text = fs.readFileSync(input.appsJson, "utf8");
    const m = api.transform(text);
    if (m.report.errors > 0) throw new Broken(`${input.appsJson}: ${m.report.errors} validation error(s) in the core`);
    input.apps = m.dataset.apps.length;
    input.label = input.key === "real" ? `real (${input.apps} apps)` : `generated (${input.apps} apps)`;
    input.warnings = m.report.warnings;
    input.module = path.join(input.dir, "src", "app", "services", "applicationsData.ts");
    input.moduleBytes = fs.statSync(input.module).size;
    input.jsonBytes = Buffer.byteLength(text);
    input.copySql = path.join(work, `${input.key}.copy.sql`);
    input.rows = writeCopyScript(m.dataset, input.copySql);
    input.copyBytes = fs.statSync(input.copySql).size;
    if (o.django !== "off") {
      // The same rows as the Django backend's rows (bench/lib/django.mjs).
      input.djangoCopySql = path.join(work, `${input.key}.django-copy.sql`);
      input.djangoRows = writeDjangoCopyScript(m.dataset, input.djangoCopySql, { mediaBase: MEDIA_BASE_URL });
    }
    log(`${input.label}: apps.json ${mb(input.jsonBytes)}, module ${mb(input.moduleBytes)}, 0 errors, ${input.warnings} warnings; rows ${JSON.stringify(input.rows)}`);
  }
  return inputs;
}

const mb = (bytes) => `${(bytes / 1048576).toFixed(1)} MiB`;

// ------------------------------------------------------------------------------------------
// The measurements
// ------------------------------------------------------------------------------------------

function checkRows(pg, db, input, what) {
  const got = pg.counts(db);
  for (const t of TABLES) {
    if (got[t] !== input.rows[t]) {
      throw new Broken(`${what} on ${input.label}: ${t} has ${got[t]} rows, expected ${input.rows[t]}`);
    }
  }
}

/**
 * The versions measured: the current checkout, and with --baseline the other checkout first.
 * Each has its own qa-load, template database, `qad-migrate` entry and core module.
 */
function versionsFor(o, pg) {
  const cur = {
    key: "cur",
    label: "current",
    root: repoRoot,
    qaLoad: o.qaLoad,
    cli: path.join(repoRoot, "npm", "bin", "qad-migrate.js"),
    core: path.join(repoRoot, "npm", "lib", "core.js"),
    template: pg.template,
    tag: "",
  };
  if (!o.baseline) return [cur];
  cur.tag = "-cur";
  const dir = o.baseline;
  const pkgFile = path.join(dir, "npm", "package.json");
  if (!fs.existsSync(pkgFile)) throw new Broken(`--baseline ${dir}: no npm/package.json there (not a checkout of this repository?)`);
  const pkg = JSON.parse(fs.readFileSync(pkgFile, "utf8"));
  const binEntry = typeof pkg.bin === "string" ? pkg.bin : pkg.bin?.["qad-migrate"];
  if (!binEntry) throw new Broken(`--baseline ${dir}: npm/package.json has no qad-migrate bin entry`);
  // The core's own module when the checkout has one, else the package's main entry.
  const coreFile = fs.existsSync(path.join(dir, "npm", "lib", "core.js")) ? path.join(dir, "npm", "lib", "core.js") : path.join(dir, "npm", pkg.main ?? "lib/index.js");
  const base = {
    key: "base",
    label: "baseline",
    root: dir,
    qaLoad: o.baselineQaLoad ?? path.join(dir, "target", "release", "qa-load"),
    cli: path.join(dir, "npm", binEntry),
    core: coreFile,
    template: `${pg.template}_base`,
    tag: "-base",
  };
  for (const [what, p] of [["baseline qa-load", base.qaLoad], ["baseline qad-migrate", base.cli], ["baseline core module", base.core], ["baseline wasm", path.join(dir, "npm", "dist", "wasm")]]) {
    if (!fs.existsSync(p)) throw new Broken(`${what} not found at ${p} (bench/run.sh --baseline builds it)`);
  }
  return [base, cur];
}

/** The versions in the order of repetition `rep`: A B, then B A, and so on. */
const inTurn = (versions, rep) => (rep % 2 ? [...versions].reverse() : versions);

/**
 * Every load of one input, both layouts side by side, repetition by repetition:
 *   own tables:    qa-load --batch-size 10 and 1000 per version; the COPY floor (psql) once.
 *   Django tables: qa-load --layout django --batch-size 10 and 1000 per version (when the
 *                  Django template is there and the version's qa-load has the layout); the COPY
 *                  floor into the Django tables once; without --baseline also the backend's own
 *                  `manage.py load_applications_data` and, on the real data, the backend's
 *                  command and qa-load into the freshly migrated database.
 * The order of the kinds rotates between repetitions, and the versions take turns (inTurn), so
 * that no side always runs first (warm caches, autovacuum, checkpoints) and both layouts run
 * under the same load. Each load goes into a fresh copy of its template, after a CHECKPOINT;
 * qa-load and COPY must leave the dataset's row counts.
 *
 * Returns {versions: {KEY: {own: {b10, b1000, copy} | null, dj: {b10, b1000, copy} | null}},
 * django: {copy, backend, backendMigrated, qaloadMigrated, qaload} | null}; each COPY array is
 * shared by every version (one floor per repetition), django.qaload is the current version's
 * Django load at the default batch size (10), for the backend comparison.
 */
function loadRuns(o, pg, work, input, versions, dj) {
  const own = o.django !== "only";
  const djOn = !dj.skipped;
  const copy = [];
  const djCopy = [];
  const res = Object.fromEntries(versions.map((v) => [v.key, {
    own: own ? { b10: [], b1000: [], copy } : null,
    dj: djOn ? { b10: [], b1000: [], copy: djCopy, missing: v.dj?.missing ?? null } : null,
  }]));
  const cur = versions.find((v) => v.key === "cur");
  const django = djOn ? { copy: djCopy, backend: [], backendMigrated: [], qaloadMigrated: [], qaload: res.cur.dj.b10 } : null;
  // The backend's command does not depend on qa-load's version: not run with --baseline.
  const backend = djOn && !o.baseline;
  // On the real data, the backend's command and qa-load also run into the freshly migrated
  // database (its 45 seeded apps are the real 44 and one more): what a user of the directory
  // would run them on. No COPY there: its rows would collide with the seeded ones.
  const migrated = backend && input.key === "real";
  if (backend) writeBackendInput(input.appsJson, dj.backend);
  const kinds = [
    ...(own ? ["b10", "b1000", "copy"] : []),
    ...(djOn ? ["dj-b10", "dj-b1000", "dj-copy"] : []),
    ...(backend ? ["backend"] : []),
    ...(migrated ? ["backendMigrated", ...(cur.dj.missing ? [] : ["qaloadMigrated"])] : []),
  ];
  const djCheck = (db, what) => {
    const got = pg.counts(db, DJANGO_TABLES);
    for (const t of DJANGO_TABLES) {
      if (got[t] !== input.djangoRows[t]) throw new Broken(`${what} on ${input.label}: ${t} has ${got[t]} rows, expected ${input.djangoRows[t]}`);
    }
  };
  const copyRun = (layout) => {
    const django = layout === "django";
    const what = django ? "psql COPY (Django tables)" : "psql COPY";
    const db = pg.fresh(django ? dj.template : cur.template);
    try {
      const r = measure(what, o.psql, ["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", pg.url(db), "-f", django ? input.djangoCopySql : input.copySql], { cwd: work });
      const m = r.stdout.match(/copy_ms=([\d.]+)/);
      if (!m) throw new Broken(`${what} printed no timing: ${r.stdout.slice(0, 200)}`);
      if (django) {
        const perTable = Object.fromEntries((r.stdout.match(/copy_table_ms=(\S+)/)?.[1] ?? "").split(",").filter(Boolean).map((x) => x.split(":")).map(([t, v]) => [t, Number(v)]));
        djCopy.push({ ms: r.ms, txMs: Number(m[1]), rssKb: r.rssKb, perTable });
        djCheck(db, what);
      } else {
        copy.push({ ms: r.ms, txMs: Number(m[1]), rssKb: r.rssKb });
        checkRows(pg, db, input, what);
      }
    } finally {
      pg.drop(db);
    }
  };
  // qa-load as a user runs it: the default log file (here in the work dir), progress on stderr;
  // --json only so that the summary can be read back.
  // `extra`: options for this run only (into the seeded rows: the file wins, as the backend's
  // command's does; qa-load's default there stops on the rows the backend's migrations repaired).
  const qaLoadRun = (v, layout, kind, template = null, extra = []) => {
    const django = layout === "django";
    const batch = kind === "b10" ? "10" : kind === "b1000" ? "1000" : null;
    const db = pg.fresh(template ?? (django ? v.djTemplate : v.template));
    try {
      const what = `qa-load${django ? " --layout django" : ""}${v.tag ? ` (${v.label})` : ""}${batch ? ` --batch-size ${batch}` : ""}`;
      const logFile = path.join(work, `qa-load-${input.key}${v.tag}${django ? "-django" : ""}-${kind}.log`);
      const r = measure(what, v.qaLoad, [
        ...(django ? v.dj.args : []),
        "--input", input.appsJson, "--database", pg.url(db), ...(batch ? ["--batch-size", batch] : []),
        "--log-file", logFile, "--json", "--timeout", "60m", ...extra,
      ], { cwd: work });
      let summary = {};
      try {
        summary = JSON.parse(r.stdout);
      } catch {
        /* no JSON summary: keep the wall time only */
      }
      const sample = { ms: r.ms, rssKb: r.rssKb, reportedMs: summary.duration_ms, statements: summary.statements, batches: summary.batches, stages: logStages(logFile) };
      if (template) {
        // Into the seeded rows: what it leaves is recorded, not checked (it updates the seeded
        // apps it finds by slug; the 45th seeded app and the seeded developers stay).
        sample.rows = pg.counts(db, DJANGO_TABLES);
      } else if (django) {
        djCheck(db, what);
      } else {
        checkRows(pg, db, input, what);
      }
      return sample;
    } finally {
      pg.drop(db);
    }
  };
  const backendRun = (kind) => {
    const db = pg.fresh(kind === "backendMigrated" ? dj.migratedTemplate : dj.template);
    try {
      const outFile = path.join(work, `${input.key}.${kind}.load_applications_data.out`);
      const r = measure("manage.py load_applications_data", dj.python, ["manage.py", "load_applications_data"], {
        cwd: dj.backend,
        env: { ...dj.env, DB_NAME: db },
        stdoutFile: outFile,
      });
      const text = fs.readFileSync(outFile, "utf8");
      const count = (re) => (text.match(re) ?? []).length;
      const firstError = /✗ Error loading app [^\n]*/.exec(text)?.[0] ?? null;
      django[kind].push({ ms: r.ms, rssKb: r.rssKb, rows: pg.counts(db, DJANGO_TABLES), created: count(/✓ App Created/g), existed: count(/~ App Already Exists/g), errors: count(/✗ Error loading app/g), firstError });
    } finally {
      pg.drop(db);
    }
  };

  for (let rep = 0; rep < o.reps; rep++) {
    const order = kinds.map((_, i) => kinds[(i + rep) % kinds.length]);
    for (const kind of order) {
      if (kind === "copy") copyRun("own");
      else if (kind === "dj-copy") copyRun("django");
      else if (kind === "backend" || kind === "backendMigrated") backendRun(kind);
      else if (kind === "qaloadMigrated") {
        django.qaloadMigrated.push(qaLoadRun(cur, "django", "default", dj.migratedTemplate, ["--on-conflict", "use-file"]));
      }
      else {
        const layout = kind.startsWith("dj-") ? "django" : "own";
        const batch = kind.replace(/^dj-/, "");
        for (const v of inTurn(versions, rep)) {
          if (layout === "django" && v.dj.missing) continue;
          res[v.key][layout === "django" ? "dj" : "own"][batch].push(qaLoadRun(v, layout, batch));
        }
      }
    }
    const last = (xs) => (xs.length ? `${xs.at(-1).ms.toFixed(0)} ms` : "n/a");
    const parts = [];
    for (const v of versions) {
      const p = versions.length > 1 ? `${v.label}: ` : "";
      if (own) parts.push(`${p}qa-load b10 ${last(res[v.key].own.b10)}, b1000 ${last(res[v.key].own.b1000)}`);
      if (djOn) parts.push(`${p}qa-load --layout django b10 ${v.dj.missing ? "not measured" : last(res[v.key].dj.b10)}, b1000 ${v.dj.missing ? "not measured" : last(res[v.key].dj.b1000)}`);
    }
    if (own) parts.push(`COPY tx ${copy.at(-1).txMs.toFixed(0)} ms (psql process ${copy.at(-1).ms.toFixed(0)} ms)`);
    if (djOn) parts.push(`COPY into the Django tables tx ${djCopy.at(-1).txMs.toFixed(0)} ms (psql process ${djCopy.at(-1).ms.toFixed(0)} ms)`);
    if (backend) {
      const b = django.backend.at(-1);
      parts.push(`load_applications_data ${b.ms.toFixed(0)} ms (wrote ${DJANGO_TABLES.map((t) => b.rows[t]).join(", ")}; ${b.errors} error(s) printed)`);
    }
    if (migrated) {
      const b = django.backendMigrated.at(-1);
      parts.push(`into the migrated database: load_applications_data ${b.ms.toFixed(0)} ms (leaves ${DJANGO_TABLES.map((t) => b.rows[t]).join(", ")})${django.qaloadMigrated.length ? `, qa-load ${last(django.qaloadMigrated)}` : ""}`);
    }
    log(`${input.label}: load rep ${rep + 1}/${o.reps}: ${parts.join("; ")}`);
  }
  return { versions: res, django };
}

// Where qa-load's time goes, from the timestamps of its log file: each stage ends at a marker
// line; a stage whose markers are missing (the log format changed) is left out.
const STAGES = [
  ["start", /qa-load started/],
  ["read the input", /extract: read the input/],
  ["decode + transform (core)", /transform: built the dataset/],
  ["validate + report", /validate: /],
  ["checksum + connect", /qa_load::session: connected/],
  ["lock + prefetch + plan", /plan table=/],
  ["write batches + read-back check", /post-load check passed/],
  ["entity log + commit", /committed run_id/],
  ["exit", /qa-load finished/],
];

/** "2026-11-25T02:23:34.979528Z" -> milliseconds, microseconds kept. */
function logTime(iso) {
  const [whole, frac = "0"] = iso.replace("Z", "").split(".");
  return Date.parse(`${whole}Z`) + Number(`0.${frac}`) * 1000;
}

function logStages(file) {
  let text;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
  // qa-load appends to its log file, which every repetition of a kind shares: only the last run
  // counts (the one just measured), from its own "qa-load started" line on.
  const lines = text.split("\n");
  let first = 0;
  lines.forEach((line, i) => {
    if (STAGES[0][1].test(line)) first = i;
  });
  const at = {};
  for (const line of lines.slice(first)) {
    const m = /^(\d{4}-\d\d-\d\dT[\d:.]+Z)/.exec(line);
    if (!m) continue;
    for (const [name, re] of STAGES) {
      if (at[name] === undefined && re.test(line)) at[name] = logTime(m[1]);
    }
  }
  const out = {};
  let prev = null;
  for (const [name] of STAGES) {
    if (at[name] === undefined) continue;
    if (prev !== null) out[name] = at[name] - at[prev];
    prev = name;
  }
  return out;
}

function coreRuns(o, input, versions) {
  if (versions.length === 1) {
    const out = run("core benchmark", process.execPath, ["--expose-gc", path.join(here, "lib", "core-bench.mjs"), input.appsJson, String(o.reps)]);
    const r = JSON.parse(out.trim().split("\n").at(-1));
    if (r.errors !== 0) throw new Broken(`core benchmark on ${input.label}: ${r.errors} errors`);
    log(`${input.label}: core: JSON.parse ${median(r.parse).toFixed(1)} ms, validate ${median(r.validate).toFixed(1)} ms, transform ${median(r.transform).toFixed(1)} ms`);
    return { [versions[0].key]: r };
  }
  // The first call in a fresh process: one process per version and repetition, interleaved.
  const cold = Object.fromEntries(versions.map((v) => [v.key, []]));
  for (let rep = 0; rep < o.reps; rep++) {
    for (const v of inTurn(versions, rep)) {
      const out = run(`core benchmark, first call (${v.label})`, process.execPath, ["--expose-gc", path.join(here, "lib", "core-bench.mjs"), input.appsJson, "1", "--cold", "--core", `${v.key}=${v.core}`]);
      const r = JSON.parse(out.trim().split("\n").at(-1));
      if (r.errors !== 0) throw new Broken(`core benchmark (${v.label}) on ${input.label}: ${r.errors} errors`);
      cold[v.key].push(r.coldValidate);
    }
  }
  // The steady state: both cores in one process, the steps interleaved repetition by repetition.
  const out = run("core benchmark", process.execPath, ["--expose-gc", path.join(here, "lib", "core-bench.mjs"), input.appsJson, String(o.reps), ...versions.flatMap((v) => ["--core", `${v.key}=${v.core}`])]);
  const all = JSON.parse(out.trim().split("\n").at(-1));
  const res = {};
  for (const v of versions) {
    const r = all[v.key];
    if (r.errors !== 0) throw new Broken(`core benchmark (${v.label}) on ${input.label}: ${r.errors} errors`);
    r.coldSamples = cold[v.key];
    r.coldValidate = median(cold[v.key]);
    res[v.key] = r;
    log(`${input.label}: core (${v.label}): JSON.parse ${median(r.parse).toFixed(1)} ms, validate ${median(r.validate).toFixed(1)} ms, transform ${median(r.transform).toFixed(1)} ms, first call ${r.coldValidate.toFixed(1)} ms`);
  }
  return res;
}

function cliRuns(o, work, input, versions) {
  const runs = Object.fromEntries(versions.map((v) => [v.key, []]));
  for (let rep = 0; rep < o.reps; rep++) {
    for (const v of inTurn(versions, rep)) {
      const r = measure(`qad-migrate validate${v.tag ? ` (${v.label})` : ""}`, process.execPath, [v.cli, "validate", "--root", input.dir], {
        cwd: work,
        stdoutFile: path.join(work, `${input.key}${v.tag}.validate.txt`),
      });
      runs[v.key].push({ ms: r.ms, rssKb: r.rssKb });
    }
  }
  for (const v of versions) {
    log(`${input.label}: qad-migrate validate${v.tag ? ` (${v.label})` : ""} ${median(runs[v.key].map((r) => r.ms)).toFixed(0)} ms, peak RSS ${(median(runs[v.key].map((r) => r.rssKb)) / 1024).toFixed(0)} MB`);
  }
  return runs;
}

/**
 * What any `qad-migrate validate` of this frontend holds before it reads a single record: Node,
 * the frontend's TypeScript loaded, and the module's text as a JS string (two bytes a character
 * once it has Arabic text). Peak RSS of a process that does only that.
 */
function moduleFloorRuns(o, work, input) {
  const script =
    "const path = require('node:path'); const { createRequire } = require('node:module');" +
    "const root = process.argv[1]; const ts = createRequire(path.join(root, 'package.json'))('typescript');" +
    "const text = require('node:fs').readFileSync(path.join(root, 'src/app/services/applicationsData.ts'), 'utf8');" +
    "process.stdout.write(String(text.length + (ts.version ? 0 : 1)));";
  const runs = [];
  for (let rep = 0; rep < Math.max(3, o.reps); rep++) {
    runs.push(measure("module floor", process.execPath, ["-e", script, input.dir], { cwd: work }));
  }
  return { ms: median(runs.map((r) => r.ms)), rssKb: median(runs.map((r) => r.rssKb)) };
}

function nodeFloor(o) {
  const runs = [];
  for (let rep = 0; rep < Math.max(3, o.reps); rep++) runs.push(measure("node -e 0", process.execPath, ["-e", "0"]));
  return { ms: median(runs.map((r) => r.ms)), rssKb: median(runs.map((r) => r.rssKb)) };
}

/**
 * Full runs wait (up to `minutes`) for the 1-minute load average to fall below 1 so that other
 * work on the machine (builds, tests) does not end up in the figures; the note records it.
 */
function waitForQuiet(minutes) {
  const until = Date.now() + minutes * 60_000;
  let said = false;
  while (os.loadavg()[0] >= 1 && Date.now() < until) {
    if (!said) log(`load average ${os.loadavg()[0].toFixed(2)}: waiting up to ${minutes} min for a quieter machine (--quiet-wait 0 to skip)`);
    said = true;
    spawnSync("sleep", ["10"]);
  }
  startLoad = os.loadavg();
}
let startLoad = os.loadavg();

// ------------------------------------------------------------------------------------------
// The Django backend's tables (bench/lib/django.mjs; bench/README.md)
// ------------------------------------------------------------------------------------------

/**
 * Stands the Django template up, or says why not: {skipped: reason} when the backend cannot be
 * stood up here (`scripts/django-backend.sh prepare` fails, or the bench's server has no pgvector);
 * a full run without --no-django treats that as broken. Once prepare has passed, a failure of
 * `start` (migrate) or of emptying the template is broken in every mode.
 */
function setupDjango(o, pg, work, versions) {
  if (o.django === "off") return { skipped: "--no-django" };
  const cannot = (reason) => {
    if (!o.quick) throw new Broken(`the Django backend cannot be stood up: ${reason}\n(--no-django measures without it)`);
    log(`Django backend tables skipped: ${reason}`);
    return { skipped: reason };
  };
  const t0 = Date.now();
  const prep = spawnSync(path.join(repoRoot, "scripts", "django-backend.sh"), ["prepare"], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (prep.status !== 0) return cannot(`scripts/django-backend.sh prepare exited with ${prep.status}: ${`${prep.stderr}`.trim().split("\n").slice(-3).join(" / ")}`);
  if (pg.psql("SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'") !== "1") {
    return cannot("the benchmark's PostgreSQL server has no pgvector (the backend's migrations need it)");
  }
  const dj = makeDjangoTemplate({
    repoRoot,
    adminUrl: pg.admin,
    dir: path.join(work, "django"),
    name: `${pg.prefix}_djtpl`,
    psql: (sql, db) => pg.psql(sql, db),
    psqlFile: (file, db) => pg.psqlFile(file, db),
  });
  // Each version's way to the Django layout, and its own copy of the emptied template with its
  // own bookkeeping (`qa-load schema apply --layout django`, before any timing, as the own
  // layout's template has its schema): the bookkeeping differs between versions, and no timed
  // run includes making it. A qa-load whose `schema apply` refuses the layout makes it in the
  // timed run instead (said in the log and the note).
  for (const v of versions) {
    v.dj = qaLoadDjangoArgs(v.qaLoad, MEDIA_BASE_URL);
    v.djTemplate = dj.template;
    v.djBookkeeping = "made by the timed load";
    if (v.dj.missing) {
      log(`qa-load${v.tag ? ` (${v.label})` : ""} into the Django tables: not measured (${v.dj.missing})`);
      continue;
    }
    const tpl = `${dj.template}_${v.key}`;
    pg.psql(`DROP DATABASE IF EXISTS ${tpl} WITH (FORCE)`);
    pg.psql(`CREATE DATABASE ${tpl} TEMPLATE ${dj.template}`);
    const r = spawnSync(v.qaLoad, ["schema", "apply", "--layout", "django", "--database", pg.url(tpl), "--no-log-file", "--quiet"], { cwd: work, encoding: "utf8" });
    if (r.status === 0) {
      v.djTemplate = tpl;
      v.djBookkeeping = "applied in the template";
      log(`Django template ${tpl}: qa-load's bookkeeping applied by ${v.qaLoad} (schema apply --layout django)`);
    } else {
      pg.psql(`DROP DATABASE IF EXISTS ${tpl} WITH (FORCE)`);
      log(`qa-load${v.tag ? ` (${v.label})` : ""}: schema apply --layout django exited with ${r.status} (${`${r.stderr}`.trim().split("\n").at(-1)}): its bookkeeping is made in each timed Django load`);
    }
  }
  dj.qaLoad = versions.find((v) => v.key === "cur").dj;
  const safe = (f) => {
    try {
      return f();
    } catch {
      return "n/a";
    }
  };
  dj.versions = safe(() => run("python", dj.python, ["-c", "import sys, django, psycopg2; print('Python', sys.version.split()[0] + ', Django', django.get_version() + ', psycopg2', psycopg2.__version__.split()[0])"]).trim());
  log(`Django template ${dj.template}: migrated by the backend (${JSON.stringify(dj.migrated)}), emptied of catalogue rows, in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${dj.versions}`);
  return dj;
}

/** The Django section of the report: {md, checks}. */
function djangoReport(o, inputs, dj, results) {
  if (dj.skipped) {
    return { md: `## The Django backend's tables\n\nNot measured: ${dj.skipped}.\n`, checks: [] };
  }
  if (o.baseline) return { md: "", checks: [] }; // the backend's command is not run with --baseline
  const cols = inputs.map((i) => i.key);
  const byKey = Object.fromEntries(inputs.map((i) => [i.key, i]));
  const med = (k, kind, field = "ms") => median(results[k][kind].map((x) => x[field]));
  const qa = (k) => med(k, "qaload");
  const fmtQa = (f) => (k) => (dj.qaLoad.missing ? "n/a" : f(k));
  const rows = [];
  const row = (label, f) => rows.push(`| ${label} | ${cols.map((k) => f(k)).join(" | ")} |`);
  const counts = (c) => DJANGO_TABLES.map((t) => c[t]).join(", ");
  row("rows of the dataset (developers, categories, apps, apps_categories, app_screenshots)", (k) => counts(byKey[k].djangoRows));
  row("COPY floor: BEGIN; 5× COPY; COMMIT (server clock)", (k) => fmtMs(med(k, "copy", "txMs")));
  row("psql process writing the same rows with COPY", (k) => fmtMs(med(k, "copy")));
  row("of which COPY app_screenshots (rows the backend's command does not write)", (k) => fmtMs(median(results[k].copy.map((x) => x.perTable?.app_screenshots))));
  row("of which COMMIT (the foreign keys are DEFERRABLE INITIALLY DEFERRED: every row's check runs here)", (k) => fmtMs(median(results[k].copy.map((x) => (x.perTable && Object.keys(x.perTable).length ? x.txMs - Object.values(x.perTable).reduce((a, b) => a + b, 0) : NaN)))));
  row("**qa-load --layout django** (default batch 10), whole process", (k) => (dj.qaLoad.missing ? `not measured: ${dj.qaLoad.missing}` : fmtMs(qa(k))));
  row("**backend `manage.py load_applications_data`**, whole process", (k) => fmtMs(med(k, "backend")));
  row("rows the backend's command wrote (same order)", (k) => {
    const all = results[k].backend.map((b) => counts(b.rows));
    return [...new Set(all)].join(" / ");
  });
  row("apps it reported created / errors it printed (it exits 0 either way)", (k) => {
    const b = results[k].backend.at(-1);
    return `${b.created} / ${b.errors}`;
  });
  row("ratio qa-load / COPY floor", fmtQa((k) => fmtX(qa(k) / med(k, "copy", "txMs"))));
  row("ratio qa-load / psql COPY process", fmtQa((k) => fmtX(qa(k) / med(k, "copy"))));
  row("ratio backend command / qa-load", fmtQa((k) => fmtX(med(k, "backend") / qa(k))));
  row("ratio backend command / psql COPY process (for scale)", (k) => fmtX(med(k, "backend") / med(k, "copy")));
  row("qa-load time the ≥ 20× target allows (backend command / 20)", (k) => fmtMs(med(k, "backend") / 20));
  if (results.real?.backendMigrated.length) {
    const onMigrated = (kind) => (k) => {
      const xs = results[k][kind];
      if (!xs.length) return k === "real" && kind === "qaloadMigrated" && dj.qaLoad.missing ? "not measured" : "–";
      return `${fmtMs(median(xs.map((x) => x.ms)))} (leaves ${[...new Set(xs.map((x) => counts(x.rows)))].join(" / ")})`;
    };
    row("into the freshly migrated database (45 seeded apps): backend command (rows it leaves)", onMigrated("backendMigrated"));
    row("into the freshly migrated database: qa-load --layout django --on-conflict use-file (rows it leaves)", onMigrated("qaloadMigrated"));
    row("into the freshly migrated database: ratio backend command / qa-load", (k) => (results[k].qaloadMigrated.length ? fmtX(med(k, "backendMigrated") / med(k, "qaloadMigrated")) : "–"));
  }
  row("peak RSS qa-load / backend command", (k) => `${dj.qaLoad.missing ? "n/a" : fmtMb(med(k, "qaload", "rssKb"))} / ${fmtMb(med(k, "backend", "rssKb"))}`);

  const checks = [];
  const push = (what, value, limit, op) => {
    const skipped = !!dj.qaLoad.missing;
    const pass = Number.isFinite(value) && (op === "≤" ? value <= limit : value >= limit);
    const result = skipped ? `not measured (${dj.qaLoad.missing})` : Number.isFinite(value) ? (pass ? "PASS" : "**MISS**") : "n/a";
    checks.push({ what, value, limit, op, pass, skipped, text: `| ${what} | ${skipped ? "n/a" : fmtX(value)} | ${op} ${fmtX(limit)} | ${result} |` });
  };
  for (const k of cols) push(`backend load_applications_data / qa-load --layout django, ${byKey[k].label}`, med(k, "backend") / qa(k), 20, "≥");

  const errors = cols.map((k) => results[k].backend.at(-1)).filter((b) => b.firstError);
  const md = `## The Django backend's tables

Each load goes into a fresh copy (\`CREATE DATABASE … TEMPLATE\`) of a database that the real
backend migrated (\`manage.py migrate\`, 58 migrations) and that was then emptied of its catalogue
rows (the 45 seeded apps, 34 developers, 573 screenshots, the metadata values), after a
CHECKPOINT; the order of the kinds rotates between repetitions. Backend: ${dj.versions};
settings \`config.settings.development\` (as scripts/django-backend.sh writes them). Media base
${MEDIA_BASE_URL}. The migrated template held ${counts(dj.migrated)} rows before it was emptied.

| median of ${o.reps} run(s) | ${cols.map((k) => byKey[k].label).join(" | ")} |
| --- | ${cols.map(() => "---:").join(" | ")} |
${rows.join("\n")}
${errors.length ? `\nThe backend's command printed errors and went on, e.g.: ${errors.map((b) => `\`${b.firstError.slice(0, 200)}\``).join("; ")}\n` : ""}`;
  return { md, checks };
}

// ------------------------------------------------------------------------------------------
// Report
// ------------------------------------------------------------------------------------------

const fmtMs = (ms) => (!Number.isFinite(ms) ? "n/a" : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`);
const fmtMb = (kb) => (Number.isFinite(kb) ? `${(kb / 1024).toFixed(1)} MiB` : "n/a");
const fmtX = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : "n/a");

/** The first 12 hex digits of a file's SHA-256: which binary was measured. */
function sha256Prefix(file) {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex").slice(0, 12);
}

function machineNote(o, pg) {
  const cpu = (() => {
    try {
      const m = fs.readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/);
      return m ? m[1].trim() : os.cpus()[0]?.model;
    } catch {
      return os.cpus()[0]?.model;
    }
  })();
  const safe = (f) => {
    try {
      return f();
    } catch {
      return "n/a";
    }
  };
  const pgVersion = safe(() => pg.psql("SHOW server_version"));
  const pgSettings = safe(() => pg.psql("SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync','synchronous_commit','full_page_writes','shared_buffers','max_wal_size')"));
  const ssl = safe(() => pg.psql("SELECT CASE WHEN ssl THEN 'TLS ' || version || ' ' || cipher ELSE 'no TLS' END FROM pg_stat_ssl WHERE pid = pg_backend_pid()"));
  const host = safe(() => new URL(o.database).host.replace(/^.*@/, ""));
  const git = safe(() => run("git", "git", ["-C", repoRoot, "log", "-1", "--format=%h %cs"]).trim());
  const dirty = safe(() => (run("git", "git", ["-C", repoRoot, "status", "--porcelain", "--", "core", "wasm", "native-cli", "npm/lib", "bench", ":!bench/results"]).trim() ? " (work tree has uncommitted changes)" : ""));
  const rustc = safe(() => run("rustc", "rustc", ["--version"]).trim());
  const qaLoadVersion = safe(() => `${run("qa-load", o.qaLoad, ["--version"]).trim()}, sha256 ${sha256Prefix(o.qaLoad)}`);
  return [
    `- date: ${new Date().toISOString()}; commit ${git}${dirty}`,
    `- machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}`,
    `- PostgreSQL ${pgVersion} on ${host} (${ssl}); ${pgSettings}`,
    `- ${qaLoadVersion} (release build); Node ${process.version}; ${rustc}`,
    `- load average (1, 5, 15 min) at the start: ${startLoad.map((x) => x.toFixed(2)).join(", ")}; at the end: ${os.loadavg().map((x) => x.toFixed(2)).join(", ")} (other work on the machine makes figures noisy)`,
    o.baseline ? baselineNote(o, safe) : null,
    o.note ? `- note: ${o.note}` : null,
  ].filter(Boolean).join("\n");
}

function baselineNote(o, safe) {
  const dir = o.baseline;
  const git = safe(() => run("git", "git", ["-C", dir, "log", "-1", "--format=%h %cs %s"]).trim());
  const dirty = safe(() => (run("git", "git", ["-C", dir, "status", "--porcelain", "--", "core", "wasm", "native-cli", "npm/lib"]).trim() ? " (work tree has uncommitted changes)" : ""));
  const bin = o.baselineQaLoad ?? path.join(dir, "target", "release", "qa-load");
  const qaLoadVersion = safe(() => `${run("qa-load", bin, ["--version"]).trim()}, sha256 ${sha256Prefix(bin)}`);
  return `- baseline: ${dir}, commit ${git}${dirty}; ${qaLoadVersion} (release build); measured interleaved with the current checkout, repetition by repetition`;
}

/**
 * Both layouts side by side (one version's results): qa-load into its own tables and into the
 * Django backend's tables, each at --batch-size 10 and 1000, each against the COPY floor of its
 * own tables, measured in the same repetitions. Returns {md, checks}: the table and the targets
 * on qa-load's loads (the own layout's, kept as they were, and the Django layout's). `djInfo`:
 * {skipped: why the Django tables were not measured at all, bookkeeping: where the version's
 * bookkeeping was made}; a version without the layout has results[k].dj.missing.
 */
function layoutsSection(o, inputs, results, djInfo = {}) {
  const djSkipped = djInfo.skipped ?? null;
  const byKey = Object.fromEntries(inputs.map((i) => [i.key, i]));
  const gen = byKey.gen;
  const real = byKey.real;
  const cols = inputs.map((i) => i.key);
  const own = cols.some((k) => results[k]?.load);
  const djMissing = (k) => djSkipped ?? results[k]?.dj?.missing ?? (results[k]?.dj ? null : "not measured");
  const sets = {
    own: (k) => results[k]?.load ?? null,
    dj: (k) => (djMissing(k) ? null : results[k].dj),
  };
  const med = (layout, kind, field = "ms") => (k) => median(sets[layout](k)?.[kind]?.map((x) => x[field]) ?? []);
  const floor = (layout) => med(layout, "copy", "txMs");
  const proc = (layout) => med(layout, "copy");
  const ratio = (layout, kind) => (k) => med(layout, kind)(k) / floor(layout)(k);

  const checks = [];
  const check = (what, value, limit, skipped = null) => {
    const pass = Number.isFinite(value) && value <= limit;
    const result = skipped ? `not measured (${skipped})` : Number.isFinite(value) ? (pass ? "PASS" : "**MISS**") : "n/a";
    checks.push({ what, value, limit, op: "≤", pass, skipped: !!skipped, text: `| ${what} | ${skipped ? "n/a" : fmtX(value)} | ≤ ${fmtX(limit)} | ${result} |` });
    return checks.at(-1);
  };
  const targetOf = {}; // "layout kind" -> the check on the generated input
  if (gen && own) {
    targetOf["own b1000"] = check(`qa-load --batch-size 1000 / COPY floor, ${gen.apps} apps`, ratio("own", "b1000")("gen"), 2);
    targetOf["own b10"] = check(`qa-load --batch-size 10 / COPY floor, ${gen.apps} apps`, ratio("own", "b10")("gen"), 5);
  }
  if (gen) {
    const skip = djMissing("gen");
    targetOf["dj b1000"] = check(`qa-load --layout django --batch-size 1000 / COPY floor (Django tables), ${gen.apps} apps`, ratio("dj", "b1000")("gen"), 1.3, skip);
    targetOf["dj b10"] = check(`qa-load --layout django --batch-size 10 / COPY floor (Django tables), ${gen.apps} apps`, ratio("dj", "b10")("gen"), 1.5, skip);
    check(`qa-load --layout django (default batch 10) / COPY floor (Django tables), ${gen.apps} apps (the issue's target)`, ratio("dj", "b10")("gen"), 2, skip);
  }
  if (real && own) check(`qa-load (default batch 10) / psql COPY process, real ${real.apps} apps`, med("own", "b10")("real") / proc("own")("real"), 3);
  if (real) check(`qa-load --layout django (default batch 10) / psql COPY process (Django tables), real ${real.apps} apps`, med("dj", "b10")("real") / proc("dj")("real"), 3, djMissing("real"));
  if (gen) {
    const rss = (layout, kind) => (med(layout, kind, "rssKb")("gen") * 1024) / gen.jsonBytes;
    if (own) {
      check(`peak RSS qa-load (b10) / apps.json size, ${gen.apps} apps`, rss("own", "b10"), 3);
      check(`peak RSS qa-load (b1000) / apps.json size, ${gen.apps} apps`, rss("own", "b1000"), 3);
    }
    check(`peak RSS qa-load --layout django (b10) / apps.json size, ${gen.apps} apps`, rss("dj", "b10"), 3, djMissing("gen"));
    check(`peak RSS qa-load --layout django (b1000) / apps.json size, ${gen.apps} apps`, rss("dj", "b1000"), 3, djMissing("gen"));
  }

  const head = `| median of ${o.reps} run(s) | ${cols.map((k) => `${byKey[k].label} | ratio to its COPY floor`).join(" | ")} | target${gen ? ` (${gen.apps} apps)` : ""} |\n| --- | ${cols.map(() => "---: | ---:").join(" | ")} | --- |`;
  const rows = [];
  const target = (key) => {
    const c = targetOf[key];
    if (!c) return "–";
    return `≤ ${fmtX(c.limit)} ${c.skipped ? "n/a" : Number.isFinite(c.value) ? (c.pass ? "PASS" : "**MISS**") : "n/a"}`;
  };
  const cell = (layout, kind) => (k) => {
    const miss = layout === "dj" ? djMissing(k) : own ? null : "--django-only";
    if (miss) return `not measured | –`;
    // The range of the per-repetition ratios: each load over the floor of its own repetition.
    const set = sets[layout](k);
    const per = (set?.[kind] ?? []).map((x, i) => x.ms / set.copy[i]?.txMs).filter(Number.isFinite);
    const range = per.length > 1 ? ` (${Math.min(...per).toFixed(2)}–${Math.max(...per).toFixed(2)})` : "";
    return `${fmtMs(med(layout, kind)(k))} | ${fmtX(ratio(layout, kind)(k))}${range}`;
  };
  const line = (label, f, t = "–") => rows.push(`| ${label} | ${cols.map((k) => f(k)).join(" | ")} | ${t} |`);
  const plain = (f) => (k) => `${f(k)} | –`;
  if (own) {
    line("**qa-load, own tables, --batch-size 10** (default)", cell("own", "b10"), target("own b10"));
    line("**qa-load, own tables, --batch-size 1000**", cell("own", "b1000"), target("own b1000"));
  }
  line("**qa-load --layout django, --batch-size 10** (default)", cell("dj", "b10"), target("dj b10"));
  line("**qa-load --layout django, --batch-size 1000**", cell("dj", "b1000"), target("dj b1000"));
  if (own) line("COPY floor, own tables (server clock)", plain((k) => fmtMs(floor("own")(k))));
  line("COPY floor, Django tables (server clock)", plain((k) => (djMissing(k) && !results[k]?.dj ? "not measured" : fmtMs(floor("dj")(k)))));
  if (own) line("psql COPY process, own tables", plain((k) => fmtMs(proc("own")(k))));
  line("psql COPY process, Django tables", plain((k) => (djMissing(k) && !results[k]?.dj ? "not measured" : fmtMs(proc("dj")(k)))));
  if (own) {
    line("Django layout / own layout, --batch-size 10 (whole process)", plain((k) => fmtX(med("dj", "b10")(k) / med("own", "b10")(k))));
    line("Django layout / own layout, --batch-size 1000 (whole process)", plain((k) => fmtX(med("dj", "b1000")(k) / med("own", "b1000")(k))));
    line("COPY floor, Django tables / own tables", plain((k) => fmtX(floor("dj")(k) / floor("own")(k))));
  }
  const rssPair = (layout) => (k) => `${fmtMb(med(layout, "b10", "rssKb")(k))} / ${fmtMb(med(layout, "b1000", "rssKb")(k))}`;
  if (own) line("peak RSS qa-load, own tables, b10 / b1000", plain(rssPair("own")));
  line("peak RSS qa-load --layout django, b10 / b1000", plain(rssPair("dj")));

  const bookkeeping = djInfo.bookkeeping ? ` qa-load's bookkeeping in the Django database: ${djInfo.bookkeeping}.` : "";
  const md = `## Both layouts

qa-load into its own tables (\`--layout qa-load\`, the default on an empty database) and into the
Django backend's tables (\`--layout django --media-base-url ${MEDIA_BASE_URL}\`), each at
\`--batch-size 10\` and \`1000\`, whole process, in the same repetitions (the order of the kinds
rotating), each against the COPY floor of the same rows into its own tables (the Django
tables' from bench/lib/django.mjs). Each load goes into a fresh copy of its layout's template:
qa-load's schema applied by \`qa-load schema apply\`, or the database the backend migrated,
emptied of catalogue rows.${bookkeeping}

${head}
${rows.join("\n")}
${o.reps > 1 ? "\nIn brackets: the range of the per-repetition ratios (each load over the COPY floor measured in\nits own repetition).\n" : ""}`;
  return { md, checks };
}

function report(o, inputs, results, node, note, django = { md: "", checks: [] }, djInfo = {}) {
  const byKey = Object.fromEntries(inputs.map((i) => [i.key, i]));
  const real = byKey.real;
  const gen = byKey.gen;
  const cols = inputs.map((i) => i.key);
  const R = (key) => results[key];
  const med = (key, f) => median(R(key) ? f(R(key)) : []);

  const rows = [];
  const row = (label, f) => rows.push(`| ${label} | ${cols.map((k) => f(k)).join(" | ")} |`);
  const r1 = (k) => med(k, (r) => [r.core.coldValidate]);
  const loadMed = (kind, field = "ms") => (k) => med(k, (r) => r.load[kind].map((x) => x[field]));

  row("input: apps.json / applicationsData.ts", (k) => `${mb(byKey[k].jsonBytes)} / ${mb(byKey[k].moduleBytes)}`);
  row("rows (devs, cats, apps, links, shots)", (k) => TABLES.map((t) => byKey[k].rows[t]).join(", "));
  row("**qa-load --batch-size 10** (default), whole process", (k) => fmtMs(loadMed("b10")(k)));
  row("**qa-load --batch-size 1000**, whole process", (k) => fmtMs(loadMed("b1000")(k)));
  row("COPY floor: BEGIN; 5× COPY; COMMIT (server clock)", (k) => fmtMs(loadMed("copy", "txMs")(k)));
  row("psql process writing the same rows with COPY", (k) => fmtMs(loadMed("copy")(k)));
  row("ratio qa-load b10 / COPY floor", (k) => fmtX(loadMed("b10")(k) / loadMed("copy", "txMs")(k)));
  row("ratio qa-load b1000 / COPY floor", (k) => fmtX(loadMed("b1000")(k) / loadMed("copy", "txMs")(k)));
  row("ratio qa-load b10 / psql COPY process", (k) => fmtX(loadMed("b10")(k) / loadMed("copy")(k)));
  row("ratio qa-load b1000 / psql COPY process", (k) => fmtX(loadMed("b1000")(k) / loadMed("copy")(k)));
  row("peak RSS qa-load b10 / b1000", (k) => `${fmtMb(loadMed("b10", "rssKb")(k))} / ${fmtMb(loadMed("b1000", "rssKb")(k))}`);
  row("peak RSS qa-load b1000 / apps.json size", (k) => fmtX((loadMed("b1000", "rssKb")(k) * 1024) / byKey[k].jsonBytes));
  row("JSON.parse(apps.json text) in Node (floor)", (k) => fmtMs(med(k, (r) => r.core.parse)));
  row("wasm core validate(text), first call in a fresh process (what the CLI pays)", (k) => fmtMs(med(k, (r) => [r.core.coldValidate])));
  row("**wasm core validate(text)** (decode, transform, every rule; report out)", (k) => fmtMs(med(k, (r) => r.core.validate)));
  row("wasm core transform(text) (the same, and the dataset out as JS objects)", (k) => fmtMs(med(k, (r) => r.core.transform)));
  row("JSON.parse of the output dataset's JSON (its size)", (k) => `${fmtMs(med(k, (r) => r.core.datasetParse ?? []))} (${mb(median(R(k) ? [R(k).core.datasetBytes] : []))})`);
  row("wasm core validate(object) (the CLI's path)", (k) => fmtMs(med(k, (r) => r.core.validateObject)));
  row("ratio validate / JSON.parse", (k) => fmtX(med(k, (r) => r.core.validate) / med(k, (r) => r.core.parse)));
  row("ratio transform / JSON.parse", (k) => fmtX(med(k, (r) => r.core.transform) / med(k, (r) => r.core.parse)));
  row("ratio transform / (JSON.parse of the input + of the output)", (k) => fmtX(med(k, (r) => r.core.transform) / (med(k, (r) => r.core.parse) + med(k, (r) => r.core.datasetParse ?? []))));
  row("ratio first-call validate / JSON.parse", (k) => fmtX(r1(k) / med(k, (r) => r.core.parse)));
  row("**qad-migrate validate** command (TypeScript import included)", (k) => fmtMs(med(k, (r) => r.cli.map((x) => x.ms))));
  row("peak RSS qad-migrate validate", (k) => fmtMb(med(k, (r) => r.cli.map((x) => x.rssKb))));
  row("peak RSS qad-migrate validate / applicationsData.ts size", (k) => fmtX((med(k, (r) => r.cli.map((x) => x.rssKb)) * 1024) / byKey[k].moduleBytes));
  row("floor: peak RSS of Node + TypeScript loaded + the module read into a JS string", (k) => (R(k)?.moduleFloor ? `${fmtMb(R(k).moduleFloor.rssKb)} (${fmtX((R(k).moduleFloor.rssKb * 1024) / byKey[k].moduleBytes)})` : "n/a"));
  row("ratio peak RSS qad-migrate validate / that floor", (k) => (R(k)?.moduleFloor ? fmtX(med(k, (r) => r.cli.map((x) => x.rssKb)) / R(k).moduleFloor.rssKb) : "n/a"));

  // qa-load's stages (median per stage over the repetitions), generated input.
  let stagesTable = "";
  if (gen) {
    const dj = R("gen").dj && !R("gen").dj.missing ? R("gen").dj : null;
    const kinds = [
      [R("gen").load, "b10", "own, --batch-size 10"], [R("gen").load, "b1000", "own, --batch-size 1000"],
      ...(dj ? [[dj, "b10", "Django, --batch-size 10"], [dj, "b1000", "Django, --batch-size 1000"]] : []),
    ];
    const names = STAGES.slice(1).map(([n]) => n).filter((n) => kinds.some(([set, k]) => set[k].some((x) => x.stages && x.stages[n] !== undefined)));
    if (names.length) {
      const line = (n) => `| ${n} | ${kinds.map(([set, k]) => fmtMs(median(set[k].map((x) => (x.stages ? x.stages[n] : NaN))))).join(" | ")} |`;
      stagesTable = `\n### Where qa-load's time goes (${gen.label}; from its log file's timestamps)\n\n| stage | ${kinds.map(([, , l]) => l).join(" | ")} |\n| --- | ${kinds.map(() => "---:").join(" | ")} |\n${names.map(line).join("\n")}\n| COPY floor, for comparison | ${fmtMs(loadMed("copy", "txMs")("gen"))} | ${fmtMs(loadMed("copy", "txMs")("gen"))} |${dj ? ` ${fmtMs(median(dj.copy.map((x) => x.txMs)))} | ${fmtMs(median(dj.copy.map((x) => x.txMs)))} |` : ""}`;
    }
  }

  const header = `| median of ${o.reps} run(s) | ${cols.map((k) => byKey[k].label).join(" | ")} |\n| --- | ${cols.map(() => "---:").join(" | ")} |`;
  const table = `${header}\n${rows.join("\n")}`;

  // Targets
  const checks = [];
  const check = (what, value, limit, fmt = fmtX) => {
    const ok = Number.isFinite(value) && value <= limit;
    checks.push({ what, value, limit, pass: ok, text: `| ${what} | ${fmt(value)} | ≤ ${fmt(limit)} | ${Number.isFinite(value) ? (ok ? "PASS" : "**MISS**") : "n/a"} |` });
  };
  // qa-load's loads, both layouts (the Both layouts section).
  const layouts = layoutsSection(o, inputs, results, djInfo);
  checks.push(...layouts.checks);
  if (gen) {
    const g = "gen";
    check(`peak RSS qad-migrate validate / applicationsData.ts size, ${gen.apps} apps`, (med(g, (r) => r.cli.map((x) => x.rssKb)) * 1024) / gen.moduleBytes, 3);
    // The core's whole work (decode, transform, every rule) against parsing its input. Returning
    // the rows as JS objects is reported apart (transform): that costs at least parsing the rows'
    // own JSON, which is bigger than the input, whatever the core does.
    check(`wasm core validate + transform (validate(text)) / JSON.parse, ${gen.apps} apps`, med(g, (r) => r.core.validate) / med(g, (r) => r.core.parse), 3);
  }
  checks.push(...django.checks);
  const targets = `| target | measured | limit | result |\n| --- | ---: | ---: | --- |\n${checks.map((c) => c.text).join("\n")}`;
  const quickNote = o.quick
    ? "\n\nQuick mode: the targets are defined for 10,000 apps; at this size fixed costs (process start-up,\nconnection, the Node runtime) dominate, so these ratios only show that every stage runs."
    : "";

  const md = `# qad-migrate benchmarks (${o.quick ? "quick mode" : "full run"})

${note}
- node startup floor (\`node -e 0\`): ${fmtMs(node.ms)}, peak RSS ${fmtMb(node.rssKb)}

${layouts.md}
## Medians and ratios

${table}
${stagesTable}
${django.md ? `\n${django.md}` : ""}
## Targets

${targets}${quickNote}

How each figure is taken: bench/README.md. Times are wall-clock; "whole process" includes
start-up, reading and validating the input, connecting (same URL and TLS mode as psql), the load,
its read-back check and the run record. Each load goes into a fresh database created from a
template that already has qa-load's schema (applied by \`qa-load schema apply\` before timing, the
same for both sides), after a CHECKPOINT.
`;
  return { md, checks };
}

/**
 * The report of a --baseline run: each version-dependent figure for the baseline and the current
 * checkout side by side, with current/baseline, the range of the per-repetition ratios (each
 * repetition's current sample over the baseline sample taken next to it) and each version's
 * spread ((max - min) / median of its samples); then the ratios to the floors and the targets
 * for both versions.
 */
function compareReport(o, inputs, results, versions, node, note, dj) {
  const figures = [];
  const pct = (xs) => {
    const v = xs.filter(Number.isFinite);
    if (v.length < 2) return "–";
    return `${(((Math.max(...v) - Math.min(...v)) / median(v)) * 100).toFixed(0)}%`;
  };
  const sections = [];
  for (const input of inputs) {
    const R = results[input.key];
    const rows = [];
    const fig = (label, samples, fmt) => {
      const b = samples(R.base);
      const c = samples(R.cur);
      const mB = median(b);
      const mC = median(c);
      const paired = b.map((x, i) => c[i] / x).filter(Number.isFinite);
      const range = paired.length > 1 ? `${Math.min(...paired).toFixed(2)}–${Math.max(...paired).toFixed(2)}` : "–";
      rows.push(`| ${label} | ${fmt(mB)} | ${fmt(mC)} | **${Number.isFinite(mC / mB) ? (mC / mB).toFixed(2) : "n/a"}** | ${range} | ${pct(b)} / ${pct(c)} |`);
      figures.push({ input: input.key, figure: label, baseline: b, current: c, medianBaseline: mB, medianCurrent: mC, ratio: mC / mB, pairedRatios: paired });
    };
    const ms = (f) => (r) => f(r).map((x) => x.ms);
    const kb = (f) => (r) => f(r).map((x) => x.rssKb);
    // A version without the Django layout (or a run without the Django tables) has no samples: n/a.
    const djSet = (kind) => (r) => (r.dj && !r.dj.missing ? r.dj[kind] : []);
    fig("qa-load, own tables, --batch-size 10 (default), whole process", ms((r) => r.load.b10), fmtMs);
    fig("qa-load, own tables, --batch-size 1000, whole process", ms((r) => r.load.b1000), fmtMs);
    fig("qa-load --layout django, --batch-size 10 (default), whole process", ms(djSet("b10")), fmtMs);
    fig("qa-load --layout django, --batch-size 1000, whole process", ms(djSet("b1000")), fmtMs);
    fig("peak RSS qa-load, own tables, --batch-size 10", kb((r) => r.load.b10), fmtMb);
    fig("peak RSS qa-load, own tables, --batch-size 1000", kb((r) => r.load.b1000), fmtMb);
    fig("peak RSS qa-load --layout django, --batch-size 10", kb(djSet("b10")), fmtMb);
    fig("peak RSS qa-load --layout django, --batch-size 1000", kb(djSet("b1000")), fmtMb);
    fig("JSON.parse(apps.json text) in Node (floor, timed next to each version's core)", (r) => r.core.parse, fmtMs);
    fig("wasm core validate(text), first call in a fresh process", (r) => r.core.coldSamples ?? [r.core.coldValidate], fmtMs);
    fig("wasm core validate(text)", (r) => r.core.validate, fmtMs);
    fig("wasm core transform(text)", (r) => r.core.transform, fmtMs);
    fig("JSON.parse of the output dataset's JSON", (r) => r.core.datasetParse, fmtMs);
    fig("wasm core validate(object) (the CLI's path)", (r) => r.core.validateObject, fmtMs);
    fig("qad-migrate validate command", ms((r) => r.cli), fmtMs);
    fig("peak RSS qad-migrate validate", kb((r) => r.cli), fmtMb);

    const copy = R.cur.load.copy;
    const floors = [
      `COPY floor (server clock) ${fmtMs(median(copy.map((x) => x.txMs)))} (spread ${pct(copy.map((x) => x.txMs))})`,
      `psql COPY process ${fmtMs(median(copy.map((x) => x.ms)))}`,
      R.cur.dj ? `COPY floor into the Django tables ${fmtMs(median(R.cur.dj.copy.map((x) => x.txMs)))} (spread ${pct(R.cur.dj.copy.map((x) => x.txMs))}), psql process ${fmtMs(median(R.cur.dj.copy.map((x) => x.ms)))}` : `Django tables: not measured (${dj.skipped ?? "n/a"})`,
      R.cur.moduleFloor ? `module floor (Node + TypeScript + the module as a string) peak RSS ${fmtMb(R.cur.moduleFloor.rssKb)}` : null,
      `output dataset's JSON ${mb(R.base.core.datasetBytes)} (baseline) / ${mb(R.cur.core.datasetBytes)} (current)`,
    ].filter(Boolean);
    sections.push(`### ${input.label}: apps.json ${mb(input.jsonBytes)}, applicationsData.ts ${mb(input.moduleBytes)}; rows ${TABLES.map((t) => input.rows[t]).join(", ")}

| median of ${o.reps} | baseline | current | current / baseline | per-repetition ratios | spread baseline / current |
| --- | ---: | ---: | ---: | ---: | ---: |
${rows.join("\n")}

Measured once per repetition for both versions: ${floors.join("; ")}.`);
  }

  // The single-version report of each version gives its derived ratios and targets.
  const per = Object.fromEntries(versions.map((v) => [v.key, report(o, inputs, Object.fromEntries(inputs.map((i) => [i.key, results[i.key][v.key]])), node, note, undefined, { skipped: dj.skipped, bookkeeping: v.djBookkeeping })]));
  const targetRows = per.cur.checks.map((c, i) => {
    const b = per.base.checks[i];
    const res = (x) => (x.skipped ? "not measured" : Number.isFinite(x.value) ? (x.pass ? "PASS" : "**MISS**") : "n/a");
    const ratio = c.value / b.value;
    return `| ${c.what} | ${fmtX(b.value)} (${res(b)}) | ${fmtX(c.value)} (${res(c)}) | ${Number.isFinite(ratio) ? ratio.toFixed(2) : "n/a"} | ${c.op ?? "≤"} ${fmtX(c.limit)} |`;
  });

  // qa-load / its layout's COPY floor, repetition by repetition (each load over the floor
  // measured in the same repetition), per version: median and range.
  const floorRows = [];
  for (const input of inputs) {
    const R = results[input.key];
    for (const [layout, label] of [["load", "own tables"], ["dj", "Django tables"]]) {
      for (const kind of ["b10", "b1000"]) {
        const per = (v) => {
          const set = R[v][layout];
          if (!set || set.missing || !set[kind].length) return "not measured";
          const xs = set[kind].map((x, i) => x.ms / set.copy[i]?.txMs).filter(Number.isFinite);
          return xs.length ? `${fmtX(median(xs))} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})` : "n/a";
        };
        floorRows.push(`| ${input.label} | qa-load, ${label}, --batch-size ${kind.slice(1)} | ${per("base")} | ${per("cur")} |`);
      }
    }
  }

  // qa-load's stages, generated input, per version.
  let stagesTable = "";
  const gen = inputs.find((i) => i.key === "gen");
  if (gen) {
    const R = results.gen;
    const cols = [["b10", "base"], ["b10", "cur"], ["b1000", "base"], ["b1000", "cur"]];
    const stageMed = (kind, v, n) => median(R[v].load[kind].map((x) => (x.stages ? x.stages[n] : NaN)));
    const names = STAGES.slice(1).map(([n]) => n).filter((n) => cols.some(([k, v]) => Number.isFinite(stageMed(k, v, n))));
    if (names.length) {
      stagesTable = `\n### Where qa-load's time goes (${gen.label}; medians, from its log file's timestamps)\n\n| stage | b10 baseline | b10 current | b1000 baseline | b1000 current |\n| --- | ---: | ---: | ---: | ---: |\n${names.map((n) => `| ${n} | ${cols.map(([k, v]) => fmtMs(stageMed(k, v, n))).join(" | ")} |`).join("\n")}\n\nA stage whose log markers one version does not print is n/a for it.\n`;
    }
  }

  const md = `# qad-migrate benchmarks: baseline and current side by side (${o.quick ? "quick mode" : "full run"})

${note}
- node startup floor (\`node -e 0\`): ${fmtMs(node.ms)}, peak RSS ${fmtMb(node.rssKb)}

Each figure is measured for both versions in the same run, interleaved: in every repetition the
baseline's and the current version's measurement of it run one after the other (baseline first in
odd-numbered repetitions, current first in even ones). "per-repetition ratios" is the range of
current/baseline over the repetitions; "spread" is (max - min) / median of a version's samples.
A ratio above 1 is worse (slower or bigger) for the current version.

## Figures
${sections.map((x) => `\n${x}\n`).join("")}${stagesTable}
## qa-load / COPY floor of its layout, per repetition

Each repetition's load over the COPY floor measured in that repetition (the own tables' floor or
the Django tables'), both versions against the same floor: median and range over the repetitions.

| input | load | baseline | current |
| --- | --- | ---: | ---: |
${floorRows.join("\n")}

## Ratios to the floors and targets

| target | baseline | current | current / baseline | limit |
| --- | ---: | ---: | ---: | ---: |
${targetRows.join("\n")}
${o.quick ? "\nQuick mode: the targets are defined for 10,000 apps; at this size fixed costs dominate.\n" : ""}
How each figure is taken: bench/README.md (section "Before and after: --baseline").
`;
  return { md, figures, checks: { base: per.base.checks, cur: per.cur.checks } };
}

// ------------------------------------------------------------------------------------------

async function main() {
  let o;
  try {
    o = parseOptions(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`bench: ${e.message}\n`);
    return 2;
  }
  const started = Date.now();
  const work = o.work ?? fs.mkdtempSync(path.join(os.tmpdir(), "qad-bench-"));
  fs.mkdirSync(work, { recursive: true });
  for (const [what, p] of [["qa-load", o.qaLoad], ["/usr/bin/time", "/usr/bin/time"]]) {
    if (!fs.existsSync(p)) throw new Broken(`${what} not found at ${p}`);
  }
  const api = npmApi();
  const pg = new Pg(o);
  const versions = versionsFor(o, pg);
  if (!o.quick) waitForQuiet(o.quietMinutes);
  log(`${o.quick ? "quick mode" : "full run"}: ${o.apps} generated apps, ${o.reps} repetition(s); work dir ${work}`);
  try {
    const inputs = prepareInputs(o, work, api);
    const dj = setupDjango(o, pg, work, versions);
    const only = o.django === "only";
    if (!only) for (const v of versions) pg.makeTemplate(work, v.qaLoad, v.template);
    // byVersion[input][version] = {load (own tables), dj (Django tables), core, cli, moduleFloor}
    const byVersion = {};
    const djResults = {};
    for (const input of inputs) {
      const loads = loadRuns(o, pg, work, input, versions, dj);
      const core = only ? {} : coreRuns(o, input, versions);
      const cli = only ? {} : cliRuns(o, work, input, versions);
      const moduleFloor = only ? null : moduleFloorRuns(o, work, input);
      byVersion[input.key] = Object.fromEntries(versions.map((v) => [v.key, { load: loads.versions[v.key].own, dj: loads.versions[v.key].dj, core: core[v.key], cli: cli[v.key], moduleFloor }]));
      if (loads.django) djResults[input.key] = loads.django;
    }
    const node = only ? null : nodeFloor(o);
    const note = machineNote(o, pg);
    const django = djangoReport(o, inputs, dj, djResults);
    const djInfo = (v) => ({ skipped: dj.skipped, bookkeeping: v.djBookkeeping });
    const cur = versions.find((v) => v.key === "cur");
    let md;
    let checks;
    let results;
    let figures;
    if (only) {
      const perInput = Object.fromEntries(inputs.map((i) => [i.key, byVersion[i.key].cur]));
      const layouts = layoutsSection(o, inputs, perInput, djInfo(cur));
      results = { ...perInput, django: djResults };
      checks = [...layouts.checks, ...django.checks];
      md = `# qad-migrate benchmarks: the Django backend's tables only (${o.quick ? "quick mode" : "full run"})

${note}

${layouts.md}
${django.md}
## Targets

| target | measured | limit | result |
| --- | ---: | ---: | --- |
${checks.map((c) => c.text).join("\n")}
${o.quick ? "\nQuick mode: the targets are defined for 10,000 apps and for the real 44; the quick run only shows that\nevery side runs.\n" : ""}
How each figure is taken: bench/README.md ("The Django backend's tables").
`;
    } else if (o.baseline) {
      results = byVersion;
      ({ md, checks, figures } = compareReport(o, inputs, results, versions, node, note, dj));
      checks = checks.cur;
    } else {
      results = Object.fromEntries(inputs.map((i) => [i.key, byVersion[i.key].cur]));
      ({ md, checks } = report(o, inputs, results, node, note, django, djInfo(cur)));
      results.django = djResults;
    }
    process.stdout.write(`\n${md}\n`);
    if (o.out) {
      fs.mkdirSync(path.dirname(o.out), { recursive: true });
      fs.writeFileSync(o.out, md);
      const raw = { options: { ...o, database: "(redacted)" }, inputs: inputs.map(({ key, label, apps, jsonBytes, moduleBytes, rows, djangoRows, warnings }) => ({ key, label, apps, jsonBytes, moduleBytes, rows, djangoRows, warnings })), results, node, checks, django: dj.skipped ? { skipped: dj.skipped } : { versions: dj.versions, migrated: dj.migrated, qaLoad: dj.qaLoad, layout: Object.fromEntries(versions.map((v) => [v.key, { args: v.dj, bookkeeping: v.djBookkeeping }])) }, ...(figures ? { figures } : {}) };
      fs.writeFileSync(o.out.replace(/\.md$/, ".json"), `${JSON.stringify(raw, null, 1)}\n`);
      log(`wrote ${o.out}`);
    }
    const missed = checks.filter((c) => !c.pass && !c.skipped);
    const skipped = checks.filter((c) => c.skipped).length;
    log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s: ${checks.length - missed.length - skipped} target(s) met, ${missed.length} missed${skipped ? `, ${skipped} not measured` : ""}${missed.length && !o.strict ? " (not a failure: ratios are reported, see the table)" : ""}`);
    return o.strict && missed.length ? 1 : 0;
  } finally {
    pg.cleanup();
    if (!o.work && !process.env.BENCH_KEEP_WORK) fs.rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`bench: FAILED: ${e instanceof Broken ? e.message : e.stack}\n`);
    process.exitCode = 1;
  },
);
