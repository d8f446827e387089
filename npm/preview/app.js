// The qad-migrate preview page.
//
// Live mode (served by `qad-migrate preview`): fetches the input extracted from the frontend
// module (api/input), migrates it here with the wasm core, and polls api/status to refresh
// when the module changes. Static mode (the same files on any static server): no api; the
// user opens or drops an apps.json / module JSON, migrated here the same way.
//
// Every string from the data is rendered as text (see dom.js); category SVG icons are shown
// as <img> with a base64 data: URL, never injected.

import { h, fill, safeHttpUrl, svgDataUrl, fold, image, fileName } from './dom.js';
import initCore, * as wasm from './wasm/qad_wasm.js';

const POLL_MS = 1000;
const $ = (id) => document.getElementById(id);

const state = {
  core: null, // the wasm module
  mode: 'static', // 'live' | 'static'
  source: null, // { kind: 'live'|'file', label, sha256, revision, loadedAt }
  m: null, // { dataset, report, developer_variants }
  ix: null, // indexes over m
  tab: 'apps',
  detailSlug: null,
  filters: { q: '', severity: 'all', rule: '', category: '' },
  liveRevision: null,
  liveSuspended: false, // a file was opened over live data
  polling: false,
};

// ---------------------------------------------------------------------------------------------
// Start-up

main().catch((e) => fatal(`The preview could not start: ${e && e.message ? e.message : e}`));

async function main() {
  if (location.protocol === 'file:') return; // boot.js explains
  wireStaticControls();
  try {
    await initCore({ module_or_path: new URL('./wasm/qad_wasm_bg.wasm', import.meta.url) });
    state.core = wasm;
  } catch (e) {
    fatal(`The migration core (wasm/qad_wasm.js) could not be loaded: ${e && e.message ? e.message : e}`);
    return;
  }
  try {
    const v = typeof state.core.version === 'function' ? state.core.version() : null;
    if (v) $('footer-core').textContent = `Computed in this browser by qad-core ${v} (WebAssembly).`;
  } catch {
    // version() is informative only
  }

  const status = await fetchJson('api/status').catch(() => null);
  if (status && status.ok && status.body && status.body.live) {
    state.mode = 'live';
    document.body.dataset.mode = 'live';
    await refreshLive(status.body);
    schedulePoll();
  } else {
    state.mode = 'static';
    document.body.dataset.mode = 'static';
    showDropzone();
  }
}

async function fetchJson(url) {
  const res = await fetch(url, { cache: 'no-store', headers: { Accept: 'application/json' } });
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  return { ok: res.ok, status: res.status, body };
}

function fatal(message) {
  const box = $('loading');
  box.hidden = false;
  box.classList.add('state-error');
  fill(box, h('h2', { text: 'Something went wrong' }), h('p', { text: message }));
  document.body.dataset.state = 'error';
}

function notice(message, kind = 'error') {
  const el = $('notice');
  if (!message) {
    el.hidden = true;
    el.replaceChildren();
    return;
  }
  el.hidden = false;
  el.className = `notice notice-${kind}`;
  fill(el, ...(Array.isArray(message) ? message : [message]));
}

let toastTimer = null;
function toast(message) {
  const el = $('toast');
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    el.hidden = true;
  }, 2500);
}

// ---------------------------------------------------------------------------------------------
// Live mode

function schedulePoll() {
  setTimeout(poll, POLL_MS);
}

async function poll() {
  try {
    if (!document.hidden && !state.liveSuspended) {
      const res = await fetchJson('api/status');
      if (res.ok && res.body) {
        setLiveConnected(true);
        if (res.body.revision !== state.liveRevision) await refreshLive(res.body);
      } else setLiveConnected(false);
    }
  } catch {
    setLiveConnected(false);
  }
  schedulePoll();
}

function setLiveConnected(ok) {
  const pill = $('source-pill');
  pill.classList.toggle('pill-off', !ok);
  pill.dataset.connected = ok ? 'yes' : 'no';
}

async function refreshLive(status) {
  const res = await fetchJson('api/input');
  const body = res.body || {};
  const revision = body.revision ?? status.revision;
  if (!res.ok || body.error) {
    state.liveRevision = revision;
    const message = body.error && body.error.message ? body.error.message : `HTTP ${res.status}`;
    notice([
      h('strong', { text: 'The module could not be read. ' }),
      state.m ? 'Showing the last good version. ' : '',
      h('span', { class: 'mono', text: message }),
    ]);
    if (!state.m) {
      $('loading').hidden = true;
      document.body.dataset.state = 'error';
    }
    return;
  }
  const first = !state.m;
  const ok = migrate(body.input, {
    kind: 'live',
    label: status.module || (body.sourceInfo && body.sourceInfo.module) || 'module',
    sha256: body.moduleSha256 || (body.sourceInfo && body.sourceInfo.sha256) || null,
    revision,
  });
  state.liveRevision = revision;
  if (ok) {
    const warnings = (body.sourceInfo && body.sourceInfo.warnings) || [];
    notice(warnings.length
      ? [h('strong', { text: 'While loading the module: ' }), warnings.join(' · ')]
      : null, 'info');
    if (!first) toast(`Updated: ${state.source.label} changed`);
  }
}

// ---------------------------------------------------------------------------------------------
// Static mode (and "Open JSON…" in either mode)

function showDropzone() {
  $('loading').hidden = true;
  $('dropzone').hidden = false;
  $('content').hidden = true;
  document.body.dataset.state = 'empty';
}

