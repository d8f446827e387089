// Field ownership (issue 20) on the directory's real Django backend (../shared/peers/), stood up by
// scripts/django-backend.sh: qa-load never silently overwrites what someone else wrote. Each test
// gets a freshly migrated database of its own (the backend's migrations repaired nine developer
// logos and its seed gave one app the "Arabic IT" developer row: values qa-load never wrote):
//   - the default run refuses (exit 10), writes nothing, and lists every conflict with both values;
//   - --on-conflict keep-database / use-file, --write-decisions / --decisions;
//   - rollback restores the rows and the ownership record (qa_load.owned) byte for byte;
//   - admin edits through the Django ORM, and the backend's own load_categories_from_frontend,
//     between two loads: named as conflicts, kept with keep-database;
//   - an edit that lands between the load's classification and its write: refused, not overwritten;
//   - `manage.py qa_load` (the wheel) passes exit 10 through.
//
// Needs: QAD_TEST_DATABASE_URL (a superuser URL) and target/release/qa-load (scripts/test.sh
// provides both); the wheel from QAD_PYTHON_WHEEL, else built here. Skipped, saying so, only when
// that variable is unset.

import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFile, execFileSync, spawn, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import {
  qaLoad, qaLoadAsync, expectExit, copyOut, QA_LOAD,
  ROOT, adminDatabase, startDjango, stopDjango, psql, catalogueCounts, catalogueRows, manage, djangoEnv,
  dumpCatalogue, assertSameDump, realAppsJson, holdLock, waitForBlockedLoad, DEFAULT_R2_PUBLIC_URL,
} from "./support/django.mjs";

const execFileAsync = promisify(execFile);

const SKIP = process.env.QAD_TEST_DATABASE_URL
  ? false
  : "QAD_TEST_DATABASE_URL is unset: the Django ownership tests need a PostgreSQL superuser (scripts/test.sh sets it)";

const R2 = DEFAULT_R2_PUBLIC_URL;
/**
 * The nine developer logos the backend's migrations (apps/0012, apps/0024) repaired by hand, and
 * the file's (2025-03) value for each, as qa-load compares it (null: the file's `.Not Found`
 * placeholder, which becomes empty). Ids are the seed's.
 */
const REPAIRED_LOGOS = [
  { key: "qurancom", id: 6, file: `${R2}/5_Quran/developer_logo.png` },
  { key: "faisal haddad", id: 17, file: null },
  { key: "islam phone", id: 21, file: `${R2}/55_Alfanous/developer_logo.png` },
  { key: "noor international", id: 22, file: `${R2}/57_Noor%20International%20Quran/developer_logo.png` },
  { key: "arabia it", id: 23, file: `${R2}/58_Werdy/developer_logo.png` },
  { key: "liajlehum", id: 28, file: null },
  { key: "quranic recitations collection", id: 29, file: null },
  { key: "wiqaya", id: 32, file: null },
  { key: "ealamy group", id: 34, file: `${R2}/61_Ehfaz%20Al%20Quran/developer_logo.png` },
];
/** The seeded app whose developer row is "Arabic IT"; the file's developer is "Arabia IT". */
/** The catalogue tables but app_screenshots. */
const PARENTS = ["developers", "categories", "apps", "apps_categories"];
const SIGN_LANGUAGE = "60-school mushaf - sign language";

/** The ownership record, every column, in a fixed order: equal strings = byte for byte the same. */
function ownedDump(url) {
  return copyOut(url, "COPY (SELECT * FROM qa_load.owned ORDER BY layout, table_name, pk::text) TO STDOUT");
}

/** One table's rows in id order, every column (COPY text). */
function tableRows(url, table) {
  return copyOut(url, `COPY (SELECT * FROM ${table} ORDER BY id) TO STDOUT`);
}

/** The journal entries of committed, not rolled-back loads other than adoptions: "table op id". */
function writtenEntries(url) {
  const rows = psql(url, `SELECT j.table_name || ' ' || j.op || ' ' || coalesce(j.pk->>'id', j.pk::text) FROM qa_load.journal_rows j
    JOIN qa_load.runs r ON r.id = j.run_id WHERE r.kind = 'load' AND r.status = 'committed' AND r.rolled_back_by IS NULL
    AND j.op <> 'adopt' ORDER BY 1`);
  return rows === "" ? [] : rows.split("\n");
}

/** The JSON summary on stdout. */
const summary = (r) => JSON.parse(r.stdout);
/** Each conflict of a summary as "table key column" (column "*" for a whole row). */
const conflictNames = (s) => s.conflicts.map((c) => `${c.table} ${c.key} ${c.column ?? "*"}`).sort();

