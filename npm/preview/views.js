// The preview's views (apps, developers, categories, findings) and the widgets they and the
// app detail share. What is shown comes from model.js; this file only builds the elements.

import { h, fill, safeHttpUrl, svgDataUrl, image } from './dom.js';
import {
  countLabel, groupByCode, isMerged, shownApps, shownCategories, shownDevelopers, shownFindings,
} from './model.js';

/**
 * Renders the current tab into `view`: the rows the filters let through, or a line saying none
 * does. `actions.openDetail(slug)` opens an app; `actions.showCategory(key)` lists a category's apps.
 */
export function renderView(view, state, actions) {
  view.dataset.view = state.tab;
  document.getElementById('category-filter').disabled = state.tab !== 'apps';
  if (state.tab === 'developers') renderDevelopers(view, state);
  else if (state.tab === 'categories') renderCategories(view, state, actions);
  else if (state.tab === 'findings') renderFindings(view, state);
  else renderApps(view, state, actions);
}

/**
 * Sets the count line ("3 of 12 apps"); with nothing to show, says so in the view (`noneAtAll`
 * when there is nothing even unfiltered) and returns false.
 */
function counted(view, { shown, total }, plural, singular, noneAtAll = null) {
  document.getElementById('result-count').textContent = countLabel(shown.length, total, plural);
  if (shown.length) return true;
  fill(view, empty(total === 0 && noneAtAll ? noneAtAll : `No ${singular} matches these filters.`));
  return false;
}

function renderApps(view, state, { openDetail }) {
  const { ix } = state;
  const list = shownApps(state.m, ix, state.filters);
  if (!counted(view, list, 'apps', 'app')) return;
  const rows = list.shown.map((a) => {
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

function renderDevelopers(view, state) {
  const { ix } = state;
  const list = shownDevelopers(state.m, ix, state.filters);
  if (!counted(view, list, 'developers', 'developer')) return;
  const rows = list.shown.map((d) => {
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

function renderCategories(view, state, { showCategory }) {
  const { ix } = state;
  const list = shownCategories(ix, state.filters);
  if (!counted(view, list, 'categories', 'category')) return;
  fill(view, h('div', { class: 'cat-grid' }, list.shown.map((c) => {
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
          onclick: () => showCategory(c.key),
        }, `${apps.length} app${apps.length === 1 ? '' : 's'} →`),
        issueBadges(ix.catDiags(c), { emptyOk: false })));
  })));
}

function renderFindings(view, state) {
  const { ix } = state;
  const list = shownFindings(state.m, ix, state.filters);
  if (!counted(view, list, 'findings', 'finding', 'No findings: every rule passes.')) return;
  const rows = list.shown.map((d) => {
    const app = d.record ? ix.appByRecord.get(d.record) : null;
    return h('tr', { class: `finding finding-${d.severity}`, dataset: { code: d.code } },
      h('td', null, h('span', { class: `badge ${severityClass(d)}`, text: d.code })),
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

// ---------------------------------------------------------------------------------------------
// Widgets

/** The badge class of a finding's severity. */
export function severityClass(d) {
  return d.severity === 'error' ? 'badge-error' : 'badge-warning';
}

/** Issue badges: one per rule, with a count and the messages as a tooltip. */
export function issueBadges(diags, { emptyOk = true } = {}) {
  if (!diags.length) return emptyOk ? h('span', { class: 'ok-mark', title: 'No findings', text: '✓ clean' }) : null;
  return h('span', { class: 'badges' }, groupByCode(diags).map(([code, list]) =>
    h('span', {
      class: `badge ${severityClass(list[0])}`,
      title: list.map((d) => `${d.field ? `${d.field}: ` : ''}${d.message}`).join('\n'),
      dataset: { code },
    }, code, list.length > 1 ? h('span', { class: 'badge-n', text: `×${list.length}` }) : null)));
}

/** Findings grouped by rule (errors first): the rule and its fix once, then one line per finding. */
export function diagList(diags) {
  return h('div', { class: 'diag-groups' }, groupByCode(diags, { errorsFirst: true }).map(([code, list]) => {
    const d0 = list[0];
    return h('section', { class: `diag-group diag-${d0.severity}`, dataset: { code } },
      h('div', { class: 'diag-head' },
        h('span', { class: `badge ${severityClass(d0)}`, text: code }),
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

export function inlineBadges(diags) {
  return diags.length ? h('span', { class: 'inline-badges' }, diags.map((d) =>
    h('span', { class: `badge badge-small ${severityClass(d)}`, title: d.message, text: d.code }))) : null;
}

export function text(value, { lang, cls = '' } = {}) {
  if (value === null || value === undefined || value === '') return h('span', { class: 'none', text: '—' });
  const props = { class: cls || null, text: String(value) };
  if (lang === 'ar') Object.assign(props, { lang: 'ar', dir: 'rtl' });
  else if (lang === 'en') Object.assign(props, { lang: 'en', dir: 'ltr' });
  return h('span', props);
}

export function storeLinks(app) {
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

export function categoryChips(cats) {
  return h('span', { class: 'chips' }, cats.map((c) =>
    h('span', { class: 'chip', title: c.name_ar || c.key, dataset: { category: c.key } },
      c.icon_svg ? h('img', { class: 'chip-icon', alt: '', src: svgDataUrl(c.icon_svg) }) : null,
      c.name_en)));
}

export function rating(app) {
  return app.avg_rating === null || app.avg_rating === undefined
    ? h('span', { class: 'none', text: '—' })
    : h('span', { class: 'rating' }, h('span', { class: 'star', 'aria-hidden': 'true', text: '★' }), String(app.avg_rating));
}

export function empty(message) {
  return h('div', { class: 'empty', text: message });
}