function wireStaticControls() {
  for (const id of ['file-input', 'file-input-drop']) {
    $(id).addEventListener('change', (ev) => {
      const file = ev.target.files && ev.target.files[0];
      if (file) openFile(file);
      ev.target.value = '';
    });
  }
  const overlay = $('drag-overlay');
  let depth = 0;
  window.addEventListener('dragenter', (ev) => {
    if (!hasFiles(ev)) return;
    ev.preventDefault();
    depth += 1;
    overlay.hidden = false;
  });
  window.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) overlay.hidden = true;
  });
  window.addEventListener('dragover', (ev) => {
    if (hasFiles(ev)) ev.preventDefault();
  });
  window.addEventListener('drop', (ev) => {
    if (!hasFiles(ev)) return;
    ev.preventDefault();
    depth = 0;
    overlay.hidden = true;
    const file = ev.dataTransfer.files[0];
    if (file) openFile(file);
  });
}

function hasFiles(ev) {
  return ev.dataTransfer && Array.from(ev.dataTransfer.types || []).includes('Files');
}

async function openFile(file) {
  if (!state.core) return;
  let bytes;
  try {
    bytes = new Uint8Array(await file.arrayBuffer());
  } catch (e) {
    notice(`Could not read ${file.name}: ${e.message}`);
    return;
  }
  const head = new TextDecoder().decode(bytes.subarray(0, 4096));
  if (/\.(ts|js|mjs)$/i.test(file.name) || /^\s*(export|import)\s/.test(head)) {
    notice([
      h('strong', { text: `${file.name} is the TypeScript module, not JSON. ` }),
      'Run ',
      h('code', { text: 'qad-migrate extract' }),
      ' to write apps.json, or ',
      h('code', { text: 'qad-migrate preview' }),
      ' in the frontend root to preview the module directly.',
    ]);
    return;
  }
  if (state.mode === 'live') state.liveSuspended = true;
  const sha = await sha256Hex(bytes).catch(() => null);
  // The core gets the file's bytes: it checks UTF-8 and JSON itself (E001 with line and column).
  const ok = migrate(bytes, { kind: 'file', label: file.name, sha256: sha, size: file.size });
  if (ok) {
    notice(state.mode === 'live'
      ? [h('span', { text: `Showing ${file.name}; live updates from the module are paused. ` }),
        h('button', { type: 'button', class: 'btn btn-small', text: 'Back to the live module', onclick: backToLive })]
      : null, 'info');
  }
}

function backToLive() {
  state.liveSuspended = false;
  state.liveRevision = null; // the next poll reloads
  notice(null);
}

async function sha256Hex(bytes) {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

// ---------------------------------------------------------------------------------------------
// Migration (wasm) and indexes

function migrate(input, source) {
  let result;
  try {
    result = state.core.transform(input);
    if (typeof result === 'string') result = JSON.parse(result);
  } catch (e) {
    notice([h('strong', { text: 'The core could not migrate this input. ' }), String(e && e.message ? e.message : e)]);
    if (!state.m) {
      $('loading').hidden = true;
      if (state.mode === 'static') showDropzone();
    }
    return false;
  }
  state.m = normalise(result);
  state.ix = buildIndex(state.m);
  state.source = { ...source, loadedAt: new Date() };
  if (state.filters.rule && !state.ix.ruleCounts.has(state.filters.rule)) state.filters.rule = '';
  if (state.filters.category && !state.ix.catByKey.has(state.filters.category)) state.filters.category = '';
  $('loading').hidden = true;
  $('dropzone').hidden = true;
  $('content').hidden = false;
  document.body.dataset.state = 'ready';
  document.body.dataset.revision = source.revision || source.sha256 || '';
  renderAll();
  return true;
}

/** Plain objects whatever the bindings hand back (a JS Map for serde maps, missing arrays). */
function normalise(result) {
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
  };
}

function buildIndex(m) {
  const ds = m.dataset;
  const byOrder = (a, b) => (a.sort_order ?? 0) - (b.sort_order ?? 0);
  const devById = new Map(ds.developers.map((d) => [d.id, d]));
  const catById = new Map(ds.categories.map((c) => [c.id, c]));
  const catByKey = new Map(ds.categories.map((c) => [c.key, c]));
  const appById = new Map(ds.apps.map((a) => [a.id, a]));
  const appBySlug = new Map(ds.apps.map((a) => [a.slug, a]));
  const appBySource = new Map(ds.apps.map((a) => [a.source_id, a]));

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
    devById, catById, catByKey, appById, appBySlug, appBySource, catsOfApp, appsOfCat, shotsOfApp,
    appsOfDev, variantOfDev, diagsOf, ruleCounts, ruleList, sortedCats, catRecord,
    appDiags: (a) => diagsOf.get(a.source_id) || [],
    // A developer's own findings, plus those its apps' records carry about developer fields
    // (W104 merges, an Arabic name in the English field, an empty website, a logo URL).
    devDiags: (d) => {
      const own = diagsOf.get(`developer:${d.key}`) || [];
      const fromApps = (appsOfDev.get(d.id) || []).flatMap((a) =>
        (diagsOf.get(a.source_id) || []).filter((x) => x.field && /^developer_/i.test(x.field)));
      return [...own, ...fromApps];
    },
    catDiags: (c) => diagsOf.get(catRecord.get(c.id)) || [],
  };
  const appRecords = new Set(ds.apps.map((a) => a.source_id));
  const devRecords = new Set(ds.developers.map((d) => `developer:${d.key}`));
  const catRecords = new Set(catRecord.values());
  ix.isAttached = (d) => d.record && (appRecords.has(d.record) || devRecords.has(d.record) || catRecords.has(d.record));
  return ix;
}

