// The `qad-migrate preview` server.
//
// Serves the static preview page (npm/preview/), the wasm core (npm/dist/wasm/) and the data
// extracted from the frontend module, on a loopback address only. The migration itself is
// computed in the browser by the wasm core: the server never transforms anything.
//
// Safety:
// - binds loopback only (127.0.0.0/8, ::1, localhost) unless `allowNonLoopback` is given;
// - checks the Host header against the bound address (no DNS rebinding from a web page);
// - serves a fixed allow-list of paths, matched exactly: no file system lookup from the URL,
//   so no path traversal;
// - GET/HEAD only; strict Content-Security-Policy and nosniff on every response.

import http from 'node:http';
import net from 'node:net';
import crypto from 'node:crypto';
import { promises as fs, constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import api from './index.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** The page's own files (npm/preview/). */
export const PREVIEW_DIR = path.resolve(HERE, '..', 'preview');
/** Where the npm build puts the wasm-bindgen output (`--target web`). */
export const WASM_DIR = path.resolve(HERE, '..', 'dist', 'wasm');

/** The module the frontend keeps its data in, relative to its root. */
export const DEFAULT_MODULE = api.DEFAULT_MODULE;
/** The frontend's translation files (category display names); watched for changes too. */
const DEFAULT_I18N_DIR = api.DEFAULT_I18N_DIR;
const I18N_FILES = ['en.json', 'ar.json'];

/**
 * The Content-Security-Policy of every response. No inline script or style, no eval, only
 * same-origin scripts plus wasm compilation; images may come from https: (store icons and
 * screenshots) and data: (category SVG icons, rendered as <img>, never injected). Trusted
 * Types with no policy make any string-to-HTML sink (innerHTML & co.) throw.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data: https:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'none'",
  "worker-src 'none'",
  "frame-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
};

/**
 * The page's assets: URL path -> [base directory key, file name]. Nothing else is ever read
 * from disk on behalf of a request.
 */
export const PAGE_FILES = [
  'index.html', 'app.js', 'model.js', 'views.js', 'detail.js', 'dom.js', 'boot.js', 'style.css', 'favicon.svg',
];
export const WASM_FILES = ['qad_wasm.js', 'qad_wasm_bg.wasm'];

function assetTable(previewDir, wasmDir) {
  const table = new Map();
  table.set('/', path.join(previewDir, 'index.html'));
  for (const f of PAGE_FILES) table.set(`/${f}`, path.join(previewDir, f));
  for (const f of WASM_FILES) table.set(`/wasm/${f}`, path.join(wasmDir, f));
  return table;
}

const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** True for 127.0.0.0/8, ::1 (any spelling), ::ffff:127.x.x.x and `localhost`. */
export function isLoopbackHost(host) {
  if (typeof host !== 'string' || host === '') return false;
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h.startsWith('::ffff:') && net.isIPv4(h.slice(7))) h = h.slice(7);
  if (net.isIPv4(h)) return LOOPBACK.check(h, 'ipv4');
  if (net.isIPv6(h)) return LOOPBACK.check(h, 'ipv6');
  return false;
}

function urlHost(host) {
  return net.isIPv6(host) ? `[${host}]` : host;
}

