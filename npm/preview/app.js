// The qad-migrate preview page.
//
// Live mode (served by `qad-migrate preview`): fetches the input extracted from the frontend
// module (api/input), migrates it here with the wasm core, and polls api/status to refresh
// when the module changes. Static mode (the same files on any static server): no api; the
// user opens or drops an apps.json / module JSON, migrated here the same way.
//
// Every string from the data is rendered as text (see dom.js); category SVG icons are shown
// as <img> with a base64 data: URL, never injected. This file is the page's start-up, its two
// modes, the header, summary and filter bar, and the address; what is shown for the data is
// model.js (pure, tested in Node), the views views.js, the app detail detail.js.

import { h, fill } from './dom.js';
import {
  TABS, buildIndex, hashFor, keepFilters, noFilters, normalise, parseHash, summary, tabCount, tabForRule,
} from './model.js';
import { renderView as renderViewInto } from './views.js';
import { renderDetail as renderDetailOf } from './detail.js';
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
  filters: noFilters(),
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
  state.filters = keepFilters(state.filters, state.ix);
  $('loading').hidden = true;
  $('dropzone').hidden = true;
  $('content').hidden = false;
  document.body.dataset.state = 'ready';
  document.body.dataset.revision = source.revision || source.sha256 || '';
  renderAll();
  return true;
}


// ---------------------------------------------------------------------------------------------
// Rendering: header, summary, tabs, filters

function renderAll() {
  readHash();
  renderHeader();
  renderSummary();
  renderFilterOptions();
  renderView();
  renderDetail();
}

function renderHeader() {
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
  const invalid = !summary(state.m).loadable;
  verdict.className = `verdict ${invalid ? 'verdict-bad' : 'verdict-ok'}`;
  verdict.dataset.testid = 'verdict';
  verdict.textContent = invalid ? 'Load would be refused' : 'Ready to load';
  verdict.title = invalid ? 'INVALID: the load will refuse this input' : 'VALID: the load can proceed';
}

function renderSummary() {
  const s = summary(state.m);
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

  const src = state.m.report.source;
  fill($('summary'),
    h('div', { class: 'cards' },
      card('apps', 'Apps', s.apps),
      card('developers', 'Developers', s.developers, s.merged ? `${s.merged} merged from variants` : ''),
      card('categories', 'Categories', s.categories),
      card('links', 'App–category links', s.links),
      card('screenshots', 'Screenshots', s.screenshots, `${s.screenshotsAr} Arabic · ${s.screenshotsEn} English`),
      card('errors', 'Errors', s.errors, s.errors ? 'the load would refuse this input' : 'none', s.errors ? 'card-error' : 'card-ok'),
      card('warnings', 'Warnings', s.warnings, s.warnings ? 'loaded, but worth a look' : 'none', s.warnings ? 'card-warning' : 'card-ok')),
    h('div', { class: 'by-rule' },
      h('span', { class: 'by-rule-title', text: rules.length ? 'By rule' : 'No findings: every rule passes.' }),
      rules),
    src ? h('p', { class: 'source-line' },
      'Source ', h('code', { text: src.module || '' }),
      src.sha256 ? [' · SHA-256 ', h('code', { class: 'sha', text: src.sha256 })] : null) : null);
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
    state.tab = tabForRule(state.m, state.ix, code);
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
    }, label, h('span', { class: 'tab-count', text: String(tabCount(state.m, key)) }))));

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
    state.filters = noFilters();
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
  ({ tab: state.tab, detailSlug: state.detailSlug } = parseHash(location.hash, state.tab));
}

function writeHash() {
  const next = hashFor(state.tab, state.detailSlug);
  if (location.hash !== next) history.replaceState(null, '', next);
}

// ---------------------------------------------------------------------------------------------
// Views and the app detail

const viewActions = {
  openDetail,
  showCategory(key) {
    state.filters.category = key;
    state.tab = 'apps';
    writeHash();
    renderFilterOptions();
    renderView();
  },
};

function renderView() {
  renderViewInto($('view'), state, viewActions);
}

function renderDetail() {
  renderDetailOf(state);
}

function openDetail(slug) {
  state.detailSlug = slug;
  writeHash();
  renderDetail();
}