function push(map, key, value) {
  if (value === undefined) return;
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

// ---------------------------------------------------------------------------------------------
// Rendering: header, summary, tabs, filters

const TABS = [
  ['apps', 'Apps'],
  ['developers', 'Developers'],
  ['categories', 'Categories'],
  ['findings', 'Findings'],
];

function renderAll() {
  readHash();
  renderHeader();
  renderSummary();
  renderFilterOptions();
  renderView();
  renderDetail();
}

function renderHeader() {
  const { report } = state.m;
  const pill = $('source-pill');
  pill.hidden = false;
  const src = state.source;
  const time = src.loadedAt.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  fill(pill,
    h('span', { class: src.kind === 'live' ? 'dot dot-live' : 'dot dot-file', 'aria-hidden': 'true' }),
    h('span', { class: 'pill-kind', text: src.kind === 'live' ? 'Live' : 'File' }),
    h('span', { class: 'pill-label mono', text: src.label }),
    src.sha256 ? h('span', { class: 'pill-sha mono', title: `SHA-256 ${src.sha256}`, text: src.sha256.slice(0, 8) }) : null,
    h('span', { class: 'pill-time', text: time }));
  pill.title = src.kind === 'live'
    ? 'Served by qad-migrate preview; refreshes when the module changes'
    : 'Opened in this browser tab';

  const verdict = $('verdict');
  verdict.hidden = false;
  const invalid = report.errors > 0;
  verdict.className = `verdict ${invalid ? 'verdict-bad' : 'verdict-ok'}`;
  verdict.dataset.testid = 'verdict';
  verdict.textContent = invalid ? 'Load would be refused' : 'Ready to load';
  verdict.title = invalid ? 'INVALID: the load will refuse this input' : 'VALID: the load can proceed';
}

function renderSummary() {
  const { dataset, report } = state.m;
  const shots = dataset.screenshots;
  const ar = shots.filter((s) => s.language === 'ar').length;
  const en = shots.filter((s) => s.language === 'en').length;
  const card = (key, label, value, sub, extra = '') =>
    h('div', { class: `card ${extra}`.trim(), dataset: { count: key } },
      h('div', { class: 'card-value', 'data-testid': `count-${key}`, text: String(value) }),
      h('div', { class: 'card-label', text: label }),
      sub ? h('div', { class: 'card-sub', text: sub }) : null);

  const rules = state.ix.ruleList.map((r) =>
    h('button', {
      type: 'button',
      class: `rule-chip ${r.severity === 'error' ? 'is-error' : 'is-warning'}${state.filters.rule === r.code ? ' active' : ''}`,
      dataset: { rule: r.code },
      title: ruleTitle(r.code),
      onclick: () => applyRuleFromSummary(r.code),
    },
    h('span', { class: 'code', text: r.code }),
    h('span', { class: 'rule-name', text: r.rule }),
    h('span', { class: 'rule-count', text: String(r.count) })));

  const src = report.source;
  fill($('summary'),
    h('div', { class: 'cards' },
      card('apps', 'Apps', dataset.apps.length),
      card('developers', 'Developers', dataset.developers.length, mergedNote()),
      card('categories', 'Categories', dataset.categories.length),
      card('links', 'App–category links', dataset.app_categories.length),
      card('screenshots', 'Screenshots', shots.length, `${ar} Arabic · ${en} English`),
      card('errors', 'Errors', report.errors, report.errors ? 'the load would refuse this input' : 'none', report.errors ? 'card-error' : 'card-ok'),
      card('warnings', 'Warnings', report.warnings, report.warnings ? 'loaded, but worth a look' : 'none', report.warnings ? 'card-warning' : 'card-ok')),
    h('div', { class: 'by-rule' },
      h('span', { class: 'by-rule-title', text: rules.length ? 'By rule' : 'No findings: every rule passes.' }),
      rules),
    src ? h('p', { class: 'source-line' },
      'Source ', h('code', { text: src.module || '' }),
      src.sha256 ? [' · SHA-256 ', h('code', { class: 'sha', text: src.sha256 })] : null) : null);
}

function mergedNote() {
  const merged = state.m.variants.filter(isMerged).length;
  return merged ? `${merged} merged from variants` : '';
}

function isMerged(v) {
  return (v.names_en || []).length > 1 || (v.names_ar || []).length > 1 || (v.websites || []).length > 1;
}

function ruleTitle(code) {
  const doc = ruleDoc(code);
  return doc ? `${doc.meaning}\nFix: ${doc.fix}` : code;
}

let rulesCache = null;
function ruleDoc(code) {
  if (!rulesCache) {
    rulesCache = new Map();
    try {
      let list = state.core.rules();
      if (typeof list === 'string') list = JSON.parse(list);
      for (const r of list || []) {
        const o = r instanceof Map ? Object.fromEntries(r) : r;
        rulesCache.set(o.code, o);
      }
    } catch {
      // rules() is informative only
    }
  }
  return rulesCache.get(code) || null;
}

function applyRuleFromSummary(code) {
  state.filters.rule = state.filters.rule === code ? '' : code;
  if (state.filters.rule) {
    const ix = state.ix;
    const onApps = state.m.dataset.apps.some((a) => ix.appDiags(a).some((d) => d.code === code));
    const onDevs = state.m.dataset.developers.some((d) => ix.devDiags(d).some((x) => x.code === code));
    state.tab = onApps ? 'apps' : onDevs ? 'developers' : 'findings';
    writeHash();
  }
  renderSummary();
  renderFilterOptions();
  renderView();
}

function renderFilterOptions() {
  const f = state.filters;
  fill($('tabs'), TABS.map(([key, label]) =>
    h('button', {
      type: 'button', role: 'tab', class: 'tab', 'aria-selected': String(state.tab === key), dataset: { tab: key },
      onclick: () => {
        state.tab = key;
        writeHash();
        renderFilterOptions();
        renderView();
      },
    }, label, h('span', { class: 'tab-count', text: String(tabCount(key)) }))));

  const ruleSel = $('rule-filter');
  fill(ruleSel, h('option', { value: '', text: 'All rules' }),
    state.ix.ruleList.map((r) => h('option', { value: r.code, text: `${r.code} ${r.rule} (${r.count})` })));
  ruleSel.value = f.rule;

  const catSel = $('category-filter');
  fill(catSel, h('option', { value: '', text: 'All categories' }),
    state.ix.sortedCats.map((c) => h('option', {
      value: c.key,
      text: `${c.name_en}${c.name_ar ? ` · ${c.name_ar}` : ''} (${(state.ix.appsOfCat.get(c.id) || []).length})`,
    })));
  catSel.value = f.category;
  catSel.disabled = state.tab !== 'apps';

  $('search').value = f.q;
  for (const btn of document.querySelectorAll('.seg-btn')) {
    btn.setAttribute('aria-pressed', String(btn.dataset.severity === f.severity));
  }
}

function tabCount(key) {
  const ds = state.m.dataset;
  if (key === 'apps') return ds.apps.length;
  if (key === 'developers') return ds.developers.length;
  if (key === 'categories') return ds.categories.length;
  return state.m.report.diagnostics.length;
}

function wireFilters() {
  $('search').addEventListener('input', (ev) => {
    state.filters.q = ev.target.value;
    renderView();
  });
  for (const btn of document.querySelectorAll('.seg-btn')) {
    btn.addEventListener('click', () => {
      state.filters.severity = btn.dataset.severity;
      renderFilterOptions();
      renderView();
    });
  }
  $('rule-filter').addEventListener('change', (ev) => {
    state.filters.rule = ev.target.value;
    renderSummary();
    renderView();
  });
  $('category-filter').addEventListener('change', (ev) => {
    state.filters.category = ev.target.value;
    renderView();
  });
  $('reset-filters').addEventListener('click', () => {
    state.filters = { q: '', severity: 'all', rule: '', category: '' };
    renderSummary();
    renderFilterOptions();
    renderView();
  });
  window.addEventListener('hashchange', () => {
    if (!state.m) return;
    const before = state.tab;
    readHash();
    if (before !== state.tab) {
      renderFilterOptions();
      renderView();
    }
    renderDetail();
  });
  $('detail').addEventListener('close', () => {
    if (state.detailSlug) {
      state.detailSlug = null;
      writeHash();
    }
  });
  $('detail').addEventListener('click', (ev) => {
    // A click on the backdrop (the dialog box itself, outside its content) closes it.
    if (ev.target === $('detail')) $('detail').close();
  });
}
wireFilters();

function readHash() {
  const hash = decodeURIComponent(location.hash.replace(/^#/, ''));
  const [tab, ...rest] = hash.split('/');
  if (tab === 'app' && rest.length) {
    state.detailSlug = rest.join('/');
    state.tab = 'apps';
  } else {
    state.detailSlug = null;
    if (TABS.some(([k]) => k === tab)) state.tab = tab;
  }
}

function writeHash() {
  const next = state.detailSlug ? `#app/${encodeURIComponent(state.detailSlug)}` : `#${state.tab}`;
  if (location.hash !== next) history.replaceState(null, '', next);
}

// ---------------------------------------------------------------------------------------------
// Shared bits

function matchesSeverityAndRule(diags) {
  const f = state.filters;
  if (f.severity === 'errors' && !diags.some((d) => d.severity === 'error')) return false;
  if (f.severity === 'warnings' && !diags.some((d) => d.severity === 'warning')) return false;
  if (f.rule && !diags.some((d) => d.code === f.rule)) return false;
  return true;
}

function matchesSearch(...texts) {
  const q = fold(state.filters.q);
  if (!q) return true;
  return texts.some((t) => fold(t).includes(q));
}

/** Issue badges: one per rule, with a count and the messages as a tooltip. */
function issueBadges(diags, { emptyOk = true } = {}) {
  if (!diags.length) return emptyOk ? h('span', { class: 'ok-mark', title: 'No findings', text: '✓ clean' }) : null;
  const groups = new Map();
  for (const d of diags) push(groups, d.code, d);
  const sorted = [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
  return h('span', { class: 'badges' }, sorted.map(([code, list]) =>
    h('span', {
      class: `badge ${list[0].severity === 'error' ? 'badge-error' : 'badge-warning'}`,
      title: list.map((d) => `${d.field ? `${d.field}: ` : ''}${d.message}`).join('\n'),
      dataset: { code },
    }, code, list.length > 1 ? h('span', { class: 'badge-n', text: `×${list.length}` }) : null)));
}

/** Findings grouped by rule (errors first): the rule and its fix once, then one line per finding. */
function diagList(diags) {
  const groups = new Map();
  for (const d of diags) push(groups, d.code, d);
  const sorted = [...groups.entries()].sort(([a, la], [b, lb]) =>
    (la[0].severity === lb[0].severity ? 0 : la[0].severity === 'error' ? -1 : 1) || a.localeCompare(b));
  return h('div', { class: 'diag-groups' }, sorted.map(([code, list]) => {
    const d0 = list[0];
    return h('section', { class: `diag-group diag-${d0.severity}`, dataset: { code } },
      h('div', { class: 'diag-head' },
        h('span', { class: `badge ${d0.severity === 'error' ? 'badge-error' : 'badge-warning'}`, text: code }),
        h('span', { class: 'diag-rule', text: d0.rule }),
        list.length > 1 ? h('span', { class: 'diag-n', text: `×${list.length}` }) : null,
        d0.hint ? h('span', { class: 'diag-hint', text: d0.hint }) : null),
      h('ul', { class: 'diag-list' }, list.map((d) =>
        h('li', { class: 'diag-item', dataset: { code: d.code } },
          d.field ? h('code', { class: 'diag-field', text: d.field }) : null,
          h('span', { class: 'diag-msg', text: d.message }),
          d.hint && d.hint !== d0.hint ? h('span', { class: 'diag-hint', text: d.hint }) : null))));
  }));
}

function text(value, { lang, cls = '' } = {}) {
  if (value === null || value === undefined || value === '') return h('span', { class: 'none', text: '—' });
  const props = { class: cls || null, text: String(value) };
  if (lang === 'ar') Object.assign(props, { lang: 'ar', dir: 'rtl' });
  else if (lang === 'en') Object.assign(props, { lang: 'en', dir: 'ltr' });
  return h('span', props);
}

function storeLinks(app) {
  const stores = [
    ['google_play_url', 'Google Play', 'Play'],
    ['app_store_url', 'App Store', 'App Store'],
    ['app_gallery_url', 'AppGallery', 'AppGallery'],
  ];
  return h('span', { class: 'stores' }, stores.map(([field, name, short]) => {
    const url = safeHttpUrl(app[field]);
    return url
      ? h('a', { class: 'store', href: url, target: '_blank', rel: 'noopener noreferrer', title: `${name}: ${app[field]}`, text: short })
      : h('span', { class: 'store store-none', title: `No ${name} link`, text: short });
  }));
}

function categoryChips(cats) {
  return h('span', { class: 'chips' }, cats.map((c) =>
    h('span', { class: 'chip', title: c.name_ar || c.key, dataset: { category: c.key } },
      c.icon_svg ? h('img', { class: 'chip-icon', alt: '', src: svgDataUrl(c.icon_svg) }) : null,
      c.name_en)));
}

function rating(app) {
  return app.avg_rating === null || app.avg_rating === undefined
    ? h('span', { class: 'none', text: '—' })
    : h('span', { class: 'rating' }, h('span', { class: 'star', 'aria-hidden': 'true', text: '★' }), String(app.avg_rating));
}

function empty(message) {
  return h('div', { class: 'empty', text: message });
}

// ---------------------------------------------------------------------------------------------
// Views

function renderView() {
  const view = $('view');
  view.dataset.view = state.tab;
  $('category-filter').disabled = state.tab !== 'apps';
  if (state.tab === 'developers') renderDevelopers(view);
  else if (state.tab === 'categories') renderCategories(view);
  else if (state.tab === 'findings') renderFindings(view);
  else renderApps(view);
}

function setCount(shown, total, noun) {
  $('result-count').textContent = shown === total ? `${total} ${noun}` : `${shown} of ${total} ${noun}`;
}

function renderApps(view) {
  const { ix } = state;
  const f = state.filters;
  const apps = [...state.m.dataset.apps].sort((a, b) => a.sort_order - b.sort_order);
  const shown = apps.filter((a) => {
    const cats = ix.catsOfApp.get(a.id) || [];
    if (f.category && !cats.some((c) => c.key === f.category)) return false;
    if (!matchesSeverityAndRule(ix.appDiags(a))) return false;
    const dev = ix.devById.get(a.developer_id);
    return matchesSearch(a.name_en, a.name_ar, a.slug, a.source_id, dev && dev.name_en, dev && dev.name_ar);
  });
  setCount(shown.length, apps.length, 'apps');
  if (!shown.length) {
    fill(view, empty('No app matches these filters.'));
    return;
  }
  const rows = shown.map((a) => {
    const dev = ix.devById.get(a.developer_id);
    const diags = ix.appDiags(a);
    const href = `#app/${encodeURIComponent(a.slug)}`;
    const sev = diags.some((d) => d.severity === 'error') ? 'row-error' : diags.length ? 'row-warning' : '';
    return h('tr', {
      class: `app-row ${sev}`.trim(),
      dataset: { slug: a.slug, id: a.id },
      onclick: (ev) => {
        if (ev.target.closest('a')) return;
        openDetail(a.slug);
      },
    },
    h('td', { class: 'num', text: String(a.sort_order) }),
    h('td', null, h('div', { class: 'app-cell' },
      image(a.application_icon_url, { className: 'icon', label: 'no icon' }),
      h('div', { class: 'names' },
        h('a', { class: 'name-en', href, lang: 'en', dir: 'ltr', text: a.name_en, onclick: (ev) => { ev.preventDefault(); openDetail(a.slug); } }),
        text(a.name_ar, { lang: 'ar', cls: 'name-ar' })))),
    h('td', { class: 'ids' },
      h('code', { class: 'slug', text: a.slug }),
      h('code', { class: 'uuid', title: 'Future app id (UUID v5 of the slug)', text: a.id })),
    h('td', { class: 'dev' }, dev ? [h('div', { text: dev.name_en }), dev.name_ar ? text(dev.name_ar, { lang: 'ar', cls: 'sub' }) : null] : '—'),
    h('td', null, categoryChips(ix.catsOfApp.get(a.id) || [])),
    h('td', { class: 'num' }, rating(a)),
    h('td', null, storeLinks(a)),
    h('td', { class: 'issues' }, issueBadges(diags)));
  });
  fill(view, h('div', { class: 'table-wrap' },
    h('table', { class: 'table apps-table' },
      h('thead', null, h('tr', null,
        ['#', 'App', 'Slug · future UUID', 'Developer', 'Categories', 'Rating', 'Store links', 'Issues'].map((t) => h('th', { text: t })))),
      h('tbody', null, rows))));
}

function renderDevelopers(view) {
  const { ix } = state;
  const devs = state.m.dataset.developers;
  const shown = devs.filter((d) => {
    if (!matchesSeverityAndRule(ix.devDiags(d))) return false;
    const v = ix.variantOfDev.get(d.id) || {};
    return matchesSearch(d.name_en, d.name_ar, d.key, ...(v.names_en || []), ...(v.names_ar || []));
  });
  setCount(shown.length, devs.length, 'developers');
  if (!shown.length) {
    fill(view, empty('No developer matches these filters.'));
    return;
  }
  const rows = shown.map((d) => {
    const v = ix.variantOfDev.get(d.id);
    const apps = ix.appsOfDev.get(d.id) || [];
    const website = safeHttpUrl(d.website);
    return h('tr', { class: 'dev-row', dataset: { key: d.key } },
      h('td', null, h('div', { class: 'app-cell' },
        image(d.logo_url, { className: 'icon', label: 'no logo' }),
        h('div', { class: 'names' }, h('span', { class: 'name-en', text: d.name_en }), text(d.name_ar, { lang: 'ar', cls: 'name-ar' })))),
      h('td', { class: 'ids' }, h('code', { class: 'slug', text: d.key }), h('code', { class: 'uuid', text: d.id })),
      h('td', { class: 'website' }, website
        ? h('a', { href: website, target: '_blank', rel: 'noopener noreferrer', class: 'ext', text: d.website })
        : h('span', { class: 'none', text: '—' })),
      h('td', null, h('div', { class: 'app-links' }, apps.map((a) =>
        h('a', { href: `#app/${encodeURIComponent(a.slug)}`, class: 'app-link', text: a.name_en })))),
      h('td', { class: 'variants' }, v && isMerged(v) ? variantsBlock(v) : h('span', { class: 'none small', text: 'one spelling' })),
      h('td', { class: 'issues' }, issueBadges(ix.devDiags(d))));
  });
  fill(view, h('div', { class: 'table-wrap' },
    h('table', { class: 'table dev-table' },
      h('thead', null, h('tr', null,
        ['Developer', 'Key · future UUID', 'Website', 'Apps', 'Merged variants', 'Issues'].map((t) => h('th', { text: t })))),
      h('tbody', null, rows))));
}

function variantsBlock(v) {
  const line = (label, values, lang) => values && values.length
    ? h('div', { class: 'variant-line' }, h('span', { class: 'variant-label', text: label }),
      h('span', { class: 'variant-values' }, values.map((x) => h('span', { class: 'variant', ...(lang === 'ar' ? { lang: 'ar', dir: 'rtl' } : {}), text: x }))))
    : null;
  return h('div', { class: 'variant-block' },
    h('span', { class: 'badge badge-merged', text: 'merged' }),
    line('English', v.names_en),
    line('Arabic', v.names_ar, 'ar'),
    line('Websites', v.websites),
    h('div', { class: 'variant-line sub', text: `from ${(v.apps || []).length} record(s): ${(v.apps || []).join(', ')}` }));
}

function renderCategories(view) {
  const { ix } = state;
  const cats = ix.sortedCats;
  const shown = cats.filter((c) => matchesSeverityAndRule(ix.catDiags(c)) && matchesSearch(c.name_en, c.name_ar, c.key));
  setCount(shown.length, cats.length, 'categories');
  if (!shown.length) {
    fill(view, empty('No category matches these filters.'));
    return;
  }
  fill(view, h('div', { class: 'cat-grid' }, shown.map((c) => {
    const apps = ix.appsOfCat.get(c.id) || [];
    return h('article', { class: 'cat-card', dataset: { key: c.key } },
      h('div', { class: 'cat-icon' }, c.icon_svg
        ? h('img', { alt: `${c.name_en} icon`, src: svgDataUrl(c.icon_svg) })
        : h('span', { class: 'ph-glyph', title: 'no icon', text: '◇' })),
      h('div', { class: 'cat-names' },
        h('div', { class: 'cat-en', text: c.name_en }),
        text(c.name_ar, { lang: 'ar', cls: 'cat-ar' })),
      h('div', { class: 'cat-meta' },
        h('code', { class: 'slug', text: c.key }),
        h('span', { class: 'sub', text: `order ${c.sort_order}` })),
      h('code', { class: 'uuid', text: c.id }),
      h('div', { class: 'cat-foot' },
        h('button', {
          type: 'button', class: 'btn btn-small',
          onclick: () => {
            state.filters.category = c.key;
            state.tab = 'apps';
            writeHash();
            renderFilterOptions();
            renderView();
          },
        }, `${apps.length} app${apps.length === 1 ? '' : 's'} →`),
        issueBadges(ix.catDiags(c), { emptyOk: false })));
  })));
}

function renderFindings(view) {
  const { ix } = state;
  const all = state.m.report.diagnostics;
  const shown = all.filter((d) => matchesSeverityAndRule([d]) && matchesSearch(d.record, d.message, d.field, recordName(d.record)));
  setCount(shown.length, all.length, 'findings');
  if (!all.length) {
    fill(view, empty('No findings: every rule passes.'));
    return;
  }
  if (!shown.length) {
    fill(view, empty('No finding matches these filters.'));
    return;
  }
  const rows = shown.map((d) => {
    const app = d.record ? ix.appBySource.get(d.record) : null;
    return h('tr', { class: `finding finding-${d.severity}`, dataset: { code: d.code } },
      h('td', null, h('span', { class: `badge ${d.severity === 'error' ? 'badge-error' : 'badge-warning'}`, text: d.code })),
      h('td', { class: 'diag-rule', text: d.rule }),
      h('td', null, app
        ? h('a', { href: `#app/${encodeURIComponent(app.slug)}`, text: d.record })
        : h('span', { class: d.record ? 'mono' : 'none', text: d.record || 'whole input' }),
      app ? h('div', { class: 'sub', text: app.name_en }) : null),
      h('td', null, d.field ? h('code', { text: d.field }) : h('span', { class: 'none', text: '—' })),
      h('td', null, h('div', { text: d.message }), d.hint ? h('div', { class: 'diag-hint', text: d.hint }) : null));
  });
  fill(view, h('div', { class: 'table-wrap' },
    h('table', { class: 'table findings-table' },
      h('thead', null, h('tr', null, ['Code', 'Rule', 'Record', 'Field', 'Message · how to fix'].map((t) => h('th', { text: t })))),
      h('tbody', null, rows))));
}

function recordName(record) {
  if (!record) return '';
  const app = state.ix.appBySource.get(record);
  return app ? `${app.name_en} ${app.name_ar}` : '';
}

// ---------------------------------------------------------------------------------------------
// App detail

function openDetail(slug) {
  state.detailSlug = slug;
  writeHash();
  renderDetail();
}

const LANG_FIELDS = {
  name: ['Name_En', 'Name_Ar'],
  short: ['Short_Description_En', 'Short_Description_Ar'],
  description: ['Description_En', 'Description_Ar'],
  cover: ['mainImage_en', 'mainImage_ar'],
  screenshots: ['screenshots_en', 'screenshots_ar'],
};

/** The diagnostics about one source field (names compared case-insensitively; `x[3]` counts as `x`). */
function fieldDiags(diags, field) {
  const want = field.toLowerCase();
  return diags.filter((d) => d.field && d.field.toLowerCase().replace(/\[\d+\]$/, '') === want);
}

function inlineBadges(diags) {
  return diags.length ? h('span', { class: 'inline-badges' }, diags.map((d) =>
    h('span', { class: `badge badge-small ${d.severity === 'error' ? 'badge-error' : 'badge-warning'}`, title: d.message, text: d.code }))) : null;
}

function renderDetail() {
  const dialog = $('detail');
  const app = state.detailSlug && state.ix ? state.ix.appBySlug.get(state.detailSlug) : null;
  if (!app) {
    if (dialog.open) dialog.close();
    return;
  }
  const { ix } = state;
  const diags = ix.appDiags(app);
  const dev = ix.devById.get(app.developer_id);
  const shots = ix.shotsOfApp.get(app.id) || { en: [], ar: [] };
  const errors = diags.filter((d) => d.severity === 'error').length;

  const header = h('header', { class: 'detail-head' },
    image(app.application_icon_url, { className: 'icon icon-lg', label: 'no icon' }),
    h('div', { class: 'detail-title' },
      h('h2', { lang: 'en', dir: 'ltr', text: app.name_en }),
      h('div', { class: 'detail-title-ar', lang: 'ar', dir: 'rtl', text: app.name_ar })),
    h('button', { type: 'button', class: 'close', 'aria-label': 'Close', text: '×', onclick: () => dialog.close() }));

  const meta = h('dl', { class: 'meta' },
    metaItem('Future UUID', h('code', { class: 'uuid', text: app.id })),
    metaItem('Slug', h('code', { text: app.slug })),
    metaItem('Source id', h('code', { text: app.source_id })),
    metaItem('Order', String(app.sort_order)),
    metaItem('Status', text(app.status)),
    metaItem('Rating', rating(app), inlineBadges(fieldDiags(diags, 'Apps_Avg_Rating'))),
    metaItem('Developer', dev
      ? h('span', null, dev.name_en, dev.name_ar ? [' · ', text(dev.name_ar, { lang: 'ar' })] : null)
      : '—', inlineBadges([...fieldDiags(diags, 'Developer_Name_En'), ...fieldDiags(diags, 'Developer_Name_Ar')])),
    metaItem('Developer logo', h('span', { class: 'mono small break', text: app.developer_logo_url || '—' }), inlineBadges(fieldDiags(diags, 'Developer_Logo'))),
    metaItem('Categories', categoryChips(ix.catsOfApp.get(app.id) || []), inlineBadges(fieldDiags(diags, 'categories'))),
    metaItem('Store links', storeLinks(app), inlineBadges(['Google_Play_Link', 'AppStore_Link', 'App_Gallery_Link'].flatMap((f) => fieldDiags(diags, f)))));

  const issues = h('section', { class: 'detail-issues', 'aria-label': 'Issues' },
    h('h3', null, 'Issues ',
      h('span', { class: 'sub', text: diags.length ? `${errors} error(s), ${diags.length - errors} warning(s)` : 'none' })),
    diags.length ? diagList(diags) : h('p', { class: 'ok-mark', text: '✓ No findings for this app.' }));

  const column = (lang) => {
    const i = lang === 'en' ? 0 : 1;
    const suffix = lang === 'en' ? 'en' : 'ar';
    const coverDiags = fieldDiags(diags, LANG_FIELDS.cover[i]);
    const shotDiags = fieldDiags(diags, LANG_FIELDS.screenshots[i]);
    const flagged = new Map(); // screenshot position in the source list -> diagnostics
    for (const d of shotDiags) {
      // Positions come in `items`, or in the field itself (`screenshots_en[3]`).
      const at = /\[(\d+)\]$/.exec(d.field || '');
      const items = d.items && d.items.length ? d.items : at ? [Number(at[1])] : [];
      for (const item of items) push(flagged, item, d);
    }
    const flaggedShots = new Set([...flagged.entries()].filter(([, ds]) => ds.some(isFlag)).map(([i]) => i));
    const list = shots[lang] || [];
    const label = (t, field) => h('h4', { class: 'field-label' }, h('span', { lang: 'en', dir: 'ltr', text: t }), inlineBadges(fieldDiags(diags, field)));
    return h('section', { class: `lang-col lang-${lang}`, lang, dir: lang === 'ar' ? 'rtl' : 'ltr', dataset: { lang } },
      h('h3', { class: 'lang-title' }, lang === 'en' ? 'English' : 'العربية', h('span', { class: 'lang-code', text: lang })),
      label('Name', LANG_FIELDS.name[i]),
      h('p', { class: 'field-name', dataset: { field: `name_${suffix}` }, text: app[`name_${suffix}`] || '—' }),
      label('Short description', LANG_FIELDS.short[i]),
      h('p', { class: 'field-short', dataset: { field: `short_description_${suffix}` }, text: app[`short_description_${suffix}`] || '—' }),
      label('Description', LANG_FIELDS.description[i]),
      h('p', { class: 'field-desc', dataset: { field: `description_${suffix}` }, text: app[`description_${suffix}`] || '—' }),
      h('h4', { class: 'field-label' }, h('span', { lang: 'en', dir: 'ltr', text: 'Cover image' }), inlineBadges(coverDiags)),
      shotFigure(app[`main_image_${suffix}_url`], coverDiags, 'cover', 'no cover image', 'shot-cover'),
      h('h4', { class: 'field-label' },
        h('span', { lang: 'en', dir: 'ltr', text: `Screenshots (${list.length})` }), inlineBadges(shotDiags),
        flaggedShots.size ? h('span', { class: 'flag-note', lang: 'en', dir: 'ltr', text: `${flaggedShots.size} flagged` }) : null),
      list.length
        ? h('div', { class: 'shots', dataset: { lang } }, list.map((s, n) =>
          shotFigure(s.url, flagged.get(Number.isInteger(s.sort_order) ? s.sort_order : n) || [], `#${n + 1}`)))
        : h('p', { class: 'none', text: 'No screenshots.' }));
  };

  fill(dialog,
    h('div', { class: 'detail-inner', dataset: { slug: app.slug } },
      header, meta, issues,
      h('div', { class: 'langs' }, column('en'), column('ar'))));
  if (!dialog.open) dialog.showModal();
  dialog.scrollTop = 0;
}

function metaItem(label, value, badges = null) {
  return h('div', { class: 'meta-item' }, h('dt', { text: label }), h('dd', null, value, badges));
}

/** A finding that marks an image as wrong (not merely noted): W102, or any error. */
function isFlag(d) {
  return d.code === 'W102' || d.severity === 'error';
}

/**
 * A cover image or screenshot, with its caption. Flagged (red outline and label) when a
 * finding says the image is wrong (an English slot showing an `_ar` file, an error); other
 * findings about it (e.g. W111 spaces in the URL) are noted with a small amber tag.
 */
function shotFigure(url, diags, caption, missing = 'no image', extra = '') {
  const flags = diags.filter(isFlag);
  const notes = diags.filter((d) => !isFlag(d));
  const cls = ['shot', flags.length ? 'flagged' : '', notes.length ? 'noted' : '', extra].filter(Boolean).join(' ');
  return h('figure', { class: cls, dataset: diags.length ? { flag: diags.map((d) => d.code).join(' ') } : null },
    image(url, { className: 'shot-img', label: missing }),
    flags.length ? h('span', { class: 'shot-flag', lang: 'en', dir: 'ltr', title: flags.map((d) => d.message).join('\n') },
      flags.map((d) => d.code).join(' '), flags.some((d) => d.code === 'W102') ? ' · _ar file' : '') : null,
    notes.length ? h('span', { class: 'shot-note', lang: 'en', dir: 'ltr', title: notes.map((d) => d.message).join('\n') },
      notes.map((d) => d.code).join(' ')) : null,
    h('figcaption', { lang: 'en', dir: 'ltr' },
      h('span', { class: 'shot-n', text: caption }),
      url ? h('span', { class: 'shot-file', title: url, text: fileName(url) }) : null));
}
