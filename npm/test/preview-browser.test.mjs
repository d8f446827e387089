// The preview in a real browser: Debian's Chromium (/usr/bin/chromium) driven by
// playwright-core, headless, offline except for loopback. Screenshots go to
// npm/test-artifacts/ (gitignored; QAD_PREVIEW_ARTIFACTS overrides).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';

import { startPreview, writeStaticPreview } from '../lib/preview-server.mjs';
import {
  copyRealFrontend, writeFrontend, ensureArtifactsDir, launchBrowser, requireChromium, serveStatic, tempDir,
  watchPage, MODULE_REL, NPM_DIR,
} from './preview-helpers.mjs';

const require = createRequire(import.meta.url);

let browser;
let artifacts;
const cleanup = [];

before(async () => {
  requireChromium(); // fails every test below with instructions when Chromium is missing
  artifacts = await ensureArtifactsDir();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  for (const fn of cleanup.reverse()) await fn().catch(() => {});
});

async function openPage(url) {
  const page = await browser.context.newPage();
  const problems = watchPage(page);
  await page.goto(url);
  return { page, problems };
}

async function waitReady(page) {
  await page.waitForSelector('body[data-state="ready"]', { timeout: 30_000 });
}

async function count(page, key) {
  return Number(await page.locator(`[data-testid="count-${key}"]`).textContent());
}

async function shot(page, name, opts = {}) {
  await page.screenshot({ path: path.join(artifacts, name), ...opts });
}

/** What the core says about the same input, computed in Node (the package's CommonJS API). */
function coreMigration(input) {
  const core = require(path.join(NPM_DIR, 'lib', 'core.js'));
  return core.transform(input);
}

test('Chromium is installed at /usr/bin/chromium (or CHROMIUM_PATH)', () => {
  assert.ok(requireChromium());
});

