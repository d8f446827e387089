// Helpers for the preview tests (no tests here).

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const NPM_DIR = path.resolve(HERE, '..');
export const REPO_ROOT = path.resolve(NPM_DIR, '..');
/** The real frontend data, beside the repository (CI lays shared/ next to the clone). */
export const REAL_FRONTEND = path.resolve(REPO_ROOT, '..', 'shared', 'fixtures', 'frontend-2025-03');
export const MODULE_REL = 'src/app/services/applicationsData.ts';
export const ARTIFACTS_DIR = process.env.QAD_PREVIEW_ARTIFACTS
  ? path.resolve(process.env.QAD_PREVIEW_ARTIFACTS)
  : path.join(NPM_DIR, 'test-artifacts');

export async function tempDir(prefix) {
  return fsp.mkdtemp(path.join(os.tmpdir(), `qad-preview-${prefix}-`));
}

/**
 * Makes `dir` a frontend root the loader can use: the migrator imports the module with the
 * frontend's own TypeScript, so link the package's (dev) copy into dir/node_modules.
 */
export async function linkTypeScript(dir) {
  const ts = path.join(NPM_DIR, 'node_modules', 'typescript');
  if (!fs.existsSync(ts)) throw new Error(`typescript is not installed in ${NPM_DIR} (run npm install there)`);
  await fsp.mkdir(path.join(dir, 'node_modules'), { recursive: true });
  await fsp.symlink(ts, path.join(dir, 'node_modules', 'typescript'), 'dir');
}

/** A temporary copy of the real frontend fixture, ready for loadFrontend. */
export async function copyRealFrontend() {
  if (!fs.existsSync(path.join(REAL_FRONTEND, MODULE_REL))) {
    throw new Error(`the real frontend fixture is missing at ${REAL_FRONTEND} (expected ../shared/fixtures/ beside the repository)`);
  }
  const dir = await tempDir('frontend');
  await fsp.cp(REAL_FRONTEND, dir, { recursive: true });
  await linkTypeScript(dir);
  return dir;
}

/** Writes a small frontend (module text + optional i18n objects) into a temp dir. */
export async function writeFrontend(moduleText, i18n = null) {
  const dir = await tempDir('mini');
  await fsp.mkdir(path.join(dir, path.dirname(MODULE_REL)), { recursive: true });
  await fsp.writeFile(path.join(dir, MODULE_REL), moduleText);
  await fsp.writeFile(path.join(dir, 'package.json'), '{"name":"mini-frontend","private":true}\n');
  if (i18n) {
    await fsp.mkdir(path.join(dir, 'src/assets/i18n'), { recursive: true });
    for (const lang of ['en', 'ar']) {
      await fsp.writeFile(path.join(dir, `src/assets/i18n/${lang}.json`), JSON.stringify(i18n[lang] ?? {}));
    }
  }
  await linkTypeScript(dir);
  return dir;
}

export async function ensureArtifactsDir() {
  await fsp.mkdir(ARTIFACTS_DIR, { recursive: true });
  // Never committed: the folder ignores itself.
  const ignore = path.join(ARTIFACTS_DIR, '.gitignore');
  if (!fs.existsSync(ignore)) await fsp.writeFile(ignore, '*\n');
  return ARTIFACTS_DIR;
}

/**
 * Sends one raw HTTP/1.1 request (the request line exactly as given: no client-side path
 * normalisation) and resolves with { status, headers, body }.
 */
export function rawRequest(port, rawPath, { method = 'GET', host = `127.0.0.1:${port}` } = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
    });
    socket.on('error', reject);
    socket.on('end', () => {
      const text = data.toString('latin1');
      const headEnd = text.indexOf('\r\n\r\n');
      const head = text.slice(0, headEnd).split('\r\n');
      const status = Number(head[0].split(' ')[1]);
      const headers = {};
      for (const line of head.slice(1)) {
        const i = line.indexOf(':');
        headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({ status, headers, body: data.subarray(Buffer.byteLength(text.slice(0, headEnd + 4), 'latin1')) });
    });
    socket.write(`${method} ${rawPath} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  });
}

/**
 * A plain static file server over a folder (not the preview server): proves the exported page
 * works from any static host. Serves files under `dir` only.
 */
export async function serveStatic(dir) {
  const types = {
    '.html': 'text/html; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.svg': 'image/svg+xml',
    '.wasm': 'application/wasm',
    '.json': 'application/json',
  };
  const root = path.resolve(dir);
  const server = http.createServer(async (req, res) => {
    const urlPath = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const file = path.resolve(root, `.${urlPath.endsWith('/') ? `${urlPath}index.html` : urlPath}`);
    if (!file.startsWith(root + path.sep)) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await fsp.readFile(file);
      res.writeHead(200, { 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Fails with instructions when the system Chromium is missing. */
export function requireChromium() {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}: the preview's browser tests need it. ` +
        'Install it with `apt-get install -y chromium` (Debian), or set CHROMIUM_PATH.',
    );
  }
  return CHROMIUM_PATH;
}

/**
 * Launches headless Chromium with a fresh profile, offline except for loopback: remote image
 * loads (icons, screenshots) are aborted so that the tests never depend on the network.
 */
export async function launchBrowser() {
  const executablePath = requireChromium();
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    throw new Error(`playwright-core is not installed (npm install in ${NPM_DIR}): ${e.message}`);
  }
  const userDataDir = await tempDir('chromium-profile');
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    viewport: { width: 1440, height: 900 },
    deviceScaleFactor: 1,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    const local = url.protocol === 'file:' || url.protocol === 'data:' || url.hostname === '127.0.0.1' || url.hostname === 'localhost';
    return local ? route.continue() : route.abort('internetdisconnected');
  });
  return {
    context,
    async close() {
      await context.close();
      await fsp.rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Collects page errors and CSP / Trusted Types violations (console messages); remote image
 * failures are expected offline and ignored.
 */
export function watchPage(page) {
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (msg) => {
    const text = msg.text();
    if (msg.type() === 'error' && !/Failed to load resource/.test(text)) problems.push(`console: ${text}`);
    else if (/Content Security Policy|Trusted Type/i.test(text)) problems.push(`console: ${text}`);
  });
  return problems;
}
