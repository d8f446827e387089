"use strict";
// The JavaScript API: loadFrontend, validate/transform on every accepted input form, reports,
// envelopes, and LoadError details.

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");

const api = require("../lib/index.js");
const { frontendsDir, tmpDir, sha256 } = require("../test-support/helpers.js");

const fe = (name) => path.join(frontendsDir, name);
const MODULE = "src/app/services/applicationsData.ts";

function loadError(fn) {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof api.LoadError, `expected a LoadError, got ${e && e.stack}`);
    return e;
  }
  assert.fail("expected a LoadError");
}

test("loadFrontend imports the TypeScript module as it is and describes its source", () => {
  const { input, sourceInfo } = api.loadFrontend({ root: fe("valid") });
  assert.equal(input.applicationsData.length, 3);
  assert.equal(input.categories.length, 4);
  assert.equal(input.categories[0].name, "Mushaf");
  assert.match(input.categories[0].icon, /^<svg xmlns=/);
  assert.equal(input.applicationsData[0].Description_Ar, "مصحف\nبخط واضح", "template literal with a newline");
  assert.deepEqual(input.applicationsData[2].categories, ["kids"], "`as const` erased");
  assert.equal(input.i18n.en.tools, "Other");
  assert.equal(input.i18n.ar.mushaf, "المصحف");
  assert.ok(!("all" in input.i18n.en) || input.i18n.en.all === "All");
  assert.deepEqual(input.source, { module: MODULE, sha256: sha256(fs.readFileSync(path.join(fe("valid"), MODULE))) });
  assert.deepEqual(input.options, { categoryAliases: {} });
  assert.equal(sourceInfo.root, fe("valid"));
  assert.equal(sourceInfo.modulePath, path.join(fe("valid"), MODULE));
  assert.equal(sourceInfo.module, MODULE);
  assert.deepEqual(sourceInfo.exports, ["applicationsData", "categories"]);
  assert.match(sourceInfo.typescriptVersion, /^5\./);
  // Plain JSON data: the values survive a JSON round trip unchanged.
  assert.deepEqual(JSON.parse(JSON.stringify(input)), input);
});

test("loadFrontend takes modulePath relative to root or absolute, aliases as specs or an object", () => {
  const abs = api.loadFrontend({ root: fe("valid"), modulePath: path.join(fe("valid"), MODULE), aliases: ["Other=Tools"] });
  const rel = api.loadFrontend({ root: fe("valid"), modulePath: MODULE, aliases: { other: "tools" } });
  assert.deepEqual(abs.input, rel.input);
  assert.deepEqual(abs.input.options.categoryAliases, { other: "tools" });
  assert.throws(() => api.loadFrontend({ root: fe("valid"), aliases: ["nonsense"] }), TypeError);
});

test("LoadError carries kind, file, line and column", () => {
  const syntax = loadError(() => api.loadFrontend({ root: fe("syntax-error") }));
  assert.equal(syntax.kind, "syntax");
  assert.equal(syntax.exitCode, 8);
  assert.equal(syntax.code, "QAD_LOAD_ERROR");
  assert.equal(syntax.file, path.join(fe("syntax-error"), MODULE));
  assert.equal(syntax.line, 9);
  assert.equal(syntax.column, 5);
  assert.equal(syntax.diagnostics[0].code, "TS1005");
  assert.equal(loadError(() => api.loadFrontend({ root: fe("wrong-export") })).kind, "export-shape");
  assert.equal(loadError(() => api.loadFrontend({ root: fe("wrong-shape") })).kind, "export-shape");
  assert.equal(loadError(() => api.loadFrontend({ root: fe("runtime-error") })).kind, "evaluation");
  assert.equal(loadError(() => api.loadFrontend({ root: fe("valid"), modulePath: "nope.ts" })).kind, "missing-file");
});

test("a module that never finishes is stopped by the timeout", () => {
  const e = loadError(() =>
    api.loadFrontend({ root: fe("runtime-error"), modulePath: "src/app/services/endless.ts", timeoutMs: 200 }),
  );
  assert.equal(e.kind, "evaluation");
  assert.match(e.message, /timed out/);
});

