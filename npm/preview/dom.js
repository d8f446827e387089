// DOM helpers for the preview. Every string that comes from the data is put into the page as
// a text node or an attribute value, never parsed as HTML: there is no innerHTML anywhere in
// the page (the Content-Security-Policy's Trusted Types make such a call throw).

const IMG_SRC = /^(https?:|data:image\/svg\+xml;base64,)/i;

/**
 * Creates an element. `props`: `class`, `text`, `dataset`, `on<event>` (listeners), `href`
 * (http(s) or a '#fragment' only), `src` (http(s) or an SVG data URL only), any other
 * attribute as text. Children: nodes, strings (as text nodes), arrays, null/false (skipped).
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'class') el.className = value;
      else if (key === 'text') el.textContent = String(value);
      else if (key === 'dataset') Object.assign(el.dataset, value);
      else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
      else if (key === 'href') {
        const href = String(value);
        if (href.startsWith('#') || safeHttpUrl(href)) el.setAttribute('href', href);
      } else if (key === 'src') {
        const src = String(value);
        if (IMG_SRC.test(src)) el.setAttribute('src', src);
      } else el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    if (typeof child === 'string' || typeof child === 'number') el.appendChild(document.createTextNode(String(child)));
    else el.appendChild(child);
  }
  return el;
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** The URL if it is an absolute http(s) URL, else null. */
export function safeHttpUrl(text) {
  if (typeof text !== 'string' || text === '') return null;
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

/** A `data:image/svg+xml;base64,...` URL for SVG markup: shown in an <img>, never injected. */
export function svgDataUrl(svg) {
  const bytes = new TextEncoder().encode(svg);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return `data:image/svg+xml;base64,${btoa(binary)}`;
}

/**
 * An image that turns into a neat placeholder when it cannot be loaded (offline, 404, blocked
 * by the CSP, or no URL at all). The box keeps its size either way.
 */
export function image(url, { alt = '', className = '', label = 'no image' } = {}) {
  const box = h('span', { class: `img ${className}`.trim() });
  const placeholder = (why) => {
    box.classList.add('broken');
    box.replaceChildren(
      h('span', { class: 'ph', title: url || '' },
        h('span', { class: 'ph-glyph', 'aria-hidden': 'true', text: '\u25a8' }),
        h('span', { class: 'ph-text', text: why })),
    );
  };
  if (!url || !IMG_SRC.test(url)) {
    placeholder(url ? 'not an http(s) URL' : label);
    return box;
  }
  const img = h('img', { alt, loading: 'lazy', decoding: 'async', referrerpolicy: 'no-referrer' });
  img.addEventListener('error', () => placeholder('image unavailable'), { once: true });
  img.addEventListener('load', () => box.classList.add('loaded'), { once: true });
  img.setAttribute('src', url);
  box.appendChild(img);
  return box;
}

/** The last path segment of a URL, for captions. */
export function fileName(url) {
  if (!url) return '';
  try {
    const u = new URL(url);
    const seg = u.pathname.split('/').filter(Boolean).pop() || u.host;
    return decodeURIComponent(seg);
  } catch {
    return String(url).split('/').pop();
  }
}
