// The preview's data model (preview/model.js) in Node, on migrations made by the same wasm core
// the page runs: indexes, filters, counts, the summary, grouping, flagged images, the address.
// The page itself is tested in Chromium (preview-browser.test.mjs).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

import {
  TABS, buildIndex, countLabel, fieldDiags, fold, groupByCode, hashFor, isFlag, isMerged, keepFilters,
  matchesSearch, matchesSeverityAndRule, noFilters, normalise, parseHash, recordName, screenshotFindings,
  shownApps, shownCategories, shownDevelopers, shownFindings, summary, tabCount, tabForRule,
} from '../preview/model.js';

const require = createRequire(import.meta.url);
const core = require('../lib/core.js');
const FIXTURES = path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures');

/** What the page computes for a file: the core's migration, normalised and indexed. */
function model(name) {
  const m = normalise(core.transform(fs.readFileSync(path.join(FIXTURES, `${name}.apps.json`))));
  return { m, ix: buildIndex(m) };
}

const filters = (over) => ({ ...noFilters(), ...over });
const slugs = (list) => list.map((a) => a.slug);

test('normalise and buildIndex: every row and finding reachable from the indexes', () => {
  const { m, ix } = model('data-errors');
  assert.equal(ix.appBySlug.get('alpha-two').source_id, '1_Alpha');
  assert.equal(ix.appDiags(ix.appBySlug.get('beta-reader-b')).length, 3);
  assert.deepEqual(ix.sortedCats.map((c) => c.key), ['mushaf', 'kids']);
  assert.deepEqual(ix.catDiags(ix.catByKey.get('kids')).map((d) => d.code), ['W109']);
  assert.deepEqual(ix.ruleList.map((r) => r.code), [...ix.ruleCounts.keys()].sort());
  assert.equal(ix.ruleCounts.get('W109').count, 2);
  const attached = m.report.diagnostics.filter(ix.isAttached).length;
  assert.equal(attached, m.report.diagnostics.length, 'every finding here is about a row');
  // Two records share the id 1_Alpha: each one's findings go to its own app, by position.
  const [first, second] = ['alpha', 'alpha-two'].map((s) => ix.appBySlug.get(s));
  assert.ok(first && second, 'both apps of the shared id are rows');
  assert.ok(ix.appDiags(first).every((d) => d.record === '1_Alpha (applicationsData[0])'));
  assert.ok(ix.appDiags(second).some((d) => d.code === 'E013' && d.record === '1_Alpha (applicationsData[1])'));
  // What the bindings may hand back: Maps and missing members become plain objects and lists.
  const bare = normalise(new Map([['report', new Map([['errors', 2]])]]));
  assert.deepEqual(bare.dataset.apps, []);
  assert.equal(bare.report.errors, 2);
  assert.equal(bare.report.source, null);
  assert.deepEqual(bare.variants, []);
});

test('summary: the cards and whether the load would proceed', () => {
  const valid = model('valid');
  const s = summary(valid.m);
  assert.deepEqual(
    [s.apps, s.developers, s.categories, s.errors, s.loadable],
    [3, 2, 4, 0, true],
  );
  assert.equal(s.screenshotsAr + s.screenshotsEn, s.screenshots);
  assert.equal(s.links, valid.m.dataset.app_categories.length);
  const bad = summary(model('data-errors').m);
  assert.deepEqual([bad.errors, bad.warnings, bad.loadable], [8, 6, false]);
  assert.equal(bad.merged, 0);
  assert.equal(isMerged({ names_en: ['A', 'a'] }), true);
  assert.equal(isMerged({ names_en: ['A'], names_ar: [], websites: ['x'] }), false);
});

test('filters: severity, rule, category and search decide which rows are shown', () => {
  const { m, ix } = model('data-errors');
  const all = shownApps(m, ix, noFilters()).shown;
  assert.equal(all.length, 3);
  assert.deepEqual(all.map((a) => a.sort_order), all.map((a) => a.sort_order).sort((a, b) => a - b), 'in sort order');
  const errors = shownApps(m, ix, filters({ severity: 'errors' }));
  assert.equal(errors.total, 3);
  assert.ok(errors.shown.every((a) => ix.appDiags(a).some((d) => d.severity === 'error')));
  assert.ok(!slugs(errors.shown).includes('beta-reader-b'), 'Beta has warnings only');
  assert.deepEqual(slugs(shownApps(m, ix, filters({ severity: 'warnings', rule: 'W106' })).shown), ['beta-reader-b']);
  assert.deepEqual(shownApps(m, ix, filters({ rule: 'E999' })).shown, []);
  assert.equal(shownApps(m, ix, filters({ category: 'mushaf' })).shown.length, 3);
  assert.deepEqual(shownApps(m, ix, filters({ category: 'kids' })).shown, [], 'no app is in kids');
  // Search: both languages, case and Arabic diacritics folded.
  assert.deepEqual(slugs(shownApps(m, ix, filters({ q: 'BETA' })).shown), ['beta-reader-b']);
  assert.deepEqual(slugs(shownApps(m, ix, filters({ q: 'بِيتا' })).shown), ['beta-reader-b']);
  assert.equal(fold('وَحي'), fold('وحي'));
  assert.equal(fold('  Café  Noir '), 'cafe noir');
  assert.equal(matchesSearch(filters({ q: '' }), null), true);
  assert.equal(matchesSeverityAndRule(filters({ severity: 'errors' }), [{ severity: 'warning', code: 'W1' }]), false);
  // Developers (their merged spellings are searched too), categories, findings.
  assert.deepEqual(shownDevelopers(m, ix, filters({ q: 'alpha dev' })).shown.map((d) => d.key), ['alpha dev']);
  assert.deepEqual(shownCategories(ix, filters({ rule: 'W109', q: 'kid' })).shown.map((c) => c.key), ['kids']);
  const findings = shownFindings(m, ix, filters({ q: 'beta' }));
  assert.equal(findings.total, m.report.diagnostics.length);
  assert.deepEqual(findings.shown.map((d) => d.code).sort(), ['W102', 'W103', 'W106']);
  const beta = ix.appByRecord.get('3_Beta');
  assert.equal(recordName(ix, '3_Beta'), `${beta.name_en} بيتا`);
  assert.equal(recordName(ix, 'categories[0]'), '');
});

