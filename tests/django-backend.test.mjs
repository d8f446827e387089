// The Quran Apps Directory's real Django backend (../shared/peers/), stood up by
// scripts/django-backend.sh: what a freshly migrated database holds, read through SQL and through
// the backend's own API, as ../shared/peers/README.md states it. Later tests load into these
// tables with qa-load; this one pins the starting point and the tools (tests/support/django.mjs).
//
// Needs: QAD_TEST_DATABASE_URL (a superuser URL; scripts/test.sh starts a throw-away cluster and
// runs `django-backend.sh prepare`). Skipped, saying so, only when that variable is unset.

import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  adminDatabase, startDjango, stopDjango, psql, catalogueCounts, getJson, manage,
  dumpCatalogue, assertSameDump, sameDump, DEFAULT_R2_PUBLIC_URL,
} from "./support/django.mjs";

const SKIP = process.env.QAD_TEST_DATABASE_URL
  ? false
  : "QAD_TEST_DATABASE_URL is unset: the Django backend tests need a PostgreSQL superuser (scripts/test.sh sets it)";

describe("Django backend, freshly migrated", { skip: SKIP }, () => {
  let admin;
  let dj;

  before(async () => {
    admin = await adminDatabase();
    dj = await startDjango({ adminUrl: admin.url, label: "fresh" });
  });

  after(async () => {
    await stopDjango(dj);
    await admin?.stop();
  });

  test("the seed: 45 apps, 34 developers, 573 screenshots, no categories and no links", () => {
    assert.deepEqual(catalogueCounts(dj.databaseUrl), {
      developers: 34,
      categories: 0,
      apps: 45,
      apps_categories: 0,
      app_screenshots: 573,
    });
    // Stored as the seed has them: slug from the source id, images as paths relative to R2.
    assert.equal(
      psql(dj.databaseUrl, "SELECT name_en, status, application_icon FROM apps WHERE slug = '1-wahy'"),
      "Wahy|published|1_Wahy/app_icon.png",
    );
    assert.equal(psql(dj.databaseUrl, "SELECT count(*) FROM apps WHERE slug LIKE '% %'"), "28");
    // The slug is the source id (the seed's image directory) lower-cased with _ → -, spaces kept.
    assert.equal(
      psql(dj.databaseUrl, "SELECT count(*) FROM apps WHERE slug = lower(replace(split_part(application_icon, '/', 1), '_', '-'))"),
      "45",
    );
    assert.equal(psql(dj.databaseUrl, "SELECT count(*) FROM pg_extension WHERE extname = 'vector'"), "1");
  });

  test("django_migrations holds the migrations docs/django-tables.md names as the tables' shape", () => {
    const applied = new Set(psql(dj.databaseUrl, "SELECT app || '.' || name FROM django_migrations").split("\n"));
    assert.equal(applied.size, 58);
    for (const m of [
      "developers.0001_initial", "categories.0001_initial", "apps.0001_initial",
      "apps.0004_setup_pgvector_extension", "apps.0005_change_embedding_dimensions_to_gemini",
      "apps.0006_add_crawled_content_cache", "apps.0014_alter_application_icon_to_imagefield",
      "apps.0016_convert_main_images_add_screenshots", "apps.0018_make_application_icon_mandatory",
      "apps.0019_make_main_images_mandatory", "apps.0020_add_multi_filter_fields",
      // the leaves
      "apps.0025_populate_app_metadata", "categories.0006_fix_arabic_category_names",
    ]) assert.ok(applied.has(m), m);
  });

  test("pg_dump --data-only of the catalogue, twice with nothing in between: byte-identical", () => {
    const a = dumpCatalogue(dj.databaseUrl, dj.file("dump-1.sql"));
    const b = dumpCatalogue(dj.databaseUrl, dj.file("dump-2.sql"));
    assertSameDump(a, b);
  });

  test("GET /api/apps/ and /api/categories/: 45 published apps, no categories, ?category=mushaf finds 0", async () => {
    const all = await getJson(dj, "/api/apps/?page_size=100");
    assert.equal(all.count, 45);
    assert.equal(all.results.length, 45);
    assert.deepEqual(await getJson(dj, "/api/categories/"), []);
    // The bug qa-load is to fix: the backend's data has no app–category links.
    const mushaf = await getJson(dj, "/api/apps/?category=mushaf");
    assert.equal(mushaf.count, 0);
    assert.deepEqual(mushaf.results, []);
  });

  test("GET /api/apps/1-wahy: the seeded app, full image URLs on the R2 bucket; the GET itself writes", async () => {
    const before = dumpCatalogue(dj.databaseUrl, dj.file("dump-before-get.sql"));
    const views = Number(psql(dj.databaseUrl, "SELECT view_count FROM apps WHERE slug = '1-wahy'"));

    const app = await getJson(dj, "/api/apps/1-wahy");
    assert.equal(app.name_en, "Wahy");
    assert.equal(app.slug, "1-wahy");
    assert.equal(app.application_icon, `${DEFAULT_R2_PUBLIC_URL}/1_Wahy/app_icon.png`);
    const images = [app.application_icon, app.main_image_en, app.main_image_ar, ...app.screenshots_en, ...app.screenshots_ar];
    assert.equal(app.screenshots_en.length, 8);
    assert.equal(app.screenshots_ar.length, 8);
    for (const url of images) assert.ok(url.startsWith(`${DEFAULT_R2_PUBLIC_URL}/`), url);
    assert.deepEqual(app.categories, []);

    // README: each detail GET adds 1 to view_count and a row to app_view_events. The dump sees it.
    assert.equal(Number(psql(dj.databaseUrl, "SELECT view_count FROM apps WHERE slug = '1-wahy'")), views + 1);
    assert.equal(psql(dj.databaseUrl, "SELECT count(*) FROM app_view_events"), "1");
    const after = dumpCatalogue(dj.databaseUrl, dj.file("dump-after-get.sql"));
    assert.equal(sameDump(before, after), false, "the dump shows the view count written by the GET");
  });
});

describe("Django backend without runserver, another R2_PUBLIC_URL", { skip: SKIP }, () => {
  let admin;
  let dj;
  const R2 = "https://r2.example.test/bucket";

  before(async () => {
    admin = await adminDatabase();
    dj = await startDjango({ adminUrl: admin.url, label: "r2", r2PublicUrl: R2, runserver: false });
  });

  after(async () => {
    await stopDjango(dj);
    await admin?.stop();
  });

  test("manage.py shell: the model builds image URLs from --r2-public-url", () => {
    assert.equal(dj.apiUrl, null);
    const { stdout } = manage(dj, [
      "shell", "-c",
      "from apps.models import App; a = App.objects.get(slug='1-wahy'); print(a.application_icon.url); print(a.screenshot_files.order_by('language', 'sort_order').first().image.url)",
    ]);
    assert.deepEqual(stdout.trim().split("\n").slice(-2), [
      `${R2}/1_Wahy/app_icon.png`,
      `${R2}/1_Wahy/01_screenshots_ar.png`,
    ]);
  });
});
