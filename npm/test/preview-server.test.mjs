// The preview server: loopback only, a fixed allow-list of paths, content types, CSP, and the
// live data endpoints over a real frontend module. No browser here (see preview-browser).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';

import { startPreview, isLoopbackHost, writeStaticPreview, CONTENT_SECURITY_POLICY, WASM_DIR } from '../lib/preview-server.mjs';
import { copyRealFrontend, rawRequest, tempDir, writeFrontend, MODULE_REL } from './preview-helpers.mjs';

let root;
let preview;

before(async () => {
  root = await copyRealFrontend();
  preview = await startPreview({ root });
});

after(async () => {
  await preview?.close();
  if (root) await fs.rm(root, { recursive: true, force: true });
});

test('isLoopbackHost accepts loopback addresses only', () => {
  for (const h of ['127.0.0.1', '127.8.9.10', 'localhost', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) {
    assert.equal(isLoopbackHost(h), true, h);
  }
  for (const h of ['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'example.com', '', '128.0.0.1', '::2', '::ffff:10.0.0.1']) {
    assert.equal(isLoopbackHost(h), false, h);
  }
});

test('a non-loopback host is refused unless allowNonLoopback', async () => {
  for (const host of ['0.0.0.0', '::', '192.0.2.10', 'example.com']) {
    await assert.rejects(startPreview({ root, host }), (e) => {
      assert.equal(e.code, 'ERR_QAD_NON_LOOPBACK', host);
      assert.match(e.message, /non-loopback/);
      return true;
    });
  }
  // With the explicit opt-in it binds (all interfaces here) and serves.
  const open = await startPreview({ root, host: '0.0.0.0', allowNonLoopback: true });
  try {
    const res = await fetch(`http://127.0.0.1:${open.port}/`);
    assert.equal(res.status, 200);
  } finally {
    await open.close();
  }
});

test('binds 127.0.0.1 on a free port by default and returns its URL', async () => {
  assert.match(preview.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  assert.ok(preview.port > 0);
  assert.equal(preview.host, '127.0.0.1');
});

test('serves its own assets with the right content types and a strict CSP', async () => {
  const expect = {
    '/': 'text/html; charset=utf-8',
    '/index.html': 'text/html; charset=utf-8',
    '/app.js': 'text/javascript; charset=utf-8',
    '/model.js': 'text/javascript; charset=utf-8',
    '/views.js': 'text/javascript; charset=utf-8',
    '/detail.js': 'text/javascript; charset=utf-8',
    '/dom.js': 'text/javascript; charset=utf-8',
    '/boot.js': 'text/javascript; charset=utf-8',
    '/style.css': 'text/css; charset=utf-8',
    '/favicon.svg': 'image/svg+xml',
    '/wasm/qad_wasm.js': 'text/javascript; charset=utf-8',
    '/wasm/qad_wasm_bg.wasm': 'application/wasm',
  };
  for (const [p, type] of Object.entries(expect)) {
    const res = await fetch(new URL(p, preview.url));
    assert.equal(res.status, 200, p);
    assert.equal(res.headers.get('content-type'), type, p);
    assert.equal(res.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY, p);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff', p);
    await res.arrayBuffer();
  }
  const wasm = await fetch(new URL('/wasm/qad_wasm_bg.wasm', preview.url));
  const bytes = new Uint8Array(await wasm.arrayBuffer());
  assert.deepEqual([...bytes.subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d], 'a WebAssembly module');

  const csp = CONTENT_SECURITY_POLICY;
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'(;|$)/);
  assert.match(csp, /img-src 'self' data: https:(;|$)/);
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline|'unsafe-eval'/);
});

test('path traversal and anything off the allow-list get 404', async () => {
  const attempts = [
    '/../package.json',
    '/../../../../etc/passwd',
    '/%2e%2e/package.json',
    '/%2e%2e%2fpackage.json',
    '/..%2f..%2flib%2fpreview-server.mjs',
    '/wasm/../../package.json',
    '/wasm/..%2f..%2fpackage.json',
    '/wasm/%2e%2e/%2e%2e/lib/preview-server.mjs',
    '/wasm/qad_wasm.cjs',
    '/wasm/',
    '//etc/passwd',
    '/.\\..\\package.json',
    '/index.html/../../package.json',
    '/package.json',
    '/lib/preview-server.mjs',
    '/preview/index.html',
    '/app.js.map',
    '/NEEDS.md',
    '/README.md',
    `/${MODULE_REL}`,
    '/api/../package.json',
    '/api',
    '/api/',
    '/api/input/../../package.json',
    '/index.html%00.js',
  ];
  for (const p of attempts) {
    const res = await rawRequest(preview.port, p);
    assert.equal(res.status, 404, `${p} -> ${res.status}`);
    assert.doesNotMatch(res.body.toString('utf8'), /"name"|root:|import |applicationsData/, p);
  }
  // An absolute-form request target is not a way around it either.
  const abs = await rawRequest(preview.port, `http://127.0.0.1:${preview.port}/../package.json`);
  assert.equal(abs.status, 404);
});

test('a foreign Host header is refused (no DNS rebinding)', async () => {
  const res = await rawRequest(preview.port, '/', { host: 'attacker.example' });
  assert.equal(res.status, 421);
  const api = await rawRequest(preview.port, '/api/input', { host: `evil.example:${preview.port}` });
  assert.equal(api.status, 421);
  for (const host of [`127.0.0.1:${preview.port}`, `localhost:${preview.port}`]) {
    assert.equal((await rawRequest(preview.port, '/', { host })).status, 200, host);
  }
});

test('only GET and HEAD', async () => {
  const post = await rawRequest(preview.port, '/api/input', { method: 'POST' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.allow, 'GET, HEAD');
  const head = await rawRequest(preview.port, '/', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
});

test('api/input hands the page what loadFrontend extracted from the real module', async () => {
  const res = await fetch(new URL('/api/input', preview.url));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
  const body = await res.json();
  assert.equal(body.input.applicationsData.length, 44);
  assert.equal(body.input.categories.length, 11);
  assert.equal(body.input.source.module, MODULE_REL);
  assert.match(body.moduleSha256, /^[0-9a-f]{64}$/);
  assert.equal(body.moduleSha256, body.input.source.sha256);
  assert.equal(body.sourceInfo.module, MODULE_REL);
  // No absolute paths of this machine go to the page.
  assert.ok(!JSON.stringify(body.sourceInfo).includes(root), 'sourceInfo leaks the root path');
});

test('api/status changes revision when the module changes; a broken module is a 422 with the reason', async () => {
  const dir = await copyRealFrontend();
  const p = await startPreview({ root: dir });
  try {
    const s1 = await (await fetch(new URL('/api/status', p.url))).json();
    assert.equal(s1.live, true);
    assert.equal(s1.module, MODULE_REL);
    assert.match(s1.revision, /^[0-9a-f]{64}$/);
    const again = await (await fetch(new URL('/api/status', p.url))).json();
    assert.equal(again.revision, s1.revision, 'stable while nothing changes');

    const file = path.join(dir, MODULE_REL);
    const original = await fs.readFile(file, 'utf8');
    await fs.writeFile(file, original.replace('"Name_En": "Wahy"', '"Name_En": "Wahy Edited"'));
    const s2 = await (await fetch(new URL('/api/status', p.url))).json();
    assert.notEqual(s2.revision, s1.revision);
    const input = await (await fetch(new URL('/api/input', p.url))).json();
    assert.equal(input.revision, s2.revision);
    assert.ok(input.input.applicationsData.some((a) => a.Name_En === 'Wahy Edited'));

    await fs.writeFile(file, `${original}\nexport const broken = [;\n`);
    const bad = await fetch(new URL('/api/input', p.url));
    assert.equal(bad.status, 422);
    const err = await bad.json();
    assert.ok(err.error.message.length > 0);

    // An i18n edit is a change too (category names come from there).
    await fs.writeFile(file, original);
    const s3 = await (await fetch(new URL('/api/status', p.url))).json();
    const i18n = path.join(dir, 'src/assets/i18n/en.json');
    const en = JSON.parse(await fs.readFile(i18n, 'utf8'));
    en.appList.categories.tools = 'Other tools';
    await fs.writeFile(i18n, JSON.stringify(en));
    const s4 = await (await fetch(new URL('/api/status', p.url))).json();
    assert.notEqual(s4.revision, s3.revision);
    assert.equal(s4.moduleSha256, s3.moduleSha256);
    assert.equal((await fetch(new URL('/api/input', p.url))).status, 200);
  } finally {
    await p.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('an absolute modulePath (as the CLI passes it) is shown relative to the root', async () => {
  const p = await startPreview({ root, modulePath: path.join(root, MODULE_REL) });
  try {
    const status = await (await fetch(new URL('/api/status', p.url))).json();
    assert.equal(status.module, MODULE_REL);
    const body = await (await fetch(new URL('/api/input', p.url))).json();
    assert.equal(body.input.applicationsData.length, 44);
    assert.ok(!JSON.stringify(status).includes(root));
  } finally {
    await p.close();
  }
});

test('static mode (live: false) serves the page but no data', async () => {
  const p = await startPreview({ live: false });
  try {
    assert.equal((await fetch(new URL('/', p.url))).status, 200);
    assert.equal((await fetch(new URL('/api/status', p.url))).status, 404);
    assert.equal((await fetch(new URL('/api/input', p.url))).status, 404);
  } finally {
    await p.close();
  }
});

test('clear errors: wasm not built, module missing, bad port', async () => {
  const empty = await tempDir('nowasm');
  try {
    await assert.rejects(startPreview({ root, wasmDir: empty }), { code: 'ERR_QAD_WASM_MISSING' });
    await assert.rejects(startPreview({ root: empty }), { code: 'ERR_QAD_MODULE_MISSING' });
    await assert.rejects(startPreview({ root, port: 70000 }), RangeError);
    await assert.rejects(startPreview({ root, port: preview.port }), { code: 'EADDRINUSE' });
  } finally {
    await fs.rm(empty, { recursive: true, force: true });
  }
});

test('writeStaticPreview writes the page and the wasm core, nothing else', async () => {
  const out = await tempDir('static');
  try {
    const written = await writeStaticPreview(out);
    assert.deepEqual(written.sort(), ['app.js', 'boot.js', 'detail.js', 'dom.js', 'favicon.svg', 'index.html', 'model.js', 'style.css', 'views.js', 'wasm/qad_wasm.js', 'wasm/qad_wasm_bg.wasm'].sort());
    const wasm = await fs.readFile(path.join(out, 'wasm/qad_wasm_bg.wasm'));
    assert.deepEqual(wasm, await fs.readFile(path.join(WASM_DIR, 'qad_wasm_bg.wasm')));
  } finally {
    await fs.rm(out, { recursive: true, force: true });
  }
});

test('a mini frontend without i18n loads too', async () => {
  const dir = await writeFrontend(`export const applicationsData = [
  { id: "1_A", Name_En: "Alpha", Name_Ar: "ألفا", Developer_Name_En: "Dev", categories: ["tools"] },
];
export const categories = [{ name: "Tools", icon: \`<svg xmlns="http://www.w3.org/2000/svg"/>\` }];
`);
  const p = await startPreview({ root: dir });
  try {
    const body = await (await fetch(new URL('/api/input', p.url))).json();
    assert.equal(body.input.applicationsData[0].Name_En, 'Alpha');
  } finally {
    await p.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('the page scripts never parse strings as HTML', async () => {
  const dir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'preview');
  for (const f of ['app.js', 'model.js', 'views.js', 'detail.js', 'dom.js', 'boot.js']) {
    const code = (await fs.readFile(path.join(dir, f), 'utf8'))
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    for (const sink of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'createContextualFragment', 'DOMParser', 'eval(', 'new Function']) {
      assert.ok(!code.includes(sink), `${f} uses ${sink}`);
    }
  }
  const html = await fs.readFile(path.join(dir, 'index.html'), 'utf8');
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script in index.html');
  assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handler in index.html');
  assert.doesNotMatch(html, /\sstyle=/i, 'no inline style in index.html');
});