test("the module runs in its own context: no Node globals, no require of packages", () => {
  const dir = tmpDir("sandbox");
  fs.mkdirSync(path.join(dir, "src/app/services"), { recursive: true });
  fs.symlinkSync(path.join(__dirname, "..", "node_modules"), path.join(dir, "node_modules"), "dir");
  const write = (body) => fs.writeFileSync(path.join(dir, MODULE), body);
  write("export const applicationsData = [{ p: typeof process, r: typeof require, g: typeof globalThis.Buffer }];\n");
  const { input } = api.loadFrontend({ root: dir });
  assert.deepEqual(input.applicationsData, [{ p: "undefined", r: "function", g: "undefined" }]);
  write('const fs = require("fs");\nexport const applicationsData = [];\n');
  assert.match(loadError(() => api.loadFrontend({ root: dir })).message, /imports "fs", which qad-migrate does not load/);
  write("console.log('hello from the module');\nexport const applicationsData = [];\n");
  const logged = api.loadFrontend({ root: dir });
  assert.deepEqual(logged.sourceInfo.warnings, ["console.log: hello from the module"]);
  write("export const applicationsData = [ { when: new Date(0) } ];\n");
  assert.match(loadError(() => api.loadFrontend({ root: dir })).message, /applicationsData\[0\]\.when is a Date/);
  write("export const applicationsData = [1, , 3];\n");
  assert.match(loadError(() => api.loadFrontend({ root: dir })).message, /has a hole at index 1/);
  write("export const applicationsData = [{ a: 1, b: undefined }];\n");
  assert.deepEqual(api.loadFrontend({ root: dir }).input.applicationsData, [{ a: 1 }], "undefined members left out, as in JSON");
});

test("validate accepts the module input, an envelope, a bare array, JSON text and bytes", () => {
  const { input } = api.loadFrontend({ root: fe("valid") });
  const report = api.validate(input);
  assert.equal(report.errors, 0);
  assert.equal(report.warnings, 22);
  assert.deepEqual(report.counts, { apps: 3, categories: 4, developers: 2, app_categories: 4, screenshots: 6 });
  assert.deepEqual(report.source, input.source);
  const envelope = api.makeEnvelope(input);
  const text = api.envelopeText(envelope);
  assert.deepEqual(api.validate(envelope), report);
  assert.deepEqual(api.validate(text), report);
  assert.deepEqual(api.validate(Buffer.from(text)), report);
  assert.deepEqual(api.validate(new TextEncoder().encode(text).buffer), report);
  const bare = api.validate(input.applicationsData);
  assert.equal(bare.counts.apps, 3);
  assert.ok(bare.diagnostics.some((d) => d.code === "W108"), "categories derived from a bare array");
});

test("validate never throws for bad input: E001 / E002 reports", () => {
  const cases = [
    ["{ not json", "E001"],
    [Buffer.from([0xff, 0xfe, 0x00]), "E001"],
    [{ applicationsData: [{ id: 1n }] }, "E001"],
    [42, "E002"],
    [null, "E002"],
    [undefined, "E002"],
    [{ hello: "world" }, "E002"],
    [{ format: "qad-migrate/apps", version: 99, applicationsData: [] }, "E002"],
    [{ applicationsData: "nope" }, "E002"],
  ];
  for (const [input, code] of cases) {
    const report = api.validate(input);
    assert.equal(report.errors, 1, String(input));
    assert.equal(report.diagnostics[0].code, code, String(input));
    const migration = api.transform(input);
    assert.deepEqual(migration.report, report);
    assert.deepEqual(migration.dataset.apps, []);
  }
});

test("transform gives the rows with deterministic ids and the developer variants", () => {
  const { input } = api.loadFrontend({ root: fe("valid") });
  const a = api.transform(input);
  const b = api.transform(api.envelopeText(api.makeEnvelope(input)));
  assert.deepEqual(a, b);
  assert.equal(a.dataset.apps.length, 3);
  const app = a.dataset.apps.find((x) => x.source_id === "1_Noor Reader");
  assert.match(app.id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/, "UUID v5");
  assert.equal(app.avg_rating, "4.75");
  assert.equal(app.main_image_ar_url, "https://cdn.example.org/apps/1_Noor%20Reader/cover_photo_ar.png");
  assert.equal(a.dataset.screenshots.filter((s) => s.app_id === app.id && s.language === "en").length, 2);
  assert.ok(Array.isArray(a.developer_variants));
  const noor = a.developer_variants.find((v) => v.key === "noor labs");
  assert.ok(noor, JSON.stringify(a.developer_variants));
});

