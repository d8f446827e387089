// The preview's data model: what the page shows for a migration (the wasm core's
// `{dataset, report, developer_variants}`), without the DOM. The indexes over the rows, the
// filters and what they let through, the per-tab counts, the summary figures, the grouping of
// findings, which images a finding flags, and the page address (#tab, #app/<slug>). Pure
// functions of their arguments: app.js, views.js and detail.js render what these return, and
// test/preview-model.test.mjs tests them in Node.

/** The views, in tab order: [key, label]. */
export const TABS = [
  ['apps', 'Apps'],
  ['developers', 'Developers'],
  ['categories', 'Categories'],
  ['findings', 'Findings'],
];

/** The filters with nothing filtered. */
export function noFilters() {
  return { q: '', severity: 'all', rule: '', category: '' };
}

/**
 * Folds text for search: case, Latin accents, Arabic diacritics (tashkeel) and tatweel, and
 * the common Arabic letter variants (آ أ إ -> ا, ى -> ي, ة -> ه), so "وحي" finds "وَحي".
 */
export function fold(text) {
  if (!text) return '';
  return String(text)
    .normalize('NFKD')
    .replace(/[\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]/g, '')
    .replace(/\u0649/g, '\u064a')
    .replace(/\u0629/g, '\u0647')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/** Appends a value to the list a map keeps under a key (undefined values are left out). */
export function push(map, key, value) {
  if (value === undefined) return;
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Plain objects whatever the bindings hand back (a JS Map for serde maps, missing arrays). */
export function normalise(result) {
  const plain = (v) => (v instanceof Map ? Object.fromEntries(v) : v);
  const r = plain(result) || {};
  const ds = plain(r.dataset) || {};
  const report = plain(r.report) || {};
  return {
    dataset: {
      developers: ds.developers || [],
      categories: ds.categories || [],
      apps: ds.apps || [],
      app_categories: ds.app_categories || [],
      screenshots: ds.screenshots || [],
    },
    report: {
      source: report.source || null,
      errors: report.errors || 0,
      warnings: report.warnings || 0,
      diagnostics: (report.diagnostics || []).map(plain),
    },
    variants: (r.developer_variants || r.developerVariants || []).map(plain),
    // The record each app was made from, as findings name it (records sharing an id carry
    // their position); the app's source id when the core gave none.
    appRecords: r.app_records || r.appRecords || [],
  };
}

/** The indexes the views look rows and findings up in. */
export function buildIndex(m) {
  const ds = m.dataset;
  const byOrder = (a, b) => (a.sort_order ?? 0) - (b.sort_order ?? 0);
  const devById = new Map(ds.developers.map((d) => [d.id, d]));
  const catById = new Map(ds.categories.map((c) => [c.id, c]));
  const catByKey = new Map(ds.categories.map((c) => [c.key, c]));
  const appById = new Map(ds.apps.map((a) => [a.id, a]));
  const appBySlug = new Map(ds.apps.map((a) => [a.slug, a]));
  // The record name findings use for each app: its source id, or, for records that share an
  // id, the core's name with the position.
  const recordOfApp = new Map(ds.apps.map((a, i) => [a.id, m.appRecords?.[i] || a.source_id]));
  const appByRecord = new Map(ds.apps.map((a) => [recordOfApp.get(a.id), a]));

  const catsOfApp = new Map();
  const appsOfCat = new Map();
  for (const link of [...ds.app_categories].sort(byOrder)) {
    const cat = catById.get(link.category_id);
    if (!cat) continue;
    push(catsOfApp, link.app_id, cat);
    push(appsOfCat, link.category_id, appById.get(link.app_id));
  }
  const shotsOfApp = new Map();
  for (const s of [...ds.screenshots].sort(byOrder)) {
    let entry = shotsOfApp.get(s.app_id);
    if (!entry) shotsOfApp.set(s.app_id, (entry = { en: [], ar: [] }));
    (entry[s.language] || (entry[s.language] = [])).push(s);
  }
  const appsOfDev = new Map();
  for (const a of ds.apps) push(appsOfDev, a.developer_id, a);
  const variantOfDev = new Map(m.variants.map((v) => [v.developer_id, v]));

  // Diagnostics by record: app source id, `categories[i]`, `developer:<key>`; the rest
  // (whole input, records that produced no row) only in the Findings view.
  const diagsOf = new Map();
  const ruleCounts = new Map();
  for (const d of m.report.diagnostics) {
    if (d.record) push(diagsOf, d.record, d);
    const rc = ruleCounts.get(d.code) || { code: d.code, rule: d.rule, severity: d.severity, count: 0 };
    rc.count += 1;
    ruleCounts.set(d.code, rc);
  }
  const ruleList = [...ruleCounts.values()].sort((a, b) => a.code.localeCompare(b.code));

  const catRecord = new Map();
  const sortedCats = [...ds.categories].sort(byOrder);
  sortedCats.forEach((c, i) => catRecord.set(c.id, `categories[${i}]`));

  const ix = {
    devById, catById, catByKey, appById, appBySlug, appByRecord, catsOfApp, appsOfCat, shotsOfApp,
    appsOfDev, variantOfDev, diagsOf, ruleCounts, ruleList, sortedCats, catRecord,
    appDiags: (a) => diagsOf.get(recordOfApp.get(a.id)) || [],
    // A developer's own findings, plus those its apps' records carry about developer fields
    // (W104 merges, an Arabic name in the English field, an empty website, a logo URL).
    devDiags: (d) => {
      const own = diagsOf.get(`developer:${d.key}`) || [];
      const fromApps = (appsOfDev.get(d.id) || []).flatMap((a) =>
        (diagsOf.get(recordOfApp.get(a.id)) || []).filter((x) => x.field && /^developer_/i.test(x.field)));
      return [...own, ...fromApps];
    },
    catDiags: (c) => diagsOf.get(catRecord.get(c.id)) || [],
  };
  const appRecords = new Set(recordOfApp.values());
  const devRecords = new Set(ds.developers.map((d) => `developer:${d.key}`));
  const catRecords = new Set(catRecord.values());
  ix.isAttached = (d) => d.record && (appRecords.has(d.record) || devRecords.has(d.record) || catRecords.has(d.record));
  return ix;
}

/** The filters, without a rule or category that the new data no longer has. */
export function keepFilters(filters, ix) {
  const out = { ...filters };
  if (out.rule && !ix.ruleCounts.has(out.rule)) out.rule = '';
  if (out.category && !ix.catByKey.has(out.category)) out.category = '';
  return out;
}

// ---------------------------------------------------------------------------------------------
// Filters

export function matchesSeverityAndRule(filters, diags) {
  if (filters.severity === 'errors' && !diags.some((d) => d.severity === 'error')) return false;
  if (filters.severity === 'warnings' && !diags.some((d) => d.severity === 'warning')) return false;
  if (filters.rule && !diags.some((d) => d.code === filters.rule)) return false;
  return true;
}

export function matchesSearch(filters, ...texts) {
  const q = fold(filters.q);
  if (!q) return true;
  return texts.some((t) => fold(t).includes(q));
}

/** The apps the filters let through, in their order, with how many there are in all. */
export function shownApps(m, ix, filters) {
  const apps = [...m.dataset.apps].sort((a, b) => a.sort_order - b.sort_order);
  const shown = apps.filter((a) => {
    const cats = ix.catsOfApp.get(a.id) || [];
    if (filters.category && !cats.some((c) => c.key === filters.category)) return false;
    if (!matchesSeverityAndRule(filters, ix.appDiags(a))) return false;
    const dev = ix.devById.get(a.developer_id);
    return matchesSearch(filters, a.name_en, a.name_ar, a.slug, a.source_id, dev && dev.name_en, dev && dev.name_ar);
  });
  return { shown, total: apps.length };
}

/** The developers the filters let through (names of every merged variant are searched too). */
export function shownDevelopers(m, ix, filters) {
  const devs = m.dataset.developers;
  const shown = devs.filter((d) => {
    if (!matchesSeverityAndRule(filters, ix.devDiags(d))) return false;
    const v = ix.variantOfDev.get(d.id) || {};
    return matchesSearch(filters, d.name_en, d.name_ar, d.key, ...(v.names_en || []), ...(v.names_ar || []));
  });
  return { shown, total: devs.length };
}

/** The categories the filters let through, in display order. */
export function shownCategories(ix, filters) {
  const cats = ix.sortedCats;
  const shown = cats.filter((c) => matchesSeverityAndRule(filters, ix.catDiags(c)) && matchesSearch(filters, c.name_en, c.name_ar, c.key));
  return { shown, total: cats.length };
}

/** The findings the filters let through (searched by record, message, field and app names). */
export function shownFindings(m, ix, filters) {
  const all = m.report.diagnostics;
  const shown = all.filter((d) => matchesSeverityAndRule(filters, [d]) && matchesSearch(filters, d.record, d.message, d.field, recordName(ix, d.record)));
  return { shown, total: all.length };
}

/** The names of the app a record is, for searching findings ('' for other records). */
export function recordName(ix, record) {
  if (!record) return '';
  const app = ix.appByRecord.get(record);
  return app ? `${app.name_en} ${app.name_ar}` : '';
}

/** "12 apps", or "3 of 12 apps" when filtered. */
export function countLabel(shown, total, noun) {
  return shown === total ? `${total} ${noun}` : `${shown} of ${total} ${noun}`;
}

/** The number on a tab: every row (or finding) of the view, unfiltered. */
export function tabCount(m, key) {
  const ds = m.dataset;
  if (key === 'apps') return ds.apps.length;
  if (key === 'developers') return ds.developers.length;
  if (key === 'categories') return ds.categories.length;
  return m.report.diagnostics.length;
}

/** The view a rule's findings are best seen in: apps, else developers, else the findings. */
export function tabForRule(m, ix, code) {
  if (m.dataset.apps.some((a) => ix.appDiags(a).some((d) => d.code === code))) return 'apps';
  if (m.dataset.developers.some((d) => ix.devDiags(d).some((x) => x.code === code))) return 'developers';
  return 'findings';
}

// ---------------------------------------------------------------------------------------------
// Summary

/** A developer merged from more than one spelling or website. */
export function isMerged(v) {
  return (v.names_en || []).length > 1 || (v.names_ar || []).length > 1 || (v.websites || []).length > 1;
}

/** The figures of the summary cards, and whether the load would proceed. */
export function summary(m) {
  const { dataset, report } = m;
  return {
    apps: dataset.apps.length,
    developers: dataset.developers.length,
    merged: m.variants.filter(isMerged).length,
    categories: dataset.categories.length,
    links: dataset.app_categories.length,
    screenshots: dataset.screenshots.length,
    screenshotsAr: dataset.screenshots.filter((s) => s.language === 'ar').length,
    screenshotsEn: dataset.screenshots.filter((s) => s.language === 'en').length,
    errors: report.errors,
    warnings: report.warnings,
    loadable: !(report.errors > 0),
  };
}

// ---------------------------------------------------------------------------------------------
// Findings: grouping, fields, flagged images

/** Findings grouped by rule code: [code, findings] sorted by code (errors first with `errorsFirst`). */
export function groupByCode(diags, { errorsFirst = false } = {}) {
  const groups = new Map();
  for (const d of diags) push(groups, d.code, d);
  const rank = (list) => (list[0].severity === 'error' ? 0 : 1);
  return [...groups.entries()].sort(([a, la], [b, lb]) =>
    (errorsFirst ? rank(la) - rank(lb) : 0) || a.localeCompare(b));
}

/** The diagnostics about one source field (names compared case-insensitively; `x[3]` counts as `x`). */
export function fieldDiags(diags, field) {
  const want = field.toLowerCase();
  return diags.filter((d) => d.field && d.field.toLowerCase().replace(/\[\d+\]$/, '') === want);
}

/** A finding that marks an image as wrong (not merely noted): W102, or any error. */
export function isFlag(d) {
  return d.code === 'W102' || d.severity === 'error';
}

/**
 * The findings about a screenshot list by position in the source list: positions come in
 * `items`, or in the field itself (`screenshots_en[3]`). Returns the map and the positions a
 * flagging finding (isFlag) concerns.
 */
export function screenshotFindings(shotDiags) {
  const byPosition = new Map();
  for (const d of shotDiags) {
    const at = /\[(\d+)\]$/.exec(d.field || '');
    const items = d.items && d.items.length ? d.items : at ? [Number(at[1])] : [];
    for (const item of items) push(byPosition, item, d);
  }
  const flagged = new Set([...byPosition.entries()].filter(([, ds]) => ds.some(isFlag)).map(([i]) => i));
  return { byPosition, flagged };
}

// ---------------------------------------------------------------------------------------------
// The page address

/** `#app/<slug>` opens an app's detail (on the apps tab); `#<tab>` a view. */
export function parseHash(hash, currentTab) {
  const text = decodeURIComponent(String(hash || '').replace(/^#/, ''));
  const [tab, ...rest] = text.split('/');
  if (tab === 'app' && rest.length) return { tab: 'apps', detailSlug: rest.join('/') };
  return { tab: TABS.some(([k]) => k === tab) ? tab : currentTab, detailSlug: null };
}

export function hashFor(tab, detailSlug) {
  return detailSlug ? `#app/${encodeURIComponent(detailSlug)}` : `#${tab}`;
}