test('live preview of the real frontend: summary, app detail (RTL, warnings), filters', async () => {
  const root = await copyRealFrontend();
  cleanup.push(() => fs.rm(root, { recursive: true, force: true }));
  const preview = await startPreview({ root });
  cleanup.push(() => preview.close());
  const { page, problems } = await openPage(preview.url);
  await waitReady(page);

  // Summary figures: the acceptance figures of the real data.
  assert.equal(await count(page, 'apps'), 44);
  assert.equal(await count(page, 'developers'), 33);
  assert.equal(await count(page, 'categories'), 11);
  assert.equal(await count(page, 'links'), 109);
  assert.equal(await count(page, 'screenshots'), 563);
  assert.match(await page.locator('[data-count="screenshots"] .card-sub').textContent(), /281 Arabic · 282 English/);
  assert.equal(await count(page, 'errors'), 0);
  assert.ok((await count(page, 'warnings')) > 0);
  assert.equal(await page.locator('#verdict').textContent(), 'Ready to load');
  assert.equal(await page.locator('body').getAttribute('data-mode'), 'live');
  // Errors and warnings by rule: one chip per rule that fired, W102 among them.
  assert.ok(await page.locator('.rule-chip[data-rule="W102"]').count() === 1);
  assert.equal(await page.locator('tr.app-row').count(), 44);
  await page.evaluate(() => document.fonts.ready);
  await shot(page, 'preview-summary.png', { fullPage: true });

  // The page's figures per rule agree with the core run in Node on the same input.
  const input = (await (await fetch(new URL('/api/input', preview.url))).json()).input;
  const migration = coreMigration(input);
  const w102Apps = new Set(migration.report.diagnostics.filter((d) => d.code === 'W102').map((d) => d.record));
  assert.ok(w102Apps.size > 0);

  // Open an app whose English screenshots point at _ar files.
  const target = migration.report.diagnostics.find((d) => d.code === 'W102' && d.field === 'screenshots_en' && d.items && d.items.length);
  assert.ok(target, 'the real data has an English screenshot list pointing at _ar files');
  const app = migration.dataset.apps.find((a) => a.source_id === target.record);
  await page.locator(`tr.app-row[data-slug="${app.slug}"] a.name-en`).click();
  const dialog = page.locator('dialog#detail[open]');
  await dialog.waitFor();
  assert.equal(await dialog.locator('.detail-title h2').textContent(), app.name_en);
  const ar = dialog.locator('section.lang-col[data-lang="ar"]');
  assert.equal(await ar.getAttribute('dir'), 'rtl');
  assert.equal(await ar.getAttribute('lang'), 'ar');
  assert.equal(await ar.evaluate((el) => getComputedStyle(el).direction), 'rtl');
  assert.equal(await ar.locator('.field-name').textContent(), app.name_ar);
  assert.equal(await ar.locator('.field-name').evaluate((el) => getComputedStyle(el).direction), 'rtl');
  assert.match(app.name_ar, /[\u0600-\u06ff]/);
  const en = dialog.locator('section.lang-col[data-lang="en"]');
  assert.equal(await en.evaluate((el) => getComputedStyle(el).direction), 'ltr');
  // Its warnings are listed, and the flagged English screenshots are marked, exactly those.
  const appDiags = migration.report.diagnostics.filter((d) => d.record === app.source_id);
  assert.equal(await dialog.locator('.diag-item').count(), appDiags.length);
  assert.ok(await dialog.locator('.diag-item[data-code="W102"]').count() >= 1);
  const flagged = await en.locator('.shots .shot').evaluateAll((figs) =>
    figs.map((f, i) => (f.classList.contains('flagged') ? i : -1)).filter((i) => i >= 0));
  assert.deepEqual(flagged, [...target.items].sort((a, b) => a - b));
  assert.match(await en.locator('.shots .shot.flagged .shot-flag').first().textContent(), /W102/);
  assert.equal(await ar.locator('.shots .shot.flagged').count(), 0);
  // Offline: remote images become placeholders, not broken-image icons.
  await page.waitForFunction(() => document.querySelectorAll('#detail .img.broken').length > 0);
  await shot(page, 'preview-detail.png');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' }).catch(() => {});
  assert.equal(await page.locator('dialog#detail[open]').count(), 0);

  // Filter by rule: exactly the apps with a W102 finding, each showing the badge.
  await page.selectOption('#rule-filter', 'W102');
  const rows = page.locator('tr.app-row');
  assert.equal(await rows.count(), w102Apps.size);
  assert.equal(await page.locator('tr.app-row:not(:has(.badge[data-code="W102"]))').count(), 0);
  assert.equal(await page.locator('#result-count').textContent(), `${w102Apps.size} of 44 apps`);
  await shot(page, 'preview-filtered.png');

  // Errors only: the real data has none.
  await page.locator('#reset-filters').click();
  await page.locator('.seg-btn[data-severity="errors"]').click();
  assert.equal(await rows.count(), 0);
  assert.ok(await page.locator('#view .empty').isVisible());

  // Category filter and search (Arabic without diacritics finds "وَحي").
  await page.locator('#reset-filters').click();
  await page.selectOption('#category-filter', 'kids');
  const kids = migration.dataset.app_categories.filter((l) => l.category_id === migration.dataset.categories.find((c) => c.key === 'kids').id).length;
  assert.equal(await rows.count(), kids);
  assert.equal(await page.locator('tr.app-row:not(:has(.chip[data-category="kids"]))').count(), 0);
  await page.locator('#reset-filters').click();
  await page.fill('#search', 'وحي');
  assert.ok((await rows.count()) >= 1);
  assert.ok(await page.locator('tr.app-row a.name-en', { hasText: 'Wahy' }).count() >= 1);
  await page.locator('#reset-filters').click();

  // Developers with their merged variants; categories with icons (as images) and both names.
  await page.locator('.tab[data-tab="developers"]').click();
  assert.equal(await page.locator('tr.dev-row').count(), 33);
  const merged = migration.developer_variants.filter((v) => v.names_en.length > 1 || v.names_ar.length > 1 || v.websites.length > 1);
  assert.ok(merged.length >= 2, 'Arabia IT / Arabic IT and Noor International are merged');
  assert.equal(await page.locator('tr.dev-row .badge-merged').count(), merged.length);
  await shot(page, 'preview-developers.png', { fullPage: true });
  await page.locator('.tab[data-tab="categories"]').click();
  assert.equal(await page.locator('.cat-card').count(), 11);
  assert.equal(await page.locator('.cat-card .cat-icon img[src^="data:image/svg+xml;base64,"]').count(), 11);
  assert.equal(await page.locator('.cat-card svg').count(), 0, 'icons are images, not injected SVG');
  const tools = page.locator('.cat-card[data-key="tools"]');
  assert.equal(await tools.locator('.cat-en').textContent(), 'Other');
  assert.equal(await tools.locator('.cat-ar').textContent(), 'أخرى');
  assert.equal(await tools.locator('.cat-ar').getAttribute('dir'), 'rtl');
  await shot(page, 'preview-categories.png', { fullPage: true });

  assert.deepEqual(problems, []);
  await page.close();
});