test("layout reaches the core through input.options, and the envelope keeps it", () => {
  const layout = { kind: "django", media_base_url: "https://cdn.example.org/apps/" };
  const loaded = api.validateFrontend({ root: fe("valid"), layout });
  assert.deepEqual(loaded.input.options, { categoryAliases: {}, layout });
  assert.equal(loaded.report.errors, 0);
  const elsewhere = api.validateFrontend({ root: fe("valid"), layout: { kind: "django", media_base_url: "https://media.example.org" } });
  assert.ok(elsewhere.report.diagnostics.some((d) => d.code === "E024" && d.field === "mainImage_en"));
  const x = api.extract({ root: fe("valid"), layout });
  assert.ok(x.ok);
  assert.deepEqual(x.envelope.options, { categoryAliases: {}, layout });
  // qa-load's own tables are the default and are not written.
  assert.deepEqual(api.validateFrontend({ root: fe("valid"), layout: { kind: "qa-load" } }).input.options, { categoryAliases: {} });
  assert.deepEqual(api.parseLayout(undefined), { kind: "qa-load" });
  assert.deepEqual(api.parseLayout({ kind: "qa-load" }), { kind: "qa-load" });
  assert.deepEqual(api.parseLayout(layout), layout);
  assert.throws(() => api.parseLayout({ kind: "django" }), TypeError);
  assert.throws(() => api.parseLayout("django"), TypeError);
  assert.throws(() => api.parseLayout({ kind: "mysql" }), /"mysql" is not a layout; expected qa-load or django/);
  assert.throws(() => api.loadFrontend({ root: fe("valid"), layout: { kind: "mysql" } }), TypeError);
});

test("target, the old name of layout, still works: the option, parseTarget, kind generic", () => {
  const layout = { kind: "django", media_base_url: "https://cdn.example.org/apps/" };
  const loaded = api.validateFrontend({ root: fe("valid"), target: layout });
  assert.deepEqual(loaded.input.options, { categoryAliases: {}, layout });
  assert.deepEqual(api.validateFrontend({ root: fe("valid"), target: { kind: "generic" } }).input.options, { categoryAliases: {} });
  assert.throws(() => api.loadFrontend({ root: fe("valid"), layout, target: layout }), /not both/);
  assert.equal(api.parseTarget, api.parseLayout);
  assert.deepEqual(api.parseLayout({ kind: "generic" }), { kind: "qa-load" });
  assert.throws(() => api.parseTarget({ kind: "django" }), TypeError);
  // An apps.json written by earlier versions (options.target) validates as it did.
  const envelope = api.makeEnvelope(loaded.input);
  const old = JSON.parse(JSON.stringify(envelope));
  old.options = { categoryAliases: {}, target: { kind: "django", media_base_url: "https://media.example.org" } };
  const now = JSON.parse(JSON.stringify(envelope));
  now.options = { categoryAliases: {}, layout: { kind: "django", media_base_url: "https://media.example.org" } };
  assert.deepEqual(api.validate(old), api.validate(now));
  assert.ok(api.validate(old).diagnostics.some((d) => d.code === "E024"));
  assert.deepEqual(api.makeEnvelope(old).options, now.options);
});

test("ignoreFields reach the core through input.options, and the envelope keeps them", () => {
  const without = api.validateFrontend({ root: fe("old-format") });
  assert.equal(without.report.errors, 3);
  assert.ok(without.report.diagnostics.every((d) => d.severity === "warning" || d.code === "E023"));
  const ignored = api.validateFrontend({ root: fe("old-format"), ignoreFields: ["screenshots", "mainImage", "screenshots"] });
  assert.equal(ignored.report.errors, 0);
  assert.deepEqual(ignored.input.options, { categoryAliases: {}, ignoreFields: ["mainImage", "screenshots"] });
  const x = api.extract({ root: fe("old-format"), ignoreFields: ["mainImage", "screenshots"] });
  assert.equal(x.ok, true);
  assert.deepEqual(x.envelope.options.ignoreFields, ["mainImage", "screenshots"]);
  assert.deepEqual(api.parseIgnoreFields(["b", "a", "b"]), ["a", "b"]);
  assert.deepEqual(api.parseIgnoreFields(undefined), []);
  assert.throws(() => api.parseIgnoreFields([""]), TypeError);
  assert.throws(() => api.loadFrontend({ root: fe("old-format"), ignoreFields: "mainImage" }), TypeError);
});

