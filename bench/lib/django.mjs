// The Django backend's tables in the benchmark (bench.mjs --django): a template database made by
// the real backend's `manage.py migrate` (scripts/django-backend.sh) and emptied of catalogue
// rows; the COPY floor into those tables; the input of the backend's own
// `load_applications_data`; how to call qa-load's Django layout (when the qa-load at hand has
// one). See bench/README.md, "The Django backend's tables".

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import { copyValue } from "./copy.mjs";
import { MEDIA_BASE_URL } from "../gen/generate.mjs";

export { MEDIA_BASE_URL };

/** The catalogue tables qa-load writes in the Django layout, in foreign-key order. */
export const DJANGO_TABLES = ["developers", "categories", "apps", "apps_categories", "app_screenshots"];

/**
 * Emptying a migrated database of its catalogue rows (the 45 seeded apps, 34 developers, 573
 * screenshots, 184 metadata values): every table that references apps or categories first (the
 * foreign keys have no ON DELETE action; Django cascades in the ORM), then the catalogue. The
 * identity sequences stay where the seed left them, as in any database that once had rows.
 * VACUUM FULL leaves the emptied tables and their indexes as compact as freshly created ones.
 */
const EMPTY_SQL = `
BEGIN;
UPDATE app_submissions SET created_app_id = NULL WHERE created_app_id IS NOT NULL;
DELETE FROM app_submissions_categories;
DELETE FROM app_metadata_values;
DELETE FROM app_view_events;
DELETE FROM app_crawled_data;
DELETE FROM apps_categories;
DELETE FROM app_screenshots;
DELETE FROM apps;
DELETE FROM developers;
DELETE FROM categories;
COMMIT;
VACUUM (FULL, ANALYZE) app_metadata_values, app_view_events, app_crawled_data, apps_categories, app_screenshots, apps, developers, categories;
`;

/** The image path the Django columns store: relative to the media base, else the URL as it is. */
export function mediaPath(url, base = MEDIA_BASE_URL) {
  if (url === null || url === undefined) return "";
  const prefix = `${base.replace(/\/+$/, "")}/`;
  return url.startsWith(prefix) && url.length > prefix.length ? url.slice(prefix.length) : url;
}

/** The backend's seed slug: `app_id.replace('_', '-').lower()` (docs/django-tables.md). */
export const seedSlug = (sourceId) => sourceId.replace(/_/g, "-").toLowerCase();

/**
 * The core's dataset as rows of the Django tables: {table: {columns, rows}} with explicit bigint
 * ids (1, 2, … in the dataset's order) so that the foreign keys resolve, and every NOT NULL
 * column given (the backend's tables have no server defaults but the ids). `now` is the
 * timestamp written to created_at/updated_at.
 */
