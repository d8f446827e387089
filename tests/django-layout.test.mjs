// qa-load's django layout against the directory's real Django backend (../shared/peers/), stood
// up by scripts/django-backend.sh: a load of the real frontend (2025-03) into a freshly migrated
// database (the 44 seeded apps matched, categories and links created, what the backend owns left
// as it was), read back through the backend's own API; a second run; an edited file; verify;
// rollback byte for byte; a Django limit broken; the same load into an emptied database; and
// Django's own model validation of every row qa-load wrote.
//
// Needs: QAD_TEST_DATABASE_URL (a superuser URL) and target/release/qa-load (scripts/test.sh
// provides both). Skipped, saying so, only when that variable is unset.

import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import {
  qaLoad, qaLoadAsync, expectExit, copyOut, QA_LOAD,
  ROOT, adminDatabase, startDjango, stopDjango, psql, catalogueCounts, catalogueRows, getJson, manage,
  realAppsJson, holdLock, waitForBlockedLoad, sleep, DEFAULT_R2_PUBLIC_URL,
} from "./support/django.mjs";


const SKIP = process.env.QAD_TEST_DATABASE_URL
  ? false
  : "QAD_TEST_DATABASE_URL is unset: the Django layout tests need a PostgreSQL superuser (scripts/test.sh sets it)";

/** The backend-owned columns of every app, in id order: a load must leave them byte-identical. */
const BACKEND_OWNED_APPS = `COPY (SELECT id, status, review_count, view_count, featured, platform, embedding::text,
  crawled_at, crawled_content, riwayah, mushaf_type, features, created_at FROM apps ORDER BY id) TO STDOUT`;

/** The load's JSON summary's counts: { developers: { inserted, updated, ... }, ... }. */
function counts(r) {
  return JSON.parse(r.stdout).counts;
}

/**
 * Django's model validation (`full_clean()`) of every developer row the loads in effect wrote,
 * and of every category, app and screenshot row (slugs with spaces excepted: the seed made
 * them, and qa-load keeps an existing slug); asserts none fails.
 */
function fullCleanWritten(dj) {
  // Developers: the rows the load wrote (the backend's own "Arabic IT" keeps its seeded logo
  // URL with spaces, which Django's URL validator refuses). Inserted or updated only: a seeded
  // row qa-load found equal to the file is journalled as adopted ('adopt') but not written, and
  // keeps the seed's spelling of its logo URL (spaces, which the validator refuses too); before
  // field ownership such rows were rewritten with %20 for the spelling alone.
  const written = psql(dj.databaseUrl, `SELECT coalesce(string_agg(DISTINCT pk->>'id', ','), '') FROM qa_load.journal_rows
    WHERE table_name = 'developers' AND op IN ('insert', 'update') AND run_id IN (SELECT id FROM qa_load.runs WHERE kind = 'load' AND status = 'committed' AND rolled_back_by IS NULL)`);
  assert.notEqual(written, "");
  const script = [
    `written = {${written}}`,
    "from apps.models import App, AppScreenshot",
    "from categories.models import Category",
    "from developers.models import Developer",
    "bad = []",
    "for M in (Developer, Category, App, AppScreenshot):",
    "    for o in (Developer.objects.filter(pk__in=written) if M is Developer else M.objects.all()):",
    "        try:",
    // Seeded slugs keep their spaces (never written by qa-load, which keeps existing slugs).
    "            o.full_clean(exclude=['slug'] if (M is App and o.slug != o.slug.replace(' ', '')) else None)",
    "        except Exception as e:",
    "            bad.append(f'{M.__name__} {o.pk}: {e}')",
    "print('BAD', len(bad)); print('\\n'.join(bad[:20]))",
  ].join("\n");
  const { stdout } = manage(dj, ["shell", "-c", script]);
  assert.match(stdout, /^BAD 0$/m, stdout);
}