test("aliases reach the core through input.options", () => {
  const dir = tmpDir("alias");
  fs.mkdirSync(path.join(dir, "src/app/services"), { recursive: true });
  fs.symlinkSync(path.join(__dirname, "..", "node_modules"), path.join(dir, "node_modules"), "dir");
  fs.writeFileSync(
    path.join(dir, MODULE),
    `export const applicationsData = [{ id: "1_a", Name_En: "A", Name_Ar: "أ", Developer_Name_En: "D", categories: ["other"] }];
export const categories = [{ name: "Tools", icon: "<svg></svg>" }];\n`,
  );
  const without = api.validateFrontend({ root: dir, i18nDir: false });
  assert.ok(without.report.diagnostics.some((d) => d.code === "E015"), "unknown category without the alias");
  const withAlias = api.validateFrontend({ root: dir, i18nDir: false, aliases: ["other=tools"] });
  assert.ok(!withAlias.report.diagnostics.some((d) => d.code === "E015"));
  assert.equal(withAlias.report.errors, 0);
  const bad = api.validateFrontend({ root: dir, i18nDir: false, aliases: ["other=nowhere"] });
  assert.ok(bad.report.diagnostics.some((d) => d.code === "E021"), "alias to an unknown category");
});

test("extract writes only valid data, atomically", () => {
  const dir = tmpDir("api-extract");
  const out = path.join(dir, "apps.json");
  const ok = api.extract({ root: fe("valid"), out, generatedBy: "test" });
  assert.equal(ok.ok, true);
  assert.equal(ok.written, out);
  assert.equal(fs.readFileSync(out, "utf8"), api.envelopeText(ok.envelope));
  assert.equal(ok.envelope.generatedBy, "test");
  const bad = api.extract({ root: fe("data-errors"), out: path.join(dir, "bad.json") });
  assert.equal(bad.ok, false);
  assert.equal(bad.envelope, null);
  assert.equal(bad.written, null);
  assert.equal(bad.report.errors, 8);
  assert.deepEqual(fs.readdirSync(dir), ["apps.json"]);
});

test("renderReport: text, markdown, json; an unknown format throws", () => {
  const report = api.validate(api.loadFrontend({ root: fe("data-errors") }).input);
  // The two records that share the id 1_Alpha are told apart by their positions.
  assert.match(api.renderReport(report), /^1_Alpha \(applicationsData\[0\]\) \(4 error\(s\), 0 warning\(s\)\)$/m);
  assert.match(api.renderReport(report), /^1_Alpha \(applicationsData\[1\]\) \(4 error\(s\), 1 warning\(s\)\)$/m);
  assert.match(api.renderReport(report, "markdown"), /^# Migration validation report/);
  const json = JSON.parse(api.renderReport(report, "json"));
  assert.equal(json.errors, 8);
  assert.deepEqual(json.diagnostics, report.diagnostics);
  // A parsed JSON report renders again (byRule is ignored).
  assert.equal(api.renderReport(json, "text"), api.renderReport(report, "text"));
  assert.throws(() => api.renderReport(report, "html"), /unknown report format "html"/);
  assert.throws(() => api.renderReport({ nonsense: true }, "text"), /report is malformed/);
});

test("i18nFromFrontendFiles, rules, versions, exit codes", () => {
  const names = api.i18nFromFrontendFiles({ appList: { categories: { tools: "Other", n: 3 } } }, undefined);
  assert.deepEqual(names, { en: { tools: "Other" }, ar: {} });
  const rules = api.rules();
  assert.ok(rules.length >= 20);
  for (const r of rules) assert.match(r.code, r.severity === "error" ? /^E\d{3}$/ : /^W\d{3}$/);
  assert.match(api.rulesMarkdown(), /^\| code \| name \|/);
  assert.equal(api.VERSION, require("../package.json").version);
  assert.match(api.coreVersion(), /^\d+\.\d+\.\d+$/);
  assert.deepEqual({ ...api.EXIT_CODES }, { ok: 0, validationErrors: 1, usage: 2, loadError: 8, ioError: 9 });
});