/**
 * The human listing's block for a conflict whose first line starts with `head`:
 * { database, file, lastWritten } as printed.
 */
function listed(stdout, head) {
  const lines = stdout.split("\n");
  const i = lines.findIndex((l) => l.trim().startsWith(head));
  assert.ok(i >= 0, `the listing names ${head}\n${stdout}`);
  const field = (line, name) => {
    assert.match(line ?? "", new RegExp(`^\\s+${name}:\\s+`), `${head}: a "${name}:" line\n${stdout}`);
    return line.replace(new RegExp(`^\\s+${name}:\\s+`), "");
  };
  return { head: lines[i], database: field(lines[i + 1], "database"), file: field(lines[i + 2], "file"), lastWritten: field(lines[i + 3], "last written") };
}

/** Asserts a printed value shows `value`: "(empty)" for null/'', else the quoted value (a long one may be shortened with "…"). */
function assertShows(shown, value, what) {
  if (value === null || value === "") return assert.equal(shown, "(empty)", what);
  if (shown === JSON.stringify(value)) return;
  const inner = shown.replace(/^"…?/, "").replace(/…?"$/, "");
  assert.ok(shown.includes("…") && inner.length >= 40 && value.includes(inner), `${what}: ${shown} does not show ${JSON.stringify(value)}`);
}

/** The logo_url of each repaired developer, as the database holds it now: { id: value or null }. */
function logos(url) {
  const ids = REPAIRED_LOGOS.map((l) => l.id).join(",");
  return Object.fromEntries(psql(url, `SELECT id, coalesce(logo_url, '<null>') FROM developers WHERE id IN (${ids}) ORDER BY id`)
    .split("\n").map((l) => l.split("|")).map(([id, v]) => [Number(id), v === "<null>" || v === "" ? null : v]));
}

/** The developer row of the sign-language app: "name (id N)". */
function signLanguageDeveloper(url) {
  return psql(url, `SELECT d.name_en || ' (id ' || d.id || ')' FROM apps a JOIN developers d ON d.id = a.developer_id WHERE a.slug = '${SIGN_LANGUAGE}'`);
}