export function djangoRows(dataset, { mediaBase = MEDIA_BASE_URL, now = new Date().toISOString() } = {}) {
  const ids = (rows) => new Map(rows.map((r, i) => [r.id, i + 1]));
  const devId = ids(dataset.developers);
  const catId = ids(dataset.categories);
  const appId = ids(dataset.apps);
  const text = (v) => v ?? "";
  const shotsOf = new Map(); // app uuid -> {en: [...], ar: [...]} full URLs in sort order
  for (const s of dataset.screenshots) {
    if (!shotsOf.has(s.app_id)) shotsOf.set(s.app_id, { en: [], ar: [] });
    (shotsOf.get(s.app_id)[s.language] ??= []).push(s);
  }
  const urls = (list = []) => JSON.stringify([...list].sort((a, b) => a.sort_order - b.sort_order).map((s) => s.url));

  const developers = {
    columns: ["id", "created_at", "updated_at", "name_en", "name_ar", "website", "email", "logo_url", "description_en", "description_ar", "contact_info", "is_verified", "social_links"],
    rows: dataset.developers.map((d) => [devId.get(d.id), now, now, d.name_en, text(d.name_ar), d.website ?? null, null, d.logo_url ?? null, "", "", "{}", false, "{}"]),
  };
  const categories = {
    columns: ["id", "created_at", "updated_at", "name_en", "name_ar", "description_en", "description_ar", "slug", "icon", "color", "sort_order", "is_active"],
    rows: dataset.categories.map((c) => [catId.get(c.id), now, now, c.name_en, text(c.name_ar), "", "", c.key, null, "", c.sort_order, true]),
  };
  const apps = {
    columns: [
      "id", "created_at", "updated_at", "status", "name_en", "name_ar", "slug",
      "short_description_en", "short_description_ar", "description_en", "description_ar",
      "application_icon", "main_image_en", "main_image_ar",
      "google_play_link", "app_store_link", "app_gallery_link", "screenshots_en", "screenshots_ar",
      "avg_rating", "review_count", "view_count", "sort_order", "platform", "featured", "developer_id",
      "embedding", "crawled_at", "crawled_content", "riwayah", "mushaf_type", "features",
    ],
    rows: dataset.apps.map((a) => {
      const shots = shotsOf.get(a.id) ?? { en: [], ar: [] };
      return [
        appId.get(a.id), now, now, "published", a.name_en, text(a.name_ar), seedSlug(a.source_id),
        text(a.short_description_en), text(a.short_description_ar), text(a.description_en), text(a.description_ar),
        mediaPath(a.application_icon_url, mediaBase), mediaPath(a.main_image_en_url, mediaBase), mediaPath(a.main_image_ar_url, mediaBase),
        a.google_play_url ?? null, a.app_store_url ?? null, a.app_gallery_url ?? null, urls(shots.en), urls(shots.ar),
        a.avg_rating ?? "0.00", 0, 0, a.sort_order ?? 0, "cross_platform", false, devId.get(a.developer_id),
        null, null, null, "[]", "[]", "[]",
      ];
    }),
  };
  const appsCategories = {
    columns: ["id", "app_id", "category_id"],
    rows: dataset.app_categories.map((l, i) => [i + 1, appId.get(l.app_id), catId.get(l.category_id)]),
  };
  const appScreenshots = {
    columns: ["id", "language", "image", "sort_order", "app_id"],
    rows: dataset.screenshots.map((s, i) => [i + 1, s.language, mediaPath(s.url, mediaBase), s.sort_order, appId.get(s.app_id)]),
  };
  return { developers, categories, apps, apps_categories: appsCategories, app_screenshots: appScreenshots };
}

/**
 * The COPY floor into the Django tables: a psql script `BEGIN; COPY developers …; COPY
 * categories …; COPY apps …; COPY apps_categories …; COPY app_screenshots …; COMMIT`, data inline,
 * timed with the server's clock like the floor of qa-load's own tables (prints `copy_ms=<ms>`),
 * and each COPY on its own (prints `copy_table_ms=<table>:<ms>,…`: one clock read per table).
 * Returns the row count per table.
 */
export function writeDjangoCopyScript(dataset, file, opts = {}) {
  const tables = djangoRows(dataset, opts);
  const fd = fs.openSync(file, "w");
  const counts = {};
  const out = (s) => fs.writeSync(fd, s);
  try {
    out("\\set ON_ERROR_STOP on\n");
    out("SELECT clock_timestamp() AS bench_t0 \\gset\n");
    out("BEGIN;\n");
    for (const table of DJANGO_TABLES) {
      const { columns, rows } = tables[table];
      counts[table] = rows.length;
      if (rows.length === 0) continue;
      out(`COPY ${table} (${columns.join(", ")}) FROM STDIN;\n`);
      let chunk = "";
      for (const row of rows) {
        if (row.length !== columns.length) throw new Error(`${table}: ${row.length} values for ${columns.length} columns`);
        chunk += `${row.map(copyValue).join("\t")}\n`;
        if (chunk.length > 1 << 20) {
          out(chunk);
          chunk = "";
        }
      }
      out(chunk);
      out("\\.\n");
      out(`SELECT clock_timestamp() AS bench_t_${table} \\gset\n`);
    }
    out("COMMIT;\n");
    out("SELECT 'copy_ms=' || round((extract(epoch FROM clock_timestamp() - :'bench_t0'::timestamptz) * 1000)::numeric, 3);\n");
    const done = DJANGO_TABLES.filter((t) => counts[t] > 0);
    const parts = done.map((t, i) => `'${t}:' || round((extract(epoch FROM :'bench_t_${t}'::timestamptz - :'${i ? `bench_t_${done[i - 1]}` : "bench_t0"}'::timestamptz) * 1000)::numeric, 3)`);
    if (parts.length) out(`SELECT 'copy_table_ms=' || ${parts.join(" || ',' || ")};\n`);
  } finally {
    fs.closeSync(fd);
  }
  return counts;
}