test('keepFilters, tab counts, the rule chip target and the count line', () => {
  const { m, ix } = model('valid');
  assert.deepEqual(keepFilters(filters({ rule: 'E010', category: 'nope', q: 'x' }), ix), filters({ q: 'x' }));
  assert.deepEqual(keepFilters(filters({ rule: 'W111', category: 'kids' }), ix), filters({ rule: 'W111', category: 'kids' }));
  assert.deepEqual(TABS.map(([key]) => tabCount(m, key)), [3, 2, 4, m.report.diagnostics.length]);
  assert.equal(tabForRule(m, ix, 'W111'), 'apps');
  assert.equal(tabForRule(m, ix, 'W104'), 'developers');
  assert.equal(tabForRule(m, ix, 'E999'), 'findings');
  assert.equal(countLabel(3, 3, 'apps'), '3 apps');
  assert.equal(countLabel(1, 3, 'apps'), '1 of 3 apps');
});

test('findings grouped by rule (errors first on request), by field, and the images they flag', () => {
  const d = (code, severity, field, items) => ({ code, severity, field, items });
  const diags = [d('W111', 'warning', 'screenshots_en', [0, 1]), d('E010', 'error', 'Name_Ar'), d('W102', 'warning', 'screenshots_en', [0]), d('W111', 'warning', 'screenshots_en[3]')];
  assert.deepEqual(groupByCode(diags).map(([code, list]) => [code, list.length]), [['E010', 1], ['W102', 1], ['W111', 2]]);
  const warningsFirst = [d('W101', 'warning'), d('E020', 'error'), d('W100', 'warning')];
  assert.deepEqual(groupByCode(warningsFirst, { errorsFirst: true }).map(([code]) => code), ['E020', 'W100', 'W101']);
  assert.deepEqual(fieldDiags(diags, 'Screenshots_EN').map((x) => x.code), ['W111', 'W102', 'W111']);
  assert.deepEqual(fieldDiags(diags, 'name_ar').map((x) => x.code), ['E010']);
  assert.equal(isFlag(d('W102', 'warning')), true);
  assert.equal(isFlag(d('E001', 'error')), true);
  assert.equal(isFlag(d('W111', 'warning')), false);
  const { byPosition, flagged } = screenshotFindings(fieldDiags(diags, 'screenshots_en'));
  assert.deepEqual([...byPosition.keys()].sort(), [0, 1, 3]);
  assert.deepEqual(byPosition.get(0).map((x) => x.code), ['W111', 'W102']);
  assert.deepEqual([...flagged], [0], 'only the W102 image is flagged; W111 is a note');
  // On the core's own findings: the valid fixture's English screenshot 0 is an _ar file.
  const { ix } = model('valid');
  const noor = ix.appBySlug.get('noor-reader');
  assert.deepEqual([...screenshotFindings(fieldDiags(ix.appDiags(noor), 'screenshots_en')).flagged], [0]);
});

test('the address: #<tab> and #app/<slug>', () => {
  assert.deepEqual(parseHash('#developers', 'apps'), { tab: 'developers', detailSlug: null });
  assert.deepEqual(parseHash('#app/noor-reader', 'findings'), { tab: 'apps', detailSlug: 'noor-reader' });
  assert.deepEqual(parseHash('#nonsense', 'findings'), { tab: 'findings', detailSlug: null });
  assert.deepEqual(parseHash('', 'apps'), { tab: 'apps', detailSlug: null });
  for (const slug of ['noor-reader', 'a/b', 'قرآن']) {
    assert.deepEqual(parseHash(hashFor('apps', slug), 'findings'), { tab: 'apps', detailSlug: slug });
  }
  assert.equal(hashFor('categories', null), '#categories');
});