test('the page refreshes when the module changes, and survives a broken module', async () => {
  const root = await copyRealFrontend();
  cleanup.push(() => fs.rm(root, { recursive: true, force: true }));
  const preview = await startPreview({ root });
  cleanup.push(() => preview.close());
  const { page, problems } = await openPage(preview.url);
  await waitReady(page);
  const before = await page.locator('body').getAttribute('data-revision');

  const file = path.join(root, MODULE_REL);
  const original = await fs.readFile(file, 'utf8');
  assert.ok(original.includes('"Name_En": "Wahy"'));
  await fs.writeFile(file, original.replace('"Name_En": "Wahy"', '"Name_En": "Wahy Live Edit"'));
  await page.locator('tr.app-row a.name-en', { hasText: 'Wahy Live Edit' }).waitFor({ timeout: 15_000 });
  assert.notEqual(await page.locator('body').getAttribute('data-revision'), before);

  await fs.writeFile(file, `${original}\nexport const oops = [;\n`);
  await page.locator('#notice:not([hidden])', { hasText: 'could not be read' }).waitFor({ timeout: 15_000 });
  assert.equal(await count(page, 'apps'), 44, 'the last good data stays on screen');

  await fs.writeFile(file, original);
  await page.locator('#notice').waitFor({ state: 'hidden', timeout: 15_000 });
  await page.locator('tr.app-row a.name-en', { hasText: /^Wahy$/ }).waitFor({ timeout: 15_000 });
  assert.deepEqual(problems, []);
  await page.close();
});

const EVIL_MODULE = `// A module whose strings are markup: the page must show them as text.
export const applicationsData = [
  {
    "id": "1_Evil",
    "Name_En": "<script>window.__xss = 1</script>Evil <b>App</b>",
    "Name_Ar": "<img src=x onerror=\\"window.__xss = 2\\">تطبيق خبيث",
    "Short_Description_En": "<iframe src=\\"javascript:window.__xss = 3\\"></iframe>short",
    "Short_Description_Ar": "وصف قصير",
    "Description_En": "<svg onload=\\"window.__xss = 4\\"></svg>description",
    "Description_Ar": "وصف",
    "status": "<i>Done</i>",
    "sort": 1,
    "Apps_Avg_Rating": 4.5,
    "categories": ["tools"],
    "screenshots_en": ["javascript:window.__xss = 5", "https://img.example/<script>.png"],
    "screenshots_ar": [],
    "mainImage_en": "",
    "mainImage_ar": "",
    "applicationIcon": "javascript:window.__xss = 6",
    "Developer_Name_En": "<script>window.__xss = 7</script>Evil Dev",
    "Developer_Name_Ar": "مطور",
    "Developer_Website": "javascript:window.__xss = 8",
    "Developer_Logo": "",
    "Google_Play_Link": "javascript:window.__xss = 9",
    "AppStore_Link": "",
    "App_Gallery_Link": "",
  },
  {
    "id": "2_Plain",
    "Name_En": "Plain",
    "Name_Ar": "عادي",
    "sort": 2,
    "categories": ["tools"],
    "Developer_Name_En": "Plain Dev",
  },
];

export const categories = [
  {
    name: "Tools",
    icon: \`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" onload="window.__xss = 10"><script>window.__xss = 11</script><circle cx="5" cy="5" r="4" fill="#A0533B"/></svg>\`,
  },
];
`;