/** SHA-256 of the bytes, hex. */
function sha256(bytes) {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

/**
 * Watches the module (and the i18n files) by polling their stat; re-hashes only when the
 * stat changed. `revision` changes exactly when one of the files' content changes.
 */
class SourceWatch {
  constructor(files) {
    this.files = files; // absolute paths; the first is the module
    this.stats = new Map();
    this.hashes = new Map();
    this.revision = null;
    this.moduleSha = null;
    this.moduleMtimeMs = null;
  }

  async check() {
    let changed = false;
    for (const file of this.files) {
      let st = null;
      try {
        st = await fs.stat(file);
      } catch {
        st = null;
      }
      const sig = st ? `${st.mtimeMs}:${st.size}:${st.ino}` : 'missing';
      if (this.stats.get(file) === sig && this.hashes.has(file)) continue;
      let hash = 'missing';
      if (st) {
        try {
          hash = sha256(await fs.readFile(file));
        } catch {
          hash = 'unreadable';
        }
      }
      this.stats.set(file, sig);
      if (file === this.files[0]) this.moduleMtimeMs = st ? st.mtimeMs : null;
      if (this.hashes.get(file) !== hash) {
        this.hashes.set(file, hash);
        changed = true;
      }
    }
    if (changed || this.revision === null) {
      this.moduleSha = this.hashes.get(this.files[0]);
      this.revision = sha256(this.files.map((f) => `${f}\0${this.hashes.get(f)}`).join('\n'));
    }
    return changed;
  }
}

/** What the page may know about the source: no absolute paths of the machine. */
function publicSourceInfo(info) {
  if (!info || typeof info !== 'object') return null;
  const out = {};
  for (const key of ['module', 'sha256', 'exports', 'typescriptVersion']) {
    if (info[key] !== undefined) out[key] = info[key];
  }
  if (Array.isArray(info.warnings)) {
    out.warnings = info.warnings.map((w) => (typeof w === 'string' ? w : w && w.message ? String(w.message) : String(w)));
  }
  return out;
}

function jsonBody(value) {
  return Buffer.from(JSON.stringify(value));
}

/**
 * Starts the preview server.
 *
 * @param {object} opts
 * @param {string} [opts.root='.'] the frontend root
 * @param {string} [opts.modulePath] the module, relative to root (default DEFAULT_MODULE)
 * @param {number} [opts.port=0] 0 picks a free port
 * @param {string} [opts.host='127.0.0.1'] must be loopback unless allowNonLoopback
 * @param {boolean} [opts.allowNonLoopback=false]
 * @param {Function} [opts.loadFrontend] ({root, modulePath}) -> {input, sourceInfo}; default: the package's loadFrontend
 * @param {string[]|Record<string,string>} [opts.aliases] category aliases (`other=tools`), passed to loadFrontend
 * @param {string[]} [opts.ignoreFields] unknown fields to drop on purpose (`--ignore-field`), passed to loadFrontend
 * @param {{kind: string, media_base_url?: string}} [opts.layout] the layout to validate for (`--layout`), passed to loadFrontend
 * @param {string|false} [opts.i18nDir] the i18n folder relative to root (default src/assets/i18n), passed to loadFrontend
 * @param {string} [opts.wasmDir] where qad_wasm.js / qad_wasm_bg.wasm are (default npm/dist/wasm)
 * @param {boolean} [opts.live=true] serve the frontend's data; false serves the page alone (static mode)
 * @returns {Promise<{url: string, host: string, port: number, server: http.Server, close(): Promise<void>}>}
 */
export async function startPreview(opts = {}) {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 0;
  const live = opts.live !== false;
  if (!isLoopbackHost(host) && !opts.allowNonLoopback) {
    const err = new Error(
      `refusing to serve the preview on non-loopback host ${JSON.stringify(host)}: it shows unpublished data ` +
        'to anyone who can reach it. Use 127.0.0.1 (the default), or pass --allow-remote (allowNonLoopback) if you really mean it.',
    );
    err.code = 'ERR_QAD_NON_LOOPBACK';
    err.exitCode = api.EXIT_CODES.usage; // a usage error for the CLI
    throw err;
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    const err = new RangeError(`invalid port ${JSON.stringify(opts.port)}: expected 0..65535`);
    err.exitCode = api.EXIT_CODES.usage;
    throw err;
  }
  const previewDir = opts.previewDir ?? PREVIEW_DIR;
  const wasmDir = opts.wasmDir ?? WASM_DIR;
  const assets = assetTable(previewDir, wasmDir);
  for (const f of WASM_FILES) {
    try {
      await fs.access(path.join(wasmDir, f), fsConstants.R_OK);
    } catch {
      const err = new Error(
        `the wasm core is not built: ${path.join(wasmDir, f)} is missing (run the package build: npm run build)`,
      );
      err.code = 'ERR_QAD_WASM_MISSING';
      throw err;
    }
  }

  const root = path.resolve(opts.root ?? '.');
  const modulePath = opts.modulePath ?? DEFAULT_MODULE;
  const moduleFile = path.resolve(root, modulePath);
  // What the page shows: the module relative to the root (the CLI passes an absolute path).
  const relModule = path.relative(root, moduleFile);
  const moduleLabel = relModule && !relModule.startsWith('..') && !path.isAbsolute(relModule)
    ? relModule.split(path.sep).join('/')
    : path.basename(moduleFile);
  const i18nDir = opts.i18nDir === false ? null : path.resolve(root, opts.i18nDir ?? DEFAULT_I18N_DIR);
  const watch = new SourceWatch([moduleFile, ...(i18nDir ? I18N_FILES.map((f) => path.join(i18nDir, f)) : [])]);
  const loadFrontend = opts.loadFrontend ?? api.loadFrontend;
  if (live) {
    try {
      await fs.access(moduleFile, fsConstants.R_OK);
    } catch {
      const err = new Error(`module not found: ${moduleFile} (use --root for the frontend root, or --module)`);
      err.code = 'ERR_QAD_MODULE_MISSING';
      throw err;
    }
    await watch.check();
  }

  // The extracted input, cached per revision; a failed load is cached as an error until the
  // files change again.
  let cache = null; // { revision, body, status }
  let loading = null;
  async function currentInput() {
    await watch.check();
    const revision = watch.revision;
    if (cache && cache.revision === revision) return cache;
    if (loading && loading.revision === revision) return loading.promise;
    const promise = (async () => {
      let entry;
      try {
        const { input, sourceInfo } = await loadFrontend({ root, modulePath, aliases: opts.aliases, ignoreFields: opts.ignoreFields, layout: opts.layout, i18nDir: opts.i18nDir });
        entry = {
          revision,
          status: 200,
          body: jsonBody({ revision, moduleSha256: watch.moduleSha, sourceInfo: publicSourceInfo(sourceInfo), input }),
        };
      } catch (e) {
        entry = {
          revision,
          status: 422,
          body: jsonBody({
            revision,
            error: {
              message: String(e && e.message ? e.message : e),
              code: e && e.code ? String(e.code) : null,
              line: e && Number.isInteger(e.line) ? e.line : null,
              column: e && Number.isInteger(e.column) ? e.column : null,
            },
          }),
        };
      }
      cache = entry;
      loading = null;
      return entry;
    })();
    loading = { revision, promise };
    return promise;
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) send(res, req, 500, TYPES['.json'], jsonBody({ error: { message: 'internal error' } }));
      else res.destroy();
      if (opts.onError) opts.onError(e);
    });
  });

  function send(res, req, status, type, body) {
    res.writeHead(status, {
      'Content-Type': type,
      'Content-Length': body.length,
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'X-Frame-Options': 'DENY',
      'Cache-Control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  let allowedHosts = null; // filled in once the port is known
  async function handle(req, res) {
    if (!opts.allowNonLoopback) {
      const hostHeader = String(req.headers.host ?? '').toLowerCase();
      if (!allowedHosts.has(hostHeader)) {
        send(res, req, 421, 'text/plain; charset=utf-8', Buffer.from('misdirected request: unexpected Host header\n'));
        return;
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      send(res, req, 405, 'text/plain; charset=utf-8', Buffer.from('method not allowed\n'));
      return;
    }
    // Only the path is looked at, matched exactly against the allow-list; the query string
    // is ignored (cache busting).
    const rawPath = String(req.url ?? '/').split('?')[0].split('#')[0];
    if (rawPath === '/api/status') {
      if (!live) return notFound(res, req);
      await watch.check();
      send(res, req, 200, TYPES['.json'], jsonBody({
        live: true,
        revision: watch.revision,
        module: moduleLabel,
        moduleSha256: watch.moduleSha,
        moduleMtimeMs: watch.moduleMtimeMs,
      }));
      return;
    }
    if (rawPath === '/api/input') {
      if (!live) return notFound(res, req);
      const entry = await currentInput();
      send(res, req, entry.status, TYPES['.json'], entry.body);
      return;
    }
    const file = assets.get(rawPath);
    if (!file) return notFound(res, req);
    let body;
    try {
      body = await fs.readFile(file);
    } catch {
      return notFound(res, req);
    }
    send(res, req, 200, TYPES[path.extname(file)] ?? 'application/octet-stream', body);
  }

  function notFound(res, req) {
    send(res, req, 404, 'text/plain; charset=utf-8', Buffer.from('not found\n'));
  }

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const boundPort = addr.port;
  allowedHosts = new Set(
    ['127.0.0.1', 'localhost', '[::1]', urlHost(host), urlHost(addr.address)].map((h) => `${h}:${boundPort}`.toLowerCase()),
  );
  const url = `http://${urlHost(host === 'localhost' ? 'localhost' : addr.address)}:${boundPort}/`;

  return {
    url,
    host: addr.address,
    port: boundPort,
    server,
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
    },
  };
}

/**
 * Writes the page as static files (index.html, JS, CSS and the wasm core under wasm/) into
 * outDir. Served by any static file server, the page has no extracted data and offers to
 * open an apps.json (or the module's JSON) instead.
 */
export async function writeStaticPreview(outDir, opts = {}) {
  const previewDir = opts.previewDir ?? PREVIEW_DIR;
  const wasmDir = opts.wasmDir ?? WASM_DIR;
  await fs.mkdir(path.join(outDir, 'wasm'), { recursive: true });
  const written = [];
  for (const f of PAGE_FILES) {
    await fs.copyFile(path.join(previewDir, f), path.join(outDir, f));
    written.push(f);
  }
  for (const f of WASM_FILES) {
    await fs.copyFile(path.join(wasmDir, f), path.join(outDir, 'wasm', f));
    written.push(`wasm/${f}`);
  }
  return written;
}