/**
 * The input of the backend's `load_applications_data`: it reads `applications_data_python.json`
 * next to manage.py, `{"meta": {...}, "apps": [record, ...]}` with the frontend's own records (the
 * shape of the file in the backend's repository). The records are apps.json's applicationsData,
 * unchanged: the same apps qa-load and COPY get.
 */
export function writeBackendInput(appsJsonFile, backendDir) {
  const envelope = JSON.parse(fs.readFileSync(appsJsonFile, "utf8"));
  const apps = envelope.applicationsData;
  if (!Array.isArray(apps)) throw new Error(`${appsJsonFile}: no applicationsData array`);
  const file = path.join(backendDir, "applications_data_python.json");
  fs.rmSync(file, { force: true }); // the copy of the backend's own file is read-only
  const meta = { total_apps: apps.length, source: envelope.source?.module ?? "apps.json", extracted_date: new Date().toISOString().slice(0, 10), note: `written by qad-migrate bench/lib/django.mjs from ${path.basename(appsJsonFile)}` };
  fs.writeFileSync(file, JSON.stringify({ meta, apps }, null, 2));
  return file;
}

/** KEY=VALUE lines of scripts/django-backend.sh's DIR/env, as an object. */
export function readEnvFile(file) {
  return Object.fromEntries(
    fs.readFileSync(file, "utf8").split("\n").filter((l) => l && !l.startsWith("#") && l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
}

/**
 * How to run qa-load's Django layout with this binary: {args: [...]} to put before the common
 * options (`--layout django --media-base-url URL`, after `load` when only the `load` subcommand
 * lists it), or {missing: reason} when neither `qa-load --help` nor `qa-load load --help` lists
 * `--layout`.
 */
export function qaLoadDjangoArgs(qaLoad, mediaBase = MEDIA_BASE_URL) {
  const help = (args) => {
    const r = spawnSync(qaLoad, args, { encoding: "utf8" });
    return r.status === 0 ? `${r.stdout}${r.stderr}` : "";
  };
  const layout = ["--layout", "django", "--media-base-url", mediaBase];
  if (/--layout\b/.test(help(["--help"]))) return { args: layout };
  if (/--layout\b/.test(help(["load", "--help"]))) return { args: ["load", ...layout] };
  return { missing: "qa-load has no --layout django yet" };
}

/**
 * Stands the Django templates up: `scripts/django-backend.sh start` (pgvector, the cached venv,
 * a copy of the backend, `manage.py migrate` into database `name`); a copy of it as migrated (the
 * 45 seeded apps) is kept as `name`_m, then `name` is emptied of catalogue rows. Returns {dir,
 * backend, python, env (object, DB_NAME removed), template, migratedTemplate, migrated counts};
 * throws with the script's output on a failure. `psql(sql, db)` runs SQL as the bench's admin.
 */
export function makeDjangoTemplate({ repoRoot, adminUrl, dir, name, psql, psqlFile }) {
  const r = spawnSync(path.join(repoRoot, "scripts", "django-backend.sh"), ["start", dir, "--database-url", adminUrl, "--db-name", name, "--replace", "--r2-public-url", MEDIA_BASE_URL], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`scripts/django-backend.sh start exited with ${r.status}\n${`${r.stderr}`.split("\n").slice(-20).join("\n")}`);
  const info = JSON.parse(r.stdout.trim().split("\n").pop());
  const counts = (db) => {
    const sql = `SELECT ${DJANGO_TABLES.map((t) => `(SELECT count(*) FROM ${t})`).join(" || ' ' || ")}`;
    const v = psql(sql, db).split(" ").map(Number);
    return Object.fromEntries(DJANGO_TABLES.map((t, i) => [t, v[i]]));
  };
  const migrated = counts(name);
  const migratedTemplate = `${name}_m`;
  psql(`DROP DATABASE IF EXISTS ${migratedTemplate} WITH (FORCE)`);
  psql(`CREATE DATABASE ${migratedTemplate} TEMPLATE ${name}`);
  const emptySql = path.join(dir, "empty-catalogue.sql");
  fs.writeFileSync(emptySql, EMPTY_SQL);
  psqlFile(emptySql, name);
  const emptied = counts(name);
  if (Object.values(emptied).some((n) => n !== 0)) throw new Error(`emptying the Django template left rows: ${JSON.stringify(emptied)}`);
  const env = readEnvFile(info.env_file);
  delete env.DB_NAME;
  return { dir, backend: info.backend, python: info.python, env, template: name, migratedTemplate, migrated, counts };
}
