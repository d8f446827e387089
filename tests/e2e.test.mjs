// The whole product, driven the way users call it:
// TypeScript module → `qad-migrate extract` (installed from the packed npm tarball) →
// `qa-load --input` → PostgreSQL → `qa-load verify` → edit one app in the module → extract and
// load again (only that app changes) → `qa-load rollback --last` (the first load's state, byte
// for byte) → `qa-load rollback --last` (the empty database).
//
// Needs: QAD_TEST_DATABASE_URL (a superuser URL; scripts/test.sh starts a throw-away cluster),
// target/release/qa-load, and npm/dist/wasm (scripts/test.sh builds both).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const REAL = path.resolve(ROOT, "../shared/fixtures/frontend-2025-03");
const SAMPLE = path.join(ROOT, "examples/demo-frontend");
const QA_LOAD = path.join(ROOT, "target/release/qa-load");
const MODULE = "src/app/services/applicationsData.ts";
const TABLES = ["developers", "categories", "apps", "app_categories", "screenshots"];

const ADMIN_URL = process.env.QAD_TEST_DATABASE_URL;
let work;
let tarball;

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20, ...opts });
  if (r.error) throw r.error;
  return r;
}

function ok(cmd, args, opts = {}) {
  const r = run(cmd, args, opts);
  assert.equal(r.status, 0, `${path.basename(cmd)} ${args.join(" ")} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r;
}

function psql(url, sql) {
  return ok("psql", [url, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql]).stdout;
}

function freshDatabase(label) {
  const name = `qad_e2e_${label}_${process.pid}_${Date.now()}`;
  psql(ADMIN_URL, `CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Every row of the project's tables, sorted: the comparison "byte-identical" refers to. */
function dump(url) {
  const exists = psql(url, "SELECT count(*) FROM pg_tables WHERE tablename = 'apps'").trim() === "1";
  if (!exists) return Object.fromEntries(TABLES.map((t) => [t, ""]));
  return Object.fromEntries(
    TABLES.map((t) => [t, psql(url, `COPY (SELECT * FROM ${t} ORDER BY 1, 2) TO STDOUT`)]),
  );
}

function count(url, table) {
  return Number(psql(url, `SELECT count(*) FROM ${table}`).trim());
}

/** A frontend repo as a team has it: its files, then our package installed from the tarball. */
function makeFrontend(src, label) {
  const dir = path.join(work, label);
  fs.cpSync(src, dir, { recursive: true });
  for (const f of walk(dir)) fs.chmodSync(f, 0o644);
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
  const tsRange = pkg.devDependencies?.typescript ?? "~5.5.0";
  // Only what the migrator needs: not Angular.
  ok("npm", ["install", "--no-save", "--no-audit", "--no-fund", "--ignore-scripts", tarball, `typescript@${tsRange}`], { cwd: dir });
  pkg.scripts = {
    ...pkg.scripts,
    "migrate:validate": "qad-migrate validate",
    "migrate:extract": "qad-migrate extract --out apps.json",
  };
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(pkg, null, 2));
  return dir;
}

function* walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else yield p;
  }
}

function verify(appsJson, url, name) {
  const md = path.join(work, `${name}.md`);
  const json = path.join(work, `${name}.json`);
  ok(QA_LOAD, ["verify", "--input", appsJson, "--database", url, "--report-md", md, "--report-json", json, "--no-log-file"], { cwd: work });
  assert.ok(fs.existsSync(md) && fs.existsSync(json), "verify wrote both reports");
}

function qaLoad(args, url) {
  return run(QA_LOAD, [...args, "--database", url], { cwd: work });
}

before(() => {
  assert.ok(ADMIN_URL, "QAD_TEST_DATABASE_URL must point at a PostgreSQL superuser (scripts/test.sh sets it)");
  assert.ok(fs.existsSync(QA_LOAD), `build qa-load first: cargo build --release -p qa-load (${QA_LOAD})`);
  work = fs.mkdtempSync(path.join(os.tmpdir(), "qad-e2e-"));
  const packed = ok("npm", ["pack", "--silent", "--pack-destination", work], { cwd: path.join(ROOT, "npm") });
  tarball = path.join(work, packed.stdout.trim().split("\n").pop());
  assert.ok(fs.existsSync(tarball), `npm pack produced ${tarball}`);
});