describe("qa-load --layout django, on the real backend's database", { skip: SKIP }, () => {
  let admin;
  let dj;
  let real;
  let envelope;
  let seeded;
  let owned;

  before(async () => {
    admin = await adminDatabase();
    dj = await startDjango({ adminUrl: admin.url, label: "layout" });
    real = dj.file("apps.json");
    envelope = realAppsJson(real);
    seeded = catalogueRows(dj.databaseUrl);
    owned = copyOut(dj.databaseUrl, BACKEND_OWNED_APPS);
  });

  after(async () => {
    await stopDjango(dj);
    await admin?.stop();
  });

  test("the layout is detected and said; a load that breaks a Django limit is refused before any connection writes (exit 1)", () => {
    const bad = JSON.parse(fs.readFileSync(real, "utf8"));
    bad.applicationsData[0].applicationIcon = `${DEFAULT_R2_PUBLIC_URL}/1_Wahy/${"i".repeat(120)}.png`;
    bad.applicationsData[1].applicationIcon = "https://elsewhere.example/icon.png";
    const file = dj.file("bad.json");
    fs.writeFileSync(file, JSON.stringify(bad));
    const r = expectExit(qaLoad(dj, [], { input: file }), 1);
    assert.match(r.stderr, /layout: django \(the directory backend's tables/);
    assert.match(r.stderr, /E025/);
    assert.match(r.stderr, /1_Wahy/);
    assert.match(r.stderr, /E024/);
    assert.equal(catalogueRows(dj.databaseUrl), seeded, "nothing written");
    assert.equal(psql(dj.databaseUrl, "SELECT to_regnamespace('qa_load') IS NULL"), "t", "not even qa-load's bookkeeping");
  });

  test("load: the 44 seeded apps matched (none inserted), 11 categories and 109 links created, screenshots kept; Surah and every backend-owned value unchanged", () => {
    // The backend's migrations repaired nine developer logos and its seed gave one app the
    // "Arabic IT" row: values qa-load never wrote, which the default run refuses to overwrite
    // (exit 10; tests/django-ownership.test.mjs). This load is the file-wins load the fixture's
    // figures describe: --on-conflict use-file, each of the ten settled and listed.
    const r = expectExit(qaLoad(dj, ["--json", "--on-conflict", "use-file"], { input: real }), 0);
    const c = counts(r);
    assert.equal(c.apps.inserted, 0);
    assert.equal(c.apps.updated + c.apps.unchanged, 44);
    // Only the settled conflicts are written: the nine logos and the one app's developer_id (no
    // developer row is rewritten for the spelling of its URL alone, as before field ownership).
    assert.equal(c.developers.updated, 9);
    assert.equal(c.apps.updated, 1);
    assert.deepEqual(JSON.parse(r.stdout).conflicts.map((k) => `${k.table} ${k.id} ${k.column} ${k.resolution}`).sort(), [
      "apps 28 developer_id use-file",
      ...[6, 17, 21, 22, 23, 28, 29, 32, 34].map((id) => `developers ${id} logo_url use-file`),
    ].sort());
    assert.equal(c.categories.inserted, 11);
    assert.equal(c.app_categories.inserted, 109);
    assert.equal(c.screenshots.inserted + c.screenshots.updated + c.screenshots.unchanged, 563);
    assert.equal(c.developers.inserted, 0, "every developer of the file is a seeded row");
    assert.match(r.stderr, /developer "Arabia IT" is one developer in the input but several rows in the database/);
    const summary = JSON.parse(r.stdout);
    assert.deepEqual(summary.left_as_they_are, ['developer "Arabic IT"', 'app "surah"'], "listed, and left as they are");
    assert.equal(summary.warnings.length, 1);
    assert.match(r.stderr, /2 row\(s\) only in the database, left as they are: developer "Arabic IT", app "surah"/);
    assert.deepEqual(catalogueCounts(dj.databaseUrl), {
      developers: 34, categories: 11, apps: 45, apps_categories: 109, app_screenshots: 573,
    });
    assert.equal(copyOut(dj.databaseUrl, BACKEND_OWNED_APPS), owned, "status, counters, featured, platform, embedding, crawl cache, metadata, created_at");
    const surah = (rows) => rows.split("\n").filter((l) => l.includes("\tsurah\t") || l.includes("Surah")).join("\n");
    assert.equal(surah(catalogueRows(dj.databaseUrl)), surah(seeded), "the app that is not in the file");
    assert.equal(psql(dj.databaseUrl, "SELECT string_agg(slug || '=' || name_ar, ',' ORDER BY sort_order) FROM categories WHERE slug IN ('mushaf', 'tools')"),
      `mushaf=${envelope.i18n.ar.mushaf},tools=${envelope.i18n.ar.tools}`);
    assert.equal(psql(dj.databaseUrl, "SELECT count(*) FROM categories WHERE created_at IS NULL OR updated_at IS NULL OR is_active IS NOT TRUE OR color <> ''"), "0");
  });

  test("the backend's API: ?category=mushaf lists the file's mushaf apps; /api/apps/1-wahy has the file's names, images (full URLs), store links and categories", async () => {
    const mushaf = envelope.applicationsData.filter((a) => a.categories.includes("mushaf")).length;
    assert.ok(mushaf > 0);
    assert.equal((await getJson(dj, "/api/apps/?category=mushaf&page_size=100")).count, mushaf);
    const wahy = envelope.applicationsData.find((a) => a.id === "1_Wahy");
    const app = await getJson(dj, "/api/apps/1-wahy");
    assert.equal(app.name_en, wahy.Name_En);
    assert.equal(app.name_ar, wahy.Name_Ar);
    assert.equal(app.application_icon, wahy.applicationIcon);
    assert.equal(app.main_image_en, wahy.mainImage_en);
    assert.deepEqual(app.screenshots_en, wahy.screenshots_en);
    assert.deepEqual(app.screenshots_ar, wahy.screenshots_ar);
    assert.equal(app.google_play_link, wahy.Google_Play_Link);
    assert.equal(app.app_store_link, wahy.AppStore_Link);
    const slugs = app.categories.map((c) => c.slug ?? c).sort();
    assert.deepEqual(slugs, [...wahy.categories].sort());
    // The detail GET counted a view: take it back, so that the later byte-for-byte comparisons
    // with the seeded tables hold.
    psql(dj.databaseUrl, "UPDATE apps SET view_count = view_count - 1 WHERE slug = '1-wahy'");
  });

  test("a second run changes nothing; verify passes, then finds a tampered field (exit 4)", () => {
    const again = expectExit(qaLoad(dj, ["--json"], { input: real }), 0);
    assert.equal(JSON.parse(again.stdout).rows_written, 0);
    // From stdin, the layout detected: the input is read once and validated with its rules.
    const piped = spawnSync(QA_LOAD, ["--database", dj.databaseUrl, "--no-log-file", "--media-base-url", DEFAULT_R2_PUBLIC_URL,
      "--input", "-", "--json"], { input: fs.readFileSync(real), encoding: "utf8", maxBuffer: 64 << 20 });
    expectExit(piped, 0);
    assert.equal(JSON.parse(piped.stdout).rows_written, 0);
    assert.equal(piped.stderr.match(/validation: 0 errors/g)?.length, 1, piped.stderr);
    const runs = JSON.parse(expectExit(qaLoad(dj, ["history", "--json"]), 0).stdout);
    assert.ok(runs.length >= 2 && runs.every((r) => r.layout === "django"), "every run records its layout");
    assert.equal(JSON.parse(expectExit(qaLoad(dj, ["history", "--json", "--layout", "django"]), 0).stdout).length, runs.length);
    assert.deepEqual(JSON.parse(expectExit(qaLoad(dj, ["history", "--json", "--layout", "qa-load"]), 0).stdout), []);
    assert.match(expectExit(qaLoad(dj, ["history"]), 0).stdout, /load +committed +django /);
    // The schema: qa-load's bookkeeping only; the backend's tables are not qa-load's to migrate.
    const status = expectExit(qaLoad(dj, ["schema", "status"]), 0).stdout;
    assert.match(status, /layout django: the backend's own tables/);
    assert.match(status, /^bookkeeping schema version 3 of 3 \(up to date\)/m);
    assert.doesNotMatch(status, /qa-load schema version/);
    expectExit(qaLoad(dj, ["schema", "apply", "--to-version", "1"]), 2);
    const ok = expectExit(qaLoad(dj, ["verify", "--input", real]), 0);
    assert.match(ok.stdout, /^PASS/m);
    psql(dj.databaseUrl, "UPDATE apps SET name_en = 'Tampered', application_icon = '1_Wahy/other.png' WHERE slug = '1-wahy'");
    const bad = expectExit(qaLoad(dj, ["verify", "--input", real]), 4);
    assert.match(bad.stdout, /FAIL: 2 difference/);
    // Each as the backend stores it: the column, the table's value, the file's; and, the load having
    // written both, that each changed in the database since (the run and what it wrote).
    assert.match(bad.stdout, /changed-in-database apps 1-wahy: name_en changed in the database since run \S+ \(which wrote "Wahy"\): it is "Tampered" in the database, "Wahy" in the source/);
    assert.match(bad.stdout, /application_icon changed in the database since run \S+ \(which wrote "1_Wahy\/app_icon.png"\): it is "1_Wahy\/other.png" in the database, "1_Wahy\/app_icon.png" in the source/);
    psql(dj.databaseUrl, `UPDATE apps SET name_en = 'Wahy', application_icon = '1_Wahy/app_icon.png' WHERE slug = '1-wahy'`);
  });

  test("an edited file updates only that field; rollback --last twice restores the seeded tables byte for byte", () => {
    const edited = JSON.parse(fs.readFileSync(real, "utf8"));
    edited.applicationsData.find((a) => a.id === "15_Ayah").Name_En = "Ayah (edited)";
    const file = dj.file("edited.json");
    fs.writeFileSync(file, JSON.stringify(edited));
    const r = expectExit(qaLoad(dj, ["--json"], { input: file }), 0);
    const c = counts(r);
    assert.equal(c.apps.updated, 1);
    assert.equal(JSON.parse(r.stdout).rows_written, 1);
    assert.equal(psql(dj.databaseUrl, "SELECT name_en FROM apps WHERE slug = '15-ayah'"), "Ayah (edited)");
    // A page view between the load and its rollback: the backend's counter is not undone.
    psql(dj.databaseUrl, "UPDATE apps SET view_count = view_count + 1 WHERE slug = '15-ayah'");
    expectExit(qaLoad(dj, ["rollback", "--last"]), 0);
    psql(dj.databaseUrl, "UPDATE apps SET view_count = view_count - 1 WHERE slug = '15-ayah'");
    expectExit(qaLoad(dj, ["rollback", "--last"]), 0);
    assert.equal(catalogueRows(dj.databaseUrl), seeded, "the five tables as they were before the first load");
    assert.equal(copyOut(dj.databaseUrl, BACKEND_OWNED_APPS), owned);
  });

  test("a page view mid-load, of an app the load is updating: the load commits, and the view is counted", async () => {
    // The tables are the seeded ones again (rolled back): the file wins, as in the first load.
    expectExit(qaLoad(dj, ["--on-conflict", "use-file"], { input: real }), 0);
    const edited = JSON.parse(fs.readFileSync(real, "utf8"));
    const ayah = edited.applicationsData.find((a) => a.id === "15_Ayah");
    ayah.Name_En = "Ayah (mid-load)";
    ayah.screenshots_en[0] = ayah.screenshots_en[0].replace(/\.png$/, "-new.png");
    const file = dj.file("mid-load.json");
    fs.writeFileSync(file, JSON.stringify(edited));
    const views = Number(psql(dj.databaseUrl, "SELECT view_count FROM apps WHERE slug = '15-ayah'"));
    // The load updates the app, then waits at its screenshot, which another session holds.
    const lock = await holdLock(dj.databaseUrl, `SELECT 1 FROM app_screenshots WHERE app_id = (SELECT id FROM apps WHERE slug = '15-ayah')
      AND language = 'en' AND sort_order = 0 FOR UPDATE`);
    const load = qaLoadAsync(dj, ["--json"], { input: file });
    await waitForBlockedLoad(dj.databaseUrl);
    // The backend's detail view reads the app and saves view_count + 1: it waits for the load.
    const view = getJson(dj, "/api/apps/15-ayah");
    await sleep(500);
    await lock.release();
    const r = await load;
    expectExit(r, 0);
    assert.equal(JSON.parse(r.stdout).counts.apps.updated, 1);
    const seen = await view;
    assert.equal(seen.slug, "15-ayah");
    assert.equal(psql(dj.databaseUrl, "SELECT name_en || '|' || view_count FROM apps WHERE slug = '15-ayah'"), `Ayah (mid-load)|${views + 1}`);
    // Rollback: the load's columns back, the view kept.
    expectExit(qaLoad(dj, ["rollback", "--last"]), 0);
    const original = envelope.applicationsData.find((a) => a.id === "15_Ayah").Name_En;
    assert.equal(psql(dj.databaseUrl, "SELECT name_en || '|' || view_count FROM apps WHERE slug = '15-ayah'"), `${original}|${views + 1}`);
    psql(dj.databaseUrl, "UPDATE apps SET view_count = view_count - 1 WHERE slug = '15-ayah'");
  });

  test("a connection killed mid-load: exit 3, nothing written", async () => {
    const before = catalogueRows(dj.databaseUrl);
    const edited = JSON.parse(fs.readFileSync(real, "utf8"));
    const ayah = edited.applicationsData.find((a) => a.id === "15_Ayah");
    ayah.Name_En = "Ayah (killed)";
    ayah.screenshots_en[0] = ayah.screenshots_en[0].replace(/\.png$/, "-killed.png");
    const file = dj.file("killed.json");
    fs.writeFileSync(file, JSON.stringify(edited));
    const lock = await holdLock(dj.databaseUrl, `SELECT 1 FROM app_screenshots WHERE app_id = (SELECT id FROM apps WHERE slug = '15-ayah')
      AND language = 'en' AND sort_order = 0 FOR UPDATE`);
    const load = qaLoadAsync(dj, [], { input: file });
    const pid = await waitForBlockedLoad(dj.databaseUrl);
    psql(dj.databaseUrl, `SELECT pg_terminate_backend(${pid})`);
    const r = await load;
    await lock.release();
    expectExit(r, 3);
    assert.match(r.stderr, /rolled back/);
    assert.equal(catalogueRows(dj.databaseUrl), before, "nothing written");
  });

  test("Django's own model validation (full_clean) passes for every row the load wrote", () => {
    expectExit(qaLoad(dj, [], { input: real }), 0);
    fullCleanWritten(dj);
  });

  test("an emptied Django database: the fixture's figures (44 apps, 11 categories, 109 links, 563 screenshots, 33 developers)", () => {
    psql(dj.databaseUrl, `BEGIN; DELETE FROM app_view_events; DELETE FROM app_metadata_values; DELETE FROM app_crawled_data;
      UPDATE app_submissions SET created_app_id = NULL; DELETE FROM apps_categories; DELETE FROM app_screenshots; DELETE FROM apps;
      DELETE FROM developers; DELETE FROM app_submissions_categories; DELETE FROM categories; COMMIT`);
    const r = expectExit(qaLoad(dj, ["--json"], { input: real }), 0);
    const c = counts(r);
    assert.deepEqual([c.developers.inserted, c.categories.inserted, c.apps.inserted, c.app_categories.inserted, c.screenshots.inserted],
      [33, 11, 44, 109, 563]);
    assert.deepEqual(catalogueCounts(dj.databaseUrl), {
      developers: 33, categories: 11, apps: 44, apps_categories: 109, app_screenshots: 563,
    });
    assert.equal(psql(dj.databaseUrl, "SELECT count(*) FROM apps WHERE status <> 'published' OR slug !~ '^[a-z0-9-]+$'"), "0", "published, URL-safe slugs");
    expectExit(qaLoad(dj, ["verify", "--input", real]), 0);
    fullCleanWritten(dj);
  });

  test("ids are shown as the database has them: no UUID-encoded bigint in any console line, log, summary or report", () => {
    const dir = fs.mkdtempSync(path.join(dj.dir, "ids-"));
    const run = (args) => {
      const r = spawnSync(QA_LOAD, ["--database", dj.databaseUrl, "--media-base-url", DEFAULT_R2_PUBLIC_URL, ...args],
        { encoding: "utf8", maxBuffer: 64 << 20, cwd: dir });
      if (r.error) throw r.error;
      return r;
    };
    // An edit, so that the plan, the log and the journal name an updated row (the Arabic name:
    // the English one is how this database, whose slugs are not the seed's, finds the app).
    const file = path.join(dir, "edited.json");
    const edited = JSON.parse(fs.readFileSync(real, "utf8"));
    edited.applicationsData.find((a) => a.id === "15_Ayah").Name_Ar = "آية (معدل)";
    fs.writeFileSync(file, JSON.stringify(edited));
    const outputs = [];
    const keep = (r) => { outputs.push(r.stdout, r.stderr); return r; };
    const plan = keep(expectExit(run(["--input", file, "--dry-run", "-v", "--log-file", path.join(dir, "dry.log")]), 0));
    assert.match(plan.stdout, /^ +unchanged +developer .* id \d+$/m, "the plan names developers by their bigint id");
    assert.match(plan.stdout, /^ +update +app .* id \d+: name_ar$/m, "and the edited app");
    keep(expectExit(run(["--input", file, "--json", "-v", "--log-file", path.join(dir, "load.log")]), 0));
    keep(expectExit(run(["verify", "--input", file, "--report-md", path.join(dir, "v.md"), "--report-json", path.join(dir, "v.json")]), 0));
    keep(expectExit(run(["history", "--json"]), 0));
    keep(expectExit(run(["history"]), 0));
    keep(expectExit(run(["rollback", "--last", "--dry-run", "--json", "--log-file", path.join(dir, "rollback.log")]), 0));
    for (const f of fs.readdirSync(dir)) outputs.push(fs.readFileSync(path.join(dir, f), "utf8"));
    const logs = ["dry.log", "load.log"].map((f) => fs.readFileSync(path.join(dir, f), "utf8")).join("\n");
    assert.match(logs, /developer.*id=\d+\b/, "the log names developers by their bigint id");
    const all = outputs.join("\n");
    assert.ok(all.length > 10000, `the outputs were read (${all.length} characters)`);
    const leaked = all.match(/00000000-0000-0000-0000-[0-9a-f]{12}/);
    assert.equal(leaked, null, `a UUID-encoded bigint: ${leaked && all.slice(Math.max(0, leaked.index - 200), leaked.index + 60)}`);
  });
});