test('markup in the data is shown as text, never executed', async () => {
  const root = await writeFrontend(EVIL_MODULE, {
    en: { appList: { categories: { tools: '<b>Other</b>' } } },
    ar: { appList: { categories: { tools: 'أخرى' } } },
  });
  cleanup.push(() => fs.rm(root, { recursive: true, force: true }));
  const preview = await startPreview({ root });
  cleanup.push(() => preview.close());
  const { page, problems } = await openPage(preview.url);
  await waitReady(page);
  assert.equal(await count(page, 'apps'), 2);

  const evilName = '<script>window.__xss = 1</script>Evil <b>App</b>';
  const link = page.locator('tr.app-row a.name-en').first();
  assert.equal(await link.textContent(), evilName);
  assert.ok(await link.isVisible());
  assert.ok(await page.getByText('<script>window.__xss = 7</script>Evil Dev').first().isVisible());

  await link.click();
  const dialog = page.locator('dialog#detail[open]');
  await dialog.waitFor();
  assert.equal(await dialog.locator('.detail-title h2').textContent(), evilName);
  assert.equal(await dialog.locator('[data-lang="ar"] .field-name').textContent(), '<img src=x onerror="window.__xss = 2">تطبيق خبيث');
  assert.ok(await dialog.getByText('<iframe src="javascript:window.__xss = 3"></iframe>short').isVisible());
  // The screenshot with a javascript: URL (E016 on screenshots_en[0]) is flagged, as a placeholder.
  const first = dialog.locator('[data-lang="en"] .shots .shot').first();
  assert.match(await first.getAttribute('class'), /\bflagged\b/);
  assert.match(await first.locator('.shot-flag').textContent(), /E016/);
  assert.equal(await first.locator('img').count(), 0);
  await page.waitForTimeout(300); // give any injected handler a chance to run
  await shot(page, 'preview-xss.png');

  const dom = await page.evaluate(() => ({
    xss: window.__xss,
    scripts: [...document.querySelectorAll('script')].map((s) => s.getAttribute('src')),
    injected: document.querySelectorAll('#main b, #main i, #main iframe, #main svg, #detail b, #detail i, #detail iframe, #detail svg').length,
    imgX: document.querySelectorAll('img[src="x"]').length,
    jsLinks: [...document.querySelectorAll('[href],[src]')].filter((e) => /^\s*javascript:/i.test(e.getAttribute('href') || e.getAttribute('src') || '')).length,
    iconSrc: document.querySelector('.chip-icon')?.getAttribute('src') ?? null,
  }));
  assert.equal(dom.xss, undefined, 'no script from the data ran');
  assert.deepEqual(dom.scripts, ['boot.js', 'app.js']);
  assert.equal(dom.injected, 0, 'no element was created from data markup');
  assert.equal(dom.imgX, 0);
  assert.equal(dom.jsLinks, 0, 'no javascript: URL reached an href or src');
  // The category icon is shown as an image of exactly the exported SVG.
  assert.ok(dom.iconSrc && dom.iconSrc.startsWith('data:image/svg+xml;base64,'));
  const svg = Buffer.from(dom.iconSrc.slice('data:image/svg+xml;base64,'.length), 'base64').toString('utf8');
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg".*<\/svg>$/s);
  assert.ok(svg.includes('<script>window.__xss = 11</script>'));

  await page.keyboard.press('Escape');
  await page.locator('.tab[data-tab="categories"]').click();
  assert.equal(await page.locator('.cat-card .cat-en').first().textContent(), '<b>Other</b>');
  await page.waitForTimeout(200);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.deepEqual(problems, []);
  await page.close();
});

test('static mode: the exported page on a plain static server migrates a dropped JSON file', async () => {
  const out = await tempDir('static-site');
  cleanup.push(() => fs.rm(out, { recursive: true, force: true }));
  await writeStaticPreview(out);
  const site = await serveStatic(out);
  cleanup.push(() => site.close());

  // The module's JSON ({applicationsData, categories, i18n}), as a user would save it.
  const root = await copyRealFrontend();
  cleanup.push(() => fs.rm(root, { recursive: true, force: true }));
  const { loadFrontend } = require(path.join(NPM_DIR, 'lib', 'load.js'));
  const { input } = loadFrontend({ root });
  const json = path.join(out, '..', `${path.basename(out)}-apps.json`);
  await fs.writeFile(json, JSON.stringify({ applicationsData: input.applicationsData, categories: input.categories, i18n: input.i18n }));
  cleanup.push(() => fs.rm(json, { force: true }));

  const { page, problems } = await openPage(site.url);
  await page.waitForSelector('body[data-state="empty"]');
  assert.equal(await page.locator('body').getAttribute('data-mode'), 'static');
  assert.ok(await page.locator('#dropzone').isVisible());
  await shot(page, 'preview-static-empty.png');

  await page.setInputFiles('#file-input-drop', json);
  await waitReady(page);
  assert.equal(await count(page, 'apps'), 44);
  assert.equal(await count(page, 'developers'), 33);
  assert.equal(await count(page, 'categories'), 11);
  assert.equal(await count(page, 'links'), 109);
  assert.equal(await count(page, 'screenshots'), 563);
  assert.match(await page.locator('#source-pill').textContent(), /File.*-apps\.json/);

  // A file that is not JSON: the core's E001, shown as a finding.
  const bad = path.join(out, '..', `${path.basename(out)}-bad.json`);
  await fs.writeFile(bad, '{"applicationsData": [ {"id": "x",, } ]}');
  cleanup.push(() => fs.rm(bad, { force: true }));
  await page.setInputFiles('#file-input', bad);
  await page.waitForFunction(() => document.querySelector('[data-testid="count-apps"]')?.textContent === '0');
  assert.equal(await count(page, 'errors'), 1);
  assert.equal(await page.locator('#verdict').textContent(), 'Load would be refused');
  await page.locator('.tab[data-tab="findings"]').click();
  assert.equal(await page.locator('tr.finding[data-code="E001"]').count(), 1);
  assert.match(await page.locator('tr.finding').textContent(), /line 1, column/);
  await shot(page, 'preview-static-error.png');
  assert.deepEqual(problems, []);
  await page.close();

  // Opened as a file, the page explains that it must be served over HTTP.
  const filePage = await browser.context.newPage();
  await filePage.goto(`file://${path.join(out, 'index.html')}`);
  await filePage.getByText('Serve this folder over HTTP').waitFor();
  await filePage.close();
});
