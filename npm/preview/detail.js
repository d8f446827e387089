// The app detail dialog (#app/<slug>): English and Arabic side by side, the images, and every
// finding about the app, with the images a finding concerns marked on the image itself.

import { h, fill, image, fileName } from './dom.js';
import { fieldDiags, isFlag, screenshotFindings } from './model.js';
import { categoryChips, diagList, inlineBadges, rating, storeLinks, text } from './views.js';

const LANG_FIELDS = {
  name: ['Name_En', 'Name_Ar'],
  short: ['Short_Description_En', 'Short_Description_Ar'],
  description: ['Description_En', 'Description_Ar'],
  cover: ['mainImage_en', 'mainImage_ar'],
  screenshots: ['screenshots_en', 'screenshots_ar'],
};

/** Opens (or updates, or closes) the detail dialog of the app `state.detailSlug`. */
export function renderDetail(state) {
  const dialog = document.getElementById('detail');
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
    // screenshot position in the source list -> diagnostics; the positions flagged
    const { byPosition: flagged, flagged: flaggedShots } = screenshotFindings(shotDiags);
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