describe("qa-load field ownership, on the real backend's database", { skip: SKIP }, () => {
  let admin;
  let real; // the 2025-03 fixture as apps.json
  let envelope;
  let tmp;
  const backends = [];

  before(async () => {
    assert.ok(fs.existsSync(QA_LOAD), `build qa-load first: cargo build --release -p qa-load (${QA_LOAD})`);
    admin = await adminDatabase();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "qad-ownership-"));
    real = path.join(tmp, "apps.json");
    envelope = realAppsJson(real);
  });

  after(async () => {
    for (const dj of backends) await stopDjango(dj);
    await admin?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** A freshly migrated backend database of the test's own (no runserver). */
  async function freshBackend(label) {
    const dj = await startDjango({ adminUrl: admin.url, label: `own_${label}`, runserver: false });
    backends.push(dj);
    return dj;
  }

  /** The fixture with `edit(envelope)` applied, written into the backend's directory. */
  function editedFile(dj, name, edit) {
    const e = JSON.parse(fs.readFileSync(real, "utf8"));
    edit(e);
    const file = dj.file(name);
    fs.writeFileSync(file, JSON.stringify(e));
    return file;
  }

  const app = (e, id) => e.applicationsData.find((a) => a.id === id);
  /** The seed's slug for a source id (lower-cased, _ → -, spaces kept). */
  const seedSlug = (id) => id.toLowerCase().replace(/_/g, "-");

  test("a freshly migrated database: the default run exits 10, writes nothing, and lists the nine repaired logos and the \"Arabic IT\" app's developer with both values", async () => {
    const dj = await freshBackend("refuse");
    const url = dj.databaseUrl;
    const rows = catalogueRows(url);
    const dump = dumpCatalogue(url, dj.file("before.sql"));
    const db = logos(url);
    const arabic = signLanguageDeveloper(url);
    assert.match(arabic, /^Arabic IT \(id \d+\)$/);
    const arabia = psql(url, "SELECT name_en || ' (id ' || id || ')' FROM developers WHERE name_en = 'Arabia IT'");

    const r = expectExit(qaLoad(dj, [], { input: real }), 10);
    assert.match(r.stderr, /10 conflict\(s\)/);
    assert.match(r.stdout, /^CONFLICTS: 10 value\(s\) in .*Nothing was written\.$/m);
    for (const { key, id, file } of REPAIRED_LOGOS) {
      const b = listed(r.stdout, `developers "${key}" (id ${id}) logo_url:`);
      assertShows(b.database, db[id], `${key}: the database's value`);
      assertShows(b.file, file, `${key}: the file's value`);
      assert.equal(b.lastWritten, "(never, by qa-load)");
    }
    const s = listed(r.stdout, `apps "${SIGN_LANGUAGE}" (id `);
    assert.match(s.head, / developer_id: /);
    assert.equal(s.database, JSON.stringify(arabic));
    assert.equal(s.file, JSON.stringify(arabia));

    // Nothing written: the five tables byte for byte (physical order too), no ownership record.
    assert.equal(catalogueRows(url), rows);
    assertSameDump(dump, dumpCatalogue(url, dj.file("after.sql")));
    assert.equal(psql(url, "SELECT count(*) FROM qa_load.owned"), "0");
    assert.equal(psql(url, "SELECT count(*) FROM qa_load.runs WHERE status = 'committed'"), "0");

    // --json: the same list, in full, each unsettled.
    const j = expectExit(qaLoad(dj, ["--json"], { input: real }), 10);
    const sum = summary(j);
    assert.equal(sum.outcome, "conflicts");
    assert.deepEqual(conflictNames(sum), [
      `apps ${SIGN_LANGUAGE} developer_id`,
      ...REPAIRED_LOGOS.map((l) => `developers ${l.key} logo_url`),
    ].sort());
    for (const { key, id, file } of REPAIRED_LOGOS) {
      const c = sum.conflicts.find((k) => k.table === "developers" && k.key === key);
      assert.deepEqual({ id: c.id, database: c.database, file: c.file, last_written: c.last_written, resolution: c.resolution, decided: c.decided },
        { id, database: db[id], file, last_written: null, resolution: "refuse", decided: false }, key);
    }
    const c = sum.conflicts.find((k) => k.table === "apps");
    assert.deepEqual([c.database, c.file, c.resolution], [arabic, arabia, "refuse"]);
    assert.equal(catalogueRows(url), rows, "the --json run wrote nothing either");
    assert.equal(psql(url, "SELECT count(*) FROM qa_load.owned"), "0");
  });

  test("--on-conflict keep-database: categories and links written; every repaired logo as the migrations left it; no developer row written; a second default run writes nothing", async () => {
    const dj = await freshBackend("keep");
    const url = dj.databaseUrl;
    const developers = tableRows(url, "developers");
    const db = logos(url);
    const arabic = signLanguageDeveloper(url);

    const r = expectExit(qaLoad(dj, ["--json", "--on-conflict", "keep-database"], { input: real }), 0);
    const s = summary(r);
    assert.equal(s.counts.categories.inserted, 11);
    assert.equal(s.counts.app_categories.inserted, 109);
    assert.equal(s.counts.developers.updated, 0);
    assert.equal(s.counts.apps.updated, 0);
    assert.equal(s.conflicts.length, 10);
    assert.ok(s.conflicts.every((c) => c.resolution === "keep-database" && !c.decided), JSON.stringify(s.conflicts));
    assert.deepEqual(catalogueCounts(url), { developers: 34, categories: 11, apps: 45, apps_categories: 109, app_screenshots: 573 });

    assert.deepEqual(logos(url), db, "every repaired logo as the migrations left it");
    assert.equal(tableRows(url, "developers"), developers, "no developer row written, not even for the spelling of a URL");
    assert.equal(signLanguageDeveloper(url), arabic);
    // The journal: no developer (nor app) written, only adopted; the kept values recorded with
    // the file's value, so that a later file can tell whether its value changed.
    assert.deepEqual(writtenEntries(url).filter((e) => !e.startsWith("categories insert") && !e.startsWith("apps_categories insert")), []);
    assert.equal(psql(url, "SELECT count(*) FROM qa_load.owned WHERE table_name = 'developers'"), "33");
    for (const { id, file } of REPAIRED_LOGOS) {
      assert.equal(psql(url, `SELECT kept->'logo_url' FROM qa_load.owned WHERE table_name = 'developers' AND pk->>'id' = '${id}'`),
        JSON.stringify(file), `developer ${id}: the kept field, with the file's value`);
    }

    const again = expectExit(qaLoad(dj, ["--json"], { input: real }), 0);
    assert.equal(summary(again).rows_written, 0);
    assert.deepEqual(logos(url), db);
  });

  test("--on-conflict use-file: the file's values applied and recorded as decided; rollback --last restores the repaired values and the ownership record byte for byte", async () => {
    const dj = await freshBackend("usefile");
    const url = dj.databaseUrl;
    const seeded = catalogueRows(url);
    const db = logos(url);
    const arabic = signLanguageDeveloper(url);
    // A refused run first: it makes the bookkeeping schema (and no record).
    expectExit(qaLoad(dj, [], { input: real }), 10);
    const ownedSeeded = ownedDump(url);
    assert.equal(ownedSeeded, "");

    const r = expectExit(qaLoad(dj, ["--json", "--on-conflict", "use-file"], { input: real }), 0);
    const s = summary(r);
    assert.equal(s.counts.developers.updated, 9);
    assert.equal(s.counts.apps.updated, 1);
    assert.ok(s.conflicts.length === 10 && s.conflicts.every((c) => c.resolution === "use-file"), JSON.stringify(s.conflicts));
    for (const { id, file } of REPAIRED_LOGOS) {
      // The file's value, as qa-load stores it (an equal spelling of it: '' = NULL, %20 = space).
      const now = logos(url)[id];
      if (file === null) assert.equal(now, null, `developer ${id}`);
      else assert.equal(decodeURI(now), decodeURI(file), `developer ${id}`);
    }
    assert.match(signLanguageDeveloper(url), /^Arabia IT \(id \d+\)$/);
    assert.deepEqual(writtenEntries(url).filter((e) => !/^(categories|apps_categories) insert/.test(e)),
      ["apps update 28", ...REPAIRED_LOGOS.map((l) => `developers update ${l.id}`)].sort());
    // Recorded as decided: the run's record holds the ten decisions.
    assert.equal(psql(url, `SELECT jsonb_array_length(decisions) FROM qa_load.runs WHERE id = '${s.run_id}'`), "10");
    const recorded = psql(url, `SELECT decisions::text FROM qa_load.runs WHERE id = '${s.run_id}'`);
    for (const { id } of REPAIRED_LOGOS) assert.match(recorded, new RegExp(`"id": ?${id}\\b`));
    assert.match(recorded, /use-file/);
    const history = JSON.parse(expectExit(qaLoad(dj, ["history", "--json"]), 0).stdout);
    const run = history.find((h) => h.id === s.run_id);
    assert.ok(run, `history --json shows the run ${s.run_id}`);
    assert.deepEqual([run.kind, run.status, run.layout, run.counts.developers.updated, run.counts.apps.updated], ["load", "committed", "django", 9, 1]);

    // Rollback: the repaired values and the (empty) record back.
    expectExit(qaLoad(dj, ["rollback", "--last"]), 0);
    assert.equal(catalogueRows(url), seeded, "the five tables as the migrations left them");
    assert.deepEqual(logos(url), db);
    assert.equal(signLanguageDeveloper(url), arabic);
    assert.equal(ownedDump(url), ownedSeeded, "qa_load.owned as before the run");

    // Again with a record that is not empty: load (file wins), an admin edit, a second use-file
    // load that overwrites it and applies an edited file; rollback --last restores both.
    expectExit(qaLoad(dj, ["--on-conflict", "use-file"], { input: real }), 0);
    psql(url, "UPDATE developers SET website = 'https://admin.example/' WHERE id = 6");
    const rows1 = catalogueRows(url);
    const owned1 = ownedDump(url);
    assert.ok(owned1.split("\n").length > 700, "the record holds every row the load wrote or adopted");
    const edited = editedFile(dj, "edited.json", (e) => { app(e, "15_Ayah").Name_En = "Ayah (edited)"; });
    const r2 = expectExit(qaLoad(dj, ["--json", "--on-conflict", "use-file"], { input: edited }), 0);
    assert.deepEqual(conflictNames(summary(r2)), ["developers qurancom website"]);
    assert.equal(psql(url, "SELECT website FROM developers WHERE id = 6"), "https://quran.com");
    assert.equal(psql(url, "SELECT name_en FROM apps WHERE slug = '15-ayah'"), "Ayah (edited)");
    assert.notEqual(ownedDump(url), owned1);
    expectExit(qaLoad(dj, ["rollback", "--last"]), 0);
    assert.equal(catalogueRows(url), rows1, "the tables as before the second load (the admin's website included)");
    assert.equal(ownedDump(url), owned1, "qa_load.owned byte for byte as before the second load");
  });

  test("history shows the decisions a run recorded (text and --json)", async () => {
    const dj = await freshBackend("history");
    const r = expectExit(qaLoad(dj, ["--json", "--on-conflict", "use-file"], { input: real }), 0);
    const text = expectExit(qaLoad(dj, ["--on-conflict", "use-file"], { input: real }), 0);
    assert.doesNotMatch(text.stdout, /conflict\(s\) settled/, "nothing to settle the second time");
    const run = JSON.parse(expectExit(qaLoad(dj, ["history", "--json"]), 0).stdout).find((h) => h.id === summary(r).run_id);
    assert.ok(Array.isArray(run.decisions) && run.decisions.length === 10, `history --json: ${JSON.stringify(run)}`);
    assert.ok(run.decisions.every((d) => d.resolution === "use-file"), JSON.stringify(run.decisions));
    const listing = expectExit(qaLoad(dj, ["history"]), 0).stdout;
    assert.match(listing, new RegExp(`^Run ${summary(r).run_id} decided:$`, "m"));
    assert.match(listing, /developers "qurancom" \(id 6\) logo_url: use-file/);
    assert.equal(listing.match(/: use-file \(database /g)?.length, 10, listing);
  });

  test("--write-decisions FILE, then --decisions FILE with one entry changed to \"file\": only that field is written", async () => {
    const dj = await freshBackend("decisions");
    const url = dj.databaseUrl;
    const developers = tableRows(url, "developers");
    const apps = tableRows(url, "apps");
    const db = logos(url);
    const decisions = dj.file("decisions.json");
    const r = expectExit(qaLoad(dj, ["--write-decisions", decisions], { input: real }), 10);
    assert.match(r.stdout, /^CONFLICTS: 10 /m);
    assert.equal(tableRows(url, "developers"), developers, "nothing written");
    const d = JSON.parse(fs.readFileSync(decisions, "utf8"));
    assert.equal(d.qa_load_decisions, 1);
    assert.equal(d.decisions.length, 10);
    assert.ok(d.decisions.every((x) => x.use === "database"), JSON.stringify(d));
    const quran = d.decisions.filter((x) => x.table === "developers" && (x.id === 6 || x.key === "qurancom"));
    assert.equal(quran.length, 1, JSON.stringify(d));
    assert.equal(quran[0].column, "logo_url");
    quran[0].use = "file";
    fs.writeFileSync(decisions, JSON.stringify(d, null, 2));

    const s = summary(expectExit(qaLoad(dj, ["--json", "--decisions", decisions], { input: real }), 0));
    assert.equal(s.counts.developers.updated, 1);
    assert.equal(s.counts.apps.updated, 0);
    for (const c of s.conflicts) {
      assert.equal(c.decided, true, JSON.stringify(c));
      assert.equal(c.resolution, c.table === "developers" && c.id === 6 ? "use-file" : "keep-database", JSON.stringify(c));
    }
    assert.deepEqual(logos(url), { ...db, 6: REPAIRED_LOGOS[0].file });
    assert.equal(tableRows(url, "apps"), apps, "no app row written (the sign-language app keeps its developer)");
    assert.deepEqual(writtenEntries(url).filter((e) => !/^(categories|apps_categories) insert/.test(e)), ["developers update 6"]);
    // Developer 6: only logo_url (and Django's auto_now updated_at) changed.
    const before = developers.split("\n").filter((l) => !l.startsWith("6\t"));
    const after = tableRows(url, "developers").split("\n").filter((l) => !l.startsWith("6\t"));
    assert.deepEqual(after, before, "every other developer row byte for byte");
  });

  test("admin edits through the Django ORM after a load: the default run names each; keep-database leaves them; a file changing an untouched field is applied; kept decisions stand", async (t) => {
    const dj = await freshBackend("admin");
    const url = dj.databaseUrl;
    expectExit(qaLoad(dj, ["--on-conflict", "use-file"], { input: real }), 0);
    // As the admin saves them (App.save() needs the R2 storage's credentials to process images,
    // which a test backend has not: the app's field through the ORM's update()).
    manage(dj, ["shell", "-c", [
      "from apps.models import App, AppScreenshot",
      "from categories.models import Category",
      "from developers.models import Developer",
      "App.objects.filter(slug='1-wahy').update(short_description_en='Edited by an admin')",
      "d = Developer.objects.get(pk=6); d.website = 'https://admin.example/'; d.save()",
      "c = Category.objects.get(slug='tafsir'); c.name_en = 'Tafsir (admin)'; c.save()",
      "AppScreenshot.objects.bulk_create([AppScreenshot(app=App.objects.get(slug='1-wahy'), language='en', image='1_Wahy/admin_added.png', sort_order=99)])",
      "App.objects.get(slug='15-ayah').categories.remove(Category.objects.get(slug='mushaf'))",
    ].join("\n")]);
    const edited = catalogueRows(url);
    const screenshotId = psql(url, "SELECT id FROM app_screenshots WHERE image = '1_Wahy/admin_added.png'");

    const r = expectExit(qaLoad(dj, [], { input: real }), 10);
    assert.match(r.stdout, /^CONFLICTS: 5 /m);
    let b = listed(r.stdout, 'developers "qurancom" (id 6) website:');
    assert.deepEqual([b.database, b.file], ['"https://admin.example/"', '"https://quran.com"']);
    assert.match(b.lastWritten, /^"https:\/\/quran.com" by run \S+$/);
    b = listed(r.stdout, 'categories "tafsir" (id ');
    assert.match(b.head, / name_en: changed in the database since run /);
    assert.deepEqual([b.database, b.file], ['"Tafsir (admin)"', '"Tafsir"']);
    b = listed(r.stdout, 'apps "1-wahy" (id 1) short_description_en:');
    assert.deepEqual([b.database, b.file], ['"Edited by an admin"', JSON.stringify(app(envelope, "1_Wahy").Short_Description_En)]);
    b = listed(r.stdout, `app_screenshots "1-wahy en #99" (id ${screenshotId}) whole row:`);
    assert.match(b.database, /admin_added\.png/);
    assert.equal(b.file, "(not in the file)");
    b = listed(r.stdout, 'apps_categories "15-ayah -> mushaf" whole row:');
    assert.equal(b.database, "(no such row)");
    assert.equal(catalogueRows(url), edited, "nothing written");
    const j = summary(expectExit(qaLoad(dj, ["--json"], { input: real }), 10));
    assert.deepEqual(conflictNames(j), [
      "app_screenshots 1-wahy en #99 *", "apps 1-wahy short_description_en", "apps_categories 15-ayah -> mushaf *",
      "categories tafsir name_en", "developers qurancom website",
    ]);

    const keep = summary(expectExit(qaLoad(dj, ["--json", "--on-conflict", "keep-database"], { input: real }), 0));
    assert.equal(keep.conflicts.length, 5);
    assert.equal(catalogueRows(url), edited, "every edit left as the admin made it (nothing else to write)");

    // Another app's description, which nobody else touched: applied, the edits stay.
    const other = envelope.applicationsData.find((a) => !["1_Wahy", "15_Ayah"].includes(a.id) && seedSlug(a.id) !== SIGN_LANGUAGE);
    const changed = editedFile(dj, "changed.json", (e) => { app(e, other.id).Short_Description_En = "A new description from the file"; });
    const applied = summary(expectExit(qaLoad(dj, ["--json", "--on-conflict", "keep-database"], { input: changed }), 0));
    assert.equal(applied.counts.apps.updated, 1);
    assert.equal(applied.rows_written, 1);
    assert.equal(psql(url, `SELECT short_description_en FROM apps WHERE slug = '${seedSlug(other.id)}'`), "A new description from the file");
    assert.equal(psql(url, "SELECT short_description_en FROM apps WHERE slug = '1-wahy'"), "Edited by an admin");
    assert.equal(psql(url, "SELECT website FROM developers WHERE id = 6"), "https://admin.example/");
    assert.equal(psql(url, "SELECT name_en FROM categories WHERE slug = 'tafsir'"), "Tafsir (admin)");
    assert.equal(psql(url, `SELECT count(*) FROM app_screenshots WHERE id = ${screenshotId}`), "1");
    assert.equal(psql(url, `SELECT count(*) FROM apps_categories ac JOIN apps a ON a.id = ac.app_id JOIN categories c ON c.id = ac.category_id
      WHERE a.slug = '15-ayah' AND c.slug = 'mushaf'`), "0");
    const afterChanged = catalogueRows(url);

    // The kept decisions stand: a default run of that file finds nothing to decide or write.
    const again = qaLoad(dj, ["--json"], { input: changed });
    assert.equal(catalogueRows(url), afterChanged, "nothing written");
    // The five kept decisions (three fields, the added screenshot, the removed link) stand.
    expectExit(again, 0);
    assert.equal(summary(again).rows_written, 0);
    assert.equal(summary(again).conflicts, undefined, JSON.stringify(summary(again)));
  });

  test("the backend's own load_categories_from_frontend after a load (as railway_start.py runs it at every start): the next default run names each category value it changed", async () => {
    const dj = await freshBackend("startcats");
    const url = dj.databaseUrl;
    expectExit(qaLoad(dj, ["--on-conflict", "use-file"], { input: real }), 0);
    // What qa-load wrote into each category: its ownership record.
    const owned = Object.fromEntries(psql(url, `SELECT c.slug, o.after::text FROM qa_load.owned o JOIN categories c ON c.id = (o.pk->>'id')::bigint
      WHERE o.table_name = 'categories'`).split("\n").map((l) => [l.slice(0, l.indexOf("|")), JSON.parse(l.slice(l.indexOf("|") + 1))]));
    assert.equal(Object.keys(owned).length, 11);
    assert.equal(owned.tools.name_en, "Other");

    // railway_start.py: `python django_manage.py load_categories_from_frontend` (the backend's
    // manage.py under another name); it writes 11 hard-coded categories, no frontend file read.
    const { stdout } = manage(dj, ["load_categories_from_frontend"]);
    assert.match(stdout, /Created: 0, Updated: 11/);
    const now = Object.fromEntries(psql(url, "SELECT slug, row_to_json(c)::text FROM categories c").split("\n")
      .map((l) => [l.slice(0, l.indexOf("|")), JSON.parse(l.slice(l.indexOf("|") + 1))]));
    const same = (a, b) => String(a ?? "").normalize("NFC") === String(b ?? "").normalize("NFC");
    const changed = [];
    for (const [slug, after] of Object.entries(owned)) {
      // Django's auto_now timestamps change with every save; qa-load sets them as Django does
      // and does not compare them.
      for (const [col, v] of Object.entries(after)) {
        if (!["created_at", "updated_at"].includes(col) && !same(v, now[slug][col])) changed.push(`categories ${slug} ${col}`);
      }
    }
    assert.ok(changed.includes("categories tools name_en"), changed.join("\n"));

    const r = expectExit(qaLoad(dj, ["--json"], { input: real }), 10);
    assert.deepEqual(conflictNames(summary(r)), changed.sort(), "each value the command changed, and nothing else");
    const tools = summary(r).conflicts.find((c) => c.key === "tools" && c.column === "name_en");
    assert.deepEqual([tools.database, tools.file, tools.last_written], ["Tools", "Other", "Other"]);
    const human = expectExit(qaLoad(dj, [], { input: real }), 10);
    const b = listed(human.stdout, 'categories "tools" (id ');
    assert.match(b.head, / name_en: changed in the database since run /);
    assert.deepEqual([b.database, b.file], ['"Tools"', '"Other"']);
  });

  test("an admin edit between the load's classification and its write is refused (exit 10), not overwritten", async () => {
    const dj = await freshBackend("race");
    const url = dj.databaseUrl;
    expectExit(qaLoad(dj, ["--on-conflict", "use-file"], { input: real }), 0);
    // The file changes the first English screenshot of 15_Ayah (early in the file: the first
    // batch) and of the file's last app (the last batch). The load reads and classifies every
    // row first; it then waits at 15_Ayah's screenshot, which another session holds. Screenshots
    // are not locked at read, so the last app's can be edited meanwhile without waiting, and the
    // load reaches it only after the wait.
    const last = envelope.applicationsData.at(-1);
    assert.ok(envelope.applicationsData.findIndex((a) => a.id === "15_Ayah") < 10, "15_Ayah is in the first batch");
    assert.ok(envelope.applicationsData.length > 10, "the last app is in a later batch");
    const file = editedFile(dj, "race.json", (e) => {
      for (const id of ["15_Ayah", last.id]) {
        const a = app(e, id);
        a.screenshots_en[0] = a.screenshots_en[0].replace(/\.(png|jpe?g|webp)$/i, "-new.$1");
      }
    });
    const shot = (slug) => `SELECT id FROM app_screenshots WHERE app_id = (SELECT id FROM apps WHERE slug = '${slug}') AND language = 'en' AND sort_order = 0`;
    const lastSlug = psql(url, `SELECT slug FROM apps WHERE slug IN ('${seedSlug(last.id)}', '${seedSlug(last.id).replace(/ /g, "-")}')`);
    assert.ok(lastSlug, `the last app (${last.id}) is a seeded row`);
    const lastShot = psql(url, shot(lastSlug));
    const beforeParents = catalogueRows(url, PARENTS);
    const beforeShots = tableRows(url, "app_screenshots");

    const lock = await holdLock(url, `${shot("15-ayah")} FOR UPDATE`);
    const load = qaLoadAsync(dj, ["--json"], { input: file });
    try {
      await waitForBlockedLoad(url);
      // The admin's edit: it must not wait for the load (lock_timeout turns a wait into an error).
      psql(url, `SET lock_timeout = '3s'; UPDATE app_screenshots SET image = '${last.id}/admin_edit.png' WHERE id = ${lastShot}`);
    } finally {
      await lock.release();
    }
    const r = expectExit(await load, 10);
    assert.equal(psql(url, `SELECT image FROM app_screenshots WHERE id = ${lastShot}`), `${last.id}/admin_edit.png`, "the admin's edit intact");
    assert.doesNotMatch(psql(url, `SELECT image FROM app_screenshots WHERE id = (${shot("15-ayah")})`), /-new\./, "the whole load rolled back");
    // Refused at the write of the last batch of screenshots, by the statement's own re-check.
    assert.match(r.stderr, /load app_screenshots \(batch 5\/5\) failed: update of 1 app_screenshots row\(s\) found 0 as the plan read them: 1 row\(s\) were changed or removed by someone else since the plan read them, and are not overwritten/);
    assert.match(r.stderr, /nothing was written/);
    const otherShots = (rows) => rows.split("\n").filter((l) => !l.startsWith(`${lastShot}\t`)).join("\n");
    assert.equal(catalogueRows(url, PARENTS), beforeParents, "nothing written");
    assert.equal(otherShots(tableRows(url, "app_screenshots")), otherShots(beforeShots), "nothing written but the admin's edit");
    // The next run names it.
    const next = summary(expectExit(qaLoad(dj, ["--json"], { input: file }), 10));
    assert.deepEqual(next.conflicts.map((c) => [c.table, c.id, c.column, c.database]),
      [["app_screenshots", Number(lastShot), "image", `${last.id}/admin_edit.png`]]);
  });

  test("python manage.py qa_load (the wheel in the backend) passes exit 10 through on a conflicting load", async () => {
    const dj = await freshBackend("python");
    let wheel = process.env.QAD_PYTHON_WHEEL;
    if (!wheel) {
      const { stdout } = await execFileAsync(path.join(ROOT, "scripts/build-python.sh"), [path.join(tmp, "wheels")], { maxBuffer: 64 << 20 });
      wheel = stdout.trim().split("\n").pop();
    }
    // As tests/python-django.test.mjs installs it: a virtualenv on the backend's interpreter that
    // sees the backend's packages, the wheel by pip, qa_load.django in a settings module of ours.
    const venv = path.join(tmp, "venv");
    execFileSync(dj.python, ["-m", "venv", "--without-pip", venv]);
    const python = path.join(venv, "bin/python");
    const purelib = (py) => execFileSync(py, ["-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], { encoding: "utf8" }).trim();
    fs.writeFileSync(path.join(purelib(python), "qad_backend_venv.pth"), purelib(dj.python) + "\n");
    execFileSync(dj.python, ["-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", "--disable-pip-version-check", wheel]);
    const settings = path.join(tmp, "settings");
    fs.mkdirSync(settings);
    fs.writeFileSync(path.join(settings, "qa_ownership_settings.py"), [
      "from config.settings.development import *  # noqa: F401,F403",
      "from config.settings.development import INSTALLED_APPS",
      'INSTALLED_APPS = [*INSTALLED_APPS, "qa_load.django"]',
      "",
    ].join("\n"));
    const env = { ...process.env, ...djangoEnv(dj), DJANGO_SETTINGS_MODULE: "qa_ownership_settings", PYTHONPATH: settings };
    for (const k of ["DATABASE_URL", "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "QA_LOAD_BIN"]) delete env[k];
    const run = (args) => {
      const r = spawnSync(python, ["manage.py", "qa_load", ...args], { cwd: dj.backend, env, encoding: "utf8", maxBuffer: 64 << 20 });
      if (r.error) throw r.error;
      return r;
    };
    const rows = catalogueRows(dj.databaseUrl);

    const r = expectExit(run(["--input", real, "--no-log-file"]), 10);
    assert.match(r.stdout, /^CONFLICTS: 10 /m);
    assert.match(r.stdout, /developers "qurancom" \(id 6\) logo_url:/);
    assert.match(r.stderr, /CommandError: qa-load exited with code 10\n/);
    assert.doesNotMatch(r.stderr, /Traceback/);
    assert.equal(catalogueRows(dj.databaseUrl), rows, "nothing written");
    const j = expectExit(run(["--input", real, "--no-log-file", "--json"]), 10);
    assert.equal(JSON.parse(j.stdout).outcome, "conflicts");
    // call_command: CommandError with returncode 10.
    const code = [
      "from django.core.management import call_command, CommandError",
      "try:",
      `    call_command('qa_load', '--input', ${JSON.stringify(real)}, '--no-log-file')`,
      "except CommandError as e:",
      "    print('RETURNCODE', e.returncode)",
    ].join("\n");
    const py = spawnSync(python, ["manage.py", "shell", "-c", code], { cwd: dj.backend, env, encoding: "utf8", maxBuffer: 64 << 20 });
    assert.equal(py.status, 0, py.stderr);
    assert.match(py.stdout, /^RETURNCODE 10$/m);
    // And the decision passes through: keep-database loads.
    const ok = expectExit(run(["--input", real, "--no-log-file", "--json", "--on-conflict", "keep-database"]), 0);
    assert.equal(JSON.parse(ok.stdout).counts.categories.inserted, 11);
  });
});