after(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/**
 * The whole round trip on one frontend. `edit` changes one app in the module's text and names
 * the app's source id; `figures` are the expected row counts.
 */
function roundTrip(label, src, figures, edit) {
  const frontend = makeFrontend(src, label);
  const url = freshDatabase(label);
  const empty = dump(url);

  const validate = run("npm", ["run", "--silent", "migrate:validate"], { cwd: frontend });
  assert.equal(validate.status, 0, validate.stdout + validate.stderr);
  assert.match(validate.stdout, new RegExp(`${figures.apps} apps, ${figures.categories} categories, ${figures.developers} developers`));

  ok("npm", ["run", "--silent", "migrate:extract"], { cwd: frontend });
  const appsJson = path.join(frontend, "apps.json");
  const envelope = JSON.parse(fs.readFileSync(appsJson, "utf8"));
  assert.equal(envelope.format, "qad-migrate/apps");
  assert.equal(envelope.source.module, MODULE);
  assert.equal(envelope.applicationsData.length, figures.apps);

  // First load: exactly the figures.
  const first = qaLoad(["--input", appsJson, "--log-file", path.join(work, `${label}-1.log`)], url);
  assert.equal(first.status, 0, first.stdout + first.stderr);
  for (const [table, n] of Object.entries(figures)) assert.equal(count(url, table), n, table);
  const afterFirst = dump(url);

  verify(appsJson, url, `${label}-verify1`);

  // A second load of the same file changes nothing.
  const again = qaLoad(["--input", appsJson, "--log-file", path.join(work, `${label}-2.log`)], url);
  assert.equal(again.status, 0, again.stdout + again.stderr);
  assert.deepEqual(dump(url), afterFirst);

  // Edit one app in the module, extract and load again: only that app's row changes.
  const modulePath = path.join(frontend, MODULE);
  const text = fs.readFileSync(modulePath, "utf8");
  const { from, to, sourceId } = edit;
  assert.ok(text.includes(from), `the module contains ${from}`);
  fs.writeFileSync(modulePath, text.replace(from, to));
  ok("npm", ["run", "--silent", "migrate:extract"], { cwd: frontend });
  const edited = qaLoad(["--input", appsJson, "--log-file", path.join(work, `${label}-3.log`)], url);
  assert.equal(edited.status, 0, edited.stdout + edited.stderr);
  const afterEdit = dump(url);
  for (const t of TABLES.filter((t) => t !== "apps")) assert.equal(afterEdit[t], afterFirst[t], t);
  const before = afterFirst.apps.split("\n");
  const now = afterEdit.apps.split("\n");
  const changed = now.filter((line) => !before.includes(line));
  assert.equal(changed.length, 1, `one app row changed:\n${changed.join("\n")}`);
  assert.ok(changed[0].includes(sourceId) && changed[0].includes(edit.newText), changed[0]);
  verify(appsJson, url, `${label}-verify2`);

  // Roll back the edit: the first load's state, byte for byte. Then the first load: empty.
  ok(QA_LOAD, ["rollback", "--last", "--database", url], { cwd: work });
  assert.deepEqual(dump(url), afterFirst);
  ok(QA_LOAD, ["rollback", "--last", "--database", url], { cwd: work });
  assert.deepEqual(dump(url), empty);
  for (const t of TABLES) assert.equal(count(url, t), 0, t);
}

test("real frontend (2025-03): extract → load → verify → edit → reload → rollback ×2", () => {
  roundTrip(
    "real",
    REAL,
    { apps: 44, categories: 11, developers: 33, app_categories: 109, screenshots: 563 },
    {
      from: '"Short_Description_En": "Learn Holy Quran word-by-word"',
      to: '"Short_Description_En": "Learn the Holy Quran word by word"',
      newText: "Learn the Holy Quran word by word",
      sourceId: "1_Wahy",
    },
  );
});

test("the project's demo frontend: the same round trip", () => {
  roundTrip(
    "sample",
    SAMPLE,
    { apps: 6, categories: 6, developers: 4, app_categories: 10, screenshots: 48 },
    {
      from: '"Short_Description_En": "Daily cards for reflection"',
      to: '"Short_Description_En": "Daily cards for reflection and study"',
      newText: "Daily cards for reflection and study",
      sourceId: "6_Ayah Cards",
    },
  );
});
